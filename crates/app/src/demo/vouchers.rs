//! Demo vouchers: a compute voucher (算力券) shaped on Hangzhou's published terms, an innovation
//! voucher and a model voucher, a demo provider linked to the `provider` account, grants to
//! demo enterprises, redemptions in every state, and last year's round expired back to its pool.
//! Everything goes through the use cases, so figures, audit and invariants are the real ones.
//! Loading is idempotent: nothing happens when the compute scheme exists.

use crate::voucher::{GrantInput, ProviderInput, RedemptionInput, RoundInput, SchemeInput};
use crate::{Actor, App, AppError, AppResult};
use chrono::{Datelike, NaiveDate};
use lianshi_domain::voucher::{Compute, RateTier, RedemptionAction, SchemeRules};
use lianshi_domain::{Uscc, demo};

/// Code of the demo compute-voucher scheme.
pub const COMPUTE_CODE: &str = "HZ-SLQ";

fn tier(code: &str, zh: &str, en: &str, rate_bp: i64) -> RateTier {
    RateTier {
        code: code.into(),
        label_zh: zh.into(),
        label_en: en.into(),
        rate_bp,
        ..Default::default()
    }
}

/// 杭州算力券 as published for 2025 (domain reference §6.2): 2.5亿 a year; 30 % of a compute
/// contract in general, 20 % for non-domestic compute, up to 50 % for enterprises whose declared
/// compute contracts of the year total ≤ 50万; ≤ 800万 per enterprise per year. The validity of
/// a granted quota was not published: one year is assumed.
pub fn compute_rules() -> SchemeRules {
    SchemeRules {
        tiers: vec![
            RateTier {
                compute: Some(Compute::Other),
                ..tier("other_compute", "非国产算力", "Non-domestic compute", 2000)
            },
            RateTier {
                max_annual_contracts_fen: Some(50_000_000),
                ..tier(
                    "small",
                    "年度算力合同≤50万的中小企业",
                    "SME, contracts ≤ 500k a year",
                    5000,
                )
            },
            tier("general", "一般", "General", 3000),
        ],
        annual_cap_fen: Some(800_000_000),
        per_application_cap_fen: None,
        full_offset_below_fen: None,
        validity_days: 365,
        service_types: vec![
            "训练".into(),
            "推理".into(),
            "MaaS".into(),
            "智能体开发".into(),
        ],
    }
}

/// ILLUSTRATIVE numbers: Hangzhou/Binjiang innovation-voucher caps, ratio and validity are
/// unknown (domain reference §6.1). The shape follows the 玉环 rulebook: per application 2万,
/// 10万 a year, a service under 1万 covered in full; the 50 % ratio is assumed.
pub fn innovation_rules() -> SchemeRules {
    SchemeRules {
        tiers: vec![tier(
            "general",
            "检验检测、研发服务",
            "Testing and R&D services",
            5000,
        )],
        annual_cap_fen: Some(10_000_000),
        per_application_cap_fen: Some(2_000_000),
        full_offset_below_fen: Some(1_000_000),
        validity_days: 365,
        service_types: vec!["检验检测".into(), "研发设计".into(), "技术咨询".into()],
    }
}

/// ILLUSTRATIVE numbers: no Binjiang 模型券 rule was found (domain reference §6.3); the 漳州
/// template is used (30 % of the model purchase, 200万 per enterprise per year).
pub fn model_rules() -> SchemeRules {
    SchemeRules {
        tiers: vec![tier(
            "general",
            "备案大模型服务",
            "Registered foundation models",
            3000,
        )],
        annual_cap_fen: Some(200_000_000),
        per_application_cap_fen: None,
        full_offset_below_fen: None,
        validity_days: 365,
        service_types: vec!["模型调用".into(), "模型微调".into()],
    }
}

fn ymd(y: i32, m: u32, d: u32) -> AppResult<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| AppError::Internal("demo date".into()))
}

impl App {
    /// Load the demo vouchers (see the module doc).
    pub async fn demo_vouchers(&self, actor: &Actor, seed: u64) -> AppResult<()> {
        if self
            .db
            .voucher_scheme_by_code(COMPUTE_CODE)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let today = Self::today();
        let year = today.year();
        let schemes = [
            (
                COMPUTE_CODE,
                "compute",
                "杭州市算力券",
                "市经信局、市发改委",
                "《杭州市加快建设人工智能创新高地的若干政策举措》（2025-06-13）",
                compute_rules(),
                "2.5亿",
            ),
            (
                "BJ-CXQ",
                "innovation",
                "滨江区创新券（示例）",
                "区科技局、区财政局",
                "示例参数，非正式规定",
                innovation_rules(),
                "2000万",
            ),
            (
                "BJ-MXQ",
                "model",
                "滨江区模型券（示例）",
                "区经信局",
                "示例参数，非正式规定",
                model_rules(),
                "3000万",
            ),
        ];
        let mut rounds = Vec::new();
        for (code, kind, name, issuer, legal_ref, rules, pool) in schemes {
            self.voucher_scheme_create(
                actor,
                &SchemeInput {
                    code: code.into(),
                    kind: kind.into(),
                    name: name.into(),
                    issuer: issuer.into(),
                    legal_ref: legal_ref.into(),
                    status: None,
                    rules,
                },
            )
            .await?;
            let mut ids = Vec::new();
            for y in [year - 1, year] {
                let r = self
                    .voucher_round_create(
                        actor,
                        code,
                        &RoundInput {
                            name: format!("{y}年度"),
                            year: y as i64,
                            pool_yuan: pool.into(),
                            opens_on: ymd(y, 1, 1)?.to_string(),
                            closes_on: ymd(y, 12, 31)?.to_string(),
                            valid_until: Some(ymd(y, 12, 31)?.to_string()),
                        },
                    )
                    .await?;
                ids.push(r.round.id);
            }
            rounds.push((code, ids));
        }
        // The demo provider: an intelligent-computing centre, linked to the `provider` account.
        let provider_uscc =
            Uscc::with_check("91330108MA2KCX8Q0").map_err(|e| AppError::Internal(e.to_string()))?;
        let username = self
            .db
            .user_by_username("provider")
            .await?
            .map(|_| "provider".to_string());
        self.voucher_provider_register(
            actor,
            &ProviderInput {
                username,
                name: "杭州城西智算中心（示例服务商）".into(),
                uscc: provider_uscc.as_str().into(),
                kinds: vec!["compute".into(), "model".into(), "innovation".into()],
            },
        )
        .await?;
        // Demo enterprises that exist (the first is the demo enterprise account's own).
        let mut usccs = Vec::new();
        for d in demo::enterprises(seed, 16) {
            if let Some(u) = d.uscc
                && self.db.enterprise_by_uscc(u.as_str()).await?.is_some()
            {
                usccs.push(u.as_str().to_string());
            }
        }
        if usccs.len() < 4 {
            return Ok(());
        }
        if let Some(related) = usccs.get(5) {
            self.voucher_related_add(
                actor,
                provider_uscc.as_str(),
                related,
                "同一实际控制人（示例）",
            )
            .await?;
        }
        let last_year_day = ymd(year - 1, 3, 1)?;
        let grant = |round: i64, uscc: String, yuan: &str, on: NaiveDate| {
            let inp = GrantInput {
                round_id: round,
                enterprise: uscc,
                amount_yuan: yuan.into(),
            };
            async move { self.voucher_grant(actor, &inp, on).await }
        };
        let amounts = [
            "50万", "120万", "300万", "80万", "30万", "200万", "60万", "25万",
        ];
        for (i, u) in usccs.iter().take(8).enumerate() {
            grant(rounds[0].1[1], u.clone(), amounts[i % amounts.len()], today).await?;
            if i % 2 == 0 {
                grant(rounds[0].1[0], u.clone(), "40万", last_year_day).await?;
            }
            if i % 3 == 0 {
                grant(rounds[1].1[1], u.clone(), "10万", today).await?;
            }
            if i % 4 == 1 {
                grant(rounds[2].1[1], u.clone(), "100万", today).await?;
            }
        }
        let provider = Some(provider_uscc.as_str().to_string());
        let redeem =
            |uscc: &str, scheme: &str, n: usize, yuan: &str, compute: &str, on: NaiveDate| {
                let inp = RedemptionInput {
                    enterprise: uscc.into(),
                    scheme: scheme.into(),
                    contract_no: format!("SL-{}-{n:03}", on.year()),
                    invoice_yuan: yuan.into(),
                    compute: compute.into(),
                    service_type: "训练".into(),
                    request_key: format!("demo-{scheme}-{n}"),
                    provider: provider.clone(),
                };
                async move { self.voucher_redeem(actor, &inp, on).await }
            };
        let step = |id: i64, a: RedemptionAction, on: NaiveDate| async move {
            let reason = (a == RedemptionAction::Reject).then_some("发票与合同金额不符（示例）");
            self.voucher_redemption_act(actor, id, a, reason, on).await
        };
        // Last year: one redemption written off, the rest of the quota expires below.
        let last = ymd(year - 1, 6, 15)?;
        let r = redeem(&usccs[0], COMPUTE_CODE, 1, "300000", "domestic", last).await?;
        step(r.r.id, RedemptionAction::Confirm, last).await?;
        step(r.r.id, RedemptionAction::WriteOff, last).await?;
        // This year: every state.
        let plan: [(usize, &str, &str, &[RedemptionAction]); 7] = [
            (
                0,
                "400000",
                "domestic",
                &[RedemptionAction::Confirm, RedemptionAction::WriteOff],
            ),
            (
                1,
                "2000000",
                "domestic",
                &[RedemptionAction::Confirm, RedemptionAction::WriteOff],
            ),
            (2, "5000000", "domestic", &[RedemptionAction::Confirm]),
            (
                3,
                "1000000",
                "other",
                &[RedemptionAction::Confirm, RedemptionAction::WriteOff],
            ),
            (1, "600000", "domestic", &[]),
            (2, "800000", "other", &[RedemptionAction::Reject]),
            (0, "150000.50", "domestic", &[]),
        ];
        for (n, (i, yuan, compute, steps)) in plan.iter().enumerate() {
            let Some(u) = usccs.get(*i) else { continue };
            let r = redeem(u, COMPUTE_CODE, n + 10, yuan, compute, today).await?;
            for a in *steps {
                step(r.r.id, *a, today).await?;
            }
        }
        // An innovation voucher (full offset below 1万) and a model voucher.
        let r = redeem(&usccs[0], "BJ-CXQ", 30, "8000", "", today).await?;
        step(r.r.id, RedemptionAction::Confirm, today).await?;
        step(r.r.id, RedemptionAction::WriteOff, today).await?;
        if let Some(u) = usccs.get(1) {
            let r = redeem(u, "BJ-MXQ", 31, "500000", "", today).await?;
            step(r.r.id, RedemptionAction::Confirm, today).await?;
        }
        // Last year's quota is over: return what was not used to the pools.
        self.voucher_expire(actor, ymd(year, 1, 1)?).await?;
        Ok(())
    }
}
