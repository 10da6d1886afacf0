//! JSON API of service teams and 包联 (`/api/v1/teams…`): teams with members and figures, the
//! enterprises each serves, assignments and their history.

use super::common::{JsonBody, Listed, Params, PathParam};
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lianshi_app::team::{
    AssignInput, AssignReport, AssignmentHistoryRow, EnterpriseTeamView, TeamEnterprisePage,
    TeamInput, TeamView,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(teams, team_create))
        .routes(routes!(team, team_update))
        .routes(routes!(team_enterprises))
        .routes(routes!(team_assign))
        .routes(routes!(enterprise_team, enterprise_assign))
        .routes(routes!(enterprise_history))
}

/// Paging of a list.
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PageParams {
    /// 1-based.
    pub page: Option<i64>,
    /// 1–200, default 20.
    pub per_page: Option<i64>,
}

/// Service teams the caller may see, with members and figures.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    responses((status = 200, description = "the teams", body = Listed<TeamView>)))]
async fn teams(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<Listed<TeamView>>> {
    Ok(Json(Listed::of(s.app.team_list(&a).await?)))
}

/// One team.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams",
    params(("id" = i64, Path, description = "team id")),
    responses(
        (status = 200, description = "the team", body = TeamView),
        (status = 404, description = "unknown", body = ErrorBody),
    ))]
async fn team(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
) -> ApiResult<Json<TeamView>> {
    Ok(Json(s.app.team_get(&a, id).await?))
}

/// Create a service team (administrators).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams",
    request_body = TeamInput,
    responses(
        (status = 201, description = "created", body = TeamView),
        (status = 400, description = "invalid fields, an unknown leader or member", body = ErrorBody),
        (status = 409, description = "the name is used", body = ErrorBody),
    ))]
async fn team_create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(inp): JsonBody<TeamInput>,
) -> ApiResult<(StatusCode, Json<TeamView>)> {
    let v = s.app.team_create(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Edit a team (administrators); absent fields keep their value.
#[utoipa::path(put, path = "/api/v1/teams/{id}", tag = "teams",
    params(("id" = i64, Path, description = "team id")),
    request_body = TeamInput,
    responses(
        (status = 200, description = "the team", body = TeamView),
        (status = 400, description = "invalid fields, an unknown leader or member", body = ErrorBody),
        (status = 404, description = "unknown", body = ErrorBody),
        (status = 409, description = "edited by someone else, or the name is used", body = ErrorBody),
    ))]
async fn team_update(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(inp): JsonBody<TeamInput>,
) -> ApiResult<Json<TeamView>> {
    Ok(Json(s.app.team_update(&a, id, &inp).await?))
}

/// Enterprises the team serves (paged), with open and overdue visit tasks.
#[utoipa::path(get, path = "/api/v1/teams/{id}/enterprises", tag = "teams",
    params(("id" = i64, Path, description = "team id"), PageParams),
    responses(
        (status = 200, description = "one page", body = TeamEnterprisePage),
        (status = 404, description = "unknown team", body = ErrorBody),
    ))]
async fn team_enterprises(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    Params(p): Params<PageParams>,
) -> ApiResult<Json<TeamEnterprisePage>> {
    Ok(Json(
        s.app.team_enterprises(&a, id, p.page, p.per_page).await?,
    ))
}

/// Assign enterprises to the team (administrators): listed credit codes and/or an
/// enterprise-list filter.
#[utoipa::path(post, path = "/api/v1/teams/{id}/assignments", tag = "teams",
    params(("id" = i64, Path, description = "team id")),
    request_body = AssignInput,
    responses(
        (status = 200, description = "matched, assigned, moved, unchanged, skipped", body = AssignReport),
        (status = 400, description = "nothing matches, or an unknown filter value", body = ErrorBody),
        (status = 404, description = "unknown team", body = ErrorBody),
    ))]
async fn team_assign(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(inp): JsonBody<AssignInput>,
) -> ApiResult<Json<AssignReport>> {
    Ok(Json(s.app.team_assign(&a, id, &inp).await?))
}

/// The team and contact person serving an enterprise.
#[utoipa::path(get, path = "/api/v1/teams/enterprise/{uscc}", tag = "teams",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    responses(
        (status = 200, description = "the assignment", body = EnterpriseTeamView),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
    ))]
async fn enterprise_team(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(uscc): PathParam<String>,
) -> ApiResult<Json<EnterpriseTeamView>> {
    Ok(Json(s.app.enterprise_team(&a, &uscc).await?))
}

/// Body of `PUT /api/v1/teams/enterprise/{uscc}`: `team_id` null removes the 包联.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct EnterpriseAssignJson {
    team_id: Option<i64>,
    /// Username of a member of the team.
    contact: Option<String>,
    reason: Option<String>,
}

/// Set or remove (`team_id` null) an enterprise's team and contact (administrators).
#[utoipa::path(put, path = "/api/v1/teams/enterprise/{uscc}", tag = "teams",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    request_body = EnterpriseAssignJson,
    responses(
        (status = 200, description = "the assignment", body = EnterpriseTeamView),
        (status = 400, description = "the contact is not a member of the team", body = ErrorBody),
        (status = 404, description = "unknown enterprise or team", body = ErrorBody),
    ))]
async fn enterprise_assign(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(uscc): PathParam<String>,
    JsonBody(j): JsonBody<EnterpriseAssignJson>,
) -> ApiResult<Json<EnterpriseTeamView>> {
    Ok(Json(
        s.app
            .enterprise_assign(
                &a,
                &uscc,
                j.team_id,
                j.contact.as_deref(),
                j.reason.as_deref(),
            )
            .await?,
    ))
}

/// Changes of an enterprise's team and contact.
#[utoipa::path(get, path = "/api/v1/teams/enterprise/{uscc}/history", tag = "teams",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    responses(
        (status = 200, description = "the changes, newest first", body = Listed<AssignmentHistoryRow>),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
    ))]
async fn enterprise_history(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(uscc): PathParam<String>,
) -> ApiResult<Json<Listed<AssignmentHistoryRow>>> {
    Ok(Json(Listed::of(s.app.assignment_history(&a, &uscc).await?)))
}
