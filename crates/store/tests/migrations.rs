//! The migration runner on both backends: pending migrations run in version order, and databases
//! migrated by the old runner (which applied 0010 before 0009) need nothing more.

use lianshi_store::migrations::{MIGRATIONS, Migration};
use lianshi_store::{Backend, Db, testkit};

/// Apply `list` the way the runner before the single list did: in the given order, each with its
/// `schema_migrations` row (the applied time increasing with the order).
async fn apply_as_before(db: &Db, list: &[&Migration]) {
    lianshi_store::sql::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        db.writer(),
    )
    .await
    .unwrap();
    for (i, m) in list.iter().enumerate() {
        let sql = match db.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        lianshi_store::sql::raw_sql(sql, db.writer()).await.unwrap();
        lianshi_store::sql::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(format!("2025-01-01T00:00:{i:02}Z"))
        .execute(db.writer())
        .await
        .unwrap();
    }
}

async fn recorded(db: &Db) -> Vec<(i64, String, String)> {
    lianshi_store::sql::query_as(
        "SELECT version, name, applied_at FROM schema_migrations ORDER BY applied_at",
    )
    .fetch_all(db.reader())
    .await
    .unwrap()
}

/// The old order: everything, with 0010 applied before 0009.
fn old_order() -> Vec<&'static Migration> {
    let mut list: Vec<&Migration> = MIGRATIONS.iter().collect();
    let i9 = list.iter().position(|m| m.version == 9).unwrap();
    let i10 = list.iter().position(|m| m.version == 10).unwrap();
    list.swap(i9, i10);
    list
}

async fn an_old_database_needs_no_migration(backend: Backend) {
    let old = testkit::empty(backend).await;
    apply_as_before(&old.db, &old_order()).await;
    let before = recorded(&old.db).await;
    let names: Vec<&str> = before.iter().map(|(_, n, _)| n.as_str()).collect();
    let p9 = names.iter().position(|n| *n == "0009_subsidies").unwrap();
    let p10 = names.iter().position(|n| *n == "0010_vouchers").unwrap();
    assert!(p10 < p9, "the old database recorded 0010 first");

    assert!(
        old.db.migrate().await.unwrap().is_empty(),
        "nothing re-runs"
    );
    assert_eq!(recorded(&old.db).await, before, "the records are untouched");

    let fresh = match backend {
        Backend::Sqlite => testkit::sqlite().await,
        Backend::Postgres => testkit::postgres().await,
    };
    assert_eq!(
        old.db.schema().await.unwrap(),
        fresh.db.schema().await.unwrap()
    );
}

async fn pending_migrations_run_in_version_order(backend: Backend) {
    let t = testkit::empty(backend).await;
    let first: Vec<&Migration> = MIGRATIONS.iter().filter(|m| m.version <= 8).collect();
    apply_as_before(&t.db, &first).await;
    let applied = t.db.migrate().await.unwrap();
    let expected: Vec<&str> = MIGRATIONS
        .iter()
        .filter(|m| m.version > 8)
        .map(|m| m.name)
        .collect();
    assert_eq!(applied, expected);
    assert_eq!(applied[0], "0009_subsidies");
    assert_eq!(applied[1], "0010_vouchers");
    assert!(t.db.migrate().await.unwrap().is_empty());
}

async fn a_new_database_gets_every_migration_in_order(backend: Backend) {
    let t = testkit::empty(backend).await;
    let applied = t.db.migrate().await.unwrap();
    let all: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
    assert_eq!(applied, all);
    let versions: Vec<i64> = recorded(&t.db).await.iter().map(|r| r.0).collect();
    let mut sorted = versions.clone();
    sorted.sort();
    assert_eq!(versions.len(), MIGRATIONS.len());
    assert_eq!(
        sorted,
        MIGRATIONS.iter().map(|m| m.version).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn an_old_database_needs_no_migration_sqlite() {
    an_old_database_needs_no_migration(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_old_database_needs_no_migration_postgres() {
    an_old_database_needs_no_migration(Backend::Postgres).await;
}

#[tokio::test]
async fn pending_migrations_run_in_version_order_sqlite() {
    pending_migrations_run_in_version_order(Backend::Sqlite).await;
}

#[tokio::test]
async fn pending_migrations_run_in_version_order_postgres() {
    pending_migrations_run_in_version_order(Backend::Postgres).await;
}

#[tokio::test]
async fn a_new_database_gets_every_migration_in_order_sqlite() {
    a_new_database_gets_every_migration_in_order(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_new_database_gets_every_migration_in_order_postgres() {
    a_new_database_gets_every_migration_in_order(Backend::Postgres).await;
}
