//! The zone and its registry (`/api/v1/zone`, `/api/v1/registry…`): everyone signed in reads,
//! administrators edit.

use super::common::{Id, JsonBody, PathParam};
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lianshi_app::AppError;
use lianshi_app::zone::RegistryInput;
use lianshi_app::zone::{RegistryRow, ZoneRow};
use lianshi_domain::zone::RegistryKind;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(zone))
        .routes(routes!(registry))
        .routes(routes!(registry_create))
        .routes(routes!(registry_update))
}

/// `{"zone": …}`.
#[derive(Serialize, ToSchema)]
struct ZoneView {
    /// Null until the zone is set up.
    zone: Option<ZoneRow>,
}

/// The zone.
#[utoipa::path(get, path = "/api/v1/zone", tag = "registry",
    responses((status = 200, description = "the zone", body = ZoneView)))]
async fn zone(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<ZoneView>> {
    let idx = s.app.registry_view(&a).await?;
    Ok(Json(ZoneView {
        zone: idx.zone.clone(),
    }))
}

/// The whole registry: the zone and the entries of each kind.
#[derive(Serialize, Default, ToSchema)]
struct RegistryView {
    zone: Option<ZoneRow>,
    ecosystem: Vec<RegistryRow>,
    chain: Vec<RegistryRow>,
    chain_node: Vec<RegistryRow>,
    department: Vec<RegistryRow>,
    institution: Vec<RegistryRow>,
    street: Vec<RegistryRow>,
    park: Vec<RegistryRow>,
    building: Vec<RegistryRow>,
    community: Vec<RegistryRow>,
}

impl RegistryView {
    fn of_kind(&mut self, k: RegistryKind) -> &mut Vec<RegistryRow> {
        match k {
            RegistryKind::Ecosystem => &mut self.ecosystem,
            RegistryKind::Chain => &mut self.chain,
            RegistryKind::ChainNode => &mut self.chain_node,
            RegistryKind::Department => &mut self.department,
            RegistryKind::Institution => &mut self.institution,
            RegistryKind::Street => &mut self.street,
            RegistryKind::Park => &mut self.park,
            RegistryKind::Building => &mut self.building,
            RegistryKind::Community => &mut self.community,
        }
    }
}

/// The whole registry by kind.
#[utoipa::path(get, path = "/api/v1/registry", tag = "registry",
    responses((status = 200, description = "the zone and every entry, by kind", body = RegistryView)))]
async fn registry(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<RegistryView>> {
    let idx = s.app.registry_view(&a).await?;
    let mut out = RegistryView {
        zone: idx.zone.clone(),
        ..RegistryView::default()
    };
    for k in RegistryKind::ALL {
        let rows: Vec<RegistryRow> = idx.of_kind(k).cloned().collect();
        *out.of_kind(k) = rows;
    }
    Ok(Json(out))
}

/// Create a registry entry (administrators).
#[utoipa::path(post, path = "/api/v1/registry/{kind}", tag = "registry",
    params(("kind" = inline(RegistryKind), Path, description = "the kind of entry")),
    request_body = RegistryInput,
    responses(
        (status = 201, description = "created", body = Id),
        (status = 400, description = "invalid fields or an unknown parent", body = ErrorBody),
        (status = 409, description = "the code is used", body = ErrorBody),
    ))]
async fn registry_create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(kind): PathParam<String>,
    JsonBody(inp): JsonBody<RegistryInput>,
) -> ApiResult<(StatusCode, Json<Id>)> {
    let kind = RegistryKind::parse(&kind).map_err(AppError::from_invalid)?;
    let id = s.app.registry_create(&a, kind, &inp).await?;
    Ok((StatusCode::CREATED, Json(Id { id })))
}

/// Edit a registry entry (administrators).
#[utoipa::path(put, path = "/api/v1/registry/items/{id}", tag = "registry",
    params(("id" = i64, Path, description = "entry id")),
    request_body = RegistryInput,
    responses(
        (status = 200, description = "updated", body = Id),
        (status = 404, description = "unknown", body = ErrorBody),
        (status = 409, description = "the code is used", body = ErrorBody),
    ))]
async fn registry_update(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(inp): JsonBody<RegistryInput>,
) -> ApiResult<Json<Id>> {
    s.app.registry_update(&a, id, &inp).await?;
    Ok(Json(Id { id }))
}
