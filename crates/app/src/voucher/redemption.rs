//! Redemptions (兑付): a provider submits (checked, computed from the scheme's rules and held on
//! the voucher in one transaction), the enterprise confirms or declines, the platform writes off
//! or rejects.

use super::*;
use lianshi_store::enterprise::EnterpriseRow;

impl App {
    /// A provider submits a redemption on `today`. The same request key returns the first
    /// answer (`replayed: true`) without writing again.
    ///
    /// Steps, in this order (the order decides which refusal a bad request gets): who submits
    /// ([`App::redeem_provider`]), the request key (a replay answers at once), the fields
    /// ([`Submission::parse`]), the enterprise, scheme and provider ([`App::redeem_parties`]), the
    /// contract ([`App::redeem_contract_free`]), the usable vouchers ([`App::redeem_usable`]),
    /// then in one transaction the amount, the annual cap and the hold ([`App::redeem_hold`]) and
    /// the record with its audit entry ([`App::redeem_record`]).
    pub async fn voucher_redeem(
        &self,
        actor: &Actor,
        inp: &RedemptionInput,
        today: NaiveDate,
    ) -> AppResult<RedemptionView> {
        let provider = self.redeem_provider(actor, inp).await?;
        let key = request_key(inp)?;
        let contract = inp.contract_no.trim();
        if let Some(prev) = self.db.voucher_redemption_by_key(provider.id, key).await? {
            return self.replay(prev, contract, inp);
        }
        let sub = Submission::parse(inp)?;
        let (ent, s, rules) = self.redeem_parties(&provider, inp).await?;
        if let Some(prev) = self
            .redeem_contract_free(&provider, key, sub.contract)
            .await?
        {
            return self.replay(prev, sub.contract, inp);
        }
        let usable = self.redeem_usable(&s, &ent, today).await?;
        let year = today.year() as i64;
        let mut tx = self.db.begin().await?;
        let (voucher_id, c) = redeem_hold(&mut tx, &rules, &sub, &ent, &s, &usable, today).await?;
        let w = RedemptionWrite {
            voucher_id,
            scheme_id: s.id,
            enterprise_id: ent.id,
            provider_id: provider.id,
            request_key: key.to_string(),
            contract_no: sub.contract.to_string(),
            invoice_fen: sub.invoice_fen,
            compute: sub.compute.map(|c| c.as_str().to_string()),
            service_type: sub.service_type.to_string(),
            tier: c.tier.clone(),
            rate_bp: c.rate_bp,
            amount_fen: c.amount_fen,
            explain: format!("{} / {}", c.explain_zh, c.explain_en),
            year,
        };
        self.redeem_record(actor, tx, &w, &ent.uscc, &provider.uscc, inp)
            .await
    }

    /// Who submits: a provider user for its own provider record, or an administrator naming
    /// the provider; a deactivated provider submits nothing.
    async fn redeem_provider(
        &self,
        actor: &Actor,
        inp: &RedemptionInput,
    ) -> AppResult<ProviderRow> {
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
        Ok(provider)
    }

    /// The enterprise, the scheme (active, of a kind the provider serves) and its rules; the
    /// provider may not redeem for itself or a related party.
    async fn redeem_parties(
        &self,
        provider: &ProviderRow,
        inp: &RedemptionInput,
    ) -> AppResult<(EnterpriseRow, SchemeRow, SchemeRules)> {
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
        Ok((ent, s, rules))
    }

    /// A contract is subsidised once per provider: `Ok(Some(prev))` when a concurrent request
    /// with the same key committed it since the key check (answer as a replay), refused when
    /// another request did.
    async fn redeem_contract_free(
        &self,
        provider: &ProviderRow,
        key: &str,
        contract: &str,
    ) -> AppResult<Option<RedemptionRow>> {
        match self
            .db
            .voucher_redemption_by_contract(provider.id, contract)
            .await?
        {
            Some(prev) if prev.request_key == key => Ok(Some(prev)),
            Some(_) => Err(duplicate_contract(contract)),
            None => Ok(None),
        }
    }

    /// The enterprise's active vouchers of the scheme still valid `today`, the one expiring
    /// first first.
    async fn redeem_usable(
        &self,
        s: &SchemeRow,
        ent: &EnterpriseRow,
        today: NaiveDate,
    ) -> AppResult<Vec<VoucherRow>> {
        let today_s = today.to_string();
        let vouchers = self.db.voucher_list(Some(s.id), Some(ent.id), 1000).await?;
        let held = !vouchers.is_empty();
        let mut usable: Vec<VoucherRow> = vouchers
            .into_iter()
            .filter(|v| v.status == "active" && v.valid_until >= today_s)
            .collect();
        if usable.is_empty() {
            return Err(if held {
                refused(
                    "voucher_expired",
                    "该企业的券已过有效期",
                    "the enterprise's voucher has expired",
                )
            } else {
                refused(
                    "voucher_not_granted",
                    "该企业未领取此券种的券",
                    "the enterprise holds no voucher of this scheme",
                )
            });
        }
        usable.sort_by(|a, b| a.valid_until.cmp(&b.valid_until).then(a.id.cmp(&b.id)));
        Ok(usable)
    }

    /// Insert the redemption and its audit entry and commit. A concurrent request with the
    /// same key or contract that won (at insert, or at commit on PostgreSQL) is answered as a
    /// replay or a duplicate contract.
    async fn redeem_record(
        &self,
        actor: &Actor,
        mut tx: lianshi_store::Tx,
        w: &RedemptionWrite,
        enterprise_uscc: &str,
        provider_uscc: &str,
        inp: &RedemptionInput,
    ) -> AppResult<RedemptionView> {
        let (key, contract) = (w.request_key.as_str(), w.contract_no.as_str());
        let id = match voucher_redemption_insert(tx.conn(), w).await {
            Ok(id) => id,
            Err(lianshi_store::StoreError::Conflict(_)) => {
                drop(tx);
                // A concurrent request with the same key or contract won.
                if let Some(prev) = self
                    .db
                    .voucher_redemption_by_key(w.provider_id, key)
                    .await?
                {
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
                Some(serde_json::json!({"voucher_id": w.voucher_id, "enterprise": enterprise_uscc, "provider": provider_uscc,
                    "contract_no": contract, "invoice_fen": w.invoice_fen, "tier": w.tier, "amount_fen": w.amount_fen,
                    "request_key": key})),
            ),
        )
        .await?;
        match tx.commit().await {
            Ok(()) => {}
            Err(e) => {
                // Lost a race at commit time (PostgreSQL unique check): answer as a replay if so.
                if let Some(prev) = self
                    .db
                    .voucher_redemption_by_key(w.provider_id, key)
                    .await?
                {
                    return self.replay(prev, contract, inp);
                }
                return Err(e.into());
            }
        }
        let r = self.redemption_row(id).await?;
        Ok(view(r, false, false))
    }

    /// Redemption `id` as stored, or not found.
    async fn redemption_row(&self, id: i64) -> AppResult<RedemptionRow> {
        self.db
            .voucher_redemption_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("redemption {id}")))
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
        let r = self.redemption_row(id).await?;
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
        let reason = match reason {
            Some(r) => Some(crate::text::line("reason", r)?),
            None => None,
        }
        .filter(|s| !s.is_empty());
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
            RedemptionState::Rejected => release_hold(&mut tx, &r).await?,
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
        let r = self.redemption_row(id).await?;
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
        let r = self.redemption_row(id).await?;
        let own_provider = actor.role == Role::Provider
            && self.voucher_provider_me(actor).await?.id == r.provider_id;
        perm::view_redemption(actor, r.enterprise_id, own_provider)?;
        Ok(view(r, false, false))
    }
}

/// The request key that makes a submission idempotent: 1–100 characters.
fn request_key(inp: &RedemptionInput) -> AppResult<&str> {
    let key = inp.request_key.trim();
    if key.is_empty() || key.chars().count() > 100 {
        return Err(bad(
            "voucher_request_key_required",
            "请提供1–100字符的请求编号 request_key（防止重复提交）",
            "a request_key of 1–100 characters is required (it makes retries safe)",
        ));
    }
    Ok(key)
}

/// The submitted fields, checked: contract number, invoice (元, bounded), compute type and
/// service type.
struct Submission<'a> {
    contract: &'a str,
    invoice_fen: i64,
    compute: Option<Compute>,
    service_type: &'a str,
}

impl<'a> Submission<'a> {
    fn parse(inp: &'a RedemptionInput) -> AppResult<Submission<'a>> {
        let contract = inp.contract_no.trim();
        if contract.is_empty() || contract.chars().count() > 100 {
            return Err(bad(
                "voucher_contract_required",
                "请填写合同编号（1–100字符）",
                "the contract number is required (1–100 characters)",
            ));
        }
        let invoice_fen = bounded_fen("invoice_yuan", &inp.invoice_yuan)?;
        let compute = Compute::parse(&inp.compute).map_err(AppError::from_invalid)?;
        let service_type = inp.service_type.trim();
        if service_type.is_empty() {
            return Err(bad(
                "voucher_service_type_required",
                "请填写服务类型",
                "the service type is required",
            ));
        }
        Ok(Submission {
            contract,
            invoice_fen,
            compute,
            service_type,
        })
    }
}

/// Inside the transaction: lock the enterprise's yearly usage row (serialising its
/// redemptions in the scheme), compute the amount from the rules, take it from the annual cap
/// and hold it on the first usable voucher with enough balance. Returns that voucher and the
/// computation.
async fn redeem_hold(
    tx: &mut lianshi_store::Tx,
    rules: &SchemeRules,
    sub: &Submission<'_>,
    ent: &EnterpriseRow,
    s: &SchemeRow,
    usable: &[VoucherRow],
    today: NaiveDate,
) -> AppResult<(i64, dv::Computation)> {
    let year = today.year() as i64;
    let today_s = today.to_string();
    let (contracts_before, used_before) =
        voucher_usage_lock(tx.conn(), ent.id, s.id, year, sub.invoice_fen).await?;
    let c = dv::compute(
        rules,
        &RedemptionFacts {
            invoice_fen: sub.invoice_fen,
            compute: sub.compute,
            service_type: sub.service_type.to_string(),
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
    for v in usable {
        if voucher_hold(tx.conn(), v.id, c.amount_fen, &today_s).await? {
            return Ok((v.id, c));
        }
    }
    let free: i64 = usable
        .iter()
        .map(|v| VoucherView::from(v.clone()).free_fen)
        .fold(0i64, i64::saturating_add);
    Err(refused(
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
    ))
}

fn duplicate_contract(contract: &str) -> AppError {
    refused(
        "voucher_contract_already_subsidised",
        format!("合同 {contract} 已申请过券补助，不得重复享受"),
        format!("contract {contract} has already been subsidised by a voucher"),
    )
}
