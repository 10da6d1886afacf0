//! Demo policies (惠企工具包): the demo rule set (`crates/app/demo/policies/*.toml`: 50 policies
//! and 70 services, synthetic, loaded through [`App::policy_load_named`]), budgets, applications
//! and ledger entries for 2024 and for the 2025 AI policy (`BJ-AI-2025-*`).
//!
//! The paid amounts are not typed in: for each year the demo rule set is evaluated over the demo
//! enterprises (`policy_snapshot` at a date of that year, exclusive groups applied), every
//! (eligible enterprise, policy) pair with a positive amount is a candidate, candidates are taken
//! in an order drawn from the seed, and each is applied for, reviewed, approved and paid at its
//! computed amount through the subsidy use cases, as long as the year's running total stays within
//! the target the issue names (2024: 20,000,000 元 in all; 2025 AI policy: 48,388,300 元).
//! The LAST payment is reduced to the remainder so that the ledger total equals the target
//! exactly; the remainder is at most that candidate's computed amount, so it stays within the
//! policy's formula and caps. When the population is too small to reach a target, everything
//! eligible is paid and the summary says how much is missing. The figures the UI and
//! `lianshi report subsidies` show are always sums of ledger entries.
//!
//! A few more applications make the lists realistic: per year five candidates that were not paid
//! were rejected (with a reason). Budgets per policy and year are what was paid plus a quarter,
//! rounded up to 10万元. Deterministic for a seed; does nothing when the demo
//! policies exist already, and nothing for zones under [`MIN_ENTERPRISES`] enterprises (test
//! zones), which keeps other features' tests free of demo money.

use crate::subsidy::BudgetInput;
use crate::{Actor, App, AppError, AppResult};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use lianshi_domain::subsidy::SubsidyAction;
use lianshi_rules as rules;
use std::collections::BTreeMap;

/// The demo rule files, in load order.
pub const FILES: [(&str, &str); 6] = [
    ("kjj.toml", include_str!("../../demo/policies/kjj.toml")),
    ("jxj.toml", include_str!("../../demo/policies/jxj.toml")),
    (
        "ai2025.toml",
        include_str!("../../demo/policies/ai2025.toml"),
    ),
    (
        "finance.toml",
        include_str!("../../demo/policies/finance.toml"),
    ),
    (
        "talent_rent_trade.toml",
        include_str!("../../demo/policies/talent_rent_trade.toml"),
    ),
    (
        "services.toml",
        include_str!("../../demo/policies/services.toml"),
    ),
];

/// Code prefix of the 2025 AI policy's measures.
pub const AI_2025_PREFIX: &str = "BJ-AI-2025-";
/// Target of the 2024 ledger total (issue 4: 20,000,000 元), fen. Used only to choose which
/// eligible enterprises were paid; shown figures come from the ledger.
pub const TARGET_2024_FEN: i64 = 2_000_000_000;
/// Target of the 2025 AI policy's ledger total (48,388,300 元), fen.
pub const TARGET_AI_2025_FEN: i64 = 4_838_830_000;
/// Zones with fewer enterprises get no demo policies (test zones).
pub const MIN_ENTERPRISES: usize = 200;

/// What the policy demo did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DemoPoliciesSummary {
    pub policies: usize,
    pub applications: usize,
    pub payments: usize,
    pub paid_2024_fen: i64,
    pub paid_ai_2025_fen: i64,
    /// Fen short of a target when the population was too small (0 when reached).
    pub short_2024_fen: i64,
    pub short_ai_2025_fen: i64,
}

fn mix(seed: u64, i: u64) -> u64 {
    let mut z = seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    })
}

/// The parsed demo rule set.
pub fn demo_defs() -> AppResult<Vec<rules::PolicyDef>> {
    let mut defs = Vec::new();
    for (name, src) in FILES {
        let d = rules::parse_file(src).map_err(|e| {
            AppError::Internal(format!(
                "demo rule file {name}: {}",
                e.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })?;
        defs.extend(d);
    }
    Ok(defs)
}

/// One payment to make.
struct Pick {
    code: String,
    enterprise_id: i64,
    amount_fen: i64,
}

/// A moment of `year` in China time (UTC+8), day `day` (0-based) from 1 March, at 10:00.
fn at_in(year: i32, day: u64) -> AppResult<DateTime<Utc>> {
    let d = NaiveDate::from_ymd_opt(year, 3, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(day % 270)))
        .and_then(|d| d.and_hms_opt(2, 0, 0))
        .ok_or_else(|| AppError::Internal("demo date".into()))?;
    Ok(Utc.from_utc_datetime(&d))
}

/// Apply for `p` under `policy_id` at `applied`, keyed by year, policy and enterprise so a rerun
/// applies once; returns the application's id and its request key.
async fn demo_apply(
    app: &App,
    actor: &Actor,
    policy_id: i64,
    p: &Pick,
    year: i32,
    applied: DateTime<Utc>,
) -> AppResult<(i64, String)> {
    let key = format!("demo:{year}:{}:{}", p.code, p.enterprise_id);
    let v = app
        .subsidy_apply_at(
            actor,
            policy_id,
            p.enterprise_id,
            p.amount_fen,
            i64::from(year),
            &key,
            "demo",
            "",
            applied,
        )
        .await?;
    Ok((v.row.id, key))
}

impl App {
    /// Load the demo policies, budgets, applications and payouts (called by
    /// [`App::demo_load`] with the number of enterprises it loaded).
    pub async fn demo_policies(
        &self,
        actor: &Actor,
        seed: u64,
        enterprises: usize,
    ) -> AppResult<DemoPoliciesSummary> {
        let mut s = DemoPoliciesSummary::default();
        if enterprises < MIN_ENTERPRISES || self.db.policy_by_code("BJ-KJ-2024-01").await?.is_some()
        {
            return Ok(s);
        }
        for (name, src) in FILES {
            let r = self.policy_load_named(actor, name, src).await?;
            s.policies += r.total();
        }
        let defs = demo_defs()?;
        let on_2024 = NaiveDate::from_ymd_opt(2024, 6, 30)
            .ok_or_else(|| AppError::Internal("date".into()))?;
        let on_2025 = NaiveDate::from_ymd_opt(2025, 9, 30)
            .ok_or_else(|| AppError::Internal("date".into()))?;
        let (paid, short) = self
            .demo_pay_year(actor, seed, &defs, on_2024, TARGET_2024_FEN, &mut s, |c| {
                !c.starts_with(AI_2025_PREFIX)
            })
            .await?;
        s.paid_2024_fen = paid;
        s.short_2024_fen = short;
        let (paid, short) = self
            .demo_pay_year(
                actor,
                seed,
                &defs,
                on_2025,
                TARGET_AI_2025_FEN,
                &mut s,
                |c| c.starts_with(AI_2025_PREFIX),
            )
            .await?;
        s.paid_ai_2025_fen = paid;
        s.short_ai_2025_fen = short;
        Ok(s)
    }

    /// Pay, in year `on.year()`, eligible pairs of the policies `wanted` accepts until `target`.
    /// Returns (paid, short of target).
    #[allow(clippy::too_many_arguments)]
    async fn demo_pay_year(
        &self,
        actor: &Actor,
        seed: u64,
        defs: &[rules::PolicyDef],
        on: NaiveDate,
        target: i64,
        s: &mut DemoPoliciesSummary,
        wanted: impl Fn(&str) -> bool,
    ) -> AppResult<(i64, i64)> {
        let year = chrono::Datelike::year(&on);
        let snap = self.policy_snapshot(on).await?;
        let set = rules::compile(defs, on, &rules::Overrides::default()).map_err(|d| {
            AppError::Internal(format!(
                "demo rules: {}",
                d.iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })?;
        let pop = std::sync::Arc::clone(&snap);
        let set2 = set.clone();
        let outcome = tokio::task::spawn_blocking(move || set2.evaluate(&pop.population))
            .await
            .map_err(|e| AppError::Internal(format!("demo evaluation: {e}")))?;
        // Candidates: policies with money whose window holds the date.
        let mut cands: Vec<(u64, Pick)> = Vec::new();
        for d in defs {
            if d.kind != rules::Kind::Policy
                || d.benefit.is_none()
                || !d.window_contains(on)
                || !wanted(&d.code)
            {
                continue;
            }
            let Some(p) = outcome.get(&d.code) else {
                continue;
            };
            for (i, id) in snap.ids.iter().enumerate() {
                if p.eligible.get(i) && p.amount(i) > 0 {
                    let key = mix(seed ^ hash_str(&d.code) ^ (year as u64), *id as u64);
                    cands.push((
                        key,
                        Pick {
                            code: d.code.clone(),
                            enterprise_id: *id,
                            amount_fen: p.amount(i),
                        },
                    ));
                }
            }
        }
        cands.sort_by_key(|c| c.0);
        // Greedy in seeded order; the last pick is cut to the remainder (within its amount).
        let mut picks: Vec<Pick> = Vec::new();
        let mut total = 0i64;
        let mut rest: Vec<Pick> = Vec::new();
        for (_, c) in cands {
            if total == target {
                rest.push(c);
            } else if total + c.amount_fen <= target {
                total += c.amount_fen;
                picks.push(c);
            } else {
                rest.push(c);
            }
        }
        if total < target
            && let Some(pos) = rest.iter().position(|c| c.amount_fen >= target - total)
        {
            let mut last = rest.swap_remove(pos);
            // Adjusted: the last payment is the remainder, not the computed amount.
            last.amount_fen = target - total;
            total += last.amount_fen;
            picks.push(last);
        }
        // Budgets: what is paid plus a margin, rounded up to 10万元.
        let mut per_policy: BTreeMap<String, i64> = BTreeMap::new();
        for p in &picks {
            *per_policy.entry(p.code.clone()).or_default() += p.amount_fen;
        }
        for (code, paid) in &per_policy {
            let step = 10_000_000; // 10万元 in fen
            let budget = (paid + paid / 4 + step - 1) / step * step;
            self.subsidy_budget_set(
                actor,
                &BudgetInput {
                    policy: Some(code.clone()),
                    year: Some(i64::from(year)),
                    budget_fen: Some(budget),
                    ..Default::default()
                },
            )
            .await?;
        }
        // Apply → review → approve → pay, spread over the year.
        for (k, p) in picks.iter().enumerate() {
            let policy = self
                .db
                .subsidy_policy_by_code(&p.code)
                .await?
                .ok_or_else(|| AppError::Internal(format!("demo policy {}", p.code)))?;
            let day = mix(seed, k as u64) % 240;
            let applied = at_in(year, day)?;
            let (id, key) = demo_apply(self, actor, policy.id, p, year, applied).await?;
            self.subsidy_act_at(
                actor,
                id,
                &SubsidyAction::Review,
                applied + chrono::Duration::days(3),
            )
            .await?;
            self.subsidy_act_at(
                actor,
                id,
                &SubsidyAction::Approve {
                    amount_fen: p.amount_fen,
                },
                applied + chrono::Duration::days(10),
            )
            .await?;
            self.subsidy_disburse_at(
                actor,
                id,
                &format!("{key}:pay"),
                applied + chrono::Duration::days(20),
            )
            .await?;
            s.applications += 1;
            s.payments += 1;
        }
        // A few rejected applications from candidates that were not paid.
        for (k, p) in rest.iter().take(5).enumerate() {
            let Some(policy) = self.db.subsidy_policy_by_code(&p.code).await? else {
                continue;
            };
            let applied = at_in(year, 30 + 40 * k as u64)?;
            let (id, _) = demo_apply(self, actor, policy.id, p, year, applied).await?;
            self.subsidy_act_at(
                actor,
                id,
                &SubsidyAction::Reject {
                    reason: "申报材料不全，研发费用专项审计报告未加盖事务所公章（示例）".into(),
                },
                applied + chrono::Duration::days(7),
            )
            .await?;
            s.applications += 1;
        }
        Ok((total, target - total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_rule_set_parses_and_compiles_with_50_policies_and_70_services() {
        let defs = demo_defs().unwrap();
        let policies = defs
            .iter()
            .filter(|d| d.kind == rules::Kind::Policy)
            .count();
        let services = defs
            .iter()
            .filter(|d| d.kind == rules::Kind::Service)
            .count();
        assert_eq!((policies, services), (50, 70));
        let mut codes: Vec<&str> = defs.iter().map(|d| d.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 120, "codes are unique");
        for on in [(2024, 6, 30), (2025, 9, 30)] {
            let on = NaiveDate::from_ymd_opt(on.0, on.1, on.2).unwrap();
            rules::compile(&defs, on, &rules::Overrides::default()).unwrap();
        }
        // departments are the demo zone's
        let zone = lianshi_domain::demo::zone();
        for d in &defs {
            assert!(
                zone.departments.iter().any(|z| z.code == d.department),
                "{}: department {}",
                d.code,
                d.department
            );
            assert!(!d.legal_ref.is_empty() && !d.contact.is_empty() && !d.who.is_empty());
            for c in &d.conditions {
                assert!(
                    !c.clause.is_empty(),
                    "{}: every condition names its clause",
                    d.code
                );
            }
        }
        // dated parameters: several change on a date
        let dated = defs
            .iter()
            .flat_map(|d| &d.params)
            .filter(|p| p.values.len() > 1)
            .count();
        assert!(dated >= 5, "{dated} dated changes");
        assert!(defs.iter().filter(|d| d.group.is_some()).count() >= 10);
        assert!(
            defs.iter()
                .filter(|d| d.code.starts_with(AI_2025_PREFIX))
                .count()
                >= 5
        );
    }
}
