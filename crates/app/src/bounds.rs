//! Input bounds shared by the use cases: money inputs within `Money::MAX_AMOUNT_FEN`
//! (10^12 元), list pages whose offset cannot wrap, and the operator's scan for stored amounts
//! outside the bound (`lianshi check bounds`).
//!
//! Invariant: every money input of vouchers, subsidies and loans passes [`money`] or
//! [`check_fen`] before it reaches the store, so sums over stored amounts stay far inside the
//! widened sums of `lianshi_store::bounds`.

use crate::{Actor, App, AppError, AppResult};
use lianshi_domain::Role;
use lianshi_domain::money::{self, Money};
use lianshi_store::bounds::OutOfBound;

/// An amount typed in 元 (`"1,234.56"`, `"30万"`) as fen within the bound; `field` names the
/// input in the refusal (`amount_too_large`, 400). Format errors keep their own codes.
pub fn money(field: &str, s: &str) -> AppResult<i64> {
    money::parse_bounded(field, s)
        .map(Money::fen)
        .map_err(AppError::from_invalid)
}

/// An amount given in fen, refused above the bound with the field named.
pub fn check_fen(field: &str, fen: i64) -> AppResult<i64> {
    money::check_bound(field, fen).map_err(AppError::from_invalid)
}

/// The row offset of a 1-based page. Page numbers below 1 mean the first page; a page so
/// large that its offset does not fit an `i64` saturates (an empty page past the end) instead
/// of wrapping around to the first pages, as `(page - 1) * per_page` did.
pub fn page_offset(page: i64, per_page: i64) -> i64 {
    (page.max(1) - 1).saturating_mul(per_page.max(0))
}

impl App {
    /// Every stored amount outside the bound (table, row key, column, value), and every voucher
    /// scheme whose rules hold a cap outside it. Administrators only.
    pub async fn check_bounds(&self, actor: &Actor) -> AppResult<Vec<OutOfBound>> {
        if actor.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let mut out = self.db.out_of_bound_amounts().await?;
        for s in self.db.voucher_schemes().await? {
            let Ok(rules) =
                serde_json::from_str::<lianshi_domain::voucher::SchemeRules>(&s.rules_json)
            else {
                continue;
            };
            let mut caps = vec![
                ("annual_cap_fen", rules.annual_cap_fen),
                ("per_application_cap_fen", rules.per_application_cap_fen),
                ("full_offset_below_fen", rules.full_offset_below_fen),
            ];
            caps.extend(
                rules
                    .tiers
                    .iter()
                    .map(|t| ("max_annual_contracts_fen", t.max_annual_contracts_fen)),
            );
            for (field, v) in caps {
                if let Some(v) = v.filter(|v| !Money(*v).within_bound()) {
                    out.push(OutOfBound {
                        table: "voucher_schemes".into(),
                        id: s.id.to_string(),
                        field: format!("rules_json.{field}"),
                        value: v,
                    });
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_page_saturates_past_the_end_instead_of_wrapping() {
        assert_eq!(page_offset(1, 50), 0);
        assert_eq!(page_offset(0, 50), 0);
        assert_eq!(page_offset(i64::MIN, 50), 0);
        assert_eq!(page_offset(3, 50), 100);
        assert_eq!(page_offset(i64::MAX, 1), i64::MAX - 1);
        assert_eq!(page_offset(i64::MAX, 50), i64::MAX);
        assert_eq!(page_offset(i64::MAX / 50 + 2, 50), i64::MAX);
    }
}
