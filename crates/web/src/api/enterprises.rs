//! The enterprise API (list, one, create, edit, corrections, import, export, template) and, until
//! they get their own modules, tokens, the registry, users and the audit log.

use crate::AppState;
use crate::auth::{ApiAuth, bearer, client};
use crate::error::{ApiError, ApiResult, json_body, query};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use lianshi_app::audit::AuditQuery;
use lianshi_app::enterprise::{
    CorrectionPage, CorrectionQuery, CorrectionView, EnterprisePage, EnterpriseQuery,
    EnterpriseView,
};
use lianshi_app::import::{ImportOptions, ImportReport};
use lianshi_app::registry::RegistryInput;
use lianshi_app::user::UserInput;
use lianshi_app::{App, AppError};
use lianshi_domain::enterprise::EnterpriseInput;
use lianshi_domain::zone::RegistryKind;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(super::openapi::document))
        .route("/api/v1/auth/token", post(token).delete(token_revoke))
        .route("/api/v1/me", get(me))
        .route("/api/v1/enterprises", get(list).post(create))
        .route("/api/v1/enterprises/import", post(import))
        .route("/api/v1/enterprises/export", get(export))
        .route("/api/v1/enterprises/template", get(template))
        .route("/api/v1/enterprises/corrections", get(corrections))
        .route(
            "/api/v1/enterprises/corrections/{id}/accept",
            post(correction_accept),
        )
        .route(
            "/api/v1/enterprises/corrections/{id}/reject",
            post(correction_reject),
        )
        .route("/api/v1/enterprises/{uscc}", get(one).put(update))
        .route("/api/v1/zone", get(zone))
        .route("/api/v1/registry", get(registry))
        .route("/api/v1/registry/{kind}", post(registry_create))
        .route("/api/v1/registry/items/{id}", put(registry_update))
        .route("/api/v1/users", get(users).post(user_create))
        .route("/api/v1/audit", get(audit))
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn token(
    State(s): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let c: Credentials = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad(
            "body_invalid",
            "请求体应为 JSON：{\"username\",\"password\"}",
            format!("body must be JSON {{\"username\",\"password\"}}: {e}"),
        )
    })?;
    let login = s
        .app
        .login(&c.username, &c.password, &client(&parts, &s.web), "api")
        .await?;
    Ok(Json(serde_json::json!({
        "token": login.token,
        "token_type": "Bearer",
        "expires_in": lianshi_app::auth::TOKEN_HOURS * 3600,
        "role": login.actor.role,
    })))
}

/// Revoke the bearer token of this request (its holder signs out); 204. A session cookie is
/// not accepted here: browsers sign out with `POST /logout`.
async fn token_revoke(
    State(s): State<AppState>,
    parts: Parts,
) -> ApiResult<axum::http::StatusCode> {
    let t = bearer(&parts).ok_or(AppError::Unauthenticated)?;
    s.app.token_revoke(&t).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

async fn me(ApiAuth(a): ApiAuth) -> Json<lianshi_app::Actor> {
    Json(a)
}

async fn list(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<EnterprisePage>> {
    let q: EnterpriseQuery = query(&parts)?;
    Ok(Json(s.app.enterprise_list(&a, &q).await?))
}

async fn one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(uscc): Path<String>,
) -> ApiResult<Json<EnterpriseView>> {
    Ok(Json(s.app.enterprise_get(&a, &uscc).await?))
}

/// JSON body of create/update: text fields must be strings (or null to clear); counts and money
/// are accepted as numbers or strings. Any other JSON type is a 400 naming the field, never
/// silently turned into text.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EnterpriseJson {
    uscc: Option<serde_json::Value>,
    name: Option<serde_json::Value>,
    industry_code: Option<serde_json::Value>,
    registered_on: Option<serde_json::Value>,
    ownership: Option<serde_json::Value>,
    street: Option<serde_json::Value>,
    park: Option<serde_json::Value>,
    building: Option<serde_json::Value>,
    address: Option<serde_json::Value>,
    chain_nodes: Option<Vec<String>>,
    headcount: Option<serde_json::Value>,
    tech_staff: Option<serde_json::Value>,
    /// Money in fen (integers), as stored.
    revenue_fen: Option<serde_json::Value>,
    rd_spend_fen: Option<serde_json::Value>,
    tax_paid_fen: Option<serde_json::Value>,
    /// Money in 元 (text such as "1200万" accepted).
    revenue_yuan: Option<serde_json::Value>,
    rd_spend_yuan: Option<serde_json::Value>,
    tax_paid_yuan: Option<serde_json::Value>,
    tags: Option<Vec<String>>,
    contact_name: Option<serde_json::Value>,
    contact_phone: Option<serde_json::Value>,
    /// Optimistic lock: the version the client edited.
    version: Option<i64>,
}

/// A text field: a string, or null (clear); a number, boolean, array or object is refused.
fn text(field: &'static str, v: &Option<serde_json::Value>) -> Result<Option<String>, ApiError> {
    match v {
        None => Ok(None),
        Some(serde_json::Value::Null) => Ok(Some(String::new())),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(wrong_type(field, "文本（字符串）", "a string")),
    }
}

/// A count or amount: a number or a string (e.g. "1200万"), or null (clear).
fn number_text(
    field: &'static str,
    v: &Option<serde_json::Value>,
) -> Result<Option<String>, ApiError> {
    match v {
        Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
        Some(serde_json::Value::Bool(_) | serde_json::Value::Array(_))
        | Some(serde_json::Value::Object(_)) => {
            Err(wrong_type(field, "数字或文本", "a number or a string"))
        }
        other => text(field, other),
    }
}

fn wrong_type(field: &'static str, zh: &str, en: &str) -> ApiError {
    ApiError(AppError::Invalid(vec![
        lianshi_domain::enterprise::FieldError {
            field,
            reason: lianshi_domain::Invalid::new(
                "field_type",
                format!("{field} 应为{zh}"),
                format!("{field} must be {en}"),
            ),
        },
    ]))
}

/// Money given in fen (integer) as the 元 text the validator reads; anything else is a 400.
fn fen_to_yuan(
    field: &'static str,
    v: &Option<serde_json::Value>,
) -> Result<Option<String>, ApiError> {
    let fen = match v {
        None => return Ok(None),
        Some(serde_json::Value::Null) => return Ok(Some(String::new())),
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    match fen {
        Some(f) if f > lianshi_domain::enterprise::MAX_MONEY_FEN => {
            Err(ApiError(AppError::Invalid(vec![
                lianshi_domain::enterprise::FieldError {
                    field,
                    reason: lianshi_domain::Invalid::new(
                        "amount_too_large",
                        format!("{field} 金额超出上限：最多 1,000,000,000,000.00 元（一万亿元）"),
                        format!(
                            "{field}: the amount is above the limit of 1,000,000,000,000.00 yuan"
                        ),
                    ),
                },
            ])))
        }
        Some(f) => Ok(Some(lianshi_domain::Money(f).yuan_string())),
        None => Err(ApiError(AppError::bad(
            "money_fen_format",
            format!("{field} 应为以分计的整数"),
            format!("{field} must be a whole number of fen"),
        ))),
    }
}

impl EnterpriseJson {
    fn input(&self) -> Result<EnterpriseInput, ApiError> {
        let money = |yuan_field: &'static str,
                     yuan: &Option<serde_json::Value>,
                     fen_field: &'static str,
                     fen: &Option<serde_json::Value>| {
            match number_text(yuan_field, yuan)? {
                Some(y) => Ok(Some(y)),
                None => fen_to_yuan(fen_field, fen),
            }
        };
        Ok(EnterpriseInput {
            uscc: text("uscc", &self.uscc)?,
            name: text("name", &self.name)?,
            industry_code: text("industry_code", &self.industry_code)?,
            registered_on: text("registered_on", &self.registered_on)?,
            ownership: text("ownership", &self.ownership)?,
            street: text("street", &self.street)?,
            park: text("park", &self.park)?,
            building: text("building", &self.building)?,
            address: text("address", &self.address)?,
            chain_nodes: self.chain_nodes.clone(),
            headcount: number_text("headcount", &self.headcount)?,
            tech_staff: number_text("tech_staff", &self.tech_staff)?,
            revenue_yuan: money(
                "revenue_yuan",
                &self.revenue_yuan,
                "revenue_fen",
                &self.revenue_fen,
            )?,
            rd_spend_yuan: money(
                "rd_spend_yuan",
                &self.rd_spend_yuan,
                "rd_spend_fen",
                &self.rd_spend_fen,
            )?,
            tax_paid_yuan: money(
                "tax_paid_yuan",
                &self.tax_paid_yuan,
                "tax_paid_fen",
                &self.tax_paid_fen,
            )?,
            tags: self.tags.clone(),
            contact_name: text("contact_name", &self.contact_name)?,
            contact_phone: text("contact_phone", &self.contact_phone)?,
        })
    }
}

async fn create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let j: EnterpriseJson = json_body(&body)?;
    let v = s.app.enterprise_create(&a, &j.input()?).await?;
    Ok((axum::http::StatusCode::CREATED, Json(v)))
}

/// 200 when the edit is in force; 202 when (some of) it waits for review as corrections
/// (`proposed_corrections` lists them; the values in force are unchanged).
async fn update(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(uscc): Path<String>,
    body: Bytes,
) -> ApiResult<(axum::http::StatusCode, Json<EnterpriseView>)> {
    let j: EnterpriseJson = json_body(&body)?;
    let v = s
        .app
        .enterprise_update(&a, &uscc, &j.input()?, j.version)
        .await?;
    let status = if v.proposed_corrections.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::ACCEPTED
    };
    Ok((status, Json(v)))
}

async fn corrections(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<CorrectionPage>> {
    let q: CorrectionQuery = query(&parts)?;
    Ok(Json(s.app.correction_list(&a, &q).await?))
}

/// Body of a correction decision: the reason (required to reject).
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct DecisionJson {
    reason: Option<String>,
}

fn decision(body: &Bytes) -> Result<DecisionJson, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(DecisionJson::default());
    }
    json_body(body)
}

async fn correction_accept(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<CorrectionView>> {
    let d = decision(&body)?;
    Ok(Json(
        s.app.correction_accept(&a, id, d.reason.as_deref()).await?,
    ))
}

async fn correction_reject(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<CorrectionView>> {
    let d = decision(&body)?;
    Ok(Json(
        s.app.correction_reject(&a, id, d.reason.as_deref()).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportQuery {
    dry_run: bool,
    skip_invalid: bool,
}

async fn import(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let q: ImportQuery = query(&parts)?;
    let report: ImportReport = s
        .app
        .enterprise_import(
            &a,
            &body,
            ImportOptions {
                dry_run: q.dry_run,
                skip_invalid: q.skip_invalid,
            },
        )
        .await?;
    let status = if report.invalid > 0 && !report.written && !report.dry_run {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, Json(report)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExportQuery {
    format: Option<String>,
    #[serde(flatten)]
    q: EnterpriseQuery,
}

/// A file download response.
pub fn download(bytes: Vec<u8>, xlsx: bool, stem: &str) -> axum::response::Response {
    let (ct, ext) = if xlsx {
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        ("text/csv; charset=utf-8", "csv")
    };
    let disp = format!("attachment; filename=\"{stem}.{ext}\"");
    (
        [
            (header::CONTENT_TYPE, ct.to_string()),
            (header::CONTENT_DISPOSITION, disp),
        ],
        bytes,
    )
        .into_response()
}

async fn export(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<axum::response::Response> {
    let q: ExportQuery = query(&parts)?;
    let xlsx = q.format.as_deref() == Some("xlsx");
    let bytes = s.app.enterprise_export(&a, &q.q, xlsx).await?;
    Ok(download(bytes, xlsx, "enterprises"))
}

async fn template(ApiAuth(_a): ApiAuth, parts: Parts) -> ApiResult<axum::response::Response> {
    let q: ExportQuery = query(&parts)?;
    let xlsx = q.format.as_deref() == Some("xlsx");
    Ok(download(
        App::enterprise_template(xlsx)?,
        xlsx,
        "enterprise-template",
    ))
}

async fn zone(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<serde_json::Value>> {
    let idx = s.app.registry_view(&a).await?;
    Ok(Json(serde_json::json!({ "zone": idx.zone })))
}

async fn registry(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<serde_json::Value>> {
    let idx = s.app.registry_view(&a).await?;
    let mut out = serde_json::Map::new();
    out.insert(
        "zone".into(),
        serde_json::to_value(&idx.zone).unwrap_or_default(),
    );
    for k in RegistryKind::ALL {
        let items: Vec<_> = idx.of_kind(k).collect();
        out.insert(
            k.as_str().into(),
            serde_json::to_value(items).unwrap_or_default(),
        );
    }
    Ok(Json(serde_json::Value::Object(out)))
}

async fn registry_create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(kind): Path<String>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let kind = RegistryKind::parse(&kind).map_err(AppError::from_invalid)?;
    let inp: RegistryInput = json_body(&body)?;
    let id = s.app.registry_create(&a, kind, &inp).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(serde_json::json!({ "id": id })),
    ))
}

async fn registry_update(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let inp: RegistryInput = json_body(&body)?;
    s.app.registry_update(&a, id, &inp).await?;
    Ok(Json(serde_json::json!({ "id": id })))
}

async fn users(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
) -> ApiResult<Json<serde_json::Value>> {
    let users = s.app.user_list(&a).await?;
    Ok(Json(
        serde_json::json!({ "total": users.len(), "items": users }),
    ))
}

async fn user_create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let inp: UserInput = json_body(&body)?;
    let id = s.app.user_create(&a, &inp).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(serde_json::json!({ "id": id })),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuditParams {
    actor: Option<String>,
    action: Option<String>,
    entity: Option<String>,
    entity_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

impl AuditParams {
    pub fn query(&self) -> AuditQuery {
        let per = self.per_page.unwrap_or(50).clamp(1, 500);
        AuditQuery {
            actor: self.actor.clone(),
            action: self.action.clone(),
            entity: self.entity.clone(),
            entity_id: self.entity_id.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            limit: per,
            offset: lianshi_app::bounds::page_offset(self.page.unwrap_or(1), per),
        }
    }
}

async fn audit(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    parts: Parts,
) -> ApiResult<Json<serde_json::Value>> {
    let p: AuditParams = query(&parts)?;
    let (items, total) = s.app.audit_search(&a, &p.query()).await?;
    Ok(Json(serde_json::json!({ "total": total, "items": items })))
}
