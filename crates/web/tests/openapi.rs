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

/// A component schema's property.
fn property<'a>(doc: &'a Value, schema: &str, field: &str) -> &'a Value {
    let p = &doc["components"]["schemas"][schema]["properties"][field];
    assert!(p.is_object(), "{schema}.{field} is not in the document");
    p
}

/// A query parameter's schema.
fn query_param<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name && p["in"] == "query"))
        .map(|p| &p["schema"])
        .unwrap_or_else(|| panic!("GET {path}: no query parameter {name}"))
}

/// The texts of an `enum`, and whether it allows JSON null.
fn texts(schema: &Value) -> (Vec<String>, bool) {
    let list = schema["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("no enum in {schema}"));
    let null = list.iter().any(Value::is_null);
    let texts = list
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    (texts, null)
}

/// `schema` lists exactly the texts `accepted` says the server takes, plus `""` when the server
/// reads an empty text as absent (`blank`); every listed text is accepted.
fn check_enum(
    what: &str,
    schema: &Value,
    expected: &[&str],
    blank: bool,
    accepted: impl Fn(&str) -> bool,
) {
    let (listed, _) = texts(schema);
    for v in &listed {
        assert!(
            accepted(v) || (blank && v.is_empty()),
            "{what}: the document lists {v:?}, which the server refuses"
        );
    }
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    if blank {
        want.push(String::new());
    }
    let mut got = listed.clone();
    got.sort();
    want.sort();
    want.dedup();
    assert_eq!(got, want, "{what}");
}

#[test]
fn closed_lists_the_server_checks_are_enums_in_the_document() {
    use lianshi_domain::Role;
    use lianshi_domain::order::{OrderState, Urgency};
    use lianshi_domain::size::SizeBand;
    use lianshi_domain::subsidy::SubsidyState;
    use lianshi_domain::voucher::{Compute, SchemeKind};
    let doc = lianshi_web::api::document();

    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    for (schema, field) in [("UserInput", "role"), ("UserRow", "role")] {
        check_enum(
            &format!("{schema}.{field}"),
            property(doc, schema, field),
            &roles,
            false,
            |s| Role::parse(s).is_ok(),
        );
    }

    let bands = SizeBand::all();
    let sizes: Vec<&str> = bands
        .iter()
        .map(|b| b.as_str())
        .chain(bands.iter().map(|b| b.label_zh()))
        .collect();
    for path in ["/api/v1/enterprises", "/api/v1/enterprises/export"] {
        check_enum(
            &format!("GET {path} size"),
            query_param(doc, path, "size"),
            &sizes,
            true,
            |s| SizeBand::parse(s).is_ok(),
        );
    }

    let urgencies: Vec<&str> = Urgency::ALL
        .iter()
        .map(|u| u.as_str())
        .chain(Urgency::ALL.iter().map(|u| u.label_zh()))
        .collect();
    for (schema, field, blank) in [
        ("OrderInput", "urgency", true),
        ("PainPointInput", "urgency", true),
        ("SlaLimitInput", "urgency", false),
    ] {
        check_enum(
            &format!("{schema}.{field}"),
            property(doc, schema, field),
            &urgencies,
            blank,
            |s| Urgency::parse(s).is_ok(),
        );
    }

    let channels: Vec<&str> = lianshi_app::order::CHANNELS
        .iter()
        .map(|(k, _, _)| *k)
        .collect();
    for (schema, blank) in [("OrderInput", true), ("OrderView", false)] {
        check_enum(
            &format!("{schema}.channel"),
            property(doc, schema, "channel"),
            &channels,
            blank,
            |s| channels.contains(&s),
        );
    }

    let states: Vec<&str> = std::iter::once("open")
        .chain(OrderState::ALL.iter().map(|s| s.as_str()))
        .chain(OrderState::ALL.iter().map(|s| s.label_zh()))
        .collect();
    check_enum(
        "GET /api/v1/orders state",
        query_param(doc, "/api/v1/orders", "state"),
        &states,
        true,
        |s| s == "open" || OrderState::parse(s).is_ok(),
    );

    let subsidy: Vec<&str> = SubsidyState::ALL.iter().map(|s| s.as_str()).collect();
    check_enum(
        "GET /api/v1/subsidies/applications state",
        query_param(doc, "/api/v1/subsidies/applications", "state"),
        &subsidy,
        true,
        |s| SubsidyState::parse(s).is_some(),
    );

    check_enum(
        "GET /api/v1/enterprises/corrections status",
        query_param(doc, "/api/v1/enterprises/corrections", "status"),
        &lianshi_app::enterprise::CORRECTION_STATUSES,
        true,
        |s| lianshi_app::enterprise::CORRECTION_STATUSES.contains(&s),
    );
    check_enum(
        "GET /api/v1/visit-tasks status",
        query_param(doc, "/api/v1/visit-tasks", "status"),
        &lianshi_app::visit::TASK_STATUSES,
        true,
        |s| lianshi_app::visit::TASK_STATUSES.contains(&s),
    );
    check_enum(
        "CouncilInput.status",
        property(doc, "CouncilInput", "status"),
        &lianshi_app::council::COUNCIL_STATUSES,
        true,
        |s| lianshi_app::council::COUNCIL_STATUSES.contains(&s),
    );

    let kinds: Vec<&str> = SchemeKind::ALL.iter().map(|k| k.as_str()).collect();
    for (schema, field) in [("SchemeInput", "kind"), ("SchemeView", "kind")] {
        check_enum(
            &format!("{schema}.{field}"),
            property(doc, schema, field),
            &kinds,
            false,
            |s| SchemeKind::parse(s).is_ok(),
        );
    }
    check_enum(
        "ProviderInput.kinds[]",
        &property(doc, "ProviderInput", "kinds")["items"],
        &kinds,
        false,
        |s| SchemeKind::parse(s).is_ok(),
    );
    let statuses = lianshi_app::voucher::SCHEME_STATUSES;
    for (schema, field) in [
        ("SchemeInput", "status"),
        ("RulesBody", "status"),
        ("SchemeView", "status"),
    ] {
        check_enum(
            &format!("{schema}.{field}"),
            property(doc, schema, field),
            &statuses,
            false,
            |s| statuses.contains(&s),
        );
    }
    check_enum(
        "RedemptionInput.compute",
        property(doc, "RedemptionInput", "compute"),
        &["domestic", "other"],
        true,
        |s| Compute::parse(s).is_ok_and(|c| c.is_some()),
    );
    check_enum(
        "EnterpriseJson.ownership",
        property(doc, "EnterpriseJson", "ownership"),
        lianshi_domain::enterprise::OWNERSHIP_TYPES,
        true,
        |s| lianshi_domain::enterprise::OWNERSHIP_TYPES.contains(&s),
    );

    // Optional bodies' fields take null (an absent value); required ones and query filters do
    // not.
    for (schema, field, null) in [
        ("OrderInput", "urgency", true),
        ("OrderInput", "channel", true),
        ("CouncilInput", "status", true),
        ("SchemeInput", "status", true),
        ("EnterpriseJson", "ownership", true),
        ("UserInput", "role", false),
        ("SlaLimitInput", "urgency", false),
        ("SchemeInput", "kind", false),
        ("RedemptionInput", "compute", false),
    ] {
        assert_eq!(
            texts(property(doc, schema, field)).1,
            null,
            "{schema}.{field}"
        );
    }
    assert!(!texts(query_param(doc, "/api/v1/orders", "state")).1);
}
