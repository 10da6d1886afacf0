//! The OpenAPI 3.1 document of `/api/v1`, written by hand next to the handlers it describes.
//! A test walks the router's API routes and checks each appears here.

use axum::Json;
use serde_json::{Value, json};

fn err(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok(desc: &str, schema: Value) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": schema}}})
}

fn q(name: &str, desc: &str, ty: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": desc, "schema": {"type": ty}})
}

/// The paths this document lists (also used by the coverage test).
pub fn document_value() -> Value {
    let secured = json!([{"bearer": []}]);
    let common = |v: Value| -> Value {
        let mut v = v;
        let r = v["responses"].as_object_mut().map(|m| {
            m.insert("401".into(), err("unknown or expired token"));
            m.insert("403".into(), err("out of scope for this user"));
        });
        let _ = r;
        v["security"] = secured.clone();
        v
    };
    let filters = vec![
        q("q", "name substring or credit-code prefix", "string"),
        q("ecosystem", "ecosystem code, name or id", "string"),
        q("chain", "chain code, name or id", "string"),
        q("node", "chain node code, 链名/环节名 or id", "string"),
        q("street", "street code, name or id", "string"),
        q("park", "park name or id", "string"),
        q("tag", "tag, e.g. 高新技术企业", "string"),
        q("size", "large | medium | small | micro", "string"),
        q("page", "1-based page", "integer"),
        q("per_page", "1–200, default 20", "integer"),
        q(
            "after",
            "keyset cursor: id of the last row of the previous page",
            "integer",
        ),
    ];
    let uscc = json!({"name": "uscc", "in": "path", "required": true, "schema": {"type": "string"}, "description": "统一社会信用代码"});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Lianshi (链事荟) API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Zone registry, enterprises, users and audit log. Errors are {\"code\",\"message\"}."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["code", "message"],
                          "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                         "fields": {"type": "array", "items": {"type": "object"}}}},
                "EnterpriseInput": {"type": "object", "required": ["uscc", "name"], "properties": {
                    "uscc": {"type": "string"}, "name": {"type": "string"}, "industry_code": {"type": "string"},
                    "registered_on": {"type": "string", "format": "date"}, "ownership": {"type": "string"},
                    "street": {"type": "string"}, "park": {"type": "string"}, "building": {"type": "string"},
                    "address": {"type": "string"}, "chain_nodes": {"type": "array", "items": {"type": "string"}},
                    "headcount": {"type": "integer"}, "tech_staff": {"type": "integer"},
                    "revenue_fen": {"type": "integer"}, "rd_spend_fen": {"type": "integer"}, "tax_paid_fen": {"type": "integer"},
                    "revenue_yuan": {"type": "string"}, "rd_spend_yuan": {"type": "string"}, "tax_paid_yuan": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "contact_name": {"type": "string"}, "contact_phone": {"type": "string"},
                    "version": {"type": "integer", "description": "optimistic lock on PUT"}}},
                "Enterprise": {"type": "object", "properties": {
                    "uscc": {"type": "string"}, "name": {"type": "string"}, "chain_nodes": {"type": "array"},
                    "tags": {"type": "array"}, "contact_phone": {"type": "string", "description": "masked unless allowed"},
                    "version": {"type": "integer"},
                    "sources": {"type": "object", "additionalProperties": {"type": "string", "enum": ["verified", "imported"]},
                                "description": "verified field → source of the value in force (single reads)"},
                    "pending_corrections": {"type": "array", "items": {"$ref": "#/components/schemas/Correction"}},
                    "proposed_corrections": {"type": "array", "items": {"$ref": "#/components/schemas/Correction"}}}},
                "Correction": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "enterprise_id": {"type": "integer"}, "uscc": {"type": "string"},
                    "enterprise_name": {"type": "string"}, "field": {"type": "string"}, "field_label": {"type": "string"},
                    "current_value": {"type": "string"}, "proposed_value": {"type": "string"},
                    "current_text": {"type": "string"}, "proposed_text": {"type": "string"},
                    "status": {"type": "string", "enum": ["pending", "accepted", "rejected"]},
                    "proposed_by": {"type": "string"}, "proposed_role": {"type": "string"}, "proposed_at": {"type": "string"},
                    "decided_by": {"type": ["string", "null"]}, "decided_at": {"type": ["string", "null"]}, "reason": {"type": ["string", "null"]}}},
                "CorrectionPage": {"type": "object", "required": ["total", "items"], "properties": {
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Correction"}}}},
                "EnterprisePage": {"type": "object", "required": ["total", "items"], "properties": {
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"},
                    "next_after": {"type": ["integer", "null"]},
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Enterprise"}}}}
            }
        },
        "paths": {
            "/api/v1/auth/token": {"post": {"summary": "Exchange username and password for a bearer token",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
                    "required": ["username", "password"], "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": {"200": ok("token", json!({"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}})),
                              "400": err("wrong username or password"), "429": err("too many attempts; wait Retry-After seconds")}},
                "delete": {"summary": "Revoke the bearer token of this request (sign out an API client)",
                    "security": [{"bearer": []}],
                    "responses": {"204": {"description": "revoked; the token no longer works"}, "401": err("unknown, expired or already revoked token")}}},
            "/api/v1/me": {"get": common(json!({"summary": "The caller", "responses": {"200": ok("actor", json!({"type": "object"}))}}))},
            "/api/v1/enterprises": {
                "get": common(json!({"summary": "List enterprises (filtered, paged)", "parameters": filters,
                    "responses": {"200": ok("page", json!({"$ref": "#/components/schemas/EnterprisePage"})), "400": err("unknown filter value")}})),
                "post": common(json!({"summary": "Create an enterprise",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EnterpriseInput"}}}},
                    "responses": {"201": ok("created", json!({"$ref": "#/components/schemas/Enterprise"})), "400": err("invalid fields"), "409": err("credit code exists")}}))},
            "/api/v1/enterprises/{uscc}": {
                "get": common(json!({"summary": "One enterprise (一企一档)", "parameters": [uscc],
                    "responses": {"200": ok("enterprise", json!({"$ref": "#/components/schemas/Enterprise"})), "404": err("unknown")}})),
                "put": common(json!({"summary": "Edit an enterprise (absent fields keep their value)", "parameters": [uscc],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EnterpriseInput"}}}},
                    "responses": {"200": ok("updated", json!({"$ref": "#/components/schemas/Enterprise"})),
                                  "202": ok("changes to verified fields (figures, certification tags, location, chain positions) by an enterprise user or service team wait for review as corrections (proposed_corrections); the values in force are unchanged", json!({"$ref": "#/components/schemas/Enterprise"})),
                                  "400": err("invalid fields; a text field that is not a string (field_type)"), "404": err("unknown, or out of the caller's scope"), "409": err("edited by someone else")}}))},
            "/api/v1/enterprises/import": {"post": common(json!({"summary": "Import CSV/XLSX (body = file bytes)",
                "parameters": [q("dry_run", "validate only", "boolean"), q("skip_invalid", "write good rows, return rejects", "boolean")],
                "requestBody": {"required": true, "content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
                "responses": {"200": ok("report", json!({"type": "object"})), "422": ok("rows refused; nothing written", json!({"type": "object"})), "400": err("unreadable file or headers")}}))},
            "/api/v1/enterprises/export": {"get": common(json!({"summary": "Export the filtered list",
                "parameters": [q("format", "csv | xlsx", "string")], "responses": {"200": {"description": "file"}}}))},
            "/api/v1/enterprises/corrections": {"get": common(json!({"summary": "Corrections of verified enterprise fields (reviewers and teams all; an enterprise user its own)",
                "parameters": [q("status", "pending | accepted | rejected", "string"), q("enterprise", "credit code", "string"), q("page", "", "integer"), q("per_page", "1–200, default 50", "integer")],
                "responses": {"200": ok("page", json!({"$ref": "#/components/schemas/CorrectionPage"})), "400": err("unknown status")}}))},
            "/api/v1/enterprises/corrections/{id}/accept": {"post": common(json!({"summary": "Accept a correction (department officers, administrators): the value comes into force as verified",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"reason": {"type": "string"}}}}}},
                "responses": {"200": ok("accepted", json!({"$ref": "#/components/schemas/Correction"})), "400": err("the value no longer validates"), "404": err("unknown"), "409": err("already decided")}}))},
            "/api/v1/enterprises/corrections/{id}/reject": {"post": common(json!({"summary": "Reject a correction with a reason (department officers, administrators)",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}}}},
                "responses": {"200": ok("rejected", json!({"$ref": "#/components/schemas/Correction"})), "400": err("reason missing"), "404": err("unknown"), "409": err("already decided")}}))},
            "/api/v1/enterprises/template": {"get": common(json!({"summary": "Import template",
                "parameters": [q("format", "csv | xlsx", "string")], "responses": {"200": {"description": "file"}}}))},
            "/api/v1/zone": {"get": common(json!({"summary": "The zone", "responses": {"200": ok("zone", json!({"type": "object"}))}}))},
            "/api/v1/registry": {"get": common(json!({"summary": "The whole registry by kind", "responses": {"200": ok("registry", json!({"type": "object"}))}}))},
            "/api/v1/registry/{kind}": {"post": common(json!({"summary": "Create a registry entry (admin)",
                "parameters": [{"name": "kind", "in": "path", "required": true, "schema": {"type": "string",
                    "enum": ["ecosystem", "chain", "chain_node", "department", "institution", "street", "park", "building", "community"]}}],
                "responses": {"201": ok("created", json!({"type": "object"})), "400": err("invalid"), "409": err("code used")}}))},
            "/api/v1/registry/items/{id}": {"put": common(json!({"summary": "Edit a registry entry (admin)",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": ok("updated", json!({"type": "object"})), "404": err("unknown")}}))},
            "/api/v1/users": {
                "get": common(json!({"summary": "Users (admin)", "responses": {"200": ok("users", json!({"type": "object"}))}})),
                "post": common(json!({"summary": "Create a user (admin)", "responses": {"201": ok("created", json!({"type": "object"})), "409": err("username exists")}}))},
            "/api/v1/audit": {"get": common(json!({"summary": "Search the audit log (admin)",
                "parameters": [q("actor", "username", "string"), q("action", "prefix, e.g. enterprise.", "string"),
                               q("entity", "entity", "string"), q("entity_id", "id", "string"),
                               q("from", "RFC 3339", "string"), q("to", "RFC 3339", "string"), q("page", "", "integer"), q("per_page", "", "integer")],
                "responses": {"200": ok("entries", json!({"type": "object"}))}}))}
        }
    })
}

pub async fn document() -> Json<Value> {
    let doc = super::scores::merge_openapi(document_value());
    let doc = super::policies::merge_openapi(doc);
    let doc = super::subsidies::merge_openapi(doc);
    let doc = super::vouchers::merge_openapi(doc);
    Json(super::councils::merge_openapi(
        super::orders::merge_openapi(super::service::merge_openapi(doc)),
    ))
}
