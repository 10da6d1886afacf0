//! Signing in through the router: back-off answers, the client address behind trusted proxies,
//! the post-login redirect, `Secure` cookies, token revocation, unlocking on the users page, and
//! uploads refused before their body is read.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use lianshi_app::App;
use lianshi_store::{Db, both_backends};
use lianshi_web::auth::{ProxyNet, WebConfig};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

mod common;
use common::{
    Browser, PASSWORD, Resp, between, call, cookie_of, csrf_of, form_body, send, setup, token,
    unescape,
};

const FORM: &str = "application/x-www-form-urlencoded";

async fn demo_router(db: Db) -> (Router, App) {
    setup(db, 5).await
}

async fn sqlite_app() -> (lianshi_store::testkit::TestDb, Router, App) {
    let t = lianshi_store::testkit::sqlite().await;
    let (r, app) = demo_router(t.db.clone()).await;
    (t, r, app)
}

/// POST the token endpoint from `peer` (with an optional X-Forwarded-For).
async fn token_from(
    r: &Router,
    user: &str,
    password: &str,
    peer: Option<&str>,
    xff: Option<&str>,
) -> (StatusCode, String) {
    let mut req = Request::post("/api/v1/auth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"username": user, "password": password}).to_string(),
        ))
        .unwrap();
    if let Some(p) = peer {
        let addr: SocketAddr = format!("{p}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    if let Some(x) = xff {
        req.headers_mut()
            .insert("x-forwarded-for", x.parse().unwrap());
    }
    let resp = send(r, req).await;
    (resp.status, resp.body)
}

/// Open the login page with `next` (percent-encoded as given) and sign in with the `next` the
/// page put in its form; the page's `next` and the answer.
async fn login_via_page(r: &Router, user: &str, next_query: &str) -> (String, Resp) {
    let page = send(
        r,
        Request::get(format!("/login?next={next_query}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let next = unescape(between(&page.body, r#"name="next" value=""#, "\"").unwrap());
    let resp = post_login(r, &page, user, PASSWORD, &next).await;
    (next, resp)
}

/// Post the login form of `page` with a raw `next`.
async fn post_login(r: &Router, page: &Resp, user: &str, password: &str, next: &str) -> Resp {
    let login_csrf = cookie_of(&page.headers, "lianshi_login_csrf").unwrap();
    let body = form_body(&[
        ("_csrf", &csrf_of(&page.body)),
        ("next", next),
        ("username", user),
        ("password", password),
    ]);
    send(
        r,
        Request::post("/login")
            .header(header::CONTENT_TYPE, FORM)
            .header(header::COOKIE, format!("lianshi_login_csrf={login_csrf}"))
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

async fn login_page(r: &Router) -> Resp {
    send(r, Request::get("/login").body(Body::empty()).unwrap()).await
}

both_backends!(
    an_unknown_user_and_a_wrong_password_get_the_same_answer,
    |db: Db| async move {
        let (r, _) = demo_router(db).await;
        for i in 0..8 {
            let real = token_from(&r, "admin", "Wrong-pass-1", Some("6.6.6.1"), None).await;
            let ghost = token_from(&r, "nobody", "Wrong-pass-1", Some("6.6.6.2"), None).await;
            assert_eq!(real, ghost, "attempt {i}");
            let want = if i < 5 {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::TOO_MANY_REQUESTS
            };
            assert_eq!(real.0, want, "attempt {i}: {}", real.1);
        }
        // The login page answers alike too (apart from the echoed name and the fresh token).
        let page = login_page(&r).await;
        let a = post_login(&r, &page, "admin", "Wrong-pass-1", "/").await;
        let b = post_login(&r, &page, "nobody", "Wrong-pass-1", "/").await;
        assert_eq!(a.status, b.status);
        let strip = |s: &str, name: &str| {
            let s = s.replace(&format!("value=\"{name}\""), "");
            let t = csrf_of(&s);
            s.replace(&t, "")
        };
        assert_eq!(strip(&a.body, "admin"), strip(&b.body, "nobody"));
    }
);

both_backends!(
    five_wrong_passwords_do_not_lock_the_administrator_out_from_another_address,
    |db: Db| async move {
        let (r, _) = demo_router(db).await;
        for _ in 0..5 {
            let (s, _) = token_from(&r, "admin", "Wrong-pass-1", Some("6.6.6.6"), None).await;
            assert_eq!(s, StatusCode::BAD_REQUEST);
        }
        let (s, _) = token_from(&r, "admin", PASSWORD, Some("6.6.6.6"), None).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        let (s, body) = token_from(&r, "admin", PASSWORD, Some("10.2.3.4"), None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
);

both_backends!(
    behind_a_trusted_proxy_the_forwarded_client_backs_off_not_the_whole_zone,
    |db: Db| async move {
        let (_, app) = demo_router(db).await;
        let cfg = WebConfig {
            trusted_proxies: ProxyNet::parse_list("10.0.0.0/8, 192.168.1.1").unwrap(),
            secure_cookies: false,
        };
        let r = lianshi_web::router_with(app, cfg);
        let proxy = Some("10.0.0.5");
        for _ in 0..5 {
            let (s, _) = token_from(&r, "team", "Wrong-pass-1", proxy, Some("6.6.6.6")).await;
            assert_eq!(s, StatusCode::BAD_REQUEST);
        }
        // The guesser waits, even when it prepends a made-up address …
        let (s, _) = token_from(&r, "team", PASSWORD, proxy, Some("6.6.6.6")).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        let (s, _) = token_from(&r, "team", PASSWORD, proxy, Some("1.2.3.4, 6.6.6.6")).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        // … and a chain of trusted proxies still names it.
        let (s, _) = token_from(&r, "team", PASSWORD, proxy, Some("6.6.6.6, 192.168.1.1")).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        // Everyone else behind the same proxy signs in.
        let (s, body) = token_from(&r, "team", PASSWORD, proxy, Some("7.7.7.7")).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        // An untrusted peer cannot choose its address with the header.
        for _ in 0..5 {
            let _ = token_from(
                &r,
                "dept",
                "Wrong-pass-1",
                Some("203.0.113.9"),
                Some("8.8.8.1"),
            )
            .await;
        }
        let (s, _) = token_from(&r, "dept", PASSWORD, Some("203.0.113.9"), Some("8.8.8.2")).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    }
);

#[test]
fn proxy_settings_parse_addresses_and_blocks_and_refuse_garbage() {
    let n = ProxyNet::parse_list("10.0.0.0/8,::1, fd00::/8").unwrap();
    assert!(n[0].contains("10.200.3.4".parse().unwrap()));
    assert!(!n[0].contains("11.0.0.1".parse().unwrap()));
    assert!(n[0].contains("::ffff:10.0.0.1".parse().unwrap()));
    assert!(n[1].contains("::1".parse().unwrap()));
    assert!(n[2].contains("fd12::3".parse().unwrap()));
    assert!(ProxyNet::parse("10.0.0.0/33").is_err());
    assert!(ProxyNet::parse("proxy.local").is_err());
}

#[tokio::test]
async fn a_login_redirects_only_to_a_same_origin_path() {
    let (_t, r, _) = sqlite_app().await;
    // Percent-encoded as they arrive in the query string.
    for bad in [
        "/%5Cevil.example",
        "/%5C%5Cevil.example",
        "/%09/evil.example",
        "%09/evil.example",
        "//evil.example",
        "/%2F/evil.example",
        "https://evil.example/",
        "/ok%0D%0ALocation:%20//evil.example",
        "/a%0Ab",
        "/path%5Cwith-backslash",
        "/%255Cevil.example",
        "/%2509/evil.example",
        "evil.example",
        "/%E5%8D%8E",
    ] {
        let (next, resp) = login_via_page(&r, "admin", bad).await;
        assert_eq!(next, "/", "{bad}: the form keeps {next:?}");
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{bad}");
        assert_eq!(resp.location(), "/", "{bad}");
    }
    // The form's hidden field is only a hint: a posted `next` is checked again.
    let page = login_page(&r).await;
    for bad in [
        "/\\evil.example",
        "/\t/evil.example",
        "/\r\n/x",
        " /x",
        "/x y",
    ] {
        let resp = post_login(&r, &page, "admin", PASSWORD, bad).await;
        assert_eq!(resp.location(), "/", "{bad:?}");
    }
    let (next, resp) = login_via_page(&r, "admin", "%2Fenterprises%3Fq%3Dab%26page%3D2").await;
    assert_eq!(next, "/enterprises?q=ab&page=2");
    assert_eq!(resp.location(), "/enterprises?q=ab&page=2");
}

async fn set_cookies(cfg: WebConfig) -> Vec<String> {
    let t = lianshi_store::testkit::sqlite().await;
    let (_, app) = demo_router(t.db.clone()).await;
    let r = lianshi_web::router_with(app, cfg);
    let page = login_page(&r).await;
    let signed_in = post_login(&r, &page, "admin", PASSWORD, "/").await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let session = cookie_of(&signed_in.headers, "lianshi_session").unwrap();
    let home = send(
        &r,
        Request::get("/")
            .header(header::COOKIE, format!("lianshi_session={session}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let out = send(
        &r,
        Request::post("/logout")
            .header(header::COOKIE, format!("lianshi_session={session}"))
            .header(header::CONTENT_TYPE, FORM)
            .body(Body::from(form_body(&[("_csrf", &csrf_of(&home.body))])))
            .unwrap(),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    [&page, &signed_in, &out]
        .iter()
        .flat_map(|r| r.headers.get_all(header::SET_COOKIE).iter())
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .filter(|c| c.starts_with("lianshi_"))
        .collect()
}

#[tokio::test]
async fn with_secure_cookies_the_session_and_login_cookies_are_secure() {
    let cookies = set_cookies(WebConfig {
        trusted_proxies: vec![],
        secure_cookies: true,
    })
    .await;
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    for c in &cookies {
        assert!(c.contains("; Secure"), "{c}");
        assert!(c.contains("HttpOnly"), "{c}");
    }
}

#[tokio::test]
async fn without_secure_cookies_the_cookies_work_over_plain_http() {
    let cookies = set_cookies(WebConfig::default()).await;
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    for c in &cookies {
        assert!(!c.contains("Secure"), "{c}");
    }
}

both_backends!(
    a_token_holder_revokes_its_token_with_delete,
    |db: Db| async move {
        let (r, _) = demo_router(db).await;
        let t = token(&r, "team").await;
        let other = token(&r, "team").await;
        let (s, _) = call(&r, "DELETE", "/api/v1/auth/token", Some(&t), None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = call(&r, "GET", "/api/v1/me", Some(&t), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, v) = call(&r, "DELETE", "/api/v1/auth/token", Some(&t), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
        let (s, _) = call(&r, "DELETE", "/api/v1/auth/token", None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _) = call(&r, "GET", "/api/v1/me", Some(&other), None).await;
        assert_eq!(s, StatusCode::OK, "only the token used is revoked");
        let (_, doc) = call(&r, "GET", "/api/v1/openapi.json", None, None).await;
        let del: &Value = &doc["paths"]["/api/v1/auth/token"]["delete"];
        assert!(del["responses"]["204"].is_object(), "{del}");
        assert!(doc["paths"]["/api/v1/auth/token"]["post"].is_object());
    }
);

both_backends!(
    an_administrator_clears_a_sign_in_back_off_on_the_users_page,
    |db: Db| async move {
        let (r, _) = demo_router(db).await;
        for _ in 0..5 {
            let _ = token_from(&r, "team", "Wrong-pass-1", Some("6.6.6.6"), None).await;
        }
        let (s, _) = token_from(&r, "team", PASSWORD, Some("6.6.6.6"), None).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        let admin = Browser::login(&r, "admin").await;
        let page = admin.get("/users").await;
        let row = between(&page.body, ">team<", "</tr>").unwrap().to_string();
        let action = between(&row, "action=\"", "/unlock\"")
            .map(|a| a.rsplit('"').next().unwrap_or(a).to_string())
            .expect("an unlock button on the throttled account's row");
        let team_id = action.trim_start_matches("/users/").to_string();
        let refused = Browser::login(&r, "dept")
            .await
            .post(&format!("/users/{team_id}/unlock"), &[])
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let done = admin.post(&format!("/users/{team_id}/unlock"), &[]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let (s, body) = token_from(&r, "team", PASSWORD, Some("6.6.6.6"), None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let log = admin.get("/audit?action=user.unlock").await;
        assert!(log.body.contains("user.unlock"));
    }
);

/// A multipart body streamed in 64 KiB chunks, counting what the server pulled.
struct Counted {
    chunks: Vec<Vec<u8>>,
    read: Arc<AtomicUsize>,
}

impl futures_core::Stream for Counted {
    type Item = Result<Vec<u8>, std::io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if self.chunks.is_empty() {
            return std::task::Poll::Ready(None);
        }
        let c = self.chunks.remove(0);
        self.read.fetch_add(c.len(), Ordering::SeqCst);
        std::task::Poll::Ready(Some(Ok(c)))
    }
}

const BOUNDARY: &str = "XyZzyBoundary";
const BIG: usize = 8 << 20;

/// An upload of a big file with `fields` before it; the request and the bytes-read counter.
fn big_upload(
    session: &str,
    uri: &str,
    fields: &[(&str, &str)],
) -> (Request<Body>, Arc<AtomicUsize>) {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
    );
    b.extend(std::iter::repeat_n(b'a', BIG));
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let read = Arc::new(AtomicUsize::new(0));
    let body = Counted {
        chunks: b.chunks(64 << 10).map(<[u8]>::to_vec).collect(),
        read: read.clone(),
    };
    let req = Request::post(uri)
        .header(header::COOKIE, format!("lianshi_session={session}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from_stream(body))
        .unwrap();
    (req, read)
}

#[tokio::test]
async fn an_upload_without_a_valid_csrf_token_is_refused_before_its_body_is_read() {
    let (_t, r, _) = sqlite_app().await;
    let admin = Browser::login(&r, "admin").await;
    let good = admin.csrf.as_str();
    for (uri, header_token, fields) in [
        ("/enterprises/import", None, vec![]),
        // A token inside the body would need the body read first: not accepted.
        ("/enterprises/import", None, vec![("_csrf", good)]),
        (
            "/enterprises/import?_csrf=forged",
            None,
            vec![("_csrf", good)],
        ),
        ("/enterprises/import", Some("forged"), vec![]),
    ] {
        let (mut req, read) = big_upload(&admin.session, uri, &fields);
        if let Some(t) = header_token {
            req.headers_mut().insert("x-csrf-token", t.parse().unwrap());
        }
        let resp = send(&r, req).await;
        assert_eq!(resp.status, StatusCode::BAD_REQUEST, "{uri} {fields:?}");
        assert!(resp.body.contains("csrf_missing"), "{}", resp.body);
        assert_eq!(read.load(Ordering::SeqCst), 0, "{uri} {fields:?}");
    }
}

#[tokio::test]
async fn an_upload_by_a_role_without_import_permission_is_refused_before_its_body_is_read() {
    let (_t, r, _) = sqlite_app().await;
    let team = Browser::login(&r, "team").await;
    let (req, read) = big_upload(
        &team.session,
        "/enterprises/import",
        &[("_csrf", &team.csrf)],
    );
    let resp = send(&r, req).await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN, "{}", resp.body);
    assert_eq!(read.load(Ordering::SeqCst), 0);
    // Without a session nothing is read either: the browser is sent to sign in.
    let (req, read) = big_upload("nope", "/enterprises/import", &[]);
    let resp = send(&r, req).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(read.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_upload_with_its_token_in_the_form_action_or_a_header_is_read() {
    let (_t, r, _) = sqlite_app().await;
    let admin = Browser::login(&r, "admin").await;
    let form = admin.get("/enterprises/import").await;
    let action = format!("action=\"/enterprises/import?_csrf={}\"", admin.csrf);
    assert!(
        form.body.contains(&action),
        "the form posts its token in the URL"
    );
    let query = format!("/enterprises/import?_csrf={}", admin.csrf);
    for (uri, header_token) in [
        (query.as_str(), None),
        ("/enterprises/import", Some(admin.csrf.as_str())),
    ] {
        let (mut req, read) = big_upload(&admin.session, uri, &[("dry_run", "1")]);
        if let Some(t) = header_token {
            req.headers_mut().insert("x-csrf-token", t.parse().unwrap());
        }
        let resp = send(&r, req).await;
        // The file is read (and refused as a file), not the request.
        assert!(!resp.body.contains("csrf_missing"), "{uri}: {}", resp.body);
        assert!(read.load(Ordering::SeqCst) >= BIG, "{uri}");
    }
}
