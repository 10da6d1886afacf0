//! The one list of migrations, and the runner that applies them.
//!
//! Each migration is a pair of files with the same name, `migrations/sqlite/NNNN_name.sql` and
//! `migrations/postgres/NNNN_name.sql`; its version is the number `NNNN` the name starts with. A
//! new migration is one line at the end of [`MIGRATIONS`]: `migration!("0017_something")`, which
//! includes both files. [`Db::migrate`](crate::Db::migrate) applies the pending ones in the
//! list's order, which is strictly increasing by version (checked when compiling), and records
//! each by version in `schema_migrations`. A test checks the list names exactly the files in both
//! folders.
//!
//! Databases migrated before the list was put in order recorded 0010 before 0009 (they are
//! independent); since applied migrations are looked up by version, none of them runs again.
//!
//! **Checked** (issue 11): each applied migration is recorded with the SHA-256 of the backend's
//! file text ([`checksum`]), and every start compares the records with this build's list before
//! applying anything. A migration whose file changed after it was applied, a recorded version
//! whose name differs from this build's (another branch's migration with the same number), or a
//! recorded migration this build does not have (a database from a newer version, a removed file)
//! is refused with [`StoreError::Migration`] naming the file; nothing is applied then. A change to
//! an applied migration goes into a new migration instead.
//!
//! **Locked**: the check and the pending migrations run in one write transaction that first
//! takes the migration lock — on SQLite the transaction is `BEGIN IMMEDIATE` (the database's write
//! lock), on PostgreSQL `pg_advisory_xact_lock(`[`PG_LOCK_CLASS`]`, hashtext(current_schema()))`,
//! a lock per schema, since `schema_migrations` lives in the current schema. A second process
//! starting at the same time (every CLI command migrates when it opens the database) waits for
//! the first's commit and then finds everything applied.
//!
//! **One transaction** for the whole run, rather than one per migration: SQLite's write lock
//! cannot be held across transactions, and a single transaction makes an upgrade all or nothing
//! on both backends — a failing migration leaves the database exactly as the previous version
//! left it, never half-way between two builds. PostgreSQL's DDL is transactional, and a
//! transaction-scoped advisory lock is released by the commit or rollback (or the connection's
//! loss) on every path, so an error cannot leave the lock held on a pooled connection. The cost:
//! no migration may contain a statement PostgreSQL refuses inside a transaction
//! (`CREATE INDEX CONCURRENTLY`, `VACUUM`) — as before, when each ran in its own transaction.

use crate::sql::Conn;
use crate::{Backend, Db, Result, StoreError, now_text};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// One migration: its version, file name (without `.sql`) and the text for each backend.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// The version a migration's name starts with (`"0009_subsidies"` → 9): four digits and `_`.
/// A malformed name fails the build.
pub const fn version_of(name: &str) -> i64 {
    let b = name.as_bytes();
    assert!(b.len() > 5 && b[4] == b'_', "a migration name is NNNN_name");
    let mut v = 0i64;
    let mut i = 0;
    while i < 4 {
        assert!(
            b[i].is_ascii_digit(),
            "a migration name starts with 4 digits"
        );
        v = v * 10 + (b[i] - b'0') as i64;
        i += 1;
    }
    v
}

/// A [`Migration`] from its file name, given once; both folders' files are included.
macro_rules! migration {
    ($name:literal) => {
        Migration {
            version: version_of($name),
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $name, ".sql")),
        }
    };
}

/// Every migration, in the order they are applied: strictly increasing versions.
pub const MIGRATIONS: &[Migration] = &[
    migration!("0001_foundation"),
    migration!("0002_list_indexes"),
    // Service teams, 包联, indicators, visits (store/src/team.rs, visit.rs).
    migration!("0003_teams_visits"),
    // Work orders (store/src/order.rs).
    migration!("0004_orders"),
    // Councils and the figures' indexes (store/src/council.rs).
    migration!("0005_councils"),
    migration!("0006_change_counters"),
    // Per-order figure facts: accepted_at, figures_rev.
    migration!("0007_order_figures"),
    migration!("0008_policies"),
    migration!("0009_subsidies"),
    migration!("0010_vouchers"),
    migration!("0011_scores"),
    // The acceptance index narrowed to acceptance events.
    migration!("0012_order_events_accepted"),
    // Open orders at level ≥ 2 proposed to their council.
    migration!("0013_council_proposals_on_supervision"),
    // Login back-off (store/src/user.rs).
    migration!("0015_login_throttle"),
    // Field sources and corrections (store/src/enterprise.rs).
    migration!("0016_enterprise_provenance"),
    migration!("0017_native_types"),
];

/// The first key of the PostgreSQL advisory lock migrations run under (`"LSMG"`); the second is
/// `hashtext(current_schema())`.
pub const PG_LOCK_CLASS: i32 = 0x4c53_4d47;

impl Migration {
    /// The text applied on `backend`.
    pub fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }
}

/// The checksum recorded for a migration text: SHA-256, lowercase hex, of the text with CRLF line
/// ends read as LF (so a checkout that converts line ends does not count as a change).
pub fn checksum(sql: &str) -> String {
    let digest = Sha256::digest(sql.replace("\r\n", "\n").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first 12 hex digits of a checksum, for messages.
fn short(sum: &str) -> &str {
    sum.get(..12).unwrap_or(sum)
}

/// What `schema_migrations` records about one applied migration.
struct Applied {
    name: String,
    checksum: Option<String>,
}

/// Why the recorded migrations do not fit this build's list, one sentence per problem; empty
/// when they fit. `recorded` is keyed by version.
fn problems(backend: Backend, recorded: &BTreeMap<i64, Applied>) -> Vec<String> {
    let mut out = Vec::new();
    for (version, r) in recorded {
        let Some(m) = MIGRATIONS.iter().find(|m| m.version == *version) else {
            out.push(format!(
                "migration {}.sql (version {version}) is recorded as applied but this build of \
                 Lianshi does not have it: the database was migrated by a newer version, or the \
                 file was removed",
                r.name
            ));
            continue;
        };
        if r.name != m.name {
            out.push(format!(
                "migration {}.sql is recorded as applied as version {version}, but this build's \
                 version {version} is {}.sql",
                r.name, m.name
            ));
            continue;
        }
        let file = checksum(m.sql(backend));
        if let Some(sum) = &r.checksum
            && *sum != file
        {
            out.push(format!(
                "migration {}.sql was changed after it was applied (checksum recorded {}…, file \
                 {}…): restore the applied text and put the change in a new migration",
                m.name,
                short(sum),
                short(&file)
            ));
        }
    }
    out
}

/// Whether `schema_migrations` has the `checksum` column (tables made before issue 11 do not).
async fn has_checksum_column(conn: &mut Conn, backend: Backend) -> Result<bool> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'checksum'"
        }
    };
    let (n,): (i64,) = crate::sql::query_as(sql).fetch_one(&mut *conn).await?;
    Ok(n > 0)
}

/// The runner behind [`Db::migrate`]: take the lock, check the records, record the checksums
/// missing from older databases, apply the pending migrations; all in one transaction (see the
/// module documentation). Returns the names applied now.
pub(crate) async fn run(db: &Db, upto: Option<i64>) -> Result<Vec<String>> {
    let backend = db.backend();
    // SQLite: `Db::begin` is `BEGIN IMMEDIATE`, the write lock, waited for up to `WRITE_WAIT`.
    let mut tx = db.begin().await?;
    // On an error the transaction is dropped: rolled back, with the lock.
    let applied = check_and_apply(tx.conn(), backend, upto).await?;
    tx.commit().await?;
    if !applied.is_empty() {
        // Column types may have changed: ask PostgreSQL for parameter types anew.
        db.forget_param_types();
    }
    Ok(applied)
}

/// [`run`] inside its transaction, on its connection.
async fn check_and_apply(
    conn: &mut Conn,
    backend: Backend,
    upto: Option<i64>,
) -> Result<Vec<String>> {
    if backend == Backend::Postgres {
        crate::sql::query(&format!(
            "SELECT 1 FROM (SELECT pg_advisory_xact_lock({PG_LOCK_CLASS}, hashtext(current_schema()))) AS l"
        ))
        .execute(&mut *conn)
        .await?;
    }
    // `Executor::execute` on the text, not `sqlx::raw_sql`: the same simple-query protocol (several
    // statements), but a future that stays `Send` for any lifetime (sqlx 0.8's `RawSql::execute`
    // is not, launchbadge/sqlx#3613), so `migrate` can run in a spawned task.
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL, checksum TEXT)",
    )
    .await?;
    // Trust on first use: a table made before checksums were recorded gets the column (nullable),
    // and the migrations it records as applied get this build's checksums below — once; from
    // then on they are checked. (Such a database was migrated by code that never checked, so
    // there is nothing older to compare with.)
    if !has_checksum_column(&mut *conn, backend).await? {
        conn.execute("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT")
            .await?;
    }
    let recorded: BTreeMap<i64, Applied> = crate::sql::query_as::<(i64, String, Option<String>)>(
        "SELECT version, name, checksum FROM schema_migrations",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(version, name, checksum)| (version, Applied { name, checksum }))
    .collect();
    let problems = problems(backend, &recorded);
    if !problems.is_empty() {
        // The caller drops the transaction: rolled back, nothing applied.
        return Err(StoreError::Migration(format!(
            "{}; refusing to start",
            problems.join("; ")
        )));
    }
    for (version, r) in &recorded {
        if r.checksum.is_none()
            && let Some(m) = MIGRATIONS.iter().find(|m| m.version == *version)
        {
            crate::sql::query("UPDATE schema_migrations SET checksum = $1 WHERE version = $2")
                .bind(checksum(m.sql(backend)))
                .bind(*version)
                .execute(&mut *conn)
                .await?;
        }
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS {
        if recorded.contains_key(&m.version) || upto.is_some_and(|v| m.version > v) {
            continue;
        }
        let sql = m.sql(backend);
        conn.execute(sql)
            .await
            .map_err(|e| StoreError::Migration(format!("migration {}.sql failed: {e}", m.name)))?;
        crate::sql::query(
            "INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES ($1, $2, $3, $4)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(now_text())
        .bind(checksum(sql))
        .execute(&mut *conn)
        .await?;
        applied.push(m.name.to_string());
    }
    Ok(applied)
}

const fn strictly_increasing(list: &[Migration]) -> bool {
    let mut i = 1;
    while i < list.len() {
        if list[i].version <= list[i - 1].version {
            return false;
        }
        i += 1;
    }
    true
}

const _: () = assert!(
    strictly_increasing(MIGRATIONS),
    "MIGRATIONS must be in strictly increasing version order"
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn folder(backend: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("read the migrations folder")
            .map(|e| {
                e.expect("read a folder entry")
                    .file_name()
                    .into_string()
                    .expect("a UTF-8 file name")
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_list_names_exactly_the_files_of_both_folders() {
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{}.sql", m.name))
            .collect();
        assert_eq!(listed, folder("sqlite"), "MIGRATIONS vs migrations/sqlite");
        assert_eq!(
            listed,
            folder("postgres"),
            "MIGRATIONS vs migrations/postgres"
        );
    }

    #[test]
    fn versions_are_strictly_increasing_and_match_the_names() {
        assert!(strictly_increasing(MIGRATIONS));
        for w in MIGRATIONS.windows(2) {
            assert!(
                w[0].version < w[1].version,
                "{} then {}",
                w[0].name,
                w[1].name
            );
        }
        let versions: BTreeSet<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(versions.len(), MIGRATIONS.len());
        for m in MIGRATIONS {
            assert_eq!(format!("{:04}", m.version), m.name[..4], "{}", m.name);
            assert!(!m.sqlite.trim().is_empty() && !m.postgres.trim().is_empty());
        }
    }

    #[test]
    fn the_checksum_is_sha256_hex_with_crlf_read_as_lf() {
        assert_eq!(
            checksum(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(checksum("a;\r\nb;\r\n"), checksum("a;\nb;\n"));
        assert_ne!(checksum("a;\nb;\n"), checksum("a;\nb; \n"));
    }

    #[test]
    fn version_of_reads_the_leading_number() {
        assert_eq!(version_of("0009_subsidies"), 9);
        assert_eq!(version_of("0016_enterprise_provenance"), 16);
        assert!(!strictly_increasing(&[
            migration!("0010_vouchers"),
            migration!("0009_subsidies"),
        ]));
    }
}
