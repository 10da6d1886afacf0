//! The voucher scheme forms of the web UI: a policy office creates a scheme and edits its rules
//! in the browser; bad JSON or rules that cannot compute come back in the form with a clear
//! message and change nothing; only managers see and may post the forms.

use axum::http::StatusCode;
use lianshi_store::{Db, both_backends};
use serde_json::{Value, json};

mod common;
use common::{Browser, call, setup, token, unescape, voucher_holder_uscc};

const RULES: &str = r#"{
  "tiers": [
    {"code": "small", "label_zh": "小微企业", "rate_bp": 5000, "sizes": ["small", "micro"]},
    {"code": "general", "label_zh": "一般", "rate_bp": 2500}
  ],
  "annual_cap_fen": 5000000,
  "validity_days": 180
}"#;

both_backends!(
    a_manager_creates_a_scheme_and_edits_its_rules_in_the_browser,
    |db: Db| async move {
        let (r, app) = setup(db, 20).await;
        let admin = Browser::login(&r, "admin").await;
        let index = admin.get("/vouchers").await;
        assert_eq!(index.status, StatusCode::OK);
        assert!(index.body.contains(r#"action="/vouchers/schemes""#));
        assert!(
            index.body.contains("rate_bp"),
            "the form starts with a rules template"
        );

        let fields = |rules: &'static str, code: &'static str| {
            vec![
                ("code", code),
                ("kind", "model"),
                ("name", "测试模型券（示例）"),
                ("issuer", "区经信局"),
                ("legal_ref", "区经信〔2026〕1号"),
                ("rules_json", rules),
            ]
        };
        let before = app.db.voucher_schemes().await.unwrap().len();

        // Broken JSON: the line and column, the form keeps what was typed, nothing saved.
        let bad = admin
            .post(
                "/vouchers/schemes",
                &fields("{\n  \"tiers\": [\n    {\"code\": }\n  ]\n}", "T-MX"),
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
        let text = unescape(&bad.body);
        assert!(text.contains("第 3 行"), "{text}");
        assert!(text.contains("voucher_rules_json"));
        assert!(
            text.contains("测试模型券（示例）"),
            "typed values stay in the form"
        );
        // Rules that cannot compute: no tier.
        let none = admin
            .post("/vouchers/schemes", &fields(r#"{"tiers": []}"#, "T-MX"))
            .await;
        assert_eq!(none.status, StatusCode::BAD_REQUEST, "{}", none.body);
        assert!(none.body.contains("voucher_rules_no_tier"), "{}", none.body);
        assert_eq!(app.db.voucher_schemes().await.unwrap().len(), before);

        // A good scheme: redirected to its page, tiers shown, figures start at zero.
        let ok = admin
            .post("/vouchers/schemes", &fields(RULES, "T-MX"))
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        assert_eq!(ok.location(), "/vouchers/schemes/T-MX?done=scheme");
        let page = admin.get("/vouchers/schemes/T-MX").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(r#"data-tier="small""#));
        assert!(page.body.contains(r#"data-tier="general""#));
        let stored = app
            .db
            .voucher_scheme_by_code("T-MX")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.kind, "model");
        assert_eq!(stored.status, "active");
        // The same code again is a conflict, shown in the form.
        let again = admin
            .post("/vouchers/schemes", &fields(RULES, "T-MX"))
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
        assert_eq!(app.db.voucher_schemes().await.unwrap().len(), before + 1);

        // Edit the rules: a rate above 100 % is refused and the typed text stays.
        let over = RULES.replace("5000", "12000");
        let refused = admin
            .post(
                "/vouchers/schemes/T-MX/rules",
                &[("status", "active"), ("rules_json", over.as_str())],
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert!(refused.body.contains("voucher_rules_rate"));
        assert!(unescape(&refused.body).contains("12000"));
        let unchanged = app
            .db
            .voucher_scheme_by_code("T-MX")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(unchanged.rules_json, stored.rules_json);
        // A good edit: the new rate is shown and the scheme is closed.
        let lower = RULES.replace("5000", "4000");
        let saved = admin
            .post(
                "/vouchers/schemes/T-MX/rules",
                &[("status", "closed"), ("rules_json", lower.as_str())],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        assert_eq!(saved.location(), "/vouchers/schemes/T-MX?done=rules");
        let page = admin.get("/vouchers/schemes/T-MX?done=rules").await;
        assert!(page.body.contains("40%"), "{}", page.body);
        let edited = app
            .db
            .voucher_scheme_by_code("T-MX")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(edited.status, "closed");
        assert!(edited.rules_json.contains("4000"));

        // Without the CSRF token nothing is saved.
        let forged = admin
            .post_raw("/vouchers/schemes", &fields(RULES, "T-FORGED"))
            .await;
        assert_ne!(forged.status, StatusCode::SEE_OTHER);
        assert!(
            app.db
                .voucher_scheme_by_code("T-FORGED")
                .await
                .unwrap()
                .is_none()
        );
    }
);

both_backends!(
    only_managers_see_and_post_the_scheme_forms,
    |db: Db| async move {
        let (r, app) = setup(db, 20).await;
        let provider = Browser::login(&r, "provider").await;
        let index = provider.get("/vouchers").await;
        assert_eq!(index.status, StatusCode::OK);
        assert!(!index.body.contains(r#"action="/vouchers/schemes""#));
        let page = provider.get("/vouchers/schemes/HZ-SLQ").await;
        assert!(
            !page.body.contains("/rules\""),
            "no rules form for a provider"
        );
        let denied = provider
            .post(
                "/vouchers/schemes",
                &[
                    ("code", "T-P"),
                    ("kind", "model"),
                    ("name", "x"),
                    ("rules_json", RULES),
                ],
            )
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
        let before = app
            .db
            .voucher_scheme_by_code("HZ-SLQ")
            .await
            .unwrap()
            .unwrap();
        let denied = provider
            .post(
                "/vouchers/schemes/HZ-SLQ/rules",
                &[("status", "closed"), ("rules_json", RULES)],
            )
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
        let after = app
            .db
            .voucher_scheme_by_code("HZ-SLQ")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.rules_json, before.rules_json);
        assert!(
            app.db
                .voucher_scheme_by_code("T-P")
                .await
                .unwrap()
                .is_none()
        );
    }
);

both_backends!(
    a_policy_office_deactivates_a_provider_and_removes_a_mistaken_related_party,
    |db: Db| async move {
        let (r, app) = setup(db, 20).await;
        let admin = token(&r, "admin").await;
        let provider = token(&r, "provider").await;
        let ent = token(&r, "ent").await;
        let ent_uscc = voucher_holder_uscc(&r, &ent).await;
        let (_, v) = call(&r, "GET", "/api/v1/vouchers/providers", Some(&admin), None).await;
        let me = app
            .db
            .user_by_username("provider")
            .await
            .unwrap()
            .unwrap()
            .id;
        let p_uscc = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["user_id"] == json!(me))
            .expect("the demo provider account is bound")["uscc"]
            .as_str()
            .unwrap()
            .to_string();
        let redeem = |key: &str| {
            json!({"enterprise": ent_uscc, "scheme": "HZ-SLQ", "contract_no": format!("C-{key}"),
                   "invoice_yuan": "1000.00", "compute": "domestic", "service_type": "推理", "request_key": key})
        };
        let code = |v: &Value| v["code"].as_str().unwrap_or("").to_string();

        // Deactivated: its account's redemptions are refused with a clear code.
        let active_url = format!("/api/v1/vouchers/providers/{p_uscc}/active");
        let (s, v) = call(
            &r,
            "PUT",
            &active_url,
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["active"], false);
        let url = "/api/v1/vouchers/redemptions";
        let (s, v) = call(&r, "POST", url, Some(&provider), Some(redeem("K1"))).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::CONFLICT, "voucher_provider_inactive".into()),
            "{v}"
        );
        // Only managers may switch a provider; the enterprise user may not.
        let (s, _) = call(
            &r,
            "PUT",
            &active_url,
            Some(&ent),
            Some(json!({"active": true})),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // Active again, but recorded as related to the enterprise: refused as related.
        let (s, v) = call(
            &r,
            "PUT",
            &active_url,
            Some(&admin),
            Some(json!({"active": true})),
        )
        .await;
        assert_eq!(
            (s, v["active"].clone()),
            (StatusCode::OK, json!(true)),
            "{v}"
        );
        let rel = json!({"provider": p_uscc, "enterprise": ent_uscc, "note": "误登记"});
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/vouchers/related-parties",
            Some(&admin),
            Some(rel),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, v) = call(
            &r,
            "GET",
            "/api/v1/vouchers/related-parties",
            Some(&admin),
            None,
        )
        .await;
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["enterprise_uscc"] == json!(ent_uscc)),
            "{v}"
        );
        let (s, v) = call(&r, "POST", url, Some(&provider), Some(redeem("K2"))).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::CONFLICT, "voucher_related_party".into()),
            "{v}"
        );

        // The page lists the record; removing it there lets the redemption through.
        let b = Browser::login(&r, "admin").await;
        let page = b.get("/vouchers/queue").await;
        let row = format!(r#"data-related="{p_uscc}/{ent_uscc}""#);
        assert!(page.body.contains(&row), "the related party is listed");
        let del = format!("/api/v1/vouchers/related-parties/{p_uscc}/{ent_uscc}");
        let (s, _) = call(&r, "DELETE", &del, Some(&ent), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let gone = b
            .post(
                "/vouchers/related/remove",
                &[
                    ("provider", p_uscc.as_str()),
                    ("enterprise", ent_uscc.as_str()),
                ],
            )
            .await;
        assert_eq!(gone.status, StatusCode::SEE_OTHER, "{}", gone.body);
        assert!(!b.get("/vouchers/queue").await.body.contains(&row));
        let (s, v) = call(&r, "DELETE", &del, Some(&admin), None).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::NOT_FOUND, "not_found".into()),
            "removing twice: {v}"
        );
        let (s, v) = call(&r, "POST", url, Some(&provider), Some(redeem("K3"))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");

        // Deactivating on the page shows the provider as deactivated; the audit log has it all.
        let off = b
            .post(
                &format!("/vouchers/providers/{p_uscc}/active"),
                &[("active", "0")],
            )
            .await;
        assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.body);
        assert!(
            b.get("/vouchers/queue")
                .await
                .body
                .contains(r#"data-active="false""#)
        );
        let (_, v) = call(&r, "GET", "/api/v1/audit?per_page=200", Some(&admin), None).await;
        let text = v.to_string();
        for action in [
            "voucher.provider_deactivate",
            "voucher.provider_activate",
            "voucher.related_remove",
        ] {
            assert!(text.contains(action), "{action} in the audit log");
        }
    }
);
