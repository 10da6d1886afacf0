//! Page forms decode into typed structs after the session and CSRF checks: a field that does not
//! parse is a 400 that names the field by its label and shows the form again with the typed
//! text; nothing becomes 0 or empty, nothing is written. Forms that were right still work.

use axum::http::StatusCode;
use lianshi_app::{Actor, App, Source};
use lianshi_store::policy::{PolicyWrite, policy_upsert};

mod common;
use common::{Browser, between, setup_file, token, unescape, voucher_holder_uscc};

async fn setup(name: &str) -> (axum::Router, App) {
    setup_file(name, 30, 5).await
}

/// An open subsidy policy `T-RD` to apply for and budget.
async fn add_policy(app: &App) {
    let mut tx = app.db.begin().await.unwrap();
    let p = PolicyWrite {
        code: "T-RD".into(),
        kind: "policy".into(),
        title: "T-RD 研发补助".into(),
        track: "快申快享".into(),
        status: "active".into(),
        group_code: Some("rd".into()),
        source: "[[policy]]\ncode = \"T-RD\"\n".into(),
        ..Default::default()
    };
    policy_upsert(tx.conn(), &p).await.unwrap();
    tx.commit().await.unwrap();
}

/// How many rounds the scheme has.
async fn rounds(app: &App, scheme: &str) -> usize {
    app.voucher_scheme(&Actor::system(Source::Demo), scheme)
        .await
        .unwrap()
        .rounds
        .len()
}

fn round_fields<'a>(year: &'a str, opens_on: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "第九批（测试）"),
        ("year", year),
        ("pool_yuan", "100万"),
        ("opens_on", opens_on),
        ("closes_on", "2026-12-31"),
        ("valid_until", ""),
    ]
}

#[tokio::test]
async fn a_round_whose_year_is_abc_answers_400_naming_the_year_and_keeps_what_was_typed() {
    let (r, app) = setup("forms-year").await;
    let admin = Browser::login(&r, "admin").await;
    let before = rounds(&app, "HZ-SLQ").await;
    let bad = admin
        .post(
            "/vouchers/schemes/HZ-SLQ/rounds",
            &round_fields("abc", "2026-03-01"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(text.contains("「年度」不是有效的数字：abc"), "{text}");
    assert!(
        bad.body
            .contains(r#"<input name="year" inputmode="numeric" value="abc">"#),
        "the year field shows what was typed"
    );
    assert!(
        text.contains(r#"value="第九批（测试）""#),
        "the other fields too"
    );
    assert!(text.contains(r#"value="100万""#));
    assert_eq!(rounds(&app, "HZ-SLQ").await, before, "nothing was saved");
}

#[tokio::test]
async fn an_impossible_opening_date_answers_400_naming_the_field_and_keeps_it() {
    let (r, app) = setup("forms-date").await;
    let admin = Browser::login(&r, "admin").await;
    let before = rounds(&app, "HZ-SLQ").await;
    let bad = admin
        .post(
            "/vouchers/schemes/HZ-SLQ/rounds",
            &round_fields("2026", "2026-13-40"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(
        text.contains("「开放日期」不是有效的日期（年-月-日）：2026-13-40"),
        "{text}"
    );
    assert!(text.contains(r#"name="opens_on" type="date" required value="2026-13-40""#));
    assert_eq!(rounds(&app, "HZ-SLQ").await, before);
}

#[tokio::test]
async fn a_round_without_a_year_still_opens_in_the_year_of_its_opening_date() {
    let (r, app) = setup("forms-round-ok").await;
    let admin = Browser::login(&r, "admin").await;
    let before = rounds(&app, "HZ-SLQ").await;
    let ok = admin
        .post(
            "/vouchers/schemes/HZ-SLQ/rounds",
            &round_fields("", "2026-03-01"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location(), "/vouchers/schemes/HZ-SLQ?done=round");
    let v = app
        .voucher_scheme(&Actor::system(Source::Demo), "HZ-SLQ")
        .await
        .unwrap();
    assert_eq!(v.rounds.len(), before + 1);
    let new = v
        .rounds
        .iter()
        .find(|x| x.round.name == "第九批（测试）")
        .unwrap();
    assert_eq!(new.round.year, 2026, "never year 0");
}

#[tokio::test]
async fn a_grant_of_abc_yuan_answers_400_naming_the_amount_and_keeps_it() {
    let (r, _) = setup("forms-grant").await;
    let admin = Browser::login(&r, "admin").await;
    let page = admin.get("/vouchers/schemes/HZ-SLQ").await;
    let round = between(
        &page.body,
        r#"<select name="round_id" required><option value="">请选择</option><option value=""#,
        "\"",
    )
    .unwrap()
    .to_string();
    let bad = admin
        .post(
            "/vouchers/grant",
            &[
                ("scheme", "HZ-SLQ"),
                ("round_id", &round),
                ("enterprise", "91330100MA0000000X"),
                ("amount_yuan", "abc"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(
        text.contains("「额度（元）」不是有效的金额（元）：abc"),
        "{text}"
    );
    assert!(text.contains(r#"name="amount_yuan" required inputmode="decimal" value="abc""#));
    assert!(text.contains(r#"value="91330100MA0000000X""#));
    // A round that is not a number is named too, and the page is still the scheme's.
    let bad = admin
        .post(
            "/vouchers/grant",
            &[
                ("scheme", "HZ-SLQ"),
                ("round_id", "第一批"),
                ("amount_yuan", "100"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(unescape(&bad.body).contains("「轮次」不是有效的数字：第一批"));
    assert!(bad.body.contains(r#"data-scheme="HZ-SLQ""#));
}

#[tokio::test]
async fn without_the_csrf_token_a_bad_field_is_not_even_read() {
    let (r, app) = setup("forms-csrf").await;
    let admin = Browser::login(&r, "admin").await;
    let before = rounds(&app, "HZ-SLQ").await;
    let bad = admin
        .post_raw(
            "/vouchers/schemes/HZ-SLQ/rounds",
            &round_fields("abc", "2026-03-01"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("csrf_missing"), "{}", bad.body);
    assert!(!unescape(&bad.body).contains("「年度」"));
    assert_eq!(rounds(&app, "HZ-SLQ").await, before);
}

#[tokio::test]
async fn a_subsidy_application_of_abc_yuan_or_year_abc_answers_400_and_keeps_the_form() {
    let (r, app) = setup("forms-subsidy").await;
    add_policy(&app).await;
    let admin = Browser::login(&r, "admin").await;
    let list = admin.get("/subsidies").await;
    assert_eq!(list.status, StatusCode::OK);
    let apply = &list.body[list.body.find("apply-form").unwrap()..];
    assert!(apply.contains(r#"<option value="T-RD">"#), "{apply}");
    let policy = "T-RD".to_string();
    let uscc = voucher_holder_uscc(&r, &token(&r, "ent").await).await;
    let fields = |amount: &'static str, year: &'static str| {
        vec![
            ("policy", policy.clone()),
            ("enterprise", uscc.clone()),
            ("amount", amount.to_string()),
            ("year", year.to_string()),
            ("note", "测试申报".to_string()),
        ]
    };
    let send = |f: Vec<(&'static str, String)>| {
        let admin = &admin;
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.post("/subsidies", &pairs).await
        }
    };
    let bad = send(fields("abc", "2026")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(
        text.contains("「金额（元）」不是有效的金额（元）：abc"),
        "{text}"
    );
    assert!(text.contains(r#"name="amount" required inputmode="decimal" value="abc""#));
    assert!(text.contains(r#"value="测试申报""#));
    assert!(text.contains(&format!(r#"<option value="{policy}" selected>"#)));
    let bad = send(fields("1000", "abc")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let text = unescape(&bad.body);
    assert!(text.contains("「年度」不是有效的数字：abc"), "{text}");
    assert!(text.contains(r#"name="year" inputmode="numeric" value="abc""#));
    // Well formed, it is filed as before.
    let ok = send(fields("1000", "")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(ok.location().ends_with("?done=applied"));
}

#[tokio::test]
async fn a_budget_for_year_abc_answers_400_on_the_ledger_naming_the_year() {
    let (r, app) = setup("forms-budget").await;
    add_policy(&app).await;
    let admin = Browser::login(&r, "admin").await;
    let ledger = admin.get("/subsidies/ledger").await;
    assert_eq!(ledger.status, StatusCode::OK);
    let policy = "T-RD";
    let bad = admin
        .post(
            "/subsidies/budgets",
            &[
                ("policy", policy),
                ("year", "二〇二六"),
                ("budget", "500万"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(text.contains("「年度」不是有效的数字：二〇二六"), "{text}");
    assert!(text.contains(r#"value="二〇二六""#));
    assert!(text.contains(r#"name="budget" required inputmode="decimal" value="500万""#));
    let ok = admin
        .post(
            "/subsidies/budgets",
            &[("policy", policy), ("year", "2026"), ("budget", "500万")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location(), "/subsidies/ledger?year=2026&done=budget");
}

#[tokio::test]
async fn a_council_agenda_draft_with_abc_orders_answers_400_naming_the_field() {
    let (r, _) = setup("forms-council").await;
    let admin = Browser::login(&r, "admin").await;
    let list = admin.get("/councils").await;
    let id = between(&list.body, r#"<a href="/councils/"#, "\"")
        .unwrap()
        .to_string();
    let bad = admin
        .post(
            &format!("/councils/{id}/agenda/draft"),
            &[("min_orders", "abc"), ("window_days", "180")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(text.contains("「最少诉求数」不是有效的数字：abc"), "{text}");
    assert!(text.contains(r#"name="min_orders" inputmode="numeric" value="abc""#));
    // In English the label is English.
    let en = admin
        .post(
            &format!("/councils/{id}/agenda/draft?lang=en"),
            &[("min_orders", "abc")],
        )
        .await;
    assert_eq!(en.status, StatusCode::BAD_REQUEST);
    assert!(unescape(&en.body).contains(r#""Minimum orders" is not a number: abc"#));
    let ok = admin
        .post(
            &format!("/councils/{id}/agenda/draft"),
            &[("min_orders", ""), ("window_days", "")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn an_order_action_with_level_abc_answers_400_naming_the_level_and_changes_nothing() {
    let (r, _) = setup("forms-order").await;
    let admin = Browser::login(&r, "admin").await;
    let list = admin.get("/orders").await;
    assert_eq!(list.status, StatusCode::OK);
    let id = list
        .body
        .split(r#"href="/orders/"#)
        .skip(1)
        .filter_map(|x| x.split('"').next())
        .find(|x| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit()))
        .expect("a demo order")
        .to_string();
    let before = admin.get(&format!("/orders/{id}")).await.body;
    let bad = admin
        .post(
            &format!("/orders/{id}/act"),
            &[("action", "supervise"), ("level", "abc")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(
        unescape(&bad.body).contains("「督办级别」不是有效的数字：abc"),
        "{}",
        bad.body
    );
    let after = admin.get(&format!("/orders/{id}")).await.body;
    assert_eq!(
        between(&before, "data-version=\"", "\""),
        between(&after, "data-version=\"", "\""),
        "the order did not move"
    );
}
