//! Server-rendered pages. One struct per page (askama, checked at compile time), a shared
//! [`Layout`] for the frame, and thin handlers that call one app function each.

use crate::AppState;
use crate::auth::{LOGIN_CSRF_COOKIE, PageAuth, SESSION_COOKIE, client, cookie, same_token};
use crate::i18n::{Lang, T};
use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use lianshi_app::{Actor, AppError};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

/// Percent-encode for a query value.
pub fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The UI language of a request: `?lang=` wins, then the `lang` cookie, then Chinese.
pub fn lang_of(parts: &Parts) -> Lang {
    let q = parts.uri.query().unwrap_or("");
    if q.split('&').any(|kv| kv == "lang=en") {
        return Lang::En;
    }
    if q.split('&').any(|kv| kv == "lang=zh") {
        return Lang::Zh;
    }
    match cookie(parts, "lang").as_deref() {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// The frame around every signed-in page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub t: T,
    pub title: String,
    /// Key of the active navigation entry.
    pub nav: &'static str,
    pub user: String,
    pub role_label: String,
    pub is_admin: bool,
    pub csrf: String,
    pub zone_name: String,
}

impl Layout {
    pub fn new(
        t: T,
        auth: &PageAuth,
        title: impl Into<String>,
        nav: &'static str,
        zone_name: String,
    ) -> Layout {
        let a: &Actor = &auth.actor;
        Layout {
            t,
            title: title.into(),
            nav,
            user: a.display_name.clone(),
            role_label: if t.is_en() {
                a.role.label_en().into()
            } else {
                a.role.label_zh().into()
            },
            is_admin: a.role == lianshi_domain::Role::Admin,
            csrf: auth.csrf.clone(),
            zone_name,
        }
    }

    /// Whether `key` is the active navigation entry (for `aria-current`).
    pub fn active(&self, key: &str) -> bool {
        self.nav == key
    }
}

/// Render a template or a plain error.
pub fn render<P: Template>(p: &P) -> Response {
    match p.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("template: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: T,
    status: u16,
    code: String,
    message: String,
}

/// An error as an HTML page with the right status.
pub fn error_page(e: &AppError, lang: Option<Lang>) -> Response {
    let status = crate::error::status(e);
    let p = ErrorPage {
        t: T::new(lang.unwrap_or(Lang::Zh)),
        status: status.as_u16(),
        code: e.code().into(),
        message: e.message(),
    };
    let mut r = render(&p);
    *r.status_mut() = status;
    r
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: T,
    next: String,
    error: Option<String>,
    csrf: String,
    username: String,
}

fn safe_next(next: Option<&String>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") => n.clone(),
        _ => "/".into(),
    }
}

fn login_page(t: T, next: String, error: Option<String>, username: String) -> Response {
    let csrf = lianshi_app::auth::random_token();
    let p = LoginPage {
        t,
        next,
        error,
        csrf: csrf.clone(),
        username,
    };
    let mut r = render(&p);
    if let Ok(v) =
        format!("{LOGIN_CSRF_COOKIE}={csrf}; HttpOnly; SameSite=Strict; Path=/login").parse()
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn login_form(parts: Parts) -> Response {
    let q: HashMap<String, String> = axum::extract::Query::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let lang = lang_of(&parts);
    let mut r = login_page(T::new(lang), safe_next(q.get("next")), None, String::new());
    if q.contains_key("lang") {
        let v = if lang == Lang::En { "en" } else { "zh" };
        if let Ok(v) = format!("lang={v}; SameSite=Lax; Path=/; Max-Age=31536000").parse() {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

async fn login(
    State(s): State<AppState>,
    parts: Parts,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let t = T::new(lang_of(&parts));
    let next = safe_next(f.get("next"));
    let username = f.get("username").cloned().unwrap_or_default();
    let sent = f.get("_csrf").map(String::as_str).unwrap_or("");
    let expected = cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(sent, &expected) {
        let e = AppError::bad(
            "csrf_missing",
            "表单已过期，请重新登录",
            "the form expired; please sign in again",
        );
        return error_page(&e, Some(t.lang));
    }
    let password = f.get("password").cloned().unwrap_or_default();
    match s
        .app
        .login(&username, &password, &client(&parts), "session")
        .await
    {
        Ok(l) => {
            let mut r = Redirect::to(&next).into_response();
            if let Ok(v) = format!(
                "{SESSION_COOKIE}={}; HttpOnly; SameSite=Lax; Path=/",
                l.token
            )
            .parse()
            {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e @ AppError::Throttled { .. }) => {
            let mut r = login_page(t, next, Some(e.message()), username);
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            r
        }
        Err(AppError::BadRequest { .. }) => {
            let mut r = login_page(t, next, Some(t.get("login-failed").to_string()), username);
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
        Err(e) => error_page(&e, Some(t.lang)),
    }
}

async fn logout(State(s): State<AppState>, parts: Parts, posted: crate::auth::Posted) -> Response {
    let _ = posted.auth.actor;
    if let Some(t) = cookie(&parts, SESSION_COOKIE) {
        let _ = s.app.logout(&t).await;
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0").parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    enterprises: i64,
}

async fn home(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let t = T::new(lang_of(&parts));
    let zone = match s.app.registry().await {
        Ok(r) => r.zone.as_ref().map(|z| z.name.clone()).unwrap_or_default(),
        Err(e) => return error_page(&e, Some(t.lang)),
    };
    let page = s
        .app
        .enterprise_list(&auth.actor, &Default::default())
        .await;
    let enterprises = page.map(|p| p.total).unwrap_or(0);
    let l = Layout::new(t, &auth, t.get("nav-home"), "home", zone);
    render(&HomePage { l, enterprises })
}
