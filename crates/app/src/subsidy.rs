//! Subsidies (快申快享): apply → review → approve (amount) / reject (reason) → disburse, budgets per
//! policy and year, per-enterprise annual caps, exclusive groups (不重复享受) and the append-only
//! payout ledger with reversing corrections.
//!
//! Money rules, in the order they are checked inside one transaction per write:
//! - approval reserves the amount with one conditional UPDATE of the budget line (`over_budget`
//!   when it is not there, `no_budget` when the policy has no budget that year), then checks the
//!   enterprise's cap against paid + reserved (`over_enterprise_cap`);
//! - disbursement moves the reservation to `spent` with one conditional UPDATE (never above the
//!   budget), re-checks the cap against the ledger, claims the exclusive group
//!   (`already_paid_in_group`), moves the application `approved → disbursed` guarded by its state
//!   and appends the entry under its request key. A retry with the same key returns the same
//!   entry; a second payout of one application is impossible (state guard + unique index);
//! - a reversal appends the negated entry, gives the money back to the budget, frees the group
//!   claim when nothing is left paid and marks the application `reversed`.
//!
//! Every write is audit-logged in its own transaction. Permissions are in [`perm`].

use crate::zone::entry;
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, Datelike, Utc};
use lianshi_domain::Role;
use lianshi_domain::subsidy::{
    SubsidyAction, SubsidyState, check_amount, parse_amount, payout_key, policy_document,
    transition,
};
use lianshi_store::StoreError;
use lianshi_store::audit::audit_append;
use lianshi_store::subsidy::{
    ApplicationFilter, ApplicationRow, ApplicationStep, BudgetRow, EntryRow, LedgerFilter,
    NewApplication, NewEntry, SubsidyPolicy, TotalRow, subsidy_application_insert,
    subsidy_application_step, subsidy_budget_in, subsidy_budget_put, subsidy_budget_refund,
    subsidy_budget_release, subsidy_budget_reserve, subsidy_budget_spend, subsidy_group_claim,
    subsidy_group_holder, subsidy_group_release, subsidy_ledger_append, subsidy_paid_to,
    subsidy_reserved_for,
};
use std::collections::BTreeMap;

pub use lianshi_store::subsidy::{BudgetRow as Budget, EntryRow as Entry, TotalRow as Total};

/// Who may do what with subsidies.
pub mod perm;

/// An application as given in a form or JSON body. `policy` is a code or id, `enterprise` a
/// credit code or id (an enterprise user's own when empty), `amount` in 元 (`"12,345.67"`,
/// `"30万"`) or `amount_fen`.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ApplyInput {
    pub policy: Option<String>,
    pub enterprise: Option<String>,
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::yuan_or_null))]
    pub amount: Option<serde_json::Value>,
    pub amount_fen: Option<i64>,
    pub year: Option<i64>,
    pub note: Option<String>,
    /// Makes a resubmission idempotent; generated when missing.
    pub request_key: Option<String>,
}

/// Filters of the application list.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default)]
pub struct SubsidyQuery {
    /// Policy code or id.
    pub policy: Option<String>,
    /// An application state (`state_unknown` otherwise); empty is no filter.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = lianshi_domain::schema::subsidy_state_filter),
        param(schema_with = lianshi_domain::schema::subsidy_state_filter)
    )]
    pub state: Option<String>,
    pub year: Option<i64>,
    /// Credit code.
    pub enterprise: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// One page of applications.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubsidyPage {
    pub items: Vec<ApplicationView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// An application with its state label.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationView {
    #[serde(flatten)]
    pub row: ApplicationRow,
    pub state_label: String,
}

/// What the actor may do with one application now.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Allowed {
    pub review: bool,
    pub approve: bool,
    pub reject: bool,
    pub withdraw: bool,
    pub disburse: bool,
    pub reverse: bool,
}

/// One application with its ledger entries, its budget line and the steps open to the actor.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubsidyDetail {
    pub application: ApplicationView,
    pub entries: Vec<EntryRow>,
    pub budget: Option<BudgetRow>,
    pub allowed: Allowed,
}

/// Filters of the ledger.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default)]
pub struct LedgerQuery {
    pub year: Option<i64>,
    pub policy: Option<String>,
    pub department: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// One page of the ledger with the totals of the whole filtered year.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerPage {
    pub items: Vec<EntryRow>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub total_fen: i64,
    pub by_policy: Vec<TotalRow>,
    pub by_department: Vec<TotalRow>,
}

/// `lianshi report subsidies --year`: everything from the ledger.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubsidyReport {
    pub year: i64,
    pub total_fen: i64,
    pub entries: i64,
    /// Policy code → fen.
    pub by_policy: BTreeMap<String, i64>,
    /// Department code → fen (`""` for policies without a department).
    pub by_department: BTreeMap<String, i64>,
    /// Policy document (文号, the legal reference before its article) → fen: the measures of one
    /// document (e.g. the 2025 AI policy's articles) summed.
    pub by_document: BTreeMap<String, i64>,
    pub policies: Vec<TotalRow>,
    pub departments: Vec<TotalRow>,
}

/// A budget line as given in a form or JSON body (amounts in 元).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct BudgetInput {
    pub policy: Option<String>,
    pub year: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::yuan_or_null))]
    pub budget: Option<serde_json::Value>,
    pub budget_fen: Option<i64>,
    /// Per-enterprise annual cap; empty = none.
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::yuan_or_null))]
    pub enterprise_cap: Option<serde_json::Value>,
    pub enterprise_cap_fen: Option<i64>,
}

/// What a batch payout did.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutReport {
    /// The payments this call made (never those another call or an earlier run made).
    pub paid: Vec<PayoutLine>,
    pub refused: Vec<PayoutRefusal>,
    /// Sum of `paid`.
    pub total_fen: i64,
    /// Applications found already paid by someone else (a concurrent or earlier run): listed,
    /// not counted in `paid` or `total_fen`.
    pub already_paid: Vec<i64>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutLine {
    pub application_id: i64,
    pub entry_id: i64,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutRefusal {
    pub application_id: i64,
    pub code: String,
    pub message: String,
}

fn bad(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
    AppError::bad(code, zh, en)
}

fn refused(e: lianshi_domain::Invalid) -> AppError {
    AppError::Refused {
        code: e.code,
        zh: e.zh,
        en: e.en,
    }
}

fn now_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The civil year in China (UTC+8) of an instant.
fn china_year(at: DateTime<Utc>) -> i64 {
    i64::from((at + chrono::Duration::hours(8)).year())
}

fn fresh_key(prefix: &str) -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("{prefix}:{:x}:{n:016x}", Utc::now().timestamp_millis())
}

fn yuan(fen: i64) -> String {
    lianshi_domain::Money(fen).format_yuan()
}

/// An amount from JSON (string or number, 元) or fen, positive and within the bound
/// (`amount_too_large` naming `field` above 10^12 元).
fn amount_of(
    field: &str,
    v: &Option<serde_json::Value>,
    fen: Option<i64>,
) -> AppResult<Option<i64>> {
    if let Some(f) = fen {
        check_amount(f).map_err(AppError::from_invalid)?;
        return crate::bounds::check_fen(field, f).map(Some);
    }
    let s = match v {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(other) => other.to_string(),
    };
    match parse_amount(&s) {
        Ok(f) => crate::bounds::check_fen(field, f).map(Some),
        Err(e) if e.code == "money_overflow" => crate::bounds::money(field, &s).map(Some),
        Err(e) => Err(AppError::from_invalid(e)),
    }
}

fn view(row: ApplicationRow) -> ApplicationView {
    let state_label = SubsidyState::parse(&row.state)
        .map(|s| s.label_zh().to_string())
        .unwrap_or_else(|| row.state.clone());
    ApplicationView { row, state_label }
}

fn state_of(row: &ApplicationRow) -> AppResult<SubsidyState> {
    SubsidyState::parse(&row.state)
        .ok_or_else(|| AppError::Internal(format!("unknown subsidy state {}", row.state)))
}

fn unknown_policy(key: &str) -> AppError {
    bad(
        "policy_unknown",
        format!("未找到政策“{key}”"),
        format!("no policy '{key}'"),
    )
}

impl App {
    async fn subsidy_policy_of(&self, key: &str) -> AppResult<SubsidyPolicy> {
        let key = key.trim();
        let found = match key.parse::<i64>() {
            Ok(id) => self.db.subsidy_policy(id).await?,
            Err(_) => None,
        };
        let found = match found {
            Some(p) => Some(p),
            None => self.db.subsidy_policy_by_code(key).await?,
        };
        found.ok_or_else(|| unknown_policy(key))
    }

    /// File an application (快申快享, a staff entry, or P's 免申即享 confirmation): `source` is
    /// recorded as the application's origin (`apply`, `notice`, `staff`, `demo`…). The same
    /// `request_key` again returns the same application.
    pub async fn subsidy_apply(
        &self,
        actor: &Actor,
        policy_id: i64,
        enterprise_id: i64,
        amount_fen: i64,
        request_key: &str,
        source: &str,
    ) -> AppResult<ApplicationView> {
        let now = Utc::now();
        self.subsidy_apply_at(
            actor,
            policy_id,
            enterprise_id,
            amount_fen,
            china_year(now),
            request_key,
            source,
            "",
            now,
        )
        .await
    }

    /// [`App::subsidy_apply`] for a budget year and at a time (demo history, imports).
    #[allow(clippy::too_many_arguments)]
    pub async fn subsidy_apply_at(
        &self,
        actor: &Actor,
        policy_id: i64,
        enterprise_id: i64,
        amount_fen: i64,
        year: i64,
        request_key: &str,
        source: &str,
        note: &str,
        at: DateTime<Utc>,
    ) -> AppResult<ApplicationView> {
        let policy = self
            .db
            .subsidy_policy(policy_id)
            .await?
            .ok_or_else(|| unknown_policy(&policy_id.to_string()))?;
        perm::apply(actor, enterprise_id, &policy)?;
        check_amount(amount_fen).map_err(AppError::from_invalid)?;
        crate::bounds::check_fen("amount", amount_fen)?;
        let key = request_key.trim();
        if key.is_empty() || key.len() > 200 {
            return Err(bad(
                "request_key_invalid",
                "请求键必须为1到200个字符",
                "the request key must have 1 to 200 characters",
            ));
        }
        if !(2000..=2100).contains(&year) {
            return Err(bad("year_invalid", "年度无效", "the year is out of range"));
        }
        if let Some(existing) = self.db.subsidy_application_by_key(key).await? {
            return same_application(existing, policy_id, enterprise_id, amount_fen);
        }
        if policy.status == "closed" {
            return Err(AppError::refused(
                "policy_closed",
                format!("政策“{}”已关闭申报", policy.title),
                format!("policy {} is closed", policy.code),
            ));
        }
        let enterprise = self
            .db
            .enterprise_by_id(enterprise_id)
            .await?
            .ok_or_else(|| bad("enterprise_unknown", "未找到该企业", "no such enterprise"))?;
        let mut tx = self.db.begin().await?;
        if let Some(g) = &policy.group_code
            && let Some((holder, code)) =
                subsidy_group_holder(tx.conn(), g, enterprise_id, year).await?
            && holder != policy_id
        {
            return Err(group_refusal(&code, year));
        }
        if let Some(b) = subsidy_budget_in(tx.conn(), policy_id, year).await?
            && let Some(cap) = b.enterprise_cap_fen
            && amount_fen > cap
        {
            return Err(cap_refusal(cap, 0));
        }
        let new = NewApplication {
            policy_id,
            enterprise_id,
            year,
            amount_fen,
            state: SubsidyState::Submitted.as_str().into(),
            origin: source.trim().chars().take(40).collect(),
            request_key: key.into(),
            note: note.trim().chars().take(2_000).collect(),
            created_by: actor.user_id,
            created_by_name: actor.username.clone(),
            created_at: now_text(at),
        };
        let id = match subsidy_application_insert(tx.conn(), &new).await {
            Ok(id) => id,
            Err(StoreError::Conflict(_)) => {
                drop(tx);
                let existing = self
                    .db
                    .subsidy_application_by_key(key)
                    .await?
                    .ok_or_else(|| AppError::Conflict("request key".into()))?;
                return same_application(existing, policy_id, enterprise_id, amount_fen);
            }
            Err(e) => return Err(e.into()),
        };
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "subsidy.apply",
                "subsidy_application",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"application": new, "uscc": enterprise.uscc})),
            ),
        )
        .await?;
        tx.commit().await?;
        let row = self
            .db
            .subsidy_application_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("subsidy application {id}")))?;
        Ok(view(row))
    }

    /// An application from a form or JSON body.
    pub async fn subsidy_apply_input(
        &self,
        actor: &Actor,
        inp: &ApplyInput,
    ) -> AppResult<ApplicationView> {
        let policy_key = inp.policy.as_deref().map(str::trim).unwrap_or_default();
        if policy_key.is_empty() {
            return Err(bad(
                "policy_required",
                "请选择政策",
                "the policy is required",
            ));
        }
        let policy = self.subsidy_policy_of(policy_key).await?;
        let enterprise_id = match inp.enterprise.as_deref().map(str::trim) {
            Some(e) if !e.is_empty() => match e.parse::<i64>() {
                Ok(id) => id,
                Err(_) => self.enterprise_id_or_unknown(e).await?,
            },
            _ => actor.enterprise_id.ok_or_else(|| {
                bad(
                    "enterprise_required",
                    "请填写企业统一社会信用代码",
                    "the enterprise's credit code is required",
                )
            })?,
        };
        let amount = amount_of("amount", &inp.amount, inp.amount_fen)?.ok_or_else(|| {
            bad(
                "amount_required",
                "请填写申报金额",
                "the amount is required",
            )
        })?;
        let now = Utc::now();
        let key = inp
            .request_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| fresh_key("apply"));
        let origin = if actor.role == Role::Enterprise {
            "apply"
        } else {
            "staff"
        };
        self.subsidy_apply_at(
            actor,
            policy.id,
            enterprise_id,
            amount,
            inp.year.unwrap_or_else(|| china_year(now)),
            &key,
            origin,
            inp.note.as_deref().unwrap_or_default(),
            now,
        )
        .await
    }

    /// A fresh request key for a form (so a double submit files once).
    pub fn subsidy_form_key() -> String {
        fresh_key("form")
    }

    /// Review, approve, reject or withdraw (disbursement and reversal have their own calls,
    /// because they take a request key).
    pub async fn subsidy_act(
        &self,
        actor: &Actor,
        id: i64,
        action: &SubsidyAction,
    ) -> AppResult<SubsidyDetail> {
        self.subsidy_act_at(actor, id, action, Utc::now()).await
    }

    /// [`App::subsidy_act`] at a time (demo history).
    pub async fn subsidy_act_at(
        &self,
        actor: &Actor,
        id: i64,
        action: &SubsidyAction,
        at: DateTime<Utc>,
    ) -> AppResult<SubsidyDetail> {
        let row = self.subsidy_row(id).await?;
        let policy = self
            .db
            .subsidy_policy(row.policy_id)
            .await?
            .ok_or_else(|| unknown_policy(&row.policy_code))?;
        match action {
            SubsidyAction::Withdraw => perm::withdraw(actor, &row)?,
            SubsidyAction::Disburse | SubsidyAction::Reverse => {
                return Err(bad(
                    "subsidy_action_invalid",
                    "兑付与冲正请使用专门的操作",
                    "disburse and reverse have their own calls",
                ));
            }
            _ => perm::decide(actor, &policy)?,
        }
        if let SubsidyAction::Approve { amount_fen } = action {
            crate::bounds::check_fen("amount", *amount_fen)?;
        }
        if let SubsidyAction::Reject { reason } = action {
            crate::text::line("reason", reason)?;
        }
        let from = state_of(&row)?;
        let to = transition(from, action).map_err(|e| {
            if e.code == "subsidy_wrong_state" {
                refused(e)
            } else {
                AppError::from_invalid(e)
            }
        })?;
        let at_text = now_text(at);
        let who = actor.username.clone();
        let mut step = ApplicationStep {
            state: to.as_str().into(),
            at: at_text.clone(),
            ..Default::default()
        };
        match action {
            SubsidyAction::Review => step.reviewed_by = Some(who),
            SubsidyAction::Approve { amount_fen } => {
                step.approved_fen = Some(*amount_fen);
                step.decided_by = Some(who);
            }
            SubsidyAction::Reject { reason } => {
                step.reason = Some(reason.trim().chars().take(2_000).collect());
                step.decided_by = Some(who);
            }
            SubsidyAction::Withdraw => step.decided_by = Some(who),
            SubsidyAction::Disburse | SubsidyAction::Reverse => {}
        }
        let mut tx = self.db.begin().await?;
        if matches!(action, SubsidyAction::Approve { .. })
            && let Some(g) = &policy.group_code
            && let Some((holder, code)) =
                subsidy_group_holder(tx.conn(), g, row.enterprise_id, row.year).await?
            && holder != policy.id
        {
            return Err(group_refusal(&code, row.year));
        }
        // The application row first, the budget line second, in every write (no lock cycles).
        if !subsidy_application_step(tx.conn(), id, from.as_str(), &step).await? {
            return Err(AppError::Conflict(format!(
                "subsidy application {id} changed meanwhile"
            )));
        }
        if from == SubsidyState::Approved
            && let Some(fen) = row.approved_fen
        {
            // An approval revoked before payment gives its reservation back.
            subsidy_budget_release(tx.conn(), policy.id, row.year, fen).await?;
        }
        if let SubsidyAction::Approve { amount_fen } = action {
            let amount = *amount_fen;
            if !subsidy_budget_reserve(tx.conn(), policy.id, row.year, amount).await? {
                drop(tx);
                return Err(self.budget_refusal(&policy, row.year, amount).await?);
            }
            let budget = subsidy_budget_in(tx.conn(), policy.id, row.year).await?;
            if let Some(cap) = budget.and_then(|b| b.enterprise_cap_fen) {
                let paid =
                    subsidy_paid_to(tx.conn(), policy.id, row.enterprise_id, row.year).await?;
                let reserved =
                    subsidy_reserved_for(tx.conn(), policy.id, row.enterprise_id, row.year, row.id)
                        .await?;
                if paid.saturating_add(reserved).saturating_add(amount) > cap {
                    return Err(cap_refusal(cap, paid.saturating_add(reserved)));
                }
            }
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                &format!("subsidy.{}", action.name()),
                "subsidy_application",
                Some(id.to_string()),
                Some(serde_json::json!({"state": from.as_str()})),
                Some(serde_json::json!({"state": to.as_str(), "action": action})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.subsidy_get(actor, id).await
    }

    async fn budget_refusal(
        &self,
        policy: &SubsidyPolicy,
        year: i64,
        amount: i64,
    ) -> AppResult<AppError> {
        Ok(match self.db.subsidy_budget(policy.id, year).await? {
            None => AppError::refused(
                "no_budget",
                format!("政策“{}”{year}年度尚未设置预算", policy.title),
                format!("policy {} has no budget for {year}", policy.code),
            ),
            Some(b) => AppError::refused(
                "over_budget",
                format!(
                    "超出预算：本次{}，{year}年度可用余额{}",
                    yuan(amount),
                    yuan(b.available_fen().max(0))
                ),
                format!(
                    "over budget: {} asked, {} left for {year}",
                    yuan(amount),
                    yuan(b.available_fen().max(0))
                ),
            ),
        })
    }

    /// Pay an approved application now. The same `request_key` again returns the same entry.
    pub async fn subsidy_disburse(
        &self,
        actor: &Actor,
        application_id: i64,
        request_key: &str,
    ) -> AppResult<EntryRow> {
        self.subsidy_disburse_at(actor, application_id, request_key, Utc::now())
            .await
    }

    /// Pay an approved application with an explicit payment time (demo history). The ledger
    /// year is the application's budget year.
    pub async fn subsidy_disburse_at(
        &self,
        actor: &Actor,
        application_id: i64,
        request_key: &str,
        at: DateTime<Utc>,
    ) -> AppResult<EntryRow> {
        self.disburse(actor, application_id, request_key, at)
            .await
            .map(|(e, _)| e)
    }

    /// [`App::subsidy_disburse_at`], also telling whether this call wrote the entry (`true`) or
    /// found it already written under the key (`false`, a replay).
    async fn disburse(
        &self,
        actor: &Actor,
        application_id: i64,
        request_key: &str,
        at: DateTime<Utc>,
    ) -> AppResult<(EntryRow, bool)> {
        let key = request_key.trim();
        if key.is_empty() || key.len() > 200 {
            return Err(bad(
                "request_key_invalid",
                "请求键必须为1到200个字符",
                "the request key must have 1 to 200 characters",
            ));
        }
        let row = self.subsidy_row(application_id).await?;
        let policy = self
            .db
            .subsidy_policy(row.policy_id)
            .await?
            .ok_or_else(|| unknown_policy(&row.policy_code))?;
        perm::decide(actor, &policy)?;
        if let Some(e) = self.db.subsidy_entry_by_key(key).await? {
            return same_payout(e, application_id).map(|e| (e, false));
        }
        let from = state_of(&row)?;
        transition(from, &SubsidyAction::Disburse).map_err(refused)?;
        let amount = row.approved_fen.unwrap_or(row.amount_fen);
        let at_text = now_text(at);
        let mut tx = self.db.begin().await?;
        // The guarded state change first: racers paying the same application queue on its row
        // and all but one find it no longer approved. Then the conditional UPDATE of the budget:
        // on PostgreSQL its row lock serialises the payouts of this policy and year, so the cap
        // check below sees every committed payout.
        let step = ApplicationStep {
            state: SubsidyState::Disbursed.as_str().into(),
            disbursed_at: Some(at_text.clone()),
            at: at_text.clone(),
            ..Default::default()
        };
        if !subsidy_application_step(tx.conn(), row.id, from.as_str(), &step).await? {
            drop(tx);
            // Someone paid it meanwhile: under this key that is our answer.
            if let Some(e) = self.db.subsidy_entry_by_key(key).await? {
                return same_payout(e, application_id).map(|e| (e, false));
            }
            return Err(AppError::refused(
                "subsidy_wrong_state",
                "该申报已被他人处理",
                "the application changed meanwhile",
            ));
        }
        if !subsidy_budget_spend(tx.conn(), policy.id, row.year, amount, amount).await? {
            drop(tx);
            return Err(self.budget_refusal(&policy, row.year, amount).await?);
        }
        let budget = subsidy_budget_in(tx.conn(), policy.id, row.year).await?;
        if let Some(cap) = budget.and_then(|b| b.enterprise_cap_fen) {
            let paid = subsidy_paid_to(tx.conn(), policy.id, row.enterprise_id, row.year).await?;
            if paid.saturating_add(amount) > cap {
                return Err(cap_refusal(cap, paid));
            }
        }
        if let Some(g) = &policy.group_code {
            let holder = subsidy_group_claim(
                tx.conn(),
                g,
                row.enterprise_id,
                row.year,
                policy.id,
                &at_text,
            )
            .await?;
            if holder != policy.id {
                let code = subsidy_group_holder(tx.conn(), g, row.enterprise_id, row.year)
                    .await?
                    .map(|h| h.1)
                    .unwrap_or_default();
                return Err(group_refusal(&code, row.year));
            }
        }
        let new = NewEntry {
            policy_id: policy.id,
            enterprise_id: row.enterprise_id,
            application_id: row.id,
            year: row.year,
            department_id: policy.department_id,
            amount_fen: amount,
            reverses_id: None,
            request_key: key.into(),
            at: at_text,
            actor_id: actor.user_id,
            actor_name: actor.username.clone(),
            note: String::new(),
        };
        let entry_id = match subsidy_ledger_append(tx.conn(), &new).await {
            Ok(id) => id,
            Err(StoreError::Conflict(_)) => {
                drop(tx);
                return match self.db.subsidy_entry_by_key(key).await? {
                    Some(e) => same_payout(e, application_id).map(|e| (e, false)),
                    None => Err(AppError::Conflict("ledger".into())),
                };
            }
            Err(e) => return Err(e.into()),
        };
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "subsidy.disburse",
                "subsidy_ledger",
                Some(entry_id.to_string()),
                None,
                Some(serde_json::json!({"entry": new})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.db
            .subsidy_entry_get(entry_id)
            .await?
            .map(|e| (e, true))
            .ok_or_else(|| AppError::NotFound(format!("ledger entry {entry_id}")))
    }

    /// Correct a payout with a reversing entry (the negated amount). Idempotent by request key
    /// (default `reverse:<entry id>`).
    pub async fn subsidy_reverse(
        &self,
        actor: &Actor,
        entry_id: i64,
        reason: &str,
        request_key: Option<&str>,
    ) -> AppResult<EntryRow> {
        perm::reverse(actor)?;
        let reason = crate::text::line("reason", reason)?;
        if reason.is_empty() {
            return Err(bad(
                "reason_required",
                "冲正必须填写理由",
                "a reversal needs a reason",
            ));
        }
        let key = request_key
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("reverse:{entry_id}"));
        if let Some(e) = self.db.subsidy_entry_by_key(&key).await? {
            if e.reverses_id == Some(entry_id) {
                return Ok(e);
            }
            return Err(key_reused());
        }
        let orig = self
            .db
            .subsidy_entry_get(entry_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("ledger entry {entry_id}")))?;
        if orig.reverses_id.is_some() || orig.amount_fen <= 0 {
            return Err(AppError::refused(
                "entry_not_reversible",
                "冲正记录不能再冲正",
                "a reversing entry cannot be reversed",
            ));
        }
        if orig.reversed_by.is_some() {
            return Err(AppError::refused(
                "entry_already_reversed",
                "该兑付记录已冲正",
                "the entry is already reversed",
            ));
        }
        let app = self.subsidy_row(orig.application_id).await?;
        let policy = self
            .db
            .subsidy_policy(orig.policy_id)
            .await?
            .ok_or_else(|| unknown_policy(&orig.policy_code))?;
        let at = now_text(Utc::now());
        let mut tx = self.db.begin().await?;
        let new = NewEntry {
            policy_id: orig.policy_id,
            enterprise_id: orig.enterprise_id,
            application_id: orig.application_id,
            year: orig.year,
            department_id: orig.department_id,
            amount_fen: -orig.amount_fen,
            reverses_id: Some(orig.id),
            request_key: key.clone(),
            at: at.clone(),
            actor_id: actor.user_id,
            actor_name: actor.username.clone(),
            note: reason.chars().take(2_000).collect(),
        };
        let id = match subsidy_ledger_append(tx.conn(), &new).await {
            Ok(id) => id,
            Err(StoreError::Conflict(_)) => {
                drop(tx);
                return match self.db.subsidy_entry_by_key(&key).await? {
                    Some(e) if e.reverses_id == Some(entry_id) => Ok(e),
                    _ => Err(AppError::refused(
                        "entry_already_reversed",
                        "该兑付记录已冲正",
                        "the entry is already reversed",
                    )),
                };
            }
            Err(e) => return Err(e.into()),
        };
        if app.state == SubsidyState::Disbursed.as_str() {
            let step = ApplicationStep {
                state: SubsidyState::Reversed.as_str().into(),
                reason: Some(reason.chars().take(2_000).collect()),
                at: at.clone(),
                ..Default::default()
            };
            subsidy_application_step(tx.conn(), app.id, &app.state, &step).await?;
        }
        subsidy_budget_refund(tx.conn(), orig.policy_id, orig.year, orig.amount_fen).await?;
        if let Some(g) = &policy.group_code
            && subsidy_paid_to(tx.conn(), policy.id, orig.enterprise_id, orig.year).await? <= 0
        {
            subsidy_group_release(tx.conn(), g, orig.enterprise_id, orig.year, policy.id).await?;
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "subsidy.reverse",
                "subsidy_ledger",
                Some(id.to_string()),
                None,
                Some(serde_json::json!({"entry": new})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.db
            .subsidy_entry_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("ledger entry {id}")))
    }

    /// Pay every approved application (of a year, or all), one transaction per payout, each
    /// under the key derived from the application ([`payout_key`]): killed halfway, a rerun pays
    /// the rest and finds what was already paid.
    pub async fn subsidy_payout(
        &self,
        actor: &Actor,
        year: Option<i64>,
    ) -> AppResult<PayoutReport> {
        perm::ledger(actor)?;
        let mut report = PayoutReport::default();
        for id in self.db.subsidy_approved_ids(year).await? {
            match self.disburse(actor, id, &payout_key(id), Utc::now()).await {
                Ok((_, false)) => report.already_paid.push(id),
                Ok((e, true)) => {
                    report.total_fen = report.total_fen.saturating_add(e.amount_fen);
                    report.paid.push(PayoutLine {
                        application_id: id,
                        entry_id: e.id,
                        amount_fen: e.amount_fen,
                    });
                }
                Err(AppError::Forbidden) => {}
                Err(e @ (AppError::Internal(_) | AppError::Unauthenticated)) => return Err(e),
                Err(e) => report.refused.push(PayoutRefusal {
                    application_id: id,
                    code: e.code().into(),
                    message: e.message(),
                }),
            }
        }
        Ok(report)
    }

    async fn subsidy_row(&self, id: i64) -> AppResult<ApplicationRow> {
        self.db
            .subsidy_application_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("subsidy application {id}")))
    }

    /// One application with its entries, budget line and the steps open to the actor.
    pub async fn subsidy_get(&self, actor: &Actor, id: i64) -> AppResult<SubsidyDetail> {
        let row = self.subsidy_row(id).await?;
        perm::view(actor, &row)?;
        let state = state_of(&row)?;
        let (entries, _) = self
            .db
            .subsidy_ledger_list(&LedgerFilter {
                application_id: Some(id),
                limit: 100,
                ..Default::default()
            })
            .await?;
        let policy = self.db.subsidy_policy(row.policy_id).await?;
        let decides = policy
            .as_ref()
            .is_some_and(|p| perm::decide(actor, p).is_ok());
        let can = |a: &SubsidyAction| transition(state, a).is_ok();
        let allowed = Allowed {
            review: decides && can(&SubsidyAction::Review),
            approve: decides && can(&SubsidyAction::Approve { amount_fen: 1 }),
            reject: decides && can(&SubsidyAction::Reject { reason: "-".into() }),
            withdraw: perm::withdraw(actor, &row).is_ok() && can(&SubsidyAction::Withdraw),
            disburse: decides && can(&SubsidyAction::Disburse),
            reverse: perm::reverse(actor).is_ok()
                && entries
                    .iter()
                    .any(|e| e.reverses_id.is_none() && e.reversed_by.is_none()),
        };
        let budget = if perm::ledger(actor).is_ok() {
            self.db.subsidy_budget(row.policy_id, row.year).await?
        } else {
            None
        };
        let entries = if actor.role == Role::Enterprise || perm::ledger(actor).is_ok() {
            entries
        } else {
            Vec::new()
        };
        Ok(SubsidyDetail {
            application: view(row),
            entries,
            budget,
            allowed,
        })
    }

    /// Applications in the actor's scope, newest first.
    pub async fn subsidy_list(&self, actor: &Actor, q: &SubsidyQuery) -> AppResult<SubsidyPage> {
        perm::browse(actor)?;
        let per_page = q.per_page.unwrap_or(50).clamp(1, 500);
        let page = q.page.unwrap_or(1).max(1);
        let mut f = ApplicationFilter {
            year: q.year,
            limit: per_page,
            offset: crate::bounds::page_offset(page, per_page),
            ..Default::default()
        };
        if let Some(p) = q.policy.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            f.policy_id = Some(self.subsidy_policy_of(p).await?.id);
        }
        if let Some(s) = q.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let st = SubsidyState::parse(s).ok_or_else(|| {
                bad(
                    "state_unknown",
                    format!("未知状态“{s}”"),
                    format!("unknown state '{s}'"),
                )
            })?;
            f.states = vec![st.as_str().into()];
        }
        if let Some(u) = q
            .enterprise
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            f.enterprise_id = Some(self.enterprise_id_or_unknown(u).await?);
        }
        match actor.role {
            Role::Enterprise => {
                f.enterprise_id = Some(actor.enterprise_id.ok_or(AppError::Forbidden)?)
            }
            Role::Department => match actor.department_id {
                Some(d) => f.department_id = Some(d),
                // An officer bound to no department sees no department's applications.
                None => {
                    return Ok(SubsidyPage {
                        items: Vec::new(),
                        total: 0,
                        page,
                        per_page,
                    });
                }
            },
            _ => {}
        }
        let (rows, total) = self.db.subsidy_application_list(&f).await?;
        Ok(SubsidyPage {
            items: rows.into_iter().map(view).collect(),
            total,
            page,
            per_page,
        })
    }

    /// The ledger (newest first) with totals per policy and department over the same filter.
    pub async fn subsidy_ledger(&self, actor: &Actor, q: &LedgerQuery) -> AppResult<LedgerPage> {
        perm::ledger(actor)?;
        let per_page = q.per_page.unwrap_or(50).clamp(1, 500);
        let page = q.page.unwrap_or(1).max(1);
        let mut f = LedgerFilter {
            year: q.year,
            limit: per_page,
            offset: crate::bounds::page_offset(page, per_page),
            ..Default::default()
        };
        if let Some(p) = q.policy.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            f.policy_id = Some(self.subsidy_policy_of(p).await?.id);
        }
        if let Some(d) = q
            .department
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let idx = self.registry().await?;
            f.department_id = Some(Self::department_of(&idx, d)?);
        }
        let (items, total) = self.db.subsidy_ledger_list(&f).await?;
        let totals = self.db.subsidy_totals(q.year, f.department_id).await?;
        let by_policy = match f.policy_id {
            Some(p) => totals
                .by_policy
                .into_iter()
                .filter(|r| r.id == Some(p))
                .collect(),
            None => totals.by_policy,
        };
        Ok(LedgerPage {
            items,
            total,
            page,
            per_page,
            total_fen: totals.total_fen,
            by_policy,
            by_department: totals.by_department,
        })
    }

    /// Totals of one year from the ledger.
    pub async fn subsidy_report(&self, actor: &Actor, year: i64) -> AppResult<SubsidyReport> {
        perm::ledger(actor)?;
        let t = self.db.subsidy_totals(Some(year), None).await?;
        Ok(SubsidyReport {
            year,
            total_fen: t.total_fen,
            entries: t.entries,
            by_policy: t
                .by_policy
                .iter()
                .map(|r| (r.code.clone(), r.fen))
                .collect(),
            by_department: t
                .by_department
                .iter()
                .map(|r| (r.code.clone(), r.fen))
                .collect(),
            by_document: t.by_policy.iter().fold(BTreeMap::new(), |mut m, r| {
                *m.entry(policy_document(&r.legal_ref).to_string())
                    .or_insert(0) += r.fen;
                m
            }),
            policies: t.by_policy,
            departments: t.by_department,
        })
    }

    /// Budget lines of a year (or all).
    pub async fn subsidy_budgets(
        &self,
        actor: &Actor,
        year: Option<i64>,
    ) -> AppResult<Vec<BudgetRow>> {
        perm::ledger(actor)?;
        Ok(self.db.subsidy_budgets(year).await?)
    }

    /// Policies that can carry money, for pickers.
    pub async fn subsidy_policies(&self, actor: &Actor) -> AppResult<Vec<SubsidyPolicy>> {
        perm::browse(actor)?;
        Ok(self.db.subsidy_policies().await?)
    }

    /// Set a policy's budget for a year (and the per-enterprise cap). Lowering it below what is
    /// paid and reserved is refused (`budget_below_spent`).
    pub async fn subsidy_budget_set(
        &self,
        actor: &Actor,
        inp: &BudgetInput,
    ) -> AppResult<BudgetRow> {
        let key = inp.policy.as_deref().map(str::trim).unwrap_or_default();
        if key.is_empty() {
            return Err(bad(
                "policy_required",
                "请选择政策",
                "the policy is required",
            ));
        }
        let policy = self.subsidy_policy_of(key).await?;
        perm::decide(actor, &policy)?;
        let year = inp.year.unwrap_or_else(|| china_year(Utc::now()));
        if !(2000..=2100).contains(&year) {
            return Err(bad("year_invalid", "年度无效", "the year is out of range"));
        }
        let budget = amount_of("budget", &inp.budget, inp.budget_fen)?.ok_or_else(|| {
            bad(
                "budget_required",
                "请填写预算金额",
                "the budget is required",
            )
        })?;
        let cap = amount_of(
            "enterprise_cap",
            &inp.enterprise_cap,
            inp.enterprise_cap_fen,
        )?;
        let before = self.db.subsidy_budget(policy.id, year).await?;
        let mut tx = self.db.begin().await?;
        match subsidy_budget_put(
            tx.conn(),
            policy.id,
            year,
            budget,
            cap,
            &now_text(Utc::now()),
        )
        .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(AppError::refused(
                    "budget_below_spent",
                    "预算不能低于已兑付与已批准待兑付金额之和",
                    "the budget cannot be below what is paid and approved",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "subsidy.budget",
                "subsidy_budget",
                Some(format!("{}:{year}", policy.code)),
                before.as_ref().and_then(|b| serde_json::to_value(b).ok()),
                Some(serde_json::json!({"policy": policy.code, "year": year, "budget_fen": budget, "enterprise_cap_fen": cap})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.db
            .subsidy_budget(policy.id, year)
            .await?
            .ok_or_else(|| AppError::NotFound("budget".into()))
    }
}

fn same_application(
    existing: ApplicationRow,
    policy_id: i64,
    enterprise_id: i64,
    amount_fen: i64,
) -> AppResult<ApplicationView> {
    if existing.policy_id == policy_id
        && existing.enterprise_id == enterprise_id
        && existing.amount_fen == amount_fen
    {
        Ok(view(existing))
    } else {
        Err(key_reused())
    }
}

fn same_payout(e: EntryRow, application_id: i64) -> AppResult<EntryRow> {
    if e.application_id == application_id && e.reverses_id.is_none() {
        Ok(e)
    } else {
        Err(key_reused())
    }
}

fn key_reused() -> AppError {
    AppError::refused(
        "request_key_reused",
        "该请求键已用于另一笔业务",
        "the request key was used for something else",
    )
}

fn group_refusal(holder_code: &str, year: i64) -> AppError {
    AppError::refused(
        "already_paid_in_group",
        format!("该企业{year}年度已享受同类政策“{holder_code}”，不重复享受"),
        format!(
            "the enterprise already benefits in {year} from {holder_code} of the same exclusive group"
        ),
    )
}

fn cap_refusal(cap: i64, used: i64) -> AppError {
    AppError::refused(
        "over_enterprise_cap",
        format!(
            "超出单个企业年度上限{}（已兑付及已批准{}）",
            yuan(cap),
            yuan(used)
        ),
        format!(
            "over the per-enterprise annual cap of {} ({} already paid or approved)",
            yuan(cap),
            yuan(used)
        ),
    )
}
