//! Rule-triggered enterprise visits (三必访) as configuration, and a pure evaluator.
//!
//! The official list of "三必访" is not public (reference/domain.md §8.2), so each rule is data: a
//! trigger and a deadline in working days. [`default_rules`] ships five: a new enterprise, an urgent
//! pain point, revenue down ≥20 % year on year, a policy window the enterprise is eligible for, and
//! a half-yearly periodic visit.
//!
//! [`evaluate`] looks at one enterprise's facts on one day and says which rules fire, for what
//! (subject), since when, and by which date the visit is due. A trigger is satisfied by any visit on
//! or after the day it happened, so the evaluator is idempotent: the app may run it daily and
//! create a task per (rule, subject, triggered_on) it has not created before.

use chrono::{Months, NaiveDate};

use crate::calendar::{Calendar, fallback_note};
use crate::error::Invalid;

/// A "new enterprise" older than this has missed its welcome visit; the periodic rule takes over.
pub const NEW_ENTERPRISE_WINDOW_DAYS: i64 = 365;

/// A key indicator watched for drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    Revenue,
    Headcount,
    Tax,
}

impl Indicator {
    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::Revenue => "revenue",
            Indicator::Headcount => "headcount",
            Indicator::Tax => "tax",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Indicator::Revenue => "营业收入",
            Indicator::Headcount => "从业人数",
            Indicator::Tax => "纳税额",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Indicator::Revenue => "revenue",
            Indicator::Headcount => "headcount",
            Indicator::Tax => "tax paid",
        }
    }
}

/// What makes a visit obligatory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VisitTrigger {
    /// The enterprise entered the zone and has not been visited since.
    NewEnterprise,
    /// The enterprise raised an urgent pain point (an urgent work order).
    UrgentPainPoint,
    /// An indicator fell by at least `drop_pct` whole percent year on year.
    IndicatorDrop { indicator: Indicator, drop_pct: u32 },
    /// A policy window opened for which the enterprise is eligible; `None` = any policy.
    PolicyWindow { policy_code: Option<String> },
    /// Every `months` months since the last visit (or since entering the zone).
    Periodic { months: u32 },
}

impl VisitTrigger {
    /// Stable kind code, stored beside the serialised trigger (`trigger_kind`).
    pub fn kind(&self) -> &'static str {
        match self {
            VisitTrigger::NewEnterprise => "new_enterprise",
            VisitTrigger::UrgentPainPoint => "urgent_pain_point",
            VisitTrigger::IndicatorDrop { .. } => "indicator_drop",
            VisitTrigger::PolicyWindow { .. } => "policy_window",
            VisitTrigger::Periodic { .. } => "periodic",
        }
    }
}

/// One configured visit rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VisitRule {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub trigger: VisitTrigger,
    /// Working days after the trigger by which the visit is due.
    pub deadline_workdays: u32,
    pub active: bool,
}

impl VisitRule {
    /// Builds and validates a rule.
    pub fn new(
        code: &str,
        name_zh: &str,
        name_en: &str,
        trigger: VisitTrigger,
        deadline_workdays: u32,
        active: bool,
    ) -> Result<VisitRule, Invalid> {
        let r = VisitRule {
            code: crate::category::category_code(code).map_err(|_| {
                Invalid::new(
                    "visit_rule_code_format",
                    format!("走访规则代码“{code}”须为小写字母开头的字母、数字或下划线"),
                    format!("visit rule code '{code}' must be lower-case letters, digits or _"),
                )
            })?,
            name_zh: crate::zone::registry_name(name_zh, 40)?,
            name_en: crate::zone::registry_name(name_en, 80)?,
            trigger,
            deadline_workdays,
            active,
        };
        r.validate()?;
        Ok(r)
    }

    /// Checks ranges: deadline 1–250 working days, drop 1–100 %, period 1–60 months.
    pub fn validate(&self) -> Result<(), Invalid> {
        if !(1..=250).contains(&self.deadline_workdays) {
            return Err(Invalid::new(
                "visit_rule_deadline",
                "走访时限须为1至250个工作日",
                "a visit deadline must be 1 to 250 working days",
            ));
        }
        match &self.trigger {
            VisitTrigger::IndicatorDrop { drop_pct, .. } if !(1..=100).contains(drop_pct) => {
                Err(Invalid::new(
                    "visit_rule_drop_pct",
                    "下滑幅度须为1%至100%",
                    "a drop threshold must be 1 % to 100 %",
                ))
            }
            VisitTrigger::Periodic { months } if !(1..=60).contains(months) => Err(Invalid::new(
                "visit_rule_months",
                "定期走访周期须为1至60个月",
                "a visit period must be 1 to 60 months",
            )),
            _ => Ok(()),
        }
    }
}

/// The rules that ship with the product.
pub fn default_rules() -> Vec<VisitRule> {
    let r = |code: &str, (zh, en): (&str, &str), trigger, days| VisitRule {
        code: code.to_string(),
        name_zh: zh.to_string(),
        name_en: en.to_string(),
        trigger,
        deadline_workdays: days,
        active: true,
    };
    vec![
        r(
            "new_enterprise",
            ("新落户必访", "New enterprise visit"),
            VisitTrigger::NewEnterprise,
            10,
        ),
        r(
            "urgent_pain_point",
            ("急难诉求必访", "Urgent pain point visit"),
            VisitTrigger::UrgentPainPoint,
            2,
        ),
        r(
            "revenue_drop",
            ("指标下滑必访", "Indicator drop visit"),
            VisitTrigger::IndicatorDrop {
                indicator: Indicator::Revenue,
                drop_pct: 20,
            },
            5,
        ),
        r(
            "policy_window",
            ("政策窗口必访", "Policy window visit"),
            VisitTrigger::PolicyWindow { policy_code: None },
            10,
        ),
        r(
            "periodic",
            ("半年定期走访", "Half-yearly visit"),
            VisitTrigger::Periodic { months: 6 },
            20,
        ),
    ]
}

/// Previous and current values of one indicator (e.g. last year's and this year's revenue in fen),
/// as imported on `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IndicatorFigures {
    pub indicator: Indicator,
    /// The period of `current`, e.g. `2025`; part of the task's trigger key.
    pub period: String,
    pub previous: i64,
    pub current: i64,
    pub as_of: NaiveDate,
}

/// An urgent order the enterprise raised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UrgentOrder {
    /// Order number or id, shown in the task.
    pub order_ref: String,
    pub raised_on: NaiveDate,
}

/// A policy window for which the enterprise is eligible.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyWindow {
    pub policy_code: String,
    pub opens_on: NaiveDate,
    pub closes_on: Option<NaiveDate>,
}

/// What the evaluator knows about one enterprise.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnterpriseFacts {
    /// When the enterprise entered the zone (registered or moved in).
    pub entered_on: Option<NaiveDate>,
    /// When the current service team took the enterprise on (包联). A never-visited enterprise's
    /// periodic visit counts from the later of this and `entered_on`, so taking on an old
    /// enterprise does not create a visit "due" decades ago.
    pub assigned_on: Option<NaiveDate>,
    pub last_visit: Option<NaiveDate>,
    pub indicators: Vec<IndicatorFigures>,
    pub urgent_orders: Vec<UrgentOrder>,
    pub policy_windows: Vec<PolicyWindow>,
}

/// A rule that fired: the visit task to create.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VisitDue {
    pub rule_code: String,
    pub rule_name_zh: String,
    /// Which instance of the trigger, stable across runs until a visit satisfies it, for the
    /// one-task-per-(enterprise, rule, instance) index: `new`, `order:<ref>`,
    /// `indicator:<indicator>:<period>`, `policy:<code>:<opens_on>`, `periodic:<triggered_on>`.
    pub trigger_key: String,
    pub triggered_on: NaiveDate,
    pub due: NaiveDate,
    /// Due before `today` and not yet visited.
    pub overdue: bool,
    pub fallback_years: Vec<i32>,
    /// Why, in Chinese: `企业营业收入同比下降23.5%（≥20%），触发“指标下滑必访”，须在5个工作日内（2025-04-09前）走访`.
    pub reason_zh: String,
    pub reason_en: String,
    /// The bilingual fallback warning when a year had no official schedule.
    pub calendar_note: Option<String>,
    /// `reason_zh / reason_en`, then the calendar note if any on a second line.
    pub explanation: String,
}

fn not_visited_since(facts: &EnterpriseFacts, d: NaiveDate) -> bool {
    facts.last_visit.is_none_or(|v| v < d)
}

/// `23.5`: the drop in per-mille-rounded percent, for messages.
fn drop_text(previous: i64, current: i64) -> String {
    let p = i128::from(previous);
    let c = i128::from(current);
    let tenths = ((p - c) * 1000 + p / 2) / p;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Which active rules fire for `facts` on `today`, each with its due date on `cal`.
pub fn evaluate(
    rules: &[VisitRule],
    facts: &EnterpriseFacts,
    today: NaiveDate,
    cal: &Calendar,
) -> Vec<VisitDue> {
    let mut out = Vec::new();
    for rule in rules.iter().filter(|r| r.active) {
        // (subject, triggered_on, zh reason, en reason, cap)
        let mut hits: Vec<(String, NaiveDate, String, String, Option<NaiveDate>)> = Vec::new();
        match &rule.trigger {
            VisitTrigger::NewEnterprise => {
                if let Some(e) = facts.entered_on
                    && e <= today
                    && (today - e).num_days() <= NEW_ENTERPRISE_WINDOW_DAYS
                    && not_visited_since(facts, e)
                {
                    hits.push((
                        "new".to_string(),
                        e,
                        format!("企业于{e}入驻园区，尚未走访"),
                        format!("the enterprise entered the zone on {e} and has not been visited"),
                        None,
                    ));
                }
            }
            VisitTrigger::UrgentPainPoint => {
                for o in &facts.urgent_orders {
                    if o.raised_on <= today && not_visited_since(facts, o.raised_on) {
                        hits.push((
                            format!("order:{}", o.order_ref),
                            o.raised_on,
                            format!("企业于{}提出紧急诉求（{}）", o.raised_on, o.order_ref),
                            format!(
                                "the enterprise raised an urgent pain point on {} ({})",
                                o.raised_on, o.order_ref
                            ),
                            None,
                        ));
                    }
                }
            }
            VisitTrigger::IndicatorDrop {
                indicator,
                drop_pct,
            } => {
                for f in facts
                    .indicators
                    .iter()
                    .filter(|f| f.indicator == *indicator)
                {
                    let fell = f.previous > 0
                        && f.current < f.previous
                        && i128::from(f.previous - f.current) * 100
                            >= i128::from(*drop_pct) * i128::from(f.previous);
                    if fell && f.as_of <= today && not_visited_since(facts, f.as_of) {
                        let pct = drop_text(f.previous, f.current);
                        hits.push((
                            format!("indicator:{}:{}", indicator.as_str(), f.period),
                            f.as_of,
                            format!("企业{}同比下降{pct}%（≥{drop_pct}%）", indicator.label_zh()),
                            format!(
                                "the enterprise's {} fell {pct}% year on year (≥{drop_pct}%)",
                                indicator.label_en()
                            ),
                            None,
                        ));
                    }
                }
            }
            VisitTrigger::PolicyWindow { policy_code } => {
                for w in &facts.policy_windows {
                    let matches = policy_code.as_ref().is_none_or(|c| *c == w.policy_code);
                    let open = w.opens_on <= today && w.closes_on.is_none_or(|c| today <= c);
                    if matches && open && not_visited_since(facts, w.opens_on) {
                        let (close_zh, close_en) = match w.closes_on {
                            Some(c) => (format!("，{c}截止"), format!(", closing {c}")),
                            None => (String::new(), String::new()),
                        };
                        hits.push((
                            format!("policy:{}:{}", w.policy_code, w.opens_on),
                            w.opens_on,
                            format!(
                                "企业符合政策“{}”申报条件，申报窗口{}开启{close_zh}",
                                w.policy_code, w.opens_on
                            ),
                            format!(
                                "the enterprise is eligible for policy '{}', whose window opened {}{close_en}",
                                w.policy_code, w.opens_on
                            ),
                            w.closes_on,
                        ));
                    }
                }
            }
            VisitTrigger::Periodic { months } => {
                let since_assigned = match (facts.entered_on, facts.assigned_on) {
                    (Some(e), Some(a)) if a > e => Some(a),
                    _ => None,
                };
                let (anchor, zh, en) = match (facts.last_visit, since_assigned, facts.entered_on) {
                    (Some(v), _, _) => (Some(v), format!("上次走访{v}"), format!("last visit {v}")),
                    (None, Some(a), _) => (
                        Some(a),
                        format!("{a}包联后从未走访"),
                        format!("never visited since the team took it on on {a}"),
                    ),
                    (None, None, Some(e)) => (
                        Some(e),
                        format!("入驻{e}后从未走访"),
                        format!("never visited since entering on {e}"),
                    ),
                    (None, None, None) => {
                        (None, "从未走访".to_string(), "never visited".to_string())
                    }
                };
                let next = match anchor {
                    Some(a) => a.checked_add_months(Months::new(*months)),
                    None => Some(today),
                };
                if let Some(next) = next
                    && next <= today
                {
                    hits.push((
                        format!("periodic:{next}"),
                        next,
                        format!("{zh}，已满{months}个月"),
                        format!("{en}; {months} months have passed"),
                        None,
                    ));
                }
            }
        }
        for (trigger_key, triggered_on, zh, en, cap) in hits {
            let shift = cal
                .add_workdays(triggered_on, i64::from(rule.deadline_workdays))
                .ok();
            let (mut due, fallback_years) = match shift {
                Some(s) => (s.date, s.fallback_years),
                None => (triggered_on, Vec::new()),
            };
            let mut capped = false;
            if let Some(c) = cap
                && c < due
            {
                due = c.max(triggered_on);
                capped = true;
            }
            let cap_note = if capped {
                (
                    "（以申报截止日为限）".to_string(),
                    " (capped at the window's close)".to_string(),
                )
            } else {
                (String::new(), String::new())
            };
            let reason_zh = format!(
                "{zh}，触发“{}”，须在{}个工作日内（{due}前{}）走访",
                rule.name_zh, rule.deadline_workdays, cap_note.0,
            );
            let reason_en = format!(
                "{en}: rule '{}' requires a visit within {} working days (by {due}{})",
                rule.name_en, rule.deadline_workdays, cap_note.1,
            );
            let calendar_note = fallback_note(&fallback_years);
            let mut explanation = format!("{reason_zh} / {reason_en}");
            if let Some(note) = &calendar_note {
                explanation.push('\n');
                explanation.push_str(note);
            }
            out.push(VisitDue {
                rule_code: rule.code.clone(),
                rule_name_zh: rule.name_zh.clone(),
                trigger_key,
                triggered_on,
                due,
                overdue: due < today,
                fallback_years,
                reason_zh,
                reason_en,
                calendar_note,
                explanation,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn run(facts: &EnterpriseFacts, today: &str) -> Vec<VisitDue> {
        evaluate(&default_rules(), facts, d(today), &Calendar::official())
    }

    fn codes(v: &[VisitDue]) -> Vec<&str> {
        v.iter().map(|x| x.rule_code.as_str()).collect()
    }

    #[test]
    fn the_default_rules_are_valid() {
        for r in default_rules() {
            r.validate().unwrap();
            VisitRule::new(
                &r.code,
                &r.name_zh,
                &r.name_en,
                r.trigger.clone(),
                r.deadline_workdays,
                true,
            )
            .unwrap();
        }
    }

    #[test]
    fn a_new_enterprise_is_visited_within_ten_working_days() {
        let f = EnterpriseFacts {
            entered_on: Some(d("2025-01-20")),
            ..Default::default()
        };
        let v = run(&f, "2025-01-21");
        assert_eq!(codes(&v), vec!["new_enterprise"]);
        // 01-21,22,23,24,26(Sun),27, then 02-05,06,07,08(Sat) → 10th working day.
        assert_eq!(v[0].due, d("2025-02-08"));
        assert!(!v[0].overdue);
        assert!(v[0].explanation.contains("新落户必访"));
        let visited = EnterpriseFacts {
            last_visit: Some(d("2025-01-22")),
            ..f.clone()
        };
        assert!(run(&visited, "2025-01-23").is_empty());
        assert!(run(&f, "2025-02-10")[0].overdue);
    }

    #[test]
    fn an_enterprise_that_entered_long_ago_is_not_new() {
        let f = EnterpriseFacts {
            entered_on: Some(d("2023-01-01")),
            last_visit: Some(d("2025-01-02")),
            ..Default::default()
        };
        assert!(run(&f, "2025-03-01").is_empty());
    }

    #[test]
    fn an_urgent_pain_point_needs_a_visit_within_two_working_days() {
        let f = EnterpriseFacts {
            last_visit: Some(d("2025-09-01")),
            urgent_orders: vec![UrgentOrder {
                order_ref: "GD-2025-0042".into(),
                raised_on: d("2025-09-30"),
            }],
            ..Default::default()
        };
        let v = run(&f, "2025-09-30");
        assert_eq!(codes(&v), vec!["urgent_pain_point"]);
        assert_eq!(v[0].trigger_key, "order:GD-2025-0042");
        assert_eq!(v[0].due, d("2025-10-10"), "国庆 break: 10-09, 10-10");
    }

    #[test]
    fn a_revenue_drop_of_at_least_twenty_percent_triggers_a_visit() {
        let f = EnterpriseFacts {
            last_visit: Some(d("2025-03-01")),
            indicators: vec![IndicatorFigures {
                indicator: Indicator::Revenue,
                period: "2025".into(),
                previous: 10_000,
                current: 7_650,
                as_of: d("2025-04-01"),
            }],
            ..Default::default()
        };
        let v = run(&f, "2025-04-02");
        assert_eq!(codes(&v), vec!["revenue_drop"]);
        assert_eq!(v[0].trigger_key, "indicator:revenue:2025");
        assert_eq!(
            v[0].reason_en.split(':').next(),
            Some("the enterprise's revenue fell 23.5% year on year (≥20%)")
        );
        assert!(
            v[0].explanation
                .starts_with("企业营业收入同比下降23.5%（≥20%），触发“指标下滑必访”"),
            "{}",
            v[0].explanation
        );
        assert_eq!(v[0].due, d("2025-04-09"), "清明 04-04 off: 02,03,07,08,09");
        let small = EnterpriseFacts {
            indicators: vec![IndicatorFigures {
                current: 8_001,
                ..f.indicators[0].clone()
            }],
            ..f.clone()
        };
        assert!(run(&small, "2025-04-02").is_empty());
        let exactly = EnterpriseFacts {
            indicators: vec![IndicatorFigures {
                current: 8_000,
                ..f.indicators[0].clone()
            }],
            ..f.clone()
        };
        assert_eq!(codes(&run(&exactly, "2025-04-02")), vec!["revenue_drop"]);
        let headcount = EnterpriseFacts {
            indicators: vec![IndicatorFigures {
                indicator: Indicator::Headcount,
                ..f.indicators[0].clone()
            }],
            ..f
        };
        assert!(
            run(&headcount, "2025-04-02").is_empty(),
            "no headcount rule by default"
        );
    }

    #[test]
    fn an_open_policy_window_triggers_a_visit_capped_at_its_close() {
        let f = EnterpriseFacts {
            last_visit: Some(d("2025-05-01")),
            policy_windows: vec![PolicyWindow {
                policy_code: "BJ-CXQ-2025".into(),
                opens_on: d("2025-06-03"),
                closes_on: Some(d("2025-06-10")),
            }],
            ..Default::default()
        };
        let v = run(&f, "2025-06-04");
        assert_eq!(codes(&v), vec!["policy_window"]);
        assert_eq!(v[0].due, d("2025-06-10"));
        assert!(v[0].explanation.contains("以申报截止日为限"));
        assert!(run(&f, "2025-06-11").is_empty(), "window closed");
        assert!(run(&f, "2025-06-02").is_empty(), "not yet open");
        let specific = [VisitRule::new(
            "cxq",
            "创新券窗口必访",
            "Voucher window visit",
            VisitTrigger::PolicyWindow {
                policy_code: Some("OTHER".into()),
            },
            10,
            true,
        )
        .unwrap()];
        assert!(evaluate(&specific, &f, d("2025-06-04"), &Calendar::official()).is_empty());
    }

    #[test]
    fn a_periodic_visit_falls_due_six_months_after_the_last_one() {
        let f = EnterpriseFacts {
            entered_on: Some(d("2020-01-01")),
            last_visit: Some(d("2025-03-31")),
            ..Default::default()
        };
        assert!(run(&f, "2025-09-29").is_empty());
        let v = run(&f, "2025-09-30");
        assert_eq!(codes(&v), vec!["periodic"]);
        assert_eq!(v[0].triggered_on, d("2025-09-30"));
        assert_eq!(v[0].trigger_key, "periodic:2025-09-30");
        assert_eq!(default_rules()[4].trigger.kind(), "periodic");
        assert!(v[0].explanation.contains("上次走访2025-03-31，已满6个月"));
        let never = EnterpriseFacts::default();
        assert_eq!(run(&never, "2025-07-01")[0].triggered_on, d("2025-07-01"));
    }

    #[test]
    fn inactive_rules_never_fire() {
        let mut rules = default_rules();
        for r in &mut rules {
            r.active = false;
        }
        let f = EnterpriseFacts {
            entered_on: Some(d("2025-01-20")),
            ..Default::default()
        };
        assert!(evaluate(&rules, &f, d("2025-01-21"), &Calendar::official()).is_empty());
    }

    #[test]
    fn a_due_date_in_an_unloaded_year_says_so() {
        let f = EnterpriseFacts {
            entered_on: Some(d("2026-12-28")),
            ..Default::default()
        };
        let v = run(&f, "2026-12-28");
        assert_eq!(v[0].fallback_years, vec![2027]);
        assert!(v[0].explanation.contains("2027年未载入"));
    }

    #[test]
    fn rule_ranges_are_checked() {
        let e = VisitRule::new(
            "x",
            "下滑",
            "Drop",
            VisitTrigger::IndicatorDrop {
                indicator: Indicator::Tax,
                drop_pct: 0,
            },
            5,
            true,
        )
        .unwrap_err();
        assert_eq!(e.code, "visit_rule_drop_pct");
        let e = VisitRule::new(
            "x",
            "定期",
            "Periodic",
            VisitTrigger::Periodic { months: 0 },
            5,
            true,
        )
        .unwrap_err();
        assert_eq!(e.code, "visit_rule_months");
        let e = VisitRule::new("x", "新", "New", VisitTrigger::NewEnterprise, 0, true).unwrap_err();
        assert_eq!(e.code, "visit_rule_deadline");
        let e =
            VisitRule::new("X Y", "新", "New", VisitTrigger::NewEnterprise, 5, true).unwrap_err();
        assert_eq!(e.code, "visit_rule_code_format");
    }

    #[test]
    fn a_never_visited_old_enterprise_counts_its_periodic_visit_from_the_assignment() {
        let f = EnterpriseFacts {
            entered_on: Some(d("1998-03-01")),
            assigned_on: Some(d("2025-03-10")),
            ..Default::default()
        };
        assert!(
            run(&f, "2025-09-09").is_empty(),
            "six months have not passed since 包联"
        );
        let v = run(&f, "2025-09-10");
        assert_eq!(codes(&v), vec!["periodic"]);
        assert_eq!(v[0].triggered_on, d("2025-09-10"));
        assert!(v[0].reason_zh.contains("包联"));
    }
}
