//! Every role's menu holds only what it may open, and the refusal (403) and not-found (404)
//! pages are proper pages: in the reader's language only, phone-ready, with a way back.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

mod common;
use common::{Browser, Resp, between, send, setup_file, unescape};

/// The seven demo accounts, one per role.
const ROLES: [&str; 7] = [
    "admin",
    "dept",
    "team",
    "secretary",
    "ent",
    "bank",
    "provider",
];

const VIEWPORT: &str = r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#;

/// A fresh SQLite file with a small demo zone and the router over it.
async fn setup() -> Router {
    setup_file("menus", 40, 7).await.0
}

/// The links of the main navigation of a page.
fn menu_links(html: &str) -> Vec<String> {
    let nav = between(html, "<nav class=\"main\"", "</nav>").expect("a main navigation");
    nav.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(unescape)
        .collect()
}

/// The text a reader sees: the body without tags and scripts, and the logo mark.
fn visible_text(html: &str) -> String {
    let body = html.split("<body").nth(1).unwrap_or(html);
    let body = body.replace(r#"<span class="mark">链</span>"#, "");
    let mut out = String::new();
    // Still inside the `<body …>` tag.
    let mut in_tag = true;
    for ch in body.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Latin words of three letters or more in `text` (English left on a Chinese page).
fn latin_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3)
        .map(str::to_string)
        .collect()
}

/// Whether `text` holds a Chinese character.
fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// GET `uri` as `b`, following redirects within the site.
async fn open(b: &Browser, uri: &str) -> (String, Resp) {
    let mut uri = uri.to_string();
    for _ in 0..5 {
        let p = b.get(&uri).await;
        if p.status.is_redirection() && p.location().starts_with('/') {
            uri = p.location();
            continue;
        }
        return (uri, p);
    }
    panic!("{uri}: too many redirects");
}

/// A GET without a session, optionally with cookies.
async fn get_anonymous(r: &Router, uri: &str, cookie: Option<&str>) -> Resp {
    let mut b = Request::get(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    send(r, b.body(Body::empty()).unwrap()).await
}

/// An error page in Chinese: the status, a viewport, a Chinese title and sentence, a link to the
/// workbench and a back link, and no English.
fn assert_chinese_error_page(p: &Resp, status: StatusCode, title: &str, what: &str) {
    assert_eq!(p.status, status, "{what}: {}", p.body);
    assert!(
        p.body.contains(r#"<html lang="zh-CN">"#),
        "{what}: {}",
        p.body
    );
    assert!(p.body.contains(VIEWPORT), "{what}: no viewport: {}", p.body);
    assert!(
        p.body.contains(&format!("<title>{title}")),
        "{what}: title: {}",
        p.body
    );
    assert!(p.body.contains(&format!("<h1>{title}</h1>")), "{what}");
    assert!(
        p.body.contains(r#"href="/""#),
        "{what}: no way to the workbench"
    );
    assert!(p.body.contains("data-back"), "{what}: no way back");
    let text = visible_text(&p.body);
    assert!(
        latin_words(&text).is_empty(),
        "{what}: English on a Chinese page: {:?} in {text}",
        latin_words(&text)
    );
}

/// The English error page: no Chinese at all.
fn assert_english_error_page(p: &Resp, status: StatusCode, title: &str, what: &str) {
    assert_eq!(p.status, status, "{what}: {}", p.body);
    assert!(p.body.contains(r#"<html lang="en">"#), "{what}: {}", p.body);
    assert!(p.body.contains(VIEWPORT), "{what}: no viewport");
    assert!(
        p.body.contains(&format!("<h1>{title}</h1>")),
        "{what}: {}",
        p.body
    );
    assert!(
        p.body.contains(r#"href="/""#),
        "{what}: no way to the workbench"
    );
    let text = visible_text(&p.body);
    assert!(
        !has_chinese(&text),
        "{what}: Chinese on an English page: {text}"
    );
}

#[tokio::test]
async fn every_menu_item_of_every_role_opens() {
    let r = setup().await;
    let mut bad = Vec::new();
    for user in ROLES {
        let b = Browser::login(&r, user).await;
        let home = b.get("/").await;
        let links = menu_links(&home.body);
        assert!(links.len() >= 3, "{user}: a menu of {links:?}");
        for link in links {
            let (at, p) = open(&b, &link).await;
            if p.status == StatusCode::FORBIDDEN || p.status.is_server_error() {
                bad.push(format!("{user}: {link} (at {at}) answers {}", p.status));
            }
        }
    }
    assert!(bad.is_empty(), "menu items that do not open: {bad:#?}");
}

#[tokio::test]
async fn each_role_sees_its_own_pages_in_the_menu() {
    let r = setup().await;
    let has = |links: &[String], l: &str| links.iter().any(|x| x == l);
    for (user, want, not) in [
        (
            "admin",
            &["/users", "/audit", "/scores", "/teams"][..],
            &[][..],
        ),
        (
            "ent",
            &["/teams", "/orders", "/scores", "/subsidies"],
            &["/councils", "/visits", "/users"],
        ),
        (
            "bank",
            &["/scores", "/policies"],
            &["/orders", "/councils", "/teams"],
        ),
        (
            "secretary",
            &["/councils", "/service"],
            &["/orders", "/scores", "/users"],
        ),
        ("provider", &["/vouchers"], &["/enterprises", "/scores"]),
    ] {
        let b = Browser::login(&r, user).await;
        let links = menu_links(&b.get("/").await.body);
        for l in want {
            assert!(has(&links, l), "{user}: {l} missing from {links:?}");
        }
        for l in not {
            assert!(!has(&links, l), "{user}: {l} in {links:?}");
        }
    }
}

#[tokio::test]
async fn a_refused_page_is_a_chinese_phone_page_with_a_way_back() {
    let r = setup().await;
    let b = Browser::login(&r, "ent").await;
    let p = b.get("/users").await;
    assert_chinese_error_page(&p, StatusCode::FORBIDDEN, "无权访问此页面", "403 for ent");
    assert!(p.body.contains("联系管理员"), "{}", p.body);

    // The same refusal in English once the reader chose English.
    let p = send(
        &r,
        Request::get("/users")
            .header(
                header::COOKIE,
                format!("lianshi_session={}; lang=en", b.session),
            )
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_english_error_page(
        &p,
        StatusCode::FORBIDDEN,
        "You may not open this page",
        "403 en",
    );
}

#[tokio::test]
async fn an_unknown_address_is_the_not_found_page_and_the_api_answers_json() {
    let r = setup().await;
    // Signed in or not, an unknown page is the 404 page, never an empty body.
    let b = Browser::login(&r, "dept").await;
    let p = b.get("/no-such-page/at/all").await;
    assert!(!p.body.trim().is_empty());
    assert_chinese_error_page(&p, StatusCode::NOT_FOUND, "页面不存在", "404 signed in");
    let p = get_anonymous(&r, "/nowhere", None).await;
    assert_chinese_error_page(&p, StatusCode::NOT_FOUND, "页面不存在", "404 anonymous");

    // A record that does not exist is the same page.
    let p = b.get("/enterprises/91330100000000000X").await;
    assert_chinese_error_page(
        &p,
        StatusCode::NOT_FOUND,
        "页面不存在",
        "unknown enterprise",
    );

    // English by the query or the cookie.
    let p = get_anonymous(&r, "/nowhere?lang=en", None).await;
    assert_english_error_page(&p, StatusCode::NOT_FOUND, "Page not found", "404 ?lang=en");
    let p = get_anonymous(&r, "/nowhere", Some("lang=en")).await;
    assert_english_error_page(
        &p,
        StatusCode::NOT_FOUND,
        "Page not found",
        "404 lang cookie",
    );

    // The JSON API keeps answering JSON.
    let p = get_anonymous(&r, "/api/v1/no-such-thing", None).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let v: serde_json::Value = serde_json::from_str(&p.body).expect("a JSON body");
    assert_eq!(v["code"], "not_found", "{v}");
}
