//! Service figures (服务成效) per team, department, chain and the whole zone over any period,
//! computed from the records every time (SQL aggregates in `store::service_figures`; the rates
//! through [`lianshi_domain::service_figures::rates`]; working days on the app's calendar).
//!
//! Definitions (also in [`definitions`], shown on the page and returned by the API):
//! * **visits**: visits dated in the period (走访记录).
//! * **visits_overdue**: visit tasks (三必访) due in the period and before today that were still
//!   open, or were closed by a visit dated after the due date. Not counted for departments.
//! * **orders_received**: orders registered in the period; **orders_solved**: of those, answered
//!   or resolved and not reopened since (`OrderState::is_handled`).
//! * **response_rate / resolution_rate / satisfaction_rate**: as documented in
//!   `lianshi_domain::service_figures`, fractions 0–1, **`null` when there is nothing to count**
//!   (no orders, no callbacks) — never 0, which would read as a failure.
//! * **median_handling_days**: median working days (7.5-hour office days on the calendar, pauses
//!   excluded) from registration to the last answer, over the solved orders; `null` if none.
//! * **breaches**: orders registered in the period, not withdrawn, that were answered after their
//!   due time or are open past it now.
//! * **council_actions_closed**: council actions completed (100 %) in the period, by the chain of
//!   their council and their owner department. Not counted for teams.

use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use lianshi_domain::Role;
use lianshi_domain::order::{OrderState, Urgency};
use lianshi_domain::service_figures::{RateCounts, rates};
use lianshi_domain::sla::{Pause, SlaClock, SlaTable};
use lianshi_domain::zone::RegistryKind;
use lianshi_store::service_figures::{FigureCounts, Period};
pub use lianshi_store::service_figures::{FigureDim, FigureRecord, Metric};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The figures of one group.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ServiceFigures))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    let midnight =
        |d: NaiveDate| crate::order::sla::utc_text(d.and_hms_opt(0, 0, 0).unwrap_or_default());
    Ok(Period {
        from_ts: midnight(from),
        to_ts: midnight(to + Duration::days(1)),
        from_date: from.to_string(),
        to_date: to.to_string(),
        today: (now + Duration::hours(8)).date_naive().to_string(),
        now_ts: crate::order::sla::text_of(now),
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
    // Selection instead of a sort: the same middle values, in linear time.
    let n = v.len();
    let (left, mid, _) = v.select_nth_unstable_by(n / 2, |a, b| a.total_cmp(b));
    let hi = *mid;
    let m = if n % 2 == 1 {
        hi
    } else {
        let lo = left
            .iter()
            .copied()
            .max_by(|a, b| a.total_cmp(b))
            .unwrap_or(hi);
        (lo + hi) / 2.0
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordPage {
    pub metric: Metric,
    pub dim: FigureDim,
    pub key: Option<i64>,
    pub from: String,
    pub to: String,
    pub total: i64,
    pub items: Vec<FigureRecord>,
}

/// Who may do what.
pub mod perm;

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
            if let Some(from) = crate::order::sla::local(&ps.from_at) {
                by_order.entry(ps.order_id).or_default().push(Pause {
                    from,
                    to: ps.to_at.as_deref().and_then(crate::order::sla::local),
                    reason: ps.reason,
                });
            }
        }
        let mut in_time: HashMap<Option<i64>, u64> = HashMap::new();
        let mut handling: HashMap<Option<i64>, Vec<f64>> = HashMap::new();
        for t in &timings {
            let Some(created) = crate::order::sla::local(&t.created_at) else {
                continue;
            };
            if let Some(acc) = t.accepted_at.as_deref().and_then(crate::order::sla::local) {
                let urgency = Urgency::parse(&t.urgency).unwrap_or(Urgency::Normal);
                let due = clock.due(created, table.accept_limit(urgency), 0, &[]);
                if due.ok().and_then(|d| d.at).is_some_and(|at| acc <= at) {
                    *in_time.entry(t.key).or_default() += 1;
                }
            }
            let handled = lianshi_domain::order::OrderState::parse(&t.state)
                .map(|s| s.is_handled())
                .unwrap_or(false);
            if handled
                && let Some(stop) = t.stopped_at.as_deref().and_then(crate::order::sla::local)
            {
                let ps = by_order.get(&t.id).map(Vec::as_slice).unwrap_or(&[]);
                if let Ok(d) = clock.elapsed_working_days(created, stop, ps) {
                    handling.entry(t.key).or_default().push(d);
                }
            }
        }
        Ok(assemble(counts, in_time, handling))
    }

    /// The zone's figures over `[from, to]` with breakdowns by team, department and chain and
    /// the rankings, as of `now`. Order and callback figures come from the facts kept in memory
    /// ([`FiguresCache`], refreshed from the store first); visits, visit tasks and council
    /// actions from SQL aggregates.
    pub async fn service_figures(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> AppResult<ServiceReport> {
        perm::view(actor)?;
        let p = period(from, to, now)?;
        let [zone, team, dept, chain] = self.figures_fast(&p).await?;
        self.report_from(&p, zone, team, dept, chain).await
    }

    /// [`Self::service_figures`] computed straight from the records (four passes of SQL
    /// aggregates and a calendar walk per order): the reference the fast path is tested against.
    #[doc(hidden)]
    pub async fn service_figures_recomputed(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> AppResult<ServiceReport> {
        perm::view(actor)?;
        let p = period(from, to, now)?;
        let zone = self.figures_by(FigureDim::Zone, &p).await?;
        let team = self.figures_by(FigureDim::Team, &p).await?;
        let dept = self.figures_by(FigureDim::Department, &p).await?;
        let chain = self.figures_by(FigureDim::Chain, &p).await?;
        self.report_from(&p, zone, team, dept, chain).await
    }

    async fn report_from(
        &self,
        p: &Period,
        mut zone_figs: FigureMap,
        team_figs: FigureMap,
        dept_figs: FigureMap,
        chain_figs: FigureMap,
    ) -> AppResult<ServiceReport> {
        let p = p.clone();
        let idx = self.registry().await?;
        let zone = zone_figs.remove(&Some(0)).unwrap_or_default();
        let teams = self.db.team_list().await?;
        let mut by_team: Vec<FigureRow> = Vec::new();
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

/// The order and callback facts behind the figures, kept in the app's memory so a report is one
/// pass over memory instead of SQL aggregates and a calendar walk per order on every request.
///
/// Freshness: every order write stamps the row with the `orders` change counter
/// (`orders.figures_rev`); before each report the cache reads the counter and, if it moved,
/// reloads only the rows written since (with their callbacks and pauses) — also rows written by
/// other processes. Calendar-dependent facts (acceptance in time, handling days) are recomputed
/// when the calendar or the acceptance limits change; the team of each enterprise is reloaded
/// when the 包联 assignments change. The first report of a process loads everything (seconds
/// at a million orders; `serve` can warm it up with [`App::service_figures_warm`]).
#[derive(Default)]
pub struct FiguresCache {
    state: tokio::sync::Mutex<Option<FigState>>,
}

#[derive(Default)]
struct FigState {
    /// The `orders` counter when last refreshed, and the highest row revision loaded.
    generation: i64,
    rev: i64,
    /// Calendar and acceptance limits the derived facts were computed on.
    basis: String,
    team_stamp: (i64, i64, i64),
    teams: HashMap<i64, i64, IdHash>,
    slots: HashMap<i64, usize, IdHash>,
    orders: Vec<OrderFig>,
    callbacks: Vec<CallbackFig>,
    pauses: HashMap<i64, Vec<Pause>>,
}

#[derive(Debug, Clone, Default)]
struct OrderFig {
    id: i64,
    enterprise_id: i64,
    /// The enterprise's 包联 team (refreshed when assignments change).
    team_id: Option<i64>,
    department_id: Option<i64>,
    chain_id: Option<i64>,
    urgent: bool,
    state: Option<OrderState>,
    /// Epoch milliseconds (UTC).
    created: i64,
    accepted: Option<i64>,
    stopped: Option<i64>,
    due: Option<i64>,
    /// Derived on the calendar: accepted within the acceptance limit; working days from
    /// registration to the answer of a handled order.
    in_time: bool,
    handling_days: Option<f64>,
}

#[derive(Debug, Clone, Copy)]
struct CallbackFig {
    slot: usize,
    at: i64,
    department_id: Option<i64>,
    /// 0 satisfied, 1 basically satisfied, 2 unsatisfied.
    rating: u8,
}

fn millis(ts: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// Epoch milliseconds → China-local time, as `sla::local` reads stored text.
fn local_of(ms: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms).map(|d| d.naive_utc() + Duration::hours(8))
}

impl OrderFig {
    fn derive(&mut self, clock: &SlaClock, table: &SlaTable, pauses: &[Pause]) {
        self.in_time = false;
        self.handling_days = None;
        let Some(created) = local_of(self.created) else {
            return;
        };
        if let Some(acc) = self.accepted.and_then(local_of) {
            let urgency = if self.urgent {
                Urgency::Urgent
            } else {
                Urgency::Normal
            };
            let due = clock.due(created, table.accept_limit(urgency), 0, &[]);
            self.in_time = due.ok().and_then(|d| d.at).is_some_and(|at| acc <= at);
        }
        if self.state.is_some_and(|s| s.is_handled())
            && let Some(stop) = self.stopped.and_then(local_of)
        {
            self.handling_days = clock.elapsed_working_days(created, stop, pauses).ok();
        }
    }
}

/// Recompute the calendar-derived facts of `orders` (those at `only`, or all), on two threads.
fn derive_all(
    orders: &mut [OrderFig],
    only: Option<&[usize]>,
    pauses: &HashMap<i64, Vec<Pause>>,
    clock: &SlaClock,
    table: &SlaTable,
) {
    let one = |f: &mut OrderFig| {
        let ps = pauses.get(&f.id).map(Vec::as_slice).unwrap_or(&[]);
        f.derive(clock, table, ps);
    };
    match only {
        Some(slots) if slots.len() < 10_000 => {
            for &s in slots {
                if let Some(f) = orders.get_mut(s) {
                    one(f);
                }
            }
        }
        _ => {
            // A full (re)computation: all orders, split in two.
            let mid = orders.len() / 2;
            let (a, b) = orders.split_at_mut(mid);
            std::thread::scope(|sc| {
                sc.spawn(|| a.iter_mut().for_each(one));
                b.iter_mut().for_each(one);
            });
        }
    }
}

/// A multiplicative hash for the pass's integer keys (SipHash costs more than the pass).
#[derive(Default, Clone, Copy)]
struct IdHash;

#[derive(Default)]
struct IdHasher(u64);

impl std::hash::BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// One group's running totals in a pass.
#[derive(Default)]
struct Acc {
    counts: FigureCounts,
    in_time: u64,
    handling: Vec<f64>,
}

impl App {
    /// Load (or refresh) the figures kept in memory now, e.g. when `serve` starts.
    pub async fn service_figures_warm(&self) -> AppResult<()> {
        let mut g = self.figures.state.lock().await;
        self.figures_refresh(&mut g).await
    }

    async fn figures_refresh(&self, g: &mut Option<FigState>) -> AppResult<()> {
        let generation = self.db.order_generation().await?;
        let cal = self.calendar().await?;
        let table = self.sla_table().await?;
        let basis = format!(
            "{cal:?}|{:?}|{:?}",
            table.accept_normal, table.accept_urgent
        );
        let clock = SlaClock::new(&cal);
        let st = g.get_or_insert_with(FigState::default);
        let full = st.orders.is_empty() && st.generation == 0 && st.rev == 0;
        if full || generation != st.generation {
            let since = if full { None } else { Some(st.rev) };
            let (orders, callbacks, pauses) = self.db.figure_order_facts(since).await?;
            let mut changed: HashSet<usize> = HashSet::new();
            for o in &orders {
                st.pauses.remove(&o.id);
            }
            for ps in pauses {
                if let Some(from) = crate::order::sla::local(&ps.from_at) {
                    st.pauses.entry(ps.order_id).or_default().push(Pause {
                        from,
                        to: ps.to_at.as_deref().and_then(crate::order::sla::local),
                        reason: ps.reason,
                    });
                }
            }
            for o in orders {
                st.rev = st.rev.max(o.rev);
                let mut f = OrderFig {
                    id: o.id,
                    enterprise_id: o.enterprise_id,
                    department_id: o.department_id,
                    chain_id: o.chain_id,
                    urgent: Urgency::parse(&o.urgency).unwrap_or(Urgency::Normal)
                        == Urgency::Urgent,
                    state: OrderState::parse(&o.state).ok(),
                    // An unreadable time keeps the order out of every period.
                    created: millis(&o.created_at).unwrap_or(i64::MIN),
                    accepted: o.accepted_at.as_deref().and_then(millis),
                    stopped: o.stopped_at.as_deref().and_then(millis),
                    due: o.due_at.as_deref().and_then(millis),
                    ..Default::default()
                };
                f.team_id = st.teams.get(&f.enterprise_id).copied();
                let slot = match st.slots.get(&f.id) {
                    Some(&s) => {
                        st.orders[s] = f;
                        s
                    }
                    None => {
                        st.slots.insert(f.id, st.orders.len());
                        st.orders.push(f);
                        st.orders.len() - 1
                    }
                };
                changed.insert(slot);
            }
            if !full && !changed.is_empty() {
                st.callbacks.retain(|c| !changed.contains(&c.slot));
            }
            if st.basis == basis {
                let mut slots: Vec<usize> = changed.into_iter().collect();
                slots.sort_unstable();
                derive_all(&mut st.orders, Some(&slots), &st.pauses, &clock, &table);
            }
            for c in callbacks {
                let (Some(&slot), Some(at)) = (st.slots.get(&c.order_id), millis(&c.at)) else {
                    continue;
                };
                st.callbacks.push(CallbackFig {
                    slot,
                    at,
                    department_id: c.department_id,
                    rating: match c.rating.as_str() {
                        "satisfied" => 0,
                        "basically_satisfied" => 1,
                        _ => 2,
                    },
                });
            }
            st.generation = generation;
        }
        if st.basis != basis {
            derive_all(&mut st.orders, None, &st.pauses, &clock, &table);
            st.basis = basis;
        }
        let stamp = self.db.figure_team_stamp().await?;
        if stamp != st.team_stamp || st.teams.is_empty() {
            st.teams = self.db.assignment_pairs().await?.into_iter().collect();
            st.team_stamp = stamp;
            let teams = &st.teams;
            for f in st.orders.iter_mut() {
                f.team_id = teams.get(&f.enterprise_id).copied();
            }
        }
        Ok(())
    }

    /// Figures of the zone, by team, by department and by chain over `p`: one pass over the
    /// facts in memory for orders and callbacks, SQL aggregates for the rest.
    async fn figures_fast(&self, p: &Period) -> AppResult<[FigureMap; 4]> {
        const DIMS: [FigureDim; 4] = [
            FigureDim::Zone,
            FigureDim::Team,
            FigureDim::Department,
            FigureDim::Chain,
        ];
        // The SQL aggregates (visits, tasks, actions) run on other connections meanwhile.
        let db = self.db.clone();
        let pa = p.clone();
        let activity = tokio::spawn(async move {
            tokio::try_join!(
                db.figure_activity(DIMS[0], &pa),
                db.figure_activity(DIMS[1], &pa),
                db.figure_activity(DIMS[2], &pa),
                db.figure_activity(DIMS[3], &pa),
            )
        });
        let mut accs: [HashMap<Option<i64>, Acc, IdHash>; 4] = Default::default();
        {
            let mut g = self.figures.state.lock().await;
            self.figures_refresh(&mut g).await?;
            let Some(st) = g.as_ref() else {
                return Err(AppError::NotFound("figures".into()));
            };
            let (Some(from), Some(to), Some(now)) =
                (millis(&p.from_ts), millis(&p.to_ts), millis(&p.now_ts))
            else {
                return Err(AppError::bad(
                    "period_invalid",
                    "统计期间无效",
                    "invalid period",
                ));
            };
            for o in &st.orders {
                if o.created < from || o.created >= to {
                    continue;
                }
                let keys = [Some(0), o.team_id, o.department_id, o.chain_id];
                let withdrawn = o.state == Some(OrderState::Withdrawn);
                let solved = o.state.is_some_and(|s| s.is_handled());
                let open = o.state.is_some_and(|s| s.is_open());
                let breach = !withdrawn
                    && o.due.is_some_and(|due| match o.stopped {
                        Some(stop) => stop > due,
                        None => open && due < now,
                    });
                for (acc, k) in accs.iter_mut().zip(keys) {
                    let a = acc.entry(k).or_default();
                    a.counts.orders_received += 1;
                    if withdrawn {
                        a.counts.withdrawn += 1;
                        if o.accepted.is_none() {
                            a.counts.withdrawn_before_acceptance += 1;
                        }
                    }
                    if solved {
                        a.counts.solved += 1;
                    }
                    if breach {
                        a.counts.breaches += 1;
                    }
                    if o.in_time {
                        a.in_time += 1;
                    }
                    if let Some(d) = o.handling_days {
                        a.handling.push(d);
                    }
                }
            }
            for c in &st.callbacks {
                if c.at < from || c.at >= to {
                    continue;
                }
                let Some(o) = st.orders.get(c.slot) else {
                    continue;
                };
                let keys = [Some(0), o.team_id, c.department_id, o.chain_id];
                for (acc, k) in accs.iter_mut().zip(keys) {
                    let a = &mut acc.entry(k).or_default().counts;
                    match c.rating {
                        0 => a.satisfied += 1,
                        1 => a.basically_satisfied += 1,
                        _ => a.unsatisfied += 1,
                    }
                }
            }
        }
        let (a0, a1, a2, a3) = activity
            .await
            .map_err(|e| AppError::Internal(format!("figures: {e}")))??;
        let mut out: [FigureMap; 4] = Default::default();
        for (i, mut counts) in [a0, a1, a2, a3].into_iter().enumerate() {
            let mut in_time = HashMap::new();
            let mut handling = HashMap::new();
            for (k, a) in std::mem::take(&mut accs[i]) {
                let c = counts.entry(k).or_default();
                c.orders_received = a.counts.orders_received;
                c.withdrawn = a.counts.withdrawn;
                c.withdrawn_before_acceptance = a.counts.withdrawn_before_acceptance;
                c.solved = a.counts.solved;
                c.breaches = a.counts.breaches;
                c.satisfied = a.counts.satisfied;
                c.basically_satisfied = a.counts.basically_satisfied;
                c.unsatisfied = a.counts.unsatisfied;
                if a.in_time > 0 {
                    in_time.insert(k, a.in_time);
                }
                if !a.handling.is_empty() {
                    handling.insert(k, a.handling);
                }
            }
            out[i] = assemble(counts, in_time, handling);
        }
        Ok(out)
    }
}

/// Figures of one dimension, by group key.
type FigureMap = BTreeMap<Option<i64>, Figures>;

/// Figures of every group from its counts, its orders accepted in time and its handling times.
fn assemble(
    counts: BTreeMap<Option<i64>, FigureCounts>,
    in_time: HashMap<Option<i64>, u64>,
    mut handling: HashMap<Option<i64>, Vec<f64>>,
) -> FigureMap {
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
    out
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
