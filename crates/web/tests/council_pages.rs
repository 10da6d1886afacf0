//! The 链上议事会 and 服务成效 pages through the router (no ports): sign in like a browser, read
//! the figures and follow their links, post the council forms.

use axum::Router;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use lianshi_app::App;

mod common;
use common::{Browser, PASSWORD, between, setup_file, unescape};

/// A displayed count (`1,280`) as a number.
fn number(s: &str) -> i64 {
    s.replace(',', "").trim().parse().unwrap()
}

/// The displayed text and link of a zone card.
fn card(html: &str, key: &str) -> (String, String) {
    let start = html
        .find(&format!(r#"data-figure="{key}"><span class="num">"#))
        .unwrap_or_else(|| panic!("card {key}"));
    let head = &html[..start];
    let href = head[head.rfind("href=\"").unwrap() + 6..]
        .split('"')
        .next()
        .unwrap();
    let text = between(&html[start..], r#"<span class="num">"#, "<").unwrap();
    (text.to_string(), unescape(href))
}

fn pct(r: Option<f64>) -> String {
    r.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// A fresh SQLite file with the demo zone (40 enterprises) and the router over it.
async fn setup() -> (Router, App) {
    setup_file("council-pages", 40, 5).await
}

#[tokio::test]
async fn the_figures_page_shows_the_apps_zone_figures_and_every_card_opens_records_of_that_count() {
    let (r, app) = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let to = App::today();
    let from = to - Duration::days(200);
    let page = admin.get(&format!("/service?from={from}&to={to}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let login = app
        .login("admin", PASSWORD, "test", "session")
        .await
        .unwrap();
    let (actor, _) = app.authenticate(&login.token).await.unwrap();
    let rep = app
        .service_figures(&actor, from, to, Utc::now())
        .await
        .unwrap();
    let z = &rep.zone;
    for (key, want) in [
        ("visits", z.visits),
        ("visits_overdue", z.visits_overdue),
        ("orders_received", z.orders_received),
        ("orders_solved", z.orders_solved),
        ("breaches", z.breaches),
        ("council_actions_closed", z.council_actions_closed),
    ] {
        let (text, href) = card(&page.body, key);
        assert_eq!(number(&text), want, "{key}");
        // The records behind the card: as many as the figure says.
        let rec = admin.get(&href).await;
        assert_eq!(rec.status, StatusCode::OK, "{href}: {}", rec.body);
        let total: i64 = between(&rec.body, r#"data-total=""#, "\"")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(total, want, "{key} records at {href}");
        if want <= 1000 {
            assert_eq!(
                rec.body.matches("<tr data-kind=").count() as i64,
                want,
                "{key} rows"
            );
        }
    }
    for (key, want) in [
        ("response_rate", z.response_rate),
        ("resolution_rate", z.resolution_rate),
        ("satisfaction_rate", z.satisfaction_rate),
    ] {
        assert_eq!(card(&page.body, key).0, pct(want), "{key}");
    }
    // A team's visits in the ranking open that team's visit records.
    let team = &rep.by_team[0];
    let href = format!("/service/records?metric=visits&{}", team.filter);
    assert!(
        unescape(&page.body).contains(&href),
        "team link {href} on the page"
    );
    let rec = admin.get(&href).await;
    assert_eq!(
        rec.body.matches("<tr data-kind=\"visit\"").count() as i64,
        team.figures.visits
    );
    // English works.
    let en = admin.get("/service?lang=en").await;
    assert!(en.body.contains("Resolution rate"));
}

#[tokio::test]
async fn records_out_of_scope_and_councils_for_enterprises_are_refused_with_403() {
    let (r, _app) = setup().await;
    let member = Browser::login(&r, "team1_2").await;
    // Aggregates are for everyone in the loop…
    assert_eq!(member.get("/service").await.status, StatusCode::OK);
    // …records only for one's own scope.
    let zone = member.get("/service/records?metric=visits&dim=zone").await;
    assert_eq!(zone.status, StatusCode::FORBIDDEN, "{}", zone.body);
    let ent = Browser::login(&r, "ent").await;
    assert_eq!(ent.get("/councils").await.status, StatusCode::FORBIDDEN);
    assert_eq!(ent.get("/service").await.status, StatusCode::FORBIDDEN);
    assert_eq!(ent.get("/councils/1").await.status, StatusCode::FORBIDDEN);
    // Only the secretariat schedules.
    let dept = Browser::login(&r, "dept").await;
    let resp = dept
        .post("/councils/schedule", &[("chain", "x"), ("year", "2030")])
        .await;
    assert_eq!(resp.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_decision_posted_through_the_form_appears_as_an_action_item_and_without_csrf_nothing_changes()
 {
    let (r, _app) = setup().await;
    let admin = Browser::login(&r, "admin").await;
    let list = admin.get("/councils").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let id = between(&list.body, r#"<tr data-council=""#, "\"").expect("a meeting");
    let uri = format!("/councils/{id}");
    let page = admin.get(&uri).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let actions = |html: &str| -> usize {
        between(html, r#"data-actions=""#, "\"")
            .unwrap()
            .parse()
            .unwrap()
    };
    let before = actions(&page.body);
    let dept = between(
        &page.body,
        r#"<select name="department" required><option value="">"#,
        "</select>",
    )
    .and_then(|s| between(s, r#"<option value=""#, "\""))
    .expect("a department option")
    .to_string();
    let due = (App::today() + Duration::days(30)).to_string();
    let decision = "协调算力券优先支持GPU采购（页面测试）";
    let fields = [
        ("decision", decision),
        ("department", dept.as_str()),
        ("due_on", due.as_str()),
    ];
    // Without the CSRF token: refused, nothing recorded.
    let refused = admin
        .post_raw(&format!("/councils/{id}/decisions"), &fields)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let same = admin.get(&uri).await;
    assert_eq!(actions(&same.body), before);
    assert!(!same.body.contains(decision));
    // With it: an action item with owner and due date.
    let ok = admin
        .post(&format!("/councils/{id}/decisions"), &fields)
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let after = admin.get(&uri).await;
    assert_eq!(actions(&after.body), before + 1);
    let row = &after.body[after.body.find(decision).expect("the decision")..];
    assert!(row[..row.find("</tr>").unwrap()].contains(&due));
    // The agenda can be added to and redrafted through the forms.
    let add = admin
        .post(
            &format!("/councils/{id}/agenda"),
            &[("title", "人才公寓供给（页面测试）")],
        )
        .await;
    assert_eq!(add.status, StatusCode::SEE_OTHER, "{}", add.body);
    let redraft = admin
        .post(&format!("/councils/{id}/agenda/draft"), &[])
        .await;
    assert_eq!(redraft.status, StatusCode::SEE_OTHER, "{}", redraft.body);
    assert!(
        admin
            .get(&uri)
            .await
            .body
            .contains("人才公寓供给（页面测试）")
    );
}

/// All `href="…"` values of a page.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(unescape)
        .collect()
}

#[tokio::test]
async fn every_link_on_the_council_pages_opens_for_each_role_that_may_read_councils() {
    let (r, _app) = setup().await;
    let mut order_links = 0;
    for user in ["secretary", "dept", "team", "admin"] {
        let b = Browser::login(&r, user).await;
        let list = b.get("/councils").await;
        assert_eq!(list.status, StatusCode::OK, "{user}: {}", list.body);
        let councils: Vec<String> = hrefs(&list.body)
            .into_iter()
            .filter(|h| h.starts_with("/councils/") && h[10..].parse::<i64>().is_ok())
            .collect();
        assert!(!councils.is_empty(), "{user}");
        let mut seen = std::collections::HashSet::new();
        for c in &councils {
            let page = b.get(c).await;
            assert_eq!(page.status, StatusCode::OK, "{user} {c}");
            for h in hrefs(&page.body) {
                if h.starts_with('/') && !h.starts_with("/static") && seen.insert(h.clone()) {
                    if h.starts_with("/orders/") {
                        order_links += 1;
                    }
                    let got = b.get(&h).await;
                    assert_ne!(got.status, StatusCode::FORBIDDEN, "{user} on {c}: {h}");
                    assert_ne!(got.status, StatusCode::NOT_FOUND, "{user} on {c}: {h}");
                }
            }
            if user == "secretary" {
                assert!(!page.body.contains("href=\"/orders/"), "{c}");
            }
        }
    }
    // The administrator still gets the links.
    assert!(order_links > 0);
}
