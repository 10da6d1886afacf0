//! Benefit policies through the router (no ports): the JSON API on both backends (catalogue,
//! loading with line and column, explanations, push and notices, what-if) and the pages an
//! officer and an enterprise use.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lianshi_app::{Actor, Source};
use lianshi_store::{Db, both_backends};
use serde_json::{Value, json};

mod common;
use common::{Browser, assert_router_documented, call_as, enc, send, setup, token};

const RULE: &str = r#"[[policy]]
code = "T-WEB-1"
kind = "policy"
title = "网页测试研发补助"
department = "kjj"
legal_ref = "测试〔2025〕9号 第三条"
who = "有研发投入的企业"
track = "免申即享"
status = "active"
window_from = 2024-01-01
window_to = 2030-12-31
materials = ["营业执照"]
contact = "区科技局"
benefit = "min(rd_spend_yuan * params.rate, params.cap_yuan)"
  [policy.params]
  rd_min = { "2024-01-01" = 0.5 }
  rate = { "2024-01-01" = 0.1 }
  cap_yuan = { "2024-01-01" = 100000 }
  [[policy.conditions]]
  clause = "第三条第一款"
  when = "rd_ratio >= params.rd_min"
"#;

fn j(v: Value) -> Option<(&'static str, String)> {
    Some(("application/json", v.to_string()))
}

fn toml(s: &str) -> Option<(&'static str, String)> {
    Some(("application/toml", s.to_string()))
}

/// Whether `text` holds `prefix` followed by `digits:digits:`.
fn has_line_col(text: &str, prefix: &str) -> bool {
    text.match_indices(prefix).any(|(i, _)| {
        let mut parts = text[i + prefix.len()..].splitn(3, ':');
        let num = |s: Option<&str>| {
            s.is_some_and(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
        };
        num(parts.next()) && num(parts.next())
    })
}

both_backends!(
    the_policy_api_loads_explains_pushes_and_simulates,
    |db: Db| async move {
        let (r, app) = setup(db, 30).await;
        let t = token(&r, "admin").await;
        let (s, v) = call_as(&r, "GET", "/api/v1/policies/NOPE", Some(&t), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");

        // A bad rule file: 400 with FILE:line:col, nothing saved.
        let bad = RULE.replace("rd_ratio >= params.rd_min", "rd_ratio >= params.rd_mni");
        let (s, v) = call_as(
            &r,
            "POST",
            "/api/v1/policies/load?file=web.toml",
            Some(&t),
            toml(&bad),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["code"], "rule_invalid");
        assert!(
            has_line_col(v["message"].as_str().unwrap(), "web.toml:"),
            "{v}"
        );
        let (s, _) = call_as(&r, "GET", "/api/v1/policies/T-WEB-1", Some(&t), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v) = call_as(
            &r,
            "POST",
            "/api/v1/policies/load?file=web.toml",
            Some(&t),
            toml(RULE),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["created"], json!(["T-WEB-1"]));
        let (s, v) = call_as(&r, "GET", "/api/v1/policies/T-WEB-1", Some(&t), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["conditions"][0]["clause"], "第三条第一款");
        assert_eq!(v["params"].as_array().unwrap().len(), 3);
        assert_eq!(v["department_name"], "区科学技术局");
        // The catalogue is searchable and filterable.
        let (s, v) = call_as(
            &r,
            "GET",
            &format!("/api/v1/policies?track={}&department=kjj", enc("免申即享")),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["total"].as_i64().unwrap() > 0, "{v}");
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["track"] == "免申即享")
        );
        let (s, v) = call_as(
            &r,
            "GET",
            &format!("/api/v1/policies?q={}", enc("网页测试")),
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["total"], 1, "{v}");
        let (s, v) = call_as(
            &r,
            "GET",
            "/api/v1/policies?department=nope",
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

        // Explanations: the demo enterprise user's own enterprise, and nobody else's.
        let ent = token(&r, "ent").await;
        let me = app
            .db
            .user_by_username("ent")
            .await
            .unwrap()
            .unwrap()
            .enterprise_id
            .unwrap();
        let (s, v) = call_as(
            &r,
            "GET",
            &format!("/api/v1/policies/T-WEB-1/explain?enterprise_id={me}"),
            Some(&ent),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["conditions"][0]["clause"], "第三条第一款");
        assert!(
            v["conditions"][0]["text"]
                .as_str()
                .unwrap()
                .contains("rd_ratio"),
            "{v}"
        );
        let other = me + 1;
        let (s, _) = call_as(
            &r,
            "GET",
            &format!("/api/v1/policies/T-WEB-1/explain?enterprise_id={other}"),
            Some(&ent),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "like an unknown enterprise");
        let (s, v) = call_as(
            &r,
            "GET",
            &format!("/api/v1/enterprises/{me}/policies"),
            Some(&ent),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["policy_code"] == "T-WEB-1"),
            "{v}"
        );
        let (s, _) = call_as(
            &r,
            "GET",
            &format!("/api/v1/enterprises/{other}/policies"),
            Some(&ent),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "like an unknown enterprise");

        // What-if: 50% R&D → 0% lets everyone with R&D spending in; unknown parameter is a 400.
        let (s, v) = call_as(
            &r,
            "POST",
            "/api/v1/policies/T-WEB-1/simulate",
            Some(&t),
            j(json!({"set": {"rd_min": 0.0}, "on": "2025-06-30"})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        for k in [
            "policy",
            "newly_eligible",
            "dropped",
            "eligible_before",
            "eligible_after",
            "budget_change_fen",
            "by_ecosystem",
            "by_chain",
            "by_size",
            "samples_added",
            "samples_dropped",
        ] {
            assert!(v.get(k).is_some(), "{k} missing in {v}");
        }
        assert!(v["newly_eligible"].as_i64().unwrap() > 0, "{v}");
        assert!(v["budget_change_fen"].as_i64().unwrap() > 0, "{v}");
        let (s, v) = call_as(
            &r,
            "POST",
            "/api/v1/policies/T-WEB-1/simulate",
            Some(&t),
            j(json!({"set": {"nope": 1}})),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["code"], "param_unknown");
        let (s, _) = call_as(
            &r,
            "POST",
            "/api/v1/policies/NOPE/simulate",
            Some(&t),
            j(json!({})),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = call_as(
            &r,
            "POST",
            "/api/v1/policies/T-WEB-1/simulate",
            Some(&ent),
            j(json!({})),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // Push twice: the second run creates nothing.
        let (s, v) = call_as(
            &r,
            "POST",
            "/api/v1/policies/push?on=2025-06-30",
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v2) = call_as(
            &r,
            "POST",
            "/api/v1/policies/push?on=2025-06-30",
            Some(&t),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v2}");
        assert_eq!(v2["run"]["created"], 0, "{v2}");
        assert!(v["run"]["eligible"].as_i64().unwrap() >= v["run"]["created"].as_i64().unwrap());
        let (s, v) = call_as(&r, "GET", "/api/v1/policy-notices", Some(&ent), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        for n in v["items"].as_array().unwrap() {
            assert_eq!(n["enterprise_id"], me);
        }
        let (s, _) = call_as(
            &r,
            "POST",
            "/api/v1/policy-notices/999999/confirm",
            Some(&ent),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
);

#[tokio::test]
async fn the_policy_pages_show_the_guide_edit_with_line_and_column_simulate_and_list_policies_for_me()
 {
    let t = lianshi_store::testkit::sqlite().await;
    let (r, app) = setup(t.db.clone(), 30).await;
    app.policy_load(&Actor::system(Source::Cli), RULE)
        .await
        .unwrap();
    let admin = Browser::login(&r, "admin").await;

    let list = admin.get("/policies").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("T-WEB-1"));
    assert!(list.body.contains("href=\"/policies\""), "nav entry");
    let found = admin.get(&format!("/policies?q={}", enc("网页测试"))).await;
    assert!(found.body.contains("data-policies=\"1\""), "{}", found.body);

    let detail = admin.get("/policies/T-WEB-1").await;
    assert_eq!(detail.status, StatusCode::OK);
    for text in [
        "测试〔2025〕9号 第三条",
        "有研发投入的企业",
        "第三条第一款",
        "params.rd_min",
        "营业执照",
        "2030-12-31",
    ] {
        assert!(detail.body.contains(text), "{text} missing");
    }
    assert_eq!(
        admin.get("/policies/NOPE").await.status,
        StatusCode::NOT_FOUND
    );

    // A bad edit re-renders the form with line and column; nothing is saved.
    let bad = RULE.replace("rd_ratio >= params.rd_min", "rd_ratio >= 'x'");
    let resp = admin
        .post("/policies/T-WEB-1/edit", &[("source", &bad)])
        .await;
    assert_eq!(resp.status, StatusCode::BAD_REQUEST, "{}", resp.body);
    assert!(has_line_col(&resp.body, "T-WEB-1:"), "{}", resp.body);
    assert!(
        resp.body.contains("rd_ratio &gt;= &#39;x&#39;")
            || resp.body.contains("rd_ratio &#62;= &#39;x&#39;")
            || resp.body.contains("&#x27;x&#x27;"),
        "the form keeps the text"
    );
    let v = app
        .policy_get(&Actor::system(Source::Cli), "T-WEB-1")
        .await
        .unwrap();
    assert_eq!(v.row.version, 1);
    let good = RULE.replace("网页测试研发补助", "网页测试研发补助（修订）");
    let resp = admin
        .post("/policies/T-WEB-1/edit", &[("source", &good)])
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let v = app
        .policy_get(&Actor::system(Source::Cli), "T-WEB-1")
        .await
        .unwrap();
    assert_eq!(v.row.version, 2);

    // The sandbox page.
    let resp = admin
        .post(
            "/policies/T-WEB-1/simulate",
            &[("p_rd_min", "0"), ("on", "2025-06-30")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    assert!(resp.body.contains("data-newly="), "{}", resp.body);
    let resp = admin
        .post(
            "/policies/T-WEB-1/simulate",
            &[("clause", "第三条第一款"), ("expr", "rd_ratio >=")],
        )
        .await;
    assert_eq!(resp.status, StatusCode::BAD_REQUEST);

    // Explanation page for one enterprise, by credit code.
    let me = app
        .db
        .user_by_username("ent")
        .await
        .unwrap()
        .unwrap()
        .enterprise_id
        .unwrap();
    let uscc = app.db.enterprise_by_id(me).await.unwrap().unwrap().uscc;
    let resp = admin
        .get(&format!("/policies/T-WEB-1/explain?enterprise={uscc}"))
        .await;
    assert_eq!(resp.status, StatusCode::OK);
    assert!(
        resp.body.contains("data-policy=\"T-WEB-1\""),
        "{}",
        resp.body
    );

    // Push from the button, then the enterprise sees its notices and policies for it.
    let resp = admin.post("/policies/push", &[]).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    let ent = Browser::login(&r, "ent").await;
    let mine = ent.get("/policies/mine").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body.contains("data-notices="));
    assert!(mine.body.contains("data-eligible-count="));
    assert!(mine.body.contains("data-policy="), "explanations listed");
    // An enterprise user cannot open the editor or the sandbox.
    assert_eq!(
        ent.get("/policies/T-WEB-1/edit").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ent.get("/policies/T-WEB-1/simulate").await.status,
        StatusCode::FORBIDDEN
    );

    // Upload a rule file (multipart): a bad one is refused with FILE:line:col, a good one loads.
    let upload = |name: &str, text: &str| {
        let boundary = "XPOLICYBOUNDARYX";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/toml\r\n\r\n{text}\r\n--{boundary}--\r\n",
            admin.csrf
        );
        Request::post("/policies/load")
            .header(header::COOKIE, format!("lianshi_session={}", admin.session))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    let second = RULE.replace("T-WEB-1", "T-WEB-2");
    let bad = second.replace("rd_ratio >= params.rd_min", "rd_ratio >= nope_attr");
    let resp = send(&r, upload("up.toml", &bad)).await;
    assert_eq!(resp.status, StatusCode::BAD_REQUEST, "{}", resp.body);
    assert!(has_line_col(&resp.body, "up.toml:"), "{}", resp.body);
    assert_eq!(
        admin.get("/policies/T-WEB-2").await.status,
        StatusCode::NOT_FOUND
    );
    let resp = send(&r, upload("up.toml", &second)).await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.body);
    assert_eq!(admin.get("/policies/T-WEB-2").await.status, StatusCode::OK);

    // The OpenAPI document lists every policy route.
    let doc = send(
        &r,
        Request::get("/api/v1/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let doc: Value = serde_json::from_str(&doc.body).unwrap();
    assert!(assert_router_documented(&r, &doc, "/api/v1/polic") >= 8);
}
