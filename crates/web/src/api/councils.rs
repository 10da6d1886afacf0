//! JSON API of chain councils (`/api/v1/councils…`) and their follow-up actions
//! (`/api/v1/council-actions…`). Thin handlers over one app function each.

use super::common::{JsonBody, Listed, OptionalJson, Params, PathParam};
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use lianshi_app::App;
use lianshi_app::council::{
    ActionQuery, ActionView, AgendaItemInput, AgendaRules, CouncilInput, CouncilSummary,
    CouncilView, DecisionInput, ProgressInput,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(councils))
        .routes(routes!(schedule))
        .routes(routes!(council, council_update))
        .routes(routes!(agenda_add))
        .routes(routes!(agenda_draft))
        .routes(routes!(agenda_reorder))
        .routes(routes!(agenda_remove))
        .routes(routes!(decide))
        .routes(routes!(actions))
        .routes(routes!(action))
        .routes(routes!(progress))
        .routes(routes!(link_order))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct ListParams {
    /// Chain code or name.
    chain: Option<String>,
    year: Option<i64>,
}

/// Chain councils (链长制 meetings) in scope.
#[utoipa::path(get, path = "/api/v1/councils", tag = "councils",
    params(ListParams),
    responses(
        (status = 200, description = "the councils", body = Listed<CouncilSummary>),
        (status = 400, description = "an unknown chain", body = ErrorBody),
    ))]
async fn councils(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(p): Params<ListParams>,
) -> ApiResult<Json<Listed<CouncilSummary>>> {
    let items = s
        .app
        .council_list(&a, p.chain.as_deref(), p.year, false)
        .await?;
    Ok(Json(Listed::of(items)))
}

/// A chain and a year to schedule.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct ScheduleBody {
    /// Chain code or name.
    chain: String,
    year: i32,
}

/// Schedule a chain's councils of a year (one per quarter); existing ones are kept.
#[utoipa::path(post, path = "/api/v1/councils/schedule", tag = "councils",
    request_body = ScheduleBody,
    responses(
        (status = 201, description = "the councils of the year", body = Listed<CouncilSummary>),
        (status = 400, description = "an unknown chain or a year out of range", body = ErrorBody),
    ))]
async fn schedule(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(b): JsonBody<ScheduleBody>,
) -> ApiResult<(StatusCode, Json<Listed<CouncilSummary>>)> {
    let items = s.app.council_schedule(&a, &b.chain, b.year).await?;
    Ok((StatusCode::CREATED, Json(Listed::of(items))))
}

/// One council with its agenda, decisions and actions.
#[utoipa::path(get, path = "/api/v1/councils/{id}", tag = "councils",
    params(("id" = i64, Path, description = "council id")),
    responses(
        (status = 200, description = "the council", body = CouncilView),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
    ))]
async fn council(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
) -> ApiResult<Json<CouncilView>> {
    Ok(Json(s.app.council_get(&a, id, false).await?))
}

/// Edit a council (date, place, state, minutes).
#[utoipa::path(put, path = "/api/v1/councils/{id}", tag = "councils",
    params(("id" = i64, Path, description = "council id")),
    request_body = CouncilInput,
    responses(
        (status = 200, description = "the council", body = CouncilView),
        (status = 400, description = "invalid fields or an illegal state change", body = ErrorBody),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
        (status = 409, description = "edited by someone else", body = ErrorBody),
    ))]
async fn council_update(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(inp): JsonBody<CouncilInput>,
) -> ApiResult<Json<CouncilView>> {
    Ok(Json(s.app.council_update(&a, id, &inp).await?))
}

/// Draft the agenda from recurring pain points (the body, optional, tunes how they are found).
#[utoipa::path(post, path = "/api/v1/councils/{id}/agenda/draft", tag = "councils",
    params(("id" = i64, Path, description = "council id")),
    request_body(content = Option<AgendaRules>, description = "optional"),
    responses(
        (status = 200, description = "the council with the drafted agenda", body = CouncilView),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
        (status = 409, description = "the council is no longer planned", body = ErrorBody),
    ))]
async fn agenda_draft(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    OptionalJson(rules): OptionalJson<AgendaRules>,
) -> ApiResult<Json<CouncilView>> {
    Ok(Json(
        s.app
            .council_agenda_draft(&a, id, rules, Utc::now())
            .await?,
    ))
}

/// Add an agenda item.
#[utoipa::path(post, path = "/api/v1/councils/{id}/agenda", tag = "councils",
    params(("id" = i64, Path, description = "council id")),
    request_body = AgendaItemInput,
    responses(
        (status = 201, description = "the council", body = CouncilView),
        (status = 400, description = "invalid fields or an unknown order", body = ErrorBody),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
        (status = 409, description = "the council is no longer planned", body = ErrorBody),
    ))]
async fn agenda_add(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(inp): JsonBody<AgendaItemInput>,
) -> ApiResult<(StatusCode, Json<CouncilView>)> {
    let v = s.app.council_agenda_add(&a, id, &inp).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Remove an agenda item.
#[utoipa::path(delete, path = "/api/v1/councils/{id}/agenda/{item}", tag = "councils",
    params(("id" = i64, Path, description = "council id"), ("item" = i64, Path, description = "agenda item id")),
    responses(
        (status = 200, description = "the council", body = CouncilView),
        (status = 404, description = "unknown council or item", body = ErrorBody),
        (status = 409, description = "the council is no longer planned", body = ErrorBody),
    ))]
async fn agenda_remove(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam((id, item)): PathParam<(i64, i64)>,
) -> ApiResult<Json<CouncilView>> {
    Ok(Json(s.app.council_agenda_remove(&a, id, item).await?))
}

/// The agenda item ids in their new order.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct OrderBody {
    ids: Vec<i64>,
}

/// Reorder the agenda.
#[utoipa::path(put, path = "/api/v1/councils/{id}/agenda/order", tag = "councils",
    params(("id" = i64, Path, description = "council id")),
    request_body = OrderBody,
    responses(
        (status = 200, description = "the council", body = CouncilView),
        (status = 400, description = "the ids are not exactly the agenda's", body = ErrorBody),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
        (status = 409, description = "the council is no longer planned", body = ErrorBody),
    ))]
async fn agenda_reorder(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(b): JsonBody<OrderBody>,
) -> ApiResult<Json<CouncilView>> {
    Ok(Json(s.app.council_agenda_reorder(&a, id, &b.ids).await?))
}

/// Record a decision; its actions get owners and due dates.
#[utoipa::path(post, path = "/api/v1/councils/{id}/decisions", tag = "councils",
    params(("id" = i64, Path, description = "council id")),
    request_body = DecisionInput,
    responses(
        (status = 201, description = "the decision's action", body = ActionView),
        (status = 400, description = "invalid fields or an unknown department", body = ErrorBody),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
        (status = 409, description = "the council is not held", body = ErrorBody),
    ))]
async fn decide(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(inp): JsonBody<DecisionInput>,
) -> ApiResult<(StatusCode, Json<ActionView>)> {
    let v = s.app.council_decide(&a, id, &inp, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Council actions in scope (filtered).
#[utoipa::path(get, path = "/api/v1/council-actions", tag = "councils",
    params(ActionQuery),
    responses(
        (status = 200, description = "the actions", body = Listed<ActionView>),
        (status = 400, description = "an unknown filter value", body = ErrorBody),
    ))]
async fn actions(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<ActionQuery>,
) -> ApiResult<Json<Listed<ActionView>>> {
    Ok(Json(Listed::of(
        s.app.council_actions(&a, &q, false).await?,
    )))
}

/// One council action with its progress and linked orders.
#[utoipa::path(get, path = "/api/v1/council-actions/{id}", tag = "councils",
    params(("id" = i64, Path, description = "action id")),
    responses(
        (status = 200, description = "the action", body = ActionView),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
    ))]
async fn action(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
) -> ApiResult<Json<ActionView>> {
    Ok(Json(s.app.council_action(&a, id, false).await?))
}

/// Report progress on an action (its owner department), or close it.
#[utoipa::path(post, path = "/api/v1/council-actions/{id}/progress", tag = "councils",
    params(("id" = i64, Path, description = "action id")),
    request_body = ProgressInput,
    responses(
        (status = 200, description = "the action", body = ActionView),
        (status = 400, description = "invalid fields", body = ErrorBody),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
        (status = 409, description = "the action is closed", body = ErrorBody),
    ))]
async fn progress(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(inp): JsonBody<ProgressInput>,
) -> ApiResult<Json<ActionView>> {
    Ok(Json(
        s.app
            .council_action_progress(&a, id, &inp, App::today())
            .await?,
    ))
}

/// The work order to link.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct LinkBody {
    /// Order id or reference.
    order: String,
}

/// Link a work order to an action.
#[utoipa::path(post, path = "/api/v1/council-actions/{id}/orders", tag = "councils",
    params(("id" = i64, Path, description = "action id")),
    request_body = LinkBody,
    responses(
        (status = 200, description = "the action", body = ActionView),
        (status = 400, description = "not an order reference", body = ErrorBody),
        (status = 404, description = "unknown action or order, or out of scope", body = ErrorBody),
        (status = 409, description = "already linked, or the action is closed", body = ErrorBody),
    ))]
async fn link_order(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(b): JsonBody<LinkBody>,
) -> ApiResult<Json<ActionView>> {
    Ok(Json(s.app.council_action_link(&a, id, &b.order).await?))
}
