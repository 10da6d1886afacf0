//! Grants (发券): quota from a round's pool into one voucher per enterprise and round, and the
//! vouchers as enterprises and staff see them.

use super::*;

impl App {
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
}
