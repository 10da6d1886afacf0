//! The JSON API through the router (no ports), on both backends.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lianshi_store::{Db, both_backends};
use serde_json::{Value, json};
use tower::ServiceExt;

mod common;
use common::{assert_error, assert_router_documented, call, enc, setup, token};

both_backends!(
    the_list_is_filtered_paged_and_counts_what_it_filters,
    |db: Db| async move {
        let (r, _) = setup(db, 30).await;
        let t = token(&r, "admin").await;
        let (s, all) = call(&r, "GET", "/api/v1/enterprises?per_page=7", Some(&t), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(all["total"], 30);
        assert_eq!(all["items"].as_array().unwrap().len(), 7);
        let (_, p5) = call(
            &r,
            "GET",
            "/api/v1/enterprises?per_page=7&page=5",
            Some(&t),
            None,
        )
        .await;
        assert_eq!(p5["items"].as_array().unwrap().len(), 2);
        let (_, ic) = call(
            &r,
            "GET",
            "/api/v1/enterprises?chain=ic&per_page=200",
            Some(&t),
            None,
        )
        .await;
        let n = ic["total"].as_i64().unwrap();
        assert_eq!(ic["items"].as_array().unwrap().len() as i64, n);
        assert!(ic["items"].as_array().unwrap().iter().all(|e| {
            e["chain_nodes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["chain_code"] == "ic")
        }));
        let (_, eco) = call(
            &r,
            "GET",
            "/api/v1/enterprises?ecosystem=iot&per_page=1",
            Some(&t),
            None,
        )
        .await;
        assert!(eco["total"].as_i64().unwrap() >= n);
        let name = all["items"][0]["name"].as_str().unwrap();
        let q: String = name.chars().take(4).collect();
        let (_, found) = call(
            &r,
            "GET",
            &format!("/api/v1/enterprises?q={}", enc(&q)),
            Some(&t),
            None,
        )
        .await;
        assert!(
            found["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["name"] == name)
        );
        let (s, v) = call(&r, "GET", "/api/v1/enterprises?chain=nope", Some(&t), None).await;
        assert_error(s, &v, StatusCode::BAD_REQUEST);
    }
);

both_backends!(
    create_read_update_and_the_error_statuses,
    |db: Db| async move {
        let (r, _) = setup(db, 30).await;
        let t = token(&r, "admin").await;
        let body = json!({"uscc": "91330108MA27Y5XH5G", "name": "接口测试（示例）", "headcount": 50, "revenue_fen": 500000000,
                      "chain_nodes": ["ic.design"], "tags": ["专精特新"], "contact_phone": "13812345678", "street": "xixing"});
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/enterprises",
            Some(&t),
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["revenue_fen"], 500000000);
        assert_eq!(v["street"], "西兴街道");
        let (s, v) = call(&r, "POST", "/api/v1/enterprises", Some(&t), Some(body)).await;
        assert_error(s, &v, StatusCode::CONFLICT);
        let (s, v) = call(
            &r,
            "GET",
            "/api/v1/enterprises/91330108MA27Y5XH5G",
            Some(&t),
            None,
        )
        .await;
        assert_eq!(
            (s, v["name"].as_str()),
            (StatusCode::OK, Some("接口测试（示例）"))
        );
        assert_eq!(
            v["contact_phone"], "13812345678",
            "administrators see full numbers"
        );
        let (s, v) = call(
            &r,
            "PUT",
            "/api/v1/enterprises/91330108MA27Y5XH5G",
            Some(&t),
            Some(json!({"headcount": 60, "version": 1})),
        )
        .await;
        assert_eq!(
            (s, v["headcount"].as_i64(), v["version"].as_i64()),
            (StatusCode::OK, Some(60), Some(2))
        );
        let (s, v) = call(
            &r,
            "PUT",
            "/api/v1/enterprises/91330108MA27Y5XH5G",
            Some(&t),
            Some(json!({"headcount": 61, "version": 1})),
        )
        .await;
        assert_error(s, &v, StatusCode::CONFLICT);
        let (s, v) = call(
            &r,
            "GET",
            "/api/v1/enterprises/913301086706280599",
            Some(&t),
            None,
        )
        .await;
        assert_error(s, &v, StatusCode::NOT_FOUND);
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/enterprises",
            Some(&t),
            Some(json!({"uscc": "91330108MA27Y5XH5F", "name": "x", "headcount": -1})),
        )
        .await;
        assert_error(s, &v, StatusCode::BAD_REQUEST);
        let fields: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, vec!["uscc", "headcount"]);
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/enterprises",
            Some(&t),
            Some(json!({"uscc": "913301086706280599", "name": "x", "revenue_fen": 12.5})),
        )
        .await;
        assert_error(s, &v, StatusCode::BAD_REQUEST);
        assert_eq!(v["code"], "money_fen_format");
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/enterprises",
            Some(&t),
            Some(json!({"name": "无代码"})),
        )
        .await;
        assert_error(s, &v, StatusCode::BAD_REQUEST);
        let req = Request::post("/api/v1/enterprises")
            .header(header::AUTHORIZATION, format!("Bearer {t}"))
            .body(Body::from("{not json"))
            .unwrap();
        assert_eq!(
            r.clone().oneshot(req).await.unwrap().status(),
            StatusCode::BAD_REQUEST
        );
    }
);

both_backends!(tokens_and_scope_are_enforced, |db: Db| async move {
    let (r, app) = setup(db, 30).await;
    let (s, v) = call(&r, "GET", "/api/v1/enterprises", None, None).await;
    assert_error(s, &v, StatusCode::UNAUTHORIZED);
    let (s, v) = call(&r, "GET", "/api/v1/enterprises", Some("deadbeef"), None).await;
    assert_error(s, &v, StatusCode::UNAUTHORIZED);
    let (s, v) = call(
        &r,
        "POST",
        "/api/v1/auth/token",
        None,
        Some(json!({"username": "admin", "password": "nope"})),
    )
    .await;
    assert_error(s, &v, StatusCode::BAD_REQUEST);
    let e = token(&r, "ent").await;
    let (_, mine) = call(&r, "GET", "/api/v1/enterprises", Some(&e), None).await;
    assert_eq!(mine["total"], 1);
    let own = mine["items"][0]["uscc"].as_str().unwrap().to_string();
    assert!(
        mine["items"][0]["contact_phone"]
            .as_str()
            .unwrap_or("****")
            .contains("****"),
        "enterprise users see masked phones"
    );
    let a = token(&r, "admin").await;
    let (_, all) = call(&r, "GET", "/api/v1/enterprises?per_page=5", Some(&a), None).await;
    let other = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["uscc"].as_str().unwrap())
        .find(|u| *u != own)
        .unwrap()
        .to_string();
    let (s, v) = call(
        &r,
        "GET",
        &format!("/api/v1/enterprises/{other}"),
        Some(&e),
        None,
    )
    .await;
    assert_error(s, &v, StatusCode::NOT_FOUND);
    let (s, v) = call(
        &r,
        "PUT",
        &format!("/api/v1/enterprises/{other}"),
        Some(&e),
        Some(json!({"headcount": 1})),
    )
    .await;
    assert_error(s, &v, StatusCode::NOT_FOUND);
    let (s, _) = call(
        &r,
        "GET",
        &format!("/api/v1/enterprises/{own}"),
        Some(&e),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let d = token(&r, "dept").await;
    let (s, v) = call(&r, "GET", "/api/v1/users", Some(&d), None).await;
    assert_error(s, &v, StatusCode::FORBIDDEN);
    let (s, v) = call(&r, "GET", "/api/v1/audit", Some(&d), None).await;
    assert_error(s, &v, StatusCode::FORBIDDEN);
    // An expired token is refused like an unknown one.
    let l = app.login("dept", "Lianshi@2026", "x", "api").await.unwrap();
    lianshi_store::sql::query("UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z'")
        .execute(app.db.writer())
        .await
        .unwrap();
    let (s, v) = call(&r, "GET", "/api/v1/enterprises", Some(&l.token), None).await;
    assert_error(s, &v, StatusCode::UNAUTHORIZED);
});

both_backends!(
    registry_users_and_audit_through_the_api,
    |db: Db| async move {
        let (r, _) = setup(db, 30).await;
        let t = token(&r, "admin").await;
        let (_, reg) = call(&r, "GET", "/api/v1/registry", Some(&t), None).await;
        assert_eq!(reg["ecosystem"].as_array().unwrap().len(), 5);
        assert_eq!(reg["chain"].as_array().unwrap().len(), 8);
        assert_eq!(reg["department"].as_array().unwrap().len(), 12);
        assert_eq!(reg["institution"].as_array().unwrap().len(), 8);
        assert_eq!(reg["street"].as_array().unwrap().len(), 3);
        assert_eq!(reg["zone"]["division_code"], "330108");
        let chain = reg["chain"][0]["id"].as_i64().unwrap();
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/registry/chain_node",
            Some(&t),
            Some(json!({"code": "x.new", "name": "新环节", "parent_id": chain, "attr": "下游"})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/registry/chain_node",
            Some(&t),
            Some(json!({"code": "x.new", "name": "重复", "parent_id": chain, "attr": "upstream"})),
        )
        .await;
        assert_error(s, &v, StatusCode::CONFLICT);
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/registry/chain_node",
            Some(&t),
            Some(json!({"code": "x.bad", "name": "错父级", "parent_id": id, "attr": "upstream"})),
        )
        .await;
        assert_error(s, &v, StatusCode::BAD_REQUEST);
        let (s, _) = call(&r, "PUT", &format!("/api/v1/registry/items/{id}"), Some(&t), Some(json!({"code": "x.new", "name": "改名环节", "parent_id": chain, "attr": "downstream"}))).await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/users",
            Some(&t),
            Some(json!({"username": "zhao", "role": "team", "password": "Harbour-Lamp-2026"})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, users) = call(&r, "GET", "/api/v1/users", Some(&t), None).await;
        assert!(
            users["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["username"] == "zhao" && u.get("password_hash").is_none())
        );
        let (_, audit) = call(&r, "GET", "/api/v1/audit?action=registry.", Some(&t), None).await;
        assert_eq!(audit["total"], 2);
        let (_, audit) = call(
            &r,
            "GET",
            "/api/v1/audit?action=user.create&per_page=100",
            Some(&t),
            None,
        )
        .await;
        assert!(
            audit["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["after"].as_str().unwrap_or("").contains("zhao"))
        );
    }
);

#[tokio::test]
async fn import_and_export_through_the_api() {
    let t = lianshi_store::testkit::sqlite().await;
    let (r, _) = setup(t.db.clone(), 30).await;
    let tok = token(&r, "admin").await;
    let csv = "统一社会信用代码,企业名称\n91330108MA27Y5XH5G,接口导入（示例）\n91330108MA27Y5XH5F,坏代码\n";
    let send = |uri: &str| {
        Request::post(uri)
            .header(header::AUTHORIZATION, format!("Bearer {tok}"))
            .body(Body::from(csv))
            .unwrap()
    };
    let resp = r
        .clone()
        .oneshot(send("/api/v1/enterprises/import"))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = serde_json::from_slice(
        &axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (v["written"].as_bool(), v["errors"][0]["row"].as_i64()),
        (Some(false), Some(3))
    );
    let resp = r
        .clone()
        .oneshot(send("/api/v1/enterprises/import?skip_invalid=true"))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let req = Request::get("/api/v1/enterprises/export?format=xlsx&q=%E6%8E%A5%E5%8F%A3")
        .header(header::AUTHORIZATION, format!("Bearer {tok}"))
        .body(Body::empty())
        .unwrap();
    let resp = r.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(resp.into_body(), 8 << 20)
        .await
        .unwrap();
    let sheet = lianshi_office::open(&bytes).unwrap();
    let rows: Vec<_> = sheet.rows().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].cells[0].text, "91330108MA27Y5XH5G");
}

#[tokio::test]
async fn the_openapi_document_lists_every_api_route_and_health_answers() {
    let t = lianshi_store::testkit::sqlite().await;
    let (r, _) = setup(t.db.clone(), 30).await;
    let (s, doc) = call(&r, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(assert_router_documented(&r, &doc, "/api/v1/") >= 90);
    let resp = r
        .clone()
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers().get("x-frame-options").unwrap(), "DENY");
}

#[tokio::test]
async fn a_cookie_session_must_send_the_csrf_header_to_write_through_the_api() {
    let t = lianshi_store::testkit::sqlite().await;
    let (r, app) = setup(t.db.clone(), 30).await;
    let l = app
        .login("admin", "Lianshi@2026", "x", "session")
        .await
        .unwrap();
    let req = |csrf: Option<&str>| {
        let mut b = Request::post("/api/v1/enterprises")
            .header(header::COOKIE, format!("lianshi_session={}", l.token))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(c) = csrf {
            b = b.header("x-csrf-token", c);
        }
        b.body(Body::from(
            json!({"uscc": "91330108MA27Y5XH5G", "name": "会话写入（示例）"}).to_string(),
        ))
        .unwrap()
    };
    assert_eq!(
        r.clone().oneshot(req(None)).await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        r.clone()
            .oneshot(req(Some("wrong")))
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        r.clone()
            .oneshot(req(Some(&l.csrf)))
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
}

/// The error answer with the credit code masked, to compare two answers' shapes.
fn masked(v: &Value, code: &str) -> String {
    v.to_string().replace(code, "<code>")
}

both_backends!(
    an_enterprise_user_gets_the_same_404_for_an_unknown_code_and_for_another_enterprise,
    |db: Db| async move {
        let (r, _) = setup(db, 30).await;
        let e = token(&r, "ent").await;
        let a = token(&r, "admin").await;
        let (_, mine) = call(&r, "GET", "/api/v1/enterprises", Some(&e), None).await;
        let own = mine["items"][0]["uscc"].as_str().unwrap().to_string();
        let (_, all) = call(&r, "GET", "/api/v1/enterprises?per_page=5", Some(&a), None).await;
        let other = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["uscc"].as_str().unwrap().to_string())
            .find(|u| *u != own)
            .unwrap();
        // A valid credit code that is not registered.
        let unknown = "913301086706280599";
        for (method, body) in [("GET", None), ("PUT", Some(json!({"contact_name": "x"})))] {
            let (s1, v1) = call(
                &r,
                method,
                &format!("/api/v1/enterprises/{other}"),
                Some(&e),
                body.clone(),
            )
            .await;
            let (s2, v2) = call(
                &r,
                method,
                &format!("/api/v1/enterprises/{unknown}"),
                Some(&e),
                body,
            )
            .await;
            assert_error(s1, &v1, StatusCode::NOT_FOUND);
            assert_error(s2, &v2, StatusCode::NOT_FOUND);
            assert_eq!(masked(&v1, &other), masked(&v2, unknown), "{method}");
        }
        let (s1, v1) = call(
            &r,
            "GET",
            &format!("/api/v1/enterprises/{other}/policies"),
            Some(&e),
            None,
        )
        .await;
        let (s2, _) = call(
            &r,
            "GET",
            &format!("/api/v1/enterprises/{unknown}/policies"),
            Some(&e),
            None,
        )
        .await;
        assert_error(s1, &v1, StatusCode::NOT_FOUND);
        assert_eq!(s2, StatusCode::NOT_FOUND);
        let (s1, v1) = call(
            &r,
            "GET",
            &format!("/api/v1/policy-notices?enterprise_id={other}"),
            Some(&e),
            None,
        )
        .await;
        let (s2, _) = call(
            &r,
            "GET",
            &format!("/api/v1/policy-notices?enterprise_id={unknown}"),
            Some(&e),
            None,
        )
        .await;
        assert_error(s1, &v1, StatusCode::NOT_FOUND);
        assert_eq!(s2, StatusCode::NOT_FOUND);
    }
);

/// A 免申即享 policy for 高新技术企业 with at least 50亿 revenue and R&D of at least 5% of it:
/// 10% of R&D, at most 80万. No demo enterprise has that revenue.
const HIGH_TECH_RULE: &str = r#"[[policy]]
code = "T-GX-1"
kind = "policy"
title = "高新技术企业研发奖励（测试）"
department = "kjj"
legal_ref = "测试〔2025〕12号"
who = "高新技术企业"
track = "免申即享"
status = "active"
window_from = 2024-01-01
window_to = 2030-12-31
materials = ["营业执照"]
contact = "区科技局"
benefit = "min(rd_spend_yuan * 0.1, 800000)"
  [[policy.conditions]]
  clause = "第一条"
  when = "'高新技术企业' in tags"
  [[policy.conditions]]
  clause = "第二条"
  when = "rd_ratio >= 0.05"
  [[policy.conditions]]
  clause = "第三条"
  when = "revenue_yuan >= 5000000000"
"#;

both_backends!(
    self_reported_figures_and_tags_wait_for_a_department_and_change_no_benefit_until_accepted,
    |db: Db| async move {
        let (r, app) = setup(db, 30).await;
        app.policy_load(
            &lianshi_app::Actor::system(lianshi_app::Source::Cli),
            HIGH_TECH_RULE,
        )
        .await
        .unwrap();
        let e = token(&r, "ent").await;
        let d = token(&r, "dept").await;
        let a = token(&r, "admin").await;
        let (_, mine) = call(&r, "GET", "/api/v1/enterprises", Some(&e), None).await;
        let own = mine["items"][0]["uscc"].as_str().unwrap().to_string();
        let url = format!("/api/v1/enterprises/{own}");
        let (_, before) = call(&r, "GET", &url, Some(&e), None).await;
        let policies = format!("/api/v1/enterprises/{own}/policies");
        let (s, p0) = call(&r, "GET", &policies, Some(&e), None).await;
        assert_eq!(s, StatusCode::OK, "{p0}");
        let (_, n0) = call(&r, "GET", "/api/v1/policy-notices", Some(&e), None).await;

        // The probe: 90亿 R&D, 100亿 revenue, two certification tags.
        let (s, v) = call(
            &r,
            "PUT",
            &url,
            Some(&e),
            Some(json!({"rd_spend_yuan": "90亿", "revenue_yuan": "100亿",
                        "tags": ["高新技术企业", "专精特新"]})),
        )
        .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        assert_eq!(
            v["proposed_corrections"].as_array().unwrap().len(),
            3,
            "{v}"
        );
        assert!(
            v["proposed_corrections"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["status"] == "pending")
        );
        for k in ["rd_spend_fen", "revenue_fen", "tags", "version"] {
            assert_eq!(v[k], before[k], "{k} stays as verified");
        }
        assert_eq!(v["sources"]["revenue_yuan"], "imported");

        // Eligible policies, the total and the routine push are unchanged.
        let (_, p1) = call(&r, "GET", &policies, Some(&e), None).await;
        assert_eq!(
            (&p1["eligible"], &p1["total_fen"]),
            (&p0["eligible"], &p0["total_fen"])
        );
        let (s, _) = call(&r, "POST", "/api/v1/policies/push", Some(&a), None).await;
        assert_eq!(s, StatusCode::CREATED);
        let (_, n1) = call(&r, "GET", "/api/v1/policy-notices", Some(&e), None).await;
        assert_eq!(
            n1["total"], n0["total"],
            "no notice from self-reported figures"
        );

        // The enterprise sees its pending corrections but cannot decide them.
        let (s, mine) = call(
            &r,
            "GET",
            "/api/v1/enterprises/corrections?status=pending",
            Some(&e),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{mine}");
        assert_eq!(mine["total"], 3);
        let ids: Vec<i64> = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        let (s, v) = call(
            &r,
            "POST",
            &format!("/api/v1/enterprises/corrections/{}/accept", ids[0]),
            Some(&e),
            None,
        )
        .await;
        assert_error(s, &v, StatusCode::FORBIDDEN);
        let (s, v) = call(
            &r,
            "GET",
            "/api/v1/enterprises/corrections?status=maybe",
            Some(&d),
            None,
        )
        .await;
        assert_error(s, &v, StatusCode::BAD_REQUEST);

        // A department officer accepts them; now they decide benefits, marked verified.
        let (_, queue) = call(
            &r,
            "GET",
            "/api/v1/enterprises/corrections?status=pending",
            Some(&d),
            None,
        )
        .await;
        assert!(queue["total"].as_i64().unwrap() >= 3);
        for id in &ids {
            let (s, v) = call(
                &r,
                "POST",
                &format!("/api/v1/enterprises/corrections/{id}/accept"),
                Some(&d),
                Some(json!({"reason": "已核对证书与审计报告"})),
            )
            .await;
            assert_eq!(
                (s, v["status"].as_str()),
                (StatusCode::OK, Some("accepted")),
                "{v}"
            );
        }
        let (s, v) = call(
            &r,
            "POST",
            &format!("/api/v1/enterprises/corrections/{}/reject", ids[0]),
            Some(&d),
            Some(json!({"reason": "重复处理"})),
        )
        .await;
        assert_error(s, &v, StatusCode::CONFLICT);
        let (_, after) = call(&r, "GET", &url, Some(&e), None).await;
        assert_eq!(after["rd_spend_fen"], 900_000_000_000i64);
        assert_eq!(after["sources"]["rd_spend_yuan"], "verified");
        assert_eq!(after["sources"]["tags"], "verified");
        assert!(after["pending_corrections"].as_array().unwrap().is_empty());
        let (_, p2) = call(&r, "GET", &policies, Some(&e), None).await;
        assert!(
            p2["total_fen"].as_i64().unwrap() > p0["total_fen"].as_i64().unwrap(),
            "{} -> {}",
            p0["total_fen"],
            p2["total_fen"]
        );
        let item = &p2["items"][0];
        assert_eq!(
            (item["policy_code"].as_str(), item["amount_fen"].as_i64()),
            (Some("T-GX-1"), Some(80_000_000))
        );
        assert_eq!(item["sources"]["revenue_yuan"], "verified", "{item}");
        // The next push notifies it, recording where the figures came from.
        let (s, _) = call(&r, "POST", "/api/v1/policies/push", Some(&a), None).await;
        assert_eq!(s, StatusCode::CREATED);
        let (_, n2) = call(&r, "GET", "/api/v1/policy-notices", Some(&e), None).await;
        let fresh = n2["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["policy_code"] == "T-GX-1")
            .expect("a notice once verified");
        assert_eq!(fresh["sources"]["tags"], "verified", "{fresh}");
        let (_, audit) = call(
            &r,
            "GET",
            "/api/v1/audit?action=enterprise.correction.accept",
            Some(&a),
            None,
        )
        .await;
        assert_eq!(audit["total"], 3);
    }
);

both_backends!(
    names_must_be_clean_strings_and_figures_stay_within_their_bounds,
    |db: Db| async move {
        let (r, _) = setup(db, 5).await;
        let t = token(&r, "admin").await;
        let create =
            |name: Value| json!({"uscc": "91330108MA27Y5XH5G", "name": name, "headcount": 5});
        for (name, code) in [
            (json!(12345), "field_type"),
            (json!({"zh": "示例"}), "field_type"),
            (json!(["示例"]), "field_type"),
            (json!("示例\u{202E}司公"), "text_bidi_control"),
            (json!("示例\u{2066}公司"), "text_bidi_control"),
            (json!("示例\u{0000}公司"), "text_control_char"),
            (json!("示例\r\n公司"), "text_control_char"),
            (json!("\u{200B}\u{200D}\u{FEFF}"), "text_blank"),
        ] {
            let (s, v) = call(
                &r,
                "POST",
                "/api/v1/enterprises",
                Some(&t),
                Some(create(name.clone())),
            )
            .await;
            assert_error(s, &v, StatusCode::BAD_REQUEST);
            assert_eq!(
                (
                    v["fields"][0]["field"].as_str(),
                    v["fields"][0]["reason"]["code"].as_str()
                ),
                (Some("name"), Some(code)),
                "{name}: {v}"
            );
        }
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/enterprises",
            Some(&t),
            Some(create(json!("边界测试（示例）"))),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let url = "/api/v1/enterprises/91330108MA27Y5XH5G";
        for (body, field, code) in [
            (
                json!({"headcount": i64::MAX}),
                "headcount",
                "count_too_large",
            ),
            (
                json!({"headcount": 10_000_001}),
                "headcount",
                "count_too_large",
            ),
            (
                json!({"revenue_fen": i64::MAX}),
                "revenue_fen",
                "amount_too_large",
            ),
            (
                json!({"rd_spend_yuan": "1000000000000.01"}),
                "rd_spend_yuan",
                "amount_too_large",
            ),
            (
                json!({"tax_paid_yuan": "9223372036854775807"}),
                "tax_paid_yuan",
                "amount_too_large",
            ),
            (json!({"contact_name": 7}), "contact_name", "field_type"),
        ] {
            let (s, v) = call(&r, "PUT", url, Some(&t), Some(body.clone())).await;
            assert_error(s, &v, StatusCode::BAD_REQUEST);
            assert_eq!(
                (
                    v["fields"][0]["field"].as_str(),
                    v["fields"][0]["reason"]["code"].as_str()
                ),
                (Some(field), Some(code)),
                "{body}: {v}"
            );
        }
        let (s, v) = call(
            &r,
            "PUT",
            url,
            Some(&t),
            Some(json!({"headcount": 10_000_000, "revenue_fen": 100_000_000_000_000i64})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "the bounds themselves are accepted: {v}");
    }
);
