//! The demo zone's service loop: eight "红色店小二" teams (one per key chain), their members drawn
//! from the district departments, 包联 of the demo enterprises, two years of indicators, a year
//! of visits, then a visit scan and some tasks already answered.
//!
//! Deterministic for `(seed, today)` in the style of `lianshi_domain::demo` (SplitMix64 per item).
//! Idempotent: teams, members and the year of visits are created only on the first load (when
//! team one does not exist yet); later loads assign new enterprises, fill missing indicators
//! and rescan, which creates nothing twice. All figures shown are computed from these records.

use crate::auth::hash_password;
use crate::zone::entry;
use crate::{Actor, App, AppResult};
use chrono::{Datelike, Duration, NaiveDate};
use lianshi_domain::demo::DEMO_PASSWORD;
use lianshi_domain::zone::RegistryKind;
use lianshi_store::audit::audit_append;
use lianshi_store::enterprise::{EnterpriseFilter, Slice};
use lianshi_store::team::{MemberWrite, TeamWrite, assignment_set, team_insert, team_set_members};
use lianshi_store::user::{NewUser, user_insert};
use lianshi_store::visit::{
    IndicatorRow, NewVisit, TaskFilter, indicator_upsert, visit_insert, visit_tasks_close,
};

/// At most this many enterprises are assigned by the demo (keeps a 1,000,000-enterprise demo
/// load quick; the rest stay unassigned, as in a zone still rolling 包联 out).
pub const DEMO_ASSIGN_LIMIT: i64 = 20_000;

const NUMERALS: [&str; 8] = ["一", "二", "三", "四", "五", "六", "七", "八"];
const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const GIVEN: [&str; 12] = [
    "建国", "晓明", "海燕", "志强", "丽华", "文博", "思远", "佳怡", "俊杰", "雨桐", "宏伟", "静怡",
];
const TOPICS: [&str; 10] = [
    "了解GPU芯片采购渠道紧张情况，协调算力券申领",
    "企业反映算法专利遭仿冒，介绍知识产权快速维权通道",
    "研发人员住房需求，对接人才公寓申请",
    "新一轮融资需求，推荐科技支行积分贷产品",
    "扩产需要新增厂房，了解园区可租面积",
    "高新技术企业认定材料准备，讲解申报要点",
    "出口订单受物流影响，对接商务部门",
    "党组织组建情况座谈，宣讲“双培双推”",
    "专精特新申报意向，梳理企业优势指标",
    "招聘应届生困难，对接高校就业中心",
];

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64 seeded per item, as in `lianshi_domain::demo`.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64, index: u64) -> Rng {
        Rng(mix64(
            seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ index.wrapping_mul(GOLDEN),
        ))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix64(self.0)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// True with probability `pct` percent.
    fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// `第一服务团队（视觉智能）` from a chain name like `视觉智能（数字安防）`.
fn team_name(i: usize, chain: &str) -> String {
    let short = chain
        .split(['（', '与', '('])
        .next()
        .unwrap_or(chain)
        .trim();
    format!("第{}服务团队（{short}）", NUMERALS[i % 8])
}

/// What the teams and visits demo did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DemoTeamsSummary {
    pub teams_created: bool,
    pub assigned: i64,
    pub visits: i64,
    pub tasks_created: i64,
}

impl App {
    /// Load the teams and visits demo on top of the demo zone (called by [`App::demo_load`]).
    pub async fn demo_teams(&self, actor: &Actor, seed: u64) -> AppResult<DemoTeamsSummary> {
        crate::team::perm::manage_teams(actor)?;
        let idx = self.registry().await?;
        let chains: Vec<_> = idx.of_kind(RegistryKind::Chain).cloned().collect();
        if chains.is_empty() {
            return Ok(DemoTeamsSummary::default());
        }
        let today = Self::today();
        let first_name = team_name(0, &chains[0].name);
        let mut summary = DemoTeamsSummary::default();
        let team_ids: Vec<i64> = match self.db.team_by_name(&first_name).await? {
            Some(_) => {
                let mut ids = Vec::new();
                for (i, c) in chains.iter().enumerate().take(8) {
                    if let Some(t) = self.db.team_by_name(&team_name(i, &c.name)).await? {
                        ids.push(t.id);
                    }
                }
                ids
            }
            None => {
                summary.teams_created = true;
                self.demo_create_teams(actor, seed, &chains).await?
            }
        };
        if team_ids.is_empty() {
            return Ok(summary);
        }
        let members = self.db.team_members(None).await?;
        let members_of = |t: i64| -> Vec<i64> {
            members
                .iter()
                .filter(|m| m.team_id == t)
                .map(|m| m.user_id)
                .collect()
        };
        let chain_team: std::collections::HashMap<i64, i64> = chains
            .iter()
            .take(team_ids.len())
            .zip(&team_ids)
            .map(|(c, t)| (c.id, *t))
            .collect();
        // 包联: each enterprise goes to the team of its first chain, others spread by id.
        let assigned_before = self.assigned_enterprises().await?;
        let mut plan: Vec<(i64, i64, Option<String>)> = Vec::new();
        let mut after = None;
        let mut seen = 0i64;
        'pages: loop {
            let rows = self
                .db
                .enterprise_list(
                    &EnterpriseFilter::default(),
                    Slice {
                        limit: 2_000,
                        offset: 0,
                        after,
                    },
                )
                .await?;
            for r in &rows {
                seen += 1;
                if seen > DEMO_ASSIGN_LIMIT {
                    break 'pages;
                }
                if assigned_before.contains(&r.id) {
                    continue;
                }
                let team = r
                    .node_ids
                    .first()
                    .and_then(|n| idx.link(*n))
                    .and_then(|l| chain_team.get(&l.chain_id).copied())
                    .unwrap_or(team_ids[(r.id as usize) % team_ids.len()]);
                plan.push((r.id, team, r.registered_on.clone()));
            }
            match rows.last() {
                Some(r) if rows.len() == 2_000 => after = Some(r.id),
                _ => break,
            }
        }
        let this_year = today.year();
        let mut tx = self.db.begin().await?;
        for (e, team, _) in &plan {
            let ms = members_of(*team);
            let mut rng = Rng::new(seed, 1, *e as u64);
            let contact = (!ms.is_empty()).then(|| ms[rng.below(ms.len() as u64) as usize]);
            assignment_set(tx.conn(), *e, Some(*team), contact, &actor.username, None).await?;
        }
        summary.assigned = plan.len() as i64;
        // Two years of indicators: the record's figures as last year, the year before derived;
        // about one in twelve enterprises fell by 22–45 %.
        for (e, _, _) in &plan {
            let Some(row) = self.db.enterprise_by_id(*e).await? else {
                continue;
            };
            let mut rng = Rng::new(seed, 2, *e as u64);
            let falling = rng.pct(8);
            let back = |v: i64, rng: &mut Rng| -> i64 {
                let pct = if falling {
                    100 + 28 + rng.below(54) as i64
                } else {
                    78 + rng.below(25) as i64
                };
                v * pct / 100
            };
            let prev = IndicatorRow {
                enterprise_id: *e,
                period: (this_year - 2).to_string(),
                revenue_fen: row.revenue_fen.map(|v| back(v, &mut rng)),
                headcount: row.headcount.map(|v| back(v, &mut rng)),
                tax_fen: row.tax_fen.map(|v| back(v, &mut rng)),
                ..Default::default()
            };
            let cur = IndicatorRow {
                enterprise_id: *e,
                period: (this_year - 1).to_string(),
                revenue_fen: row.revenue_fen,
                headcount: row.headcount,
                tax_fen: row.tax_fen,
                ..Default::default()
            };
            indicator_upsert(tx.conn(), &prev).await?;
            indicator_upsert(tx.conn(), &cur).await?;
        }
        // A year of visits, only on the first load.
        if summary.teams_created {
            for (e, team, registered) in &plan {
                let mut rng = Rng::new(seed, 3, *e as u64);
                let n = if rng.pct(48) {
                    1 + u64::from(rng.pct(15))
                } else {
                    0
                };
                let entered = registered
                    .as_deref()
                    .and_then(|r| NaiveDate::parse_from_str(r, "%Y-%m-%d").ok());
                let ms = members_of(*team);
                for _ in 0..n {
                    let on = today - Duration::days(1 + rng.below(365) as i64);
                    if entered.is_some_and(|d| on < d) || ms.is_empty() {
                        continue;
                    }
                    let a = ms[rng.below(ms.len() as u64) as usize];
                    let b = ms[rng.below(ms.len() as u64) as usize];
                    let topic = TOPICS[rng.below(TOPICS.len() as u64) as usize];
                    let attachments = if rng.pct(30) {
                        vec![format!("走访照片-{}.jpg", on.format("%Y%m%d"))]
                    } else {
                        Vec::new()
                    };
                    visit_insert(
                        tx.conn(),
                        &NewVisit {
                            enterprise_id: *e,
                            team_id: Some(*team),
                            visited_on: on.to_string(),
                            summary: topic.to_string(),
                            attachments,
                            participants: vec![a, b],
                            recorded_by: Some(a),
                            recorded_by_name: "示例数据".into(),
                        },
                    )
                    .await?;
                    summary.visits += 1;
                }
            }
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "demo.service",
                "team",
                None,
                None,
                crate::zone::json(&summary),
            ),
        )
        .await?;
        tx.commit().await?;
        let scan = self.visit_scan(actor, today).await?;
        summary.tasks_created = scan.created;
        if summary.teams_created {
            // Answering tasks with dated visits moves the periodic anchors; scan again so the
            // demo is in the state a daily scan would leave (and a reload creates nothing).
            self.demo_answer_tasks(seed, today).await?;
            summary.tasks_created += self.visit_scan(actor, today).await?.created;
        }
        Ok(summary)
    }

    /// Create the demo team members (sharing one password hash) and the eight teams.
    async fn demo_create_teams(
        &self,
        actor: &Actor,
        seed: u64,
        chains: &[lianshi_store::zone::RegistryRow],
    ) -> AppResult<Vec<i64>> {
        let idx = self.registry().await?;
        let depts: Vec<i64> = idx
            .of_kind(RegistryKind::Department)
            .map(|d| d.id)
            .collect();
        let hash = hash_password(DEMO_PASSWORD.to_string()).await?;
        let team_account = self.db.user_by_username("team").await?;
        let mut ids = Vec::new();
        let mut tx = self.db.begin().await?;
        for (i, chain) in chains.iter().enumerate().take(8) {
            let mut rng = Rng::new(seed, 4, i as u64);
            let mut members = Vec::new();
            for j in 0..3usize {
                let username = format!("team{}_{}", i + 1, j + 1);
                let dept = (!depts.is_empty()).then(|| depts[(i * 3 + j) % depts.len()]);
                let id = match self.db.user_by_username(&username).await? {
                    Some(u) => u.id,
                    None => {
                        let name = format!(
                            "{}{}（示例）",
                            SURNAMES[rng.below(12) as usize],
                            GIVEN[rng.below(12) as usize]
                        );
                        user_insert(
                            tx.conn(),
                            &NewUser {
                                username,
                                display_name: name,
                                role: "team".into(),
                                enterprise_id: None,
                                department_id: dept,
                                password_hash: hash.clone(),
                            },
                        )
                        .await?
                    }
                };
                members.push(MemberWrite {
                    user_id: id,
                    department_id: dept,
                });
            }
            if i == 0
                && let Some(u) = &team_account
            {
                members.push(MemberWrite {
                    user_id: u.id,
                    department_id: u.department_id,
                });
            }
            let t = team_insert(
                tx.conn(),
                &TeamWrite {
                    name: team_name(i, &chain.name),
                    leader_id: Some(members[0].user_id),
                    note: Some(format!("包联{}产业链企业（示例）", chain.name)),
                    active: true,
                },
            )
            .await?;
            team_set_members(tx.conn(), t, &members).await?;
            ids.push(t);
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "team.create",
                "team",
                None,
                None,
                Some(serde_json::json!({"demo_teams": ids})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Answer about a third of the open tasks with a visit after the trigger.
    async fn demo_answer_tasks(&self, seed: u64, today: NaiveDate) -> AppResult<()> {
        let (tasks, _) = self
            .db
            .visit_task_list(
                &TaskFilter {
                    status: Some("open".into()),
                    ..Default::default()
                },
                10_000,
                0,
            )
            .await?;
        let members = self.db.team_members(None).await?;
        let mut tx = self.db.begin().await?;
        for t in tasks {
            let mut rng = Rng::new(seed, 5, t.id as u64);
            if !rng.pct(35) {
                continue;
            }
            let Ok(from) = NaiveDate::parse_from_str(&t.triggered_on, "%Y-%m-%d") else {
                continue;
            };
            let on = (from + Duration::days(rng.below(15) as i64)).min(today);
            let who: Vec<i64> = members
                .iter()
                .filter(|m| Some(m.team_id) == t.team_id)
                .map(|m| m.user_id)
                .take(2)
                .collect();
            let v = visit_insert(
                tx.conn(),
                &NewVisit {
                    enterprise_id: t.enterprise_id,
                    team_id: t.team_id,
                    visited_on: on.to_string(),
                    summary: format!(
                        "{}：{}",
                        t.rule_name_zh,
                        TOPICS[rng.below(TOPICS.len() as u64) as usize]
                    ),
                    attachments: Vec::new(),
                    participants: who.clone(),
                    recorded_by: who.first().copied(),
                    recorded_by_name: "示例数据".into(),
                },
            )
            .await?;
            visit_tasks_close(tx.conn(), t.enterprise_id, Some(t.id), v, &on.to_string()).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
