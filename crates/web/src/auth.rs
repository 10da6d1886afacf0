//! Who is calling: extractors for API calls (bearer token or session cookie) and pages
//! (session cookie, redirect to the login page when missing), CSRF checking of posted forms, the
//! client address behind trusted proxies, the cookies' attributes and the post-login redirect.

use crate::AppState;
use crate::error::ApiError;
use crate::pages::FormError;
use crate::pages::form::{Echo, NoFields};
use axum::extract::{ConnectInfo, Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use lianshi_app::{Actor, AppError};
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

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

/// Web settings from `serve`: which reverse proxies are trusted to name the client, and
/// whether cookies carry `Secure` (TLS deployments).
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    pub trusted_proxies: Vec<ProxyNet>,
    pub secure_cookies: bool,
}

/// A trusted proxy: one address or a CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet {
    addr: IpAddr,
    prefix: u8,
}

impl ProxyNet {
    /// `10.0.0.1`, `10.0.0.0/8`, `::1` or `fd00::/8`.
    pub fn parse(s: &str) -> Result<ProxyNet, String> {
        let s = s.trim();
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("not an IP address or CIDR block: {s}"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("bad prefix length in {s}"))?,
            None => max,
        };
        Ok(ProxyNet {
            addr: addr.to_canonical(),
            prefix,
        })
    }

    /// Parse a comma-separated list (empty items ignored).
    pub fn parse_list(s: &str) -> Result<Vec<ProxyNet>, String> {
        s.split(',')
            .filter(|x| !x.trim().is_empty())
            .map(ProxyNet::parse)
            .collect()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl WebConfig {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|n| n.contains(ip))
    }

    /// `; Secure` when cookies are for TLS only.
    pub fn secure_attr(&self) -> &'static str {
        if self.secure_cookies { "; Secure" } else { "" }
    }

    /// The `Set-Cookie` value of the session cookie (`token` empty = remove it).
    pub fn session_cookie(&self, token: &str) -> String {
        let clear = if token.is_empty() { "; Max-Age=0" } else { "" };
        format!(
            "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/{clear}{}",
            self.secure_attr()
        )
    }

    /// The `Set-Cookie` value of the login form's double-submit cookie.
    pub fn login_csrf_cookie(&self, token: &str) -> String {
        format!(
            "{LOGIN_CSRF_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/login{}",
            self.secure_attr()
        )
    }
}

/// The client address for login back-off: the socket peer, unless the peer is a trusted
/// proxy; then the right-most `X-Forwarded-For` entry that is not a trusted proxy (every proxy
/// appends the address it saw, so entries left of the first untrusted one may be forged).
pub fn client(parts: &Parts, cfg: &WebConfig) -> String {
    let Some(peer) = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical())
    else {
        return "local".into();
    };
    if !cfg.trusts(peer) {
        return peer.to_string();
    }
    let mut hops: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    let mut last_trusted = peer;
    while let Some(h) = hops.pop() {
        match h.parse::<IpAddr>() {
            Ok(ip) if cfg.trusts(ip) => last_trusted = ip.to_canonical(),
            Ok(ip) => return ip.to_canonical().to_string(),
            // Not an address: nothing further left can be believed.
            Err(_) => break,
        }
    }
    last_trusted.to_string()
}

/// A same-origin path to go to after signing in, else "/". The value (already decoded once from
/// the form or query) must start with one '/', not '//' or '/\', and hold only visible ASCII
/// without backslashes: a tab, CR or LF, or a '\' that browsers read as '/', would otherwise turn
/// `/\evil.example` or `/<TAB>/evil.example` into another site. Decoded once more (a doubly
/// encoded `%255C`), it must still start that way and hold no backslash or control character.
pub fn safe_next(next: Option<&str>) -> String {
    fn ok(n: &str) -> bool {
        let b = n.as_bytes();
        n.len() <= 2048
            && b.first() == Some(&b'/')
            && !matches!(b.get(1), Some(b'/' | b'\\'))
            && b.iter().all(|c| (0x21..=0x7e).contains(c) && *c != b'\\')
    }
    fn ok_decoded(d: &str) -> bool {
        let mut c = d.chars();
        c.next() == Some('/')
            && !c.next().is_some_and(|x| x == '/' || x.is_whitespace())
            && !d.chars().any(|x| x == '\\' || x.is_control())
    }
    match next {
        Some(n) if ok(n) && ok_decoded(&percent_decode(n)) => n.to_string(),
        _ => "/".into(),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| hex(*c)),
                b.get(i + 2).and_then(|c| hex(*c)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub fn bearer(parts: &Parts) -> Option<String> {
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

/// A signed-in browser user with the session's CSRF token and the teams they belong to (which
/// decide, with the role, what the menu offers).
pub struct PageAuth {
    pub actor: Actor,
    pub csrf: String,
    pub teams: Vec<i64>,
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
            Ok((actor, csrf)) => {
                let teams = state
                    .app
                    .my_teams(&actor)
                    .await
                    .map_err(PageReject::Error)?;
                Ok(PageAuth { actor, csrf, teams })
            }
            Err(AppError::Unauthenticated) => Err(PageReject::Login(next)),
            Err(e) => Err(PageReject::Error(e)),
        }
    }
}

/// A posted form from a signed-in user whose `_csrf` field matched the session, decoded into
/// the typed form `F` ([`crate::pages::form`]). The session is checked first (else the login
/// page), then the CSRF token (else a 400 error page), then the fields: a field that does not
/// parse is `form: Err(..)`, a 400 naming the field by its label, for the handler to show on the
/// form's page with the typed text (`echo`) kept.
pub struct Posted<F = NoFields> {
    pub auth: PageAuth,
    /// The typed form, or the refusal naming the first field that did not parse.
    pub form: Result<F, FormError>,
    /// The fields as sent, to fill the form in again.
    pub echo: Echo,
}

impl<F: DeserializeOwned> FromRequest<AppState> for Posted<F> {
    type Rejection = PageReject;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageReject> {
        let (mut parts, body) = req.into_parts();
        let auth = PageAuth::from_request_parts(&mut parts, state).await?;
        let t = crate::i18n::T::new(crate::pages::lang_of(&parts));
        let req = Request::from_parts(parts, body);
        let Form(pairs): Form<Vec<(String, String)>> =
            Form::from_request(req, state).await.map_err(|e| {
                PageReject::Error(AppError::bad("form_invalid", "表单格式错误", e.body_text()))
            })?;
        let sent = pairs
            .iter()
            .rev()
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if !same_token(sent, &auth.csrf) {
            return Err(PageReject::Error(AppError::bad(
                "csrf_missing",
                "表单已过期或缺少安全令牌，请刷新页面后重试",
                "the form is stale or lacks its CSRF token; reload and retry",
            )));
        }
        let form = crate::pages::form::decode::<F>(&pairs)
            .map_err(|bad| FormError::bad_request(bad.message(t)));
        let echo = Echo::new(pairs.into_iter().filter(|(k, _)| k != "_csrf").collect());
        Ok(Posted { auth, form, echo })
    }
}
