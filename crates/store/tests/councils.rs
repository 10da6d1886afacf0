//! Council and service-figure store functions on both backends (SQLite and a real PostgreSQL).

use lianshi_domain::zone::RegistryKind;
use lianshi_store::council::*;
use lianshi_store::enterprise::{EnterpriseWrite, enterprise_insert};
use lianshi_store::order::{NewOrder, order_insert};
use lianshi_store::service_figures::{FigureDim, Metric, Period};
use lianshi_store::zone::{RegistryWrite, registry_insert};
use lianshi_store::{Db, StoreError, both_backends};

struct Seed {
    chain: i64,
    node: i64,
    dept: i64,
    ents: Vec<i64>,
}

async fn seed(db: &Db) -> Seed {
    let mut tx = db.begin().await.unwrap();
    let w = |code: &str, name: &str, parent: Option<i64>| RegistryWrite {
        code: Some(code.into()),
        name: name.into(),
        parent_id: parent,
        attr: None,
        sort: 0,
    };
    let eco = registry_insert(
        tx.conn(),
        RegistryKind::Ecosystem,
        &w("eco", "数字经济", None),
    )
    .await
    .unwrap();
    let chain = registry_insert(
        tx.conn(),
        RegistryKind::Chain,
        &w("ic", "集成电路", Some(eco)),
    )
    .await
    .unwrap();
    let node = registry_insert(
        tx.conn(),
        RegistryKind::ChainNode,
        &w("ic-design", "芯片设计", Some(chain)),
    )
    .await
    .unwrap();
    let dept = registry_insert(
        tx.conn(),
        RegistryKind::Department,
        &w("jxj", "区经信局", None),
    )
    .await
    .unwrap();
    let mut ents = Vec::new();
    for (i, u) in [
        "91330108MA2AAAAA1X",
        "91330108MA2BBBBB2X",
        "91330108MA2CCCCC3X",
    ]
    .iter()
    .enumerate()
    {
        ents.push(
            enterprise_insert(
                tx.conn(),
                &EnterpriseWrite {
                    uscc: (*u).into(),
                    name: format!("企业{i}"),
                    ..Default::default()
                },
            )
            .await
            .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    Seed {
        chain,
        node,
        dept,
        ents,
    }
}

fn order(s: &Seed, ent: i64, state: &str, created: &str) -> NewOrder {
    NewOrder {
        enterprise_id: ent,
        title: "GPU芯片采购渠道紧张".into(),
        description: String::new(),
        category: "supply_chain".into(),
        urgency: "normal".into(),
        channel: "visit".into(),
        node_id: Some(s.node),
        chain_id: Some(s.chain),
        state: state.into(),
        department_id: Some(s.dept),
        extension_json: "\"none\"".into(),
        sla_limit: "5d".into(),
        sla_start: created.into(),
        due_at: Some("2026-03-09T10:00:00.000Z".into()),
        created_by_name: "测试".into(),
        created_at: created.into(),
        ..Default::default()
    }
}

fn meeting(s: &Seed, seq: i64) -> CouncilRow {
    CouncilRow {
        chain_id: s.chain,
        year: 2026,
        seq,
        number: seq,
        title: format!("集成电路链上议事会 第{seq}季度"),
        scheduled_on: "2026-03-16".into(),
        location: "会议室".into(),
        status: "scheduled".into(),
        created_at: "2026-01-01T00:00:00.000Z".into(),
        ..Default::default()
    }
}

both_backends!(
    three_orders_on_one_node_and_category_make_a_recurring_pain_point_until_a_decision_answers_them,
    |db: Db| async move {
        let s = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        let mut ids = Vec::new();
        for (i, e) in s.ents.iter().enumerate() {
            ids.push(
                order_insert(
                    tx.conn(),
                    &order(
                        &s,
                        *e,
                        "in_progress",
                        &format!("2026-03-0{}T02:00:00.000Z", i + 2),
                    ),
                )
                .await
                .unwrap(),
            );
        }
        // Withdrawn orders do not count.
        order_insert(
            tx.conn(),
            &order(&s, s.ents[0], "withdrawn", "2026-03-02T02:00:00.000Z"),
        )
        .await
        .unwrap();
        let c = council_insert(tx.conn(), &meeting(&s, 1)).await.unwrap();
        tx.commit().await.unwrap();
        let r = db
            .council_recurring(
                s.chain,
                "2026-01-01T00:00:00.000Z",
                "2026-04-01T00:00:00.000Z",
                3,
            )
            .await
            .unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].orders, r[0].enterprises), (3, 3));
        assert_eq!(r[0].order_ids, ids);
        assert!(
            db.council_recurring(
                s.chain,
                "2026-01-01T00:00:00.000Z",
                "2026-04-01T00:00:00.000Z",
                4
            )
            .await
            .unwrap()
            .is_empty()
        );

        let mut tx = db.begin().await.unwrap();
        let a = action_insert(
            tx.conn(),
            &ActionRow {
                council_id: c,
                chain_id: s.chain,
                decision: "经信局牵头对接".into(),
                department_id: Some(s.dept),
                due_on: "2026-04-30".into(),
                status: "open".into(),
                created_at: "2026-03-16T02:00:00.000Z".into(),
                orders: vec![(ids[0], "answers".into())],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert!(
            db.council_recurring(
                s.chain,
                "2026-01-01T00:00:00.000Z",
                "2026-04-01T00:00:00.000Z",
                3
            )
            .await
            .unwrap()
            .is_empty()
        );
        assert_eq!(db.council_actions_of_order(ids[0]).await.unwrap(), vec![a]);
    }
);

both_backends!(
    a_second_meeting_in_the_same_quarter_is_refused_and_a_stale_progress_update_conflicts,
    |db: Db| async move {
        let s = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        let c = council_insert(tx.conn(), &meeting(&s, 1)).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert!(matches!(
            council_insert(tx.conn(), &meeting(&s, 1)).await,
            Err(StoreError::Conflict(_))
        ));
        drop(tx);
        let mut tx = db.begin().await.unwrap();
        let a = action_insert(
            tx.conn(),
            &ActionRow {
                council_id: c,
                chain_id: s.chain,
                decision: "d".into(),
                due_on: "2026-04-30".into(),
                status: "open".into(),
                created_at: "2026-03-16T02:00:00.000Z".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        action_progress(
            tx.conn(),
            a,
            1,
            100,
            "done",
            Some("2026-04-01"),
            "完成",
            "经信局",
            "2026-04-01T02:00:00.000Z",
        )
        .await
        .unwrap();
        assert!(matches!(
            action_progress(
                tx.conn(),
                a,
                1,
                50,
                "open",
                None,
                "旧版本",
                "经信局",
                "2026-04-01T03:00:00.000Z"
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        tx.commit().await.unwrap();
        let got = db.council_action_get(a).await.unwrap().unwrap();
        assert_eq!(
            (got.progress, got.status.as_str(), got.version),
            (100, "done", 2)
        );
        assert_eq!(db.council_action_updates(a).await.unwrap().len(), 1);
    }
);

both_backends!(
    zone_figures_count_orders_solved_breaches_and_closed_actions_from_the_records,
    |db: Db| async move {
        let s = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        order_insert(
            tx.conn(),
            &order(&s, s.ents[0], "resolved", "2026-03-02T02:00:00.000Z"),
        )
        .await
        .unwrap();
        // Open and past its due time at "now": a breach.
        order_insert(
            tx.conn(),
            &order(&s, s.ents[1], "in_progress", "2026-03-03T02:00:00.000Z"),
        )
        .await
        .unwrap();
        order_insert(
            tx.conn(),
            &order(&s, s.ents[2], "withdrawn", "2026-03-04T02:00:00.000Z"),
        )
        .await
        .unwrap();
        // Outside the period.
        order_insert(
            tx.conn(),
            &order(&s, s.ents[2], "resolved", "2025-03-04T02:00:00.000Z"),
        )
        .await
        .unwrap();
        let c = council_insert(tx.conn(), &meeting(&s, 1)).await.unwrap();
        action_insert(
            tx.conn(),
            &ActionRow {
                council_id: c,
                chain_id: s.chain,
                decision: "d".into(),
                department_id: Some(s.dept),
                due_on: "2026-04-30".into(),
                progress: 100,
                status: "done".into(),
                closed_on: Some("2026-04-10".into()),
                created_at: "2026-03-16T02:00:00.000Z".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let p = Period {
            from_ts: "2025-12-31T16:00:00.000Z".into(),
            to_ts: "2026-12-31T16:00:00.000Z".into(),
            from_date: "2026-01-01".into(),
            to_date: "2026-12-31".into(),
            today: "2026-06-01".into(),
            now_ts: "2026-06-01T00:00:00.000Z".into(),
        };
        let zone = db.figure_counts(FigureDim::Zone, &p).await.unwrap();
        let z = zone.get(&Some(0)).copied().unwrap();
        assert_eq!(
            (
                z.orders_received,
                z.solved,
                z.withdrawn,
                z.withdrawn_before_acceptance,
                z.breaches,
                z.actions_closed
            ),
            (3, 1, 1, 1, 1, 1)
        );
        let by_dept = db.figure_counts(FigureDim::Department, &p).await.unwrap();
        assert_eq!(by_dept.get(&Some(s.dept)).unwrap().orders_received, 3);
        let by_chain = db.figure_counts(FigureDim::Chain, &p).await.unwrap();
        assert_eq!(by_chain.get(&Some(s.chain)).unwrap().actions_closed, 1);
        let (recs, total) = db
            .figure_records(
                Metric::Breaches,
                FigureDim::Department,
                Some(s.dept),
                &p,
                50,
            )
            .await
            .unwrap();
        assert_eq!(total, 1);
        assert_eq!(recs[0].state, "in_progress");
        let (_, total) = db
            .figure_records(Metric::OrdersReceived, FigureDim::Zone, Some(0), &p, 50)
            .await
            .unwrap();
        assert_eq!(total, z.orders_received);
        assert_eq!(
            db.figure_timings(FigureDim::Zone, &p).await.unwrap().len(),
            3
        );
    }
);
