//! JSON API of subsidies (`/api/v1/subsidies/…`): applications and their steps, payouts, the
//! ledger with its totals, reversals, budgets, the batch payout and the yearly report. Thin
//! handlers over one app function each.
//!
//! Refusals (over budget, over the enterprise cap, already paid in the group, wrong state, a
//! reused request key) answer 409 with a stable code; malformed amounts (more than two decimals,
//! negative) answer 400.

use super::common::{JsonBody, Params, PathParam, schema};
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianshi_app::AppError;
use lianshi_app::subsidy::{
    ApplyInput, BudgetInput, LedgerPage, LedgerQuery, PayoutReport, SubsidyDetail, SubsidyPage,
    SubsidyQuery, SubsidyReport,
};
use lianshi_app::subsidy::{Budget as BudgetRow, Entry as EntryRow};
use lianshi_domain::subsidy::{SubsidyAction, parse_amount, payout_key};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, apply))
        .routes(routes!(one))
        .routes(routes!(act))
        .routes(routes!(ledger))
        .routes(routes!(reverse))
        .routes(routes!(budgets, budget_put))
        .routes(routes!(payout))
        .routes(routes!(report))
}

const REFUSALS: &str = "refused: over_budget, no_budget, over_enterprise_cap, already_paid_in_group, subsidy_wrong_state, request_key_reused, policy_closed";

/// List subsidy applications in scope (an enterprise user sees its own).
#[utoipa::path(get, path = "/api/v1/subsidies/applications", tag = "subsidies",
    params(SubsidyQuery),
    responses(
        (status = 200, description = "one page", body = SubsidyPage),
        (status = 400, description = "an unknown filter value", body = ErrorBody),
    ))]
async fn list(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<SubsidyQuery>,
) -> ApiResult<Json<SubsidyPage>> {
    Ok(Json(s.app.subsidy_list(&a, &q).await?))
}

/// One application with its ledger entries, budget line and the steps open to the caller.
#[utoipa::path(get, path = "/api/v1/subsidies/applications/{id}", tag = "subsidies",
    params(("id" = i64, Path, description = "application id")),
    responses(
        (status = 200, description = "the application", body = SubsidyDetail),
        (status = 404, description = "no such application in scope", body = ErrorBody),
    ))]
async fn one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
) -> ApiResult<Json<SubsidyDetail>> {
    Ok(Json(s.app.subsidy_get(&a, id).await?))
}

/// Apply for a subsidy (快申快享); the same `request_key` again returns the same application.
#[utoipa::path(post, path = "/api/v1/subsidies/applications", tag = "subsidies",
    request_body = ApplyInput,
    responses(
        (status = 201, description = "the application with its entries and allowed steps", body = SubsidyDetail),
        (status = 400, description = "money_precision, amount_negative, policy_unknown, enterprise_unknown", body = ErrorBody),
        (status = 404, description = "an unknown policy or enterprise", body = ErrorBody),
        (status = 409, description = REFUSALS, body = ErrorBody),
    ))]
async fn apply(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(inp): JsonBody<ApplyInput>,
) -> ApiResult<(StatusCode, Json<SubsidyDetail>)> {
    let v = s.app.subsidy_apply_input(&a, &inp).await?;
    let d = s.app.subsidy_get(&a, v.row.id).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

fn yuan() -> utoipa::openapi::schema::Schema {
    schema(json!({"type": ["string", "number", "null"],
        "description": "元, at most two decimals (e.g. \"12,345.67\", \"30万\"); more decimals → 400 money_precision, negative → 400 amount_negative"}))
}

fn subsidy_action() -> utoipa::openapi::schema::Schema {
    schema(
        json!({"type": "string", "enum": ["review", "approve", "reject", "withdraw", "disburse"]}),
    )
}

/// A step on an application.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct SubsidyActBody {
    /// `review`, `approve` (with an amount), `reject` (with a reason), `withdraw` or `disburse`.
    #[schema(schema_with = subsidy_action)]
    action: String,
    /// approve: 元 as a string or number.
    #[schema(schema_with = yuan)]
    amount: Option<Value>,
    /// approve: fen, instead of `amount`.
    amount_fen: Option<i64>,
    reason: Option<String>,
    /// disburse: defaults to `payout:<id>`; the same key again returns the same entry.
    request_key: Option<String>,
}

/// Review, approve, reject, withdraw or disburse an application.
#[utoipa::path(post, path = "/api/v1/subsidies/applications/{id}/actions", tag = "subsidies",
    params(("id" = i64, Path, description = "application id")),
    request_body = SubsidyActBody,
    responses(
        (status = 200, description = "the application after the step", body = SubsidyDetail),
        (status = 201, description = "disburse: the ledger entry", body = EntryRow),
        (status = 400, description = "subsidy_action_invalid, amount_required, money_precision, amount_negative, reason_required", body = ErrorBody),
        (status = 404, description = "no such application in scope", body = ErrorBody),
        (status = 409, description = REFUSALS, body = ErrorBody),
    ))]
async fn act(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(b): JsonBody<SubsidyActBody>,
) -> ApiResult<Response> {
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

/// The payout ledger (newest first) with totals per policy and department, all computed from
/// the entries.
#[utoipa::path(get, path = "/api/v1/subsidies/ledger", tag = "subsidies",
    params(LedgerQuery),
    responses(
        (status = 200, description = "one page with totals", body = LedgerPage),
        (status = 400, description = "an unknown filter value", body = ErrorBody),
    ))]
async fn ledger(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<LedgerQuery>,
) -> ApiResult<Json<LedgerPage>> {
    Ok(Json(s.app.subsidy_ledger(&a, &q).await?))
}

/// Why a payout is reversed.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct ReverseBody {
    /// Required (`reason_required`).
    reason: String,
    /// Defaults to `reverse:<id>`; the same key again returns the same entry.
    request_key: Option<String>,
}

/// Correct a payout with a reversing entry (administrators); idempotent by `request_key`.
#[utoipa::path(post, path = "/api/v1/subsidies/ledger/{id}/reverse", tag = "subsidies",
    params(("id" = i64, Path, description = "ledger entry id")),
    request_body = ReverseBody,
    responses(
        (status = 201, description = "the reversing entry", body = EntryRow),
        (status = 400, description = "reason_required", body = ErrorBody),
        (status = 404, description = "no such entry", body = ErrorBody),
        (status = 409, description = "entry_already_reversed, entry_not_reversible, request_key_reused", body = ErrorBody),
    ))]
async fn reverse(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(b): JsonBody<ReverseBody>,
) -> ApiResult<(StatusCode, Json<EntryRow>)> {
    let e: EntryRow = s
        .app
        .subsidy_reverse(&a, id, &b.reason, b.request_key.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(e)))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct YearQuery {
    /// Budget year; all years when absent.
    year: Option<i64>,
}

/// Budget lines (budget, spent, committed, per-enterprise cap).
#[utoipa::path(get, path = "/api/v1/subsidies/budgets", tag = "subsidies",
    params(YearQuery),
    responses((status = 200, description = "the budget lines", body = Vec<BudgetRow>)))]
async fn budgets(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<YearQuery>,
) -> ApiResult<Json<Vec<BudgetRow>>> {
    Ok(Json(s.app.subsidy_budgets(&a, q.year).await?))
}

/// Set a policy's budget for a year and its per-enterprise annual cap.
#[utoipa::path(put, path = "/api/v1/subsidies/budgets", tag = "subsidies",
    request_body = BudgetInput,
    responses(
        (status = 200, description = "the budget line", body = BudgetRow),
        (status = 400, description = "money_precision, amount_negative", body = ErrorBody),
        (status = 404, description = "an unknown policy", body = ErrorBody),
        (status = 409, description = "budget_below_spent", body = ErrorBody),
    ))]
async fn budget_put(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(inp): JsonBody<BudgetInput>,
) -> ApiResult<Json<BudgetRow>> {
    Ok(Json(s.app.subsidy_budget_set(&a, &inp).await?))
}

/// What to pay: `{}` pays every approved application, `{"year": 2026}` those of one year.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
struct PayoutBody {
    year: Option<i64>,
}

/// Pay every approved application (of a year), one transaction per payout under the key
/// `payout:<application id>`. The body is required (`{}` for every year), so an empty request
/// cannot move money by accident.
#[utoipa::path(post, path = "/api/v1/subsidies/payout", tag = "subsidies",
    request_body = PayoutBody,
    responses((status = 200, description = "what was paid and refused", body = PayoutReport)))]
async fn payout(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(b): JsonBody<PayoutBody>,
) -> ApiResult<Json<PayoutReport>> {
    Ok(Json(s.app.subsidy_payout(&a, b.year).await?))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct ReportQuery {
    /// The year (`year_required` when absent).
    #[param(required = true)]
    year: Option<i64>,
}

/// Totals of a year from the ledger: total_fen, by_policy (code → fen), by_department
/// (code → fen).
#[utoipa::path(get, path = "/api/v1/subsidies/report", tag = "subsidies",
    params(ReportQuery),
    responses(
        (status = 200, description = "the totals", body = SubsidyReport),
        (status = 400, description = "year_required", body = ErrorBody),
    ))]
async fn report(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<ReportQuery>,
) -> ApiResult<Json<SubsidyReport>> {
    let year = q.year.ok_or_else(|| {
        ApiError(AppError::bad(
            "year_required",
            "请提供年度 year",
            "the year is required",
        ))
    })?;
    Ok(Json(s.app.subsidy_report(&a, year).await?))
}
