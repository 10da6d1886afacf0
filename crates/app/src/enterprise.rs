//! Enterprise use cases: list with filters, the one-file page (一企一档), create and edit.
//!
//! Every write goes through [`App::resolve_draft`] (registry references → ids, size band derived
//! from industry, headcount and revenue) and lands with its audit entry in one transaction.

use crate::registry::{RegistryIndex, entry, json};
use crate::{Actor, App, AppError, AppResult, access};
use lianshi_domain::enterprise::{EnterpriseDraft, EnterpriseInput, FieldError};
use lianshi_domain::money::{Money, mask_phone};
use lianshi_domain::zone::RegistryKind;
use lianshi_domain::{IndustryCode, Invalid, SizeBand, size};
use lianshi_search::{Doc, Filter, Index};
use lianshi_store::audit::audit_append;
use lianshi_store::enterprise::{
    EnterpriseFilter, EnterpriseRow, EnterpriseWrite, IndexRow, Slice, enterprise_generation_bump,
    enterprise_insert, enterprise_update,
};
use std::sync::{Arc, Mutex};

/// Changed ids kept for a patch of the list index; beyond this the next list rebuilds it.
const MAX_DIRTY: usize = 20_000;

/// The enterprise list index (`lianshi-search`), derived from the store: built on the first list
/// request, patched from the store with the ids that every enterprise write path reports after
/// its commit ([`ListIndex::changed`]), rebuilt after bulk writes ([`ListIndex::changed_all`]).
#[derive(Default)]
pub struct ListIndex {
    state: Mutex<ListState>,
    /// One build or patch at a time.
    build: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct ListState {
    index: Option<Arc<Index>>,
    /// Ids written since the index was read from the store.
    dirty: Vec<i64>,
    /// Too many changes to patch: rebuild.
    stale: bool,
    /// The store's enterprise generation the index reflects.
    base_gen: Option<i64>,
    /// Generations of this process's own writes reported since (each with its ids in `dirty`).
    /// A committed generation not in here was written by another process: rebuild.
    own_gens: Vec<i64>,
}

impl ListState {
    fn fresh(&self, db_gen: i64) -> Option<Arc<Index>> {
        self.index
            .clone()
            .filter(|_| !self.stale && self.dirty.is_empty() && self.base_gen == Some(db_gen))
    }

    /// Whether every write committed after `base_gen` up to `db_gen` is one of ours.
    fn explained(&self, db_gen: i64) -> bool {
        let Some(base) = self.base_gen else {
            return false;
        };
        let mut own: Vec<i64> = self
            .own_gens
            .iter()
            .copied()
            .filter(|g| *g > base && *g <= db_gen)
            .collect();
        own.sort_unstable();
        own.dedup();
        own.len() as i64 == db_gen - base
    }
}

impl ListIndex {
    fn lock(&self) -> std::sync::MutexGuard<'_, ListState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// These enterprises were written by the transaction that moved the store's enterprise
    /// generation to `generation` (call after the commit).
    pub fn changed(&self, ids: &[i64], generation: i64) {
        let mut s = self.lock();
        if s.stale {
            return;
        }
        s.own_gens.push(generation);
        if s.dirty.len() + ids.len() > MAX_DIRTY {
            s.stale = true;
            s.dirty = Vec::new();
        } else {
            s.dirty.extend_from_slice(ids);
        }
    }

    /// Many enterprises were written (call after the commit): rebuild on the next list.
    pub fn changed_all(&self) {
        let mut s = self.lock();
        s.stale = true;
        s.dirty = Vec::new();
    }
}

fn doc(r: IndexRow) -> Doc {
    Doc {
        id: r.id,
        name: r.name,
        uscc: r.uscc,
        street_id: r.street_id,
        park_id: r.park_id,
        size_band: r.size_band,
        nodes: r
            .nodes
            .iter()
            .map(|n| (n.node_id, n.chain_id, n.ecosystem_id))
            .collect(),
        tags: r.tags,
    }
}

/// Query of the enterprise list as the UI and API send it (codes, names or ids).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct EnterpriseQuery {
    pub q: Option<String>,
    pub ecosystem: Option<String>,
    pub chain: Option<String>,
    pub node: Option<String>,
    pub street: Option<String>,
    pub park: Option<String>,
    pub tag: Option<String>,
    pub size: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// Keyset cursor: id of the last row of the previous page.
    pub after: Option<i64>,
}

/// A chain position as shown to people.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NodeView {
    pub code: Option<String>,
    pub name: String,
    pub chain: String,
    pub chain_code: Option<String>,
    pub ecosystem: String,
    pub stage: String,
}

/// An enterprise as pages and the API show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EnterpriseView {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub industry_code: Option<String>,
    pub industry_name: Option<String>,
    pub registered_on: Option<String>,
    pub ownership: Option<String>,
    pub street: Option<String>,
    pub park: Option<String>,
    pub building: Option<String>,
    pub address: Option<String>,
    pub chain_nodes: Vec<NodeView>,
    pub headcount: Option<i64>,
    pub tech_staff: Option<i64>,
    pub revenue_fen: Option<i64>,
    pub rd_spend_fen: Option<i64>,
    pub tax_paid_fen: Option<i64>,
    /// Formatted in 万元/元 for display.
    pub revenue_text: Option<String>,
    pub rd_spend_text: Option<String>,
    pub tax_paid_text: Option<String>,
    pub size_band: Option<String>,
    pub size_band_zh: Option<String>,
    pub tags: Vec<String>,
    pub contact_name: Option<String>,
    /// Masked unless the actor may see full numbers.
    pub contact_phone: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Warnings that do not block saving (e.g. organisation-code check at position 17).
    pub warnings: Vec<String>,
}

/// One page of the list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EnterprisePage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    /// Pass as `after` to get the next page by keyset.
    pub next_after: Option<i64>,
    pub items: Vec<EnterpriseView>,
}

pub(crate) fn view(idx: &RegistryIndex, r: &EnterpriseRow, full_phone: bool) -> EnterpriseView {
    let chain_nodes = r
        .node_ids
        .iter()
        .filter_map(|id| {
            let n = idx.get(*id)?;
            let c = n.parent_id.and_then(|p| idx.get(p));
            let e = c.and_then(|c| c.parent_id).and_then(|p| idx.get(p));
            Some(NodeView {
                code: n.code.clone(),
                name: n.name.clone(),
                chain: c.map(|c| c.name.clone()).unwrap_or_default(),
                chain_code: c.and_then(|c| c.code.clone()),
                ecosystem: e.map(|e| e.name.clone()).unwrap_or_default(),
                stage: n.attr.clone().unwrap_or_default(),
            })
        })
        .collect();
    let industry = r
        .industry_code
        .as_deref()
        .and_then(|c| IndustryCode::parse(c).ok());
    let warnings = lianshi_domain::Uscc::parse(&r.uscc)
        .ok()
        .and_then(|u| u.org_code_warning())
        .map(|w| vec![w.bilingual()])
        .unwrap_or_default();
    let band = r.size_band.as_deref().and_then(|s| SizeBand::parse(s).ok());
    EnterpriseView {
        id: r.id,
        uscc: r.uscc.clone(),
        name: r.name.clone(),
        industry_code: r.industry_code.clone(),
        industry_name: industry
            .as_ref()
            .and_then(|i| i.name_zh())
            .map(str::to_string),
        registered_on: r.registered_on.clone(),
        ownership: r.ownership.clone(),
        street: idx.name(r.street_id).map(str::to_string),
        park: idx.name(r.park_id).map(str::to_string),
        building: idx.name(r.building_id).map(str::to_string),
        address: r.address.clone(),
        chain_nodes,
        headcount: r.headcount,
        tech_staff: r.tech_staff,
        revenue_fen: r.revenue_fen,
        rd_spend_fen: r.rd_fen,
        tax_paid_fen: r.tax_fen,
        revenue_text: r.revenue_fen.map(|f| Money(f).format_auto()),
        rd_spend_text: r.rd_fen.map(|f| Money(f).format_auto()),
        tax_paid_text: r.tax_fen.map(|f| Money(f).format_auto()),
        size_band: band.map(|b| b.as_str().to_string()),
        size_band_zh: band.map(|b| b.label_zh().to_string()),
        tags: r.tags.clone(),
        contact_name: r.contact_name.clone(),
        contact_phone: r.contact_phone.as_deref().map(|p| {
            if full_phone {
                p.to_string()
            } else {
                mask_phone(p)
            }
        }),
        version: r.version,
        created_at: r.created_at.clone(),
        updated_at: r.updated_at.clone(),
        warnings,
    }
}

fn unknown(field: &'static str, kind: RegistryKind, v: &str) -> FieldError {
    FieldError {
        field,
        reason: Invalid::new(
            "registry_unknown",
            format!("未找到{}“{v}”", kind.label_zh()),
            format!("no {} named '{v}'", kind.as_str()),
        ),
    }
}

impl App {
    /// Turn a query's codes/names into store filter ids; an unknown value is a 400.
    pub fn resolve_query(
        &self,
        idx: &RegistryIndex,
        q: &EnterpriseQuery,
    ) -> AppResult<EnterpriseFilter> {
        let mut errs = Vec::new();
        let mut find =
            |field: &'static str, kind: RegistryKind, v: &Option<String>| -> Option<i64> {
                let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
                match idx.find(kind, v) {
                    Some(r) => Some(r.id),
                    None => {
                        errs.push(unknown(field, kind, v));
                        None
                    }
                }
            };
        let f = EnterpriseFilter {
            q: q.q.clone().filter(|s| !s.trim().is_empty()),
            ecosystem_id: find("ecosystem", RegistryKind::Ecosystem, &q.ecosystem),
            chain_id: find("chain", RegistryKind::Chain, &q.chain),
            node_id: find("node", RegistryKind::ChainNode, &q.node),
            street_id: find("street", RegistryKind::Street, &q.street),
            park_id: find("park", RegistryKind::Park, &q.park),
            tag: q.tag.clone().filter(|s| !s.trim().is_empty()),
            size_band: match q.size.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => match SizeBand::parse(s) {
                    Ok(b) => Some(b.as_str().to_string()),
                    Err(e) => {
                        errs.push(FieldError {
                            field: "size",
                            reason: e,
                        });
                        None
                    }
                },
                None => None,
            },
            only_id: None,
        };
        if errs.is_empty() {
            Ok(f)
        } else {
            Err(AppError::Invalid(errs))
        }
    }

    /// The current list index: built from the store on first use, patched with the enterprises
    /// written since, or rebuilt after a bulk write.
    pub async fn list_index(&self) -> AppResult<Arc<Index>> {
        // One cheap read tells whether anyone (this process or another, e.g. a CLI import while
        // the server runs) committed enterprise writes since the index was read.
        let db_gen = self.db.enterprise_generation().await?;
        if let Some(ix) = self.list_index.lock().fresh(db_gen) {
            return Ok(ix);
        }
        let _one = self.list_index.build.lock().await;
        let db_gen = self.db.enterprise_generation().await?;
        let (current, dirty) = {
            let mut s = self.list_index.lock();
            if let Some(ix) = s.fresh(db_gen) {
                return Ok(ix);
            }
            // Patch only when every commit since the index was read is one of ours (their ids
            // are in `dirty`); a foreign commit means rebuild. Writes reported from here on land
            // in `dirty` again; the store read below sees every write committed up to `db_gen`.
            let explained = s.explained(db_gen);
            let current = s.index.clone().filter(|_| !s.stale && explained);
            s.stale = false;
            s.own_gens.retain(|g| *g > db_gen);
            s.base_gen = Some(db_gen);
            (current, std::mem::take(&mut s.dirty))
        };
        let built = match &current {
            Some(ix) => self
                .db
                .enterprise_index_rows(Some(&dirty))
                .await
                .map(|rows| ix.patched(&dirty, rows.into_iter().map(doc).collect())),
            None => self.db.enterprise_index_rows(None).await.map(|rows| {
                let mut ix = Index::new();
                for r in rows {
                    ix.push(&doc(r));
                }
                ix
            }),
        };
        let mut s = self.list_index.lock();
        match built {
            Ok(ix) => {
                let ix = Arc::new(ix);
                s.index = Some(ix.clone());
                Ok(ix)
            }
            Err(e) => {
                // The taken changes are not applied: rebuild next time.
                s.stale = true;
                Err(e.into())
            }
        }
    }

    /// The filtered, paged list an actor may see.
    pub async fn enterprise_list(
        &self,
        actor: &Actor,
        q: &EnterpriseQuery,
    ) -> AppResult<EnterprisePage> {
        access::browse_enterprises(actor)?;
        // Totals and pages count only the enterprises in the actor's scope.
        let scope = self.enterprise_scope(actor).await?;
        let idx = self.registry().await?;
        let f = self.resolve_query(&idx, q)?;
        let per_page = q.per_page.unwrap_or(20).clamp(1, 200);
        let page = q.page.unwrap_or(1).max(1);
        let slice = Slice {
            limit: per_page,
            offset: (page - 1).saturating_mul(per_page),
            after: q.after,
        };
        // Filter, count and slice in the in-memory list index; load only the slice's rows.
        let ix = self.list_index().await?;
        let hits = ix.query(
            &Filter {
                q: f.q.as_deref(),
                ecosystem_id: f.ecosystem_id,
                chain_id: f.chain_id,
                node_id: f.node_id,
                street_id: f.street_id,
                park_id: f.park_id,
                tag: f.tag.as_deref(),
                size_band: f.size_band.as_deref(),
                only_id: f.only_id,
                only_ids: scope.ids.as_deref(),
            },
            usize::try_from(slice.offset).unwrap_or(usize::MAX),
            per_page as usize,
            slice.after,
        );
        let rows = self.db.enterprise_by_ids(&hits.ids).await?;
        let total = hits.total as i64;
        let full = access::sees_full_phone(actor);
        let next_after = (rows.len() as i64 == per_page)
            .then(|| rows.last().map(|r| r.id))
            .flatten();
        Ok(EnterprisePage {
            total,
            page,
            per_page,
            next_after,
            items: rows
                .iter()
                .map(|r| scope.shape(view(&idx, r, full)))
                .collect(),
        })
    }

    async fn load_visible(&self, actor: &Actor, uscc: &str) -> AppResult<EnterpriseRow> {
        Ok(self.load_scoped(actor, uscc).await?.0)
    }

    /// The enterprise with its actor's scope. Unknown → 404; outside a finance user's or party
    /// secretary's scope → the same 404; another enterprise's user → 403.
    async fn load_scoped(
        &self,
        actor: &Actor,
        uscc: &str,
    ) -> AppResult<(EnterpriseRow, access::EnterpriseScope)> {
        access::browse_enterprises(actor)?;
        let scope = self.enterprise_scope(actor).await?;
        let code = uscc.trim().to_ascii_uppercase();
        let not_found = || AppError::NotFound(format!("enterprise {code}"));
        let row = self
            .db
            .enterprise_by_uscc(&code)
            .await?
            .ok_or_else(not_found)?;
        access::view_enterprise(actor, row.id)?;
        if !scope.contains(row.id) {
            return Err(not_found());
        }
        Ok((row, scope))
    }

    /// One enterprise by credit code, with the fields the actor's scope shows. Unknown → 404.
    pub async fn enterprise_get(&self, actor: &Actor, uscc: &str) -> AppResult<EnterpriseView> {
        let (row, scope) = self.load_scoped(actor, uscc).await?;
        let idx = self.registry().await?;
        Ok(scope.shape(view(&idx, &row, access::sees_full_phone(actor))))
    }

    /// Resolve a validated draft against the registry into a storable write.
    pub fn resolve_draft(
        &self,
        idx: &RegistryIndex,
        d: &EnterpriseDraft,
    ) -> Result<EnterpriseWrite, Vec<FieldError>> {
        let mut errs = Vec::new();
        let street = d.street.as_deref().and_then(|s| {
            let r = idx.find(RegistryKind::Street, s);
            if r.is_none() {
                errs.push(unknown("street", RegistryKind::Street, s));
            }
            r
        });
        let park = d.park.as_deref().and_then(|s| {
            let r = idx.find(RegistryKind::Park, s);
            if r.is_none() {
                errs.push(unknown("park", RegistryKind::Park, s));
            }
            r
        });
        let building = d.building.as_deref().and_then(|s| {
            let r = park
                .map(|p| idx.children(p.id, RegistryKind::Building))
                .and_then(|b| b.into_iter().find(|b| b.name == s))
                .or_else(|| idx.find(RegistryKind::Building, s));
            if r.is_none() {
                errs.push(unknown("building", RegistryKind::Building, s));
            }
            r
        });
        if let (Some(p), Some(s)) = (park, street)
            && p.parent_id != Some(s.id)
        {
            errs.push(FieldError {
                field: "park",
                reason: Invalid::new(
                    "park_not_in_street",
                    format!("园区“{}”不在“{}”", p.name, s.name),
                    format!("park '{}' is not in street '{}'", p.name, s.name),
                ),
            });
        }
        if let (Some(b), Some(p)) = (building, park)
            && b.parent_id != Some(p.id)
        {
            errs.push(FieldError {
                field: "building",
                reason: Invalid::new(
                    "building_not_in_park",
                    format!("楼宇“{}”不在园区“{}”", b.name, p.name),
                    format!("building '{}' is not in park '{}'", b.name, p.name),
                ),
            });
        }
        let mut nodes = Vec::new();
        for key in &d.chain_nodes {
            match idx.find_node(key) {
                Some(l)
                    if !nodes
                        .iter()
                        .any(|n: &lianshi_store::enterprise::NodeLink| n.node_id == l.node_id) =>
                {
                    nodes.push(l)
                }
                Some(_) => {}
                None => errs.push(unknown("chain_nodes", RegistryKind::ChainNode, key)),
            }
        }
        // A park implies its street; a building implies its park.
        let park_id = park
            .map(|p| p.id)
            .or_else(|| building.and_then(|b| b.parent_id));
        let street_id = street
            .map(|s| s.id)
            .or_else(|| park_id.and_then(|p| idx.get(p)).and_then(|p| p.parent_id));
        let division = d.industry_code.as_ref().map(|c| c.division());
        let band = size::classify(division, d.headcount, d.revenue.map(|m| m.fen()));
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(EnterpriseWrite {
            uscc: d
                .uscc
                .as_ref()
                .map(|u| u.as_str().to_string())
                .unwrap_or_default(),
            name: d.name.clone(),
            industry_code: d.industry_code.as_ref().map(|c| c.code().to_string()),
            registered_on: d.registered_on.map(|x| x.to_string()),
            ownership: d.ownership.clone(),
            street_id,
            park_id,
            building_id: building.map(|b| b.id),
            address: d.address.clone(),
            headcount: d.headcount,
            tech_staff: d.tech_staff,
            revenue_fen: d.revenue.map(|m| m.fen()),
            rd_fen: d.rd_spend.map(|m| m.fen()),
            tax_fen: d.tax_paid.map(|m| m.fen()),
            size_band: band.map(|b| b.as_str().to_string()),
            contact_name: d.contact_name.clone(),
            contact_phone: d.contact_phone.clone(),
            nodes,
            tags: d.tags.clone(),
        })
    }

    /// Create an enterprise. Credit code already used → 409.
    pub async fn enterprise_create(
        &self,
        actor: &Actor,
        inp: &EnterpriseInput,
    ) -> AppResult<EnterpriseView> {
        access::create_enterprise(actor)?;
        let draft = inp
            .validate(Self::today(), true)
            .map_err(AppError::Invalid)?;
        let idx = self.registry().await?;
        let w = self
            .resolve_draft(&idx, &draft)
            .map_err(AppError::Invalid)?;
        let mut tx = self.db.begin().await?;
        let id = enterprise_insert(tx.conn(), &w).await?;
        let generation = enterprise_generation_bump(tx.conn()).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "enterprise.create",
                "enterprise",
                Some(w.uscc.clone()),
                None,
                json(&w),
            ),
        )
        .await?;
        tx.commit().await?;
        self.list_index.changed(&[id], generation);
        let row = self
            .db
            .enterprise_by_id(id)
            .await?
            .ok_or_else(|| AppError::NotFound(w.uscc.clone()))?;
        Ok(view(&idx, &row, access::sees_full_phone(actor)))
    }

    /// Edit an enterprise: fields absent from the input keep their value, empty strings clear.
    /// `expected_version` (if given) must match, or the edit is refused with 409.
    pub async fn enterprise_update(
        &self,
        actor: &Actor,
        uscc: &str,
        inp: &EnterpriseInput,
        expected_version: Option<i64>,
    ) -> AppResult<EnterpriseView> {
        let row = self.load_visible(actor, uscc).await?;
        access::edit_enterprise(actor, row.id)?;
        let idx = self.registry().await?;
        if let Some(v) = expected_version
            && v != row.version
        {
            return Err(AppError::Conflict(
                    "记录已被他人修改，请刷新后重试 / the record was changed by someone else; reload and retry".into(),
                ));
        }
        let merged = merge(&idx, &row, inp);
        if actor.role == lianshi_domain::Role::Enterprise
            && merged
                .uscc
                .as_deref()
                .map(|u| u.trim().to_ascii_uppercase())
                != Some(row.uscc.clone())
        {
            return Err(AppError::Forbidden);
        }
        let draft = merged
            .validate(Self::today(), true)
            .map_err(AppError::Invalid)?;
        let w = self
            .resolve_draft(&idx, &draft)
            .map_err(AppError::Invalid)?;
        let before = view(&idx, &row, true);
        let mut tx = self.db.begin().await?;
        enterprise_update(tx.conn(), row.id, row.version, &w).await?;
        let generation = enterprise_generation_bump(tx.conn()).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "enterprise.update",
                "enterprise",
                Some(w.uscc.clone()),
                json(&before),
                json(&w),
            ),
        )
        .await?;
        tx.commit().await?;
        self.list_index.changed(&[row.id], generation);
        let row = self
            .db
            .enterprise_by_id(row.id)
            .await?
            .ok_or_else(|| AppError::NotFound(w.uscc.clone()))?;
        Ok(view(&idx, &row, access::sees_full_phone(actor)))
    }
}

/// The stored record as input text, overlaid with the fields the input gives.
fn merge(idx: &RegistryIndex, r: &EnterpriseRow, inp: &EnterpriseInput) -> EnterpriseInput {
    let yuan = |f: Option<i64>| f.map(|f| Money(f).yuan_string());
    let base = EnterpriseInput {
        uscc: Some(r.uscc.clone()),
        name: Some(r.name.clone()),
        industry_code: r.industry_code.clone(),
        registered_on: r.registered_on.clone(),
        ownership: r.ownership.clone(),
        street: idx.name(r.street_id).map(str::to_string),
        park: idx.name(r.park_id).map(str::to_string),
        building: idx.name(r.building_id).map(str::to_string),
        address: r.address.clone(),
        chain_nodes: Some(r.node_ids.iter().map(|n| idx.node_label(*n)).collect()),
        headcount: r.headcount.map(|v| v.to_string()),
        tech_staff: r.tech_staff.map(|v| v.to_string()),
        revenue_yuan: yuan(r.revenue_fen),
        rd_spend_yuan: yuan(r.rd_fen),
        tax_paid_yuan: yuan(r.tax_fen),
        tags: Some(r.tags.clone()),
        contact_name: r.contact_name.clone(),
        contact_phone: r.contact_phone.clone(),
    };
    fn pick<T: Clone>(new: &Option<T>, old: Option<T>) -> Option<T> {
        if new.is_some() { new.clone() } else { old }
    }
    EnterpriseInput {
        uscc: pick(&inp.uscc, base.uscc),
        name: pick(&inp.name, base.name),
        industry_code: pick(&inp.industry_code, base.industry_code),
        registered_on: pick(&inp.registered_on, base.registered_on),
        ownership: pick(&inp.ownership, base.ownership),
        street: pick(&inp.street, base.street),
        park: pick(&inp.park, base.park),
        building: pick(&inp.building, base.building),
        address: pick(&inp.address, base.address),
        chain_nodes: pick(&inp.chain_nodes, base.chain_nodes),
        headcount: pick(&inp.headcount, base.headcount),
        tech_staff: pick(&inp.tech_staff, base.tech_staff),
        revenue_yuan: pick(&inp.revenue_yuan, base.revenue_yuan),
        rd_spend_yuan: pick(&inp.rd_spend_yuan, base.rd_spend_yuan),
        tax_paid_yuan: pick(&inp.tax_paid_yuan, base.tax_paid_yuan),
        tags: pick(&inp.tags, base.tags),
        contact_name: pick(&inp.contact_name, base.contact_name),
        contact_phone: pick(&inp.contact_phone, base.contact_phone),
    }
}
