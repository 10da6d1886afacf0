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

/// The body of every API error: a stable snake_case `code` and a human `message`, plus the
/// refused fields of an `invalid_input`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code, e.g. `body_invalid`, `not_found`, `over_budget`.
    pub code: String,
    /// What went wrong, for people (Chinese, then English where given).
    pub message: String,
    /// The refused fields (`invalid_input` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<lianshi_domain::enterprise::FieldError>>,
}

impl ErrorBody {
    pub fn of(e: &AppError) -> Self {
        ErrorBody {
            code: e.code().to_string(),
            message: e.message(),
            fields: match e {
                AppError::Invalid(errs) => Some(errs.clone()),
                _ => None,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (status(&self.0), Json(ErrorBody::of(&self.0))).into_response();
        if let AppError::Throttled { retry_after_secs } = self.0
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            r.headers_mut().insert("retry-after", v);
        }
        r
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
