//! Test support shared by the crates' test suites: a fresh database per test on either backend.
//!
//! SQLite tests get a file in a new temporary folder (removed on drop). PostgreSQL tests get a
//! new schema in the cluster named by `LIANSHI_TEST_PG` (the test script starts a private one).
//! A missing `LIANSHI_TEST_PG` is a failure, never a silent skip.
//!
//! Only built with the `testkit` feature, which crates enable in their dev-dependencies
//! (`lianshi-store = { workspace = true, features = ["testkit"] }`), so the release binary does
//! not contain it.

use crate::{Backend, Db};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// A database for one test.
pub struct TestDb {
    pub db: Db,
    dir: Option<PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A migrated SQLite database in a fresh temporary folder.
pub async fn sqlite() -> TestDb {
    let t = empty(Backend::Sqlite).await;
    t.db.migrate().await.expect("migrate sqlite");
    t
}

/// A fresh, empty database that several `Db`s can connect to (as several processes would): its
/// URL, and the SQLite folder removed when this is dropped.
pub struct FreshUrl {
    pub url: String,
    dir: Option<PathBuf>,
}

impl Drop for FreshUrl {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// A fresh SQLite file in a new temporary folder, or a fresh PostgreSQL schema, not connected.
pub async fn fresh_url(backend: Backend) -> FreshUrl {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(unique("lianshi_test"));
            let url = format!("sqlite://{}/t.db", dir.display());
            FreshUrl {
                url,
                dir: Some(dir),
            }
        }
        Backend::Postgres => {
            let base = pg_url();
            let schema = unique("t");
            {
                let admin = Db::connect(&base).await.expect("connect postgres");
                crate::sql::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(admin.writer())
                    .await
                    .expect("create schema");
                admin.close().await;
            }
            let sep = if base.contains('?') { '&' } else { '?' };
            FreshUrl {
                url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                dir: None,
            }
        }
    }
}

/// A database not yet migrated (no tables at all) on `backend`: a fresh SQLite file or a fresh
/// PostgreSQL schema.
pub async fn empty(backend: Backend) -> TestDb {
    let mut fresh = fresh_url(backend).await;
    let db = Db::connect(&fresh.url)
        .await
        .expect("open the test database");
    TestDb {
        db,
        dir: fresh.dir.take(),
    }
}

/// The PostgreSQL server URL for tests.
pub fn pg_url() -> String {
    std::env::var("LIANSHI_TEST_PG").expect(
        "LIANSHI_TEST_PG is not set: run the suite with scripts/test.sh, which starts a private PostgreSQL",
    )
}

/// A migrated PostgreSQL database in a fresh schema.
pub async fn postgres() -> TestDb {
    let t = empty(Backend::Postgres).await;
    t.db.migrate().await.expect("migrate postgres");
    t
}

/// Expand one async test body into a SQLite test and a PostgreSQL test:
/// `both_backends!(name, |db: Db| async move { … });`
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let t = $crate::testkit::sqlite().await;
                ($body)(t.db.clone()).await;
            }

            #[tokio::test]
            async fn postgres() {
                let t = $crate::testkit::postgres().await;
                ($body)(t.db.clone()).await;
            }
        }
    };
}
