//! 操作日志 (administrators): search the append-only audit log, newest first, times in UTC+8.

use super::form::trimmed;
use super::{Ctx, Date, Layout, PageLink, PageResult, Query, pager, query_string};
use crate::AppState;
use crate::auth::PageAuth;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use lianshi_app::audit::AuditQuery;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(page))
}

pub struct AuditRowView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub source: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub l: Layout,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub from: String,
    pub to: String,
    pub rows: Vec<AuditRowView>,
    pub total: i64,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// A calendar day typed in China Standard Time (`YYYY-MM-DD`) as the UTC instant it starts at,
/// in the stored text form; `next_day` gives the start of the following day (an exclusive end).
pub fn cst_day_start(day: &str, next_day: bool) -> Option<String> {
    let d = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok()?;
    let d = if next_day { d.succ_opt()? } else { d };
    let utc = d.and_hms_opt(0, 0, 0)? - chrono::Duration::hours(8);
    Some(
        utc.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

/// Pretty-print stored JSON for reading.
fn pretty(s: &Option<String>) -> Option<String> {
    let s = s.as_deref()?;
    Some(
        serde_json::from_str::<serde_json::Value>(s)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| s.to_string()),
    )
}

/// The log's filters (days in China time) and page.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Filters {
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    from: Option<Date>,
    to: Option<Date>,
    page: Option<i64>,
}

async fn page(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(m): Query<Filters>,
) -> PageResult {
    lianshi_app::audit::perm::read(&auth.actor)?;
    let v = |x: &String| x.trim().to_string();
    let per_page = 50;
    let page = m.page.unwrap_or(1).max(1);
    let from = m.from.map(|d| d.text()).unwrap_or_default();
    let to = m.to.map(|d| d.text()).unwrap_or_default();
    let q = AuditQuery {
        actor: trimmed(Some(m.actor.clone())),
        action: trimmed(Some(m.action.clone())),
        entity: trimmed(Some(m.entity.clone())),
        entity_id: trimmed(Some(m.entity_id.clone())),
        from: cst_day_start(&from, false),
        to: cst_day_start(&to, true),
        limit: per_page,
        offset: lianshi_app::bounds::page_offset(page, per_page),
    };
    let (items, total) = s.app.audit_search(&auth.actor, &q).await?;
    let rows = items
        .iter()
        .map(|r| AuditRowView {
            at: super::cst(&r.at),
            actor: r.actor_name.clone(),
            action: r.action.clone(),
            entity: r.entity.clone(),
            entity_id: r.entity_id.clone().unwrap_or_default(),
            source: r.source.clone(),
            before: pretty(&r.before),
            after: pretty(&r.after),
        })
        .collect();
    let (actor, action, entity, entity_id) =
        (v(&m.actor), v(&m.action), v(&m.entity), v(&m.entity_id));
    let pairs = [
        ("actor", actor.as_str()),
        ("action", &action),
        ("entity", &entity),
        ("entity_id", &entity_id),
        ("from", &from),
        ("to", &to),
    ];
    let (pages, prev, next) = pager(&query_string(&pairs), page, per_page, total);
    Ok(c.page(&AuditPage {
        l: c.layout(&auth, c.t.get("nav-audit"), "audit"),
        actor,
        action,
        entity,
        entity_id,
        from,
        to,
        rows,
        total,
        pages,
        prev,
        next,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_in_china_starts_at_four_pm_utc_the_day_before() {
        assert_eq!(
            cst_day_start("2026-11-27", false).as_deref(),
            Some("2026-11-26T16:00:00.000Z")
        );
        assert_eq!(
            cst_day_start("2026-11-27", true).as_deref(),
            Some("2026-11-27T16:00:00.000Z")
        );
        assert_eq!(cst_day_start("27/11", false), None);
    }
}
