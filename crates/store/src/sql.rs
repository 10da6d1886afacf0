//! Typed access to SQLite and PostgreSQL behind one query text (issue 11).
//!
//! The store writes each query once, with `$1` placeholders, and binds plain Rust values
//! (`i64`, `f64`, `bool`, text). This module runs it on the backend's own sqlx driver — a
//! `SqlitePool` or a `PgPool`, never sqlx's `Any` driver — and decodes the backend's own rows:
//!
//! - **Binding.** [`Query::bind`] records the value as an [`Arg`]; at execution the arguments
//!   are bound to a typed `sqlx::query::<Sqlite>` or `sqlx::query::<Postgres>`.
//! - **PostgreSQL's native types.** PostgreSQL keeps timestamps as `timestamptz`, days as
//!   `date`, flags as `boolean` and documents as `jsonb`, while the store passes them as RFC 3339
//!   text, `YYYY-MM-DD` text, 0/1 and JSON text (SQLite's storage, and the app's values). So on
//!   PostgreSQL a statement's parameter types are first asked of the server (a `Parse` without
//!   types: the server infers each parameter from its use), once per statement text and process
//!   ([`ParamTypes`]), and each argument is bound as the type the server expects: text to
//!   `timestamptz`, `date` or `jsonb`, 0/1 to `boolean`, `i64` to `int4` where a column is one.
//!   A statement whose parameters the server cannot infer (`SELECT $1`) binds the values' own
//!   types, as sqlx does.
//! - **Decoding.** [`Row::try_get`] reads a column as the Rust type asked for ([`FromCol`]):
//!   a `timestamptz` as its RFC 3339 UTC text with milliseconds (the text [`crate::now_text`]
//!   writes), a `date` as `YYYY-MM-DD`, a `jsonb` as compact JSON text, a `boolean` as `bool` or
//!   0/1. Nothing is copied into an intermediate row; the backend's row is read in place.

use crate::Backend;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgRow, PgTypeInfo};
use sqlx::sqlite::{SqliteArguments, SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{ColumnIndex, Connection, Either, Executor, Postgres, Sqlite, Transaction};
use sqlx::{Row as _, TypeInfo, ValueRef};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

type SqlxResult<T> = std::result::Result<T, sqlx::Error>;

/// A bound value, before it is given to the backend's driver.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Null,
    I64(i64),
    F64(f64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

macro_rules! arg_from {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl From<$t> for Arg {
            fn from($v: $t) -> Arg {
                $e
            }
        })*
    };
}

arg_from! {
    i64 => |v| Arg::I64(v),
    &i64 => |v| Arg::I64(*v),
    i32 => |v| Arg::I64(i64::from(v)),
    u32 => |v| Arg::I64(i64::from(v)),
    f64 => |v| Arg::F64(v),
    &f64 => |v| Arg::F64(*v),
    bool => |v| Arg::Bool(v),
    String => |v| Arg::Text(v),
    &String => |v| Arg::Text(v.clone()),
    &str => |v| Arg::Text(v.to_string()),
    &&str => |v| Arg::Text((*v).to_string()),
    Vec<u8> => |v| Arg::Bytes(v),
    &Option<String> => |v| v.as_deref().map_or(Arg::Null, |s| Arg::Text(s.to_string())),
    &Option<i64> => |v| v.map_or(Arg::Null, Arg::I64),
}

impl<T: Into<Arg>> From<Option<T>> for Arg {
    fn from(v: Option<T>) -> Arg {
        v.map_or(Arg::Null, Into::into)
    }
}

/// The parameter types PostgreSQL infers for each statement text, asked once per text and
/// process (see the module documentation). `None`: the server could not infer them; the values'
/// own types are bound.
///
/// The server is asked on the connection that will run the statement (another connection could
/// wait for a lock that the statement's own transaction holds, e.g. a migration's `ALTER TABLE`,
/// and would not see the tables that transaction made); inside a transaction the question is
/// wrapped in a savepoint, because a `Parse` the server refuses aborts the transaction.
#[derive(Debug, Default)]
pub struct ParamTypes {
    known: RwLock<HashMap<Box<str>, Arc<[PgTypeInfo]>>>,
}

/// Statement texts remembered at most (texts built with a variable number of placeholders are
/// many); past it the memory is cleared and refilled as statements run.
const PARAM_TYPES_MAX: usize = 4096;

/// What the server said of a statement's parameters.
enum Asked {
    Types(Arc<[PgTypeInfo]>),
    Refused,
}

impl ParamTypes {
    /// The parameter types for `sql`, run with `args`: first as the server infers them all; if it
    /// cannot (a `CASE … THEN $2` whose branches are all parameters is text to it) or infers a
    /// type an argument cannot be bound as, with the numbers, flags and bytes declared as their
    /// own types and only the texts and NULLs inferred. `None`: the values' own types (the
    /// statement then fails with the server's own message, or needs nothing more).
    async fn of(
        &self,
        conn: &mut PgConnection,
        in_tx: bool,
        sql: &str,
        args: &[Arg],
    ) -> SqlxResult<Option<Arc<[PgTypeInfo]>>> {
        if let Ok(known) = self.known.read()
            && let Some(t) = known.get(sql)
        {
            return Ok(Some(t.clone()));
        }
        let inferred = PgTypeInfo::with_oid(sqlx::postgres::types::Oid(0));
        let partial: Vec<PgTypeInfo> = args
            .iter()
            .map(|a| match a {
                Arg::I64(_) => <i64 as sqlx::Type<Postgres>>::type_info(),
                Arg::F64(_) => <f64 as sqlx::Type<Postgres>>::type_info(),
                Arg::Bool(_) => <bool as sqlx::Type<Postgres>>::type_info(),
                Arg::Bytes(_) => <Vec<u8> as sqlx::Type<Postgres>>::type_info(),
                Arg::Text(_) | Arg::Null => inferred.clone(),
            })
            .collect();
        for declared in [&[][..], &partial[..]] {
            let Asked::Types(t) = ask(conn, in_tx, sql, declared).await? else {
                continue;
            };
            if !args.iter().zip(t.iter()).all(|(a, ty)| fits(a, ty.name())) {
                // The driver keeps the prepared statement by its text: forget it, so the next
                // question (or the run) prepares it anew with the types declared then.
                conn.clear_cached_statements().await?;
                continue;
            }
            {
                if let Ok(mut known) = self.known.write() {
                    if known.len() >= PARAM_TYPES_MAX {
                        known.clear();
                    }
                    known.insert(sql.into(), t.clone());
                }
                return Ok(Some(t));
            }
        }
        // Not remembered: a statement refused now (a table not made yet) may be fine later.
        Ok(None)
    }

    /// Forget what was learnt (after a schema change on this database).
    pub fn forget(&self) {
        if let Ok(mut known) = self.known.write() {
            known.clear();
        }
    }
}

/// Ask the server to prepare `sql` with the `declared` parameter types (fewer than the
/// parameters, or the unspecified type: the server infers the rest); inside a transaction under
/// a savepoint, since a refused `Parse` aborts the transaction.
async fn ask(
    conn: &mut PgConnection,
    in_tx: bool,
    sql: &str,
    declared: &[PgTypeInfo],
) -> SqlxResult<Asked> {
    if in_tx {
        conn.execute("SAVEPOINT lianshi_param_types").await?;
    }
    let asked = conn
        .prepare_with(sql, declared)
        .await
        .map(|st| match sqlx::Statement::parameters(&st) {
            Some(Either::Left(ts)) => Some(Arc::<[PgTypeInfo]>::from(ts)),
            _ => None,
        });
    if in_tx {
        if asked.is_err() {
            conn.execute("ROLLBACK TO SAVEPOINT lianshi_param_types")
                .await?;
        }
        conn.execute("RELEASE SAVEPOINT lianshi_param_types")
            .await?;
    }
    match asked {
        Ok(Some(t)) => Ok(Asked::Types(t)),
        Ok(None) | Err(sqlx::Error::Database(_)) => Ok(Asked::Refused),
        Err(e) => Err(e),
    }
}

/// Whether `a` can be bound as the PostgreSQL type named `ty` (see [`bind_pg`]).
fn fits(a: &Arg, ty: &str) -> bool {
    // Texts are checked when bound (a text that is not a timestamp is an error naming it).
    match (a, ty) {
        (Arg::Null, _) => true,
        (Arg::I64(_), "INT8" | "INT4" | "INT2" | "FLOAT8" | "BOOL") => true,
        (Arg::Bool(_), "BOOL" | "INT8") => true,
        (Arg::F64(_), "FLOAT8" | "FLOAT4") => true,
        (Arg::Bytes(_), "BYTEA") => true,
        (Arg::Text(_), t) => !matches!(
            t,
            "INT8" | "INT4" | "INT2" | "FLOAT8" | "FLOAT4" | "BOOL" | "BYTEA" | "NUMERIC"
        ),
        _ => false,
    }
}

/// A connection pool of one backend.
#[derive(Debug, Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool, Arc<ParamTypes>),
}

impl Pool {
    pub fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(..) => Backend::Postgres,
        }
    }

    /// A connection of the pool, returned to it when dropped.
    pub async fn acquire(&self) -> SqlxResult<Conn> {
        Ok(match self {
            Pool::Sqlite(p) => Conn::Sqlite(p.acquire().await?),
            Pool::Postgres(p, t) => Conn::Postgres(p.acquire().await?, t.clone()),
        })
    }

    /// Begin a transaction with `BEGIN` (or, on SQLite, the statement given).
    pub(crate) async fn begin_with(&self, sqlite_begin: &'static str) -> SqlxResult<Conn> {
        Ok(match self {
            Pool::Sqlite(p) => Conn::SqliteTx(p.begin_with(sqlite_begin).await?),
            Pool::Postgres(p, t) => Conn::PostgresTx(p.begin().await?, t.clone()),
        })
    }

    /// Begin a transaction with the given statement on either backend.
    pub(crate) async fn begin_with_both(&self, begin: &'static str) -> SqlxResult<Conn> {
        Ok(match self {
            Pool::Sqlite(p) => Conn::SqliteTx(p.begin_with(begin).await?),
            Pool::Postgres(p, t) => Conn::PostgresTx(p.begin_with(begin).await?, t.clone()),
        })
    }

    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p, _) => p.close().await,
        }
    }
}

/// One connection: a pool's, or the connection of an open transaction.
#[derive(Debug)]
pub enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>, Arc<ParamTypes>),
    SqliteTx(Transaction<'static, Sqlite>),
    PostgresTx(Transaction<'static, Postgres>, Arc<ParamTypes>),
}

impl Conn {
    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) | Conn::SqliteTx(_) => Backend::Sqlite,
            Conn::Postgres(..) | Conn::PostgresTx(..) => Backend::Postgres,
        }
    }

    /// Run `sql`, which may hold several statements and no parameters (a migration's text),
    /// through the simple-query protocol.
    pub async fn execute(&mut self, sql: &str) -> SqlxResult<Done> {
        Ok(Done(match self {
            Conn::Sqlite(c) => c.execute(sql).await?.rows_affected(),
            Conn::SqliteTx(c) => c.execute(sql).await?.rows_affected(),
            Conn::Postgres(c, _) => c.execute(sql).await?.rows_affected(),
            Conn::PostgresTx(c, _) => c.execute(sql).await?.rows_affected(),
        }))
    }

    /// Commit the transaction (a pool connection has nothing to commit).
    pub async fn commit(self) -> SqlxResult<()> {
        match self {
            Conn::SqliteTx(t) => t.commit().await,
            Conn::PostgresTx(t, _) => t.commit().await,
            Conn::Sqlite(_) | Conn::Postgres(..) => Ok(()),
        }
    }

    /// Roll the transaction back (a pool connection has nothing to roll back).
    pub async fn rollback(self) -> SqlxResult<()> {
        match self {
            Conn::SqliteTx(t) => t.rollback().await,
            Conn::PostgresTx(t, _) => t.rollback().await,
            Conn::Sqlite(_) | Conn::Postgres(..) => Ok(()),
        }
    }

    /// Whether the connection is still usable (a round trip).
    pub async fn ping(&mut self) -> SqlxResult<()> {
        match self {
            Conn::Sqlite(c) => c.ping().await,
            Conn::SqliteTx(c) => c.ping().await,
            Conn::Postgres(c, _) => c.ping().await,
            Conn::PostgresTx(c, _) => c.ping().await,
        }
    }
}

/// Where a statement runs: a pool (a connection is taken for it) or a connection.
pub enum Target<'e> {
    SqlitePool(&'e SqlitePool),
    PostgresPool(&'e PgPool, &'e ParamTypes),
    Sqlite(&'e mut SqliteConnection),
    /// A connection, whether it is in a transaction, and the parameter types asked so far.
    Postgres(&'e mut PgConnection, bool, &'e ParamTypes),
}

impl<'e> From<&'e Pool> for Target<'e> {
    fn from(p: &'e Pool) -> Target<'e> {
        match p {
            Pool::Sqlite(p) => Target::SqlitePool(p),
            Pool::Postgres(p, t) => Target::PostgresPool(p, t),
        }
    }
}

impl<'e> From<&'e mut Conn> for Target<'e> {
    fn from(c: &'e mut Conn) -> Target<'e> {
        match c {
            Conn::Sqlite(c) => Target::Sqlite(c),
            Conn::Postgres(c, t) => Target::Postgres(c, false, t),
            Conn::SqliteTx(c) => Target::Sqlite(c),
            Conn::PostgresTx(c, t) => Target::Postgres(c, true, t),
        }
    }
}

/// What a statement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done(u64);

impl Done {
    pub fn rows_affected(&self) -> u64 {
        self.0
    }
}

/// The `WHERE` of a dynamically built query: clauses with their arguments, numbered in order.
#[derive(Debug, Default)]
pub(crate) struct Where {
    pub sql: Vec<String>,
    pub args: Vec<Arg>,
}

impl Where {
    /// Add `arg` and the clause `clause(n)` that uses it as `$n`.
    pub fn push(&mut self, clause: impl FnOnce(usize) -> String, arg: Arg) {
        self.args.push(arg);
        let n = self.args.len();
        self.sql.push(clause(n));
    }

    /// ` WHERE a AND b …`, or nothing.
    pub fn text(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.sql.join(" AND "))
        }
    }
}

/// A statement with its arguments (see the module documentation).
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is executed or fetched"]
pub struct Query<'q> {
    sql: &'q str,
    args: Vec<Arg>,
    persistent: bool,
}

/// A statement written with `$1` placeholders.
pub fn query(sql: &str) -> Query<'_> {
    Query {
        sql,
        args: Vec::new(),
        persistent: true,
    }
}

/// A statement whose rows are decoded as `T` (a tuple of columns).
pub fn query_as<T: FromRow>(sql: &str) -> QueryAs<'_, T> {
    QueryAs {
        q: query(sql),
        _t: std::marker::PhantomData,
    }
}

/// A statement whose rows are one column each, decoded as `T`.
pub fn query_scalar<T: FromCol>(sql: &str) -> QueryScalar<'_, T> {
    QueryScalar(query_as(sql))
}

/// A statement whose rows are one column each ([`query_scalar`]).
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is fetched"]
pub struct QueryScalar<'q, T>(QueryAs<'q, (T,)>);

impl<'q, T: FromCol> QueryScalar<'q, T> {
    pub fn bind<A: Into<Arg>>(self, v: A) -> Self {
        QueryScalar(self.0.bind(v))
    }

    pub async fn fetch_all<'e>(self, target: impl Into<Target<'e>>) -> SqlxResult<Vec<T>> {
        Ok(self
            .0
            .fetch_all(target)
            .await?
            .into_iter()
            .map(|(v,)| v)
            .collect())
    }

    pub async fn fetch_optional<'e>(self, target: impl Into<Target<'e>>) -> SqlxResult<Option<T>> {
        Ok(self.0.fetch_optional(target).await?.map(|(v,)| v))
    }

    pub async fn fetch_one<'e>(self, target: impl Into<Target<'e>>) -> SqlxResult<T> {
        Ok(self.0.fetch_one(target).await?.0)
    }
}

fn bind_sqlite<'q>(
    mut q: sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>> {
    for a in args {
        q = match a {
            Arg::Null => q.bind(None::<i64>),
            Arg::I64(v) => q.bind(v),
            Arg::F64(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
            Arg::Bytes(v) => q.bind(v),
        };
    }
    q
}

fn encode_error(n: usize, sql: &str, what: impl std::fmt::Display) -> sqlx::Error {
    let head: String = sql.chars().take(120).collect();
    sqlx::Error::Encode(format!("parameter ${n} of `{head}`: {what}").into())
}

/// RFC 3339 text as an instant; or the start, in UTC, of a period written as a leading part of
/// one (`2026`, `2026-12`, `2026-12-08`, `2026-12-08T09:30`): compared with a timestamp, such a
/// bound means on PostgreSQL what it means to SQLite's text comparison, where
/// `at >= '2026-12'` holds from the first instant of December 2026 on.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    const START: &str = "0000-01-01T00:00:00.000Z";
    let rest = START.get(s.len()..)?;
    // A leading part only: digits where the template has digits, its separators elsewhere.
    let shaped = s.len() >= 4
        && s.bytes().zip(START.bytes()).all(|(c, t)| {
            if t.is_ascii_digit() {
                c.is_ascii_digit()
            } else {
                c == t || (t == b'T' && c == b' ')
            }
        });
    if !shaped {
        return None;
    }
    let full = format!("{}{rest}", s.replacen(' ', "T", 1));
    DateTime::parse_from_rfc3339(&full)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `YYYY-MM-DD` text (or the day of an RFC 3339 instant's text) as a day.
fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().or_else(|| {
        s.get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    })
}

/// An instant as the store's timestamp text (RFC 3339, UTC, milliseconds).
pub fn instant_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn bind_pg<'q>(
    sql: &'q str,
    args: Vec<Arg>,
    types: Option<&[PgTypeInfo]>,
) -> SqlxResult<sqlx::query::Query<'q, Postgres, PgArguments>> {
    let mut q = sqlx::query::<Postgres>(sql);
    for (i, a) in args.into_iter().enumerate() {
        let n = i + 1;
        let ty = types.and_then(|t| t.get(i)).map(|t| t.name());
        q = match (ty, a) {
            (None, Arg::Null) => q.bind(None::<String>),
            (None, Arg::I64(v)) => q.bind(v),
            (None, Arg::F64(v)) => q.bind(v),
            (None, Arg::Bool(v)) => q.bind(v),
            (None, Arg::Text(v)) => q.bind(v),
            (None, Arg::Bytes(v)) => q.bind(v),
            (Some(t), Arg::Null) => match t {
                "INT8" => q.bind(None::<i64>),
                "INT4" => q.bind(None::<i32>),
                "INT2" => q.bind(None::<i16>),
                "FLOAT8" => q.bind(None::<f64>),
                "FLOAT4" => q.bind(None::<f32>),
                "BOOL" => q.bind(None::<bool>),
                "TIMESTAMPTZ" => q.bind(None::<DateTime<Utc>>),
                "DATE" => q.bind(None::<NaiveDate>),
                "JSONB" | "JSON" => q.bind(None::<sqlx::types::JsonValue>),
                "BYTEA" => q.bind(None::<Vec<u8>>),
                _ => q.bind(None::<String>),
            },
            (Some("INT8"), Arg::I64(v)) => q.bind(v),
            (Some("INT8"), Arg::Bool(v)) => q.bind(i64::from(v)),
            (Some("INT4"), Arg::I64(v)) => q.bind(
                i32::try_from(v)
                    .map_err(|_| encode_error(n, sql, format!("{v} is not an int4")))?,
            ),
            (Some("INT2"), Arg::I64(v)) => q.bind(
                i16::try_from(v)
                    .map_err(|_| encode_error(n, sql, format!("{v} is not an int2")))?,
            ),
            (Some("FLOAT8"), Arg::F64(v)) => q.bind(v),
            #[allow(clippy::cast_precision_loss)]
            (Some("FLOAT8"), Arg::I64(v)) => q.bind(v as f64),
            #[allow(clippy::cast_possible_truncation)]
            (Some("FLOAT4"), Arg::F64(v)) => q.bind(v as f32),
            (Some("BOOL"), Arg::Bool(v)) => q.bind(v),
            (Some("BOOL"), Arg::I64(v)) => q.bind(v != 0),
            (Some("TIMESTAMPTZ"), Arg::Text(v)) => q.bind(
                parse_instant(&v)
                    .ok_or_else(|| encode_error(n, sql, format!("{v:?} is not a timestamp")))?,
            ),
            (Some("DATE"), Arg::Text(v)) => q.bind(
                parse_day(&v).ok_or_else(|| encode_error(n, sql, format!("{v:?} is not a day")))?,
            ),
            (Some("JSONB" | "JSON"), Arg::Text(v)) => q.bind(
                serde_json::from_str::<sqlx::types::JsonValue>(&v)
                    .map_err(|e| encode_error(n, sql, format!("not JSON ({e})")))?,
            ),
            (Some("BYTEA"), Arg::Bytes(v)) => q.bind(v),
            (Some(_), Arg::Text(v)) => q.bind(v),
            (Some(t), a) => {
                return Err(encode_error(n, sql, format!("cannot bind {a:?} as {t}")));
            }
        };
    }
    Ok(q)
}

impl<'q> Query<'q> {
    pub fn bind<T: Into<Arg>>(mut self, v: T) -> Self {
        self.args.push(v.into());
        self
    }

    /// Bind each of `args` in order.
    pub fn bind_all(mut self, args: &[Arg]) -> Self {
        self.args.extend(args.iter().cloned());
        self
    }

    /// Whether the driver keeps the prepared statement for the next use of the same text (yes
    /// by default; no for texts built for one use).
    pub fn persistent(mut self, keep: bool) -> Self {
        self.persistent = keep;
        self
    }

    /// The statement's text.
    pub fn sql(&self) -> &'q str {
        self.sql
    }

    async fn pg(
        self,
        conn: &mut PgConnection,
        in_tx: bool,
        types: &ParamTypes,
    ) -> SqlxResult<sqlx::query::Query<'q, Postgres, PgArguments>> {
        let t = if self.args.is_empty() {
            None
        } else {
            types.of(conn, in_tx, self.sql, &self.args).await?
        };
        Ok(bind_pg(self.sql, self.args, t.as_deref())?.persistent(self.persistent))
    }

    pub async fn execute<'e>(self, target: impl Into<Target<'e>>) -> SqlxResult<Done> {
        Ok(Done(match target.into() {
            Target::SqlitePool(p) => {
                bind_sqlite(sqlx::query(self.sql).persistent(self.persistent), self.args)
                    .execute(p)
                    .await?
                    .rows_affected()
            }
            Target::Sqlite(c) => {
                bind_sqlite(sqlx::query(self.sql).persistent(self.persistent), self.args)
                    .execute(c)
                    .await?
                    .rows_affected()
            }
            Target::PostgresPool(p, t) => {
                let mut c = p.acquire().await?;
                self.pg(&mut c, false, t)
                    .await?
                    .execute(&mut *c)
                    .await?
                    .rows_affected()
            }
            Target::Postgres(c, x, t) => self
                .pg(c, x, t)
                .await?
                .execute(&mut *c)
                .await?
                .rows_affected(),
        }))
    }

    pub async fn fetch_all<'e>(self, target: impl Into<Target<'e>>) -> SqlxResult<Vec<Row>> {
        Ok(match target.into() {
            Target::SqlitePool(p) => wrap_sqlite(
                bind_sqlite(sqlx::query(self.sql).persistent(self.persistent), self.args)
                    .fetch_all(p)
                    .await?,
            ),
            Target::Sqlite(c) => wrap_sqlite(
                bind_sqlite(sqlx::query(self.sql).persistent(self.persistent), self.args)
                    .fetch_all(c)
                    .await?,
            ),
            Target::PostgresPool(p, t) => {
                let mut c = p.acquire().await?;
                wrap_pg(self.pg(&mut c, false, t).await?.fetch_all(&mut *c).await?)
            }
            Target::Postgres(c, x, t) => wrap_pg(self.pg(c, x, t).await?.fetch_all(&mut *c).await?),
        })
    }

    pub async fn fetch_optional<'e>(
        self,
        target: impl Into<Target<'e>>,
    ) -> SqlxResult<Option<Row>> {
        Ok(match target.into() {
            Target::SqlitePool(p) => {
                bind_sqlite(sqlx::query(self.sql).persistent(self.persistent), self.args)
                    .fetch_optional(p)
                    .await?
                    .map(Row::Sqlite)
            }
            Target::Sqlite(c) => {
                bind_sqlite(sqlx::query(self.sql).persistent(self.persistent), self.args)
                    .fetch_optional(c)
                    .await?
                    .map(Row::Sqlite)
            }
            Target::PostgresPool(p, t) => {
                let mut c = p.acquire().await?;
                self.pg(&mut c, false, t)
                    .await?
                    .fetch_optional(&mut *c)
                    .await?
                    .map(Row::Postgres)
            }
            Target::Postgres(c, x, t) => self
                .pg(c, x, t)
                .await?
                .fetch_optional(&mut *c)
                .await?
                .map(Row::Postgres),
        })
    }

    pub async fn fetch_one<'e>(self, target: impl Into<Target<'e>>) -> SqlxResult<Row> {
        self.fetch_optional(target)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }
}

fn wrap_sqlite(rows: Vec<SqliteRow>) -> Vec<Row> {
    rows.into_iter().map(Row::Sqlite).collect()
}

fn wrap_pg(rows: Vec<PgRow>) -> Vec<Row> {
    rows.into_iter().map(Row::Postgres).collect()
}

/// A statement whose rows decode as `T` ([`query_as`], [`query_scalar`]).
#[derive(Debug, Clone)]
#[must_use = "a query does nothing until it is fetched"]
pub struct QueryAs<'q, T> {
    q: Query<'q>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<'q, T: FromRow> QueryAs<'q, T> {
    pub fn bind<A: Into<Arg>>(mut self, v: A) -> Self {
        self.q = self.q.bind(v);
        self
    }

    pub async fn fetch_all<'e>(self, target: impl Into<Target<'e>>) -> SqlxResult<Vec<T>> {
        self.q
            .fetch_all(target)
            .await?
            .iter()
            .map(T::from_row)
            .collect()
    }

    pub async fn fetch_optional<'e>(self, target: impl Into<Target<'e>>) -> SqlxResult<Option<T>> {
        self.q
            .fetch_optional(target)
            .await?
            .as_ref()
            .map(T::from_row)
            .transpose()
    }

    pub async fn fetch_one<'e>(self, target: impl Into<Target<'e>>) -> SqlxResult<T> {
        T::from_row(&self.q.fetch_one(target).await?)
    }
}

/// A row of either backend, read in place.
pub enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

/// A column position or name, on either backend's row.
pub trait Col: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> + Copy + std::fmt::Debug {}
impl<T: ColumnIndex<SqliteRow> + ColumnIndex<PgRow> + Copy + std::fmt::Debug> Col for T {}

impl Row {
    /// Column `i` (a position or a name) as `T` (see [`FromCol`]).
    pub fn try_get<T: FromCol, I: Col>(&self, i: I) -> SqlxResult<T> {
        match self {
            Row::Sqlite(r) => T::sqlite(r, i),
            Row::Postgres(r) => T::postgres(r, i),
        }
    }

    /// How many columns the row has.
    pub fn len(&self) -> usize {
        match self {
            Row::Sqlite(r) => r.len(),
            Row::Postgres(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether column `i` is NULL.
    pub fn is_null<I: Col>(&self, i: I) -> SqlxResult<bool> {
        Ok(match self {
            Row::Sqlite(r) => r.try_get_raw(i)?.is_null(),
            Row::Postgres(r) => r.try_get_raw(i)?.is_null(),
        })
    }

    /// Column `i` as a backend-neutral [`Value`], by the type of the value (SQLite) or column
    /// (PostgreSQL): booleans as 0/1, timestamps, days and documents as their text.
    pub fn value<I: Col>(&self, i: I) -> SqlxResult<Value> {
        match self {
            Row::Sqlite(r) => {
                let name = {
                    let raw = r.try_get_raw(i)?;
                    if raw.is_null() {
                        return Ok(Value::Null);
                    }
                    raw.type_info().name().to_string()
                };
                Ok(match name.as_str() {
                    "INTEGER" | "BOOLEAN" => Value::Int(r.try_get(i)?),
                    "REAL" => Value::Real(r.try_get(i)?),
                    "BLOB" => Value::Blob(r.try_get(i)?),
                    _ => Value::Text(r.try_get(i)?),
                })
            }
            Row::Postgres(r) => {
                let name = {
                    let raw = r.try_get_raw(i)?;
                    if raw.is_null() {
                        return Ok(Value::Null);
                    }
                    raw.type_info().name().to_string()
                };
                Ok(match name.as_str() {
                    "INT8" | "INT4" | "INT2" | "BOOL" => Value::Int(i64::postgres(r, i)?),
                    "FLOAT8" | "FLOAT4" => Value::Real(f64::postgres(r, i)?),
                    "BYTEA" => Value::Blob(r.try_get(i)?),
                    _ => Value::Text(String::postgres(r, i)?),
                })
            }
        }
    }
}

/// A column value, the same on both backends ([`Row::value`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<Value> for Arg {
    fn from(v: Value) -> Arg {
        match v {
            Value::Null => Arg::Null,
            Value::Int(i) => Arg::I64(i),
            Value::Real(f) => Arg::F64(f),
            Value::Text(s) => Arg::Text(s),
            Value::Blob(b) => Arg::Bytes(b),
        }
    }
}

/// A Rust type a column is read as, on either backend.
pub trait FromCol: Sized {
    fn sqlite<I: Col>(r: &SqliteRow, i: I) -> SqlxResult<Self>;
    fn postgres<I: Col>(r: &PgRow, i: I) -> SqlxResult<Self>;
}

fn pg_type<I: Col>(r: &PgRow, i: I) -> SqlxResult<Option<String>> {
    let raw = r.try_get_raw(i)?;
    Ok(if raw.is_null() {
        None
    } else {
        Some(raw.type_info().name().to_string())
    })
}

fn decode_error<I: Col>(i: I, what: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: format!("{i:?}"),
        source: what.into(),
    }
}

impl FromCol for i64 {
    fn sqlite<I: Col>(r: &SqliteRow, i: I) -> SqlxResult<Self> {
        r.try_get(i)
    }
    fn postgres<I: Col>(r: &PgRow, i: I) -> SqlxResult<Self> {
        match pg_type(r, i)?.as_deref() {
            Some("INT4") => r.try_get::<i32, _>(i).map(i64::from),
            Some("INT2") => r.try_get::<i16, _>(i).map(i64::from),
            Some("BOOL") => r.try_get::<bool, _>(i).map(i64::from),
            _ => r.try_get(i),
        }
    }
}

impl FromCol for i32 {
    fn sqlite<I: Col>(r: &SqliteRow, i: I) -> SqlxResult<Self> {
        r.try_get(i)
    }
    fn postgres<I: Col>(r: &PgRow, i: I) -> SqlxResult<Self> {
        let v = i64::postgres(r, i)?;
        i32::try_from(v).map_err(|_| decode_error(i, format!("{v} does not fit an i32")))
    }
}

impl FromCol for f64 {
    fn sqlite<I: Col>(r: &SqliteRow, i: I) -> SqlxResult<Self> {
        r.try_get(i)
    }
    fn postgres<I: Col>(r: &PgRow, i: I) -> SqlxResult<Self> {
        match pg_type(r, i)?.as_deref() {
            Some("FLOAT4") => r.try_get::<f32, _>(i).map(f64::from),
            #[allow(clippy::cast_precision_loss)]
            Some("INT8" | "INT4" | "INT2") => i64::postgres(r, i).map(|v| v as f64),
            _ => r.try_get(i),
        }
    }
}

impl FromCol for bool {
    fn sqlite<I: Col>(r: &SqliteRow, i: I) -> SqlxResult<Self> {
        r.try_get(i)
    }
    fn postgres<I: Col>(r: &PgRow, i: I) -> SqlxResult<Self> {
        match pg_type(r, i)?.as_deref() {
            Some("INT8" | "INT4" | "INT2") => i64::postgres(r, i).map(|v| v != 0),
            _ => r.try_get(i),
        }
    }
}

impl FromCol for String {
    fn sqlite<I: Col>(r: &SqliteRow, i: I) -> SqlxResult<Self> {
        r.try_get(i)
    }
    fn postgres<I: Col>(r: &PgRow, i: I) -> SqlxResult<Self> {
        match pg_type(r, i)?.as_deref() {
            Some("TIMESTAMPTZ") => r.try_get::<DateTime<Utc>, _>(i).map(instant_text),
            Some("DATE") => r
                .try_get::<NaiveDate, _>(i)
                .map(|d| d.format("%Y-%m-%d").to_string()),
            Some("JSONB" | "JSON") => r
                .try_get::<sqlx::types::JsonValue, _>(i)
                .map(|v| v.to_string()),
            _ => r.try_get(i),
        }
    }
}

impl FromCol for Vec<u8> {
    fn sqlite<I: Col>(r: &SqliteRow, i: I) -> SqlxResult<Self> {
        r.try_get(i)
    }
    fn postgres<I: Col>(r: &PgRow, i: I) -> SqlxResult<Self> {
        r.try_get(i)
    }
}

impl<T: FromCol> FromCol for Option<T> {
    fn sqlite<I: Col>(r: &SqliteRow, i: I) -> SqlxResult<Self> {
        if r.try_get_raw(i)?.is_null() {
            Ok(None)
        } else {
            T::sqlite(r, i).map(Some)
        }
    }
    fn postgres<I: Col>(r: &PgRow, i: I) -> SqlxResult<Self> {
        if r.try_get_raw(i)?.is_null() {
            Ok(None)
        } else {
            T::postgres(r, i).map(Some)
        }
    }
}

/// A row decoded as a tuple of columns, in order ([`query_as`]).
pub trait FromRow: Sized {
    fn from_row(r: &Row) -> SqlxResult<Self>;
}

macro_rules! tuple_from_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: FromCol),+> FromRow for ($($t,)+) {
            fn from_row(r: &Row) -> SqlxResult<Self> {
                Ok(($(r.try_get::<$t, usize>($i)?,)+))
            }
        }
    };
}

tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// Run a script of several statements without parameters (simple-query protocol).
pub async fn raw_sql<'e>(sql: &str, target: impl Into<Target<'e>>) -> SqlxResult<Done> {
    Ok(Done(match target.into() {
        Target::SqlitePool(p) => p.execute(sql).await?.rows_affected(),
        Target::Sqlite(c) => c.execute(sql).await?.rows_affected(),
        Target::PostgresPool(p, _) => p.execute(sql).await?.rows_affected(),
        Target::Postgres(c, ..) => c.execute(sql).await?.rows_affected(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_parse_whole_or_as_the_start_of_a_leading_part() {
        let at = |s: &str| parse_instant(s).map(instant_text);
        assert_eq!(
            at("2026-12-08T03:16:00.123Z").as_deref(),
            Some("2026-12-08T03:16:00.123Z")
        );
        assert_eq!(
            at("2026-12-08T11:16:00+08:00").as_deref(),
            Some("2026-12-08T03:16:00.000Z")
        );
        assert_eq!(at("2999").as_deref(), Some("2999-01-01T00:00:00.000Z"));
        assert_eq!(at("2026-12").as_deref(), Some("2026-12-01T00:00:00.000Z"));
        assert_eq!(
            at("2026-12-08").as_deref(),
            Some("2026-12-08T00:00:00.000Z")
        );
        assert_eq!(
            at("2026-12-08 09:30").as_deref(),
            Some("2026-12-08T09:30:00.000Z")
        );
        for bad in [
            "",
            "20",
            "abc",
            "2026-13",
            "2026/12/08",
            "2026-12-08Tx",
            "tomorrow",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_parse_alone_or_from_an_instant() {
        assert_eq!(
            parse_day("2026-12-08"),
            NaiveDate::from_ymd_opt(2026, 12, 8)
        );
        assert_eq!(
            parse_day("2026-12-08T03:16:00.123Z"),
            NaiveDate::from_ymd_opt(2026, 12, 8)
        );
        assert_eq!(parse_day("2026-12"), None);
    }

    #[test]
    fn values_fit_the_types_they_are_bound_as() {
        assert!(fits(&Arg::I64(1), "BOOL"));
        assert!(fits(&Arg::Text("2026-12-08".into()), "DATE"));
        assert!(fits(&Arg::Null, "INT8"));
        assert!(!fits(&Arg::Text("1".into()), "INT8"));
        assert!(!fits(&Arg::F64(1.0), "INT8"));
    }
}
