//! Helpers shared by the web crate's integration tests: the demo zone and the router over it,
//! requests through the router (no ports), the JSON API with bearer tokens, and signing in like a
//! browser (as a session cookie and CSRF token, or as a [`Browser`]).

// Each test binary compiles this module and uses a subset of it.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use lianshi_app::{Actor, App, Source};
use lianshi_store::Db;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt;

/// The password of every demo account.
pub const PASSWORD: &str = "Lianshi@2026";

/// What precedes the value of a hidden `_csrf` field.
const CSRF_FIELD: &str = r#"name="_csrf" value=""#;

const FORM: &str = "application/x-www-form-urlencoded";

/// The demo zone with `enterprises` enterprises (seed 5) in `db`, and the router over it.
pub async fn setup(db: Db, enterprises: usize) -> (Router, App) {
    let app = App::new(db);
    app.demo_load(&Actor::system(Source::Demo), enterprises, 5)
        .await
        .unwrap();
    (lianshi_web::router(app.clone()), app)
}

/// A fresh SQLite file in a temporary folder named after `name`, with the demo zone
/// (`enterprises`, `seed`), and the router over it.
///
/// The folders live under cargo's `CARGO_TARGET_TMPDIR`, one parent per test process; the
/// router outlives any guard a test could hold, so instead each process removes the parents
/// left by processes that have ended (a test run leaves only its own last files behind).
pub async fn setup_file(name: &str, enterprises: usize, seed: u64) -> (Router, App) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = process_tmp().join(format!("{name}-{}", N.fetch_add(1, Ordering::SeqCst)));
    std::fs::create_dir_all(&dir).unwrap();
    let db = Db::connect(&format!("sqlite://{}/t.db", dir.display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let app = App::new(db);
    app.demo_load(&Actor::system(Source::Demo), enterprises, seed)
        .await
        .unwrap();
    (lianshi_web::router(app.clone()), app)
}

/// This process's folder for test databases, made once; folders of ended processes are removed.
fn process_tmp() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-tests");
        if let Ok(entries) = std::fs::read_dir(&root) {
            for e in entries.flatten() {
                let ended = e
                    .file_name()
                    .to_str()
                    .and_then(|n| n.parse::<u32>().ok())
                    .is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists());
                if ended {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        root.join(std::process::id().to_string())
    })
    .clone()
}

/// A response with its body read as text.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    /// The `Location` header, or "".
    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}

/// Send one request through the router.
pub async fn send(r: &Router, req: Request<Body>) -> Resp {
    let resp = r.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20)
        .await
        .unwrap();
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// [`send`], as a tuple.
pub async fn raw(r: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let resp = send(r, req).await;
    (resp.status, resp.headers, resp.body)
}

/// Call the JSON API with an optional bearer token and a body of the given media type; the
/// status and the JSON answer (`Null` when it is not JSON).
pub async fn call_as(
    r: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<(&str, String)>,
) -> (StatusCode, Value) {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some((mime, v)) => b.header(header::CONTENT_TYPE, mime).body(Body::from(v)),
        None => b.body(Body::empty()),
    }
    .unwrap();
    let resp = send(r, req).await;
    (
        resp.status,
        serde_json::from_str(&resp.body).unwrap_or(Value::Null),
    )
}

/// [`call_as`] with an optional JSON body.
pub async fn call(
    r: &Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let body = body.map(|v| ("application/json", v.to_string()));
    call_as(r, method, uri, token, body).await
}

/// A bearer token for a demo account.
pub async fn token(r: &Router, user: &str) -> String {
    let (s, v) = call(
        r,
        "POST",
        "/api/v1/auth/token",
        None,
        Some(json!({"username": user, "password": PASSWORD})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["token"].as_str().unwrap().to_string()
}

/// The API answered `want` with an error body (`code` and `message`).
pub fn assert_error(s: StatusCode, v: &Value, want: StatusCode) {
    assert_eq!(s, want, "{v}");
    assert!(
        v["code"].is_string() && v["message"].is_string(),
        "error body {v}"
    );
}

/// The value of the cookie `name` that a response sets.
pub fn cookie_of(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The text between the first `start` and the next `end` after it.
pub fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

/// The value of the first hidden `_csrf` field of a page, or "".
pub fn csrf_of(html: &str) -> String {
    between(html, CSRF_FIELD, "\"")
        .unwrap_or_default()
        .to_string()
}

/// Percent-encode everything but the unreserved characters.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// An `application/x-www-form-urlencoded` body.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Undo HTML escaping of an attribute value.
pub fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// Sign in through the login form; the session cookie.
pub async fn login_session(r: &Router, user: &str) -> String {
    let page = send(r, Request::get("/login").body(Body::empty()).unwrap()).await;
    let login_csrf = cookie_of(&page.headers, "lianshi_login_csrf").expect("login csrf cookie");
    let token = between(&page.body, CSRF_FIELD, "\"")
        .expect("csrf field on the login page")
        .to_string();
    let body = form_body(&[
        ("_csrf", &token),
        ("next", "/"),
        ("username", user),
        ("password", PASSWORD),
    ]);
    let resp = send(
        r,
        Request::post("/login")
            .header(header::CONTENT_TYPE, FORM)
            .header(header::COOKIE, format!("lianshi_login_csrf={login_csrf}"))
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    cookie_of(&resp.headers, "lianshi_session").expect("session cookie")
}

/// Sign in; the session cookie and the CSRF token of the form on `page`.
pub async fn login(r: &Router, user: &str, page: &str) -> (String, String) {
    let session = login_session(r, user).await;
    let (_, _, html) = get(r, &session, page).await;
    let csrf = between(&html, CSRF_FIELD, "\"")
        .unwrap_or_else(|| panic!("csrf field on {page}"))
        .to_string();
    (session, csrf)
}

/// A GET of `uri` with a session cookie.
pub fn get_request(session: &str, uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::COOKIE, format!("lianshi_session={session}"))
        .body(Body::empty())
        .unwrap()
}

/// A POST of a form to `uri` with a session cookie, as it is (the caller adds `_csrf`).
pub fn post_request(session: &str, uri: &str, pairs: &[(&str, &str)]) -> Request<Body> {
    Request::post(uri)
        .header(header::COOKIE, format!("lianshi_session={session}"))
        .header(header::CONTENT_TYPE, FORM)
        .body(Body::from(form_body(pairs)))
        .unwrap()
}

/// GET `uri` with a session cookie.
pub async fn get(r: &Router, session: &str, uri: &str) -> (StatusCode, HeaderMap, String) {
    raw(r, get_request(session, uri)).await
}

/// POST a form to `uri` with a session cookie, as it is (the caller adds `_csrf`).
pub async fn post(
    r: &Router,
    session: &str,
    uri: &str,
    pairs: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    raw(r, post_request(session, uri, pairs)).await
}

/// A signed-in browser.
pub struct Browser {
    pub r: Router,
    pub session: String,
    pub csrf: String,
}

impl Browser {
    /// Sign in and keep the CSRF token of the home page.
    pub async fn login(r: &Router, user: &str) -> Browser {
        let mut b = Browser {
            r: r.clone(),
            session: login_session(r, user).await,
            csrf: String::new(),
        };
        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        b.csrf = csrf_of(&home.body);
        assert!(!b.csrf.is_empty());
        b
    }

    pub async fn get(&self, uri: &str) -> Resp {
        send(&self.r, get_request(&self.session, uri)).await
    }

    /// Post a form as it is, without adding the CSRF token.
    pub async fn post_raw(&self, uri: &str, pairs: &[(&str, &str)]) -> Resp {
        send(&self.r, post_request(&self.session, uri, pairs)).await
    }

    /// Post a form with the CSRF token first.
    pub async fn post(&self, uri: &str, pairs: &[(&str, &str)]) -> Resp {
        let mut all = vec![("_csrf", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        self.post_raw(uri, &all).await
    }
}

/// Every `/api/v1` path the router `r` serves under `prefix` is a path of the OpenAPI document
/// `doc` (the router's `Debug` lists its routes); returns how many there are. The whole walk,
/// both ways and per method, is `tests/openapi.rs`.
pub fn assert_router_documented(r: &Router, doc: &Value, prefix: &str) -> usize {
    let dbg = format!("{r:?}");
    let paths: std::collections::BTreeSet<&str> = dbg
        .split('"')
        .filter(|s| s.starts_with(prefix) && s.starts_with("/api/v1"))
        .collect();
    assert_documented(doc, paths.iter());
    paths.len()
}

/// Every one of `paths` is a path of the OpenAPI document `doc`.
pub fn assert_documented<S: AsRef<str>>(doc: &Value, paths: impl IntoIterator<Item = S>) {
    for p in paths {
        let p = p.as_ref();
        assert!(
            doc["paths"].get(p).is_some(),
            "{p} missing from openapi.json"
        );
    }
}

/// The credit code of the demo enterprise user `ent`'s enterprise, which holds an active
/// compute voucher (算力券 HZ-SLQ) in the demo.
pub async fn voucher_holder_uscc(r: &Router, ent: &str) -> String {
    let (s, v) = call(r, "GET", "/api/v1/vouchers/enterprise", Some(ent), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["vouchers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["scheme_code"] == "HZ-SLQ" && x["status"] == "active")
        .expect("the demo enterprise holds a compute voucher")["enterprise_uscc"]
        .as_str()
        .unwrap()
        .to_string()
}
