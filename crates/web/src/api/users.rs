//! Users (`/api/v1/users`, administrators).

use super::common::{Id, JsonBody, Listed};
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lianshi_app::user::{UserInput, UserRow};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(users, user_create))
}

/// Users (administrators).
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, description = "every user", body = Listed<UserRow>)))]
async fn users(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Listed<UserRow>>> {
    Ok(Json(Listed::of(s.app.user_list(&a).await?)))
}

/// Create a user (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "users",
    request_body = UserInput,
    responses(
        (status = 201, description = "created", body = Id),
        (status = 400, description = "invalid username, role, password or enterprise", body = ErrorBody),
        (status = 409, description = "the username exists", body = ErrorBody),
    ))]
async fn user_create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(inp): JsonBody<UserInput>,
) -> ApiResult<(StatusCode, Json<Id>)> {
    let id = s.app.user_create(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(Id { id })))
}
