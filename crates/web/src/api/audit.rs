//! The audit log (`/api/v1/audit`, administrators).

use super::common::Params;
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::ApiResult;
use axum::Json;
use axum::extract::State;
use lianshi_app::audit::{AuditQuery, AuditRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct AuditParams {
    /// Username.
    actor: Option<String>,
    /// A prefix, e.g. `enterprise.`.
    action: Option<String>,
    entity: Option<String>,
    entity_id: Option<String>,
    /// RFC 3339, inclusive.
    from: Option<String>,
    /// RFC 3339, exclusive.
    to: Option<String>,
    /// 1-based.
    page: Option<i64>,
    /// 1–500, default 50.
    per_page: Option<i64>,
}

impl AuditParams {
    fn query(&self) -> AuditQuery {
        let per = self.per_page.unwrap_or(50).clamp(1, 500);
        AuditQuery {
            actor: self.actor.clone(),
            action: self.action.clone(),
            entity: self.entity.clone(),
            entity_id: self.entity_id.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            limit: per,
            offset: lianshi_app::bounds::page_offset(self.page.unwrap_or(1), per),
        }
    }
}

/// `{"total": n, "items": [...]}`.
#[derive(Serialize, ToSchema)]
struct AuditPage {
    /// Entries matching, over all pages.
    total: i64,
    items: Vec<AuditRow>,
}

/// Search the audit log (administrators), newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(AuditParams),
    responses((status = 200, description = "one page of entries", body = AuditPage)))]
async fn audit(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(p): Params<AuditParams>,
) -> ApiResult<Json<AuditPage>> {
    let (items, total) = s.app.audit_search(&a, &p.query()).await?;
    Ok(Json(AuditPage { total, items }))
}
