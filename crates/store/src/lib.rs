//! The store: the only place in Lianshi that speaks SQL.
//!
//! One [`Db`] value is chosen once at start-up from the URL (`sqlite://…` or `postgres://…`).
//! Queries are written once with `$1` placeholders and run on each backend's own sqlx driver
//! through [`sql`] (typed pools, no `Any` driver); where the dialects really differ, [`dialect`]
//! says so. Timestamps are passed from Rust as RFC 3339 UTC text, days as `YYYY-MM-DD`, flags as
//! booleans or 0/1, documents as JSON text, money as `i64` fen; SQLite stores them so, and
//! PostgreSQL stores them in its native `timestamptz`, `date`, `boolean` and `jsonb` columns,
//! converted on binding and reading by [`sql`].
//!
//! SQLite runs in WAL mode with `busy_timeout`, foreign keys on, and a single writer connection;
//! readers use a separate small pool. A write waits for the writer — this process's writer
//! connection, then SQLite's write lock held by another process (a CLI import) — for up to
//! [`WRITE_WAIT`], longer than the longest import, and logs a warning naming the wait when it
//! took more than [`WRITE_WAIT_WARN`]. Write transactions begin `IMMEDIATE` on SQLite, so the
//! wait happens at `BEGIN`, under the busy timeout, instead of failing at the first write of a
//! transaction whose read snapshot another process's commit made stale.
//!
//! Checkpoints (copying the write-ahead log back into the database file, with its `fsync`) run
//! on a background connection once a second ([`Db::checkpoint`]), not inside the commit that
//! happens to fill the log; a writer checkpoints itself only past [`WAL_BACKSTOP_PAGES`].

pub mod audit;
pub mod bounds;
mod bulk;
pub mod calendar;
pub mod council;
mod counters;
pub use counters::Counters;
pub mod dialect;
pub mod enterprise;
pub mod migrations;
pub mod order;
pub mod policy;
pub mod score;
pub mod service_figures;
pub mod sql;
pub mod subsidy;
pub mod team;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod transfer;
pub mod user;
pub mod visit;
pub mod voucher;
pub mod workbench;
pub mod zone;

pub use sql::{Conn, Pool};
use sqlx::Executor;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a write waits for the writer (the writer pool's acquire timeout and SQLite's
/// `busy_timeout`): longer than the longest import (a 1,000,000-row file commits in about a
/// minute on the reference machine), so a web write made during an import waits for its commit
/// instead of failing with `database is locked` (issue 9: it failed after the old 10 s).
pub const WRITE_WAIT: Duration = Duration::from_secs(600);

/// A write that waited longer than this for the writer is logged as a warning with its wait.
pub const WRITE_WAIT_WARN: Duration = Duration::from_secs(1);

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
    /// The database's migrations do not fit this build (a changed or unknown applied migration),
    /// or one failed; the message names the file.
    #[error("{0}")]
    Migration(String),
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
    read: Pool,
    write: Pool,
    backend: Backend,
    /// SQLite file databases: the checkpointer's connection and its task.
    checkpointer: Option<(SqlitePool, Arc<CheckpointTask>)>,
    /// The longest wait for the writer so far, in milliseconds ([`Db::longest_write_wait`]).
    longest_wait_ms: Arc<AtomicU64>,
    /// Write transactions committed through this `Db` and its clones ([`Db::local_commits`]).
    commits: Arc<AtomicU64>,
    /// The URL it was opened with ([`Db::reopen`]).
    url: Arc<str>,
    /// The file of a SQLite file database, for bulk reads through SQLite's C API ([`bulk`]).
    sqlite_file: Option<Arc<std::path::Path>>,
}

/// Pages (4 KiB) in SQLite's write-ahead log past which a writer runs the checkpoint itself at
/// commit (SQLite's automatic checkpoint, default 1,000 pages): a backstop for long bursts of
/// writes that the background checkpointer cannot keep up with (a bulk import). Below it, the
/// checkpointer copies the log back within about [`CHECKPOINT_EVERY`], so a commit pays only for
/// appending its pages to the log. (The SLA scan of a working day at a million orders dirties
/// ~15,000 pages; its automatic checkpoint was ~0.4 s of its ~1.2 s.)
pub const WAL_BACKSTOP_PAGES: u32 = 65_536;

/// How often the background checkpointer copies the write-ahead log back into the database file.
/// With `synchronous=NORMAL` a commit reaches the disk when the log is synced, which a checkpoint
/// does first: at most about this long after a commit, instead of whenever 1,000 pages
/// accumulate (hours on a quiet day, before).
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// The background checkpointer's task; stopped when the last [`Db`] clone goes.
#[derive(Debug)]
struct CheckpointTask(tokio::task::AbortHandle);

impl Drop for CheckpointTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What one checkpoint did, in pages (frames) of the write-ahead log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checkpoint {
    /// Frames in the log.
    pub log: i64,
    /// Frames copied back into the database file so far (all of them unless a reader still
    /// needed older pages).
    pub copied: i64,
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
pub(crate) fn value_rows(conn: &Conn, rows: usize, cols: usize) -> String {
    placeholder_rows(is_sqlite(conn), rows, cols, "")
}

/// [`value_rows`] with `tail` (e.g. `, 1`, a constant column) closing each row.
pub(crate) fn value_rows_with(conn: &Conn, rows: usize, cols: usize, tail: &str) -> String {
    placeholder_rows(is_sqlite(conn), rows, cols, tail)
}

/// Whether a connection is SQLite (for the placeholder style of long statements).
pub(crate) fn is_sqlite(conn: &Conn) -> bool {
    conn.backend() == Backend::Sqlite
}

fn placeholder_rows(sqlite: bool, rows: usize, cols: usize, tail: &str) -> String {
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
        out.push_str(tail);
        out.push(')');
    }
    out
}

impl Db {
    /// Connect to `url`, creating the SQLite file (and its folder) if missing.
    pub async fn connect(url: &str) -> Result<Db> {
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
                let opts = SqliteConnectOptions::from_str(&full)?;
                let write = sqlite_pool(1, opts.clone(), WRITE_WAIT).await?;
                // Create the WAL before readers open the file.
                let (read, checkpointer) = if memory {
                    (write.clone(), None)
                } else {
                    let ckpt = sqlite_pool(1, opts.clone(), READ_WAIT).await?;
                    let task = tokio::spawn(checkpoint_loop(ckpt.clone())).abort_handle();
                    (
                        sqlite_pool(4, opts, READ_WAIT).await?,
                        Some((ckpt, Arc::new(CheckpointTask(task)))),
                    )
                };
                Ok(Db {
                    read: Pool::Sqlite(read),
                    write: Pool::Sqlite(write),
                    backend,
                    checkpointer,
                    longest_wait_ms: Arc::default(),
                    commits: Arc::default(),
                    url: url.into(),
                    sqlite_file: (!memory).then(|| Arc::from(std::path::Path::new(path))),
                })
            }
            Backend::Postgres => {
                let opts = PgConnectOptions::from_str(url)?;
                let pool = PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                let pool = Pool::Postgres(pool, Arc::default());
                Ok(Db {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    checkpointer: None,
                    longest_wait_ms: Arc::default(),
                    commits: Arc::default(),
                    url: url.into(),
                    sqlite_file: None,
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Open the same database again, with pools, caches and counters of its own: what another
    /// process would have (tests of what two processes see; an in-memory SQLite database is a
    /// new, empty one).
    pub async fn reopen(&self) -> Result<Db> {
        Db::connect(&self.url).await
    }

    /// Pool for reads.
    pub fn reader(&self) -> &Pool {
        &self.read
    }

    /// Pool for writes (a single connection on SQLite).
    pub fn writer(&self) -> &Pool {
        &self.write
    }

    /// Apply the pending migrations of [`migrations::MIGRATIONS`] in version order, under the
    /// migration lock and in one transaction, after checking the applied ones against their
    /// recorded checksums (see [`migrations`]). Applied migrations are looked up by version, so
    /// the order they were once applied in does not matter (0010 ran before 0009 until the list
    /// was put in order). A changed, renamed or unknown applied migration is refused with
    /// [`StoreError::Migration`] naming its file. Returns the names applied now.
    ///
    /// Migrations run when the database is opened, before any other statement: a migration that
    /// changes a column's type leaves the statements other connections of this `Db` prepared
    /// before it with the old types (PostgreSQL fixes a prepared statement's parameter types).
    pub async fn migrate(&self) -> Result<Vec<String>> {
        migrations::run(self, None).await
    }

    /// [`Db::migrate`], but only the migrations up to and including `version`: a database as an
    /// older release left it, to rehearse an upgrade (the upgrade tests fill one with today's
    /// code, then migrate the rest).
    pub async fn migrate_to(&self, version: i64) -> Result<Vec<String>> {
        migrations::run(self, Some(version)).await
    }

    /// Forget the parameter types PostgreSQL was asked for (after a schema change).
    pub(crate) fn forget_param_types(&self) {
        for p in [&self.read, &self.write] {
            if let Pool::Postgres(_, t) = p {
                t.forget();
            }
        }
    }

    /// Tables and their columns with a backend-neutral type name, for the schema-parity test.
    pub async fn schema(&self) -> Result<Vec<(String, String, String)>> {
        dialect::schema(self).await
    }

    /// Copy SQLite's write-ahead log back into the database file now (a passive checkpoint on
    /// the checkpointer's connection: it neither waits for nor blocks readers and the writer).
    /// The background checkpointer does this once a second; `None` on PostgreSQL and in-memory
    /// databases.
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>> {
        let Some((pool, _)) = &self.checkpointer else {
            return Ok(None);
        };
        checkpoint(pool).await.map(Some)
    }

    /// Close the pools (and stop the checkpointer; SQLite checkpoints when its last connection to
    /// the file closes).
    pub async fn close(&self) {
        if let Some((pool, task)) = &self.checkpointer {
            task.0.abort();
            pool.close().await;
        }
        self.write.close().await;
        self.read.close().await;
    }
}

async fn checkpoint(pool: &SqlitePool) -> Result<Checkpoint> {
    use sqlx::Row;
    let r = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    Ok(Checkpoint {
        log: r.try_get(1)?,
        copied: r.try_get(2)?,
    })
}

/// The background checkpointer: a passive checkpoint every [`CHECKPOINT_EVERY`] (nothing to do
/// costs one read of the log's index). Errors are logged and retried at the next tick.
async fn checkpoint_loop(pool: SqlitePool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = checkpoint(&pool).await {
            tracing::warn!(error = %e, "background checkpoint failed");
        }
    }
}

/// How long a reader waits for a connection of its pool (readers never wait for the writer).
const READ_WAIT: Duration = Duration::from_secs(30);

async fn sqlite_pool(
    max: u32,
    opts: SqliteConnectOptions,
    acquire: Duration,
) -> Result<SqlitePool> {
    Ok(SqlitePoolOptions::new()
        .max_connections(max)
        .min_connections(0)
        .acquire_timeout(acquire)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // Reads through a memory map (up to SQLite's compiled limit of ~2 GiB of the
                // file): no read() call and copy per page, which the SLA scan's and the
                // figures' random row reads on a large database are made of. Checkpoints are
                // the background checkpointer's (`WAL_BACKSTOP_PAGES`); a log grown past 64 MiB
                // by a burst is truncated back to that once it restarts.
                // The busy timeout is the write wait: another process's write transaction (an
                // import) holds SQLite's write lock until its commit.
                conn.execute(
                    format!(
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout={}; {}; PRAGMA mmap_size=2147418112; PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}; PRAGMA journal_size_limit=67108864",
                        WRITE_WAIT.as_millis(),
                        cache_size(PAGE_CACHE_KIB)
                    )
                    .as_str(),
                )
                .await?;
                Ok(())
            })
        })
        .connect_with(opts)
        .await?)
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls back.
pub struct Tx(Conn, Option<SqlitePool>, Arc<AtomicU64>);

impl Tx {
    /// The connection to pass to store write functions.
    pub fn conn(&mut self) -> &mut Conn {
        &mut self.0
    }

    pub async fn commit(self) -> Result<()> {
        self.0.commit().await?;
        self.2.fetch_add(1, Ordering::SeqCst);
        if let Some(writer) = self.1 {
            // Back to the usual page cache (frees the pages above it; the pool is the one
            // writer connection the transaction ran on).
            writer.execute(cache_size(PAGE_CACHE_KIB).as_str()).await?;
        }
        Ok(())
    }

    /// Roll back now (dropping the transaction does the same, later).
    pub async fn rollback(self) -> Result<()> {
        Ok(self.0.rollback().await?)
    }
}

/// SQLite page cache per connection, KiB.
const PAGE_CACHE_KIB: u32 = 65_536;

/// The pragma that sets a connection's page cache to `kib` KiB.
fn cache_size(kib: u32) -> String {
    format!("PRAGMA cache_size=-{kib}")
}

impl Db {
    /// Begin a write transaction on the writer pool, waiting up to [`WRITE_WAIT`] for the
    /// writer (a wait over [`WRITE_WAIT_WARN`] is logged). On SQLite the transaction is
    /// `BEGIN IMMEDIATE`: it takes the write lock now, so it never reads a snapshot that another
    /// process's commit then makes unwritable (`SQLITE_BUSY_SNAPSHOT`, which no timeout retries).
    pub async fn begin(&self) -> Result<Tx> {
        let started = Instant::now();
        let tx = self.writer().begin_with("BEGIN IMMEDIATE").await?;
        self.waited(started.elapsed());
        Ok(Tx(tx, None, self.commits.clone()))
    }

    /// Record (and above [`WRITE_WAIT_WARN`], log) how long a write waited for the writer.
    fn waited(&self, wait: Duration) {
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        self.longest_wait_ms.fetch_max(ms, Ordering::Relaxed);
        if wait > WRITE_WAIT_WARN {
            tracing::warn!(
                waited_ms = ms,
                "a write waited {:.1} s for the database writer (another write transaction, e.g. an import, held it)",
                wait.as_secs_f64()
            );
        }
    }

    /// How many write transactions this `Db` and its clones have committed: a cache in this
    /// process that keys on change counters reads them again when this moved, so a write made
    /// here is seen by the next read at once.
    pub fn local_commits(&self) -> u64 {
        self.commits.load(Ordering::SeqCst)
    }

    /// The longest time a write transaction of this `Db` (and its clones) waited for the writer
    /// so far.
    pub fn longest_write_wait(&self) -> Duration {
        Duration::from_millis(self.longest_wait_ms.load(Ordering::Relaxed))
    }

    /// Begin a write transaction that will dirty more pages than the usual page cache holds
    /// (the SLA scan's thousands of random leaves): on SQLite its cache is raised to `mib` MiB
    /// until the commit, so the pages are written once, at commit, instead of spilled into the log
    /// one by one mid-transaction and read back (15–25 % of the writes at 5,000 escalations).
    /// A transaction dropped without its commit (rolled back) leaves the larger cache on the
    /// writer connection until the next large transaction commits. Same as [`Db::begin`] on
    /// PostgreSQL and in-memory SQLite.
    pub async fn begin_large(&self, mib: u32) -> Result<Tx> {
        let mut tx = self.begin().await?;
        // A checkpointer means a SQLite file.
        if self.checkpointer.is_some()
            && let Pool::Sqlite(writer) = &self.write
        {
            tx.0.execute(&cache_size(mib.saturating_mul(1024))).await?;
            tx.1 = Some(writer.clone());
        }
        Ok(tx)
    }
}

#[cfg(test)]
mod tests {
    use super::placeholder_rows;

    #[test]
    fn placeholder_rows_number_in_order_on_postgres_and_are_bare_on_sqlite() {
        assert_eq!(
            placeholder_rows(false, 2, 3, ""),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(placeholder_rows(false, 0, 4, ""), "");
        assert_eq!(placeholder_rows(true, 2, 2, ""), "(?, ?), (?, ?)");
        assert_eq!(placeholder_rows(false, 2, 1, ", 1"), "($1, 1), ($2, 1)");
    }
}
