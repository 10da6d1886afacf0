//! SLA arithmetic on the working-day calendar: due times, breaches and elapsed working time.
//!
//! All times are China-local `NaiveDateTime` (the zone runs on Asia/Shanghai, which has no daylight
//! saving). The clock runs only during office hours on working days ([`OfficeHours`], by default
//! 08:30–12:00 and 13:30–17:30 = 7.5 h) and stops while the order is suspended (挂起, a [`Pause`]).
//!
//! Both kinds of limit become a budget of working seconds that the clock consumes:
//! * `WorkingDays(n)`: "by the close of office on the n-th working day after the start date"
//!   (the start date never counts; [`Calendar::add_workdays`]). The budget is the working time from
//!   the start to that close; pauses then push the due time out by the working time they cover.
//!   A 3-working-day pause therefore moves the due time by exactly 3 working days, while a pause
//!   over a weekend or a holiday moves it by nothing.
//! * `WorkingHours(h)`: h hours of office time.
//!
//! An approved extension (延期) adds working days: to `n` for a day limit, and whole office days
//! ([`OfficeHours::day_minutes`]) for an hour limit.
//!
//! A breach is measured in working time after the due time, so an order due at Friday 17:30 is not
//! breached over the weekend; it is breached from Monday 08:30. Pauses after the due time stop the
//! overdue count too.

use std::fmt;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use crate::calendar::{Calendar, fallback_note};
use crate::error::Invalid;
use crate::order::Urgency;

/// The walk refuses to look further than this many calendar days ahead (about 30 years): a due
/// time beyond that is a data error, and the bound keeps a scan of many orders fast.
const MAX_WALK_DAYS: i64 = 11_000;

/// A time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "unit", content = "value", rename_all = "snake_case")]
pub enum SlaLimit {
    WorkingDays(u32),
    WorkingHours(u32),
}

impl SlaLimit {
    /// `5个工作日`, `8个工作小时`.
    pub fn label_zh(self) -> String {
        match self {
            SlaLimit::WorkingDays(n) => format!("{n}个工作日"),
            SlaLimit::WorkingHours(n) => format!("{n}个工作小时"),
        }
    }

    pub fn label_en(self) -> String {
        match self {
            SlaLimit::WorkingDays(n) => format!("{n} working days"),
            SlaLimit::WorkingHours(n) => format!("{n} working hours"),
        }
    }

    /// The compact form used in configuration: `5d` or `8h`. Also accepts `5个工作日`, `8小时`.
    pub fn parse(s: &str) -> Result<SlaLimit, Invalid> {
        let t = s.trim();
        let bad = || {
            Invalid::new(
                "sla_limit_format",
                format!("时限“{s}”格式不对，应为如“5d”（工作日）或“8h”（工作小时）"),
                format!("limit '{s}' should look like '5d' (working days) or '8h' (working hours)"),
            )
        };
        let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        let unit = t[digits.len()..].trim();
        let n: u32 = digits.parse().map_err(|_| bad())?;
        if n > 1000 {
            return Err(bad());
        }
        match unit {
            "d" | "个工作日" | "工作日" => Ok(SlaLimit::WorkingDays(n)),
            "h" | "个工作小时" | "工作小时" | "小时" => Ok(SlaLimit::WorkingHours(n)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for SlaLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlaLimit::WorkingDays(n) => write!(f, "{n}d"),
            SlaLimit::WorkingHours(n) => write!(f, "{n}h"),
        }
    }
}

/// The office day: one to four periods, ascending and not overlapping.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OfficeHours {
    periods: Vec<(NaiveTime, NaiveTime)>,
}

impl Default for OfficeHours {
    /// 08:30–12:00 and 13:30–17:30 (7.5 working hours), a common 杭州 government office day.
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        OfficeHours {
            periods: vec![(t(8, 30), t(12, 0)), (t(13, 30), t(17, 30))],
        }
    }
}

impl OfficeHours {
    pub fn new(periods: Vec<(NaiveTime, NaiveTime)>) -> Result<OfficeHours, Invalid> {
        if periods.is_empty() || periods.len() > 4 {
            return Err(Invalid::new(
                "office_hours_periods",
                "办公时间须为1至4个时段",
                "office hours need one to four periods",
            ));
        }
        let mut prev_end: Option<NaiveTime> = None;
        for (a, b) in &periods {
            if a >= b || prev_end.is_some_and(|p| *a < p) {
                return Err(Invalid::new(
                    "office_hours_order",
                    format!("办公时段{a}–{b}无效：须开始早于结束，且按时间先后不重叠"),
                    format!(
                        "office period {a}–{b} is invalid: must start before it ends, ascending, no overlap"
                    ),
                ));
            }
            prev_end = Some(*b);
        }
        Ok(OfficeHours { periods })
    }

    pub fn periods(&self) -> &[(NaiveTime, NaiveTime)] {
        &self.periods
    }

    /// Working minutes in one office day (450 by default).
    pub fn day_minutes(&self) -> i64 {
        self.day_seconds() / 60
    }

    fn day_seconds(&self) -> i64 {
        self.periods
            .iter()
            .map(|(a, b)| (*b - *a).num_seconds())
            .sum()
    }

    /// Close of office (end of the last period).
    pub fn close(&self) -> NaiveTime {
        self.periods.last().map(|p| p.1).unwrap_or_default()
    }
}

/// A stretch of time during which the SLA clock is stopped (挂起). `to: None` means still suspended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pause {
    pub from: NaiveDateTime,
    pub to: Option<NaiveDateTime>,
    pub reason: String,
}

/// A computed due time and how it came about.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Due {
    pub start: NaiveDateTime,
    /// When the order is due; `None` while an open pause has stopped the clock before the budget
    /// ran out (see `stopped_since` and `remaining_working_minutes`).
    pub at: Option<NaiveDateTime>,
    pub limit: SlaLimit,
    pub extension_days: u32,
    /// The whole working-time budget, extensions included.
    pub budget_working_minutes: i64,
    /// Working minutes covered by pauses between the start and the due time (or the open pause).
    pub paused_working_minutes: i64,
    /// Start of the open pause that stopped the clock.
    pub stopped_since: Option<NaiveDateTime>,
    /// Budget left when the clock stopped (never negative: a pause that starts after the due time
    /// leaves `at` set and only freezes the overdue count).
    pub remaining_working_minutes: Option<i64>,
    /// Years counted Monday–Friday because no schedule is loaded.
    pub fallback_years: Vec<i32>,
    /// Bilingual lines, Chinese first: limit, extension, pauses, fallback years, result.
    pub explanation: Vec<String>,
    /// The pauses as used: sorted, merged, clipped to the start.
    pub pauses: Vec<Pause>,
}

/// How late an order is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Breach {
    /// Working minutes past the due time, rounded up, at least 1.
    pub overdue_working_minutes: i64,
    /// The due time's explanation followed by the overdue line.
    pub explanation: Vec<String>,
}

/// The clock: a calendar plus office hours.
#[derive(Debug, Clone)]
pub struct SlaClock<'a> {
    pub calendar: &'a Calendar,
    pub hours: OfficeHours,
}

fn fmt_time(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// `2小时30分` / `2 h 30 min`.
pub fn format_working_minutes(m: i64) -> (String, String) {
    let sign = if m < 0 { "-" } else { "" };
    let m = m.abs();
    let (h, min) = (m / 60, m % 60);
    match (h, min) {
        (0, _) => (format!("{sign}{min}分钟"), format!("{sign}{min} min")),
        (_, 0) => (format!("{sign}{h}小时"), format!("{sign}{h} h")),
        _ => (
            format!("{sign}{h}小时{min}分"),
            format!("{sign}{h} h {min} min"),
        ),
    }
}

fn invalid_pause(p: &Pause) -> Invalid {
    Invalid::new(
        "sla_pause_reversed",
        format!(
            "挂起时段无效：结束{}早于开始{}",
            fmt_time(p.to.unwrap_or(p.from)),
            fmt_time(p.from)
        ),
        format!(
            "invalid pause: ends {} before it starts {}",
            fmt_time(p.to.unwrap_or(p.from)),
            fmt_time(p.from)
        ),
    )
}

fn too_far() -> Invalid {
    Invalid::new(
        "sla_out_of_range",
        "时限计算超出可计算范围（约30年）",
        "the deadline lies beyond the computable range (about 30 years)",
    )
}

/// Sorts, validates, clips to `start` and merges pauses. Everything after an open pause is inside it.
fn normalize(start: NaiveDateTime, pauses: &[Pause]) -> Result<Vec<Pause>, Invalid> {
    let mut v: Vec<Pause> = Vec::with_capacity(pauses.len());
    for p in pauses {
        if p.to.is_some_and(|to| to < p.from) {
            return Err(invalid_pause(p));
        }
        if p.to.is_some_and(|to| to <= start) {
            continue;
        }
        let mut p = p.clone();
        p.from = p.from.max(start);
        v.push(p);
    }
    v.sort_by_key(|p| p.from);
    let mut out: Vec<Pause> = Vec::with_capacity(v.len());
    for p in v {
        if let Some(last) = out.last_mut() {
            match last.to {
                None => continue,
                Some(end) if p.from <= end => {
                    last.to = p.to.map(|t| t.max(end));
                    if !p.reason.is_empty() && !last.reason.contains(&p.reason) {
                        last.reason = format!("{}；{}", last.reason, p.reason);
                    }
                    continue;
                }
                Some(_) => {}
            }
        }
        out.push(p);
    }
    Ok(out)
}

/// What stopped a walk over working time.
enum Walk {
    /// The budget ran out at this instant.
    Reached(NaiveDateTime),
    /// An open pause began at `at` with `left` seconds of budget left after `used` were consumed.
    Stopped {
        at: NaiveDateTime,
        left: i64,
        used: i64,
    },
    /// `until` was reached; seconds consumed.
    Until(i64),
}

impl<'a> SlaClock<'a> {
    /// The default office day on `calendar`.
    pub fn new(calendar: &'a Calendar) -> SlaClock<'a> {
        SlaClock {
            calendar,
            hours: OfficeHours::default(),
        }
    }

    pub fn with_hours(calendar: &'a Calendar, hours: OfficeHours) -> SlaClock<'a> {
        SlaClock { calendar, hours }
    }

    /// Office periods of working day `d` as datetimes.
    fn periods_on(
        &self,
        d: NaiveDate,
    ) -> impl Iterator<Item = (NaiveDateTime, NaiveDateTime)> + '_ {
        let work = self.calendar.is_workday(d);
        self.hours
            .periods
            .iter()
            .filter(move |_| work)
            .map(move |(a, b)| (d.and_time(*a), d.and_time(*b)))
    }

    /// Walks unpaused working time from `from`, consuming `budget` seconds (`None` = unlimited),
    /// until the budget is used up, an open pause stops the clock, or `until` is reached.
    fn walk(
        &self,
        from: NaiveDateTime,
        budget: Option<i64>,
        until: Option<NaiveDateTime>,
        pauses: &[Pause],
    ) -> Result<Walk, Invalid> {
        let mut left = budget.unwrap_or(i64::MAX);
        let mut used = 0i64;
        if left == 0 {
            return Ok(Walk::Reached(from));
        }
        let mut day = from.date();
        let mut pi = 0usize;
        for _ in 0..MAX_WALK_DAYS {
            for (mut a, b) in self.periods_on(day) {
                if b <= from {
                    continue;
                }
                a = a.max(from);
                // Cut [a, b) by the pauses, which are sorted and disjoint.
                while a < b {
                    if let Some(u) = until
                        && a >= u
                    {
                        return Ok(Walk::Until(used));
                    }
                    while pi < pauses.len() && pauses[pi].to.is_some_and(|t| t <= a) {
                        pi += 1;
                    }
                    let seg_end = match pauses.get(pi) {
                        Some(p) if p.from <= a => match p.to {
                            None => {
                                return Ok(Walk::Stopped {
                                    at: p.from,
                                    left,
                                    used,
                                });
                            }
                            Some(t) => {
                                a = t.min(b);
                                continue;
                            }
                        },
                        Some(p) if p.from < b => p.from,
                        _ => b,
                    };
                    let seg_end = match until {
                        Some(u) if u < seg_end => u,
                        _ => seg_end,
                    };
                    let len = (seg_end - a).num_seconds();
                    if len >= left {
                        return Ok(Walk::Reached(a + Duration::seconds(left)));
                    }
                    left -= len;
                    used += len;
                    a = seg_end;
                    if until.is_some_and(|u| seg_end >= u) {
                        return Ok(Walk::Until(used));
                    }
                }
            }
            if let Some(u) = until
                && day >= u.date()
            {
                return Ok(Walk::Until(used));
            }
            day = day.succ_opt().ok_or_else(too_far)?;
        }
        Err(too_far())
    }

    fn working_seconds(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
        pauses: &[Pause],
    ) -> Result<i64, Invalid> {
        if to <= from {
            return Ok(0);
        }
        match self.walk(from, None, Some(to), pauses)? {
            Walk::Until(s) => Ok(s),
            // An open pause stops the count at its start.
            Walk::Stopped { used, .. } => Ok(used),
            Walk::Reached(_) => Ok(0),
        }
    }

    /// Working minutes in `[from, to)` outside the pauses (0 if `to <= from`).
    pub fn working_minutes(
        &self,
        from: NaiveDateTime,
        to: NaiveDateTime,
        pauses: &[Pause],
    ) -> Result<i64, Invalid> {
        let p = normalize(from, pauses)?;
        Ok(self.working_seconds(from, to, &p)? / 60)
    }

    /// Working time from `start` to `end` outside the pauses, in office days (7.5 h = 1.0 by
    /// default). Used for the median handling time.
    pub fn elapsed_working_days(
        &self,
        start: NaiveDateTime,
        end: NaiveDateTime,
        pauses: &[Pause],
    ) -> Result<f64, Invalid> {
        let p = normalize(start, pauses)?;
        let secs = self.working_seconds(start, end, &p)?;
        Ok(secs as f64 / self.hours.day_seconds().max(1) as f64)
    }

    /// The due time of an order started at `start` under `limit` plus `extension_days`, with the
    /// clock stopped during `pauses`.
    pub fn due(
        &self,
        start: NaiveDateTime,
        limit: SlaLimit,
        extension_days: u32,
        pauses: &[Pause],
    ) -> Result<Due, Invalid> {
        let pauses = normalize(start, pauses)?;
        let mut fallback: Vec<i32> = Vec::new();
        let budget = match limit {
            SlaLimit::WorkingDays(n) => {
                let shift = self
                    .calendar
                    .add_workdays(start.date(), i64::from(n) + i64::from(extension_days))?;
                fallback.extend(shift.fallback_years);
                let close = shift.date.and_time(self.hours.close());
                self.working_seconds(start, close, &[])?
            }
            SlaLimit::WorkingHours(h) => {
                i64::from(h) * 3600 + i64::from(extension_days) * self.hours.day_seconds()
            }
        };
        let walk = self.walk(start, Some(budget), None, &pauses)?;
        let (at, stopped_since, remaining, end) = match walk {
            Walk::Reached(t) => (Some(t), None, None, t),
            Walk::Stopped { at, left, .. } => (None, Some(at), Some(left), at),
            Walk::Until(_) => return Err(too_far()),
        };
        let gross = self.working_seconds(start, end, &[])?;
        let consumed = budget - remaining.unwrap_or(0);
        let paused_secs = (gross - consumed).max(0);
        for y in self
            .calendar
            .fallback_years_between(start.date(), end.date())
        {
            if !fallback.contains(&y) {
                fallback.push(y);
            }
        }
        fallback.sort_unstable();

        let mut lines = vec![format!(
            "时限：{}，自{}起算 / limit: {} from {}",
            limit.label_zh(),
            fmt_time(start),
            limit.label_en(),
            fmt_time(start)
        )];
        if extension_days > 0 {
            lines.push(format!(
                "已批准延期{extension_days}个工作日 / approved extension: {extension_days} working days"
            ));
        }
        for p in &pauses {
            if p.from > end {
                continue;
            }
            let to = p.to.map(|t| t.min(end));
            let covered = match to {
                Some(t) => self.working_seconds(p.from, t, &[])? / 60,
                None => 0,
            };
            let (zh, en) = format_working_minutes(covered);
            let reason = if p.reason.is_empty() {
                String::new()
            } else {
                format!("（{}）", p.reason)
            };
            let reason_en = if p.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", p.reason)
            };
            match p.to {
                Some(t) => lines.push(format!(
                    "挂起{}至{}{reason}，不计时{zh} / paused {} to {}{reason_en}: {en} not counted",
                    fmt_time(p.from),
                    fmt_time(t),
                    fmt_time(p.from),
                    fmt_time(t)
                )),
                None => lines.push(format!(
                    "自{}起挂起{reason}，计时暂停 / suspended since {}{reason_en}; the clock is stopped",
                    fmt_time(p.from),
                    fmt_time(p.from)
                )),
            }
        }
        if let Some(note) = fallback_note(&fallback) {
            lines.push(note);
        }
        match (at, remaining) {
            (Some(t), _) => lines.push(format!(
                "应办结时间：{} / due: {}",
                fmt_time(t),
                fmt_time(t)
            )),
            (None, Some(left)) => {
                let (zh, en) = format_working_minutes(left / 60);
                lines.push(format!(
                    "挂起时剩余{zh}工作时间 / {en} of working time left when suspended"
                ));
            }
            (None, None) => {}
        }
        Ok(Due {
            start,
            at,
            limit,
            extension_days,
            budget_working_minutes: budget / 60,
            paused_working_minutes: paused_secs / 60,
            stopped_since,
            remaining_working_minutes: remaining.map(|s| s.div_euclid(60)),
            fallback_years: fallback,
            explanation: lines,
            pauses,
        })
    }

    /// Whether the order is overdue at `now` (pass the reply/resolve time for a finished order).
    pub fn breach(&self, due: &Due, now: NaiveDateTime) -> Option<Breach> {
        let over_secs = match due.at {
            Some(at) => self.working_seconds(at, now, &due.pauses).ok()?,
            None => -due.remaining_working_minutes.unwrap_or(0) * 60,
        };
        if over_secs <= 0 {
            return None;
        }
        let minutes = (over_secs + 59) / 60;
        let (zh, en) = format_working_minutes(minutes);
        let mut explanation = due.explanation.clone();
        explanation.push(format!(
            "截至{}已超时{zh}工作时间 / overdue by {en} of working time at {}",
            fmt_time(now),
            fmt_time(now)
        ));
        Some(Breach {
            overdue_working_minutes: minutes,
            explanation,
        })
    }
}

/// [`SlaClock::due`] with the default office hours.
pub fn due(
    start: NaiveDateTime,
    limit: SlaLimit,
    extension_days: u32,
    pauses: &[Pause],
    cal: &Calendar,
) -> Result<Due, Invalid> {
    SlaClock::new(cal).due(start, limit, extension_days, pauses)
}

/// [`SlaClock::breach`] with the default office hours.
pub fn breach(due: &Due, now: NaiveDateTime, cal: &Calendar) -> Option<Breach> {
    SlaClock::new(cal).breach(due, now)
}

/// [`SlaClock::elapsed_working_days`] with the default office hours.
pub fn elapsed_working_days(
    start: NaiveDateTime,
    end: NaiveDateTime,
    pauses: &[Pause],
    cal: &Calendar,
) -> Result<f64, Invalid> {
    SlaClock::new(cal).elapsed_working_days(start, end, pauses)
}

/// One row of the SLA table: the handling limit of a category at an urgency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SlaEntry {
    /// A category code from the taxonomy (`crate::category`).
    pub category: String,
    pub urgency: Urgency,
    pub limit: SlaLimit,
}

/// Time limits keyed by (category, urgency), with fallbacks per urgency and the acceptance limit
/// used by the response rate. Configuration: the shipped values are placeholders until the
/// Hangzhou 12345 limits are supplied (reference/domain.md §8.1 lists 3 working days for
/// inquiries and 13 for complaints elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SlaTable {
    pub entries: Vec<SlaEntry>,
    pub default_normal: SlaLimit,
    pub default_urgent: SlaLimit,
    /// Time to accept (受理/签收) a normal order.
    pub accept_normal: SlaLimit,
    /// Time to accept an urgent order.
    pub accept_urgent: SlaLimit,
}

impl Default for SlaTable {
    /// Normal orders 10 working days, urgent 3; policy questions 3 / 8 working hours; approvals
    /// 5 / 2 days. Acceptance within 1 working day, or 2 working hours when urgent.
    fn default() -> Self {
        let e = |category: &str, urgency, limit| SlaEntry {
            category: category.to_string(),
            urgency,
            limit,
        };
        SlaTable {
            entries: vec![
                e("policy", Urgency::Normal, SlaLimit::WorkingDays(3)),
                e("policy", Urgency::Urgent, SlaLimit::WorkingHours(8)),
                e("approval", Urgency::Normal, SlaLimit::WorkingDays(5)),
                e("approval", Urgency::Urgent, SlaLimit::WorkingDays(2)),
            ],
            default_normal: SlaLimit::WorkingDays(10),
            default_urgent: SlaLimit::WorkingDays(3),
            accept_normal: SlaLimit::WorkingDays(1),
            accept_urgent: SlaLimit::WorkingHours(2),
        }
    }
}

impl SlaTable {
    /// The handling limit for `category` at `urgency`.
    pub fn limit_for(&self, category: &str, urgency: Urgency) -> SlaLimit {
        self.entries
            .iter()
            .find(|e| e.category == category && e.urgency == urgency)
            .map(|e| e.limit)
            .unwrap_or(match urgency {
                Urgency::Normal => self.default_normal,
                Urgency::Urgent => self.default_urgent,
            })
    }

    /// The acceptance limit at `urgency` (the response rate counts orders accepted within it).
    pub fn accept_limit(&self, urgency: Urgency) -> SlaLimit {
        match urgency {
            Urgency::Normal => self.accept_normal,
            Urgency::Urgent => self.accept_urgent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn pause(from: &str, to: Option<&str>, reason: &str) -> Pause {
        Pause {
            from: t(from),
            to: to.map(t),
            reason: reason.to_string(),
        }
    }

    fn due_at(start: &str, limit: SlaLimit, ext: u32, pauses: &[Pause]) -> NaiveDateTime {
        due(t(start), limit, ext, pauses, &Calendar::official())
            .unwrap()
            .at
            .unwrap()
    }

    #[test]
    fn a_day_limit_ends_at_close_of_office_on_the_nth_working_day() {
        assert_eq!(
            due_at("2025-03-03 10:00", SlaLimit::WorkingDays(3), 0, &[]),
            t("2025-03-06 17:30")
        );
        // Received on a Saturday: Monday is the first working day.
        assert_eq!(
            due_at("2025-03-08 10:00", SlaLimit::WorkingDays(1), 0, &[]),
            t("2025-03-10 17:30")
        );
        // Same-day limit.
        assert_eq!(
            due_at("2025-03-03 10:00", SlaLimit::WorkingDays(0), 0, &[]),
            t("2025-03-03 17:30")
        );
    }

    #[test]
    fn a_day_limit_across_the_spring_festival_uses_the_make_up_days() {
        // Fri 2025-01-24: +1 = Sun 01-26 (make-up), +2 = 01-27, +3 = 02-05.
        assert_eq!(
            due_at("2025-01-24 09:00", SlaLimit::WorkingDays(3), 0, &[]),
            t("2025-02-05 17:30")
        );
    }

    #[test]
    fn a_pause_over_a_weekend_only_moves_the_due_time_by_the_working_time_it_covers() {
        // Due Fri 2025-03-07 17:30 without pauses.
        let p = [pause(
            "2025-03-07 17:00",
            Some("2025-03-10 10:00"),
            "等待企业补充材料",
        )];
        let d = due(
            t("2025-03-04 09:00"),
            SlaLimit::WorkingDays(3),
            0,
            &p,
            &Calendar::official(),
        )
        .unwrap();
        // 30 min on Friday + 90 min on Monday = 2 h: the due time moves from Fri 17:30 by two
        // working hours, to Mon 10:30 (the 30 min left at Friday 17:00 run from Monday 10:00).
        assert_eq!(d.paused_working_minutes, 120);
        assert_eq!(d.at, Some(t("2025-03-10 10:30")));
        assert!(d.explanation.iter().any(|l| l.contains("等待企业补充材料")));
        assert!(d.explanation.iter().any(|l| l.contains("不计时2小时")));
        // A pause entirely inside the weekend changes nothing.
        let weekend = [pause("2025-03-08 09:00", Some("2025-03-09 18:00"), "周末")];
        assert_eq!(
            due_at("2025-03-04 09:00", SlaLimit::WorkingDays(5), 0, &weekend),
            due_at("2025-03-04 09:00", SlaLimit::WorkingDays(5), 0, &[])
        );
    }

    #[test]
    fn a_pause_across_the_spring_festival_counts_only_the_working_days_in_it() {
        // Start Wed 2025-01-22 09:00, 5 working days: 01-23, 24, 26(Sun), 27, 02-05 → 02-05 17:30.
        assert_eq!(
            due_at("2025-01-22 09:00", SlaLimit::WorkingDays(5), 0, &[]),
            t("2025-02-05 17:30")
        );
        // Suspended Mon 01-27 08:30 to Thu 02-06 08:30: covers 01-27 and 02-05 = 2 working days.
        let p = [pause(
            "2025-01-27 08:30",
            Some("2025-02-06 08:30"),
            "等待第三方检测",
        )];
        let d = due(
            t("2025-01-22 09:00"),
            SlaLimit::WorkingDays(5),
            0,
            &p,
            &Calendar::official(),
        )
        .unwrap();
        assert_eq!(d.paused_working_minutes, 2 * 450);
        assert_eq!(d.at, Some(t("2025-02-07 17:30")));
    }

    #[test]
    fn an_hour_limit_skips_lunch_and_nights() {
        // 11:00 + 2 h: 1 h before lunch, 1 h after 13:30.
        assert_eq!(
            due_at("2025-03-03 11:00", SlaLimit::WorkingHours(2), 0, &[]),
            t("2025-03-03 14:30")
        );
        // 16:30 + 2 h: 1 h today, 1 h tomorrow morning.
        assert_eq!(
            due_at("2025-03-03 16:30", SlaLimit::WorkingHours(2), 0, &[]),
            t("2025-03-04 09:30")
        );
        // Received during lunch: the clock starts at 13:30.
        assert_eq!(
            due_at("2025-03-03 12:15", SlaLimit::WorkingHours(1), 0, &[]),
            t("2025-03-03 14:30")
        );
    }

    #[test]
    fn an_hour_limit_across_national_day_waits_for_the_holiday_to_end() {
        // Tue 2025-09-30 16:30 + 4 h: 1 h on 09-30, then 10-09 08:30 + 3 h = 11:30.
        assert_eq!(
            due_at("2025-09-30 16:30", SlaLimit::WorkingHours(4), 0, &[]),
            t("2025-10-09 11:30")
        );
        // Friday 09-26 17:00 + 1 h runs into Sunday 09-28, a make-up working day.
        assert_eq!(
            due_at("2025-09-26 17:00", SlaLimit::WorkingHours(1), 0, &[]),
            t("2025-09-28 09:00")
        );
    }

    #[test]
    fn an_extension_adds_working_days() {
        assert_eq!(
            due_at("2025-03-03 10:00", SlaLimit::WorkingDays(3), 2, &[]),
            t("2025-03-10 17:30")
        );
        // For an hour limit, an extension day is one office day of 7.5 h.
        assert_eq!(
            due_at("2025-03-03 08:30", SlaLimit::WorkingHours(1), 1, &[]),
            t("2025-03-04 09:30")
        );
        let d = due(
            t("2025-03-03 10:00"),
            SlaLimit::WorkingDays(3),
            2,
            &[],
            &Calendar::official(),
        )
        .unwrap();
        assert!(d.explanation.iter().any(|l| l.contains("延期2个工作日")));
    }

    #[test]
    fn an_open_pause_stops_the_clock_and_reports_what_is_left() {
        let p = [pause("2025-03-04 09:30", None, "等待企业答复")];
        let d = due(
            t("2025-03-03 08:30"),
            SlaLimit::WorkingDays(1),
            0,
            &p,
            &Calendar::official(),
        )
        .unwrap();
        assert_eq!(d.at, None);
        assert_eq!(d.stopped_since, Some(t("2025-03-04 09:30")));
        // Budget 2 days = 900 min; 450 + 60 used.
        assert_eq!(d.remaining_working_minutes, Some(390));
        assert!(breach(&d, t("2025-06-01 09:00"), &Calendar::official()).is_none());
    }

    #[test]
    fn an_open_pause_after_the_due_time_freezes_the_overdue_count() {
        let p = [pause("2025-03-05 10:30", None, "等待企业答复")];
        let cal = Calendar::official();
        let d = due(t("2025-03-03 08:30"), SlaLimit::WorkingDays(1), 0, &p, &cal).unwrap();
        assert_eq!(d.at, Some(t("2025-03-04 17:30")));
        let b = breach(&d, t("2025-03-20 10:00"), &cal).unwrap();
        assert_eq!(b.overdue_working_minutes, 120);
    }

    #[test]
    fn a_breach_counts_only_working_time_after_the_due_time() {
        let cal = Calendar::official();
        let d = due(
            t("2025-01-23 09:00"),
            SlaLimit::WorkingDays(1),
            0,
            &[],
            &cal,
        )
        .unwrap();
        assert_eq!(d.at, Some(t("2025-01-24 17:30")));
        assert!(breach(&d, t("2025-01-24 17:30"), &cal).is_none());
        assert!(breach(&d, t("2025-01-24 23:00"), &cal).is_none());
        assert!(
            breach(&d, t("2025-01-25 12:00"), &cal).is_none(),
            "Saturday"
        );
        let b = breach(&d, t("2025-01-26 09:00"), &cal).unwrap();
        assert_eq!(b.overdue_working_minutes, 30, "the make-up Sunday counts");
        let b = breach(&d, t("2025-01-27 08:30"), &cal).unwrap();
        assert_eq!(b.overdue_working_minutes, 450);
        assert!(b.explanation.iter().any(|l| l.contains("时限：1个工作日")));
        assert!(b.explanation.last().unwrap().contains("已超时"));
    }

    #[test]
    fn a_deadline_in_an_unloaded_year_says_it_fell_back_to_weekdays() {
        let d = due(
            t("2026-12-30 10:00"),
            SlaLimit::WorkingDays(5),
            0,
            &[],
            &Calendar::official(),
        )
        .unwrap();
        assert_eq!(d.at, Some(t("2027-01-06 17:30")));
        assert_eq!(d.fallback_years, vec![2027]);
        assert!(d.explanation.iter().any(|l| l.contains("2027年未载入")));
    }

    #[test]
    fn elapsed_working_days_leave_out_pauses_and_holidays() {
        let cal = Calendar::official();
        let e =
            elapsed_working_days(t("2025-01-27 08:30"), t("2025-02-06 08:30"), &[], &cal).unwrap();
        assert!((e - 2.0).abs() < 1e-9, "{e}");
        let p = [pause("2025-02-05 08:30", Some("2025-02-05 13:45"), "")];
        let e =
            elapsed_working_days(t("2025-01-27 08:30"), t("2025-02-06 08:30"), &p, &cal).unwrap();
        assert!((e - 1.5).abs() < 1e-9, "{e}");
    }

    #[test]
    fn overlapping_pauses_are_merged_and_reversed_ones_refused() {
        let cal = Calendar::official();
        let clock = SlaClock::new(&cal);
        let p = [
            pause("2025-03-03 09:00", Some("2025-03-03 10:00"), "a"),
            pause("2025-03-03 09:30", Some("2025-03-03 11:00"), "b"),
        ];
        assert_eq!(
            clock
                .working_minutes(t("2025-03-03 08:30"), t("2025-03-03 12:00"), &p)
                .unwrap(),
            90
        );
        let bad = [pause("2025-03-03 10:00", Some("2025-03-03 09:00"), "")];
        assert_eq!(
            clock
                .due(t("2025-03-03 08:30"), SlaLimit::WorkingDays(1), 0, &bad)
                .unwrap_err()
                .code,
            "sla_pause_reversed"
        );
    }

    #[test]
    fn office_hours_are_configurable_and_validated() {
        let tm = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let hours = OfficeHours::new(vec![(tm(9, 0), tm(12, 0)), (tm(13, 0), tm(18, 0))]).unwrap();
        assert_eq!(hours.day_minutes(), 480);
        let cal = Calendar::official();
        let clock = SlaClock::with_hours(&cal, hours);
        let d = clock
            .due(t("2025-03-03 11:00"), SlaLimit::WorkingHours(2), 0, &[])
            .unwrap();
        assert_eq!(d.at, Some(t("2025-03-03 14:00")));
        assert_eq!(
            OfficeHours::new(vec![(tm(13, 0), tm(12, 0))])
                .unwrap_err()
                .code,
            "office_hours_order"
        );
        assert_eq!(
            OfficeHours::new(vec![(tm(9, 0), tm(12, 0)), (tm(11, 0), tm(18, 0))])
                .unwrap_err()
                .code,
            "office_hours_order"
        );
    }

    #[test]
    fn limits_parse_from_the_compact_and_chinese_forms() {
        assert_eq!(SlaLimit::parse("5d"), Ok(SlaLimit::WorkingDays(5)));
        assert_eq!(SlaLimit::parse("8h"), Ok(SlaLimit::WorkingHours(8)));
        assert_eq!(SlaLimit::parse("3个工作日"), Ok(SlaLimit::WorkingDays(3)));
        assert_eq!(SlaLimit::parse("x").unwrap_err().code, "sla_limit_format");
        assert_eq!(SlaLimit::WorkingDays(5).to_string(), "5d");
    }

    #[test]
    fn the_table_finds_a_category_limit_or_falls_back_by_urgency() {
        let table = SlaTable::default();
        assert_eq!(
            table.limit_for("policy", Urgency::Urgent),
            SlaLimit::WorkingHours(8)
        );
        assert_eq!(
            table.limit_for("talent", Urgency::Normal),
            SlaLimit::WorkingDays(10)
        );
        assert_eq!(
            table.accept_limit(Urgency::Urgent),
            SlaLimit::WorkingHours(2)
        );
    }
}
