//! Text fields of use cases checked with `lianshi_domain::text`, refused as a 400 that names the
//! field (`AppError::Invalid`). Names go through [`name`] (cleaned: invisible characters
//! removed, not blank), other single-line text through [`line`], and long texts that may hold
//! line breaks (order descriptions, visit notes) through [`multiline`].

use crate::{AppError, AppResult};
use lianshi_domain::enterprise::FieldError;
use lianshi_domain::text;

fn refuse(field: &'static str, reason: lianshi_domain::Invalid) -> AppError {
    AppError::Invalid(vec![FieldError { field, reason }])
}

/// A name as stored: single line, no bidi controls, invisible characters removed, not blank.
pub fn name(field: &'static str, s: &str) -> AppResult<String> {
    text::clean_name(s).map_err(|e| refuse(field, e))
}

/// A single-line text (reasons, notes), trimmed; may be empty.
pub fn line<'a>(field: &'static str, s: &'a str) -> AppResult<&'a str> {
    text::check_line(s).map_err(|e| refuse(field, e))
}

/// A text that may span lines, trimmed; may be empty.
pub fn multiline<'a>(field: &'static str, s: &'a str) -> AppResult<&'a str> {
    text::check_multiline(s).map_err(|e| refuse(field, e))
}
