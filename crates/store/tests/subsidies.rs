//! The subsidy store functions on both backends (SQLite and a real PostgreSQL): the append-only
//! ledger, unique request keys, budgets that concurrent spenders cannot exceed, group claims and
//! totals that equal the sum of the entries.

// Amounts are written 元_分 (e.g. `3000_00` is 3,000.00 元).
#![allow(clippy::inconsistent_digit_grouping)]

use lianshi_domain::zone::RegistryKind;
use lianshi_store::enterprise::{EnterpriseWrite, enterprise_insert};
use lianshi_store::policy::{PolicyWrite, policy_upsert};
use lianshi_store::subsidy::*;
use lianshi_store::zone::{RegistryWrite, registry_insert};
use lianshi_store::{Db, StoreError, both_backends};

const T0: &str = "2025-03-02T01:00:00.000Z";

struct Seed {
    kjj: i64,
    jxj: i64,
    p1: i64,
    p2: i64,
    e1: i64,
    e2: i64,
}

fn policy(code: &str, dept: i64, dept_code: &str, group: Option<&str>) -> PolicyWrite {
    PolicyWrite {
        code: code.into(),
        kind: "policy".into(),
        title: format!("{code} 补助"),
        department_id: Some(dept),
        department_code: dept_code.into(),
        legal_ref: "区政策〔2025〕3号".into(),
        who: "区内企业".into(),
        track: "快申快享".into(),
        status: "active".into(),
        materials: vec![],
        contact: "0571-87000000".into(),
        group_code: group.map(str::to_string),
        source: format!("[[policy]]\ncode = \"{code}\"\n"),
        ..Default::default()
    }
}

async fn seed(db: &Db) -> Seed {
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
    let ent = |uscc: &str, name: &str| EnterpriseWrite {
        uscc: uscc.into(),
        name: name.into(),
        ..Default::default()
    };
    let e1 = enterprise_insert(tx.conn(), &ent("91330108MA2AAAAA1X", "甲科技"))
        .await
        .unwrap();
    let e2 = enterprise_insert(tx.conn(), &ent("91330108MA2BBBBB2X", "乙智能"))
        .await
        .unwrap();
    let p1 = policy_upsert(tx.conn(), &policy("AI-01", kjj, "kjj", Some("rd")))
        .await
        .unwrap()
        .0;
    let p2 = policy_upsert(tx.conn(), &policy("JX-02", jxj, "jxj", Some("rd")))
        .await
        .unwrap()
        .0;
    tx.commit().await.unwrap();
    Seed {
        kjj,
        jxj,
        p1,
        p2,
        e1,
        e2,
    }
}

async fn application(db: &Db, policy_id: i64, enterprise_id: i64, year: i64, key: &str) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let id = subsidy_application_insert(
        tx.conn(),
        &NewApplication {
            policy_id,
            enterprise_id,
            year,
            amount_fen: 100,
            state: "approved".into(),
            origin: "apply".into(),
            request_key: key.into(),
            created_by_name: "t".into(),
            created_at: T0.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

fn entry(
    policy_id: i64,
    enterprise_id: i64,
    application_id: i64,
    year: i64,
    dept: i64,
    fen: i64,
    key: &str,
) -> NewEntry {
    NewEntry {
        policy_id,
        enterprise_id,
        application_id,
        year,
        department_id: Some(dept),
        amount_fen: fen,
        request_key: key.into(),
        at: T0.into(),
        actor_name: "t".into(),
        ..Default::default()
    }
}

async fn append(db: &Db, e: &NewEntry) -> Result<i64, StoreError> {
    let mut tx = db.begin().await.unwrap();
    let id = subsidy_ledger_append(tx.conn(), e).await?;
    tx.commit().await.unwrap();
    Ok(id)
}

both_backends!(the_ledger_refuses_update_and_delete, |db: Db| async move {
    let s = seed(&db).await;
    let a = application(&db, s.p1, s.e1, 2025, "a1").await;
    let id = append(&db, &entry(s.p1, s.e1, a, 2025, s.kjj, 500, "k1"))
        .await
        .unwrap();
    let upd = lianshi_store::sql::query("UPDATE subsidy_ledger SET amount_fen = 1 WHERE id = $1")
        .bind(id)
        .execute(db.writer())
        .await;
    assert!(upd.is_err(), "an UPDATE of the ledger must be refused");
    let del = lianshi_store::sql::query("DELETE FROM subsidy_ledger WHERE id = $1")
        .bind(id)
        .execute(db.writer())
        .await;
    assert!(del.is_err(), "a DELETE from the ledger must be refused");
    let e = db.subsidy_entry_get(id).await.unwrap().unwrap();
    assert_eq!(e.amount_fen, 500);
    assert_eq!(e.policy_code, "AI-01");
    assert_eq!(e.department_code.as_deref(), Some("kjj"));
});

both_backends!(
    request_keys_payouts_and_reversals_are_each_unique,
    |db: Db| async move {
        let s = seed(&db).await;
        let a = application(&db, s.p1, s.e1, 2025, "a1").await;
        let b = application(&db, s.p1, s.e2, 2025, "a2").await;
        let first = append(&db, &entry(s.p1, s.e1, a, 2025, s.kjj, 500, "k1"))
            .await
            .unwrap();
        // Same key, other application: refused.
        let again = append(&db, &entry(s.p1, s.e2, b, 2025, s.kjj, 500, "k1")).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        // Second payout of the same application under another key: refused.
        let twice = append(&db, &entry(s.p1, s.e1, a, 2025, s.kjj, 500, "k2")).await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
        // One reversal per entry.
        let mut rev = entry(s.p1, s.e1, a, 2025, s.kjj, -500, "r1");
        rev.reverses_id = Some(first);
        let r1 = append(&db, &rev).await.unwrap();
        rev.request_key = "r2".into();
        assert!(matches!(
            append(&db, &rev).await,
            Err(StoreError::Conflict(_))
        ));
        let orig = db.subsidy_entry_get(first).await.unwrap().unwrap();
        assert_eq!(orig.reversed_by, Some(r1));
        assert_eq!(
            db.subsidy_entry_by_key("k1").await.unwrap().unwrap().id,
            first
        );
        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            subsidy_paid_to(tx.conn(), s.p1, s.e1, 2025).await.unwrap(),
            0
        );
        // Application keys are unique too.
        let dup = subsidy_application_insert(
            tx.conn(),
            &NewApplication {
                policy_id: s.p1,
                enterprise_id: s.e1,
                year: 2025,
                amount_fen: 1,
                state: "submitted".into(),
                origin: "apply".into(),
                request_key: "a1".into(),
                created_by_name: "t".into(),
                created_at: T0.into(),
                ..Default::default()
            },
        )
        .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    }
);

both_backends!(
    concurrent_spenders_never_exceed_the_budget,
    |db: Db| async move {
        let s = seed(&db).await;
        {
            let mut tx = db.begin().await.unwrap();
            subsidy_budget_put(tx.conn(), s.p1, 2025, 1_000, None, T0)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let mut apps = Vec::new();
        for i in 0..40 {
            let e = if i % 2 == 0 { s.e1 } else { s.e2 };
            apps.push(application(&db, s.p1, e, 2025, &format!("a{i}")).await);
        }
        let mut tasks = Vec::new();
        for (i, a) in apps.iter().copied().enumerate() {
            let db = db.clone();
            let (p1, kjj) = (s.p1, s.kjj);
            let e = if i % 2 == 0 { s.e1 } else { s.e2 };
            tasks.push(tokio::spawn(async move {
                let mut tx = db.begin().await.unwrap();
                if !subsidy_budget_spend(tx.conn(), p1, 2025, 100, 0)
                    .await
                    .unwrap()
                {
                    return false;
                }
                subsidy_ledger_append(
                    tx.conn(),
                    &entry(p1, e, a, 2025, kjj, 100, &format!("pay:{a}")),
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                true
            }));
        }
        let mut ok = 0;
        for t in tasks {
            if t.await.unwrap() {
                ok += 1;
            }
        }
        assert_eq!(ok, 10);
        let totals = db.subsidy_totals(Some(2025), None).await.unwrap();
        assert_eq!(totals.total_fen, 1_000);
        assert_eq!(totals.entries, 10);
        let b = db.subsidy_budget(s.p1, 2025).await.unwrap().unwrap();
        assert_eq!(b.spent_fen, 1_000);
        assert_eq!(b.available_fen(), 0);
        // A reservation on a full budget is refused and changes nothing.
        let mut tx = db.begin().await.unwrap();
        assert!(
            !subsidy_budget_reserve(tx.conn(), s.p1, 2025, 1)
                .await
                .unwrap()
        );
        // No budget line at all: nothing to spend.
        assert!(
            !subsidy_budget_spend(tx.conn(), s.p2, 2025, 1, 0)
                .await
                .unwrap()
        );
        // The budget cannot be lowered below what is paid.
        let low = subsidy_budget_put(tx.conn(), s.p1, 2025, 999, None, T0).await;
        assert!(matches!(low, Err(StoreError::Conflict(_))));
    }
);

both_backends!(
    reservations_and_payouts_keep_spent_plus_committed_within_the_budget,
    |db: Db| async move {
        let s = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        subsidy_budget_put(tx.conn(), s.p1, 2025, 1_000, Some(600), T0)
            .await
            .unwrap();
        assert!(
            subsidy_budget_reserve(tx.conn(), s.p1, 2025, 700)
                .await
                .unwrap()
        );
        assert!(
            !subsidy_budget_reserve(tx.conn(), s.p1, 2025, 301)
                .await
                .unwrap()
        );
        assert!(
            subsidy_budget_reserve(tx.conn(), s.p1, 2025, 300)
                .await
                .unwrap()
        );
        // Paying 700 against its reservation moves it from committed to spent.
        assert!(
            subsidy_budget_spend(tx.conn(), s.p1, 2025, 700, 700)
                .await
                .unwrap()
        );
        subsidy_budget_refund(tx.conn(), s.p1, 2025, 200)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let b = db.subsidy_budget(s.p1, 2025).await.unwrap().unwrap();
        assert_eq!(
            (
                b.budget_fen,
                b.spent_fen,
                b.committed_fen,
                b.enterprise_cap_fen
            ),
            (1_000, 500, 300, Some(600))
        );
        assert_eq!(db.subsidy_budgets(Some(2025)).await.unwrap().len(), 1);
    }
);

both_backends!(
    a_group_claim_has_one_holder_until_released,
    |db: Db| async move {
        let s = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            subsidy_group_claim(tx.conn(), "rd", s.e1, 2025, s.p1, T0)
                .await
                .unwrap(),
            s.p1
        );
        assert_eq!(
            subsidy_group_claim(tx.conn(), "rd", s.e1, 2025, s.p2, T0)
                .await
                .unwrap(),
            s.p1
        );
        // Another year or enterprise is free.
        assert_eq!(
            subsidy_group_claim(tx.conn(), "rd", s.e1, 2024, s.p2, T0)
                .await
                .unwrap(),
            s.p2
        );
        let h = subsidy_group_holder(tx.conn(), "rd", s.e1, 2025)
            .await
            .unwrap();
        assert_eq!(h, Some((s.p1, "AI-01".to_string())));
        subsidy_group_release(tx.conn(), "rd", s.e1, 2025, s.p1)
            .await
            .unwrap();
        assert_eq!(
            subsidy_group_claim(tx.conn(), "rd", s.e1, 2025, s.p2, T0)
                .await
                .unwrap(),
            s.p2
        );
        tx.commit().await.unwrap();
    }
);

both_backends!(
    totals_per_policy_and_department_equal_the_sum_of_entries,
    |db: Db| async move {
        let s = seed(&db).await;
        let mut expected_2025 = 0;
        let mut n = 0;
        for (p, d, e, year, fen) in [
            (s.p1, s.kjj, s.e1, 2025, 1_000_00),
            (s.p1, s.kjj, s.e2, 2025, 2_500_00),
            (s.p2, s.jxj, s.e1, 2025, 700_00),
            (s.p2, s.jxj, s.e2, 2024, 9_999_99),
        ] {
            n += 1;
            let a = application(&db, p, e, year, &format!("a{n}")).await;
            append(&db, &entry(p, e, a, year, d, fen, &format!("k{n}")))
                .await
                .unwrap();
            if year == 2025 {
                expected_2025 += fen;
            }
        }
        // Reverse the 2,500 元 entry: it nets out.
        let big = db.subsidy_entry_by_key("k2").await.unwrap().unwrap();
        let mut rev = entry(s.p1, s.e2, big.application_id, 2025, s.kjj, -2_500_00, "r");
        rev.reverses_id = Some(big.id);
        append(&db, &rev).await.unwrap();
        expected_2025 -= 2_500_00;

        let t = db.subsidy_totals(Some(2025), None).await.unwrap();
        assert_eq!(t.total_fen, expected_2025);
        assert_eq!(t.entries, 4);
        assert_eq!(t.by_policy.iter().map(|r| r.fen).sum::<i64>(), t.total_fen);
        assert_eq!(
            t.by_department.iter().map(|r| r.fen).sum::<i64>(),
            t.total_fen
        );
        let ai = t.by_policy.iter().find(|r| r.code == "AI-01").unwrap();
        assert_eq!(ai.fen, 1_000_00);
        let jxj = t.by_department.iter().find(|r| r.code == "jxj").unwrap();
        assert_eq!(jxj.fen, 700_00);
        let (rows, total) = db
            .subsidy_ledger_list(&LedgerFilter {
                year: Some(2025),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(total, 4);
        assert_eq!(
            rows.iter().map(|r| r.amount_fen).sum::<i64>(),
            expected_2025
        );
        let all = db.subsidy_totals(None, Some(s.jxj)).await.unwrap();
        assert_eq!(all.total_fen, 700_00 + 9_999_99);
    }
);

both_backends!(
    a_step_applies_only_from_the_state_the_caller_saw,
    |db: Db| async move {
        let s = seed(&db).await;
        let a = application(&db, s.p1, s.e1, 2025, "a1").await;
        let mut tx = db.begin().await.unwrap();
        let step = ApplicationStep {
            state: "disbursed".into(),
            disbursed_at: Some(T0.into()),
            at: T0.into(),
            ..Default::default()
        };
        assert!(
            subsidy_application_step(tx.conn(), a, "approved", &step)
                .await
                .unwrap()
        );
        assert!(
            !subsidy_application_step(tx.conn(), a, "approved", &step)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        let row = db.subsidy_application_get(a).await.unwrap().unwrap();
        assert_eq!(row.state, "disbursed");
        assert_eq!(row.version, 2);
        assert_eq!(row.disbursed_at.as_deref(), Some(T0));
        let (rows, total) = db
            .subsidy_application_list(&ApplicationFilter {
                states: vec!["disbursed".into()],
                department_id: Some(s.kjj),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!((rows.len(), total), (1, 1));
        assert_eq!(rows[0].enterprise_name, "甲科技");
    }
);
