//! The demo zone's work orders: a year of 诉求/堵点 across every state of the 12345 loop, generated
//! as records and pushed through the same state machine and SLA bookkeeping as real orders (so
//! history, pauses, callbacks and due times are consistent), then one SLA scan to supervise the
//! late ones and propose the worst to their chain's council.
//!
//! Deterministic for `(seed, today)` (SplitMix64 per order). Each order follows a path (standard,
//! reply, direct answer, unsatisfied callback, suspension, extension, return, withdrawal, slow);
//! steps that would fall after now are not taken, so recent orders stop part-way and the zone
//! always has open work. About 0.22 orders per enterprise: the default 2,000-enterprise demo
//! gets some 440 orders of which 320+ are solved; about one in eleven stalls part-way, so every
//! state appears and the scan finds late orders to supervise. Loaded once (skipped when orders exist).

use crate::order::perm;
use crate::zone::entry;
use crate::{Actor, App, AppResult};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use lianshi_domain::order::{OrderAction, OrderState, Satisfaction, Urgency};
use lianshi_domain::zone::RegistryKind;
use lianshi_store::audit::audit_append;
use lianshi_store::enterprise::{EnterpriseFilter, Slice};
use lianshi_store::order::{NewOrder, OrderRow};

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Rng(u64);

impl Rng {
    fn new(seed: u64, index: u64) -> Rng {
        Rng(mix64(seed ^ 0x0D0E_5EED ^ index.wrapping_mul(GOLDEN)))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix64(self.0)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n.max(1))) >> 64) as u64
    }

    fn hours(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::minutes((lo * 60 + self.below((hi - lo) * 60 + 1)) as i64)
    }
}

/// (category, weight, titles).
const TOPICS: [(&str, u64, [&str; 3]); 9] = [
    (
        "supply_chain",
        22,
        [
            "GPU芯片采购渠道紧张，影响算法训练进度",
            "高端FPGA芯片交期延长至半年，请求协调货源",
            "算力资源不足，申请算力券支持",
        ],
    ),
    (
        "ip",
        14,
        [
            "核心算法专利遭仿冒，请求快速维权",
            "海外专利布局与PCT申请咨询",
            "商标被抢注，请求协助提出异议",
        ],
    ),
    (
        "talent",
        14,
        [
            "研发骨干人才公寓申请进度",
            "应届生落户与生活补贴办理",
            "高层次人才认定材料咨询",
        ],
    ),
    (
        "financing",
        12,
        [
            "新一轮融资需求，希望对接科技支行",
            "申请知识产权质押融资",
            "贷款贴息政策兑现进度",
        ],
    ),
    (
        "land",
        9,
        [
            "扩产急需新增厂房约2000平方米",
            "园区租金补贴申请",
            "研发楼消防验收受阻",
        ],
    ),
    (
        "policy",
        12,
        [
            "高新技术企业认定政策咨询",
            "研发费用加计扣除口径咨询",
            "专精特新申报条件咨询",
        ],
    ),
    (
        "approval",
        7,
        [
            "新产线环评审批进度",
            "施工许可办理周期过长",
            "医疗器械注册证审批咨询",
        ],
    ),
    (
        "market",
        6,
        [
            "产品进入首台套推广目录咨询",
            "参加海外展会补贴申请",
            "出口订单物流受阻，请求协调",
        ],
    ),
    (
        "other",
        4,
        [
            "企业周边道路早晚高峰拥堵",
            "员工子女入学咨询",
            "园区食堂服务改善建议",
        ],
    ),
];

/// What the order demo did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DemoOrdersSummary {
    pub orders: usize,
    pub events: usize,
    pub supervised: usize,
    pub proposed: usize,
}

impl App {
    /// Load the demo orders (called by [`App::demo_load`]).
    pub async fn demo_orders(&self, actor: &Actor, seed: u64) -> AppResult<DemoOrdersSummary> {
        perm::edit_config(actor)?;
        if self.db.order_count().await? > 0 {
            return Ok(DemoOrdersSummary::default());
        }
        self.order_config_ensure().await?;
        let ents = self
            .db
            .enterprise_list(
                &EnterpriseFilter::default(),
                Slice {
                    limit: 5000,
                    offset: 0,
                    after: None,
                },
            )
            .await?;
        if ents.is_empty() {
            return Ok(DemoOrdersSummary::default());
        }
        let total = self
            .db
            .enterprise_count(&EnterpriseFilter::default())
            .await?;
        let n = (total * 22 / 100).clamp(40, 20_000) as u64;
        let idx = self.registry().await?;
        let cal = self.calendar().await?;
        let table = self.sla_table().await?;
        let categories = self.db.order_categories().await?;
        let depts: Vec<i64> = idx
            .of_kind(RegistryKind::Department)
            .map(|d| d.id)
            .collect();
        let dept_code = |id: Option<i64>| -> String {
            id.and_then(|d| idx.get(d))
                .and_then(|d| d.code.clone())
                .unwrap_or_else(|| "jxj".into())
        };
        let now = Utc::now();
        let weight_sum: u64 = TOPICS.iter().map(|t| t.1).sum();
        let mut summary = DemoOrdersSummary::default();
        let mut tx = self.db.begin().await?;
        for i in 0..n {
            let mut r = Rng::new(seed, i);
            let e = &ents[r.below(ents.len() as u64) as usize];
            let mut roll = r.below(weight_sum);
            let topic = TOPICS
                .iter()
                .find(|t| {
                    if roll < t.1 {
                        true
                    } else {
                        roll -= t.1;
                        false
                    }
                })
                .unwrap_or(&TOPICS[0]);
            let title = topic.2[r.below(3) as usize];
            let urgency = if r.below(100) < 12 {
                Urgency::Urgent
            } else {
                Urgency::Normal
            };
            let cat = categories.iter().find(|c| c.code == topic.0);
            let lead = cat.and_then(|c| c.department_id);
            let channel =
                ["visit", "visit", "portal", "hotline", "12345", "visit"][r.below(6) as usize];
            // Created on a day in the past year, during office hours (China time).
            let age = r.below(365) as i64;
            let day = (now + Duration::hours(8)).date_naive() - Duration::days(age);
            let local = day.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default())
                + Duration::minutes(r.below(7 * 60) as i64);
            let created: DateTime<Utc> = (local - Duration::hours(8)).and_utc();
            if created > now {
                continue;
            }
            let link = e.node_ids.first().and_then(|n| idx.link(*n));
            let limit = table.limit_for(topic.0, urgency);
            let mut row = OrderRow {
                sla_limit: crate::order::sla::limit_text(limit),
                sla_start: crate::order::sla::text_of(created),
                ..Default::default()
            };
            row.due_at = crate::order::sla::compute_due(&cal, &row, &[])
                .and_then(|d| d.at)
                .map(crate::order::sla::utc_text);
            let new = NewOrder {
                enterprise_id: e.id,
                title: title.into(),
                description: format!(
                    "{}反映：{title}。（演示数据）",
                    e.contact_name
                        .clone()
                        .unwrap_or_else(|| "企业联络员".into())
                ),
                category: topic.0.into(),
                tags: if urgency == Urgency::Urgent {
                    vec!["紧急".into()]
                } else {
                    Vec::new()
                },
                urgency: urgency.as_str().into(),
                channel: channel.into(),
                node_id: link.map(|l| l.node_id),
                chain_id: link.map(|l| l.chain_id),
                visit_id: None,
                parent_id: None,
                state: OrderState::Registered.as_str().into(),
                department_id: lead,
                extension_json: r#"{"status":"none"}"#.into(),
                sla_limit: row.sla_limit.clone(),
                sla_start: row.sla_start.clone(),
                due_at: row.due_at.clone(),
                created_by: None,
                created_by_name: "演示数据".into(),
                created_at: crate::order::sla::text_of(created),
            };
            let co: Vec<i64> = if r.below(100) < 8 && depts.len() > 1 {
                let d = depts[r.below(depts.len() as u64) as usize];
                if Some(d) != lead { vec![d] } else { Vec::new() }
            } else {
                Vec::new()
            };
            let id = self
                .order_insert_in(&mut tx, actor, &new, &co, false)
                .await?;
            summary.orders += 1;
            let mut row = OrderRow {
                id,
                enterprise_id: e.id,
                state: new.state.clone(),
                department_id: lead,
                extension_json: new.extension_json.clone(),
                sla_limit: new.sla_limit.clone(),
                sla_start: new.sla_start.clone(),
                due_at: new.due_at.clone(),
                chain_id: new.chain_id,
                version: 1,
                ..Default::default()
            };
            let route = dept_code(lead);
            let wrong = dept_code(
                depts
                    .get(r.below(depts.len().max(1) as u64) as usize)
                    .copied(),
            );
            let text = |s: &str| s.to_string();
            let fine = if r.below(100) < 70 {
                Satisfaction::Satisfied
            } else {
                Satisfaction::BasicallySatisfied
            };
            let cb = |rating| OrderAction::Callback {
                rating,
                comment: text(match rating {
                    Satisfaction::Unsatisfied => "问题未实质解决，希望再协调",
                    _ => "感谢部门及时协调",
                }),
            };
            let resolve = OrderAction::Resolve {
                text: text("已协调相关单位办理完毕，并电话告知企业"),
            };
            let head = vec![
                (r.hours(1, 20), OrderAction::Accept),
                (
                    r.hours(1, 24),
                    OrderAction::Dispatch {
                        department: route.clone(),
                    },
                ),
                (r.hours(2, 40), OrderAction::Start),
            ];
            let handle = r.hours(20, 200);
            let tail = |x: Satisfaction| {
                vec![
                    (
                        Duration::hours(30),
                        OrderAction::Callback {
                            rating: x,
                            comment: text("感谢部门及时协调"),
                        },
                    ),
                    (Duration::hours(20), OrderAction::Close),
                ]
            };
            let path = r.below(100);
            let mut steps: Vec<(Duration, OrderAction)> = match path {
                0..55 => [head, vec![(handle, resolve.clone())], tail(fine)].concat(),
                55..65 => [
                    head,
                    vec![(
                        handle,
                        OrderAction::Reply {
                            text: text("已答复政策口径并提供办理指引"),
                        },
                    )],
                    tail(fine),
                ]
                .concat(),
                65..70 => [
                    vec![
                        (r.hours(1, 8), OrderAction::Accept),
                        (
                            r.hours(1, 6),
                            OrderAction::Reply {
                                text: text("中心直接答复：已告知申报渠道与材料清单"),
                            },
                        ),
                    ],
                    tail(fine),
                ]
                .concat(),
                70..76 => [
                    head,
                    vec![
                        (handle, resolve.clone()),
                        (Duration::hours(30), cb(Satisfaction::Unsatisfied)),
                        (r.hours(30, 150), resolve.clone()),
                    ],
                    tail(fine),
                ]
                .concat(),
                76..81 => [
                    head,
                    vec![
                        (
                            r.hours(4, 30),
                            OrderAction::Suspend {
                                reason: text("等待企业补充材料"),
                            },
                        ),
                        (r.hours(48, 400), OrderAction::Resume),
                        (handle, resolve.clone()),
                    ],
                    tail(fine),
                ]
                .concat(),
                81..85 => [
                    head,
                    vec![
                        (
                            r.hours(20, 60),
                            OrderAction::RequestExtension {
                                days: 5,
                                reason: text("需会同省级部门协调"),
                            },
                        ),
                        (r.hours(2, 20), OrderAction::ApproveExtension),
                        (handle + Duration::hours(60), resolve.clone()),
                    ],
                    tail(fine),
                ]
                .concat(),
                85..89 => [
                    vec![
                        (r.hours(1, 20), OrderAction::Accept),
                        (r.hours(1, 24), OrderAction::Dispatch { department: wrong }),
                        (
                            r.hours(2, 30),
                            OrderAction::Return {
                                reason: text("非本部门职责，请重新交办"),
                            },
                        ),
                        (
                            r.hours(2, 20),
                            OrderAction::Dispatch {
                                department: route.clone(),
                            },
                        ),
                        (r.hours(2, 30), OrderAction::Start),
                        (handle, resolve.clone()),
                    ],
                    tail(fine),
                ]
                .concat(),
                89..91 => vec![
                    (r.hours(1, 20), OrderAction::Accept),
                    (
                        r.hours(10, 80),
                        OrderAction::Withdraw {
                            reason: text("企业问题已自行解决，申请撤回"),
                        },
                    ),
                ],
                91..95 => [
                    head,
                    vec![(
                        handle,
                        OrderAction::Resolve {
                            text: text("已办结"),
                        },
                    )],
                    vec![(r.hours(20, 60), OrderAction::Close)],
                ]
                .concat(),
                _ => [
                    head,
                    vec![(
                        r.hours(300, 700),
                        OrderAction::Resolve {
                            text: text("经多部门协调，问题已解决"),
                        },
                    )],
                    tail(fine),
                ]
                .concat(),
            };
            // Not every enterprise is called back on time: some orders wait for the callback.
            if r.below(100) < 6 {
                steps.retain(|(_, a)| !matches!(a, OrderAction::Close));
            }
            // Some orders stall part-way whatever their age (waiting on a department, a return
            // not yet re-dispatched, an answer not yet called back): open work, some of it late.
            if r.below(100) < 9 {
                let keep = if (85..89).contains(&path) {
                    3 // returned as not theirs, waiting for re-dispatch
                } else {
                    r.below(steps.len() as u64) as usize
                };
                steps.truncate(keep);
            }
            let mut t = created;
            let mut pauses = Vec::new();
            for (delay, action) in steps {
                t += delay;
                if t > now {
                    break;
                }
                self.order_step(
                    &mut tx,
                    &idx,
                    &cal,
                    &mut row,
                    &mut pauses,
                    actor,
                    &action,
                    t,
                    false,
                )
                .await?;
                summary.events += 1;
            }
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "demo.orders",
                "order",
                None,
                None,
                Some(serde_json::json!({"orders": summary.orders, "events": summary.events, "seed": seed})),
            ),
        )
        .await?;
        tx.commit().await?;
        // Supervise the late ones; a second pass lifts the longest-late to the council level.
        for _ in 0..2 {
            let s = self.sla_scan(actor, now).await?;
            summary.supervised += s.supervised.len();
            summary.proposed += s.proposed.len();
        }
        Ok(summary)
    }
}
