//! Enterprise size band (企业规模) under 《中小企业划型标准规定》(工信部联企业〔2011〕300号).
//!
//! This module owns [`SizeBand`] and [`classify`], which applies the 2011 standard's thresholds
//! for the sector (行业) a GB/T 4754-2017 division belongs to, from 从业人员 (headcount) and
//! 营业收入 (annual operating revenue, in fen).
//!
//! Reading of the standard's wording, as also spelled out by 国家统计局《统计上大中小微型企业
//! 划分办法》: "X以下" excludes X and "X及以上" includes X. A band is reached only when **all** of
//! its indicators are at or above their lower bounds; otherwise the enterprise drops one band
//! (微型 needs only one indicator below the small bound). So for 工业, "从业人员1000人以下或营业收入
//! 40000万元以下的为中小微型企业" means 大型 = 从业人员 ≥ 1000 **and** 营业收入 ≥ 40000万元;
//! exactly 1000 people with exactly 40000万元 is 大型, 999 people is not.
//!
//! Invariants: [`classify`] never guesses an indicator: a missing (or negative) indicator is left
//! out, the band is decided by the indicators that are known, and `None` is returned when none of
//! the sector's indicators is known. Indicators the function does not receive (资产总额, used by
//! 建筑业, 房地产开发经营 and 租赁和商务服务业) are treated as unknown, so those results are estimates.

use std::str::FromStr;

use crate::error::Invalid;

/// Size band of an enterprise. Ordered from largest to smallest.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum SizeBand {
    /// 大型企业
    Large,
    /// 中型企业
    Medium,
    /// 小型企业
    Small,
    /// 微型企业
    Micro,
}

static ALL: [SizeBand; 4] = [
    SizeBand::Large,
    SizeBand::Medium,
    SizeBand::Small,
    SizeBand::Micro,
];

impl SizeBand {
    /// All bands, largest first.
    pub fn all() -> &'static [SizeBand] {
        &ALL
    }

    /// Stable machine name: `"large"`, `"medium"`, `"small"`, `"micro"` (same as serde).
    pub fn as_str(self) -> &'static str {
        match self {
            SizeBand::Large => "large",
            SizeBand::Medium => "medium",
            SizeBand::Small => "small",
            SizeBand::Micro => "micro",
        }
    }

    /// Chinese label: 大型, 中型, 小型, 微型.
    pub fn label_zh(self) -> &'static str {
        match self {
            SizeBand::Large => "大型",
            SizeBand::Medium => "中型",
            SizeBand::Small => "小型",
            SizeBand::Micro => "微型",
        }
    }

    /// English label: Large, Medium, Small, Micro.
    pub fn label_en(self) -> &'static str {
        match self {
            SizeBand::Large => "Large",
            SizeBand::Medium => "Medium",
            SizeBand::Small => "Small",
            SizeBand::Micro => "Micro",
        }
    }

    /// True for 中型, 小型 and 微型 (中小微企业).
    pub fn is_sme(self) -> bool {
        self != SizeBand::Large
    }

    /// Parses the machine name (any case), the English label, or the Chinese label with or
    /// without 企业 (`"大型"`, `"大型企业"`). Error code: `size_band_unknown`.
    pub fn parse(s: &str) -> Result<SizeBand, Invalid> {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        let zh = t.strip_suffix("企业").unwrap_or(t);
        ALL.iter()
            .copied()
            .find(|b| lower == b.as_str() || zh == b.label_zh())
            .ok_or_else(|| {
                Invalid::new(
                    "size_band_unknown",
                    format!("未知的企业规模“{t}”，应为大型、中型、小型或微型"),
                    format!("unknown size band '{t}': expected large, medium, small or micro"),
                )
            })
    }
}

impl FromStr for SizeBand {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SizeBand::parse(s)
    }
}

/// Lower bounds of one band: people, and revenue in 万元; `None` = indicator not used.
#[derive(Clone, Copy)]
struct Bound {
    headcount: Option<i64>,
    revenue_wan: Option<i64>,
}

/// The sector rows of the 2011 standard that [`classify`] distinguishes.
#[derive(Clone, Copy)]
struct Rule {
    name_zh: &'static str,
    large: Bound,
    medium: Bound,
    small: Bound,
}

const fn hr(headcount: i64, revenue_wan: i64) -> Bound {
    Bound {
        headcount: Some(headcount),
        revenue_wan: Some(revenue_wan),
    }
}

const fn h(headcount: i64) -> Bound {
    Bound {
        headcount: Some(headcount),
        revenue_wan: None,
    }
}

const fn r(revenue_wan: i64) -> Bound {
    Bound {
        headcount: None,
        revenue_wan: Some(revenue_wan),
    }
}

const AGRICULTURE: Rule = Rule {
    name_zh: "农、林、牧、渔业",
    large: r(20_000),
    medium: r(500),
    small: r(50),
};
const INDUSTRY: Rule = Rule {
    name_zh: "工业",
    large: hr(1_000, 40_000),
    medium: hr(300, 2_000),
    small: hr(20, 300),
};
const CONSTRUCTION: Rule = Rule {
    name_zh: "建筑业",
    large: r(80_000),
    medium: r(6_000),
    small: r(300),
};
const WHOLESALE: Rule = Rule {
    name_zh: "批发业",
    large: hr(200, 40_000),
    medium: hr(20, 5_000),
    small: hr(5, 1_000),
};
const RETAIL: Rule = Rule {
    name_zh: "零售业",
    large: hr(300, 20_000),
    medium: hr(50, 500),
    small: hr(10, 100),
};
const TRANSPORT: Rule = Rule {
    name_zh: "交通运输业",
    large: hr(1_000, 30_000),
    medium: hr(300, 3_000),
    small: hr(20, 200),
};
const WAREHOUSING: Rule = Rule {
    name_zh: "仓储业",
    large: hr(200, 30_000),
    medium: hr(100, 1_000),
    small: hr(20, 100),
};
const POSTAL: Rule = Rule {
    name_zh: "邮政业",
    large: hr(1_000, 30_000),
    medium: hr(300, 2_000),
    small: hr(20, 100),
};
const ACCOMMODATION: Rule = Rule {
    name_zh: "住宿业",
    large: hr(300, 10_000),
    medium: hr(100, 2_000),
    small: hr(10, 100),
};
const CATERING: Rule = Rule {
    name_zh: "餐饮业",
    large: hr(300, 10_000),
    medium: hr(100, 2_000),
    small: hr(10, 100),
};
const INFO_TRANSMISSION: Rule = Rule {
    name_zh: "信息传输业",
    large: hr(2_000, 100_000),
    medium: hr(100, 1_000),
    small: hr(10, 100),
};
const SOFTWARE: Rule = Rule {
    name_zh: "软件和信息技术服务业",
    large: hr(300, 10_000),
    medium: hr(100, 1_000),
    small: hr(10, 50),
};
const LEASING_BUSINESS: Rule = Rule {
    name_zh: "租赁和商务服务业",
    large: h(300),
    medium: h(100),
    small: h(10),
};
const OTHER: Rule = Rule {
    name_zh: "其他未列明行业",
    large: h(300),
    medium: h(100),
    small: h(10),
};

/// The sector row of the 2011 standard for a GB/T 4754-2017 division.
///
/// Division-level approximations: 59 装卸搬运和仓储业 is taken as 仓储业 (装卸搬运 belongs to
/// 交通运输业); 53 铁路运输业 is excluded from 交通运输业 by the standard and so is 其他未列明行业;
/// 70 房地产业 (房地产开发经营 / 物业管理 need the 4-digit class) and 66–69 金融业 (outside this
/// standard) fall back to 其他未列明行业; unknown or missing divisions too.
fn rule_for(division: Option<u8>) -> Rule {
    match division {
        Some(1..=5) => AGRICULTURE,
        Some(6..=46) => INDUSTRY,
        Some(47..=50) => CONSTRUCTION,
        Some(51) => WHOLESALE,
        Some(52) => RETAIL,
        Some(54..=58) => TRANSPORT,
        Some(59) => WAREHOUSING,
        Some(60) => POSTAL,
        Some(61) => ACCOMMODATION,
        Some(62) => CATERING,
        Some(63 | 64) => INFO_TRANSMISSION,
        Some(65) => SOFTWARE,
        Some(71 | 72) => LEASING_BUSINESS,
        _ => OTHER,
    }
}

/// Chinese name of the row of the 2011 standard that [`classify`] applies to a division,
/// e.g. 65 → `"软件和信息技术服务业"`, 39 → `"工业"`, 73 or `None` → `"其他未列明行业"`.
/// Useful to explain a result in the UI.
pub fn size_sector_zh(industry_division: Option<u8>) -> &'static str {
    rule_for(industry_division).name_zh
}

/// Whether the known indicators reach `bound`; `None` when no indicator it uses is known.
fn reaches(bound: Bound, headcount: Option<i64>, revenue_fen: Option<i64>) -> Option<bool> {
    let mut known = false;
    let mut ok = true;
    if let (Some(min), Some(v)) = (bound.headcount, headcount) {
        known = true;
        ok &= v >= min;
    }
    if let (Some(min_wan), Some(v)) = (bound.revenue_wan, revenue_fen) {
        known = true;
        // 1 万元 = 1,000,000 fen; i128 keeps the product exact.
        ok &= i128::from(v) >= i128::from(min_wan) * 1_000_000;
    }
    known.then_some(ok)
}

/// Size band under 《中小企业划型标准规定》(2011) from the GB/T 4754-2017 division, 从业人员 and
/// annual 营业收入 in fen.
///
/// Bands are tried from 大型 down; the first whose lower bounds are all met by the known
/// indicators wins, else 微型 (see the module docs for the reading of 以下 / 及以上). Sectors:
/// 工业 (06–46), 软件和信息技术服务业 (65), 信息传输业 (63–64), 农林牧渔业, 建筑业 (revenue only),
/// 批发业, 零售业, 交通运输业, 仓储业, 邮政业, 住宿业, 餐饮业, 租赁和商务服务业 (headcount only),
/// and 其他未列明行业 (headcount only) for everything else, including 科学研究和技术服务业 and an
/// unknown division. Negative inputs are treated as unknown. Returns `None` when none of the
/// indicators the sector uses is known.
pub fn classify(
    industry_division: Option<u8>,
    headcount: Option<i64>,
    revenue_fen: Option<i64>,
) -> Option<SizeBand> {
    let headcount = headcount.filter(|v| *v >= 0);
    let revenue_fen = revenue_fen.filter(|v| *v >= 0);
    let rule = rule_for(industry_division);
    for (band, bound) in [
        (SizeBand::Large, rule.large),
        (SizeBand::Medium, rule.medium),
        (SizeBand::Small, rule.small),
    ] {
        if reaches(bound, headcount, revenue_fen)? {
            return Some(band);
        }
    }
    Some(SizeBand::Micro)
}

#[cfg(test)]
mod tests {
    use super::*;
    use SizeBand::*;

    /// 万元 → fen.
    fn wan(w: i64) -> Option<i64> {
        Some(w * 1_000_000)
    }

    #[test]
    fn labels_and_names_are_consistent() {
        assert_eq!(SizeBand::all().len(), 4);
        for b in SizeBand::all() {
            assert_eq!(SizeBand::parse(b.as_str()).unwrap(), *b);
            assert_eq!(SizeBand::parse(b.label_zh()).unwrap(), *b);
            assert_eq!(SizeBand::parse(b.label_en()).unwrap(), *b);
        }
        assert_eq!(Large.label_zh(), "大型");
        assert_eq!(Micro.label_en(), "Micro");
        assert_eq!(Medium.as_str(), "medium");
    }

    #[test]
    fn parse_accepts_common_spellings_and_rejects_others() {
        assert_eq!(SizeBand::parse(" LARGE ").unwrap(), Large);
        assert_eq!(SizeBand::parse("小型企业").unwrap(), Small);
        assert_eq!("微型".parse::<SizeBand>().unwrap(), Micro);
        assert_eq!(
            SizeBand::parse("huge").unwrap_err().code,
            "size_band_unknown"
        );
        assert_eq!(SizeBand::parse("").unwrap_err().code, "size_band_unknown");
    }

    #[test]
    fn bands_order_from_large_to_micro_and_know_if_they_are_sme() {
        assert!(Large < Medium && Medium < Small && Small < Micro);
        assert!(!Large.is_sme());
        assert!(Micro.is_sme());
    }

    #[test]
    fn industry_is_large_only_with_both_limits_reached() {
        assert_eq!(classify(Some(39), Some(1_000), wan(40_000)), Some(Large));
        assert_eq!(classify(Some(39), Some(999), wan(40_000)), Some(Medium));
        assert_eq!(
            classify(Some(39), Some(1_000), Some(40_000 * 1_000_000 - 1)),
            Some(Medium)
        );
        assert_eq!(classify(Some(6), Some(5_000), wan(90_000)), Some(Large));
        assert_eq!(classify(Some(46), Some(5_000), wan(90_000)), Some(Large));
    }

    #[test]
    fn industry_medium_small_and_micro_boundaries() {
        assert_eq!(classify(Some(27), Some(300), wan(2_000)), Some(Medium));
        assert_eq!(classify(Some(27), Some(299), wan(2_000)), Some(Small));
        assert_eq!(
            classify(Some(27), Some(300), Some(2_000 * 1_000_000 - 1)),
            Some(Small)
        );
        assert_eq!(classify(Some(27), Some(20), wan(300)), Some(Small));
        assert_eq!(classify(Some(27), Some(19), wan(300)), Some(Micro));
        assert_eq!(
            classify(Some(27), Some(20), Some(300 * 1_000_000 - 1)),
            Some(Micro)
        );
        // Many people but tiny revenue is still micro: 微型 needs only one indicator below.
        assert_eq!(classify(Some(27), Some(900), wan(100)), Some(Micro));
    }

    #[test]
    fn software_boundaries() {
        assert_eq!(classify(Some(65), Some(300), wan(10_000)), Some(Large));
        assert_eq!(classify(Some(65), Some(299), wan(10_000)), Some(Medium));
        assert_eq!(classify(Some(65), Some(300), wan(9_999)), Some(Medium));
        assert_eq!(classify(Some(65), Some(100), wan(1_000)), Some(Medium));
        assert_eq!(classify(Some(65), Some(99), wan(1_000)), Some(Small));
        assert_eq!(classify(Some(65), Some(10), wan(50)), Some(Small));
        assert_eq!(classify(Some(65), Some(9), wan(50)), Some(Micro));
        assert_eq!(classify(Some(65), Some(10), wan(49)), Some(Micro));
    }

    #[test]
    fn information_transmission_uses_its_own_row() {
        assert_eq!(size_sector_zh(Some(64)), "信息传输业");
        // 500 people and 2 亿元 would be large for software, but not for 互联网和相关服务.
        assert_eq!(classify(Some(65), Some(500), wan(20_000)), Some(Large));
        assert_eq!(classify(Some(64), Some(500), wan(20_000)), Some(Medium));
        assert_eq!(classify(Some(63), Some(2_000), wan(100_000)), Some(Large));
        assert_eq!(classify(Some(64), Some(10), wan(99)), Some(Micro));
    }

    #[test]
    fn research_and_other_sectors_use_headcount_only() {
        assert_eq!(size_sector_zh(Some(73)), "其他未列明行业");
        assert_eq!(classify(Some(73), Some(300), None), Some(Large));
        assert_eq!(classify(Some(73), Some(299), wan(999_999)), Some(Medium));
        assert_eq!(classify(Some(73), Some(100), None), Some(Medium));
        assert_eq!(classify(Some(73), Some(99), None), Some(Small));
        assert_eq!(classify(Some(75), Some(10), None), Some(Small));
        assert_eq!(classify(Some(75), Some(9), None), Some(Micro));
        assert_eq!(classify(None, Some(50), None), Some(Small));
        assert_eq!(classify(Some(73), None, wan(50_000)), None);
    }

    #[test]
    fn missing_indicators_use_what_is_known() {
        assert_eq!(classify(Some(39), Some(5_000), None), Some(Large));
        assert_eq!(classify(Some(39), None, wan(100)), Some(Micro));
        assert_eq!(classify(Some(39), None, wan(2_000)), Some(Medium));
        assert_eq!(classify(Some(39), None, None), None);
        assert_eq!(classify(None, None, None), None);
        assert_eq!(classify(Some(39), Some(-1), None), None);
    }

    #[test]
    fn revenue_only_sectors_ignore_headcount() {
        assert_eq!(classify(Some(1), Some(10_000), None), None);
        assert_eq!(classify(Some(1), None, wan(20_000)), Some(Large));
        assert_eq!(classify(Some(1), None, wan(500)), Some(Medium));
        assert_eq!(classify(Some(1), None, wan(49)), Some(Micro));
        assert_eq!(classify(Some(48), Some(3), wan(6_000)), Some(Medium));
    }

    #[test]
    fn trade_and_service_rows_follow_the_standard() {
        assert_eq!(classify(Some(51), Some(200), wan(40_000)), Some(Large));
        assert_eq!(classify(Some(51), Some(20), wan(5_000)), Some(Medium));
        assert_eq!(classify(Some(51), Some(5), wan(1_000)), Some(Small));
        assert_eq!(classify(Some(52), Some(50), wan(500)), Some(Medium));
        assert_eq!(classify(Some(62), Some(100), wan(1_999)), Some(Small));
        assert_eq!(classify(Some(72), Some(150), None), Some(Medium));
        assert_eq!(size_sector_zh(Some(53)), "其他未列明行业");
        assert_eq!(size_sector_zh(Some(54)), "交通运输业");
    }

    #[test]
    fn serde_uses_snake_case_names() {
        use serde::Deserialize;
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as DeError, StrDeserializer};
        let d: StrDeserializer<DeError> = "medium".into_deserializer();
        assert_eq!(SizeBand::deserialize(d).unwrap(), Medium);
    }
}
