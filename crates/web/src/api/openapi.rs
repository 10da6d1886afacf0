//! The OpenAPI 3.1 document of `/api/v1`, derived by utoipa from each handler's
//! `#[utoipa::path]` attribute and from the request and response types themselves
//! (`#[derive(ToSchema)]`; the app, store, domain and rules types through their `openapi`
//! feature). Routes are registered with `utoipa_axum::routes!`, which takes the path and method
//! from the same attribute, so the router and the document cannot disagree.
//!
//! [`finish`] adds what every operation shares instead of repeating it in 110 attributes:
//! `401`/`403` on operations behind the bearer token, `400` on operations that decode a body,
//! query or path parameter, and `500`, all with the [`ErrorBody`] schema.

use crate::error::ErrorBody;
use serde_json::{Value, json};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lianshi (链事荟) API",
        description = "Zone registry, enterprises, the service loop, work orders, councils, policies, \
                       subsidies, vouchers and innovation points. Every error is \
                       `{\"code\", \"message\"}` with a stable snake_case code. Authenticate with \
                       `POST /api/v1/auth/token` and send `Authorization: Bearer <token>`."
    ),
    components(schemas(ErrorBody)),
    modifiers(&Bearer),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let c = api.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// The served document: utoipa's, plus the responses every operation shares.
pub fn finish(api: utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(&api).unwrap_or_default();
    doc["info"]["version"] = json!(env!("CARGO_PKG_VERSION"));
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                add_shared_responses(method, op);
            }
        }
    }
    doc
}

fn add_shared_responses(method: &str, op: &mut Value) {
    // `security: [{}]` marks a public operation; no `security` inherits the bearer token.
    let public = op["security"].as_array().is_some_and(|s| {
        s.iter()
            .all(|r| r.as_object().is_some_and(|m| m.is_empty()))
    });
    // A write on a cookie session without its CSRF header is a 400 too.
    let takes_input = op["parameters"].as_array().is_some_and(|p| !p.is_empty())
        || op.get("requestBody").is_some()
        || (!public && method != "get");
    let Some(responses) = op["responses"].as_object_mut() else {
        return;
    };
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status)
            .or_insert_with(|| error(description));
    };
    if takes_input {
        add(
            "400",
            "the request is malformed (`body_invalid`, `query_invalid`, `path_invalid`) or a value is refused",
        );
    }
    if !public {
        add(
            "401",
            "no, an unknown, an expired or a revoked token (`unauthenticated`)",
        );
        add(
            "403",
            "the caller's role may not do this (`forbidden`); a cookie session without `X-CSRF-Token` on a write is a 400",
        );
    }
    add("500", "an unexpected failure (`internal`)");
}
