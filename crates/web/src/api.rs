//! The JSON API under `/api/v1` (and the Open311 GeoReport v2 endpoints under `/open311/v2`).
//! Same data as the pages, same app functions, same permissions. One module per feature,
//! mirroring `pages/`.

pub mod councils;
pub mod enterprises;
pub mod open311;
pub mod openapi;
pub mod orders;
pub mod policies;
pub mod scores;
pub mod service;
pub mod subsidies;
pub mod vouchers;

use crate::AppState;
use axum::Router;

pub use enterprises::download;

/// Every API route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(enterprises::routes())
        .merge(service::routes())
        .merge(orders::routes())
        .merge(councils::routes())
        .merge(scores::routes())
        .merge(subsidies::routes())
        .merge(vouchers::routes())
        .merge(policies::routes())
        .merge(open311::routes())
}
