//! Service figures (服务成效) per team, department, chain and the whole zone over any period,
//! computed from the records every time (SQL aggregates in `store::service_report`; the rates
//! through [`lianshi_domain::service::rates`]; working days on the app's calendar).
//!
//! Definitions (also in [`definitions`], shown on the page and returned by the API):
//! * **visits**: visits dated in the period (走访记录).
//! * **visits_overdue**: visit tasks (三必访) due in the period and before today that were still
//!   open, or were closed by a visit dated after the due date. Not counted for departments.
//! * **orders_received**: orders registered in the period; **orders_solved**: of those, answered
//!   or resolved and not reopened since (`OrderState::is_handled`).
//! * **response_rate / resolution_rate / satisfaction_rate**: as documented in
//!   `lianshi_domain::service`, fractions 0–1, **`null` when there is nothing to count** (no
//!   orders, no callbacks) — never 0, which would read as a failure.
//! * **median_handling_days**: median working days (7.5-hour office days on the calendar, pauses
//!   excluded) from registration to the last answer, over the solved orders; `null` if none.
//! * **breaches**: orders registered in the period, not withdrawn, that were answered after their
//!   due time or are open past it now.
//! * **council_actions_closed**: council actions completed (100 %) in the period, by the chain of
//!   their council and their owner department. Not counted for teams.

use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use lianshi_domain::Role;
use lianshi_domain::order::Urgency;
use lianshi_domain::service::{RateCounts, rates};
use lianshi_domain::sla::{Pause, SlaClock};
use lianshi_domain::zone::RegistryKind;
use lianshi_store::service_report::{FigureCounts, Period};
pub use lianshi_store::service_report::{FigureDim, FigureRecord, Metric};
use std::collections::{BTreeMap, HashMap};

/// The figures of one group.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Figures {
    pub visits: i64,
    pub visits_overdue: i64,
    pub orders_received: i64,
    pub orders_solved: i64,
    pub response_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub median_handling_days: Option<f64>,
    pub breaches: i64,
    pub council_actions_closed: i64,
    /// The counts behind the three rates.
    pub rate_counts: RateCounts,
}

/// One group's figures, named, with the filter that reproduces its records.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FigureRow {
    /// Registry or team id; `null` for "none" (orders of unassigned enterprises…).
    pub id: Option<i64>,
    pub code: Option<String>,
    pub name: String,
    pub rank: Option<usize>,
    #[serde(flatten)]
    pub figures: Figures,
    /// Query string of the records behind these figures (add `metric=`), e.g.
    /// `dim=team&key=3&from=2025-01-01&to=2025-12-31`.
    pub filter: String,
}

/// The zone's figures with breakdowns and rankings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServiceReport {
    pub from: String,
    pub to: String,
    pub generated_at: String,
    #[serde(flatten)]
    pub zone: Figures,
    pub filter: String,
    /// Teams ranked by visits (desc), then overdue visits (asc), then resolution rate.
    pub by_team: Vec<FigureRow>,
    /// Departments ranked by resolution rate, then satisfaction rate, then response rate.
    pub by_department: Vec<FigureRow>,
    pub by_chain: Vec<FigureRow>,
    pub definitions: Vec<Definition>,
}

/// One documented figure.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Definition {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

/// The definitions shown with the figures.
pub fn definitions() -> Vec<Definition> {
    let d = |key, zh, en| Definition { key, zh, en };
    vec![
        d("visits", "期间内的走访记录数", "visits dated in the period"),
        d(
            "visits_overdue",
            "期间内到期且已逾期的三必访任务（仍未走访，或走访日期晚于期限）",
            "visit tasks due in the period that were visited late or are still open past due",
        ),
        d(
            "orders_received",
            "期间内登记的诉求工单",
            "orders registered in the period",
        ),
        d(
            "orders_solved",
            "其中已答复或办结且未被退回重办的工单",
            "of those, answered or resolved and not reopened since",
        ),
        d(
            "response_rate",
            "响应率 = 在受理时限内受理的工单 ÷（收到的工单 − 受理前撤回的工单）；无可计数时为空",
            "accepted within the acceptance limit ÷ (received − withdrawn before acceptance); null when nothing to count",
        ),
        d(
            "resolution_rate",
            "解决率 = 已解决工单 ÷（收到的工单 − 撤回的工单）；无可计数时为空",
            "solved ÷ (received − withdrawn); null when nothing to count",
        ),
        d(
            "satisfaction_rate",
            "满意率 =（满意 + 基本满意）÷ 期间内全部回访；无回访时为空",
            "(satisfied + basically satisfied) ÷ all callbacks in the period; null when none",
        ),
        d(
            "median_handling_days",
            "已解决工单从登记到答复的工作日中位数（按工作日历，扣除挂起）",
            "median working days from registration to answer of solved orders (calendar, pauses excluded)",
        ),
        d(
            "breaches",
            "期间内登记、未撤回，且超过办理时限答复或至今逾期未办的工单",
            "orders registered in the period, not withdrawn, answered late or open past due",
        ),
        d(
            "council_actions_closed",
            "期间内办结（进度100%）的议事会决议事项",
            "council actions completed (100 %) in the period",
        ),
    ]
}

/// Periods are whole days in China time.
pub fn period(from: NaiveDate, to: NaiveDate, now: DateTime<Utc>) -> AppResult<Period> {
    if to < from {
        return Err(AppError::bad(
            "period_invalid",
            "结束日期不能早于开始日期",
            "the end date is before the start date",
        ));
    }
    let midnight = |d: NaiveDate| crate::sla::utc_text(d.and_hms_opt(0, 0, 0).unwrap_or_default());
    Ok(Period {
        from_ts: midnight(from),
        to_ts: midnight(to + Duration::days(1)),
        from_date: from.to_string(),
        to_date: to.to_string(),
        today: (now + Duration::hours(8)).date_naive().to_string(),
        now_ts: crate::sla::text_of(now),
    })
}

/// Parse `YYYY-MM-DD`.
pub fn parse_day(field: &'static str, s: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::bad(
            "date_format",
            format!("{field}须为YYYY-MM-DD格式的日期"),
            format!("{field} must be a date YYYY-MM-DD"),
        )
    })
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    let m = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some((m * 100.0).round() / 100.0)
}

fn dim_name(d: FigureDim) -> &'static str {
    match d {
        FigureDim::Zone => "zone",
        FigureDim::Team => "team",
        FigureDim::Department => "department",
        FigureDim::Chain => "chain",
    }
}

/// Parse a dimension name.
pub fn parse_dim(s: &str) -> AppResult<FigureDim> {
    match s.trim() {
        "" | "zone" => Ok(FigureDim::Zone),
        "team" => Ok(FigureDim::Team),
        "department" => Ok(FigureDim::Department),
        "chain" => Ok(FigureDim::Chain),
        other => Err(AppError::bad(
            "dim_unknown",
            format!("未知统计维度“{other}”，可选：zone, team, department, chain"),
            format!("unknown dimension '{other}'; expected zone, team, department or chain"),
        )),
    }
}

/// Query string of a group's records.
pub fn filter_of(dim: FigureDim, key: Option<i64>, p: &Period) -> String {
    let k = match (dim, key) {
        (FigureDim::Zone, _) => String::new(),
        (_, Some(k)) => format!("&key={k}"),
        (_, None) => "&key=none".into(),
    };
    format!(
        "dim={}{k}&from={}&to={}",
        dim_name(dim),
        p.from_date,
        p.to_date
    )
}

/// The records behind one figure, as pages and the API list them.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RecordPage {
    pub metric: Metric,
    pub dim: FigureDim,
    pub key: Option<i64>,
    pub from: String,
    pub to: String,
    pub total: i64,
    pub items: Vec<FigureRecord>,
}

mod perm {
    use crate::{Actor, AppError, AppResult};
    use lianshi_domain::Role;
    use lianshi_store::service_report::FigureDim;

    /// Figures are aggregates: everyone working in the loop may read them.
    pub fn view(a: &Actor) -> AppResult<()> {
        if matches!(
            a.role,
            Role::Admin | Role::Department | Role::Team | Role::PartySecretary
        ) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Records are not: the centre sees all; a department officer its department's; a team
    /// member their team's.
    pub fn records(a: &Actor, my_teams: &[i64], dim: FigureDim, key: Option<i64>) -> AppResult<()> {
        let ok = match a.role {
            Role::Admin => true,
            Role::Department => {
                dim == FigureDim::Department && key.is_some() && key == a.department_id
            }
            Role::Team => dim == FigureDim::Team && key.is_some_and(|k| my_teams.contains(&k)),
            _ => false,
        };
        if ok { Ok(()) } else { Err(AppError::Forbidden) }
    }
}

impl App {
    /// Figures of every group of `dim` over `p`.
    async fn figures_by(
        &self,
        dim: FigureDim,
        p: &Period,
    ) -> AppResult<BTreeMap<Option<i64>, Figures>> {
        let counts = self.db.figure_counts(dim, p).await?;
        let timings = self.db.figure_timings(dim, p).await?;
        let pauses = self.db.figure_pauses(p).await?;
        let cal = self.calendar().await?;
        let table = self.sla_table().await?;
        let clock = SlaClock::new(&cal);
        let mut by_order: HashMap<i64, Vec<Pause>> = HashMap::new();
        for ps in pauses {
            if let Some(from) = crate::sla::local(&ps.from_at) {
                by_order.entry(ps.order_id).or_default().push(Pause {
                    from,
                    to: ps.to_at.as_deref().and_then(crate::sla::local),
                    reason: ps.reason,
                });
            }
        }
        let mut in_time: HashMap<Option<i64>, u64> = HashMap::new();
        let mut handling: HashMap<Option<i64>, Vec<f64>> = HashMap::new();
        for t in &timings {
            let Some(created) = crate::sla::local(&t.created_at) else {
                continue;
            };
            if let Some(acc) = t.accepted_at.as_deref().and_then(crate::sla::local) {
                let urgency = Urgency::parse(&t.urgency).unwrap_or(Urgency::Normal);
                let due = clock.due(created, table.accept_limit(urgency), 0, &[]);
                if due.ok().and_then(|d| d.at).is_some_and(|at| acc <= at) {
                    *in_time.entry(t.key).or_default() += 1;
                }
            }
            let handled = lianshi_domain::order::OrderState::parse(&t.state)
                .map(|s| s.is_handled())
                .unwrap_or(false);
            if handled && let Some(stop) = t.stopped_at.as_deref().and_then(crate::sla::local) {
                let ps = by_order.get(&t.id).map(Vec::as_slice).unwrap_or(&[]);
                if let Ok(d) = clock.elapsed_working_days(created, stop, ps) {
                    handling.entry(t.key).or_default().push(d);
                }
            }
        }
        let mut keys: Vec<Option<i64>> = counts.keys().copied().collect();
        for k in in_time.keys().chain(handling.keys()) {
            if !keys.contains(k) {
                keys.push(*k);
            }
        }
        let mut out = BTreeMap::new();
        for k in keys {
            let c: FigureCounts = counts.get(&k).copied().unwrap_or_default();
            let rc = RateCounts {
                received: c.orders_received.max(0) as u64,
                withdrawn_before_acceptance: c.withdrawn_before_acceptance.max(0) as u64,
                withdrawn: c.withdrawn.max(0) as u64,
                accepted_in_time: in_time.get(&k).copied().unwrap_or(0),
                solved: c.solved.max(0) as u64,
                satisfied: c.satisfied.max(0) as u64,
                basically_satisfied: c.basically_satisfied.max(0) as u64,
                unsatisfied: c.unsatisfied.max(0) as u64,
            };
            let r = rates(&rc);
            out.insert(
                k,
                Figures {
                    visits: c.visits,
                    visits_overdue: c.visits_overdue,
                    orders_received: c.orders_received,
                    orders_solved: c.solved,
                    response_rate: r.response_rate,
                    resolution_rate: r.resolution_rate,
                    satisfaction_rate: r.satisfaction_rate,
                    median_handling_days: median(handling.remove(&k).unwrap_or_default()),
                    breaches: c.breaches,
                    council_actions_closed: c.actions_closed,
                    rate_counts: rc,
                },
            );
        }
        Ok(out)
    }

    /// The zone's figures over `[from, to]` with breakdowns by team, department and chain and
    /// the rankings, as of `now`.
    pub async fn service_report(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> AppResult<ServiceReport> {
        perm::view(actor)?;
        let p = period(from, to, now)?;
        let idx = self.registry().await?;
        let zone = self
            .figures_by(FigureDim::Zone, &p)
            .await?
            .remove(&Some(0))
            .unwrap_or_default();
        let teams = self.db.team_list().await?;
        let mut by_team: Vec<FigureRow> = Vec::new();
        let team_figs = self.figures_by(FigureDim::Team, &p).await?;
        for t in &teams {
            by_team.push(FigureRow {
                id: Some(t.id),
                code: None,
                name: t.name.clone(),
                rank: None,
                figures: team_figs.get(&Some(t.id)).cloned().unwrap_or_default(),
                filter: filter_of(FigureDim::Team, Some(t.id), &p),
            });
        }
        by_team.sort_by(|a, b| {
            b.figures
                .visits
                .cmp(&a.figures.visits)
                .then(a.figures.visits_overdue.cmp(&b.figures.visits_overdue))
                .then(cmp_rate(
                    b.figures.resolution_rate,
                    a.figures.resolution_rate,
                ))
        });
        let dept_figs = self.figures_by(FigureDim::Department, &p).await?;
        let mut by_department: Vec<FigureRow> = idx
            .of_kind(RegistryKind::Department)
            .map(|d| FigureRow {
                id: Some(d.id),
                code: d.code.clone(),
                name: d.name.clone(),
                rank: None,
                figures: dept_figs.get(&Some(d.id)).cloned().unwrap_or_default(),
                filter: filter_of(FigureDim::Department, Some(d.id), &p),
            })
            .collect();
        by_department.sort_by(|a, b| {
            cmp_rate(b.figures.resolution_rate, a.figures.resolution_rate)
                .then(cmp_rate(
                    b.figures.satisfaction_rate,
                    a.figures.satisfaction_rate,
                ))
                .then(cmp_rate(b.figures.response_rate, a.figures.response_rate))
                .then(b.figures.orders_solved.cmp(&a.figures.orders_solved))
        });
        for rows in [&mut by_team, &mut by_department] {
            let mut n = 0;
            for r in rows.iter_mut() {
                // Only groups with something to rank get a place.
                if r.figures.visits > 0 || r.figures.orders_received > 0 {
                    n += 1;
                    r.rank = Some(n);
                }
            }
        }
        let chain_figs = self.figures_by(FigureDim::Chain, &p).await?;
        let by_chain = idx
            .of_kind(RegistryKind::Chain)
            .map(|c| FigureRow {
                id: Some(c.id),
                code: c.code.clone(),
                name: c.name.clone(),
                rank: None,
                figures: chain_figs.get(&Some(c.id)).cloned().unwrap_or_default(),
                filter: filter_of(FigureDim::Chain, Some(c.id), &p),
            })
            .collect();
        Ok(ServiceReport {
            from: p.from_date.clone(),
            to: p.to_date.clone(),
            generated_at: p.now_ts.clone(),
            zone,
            filter: filter_of(FigureDim::Zone, None, &p),
            by_team,
            by_department,
            by_chain,
            definitions: definitions(),
        })
    }

    /// The records that make one figure (`metric`) of one group.
    #[allow(clippy::too_many_arguments)]
    pub async fn service_records(
        &self,
        actor: &Actor,
        metric: Metric,
        dim: FigureDim,
        key: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
        limit: i64,
    ) -> AppResult<RecordPage> {
        let mine = if actor.role == Role::Team {
            self.my_teams(actor).await?
        } else {
            Vec::new()
        };
        perm::records(actor, &mine, dim, key)?;
        let p = period(from, to, now)?;
        let key = if dim == FigureDim::Zone { Some(0) } else { key };
        let (items, total) = self.db.figure_records(metric, dim, key, &p, limit).await?;
        Ok(RecordPage {
            metric,
            dim,
            key,
            from: p.from_date,
            to: p.to_date,
            total,
            items,
        })
    }
}

/// Rates compared with "nothing to count" last.
fn cmp_rate(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two_and_none_when_empty() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn a_period_covers_whole_china_days_and_refuses_an_end_before_the_start() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let p = period(d("2025-01-01"), d("2025-12-31"), Utc::now()).unwrap();
        assert_eq!(p.from_ts, "2024-12-31T16:00:00.000Z");
        assert_eq!(p.to_ts, "2025-12-31T16:00:00.000Z");
        assert!(period(d("2025-02-01"), d("2025-01-01"), Utc::now()).is_err());
    }

    #[test]
    fn a_rate_with_nothing_to_count_ranks_below_any_rate() {
        assert_eq!(cmp_rate(Some(0.0), None), std::cmp::Ordering::Greater);
        assert_eq!(cmp_rate(Some(0.5), Some(0.7)), std::cmp::Ordering::Less);
    }
}
