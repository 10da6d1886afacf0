//! JSON API of visits: the rules (三必访, `/api/v1/visit-rules…`), the yearly indicators they
//! read, visit tasks (`/api/v1/visit-tasks…`) and the visit log (`/api/v1/visits…`).

use super::common::{JsonBody, Listed, OptionalJson, Params, PathParam};
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lianshi_app::visit::{
    IndicatorInput, IndicatorRow, ScanReport, TaskPage, TaskQuery, VisitInput, VisitPage,
    VisitQuery, VisitRecorded, VisitRow, VisitRuleInput, VisitRuleView, VisitTaskView,
};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(rules))
        .routes(routes!(rule_update))
        .routes(routes!(indicators, indicator_record))
        .routes(routes!(tasks))
        .routes(routes!(scan))
        .routes(routes!(task))
        .routes(routes!(visits, visit_record))
        .routes(routes!(visit))
}

/// Visit rules (三必访) with their trigger and deadline in working days.
#[utoipa::path(get, path = "/api/v1/visit-rules", tag = "visits",
    responses((status = 200, description = "the rules", body = Listed<VisitRuleView>)))]
async fn rules(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<Listed<VisitRuleView>>> {
    Ok(Json(Listed::of(s.app.visit_rules(&a).await?)))
}

/// Edit a rule's deadline, active flag or trigger parameters (administrators).
#[utoipa::path(put, path = "/api/v1/visit-rules/{code}", tag = "visits",
    params(("code" = String, Path, description = "rule code")),
    request_body = VisitRuleInput,
    responses(
        (status = 200, description = "the rule", body = VisitRuleView),
        (status = 400, description = "a value out of range", body = ErrorBody),
        (status = 404, description = "unknown rule", body = ErrorBody),
        (status = 409, description = "edited by someone else", body = ErrorBody),
    ))]
async fn rule_update(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(code): PathParam<String>,
    JsonBody(inp): JsonBody<VisitRuleInput>,
) -> ApiResult<Json<VisitRuleView>> {
    Ok(Json(s.app.visit_rule_update(&a, &code, &inp).await?))
}

/// An enterprise's yearly indicators (the feed of the indicator-drop rule).
#[utoipa::path(get, path = "/api/v1/visit-rules/indicators/{uscc}", tag = "visits",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    responses(
        (status = 200, description = "the indicators by year", body = Listed<IndicatorRow>),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
    ))]
async fn indicators(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(uscc): PathParam<String>,
) -> ApiResult<Json<Listed<IndicatorRow>>> {
    Ok(Json(Listed::of(s.app.indicators(&a, &uscc).await?)))
}

/// Record one year's figures (administrators, department officers).
#[utoipa::path(put, path = "/api/v1/visit-rules/indicators/{uscc}", tag = "visits",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    request_body = IndicatorInput,
    responses(
        (status = 200, description = "the indicators by year", body = Listed<IndicatorRow>),
        (status = 400, description = "a bad period or a negative figure", body = ErrorBody),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
    ))]
async fn indicator_record(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(uscc): PathParam<String>,
    JsonBody(inp): JsonBody<IndicatorInput>,
) -> ApiResult<Json<Listed<IndicatorRow>>> {
    Ok(Json(Listed::of(
        s.app.indicator_record(&a, &uscc, &inp).await?,
    )))
}

/// Visit tasks in scope, open first, overdue flagged.
#[utoipa::path(get, path = "/api/v1/visit-tasks", tag = "visits",
    params(TaskQuery),
    responses(
        (status = 200, description = "one page", body = TaskPage),
        (status = 400, description = "an unknown status or rule", body = ErrorBody),
        (status = 404, description = "an unknown enterprise or team, or out of scope", body = ErrorBody),
    ))]
async fn tasks(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<TaskQuery>,
) -> ApiResult<Json<TaskPage>> {
    Ok(Json(s.app.visit_tasks(&a, &q).await?))
}

/// One visit task with the rule that created it, when and why.
#[utoipa::path(get, path = "/api/v1/visit-tasks/{id}", tag = "visits",
    params(("id" = i64, Path, description = "task id")),
    responses(
        (status = 200, description = "the task", body = VisitTaskView),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
    ))]
async fn task(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
) -> ApiResult<Json<VisitTaskView>> {
    Ok(Json(s.app.visit_task(&a, id).await?))
}

/// The day the scan runs as.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
struct ScanJson {
    /// Default today (China Standard Time).
    today: Option<chrono::NaiveDate>,
}

/// Run the visit scan (administrators): create the missing tasks; idempotent. The body is
/// optional.
#[utoipa::path(post, path = "/api/v1/visit-tasks/scan", tag = "visits",
    request_body(content = Option<ScanJson>, description = "optional"),
    responses((status = 200, description = "what the scan created", body = ScanReport)))]
async fn scan(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    OptionalJson(j): OptionalJson<ScanJson>,
) -> ApiResult<Json<ScanReport>> {
    let today = j.today.unwrap_or_else(lianshi_app::App::today);
    Ok(Json(s.app.visit_scan(&a, today).await?))
}

/// The visit log in scope, newest first.
#[utoipa::path(get, path = "/api/v1/visits", tag = "visits",
    params(VisitQuery),
    responses(
        (status = 200, description = "one page", body = VisitPage),
        (status = 400, description = "a bad date", body = ErrorBody),
        (status = 404, description = "an unknown enterprise or team, or out of scope", body = ErrorBody),
    ))]
async fn visits(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<VisitQuery>,
) -> ApiResult<Json<VisitPage>> {
    Ok(Json(s.app.visit_list(&a, &q).await?))
}

/// One visit.
#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "visits",
    params(("id" = i64, Path, description = "visit id")),
    responses(
        (status = 200, description = "the visit", body = VisitRow),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
    ))]
async fn visit(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
) -> ApiResult<Json<VisitRow>> {
    Ok(Json(s.app.visit_get(&a, id).await?))
}

/// Record a visit; it closes the task given or every open task the visit date triggers. Each
/// pain point becomes a work order (channel visit, linked to the visit) in the same
/// transaction.
#[utoipa::path(post, path = "/api/v1/visits", tag = "visits",
    request_body = VisitInput,
    responses(
        (status = 201, description = "the visit with its order ids and orders", body = VisitRecorded),
        (status = 400, description = "invalid fields", body = ErrorBody),
        (status = 404, description = "an unknown enterprise or task, or out of scope", body = ErrorBody),
        (status = 409, description = "the task is already closed", body = ErrorBody),
    ))]
async fn visit_record(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(inp): JsonBody<VisitInput>,
) -> ApiResult<(StatusCode, Json<VisitRecorded>)> {
    let v = s.app.visit_record_orders(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(v)))
}
