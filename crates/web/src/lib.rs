//! The web layer: server-rendered pages (askama) and the JSON API under `/api/v1`.
//!
//! Handlers are thin: extract, call one app function, render. Authentication is a session
//! cookie (browsers) or a bearer token (API clients); unsafe requests on a cookie session must
//! carry the session's CSRF token (form field `_csrf` or header `X-CSRF-Token`).

pub mod api;
pub mod auth;
pub mod error;
pub mod i18n;
pub mod pages;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lianshi_app::App;

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Settings from `serve` (trusted proxies, secure cookies).
    pub web: std::sync::Arc<auth::WebConfig>,
}

/// Largest accepted upload (imports up to 50 MB plus multipart overhead).
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// The whole HTTP surface with default settings (no trusted proxy, cookies without `Secure`).
pub fn router(app: App) -> Router {
    router_with(app, auth::WebConfig::default())
}

/// The whole HTTP surface with the settings of `serve`.
pub fn router_with(app: App, web: auth::WebConfig) -> Router {
    let state = AppState {
        app,
        web: std::sync::Arc::new(web),
    };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .merge(api::routes())
        .merge(pages::routes())
        .method_not_allowed_fallback(pages::error::method_not_allowed)
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "same-origin");
    set(
        h,
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    r
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../static/app.js"),
    )
}
