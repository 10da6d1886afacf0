//! JSON API of vouchers (`/api/v1/vouchers/…`): schemes with pool figures, rounds, grants,
//! providers and related parties, redemptions and their steps, expiry and the ledger check.
//! Thin handlers over one app function each.
//!
//! Amounts in 元 may be sent as JSON strings (`"12345.67"`) or numbers; either way more than two
//! decimals is refused with `voucher_amount_precision`.

use super::common::{Items, JsonBody, OptionalJson, Params, PathParam, json_body};
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use lianshi_app::voucher::{
    CheckRow, EnterpriseVouchers, ExpireSummary, GrantInput, Provider, ProviderInput,
    RedemptionInput, RedemptionView, Related, RoundInput, RoundView, SchemeInput, SchemeView,
    VoucherView,
};
use lianshi_app::{App, AppError};
use lianshi_domain::voucher::{RedemptionAction, SchemeRules};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(schemes, scheme_create))
        .routes(routes!(scheme_one))
        .routes(routes!(scheme_rules))
        .routes(routes!(round_create))
        .routes(routes!(round_pool))
        .routes(routes!(round_close))
        .routes(routes!(grants, grant))
        .routes(routes!(grant_one))
        .routes(routes!(enterprise))
        .routes(routes!(providers, provider_create))
        .routes(routes!(provider_active))
        .routes(routes!(related_list, related_add))
        .routes(routes!(related_remove))
        .routes(routes!(redemptions, redeem))
        .routes(routes!(redemption_one))
        .routes(routes!(act))
        .routes(routes!(expire))
        .routes(routes!(check))
}

/// The 元 fields of a body (`pool_yuan`, `amount_yuan`, `invoice_yuan`).
const YUAN_FIELDS: [&str; 3] = ["pool_yuan", "amount_yuan", "invoice_yuan"];

/// A JSON body whose 元 fields may be numbers: a number becomes its text, so precision is
/// checked the same way as for text.
pub struct YuanBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for YuanBody<T> {
    type Rejection = crate::error::ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        let JsonBody(mut v): JsonBody<Value> = JsonBody::from_request(req, state).await?;
        for f in YUAN_FIELDS {
            if let Some(x) = v.get_mut(f)
                && let Value::Number(n) = x
            {
                *x = Value::String(n.to_string());
            }
        }
        let body = serde_json::to_vec(&v).unwrap_or_default();
        json_body(&body).map(YuanBody)
    }
}

/// Voucher schemes with their pool figures.
#[utoipa::path(get, path = "/api/v1/vouchers/schemes", tag = "vouchers",
    responses((status = 200, description = "the schemes", body = Items<SchemeView>)))]
async fn schemes(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<Items<SchemeView>>> {
    Ok(Json(Items::of(s.app.voucher_schemes(&a).await?)))
}

/// One scheme with its rules, rounds and pool figures.
#[utoipa::path(get, path = "/api/v1/vouchers/schemes/{scheme}", tag = "vouchers",
    params(("scheme" = String, Path, description = "scheme code or id")),
    responses(
        (status = 200, description = "the scheme", body = SchemeView),
        (status = 404, description = "unknown scheme", body = ErrorBody),
    ))]
async fn scheme_one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(key): PathParam<String>,
) -> ApiResult<Json<SchemeView>> {
    Ok(Json(s.app.voucher_scheme(&a, &key).await?))
}

/// Create a scheme (administrators, department officers).
#[utoipa::path(post, path = "/api/v1/vouchers/schemes", tag = "vouchers",
    request_body = SchemeInput,
    responses(
        (status = 201, description = "the scheme", body = SchemeView),
        (status = 400, description = "invalid fields", body = ErrorBody),
        (status = 409, description = "the code is used", body = ErrorBody),
    ))]
async fn scheme_create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(inp): JsonBody<SchemeInput>,
) -> ApiResult<(StatusCode, Json<SchemeView>)> {
    let v = s.app.voucher_scheme_create(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// A scheme's new rules and, optionally, status.
#[derive(Deserialize, ToSchema)]
struct RulesBody {
    rules: SchemeRules,
    /// `draft`, `active` or `closed` (`voucher_status_invalid` otherwise); absent keeps it.
    #[schema(schema_with = lianshi_app::voucher::scheme_status_schema)]
    status: Option<String>,
}

/// Replace a scheme's rules (and status).
#[utoipa::path(put, path = "/api/v1/vouchers/schemes/{scheme}/rules", tag = "vouchers",
    params(("scheme" = String, Path, description = "scheme code or id")),
    request_body = RulesBody,
    responses(
        (status = 200, description = "the scheme", body = SchemeView),
        (status = 400, description = "invalid rules or status", body = ErrorBody),
        (status = 404, description = "unknown scheme", body = ErrorBody),
    ))]
async fn scheme_rules(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(key): PathParam<String>,
    JsonBody(b): JsonBody<RulesBody>,
) -> ApiResult<Json<SchemeView>> {
    Ok(Json(
        s.app
            .voucher_scheme_rules(&a, &key, &b.rules, b.status.as_deref())
            .await?,
    ))
}

/// Open a round of a scheme with its pool.
#[utoipa::path(post, path = "/api/v1/vouchers/schemes/{scheme}/rounds", tag = "vouchers",
    params(("scheme" = String, Path, description = "scheme code or id")),
    request_body = RoundInput,
    responses(
        (status = 201, description = "the round", body = RoundView),
        (status = 400, description = "invalid dates or pool (voucher_amount_precision)", body = ErrorBody),
        (status = 404, description = "unknown scheme", body = ErrorBody),
        (status = 409, description = "overlapping round", body = ErrorBody),
    ))]
async fn round_create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(key): PathParam<String>,
    YuanBody(inp): YuanBody<RoundInput>,
) -> ApiResult<(StatusCode, Json<RoundView>)> {
    let r = s.app.voucher_round_create(&a, &key, &inp).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// A round's pool correction; `round_id` picks the round when the year has several.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct RoundPoolBody {
    #[schema(schema_with = lianshi_domain::schema::yuan)]
    pool_yuan: String,
    /// Why the pool changes (required, `reason_required`).
    reason: String,
    round_id: Option<i64>,
}

/// Correct a round's pool (not below what is granted).
#[utoipa::path(put, path = "/api/v1/vouchers/schemes/{scheme}/rounds/{year}", tag = "vouchers",
    params(("scheme" = String, Path, description = "scheme code or id"), ("year" = i64, Path, description = "round year")),
    request_body = RoundPoolBody,
    responses(
        (status = 200, description = "the round", body = RoundView),
        (status = 400, description = "invalid pool or no reason", body = ErrorBody),
        (status = 404, description = "unknown scheme or round", body = ErrorBody),
        (status = 409, description = "below what is granted, or several rounds and no round_id", body = ErrorBody),
    ))]
async fn round_pool(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam((key, year)): PathParam<(String, i64)>,
    YuanBody(b): YuanBody<RoundPoolBody>,
) -> ApiResult<Json<RoundView>> {
    Ok(Json(
        s.app
            .voucher_round_set_pool(&a, &key, year, b.round_id, &b.pool_yuan, &b.reason)
            .await?,
    ))
}

/// Which round of the year, when it has several.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct RoundCloseBody {
    round_id: Option<i64>,
}

/// Close a round early (the body is optional).
#[utoipa::path(post, path = "/api/v1/vouchers/schemes/{scheme}/rounds/{year}/close", tag = "vouchers",
    params(("scheme" = String, Path, description = "scheme code or id"), ("year" = i64, Path, description = "round year")),
    request_body(content = Option<RoundCloseBody>, description = "optional"),
    responses(
        (status = 200, description = "the round", body = RoundView),
        (status = 404, description = "unknown scheme or round", body = ErrorBody),
        (status = 409, description = "already closed, or several rounds and no round_id", body = ErrorBody),
    ))]
async fn round_close(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam((key, year)): PathParam<(String, i64)>,
    OptionalJson(b): OptionalJson<RoundCloseBody>,
) -> ApiResult<Json<RoundView>> {
    Ok(Json(
        s.app
            .voucher_round_close(&a, &key, year, b.round_id, App::today())
            .await?,
    ))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct GrantQuery {
    /// Scheme code or id.
    scheme: Option<String>,
}

/// Vouchers granted, in scope.
#[utoipa::path(get, path = "/api/v1/vouchers/grants", tag = "vouchers",
    params(GrantQuery),
    responses(
        (status = 200, description = "the vouchers", body = Items<VoucherView>),
        (status = 404, description = "unknown scheme", body = ErrorBody),
    ))]
async fn grants(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<GrantQuery>,
) -> ApiResult<Json<Items<VoucherView>>> {
    Ok(Json(Items::of(
        s.app.voucher_list(&a, q.scheme.as_deref()).await?,
    )))
}

/// Grant a voucher to an enterprise.
#[utoipa::path(post, path = "/api/v1/vouchers/grants", tag = "vouchers",
    request_body = GrantInput,
    responses(
        (status = 201, description = "the voucher", body = VoucherView),
        (status = 400, description = "invalid amount (voucher_amount_precision) or fields", body = ErrorBody),
        (status = 404, description = "unknown scheme or enterprise", body = ErrorBody),
        (status = 409, description = "refused: pool exhausted, round closed, over the enterprise cap, not eligible", body = ErrorBody),
    ))]
async fn grant(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    YuanBody(inp): YuanBody<GrantInput>,
) -> ApiResult<(StatusCode, Json<VoucherView>)> {
    let v = s.app.voucher_grant(&a, &inp, App::today()).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One voucher with its redemptions.
#[utoipa::path(get, path = "/api/v1/vouchers/grants/{id}", tag = "vouchers",
    params(("id" = i64, Path, description = "voucher id")),
    responses(
        (status = 200, description = "the voucher", body = VoucherView),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
    ))]
async fn grant_one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
) -> ApiResult<Json<VoucherView>> {
    Ok(Json(s.app.voucher_one(&a, id).await?))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct EnterpriseQuery {
    /// Credit code; an enterprise user's own when absent.
    enterprise: Option<String>,
}

/// An enterprise's vouchers and balances.
#[utoipa::path(get, path = "/api/v1/vouchers/enterprise", tag = "vouchers",
    params(EnterpriseQuery),
    responses(
        (status = 200, description = "the vouchers", body = EnterpriseVouchers),
        (status = 400, description = "no enterprise given", body = ErrorBody),
        (status = 404, description = "unknown enterprise, or out of scope", body = ErrorBody),
    ))]
async fn enterprise(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<EnterpriseQuery>,
) -> ApiResult<Json<EnterpriseVouchers>> {
    Ok(Json(
        s.app
            .voucher_enterprise(&a, q.enterprise.as_deref(), false)
            .await?,
    ))
}

/// Registered service providers.
#[utoipa::path(get, path = "/api/v1/vouchers/providers", tag = "vouchers",
    responses((status = 200, description = "the providers", body = Items<Provider>)))]
async fn providers(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<Items<Provider>>> {
    Ok(Json(Items::of(s.app.voucher_providers(&a).await?)))
}

/// Register a service provider (an enterprise in the registry).
#[utoipa::path(post, path = "/api/v1/vouchers/providers", tag = "vouchers",
    request_body = ProviderInput,
    responses(
        (status = 201, description = "the provider", body = Provider),
        (status = 400, description = "invalid fields", body = ErrorBody),
        (status = 404, description = "unknown enterprise", body = ErrorBody),
        (status = 409, description = "already registered", body = ErrorBody),
    ))]
async fn provider_create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(inp): JsonBody<ProviderInput>,
) -> ApiResult<(StatusCode, Json<Provider>)> {
    let p = s.app.voucher_provider_register(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// A related party: a provider and an enterprise that may not trade with vouchers.
#[derive(Deserialize, ToSchema)]
struct RelatedBody {
    /// Provider credit code.
    provider: String,
    /// Enterprise credit code.
    enterprise: String,
    #[serde(default)]
    note: String,
}

/// `{"ok": true}`.
#[derive(Serialize, ToSchema)]
struct Done {
    ok: bool,
}

/// Record a related party.
#[utoipa::path(post, path = "/api/v1/vouchers/related-parties", tag = "vouchers",
    request_body = RelatedBody,
    responses(
        (status = 201, description = "recorded", body = Done),
        (status = 404, description = "unknown provider or enterprise", body = ErrorBody),
        (status = 409, description = "already recorded", body = ErrorBody),
    ))]
async fn related_add(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(b): JsonBody<RelatedBody>,
) -> ApiResult<(StatusCode, Json<Done>)> {
    s.app
        .voucher_related_add(&a, &b.provider, &b.enterprise, &b.note)
        .await?;
    Ok((StatusCode::CREATED, Json(Done { ok: true })))
}

/// Whether the provider may redeem.
#[derive(Deserialize, ToSchema)]
struct ActiveBody {
    active: bool,
}

/// Suspend or reinstate a provider.
#[utoipa::path(put, path = "/api/v1/vouchers/providers/{uscc}/active", tag = "vouchers",
    params(("uscc" = String, Path, description = "provider credit code")),
    request_body = ActiveBody,
    responses(
        (status = 200, description = "the provider", body = Provider),
        (status = 404, description = "unknown provider", body = ErrorBody),
    ))]
async fn provider_active(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(uscc): PathParam<String>,
    JsonBody(b): JsonBody<ActiveBody>,
) -> ApiResult<Json<Provider>> {
    Ok(Json(
        s.app
            .voucher_provider_set_active(&a, &uscc, b.active)
            .await?,
    ))
}

/// Related parties.
#[utoipa::path(get, path = "/api/v1/vouchers/related-parties", tag = "vouchers",
    responses((status = 200, description = "the related parties", body = Items<Related>)))]
async fn related_list(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<Items<Related>>> {
    Ok(Json(Items::of(s.app.voucher_related_list(&a).await?)))
}

/// Remove a related party.
#[utoipa::path(delete, path = "/api/v1/vouchers/related-parties/{provider}/{enterprise}", tag = "vouchers",
    params(("provider" = String, Path, description = "provider credit code"), ("enterprise" = String, Path, description = "enterprise credit code")),
    responses(
        (status = 204, description = "removed"),
        (status = 404, description = "no such record", body = ErrorBody),
    ))]
async fn related_remove(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam((provider, enterprise)): PathParam<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app
        .voucher_related_remove(&a, &provider, &enterprise)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct RedemptionQuery {
    /// Scheme code or id.
    scheme: Option<String>,
    /// `submitted`, `confirmed`, `written_off` or `rejected`.
    status: Option<String>,
}

/// Redemptions in scope.
#[utoipa::path(get, path = "/api/v1/vouchers/redemptions", tag = "vouchers",
    params(RedemptionQuery),
    responses(
        (status = 200, description = "the redemptions", body = Items<RedemptionView>),
        (status = 400, description = "an unknown status", body = ErrorBody),
        (status = 404, description = "unknown scheme", body = ErrorBody),
    ))]
async fn redemptions(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<RedemptionQuery>,
) -> ApiResult<Json<Items<RedemptionView>>> {
    let items = s
        .app
        .voucher_redemptions(&a, q.status.as_deref(), q.scheme.as_deref(), false)
        .await?;
    Ok(Json(Items::of(items)))
}

/// Redeem a voucher (a provider, for an invoice): 201 for a new redemption, 200 when the
/// request key repeats an earlier one (`replayed`).
#[utoipa::path(post, path = "/api/v1/vouchers/redemptions", tag = "vouchers",
    request_body = RedemptionInput,
    responses(
        (status = 200, description = "the earlier redemption of this request key (`replayed`)", body = RedemptionView),
        (status = 201, description = "the redemption", body = RedemptionView),
        (status = 400, description = "invalid amount (voucher_amount_precision) or fields", body = ErrorBody),
        (status = 404, description = "unknown voucher, or out of scope", body = ErrorBody),
        (status = 409, description = "refused: over the balance, expired, related party, suspended provider", body = ErrorBody),
    ))]
async fn redeem(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    YuanBody(inp): YuanBody<RedemptionInput>,
) -> ApiResult<(StatusCode, Json<RedemptionView>)> {
    let r = s.app.voucher_redeem(&a, &inp, App::today()).await?;
    let status = if r.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(r)))
}

/// One redemption with its steps.
#[utoipa::path(get, path = "/api/v1/vouchers/redemptions/{id}", tag = "vouchers",
    params(("id" = i64, Path, description = "redemption id")),
    responses(
        (status = 200, description = "the redemption", body = RedemptionView),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
    ))]
async fn redemption_one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
) -> ApiResult<Json<RedemptionView>> {
    Ok(Json(s.app.voucher_redemption(&a, id).await?))
}

fn redemption_action() -> utoipa::openapi::schema::Schema {
    super::common::schema(
        serde_json::json!({"type": "string", "enum": ["confirm", "write_off", "reject"]}),
    )
}

/// A step on a redemption.
#[derive(Deserialize, ToSchema)]
struct RedemptionActBody {
    /// `confirm`, `write_off` or `reject` (`voucher_action_invalid` otherwise).
    #[schema(schema_with = redemption_action)]
    action: String,
    /// reject: why.
    reason: Option<String>,
}

/// Confirm, write off or reject a redemption.
#[utoipa::path(post, path = "/api/v1/vouchers/redemptions/{id}/actions", tag = "vouchers",
    params(("id" = i64, Path, description = "redemption id")),
    request_body = RedemptionActBody,
    responses(
        (status = 200, description = "the redemption after the step", body = RedemptionView),
        (status = 400, description = "voucher_action_invalid, or no reason to reject", body = ErrorBody),
        (status = 404, description = "unknown, or out of scope", body = ErrorBody),
        (status = 409, description = "the step does not apply in the redemption's state", body = ErrorBody),
    ))]
async fn act(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    JsonBody(b): JsonBody<RedemptionActBody>,
) -> ApiResult<Json<RedemptionView>> {
    let action = RedemptionAction::parse(&b.action).ok_or_else(|| {
        AppError::bad(
            "voucher_action_invalid",
            "操作须为 confirm、write_off 或 reject",
            "action must be confirm, write_off or reject",
        )
    })?;
    Ok(Json(
        s.app
            .voucher_redemption_act(&a, id, action, b.reason.as_deref(), App::today())
            .await?,
    ))
}

/// The day expiry runs as.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct ExpireBody {
    /// `YYYY-MM-DD`; default today.
    on: Option<chrono::NaiveDate>,
}

/// Expire vouchers past their validity and return the unused amounts to the pools. The body is
/// optional.
#[utoipa::path(post, path = "/api/v1/vouchers/expire", tag = "vouchers",
    request_body(content = Option<ExpireBody>, description = "optional"),
    responses((status = 200, description = "what expired", body = ExpireSummary)))]
async fn expire(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    OptionalJson(b): OptionalJson<ExpireBody>,
) -> ApiResult<Json<ExpireSummary>> {
    let on = b.on.unwrap_or_else(App::today);
    Ok(Json(s.app.voucher_expire(&a, on).await?))
}

/// The ledger check: whether every scheme's pool adds up.
#[derive(Serialize, ToSchema)]
struct Check {
    /// Every scheme adds up.
    ok: bool,
    schemes: Vec<CheckRow>,
}

/// Check that every scheme's pool, grants and redemptions add up.
#[utoipa::path(get, path = "/api/v1/vouchers/check", tag = "vouchers",
    responses((status = 200, description = "the check", body = Check)))]
async fn check(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Check>> {
    let rows: Vec<CheckRow> = s.app.voucher_check(&a).await?;
    Ok(Json(Check {
        ok: rows.iter().all(|r| r.ok),
        schemes: rows,
    }))
}
