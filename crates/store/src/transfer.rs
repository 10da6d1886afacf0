//! Copying a whole zone between databases: backups, restores and moves between SQLite and
//! PostgreSQL (issue 11).
//!
//! **One copy engine** ([`copy`]): every table of the source is read inside one consistent read
//! transaction (SQLite: a deferred read transaction, i.e. one WAL snapshot that writers do not
//! disturb; PostgreSQL: `REPEATABLE READ READ ONLY`) and written into the target inside one write
//! transaction, in foreign-key order (parents first; inside a self-referencing table a row whose
//! parent comes later waits until the parent is in). Rows are read in key order a page at a time
//! (keyset pagination, so memory stays bounded) and written with multi-row inserts. Before the
//! commit the engine reads the target back through the same transaction and compares every
//! table's row count and content checksum with the source's; any difference rolls everything
//! back. So a target is either untouched (empty) or complete and verified — also when the process
//! is killed, since an uncommitted transaction leaves nothing behind on either backend.
//! PostgreSQL identity sequences are moved past the copied ids in the same transaction.
//!
//! **What is copied**: every table except `schema_migrations` (the target is migrated by this
//! build and must record the same migrations as the source: same versions and names; the
//! recorded checksums are per backend and not compared), SQLite's own `sqlite_*` tables and the
//! backup file's manifest tables. `change_counters` is bookkeeping the migrations seed: it is
//! replaced by the source's rows.
//!
//! **Empty target**: every copied table except `change_counters` has no rows ([`is_empty`]).
//! A non-empty target is refused before anything is written.
//!
//! **Checksums** ([`TableSum`]): per table, the row count and the sum, modulo 2^64 in each of
//! four 64-bit lanes, of the SHA-256 of every row's normalised encoding (columns by name,
//! integers as i64, reals as their f64 bits, text as UTF-8 bytes, NULL as its own tag; booleans
//! are 0/1 integers). A sum does not depend on the order rows are read in, so the backends'
//! different text collations do not matter; a dropped, added or changed row changes it.
//!
//! **Backup file** ([`backup_to_file`], [`open_backup`]): a SQLite database made by this build's
//! migrations, holding the copy, plus `lianshi_backup_info` (format, creation time, source
//! backend, schema version) and `lianshi_backup_manifest` (per table: rows and checksum). It is
//! written under a temporary name beside the file and renamed at the end, in rollback-journal
//! mode (one self-contained file). A backup is opened read-only and checked — the file's length
//! against its header, `PRAGMA integrity_check`, the manifest, the schema version (refused when
//! newer than this build) and every table against the manifest — before anything is written.
//!
//! All reading and binding of column values is in [`value`], the one place that knows the
//! driver's value types.

use crate::migrations::MIGRATIONS;
use crate::sql::{Conn, Pool};
use crate::{Backend, Db, StoreError, Tx, now_text, value_rows};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// The backup file's format version (in `lianshi_backup_info`).
pub const BACKUP_FORMAT: i64 = 1;
/// The backup file's table of facts about the backup.
pub const INFO_TABLE: &str = "lianshi_backup_info";
/// The backup file's table of per-table row counts and checksums.
pub const MANIFEST_TABLE: &str = "lianshi_backup_manifest";
/// Tables the migrations seed with rows that carry no zone data; replaced on copy.
pub const BOOKKEEPING: &[&str] = &["change_counters"];

/// Rows read per page.
const PAGE: usize = 1000;
/// Bind parameters per insert statement (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_BINDS: usize = 30_000;

/// Why a transfer was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The target already holds zone data (the tables named, with their row counts).
    #[error("the target database is not empty: {0}")]
    NotEmpty(String),
    /// Source and target have different tables, columns or migrations.
    #[error("source and target schemas differ: {0}")]
    Schema(String),
    /// The backup file is damaged, truncated or not a Lianshi backup; nothing was written.
    #[error("bad backup file: {0}")]
    BadBackup(String),
    /// The backup was made by a newer version of Lianshi (a migration this build lacks).
    #[error("the backup is from a newer schema: {0}")]
    NewerSchema(String),
    /// The backup was made by an older version of Lianshi (it lacks migrations of this build).
    #[error("the backup is from an older schema: {0}")]
    OlderSchema(String),
    /// The target read back differs from the source (the copy was rolled back).
    #[error("verification failed: {0}")]
    Mismatch(String),
    /// A table the copy engine cannot handle (no primary key, an unsupported column type).
    #[error("unsupported table: {0}")]
    Unsupported(String),
    #[error("file error: {0}")]
    Io(String),
}

impl From<sqlx::Error> for TransferError {
    fn from(e: sqlx::Error) -> Self {
        TransferError::Store(StoreError::Db(e))
    }
}

pub type TResult<T> = std::result::Result<T, TransferError>;

/// The type of a column, as far as copying cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Integer,
    Real,
    Text,
}

impl ColType {
    fn of(declared: &str) -> Option<ColType> {
        let t = declared.to_ascii_lowercase();
        if t.contains("int") || t.contains("bool") {
            Some(ColType::Integer)
        } else if t.contains("char")
            || t == "text"
            || t.contains("clob")
            || t.contains("timestamp")
            || t == "date"
            || t.contains("json")
        {
            Some(ColType::Text)
        } else if t.contains("real") || t.contains("double") || t.contains("float") {
            Some(ColType::Real)
        } else {
            None
        }
    }
}

/// One table as the copy engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    /// Columns sorted by name, with their types.
    pub columns: Vec<(String, ColType)>,
    /// Primary-key columns in key order (indexes into `columns`).
    pub key: Vec<usize>,
    /// Tables this one references (other than itself).
    pub parents: BTreeSet<String>,
    /// A column referencing this table's own single-column key (`parent_id`, `reverses_id`).
    pub self_ref: Option<usize>,
}

/// The row count and content checksum of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSum {
    pub table: String,
    pub rows: u64,
    /// 64 hex digits (see the module documentation).
    pub checksum: String,
}

/// One table of a verified copy: the source's and the target's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    pub source: TableSum,
    pub target: TableSum,
}

impl TableReport {
    pub fn same(&self) -> bool {
        self.source == self.target
    }
}

/// What a copy did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Per table in copy order.
    pub tables: Vec<TableReport>,
    /// The migrations both sides record (highest version).
    pub schema_version: i64,
    pub elapsed: Duration,
}

impl Report {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.target.rows).sum()
    }

    pub fn same(&self) -> bool {
        self.tables.iter().all(TableReport::same)
    }
}

/// The one place that reads, writes and hashes column values (ported as a unit when the store
/// moves to typed per-backend pools).
pub mod value {
    use super::ColType;
    use crate::sql::{Query, Row};

    /// A column value, normalised across backends (booleans are integers; timestamps, days and
    /// documents are their text).
    pub use crate::sql::Value as Val;

    /// Column `i` of `row`, by the type of the value itself (SQLite types values, not columns).
    pub fn read(row: &Row, i: usize) -> Result<Val, sqlx::Error> {
        row.value(i)
    }

    /// Bind `v` to a statement (a NULL is typed by the statement's parameter, see
    /// [`crate::sql`]; `_ty` is the column's type as far as copying cares).
    pub fn bind<'q>(q: Query<'q>, v: &Val, _ty: ColType) -> Query<'q> {
        q.bind(v.clone())
    }

    /// A document's text in one form on both backends (PostgreSQL's `jsonb` prints its own
    /// spacing and key order): JSON objects and arrays re-serialised compactly with sorted keys;
    /// other text as it is.
    fn normal_text(s: &str) -> std::borrow::Cow<'_, str> {
        let t = s.trim_start();
        if (t.starts_with('{') || t.starts_with('['))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(s)
        {
            return std::borrow::Cow::Owned(v.to_string());
        }
        std::borrow::Cow::Borrowed(s)
    }

    /// Append the normalised encoding of `v` (a tag byte, then the value) to `out`.
    pub fn encode(v: &Val, out: &mut Vec<u8>) {
        match v {
            Val::Null => out.push(0),
            Val::Int(i) => {
                out.push(1);
                out.extend_from_slice(&i.to_be_bytes());
            }
            Val::Real(f) => {
                out.push(2);
                let bits = if f.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    f.to_bits()
                };
                out.extend_from_slice(&bits.to_be_bytes());
            }
            Val::Text(s) => {
                let s = normal_text(s);
                out.push(3);
                out.extend_from_slice(&(s.len() as u64).to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            Val::Blob(b) => {
                out.push(4);
                out.extend_from_slice(&(b.len() as u64).to_be_bytes());
                out.extend_from_slice(b);
            }
        }
    }
}

use value::Val;

/// An order-independent sum of row hashes.
#[derive(Debug, Default, Clone)]
struct Summer {
    rows: u64,
    lanes: [u64; 4],
    buf: Vec<u8>,
}

impl Summer {
    fn add(&mut self, row: &[Val]) {
        self.buf.clear();
        for v in row {
            value::encode(v, &mut self.buf);
        }
        let d = Sha256::digest(&self.buf);
        for (i, lane) in self.lanes.iter_mut().enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(&d[i * 8..i * 8 + 8]);
            *lane = lane.wrapping_add(u64::from_be_bytes(b));
        }
        self.rows += 1;
    }

    fn sum(&self, table: &str) -> TableSum {
        TableSum {
            table: table.to_string(),
            rows: self.rows,
            checksum: self.lanes.iter().map(|l| format!("{l:016x}")).collect(),
        }
    }
}

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Tables that are never copied: the migrations' record, SQLite's own, the backup manifest.
fn skipped(name: &str) -> bool {
    name == "schema_migrations"
        || name.starts_with("sqlite_")
        || name == INFO_TABLE
        || name == MANIFEST_TABLE
}

/// The copied tables of `db` in foreign-key order (every table after the tables it references;
/// otherwise by name).
pub async fn tables(db: &Db) -> TResult<Vec<Table>> {
    let mut conn = db.reader().acquire().await?;
    tables_on(&mut conn, db.backend()).await
}

async fn tables_on(conn: &mut Conn, backend: Backend) -> TResult<Vec<Table>> {
    // (table, column, declared type, key position or 0)
    let cols: Vec<(String, String, String, i64)>;
    // (table, column, referenced table)
    let fks: Vec<(String, String, String)>;
    match backend {
        Backend::Sqlite => {
            cols = crate::sql::query_as(
                "SELECT m.name, p.name, p.type, p.pk FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid",
            )
            .fetch_all(&mut *conn)
            .await?;
            fks = crate::sql::query_as(
                "SELECT m.name, f.\"from\", f.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
            )
            .fetch_all(&mut *conn)
            .await?;
        }
        Backend::Postgres => {
            cols = crate::sql::query_as(
                "SELECT c.table_name::text, c.column_name::text, c.data_type::text, \
                 COALESCE((SELECT k.ordinal_position::bigint FROM information_schema.table_constraints t \
                   JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name \
                    AND k.table_schema = t.table_schema AND k.table_name = t.table_name \
                   WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema \
                    AND t.table_name = c.table_name AND k.column_name = c.column_name), 0) \
                 FROM information_schema.columns c JOIN information_schema.tables tb \
                   ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE' \
                 WHERE c.table_schema = current_schema() ORDER BY 1, c.ordinal_position",
            )
            .fetch_all(&mut *conn)
            .await?;
            fks = crate::sql::query_as(
                "SELECT t.relname::text, a.attname::text, f.relname::text \
                 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
                 JOIN pg_class f ON f.oid = c.confrelid \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
                 WHERE c.contype = 'f' AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
            )
            .fetch_all(&mut *conn)
            .await?;
        }
    }
    let mut by_table: BTreeMap<String, Vec<(String, String, i64)>> = BTreeMap::new();
    for (t, c, ty, pk) in cols {
        if !skipped(&t) {
            by_table.entry(t).or_default().push((c, ty, pk));
        }
    }
    let mut out: BTreeMap<String, Table> = BTreeMap::new();
    for (name, mut cs) in by_table {
        cs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut columns = Vec::with_capacity(cs.len());
        let mut key: Vec<(i64, usize)> = Vec::new();
        for (i, (c, ty, pk)) in cs.iter().enumerate() {
            let Some(t) = ColType::of(ty) else {
                return Err(TransferError::Unsupported(format!(
                    "{name}.{c} has type {ty}"
                )));
            };
            columns.push((c.clone(), t));
            if *pk > 0 {
                key.push((*pk, i));
            }
        }
        if key.is_empty() {
            return Err(TransferError::Unsupported(format!(
                "{name} has no primary key"
            )));
        }
        key.sort();
        out.insert(
            name.clone(),
            Table {
                name,
                columns,
                key: key.into_iter().map(|(_, i)| i).collect(),
                parents: BTreeSet::new(),
                self_ref: None,
            },
        );
    }
    for (t, c, parent) in fks {
        let Some(table) = out.get_mut(&t) else {
            continue;
        };
        if parent == t {
            let col = table.columns.iter().position(|(n, _)| *n == c);
            let int_key = table.key.len() == 1 && table.columns[table.key[0]].1 == ColType::Integer;
            if col.is_none() || !int_key || table.self_ref.is_some_and(|s| Some(s) != col) {
                return Err(TransferError::Unsupported(format!(
                    "{t}: self-reference through {c} needs a single integer key"
                )));
            }
            table.self_ref = col;
        } else {
            table.parents.insert(parent);
        }
    }
    // Topological order, ties by name.
    let mut ordered = Vec::with_capacity(out.len());
    let mut done: BTreeSet<String> = BTreeSet::new();
    while !out.is_empty() {
        let next = out
            .values()
            .find(|t| {
                t.parents
                    .iter()
                    .all(|p| done.contains(p) || !out.contains_key(p))
            })
            .map(|t| t.name.clone());
        let Some(next) = next else {
            let left: Vec<&str> = out.keys().map(String::as_str).collect();
            return Err(TransferError::Unsupported(format!(
                "foreign keys form a cycle among {}",
                left.join(", ")
            )));
        };
        if let Some(t) = out.remove(&next) {
            done.insert(next);
            ordered.push(t);
        }
    }
    Ok(ordered)
}

/// The recorded migrations (version → name).
async fn versions_on(conn: &mut Conn) -> TResult<BTreeMap<i64, String>> {
    let rows: Vec<(i64, String)> =
        crate::sql::query_as("SELECT version, name FROM schema_migrations")
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.into_iter().collect())
}

/// One page of `t`'s rows in key order, after the key `after`.
async fn page(
    conn: &mut Conn,
    t: &Table,
    after: Option<&[Val]>,
    limit: usize,
) -> TResult<Vec<Vec<Val>>> {
    let cols: Vec<String> = t.columns.iter().map(|(c, _)| q(c)).collect();
    let keys: Vec<String> = t.key.iter().map(|&i| q(&t.columns[i].0)).collect();
    let mut sql = format!("SELECT {} FROM {}", cols.join(", "), q(&t.name));
    if after.is_some() {
        let ph: Vec<String> = (1..=keys.len()).map(|n| format!("${n}")).collect();
        if keys.len() == 1 {
            sql.push_str(&format!(" WHERE {} > {}", keys[0], ph[0]));
        } else {
            sql.push_str(&format!(
                " WHERE ({}) > ({})",
                keys.join(", "),
                ph.join(", ")
            ));
        }
    }
    sql.push_str(&format!(" ORDER BY {} LIMIT {limit}", keys.join(", ")));
    let mut query = crate::sql::query(&sql);
    if let Some(after) = after {
        for (v, &i) in after.iter().zip(&t.key) {
            query = value::bind(query, v, t.columns[i].1);
        }
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut vals = Vec::with_capacity(t.columns.len());
        for i in 0..t.columns.len() {
            vals.push(value::read(r, i)?);
        }
        out.push(vals);
    }
    Ok(out)
}

fn key_of(t: &Table, row: &[Val]) -> Vec<Val> {
    t.key.iter().map(|&i| row[i].clone()).collect()
}

/// Row count and checksum of one table, read through `conn` (inside its transaction, if any).
async fn sum_table(conn: &mut Conn, t: &Table) -> TResult<TableSum> {
    let mut s = Summer::default();
    let mut after: Option<Vec<Val>> = None;
    loop {
        let rows = page(conn, t, after.as_deref(), PAGE).await?;
        for r in &rows {
            s.add(r);
        }
        match rows.last() {
            Some(last) if rows.len() == PAGE => after = Some(key_of(t, last)),
            _ => break,
        }
    }
    Ok(s.sum(&t.name))
}

/// A read transaction giving one consistent snapshot of `db`.
async fn snapshot(db: &Db) -> TResult<Conn> {
    Ok(match db.backend() {
        // Deferred: the snapshot is taken at the first read and kept until the end; writers
        // append to the WAL without disturbing it.
        Backend::Sqlite => db.reader().begin_with_both("BEGIN").await?,
        Backend::Postgres => {
            db.reader()
                .begin_with_both("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?
        }
    })
}

/// Row counts and checksums of every copied table of `db`, from one consistent snapshot.
pub async fn checksums(db: &Db) -> TResult<Vec<TableSum>> {
    let mut tx = snapshot(db).await?;
    let tables = tables_on(&mut tx, db.backend()).await?;
    let mut out = Vec::with_capacity(tables.len());
    for t in &tables {
        out.push(sum_table(&mut tx, t).await?);
    }
    tx.rollback().await?;
    Ok(out)
}

/// The copied tables of `db` holding zone data, with their row counts; empty when the
/// database is empty in the sense of the module documentation.
pub async fn is_empty(db: &Db) -> TResult<Vec<(String, i64)>> {
    let mut conn = db.reader().acquire().await?;
    let tables = tables_on(&mut conn, db.backend()).await?;
    nonempty_on(&mut conn, &tables).await
}

async fn nonempty_on(conn: &mut Conn, tables: &[Table]) -> TResult<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for t in tables {
        if BOOKKEEPING.contains(&t.name.as_str()) {
            continue;
        }
        let (n,): (i64,) = crate::sql::query_as(&format!("SELECT COUNT(*) FROM {}", q(&t.name)))
            .fetch_one(&mut *conn)
            .await?;
        if n > 0 {
            out.push((t.name.clone(), n));
        }
    }
    Ok(out)
}

/// Insert `rows` into `t` with multi-row statements.
async fn insert(conn: &mut Conn, t: &Table, rows: &[Vec<Val>]) -> TResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ncols = t.columns.len();
    let per = (MAX_BINDS / ncols).clamp(1, PAGE);
    let cols: Vec<String> = t.columns.iter().map(|(c, _)| q(c)).collect();
    for chunk in rows.chunks(per) {
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            q(&t.name),
            cols.join(", "),
            value_rows(conn, chunk.len(), ncols)
        );
        let mut query = crate::sql::query(&sql);
        for r in chunk {
            for (v, (_, ty)) in r.iter().zip(&t.columns) {
                query = value::bind(query, v, *ty);
            }
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Copy `t`'s rows from `src` into `dst`, returning the source's sum. Rows of a
/// self-referencing table whose parent has not been copied yet wait for it.
async fn copy_table(src: &mut Conn, dst: &mut Conn, t: &Table) -> TResult<TableSum> {
    let mut s = Summer::default();
    let mut after: Option<Vec<Val>> = None;
    let mut copied: HashSet<i64> = HashSet::new();
    let mut waiting: Vec<Vec<Val>> = Vec::new();
    loop {
        let rows = page(src, t, after.as_deref(), PAGE).await?;
        for r in &rows {
            s.add(r);
        }
        let full = rows.len() == PAGE;
        if let Some(last) = rows.last() {
            after = Some(key_of(t, last));
        }
        match t.self_ref {
            None => insert(dst, t, &rows).await?,
            Some(col) => {
                let id = |r: &[Val]| match r[t.key[0]] {
                    Val::Int(i) => Some(i),
                    _ => None,
                };
                waiting.extend(rows);
                // Insert what can go in, repeatedly, until nothing more can.
                loop {
                    let (ready, rest): (Vec<Vec<Val>>, Vec<Vec<Val>>) =
                        waiting.into_iter().partition(|r| match &r[col] {
                            Val::Int(p) => copied.contains(p) || Some(*p) == id(r),
                            _ => true,
                        });
                    waiting = rest;
                    if ready.is_empty() {
                        break;
                    }
                    insert(dst, t, &ready).await?;
                    copied.extend(ready.iter().filter_map(|r| id(r)));
                }
            }
        }
        if !full {
            break;
        }
    }
    // Rows whose parent never came: let the foreign key say why.
    insert(dst, t, &waiting).await?;
    Ok(s.sum(&t.name))
}

/// Move PostgreSQL identity sequences past the copied ids.
async fn fix_identities(conn: &mut Conn) -> TResult<()> {
    let ids: Vec<(String, String)> = crate::sql::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (t, c) in ids {
        crate::sql::query(&format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX({c}) FROM {t}), 0) + 1, false)",
            c = q(&c),
            t = q(&t)
        ))
        .bind(q(&t))
        .bind(c.clone())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn compare_schemas(src: &[Table], dst: &[Table]) -> TResult<()> {
    let a: BTreeMap<&str, &Vec<(String, ColType)>> =
        src.iter().map(|t| (t.name.as_str(), &t.columns)).collect();
    let b: BTreeMap<&str, &Vec<(String, ColType)>> =
        dst.iter().map(|t| (t.name.as_str(), &t.columns)).collect();
    let mut diffs = Vec::new();
    for (name, cols) in &a {
        match b.get(name) {
            None => diffs.push(format!("table {name} missing in the target")),
            Some(other) if other != cols => diffs.push(format!("table {name} has other columns")),
            _ => {}
        }
    }
    for name in b.keys().filter(|n| !a.contains_key(*n)) {
        diffs.push(format!("table {name} missing in the source"));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(TransferError::Schema(diffs.join("; ")))
    }
}

fn describe_versions(v: &BTreeMap<i64, String>) -> String {
    v.iter()
        .next_back()
        .map(|(k, n)| format!("{k} ({n}, {} migrations)", v.len()))
        .unwrap_or_else(|| "none".into())
}

/// Copy every table of `src` into the empty, migrated `dst` and verify it (see the module
/// documentation). `progress` is told each table's figures as soon as it is copied.
pub async fn copy(
    src: &Db,
    dst: &Db,
    progress: &mut (dyn FnMut(&TableSum) + Send),
) -> TResult<Report> {
    copy_inner(src, dst, progress, |_| Box::pin(async { Ok(()) })).await
}

type Hook = for<'a> fn(
    &'a mut Tx,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = TResult<()>> + Send + 'a>,
>;

async fn copy_inner(
    src: &Db,
    dst: &Db,
    progress: &mut (dyn FnMut(&TableSum) + Send),
    before_verify: Hook,
) -> TResult<Report> {
    let started = Instant::now();
    let mut stx = snapshot(src).await?;
    let s_tables = tables_on(&mut stx, src.backend()).await?;
    let s_versions = versions_on(&mut stx).await?;
    let mut dtx = dst.begin().await?;
    let d_tables = tables_on(dtx.conn(), dst.backend()).await?;
    compare_schemas(&s_tables, &d_tables)?;
    let d_versions = versions_on(dtx.conn()).await?;
    if s_versions != d_versions {
        return Err(TransferError::Schema(format!(
            "the source records migrations up to {}, the target up to {}",
            describe_versions(&s_versions),
            describe_versions(&d_versions)
        )));
    }
    let full = nonempty_on(dtx.conn(), &d_tables).await?;
    if !full.is_empty() {
        let total: i64 = full.iter().map(|(_, n)| n).sum();
        let some: Vec<String> = full
            .iter()
            .take(5)
            .map(|(t, n)| format!("{t} ({n} rows)"))
            .collect();
        return Err(TransferError::NotEmpty(format!(
            "{} tables hold {total} rows: {}{}",
            full.len(),
            some.join(", "),
            if full.len() > 5 { ", …" } else { "" }
        )));
    }
    for t in BOOKKEEPING {
        if d_tables.iter().any(|d| d.name == *t) {
            crate::sql::query(&format!("DELETE FROM {}", q(t)))
                .execute(dtx.conn())
                .await?;
        }
    }
    let mut sums = Vec::with_capacity(s_tables.len());
    for t in &s_tables {
        let sum = copy_table(&mut stx, dtx.conn(), t).await?;
        progress(&sum);
        sums.push(sum);
    }
    stx.rollback().await?;
    if dst.backend() == Backend::Postgres {
        fix_identities(dtx.conn()).await?;
    }
    before_verify(&mut dtx).await?;
    let mut tables = Vec::with_capacity(sums.len());
    for (t, source) in s_tables.iter().zip(sums) {
        let target = sum_table(dtx.conn(), t).await?;
        tables.push(TableReport { source, target });
    }
    let report = Report {
        tables,
        schema_version: s_versions.keys().next_back().copied().unwrap_or(0),
        elapsed: Duration::ZERO,
    };
    if !report.same() {
        // Dropping the transaction rolls the copy back: the target stays empty.
        return Err(TransferError::Mismatch(mismatches(&report)));
    }
    dtx.commit().await?;
    Ok(Report {
        elapsed: started.elapsed(),
        ..report
    })
}

fn mismatches(r: &Report) -> String {
    r.tables
        .iter()
        .filter(|t| !t.same())
        .map(|t| {
            format!(
                "{}: source {} rows {}…, target {} rows {}…",
                t.source.table,
                t.source.rows,
                &t.source.checksum[..12],
                t.target.rows,
                &t.target.checksum[..12]
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Test support: [`copy`] with a change made to the target after copying and before the
/// verification, to show that the verification notices it and rolls everything back.
#[doc(hidden)]
pub async fn copy_tampered(src: &Db, dst: &Db, tamper: Hook) -> TResult<Report> {
    copy_inner(src, dst, &mut |_| {}, tamper).await
}

// ---------------------------------------------------------------------------------------------
// Backup files

/// The facts a backup file records about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    pub format: i64,
    pub created_at: String,
    pub source_backend: String,
    pub schema_version: i64,
    pub tables: Vec<TableSum>,
}

fn sqlite_url(path: &Path) -> TResult<String> {
    let s = path
        .to_str()
        .ok_or_else(|| TransferError::Io(format!("{} is not UTF-8", path.display())))?;
    if s.contains('?') || s.contains('#') {
        return Err(TransferError::Io(format!(
            "{s}: a backup path may not contain ? or #"
        )));
    }
    Ok(format!("sqlite://{s}"))
}

fn io(what: &str, path: &Path, e: std::io::Error) -> TransferError {
    TransferError::Io(format!("{what} {}: {e}", path.display()))
}

/// Write a backup of `src` to `path` (see the module documentation): a consistent snapshot,
/// taken while the database is in use. `path` must not exist yet.
pub async fn backup_to_file(
    src: &Db,
    path: &Path,
    progress: &mut (dyn FnMut(&TableSum) + Send),
) -> TResult<Report> {
    if path.exists() {
        return Err(TransferError::Io(format!(
            "{} exists already; choose a new file name",
            path.display()
        )));
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| TransferError::Io(format!("{}: no file name", path.display())))?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let tmp: PathBuf = dir
        .unwrap_or(Path::new("."))
        .join(format!(".{name}.tmp-{}", std::process::id()));
    remove_sqlite(&tmp);
    let result = write_backup(src, &tmp, progress).await;
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            remove_sqlite(&tmp);
            return Err(e);
        }
    };
    let done = (|| {
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| io("cannot sync", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io("cannot rename to", path, e))?;
        if let Some(d) = dir {
            // The rename itself reaches the disk with the folder.
            let _ = std::fs::File::open(d).and_then(|f| f.sync_all());
        }
        Ok(())
    })();
    if done.is_err() {
        remove_sqlite(&tmp);
    }
    done.map(|()| report)
}

fn remove_sqlite(p: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut s = p.as_os_str().to_owned();
        s.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(s));
    }
}

/// A private single-connection SQLite database for a backup file: read-only for a backup being
/// restored (nothing is ever written to it), or in rollback-journal mode without syncs for the
/// temporary file a backup is written to (a failed backup is removed; the finished file is
/// synced once before its rename). Read and write share the one connection.
async fn file_db(path: &Path, writable: bool) -> TResult<Db> {
    let url = sqlite_url(path)?;
    let opts = SqliteConnectOptions::from_str(&format!(
        "{url}?mode={}",
        if writable { "rwc" } else { "ro" }
    ))?;
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if writable {
                    sqlx::Executor::execute(
                        &mut *conn,
                        "PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF; PRAGMA foreign_keys=ON",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect_with(opts)
        .await?;
    Ok(Db {
        read: Pool::Sqlite(pool.clone()),
        write: Pool::Sqlite(pool),
        backend: Backend::Sqlite,
        checkpointer: None,
        longest_wait_ms: Default::default(),
        commits: Default::default(),
        url: url.as_str().into(),
        sqlite_file: None,
    })
}

async fn write_backup(
    src: &Db,
    tmp: &Path,
    progress: &mut (dyn FnMut(&TableSum) + Send),
) -> TResult<Report> {
    let dst = file_db(tmp, true).await?;
    let result = async {
        dst.migrate().await?;
        let report = copy(src, &dst, progress).await?;
        let mut tx = dst.begin().await?;
        let c = tx.conn();
        c.execute(&format!(
            "CREATE TABLE {INFO_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL); \
             CREATE TABLE {MANIFEST_TABLE} (tbl TEXT PRIMARY KEY, rows BIGINT NOT NULL, checksum TEXT NOT NULL)"
        ))
        .await?;
        let backend = match src.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        for (k, v) in [
            ("format", BACKUP_FORMAT.to_string()),
            ("created_at", now_text()),
            ("source_backend", backend.to_string()),
            ("schema_version", report.schema_version.to_string()),
            ("lianshi_version", env!("CARGO_PKG_VERSION").to_string()),
        ] {
            crate::sql::query(&format!(
                "INSERT INTO {INFO_TABLE} (key, value) VALUES ($1, $2)"
            ))
            .bind(k)
            .bind(v)
            .execute(&mut *c)
            .await?;
        }
        for t in &report.tables {
            crate::sql::query(&format!(
                "INSERT INTO {MANIFEST_TABLE} (tbl, rows, checksum) VALUES ($1, $2, $3)"
            ))
            .bind(t.source.table.clone())
            .bind(i64::try_from(t.source.rows).unwrap_or(i64::MAX))
            .bind(t.source.checksum.clone())
            .execute(&mut *c)
            .await?;
        }
        tx.commit().await?;
        Ok::<_, TransferError>(report)
    }
    .await;
    dst.close().await;
    result
}

/// A checked backup file, open read-only as a source for [`copy`].
pub struct Backup {
    pub db: Db,
    pub info: BackupInfo,
}

impl Backup {
    pub async fn close(&self) {
        self.db.close().await;
    }
}

/// The file's length against its SQLite header: a truncated file is refused here, before
/// SQLite reads it.
fn check_header(path: &Path) -> TResult<()> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| io("cannot open", path, e))?;
    let len = f.metadata().map_err(|e| io("cannot read", path, e))?.len();
    let mut h = [0u8; 100];
    f.read_exact(&mut h).map_err(|_| {
        TransferError::BadBackup(format!(
            "{}: {len} bytes, too short for a database (truncated?)",
            path.display()
        ))
    })?;
    if &h[..16] != b"SQLite format 3\0" {
        return Err(TransferError::BadBackup(format!(
            "{} is not a SQLite database",
            path.display()
        )));
    }
    let page_size = match u16::from_be_bytes([h[16], h[17]]) {
        1 => 65_536u64,
        n => u64::from(n),
    };
    let pages = u64::from(u32::from_be_bytes([h[28], h[29], h[30], h[31]]));
    // The header's page count is valid when its "version valid for" matches the change counter.
    let valid = h[92..96] == h[24..28];
    if page_size < 512 || len % page_size != 0 || (valid && pages * page_size != len) {
        return Err(TransferError::BadBackup(format!(
            "{}: {len} bytes, but its header says {} pages of {page_size} bytes (truncated?)",
            path.display(),
            pages
        )));
    }
    Ok(())
}

/// Open and check the backup at `path` (see the module documentation) without changing it.
pub async fn open_backup(path: &Path) -> TResult<Backup> {
    check_header(path)?;
    let db = file_db(path, false).await?;
    match check_backup(&db, path).await {
        Ok(info) => Ok(Backup { db, info }),
        Err(e) => {
            db.close().await;
            Err(e)
        }
    }
}

async fn check_backup(db: &Db, path: &Path) -> TResult<BackupInfo> {
    let bad = |m: String| TransferError::BadBackup(format!("{}: {m}", path.display()));
    let mut conn = db.reader().acquire().await?;
    let check: Vec<(String,)> = crate::sql::query_as("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| bad(format!("unreadable ({e})")))?;
    if check.len() != 1 || check[0].0 != "ok" {
        let first: Vec<String> = check.into_iter().take(3).map(|(s,)| s).collect();
        return Err(bad(format!("damaged: {}", first.join("; "))));
    }
    let tables: Vec<(String,)> =
        crate::sql::query_as("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut conn)
            .await?;
    let has = |t: &str| tables.iter().any(|(n,)| n == t);
    if !has(INFO_TABLE) || !has(MANIFEST_TABLE) || !has("schema_migrations") {
        return Err(bad("not a Lianshi backup (no manifest)".into()));
    }
    let kv: BTreeMap<String, String> =
        crate::sql::query_as::<(String, String)>(&format!("SELECT key, value FROM {INFO_TABLE}"))
            .fetch_all(&mut conn)
            .await?
            .into_iter()
            .collect();
    let get = |k: &str| kv.get(k).cloned().unwrap_or_default();
    let format: i64 = get("format").parse().unwrap_or(0);
    if format != BACKUP_FORMAT {
        return Err(bad(format!(
            "backup format {} is not {BACKUP_FORMAT}, the one this build reads",
            get("format")
        )));
    }
    let versions = versions_on(&mut conn).await?;
    let newer: Vec<String> = versions
        .iter()
        .filter(|(v, _)| !MIGRATIONS.iter().any(|m| m.version == **v))
        .map(|(_, n)| n.clone())
        .collect();
    if !newer.is_empty() {
        let ours = MIGRATIONS.last().map(|m| m.name).unwrap_or("none");
        return Err(TransferError::NewerSchema(format!(
            "{} records migration {} that this build (up to {ours}) does not have; restore it with the version that made it",
            path.display(),
            newer.join(", ")
        )));
    }
    for (v, n) in &versions {
        if let Some(m) = MIGRATIONS.iter().find(|m| m.version == *v)
            && m.name != n
        {
            return Err(bad(format!(
                "records migration {v} as {n}, this build's is {}",
                m.name
            )));
        }
    }
    let missing: Vec<&str> = MIGRATIONS
        .iter()
        .filter(|m| !versions.contains_key(&m.version))
        .map(|m| m.name)
        .collect();
    if !missing.is_empty() {
        return Err(TransferError::OlderSchema(format!(
            "{} lacks migrations {}",
            path.display(),
            missing.join(", ")
        )));
    }
    let manifest: Vec<(String, i64, String)> = crate::sql::query_as(&format!(
        "SELECT tbl, rows, checksum FROM {MANIFEST_TABLE} ORDER BY tbl"
    ))
    .fetch_all(&mut conn)
    .await?;
    drop(conn);
    let manifest: BTreeMap<String, TableSum> = manifest
        .into_iter()
        .map(|(t, rows, checksum)| {
            (
                t.clone(),
                TableSum {
                    table: t,
                    rows: u64::try_from(rows).unwrap_or(u64::MAX),
                    checksum,
                },
            )
        })
        .collect();
    let actual = checksums(db).await?;
    let mut diffs = Vec::new();
    for a in &actual {
        match manifest.get(&a.table) {
            None => diffs.push(format!("table {} is not in the manifest", a.table)),
            Some(m) if m != a => diffs.push(format!(
                "table {} holds {} rows (checksum {}…), the manifest says {} rows ({}…)",
                a.table,
                a.rows,
                &a.checksum[..12],
                m.rows,
                m.checksum.get(..12).unwrap_or("")
            )),
            _ => {}
        }
    }
    for t in manifest.keys() {
        if !actual.iter().any(|a| a.table == *t) {
            diffs.push(format!("table {t} of the manifest is missing"));
        }
    }
    if !diffs.is_empty() {
        return Err(bad(format!(
            "does not match its manifest: {}",
            diffs.join("; ")
        )));
    }
    Ok(BackupInfo {
        format,
        created_at: get("created_at"),
        source_backend: get("source_backend"),
        schema_version: versions.keys().next_back().copied().unwrap_or(0),
        tables: actual,
    })
}

/// Restore a checked backup into the empty, migrated `dst` and verify the result against the
/// backup's manifest as well as the file.
pub async fn restore(
    backup: &Backup,
    dst: &Db,
    progress: &mut (dyn FnMut(&TableSum) + Send),
) -> TResult<Report> {
    let report = copy(&backup.db, dst, progress).await?;
    let copied: Vec<TableSum> = report.tables.iter().map(|t| t.target.clone()).collect();
    if copied != backup.info.tables {
        return Err(TransferError::Mismatch(
            "the restored tables differ from the backup's manifest".into(),
        ));
    }
    Ok(report)
}
