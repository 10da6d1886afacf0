//! Innovation points for loans (积分贷) through the router (no ports): the model, scoring runs,
//! consent and the bank's view on both backends, and the pages each role uses.

use axum::http::{StatusCode, header};
use lianshi_app::App;
use lianshi_store::{Db, both_backends};
use serde_json::{Value, json};

mod common;
use common::{assert_router_documented, between, call, get, login, post, setup, token};

fn usccs(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["uscc"].as_str().unwrap().to_string())
        .collect()
}

both_backends!(
    an_invalid_model_is_refused_with_a_clear_code_and_a_valid_one_becomes_the_next_version,
    |db: Db| async move {
        let (r, _) = setup(db, 30).await;
        let admin = token(&r, "admin").await;
        let (s, m) = call(&r, "GET", "/api/v1/scores/model", Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK, "{m}");
        assert_eq!(m["current"]["version"], 1);
        assert_eq!(
            m["current"]["model"]["dimensions"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        assert_eq!(m["current"]["model"]["stages"][0]["name"], "种子期");
        assert!(!m["unavailable_zh"].as_array().unwrap().is_empty());
        let model = m["current"]["model"].clone();
        let put = |mut model: Value, f: &dyn Fn(&mut Value)| {
            f(&mut model);
            json!({"model": model, "note": "test"})
        };
        let cases: Vec<(Value, &str)> = vec![
            (
                put(model.clone(), &|m| {
                    m["dimensions"][0]["indicators"][0]["code"] = json!("patents")
                }),
                "score_model_unknown_indicator",
            ),
            (
                put(model.clone(), &|m| {
                    m["dimensions"][0]["indicators"][0]["weight"] = json!(20)
                }),
                "score_model_weight_sum",
            ),
            (
                put(model.clone(), &|m| {
                    m["dimensions"][0]["indicators"][0]["weight"] = json!(-12);
                    m["dimensions"][0]["indicators"][1]["weight"] = json!(38);
                }),
                "score_model_negative_weight",
            ),
            (json!({"text": "{not json"}), "score_model_syntax"),
        ];
        for (body, code) in cases {
            let (s, v) = call(&r, "PUT", "/api/v1/scores/model", Some(&admin), Some(body)).await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some(code)),
                "{v}"
            );
            assert!(v["message"].as_str().unwrap().contains(" / "), "{v}");
        }
        let dept = token(&r, "dept").await;
        let ok = put(model.clone(), &|m| {
            m["dimensions"][0]["indicators"][0]["weight"] = json!(10);
            m["dimensions"][0]["indicators"][1]["weight"] = json!(16);
        });
        let (s, _) = call(
            &r,
            "PUT",
            "/api/v1/scores/model",
            Some(&dept),
            Some(ok.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = call(&r, "PUT", "/api/v1/scores/model", Some(&admin), Some(ok)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["version"], 2);
        // The next run uses version 2.
        let (s, run) = call(&r, "POST", "/api/v1/scores/run", Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK, "{run}");
        assert_eq!(run["model_version"], 2);
        let (_, v) = call(
            &r,
            "GET",
            "/api/v1/audit?action=score.model",
            Some(&admin),
            None,
        )
        .await;
        assert!(v.to_string().contains("score.model.save"), "{v}");
    }
);

both_backends!(
    banks_see_scores_only_of_consenting_enterprises_and_record_loans_with_totals,
    |db: Db| async move {
        let (r, _) = setup(db, 30).await;
        let admin = token(&r, "admin").await;
        let bank = token(&r, "bank").await;
        let ent = token(&r, "ent").await;
        // The demo scored every enterprise; a rerun scores them again and counts per stage.
        let (s, run) = call(&r, "POST", "/api/v1/scores/run", Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK, "{run}");
        let n = run["enterprises"].as_i64().unwrap();
        assert!(n >= 25, "{run}");
        let per_stage: i64 = run["by_stage"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["enterprises"].as_i64().unwrap())
            .sum();
        assert_eq!(per_stage, n);
        let (s, all) = call(&r, "GET", "/api/v1/scores?per_page=200", Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK, "{all}");
        assert_eq!(all["total"].as_i64(), Some(n));
        let scores: Vec<f64> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["score"].as_f64().unwrap())
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first");
        assert!(scores.iter().all(|s| (0.0..=100.0).contains(s)));
        // Filters: a stage holds only its own enterprises; an unknown stage is a 400.
        let stage = all["items"][0]["stage"].as_str().unwrap().to_string();
        let (_, v) = call(
            &r,
            "GET",
            &format!("/api/v1/scores?stage={stage}"),
            Some(&admin),
            None,
        )
        .await;
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["stage"] == stage.as_str())
        );
        let (s, v) = call(&r, "GET", "/api/v1/scores?stage=nope", Some(&admin), None).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("score_stage_unknown"))
        );

        // The enterprise user's own enterprise consented in the demo; the bank sees it.
        let (s, mine) = call(&r, "GET", "/api/v1/scores/consents", Some(&ent), None).await;
        assert_eq!(s, StatusCode::OK, "{mine}");
        let hz = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["institution_code"] == "hzbank_tech")
            .cloned()
            .unwrap();
        assert_eq!(hz["granted"], true);
        let (s, seen) = call(&r, "GET", "/api/v1/scores?per_page=200", Some(&bank), None).await;
        assert_eq!(s, StatusCode::OK, "{seen}");
        let seen = usccs(&seen);
        let (_, me) = call(
            &r,
            "GET",
            "/api/v1/enterprises?per_page=1",
            Some(&ent),
            None,
        )
        .await;
        let own = me["items"][0]["uscc"].as_str().unwrap().to_string();
        assert!(seen.contains(&own));
        assert!(
            seen.len() < n as usize,
            "the bank sees only consenting enterprises"
        );
        let stranger = usccs(&all).into_iter().find(|u| !seen.contains(u)).unwrap();
        let (s, v) = call(
            &r,
            "GET",
            &format!("/api/v1/scores/enterprises/{stranger}"),
            Some(&bank),
            None,
        )
        .await;
        // Not consenting answers like an unknown code.
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        let (s, d) = call(
            &r,
            "GET",
            &format!("/api/v1/scores/enterprises/{own}"),
            Some(&bank),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        let sum: f64 = d["contributions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["points"].as_f64().unwrap())
            .sum();
        assert!(
            (sum - d["item"]["score"].as_f64().unwrap()).abs() < 0.1,
            "{d}"
        );
        assert_eq!(d["dimensions"].as_array().unwrap().len(), 4);
        assert!(d["contributions"][0]["name_zh"].is_string());

        // Consent is the enterprise's own act: not for another enterprise.
        let (s, _) = call(
            &r,
            "PUT",
            "/api/v1/scores/consents",
            Some(&ent),
            Some(json!({"enterprise": stranger, "institution": "hzbank_tech", "granted": true})),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = call(
            &r,
            "PUT",
            "/api/v1/scores/consents",
            Some(&bank),
            Some(json!({"enterprise": own, "institution": "hzbank_tech", "granted": true})),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = call(
            &r,
            "PUT",
            "/api/v1/scores/consents",
            Some(&ent),
            Some(json!({"institution": "zju", "granted": true})),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("score_institution_unknown"))
        );

        // Loans: bad amounts and rates are refused with their codes, a stranger with 403.
        let loan = |amount: Value, rate: &str, who: &str| {
            json!({"enterprise": who, "amount": amount,
            "rate": rate, "term_months": 12, "granted_on": "2026-03-01", "note": "测试"})
        };
        for (body, code) in [
            (loan(json!("1000.123"), "3.45", &own), "money_precision"),
            (
                loan(json!("1000000000000.01"), "3.45", &own),
                "amount_too_large",
            ),
            (
                loan(json!("-5000"), "3.45", &own),
                "score_loan_amount_not_positive",
            ),
            (
                loan(json!("0"), "3.45", &own),
                "score_loan_amount_not_positive",
            ),
            (
                loan(json!("5000"), "3.456", &own),
                "score_loan_rate_invalid",
            ),
        ] {
            let (s, v) = call(&r, "POST", "/api/v1/scores/loans", Some(&bank), Some(body)).await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some(code)),
                "{v}"
            );
        }
        let (s, _) = call(
            &r,
            "POST",
            "/api/v1/scores/loans",
            Some(&bank),
            Some(loan(json!("5000"), "3.45", &stranger)),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (_, before) = call(&r, "GET", "/api/v1/scores/loans", Some(&bank), None).await;
        let (s, l) = call(
            &r,
            "POST",
            "/api/v1/scores/loans",
            Some(&bank),
            Some(loan(json!("1234567.89"), "3.45", &own)),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{l}");
        assert_eq!(
            (l["amount_fen"].as_i64(), l["rate_bp"].as_i64()),
            (Some(123_456_789), Some(345))
        );
        let (_, after) = call(&r, "GET", "/api/v1/scores/loans", Some(&bank), None).await;
        assert_eq!(
            after["count"].as_i64().unwrap(),
            before["count"].as_i64().unwrap() + 1
        );
        assert_eq!(
            after["total_fen"].as_i64().unwrap(),
            before["total_fen"].as_i64().unwrap() + 123_456_789
        );
        let listed: i64 = after["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["amount_fen"].as_i64().unwrap())
            .sum();
        assert_eq!(listed, after["total_fen"].as_i64().unwrap());
        let (_, theirs) = call(&r, "GET", "/api/v1/scores/loans", Some(&ent), None).await;
        assert!(
            theirs["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["uscc"] == own.as_str())
        );
        assert!(theirs["count"].as_i64().unwrap() >= 1);

        // Revoking hides the enterprise from the bank at once; granting shows it again.
        let (s, _) = call(
            &r,
            "PUT",
            "/api/v1/scores/consents",
            Some(&ent),
            Some(json!({"institution": "hzbank_tech", "granted": false})),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = call(
            &r,
            "GET",
            &format!("/api/v1/scores/enterprises/{own}"),
            Some(&bank),
            None,
        )
        .await;
        // After revoking, the bank gets the answer for an unknown code.
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, seen) = call(&r, "GET", "/api/v1/scores?per_page=200", Some(&bank), None).await;
        assert!(!usccs(&seen).contains(&own));
        let (s, _) = call(
            &r,
            "POST",
            "/api/v1/scores/loans",
            Some(&bank),
            Some(loan(json!("5000"), "3.45", &own)),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = call(
            &r,
            "PUT",
            "/api/v1/scores/consents",
            Some(&ent),
            Some(json!({"institution": "hzbank_tech", "granted": true})),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = call(
            &r,
            "GET",
            &format!("/api/v1/scores/enterprises/{own}"),
            Some(&bank),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        // Other roles: the enterprise sees its own score only; providers nothing.
        let (s, _) = call(
            &r,
            "GET",
            &format!("/api/v1/scores/enterprises/{own}"),
            Some(&ent),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = call(
            &r,
            "GET",
            &format!("/api/v1/scores/enterprises/{stranger}"),
            Some(&ent),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let provider = token(&r, "provider").await;
        let (s, _) = call(&r, "GET", "/api/v1/scores", Some(&provider), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (_, v) = call(
            &r,
            "GET",
            "/api/v1/audit?action=score.&per_page=200",
            Some(&admin),
            None,
        )
        .await;
        let text = v.to_string();
        for action in [
            "score.run",
            "score.consent.grant",
            "score.consent.revoke",
            "score.loan.record",
        ] {
            assert!(text.contains(action), "{action} not audited");
        }
    }
);

#[tokio::test]
async fn the_openapi_document_lists_every_score_route() {
    let t = lianshi_store::testkit::sqlite().await;
    let r = lianshi_web::router(App::new(t.db.clone()));
    let (_, doc) = call(&r, "GET", "/api/v1/openapi.json", None, None).await;
    assert!(assert_router_documented(&r, &doc, "/api/v1/scores") >= 6);
}

#[tokio::test]
async fn each_role_uses_its_score_pages_and_bad_input_is_shown_with_its_code() {
    let t = lianshi_store::testkit::sqlite().await;
    let (r, _) = setup(t.db.clone(), 30).await;

    // Administrator: the list by stage, the model page and an invalid edit.
    let (session, csrf) = login(&r, "admin", "/scores/model").await;
    let (s, _, list) = get(&r, &session, "/scores").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        list.contains("积分贷") && list.contains("种子期") && list.contains("data-uscc="),
        "{list}"
    );
    assert!(list.contains(r#"href="/scores""#), "nav entry");
    let (s, _, filtered) = get(&r, &session, "/scores?stage=nope").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(filtered.contains("未知阶段"));
    let (s, _, model) = get(&r, &session, "/scores/model").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        model.contains("创新投入") && model.contains("发明专利") && model.contains("<textarea")
    );
    let text = between(&model, "spellcheck=\"false\">", "</textarea>").unwrap();
    let text = text.replace("&quot;", "\"").replace("&#34;", "\"");
    let bad = text.replacen("\"weight\": 12.0", "\"weight\": 50.0", 1);
    assert_ne!(bad, text, "{text}");
    let (s, _, page) = post(
        &r,
        &session,
        "/scores/model",
        &[("_csrf", &csrf), ("model", &bad), ("note", "x")],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("score_model_weight_sum") && page.contains("权重之和"),
        "{page}"
    );
    let (s, h, _) = post(&r, &session, "/scores/run", &[("_csrf", &csrf)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(
        h[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/scores?done=run")
    );
    let uscc = between(&list, "data-uscc=\"", "\"").unwrap().to_string();
    let (s, _, detail) = get(&r, &session, &format!("/scores/enterprises/{uscc}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(detail.contains("研发投入强度") && detail.contains("data-indicator=\"rd_ratio\""));

    // Enterprise: its consent page; revoke and grant again by form.
    let (es, ecsrf) = login(&r, "ent", "/scores/model").await;
    let (s, h, _) = get(&r, &es, "/scores").await;
    assert_eq!(
        (s, h[header::LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/scores/consent")
    );
    let (s, _, consent) = get(&r, &es, "/scores/consent").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        consent.contains("data-institution=\"hzbank_tech\" data-granted=\"true\""),
        "{consent}"
    );
    let own = between(&consent, "href=\"/scores/enterprises/", "\"")
        .unwrap()
        .to_string();

    // Bank: the consenting enterprises, a refused loan, a recorded loan.
    let (bs, bcsrf) = login(&r, "bank", "/scores/model").await;
    let (s, _, bank) = get(&r, &bs, "/scores/bank").await;
    assert_eq!(s, StatusCode::OK);
    assert!(bank.contains(&format!("data-uscc=\"{own}\"")), "{bank}");
    let loan = |amount: &'static str| {
        vec![
            ("_csrf", bcsrf.clone()),
            ("enterprise", own.clone()),
            ("amount", amount.to_string()),
            ("rate", "3.85".to_string()),
            ("term_months", "12".to_string()),
            ("granted_on", "2026-02-01".to_string()),
            ("note", "表单".to_string()),
        ]
    };
    let pairs = loan("100.001");
    let p: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, _, page) = post(&r, &bs, "/scores/loans", &p).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("money_precision") && page.contains("100.001"),
        "{page}"
    );
    let pairs = loan("300万");
    let p: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, _, _) = post(&r, &bs, "/scores/loans", &p).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, bank) = get(&r, &bs, "/scores/bank").await;
    assert!(bank.contains("表单") && bank.contains(">3.85<"), "{bank}");
    let (s, _, _) = get(&r, &bs, "/scores/model").await;
    assert_eq!(s, StatusCode::OK);

    // A stranger to the bank: 403 on its explanation page.
    let (_, _, all) = get(&r, &session, "/scores?per_page=200").await;
    let stranger = all
        .split("data-uscc=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|u| !bank.contains(&format!("data-uscc=\"{u}\"")))
        .unwrap()
        .to_string();
    let (s, _, _) = get(&r, &bs, &format!("/scores/enterprises/{stranger}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The enterprise revokes by form; the bank loses sight of it.
    let (s, _, _) = post(
        &r,
        &es,
        "/scores/consent",
        &[
            ("_csrf", &ecsrf),
            ("institution", "hzbank_tech"),
            ("granted", "0"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, _) = get(&r, &bs, &format!("/scores/enterprises/{own}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A consent for another enterprise through the form is refused.
    let (s, _, _) = post(
        &r,
        &es,
        "/scores/consent",
        &[
            ("_csrf", &ecsrf),
            ("enterprise", &stranger),
            ("institution", "hzbank_tech"),
            ("granted", "1"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
