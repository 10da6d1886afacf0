//! JSON API of the service loop: teams and 包联 (`/api/v1/teams…`), visit rules, visit tasks and
//! the visit log. Thin handlers over one app function each; the paths are documented by
//! [`openapi_paths`], merged into the OpenAPI document.

use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiResult, json_body, query};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use lianshi_app::AppError;
use lianshi_app::team::{
    AssignInput, AssignReport, EnterpriseTeamView, TeamEnterprisePage, TeamInput, TeamView,
};
use lianshi_app::visit::{
    IndicatorInput, ScanReport, TaskPage, TaskQuery, VisitInput, VisitPage, VisitQuery, VisitRow,
    VisitRuleInput, VisitRuleView, VisitTaskView,
};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams", get(teams).post(team_create))
        .route("/api/v1/teams/{id}", get(team).put(team_update))
        .route("/api/v1/teams/{id}/enterprises", get(team_enterprises))
        .route(
            "/api/v1/teams/{id}/assignments",
            axum::routing::post(team_assign),
        )
        .route(
            "/api/v1/teams/enterprise/{uscc}",
            get(enterprise_team).put(enterprise_assign),
        )
        .route(
            "/api/v1/teams/enterprise/{uscc}/history",
            get(enterprise_history),
        )
        .route("/api/v1/visit-rules", get(rules))
        .route(
            "/api/v1/visit-rules/{code}",
            axum::routing::put(rule_update),
        )
        .route(
            "/api/v1/visit-rules/indicators/{uscc}",
            get(indicators).put(indicator_record),
        )
        .route("/api/v1/visit-tasks", get(tasks))
        .route("/api/v1/visit-tasks/scan", axum::routing::post(scan))
        .route("/api/v1/visit-tasks/{id}", get(task))
        .route("/api/v1/visits", get(visits).post(visit_record))
        .route("/api/v1/visits/{id}", get(visit))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageParams {
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn teams(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Value>> {
    let items = s.app.team_list(&a).await?;
    Ok(Json(json!({"total": items.len(), "items": items})))
}

async fn team(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<TeamView>> {
    Ok(Json(s.app.team_get(&a, id).await?))
}

async fn team_create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: TeamInput = json_body(&body)?;
    let v = s.app.team_create(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

async fn team_update(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<TeamView>> {
    let inp: TeamInput = json_body(&body)?;
    Ok(Json(s.app.team_update(&a, id, &inp).await?))
}

async fn team_enterprises(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    parts: Parts,
) -> ApiResult<Json<TeamEnterprisePage>> {
    let p: PageParams = query(&parts)?;
    Ok(Json(
        s.app.team_enterprises(&a, id, p.page, p.per_page).await?,
    ))
}

async fn team_assign(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<AssignReport>> {
    let inp: AssignInput = json_body(&body)?;
    Ok(Json(s.app.team_assign(&a, id, &inp).await?))
}

async fn enterprise_team(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(uscc): Path<String>,
) -> ApiResult<Json<EnterpriseTeamView>> {
    Ok(Json(s.app.enterprise_team(&a, &uscc).await?))
}

/// Body of `PUT /api/v1/teams/enterprise/{uscc}`: `team_id` null removes the 包联.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EnterpriseAssignJson {
    team_id: Option<i64>,
    contact: Option<String>,
    reason: Option<String>,
}

async fn enterprise_assign(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(uscc): Path<String>,
    body: Bytes,
) -> ApiResult<Json<EnterpriseTeamView>> {
    let j: EnterpriseAssignJson = json_body(&body)?;
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

async fn enterprise_history(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(uscc): Path<String>,
) -> ApiResult<Json<Value>> {
    let items = s.app.assignment_history(&a, &uscc).await?;
    Ok(Json(json!({"total": items.len(), "items": items})))
}

async fn rules(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Value>> {
    let items = s.app.visit_rules(&a).await?;
    Ok(Json(json!({"total": items.len(), "items": items})))
}

async fn rule_update(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<Json<VisitRuleView>> {
    let inp: VisitRuleInput = json_body(&body)?;
    Ok(Json(s.app.visit_rule_update(&a, &code, &inp).await?))
}

async fn indicators(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(uscc): Path<String>,
) -> ApiResult<Json<Value>> {
    let items = s.app.indicators(&a, &uscc).await?;
    Ok(Json(json!({"total": items.len(), "items": items})))
}

async fn indicator_record(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(uscc): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let inp: IndicatorInput = json_body(&body)?;
    let items = s.app.indicator_record(&a, &uscc, &inp).await?;
    Ok(Json(json!({"total": items.len(), "items": items})))
}

async fn tasks(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<TaskPage>> {
    let q: TaskQuery = query(&parts)?;
    Ok(Json(s.app.visit_tasks(&a, &q).await?))
}

async fn task(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<VisitTaskView>> {
    Ok(Json(s.app.visit_task(&a, id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ScanJson {
    /// `YYYY-MM-DD`; default today (China Standard Time).
    today: Option<String>,
}

async fn scan(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<Json<ScanReport>> {
    let j: ScanJson = if body.is_empty() {
        ScanJson::default()
    } else {
        json_body(&body)?
    };
    let today = match j.today.as_deref() {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            AppError::bad(
                "date_format",
                format!("today 应为日期 YYYY-MM-DD，收到“{d}”"),
                format!("today must be a date YYYY-MM-DD, got '{d}'"),
            )
        })?,
        None => lianshi_app::App::today(),
    };
    Ok(Json(s.app.visit_scan(&a, today).await?))
}

async fn visits(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<VisitPage>> {
    let q: VisitQuery = query(&parts)?;
    Ok(Json(s.app.visit_list(&a, &q).await?))
}

async fn visit(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<VisitRow>> {
    Ok(Json(s.app.visit_get(&a, id).await?))
}

async fn visit_record(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: VisitInput = json_body(&body)?;
    let v = s.app.visit_record_orders(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

// ---------------------------------------------------------------------------------------------
// OpenAPI
// ---------------------------------------------------------------------------------------------

fn err(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"type": "object"}}}})
}

fn q(name: &str, desc: &str, ty: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": ty}})
}

fn path_param(name: &str, ty: &str, desc: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": desc, "schema": {"type": ty}})
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
        m.insert("403".into(), err("out of scope for this user"));
    }
    v
}

/// The paths of this API, merged into `/api/v1/openapi.json`.
pub fn openapi_paths() -> Value {
    let id = || path_param("id", "integer", "team id");
    let uscc = || path_param("uscc", "string", "统一社会信用代码");
    let paging = || {
        vec![
            q("page", "1-based page", "integer"),
            q("per_page", "1–200, default 20", "integer"),
        ]
    };
    let team_body = json!({"type": "object", "properties": {
        "name": {"type": "string"}, "leader": {"type": "string", "description": "username"},
        "members": {"type": "array", "items": {"type": "object", "properties": {
            "user": {"type": "string"}, "department": {"type": "string", "description": "department code or name"}}}},
        "note": {"type": "string"}, "active": {"type": "boolean"}, "version": {"type": "integer"}}});
    json!({
        "/api/v1/teams": {
            "get": op("Service teams the caller may see, with members and figures", vec![], None,
                json!({"200": ok("teams")})),
            "post": op("Create a service team (admin)", vec![], Some(team_body.clone()),
                json!({"201": ok("created"), "400": err("invalid"), "409": err("name used")}))},
        "/api/v1/teams/{id}": {
            "get": op("One team", vec![id()], None, json!({"200": ok("team"), "404": err("unknown")})),
            "put": op("Edit a team (admin); absent fields keep their value", vec![id()], Some(team_body),
                json!({"200": ok("team"), "404": err("unknown"), "409": err("edited by someone else")}))},
        "/api/v1/teams/{id}/enterprises": {
            "get": op("Enterprises the team serves (paged), with open and overdue visit tasks",
                [vec![id()], paging()].concat(), None, json!({"200": ok("page")}))},
        "/api/v1/teams/{id}/assignments": {
            "post": op("Assign enterprises to the team (admin): listed credit codes and/or an enterprise-list filter",
                vec![id()], Some(json!({"type": "object", "properties": {
                    "enterprises": {"type": "array", "items": {"type": "string"}},
                    "filter": {"type": "object", "description": "chain, park, street, tag, node, ecosystem, size, q"},
                    "contact": {"type": "string"}, "reassign": {"type": "boolean"}, "reason": {"type": "string"}}})),
                json!({"200": ok("report: matched, assigned, moved, unchanged, skipped"), "400": err("nothing matches or unknown filter")}))},
        "/api/v1/teams/enterprise/{uscc}": {
            "get": op("The team and contact person serving an enterprise", vec![uscc()], None,
                json!({"200": ok("assignment"), "404": err("unknown")})),
            "put": op("Set or remove (team_id null) an enterprise's team and contact (admin)", vec![uscc()],
                Some(json!({"type": "object", "properties": {"team_id": {"type": ["integer", "null"]},
                    "contact": {"type": "string"}, "reason": {"type": "string"}}})),
                json!({"200": ok("assignment"), "400": err("contact not a member")}))},
        "/api/v1/teams/enterprise/{uscc}/history": {
            "get": op("Changes of an enterprise's team and contact", vec![uscc()], None,
                json!({"200": ok("history")}))},
        "/api/v1/visit-rules": {
            "get": op("Visit rules (三必访) with trigger and deadline in working days", vec![], None,
                json!({"200": ok("rules")}))},
        "/api/v1/visit-rules/{code}": {
            "put": op("Edit a rule's deadline, active flag or trigger parameters (admin)",
                vec![path_param("code", "string", "rule code")],
                Some(json!({"type": "object", "properties": {"deadline_workdays": {"type": "integer"},
                    "active": {"type": "boolean"}, "drop_pct": {"type": "integer"}, "months": {"type": "integer"},
                    "policy_code": {"type": "string"}, "version": {"type": "integer"}}})),
                json!({"200": ok("rule"), "400": err("out of range"), "404": err("unknown"), "409": err("edited by someone else")}))},
        "/api/v1/visit-rules/indicators/{uscc}": {
            "get": op("An enterprise's yearly indicators (feed of the indicator-drop rule)", vec![uscc()], None,
                json!({"200": ok("indicators")})),
            "put": op("Record one year's figures (admin, department)", vec![uscc()],
                Some(json!({"type": "object", "required": ["period"], "properties": {"period": {"type": "string", "description": "YYYY"},
                    "revenue_fen": {"type": "integer"}, "headcount": {"type": "integer"}, "tax_fen": {"type": "integer"}}})),
                json!({"200": ok("indicators"), "400": err("bad period or negative figure")}))},
        "/api/v1/visit-tasks": {
            "get": op("Visit tasks in scope, open first, overdue flagged",
                [vec![q("team", "team id", "integer"), q("enterprise", "credit code", "string"),
                      q("status", "open (default) | overdue | done | cancelled | all", "string"),
                      q("rule", "rule code", "string")], paging()].concat(), None,
                json!({"200": ok("page"), "400": err("unknown status or rule")}))},
        "/api/v1/visit-tasks/scan": {
            "post": op("Run the visit scan (admin): create missing tasks; idempotent", vec![],
                Some(json!({"type": "object", "properties": {"today": {"type": "string", "format": "date"}}})),
                json!({"200": ok("scan report")}))},
        "/api/v1/visit-tasks/{id}": {
            "get": op("One visit task with the rule that created it, when and why", vec![path_param("id", "integer", "task id")], None,
                json!({"200": ok("task"), "404": err("unknown")}))},
        "/api/v1/visits": {
            "get": op("The visit log in scope, newest first",
                [vec![q("team", "team id", "integer"), q("enterprise", "credit code", "string"),
                      q("from", "YYYY-MM-DD inclusive", "string"), q("to", "YYYY-MM-DD inclusive", "string")], paging()].concat(),
                None, json!({"200": ok("page")})),
            "post": op("Record a visit; closes the task given or every open task triggered by the visit date. Each pain point becomes a work order (channel visit, linked to the visit) in the same transaction; the response adds their order_ids and refs (orders)", vec![],
                Some(json!({"type": "object", "required": ["enterprise", "visited_on", "summary"], "properties": {
                    "enterprise": {"type": "string"}, "visited_on": {"type": "string", "format": "date"},
                    "participants": {"type": "array", "items": {"type": "string"}}, "summary": {"type": "string"},
                    "attachments": {"type": "array", "items": {"type": "string"}}, "task_id": {"type": "integer"},
                    "pain_points": {"type": "array", "maxItems": 20, "items": {"type": "object", "required": ["title"], "properties": {
                        "title": {"type": "string"}, "description": {"type": "string"},
                        "category": {"type": "string", "description": "order category code or Chinese name; default other"},
                        "urgency": {"type": "string", "enum": ["normal", "urgent"]}}}}}})),
                json!({"201": ok("visit with order_ids and orders"), "400": err("invalid"), "409": err("task already closed")}))},
        "/api/v1/visits/{id}": {
            "get": op("One visit", vec![path_param("id", "integer", "visit id")], None,
                json!({"200": ok("visit"), "404": err("unknown")}))},
    })
}

/// The OpenAPI document with this API's paths added.
pub fn merge_openapi(mut doc: Value) -> Value {
    if let (Some(paths), Value::Object(mine)) = (doc["paths"].as_object_mut(), openapi_paths()) {
        paths.extend(mine);
    }
    doc
}
