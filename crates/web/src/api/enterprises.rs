//! The enterprise API: list, one, create, edit, corrections and their review, import, export
//! and the import template.

use super::common::{JsonBody, OptionalJson, Params, PathParam, schema};
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use lianshi_app::enterprise::{
    CorrectionPage, CorrectionQuery, CorrectionView, EnterprisePage, EnterpriseQuery,
    EnterpriseView,
};
use lianshi_app::import::{ImportOptions, ImportReport};
use lianshi_app::{App, AppError};
use lianshi_domain::enterprise::EnterpriseInput;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(import))
        .routes(routes!(export))
        .routes(routes!(template))
        .routes(routes!(corrections))
        .routes(routes!(correction_accept))
        .routes(routes!(correction_reject))
        .routes(routes!(one, update))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// List enterprises in the caller's scope (filtered, paged; totals count only the scope).
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "enterprises",
    params(EnterpriseQuery),
    responses(
        (status = 200, description = "one page", body = EnterprisePage),
        (status = 400, description = "a filter value that names nothing (`filter_unknown`), or a malformed query", body = ErrorBody),
    ))]
async fn list(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<EnterpriseQuery>,
) -> ApiResult<Json<EnterprisePage>> {
    Ok(Json(s.app.enterprise_list(&a, &q).await?))
}

/// One enterprise (一企一档), with the source of each verified figure and pending corrections.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}", tag = "enterprises",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    responses(
        (status = 200, description = "the enterprise", body = EnterpriseView),
        (status = 404, description = "unknown, or out of the caller's scope", body = ErrorBody),
    ))]
async fn one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(uscc): PathParam<String>,
) -> ApiResult<Json<EnterpriseView>> {
    Ok(Json(s.app.enterprise_get(&a, &uscc).await?))
}

fn number_or_text() -> utoipa::openapi::schema::Schema {
    schema(json!({"type": ["number", "string", "null"],
        "description": "a number, or a text such as \"1200万\"; null clears"}))
}

fn fen() -> utoipa::openapi::schema::Schema {
    schema(json!({"oneOf": [
            {"type": "integer", "minimum": 0, "maximum": lianshi_domain::enterprise::MAX_MONEY_FEN},
            {"type": "string", "pattern": "^\\s*[0-9]{1,15}\\s*$"},
            {"type": "null"}],
        "description": "money in fen (分), a whole number; used when the 元 field is absent"}))
}

/// JSON body of create/update: text fields must be strings (or null to clear); counts and money
/// are accepted as numbers or strings. Any other JSON type is a 400 naming the field, never
/// silently turned into text.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct EnterpriseJson {
    #[schema(value_type = Option<String>)]
    uscc: Option<serde_json::Value>,
    #[schema(value_type = Option<String>)]
    name: Option<serde_json::Value>,
    #[schema(value_type = Option<String>)]
    industry_code: Option<serde_json::Value>,
    #[schema(value_type = Option<String>)]
    registered_on: Option<serde_json::Value>,
    /// One of the ownership types (`ownership_unknown` otherwise); null or empty clears.
    #[schema(schema_with = lianshi_domain::schema::ownership)]
    ownership: Option<serde_json::Value>,
    #[schema(value_type = Option<String>)]
    street: Option<serde_json::Value>,
    #[schema(value_type = Option<String>)]
    park: Option<serde_json::Value>,
    #[schema(value_type = Option<String>)]
    building: Option<serde_json::Value>,
    #[schema(value_type = Option<String>)]
    address: Option<serde_json::Value>,
    chain_nodes: Option<Vec<String>>,
    #[schema(schema_with = number_or_text)]
    headcount: Option<serde_json::Value>,
    #[schema(schema_with = number_or_text)]
    tech_staff: Option<serde_json::Value>,
    /// Money in fen (integers), as stored.
    #[schema(schema_with = fen)]
    revenue_fen: Option<serde_json::Value>,
    #[schema(schema_with = fen)]
    rd_spend_fen: Option<serde_json::Value>,
    #[schema(schema_with = fen)]
    tax_paid_fen: Option<serde_json::Value>,
    /// Money in 元 (text such as "1200万" accepted).
    #[schema(schema_with = number_or_text)]
    revenue_yuan: Option<serde_json::Value>,
    #[schema(schema_with = number_or_text)]
    rd_spend_yuan: Option<serde_json::Value>,
    #[schema(schema_with = number_or_text)]
    tax_paid_yuan: Option<serde_json::Value>,
    tags: Option<Vec<String>>,
    #[schema(value_type = Option<String>)]
    contact_name: Option<serde_json::Value>,
    #[schema(value_type = Option<String>)]
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

/// Create an enterprise.
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "enterprises",
    request_body = EnterpriseJson,
    responses(
        (status = 201, description = "created", body = EnterpriseView),
        (status = 400, description = "refused fields (`invalid_input` with `fields`), or a field of the wrong JSON type (`field_type`)", body = ErrorBody),
        (status = 409, description = "the credit code exists", body = ErrorBody),
    ))]
async fn create(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(j): JsonBody<EnterpriseJson>,
) -> ApiResult<(StatusCode, Json<EnterpriseView>)> {
    let v = s.app.enterprise_create(&a, &j.input()?).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Edit an enterprise; absent fields keep their value.
///
/// 200 when the edit is in force; 202 when (some of) it waits for review as corrections:
/// changes to verified fields (figures, certification tags, location, chain positions) by an
/// enterprise user or a service team (`proposed_corrections`; the values in force are unchanged).
#[utoipa::path(put, path = "/api/v1/enterprises/{uscc}", tag = "enterprises",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    request_body = EnterpriseJson,
    responses(
        (status = 200, description = "updated", body = EnterpriseView),
        (status = 202, description = "changes to verified fields wait for review (`proposed_corrections`)", body = EnterpriseView),
        (status = 400, description = "refused fields, or a field of the wrong JSON type (`field_type`)", body = ErrorBody),
        (status = 404, description = "unknown, or out of the caller's scope", body = ErrorBody),
        (status = 409, description = "edited by someone else since `version`", body = ErrorBody),
    ))]
async fn update(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(uscc): PathParam<String>,
    JsonBody(j): JsonBody<EnterpriseJson>,
) -> ApiResult<(StatusCode, Json<EnterpriseView>)> {
    let v = s
        .app
        .enterprise_update(&a, &uscc, &j.input()?, j.version)
        .await?;
    let status = if v.proposed_corrections.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(v)))
}

/// Corrections of verified enterprise fields: reviewers and teams see all, an enterprise user
/// its own.
#[utoipa::path(get, path = "/api/v1/enterprises/corrections", tag = "enterprises",
    params(CorrectionQuery),
    responses(
        (status = 200, description = "one page", body = CorrectionPage),
        (status = 400, description = "unknown status", body = ErrorBody),
        (status = 404, description = "unknown enterprise, or out of scope", body = ErrorBody),
    ))]
async fn corrections(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<CorrectionQuery>,
) -> ApiResult<Json<CorrectionPage>> {
    Ok(Json(s.app.correction_list(&a, &q).await?))
}

/// Body of a correction decision: the reason (required to reject).
#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
struct DecisionJson {
    reason: Option<String>,
}

/// Accept a correction (department officers, administrators): the value comes into force as
/// verified.
#[utoipa::path(post, path = "/api/v1/enterprises/corrections/{id}/accept", tag = "enterprises",
    params(("id" = i64, Path, description = "correction id")),
    request_body(content = Option<DecisionJson>, description = "optional; no body is no reason"),
    responses(
        (status = 200, description = "accepted", body = CorrectionView),
        (status = 400, description = "the value no longer validates", body = ErrorBody),
        (status = 404, description = "unknown", body = ErrorBody),
        (status = 409, description = "already decided", body = ErrorBody),
    ))]
async fn correction_accept(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    OptionalJson(d): OptionalJson<DecisionJson>,
) -> ApiResult<Json<CorrectionView>> {
    Ok(Json(
        s.app.correction_accept(&a, id, d.reason.as_deref()).await?,
    ))
}

/// Reject a correction with a reason (department officers, administrators).
#[utoipa::path(post, path = "/api/v1/enterprises/corrections/{id}/reject", tag = "enterprises",
    params(("id" = i64, Path, description = "correction id")),
    request_body(content = Option<DecisionJson>, description = "the reason is required (`reason_required`)"),
    responses(
        (status = 200, description = "rejected", body = CorrectionView),
        (status = 400, description = "no reason", body = ErrorBody),
        (status = 404, description = "unknown", body = ErrorBody),
        (status = 409, description = "already decided", body = ErrorBody),
    ))]
async fn correction_reject(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(id): PathParam<i64>,
    OptionalJson(d): OptionalJson<DecisionJson>,
) -> ApiResult<Json<CorrectionView>> {
    Ok(Json(
        s.app.correction_reject(&a, id, d.reason.as_deref()).await?,
    ))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct ImportQuery {
    /// Validate only; write nothing.
    dry_run: bool,
    /// Write the good rows and return the rejects.
    skip_invalid: bool,
}

/// Import enterprises from a CSV or XLSX file (the body is the file).
#[utoipa::path(post, path = "/api/v1/enterprises/import", tag = "enterprises",
    params(ImportQuery),
    request_body(content(
        (Vec<u8> = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    responses(
        (status = 200, description = "the report (dry run, everything written, or the good rows with skip_invalid)", body = ImportReport),
        (status = 400, description = "an unreadable file or wrong headers", body = ErrorBody),
        (status = 422, description = "rows refused; nothing written", body = ImportReport),
    ))]
async fn import(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<ImportQuery>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ImportReport>)> {
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
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}

/// File format of a download.
#[derive(Deserialize, Default, Clone, Copy, PartialEq, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Csv,
    Xlsx,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct FormatQuery {
    /// `csv` (default, UTF-8 with BOM) or `xlsx`.
    #[param(inline)]
    format: Format,
}

/// A file download response.
pub fn download(bytes: Vec<u8>, xlsx: bool, stem: &str) -> axum::response::Response {
    let (ct, ext) = if xlsx {
        (XLSX, "xlsx")
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

/// Export the filtered list (the same filters as the list).
#[utoipa::path(get, path = "/api/v1/enterprises/export", tag = "enterprises",
    params(FormatQuery, EnterpriseQuery),
    responses(
        (status = 200, description = "the file", content(
            (Vec<u8> = "text/csv; charset=utf-8"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, description = "a filter value that names nothing, or a malformed query", body = ErrorBody),
    ))]
async fn export(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(f): Params<FormatQuery>,
    Params(q): Params<EnterpriseQuery>,
) -> ApiResult<axum::response::Response> {
    let xlsx = f.format == Format::Xlsx;
    let bytes = s.app.enterprise_export(&a, &q, xlsx).await?;
    Ok(download(bytes, xlsx, "enterprises"))
}

/// The import template (headers and one example row).
#[utoipa::path(get, path = "/api/v1/enterprises/template", tag = "enterprises",
    params(FormatQuery),
    responses(
        (status = 200, description = "the file", content(
            (Vec<u8> = "text/csv; charset=utf-8"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
    ))]
async fn template(
    ApiAuth(_a): ApiAuth,
    Params(f): Params<FormatQuery>,
) -> ApiResult<axum::response::Response> {
    let xlsx = f.format == Format::Xlsx;
    Ok(download(
        App::enterprise_template(xlsx)?,
        xlsx,
        "enterprise-template",
    ))
}
