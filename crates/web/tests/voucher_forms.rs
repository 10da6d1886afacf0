//! The voucher scheme forms of the web UI: a policy office creates a scheme and edits its rules
//! in the browser; bad JSON or rules that cannot compute come back in the form with a clear
//! message and change nothing; only managers see and may post the forms.

use axum::http::StatusCode;
use lianshi_store::{Db, both_backends};

mod common;
use common::{Browser, setup, unescape};

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
