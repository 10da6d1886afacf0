//! Expiry (free balances return to the pools) and the ledger check (issued = redeemed +
//! outstanding + expired per scheme).

use super::*;

impl App {
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
                    release_hold(&mut tx, &r).await?;
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
