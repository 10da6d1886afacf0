//! Vouchers in SQL: schemes, rounds (pools), grants, providers, related parties, the yearly
//! usage per enterprise and scheme, and redemptions.
//!
//! Invariants kept here by conditional updates (never read-then-write), so concurrent writers
//! on either backend cannot overspend:
//! - a round's `issued_fen − expired_fen` never exceeds its `pool_fen` ([`voucher_round_issue`]);
//! - a voucher's `held + redeemed + expired` never exceeds its `amount` ([`voucher_hold`]);
//! - an enterprise's yearly `used_fen` in a scheme never exceeds the scheme's cap
//!   ([`voucher_usage_use`]); the usage row is locked first by [`voucher_usage_lock`], which
//!   serialises the redemptions of one enterprise in one scheme and year;
//! - one live redemption per provider and contract (`contract_key` is NULL once rejected), one
//!   per provider and request key (UNIQUE indexes).

use crate::sql::{Conn, Row};
use crate::{Db, Result, now_text};
use lianshi_domain::voucher::Figures;

/// A scheme as stored; `rules_json` is a `lianshi_domain::voucher::SchemeRules`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SchemeRow {
    pub id: i64,
    pub code: String,
    pub kind: String,
    pub name: String,
    pub issuer: String,
    pub legal_ref: String,
    pub rules_json: String,
    pub status: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SchemeWrite {
    pub code: String,
    pub kind: String,
    pub name: String,
    pub issuer: String,
    pub legal_ref: String,
    pub rules_json: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundRow {
    pub id: i64,
    pub scheme_id: i64,
    pub name: String,
    pub year: i64,
    pub pool_fen: i64,
    pub issued_fen: i64,
    pub expired_fen: i64,
    pub opens_on: String,
    pub closes_on: String,
    pub valid_until: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoundWrite {
    pub scheme_id: i64,
    pub name: String,
    pub year: i64,
    pub pool_fen: i64,
    pub opens_on: String,
    pub closes_on: String,
    pub valid_until: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderRow {
    pub id: i64,
    pub user_id: Option<i64>,
    pub name: String,
    pub uscc: String,
    /// Comma-separated scheme kinds.
    pub kinds: String,
    pub active: bool,
}

/// A related-party record with the names a list shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RelatedRow {
    pub provider_uscc: String,
    pub provider_name: String,
    pub enterprise_uscc: String,
    pub enterprise_name: String,
    pub note: String,
    pub created_at: String,
}

/// A voucher (granted quota) with the names a list shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoucherRow {
    pub id: i64,
    pub round_id: i64,
    pub scheme_id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub enterprise_uscc: String,
    pub enterprise_size: Option<String>,
    pub scheme_code: String,
    pub scheme_name: String,
    pub scheme_kind: String,
    pub round_name: String,
    pub year: i64,
    pub amount_fen: i64,
    pub held_fen: i64,
    pub redeemed_fen: i64,
    pub expired_fen: i64,
    pub valid_until: String,
    pub status: String,
    pub granted_at: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct VoucherWrite {
    pub round_id: i64,
    pub scheme_id: i64,
    pub enterprise_id: i64,
    pub amount_fen: i64,
    pub valid_until: String,
}

/// A redemption with the names a list shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedemptionRow {
    pub id: i64,
    pub voucher_id: i64,
    pub scheme_id: i64,
    pub scheme_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub request_key: String,
    pub contract_no: String,
    pub invoice_fen: i64,
    pub compute: Option<String>,
    pub service_type: String,
    pub tier: String,
    pub rate_bp: i64,
    pub amount_fen: i64,
    pub explain: String,
    pub year: i64,
    pub status: String,
    pub reason: Option<String>,
    pub submitted_at: String,
    pub confirmed_at: Option<String>,
    pub written_off_at: Option<String>,
    pub rejected_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RedemptionWrite {
    pub voucher_id: i64,
    pub scheme_id: i64,
    pub enterprise_id: i64,
    pub provider_id: i64,
    pub request_key: String,
    pub contract_no: String,
    pub invoice_fen: i64,
    pub compute: Option<String>,
    pub service_type: String,
    pub tier: String,
    pub rate_bp: i64,
    pub amount_fen: i64,
    pub explain: String,
    pub year: i64,
}

/// Which redemptions to list; all optional, ANDed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RedemptionFilter {
    pub provider_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    pub scheme_id: Option<i64>,
    pub status: Option<String>,
    pub limit: i64,
}

/// The figures of one scheme, each from its own records, for the invariant check.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SchemeFigures {
    pub scheme_id: i64,
    pub figures: Figures,
    /// Sum of the rounds' `issued_fen` counters (must equal `figures.issued_fen`).
    pub round_issued_fen: i64,
    /// Sum of the vouchers' `redeemed_fen` counters (must equal the written-off redemptions).
    pub voucher_redeemed_fen: i64,
    /// Sum of the vouchers' `held_fen` counters (must equal the live redemptions).
    pub voucher_held_fen: i64,
    /// True when a sum does not fit an `i64` (amounts stored beyond the input bound): the
    /// figures above are clamped and must not be trusted.
    pub overflow: bool,
}

fn scheme(r: &Row) -> Result<SchemeRow> {
    Ok(SchemeRow {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        issuer: r.try_get("issuer")?,
        legal_ref: r.try_get("legal_ref")?,
        rules_json: r.try_get("rules_json")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
    })
}

fn round(r: &Row) -> Result<RoundRow> {
    Ok(RoundRow {
        id: r.try_get("id")?,
        scheme_id: r.try_get("scheme_id")?,
        name: r.try_get("name")?,
        year: r.try_get("year")?,
        pool_fen: r.try_get("pool_fen")?,
        issued_fen: r.try_get("issued_fen")?,
        expired_fen: r.try_get("expired_fen")?,
        opens_on: r.try_get("opens_on")?,
        closes_on: r.try_get("closes_on")?,
        valid_until: r.try_get("valid_until")?,
    })
}

fn provider(r: &Row) -> Result<ProviderRow> {
    Ok(ProviderRow {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        uscc: r.try_get("uscc")?,
        kinds: r.try_get("kinds")?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

const VOUCHER_COLS: &str = "v.id, v.round_id, v.scheme_id, v.enterprise_id, e.name AS enterprise_name, e.uscc AS enterprise_uscc, e.size_band, s.code AS scheme_code, s.name AS scheme_name, s.kind AS scheme_kind, r.name AS round_name, r.year, v.amount_fen, v.held_fen, v.redeemed_fen, v.expired_fen, v.valid_until, v.status, v.granted_at";
const VOUCHER_FROM: &str = "vouchers v JOIN enterprises e ON e.id = v.enterprise_id JOIN voucher_schemes s ON s.id = v.scheme_id JOIN voucher_rounds r ON r.id = v.round_id";

fn voucher(r: &Row) -> Result<VoucherRow> {
    Ok(VoucherRow {
        id: r.try_get("id")?,
        round_id: r.try_get("round_id")?,
        scheme_id: r.try_get("scheme_id")?,
        enterprise_id: r.try_get("enterprise_id")?,
        enterprise_name: r.try_get("enterprise_name")?,
        enterprise_uscc: r.try_get("enterprise_uscc")?,
        enterprise_size: r.try_get("size_band")?,
        scheme_code: r.try_get("scheme_code")?,
        scheme_name: r.try_get("scheme_name")?,
        scheme_kind: r.try_get("scheme_kind")?,
        round_name: r.try_get("round_name")?,
        year: r.try_get("year")?,
        amount_fen: r.try_get("amount_fen")?,
        held_fen: r.try_get("held_fen")?,
        redeemed_fen: r.try_get("redeemed_fen")?,
        expired_fen: r.try_get("expired_fen")?,
        valid_until: r.try_get("valid_until")?,
        status: r.try_get("status")?,
        granted_at: r.try_get("granted_at")?,
    })
}

const REDEMPTION_COLS: &str = "d.id, d.voucher_id, d.scheme_id, s.name AS scheme_name, d.enterprise_id, e.name AS enterprise_name, d.provider_id, p.name AS provider_name, d.request_key, d.contract_no, d.invoice_fen, d.compute, d.service_type, d.tier, d.rate_bp, d.amount_fen, d.explain, d.year, d.status, d.reason, d.submitted_at, d.confirmed_at, d.written_off_at, d.rejected_at";
const REDEMPTION_FROM: &str = "voucher_redemptions d JOIN voucher_schemes s ON s.id = d.scheme_id JOIN enterprises e ON e.id = d.enterprise_id JOIN voucher_providers p ON p.id = d.provider_id";

fn redemption(r: &Row) -> Result<RedemptionRow> {
    Ok(RedemptionRow {
        id: r.try_get("id")?,
        voucher_id: r.try_get("voucher_id")?,
        scheme_id: r.try_get("scheme_id")?,
        scheme_name: r.try_get("scheme_name")?,
        enterprise_id: r.try_get("enterprise_id")?,
        enterprise_name: r.try_get("enterprise_name")?,
        provider_id: r.try_get("provider_id")?,
        provider_name: r.try_get("provider_name")?,
        request_key: r.try_get("request_key")?,
        contract_no: r.try_get("contract_no")?,
        invoice_fen: r.try_get("invoice_fen")?,
        compute: r.try_get("compute")?,
        service_type: r.try_get("service_type")?,
        tier: r.try_get("tier")?,
        rate_bp: r.try_get("rate_bp")?,
        amount_fen: r.try_get("amount_fen")?,
        explain: r.try_get("explain")?,
        year: r.try_get("year")?,
        status: r.try_get("status")?,
        reason: r.try_get("reason")?,
        submitted_at: r.try_get("submitted_at")?,
        confirmed_at: r.try_get("confirmed_at")?,
        written_off_at: r.try_get("written_off_at")?,
        rejected_at: r.try_get("rejected_at")?,
    })
}

pub async fn voucher_scheme_insert(c: &mut Conn, w: &SchemeWrite) -> Result<i64> {
    let now = now_text();
    let r = crate::sql::query(
        "INSERT INTO voucher_schemes (code, kind, name, issuer, legal_ref, rules_json, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(&w.code)
    .bind(&w.kind)
    .bind(&w.name)
    .bind(&w.issuer)
    .bind(&w.legal_ref)
    .bind(&w.rules_json)
    .bind(&w.status)
    .bind(&now)
    .fetch_one(&mut *c)
    .await
    .map_err(|e| crate::StoreError::from_write(e, "voucher scheme code exists"))?;
    Ok(r.try_get("id")?)
}

/// Replace a scheme's rules and status (name and kind stay).
pub async fn voucher_scheme_update(
    c: &mut Conn,
    id: i64,
    rules_json: &str,
    status: &str,
) -> Result<()> {
    let n = crate::sql::query(
        "UPDATE voucher_schemes SET rules_json = $1, status = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(rules_json)
    .bind(status)
    .bind(now_text())
    .bind(id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(crate::StoreError::NotFound(format!("voucher scheme {id}")));
    }
    Ok(())
}

pub async fn voucher_round_insert(c: &mut Conn, w: &RoundWrite) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO voucher_rounds (scheme_id, name, year, pool_fen, opens_on, closes_on, valid_until, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(w.scheme_id)
    .bind(&w.name)
    .bind(w.year)
    .bind(w.pool_fen)
    .bind(&w.opens_on)
    .bind(&w.closes_on)
    .bind(&w.valid_until)
    .bind(now_text())
    .fetch_one(&mut *c)
    .await?;
    Ok(r.try_get("id")?)
}

/// Set a round's pool; false when the new pool would not cover the quota already committed
/// (`issued − expired`), which the CHECK constraint would refuse anyway.
pub async fn voucher_round_set_pool(c: &mut Conn, round_id: i64, pool_fen: i64) -> Result<bool> {
    let n = crate::sql::query(
        "UPDATE voucher_rounds SET pool_fen = $1 WHERE id = $2 AND issued_fen - expired_fen <= $1",
    )
    .bind(pool_fen)
    .bind(round_id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Close a round: it takes no grants after `last_day` (its dates are pulled back to it if
/// later) and its pool shrinks to the quota committed (`issued − expired`), releasing the rest.
/// Returns the round as it now is, `None` when there is no such round.
pub async fn voucher_round_close(
    c: &mut Conn,
    round_id: i64,
    last_day: &str,
) -> Result<Option<RoundRow>> {
    let r = crate::sql::query(
        "UPDATE voucher_rounds SET \
         opens_on = CASE WHEN opens_on > $1 THEN $1 ELSE opens_on END, \
         closes_on = CASE WHEN closes_on > $1 THEN $1 ELSE closes_on END, \
         pool_fen = issued_fen - expired_fen WHERE id = $2 RETURNING *",
    )
    .bind(last_day)
    .bind(round_id)
    .fetch_optional(&mut *c)
    .await?;
    r.as_ref().map(round).transpose()
}

/// Take `amount` from a round's pool; false when the pool (net of expired quota) is too small.
pub async fn voucher_round_issue(c: &mut Conn, round_id: i64, amount: i64) -> Result<bool> {
    let n = crate::sql::query(
        "UPDATE voucher_rounds SET issued_fen = issued_fen + $1 \
         WHERE id = $2 AND issued_fen - expired_fen + $1 <= pool_fen",
    )
    .bind(amount)
    .bind(round_id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Grant a voucher; a second grant in the same round to the same enterprise is a conflict.
pub async fn voucher_insert(c: &mut Conn, w: &VoucherWrite) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO vouchers (round_id, scheme_id, enterprise_id, amount_fen, valid_until, status, granted_at) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6) RETURNING id",
    )
    .bind(w.round_id)
    .bind(w.scheme_id)
    .bind(w.enterprise_id)
    .bind(w.amount_fen)
    .bind(&w.valid_until)
    .bind(now_text())
    .fetch_one(&mut *c)
    .await
    .map_err(|e| crate::StoreError::from_write(e, "voucher already granted in this round"))?;
    Ok(r.try_get("id")?)
}

pub async fn voucher_provider_insert(
    c: &mut Conn,
    user_id: Option<i64>,
    name: &str,
    uscc: &str,
    kinds: &str,
) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO voucher_providers (user_id, name, uscc, kinds, active, created_at) \
         VALUES ($1, $2, $3, $4, $6, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(uscc)
    .bind(kinds)
    .bind(now_text())
    .bind(true)
    .fetch_one(&mut *c)
    .await
    .map_err(|e| crate::StoreError::from_write(e, "provider or its user already registered"))?;
    Ok(r.try_get("id")?)
}

pub async fn voucher_related_insert(
    c: &mut Conn,
    provider_id: i64,
    enterprise_id: i64,
    note: &str,
) -> Result<()> {
    crate::sql::query(
        "INSERT INTO voucher_related_parties (provider_id, enterprise_id, note, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (provider_id, enterprise_id) DO UPDATE SET note = excluded.note",
    )
    .bind(provider_id)
    .bind(enterprise_id)
    .bind(note)
    .bind(now_text())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Remove a related-party record; false when there was none.
pub async fn voucher_related_remove(
    c: &mut Conn,
    provider_id: i64,
    enterprise_id: i64,
) -> Result<bool> {
    let n = crate::sql::query(
        "DELETE FROM voucher_related_parties WHERE provider_id = $1 AND enterprise_id = $2",
    )
    .bind(provider_id)
    .bind(enterprise_id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Activate or deactivate a provider; false when it already was in that state.
pub async fn voucher_provider_set_active(
    c: &mut Conn,
    provider_id: i64,
    active: bool,
) -> Result<bool> {
    let n = crate::sql::query(
        "UPDATE voucher_providers SET active = $1 WHERE id = $2 AND active <> $1",
    )
    .bind(i64::from(active))
    .bind(provider_id)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Lock (creating if needed) the usage row of an enterprise in a scheme and year, adding
/// `contracts` to its declared total; returns (contracts before, used before).
pub async fn voucher_usage_lock(
    c: &mut Conn,
    enterprise_id: i64,
    scheme_id: i64,
    year: i64,
    contracts: i64,
) -> Result<(i64, i64)> {
    crate::sql::query(
        "INSERT INTO voucher_usage (enterprise_id, scheme_id, year, contracts_fen, used_fen) VALUES ($1, $2, $3, 0, 0) \
         ON CONFLICT (enterprise_id, scheme_id, year) DO NOTHING",
    )
    .bind(enterprise_id)
    .bind(scheme_id)
    .bind(year)
    .execute(&mut *c)
    .await?;
    let r = crate::sql::query(
        "UPDATE voucher_usage SET contracts_fen = contracts_fen + $1 \
         WHERE enterprise_id = $2 AND scheme_id = $3 AND year = $4 RETURNING contracts_fen, used_fen",
    )
    .bind(contracts)
    .bind(enterprise_id)
    .bind(scheme_id)
    .bind(year)
    .fetch_one(&mut *c)
    .await?;
    let after: i64 = r.try_get("contracts_fen")?;
    Ok((after - contracts, r.try_get("used_fen")?))
}

/// Quota granted (net of expiry) to an enterprise in a scheme's rounds of `year`, read on the
/// caller's connection (after [`voucher_usage_lock`], so concurrent grants see each other).
pub async fn voucher_granted_in_year(
    c: &mut Conn,
    scheme_id: i64,
    enterprise_id: i64,
    year: i64,
) -> Result<i64> {
    use crate::bounds::{saturate, wide, wide_sum};
    let r = crate::sql::query(&format!(
        "SELECT {}, {} FROM vouchers v \
         JOIN voucher_rounds r ON r.id = v.round_id WHERE v.scheme_id = $1 AND v.enterprise_id = $2 AND r.year = $3",
        wide_sum("v.amount_fen", "amount"),
        wide_sum("v.expired_fen", "expired"),
    ))
    .bind(scheme_id)
    .bind(enterprise_id)
    .bind(year)
    .fetch_one(&mut *c)
    .await?;
    // Clamped: a sum beyond i64 is over any cap anyway.
    Ok(saturate(wide(&r, "amount")? - wide(&r, "expired")?).0)
}

/// Add `amount` to the year's used total unless it would pass `cap`; false when it would.
pub async fn voucher_usage_use(
    c: &mut Conn,
    enterprise_id: i64,
    scheme_id: i64,
    year: i64,
    amount: i64,
    cap: Option<i64>,
) -> Result<bool> {
    let n = crate::sql::query(
        "UPDATE voucher_usage SET used_fen = used_fen + $1 \
         WHERE enterprise_id = $2 AND scheme_id = $3 AND year = $4 AND ($5 < 0 OR used_fen + $1 <= $5)",
    )
    .bind(amount)
    .bind(enterprise_id)
    .bind(scheme_id)
    .bind(year)
    .bind(cap.unwrap_or(-1))
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Give back a rejected redemption's contract and amount to the year's usage.
pub async fn voucher_usage_release(
    c: &mut Conn,
    enterprise_id: i64,
    scheme_id: i64,
    year: i64,
    contracts: i64,
    amount: i64,
) -> Result<()> {
    crate::sql::query(
        "UPDATE voucher_usage SET contracts_fen = contracts_fen - $1, used_fen = used_fen - $2 \
         WHERE enterprise_id = $3 AND scheme_id = $4 AND year = $5",
    )
    .bind(contracts)
    .bind(amount)
    .bind(enterprise_id)
    .bind(scheme_id)
    .bind(year)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Hold `amount` on an active voucher valid on `on`; false when the free balance is too small,
/// the voucher expired, or it is past its date.
pub async fn voucher_hold(c: &mut Conn, voucher_id: i64, amount: i64, on: &str) -> Result<bool> {
    let n = crate::sql::query(
        "UPDATE vouchers SET held_fen = held_fen + $1 \
         WHERE id = $2 AND status = 'active' AND valid_until >= $3 \
         AND amount_fen - held_fen - redeemed_fen - expired_fen >= $1",
    )
    .bind(amount)
    .bind(voucher_id)
    .bind(on)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Release a hold; on an expired voucher the released amount expires (back to the pool).
pub async fn voucher_release(c: &mut Conn, voucher_id: i64, amount: i64) -> Result<()> {
    crate::sql::query(
        "UPDATE vouchers SET held_fen = held_fen - $1, \
         expired_fen = expired_fen + CASE WHEN status = 'expired' THEN $1 ELSE 0 END WHERE id = $2",
    )
    .bind(amount)
    .bind(voucher_id)
    .execute(&mut *c)
    .await?;
    crate::sql::query(
        "UPDATE voucher_rounds SET expired_fen = expired_fen + $1 \
         WHERE id = (SELECT round_id FROM vouchers WHERE id = $2 AND status = 'expired')",
    )
    .bind(amount)
    .bind(voucher_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Move a held amount to redeemed (write-off).
pub async fn voucher_redeem(c: &mut Conn, voucher_id: i64, amount: i64) -> Result<()> {
    crate::sql::query(
        "UPDATE vouchers SET held_fen = held_fen - $1, redeemed_fen = redeemed_fen + $1 WHERE id = $2",
    )
    .bind(amount)
    .bind(voucher_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Expire one active voucher: its free balance expires and returns to the round's pool.
/// Returns the expired amount, or `None` when the voucher was not active.
pub async fn voucher_expire(c: &mut Conn, voucher_id: i64, at: &str) -> Result<Option<i64>> {
    let r = crate::sql::query(
        "UPDATE vouchers SET status = 'expired', expired_at = $1, \
         expired_fen = amount_fen - held_fen - redeemed_fen \
         WHERE id = $2 AND status = 'active' RETURNING expired_fen, round_id",
    )
    .bind(at)
    .bind(voucher_id)
    .fetch_optional(&mut *c)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let amount: i64 = r.try_get("expired_fen")?;
    let round_id: i64 = r.try_get("round_id")?;
    crate::sql::query("UPDATE voucher_rounds SET expired_fen = expired_fen + $1 WHERE id = $2")
        .bind(amount)
        .bind(round_id)
        .execute(&mut *c)
        .await?;
    Ok(Some(amount))
}

pub async fn voucher_redemption_insert(c: &mut Conn, w: &RedemptionWrite) -> Result<i64> {
    let now = now_text();
    let r = crate::sql::query(
        "INSERT INTO voucher_redemptions (voucher_id, scheme_id, enterprise_id, provider_id, request_key, contract_no, contract_key, \
         invoice_fen, compute, service_type, tier, rate_bp, amount_fen, explain, year, status, submitted_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'submitted', $15, $15) RETURNING id",
    )
    .bind(w.voucher_id)
    .bind(w.scheme_id)
    .bind(w.enterprise_id)
    .bind(w.provider_id)
    .bind(&w.request_key)
    .bind(&w.contract_no)
    .bind(w.invoice_fen)
    .bind(w.compute.as_deref())
    .bind(&w.service_type)
    .bind(&w.tier)
    .bind(w.rate_bp)
    .bind(w.amount_fen)
    .bind(&w.explain)
    .bind(w.year)
    .bind(&now)
    .fetch_one(&mut *c)
    .await
    .map_err(|e| crate::StoreError::from_write(e, "redemption request key or contract exists"))?;
    Ok(r.try_get("id")?)
}

/// Move a redemption from `from` to `to`, stamping the state's time column; false when it was
/// no longer in `from` (someone acted first). A rejection frees the contract number.
pub async fn voucher_redemption_step(
    c: &mut Conn,
    id: i64,
    from: &str,
    to: &str,
    reason: Option<&str>,
) -> Result<bool> {
    let col = match to {
        "confirmed" => "confirmed_at",
        "written_off" => "written_off_at",
        _ => "rejected_at",
    };
    let free = if to == "rejected" {
        ", contract_key = NULL"
    } else {
        ""
    };
    let now = now_text();
    let n = crate::sql::query(&format!(
        "UPDATE voucher_redemptions SET status = $1, {col} = $2, updated_at = $2, reason = COALESCE($3, reason){free} \
         WHERE id = $4 AND status = $5"
    ))
    .bind(to)
    .bind(&now)
    .bind(reason)
    .bind(id)
    .bind(from)
    .execute(&mut *c)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Ids of the live (submitted or confirmed) redemptions on a voucher.
pub async fn voucher_redemptions_live(c: &mut Conn, voucher_id: i64) -> Result<Vec<(i64, String)>> {
    let rows = crate::sql::query(
        "SELECT id, status FROM voucher_redemptions WHERE voucher_id = $1 AND status IN ('submitted', 'confirmed') ORDER BY id",
    )
    .bind(voucher_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("status")?)))
        .collect()
}

/// Ids of active vouchers whose validity ended before `on` (YYYY-MM-DD).
pub async fn voucher_due_to_expire(c: &mut Conn, on: &str) -> Result<Vec<i64>> {
    let rows = crate::sql::query(
        "SELECT id FROM vouchers WHERE status = 'active' AND valid_until < $1 ORDER BY id",
    )
    .bind(on)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}

impl Db {
    pub async fn voucher_schemes(&self) -> Result<Vec<SchemeRow>> {
        let rows = crate::sql::query("SELECT * FROM voucher_schemes ORDER BY id")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(scheme).collect()
    }

    pub async fn voucher_scheme_get(&self, id: i64) -> Result<Option<SchemeRow>> {
        let r = crate::sql::query("SELECT * FROM voucher_schemes WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(scheme).transpose()
    }

    pub async fn voucher_scheme_by_code(&self, code: &str) -> Result<Option<SchemeRow>> {
        let r = crate::sql::query("SELECT * FROM voucher_schemes WHERE code = $1")
            .bind(code)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(scheme).transpose()
    }

    /// Rounds of a scheme (all schemes when `None`), newest first.
    pub async fn voucher_rounds(&self, scheme_id: Option<i64>) -> Result<Vec<RoundRow>> {
        let rows = crate::sql::query(
            "SELECT * FROM voucher_rounds WHERE ($1 < 0 OR scheme_id = $1) ORDER BY year DESC, id DESC",
        )
        .bind(scheme_id.unwrap_or(-1))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(round).collect()
    }

    pub async fn voucher_round_get(&self, id: i64) -> Result<Option<RoundRow>> {
        let r = crate::sql::query("SELECT * FROM voucher_rounds WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(round).transpose()
    }

    pub async fn voucher_providers(&self) -> Result<Vec<ProviderRow>> {
        let rows = crate::sql::query("SELECT * FROM voucher_providers ORDER BY id")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(provider).collect()
    }

    pub async fn voucher_provider_get(&self, id: i64) -> Result<Option<ProviderRow>> {
        let r = crate::sql::query("SELECT * FROM voucher_providers WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(provider).transpose()
    }

    pub async fn voucher_provider_of_user(&self, user_id: i64) -> Result<Option<ProviderRow>> {
        let r = crate::sql::query("SELECT * FROM voucher_providers WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(provider).transpose()
    }

    pub async fn voucher_provider_by_uscc(&self, uscc: &str) -> Result<Option<ProviderRow>> {
        let r = crate::sql::query("SELECT * FROM voucher_providers WHERE uscc = $1")
            .bind(uscc)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(provider).transpose()
    }

    /// Every related-party record, by provider then enterprise.
    pub async fn voucher_related_all(&self) -> Result<Vec<RelatedRow>> {
        let rows = crate::sql::query(
            "SELECT p.uscc AS provider_uscc, p.name AS provider_name, e.uscc AS enterprise_uscc, e.name AS enterprise_name, r.note, r.created_at \
             FROM voucher_related_parties r JOIN voucher_providers p ON p.id = r.provider_id JOIN enterprises e ON e.id = r.enterprise_id \
             ORDER BY p.uscc, e.uscc",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RelatedRow {
                    provider_uscc: r.try_get("provider_uscc")?,
                    provider_name: r.try_get("provider_name")?,
                    enterprise_uscc: r.try_get("enterprise_uscc")?,
                    enterprise_name: r.try_get("enterprise_name")?,
                    note: r.try_get("note")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Whether a provider is recorded as related to an enterprise.
    pub async fn voucher_related(&self, provider_id: i64, enterprise_id: i64) -> Result<bool> {
        let r = crate::sql::query(
            "SELECT 1 AS x FROM voucher_related_parties WHERE provider_id = $1 AND enterprise_id = $2",
        )
        .bind(provider_id)
        .bind(enterprise_id)
        .fetch_optional(self.reader())
        .await?;
        Ok(r.is_some())
    }

    pub async fn voucher_get(&self, id: i64) -> Result<Option<VoucherRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {VOUCHER_COLS} FROM {VOUCHER_FROM} WHERE v.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(voucher).transpose()
    }

    /// Vouchers, optionally of one scheme and/or one enterprise, newest first.
    pub async fn voucher_list(
        &self,
        scheme_id: Option<i64>,
        enterprise_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<VoucherRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT {VOUCHER_COLS} FROM {VOUCHER_FROM} WHERE ($1 < 0 OR v.scheme_id = $1) AND ($2 < 0 OR v.enterprise_id = $2) \
             ORDER BY v.id DESC LIMIT $3"
        ))
        .bind(scheme_id.unwrap_or(-1))
        .bind(enterprise_id.unwrap_or(-1))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(voucher).collect()
    }

    pub async fn voucher_redemption_get(&self, id: i64) -> Result<Option<RedemptionRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {REDEMPTION_COLS} FROM {REDEMPTION_FROM} WHERE d.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(redemption).transpose()
    }

    /// The redemption a provider filed under `key`, if any (idempotent submission).
    pub async fn voucher_redemption_by_key(
        &self,
        provider_id: i64,
        key: &str,
    ) -> Result<Option<RedemptionRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {REDEMPTION_COLS} FROM {REDEMPTION_FROM} WHERE d.provider_id = $1 AND d.request_key = $2"
        ))
        .bind(provider_id)
        .bind(key)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(redemption).transpose()
    }

    /// The live or written-off redemption of a provider's contract, if any.
    pub async fn voucher_redemption_by_contract(
        &self,
        provider_id: i64,
        contract_no: &str,
    ) -> Result<Option<RedemptionRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {REDEMPTION_COLS} FROM {REDEMPTION_FROM} WHERE d.provider_id = $1 AND d.contract_key = $2"
        ))
        .bind(provider_id)
        .bind(contract_no)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(redemption).transpose()
    }

    pub async fn voucher_redemptions(&self, f: &RedemptionFilter) -> Result<Vec<RedemptionRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT {REDEMPTION_COLS} FROM {REDEMPTION_FROM} WHERE ($1 < 0 OR d.provider_id = $1) AND ($2 < 0 OR d.enterprise_id = $2) \
             AND ($3 < 0 OR d.scheme_id = $3) AND ($4 = '' OR d.status = $4) ORDER BY d.id DESC LIMIT $5"
        ))
        .bind(f.provider_id.unwrap_or(-1))
        .bind(f.enterprise_id.unwrap_or(-1))
        .bind(f.scheme_id.unwrap_or(-1))
        .bind(f.status.clone().unwrap_or_default())
        .bind(if f.limit > 0 { f.limit } else { 500 })
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(redemption).collect()
    }

    /// The figures of every scheme, each summed from its own records (see [`SchemeFigures`]).
    ///
    /// The sums are widened ([`crate::bounds::wide_sum`]), so stored amounts beyond the input
    /// bound can never fail this query: a scheme whose sums do not fit an `i64` gets clamped
    /// figures and `overflow = true`, and every other scheme reads normally.
    pub async fn voucher_figures(&self) -> Result<Vec<SchemeFigures>> {
        use crate::bounds::{wide, wide_sum};
        use std::collections::HashMap;
        #[derive(Default)]
        struct Acc {
            pool: i128,
            round_issued: i128,
            issued: i128,
            expired: i128,
            v_redeemed: i128,
            v_held: i128,
            redeemed: i128,
            held: i128,
        }
        let mut acc: HashMap<i64, Acc> = HashMap::new();
        let rounds = crate::sql::query(&format!(
            "SELECT scheme_id, {}, {} FROM voucher_rounds GROUP BY scheme_id",
            wide_sum("pool_fen", "pool"),
            wide_sum("issued_fen", "issued"),
        ))
        .fetch_all(self.reader())
        .await?;
        for r in &rounds {
            let a = acc.entry(r.try_get("scheme_id")?).or_default();
            a.pool = wide(r, "pool")?;
            a.round_issued = wide(r, "issued")?;
        }
        let vouchers = crate::sql::query(&format!(
            "SELECT scheme_id, {}, {}, {}, {} FROM vouchers GROUP BY scheme_id",
            wide_sum("amount_fen", "amount"),
            wide_sum("expired_fen", "expired"),
            wide_sum("redeemed_fen", "redeemed"),
            wide_sum("held_fen", "held"),
        ))
        .fetch_all(self.reader())
        .await?;
        for r in &vouchers {
            let a = acc.entry(r.try_get("scheme_id")?).or_default();
            a.issued = wide(r, "amount")?;
            a.expired = wide(r, "expired")?;
            a.v_redeemed = wide(r, "redeemed")?;
            a.v_held = wide(r, "held")?;
        }
        let redemptions = crate::sql::query(&format!(
            "SELECT scheme_id, CASE WHEN status = 'written_off' THEN 1 ELSE 0 END AS done, {} \
             FROM voucher_redemptions WHERE status IN ('submitted', 'confirmed', 'written_off') \
             GROUP BY scheme_id, CASE WHEN status = 'written_off' THEN 1 ELSE 0 END",
            wide_sum("amount_fen", "amount"),
        ))
        .fetch_all(self.reader())
        .await?;
        for r in &redemptions {
            let a = acc.entry(r.try_get("scheme_id")?).or_default();
            let done: i64 = r.try_get("done")?;
            if done == 1 {
                a.redeemed = wide(r, "amount")?;
            } else {
                a.held = wide(r, "amount")?;
            }
        }
        let ids = crate::sql::query("SELECT id FROM voucher_schemes ORDER BY id")
            .fetch_all(self.reader())
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for r in &ids {
            let id: i64 = r.try_get("id")?;
            let a = acc.remove(&id).unwrap_or_default();
            let mut overflow = false;
            let mut fit = |v: i128| {
                let (x, o) = crate::bounds::saturate(v);
                overflow |= o;
                x
            };
            let figures = Figures {
                pool_fen: fit(a.pool),
                issued_fen: fit(a.issued),
                redeemed_fen: fit(a.redeemed),
                outstanding_fen: fit(a.issued - a.v_redeemed - a.expired),
                expired_fen: fit(a.expired),
                held_fen: fit(a.held),
            };
            out.push(SchemeFigures {
                scheme_id: id,
                figures,
                round_issued_fen: fit(a.round_issued),
                voucher_redeemed_fen: fit(a.v_redeemed),
                voucher_held_fen: fit(a.v_held),
                overflow,
            });
        }
        Ok(out)
    }
}
