//! Server-rendered pages. One struct per page (askama, checked at compile time), a shared
//! [`Layout`] for the frame, and thin handlers that call one app function each.
//!
//! Every page and form works without JavaScript; every POST form carries the session's CSRF
//! token (`_csrf`), checked by [`crate::auth::Posted`] (or by hand for the multipart upload).
//! Permissions are decided by the app; pages only hide what a role cannot use.

pub mod audit;
pub mod charts;
pub mod confirm;
pub mod councils;
pub mod download;
pub mod enterprises;
pub mod error;
pub mod form;
pub mod import;
pub mod order_admin;
pub mod orders;
pub mod paging;
pub mod policies;
pub mod query;
pub mod scores;
pub mod service_figures;
pub mod subsidies;
pub mod teams;
pub mod users;
pub mod visits;
pub mod vouchers;
pub mod workbench;
pub mod zone;

pub use download::download;
pub use error::{
    FormError, OrShow, PageError, PageResult, Shown, form_error, messages, shown, status_of,
};
pub use form::{Date, Echo, Yuan};
pub use paging::{PageLink, pager};
pub use query::Query;

use crate::AppState;
use crate::auth::{
    LOGIN_CSRF_COOKIE, PageAuth, SESSION_COOKIE, client, cookie, safe_next, same_token,
};
use crate::i18n::{Lang, T};
use askama::Template;
use axum::Router;
use axum::extract::{Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use lianshi_app::enterprise::perm as enterprise_perm;
use lianshi_app::{Actor, AppError};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(workbench::workbench))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .merge(enterprises::routes())
        .merge(import::routes())
        .merge(zone::routes())
        .merge(users::routes())
        .merge(audit::routes())
        .merge(teams::routes())
        .merge(orders::routes())
        .merge(order_admin::routes())
        .merge(councils::routes())
        .merge(policies::routes())
        .merge(scores::routes())
        .merge(subsidies::routes())
        .merge(vouchers::routes())
        .layer(axum::middleware::from_fn(error::localize_errors))
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

/// One entry of the main navigation.
#[derive(Debug, Clone)]
pub struct MenuItem {
    pub href: &'static str,
    /// The navigation key pages name as active (and the message id `nav-<key>`).
    pub key: &'static str,
    pub label: String,
}

/// The main navigation of `a` (who belongs to `teams`): each page the role may open, decided by
/// the same app perm function its handler calls, so no entry answers 403.
pub fn menu(t: T, a: &Actor, teams: &[i64]) -> Vec<MenuItem> {
    use lianshi_app::{
        audit, council, order, policy, score, service_figures, subsidy, team, user, voucher, zone,
    };
    let entries: [(&'static str, &'static str, bool); 16] = [
        ("/", "home", true),
        (
            "/enterprises",
            "enterprises",
            enterprise_perm::browse_enterprises(a).is_ok(),
        ),
        (
            "/enterprises/import",
            "import",
            enterprise_perm::import_enterprises(a).is_ok(),
        ),
        ("/teams", "teams", team::perm::open_teams(a, teams).is_ok()),
        (
            "/visits",
            "visits",
            team::perm::team_scope(a, teams).is_ok(),
        ),
        (
            "/orders",
            "orders",
            order::perm::list_scope(a, teams).is_ok(),
        ),
        ("/councils", "councils", council::perm::view(a).is_ok()),
        (
            "/service",
            "service",
            service_figures::perm::view(a).is_ok(),
        ),
        ("/scores", "scores", score::perm::view_any_score(a).is_ok()),
        ("/subsidies", "subsidies", subsidy::perm::browse(a).is_ok()),
        (
            "/vouchers",
            "vouchers",
            voucher::perm::view_schemes(a).is_ok(),
        ),
        ("/policies", "policies", policy::perm::read(a).is_ok()),
        (
            "/policies/mine",
            "policies-mine",
            policy::perm::read(a).is_ok(),
        ),
        ("/registry", "registry", zone::perm::view(a).is_ok()),
        ("/users", "users", user::perm::manage(a).is_ok()),
        ("/audit", "audit", audit::perm::read(a).is_ok()),
    ];
    entries
        .into_iter()
        .filter(|(_, _, open)| *open)
        .map(|(href, key, _)| MenuItem {
            href,
            key,
            label: t.get(&format!("nav-{key}")).to_string(),
        })
        .collect()
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
    /// The main navigation: only what this user may open ([`menu`]).
    pub menu: Vec<MenuItem>,
    pub csrf: String,
    pub zone_name: String,
    /// Path of this page, for the language switch link.
    pub path: String,
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
            menu: menu(t, a, &auth.teams),
            csrf: auth.csrf.clone(),
            zone_name,
            path: String::new(),
        }
    }

    /// Whether `key` is the active navigation entry (for `aria-current`).
    pub fn active(&self, key: &str) -> bool {
        self.nav == key
    }

    /// Link to this page in the other language.
    pub fn switch_lang_href(&self) -> String {
        let l = if self.t.is_en() { "zh" } else { "en" };
        format!("{}?lang={l}", self.path)
    }
}

/// Per-request page context: language and the layout frame.
pub struct Ctx {
    pub t: T,
    pub zone_name: String,
    pub path: String,
    /// `?lang=` given: remember it in a cookie.
    pub set_lang: bool,
}

impl Ctx {
    /// Read language and zone name for a page request.
    pub async fn of(s: &AppState, parts: &Parts) -> Ctx {
        let zone_name = match s.app.registry().await {
            Ok(r) => r.zone.as_ref().map(|z| z.name.clone()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        let q = parts.uri.query().unwrap_or("");
        Ctx {
            t: T::new(lang_of(parts)),
            zone_name,
            path: parts.uri.path().to_string(),
            set_lang: q.split('&').any(|kv| kv == "lang=en" || kv == "lang=zh"),
        }
    }

    /// The message of a form's refusal for an app error (see [`form_error`]).
    pub fn form_error(&self, e: &AppError) -> Option<FormError> {
        form_error(self, e)
    }

    pub fn layout(&self, auth: &PageAuth, title: impl Into<String>, nav: &'static str) -> Layout {
        let mut l = Layout::new(self.t, auth, title, nav, self.zone_name.clone());
        l.path = self.path.clone();
        l
    }

    /// An app error as a page in this language.
    pub fn error(&self, e: &AppError) -> Response {
        error_page(e, Some(self.t.lang))
    }

    /// Render a page, remembering a language switch.
    pub fn page<P: Template>(&self, p: &P) -> Response {
        let mut r = render(p);
        if self.set_lang {
            let v = if self.t.is_en() { "en" } else { "zh" };
            if let Ok(v) = format!("lang={v}; SameSite=Lax; Path=/; Max-Age=31536000").parse() {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        r
    }

    /// Pick the message of a bilingual pair.
    pub fn pick(&self, zh: &str, en: &str) -> String {
        if self.t.is_en() {
            en.to_string()
        } else {
            zh.to_string()
        }
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Ctx, Self::Rejection> {
        Ok(Ctx::of(s, parts).await)
    }
}

/// The query string of a request as a map (later values win); empty on malformed input.
pub fn query_map(parts: &Parts) -> HashMap<String, String> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|q| q.0.into_iter().collect())
        .unwrap_or_default()
}

/// Set a response's status.
pub fn with_status(mut r: Response, status: StatusCode) -> Response {
    *r.status_mut() = status;
    r
}

/// 303 See Other to `to` (after a successful POST).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// An option of a `<select>` or a checkbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Opt {
        let value = value.into();
        Opt {
            selected: !current.is_empty() && value == current,
            label: label.into(),
            value,
        }
    }
}

/// Options under a heading (`<optgroup>` or a fieldset of checkboxes).
#[derive(Debug, Clone, PartialEq)]
pub struct OptGroup {
    pub label: String,
    pub opts: Vec<Opt>,
}

/// Build a query string from non-empty pairs.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", url_escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// An RFC 3339 UTC timestamp shown in China Standard Time: `YYYY-MM-DD HH:MM:SS`.
pub fn cst(ts: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(ts) {
        Ok(d) => (d.with_timezone(&chrono::Utc) + chrono::Duration::hours(8))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => ts.to_string(),
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
    title: String,
    message: String,
}

/// An error as an HTML page with the right status: a title and a sentence in the reader's
/// language only (never the bilingual API message or a code), a link to the workbench and,
/// with JavaScript, back.
pub fn error_page(e: &AppError, lang: Option<Lang>) -> Response {
    let status = crate::error::status(e);
    let t = T::new(lang.unwrap_or(Lang::Zh));
    let pick = |zh: &str, en: &str| if t.is_en() { en } else { zh }.to_string();
    let (title, message) = match e {
        AppError::Forbidden => (
            t.get("error-forbidden-title"),
            t.get("error-forbidden").into(),
        ),
        AppError::NotFound(_) => (
            t.get("error-not-found-title"),
            t.get("error-not-found").into(),
        ),
        AppError::Unauthenticated => (t.get("error-title"), t.get("error-unauthenticated").into()),
        AppError::Conflict(_) => (t.get("error-title"), t.get("error-conflict").into()),
        AppError::Throttled { .. } => (t.get("error-title"), t.get("error-throttled").into()),
        AppError::Internal(_) => (t.get("error-title"), t.get("error-internal").into()),
        AppError::Refused { zh, en, .. } => (t.get("error-title"), pick(zh, en)),
        AppError::Invalid(_) | AppError::BadRequest { .. } => {
            (t.get("error-title"), error::messages_in(t, e))
        }
    };
    let p = ErrorPage {
        t,
        status: status.as_u16(),
        code: e.code().into(),
        title: title.into(),
        message,
    };
    let mut r = render(&p);
    *r.status_mut() = status;
    r
}

/// The answer to a path no route serves: the JSON API's `not_found` under `/api/`, else the
/// not-found page in the reader's language.
pub async fn not_found(parts: Parts) -> Response {
    let path = parts.uri.path();
    let e = AppError::NotFound(path.to_string());
    if path == "/api" || path.starts_with("/api/") {
        return crate::error::ApiError(e).into_response();
    }
    error_page(&e, Some(lang_of(&parts)))
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

fn login_page(
    cfg: &crate::auth::WebConfig,
    t: T,
    next: String,
    error: Option<String>,
    username: String,
) -> Response {
    let csrf = lianshi_app::auth::random_token();
    let p = LoginPage {
        t,
        next,
        error,
        csrf: csrf.clone(),
        username,
    };
    let mut r = render(&p);
    if let Ok(v) = cfg.login_csrf_cookie(&csrf).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn login_form(State(s): State<AppState>, parts: Parts) -> Response {
    let q: HashMap<String, String> = axum::extract::Query::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let lang = lang_of(&parts);
    let next = safe_next(q.get("next").map(String::as_str));
    let mut r = login_page(&s.web, T::new(lang), next, None, String::new());
    if q.contains_key("lang") {
        let v = if lang == Lang::En { "en" } else { "zh" };
        if let Ok(v) = format!("lang={v}; SameSite=Lax; Path=/; Max-Age=31536000").parse() {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// The login form.
#[derive(serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
    next: Option<String>,
}

async fn login(State(s): State<AppState>, parts: Parts, Form(f): Form<LoginForm>) -> Response {
    let t = T::new(lang_of(&parts));
    let next = safe_next(f.next.as_deref());
    let username = f.username;
    let expected = cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_token(&f.csrf, &expected) {
        let e = AppError::bad(
            "csrf_missing",
            "表单已过期，请重新登录",
            "the form expired; please sign in again",
        );
        return error_page(&e, Some(t.lang));
    }
    match s
        .app
        .login(&username, &f.password, &client(&parts, &s.web), "session")
        .await
    {
        Ok(l) => {
            let mut r = Redirect::to(&next).into_response();
            if let Ok(v) = s.web.session_cookie(&l.token).parse() {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e @ AppError::Throttled { retry_after_secs }) => {
            let mut r = login_page(&s.web, t, next, Some(e.message()), username);
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            if let Ok(v) = retry_after_secs.to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        Err(AppError::BadRequest { .. }) => {
            let msg = t.get("login-failed").to_string();
            let mut r = login_page(&s.web, t, next, Some(msg), username);
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
        Err(e) => error_page(&e, Some(t.lang)),
    }
}

async fn logout(
    State(s): State<AppState>,
    parts: Parts,
    _signed_in: crate::auth::Posted,
) -> Response {
    if let Some(t) = cookie(&parts, SESSION_COOKIE) {
        let _ = s.app.logout(&t).await;
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = s.web.session_cookie("").parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
