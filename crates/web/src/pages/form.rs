//! Posted forms as typed structs: a small serde deserializer over the form's fields that knows
//! which field it is reading, so a value that does not parse names its field (by its label in
//! the message files, `field-<name>`), and the fields as sent ([`Echo`]) to show the typed text
//! again. Nothing that fails to parse becomes 0 or empty.
//!
//! Numbers (`i64`, `u32`, …) are trimmed and parsed; `Option<number>` is `None` when empty; a
//! checkbox is a `bool` (`1`/`on`/`true`, missing = false); repeated fields (checkbox groups,
//! multi-selects) are a `Vec<String>`; dates are [`Date`] and amounts in 元 are [`Yuan`].

use crate::i18n::T;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// A form without fields of its own (only `_csrf`), e.g. a logout button.
#[derive(Debug, Default, Deserialize)]
pub struct NoFields {}

/// The fields of a posted form as sent (without `_csrf`), to fill the form in again. `form`
/// names the form on a page with several ([`Echo::named`]), so only that one is filled in.
#[derive(Debug, Clone, Default)]
pub struct Echo {
    pub form: &'static str,
    pub pairs: Vec<(String, String)>,
}

impl Echo {
    pub fn new(pairs: Vec<(String, String)>) -> Echo {
        Echo { form: "", pairs }
    }

    /// The same fields, as sent by the page's form `form`.
    pub fn named(self, form: &'static str) -> Echo {
        Echo { form, ..self }
    }

    /// The text last sent in field `k` of form `form` (empty when absent or another form).
    pub fn of(&self, form: &str, k: &str) -> String {
        if self.form == form {
            self.val(k)
        } else {
            String::new()
        }
    }

    /// The text last sent in field `k` (empty when absent).
    pub fn val(&self, k: &str) -> String {
        self.pairs
            .iter()
            .rev()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every text sent in field `k`, in order (a repeated field).
    pub fn all(&self, k: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(x, _)| x == k)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether field `k` was sent with value `v` (a checkbox of a group).
    pub fn has(&self, k: &str, v: &str) -> bool {
        self.pairs.iter().any(|(x, y)| x == k && y == v)
    }

    /// Whether nothing was sent (a page shown by GET).
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// A field whose text did not parse.
#[derive(Debug, Clone, PartialEq)]
pub struct BadField {
    pub field: String,
    pub text: String,
    /// What was expected: `number`, `date`, `amount`, `yes or no`, `required`, `value`.
    pub expected: String,
}

impl BadField {
    /// A required field left empty (a select still at 请选择).
    pub fn required(field: &str) -> BadField {
        BadField {
            field: field.to_string(),
            text: String::new(),
            expected: "required".into(),
        }
    }

    /// The field's label in the UI language: `field-<name>` from the message files, else the
    /// name itself.
    pub fn label(&self, t: T) -> String {
        label(t, &self.field)
    }

    /// The message shown above the form, naming the field by its label and quoting the text.
    pub fn message(&self, t: T) -> String {
        let key = match self.expected.as_str() {
            "required" => "form-bad-required",
            "number" => "form-bad-number",
            "date" => "form-bad-date",
            "amount" => "form-bad-amount",
            "yes or no" => "form-bad-yes-no",
            _ => "form-bad-value",
        };
        t.get(key)
            .replace("{label}", &self.label(t))
            .replace("{text}", &self.text)
    }
}

/// The label of form field `name` (`field-<name>`), else the name.
pub fn label(t: T, name: &str) -> String {
    let key = format!("field-{}", name.replace('_', "-"));
    let got = t.get(&key);
    if got == key {
        name.to_string()
    } else {
        got.to_string()
    }
}

/// A text field trimmed, `None` when empty.
pub fn trimmed(v: Option<String>) -> Option<String> {
    v.map(|x| x.trim().to_string()).filter(|x| !x.is_empty())
}

/// Decode the fields of a form into `F`; the first field that does not parse is the error.
pub fn decode<F: de::DeserializeOwned>(pairs: &[(String, String)]) -> Result<F, BadField> {
    let mut fields: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in pairs {
        if k == "_csrf" {
            continue;
        }
        match fields.iter_mut().find(|(x, _)| x == k) {
            Some((_, vs)) => vs.push(v.clone()),
            None => fields.push((k.clone(), vec![v.clone()])),
        }
    }
    F::deserialize(FormDe {
        fields: fields.into_iter(),
        value: None,
    })
    .map_err(|e| BadField {
        field: e.field.unwrap_or_default(),
        text: e.text,
        expected: e.expected,
    })
}

/// A deserialization error, with the field it happened in once known.
#[derive(Debug)]
pub struct DeError {
    field: Option<String>,
    text: String,
    expected: String,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "field {}: expected {}, got {:?}",
            self.field.as_deref().unwrap_or("?"),
            self.expected,
            self.text
        )
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<M: fmt::Display>(_msg: M) -> Self {
        DeError {
            field: None,
            text: String::new(),
            expected: "value".into(),
        }
    }

    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        let text = match unexp {
            de::Unexpected::Str(s) => s.to_string(),
            other => other.to_string(),
        };
        DeError {
            field: None,
            text,
            expected: exp.to_string(),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        DeError {
            field: Some(field.to_string()),
            text: String::new(),
            expected: "required".into(),
        }
    }
}

struct FormDe {
    fields: std::vec::IntoIter<(String, Vec<String>)>,
    value: Option<(String, Vec<String>)>,
}

impl<'de> Deserializer<'de> for FormDe {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for FormDe {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.fields.next() {
            Some((k, vs)) => {
                let key = seed.deserialize(k.clone().into_deserializer())?;
                self.value = Some((k, vs));
                Ok(Some(key))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (key, values) = self.value.take().unwrap_or_default();
        let last = values.last().cloned().unwrap_or_default();
        seed.deserialize(ValueDe { values }).map_err(|mut e| {
            if e.field.is_none() {
                e.field = Some(key);
                if e.text.is_empty() {
                    e.text = last;
                }
            }
            e
        })
    }
}

/// The values of one field (one, or several for a repeated field).
struct ValueDe {
    values: Vec<String>,
}

impl ValueDe {
    fn last(&self) -> &str {
        self.values.last().map(String::as_str).unwrap_or("")
    }

    fn bad(&self, expected: &str) -> DeError {
        DeError {
            field: None,
            text: self.last().to_string(),
            expected: expected.into(),
        }
    }
}

macro_rules! parse_number {
    ($($method:ident $visit:ident $t:ty),*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            match self.last().trim() {
                "" => Err(DeError { field: None, text: String::new(), expected: "required".into() }),
                s => match s.parse::<$t>() {
                    Ok(n) => visitor.$visit(n),
                    Err(_) => Err(self.bad("number")),
                },
            }
        })*
    };
}

impl<'de> Deserializer<'de> for ValueDe {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_string(self.last().to_string())
    }

    parse_number! {
        deserialize_i8 visit_i8 i8, deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32, deserialize_i64 visit_i64 i64,
        deserialize_u8 visit_u8 u8, deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32, deserialize_u64 visit_u64 u64,
        deserialize_f32 visit_f32 f32, deserialize_f64 visit_f64 f64
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.last().trim() {
            "1" | "on" | "true" | "yes" => visitor.visit_bool(true),
            "" | "0" | "off" | "false" | "no" => visitor.visit_bool(false),
            _ => Err(self.bad("yes or no")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.values.iter().all(|v| v.trim().is_empty()) {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_seq(Values(self.values.into_iter()))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let text = self.last().trim().to_string();
        visitor.visit_enum(de::value::StringDeserializer::<DeError>::new(text))
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct tuple
        tuple_struct map struct identifier ignored_any
    }
}

struct Values(std::vec::IntoIter<String>);

impl<'de> SeqAccess<'de> for Values {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.0.next() {
            Some(v) => seed.deserialize(ValueDe { values: vec![v] }).map(Some),
            None => Ok(None),
        }
    }
}

/// A date typed as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub chrono::NaiveDate);

impl Date {
    /// `YYYY-MM-DD`, as the app takes dates.
    pub fn text(&self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        let t = s.trim();
        if t.is_empty() {
            return Err(de::Error::invalid_value(
                de::Unexpected::Str(&s),
                &"required",
            ));
        }
        chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Date)
            .map_err(|_| de::Error::invalid_value(de::Unexpected::Str(&s), &"date"))
    }
}

/// An amount in 元 as typed (`1,234.5`, `120万元`, …), checked to be written as an amount; the
/// app reads the text itself (and applies its precision and bounds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yuan(pub String);

impl Yuan {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Yuan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Yuan, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() {
            return Err(de::Error::invalid_value(
                de::Unexpected::Str(&s),
                &"required",
            ));
        }
        match lianshi_domain::money::Money::from_yuan_str(&s) {
            // Not an amount at all. An amount finer than a fen or too large is the app's to
            // refuse, with its own code (`voucher_amount_precision`, `amount_too_large`).
            Err(e) if e.code == "money_format" => {
                Err(de::Error::invalid_value(de::Unexpected::Str(&s), &"amount"))
            }
            _ => Ok(Yuan(s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[derive(Debug, Deserialize)]
    struct F {
        #[serde(default)]
        name: String,
        year: i64,
        page: Option<i64>,
        #[serde(default)]
        on: bool,
        #[serde(default)]
        kinds: Vec<String>,
        from: Option<Date>,
        amount: Option<Yuan>,
    }

    #[test]
    fn a_well_formed_form_decodes_into_its_types() {
        let f: F = decode(&pairs(&[
            ("_csrf", "x"),
            ("name", "甲"),
            ("year", " 2026 "),
            ("page", ""),
            ("on", "1"),
            ("kinds", "a"),
            ("kinds", "b"),
            ("from", "2026-01-31"),
            ("amount", "1,234.5"),
        ]))
        .unwrap();
        assert_eq!(f.name, "甲");
        assert_eq!(f.year, 2026);
        assert_eq!(f.page, None);
        assert!(f.on);
        assert_eq!(f.kinds, vec!["a", "b"]);
        assert_eq!(f.from.map(|d| d.text()).as_deref(), Some("2026-01-31"));
        assert_eq!(f.amount.map(|a| a.0).as_deref(), Some("1,234.5"));
    }

    #[test]
    fn a_number_that_does_not_parse_names_its_field_and_keeps_its_text() {
        let e = decode::<F>(&pairs(&[("year", "abc")])).unwrap_err();
        assert_eq!((e.field.as_str(), e.text.as_str()), ("year", "abc"));
        assert_eq!(e.expected, "number");
    }

    #[test]
    fn a_missing_or_empty_required_number_is_required_not_zero() {
        let e = decode::<F>(&pairs(&[("name", "x")])).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.expected.as_str()),
            ("year", "required")
        );
        let e = decode::<F>(&pairs(&[("year", " ")])).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.expected.as_str()),
            ("year", "required")
        );
    }

    #[test]
    fn an_impossible_date_and_a_bad_amount_name_their_fields() {
        let e = decode::<F>(&pairs(&[("year", "1"), ("from", "2026-13-40")])).unwrap_err();
        assert_eq!((e.field.as_str(), e.expected.as_str()), ("from", "date"));
        assert_eq!(e.text, "2026-13-40");
        let e = decode::<F>(&pairs(&[("year", "1"), ("amount", "abc")])).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.expected.as_str()),
            ("amount", "amount")
        );
        let e = decode::<F>(&pairs(&[("year", "1"), ("on", "maybe")])).unwrap_err();
        assert_eq!((e.field.as_str(), e.expected.as_str()), ("on", "yes or no"));
    }

    #[test]
    fn the_message_names_the_field_by_its_chinese_label() {
        let e = decode::<F>(&pairs(&[("year", "abc")])).unwrap_err();
        let m = e.message(T::new(crate::i18n::Lang::Zh));
        assert!(m.contains("年度") && m.contains("abc"), "{m}");
    }
}
