//! Work orders (诉求/堵点): the order rows, their append-only history (`order_events`), SLA pauses,
//! callbacks (回访), co-handling departments, the category taxonomy with its routing to a lead
//! department, the SLA limit table, and orders proposed to a chain council.
//!
//! Invariants kept here: an order row is only changed through [`order_update`], which checks the
//! optimistic-lock `version` and bumps it, so two officers acting at once cannot both win; orders
//! are never deleted (there is no delete function); events, callbacks and pauses are only ever
//! appended (a pause gets its end time once). The state machine itself lives in
//! `lianshi_domain::order`; this module stores what it decided.

use crate::sql::{Arg, Conn, Row, Where};
use crate::{Db, Result, StoreError};

/// Open states as stored (`OrderState::is_open`), for SQL `IN` lists.
pub const OPEN_STATES: &str =
    "'registered','accepted','dispatched','in_progress','returned','suspended'";

/// One category of the taxonomy with the department its orders are routed to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CategoryRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub department_id: Option<i64>,
    pub sort: i64,
    pub active: bool,
    pub updated_at: String,
}

/// One row of the SLA table; `category` `*` holds the per-urgency default.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SlaLimitRow {
    pub category: String,
    pub urgency: String,
    /// Compact form: `5d` or `8h`.
    pub sla_limit: String,
    pub updated_at: String,
}

/// An order as stored, with its enterprise's name and credit code.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct OrderRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub uscc: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub tags: Vec<String>,
    pub urgency: String,
    pub channel: String,
    pub node_id: Option<i64>,
    pub chain_id: Option<i64>,
    pub visit_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub state: String,
    pub resume_to: Option<String>,
    pub department_id: Option<i64>,
    pub extension_json: String,
    pub extension_days: i64,
    pub supervision_level: i64,
    pub reopen_count: i64,
    pub return_count: i64,
    pub rating: Option<String>,
    pub sla_limit: String,
    pub sla_start: String,
    pub due_at: Option<String>,
    pub stopped_at: Option<String>,
    pub created_by: Option<i64>,
    pub created_by_name: String,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    pub version: i64,
}

/// A new order. The state fields start as the domain's fresh snapshot says.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct NewOrder {
    pub enterprise_id: i64,
    pub title: String,
    pub description: String,
    pub category: String,
    pub tags: Vec<String>,
    pub urgency: String,
    pub channel: String,
    pub node_id: Option<i64>,
    pub chain_id: Option<i64>,
    pub visit_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub state: String,
    pub department_id: Option<i64>,
    pub extension_json: String,
    pub sla_limit: String,
    pub sla_start: String,
    pub due_at: Option<String>,
    pub created_by: Option<i64>,
    pub created_by_name: String,
    pub created_at: String,
}

/// The mutable part of an order after a transition.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct OrderStateWrite {
    pub state: String,
    pub resume_to: Option<String>,
    pub department_id: Option<i64>,
    pub extension_json: String,
    pub extension_days: i64,
    pub supervision_level: i64,
    pub reopen_count: i64,
    pub return_count: i64,
    pub rating: Option<String>,
    pub sla_start: String,
    pub due_at: Option<String>,
    pub stopped_at: Option<String>,
    pub closed_at: Option<String>,
    pub updated_at: String,
}

/// One entry of an order's history.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct EventRow {
    pub id: i64,
    pub order_id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub event: String,
    pub payload_json: String,
    pub at: String,
}

/// A stretch of time the SLA clock stood still (挂起); `to_at` is `None` while suspended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PauseRow {
    pub id: i64,
    pub order_id: i64,
    pub from_at: String,
    pub to_at: Option<String>,
    pub reason: String,
}

/// A satisfaction callback (回访), kept with the department that handled the order then.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackRow {
    pub id: i64,
    pub order_id: i64,
    pub rating: String,
    pub comment: String,
    pub department_id: Option<i64>,
    pub by_id: Option<i64>,
    pub by_name: String,
    pub by_role: String,
    pub at: String,
}

/// An order proposed to its chain's council after escalation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProposalRow {
    pub order_id: i64,
    pub chain_id: Option<i64>,
    pub level: i64,
    pub proposed_at: String,
}

/// Whose orders a list may contain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OrderScope {
    #[default]
    All,
    /// Orders whose lead or a co-handling department is this one.
    Department(i64),
    /// Orders of enterprises served by these teams.
    Teams(Vec<i64>),
    /// Orders of one enterprise.
    Enterprise(i64),
    /// Nothing (a department officer without a department).
    Nothing,
}

/// Filters of the order list, ANDed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderFilter {
    pub scope: OrderScope,
    pub state: Option<String>,
    /// `open` instead of one state: every open state.
    pub open_only: bool,
    pub category: Option<String>,
    pub department_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub chain_id: Option<i64>,
    /// Open orders whose due time is before this RFC 3339 instant.
    pub overdue_at: Option<String>,
    /// Substring of the title.
    pub q: Option<String>,
    pub parent_id: Option<i64>,
}

const ORDER_COLS: &str = "o.id, o.enterprise_id, e.name AS enterprise_name, e.uscc, o.title, o.description, o.category, o.tags_json, o.urgency, o.channel, o.node_id, o.chain_id, o.visit_id, o.parent_id, o.state, o.resume_to, o.department_id, o.extension_json, o.extension_days, o.supervision_level, o.reopen_count, o.return_count, o.rating, o.sla_limit, o.sla_start, o.due_at, o.stopped_at, o.created_by, o.created_by_name, o.created_at, o.updated_at, o.closed_at, o.version";

fn order(r: &Row) -> Result<OrderRow> {
    let tags: String = r.try_get("tags_json")?;
    Ok(OrderRow {
        id: r.try_get("id")?,
        enterprise_id: r.try_get("enterprise_id")?,
        enterprise_name: r.try_get("enterprise_name")?,
        uscc: r.try_get("uscc")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        category: r.try_get("category")?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        urgency: r.try_get("urgency")?,
        channel: r.try_get("channel")?,
        node_id: r.try_get("node_id")?,
        chain_id: r.try_get("chain_id")?,
        visit_id: r.try_get("visit_id")?,
        parent_id: r.try_get("parent_id")?,
        state: r.try_get("state")?,
        resume_to: r.try_get("resume_to")?,
        department_id: r.try_get("department_id")?,
        extension_json: r.try_get("extension_json")?,
        extension_days: r.try_get("extension_days")?,
        supervision_level: r.try_get("supervision_level")?,
        reopen_count: r.try_get("reopen_count")?,
        return_count: r.try_get("return_count")?,
        rating: r.try_get("rating")?,
        sla_limit: r.try_get("sla_limit")?,
        sla_start: r.try_get("sla_start")?,
        due_at: r.try_get("due_at")?,
        stopped_at: r.try_get("stopped_at")?,
        created_by: r.try_get("created_by")?,
        created_by_name: r.try_get("created_by_name")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        closed_at: r.try_get("closed_at")?,
        version: r.try_get("version")?,
    })
}

fn event(r: &Row) -> Result<EventRow> {
    Ok(EventRow {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        actor_id: r.try_get("actor_id")?,
        actor_name: r.try_get("actor_name")?,
        from_state: r.try_get("from_state")?,
        to_state: r.try_get("to_state")?,
        event: r.try_get("event")?,
        payload_json: r.try_get("payload_json")?,
        at: r.try_get("at")?,
    })
}

pub(crate) fn pause(r: &Row) -> Result<PauseRow> {
    Ok(PauseRow {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        from_at: r.try_get("from_at")?,
        to_at: r.try_get("to_at")?,
        reason: r.try_get("reason")?,
    })
}

fn category(r: &Row) -> Result<CategoryRow> {
    Ok(CategoryRow {
        code: r.try_get("code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        department_id: r.try_get("department_id")?,
        sort: r.try_get("sort")?,
        active: r.try_get::<i64, _>("active")? != 0,
        updated_at: r.try_get("updated_at")?,
    })
}

fn filter_where(f: &OrderFilter, like: &str) -> (String, Vec<Arg>) {
    let mut w = Where::default();
    match &f.scope {
        OrderScope::All => {}
        OrderScope::Nothing => w.sql.push("1 = 0".into()),
        OrderScope::Department(d) => w.push(
            |n| format!("(o.department_id = ${n} OR o.id IN (SELECT order_id FROM order_cohandlers WHERE department_id = ${n}))"),
            Arg::I64(*d),
        ),
        OrderScope::Enterprise(e) => w.push(|n| format!("o.enterprise_id = ${n}"), Arg::I64(*e)),
        OrderScope::Teams(ids) => {
            // Ids are integers from the database, safe to inline.
            let list = if ids.is_empty() {
                "-1".to_string()
            } else {
                ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
            };
            w.sql.push(format!(
                "o.enterprise_id IN (SELECT enterprise_id FROM team_assignments WHERE team_id IN ({list}))"
            ));
        }
    }
    if f.open_only {
        w.sql.push(format!("o.state IN ({OPEN_STATES})"));
    }
    if let Some(s) = &f.state {
        w.push(|n| format!("o.state = ${n}"), Arg::Text(s.clone()));
    }
    if let Some(c) = &f.category {
        w.push(|n| format!("o.category = ${n}"), Arg::Text(c.clone()));
    }
    if let Some(d) = f.department_id {
        w.push(|n| format!("o.department_id = ${n}"), Arg::I64(d));
    }
    if let Some(e) = f.enterprise_id {
        w.push(|n| format!("o.enterprise_id = ${n}"), Arg::I64(e));
    }
    if let Some(c) = f.chain_id {
        w.push(|n| format!("o.chain_id = ${n}"), Arg::I64(c));
    }
    if let Some(p) = f.parent_id {
        w.push(|n| format!("o.parent_id = ${n}"), Arg::I64(p));
    }
    if let Some(now) = &f.overdue_at {
        w.push(
            |n| format!("o.state IN ({OPEN_STATES}) AND o.due_at IS NOT NULL AND o.due_at < ${n}"),
            Arg::Text(now.clone()),
        );
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pat = format!("%{}%", q.replace(['%', '_'], ""));
        w.push(|n| format!("o.title {like} ${n}"), Arg::Text(pat));
    }
    let text = if w.sql.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", w.sql.join(" AND "))
    };
    (text, w.args)
}

impl Db {
    /// The taxonomy in display order (inactive categories included, flagged).
    pub async fn order_categories(&self) -> Result<Vec<CategoryRow>> {
        let rows = crate::sql::query(
            "SELECT code, name_zh, name_en, department_id, sort, active, updated_at FROM order_categories ORDER BY sort, code",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(category).collect()
    }

    /// The SLA table as stored.
    pub async fn sla_limits(&self) -> Result<Vec<SlaLimitRow>> {
        let rows = crate::sql::query(
            "SELECT category, urgency, sla_limit, updated_at FROM sla_limits ORDER BY category, urgency",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SlaLimitRow {
                    category: r.try_get("category")?,
                    urgency: r.try_get("urgency")?,
                    sla_limit: r.try_get("sla_limit")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    pub async fn order_get(&self, id: i64) -> Result<Option<OrderRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {ORDER_COLS} FROM orders o JOIN enterprises e ON e.id = o.enterprise_id WHERE o.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(order).transpose()
    }

    /// One page of orders, newest first, and the filter's total.
    pub async fn order_list(
        &self,
        f: &OrderFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<OrderRow>, i64)> {
        let (w, args) = filter_where(f, crate::dialect::ilike(self.backend()));
        let sql = format!(
            "SELECT {ORDER_COLS} FROM orders o JOIN enterprises e ON e.id = o.enterprise_id{w} ORDER BY o.id DESC LIMIT {} OFFSET {}",
            limit.clamp(1, 10_000),
            offset.max(0)
        );
        let rows = crate::sql::query(&sql)
            .bind_all(&args)
            .fetch_all(self.reader())
            .await?;
        let count_sql = format!("SELECT COUNT(*) AS n FROM orders o{w}");
        let total: i64 = crate::sql::query(&count_sql)
            .bind_all(&args)
            .fetch_one(self.reader())
            .await?
            .try_get("n")?;
        Ok((rows.iter().map(order).collect::<Result<_>>()?, total))
    }

    /// Every open order (for the SLA scan), by id.
    pub async fn order_open_all(&self) -> Result<Vec<OrderRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT {ORDER_COLS} FROM orders o JOIN enterprises e ON e.id = o.enterprise_id WHERE o.state IN ({OPEN_STATES}) ORDER BY o.id"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(order).collect()
    }

    /// Number of orders stored.
    pub async fn order_count(&self) -> Result<i64> {
        Ok(crate::sql::query("SELECT COUNT(*) AS n FROM orders")
            .fetch_one(self.reader())
            .await?
            .try_get("n")?)
    }

    /// An order's history, oldest first.
    pub async fn order_events(&self, order_id: i64) -> Result<Vec<EventRow>> {
        let rows = crate::sql::query(
            "SELECT id, order_id, actor_id, actor_name, from_state, to_state, event, payload_json, at FROM order_events WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(event).collect()
    }

    /// An order's pauses, oldest first.
    pub async fn order_pauses(&self, order_id: i64) -> Result<Vec<PauseRow>> {
        let rows = crate::sql::query(
            "SELECT id, order_id, from_at, to_at, reason FROM order_pauses WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(pause).collect()
    }

    /// The pauses of every open order, by order then id (one query for the SLA scan).
    pub async fn order_pauses_of_open(&self) -> Result<Vec<PauseRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT p.id, p.order_id, p.from_at, p.to_at, p.reason FROM order_pauses p JOIN orders o ON o.id = p.order_id WHERE o.state IN ({OPEN_STATES}) ORDER BY p.order_id, p.id"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(pause).collect()
    }

    /// Co-handling department ids of an order.
    pub async fn order_cohandlers(&self, order_id: i64) -> Result<Vec<i64>> {
        let rows = crate::sql::query(
            "SELECT department_id FROM order_cohandlers WHERE order_id = $1 ORDER BY department_id",
        )
        .bind(order_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("department_id")?))
            .collect()
    }

    /// An order's callbacks, oldest first.
    pub async fn order_callbacks(&self, order_id: i64) -> Result<Vec<CallbackRow>> {
        let rows = crate::sql::query(
            "SELECT id, order_id, rating, comment, department_id, by_id, by_name, by_role, at FROM order_callbacks WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CallbackRow {
                    id: r.try_get("id")?,
                    order_id: r.try_get("order_id")?,
                    rating: r.try_get("rating")?,
                    comment: r.try_get("comment")?,
                    department_id: r.try_get("department_id")?,
                    by_id: r.try_get("by_id")?,
                    by_name: r.try_get("by_name")?,
                    by_role: r.try_get("by_role")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Ids of an order's child (follow-on) orders.
    pub async fn order_children(&self, parent_id: i64) -> Result<Vec<i64>> {
        let rows = crate::sql::query("SELECT id FROM orders WHERE parent_id = $1 ORDER BY id")
            .bind(parent_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("id")?))
            .collect()
    }

    /// Orders proposed to councils, of one chain or all, oldest first.
    pub async fn council_proposals(&self, chain_id: Option<i64>) -> Result<Vec<ProposalRow>> {
        let rows = match chain_id {
            Some(c) => crate::sql::query(
                "SELECT order_id, chain_id, level, proposed_at FROM council_proposals WHERE chain_id = $1 ORDER BY proposed_at, order_id",
            )
            .bind(c)
            .fetch_all(self.reader())
            .await?,
            None => crate::sql::query(
                "SELECT order_id, chain_id, level, proposed_at FROM council_proposals ORDER BY proposed_at, order_id",
            )
            .fetch_all(self.reader())
            .await?,
        };
        rows.iter()
            .map(|r| {
                Ok(ProposalRow {
                    order_id: r.try_get("order_id")?,
                    chain_id: r.try_get("chain_id")?,
                    level: r.try_get("level")?,
                    proposed_at: r.try_get("proposed_at")?,
                })
            })
            .collect()
    }
}

/// Insert categories that are missing (an administrator's edits are never overwritten).
pub async fn order_category_seed(conn: &mut Conn, rows: &[CategoryRow]) -> Result<u64> {
    let mut n = 0;
    for c in rows {
        n += crate::sql::query(
            "INSERT INTO order_categories (code, name_zh, name_en, department_id, sort, active, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING",
        )
        .bind(&c.code)
        .bind(&c.name_zh)
        .bind(&c.name_en)
        .bind(c.department_id)
        .bind(c.sort)
        .bind(i64::from(c.active))
        .bind(&c.updated_at)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(n)
}

/// Create or replace one category.
pub async fn order_category_put(conn: &mut Conn, c: &CategoryRow) -> Result<()> {
    crate::sql::query(
        "INSERT INTO order_categories (code, name_zh, name_en, department_id, sort, active, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, department_id = excluded.department_id, sort = excluded.sort, active = excluded.active, updated_at = excluded.updated_at",
    )
    .bind(&c.code)
    .bind(&c.name_zh)
    .bind(&c.name_en)
    .bind(c.department_id)
    .bind(c.sort)
    .bind(i64::from(c.active))
    .bind(&c.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Insert SLA limits that are missing.
pub async fn sla_limit_seed(conn: &mut Conn, rows: &[SlaLimitRow]) -> Result<u64> {
    let mut n = 0;
    for r in rows {
        n += crate::sql::query(
            "INSERT INTO sla_limits (category, urgency, sla_limit, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (category, urgency) DO NOTHING",
        )
        .bind(&r.category)
        .bind(&r.urgency)
        .bind(&r.sla_limit)
        .bind(&r.updated_at)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(n)
}

/// Set one SLA limit.
pub async fn sla_limit_put(conn: &mut Conn, r: &SlaLimitRow) -> Result<()> {
    crate::sql::query(
        "INSERT INTO sla_limits (category, urgency, sla_limit, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (category, urgency) DO UPDATE SET sla_limit = excluded.sla_limit, updated_at = excluded.updated_at",
    )
    .bind(&r.category)
    .bind(&r.urgency)
    .bind(&r.sla_limit)
    .bind(&r.updated_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn order_insert(conn: &mut Conn, o: &NewOrder) -> Result<i64> {
    let tags = serde_json::to_string(&o.tags).unwrap_or_else(|_| "[]".into());
    let rev = order_generation_bump(&mut *conn).await?;
    let r = crate::sql::query(
        "INSERT INTO orders (enterprise_id, title, description, category, tags_json, urgency, channel, node_id, chain_id, visit_id, parent_id, state, resume_to, department_id, extension_json, extension_days, supervision_level, reopen_count, return_count, rating, sla_limit, sla_start, due_at, stopped_at, created_by, created_by_name, created_at, updated_at, closed_at, version, figures_rev) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13, $14, 0, 0, 0, 0, NULL, $15, $16, $17, NULL, $18, $19, $20, $21, NULL, 1, $22) RETURNING id",
    )
    .bind(o.enterprise_id)
    .bind(&o.title)
    .bind(&o.description)
    .bind(&o.category)
    .bind(tags)
    .bind(&o.urgency)
    .bind(&o.channel)
    .bind(o.node_id)
    .bind(o.chain_id)
    .bind(o.visit_id)
    .bind(o.parent_id)
    .bind(&o.state)
    .bind(o.department_id)
    .bind(&o.extension_json)
    .bind(&o.sla_limit)
    .bind(&o.sla_start)
    .bind(o.due_at.as_deref())
    .bind(o.created_by)
    .bind(&o.created_by_name)
    .bind(&o.created_at)
    .bind(&o.created_at)
    .bind(rev)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

/// Write an order's new state if its version is still `expected_version`; returns the new
/// version. Someone else acted first → [`StoreError::Conflict`].
pub async fn order_update(
    conn: &mut Conn,
    id: i64,
    expected_version: i64,
    w: &OrderStateWrite,
) -> Result<i64> {
    let rev = order_generation_bump(&mut *conn).await?;
    let r = crate::sql::query(
        "UPDATE orders SET state = $1, resume_to = $2, department_id = $3, extension_json = $4, extension_days = $5, supervision_level = $6, reopen_count = $7, return_count = $8, rating = $9, sla_start = $10, due_at = $11, stopped_at = $12, closed_at = $13, updated_at = $14, version = version + 1, figures_rev = $17 \
         WHERE id = $15 AND version = $16",
    )
    .bind(&w.state)
    .bind(w.resume_to.as_deref())
    .bind(w.department_id)
    .bind(&w.extension_json)
    .bind(w.extension_days)
    .bind(w.supervision_level)
    .bind(w.reopen_count)
    .bind(w.return_count)
    .bind(w.rating.as_deref())
    .bind(&w.sla_start)
    .bind(w.due_at.as_deref())
    .bind(w.stopped_at.as_deref())
    .bind(w.closed_at.as_deref())
    .bind(&w.updated_at)
    .bind(id)
    .bind(expected_version)
    .bind(rev)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!(
            "order {id} version {expected_version}"
        )));
    }
    Ok(expected_version + 1)
}

/// Refresh only the cached due time (after a calendar change) of a row still at
/// `expected_version`; no version bump, because nothing a person decided has changed, but the
/// row is stamped with the figures revision `rev` (from [`order_generation_bump`]) because the
/// figures read the due time. False when the row changed meanwhile (its writer computed the due
/// time itself).
pub async fn order_set_due(
    conn: &mut Conn,
    id: i64,
    expected_version: i64,
    due_at: Option<&str>,
    rev: i64,
) -> Result<bool> {
    let n = crate::sql::query(
        "UPDATE orders SET due_at = $1, figures_rev = $2 WHERE id = $3 AND version = $4",
    )
    .bind(due_at)
    .bind(rev)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Append one history entry.
pub async fn order_event_insert(conn: &mut Conn, e: &EventRow) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO order_events (order_id, actor_id, actor_name, from_state, to_state, event, payload_json, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(e.order_id)
    .bind(e.actor_id)
    .bind(&e.actor_name)
    .bind(e.from_state.as_deref())
    .bind(&e.to_state)
    .bind(&e.event)
    .bind(&e.payload_json)
    .bind(&e.at)
    .fetch_one(&mut *conn)
    .await?;
    if e.event == "accepted" {
        // Keep the first acceptance on the row (what the response rate reads).
        crate::sql::query(
            "UPDATE orders SET accepted_at = $1 WHERE id = $2 AND (accepted_at IS NULL OR accepted_at > $1)",
        )
        .bind(&e.at)
        .bind(e.order_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(r.try_get("id")?)
}

/// Start a pause (挂起) at `from_at`.
pub async fn order_pause_open(
    conn: &mut Conn,
    order_id: i64,
    from_at: &str,
    reason: &str,
) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO order_pauses (order_id, from_at, to_at, reason) VALUES ($1, $2, NULL, $3) RETURNING id",
    )
    .bind(order_id)
    .bind(from_at)
    .bind(reason)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

/// End the open pause of an order at `to_at` (no-op if none is open).
pub async fn order_pause_close(conn: &mut Conn, order_id: i64, to_at: &str) -> Result<u64> {
    Ok(crate::sql::query(
        "UPDATE order_pauses SET to_at = $1 WHERE order_id = $2 AND to_at IS NULL",
    )
    .bind(to_at)
    .bind(order_id)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Replace an order's co-handling departments.
pub async fn order_cohandlers_set(
    conn: &mut Conn,
    order_id: i64,
    department_ids: &[i64],
) -> Result<()> {
    crate::sql::query("DELETE FROM order_cohandlers WHERE order_id = $1")
        .bind(order_id)
        .execute(&mut *conn)
        .await?;
    for d in department_ids {
        crate::sql::query(
            "INSERT INTO order_cohandlers (order_id, department_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(order_id)
        .bind(*d)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Append one callback.
pub async fn order_callback_insert(conn: &mut Conn, c: &CallbackRow) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO order_callbacks (order_id, rating, comment, department_id, by_id, by_name, by_role, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(c.order_id)
    .bind(&c.rating)
    .bind(&c.comment)
    .bind(c.department_id)
    .bind(c.by_id)
    .bind(&c.by_name)
    .bind(&c.by_role)
    .bind(&c.at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

/// Propose an order to its chain's council; `false` if it already was.
pub async fn council_propose(conn: &mut Conn, p: &ProposalRow) -> Result<bool> {
    let n = crate::sql::query(
        "INSERT INTO council_proposals (order_id, chain_id, level, proposed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(p.order_id)
    .bind(p.chain_id)
    .bind(p.level)
    .bind(&p.proposed_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Bump the `orders` change counter and return its new value: the `figures_rev` of the rows the
/// transaction writes. Every order write calls it, so a process holding figures in memory can
/// reload just the rows written since it last looked (the counter row also orders concurrent
/// writers on PostgreSQL: a later writer waits for the earlier one's commit).
pub async fn order_generation_bump(conn: &mut Conn) -> Result<i64> {
    crate::counters::bump(conn, "orders").await
}

/// An open order the SLA scan must look at closely, with what its due time needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScanRow {
    /// The order's fields the scan reads; the others (enterprise, urgency, texts, stop and close
    /// times…) are left at their defaults.
    pub order: OrderRow,
    /// Already proposed to its chain's council.
    pub proposed: bool,
}

/// One supervision write of the batched SLA scan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SuperviseWrite {
    pub id: i64,
    pub expected_version: i64,
    pub level: i64,
    pub due_at: Option<String>,
    /// The due time stored before (the column is written only if it moved).
    pub previous_due_at: Option<String>,
}

/// Rows per multi-row statement (keeps the bound parameters under SQLite's limit).
const BATCH: usize = 500;

impl Db {
    /// How many order-writing transactions have committed (see [`order_generation_bump`]).
    pub async fn order_generation(&self) -> Result<i64> {
        self.counter("orders").await
    }

    /// Whether an order was proposed to its chain's council.
    pub async fn council_proposed(&self, order_id: i64) -> Result<bool> {
        Ok(
            crate::sql::query("SELECT 1 AS x FROM council_proposals WHERE order_id = $1")
                .bind(order_id)
                .fetch_optional(self.reader())
                .await?
                .is_some(),
        )
    }

    /// Open orders, and open orders due before `reading` (index counts).
    pub async fn order_scan_counts(&self, reading: &str) -> Result<(i64, i64)> {
        let r = crate::sql::query(&format!(
            "SELECT (SELECT COUNT(*) FROM orders o WHERE o.state IN ({OPEN_STATES})) AS open_n, \
             (SELECT COUNT(*) FROM orders o WHERE o.state IN ({OPEN_STATES}) AND o.due_at < $1) AS late_n"
        ))
        .bind(reading)
        .fetch_one(self.reader())
        .await?;
        Ok((r.try_get("open_n")?, r.try_get("late_n")?))
    }

    /// The open orders due before `reading` (the SLA clock's reading as stored text) that the
    /// scan must decide, by id: those that may need a higher level (due at or before `cuts[l]`
    /// at level `l`) — one pass over the covering index `orders_state(state, due_at,
    /// supervision_level)`, the row read only for the orders that match — and those with a
    /// pause after their due time (their overdue time is not simply "since due"); with the
    /// pauses of every open order due before `reading`, by order then id.
    ///
    /// Open orders at a council level are all proposed already — by the scan that raised them,
    /// by the manual supervision that did (`council_propose` in the same transaction), or by
    /// migration 0013 for those from before — so they are not looked for here (that was one
    /// lookup in `council_proposals` per overdue order at level ≥ 2: most of a scan with little
    /// to do).
    ///
    /// The pauses are read first, with their order's due time, and the paused-after-due orders
    /// found among them (before, a subquery joined every pause in the table to its order row:
    /// ~40,000 random row reads at a million orders, the largest part of a scan with nothing to do).
    pub async fn order_scan_candidates(
        &self,
        reading: &str,
        cuts: &[String],
    ) -> Result<(Vec<ScanRow>, Vec<PauseRow>)> {
        // The columns the scan reads (its decision and the domain's snapshot): sqlx's `Any`
        // rows cost about a microsecond a value to hand over, most of the candidates' read.
        const COLS: &str = "o.id, o.chain_id, o.state, o.resume_to, o.department_id, o.extension_json, o.extension_days, \
             o.supervision_level, o.reopen_count, o.return_count, o.rating, o.sla_limit, o.sla_start, o.due_at, o.version, \
             CASE WHEN EXISTS (SELECT 1 FROM council_proposals cp WHERE cp.order_id = o.id) THEN 1 ELSE 0 END AS proposed";
        let base = format!("o.state IN ({OPEN_STATES}) AND o.due_at < $1");
        let mut pauses = Vec::new();
        let mut paused_after_due = std::collections::BTreeSet::new();
        for r in crate::sql::query(&format!(
            "SELECT ps.id, ps.order_id, ps.from_at, ps.to_at, ps.reason, o.due_at AS order_due_at \
             FROM order_pauses ps JOIN orders o ON o.id = ps.order_id WHERE {base} ORDER BY ps.order_id, ps.id"
        ))
        .bind(reading)
        .fetch_all(self.reader())
        .await?
        {
            let p = pause(&r)?;
            let due: Option<String> = r.try_get("order_due_at")?;
            // `ps.to_at IS NULL OR ps.to_at > o.due_at`, as the SQL compared the stored text.
            if p.to_at.as_deref().is_none_or(|to| due.as_deref().is_some_and(|d| to > d)) {
                paused_after_due.insert(p.order_id);
            }
            pauses.push(p);
        }
        let levels: Vec<String> = (0..cuts.len())
            .map(|l| format!("(o.supervision_level = {l} AND o.due_at <= ${})", l + 2))
            .collect();
        let mut queries = vec![(
            format!(
                "SELECT {COLS} FROM orders o WHERE {base} AND ({})",
                levels.join(" OR ")
            ),
            true,
        )];
        let paused: Vec<i64> = paused_after_due.into_iter().collect();
        for chunk in paused.chunks(BATCH) {
            let ids: Vec<String> = chunk.iter().map(i64::to_string).collect();
            queries.push((
                format!(
                    "SELECT {COLS} FROM orders o WHERE {base} AND o.id IN ({})",
                    ids.join(", ")
                ),
                false,
            ));
        }
        let mut out: std::collections::BTreeMap<i64, ScanRow> = std::collections::BTreeMap::new();
        for (sql, with_cuts) in queries {
            let mut q = crate::sql::query(&sql).bind(reading);
            if with_cuts {
                for c in cuts {
                    q = q.bind(c);
                }
            }
            for r in q.fetch_all(self.reader()).await? {
                let row = ScanRow {
                    order: OrderRow {
                        id: r.try_get("id")?,
                        chain_id: r.try_get("chain_id")?,
                        state: r.try_get("state")?,
                        resume_to: r.try_get("resume_to")?,
                        department_id: r.try_get("department_id")?,
                        extension_json: r.try_get("extension_json")?,
                        extension_days: r.try_get("extension_days")?,
                        supervision_level: r.try_get("supervision_level")?,
                        reopen_count: r.try_get("reopen_count")?,
                        return_count: r.try_get("return_count")?,
                        rating: r.try_get("rating")?,
                        sla_limit: r.try_get("sla_limit")?,
                        sla_start: r.try_get("sla_start")?,
                        due_at: r.try_get("due_at")?,
                        version: r.try_get("version")?,
                        ..Default::default()
                    },
                    proposed: r.try_get::<i64, _>("proposed")? != 0,
                };
                out.insert(row.order.id, row);
            }
        }
        if out.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        Ok((out.into_values().collect(), pauses))
    }
}

/// A value bound to a multi-row statement.
/// The values of one multi-row statement with its placeholders, written in bind order: bare `?`
/// on SQLite, `$n` on PostgreSQL. SQLite keeps named parameters (`$n` is a name to it) in a list
/// that it searches linearly for each one when it parses the statement and again, through
/// sqlx's `sqlite3_bind_parameter_name`, for each one on every execution, so a statement of 500
/// rows × 8 `$n` cost time quadratic in its parameters: most of the SLA scan's write time.
/// Anonymous `?` are numbered in order without that list.
struct Binds {
    sqlite: bool,
    vals: Vec<Arg>,
}

impl Binds {
    fn new(conn: &Conn) -> Binds {
        Binds {
            sqlite: crate::is_sqlite(conn),
            vals: Vec::new(),
        }
    }

    fn placeholder(&self) -> String {
        if self.sqlite {
            "?".into()
        } else {
            format!("${}", self.vals.len())
        }
    }

    /// Bind an integer; returns its placeholder.
    fn int(&mut self, v: impl Into<Option<i64>>) -> String {
        self.vals.push(v.into().into());
        self.placeholder()
    }

    /// Bind a text; returns its placeholder.
    fn text(&mut self, v: Option<&str>) -> String {
        self.vals.push(v.into());
        self.placeholder()
    }

    /// `(p1, p2, …)` of one row.
    fn row(&mut self, vals: impl IntoIterator<Item = Arg>) -> String {
        let ps: Vec<String> = vals
            .into_iter()
            .map(|v| {
                self.vals.push(v);
                self.placeholder()
            })
            .collect();
        format!("({})", ps.join(", "))
    }

    fn query(self, sql: &str) -> crate::sql::Query<'_> {
        crate::sql::query(sql).bind_all(&self.vals)
    }
}

fn text(s: &str) -> Arg {
    Arg::Text(s.to_string())
}

/// Raise the supervision level of many orders at once (the SLA scan), each only if its version
/// is still the expected one; bumps each version like [`order_update`] and stamps `updated_at`,
/// and the figures revision of the rows whose due time moved (the figures do not read the
/// level). Returns the ids written (the others were changed meanwhile).
///
/// One `UPDATE … WHERE id IN (…)` per chunk with `CASE id WHEN …` for the per-row values, so
/// each row is found by primary key (an `UPDATE … FROM (VALUES …)` was planned as a scan of
/// `orders` per chunk by SQLite). `due_at` is set only for rows whose due time moved, so the
/// indexes on it are not rewritten for nothing.
pub async fn order_supervise_batch(
    conn: &mut Conn,
    writes: &[SuperviseWrite],
    updated_at: &str,
) -> Result<Vec<i64>> {
    if writes.is_empty() {
        return Ok(Vec::new());
    }
    let rev = order_generation_bump(&mut *conn).await?;
    let mut done = Vec::with_capacity(writes.len());
    let (same, moved): (Vec<&SuperviseWrite>, Vec<&SuperviseWrite>) =
        writes.iter().partition(|w| w.previous_due_at == w.due_at);
    for (group, with_due) in [(same, false), (moved, true)] {
        for chunk in group.chunks(BATCH) {
            // Placeholders in the order they appear in the statement.
            let mut b = Binds::new(conn);
            let mut lvl = String::new();
            for w in chunk {
                lvl += &format!(" WHEN {} THEN {}", b.int(w.id), b.int(w.level));
            }
            let mut due_set = String::new();
            if with_due {
                due_set += "due_at = CASE id";
                for w in chunk {
                    due_set +=
                        &format!(" WHEN {} THEN {}", b.int(w.id), b.text(w.due_at.as_deref()));
                }
                // `ELSE due_at` (never taken) gives the CASE the column's type on PostgreSQL,
                // where a CASE of parameters alone is text.
                due_set += " ELSE due_at END, ";
            }
            let upd = b.text(Some(updated_at));
            // The figures read the due time but not the level: only rows whose due time moved
            // are stamped for the figures cache (a stamp rewrites a leaf of `orders_figures_rev`).
            let fr_set = if with_due {
                format!(", figures_rev = {}", b.int(rev))
            } else {
                String::new()
            };
            let ids: Vec<String> = chunk.iter().map(|w| b.int(w.id)).collect();
            let mut ver = String::new();
            for w in chunk {
                ver += &format!(" WHEN {} THEN {}", b.int(w.id), b.int(w.expected_version));
            }
            let sql = format!(
                "UPDATE orders SET supervision_level = CASE id{lvl} END, {due_set}updated_at = {upd}, version = version + 1{fr_set} \
                 WHERE id IN ({}) AND version = CASE id{ver} END RETURNING id",
                ids.join(", ")
            );
            for r in b.query(&sql).fetch_all(&mut *conn).await? {
                done.push(r.try_get::<i64, _>(0)?);
            }
        }
    }
    Ok(done)
}

/// Append many history entries (multi-row inserts); see [`order_event_insert`].
pub async fn order_event_insert_many(conn: &mut Conn, events: &[EventRow]) -> Result<()> {
    for chunk in events.chunks(BATCH) {
        let mut b = Binds::new(conn);
        let values: Vec<String> = chunk
            .iter()
            .map(|e| {
                b.row([
                    Arg::I64(e.order_id),
                    Arg::from(e.actor_id),
                    text(&e.actor_name),
                    Arg::from(e.from_state.clone()),
                    text(&e.to_state),
                    text(&e.event),
                    text(&e.payload_json),
                    text(&e.at),
                ])
            })
            .collect();
        let sql = format!(
            "INSERT INTO order_events (order_id, actor_id, actor_name, from_state, to_state, event, payload_json, at) VALUES {}",
            values.join(", ")
        );
        b.query(&sql).execute(&mut *conn).await?;
        for e in chunk.iter().filter(|e| e.event == "accepted") {
            crate::sql::query(
                "UPDATE orders SET accepted_at = $1 WHERE id = $2 AND (accepted_at IS NULL OR accepted_at > $1)",
            )
            .bind(&e.at)
            .bind(e.order_id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Append many audit entries of order steps at once (the batched SLA scan), in the shape
/// `audit::audit_append` writes.
pub async fn order_audit_many(conn: &mut Conn, entries: &[crate::audit::AuditEntry]) -> Result<()> {
    let at = crate::now_text();
    for chunk in entries.chunks(BATCH) {
        let mut b = Binds::new(conn);
        let values: Vec<String> = chunk
            .iter()
            .map(|e| {
                b.row([
                    text(&at),
                    Arg::from(e.actor_id),
                    text(&e.actor_name),
                    text(&e.action),
                    text(&e.entity),
                    Arg::from(e.entity_id.clone()),
                    Arg::from(e.before.as_ref().map(|v| v.to_string())),
                    Arg::from(e.after.as_ref().map(|v| v.to_string())),
                    text(&e.source),
                ])
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, entity, entity_id, before_json, after_json, source) VALUES {}",
            values.join(", ")
        );
        b.query(&sql).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Propose many orders to their chains' councils; returns the ids newly proposed.
pub async fn council_propose_many(conn: &mut Conn, rows: &[ProposalRow]) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for chunk in rows.chunks(BATCH) {
        let mut b = Binds::new(conn);
        let values: Vec<String> = chunk
            .iter()
            .map(|p| {
                b.row([
                    Arg::I64(p.order_id),
                    Arg::from(p.chain_id),
                    Arg::I64(p.level),
                    text(&p.proposed_at),
                ])
            })
            .collect();
        let sql = format!(
            "INSERT INTO council_proposals (order_id, chain_id, level, proposed_at) VALUES {} ON CONFLICT (order_id) DO NOTHING RETURNING order_id",
            values.join(", ")
        );
        for r in b.query(&sql).fetch_all(&mut *conn).await? {
            out.push(r.try_get::<i64, _>(0)?);
        }
    }
    Ok(out)
}
