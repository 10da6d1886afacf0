//! Rule-triggered visits (三必访) and the visit log.
//!
//! Rules are configuration in the database, seeded from [`lianshi_domain::visit::default_rules`]
//! (seeding only adds missing codes, never overwrites an administrator's edit). [`App::visit_scan`]
//! is the job: it builds each assigned enterprise's facts (entry date, last visit, the latest two
//! years of indicators), asks the pure evaluator which rules fire, and creates one task per
//! (enterprise, rule, subject@triggered_on) — the unique index makes a rerun create nothing.
//! Urgent pain points and policy windows arrive through the hooks [`App::visit_trigger_urgent`]
//! and [`App::visit_trigger_policy`], which evaluate only their own rule kind.
//!
//! Recording a visit closes the open tasks it answers (one chosen task, or every open task of the
//! enterprise triggered on or before the visit date). [`App::visit_record_then`] is the extension
//! point for the work-order feature: it runs a caller's step (e.g. creating pain points from the
//! same form) inside the visit's transaction.

use crate::team::perm as ps;
use crate::zone::entry;
use crate::{Actor, App, AppError, AppResult};
use chrono::NaiveDate;
use lianshi_domain::calendar::Calendar;
use lianshi_domain::visit::{
    EnterpriseFacts, Indicator, IndicatorFigures, PolicyWindow, UrgentOrder, VisitDue, VisitRule,
    VisitTrigger, default_rules, evaluate,
};
use lianshi_store::Tx;
use lianshi_store::audit::audit_append;
use lianshi_store::visit::{
    NewVisit, NewVisitTask, TaskFilter, VisitFilter, VisitRuleRow, VisitRuleWrite, VisitTaskRow,
    indicator_upsert, visit_insert, visit_rule_seed, visit_rule_update, visit_task_insert,
    visit_tasks_close,
};
use std::collections::{BTreeMap, HashMap};

pub use lianshi_store::visit::{IndicatorRow, VisitRow};

/// A rule as pages and the API show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitRuleView {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub trigger: VisitTrigger,
    /// What fires the rule, in words (zh, en).
    pub trigger_zh: String,
    pub trigger_en: String,
    pub deadline_workdays: i64,
    pub active: bool,
    pub version: i64,
}

/// An administrator's edit of a rule; absent fields keep their value.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct VisitRuleInput {
    pub deadline_workdays: Option<u32>,
    pub active: Option<bool>,
    /// Indicator-drop rules: the threshold in whole percent.
    pub drop_pct: Option<u32>,
    /// Periodic rules: the period in months.
    pub months: Option<u32>,
    /// Policy-window rules: one policy code, or empty for any policy.
    pub policy_code: Option<String>,
    pub version: Option<i64>,
}

/// What a scan did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanReport {
    pub today: String,
    /// Assigned enterprises evaluated.
    pub enterprises: i64,
    /// Rules that fired (new or already known tasks).
    pub fired: i64,
    /// Tasks created by this scan.
    pub created: i64,
    /// Created tasks per rule code.
    pub created_by_rule: BTreeMap<String, i64>,
    /// Open tasks overdue on `today` after the scan, zone-wide.
    pub overdue_open: i64,
}

/// A task as pages and the API show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitTaskView {
    #[serde(flatten)]
    pub task: VisitTaskRow,
    /// Open and due before today.
    pub overdue: bool,
    /// Why the task exists, both languages (Chinese first), with any calendar note.
    pub explanation: String,
}

/// The values of the task list's `status` filter (`all`, or empty, is every task).
pub const TASK_STATUSES: [&str; 5] = ["open", "overdue", "done", "cancelled", "all"];

#[cfg(feature = "openapi")]
fn task_status_schema() -> utoipa::openapi::schema::Schema {
    use lianshi_domain::schema::{Absent, one_of};
    one_of(TASK_STATUSES, Absent::Empty)
}

/// Query of the task list.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default)]
pub struct TaskQuery {
    pub team: Option<i64>,
    /// Credit code.
    pub enterprise: Option<String>,
    /// `open` (default), `overdue`, `done`, `cancelled` or `all` (empty: all).
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = task_status_schema),
        param(schema_with = task_status_schema)
    )]
    pub status: Option<String>,
    /// Rule code.
    pub rule: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskPage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<VisitTaskView>,
}

/// A visit to record.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct VisitInput {
    /// Credit code of the enterprise visited.
    pub enterprise: String,
    /// `YYYY-MM-DD`, not in the future.
    pub visited_on: String,
    /// Usernames of the people who went (default: the recorder).
    pub participants: Vec<String>,
    /// What was discussed.
    pub summary: String,
    /// File names of photos or documents (names only; the files live elsewhere).
    pub attachments: Vec<String>,
    /// The task this visit answers; without it, every open task triggered by the visit date.
    pub task_id: Option<i64>,
    /// Pain points (堵点) heard on the visit: each becomes a work order of the visited
    /// enterprise, channel `visit`, linked to the visit, written in the visit's transaction.
    pub pain_points: Vec<PainPointInput>,
}

/// A pain point raised on a visit.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PainPointInput {
    pub title: String,
    pub description: String,
    /// Order category code or Chinese name (default `other`).
    pub category: Option<String>,
    /// `normal` / `urgent` (一般/紧急); `normal` when absent or empty.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = lianshi_domain::schema::urgency_or_default)
    )]
    pub urgency: Option<String>,
}

/// A recorded visit and the work orders created from its pain points.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitRecorded {
    #[serde(flatten)]
    pub visit: VisitRow,
    /// Ids of the orders created from the pain points, in the order given.
    pub order_ids: Vec<i64>,
    /// Their reference numbers.
    pub orders: Vec<String>,
}

/// What the extension step of [`App::visit_record_then`] gets to see.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RecordedVisit {
    pub visit_id: i64,
    pub enterprise_id: i64,
    pub team_id: Option<i64>,
    pub visited_on: NaiveDate,
    pub closed_tasks: Vec<i64>,
}

/// Query of the visit log.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default)]
pub struct VisitQuery {
    pub team: Option<i64>,
    pub enterprise: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitPage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<VisitRow>,
}

/// One period's figures as given (money in fen).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct IndicatorInput {
    /// `YYYY`.
    pub period: String,
    pub revenue_fen: Option<i64>,
    pub headcount: Option<i64>,
    pub tax_fen: Option<i64>,
}

/// The trigger in words: (zh, en).
pub fn trigger_words(t: &VisitTrigger) -> (String, String) {
    match t {
        VisitTrigger::NewEnterprise => (
            "新企业入驻园区，尚未走访".into(),
            "a new enterprise entered the zone and has not been visited".into(),
        ),
        VisitTrigger::UrgentPainPoint => (
            "企业提出紧急诉求".into(),
            "the enterprise raised an urgent pain point".into(),
        ),
        VisitTrigger::IndicatorDrop {
            indicator,
            drop_pct,
        } => (
            format!("{}同比下降≥{drop_pct}%", indicator.label_zh()),
            format!("{} down ≥{drop_pct}% year on year", indicator.label_en()),
        ),
        VisitTrigger::PolicyWindow { policy_code } => match policy_code {
            Some(c) => (
                format!("企业符合政策“{c}”且申报窗口开启"),
                format!("a window opens for policy '{c}' the enterprise is eligible for"),
            ),
            None => (
                "企业符合条件的政策申报窗口开启".into(),
                "a window opens for a policy the enterprise is eligible for".into(),
            ),
        },
        VisitTrigger::Periodic { months } => (
            format!("距上次走访满{months}个月"),
            format!("{months} months since the last visit"),
        ),
    }
}

fn rule_view(r: &VisitRuleRow) -> AppResult<VisitRuleView> {
    let trigger: VisitTrigger = serde_json::from_str(&r.trigger_json)
        .map_err(|e| AppError::Internal(format!("visit rule {}: {e}", r.code)))?;
    let (trigger_zh, trigger_en) = trigger_words(&trigger);
    Ok(VisitRuleView {
        id: r.id,
        code: r.code.clone(),
        name_zh: r.name_zh.clone(),
        name_en: r.name_en.clone(),
        trigger,
        trigger_zh,
        trigger_en,
        deadline_workdays: r.deadline_workdays,
        active: r.active,
        version: r.version,
    })
}

fn domain_rule(v: &VisitRuleView) -> VisitRule {
    VisitRule {
        code: v.code.clone(),
        name_zh: v.name_zh.clone(),
        name_en: v.name_en.clone(),
        trigger: v.trigger.clone(),
        deadline_workdays: u32::try_from(v.deadline_workdays).unwrap_or(1),
        active: v.active,
    }
}

fn parse_date(field: &'static str, s: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::bad(
            "date_format",
            format!("{field} 应为日期 YYYY-MM-DD，收到“{s}”"),
            format!("{field} must be a date YYYY-MM-DD, got '{s}'"),
        )
    })
}

fn date_of(ts: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(ts.get(..10)?, "%Y-%m-%d").ok()
}

fn task_view(t: VisitTaskRow, today: &str) -> VisitTaskView {
    let overdue = t.status == "open" && t.due_on.as_str() < today;
    let mut explanation = format!("{} / {}", t.reason_zh, t.reason_en);
    if let Some(n) = &t.calendar_note {
        explanation.push('\n');
        explanation.push_str(n);
    }
    VisitTaskView {
        task: t,
        overdue,
        explanation,
    }
}

impl App {
    /// The working-day calendar for visit deadlines.
    fn visit_calendar(&self) -> Calendar {
        Calendar::official()
    }

    /// Add any default rule whose code is missing (never overwrites edits). Returns the rules.
    async fn visit_rules_loaded(&self) -> AppResult<Vec<VisitRuleView>> {
        let mut rows = self.db.visit_rules().await?;
        let defaults = default_rules();
        if defaults
            .iter()
            .any(|d| !rows.iter().any(|r| r.code == d.code))
        {
            let mut tx = self.db.begin().await?;
            for (i, d) in defaults.iter().enumerate() {
                visit_rule_seed(
                    tx.conn(),
                    &VisitRuleWrite {
                        code: d.code.clone(),
                        name_zh: d.name_zh.clone(),
                        name_en: d.name_en.clone(),
                        trigger_kind: d.trigger.kind().into(),
                        trigger_json: serde_json::to_string(&d.trigger)
                            .map_err(|e| AppError::Internal(e.to_string()))?,
                        deadline_workdays: i64::from(d.deadline_workdays),
                        active: d.active,
                        sort: i as i64,
                    },
                )
                .await?;
            }
            tx.commit().await?;
            rows = self.db.visit_rules().await?;
        }
        rows.iter().map(rule_view).collect()
    }

    /// The visit rules (everyone working in the service loop may read them).
    pub async fn visit_rules(&self, actor: &Actor) -> AppResult<Vec<VisitRuleView>> {
        let mine = self.my_teams(actor).await?;
        ps::view_visit_rules(actor, &mine)?;
        self.visit_rules_loaded().await
    }

    /// Edit a rule's deadline, active flag or trigger parameters (admin).
    pub async fn visit_rule_update(
        &self,
        actor: &Actor,
        code: &str,
        inp: &VisitRuleInput,
    ) -> AppResult<VisitRuleView> {
        ps::edit_visit_rules(actor)?;
        let rules = self.visit_rules_loaded().await?;
        let before = rules
            .into_iter()
            .find(|r| r.code == code.trim())
            .ok_or_else(|| AppError::NotFound(format!("visit rule {code}")))?;
        if let Some(v) = inp.version
            && v != before.version
        {
            return Err(AppError::Conflict(
                "规则已被他人修改，请刷新后重试 / the rule was changed by someone else; reload and retry"
                    .into(),
            ));
        }
        let mut rule = domain_rule(&before);
        if let Some(d) = inp.deadline_workdays {
            rule.deadline_workdays = d;
        }
        if let Some(a) = inp.active {
            rule.active = a;
        }
        match &mut rule.trigger {
            VisitTrigger::IndicatorDrop { drop_pct, .. } => {
                if let Some(p) = inp.drop_pct {
                    *drop_pct = p;
                }
            }
            VisitTrigger::Periodic { months } => {
                if let Some(m) = inp.months {
                    *months = m;
                }
            }
            VisitTrigger::PolicyWindow { policy_code } => {
                if let Some(c) = &inp.policy_code {
                    *policy_code = Some(c.trim().to_string()).filter(|c| !c.is_empty());
                }
            }
            _ => {}
        }
        rule.validate().map_err(AppError::from_invalid)?;
        let json =
            serde_json::to_string(&rule.trigger).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        visit_rule_update(
            tx.conn(),
            before.id,
            before.version,
            i64::from(rule.deadline_workdays),
            rule.active,
            &json,
        )
        .await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "visit_rule.update",
                "visit_rule",
                Some(before.code.clone()),
                crate::zone::json(&before),
                crate::zone::json(&rule),
            ),
        )
        .await?;
        tx.commit().await?;
        self.visit_rules_loaded()
            .await?
            .into_iter()
            .find(|r| r.code == before.code)
            .ok_or_else(|| AppError::NotFound(format!("visit rule {code}")))
    }

    /// Create the tasks for `dues` of one enterprise; returns the new task ids.
    async fn create_tasks(
        &self,
        tx: &mut Tx,
        rules: &[VisitRuleView],
        (enterprise_id, team_id): (i64, Option<i64>),
        dues: &[VisitDue],
        by: &str,
        report: Option<&mut ScanReport>,
    ) -> AppResult<Vec<i64>> {
        let mut created = Vec::new();
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        for d in dues {
            let Some(rule) = rules.iter().find(|r| r.code == d.rule_code) else {
                continue;
            };
            let t = NewVisitTask {
                enterprise_id,
                team_id,
                rule_id: rule.id,
                trigger_key: d.trigger_key.clone(),
                triggered_on: d.triggered_on.to_string(),
                due_on: d.due.to_string(),
                reason_zh: d.reason_zh.clone(),
                reason_en: d.reason_en.clone(),
                calendar_note: d.calendar_note.clone(),
                created_by: by.to_string(),
            };
            if let Some(id) = visit_task_insert(tx.conn(), &t).await? {
                created.push(id);
                *counts.entry(rule.code.clone()).or_default() += 1;
            }
        }
        if let Some(r) = report {
            r.fired += dues.len() as i64;
            r.created += created.len() as i64;
            for (k, v) in counts {
                *r.created_by_rule.entry(k).or_default() += v;
            }
        }
        Ok(created)
    }

    /// The visit job (admin or the CLI): evaluate the rules for every assigned enterprise on
    /// `today` and create the missing tasks. Running it again creates nothing new.
    pub async fn visit_scan(&self, actor: &Actor, today: NaiveDate) -> AppResult<ScanReport> {
        ps::run_visit_scan(actor)?;
        let rules = self.visit_rules_loaded().await?;
        let domain: Vec<VisitRule> = rules
            .iter()
            .map(domain_rule)
            // Urgent orders and policy windows come through their hooks, not the scan.
            .filter(|r| {
                !matches!(
                    r.trigger,
                    VisitTrigger::UrgentPainPoint | VisitTrigger::PolicyWindow { .. }
                )
            })
            .collect();
        let cal = self.visit_calendar();
        let facts = self.db.visit_scan_facts().await?;
        let mut inds: HashMap<i64, Vec<IndicatorRow>> = HashMap::new();
        for i in self.db.indicators_assigned().await? {
            inds.entry(i.enterprise_id).or_default().push(i);
        }
        let mut report = ScanReport {
            today: today.to_string(),
            enterprises: facts.len() as i64,
            ..Default::default()
        };
        let mut tx = self.db.begin().await?;
        for f in &facts {
            let ef = EnterpriseFacts {
                entered_on: f
                    .registered_on
                    .as_deref()
                    .and_then(date_of)
                    .or_else(|| date_of(&f.created_at)),
                assigned_on: date_of(&f.assigned_at),
                last_visit: f.last_visit_on.as_deref().and_then(date_of),
                indicators: indicator_figures(inds.get(&f.enterprise_id).map(Vec::as_slice)),
                urgent_orders: Vec::new(),
                policy_windows: Vec::new(),
            };
            let dues = evaluate(&domain, &ef, today, &cal);
            if dues.is_empty() {
                continue;
            }
            self.create_tasks(
                &mut tx,
                &rules,
                (f.enterprise_id, Some(f.team_id)),
                &dues,
                &actor.username,
                Some(&mut report),
            )
            .await?;
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "visit.scan",
                "visit_task",
                None,
                None,
                crate::zone::json(&report),
            ),
        )
        .await?;
        tx.commit().await?;
        report.overdue_open = self
            .db
            .visit_task_list(
                &TaskFilter {
                    overdue_on: Some(today.to_string()),
                    ..Default::default()
                },
                1,
                0,
            )
            .await?
            .1;
        Ok(report)
    }

    /// Evaluate one hook's facts with the rules of one trigger kind and create the tasks.
    async fn visit_hook(
        &self,
        enterprise_id: i64,
        kind: &str,
        mut facts: EnterpriseFacts,
        what: serde_json::Value,
    ) -> AppResult<Vec<i64>> {
        self.db
            .enterprise_by_id(enterprise_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enterprise {enterprise_id}")))?;
        let rules = self.visit_rules_loaded().await?;
        let domain: Vec<VisitRule> = rules
            .iter()
            .map(domain_rule)
            .filter(|r| r.trigger.kind() == kind)
            .collect();
        let team_id = self
            .db
            .assignment_of(enterprise_id)
            .await?
            .map(|a| a.team_id);
        let (last, _) = self
            .db
            .visit_list(
                &VisitFilter {
                    enterprise_id: Some(enterprise_id),
                    ..Default::default()
                },
                1,
                0,
            )
            .await?;
        facts.last_visit = last.first().and_then(|v| date_of(&v.visited_on));
        let today = Self::today();
        let dues = evaluate(&domain, &facts, today, &self.visit_calendar());
        let system = Actor::system(crate::Source::Cli);
        let by = format!("hook:{kind}");
        let mut tx = self.db.begin().await?;
        let ids = self
            .create_tasks(&mut tx, &rules, (enterprise_id, team_id), &dues, &by, None)
            .await?;
        if !ids.is_empty() {
            audit_append(
                tx.conn(),
                &entry(
                    &system,
                    "visit.trigger",
                    "visit_task",
                    Some(enterprise_id.to_string()),
                    None,
                    Some(serde_json::json!({"kind": kind, "what": what, "tasks": ids})),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Hook for work orders: an enterprise raised an urgent pain point `order_ref` today. Creates
    /// the urgent-visit task (for the enterprise's team, or unassigned if it has none) unless one
    /// exists for this order; returns the ids created.
    pub async fn visit_trigger_urgent(
        &self,
        enterprise_id: i64,
        order_ref: &str,
    ) -> AppResult<Vec<i64>> {
        let facts = EnterpriseFacts {
            urgent_orders: vec![UrgentOrder {
                order_ref: order_ref.trim().to_string(),
                raised_on: Self::today(),
            }],
            ..Default::default()
        };
        self.visit_hook(
            enterprise_id,
            "urgent_pain_point",
            facts,
            serde_json::json!({"order_ref": order_ref}),
        )
        .await
    }

    /// Hook for policies: a window for `policy_code`, for which the enterprise is eligible, opened
    /// today and closes on `window_end`. The visit is due within the rule's deadline, capped at
    /// the window's close.
    pub async fn visit_trigger_policy(
        &self,
        enterprise_id: i64,
        policy_code: &str,
        window_end: NaiveDate,
    ) -> AppResult<Vec<i64>> {
        let facts = EnterpriseFacts {
            policy_windows: vec![PolicyWindow {
                policy_code: policy_code.trim().to_string(),
                opens_on: Self::today(),
                closes_on: Some(window_end),
            }],
            ..Default::default()
        };
        self.visit_hook(
            enterprise_id,
            "policy_window",
            facts,
            serde_json::json!({"policy_code": policy_code, "window_end": window_end}),
        )
        .await
    }

    async fn enterprise_id_of(&self, uscc: &str) -> AppResult<i64> {
        let code = uscc.trim().to_ascii_uppercase();
        Ok(self
            .db
            .enterprise_by_uscc(&code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enterprise {code}")))?
            .id)
    }

    /// Team ids to filter by: the actor's scope narrowed by an optional requested team.
    async fn scoped_teams(&self, actor: &Actor, team: Option<i64>) -> AppResult<Option<Vec<i64>>> {
        let mine = self.my_teams(actor).await?;
        let scope = ps::team_scope(actor, &mine)?;
        Ok(match (scope, team) {
            (None, None) => None,
            (None, Some(t)) => Some(vec![t]),
            (Some(ids), None) => Some(ids),
            (Some(ids), Some(t)) => {
                ps::view_team(actor, &mine, t)?;
                Some(ids.into_iter().filter(|i| *i == t).collect())
            }
        })
    }

    /// Visit tasks the actor may see, open first and earliest due first; overdue ones flagged.
    pub async fn visit_tasks(&self, actor: &Actor, q: &TaskQuery) -> AppResult<TaskPage> {
        let team_ids = self.scoped_teams(actor, q.team).await?;
        let enterprise_id = match q.enterprise.as_deref().filter(|e| !e.trim().is_empty()) {
            Some(e) => Some(self.enterprise_id_of(e).await?),
            None => None,
        };
        let today = Self::today().to_string();
        let status = q.status.as_deref().unwrap_or("open");
        if !status.is_empty() && !TASK_STATUSES.contains(&status) {
            return Err(AppError::bad(
                "status_unknown",
                format!("未知状态“{status}”，可选 open、overdue、done、cancelled、all"),
                format!(
                    "unknown status '{status}'; expected open, overdue, done, cancelled or all"
                ),
            ));
        }
        let (status, overdue_on) = match status {
            "open" => (Some("open".to_string()), None),
            "overdue" => (None, Some(today.clone())),
            "done" => (Some("done".to_string()), None),
            "cancelled" => (Some("cancelled".to_string()), None),
            _ => (None, None),
        };
        let rule_id = match q.rule.as_deref().filter(|r| !r.trim().is_empty()) {
            Some(code) => Some(
                self.db
                    .visit_rule_by_code(code.trim())
                    .await?
                    .ok_or_else(|| {
                        AppError::bad(
                            "visit_rule_unknown",
                            format!("未知走访规则“{code}”"),
                            format!("unknown visit rule '{code}'"),
                        )
                    })?
                    .id,
            ),
            None => None,
        };
        let f = TaskFilter {
            team_ids,
            enterprise_id,
            rule_id,
            status,
            overdue_on,
        };
        let per_page = q.per_page.unwrap_or(50).clamp(1, 200);
        let page = q.page.unwrap_or(1).max(1);
        let (rows, total) = self
            .db
            .visit_task_list(&f, per_page, crate::bounds::page_offset(page, per_page))
            .await?;
        Ok(TaskPage {
            total,
            page,
            per_page,
            items: rows.into_iter().map(|t| task_view(t, &today)).collect(),
        })
    }

    /// One task. Out of scope → 403.
    pub async fn visit_task(&self, actor: &Actor, id: i64) -> AppResult<VisitTaskView> {
        let t = self
            .db
            .visit_task_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("visit task {id}")))?;
        let mine = self.my_teams(actor).await?;
        if let Some(ids) = ps::team_scope(actor, &mine)?
            && !t.team_id.is_some_and(|x| ids.contains(&x))
        {
            return Err(AppError::Forbidden);
        }
        Ok(task_view(t, &Self::today().to_string()))
    }

    /// Record a visit; closes the task(s) it answers. See [`App::visit_record_then`].
    pub async fn visit_record(&self, actor: &Actor, inp: &VisitInput) -> AppResult<VisitRow> {
        Ok(self.visit_record_orders(actor, inp).await?.visit)
    }

    /// Record a visit with its pain points: every pain point is checked before anything is
    /// written (a bad one refuses the whole form), then the visit and one work order per pain
    /// point (channel `visit`, linked to the visit) are written in one transaction. The
    /// urgent-visit rule is not raised for them: the visit it would ask for has just happened.
    pub async fn visit_record_orders(
        &self,
        actor: &Actor,
        inp: &VisitInput,
    ) -> AppResult<VisitRecorded> {
        if inp.pain_points.len() > 20 {
            return Err(AppError::bad(
                "too_many_pain_points",
                "一次走访最多登记20个堵点",
                "at most 20 pain points per visit",
            ));
        }
        let now = chrono::Utc::now();
        let mut prepared = Vec::with_capacity(inp.pain_points.len());
        for (i, p) in inp.pain_points.iter().enumerate() {
            let oi = crate::order::OrderInput {
                enterprise: Some(inp.enterprise.clone()),
                title: Some(p.title.clone()),
                description: Some(p.description.clone()),
                category: p.category.clone(),
                urgency: p.urgency.clone(),
                channel: Some("visit".into()),
                ..Default::default()
            };
            let one = self
                .order_prepare(actor, &oi, now)
                .await
                .map_err(|e| match e {
                    AppError::BadRequest { code, zh, en } => AppError::BadRequest {
                        code,
                        zh: format!("堵点{}：{zh}", i + 1),
                        en: format!("pain point {}: {en}", i + 1),
                    },
                    e => e,
                })?;
            prepared.push(one);
        }
        let mut order_ids = Vec::new();
        let ids = &mut order_ids;
        let visit = self
            .visit_record_then(actor, inp, async |tx: &mut Tx, rec: &RecordedVisit| {
                for p in &mut prepared {
                    p.new.visit_id = Some(rec.visit_id);
                    ids.push(self.order_create_in(tx, actor, p).await?);
                }
                Ok(())
            })
            .await?;
        let orders = order_ids
            .iter()
            .map(|i| crate::order::order_ref(*i))
            .collect();
        Ok(VisitRecorded {
            visit,
            order_ids,
            orders,
        })
    }

    /// Record a visit and run `then` in the same transaction after the visit is stored and its
    /// tasks closed. **Extension point for work orders**: creating pain points (堵点) from the
    /// visit form goes here, so the visit and its pain points are written together or not at all.
    pub async fn visit_record_then<F>(
        &self,
        actor: &Actor,
        inp: &VisitInput,
        then: F,
    ) -> AppResult<VisitRow>
    where
        F: AsyncFnOnce(&mut Tx, &RecordedVisit) -> AppResult<()>,
    {
        let e_id = self.enterprise_id_of(&inp.enterprise).await?;
        let team_id = self.db.assignment_of(e_id).await?.map(|a| a.team_id);
        let mine = self.my_teams(actor).await?;
        ps::act_for_team(actor, &mine, team_id)?;
        let visited_on = parse_date("visited_on", &inp.visited_on)?;
        if visited_on > Self::today() {
            return Err(AppError::bad(
                "visit_in_future",
                "走访日期不能晚于今天",
                "a visit date cannot be in the future",
            ));
        }
        let summary = crate::text::multiline("summary", &inp.summary)?;
        if summary.is_empty() || summary.chars().count() > 4000 {
            return Err(AppError::bad(
                "visit_summary_required",
                "请填写走访内容（不超过4000字）",
                "describe what was discussed (at most 4000 characters)",
            ));
        }
        let mut attachments = Vec::new();
        for a in inp
            .attachments
            .iter()
            .map(|a| a.trim())
            .filter(|a| !a.is_empty())
        {
            if a.chars().count() > 200 || a.contains(['/', '\\']) || a.starts_with('.') {
                return Err(AppError::bad(
                    "attachment_name_invalid",
                    format!("附件名“{a}”无效（仅文件名，不含路径，不超过200字）"),
                    format!("attachment '{a}' is not a plain file name of at most 200 characters"),
                ));
            }
            attachments.push(a.to_string());
        }
        if attachments.len() > 20 {
            return Err(AppError::bad(
                "too_many_attachments",
                "附件最多20个",
                "at most 20 attachments",
            ));
        }
        let mut participants = Vec::new();
        for p in inp.participants.iter().filter(|p| !p.trim().is_empty()) {
            let u = self
                .db
                .user_by_username(p.trim())
                .await?
                .filter(|u| u.active)
                .ok_or_else(|| {
                    AppError::bad(
                        "user_unknown",
                        format!("未找到走访人员“{p}”"),
                        format!("no active user '{p}'"),
                    )
                })?;
            if !participants.contains(&u.id) {
                participants.push(u.id);
            }
        }
        if participants.is_empty() {
            match actor.user_id {
                Some(u) => participants.push(u),
                None => {
                    return Err(AppError::bad(
                        "participants_required",
                        "请填写走访人员",
                        "name who went on the visit",
                    ));
                }
            }
        }
        if let Some(t) = inp.task_id {
            let task = self
                .db
                .visit_task_get(t)
                .await?
                .filter(|k| k.enterprise_id == e_id)
                .ok_or_else(|| {
                    AppError::bad(
                        "visit_task_unknown",
                        "该走访任务不属于这家企业",
                        "the task does not belong to this enterprise",
                    )
                })?;
            if task.status != "open" {
                return Err(AppError::Conflict(
                    "该走访任务已完成或已取消 / the task is already closed".into(),
                ));
            }
        }
        let nv = NewVisit {
            enterprise_id: e_id,
            team_id,
            visited_on: visited_on.to_string(),
            summary: summary.to_string(),
            attachments,
            participants,
            recorded_by: actor.user_id,
            recorded_by_name: actor.display_name.clone(),
        };
        let mut tx = self.db.begin().await?;
        let id = visit_insert(tx.conn(), &nv).await?;
        let closed = visit_tasks_close(tx.conn(), e_id, inp.task_id, id, &nv.visited_on).await?;
        let recorded = RecordedVisit {
            visit_id: id,
            enterprise_id: e_id,
            team_id,
            visited_on,
            closed_tasks: closed.clone(),
        };
        then(&mut tx, &recorded).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "visit.record",
                "visit",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"visit": nv, "closed_tasks": closed})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.db
            .visit_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("visit {id}")))
    }

    /// The visit log the actor may see, newest first, by team, enterprise and period.
    pub async fn visit_list(&self, actor: &Actor, q: &VisitQuery) -> AppResult<VisitPage> {
        let team_ids = self.scoped_teams(actor, q.team).await?;
        let enterprise_id = match q.enterprise.as_deref().filter(|e| !e.trim().is_empty()) {
            Some(e) => Some(self.enterprise_id_of(e).await?),
            None => None,
        };
        let from = match q.from.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(d) => Some(parse_date("from", d)?.to_string()),
            None => None,
        };
        let to = match q.to.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(d) => Some(parse_date("to", d)?.to_string()),
            None => None,
        };
        let per_page = q.per_page.unwrap_or(50).clamp(1, 200);
        let page = q.page.unwrap_or(1).max(1);
        let (items, total) = self
            .db
            .visit_list(
                &VisitFilter {
                    team_ids,
                    enterprise_id,
                    from,
                    to,
                },
                per_page,
                crate::bounds::page_offset(page, per_page),
            )
            .await?;
        Ok(VisitPage {
            total,
            page,
            per_page,
            items,
        })
    }

    /// One visit. Out of scope → 403.
    pub async fn visit_get(&self, actor: &Actor, id: i64) -> AppResult<VisitRow> {
        let v = self
            .db
            .visit_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("visit {id}")))?;
        let mine = self.my_teams(actor).await?;
        if let Some(ids) = ps::team_scope(actor, &mine)?
            && !v.team_id.is_some_and(|t| ids.contains(&t))
        {
            return Err(AppError::Forbidden);
        }
        Ok(v)
    }

    /// Record one period's figures of an enterprise (admin, department). Feeds the
    /// indicator-drop rule at the next scan.
    pub async fn indicator_record(
        &self,
        actor: &Actor,
        uscc: &str,
        inp: &IndicatorInput,
    ) -> AppResult<Vec<IndicatorRow>> {
        ps::record_indicators(actor)?;
        let id = self.enterprise_id_of(uscc).await?;
        let period = inp.period.trim();
        let year_ok = period.len() == 4
            && period
                .parse::<i32>()
                .is_ok_and(|y| (1990..=2100).contains(&y));
        if !year_ok {
            return Err(AppError::bad(
                "period_format",
                format!("统计期应为四位年份，如 2025，收到“{period}”"),
                format!("period must be a year such as 2025, got '{period}'"),
            ));
        }
        if [inp.revenue_fen, inp.headcount, inp.tax_fen]
            .iter()
            .any(|v| v.is_some_and(|v| v < 0))
        {
            return Err(AppError::bad(
                "indicator_negative",
                "指标不能为负数",
                "figures cannot be negative",
            ));
        }
        let row = IndicatorRow {
            enterprise_id: id,
            period: period.to_string(),
            revenue_fen: inp.revenue_fen,
            headcount: inp.headcount,
            tax_fen: inp.tax_fen,
            ..Default::default()
        };
        let mut tx = self.db.begin().await?;
        indicator_upsert(tx.conn(), &row).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "indicator.record",
                "enterprise",
                Some(uscc.trim().to_ascii_uppercase()),
                None,
                crate::zone::json(&row),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(self.db.indicators_of(id).await?)
    }

    /// An enterprise's yearly figures (not for enterprise users; team members for their own
    /// team's enterprises).
    pub async fn indicators(&self, actor: &Actor, uscc: &str) -> AppResult<Vec<IndicatorRow>> {
        let id = self.enterprise_id_of(uscc).await?;
        let team = self.db.assignment_of(id).await?.map(|a| a.team_id);
        let mine = self.my_teams(actor).await?;
        ps::view_indicators(actor, &mine, team)?;
        Ok(self.db.indicators_of(id).await?)
    }
}

/// Year-on-year figures from an enterprise's rows: the latest year against the year before,
/// for every indicator present in both, dated when the latest year was recorded.
fn indicator_figures(rows: Option<&[IndicatorRow]>) -> Vec<IndicatorFigures> {
    let Some(rows) = rows else {
        return Vec::new();
    };
    let years: Vec<(i32, &IndicatorRow)> = rows
        .iter()
        .filter_map(|r| r.period.parse::<i32>().ok().map(|y| (y, r)))
        .collect();
    let Some((y, cur)) = years.iter().max_by_key(|(y, _)| *y) else {
        return Vec::new();
    };
    let Some((_, prev)) = years.iter().find(|(p, _)| *p == y - 1) else {
        return Vec::new();
    };
    let Some(as_of) = date_of(&cur.updated_at) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (ind, p, c) in [
        (Indicator::Revenue, prev.revenue_fen, cur.revenue_fen),
        (Indicator::Headcount, prev.headcount, cur.headcount),
        (Indicator::Tax, prev.tax_fen, cur.tax_fen),
    ] {
        if let (Some(previous), Some(current)) = (p, c) {
            out.push(IndicatorFigures {
                indicator: ind,
                period: cur.period.clone(),
                previous,
                current,
                as_of,
            });
        }
    }
    out
}
