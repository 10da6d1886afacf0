//! Bulk reads of a SQLite file through SQLite's C API (rusqlite) on a blocking thread (issue 11):
//! the loads of whole tables into memory at start-up (the list index, the service figures' order
//! facts). Through sqlx, every row of a million is handed from the driver's worker thread to the
//! async side one at a time (an allocation per row and value, a channel message); here the rows
//! are stepped and decoded in place into the caller's structs. PostgreSQL and in-memory SQLite
//! keep the driver path ([`Db::sqlite_bulk`] answers `None`).

use crate::{Db, Result, StoreError};

fn bulk_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Db(sqlx::Error::Protocol(format!("bulk read: {e}")))
}

impl Db {
    /// Run `f` on a read-only connection of its own to this SQLite file, inside one read
    /// transaction (one consistent snapshot; writers are not blocked in WAL mode), on a blocking
    /// thread. `None` on PostgreSQL and in-memory SQLite: the caller reads through the driver.
    pub(crate) async fn sqlite_bulk<T, F>(&self, f: F) -> Result<Option<T>>
    where
        F: FnOnce(&rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let Some(path) = self.sqlite_file.clone() else {
            return Ok(None);
        };
        let read = tokio::task::spawn_blocking(move || -> rusqlite::Result<T> {
            use rusqlite::OpenFlags;
            let c = rusqlite::Connection::open_with_flags(
                &*path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            c.busy_timeout(crate::WRITE_WAIT)?;
            c.execute_batch("PRAGMA mmap_size=2147418112; PRAGMA cache_size=-65536; BEGIN")?;
            let out = f(&c)?;
            c.execute_batch("COMMIT")?;
            Ok(out)
        })
        .await
        .map_err(bulk_error)?;
        read.map(Some).map_err(bulk_error)
    }
}
