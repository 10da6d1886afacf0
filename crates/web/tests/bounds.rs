//! Input bounds through the router on both backends: the outside probe's voucher rounds of
//! 50000000000000000 元 are refused with a 400 naming the field; a database that already holds
//! such rows still answers every voucher page and API (only the broken scheme is flagged) and is
//! repaired through the API and the 惠企券 page; a huge `page` never wraps to the first page.

use axum::http::StatusCode;
use lianshi_store::{Db, both_backends};
use serde_json::{Value, json};

mod common;
use common::{Browser, assert_documented, call, setup, token};

const HUGE_PAGE: &str = "9223372036854775807";

both_backends!(
    the_probe_rounds_are_refused_and_a_database_holding_them_still_answers_and_is_repaired,
    |db: Db| async move {
        let (r, app) = setup(db, 20).await;
        let dept = token(&r, "dept").await;
        let rounds = "/api/v1/vouchers/schemes/HZ-SLQ/rounds";
        let round = |pool: &str, year: i64| json!({"pool_yuan": pool, "year": year, "opens_on": format!("{year}-01-01"), "closes_on": format!("{year}-06-30")});
        for pool in ["50000000000000000", "92233720368547758.07"] {
            let (s, v) = call(&r, "POST", rounds, Some(&dept), Some(round(pool, 2027))).await;
            assert_eq!(
                (s, v["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some("amount_too_large")),
                "{v}"
            );
            assert!(v["message"].as_str().unwrap().contains("pool_yuan"), "{v}");
        }
        // A database written before the bound holds the probe's two rounds.
        let sid = app
            .db
            .voucher_scheme_by_code("HZ-SLQ")
            .await
            .unwrap()
            .unwrap()
            .id;
        let mut tx = app.db.begin().await.unwrap();
        for year in [2027, 2028] {
            lianshi_store::voucher::voucher_round_insert(
                tx.conn(),
                &lianshi_store::voucher::RoundWrite {
                    scheme_id: sid,
                    name: format!("{year}"),
                    year,
                    pool_fen: 5_000_000_000_000_000_000,
                    opens_on: format!("{year}-01-01"),
                    closes_on: format!("{year}-06-30"),
                    valid_until: format!("{year}-12-31"),
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();

        for user in ["admin", "dept", "ent", "provider"] {
            let t = token(&r, user).await;
            let (s, v) = call(&r, "GET", "/api/v1/vouchers/schemes", Some(&t), None).await;
            assert_eq!(s, StatusCode::OK, "{user}: {v}");
            for x in v["items"].as_array().unwrap() {
                assert_eq!(x["figures_overflow"], json!(x["code"] == "HZ-SLQ"), "{x}");
            }
        }
        let admin = token(&r, "admin").await;
        let (s, v) = call(&r, "GET", "/api/v1/vouchers/check", Some(&admin), None).await;
        assert_eq!((s, &v["ok"]), (StatusCode::OK, &json!(false)), "{v}");
        let (s, _) = call(&r, "GET", "/api/v1/vouchers/grants", Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK);
        for (user, pages) in [
            (
                "admin",
                &["/vouchers", "/vouchers/queue", "/vouchers/schemes/HZ-SLQ"][..],
            ),
            ("dept", &["/vouchers", "/vouchers/queue"][..]),
            ("provider", &["/vouchers", "/vouchers/provider"][..]),
            ("ent", &["/vouchers", "/vouchers/mine"][..]),
        ] {
            let b = Browser::login(&r, user).await;
            for p in pages {
                let page = b.get(p).await;
                assert_eq!(page.status, StatusCode::OK, "{user} {p}: {}", page.body);
            }
        }
        let b = Browser::login(&r, "admin").await;
        let page = b.get("/vouchers/schemes/HZ-SLQ").await;
        assert!(page.body.contains("data-figures-overflow"), "{}", page.body);

        // Repair through the API: an enterprise may not; the department corrects one round
        // and closes the other.
        let ent = token(&r, "ent").await;
        let url = "/api/v1/vouchers/schemes/HZ-SLQ/rounds/2027";
        let (s, _) = call(
            &r,
            "PUT",
            url,
            Some(&ent),
            Some(json!({"pool_yuan": "1亿"})),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = call(
            &r,
            "PUT",
            url,
            Some(&dept),
            Some(json!({"pool_yuan": "50000000000000000"})),
        )
        .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("amount_too_large"))
        );
        let (s, v) = call(
            &r,
            "PUT",
            url,
            Some(&dept),
            Some(json!({"pool_yuan": "1亿", "reason": "录入错误"})),
        )
        .await;
        assert_eq!(
            (s, v["pool_fen"].as_i64()),
            (StatusCode::OK, Some(10_000_000_000)),
            "{v}"
        );
        // The 惠企券 page closes the other.
        let b = Browser::login(&r, "dept").await;
        let page = b.get("/vouchers/schemes/HZ-SLQ").await;
        let id = {
            let f = app.db.voucher_rounds(Some(sid)).await.unwrap();
            f.iter().find(|x| x.year == 2028).unwrap().id
        };
        assert!(
            page.body.contains(&format!("value=\"2028:{id}\"")),
            "{}",
            page.body
        );
        let done = b
            .post(
                "/vouchers/schemes/HZ-SLQ/rounds/fix",
                &[("round", &format!("2028:{id}")), ("do", "close")],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let closed = app.db.voucher_round_get(id).await.unwrap().unwrap();
        assert_eq!(closed.pool_fen, 0);

        let (s, v) = call(
            &r,
            "GET",
            "/api/v1/vouchers/schemes/HZ-SLQ",
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(
            (s, &v["figures_overflow"]),
            (StatusCode::OK, &json!(false)),
            "{v}"
        );
        let (_, v) = call(&r, "GET", "/api/v1/vouchers/check", Some(&admin), None).await;
        assert_eq!(v["ok"], json!(true), "{v}");
        let (_, doc) = call(&r, "GET", "/api/v1/openapi.json", None, None).await;
        assert_documented(
            &doc,
            [
                "/api/v1/vouchers/schemes/{scheme}/rounds/{year}",
                "/api/v1/vouchers/schemes/{scheme}/rounds/{year}/close",
            ],
        );
        // The close endpoint of the API, with no body.
        let (s, v) = call(
            &r,
            "POST",
            "/api/v1/vouchers/schemes/HZ-SLQ/rounds/2027/close",
            Some(&dept),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
);

/// The rows of a list answer, whatever its key.
fn rows(v: &Value) -> usize {
    ["items", "rows", "entries", "applications"]
        .iter()
        .find_map(|k| v[*k].as_array().map(Vec::len))
        .unwrap_or(0)
}

both_backends!(
    a_huge_page_number_returns_an_empty_page_instead_of_wrapping_to_the_first,
    |db: Db| async move {
        let (r, _) = setup(db, 20).await;
        let admin = token(&r, "admin").await;
        for list in [
            "/api/v1/enterprises",
            "/api/v1/audit",
            "/api/v1/orders",
            "/api/v1/policies",
            "/api/v1/policy-notices",
            "/api/v1/scores",
            "/api/v1/visit-tasks",
            "/api/v1/visits",
            "/api/v1/subsidies/applications",
            "/api/v1/subsidies/ledger",
        ] {
            let (s, first) = call(&r, "GET", list, Some(&admin), None).await;
            assert_eq!(s, StatusCode::OK, "{list}: {first}");
            if ["/api/v1/enterprises", "/api/v1/audit", "/api/v1/orders"].contains(&list) {
                assert!(
                    rows(&first) > 0,
                    "{list} has rows on its first page: {first}"
                );
            }
            let uri = format!("{list}?page={HUGE_PAGE}");
            let (s, v) = call(&r, "GET", &uri, Some(&admin), None).await;
            assert_eq!(s, StatusCode::OK, "{uri}: {v}");
            assert_eq!(rows(&v), 0, "{uri} wrapped around: {v}");
        }
        let b = Browser::login(&r, "admin").await;
        for page in ["/audit", "/subsidies", "/orders", "/enterprises"] {
            let p = b.get(&format!("{page}?page={HUGE_PAGE}")).await;
            assert_eq!(p.status, StatusCode::OK, "{page}: {}", p.body);
        }
    }
);
