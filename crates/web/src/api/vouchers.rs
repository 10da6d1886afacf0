//! JSON API of vouchers (`/api/v1/vouchers/…`): schemes with pool figures, rounds, grants,
//! providers and related parties, redemptions and their steps, expiry and the ledger check.
//! Thin handlers over one app function each; paths are documented by [`openapi_paths`],
//! merged into the OpenAPI document by [`merge_openapi`].
//!
//! Amounts in 元 may be sent as JSON strings (`"12345.67"`) or numbers; either way more than two
//! decimals is refused with `voucher_amount_precision`.

use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiResult, json_body, query};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use lianshi_app::App;
use lianshi_app::AppError;
use lianshi_app::voucher::{
    CheckRow, EnterpriseVouchers, ExpireSummary, GrantInput, ProviderInput, RedemptionInput,
    RedemptionView, RoundInput, RoundView, SchemeInput, SchemeView, VoucherView,
};
use lianshi_domain::voucher::{RedemptionAction, SchemeRules};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/vouchers/schemes", get(schemes).post(scheme_create))
        .route("/api/v1/vouchers/schemes/{scheme}", get(scheme_one))
        .route("/api/v1/vouchers/schemes/{scheme}/rules", put(scheme_rules))
        .route(
            "/api/v1/vouchers/schemes/{scheme}/rounds",
            post(round_create),
        )
        .route(
            "/api/v1/vouchers/schemes/{scheme}/rounds/{year}",
            put(round_pool),
        )
        .route(
            "/api/v1/vouchers/schemes/{scheme}/rounds/{year}/close",
            post(round_close),
        )
        .route("/api/v1/vouchers/grants", get(grants).post(grant))
        .route("/api/v1/vouchers/grants/{id}", get(grant_one))
        .route("/api/v1/vouchers/enterprise", get(enterprise))
        .route(
            "/api/v1/vouchers/providers",
            get(providers).post(provider_create),
        )
        .route(
            "/api/v1/vouchers/providers/{uscc}/active",
            put(provider_active),
        )
        .route(
            "/api/v1/vouchers/related-parties",
            get(related_list).post(related_add),
        )
        .route(
            "/api/v1/vouchers/related-parties/{provider}/{enterprise}",
            delete(related_remove),
        )
        .route(
            "/api/v1/vouchers/redemptions",
            get(redemptions).post(redeem),
        )
        .route("/api/v1/vouchers/redemptions/{id}", get(redemption_one))
        .route("/api/v1/vouchers/redemptions/{id}/actions", post(act))
        .route("/api/v1/vouchers/expire", post(expire))
        .route("/api/v1/vouchers/check", get(check))
}

/// A JSON number in a 元 field becomes its text, so precision is checked the same way.
fn yuan_as_text(v: &mut Value, fields: &[&str]) {
    for f in fields {
        if let Some(x) = v.get_mut(*f)
            && let Value::Number(n) = x
        {
            *x = Value::String(n.to_string());
        }
    }
}

fn body_with_yuan<T: serde::de::DeserializeOwned>(body: &Bytes, fields: &[&str]) -> ApiResult<T> {
    let mut v: Value = json_body(body)?;
    yuan_as_text(&mut v, fields);
    serde_json::from_value(v).map_err(|e| {
        AppError::bad(
            "body_invalid",
            format!("请求体 JSON 无效：{e}"),
            format!("invalid JSON body: {e}"),
        )
        .into()
    })
}

async fn schemes(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Value>> {
    let items = s.app.voucher_schemes(&a).await?;
    Ok(Json(json!({ "items": items })))
}

async fn scheme_one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(key): Path<String>,
) -> ApiResult<Json<SchemeView>> {
    Ok(Json(s.app.voucher_scheme(&a, &key).await?))
}

async fn scheme_create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: SchemeInput = json_body(&body)?;
    let v = s.app.voucher_scheme_create(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Deserialize)]
struct RulesBody {
    rules: SchemeRules,
    status: Option<String>,
}

async fn scheme_rules(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult<Json<SchemeView>> {
    let b: RulesBody = json_body(&body)?;
    Ok(Json(
        s.app
            .voucher_scheme_rules(&a, &key, &b.rules, b.status.as_deref())
            .await?,
    ))
}

async fn round_create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(key): Path<String>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: RoundInput = body_with_yuan(&body, &["pool_yuan"])?;
    let r = s.app.voucher_round_create(&a, &key, &inp).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// A round's pool correction; `round_id` picks the round when the year has several.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RoundPoolBody {
    pool_yuan: String,
    reason: String,
    round_id: Option<i64>,
}

async fn round_pool(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((key, year)): Path<(String, i64)>,
    body: Bytes,
) -> ApiResult<Json<RoundView>> {
    let b: RoundPoolBody = body_with_yuan(&body, &["pool_yuan"])?;
    Ok(Json(
        s.app
            .voucher_round_set_pool(&a, &key, year, b.round_id, &b.pool_yuan, &b.reason)
            .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoundCloseBody {
    round_id: Option<i64>,
}

async fn round_close(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((key, year)): Path<(String, i64)>,
    body: Bytes,
) -> ApiResult<Json<RoundView>> {
    let b: RoundCloseBody = if body.is_empty() {
        RoundCloseBody::default()
    } else {
        json_body(&body)?
    };
    Ok(Json(
        s.app
            .voucher_round_close(&a, &key, year, b.round_id, App::today())
            .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    scheme: Option<String>,
    status: Option<String>,
    enterprise: Option<String>,
}

async fn grants(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<Value>> {
    let q: ListQuery = query(&parts)?;
    let items = s.app.voucher_list(&a, q.scheme.as_deref()).await?;
    Ok(Json(json!({ "items": items })))
}

async fn grant(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: GrantInput = body_with_yuan(&body, &["amount_yuan"])?;
    let v = s.app.voucher_grant(&a, &inp, App::today()).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

async fn grant_one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<VoucherView>> {
    Ok(Json(s.app.voucher_one(&a, id).await?))
}

async fn enterprise(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<EnterpriseVouchers>> {
    let q: ListQuery = query(&parts)?;
    Ok(Json(
        s.app
            .voucher_enterprise(&a, q.enterprise.as_deref(), false)
            .await?,
    ))
}

async fn providers(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Value>> {
    let items = s.app.voucher_providers(&a).await?;
    Ok(Json(json!({ "items": items })))
}

async fn provider_create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: ProviderInput = json_body(&body)?;
    let p = s.app.voucher_provider_register(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[derive(Deserialize)]
struct RelatedBody {
    provider: String,
    enterprise: String,
    #[serde(default)]
    note: String,
}

async fn related_add(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let b: RelatedBody = json_body(&body)?;
    s.app
        .voucher_related_add(&a, &b.provider, &b.enterprise, &b.note)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({"ok": true}))))
}

#[derive(Deserialize)]
struct ActiveBody {
    active: bool,
}

async fn provider_active(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(uscc): Path<String>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let b: ActiveBody = json_body(&body)?;
    Ok(Json(
        s.app
            .voucher_provider_set_active(&a, &uscc, b.active)
            .await?,
    ))
}

async fn related_list(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Value>> {
    let items = s.app.voucher_related_list(&a).await?;
    Ok(Json(json!({ "items": items })))
}

async fn related_remove(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((provider, enterprise)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    s.app
        .voucher_related_remove(&a, &provider, &enterprise)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn redemptions(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<Value>> {
    let q: ListQuery = query(&parts)?;
    let items = s
        .app
        .voucher_redemptions(&a, q.status.as_deref(), q.scheme.as_deref(), false)
        .await?;
    Ok(Json(json!({ "items": items })))
}

/// 201 for a new redemption, 200 when the request key repeats an earlier one (`replayed`).
async fn redeem(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: RedemptionInput = body_with_yuan(&body, &["invoice_yuan"])?;
    let r = s.app.voucher_redeem(&a, &inp, App::today()).await?;
    let status = if r.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(r)))
}

async fn redemption_one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> ApiResult<Json<RedemptionView>> {
    Ok(Json(s.app.voucher_redemption(&a, id).await?))
}

#[derive(Deserialize)]
struct ActBody {
    action: String,
    reason: Option<String>,
}

async fn act(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<RedemptionView>> {
    let b: ActBody = json_body(&body)?;
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

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExpireBody {
    on: Option<String>,
}

async fn expire(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<Json<ExpireSummary>> {
    let b: ExpireBody = if body.is_empty() {
        ExpireBody::default()
    } else {
        json_body(&body)?
    };
    let on = match b.on.as_deref().filter(|x| !x.trim().is_empty()) {
        Some(d) => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
            AppError::bad(
                "voucher_date_invalid",
                "日期格式应为 YYYY-MM-DD",
                "expected YYYY-MM-DD",
            )
        })?,
        None => App::today(),
    };
    Ok(Json(s.app.voucher_expire(&a, on).await?))
}

async fn check(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Value>> {
    let rows: Vec<CheckRow> = s.app.voucher_check(&a).await?;
    let ok = rows.iter().all(|r| r.ok);
    Ok(Json(json!({"ok": ok, "schemes": rows})))
}

/// OpenAPI paths of this module.
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
    let q = |name: &str, desc: &str| json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": "string"}});
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let scheme = json!({"name": "scheme", "in": "path", "required": true, "description": "scheme id or code", "schema": {"type": "string"}});
    let year = json!({"name": "year", "in": "path", "required": true, "description": "the round's year", "schema": {"type": "integer"}});
    let rules = json!({"type": "object", "description": "SchemeRules: tiers are checked in order, the first match applies", "properties": {
        "tiers": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "label_zh": {"type": "string"}, "label_en": {"type": "string"},
            "rate_bp": {"type": "integer", "description": "basis points, 3000 = 30 %"},
            "compute": {"type": ["string", "null"], "enum": ["domestic", "other", null]},
            "max_annual_contracts_fen": {"type": ["integer", "null"], "description": "the year's declared contracts incl. this one at most"},
            "sizes": {"type": "array", "items": {"type": "string"}},
            "service_types": {"type": "array", "items": {"type": "string"}}}}},
        "annual_cap_fen": {"type": ["integer", "null"]}, "per_application_cap_fen": {"type": ["integer", "null"]},
        "full_offset_below_fen": {"type": ["integer", "null"]}, "validity_days": {"type": "integer"},
        "service_types": {"type": "array", "items": {"type": "string"}}}});
    let refusals = "voucher_related_party, voucher_contract_already_subsidised, voucher_expired, voucher_not_granted, voucher_balance_insufficient, voucher_annual_cap_exceeded, voucher_provider_not_registered, voucher_provider_inactive, voucher_request_key_reused";
    json!({
        "/api/v1/vouchers/schemes": {
            "get": op("Voucher schemes with pool figures (issued, redeemed, outstanding, expired) computed from the records", vec![], None,
                json!({"200": ok("{items: [SchemeView]}")})),
            "post": op("Create a scheme (admin, department)", vec![],
                Some(json!({"type": "object", "required": ["code", "kind", "name", "rules"], "properties": {
                    "code": {"type": "string"}, "kind": {"type": "string", "enum": ["innovation", "compute", "model"]},
                    "name": {"type": "string"}, "issuer": {"type": "string"}, "legal_ref": {"type": "string"},
                    "status": {"type": "string", "enum": ["active", "closed", "draft"]}, "rules": rules.clone()}})),
                json!({"201": ok("SchemeView"), "400": err("invalid rules"), "409": err("code exists")}))},
        "/api/v1/vouchers/schemes/{scheme}": {"get": op("One scheme with its rounds", vec![scheme.clone()], None,
            json!({"200": ok("SchemeView"), "404": err("unknown")}))},
        "/api/v1/vouchers/schemes/{scheme}/rules": {"put": op("Replace a scheme's rules and status", vec![scheme.clone()],
            Some(json!({"type": "object", "required": ["rules"], "properties": {"rules": rules, "status": {"type": "string"}}})),
            json!({"200": ok("SchemeView"), "400": err("invalid rules")}))},
        "/api/v1/vouchers/schemes/{scheme}/rounds": {"post": op("Open a round with a pool budget", vec![scheme.clone()],
            Some(json!({"type": "object", "required": ["pool_yuan", "opens_on", "closes_on"], "properties": {
                "name": {"type": "string"}, "year": {"type": "integer"}, "pool_yuan": {"type": "string", "description": "元, ≤ 2 decimals, 万/亿 accepted"},
                "opens_on": {"type": "string", "format": "date"}, "closes_on": {"type": "string", "format": "date"},
                "valid_until": {"type": "string", "format": "date"}}})),
            json!({"201": ok("RoundView"), "400": err("invalid amount or dates; amount_too_large above 10^12 元")}))},
        "/api/v1/vouchers/schemes/{scheme}/rounds/{year}": {"put": op("Correct a round's pool (admin, department; audited)", vec![scheme.clone(), year.clone()],
            Some(json!({"type": "object", "required": ["pool_yuan"], "properties": {
                "pool_yuan": {"type": "string", "description": "元, ≤ 2 decimals, at most 10^12 元"},
                "reason": {"type": "string"}, "round_id": {"type": ["integer", "null"], "description": "when the year has several rounds"}}})),
            json!({"200": ok("RoundView"), "400": err("invalid amount (amount_too_large names the field)"), "404": err("no such round"),
                "409": err("voucher_pool_below_issued, voucher_round_ambiguous")}))},
        "/api/v1/vouchers/schemes/{scheme}/rounds/{year}/close": {"post": op("Close a round: no grants after yesterday, the pool shrinks to the quota granted (admin, department; audited)", vec![scheme.clone(), year],
            Some(json!({"type": "object", "properties": {"round_id": {"type": ["integer", "null"]}}})),
            json!({"200": ok("RoundView"), "404": err("no such round"), "409": err("voucher_round_ambiguous")}))},
        "/api/v1/vouchers/grants": {
            "get": op("Granted vouchers (staff)", vec![q("scheme", "scheme id or code")], None, json!({"200": ok("{items: [VoucherView]}")})),
            "post": op("Grant quota (发券) to an enterprise from a round's pool", vec![],
                Some(json!({"type": "object", "required": ["round_id", "enterprise", "amount_yuan"], "properties": {
                    "round_id": {"type": "integer"}, "enterprise": {"type": "string", "description": "credit code"},
                    "amount_yuan": {"type": "string"}}})),
                json!({"201": ok("VoucherView"), "400": err("invalid amount"),
                       "409": err("voucher_pool_exhausted, voucher_annual_cap_exceeded, voucher_already_granted, voucher_round_closed")}))},
        "/api/v1/vouchers/grants/{id}": {"get": op("One voucher", vec![id.clone()], None, json!({"200": ok("VoucherView"), "404": err("unknown")}))},
        "/api/v1/vouchers/enterprise": {"get": op("An enterprise's vouchers and redemptions (an enterprise user: its own)",
            vec![q("enterprise", "credit code (staff)")], None, json!({"200": ok("EnterpriseVouchers")}))},
        "/api/v1/vouchers/providers": {
            "get": op("Registered service providers (staff)", vec![], None, json!({"200": ok("{items: [Provider]}")})),
            "post": op("Register a provider, optionally linked to a provider account", vec![],
                Some(json!({"type": "object", "required": ["name", "uscc", "kinds"], "properties": {
                    "username": {"type": "string"}, "name": {"type": "string"}, "uscc": {"type": "string"},
                    "kinds": {"type": "array", "items": {"type": "string", "enum": ["innovation", "compute", "model"]}}}})),
                json!({"201": ok("Provider"), "409": err("already registered")}))},
        "/api/v1/vouchers/related-parties": {
            "get": op("Related-party records (staff)", vec![], None, json!({"200": ok("{items: [RelatedRow]}")})),
            "post": op("Record a provider and an enterprise as related parties", vec![],
            Some(json!({"type": "object", "required": ["provider", "enterprise"], "properties": {
                "provider": {"type": "string", "description": "provider credit code"}, "enterprise": {"type": "string"}, "note": {"type": "string"}}})),
            json!({"201": ok("ok")}))},
        "/api/v1/vouchers/related-parties/{provider}/{enterprise}": {"delete": op("Remove a related-party record entered by mistake (admin, department)",
            vec![json!({"name": "provider", "in": "path", "required": true, "description": "provider credit code", "schema": {"type": "string"}}),
                 json!({"name": "enterprise", "in": "path", "required": true, "description": "enterprise credit code", "schema": {"type": "string"}})], None,
            json!({"204": {"description": "removed"}, "404": err("no such record")}))},
        "/api/v1/vouchers/providers/{uscc}/active": {"put": op("Deactivate a provider (it can no longer submit redemptions; submitted ones go on) or activate it again",
            vec![json!({"name": "uscc", "in": "path", "required": true, "description": "provider credit code", "schema": {"type": "string"}})],
            Some(json!({"type": "object", "required": ["active"], "properties": {"active": {"type": "boolean"}}})),
            json!({"200": ok("Provider"), "404": err("unknown provider")}))},
        "/api/v1/vouchers/redemptions": {
            "get": op("Redemptions: a provider its own, an enterprise its own, staff all",
                vec![q("status", "submitted | confirmed | written_off | rejected"), q("scheme", "scheme id or code")], None,
                json!({"200": ok("{items: [RedemptionView]}")})),
            "post": op("Submit a redemption (provider). The voucher amount is computed from the scheme's tiers and caps. The same request_key returns the first answer with 200 and replayed=true", vec![],
                Some(json!({"type": "object", "required": ["enterprise", "scheme", "contract_no", "invoice_yuan", "service_type", "request_key"], "properties": {
                    "enterprise": {"type": "string"}, "scheme": {"type": "string"}, "contract_no": {"type": "string"},
                    "invoice_yuan": {"type": ["string", "number"], "description": "元, at most 2 decimals"},
                    "compute": {"type": "string", "enum": ["domestic", "other"]}, "service_type": {"type": "string"},
                    "request_key": {"type": "string"}, "provider": {"type": "string", "description": "admin filing for a provider"}}})),
                json!({"201": ok("RedemptionView"), "200": ok("replayed RedemptionView"),
                       "400": err("voucher_amount_precision, voucher_amount_not_positive, voucher_amount_format"),
                       "409": err(refusals)}))},
        "/api/v1/vouchers/redemptions/{id}": {"get": op("One redemption", vec![id.clone()], None, json!({"200": ok("RedemptionView"), "404": err("unknown")}))},
        "/api/v1/vouchers/redemptions/{id}/actions": {"post": op("Confirm (enterprise), write off (核销, platform) or reject. Repeating a done step returns it unchanged", vec![id],
            Some(json!({"type": "object", "required": ["action"], "properties": {
                "action": {"type": "string", "enum": ["confirm", "write_off", "reject"]}, "reason": {"type": "string"}}})),
            json!({"200": ok("RedemptionView"), "409": err("voucher_transition_refused, voucher_expired")}))},
        "/api/v1/vouchers/expire": {"post": op("Expire vouchers whose validity ended before `on` (default today); unused amounts return to the pool", vec![],
            Some(json!({"type": "object", "properties": {"on": {"type": "string", "format": "date"}}})), json!({"200": ok("ExpireSummary")}))},
        "/api/v1/vouchers/check": {"get": op("Ledger check: issued = redeemed + outstanding + expired per scheme", vec![], None,
            json!({"200": ok("{ok, schemes: [CheckRow]}")}))}
    })
}

/// Add this module's paths to the OpenAPI document.
pub fn merge_openapi(mut doc: Value) -> Value {
    if let (Some(paths), Value::Object(mine)) = (doc["paths"].as_object_mut(), openapi_paths()) {
        paths.extend(mine);
    }
    doc
}
