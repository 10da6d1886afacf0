//! Bearer tokens (`/api/v1/auth/token`), the caller (`/api/v1/me`) and the OpenAPI document
//! itself (`/api/v1/openapi.json`).

use super::common::JsonBody;
use crate::AppState;
use crate::auth::{ApiAuth, bearer, client};
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use lianshi_app::{Actor, AppError};
use lianshi_domain::role::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi_json))
        .routes(routes!(token, token_revoke))
        .routes(routes!(me))
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "the OpenAPI 3.1 document of /api/v1", body = Object)))]
async fn openapi_json() -> Json<&'static serde_json::Value> {
    Json(super::document())
}

/// Username and password.
#[derive(Deserialize, ToSchema)]
struct Credentials {
    username: String,
    password: String,
}

/// A bearer token for `Authorization: Bearer <token>`.
#[derive(Serialize, ToSchema)]
struct TokenView {
    token: String,
    /// Always `Bearer`.
    token_type: &'static str,
    /// Seconds until the token expires.
    expires_in: i64,
    role: Role,
}

/// Exchange username and password for a bearer token.
///
/// Failed attempts back off per account and client: inside a delay the answer is 429 with
/// `Retry-After`, and the password is not checked.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", security(()),
    request_body = Credentials,
    responses(
        (status = 200, description = "the token", body = TokenView),
        (status = 400, description = "wrong username or password (`login_failed`), or a malformed body", body = ErrorBody),
        (status = 429, description = "too many failed attempts; wait `Retry-After` seconds (`throttled`)", body = ErrorBody,
            headers(("retry-after" = i64, description = "seconds to wait"))),
    ))]
async fn token(
    State(s): State<AppState>,
    parts: Parts,
    JsonBody(c): JsonBody<Credentials>,
) -> ApiResult<Json<TokenView>> {
    let login = s
        .app
        .login(&c.username, &c.password, &client(&parts, &s.web), "api")
        .await?;
    Ok(Json(TokenView {
        token: login.token,
        token_type: "Bearer",
        expires_in: lianshi_app::auth::TOKEN_HOURS * 3600,
        role: login.actor.role,
    }))
}

/// Revoke the bearer token of this request (sign out an API client).
///
/// A session cookie is not accepted here: browsers sign out with `POST /logout`.
#[utoipa::path(delete, path = "/api/v1/auth/token", tag = "auth",
    responses(
        (status = 204, description = "revoked; the token no longer works"),
        (status = 401, description = "no, an unknown, an expired or an already revoked token", body = ErrorBody),
    ))]
async fn token_revoke(State(s): State<AppState>, parts: Parts) -> ApiResult<StatusCode> {
    let t = bearer(&parts).ok_or(AppError::Unauthenticated)?;
    s.app.token_revoke(&t).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller: identity, role and scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, description = "the caller", body = Actor)))]
async fn me(ApiAuth(a): ApiAuth) -> Json<Actor> {
    Json(a)
}
