//! Amounts against their input bound (`lianshi_domain::Money::MAX_AMOUNT_FEN`, 10^12 元):
//! sums that cannot overflow, and the scan for stored rows outside the bound.
//!
//! Why sums are split: SQLite's `SUM` of integers fails the whole query with "integer overflow"
//! past `i64`, and PostgreSQL's `SUM(bigint)` is a `numeric` that fails the cast back to
//! `BIGINT`. [`wide_sum`] sums the high and low 32-bit halves of each value separately
//! (`x / 2^32` and `x % 2^32`, both truncating on either backend, so `x = hi·2^32 + lo`
//! exactly); each half-sum fits an `i64` for up to 2^31 rows, and [`wide`] recombines them
//! as an `i128` in Rust. One SQL text for both backends, exact, no floating point.
//!
//! Invariant: a query built with [`wide_sum`] never fails on the values it sums; the caller
//! decides what an `i128` beyond `i64` means ([`saturate`] gives the clamped value and a flag).

use crate::sql::Row;
use crate::{Db, Result};
use lianshi_domain::Money;

/// 2^32, the split point of [`wide_sum`].
const SPLIT: i128 = 1 << 32;

/// Two select-list items summing `expr` without overflow, named `{alias}_hi` and `{alias}_lo`;
/// read them back with [`wide`]. `expr` is trusted SQL (a column), never user input.
pub fn wide_sum(expr: &str, alias: &str) -> String {
    format!(
        "CAST(COALESCE(SUM(({expr}) / 4294967296), 0) AS BIGINT) AS {alias}_hi, \
         CAST(COALESCE(SUM(({expr}) % 4294967296), 0) AS BIGINT) AS {alias}_lo"
    )
}

/// The exact sum selected by [`wide_sum`] under `alias`.
pub fn wide(r: &Row, alias: &str) -> Result<i128> {
    let hi: i64 = r.try_get(format!("{alias}_hi").as_str())?;
    let lo: i64 = r.try_get(format!("{alias}_lo").as_str())?;
    Ok(i128::from(hi) * SPLIT + i128::from(lo))
}

/// A wide sum clamped into `i64`, and whether it had to be clamped.
pub fn saturate(v: i128) -> (i64, bool) {
    match i64::try_from(v) {
        Ok(x) => (x, false),
        Err(_) if v > 0 => (i64::MAX, true),
        Err(_) => (i64::MIN, true),
    }
}

/// One stored amount outside the bound: where it is and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutOfBound {
    pub table: String,
    /// The row's key as text (`id`, or the composite key joined by `:`).
    pub id: String,
    pub field: String,
    pub value: i64,
}

/// Every money column the application writes, with the SQL of its row key. Enterprise figures
/// are included so one scan covers every stored amount.
const MONEY_COLUMNS: &[(&str, &str, &[&str])] = &[
    (
        "voucher_rounds",
        "CAST(id AS TEXT)",
        &["pool_fen", "issued_fen", "expired_fen"],
    ),
    (
        "vouchers",
        "CAST(id AS TEXT)",
        &["amount_fen", "held_fen", "redeemed_fen", "expired_fen"],
    ),
    (
        "voucher_redemptions",
        "CAST(id AS TEXT)",
        &["invoice_fen", "amount_fen"],
    ),
    (
        "voucher_usage",
        "CAST(enterprise_id AS TEXT) || ':' || CAST(scheme_id AS TEXT) || ':' || CAST(year AS TEXT)",
        &["contracts_fen", "used_fen"],
    ),
    (
        "subsidy_budgets",
        "CAST(policy_id AS TEXT) || ':' || CAST(year AS TEXT)",
        &[
            "budget_fen",
            "spent_fen",
            "committed_fen",
            "enterprise_cap_fen",
        ],
    ),
    (
        "subsidy_applications",
        "CAST(id AS TEXT)",
        &["amount_fen", "approved_fen"],
    ),
    ("subsidy_ledger", "CAST(id AS TEXT)", &["amount_fen"]),
    ("policy_notices", "CAST(id AS TEXT)", &["amount_fen"]),
    ("score_loans", "CAST(id AS TEXT)", &["amount_fen"]),
    (
        "enterprises",
        "CAST(id AS TEXT)",
        &["revenue_fen", "rd_fen", "tax_fen"],
    ),
    (
        "enterprise_indicators",
        "CAST(enterprise_id AS TEXT) || ':' || period",
        &["revenue_fen", "tax_fen"],
    ),
];

impl Db {
    /// Every stored amount whose magnitude is above `Money::MAX_AMOUNT_FEN`, by table, key and
    /// column. Each query is a scan with an indexed-free filter; run by an operator, not per page.
    pub async fn out_of_bound_amounts(&self) -> Result<Vec<OutOfBound>> {
        let max = Money::MAX_AMOUNT_FEN;
        let mut out = Vec::new();
        for (table, key, cols) in MONEY_COLUMNS {
            for col in *cols {
                let rows = crate::sql::query(&format!(
                    "SELECT {key} AS k, {col} AS v FROM {table} WHERE {col} > $1 OR {col} < $2 ORDER BY 1"
                ))
                .bind(max)
                .bind(-max)
                .fetch_all(self.reader())
                .await?;
                for r in &rows {
                    out.push(OutOfBound {
                        table: (*table).to_string(),
                        id: r.try_get("k")?,
                        field: (*col).to_string(),
                        value: r.try_get("v")?,
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
    fn saturate_clamps_and_flags_only_beyond_i64() {
        assert_eq!(saturate(5), (5, false));
        assert_eq!(saturate(i128::from(i64::MAX)), (i64::MAX, false));
        assert_eq!(saturate(i128::from(i64::MAX) + 1), (i64::MAX, true));
        assert_eq!(saturate(i128::from(i64::MIN) - 1), (i64::MIN, true));
    }
}
