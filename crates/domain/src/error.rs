//! Validation failures in both UI languages.
//!
//! Every constructor that can refuse input (`Uscc::parse`, `IndustryCode::parse`, …) returns an
//! [`Invalid`]: a stable snake_case code for machines plus a Chinese and an English sentence for people.

use std::fmt;

/// A refused value: stable code plus zh-CN and English explanations.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invalid {
    /// Stable snake_case identifier, e.g. `uscc_check_mismatch`.
    pub code: &'static str,
    /// Chinese message shown first in the UI.
    pub zh: String,
    /// English message.
    pub en: String,
}

impl Invalid {
    pub fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// Both languages on one line, Chinese first: `中文说明 / English text`.
    pub fn bilingual(&self) -> String {
        format!("{} / {}", self.zh, self.en)
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.bilingual())
    }
}

impl std::error::Error for Invalid {}
