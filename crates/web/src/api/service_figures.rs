//! JSON API of the service figures (`/api/v1/service/figures…`): the service loop's figures of a
//! period per zone, team, department and chain, and the records behind each figure.

use super::common::{Params, schema};
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use axum::Json;
use axum::extract::State;
use chrono::Utc;
use lianshi_app::service_figures::{Metric, RecordPage, ServiceReport, parse_day, parse_dim};
use lianshi_app::{App, AppError};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(figures))
        .routes(routes!(records))
}

fn day() -> utoipa::openapi::schema::Schema {
    schema(json!({"type": "string", "anyOf": [{"format": "date"}, {"maxLength": 0}]}))
}

/// The period (both days inclusive).
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct PeriodParams {
    /// `YYYY-MM-DD`; default 364 days before `to`.
    #[param(schema_with = day)]
    from: String,
    /// `YYYY-MM-DD`; default today.
    #[param(schema_with = day)]
    to: String,
}

fn period_of(p: &PeriodParams) -> Result<(chrono::NaiveDate, chrono::NaiveDate), ApiError> {
    let to = if p.to.trim().is_empty() {
        App::today()
    } else {
        parse_day("to", &p.to)?
    };
    let from = if p.from.trim().is_empty() {
        to - chrono::Duration::days(364)
    } else {
        parse_day("from", &p.from)?
    };
    Ok((from, to))
}

/// The service figures of a period: visits, orders, breaches, callbacks, council actions, per
/// zone, team, department and chain.
#[utoipa::path(get, path = "/api/v1/service/figures", tag = "service figures",
    params(PeriodParams),
    responses(
        (status = 200, description = "the figures", body = ServiceReport),
        (status = 400, description = "a bad date (`date_format`)", body = ErrorBody),
    ))]
async fn figures(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(p): Params<PeriodParams>,
) -> ApiResult<Json<ServiceReport>> {
    let (from, to) = period_of(&p)?;
    Ok(Json(s.app.service_figures(&a, from, to, Utc::now()).await?))
}

fn dim() -> utoipa::openapi::schema::Schema {
    schema(json!({"type": "string", "enum": ["", "zone", "team", "department", "chain"]}))
}

fn key() -> utoipa::openapi::schema::Schema {
    schema(json!({"type": "string", "pattern": "^(none|-?[0-9]{1,18})?$"}))
}

/// Which figure's records.
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct RecordParams {
    /// The figure (`metric_unknown` otherwise).
    #[param(required = true, value_type = Metric, inline)]
    metric: String,
    /// `zone` (default), `team`, `department` or `chain`.
    #[param(schema_with = dim)]
    dim: String,
    /// The group's id within the dimension; `none` for records without one.
    #[param(schema_with = key)]
    key: Option<String>,
    /// Most records returned; default 200.
    limit: Option<i64>,
}

/// The records behind one figure of one group.
#[utoipa::path(get, path = "/api/v1/service/figures/records", tag = "service figures",
    params(PeriodParams, RecordParams),
    responses(
        (status = 200, description = "the records", body = RecordPage),
        (status = 400, description = "metric_unknown, dim_unknown, key_invalid, date_format", body = ErrorBody),
    ))]
async fn records(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(period): Params<PeriodParams>,
    Params(p): Params<RecordParams>,
) -> ApiResult<Json<RecordPage>> {
    let (from, to) = period_of(&period)?;
    let metric = Metric::parse(&p.metric).ok_or_else(|| {
        AppError::bad(
            "metric_unknown",
            format!("未知指标“{}”", p.metric),
            format!("unknown metric '{}'", p.metric),
        )
    })?;
    let dim = parse_dim(&p.dim)?;
    let key = match p.key.as_deref().map(str::trim) {
        None | Some("") | Some("none") => None,
        Some(k) => Some(k.parse::<i64>().map_err(|_| {
            AppError::bad("key_invalid", "分组编号须为整数", "key must be an integer")
        })?),
    };
    Ok(Json(
        s.app
            .service_records(
                &a,
                metric,
                dim,
                key,
                from,
                to,
                Utc::now(),
                p.limit.unwrap_or(200),
            )
            .await?,
    ))
}
