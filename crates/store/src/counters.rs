//! Change counters (`change_counters`, migration 0006): one row per kind of record a process
//! caches — `enterprises`, `orders`, `registry`, `users`, `provenance` (field sources and
//! corrections of enterprises). Every write transaction of that kind
//! bumps its counter on its own connection, so the count commits or rolls back with the write,
//! and a process holding a copy in memory can tell with one key lookup whether any process
//! wrote since it last looked.

use crate::sql::Conn;
use crate::{Db, Result};

/// Count one more write of `name` inside the caller's transaction and return the new value.
/// Creates the row on first use (counters added after 0006 have no seeded row).
pub(crate) async fn bump(conn: &mut Conn, name: &str) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO change_counters (name, value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET value = change_counters.value + 1 RETURNING value",
    )
    .bind(name)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("value")?)
}

/// Every change counter, by name.
pub type Counters = std::collections::HashMap<String, i64>;

impl Db {
    /// All change counters in one read (a handful of rows).
    pub async fn change_counters(&self) -> Result<Counters> {
        let rows = crate::sql::query("SELECT name, value FROM change_counters")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("name")?, r.try_get("value")?)))
            .collect()
    }

    /// How many writes of `name` have committed; 0 before the first.
    pub(crate) async fn counter(&self, name: &str) -> Result<i64> {
        let r = crate::sql::query("SELECT value FROM change_counters WHERE name = $1")
            .bind(name)
            .fetch_optional(self.reader())
            .await?;
        Ok(match r {
            Some(r) => r.try_get("value")?,
            None => 0,
        })
    }
}
