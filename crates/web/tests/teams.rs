//! The service loop through the router (no ports): teams, 包联, visit tasks and the visit log,
//! as JSON on both backends and as pages with CSRF-checked forms.

use axum::http::StatusCode;
use lianshi_app::{Actor, App, Source};
use lianshi_store::{Db, both_backends};
use serde_json::json;

mod common;
use common::{Browser, assert_error, assert_router_documented, between, call, setup, token};

both_backends!(
    a_team_member_sees_only_their_team_and_records_a_visit_that_closes_its_tasks,
    |db: Db| async move {
        let (r, _) = setup(db, 40).await;
        let admin = token(&r, "admin").await;
        let (s, teams) = call(&r, "GET", "/api/v1/teams", Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(teams["total"], 8);
        let t1 = teams["items"][0]["id"].as_i64().unwrap();
        let member = token(&r, "team1_2").await;
        let (_, mine) = call(&r, "GET", "/api/v1/teams", Some(&member), None).await;
        assert_eq!(mine["total"], 1);
        let t2 = teams["items"][1]["id"].as_i64().unwrap();
        let (s, v) = call(
            &r,
            "GET",
            &format!("/api/v1/teams/{t2}"),
            Some(&member),
            None,
        )
        .await;
        assert_error(s, &v, StatusCode::FORBIDDEN);
        let (_, ents) = call(
            &r,
            "GET",
            &format!("/api/v1/teams/{t1}/enterprises?per_page=200"),
            Some(&member),
            None,
        )
        .await;
        let uscc = ents["items"][0]["uscc"].as_str().unwrap().to_string();
        let (s, _) = call(
            &r,
            "PUT",
            &format!("/api/v1/visit-rules/indicators/{uscc}"),
            Some(&admin),
            Some(json!({"period": "2001", "revenue_fen": 1})),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/visits",
            Some(&member),
            Some(json!({"enterprise": uscc, "visited_on": "2999-01-01", "summary": "x"})),
        )
        .await;
        assert_error(s, &v, StatusCode::BAD_REQUEST);
        assert_eq!(v["code"], "visit_in_future");
        let today = App::today().to_string();
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/visits",
            Some(&member),
            Some(
                json!({"enterprise": uscc, "visited_on": today, "summary": "了解芯片采购",
                        "participants": ["team1_2", "team1_1"], "attachments": ["照片.jpg"]}),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["participants"].as_array().unwrap().len(), 2);
        let (_, open) = call(
            &r,
            "GET",
            &format!("/api/v1/visit-tasks?enterprise={uscc}&status=open"),
            Some(&member),
            None,
        )
        .await;
        assert_eq!(open["total"], 0, "{open}");
        let (_, log) = call(
            &r,
            "GET",
            &format!("/api/v1/visits?team={t1}&from={today}"),
            Some(&member),
            None,
        )
        .await;
        assert!(log["total"].as_i64().unwrap() >= 1);
        let (s, v) = call(&r, "POST", "/api/v1/visit-tasks/scan", Some(&member), None).await;
        assert_error(s, &v, StatusCode::FORBIDDEN);
        let (s, v) = call(&r, "POST", "/api/v1/visit-tasks/scan", Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            v["created"], 0,
            "a second scan the same day creates nothing"
        );
    }
);

both_backends!(
    an_enterprise_user_sees_its_own_team_and_contact_and_nothing_else,
    |db: Db| async move {
        let (r, app) = setup(db, 40).await;
        let ent = token(&r, "ent").await;
        let (_, me) = call(&r, "GET", "/api/v1/me", Some(&ent), None).await;
        let own = app
            .db
            .enterprise_by_id(me["enterprise_id"].as_i64().unwrap())
            .await
            .unwrap()
            .unwrap()
            .uscc;
        let (s, v) = call(
            &r,
            "GET",
            &format!("/api/v1/teams/enterprise/{own}"),
            Some(&ent),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["team_name"].as_str().unwrap().contains("服务团队"));
        assert!(v["contact_name"].is_string());
        for uri in [
            "/api/v1/teams",
            "/api/v1/visits",
            "/api/v1/visit-tasks",
            "/api/v1/visit-rules",
        ] {
            let (s, v) = call(&r, "GET", uri, Some(&ent), None).await;
            assert_error(s, &v, StatusCode::FORBIDDEN);
        }
        let (s, v) = call(
            &r,
            "GET",
            &format!("/api/v1/teams/enterprise/{own}/history"),
            Some(&ent),
            None,
        )
        .await;
        assert_error(s, &v, StatusCode::FORBIDDEN);
        let bank = token(&r, "bank").await;
        let (s, v) = call(
            &r,
            "GET",
            &format!("/api/v1/teams/enterprise/{own}"),
            Some(&bank),
            None,
        )
        .await;
        assert_error(s, &v, StatusCode::FORBIDDEN);
    }
);

both_backends!(
    an_administrator_creates_a_team_and_assigns_a_street_in_bulk_with_history,
    |db: Db| async move {
        let (r, _) = setup(db, 40).await;
        let admin = token(&r, "admin").await;
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/teams",
            Some(&admin),
            Some(json!({"name": "第九服务团队（示例）", "leader": "team", "members": [{"user": "dept"}]})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["members"].as_array().unwrap().len(), 2);
        let (s, v) = call(
            &r,
            "POST",
            &format!("/api/v1/teams/{id}/assignments"),
            Some(&admin),
            Some(json!({"filter": {"street": "nosuchstreet"}})),
        )
        .await;
        assert_error(s, &v, StatusCode::BAD_REQUEST);
        let (_, streets) = call(&r, "GET", "/api/v1/registry", Some(&admin), None).await;
        let street = streets["street"][0]["code"].as_str().unwrap().to_string();
        let (s, rep) = call(
            &r,
            "POST",
            &format!("/api/v1/teams/{id}/assignments"),
            Some(&admin),
            Some(json!({"filter": {"street": street}, "reassign": true, "contact": "dept", "reason": "按街道包联"})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{rep}");
        let n = rep["moved"].as_i64().unwrap() + rep["assigned"].as_i64().unwrap();
        assert!(n > 0, "{rep}");
        let (_, page) = call(
            &r,
            "GET",
            &format!("/api/v1/teams/{id}/enterprises?per_page=200"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(page["total"].as_i64().unwrap(), n);
        let uscc = page["items"][0]["uscc"].as_str().unwrap();
        let (_, h) = call(
            &r,
            "GET",
            &format!("/api/v1/teams/enterprise/{uscc}/history"),
            Some(&admin),
            None,
        )
        .await;
        let last = h["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["to_team_id"], id);
        assert_eq!(last["reason"], "按街道包联");
        let (s, v) = call(
            &r,
            "PUT",
            &format!("/api/v1/teams/enterprise/{uscc}"),
            Some(&admin),
            Some(json!({"team_id": id, "contact": "team1_1"})),
        )
        .await;
        assert_error(s, &v, StatusCode::BAD_REQUEST);
        assert_eq!(v["code"], "contact_not_member");
    }
);

#[tokio::test]
async fn the_openapi_document_lists_every_service_route() {
    let t = lianshi_store::testkit::sqlite().await;
    let (r, _) = setup(t.db.clone(), 40).await;
    let (_, doc) = call(&r, "GET", "/api/v1/openapi.json", None, None).await;
    assert!(assert_router_documented(&r, &doc, "/api/v1/teams") >= 6);
    assert!(assert_router_documented(&r, &doc, "/api/v1/visit") >= 6);
    assert!(doc["paths"].get("/api/v1/enterprises").is_some());
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_team_and_visit_pages_show_the_loop_and_a_visit_form_closes_a_task() {
    let t = lianshi_store::testkit::sqlite().await;
    let (r, app) = setup(t.db.clone(), 40).await;
    let admin = Browser::login(&r, "admin").await;
    let teams = admin.get("/teams").await;
    assert_eq!(teams.status, StatusCode::OK);
    assert!(teams.body.contains("第一服务团队（"));
    assert!(teams.body.contains("服务团队</a>"), "nav entry");
    let t1 = app.team_list(&Actor::system(Source::Cli)).await.unwrap()[0].clone();
    let page = admin.get(&format!("/teams/{}", t1.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!(r#"data-total="{}""#, t1.enterprises))
    );
    let member = Browser::login(&r, &t1.members[0].username).await;
    let visits = member.get("/visits?status=all").await;
    assert_eq!(visits.status, StatusCode::OK, "{}", visits.body);
    let task_link = between(&visits.body, "/visits/new?enterprise=", "\"")
        .expect("an open task with a record link")
        .replace("&amp;", "&");
    let uscc = task_link.split('&').next().unwrap().to_string();
    let form_page = member
        .get(&format!("/visits/new?enterprise={task_link}"))
        .await;
    assert_eq!(form_page.status, StatusCode::OK);
    assert!(form_page.body.contains(r#"name="summary""#));
    let today = App::today().to_string();
    let fields = [
        ("enterprise", uscc.as_str()),
        ("visited_on", today.as_str()),
        ("participants", t1.members[0].username.as_str()),
        ("summary", "座谈了解用工需求"),
        ("attachments", "走访照片.jpg"),
    ];
    let refused = member.post_raw("/visits", &fields).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let before = app
        .visit_list(
            &Actor::system(Source::Cli),
            &lianshi_app::visit::VisitQuery::default(),
        )
        .await
        .unwrap()
        .total;
    let ok = member.post("/visits", &fields).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let after = app
        .visit_list(
            &Actor::system(Source::Cli),
            &lianshi_app::visit::VisitQuery::default(),
        )
        .await
        .unwrap()
        .total;
    assert_eq!(after, before + 1);
    let log = member
        .get(&format!("/visits?enterprise={uscc}&status=open"))
        .await;
    assert!(log.body.contains("座谈了解用工需求"));
    assert!(
        log.body.contains(r#"data-tasks="0""#),
        "the visit closed the open tasks"
    );
    let bad = member
        .post(
            "/visits",
            &[
                ("enterprise", uscc.as_str()),
                ("visited_on", "2999-01-01"),
                ("summary", "x"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("走访日期不能晚于今天"));
    let rules = member.get("/visits/rules").await;
    assert!(rules.body.contains("新落户必访"));
    assert!(
        !rules.body.contains(r#"name="deadline_workdays""#),
        "members cannot edit rules"
    );
    let saved = admin
        .post(
            "/visits/rules",
            &[
                ("code", "periodic"),
                ("deadline_workdays", "15"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let ent = Browser::login(&r, "ent").await;
    let own = ent.get("/teams").await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains(r#"class="contact""#));
    let redirected = ent.get("/visits").await;
    assert_eq!(redirected.status, StatusCode::SEE_OTHER);
}

/// A team member and one enterprise of their team.
async fn member_and_enterprise(app: &App) -> (String, String) {
    let sys = Actor::system(Source::Cli);
    let t1 = app.team_list(&sys).await.unwrap()[0].clone();
    let ents = app
        .team_enterprises(&sys, t1.id, None, Some(10))
        .await
        .unwrap();
    (t1.members[0].username.clone(), ents.items[0].uscc.clone())
}

async fn visit_orders_of(app: &App, visit_id: i64) -> Vec<lianshi_app::order::OrderView> {
    app.order_list(
        &Actor::system(Source::Cli),
        &lianshi_app::order::OrderQuery {
            per_page: Some(200),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .filter(|o| o.visit_id == Some(visit_id))
    .collect()
}

both_backends!(
    the_visits_api_files_pain_points_as_visit_orders_and_refuses_a_bad_one_whole,
    |db: Db| async move {
        let (r, app) = setup(db, 40).await;
        let (user, uscc) = member_and_enterprise(&app).await;
        let member = token(&r, &user).await;
        let today = App::today().to_string();
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/visits",
            Some(&member),
            Some(json!({"enterprise": uscc, "visited_on": today, "summary": "了解芯片采购",
                "pain_points": [
                    {"title": "GPU采购周期长", "description": "交付等待半年", "category": "supply_chain", "urgency": "urgent"},
                    {"title": "专利布局", "category": "ip"}]})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["order_ids"].as_array().unwrap().len(), 2, "{v}");
        let visit_id = v["id"].as_i64().unwrap();
        let orders = visit_orders_of(&app, visit_id).await;
        assert_eq!(orders.len(), 2);
        assert!(orders.iter().all(|o| o.channel == "visit"));
        assert!(orders.iter().any(|o| o.category == "ip"));
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/visits",
            Some(&member),
            Some(
                json!({"enterprise": uscc, "visited_on": today, "summary": "第二次走访",
                "pain_points": [{"title": "", "description": "没有标题"}]}),
            ),
        )
        .await;
        assert_error(s, &v, StatusCode::BAD_REQUEST);
        assert_eq!(v["code"], "order_title_required");
    }
);

both_backends!(
    the_visit_form_saves_filled_pain_point_rows_as_orders_and_keeps_them_on_error,
    |db: Db| async move {
        let (r, app) = setup(db, 40).await;
        let (user, uscc) = member_and_enterprise(&app).await;
        let member = Browser::login(&r, &user).await;
        let form = member.get(&format!("/visits/new?enterprise={uscc}")).await;
        assert_eq!(form.status, StatusCode::OK);
        assert_eq!(form.body.matches(r#"name="pp_title""#).count(), 3);
        assert!(form.body.contains(r#"<option value="supply_chain""#));
        // Each row's category starts at 请选择 (issue 18).
        assert_eq!(
            form.body
                .matches(r#"<select name="pp_category"><option value="">请选择</option>"#)
                .count(),
            3
        );
        let today = App::today().to_string();
        let mut fields = vec![
            ("enterprise", uscc.as_str()),
            ("visited_on", today.as_str()),
            ("summary", "座谈了解融资需求"),
        ];
        for (title, cat, urg) in [
            ("贷款贴息咨询", "financing", "normal"),
            ("", "other", "normal"),
            ("厂房扩租", "land", "urgent"),
        ] {
            fields.extend([
                ("pp_title", title),
                ("pp_description", ""),
                ("pp_category", cat),
                ("pp_urgency", urg),
            ]);
        }
        let bad: Vec<(&str, &str)> = fields
            .iter()
            .map(|&(k, v)| if v == "land" { (k, "nope") } else { (k, v) })
            .collect();
        let q = lianshi_app::visit::VisitQuery {
            enterprise: Some(uscc.clone()),
            ..Default::default()
        };
        let sys = Actor::system(Source::Cli);
        let before = app.visit_list(&sys, &q).await.unwrap().total;
        let refused = member.post("/visits", &bad).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(refused.body.contains("堵点2"), "row number in the error");
        assert!(refused.body.contains(r#"value="厂房扩租""#), "rows kept");
        // A filled row left at 请选择 is refused, naming the row and the field.
        let no_category: Vec<(&str, &str)> = fields
            .iter()
            .map(|&(k, v)| if v == "land" { (k, "") } else { (k, v) })
            .collect();
        let refused = member.post("/visits", &no_category).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(
            refused.body.contains("请填写「堵点2 诉求分类」"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains(r#"value="厂房扩租""#), "rows kept");
        let ok = member.post("/visits", &fields).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let visits = app.visit_list(&sys, &q).await.unwrap();
        assert_eq!(visits.total, before + 1, "the refused form wrote no visit");
        let orders = visit_orders_of(&app, visits.items[0].id).await;
        let mut cats: Vec<&str> = orders.iter().map(|o| o.category.as_str()).collect();
        cats.sort();
        assert_eq!(cats, ["financing", "land"]);
    }
);
