//! Subsidy applications and the payout ledger through the use cases, on both backends: the
//! apply → review → approve → disburse loop, refusals with stable codes, idempotent payouts,
//! reversals, scope, the batch payout, and budgets that concurrent approvals and payouts cannot
//! exceed.

// Amounts are written 元_分 (e.g. `3000_00` is 3,000.00 元).
#![allow(clippy::inconsistent_digit_grouping)]

use chrono::{TimeZone, Utc};
use lianshi_app::subsidy::{ApplyInput, BudgetInput, LedgerQuery, SubsidyQuery};
use lianshi_app::{App, AppError};
use lianshi_domain::Role;
use lianshi_domain::subsidy::{SubsidyAction, payout_key};
use lianshi_domain::zone::RegistryKind;
use lianshi_store::enterprise::{EnterpriseWrite, enterprise_insert};
use lianshi_store::policy::{PolicyWrite, policy_upsert};
use lianshi_store::zone::{RegistryWrite, registry_insert};
use lianshi_store::{Db, both_backends};
use std::collections::HashSet;

mod common;
use common::{actor, admin};

const Y: i64 = 2031;

struct Zone {
    app: App,
    kjj: i64,
    jxj: i64,
    /// AI-T1 (kjj, group rd), JX-T2 (jxj, group rd), AI-T3 (kjj, no group).
    p1: i64,
    p2: i64,
    p3: i64,
    ents: Vec<i64>,
}

fn policy(code: &str, dept: i64, dept_code: &str, group: Option<&str>) -> PolicyWrite {
    PolicyWrite {
        code: code.into(),
        kind: "policy".into(),
        title: format!("{code} 研发补助"),
        department_id: Some(dept),
        department_code: dept_code.into(),
        legal_ref: "区政策〔2031〕1号".into(),
        who: "区内企业".into(),
        track: "快申快享".into(),
        status: "active".into(),
        contact: "0571-87000000".into(),
        group_code: group.map(str::to_string),
        source: format!("[[policy]]\ncode = \"{code}\"\n"),
        ..Default::default()
    }
}

async fn zone(db: Db) -> Zone {
    let mut tx = db.begin().await.unwrap();
    let dept = |code: &str, name: &str| RegistryWrite {
        code: Some(code.into()),
        name: name.into(),
        parent_id: None,
        attr: None,
        sort: 0,
    };
    let kjj = registry_insert(
        tx.conn(),
        RegistryKind::Department,
        &dept("kjj", "区科技局"),
    )
    .await
    .unwrap();
    let jxj = registry_insert(
        tx.conn(),
        RegistryKind::Department,
        &dept("jxj", "区经信局"),
    )
    .await
    .unwrap();
    let mut ents = Vec::new();
    for i in 0..6 {
        let w = EnterpriseWrite {
            uscc: format!("91330108MA2AAAA{i:02}X"),
            name: format!("测试企业{i}"),
            ..Default::default()
        };
        ents.push(enterprise_insert(tx.conn(), &w).await.unwrap());
    }
    let p1 = policy_upsert(tx.conn(), &policy("AI-T1", kjj, "kjj", Some("rd")))
        .await
        .unwrap()
        .0;
    let p2 = policy_upsert(tx.conn(), &policy("JX-T2", jxj, "jxj", Some("rd")))
        .await
        .unwrap()
        .0;
    let p3 = policy_upsert(tx.conn(), &policy("AI-T3", kjj, "kjj", None))
        .await
        .unwrap()
        .0;
    tx.commit().await.unwrap();
    Zone {
        app: App::new(db),
        kjj,
        jxj,
        p1,
        p2,
        p3,
        ents,
    }
}

async fn budget(app: &App, code: &str, yuan: &str, cap: Option<&str>) {
    app.subsidy_budget_set(
        &admin(),
        &BudgetInput {
            policy: Some(code.into()),
            year: Some(Y),
            budget: Some(yuan.into()),
            enterprise_cap: cap.map(Into::into),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

/// Apply (staff) and approve `fen`; returns the application id.
async fn approved(app: &App, policy_id: i64, enterprise_id: i64, fen: i64, key: &str) -> i64 {
    let a = app
        .subsidy_apply_at(
            &admin(),
            policy_id,
            enterprise_id,
            fen,
            Y,
            key,
            "staff",
            "",
            Utc::now(),
        )
        .await
        .unwrap();
    app.subsidy_act(
        &admin(),
        a.row.id,
        &SubsidyAction::Approve { amount_fen: fen },
    )
    .await
    .unwrap();
    a.row.id
}

fn code<T: std::fmt::Debug>(r: Result<T, AppError>) -> String {
    match r {
        Err(e) => e.code().to_string(),
        Ok(v) => panic!("expected a refusal, got {v:?}"),
    }
}

both_backends!(
    an_enterprise_applies_and_the_department_reviews_approves_and_pays,
    |db: Db| async move {
        let z = zone(db).await;
        let app = &z.app;
        budget(app, "AI-T1", "1000000", Some("300000")).await;
        let ent = actor(Role::Enterprise, Some(z.ents[0]), None);
        let kjj = actor(Role::Department, None, Some(z.kjj));
        let jxj = actor(Role::Department, None, Some(z.jxj));
        let a = app
            .subsidy_apply_input(
                &ent,
                &ApplyInput {
                    policy: Some("AI-T1".into()),
                    amount: Some("250,000.50".into()),
                    year: Some(Y),
                    note: Some("研发投入专项审计报告已上传".into()),
                    request_key: Some("form-1".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(a.row.amount_fen, 25_000_050);
        assert_eq!(a.row.state, "submitted");
        assert_eq!(a.row.origin, "apply");
        // Resubmitting the same form files nothing new.
        let again = app
            .subsidy_apply_input(
                &ent,
                &ApplyInput {
                    policy: Some("AI-T1".into()),
                    amount: Some("250000.5".into()),
                    year: Some(Y),
                    request_key: Some("form-1".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(again.row.id, a.row.id);
        let id = a.row.id;
        // Another department may not decide on kjj's policy; the enterprise may not either.
        assert!(matches!(
            app.subsidy_act(&jxj, id, &SubsidyAction::Review).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            app.subsidy_act(&ent, id, &SubsidyAction::Review).await,
            Err(AppError::Forbidden)
        ));
        let d = app
            .subsidy_act(&kjj, id, &SubsidyAction::Review)
            .await
            .unwrap();
        assert_eq!(d.application.row.state, "reviewing");
        assert!(d.allowed.approve && d.allowed.reject && !d.allowed.disburse);
        let d = app
            .subsidy_act(
                &kjj,
                id,
                &SubsidyAction::Approve {
                    amount_fen: 20_000_000,
                },
            )
            .await
            .unwrap();
        assert_eq!(d.application.row.state, "approved");
        assert_eq!(d.application.row.approved_fen, Some(20_000_000));
        let b = d.budget.unwrap();
        assert_eq!((b.committed_fen, b.spent_fen), (20_000_000, 0));
        let e = app
            .subsidy_disburse(&kjj, id, &payout_key(id))
            .await
            .unwrap();
        assert_eq!(e.amount_fen, 20_000_000);
        assert_eq!(e.department_code.as_deref(), Some("kjj"));
        let d = app.subsidy_get(&ent, id).await.unwrap();
        assert_eq!(d.application.row.state, "disbursed");
        assert_eq!(d.entries.len(), 1);
        let b = app.db.subsidy_budget(z.p1, Y).await.unwrap().unwrap();
        assert_eq!((b.committed_fen, b.spent_fen), (0, 20_000_000));
        // The report is the ledger.
        let r = app.subsidy_report(&admin(), Y).await.unwrap();
        assert_eq!(r.total_fen, 20_000_000);
        assert_eq!(r.by_policy.get("AI-T1"), Some(&20_000_000));
        assert_eq!(r.by_department.get("kjj"), Some(&20_000_000));
        // Every write is in the audit log.
        let (audit, _) = app
            .db
            .audit_search(&lianshi_store::audit::AuditQuery {
                action: Some("subsidy.".into()),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        let actions: HashSet<String> = audit.into_iter().map(|a| a.action).collect();
        for a in [
            "subsidy.apply",
            "subsidy.review",
            "subsidy.approve",
            "subsidy.disburse",
            "subsidy.budget",
        ] {
            assert!(actions.contains(a), "{a} missing from {actions:?}");
        }
    }
);

both_backends!(refusals_carry_stable_codes, |db: Db| async move {
    let z = zone(db).await;
    let app = &z.app;
    let ent = actor(Role::Enterprise, Some(z.ents[0]), None);
    let inp = |amount: &str| ApplyInput {
        policy: Some("AI-T1".into()),
        amount: Some(amount.into()),
        year: Some(Y),
        ..Default::default()
    };
    assert_eq!(
        code(app.subsidy_apply_input(&ent, &inp("12.345")).await),
        "money_precision"
    );
    assert_eq!(
        code(app.subsidy_apply_input(&ent, &inp("-5")).await),
        "amount_negative"
    );
    assert_eq!(
        code(
            app.subsidy_apply_input(
                &ent,
                &ApplyInput {
                    amount: Some(serde_json::json!(1.005)),
                    ..inp("")
                }
            )
            .await
        ),
        "money_precision"
    );
    assert_eq!(
        code(
            app.subsidy_apply_input(
                &ent,
                &ApplyInput {
                    policy: Some("NOPE".into()),
                    ..inp("1")
                }
            )
            .await
        ),
        "policy_unknown"
    );
    assert_eq!(
        code(
            app.subsidy_apply_at(
                &admin(),
                z.p1,
                z.ents[0],
                -100,
                Y,
                "neg",
                "staff",
                "",
                Utc::now()
            )
            .await
        ),
        "amount_negative"
    );
    // No budget line: approval refused.
    let a = app
        .subsidy_apply_at(
            &admin(),
            z.p1,
            z.ents[0],
            500_00,
            Y,
            "k1",
            "staff",
            "",
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        code(
            app.subsidy_act(
                &admin(),
                a.row.id,
                &SubsidyAction::Approve { amount_fen: 500_00 }
            )
            .await
        ),
        "no_budget"
    );
    // Over budget, then over the enterprise cap.
    budget(app, "AI-T1", "1000", Some("600")).await;
    let e = app
        .subsidy_act(
            &admin(),
            a.row.id,
            &SubsidyAction::Approve {
                amount_fen: 1000_01,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "over_budget");
    assert_eq!(lianshi_web_status(&e), 409);
    assert_eq!(
        code(
            app.subsidy_act(
                &admin(),
                a.row.id,
                &SubsidyAction::Approve { amount_fen: 600_01 }
            )
            .await
        ),
        "over_enterprise_cap"
    );
    app.subsidy_act(
        &admin(),
        a.row.id,
        &SubsidyAction::Approve { amount_fen: 400_00 },
    )
    .await
    .unwrap();
    let b = approved_fail(app, z.p1, z.ents[0], 300_00, "k2").await;
    assert_eq!(b, "over_enterprise_cap");
    // Wrong state: a second approval, a disbursement of a submitted application.
    assert_eq!(
        code(
            app.subsidy_act(
                &admin(),
                a.row.id,
                &SubsidyAction::Approve { amount_fen: 1 }
            )
            .await
        ),
        "subsidy_wrong_state"
    );
    let c = app
        .subsidy_apply_at(
            &admin(),
            z.p1,
            z.ents[1],
            100,
            Y,
            "k3",
            "staff",
            "",
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        code(app.subsidy_disburse(&admin(), c.row.id, "pay-c").await),
        "subsidy_wrong_state"
    );
    assert_eq!(
        code(
            app.subsidy_act(
                &admin(),
                c.row.id,
                &SubsidyAction::Reject { reason: " ".into() }
            )
            .await
        ),
        "reason_required"
    );
    let d = app
        .subsidy_act(
            &admin(),
            c.row.id,
            &SubsidyAction::Reject {
                reason: "材料不全".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(d.application.row.reason.as_deref(), Some("材料不全"));
    // Group: paid under AI-T1, so JX-T2 (same group rd) is refused for this enterprise and year.
    app.subsidy_disburse(&admin(), a.row.id, "pay-a")
        .await
        .unwrap();
    budget(app, "JX-T2", "100000", None).await;
    assert_eq!(
        code(
            app.subsidy_apply_at(
                &admin(),
                z.p2,
                z.ents[0],
                100,
                Y,
                "k4",
                "staff",
                "",
                Utc::now()
            )
            .await
        ),
        "already_paid_in_group"
    );
    // Applied before the other payout, refused at approval.
    let g = app
        .subsidy_apply_at(
            &admin(),
            z.p2,
            z.ents[2],
            100,
            Y,
            "k5",
            "staff",
            "",
            Utc::now(),
        )
        .await
        .unwrap();
    let h = approved(app, z.p1, z.ents[2], 100, "k6").await;
    app.subsidy_disburse(&admin(), h, "pay-h").await.unwrap();
    assert_eq!(
        code(
            app.subsidy_act(
                &admin(),
                g.row.id,
                &SubsidyAction::Approve { amount_fen: 100 }
            )
            .await
        ),
        "already_paid_in_group"
    );
    // A key used for another payout is refused, not reused.
    let i = approved(app, z.p2, z.ents[3], 100, "k7").await;
    assert_eq!(
        code(app.subsidy_disburse(&admin(), i, "pay-h").await),
        "request_key_reused"
    );
    // Lowering a budget under what is paid is refused.
    let low = app
        .subsidy_budget_set(
            &admin(),
            &BudgetInput {
                policy: Some("AI-T1".into()),
                year: Some(Y),
                budget: Some("1".into()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(code(low), "budget_below_spent");
});

fn lianshi_web_status(e: &AppError) -> u16 {
    match e {
        AppError::Refused { .. } | AppError::Conflict(_) => 409,
        AppError::BadRequest { .. } | AppError::Invalid(_) => 400,
        _ => 500,
    }
}

async fn approved_fail(
    app: &App,
    policy_id: i64,
    enterprise_id: i64,
    fen: i64,
    key: &str,
) -> String {
    let a = app
        .subsidy_apply_at(
            &admin(),
            policy_id,
            enterprise_id,
            fen,
            Y,
            key,
            "staff",
            "",
            Utc::now(),
        )
        .await
        .unwrap();
    code(
        app.subsidy_act(
            &admin(),
            a.row.id,
            &SubsidyAction::Approve { amount_fen: fen },
        )
        .await,
    )
}

both_backends!(
    a_payout_is_idempotent_by_request_key_and_corrected_by_a_reversing_entry,
    |db: Db| async move {
        let z = zone(db).await;
        let app = &z.app;
        budget(app, "AI-T1", "10000", None).await;
        budget(app, "JX-T2", "10000", None).await;
        let a = approved(app, z.p1, z.ents[0], 3000_00, "k1").await;
        let first = app.subsidy_disburse(&admin(), a, "pay-1").await.unwrap();
        let again = app.subsidy_disburse(&admin(), a, "pay-1").await.unwrap();
        assert_eq!(first.id, again.id);
        // Another key for a paid application: refused, nothing paid twice.
        assert_eq!(
            code(app.subsidy_disburse(&admin(), a, "pay-2").await),
            "subsidy_wrong_state"
        );
        let t = app.db.subsidy_totals(Some(Y), None).await.unwrap();
        assert_eq!((t.total_fen, t.entries), (3000_00, 1));
        // Only an administrator reverses, with a reason.
        let kjj = actor(Role::Department, None, Some(z.kjj));
        assert!(matches!(
            app.subsidy_reverse(&kjj, first.id, "错付", None).await,
            Err(AppError::Forbidden)
        ));
        assert_eq!(
            code(app.subsidy_reverse(&admin(), first.id, "", None).await),
            "reason_required"
        );
        let rev = app
            .subsidy_reverse(&admin(), first.id, "企业账户信息有误，冲正", None)
            .await
            .unwrap();
        assert_eq!(rev.amount_fen, -3000_00);
        assert_eq!(rev.reverses_id, Some(first.id));
        let rev2 = app
            .subsidy_reverse(&admin(), first.id, "重复提交", None)
            .await
            .unwrap();
        assert_eq!(rev2.id, rev.id);
        assert_eq!(
            code(
                app.subsidy_reverse(&admin(), first.id, "再次", Some("other-key"))
                    .await
            ),
            "entry_already_reversed"
        );
        assert_eq!(
            code(app.subsidy_reverse(&admin(), rev.id, "x", None).await),
            "entry_not_reversible"
        );
        let d = app.subsidy_get(&admin(), a).await.unwrap();
        assert_eq!(d.application.row.state, "reversed");
        assert_eq!(d.entries.len(), 2);
        let t = app.db.subsidy_totals(Some(Y), None).await.unwrap();
        assert_eq!((t.total_fen, t.entries), (0, 2));
        let b = app.db.subsidy_budget(z.p1, Y).await.unwrap().unwrap();
        assert_eq!(b.spent_fen, 0);
        // The group is free again: the same enterprise may now be paid under JX-T2.
        let j = approved(app, z.p2, z.ents[0], 100_00, "k2").await;
        app.subsidy_disburse(&admin(), j, "pay-j").await.unwrap();
        // The ledger page's totals equal the sum of its entries.
        let page = app
            .subsidy_ledger(
                &admin(),
                &LedgerQuery {
                    year: Some(Y),
                    per_page: Some(500),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            page.items.iter().map(|e| e.amount_fen).sum::<i64>(),
            page.total_fen
        );
        assert_eq!(
            page.by_policy.iter().map(|r| r.fen).sum::<i64>(),
            page.total_fen
        );
        assert_eq!(
            page.by_department.iter().map(|r| r.fen).sum::<i64>(),
            page.total_fen
        );
        assert_eq!(page.total_fen, 100_00);
    }
);

both_backends!(
    enterprise_users_see_only_their_own_and_banks_nothing,
    |db: Db| async move {
        let z = zone(db).await;
        let app = &z.app;
        let mine = app
            .subsidy_apply_at(
                &admin(),
                z.p3,
                z.ents[0],
                100,
                Y,
                "k1",
                "staff",
                "",
                Utc::now(),
            )
            .await
            .unwrap();
        let theirs = app
            .subsidy_apply_at(
                &admin(),
                z.p3,
                z.ents[1],
                100,
                Y,
                "k2",
                "staff",
                "",
                Utc::now(),
            )
            .await
            .unwrap();
        let ent = actor(Role::Enterprise, Some(z.ents[0]), None);
        let page = app
            .subsidy_list(&ent, &SubsidyQuery::default())
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.items[0].row.id, mine.row.id);
        assert!(app.subsidy_get(&ent, mine.row.id).await.is_ok());
        assert!(matches!(
            app.subsidy_get(&ent, theirs.row.id).await,
            Err(AppError::Forbidden)
        ));
        // It may not apply for another enterprise, and withdraws its own.
        assert!(matches!(
            app.subsidy_apply_at(&ent, z.p3, z.ents[1], 100, Y, "k3", "apply", "", Utc::now())
                .await,
            Err(AppError::Forbidden)
        ));
        let d = app
            .subsidy_act(&ent, mine.row.id, &SubsidyAction::Withdraw)
            .await
            .unwrap();
        assert_eq!(d.application.row.state, "withdrawn");
        assert!(matches!(
            app.subsidy_ledger(&ent, &LedgerQuery::default()).await,
            Err(AppError::Forbidden)
        ));
        for role in [Role::Finance, Role::Provider, Role::Team] {
            let p = actor(role, None, None);
            assert!(matches!(
                app.subsidy_list(&p, &SubsidyQuery::default()).await,
                Err(AppError::Forbidden)
            ));
            assert!(matches!(
                app.subsidy_get(&p, theirs.row.id).await,
                Err(AppError::Forbidden)
            ));
            assert!(matches!(
                app.subsidy_report(&p, Y).await,
                Err(AppError::Forbidden)
            ));
        }
        // A department officer lists its own department's policies only.
        let jxj = actor(Role::Department, None, Some(z.jxj));
        assert_eq!(
            app.subsidy_list(&jxj, &SubsidyQuery::default())
                .await
                .unwrap()
                .total,
            0
        );
        let kjj = actor(Role::Department, None, Some(z.kjj));
        assert_eq!(
            app.subsidy_list(&kjj, &SubsidyQuery::default())
                .await
                .unwrap()
                .total,
            2
        );
        let filtered = app
            .subsidy_list(
                &admin(),
                &SubsidyQuery {
                    state: Some("withdrawn".into()),
                    policy: Some("AI-T3".into()),
                    year: Some(Y),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(filtered.total, 1);
    }
);

both_backends!(
    the_batch_payout_pays_each_approved_application_once_and_history_keeps_its_date,
    |db: Db| async move {
        let z = zone(db).await;
        let app = &z.app;
        budget(app, "AI-T3", "1000", None).await;
        let mut ids = Vec::new();
        for (i, e) in z.ents.iter().enumerate() {
            ids.push(approved(app, z.p3, *e, 100_00, &format!("k{i}")).await);
        }
        // One was paid by hand already under the derived key.
        app.subsidy_disburse(&admin(), ids[0], &payout_key(ids[0]))
            .await
            .unwrap();
        // One approval is revoked before payment: its reservation goes back to the budget.
        let last = *ids.last().unwrap();
        let d = app
            .subsidy_act(
                &admin(),
                last,
                &SubsidyAction::Reject {
                    reason: "企业主动放弃".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(d.application.row.state, "rejected");
        let b = app.db.subsidy_budget(z.p3, Y).await.unwrap().unwrap();
        assert_eq!(
            (b.spent_fen, b.committed_fen),
            (100_00, 100_00 * (ids.len() as i64 - 2))
        );
        let r = app.subsidy_payout(&admin(), Some(Y)).await.unwrap();
        assert_eq!(r.paid.len(), ids.len() - 2);
        assert_eq!(r.total_fen, 100_00 * (ids.len() as i64 - 2));
        let r = app.subsidy_payout(&admin(), Some(Y)).await.unwrap();
        assert!(r.paid.is_empty() && r.refused.is_empty());
        let t = app.db.subsidy_totals(Some(Y), None).await.unwrap();
        assert_eq!(t.entries, ids.len() as i64 - 1);
        let b = app.db.subsidy_budget(z.p3, Y).await.unwrap().unwrap();
        assert_eq!(b.committed_fen, 0);
        // Demo history: an application of 2030 paid on a date in 2030.
        let at = Utc.with_ymd_and_hms(2030, 6, 30, 2, 0, 0).unwrap();
        app.subsidy_budget_set(
            &admin(),
            &BudgetInput {
                policy: Some("AI-T3".into()),
                year: Some(2030),
                budget_fen: Some(5_000_00),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let a = app
            .subsidy_apply_at(
                &admin(),
                z.p3,
                z.ents[0],
                5_000_00,
                2030,
                "h1",
                "demo",
                "",
                at,
            )
            .await
            .unwrap();
        app.subsidy_act_at(
            &admin(),
            a.row.id,
            &SubsidyAction::Approve {
                amount_fen: 5_000_00,
            },
            at,
        )
        .await
        .unwrap();
        let e = app
            .subsidy_disburse_at(&admin(), a.row.id, "h1-pay", at)
            .await
            .unwrap();
        assert_eq!((e.year, e.at.as_str()), (2030, "2030-06-30T02:00:00.000Z"));
        assert_eq!(
            app.subsidy_report(&admin(), 2030).await.unwrap().total_fen,
            5_000_00
        );
    }
);

both_backends!(
    concurrent_approvals_and_payouts_never_exceed_the_budget,
    |db: Db| async move {
        let z = zone(db).await;
        let app = z.app.clone();
        // Room for exactly 10 approvals of 100 元.
        budget(&app, "AI-T3", "1000", None).await;
        let mut ids = Vec::new();
        for i in 0..30 {
            let a = app
                .subsidy_apply_at(
                    &admin(),
                    z.p3,
                    z.ents[i % z.ents.len()],
                    100_00,
                    Y,
                    &format!("c{i}"),
                    "staff",
                    "",
                    Utc::now(),
                )
                .await
                .unwrap();
            ids.push(a.row.id);
        }
        let mut tasks = Vec::new();
        for id in ids.clone() {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                app.subsidy_act(&admin(), id, &SubsidyAction::Approve { amount_fen: 100_00 })
                    .await
                    .map(|_| id)
            }));
        }
        let mut ok = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                Ok(id) => ok.push(id),
                Err(e) => assert!(matches!(e.code(), "over_budget" | "conflict"), "{e:?}"),
            }
        }
        assert_eq!(ok.len(), 10);
        let b = app.db.subsidy_budget(z.p3, Y).await.unwrap().unwrap();
        assert_eq!(b.committed_fen, 1000_00);
        // Every approved application paid by three racing tasks under the same key, plus a
        // racer with a different key: one entry each.
        let mut tasks = Vec::new();
        for id in ok.clone() {
            for k in 0..4 {
                let app = app.clone();
                let key = if k < 3 {
                    payout_key(id)
                } else {
                    format!("other:{id}")
                };
                tasks.push(tokio::spawn(async move {
                    app.subsidy_disburse(&admin(), id, &key).await
                }));
            }
        }
        for t in tasks {
            match t.await.unwrap() {
                Ok(e) => assert!(ok.contains(&e.application_id)),
                Err(e) => assert!(
                    matches!(
                        e.code(),
                        "subsidy_wrong_state" | "request_key_reused" | "conflict"
                    ),
                    "{e:?}"
                ),
            }
        }
        let (entries, total) = app
            .db
            .subsidy_ledger_list(&lianshi_store::subsidy::LedgerFilter {
                year: Some(Y),
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(total, 10);
        assert!(entries.iter().map(|e| e.amount_fen).sum::<i64>() <= 1000_00);
        let apps: HashSet<i64> = entries.iter().map(|e| e.application_id).collect();
        assert_eq!(apps.len(), 10);
        let keys: HashSet<&str> = entries.iter().map(|e| e.request_key.as_str()).collect();
        assert_eq!(keys.len(), 10);
        let b = app.db.subsidy_budget(z.p3, Y).await.unwrap().unwrap();
        assert_eq!((b.spent_fen, b.committed_fen), (1000_00, 0));
        assert!(b.spent_fen <= b.budget_fen);
    }
);

fn too_large_naming<T: std::fmt::Debug>(r: Result<T, AppError>, field: &str) {
    match r {
        Err(e @ AppError::BadRequest { .. }) => {
            assert_eq!(e.code(), "amount_too_large");
            assert!(e.message().contains(field), "{}", e.message());
        }
        other => panic!("expected a 400 naming {field}, got {other:?}"),
    }
}

both_backends!(
    budgets_caps_and_amounts_above_the_bound_are_refused_naming_the_field,
    |db: Db| async move {
        let z = zone(db).await;
        let app = &z.app;
        let set = |budget: BudgetInput| async move {
            app.subsidy_budget_set(
                &admin(),
                &BudgetInput {
                    policy: Some("AI-T3".into()),
                    year: Some(Y),
                    ..budget
                },
            )
            .await
        };
        for yuan in [
            "50000000000000000",
            "92233720368547758.07",
            "1000000000000.01",
        ] {
            too_large_naming(
                set(BudgetInput {
                    budget: Some(yuan.into()),
                    ..Default::default()
                })
                .await,
                "budget",
            );
        }
        too_large_naming(
            set(BudgetInput {
                budget_fen: Some(i64::MAX),
                ..Default::default()
            })
            .await,
            "budget",
        );
        too_large_naming(
            set(BudgetInput {
                budget: Some("1000".into()),
                enterprise_cap: Some("50000000000000000".into()),
                ..Default::default()
            })
            .await,
            "enterprise_cap",
        );
        // The bound itself is a valid budget.
        set(BudgetInput {
            budget: Some("10000亿".into()),
            ..Default::default()
        })
        .await
        .unwrap();
        let apply = |amount: serde_json::Value| async move {
            app.subsidy_apply_input(
                &admin(),
                &ApplyInput {
                    policy: Some("AI-T3".into()),
                    enterprise: Some("91330108MA2AAAA00X".into()),
                    amount: Some(amount),
                    year: Some(Y),
                    ..Default::default()
                },
            )
            .await
        };
        too_large_naming(apply("92233720368547758.07".into()).await, "amount");
        too_large_naming(
            apply(serde_json::json!(50000000000000000i64)).await,
            "amount",
        );
        let a = app
            .subsidy_apply_at(
                &admin(),
                z.p3,
                z.ents[0],
                100_00,
                Y,
                "ok",
                "staff",
                "",
                Utc::now(),
            )
            .await
            .unwrap();
        too_large_naming(
            app.subsidy_apply_at(
                &admin(),
                z.p3,
                z.ents[1],
                i64::MAX,
                Y,
                "big",
                "staff",
                "",
                Utc::now(),
            )
            .await,
            "amount",
        );
        too_large_naming(
            app.subsidy_act(
                &admin(),
                a.row.id,
                &SubsidyAction::Approve {
                    amount_fen: 100_000_000_000_001,
                },
            )
            .await,
            "amount",
        );
    }
);

both_backends!(
    concurrent_batch_payouts_each_report_only_the_payments_they_made,
    |db: Db| async move {
        let z = zone(db).await;
        let app = &z.app;
        budget(app, "AI-T3", "100000", None).await;
        let mut ids = Vec::new();
        for i in 0..10 {
            let e = z.ents[i % z.ents.len()];
            ids.push(approved(app, z.p3, e, 100_00, &format!("c{i}")).await);
        }
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                app.subsidy_payout(&admin(), Some(Y)).await.unwrap()
            }));
        }
        let mut reported = Vec::new();
        let mut total = 0;
        for t in tasks {
            let r = t.await.unwrap();
            assert!(r.refused.is_empty(), "{:?}", r.refused);
            assert_eq!(
                r.total_fen,
                r.paid.iter().map(|p| p.amount_fen).sum::<i64>()
            );
            total += r.total_fen;
            reported.extend(r.paid.iter().map(|p| (p.application_id, p.entry_id)));
        }
        let apps: HashSet<i64> = reported.iter().map(|r| r.0).collect();
        let entries: HashSet<i64> = reported.iter().map(|r| r.1).collect();
        assert_eq!(reported.len(), 10, "reported {reported:?}");
        assert_eq!(apps, ids.iter().copied().collect::<HashSet<i64>>());
        assert_eq!(entries.len(), 10);
        let t = app.db.subsidy_totals(Some(Y), None).await.unwrap();
        assert_eq!((t.entries, t.total_fen), (10, total));
        assert!(!t.overflow);
    }
);

both_backends!(
    a_department_officer_bound_to_no_department_sees_no_application_and_decides_none,
    |db: Db| async move {
        let z = zone(db).await;
        let app = &z.app;
        budget(app, "AI-T1", "100000", None).await;
        let id = app
            .subsidy_apply_at(
                &admin(),
                z.p1,
                z.ents[0],
                1000_00,
                Y,
                "unbound-1",
                "staff",
                "",
                Utc::now(),
            )
            .await
            .unwrap()
            .row
            .id;
        let unbound = actor(Role::Department, None, None);
        // The list is empty rather than every department's applications…
        let page = app
            .subsidy_list(&unbound, &SubsidyQuery::default())
            .await
            .unwrap();
        assert_eq!((page.total, page.items.len()), (0, 0));
        // …one application is 403, and so is every decision.
        assert!(matches!(
            app.subsidy_get(&unbound, id).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            app.subsidy_act(&unbound, id, &SubsidyAction::Review).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            app.subsidy_act(&unbound, id, &SubsidyAction::Approve { amount_fen: 1 })
                .await,
            Err(AppError::Forbidden)
        ));
        // The officer of the policy's department still sees and decides it.
        let kjj = actor(Role::Department, None, Some(z.kjj));
        assert!(app.subsidy_get(&kjj, id).await.is_ok());
        assert!(
            app.subsidy_act(&kjj, id, &SubsidyAction::Review)
                .await
                .is_ok()
        );
    }
);
