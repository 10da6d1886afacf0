//! Subsidies through the router (no ports): the JSON API on both backends (apply, review,
//! approve, idempotent payout, refusals with codes, ledger totals, report, reversal, scope) and the
//! pages (申报 list with filters, detail with review actions, 兑付台账 with totals and reversal).

// Amounts are written 元_分 (e.g. `3000_00` is 3,000.00 元).
#![allow(clippy::inconsistent_digit_grouping)]

use axum::Router;
use axum::http::{StatusCode, header};
use lianshi_app::user::UserInput;
use lianshi_app::{Actor, App, Source};
use lianshi_domain::zone::RegistryKind;
use lianshi_store::enterprise::{EnterpriseWrite, enterprise_insert};
use lianshi_store::policy::{PolicyWrite, policy_upsert};
use lianshi_store::zone::{RegistryWrite, registry_insert};
use lianshi_store::{Db, both_backends};
use serde_json::json;

mod common;
use common::{PASSWORD, assert_documented, between, call, get, login, login_session, post, token};

fn uscc(i: usize) -> String {
    lianshi_domain::Uscc::with_check(&format!("91330108MA2AAAA{i:02}"))
        .unwrap()
        .as_str()
        .to_string()
}

fn policy(code: &str, dept: i64, dept_code: &str) -> PolicyWrite {
    PolicyWrite {
        code: code.into(),
        kind: "policy".into(),
        title: format!("{code} 人工智能研发补助"),
        department_id: Some(dept),
        department_code: dept_code.into(),
        track: "快申快享".into(),
        status: "active".into(),
        group_code: Some("rd".into()),
        source: format!("[[policy]]\ncode = \"{code}\"\n"),
        ..Default::default()
    }
}

/// Two departments, three enterprises, two policies and a user per role.
async fn setup(db: Db) -> (Router, App) {
    let mut tx = db.begin().await.unwrap();
    let dept = |code: &str, name: &str| RegistryWrite {
        code: Some(code.into()),
        name: name.into(),
        parent_id: None,
        attr: None,
        sort: 0,
    };
    let kjj = registry_insert(
        tx.conn(),
        RegistryKind::Department,
        &dept("kjj", "区科技局"),
    )
    .await
    .unwrap();
    let jxj = registry_insert(
        tx.conn(),
        RegistryKind::Department,
        &dept("jxj", "区经信局"),
    )
    .await
    .unwrap();
    for i in 0..3 {
        let w = EnterpriseWrite {
            uscc: uscc(i),
            name: format!("网页测试企业{i}"),
            ..Default::default()
        };
        enterprise_insert(tx.conn(), &w).await.unwrap();
    }
    policy_upsert(tx.conn(), &policy("WEB-AI", kjj, "kjj"))
        .await
        .unwrap();
    policy_upsert(tx.conn(), &policy("WEB-JX", jxj, "jxj"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let app = App::new(db);
    let admin = Actor::system(Source::Cli);
    for (u, role, ent, dep) in [
        ("admin", "admin", None, None),
        ("kj", "department", None, Some("kjj")),
        ("jx", "department", None, Some("jxj")),
        ("ent", "enterprise", Some(uscc(0)), None),
        ("bank", "finance", None, None),
    ] {
        app.user_create(
            &admin,
            &UserInput {
                username: u.into(),
                display_name: Some(format!("{u}（测试）")),
                role: role.into(),
                password: PASSWORD.into(),
                enterprise: ent,
                department: dep.map(str::to_string),
            },
        )
        .await
        .unwrap();
    }
    (lianshi_web::router(app.clone()), app)
}

both_backends!(
    the_api_runs_an_application_to_payout_and_the_ledger_adds_up,
    |db: Db| async move {
        let (r, _) = setup(db).await;
        let admin = token(&r, "admin").await;
        let kj = token(&r, "kj").await;
        let jx = token(&r, "jx").await;
        let ent = token(&r, "ent").await;
        let bank = token(&r, "bank").await;
        let (s, v) = call(&r, "PUT", "/api/v1/subsidies/budgets", Some(&kj),
            Some(json!({"policy": "WEB-AI", "year": 2025, "budget": "1000000", "enterprise_cap": "500000"}))).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["budget_fen"], 100_000_000);
        // Amounts: more than two decimals and negatives are 400 with a code.
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/subsidies/applications",
            Some(&ent),
            Some(json!({"policy": "WEB-AI", "amount": "1.234", "year": 2025})),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("money_precision"))
        );
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/subsidies/applications",
            Some(&ent),
            Some(json!({"policy": "WEB-AI", "amount": -3, "year": 2025})),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("amount_negative"))
        );
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/subsidies/applications",
            Some(&ent),
            Some(json!({"policy": "NOPE", "amount": 3, "year": 2025})),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("policy_unknown"))
        );
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/subsidies/applications",
            Some(&ent),
            Some(
                json!({"policy": "WEB-AI", "amount": "400000", "year": 2025, "request_key": "k1"}),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["application"]["id"].as_i64().unwrap();
        assert_eq!(v["application"]["state"], "submitted");
        assert_eq!(v["application"]["state_label"], "已申报");
        let url = format!("/api/v1/subsidies/applications/{id}/actions");
        // Another department and the bank: 403.
        let (s, _) = call(
            &r,
            "POST",
            &url,
            Some(&jx),
            Some(json!({"action": "review"})),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = call(
            &r,
            "GET",
            &format!("/api/v1/subsidies/applications/{id}"),
            Some(&bank),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = call(
            &r,
            "POST",
            &url,
            Some(&kj),
            Some(json!({"action": "review"})),
        )
        .await;
        assert_eq!(
            (s, v["application"]["state"].as_str()),
            (StatusCode::OK, Some("reviewing")),
            "{v}"
        );
        // Over the budget, then over the enterprise cap: 409 with the code.
        let (s, v) = call(
            &r,
            "POST",
            &url,
            Some(&kj),
            Some(json!({"action": "approve", "amount": "1000000.01"})),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("over_budget")),
            "{v}"
        );
        let (s, v) = call(
            &r,
            "POST",
            &url,
            Some(&kj),
            Some(json!({"action": "approve", "amount": 500000.01})),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("over_enterprise_cap")),
            "{v}"
        );
        let (s, v) = call(
            &r,
            "POST",
            &url,
            Some(&kj),
            Some(json!({"action": "approve", "amount": "350000"})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["application"]["approved_fen"], 35_000_000);
        // Pay twice under the same key: one entry.
        let (s, e1) = call(
            &r,
            "POST",
            &url,
            Some(&kj),
            Some(json!({"action": "disburse", "request_key": "pay-1"})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{e1}");
        let (s, e2) = call(
            &r,
            "POST",
            &url,
            Some(&kj),
            Some(json!({"action": "disburse", "request_key": "pay-1"})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(e1["id"], e2["id"]);
        let (s, v) = call(
            &r,
            "POST",
            &url,
            Some(&kj),
            Some(json!({"action": "disburse", "request_key": "pay-2"})),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("subsidy_wrong_state"))
        );
        // Ledger and report agree with the entries.
        let (s, l) = call(
            &r,
            "GET",
            "/api/v1/subsidies/ledger?year=2025",
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{l}");
        assert_eq!(l["total"], 1);
        assert_eq!(l["total_fen"], 35_000_000);
        assert_eq!(l["by_policy"][0]["code"], "WEB-AI");
        assert_eq!(l["by_department"][0]["code"], "kjj");
        let (s, rep) = call(
            &r,
            "GET",
            "/api/v1/subsidies/report?year=2025",
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(rep["total_fen"], 35_000_000);
        assert_eq!(rep["by_policy"]["WEB-AI"], 35_000_000);
        let (s, _) = call(&r, "GET", "/api/v1/subsidies/ledger", Some(&ent), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // The enterprise sees its application, paid.
        let (s, v) = call(
            &r,
            "GET",
            "/api/v1/subsidies/applications",
            Some(&ent),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["total"], 1);
        assert_eq!(v["items"][0]["state"], "disbursed");
        // The same group under another policy is refused for that enterprise and year.
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/subsidies/applications",
            Some(&ent),
            Some(json!({"policy": "WEB-JX", "amount": "1", "year": 2025})),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("already_paid_in_group"))
        );
        // Reversal: administrators only; it nets the ledger to zero.
        let rev = format!("/api/v1/subsidies/ledger/{}/reverse", e1["id"]);
        let (s, _) = call(&r, "POST", &rev, Some(&kj), Some(json!({"reason": "错付"}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = call(
            &r,
            "POST",
            &rev,
            Some(&admin),
            Some(json!({"reason": "账户信息有误"})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["amount_fen"], -35_000_000);
        let (_, rep) = call(
            &r,
            "GET",
            "/api/v1/subsidies/report?year=2025",
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(rep["total_fen"], 0);
        // Documented in OpenAPI.
        let (_, doc) = call(&r, "GET", "/api/v1/openapi.json", None, None).await;
        let paths = [
            "subsidies/applications",
            "subsidies/applications/{id}",
            "subsidies/applications/{id}/actions",
            "subsidies/ledger",
            "subsidies/ledger/{id}/reverse",
            "subsidies/budgets",
            "subsidies/payout",
            "subsidies/report",
        ];
        assert_documented(&doc, paths.map(|p| format!("/api/v1/{p}")));
    }
);

both_backends!(
    the_pages_list_filter_review_pay_and_reverse,
    |db: Db| async move {
        let (r, app) = setup(db).await;
        let (es, ecsrf) = login(&r, "ent", "/subsidies").await;
        // The enterprise applies through the list page's form.
        let (_, _, page) = get(&r, &es, "/subsidies").await;
        assert!(page.contains("快申快享"), "apply form missing");
        let key = between(&page, r#"name="request_key" value=""#, "\"")
            .unwrap()
            .to_string();
        let form = [
            ("_csrf", ecsrf.as_str()),
            ("request_key", key.as_str()),
            ("policy", "WEB-AI"),
            ("amount", "12,000.5"),
            ("year", "2025"),
        ];
        let (s, h, _) = post(&r, &es, "/subsidies", &form).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let loc = h
            .get(header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let id: i64 = between(&loc, "/subsidies/", "?").unwrap().parse().unwrap();
        // A double submit files once.
        let (s, _, _) = post(&r, &es, "/subsidies", &form).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (s, _, _) = post(
            &r,
            &es,
            "/subsidies",
            &[
                ("_csrf", &ecsrf),
                ("policy", "WEB-AI"),
                ("amount", "1.001"),
                ("year", "2025"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (_, _, page) = get(&r, &es, "/subsidies").await;
        assert_eq!(page.matches("data-id=").count(), 1);
        assert!(page.contains("12,000.50"), "{page}");
        // Staff: filters, detail, actions.
        let (s_, csrf) = login(&r, "kj", "/subsidies").await;
        let (_, _, list) = get(
            &r,
            &s_,
            "/subsidies?policy=WEB-AI&state=submitted&year=2025",
        )
        .await;
        assert!(list.contains(&format!("data-id=\"{id}\"")));
        let (_, _, none) = get(&r, &s_, "/subsidies?state=approved").await;
        assert!(!none.contains(&format!("data-id=\"{id}\"")));
        let detail = format!("/subsidies/{id}");
        let act = format!("{detail}/act");
        let (_, _, d) = get(&r, &s_, &detail).await;
        assert!(d.contains("action-approve") && d.contains("action-reject"));
        // Reject needs a reason; approval without a budget is refused with its code (409).
        let (s, _, body) = post(
            &r,
            &s_,
            &act,
            &[("_csrf", &csrf), ("action", "reject"), ("reason", " ")],
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        let (s, _, body) = post(
            &r,
            &s_,
            &act,
            &[
                ("_csrf", &csrf),
                ("action", "approve"),
                ("amount", "12000.5"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(body.contains("no_budget"), "{body}");
        let (s, _, _) = post(
            &r,
            &s_,
            "/subsidies/budgets",
            &[
                ("_csrf", &csrf),
                ("policy", "WEB-AI"),
                ("year", "2025"),
                ("budget", "100万"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (s, _, _) = post(
            &r,
            &s_,
            &act,
            &[
                ("_csrf", &csrf),
                ("action", "approve"),
                ("amount", "12000.5"),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (_, _, d) = get(&r, &s_, &detail).await;
        assert!(d.contains("action-disburse"), "{d}");
        let key = between(&d, r#"name="request_key" value=""#, "\"")
            .unwrap()
            .to_string();
        for _ in 0..2 {
            let (s, _, _) = post(
                &r,
                &s_,
                &act,
                &[
                    ("_csrf", &csrf),
                    ("action", "disburse"),
                    ("request_key", &key),
                ],
            )
            .await;
            assert_eq!(s, StatusCode::SEE_OTHER);
        }
        // A form without the CSRF token is refused.
        let (s, _, body) = post(&r, &s_, &act, &[("action", "review")]).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(
            body.contains("csrf_missing") || body.contains("安全令牌"),
            "{body}"
        );
        // The ledger page: totals per policy and department, no reverse for a department officer.
        let (s, _, l) = get(&r, &s_, "/subsidies/ledger?year=2025").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            l.contains(r#"data-code="WEB-AI" data-fen="1200050""#),
            "{l}"
        );
        assert!(l.contains(r#"data-code="kjj" data-fen="1200050""#));
        assert!(!l.contains("action-reverse"));
        let totals = app.db.subsidy_totals(Some(2025), None).await.unwrap();
        assert_eq!(totals.total_fen, 1_200_050);
        assert_eq!(totals.entries, 1);
        // An administrator reverses from the ledger page.
        let (a_s, a_csrf) = login(&r, "admin", "/subsidies").await;
        let (_, _, l) = get(&r, &a_s, "/subsidies/ledger?year=2025").await;
        assert!(l.contains("action-reverse"));
        let entry = between(&l, "/subsidies/ledger/", "/reverse")
            .unwrap()
            .to_string();
        let (s, _, _) = post(
            &r,
            &a_s,
            &format!("/subsidies/ledger/{entry}/reverse"),
            &[("_csrf", &a_csrf), ("reason", "重复兑付，冲正")],
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        let (_, _, l) = get(&r, &a_s, "/subsidies/ledger?year=2025").await;
        assert!(l.contains(r#"data-fen="0""#), "{l}");
        assert!(l.contains("重复兑付，冲正"));
        // The enterprise sees the correction on its application; the bank sees nothing.
        let (_, _, d) = get(&r, &es, &detail).await;
        assert!(d.contains("已冲正"), "{d}");
        let b_s = login_session(&r, "bank").await;
        let (s, _, _) = get(&r, &b_s, "/subsidies").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // English labels come from the same keys.
        let (_, _, en) = get(&r, &a_s, "/subsidies/ledger?year=2025&lang=en").await;
        assert!(en.contains("Payout ledger"));
    }
);
