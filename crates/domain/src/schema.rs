//! OpenAPI schemas (feature `openapi`) of the few field shapes `#[derive(ToSchema)]` cannot
//! spell: amounts in 元 sent as text or numbers, and pairs serialised as two-element arrays.

use serde_json::{Value, json};
use utoipa::openapi::schema::{Object, Schema};

fn schema(v: Value) -> Schema {
    serde_json::from_value(v).unwrap_or_else(|_| Schema::Object(Object::new()))
}

const YUAN: &str = "元 as text (\"12,345.67\", \"30万\") or a number; at most two decimals";

/// An amount in 元 sent as a JSON string or number.
pub fn yuan() -> Schema {
    schema(json!({"type": ["string", "number"], "description": YUAN}))
}

/// [`yuan`], or null.
pub fn yuan_or_null() -> Schema {
    schema(json!({"type": ["string", "number", "null"], "description": YUAN}))
}

fn pairs(first: Value, second: Value) -> Schema {
    schema(json!({"type": "array", "items": {
        "type": "array", "prefixItems": [first, second], "minItems": 2, "maxItems": 2}}))
}

/// `[[text, count], …]`.
pub fn text_count_pairs() -> Schema {
    pairs(
        json!({"type": "string"}),
        json!({"type": "integer", "minimum": 0}),
    )
}

/// `[[id, text], …]`.
pub fn id_text_pairs() -> Schema {
    pairs(json!({"type": "integer"}), json!({"type": "string"}))
}

/// `[[text, number], …]`.
pub fn text_number_pairs() -> Schema {
    pairs(json!({"type": "string"}), json!({"type": "number"}))
}
