//! The zone registry use cases and an in-memory index of it (hundreds of rows) used to resolve
//! names and codes in forms, filters and imports. The index is tagged with the store's registry
//! generation (`change_counters`, bumped by every registry write in the same transaction) and read
//! again when that moved, so writes by other processes are seen on the next call.

use crate::{Actor, App, AppError, AppResult};
use lianshi_domain::zone::{InstitutionKind, RegistryKind, Stage, registry_code, registry_name};
use lianshi_store::audit::{AuditEntry, audit_append};
use lianshi_store::enterprise::NodeLink;
pub use lianshi_store::zone::{RegistryRow, ZoneRow};
use lianshi_store::zone::{RegistryWrite, registry_insert, registry_update, zone_put};
use std::collections::HashMap;
use std::sync::Arc;

/// The registry, indexed for lookups (hash maps: imports resolve millions of references).
#[derive(Debug, Clone, Default)]
pub struct RegistryIndex {
    pub zone: Option<ZoneRow>,
    pub items: Vec<RegistryRow>,
    by_id: HashMap<i64, usize>,
    /// kind → code → position.
    by_code: HashMap<String, HashMap<String, usize>>,
    /// kind → name → positions (names need not be unique).
    by_name: HashMap<String, HashMap<String, Vec<usize>>>,
    /// parent id → child positions in (sort, id) order.
    children: HashMap<i64, Vec<usize>>,
}

impl RegistryIndex {
    pub fn build(zone: Option<ZoneRow>, items: Vec<RegistryRow>) -> RegistryIndex {
        let mut idx = RegistryIndex {
            zone,
            ..Default::default()
        };
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by_key(|i| (items[*i].sort, items[*i].id));
        for i in order {
            let r = &items[i];
            idx.by_id.insert(r.id, i);
            if let Some(c) = &r.code {
                idx.by_code
                    .entry(r.kind.clone())
                    .or_default()
                    .insert(c.clone(), i);
            }
            idx.by_name
                .entry(r.kind.clone())
                .or_default()
                .entry(r.name.clone())
                .or_default()
                .push(i);
            if let Some(p) = r.parent_id {
                idx.children.entry(p).or_default().push(i);
            }
        }
        idx.items = items;
        idx
    }

    pub fn get(&self, id: i64) -> Option<&RegistryRow> {
        self.by_id.get(&id).map(|i| &self.items[*i])
    }

    pub fn name(&self, id: Option<i64>) -> Option<&str> {
        id.and_then(|i| self.get(i)).map(|r| r.name.as_str())
    }

    /// Entries of a kind in (parent, sort, id) order.
    pub fn of_kind(&self, kind: RegistryKind) -> impl Iterator<Item = &RegistryRow> {
        self.items.iter().filter(move |r| r.kind == kind.as_str())
    }

    pub fn children(&self, parent: i64, kind: RegistryKind) -> Vec<&RegistryRow> {
        self.children
            .get(&parent)
            .map(|v| {
                v.iter()
                    .map(|i| &self.items[*i])
                    .filter(|r| r.kind == kind.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn by_name(&self, kind: RegistryKind, name: &str) -> &[usize] {
        self.by_name
            .get(kind.as_str())
            .and_then(|m| m.get(name))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Find an entry of `kind` by numeric id, code or exact name (the first, if names repeat).
    pub fn find(&self, kind: RegistryKind, key: &str) -> Option<&RegistryRow> {
        let key = key.trim();
        if let Ok(id) = key.parse::<i64>()
            && let Some(r) = self.get(id).filter(|r| r.kind == kind.as_str())
        {
            return Some(r);
        }
        if let Some(i) = self.by_code.get(kind.as_str()).and_then(|m| m.get(key)) {
            return Some(&self.items[*i]);
        }
        self.by_name(kind, key).first().map(|i| &self.items[*i])
    }

    /// Resolve a chain node reference: node code, `链名/环节名`, or a node name unique zone-wide.
    pub fn find_node(&self, key: &str) -> Option<NodeLink> {
        let key = key.trim();
        if let Some(i) = self
            .by_code
            .get(RegistryKind::ChainNode.as_str())
            .and_then(|m| m.get(key))
        {
            return self.link(self.items[*i].id);
        }
        if let [only] = self.by_name(RegistryKind::ChainNode, key) {
            return self.link(self.items[*only].id);
        }
        let (chain, name) = key.split_once(['/', '／'])?;
        let c = self.find(RegistryKind::Chain, chain)?;
        let node = self
            .children(c.id, RegistryKind::ChainNode)
            .into_iter()
            .find(|n| n.name == name.trim())?;
        self.link(node.id)
    }

    /// Chain and ecosystem of a node id.
    pub fn link(&self, node_id: i64) -> Option<NodeLink> {
        let node = self.get(node_id)?;
        let chain = self.get(node.parent_id?)?;
        Some(NodeLink {
            node_id,
            chain_id: chain.id,
            ecosystem_id: chain.parent_id?,
        })
    }

    /// `链名/环节名` of a node, the form used in spreadsheets.
    pub fn node_label(&self, node_id: i64) -> String {
        match self.get(node_id) {
            Some(n) => match self.name(n.parent_id) {
                Some(c) => format!("{c}/{}", n.name),
                None => n.name.clone(),
            },
            None => format!("#{node_id}"),
        }
    }
}

/// The cached index with the registry generation it was read at.
pub(crate) type Cached = (i64, Arc<RegistryIndex>);

/// Input to create or edit a registry entry.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RegistryInput {
    pub code: Option<String>,
    pub name: String,
    pub parent_id: Option<i64>,
    pub attr: Option<String>,
    pub sort: Option<i64>,
}

/// Who may read and edit the zone registry (and the working-day calendar, configuration of the
/// same kind): everyone signed in reads; administrators edit.
pub mod perm {
    use crate::perm::allow;
    use crate::{Actor, AppResult};
    use lianshi_domain::Role;

    pub fn view(a: &Actor) -> AppResult<()> {
        let _ = a;
        Ok(())
    }

    pub fn edit(a: &Actor) -> AppResult<()> {
        allow(a.role == Role::Admin)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::perm::table::{N, Y, check};
        use Role::*;

        #[test]
        fn everyone_reads_the_registry_and_only_administrators_edit_it() {
            check(
                "view",
                &[
                    (Admin, [Y, Y, Y]),
                    (Department, [Y, Y, Y]),
                    (Team, [Y, Y, Y]),
                    (PartySecretary, [Y, Y, Y]),
                    (Enterprise, [Y, Y, Y]),
                    (Finance, [Y, Y, Y]),
                    (Provider, [Y, Y, Y]),
                ],
                |a, _| view(a).is_ok(),
            );
            check(
                "edit",
                &[
                    (Admin, [Y, Y, Y]),
                    (Department, [N, N, N]),
                    (Team, [N, N, N]),
                    (PartySecretary, [N, N, N]),
                    (Enterprise, [N, N, N]),
                    (Finance, [N, N, N]),
                    (Provider, [N, N, N]),
                ],
                |a, _| edit(a).is_ok(),
            );
        }
    }
}

impl App {
    /// The current registry index, cached with the store's registry generation it was read at.
    /// One key lookup per call tells whether any process (another server, the CLI) committed a
    /// registry write since; then the index is read again.
    pub async fn registry(&self) -> AppResult<Arc<RegistryIndex>> {
        let generation =
            crate::generations::of(&*self.generations.current(&self.db).await?, "registry");
        if let Ok(g) = self.registry.read()
            && let Some((at, r)) = g.as_ref()
            && *at == generation
        {
            return Ok(r.clone());
        }
        // Read after the counter: a write committed in between makes the copy newer than its
        // tag, which costs one more rebuild, never a stale index.
        let idx = Arc::new(RegistryIndex::build(
            self.db.zone_get().await?,
            self.db.registry_all().await?,
        ));
        if let Ok(mut g) = self.registry.write() {
            *g = Some((generation, idx.clone()));
        }
        Ok(idx)
    }

    /// Forget the cached index after a registry write (the generation check would also notice;
    /// this saves the stale copy from being used by a caller holding an older generation).
    pub fn registry_changed(&self) {
        if let Ok(mut g) = self.registry.write() {
            *g = None;
        }
    }

    pub async fn registry_view(&self, actor: &Actor) -> AppResult<Arc<RegistryIndex>> {
        perm::view(actor)?;
        self.registry().await
    }

    pub async fn zone_update(
        &self,
        actor: &Actor,
        name: &str,
        division_code: &str,
    ) -> AppResult<()> {
        perm::edit(actor)?;
        let name = registry_name(name, 60).map_err(AppError::from_invalid)?;
        let code = division_code.trim();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(AppError::bad(
                "division_code_format",
                "行政区划代码应为6位数字（如330108）",
                "division code must be 6 digits (e.g. 330108)",
            ));
        }
        let before = self.db.zone_get().await?;
        let z = ZoneRow {
            name,
            division_code: code.to_string(),
        };
        let mut tx = self.db.begin().await?;
        zone_put(tx.conn(), &z).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "zone.update",
                "zone",
                Some("1".into()),
                json(&before),
                json(&z),
            ),
        )
        .await?;
        tx.commit().await?;
        self.registry_changed();
        Ok(())
    }

    fn registry_write(
        &self,
        idx: &RegistryIndex,
        kind: RegistryKind,
        inp: &RegistryInput,
    ) -> AppResult<RegistryWrite> {
        let name = registry_name(&inp.name, 60).map_err(AppError::from_invalid)?;
        let name = crate::text::name("name", &name)?;
        let code = match inp.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(registry_code(c).map_err(AppError::from_invalid)?),
            None if kind.has_code() => {
                return Err(AppError::bad(
                    "code_required",
                    "编码必填",
                    "code is required",
                ));
            }
            None => None,
        };
        let parent_id = match kind.parent() {
            Some(pk) => {
                let pid = inp.parent_id.ok_or_else(|| {
                    AppError::bad(
                        "parent_required",
                        format!("请选择所属{}", pk.label_zh()),
                        format!("a parent {} is required", pk.as_str()),
                    )
                })?;
                if idx.get(pid).map(|p| p.kind.as_str()) != Some(pk.as_str()) {
                    return Err(AppError::bad(
                        "parent_wrong_kind",
                        format!("上级必须是{}", pk.label_zh()),
                        format!("parent must be a {}", pk.as_str()),
                    ));
                }
                Some(pid)
            }
            None => None,
        };
        let attr = match kind {
            RegistryKind::ChainNode => Some(
                Stage::parse(inp.attr.as_deref().unwrap_or(""))
                    .map_err(AppError::from_invalid)?
                    .as_str()
                    .to_string(),
            ),
            RegistryKind::Institution => Some(
                InstitutionKind::parse(inp.attr.as_deref().unwrap_or(""))
                    .map_err(AppError::from_invalid)?
                    .as_str()
                    .to_string(),
            ),
            _ => None,
        };
        Ok(RegistryWrite {
            code,
            name,
            parent_id,
            attr,
            sort: inp.sort.unwrap_or(0),
        })
    }

    pub async fn registry_create(
        &self,
        actor: &Actor,
        kind: RegistryKind,
        inp: &RegistryInput,
    ) -> AppResult<i64> {
        perm::edit(actor)?;
        let idx = self.registry().await?;
        let w = self.registry_write(&idx, kind, inp)?;
        let mut tx = self.db.begin().await?;
        let id = registry_insert(tx.conn(), kind, &w).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "registry.create",
                kind.as_str(),
                Some(id.to_string()),
                None,
                json(&w),
            ),
        )
        .await?;
        tx.commit().await?;
        self.registry_changed();
        Ok(id)
    }

    pub async fn registry_update(
        &self,
        actor: &Actor,
        id: i64,
        inp: &RegistryInput,
    ) -> AppResult<()> {
        perm::edit(actor)?;
        let idx = self.registry().await?;
        let before = idx
            .get(id)
            .cloned()
            .ok_or_else(|| AppError::NotFound(format!("registry {id}")))?;
        let kind = RegistryKind::parse(&before.kind).map_err(AppError::from_invalid)?;
        let w = self.registry_write(&idx, kind, inp)?;
        if kind == RegistryKind::ChainNode
            && w.parent_id != before.parent_id
            && self.db.registry_usage(id).await? > 0
        {
            return Err(AppError::Conflict(
                "该环节已有企业，不能移到其他产业链 / node has enterprises; it cannot move to another chain".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        registry_update(tx.conn(), id, &w).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "registry.update",
                kind.as_str(),
                Some(id.to_string()),
                json(&before),
                json(&w),
            ),
        )
        .await?;
        tx.commit().await?;
        self.registry_changed();
        Ok(())
    }
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// An audit entry for `actor`.
pub(crate) fn entry(
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> AuditEntry {
    AuditEntry {
        actor_id: actor.user_id,
        actor_name: actor.username.clone(),
        action: action.into(),
        entity: entity.into(),
        entity_id,
        before,
        after,
        source: actor.source.as_str().into(),
    }
}
