//! Chain councils (链上议事会): meetings per chain with a rotating host, attendees, the agenda
//! (drafted from escalated and recurring orders, then edited by people), decisions (决议) as
//! action items with progress, and the links from agenda items and actions back to orders.
//!
//! Invariants kept here: a meeting is unique per (chain, year, seq); a meeting and an action row
//! change only through their `*_update` functions, which check the optimistic-lock `version`;
//! progress updates of an action are only appended (`council_action_updates`). Agenda items may
//! be deleted (the agenda is a draft until the meeting); actions never are.

use crate::order::OPEN_STATES;
use crate::sql::{Conn, Row};
use crate::{Db, Result, StoreError};

/// One council meeting as stored.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct CouncilRow {
    pub id: i64,
    pub chain_id: i64,
    pub year: i64,
    /// Meeting of the year, 1-based (quarter for the default schedule).
    pub seq: i64,
    /// Meeting number of the chain over all years, 1-based; chooses the rotating host.
    pub number: i64,
    pub title: String,
    pub scheduled_on: String,
    pub host_id: Option<i64>,
    pub location: String,
    /// `scheduled`, `held` or `cancelled`.
    pub status: String,
    pub minutes: String,
    pub held_on: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

/// The editable part of a meeting.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct CouncilWrite {
    pub title: String,
    pub scheduled_on: String,
    pub host_id: Option<i64>,
    pub location: String,
    pub status: String,
    pub minutes: String,
    pub held_on: Option<String>,
    pub updated_at: String,
}

/// One agenda item with the orders it is about.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct AgendaItemRow {
    pub id: i64,
    pub council_id: i64,
    pub sort: i64,
    /// `escalated` (an order proposed by the SLA scan), `recurring` (a pain point several
    /// enterprises share) or `manual`.
    pub source: String,
    pub title: String,
    pub node_id: Option<i64>,
    pub category: Option<String>,
    pub enterprises: i64,
    pub created_at: String,
    pub order_ids: Vec<i64>,
}

/// A decision (决议) and the action it asks of a department.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct ActionRow {
    pub id: i64,
    pub council_id: i64,
    pub chain_id: i64,
    pub item_id: Option<i64>,
    pub decision: String,
    pub department_id: Option<i64>,
    pub due_on: String,
    /// 0–100.
    pub progress: i64,
    /// `open` or `done`.
    pub status: String,
    pub closed_on: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
    /// (order id, relation): `answers` for orders the decision answers, `follow_on` for orders
    /// the council created.
    pub orders: Vec<(i64, String)>,
}

/// One progress report on an action.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActionUpdateRow {
    pub id: i64,
    pub action_id: i64,
    pub progress: i64,
    pub note: String,
    pub actor_name: String,
    pub at: String,
}

/// Orders sharing a chain node and category in a window: a recurring pain point.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct RecurringRow {
    pub node_id: i64,
    pub category: String,
    pub orders: i64,
    pub enterprises: i64,
    pub order_ids: Vec<i64>,
}

/// An escalated order not yet on any agenda.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct EscalatedRow {
    pub order_id: i64,
    pub title: String,
    pub enterprise_name: String,
    pub node_id: Option<i64>,
    pub category: String,
    pub level: i64,
}

const COUNCIL_COLS: &str = "id, chain_id, year, seq, number, title, scheduled_on, host_id, location, status, minutes, held_on, created_at, updated_at, version";
const ACTION_COLS: &str = "id, council_id, chain_id, item_id, decision, department_id, due_on, progress, status, closed_on, created_at, updated_at, version";

fn council(r: &Row) -> Result<CouncilRow> {
    Ok(CouncilRow {
        id: r.try_get("id")?,
        chain_id: r.try_get("chain_id")?,
        year: r.try_get("year")?,
        seq: r.try_get("seq")?,
        number: r.try_get("number")?,
        title: r.try_get("title")?,
        scheduled_on: r.try_get("scheduled_on")?,
        host_id: r.try_get("host_id")?,
        location: r.try_get("location")?,
        status: r.try_get("status")?,
        minutes: r.try_get("minutes")?,
        held_on: r.try_get("held_on")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

fn action(r: &Row) -> Result<ActionRow> {
    Ok(ActionRow {
        id: r.try_get("id")?,
        council_id: r.try_get("council_id")?,
        chain_id: r.try_get("chain_id")?,
        item_id: r.try_get("item_id")?,
        decision: r.try_get("decision")?,
        department_id: r.try_get("department_id")?,
        due_on: r.try_get("due_on")?,
        progress: r.try_get("progress")?,
        status: r.try_get("status")?,
        closed_on: r.try_get("closed_on")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
        orders: Vec::new(),
    })
}

fn id_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        "-1".into()
    } else {
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    }
}

/// Which actions a list shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ActionFilter {
    pub council_id: Option<i64>,
    pub chain_id: Option<i64>,
    pub department_id: Option<i64>,
    /// `open`, `done`, or `overdue` (open and due before `today`).
    pub status: Option<String>,
    pub today: String,
    /// Closed in `[closed_from, closed_to]` (dates), for the figures' drill-down.
    pub closed_from: Option<String>,
    pub closed_to: Option<String>,
}

impl Db {
    /// Meetings of one chain (or all) in one year (or all), by date.
    pub async fn council_list(
        &self,
        chain_id: Option<i64>,
        year: Option<i64>,
    ) -> Result<Vec<CouncilRow>> {
        let mut w = Vec::new();
        if let Some(c) = chain_id {
            w.push(format!("chain_id = {c}"));
        }
        if let Some(y) = year {
            w.push(format!("year = {y}"));
        }
        let w = if w.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", w.join(" AND "))
        };
        let rows = crate::sql::query(&format!(
            "SELECT {COUNCIL_COLS} FROM councils{w} ORDER BY scheduled_on, chain_id, id"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(council).collect()
    }

    pub async fn council_get(&self, id: i64) -> Result<Option<CouncilRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {COUNCIL_COLS} FROM councils WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(council).transpose()
    }

    /// (kind, registry or enterprise id) of a meeting's attendees.
    pub async fn council_attendees(&self, id: i64) -> Result<Vec<(String, i64)>> {
        let rows = crate::sql::query(
            "SELECT kind, ref_id FROM council_attendees WHERE council_id = $1 ORDER BY kind, ref_id",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("kind")?, r.try_get("ref_id")?)))
            .collect()
    }

    /// The agenda in order, with each item's orders.
    pub async fn council_agenda(&self, id: i64) -> Result<Vec<AgendaItemRow>> {
        let rows = crate::sql::query(
            "SELECT id, council_id, sort, source, title, node_id, category, enterprises, created_at \
             FROM council_agenda_items WHERE council_id = $1 ORDER BY sort, id",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(AgendaItemRow {
                id: r.try_get("id")?,
                council_id: r.try_get("council_id")?,
                sort: r.try_get("sort")?,
                source: r.try_get("source")?,
                title: r.try_get("title")?,
                node_id: r.try_get("node_id")?,
                category: r.try_get("category")?,
                enterprises: r.try_get("enterprises")?,
                created_at: r.try_get("created_at")?,
                order_ids: Vec::new(),
            });
        }
        let links = crate::sql::query(
            "SELECT a.item_id, a.order_id FROM council_agenda_orders a JOIN council_agenda_items i ON i.id = a.item_id \
             WHERE i.council_id = $1 ORDER BY a.order_id",
        )
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        for l in &links {
            let item: i64 = l.try_get("item_id")?;
            let order: i64 = l.try_get("order_id")?;
            if let Some(i) = out.iter_mut().find(|i| i.id == item) {
                i.order_ids.push(order);
            }
        }
        Ok(out)
    }

    /// Actions matching `f`, by due date, with their order links.
    pub async fn council_actions(&self, f: &ActionFilter) -> Result<Vec<ActionRow>> {
        let mut w = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(c) = f.council_id {
            w.push(format!("council_id = {c}"));
        }
        if let Some(c) = f.chain_id {
            w.push(format!("chain_id = {c}"));
        }
        if let Some(d) = f.department_id {
            w.push(format!("department_id = {d}"));
        }
        match f.status.as_deref() {
            Some("open") => w.push("status = 'open'".into()),
            Some("done") => w.push("status = 'done'".into()),
            Some("overdue") => {
                args.push(f.today.clone());
                w.push(format!("status = 'open' AND due_on < ${}", args.len()));
            }
            _ => {}
        }
        if let Some(d) = &f.closed_from {
            args.push(d.clone());
            w.push(format!("status = 'done' AND closed_on >= ${}", args.len()));
        }
        if let Some(d) = &f.closed_to {
            args.push(d.clone());
            w.push(format!("status = 'done' AND closed_on <= ${}", args.len()));
        }
        let w = if w.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", w.join(" AND "))
        };
        let sql = format!("SELECT {ACTION_COLS} FROM council_actions{w} ORDER BY due_on, id");
        let mut q = crate::sql::query(&sql);
        for a in &args {
            q = q.bind(a.as_str());
        }
        let rows = q.fetch_all(self.reader()).await?;
        let mut out: Vec<ActionRow> = rows.iter().map(action).collect::<Result<_>>()?;
        self.fill_action_orders(&mut out).await?;
        Ok(out)
    }

    async fn fill_action_orders(&self, out: &mut [ActionRow]) -> Result<()> {
        if out.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = out.iter().map(|a| a.id).collect();
        let links = crate::sql::query(&format!(
            "SELECT action_id, order_id, relation FROM council_action_orders WHERE action_id IN ({}) ORDER BY order_id",
            id_list(&ids)
        ))
        .fetch_all(self.reader())
        .await?;
        for l in &links {
            let a: i64 = l.try_get("action_id")?;
            if let Some(x) = out.iter_mut().find(|x| x.id == a) {
                x.orders
                    .push((l.try_get("order_id")?, l.try_get("relation")?));
            }
        }
        Ok(())
    }

    pub async fn council_action_get(&self, id: i64) -> Result<Option<ActionRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {ACTION_COLS} FROM council_actions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        let Some(r) = r else { return Ok(None) };
        let mut v = vec![action(&r)?];
        self.fill_action_orders(&mut v).await?;
        Ok(v.pop())
    }

    /// Progress reports of an action, oldest first.
    pub async fn council_action_updates(&self, action_id: i64) -> Result<Vec<ActionUpdateRow>> {
        let rows = crate::sql::query(
            "SELECT id, action_id, progress, note, actor_name, at FROM council_action_updates WHERE action_id = $1 ORDER BY id",
        )
        .bind(action_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ActionUpdateRow {
                    id: r.try_get("id")?,
                    action_id: r.try_get("action_id")?,
                    progress: r.try_get("progress")?,
                    note: r.try_get("note")?,
                    actor_name: r.try_get("actor_name")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Actions that answer or follow on from an order (for the order's council links).
    pub async fn council_actions_of_order(&self, order_id: i64) -> Result<Vec<i64>> {
        let rows = crate::sql::query(
            "SELECT action_id FROM council_action_orders WHERE order_id = $1 ORDER BY action_id",
        )
        .bind(order_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("action_id")?))
            .collect()
    }

    /// Orders of `chain_id` proposed to its council (by the SLA scan) before `until` that are
    /// still open and on no agenda yet, highest escalation first.
    pub async fn council_escalated(&self, chain_id: i64, until: &str) -> Result<Vec<EscalatedRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT o.id, o.title, e.name AS enterprise_name, o.node_id, o.category, p.level \
             FROM council_proposals p JOIN orders o ON o.id = p.order_id JOIN enterprises e ON e.id = o.enterprise_id \
             WHERE p.chain_id = $1 AND p.proposed_at < $2 AND o.state IN ({OPEN_STATES}) \
             AND NOT EXISTS (SELECT 1 FROM council_agenda_orders a WHERE a.order_id = o.id) \
             ORDER BY p.level DESC, p.proposed_at, o.id"
        ))
        .bind(chain_id)
        .bind(until)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EscalatedRow {
                    order_id: r.try_get("id")?,
                    title: r.try_get("title")?,
                    enterprise_name: r.try_get("enterprise_name")?,
                    node_id: r.try_get("node_id")?,
                    category: r.try_get("category")?,
                    level: r.try_get("level")?,
                })
            })
            .collect()
    }

    /// Recurring pain points of a chain: (node, category) pairs with at least `threshold`
    /// orders that were registered in `[since, until)` or are still open, leaving aside withdrawn
    /// orders and orders a council decision already answers. Largest first.
    pub async fn council_recurring(
        &self,
        chain_id: i64,
        since: &str,
        until: &str,
        threshold: i64,
    ) -> Result<Vec<RecurringRow>> {
        let cond = format!(
            "o.chain_id = $1 AND o.node_id IS NOT NULL AND o.created_at < $3 AND o.state <> 'withdrawn' \
             AND (o.created_at >= $2 OR o.state IN ({OPEN_STATES})) \
             AND NOT EXISTS (SELECT 1 FROM council_action_orders x WHERE x.order_id = o.id)"
        );
        let rows = crate::sql::query(&format!(
            "SELECT o.node_id, o.category, COUNT(*) AS n, COUNT(DISTINCT o.enterprise_id) AS ents FROM orders o \
             WHERE {cond} GROUP BY o.node_id, o.category HAVING COUNT(*) >= $4 ORDER BY n DESC, ents DESC, o.node_id, o.category"
        ))
        .bind(chain_id)
        .bind(since)
        .bind(until)
        .bind(threshold)
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let node_id: i64 = r.try_get("node_id")?;
            let category: String = r.try_get("category")?;
            let ids = crate::sql::query(&format!(
                "SELECT o.id FROM orders o WHERE {cond} AND o.node_id = $4 AND o.category = $5 ORDER BY o.id"
            ))
            .bind(chain_id)
            .bind(since)
            .bind(until)
            .bind(node_id)
            .bind(&category)
            .fetch_all(self.reader())
            .await?;
            out.push(RecurringRow {
                node_id,
                category,
                orders: r.try_get("n")?,
                enterprises: r.try_get("ents")?,
                order_ids: ids
                    .iter()
                    .map(|x| Ok(x.try_get::<i64, _>("id")?))
                    .collect::<Result<_>>()?,
            });
        }
        Ok(out)
    }
}

/// The highest meeting number of a chain so far (0 when none).
pub async fn council_last_number(conn: &mut Conn, chain_id: i64) -> Result<i64> {
    let r =
        crate::sql::query("SELECT COALESCE(MAX(number), 0) AS n FROM councils WHERE chain_id = $1")
            .bind(chain_id)
            .fetch_one(&mut *conn)
            .await?;
    Ok(r.try_get("n")?)
}

/// Insert a meeting; a second meeting with the same (chain, year, seq) is a conflict.
pub async fn council_insert(conn: &mut Conn, c: &CouncilRow) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO councils (chain_id, year, seq, number, title, scheduled_on, host_id, location, status, minutes, held_on, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(c.chain_id)
    .bind(c.year)
    .bind(c.seq)
    .bind(c.number)
    .bind(&c.title)
    .bind(&c.scheduled_on)
    .bind(c.host_id)
    .bind(&c.location)
    .bind(&c.status)
    .bind(&c.minutes)
    .bind(c.held_on.as_deref())
    .bind(&c.created_at)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| StoreError::from_write(e, "council meeting exists"))?;
    Ok(r.try_get("id")?)
}

/// Change a meeting if it is still at `version`; zero rows → conflict.
pub async fn council_update(
    conn: &mut Conn,
    id: i64,
    version: i64,
    w: &CouncilWrite,
) -> Result<()> {
    let n = crate::sql::query(
        "UPDATE councils SET title = $1, scheduled_on = $2, host_id = $3, location = $4, status = $5, minutes = $6, held_on = $7, updated_at = $8, version = version + 1 \
         WHERE id = $9 AND version = $10",
    )
    .bind(&w.title)
    .bind(&w.scheduled_on)
    .bind(w.host_id)
    .bind(&w.location)
    .bind(&w.status)
    .bind(&w.minutes)
    .bind(w.held_on.as_deref())
    .bind(&w.updated_at)
    .bind(id)
    .bind(version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "council {id} was changed by someone else"
        )));
    }
    Ok(())
}

/// Replace a meeting's attendees.
pub async fn council_attendees_set(
    conn: &mut Conn,
    id: i64,
    attendees: &[(String, i64)],
) -> Result<()> {
    crate::sql::query("DELETE FROM council_attendees WHERE council_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (kind, ref_id) in attendees {
        crate::sql::query(
            "INSERT INTO council_attendees (council_id, kind, ref_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(kind)
        .bind(*ref_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Insert an agenda item with its orders.
pub async fn agenda_item_insert(conn: &mut Conn, i: &AgendaItemRow) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO council_agenda_items (council_id, sort, source, title, node_id, category, enterprises, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(i.council_id)
    .bind(i.sort)
    .bind(&i.source)
    .bind(&i.title)
    .bind(i.node_id)
    .bind(i.category.as_deref())
    .bind(i.enterprises)
    .bind(&i.created_at)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = r.try_get("id")?;
    for o in &i.order_ids {
        crate::sql::query(
            "INSERT INTO council_agenda_orders (item_id, order_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(*o)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// Remove agenda items of a meeting: the one `item_id`, or (None) every drafted item (people's
/// own items stay). Items an action refers to are kept. Returns how many went.
pub async fn agenda_items_delete(
    conn: &mut Conn,
    council_id: i64,
    item_id: Option<i64>,
) -> Result<u64> {
    let which = match item_id {
        Some(i) => format!("id = {i}"),
        None => "source <> 'manual'".into(),
    };
    let keep =
        "NOT EXISTS (SELECT 1 FROM council_actions a WHERE a.item_id = council_agenda_items.id)";
    crate::sql::query(&format!(
        "DELETE FROM council_agenda_orders WHERE item_id IN (SELECT id FROM council_agenda_items WHERE council_id = $1 AND {which} AND {keep})"
    ))
    .bind(council_id)
    .execute(&mut *conn)
    .await?;
    Ok(crate::sql::query(&format!(
        "DELETE FROM council_agenda_items WHERE council_id = $1 AND {which} AND {keep}"
    ))
    .bind(council_id)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Set the agenda's order: `ids` first in the given order, any others after them.
pub async fn agenda_reorder(conn: &mut Conn, council_id: i64, ids: &[i64]) -> Result<()> {
    for (i, id) in ids.iter().enumerate() {
        crate::sql::query(
            "UPDATE council_agenda_items SET sort = $1 WHERE id = $2 AND council_id = $3",
        )
        .bind(i as i64 + 1)
        .bind(*id)
        .bind(council_id)
        .execute(&mut *conn)
        .await?;
    }
    crate::sql::query(&format!(
        "UPDATE council_agenda_items SET sort = sort + 10000 WHERE council_id = $1 AND id NOT IN ({})",
        id_list(ids)
    ))
    .bind(council_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Insert an action with the orders it answers.
pub async fn action_insert(conn: &mut Conn, a: &ActionRow) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO council_actions (council_id, chain_id, item_id, decision, department_id, due_on, progress, status, closed_on, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(a.council_id)
    .bind(a.chain_id)
    .bind(a.item_id)
    .bind(&a.decision)
    .bind(a.department_id)
    .bind(&a.due_on)
    .bind(a.progress)
    .bind(&a.status)
    .bind(a.closed_on.as_deref())
    .bind(&a.created_at)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = r.try_get("id")?;
    for (o, rel) in &a.orders {
        action_link_order(conn, id, *o, rel).await?;
    }
    Ok(id)
}

/// Link an order to an action (`answers` or `follow_on`).
pub async fn action_link_order(
    conn: &mut Conn,
    action_id: i64,
    order_id: i64,
    relation: &str,
) -> Result<()> {
    crate::sql::query(
        "INSERT INTO council_action_orders (action_id, order_id, relation) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(action_id)
    .bind(order_id)
    .bind(relation)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Record progress on an action if it is still at `version`, and append the report.
#[allow(clippy::too_many_arguments)]
pub async fn action_progress(
    conn: &mut Conn,
    id: i64,
    version: i64,
    progress: i64,
    status: &str,
    closed_on: Option<&str>,
    note: &str,
    actor_name: &str,
    at: &str,
) -> Result<()> {
    let n = crate::sql::query(
        "UPDATE council_actions SET progress = $1, status = $2, closed_on = $3, updated_at = $4, version = version + 1 WHERE id = $5 AND version = $6",
    )
    .bind(progress)
    .bind(status)
    .bind(closed_on)
    .bind(at)
    .bind(id)
    .bind(version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "action {id} was changed by someone else"
        )));
    }
    crate::sql::query(
        "INSERT INTO council_action_updates (action_id, progress, note, actor_name, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(progress)
    .bind(note)
    .bind(actor_name)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
