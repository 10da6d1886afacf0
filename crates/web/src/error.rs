//! Errors as responses: JSON `{"code","message"}` for the API, an HTML page for browsers.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianshi_app::AppError;

/// HTTP status of an app error.
pub fn status(e: &AppError) -> StatusCode {
    match e {
        AppError::Invalid(_) | AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Conflict(_) | AppError::Refused { .. } => StatusCode::CONFLICT,
        AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An API error, rendered as JSON.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({"code": self.0.code(), "message": self.0.message()});
        if let AppError::Invalid(errs) = &self.0 {
            body["fields"] = serde_json::to_value(errs).unwrap_or_default();
        }
        let mut r = (status(&self.0), Json(body)).into_response();
        if let AppError::Throttled { retry_after_secs } = self.0
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            r.headers_mut().insert("retry-after", v);
        }
        r
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Parse a JSON body with a 400 that says what is wrong (axum's own rejection is plain text).
pub fn json_body<T: serde::de::DeserializeOwned>(body: &axum::body::Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError(AppError::bad(
            "body_invalid",
            format!("请求体 JSON 无效：{e}"),
            format!("invalid JSON body: {e}"),
        ))
    })
}

/// Parse the query string with a 400 that says what is wrong.
pub fn query<T: serde::de::DeserializeOwned>(
    parts: &axum::http::request::Parts,
) -> Result<T, ApiError> {
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
