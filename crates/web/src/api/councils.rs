//! JSON API of chain councils (`/api/v1/councils…`, `/api/v1/council-actions…`) and of the
//! service figures (`/api/v1/service/figures…`). Thin handlers over one app function each; the
//! paths are documented by [`openapi_paths`], merged into the OpenAPI document.

use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult, json_body, query};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::Utc;
use lianshi_app::council::{
    ActionQuery, ActionView, AgendaItemInput, AgendaRules, CouncilInput, CouncilView,
    DecisionInput, ProgressInput,
};
use lianshi_app::service_report::{Metric, RecordPage, ServiceReport, parse_day, parse_dim};
use lianshi_app::{App, AppError};

use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/councils", get(councils))
        .route("/api/v1/councils/schedule", post(schedule))
        .route("/api/v1/councils/{id}", get(council).put(council_update))
        .route("/api/v1/councils/{id}/agenda", post(agenda_add))
        .route("/api/v1/councils/{id}/agenda/draft", post(agenda_draft))
        .route("/api/v1/councils/{id}/agenda/order", put(agenda_reorder))
        .route(
            "/api/v1/councils/{id}/agenda/{item}",
            axum::routing::delete(agenda_remove),
        )
        .route("/api/v1/councils/{id}/decisions", post(decide))
        .route("/api/v1/council-actions", get(actions))
        .route("/api/v1/council-actions/{id}", get(action))
        .route("/api/v1/council-actions/{id}/progress", post(progress))
        .route("/api/v1/council-actions/{id}/orders", post(link_order))
        .route("/api/v1/service/figures", get(figures))
        .route("/api/v1/service/figures/records", get(records))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListParams {
    chain: Option<String>,
    year: Option<i64>,
}

async fn councils(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<Value>> {
    let p: ListParams = query(&parts)?;
    let items = s
        .app
        .council_list(&a, p.chain.as_deref(), p.year, false)
        .await?;
    Ok(Json(json!({"total": items.len(), "items": items})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ScheduleBody {
    chain: String,
    year: i32,
}

async fn schedule(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let b: ScheduleBody = json_body(&body)?;
    let items = s.app.council_schedule(&a, &b.chain, b.year).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"total": items.len(), "items": items})),
    ))
}

async fn council(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<CouncilView>> {
    Ok(Json(s.app.council_get(&a, id, false).await?))
}

async fn council_update(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<CouncilView>> {
    let inp: CouncilInput = json_body(&body)?;
    Ok(Json(s.app.council_update(&a, id, &inp).await?))
}

async fn agenda_draft(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<CouncilView>> {
    let rules: AgendaRules = if body.is_empty() {
        AgendaRules::default()
    } else {
        json_body(&body)?
    };
    Ok(Json(
        s.app
            .council_agenda_draft(&a, id, rules, Utc::now())
            .await?,
    ))
}

async fn agenda_add(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: AgendaItemInput = json_body(&body)?;
    let v = s.app.council_agenda_add(&a, id, &inp).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

async fn agenda_remove(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, item)): Path<(i64, i64)>,
) -> ApiResult<Json<CouncilView>> {
    Ok(Json(s.app.council_agenda_remove(&a, id, item).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OrderBody {
    ids: Vec<i64>,
}

async fn agenda_reorder(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<CouncilView>> {
    let b: OrderBody = json_body(&body)?;
    Ok(Json(s.app.council_agenda_reorder(&a, id, &b.ids).await?))
}

async fn decide(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: DecisionInput = json_body(&body)?;
    let v = s.app.council_decide(&a, id, &inp, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

async fn actions(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<Value>> {
    let q: ActionQuery = query(&parts)?;
    let items = s.app.council_actions(&a, &q, false).await?;
    Ok(Json(json!({"total": items.len(), "items": items})))
}

async fn action(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<ActionView>> {
    Ok(Json(s.app.council_action(&a, id, false).await?))
}

async fn progress(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<ActionView>> {
    let inp: ProgressInput = json_body(&body)?;
    Ok(Json(
        s.app
            .council_action_progress(&a, id, &inp, App::today())
            .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LinkBody {
    order: String,
}

async fn link_order(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<ActionView>> {
    let b: LinkBody = json_body(&body)?;
    Ok(Json(s.app.council_action_link(&a, id, &b.order).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FigureParams {
    from: String,
    to: String,
    metric: String,
    dim: String,
    key: Option<String>,
    limit: Option<i64>,
}

fn period_of(p: &FigureParams) -> Result<(chrono::NaiveDate, chrono::NaiveDate), ApiError> {
    let to = if p.to.trim().is_empty() {
        App::today()
    } else {
        parse_day("to", &p.to)?
    };
    let from = if p.from.trim().is_empty() {
        to - chrono::Duration::days(364)
    } else {
        parse_day("from", &p.from)?
    };
    Ok((from, to))
}

async fn figures(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<ServiceReport>> {
    let p: FigureParams = query(&parts)?;
    let (from, to) = period_of(&p)?;
    Ok(Json(s.app.service_report(&a, from, to, Utc::now()).await?))
}

async fn records(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<RecordPage>> {
    let p: FigureParams = query(&parts)?;
    let (from, to) = period_of(&p)?;
    let metric = Metric::parse(&p.metric).ok_or_else(|| {
        AppError::bad(
            "metric_unknown",
            format!("未知指标“{}”", p.metric),
            format!("unknown metric '{}'", p.metric),
        )
    })?;
    let dim = parse_dim(&p.dim)?;
    let key = match p.key.as_deref().map(str::trim) {
        None | Some("") | Some("none") => None,
        Some(k) => Some(k.parse::<i64>().map_err(|_| {
            AppError::bad("key_invalid", "分组编号须为整数", "key must be an integer")
        })?),
    };
    Ok(Json(
        s.app
            .service_records(
                &a,
                metric,
                dim,
                key,
                from,
                to,
                Utc::now(),
                p.limit.unwrap_or(200),
            )
            .await?,
    ))
}

fn err(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"type": "object"}}}})
}

fn q(name: &str, desc: &str, ty: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": ty}})
}

fn id() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}})
}

fn op(summary: &str, params: Vec<Value>, body: Option<Value>, responses: Value) -> Value {
    let mut v = json!({"summary": summary, "parameters": params, "responses": responses,
                       "security": [{"bearer": []}]});
    if let Some(b) = body {
        v["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": b}}});
    }
    if let Some(m) = v["responses"].as_object_mut() {
        m.insert("401".into(), err("unknown or expired token"));
        m.insert("403".into(), err("not allowed for this user"));
    }
    v
}

/// The OpenAPI paths of councils and figures.
pub fn openapi_paths() -> Value {
    let period = vec![
        q(
            "from",
            "YYYY-MM-DD inclusive (default: a year before `to`)",
            "string",
        ),
        q(
            "to",
            "YYYY-MM-DD inclusive (default: today, China time)",
            "string",
        ),
    ];
    json!({
        "/api/v1/councils": {"get": op("Chain council meetings (链上议事会)",
            vec![q("chain", "chain code, name or id", "string"), q("year", "year", "integer")], None,
            json!({"200": ok("meetings")}))},
        "/api/v1/councils/schedule": {"post": op("Create a chain's four quarterly meetings of a year with the rotating host (admin); existing ones are kept", vec![],
            Some(json!({"type": "object", "required": ["chain", "year"], "properties": {"chain": {"type": "string"}, "year": {"type": "integer"}}})),
            json!({"201": ok("meetings created"), "400": err("unknown chain or year")}))},
        "/api/v1/councils/{id}": {
            "get": op("One meeting: host, attendees, agenda with its orders, minutes, decisions and actions", vec![id()], None,
                json!({"200": ok("meeting"), "404": err("unknown")})),
            "put": op("Edit a meeting (admin): date, host, location, status (scheduled/held/cancelled), minutes, attendees (kind:code)", vec![id()],
                Some(json!({"type": "object", "properties": {"title": {"type": "string"}, "scheduled_on": {"type": "string", "format": "date"},
                    "host": {"type": "string"}, "location": {"type": "string"}, "status": {"type": "string"}, "minutes": {"type": "string"},
                    "held_on": {"type": "string", "format": "date"}, "attendees": {"type": "array", "items": {"type": "string"}}, "version": {"type": "integer"}}})),
                json!({"200": ok("meeting"), "400": err("invalid"), "409": err("edited by someone else")}))},
        "/api/v1/councils/{id}/agenda": {"post": op("Add an agenda item (admin)", vec![id()],
            Some(json!({"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}, "orders": {"type": "array", "items": {"type": "string"}}}})),
            json!({"201": ok("meeting"), "404": err("unknown order")}))},
        "/api/v1/councils/{id}/agenda/draft": {"post": op("Draft the agenda from escalated orders and recurring pain points (admin); drafted items are replaced, own items kept", vec![id()],
            Some(json!({"type": "object", "properties": {"min_orders": {"type": "integer", "default": 3}, "window_days": {"type": "integer", "default": 180}}})),
            json!({"200": ok("meeting with agenda"), "400": err("invalid threshold")}))},
        "/api/v1/councils/{id}/agenda/order": {"put": op("Reorder the agenda (admin)", vec![id()],
            Some(json!({"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "integer"}}}})),
            json!({"200": ok("meeting")}))},
        "/api/v1/councils/{id}/agenda/{item}": {"delete": op("Remove an agenda item (admin); an item with a decision stays (409)",
            vec![id(), json!({"name": "item", "in": "path", "required": true, "schema": {"type": "integer"}})], None,
            json!({"200": ok("meeting"), "404": err("unknown"), "409": err("item has a decision")}))},
        "/api/v1/councils/{id}/decisions": {"post": op("Record a decision (决议) as an action item linked to the orders it answers; optionally file a follow-on order (channel council)", vec![id()],
            Some(json!({"type": "object", "required": ["decision", "department", "due_on"], "properties": {
                "decision": {"type": "string"}, "department": {"type": "string"}, "due_on": {"type": "string", "format": "date"},
                "item_id": {"type": "integer"}, "orders": {"type": "array", "items": {"type": "string"}}, "progress": {"type": "integer"},
                "follow_on": {"type": "object", "properties": {"title": {"type": "string"}, "description": {"type": "string"},
                    "enterprise": {"type": "string"}, "category": {"type": "string"}, "department": {"type": "string"}}}}})),
            json!({"201": ok("action"), "400": err("invalid"), "404": err("unknown order or item")}))},
        "/api/v1/council-actions": {"get": op("Council action items",
            vec![q("chain", "chain", "string"), q("department", "owner department", "string"), q("status", "open | done | overdue", "string")], None,
            json!({"200": ok("actions")}))},
        "/api/v1/council-actions/{id}": {"get": op("One action with its progress reports and orders", vec![id()], None,
            json!({"200": ok("action"), "404": err("unknown")}))},
        "/api/v1/council-actions/{id}/progress": {"post": op("Report progress 0–100 (owner department or admin); 100 closes the action", vec![id()],
            Some(json!({"type": "object", "required": ["progress"], "properties": {"progress": {"type": "integer"}, "note": {"type": "string"}, "version": {"type": "integer"}}})),
            json!({"200": ok("action"), "400": err("out of range"), "409": err("changed by someone else")}))},
        "/api/v1/council-actions/{id}/orders": {"post": op("Link an order the action answers (admin)", vec![id()],
            Some(json!({"type": "object", "required": ["order"], "properties": {"order": {"type": "string"}}})),
            json!({"200": ok("action"), "404": err("unknown")}))},
        "/api/v1/service/figures": {"get": op("Service figures (服务成效) of the zone with breakdowns by team, department and chain and rankings; rates are fractions 0–1 or null when nothing to count; each row carries the `filter` of its records", period.clone(), None,
            json!({"200": ok("report"), "400": err("bad dates")}))},
        "/api/v1/service/figures/records": {"get": op("The records that make one figure",
            [period, vec![q("metric", "visits | visits_overdue | orders_received | orders_solved | breaches | callbacks | actions_closed", "string"),
                q("dim", "zone | team | department | chain", "string"), q("key", "team or registry id, or none", "string"), q("limit", "1–1000, default 200", "integer")]].concat(), None,
            json!({"200": ok("records with total"), "400": err("unknown metric or dimension"), "403": err("records out of scope")}))},
    })
}

/// The OpenAPI document with this API's paths added.
pub fn merge_openapi(mut doc: Value) -> Value {
    if let (Some(paths), Value::Object(mine)) = (doc["paths"].as_object_mut(), openapi_paths()) {
        paths.extend(mine);
    }
    doc
}
