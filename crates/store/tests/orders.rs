//! The work-order store functions on both backends (SQLite and a real PostgreSQL).

use lianshi_domain::zone::RegistryKind;
use lianshi_store::calendar::{CalendarYearRow, calendar_year_put};
use lianshi_store::enterprise::{EnterpriseWrite, enterprise_insert};
use lianshi_store::order::*;
use lianshi_store::zone::{RegistryWrite, registry_insert};
use lianshi_store::{Db, StoreError, both_backends};

const T0: &str = "2026-03-02T01:00:00.000Z";

/// Two departments and two enterprises.
async fn seed(db: &Db) -> (i64, i64, i64, i64) {
    let mut tx = db.begin().await.unwrap();
    let dept = |code: &str, name: &str| RegistryWrite {
        code: Some(code.into()),
        name: name.into(),
        parent_id: None,
        attr: None,
        sort: 0,
    };
    let d1 = registry_insert(
        tx.conn(),
        RegistryKind::Department,
        &dept("kjj", "区科技局"),
    )
    .await
    .unwrap();
    let d2 = registry_insert(
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
    tx.commit().await.unwrap();
    (d1, d2, e1, e2)
}

fn new_order(enterprise_id: i64, dept: Option<i64>, due: &str) -> NewOrder {
    NewOrder {
        enterprise_id,
        title: "GPU芯片采购渠道紧张".into(),
        description: "影响训练进度".into(),
        category: "supply_chain".into(),
        tags: vec!["芯片".into(), "算力".into()],
        urgency: "normal".into(),
        channel: "visit".into(),
        state: "registered".into(),
        department_id: dept,
        extension_json: r#"{"status":"none"}"#.into(),
        sla_limit: "10d".into(),
        sla_start: T0.into(),
        due_at: Some(due.into()),
        created_by_name: "测试".into(),
        created_at: T0.into(),
        ..Default::default()
    }
}

both_backends!(
    an_order_round_trips_and_lists_by_scope_state_and_overdue,
    |db: Db| async move {
        let (d1, d2, e1, e2) = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        let a = order_insert(
            tx.conn(),
            &new_order(e1, Some(d1), "2026-03-16T09:30:00.000Z"),
        )
        .await
        .unwrap();
        let b = order_insert(
            tx.conn(),
            &new_order(e2, Some(d2), "2026-12-16T09:30:00.000Z"),
        )
        .await
        .unwrap();
        order_cohandlers_set(tx.conn(), b, &[d1]).await.unwrap();
        tx.commit().await.unwrap();
        let got = db.order_get(a).await.unwrap().unwrap();
        assert_eq!(got.uscc, "91330108MA2AAAAA1X");
        assert_eq!(got.tags, vec!["芯片".to_string(), "算力".to_string()]);
        assert_eq!(got.version, 1);
        assert_eq!(db.order_count().await.unwrap(), 2);
        let list = |f: OrderFilter| {
            let db = db.clone();
            async move {
                let (rows, total) = db.order_list(&f, 50, 0).await.unwrap();
                assert_eq!(rows.len() as i64, total);
                rows.iter().map(|r| r.id).collect::<Vec<_>>()
            }
        };
        // Department 1 leads a and co-handles b; department 2 leads only b.
        assert_eq!(
            list(OrderFilter {
                scope: OrderScope::Department(d1),
                ..Default::default()
            })
            .await,
            vec![b, a]
        );
        assert_eq!(
            list(OrderFilter {
                scope: OrderScope::Department(d2),
                ..Default::default()
            })
            .await,
            vec![b]
        );
        assert_eq!(
            list(OrderFilter {
                scope: OrderScope::Enterprise(e1),
                ..Default::default()
            })
            .await,
            vec![a]
        );
        assert!(
            list(OrderFilter {
                scope: OrderScope::Nothing,
                ..Default::default()
            })
            .await
            .is_empty()
        );
        assert!(
            list(OrderFilter {
                scope: OrderScope::Teams(vec![]),
                ..Default::default()
            })
            .await
            .is_empty()
        );
        assert_eq!(
            list(OrderFilter {
                overdue_at: Some("2026-04-01T00:00:00.000Z".into()),
                ..Default::default()
            })
            .await,
            vec![a]
        );
        assert_eq!(
            list(OrderFilter {
                q: Some("GPU".into()),
                department_id: Some(d2),
                ..Default::default()
            })
            .await,
            vec![b]
        );
        assert_eq!(db.order_cohandlers(b).await.unwrap(), vec![d1]);
        assert_eq!(db.order_open_all().await.unwrap().len(), 2);
    }
);

both_backends!(
    an_update_with_a_stale_version_is_a_conflict_and_changes_nothing,
    |db: Db| async move {
        let (d1, _, e1, _) = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        let id = order_insert(
            tx.conn(),
            &new_order(e1, Some(d1), "2026-03-16T09:30:00.000Z"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let w = OrderStateWrite {
            state: "accepted".into(),
            department_id: Some(d1),
            extension_json: r#"{"status":"none"}"#.into(),
            sla_start: T0.into(),
            updated_at: T0.into(),
            ..Default::default()
        };
        let mut tx = db.begin().await.unwrap();
        assert_eq!(order_update(tx.conn(), id, 1, &w).await.unwrap(), 2);
        let stale = order_update(
            tx.conn(),
            id,
            1,
            &OrderStateWrite {
                state: "withdrawn".into(),
                ..w.clone()
            },
        )
        .await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))));
        tx.commit().await.unwrap();
        let r = db.order_get(id).await.unwrap().unwrap();
        assert_eq!((r.state.as_str(), r.version), ("accepted", 2));
        let open: Vec<i64> = db
            .order_open_all()
            .await
            .unwrap()
            .iter()
            .map(|o| o.id)
            .collect();
        assert_eq!(open, vec![id]);
    }
);

both_backends!(
    history_pauses_callbacks_and_proposals_are_appended_in_order,
    |db: Db| async move {
        let (d1, _, e1, _) = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        let id = order_insert(
            tx.conn(),
            &new_order(e1, Some(d1), "2026-03-16T09:30:00.000Z"),
        )
        .await
        .unwrap();
        for (from, to, ev) in [
            (None, "registered", "registered"),
            (Some("registered"), "accepted", "accepted"),
        ] {
            order_event_insert(
                tx.conn(),
                &EventRow {
                    order_id: id,
                    actor_name: "中心".into(),
                    from_state: from.map(str::to_string),
                    to_state: to.into(),
                    event: ev.into(),
                    payload_json: "{}".into(),
                    at: T0.into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        order_pause_open(tx.conn(), id, T0, "等待材料")
            .await
            .unwrap();
        assert_eq!(
            order_pause_close(tx.conn(), id, "2026-03-04T01:00:00.000Z")
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            order_pause_close(tx.conn(), id, "2026-03-05T01:00:00.000Z")
                .await
                .unwrap(),
            0,
            "a closed pause keeps its end"
        );
        order_callback_insert(
            tx.conn(),
            &CallbackRow {
                order_id: id,
                rating: "unsatisfied".into(),
                comment: "未解决".into(),
                department_id: Some(d1),
                by_name: "企业".into(),
                by_role: "enterprise".into(),
                at: T0.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let p = ProposalRow {
            order_id: id,
            chain_id: None,
            level: 2,
            proposed_at: T0.into(),
        };
        assert!(council_propose(tx.conn(), &p).await.unwrap());
        assert!(
            !council_propose(tx.conn(), &p).await.unwrap(),
            "once per order"
        );
        tx.commit().await.unwrap();
        let ev = db.order_events(id).await.unwrap();
        assert_eq!(
            ev.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(),
            ["registered", "accepted"]
        );
        let ps = db.order_pauses(id).await.unwrap();
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].to_at.as_deref(), Some("2026-03-04T01:00:00.000Z"));
        assert_eq!(db.order_pauses_of_open().await.unwrap().len(), 1);
        let cb = db.order_callbacks(id).await.unwrap();
        assert_eq!(
            (cb[0].rating.as_str(), cb[0].department_id),
            ("unsatisfied", Some(d1))
        );
        assert_eq!(db.council_proposals(None).await.unwrap().len(), 1);
        assert!(db.order_children(id).await.unwrap().is_empty());
    }
);

both_backends!(
    categories_limits_and_calendar_years_seed_without_overwriting_edits,
    |db: Db| async move {
        let (d1, d2, _, _) = seed(&db).await;
        let cat = |dept| CategoryRow {
            code: "ip".into(),
            name_zh: "知识产权".into(),
            name_en: "IP".into(),
            department_id: Some(dept),
            sort: 10,
            active: true,
            updated_at: T0.into(),
        };
        let lim = |l: &str| SlaLimitRow {
            category: "ip".into(),
            urgency: "normal".into(),
            sla_limit: l.into(),
            updated_at: T0.into(),
        };
        let mut tx = db.begin().await.unwrap();
        assert_eq!(order_category_seed(tx.conn(), &[cat(d1)]).await.unwrap(), 1);
        order_category_put(tx.conn(), &cat(d2)).await.unwrap();
        assert_eq!(order_category_seed(tx.conn(), &[cat(d1)]).await.unwrap(), 0);
        assert_eq!(sla_limit_seed(tx.conn(), &[lim("10d")]).await.unwrap(), 1);
        sla_limit_put(tx.conn(), &lim("5d")).await.unwrap();
        assert_eq!(sla_limit_seed(tx.conn(), &[lim("10d")]).await.unwrap(), 0);
        let y = CalendarYearRow {
            year: 2027,
            schedule: "year 2027\n2027-01-01 元旦\n".into(),
            source: "示例".into(),
            loaded_at: T0.into(),
            loaded_by: "admin".into(),
        };
        assert!(!calendar_year_put(tx.conn(), &y).await.unwrap());
        assert!(calendar_year_put(tx.conn(), &y).await.unwrap(), "replaced");
        tx.commit().await.unwrap();
        assert_eq!(
            db.order_categories().await.unwrap()[0].department_id,
            Some(d2)
        );
        assert_eq!(db.sla_limits().await.unwrap()[0].sla_limit, "5d");
        assert_eq!(db.calendar_years().await.unwrap().len(), 1);
    }
);

both_backends!(
    the_scan_batches_write_more_rows_than_one_statement_holds_and_skip_stale_versions,
    |db: Db| async move {
        let (d1, _, e1, _) = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        let mut ids = Vec::new();
        for _ in 0..1203 {
            ids.push(
                order_insert(
                    tx.conn(),
                    &new_order(e1, Some(d1), "2026-03-16T09:30:00.000Z"),
                )
                .await
                .unwrap(),
            );
        }
        tx.commit().await.unwrap();
        // Every 7th write expects a stale version; every 5th moves the due time.
        let writes: Vec<SuperviseWrite> = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| SuperviseWrite {
                id,
                expected_version: if i % 7 == 0 { 99 } else { 1 },
                level: 1 + (i % 3) as i64,
                due_at: Some(if i % 5 == 0 {
                    format!("2026-03-{:02}T09:30:00.000Z", 17 + i % 10)
                } else {
                    "2026-03-16T09:30:00.000Z".into()
                }),
                previous_due_at: Some("2026-03-16T09:30:00.000Z".into()),
            })
            .collect();
        let events: Vec<EventRow> = ids
            .iter()
            .map(|&id| EventRow {
                order_id: id,
                actor_id: None,
                actor_name: "SLA".into(),
                from_state: Some("registered".into()),
                to_state: "registered".into(),
                event: "supervised".into(),
                payload_json: format!("{{\"level\":{}}}", id % 3),
                at: T0.into(),
                ..Default::default()
            })
            .collect();
        let audits: Vec<lianshi_store::audit::AuditEntry> = ids
            .iter()
            .map(|&id| lianshi_store::audit::AuditEntry {
                actor_id: None,
                actor_name: "SLA".into(),
                action: "order.supervise".into(),
                entity: "order".into(),
                entity_id: Some(format!("GD{id:06}")),
                before: None,
                after: Some(serde_json::json!({ "id": id })),
                source: "cli".into(),
            })
            .collect();
        let proposals: Vec<ProposalRow> = ids
            .iter()
            .map(|&id| ProposalRow {
                order_id: id,
                chain_id: None,
                level: 2,
                proposed_at: T0.into(),
            })
            .collect();
        let mut tx = db.begin().await.unwrap();
        let mut done = order_supervise_batch(tx.conn(), &writes, T0).await.unwrap();
        order_event_insert_many(tx.conn(), &events).await.unwrap();
        order_audit_many(tx.conn(), &audits).await.unwrap();
        let first = council_propose_many(tx.conn(), &proposals[..700])
            .await
            .unwrap();
        let all = council_propose_many(tx.conn(), &proposals).await.unwrap();
        tx.commit().await.unwrap();
        done.sort();
        let want: Vec<i64> = ids
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 7 != 0)
            .map(|(_, &id)| id)
            .collect();
        assert_eq!(done, want, "written exactly when the version matched");
        assert_eq!(first.len(), 700);
        assert_eq!(
            all.len(),
            503,
            "already proposed ones are not proposed again"
        );
        for (i, w) in writes.iter().enumerate() {
            let row = db.order_get(w.id).await.unwrap().unwrap();
            if i % 7 == 0 {
                assert_eq!((row.supervision_level, row.version), (0, 1), "{i}");
                assert_eq!(row.due_at.as_deref(), Some("2026-03-16T09:30:00.000Z"));
            } else {
                assert_eq!((row.supervision_level, row.version), (w.level, 2), "{i}");
                assert_eq!(row.due_at, w.due_at, "{i}");
                assert_eq!(row.updated_at, T0);
            }
            let h = db.order_events(w.id).await.unwrap();
            assert_eq!(h.last().unwrap().payload_json, events[i].payload_json);
            let (a, n) = db
                .audit_search(&lianshi_store::audit::AuditQuery {
                    entity: Some("order".into()),
                    entity_id: Some(format!("GD{:06}", w.id)),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(n, 1, "{i}");
            assert_eq!(a[0].action, "order.supervise");
            assert!(db.council_proposed(w.id).await.unwrap());
        }
    }
);

both_backends!(
    migration_0013_proposes_the_open_orders_left_at_a_council_level,
    |db: Db| async move {
        let (d1, _, e1, e2) = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        let due = "2026-03-16T09:30:00.000Z";
        let mut open = new_order(e1, Some(d1), due);
        open.state = "in_progress".into();
        let left = order_insert(tx.conn(), &open).await.unwrap();
        let mut closed = open.clone();
        closed.state = "closed".into();
        let done = order_insert(tx.conn(), &closed).await.unwrap();
        let low = order_insert(tx.conn(), &new_order(e2, Some(d1), due))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // Levels as an earlier version left them (supervised by hand, never proposed).
        for (id, level) in [(left, 2), (done, 3), (low, 1)] {
            lianshi_store::sql::query("UPDATE orders SET supervision_level = $1 WHERE id = $2")
                .bind(level)
                .bind(id)
                .execute(db.writer())
                .await
                .unwrap();
        }
        // Run 0013 again over these rows, as on a database from before it.
        lianshi_store::sql::query("DELETE FROM schema_migrations WHERE version = 13")
            .execute(db.writer())
            .await
            .unwrap();
        assert_eq!(
            db.migrate().await.unwrap(),
            vec!["0013_council_proposals_on_supervision".to_string()]
        );
        assert!(db.council_proposed(left).await.unwrap());
        assert!(!db.council_proposed(done).await.unwrap(), "closed");
        assert!(!db.council_proposed(low).await.unwrap(), "below level 2");
        let p = db.council_proposals(None).await.unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].level, 2);
        // Once more: nothing twice.
        lianshi_store::sql::query("DELETE FROM schema_migrations WHERE version = 13")
            .execute(db.writer())
            .await
            .unwrap();
        db.migrate().await.unwrap();
        assert_eq!(db.council_proposals(None).await.unwrap().len(), 1);
    }
);
