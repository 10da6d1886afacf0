//! Demo innovation points (积分贷): the default model, one scoring run, consents of about two in five
//! of the enterprises to the two demo banks (the demo enterprise user's own enterprise always
//! consents to 杭州银行科技支行, so the `bank` account sees it), and credit loans to some
//! consenting enterprises sized by score (basic line 50万 and up; 85 points → 1000万, as in the
//! 滨创贷 example of domain reference §6.4).
//!
//! Consents and loans go through the same use cases people use, acting as the enterprise and
//! the bank. Deterministic for a seed; does nothing when a scoring run exists already.

use crate::score::{ConsentInput, LoanInput, ScoreQuery};
use crate::{Actor, App, AppResult, Source};
use chrono::Duration;
use lianshi_domain::Role;
use lianshi_domain::zone::RegistryKind;

/// What the score demo did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DemoScoresSummary {
    pub scored: usize,
    pub consents: usize,
    pub loans: usize,
    pub loans_fen: i64,
}

fn mix(seed: u64, i: u64) -> u64 {
    let mut z = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5C0E;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl App {
    /// Load the score demo (called by [`App::demo_load`] last).
    pub async fn demo_scores(&self, actor: &Actor, seed: u64) -> AppResult<DemoScoresSummary> {
        crate::score::perm::run(actor)?;
        let mut s = DemoScoresSummary::default();
        if self.db.score_run_latest().await?.is_some() {
            return Ok(s);
        }
        let today = Self::today();
        let run = self.score_run(actor, today).await?;
        s.scored = run.enterprises;
        let idx = self.registry().await?;
        let banks: Vec<(i64, String)> = ["hzbank_tech", "demo_bank"]
            .iter()
            .filter_map(|c| idx.find(RegistryKind::Institution, c))
            .map(|r| (r.id, r.code.clone().unwrap_or_else(|| r.id.to_string())))
            .collect();
        if banks.is_empty() {
            return Ok(s);
        }
        let own = lianshi_domain::demo::enterprises(seed, 1)
            .next()
            .and_then(|d| d.uscc.map(|u| u.as_str().to_string()));
        let page = self
            .score_list(
                actor,
                &ScoreQuery {
                    per_page: Some(200),
                    ..Default::default()
                },
            )
            .await?;
        let mut all = page.items;
        let mut p = 2;
        while (all.len() as i64) < page.total {
            let more = self
                .score_list(
                    actor,
                    &ScoreQuery {
                        per_page: Some(200),
                        page: Some(p),
                        ..Default::default()
                    },
                )
                .await?;
            if more.items.is_empty() {
                break;
            }
            all.extend(more.items);
            p += 1;
        }
        all.sort_by_key(|i| i.enterprise_id);
        for item in &all {
            let h = mix(seed, item.enterprise_id as u64);
            let is_own = own.as_deref() == Some(item.uscc.as_str());
            let bank = if is_own || h % 10 < 3 {
                &banks[0]
            } else if h % 10 == 3 && banks.len() > 1 {
                &banks[1]
            } else {
                continue;
            };
            let ent_actor = Actor {
                user_id: None,
                username: format!("demo:{}", item.uscc),
                display_name: item.name.clone(),
                role: Role::Enterprise,
                enterprise_id: Some(item.enterprise_id),
                department_id: None,
                source: Source::Demo,
            };
            self.score_consent_set(
                &ent_actor,
                &ConsentInput {
                    enterprise: None,
                    institution: bank.1.clone(),
                    granted: true,
                },
            )
            .await?;
            s.consents += 1;
            if item.score < 55.0 || (h >> 8).is_multiple_of(3) {
                continue;
            }
            let wan: i64 = if item.score >= 85.0 {
                1000
            } else if item.score >= 75.0 {
                500
            } else if item.score >= 65.0 {
                200
            } else {
                50 + ((h >> 16) % 4) as i64 * 25
            };
            let rate_bp = (420 - ((item.score - 55.0) * 2.0).round() as i64).clamp(300, 420);
            let bank_actor = Actor {
                user_id: None,
                username: format!("demo:{}", bank.1),
                display_name: bank.1.clone(),
                role: Role::Finance,
                enterprise_id: None,
                department_id: Some(bank.0),
                source: Source::Demo,
            };
            let l = self
                .score_loan_record(
                    &bank_actor,
                    &LoanInput {
                        enterprise: item.uscc.clone(),
                        amount: serde_json::json!(format!("{wan}万")),
                        rate: serde_json::json!(format!("{}.{:02}", rate_bp / 100, rate_bp % 100)),
                        term_months: if (h >> 20).is_multiple_of(2) { 12 } else { 36 },
                        granted_on: Some(
                            (today - Duration::days(((h >> 24) % 300) as i64)).to_string(),
                        ),
                        note: "积分贷（示例）".into(),
                    },
                )
                .await?;
            s.loans += 1;
            s.loans_fen += l.amount_fen;
        }
        Ok(s)
    }
}
