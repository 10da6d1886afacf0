//! Every store function on both backends (SQLite and a real PostgreSQL).

use lianshi_domain::zone::RegistryKind;
use lianshi_store::audit::{AuditEntry, AuditQuery, audit_append};
use lianshi_store::both_backends;
use lianshi_store::enterprise::{
    EnterpriseFilter, EnterpriseWrite, NodeLink, Slice, enterprise_insert, enterprise_update,
    enterprise_upsert, enterprise_upsert_many,
};
use lianshi_store::user::{NewUser, user_insert, user_update};
use lianshi_store::zone::{RegistryWrite, ZoneRow, registry_insert, registry_update, zone_put};
use lianshi_store::{Db, StoreError, testkit};

fn reg(code: Option<&str>, name: &str, parent: Option<i64>, attr: Option<&str>) -> RegistryWrite {
    RegistryWrite {
        code: code.map(str::to_string),
        name: name.into(),
        parent_id: parent,
        attr: attr.map(str::to_string),
        sort: 0,
    }
}

/// A small registry: one ecosystem, one chain with two nodes, one street with a park.
async fn seed(db: &Db) -> (NodeLink, NodeLink, i64, i64) {
    let mut tx = db.begin().await.unwrap();
    let c = tx.conn();
    let eco = registry_insert(
        c,
        RegistryKind::Ecosystem,
        &reg(Some("iot"), "智能物联", None, None),
    )
    .await
    .unwrap();
    let chain = registry_insert(
        c,
        RegistryKind::Chain,
        &reg(Some("ic"), "集成电路", Some(eco), None),
    )
    .await
    .unwrap();
    let n1 = registry_insert(
        c,
        RegistryKind::ChainNode,
        &reg(
            Some("ic.design"),
            "芯片设计",
            Some(chain),
            Some("midstream"),
        ),
    )
    .await
    .unwrap();
    let n2 = registry_insert(
        c,
        RegistryKind::ChainNode,
        &reg(Some("ic.fab"), "晶圆制造", Some(chain), Some("midstream")),
    )
    .await
    .unwrap();
    let street = registry_insert(
        c,
        RegistryKind::Street,
        &reg(Some("xixing"), "西兴街道", None, None),
    )
    .await
    .unwrap();
    let park = registry_insert(
        c,
        RegistryKind::Park,
        &reg(None, "示例园", Some(street), None),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (
        NodeLink {
            node_id: n1,
            chain_id: chain,
            ecosystem_id: eco,
        },
        NodeLink {
            node_id: n2,
            chain_id: chain,
            ecosystem_id: eco,
        },
        street,
        park,
    )
}

fn ent(uscc: &str, name: &str) -> EnterpriseWrite {
    EnterpriseWrite {
        uscc: uscc.into(),
        name: name.into(),
        ..Default::default()
    }
}

const A: &str = "91330108MA27Y5XH5G";
const B: &str = "913301086706280599";
const C: &str = "9133010832821677XM";

#[tokio::test]
async fn migrations_produce_the_same_schema_on_both_backends() {
    let s = testkit::sqlite().await;
    let p = testkit::postgres().await;
    let a = s.db.schema().await.unwrap();
    let b = p.db.schema().await.unwrap();
    assert!(a.iter().any(|(t, c, _)| t == "enterprises" && c == "uscc"));
    assert_eq!(a, b);
}

both_backends!(
    migrating_twice_applies_nothing_the_second_time,
    |db: Db| async move {
        assert!(db.migrate().await.unwrap().is_empty());
    }
);

both_backends!(the_zone_is_stored_and_replaced, |db: Db| async move {
    assert_eq!(db.zone_get().await.unwrap(), None);
    let mut tx = db.begin().await.unwrap();
    zone_put(
        tx.conn(),
        &ZoneRow {
            name: "示例区".into(),
            division_code: "330108".into(),
        },
    )
    .await
    .unwrap();
    zone_put(
        tx.conn(),
        &ZoneRow {
            name: "滨江".into(),
            division_code: "330108".into(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(db.zone_get().await.unwrap().unwrap().name, "滨江");
});

both_backends!(
    registry_entries_are_listed_updated_and_codes_are_unique_per_kind,
    |db: Db| async move {
        let (n1, _, street, _) = seed(&db).await;
        let nodes = db.registry_list(RegistryKind::ChainNode).await.unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[0].attr.as_deref(), Some("midstream"));
        let mut tx = db.begin().await.unwrap();
        let dup = registry_insert(
            tx.conn(),
            RegistryKind::ChainNode,
            &reg(
                Some("ic.design"),
                "重复",
                Some(n1.chain_id),
                Some("upstream"),
            ),
        )
        .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))));
        drop(tx);
        let mut tx = db.begin().await.unwrap();
        // The same code under another kind is fine.
        registry_insert(
            tx.conn(),
            RegistryKind::Department,
            &reg(Some("ic.design"), "部门", None, None),
        )
        .await
        .unwrap();
        registry_update(tx.conn(), street, &reg(Some("xixing"), "西兴", None, None))
            .await
            .unwrap();
        let missing = registry_update(tx.conn(), 999_999, &reg(Some("x"), "x", None, None)).await;
        assert!(matches!(missing, Err(StoreError::NotFound(_))));
        tx.commit().await.unwrap();
        assert_eq!(db.registry_get(street).await.unwrap().name, "西兴");
        assert_eq!(db.registry_all().await.unwrap().len(), 7);
    }
);

both_backends!(
    enterprises_are_inserted_read_and_a_used_credit_code_conflicts,
    |db: Db| async move {
        let (n1, n2, street, park) = seed(&db).await;
        let mut w = ent(A, "甲公司");
        w.street_id = Some(street);
        w.park_id = Some(park);
        w.headcount = Some(12);
        w.revenue_fen = Some(123_456);
        w.nodes = vec![n1, n2];
        w.tags = vec!["专精特新".into(), "高新技术企业".into()];
        let mut tx = db.begin().await.unwrap();
        let id = enterprise_insert(tx.conn(), &w).await.unwrap();
        tx.commit().await.unwrap();
        let r = db.enterprise_by_uscc(A).await.unwrap().unwrap();
        assert_eq!(r.id, id);
        assert_eq!(r.revenue_fen, Some(123_456));
        assert_eq!(r.node_ids, vec![n1.node_id, n2.node_id]);
        assert_eq!(r.tags, vec!["专精特新", "高新技术企业"]);
        assert_eq!(db.enterprise_by_id(id).await.unwrap().unwrap().uscc, A);
        let mut tx = db.begin().await.unwrap();
        assert!(matches!(
            enterprise_insert(tx.conn(), &ent(A, "乙")).await,
            Err(StoreError::Conflict(_))
        ));
        drop(tx);
        assert_eq!(db.enterprise_by_uscc(B).await.unwrap(), None);
    }
);

both_backends!(
    the_list_filters_counts_and_pages_by_offset_and_keyset,
    |db: Db| async move {
        let (n1, n2, street, park) = seed(&db).await;
        let mut tx = db.begin().await.unwrap();
        for (i, code) in [A, B, C].iter().enumerate() {
            let mut w = ent(code, &format!("示例{i}科技"));
            w.nodes = if i == 0 { vec![n1] } else { vec![n2] };
            w.tags = if i < 2 {
                vec!["高新技术企业".into()]
            } else {
                vec![]
            };
            w.street_id = Some(street);
            w.park_id = (i == 2).then_some(park);
            w.size_band = Some(if i == 0 { "large" } else { "micro" }.into());
            enterprise_insert(tx.conn(), &w).await.unwrap();
        }
        tx.commit().await.unwrap();
        let all = EnterpriseFilter::default();
        assert_eq!(db.enterprise_count(&all).await.unwrap(), 3);
        let f = |g: fn(&mut EnterpriseFilter)| {
            let mut f = EnterpriseFilter::default();
            g(&mut f);
            f
        };
        assert_eq!(
            db.enterprise_count(&f(|f| f.node_id = Some(-1)))
                .await
                .unwrap(),
            0
        );
        let by_node = f(|f| f.q = Some("科技".into()));
        assert_eq!(db.enterprise_count(&by_node).await.unwrap(), 3);
        assert_eq!(
            db.enterprise_count(&f(|f| f.tag = Some("高新技术企业".into())))
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            db.enterprise_count(&f(|f| f.size_band = Some("micro".into())))
                .await
                .unwrap(),
            2
        );
        let mut by_chain = EnterpriseFilter {
            chain_id: Some(n1.chain_id),
            ..Default::default()
        };
        assert_eq!(db.enterprise_count(&by_chain).await.unwrap(), 3);
        by_chain.node_id = Some(n2.node_id);
        assert_eq!(db.enterprise_count(&by_chain).await.unwrap(), 2);
        let by_park = EnterpriseFilter {
            park_id: Some(park),
            ..Default::default()
        };
        assert_eq!(
            db.enterprise_list(
                &by_park,
                Slice {
                    limit: 10,
                    offset: 0,
                    after: None
                }
            )
            .await
            .unwrap()[0]
                .uscc,
            C
        );
        let by_code = EnterpriseFilter {
            q: Some("913301086706".into()),
            ..Default::default()
        };
        assert_eq!(db.enterprise_count(&by_code).await.unwrap(), 1);
        let p1 = db
            .enterprise_list(
                &all,
                Slice {
                    limit: 2,
                    offset: 0,
                    after: None,
                },
            )
            .await
            .unwrap();
        let p2 = db
            .enterprise_list(
                &all,
                Slice {
                    limit: 2,
                    offset: 2,
                    after: None,
                },
            )
            .await
            .unwrap();
        let k2 = db
            .enterprise_list(
                &all,
                Slice {
                    limit: 2,
                    offset: 0,
                    after: Some(p1[1].id),
                },
            )
            .await
            .unwrap();
        assert_eq!(p1.len(), 2);
        assert_eq!(p2.len(), 1);
        assert_eq!(p2[0].id, k2[0].id);
        assert_eq!(db.enterprise_usccs().await.unwrap().len(), 3);
        let tags = db.enterprise_tag_counts().await.unwrap();
        assert_eq!(tags, vec![("高新技术企业".to_string(), 2)]);
        assert_eq!(db.registry_usage(park).await.unwrap(), 1);
    }
);

both_backends!(
    an_update_with_a_stale_version_is_a_conflict_and_changes_nothing,
    |db: Db| async move {
        let (n1, n2, _, _) = seed(&db).await;
        let mut w = ent(A, "甲");
        w.nodes = vec![n1];
        let mut tx = db.begin().await.unwrap();
        let id = enterprise_insert(tx.conn(), &w).await.unwrap();
        tx.commit().await.unwrap();
        w.name = "甲改".into();
        w.nodes = vec![n2];
        let mut tx = db.begin().await.unwrap();
        enterprise_update(tx.conn(), id, 1, &w).await.unwrap();
        tx.commit().await.unwrap();
        let r = db.enterprise_by_id(id).await.unwrap().unwrap();
        assert_eq!(
            (r.name.as_str(), r.version, r.node_ids.clone()),
            ("甲改", 2, vec![n2.node_id])
        );
        w.name = "过期".into();
        let mut tx = db.begin().await.unwrap();
        assert!(matches!(
            enterprise_update(tx.conn(), id, 1, &w).await,
            Err(StoreError::Conflict(_))
        ));
        drop(tx);
        assert_eq!(db.enterprise_by_id(id).await.unwrap().unwrap().name, "甲改");
    }
);

both_backends!(
    an_upsert_creates_then_updates_by_credit_code,
    |db: Db| async move {
        let (n1, n2, _, _) = seed(&db).await;
        let mut w = ent(A, "甲");
        w.nodes = vec![n1];
        w.tags = vec!["上市企业".into()];
        let mut tx = db.begin().await.unwrap();
        let id1 = enterprise_upsert(tx.conn(), &w, true).await.unwrap();
        w.name = "甲二".into();
        w.nodes = vec![n2];
        w.tags = vec![];
        let id2 = enterprise_upsert(tx.conn(), &w, false).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(id1, id2);
        let r = db.enterprise_by_id(id1).await.unwrap().unwrap();
        assert_eq!((r.name.as_str(), r.version), ("甲二", 2));
        assert_eq!(r.node_ids, vec![n2.node_id]);
        assert!(r.tags.is_empty());
    }
);

both_backends!(
    a_rolled_back_transaction_leaves_nothing,
    |db: Db| async move {
        let mut tx = db.begin().await.unwrap();
        enterprise_insert(tx.conn(), &ent(A, "甲")).await.unwrap();
        drop(tx);
        assert_eq!(
            db.enterprise_count(&EnterpriseFilter::default())
                .await
                .unwrap(),
            0
        );
    }
);

fn user(name: &str) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: "张三".into(),
        role: "team".into(),
        enterprise_id: None,
        department_id: None,
        password_hash: "h".into(),
    }
}

both_backends!(
    users_are_created_locked_unlocked_and_deactivated,
    |db: Db| async move {
        let mut tx = db.begin().await.unwrap();
        let id = user_insert(tx.conn(), &user("zhang")).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert!(matches!(
            user_insert(tx.conn(), &user("zhang")).await,
            Err(StoreError::Conflict(_))
        ));
        drop(tx);
        assert_eq!(db.user_count().await.unwrap(), 1);
        let u = db.user_by_username("zhang").await.unwrap().unwrap();
        assert!(u.active);
        db.user_login_failed(id, None).await.unwrap();
        db.user_login_failed(id, Some("2999-01-01T00:00:00.000Z"))
            .await
            .unwrap();
        let u = db.user_by_id(id).await.unwrap().unwrap();
        assert_eq!(
            (u.failed_logins, u.locked_until.as_deref()),
            (2, Some("2999-01-01T00:00:00.000Z"))
        );
        db.user_login_succeeded(id).await.unwrap();
        let u = db.user_by_id(id).await.unwrap().unwrap();
        assert_eq!((u.failed_logins, u.locked_until), (0, None));
        db.session_create("hash1", id, "session", "csrf", "2999-01-01T00:00:00.000Z")
            .await
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        user_update(tx.conn(), id, false, "张三丰", None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let u = db.user_list().await.unwrap().pop().unwrap();
        assert_eq!((u.active, u.display_name.as_str()), (false, "张三丰"));
        // Deactivation ends the user's sessions.
        assert!(
            db.session_get("hash1", "2000-01-01T00:00:00.000Z")
                .await
                .unwrap()
                .is_none()
        );
    }
);

both_backends!(sessions_expire_slide_and_end, |db: Db| async move {
    let mut tx = db.begin().await.unwrap();
    let id = user_insert(tx.conn(), &user("li")).await.unwrap();
    tx.commit().await.unwrap();
    db.session_create("h", id, "api", "c", "2026-01-01T00:10:00.000Z")
        .await
        .unwrap();
    let s = db
        .session_get("h", "2026-01-01T00:00:00.000Z")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            s.user.username.as_str(),
            s.kind.as_str(),
            s.csrf_token.as_str()
        ),
        ("li", "api", "c")
    );
    assert!(
        db.session_get("h", "2026-01-01T00:10:00.000Z")
            .await
            .unwrap()
            .is_none()
    );
    db.session_touch(s.id, "2026-01-01T00:05:00.000Z", "2026-01-01T00:35:00.000Z")
        .await
        .unwrap();
    assert!(
        db.session_get("h", "2026-01-01T00:20:00.000Z")
            .await
            .unwrap()
            .is_some()
    );
    db.session_delete("h").await.unwrap();
    assert!(
        db.session_get("h", "2026-01-01T00:00:00.000Z")
            .await
            .unwrap()
            .is_none()
    );
});

both_backends!(
    the_audit_log_is_searchable_and_cannot_be_changed_or_deleted,
    |db: Db| async move {
        let mut tx = db.begin().await.unwrap();
        for (actor, action) in [
            ("admin", "enterprise.create"),
            ("dept", "enterprise.update"),
            ("admin", "user.create"),
        ] {
            audit_append(
                tx.conn(),
                &AuditEntry {
                    actor_name: actor.into(),
                    action: action.into(),
                    entity: action.split('.').next().unwrap().into(),
                    entity_id: Some("1".into()),
                    after: Some(serde_json::json!({"k": actor})),
                    source: "api".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let q = |f: fn(&mut AuditQuery)| {
            let mut q = AuditQuery {
                limit: 10,
                ..Default::default()
            };
            f(&mut q);
            q
        };
        let (rows, total) = db.audit_search(&q(|_| {})).await.unwrap();
        assert_eq!(total, 3);
        assert_eq!(rows[0].action, "user.create", "newest first");
        assert_eq!(
            db.audit_search(&q(|q| q.actor = Some("admin".into())))
                .await
                .unwrap()
                .1,
            2
        );
        assert_eq!(
            db.audit_search(&q(|q| q.action = Some("enterprise".into())))
                .await
                .unwrap()
                .1,
            2
        );
        assert_eq!(
            db.audit_search(&q(|q| q.entity = Some("user".into())))
                .await
                .unwrap()
                .1,
            1
        );
        assert_eq!(
            db.audit_search(&q(|q| q.from = Some("2999".into())))
                .await
                .unwrap()
                .1,
            0
        );
        let upd = lianshi_store::sql::query("UPDATE audit_log SET actor_name = 'x'")
            .execute(db.writer())
            .await;
        assert!(upd.is_err(), "update must be refused");
        let del = lianshi_store::sql::query("DELETE FROM audit_log")
            .execute(db.writer())
            .await;
        assert!(del.is_err(), "delete must be refused");
        assert_eq!(db.audit_search(&q(|_| {})).await.unwrap().1, 3);
    }
);

/// SQLite checkpoints run in the background, not inside the commit that happens to fill the log:
/// a writer's own automatic checkpoint is only the backstop, the database file receives a
/// committed write's pages with no further call from the program, and a large transaction's page
/// cache is back to the usual size after its commit.
#[tokio::test]
async fn sqlite_checkpoints_in_the_background() {
    let dir = std::env::temp_dir().join(format!(
        "lianshi_checkpoint_{}_{}",
        std::process::id(),
        lianshi_store::now_text().replace([':', '.'], "")
    ));
    let path = dir.join("c.db");
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let first = db
        .checkpoint()
        .await
        .unwrap()
        .expect("a file database checkpoints");
    assert_eq!(first.log, first.copied, "nothing else reads: all copied");
    let auto: i64 = lianshi_store::sql::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(db.writer())
        .await
        .unwrap();
    assert_eq!(auto, i64::from(lianshi_store::WAL_BACKSTOP_PAGES));
    let usual: i64 = lianshi_store::sql::query_scalar("PRAGMA cache_size")
        .fetch_one(db.writer())
        .await
        .unwrap();
    let before = std::fs::metadata(&path).unwrap().len();

    // About 2 MB in one transaction: ~500 pages, far below the backstop.
    let mut tx = db.begin_large(32).await.unwrap();
    let large: i64 = lianshi_store::sql::query_scalar("PRAGMA cache_size")
        .fetch_one(&mut *tx.conn())
        .await
        .unwrap();
    assert_eq!(large, -32 * 1024);
    lianshi_store::sql::query("CREATE TABLE filler (b BLOB NOT NULL)")
        .execute(&mut *tx.conn())
        .await
        .unwrap();
    for _ in 0..2 {
        lianshi_store::sql::query("INSERT INTO filler (b) VALUES (zeroblob(1000000))")
            .execute(&mut *tx.conn())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let after: i64 = lianshi_store::sql::query_scalar("PRAGMA cache_size")
        .fetch_one(db.writer())
        .await
        .unwrap();
    assert_eq!(
        after, usual,
        "the usual page cache is back after the commit"
    );

    // The pages reach the database file without another call: wait (bounded) for the
    // background checkpointer to copy them.
    let start = std::time::Instant::now();
    let mut grown = std::fs::metadata(&path).unwrap().len();
    while grown < before + 2_000_000 && start.elapsed() < std::time::Duration::from_secs(30) {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        grown = std::fs::metadata(&path).unwrap().len();
    }
    assert!(
        grown >= before + 2_000_000,
        "the database file did not receive the committed pages ({before} → {grown} bytes)"
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

both_backends!(
    a_bulk_upsert_in_multi_row_statements_matches_ids_to_rows_and_updates_existing_ones,
    |db: Db| async move {
        let (n1, n2, _, _) = seed(&db).await;
        // Codes need not be valid for the store; distinct is what counts.
        let code = |i: usize| format!("TEST{i:014}");
        // 120 exist already (with a tag and a node), 130 are new: 250 rows span three
        // statements, and existing and new rows are mixed inside each.
        let mut tx = db.begin().await.unwrap();
        let mut old_ids = std::collections::HashMap::new();
        for i in (0..250).filter(|i| i % 2 == 0).take(120) {
            let mut w = ent(&code(i), "旧名");
            w.tags = vec!["旧标签".into()];
            w.nodes = vec![n1];
            old_ids.insert(code(i), enterprise_insert(tx.conn(), &w).await.unwrap());
        }
        tx.commit().await.unwrap();
        let rows: Vec<EnterpriseWrite> = (0..250)
            .map(|i| {
                let mut w = ent(&code(i), &format!("企业{i}"));
                w.headcount = Some(i as i64);
                w.tags = vec![format!("标签{}", i % 3)];
                w.nodes = vec![n2];
                w
            })
            .collect();
        let mut tx = db.begin().await.unwrap();
        let ids = enterprise_upsert_many(tx.conn(), &rows, |w| !old_ids.contains_key(&w.uscc))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(ids.len(), 250);
        let distinct: std::collections::HashSet<i64> = ids.iter().copied().collect();
        assert_eq!(distinct.len(), 250, "one id per row");
        for (i, (w, id)) in rows.iter().zip(&ids).enumerate() {
            let e = db.enterprise_by_uscc(&w.uscc).await.unwrap().unwrap();
            assert_eq!(e.id, *id, "row {i}: the id returned is the row's own");
            assert_eq!(e.name, w.name);
            assert_eq!(e.headcount, Some(i as i64));
            assert_eq!(e.tags, w.tags, "row {i}: links replaced, not added to");
            assert_eq!(e.node_ids, vec![n2.node_id]);
            match old_ids.get(&w.uscc) {
                Some(old) => {
                    assert_eq!(old, id, "an existing enterprise keeps its id");
                    assert_eq!(e.version, 2, "and its version moves on");
                }
                None => assert_eq!(e.version, 1),
            }
        }
    }
);
