//! Shared pieces of the JSON API: request decoding that answers a stable 400
//! (`{"code","message"}`) instead of axum's plain-text rejections, and the list wrappers several
//! modules answer with.
//!
//! Every extractor here fails with [`ApiError`], so a malformed body, query or path parameter is
//! always `400 application/json` with `body_invalid`, `query_invalid` or `path_invalid`.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use lianshi_app::AppError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::ToSchema;

/// Parse a JSON body with a 400 that says what is wrong. The body must be a JSON object (serde
/// would otherwise read a struct from an array), and a number with a zero fraction (`120.0`)
/// counts as the integer it is, as JSON Schema's `integer` says.
pub fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let invalid = |e: &dyn std::fmt::Display| {
        ApiError(AppError::bad(
            "body_invalid",
            format!("请求体 JSON 无效：{e}"),
            format!("invalid JSON body: {e}"),
        ))
    };
    let mut v: Value = serde_json::from_slice(body).map_err(|e| invalid(&e))?;
    if !v.is_object() {
        return Err(invalid(&"the body must be a JSON object"));
    }
    whole_numbers(&mut v);
    serde_json::from_value(v).map_err(|e| invalid(&e))
}

/// `120.0` → `120`, everywhere in `v`.
fn whole_numbers(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64()
                && !n.is_i64()
                && !n.is_u64()
                && f.fract() == 0.0
                && f > i64::MIN as f64
                && f < i64::MAX as f64
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(m) => m.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// Parse the query string with a 400 that says what is wrong.
pub fn query<T: DeserializeOwned>(parts: &Parts) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .map_err(|e| {
            ApiError(AppError::bad(
                "query_invalid",
                format!("查询参数无效：{e}"),
                format!("invalid query: {e}"),
            ))
        })
}

async fn bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        ApiError(AppError::bad(
            "body_invalid",
            format!("无法读取请求体：{e}"),
            format!("the request body could not be read: {e}"),
        ))
    })
}

/// A required JSON body (`T` says what it must hold; unknown keys are refused where `T` says so).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        json_body(&bytes(req, state).await?).map(JsonBody)
    }
}

/// An optional JSON body: no body, only white space or `null` is `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let b = bytes(req, state).await?;
        let text = String::from_utf8_lossy(&b);
        if text.trim().is_empty() || text.trim() == "null" {
            return Ok(OptionalJson(T::default()));
        }
        json_body(&b).map(OptionalJson)
    }
}

/// A UTF-8 text body (rule files, calendar schedules).
pub struct TextBody(pub String);

impl<S: Send + Sync> FromRequest<S> for TextBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let b = bytes(req, state).await?;
        String::from_utf8(b.to_vec()).map(TextBody).map_err(|_| {
            ApiError(AppError::bad(
                "body_invalid",
                "请求体须为 UTF-8 文本",
                "the body must be UTF-8 text",
            ))
        })
    }
}

/// The query string decoded into `T`.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        query(parts).map(Params)
    }
}

/// Path parameters decoded into `T` (a number that does not parse is a 400, not plain text).
pub struct PathParam<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParam<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParam(p.0))
            .map_err(|e| {
                ApiError(AppError::bad(
                    "path_invalid",
                    format!("路径参数无效：{}", e.body_text()),
                    format!("invalid path parameter: {}", e.body_text()),
                ))
            })
    }
}

/// `{"items": [...]}`.
#[derive(Serialize, ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

impl<T> Items<T> {
    pub fn of(items: Vec<T>) -> Self {
        Items { items }
    }
}

/// `{"total": n, "items": [...]}`: a whole list with its length.
#[derive(Serialize, ToSchema)]
pub struct Listed<T> {
    pub total: usize,
    pub items: Vec<T>,
}

impl<T> Listed<T> {
    pub fn of(items: Vec<T>) -> Self {
        Listed {
            total: items.len(),
            items,
        }
    }
}

/// `{"total": n, "page": p, "per_page": k, "items": [...]}`: one page of a longer list.
#[derive(Serialize, ToSchema)]
pub struct Paged<T> {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<T>,
}

/// `{"id": n}`: what a create or edit answers when the record itself is not returned.
#[derive(Serialize, ToSchema)]
pub struct Id {
    pub id: i64,
}

/// A schema written as JSON, for the few fields whose accepted shapes no Rust type spells
/// (a number or a text, say).
pub fn schema(v: serde_json::Value) -> utoipa::openapi::schema::Schema {
    serde_json::from_value(v).unwrap_or_else(|_| {
        utoipa::openapi::schema::Schema::Object(utoipa::openapi::schema::Object::new())
    })
}
