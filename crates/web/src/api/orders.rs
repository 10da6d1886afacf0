//! JSON API of work orders (`/api/v1/orders…`), the category taxonomy with its routing
//! (`/api/v1/order-categories`), the SLA table (`/api/v1/sla-limits`), the SLA scan and the
//! working-day calendar. Thin handlers over one app function each; paths are documented by
//! [`openapi_paths`], merged into the OpenAPI document by [`merge_openapi`].
//!
//! A conflict (someone acted first) answers 409 with the order's current state under `current`,
//! so the client can show what changed without another request.

use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult, json_body, query};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lianshi_app::order::{OrderDetail, OrderInput, OrderPage, OrderQuery};
use lianshi_app::sla::{CategoryInput, CategoryView, SlaLimitInput, SlaLimitView};
use lianshi_app::{Actor, AppError};
use lianshi_domain::order::OrderAction;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orders", get(list).post(create))
        .route("/api/v1/orders/{id}", get(one))
        .route("/api/v1/orders/{id}/actions", post(act))
        .route("/api/v1/orders/{id}/callbacks", post(callback))
        .route("/api/v1/order-categories", get(categories))
        .route(
            "/api/v1/order-categories/{code}",
            axum::routing::put(category_put),
        )
        .route("/api/v1/sla-limits", get(limits).put(limit_put))
        .route("/api/v1/sla/scan", post(scan))
        .route("/api/v1/calendar/years", get(years).post(year_load))
}

/// A 409 carrying the order as it is now (when the caller may still see it).
async fn conflict_with_current(s: &AppState, a: &Actor, id: i64, e: AppError) -> Response {
    let current = s.app.order_get(a, id).await.ok();
    let body = json!({"code": e.code(), "message": e.message(), "current": current});
    (StatusCode::CONFLICT, Json(body)).into_response()
}

async fn list(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<OrderPage>> {
    let q: OrderQuery = query(&parts)?;
    Ok(Json(s.app.order_list(&a, &q).await?))
}

async fn one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderDetail>> {
    Ok(Json(s.app.order_get(&a, id).await?))
}

async fn create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: OrderInput = json_body(&body)?;
    let d = s.app.order_create(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// `{"action": "dispatch", "department": "kjj", "version": 3}`: an `OrderAction` plus the
/// version the caller last saw.
async fn act(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let mut v: Value = match json_body(&body) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let version = match v.get("version").and_then(Value::as_i64) {
        Some(n) => n,
        None => {
            return ApiError(AppError::bad(
                "order_version_required",
                "请提供当前版本号 version（防止覆盖他人的办理）",
                "the order's current version is required (so no one's step is overwritten)",
            ))
            .into_response();
        }
    };
    if let Some(m) = v.as_object_mut() {
        m.remove("version");
    }
    let action: OrderAction = match serde_json::from_value(v) {
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
    match s.app.order_act(&a, id, &action, Some(version)).await {
        Ok(d) => Json(d).into_response(),
        Err(e @ AppError::Conflict(_)) => conflict_with_current(&s, &a, id, e).await,
        Err(e) => ApiError(e).into_response(),
    }
}

#[derive(Deserialize)]
struct CallbackJson {
    rating: String,
    #[serde(default)]
    comment: String,
    version: Option<i64>,
}

async fn callback(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let c: CallbackJson = match json_body(&body) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
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

async fn categories(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<Vec<CategoryView>>> {
    Ok(Json(s.app.order_categories(&a).await?))
}

async fn category_put(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<Json<CategoryView>> {
    let mut inp: CategoryInput = json_body(&body)?;
    inp.code = Some(code);
    Ok(Json(s.app.order_category_put(&a, &inp).await?))
}

async fn limits(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<Vec<SlaLimitView>>> {
    Ok(Json(s.app.sla_limits(&a).await?))
}

async fn limit_put(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<Json<SlaLimitView>> {
    let inp: SlaLimitInput = json_body(&body)?;
    Ok(Json(s.app.sla_limit_set(&a, &inp).await?))
}

async fn scan(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Value>> {
    let r = s.app.sla_scan(&a, chrono::Utc::now()).await?;
    Ok(Json(serde_json::to_value(r).unwrap_or_default()))
}

async fn years(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Value>> {
    lianshi_app::order::perm::view_config(&a)?;
    let y = s.app.calendar_years().await?;
    Ok(Json(json!({"items": y})))
}

/// Body: the schedule text read by `lianshi calendar load FILE`.
async fn year_load(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let text = String::from_utf8_lossy(&body);
    let r = s.app.calendar_load(&a, &text).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The OpenAPI paths of this module.
pub fn openapi_paths() -> Value {
    let secured = json!([{"bearer": []}]);
    let err = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let ok = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"type": "object"}}}});
    let op = |summary: &str, params: Vec<Value>, body: Option<Value>, responses: Value| {
        let mut v = json!({"summary": summary, "parameters": params, "responses": responses, "security": secured.clone()});
        if let Some(m) = v["responses"].as_object_mut() {
            m.insert("401".into(), err("unknown or expired token"));
            m.insert("403".into(), err("out of scope for this user"));
        }
        if let Some(b) = body {
            v["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": b}}});
        }
        v
    };
    let q = |name: &str, desc: &str, ty: &str| json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": ty}});
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let action_body = json!({"type": "object", "required": ["action", "version"], "properties": {
        "action": {"type": "string", "enum": ["accept", "dispatch", "start", "reply", "resolve", "return", "suspend", "resume",
            "request_extension", "approve_extension", "refuse_extension", "supervise", "callback", "close", "withdraw", "reopen"]},
        "version": {"type": "integer", "description": "the version last seen; another officer's step in between → 409 with `current`"},
        "department": {"type": "string", "description": "dispatch: department code or name"},
        "text": {"type": "string", "description": "reply / resolve"},
        "reason": {"type": "string", "description": "return, suspend, request_extension, refuse_extension, withdraw, reopen"},
        "days": {"type": "integer", "description": "request_extension: working days (1–60)"},
        "level": {"type": "integer", "description": "supervise: new level (above the current)"},
        "rating": {"type": "string", "enum": ["satisfied", "basically_satisfied", "unsatisfied"]},
        "comment": {"type": "string"}}});
    json!({
        "/api/v1/orders": {
            "get": op("Work orders the caller may see (filtered, paged, newest first)",
                vec![q("state", "a state (registered, accepted, dispatched, in_progress, replied, resolved, callback_done, closed, returned, suspended, withdrawn) or `open`", "string"),
                     q("category", "category code", "string"), q("department", "lead department code or name", "string"),
                     q("enterprise", "credit code", "string"), q("chain", "chain code or name", "string"),
                     q("overdue", "only open orders past their due time", "boolean"), q("q", "title substring", "string"),
                     q("page", "1-based", "integer"), q("per_page", "1–200", "integer")],
                None, json!({"200": ok("page"), "400": err("unknown filter value")})),
            "post": op("Register an order (诉求/堵点); urgent ones trigger a visit task",
                vec![], Some(json!({"type": "object", "required": ["title"], "properties": {
                    "enterprise": {"type": "string", "description": "credit code (enterprise users: own by default)"},
                    "title": {"type": "string"}, "description": {"type": "string"},
                    "category": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
                    "urgency": {"type": "string", "enum": ["normal", "urgent"]},
                    "channel": {"type": "string", "enum": ["portal", "hotline", "12345", "visit", "council", "open311", "staff"]},
                    "node": {"type": "string"}, "department": {"type": "string"},
                    "cohandlers": {"type": "array", "items": {"type": "string"}},
                    "parent_id": {"type": "integer"}, "visit_id": {"type": "integer"}}})),
                json!({"201": ok("the order with history and due time"), "400": err("invalid field")}))},
        "/api/v1/orders/{id}": {
            "get": op("One order: fields, due time and its explanation (limit, pauses, fallback years, breach), history, callbacks, allowed actions",
                vec![id.clone()], None, json!({"200": ok("order"), "404": err("unknown")}))},
        "/api/v1/orders/{id}/actions": {
            "post": op("Act on an order (state machine of the 12345 loop)", vec![id.clone()], Some(action_body),
                json!({"200": ok("the order after the step"), "400": err("illegal transition or missing field"),
                       "409": {"description": "someone acted first; body has `current` (the order now)"}}))},
        "/api/v1/orders/{id}/callbacks": {
            "post": op("Satisfaction callback (回访); 不满意 reopens the order", vec![id],
                Some(json!({"type": "object", "required": ["rating"], "properties": {
                    "rating": {"type": "string", "enum": ["satisfied", "basically_satisfied", "unsatisfied"]},
                    "comment": {"type": "string"}, "version": {"type": "integer"}}})),
                json!({"200": ok("the order"), "400": err("not answered yet"), "409": {"description": "changed meanwhile"}}))},
        "/api/v1/order-categories": {
            "get": op("The category taxonomy with routing to lead departments", vec![], None, json!({"200": ok("categories")}))},
        "/api/v1/order-categories/{code}": {
            "put": op("Create or edit a category and its lead department (admin)",
                vec![json!({"name": "code", "in": "path", "required": true, "schema": {"type": "string"}})],
                Some(json!({"type": "object", "properties": {"name_zh": {"type": "string"}, "name_en": {"type": "string"},
                    "department": {"type": "string"}, "sort": {"type": "integer"}, "active": {"type": "boolean"}}})),
                json!({"200": ok("category"), "400": err("invalid")}))},
        "/api/v1/sla-limits": {
            "get": op("SLA limits per (category, urgency); `*` = default, `@accept` = acceptance limit", vec![], None, json!({"200": ok("limits")})),
            "put": op("Set one SLA limit (admin); applies to orders created afterwards", vec![],
                Some(json!({"type": "object", "required": ["category", "urgency", "limit"], "properties": {
                    "category": {"type": "string"}, "urgency": {"type": "string"}, "limit": {"type": "string", "description": "5d or 8h"}}})),
                json!({"200": ok("limit"), "400": err("invalid")}))},
        "/api/v1/sla/scan": {
            "post": op("Run the escalation scan now (admin): 督办 overdue orders, propose to councils", vec![], None, json!({"200": ok("report")}))},
        "/api/v1/calendar/years": {
            "get": op("Working-day calendar years (shipped and loaded)", vec![], None, json!({"200": ok("years")})),
            "post": op("Load one year's schedule (admin); body is the schedule text", vec![], None,
                json!({"201": ok("report"), "400": err("invalid schedule")}))},
    })
}

/// The OpenAPI document with this API's paths added.
pub fn merge_openapi(mut doc: Value) -> Value {
    if let (Some(paths), Value::Object(mine)) = (doc["paths"].as_object_mut(), openapi_paths()) {
        paths.extend(mine);
    }
    doc
}
