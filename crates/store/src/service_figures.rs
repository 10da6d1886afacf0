//! Service figures (服务成效): counts of visits, visit tasks, orders, callbacks and council
//! actions over a period, grouped by team, department, chain or the whole zone — always SQL
//! aggregates over the records, never stored totals — plus the per-order facts the app needs for
//! what SQL cannot compute on the working-day calendar (acceptance in time, handling time).
//!
//! Periods are half-open instants `[from_ts, to_ts)` (UTC RFC 3339, as stored) for order and
//! callback times, and inclusive local dates `[from_date, to_date]` for visits, task due dates
//! and action closing dates. Grouping keys: the team is the enterprise's current 包联 team; the
//! department is the order's lead department (for callbacks: the department recorded with the
//! callback; for visits: the department of a participant as a member of the visiting team); the
//! chain is the order's chain (for visits and tasks: every chain the enterprise sits on, so chain
//! rows may add up to more than the zone). Key `0` is the zone; `None` is "no team/department/chain".

use crate::order::{OPEN_STATES, PauseRow};
use crate::{Db, Result};
use std::collections::BTreeMap;

/// What the figures are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FigureDim {
    Zone,
    Team,
    Department,
    Chain,
}

/// The period and the moment the figures are taken.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Period {
    pub from_ts: String,
    pub to_ts: String,
    pub from_date: String,
    pub to_date: String,
    /// Local date of "now": tasks due before it and still open are overdue.
    pub today: String,
    /// Now as stored text: open orders due before it are breaches.
    pub now_ts: String,
}

/// Counts of one group over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct FigureCounts {
    pub visits: i64,
    pub visits_overdue: i64,
    pub orders_received: i64,
    pub withdrawn: i64,
    pub withdrawn_before_acceptance: i64,
    pub solved: i64,
    pub breaches: i64,
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub unsatisfied: i64,
    pub actions_closed: i64,
}

/// One order received in the period, with what the calendar-based figures need.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderTiming {
    pub key: Option<i64>,
    pub id: i64,
    pub urgency: String,
    pub created_at: String,
    pub state: String,
    pub accepted_at: Option<String>,
    pub stopped_at: Option<String>,
}

/// One order's facts for the figures kept in memory (see `app::service_figures`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FigureOrderFact {
    pub id: i64,
    pub enterprise_id: i64,
    pub department_id: Option<i64>,
    pub chain_id: Option<i64>,
    pub urgency: String,
    pub state: String,
    pub created_at: String,
    /// First acceptance.
    pub accepted_at: Option<String>,
    pub stopped_at: Option<String>,
    pub due_at: Option<String>,
    /// `orders.figures_rev`.
    pub rev: i64,
}

/// One callback's facts for the figures kept in memory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FigureCallbackFact {
    pub order_id: i64,
    pub rating: String,
    pub department_id: Option<i64>,
    pub at: String,
}

/// Which records make a figure, for the drill-down lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Visits,
    VisitsOverdue,
    OrdersReceived,
    OrdersSolved,
    Breaches,
    Callbacks,
    ActionsClosed,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::Visits,
        Metric::VisitsOverdue,
        Metric::OrdersReceived,
        Metric::OrdersSolved,
        Metric::Breaches,
        Metric::Callbacks,
        Metric::ActionsClosed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Visits => "visits",
            Metric::VisitsOverdue => "visits_overdue",
            Metric::OrdersReceived => "orders_received",
            Metric::OrdersSolved => "orders_solved",
            Metric::Breaches => "breaches",
            Metric::Callbacks => "callbacks",
            Metric::ActionsClosed => "actions_closed",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s.trim())
    }
}

/// One record behind a figure.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FigureRecord {
    /// `order`, `visit`, `visit_task` or `council_action`.
    pub kind: String,
    pub id: i64,
    pub label: String,
    pub enterprise: String,
    pub at: String,
    pub state: String,
}

/// Handled states (`OrderState::is_handled`), for SQL `IN` lists.
pub const HANDLED_STATES: &str = "'replied','resolved','callback_done','closed'";

/// The zone's grouping key: an expression, because a bare `0` in GROUP BY means a column position.
const ZONE_KEY: &str = "CAST(0 AS BIGINT)";

/// (key expression, join) for orders aliased `o`.
fn order_key(dim: FigureDim) -> (&'static str, &'static str) {
    match dim {
        FigureDim::Zone => (ZONE_KEY, ""),
        FigureDim::Team => (
            "ta.team_id",
            " LEFT JOIN team_assignments ta ON ta.enterprise_id = o.enterprise_id",
        ),
        FigureDim::Department => ("o.department_id", ""),
        FigureDim::Chain => ("o.chain_id", ""),
    }
}

fn breach_case() -> String {
    format!(
        "CASE WHEN o.state <> 'withdrawn' AND o.due_at IS NOT NULL AND ((o.stopped_at IS NOT NULL AND o.stopped_at > o.due_at) \
         OR (o.stopped_at IS NULL AND o.state IN ({OPEN_STATES}) AND o.due_at < $3)) THEN 1 ELSE 0 END"
    )
}

fn scope_filter(key_expr: &str, key: Option<i64>) -> String {
    match key {
        Some(k) if key_expr != ZONE_KEY => format!(" AND {key_expr} = {k}"),
        None if key_expr != ZONE_KEY => format!(" AND {key_expr} IS NULL"),
        _ => String::new(),
    }
}

impl Db {
    /// The counts of every group of `dim` over `p` (one SQL aggregate per record kind).
    pub async fn figure_counts(
        &self,
        dim: FigureDim,
        p: &Period,
    ) -> Result<BTreeMap<Option<i64>, FigureCounts>> {
        let mut out: BTreeMap<Option<i64>, FigureCounts> = BTreeMap::new();
        let (k, join) = order_key(dim);
        let rows = crate::sql::query(&format!(
            "SELECT {k} AS k, COUNT(*) AS received, \
             SUM(CASE WHEN o.state = 'withdrawn' THEN 1 ELSE 0 END) AS withdrawn, \
             SUM(CASE WHEN o.state = 'withdrawn' AND NOT EXISTS (SELECT 1 FROM order_events ev WHERE ev.event = 'accepted' AND ev.order_id = o.id) THEN 1 ELSE 0 END) AS wba, \
             SUM(CASE WHEN o.state IN ({HANDLED_STATES}) THEN 1 ELSE 0 END) AS solved, \
             SUM({}) AS breaches \
             FROM orders o{join} WHERE o.created_at >= $1 AND o.created_at < $2 GROUP BY {k}",
            breach_case()
        ))
        .bind(&p.from_ts)
        .bind(&p.to_ts)
        .bind(&p.now_ts)
        .fetch_all(self.reader())
        .await?;
        for r in &rows {
            let e = out.entry(key_of(r)?).or_default();
            e.orders_received = r.try_get("received")?;
            e.withdrawn = opt(r, "withdrawn")?;
            e.withdrawn_before_acceptance = opt(r, "wba")?;
            e.solved = opt(r, "solved")?;
            e.breaches = opt(r, "breaches")?;
        }
        let ck = if dim == FigureDim::Department {
            "c.department_id"
        } else {
            k
        };
        let rows = crate::sql::query(&format!(
            "SELECT {ck} AS k, c.rating, COUNT(*) AS n FROM order_callbacks c JOIN orders o ON o.id = c.order_id{join} \
             WHERE c.at >= $1 AND c.at < $2 GROUP BY {ck}, c.rating"
        ))
        .bind(&p.from_ts)
        .bind(&p.to_ts)
        .fetch_all(self.reader())
        .await?;
        for r in &rows {
            let e = out.entry(key_of(r)?).or_default();
            let n: i64 = r.try_get("n")?;
            match r.try_get::<String, _>("rating")?.as_str() {
                "satisfied" => e.satisfied += n,
                "basically_satisfied" => e.basically_satisfied += n,
                _ => e.unsatisfied += n,
            }
        }
        self.figure_activity_into(dim, p, &mut out).await?;
        Ok(out)
    }

    /// The counts that do not come from orders (visits, overdue visit tasks, council actions
    /// closed) of every group of `dim` over `p`.
    pub async fn figure_activity(
        &self,
        dim: FigureDim,
        p: &Period,
    ) -> Result<BTreeMap<Option<i64>, FigureCounts>> {
        let mut out = BTreeMap::new();
        self.figure_activity_into(dim, p, &mut out).await?;
        Ok(out)
    }

    async fn figure_activity_into(
        &self,
        dim: FigureDim,
        p: &Period,
        out: &mut BTreeMap<Option<i64>, FigureCounts>,
    ) -> Result<()> {
        let visits_sql = match dim {
            FigureDim::Zone => "SELECT CAST(0 AS BIGINT) AS k, COUNT(*) AS n FROM visits v WHERE v.visited_on >= $1 AND v.visited_on <= $2".to_string(),
            FigureDim::Team => "SELECT v.team_id AS k, COUNT(*) AS n FROM visits v WHERE v.visited_on >= $1 AND v.visited_on <= $2 GROUP BY v.team_id".to_string(),
            // Each visit once per chain its enterprise sits on (several nodes may share a chain).
            FigureDim::Chain => "SELECT n.chain_id AS k, COUNT(*) AS n FROM visits v JOIN (SELECT DISTINCT enterprise_id, chain_id FROM enterprise_nodes) n \
                ON n.enterprise_id = v.enterprise_id WHERE v.visited_on >= $1 AND v.visited_on <= $2 GROUP BY n.chain_id".to_string(),
            FigureDim::Department => "SELECT m.department_id AS k, COUNT(DISTINCT v.id) AS n FROM visits v JOIN visit_participants vp ON vp.visit_id = v.id \
                JOIN team_members m ON m.user_id = vp.user_id AND m.team_id = v.team_id \
                WHERE v.visited_on >= $1 AND v.visited_on <= $2 AND m.department_id IS NOT NULL GROUP BY m.department_id".to_string(),
        };
        for r in &crate::sql::query(&visits_sql)
            .bind(&p.from_date)
            .bind(&p.to_date)
            .fetch_all(self.reader())
            .await?
        {
            out.entry(key_of(r)?).or_default().visits = r.try_get("n")?;
        }
        let late = "k.due_on >= $1 AND k.due_on <= $2 AND k.due_on < $3 AND (k.status = 'open' OR (k.status = 'done' AND vv.visited_on > k.due_on))";
        let tasks_sql = match dim {
            FigureDim::Zone => Some(format!(
                "SELECT CAST(0 AS BIGINT) AS k, COUNT(*) AS n FROM visit_tasks k LEFT JOIN visits vv ON vv.id = k.visit_id WHERE {late}"
            )),
            FigureDim::Team => Some(format!(
                "SELECT k.team_id AS k, COUNT(*) AS n FROM visit_tasks k LEFT JOIN visits vv ON vv.id = k.visit_id WHERE {late} GROUP BY k.team_id"
            )),
            FigureDim::Chain => Some(format!(
                "SELECT en.chain_id AS k, COUNT(*) AS n FROM visit_tasks k LEFT JOIN visits vv ON vv.id = k.visit_id \
                 JOIN (SELECT DISTINCT enterprise_id, chain_id FROM enterprise_nodes) en ON en.enterprise_id = k.enterprise_id WHERE {late} GROUP BY en.chain_id"
            )),
            // Tasks belong to teams, not departments.
            FigureDim::Department => None,
        };
        if let Some(sql) = tasks_sql {
            for r in &crate::sql::query(&sql)
                .bind(&p.from_date)
                .bind(&p.to_date)
                .bind(&p.today)
                .fetch_all(self.reader())
                .await?
            {
                out.entry(key_of(r)?).or_default().visits_overdue = r.try_get("n")?;
            }
        }
        let ak = match dim {
            FigureDim::Zone => Some(ZONE_KEY),
            FigureDim::Chain => Some("a.chain_id"),
            FigureDim::Department => Some("a.department_id"),
            // Actions belong to departments, not teams.
            FigureDim::Team => None,
        };
        if let Some(ak) = ak {
            for r in &crate::sql::query(&format!(
                "SELECT {ak} AS k, COUNT(*) AS n FROM council_actions a WHERE a.status = 'done' AND a.closed_on >= $1 AND a.closed_on <= $2 GROUP BY {ak}"
            ))
            .bind(&p.from_date)
            .bind(&p.to_date)
            .fetch_all(self.reader())
            .await?
            {
                out.entry(key_of(r)?).or_default().actions_closed = r.try_get("n")?;
            }
        }
        Ok(())
    }

    /// Order facts for the in-memory figures: every order (`since_rev` = `None`) or those written
    /// after revision `since_rev`, with all their callbacks and pauses.
    pub async fn figure_order_facts(
        &self,
        since_rev: Option<i64>,
    ) -> Result<(Vec<FigureOrderFact>, Vec<FigureCallbackFact>, Vec<PauseRow>)> {
        let (w, cw, pw) = match since_rev {
            None => (String::new(), String::new(), String::new()),
            Some(r) => (
                format!(" WHERE o.figures_rev > {r}"),
                format!(" JOIN orders o ON o.id = c.order_id WHERE o.figures_rev > {r}"),
                format!(" JOIN orders o ON o.id = ps.order_id WHERE o.figures_rev > {r}"),
            ),
        };
        let order_sql = format!(
            "SELECT o.id, o.enterprise_id, o.department_id, o.chain_id, o.urgency, o.state, o.created_at, o.accepted_at, o.stopped_at, o.due_at, o.figures_rev FROM orders o{w}"
        );
        let callback_sql = format!(
            "SELECT c.order_id, c.rating, c.department_id, c.at FROM order_callbacks c{cw}"
        );
        let pause_sql = format!(
            "SELECT ps.id, ps.order_id, ps.from_at, ps.to_at, ps.reason FROM order_pauses ps{pw} ORDER BY ps.order_id, ps.id"
        );
        // A SQLite file: all three in one snapshot through SQLite's C API (`bulk`).
        let (os, cs, ps) = (order_sql.clone(), callback_sql.clone(), pause_sql.clone());
        if let Some(facts) = self
            .sqlite_bulk(move |c| {
                let mut st = c.prepare(&os)?;
                let orders = st
                    .query_map([], |r| {
                        Ok(FigureOrderFact {
                            id: r.get(0)?,
                            enterprise_id: r.get(1)?,
                            department_id: r.get(2)?,
                            chain_id: r.get(3)?,
                            urgency: r.get(4)?,
                            state: r.get(5)?,
                            created_at: r.get(6)?,
                            accepted_at: r.get(7)?,
                            stopped_at: r.get(8)?,
                            due_at: r.get(9)?,
                            rev: r.get(10)?,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let mut st = c.prepare(&cs)?;
                let callbacks = st
                    .query_map([], |r| {
                        Ok(FigureCallbackFact {
                            order_id: r.get(0)?,
                            rating: r.get(1)?,
                            department_id: r.get(2)?,
                            at: r.get(3)?,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let mut st = c.prepare(&ps)?;
                let pauses = st
                    .query_map([], |r| {
                        Ok(PauseRow {
                            id: r.get(0)?,
                            order_id: r.get(1)?,
                            from_at: r.get(2)?,
                            to_at: r.get(3)?,
                            reason: r.get(4)?,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((orders, callbacks, pauses))
            })
            .await?
        {
            return Ok(facts);
        }
        let rows = crate::sql::query(&order_sql)
            .fetch_all(self.reader())
            .await?;
        let orders = rows
            .iter()
            .map(|r| {
                Ok(FigureOrderFact {
                    id: r.try_get(0)?,
                    enterprise_id: r.try_get(1)?,
                    department_id: r.try_get(2)?,
                    chain_id: r.try_get(3)?,
                    urgency: r.try_get(4)?,
                    state: r.try_get(5)?,
                    created_at: r.try_get(6)?,
                    accepted_at: r.try_get(7)?,
                    stopped_at: r.try_get(8)?,
                    due_at: r.try_get(9)?,
                    rev: r.try_get(10)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        drop(rows);
        let rows = crate::sql::query(&callback_sql)
            .fetch_all(self.reader())
            .await?;
        let callbacks = rows
            .iter()
            .map(|r| {
                Ok(FigureCallbackFact {
                    order_id: r.try_get(0)?,
                    rating: r.try_get(1)?,
                    department_id: r.try_get(2)?,
                    at: r.try_get(3)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        drop(rows);
        let rows = crate::sql::query(&pause_sql)
            .fetch_all(self.reader())
            .await?;
        let pauses = rows
            .iter()
            .map(crate::order::pause)
            .collect::<Result<Vec<_>>>()?;
        Ok((orders, callbacks, pauses))
    }

    /// A stamp that changes whenever an enterprise's 包联 team changes (every assignment write
    /// appends to `team_assignment_history`).
    pub async fn figure_team_stamp(&self) -> Result<(i64, i64, i64)> {
        let r = crate::sql::query(
            "SELECT (SELECT COUNT(*) FROM team_assignment_history) AS n, (SELECT COALESCE(MAX(id), 0) FROM team_assignment_history) AS m, \
             (SELECT COUNT(*) FROM team_assignments) AS a",
        )
        .fetch_one(self.reader())
        .await?;
        Ok((r.try_get("n")?, r.try_get("m")?, r.try_get("a")?))
    }

    /// Orders received in `p` with their first acceptance and stop times, keyed by `dim`.
    pub async fn figure_timings(&self, dim: FigureDim, p: &Period) -> Result<Vec<OrderTiming>> {
        let (k, join) = order_key(dim);
        let rows = crate::sql::query(&format!(
            "SELECT {k} AS k, o.id, o.urgency, o.created_at, o.state, o.stopped_at, \
             (SELECT MIN(ev.at) FROM order_events ev WHERE ev.event = 'accepted' AND ev.order_id = o.id) AS accepted_at \
             FROM orders o{join} WHERE o.created_at >= $1 AND o.created_at < $2"
        ))
        .bind(&p.from_ts)
        .bind(&p.to_ts)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OrderTiming {
                    key: key_of(r)?,
                    id: r.try_get("id")?,
                    urgency: r.try_get("urgency")?,
                    created_at: r.try_get("created_at")?,
                    state: r.try_get("state")?,
                    accepted_at: r.try_get("accepted_at")?,
                    stopped_at: r.try_get("stopped_at")?,
                })
            })
            .collect()
    }

    /// Pauses of the handled orders received in `p` (for the handling time).
    pub async fn figure_pauses(&self, p: &Period) -> Result<Vec<PauseRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT ps.id, ps.order_id, ps.from_at, ps.to_at, ps.reason FROM order_pauses ps JOIN orders o ON o.id = ps.order_id \
             WHERE o.created_at >= $1 AND o.created_at < $2 AND o.state IN ({HANDLED_STATES}) ORDER BY ps.order_id, ps.id"
        ))
        .bind(&p.from_ts)
        .bind(&p.to_ts)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(crate::order::pause).collect()
    }

    /// The records behind one figure of one group (`key` as in [`Db::figure_counts`]), newest
    /// first, at most `limit`, and how many there are in all.
    pub async fn figure_records(
        &self,
        metric: Metric,
        dim: FigureDim,
        key: Option<i64>,
        p: &Period,
        limit: i64,
    ) -> Result<(Vec<FigureRecord>, i64)> {
        let (k, join) = order_key(dim);
        let lim = limit.clamp(1, 1000);
        let (select, from_where, order, binds): (&str, String, &str, Vec<&str>) = match metric {
            Metric::OrdersReceived | Metric::OrdersSolved | Metric::Breaches => {
                let extra = match metric {
                    Metric::OrdersSolved => format!(" AND o.state IN ({HANDLED_STATES})"),
                    Metric::Breaches => format!(" AND {} = 1", breach_case()),
                    _ => String::new(),
                };
                (
                    "'order' AS kind, o.id, o.title AS label, e.name AS ent, o.created_at AS at, o.state",
                    format!(
                        "FROM orders o JOIN enterprises e ON e.id = o.enterprise_id{join} WHERE o.created_at >= $1 AND o.created_at < $2{extra}{}",
                        scope_filter(k, key)
                    ),
                    "o.created_at DESC, o.id DESC",
                    vec![&p.from_ts, &p.to_ts, &p.now_ts],
                )
            }
            Metric::Callbacks => {
                let ck = if dim == FigureDim::Department {
                    "c.department_id"
                } else {
                    k
                };
                (
                    "'order' AS kind, o.id, o.title AS label, e.name AS ent, c.at AS at, c.rating AS state",
                    format!(
                        "FROM order_callbacks c JOIN orders o ON o.id = c.order_id JOIN enterprises e ON e.id = o.enterprise_id{join} \
                         WHERE c.at >= $1 AND c.at < $2{}",
                        scope_filter(ck, key)
                    ),
                    "c.at DESC, c.id DESC",
                    vec![&p.from_ts, &p.to_ts],
                )
            }
            Metric::Visits => {
                let f = match (dim, key) {
                    (FigureDim::Zone, _) => String::new(),
                    (FigureDim::Team, Some(t)) => format!(" AND v.team_id = {t}"),
                    (FigureDim::Team, None) => " AND v.team_id IS NULL".into(),
                    (FigureDim::Chain, Some(c)) => format!(
                        " AND EXISTS (SELECT 1 FROM enterprise_nodes n WHERE n.enterprise_id = v.enterprise_id AND n.chain_id = {c})"
                    ),
                    (FigureDim::Department, Some(d)) => format!(
                        " AND EXISTS (SELECT 1 FROM visit_participants vp JOIN team_members m ON m.user_id = vp.user_id AND m.team_id = v.team_id \
                         WHERE vp.visit_id = v.id AND m.department_id = {d})"
                    ),
                    _ => " AND 1 = 0".into(),
                };
                (
                    "'visit' AS kind, v.id, v.summary AS label, e.name AS ent, v.visited_on AS at, '' AS state",
                    format!(
                        "FROM visits v JOIN enterprises e ON e.id = v.enterprise_id WHERE v.visited_on >= $1 AND v.visited_on <= $2{f}"
                    ),
                    "v.visited_on DESC, v.id DESC",
                    vec![&p.from_date, &p.to_date],
                )
            }
            Metric::VisitsOverdue => {
                let f = match (dim, key) {
                    (FigureDim::Zone, _) => String::new(),
                    (FigureDim::Team, Some(t)) => format!(" AND k.team_id = {t}"),
                    (FigureDim::Team, None) => " AND k.team_id IS NULL".into(),
                    (FigureDim::Chain, Some(c)) => format!(
                        " AND EXISTS (SELECT 1 FROM enterprise_nodes n WHERE n.enterprise_id = k.enterprise_id AND n.chain_id = {c})"
                    ),
                    _ => " AND 1 = 0".into(),
                };
                (
                    "'visit_task' AS kind, k.id, k.reason_zh AS label, e.name AS ent, k.due_on AS at, k.status AS state",
                    format!(
                        "FROM visit_tasks k JOIN enterprises e ON e.id = k.enterprise_id LEFT JOIN visits vv ON vv.id = k.visit_id \
                         WHERE k.due_on >= $1 AND k.due_on <= $2 AND k.due_on < $3 AND (k.status = 'open' OR (k.status = 'done' AND vv.visited_on > k.due_on)){f}"
                    ),
                    "k.due_on DESC, k.id DESC",
                    vec![&p.from_date, &p.to_date, &p.today],
                )
            }
            Metric::ActionsClosed => {
                let f = match (dim, key) {
                    (FigureDim::Zone, _) => String::new(),
                    (FigureDim::Chain, Some(c)) => format!(" AND a.chain_id = {c}"),
                    (FigureDim::Department, Some(d)) => format!(" AND a.department_id = {d}"),
                    (FigureDim::Department, None) => " AND a.department_id IS NULL".into(),
                    _ => " AND 1 = 0".into(),
                };
                (
                    "'council_action' AS kind, a.id, a.decision AS label, '' AS ent, a.closed_on AS at, a.status AS state",
                    format!(
                        "FROM council_actions a WHERE a.status = 'done' AND a.closed_on >= $1 AND a.closed_on <= $2{f}"
                    ),
                    "a.closed_on DESC, a.id DESC",
                    vec![&p.from_date, &p.to_date],
                )
            }
        };
        // Only bind the placeholders the text uses ($3 appears only in breach/overdue filters).
        let used: Vec<&str> = binds
            .iter()
            .enumerate()
            .filter(|(i, _)| from_where.contains(&format!("${}", i + 1)))
            .map(|(_, b)| *b)
            .collect();
        let sql = format!("SELECT {select} {from_where} ORDER BY {order} LIMIT {lim}");
        let mut q = crate::sql::query(&sql);
        for b in &used {
            q = q.bind(*b);
        }
        let rows = q.fetch_all(self.reader()).await?;
        let count_sql = format!("SELECT COUNT(*) {from_where}");
        let mut cq = crate::sql::query_scalar::<i64>(&count_sql);
        for b in &used {
            cq = cq.bind(*b);
        }
        let total = cq.fetch_one(self.reader()).await?;
        let out = rows
            .iter()
            .map(|r| {
                Ok(FigureRecord {
                    kind: r.try_get("kind")?,
                    id: r.try_get("id")?,
                    label: r.try_get("label")?,
                    enterprise: r.try_get("ent")?,
                    at: r.try_get("at")?,
                    state: r.try_get("state")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((out, total))
    }
}

fn key_of(r: &crate::sql::Row) -> Result<Option<i64>> {
    Ok(r.try_get::<Option<i64>, _>("k")?)
}

/// A SUM over no rows is NULL.
fn opt(r: &crate::sql::Row, col: &str) -> Result<i64> {
    Ok(r.try_get::<Option<i64>, _>(col)?.unwrap_or(0))
}
