//! SLA configuration and the escalation job.
//!
//! * The category taxonomy (with its routing to a lead department) and the SLA table live in the
//!   database, seeded on first use from `lianshi_domain::category::default_taxonomy`,
//!   `SlaTable::default()` and [`DEFAULT_ROUTING`]; seeding only adds what is missing, so an
//!   administrator's edits survive. An order keeps the limit it was created under (`sla_limit`),
//!   so changing the table never silently moves an existing deadline.
//! * Times: rows keep RFC 3339 UTC; the SLA clock runs on China-local time (UTC+8, no DST).
//! * [`App::sla_scan`] is the job (CLI `lianshi sla scan`): every open order past its due time is
//!   supervised (督办) one level higher whenever its overdue time has reached the next step
//!   ([`ESCALATION_STEP_DAYS`] working days per level), and an order at level
//!   [`COUNCIL_LEVEL`] or higher is proposed to its chain's council (`council_proposals`; an
//!   officer's manual supervision to that level proposes the order in the same step).
//!   Running the scan twice at the same moment changes nothing the second time.

use crate::order::{job_actor, order_ref, perm, snapshot, step_records};
use crate::zone::entry;
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, NaiveDateTime, Utc};
use lianshi_domain::calendar::Calendar;
use lianshi_domain::category::{ServiceCategory, category_code, default_taxonomy};
use lianshi_domain::order::{MAX_SUPERVISION_LEVEL, OrderAction, Urgency, apply};
use lianshi_domain::sla::{Due, Pause, SlaClock, SlaLimit, SlaTable};
use lianshi_domain::zone::RegistryKind;
use lianshi_store::audit::{AuditEntry, audit_append};
use lianshi_store::now_text;
use lianshi_store::order::{
    CategoryRow, EventRow, OrderRow, PauseRow, ProposalRow, SlaLimitRow, SuperviseWrite,
    council_propose_many, order_audit_many, order_category_put, order_category_seed,
    order_event_insert_many, order_supervise_batch, sla_limit_put, sla_limit_seed,
};
use std::collections::{HashMap, HashSet};

/// Working days of overdue time per supervision level: level 1 as soon as an order is late,
/// level 2 after 5 more working days, and so on.
pub const ESCALATION_STEP_DAYS: i64 = 5;
/// Supervision level at which an order still open is proposed to its chain's council.
pub const COUNCIL_LEVEL: i64 = 2;
/// SLA-table key of the per-urgency default limit.
pub const DEFAULT_KEY: &str = "*";
/// SLA-table key of the acceptance limit (used by the response rate).
pub const ACCEPT_KEY: &str = "@accept";

/// Default routing of categories to the demo zone's department codes (`lianshi_domain::demo`).
pub const DEFAULT_ROUTING: [(&str, &str); 9] = [
    ("supply_chain", "jxj"),
    ("ip", "scjgj"),
    ("talent", "rsj"),
    ("financing", "jrb"),
    ("land", "ghzyj"),
    ("policy", "fgj"),
    ("approval", "sjzyj"),
    ("market", "swj"),
    ("other", "jxj"),
];

/// RFC 3339 UTC text as stored.
pub fn text_of(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Stored UTC text → China-local time.
pub fn local(ts: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|d| d.naive_utc() + chrono::Duration::hours(8))
}

/// The SLA clock's reading at China-local `t`: `t` itself inside an office period of a working
/// day, otherwise the end of the last office period before it (a period that starts exactly at
/// `t` has not yet counted any time). A due time is past this reading exactly when working time
/// has run since it, which is what the overdue badge ([`SlaClock::breach`]) counts; the overdue
/// list filter compares stored due times with it so the two agree. Looks back at most a year.
pub fn clock_reading(cal: &Calendar, t: NaiveDateTime) -> NaiveDateTime {
    let hours = lianshi_domain::sla::OfficeHours::default();
    let mut day = t.date();
    for _ in 0..370 {
        if cal.is_workday(day) {
            for (a, b) in hours.periods().iter().rev() {
                let (start, end) = (day.and_time(*a), day.and_time(*b));
                if start < t {
                    return end.min(t);
                }
            }
        }
        match day.pred_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    t
}

/// China-local time → stored UTC text.
pub fn utc_text(t: NaiveDateTime) -> String {
    text_of((t - chrono::Duration::hours(8)).and_utc())
}

/// `10d` / `8h`, the stored form of a limit.
pub fn limit_text(l: SlaLimit) -> String {
    match l {
        SlaLimit::WorkingDays(n) => format!("{n}d"),
        SlaLimit::WorkingHours(n) => format!("{n}h"),
    }
}

/// The due time of a stored order under its own limit, extensions and pauses.
pub fn compute_due(cal: &Calendar, row: &OrderRow, pauses: &[PauseRow]) -> Option<Due> {
    let start = local(&row.sla_start)?;
    let limit = SlaLimit::parse(&row.sla_limit).ok()?;
    let ps: Vec<Pause> = pauses
        .iter()
        .filter_map(|p| {
            Some(Pause {
                from: local(&p.from_at)?,
                to: p.to_at.as_deref().and_then(local),
                reason: p.reason.clone(),
            })
        })
        .collect();
    SlaClock::new(cal)
        .due(
            start,
            limit,
            u32::try_from(row.extension_days).unwrap_or(0),
            &ps,
        )
        .ok()
}

/// A category as shown and edited.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryView {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub department_code: Option<String>,
    pub department: Option<String>,
    pub sort: i64,
    pub active: bool,
}

/// Create or edit a category (codes `[a-z][a-z0-9_]*`).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CategoryInput {
    pub code: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    /// Lead department code or name; empty clears the routing.
    pub department: Option<String>,
    pub sort: Option<i64>,
    pub active: Option<bool>,
}

/// One SLA-table entry as shown.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlaLimitView {
    /// A category code, `*` (default) or `@accept` (acceptance limit).
    pub category: String,
    pub urgency: Urgency,
    pub limit: String,
    pub label_zh: String,
    pub label_en: String,
    pub updated_at: String,
}

/// Set one SLA limit.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SlaLimitInput {
    pub category: String,
    /// `normal` / `urgent` (一般/紧急).
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::urgency))]
    pub urgency: String,
    /// `5d`, `8h`, `5个工作日`…
    pub limit: String,
}

/// What one scan did.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = SlaScanReport))]
pub struct ScanReport {
    pub at: String,
    pub open_orders: usize,
    pub overdue: usize,
    /// (order ref, new level).
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::text_count_pairs))]
    pub supervised: Vec<(String, u8)>,
    /// Order refs newly proposed to their chain's council.
    pub proposed: Vec<String>,
    /// Orders skipped because someone acted on them during the scan.
    pub conflicts: usize,
}

fn table_rows(t: &SlaTable, at: &str) -> Vec<SlaLimitRow> {
    let mut rows: Vec<SlaLimitRow> = t
        .entries
        .iter()
        .map(|e| SlaLimitRow {
            category: e.category.clone(),
            urgency: e.urgency.as_str().into(),
            sla_limit: limit_text(e.limit),
            updated_at: at.into(),
        })
        .collect();
    for (key, u, l) in [
        (DEFAULT_KEY, Urgency::Normal, t.default_normal),
        (DEFAULT_KEY, Urgency::Urgent, t.default_urgent),
        (ACCEPT_KEY, Urgency::Normal, t.accept_normal),
        (ACCEPT_KEY, Urgency::Urgent, t.accept_urgent),
    ] {
        rows.push(SlaLimitRow {
            category: key.into(),
            urgency: u.as_str().into(),
            sla_limit: limit_text(l),
            updated_at: at.into(),
        });
    }
    rows
}

impl App {
    /// Seed the taxonomy, its routing and the SLA table if they were never seeded.
    pub async fn order_config_ensure(&self) -> AppResult<()> {
        if !self.db.order_categories().await?.is_empty() {
            return Ok(());
        }
        let idx = self.registry().await?;
        let at = now_text();
        let rows: Vec<CategoryRow> = default_taxonomy()
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let dept = DEFAULT_ROUTING
                    .iter()
                    .find(|(k, _)| *k == c.code)
                    .and_then(|(_, d)| idx.find(RegistryKind::Department, d))
                    .map(|d| d.id);
                CategoryRow {
                    code: c.code,
                    name_zh: c.name_zh,
                    name_en: c.name_en,
                    department_id: dept,
                    sort: i as i64 * 10,
                    active: true,
                    updated_at: at.clone(),
                }
            })
            .collect();
        let mut tx = self.db.begin().await?;
        order_category_seed(tx.conn(), &rows).await?;
        sla_limit_seed(tx.conn(), &table_rows(&SlaTable::default(), &at)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The SLA table as configured.
    pub async fn sla_table(&self) -> AppResult<SlaTable> {
        self.order_config_ensure().await?;
        let mut t = SlaTable {
            entries: Vec::new(),
            ..SlaTable::default()
        };
        for r in self.db.sla_limits().await? {
            let (Ok(u), Ok(l)) = (Urgency::parse(&r.urgency), SlaLimit::parse(&r.sla_limit)) else {
                continue;
            };
            match (r.category.as_str(), u) {
                (DEFAULT_KEY, Urgency::Normal) => t.default_normal = l,
                (DEFAULT_KEY, Urgency::Urgent) => t.default_urgent = l,
                (ACCEPT_KEY, Urgency::Normal) => t.accept_normal = l,
                (ACCEPT_KEY, Urgency::Urgent) => t.accept_urgent = l,
                (c, u) => t.entries.push(lianshi_domain::sla::SlaEntry {
                    category: c.into(),
                    urgency: u,
                    limit: l,
                }),
            }
        }
        Ok(t)
    }

    /// The taxonomy with routing.
    pub async fn order_categories(&self, actor: &Actor) -> AppResult<Vec<CategoryView>> {
        perm::view_config(actor)?;
        self.order_config_ensure().await?;
        let idx = self.registry().await?;
        Ok(self
            .db
            .order_categories()
            .await?
            .into_iter()
            .map(|c| {
                let d = c.department_id.and_then(|d| idx.get(d));
                CategoryView {
                    code: c.code,
                    name_zh: c.name_zh,
                    name_en: c.name_en,
                    department_code: d.and_then(|d| d.code.clone()),
                    department: d.map(|d| d.name.clone()),
                    sort: c.sort,
                    active: c.active,
                }
            })
            .collect())
    }

    /// Create or edit a category and its routing (admin).
    pub async fn order_category_put(
        &self,
        actor: &Actor,
        inp: &CategoryInput,
    ) -> AppResult<CategoryView> {
        perm::edit_config(actor)?;
        self.order_config_ensure().await?;
        let code =
            category_code(inp.code.as_deref().unwrap_or("")).map_err(AppError::from_invalid)?;
        let existing = self
            .db
            .order_categories()
            .await?
            .into_iter()
            .find(|c| c.code == code);
        let name_zh = inp
            .name_zh
            .clone()
            .or_else(|| existing.as_ref().map(|c| c.name_zh.clone()))
            .unwrap_or_default();
        let name_en = inp
            .name_en
            .clone()
            .or_else(|| existing.as_ref().map(|c| c.name_en.clone()))
            .unwrap_or_else(|| name_zh.clone());
        let valid =
            ServiceCategory::new(&code, &name_zh, &name_en).map_err(AppError::from_invalid)?;
        let idx = self.registry().await?;
        let department_id = match inp.department.as_deref().map(str::trim) {
            Some("") => None,
            Some(d) => Some(Self::department_of(&idx, d)?),
            None => existing.as_ref().and_then(|c| c.department_id),
        };
        let row = CategoryRow {
            code: valid.code,
            name_zh: valid.name_zh,
            name_en: valid.name_en,
            department_id,
            sort: inp
                .sort
                .or(existing.as_ref().map(|c| c.sort))
                .unwrap_or(1000),
            active: inp
                .active
                .or(existing.as_ref().map(|c| c.active))
                .unwrap_or(true),
            updated_at: now_text(),
        };
        let mut tx = self.db.begin().await?;
        order_category_put(tx.conn(), &row).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "order_category.put",
                "order_category",
                Some(row.code.clone()),
                existing.as_ref().and_then(crate::zone::json),
                crate::zone::json(&row),
            ),
        )
        .await?;
        tx.commit().await?;
        self.order_categories(actor)
            .await?
            .into_iter()
            .find(|c| c.code == row.code)
            .ok_or_else(|| AppError::NotFound(row.code.clone()))
    }

    /// The SLA table as stored.
    pub async fn sla_limits(&self, actor: &Actor) -> AppResult<Vec<SlaLimitView>> {
        perm::view_config(actor)?;
        self.order_config_ensure().await?;
        Ok(self
            .db
            .sla_limits()
            .await?
            .into_iter()
            .filter_map(|r| {
                let u = Urgency::parse(&r.urgency).ok()?;
                let l = SlaLimit::parse(&r.sla_limit).ok()?;
                Some(SlaLimitView {
                    category: r.category,
                    urgency: u,
                    limit: limit_text(l),
                    label_zh: l.label_zh(),
                    label_en: l.label_en(),
                    updated_at: r.updated_at,
                })
            })
            .collect())
    }

    /// Set one SLA limit (admin). Applies to orders created from now on.
    pub async fn sla_limit_set(
        &self,
        actor: &Actor,
        inp: &SlaLimitInput,
    ) -> AppResult<SlaLimitView> {
        perm::edit_config(actor)?;
        self.order_config_ensure().await?;
        let cat = inp.category.trim();
        if cat != DEFAULT_KEY && cat != ACCEPT_KEY {
            let known = self.db.order_categories().await?;
            if !known.iter().any(|c| c.code == cat) {
                return Err(AppError::bad(
                    "category_unknown",
                    format!("未知诉求分类“{cat}”"),
                    format!("unknown category '{cat}'"),
                ));
            }
        }
        let u = Urgency::parse(&inp.urgency).map_err(AppError::from_invalid)?;
        let l = SlaLimit::parse(&inp.limit).map_err(AppError::from_invalid)?;
        let row = SlaLimitRow {
            category: cat.into(),
            urgency: u.as_str().into(),
            sla_limit: limit_text(l),
            updated_at: now_text(),
        };
        let mut tx = self.db.begin().await?;
        sla_limit_put(tx.conn(), &row).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "sla_limit.set",
                "sla_limit",
                Some(format!("{}/{}", row.category, row.urgency)),
                None,
                crate::zone::json(&row),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(SlaLimitView {
            category: row.category,
            urgency: u,
            limit: row.sla_limit,
            label_zh: l.label_zh(),
            label_en: l.label_en(),
            updated_at: row.updated_at,
        })
    }

    /// The escalation job at `now` (see the module header). Admin or the CLI.
    ///
    /// Orders due before the SLA clock's reading are overdue by their stored due time; the store
    /// returns only the open orders whose level could rise (due at least `5 × level` working days
    /// before the reading, a cut computed once per level) or that had a pause after their due
    /// time (an order supervised by hand to a council level was proposed by that step). Each of
    /// those is decided exactly as [`App::order_step`] would (due time recomputed with its
    /// pauses, the domain's `apply` for the state check), and the writes — rows
    /// (version-checked), history, audit, proposals — go in one transaction as multi-row
    /// statements.
    pub async fn sla_scan(&self, actor: &Actor, now: DateTime<Utc>) -> AppResult<ScanReport> {
        perm::run_sla_scan(actor)?;
        let idx = self.registry().await?;
        let cal = self.calendar().await?;
        let clock = SlaClock::new(&cal);
        let day = clock.hours.day_minutes().max(1);
        let now_local = now.naive_utc() + chrono::Duration::hours(8);
        let reading_local = clock_reading(&cal, now_local);
        let reading = utc_text(reading_local);
        let cuts: Vec<String> = (0..i64::from(MAX_SUPERVISION_LEVEL))
            .map(|l| {
                if l == 0 {
                    reading.clone()
                } else {
                    scan_cut(&clock, now_local, reading_local, l * ESCALATION_STEP_DAYS)
                }
            })
            .collect();
        let (open_n, late_n) = self.db.order_scan_counts(&reading).await?;
        let (rows, pause_rows) = self.db.order_scan_candidates(&reading, &cuts).await?;
        let mut pauses: HashMap<i64, Vec<PauseRow>> = HashMap::new();
        for p in pause_rows {
            pauses.entry(p.order_id).or_default().push(p);
        }
        let job = job_actor("sla_scan");
        let at_text = text_of(now);
        let mut report = ScanReport {
            at: at_text.clone(),
            open_orders: usize::try_from(open_n).unwrap_or(0),
            overdue: usize::try_from(late_n).unwrap_or(0),
            ..Default::default()
        };
        // (row after the step, proposed already, the step's history and audit entries)
        let mut decided: Vec<(OrderRow, bool, Option<Step>)> = Vec::new();
        let mut writes: Vec<SuperviseWrite> = Vec::new();
        let (mut paused_candidates, mut paused_late) = (0usize, 0usize);
        for cand in rows {
            let mut row = cand.order;
            let ps = pauses.remove(&row.id).unwrap_or_default();
            let paused_after_due = row.due_at.as_deref().is_some_and(|due| {
                ps.iter()
                    .any(|p| p.to_at.as_deref().is_none_or(|to| to > due))
            });
            if paused_after_due {
                paused_candidates += 1;
            }
            let Some(due) = compute_due(&cal, &row, &ps) else {
                continue;
            };
            let Some(breach) = clock.breach(&due, now_local) else {
                continue;
            };
            if paused_after_due {
                // Counted by the store as late by its due time; only here decided exactly.
                paused_late += 1;
            }
            let target = (1 + breach.overdue_working_minutes / day / ESCALATION_STEP_DAYS)
                .min(i64::from(MAX_SUPERVISION_LEVEL));
            let mut step = None;
            if target > row.supervision_level {
                let level =
                    u8::try_from(row.supervision_level + 1).unwrap_or(MAX_SUPERVISION_LEVEL);
                let action = OrderAction::Supervise { level };
                let before = snapshot(&row, &idx);
                let previous_due_at = row.due_at.clone();
                let t = apply(&before, &action).map_err(AppError::from_invalid)?;
                row.state = t.snapshot.state.as_str().into();
                row.supervision_level = i64::from(t.snapshot.supervision_level);
                // Supervision changes neither the start, the limit, the extensions nor the
                // pauses: the due time is the one just computed.
                row.due_at = due.at.map(utc_text);
                row.updated_at = at_text.clone();
                writes.push(SuperviseWrite {
                    id: row.id,
                    expected_version: row.version,
                    level: row.supervision_level,
                    due_at: row.due_at.clone(),
                    previous_due_at,
                });
                step = Some(step_records(
                    &job,
                    &row,
                    &before,
                    &action,
                    &t,
                    &at_text,
                    row.version,
                ));
            }
            decided.push((row, cand.proposed, step));
        }
        report.overdue = (report.overdue + paused_late).saturating_sub(paused_candidates);
        let mut tx = self.db.begin_large(SCAN_CACHE_MIB).await?;
        let done: HashSet<i64> = order_supervise_batch(tx.conn(), &writes, &at_text)
            .await?
            .into_iter()
            .collect();
        let mut events = Vec::with_capacity(done.len());
        let mut audits = Vec::with_capacity(done.len());
        let mut proposals = Vec::new();
        for (row, proposed, step) in decided {
            if let Some((event, audit)) = step {
                if !done.contains(&row.id) {
                    report.conflicts += 1;
                    continue;
                }
                report.supervised.push((
                    order_ref(row.id),
                    u8::try_from(row.supervision_level).unwrap_or(MAX_SUPERVISION_LEVEL),
                ));
                events.push(event);
                audits.push(audit);
            }
            if !proposed && let Some(p) = council_proposal(&row, &at_text) {
                proposals.push(p);
            }
        }
        order_event_insert_many(tx.conn(), &events).await?;
        order_audit_many(tx.conn(), &audits).await?;
        let new: HashSet<i64> = council_propose_many(tx.conn(), &proposals)
            .await?
            .into_iter()
            .collect();
        report.proposed = proposals
            .iter()
            .filter(|p| new.contains(&p.order_id))
            .map(|p| order_ref(p.order_id))
            .collect();
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "sla.scan",
                "order",
                None,
                None,
                crate::zone::json(&report),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// The council proposal an open order at `row`'s level calls for, if any: orders at
/// [`COUNCIL_LEVEL`] or higher go to their chain's council (proposed once; the store ignores
/// repeats). Used by the scan and by a manual supervision.
pub(crate) fn council_proposal(row: &OrderRow, at: &str) -> Option<ProposalRow> {
    (row.supervision_level >= COUNCIL_LEVEL).then(|| ProposalRow {
        order_id: row.id,
        chain_id: row.chain_id,
        level: row.supervision_level,
        proposed_at: at.to_string(),
    })
}

/// Page cache of the scan's write transaction: ~3 random pages an escalation (the order row and
/// the history and audit index leaves) stay in memory until the commit up to ~20,000 escalations.
const SCAN_CACHE_MIB: u32 = 256;

/// One supervision decided by the scan: its history entry and audit entry.
type Step = (EventRow, AuditEntry);

/// Stored UTC text of an instant at or after the latest due time that is at least `days` working
/// days overdue at `now` (China-local; `reading` is the clock's reading there), so the store's
/// `due_at <= cut` keeps every order whose level may rise and hardly any other: an order due
/// later cannot be that late, since pauses only shorten overdue time (orders paused after their
/// due time are read separately). The overdue time is what [`SlaClock::breach`] counts — working
/// seconds from the due time, rounded up to minutes — and falls as the due time moves later, so
/// the boundary is found by bisection to the second (the cut is one second past it). A bound
/// for the query; the scan decides exactly. A cut one calendar day wide (the previous bound)
/// read every order due on the boundary day: ~3,000 rows a scan with nothing to do at a
/// million orders.
fn scan_cut(clock: &SlaClock, now: NaiveDateTime, reading: NaiveDateTime, days: i64) -> String {
    let need = days * clock.hours.day_minutes();
    // ceil(seconds / 60) >= need  <=>  seconds > 60 (need - 1); `working_minutes` floors, so
    // asking for floor >= need - 1 (seconds >= 60 (need - 1)) keeps a superset.
    let late_enough = |due: NaiveDateTime| {
        clock
            .working_minutes(due, now, &[])
            .is_ok_and(|m| m >= need - 1)
    };
    let mut lo = reading - chrono::Duration::days(days * 3 + 40);
    if !late_enough(lo) {
        return coarse_cut(clock.calendar, reading, days);
    }
    let mut hi = reading;
    while (hi - lo) > chrono::Duration::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if late_enough(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    utc_text(hi + chrono::Duration::seconds(1))
}

/// Midnight after the day `days` working days before `reading` (a working day holds at most one
/// day of working time): a looser bound, used if the calendar cannot be walked that far.
fn coarse_cut(cal: &Calendar, reading: NaiveDateTime, days: i64) -> String {
    let mut d = reading.date();
    let mut n = 0;
    for _ in 0..(days * 3 + 3700) {
        if cal.is_workday(d) {
            n += 1;
            if n >= days {
                break;
            }
        }
        match d.pred_opt() {
            Some(p) => d = p,
            None => break,
        }
    }
    let next = d.succ_opt().unwrap_or(d);
    utc_text(next.and_hms_opt(0, 0, 0).unwrap_or(reading))
}
