//! Who is calling: extractors for API calls (bearer token or session cookie) and pages
//! (session cookie, redirect to the login page when missing), and CSRF checking of posted forms.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use lianshi_app::{Actor, AppError};
use std::collections::HashMap;
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "lianshi_session";
pub const LOGIN_CSRF_COOKIE: &str = "lianshi_login_csrf";

/// Value of a cookie in the request.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The client address for login throttling.
pub fn client(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "local".into())
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn bearer(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let t = v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))?;
    Some(t.trim().to_string())
}

/// An authenticated API caller.
pub struct ApiAuth(pub Actor);

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(t) = bearer(parts) {
            let (actor, _) = state.app.authenticate(&t).await?;
            return Ok(ApiAuth(actor));
        }
        let t = cookie(parts, SESSION_COOKIE).ok_or(AppError::Unauthenticated)?;
        let (mut actor, csrf) = state.app.authenticate(&t).await?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same_token(sent, &csrf) {
                return Err(ApiError(AppError::bad(
                    "csrf_missing",
                    "缺少或错误的 CSRF 令牌",
                    "missing or wrong CSRF token",
                )));
            }
        }
        actor.source = lianshi_app::Source::Api;
        Ok(ApiAuth(actor))
    }
}

/// A signed-in browser user with the session's CSRF token.
pub struct PageAuth {
    pub actor: Actor,
    pub csrf: String,
}

/// Rejection of page extractors: go to the login page, or show an error.
pub enum PageReject {
    Login(String),
    Error(AppError),
}

impl IntoResponse for PageReject {
    fn into_response(self) -> Response {
        match self {
            PageReject::Login(next) => {
                Redirect::to(&format!("/login?next={}", crate::pages::url_escape(&next)))
                    .into_response()
            }
            PageReject::Error(e) => crate::pages::error_page(&e, None),
        }
    }
}

impl FromRequestParts<AppState> for PageAuth {
    type Rejection = PageReject;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageReject> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        let Some(t) = cookie(parts, SESSION_COOKIE) else {
            return Err(PageReject::Login(next));
        };
        match state.app.authenticate(&t).await {
            Ok((actor, csrf)) => Ok(PageAuth { actor, csrf }),
            Err(AppError::Unauthenticated) => Err(PageReject::Login(next)),
            Err(e) => Err(PageReject::Error(e)),
        }
    }
}

/// A posted form from a signed-in user whose `_csrf` field matched the session.
pub struct Posted {
    pub auth: PageAuth,
    pub form: HashMap<String, String>,
    /// Repeated fields (checkbox groups, multi-selects) in order.
    pub multi: Vec<(String, String)>,
}

impl Posted {
    pub fn get(&self, k: &str) -> Option<String> {
        self.form.get(k).cloned()
    }

    pub fn all(&self, k: &str) -> Vec<String> {
        self.multi
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl FromRequest<AppState> for Posted {
    type Rejection = PageReject;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageReject> {
        let (mut parts, body) = req.into_parts();
        let auth = PageAuth::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let Form(multi): Form<Vec<(String, String)>> =
            Form::from_request(req, state).await.map_err(|e| {
                PageReject::Error(AppError::bad("form_invalid", "表单格式错误", e.body_text()))
            })?;
        let form: HashMap<String, String> = multi.iter().cloned().collect();
        let sent = form.get("_csrf").map(String::as_str).unwrap_or("");
        if !same_token(sent, &auth.csrf) {
            return Err(PageReject::Error(AppError::bad(
                "csrf_missing",
                "表单已过期或缺少安全令牌，请刷新页面后重试",
                "the form is stale or lacks its CSRF token; reload and retry",
            )));
        }
        Ok(Posted { auth, form, multi })
    }
}
