//! Authentication: argon2id passwords (hashed off the async threads, with a dummy hash so a
//! missing user takes as long as a wrong password), random session and API tokens of which only
//! the SHA-256 is stored, CSRF tokens per session, and login throttling.
//!
//! Throttling has two parts: a per-account lock (5 failures → 15 minutes, kept in the database so
//! it survives restarts) and a per-client counter in memory (20 failures in 10 minutes).

use crate::{Actor, App, AppError, AppResult, Source};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{Duration, Utc};
use lianshi_domain::Role;
use lianshi_store::user::UserRow;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Instant;

/// Failures before an account is locked.
pub const LOCK_AFTER: i64 = 5;
/// How long an account stays locked.
pub const LOCK_MINUTES: i64 = 15;
/// Failures from one client before it is throttled.
pub const CLIENT_LIMIT: usize = 20;
/// Idle timeout of a browser session.
pub const SESSION_IDLE_MINUTES: i64 = 30;
/// Lifetime of an API token.
pub const TOKEN_HOURS: i64 = 24;

/// In-memory failure counts per client address.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: HashMap<String, Vec<Instant>>,
}

impl Throttle {
    fn prune(&mut self, client: &str) -> usize {
        let window = std::time::Duration::from_secs(600);
        let v = self.failures.entry(client.to_string()).or_default();
        v.retain(|t| t.elapsed() < window);
        v.len()
    }

    fn fail(&mut self, client: &str) {
        self.failures
            .entry(client.to_string())
            .or_default()
            .push(Instant::now());
    }
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

/// Password rules: 8–128 characters with at least one letter and one digit.
pub fn check_password_strength(p: &str) -> AppResult<()> {
    let n = p.chars().count();
    if !(8..=128).contains(&n)
        || !p.chars().any(|c| c.is_ascii_alphabetic())
        || !p.chars().any(|c| c.is_ascii_digit())
    {
        return Err(AppError::bad(
            "password_weak",
            "密码须为8–128位，且同时包含字母和数字",
            "password must be 8-128 characters with at least one letter and one digit",
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
        let wrong = || {
            AppError::bad(
                "login_failed",
                "用户名或密码错误",
                "wrong username or password",
            )
        };
        if let Ok(mut t) = self.throttle.lock()
            && t.prune(client) >= CLIENT_LIMIT
        {
            return Err(AppError::Throttled {
                retry_after_secs: 600,
            });
        }
        let user = self.db.user_by_username(username.trim()).await?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let ok = verify_password(password.to_string(), hash).await;
        let now = Utc::now();
        let Some(user) = user else {
            if let Ok(mut t) = self.throttle.lock() {
                t.fail(client);
            }
            return Err(wrong());
        };
        if let Some(until) = user.locked_until.as_deref()
            && until > ts(now).as_str()
        {
            let secs = chrono::DateTime::parse_from_rfc3339(until)
                .map(|u| (u.with_timezone(&Utc) - now).num_seconds().max(1))
                .unwrap_or(LOCK_MINUTES * 60);
            return Err(AppError::Throttled {
                retry_after_secs: secs,
            });
        }
        if !ok || !user.active {
            if let Ok(mut t) = self.throttle.lock() {
                t.fail(client);
            }
            let lock = (user.failed_logins + 1 >= LOCK_AFTER)
                .then(|| ts(now + Duration::minutes(LOCK_MINUTES)));
            self.db.user_login_failed(user.id, lock.as_deref()).await?;
            return Err(wrong());
        }
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

    /// Resolve a session cookie or bearer token to an actor and the session's CSRF token.
    /// Unknown, expired and deactivated → 401. Browser sessions slide their idle timeout.
    pub async fn authenticate(&self, token: &str) -> AppResult<(Actor, String)> {
        let now = Utc::now();
        let s = self
            .db
            .session_get(&token_hash(token), &ts(now))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if !s.user.active {
            return Err(AppError::Unauthenticated);
        }
        if s.kind == "session" {
            let last = chrono::DateTime::parse_from_rfc3339(&s.last_seen_at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(now);
            if now - last > Duration::minutes(1) {
                self.db
                    .session_touch(
                        s.id,
                        &ts(now),
                        &ts(now + Duration::minutes(SESSION_IDLE_MINUTES)),
                    )
                    .await?;
            }
        }
        let source = if s.kind == "api" {
            Source::Api
        } else {
            Source::Web
        };
        Ok((actor_of(&s.user, source)?, s.csrf_token))
    }

    pub async fn logout(&self, token: &str) -> AppResult<()> {
        self.db.session_delete(&token_hash(token)).await?;
        Ok(())
    }
}
