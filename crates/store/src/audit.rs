//! The append-only audit log. Rows are only ever inserted; database triggers on both backends
//! refuse UPDATE and DELETE, so not even a bug in this crate can rewrite history.

use crate::sql::Conn;
use crate::{Db, Result, now_text};

/// What to record for one write.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct AuditEntry {
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// e.g. `enterprise.create`, `enterprise.import`, `user.create`.
    pub action: String,
    /// e.g. `enterprise`, `registry`, `user`.
    pub entity: String,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// `web`, `api`, `cli`, `import`, `demo`.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub source: String,
}

/// Search criteria for the audit log; all optional, ANDed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn audit_append(conn: &mut Conn, e: &AuditEntry) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, entity, entity_id, before_json, after_json, source) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(now_text())
    .bind(e.actor_id)
    .bind(&e.actor_name)
    .bind(&e.action)
    .bind(&e.entity)
    .bind(e.entity_id.as_deref())
    .bind(e.before.as_ref().map(|v| v.to_string()))
    .bind(e.after.as_ref().map(|v| v.to_string()))
    .bind(&e.source)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

impl Db {
    /// Newest first.
    pub async fn audit_search(&self, q: &AuditQuery) -> Result<(Vec<AuditRow>, i64)> {
        let mut clauses = Vec::new();
        let mut args: Vec<String> = Vec::new();
        let mut add = |clause: &str, v: &Option<String>| {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                args.push(v.to_string());
                clauses.push(clause.replace('?', &format!("${}", args.len())));
            }
        };
        add("actor_name = ?", &q.actor);
        add("action LIKE ?", &q.action.as_ref().map(|a| format!("{a}%")));
        add("entity = ?", &q.entity);
        add("entity_id = ?", &q.entity_id);
        add("at >= ?", &q.from);
        add("at < ?", &q.to);
        let w = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT id, at, actor_id, actor_name, action, entity, entity_id, before_json, after_json, source FROM audit_log{w} ORDER BY id DESC LIMIT {} OFFSET {}",
            q.limit.clamp(1, 1000),
            q.offset.max(0)
        );
        let mut query = crate::sql::query(&sql);
        for a in &args {
            query = query.bind(a.as_str());
        }
        let rows = query.fetch_all(self.reader()).await?;
        let count_sql = format!("SELECT COUNT(*) AS n FROM audit_log{w}");
        let mut cq = crate::sql::query(&count_sql);
        for a in &args {
            cq = cq.bind(a.as_str());
        }
        let total: i64 = cq.fetch_one(self.reader()).await?.try_get("n")?;
        let out = rows
            .iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor_id: r.try_get("actor_id")?,
                    actor_name: r.try_get("actor_name")?,
                    action: r.try_get("action")?,
                    entity: r.try_get("entity")?,
                    entity_id: r.try_get("entity_id")?,
                    before: r.try_get("before_json")?,
                    after: r.try_get("after_json")?,
                    source: r.try_get("source")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((out, total))
    }
}
