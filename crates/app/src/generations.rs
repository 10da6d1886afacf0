//! The change counters (`change_counters`) as this process last read them, shared by the caches
//! that key on them: the registry index and the single-enterprise records.
//!
//! A cache entry is tagged with the counters read before its data was read, and used while the
//! counters still say the same. The counters are read again (one query of a few rows):
//!
//! - after any write transaction committed through this process's database handle
//!   ([`lianshi_store::Db::local_commits`]), so a change made here is seen by the very next
//!   read;
//! - when they were last read longer ago than [`CHANGE_BOUND`], so a change made by another
//!   process (a second server, a CLI import) is seen within that bound of its commit.

use crate::AppResult;
use lianshi_store::{Counters, Db};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Longest time a write by **another process** takes to reach this process's caches that key on
/// change counters. Writes through this process are seen at once.
pub const CHANGE_BOUND: Duration = Duration::from_secs(1);

struct Seen {
    at: Instant,
    commits: u64,
    counters: Arc<Counters>,
}

/// See the module documentation.
pub(crate) struct Generations {
    seen: RwLock<Option<Seen>>,
    /// [`CHANGE_BOUND`] in milliseconds, unless a test set another ([`crate::App::set_change_bound`]).
    bound_ms: AtomicU64,
}

impl Default for Generations {
    fn default() -> Self {
        Generations {
            seen: RwLock::default(),
            bound_ms: AtomicU64::new(u64::try_from(CHANGE_BOUND.as_millis()).unwrap_or(1000)),
        }
    }
}

impl Generations {
    pub(crate) fn set_bound(&self, bound: Duration) {
        self.bound_ms.store(
            u64::try_from(bound.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// The counters, read again if this process committed a write since, or if they are older
    /// than [`CHANGE_BOUND`].
    pub(crate) async fn current(&self, db: &Db) -> AppResult<Arc<Counters>> {
        // Both taken before the read: a commit or a tick in between only makes the next call
        // read again.
        let commits = db.local_commits();
        let at = Instant::now();
        if let Ok(g) = self.seen.read()
            && let Some(s) = g.as_ref()
            && s.commits == commits
            && at.saturating_duration_since(s.at)
                < Duration::from_millis(self.bound_ms.load(Ordering::Relaxed))
        {
            return Ok(s.counters.clone());
        }
        let counters = Arc::new(db.change_counters().await?);
        if let Ok(mut g) = self.seen.write() {
            // Keep the newest reading when two requests read at once.
            if g.as_ref().is_none_or(|s| s.at <= at) {
                *g = Some(Seen {
                    at,
                    commits,
                    counters: counters.clone(),
                });
            }
        }
        Ok(counters)
    }
}

/// The value of counter `name` (0 before its first write).
pub(crate) fn of(c: &Counters, name: &str) -> i64 {
    c.get(name).copied().unwrap_or(0)
}
