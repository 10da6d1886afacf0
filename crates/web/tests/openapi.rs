//! The OpenAPI document against the real router: every `/api/v1` route the router serves is
//! in the document with exactly its methods, and every documented operation reaches a handler.
//! Every response has a schema.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use lianshi_app::App;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use tower::ServiceExt;

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// The paths of the router as axum registered them (its `Debug` lists every route).
fn router_paths(r: &axum::Router) -> BTreeSet<String> {
    let dbg = format!("{r:?}");
    dbg.split('"')
        .filter(|s| s.starts_with("/api/v1"))
        .map(str::to_string)
        .collect()
}

fn operations(doc: &Value) -> BTreeMap<String, BTreeSet<String>> {
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(p, item)| {
            let methods = METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| m.to_string())
                .collect();
            (p.clone(), methods)
        })
        .collect()
}

/// A concrete URI for a templated path.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.starts_with('{') { "1" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

async fn send(r: &axum::Router, method: &str, uri: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .method(method.to_uppercase().as_str())
        .uri(uri)
        .body(Body::empty())
        .expect("request");
    let resp = r.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn the_document_and_the_router_list_the_same_api_routes_and_methods() {
    let t = lianshi_store::testkit::sqlite().await;
    let r = lianshi_web::router(App::new(t.db.clone()));
    let doc = lianshi_web::api::document();
    let ops = operations(doc);
    let routed = router_paths(&r);
    assert!(routed.len() >= 90, "{} routes", routed.len());
    let documented: BTreeSet<String> = ops.keys().cloned().collect();
    assert_eq!(
        routed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "served but not documented"
    );
    assert_eq!(
        documented.difference(&routed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "documented but not served"
    );
    // Each documented method reaches a handler; each other method is the router's 405.
    for (path, methods) in &ops {
        let uri = concrete(path);
        for m in METHODS {
            let (status, body) = send(&r, m, &uri).await;
            if methods.contains(m) {
                assert!(
                    status != StatusCode::METHOD_NOT_ALLOWED
                        && !(status == StatusCode::NOT_FOUND && body.is_empty()),
                    "{m} {path}: {status} {body}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{m} {path} is served but not documented"
                );
            }
        }
    }
}

#[test]
fn every_response_has_a_schema_and_every_operation_its_errors() {
    let doc = lianshi_web::api::document();
    if let Ok(out) = std::env::var("LIANSHI_OPENAPI_OUT") {
        std::fs::write(out, serde_json::to_string_pretty(doc).expect("json")).expect("write");
    }
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            count += 1;
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{m} {path}: no success response"
            );
            assert!(responses.contains_key("500"), "{m} {path}");
            let public =
                path == "/api/v1/openapi.json" || (path == "/api/v1/auth/token" && m == "post");
            if !public {
                assert!(responses.contains_key("401"), "{m} {path}");
            }
            for (status, resp) in responses {
                if status == "204" {
                    assert!(resp.get("content").is_none(), "{m} {path} {status}");
                    continue;
                }
                let content = resp["content"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{m} {path} {status}: no content"));
                for (ct, media) in content {
                    let schema = &media["schema"];
                    assert!(schema.is_object(), "{m} {path} {status} {ct}: no schema");
                    let bare = schema.get("$ref").is_none()
                        && schema.get("properties").is_none()
                        && schema.get("items").is_none()
                        && schema.get("allOf").is_none()
                        && schema.get("oneOf").is_none()
                        && schema["type"] == "object";
                    assert!(
                        !bare || path == "/api/v1/openapi.json",
                        "{m} {path} {status} {ct}: a bare object schema"
                    );
                }
            }
        }
    }
    assert!(count >= 110, "{count} operations");
}
