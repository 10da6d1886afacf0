//! Edges found walking through the demo zone (issue 18), through the router (no ports): the
//! callback's rating on the order timeline, and the error frame of a wrong method.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lianshi_app::App;
use lianshi_app::order::OrderQuery;

mod common;
use common::{Browser, PASSWORD, between, send, setup_file};

async fn setup() -> (Router, App) {
    setup_file("edges", 40, 5).await
}

#[tokio::test]
async fn the_order_timeline_shows_the_callbacks_rating_and_comment() {
    let (r, app) = setup().await;
    let login = app
        .login("admin", PASSWORD, "test", "session")
        .await
        .unwrap();
    let (actor, _) = app.authenticate(&login.token).await.unwrap();
    let page = app
        .order_list(
            &actor,
            &OrderQuery {
                state: Some("callback_done".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let order = page.items.first().expect("a called-back demo order");
    let d = app.order_get(&actor, order.id).await.unwrap();
    let cb = d.callbacks.first().expect("its callback");
    let label = match cb.rating.as_str() {
        "satisfied" => "满意",
        "basically_satisfied" => "基本满意",
        _ => "不满意",
    };
    let admin = Browser::login(&r, "admin").await;
    let html = admin.get(&format!("/orders/{}", order.id)).await;
    assert_eq!(html.status, StatusCode::OK, "{}", html.body);
    let timeline = between(&html.body, r#"<ol class="timeline">"#, "</ol>").unwrap();
    let entry = between(timeline, r#"<li data-event="called_back">"#, "</li>")
        .unwrap_or_else(|| panic!("a callback entry in {timeline}"));
    assert!(
        entry.contains(&format!(r#"<div class="note">{label}</div>"#)),
        "{label} in {entry}"
    );
    if !cb.comment.is_empty() {
        assert!(entry.contains(&cb.comment), "{} in {entry}", cb.comment);
    }
}

async fn with_method(r: &Router, method: &str, uri: &str, lang: &str) -> common::Resp {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::ACCEPT_LANGUAGE, lang)
        .body(Body::empty())
        .unwrap();
    send(r, req).await
}

#[tokio::test]
async fn a_wrong_method_is_a_405_in_the_error_frame_or_json_under_the_api() {
    let (r, _) = setup().await;
    let page = with_method(&r, "GET", "/logout", "zh-CN").await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        page.headers.contains_key(header::ALLOW),
        "{:?}",
        page.headers
    );
    assert!(page.body.contains(r#"data-status="405""#), "{}", page.body);
    assert!(page.body.contains(r#"href="/""#), "{}", page.body);
    assert!(page.body.contains("不支持"), "{}", page.body);
    let en = with_method(&r, "GET", "/logout?lang=en", "en").await;
    assert_eq!(en.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(en.body.contains("does not take"), "{}", en.body);
    assert!(!en.body.contains("不支持"), "{}", en.body);
    let api = with_method(&r, "DELETE", "/api/v1/enterprises", "zh-CN").await;
    assert_eq!(api.status, StatusCode::METHOD_NOT_ALLOWED);
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(v["code"], "method_not_allowed", "{v}");
    // A path no route serves stays a 404.
    let missing = with_method(&r, "GET", "/no-such-page", "zh-CN").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_policy_whose_window_ended_is_shown_as_ended_not_active() {
    let (r, app) = setup().await;
    // The small demo has no policies: load the demo's 2025 AI policy file.
    app.policy_load_named(
        &lianshi_app::Actor::system(lianshi_app::Source::Demo),
        "ai2025.toml",
        include_str!("../../app/demo/policies/ai2025.toml"),
    )
    .await
    .unwrap();
    let admin = Browser::login(&r, "admin").await;
    // The demo's 2025 AI policy runs 2025-01-01 ~ 2025-12-31; today is later.
    assert!(App::today() > chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
    let page = admin.get("/policies/BJ-AI-2025-01").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<dd>已结束</dd>"), "{}", page.body);
    assert!(!page.body.contains("<dd>生效中</dd>"));
    let list = admin.get("/policies?q=BJ-AI-2025-01").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let row = between(&list.body, r#"href="/policies/BJ-AI-2025-01">"#, "</tr>").unwrap();
    assert!(
        row.contains(r#"<span class="badge">已结束</span>"#),
        "{row}"
    );
}
