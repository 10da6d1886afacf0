//! The pages converted last to typed forms and queries (issue 10): a number or date that does not
//! parse is a 400 naming the field by its label, the form comes back with the typed text, and
//! nothing is written; before, such a value became 0, was ignored, or skipped the version check.

use axum::http::StatusCode;
use lianshi_app::{Actor, App, Source};

mod common;
use common::{Browser, between, setup_file, unescape};

async fn setup(name: &str) -> (axum::Router, App) {
    setup_file(name, 30, 5).await
}

fn sys() -> Actor {
    Actor::system(Source::Demo)
}

#[tokio::test]
async fn a_loan_term_of_abc_answers_400_naming_the_term_and_records_no_loan() {
    let (r, app) = setup("typed-loan").await;
    let admin = Browser::login(&r, "admin").await;
    let before = app.score_loans(&sys()).await.unwrap().count;
    let bad = admin
        .post(
            "/scores/loans",
            &[
                ("enterprise", "91330100MA0000000X"),
                ("amount", "500万"),
                ("rate", "3.45"),
                ("term_months", "abc"),
                ("note", "测试放款"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(text.contains("「期限（月）」不是有效的数字：abc"), "{text}");
    assert!(text.contains(r#"name="term_months" inputmode="numeric" value="abc""#));
    assert!(text.contains(r#"value="500万""#), "the other fields too");
    assert!(text.contains(r#"value="测试放款""#));
    assert_eq!(app.score_loans(&sys()).await.unwrap().count, before);
}

#[tokio::test]
async fn a_category_sort_of_abc_answers_400_naming_the_sort_and_changes_nothing() {
    let (r, app) = setup("typed-category").await;
    let admin = Browser::login(&r, "admin").await;
    let sort_of = async || {
        app.order_categories(&sys())
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.code == "supply_chain")
            .map(|c| (c.sort, c.department_code))
            .unwrap()
    };
    let before = sort_of().await;
    let bad = admin
        .post(
            "/orders/categories",
            &[
                ("code", "supply_chain"),
                ("name_zh", "供应链（改）"),
                ("department", "kjj"),
                ("sort", "abc"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(text.contains("「排序」不是有效的数字：abc"), "{text}");
    assert!(text.contains(r#"name="sort" inputmode="numeric" value="abc""#));
    assert!(
        text.contains(r#"value="供应链（改）""#),
        "the name as typed"
    );
    assert_eq!(sort_of().await, before, "not saved with sort 0");
    // A new category with a bad sort keeps its code in the new-category form.
    let bad = admin
        .post(
            "/orders/categories",
            &[("code", "brand_new"), ("name_zh", "新类别"), ("sort", "x1")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains(r#"value="brand_new""#));
    assert!(
        !app.order_categories(&sys())
            .await
            .unwrap()
            .iter()
            .any(|c| c.code == "brand_new")
    );
}

#[tokio::test]
async fn a_visit_rule_deadline_of_abc_answers_400_naming_it_and_keeps_the_rule() {
    let (r, app) = setup("typed-rule").await;
    let admin = Browser::login(&r, "admin").await;
    let rule = app.visit_rules(&sys()).await.unwrap().remove(0);
    let bad = admin
        .post(
            "/visits/rules",
            &[
                ("code", &rule.code),
                ("version", &rule.version.to_string()),
                ("deadline_workdays", "abc"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(
        text.contains("「办结时限（工作日）」不是有效的数字：abc"),
        "{text}"
    );
    assert!(text.contains(r#"name="deadline_workdays" inputmode="numeric" value="abc""#));
    let after = app
        .visit_rules(&sys())
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.code == rule.code)
        .unwrap();
    assert_eq!(after.version, rule.version, "the rule was not saved");
}

#[tokio::test]
async fn a_visit_whose_task_is_abc_answers_400_naming_the_task_and_keeps_the_summary() {
    let (r, _) = setup("typed-visit").await;
    let admin = Browser::login(&r, "admin").await;
    let list = admin.get("/enterprises").await;
    let uscc = between(&list.body, r#"href="/enterprises/9"#, "\"")
        .map(|x| format!("9{x}"))
        .expect("a demo enterprise");
    let visits = async || {
        admin
            .get("/visits?status=all")
            .await
            .body
            .matches("<tr")
            .count()
    };
    let before = visits().await;
    let bad = admin
        .post(
            "/visits",
            &[
                ("enterprise", &uscc),
                ("visited_on", "2026-03-02"),
                ("participants", "admin"),
                ("summary", "了解融资需求"),
                ("task_id", "abc"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(text.contains("「走访任务」不是有效的数字：abc"), "{text}");
    assert!(text.contains("了解融资需求"), "the summary as typed");
    assert_eq!(visits().await, before, "no visit recorded");
}

#[tokio::test]
async fn a_registry_entry_with_sort_abc_answers_400_naming_the_sort_and_adds_nothing() {
    let (r, app) = setup("typed-registry").await;
    let admin = Browser::login(&r, "admin").await;
    let count = async || {
        app.registry()
            .await
            .unwrap()
            .of_kind(lianshi_domain::zone::RegistryKind::Street)
            .count()
    };
    let before = count().await;
    let bad = admin
        .post(
            "/registry/street",
            &[("code", "TST"), ("name", "测试街道"), ("sort", "abc")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(text.contains("「排序」不是有效的数字：abc"), "{text}");
    assert!(text.contains(r#"<input name="sort" value="abc" inputmode="numeric">"#));
    assert!(text.contains(r#"value="测试街道""#));
    assert_eq!(count().await, before, "not added with sort 0");
}

#[tokio::test]
async fn an_enterprise_edit_with_version_abc_answers_400_and_is_not_saved_without_the_lock() {
    let (r, app) = setup("typed-enterprise").await;
    let admin = Browser::login(&r, "admin").await;
    let list = admin.get("/enterprises").await;
    let uscc = between(&list.body, r#"href="/enterprises/9"#, "\"")
        .map(|x| format!("9{x}"))
        .expect("a demo enterprise");
    let e = app.enterprise_get(&sys(), &uscc).await.unwrap();
    let bad = admin
        .post(
            &format!("/enterprises/{uscc}"),
            &[
                ("uscc", &uscc),
                ("name", "改名测试有限公司"),
                ("version", "abc"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let text = unescape(&bad.body);
    assert!(text.contains("「版本号」不是有效的数字：abc"), "{text}");
    assert!(text.contains("改名测试有限公司"), "the name as typed");
    let after = app.enterprise_get(&sys(), &uscc).await.unwrap();
    assert_eq!((after.name, after.version), (e.name, e.version));
}

#[tokio::test]
async fn a_list_page_of_abc_or_an_impossible_audit_day_is_a_400_naming_the_field() {
    let (r, _) = setup("typed-query").await;
    let admin = Browser::login(&r, "admin").await;
    let bad = admin.get("/enterprises?page=abc").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(unescape(&bad.body).contains("「页码」不是有效的数字：abc"));
    let bad = admin.get("/audit?from=2026-13-40").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(
        unescape(&bad.body).contains("「开始日期」不是有效的日期（年-月-日）：2026-13-40"),
        "{}",
        bad.body
    );
    let bad = admin.get("/visits?team=x&lang=en").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(unescape(&bad.body).contains(r#""Team" is not a number: x"#));
    // Well formed, and empty values, are read as before.
    assert_eq!(
        admin.get("/enterprises?page=2&q=").await.status,
        StatusCode::OK
    );
    assert_eq!(admin.get("/audit?from=&to=").await.status, StatusCode::OK);
}

/// Answers 400 naming the field by its label and quoting the text (`label` as in zh-CN).
async fn refused(b: &Browser, uri: &str, label: &str, text: &str) {
    let r = b.get(uri).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.body);
    let want = format!("「{label}」不是有效的数字：{text}");
    assert!(unescape(&r.body).contains(&want), "{uri}: {}", r.body);
}

/// Answers 200 (a query read as before).
async fn shown(b: &Browser, uri: &str) {
    let r = b.get(uri).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
}

#[tokio::test]
async fn a_council_year_of_abc_is_a_400_naming_the_year_not_every_year() {
    let (r, _) = setup("typed-councils").await;
    let admin = Browser::login(&r, "admin").await;
    refused(&admin, "/councils?year=abc", "年度", "abc").await;
    refused(&admin, "/councils?year=20x6&done=scheduled", "年度", "20x6").await;
    shown(&admin, "/councils?year=2026&done=scheduled").await;
    shown(&admin, "/councils?year=").await;
}

#[tokio::test]
async fn an_order_page_parent_or_visit_of_abc_is_a_400_naming_the_field() {
    let (r, _) = setup("typed-orders").await;
    let admin = Browser::login(&r, "admin").await;
    refused(&admin, "/orders?page=abc", "页码", "abc").await;
    refused(&admin, "/orders/new?parent=abc", "上级工单", "abc").await;
    refused(&admin, "/orders/new?visit=1x", "走访记录", "1x").await;
    let bad = admin.get("/orders?overdue=maybe").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(unescape(&bad.body).contains("仅看超时"), "{}", bad.body);
    shown(&admin, "/orders?page=2&state=&overdue=1").await;
    shown(&admin, "/orders/new?parent=&visit=").await;
    let form = admin.get("/orders/new?parent=7").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        form.body.contains(r#"name="parent_id" value="7""#),
        "the parent kept"
    );
}

#[tokio::test]
async fn a_subsidy_year_or_page_of_abc_is_a_400_naming_the_field_on_both_lists() {
    let (r, _) = setup("typed-subsidies").await;
    let admin = Browser::login(&r, "admin").await;
    refused(&admin, "/subsidies?year=abc", "年度", "abc").await;
    refused(&admin, "/subsidies?page=x", "页码", "x").await;
    refused(&admin, "/subsidies/ledger?year=2o26", "年度", "2o26").await;
    refused(&admin, "/subsidies/ledger?page=abc", "页码", "abc").await;
    shown(&admin, "/subsidies?year=2026&page=1").await;
    shown(&admin, "/subsidies/ledger?year=&done=payout&paid=3").await;
}

#[tokio::test]
async fn a_team_page_of_abc_is_a_400_naming_the_page_not_the_first_page() {
    let (r, app) = setup("typed-teams").await;
    let admin = Browser::login(&r, "admin").await;
    let id = app.team_list(&sys()).await.unwrap()[0].id;
    refused(&admin, &format!("/teams/{id}?page=abc"), "页码", "abc").await;
    refused(
        &admin,
        &format!("/teams/{id}?done=assigned&matched=x"),
        "匹配数",
        "x",
    )
    .await;
    shown(&admin, &format!("/teams/{id}?page=2")).await;
    let done = admin
        .get(&format!(
            "/teams/{id}?done=assigned&matched=3&assigned=2&moved=1&skipped=0"
        ))
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(
        done.body.contains("已处理企业 3：新分配 2，改派 1，跳过 0"),
        "the counts shown: {}",
        done.body
    );
}
