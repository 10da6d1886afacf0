//! Subsidies (快申快享): budgets per policy and year, applications, the disbursement ledger and
//! the exclusive-group claims.
//!
//! Invariants kept here:
//! - the ledger is append-only (triggers refuse UPDATE/DELETE on both backends); a correction is a
//!   new entry with the negated amount and `reverses_id`, at most one per entry (unique index),
//!   and at most one payout per application (partial unique index);
//! - every entry has a unique `request_key`, so a retried disbursement finds its entry instead of
//!   paying twice;
//! - a budget is never exceeded: [`subsidy_budget_reserve`] and [`subsidy_budget_spend`] are single
//!   conditional UPDATEs (`… AND spent_fen + committed_fen + $n <= budget_fen`) whose rows-affected
//!   says whether the money was there. On PostgreSQL the row lock they take also serialises all
//!   payouts of one policy and year, so the per-enterprise cap check that follows sees every
//!   committed payout; SQLite has a single writer;
//! - an application's state changes only through [`subsidy_application_step`], guarded by the state
//!   the caller saw.

use crate::bounds::{saturate, wide, wide_sum};
use crate::sql::{Conn, Row};
use crate::{Db, Result, StoreError};

/// What the subsidy rules need to know about a policy (from the `policies` catalogue).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SubsidyPolicy {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub department_id: Option<i64>,
    pub department_code: String,
    pub group_code: Option<String>,
    pub status: String,
    pub track: String,
}

/// One budget line: a policy in a year.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetRow {
    pub policy_id: i64,
    pub policy_code: String,
    pub policy_title: String,
    pub department_id: Option<i64>,
    pub year: i64,
    pub budget_fen: i64,
    /// Paid (net of reversals).
    pub spent_fen: i64,
    /// Approved and not yet paid.
    pub committed_fen: i64,
    /// Per-enterprise annual cap under this policy, if any.
    pub enterprise_cap_fen: Option<i64>,
    pub updated_at: String,
}

impl BudgetRow {
    /// Still free to approve.
    pub fn available_fen(&self) -> i64 {
        self.budget_fen - self.spent_fen - self.committed_fen
    }
}

/// A new application.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct NewApplication {
    pub policy_id: i64,
    pub enterprise_id: i64,
    pub year: i64,
    pub amount_fen: i64,
    pub state: String,
    /// `apply` (快申快享), `notice` (免申即享 confirmation), `staff`, `demo`…
    pub origin: String,
    pub request_key: String,
    pub note: String,
    pub created_by: Option<i64>,
    pub created_by_name: String,
    pub created_at: String,
}

/// An application as stored, with its policy and enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationRow {
    pub id: i64,
    pub policy_id: i64,
    pub policy_code: String,
    pub policy_title: String,
    pub department_id: Option<i64>,
    pub group_code: Option<String>,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub uscc: String,
    pub year: i64,
    pub amount_fen: i64,
    pub approved_fen: Option<i64>,
    pub state: String,
    pub origin: String,
    pub request_key: String,
    pub note: String,
    pub reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_by_name: String,
    pub created_at: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub disbursed_at: Option<String>,
    pub updated_at: String,
    pub version: i64,
}

/// The fields a step writes; `None` leaves a column as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplicationStep {
    pub state: String,
    pub approved_fen: Option<i64>,
    pub reason: Option<String>,
    pub reviewed_by: Option<String>,
    pub decided_by: Option<String>,
    pub disbursed_at: Option<String>,
    pub at: String,
}

/// Filters of the application list; all ANDed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplicationFilter {
    pub policy_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub department_id: Option<i64>,
    pub year: Option<i64>,
    pub states: Vec<String>,
    pub limit: i64,
    pub offset: i64,
}

/// A new ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct NewEntry {
    pub policy_id: i64,
    pub enterprise_id: i64,
    pub application_id: i64,
    pub year: i64,
    pub department_id: Option<i64>,
    /// Negative for a reversing entry.
    pub amount_fen: i64,
    pub reverses_id: Option<i64>,
    pub request_key: String,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub note: String,
}

/// A ledger entry as stored, with names for display.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryRow {
    pub id: i64,
    pub policy_id: i64,
    pub policy_code: String,
    pub policy_title: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub uscc: String,
    pub application_id: i64,
    pub year: i64,
    pub department_id: Option<i64>,
    pub department_code: Option<String>,
    pub department_name: Option<String>,
    pub amount_fen: i64,
    pub reverses_id: Option<i64>,
    /// The entry that reverses this one, if any.
    pub reversed_by: Option<i64>,
    pub request_key: String,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub note: String,
}

/// Filters of the ledger; all ANDed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LedgerFilter {
    pub year: Option<i64>,
    pub policy_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub department_id: Option<i64>,
    pub application_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// One line of a total: a key (policy or department) and the sum of its entries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotalRow {
    pub id: Option<i64>,
    pub code: String,
    pub name: String,
    /// The policy's legal reference (文号 and article); empty for department lines.
    pub legal_ref: String,
    pub fen: i64,
    pub entries: i64,
}

/// Sums of the ledger for a year (or all years), always computed from the entries.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Totals {
    pub total_fen: i64,
    pub entries: i64,
    /// True when a sum did not fit an `i64` (amounts stored beyond the input bound) and was
    /// clamped; `lianshi check bounds` lists the rows.
    pub overflow: bool,
    pub by_policy: Vec<TotalRow>,
    pub by_department: Vec<TotalRow>,
}

const APP_COLS: &str = "a.id, a.policy_id, p.code AS policy_code, p.title AS policy_title, p.department_id, p.group_code, \
     a.enterprise_id, e.name AS enterprise_name, e.uscc, a.year, a.amount_fen, a.approved_fen, a.state, a.origin, \
     a.request_key, a.note, a.reason, a.created_by, a.created_by_name, a.created_at, a.reviewed_by, a.reviewed_at, \
     a.decided_by, a.decided_at, a.disbursed_at, a.updated_at, a.version \
     FROM subsidy_applications a JOIN policies p ON p.id = a.policy_id JOIN enterprises e ON e.id = a.enterprise_id";

const ENTRY_COLS: &str = "l.id, l.policy_id, p.code AS policy_code, p.title AS policy_title, l.enterprise_id, \
     e.name AS enterprise_name, e.uscc, l.application_id, l.year, l.department_id, d.code AS department_code, \
     d.name AS department_name, l.amount_fen, l.reverses_id, r.id AS reversed_by, l.request_key, l.at, l.actor_id, \
     l.actor_name, l.note \
     FROM subsidy_ledger l JOIN policies p ON p.id = l.policy_id JOIN enterprises e ON e.id = l.enterprise_id \
     LEFT JOIN registry_items d ON d.id = l.department_id LEFT JOIN subsidy_ledger r ON r.reverses_id = l.id";

fn app_row(r: &Row) -> Result<ApplicationRow> {
    Ok(ApplicationRow {
        id: r.try_get("id")?,
        policy_id: r.try_get("policy_id")?,
        policy_code: r.try_get("policy_code")?,
        policy_title: r.try_get("policy_title")?,
        department_id: r.try_get("department_id")?,
        group_code: r.try_get("group_code")?,
        enterprise_id: r.try_get("enterprise_id")?,
        enterprise_name: r.try_get("enterprise_name")?,
        uscc: r.try_get("uscc")?,
        year: r.try_get("year")?,
        amount_fen: r.try_get("amount_fen")?,
        approved_fen: r.try_get("approved_fen")?,
        state: r.try_get("state")?,
        origin: r.try_get("origin")?,
        request_key: r.try_get("request_key")?,
        note: r.try_get("note")?,
        reason: r.try_get("reason")?,
        created_by: r.try_get("created_by")?,
        created_by_name: r.try_get("created_by_name")?,
        created_at: r.try_get("created_at")?,
        reviewed_by: r.try_get("reviewed_by")?,
        reviewed_at: r.try_get("reviewed_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        disbursed_at: r.try_get("disbursed_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

fn entry_row(r: &Row) -> Result<EntryRow> {
    Ok(EntryRow {
        id: r.try_get("id")?,
        policy_id: r.try_get("policy_id")?,
        policy_code: r.try_get("policy_code")?,
        policy_title: r.try_get("policy_title")?,
        enterprise_id: r.try_get("enterprise_id")?,
        enterprise_name: r.try_get("enterprise_name")?,
        uscc: r.try_get("uscc")?,
        application_id: r.try_get("application_id")?,
        year: r.try_get("year")?,
        department_id: r.try_get("department_id")?,
        department_code: r.try_get("department_code")?,
        department_name: r.try_get("department_name")?,
        amount_fen: r.try_get("amount_fen")?,
        reverses_id: r.try_get("reverses_id")?,
        reversed_by: r.try_get("reversed_by")?,
        request_key: r.try_get("request_key")?,
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        actor_name: r.try_get("actor_name")?,
        note: r.try_get("note")?,
    })
}

fn budget_row(r: &Row) -> Result<BudgetRow> {
    Ok(BudgetRow {
        policy_id: r.try_get("policy_id")?,
        policy_code: r.try_get("policy_code")?,
        policy_title: r.try_get("policy_title")?,
        department_id: r.try_get("department_id")?,
        year: r.try_get("year")?,
        budget_fen: r.try_get("budget_fen")?,
        spent_fen: r.try_get("spent_fen")?,
        committed_fen: r.try_get("committed_fen")?,
        enterprise_cap_fen: r.try_get("enterprise_cap_fen")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const BUDGET_COLS: &str = "b.policy_id, p.code AS policy_code, p.title AS policy_title, p.department_id, b.year, \
     b.budget_fen, b.spent_fen, b.committed_fen, b.enterprise_cap_fen, b.updated_at \
     FROM subsidy_budgets b JOIN policies p ON p.id = b.policy_id";

/// Build `WHERE …` with `$n` placeholders over i64 arguments and string arguments (strings after).
struct Where {
    clauses: Vec<String>,
    ints: Vec<i64>,
}

impl Where {
    fn new() -> Where {
        Where {
            clauses: Vec::new(),
            ints: Vec::new(),
        }
    }
    fn int(&mut self, clause: &str, v: Option<i64>) {
        if let Some(v) = v {
            self.ints.push(v);
            self.clauses
                .push(clause.replace('?', &format!("${}", self.ints.len())));
        }
    }
    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

fn state_list(states: &[String]) -> Option<String> {
    let ok: Vec<String> = states
        .iter()
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|s| format!("'{s}'"))
        .collect();
    if ok.is_empty() {
        None
    } else {
        Some(format!("a.state IN ({})", ok.join(",")))
    }
}

impl Db {
    /// The policy a subsidy refers to.
    pub async fn subsidy_policy(&self, policy_id: i64) -> Result<Option<SubsidyPolicy>> {
        let mut conn = self.reader().acquire().await?;
        subsidy_policy_in(&mut conn, policy_id).await
    }

    /// The policy with this code.
    pub async fn subsidy_policy_by_code(&self, code: &str) -> Result<Option<SubsidyPolicy>> {
        let r = crate::sql::query(
            "SELECT id, code, title, department_id, department_code, group_code, status, track FROM policies WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(policy_row).transpose()
    }

    /// Policies that can carry money (kind `policy`), by code, for pickers.
    pub async fn subsidy_policies(&self) -> Result<Vec<SubsidyPolicy>> {
        let rows = crate::sql::query(
            "SELECT id, code, title, department_id, department_code, group_code, status, track FROM policies WHERE kind = 'policy' ORDER BY code",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(policy_row).collect()
    }

    pub async fn subsidy_budget(&self, policy_id: i64, year: i64) -> Result<Option<BudgetRow>> {
        let mut conn = self.reader().acquire().await?;
        subsidy_budget_in(&mut conn, policy_id, year).await
    }

    /// Budgets of a year (or all), by policy code.
    pub async fn subsidy_budgets(&self, year: Option<i64>) -> Result<Vec<BudgetRow>> {
        let mut w = Where::new();
        w.int("b.year = ?", year);
        let sql = format!(
            "SELECT {BUDGET_COLS}{} ORDER BY b.year DESC, p.code",
            w.sql()
        );
        let mut q = crate::sql::query(&sql);
        for v in &w.ints {
            q = q.bind(*v);
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter().map(budget_row).collect()
    }

    pub async fn subsidy_application_get(&self, id: i64) -> Result<Option<ApplicationRow>> {
        let mut conn = self.reader().acquire().await?;
        subsidy_application_in(&mut conn, id).await
    }

    pub async fn subsidy_application_by_key(&self, key: &str) -> Result<Option<ApplicationRow>> {
        let r = crate::sql::query(&format!("SELECT {APP_COLS} WHERE a.request_key = $1"))
            .bind(key)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(app_row).transpose()
    }

    /// Newest first, with the total count.
    pub async fn subsidy_application_list(
        &self,
        f: &ApplicationFilter,
    ) -> Result<(Vec<ApplicationRow>, i64)> {
        let mut w = Where::new();
        w.int("a.policy_id = ?", f.policy_id);
        w.int("a.enterprise_id = ?", f.enterprise_id);
        w.int("p.department_id = ?", f.department_id);
        w.int("a.year = ?", f.year);
        if let Some(s) = state_list(&f.states) {
            w.clauses.push(s);
        }
        let wh = w.sql();
        let sql = format!(
            "SELECT {APP_COLS}{wh} ORDER BY a.id DESC LIMIT {} OFFSET {}",
            f.limit.clamp(1, 10_000),
            f.offset.max(0)
        );
        let mut q = crate::sql::query(&sql);
        for v in &w.ints {
            q = q.bind(*v);
        }
        let rows = q.fetch_all(self.reader()).await?;
        let csql = format!(
            "SELECT COUNT(*) AS n FROM subsidy_applications a JOIN policies p ON p.id = a.policy_id{wh}"
        );
        let mut cq = crate::sql::query(&csql);
        for v in &w.ints {
            cq = cq.bind(*v);
        }
        let total: i64 = cq.fetch_one(self.reader()).await?.try_get("n")?;
        Ok((rows.iter().map(app_row).collect::<Result<_>>()?, total))
    }

    /// Ids of approved applications waiting for payment, oldest first.
    pub async fn subsidy_approved_ids(&self, year: Option<i64>) -> Result<Vec<i64>> {
        let mut w = Where::new();
        w.int("year = ?", year);
        w.clauses.push("state = 'approved'".into());
        let sql = format!("SELECT id FROM subsidy_applications{} ORDER BY id", w.sql());
        let mut q = crate::sql::query(&sql);
        for v in &w.ints {
            q = q.bind(*v);
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("id")?))
            .collect()
    }

    pub async fn subsidy_entry_get(&self, id: i64) -> Result<Option<EntryRow>> {
        let mut conn = self.reader().acquire().await?;
        subsidy_entry_in(&mut conn, id).await
    }

    pub async fn subsidy_entry_by_key(&self, key: &str) -> Result<Option<EntryRow>> {
        let mut conn = self.reader().acquire().await?;
        subsidy_entry_by_key_in(&mut conn, key).await
    }

    /// Ledger entries, newest first, with the total count.
    pub async fn subsidy_ledger_list(&self, f: &LedgerFilter) -> Result<(Vec<EntryRow>, i64)> {
        let mut w = Where::new();
        w.int("l.year = ?", f.year);
        w.int("l.policy_id = ?", f.policy_id);
        w.int("l.enterprise_id = ?", f.enterprise_id);
        w.int("l.department_id = ?", f.department_id);
        w.int("l.application_id = ?", f.application_id);
        let wh = w.sql();
        let sql = format!(
            "SELECT {ENTRY_COLS}{wh} ORDER BY l.id DESC LIMIT {} OFFSET {}",
            f.limit.clamp(1, 10_000),
            f.offset.max(0)
        );
        let mut q = crate::sql::query(&sql);
        for v in &w.ints {
            q = q.bind(*v);
        }
        let rows = q.fetch_all(self.reader()).await?;
        let csql = format!("SELECT COUNT(*) AS n FROM subsidy_ledger l{wh}");
        let mut cq = crate::sql::query(&csql);
        for v in &w.ints {
            cq = cq.bind(*v);
        }
        let total: i64 = cq.fetch_one(self.reader()).await?.try_get("n")?;
        Ok((rows.iter().map(entry_row).collect::<Result<_>>()?, total))
    }

    /// Totals of the ledger for a year (all years when `None`), optionally one department's
    /// entries only, each a SUM over the entries (reversals included, so corrections net out).
    pub async fn subsidy_totals(
        &self,
        year: Option<i64>,
        department_id: Option<i64>,
    ) -> Result<Totals> {
        let mut w = Where::new();
        w.int("l.year = ?", year);
        w.int("l.department_id = ?", department_id);
        let wh = w.sql();
        let bind_all = |sql: String| {
            let ints = w.ints.clone();
            async move {
                let mut q = crate::sql::query(&sql);
                for v in &ints {
                    q = q.bind(*v);
                }
                q.fetch_all(self.reader()).await
            }
        };
        let fen_sum = wide_sum("l.amount_fen", "fen");
        let all = bind_all(format!(
            "SELECT {fen_sum}, COUNT(*) AS n FROM subsidy_ledger l{wh}"
        ))
        .await?;
        // Atomic rather than a Cell: the future holding it must stay Send.
        let overflow = std::sync::atomic::AtomicBool::new(false);
        let fen_of = |r: &Row| -> Result<i64> {
            let (v, o) = saturate(wide(r, "fen")?);
            if o {
                overflow.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            Ok(v)
        };
        let (total_fen, entries) = match all.first() {
            Some(r) => (fen_of(r)?, r.try_get("n")?),
            None => (0, 0),
        };
        let line = |r: &Row| -> Result<TotalRow> {
            Ok(TotalRow {
                id: r.try_get("id")?,
                code: r.try_get::<Option<String>, _>("code")?.unwrap_or_default(),
                name: r.try_get::<Option<String>, _>("name")?.unwrap_or_default(),
                legal_ref: r
                    .try_get::<Option<String>, _>("legal_ref")?
                    .unwrap_or_default(),
                fen: fen_of(r)?,
                entries: r.try_get("n")?,
            })
        };
        let by_policy = bind_all(format!(
            "SELECT l.policy_id AS id, p.code AS code, p.title AS name, p.legal_ref AS legal_ref, {fen_sum}, COUNT(*) AS n \
             FROM subsidy_ledger l JOIN policies p ON p.id = l.policy_id{wh} GROUP BY l.policy_id, p.code, p.title, p.legal_ref ORDER BY p.code"
        ))
        .await?
        .iter()
        .map(line)
        .collect::<Result<Vec<_>>>()?;
        let by_department = bind_all(format!(
            "SELECT l.department_id AS id, d.code AS code, d.name AS name, '' AS legal_ref, {fen_sum}, COUNT(*) AS n \
             FROM subsidy_ledger l LEFT JOIN registry_items d ON d.id = l.department_id{wh} \
             GROUP BY l.department_id, d.code, d.name ORDER BY d.code"
        ))
        .await?
        .iter()
        .map(line)
        .collect::<Result<Vec<_>>>()?;
        Ok(Totals {
            total_fen,
            entries,
            overflow: overflow.into_inner(),
            by_policy,
            by_department,
        })
    }
}

fn policy_row(r: &Row) -> Result<SubsidyPolicy> {
    Ok(SubsidyPolicy {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        title: r.try_get("title")?,
        department_id: r.try_get("department_id")?,
        department_code: r.try_get("department_code")?,
        group_code: r.try_get("group_code")?,
        status: r.try_get("status")?,
        track: r.try_get("track")?,
    })
}

pub async fn subsidy_policy_in(conn: &mut Conn, policy_id: i64) -> Result<Option<SubsidyPolicy>> {
    let r = crate::sql::query(
        "SELECT id, code, title, department_id, department_code, group_code, status, track FROM policies WHERE id = $1",
    )
    .bind(policy_id)
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(policy_row).transpose()
}

pub async fn subsidy_budget_in(
    conn: &mut Conn,
    policy_id: i64,
    year: i64,
) -> Result<Option<BudgetRow>> {
    let r = crate::sql::query(&format!(
        "SELECT {BUDGET_COLS} WHERE b.policy_id = $1 AND b.year = $2"
    ))
    .bind(policy_id)
    .bind(year)
    .fetch_optional(&mut *conn)
    .await?;
    r.as_ref().map(budget_row).transpose()
}

/// Create or change a budget line. Refused (Conflict) when the new budget is below what is
/// already paid plus reserved — one conditional statement, so a concurrent approval cannot slip
/// under it.
pub async fn subsidy_budget_put(
    conn: &mut Conn,
    policy_id: i64,
    year: i64,
    budget_fen: i64,
    enterprise_cap_fen: Option<i64>,
    at: &str,
) -> Result<()> {
    let inserted = crate::sql::query(
        "INSERT INTO subsidy_budgets (policy_id, year, budget_fen, spent_fen, committed_fen, enterprise_cap_fen, updated_at) \
         VALUES ($1, $2, $3, 0, 0, $4, $5) ON CONFLICT (policy_id, year) DO NOTHING",
    )
    .bind(policy_id)
    .bind(year)
    .bind(budget_fen)
    .bind(enterprise_cap_fen)
    .bind(at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(());
    }
    let n = crate::sql::query(
        "UPDATE subsidy_budgets SET budget_fen = $3, enterprise_cap_fen = $4, updated_at = $5 \
         WHERE policy_id = $1 AND year = $2 AND spent_fen + committed_fen <= $3",
    )
    .bind(policy_id)
    .bind(year)
    .bind(budget_fen)
    .bind(enterprise_cap_fen)
    .bind(at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "budget below what is paid and reserved".into(),
        ))
    }
}

/// Reserve `fen` of the budget for an approval. `false` when the budget line is missing or the
/// money is not there (nothing changed).
pub async fn subsidy_budget_reserve(
    conn: &mut Conn,
    policy_id: i64,
    year: i64,
    fen: i64,
) -> Result<bool> {
    let n = crate::sql::query(
        "UPDATE subsidy_budgets SET committed_fen = committed_fen + $3 \
         WHERE policy_id = $1 AND year = $2 AND spent_fen + committed_fen + $3 <= budget_fen",
    )
    .bind(policy_id)
    .bind(year)
    .bind(fen)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Pay `fen` out of the budget, releasing `reserved` of the reservation. The condition keeps
/// `spent + committed ≤ budget`, so a payout never exceeds the budget even if reservations were
/// bypassed. `false` when the money is not there (nothing changed).
pub async fn subsidy_budget_spend(
    conn: &mut Conn,
    policy_id: i64,
    year: i64,
    fen: i64,
    reserved: i64,
) -> Result<bool> {
    let n = crate::sql::query(
        "UPDATE subsidy_budgets SET spent_fen = spent_fen + $3, committed_fen = committed_fen - $4 \
         WHERE policy_id = $1 AND year = $2 AND committed_fen >= $4 \
         AND spent_fen + $3 + committed_fen - $4 <= budget_fen",
    )
    .bind(policy_id)
    .bind(year)
    .bind(fen)
    .bind(reserved)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Release `fen` of a reservation (an approval revoked before payment).
pub async fn subsidy_budget_release(
    conn: &mut Conn,
    policy_id: i64,
    year: i64,
    fen: i64,
) -> Result<()> {
    let n = crate::sql::query(
        "UPDATE subsidy_budgets SET committed_fen = committed_fen - $3 WHERE policy_id = $1 AND year = $2 AND committed_fen >= $3",
    )
    .bind(policy_id)
    .bind(year)
    .bind(fen)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "budget reservation below the release".into(),
        ))
    }
}

/// Give back `fen` paid (a reversal).
pub async fn subsidy_budget_refund(
    conn: &mut Conn,
    policy_id: i64,
    year: i64,
    fen: i64,
) -> Result<()> {
    let n = crate::sql::query(
        "UPDATE subsidy_budgets SET spent_fen = spent_fen - $3 WHERE policy_id = $1 AND year = $2 AND spent_fen >= $3",
    )
    .bind(policy_id)
    .bind(year)
    .bind(fen)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict("budget spent below the refund".into()))
    }
}

/// Net paid to one enterprise under one policy in one year (from the ledger).
pub async fn subsidy_paid_to(
    conn: &mut Conn,
    policy_id: i64,
    enterprise_id: i64,
    year: i64,
) -> Result<i64> {
    let r = crate::sql::query(&format!(
        "SELECT {} FROM subsidy_ledger WHERE policy_id = $1 AND enterprise_id = $2 AND year = $3",
        wide_sum("amount_fen", "fen")
    ))
    .bind(policy_id)
    .bind(enterprise_id)
    .bind(year)
    .fetch_one(&mut *conn)
    .await?;
    // Clamped: a sum beyond i64 is over any cap anyway.
    Ok(saturate(wide(&r, "fen")?).0)
}

/// Approved (reserved, not yet paid) for one enterprise under one policy in one year, excluding
/// one application.
pub async fn subsidy_reserved_for(
    conn: &mut Conn,
    policy_id: i64,
    enterprise_id: i64,
    year: i64,
    except_id: i64,
) -> Result<i64> {
    let r = crate::sql::query(&format!(
        "SELECT {} FROM subsidy_applications \
         WHERE policy_id = $1 AND enterprise_id = $2 AND year = $3 AND state = 'approved' AND id <> $4",
        wide_sum("approved_fen", "fen")
    ))
    .bind(policy_id)
    .bind(enterprise_id)
    .bind(year)
    .bind(except_id)
    .fetch_one(&mut *conn)
    .await?;
    // Clamped: a sum beyond i64 is over any cap anyway.
    Ok(saturate(wide(&r, "fen")?).0)
}

/// The policy that holds the claim of an exclusive group for an enterprise and year, if any.
pub async fn subsidy_group_holder(
    conn: &mut Conn,
    group_code: &str,
    enterprise_id: i64,
    year: i64,
) -> Result<Option<(i64, String)>> {
    let r = crate::sql::query(
        "SELECT c.policy_id, p.code FROM subsidy_group_claims c JOIN policies p ON p.id = c.policy_id \
         WHERE c.group_code = $1 AND c.enterprise_id = $2 AND c.year = $3",
    )
    .bind(group_code)
    .bind(enterprise_id)
    .bind(year)
    .fetch_optional(&mut *conn)
    .await?;
    match r {
        Some(r) => Ok(Some((r.try_get("policy_id")?, r.try_get("code")?))),
        None => Ok(None),
    }
}

/// Claim the group for `policy_id`; returns the holder afterwards (this policy when the claim
/// was free or already ours). The primary key makes two concurrent claims end with one holder.
pub async fn subsidy_group_claim(
    conn: &mut Conn,
    group_code: &str,
    enterprise_id: i64,
    year: i64,
    policy_id: i64,
    at: &str,
) -> Result<i64> {
    crate::sql::query(
        "INSERT INTO subsidy_group_claims (group_code, enterprise_id, year, policy_id, at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (group_code, enterprise_id, year) DO NOTHING",
    )
    .bind(group_code)
    .bind(enterprise_id)
    .bind(year)
    .bind(policy_id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(subsidy_group_holder(conn, group_code, enterprise_id, year)
        .await?
        .map(|h| h.0)
        .unwrap_or(policy_id))
}

/// Free the group claim of `policy_id` (after its payouts were reversed to zero).
pub async fn subsidy_group_release(
    conn: &mut Conn,
    group_code: &str,
    enterprise_id: i64,
    year: i64,
    policy_id: i64,
) -> Result<()> {
    crate::sql::query(
        "DELETE FROM subsidy_group_claims WHERE group_code = $1 AND enterprise_id = $2 AND year = $3 AND policy_id = $4",
    )
    .bind(group_code)
    .bind(enterprise_id)
    .bind(year)
    .bind(policy_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Insert an application; a reused request key is a Conflict.
pub async fn subsidy_application_insert(conn: &mut Conn, a: &NewApplication) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO subsidy_applications (policy_id, enterprise_id, year, amount_fen, state, origin, request_key, note, \
         created_by, created_by_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(a.policy_id)
    .bind(a.enterprise_id)
    .bind(a.year)
    .bind(a.amount_fen)
    .bind(&a.state)
    .bind(&a.origin)
    .bind(&a.request_key)
    .bind(&a.note)
    .bind(a.created_by)
    .bind(&a.created_by_name)
    .bind(&a.created_at)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| StoreError::from_write(e, "application request key already used"))?;
    Ok(r.try_get("id")?)
}

pub async fn subsidy_application_in(conn: &mut Conn, id: i64) -> Result<Option<ApplicationRow>> {
    let r = crate::sql::query(&format!("SELECT {APP_COLS} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    r.as_ref().map(app_row).transpose()
}

/// Move an application from `from_state` to `s.state`. `false` when it was no longer in
/// `from_state` (someone acted first; nothing changed).
pub async fn subsidy_application_step(
    conn: &mut Conn,
    id: i64,
    from_state: &str,
    s: &ApplicationStep,
) -> Result<bool> {
    let n = crate::sql::query(
        "UPDATE subsidy_applications SET state = $3, approved_fen = COALESCE($4, approved_fen), reason = COALESCE($5, reason), \
         reviewed_by = COALESCE($6, reviewed_by), reviewed_at = CASE WHEN $6 IS NULL THEN reviewed_at ELSE $9 END, \
         decided_by = COALESCE($7, decided_by), decided_at = CASE WHEN $7 IS NULL THEN decided_at ELSE $9 END, \
         disbursed_at = COALESCE($8, disbursed_at), updated_at = $9, version = version + 1 \
         WHERE id = $1 AND state = $2",
    )
    .bind(id)
    .bind(from_state)
    .bind(&s.state)
    .bind(s.approved_fen)
    .bind(s.reason.as_deref())
    .bind(s.reviewed_by.as_deref())
    .bind(s.decided_by.as_deref())
    .bind(s.disbursed_at.as_deref())
    .bind(&s.at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Append a ledger entry. A reused request key (or a second payout of one application, or a
/// second reversal of one entry) is a Conflict.
pub async fn subsidy_ledger_append(conn: &mut Conn, e: &NewEntry) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO subsidy_ledger (policy_id, enterprise_id, application_id, year, department_id, amount_fen, reverses_id, \
         request_key, at, actor_id, actor_name, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(e.policy_id)
    .bind(e.enterprise_id)
    .bind(e.application_id)
    .bind(e.year)
    .bind(e.department_id)
    .bind(e.amount_fen)
    .bind(e.reverses_id)
    .bind(&e.request_key)
    .bind(&e.at)
    .bind(e.actor_id)
    .bind(&e.actor_name)
    .bind(&e.note)
    .fetch_one(&mut *conn)
    .await
    .map_err(|err| StoreError::from_write(err, "ledger request key already used"))?;
    Ok(r.try_get("id")?)
}

pub async fn subsidy_entry_in(conn: &mut Conn, id: i64) -> Result<Option<EntryRow>> {
    let r = crate::sql::query(&format!("SELECT {ENTRY_COLS} WHERE l.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    r.as_ref().map(entry_row).transpose()
}

pub async fn subsidy_entry_by_key_in(conn: &mut Conn, key: &str) -> Result<Option<EntryRow>> {
    let r = crate::sql::query(&format!("SELECT {ENTRY_COLS} WHERE l.request_key = $1"))
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    r.as_ref().map(entry_row).transpose()
}
