//! JSON API of work orders (`/api/v1/orders…`), the category taxonomy with its routing
//! (`/api/v1/order-categories`), the SLA table (`/api/v1/sla-limits`), the SLA scan and the
//! working-day calendar. Thin handlers over one app function each.
//!
//! A conflict (someone acted first) answers 409 with the order's current state under `current`,
//! so the client can show what changed without another request.

use super::common::{Items, JsonBody, Params, PathParam, TextBody, json_body};
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianshi_app::calendar::{CalendarLoadReport, CalendarYearView};
use lianshi_app::order::sla::{
    CategoryInput, CategoryView, ScanReport, SlaLimitInput, SlaLimitView,
};
use lianshi_app::order::{OrderDetail, OrderInput, OrderPage, OrderQuery};
use lianshi_app::{Actor, AppError};
use lianshi_domain::order::OrderAction;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(one))
        .routes(routes!(act))
        .routes(routes!(callback))
        .routes(routes!(categories))
        .routes(routes!(category_put))
        .routes(routes!(limits, limit_put))
        .routes(routes!(scan))
        .routes(routes!(years, year_load))
}

/// A 409: someone acted first. `current` is the order as it is now (null when the caller may
/// no longer see it).
#[derive(Serialize, ToSchema)]
struct Conflict {
    code: String,
    message: String,
    current: Option<OrderDetail>,
}

/// A 409 carrying the order as it is now (when the caller may still see it).
async fn conflict_with_current(s: &AppState, a: &Actor, id: i64, e: AppError) -> Response {
    let current = s.app.order_get(a, id).await.ok();
    let body = Conflict {
        code: e.code().to_string(),
        message: e.message(),
        current,
    };
    (StatusCode::CONFLICT, Json(body)).into_response()
}

/// Work orders the caller may see (filtered, paged, newest first).
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    params(OrderQuery),
    responses(
        (status = 200, description = "one page", body = OrderPage),
        (status = 400, description = "an unknown filter value", body = ErrorBody),
    ))]
async fn list(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<OrderQuery>,
) -> ApiResult<Json<OrderPage>> {
    Ok(Json(s.app.order_list(&a, &q).await?))
}

/// One order: fields, due time and its explanation (limit, pauses, fallback years, breach),
/// history, callbacks and the actions open to the caller.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders",
    params(("id" = i64, Path, description = "order id")),
    responses(
        (status = 200, description = "the order", body = OrderDetail),
        (status = 404, description = "unknown, or out of the caller's scope", body = ErrorBody),
    ))]
async fn one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(s.app.order_get(&a, id).await?))
}

/// Register an order (诉求/堵点); an urgent one triggers a visit task.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders",
    request_body = OrderInput,
    responses(
        (status = 201, description = "the order with history and due time", body = OrderDetail),
        (status = 400, description = "an invalid or unknown field value", body = ErrorBody),
        (status = 404, description = "an unknown enterprise, or out of scope", body = ErrorBody),
    ))]
async fn create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(inp): JsonBody<OrderInput>,
) -> ApiResult<(StatusCode, Json<OrderDetail>)> {
    let d = s.app.order_create(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// An order action plus the version the caller last saw, e.g.
/// `{"action": "dispatch", "department": "kjj", "version": 3}`.
#[derive(Deserialize, ToSchema)]
struct ActJson {
    /// The version last seen; another officer's step in between is a 409 with `current`.
    version: i64,
    #[serde(flatten)]
    action: OrderAction,
}

/// Act on an order (the state machine of the 12345 loop).
#[utoipa::path(post, path = "/api/v1/orders/{id}/actions", tag = "orders",
    params(("id" = i64, Path, description = "order id")),
    request_body = ActJson,
    responses(
        (status = 200, description = "the order after the step", body = OrderDetail),
        (status = 400, description = "an illegal transition, a missing field (`order_version_required`, `order_action_invalid`)", body = ErrorBody),
        (status = 404, description = "unknown, or out of the caller's scope", body = ErrorBody),
        (status = 409, description = "someone acted first; `current` is the order now", body = Conflict),
    ))]
async fn act(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    body: Bytes,
) -> Response {
    let v: Value = match json_body(&body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    if !v.get("version").is_some_and(Value::is_i64) {
        return ApiError(AppError::bad(
            "order_version_required",
            "请提供当前版本号 version（防止覆盖他人的办理）",
            "the order's current version is required (so no one's step is overwritten)",
        ))
        .into_response();
    }
    let j: ActJson = match serde_json::from_value(v) {
        Ok(x) => x,
        Err(e) => {
            return ApiError(AppError::bad(
                "order_action_invalid",
                format!("无法识别的办理动作：{e}"),
                format!("not an order action: {e}"),
            ))
            .into_response();
        }
    };
    match s.app.order_act(&a, id, &j.action, Some(j.version)).await {
        Ok(d) => Json(d).into_response(),
        Err(e @ AppError::Conflict(_)) => conflict_with_current(&s, &a, id, e).await,
        Err(e) => ApiError(e).into_response(),
    }
}

fn rating() -> utoipa::openapi::schema::Schema {
    super::common::schema(serde_json::json!({"type": "string",
        "enum": ["satisfied", "basically_satisfied", "unsatisfied", "满意", "基本满意", "不满意"]}))
}

/// A satisfaction callback (回访).
#[derive(Deserialize, ToSchema)]
struct CallbackJson {
    /// `satisfied`, `basically_satisfied` or `unsatisfied` (also 满意/基本满意/不满意).
    #[schema(schema_with = rating)]
    rating: String,
    #[serde(default)]
    comment: String,
    version: Option<i64>,
}

/// Satisfaction callback (回访); 不满意 reopens the order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/callbacks", tag = "orders",
    params(("id" = i64, Path, description = "order id")),
    request_body = CallbackJson,
    responses(
        (status = 200, description = "the order", body = OrderDetail),
        (status = 400, description = "not answered yet, or an unknown rating", body = ErrorBody),
        (status = 404, description = "unknown, or out of the caller's scope", body = ErrorBody),
        (status = 409, description = "changed meanwhile; `current` is the order now", body = Conflict),
    ))]
async fn callback(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(c): JsonBody<CallbackJson>,
) -> Response {
    match s
        .app
        .order_callback(&a, id, &c.rating, &c.comment, c.version)
        .await
    {
        Ok(d) => Json(d).into_response(),
        Err(e @ AppError::Conflict(_)) => conflict_with_current(&s, &a, id, e).await,
        Err(e) => ApiError(e).into_response(),
    }
}

/// The category taxonomy with routing to lead departments.
#[utoipa::path(get, path = "/api/v1/order-categories", tag = "orders",
    responses((status = 200, description = "every category", body = Vec<CategoryView>)))]
async fn categories(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<Vec<CategoryView>>> {
    Ok(Json(s.app.order_categories(&a).await?))
}

/// Create or edit a category and its lead department (administrators).
#[utoipa::path(put, path = "/api/v1/order-categories/{code}", tag = "orders",
    params(("code" = String, Path, description = "category code")),
    request_body = CategoryInput,
    responses(
        (status = 200, description = "the category", body = CategoryView),
        (status = 400, description = "invalid fields or an unknown department", body = ErrorBody),
    ))]
async fn category_put(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(code): PathParam<String>,
    JsonBody(mut inp): JsonBody<CategoryInput>,
) -> ApiResult<Json<CategoryView>> {
    inp.code = Some(code);
    Ok(Json(s.app.order_category_put(&a, &inp).await?))
}

/// SLA limits per (category, urgency); `*` is the default, `@accept` the acceptance limit.
#[utoipa::path(get, path = "/api/v1/sla-limits", tag = "orders",
    responses((status = 200, description = "every limit", body = Vec<SlaLimitView>)))]
async fn limits(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<Vec<SlaLimitView>>> {
    Ok(Json(s.app.sla_limits(&a).await?))
}

/// Set one SLA limit (administrators); applies to orders created afterwards.
#[utoipa::path(put, path = "/api/v1/sla-limits", tag = "orders",
    request_body = SlaLimitInput,
    responses(
        (status = 200, description = "the limit", body = SlaLimitView),
        (status = 400, description = "an invalid limit, category or urgency", body = ErrorBody),
    ))]
async fn limit_put(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(inp): JsonBody<SlaLimitInput>,
) -> ApiResult<Json<SlaLimitView>> {
    Ok(Json(s.app.sla_limit_set(&a, &inp).await?))
}

/// Run the escalation scan now (administrators): 督办 overdue orders, propose them to councils.
#[utoipa::path(post, path = "/api/v1/sla/scan", tag = "orders",
    responses((status = 200, description = "what the scan did", body = ScanReport)))]
async fn scan(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<ScanReport>> {
    Ok(Json(s.app.sla_scan(&a, chrono::Utc::now()).await?))
}

/// Working-day calendar years (shipped and loaded).
#[utoipa::path(get, path = "/api/v1/calendar/years", tag = "orders",
    responses((status = 200, description = "the years", body = Items<CalendarYearView>)))]
async fn years(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<Items<CalendarYearView>>> {
    lianshi_app::order::perm::view_config(&a)?;
    Ok(Json(Items::of(s.app.calendar_years().await?)))
}

/// Load one year's schedule (administrators); the body is the schedule text that
/// `lianshi calendar load FILE` reads.
#[utoipa::path(post, path = "/api/v1/calendar/years", tag = "orders",
    request_body(content = String, content_type = "text/plain"),
    responses(
        (status = 201, description = "what was loaded", body = CalendarLoadReport),
        (status = 400, description = "an invalid schedule", body = ErrorBody),
    ))]
async fn year_load(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    TextBody(text): TextBody,
) -> ApiResult<(StatusCode, Json<CalendarLoadReport>)> {
    let r = s.app.calendar_load(&a, &text).await?;
    Ok((StatusCode::CREATED, Json(r)))
}
