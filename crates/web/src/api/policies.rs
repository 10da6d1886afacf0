//! JSON API of benefit policies (`/api/v1/policies…`, `/api/v1/policy-notices…`,
//! `/api/v1/enterprises/{uscc}/policies`). Thin handlers over one app function each.

use super::common::{Listed, OptionalJson, Paged, Params, PathParam, TextBody};
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use lianshi_app::AppError;
use lianshi_app::policy::{
    DecideReport, ExplainView, LoadReport, NoticeRow, PolicyPage, PolicyQuery, PolicyView,
    PushReport, RunRow, SimulateInput, SimulateReport,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(load))
        .routes(routes!(push))
        .routes(routes!(runs))
        .routes(routes!(one, update))
        .routes(routes!(explain))
        .routes(routes!(simulate))
        .routes(routes!(for_enterprise))
        .routes(routes!(notices))
        .routes(routes!(confirm))
        .routes(routes!(decline))
}

/// Policies (filtered, paged).
#[utoipa::path(get, path = "/api/v1/policies", tag = "policies",
    params(PolicyQuery),
    responses(
        (status = 200, description = "one page", body = PolicyPage),
        (status = 400, description = "an unknown filter value", body = ErrorBody),
    ))]
async fn list(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<PolicyQuery>,
) -> ApiResult<Json<PolicyPage>> {
    Ok(Json(s.app.policy_list(&a, &q).await?))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct LoadParams {
    /// The file name shown in errors and the audit log; default `input`.
    file: Option<String>,
}

/// Load a TOML rule file (administrators); every policy in it is type-checked first and
/// nothing is written when one fails.
#[utoipa::path(post, path = "/api/v1/policies/load", tag = "policies",
    params(LoadParams),
    request_body(content = String, content_type = "text/plain", description = "the TOML rule file"),
    responses(
        (status = 200, description = "what was loaded", body = LoadReport),
        (status = 400, description = "the file does not parse or type-check (each error with its line)", body = ErrorBody),
    ))]
async fn load(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(p): Params<LoadParams>,
    TextBody(src): TextBody,
) -> ApiResult<Json<LoadReport>> {
    let file = p.file.unwrap_or_else(|| "input".into());
    Ok(Json(s.app.policy_load_named(&a, &file, &src).await?))
}

/// One policy with its rules, parameters and figures.
#[utoipa::path(get, path = "/api/v1/policies/{code}", tag = "policies",
    params(("code" = String, Path, description = "policy code")),
    responses(
        (status = 200, description = "the policy", body = PolicyView),
        (status = 404, description = "unknown policy", body = ErrorBody),
    ))]
async fn one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(code): PathParam<String>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(s.app.policy_get(&a, &code).await?))
}

/// Replace one policy (administrators); the body is its TOML entry.
#[utoipa::path(put, path = "/api/v1/policies/{code}", tag = "policies",
    params(("code" = String, Path, description = "policy code")),
    request_body(content = String, content_type = "text/plain", description = "the policy's TOML entry"),
    responses(
        (status = 200, description = "the policy", body = PolicyView),
        (status = 400, description = "the entry does not parse or type-check, or names another code", body = ErrorBody),
        (status = 404, description = "unknown policy", body = ErrorBody),
    ))]
async fn update(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(code): PathParam<String>,
    TextBody(src): TextBody,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(s.app.policy_update(&a, &code, &src).await?))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct ExplainParams {
    /// Enterprise id or credit code; an enterprise user's own when absent.
    enterprise_id: Option<String>,
    /// The day the rules are read on; default today.
    on: Option<NaiveDate>,
}

/// Why an enterprise is (not) eligible for a policy, and the amount, step by step.
#[utoipa::path(get, path = "/api/v1/policies/{code}/explain", tag = "policies",
    params(("code" = String, Path, description = "policy code"), ExplainParams),
    responses(
        (status = 200, description = "the explanation", body = ExplainView),
        (status = 400, description = "enterprise_missing", body = ErrorBody),
        (status = 404, description = "unknown policy or enterprise, or out of scope", body = ErrorBody),
    ))]
async fn explain(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(code): PathParam<String>,
    Params(p): Params<ExplainParams>,
) -> ApiResult<Json<ExplainView>> {
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

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct OnParams {
    /// The day the rules are read on; default today.
    on: Option<NaiveDate>,
    /// Only the policies the enterprise is eligible for.
    eligible_only: Option<bool>,
}

/// An enterprise's policies with eligibility and amounts.
#[derive(Serialize, ToSchema)]
struct EnterprisePolicies {
    enterprise_id: i64,
    /// How many of `items` are eligible.
    eligible: usize,
    /// The sum of `items`' amounts.
    total_fen: i64,
    items: Vec<ExplainView>,
}

/// Every policy for one enterprise: eligible or not, why, and how much.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/policies", tag = "policies",
    params(("uscc" = String, Path, description = "credit code or enterprise id"), OnParams),
    responses(
        (status = 200, description = "the policies", body = EnterprisePolicies),
        (status = 404, description = "unknown enterprise, or out of scope", body = ErrorBody),
    ))]
async fn for_enterprise(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(key): PathParam<String>,
    Params(p): Params<OnParams>,
) -> ApiResult<Json<EnterprisePolicies>> {
    let id = s.app.enterprise_ref_visible(&a, &key).await?;
    let mut items = s.app.policy_for_enterprise(&a, id, p.on).await?;
    if p.eligible_only.unwrap_or(false) {
        items.retain(|x| x.eligible);
    }
    let eligible = items.iter().filter(|x| x.eligible).count();
    let total_fen: i64 = items.iter().map(|x| x.amount_fen).sum();
    Ok(Json(EnterprisePolicies {
        enterprise_id: id,
        eligible,
        total_fen,
        items,
    }))
}

/// What-if: the policy's population, eligible count and total under changed parameters. The
/// body is optional.
#[utoipa::path(post, path = "/api/v1/policies/{code}/simulate", tag = "policies",
    params(("code" = String, Path, description = "policy code")),
    request_body(content = Option<SimulateInput>, description = "optional"),
    responses(
        (status = 200, description = "the simulation", body = SimulateReport),
        (status = 400, description = "an unknown parameter or a value of the wrong type", body = ErrorBody),
        (status = 404, description = "unknown policy", body = ErrorBody),
    ))]
async fn simulate(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(code): PathParam<String>,
    OptionalJson(input): OptionalJson<SimulateInput>,
) -> ApiResult<Json<SimulateReport>> {
    Ok(Json(s.app.policy_simulate(&a, &code, &input).await?))
}

/// Push notices (免申即享) to every eligible enterprise not yet notified.
#[utoipa::path(post, path = "/api/v1/policies/push", tag = "policies",
    params(OnParams),
    responses((status = 201, description = "what was pushed", body = PushReport)))]
async fn push(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(p): Params<OnParams>,
) -> ApiResult<(StatusCode, Json<PushReport>)> {
    let r: PushReport = s.app.policy_push(&a, p.on).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The last 50 batch runs.
#[utoipa::path(get, path = "/api/v1/policies/runs", tag = "policies",
    responses((status = 200, description = "the runs, newest first", body = Listed<RunRow>)))]
async fn runs(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Listed<RunRow>>> {
    Ok(Json(Listed::of(s.app.policy_runs(&a, 50).await?)))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct NoticeParams {
    /// Enterprise id or credit code.
    enterprise_id: Option<String>,
    /// `pending`, `confirmed` or `declined`.
    state: Option<String>,
    /// 1-based.
    page: Option<i64>,
    /// 1–500, default 50.
    per_page: Option<i64>,
}

/// Policy notices in scope (an enterprise user sees its own).
#[utoipa::path(get, path = "/api/v1/policy-notices", tag = "policies",
    params(NoticeParams),
    responses(
        (status = 200, description = "one page", body = Paged<NoticeRow>),
        (status = 400, description = "an unknown state", body = ErrorBody),
        (status = 404, description = "unknown enterprise, or out of scope", body = ErrorBody),
    ))]
async fn notices(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(p): Params<NoticeParams>,
) -> ApiResult<Json<Paged<NoticeRow>>> {
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
    Ok(Json(Paged {
        total,
        page,
        per_page,
        items,
    }))
}

/// Confirm a notice (the enterprise accepts the benefit).
#[utoipa::path(post, path = "/api/v1/policy-notices/{id}/confirm", tag = "policies",
    params(("id" = i64, Path, description = "notice id")),
    responses(
        (status = 200, description = "the decision", body = DecideReport),
        (status = 404, description = "unknown notice, or out of scope", body = ErrorBody),
        (status = 409, description = "already decided", body = ErrorBody),
    ))]
async fn confirm(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
) -> ApiResult<Json<DecideReport>> {
    Ok(Json(s.app.policy_notice_confirm(&a, id).await?))
}

/// Why a notice is declined (optional).
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct DeclineBody {
    reason: Option<String>,
}

/// Decline a notice.
#[utoipa::path(post, path = "/api/v1/policy-notices/{id}/decline", tag = "policies",
    params(("id" = i64, Path, description = "notice id")),
    request_body(content = Option<DeclineBody>, description = "optional"),
    responses(
        (status = 200, description = "the decision", body = DecideReport),
        (status = 404, description = "unknown notice, or out of scope", body = ErrorBody),
        (status = 409, description = "already decided", body = ErrorBody),
    ))]
async fn decline(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    OptionalJson(b): OptionalJson<DeclineBody>,
) -> ApiResult<Json<DecideReport>> {
    Ok(Json(
        s.app
            .policy_notice_decline(&a, id, b.reason.as_deref())
            .await?,
    ))
}
