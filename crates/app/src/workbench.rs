//! Figures of the workbench (工作台, the page every role opens on) and the enterprise counts of
//! the zone page. Every enterprise figure is a SQL aggregate over the records, scoped like the
//! enterprise list, and carries the filter value under which the list shows exactly the records
//! behind it. Roles whose scope holds only some enterprises by purpose (finance, party
//! secretaries) get no enterprise figures, so counts do not reveal what their lists hide.

use crate::enterprise::perm;
use crate::{Actor, App, AppResult};
use lianshi_domain::zone::RegistryKind;
use lianshi_domain::{Role, SizeBand};
use lianshi_store::workbench::{Dim, Key};
use std::collections::HashMap;

/// One bar of a chart: the list filter value, labels and the number of enterprises.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Bar {
    /// Value of the list filter (`/enterprises?{param}={key}`).
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub count: i64,
}

/// Everything the workbench shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorkbenchFigures {
    /// Enterprises in the actor's scope; `None` if the actor may not browse enterprises.
    pub enterprises: Option<i64>,
    pub ecosystems: i64,
    pub chains: i64,
    pub chain_nodes: i64,
    pub departments: i64,
    pub institutions: i64,
    pub streets: i64,
    pub parks: i64,
    pub by_ecosystem: Vec<Bar>,
    pub by_chain: Vec<Bar>,
    pub by_street: Vec<Bar>,
    pub by_size: Vec<Bar>,
    pub top_tags: Vec<Bar>,
}

/// Scope of the enterprise figures: `None` = all, `Some(id)` = one enterprise.
fn scope(actor: &Actor) -> Option<i64> {
    (actor.role == Role::Enterprise).then(|| actor.enterprise_id.unwrap_or(-1))
}

impl App {
    /// Enterprises per registry entry of one dimension, keyed by registry id.
    async fn counts_by_id(&self, dim: Dim, only: Option<i64>) -> AppResult<HashMap<i64, i64>> {
        Ok(self
            .db
            .enterprise_counts_by(dim, only)
            .await?
            .into_iter()
            .filter_map(|(k, n)| match k {
                Key::Id(id) => Some((id, n)),
                Key::Text(_) => None,
            })
            .collect())
    }

    /// Bars for every registry entry of `kind` (zeros included), largest first.
    async fn registry_bars(
        &self,
        kind: RegistryKind,
        dim: Dim,
        only: Option<i64>,
    ) -> AppResult<Vec<Bar>> {
        let idx = self.registry().await?;
        let counts = self.counts_by_id(dim, only).await?;
        let mut bars: Vec<Bar> = idx
            .of_kind(kind)
            .map(|r| Bar {
                key: r.code.clone().unwrap_or_else(|| r.id.to_string()),
                label_zh: r.name.clone(),
                label_en: r.name.clone(),
                count: counts.get(&r.id).copied().unwrap_or(0),
            })
            .collect();
        // Stable: equal counts keep registry order.
        bars.sort_by_key(|b| std::cmp::Reverse(b.count));
        Ok(bars)
    }

    /// The workbench figures for `actor`.
    pub async fn workbench_figures(&self, actor: &Actor) -> AppResult<WorkbenchFigures> {
        let kinds: HashMap<String, i64> = self.db.registry_counts().await?.into_iter().collect();
        let k = |kind: RegistryKind| kinds.get(kind.as_str()).copied().unwrap_or(0);
        let mut s = WorkbenchFigures {
            enterprises: None,
            ecosystems: k(RegistryKind::Ecosystem),
            chains: k(RegistryKind::Chain),
            chain_nodes: k(RegistryKind::ChainNode),
            departments: k(RegistryKind::Department),
            institutions: k(RegistryKind::Institution),
            streets: k(RegistryKind::Street),
            parks: k(RegistryKind::Park),
            by_ecosystem: Vec::new(),
            by_chain: Vec::new(),
            by_street: Vec::new(),
            by_size: Vec::new(),
            top_tags: Vec::new(),
        };
        if perm::browse_enterprises(actor).is_err() || !self.enterprise_scope(actor).await?.figures
        {
            return Ok(s);
        }
        let only = scope(actor);
        s.enterprises = Some(self.db.enterprise_total(only).await?);
        s.by_ecosystem = self
            .registry_bars(RegistryKind::Ecosystem, Dim::Ecosystem, only)
            .await?;
        s.by_chain = self
            .registry_bars(RegistryKind::Chain, Dim::Chain, only)
            .await?;
        s.by_street = self
            .registry_bars(RegistryKind::Street, Dim::Street, only)
            .await?;
        let sizes: HashMap<String, i64> = self
            .db
            .enterprise_counts_by(Dim::Size, only)
            .await?
            .into_iter()
            .filter_map(|(k, n)| match k {
                Key::Text(t) => Some((t, n)),
                Key::Id(_) => None,
            })
            .collect();
        s.by_size = SizeBand::all()
            .iter()
            .map(|b| Bar {
                key: b.as_str().into(),
                label_zh: b.label_zh().into(),
                label_en: b.label_en().into(),
                count: sizes.get(b.as_str()).copied().unwrap_or(0),
            })
            .collect();
        s.top_tags = self
            .db
            .enterprise_counts_by(Dim::Tag, only)
            .await?
            .into_iter()
            .filter_map(|(k, n)| match k {
                Key::Text(t) => Some(Bar {
                    key: t.clone(),
                    label_zh: t.clone(),
                    label_en: t,
                    count: n,
                }),
                Key::Id(_) => None,
            })
            .take(10)
            .collect();
        Ok(s)
    }

    /// Enterprises per registry entry (ecosystems, chains, nodes, streets, parks), keyed by id,
    /// for the registry page; empty if the actor may not browse enterprises.
    pub async fn registry_enterprise_counts(&self, actor: &Actor) -> AppResult<HashMap<i64, i64>> {
        let mut out = HashMap::new();
        if perm::browse_enterprises(actor).is_err() || !self.enterprise_scope(actor).await?.figures
        {
            return Ok(out);
        }
        let only = scope(actor);
        for dim in [
            Dim::Ecosystem,
            Dim::Chain,
            Dim::Node,
            Dim::Street,
            Dim::Park,
        ] {
            out.extend(self.counts_by_id(dim, only).await?);
        }
        Ok(out)
    }
}
