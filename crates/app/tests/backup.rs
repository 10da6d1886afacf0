//! Backup, restore and migrate-db over the demo zone (issue 11): a round trip SQLite →
//! PostgreSQL → SQLite gives identical tables, every table taking part; a backup taken while
//! another task writes restores to one consistent moment.

use lianshi_app::backup::open_backup;
use lianshi_app::zone::RegistryInput;
use lianshi_app::{Actor, App, AppError, Source};
use lianshi_domain::zone::RegistryKind;
use lianshi_store::transfer::{self, TableSum};
use lianshi_store::{Db, both_backends, testkit};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

mod common;
use common::{admin, demo};

/// Rows for the tables the demo leaves empty, and edge values in the demo's own rows.
async fn fill(db: &Db) {
    let t = "2026-03-04T05:06:07.089Z";
    for sql in [
        "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, expires_at, last_seen_at) SELECT 'h1', MIN(id), 'web', 'c', '$t', '$t', '$t' FROM users",
        "INSERT INTO calendar_years (year, schedule, source, loaded_at, loaded_by) VALUES (2031, '{\"holidays\":[\"2031-01-01\"]}', '国务院办公厅', '$t', 'system:cli')",
        "INSERT INTO council_actions (council_id, chain_id, item_id, decision, department_id, due_on, status, created_at, updated_at) SELECT c.id, c.chain_id, NULL, '推进「链长」督办', NULL, '2031-01-01', 'open', '$t', '$t' FROM councils c WHERE c.id = (SELECT MIN(id) FROM councils)",
        "INSERT INTO council_action_orders (action_id, order_id, relation) SELECT (SELECT MIN(id) FROM council_actions), MIN(id), 'linked' FROM orders",
        "INSERT INTO council_action_updates (action_id, progress, note, actor_name, at) SELECT MIN(id), 50, '', '张三', '$t' FROM council_actions",
        "INSERT INTO policies (code, kind, title, department_code, legal_ref, who, track, status, materials, contact, source, created_at, updated_at) SELECT 'p-edge', 'subsidy', '测试政策', 'd', '', 'all', 'apply', 'active', '[]', '', 'test', '$t', '$t' WHERE NOT EXISTS (SELECT 1 FROM policies)",
        "INSERT INTO order_pauses (order_id, from_at, to_at, reason) SELECT MIN(id), '$t', NULL, '等待材料' FROM orders WHERE NOT EXISTS (SELECT 1 FROM order_pauses)",
        "INSERT INTO policy_runs (on_date, actor_name, started_at, finished_at) VALUES ('2031-01-01', 'system:cli', '$t', NULL)",
        "INSERT INTO policy_notices (policy_id, enterprise_id, run_id, period, amount_fen, state, reason, created_at) SELECT (SELECT MIN(id) FROM policies), (SELECT MIN(id) FROM enterprises), (SELECT MIN(id) FROM policy_runs), '2031', 99999999999999, 'pending', NULL, '$t'",
        "INSERT INTO login_throttle (account, client, failures, last_failure_at) VALUES ('王五', '127.0.0.1', 3, '$t')",
        "INSERT INTO enterprise_field_sources (enterprise_id, field, source, set_by, reported_by, set_at) SELECT MIN(id), 'revenue', 'report', 'system:cli', NULL, '$t' FROM enterprises",
        "INSERT INTO enterprise_corrections (enterprise_id, field, current_value, proposed_value, status, proposed_by, proposed_role, proposed_at) SELECT MIN(id), 'name', '', '新名称（更正）', 'pending', 'ent', 'enterprise', '$t' FROM enterprises",
        // Edge values in demo rows: the bound, NULL, the empty string.
        "UPDATE enterprises SET revenue_fen = 100000000000000, address = NULL, contact_phone = '' WHERE id = (SELECT MAX(id) FROM enterprises)",
    ] {
        lianshi_store::sql::query(&sql.replace("$t", t))
            .execute(db.writer())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

async fn zone(db: Db) -> App {
    let app = demo(db, 200).await;
    fill(&app.db).await;
    app
}

fn assert_every_table_has_rows(sums: &[TableSum]) {
    assert!(sums.len() >= 50, "{} tables", sums.len());
    let empty: Vec<&str> = sums
        .iter()
        .filter(|t| t.rows == 0)
        .map(|t| t.table.as_str())
        .collect();
    assert!(empty.is_empty(), "empty tables: {empty:?}");
}

struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let p = std::env::temp_dir().join(format!("lianshi_backup_{}_{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn the_demo_zone_goes_sqlite_to_postgres_to_sqlite_with_identical_tables() {
    let a = testkit::sqlite().await;
    let app = zone(a.db.clone()).await;
    let start = transfer::checksums(&a.db).await.unwrap();
    assert_every_table_has_rows(&start);

    let b = testkit::postgres().await;
    let r = transfer::copy(&a.db, &b.db, &mut |_| {}).await.unwrap();
    assert!(r.same());
    assert_eq!(r.tables.len(), start.len());
    assert_eq!(transfer::checksums(&b.db).await.unwrap(), start);

    let c = testkit::sqlite().await;
    transfer::copy(&b.db, &c.db, &mut |_| {}).await.unwrap();
    assert_eq!(transfer::checksums(&c.db).await.unwrap(), start);

    // The same through the app's backup and restore, into PostgreSQL.
    let dir = Dir::new();
    let file = dir.0.join("demo.lsb");
    app.backup(&admin(), &file, &mut |_| {}).await.unwrap();
    let d = testkit::postgres().await;
    let target = App::new(d.db.clone());
    let b = open_backup(&admin(), &file).await.unwrap();
    target.restore(&admin(), &b, &mut |_| {}).await.unwrap();
    // Restoring again is refused: the target is no longer empty.
    let again = target.restore(&admin(), &b, &mut |_| {}).await.unwrap_err();
    assert_eq!(again.code(), "target_not_empty");
    b.close().await;
    assert_eq!(transfer::checksums(&d.db).await.unwrap(), start);
    // The restored zone works: the app reads it.
    let list = target
        .enterprise_list(&admin(), &Default::default())
        .await
        .unwrap();
    assert_eq!(list.total, 200);
}

#[tokio::test]
async fn only_administrators_may_copy_a_zone() {
    let a = testkit::sqlite().await;
    let app = App::new(a.db.clone());
    let clerk = Actor {
        role: lianshi_domain::Role::Enterprise,
        ..Actor::system(Source::Web)
    };
    let dir = Dir::new();
    let e = app
        .backup(&clerk, &dir.0.join("x.lsb"), &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden));
    assert!(!dir.0.join("x.lsb").exists());
    let e = app
        .migrate_db(&clerk, "sqlite::memory:", &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden));
}

both_backends!(
    a_backup_taken_during_concurrent_writes_restores_one_consistent_moment,
    |db: Db| async move {
        let app = zone(db).await;
        let street = app
            .registry()
            .await
            .unwrap()
            .of_kind(RegistryKind::Street)
            .next()
            .map(|s| s.id)
            .unwrap();
        // A writer: each park and its audit entry are one transaction.
        let stop = Arc::new(AtomicBool::new(false));
        let made = Arc::new(AtomicUsize::new(0));
        let writer = {
            let (app, stop, made) = (app.clone(), stop.clone(), made.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    app.registry_create(
                        &admin(),
                        RegistryKind::Park,
                        &RegistryInput {
                            name: format!("并发园区{n}"),
                            parent_id: Some(street),
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                    made.store(n, Ordering::Relaxed);
                }
            })
        };
        let wait_for = |k: usize| {
            let made = made.clone();
            async move {
                while made.load(Ordering::Relaxed) < k {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            }
        };
        wait_for(3).await;
        let dir = Dir::new();
        let file = dir.0.join("live.lsb");
        let before = made.load(Ordering::Relaxed);
        app.backup(&admin(), &file, &mut |_| {}).await.unwrap();
        let after = made.load(Ordering::Relaxed);
        wait_for(after + 3).await;
        stop.store(true, Ordering::Relaxed);
        writer.await.unwrap();
        let total = made.load(Ordering::Relaxed);
        eprintln!("parks written: {before} before the backup, {after} at its end, {total} in all");

        for to in [
            lianshi_store::Backend::Sqlite,
            lianshi_store::Backend::Postgres,
        ] {
            let t = match to {
                lianshi_store::Backend::Sqlite => testkit::sqlite().await,
                lianshi_store::Backend::Postgres => testkit::postgres().await,
            };
            let target = App::new(t.db.clone());
            let b = open_backup(&admin(), &file).await.unwrap();
            let r = target.restore(&admin(), &b, &mut |_| {}).await.unwrap();
            b.close().await;
            assert!(r.same());
            let parks: Vec<(i64,)> = lianshi_store::sql::query_as(
                "SELECT id FROM registry_items WHERE name LIKE '并发园区%' ORDER BY id",
            )
            .fetch_all(t.db.reader())
            .await
            .unwrap();
            let audited: Vec<(String, String)> = lianshi_store::sql::query_as(
                "SELECT entity_id, after_json FROM audit_log WHERE action = 'registry.create' ORDER BY id",
            )
            .fetch_all(t.db.reader())
            .await
            .unwrap();
            let audited: Vec<(String,)> = audited
                .into_iter()
                .filter(|(_, after)| after.contains("并发园区"))
                .map(|(id, _)| (id,))
                .collect();
            // One moment: every park with its audit entry, none without; some parks were written
            // before it and some after.
            let ids: Vec<String> = parks.iter().map(|(i,)| i.to_string()).collect();
            let audited: Vec<String> = audited.into_iter().map(|(s,)| s).collect();
            assert_eq!(ids, audited);
            assert!(
                ids.len() >= before && ids.len() <= after,
                "{} parks",
                ids.len()
            );
            assert!(ids.len() < total);
        }
    }
);
