//! Vouchers (创新券 / 算力券 / 模型券): schemes, rounds and pools, quota grants, registered
//! providers, redemptions (provider submits → enterprise confirms → platform writes off), expiry
//! and the ledger check.
//!
//! Invariants: every write is one transaction with its audit entry; amounts are computed by
//! `lianshi_domain::voucher::compute` from the scheme's rules, never typed by a person; pools,
//! voucher balances and annual caps are enforced by conditional updates in the store, so
//! concurrent requests cannot overspend; a request key makes a submission idempotent and a
//! second write-off returns the first without writing; for every scheme issued = redeemed +
//! outstanding + expired ([`App::voucher_check`]).
//!
//! This module holds the views, inputs and shared helpers; the use cases are split by sub-area:
//! `schemes` (schemes and rounds), `grants` (quota into vouchers), `providers` (providers and
//! related parties), `redemption` (submit, confirm, write off, reject), `checks` (expiry and the
//! ledger check); permissions in [`perm`].

use crate::zone::entry;
use crate::{Actor, App, AppError, AppResult};
use chrono::{Datelike, NaiveDate};
use lianshi_domain::Role;
use lianshi_domain::money::Money;
use lianshi_domain::voucher::{
    self as dv, Compute, Figures, RedemptionAction, RedemptionFacts, RedemptionState, SchemeKind,
    SchemeRules,
};
use lianshi_store::audit::audit_append;
use lianshi_store::now_text;
use lianshi_store::voucher::{
    ProviderRow, RedemptionFilter, RedemptionRow, RedemptionWrite, RelatedRow, RoundRow,
    RoundWrite, SchemeFigures, SchemeRow, SchemeWrite, VoucherRow, VoucherWrite,
    voucher_due_to_expire, voucher_expire, voucher_granted_in_year, voucher_hold, voucher_insert,
    voucher_provider_insert, voucher_provider_set_active, voucher_redeem,
    voucher_redemption_insert, voucher_redemption_step, voucher_redemptions_live,
    voucher_related_insert, voucher_related_remove, voucher_release, voucher_round_close,
    voucher_round_insert, voucher_round_issue, voucher_round_set_pool, voucher_scheme_insert,
    voucher_scheme_update, voucher_usage_lock, voucher_usage_release, voucher_usage_use,
};
use serde::{Deserialize, Serialize};

/// A registered provider as the layers above see it.
pub use lianshi_store::voucher::ProviderRow as Provider;
pub use lianshi_store::voucher::RelatedRow as Related;

/// Who may do what with vouchers.
pub mod perm;

mod checks;
mod grants;
mod providers;
mod redemption;
mod schemes;

fn refused(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::refused(code, zh, en)
}

fn bad(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::bad(code, zh, en)
}

fn money_text(fen: i64) -> String {
    Money(fen).to_string()
}

/// Parse a `YYYY-MM-DD` date field.
fn date(field: &'static str, s: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        bad(
            "voucher_date_invalid",
            format!("{field} 日期格式应为 YYYY-MM-DD：“{s}”"),
            format!("{field}: expected YYYY-MM-DD, got '{s}'"),
        )
    })
}

/// A positive amount in 元 (≤ 2 decimals) as fen.
pub fn amount_fen(s: &str) -> AppResult<i64> {
    dv::parse_invoice_yuan(s).map_err(AppError::from_invalid)
}

/// A positive amount in 元 (≤ 2 decimals) as fen, at most `Money::MAX_AMOUNT_FEN` (10^12 元);
/// above it `amount_too_large` naming `field` (400).
pub fn bounded_fen(field: &str, s: &str) -> AppResult<i64> {
    match dv::parse_invoice_yuan(s) {
        Ok(fen) => crate::bounds::check_fen(field, fen),
        // Too large even for i64 is still "too large", not a format error.
        Err(_) if Money::from_yuan_str(s).is_err_and(|e| e.code == "money_overflow") => {
            crate::bounds::money(field, s)
        }
        Err(e) => Err(AppError::from_invalid(e)),
    }
}

/// A scheme with its rules, pool figures (from the records) and rounds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemeView {
    pub id: i64,
    pub code: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::scheme_kind))]
    pub kind: String,
    pub kind_label: String,
    pub name: String,
    pub issuer: String,
    pub legal_ref: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = scheme_status_of_view))]
    pub status: String,
    pub rules: SchemeRules,
    pub figures: Figures,
    pub available_fen: i64,
    pub rounds: Vec<RoundView>,
    /// True when the scheme's sums do not fit (amounts stored beyond the bound): `figures` are
    /// clamped and not to be trusted; an administrator corrects or closes the round.
    pub figures_overflow: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundView {
    #[serde(flatten)]
    pub round: RoundRow,
    /// Pool still available for grants (expired quota returns to it).
    pub available_fen: i64,
}

/// A voucher with its free balance.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoucherView {
    #[serde(flatten)]
    pub voucher: VoucherRow,
    /// amount − held − redeemed − expired.
    pub free_fen: i64,
    /// amount − redeemed − expired (includes held).
    pub outstanding_fen: i64,
}

impl From<VoucherRow> for VoucherView {
    fn from(v: VoucherRow) -> Self {
        VoucherView {
            free_fen: v
                .amount_fen
                .saturating_sub(v.held_fen)
                .saturating_sub(v.redeemed_fen)
                .saturating_sub(v.expired_fen),
            outstanding_fen: v
                .amount_fen
                .saturating_sub(v.redeemed_fen)
                .saturating_sub(v.expired_fen),
            voucher: v,
        }
    }
}

/// A redemption as shown; `replayed` is true when the answer repeats an earlier request.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedemptionView {
    #[serde(flatten)]
    pub r: RedemptionRow,
    pub status_label: String,
    pub replayed: bool,
}

/// Give back what a redemption held when it is rejected or cancelled: its invoice and amount
/// in the enterprise's annual usage, and its hold on the voucher.
async fn release_hold(tx: &mut lianshi_store::Tx, r: &RedemptionRow) -> AppResult<()> {
    voucher_usage_release(
        tx.conn(),
        r.enterprise_id,
        r.scheme_id,
        r.year,
        r.invoice_fen,
        r.amount_fen,
    )
    .await?;
    voucher_release(tx.conn(), r.voucher_id, r.amount_fen).await?;
    Ok(())
}

fn view(r: RedemptionRow, replayed: bool, en: bool) -> RedemptionView {
    let st = RedemptionState::parse(&r.status);
    RedemptionView {
        status_label: st
            .map(|s| if en { s.label_en() } else { s.label_zh() })
            .unwrap_or("?")
            .to_string(),
        r,
        replayed,
    }
}

/// The states of a voucher scheme.
pub const SCHEME_STATUSES: [&str; 3] = ["active", "closed", "draft"];

#[cfg(feature = "openapi")]
fn scheme_status_of_view() -> utoipa::openapi::schema::Schema {
    use lianshi_domain::schema::{Absent, one_of};
    one_of(SCHEME_STATUSES, Absent::No)
}

/// A scheme state, or absent (kept, or `active` for a new scheme).
#[cfg(feature = "openapi")]
pub fn scheme_status_schema() -> utoipa::openapi::schema::Schema {
    use lianshi_domain::schema::{Absent, one_of};
    one_of(SCHEME_STATUSES, Absent::Null)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SchemeInput {
    pub code: String,
    /// `innovation`, `compute` or `model` (`voucher_kind_unknown` otherwise).
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::scheme_kind))]
    pub kind: String,
    pub name: String,
    pub issuer: String,
    pub legal_ref: String,
    /// `active` (default), `closed` or `draft` (`voucher_status_invalid` otherwise).
    #[cfg_attr(feature = "openapi", schema(schema_with = scheme_status_schema))]
    pub status: Option<String>,
    pub rules: SchemeRules,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RoundInput {
    pub name: String,
    pub year: i64,
    /// Pool in 元 (≤ 2 decimals; 万/亿 accepted).
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::yuan))]
    pub pool_yuan: String,
    pub opens_on: String,
    pub closes_on: String,
    /// Last day a granted quota may be used; default closes_on + the scheme's validity days.
    pub valid_until: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct GrantInput {
    pub round_id: i64,
    /// Credit code of the enterprise.
    pub enterprise: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::yuan))]
    pub amount_yuan: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ProviderInput {
    /// Username of the provider account (role `provider`), if it has one.
    pub username: Option<String>,
    pub name: String,
    pub uscc: String,
    /// Scheme kinds the provider is approved for.
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::scheme_kinds))]
    pub kinds: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RedemptionInput {
    /// Credit code of the enterprise whose voucher pays.
    pub enterprise: String,
    /// Scheme code.
    pub scheme: String,
    pub contract_no: String,
    /// Invoice amount in 元, at most 2 decimals.
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::yuan))]
    pub invoice_yuan: String,
    /// `domestic` | `other` (compute vouchers), or empty.
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::compute))]
    pub compute: String,
    pub service_type: String,
    /// Idempotency key chosen by the client: the same key returns the same redemption.
    pub request_key: String,
    /// Credit code of the provider (administrators filing for a provider only).
    pub provider: Option<String>,
}

/// What an expiry run did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExpireSummary {
    pub on: String,
    pub vouchers: i64,
    pub returned_fen: i64,
    pub cancelled_redemptions: i64,
}

/// The ledger check of one scheme.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckRow {
    pub scheme_id: i64,
    pub code: String,
    pub name: String,
    pub figures: Figures,
    pub ok: bool,
    pub problems: Vec<String>,
}

/// An enterprise's vouchers and redemptions.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnterpriseVouchers {
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub vouchers: Vec<VoucherView>,
    pub redemptions: Vec<RedemptionView>,
}

fn rules_of(s: &SchemeRow) -> AppResult<SchemeRules> {
    serde_json::from_str(&s.rules_json)
        .map_err(|e| AppError::Internal(format!("voucher scheme {} rules: {e}", s.code)))
}

fn round_view(r: RoundRow) -> RoundView {
    RoundView {
        available_fen: r
            .pool_fen
            .saturating_sub(r.issued_fen.saturating_sub(r.expired_fen)),
        round: r,
    }
}
