//! Vouchers (创新券 / 算力券 / 模型券): scheme rules as data, the voucher amount of a redemption,
//! and the redemption state machine. Pure: no IO.
//!
//! A scheme's [`SchemeRules`] are stored as JSON beside the scheme, so a policy office changes
//! rates and caps without a release. The amount of a redemption is:
//!
//! 1. the first [`RateTier`] (in list order) whose conditions all hold for the contract;
//! 2. `invoice × rate`, rounded half up to the fen; a contract below `full_offset_below_fen`
//!    is covered in full (the 玉环 innovation-voucher rule);
//! 3. capped by `per_application_cap_fen` (the amount is reduced, the cap is named);
//! 4. refused when it would take the enterprise's scheme total for the year over
//!    `annual_cap_fen` (`voucher_annual_cap_exceeded`).
//!
//! Invariant checked by [`ledger_balanced`]: for every scheme, issued = redeemed + outstanding +
//! expired, to the fen.

use crate::error::Invalid;
use crate::money::Money;
use serde::{Deserialize, Serialize};

/// 10,000 basis points make 100 %.
pub const BP_PER_UNIT: i64 = 10_000;

/// The three voucher families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemeKind {
    /// 创新券: R&D services from approved carriers (institutes, universities, test labs).
    Innovation,
    /// 算力券: intelligent compute and model services.
    Compute,
    /// 模型券: use of registered foundation models.
    Model,
}

impl SchemeKind {
    pub const ALL: [SchemeKind; 3] = [
        SchemeKind::Innovation,
        SchemeKind::Compute,
        SchemeKind::Model,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SchemeKind::Innovation => "innovation",
            SchemeKind::Compute => "compute",
            SchemeKind::Model => "model",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            SchemeKind::Innovation => "创新券",
            SchemeKind::Compute => "算力券",
            SchemeKind::Model => "模型券",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            SchemeKind::Innovation => "Innovation voucher",
            SchemeKind::Compute => "Compute voucher",
            SchemeKind::Model => "Model voucher",
        }
    }

    pub fn parse(s: &str) -> Result<SchemeKind, Invalid> {
        SchemeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "voucher_kind_unknown",
                    format!("未知券种“{s}”，可选 innovation、compute、model"),
                    format!("unknown voucher kind '{s}'; expected innovation, compute or model"),
                )
            })
    }
}

/// Where purchased compute runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Compute {
    /// 国产算力
    Domestic,
    /// 其他算力
    Other,
}

impl Compute {
    pub fn as_str(self) -> &'static str {
        match self {
            Compute::Domestic => "domestic",
            Compute::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<Option<Compute>, Invalid> {
        match s.trim() {
            "" => Ok(None),
            "domestic" => Ok(Some(Compute::Domestic)),
            "other" => Ok(Some(Compute::Other)),
            x => Err(Invalid::new(
                "voucher_compute_unknown",
                format!("算力类型“{x}”无效，可选 domestic（国产）或 other（其他）"),
                format!("compute '{x}' is not domestic or other"),
            )),
        }
    }
}

/// One rate tier. Every condition given must hold; an empty tier matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RateTier {
    /// Stable code, e.g. `general`, `small`, `other_compute`.
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    /// Rate in basis points (3000 = 30 %).
    pub rate_bp: i64,
    /// Only for this kind of compute.
    pub compute: Option<Compute>,
    /// Only while the enterprise's declared contracts in the scheme this year, this one
    /// included, total at most this many fen (算力券: 50万).
    pub max_annual_contracts_fen: Option<i64>,
    /// Only for these size bands (`small`, `micro`, …); empty = any.
    pub sizes: Vec<String>,
    /// Only for these service types; empty = any.
    pub service_types: Vec<String>,
}

/// The rules of a scheme, stored as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SchemeRules {
    /// Checked in order; the first matching tier applies.
    pub tiers: Vec<RateTier>,
    /// Per enterprise per calendar year, all redemptions of the scheme (fen).
    pub annual_cap_fen: Option<i64>,
    /// Per redemption (fen); a larger computed amount is reduced to it.
    pub per_application_cap_fen: Option<i64>,
    /// A contract below this is covered in full.
    pub full_offset_below_fen: Option<i64>,
    /// Days a granted quota stays usable when a round gives no date.
    pub validity_days: i64,
    /// Service types offered on the redemption form (codes); empty = free text.
    pub service_types: Vec<String>,
}

impl SchemeRules {
    /// Refuse rules that cannot compute: no tier, a rate outside 0–100 %, negative caps.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.tiers.is_empty() {
            return Err(Invalid::new(
                "voucher_rules_no_tier",
                "至少需要一个补助比例档位",
                "at least one rate tier is required",
            ));
        }
        for t in &self.tiers {
            if t.code.trim().is_empty() {
                return Err(Invalid::new(
                    "voucher_rules_tier_code",
                    "档位须有代码",
                    "every tier needs a code",
                ));
            }
            if !(0..=BP_PER_UNIT).contains(&t.rate_bp) {
                return Err(Invalid::new(
                    "voucher_rules_rate",
                    format!("档位 {} 的比例须在0至100%之间", t.code),
                    format!("tier {}: the rate must be 0–100 %", t.code),
                ));
            }
        }
        let caps = [
            self.annual_cap_fen,
            self.per_application_cap_fen,
            self.full_offset_below_fen,
        ];
        if caps.iter().flatten().any(|c| *c < 0) || self.validity_days < 0 {
            return Err(Invalid::new(
                "voucher_rules_negative",
                "限额和有效期不能为负数",
                "caps and validity cannot be negative",
            ));
        }
        let named = [
            ("annual_cap_fen", self.annual_cap_fen),
            ("per_application_cap_fen", self.per_application_cap_fen),
            ("full_offset_below_fen", self.full_offset_below_fen),
        ];
        for (field, v) in named {
            if let Some(v) = v {
                crate::money::check_bound(field, v)?;
            }
        }
        for t in &self.tiers {
            if let Some(v) = t.max_annual_contracts_fen {
                crate::money::check_bound("max_annual_contracts_fen", v)?;
            }
        }
        if self.validity_days > 36_600 {
            return Err(Invalid::new(
                "voucher_rules_validity",
                "有效期最长100年（36600天）",
                "validity is at most 100 years (36,600 days)",
            ));
        }
        Ok(())
    }
}

/// What a redemption's amount depends on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RedemptionFacts {
    pub invoice_fen: i64,
    pub compute: Option<Compute>,
    pub service_type: String,
    /// The enterprise's size band (`small`, …), if known.
    pub size: Option<String>,
    /// Invoice totals of the enterprise's earlier live redemptions in the scheme this year.
    pub contracts_before_fen: i64,
    /// Voucher amounts of the enterprise's earlier live redemptions in the scheme this year.
    pub used_before_fen: i64,
}

/// The voucher amount of one redemption, with how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Computation {
    pub tier: String,
    pub rate_bp: i64,
    /// `invoice × rate` (or the full invoice below the full-offset threshold).
    pub raw_fen: i64,
    /// What the voucher pays.
    pub amount_fen: i64,
    /// `per_application_cap` when the amount was reduced to it.
    pub capped_by: Option<String>,
    pub explain_zh: String,
    pub explain_en: String,
}

/// `fen × bp / 10000`, rounded half up.
pub fn apply_rate(fen: i64, bp: i64) -> i64 {
    let v = (fen as i128 * bp as i128 + (BP_PER_UNIT as i128 / 2)) / BP_PER_UNIT as i128;
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

fn pct(bp: i64) -> String {
    if bp % 100 == 0 {
        format!("{}%", bp / 100)
    } else {
        format!("{:.2}%", bp as f64 / 100.0)
    }
}

fn tier_matches(t: &RateTier, f: &RedemptionFacts) -> bool {
    if let Some(c) = t.compute
        && f.compute != Some(c)
    {
        return false;
    }
    if let Some(max) = t.max_annual_contracts_fen
        && f.contracts_before_fen.saturating_add(f.invoice_fen) > max
    {
        return false;
    }
    if !t.sizes.is_empty() && !f.size.as_ref().is_some_and(|s| t.sizes.contains(s)) {
        return false;
    }
    if !t.service_types.is_empty() && !t.service_types.contains(&f.service_type) {
        return false;
    }
    true
}

/// The voucher amount of a redemption under `rules`.
///
/// Errors: `voucher_amount_not_positive`, `voucher_no_tier` (no tier matches),
/// `voucher_annual_cap_exceeded`.
pub fn compute(rules: &SchemeRules, f: &RedemptionFacts) -> Result<Computation, Invalid> {
    if f.invoice_fen <= 0 {
        return Err(not_positive());
    }
    let t = rules
        .tiers
        .iter()
        .find(|t| tier_matches(t, f))
        .ok_or_else(|| {
            Invalid::new(
                "voucher_no_tier",
                "该合同不符合本券种任何补助档位",
                "no rate tier of the scheme applies to this contract",
            )
        })?;
    let inv = Money(f.invoice_fen).to_string();
    let (raw, mut zh, mut en) = match rules.full_offset_below_fen {
        Some(below) if f.invoice_fen < below => (
            f.invoice_fen,
            format!("合同额 {inv} 低于全额抵扣线 {}，全额抵扣", Money(below)),
            format!(
                "invoice {inv} is below the full-offset line {}: covered in full",
                Money(below)
            ),
        ),
        _ => {
            let raw = apply_rate(f.invoice_fen, t.rate_bp);
            (
                raw,
                format!(
                    "{}：合同额 {inv} × {} = {}",
                    t.label_zh,
                    pct(t.rate_bp),
                    Money(raw)
                ),
                format!(
                    "{}: invoice {inv} × {} = {}",
                    t.label_en,
                    pct(t.rate_bp),
                    Money(raw)
                ),
            )
        }
    };
    let mut amount = raw;
    let mut capped_by = None;
    if let Some(cap) = rules.per_application_cap_fen
        && amount > cap
    {
        amount = cap;
        capped_by = Some("per_application_cap".to_string());
        zh.push_str(&format!("；单次上限 {}", Money(cap)));
        en.push_str(&format!("; per-application cap {}", Money(cap)));
    }
    if let Some(cap) = rules.annual_cap_fen
        && f.used_before_fen.saturating_add(amount) > cap
    {
        return Err(Invalid::new(
            "voucher_annual_cap_exceeded",
            format!(
                "超过年度上限：本年已用 {}，本次 {}，上限 {}",
                Money(f.used_before_fen),
                Money(amount),
                Money(cap)
            ),
            format!(
                "over the annual cap: {} used this year, {} now, cap {}",
                Money(f.used_before_fen),
                Money(amount),
                Money(cap)
            ),
        ));
    }
    Ok(Computation {
        tier: t.code.clone(),
        rate_bp: t.rate_bp,
        raw_fen: raw,
        amount_fen: amount,
        capped_by,
        explain_zh: zh,
        explain_en: en,
    })
}

fn not_positive() -> Invalid {
    Invalid::new(
        "voucher_amount_not_positive",
        "金额必须大于零",
        "the amount must be greater than zero",
    )
}

/// An invoice amount typed in 元 (at most 2 decimals, `万`/`亿` units allowed), as fen.
///
/// Errors: `voucher_amount_precision` (finer than a fen), `voucher_amount_not_positive`,
/// `voucher_amount_format`.
pub fn parse_invoice_yuan(s: &str) -> Result<i64, Invalid> {
    match Money::from_yuan_str(s) {
        Ok(m) if m.fen() > 0 => Ok(m.fen()),
        Ok(_) => Err(not_positive()),
        Err(e) if e.code == "money_precision" => Err(Invalid::new(
            "voucher_amount_precision",
            format!("金额“{}”超过两位小数（精确到分）", s.trim()),
            format!(
                "amount '{}' has more than 2 decimals (finer than a fen)",
                s.trim()
            ),
        )),
        Err(e) => Err(Invalid::new("voucher_amount_format", e.zh, e.en)),
    }
}

/// States of a redemption (兑付申请).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedemptionState {
    /// Filed by the provider; the amount is held on the voucher.
    Submitted,
    /// The enterprise confirmed the service and amount.
    Confirmed,
    /// The platform wrote it off (核销): the held amount is redeemed.
    WrittenOff,
    /// Declined by the enterprise or the platform, or cancelled at expiry: the hold is released.
    Rejected,
}

/// What someone does to a redemption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RedemptionAction {
    Confirm,
    WriteOff,
    Reject,
}

impl RedemptionAction {
    pub fn parse(s: &str) -> Option<RedemptionAction> {
        match s.trim() {
            "confirm" => Some(RedemptionAction::Confirm),
            "write_off" => Some(RedemptionAction::WriteOff),
            "reject" => Some(RedemptionAction::Reject),
            _ => None,
        }
    }
}

impl RedemptionState {
    pub const ALL: [RedemptionState; 4] = [
        RedemptionState::Submitted,
        RedemptionState::Confirmed,
        RedemptionState::WrittenOff,
        RedemptionState::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RedemptionState::Submitted => "submitted",
            RedemptionState::Confirmed => "confirmed",
            RedemptionState::WrittenOff => "written_off",
            RedemptionState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<RedemptionState> {
        RedemptionState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RedemptionState::Submitted => "待企业确认",
            RedemptionState::Confirmed => "待核销",
            RedemptionState::WrittenOff => "已核销",
            RedemptionState::Rejected => "已退回",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            RedemptionState::Submitted => "Awaiting enterprise",
            RedemptionState::Confirmed => "Awaiting write-off",
            RedemptionState::WrittenOff => "Written off",
            RedemptionState::Rejected => "Rejected",
        }
    }

    /// Whether the amount is still held on the voucher.
    pub fn holds(self) -> bool {
        matches!(
            self,
            RedemptionState::Submitted | RedemptionState::Confirmed
        )
    }

    /// The state after `a`, or `voucher_transition_refused`.
    pub fn next(self, a: RedemptionAction) -> Result<RedemptionState, Invalid> {
        use RedemptionAction as A;
        use RedemptionState as S;
        match (self, a) {
            (S::Submitted, A::Confirm) => Ok(S::Confirmed),
            (S::Confirmed, A::WriteOff) => Ok(S::WrittenOff),
            (S::Submitted | S::Confirmed, A::Reject) => Ok(S::Rejected),
            _ => Err(Invalid::new(
                "voucher_transition_refused",
                format!("“{}”状态下不能执行该操作", self.label_zh()),
                format!("not allowed while '{}'", self.label_en()),
            )),
        }
    }
}

/// The four figures of a scheme (or round), fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    pub pool_fen: i64,
    pub issued_fen: i64,
    pub redeemed_fen: i64,
    /// Granted, not redeemed and not expired (includes amounts held by pending redemptions).
    pub outstanding_fen: i64,
    pub expired_fen: i64,
    /// Held by submitted or confirmed redemptions.
    pub held_fen: i64,
}

impl Figures {
    /// Pool still available for grants: expired quota returns to the pool.
    pub fn available_fen(&self) -> i64 {
        self.pool_fen
            .saturating_sub(self.issued_fen.saturating_sub(self.expired_fen))
    }
}

/// issued = redeemed + outstanding + expired, and the pool covers what is committed
/// (issued − expired, since expired quota returns to the pool).
pub fn ledger_balanced(f: &Figures) -> bool {
    f.redeemed_fen
        .checked_add(f.outstanding_fen)
        .and_then(|x| x.checked_add(f.expired_fen))
        == Some(f.issued_fen)
        && f.pool_fen >= f.issued_fen.saturating_sub(f.expired_fen)
        && f.outstanding_fen >= 0
        && f.held_fen <= f.outstanding_fen
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 杭州算力券 (2025): 20 % other compute, 50 % while ≤50万 a year, 30 % in general, 800万 cap.
    fn hangzhou() -> SchemeRules {
        SchemeRules {
            tiers: vec![
                RateTier {
                    code: "other_compute".into(),
                    rate_bp: 2000,
                    compute: Some(Compute::Other),
                    ..Default::default()
                },
                RateTier {
                    code: "small".into(),
                    rate_bp: 5000,
                    max_annual_contracts_fen: Some(50_000_000),
                    ..Default::default()
                },
                RateTier {
                    code: "general".into(),
                    rate_bp: 3000,
                    ..Default::default()
                },
            ],
            annual_cap_fen: Some(800_000_000),
            validity_days: 365,
            ..Default::default()
        }
    }

    fn facts(invoice_fen: i64, compute: Option<Compute>) -> RedemptionFacts {
        RedemptionFacts {
            invoice_fen,
            compute,
            ..Default::default()
        }
    }

    #[test]
    fn a_small_contract_gets_fifty_percent_and_a_large_one_thirty() {
        let r = hangzhou();
        let c = compute(&r, &facts(40_000_000, Some(Compute::Domestic))).unwrap();
        assert_eq!((c.tier.as_str(), c.amount_fen), ("small", 20_000_000));
        let c = compute(&r, &facts(100_000_000, Some(Compute::Domestic))).unwrap();
        assert_eq!((c.tier.as_str(), c.amount_fen), ("general", 30_000_000));
    }

    #[test]
    fn the_small_tier_counts_the_years_earlier_contracts() {
        let mut f = facts(20_000_000, Some(Compute::Domestic));
        f.contracts_before_fen = 40_000_000;
        let c = compute(&hangzhou(), &f).unwrap();
        assert_eq!(c.tier, "general");
        assert_eq!(c.amount_fen, 6_000_000);
    }

    #[test]
    fn non_domestic_compute_gets_twenty_percent_even_when_small() {
        let c = compute(&hangzhou(), &facts(10_000_000, Some(Compute::Other))).unwrap();
        assert_eq!(
            (c.tier.as_str(), c.amount_fen),
            ("other_compute", 2_000_000)
        );
    }

    #[test]
    fn the_amount_is_rounded_half_up_to_the_fen() {
        assert_eq!(apply_rate(5, 3000), 2); // 1.5 → 2
        assert_eq!(apply_rate(1, 3000), 0); // 0.3 → 0
        assert_eq!(apply_rate(333, 5000), 167); // 166.5 → 167
    }

    #[test]
    fn the_annual_cap_refuses_the_redemption_that_would_cross_it() {
        let mut f = facts(1_000_000_000, Some(Compute::Domestic));
        f.contracts_before_fen = 2_000_000_000;
        f.used_before_fen = 600_000_000;
        let e = compute(&hangzhou(), &f).unwrap_err();
        assert_eq!(e.code, "voucher_annual_cap_exceeded");
        f.used_before_fen = 500_000_000;
        assert_eq!(compute(&hangzhou(), &f).unwrap().amount_fen, 300_000_000);
    }

    #[test]
    fn the_per_application_cap_reduces_and_full_offset_covers_small_services() {
        let r = SchemeRules {
            tiers: vec![RateTier {
                code: "general".into(),
                rate_bp: 5000,
                ..Default::default()
            }],
            per_application_cap_fen: Some(2_000_000),
            full_offset_below_fen: Some(1_000_000),
            ..Default::default()
        };
        let c = compute(&r, &facts(900_000, None)).unwrap();
        assert_eq!(c.amount_fen, 900_000);
        let c = compute(&r, &facts(10_000_000, None)).unwrap();
        assert_eq!(
            (c.amount_fen, c.capped_by.as_deref()),
            (2_000_000, Some("per_application_cap"))
        );
    }

    #[test]
    fn invoice_amounts_are_refused_with_clear_codes() {
        assert_eq!(parse_invoice_yuan("1234.56"), Ok(123_456));
        assert_eq!(parse_invoice_yuan("12万"), Ok(12_000_000));
        assert_eq!(
            parse_invoice_yuan("1.234").unwrap_err().code,
            "voucher_amount_precision"
        );
        assert_eq!(
            parse_invoice_yuan("-5").unwrap_err().code,
            "voucher_amount_not_positive"
        );
        assert_eq!(
            parse_invoice_yuan("0").unwrap_err().code,
            "voucher_amount_not_positive"
        );
        assert_eq!(
            parse_invoice_yuan("abc").unwrap_err().code,
            "voucher_amount_format"
        );
    }

    #[test]
    fn a_written_off_redemption_cannot_move_again() {
        use RedemptionAction as A;
        use RedemptionState as S;
        assert_eq!(S::Submitted.next(A::Confirm), Ok(S::Confirmed));
        assert_eq!(S::Confirmed.next(A::WriteOff), Ok(S::WrittenOff));
        assert!(S::Submitted.next(A::WriteOff).is_err());
        assert!(S::WrittenOff.next(A::Reject).is_err());
        assert!(S::Rejected.next(A::Confirm).is_err());
    }

    #[test]
    fn rules_without_tiers_or_with_a_rate_over_100_percent_are_refused() {
        assert!(SchemeRules::default().validate().is_err());
        let mut r = hangzhou();
        assert!(r.validate().is_ok());
        r.tiers[0].rate_bp = 12_000;
        assert_eq!(r.validate().unwrap_err().code, "voucher_rules_rate");
    }

    #[test]
    fn the_ledger_balances_only_to_the_fen() {
        let f = Figures {
            pool_fen: 100,
            issued_fen: 100,
            redeemed_fen: 30,
            outstanding_fen: 50,
            expired_fen: 20,
            held_fen: 10,
        };
        assert!(ledger_balanced(&f));
        assert!(!ledger_balanced(&Figures {
            outstanding_fen: 49,
            ..f
        }));
        assert!(!ledger_balanced(&Figures { pool_fen: 79, ..f }));
    }
}
