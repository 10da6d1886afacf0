//! Issue 9, finding 1, through the router: a bank user (finance) reads only the enterprises that
//! consented to its institution, and only the consented fields; a party secretary reads none yet;
//! out of scope is answered exactly like an unknown credit code.

use axum::http::StatusCode;
use lianshi_store::{Db, both_backends};
use serde_json::Value;

mod common;
use common::{call, get, login_session, setup, token};

const UNKNOWN: &str = "91330108MA2XXXXX0X";

/// An error answer with the key taken out.
fn shape(s: StatusCode, v: &Value, key: &str) -> String {
    format!("{s} {} {}", v["code"], v["message"]).replace(key, "KEY")
}

both_backends!(
    banks_and_party_secretaries_read_only_their_scope_through_the_api_and_the_pages,
    |db: Db| async move {
        let (r, app) = setup(db, 40).await;
        let admin = token(&r, "admin").await;
        let bank = token(&r, "bank").await;
        let secretary = token(&r, "secretary").await;
        let (_, me) = call(&r, "GET", "/api/v1/me", Some(&bank), None).await;
        let inst = me["department_id"].as_i64().unwrap();
        let consenting = app.db.score_consenting(inst).await.unwrap();
        assert!(
            !consenting.is_empty(),
            "the demo's ent consents to the bank"
        );
        let (_, all) = call(
            &r,
            "GET",
            "/api/v1/enterprises?per_page=200",
            Some(&admin),
            None,
        )
        .await;
        let items = all["items"].as_array().unwrap();
        let pick = |inside: bool| {
            items
                .iter()
                .find(|e| consenting.contains(&e["id"].as_i64().unwrap()) == inside)
                .map(|e| {
                    (
                        e["uscc"].as_str().unwrap().to_string(),
                        e["name"].as_str().unwrap().to_string(),
                    )
                })
                .unwrap()
        };
        let (yes, yes_name) = pick(true);
        let (no, no_name) = pick(false);
        // Any code: the enterprise is checked first.
        let code = app
            .db
            .policy_all()
            .await
            .unwrap()
            .first()
            .map_or_else(|| "P-ANY".to_string(), |p| p.code.clone());

        // The list: only consenting enterprises, counted as such, without contact or figures.
        let (s, list) = call(
            &r,
            "GET",
            "/api/v1/enterprises?per_page=200",
            Some(&bank),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert_eq!(list["total"].as_i64().unwrap() as usize, consenting.len());
        for e in list["items"].as_array().unwrap() {
            assert!(consenting.contains(&e["id"].as_i64().unwrap()));
            assert!(
                e["revenue_fen"].is_null()
                    && e["contact_phone"].is_null()
                    && e["tax_paid_fen"].is_null()
            );
        }
        let (s, one) = call(
            &r,
            "GET",
            &format!("/api/v1/enterprises/{yes}"),
            Some(&bank),
            None,
        )
        .await;
        assert_eq!(
            (s, one["name"].as_str()),
            (StatusCode::OK, Some(yes_name.as_str()))
        );
        assert!(one["contact_phone"].is_null() && one["revenue_fen"].is_null());

        // Out of scope = unknown, on the three endpoints, for both roles.
        for (who, t, key) in [("bank", &bank, &no), ("secretary", &secretary, &yes)] {
            for path in [
                "/api/v1/enterprises/{}".to_string(),
                "/api/v1/enterprises/{}/policies".to_string(),
                format!("/api/v1/policies/{code}/explain?enterprise_id={{}}"),
            ] {
                let (s1, v1) = call(&r, "GET", &path.replace("{}", key), Some(t), None).await;
                let (s2, v2) = call(&r, "GET", &path.replace("{}", UNKNOWN), Some(t), None).await;
                assert_eq!(s1, StatusCode::NOT_FOUND, "{who} {path}: {v1}");
                assert_eq!(shape(s1, &v1, key), shape(s2, &v2, UNKNOWN), "{who} {path}");
            }
        }
        // A consenting enterprise's eligibility shows revenue and tax: not for the bank.
        let (s, _) = call(
            &r,
            "GET",
            &format!("/api/v1/enterprises/{yes}/policies"),
            Some(&bank),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // The secretary's list is empty.
        let (_, list) = call(&r, "GET", "/api/v1/enterprises", Some(&secretary), None).await;
        assert_eq!(
            (
                list["total"].as_i64(),
                list["items"].as_array().map(Vec::len)
            ),
            (Some(0), Some(0))
        );

        // Pages.
        let bs = login_session(&r, "bank").await;
        let (s, _, html) = get(&r, &bs, "/enterprises?per_page=200").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains(&yes_name) && !html.contains(&no_name));
        let (s, _, _) = get(&r, &bs, &format!("/enterprises/{no}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let ss = login_session(&r, "secretary").await;
        let (s, _, html) = get(&r, &ss, "/enterprises?per_page=200").await;
        assert_eq!(s, StatusCode::OK);
        assert!(!html.contains(&yes_name) && !html.contains(&no_name));
        let (s, _, _) = get(&r, &ss, &format!("/enterprises/{yes}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
);
