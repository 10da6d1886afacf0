//! Enterprise-service vocabulary shared by orders, routing and figures: the category taxonomy of
//! requests (诉求分类) and the three rates (响应率, 解决率, 满意率).
//!
//! The taxonomy is configuration: [`default_taxonomy`] ships the categories named in issue 3; an
//! administrator may add more. A category code is snake_case ASCII so it can key the SLA table and
//! the category→department routing table.
//!
//! Rate definitions (fractions 0–1, `None` when there is nothing to measure, never NaN):
//! * **响应率 response rate** = orders accepted within the acceptance limit ÷ orders received in the
//!   period that were not withdrawn before acceptance. An enterprise cancelling a request within
//!   minutes should not count against the centre; anything accepted late or never accepted does.
//! * **解决率 resolution rate** = orders solved ÷ orders received excluding all withdrawn ones. "Solved"
//!   is decided by the caller from the order's current state: answered or resolved and not reopened
//!   since ([`crate::order::OrderState::is_handled`]). Withdrawn orders leave the denominator
//!   because nobody can solve a request its author took back.
//! * **满意率 satisfaction rate** = (满意 + 基本满意) ÷ all callbacks in the period. Every callback
//!   counts, including the unsatisfied one that reopened an order and the later callback on the
//!   redone work: an unsatisfied answer must stay visible against the department.

use crate::error::Invalid;
use crate::order::Satisfaction;

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

/// The counts behind the three rates, over one period and scope (team, department, chain, zone).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateCounts {
    /// Orders registered in the period.
    pub received: u64,
    /// Of those, withdrawn before being accepted.
    pub withdrawn_before_acceptance: u64,
    /// Of those, withdrawn at any point (includes the above).
    pub withdrawn: u64,
    /// Of those not withdrawn, accepted within the acceptance limit.
    pub accepted_in_time: u64,
    /// Of those not withdrawn, currently answered or resolved and not reopened since.
    pub solved: u64,
    /// Callbacks made in the period, by rating.
    pub satisfied: u64,
    pub basically_satisfied: u64,
    pub unsatisfied: u64,
}

impl RateCounts {
    /// Adds one callback rating.
    pub fn add_callback(&mut self, rating: Satisfaction) {
        match rating {
            Satisfaction::Satisfied => self.satisfied += 1,
            Satisfaction::BasicallySatisfied => self.basically_satisfied += 1,
            Satisfaction::Unsatisfied => self.unsatisfied += 1,
        }
    }

    pub fn callbacks(&self) -> u64 {
        self.satisfied + self.basically_satisfied + self.unsatisfied
    }

    /// (numerator, denominator) of the response rate.
    pub fn response(&self) -> (u64, u64) {
        (
            self.accepted_in_time,
            self.received
                .saturating_sub(self.withdrawn_before_acceptance),
        )
    }

    /// (numerator, denominator) of the resolution rate.
    pub fn resolution(&self) -> (u64, u64) {
        (self.solved, self.received.saturating_sub(self.withdrawn))
    }

    /// (numerator, denominator) of the satisfaction rate.
    pub fn satisfaction(&self) -> (u64, u64) {
        (self.satisfied + self.basically_satisfied, self.callbacks())
    }
}

/// The three rates as fractions 0–1; `None` when the denominator is zero.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Rates {
    pub response_rate: Option<f64>,
    pub resolution_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

fn fraction((num, den): (u64, u64)) -> Option<f64> {
    if den == 0 {
        None
    } else {
        // Clamped: inconsistent counts from a caller must not show 130 %.
        Some((num as f64 / den as f64).clamp(0.0, 1.0))
    }
}

/// The three rates from their counts (definitions in the module header).
pub fn rates(c: &RateCounts) -> Rates {
    Rates {
        response_rate: fraction(c.response()),
        resolution_rate: fraction(c.resolution()),
        satisfaction_rate: fraction(c.satisfaction()),
    }
}

/// `87.5%`, or `—` when there is nothing to measure.
pub fn format_rate(r: Option<f64>) -> String {
    match r {
        Some(v) => {
            let s = format!("{:.1}", v * 100.0);
            let s = s.strip_suffix(".0").unwrap_or(&s);
            format!("{s}%")
        }
        None => "—".to_string(),
    }
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

    #[test]
    fn rates_follow_the_documented_definitions() {
        let mut c = RateCounts {
            received: 10,
            withdrawn_before_acceptance: 2,
            withdrawn: 3,
            accepted_in_time: 6,
            solved: 5,
            ..RateCounts::default()
        };
        for r in [
            Satisfaction::Satisfied,
            Satisfaction::Satisfied,
            Satisfaction::BasicallySatisfied,
            Satisfaction::Unsatisfied,
        ] {
            c.add_callback(r);
        }
        let r = rates(&c);
        assert_eq!(r.response_rate, Some(6.0 / 8.0));
        assert_eq!(r.resolution_rate, Some(5.0 / 7.0));
        assert_eq!(r.satisfaction_rate, Some(0.75));
    }

    #[test]
    fn rates_with_nothing_to_measure_are_none_not_nan() {
        let r = rates(&RateCounts::default());
        assert_eq!(r.response_rate, None);
        assert_eq!(r.resolution_rate, None);
        assert_eq!(r.satisfaction_rate, None);
        assert_eq!(format_rate(r.response_rate), "—");
        assert_eq!(format_rate(Some(0.875)), "87.5%");
        assert_eq!(format_rate(Some(1.0)), "100%");
    }
}
