//! Vouchers through the use cases on both backends: grant → redeem → confirm → write off,
//! every refusal code, idempotent requests, expiry back to the pool, and the ledger invariant
//! after a random sequence of operations with concurrent redemptions.

use chrono::NaiveDate;
use lianshi_app::voucher::{GrantInput, ProviderInput, RedemptionInput, RoundInput, SchemeInput};
use lianshi_app::{Actor, App, AppError, Source};
use lianshi_domain::voucher::{Compute, RateTier, RedemptionAction, SchemeRules};
use lianshi_store::audit::AuditQuery;
use lianshi_store::{Db, both_backends};

mod common;
use common::admin;

const PASSWORD: &str = "Lianshi@2026";

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn login(app: &App, user: &str) -> Actor {
    app.login(user, PASSWORD, "test", "api")
        .await
        .unwrap()
        .actor
}

/// Hangzhou's compute voucher rules (2025): 20 % other compute, 50 % up to 50万 a year, else 30 %; cap 800万.
fn compute_rules() -> SchemeRules {
    SchemeRules {
        tiers: vec![
            RateTier {
                code: "other_compute".into(),
                label_zh: "非国产算力".into(),
                rate_bp: 2000,
                compute: Some(Compute::Other),
                ..Default::default()
            },
            RateTier {
                code: "small".into(),
                label_zh: "年度合同≤50万".into(),
                rate_bp: 5000,
                max_annual_contracts_fen: Some(50_000_000),
                ..Default::default()
            },
            RateTier {
                code: "general".into(),
                label_zh: "一般".into(),
                rate_bp: 3000,
                ..Default::default()
            },
        ],
        annual_cap_fen: Some(800_000_000),
        validity_days: 365,
        ..Default::default()
    }
}

struct World {
    app: App,
    provider: Actor,
    ent: Actor,
    /// Credit codes of enterprises 1..=6 (1 is the demo enterprise user's own).
    usccs: Vec<String>,
    round: i64,
    provider_uscc: String,
}

async fn world(db: Db) -> World {
    let app = App::new(db);
    app.demo_load(&Actor::system(Source::Demo), 12, 7)
        .await
        .unwrap();
    let a = admin();
    app.voucher_scheme_create(
        &a,
        &SchemeInput {
            code: "T-COMPUTE".into(),
            kind: "compute".into(),
            name: "测试算力券".into(),
            issuer: "市经信局".into(),
            legal_ref: "测试".into(),
            status: None,
            rules: compute_rules(),
        },
    )
    .await
    .unwrap();
    let round = app
        .voucher_round_create(
            &a,
            "T-COMPUTE",
            &RoundInput {
                name: "2026年第一批".into(),
                year: 2026,
                pool_yuan: "1000万".into(),
                opens_on: "2026-01-01".into(),
                closes_on: "2026-06-30".into(),
                valid_until: Some("2026-09-30".into()),
            },
        )
        .await
        .unwrap();
    // The demo provider (linked to the `provider` account) files the redemptions.
    let provider = login(&app, "provider").await;
    let me = app.voucher_provider_me(&provider).await.unwrap();
    let provider_uscc = me.uscc.clone();
    // Enterprises the demo did not record as related to the provider; the first is the demo
    // enterprise account's own.
    let mut usccs = Vec::new();
    for id in 1..=12 {
        if usccs.len() < 6 && !app.db.voucher_related(me.id, id).await.unwrap() {
            usccs.push(app.db.enterprise_by_id(id).await.unwrap().unwrap().uscc);
        }
    }
    World {
        provider,
        ent: login(&app, "ent").await,
        app,
        usccs,
        round: round.round.id,
        provider_uscc,
    }
}

async fn grant(w: &World, uscc: &str, yuan: &str) {
    w.app
        .voucher_grant(
            &admin(),
            &GrantInput {
                round_id: w.round,
                enterprise: uscc.into(),
                amount_yuan: yuan.into(),
            },
            day("2026-03-01"),
        )
        .await
        .unwrap();
}

fn redemption(uscc: &str, contract: &str, yuan: &str, key: &str) -> RedemptionInput {
    RedemptionInput {
        enterprise: uscc.into(),
        scheme: "T-COMPUTE".into(),
        contract_no: contract.into(),
        invoice_yuan: yuan.into(),
        compute: "domestic".into(),
        service_type: "training".into(),
        request_key: key.into(),
        provider: None,
    }
}

/// How many audit entries have an action starting with `prefix`.
async fn voucher_audit(app: &App, prefix: &str) -> i64 {
    app.audit_search(
        &admin(),
        &AuditQuery {
            action: Some(prefix.into()),
            limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .1
}

fn code(e: &AppError) -> &'static str {
    e.code()
}

async fn assert_balanced(app: &App) {
    let rows = app.voucher_check(&admin()).await.unwrap();
    for r in &rows {
        assert!(r.ok, "scheme {} out of balance: {:?}", r.code, r.problems);
        let f = r.figures;
        assert_eq!(
            f.issued_fen,
            f.redeemed_fen + f.outstanding_fen + f.expired_fen
        );
    }
}

both_backends!(
    a_compute_voucher_runs_from_grant_to_write_off_with_the_tier_amounts,
    |db: Db| async move {
        let w = world(db).await;
        let audit_before = voucher_audit(&w.app, "voucher.").await;
        let ent = &w.usccs[0];
        grant(&w, ent, "100万").await;
        let on = day("2026-04-01");
        // 40万 domestic: within 50万 for the year → 50 %.
        let r = w
            .app
            .voucher_redeem(&w.provider, &redemption(ent, "HT-001", "400000", "k1"), on)
            .await
            .unwrap();
        assert_eq!((r.r.tier.as_str(), r.r.amount_fen), ("small", 20_000_000));
        assert_eq!(r.r.status, "submitted");
        // 20万 more: the year now totals 60万 > 50万 → 30 %.
        let r2 = w
            .app
            .voucher_redeem(
                &w.provider,
                &redemption(ent, "HT-002", "200000.00", "k2"),
                on,
            )
            .await
            .unwrap();
        assert_eq!(
            (r2.r.tier.as_str(), r2.r.amount_fen),
            ("general", 6_000_000)
        );
        // Other compute → 20 %.
        let mut other = redemption(ent, "HT-003", "10000.05", "k3");
        other.compute = "other".into();
        let r3 = w.app.voucher_redeem(&w.provider, &other, on).await.unwrap();
        assert_eq!(
            (r3.r.tier.as_str(), r3.r.amount_fen),
            ("other_compute", 200_001)
        );
        // The enterprise confirms; a provider cannot write off; the platform writes off.
        let c = w
            .app
            .voucher_redemption_act(&w.ent, r.r.id, RedemptionAction::Confirm, None, on)
            .await
            .unwrap();
        assert_eq!(c.r.status, "confirmed");
        let denied = w
            .app
            .voucher_redemption_act(&w.provider, r.r.id, RedemptionAction::WriteOff, None, on)
            .await;
        assert!(matches!(denied, Err(AppError::Forbidden)));
        let done = w
            .app
            .voucher_redemption_act(&admin(), r.r.id, RedemptionAction::WriteOff, None, on)
            .await
            .unwrap();
        assert_eq!(done.r.status, "written_off");
        // Writing off before the enterprise confirms is refused.
        let early = w
            .app
            .voucher_redemption_act(&admin(), r2.r.id, RedemptionAction::WriteOff, None, on)
            .await
            .unwrap_err();
        assert_eq!(code(&early), "voucher_transition_refused");
        let s = w.app.voucher_scheme(&admin(), "T-COMPUTE").await.unwrap();
        assert_eq!(s.figures.issued_fen, 100_000_000);
        assert_eq!(s.figures.redeemed_fen, 20_000_000);
        assert_eq!(s.figures.held_fen, 6_000_000 + 200_001);
        assert_eq!(s.figures.outstanding_fen, 80_000_000);
        assert_eq!(s.available_fen, 1_000_000_000 - 100_000_000);
        // The enterprise sees its voucher and the three redemptions; another enterprise's is out of scope.
        let mine = w.app.voucher_enterprise(&w.ent, None, false).await.unwrap();
        let vs: Vec<_> = mine
            .vouchers
            .iter()
            .filter(|v| v.voucher.scheme_code == "T-COMPUTE")
            .collect();
        assert_eq!(vs.len(), 1);
        assert_eq!(vs[0].voucher.redeemed_fen, 20_000_000);
        let rs = mine
            .redemptions
            .iter()
            .filter(|r| r.r.scheme_name == "测试算力券")
            .count();
        assert_eq!(rs, 3);
        let other = w
            .app
            .voucher_enterprise(&w.ent, Some(&w.usccs[1]), false)
            .await;
        assert!(matches!(other, Err(AppError::Forbidden)));
        // The provider sees its own redemptions.
        let list = w
            .app
            .voucher_redemptions(&w.provider, None, Some("T-COMPUTE"), false)
            .await
            .unwrap();
        assert_eq!(list.len(), 3);
        // grant, 3 redemptions, confirm, write-off: one audit entry each
        assert_eq!(voucher_audit(&w.app, "voucher.").await - audit_before, 6);
        assert_balanced(&w.app).await;
    }
);

both_backends!(
    bad_redemptions_are_refused_with_clear_codes,
    |db: Db| async move {
        let w = world(db).await;
        let a = admin();
        let on = day("2026-04-01");
        let ent = w.usccs[1].clone();
        grant(&w, &ent, "10万").await;
        let try_redeem = |inp: RedemptionInput| {
            let app = w.app.clone();
            let p = w.provider.clone();
            async move {
                app.voucher_redeem(&p, &inp, on)
                    .await
                    .map(|_| ())
                    .unwrap_err()
            }
        };
        // Amount checks.
        for (yuan, want) in [
            ("100.123", "voucher_amount_precision"),
            ("-5", "voucher_amount_not_positive"),
            ("0", "voucher_amount_not_positive"),
            ("一百", "voucher_amount_format"),
        ] {
            let e = try_redeem(redemption(&ent, "HT-X", yuan, &format!("bad-{yuan}"))).await;
            assert_eq!(code(&e), want, "{yuan}");
            assert_eq!(lianshi_web_status(&e), 400);
        }
        // Over the voucher's balance: 10万 voucher, 30 % of 50万 = 15万.
        let e = try_redeem(redemption(&ent, "HT-BIG", "500000", "big")).await;
        assert_eq!(code(&e), "voucher_balance_insufficient");
        // Not granted.
        let e = try_redeem(redemption(&w.usccs[2], "HT-NG", "1000", "ng")).await;
        assert_eq!(code(&e), "voucher_not_granted");
        // A related party recorded by the platform.
        a_related(&w, &ent).await;
        let e = try_redeem(redemption(&ent, "HT-R", "1000", "rel")).await;
        assert_eq!(code(&e), "voucher_related_party");
        // The provider's own credit code as the enterprise: register it as an enterprise? Use a
        // second provider whose credit code equals the enterprise's, filed by the admin.
        w.app
            .voucher_provider_register(
                &a,
                &ProviderInput {
                    username: None,
                    name: "企业自营算力".into(),
                    uscc: w.usccs[3].clone(),
                    kinds: vec!["compute".into()],
                },
            )
            .await
            .unwrap();
        grant(&w, &w.usccs[3], "10万").await;
        let mut own = redemption(&w.usccs[3], "HT-OWN", "1000", "own");
        own.provider = Some(w.usccs[3].clone());
        let e = w.app.voucher_redeem(&a, &own, on).await.unwrap_err();
        assert_eq!(code(&e), "voucher_related_party");
        // A second subsidy on the same contract, even in another scheme.
        let ok_ent = w.usccs[4].clone();
        grant(&w, &ok_ent, "10万").await;
        w.app
            .voucher_redeem(
                &w.provider,
                &redemption(&ok_ent, "HT-DUP", "1000", "dup1"),
                on,
            )
            .await
            .unwrap();
        let e = try_redeem(redemption(&ok_ent, "HT-DUP", "2000", "dup2")).await;
        assert_eq!(code(&e), "voucher_contract_already_subsidised");
        assert_eq!(lianshi_web_status(&e), 409);
        // After the validity period.
        let late = w
            .app
            .voucher_redeem(
                &w.provider,
                &redemption(&ok_ent, "HT-LATE", "1000", "late"),
                day("2027-01-05"),
            )
            .await
            .unwrap_err();
        assert_eq!(code(&late), "voucher_expired");
        // The same request key with a different contract is refused, not replayed.
        let e = try_redeem(redemption(&ok_ent, "HT-OTHER", "1000", "dup1")).await;
        assert_eq!(code(&e), "voucher_request_key_reused");
        // An enterprise user cannot submit.
        let e = w
            .app
            .voucher_redeem(&w.ent, &redemption(&ok_ent, "HT-E", "1000", "e"), on)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Forbidden));
        assert_balanced(&w.app).await;
    }
);

/// The HTTP status the web layer gives an error (400 input, 409 refusal).
fn lianshi_web_status(e: &AppError) -> u16 {
    match e {
        AppError::BadRequest { .. } | AppError::Invalid(_) => 400,
        AppError::Refused { .. } | AppError::Conflict(_) => 409,
        _ => 500,
    }
}

async fn a_related(w: &World, ent: &str) {
    w.app
        .voucher_related_add(&admin(), &w.provider_uscc, ent, "法定代表人相同")
        .await
        .unwrap();
}

both_backends!(
    the_annual_cap_counts_every_redemption_of_the_year,
    |db: Db| async move {
        let w = world(db).await;
        let a = admin();
        // A second round the same year: the cap (800万) spans both vouchers.
        let r2 = w
            .app
            .voucher_round_create(
                &a,
                "T-COMPUTE",
                &RoundInput {
                    name: "第二批".into(),
                    year: 2026,
                    pool_yuan: "1000万".into(),
                    opens_on: "2026-01-01".into(),
                    closes_on: "2026-12-31".into(),
                    valid_until: None,
                },
            )
            .await
            .unwrap();
        let ent = w.usccs[5].clone();
        grant(&w, &ent, "600万").await;
        // Granting past the cap is refused.
        let e = w
            .app
            .voucher_grant(
                &a,
                &GrantInput {
                    round_id: r2.round.id,
                    enterprise: ent.clone(),
                    amount_yuan: "300万".into(),
                },
                day("2026-05-01"),
            )
            .await
            .unwrap_err();
        assert_eq!(code(&e), "voucher_annual_cap_exceeded");
        let on = day("2026-05-01");
        // 30 % of 2000万 = 600万, within the cap and the voucher.
        w.app
            .voucher_redeem(&w.provider, &redemption(&ent, "C-1", "2000万", "c1"), on)
            .await
            .unwrap();
        // The pool cannot be overdrawn: 1000万 − 600万 = 400万 left.
        let e = w
            .app
            .voucher_grant(
                &a,
                &GrantInput {
                    round_id: w.round,
                    enterprise: w.usccs[2].clone(),
                    amount_yuan: "4000000.01".into(),
                },
                day("2026-05-01"),
            )
            .await
            .unwrap_err();
        assert_eq!(code(&e), "voucher_pool_exhausted");
        // A second voucher from round 2 (200万 more, total 800万) then 30 % of 1000万 = 300万 > 800万 − 600万.
        w.app
            .voucher_grant(
                &a,
                &GrantInput {
                    round_id: r2.round.id,
                    enterprise: ent.clone(),
                    amount_yuan: "200万".into(),
                },
                on,
            )
            .await
            .unwrap();
        let e = w
            .app
            .voucher_redeem(&w.provider, &redemption(&ent, "C-2", "1000万", "c2"), on)
            .await
            .unwrap_err();
        assert_eq!(code(&e), "voucher_annual_cap_exceeded");
        // Exactly up to the cap is fine.
        let ok = w
            .app
            .voucher_redeem(
                &w.provider,
                &redemption(&ent, "C-3", "6666666.67", "c3"),
                on,
            )
            .await
            .unwrap();
        assert_eq!(ok.r.amount_fen, 200_000_000);
        // Two grants at once to another enterprise that together pass the cap: one wins.
        let other = w.usccs[4].clone();
        let g = |round: i64, yuan: &str| GrantInput {
            round_id: round,
            enterprise: other.clone(),
            amount_yuan: yuan.into(),
        };
        let (g1, g2) = (g(w.round, "400万"), g(r2.round.id, "500万"));
        let (x, y) = tokio::join!(
            w.app.voucher_grant(&a, &g1, on),
            w.app.voucher_grant(&a, &g2, on),
        );
        assert_eq!(
            [x.is_ok(), y.is_ok()].iter().filter(|b| **b).count(),
            1,
            "{x:?} / {y:?}"
        );
        let lost = if x.is_err() { x } else { y };
        assert_eq!(
            code(&lost.map(|_| ()).unwrap_err()),
            "voucher_annual_cap_exceeded"
        );
        assert_balanced(&w.app).await;
    }
);

both_backends!(
    the_same_request_key_returns_the_same_redemption_and_a_second_write_off_writes_nothing,
    |db: Db| async move {
        let w = world(db).await;
        let a = admin();
        let on = day("2026-04-01");
        let ent = w.usccs[0].clone();
        grant(&w, &ent, "10万").await;
        let offs_before = voucher_audit(&w.app, "voucher.written_off").await;
        let inp = redemption(&ent, "ID-1", "1000", "same-key");
        let (x, y) = tokio::join!(
            w.app.voucher_redeem(&w.provider, &inp, on),
            w.app.voucher_redeem(&w.provider, &inp, on),
        );
        let (x, y) = (x.unwrap(), y.unwrap());
        assert_eq!(x.r.id, y.r.id);
        assert!(x.replayed != y.replayed, "one new, one replayed");
        let again = w.app.voucher_redeem(&w.provider, &inp, on).await.unwrap();
        assert!(again.replayed);
        assert_eq!(again.r.id, x.r.id);
        w.app
            .voucher_redemption_act(&w.ent, x.r.id, RedemptionAction::Confirm, None, on)
            .await
            .unwrap();
        let (p, q) = tokio::join!(
            w.app
                .voucher_redemption_act(&a, x.r.id, RedemptionAction::WriteOff, None, on),
            w.app
                .voucher_redemption_act(&a, x.r.id, RedemptionAction::WriteOff, None, on),
        );
        assert_eq!(p.unwrap().r.status, "written_off");
        assert_eq!(q.unwrap().r.status, "written_off");
        let third = w
            .app
            .voucher_redemption_act(&a, x.r.id, RedemptionAction::WriteOff, None, on)
            .await
            .unwrap();
        assert!(third.replayed);
        let v = w
            .app
            .voucher_enterprise(&a, Some(&ent), false)
            .await
            .unwrap();
        assert_eq!(
            v.vouchers[0].voucher.redeemed_fen, 50_000,
            "written off once"
        );
        assert_eq!(
            voucher_audit(&w.app, "voucher.written_off").await - offs_before,
            1
        );
        assert_balanced(&w.app).await;
    }
);

both_backends!(
    expiry_returns_unused_quota_to_the_pool_and_cancels_unconfirmed_redemptions,
    |db: Db| async move {
        let w = world(db).await;
        let a = admin();
        let on = day("2026-04-01");
        let ent = w.usccs[0].clone();
        grant(&w, &ent, "10万").await;
        // One confirmed (kept, still written off later), one only submitted (cancelled).
        let r1 = w
            .app
            .voucher_redeem(&w.provider, &redemption(&ent, "E-1", "20000", "e1"), on)
            .await
            .unwrap();
        w.app
            .voucher_redemption_act(&w.ent, r1.r.id, RedemptionAction::Confirm, None, on)
            .await
            .unwrap();
        let r2 = w
            .app
            .voucher_redeem(&w.provider, &redemption(&ent, "E-2", "10000", "e2"), on)
            .await
            .unwrap();
        let before = w.app.voucher_scheme(&a, "T-COMPUTE").await.unwrap();
        // Nothing is due before the end of validity.
        let none = w.app.voucher_expire(&a, day("2026-09-30")).await.unwrap();
        assert_eq!(none.vouchers, 0);
        let s = w.app.voucher_expire(&a, day("2026-10-01")).await.unwrap();
        assert_eq!(s.vouchers, 1);
        assert_eq!(s.cancelled_redemptions, 1);
        // 10万 − 1万 held by the confirmed one (50 % of 2万).
        assert_eq!(s.returned_fen, 10_000_000 - 1_000_000);
        let r2 = w.app.voucher_redemption(&a, r2.r.id).await.unwrap();
        assert_eq!(r2.r.status, "rejected");
        let after = w.app.voucher_scheme(&a, "T-COMPUTE").await.unwrap();
        assert_eq!(
            after.available_fen - before.available_fen,
            s.returned_fen,
            "expired quota returns to the pool"
        );
        // Idempotent.
        let again = w.app.voucher_expire(&a, day("2026-10-01")).await.unwrap();
        assert_eq!(again.vouchers, 0);
        // The confirmed redemption is still written off; a new one is refused as expired.
        w.app
            .voucher_redemption_act(
                &a,
                r1.r.id,
                RedemptionAction::WriteOff,
                None,
                day("2026-10-02"),
            )
            .await
            .unwrap();
        let e = w
            .app
            .voucher_redeem(
                &w.provider,
                &redemption(&ent, "E-3", "100", "e3"),
                day("2026-10-02"),
            )
            .await
            .unwrap_err();
        assert_eq!(code(&e), "voucher_expired");
        let f = w.app.voucher_scheme(&a, "T-COMPUTE").await.unwrap().figures;
        assert_eq!(
            (
                f.issued_fen,
                f.redeemed_fen,
                f.outstanding_fen,
                f.expired_fen
            ),
            (10_000_000, 1_000_000, 0, 9_000_000)
        );
        assert_balanced(&w.app).await;
    }
);

/// SplitMix64, so the random sequence is the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

both_backends!(
    random_operations_with_concurrent_redemptions_keep_every_scheme_balanced,
    |db: Db| async move {
        let w = world(db).await;
        let a = admin();
        let on = day("2026-04-01");
        for u in &w.usccs {
            grant(&w, u, "5万").await;
        }
        // Concurrent redemptions on one voucher: 5万 voucher, each 1万 invoice at 50 % = 5千 →
        // exactly 10 of 16 fit.
        let ent = w.usccs[2].clone();
        let mut tasks = Vec::new();
        for i in 0..16 {
            let app = w.app.clone();
            let p = w.provider.clone();
            let inp = redemption(&ent, &format!("CC-{i}"), "10000", &format!("cc-{i}"));
            tasks.push(tokio::spawn(async move {
                app.voucher_redeem(&p, &inp, on).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(code(&e), "voucher_balance_insufficient", "{e:?}"),
            }
        }
        assert_eq!(ok, 10);
        assert_balanced(&w.app).await;
        // A random walk over the other vouchers.
        let mut rng = Rng(42);
        let mut ids: Vec<i64> = Vec::new();
        for step in 0..60 {
            match rng.below(5) {
                0 | 1 => {
                    let u = w.usccs[rng.below(6) as usize].clone();
                    let yuan = format!("{}.{:02}", 100 + rng.below(20_000), rng.below(100));
                    let inp = redemption(&u, &format!("RW-{step}"), &yuan, &format!("rw-{step}"));
                    // Sometimes the same request twice at once.
                    if rng.below(3) == 0 {
                        let (x, y) = tokio::join!(
                            w.app.voucher_redeem(&w.provider, &inp, on),
                            w.app.voucher_redeem(&w.provider, &inp, on)
                        );
                        if let (Ok(x), Ok(y)) = (&x, &y) {
                            assert_eq!(x.r.id, y.r.id);
                        }
                        if let Ok(x) = x {
                            ids.push(x.r.id);
                        }
                    } else {
                        match w.app.voucher_redeem(&w.provider, &inp, on).await {
                            Ok(x) => ids.push(x.r.id),
                            Err(e) => eprintln!("step {step}: {e:?}"),
                        }
                    }
                }
                2 if !ids.is_empty() => {
                    let id = ids[rng.below(ids.len() as u64) as usize];
                    if let Err(e) = w
                        .app
                        .voucher_redemption_act(&a, id, RedemptionAction::Confirm, None, on)
                        .await
                    {
                        eprintln!("confirm {id}: {e:?}");
                    }
                }
                3 if !ids.is_empty() => {
                    let id = ids[rng.below(ids.len() as u64) as usize];
                    // The enterprise confirms (if still awaiting), then two write-offs at once.
                    let _ = w
                        .app
                        .voucher_redemption_act(&w.ent, id, RedemptionAction::Confirm, None, on)
                        .await;
                    let (x, y) = tokio::join!(
                        w.app
                            .voucher_redemption_act(&a, id, RedemptionAction::WriteOff, None, on),
                        w.app
                            .voucher_redemption_act(&a, id, RedemptionAction::WriteOff, None, on)
                    );
                    if let (Ok(x), Ok(y)) = (&x, &y) {
                        assert_eq!(x.r.status, "written_off");
                        assert!(x.replayed || y.replayed || x.r.status != y.r.status);
                    }
                }
                4 if !ids.is_empty() => {
                    let id = ids[rng.below(ids.len() as u64) as usize];
                    let _ = w
                        .app
                        .voucher_redemption_act(
                            &a,
                            id,
                            RedemptionAction::Reject,
                            Some("材料不全"),
                            on,
                        )
                        .await;
                }
                _ => {}
            }
            if step % 20 == 19 {
                assert_balanced(&w.app).await;
            }
        }
        w.app.voucher_expire(&a, day("2027-01-01")).await.unwrap();
        assert_balanced(&w.app).await;
        let f = w.app.voucher_scheme(&a, "T-COMPUTE").await.unwrap().figures;
        assert_eq!(f.issued_fen, 6 * 5_000_000);
        assert!(f.redeemed_fen > 0 && f.expired_fen > 0, "{f:?}");
    }
);

/// The probe's round: `pool_yuan` for `year` of T-COMPUTE, as `who`.
async fn probe_round(w: &World, who: &Actor, pool: &str, year: i64) -> Result<i64, AppError> {
    w.app
        .voucher_round_create(
            who,
            "T-COMPUTE",
            &RoundInput {
                name: format!("{year}"),
                year,
                pool_yuan: pool.into(),
                opens_on: format!("{year}-01-01"),
                closes_on: format!("{year}-06-30"),
                valid_until: None,
            },
        )
        .await
        .map(|r| r.round.id)
}

fn bad_naming(r: Result<impl std::fmt::Debug, AppError>, field: &str) {
    match r {
        Err(e @ AppError::BadRequest { .. }) => {
            assert_eq!(e.code(), "amount_too_large");
            assert!(e.message().contains(field), "{}", e.message());
        }
        other => panic!("expected a 400 naming {field}, got {other:?}"),
    }
}

both_backends!(
    a_round_pool_above_the_bound_is_refused_with_400_and_the_module_keeps_working,
    |db: Db| async move {
        let w = world(db).await;
        let dept = login(&w.app, "dept").await;
        for pool in [
            "50000000000000000",
            "92233720368547758.07",
            "1000000000000.01",
            "100000000000000000000",
        ] {
            bad_naming(probe_round(&w, &dept, pool, 2027).await, "pool_yuan");
        }
        // The bound itself (10^12 元) is allowed, twice: sums stay exact.
        probe_round(&w, &dept, "1000000000000", 2027).await.unwrap();
        probe_round(&w, &admin(), "10000亿", 2028).await.unwrap();
        let schemes = w.app.voucher_schemes(&dept).await.unwrap();
        let s = schemes.iter().find(|s| s.code == "T-COMPUTE").unwrap();
        assert!(!s.figures_overflow);
        assert_eq!(s.figures.pool_fen, 2 * 100_000_000_000_000 + 1_000_000_000);
        assert_balanced(&w.app).await;
        // Grants, invoices and rule caps carry the same bound.
        let grant = w
            .app
            .voucher_grant(
                &admin(),
                &GrantInput {
                    round_id: w.round,
                    enterprise: w.usccs[0].clone(),
                    amount_yuan: "50000000000000000".into(),
                },
                day("2026-03-01"),
            )
            .await;
        bad_naming(grant, "amount_yuan");
        grant_ok(&w).await;
        let r = w
            .app
            .voucher_redeem(
                &w.provider,
                &redemption(&w.usccs[0], "HT-BIG", "92233720368547758.07", "big"),
                day("2026-04-01"),
            )
            .await;
        bad_naming(r, "invoice_yuan");
        let mut rules = compute_rules();
        rules.annual_cap_fen = Some(i64::MAX);
        let e = w
            .app
            .voucher_scheme_rules(&admin(), "T-COMPUTE", &rules, None)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "amount_too_large");
        assert!(e.message().contains("annual_cap_fen"), "{}", e.message());
    }
);

async fn grant_ok(w: &World) {
    grant(w, &w.usccs[0], "10万").await;
}

both_backends!(
    a_scheme_stored_beyond_the_bound_still_reads_and_is_repaired_through_the_app,
    |db: Db| async move {
        let w = world(db).await;
        grant_ok(&w).await;
        // A database written before the bound: the probe's two rounds of 5 × 10^18 fen.
        let sid = w
            .app
            .voucher_scheme(&admin(), "T-COMPUTE")
            .await
            .unwrap()
            .id;
        let mut tx = w.app.db.begin().await.unwrap();
        for year in [2027, 2028] {
            lianshi_store::voucher::voucher_round_insert(
                tx.conn(),
                &lianshi_store::voucher::RoundWrite {
                    scheme_id: sid,
                    name: format!("{year}"),
                    year,
                    pool_fen: 5_000_000_000_000_000_000,
                    opens_on: format!("{year}-01-01"),
                    closes_on: format!("{year}-06-30"),
                    valid_until: format!("{year}-12-31"),
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();

        // Every reader still answers; only this scheme is flagged.
        for who in [
            admin(),
            login(&w.app, "dept").await,
            w.ent.clone(),
            w.provider.clone(),
        ] {
            let all = w.app.voucher_schemes(&who).await.unwrap();
            for s in &all {
                assert_eq!(s.figures_overflow, s.code == "T-COMPUTE", "{}", s.code);
            }
        }
        w.app.voucher_list(&admin(), None).await.unwrap();
        w.app.voucher_enterprise(&w.ent, None, false).await.unwrap();
        let check = w.app.voucher_check(&admin()).await.unwrap();
        let broken: Vec<&str> = check
            .iter()
            .filter(|r| !r.ok)
            .map(|r| r.code.as_str())
            .collect();
        assert_eq!(broken, vec!["T-COMPUTE"]);
        let found = w.app.check_bounds(&admin()).await.unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found
                .iter()
                .all(|f| f.table == "voucher_rounds" && f.field == "pool_fen")
        );
        assert!(matches!(
            w.app.check_bounds(&login(&w.app, "dept").await).await,
            Err(AppError::Forbidden)
        ));

        // Repair: only managers, audited; the corrected pool is bounded too.
        let audit_before = voucher_audit(&w.app, "voucher.round_").await;
        assert!(matches!(
            w.app
                .voucher_round_set_pool(&w.ent, "T-COMPUTE", 2027, None, "1亿", "typo")
                .await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            w.app
                .voucher_round_close(&w.provider, "T-COMPUTE", 2028, None, day("2026-05-01"))
                .await,
            Err(AppError::Forbidden)
        ));
        let dept = login(&w.app, "dept").await;
        bad_naming(
            w.app
                .voucher_round_set_pool(&dept, "T-COMPUTE", 2027, None, "50000000000000000", "")
                .await,
            "pool_yuan",
        );
        let fixed = w
            .app
            .voucher_round_set_pool(&dept, "T-COMPUTE", 2027, None, "1亿", "typo")
            .await
            .unwrap();
        assert_eq!(fixed.round.pool_fen, 10_000_000_000);
        let closed = w
            .app
            .voucher_round_close(&dept, "T-COMPUTE", 2028, None, day("2026-05-01"))
            .await
            .unwrap();
        assert_eq!(
            (closed.round.pool_fen, closed.round.closes_on.as_str()),
            (0, "2026-04-30")
        );
        assert_eq!(
            voucher_audit(&w.app, "voucher.round_").await,
            audit_before + 2
        );
        // The first round cannot drop below what it granted.
        let e = w
            .app
            .voucher_round_set_pool(&dept, "T-COMPUTE", 2026, None, "1", "")
            .await
            .unwrap_err();
        assert_eq!(e.code(), "voucher_pool_below_issued");
        // Closing one round of a year with several needs its id.
        probe_round(&w, &dept, "100", 2029).await.unwrap();
        let second = probe_round(&w, &dept, "100", 2029).await.unwrap();
        let e = w
            .app
            .voucher_round_close(&dept, "T-COMPUTE", 2029, None, day("2026-05-01"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "voucher_round_ambiguous");
        w.app
            .voucher_round_close(&dept, "T-COMPUTE", 2029, Some(second), day("2026-05-01"))
            .await
            .unwrap();

        let s = w.app.voucher_scheme(&admin(), "T-COMPUTE").await.unwrap();
        assert!(!s.figures_overflow);
        assert_balanced(&w.app).await;
        assert!(w.app.check_bounds(&admin()).await.unwrap().is_empty());
    }
);
