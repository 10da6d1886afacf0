//! Demo councils: for each chain, the four quarterly meetings of the demo year (the year holding
//! the middle of the last twelve months), agendas drafted from the demo orders by the same use
//! case people use, and for the meetings already past: minutes, the enterprises of the agenda
//! invited, decisions on the agenda items with action items at various progress (older ones
//! mostly done), and one follow-on order per chain filed by its council.
//!
//! Deterministic for a seed; does nothing when councils exist already.

use crate::council::{AgendaRules, CouncilInput, DecisionInput, FollowOnInput, ProgressInput};
use crate::{Actor, App, AppResult};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use lianshi_domain::zone::RegistryKind;

/// What the council demo did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DemoCouncilsSummary {
    pub meetings: usize,
    pub held: usize,
    pub agenda_items: usize,
    pub actions: usize,
    pub actions_done: usize,
    pub follow_on_orders: usize,
}

fn mix(seed: u64, i: u64) -> u64 {
    let mut z = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const DECISIONS: [&str; 4] = [
    "由{d}牵头，会同联盟成员单位开展专项对接，{n}前形成解决方案并向企业反馈",
    "{d}负责建立问题清单和月度调度机制，逐家跟踪，{n}前办结",
    "{d}牵头组织供需对接会，协调链主企业与配套企业对接，{n}前完成",
    "{d}研究出台针对性支持措施，{n}前提交议事会审议",
];

impl App {
    /// Load the demo councils (called by [`App::demo_load`] after the orders demo).
    pub async fn demo_councils(&self, actor: &Actor, seed: u64) -> AppResult<DemoCouncilsSummary> {
        crate::council::perm::manage(actor)?;
        let mut s = DemoCouncilsSummary::default();
        if !self.db.council_list(None, None).await?.is_empty() {
            return Ok(s);
        }
        let today = Self::today();
        let year = (today - Duration::days(180)).year();
        let idx = self.registry().await?;
        let chains: Vec<String> = idx
            .of_kind(RegistryKind::Chain)
            .map(|c| c.code.clone().unwrap_or_else(|| c.id.to_string()))
            .collect();
        let depts: Vec<String> = idx
            .of_kind(RegistryKind::Department)
            .filter_map(|d| d.code.clone())
            .collect();
        if depts.is_empty() {
            return Ok(s);
        }
        let mut n = 0u64;
        for code in &chains {
            let meetings = self.council_schedule(actor, code, year).await?;
            s.meetings += meetings.len();
            let mut follow_on_done = false;
            for m in &meetings {
                let on = NaiveDate::parse_from_str(&m.scheduled_on, "%Y-%m-%d").unwrap_or(today);
                let view = self
                    .council_agenda_draft(actor, m.id, AgendaRules::default(), Utc::now())
                    .await?;
                s.agenda_items += view.agenda.len();
                if on > today {
                    continue;
                }
                // Past meeting: held, with minutes, the agenda's enterprises invited.
                let mut attendees: Vec<String> = view
                    .attendees
                    .iter()
                    .map(|a| format!("{}:{}", a.kind, a.id))
                    .collect();
                let mut ents = Vec::new();
                for item in &view.agenda {
                    for o in &item.orders {
                        if let Some(r) = self.db.order_get(o.id).await?
                            && !ents.contains(&r.uscc)
                            && ents.len() < 6
                        {
                            ents.push(r.uscc);
                        }
                    }
                }
                attendees.extend(ents.iter().map(|u| format!("enterprise:{u}")));
                let titles: Vec<String> = view.agenda.iter().map(|a| a.title.clone()).collect();
                // Decisions on the first three items, planned first so the minutes list them.
                let mut planned = Vec::new();
                for item in view.agenda.iter().take(3) {
                    n += 1;
                    let r = mix(seed, n);
                    // The owner is the department leading the item's first order, if any.
                    let owner = match item.orders.first() {
                        Some(o) => self
                            .db
                            .order_get(o.id)
                            .await?
                            .and_then(|r| r.department_id)
                            .and_then(|d| idx.get(d))
                            .and_then(|d| d.code.clone()),
                        None => None,
                    }
                    .unwrap_or_else(|| depts[(r % depts.len() as u64) as usize].clone());
                    let due = on + Duration::days(30 + (r % 4) as i64 * 15);
                    let owner_name = idx
                        .find(RegistryKind::Department, &owner)
                        .map(|d| d.name.clone())
                        .unwrap_or_default();
                    let decision = DECISIONS[(r >> 8) as usize % DECISIONS.len()]
                        .replace("{d}", &owner_name)
                        .replace("{n}", &due.to_string());
                    planned.push((item, r, owner, due, decision));
                }
                let decisions: Vec<String> = planned.iter().map(|p| p.4.clone()).collect();
                let minutes = crate::council::minutes_text(
                    &m.title,
                    on,
                    m.host.as_deref(),
                    &titles,
                    &decisions,
                );
                self.council_update(
                    actor,
                    m.id,
                    &CouncilInput {
                        status: Some("held".into()),
                        held_on: Some(on.to_string()),
                        minutes: Some(minutes),
                        // Registry attendees by id, which the resolver accepts.
                        attendees: Some(attendees),
                        ..Default::default()
                    },
                )
                .await?;
                s.held += 1;
                let age = (today - on).num_days();
                for (item, r, owner, due, decision) in planned {
                    let follow_on =
                        (!follow_on_done && !item.orders.is_empty()).then(|| FollowOnInput {
                            title: format!(
                                "议事会交办：{}",
                                crate::order::order_ref(item.orders[0].id)
                            ),
                            description: format!("根据议事会决议跟进：{}", item.title),
                            ..Default::default()
                        });
                    let made_follow_on = follow_on.is_some();
                    let at = (on.and_hms_opt(10, 0, 0).unwrap_or_default() - Duration::hours(8))
                        .and_utc();
                    let a = self
                        .council_decide(
                            actor,
                            m.id,
                            &DecisionInput {
                                decision,
                                department: owner,
                                due_on: due.to_string(),
                                item_id: Some(item.id),
                                follow_on,
                                ..Default::default()
                            },
                            at,
                        )
                        .await?;
                    if made_follow_on {
                        follow_on_done = true;
                        s.follow_on_orders += 1;
                    }
                    s.actions += 1;
                    // Older meetings: mostly done; recent ones: part-way.
                    let roll = (r >> 16) % 100;
                    let (progress, days) = if age > 150 && roll < 85 || age > 60 && roll < 45 {
                        (100, 20 + (r >> 24) as i64 % 40)
                    } else {
                        ([20, 40, 60, 80][((r >> 24) % 4) as usize], (age / 2).max(1))
                    };
                    let when = (on + Duration::days(days)).min(today);
                    self.council_action_progress(
                        actor,
                        a.id,
                        &ProgressInput {
                            progress,
                            note: if progress == 100 {
                                "已办结，企业反馈满意".into()
                            } else {
                                format!("已完成{progress}%，持续推进中")
                            },
                            version: Some(a.version),
                        },
                        when,
                    )
                    .await?;
                    if progress == 100 {
                        s.actions_done += 1;
                    }
                }
            }
        }
        Ok(s)
    }
}
