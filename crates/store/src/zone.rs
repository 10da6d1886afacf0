//! The zone and its registry entries (ecosystems, chains, chain nodes, departments, institutions,
//! streets, parks, buildings, communities) in one `registry_items` table keyed by kind.

use crate::sql::{Conn, Row};
use crate::{Db, Result, StoreError, now_text};
use lianshi_domain::zone::RegistryKind;

/// The zone itself.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZoneRow {
    pub name: String,
    pub division_code: String,
}

/// One registry entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistryRow {
    pub id: i64,
    pub kind: String,
    pub code: Option<String>,
    pub name: String,
    pub parent_id: Option<i64>,
    /// Stage for chain nodes, institution kind for institutions.
    pub attr: Option<String>,
    pub sort: i64,
}

/// Fields to create or change an entry.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct RegistryWrite {
    pub code: Option<String>,
    pub name: String,
    pub parent_id: Option<i64>,
    pub attr: Option<String>,
    pub sort: i64,
}

fn row(r: &Row) -> Result<RegistryRow> {
    Ok(RegistryRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        parent_id: r.try_get("parent_id")?,
        attr: r.try_get("attr")?,
        sort: r.try_get("sort")?,
    })
}

const COLS: &str = "id, kind, code, name, parent_id, attr, sort";

impl Db {
    pub async fn zone_get(&self) -> Result<Option<ZoneRow>> {
        let r = crate::sql::query("SELECT name, division_code FROM zone WHERE id = 1")
            .fetch_optional(self.reader())
            .await?;
        r.map(|r| {
            Ok(ZoneRow {
                name: r.try_get("name")?,
                division_code: r.try_get("division_code")?,
            })
        })
        .transpose()
    }

    /// All entries of a kind, in display order (by parent, then sort, then id).
    pub async fn registry_list(&self, kind: RegistryKind) -> Result<Vec<RegistryRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT {COLS} FROM registry_items WHERE kind = $1 ORDER BY parent_id, sort, id"
        ))
        .bind(kind.as_str())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(row).collect()
    }

    /// Every entry of every kind (the registry is small: hundreds of rows).
    pub async fn registry_all(&self) -> Result<Vec<RegistryRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT {COLS} FROM registry_items ORDER BY kind, parent_id, sort, id"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(row).collect()
    }

    pub async fn registry_get(&self, id: i64) -> Result<RegistryRow> {
        let r = crate::sql::query(&format!("SELECT {COLS} FROM registry_items WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("registry item {id}")))?;
        row(&r)
    }

    /// Number of enterprises that reference an entry (street, park, building or chain node).
    pub async fn registry_usage(&self, id: i64) -> Result<i64> {
        let r = crate::sql::query(
            "SELECT (SELECT COUNT(*) FROM enterprises WHERE street_id = $1 OR park_id = $1 OR building_id = $1) \
             + (SELECT COUNT(*) FROM enterprise_nodes WHERE node_id = $1 OR chain_id = $1 OR ecosystem_id = $1) AS n",
        )
        .bind(id)
        .fetch_one(self.reader())
        .await?;
        Ok(r.try_get("n")?)
    }
}

/// Count one more registry write (zone or item) and return the new value. Every registry write
/// function of this module calls it on its own connection, so the count commits (or rolls back)
/// with the write, and a process holding a copy of the registry (the app's `RegistryIndex`) can
/// tell, with one key lookup, whether any process wrote since. The row is created by the first
/// write (no migration: `change_counters` exists since 0006).
pub async fn registry_generation_bump(conn: &mut Conn) -> Result<i64> {
    crate::counters::bump(conn, "registry").await
}

impl Db {
    /// How many registry writes have committed (see [`registry_generation_bump`]); 0 before the
    /// first.
    pub async fn registry_generation(&self) -> Result<i64> {
        self.counter("registry").await
    }
}

pub async fn zone_put(conn: &mut Conn, z: &ZoneRow) -> Result<()> {
    registry_generation_bump(&mut *conn).await?;
    crate::sql::query(
        "INSERT INTO zone (id, name, division_code, updated_at) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, division_code = excluded.division_code, updated_at = excluded.updated_at",
    )
    .bind(&z.name)
    .bind(&z.division_code)
    .bind(now_text())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn registry_insert(
    conn: &mut Conn,
    kind: RegistryKind,
    w: &RegistryWrite,
) -> Result<i64> {
    registry_generation_bump(&mut *conn).await?;
    let r = crate::sql::query(
        "INSERT INTO registry_items (kind, code, name, parent_id, attr, sort, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(&w.code)
    .bind(&w.name)
    .bind(w.parent_id)
    .bind(&w.attr)
    .bind(w.sort)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| StoreError::from_write(e, "registry code already used"))?;
    Ok(r.try_get("id")?)
}

pub async fn registry_update(conn: &mut Conn, id: i64, w: &RegistryWrite) -> Result<()> {
    registry_generation_bump(&mut *conn).await?;
    let n = crate::sql::query(
        "UPDATE registry_items SET code = $1, name = $2, parent_id = $3, attr = $4, sort = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(&w.code)
    .bind(&w.name)
    .bind(w.parent_id)
    .bind(&w.attr)
    .bind(w.sort)
    .bind(now_text())
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::from_write(e, "registry code already used"))?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("registry item {id}")));
    }
    Ok(())
}
