//! JSON API of subsidies (`/api/v1/subsidies/…`): applications and their steps, payouts, the
//! ledger with its totals, reversals, budgets, the batch payout and the yearly report. Thin
//! handlers over one app function each; paths are documented by [`openapi_paths`], merged into the
//! OpenAPI document by [`merge_openapi`].
//!
//! Refusals (over budget, over the enterprise cap, already paid in the group, wrong state, a
//! reused request key) answer 409 with a stable code; malformed amounts (more than two decimals,
//! negative) answer 400.

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
use lianshi_app::AppError;
use lianshi_app::subsidy::{
    ApplyInput, BudgetInput, LedgerPage, LedgerQuery, PayoutReport, SubsidyDetail, SubsidyPage,
    SubsidyQuery, SubsidyReport,
};
use lianshi_app::subsidy::{Budget as BudgetRow, Entry as EntryRow};
use lianshi_domain::subsidy::{SubsidyAction, parse_amount, payout_key};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/subsidies/applications", get(list).post(apply))
        .route("/api/v1/subsidies/applications/{id}", get(one))
        .route("/api/v1/subsidies/applications/{id}/actions", post(act))
        .route("/api/v1/subsidies/ledger", get(ledger))
        .route("/api/v1/subsidies/ledger/{id}/reverse", post(reverse))
        .route("/api/v1/subsidies/budgets", get(budgets).put(budget_put))
        .route("/api/v1/subsidies/payout", post(payout))
        .route("/api/v1/subsidies/report", get(report))
}

async fn list(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<SubsidyPage>> {
    let q: SubsidyQuery = query(&parts)?;
    Ok(Json(s.app.subsidy_list(&a, &q).await?))
}

async fn one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<SubsidyDetail>> {
    Ok(Json(s.app.subsidy_get(&a, id).await?))
}

async fn apply(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: ApplyInput = json_body(&body)?;
    let v = s.app.subsidy_apply_input(&a, &inp).await?;
    let d = s.app.subsidy_get(&a, v.row.id).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActBody {
    action: String,
    /// approve: 元 as a string or number.
    amount: Option<Value>,
    amount_fen: Option<i64>,
    reason: Option<String>,
    /// disburse: defaults to `payout:<id>`.
    request_key: Option<String>,
}

/// `{"action": "review" | "approve" | "reject" | "withdraw" | "disburse", …}`.
async fn act(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<axum::response::Response> {
    let b: ActBody = json_body(&body)?;
    let action = match b.action.as_str() {
        "review" => SubsidyAction::Review,
        "withdraw" => SubsidyAction::Withdraw,
        "reject" => SubsidyAction::Reject {
            reason: b.reason.unwrap_or_default(),
        },
        "approve" => {
            let fen = match (b.amount_fen, &b.amount) {
                (Some(f), _) => lianshi_domain::subsidy::check_amount(f),
                (None, Some(Value::Number(n))) => parse_amount(&n.to_string()),
                (None, Some(Value::String(t))) => parse_amount(t),
                _ => {
                    return Err(ApiError(AppError::bad(
                        "amount_required",
                        "请填写批准金额",
                        "the approved amount is required",
                    )));
                }
            }
            .map_err(AppError::from_invalid)?;
            SubsidyAction::Approve { amount_fen: fen }
        }
        "disburse" => {
            let key = b
                .request_key
                .filter(|k| !k.trim().is_empty())
                .unwrap_or_else(|| payout_key(id));
            let e = s.app.subsidy_disburse(&a, id, &key).await?;
            return Ok((StatusCode::CREATED, Json(e)).into_response());
        }
        other => {
            return Err(ApiError(AppError::bad(
                "subsidy_action_invalid",
                format!("无法识别的操作“{other}”"),
                format!("unknown action '{other}'"),
            )));
        }
    };
    Ok(Json(s.app.subsidy_act(&a, id, &action).await?).into_response())
}

async fn ledger(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<LedgerPage>> {
    let q: LedgerQuery = query(&parts)?;
    Ok(Json(s.app.subsidy_ledger(&a, &q).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReverseBody {
    reason: String,
    request_key: Option<String>,
}

async fn reverse(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let b: ReverseBody = json_body(&body)?;
    let e: EntryRow = s
        .app
        .subsidy_reverse(&a, id, &b.reason, b.request_key.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(e)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct YearQuery {
    year: Option<i64>,
}

async fn budgets(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<Vec<BudgetRow>>> {
    let q: YearQuery = query(&parts)?;
    Ok(Json(s.app.subsidy_budgets(&a, q.year).await?))
}

async fn budget_put(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<Json<BudgetRow>> {
    let inp: BudgetInput = json_body(&body)?;
    Ok(Json(s.app.subsidy_budget_set(&a, &inp).await?))
}

async fn payout(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<Json<PayoutReport>> {
    let q: YearQuery = if body.is_empty() {
        YearQuery::default()
    } else {
        json_body(&body)?
    };
    Ok(Json(s.app.subsidy_payout(&a, q.year).await?))
}

async fn report(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<SubsidyReport>> {
    let q: YearQuery = query(&parts)?;
    let year = q.year.ok_or_else(|| {
        ApiError(AppError::bad(
            "year_required",
            "请提供年度 year",
            "the year is required",
        ))
    })?;
    Ok(Json(s.app.subsidy_report(&a, year).await?))
}

/// The OpenAPI paths of this module.
pub fn openapi_paths() -> Value {
    let secured = json!([{"bearer": []}]);
    let err = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let ok = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"type": "object"}}}});
    let op = |summary: &str, params: Vec<Value>, body: Option<Value>, responses: Value| {
        let mut v = json!({"summary": summary, "tags": ["subsidies"], "parameters": params, "responses": responses, "security": secured.clone()});
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
    let money = json!({"oneOf": [{"type": "string"}, {"type": "number"}], "description": "元, at most two decimals (e.g. \"12,345.67\", \"30万\"); more decimals → 400 money_precision, negative → 400 amount_negative"});
    let refusals = "refused: over_budget, no_budget, over_enterprise_cap, already_paid_in_group, subsidy_wrong_state, request_key_reused, policy_closed";
    json!({
        "/api/v1/subsidies/applications": {
            "get": op("List subsidy applications in scope (an enterprise user sees its own)",
                vec![q("policy", "policy code or id", "string"), q("state", "submitted | reviewing | approved | rejected | withdrawn | disbursed | reversed", "string"),
                     q("year", "budget year", "integer"), q("enterprise", "credit code", "string"), q("page", "1-based", "integer"), q("per_page", "1–500", "integer")],
                None, json!({"200": ok("{items, total, page, per_page}"), "400": err("bad filter")})),
            "post": op("Apply for a subsidy (快申快享); the same request_key again returns the same application",
                vec![], Some(json!({"type": "object", "required": ["policy", "amount"], "properties": {
                    "policy": {"type": "string", "description": "policy code or id"},
                    "enterprise": {"type": "string", "description": "credit code (staff); an enterprise user's own when omitted"},
                    "amount": money.clone(), "amount_fen": {"type": "integer"}, "year": {"type": "integer"},
                    "note": {"type": "string"}, "request_key": {"type": "string"}}})),
                json!({"201": ok("the application with its entries and allowed steps"), "400": err("money_precision, amount_negative, policy_unknown, enterprise_unknown"), "409": err(refusals)}))
        },
        "/api/v1/subsidies/applications/{id}": {
            "get": op("One application with its ledger entries, budget line and the steps open to the caller", vec![id.clone()], None,
                json!({"200": ok("SubsidyDetail"), "404": err("no such application")}))
        },
        "/api/v1/subsidies/applications/{id}/actions": {
            "post": op("Review, approve (amount), reject (reason), withdraw or disburse (request_key, default payout:<id>; the same key again returns the same entry)",
                vec![id.clone()], Some(json!({"type": "object", "required": ["action"], "properties": {
                    "action": {"type": "string", "enum": ["review", "approve", "reject", "withdraw", "disburse"]},
                    "amount": money.clone(), "amount_fen": {"type": "integer"}, "reason": {"type": "string"}, "request_key": {"type": "string"}}})),
                json!({"200": ok("the application after the step"), "201": ok("disburse: the ledger entry"), "400": err("money_precision, amount_negative, reason_required"), "409": err(refusals)}))
        },
        "/api/v1/subsidies/ledger": {
            "get": op("The payout ledger (newest first) with totals per policy and department, all computed from the entries",
                vec![q("year", "budget year", "integer"), q("policy", "policy code or id", "string"), q("department", "department code", "string"),
                     q("page", "1-based", "integer"), q("per_page", "1–500", "integer")],
                None, json!({"200": ok("{items, total, total_fen, by_policy, by_department}")}))
        },
        "/api/v1/subsidies/ledger/{id}/reverse": {
            "post": op("Correct a payout with a reversing entry (administrators); idempotent by request_key (default reverse:<id>)",
                vec![id.clone()], Some(json!({"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}, "request_key": {"type": "string"}}})),
                json!({"201": ok("the reversing entry"), "400": err("reason_required"), "409": err("entry_already_reversed, entry_not_reversible, request_key_reused")}))
        },
        "/api/v1/subsidies/budgets": {
            "get": op("Budget lines (budget, spent, committed, per-enterprise cap)", vec![q("year", "budget year", "integer")], None, json!({"200": ok("array of budget lines")})),
            "put": op("Set a policy's budget for a year and its per-enterprise annual cap", vec![],
                Some(json!({"type": "object", "required": ["policy", "year", "budget"], "properties": {
                    "policy": {"type": "string"}, "year": {"type": "integer"}, "budget": money.clone(), "budget_fen": {"type": "integer"},
                    "enterprise_cap": money, "enterprise_cap_fen": {"type": "integer"}}})),
                json!({"200": ok("the budget line"), "409": err("budget_below_spent")}))
        },
        "/api/v1/subsidies/payout": {
            "post": op("Pay every approved application (of a year), one transaction per payout under the key payout:<application id>",
                vec![], Some(json!({"type": "object", "properties": {"year": {"type": "integer"}}})),
                json!({"200": ok("{paid, refused, total_fen}")}))
        },
        "/api/v1/subsidies/report": {
            "get": op("Totals of a year from the ledger: total_fen, by_policy (code → fen), by_department (code → fen)",
                vec![json!({"name": "year", "in": "query", "required": true, "schema": {"type": "integer"}})], None,
                json!({"200": ok("{year, total_fen, by_policy, by_department}"), "400": err("year_required")}))
        }
    })
}

/// Add this module's paths to the OpenAPI document.
pub fn merge_openapi(mut doc: Value) -> Value {
    if let (Some(paths), Value::Object(mine)) = (doc["paths"].as_object_mut(), openapi_paths()) {
        paths.extend(mine);
    }
    doc
}
