//! Councils and service figures through the router (no ports), as JSON on both backends.

use axum::http::StatusCode;
use lianshi_app::App;
use lianshi_store::{Db, both_backends};
use serde_json::json;

mod common;
use common::{assert_router_documented, call, setup, token};

both_backends!(
    the_council_api_schedules_drafts_decides_and_reports_progress_with_errors_as_codes,
    |db: Db| async move {
        let (r, _app) = setup(db, 40).await;
        let admin = token(&r, "admin").await;
        let (s, list) = call(&r, "GET", "/api/v1/councils", Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK);
        // The demo holds four meetings per chain.
        assert_eq!(list["total"].as_i64().unwrap() % 4, 0);
        let chain = list["items"][0]["chain_id"].as_i64().unwrap();
        let (s, made) = call(
            &r,
            "POST",
            "/api/v1/councils/schedule",
            Some(&admin),
            Some(json!({"chain": chain.to_string(), "year": 2035})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{made}");
        assert_eq!(made["total"], 4);
        let id = made["items"][0]["id"].as_i64().unwrap();
        let (s, v) = call(
            &r,
            "POST",
            &format!("/api/v1/councils/{id}/agenda/draft"),
            Some(&admin),
            Some(json!({"min_orders": 0})),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(v["code"], "agenda_rules_invalid");
        let (s, v) = call(
            &r,
            "POST",
            &format!("/api/v1/councils/{id}/agenda"),
            Some(&admin),
            Some(json!({"title": "算力共享平台建设"})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let item = v["agenda"][0]["id"].as_i64().unwrap();
        let (s, act) = call(&r, "POST", &format!("/api/v1/councils/{id}/decisions"), Some(&admin),
            Some(json!({"decision": "经信局牵头建设", "department": "jxj", "due_on": "2035-06-30", "item_id": item}))).await;
        assert_eq!(s, StatusCode::CREATED, "{act}");
        let aid = act["id"].as_i64().unwrap();
        let (s, v) = call(
            &r,
            "POST",
            &format!("/api/v1/council-actions/{aid}/progress"),
            Some(&admin),
            Some(json!({"progress": 120})),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(v["code"], "progress_range");
        let (s, v) = call(
            &r,
            "POST",
            &format!("/api/v1/council-actions/{aid}/progress"),
            Some(&admin),
            Some(json!({"progress": 100, "note": "已建成", "version": 1})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "done");
        // A stale version conflicts.
        let (s, v) = call(
            &r,
            "POST",
            &format!("/api/v1/council-actions/{aid}/progress"),
            Some(&admin),
            Some(json!({"progress": 50, "version": 1})),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        let (s, v) = call(
            &r,
            "DELETE",
            &format!("/api/v1/councils/{id}/agenda/{item}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        // An enterprise user sees no councils.
        let ent = token(&r, "ent").await;
        let (s, _) = call(
            &r,
            "GET",
            &format!("/api/v1/councils/{id}"),
            Some(&ent),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
);

both_backends!(
    the_figures_api_returns_the_issue_keys_and_each_figure_leads_to_its_records,
    |db: Db| async move {
        let (r, _app) = setup(db, 40).await;
        let admin = token(&r, "admin").await;
        let (s, v) = call(&r, "GET", "/api/v1/service/figures", Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        for k in [
            "visits",
            "visits_overdue",
            "orders_received",
            "orders_solved",
            "response_rate",
            "resolution_rate",
            "satisfaction_rate",
            "median_handling_days",
            "breaches",
            "council_actions_closed",
            "by_team",
            "by_department",
            "by_chain",
            "definitions",
        ] {
            assert!(v.get(k).is_some(), "missing {k}");
        }
        let row = &v["by_team"][0];
        let (s, recs) = call(
            &r,
            "GET",
            &format!(
                "/api/v1/service/figures/records?metric=visits&{}",
                row["filter"].as_str().unwrap()
            ),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{recs}");
        assert_eq!(recs["total"], row["visits"]);
        let (s, e) = call(
            &r,
            "GET",
            "/api/v1/service/figures/records?metric=nope",
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(e["code"], "metric_unknown");
        let (s, e) = call(
            &r,
            "GET",
            "/api/v1/service/figures?from=2026-02-01&to=2026-01-01",
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(e["code"], "period_invalid");
    }
);

#[tokio::test]
async fn the_openapi_document_lists_every_council_and_figure_route() {
    let t = lianshi_store::testkit::sqlite().await;
    let r = lianshi_web::router(App::new(t.db.clone()));
    let (s, doc) = call(&r, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let n = ["/api/v1/council", "/api/v1/service/figures"]
        .map(|p| assert_router_documented(&r, &doc, p));
    assert!(n.iter().sum::<usize>() >= 12);
}
