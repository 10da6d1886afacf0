//! Vouchers through the router (no ports): the JSON API on both backends (provider submits,
//! enterprise confirms, platform writes off, refusals with their codes and statuses, idempotent
//! requests, the ledger check) and the pages each role uses.

use axum::http::{StatusCode, header};
use lianshi_store::{Db, both_backends};
use serde_json::{Value, json};

mod common;
use common::{
    assert_router_documented, between, call, get, login, post, setup, token, voucher_holder_uscc,
};

/// The credit code of the demo enterprise account's own enterprise (it holds a compute voucher).
fn balanced(s: &Value) -> bool {
    let f = &s["figures"];
    let n = |k: &str| f[k].as_i64().unwrap();
    n("issued_fen") == n("redeemed_fen") + n("outstanding_fen") + n("expired_fen")
}

both_backends!(
    a_provider_redeems_the_enterprise_confirms_and_the_platform_writes_off_through_the_api,
    |db: Db| async move {
        let (r, _) = setup(db, 30).await;
        let admin = token(&r, "admin").await;
        let provider = token(&r, "provider").await;
        let ent = token(&r, "ent").await;
        // Schemes with figures computed from the records.
        let (s, v) = call(&r, "GET", "/api/v1/vouchers/schemes", Some(&ent), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        let hz = items.iter().find(|x| x["code"] == "HZ-SLQ").unwrap();
        assert_eq!(hz["rules"]["annual_cap_fen"], 800_000_000);
        assert!(hz["figures"]["redeemed_fen"].as_i64().unwrap() > 0);
        assert!(hz["figures"]["expired_fen"].as_i64().unwrap() > 0);
        assert!(items.iter().all(balanced), "{v}");
        let uscc = voucher_holder_uscc(&r, &ent).await;
        let body = |contract: &str, yuan: Value, key: &str| {
            json!({"enterprise": uscc, "scheme": "HZ-SLQ", "contract_no": contract, "invoice_yuan": yuan,
                   "compute": "domestic", "service_type": "推理", "request_key": key})
        };
        let url = "/api/v1/vouchers/redemptions";
        // Bad amounts: 400 with the code.
        for (yuan, code) in [
            (json!(100.123), "voucher_amount_precision"),
            (json!("100.123"), "voucher_amount_precision"),
            (json!("-5"), "voucher_amount_not_positive"),
            (json!(0), "voucher_amount_not_positive"),
        ] {
            let (s, v) = call(
                &r,
                "POST",
                url,
                Some(&provider),
                Some(body("API-X", yuan, "x")),
            )
            .await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some(code)),
                "{v}"
            );
        }
        // A good one: 201; the same request again: 200, the same redemption, replayed.
        let (s, v) = call(
            &r,
            "POST",
            url,
            Some(&provider),
            Some(body("API-1", json!(10000), "api-1")),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["status"], "submitted");
        assert!(v["amount_fen"].as_i64().unwrap() > 0);
        let (s, again) = call(
            &r,
            "POST",
            url,
            Some(&provider),
            Some(body("API-1", json!("10000.00"), "api-1")),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{again}");
        assert_eq!(
            (again["id"].as_i64(), again["replayed"].as_bool()),
            (Some(id), Some(true))
        );
        // The same contract under another key: 409.
        let (s, v) = call(
            &r,
            "POST",
            url,
            Some(&provider),
            Some(body("API-1", json!(500), "api-2")),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (
                StatusCode::CONFLICT,
                Some("voucher_contract_already_subsidised")
            )
        );
        // Only the enterprise (or the platform for it) confirms; only the platform writes off.
        let act = format!("/api/v1/vouchers/redemptions/{id}/actions");
        let (s, _) = call(
            &r,
            "POST",
            &act,
            Some(&provider),
            Some(json!({"action": "confirm"})),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = call(
            &r,
            "POST",
            &act,
            Some(&ent),
            Some(json!({"action": "write_off"})),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) = call(
            &r,
            "POST",
            &act,
            Some(&admin),
            Some(json!({"action": "write_off"})),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("voucher_transition_refused"))
        );
        let (s, v) = call(
            &r,
            "POST",
            &act,
            Some(&ent),
            Some(json!({"action": "confirm"})),
        )
        .await;
        assert_eq!(
            (s, v["status"].as_str()),
            (StatusCode::OK, Some("confirmed")),
            "{v}"
        );
        let (s, v) = call(
            &r,
            "POST",
            &act,
            Some(&admin),
            Some(json!({"action": "write_off"})),
        )
        .await;
        assert_eq!(
            (s, v["status"].as_str()),
            (StatusCode::OK, Some("written_off")),
            "{v}"
        );
        let (s, v) = call(
            &r,
            "POST",
            &act,
            Some(&admin),
            Some(json!({"action": "write_off"})),
        )
        .await;
        assert_eq!((s, v["replayed"].as_bool()), (StatusCode::OK, Some(true)));
        // The provider lists its own; the check balances; a provider may not run it.
        let (_, mine) = call(
            &r,
            "GET",
            "/api/v1/vouchers/redemptions?status=written_off",
            Some(&provider),
            None,
        )
        .await;
        assert!(
            mine["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"].as_i64() == Some(id))
        );
        let (s, v) = call(&r, "GET", "/api/v1/vouchers/check", Some(&admin), None).await;
        assert_eq!((s, v["ok"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
        let (s, _) = call(&r, "GET", "/api/v1/vouchers/check", Some(&provider), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A provider cannot grant; an unknown round is 404 for the platform.
        let grant = json!({"round_id": 99999, "enterprise": uscc, "amount_yuan": "1000"});
        let (s, _) = call(
            &r,
            "POST",
            "/api/v1/vouchers/grants",
            Some(&provider),
            Some(grant.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = call(
            &r,
            "POST",
            "/api/v1/vouchers/grants",
            Some(&admin),
            Some(grant),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
);

#[tokio::test]
async fn the_openapi_document_lists_every_voucher_route() {
    let t = lianshi_store::testkit::sqlite().await;
    let (r, _) = setup(t.db.clone(), 30).await;
    let (_, doc) = call(&r, "GET", "/api/v1/openapi.json", None, None).await;
    assert!(assert_router_documented(&r, &doc, "/api/v1/vouchers") >= 12);
}

#[tokio::test]
async fn each_role_uses_its_voucher_page_from_submission_to_write_off() {
    let t = lianshi_store::testkit::sqlite().await;
    let (r, _) = setup(t.db.clone(), 30).await;
    // Everyone sees the schemes with figures, in Chinese first.
    let (adm, adm_csrf) = login(&r, "admin", "/vouchers").await;
    let (s, _, page) = get(&r, &adm, "/vouchers").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("杭州市算力券") && page.contains(r#"href="/vouchers""#));
    let issued: i64 = between(&page, r#"data-scheme="HZ-SLQ" data-issued=""#, "\"")
        .unwrap()
        .parse()
        .unwrap();
    assert!(issued > 0);
    let (s, _, en) = get(&r, &adm, "/vouchers?lang=en").await;
    assert_eq!(s, StatusCode::OK);
    assert!(en.contains("Outstanding"));
    let (s, _, detail) = get(&r, &adm, "/vouchers/schemes/HZ-SLQ?lang=zh").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        detail.contains("50%") && detail.contains("20%") && detail.contains("8,000,000.00 元")
            || detail.contains("800.00 万元"),
        "{detail}"
    );
    assert!(detail.contains(r#"action="/vouchers/grant""#));
    // A bad grant amount comes back on the page with its code.
    let round = between(
        &detail,
        r#"<select name="round_id" required><option value="">请选择</option><option value=""#,
        "\"",
    )
    .unwrap()
    .to_string();
    let ent_uscc = {
        let tok = token(&r, "ent").await;
        voucher_holder_uscc(&r, &tok).await
    };
    let (s, _, bad) = post(
        &r,
        &adm,
        "/vouchers/grant",
        &[
            ("_csrf", &adm_csrf),
            ("scheme", "HZ-SLQ"),
            ("round_id", &round),
            ("enterprise", &ent_uscc),
            ("amount_yuan", "1.001"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(bad.contains("voucher_amount_precision"));
    // Without the CSRF token nothing is written.
    let (s, _, _) = post(
        &r,
        &adm,
        "/vouchers/grant",
        &[("scheme", "HZ-SLQ"), ("round_id", &round)],
    )
    .await;
    assert_ne!(s, StatusCode::SEE_OTHER);

    // The provider submits through its form.
    let (prov, prov_csrf) = login(&r, "provider", "/vouchers").await;
    let (s, _, form) = get(&r, &prov, "/vouchers/provider").await;
    assert_eq!(s, StatusCode::OK);
    let key = between(&form, r#"name="request_key" value=""#, "\"")
        .unwrap()
        .to_string();
    let fields = [
        ("_csrf", prov_csrf.as_str()),
        ("request_key", key.as_str()),
        ("scheme", "HZ-SLQ"),
        ("enterprise", ent_uscc.as_str()),
        ("contract_no", "PAGE-1"),
        ("invoice_yuan", "20000"),
        ("compute", "domestic"),
        ("service_type", "推理"),
    ];
    let (s, h, _) = post(&r, &prov, "/vouchers/provider", &fields).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        h.get(header::LOCATION).unwrap(),
        "/vouchers/provider?done=submitted"
    );
    // Pressing submit twice (same form key) records nothing new.
    let (_, h, _) = post(&r, &prov, "/vouchers/provider", &fields).await;
    assert_eq!(
        h.get(header::LOCATION).unwrap(),
        "/vouchers/provider?done=replayed"
    );
    // A refused one stays on the form with the code.
    let mut dup = fields;
    dup[1] = ("request_key", "another");
    let (s, _, page) = post(&r, &prov, "/vouchers/provider", &dup).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(page.contains("voucher_contract_already_subsidised") && page.contains("PAGE-1"));
    let (_, _, list) = get(&r, &prov, "/vouchers/provider").await;
    let id = between(&list, r#"data-redemption=""#, "\"")
        .unwrap()
        .to_string();
    assert!(list.contains("PAGE-1"));
    // A provider has no write-off desk.
    let (s, _, _) = get(&r, &prov, "/vouchers/queue").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The enterprise confirms on its page.
    let (ent, ent_csrf) = login(&r, "ent", "/vouchers").await;
    let (s, _, mine) = get(&r, &ent, "/vouchers/mine").await;
    assert_eq!(s, StatusCode::OK);
    assert!(mine.contains(&format!("/vouchers/redemptions/{id}/confirm")));
    let (s, h, _) = post(
        &r,
        &ent,
        &format!("/vouchers/redemptions/{id}/confirm"),
        &[
            ("_csrf", &ent_csrf),
            ("back", "/vouchers/mine"),
            ("confirm", "1"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(
        h.get(header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("/vouchers/mine")
    );

    // The platform writes it off from the queue, which shows the ledger balanced.
    let (s, _, q) = get(&r, &adm, "/vouchers/queue").await;
    assert_eq!(s, StatusCode::OK);
    assert!(q.contains(r#"data-check="ok""#));
    assert!(q.contains(&format!("/vouchers/redemptions/{id}/write_off")));
    let (s, _, _) = post(
        &r,
        &adm,
        &format!("/vouchers/redemptions/{id}/write_off"),
        &[("_csrf", &adm_csrf), ("confirm", "1")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, q) = get(&r, &adm, "/vouchers/queue").await;
    assert!(!q.contains(&format!("/vouchers/redemptions/{id}/write_off")));
    let (_, _, mine) = get(&r, &ent, "/vouchers/mine").await;
    assert!(mine.contains(&format!(
        r#"data-redemption="{id}" data-status="written_off""#
    )));

    // The platform registers a provider and records a related party on the desk.
    let uscc = lianshi_domain::Uscc::with_check("91330108MA2KCX8Q1").unwrap();
    let (s, _, bad) = post(
        &r,
        &adm,
        "/vouchers/providers",
        &[
            ("_csrf", &adm_csrf),
            ("name", "某检测所"),
            ("uscc", "123"),
            ("kinds", "innovation"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(bad.contains("uscc_length"));
    let (s, h, _) = post(
        &r,
        &adm,
        "/vouchers/providers",
        &[
            ("_csrf", &adm_csrf),
            ("name", "某检测所"),
            ("uscc", uscc.as_str()),
            ("kinds", "innovation"),
            ("kinds", "model"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(
        h.get(header::LOCATION).unwrap(),
        "/vouchers/queue?done=provider"
    );
    let (s, _, _) = post(
        &r,
        &adm,
        "/vouchers/related",
        &[
            ("_csrf", &adm_csrf),
            ("provider", uscc.as_str()),
            ("enterprise", &ent_uscc),
            ("note", "同一法人"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, q) = get(&r, &adm, "/vouchers/queue").await;
    assert!(q.contains("某检测所") && q.contains("innovation,model"));
}
