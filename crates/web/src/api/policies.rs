//! JSON API of benefit policies (`/api/v1/policies…`, `/api/v1/policy-notices…`,
//! `/api/v1/enterprises/{uscc}/policies`). Thin handlers over one app function each; the paths
//! are documented by [`openapi_paths`], merged into the OpenAPI document.

use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult, json_body, query};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use lianshi_app::AppError;
use lianshi_app::policy::{
    DecideReport, ExplainView, LoadReport, PolicyPage, PolicyQuery, PolicyView, PushReport,
    SimulateInput, SimulateReport,
};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/policies", get(list))
        .route("/api/v1/policies/load", post(load))
        .route("/api/v1/policies/push", post(push))
        .route("/api/v1/policies/runs", get(runs))
        .route("/api/v1/policies/{code}", get(one).put(update))
        .route("/api/v1/policies/{code}/explain", get(explain))
        .route("/api/v1/policies/{code}/simulate", post(simulate))
        .route("/api/v1/enterprises/{uscc}/policies", get(for_enterprise))
        .route("/api/v1/policy-notices", get(notices))
        .route("/api/v1/policy-notices/{id}/confirm", post(confirm))
        .route("/api/v1/policy-notices/{id}/decline", post(decline))
}

async fn list(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<PolicyPage>> {
    let q: PolicyQuery = query(&parts)?;
    Ok(Json(s.app.policy_list(&a, &q).await?))
}

fn text_body(body: &Bytes) -> ApiResult<String> {
    String::from_utf8(body.to_vec()).map_err(|_| {
        ApiError(AppError::bad(
            "body_invalid",
            "规则文件须为 UTF-8 文本",
            "the rule file must be UTF-8 text",
        ))
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoadParams {
    file: Option<String>,
}

/// Body: the TOML rule file.
async fn load(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
    body: Bytes,
) -> ApiResult<Json<LoadReport>> {
    let p: LoadParams = query(&parts)?;
    let src = text_body(&body)?;
    let file = p.file.unwrap_or_else(|| "input".into());
    Ok(Json(s.app.policy_load_named(&a, &file, &src).await?))
}

async fn one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(code): Path<String>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(s.app.policy_get(&a, &code).await?))
}

/// Body: the policy's TOML entry.
async fn update(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<Json<PolicyView>> {
    let src = text_body(&body)?;
    Ok(Json(s.app.policy_update(&a, &code, &src).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExplainParams {
    enterprise_id: Option<String>,
    on: Option<NaiveDate>,
}

async fn explain(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(code): Path<String>,
    parts: Parts,
) -> ApiResult<Json<ExplainView>> {
    let p: ExplainParams = query(&parts)?;
    let key = p.enterprise_id.or(a.enterprise_id.map(|e| e.to_string()));
    let Some(key) = key else {
        return Err(ApiError(AppError::bad(
            "enterprise_missing",
            "请提供 enterprise_id",
            "enterprise_id is required",
        )));
    };
    let id = s.app.enterprise_ref_visible(&a, &key).await?;
    Ok(Json(s.app.policy_explain(&a, &code, id, p.on).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OnParams {
    on: Option<NaiveDate>,
    eligible_only: Option<bool>,
}

async fn for_enterprise(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(key): Path<String>,
    parts: Parts,
) -> ApiResult<Json<Value>> {
    let p: OnParams = query(&parts)?;
    let id = s.app.enterprise_ref_visible(&a, &key).await?;
    let mut items = s.app.policy_for_enterprise(&a, id, p.on).await?;
    if p.eligible_only.unwrap_or(false) {
        items.retain(|x| x.eligible);
    }
    let eligible = items.iter().filter(|x| x.eligible).count();
    let total_fen: i64 = items.iter().map(|x| x.amount_fen).sum();
    Ok(Json(json!({
        "enterprise_id": id,
        "eligible": eligible,
        "total_fen": total_fen,
        "items": items,
    })))
}

async fn simulate(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<Json<SimulateReport>> {
    let input: SimulateInput = if body.is_empty() {
        SimulateInput::default()
    } else {
        json_body(&body)?
    };
    Ok(Json(s.app.policy_simulate(&a, &code, &input).await?))
}

async fn push(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<impl IntoResponse> {
    let p: OnParams = query(&parts)?;
    let r: PushReport = s.app.policy_push(&a, p.on).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

async fn runs(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Value>> {
    let items = s.app.policy_runs(&a, 50).await?;
    Ok(Json(json!({"total": items.len(), "items": items})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeParams {
    enterprise_id: Option<String>,
    state: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

async fn notices(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<Value>> {
    let p: NoticeParams = query(&parts)?;
    let ent = match p.enterprise_id.as_deref() {
        Some(k) if !k.trim().is_empty() => Some(s.app.policy_enterprise_ref(k).await?),
        _ => None,
    };
    let per_page = p.per_page.unwrap_or(50).clamp(1, 500);
    let page = p.page.unwrap_or(1).max(1);
    let (items, total) = s
        .app
        .policy_notices(
            &a,
            ent,
            p.state,
            per_page,
            lianshi_app::bounds::page_offset(page, per_page),
        )
        .await?;
    Ok(Json(
        json!({"total": total, "page": page, "per_page": per_page, "items": items}),
    ))
}

async fn confirm(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<DecideReport>> {
    Ok(Json(s.app.policy_notice_confirm(&a, id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeclineBody {
    reason: Option<String>,
}

async fn decline(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<DecideReport>> {
    let b: DeclineBody = if body.is_empty() {
        DeclineBody::default()
    } else {
        json_body(&body)?
    };
    Ok(Json(
        s.app
            .policy_notice_decline(&a, id, b.reason.as_deref())
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

fn path(name: &str, desc: &str, ty: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": desc, "schema": {"type": ty}})
}

fn op(summary: &str, params: Vec<Value>, body: Option<(&str, Value)>, responses: Value) -> Value {
    let mut v = json!({"summary": summary, "parameters": params, "responses": responses,
                       "security": [{"bearer": []}]});
    if let Some((mime, b)) = body {
        v["requestBody"] = json!({"required": true, "content": {mime: {"schema": b}}});
    }
    if let Some(m) = v["responses"].as_object_mut() {
        m.insert("401".into(), err("unknown or expired token"));
        m.insert("403".into(), err("not allowed for this user"));
    }
    v
}

/// The OpenAPI paths of policies.
pub fn openapi_paths() -> Value {
    let code = path("code", "policy code", "string");
    let toml = ("application/toml", json!({"type": "string"}));
    json!({
        "/api/v1/policies": {"get": op("The policy and service catalogue (惠企政策), searchable and filterable",
            vec![q("q", "substring of title, code or who qualifies", "string"), q("kind", "policy | service", "string"),
                 q("department", "department code, name or id", "string"), q("track", "免申即享 | 快申快享", "string"),
                 q("status", "draft | active | closed", "string"), q("ecosystem", "ecosystem code mentioned by the conditions", "string"),
                 q("page", "", "integer"), q("per_page", "", "integer")], None,
            json!({"200": ok("page of policies"), "400": err("unknown department")}))},
        "/api/v1/policies/load": {"post": op("Load a TOML rule file (admin, department officers for their department); all or nothing, upsert by code",
            vec![q("file", "file name used in error positions", "string")], Some(toml.clone()),
            json!({"200": ok("created / updated / unchanged codes"), "400": err("rule_invalid: FILE:line:col: message lines; nothing saved")}))},
        "/api/v1/policies/push": {"post": op("免申即享 push: evaluate every active 免申即享 policy over every enterprise and create notices for newly eligible ones (idempotent)",
            vec![q("on", "evaluation date YYYY-MM-DD (default today)", "string")], None,
            json!({"201": ok("the run with counts")}))},
        "/api/v1/policies/runs": {"get": op("Push runs, newest first", vec![], None, json!({"200": ok("runs")}))},
        "/api/v1/policies/{code}": {
            "get": op("One policy: every 申兑指南 field, dated parameters, conditions and exceptions with their clauses, the TOML source",
                vec![code.clone()], None, json!({"200": ok("policy"), "404": err("unknown policy")})),
            "put": op("Replace one policy with its TOML entry (same code); a bad rule is refused with line and column",
                vec![code.clone()], Some(toml),
                json!({"200": ok("policy"), "400": err("rule_invalid"), "404": err("unknown policy")}))},
        "/api/v1/policies/{code}/explain": {"get": op("Whether one enterprise qualifies, the amount, and each condition with pass/fail and the values used",
            vec![code.clone(), q("enterprise_id", "enterprise id or credit code (enterprise users: their own)", "string"), q("on", "YYYY-MM-DD", "string")], None,
            json!({"200": ok("explanation"), "404": err("unknown policy or enterprise")}))},
        "/api/v1/policies/{code}/simulate": {"post": op("What-if (政策沙盘): parameter values and rule replacements compared with the live policy over every enterprise; nothing is changed",
            vec![code], Some(("application/json", json!({"type": "object", "properties": {
                "set": {"type": "object", "additionalProperties": {"type": "number"}, "description": "parameter name → value"},
                "rules": {"type": "object", "additionalProperties": {"type": "string"}, "description": "clause or `benefit` → expression"},
                "on": {"type": "string", "format": "date"}}}))),
            json!({"200": ok("policy, eligible_before, eligible_after, newly_eligible, dropped, budget_change_fen, by_ecosystem, by_chain, by_size, samples_added, samples_dropped"),
                   "400": err("param_unknown, clause_unknown or rule_invalid"), "404": err("unknown policy")}))},
        "/api/v1/enterprises/{uscc}/policies": {"get": op("Every active policy for one enterprise (政策找我) with explanations, eligible first",
            vec![path("uscc", "enterprise id or credit code", "string"), q("on", "YYYY-MM-DD", "string"), q("eligible_only", "", "boolean")], None,
            json!({"200": ok("explanations"), "404": err("unknown enterprise")}))},
        "/api/v1/policy-notices": {"get": op("免申即享 notices (enterprise users: their own)",
            vec![q("enterprise_id", "id or credit code", "string"), q("state", "new | confirmed | declined | blocked", "string"), q("page", "", "integer"), q("per_page", "", "integer")], None,
            json!({"200": ok("notices")}))},
        "/api/v1/policy-notices/{id}/confirm": {"post": op("意愿确认: the credit check runs first (blacklist tag → blocked with the reason), then the payout is queued",
            vec![path("id", "notice id", "integer")], None,
            json!({"200": ok("notice and queued payout"), "404": err("unknown notice"), "409": err("notice_decided")}))},
        "/api/v1/policy-notices/{id}/decline": {"post": op("Decline a notice",
            vec![path("id", "notice id", "integer")], Some(("application/json", json!({"type": "object", "properties": {"reason": {"type": "string"}}}))),
            json!({"200": ok("notice"), "404": err("unknown notice"), "409": err("notice_decided")}))}
    })
}

pub fn merge_openapi(mut doc: Value) -> Value {
    if let (Some(paths), Value::Object(mine)) = (doc["paths"].as_object_mut(), openapi_paths()) {
        paths.extend(mine);
    }
    doc
}
