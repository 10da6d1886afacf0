//! Checked and locked migrations (issue 11): every applied migration is recorded with its
//! checksum, a changed, renamed or unknown applied migration is refused naming its file, an old
//! bookkeeping table (no checksum column) is upgraded and then checked, and two processes
//! migrating the same fresh database at once apply each migration exactly once.

use lianshi_store::migrations::{MIGRATIONS, Migration, PG_LOCK_CLASS, checksum};
use lianshi_store::{Backend, Db, StoreError, both_backends, testkit};
use std::sync::Arc;
use std::time::Duration;

fn all_names() -> Vec<String> {
    MIGRATIONS.iter().map(|m| m.name.to_string()).collect()
}

async fn recorded(db: &Db) -> Vec<(i64, String, Option<String>)> {
    lianshi_store::sql::query_as(
        "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
    )
    .fetch_all(db.reader())
    .await
    .unwrap()
}

/// The refusal's message; panics if `migrate` did not refuse with [`StoreError::Migration`].
async fn refusal(db: &Db) -> String {
    match db.migrate().await {
        Err(StoreError::Migration(msg)) => msg,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Two processes starting at once, on a fresh database and on one a previous version left at
/// 0008 (the old bookkeeping table): both succeed, one applies every pending migration and the
/// other finds them applied; each is recorded once and the schema is the usual one. Several
/// rounds, each started together, so the race happens: without the lock this fails — on
/// PostgreSQL both create the same tables; on SQLite the upgrade's second process read the
/// bookkeeping table before the first committed, and its write then fails (`SQLITE_BUSY`, a
/// stale snapshot).
async fn concurrent_starts_apply_each_migration_once(backend: Backend) {
    let reference = match backend {
        Backend::Sqlite => testkit::sqlite().await,
        Backend::Postgres => testkit::postgres().await,
    };
    let expected_schema = reference.db.schema().await.unwrap();
    for round in 0..8 {
        let f = testkit::fresh_url(backend).await;
        // Odd rounds: an upgrade from 0008.
        let upgrade = round % 2 == 1;
        if upgrade {
            let setup = Db::connect(&f.url).await.unwrap();
            old_format(&setup, 8).await;
            setup.close().await;
        }
        let pending: Vec<String> = MIGRATIONS
            .iter()
            .filter(|m| !upgrade || m.version > 8)
            .map(|m| m.name.to_string())
            .collect();
        let a = Db::connect(&f.url).await.unwrap();
        let b = Db::connect(&f.url).await.unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(2));
        let run = |db: Db, start: Arc<tokio::sync::Barrier>| async move {
            start.wait().await;
            db.migrate().await
        };
        let ta = tokio::spawn(run(a.clone(), start.clone()));
        let tb = tokio::spawn(run(b.clone(), start));
        let ra = ta.await.unwrap();
        let rb = tb.await.unwrap();
        let (ra, rb) = match (ra, rb) {
            (Ok(ra), Ok(rb)) => (ra, rb),
            (ra, rb) => panic!("round {round}: both starts succeed: {ra:?} / {rb:?}"),
        };
        let mut both = [ra, rb];
        both.sort_by_key(|v| v.len());
        assert!(both[0].is_empty(), "round {round}: {both:?}");
        assert_eq!(both[1], pending, "round {round}");
        let rows = recorded(&a).await;
        assert_eq!(rows.len(), MIGRATIONS.len(), "round {round}: one row each");
        assert_eq!(a.schema().await.unwrap(), expected_schema, "round {round}");
        // A third start finds nothing to do and nothing to refuse.
        assert!(b.migrate().await.unwrap().is_empty());
        a.close().await;
        b.close().await;
    }
}

/// Hold the migration lock from another connection: `migrate` waits for it, then runs.
async fn a_start_waits_for_the_migration_lock(backend: Backend) {
    let f = testkit::fresh_url(backend).await;
    let holder = Db::connect(&f.url).await.unwrap();
    let db = Db::connect(&f.url).await.unwrap();
    // SQLite: the write lock (an open `BEGIN IMMEDIATE`); PostgreSQL: the advisory lock.
    let mut tx = None;
    let mut pg = None;
    match backend {
        Backend::Sqlite => tx = Some(holder.begin().await.unwrap()),
        Backend::Postgres => {
            let mut conn = holder.writer().acquire().await.unwrap();
            lianshi_store::sql::query(&format!(
                "SELECT 1 FROM (SELECT pg_advisory_lock({PG_LOCK_CLASS}, hashtext(current_schema()))) AS l"
            ))
            .execute(&mut conn)
            .await
            .unwrap();
            pg = Some(conn);
        }
    }
    let task = tokio::spawn({
        let db = db.clone();
        async move { db.migrate().await }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!task.is_finished(), "migrate waits while the lock is held");
    if let Some(tx) = tx {
        drop(tx);
    }
    if let Some(mut conn) = pg {
        lianshi_store::sql::query(&format!(
            "SELECT 1 FROM (SELECT pg_advisory_unlock({PG_LOCK_CLASS}, hashtext(current_schema()))) AS l"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let applied = tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .expect("migrate finishes once the lock is released")
        .unwrap()
        .unwrap();
    assert_eq!(applied, all_names());
    holder.close().await;
    db.close().await;
}

/// A bookkeeping table as code before issue 11 made it (no checksum column), with the migrations
/// up to version `upto` applied and recorded.
async fn old_format(db: &Db, upto: i64) {
    lianshi_store::sql::raw_sql(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        db.writer(),
    )
    .await
    .unwrap();
    let list: Vec<&Migration> = MIGRATIONS.iter().filter(|m| m.version <= upto).collect();
    for m in list {
        lianshi_store::sql::raw_sql(m.sql(db.backend()), db.writer())
            .await
            .unwrap();
        lianshi_store::sql::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind("2025-01-01T00:00:00Z")
        .execute(db.writer())
        .await
        .unwrap();
    }
}

/// An old bookkeeping table gets the column and this build's checksums for what it had applied
/// (trust on first use); the pending migrations are recorded with theirs; from then on a change
/// is refused.
async fn an_old_bookkeeping_table_is_upgraded_then_checked(backend: Backend) {
    let t = testkit::empty(backend).await;
    old_format(&t.db, 8).await;
    let applied = t.db.migrate().await.unwrap();
    let pending: Vec<String> = MIGRATIONS
        .iter()
        .filter(|m| m.version > 8)
        .map(|m| m.name.to_string())
        .collect();
    assert_eq!(applied, pending);
    let rows = recorded(&t.db).await;
    assert_eq!(rows.len(), MIGRATIONS.len());
    for (m, (version, name, sum)) in MIGRATIONS.iter().zip(&rows) {
        assert_eq!((m.version, m.name), (*version, name.as_str()));
        assert_eq!(
            sum.as_deref(),
            Some(checksum(m.sql(backend)).as_str()),
            "{name}"
        );
    }
    assert!(t.db.migrate().await.unwrap().is_empty());

    lianshi_store::sql::query("UPDATE schema_migrations SET checksum = $1 WHERE version = 3")
        .bind(checksum("-- not what was applied"))
        .execute(t.db.writer())
        .await
        .unwrap();
    let msg = refusal(&t.db).await;
    assert!(
        msg.contains("migration 0003_teams_visits.sql was changed after it was applied"),
        "{msg}"
    );
}

/// A refused start applies nothing, even with migrations pending, and leaves the old table as it
/// was (the checksum column's addition is rolled back with the rest).
async fn a_refused_start_changes_nothing(backend: Backend) {
    let t = testkit::empty(backend).await;
    old_format(&t.db, 8).await;
    lianshi_store::sql::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_from_a_newer_version', '2030-01-01T00:00:00Z')")
        .execute(t.db.writer())
        .await
        .unwrap();
    let before = t.db.schema().await.unwrap();
    let msg = refusal(&t.db).await;
    assert!(msg.contains("9999_from_a_newer_version.sql"), "{msg}");
    assert_eq!(
        t.db.schema().await.unwrap(),
        before,
        "not even the checksum column"
    );
    let versions: Vec<(i64,)> =
        lianshi_store::sql::query_as("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(t.db.reader())
            .await
            .unwrap();
    let expected: Vec<(i64,)> = (1..=8).chain([9999]).map(|v| (v,)).collect();
    assert_eq!(versions, expected, "nothing applied");
}

both_backends!(
    every_applied_migration_has_its_checksum,
    |db: Db| async move {
        let rows = recorded(&db).await;
        assert_eq!(rows.len(), MIGRATIONS.len());
        for (m, (_, name, sum)) in MIGRATIONS.iter().zip(&rows) {
            assert_eq!(
                sum.as_deref(),
                Some(checksum(m.sql(db.backend())).as_str()),
                "{name}"
            );
        }
    }
);

both_backends!(
    a_changed_migration_is_refused_naming_its_file,
    |db: Db| async move {
        lianshi_store::sql::query("UPDATE schema_migrations SET checksum = $1 WHERE version = 7")
            .bind(checksum("-- an earlier text of 0007"))
            .execute(db.writer())
            .await
            .unwrap();
        let msg = refusal(&db).await;
        assert!(
            msg.contains("migration 0007_order_figures.sql was changed after it was applied"),
            "{msg}"
        );
        assert!(msg.contains("refusing to start"), "{msg}");
        // Still refused on the next start: the record is not overwritten.
        let again = refusal(&db).await;
        assert_eq!(again, msg);
    }
);

both_backends!(
    an_unknown_applied_migration_is_refused_naming_it,
    |db: Db| async move {
        lianshi_store::sql::query(
            "INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (9999, '9999_from_a_newer_version', '2030-01-01T00:00:00Z', 'abc')",
        )
        .execute(db.writer())
        .await
        .unwrap();
        let msg = refusal(&db).await;
        assert!(
            msg.contains(
                "migration 9999_from_a_newer_version.sql (version 9999) is recorded as applied but this build of Lianshi does not have it"
            ),
            "{msg}"
        );
    }
);

both_backends!(
    a_renamed_applied_migration_is_refused_naming_both,
    |db: Db| async move {
        lianshi_store::sql::query(
            "UPDATE schema_migrations SET name = '0009_grants' WHERE version = 9",
        )
        .execute(db.writer())
        .await
        .unwrap();
        let msg = refusal(&db).await;
        assert!(msg.contains("migration 0009_grants.sql"), "{msg}");
        assert!(msg.contains("0009_subsidies.sql"), "{msg}");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_apply_each_migration_once_sqlite() {
    concurrent_starts_apply_each_migration_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_apply_each_migration_once_postgres() {
    concurrent_starts_apply_each_migration_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_waits_for_the_migration_lock_sqlite() {
    a_start_waits_for_the_migration_lock(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_waits_for_the_migration_lock_postgres() {
    a_start_waits_for_the_migration_lock(Backend::Postgres).await;
}

#[tokio::test]
async fn an_old_bookkeeping_table_is_upgraded_then_checked_sqlite() {
    an_old_bookkeeping_table_is_upgraded_then_checked(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_old_bookkeeping_table_is_upgraded_then_checked_postgres() {
    an_old_bookkeeping_table_is_upgraded_then_checked(Backend::Postgres).await;
}

#[tokio::test]
async fn a_refused_start_changes_nothing_sqlite() {
    a_refused_start_changes_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_refused_start_changes_nothing_postgres() {
    a_refused_start_changes_nothing(Backend::Postgres).await;
}
