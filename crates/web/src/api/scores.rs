//! JSON API of innovation points for loans (积分贷) under `/api/v1/scores…`: the indicator model,
//! scoring runs, scores with explanations, consents and loans. The same data the pages show;
//! the app decides who sees what (a finance user only enterprises that consented to its
//! institution). Paths are documented by [`openapi_paths`], merged by [`merge_openapi`].

use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiResult, json_body, query};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use lianshi_app::App;
use lianshi_app::score::ConsentRow;
use lianshi_app::score::{
    ConsentInput, LoanInput, LoanPage, ModelInput, ModelPage, RunReport, ScoreDetail, ScorePage,
    ScoreQuery,
};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/scores", get(list))
        .route("/api/v1/scores/run", post(run))
        .route("/api/v1/scores/model", get(model).put(model_put))
        .route("/api/v1/scores/enterprises/{uscc}", get(one))
        .route("/api/v1/scores/consents", get(consents).put(consent_put))
        .route("/api/v1/scores/loans", get(loans).post(loan_post))
}

async fn list(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<ScorePage>> {
    let q: ScoreQuery = query(&parts)?;
    Ok(Json(s.app.score_list(&a, &q).await?))
}

async fn run(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<RunReport>> {
    Ok(Json(s.app.score_run(&a, App::today()).await?))
}

async fn model(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<ModelPage>> {
    Ok(Json(s.app.score_model(&a).await?))
}

async fn model_put(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: ModelInput = json_body(&body)?;
    let v = s.app.score_model_save(&a, &inp).await?;
    let page = s.app.score_model(&a).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"version": v, "model": page.current})),
    ))
}

async fn one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(uscc): Path<String>,
) -> ApiResult<Json<ScoreDetail>> {
    Ok(Json(s.app.score_detail(&a, &uscc).await?))
}

#[derive(Deserialize, Default)]
struct EnterpriseQ {
    enterprise: Option<String>,
}

async fn consents(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<Value>> {
    let q: EnterpriseQ = query(&parts)?;
    let items: Vec<ConsentRow> = s.app.score_consents(&a, q.enterprise.as_deref()).await?;
    Ok(Json(json!({"items": items})))
}

async fn consent_put(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let inp: ConsentInput = json_body(&body)?;
    let items = s.app.score_consent_set(&a, &inp).await?;
    Ok(Json(json!({"items": items})))
}

async fn loans(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<LoanPage>> {
    Ok(Json(s.app.score_loans(&a).await?))
}

async fn loan_post(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: LoanInput = json_body(&body)?;
    let l = s.app.score_loan_record(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(l)))
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
            m.insert(
                "403".into(),
                err("out of scope for this user (a finance user: the enterprise did not consent)"),
            );
        }
        if let Some(b) = body {
            v["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": b}}});
        }
        v
    };
    let q = |name: &str, desc: &str, ty: &str| json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": ty}});
    let model_schema = json!({"type": "object", "required": ["name", "stages", "dimensions"], "properties": {
        "name": {"type": "string"},
        "stages": {"type": "array", "items": {"type": "object", "required": ["code", "name", "min_yuan"], "properties": {
            "code": {"type": "string"}, "name": {"type": "string"}, "min_yuan": {"type": "integer"},
            "max_yuan": {"type": ["integer", "null"], "description": "exclusive; null only for the last stage"}}}},
        "dimensions": {"type": "array", "items": {"type": "object", "required": ["code", "name", "indicators"], "properties": {
            "code": {"type": "string"}, "name": {"type": "string"},
            "indicators": {"type": "array", "items": {"type": "object", "required": ["code", "weight"], "properties": {
                "code": {"type": "string", "description": "an indicator of the catalogue (GET /api/v1/scores/model)"},
                "weight": {"type": "number", "description": "≥ 0; all weights sum to 100"}}}}}}}}});
    json!({
        "/api/v1/scores": {
            "get": op("Scores of the latest run, best first (admin and department: all; finance: enterprises that consented to its institution)",
                vec![q("stage", "stage code (seed, sapling, growth, expansion, mature)", "string"),
                     q("q", "name substring or credit-code prefix", "string"),
                     q("min", "minimum score 0–100", "number"),
                     q("page", "1-based", "integer"), q("per_page", "1–200, default 50", "integer")],
                None, json!({"200": ok("run, per-stage counts, total and items"), "400": err("unknown stage")}))},
        "/api/v1/scores/run": {
            "post": op("Score every enterprise with the current model (admin); stores scores with per-indicator contributions",
                vec![], None, json!({"200": ok("run id, model version, date, enterprises per stage")}))},
        "/api/v1/scores/model": {
            "get": op("The current indicator model, its versions, the indicator catalogue and the indicators the records lack",
                vec![], None, json!({"200": ok("model page")})),
            "put": op("Save a new model version (admin); refused: score_model_unknown_indicator, score_model_weight_sum, score_model_negative_weight, score_model_duplicate_indicator, score_model_stages, score_model_syntax",
                vec![], Some(json!({"type": "object", "properties": {
                    "model": model_schema, "text": {"type": "string", "description": "the model as JSON text (instead of `model`)"},
                    "note": {"type": "string"}}})),
                json!({"201": ok("the new version"), "400": err("invalid model")}))},
        "/api/v1/scores/enterprises/{uscc}": {
            "get": op("One enterprise's score with its explanation (dimension totals, each indicator's value, percentile within the stage, points)",
                vec![json!({"name": "uscc", "in": "path", "required": true, "schema": {"type": "string"}, "description": "统一社会信用代码"})],
                None, json!({"200": ok("score detail"), "404": err("unknown enterprise or not scored yet")}))},
        "/api/v1/scores/consents": {
            "get": op("The financial institutions and the enterprise's consent to each (enterprise user: its own; admin/department: ?enterprise=)",
                vec![q("enterprise", "credit code", "string")], None, json!({"200": ok("items")})),
            "put": op("Grant or revoke consent to one institution (the enterprise user, for its own enterprise only)",
                vec![], Some(json!({"type": "object", "required": ["institution", "granted"], "properties": {
                    "institution": {"type": "string", "description": "institution code or id (bank or fund)"},
                    "granted": {"type": "boolean"}, "enterprise": {"type": "string", "description": "credit code; own by default"}}})),
                json!({"200": ok("items"), "400": err("unknown institution")}))},
        "/api/v1/scores/loans": {
            "get": op("Loans recorded (finance: its institution; enterprise: its own; admin/department: all) with count and total_fen",
                vec![], None, json!({"200": ok("items, count, total_fen")})),
            "post": op("Record a loan granted to a consenting enterprise (finance user)",
                vec![], Some(json!({"type": "object", "required": ["enterprise", "amount", "rate", "term_months"], "properties": {
                    "enterprise": {"type": "string", "description": "credit code"},
                    "amount": {"type": "string", "description": "元, at most two decimals (also 500万); > 0 (money_precision, score_loan_amount_not_positive)"},
                    "rate": {"type": "string", "description": "annual rate in percent, e.g. 3.45"},
                    "term_months": {"type": "integer"}, "granted_on": {"type": "string", "format": "date"},
                    "note": {"type": "string"}}})),
                json!({"201": ok("the loan"), "400": err("invalid amount, rate, term or date")}))},
    })
}

/// The OpenAPI document with this API's paths added.
pub fn merge_openapi(mut doc: Value) -> Value {
    if let (Some(paths), Value::Object(mine)) = (doc["paths"].as_object_mut(), openapi_paths()) {
        paths.extend(mine);
    }
    doc
}
