//! OpenAPI schemas (feature `openapi`) of the few field shapes `#[derive(ToSchema)]` cannot
//! spell: amounts in 元 sent as text or numbers, pairs serialised as two-element arrays, and
//! text fields the server checks against a closed list (roles, size bands, urgencies…), each
//! list taken from the constant or enum the server's parser reads, so the two cannot drift.

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

/// How a closed-list text field may be left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absent {
    /// Required: only the listed values.
    No,
    /// Optional: also JSON null (an absent `Option`).
    Null,
    /// A text with a default: `""` (or blank) is read as absent, null is not accepted.
    Empty,
    /// Optional, and the server reads an empty (or blank) text as absent too: null and `""`.
    NullOrEmpty,
}

/// A text that must be one of `values`, as the server's parser accepts them.
pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>, absent: Absent) -> Schema {
    let mut list: Vec<Value> = Vec::new();
    if matches!(absent, Absent::Empty | Absent::NullOrEmpty) {
        list.push(json!(""));
    }
    for v in values {
        if !list.iter().any(|x| x == v) {
            list.push(json!(v));
        }
    }
    if matches!(absent, Absent::No | Absent::Empty) {
        return schema(json!({"type": "string", "enum": list}));
    }
    list.push(Value::Null);
    schema(json!({"type": ["string", "null"], "enum": list}))
}

/// An array of texts, each one of `values`.
pub fn array_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Schema {
    let items: Vec<Value> = values.into_iter().map(|v| json!(v)).collect();
    schema(json!({"type": "array", "items": {"type": "string", "enum": items}}))
}

/// A role name (`Role::parse`).
pub fn role() -> Schema {
    one_of(crate::Role::ALL.map(crate::Role::as_str), Absent::No)
}

/// A size-band filter (`SizeBand::parse`: the name or the Chinese label); empty is no filter.
pub fn size_band_filter() -> Schema {
    let bands = crate::size::SizeBand::all();
    one_of(
        bands
            .iter()
            .map(|b| b.as_str())
            .chain(bands.iter().map(|b| b.label_zh())),
        Absent::Empty,
    )
}

fn urgencies() -> impl Iterator<Item = &'static str> {
    use crate::order::Urgency;
    Urgency::ALL
        .into_iter()
        .map(Urgency::as_str)
        .chain(Urgency::ALL.into_iter().map(Urgency::label_zh))
}

/// An urgency (`Urgency::parse`: the name or the Chinese label).
pub fn urgency() -> Schema {
    one_of(urgencies(), Absent::No)
}

/// An urgency, or absent/empty for `normal`.
pub fn urgency_or_default() -> Schema {
    one_of(urgencies(), Absent::NullOrEmpty)
}

/// An order-state filter (`OrderState::parse`, or `open` for every open state); empty is no
/// filter.
pub fn order_state_filter() -> Schema {
    use crate::order::OrderState;
    one_of(
        std::iter::once("open")
            .chain(OrderState::ALL.into_iter().map(OrderState::as_str))
            .chain(OrderState::ALL.into_iter().map(OrderState::label_zh)),
        Absent::Empty,
    )
}

/// An application-state filter (`SubsidyState::parse`); empty is no filter.
pub fn subsidy_state_filter() -> Schema {
    use crate::subsidy::SubsidyState;
    one_of(
        SubsidyState::ALL.into_iter().map(SubsidyState::as_str),
        Absent::Empty,
    )
}

/// A voucher scheme kind (`SchemeKind::parse`).
pub fn scheme_kind() -> Schema {
    use crate::voucher::SchemeKind;
    one_of(SchemeKind::ALL.map(SchemeKind::as_str), Absent::No)
}

/// Voucher scheme kinds (`SchemeKind::parse` on each).
pub fn scheme_kinds() -> Schema {
    use crate::voucher::SchemeKind;
    array_of(SchemeKind::ALL.map(SchemeKind::as_str))
}

/// Where purchased compute runs (`Compute::parse`); empty for none.
pub fn compute() -> Schema {
    use crate::voucher::Compute;
    one_of(
        [Compute::Domestic, Compute::Other].map(Compute::as_str),
        Absent::Empty,
    )
}

/// An ownership type (`OWNERSHIP_TYPES`); null or empty clears.
pub fn ownership() -> Schema {
    one_of(
        crate::enterprise::OWNERSHIP_TYPES.iter().copied(),
        Absent::NullOrEmpty,
    )
}
