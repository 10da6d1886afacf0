//! The request taxonomy (诉求分类) that orders are filed under and routed by.
//!
//! The taxonomy is configuration: [`default_taxonomy`] ships the categories named in issue 3; an
//! administrator may add more. A category code is snake_case ASCII so it can key the SLA table and
//! the category→department routing table.

use crate::error::Invalid;

/// One category of the request taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServiceCategory {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

impl ServiceCategory {
    /// Validates a configured category: code `[a-z][a-z0-9_]{0,31}`, names non-empty.
    pub fn new(code: &str, name_zh: &str, name_en: &str) -> Result<ServiceCategory, Invalid> {
        let code = category_code(code)?;
        let name_zh = crate::zone::registry_name(name_zh, 40)?;
        let name_en = crate::zone::registry_name(name_en, 80)?;
        Ok(ServiceCategory {
            code,
            name_zh,
            name_en,
        })
    }
}

/// Checks a category code: lower-case ASCII letter first, then letters, digits or `_`, ≤ 32.
pub fn category_code(s: &str) -> Result<String, Invalid> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.len() <= 32
        && t.starts_with(|c: char| c.is_ascii_lowercase())
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(t.to_string())
    } else {
        Err(Invalid::new(
            "category_code_format",
            format!("分类代码“{s}”须为小写字母开头的字母、数字或下划线，最长32位"),
            format!(
                "category code '{s}' must be lower-case letters, digits or _, starting with a letter, at most 32"
            ),
        ))
    }
}

/// The shipped taxonomy, in display order.
pub fn default_taxonomy() -> Vec<ServiceCategory> {
    [
        (
            "supply_chain",
            "供应链与采购（含芯片、算力）",
            "Supply chain and procurement (incl. chips and compute)",
        ),
        ("ip", "知识产权", "IP and patents"),
        ("talent", "人才", "Talent"),
        ("financing", "融资", "Financing"),
        ("land", "用地与厂房", "Land and premises"),
        ("policy", "政策咨询", "Policy questions"),
        ("approval", "审批", "Approvals"),
        ("market", "市场拓展", "Market expansion"),
        ("other", "其他", "Other"),
    ]
    .into_iter()
    .map(|(code, zh, en)| ServiceCategory {
        code: code.to_string(),
        name_zh: zh.to_string(),
        name_en: en.to_string(),
    })
    .collect()
}

/// Finds a category by code or Chinese name in `taxonomy`.
pub fn find_category<'a>(
    taxonomy: &'a [ServiceCategory],
    s: &str,
) -> Result<&'a ServiceCategory, Invalid> {
    let t = s.trim();
    taxonomy
        .iter()
        .find(|c| c.code == t || c.name_zh == t)
        .ok_or_else(|| {
            let codes: Vec<&str> = taxonomy.iter().map(|c| c.code.as_str()).collect();
            Invalid::new(
                "category_unknown",
                format!("未知诉求分类“{s}”，可选：{}", codes.join(", ")),
                format!(
                    "unknown category '{s}'; expected one of {}",
                    codes.join(", ")
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_taxonomy_has_the_nine_categories_with_valid_unique_codes() {
        let t = default_taxonomy();
        assert_eq!(t.len(), 9);
        for c in &t {
            assert_eq!(category_code(&c.code).unwrap(), c.code);
        }
        let mut codes: Vec<&str> = t.iter().map(|c| c.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 9);
        assert_eq!(find_category(&t, "知识产权").unwrap().code, "ip");
        assert!(
            find_category(&t, "supply_chain")
                .unwrap()
                .name_zh
                .contains("芯片")
        );
        assert_eq!(
            find_category(&t, "gpu").unwrap_err().code,
            "category_unknown"
        );
    }

    #[test]
    fn category_codes_are_snake_case_ascii() {
        assert!(category_code("compute_2").is_ok());
        for bad in ["", "Chips", "2chips", "算力", "a-b"] {
            assert_eq!(category_code(bad).unwrap_err().code, "category_code_format");
        }
        assert!(ServiceCategory::new("compute", "算力", "Compute").is_ok());
        assert_eq!(
            ServiceCategory::new("compute", " ", "Compute")
                .unwrap_err()
                .code,
            "name_empty"
        );
    }
}
