//! The store: the only place in Lianshi that speaks SQL.
//!
//! One [`Db`] value is chosen once at start-up from the URL (`sqlite://…` or `postgres://…`).
//! Queries are written once with `$1` placeholders and run on both backends through sqlx's `Any`
//! driver; where the dialects really differ, [`dialect`] says so. Timestamps are bound from Rust as
//! RFC 3339 UTC text, booleans as 0/1 integers, money as `i64` fen.
//!
//! SQLite runs in WAL mode with `busy_timeout`, foreign keys on, and a single writer connection;
//! readers use a separate small pool.

pub mod audit;
pub mod calendar;
pub mod council;
pub mod dialect;
pub mod enterprise;
pub mod order;
pub mod policy;
pub mod registry;
pub mod score;
pub mod service_report;
pub mod stats;
pub mod subsidy;
pub mod team;
pub mod testkit;
pub mod user;
pub mod visit;
pub mod voucher;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Errors from the store. Typed so the app can map them to 404/409 without string matching.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database URL not supported: {0}")]
    BadUrl(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

impl StoreError {
    /// Turn unique-constraint violations into [`StoreError::Conflict`].
    pub fn from_write(e: sqlx::Error, what: &str) -> StoreError {
        if let sqlx::Error::Database(d) = &e
            && d.is_unique_violation()
        {
            return StoreError::Conflict(what.to_string());
        }
        StoreError::Db(e)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A connected database: a reader pool and a writer pool (the same pool on PostgreSQL).
#[derive(Clone, Debug)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

/// The default embedded database location.
pub const DEFAULT_URL: &str = "sqlite://./data/lianshi.db";

/// Now, as the RFC 3339 UTC text stored in every timestamp column.
pub fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The `VALUES` list of a multi-row insert: `rows` groups of `cols` placeholders, the only
/// placeholders of the statement. Numbered `$n` on PostgreSQL, e.g.
/// `($1, $2, $3), ($4, $5, $6)`; bare `?` on SQLite, bound in order, because SQLite treats `$n`
/// as a named parameter and looks names up in a list, which makes binding a statement of
/// thousands of `$n` quadratic (see the SLA scan's `Binds` in `order.rs`).
pub(crate) fn value_rows(conn: &AnyConnection, rows: usize, cols: usize) -> String {
    placeholder_rows(is_sqlite(conn), rows, cols)
}

/// Whether a connection is SQLite (for the placeholder style of long statements).
pub(crate) fn is_sqlite(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

fn placeholder_rows(sqlite: bool, rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            if sqlite {
                out.push('?');
            } else {
                out.push('$');
                out.push_str(&(r * cols + c + 1).to_string());
            }
        }
        out.push(')');
    }
    out
}

impl Db {
    /// Connect to `url`, creating the SQLite file (and its folder) if missing.
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::BadUrl(url.to_string()));
        };
        match backend {
            Backend::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                let memory = path.is_empty() || path.contains(":memory:");
                if !memory
                    && let Some(dir) = std::path::Path::new(path).parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::BadUrl(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let full = if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                let opts = AnyConnectOptions::from_str(&full)?;
                let write = sqlite_pool(1, opts.clone()).await?;
                // Create the WAL before readers open the file.
                let read = if memory {
                    write.clone()
                } else {
                    sqlite_pool(4, opts).await?
                };
                Ok(Db {
                    read,
                    write,
                    backend,
                })
            }
            Backend::Postgres => {
                let opts = AnyConnectOptions::from_str(url)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                Ok(Db {
                    read: pool.clone(),
                    write: pool,
                    backend,
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Pool for reads.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Pool for writes (a single connection on SQLite).
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// Apply pending migrations from the backend's folder, in order, each in a transaction.
    pub async fn migrate(&self) -> Result<Vec<String>> {
        let mut conn = self.write.acquire().await?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )
        .await?;
        let mut applied = Vec::new();
        for (version, name, sql_sqlite, sql_pg) in dialect::MIGRATIONS {
            let done: Option<(i64,)> =
                sqlx::query_as("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(*version)
                    .fetch_optional(&mut *conn)
                    .await?;
            if done.is_some() {
                continue;
            }
            let sql = match self.backend {
                Backend::Sqlite => sql_sqlite,
                Backend::Postgres => sql_pg,
            };
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(*version)
            .bind(*name)
            .bind(now_text())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            applied.push((*name).to_string());
        }
        Ok(applied)
    }

    /// Tables and their columns with a backend-neutral type name, for the schema-parity test.
    pub async fn schema(&self) -> Result<Vec<(String, String, String)>> {
        dialect::schema(self).await
    }

    /// Close both pools.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

async fn sqlite_pool(max: u32, opts: AnyConnectOptions) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // Reads through a memory map (up to SQLite's compiled limit of ~2 GiB of the
                // file): no read() call and copy per page, which the SLA scan's and the
                // figures' random row reads on a large database are made of.
                conn.execute(
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536; PRAGMA mmap_size=2147418112",
                )
                .await?;
                Ok(())
            })
        })
        .connect_with(opts)
        .await?)
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls back.
pub struct Tx(sqlx::Transaction<'static, sqlx::Any>);

impl Tx {
    /// The connection to pass to store write functions.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.0
    }

    pub async fn commit(self) -> Result<()> {
        Ok(self.0.commit().await?)
    }
}

impl Db {
    /// Begin a write transaction on the writer pool.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(Tx(self.writer().begin().await?))
    }
}

#[cfg(test)]
mod tests {
    use super::placeholder_rows;

    #[test]
    fn placeholder_rows_number_in_order_on_postgres_and_are_bare_on_sqlite() {
        assert_eq!(placeholder_rows(false, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(placeholder_rows(false, 0, 4), "");
        assert_eq!(placeholder_rows(true, 2, 2), "(?, ?), (?, ?)");
    }
}
