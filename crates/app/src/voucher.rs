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

use crate::registry::entry;
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
    pub kind: String,
    pub kind_label: String,
    pub name: String,
    pub issuer: String,
    pub legal_ref: String,
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

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SchemeInput {
    pub code: String,
    pub kind: String,
    pub name: String,
    pub issuer: String,
    pub legal_ref: String,
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
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::money::yuan_schema))]
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
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::money::yuan_schema))]
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
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::money::yuan_schema))]
    pub invoice_yuan: String,
    /// `domestic` | `other` (compute vouchers).
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

impl App {
    async fn scheme_view(
        &self,
        s: SchemeRow,
        figures: Option<&SchemeFigures>,
    ) -> AppResult<SchemeView> {
        let rules = rules_of(&s)?;
        let rounds = self
            .db
            .voucher_rounds(Some(s.id))
            .await?
            .into_iter()
            .map(round_view)
            .collect();
        let figures_overflow = figures.is_some_and(|f| f.overflow);
        let figures = figures.map(|f| f.figures).unwrap_or_default();
        let kind = SchemeKind::parse(&s.kind).ok();
        Ok(SchemeView {
            id: s.id,
            kind_label: kind.map(|k| k.label_zh()).unwrap_or("").to_string(),
            code: s.code,
            kind: s.kind,
            name: s.name,
            issuer: s.issuer,
            legal_ref: s.legal_ref,
            status: s.status,
            rules,
            available_fen: figures.available_fen(),
            figures,
            rounds,
            figures_overflow,
        })
    }

    /// Every scheme with its figures computed from the records.
    pub async fn voucher_schemes(&self, actor: &Actor) -> AppResult<Vec<SchemeView>> {
        perm::view_schemes(actor)?;
        let figs = self.db.voucher_figures().await?;
        let mut out = Vec::new();
        for s in self.db.voucher_schemes().await? {
            let f = figs.iter().find(|f| f.scheme_id == s.id);
            out.push(self.scheme_view(s, f).await?);
        }
        Ok(out)
    }

    /// One scheme by id or code.
    pub async fn voucher_scheme(&self, actor: &Actor, key: &str) -> AppResult<SchemeView> {
        perm::view_schemes(actor)?;
        let s = self.scheme_row(key).await?;
        let figs = self.db.voucher_figures().await?;
        let f = figs.iter().find(|f| f.scheme_id == s.id);
        self.scheme_view(s, f).await
    }

    async fn scheme_row(&self, key: &str) -> AppResult<SchemeRow> {
        let key = key.trim();
        let found = match key.parse::<i64>() {
            Ok(id) => self.db.voucher_scheme_get(id).await?,
            Err(_) => self.db.voucher_scheme_by_code(key).await?,
        };
        found.ok_or_else(|| AppError::NotFound(format!("voucher scheme {key}")))
    }

    /// Create a scheme (rules validated first).
    pub async fn voucher_scheme_create(
        &self,
        actor: &Actor,
        inp: &SchemeInput,
    ) -> AppResult<SchemeView> {
        perm::manage(actor)?;
        let kind = SchemeKind::parse(&inp.kind).map_err(AppError::from_invalid)?;
        let code = inp.code.trim();
        if code.is_empty()
            || code.len() > 64
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(bad(
                "voucher_code_invalid",
                "券种代码须为1–64位字母、数字或 - _ .",
                "the scheme code must be 1–64 letters, digits or - _ .",
            ));
        }
        if inp.name.trim().is_empty() {
            return Err(bad(
                "voucher_name_required",
                "请填写券种名称",
                "the scheme name is required",
            ));
        }
        inp.rules.validate().map_err(AppError::from_invalid)?;
        let status = inp.status.clone().unwrap_or_else(|| "active".into());
        if !matches!(status.as_str(), "active" | "closed" | "draft") {
            return Err(bad(
                "voucher_status_invalid",
                "状态须为 active、closed 或 draft",
                "status must be active, closed or draft",
            ));
        }
        let rules_json =
            serde_json::to_string(&inp.rules).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        let id = voucher_scheme_insert(
            tx.conn(),
            &SchemeWrite {
                code: code.into(),
                kind: kind.as_str().into(),
                name: inp.name.trim().into(),
                issuer: inp.issuer.trim().into(),
                legal_ref: inp.legal_ref.trim().into(),
                rules_json: rules_json.clone(),
                status,
            },
        )
        .await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.scheme_create",
                "voucher_scheme",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"code": code, "kind": kind.as_str(), "rules": inp.rules})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.voucher_scheme(actor, &id.to_string()).await
    }

    /// Replace a scheme's rules (and status); existing redemptions keep the amount computed then.
    pub async fn voucher_scheme_rules(
        &self,
        actor: &Actor,
        key: &str,
        rules: &SchemeRules,
        status: Option<&str>,
    ) -> AppResult<SchemeView> {
        perm::manage(actor)?;
        let s = self.scheme_row(key).await?;
        rules.validate().map_err(AppError::from_invalid)?;
        let status = status.unwrap_or(&s.status).to_string();
        if !matches!(status.as_str(), "active" | "closed" | "draft") {
            return Err(bad(
                "voucher_status_invalid",
                "状态须为 active、closed 或 draft",
                "status must be active, closed or draft",
            ));
        }
        let json = serde_json::to_string(rules).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        voucher_scheme_update(tx.conn(), s.id, &json, &status).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.scheme_rules",
                "voucher_scheme",
                Some(s.id.to_string()),
                serde_json::from_str(&s.rules_json).ok(),
                Some(serde_json::json!({"rules": rules, "status": status})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.voucher_scheme(actor, &s.id.to_string()).await
    }

    /// Open a round with a pool budget.
    pub async fn voucher_round_create(
        &self,
        actor: &Actor,
        scheme: &str,
        inp: &RoundInput,
    ) -> AppResult<RoundView> {
        perm::manage(actor)?;
        let s = self.scheme_row(scheme).await?;
        let rules = rules_of(&s)?;
        let pool = bounded_fen("pool_yuan", &inp.pool_yuan)?;
        if inp.year != 0 && !(2000..=2100).contains(&inp.year) {
            return Err(bad(
                "voucher_round_year",
                "年度须在2000至2100之间",
                "the year must be 2000–2100",
            ));
        }
        let opens = date("opens_on", &inp.opens_on)?;
        let closes = date("closes_on", &inp.closes_on)?;
        let valid = match inp.valid_until.as_deref().filter(|v| !v.trim().is_empty()) {
            Some(v) => date("valid_until", v)?,
            None => chrono::TimeDelta::try_days(rules.validity_days.max(0))
                .and_then(|d| closes.checked_add_signed(d))
                .ok_or_else(|| {
                    bad(
                        "voucher_round_dates",
                        "有效期超出日期范围",
                        "the validity runs past the calendar",
                    )
                })?,
        };
        if closes < opens || valid < closes {
            return Err(bad(
                "voucher_round_dates",
                "日期顺序应为 开始 ≤ 截止 ≤ 有效期",
                "dates must satisfy opens_on ≤ closes_on ≤ valid_until",
            ));
        }
        let year = if inp.year > 0 {
            inp.year
        } else {
            opens.year() as i64
        };
        let name = if inp.name.trim().is_empty() {
            format!("{year}年度")
        } else {
            inp.name.trim().to_string()
        };
        let w = RoundWrite {
            scheme_id: s.id,
            name,
            year,
            pool_fen: pool,
            opens_on: opens.to_string(),
            closes_on: closes.to_string(),
            valid_until: valid.to_string(),
        };
        let mut tx = self.db.begin().await?;
        let id = voucher_round_insert(tx.conn(), &w).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.round_create",
                "voucher_round",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"scheme": s.code, "name": w.name, "year": year, "pool_fen": pool,
                    "opens_on": w.opens_on, "closes_on": w.closes_on, "valid_until": w.valid_until})),
            ),
        )
        .await?;
        tx.commit().await?;
        let r = self
            .db
            .voucher_round_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("voucher round {id}")))?;
        Ok(round_view(r))
    }

    /// The round of a scheme in `year`; `round_id` picks one when the year has several
    /// (`voucher_round_ambiguous`, 409, lists them otherwise).
    async fn round_of(
        &self,
        s: &SchemeRow,
        year: i64,
        round_id: Option<i64>,
    ) -> AppResult<RoundRow> {
        let mut found: Vec<RoundRow> = self
            .db
            .voucher_rounds(Some(s.id))
            .await?
            .into_iter()
            .filter(|r| r.year == year && round_id.is_none_or(|id| r.id == id))
            .collect();
        match found.len() {
            0 => Err(AppError::NotFound(format!(
                "voucher round {year} of {}",
                s.code
            ))),
            1 => Ok(found.remove(0)),
            _ => {
                let ids: Vec<String> = found.iter().map(|r| r.id.to_string()).collect();
                Err(refused(
                    "voucher_round_ambiguous",
                    format!(
                        "{year}年度有多个批次（编号 {}），请用 round_id 指定",
                        ids.join("、")
                    ),
                    format!(
                        "{year} has several rounds (ids {}); give round_id",
                        ids.join(", ")
                    ),
                ))
            }
        }
    }

    /// Correct a round's pool (e.g. a pool typed wrong, or stored beyond the bound before the
    /// bound existed). The new pool is bounded like a new one and must cover the quota already
    /// granted (`voucher_pool_below_issued`). Audited with the pool before and after.
    pub async fn voucher_round_set_pool(
        &self,
        actor: &Actor,
        scheme: &str,
        year: i64,
        round_id: Option<i64>,
        pool_yuan: &str,
        reason: &str,
    ) -> AppResult<RoundView> {
        perm::manage(actor)?;
        let s = self.scheme_row(scheme).await?;
        let r = self.round_of(&s, year, round_id).await?;
        let pool = bounded_fen("pool_yuan", pool_yuan)?;
        let reason = reason.trim();
        let mut tx = self.db.begin().await?;
        if !voucher_round_set_pool(tx.conn(), r.id, pool).await? {
            let committed = r.issued_fen.saturating_sub(r.expired_fen);
            return Err(refused(
                "voucher_pool_below_issued",
                format!("资金池不能低于已发放额度 {}", money_text(committed)),
                format!(
                    "the pool cannot be below the quota already granted, {}",
                    money_text(committed)
                ),
            ));
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.round_pool",
                "voucher_round",
                Some(r.id.to_string()),
                Some(serde_json::json!({"pool_fen": r.pool_fen})),
                Some(serde_json::json!({"scheme": s.code, "year": r.year, "pool_fen": pool, "reason": reason})),
            ),
        )
        .await?;
        tx.commit().await?;
        let r = self
            .db
            .voucher_round_get(r.id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("voucher round {}", r.id)))?;
        Ok(round_view(r))
    }

    /// Close a round on `today`: no grants after yesterday, and the pool shrinks to the quota
    /// already granted (net of expiry), releasing the rest; granted vouchers stay usable until
    /// their date. Repairs a round whose pool was stored beyond the bound. Audited.
    pub async fn voucher_round_close(
        &self,
        actor: &Actor,
        scheme: &str,
        year: i64,
        round_id: Option<i64>,
        today: NaiveDate,
    ) -> AppResult<RoundView> {
        perm::manage(actor)?;
        let s = self.scheme_row(scheme).await?;
        let r = self.round_of(&s, year, round_id).await?;
        let last = today.pred_opt().unwrap_or(today).to_string();
        let mut tx = self.db.begin().await?;
        let after = voucher_round_close(tx.conn(), r.id, &last)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("voucher round {}", r.id)))?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.round_close",
                "voucher_round",
                Some(r.id.to_string()),
                Some(serde_json::json!({"pool_fen": r.pool_fen, "opens_on": r.opens_on, "closes_on": r.closes_on})),
                Some(serde_json::json!({"scheme": s.code, "year": r.year, "pool_fen": after.pool_fen,
                    "opens_on": after.opens_on, "closes_on": after.closes_on})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(round_view(after))
    }

    /// Grant quota (发券) to an enterprise from a round's pool, on `today`.
    pub async fn voucher_grant(
        &self,
        actor: &Actor,
        inp: &GrantInput,
        today: NaiveDate,
    ) -> AppResult<VoucherView> {
        perm::manage(actor)?;
        let amount = bounded_fen("amount_yuan", &inp.amount_yuan)?;
        let round = self
            .db
            .voucher_round_get(inp.round_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("voucher round {}", inp.round_id)))?;
        let s = self.scheme_row(&round.scheme_id.to_string()).await?;
        if s.status != "active" {
            return Err(refused(
                "voucher_scheme_closed",
                "该券种未在发放期",
                "the scheme is not active",
            ));
        }
        let today_s = today.to_string();
        if today_s < round.opens_on || today_s > round.closes_on {
            return Err(refused(
                "voucher_round_closed",
                format!("本轮申领期为 {} 至 {}", round.opens_on, round.closes_on),
                format!(
                    "the round takes applications from {} to {}",
                    round.opens_on, round.closes_on
                ),
            ));
        }
        let rules = rules_of(&s)?;
        let ent = self
            .db
            .enterprise_by_uscc(inp.enterprise.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enterprise {}", inp.enterprise.trim())))?;
        let mut tx = self.db.begin().await?;
        if let Some(cap) = rules.annual_cap_fen {
            // Lock the enterprise's usage row of the year first: grants to one enterprise in
            // one scheme and year then run one at a time, so the cap holds under concurrency.
            voucher_usage_lock(tx.conn(), ent.id, s.id, round.year, 0).await?;
            let granted = voucher_granted_in_year(tx.conn(), s.id, ent.id, round.year).await?;
            if granted.saturating_add(amount) > cap {
                return Err(refused(
                    "voucher_annual_cap_exceeded",
                    format!(
                        "超过年度上限：本年已发 {}，本次 {}，上限 {}",
                        money_text(granted),
                        money_text(amount),
                        money_text(cap)
                    ),
                    format!(
                        "over the annual cap: {} granted this year, {} now, cap {}",
                        money_text(granted),
                        money_text(amount),
                        money_text(cap)
                    ),
                ));
            }
        }
        if !voucher_round_issue(tx.conn(), round.id, amount).await? {
            return Err(refused(
                "voucher_pool_exhausted",
                format!("本轮资金池余额不足（本次 {}）", money_text(amount)),
                format!("the round's pool cannot cover {}", money_text(amount)),
            ));
        }
        let id = match voucher_insert(
            tx.conn(),
            &VoucherWrite {
                round_id: round.id,
                scheme_id: s.id,
                enterprise_id: ent.id,
                amount_fen: amount,
                valid_until: round.valid_until.clone(),
            },
        )
        .await
        {
            Ok(id) => id,
            Err(lianshi_store::StoreError::Conflict(_)) => {
                return Err(refused(
                    "voucher_already_granted",
                    "该企业在本轮已领券",
                    "the enterprise already holds a voucher of this round",
                ));
            }
            Err(e) => return Err(e.into()),
        };
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.grant",
                "voucher",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"round_id": round.id, "scheme": s.code, "enterprise": ent.uscc,
                    "amount_fen": amount, "valid_until": round.valid_until})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.voucher_one(actor, id).await
    }

    /// One voucher.
    pub async fn voucher_one(&self, actor: &Actor, id: i64) -> AppResult<VoucherView> {
        let v = self
            .db
            .voucher_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("voucher {id}")))?;
        perm::view_enterprise(actor, v.enterprise_id)?;
        Ok(v.into())
    }

    /// Vouchers of a scheme (staff).
    pub async fn voucher_list(
        &self,
        actor: &Actor,
        scheme: Option<&str>,
    ) -> AppResult<Vec<VoucherView>> {
        perm::view_all(actor)?;
        let sid = match scheme.filter(|s| !s.trim().is_empty()) {
            Some(k) => Some(self.scheme_row(k).await?.id),
            None => None,
        };
        Ok(self
            .db
            .voucher_list(sid, None, 2000)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// An enterprise's vouchers and redemptions; an enterprise user gets its own.
    pub async fn voucher_enterprise(
        &self,
        actor: &Actor,
        uscc: Option<&str>,
        en: bool,
    ) -> AppResult<EnterpriseVouchers> {
        let ent = match uscc.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => self.db.enterprise_by_uscc(u).await?,
            None => match actor.enterprise_id {
                Some(id) => self.db.enterprise_by_id(id).await?,
                None => {
                    return Err(bad(
                        "enterprise_required",
                        "请指定企业",
                        "an enterprise is required",
                    ));
                }
            },
        }
        .ok_or_else(|| AppError::NotFound("enterprise".into()))?;
        perm::view_enterprise(actor, ent.id)?;
        let vouchers = self
            .db
            .voucher_list(None, Some(ent.id), 1000)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        let redemptions = self
            .db
            .voucher_redemptions(&RedemptionFilter {
                enterprise_id: Some(ent.id),
                ..Default::default()
            })
            .await?
            .into_iter()
            .map(|r| view(r, false, en))
            .collect();
        Ok(EnterpriseVouchers {
            enterprise_id: ent.id,
            enterprise_name: ent.name,
            vouchers,
            redemptions,
        })
    }

    /// Register a service provider, optionally linked to a `provider` user account.
    pub async fn voucher_provider_register(
        &self,
        actor: &Actor,
        inp: &ProviderInput,
    ) -> AppResult<ProviderRow> {
        perm::manage(actor)?;
        let uscc = lianshi_domain::Uscc::parse(inp.uscc.trim()).map_err(AppError::from_invalid)?;
        if inp.name.trim().is_empty() {
            return Err(bad(
                "voucher_provider_name",
                "请填写服务商名称",
                "the provider name is required",
            ));
        }
        let mut kinds = Vec::new();
        for k in &inp.kinds {
            kinds.push(
                SchemeKind::parse(k)
                    .map_err(AppError::from_invalid)?
                    .as_str(),
            );
        }
        if kinds.is_empty() {
            return Err(bad(
                "voucher_provider_kinds",
                "请选择服务商可承接的券种",
                "choose the voucher kinds the provider serves",
            ));
        }
        let user_id = match inp
            .username
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            Some(u) => {
                let user = self
                    .db
                    .user_by_username(u)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("user {u}")))?;
                if user.role != Role::Provider.as_str() {
                    return Err(bad(
                        "voucher_provider_role",
                        "关联账号的角色须为服务商",
                        "the linked account must have the provider role",
                    ));
                }
                Some(user.id)
            }
            None => None,
        };
        let mut tx = self.db.begin().await?;
        let id = voucher_provider_insert(
            tx.conn(),
            user_id,
            inp.name.trim(),
            uscc.as_str(),
            &kinds.join(","),
        )
        .await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.provider_register",
                "voucher_provider",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"name": inp.name.trim(), "uscc": uscc.as_str(), "kinds": kinds, "user_id": user_id})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.db
            .voucher_provider_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("provider {id}")))
    }

    /// Registered providers (staff).
    pub async fn voucher_providers(&self, actor: &Actor) -> AppResult<Vec<ProviderRow>> {
        perm::view_all(actor)?;
        Ok(self.db.voucher_providers().await?)
    }

    /// The provider record of a provider user.
    pub async fn voucher_provider_me(&self, actor: &Actor) -> AppResult<ProviderRow> {
        let not = || {
            refused(
                "voucher_provider_not_registered",
                "当前账号未登记为券服务商",
                "this account is not a registered voucher provider",
            )
        };
        if actor.role != Role::Provider {
            return Err(AppError::Forbidden);
        }
        let uid = actor.user_id.ok_or_else(not)?;
        let p = self
            .db
            .voucher_provider_of_user(uid)
            .await?
            .ok_or_else(not)?;
        if !p.active {
            return Err(refused(
                "voucher_provider_inactive",
                "该服务商已停用，不能提交兑付",
                "this provider is deactivated and cannot submit redemptions",
            ));
        }
        Ok(p)
    }

    /// Record a provider and an enterprise as related parties (关联方): their redemptions are refused.
    pub async fn voucher_related_add(
        &self,
        actor: &Actor,
        provider_uscc: &str,
        enterprise_uscc: &str,
        note: &str,
    ) -> AppResult<()> {
        perm::manage(actor)?;
        let (p, e) = self.related_pair(provider_uscc, enterprise_uscc).await?;
        let mut tx = self.db.begin().await?;
        voucher_related_insert(tx.conn(), p.id, e.id, note.trim()).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.related_add",
                "voucher_provider",
                Some(p.id.to_string()),
                None,
                Some(serde_json::json!({"enterprise": e.uscc, "note": note.trim()})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every related-party record (staff).
    pub async fn voucher_related_list(&self, actor: &Actor) -> AppResult<Vec<RelatedRow>> {
        perm::view_all(actor)?;
        Ok(self.db.voucher_related_all().await?)
    }

    /// Remove a related-party record entered by mistake; the pair may redeem again. 404 when
    /// there is no such record.
    pub async fn voucher_related_remove(
        &self,
        actor: &Actor,
        provider_uscc: &str,
        enterprise_uscc: &str,
    ) -> AppResult<()> {
        perm::manage(actor)?;
        let (p, e) = self.related_pair(provider_uscc, enterprise_uscc).await?;
        let mut tx = self.db.begin().await?;
        if !voucher_related_remove(tx.conn(), p.id, e.id).await? {
            return Err(AppError::NotFound(format!(
                "related party {} / {}",
                p.uscc, e.uscc
            )));
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.related_remove",
                "voucher_provider",
                Some(p.id.to_string()),
                Some(serde_json::json!({"enterprise": e.uscc})),
                None,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn related_pair(
        &self,
        provider_uscc: &str,
        enterprise_uscc: &str,
    ) -> AppResult<(ProviderRow, lianshi_store::enterprise::EnterpriseRow)> {
        let p = self
            .db
            .voucher_provider_by_uscc(provider_uscc.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("provider {provider_uscc}")))?;
        let e = self
            .db
            .enterprise_by_uscc(enterprise_uscc.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enterprise {enterprise_uscc}")))?;
        Ok((p, e))
    }

    /// Deactivate a provider (its account can no longer submit redemptions; those already
    /// submitted go on) or activate it again. Returns the provider as it now is.
    pub async fn voucher_provider_set_active(
        &self,
        actor: &Actor,
        provider_uscc: &str,
        active: bool,
    ) -> AppResult<ProviderRow> {
        perm::manage(actor)?;
        let p = self
            .db
            .voucher_provider_by_uscc(provider_uscc.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("provider {provider_uscc}")))?;
        let mut tx = self.db.begin().await?;
        if voucher_provider_set_active(tx.conn(), p.id, active).await? {
            audit_append(
                tx.conn(),
                &entry(
                    actor,
                    if active {
                        "voucher.provider_activate"
                    } else {
                        "voucher.provider_deactivate"
                    },
                    "voucher_provider",
                    Some(p.id.to_string()),
                    Some(serde_json::json!({"active": p.active})),
                    Some(serde_json::json!({"active": active})),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ProviderRow { active, ..p })
    }

    /// A provider submits a redemption on `today`. The same request key returns the first
    /// answer (`replayed: true`) without writing again.
    pub async fn voucher_redeem(
        &self,
        actor: &Actor,
        inp: &RedemptionInput,
        today: NaiveDate,
    ) -> AppResult<RedemptionView> {
        perm::submit(actor)?;
        let provider = match (actor.role, inp.provider.as_deref()) {
            (Role::Admin, Some(u)) if !u.trim().is_empty() => self
                .db
                .voucher_provider_by_uscc(u.trim())
                .await?
                .ok_or_else(|| AppError::NotFound(format!("provider {u}")))?,
            (Role::Provider, _) => self.voucher_provider_me(actor).await?,
            _ => return Err(AppError::Forbidden),
        };
        if !provider.active {
            return Err(refused(
                "voucher_provider_inactive",
                "该服务商已停用，不能提交兑付",
                "this provider is deactivated and cannot submit redemptions",
            ));
        }
        let key = inp.request_key.trim();
        if key.is_empty() || key.chars().count() > 100 {
            return Err(bad(
                "voucher_request_key_required",
                "请提供1–100字符的请求编号 request_key（防止重复提交）",
                "a request_key of 1–100 characters is required (it makes retries safe)",
            ));
        }
        let contract = inp.contract_no.trim();
        if let Some(prev) = self.db.voucher_redemption_by_key(provider.id, key).await? {
            return self.replay(prev, contract, inp);
        }
        if contract.is_empty() || contract.chars().count() > 100 {
            return Err(bad(
                "voucher_contract_required",
                "请填写合同编号（1–100字符）",
                "the contract number is required (1–100 characters)",
            ));
        }
        let invoice = bounded_fen("invoice_yuan", &inp.invoice_yuan)?;
        let compute = Compute::parse(&inp.compute).map_err(AppError::from_invalid)?;
        let service_type = inp.service_type.trim();
        if service_type.is_empty() {
            return Err(bad(
                "voucher_service_type_required",
                "请填写服务类型",
                "the service type is required",
            ));
        }
        let ent = self
            .db
            .enterprise_by_uscc(inp.enterprise.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enterprise {}", inp.enterprise.trim())))?;
        let s = self.scheme_row(&inp.scheme).await?;
        let rules = rules_of(&s)?;
        if s.status != "active" {
            return Err(refused(
                "voucher_scheme_closed",
                "该券种已停止兑付",
                "the scheme takes no redemptions",
            ));
        }
        if !provider.kinds.split(',').any(|k| k == s.kind) {
            return Err(refused(
                "voucher_provider_not_registered",
                "该服务商未登记承接此券种",
                "the provider is not registered for this voucher kind",
            ));
        }
        if provider.uscc == ent.uscc || self.db.voucher_related(provider.id, ent.id).await? {
            return Err(refused(
                "voucher_related_party",
                "服务商与企业为关联方，不得兑付",
                "the provider and the enterprise are related parties",
            ));
        }
        if let Some(prev) = self
            .db
            .voucher_redemption_by_contract(provider.id, contract)
            .await?
        {
            // A concurrent request with the same key may have committed since the key check.
            if prev.request_key == key {
                return self.replay(prev, contract, inp);
            }
            return Err(duplicate_contract(contract));
        }
        let today_s = today.to_string();
        let vouchers = self.db.voucher_list(Some(s.id), Some(ent.id), 1000).await?;
        let mut usable: Vec<&VoucherRow> = vouchers
            .iter()
            .filter(|v| v.status == "active" && v.valid_until >= today_s)
            .collect();
        if usable.is_empty() {
            return Err(if vouchers.is_empty() {
                refused(
                    "voucher_not_granted",
                    "该企业未领取此券种的券",
                    "the enterprise holds no voucher of this scheme",
                )
            } else {
                refused(
                    "voucher_expired",
                    "该企业的券已过有效期",
                    "the enterprise's voucher has expired",
                )
            });
        }
        usable.sort_by(|a, b| a.valid_until.cmp(&b.valid_until).then(a.id.cmp(&b.id)));
        let year = today.year() as i64;
        let mut tx = self.db.begin().await?;
        let (contracts_before, used_before) =
            voucher_usage_lock(tx.conn(), ent.id, s.id, year, invoice).await?;
        let c = dv::compute(
            &rules,
            &RedemptionFacts {
                invoice_fen: invoice,
                compute,
                service_type: service_type.to_string(),
                size: ent.size_band.clone(),
                contracts_before_fen: contracts_before,
                used_before_fen: used_before,
            },
        )
        .map_err(|e| {
            if e.code == "voucher_amount_not_positive" {
                AppError::from_invalid(e)
            } else {
                AppError::Refused {
                    code: e.code,
                    zh: e.zh,
                    en: e.en,
                }
            }
        })?;
        if c.amount_fen <= 0 {
            return Err(refused(
                "voucher_amount_not_positive",
                "按比例计算的券额为零",
                "the computed voucher amount is zero",
            ));
        }
        if !voucher_usage_use(
            tx.conn(),
            ent.id,
            s.id,
            year,
            c.amount_fen,
            rules.annual_cap_fen,
        )
        .await?
        {
            return Err(refused(
                "voucher_annual_cap_exceeded",
                "超过年度上限",
                "over the annual cap",
            ));
        }
        let mut held = None;
        for v in &usable {
            if voucher_hold(tx.conn(), v.id, c.amount_fen, &today_s).await? {
                held = Some(v.id);
                break;
            }
        }
        let Some(voucher_id) = held else {
            let free: i64 = usable
                .iter()
                .map(|v| VoucherView::from((*v).clone()).free_fen)
                .fold(0i64, i64::saturating_add);
            return Err(refused(
                "voucher_balance_insufficient",
                format!(
                    "券余额不足：可用约 {}，本次需 {}",
                    money_text(free),
                    money_text(c.amount_fen)
                ),
                format!(
                    "voucher balance too low: about {} free, {} needed",
                    money_text(free),
                    money_text(c.amount_fen)
                ),
            ));
        };
        let w = RedemptionWrite {
            voucher_id,
            scheme_id: s.id,
            enterprise_id: ent.id,
            provider_id: provider.id,
            request_key: key.to_string(),
            contract_no: contract.to_string(),
            invoice_fen: invoice,
            compute: compute.map(|c| c.as_str().to_string()),
            service_type: service_type.to_string(),
            tier: c.tier.clone(),
            rate_bp: c.rate_bp,
            amount_fen: c.amount_fen,
            explain: format!("{} / {}", c.explain_zh, c.explain_en),
            year,
        };
        let id = match voucher_redemption_insert(tx.conn(), &w).await {
            Ok(id) => id,
            Err(lianshi_store::StoreError::Conflict(_)) => {
                drop(tx);
                // A concurrent request with the same key or contract won.
                if let Some(prev) = self.db.voucher_redemption_by_key(provider.id, key).await? {
                    return self.replay(prev, contract, inp);
                }
                return Err(duplicate_contract(contract));
            }
            Err(e) => return Err(e.into()),
        };
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "voucher.redeem",
                "voucher_redemption",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"voucher_id": voucher_id, "enterprise": ent.uscc, "provider": provider.uscc,
                    "contract_no": contract, "invoice_fen": invoice, "tier": c.tier, "amount_fen": c.amount_fen,
                    "request_key": key})),
            ),
        )
        .await?;
        match tx.commit().await {
            Ok(()) => {}
            Err(e) => {
                // Lost a race at commit time (PostgreSQL unique check): answer as a replay if so.
                if let Some(prev) = self.db.voucher_redemption_by_key(provider.id, key).await? {
                    return self.replay(prev, contract, inp);
                }
                return Err(e.into());
            }
        }
        let r = self
            .db
            .voucher_redemption_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("redemption {id}")))?;
        Ok(view(r, false, false))
    }

    fn replay(
        &self,
        prev: RedemptionRow,
        contract: &str,
        inp: &RedemptionInput,
    ) -> AppResult<RedemptionView> {
        let same_amount = dv::parse_invoice_yuan(&inp.invoice_yuan).ok() == Some(prev.invoice_fen);
        if (!contract.is_empty() && contract != prev.contract_no) || !same_amount {
            return Err(refused(
                "voucher_request_key_reused",
                "该请求编号已用于另一份兑付申请",
                "this request key was used for a different redemption",
            ));
        }
        Ok(view(prev, true, false))
    }

    /// Confirm, write off or reject a redemption. Repeating the step that already happened
    /// returns the redemption unchanged (`replayed: true`): a write-off is never done twice.
    pub async fn voucher_redemption_act(
        &self,
        actor: &Actor,
        id: i64,
        action: RedemptionAction,
        reason: Option<&str>,
        today: NaiveDate,
    ) -> AppResult<RedemptionView> {
        let r = self
            .db
            .voucher_redemption_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("redemption {id}")))?;
        let state = RedemptionState::parse(&r.status)
            .ok_or_else(|| AppError::Internal(format!("redemption {id} state {}", r.status)))?;
        match action {
            RedemptionAction::Confirm => perm::confirm(actor, r.enterprise_id)?,
            RedemptionAction::WriteOff => perm::manage(actor)?,
            RedemptionAction::Reject => {
                perm::reject(actor, r.enterprise_id, state == RedemptionState::Submitted)?
            }
        }
        let target = match action {
            RedemptionAction::Confirm => RedemptionState::Confirmed,
            RedemptionAction::WriteOff => RedemptionState::WrittenOff,
            RedemptionAction::Reject => RedemptionState::Rejected,
        };
        if state == target {
            return Ok(view(r, true, false));
        }
        let next = state.next(action).map_err(|e| AppError::Refused {
            code: e.code,
            zh: e.zh,
            en: e.en,
        })?;
        let reason = reason.map(str::trim).filter(|s| !s.is_empty());
        if next == RedemptionState::Rejected && reason.is_none() {
            return Err(bad(
                "voucher_reason_required",
                "退回须填写原因",
                "a reason is required to reject",
            ));
        }
        if action == RedemptionAction::Confirm {
            let v = self
                .db
                .voucher_get(r.voucher_id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("voucher {}", r.voucher_id)))?;
            if v.status != "active" || v.valid_until < today.to_string() {
                return Err(refused(
                    "voucher_expired",
                    "券已过有效期，不能确认",
                    "the voucher has expired; the redemption cannot be confirmed",
                ));
            }
        }
        let mut tx = self.db.begin().await?;
        if !voucher_redemption_step(tx.conn(), id, state.as_str(), next.as_str(), reason).await? {
            drop(tx);
            // Someone acted first: the same step is a replay, anything else a conflict.
            if let Some(now) = self.db.voucher_redemption_get(id).await?
                && now.status == next.as_str()
            {
                return Ok(view(now, true, false));
            }
            return Err(AppError::Conflict(format!("redemption {id} changed")));
        }
        match next {
            RedemptionState::WrittenOff => {
                voucher_redeem(tx.conn(), r.voucher_id, r.amount_fen).await?
            }
            RedemptionState::Rejected => {
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
            }
            _ => {}
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                &format!("voucher.{}", next.as_str()),
                "voucher_redemption",
                Some(id.to_string()),
                Some(serde_json::json!({"status": state.as_str()})),
                Some(serde_json::json!({"status": next.as_str(), "amount_fen": r.amount_fen, "reason": reason})),
            ),
        )
        .await?;
        tx.commit().await?;
        let r = self
            .db
            .voucher_redemption_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("redemption {id}")))?;
        Ok(view(r, false, false))
    }

    /// Redemptions visible to the actor: a provider its own, an enterprise its own, staff all.
    pub async fn voucher_redemptions(
        &self,
        actor: &Actor,
        status: Option<&str>,
        scheme: Option<&str>,
        en: bool,
    ) -> AppResult<Vec<RedemptionView>> {
        let mut f = RedemptionFilter {
            status: status
                .filter(|s| RedemptionState::parse(s).is_some())
                .map(str::to_string),
            ..Default::default()
        };
        if let Some(k) = scheme.filter(|s| !s.trim().is_empty()) {
            f.scheme_id = Some(self.scheme_row(k).await?.id);
        }
        match actor.role {
            Role::Provider => f.provider_id = Some(self.voucher_provider_me(actor).await?.id),
            Role::Enterprise => {
                f.enterprise_id = Some(actor.enterprise_id.ok_or(AppError::Forbidden)?)
            }
            _ => perm::view_all(actor)?,
        }
        Ok(self
            .db
            .voucher_redemptions(&f)
            .await?
            .into_iter()
            .map(|r| view(r, false, en))
            .collect())
    }

    /// One redemption, if the actor may see it.
    pub async fn voucher_redemption(&self, actor: &Actor, id: i64) -> AppResult<RedemptionView> {
        let r = self
            .db
            .voucher_redemption_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("redemption {id}")))?;
        let own_provider = actor.role == Role::Provider
            && self.voucher_provider_me(actor).await?.id == r.provider_id;
        perm::view_redemption(actor, r.enterprise_id, own_provider)?;
        Ok(view(r, false, false))
    }

    /// Expire every active voucher whose validity ended before `on`: redemptions still awaiting
    /// the enterprise are cancelled, the free balance expires and returns to the round's pool.
    /// Confirmed redemptions keep their hold and may still be written off. Idempotent.
    pub async fn voucher_expire(&self, actor: &Actor, on: NaiveDate) -> AppResult<ExpireSummary> {
        perm::manage(actor)?;
        let on_s = on.to_string();
        let ids = {
            let mut tx = self.db.begin().await?;
            let ids = voucher_due_to_expire(tx.conn(), &on_s).await?;
            tx.commit().await?;
            ids
        };
        let mut out = ExpireSummary {
            on: on_s.clone(),
            ..Default::default()
        };
        for vid in ids {
            let mut tx = self.db.begin().await?;
            let mut cancelled = Vec::new();
            for (rid, status) in voucher_redemptions_live(tx.conn(), vid).await? {
                if status != "submitted" {
                    continue;
                }
                if let Some(r) = self.db.voucher_redemption_get(rid).await?
                    && voucher_redemption_step(
                        tx.conn(),
                        rid,
                        "submitted",
                        "rejected",
                        Some("券已过期 / voucher expired"),
                    )
                    .await?
                {
                    voucher_usage_release(
                        tx.conn(),
                        r.enterprise_id,
                        r.scheme_id,
                        r.year,
                        r.invoice_fen,
                        r.amount_fen,
                    )
                    .await?;
                    voucher_release(tx.conn(), vid, r.amount_fen).await?;
                    cancelled.push(rid);
                }
            }
            let Some(amount) = voucher_expire(tx.conn(), vid, &now_text()).await? else {
                continue;
            };
            audit_append(
                tx.conn(),
                &entry(
                    actor,
                    "voucher.expire",
                    "voucher",
                    Some(vid.to_string()),
                    Some(serde_json::json!({"status": "active"})),
                    Some(
                        serde_json::json!({"status": "expired", "expired_fen": amount, "on": on_s,
                        "cancelled_redemptions": cancelled}),
                    ),
                ),
            )
            .await?;
            tx.commit().await?;
            out.vouchers += 1;
            out.returned_fen = out.returned_fen.saturating_add(amount);
            out.cancelled_redemptions += cancelled.len() as i64;
        }
        Ok(out)
    }

    /// The ledger check: for every scheme issued = redeemed + outstanding + expired, the pool
    /// covers issued − expired, and the counters agree with the records.
    pub async fn voucher_check(&self, actor: &Actor) -> AppResult<Vec<CheckRow>> {
        perm::manage(actor)?;
        let schemes = self.db.voucher_schemes().await?;
        let mut out = Vec::new();
        for f in self.db.voucher_figures().await? {
            let s = schemes.iter().find(|s| s.id == f.scheme_id);
            let g = f.figures;
            let mut problems = Vec::new();
            if f.overflow {
                problems.push(
                    "sums beyond i64: amounts stored above the bound (run `lianshi check bounds`, then correct or close the round)"
                        .into(),
                );
            }
            if g.redeemed_fen
                .checked_add(g.outstanding_fen)
                .and_then(|x| x.checked_add(g.expired_fen))
                != Some(g.issued_fen)
            {
                problems.push(format!(
                    "issued {} ≠ redeemed {} + outstanding {} + expired {}",
                    g.issued_fen, g.redeemed_fen, g.outstanding_fen, g.expired_fen
                ));
            }
            if g.pool_fen < g.issued_fen.saturating_sub(g.expired_fen) {
                problems.push(format!(
                    "pool {} < issued {} − expired {}",
                    g.pool_fen, g.issued_fen, g.expired_fen
                ));
            }
            if f.round_issued_fen != g.issued_fen {
                problems.push(format!(
                    "rounds' issued counter {} ≠ vouchers {}",
                    f.round_issued_fen, g.issued_fen
                ));
            }
            if f.voucher_held_fen != g.held_fen {
                problems.push(format!(
                    "vouchers' held counter {} ≠ live redemptions {}",
                    f.voucher_held_fen, g.held_fen
                ));
            }
            if f.voucher_redeemed_fen != g.redeemed_fen {
                problems.push(format!(
                    "vouchers' redeemed counter {} ≠ written-off redemptions {}",
                    f.voucher_redeemed_fen, g.redeemed_fen
                ));
            }
            if !dv::ledger_balanced(&g) && problems.is_empty() {
                problems.push("figures out of balance".into());
            }
            out.push(CheckRow {
                scheme_id: f.scheme_id,
                code: s.map(|s| s.code.clone()).unwrap_or_default(),
                name: s.map(|s| s.name.clone()).unwrap_or_default(),
                figures: g,
                ok: problems.is_empty(),
                problems,
            });
        }
        Ok(out)
    }
}

fn duplicate_contract(contract: &str) -> AppError {
    refused(
        "voucher_contract_already_subsidised",
        format!("合同 {contract} 已申请过券补助，不得重复享受"),
        format!("contract {contract} has already been subsidised by a voucher"),
    )
}
