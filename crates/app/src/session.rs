//! The session cache: SHA-256 of a session cookie or bearer token → the actor it resolves to,
//! its CSRF token and its expiry, so an authenticated request on the hot path resolves its token
//! without a database round trip ([`crate::App::authenticate`]).
//!
//! Filled on the first lookup of a token. What keeps it right:
//!
//! - **This process** — every use case that ends a session or changes what one resolves to
//!   (logout, token revocation, password change, deactivation, a new role or scope, a rename,
//!   unlocking) drops the entries of that token or user once its transaction has committed, so
//!   the change holds for the very next request. A lookup that read the database before such a
//!   drop and finishes after it does not put its (possibly stale) answer in the cache (an
//!   invalidation epoch), so a revoked session is never served after the revoking call returned.
//! - **Other processes** (a second server, `lianshi user …`) — every such write bumps the
//!   `users` change counter in its transaction (`store::user::user_generation_bump`). A request
//!   reads the counter (one key lookup) when it was last read more than [`SESSION_CACHE_BOUND`]
//!   ago, and if it moved the whole cache is dropped. So a change made anywhere takes effect here
//!   within [`SESSION_CACHE_BOUND`] of its commit, whatever the number of sessions, at the cost of
//!   one tiny query per bound per process.
//! - **Everything else** (a hand-written `DELETE FROM sessions`) — an entry is read again from the
//!   database when it is older than [`SESSION_CACHE_MAX_AGE`].
//! - **Expiry** is checked on every hit against the session's own `expires_at`, to the
//!   millisecond, exactly as the database query does; a browser session's sliding idle timeout is
//!   still written to the database (at most once a minute) and the entry follows it. A session
//!   slid by another process is looked up again when this process's copy of its expiry passes.
//!
//! Only resolved, live sessions of active users are cached; unknown tokens always ask the database.

use crate::Actor;
use chrono::{DateTime, Utc};
use lianshi_store::Db;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::SeqCst};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// Longest time a change to a user or session made by **another process** (a second server on
/// the same database, `lianshi user …`) takes to reach this process's session cache: the
/// `users` change counter is read again when it was last read longer ago than this. Changes made
/// through this process take effect at once.
pub const SESSION_CACHE_BOUND: Duration = Duration::from_secs(1);

/// A cached session is read again from the database when its entry is older than this, so even
/// an edit of the tables that bypasses Lianshi (and its change counter) takes effect.
pub const SESSION_CACHE_MAX_AGE: Duration = Duration::from_secs(60);

const SHARDS: usize = 16;
/// Entries per shard before expired and old ones are swept (and, if that is not enough, the
/// shard is emptied): 65,536 sessions in all.
const SHARD_CAP: usize = 4096;
/// `checked_ms` before the first read of the counter.
const NEVER: u64 = u64::MAX;

/// One resolved session.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub session_id: i64,
    pub actor: Actor,
    pub csrf: String,
    /// A browser session (sliding idle timeout) rather than an API token.
    pub sliding: bool,
    pub expires: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub filled: Instant,
}

/// What the cache has done, for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionCacheStats {
    /// Sessions looked up in the database (cache misses that reached the store).
    pub store_lookups: u64,
    /// Reads of the `users` change counter.
    pub counter_reads: u64,
    /// Entries held now.
    pub entries: usize,
}

/// The cache (see the module header). One per [`crate::App`] and its clones.
pub struct SessionCache {
    shards: Box<[RwLock<HashMap<String, Entry>>]>,
    /// Bumped by every invalidation; a fill that started under another epoch is not kept.
    epoch: AtomicU64,
    base: Instant,
    /// When (ms since `base`) the counter read that confirmed `generation` was started.
    checked_ms: AtomicU64,
    generation: AtomicI64,
    check: tokio::sync::Mutex<()>,
    bound_ms: AtomicU64,
    max_age_ms: AtomicU64,
    store_lookups: AtomicU64,
    counter_reads: AtomicU64,
}

impl Default for SessionCache {
    fn default() -> Self {
        SessionCache {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            epoch: AtomicU64::new(0),
            base: Instant::now(),
            checked_ms: AtomicU64::new(NEVER),
            generation: AtomicI64::new(i64::MIN),
            check: tokio::sync::Mutex::new(()),
            bound_ms: AtomicU64::new(ms(SESSION_CACHE_BOUND)),
            max_age_ms: AtomicU64::new(ms(SESSION_CACHE_MAX_AGE)),
            store_lookups: AtomicU64::new(0),
            counter_reads: AtomicU64::new(0),
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl SessionCache {
    /// Change the cross-process bound and the entry age limit (tests use zero or a short value;
    /// zero for both turns the cache into a pass-through).
    pub fn set_bounds(&self, bound: Duration, max_age: Duration) {
        self.bound_ms.store(ms(bound), SeqCst);
        self.max_age_ms.store(ms(max_age), SeqCst);
    }

    pub fn stats(&self) -> SessionCacheStats {
        SessionCacheStats {
            store_lookups: self.store_lookups.load(SeqCst),
            counter_reads: self.counter_reads.load(SeqCst),
            entries: self.shards.iter().map(|s| read(s).len()).sum(),
        }
    }

    fn now_ms(&self) -> u64 {
        ms(self.base.elapsed())
    }

    /// Whether the counter was confirmed less than the bound ago.
    fn confirmed(&self) -> bool {
        let at = self.checked_ms.load(SeqCst);
        at != NEVER && self.now_ms().saturating_sub(at) < self.bound_ms.load(SeqCst)
    }

    /// Make sure the `users` counter was read within the bound, dropping everything when it
    /// moved.
    pub(crate) async fn confirm(&self, db: &Db) -> lianshi_store::Result<()> {
        if self.confirmed() {
            return Ok(());
        }
        let _one = self.check.lock().await;
        if self.confirmed() {
            return Ok(());
        }
        let started = self.now_ms();
        self.counter_reads.fetch_add(1, SeqCst);
        let g = db.user_generation().await?;
        if self.generation.swap(g, SeqCst) != g {
            self.clear();
        }
        self.checked_ms.store(started, SeqCst);
        Ok(())
    }

    fn shard(&self, hash: &str) -> &RwLock<HashMap<String, Entry>> {
        // The hash is hex: its first digit picks the shard.
        let i = hash
            .chars()
            .next()
            .and_then(|c| c.to_digit(16))
            .map_or(0, |d| d as usize % SHARDS);
        &self.shards[i]
    }

    /// The live entry of `hash` at `now`, if cached and young enough; an expired or old entry is
    /// dropped.
    pub(crate) fn get(&self, hash: &str, now: DateTime<Utc>) -> Option<Entry> {
        let max_age = Duration::from_millis(self.max_age_ms.load(SeqCst));
        let shard = self.shard(hash);
        {
            let map = read(shard);
            let e = map.get(hash)?;
            if now < e.expires && e.filled.elapsed() < max_age {
                return Some(e.clone());
            }
        }
        write(shard).remove(hash);
        None
    }

    /// The epoch to pass to [`SessionCache::put`], read before the database lookup.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(SeqCst)
    }

    pub(crate) fn counted_lookup(&self) {
        self.store_lookups.fetch_add(1, SeqCst);
    }

    /// Keep `e` unless something was invalidated since `epoch` was read.
    pub(crate) fn put(&self, hash: String, e: Entry, epoch: u64, now: DateTime<Utc>) {
        let max_age = Duration::from_millis(self.max_age_ms.load(SeqCst));
        let mut map = write(self.shard(&hash));
        if self.epoch.load(SeqCst) != epoch {
            return;
        }
        if map.len() >= SHARD_CAP {
            map.retain(|_, e| now < e.expires && e.filled.elapsed() < max_age);
            if map.len() >= SHARD_CAP {
                map.clear();
            }
        }
        map.insert(hash, e);
    }

    /// After a slide of the idle timeout: the entry's new last-seen time and expiry (if it is
    /// still there).
    pub(crate) fn slid(&self, hash: &str, last_seen: DateTime<Utc>, expires: DateTime<Utc>) {
        if let Some(e) = write(self.shard(hash)).get_mut(hash) {
            e.last_seen = last_seen;
            e.expires = expires;
        }
    }

    /// Drop one token (logout, revocation).
    pub(crate) fn forget_token(&self, hash: &str) {
        self.epoch.fetch_add(1, SeqCst);
        write(self.shard(hash)).remove(hash);
    }

    /// Drop every session of a user (password, role, scope, name or active flag changed).
    pub(crate) fn forget_user(&self, user_id: i64) {
        self.epoch.fetch_add(1, SeqCst);
        for s in &self.shards {
            write(s).retain(|_, e| e.actor.user_id != Some(user_id));
        }
    }

    /// Drop everything (another process changed users).
    fn clear(&self) {
        self.epoch.fetch_add(1, SeqCst);
        for s in &self.shards {
            write(s).clear();
        }
    }
}

// The maps hold plain data and no code that can panic runs under their locks, so a poisoned
// lock (impossible in practice) is used as it is.
fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Source;

    fn entry(user_id: i64, now: DateTime<Utc>) -> Entry {
        let mut actor = Actor::system(Source::Api);
        actor.user_id = Some(user_id);
        Entry {
            session_id: 1,
            actor,
            csrf: "c".into(),
            sliding: false,
            expires: now + chrono::Duration::hours(1),
            last_seen: now,
            filled: Instant::now(),
        }
    }

    #[test]
    fn a_lookup_that_overlapped_an_invalidation_is_not_kept() {
        let c = SessionCache::default();
        let now = Utc::now();
        // A lookup starts (reads the epoch, then the database) …
        let epoch = c.epoch();
        // … the user's sessions are revoked meanwhile …
        c.forget_user(7);
        // … and the lookup's answer, read before the revocation, is dropped.
        c.put("ab".into(), entry(7, now), epoch, now);
        assert!(c.get("ab", now).is_none());
        // A lookup that started afterwards is kept, and found until its expiry only.
        c.put("ab".into(), entry(7, now), c.epoch(), now);
        assert!(c.get("ab", now).is_some());
        assert!(c.get("ab", now + chrono::Duration::hours(1)).is_none());
        assert_eq!(c.stats().entries, 0);
    }

    #[test]
    fn forgetting_drops_only_the_named_token_or_user() {
        let c = SessionCache::default();
        let now = Utc::now();
        for (h, u) in [("0a", 1), ("1b", 1), ("2c", 2)] {
            c.put(h.into(), entry(u, now), c.epoch(), now);
        }
        c.forget_user(1);
        assert_eq!(c.stats().entries, 1);
        c.put("3d".into(), entry(2, now), c.epoch(), now);
        c.forget_token("2c");
        assert!(c.get("2c", now).is_none());
        assert!(c.get("3d", now).is_some());
    }

    #[test]
    fn the_sixteen_hex_digits_pick_sixteen_shards() {
        let c = SessionCache::default();
        let mut seen = std::collections::HashSet::new();
        for d in "0123456789abcdef".chars() {
            seen.insert(std::ptr::from_ref(c.shard(&d.to_string())));
        }
        assert_eq!(seen.len(), SHARDS);
    }
}
