//! Aggregates behind the workbench figures. Every figure is a `COUNT` over the same tables and
//! conditions the enterprise list filters on, so a figure and the list it links to agree.

use crate::{Db, Result};

/// A dimension enterprises are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    /// Registry id of the ecosystem (an enterprise counts once per ecosystem it is in).
    Ecosystem,
    /// Registry id of the chain (once per chain).
    Chain,
    /// Registry id of the chain node.
    Node,
    /// Registry id of the street.
    Street,
    /// Registry id of the park.
    Park,
    /// Size band machine name.
    Size,
    /// Tag text.
    Tag,
}

/// The key of one group: a registry id or a text value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Key {
    Id(i64),
    Text(String),
}

impl Dim {
    /// `(key column, from clause)`; the key column is named `k`, the enterprise id `eid`.
    fn source(self) -> (&'static str, &'static str) {
        match self {
            Dim::Ecosystem => ("ecosystem_id", "enterprise_nodes"),
            Dim::Chain => ("chain_id", "enterprise_nodes"),
            Dim::Node => ("node_id", "enterprise_nodes"),
            Dim::Street => ("street_id", "enterprises"),
            Dim::Park => ("park_id", "enterprises"),
            Dim::Size => ("size_band", "enterprises"),
            Dim::Tag => ("tag", "enterprise_tags"),
        }
    }

    fn text_key(self) -> bool {
        matches!(self, Dim::Size | Dim::Tag)
    }
}

impl Db {
    /// Number of distinct enterprises per value of `dim`, largest first (ties by key), leaving
    /// out enterprises without a value. `only_id` restricts the count to one enterprise (the
    /// scope of an enterprise user).
    pub async fn enterprise_counts_by(
        &self,
        dim: Dim,
        only_id: Option<i64>,
    ) -> Result<Vec<(Key, i64)>> {
        let (col, table) = dim.source();
        let eid = if table == "enterprises" {
            "id"
        } else {
            "enterprise_id"
        };
        let scope = if only_id.is_some() {
            format!(" AND {eid} = $1")
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT {col} AS k, COUNT(DISTINCT {eid}) AS n FROM {table} WHERE {col} IS NOT NULL{scope} GROUP BY {col} ORDER BY n DESC, k"
        );
        let mut q = crate::sql::query(&sql);
        if let Some(id) = only_id {
            q = q.bind(id);
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| {
                let key = if dim.text_key() {
                    Key::Text(r.try_get("k")?)
                } else {
                    Key::Id(r.try_get("k")?)
                };
                Ok((key, r.try_get("n")?))
            })
            .collect()
    }

    /// Number of enterprises (in scope).
    pub async fn enterprise_total(&self, only_id: Option<i64>) -> Result<i64> {
        let r = match only_id {
            Some(id) => {
                crate::sql::query("SELECT COUNT(*) AS n FROM enterprises WHERE id = $1")
                    .bind(id)
                    .fetch_one(self.reader())
                    .await?
            }
            None => {
                crate::sql::query("SELECT COUNT(*) AS n FROM enterprises")
                    .fetch_one(self.reader())
                    .await?
            }
        };
        Ok(r.try_get("n")?)
    }

    /// Number of registry entries per kind.
    pub async fn registry_counts(&self) -> Result<Vec<(String, i64)>> {
        let rows = crate::sql::query(
            "SELECT kind, COUNT(*) AS n FROM registry_items GROUP BY kind ORDER BY kind",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("kind")?, r.try_get("n")?)))
            .collect()
    }

    /// Credit code and name of the enterprises with these ids (for account lists).
    pub async fn enterprise_names(&self, ids: &[i64]) -> Result<Vec<(i64, String, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Integers from our own rows: safe to inline.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows = crate::sql::query(&format!(
            "SELECT id, uscc, name FROM enterprises WHERE id IN ({list}) ORDER BY id"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("uscc")?, r.try_get("name")?)))
            .collect()
    }
}
