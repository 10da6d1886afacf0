//! Users and their sessions/tokens. Only hashes of tokens and passwords are stored.

use crate::sql::{Conn, Row};
use crate::{Db, Result, StoreError, now_text};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::role))]
    pub role: String,
    pub enterprise_id: Option<i64>,
    pub department_id: Option<i64>,
    #[serde(skip)]
    pub password_hash: String,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub enterprise_id: Option<i64>,
    pub department_id: Option<i64>,
    pub password_hash: String,
}

/// A live session or API token, joined with its user.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub id: i64,
    pub user: UserRow,
    pub kind: String,
    pub csrf_token: String,
    pub expires_at: String,
    pub last_seen_at: String,
}

const COLS: &str = "u.id, u.username, u.display_name, u.role, u.enterprise_id, u.department_id, u.password_hash, u.active, u.failed_logins, u.locked_until, u.created_at";

fn user(r: &Row) -> Result<UserRow> {
    Ok(UserRow {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: r.try_get("role")?,
        enterprise_id: r.try_get("enterprise_id")?,
        department_id: r.try_get("department_id")?,
        password_hash: r.try_get("password_hash")?,
        active: r.try_get::<i64, _>("active")? != 0,
        failed_logins: r.try_get("failed_logins")?,
        locked_until: r.try_get("locked_until")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Db {
    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>> {
        let r = crate::sql::query(&format!("SELECT {COLS} FROM users u WHERE u.username = $1"))
            .bind(username)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(user).transpose()
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>> {
        let r = crate::sql::query(&format!("SELECT {COLS} FROM users u WHERE u.id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(user).transpose()
    }

    pub async fn user_list(&self) -> Result<Vec<UserRow>> {
        let rows = crate::sql::query(&format!("SELECT {COLS} FROM users u ORDER BY u.id"))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(user).collect()
    }

    pub async fn user_count(&self) -> Result<i64> {
        let r = crate::sql::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(self.reader())
            .await?;
        Ok(r.try_get("n")?)
    }

    /// Record a failed login; lock until `lock_until` when `lock_until` is given.
    pub async fn user_login_failed(&self, id: i64, lock_until: Option<&str>) -> Result<()> {
        crate::sql::query(
            "UPDATE users SET failed_logins = failed_logins + 1, locked_until = COALESCE($1, locked_until) WHERE id = $2",
        )
        .bind(lock_until)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    pub async fn user_login_succeeded(&self, id: i64) -> Result<()> {
        crate::sql::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Look a session up by token hash, if not expired at `now`.
    pub async fn session_get(&self, token_hash: &str, now: &str) -> Result<Option<SessionRow>> {
        let r = crate::sql::query(&format!(
            "SELECT s.id AS sid, s.kind, s.csrf_token, s.expires_at, s.last_seen_at, {COLS} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(self.reader())
        .await?;
        match r {
            None => Ok(None),
            Some(r) => Ok(Some(SessionRow {
                id: r.try_get("sid")?,
                kind: r.try_get("kind")?,
                csrf_token: r.try_get("csrf_token")?,
                expires_at: r.try_get("expires_at")?,
                last_seen_at: r.try_get("last_seen_at")?,
                user: user(&r)?,
            })),
        }
    }

    pub async fn session_create(
        &self,
        token_hash: &str,
        user_id: i64,
        kind: &str,
        csrf: &str,
        expires_at: &str,
    ) -> Result<()> {
        let now = now_text();
        crate::sql::query(
            "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(kind)
        .bind(csrf)
        .bind(now)
        .bind(expires_at)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Slide an idle timeout forward; whether the session still exists. Sliding does not bump
    /// the `users` change counter: it only lengthens a session, and a process that cached the
    /// shorter expiry looks the session up again when that passes.
    pub async fn session_touch(&self, id: i64, now: &str, expires_at: &str) -> Result<bool> {
        Ok(crate::sql::query(
            "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3",
        )
        .bind(now)
        .bind(expires_at)
        .bind(id)
        .execute(self.writer())
        .await?
        .rows_affected()
            > 0)
    }

    /// End one session or token (logout); counted like [`session_revoke`].
    pub async fn session_delete(&self, token_hash: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        session_revoke(tx.conn(), token_hash).await?;
        tx.commit().await
    }

    /// How many writes that can change what a session resolves to have committed (see
    /// [`user_generation_bump`]); 0 before the first.
    pub async fn user_generation(&self) -> Result<i64> {
        self.counter("users").await
    }
}

/// Count one more write that can change what a session or token resolves to — a session
/// ended, a user deactivated, renamed, given a new password, role or scope — and return the new
/// value. Every such write function of this module calls it on its own connection, so the count
/// commits (or rolls back) with the write, and a process caching sessions (the app's session
/// cache) can tell with one key lookup whether any process changed users since. The row is
/// created by the first write (no migration: `change_counters` exists since 0006).
pub async fn user_generation_bump(conn: &mut Conn) -> Result<i64> {
    crate::counters::bump(conn, "users").await
}

pub async fn user_insert(conn: &mut Conn, u: &NewUser) -> Result<i64> {
    let now = now_text();
    let r = crate::sql::query(
        "INSERT INTO users (username, display_name, role, enterprise_id, department_id, password_hash, active, failed_logins, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $8, 0, $7, $7) RETURNING id",
    )
    .bind(&u.username)
    .bind(&u.display_name)
    .bind(&u.role)
    .bind(u.enterprise_id)
    .bind(u.department_id)
    .bind(&u.password_hash)
    .bind(now)
    .bind(true)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| StoreError::from_write(e, "用户名已存在 / username already exists"))?;
    Ok(r.try_get("id")?)
}

/// Run an `UPDATE users … updated_at = $n WHERE id = $n+1` whose other placeholders `q` has
/// bound: binds the time and `id`; `NotFound` when there is no such user.
async fn update_user_row<'q>(conn: &mut Conn, q: crate::sql::Query<'q>, id: i64) -> Result<()> {
    let n = q
        .bind(now_text())
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {id}")));
    }
    Ok(())
}

/// Activate/deactivate a user or set a new password hash. Ends their sessions when deactivated
/// or when the password changes.
pub async fn user_update(
    conn: &mut Conn,
    id: i64,
    active: bool,
    display_name: &str,
    password_hash: Option<&str>,
) -> Result<()> {
    let q = crate::sql::query(
        "UPDATE users SET active = $1, display_name = $2, password_hash = COALESCE($3, password_hash), updated_at = $4 WHERE id = $5",
    )
    .bind(i64::from(active))
    .bind(display_name)
    .bind(password_hash);
    update_user_row(conn, q, id).await?;
    if !active || password_hash.is_some() {
        crate::sql::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    user_generation_bump(&mut *conn).await?;
    Ok(())
}

/// Give a user a new role and scope (enterprise, department). Their sessions stay; what they
/// resolve to changes (the `users` change counter is bumped).
pub async fn user_set_role(
    conn: &mut Conn,
    id: i64,
    role: &str,
    enterprise_id: Option<i64>,
    department_id: Option<i64>,
) -> Result<()> {
    let q = crate::sql::query(
        "UPDATE users SET role = $1, enterprise_id = $2, department_id = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(role)
    .bind(enterprise_id)
    .bind(department_id);
    update_user_row(conn, q, id).await?;
    user_generation_bump(&mut *conn).await?;
    Ok(())
}

/// One row of login back-off state: an account's (`client` empty), a client's (`account`
/// empty) or an (account, client) pair's.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoginState {
    pub account: String,
    pub client: String,
    pub failures: i64,
    pub last_failure_at: Option<String>,
    pub blocked_until: Option<String>,
    pub last_success_at: Option<String>,
}

const LOGIN_COLS: &str =
    "account, client, failures, last_failure_at, blocked_until, last_success_at";

fn login_state(r: &Row) -> Result<LoginState> {
    Ok(LoginState {
        account: r.try_get("account")?,
        client: r.try_get("client")?,
        failures: r.try_get("failures")?,
        last_failure_at: r.try_get("last_failure_at")?,
        blocked_until: r.try_get("blocked_until")?,
        last_success_at: r.try_get("last_success_at")?,
    })
}

impl Db {
    /// The account's, the client's and the pair's back-off rows (those that exist).
    pub async fn login_states(&self, account: &str, client: &str) -> Result<Vec<LoginState>> {
        let rows = crate::sql::query(&format!(
            "SELECT {LOGIN_COLS} FROM login_throttle WHERE (account = $1 AND client IN ('', $2)) OR (account = '' AND client = $2)"
        ))
        .bind(account)
        .bind(client)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(login_state).collect()
    }

    /// Rows of accounts and pairs with failures since `since`, for the administrators' view.
    pub async fn login_backoffs(&self, since: &str) -> Result<Vec<LoginState>> {
        let rows = crate::sql::query(&format!(
            "SELECT {LOGIN_COLS} FROM login_throttle WHERE account <> '' AND failures > 0 AND last_failure_at >= $1 ORDER BY account, client"
        ))
        .bind(since)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(login_state).collect()
    }

    /// A successful login: the account's and the pair's failures are cleared, and the pair
    /// remembers the success (a client that signed in before is trusted by the account limit).
    pub async fn login_succeeded(&self, account: &str, client: &str, now: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        crate::sql::query(
            "UPDATE login_throttle SET failures = 0, blocked_until = NULL WHERE account = $1 AND client = ''",
        )
        .bind(account)
        .execute(tx.conn())
        .await?;
        crate::sql::query(
            "INSERT INTO login_throttle (account, client, failures, last_success_at) VALUES ($1, $2, 0, $3) \
             ON CONFLICT (account, client) DO UPDATE SET failures = 0, blocked_until = NULL, last_success_at = $3",
        )
        .bind(account)
        .bind(client)
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.commit().await
    }
}

/// Count one failure of the row (`account`, `client`) at `now`; a count whose last failure is
/// before `forget_before` starts again at one. The new count.
pub async fn login_failed(
    conn: &mut Conn,
    account: &str,
    client: &str,
    now: &str,
    forget_before: &str,
) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO login_throttle (account, client, failures, last_failure_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (account, client) DO UPDATE SET \
         failures = CASE WHEN login_throttle.last_failure_at IS NULL OR login_throttle.last_failure_at < $4 THEN 1 ELSE login_throttle.failures + 1 END, \
         blocked_until = CASE WHEN login_throttle.last_failure_at IS NULL OR login_throttle.last_failure_at < $4 THEN NULL ELSE login_throttle.blocked_until END, \
         last_failure_at = $3 \
         RETURNING failures",
    )
    .bind(account)
    .bind(client)
    .bind(now)
    .bind(forget_before)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("failures")?)
}

/// Refuse attempts on the row until `until`.
pub async fn login_block(conn: &mut Conn, account: &str, client: &str, until: &str) -> Result<()> {
    crate::sql::query(
        "UPDATE login_throttle SET blocked_until = $1 WHERE account = $2 AND client = $3",
    )
    .bind(until)
    .bind(account)
    .bind(client)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forget rows with no failure since `failures_before` and no success since `success_before`,
/// so names sprayed by an attacker do not pile up.
pub async fn login_prune(
    conn: &mut Conn,
    failures_before: &str,
    success_before: &str,
) -> Result<u64> {
    Ok(crate::sql::query(
        "DELETE FROM login_throttle WHERE (last_failure_at IS NULL OR last_failure_at < $1) AND (last_success_at IS NULL OR last_success_at < $2)",
    )
    .bind(failures_before)
    .bind(success_before)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Clear every back-off of `account` (its own row and its pairs; remembered successes stay).
/// How many rows had failures.
pub async fn login_unlock(conn: &mut Conn, account: &str) -> Result<u64> {
    Ok(crate::sql::query(
        "UPDATE login_throttle SET failures = 0, blocked_until = NULL, last_failure_at = NULL WHERE account = $1 AND failures > 0",
    )
    .bind(account)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Remove one session or token by its hash; whether it existed. Bumps the `users` change
/// counter when it did, so other processes drop their cached copy within their bound.
pub async fn session_revoke(conn: &mut Conn, token_hash: &str) -> Result<bool> {
    let gone = crate::sql::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        > 0;
    if gone {
        user_generation_bump(&mut *conn).await?;
    }
    Ok(gone)
}

/// Clear the lock columns of the users row (kept from before the back-off table).
pub async fn user_clear_lock(conn: &mut Conn, id: i64) -> Result<()> {
    crate::sql::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
