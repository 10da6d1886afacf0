//! Benefit policies and services (惠企政策/服务): the catalogue, 免申即享 batch runs and the notices
//! they push to enterprises, and the enterprise facts the rule engine's population is built from.
//!
//! Invariants: a policy is keyed by its `code`; an upsert that changes the entry's TOML bumps
//! `version`, an identical entry changes nothing. A notice is unique on (policy, enterprise,
//! period), so a batch run repeated — or two at once — creates nothing the second time. A notice
//! leaves `new` exactly once (`confirmed`, `declined` or `blocked`), guarded by its state.

use crate::sql::{Conn, Row};
use crate::{Db, Result, StoreError, now_text};

/// Fields of a policy to write (from one rule-file entry).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct PolicyWrite {
    pub code: String,
    /// `policy` or `service`.
    pub kind: String,
    pub title: String,
    pub department_id: Option<i64>,
    pub department_code: String,
    pub legal_ref: String,
    pub who: String,
    /// `免申即享` or `快申快享`.
    pub track: String,
    /// `draft`, `active` or `closed`.
    pub status: String,
    /// `YYYY-MM-DD`.
    pub window_from: Option<String>,
    pub window_to: Option<String>,
    pub materials: Vec<String>,
    pub contact: String,
    /// Exclusive group (不重复享受, 从高从优).
    pub group_code: Option<String>,
    /// Benefit formula (元), none for services without money.
    pub benefit: Option<String>,
    /// The entry's TOML text, the source of truth for conditions and parameters.
    pub source: String,
}

/// A policy as stored, with its department's name.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyRow {
    pub id: i64,
    pub code: String,
    pub kind: String,
    pub title: String,
    pub department_id: Option<i64>,
    pub department_code: String,
    pub department_name: Option<String>,
    pub legal_ref: String,
    pub who: String,
    pub track: String,
    pub status: String,
    pub window_from: Option<String>,
    pub window_to: Option<String>,
    pub materials: Vec<String>,
    pub contact: String,
    pub group_code: Option<String>,
    pub benefit: Option<String>,
    pub source: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// Filters of the catalogue; all ANDed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyFilter {
    /// Substring of title, code or who-qualifies text (case-insensitive).
    pub q: Option<String>,
    pub kind: Option<String>,
    pub department_id: Option<i64>,
    pub track: Option<String>,
    pub status: Option<String>,
    /// Only these policies (e.g. those mentioning an ecosystem).
    pub ids: Option<Vec<i64>>,
    pub limit: i64,
    pub offset: i64,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

/// A 免申即享 batch run.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyRunRow {
    pub id: i64,
    pub on_date: String,
    pub actor_name: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub policies: i64,
    pub enterprises: i64,
    pub eligible: i64,
    pub created: i64,
    pub visit_tasks: i64,
}

/// A notice to create.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct NewNotice {
    pub policy_id: i64,
    pub enterprise_id: i64,
    pub run_id: Option<i64>,
    /// The policy window (or year) the notice is for: one notice per enterprise per period.
    pub period: String,
    pub amount_fen: i64,
    /// Where each figure the amount was computed from came from (JSON object field → source).
    pub sources: Option<String>,
}

/// A notice with its policy and enterprise names.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeRow {
    pub id: i64,
    pub policy_id: i64,
    pub policy_code: String,
    pub policy_title: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub uscc: String,
    pub run_id: Option<i64>,
    pub period: String,
    pub amount_fen: i64,
    /// `new`, `confirmed`, `declined` or `blocked`.
    pub state: String,
    pub reason: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    /// Where each figure the amount was computed from came from, at the push (field → source).
    pub sources: Option<serde_json::Value>,
}

/// Filters of the notice list; all ANDed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NoticeFilter {
    pub enterprise_id: Option<i64>,
    pub policy_id: Option<i64>,
    pub run_id: Option<i64>,
    pub state: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// One enterprise's stored facts, with registry ids the app turns into codes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FactRow {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    pub industry_code: Option<String>,
    pub registered_on: Option<String>,
    pub ownership: Option<String>,
    pub street_id: Option<i64>,
    pub park_id: Option<i64>,
    pub headcount: Option<i64>,
    pub tech_staff: Option<i64>,
    pub revenue_fen: Option<i64>,
    pub rd_fen: Option<i64>,
    pub tax_fen: Option<i64>,
    pub size_band: Option<String>,
    /// (node id, chain id, ecosystem id).
    pub nodes: Vec<(i64, i64, i64)>,
    pub tags: Vec<String>,
}

const POLICY_COLS: &str = "p.id, p.code, p.kind, p.title, p.department_id, p.department_code, r.name AS department_name, \
     p.legal_ref, p.who, p.track, p.status, p.window_from, p.window_to, p.materials, p.contact, p.group_code, \
     p.benefit, p.source, p.version, p.created_at, p.updated_at";
const POLICY_FROM: &str = "policies p LEFT JOIN registry_items r ON r.id = p.department_id";

fn policy_row(r: &Row) -> Result<PolicyRow> {
    let materials: String = r.try_get("materials")?;
    Ok(PolicyRow {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        department_id: r.try_get("department_id")?,
        department_code: r.try_get("department_code")?,
        department_name: r.try_get("department_name")?,
        legal_ref: r.try_get("legal_ref")?,
        who: r.try_get("who")?,
        track: r.try_get("track")?,
        status: r.try_get("status")?,
        window_from: r.try_get("window_from")?,
        window_to: r.try_get("window_to")?,
        materials: serde_json::from_str(&materials).unwrap_or_default(),
        contact: r.try_get("contact")?,
        group_code: r.try_get("group_code")?,
        benefit: r.try_get("benefit")?,
        source: r.try_get("source")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const RUN_COLS: &str = "id, on_date, actor_name, started_at, finished_at, policies, enterprises, eligible, created, visit_tasks";

fn run_row(r: &Row) -> Result<PolicyRunRow> {
    Ok(PolicyRunRow {
        id: r.try_get("id")?,
        on_date: r.try_get("on_date")?,
        actor_name: r.try_get("actor_name")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        policies: r.try_get("policies")?,
        enterprises: r.try_get("enterprises")?,
        eligible: r.try_get("eligible")?,
        created: r.try_get("created")?,
        visit_tasks: r.try_get("visit_tasks")?,
    })
}

const NOTICE_COLS: &str = "n.id, n.policy_id, p.code AS policy_code, p.title AS policy_title, n.enterprise_id, \
     e.name AS enterprise_name, e.uscc, n.run_id, n.period, n.amount_fen, n.state, n.reason, n.created_at, \
     n.decided_at, n.decided_by, n.sources";
const NOTICE_FROM: &str = "policy_notices n JOIN policies p ON p.id = n.policy_id JOIN enterprises e ON e.id = n.enterprise_id";

fn notice_row(r: &Row) -> Result<NoticeRow> {
    Ok(NoticeRow {
        id: r.try_get("id")?,
        policy_id: r.try_get("policy_id")?,
        policy_code: r.try_get("policy_code")?,
        policy_title: r.try_get("policy_title")?,
        enterprise_id: r.try_get("enterprise_id")?,
        enterprise_name: r.try_get("enterprise_name")?,
        uscc: r.try_get("uscc")?,
        run_id: r.try_get("run_id")?,
        period: r.try_get("period")?,
        amount_fen: r.try_get("amount_fen")?,
        state: r.try_get("state")?,
        reason: r.try_get("reason")?,
        created_at: r.try_get("created_at")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
        sources: r
            .try_get::<Option<String>, _>("sources")?
            .and_then(|s| serde_json::from_str(&s).ok()),
    })
}

/// `WHERE …` with `$n` placeholders and the string arguments, for the catalogue filter.
fn policy_where(db: &Db, f: &PolicyFilter) -> (String, Vec<String>) {
    let like = crate::dialect::ilike(db.backend());
    let mut clauses: Vec<String> = Vec::new();
    let mut args: Vec<String> = Vec::new();
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        args.push(format!("%{}%", q.replace(['%', '_'], "")));
        let n = args.len();
        clauses.push(format!(
            "(p.title {like} ${n} OR p.code {like} ${n} OR p.who {like} ${n})"
        ));
    }
    for (col, v) in [
        ("p.kind", &f.kind),
        ("p.track", &f.track),
        ("p.status", &f.status),
    ] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            args.push(v.to_string());
            clauses.push(format!("{col} = ${}", args.len()));
        }
    }
    // Integers are formatted in: they come from the app, never from text.
    if let Some(d) = f.department_id {
        clauses.push(format!("p.department_id = {d}"));
    }
    if let Some(ids) = &f.ids {
        if ids.is_empty() {
            clauses.push("1 = 0".into());
        } else {
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            clauses.push(format!("p.id IN ({list})"));
        }
    }
    let w = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    (w, args)
}

impl Db {
    /// The catalogue page matching `f`, ordered by code, and the total count.
    pub async fn policy_list(&self, f: &PolicyFilter) -> Result<(Vec<PolicyRow>, i64)> {
        let (w, args) = policy_where(self, f);
        let count_sql = format!("SELECT COUNT(*) AS n FROM {POLICY_FROM}{w}");
        let mut q = crate::sql::query(&count_sql);
        for a in &args {
            q = q.bind(a);
        }
        let total: i64 = q.fetch_one(self.reader()).await?.try_get("n")?;
        let limit = if f.limit <= 0 { 50 } else { f.limit };
        let sql = format!(
            "SELECT {POLICY_COLS} FROM {POLICY_FROM}{w} ORDER BY p.code LIMIT {limit} OFFSET {}",
            f.offset.max(0)
        );
        let mut q = crate::sql::query(&sql);
        for a in &args {
            q = q.bind(a);
        }
        let rows = q.fetch_all(self.reader()).await?;
        let rows = rows.iter().map(policy_row).collect::<Result<Vec<_>>>()?;
        Ok((rows, total))
    }

    /// Every policy, ordered by code (the catalogue is small: hundreds of entries).
    pub async fn policy_all(&self) -> Result<Vec<PolicyRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT {POLICY_COLS} FROM {POLICY_FROM} ORDER BY p.code"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(policy_row).collect()
    }

    pub async fn policy_by_code(&self, code: &str) -> Result<Option<PolicyRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {POLICY_COLS} FROM {POLICY_FROM} WHERE p.code = $1"
        ))
        .bind(code)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(policy_row).transpose()
    }

    pub async fn policy_get(&self, id: i64) -> Result<Option<PolicyRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {POLICY_COLS} FROM {POLICY_FROM} WHERE p.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(policy_row).transpose()
    }

    /// Runs, newest first.
    pub async fn policy_runs(&self, limit: i64) -> Result<Vec<PolicyRunRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT {RUN_COLS} FROM policy_runs ORDER BY id DESC LIMIT $1"
        ))
        .bind(limit.max(1))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(run_row).collect()
    }

    /// Notices matching `f`, newest first, and the total count.
    pub async fn policy_notice_list(&self, f: &NoticeFilter) -> Result<(Vec<NoticeRow>, i64)> {
        let mut clauses: Vec<String> = Vec::new();
        for (col, v) in [
            ("n.enterprise_id", f.enterprise_id),
            ("n.policy_id", f.policy_id),
            ("n.run_id", f.run_id),
        ] {
            if let Some(v) = v {
                clauses.push(format!("{col} = {v}"));
            }
        }
        let state = f.state.as_deref().filter(|s| !s.is_empty());
        if state.is_some() {
            clauses.push("n.state = $1".into());
        }
        let w = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let count_sql = format!("SELECT COUNT(*) AS n FROM {NOTICE_FROM}{w}");
        let mut q = crate::sql::query(&count_sql);
        if let Some(s) = state {
            q = q.bind(s);
        }
        let total: i64 = q.fetch_one(self.reader()).await?.try_get("n")?;
        let limit = if f.limit <= 0 { 50 } else { f.limit };
        let sql = format!(
            "SELECT {NOTICE_COLS} FROM {NOTICE_FROM}{w} ORDER BY n.id DESC LIMIT {limit} OFFSET {}",
            f.offset.max(0)
        );
        let mut q = crate::sql::query(&sql);
        if let Some(s) = state {
            q = q.bind(s);
        }
        let rows = q.fetch_all(self.reader()).await?;
        let rows = rows.iter().map(notice_row).collect::<Result<Vec<_>>>()?;
        Ok((rows, total))
    }

    pub async fn policy_notice_get(&self, id: i64) -> Result<Option<NoticeRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {NOTICE_COLS} FROM {NOTICE_FROM} WHERE n.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(notice_row).transpose()
    }

    /// Enterprises already holding a notice of `policy_id` for `period`.
    pub async fn policy_notice_enterprises(
        &self,
        policy_id: i64,
        period: &str,
    ) -> Result<Vec<i64>> {
        let rows = crate::sql::query(
            "SELECT enterprise_id FROM policy_notices WHERE policy_id = $1 AND period = $2 ORDER BY enterprise_id",
        )
        .bind(policy_id)
        .bind(period)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| r.try_get("enterprise_id").map_err(StoreError::from))
            .collect()
    }

    /// Every enterprise's facts for the rule population, in id order.
    pub async fn policy_fact_rows(&self) -> Result<Vec<FactRow>> {
        const CHUNK: i64 = 50_000;
        let mut out: Vec<FactRow> = Vec::new();
        let mut after = 0i64;
        loop {
            let ents = crate::sql::query(
                "SELECT id, name, uscc, industry_code, registered_on, ownership, street_id, park_id, headcount, \
                 tech_staff, revenue_fen, rd_fen, tax_fen, size_band FROM enterprises WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(CHUNK)
            .fetch_all(self.reader())
            .await?;
            let Some(last) = ents.last() else { break };
            let hi: i64 = last.try_get("id")?;
            let lo = after;
            after = hi;
            let base = out.len();
            for r in &ents {
                out.push(FactRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    uscc: r.try_get("uscc")?,
                    industry_code: r.try_get("industry_code")?,
                    registered_on: r.try_get("registered_on")?,
                    ownership: r.try_get("ownership")?,
                    street_id: r.try_get("street_id")?,
                    park_id: r.try_get("park_id")?,
                    headcount: r.try_get("headcount")?,
                    tech_staff: r.try_get("tech_staff")?,
                    revenue_fen: r.try_get("revenue_fen")?,
                    rd_fen: r.try_get("rd_fen")?,
                    tax_fen: r.try_get("tax_fen")?,
                    size_band: r.try_get("size_band")?,
                    nodes: Vec::new(),
                    tags: Vec::new(),
                });
            }
            drop(ents);
            let part = &mut out[base..];
            let find = |part: &[FactRow], id: i64| part.binary_search_by_key(&id, |r| r.id).ok();
            let nodes = crate::sql::query(
                "SELECT enterprise_id, node_id, chain_id, ecosystem_id FROM enterprise_nodes \
                 WHERE enterprise_id > $1 AND enterprise_id <= $2 ORDER BY enterprise_id, node_id",
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(self.reader())
            .await?;
            for n in &nodes {
                if let Some(i) = find(part, n.try_get("enterprise_id")?) {
                    part[i].nodes.push((
                        n.try_get("node_id")?,
                        n.try_get("chain_id")?,
                        n.try_get("ecosystem_id")?,
                    ));
                }
            }
            drop(nodes);
            let tags = crate::sql::query(
                "SELECT enterprise_id, tag FROM enterprise_tags \
                 WHERE enterprise_id > $1 AND enterprise_id <= $2 ORDER BY enterprise_id, tag",
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(self.reader())
            .await?;
            for t in &tags {
                if let Some(i) = find(part, t.try_get("enterprise_id")?) {
                    part[i].tags.push(t.try_get("tag")?);
                }
            }
        }
        Ok(out)
    }
}

/// The stored row of `code`, read inside a transaction.
pub async fn policy_by_code_in(conn: &mut Conn, code: &str) -> Result<Option<PolicyRow>> {
    let r = crate::sql::query(&format!(
        "SELECT {POLICY_COLS} FROM {POLICY_FROM} WHERE p.code = $1"
    ))
    .bind(code)
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(policy_row).transpose()
}

/// Insert or update by code. An unchanged entry (same fields and source) is left alone; a changed
/// one gets `version + 1`. Returns the id, the version after and what happened.
pub async fn policy_upsert(conn: &mut Conn, w: &PolicyWrite) -> Result<(i64, i64, Upserted)> {
    let now = now_text();
    let materials = serde_json::to_string(&w.materials).unwrap_or_else(|_| "[]".into());
    if let Some(old) = policy_by_code_in(conn, &w.code).await? {
        let same = old.kind == w.kind
            && old.title == w.title
            && old.department_id == w.department_id
            && old.department_code == w.department_code
            && old.legal_ref == w.legal_ref
            && old.who == w.who
            && old.track == w.track
            && old.status == w.status
            && old.window_from == w.window_from
            && old.window_to == w.window_to
            && old.materials == w.materials
            && old.contact == w.contact
            && old.group_code == w.group_code
            && old.benefit == w.benefit
            && old.source == w.source;
        if same {
            return Ok((old.id, old.version, Upserted::Unchanged));
        }
        let r = crate::sql::query(
            "UPDATE policies SET kind = $1, title = $2, department_id = $3, department_code = $4, legal_ref = $5, \
             who = $6, track = $7, status = $8, window_from = $9, window_to = $10, materials = $11, contact = $12, \
             group_code = $13, benefit = $14, source = $15, version = version + 1, updated_at = $16 \
             WHERE id = $17 AND version = $18 RETURNING version",
        )
        .bind(&w.kind)
        .bind(&w.title)
        .bind(w.department_id)
        .bind(&w.department_code)
        .bind(&w.legal_ref)
        .bind(&w.who)
        .bind(&w.track)
        .bind(&w.status)
        .bind(w.window_from.as_deref())
        .bind(w.window_to.as_deref())
        .bind(&materials)
        .bind(&w.contact)
        .bind(w.group_code.as_deref())
        .bind(w.benefit.as_deref())
        .bind(&w.source)
        .bind(&now)
        .bind(old.id)
        .bind(old.version)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(r) = r else {
            return Err(StoreError::Conflict(format!(
                "policy {} changed meanwhile",
                w.code
            )));
        };
        return Ok((old.id, r.try_get("version")?, Upserted::Updated));
    }
    let r = crate::sql::query(
        "INSERT INTO policies (code, kind, title, department_id, department_code, legal_ref, who, track, status, \
         window_from, window_to, materials, contact, group_code, benefit, source, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $17) RETURNING id",
    )
    .bind(&w.code)
    .bind(&w.kind)
    .bind(&w.title)
    .bind(w.department_id)
    .bind(&w.department_code)
    .bind(&w.legal_ref)
    .bind(&w.who)
    .bind(&w.track)
    .bind(&w.status)
    .bind(w.window_from.as_deref())
    .bind(w.window_to.as_deref())
    .bind(&materials)
    .bind(&w.contact)
    .bind(w.group_code.as_deref())
    .bind(w.benefit.as_deref())
    .bind(&w.source)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| StoreError::from_write(e, "policy code"))?;
    Ok((r.try_get("id")?, 1, Upserted::Created))
}

/// Start a batch run; returns its id.
pub async fn policy_run_start(conn: &mut Conn, on_date: &str, actor_name: &str) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO policy_runs (on_date, actor_name, started_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(on_date)
    .bind(actor_name)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

/// Record a run's counts and finish time.
pub async fn policy_run_finish(conn: &mut Conn, run: &PolicyRunRow) -> Result<()> {
    crate::sql::query(
        "UPDATE policy_runs SET finished_at = $1, policies = $2, enterprises = $3, eligible = $4, created = $5, \
         visit_tasks = $6 WHERE id = $7",
    )
    .bind(now_text())
    .bind(run.policies)
    .bind(run.enterprises)
    .bind(run.eligible)
    .bind(run.created)
    .bind(run.visit_tasks)
    .bind(run.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Create a notice unless one exists for (policy, enterprise, period); returns the new id.
pub async fn policy_notice_insert(conn: &mut Conn, n: &NewNotice) -> Result<Option<i64>> {
    let r = crate::sql::query(
        "INSERT INTO policy_notices (policy_id, enterprise_id, run_id, period, amount_fen, state, created_at, sources) \
         VALUES ($1, $2, $3, $4, $5, 'new', $6, $7) ON CONFLICT (policy_id, enterprise_id, period) DO NOTHING RETURNING id",
    )
    .bind(n.policy_id)
    .bind(n.enterprise_id)
    .bind(n.run_id)
    .bind(&n.period)
    .bind(n.amount_fen)
    .bind(now_text())
    .bind(n.sources.as_deref())
    .fetch_optional(&mut *conn)
    .await?;
    r.map(|r| r.try_get("id").map_err(StoreError::from))
        .transpose()
}

/// Insert many notices (multi-row statements, 200 rows each); a notice that already exists for
/// its policy, enterprise and period is left alone. Returns `(policy id, enterprise id)` of
/// each notice created.
pub async fn policy_notice_insert_many(
    conn: &mut Conn,
    notices: &[NewNotice],
) -> Result<Vec<(i64, i64)>> {
    let at = now_text();
    let mut out = Vec::new();
    for chunk in notices.chunks(200) {
        let sql = format!(
            "INSERT INTO policy_notices (policy_id, enterprise_id, run_id, period, amount_fen, state, created_at, sources) \
             VALUES {} ON CONFLICT (policy_id, enterprise_id, period) DO NOTHING RETURNING policy_id, enterprise_id",
            crate::value_rows(conn, chunk.len(), 8)
        );
        let mut q = crate::sql::query(&sql);
        for n in chunk {
            q = q
                .bind(n.policy_id)
                .bind(n.enterprise_id)
                .bind(n.run_id)
                .bind(&n.period)
                .bind(n.amount_fen)
                .bind("new")
                .bind(&at)
                .bind(n.sources.as_deref());
        }
        for r in q.fetch_all(&mut *conn).await? {
            out.push((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?));
        }
    }
    Ok(out)
}

/// Move a notice out of `new` into `state` (with the reason); false when it was no longer `new`.
pub async fn policy_notice_decide(
    conn: &mut Conn,
    id: i64,
    state: &str,
    reason: Option<&str>,
    decided_by: &str,
) -> Result<bool> {
    let r = crate::sql::query(
        "UPDATE policy_notices SET state = $1, reason = $2, decided_at = $3, decided_by = $4 \
         WHERE id = $5 AND state = 'new'",
    )
    .bind(state)
    .bind(reason)
    .bind(now_text())
    .bind(decided_by)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
