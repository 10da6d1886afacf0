//! Authentication: argon2id passwords (hashed off the async threads, with a dummy hash so a
//! missing user takes as long as a wrong password), random session and API tokens of which only
//! the SHA-256 is stored, CSRF tokens per session, and login back-off.
//!
//! Back-off, not lock-out. Failures are counted in the database (table `login_throttle`, shared by
//! every server) for three keys: the (account, client) pair, the account, and the client address.
//! Past a key's free allowance each further attempt must wait an exponentially growing delay with a
//! cap ([`PAIR`], [`ACCOUNT`], [`CLIENT`]); an attempt inside the delay is refused without looking at
//! the password. The account-wide delay is short and does not apply to a client that signed in to
//! the account successfully before, so an attacker elsewhere can slow the real user down for seconds
//! at most and never lock them out. Counts reset on success (pair and account) and are forgotten
//! after [`FORGET_MINUTES`] without a failure. Unknown usernames are counted by name exactly like
//! real ones, so status, body and timing never tell whether an account exists. Administrators clear
//! an account's back-off (`App::user_unlock`); a password reset and reactivation clear it too.
//! Failures and back-offs go to the audit log.
//!
//! Within one process the check, the password verification and the count of one account run under
//! a per-account gate, so parallel requests cannot all slip through one free slot.

use crate::{Actor, App, AppError, AppResult, Source};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use lianshi_domain::Role;
use lianshi_store::audit::{AuditEntry, audit_append};
use lianshi_store::user::{
    LoginState, UserRow, login_block, login_failed, login_prune, session_revoke,
};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// Idle timeout of a browser session.
pub const SESSION_IDLE_MINUTES: i64 = 30;
/// Lifetime of an API token.
pub const TOKEN_HOURS: i64 = 24;
/// Failures are forgotten after this long without another failure.
pub const FORGET_MINUTES: i64 = 60;
/// A client that signed in to an account within this many days skips the account-wide delay.
pub const TRUST_DAYS: i64 = 30;
/// Longest username or client address kept as a back-off key.
const KEY_MAX: usize = 64;

/// How one key backs off: `free` failures cost nothing, then the n-th failure beyond them makes
/// the next attempt wait `base_secs · 2ⁿ`, at most `cap_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub free: i64,
    pub base_secs: i64,
    pub cap_secs: i64,
}

impl Backoff {
    /// The wait after `failures` failures, if any.
    pub fn delay_secs(&self, failures: i64) -> Option<i64> {
        (failures >= self.free).then(|| {
            let n = (failures - self.free).min(30) as u32;
            self.base_secs.saturating_mul(1_i64 << n).min(self.cap_secs)
        })
    }
}

/// One account from one client: 5 free, then 2 s, 4 s, … up to 5 minutes.
pub const PAIR: Backoff = Backoff {
    free: 5,
    base_secs: 2,
    cap_secs: 300,
};
/// One account from anywhere (slows a distributed guesser): 10 free, then up to 30 seconds.
pub const ACCOUNT: Backoff = Backoff {
    free: 10,
    base_secs: 1,
    cap_secs: 30,
};
/// One client against any accounts (slows a sprayer): 30 free, then up to 2 minutes.
pub const CLIENT: Backoff = Backoff {
    free: 30,
    base_secs: 1,
    cap_secs: 120,
};

/// Per-account gates of this process (see the module header).
#[derive(Debug, Default)]
pub struct Throttle {
    gates: HashMap<String, Arc<tokio::sync::Mutex<()>>>,
}

/// The back-off key of a typed username: trimmed, lower-case, at most 64 characters.
pub fn account_key(username: &str) -> String {
    username
        .trim()
        .to_lowercase()
        .chars()
        .take(KEY_MAX)
        .collect()
}

fn client_key(client: &str) -> String {
    let c: String = client.trim().chars().take(KEY_MAX).collect();
    if c.is_empty() { "unknown".into() } else { c }
}

/// An account's back-off as administrators see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccountBackoff {
    /// The back-off key (lower-case username).
    pub account: String,
    /// Failures counted for the account from all clients.
    pub failures: i64,
    /// Until when some client (or every client) must wait, if that is in the future.
    pub blocked_until: Option<String>,
}

/// A new random token (64 hex characters).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn ts(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Hash a password with argon2id on a blocking thread.
pub async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_sync(password.as_bytes()))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

fn hash_sync(password: &[u8]) -> AppResult<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password, &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// A hash of a random password nobody knows, verified when the user does not exist so that
/// "no such user" costs the same time as "wrong password".
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| {
            DUMMY_HASH
                .get_or_init(|| hash_sync(random_token().as_bytes()).unwrap_or_default())
                .clone()
        });
        PasswordHash::new(&hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Base words of common passwords: a password that is one of these once leading and trailing
/// digits and symbols are dropped and look-alike characters (`@`→a, `0`→o, `1`→i, `3`→e, `$`→s…)
/// are read as letters is refused (`Password123!`, `P@ssw0rd2026`, `Admin@123456`).
const COMMON_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "admin",
    "administrator",
    "root",
    "user",
    "test",
    "guest",
    "qwerty",
    "qwertyuiop",
    "asdf",
    "asdfgh",
    "asdfghjkl",
    "zxcvbn",
    "zxcvbnm",
    "qazwsx",
    "abc",
    "abcd",
    "abcdef",
    "abcdefg",
    "abcdefgh",
    "welcome",
    "letmein",
    "iloveyou",
    "changeme",
    "monkey",
    "dragon",
    "master",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "superman",
    "trustno",
    "secret",
    "default",
    "login",
    "woaini",
    "aini",
    "china",
    "beijing",
    "hangzhou",
    "zhongguo",
    "huawei",
    "aaaa",
    "aaaaaa",
    "qweasd",
    "qweasdzxc",
];

/// Whole common passwords made of digits and keyboard walks, compared case-insensitively.
const COMMON_WHOLE: &[&str] = &[
    "1qaz2wsx3edc",
    "1qaz@wsx3edc",
    "1qaz!qaz2wsx",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "q1w2e3r4t5",
    "zaq12wsx",
    "zaq1@wsx3edc",
    "1qazxsw23edc",
    "qwer1234!@#$",
    "abcd1234!@#$",
    "a1b2c3d4e5",
    "p@ssw0rd!@#",
    "1234567890",
    "0123456789",
    "1234qwer!@#$",
    "!qaz2wsx#edc",
];

fn looks_like(c: char) -> char {
    match c {
        '@' | '4' => 'a',
        '0' => 'o',
        '1' | '!' | '|' => 'i',
        '3' => 'e',
        '$' | '5' => 's',
        '7' => 't',
        c => c,
    }
}

/// Whether `p` is a common password or a common word dressed up.
fn is_common(p: &str) -> bool {
    let lower = p.to_lowercase();
    if COMMON_WHOLE.contains(&lower.as_str()) {
        return true;
    }
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let read: String = core.chars().map(looks_like).collect();
    let letters: String = read.chars().filter(|c| c.is_alphabetic()).collect();
    COMMON_WORDS.contains(&read.as_str()) || COMMON_WORDS.contains(&letters.as_str())
}

/// Password rules: 10–128 characters from at least three of lower-case, upper-case, digits and
/// other characters; not a common password; not containing the username.
pub fn check_password_strength(username: &str, p: &str) -> AppResult<()> {
    let n = p.chars().count();
    let classes = [
        p.chars().any(|c| c.is_lowercase()),
        p.chars().any(|c| c.is_uppercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars()
            .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit()),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if !(10..=128).contains(&n) || classes < 3 {
        return Err(AppError::bad(
            "password_weak",
            "密码须为10–128位，且至少包含大写字母、小写字母、数字、符号中的三类",
            "password must be 10-128 characters from at least three of: lower-case, upper-case, digits, symbols",
        ));
    }
    if is_common(p) {
        return Err(AppError::bad(
            "password_common",
            "该密码过于常见，容易被猜中，请换一个",
            "this password is too common and easy to guess; choose another",
        ));
    }
    let user = username.trim().to_lowercase();
    if user.chars().count() >= 3 && p.to_lowercase().contains(&user) {
        return Err(AppError::bad(
            "password_contains_username",
            "密码不能包含用户名",
            "the password must not contain the username",
        ));
    }
    Ok(())
}

/// What a successful login gives.
#[derive(Debug, Clone)]
pub struct Login {
    pub token: String,
    pub csrf: String,
    pub actor: Actor,
}

pub fn actor_of(u: &UserRow, source: Source) -> AppResult<Actor> {
    Ok(Actor {
        user_id: Some(u.id),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: Role::parse(&u.role).map_err(|e| AppError::Internal(e.en))?,
        enterprise_id: u.enterprise_id,
        department_id: u.department_id,
        source,
    })
}

fn parse_ts(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Seconds from `now` until the row's delay ends, if it has not ended (and was not forgotten).
fn wait_of(s: &LoginState, now: DateTime<Utc>) -> Option<i64> {
    let last = parse_ts(s.last_failure_at.as_deref()?)?;
    if now - last > Duration::minutes(FORGET_MINUTES) {
        return None;
    }
    let until = parse_ts(s.blocked_until.as_deref()?)?;
    let ms = (until - now).num_milliseconds();
    (ms > 0).then(|| (ms + 999) / 1000)
}

impl App {
    /// Check a username and password from `client`, and open a session (`kind` = `session`
    /// for browsers, `api` for bearer tokens).
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: &str,
        kind: &str,
    ) -> AppResult<Login> {
        self.login_at(username, password, client, kind, Utc::now())
            .await
    }

    /// [`App::login`] at a given time (back-off is decided against `now`; tests move the clock).
    pub async fn login_at(
        &self,
        username: &str,
        password: &str,
        client: &str,
        kind: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Login> {
        let account = account_key(username);
        let client = client_key(client);
        let gate = self.login_gate(&account);
        let result = {
            let _held = gate.lock().await;
            self.login_gated(username, &account, password, &client, kind, now)
                .await
        };
        self.login_gate_release(&account, gate);
        result
    }

    fn login_gate(&self, account: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.throttle.lock() {
            Ok(mut t) => t.gates.entry(account.to_string()).or_default().clone(),
            // A poisoned map only loses the in-process gate; the database still counts.
            Err(_) => Arc::default(),
        }
    }

    fn login_gate_release(&self, account: &str, gate: Arc<tokio::sync::Mutex<()>>) {
        if let Ok(mut t) = self.throttle.lock() {
            // The map's reference and ours: nobody else waits, so the gate can go.
            if Arc::strong_count(&gate) <= 2 {
                t.gates.remove(account);
            }
        }
    }

    async fn login_gated(
        &self,
        username: &str,
        account: &str,
        password: &str,
        client: &str,
        kind: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Login> {
        let states = self.db.login_states(account, client).await?;
        let trusted = states.iter().any(|s| {
            s.account == account
                && s.client == client
                && s.last_success_at
                    .as_deref()
                    .and_then(parse_ts)
                    .is_some_and(|t| now - t < Duration::days(TRUST_DAYS))
        });
        let wait = states
            .iter()
            .filter(|s| !(trusted && s.client.is_empty()))
            .filter_map(|s| wait_of(s, now))
            .max();
        if let Some(secs) = wait {
            return Err(AppError::Throttled {
                retry_after_secs: secs,
            });
        }
        let user = self.db.user_by_username(username.trim()).await?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let ok = verify_password(password.to_string(), hash).await;
        let user = match user {
            Some(u) if ok && u.active => u,
            _ => {
                self.login_failure(account, client, kind, now).await?;
                return Err(AppError::bad(
                    "login_failed",
                    "用户名或密码错误",
                    "wrong username or password",
                ));
            }
        };
        self.db.login_succeeded(account, client, &ts(now)).await?;
        self.db.user_login_succeeded(user.id).await?;
        let token = random_token();
        let csrf = random_token();
        let expires = if kind == "api" {
            now + Duration::hours(TOKEN_HOURS)
        } else {
            now + Duration::minutes(SESSION_IDLE_MINUTES)
        };
        self.db
            .session_create(&token_hash(&token), user.id, kind, &csrf, &ts(expires))
            .await?;
        let source = if kind == "api" {
            Source::Api
        } else {
            Source::Web
        };
        Ok(Login {
            token,
            csrf,
            actor: actor_of(&user, source)?,
        })
    }

    /// Count a failure for the pair, the account and the client, start their delays, and audit
    /// it, the same way whether or not the account exists.
    async fn login_failure(
        &self,
        account: &str,
        client: &str,
        kind: &str,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let at = ts(now);
        let forget = ts(now - Duration::minutes(FORGET_MINUTES));
        let mut tx = self.db.begin().await?;
        let mut counts = Vec::with_capacity(3);
        let mut delays = Vec::new();
        for (a, c, policy, scope) in [
            (account, client, PAIR, "pair"),
            (account, "", ACCOUNT, "account"),
            ("", client, CLIENT, "client"),
        ] {
            let n = login_failed(tx.conn(), a, c, &at, &forget).await?;
            counts.push(n);
            if let Some(d) = policy.delay_secs(n) {
                login_block(tx.conn(), a, c, &ts(now + Duration::seconds(d))).await?;
                delays.push(serde_json::json!({"scope": scope, "failures": n, "delay_secs": d}));
            }
        }
        login_prune(tx.conn(), &forget, &ts(now - Duration::days(TRUST_DAYS))).await?;
        let source = if kind == "api" { "api" } else { "web" };
        let entry = |action: &str, after: serde_json::Value| AuditEntry {
            actor_id: None,
            actor_name: account.to_string(),
            action: action.into(),
            entity: "user".into(),
            entity_id: Some(account.to_string()),
            before: None,
            after: Some(after),
            source: source.into(),
        };
        audit_append(
            tx.conn(),
            &entry(
                "auth.login_failed",
                serde_json::json!({
                    "client": client, "pair_failures": counts[0],
                    "account_failures": counts[1], "client_failures": counts[2],
                }),
            ),
        )
        .await?;
        if !delays.is_empty() {
            audit_append(
                tx.conn(),
                &entry(
                    "auth.login_backoff",
                    serde_json::json!({"client": client, "backoff": delays}),
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Current back-offs of accounts, for administrators.
    pub async fn login_backoffs(&self, actor: &Actor) -> AppResult<Vec<AccountBackoff>> {
        crate::user::perm::manage(actor)?;
        let now = Utc::now();
        let rows = self
            .db
            .login_backoffs(&ts(now - Duration::minutes(FORGET_MINUTES)))
            .await?;
        let mut out: Vec<AccountBackoff> = Vec::new();
        for r in rows {
            let until = wait_of(&r, now).and(r.blocked_until.clone());
            match out.last_mut() {
                Some(o) if o.account == r.account => {
                    if r.client.is_empty() {
                        o.failures = r.failures;
                    }
                    if until > o.blocked_until {
                        o.blocked_until = until;
                    }
                }
                _ => out.push(AccountBackoff {
                    account: r.account.clone(),
                    failures: if r.client.is_empty() { r.failures } else { 0 },
                    blocked_until: until,
                }),
            }
        }
        Ok(out)
    }

    /// Resolve a session cookie or bearer token to an actor and the session's CSRF token.
    /// Unknown, expired and deactivated → 401. Browser sessions slide their idle timeout.
    /// Answered from the session cache ([`crate::session`]) when it can be.
    pub async fn authenticate(&self, token: &str) -> AppResult<(Actor, String)> {
        self.authenticate_at(token, Utc::now()).await
    }

    /// [`App::authenticate`] at a given time (expiry and sliding are decided against `now`;
    /// tests move the clock).
    pub async fn authenticate_at(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> AppResult<(Actor, String)> {
        let hash = token_hash(token);
        self.sessions.confirm(&self.db).await?;
        let e = match self.sessions.get(&hash, now) {
            Some(e) => e,
            None => {
                let epoch = self.sessions.epoch();
                self.sessions.counted_lookup();
                let s = self
                    .db
                    .session_get(&hash, &ts(now))
                    .await?
                    .ok_or(AppError::Unauthenticated)?;
                if !s.user.active {
                    return Err(AppError::Unauthenticated);
                }
                let sliding = s.kind == "session";
                let source = if sliding { Source::Web } else { Source::Api };
                let e = crate::session::Entry {
                    session_id: s.id,
                    actor: actor_of(&s.user, source)?,
                    csrf: s.csrf_token,
                    sliding,
                    // The database just said the session is live at `now`; an expiry it wrote
                    // itself always parses.
                    expires: parse_ts(&s.expires_at).ok_or_else(|| {
                        AppError::Internal(format!("session {}: bad expires_at", s.id))
                    })?,
                    last_seen: parse_ts(&s.last_seen_at).unwrap_or(now),
                    filled: std::time::Instant::now(),
                };
                self.sessions.put(hash.clone(), e.clone(), epoch, now);
                e
            }
        };
        if e.sliding && now - e.last_seen > Duration::minutes(1) {
            let expires = now + Duration::minutes(SESSION_IDLE_MINUTES);
            if !self
                .db
                .session_touch(e.session_id, &ts(now), &ts(expires))
                .await?
            {
                // Ended behind this process's back (another process, within the bound).
                self.sessions.forget_token(&hash);
                return Err(AppError::Unauthenticated);
            }
            self.sessions.slid(&hash, now, expires);
        }
        Ok((e.actor, e.csrf))
    }

    /// End the session or token `token` (sign out). Takes effect at once in this process and
    /// within [`crate::session::SESSION_CACHE_BOUND`] in others.
    pub async fn logout(&self, token: &str) -> AppResult<()> {
        let hash = token_hash(token);
        self.db.session_delete(&hash).await?;
        self.sessions.forget_token(&hash);
        Ok(())
    }

    /// The session cache of this process (bounds for tests, figures).
    pub fn session_cache(&self) -> &crate::session::SessionCache {
        &self.sessions
    }

    /// Revoke the API token (or session) `token` by its holder; audited. Unknown → 401.
    pub async fn token_revoke(&self, token: &str) -> AppResult<()> {
        let (actor, _) = self.authenticate(token).await?;
        let mut tx = self.db.begin().await?;
        let hash = token_hash(token);
        if !session_revoke(tx.conn(), &hash).await? {
            self.sessions.forget_token(&hash);
            return Err(AppError::Unauthenticated);
        }
        audit_append(
            tx.conn(),
            &crate::zone::entry(
                &actor,
                "auth.token_revoke",
                "user",
                actor.user_id.map(|i| i.to_string()),
                None,
                None,
            ),
        )
        .await?;
        tx.commit().await?;
        self.sessions.forget_token(&hash);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_common_and_name_bearing_passwords_are_refused() {
        let code = |u: &str, p: &str| check_password_strength(u, p).err().map(|e| e.code());
        assert_eq!(code("x1", "abcd1234"), Some("password_weak"));
        assert_eq!(code("x1", "abcdefgh12"), Some("password_weak"));
        assert_eq!(code("x1", "Short1!"), Some("password_weak"));
        assert_eq!(code("x1", "Password123!"), Some("password_common"));
        assert_eq!(code("x1", "P@ssw0rd2026"), Some("password_common"));
        assert_eq!(code("x1", "Admin@123456"), Some("password_common"));
        assert_eq!(code("x1", "1qaz2wsx3EDC"), Some("password_common"));
        assert_eq!(code("x1", "1Qaz2wsx3edc"), Some("password_common"));
        assert_eq!(
            code("zhao", "Zhao@12345678"),
            Some("password_contains_username")
        );
    }

    #[test]
    fn the_demo_password_and_every_test_fixture_password_pass() {
        for (u, p) in [
            ("admin", "Lianshi@2026"),
            ("x1", "Kettle-Sparrow-42"),
            ("t1", "Otter-Lantern-77"),
            ("zhao", "Harbour-Lamp-2026"),
            ("newbie", "Nimble-Heron-2026"),
            ("newbie", "Another2026"),
            ("x1", "长城-Great-Wall-88"),
        ] {
            assert!(check_password_strength(u, p).is_ok(), "{u} {p}");
        }
    }

    #[test]
    fn the_back_off_doubles_from_the_free_allowance_up_to_its_cap() {
        assert_eq!(PAIR.delay_secs(PAIR.free - 1), None);
        assert_eq!(PAIR.delay_secs(PAIR.free), Some(2));
        assert_eq!(PAIR.delay_secs(PAIR.free + 1), Some(4));
        assert_eq!(PAIR.delay_secs(PAIR.free + 100), Some(PAIR.cap_secs));
        assert_eq!(ACCOUNT.delay_secs(10_000), Some(30));
    }

    #[test]
    fn back_off_keys_ignore_case_and_surrounding_spaces_and_are_bounded() {
        assert_eq!(account_key("  Admin "), "admin");
        assert_eq!(account_key(&"x".repeat(500)).len(), KEY_MAX);
        assert_eq!(client_key(""), "unknown");
    }
}
