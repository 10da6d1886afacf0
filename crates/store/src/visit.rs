//! Rule-triggered visits (三必访): the rules as configuration, the tasks they create, the visit
//! log, and the yearly indicators the indicator-drop rule reads.
//!
//! Invariants: one task per (enterprise, rule, trigger instance), enforced by a unique index, so
//! a scan run twice — or two scans at once — creates nothing the second time. A task is `open`
//! until a visit closes it (`done`, with the visit's id) or it is `cancelled`. Overdue is not
//! stored: it is `open` with `due_on` before today, computed by the reader.

use crate::sql::{Conn, Row};
use crate::{Db, Result, StoreError, now_text};
use std::collections::HashMap;

/// Figures of one enterprise for one period (`YYYY` for a year).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorRow {
    pub enterprise_id: i64,
    pub period: String,
    pub revenue_fen: Option<i64>,
    pub headcount: Option<i64>,
    pub tax_fen: Option<i64>,
    /// When the figures were last recorded (RFC 3339); ignored on write.
    pub updated_at: String,
}

/// A visit rule as stored. The trigger is the domain's serialised `VisitTrigger`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VisitRuleRow {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub trigger_kind: String,
    pub trigger_json: String,
    pub deadline_workdays: i64,
    pub active: bool,
    pub sort: i64,
    pub updated_at: String,
    pub version: i64,
}

/// Fields of a rule to seed.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct VisitRuleWrite {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub trigger_kind: String,
    pub trigger_json: String,
    pub deadline_workdays: i64,
    pub active: bool,
    pub sort: i64,
}

/// A task to create.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct NewVisitTask {
    pub enterprise_id: i64,
    pub team_id: Option<i64>,
    pub rule_id: i64,
    /// Which instance of the trigger (e.g. `new`, `order:GD-1`, `indicator:2025`, `period:2026H1`).
    pub trigger_key: String,
    pub triggered_on: String,
    pub due_on: String,
    pub reason_zh: String,
    pub reason_en: String,
    /// Set when the due date was computed without an official schedule for some year.
    pub calendar_note: Option<String>,
    pub created_by: String,
}

/// A task with its enterprise, team and rule names.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitTaskRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub rule_id: i64,
    pub rule_code: String,
    pub rule_name_zh: String,
    pub rule_name_en: String,
    pub trigger_key: String,
    pub status: String,
    pub triggered_on: String,
    pub due_on: String,
    pub reason_zh: String,
    pub reason_en: String,
    pub calendar_note: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub closed_at: Option<String>,
    pub visit_id: Option<i64>,
}

/// Filters of the task list; all ANDed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskFilter {
    /// Only tasks of these teams (scope of a team member).
    pub team_ids: Option<Vec<i64>>,
    pub enterprise_id: Option<i64>,
    pub rule_id: Option<i64>,
    /// `open`, `done` or `cancelled`.
    pub status: Option<String>,
    /// Only open tasks due before this date (overdue as of that day).
    pub overdue_on: Option<String>,
}

/// A visit to record.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct NewVisit {
    pub enterprise_id: i64,
    pub team_id: Option<i64>,
    pub visited_on: String,
    pub summary: String,
    pub attachments: Vec<String>,
    pub participants: Vec<i64>,
    pub recorded_by: Option<i64>,
    pub recorded_by_name: String,
}

/// A visit with the people who went and the tasks it closed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub visited_on: String,
    pub summary: String,
    pub attachments: Vec<String>,
    /// (user id, display name).
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::id_text_pairs))]
    pub participants: Vec<(i64, String)>,
    pub recorded_by_name: String,
    pub created_at: String,
    pub task_ids: Vec<i64>,
}

/// Filters of the visit log; dates are `YYYY-MM-DD`, `from` inclusive, `to` inclusive.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VisitFilter {
    pub team_ids: Option<Vec<i64>>,
    pub enterprise_id: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// What the scan needs of one assigned enterprise.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanFacts {
    pub enterprise_id: i64,
    pub team_id: i64,
    pub registered_on: Option<String>,
    /// When the record entered Lianshi (RFC 3339).
    pub created_at: String,
    pub last_visit_on: Option<String>,
    /// When the current team took the enterprise on (RFC 3339).
    pub assigned_at: String,
}

fn rule(r: &Row) -> Result<VisitRuleRow> {
    Ok(VisitRuleRow {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        trigger_kind: r.try_get("trigger_kind")?,
        trigger_json: r.try_get("trigger_json")?,
        deadline_workdays: r.try_get("deadline_workdays")?,
        active: r.try_get::<i64, _>("active")? != 0,
        sort: r.try_get("sort")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

const RULE_COLS: &str = "id, code, name_zh, name_en, trigger_kind, trigger_json, deadline_workdays, active, sort, updated_at, version";

const TASK_SELECT: &str = "SELECT k.id, k.enterprise_id, e.uscc, e.name AS enterprise_name, k.team_id, t.name AS team_name, k.rule_id, r.code AS rule_code, \
     r.name_zh AS rule_name_zh, r.name_en AS rule_name_en, k.trigger_key, k.status, k.triggered_on, k.due_on, k.reason_zh, k.reason_en, k.calendar_note, \
     k.created_at, k.created_by, k.closed_at, k.visit_id \
     FROM visit_tasks k JOIN enterprises e ON e.id = k.enterprise_id JOIN visit_rules r ON r.id = k.rule_id LEFT JOIN service_teams t ON t.id = k.team_id";

fn task(r: &Row) -> Result<VisitTaskRow> {
    Ok(VisitTaskRow {
        id: r.try_get("id")?,
        enterprise_id: r.try_get("enterprise_id")?,
        uscc: r.try_get("uscc")?,
        enterprise_name: r.try_get("enterprise_name")?,
        team_id: r.try_get("team_id")?,
        team_name: r.try_get("team_name")?,
        rule_id: r.try_get("rule_id")?,
        rule_code: r.try_get("rule_code")?,
        rule_name_zh: r.try_get("rule_name_zh")?,
        rule_name_en: r.try_get("rule_name_en")?,
        trigger_key: r.try_get("trigger_key")?,
        status: r.try_get("status")?,
        triggered_on: r.try_get("triggered_on")?,
        due_on: r.try_get("due_on")?,
        reason_zh: r.try_get("reason_zh")?,
        reason_en: r.try_get("reason_en")?,
        calendar_note: r.try_get("calendar_note")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        closed_at: r.try_get("closed_at")?,
        visit_id: r.try_get("visit_id")?,
    })
}

/// A comma list of integer ids (ours, so safe to inline); `-1` for none so `IN ()` stays valid.
fn id_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        "-1".into()
    } else {
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    }
}

/// Clauses and text arguments of a filtered query (`$n` numbered in order).
#[derive(Default)]
struct Clauses {
    sql: Vec<String>,
    args: Vec<String>,
}

impl Clauses {
    fn arg(&mut self, clause: &str, v: String) {
        self.args.push(v);
        self.sql
            .push(clause.replace('?', &format!("${}", self.args.len())));
    }

    fn text(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.sql.join(" AND "))
        }
    }

    fn bind<'q>(&'q self, mut q: crate::sql::Query<'q>) -> crate::sql::Query<'q> {
        for a in &self.args {
            q = q.bind(a.as_str());
        }
        q
    }
}

fn task_where(f: &TaskFilter) -> Clauses {
    let mut c = Clauses::default();
    if let Some(ids) = &f.team_ids {
        c.sql.push(format!("k.team_id IN ({})", id_list(ids)));
    }
    if let Some(e) = f.enterprise_id {
        c.sql.push(format!("k.enterprise_id = {e}"));
    }
    if let Some(r) = f.rule_id {
        c.sql.push(format!("k.rule_id = {r}"));
    }
    if let Some(s) = &f.status {
        c.arg("k.status = ?", s.clone());
    }
    if let Some(d) = &f.overdue_on {
        c.sql.push("k.status = 'open'".into());
        c.arg("k.due_on < ?", d.clone());
    }
    c
}

fn visit_where(f: &VisitFilter) -> Clauses {
    let mut c = Clauses::default();
    if let Some(ids) = &f.team_ids {
        c.sql.push(format!("v.team_id IN ({})", id_list(ids)));
    }
    if let Some(e) = f.enterprise_id {
        c.sql.push(format!("v.enterprise_id = {e}"));
    }
    if let Some(d) = &f.from {
        c.arg("v.visited_on >= ?", d.clone());
    }
    if let Some(d) = &f.to {
        c.arg("v.visited_on <= ?", d.clone());
    }
    c
}

impl Db {
    /// Figures of one enterprise, oldest period first.
    pub async fn indicators_of(&self, enterprise_id: i64) -> Result<Vec<IndicatorRow>> {
        let rows = crate::sql::query(
            "SELECT enterprise_id, period, revenue_fen, headcount, tax_fen, updated_at FROM enterprise_indicators WHERE enterprise_id = $1 ORDER BY period",
        )
        .bind(enterprise_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(indicator).collect()
    }

    /// Figures of every assigned enterprise, by enterprise then period, for the scan.
    pub async fn indicators_assigned(&self) -> Result<Vec<IndicatorRow>> {
        let rows = crate::sql::query(
            "SELECT i.enterprise_id, i.period, i.revenue_fen, i.headcount, i.tax_fen, i.updated_at FROM enterprise_indicators i \
             JOIN team_assignments a ON a.enterprise_id = i.enterprise_id ORDER BY i.enterprise_id, i.period",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(indicator).collect()
    }

    /// Every rule in display order.
    pub async fn visit_rules(&self) -> Result<Vec<VisitRuleRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT {RULE_COLS} FROM visit_rules ORDER BY sort, id"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(rule).collect()
    }

    pub async fn visit_rule_by_code(&self, code: &str) -> Result<Option<VisitRuleRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {RULE_COLS} FROM visit_rules WHERE code = $1"
        ))
        .bind(code)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(rule).transpose()
    }

    /// One page of tasks, earliest due first, and the filtered total.
    pub async fn visit_task_list(
        &self,
        f: &TaskFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<VisitTaskRow>, i64)> {
        let w = task_where(f);
        let sql = format!(
            "{TASK_SELECT}{} ORDER BY CASE WHEN k.status = 'open' THEN 0 ELSE 1 END, k.due_on, k.id LIMIT {} OFFSET {}",
            w.text(),
            limit.clamp(1, 10_000),
            offset.max(0)
        );
        let rows = w
            .bind(crate::sql::query(&sql))
            .fetch_all(self.reader())
            .await?;
        let count = format!("SELECT COUNT(*) AS n FROM visit_tasks k{}", w.text());
        let total: i64 = w
            .bind(crate::sql::query(&count))
            .fetch_one(self.reader())
            .await?
            .try_get("n")?;
        Ok((rows.iter().map(task).collect::<Result<_>>()?, total))
    }

    pub async fn visit_task_get(&self, id: i64) -> Result<Option<VisitTaskRow>> {
        let r = crate::sql::query(&format!("{TASK_SELECT} WHERE k.id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(task).transpose()
    }

    /// Per team: (team id, open tasks, of which overdue on `today`, visits in total).
    pub async fn visit_team_counts(&self, today: &str) -> Result<Vec<(i64, i64, i64, i64)>> {
        let rows = crate::sql::query(
            "SELECT t.id, \
             (SELECT COUNT(*) FROM visit_tasks k WHERE k.team_id = t.id AND k.status = 'open') AS open_n, \
             (SELECT COUNT(*) FROM visit_tasks k WHERE k.team_id = t.id AND k.status = 'open' AND k.due_on < $1) AS overdue_n, \
             (SELECT COUNT(*) FROM visits v WHERE v.team_id = t.id) AS visits_n \
             FROM service_teams t ORDER BY t.id",
        )
        .bind(today)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("open_n")?,
                    r.try_get("overdue_n")?,
                    r.try_get("visits_n")?,
                ))
            })
            .collect()
    }

    /// Open tasks per enterprise among `ids`: (enterprise id → (open, overdue on `today`)).
    pub async fn visit_open_by_enterprise(
        &self,
        ids: &[i64],
        today: &str,
    ) -> Result<HashMap<i64, (i64, i64)>> {
        let rows = crate::sql::query(&format!(
            "SELECT enterprise_id, COUNT(*) AS n, SUM(CASE WHEN due_on < $1 THEN 1 ELSE 0 END) AS late FROM visit_tasks \
             WHERE status = 'open' AND enterprise_id IN ({}) GROUP BY enterprise_id",
            id_list(ids)
        ))
        .bind(today)
        .fetch_all(self.reader())
        .await?;
        let mut out = HashMap::new();
        for r in rows {
            out.insert(
                r.try_get("enterprise_id")?,
                (r.try_get("n")?, r.try_get("late")?),
            );
        }
        Ok(out)
    }

    /// One page of visits, newest first, and the filtered total.
    pub async fn visit_list(
        &self,
        f: &VisitFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<VisitRow>, i64)> {
        let w = visit_where(f);
        let sql = format!(
            "{VISIT_SELECT}{} ORDER BY v.visited_on DESC, v.id DESC LIMIT {} OFFSET {}",
            w.text(),
            limit.clamp(1, 10_000),
            offset.max(0)
        );
        let rows = w
            .bind(crate::sql::query(&sql))
            .fetch_all(self.reader())
            .await?;
        let mut out: Vec<VisitRow> = rows.iter().map(visit).collect::<Result<_>>()?;
        self.fill_visits(&mut out).await?;
        let count = format!("SELECT COUNT(*) AS n FROM visits v{}", w.text());
        let total: i64 = w
            .bind(crate::sql::query(&count))
            .fetch_one(self.reader())
            .await?
            .try_get("n")?;
        Ok((out, total))
    }

    pub async fn visit_get(&self, id: i64) -> Result<Option<VisitRow>> {
        let r = crate::sql::query(&format!("{VISIT_SELECT} WHERE v.id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        match r {
            None => Ok(None),
            Some(r) => {
                let mut v = vec![visit(&r)?];
                self.fill_visits(&mut v).await?;
                Ok(v.pop())
            }
        }
    }

    async fn fill_visits(&self, rows: &mut [VisitRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let pos: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let people = crate::sql::query(&format!(
            "SELECT p.visit_id, p.user_id, u.display_name FROM visit_participants p JOIN users u ON u.id = p.user_id \
             WHERE p.visit_id IN ({}) ORDER BY p.visit_id, p.user_id",
            id_list(&ids)
        ))
        .fetch_all(self.reader())
        .await?;
        for p in people {
            let v: i64 = p.try_get("visit_id")?;
            if let Some(i) = pos.get(&v) {
                rows[*i]
                    .participants
                    .push((p.try_get("user_id")?, p.try_get("display_name")?));
            }
        }
        let tasks = crate::sql::query(&format!(
            "SELECT visit_id, id FROM visit_tasks WHERE visit_id IN ({}) ORDER BY visit_id, id",
            id_list(&ids)
        ))
        .fetch_all(self.reader())
        .await?;
        for t in tasks {
            let v: i64 = t.try_get("visit_id")?;
            if let Some(i) = pos.get(&v) {
                rows[*i].task_ids.push(t.try_get("id")?);
            }
        }
        Ok(())
    }

    /// Facts of every assigned enterprise for the rule evaluator, by enterprise id.
    pub async fn visit_scan_facts(&self) -> Result<Vec<ScanFacts>> {
        let rows = crate::sql::query(
            "SELECT a.enterprise_id, a.team_id, a.assigned_at, e.registered_on, e.created_at, \
             (SELECT MAX(v.visited_on) FROM visits v WHERE v.enterprise_id = a.enterprise_id) AS last_visit_on \
             FROM team_assignments a JOIN enterprises e ON e.id = a.enterprise_id ORDER BY a.enterprise_id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ScanFacts {
                    enterprise_id: r.try_get("enterprise_id")?,
                    team_id: r.try_get("team_id")?,
                    registered_on: r.try_get("registered_on")?,
                    created_at: r.try_get("created_at")?,
                    last_visit_on: r.try_get("last_visit_on")?,
                    assigned_at: r.try_get("assigned_at")?,
                })
            })
            .collect()
    }
}

fn indicator(r: &Row) -> Result<IndicatorRow> {
    Ok(IndicatorRow {
        enterprise_id: r.try_get("enterprise_id")?,
        period: r.try_get("period")?,
        revenue_fen: r.try_get("revenue_fen")?,
        headcount: r.try_get("headcount")?,
        tax_fen: r.try_get("tax_fen")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const VISIT_SELECT: &str = "SELECT v.id, v.enterprise_id, e.uscc, e.name AS enterprise_name, v.team_id, t.name AS team_name, v.visited_on, v.summary, \
     v.attachments_json, v.recorded_by_name, v.created_at \
     FROM visits v JOIN enterprises e ON e.id = v.enterprise_id LEFT JOIN service_teams t ON t.id = v.team_id";

fn visit(r: &Row) -> Result<VisitRow> {
    let attachments: String = r.try_get("attachments_json")?;
    Ok(VisitRow {
        id: r.try_get("id")?,
        enterprise_id: r.try_get("enterprise_id")?,
        uscc: r.try_get("uscc")?,
        enterprise_name: r.try_get("enterprise_name")?,
        team_id: r.try_get("team_id")?,
        team_name: r.try_get("team_name")?,
        visited_on: r.try_get("visited_on")?,
        summary: r.try_get("summary")?,
        attachments: serde_json::from_str(&attachments).unwrap_or_default(),
        participants: Vec::new(),
        recorded_by_name: r.try_get("recorded_by_name")?,
        created_at: r.try_get("created_at")?,
        task_ids: Vec::new(),
    })
}

/// Record a period's figures (insert or replace).
pub async fn indicator_upsert(conn: &mut Conn, i: &IndicatorRow) -> Result<()> {
    crate::sql::query(
        "INSERT INTO enterprise_indicators (enterprise_id, period, revenue_fen, headcount, tax_fen, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (enterprise_id, period) DO UPDATE SET revenue_fen = excluded.revenue_fen, headcount = excluded.headcount, tax_fen = excluded.tax_fen, updated_at = excluded.updated_at",
    )
    .bind(i.enterprise_id)
    .bind(&i.period)
    .bind(i.revenue_fen)
    .bind(i.headcount)
    .bind(i.tax_fen)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Insert a rule unless its code exists; true when inserted. Seeding never overwrites an
/// administrator's edits.
pub async fn visit_rule_seed(conn: &mut Conn, w: &VisitRuleWrite) -> Result<bool> {
    let r = crate::sql::query(
        "INSERT INTO visit_rules (code, name_zh, name_en, trigger_kind, trigger_json, deadline_workdays, active, sort, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) ON CONFLICT (code) DO NOTHING RETURNING id",
    )
    .bind(&w.code)
    .bind(&w.name_zh)
    .bind(&w.name_en)
    .bind(&w.trigger_kind)
    .bind(&w.trigger_json)
    .bind(w.deadline_workdays)
    .bind(i64::from(w.active))
    .bind(w.sort)
    .bind(now_text())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(r.is_some())
}

/// Change a rule's deadline, trigger parameters and active flag if its version is still
/// `expected_version`.
pub async fn visit_rule_update(
    conn: &mut Conn,
    id: i64,
    expected_version: i64,
    deadline_workdays: i64,
    active: bool,
    trigger_json: &str,
) -> Result<()> {
    let n = crate::sql::query(
        "UPDATE visit_rules SET deadline_workdays = $1, active = $2, trigger_json = $3, updated_at = $4, version = version + 1 WHERE id = $5 AND version = $6",
    )
    .bind(deadline_workdays)
    .bind(i64::from(active))
    .bind(trigger_json)
    .bind(now_text())
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict(
            "规则已被他人修改，请刷新后重试 / the rule was changed by someone else; reload and retry"
                .into(),
        ));
    }
    Ok(())
}

/// Create a task unless the same (enterprise, rule, trigger instance) exists. Returns the new
/// id, or `None` when it existed (so a scan is idempotent).
pub async fn visit_task_insert(conn: &mut Conn, t: &NewVisitTask) -> Result<Option<i64>> {
    let r = crate::sql::query(
        "INSERT INTO visit_tasks (enterprise_id, team_id, rule_id, trigger_key, status, triggered_on, due_on, reason_zh, reason_en, calendar_note, created_at, created_by) \
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (enterprise_id, rule_id, trigger_key) DO NOTHING RETURNING id",
    )
    .bind(t.enterprise_id)
    .bind(t.team_id)
    .bind(t.rule_id)
    .bind(&t.trigger_key)
    .bind(&t.triggered_on)
    .bind(&t.due_on)
    .bind(&t.reason_zh)
    .bind(&t.reason_en)
    .bind(t.calendar_note.as_deref())
    .bind(now_text())
    .bind(&t.created_by)
    .fetch_optional(&mut *conn)
    .await?;
    r.map(|r| Ok(r.try_get("id")?)).transpose()
}

/// Record a visit with its participants; returns its id.
pub async fn visit_insert(conn: &mut Conn, v: &NewVisit) -> Result<i64> {
    let attachments = serde_json::to_string(&v.attachments).unwrap_or_else(|_| "[]".into());
    let r = crate::sql::query(
        "INSERT INTO visits (enterprise_id, team_id, visited_on, summary, attachments_json, recorded_by, recorded_by_name, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(v.enterprise_id)
    .bind(v.team_id)
    .bind(&v.visited_on)
    .bind(&v.summary)
    .bind(attachments)
    .bind(v.recorded_by)
    .bind(&v.recorded_by_name)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = r.try_get("id")?;
    let mut seen = Vec::new();
    for u in &v.participants {
        if seen.contains(u) {
            continue;
        }
        seen.push(*u);
        crate::sql::query("INSERT INTO visit_participants (visit_id, user_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*u)
            .execute(&mut *conn)
            .await?;
    }
    Ok(id)
}

/// Close open tasks of an enterprise with a visit: the one task `task_id`, or every open task
/// triggered on or before the visit date. Returns the ids closed.
pub async fn visit_tasks_close(
    conn: &mut Conn,
    enterprise_id: i64,
    task_id: Option<i64>,
    visit_id: i64,
    visited_on: &str,
) -> Result<Vec<i64>> {
    let rows = match task_id {
        Some(t) => {
            crate::sql::query(
                "UPDATE visit_tasks SET status = 'done', closed_at = $1, visit_id = $2 \
                 WHERE id = $3 AND enterprise_id = $4 AND status = 'open' RETURNING id",
            )
            .bind(now_text())
            .bind(visit_id)
            .bind(t)
            .bind(enterprise_id)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            crate::sql::query(
                "UPDATE visit_tasks SET status = 'done', closed_at = $1, visit_id = $2 \
                 WHERE enterprise_id = $3 AND status = 'open' AND triggered_on <= $4 RETURNING id",
            )
            .bind(now_text())
            .bind(visit_id)
            .bind(enterprise_id)
            .bind(visited_on)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    let mut ids: Vec<i64> = rows
        .iter()
        .map(|r| Ok(r.try_get::<i64, _>("id")?))
        .collect::<Result<_>>()?;
    ids.sort_unstable();
    Ok(ids)
}
