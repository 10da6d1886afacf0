//! Errors of page handlers. A handler returns [`PageResult`] and uses `?`: an app error becomes
//! the error page (in the reader's language, with the error's status), and a refusal that
//! belongs on the form — a field that did not parse, a bad request, a conflict — is shown on the
//! form's own page by [`OrShow::or_show`], which names the page to show it on.

use super::form::Echo;
use super::{Ctx, error_page, lang_of};
use crate::i18n::{Lang, T};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lianshi_app::AppError;
use std::future::Future;

/// What a page handler returns.
pub type PageResult<R = Response> = Result<R, PageError>;

/// Why a page handler did not succeed.
#[derive(Debug)]
pub enum PageError {
    /// An app error: the error page, unless the form's page shows it ([`form_error`]).
    App(AppError),
    /// A refusal already worded for the form's page (a field that did not parse).
    Form(FormError),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        PageError::App(e)
    }
}

impl From<FormError> for PageError {
    fn from(e: FormError) -> PageError {
        PageError::Form(e)
    }
}

/// A refusal shown above a form: the status of the answer and its message.
#[derive(Debug, Clone, PartialEq)]
pub struct FormError {
    pub status: StatusCode,
    pub message: String,
}

impl FormError {
    pub fn bad_request(message: impl Into<String>) -> FormError {
        FormError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

/// The error page's app error, kept on the response so [`localize_errors`] can show it in the
/// reader's language.
#[derive(Clone)]
struct ShownError(std::sync::Arc<AppError>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::App(e) => {
                let mut r = error_page(&e, None);
                r.extensions_mut()
                    .insert(ShownError(std::sync::Arc::new(e)));
                r
            }
            // A handler that did not name a page to show it on: a plain error page.
            PageError::Form(f) => {
                let e = AppError::bad("form_invalid", f.message.clone(), f.message);
                let mut r = error_page(&e, None);
                *r.status_mut() = f.status;
                r.extensions_mut()
                    .insert(ShownError(std::sync::Arc::new(e)));
                r
            }
        }
    }
}

/// Middleware of the page routes: an error page answers in the reader's language.
pub async fn localize_errors(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let lang = lang_of(&parts);
    let r = next.run(Request::from_parts(parts, body)).await;
    if lang == Lang::Zh {
        return r;
    }
    match r.extensions().get::<ShownError>().cloned() {
        Some(ShownError(e)) => {
            let status = r.status();
            let mut out = error_page(&e, Some(lang));
            *out.status_mut() = status;
            out
        }
        None => r,
    }
}

/// Messages of an app error in the UI language (field errors one per line).
pub fn messages(c: &Ctx, e: &AppError) -> String {
    messages_in(c.t, e)
}

/// [`messages`] for a language.
pub fn messages_in(t: T, e: &AppError) -> String {
    let pick = |zh: &str, en: &str| if t.is_en() { en } else { zh }.to_string();
    match e {
        AppError::Invalid(errs) => errs
            .iter()
            .map(|fe| {
                format!(
                    "{}：{}",
                    pick(
                        lianshi_domain::enterprise::field_label_zh(fe.field),
                        lianshi_domain::enterprise::field_label_en(fe.field)
                    ),
                    pick(&fe.reason.zh, &fe.reason.en)
                )
            })
            .collect::<Vec<_>>()
            .join("；"),
        AppError::BadRequest { zh, en, .. } => pick(zh, en),
        other => other.message(),
    }
}

/// How a form's page shows an app error, or `None` when it belongs on the error page: a bad
/// request or invalid fields (400), a refusal, a conflict or a missing referent (409). The
/// message ends with the error's code in brackets.
pub fn form_error(c: &Ctx, e: &AppError) -> Option<FormError> {
    let (status, text) = match e {
        AppError::BadRequest { .. } | AppError::Invalid(_) => {
            (StatusCode::BAD_REQUEST, messages(c, e))
        }
        AppError::Refused { zh, en, .. } => (StatusCode::CONFLICT, c.pick(zh, en)),
        AppError::Conflict(_) | AppError::NotFound(_) => (StatusCode::CONFLICT, e.message()),
        _ => return None,
    };
    Some(FormError {
        status,
        message: format!("{text}（{}）", e.code()),
    })
}

/// What a page shows besides its data: a notice (after a redirect), or a refused form's message
/// with the text it was sent with.
#[derive(Debug, Default)]
pub struct Shown {
    pub notice: Option<String>,
    pub error: Option<FormError>,
    pub echo: Echo,
}

impl Shown {
    pub fn notice(notice: Option<String>) -> Shown {
        Shown {
            notice,
            ..Default::default()
        }
    }

    pub fn refused(error: FormError, echo: Echo) -> Shown {
        Shown {
            notice: None,
            error: Some(error),
            echo,
        }
    }

    /// The status of the page: the refusal's, else 200.
    pub fn status(&self) -> StatusCode {
        status_of(&self.error)
    }
}

/// The status of a page showing `error` (200 without one).
pub fn status_of(error: &Option<FormError>) -> StatusCode {
    error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK)
}

/// The status of a page showing `error` (200 without one) and the message it shows.
pub fn shown(error: Option<FormError>) -> (StatusCode, Option<String>) {
    (status_of(&error), error.map(|e| e.message))
}

/// Show a form's refusal on its page.
pub trait OrShow {
    /// On a refusal that belongs on the form ([`PageError::Form`], or an app error that
    /// [`form_error`] words), answer with the page `show` renders for it; other errors and
    /// successes pass through.
    fn or_show<F, Fut>(self, c: &Ctx, show: F) -> impl Future<Output = PageResult>
    where
        F: FnOnce(FormError) -> Fut,
        Fut: Future<Output = PageResult>;

    /// [`OrShow::or_show`] for a page that takes a [`Shown`]: the refusal with the form's text
    /// `echo`.
    fn or_refuse<F, Fut>(self, c: &Ctx, echo: Echo, show: F) -> impl Future<Output = PageResult>
    where
        F: FnOnce(Shown) -> Fut,
        Fut: Future<Output = PageResult>;
}

impl OrShow for PageResult {
    async fn or_show<F, Fut>(self, c: &Ctx, show: F) -> PageResult
    where
        F: FnOnce(FormError) -> Fut,
        Fut: Future<Output = PageResult>,
    {
        match self {
            Err(PageError::Form(f)) => show(f).await,
            Err(PageError::App(e)) => match form_error(c, &e) {
                Some(f) => show(f).await,
                None => Err(PageError::App(e)),
            },
            ok => ok,
        }
    }

    async fn or_refuse<F, Fut>(self, c: &Ctx, echo: Echo, show: F) -> PageResult
    where
        F: FnOnce(Shown) -> Fut,
        Fut: Future<Output = PageResult>,
    {
        self.or_show(c, |err| show(Shown::refused(err, echo))).await
    }
}

/// The answer to a path served for other methods only (`GET /logout`): still 405 (with axum's
/// `Allow` header), as the same error frame as the 403/404 pages in the reader's language, or
/// under `/api/` the JSON error `method_not_allowed`.
pub async fn method_not_allowed(parts: Parts) -> Response {
    const CODE: &str = "method_not_allowed";
    let (zh, en) = (
        "此地址不支持这种请求方式，请从页面上的链接或按钮进入。",
        "This address does not take this kind of request; please use the links and buttons on the pages.",
    );
    let path = parts.uri.path();
    if path == "/api" || path.starts_with("/api/") {
        let body = crate::error::ErrorBody {
            code: CODE.into(),
            message: format!("{zh} / {en}"),
            fields: None,
        };
        return (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response();
    }
    let t = T::new(lang_of(&parts));
    let p = super::ErrorPage {
        t,
        status: StatusCode::METHOD_NOT_ALLOWED.as_u16(),
        code: CODE.into(),
        title: t.get("error-title").into(),
        message: if t.is_en() { en } else { zh }.into(),
    };
    let mut r = super::render(&p);
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}
