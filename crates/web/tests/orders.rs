//! Work orders through the router (no ports): the JSON API on both backends, Open311 GeoReport v2,
//! and the pages a signed-in officer uses.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lianshi_app::{Actor, App, Source};
use lianshi_store::{Db, both_backends};
use serde_json::{Value, json};

mod common;
use common::{assert_router_documented, between, call, get, login, post, raw, setup, token};

/// Two enterprises other than the demo enterprise user's own (which is the first).
async fn others(r: &Router, t: &str) -> (String, String) {
    let (_, v) = call(r, "GET", "/api/v1/enterprises?per_page=3", Some(t), None).await;
    let u = |i: usize| v["items"][i]["uscc"].as_str().unwrap().to_string();
    (u(1), u(2))
}

async fn create(r: &Router, t: &str, uscc: &str, category: &str) -> Value {
    let (s, v) = call(
        r,
        "POST",
        "/api/v1/orders",
        Some(t),
        Some(json!({"enterprise": uscc, "title": "GPU芯片采购渠道紧张", "description": "影响训练进度",
                    "category": category, "channel": "12345"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

both_backends!(
    an_illegal_step_is_a_400_and_a_stale_version_a_409_with_the_current_state,
    |db: Db| async move {
        let (r, _) = setup(db, 30).await;
        let t = token(&r, "admin").await;
        let (u1, _) = others(&r, &t).await;
        let o = create(&r, &t, &u1, "supply_chain").await;
        let id = o["id"].as_i64().unwrap();
        assert_eq!(o["state"], "registered");
        assert_eq!(o["department_code"], "jxj");
        assert!(o["due"]["at"].is_string(), "{o}");
        let url = format!("/api/v1/orders/{id}/actions");
        let (s, v) = call(
            &r,
            "POST",
            &url,
            Some(&t),
            Some(json!({"action": "resolve", "text": "x", "version": 1})),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["code"], "order_transition_refused");
        assert!(v["message"].as_str().unwrap().contains("已登记"));
        let (s, v) = call(
            &r,
            "POST",
            &url,
            Some(&t),
            Some(json!({"action": "accept"})),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("order_version_required"))
        );
        let (s, v) = call(
            &r,
            "POST",
            &url,
            Some(&t),
            Some(json!({"action": "accept", "version": 1})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["state"].as_str(), v["version"].as_i64()),
            (Some("accepted"), Some(2))
        );
        // A second officer still holding version 1.
        let (s, v) = call(
            &r,
            "POST",
            &url,
            Some(&t),
            Some(json!({"action": "dispatch", "department": "kjj", "version": 1})),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["code"], "conflict");
        assert_eq!(v["current"]["state"], "accepted");
        assert_eq!(v["current"]["version"], 2);
        let (_, d) = call(&r, "GET", &format!("/api/v1/orders/{id}"), Some(&t), None).await;
        let events: Vec<&str> = d["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(events, ["registered", "accepted"]);
    }
);

both_backends!(users_outside_an_orders_scope_get_403, |db: Db| async move {
    let (r, _) = setup(db, 30).await;
    let admin = token(&r, "admin").await;
    let (u1, _) = others(&r, &admin).await;
    let ip = create(&r, &admin, &u1, "ip").await;
    let chips = create(&r, &admin, &u1, "supply_chain").await;
    let ent = token(&r, "ent").await;
    let (s, v) = call(
        &r,
        "GET",
        &format!("/api/v1/orders/{}", ip["id"]),
        Some(&ent),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = call(
        &r,
        "POST",
        "/api/v1/orders",
        Some(&ent),
        Some(json!({"enterprise": u1, "title": "代别人提诉求"})),
    )
    .await;
    // Another enterprise's credit code answers like an unknown one.
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The demo department officer is 经信局: chips route there, IP (市场监管) does not.
    let dept = token(&r, "dept").await;
    let (s, _) = call(
        &r,
        "GET",
        &format!("/api/v1/orders/{}", ip["id"]),
        Some(&dept),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(
        &r,
        "GET",
        &format!("/api/v1/orders/{}", chips["id"]),
        Some(&dept),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = call(&r, "GET", "/api/v1/orders?per_page=200", Some(&dept), None).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["department_code"] == "jxj"
                || !o["cohandlers"].as_array().unwrap().is_empty())
    );
    let bank = token(&r, "bank").await;
    let (s, _) = call(&r, "GET", "/api/v1/orders", Some(&bank), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The enterprise user files for itself and rates its own order.
    let (s, own) = call(
        &r,
        "POST",
        "/api/v1/orders",
        Some(&ent),
        Some(json!({"title": "研发骨干人才公寓申请", "category": "talent"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{own}");
    assert_eq!(own["channel"], "portal");
    let (s, v) = call(
        &r,
        "POST",
        &format!("/api/v1/orders/{}/callbacks", own["id"]),
        Some(&ent),
        Some(json!({"rating": "satisfied"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "not answered yet: {v}");
});

both_backends!(
    an_open311_request_round_trips_with_its_status_history,
    |db: Db| async move {
        let (r, _) = setup(db, 30).await;
        let t = token(&r, "admin").await;
        let (u1, _) = others(&r, &t).await;
        let (s, services) = call(&r, "GET", "/open311/v2/services.json", None, None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            services
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["service_code"] == "ip")
        );
        let (s, def) = call(&r, "GET", "/open311/v2/services/ip.json", None, None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(def["attributes"][0]["code"], "enterprise_uscc");
        let form = format!(
            "api_key={t}&service_code=ip&description=%E7%AE%97%E6%B3%95%E4%B8%93%E5%88%A9%E9%81%AD%E4%BB%BF%E5%86%92&attribute%5Benterprise_uscc%5D={u1}&attribute%5Burgency%5D=urgent"
        );
        let (s, _, body) = raw(
            &r,
            Request::post("/open311/v2/requests.json")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let created: Value = serde_json::from_str(&body).unwrap();
        let id = created[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, one) = call(
            &r,
            "GET",
            &format!("/open311/v2/requests/{id}.json"),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{one}");
        assert_eq!(one[0]["status"], "open");
        assert_eq!(one[0]["service_code"], "ip");
        assert_eq!(one[0]["description"], "算法专利遭仿冒");
        assert!(
            one[0]["expected_datetime"]
                .as_str()
                .unwrap()
                .ends_with("+08:00")
        );
        // Move it on and follow it through the same endpoint.
        let url = format!("/api/v1/orders/{id}/actions");
        for (i, a) in [
            json!({"action": "accept"}),
            json!({"action": "reply", "text": "已告知维权通道"}),
        ]
        .into_iter()
        .enumerate()
        {
            let mut a = a;
            a["version"] = json!(i + 1);
            let (s, v) = call(&r, "POST", &url, Some(&t), Some(a)).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let (_, list) = call(
            &r,
            "GET",
            &format!("/open311/v2/requests.json?service_request_id={id}&api_key={t}"),
            None,
            None,
        )
        .await;
        assert_eq!(list[0]["status"], "closed");
        let hist = list[0]["history"].as_array().unwrap();
        assert_eq!(hist.len(), 3);
        assert!(
            hist[2]["notes"]
                .as_str()
                .unwrap()
                .contains("已告知维权通道")
        );
        let (s, e) = call(
            &r,
            "GET",
            &format!("/open311/v2/requests/{id}.json"),
            None,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(
            e[0]["description"].is_string(),
            "GeoReport error shape: {e}"
        );
    }
);

#[tokio::test]
async fn the_openapi_document_lists_every_order_route() {
    let t = lianshi_store::testkit::sqlite().await;
    let (r, _) = setup(t.db.clone(), 30).await;
    let (_, doc) = call(&r, "GET", "/api/v1/openapi.json", None, None).await;
    let n = [
        "/api/v1/orders",
        "/api/v1/order-categories",
        "/api/v1/sla",
        "/api/v1/calendar",
    ]
    .map(|p| assert_router_documented(&r, &doc, p));
    assert!(n.iter().sum::<usize>() >= 8);
}

#[tokio::test]
async fn an_officer_files_an_order_in_the_form_acts_on_it_and_a_stale_form_shows_the_conflict() {
    let t = lianshi_store::testkit::sqlite().await;
    let (r, _) = setup(t.db.clone(), 30).await;
    let (session, csrf) = login(&r, "admin", "/orders").await;
    let (s, _, list) = get(&r, &session, "/orders").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("诉求工单") && list.contains("data-total="));
    let total: i64 = between(&list, r#"data-total=""#, "\"")
        .unwrap()
        .parse()
        .unwrap();
    assert!(total >= 35, "demo orders listed: {total}");
    let (s, _, form) = get(&r, &session, "/orders/new").await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains(r#"name="title""#));
    let tok = token(&r, "admin").await;
    let (u1, _) = others(&r, &tok).await;
    let (s, h, body) = post(
        &r,
        &session,
        "/orders",
        &[
            ("_csrf", &csrf),
            ("enterprise", &u1),
            ("title", "扩产急需新增厂房"),
            ("category", "land"),
            ("urgency", "normal"),
            ("channel", "hotline"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let loc = h
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let (s, _, page) = get(&r, &session, &loc).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("扩产急需新增厂房") && page.contains("区规划和自然资源分局"),
        "routed to 规划资源"
    );
    assert!(page.contains("action-accept") && !page.contains("action-start"));
    assert!(page.contains("10个工作日"), "due explanation shown");
    let path = loc.split('?').next().unwrap().to_string();
    let (s, _, _) = post(
        &r,
        &session,
        &format!("{path}/act"),
        &[("_csrf", &csrf), ("action", "accept"), ("version", "1")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, stale) = post(
        &r,
        &session,
        &format!("{path}/act"),
        &[
            ("_csrf", &csrf),
            ("action", "withdraw"),
            ("reason", "重复"),
            ("version", "1"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(stale.contains("已被他人处理") && stale.contains(r#"data-version="2""#));
    let (_, _, page) = get(&r, &session, &path).await;
    assert!(page.contains("已受理") && page.contains("action-dispatch"));
    let (s, _, bad) = post(
        &r,
        &session,
        "/orders",
        &[
            ("_csrf", &csrf),
            ("enterprise", &u1),
            ("category", "land"),
            ("title", " "),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(bad.contains("请填写诉求标题"));
}

both_backends!(
    an_administrator_routes_a_category_sets_a_limit_and_loads_a_calendar_year_in_the_settings_pages,
    |db: Db| async move {
        let (r, app) = setup(db, 30).await;
        let sys = Actor::system(Source::Cli);
        let (session, csrf) = login(&r, "admin", "/orders").await;
        let (_, _, list) = get(&r, &session, "/orders").await;
        assert!(
            list.contains(r#"href="/orders/categories""#),
            "settings link"
        );
        let (s, _, page) = get(&r, &session, "/orders/categories").await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains(r#"data-code="supply_chain""#));
        let route = [
            ("code", "supply_chain"),
            ("name_zh", "供应链与采购（含芯片、算力）"),
            ("department", "kjj"),
            ("sort", "0"),
            ("active", "1"),
        ];
        let (s, _, _) = post(&r, &session, "/orders/categories", &route).await;
        assert_ne!(s, StatusCode::SEE_OTHER, "no CSRF token, no change");
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut v = vec![("_csrf", csrf.clone())];
            v.extend(pairs.iter().map(|(k, x)| (*k, x.to_string())));
            v
        };
        let send = async |uri: &str, v: Vec<(&str, String)>| {
            let pairs: Vec<(&str, &str)> = v.iter().map(|(k, x)| (*k, x.as_str())).collect();
            post(&r, &session, uri, &pairs).await
        };
        let (s, _, _) = send("/orders/categories", with(&route)).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let cats = app.order_categories(&sys).await.unwrap();
        let sc = cats.iter().find(|c| c.code == "supply_chain").unwrap();
        assert_eq!(sc.department_code.as_deref(), Some("kjj"));

        let (s, _, _) = send(
            "/orders/sla",
            with(&[("category", "ip"), ("urgency", "urgent"), ("limit", "2d")]),
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let limits = app.sla_limits(&sys).await.unwrap();
        let ip = limits
            .iter()
            .find(|l| l.category == "ip" && l.urgency.as_str() == "urgent")
            .expect("the limit was stored");
        assert!(ip.limit.starts_with('2'), "{ip:?}");
        let (s, _, page) = send(
            "/orders/sla",
            with(&[("category", "ip"), ("urgency", "urgent"), ("limit", "soon")]),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(page.contains(r#"class="alert error""#));

        let next = chrono::Datelike::year(&App::today()) + 1;
        let (_, _, page) = get(&r, &session, "/orders/calendar").await;
        let note = format!("{next}年未载入法定节假日安排");
        let shipped = app.calendar_years().await.unwrap();
        if !shipped.iter().any(|y| y.year == next) {
            assert!(page.contains(&note), "fallback note for {next}");
        }
        let (s, _, page) = send(
            "/orders/calendar",
            with(&[("text", "year 2099\n2099-13-40 坏日期\n")]),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(page.contains("第2行"), "the parse error names the line");
        let text = format!("year {next}\nsource 测试文号\n{next}-01-01 元旦\n");
        let (s, _, _) = send(
            "/orders/calendar",
            vec![("_csrf", csrf.clone()), ("text", text)],
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (_, _, page) = get(&r, &session, "/orders/calendar").await;
        assert!(page.contains(&format!(r#"data-year="{next}""#)));
        assert!(!page.contains(&note), "no fallback note once loaded");
        let years = app.calendar_years().await.unwrap();
        let y = years.iter().find(|y| y.year == next).unwrap();
        assert_eq!((y.origin, y.source.as_str()), ("loaded", "测试文号"));
    }
);

both_backends!(
    a_team_member_reads_the_order_settings_without_forms_and_cannot_change_them,
    |db: Db| async move {
        let (r, app) = setup(db, 30).await;
        let (session, csrf) = login(&r, "team1_2", "/orders").await;
        let (_, _, list) = get(&r, &session, "/orders").await;
        assert!(!list.contains(r#"href="/orders/categories""#));
        for uri in ["/orders/categories", "/orders/sla", "/orders/calendar"] {
            let (s, _, page) = get(&r, &session, uri).await;
            assert_eq!(s, StatusCode::OK, "{uri}");
            assert!(
                !page.contains(&format!(r#"action="{uri}""#)),
                "no form on {uri}"
            );
        }
        let (s, _, _) = post(
            &r,
            &session,
            "/orders/sla",
            &[
                ("_csrf", &csrf),
                ("category", "ip"),
                ("urgency", "urgent"),
                ("limit", "1d"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let limits = app.sla_limits(&Actor::system(Source::Cli)).await.unwrap();
        assert!(!limits.iter().any(|l| l.category == "ip"
            && l.urgency.as_str() == "urgent"
            && l.limit.starts_with('1')));
    }
);
