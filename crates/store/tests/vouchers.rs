//! The voucher store functions on both backends: the conditional updates that keep pools,
//! balances and annual caps from being overspent, the UNIQUE contract key, and the figures.

use lianshi_store::enterprise::{EnterpriseWrite, enterprise_insert};
use lianshi_store::voucher::*;
use lianshi_store::{Db, StoreError, both_backends};

/// A scheme, a round with a 1,000 fen pool, a provider and an enterprise.
async fn seed(db: &Db) -> (i64, i64, i64, i64) {
    let mut tx = db.begin().await.unwrap();
    let ent = enterprise_insert(
        tx.conn(),
        &EnterpriseWrite {
            uscc: "91330108MA27XK0N4A".into(),
            name: "测试企业".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let scheme = voucher_scheme_insert(
        tx.conn(),
        &SchemeWrite {
            code: "S".into(),
            kind: "compute".into(),
            name: "算力券".into(),
            rules_json: "{}".into(),
            status: "active".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let round = voucher_round_insert(
        tx.conn(),
        &RoundWrite {
            scheme_id: scheme,
            name: "R".into(),
            year: 2026,
            pool_fen: 1_000,
            opens_on: "2026-01-01".into(),
            closes_on: "2026-06-30".into(),
            valid_until: "2026-12-31".into(),
        },
    )
    .await
    .unwrap();
    let provider = voucher_provider_insert(tx.conn(), None, "P", "91330100MA2XXXXX0X", "compute")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (ent, scheme, round, provider)
}

both_backends!(
    the_pool_balance_and_cap_cannot_be_overdrawn,
    |db: Db| async move {
        let (ent, scheme, round, provider) = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        assert!(voucher_round_issue(tx.conn(), round, 600).await.unwrap());
        assert!(!voucher_round_issue(tx.conn(), round, 401).await.unwrap());
        let v = voucher_insert(
            tx.conn(),
            &VoucherWrite {
                round_id: round,
                scheme_id: scheme,
                enterprise_id: ent,
                amount_fen: 600,
                valid_until: "2026-12-31".into(),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        // A failed statement aborts a PostgreSQL transaction: try the duplicate in its own.
        let mut tx = db.begin().await.unwrap();
        let dup = voucher_insert(
            tx.conn(),
            &VoucherWrite {
                round_id: round,
                scheme_id: scheme,
                enterprise_id: ent,
                amount_fen: 1,
                valid_until: "2026-12-31".into(),
            },
        )
        .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))));
        drop(tx);

        let mut tx = db.begin().await.unwrap();
        assert!(voucher_hold(tx.conn(), v, 500, "2026-04-01").await.unwrap());
        assert!(!voucher_hold(tx.conn(), v, 101, "2026-04-01").await.unwrap());
        assert!(
            !voucher_hold(tx.conn(), v, 1, "2027-01-01").await.unwrap(),
            "past validity"
        );
        assert_eq!(
            voucher_usage_lock(tx.conn(), ent, scheme, 2026, 5_000)
                .await
                .unwrap(),
            (0, 0)
        );
        assert!(
            voucher_usage_use(tx.conn(), ent, scheme, 2026, 500, Some(500))
                .await
                .unwrap()
        );
        assert!(
            !voucher_usage_use(tx.conn(), ent, scheme, 2026, 1, Some(500))
                .await
                .unwrap()
        );
        assert_eq!(
            voucher_usage_lock(tx.conn(), ent, scheme, 2026, 100)
                .await
                .unwrap(),
            (5_000, 500)
        );
        let w = RedemptionWrite {
            voucher_id: v,
            scheme_id: scheme,
            enterprise_id: ent,
            provider_id: provider,
            request_key: "k1".into(),
            contract_no: "HT-1".into(),
            invoice_fen: 1_000,
            service_type: "training".into(),
            tier: "general".into(),
            rate_bp: 5000,
            amount_fen: 500,
            explain: "x".into(),
            year: 2026,
            ..Default::default()
        };
        let r1 = voucher_redemption_insert(tx.conn(), &w).await.unwrap();
        tx.commit().await.unwrap();
        // Same contract under another key: refused by the UNIQUE index.
        let mut tx = db.begin().await.unwrap();
        let again = voucher_redemption_insert(
            tx.conn(),
            &RedemptionWrite {
                request_key: "k2".into(),
                ..w.clone()
            },
        )
        .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))));
        drop(tx);
        // Once rejected, the contract number is free again.
        let mut tx = db.begin().await.unwrap();
        assert!(
            voucher_redemption_step(tx.conn(), r1, "submitted", "rejected", Some("x"))
                .await
                .unwrap()
        );
        assert!(
            !voucher_redemption_step(tx.conn(), r1, "submitted", "confirmed", None)
                .await
                .unwrap()
        );
        voucher_release(tx.conn(), v, 500).await.unwrap();
        voucher_redemption_insert(
            tx.conn(),
            &RedemptionWrite {
                request_key: "k3".into(),
                ..w.clone()
            },
        )
        .await
        .unwrap();
        assert!(voucher_hold(tx.conn(), v, 500, "2026-04-01").await.unwrap());
        tx.commit().await.unwrap();

        let f = db.voucher_figures().await.unwrap();
        assert_eq!(f.len(), 1);
        let g = f[0].figures;
        assert_eq!(
            (
                g.pool_fen,
                g.issued_fen,
                g.redeemed_fen,
                g.outstanding_fen,
                g.expired_fen,
                g.held_fen
            ),
            (1_000, 600, 0, 600, 0, 500)
        );
        assert_eq!(f[0].round_issued_fen, 600);
        assert_eq!(f[0].voucher_held_fen, 500);

        // Expiry: the free 100 expires and goes back to the round's pool.
        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            voucher_due_to_expire(tx.conn(), "2027-01-01")
                .await
                .unwrap(),
            vec![v]
        );
        assert_eq!(
            voucher_expire(tx.conn(), v, "2027-01-01T00:00:00Z")
                .await
                .unwrap(),
            Some(100)
        );
        assert_eq!(
            voucher_expire(tx.conn(), v, "2027-01-01T00:00:00Z")
                .await
                .unwrap(),
            None
        );
        assert!(
            voucher_round_issue(tx.conn(), round, 500).await.unwrap(),
            "1000 − (600 − 100) left"
        );
        tx.commit().await.unwrap();
        let r = db.voucher_round_get(round).await.unwrap().unwrap();
        assert_eq!((r.issued_fen, r.expired_fen), (1_100, 100));
    }
);

/// A scheme with one round per pool (years from 2027), no vouchers.
async fn scheme_with_pools(db: &Db, code: &str, pools: &[i64]) -> (i64, Vec<i64>) {
    let mut tx = db.begin().await.unwrap();
    let scheme = voucher_scheme_insert(
        tx.conn(),
        &SchemeWrite {
            code: code.into(),
            kind: "compute".into(),
            name: code.into(),
            rules_json: "{}".into(),
            status: "active".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut rounds = Vec::new();
    for (i, pool) in pools.iter().enumerate() {
        rounds.push(
            voucher_round_insert(
                tx.conn(),
                &RoundWrite {
                    scheme_id: scheme,
                    name: format!("R{i}"),
                    year: 2027 + i as i64,
                    pool_fen: *pool,
                    opens_on: "2027-01-01".into(),
                    closes_on: "2027-06-30".into(),
                    valid_until: "2027-12-31".into(),
                },
            )
            .await
            .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    (scheme, rounds)
}

both_backends!(
    figures_survive_pools_whose_sum_passes_i64_and_flag_only_that_scheme,
    |db: Db| async move {
        let (_, ok_scheme, _, _) = seed(&db).await;
        // The probe's two rounds of 50000000000000000 元 (5 × 10^18 fen each).
        let (broken, _) = scheme_with_pools(&db, "BROKEN", &[5_000_000_000_000_000_000; 2]).await;
        // Sums across the 2^32 split stay exact.
        let (split, _) = scheme_with_pools(&db, "SPLIT", &[4_294_967_301, 12_884_901_887]).await;
        let f = db.voucher_figures().await.unwrap();
        let of = |id: i64| f.iter().find(|x| x.scheme_id == id).unwrap();
        assert!(of(broken).overflow);
        assert_eq!(of(broken).figures.pool_fen, i64::MAX);
        assert!(!of(ok_scheme).overflow);
        assert_eq!(of(ok_scheme).figures.pool_fen, 1_000);
        assert!(!of(split).overflow);
        assert_eq!(of(split).figures.pool_fen, 17_179_869_188);
    }
);

both_backends!(
    out_of_bound_amounts_name_the_table_row_field_and_value,
    |db: Db| async move {
        seed(&db).await;
        assert!(db.out_of_bound_amounts().await.unwrap().is_empty());
        let (_, rounds) =
            scheme_with_pools(&db, "BIG", &[100_000_000_000_000, 100_000_000_000_001]).await;
        let found = db.out_of_bound_amounts().await.unwrap();
        assert_eq!(
            found,
            vec![lianshi_store::bounds::OutOfBound {
                table: "voucher_rounds".into(),
                id: rounds[1].to_string(),
                field: "pool_fen".into(),
                value: 100_000_000_000_001,
            }]
        );
    }
);

both_backends!(
    a_pool_is_corrected_no_lower_than_issued_and_closing_keeps_only_the_issued_quota,
    |db: Db| async move {
        let (_, _, round, _) = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        assert!(voucher_round_issue(tx.conn(), round, 600).await.unwrap());
        assert!(!voucher_round_set_pool(tx.conn(), round, 599).await.unwrap());
        assert!(voucher_round_set_pool(tx.conn(), round, 800).await.unwrap());
        let closed = voucher_round_close(tx.conn(), round, "2026-03-01")
            .await
            .unwrap()
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(closed.pool_fen, 600);
        assert_eq!(
            (closed.opens_on.as_str(), closed.closes_on.as_str()),
            ("2026-01-01", "2026-03-01")
        );
        let mut tx = db.begin().await.unwrap();
        assert!(!voucher_round_issue(tx.conn(), round, 1).await.unwrap());
        assert!(
            voucher_round_close(tx.conn(), round + 1000, "2026-03-01")
                .await
                .unwrap()
                .is_none()
        );
    }
);
