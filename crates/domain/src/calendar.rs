//! The official working-day calendar (法定节假日与调休).
//!
//! A working day (工作日) is Monday–Friday, minus the statutory days off of that year, plus the
//! make-up working days (调休上班) that fall on a weekend. Each year is one [`YearSchedule`], kept as
//! data: 2025 and 2026 ship with the product ([`Calendar::official`]); later years are loaded by an
//! administrator ([`YearSchedule::parse`] or JSON through serde, then [`Calendar::with_year`]).
//!
//! Invariants of a schedule, checked by [`YearSchedule::validate`]:
//! every date lies in the schedule's own calendar year (a notice that reaches into the previous
//! December, as the 2019 one did, is split: those days go into that December's year); a make-up
//! day is a Saturday or Sunday; no make-up day is also a day off; holidays do not overlap.
//!
//! A year with no schedule falls back to Monday–Friday. Every answer that had to fall back lists the
//! years concerned (`fallback_years`) so the UI and deadline explanations can say so rather than
//! silently guess.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};

use crate::error::Invalid;

/// The largest |n| accepted by [`Calendar::add_workdays`]: about forty years of working days.
/// Anything larger is a typing mistake, and refusing it keeps every walk short and finite.
pub const MAX_WORKDAY_SHIFT: i64 = 10_000;

/// One block of statutory days off, e.g. 春节 2025-01-28 … 2025-02-04 (both ends included).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holiday {
    /// Name as printed in the notice, e.g. `春节`, `国庆节、中秋节`.
    pub name: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// One year's official schedule: statutory days off and make-up working days.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct YearSchedule {
    pub year: i32,
    pub holidays: Vec<Holiday>,
    /// Weekend days that are working days (调休上班).
    pub makeup_workdays: Vec<NaiveDate>,
    /// Where the schedule comes from, e.g. `国办发明电〔2024〕12号`.
    pub source: String,
}

/// What kind of day a date is, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayKind {
    /// An ordinary Monday–Friday working day.
    Workday,
    /// A Saturday or Sunday worked in exchange for a holiday (调休上班).
    MakeupWorkday,
    /// An ordinary Saturday or Sunday.
    Weekend,
    /// A statutory day off (法定节假日/调休放假).
    Holiday { name: String },
}

impl DayKind {
    pub fn is_workday(&self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeupWorkday)
    }

    pub fn label_zh(&self) -> String {
        match self {
            DayKind::Workday => "工作日".to_string(),
            DayKind::MakeupWorkday => "调休上班".to_string(),
            DayKind::Weekend => "周末".to_string(),
            DayKind::Holiday { name } => format!("{name}假期"),
        }
    }
}

/// The result of moving a date by working days.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkdayShift {
    pub date: NaiveDate,
    /// Years the walk touched that have no schedule and were counted Monday–Friday, ascending.
    pub fallback_years: Vec<i32>,
}

impl WorkdayShift {
    /// The bilingual warning for [`Self::fallback_years`], if any.
    pub fn fallback_note(&self) -> Option<String> {
        fallback_note(&self.fallback_years)
    }
}

/// `2027年未载入法定节假日安排，按周一至周五计算 / no holiday schedule loaded for 2027; counted Monday to Friday`,
/// or `None` when the list is empty.
pub fn fallback_note(years: &[i32]) -> Option<String> {
    if years.is_empty() {
        return None;
    }
    let list: Vec<String> = years.iter().map(|y| y.to_string()).collect();
    let zh = list
        .iter()
        .map(|y| format!("{y}年"))
        .collect::<Vec<_>>()
        .join("、");
    Some(format!(
        "{zh}未载入法定节假日安排，按周一至周五计算 / no holiday schedule loaded for {}; counted Monday to Friday",
        list.join(", ")
    ))
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn calendar_error(code: &'static str, zh: String, en: String) -> Invalid {
    Invalid::new(code, zh, en)
}

impl YearSchedule {
    /// Builds and validates a schedule.
    pub fn new(
        year: i32,
        holidays: Vec<Holiday>,
        makeup_workdays: Vec<NaiveDate>,
        source: impl Into<String>,
    ) -> Result<YearSchedule, Invalid> {
        let s = YearSchedule {
            year,
            holidays,
            makeup_workdays,
            source: source.into(),
        };
        s.validate()?;
        Ok(s)
    }

    /// Checks the invariants listed in the module header. Schedules that arrive through serde
    /// must pass through here (or [`Calendar::with_year`], which calls it).
    pub fn validate(&self) -> Result<(), Invalid> {
        let y = self.year;
        if !(1900..=9999).contains(&y) {
            return Err(calendar_error(
                "calendar_year_out_of_range",
                format!("年份{y}超出范围（1900–9999）"),
                format!("year {y} is out of range (1900–9999)"),
            ));
        }
        let outside = |d: NaiveDate| {
            calendar_error(
                "calendar_date_outside_year",
                format!("日期{d}不在{y}年内；跨年的日期请载入到其所在年份"),
                format!("date {d} is not in {y}; load dates into the year they fall in"),
            )
        };
        let mut sorted: Vec<&Holiday> = self.holidays.iter().collect();
        sorted.sort_by_key(|h| h.first);
        for h in &sorted {
            if h.name.trim().is_empty() {
                return Err(calendar_error(
                    "calendar_holiday_name_empty",
                    format!("{}起的假期缺少名称", h.first),
                    format!("the holiday starting {} has no name", h.first),
                ));
            }
            for d in [h.first, h.last] {
                if d.year() != y {
                    return Err(outside(d));
                }
            }
            if h.last < h.first {
                return Err(calendar_error(
                    "calendar_holiday_reversed",
                    format!("{}的结束日期{}早于开始日期{}", h.name, h.last, h.first),
                    format!(
                        "{} ends on {} before it starts on {}",
                        h.name, h.last, h.first
                    ),
                ));
            }
        }
        for pair in sorted.windows(2) {
            if pair[1].first <= pair[0].last {
                return Err(calendar_error(
                    "calendar_holiday_overlap",
                    format!("{}与{}的日期重叠", pair[0].name, pair[1].name),
                    format!("{} and {} overlap", pair[0].name, pair[1].name),
                ));
            }
        }
        let mut seen = Vec::with_capacity(self.makeup_workdays.len());
        for &d in &self.makeup_workdays {
            if d.year() != y {
                return Err(outside(d));
            }
            if !is_weekend(d) {
                return Err(calendar_error(
                    "calendar_makeup_not_weekend",
                    format!("调休上班日{d}不是周六或周日"),
                    format!("make-up working day {d} is not a Saturday or Sunday"),
                ));
            }
            if let Some(h) = self.holidays.iter().find(|h| h.first <= d && d <= h.last) {
                return Err(calendar_error(
                    "calendar_makeup_is_holiday",
                    format!("{d}既是{}假期又是调休上班日", h.name),
                    format!(
                        "{d} is both a day off ({}) and a make-up working day",
                        h.name
                    ),
                ));
            }
            if seen.contains(&d) {
                return Err(calendar_error(
                    "calendar_makeup_duplicate",
                    format!("调休上班日{d}重复"),
                    format!("make-up working day {d} is listed twice"),
                ));
            }
            seen.push(d);
        }
        Ok(())
    }

    /// Parses the administrator's text format, one entry per line:
    ///
    /// ```text
    /// # 2027年部分节假日安排（示例）
    /// year 2027
    /// source 国办发明电〔2026〕xx号
    /// 2027-01-01 元旦
    /// 2027-02-06..2027-02-13 春节
    /// makeup 2027-02-14
    /// ```
    ///
    /// `#` starts a comment; `year` is optional (taken from the first date); a range may also be
    /// written with `~` or `至`; `makeup` may be written `调休`. The result is validated.
    pub fn parse(text: &str) -> Result<YearSchedule, Invalid> {
        let mut year: Option<i32> = None;
        let mut source = String::new();
        let mut holidays = Vec::new();
        let mut makeup = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (head, rest) = match line.split_once(char::is_whitespace) {
                Some((h, r)) => (h, r.trim()),
                None => (line, ""),
            };
            let bad = |what_zh: &str, what_en: &str| {
                calendar_error(
                    "calendar_parse",
                    format!("第{line_no}行：{what_zh}：“{line}”"),
                    format!("line {line_no}: {what_en}: '{line}'"),
                )
            };
            match head {
                "year" | "年份" => {
                    let y = rest
                        .parse::<i32>()
                        .map_err(|_| bad("年份不是数字", "year is not a number"))?;
                    year = Some(y);
                }
                "source" | "来源" => source = rest.to_string(),
                "makeup" | "调休" => {
                    let d = parse_date(rest.split_whitespace().next().unwrap_or(""))
                        .ok_or_else(|| bad("调休上班日期无效", "invalid make-up date"))?;
                    makeup.push(d);
                }
                range => {
                    let (first, last) = parse_range(range)
                        .ok_or_else(|| bad("日期或日期范围无效", "invalid date or date range"))?;
                    if rest.is_empty() {
                        return Err(bad("缺少假期名称", "holiday name missing"));
                    }
                    holidays.push(Holiday {
                        name: rest.to_string(),
                        first,
                        last,
                    });
                }
            }
        }
        let year = year
            .or_else(|| holidays.first().map(|h: &Holiday| h.first.year()))
            .or_else(|| makeup.first().map(|d: &NaiveDate| d.year()))
            .ok_or_else(|| {
                calendar_error(
                    "calendar_parse_empty",
                    "没有任何日期，也没有年份".to_string(),
                    "no dates and no year given".to_string(),
                )
            })?;
        YearSchedule::new(year, holidays, makeup, source)
    }

    /// The text form read by [`Self::parse`]; `parse(to_text())` gives the schedule back.
    pub fn to_text(&self) -> String {
        let mut out = format!("year {}\n", self.year);
        if !self.source.is_empty() {
            out.push_str(&format!("source {}\n", self.source));
        }
        for h in &self.holidays {
            if h.first == h.last {
                out.push_str(&format!("{} {}\n", h.first, h.name));
            } else {
                out.push_str(&format!("{}..{} {}\n", h.first, h.last, h.name));
            }
        }
        for d in &self.makeup_workdays {
            out.push_str(&format!("makeup {d}\n"));
        }
        out
    }

    fn kind(&self, d: NaiveDate) -> DayKind {
        if let Some(h) = self.holidays.iter().find(|h| h.first <= d && d <= h.last) {
            return DayKind::Holiday {
                name: h.name.clone(),
            };
        }
        match (is_weekend(d), self.makeup_workdays.contains(&d)) {
            (true, true) => DayKind::MakeupWorkday,
            (true, false) => DayKind::Weekend,
            (false, _) => DayKind::Workday,
        }
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

fn parse_range(s: &str) -> Option<(NaiveDate, NaiveDate)> {
    for sep in ["..", "~", "至"] {
        if let Some((a, b)) = s.split_once(sep) {
            return Some((parse_date(a)?, parse_date(b)?));
        }
    }
    let d = parse_date(s)?;
    Some((d, d))
}

/// A loaded year: the schedule and one working-day flag per day of the year, so lookups in SLA
/// scans over many orders cost an index, not a search.
#[derive(Debug, Clone)]
struct LoadedYear {
    schedule: YearSchedule,
    workday: Vec<bool>,
}

/// The set of loaded year schedules. Years not loaded count Monday–Friday.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<i32, LoadedYear>,
}

fn official_2025() -> YearSchedule {
    let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap_or_default();
    let h = |name: &str, first, last| Holiday {
        name: name.to_string(),
        first,
        last,
    };
    YearSchedule {
        year: 2025,
        holidays: vec![
            h("元旦", d(1, 1), d(1, 1)),
            h("春节", d(1, 28), d(2, 4)),
            h("清明节", d(4, 4), d(4, 6)),
            h("劳动节", d(5, 1), d(5, 5)),
            h("端午节", d(5, 31), d(6, 2)),
            h("国庆节、中秋节", d(10, 1), d(10, 8)),
        ],
        makeup_workdays: vec![d(1, 26), d(2, 8), d(4, 27), d(9, 28), d(10, 11)],
        source: "国办发明电〔2024〕12号".to_string(),
    }
}

fn official_2026() -> YearSchedule {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default();
    let h = |name: &str, first, last| Holiday {
        name: name.to_string(),
        first,
        last,
    };
    YearSchedule {
        year: 2026,
        holidays: vec![
            h("元旦", d(1, 1), d(1, 3)),
            h("春节", d(2, 15), d(2, 23)),
            h("清明节", d(4, 4), d(4, 6)),
            h("劳动节", d(5, 1), d(5, 5)),
            h("端午节", d(6, 19), d(6, 21)),
            h("中秋节", d(9, 25), d(9, 27)),
            h("国庆节", d(10, 1), d(10, 7)),
        ],
        makeup_workdays: vec![d(1, 4), d(2, 14), d(2, 28), d(5, 9), d(9, 20), d(10, 10)],
        source: "国务院办公厅关于2026年部分节假日安排的通知（2025-11-04）".to_string(),
    }
}

impl Calendar {
    /// A calendar with no schedules: every year falls back to Monday–Friday.
    pub fn weekdays_only() -> Calendar {
        Calendar::default()
    }

    /// The schedules that ship with the product: 2025 and 2026 (reference/domain.md §10).
    pub fn official() -> Calendar {
        let mut c = Calendar::default();
        for s in [official_2025(), official_2026()] {
            // The shipped data is checked by a unit test; a failure here would only drop a year.
            let _ = c.insert_year(s);
        }
        c
    }

    /// Adds (or replaces) one year's schedule after validating it.
    pub fn with_year(mut self, schedule: YearSchedule) -> Result<Calendar, Invalid> {
        self.insert_year(schedule)?;
        Ok(self)
    }

    /// In-place form of [`Self::with_year`].
    pub fn insert_year(&mut self, schedule: YearSchedule) -> Result<(), Invalid> {
        schedule.validate()?;
        let first = NaiveDate::from_yo_opt(schedule.year, 1).ok_or_else(|| {
            calendar_error(
                "calendar_year_out_of_range",
                format!("年份{}无效", schedule.year),
                format!("year {} is invalid", schedule.year),
            )
        })?;
        let workday = first
            .iter_days()
            .take_while(|d| d.year() == schedule.year)
            .map(|d| schedule.kind(d).is_workday())
            .collect();
        self.years
            .insert(schedule.year, LoadedYear { schedule, workday });
        Ok(())
    }

    /// Whether `year` has a loaded schedule (otherwise it counts Monday–Friday).
    pub fn has_schedule(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The loaded schedule of `year`, if any.
    pub fn schedule(&self, year: i32) -> Option<&YearSchedule> {
        self.years.get(&year).map(|l| &l.schedule)
    }

    /// All loaded schedules in year order.
    pub fn schedules(&self) -> impl Iterator<Item = &YearSchedule> {
        self.years.values().map(|l| &l.schedule)
    }

    /// What kind of day `date` is. Years without a schedule answer Workday or Weekend.
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        match self.years.get(&date.year()) {
            Some(l) => l.schedule.kind(date),
            None if is_weekend(date) => DayKind::Weekend,
            None => DayKind::Workday,
        }
    }

    /// Whether `date` is a working day.
    pub fn is_workday(&self, date: NaiveDate) -> bool {
        match self.years.get(&date.year()) {
            Some(l) => l
                .workday
                .get(date.ordinal0() as usize)
                .copied()
                .unwrap_or(false),
            None => !is_weekend(date),
        }
    }

    /// The date `n` working days after `date`.
    ///
    /// * `n > 0`: the n-th working day strictly after `date`; `date` itself never counts, whatever
    ///   kind of day it is (2025-01-24 Fri + 1 = 2025-01-26, the make-up Sunday).
    /// * `n = 0`: `date` if it is a working day, else the next working day.
    /// * `n < 0`: the |n|-th working day strictly before `date` (for "remind 2 working days before").
    ///
    /// |n| above [`MAX_WORKDAY_SHIFT`] or a walk past chrono's date range is refused.
    pub fn add_workdays(&self, date: NaiveDate, n: i64) -> Result<WorkdayShift, Invalid> {
        if n.abs() > MAX_WORKDAY_SHIFT {
            return Err(calendar_error(
                "calendar_shift_too_large",
                format!("工作日数{n}超出范围（±{MAX_WORKDAY_SHIFT}）"),
                format!("{n} working days is out of range (±{MAX_WORKDAY_SHIFT})"),
            ));
        }
        let mut fallback = Fallback::default();
        let out_of_range = || {
            calendar_error(
                "calendar_date_out_of_range",
                format!("从{date}移动{n}个工作日超出可表示的日期范围"),
                format!("moving {date} by {n} working days leaves the supported date range"),
            )
        };
        let mut d = date;
        if n == 0 {
            fallback.note(self, d);
            while !self.is_workday(d) {
                d = d.succ_opt().ok_or_else(out_of_range)?;
                fallback.note(self, d);
            }
        } else {
            let mut left = n.abs();
            while left > 0 {
                d = if n > 0 { d.succ_opt() } else { d.pred_opt() }.ok_or_else(out_of_range)?;
                fallback.note(self, d);
                if self.is_workday(d) {
                    left -= 1;
                }
            }
        }
        Ok(WorkdayShift {
            date: d,
            fallback_years: fallback.years,
        })
    }

    /// The next working day strictly after `date`, if representable.
    pub fn next_workday(&self, date: NaiveDate) -> Option<NaiveDate> {
        let mut d = date.succ_opt()?;
        // A year has at most ~20 consecutive days off; 60 covers any sane schedule.
        for _ in 0..60 {
            if self.is_workday(d) {
                return Some(d);
            }
            d = d.succ_opt()?;
        }
        None
    }

    /// Number of working days in `(from, to]`: the first day is excluded and the last included, so
    /// `workdays_between(d, add_workdays(d, n).date) == n` for n ≥ 1. If `to < from` the count of
    /// `(to, from]` is returned negated; `from == to` gives 0.
    pub fn workdays_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (lo, hi, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut count = 0i64;
        let mut d = lo;
        while d < hi {
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
            if self.is_workday(d) {
                count += 1;
            }
        }
        sign * count
    }

    /// Years in `[from, to]` (either order) that have no schedule, ascending.
    pub fn fallback_years_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<i32> {
        let (lo, hi) = if from <= to {
            (from.year(), to.year())
        } else {
            (to.year(), from.year())
        };
        (lo..=hi).filter(|y| !self.has_schedule(*y)).collect()
    }
}

/// Collects the unscheduled years a walk passes through.
#[derive(Default)]
struct Fallback {
    years: Vec<i32>,
}

impl Fallback {
    fn note(&mut self, cal: &Calendar, d: NaiveDate) {
        let y = d.year();
        if !cal.has_schedule(y) && !self.years.contains(&y) {
            self.years.push(y);
            self.years.sort_unstable();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn add(from: &str, n: i64) -> NaiveDate {
        Calendar::official().add_workdays(d(from), n).unwrap().date
    }

    #[test]
    fn the_shipped_schedules_are_valid_and_cover_2025_and_2026() {
        official_2025().validate().unwrap();
        official_2026().validate().unwrap();
        let c = Calendar::official();
        assert!(c.has_schedule(2025) && c.has_schedule(2026));
        assert!(!c.has_schedule(2027));
    }

    #[test]
    fn the_spring_festival_2025_days_off_and_make_up_days_are_known() {
        let c = Calendar::official();
        assert!(c.is_workday(d("2025-01-26")), "Sunday make-up day");
        assert_eq!(c.day_kind(d("2025-01-26")), DayKind::MakeupWorkday);
        assert!(c.is_workday(d("2025-01-27")));
        for day in 28..=31 {
            assert!(!c.is_workday(d(&format!("2025-01-{day}"))));
        }
        for day in 1..=4 {
            assert!(!c.is_workday(d(&format!("2025-02-0{day}"))));
        }
        assert_eq!(
            c.day_kind(d("2025-02-03")),
            DayKind::Holiday {
                name: "春节".into()
            }
        );
        assert!(c.is_workday(d("2025-02-05")));
        assert!(c.is_workday(d("2025-02-08")), "Saturday make-up day");
        assert!(!c.is_workday(d("2025-02-09")));
    }

    #[test]
    fn one_working_day_after_friday_24_january_2025_is_the_make_up_sunday() {
        assert_eq!(add("2025-01-24", 1), d("2025-01-26"));
        assert_eq!(add("2025-01-24", 2), d("2025-01-27"));
    }

    #[test]
    fn counting_across_the_spring_festival_2025_skips_the_days_off_and_uses_the_saturday() {
        // 01-27 is the last working day before the break; 02-05 the first after it.
        assert_eq!(add("2025-01-27", 1), d("2025-02-05"));
        assert_eq!(add("2025-01-27", 3), d("2025-02-07"));
        assert_eq!(add("2025-01-27", 4), d("2025-02-08"));
        assert_eq!(add("2025-01-27", 5), d("2025-02-10"));
        // Starting on a day off: the day itself never counts.
        assert_eq!(add("2025-01-30", 1), d("2025-02-05"));
        assert_eq!(add("2025-01-30", 0), d("2025-02-05"));
    }

    #[test]
    fn zero_working_days_is_the_day_itself_only_when_it_is_a_working_day() {
        assert_eq!(add("2025-02-08", 0), d("2025-02-08"));
        assert_eq!(add("2025-02-09", 0), d("2025-02-10"));
        assert_eq!(add("2025-03-03", 0), d("2025-03-03"));
    }

    #[test]
    fn national_day_2025_uses_the_28_september_sunday_and_the_11_october_saturday() {
        let c = Calendar::official();
        assert!(c.is_workday(d("2025-09-28")));
        assert_eq!(add("2025-09-26", 1), d("2025-09-28"));
        assert_eq!(add("2025-09-28", 1), d("2025-09-29"));
        assert_eq!(add("2025-09-30", 1), d("2025-10-09"));
        assert_eq!(add("2025-10-09", 2), d("2025-10-11"));
        assert_eq!(add("2025-10-10", 1), d("2025-10-11"));
        assert_eq!(add("2025-10-11", 1), d("2025-10-13"));
        assert_eq!(c.workdays_between(d("2025-09-30"), d("2025-10-08")), 0);
    }

    #[test]
    fn new_year_2026_is_three_days_off_with_sunday_4_january_worked() {
        let c = Calendar::official();
        assert!(!c.is_workday(d("2026-01-02")), "a Friday off");
        assert!(c.is_workday(d("2026-01-04")));
        assert_eq!(add("2025-12-31", 1), d("2026-01-04"));
        assert_eq!(add("2025-12-31", 2), d("2026-01-05"));
    }

    #[test]
    fn spring_festival_2026_has_two_make_up_saturdays() {
        let c = Calendar::official();
        assert!(c.is_workday(d("2026-02-14")));
        assert!(c.is_workday(d("2026-02-28")));
        assert_eq!(add("2026-02-13", 1), d("2026-02-14"));
        assert_eq!(add("2026-02-14", 1), d("2026-02-24"));
        assert_eq!(add("2026-02-26", 2), d("2026-02-28"));
        assert_eq!(add("2026-02-27", 1), d("2026-02-28"));
        assert_eq!(add("2026-02-28", 1), d("2026-03-02"));
    }

    #[test]
    fn national_day_2026_skips_1_to_7_october_and_works_20_september_and_10_october() {
        let c = Calendar::official();
        assert!(c.is_workday(d("2026-09-20")));
        assert!(!c.is_workday(d("2026-09-25")), "中秋节 Friday");
        assert_eq!(add("2026-09-18", 1), d("2026-09-20"));
        assert_eq!(add("2026-09-30", 1), d("2026-10-08"));
        assert_eq!(add("2026-10-09", 1), d("2026-10-10"));
    }

    #[test]
    fn crossing_into_an_unloaded_year_falls_back_to_weekdays_and_says_so() {
        let c = Calendar::official();
        let s = c.add_workdays(d("2026-12-31"), 1).unwrap();
        assert_eq!(s.date, d("2027-01-01"));
        assert_eq!(s.fallback_years, vec![2027]);
        assert!(s.fallback_note().unwrap().contains("2027年未载入"));
        let inside = c.add_workdays(d("2026-12-28"), 3).unwrap();
        assert_eq!(inside.date, d("2026-12-31"));
        assert!(inside.fallback_years.is_empty());
        assert_eq!(
            c.fallback_years_between(d("2025-06-01"), d("2027-01-02")),
            vec![2027]
        );
    }

    #[test]
    fn negative_shifts_count_backwards_and_huge_shifts_are_refused() {
        assert_eq!(add("2025-02-05", -1), d("2025-01-27"));
        assert_eq!(add("2025-02-10", -1), d("2025-02-08"));
        assert_eq!(add("2026-01-05", -2), d("2025-12-31"));
        let e = Calendar::official()
            .add_workdays(d("2025-01-01"), MAX_WORKDAY_SHIFT + 1)
            .unwrap_err();
        assert_eq!(e.code, "calendar_shift_too_large");
    }

    #[test]
    fn workdays_between_excludes_the_start_and_includes_the_end() {
        let c = Calendar::official();
        assert_eq!(c.workdays_between(d("2025-01-24"), d("2025-01-27")), 2);
        assert_eq!(c.workdays_between(d("2025-01-27"), d("2025-01-24")), -2);
        assert_eq!(c.workdays_between(d("2025-01-27"), d("2025-01-27")), 0);
        for n in 1..40 {
            let to = add("2025-01-20", n);
            assert_eq!(c.workdays_between(d("2025-01-20"), to), n);
        }
        assert_eq!(c.workdays_between(d("2024-12-31"), d("2025-12-31")), 248);
    }

    #[test]
    fn an_administrator_schedule_parses_and_round_trips() {
        let text = "# 示例\nyear 2027\nsource 测试通知\n2027-01-01 元旦\n2027-02-06..2027-02-13 春节\nmakeup 2027-02-14\n调休 2027-02-20 # 周六\n";
        let s = YearSchedule::parse(text).unwrap();
        assert_eq!(s.year, 2027);
        assert_eq!(s.holidays.len(), 2);
        assert_eq!(s.holidays[1].name, "春节");
        assert_eq!(s.makeup_workdays, vec![d("2027-02-14"), d("2027-02-20")]);
        assert_eq!(YearSchedule::parse(&s.to_text()).unwrap(), s);
        let c = Calendar::official().with_year(s).unwrap();
        assert!(c.has_schedule(2027));
        assert!(!c.is_workday(d("2027-02-08")));
        assert!(c.is_workday(d("2027-02-14")));
        let shift = c.add_workdays(d("2026-12-31"), 1).unwrap();
        assert_eq!(shift.date, d("2027-01-04"));
        assert!(shift.fallback_years.is_empty());
    }

    #[test]
    fn a_range_may_be_written_with_a_tilde_or_zhi_and_the_year_is_inferred() {
        let s = YearSchedule::parse("2027-10-01~2027-10-07 国庆节\n2027-05-01至2027-05-05 劳动节")
            .unwrap();
        assert_eq!(s.year, 2027);
        assert_eq!(s.holidays[0].last, d("2027-10-07"));
        assert_eq!(s.holidays[1].first, d("2027-05-01"));
    }

    #[test]
    fn bad_schedules_are_refused_with_a_code() {
        let code = |t: &str| YearSchedule::parse(t).unwrap_err().code;
        assert_eq!(
            code("year 2027\nmakeup 2027-02-15"),
            "calendar_makeup_not_weekend"
        );
        assert_eq!(
            code("year 2027\n2026-12-31 元旦"),
            "calendar_date_outside_year"
        );
        assert_eq!(
            code("2027-02-06..2027-02-14 春节\nmakeup 2027-02-14"),
            "calendar_makeup_is_holiday"
        );
        assert_eq!(
            code("2027-02-13..2027-02-06 春节"),
            "calendar_holiday_reversed"
        );
        assert_eq!(
            code("2027-02-06..2027-02-13 春节\n2027-02-13 重叠"),
            "calendar_holiday_overlap"
        );
        assert_eq!(code("2027-02-06 "), "calendar_parse");
        assert_eq!(code("2027-13-01 元旦"), "calendar_parse");
        assert_eq!(code("year x"), "calendar_parse");
        assert_eq!(code("# nothing"), "calendar_parse_empty");
        assert_eq!(
            code("makeup 2027-02-14\nmakeup 2027-02-14"),
            "calendar_makeup_duplicate"
        );
    }

    #[test]
    fn with_year_validates_schedules_that_arrive_through_serde() {
        let bad = YearSchedule {
            year: 2027,
            holidays: vec![],
            makeup_workdays: vec![d("2027-03-03")],
            source: String::new(),
        };
        let e = Calendar::official().with_year(bad).unwrap_err();
        assert_eq!(e.code, "calendar_makeup_not_weekend");
        assert!(e.zh.contains("2027-03-03"));
    }

    #[test]
    fn a_year_without_schedule_counts_monday_to_friday() {
        let c = Calendar::weekdays_only();
        assert!(
            c.is_workday(d("2025-01-28")),
            "春节 unknown without a schedule"
        );
        assert_eq!(
            c.add_workdays(d("2025-01-24"), 1).unwrap().date,
            d("2025-01-27")
        );
        assert_eq!(
            c.add_workdays(d("2025-01-24"), 1).unwrap().fallback_years,
            vec![2025]
        );
    }

    #[test]
    fn next_workday_skips_the_whole_national_day_break() {
        let c = Calendar::official();
        assert_eq!(c.next_workday(d("2025-09-30")), Some(d("2025-10-09")));
    }
}
