//! The JSON API under `/api/v1` (and the Open311 GeoReport v2 endpoints under `/open311/v2`).
//! Same data as the pages, same app functions, same permissions. One module per feature,
//! mirroring `pages/`; shared decoding and list wrappers in [`common`], the OpenAPI document in
//! [`openapi`].
//!
//! Each module's `routes()` is a `utoipa_axum` router built only from `routes!(…)`, so every
//! route carries its `#[utoipa::path]` and is in the document.

pub mod audit;
pub mod auth;
pub mod common;
pub mod councils;
pub mod enterprises;
pub mod open311;
pub mod openapi;
pub mod orders;
pub mod policies;
pub mod scores;
pub mod service_figures;
pub mod subsidies;
pub mod teams;
pub mod users;
pub mod visits;
pub mod vouchers;
pub mod zone;

use crate::AppState;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use enterprises::download;

/// The `/api/v1` routes and the OpenAPI document describing exactly them.
pub fn parts() -> (Router<AppState>, serde_json::Value) {
    let (router, api) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(auth::routes())
        .merge(enterprises::routes())
        .merge(zone::routes())
        .merge(users::routes())
        .merge(audit::routes())
        .merge(teams::routes())
        .merge(visits::routes())
        .merge(orders::routes())
        .merge(councils::routes())
        .merge(service_figures::routes())
        .merge(policies::routes())
        .merge(scores::routes())
        .merge(subsidies::routes())
        .merge(vouchers::routes())
        .split_for_parts();
    (router, openapi::finish(api))
}

/// The OpenAPI document (built once).
pub fn document() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| parts().1)
}

/// Every API route, and Open311.
pub fn routes() -> Router<AppState> {
    parts().0.merge(open311::routes())
}
