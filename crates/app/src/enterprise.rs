//! Enterprise use cases: list with filters, the one-file page (一企一档), create and edit, and
//! the review of corrections to the figures that decide benefits.
//!
//! Every write goes through [`App::resolve_draft`] (registry references → ids, size band derived
//! from industry, headcount and revenue) and lands with its audit entry in one transaction.
//!
//! Provenance: the fields in [`VERIFIED_FIELDS`] (figures, certification tags, location, chain
//! positions: what the policy rules read) hold verified values only. Administrators and
//! department officers set them directly (source `verified`), imports set them (`imported`); an
//! enterprise user's or a service team's change to one becomes a pending correction, and the
//! value in force stays until an officer accepts it ([`App::correction_accept`]). The other
//! fields (name, building, address, contact) they change directly.
//!
//! Scope: an actor who may browse enterprises but not this one gets the same 404 as for an
//! unknown credit code, so an enterprise user cannot probe which codes are registered.

use crate::zone::{RegistryIndex, entry, json};
use crate::{Actor, App, AppError, AppResult};
use lianshi_domain::enterprise::{
    EnterpriseDraft, EnterpriseInput, FieldError, FieldSource, VERIFIED_FIELDS, field_label_zh,
};
use lianshi_domain::money::{Money, mask_phone};
use lianshi_domain::zone::RegistryKind;
use lianshi_domain::{IndustryCode, Invalid, SizeBand, size};
use lianshi_search::{Doc, Filter, Index};
use lianshi_store::audit::audit_append;
use lianshi_store::enterprise::{
    CorrectionFilter, CorrectionRow, EnterpriseFilter, EnterpriseRow, EnterpriseWrite,
    FieldSourceRow, IndexRow, NewCorrection, Slice, correction_decide, correction_propose,
    enterprise_generation_bump, enterprise_insert, enterprise_update, field_source_set,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// Who may do what with enterprise records, and which of them each role reads.
pub mod perm;

/// An out-of-scope enterprise answers like an unknown one (404), so its existence does not leak.
pub(crate) fn hide_forbidden(e: AppError, what: &str) -> AppError {
    match e {
        AppError::Forbidden => AppError::NotFound(format!("enterprise {what}")),
        e => e,
    }
}

/// A correction as pages and the API show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectionView {
    #[serde(flatten)]
    pub row: CorrectionRow,
    /// Chinese label of the field (e.g. 营业收入（元）).
    pub field_label: String,
    /// The values as people read them (money in 万元/亿元, empty shown as —).
    pub current_text: String,
    pub proposed_text: String,
}

/// One page of corrections.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectionPage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<CorrectionView>,
}

/// The states a correction can be in (the list filter's values).
pub const CORRECTION_STATUSES: [&str; 3] = ["pending", "accepted", "rejected"];

#[cfg(feature = "openapi")]
fn correction_status_schema() -> utoipa::openapi::schema::Schema {
    use lianshi_domain::schema::{Absent, one_of};
    one_of(CORRECTION_STATUSES, Absent::Empty)
}

/// Correction list query, as the UI and API send it.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default)]
pub struct CorrectionQuery {
    /// `pending`, `accepted` or `rejected`; all when absent or empty.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = correction_status_schema),
        param(schema_with = correction_status_schema)
    )]
    pub status: Option<String>,
    /// One enterprise's corrections (credit code).
    pub enterprise: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

fn display_value(field: &str, v: &str) -> String {
    if v.is_empty() {
        return "—".into();
    }
    if field.ends_with("_yuan")
        && let Ok(m) = Money::from_yuan_str(v)
    {
        return m.format_auto();
    }
    v.to_string()
}

pub(crate) fn correction_view(row: CorrectionRow) -> CorrectionView {
    CorrectionView {
        field_label: field_label_zh(&row.field).to_string(),
        current_text: display_value(&row.field, &row.current_value),
        proposed_text: display_value(&row.field, &row.proposed_value),
        row,
    }
}

/// Field → source of the value in force, for every verified field (no row: imported).
pub fn sources_map(rows: &[FieldSourceRow]) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = VERIFIED_FIELDS
        .iter()
        .map(|f| (f.to_string(), FieldSource::Imported.as_str().to_string()))
        .collect();
    for r in rows {
        if let Some(slot) = out.get_mut(&r.field) {
            slot.clone_from(&r.source);
        }
    }
    out
}

/// The verified fields of a record, each as the input text that would set it ("" = empty);
/// lists sorted so that equal sets compare equal.
struct VerifiedValues {
    industry_code: Option<String>,
    registered_on: Option<String>,
    ownership: Option<String>,
    street_id: Option<i64>,
    park_id: Option<i64>,
    node_ids: Vec<i64>,
    headcount: Option<i64>,
    tech_staff: Option<i64>,
    revenue_fen: Option<i64>,
    rd_fen: Option<i64>,
    tax_fen: Option<i64>,
    tags: Vec<String>,
}

impl VerifiedValues {
    fn of_row(r: &EnterpriseRow) -> VerifiedValues {
        let mut v = VerifiedValues {
            industry_code: r.industry_code.clone(),
            registered_on: r.registered_on.clone(),
            ownership: r.ownership.clone(),
            street_id: r.street_id,
            park_id: r.park_id,
            node_ids: r.node_ids.clone(),
            headcount: r.headcount,
            tech_staff: r.tech_staff,
            revenue_fen: r.revenue_fen,
            rd_fen: r.rd_fen,
            tax_fen: r.tax_fen,
            tags: r.tags.clone(),
        };
        v.node_ids.sort_unstable();
        v.tags.sort();
        v
    }

    fn of_write(w: &EnterpriseWrite) -> VerifiedValues {
        let mut v = VerifiedValues {
            industry_code: w.industry_code.clone(),
            registered_on: w.registered_on.clone(),
            ownership: w.ownership.clone(),
            street_id: w.street_id,
            park_id: w.park_id,
            node_ids: w.nodes.iter().map(|n| n.node_id).collect(),
            headcount: w.headcount,
            tech_staff: w.tech_staff,
            revenue_fen: w.revenue_fen,
            rd_fen: w.rd_fen,
            tax_fen: w.tax_fen,
            tags: w.tags.clone(),
        };
        v.node_ids.sort_unstable();
        v.tags.sort();
        v
    }

    fn text(&self, idx: &RegistryIndex, field: &str) -> String {
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        let money = |f: Option<i64>| f.map(|f| Money(f).yuan_string()).unwrap_or_default();
        match field {
            "industry_code" => opt(&self.industry_code),
            "registered_on" => opt(&self.registered_on),
            "ownership" => opt(&self.ownership),
            "street" => idx.name(self.street_id).unwrap_or_default().to_string(),
            "park" => idx.name(self.park_id).unwrap_or_default().to_string(),
            "chain_nodes" => self
                .node_ids
                .iter()
                .map(|n| {
                    idx.get(*n)
                        .and_then(|x| x.code.clone())
                        .unwrap_or_else(|| idx.node_label(*n))
                })
                .collect::<Vec<_>>()
                .join("；"),
            "headcount" => num(self.headcount),
            "tech_staff" => num(self.tech_staff),
            "revenue_yuan" => money(self.revenue_fen),
            "rd_spend_yuan" => money(self.rd_fen),
            "tax_paid_yuan" => money(self.tax_fen),
            "tags" => self.tags.join("；"),
            _ => String::new(),
        }
    }
}

/// (field, value in force, proposed value) of every verified field a write would change.
fn verified_changes(
    idx: &RegistryIndex,
    row: Option<&EnterpriseRow>,
    w: &EnterpriseWrite,
) -> Vec<(&'static str, String, String)> {
    let new = VerifiedValues::of_write(w);
    let old = row.map(VerifiedValues::of_row);
    VERIFIED_FIELDS
        .iter()
        .filter_map(|f| {
            let cur = old.as_ref().map(|o| o.text(idx, f)).unwrap_or_default();
            let prop = new.text(idx, f);
            (cur != prop).then_some((*f, cur, prop))
        })
        .collect()
}

/// `w` with the verified fields put back to the row's values (or cleared for a new record):
/// what an enterprise user or a service team may write directly.
fn keep_verified(
    idx: &RegistryIndex,
    w: &EnterpriseWrite,
    row: Option<&EnterpriseRow>,
) -> EnterpriseWrite {
    let mut d = w.clone();
    d.industry_code = row.and_then(|r| r.industry_code.clone());
    d.registered_on = row.and_then(|r| r.registered_on.clone());
    d.ownership = row.and_then(|r| r.ownership.clone());
    d.street_id = row.and_then(|r| r.street_id);
    d.park_id = row.and_then(|r| r.park_id);
    d.nodes = row
        .map(|r| r.node_ids.iter().filter_map(|n| idx.link(*n)).collect())
        .unwrap_or_default();
    d.headcount = row.and_then(|r| r.headcount);
    d.tech_staff = row.and_then(|r| r.tech_staff);
    d.revenue_fen = row.and_then(|r| r.revenue_fen);
    d.rd_fen = row.and_then(|r| r.rd_fen);
    d.tax_fen = row.and_then(|r| r.tax_fen);
    d.size_band = row.and_then(|r| r.size_band.clone());
    d.tags = row.map(|r| r.tags.clone()).unwrap_or_default();
    d
}

/// Whether the directly editable fields of `w` differ from the row.
fn direct_changes(w: &EnterpriseWrite, r: &EnterpriseRow) -> bool {
    w.name != r.name
        || w.building_id != r.building_id
        || w.address != r.address
        || w.contact_name != r.contact_name
        || w.contact_phone != r.contact_phone
}

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
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default)]
pub struct EnterpriseQuery {
    pub q: Option<String>,
    pub ecosystem: Option<String>,
    pub chain: Option<String>,
    pub node: Option<String>,
    pub street: Option<String>,
    pub park: Option<String>,
    pub tag: Option<String>,
    /// Size band: `large`, `medium`, `small`, `micro` or the Chinese label (`size_band_unknown`
    /// otherwise); empty is no filter.
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = lianshi_domain::schema::size_band_filter),
        param(schema_with = lianshi_domain::schema::size_band_filter)
    )]
    pub size: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// Keyset cursor: id of the last row of the previous page.
    pub after: Option<i64>,
}

/// A chain position as shown to people.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Verified field → where its value in force came from (`verified` or `imported`). Filled
    /// on single-enterprise reads and writes; empty in lists.
    pub sources: BTreeMap<String, String>,
    /// Corrections of this enterprise waiting for review (single reads, for those who may
    /// list corrections).
    pub pending_corrections: Vec<CorrectionView>,
    /// On the answer to an edit or a create: the corrections that request proposed instead of
    /// changing the value in force (the edit is then answered with 202).
    pub proposed_corrections: Vec<CorrectionView>,
}

/// One page of the list.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        sources: BTreeMap::new(),
        pending_corrections: Vec::new(),
        proposed_corrections: Vec::new(),
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
        // The change counters tell whether anyone (this process or another, e.g. a CLI import
        // while the server runs) committed enterprise writes since the index was read: read
        // again after any commit of this process, and otherwise at most once per
        // `generations::CHANGE_BOUND` (see `crate::generations`).
        let seen =
            crate::generations::of(&*self.generations.current(&self.db).await?, "enterprises");
        if let Some(ix) = self.list_index.lock().fresh(seen) {
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
        perm::browse_enterprises(actor)?;
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
        let rows = self.enterprise_rows(&hits.ids).await?;
        let total = hits.total as i64;
        let full = perm::sees_full_phone(actor);
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

    /// The id of the enterprise with credit code `code` (trimmed, any case), as list filters
    /// and inputs name one; an unknown code is a 400 `enterprise_unknown`. No scope check: the
    /// caller's own rules decide what the id may reach.
    pub(crate) async fn enterprise_id_or_unknown(&self, code: &str) -> AppResult<i64> {
        let row = self
            .db
            .enterprise_by_uscc(&code.trim().to_ascii_uppercase())
            .await?;
        row.map(|e| e.id).ok_or_else(|| {
            AppError::bad(
                "enterprise_unknown",
                "未找到该企业",
                "no enterprise with that credit code",
            )
        })
    }

    /// The enterprise with its actor's scope. Unknown → 404; outside the actor's scope (another
    /// enterprise's user, a finance user or party secretary) → the same 404, so scope does not
    /// reveal which credit codes are registered; no right to browse at all → 403.
    async fn load_scoped(
        &self,
        actor: &Actor,
        uscc: &str,
    ) -> AppResult<(EnterpriseRow, perm::EnterpriseScope)> {
        perm::browse_enterprises(actor)?;
        let scope = self.enterprise_scope(actor).await?;
        let code = uscc.trim().to_ascii_uppercase();
        let not_found = || AppError::NotFound(format!("enterprise {code}"));
        let row = self
            .db
            .enterprise_by_uscc(&code)
            .await?
            .ok_or_else(not_found)?;
        perm::view_enterprise(actor, row.id).map_err(|e| hide_forbidden(e, &code))?;
        if !scope.contains(row.id) {
            return Err(not_found());
        }
        Ok((row, scope))
    }

    /// One enterprise by credit code, with the fields the actor's scope shows. Unknown → 404.
    /// Served from the record cache ([`RecordCache`]) when no enterprise, source or correction
    /// was written since it was read.
    pub async fn enterprise_get(&self, actor: &Actor, uscc: &str) -> AppResult<EnterpriseView> {
        perm::browse_enterprises(actor)?;
        let scope = self.enterprise_scope(actor).await?;
        let code = uscc.trim().to_ascii_uppercase();
        let not_found = || AppError::NotFound(format!("enterprise {code}"));
        let rec = self.enterprise_record(&code).await?.ok_or_else(not_found)?;
        perm::view_enterprise(actor, rec.row.id).map_err(|e| hide_forbidden(e, &code))?;
        if !scope.contains(rec.row.id) {
            return Err(not_found());
        }
        let idx = self.registry().await?;
        let mut v = scope.shape(view(&idx, &rec.row, perm::sees_full_phone(actor)));
        v.sources = sources_map(&rec.sources);
        if perm::list_corrections(actor).is_ok() {
            v.pending_corrections = rec.pending.iter().cloned().map(correction_view).collect();
        }
        Ok(v)
    }

    /// These enterprises as stored (ids from the list index, in id order), from the record
    /// cache's rows while the `enterprises` change counter is the one they were read at; the
    /// others in one read.
    async fn enterprise_rows(&self, ids: &[i64]) -> AppResult<Vec<Arc<EnterpriseRow>>> {
        let gens = self.generations.current(&self.db).await?;
        let tag = crate::generations::of(&gens, "enterprises");
        let mut found = self.records.rows(ids, tag);
        let missing: Vec<i64> = ids
            .iter()
            .zip(&found)
            .filter(|(_, r)| r.is_none())
            .map(|(id, _)| *id)
            .collect();
        if !missing.is_empty() {
            let read: HashMap<i64, Arc<EnterpriseRow>> = self
                .db
                .enterprise_by_ids(&missing)
                .await?
                .into_iter()
                .map(|r| (r.id, Arc::new(r)))
                .collect();
            self.records.put_rows(tag, read.values().cloned());
            for (id, slot) in ids.iter().zip(found.iter_mut()) {
                if slot.is_none() {
                    *slot = read.get(id).cloned();
                }
            }
        }
        Ok(found.into_iter().flatten().collect())
    }

    /// The stored record of one enterprise (by upper-case credit code) with its sources and
    /// pending corrections, from the cache while the `enterprises` and `provenance` change
    /// counters are those it was read at (see [`crate::generations`]).
    async fn enterprise_record(&self, code: &str) -> AppResult<Option<Arc<Record>>> {
        let gens = self.generations.current(&self.db).await?;
        let tag = (
            crate::generations::of(&gens, "enterprises"),
            crate::generations::of(&gens, lianshi_store::enterprise::PROVENANCE),
        );
        if let Some(r) = self.records.get(code, tag) {
            return Ok(Some(r));
        }
        let Some(row) = self.db.enterprise_by_uscc(code).await? else {
            return Ok(None);
        };
        let sources = self.db.field_sources(row.id).await?;
        let pending = self.pending_corrections(row.id).await?;
        let rec = Arc::new(Record {
            tag,
            row,
            sources,
            pending,
        });
        self.records.put(code, rec.clone());
        Ok(Some(rec))
    }

    /// The corrections of one enterprise waiting for review (the first 100).
    async fn pending_corrections(&self, enterprise_id: i64) -> AppResult<Vec<CorrectionRow>> {
        let (rows, _) = self
            .db
            .correction_list(&CorrectionFilter {
                status: Some("pending".into()),
                enterprise_id: Some(enterprise_id),
                limit: 100,
                offset: 0,
            })
            .await?;
        Ok(rows)
    }

    /// Fill the sources and pending corrections of a single-enterprise view.
    async fn with_provenance(
        &self,
        actor: &Actor,
        mut v: EnterpriseView,
    ) -> AppResult<EnterpriseView> {
        v.sources = sources_map(&self.db.field_sources(v.id).await?);
        if perm::list_corrections(actor).is_ok() {
            let rows = self.pending_corrections(v.id).await?;
            v.pending_corrections = rows.into_iter().map(correction_view).collect();
        }
        Ok(v)
    }

    /// Where the values in force of one enterprise's verified fields came from.
    pub async fn enterprise_sources(
        &self,
        enterprise_id: i64,
    ) -> AppResult<BTreeMap<String, String>> {
        Ok(sources_map(&self.db.field_sources(enterprise_id).await?))
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

    /// Create an enterprise. Credit code already used → 409. An officer's figures are in force
    /// at once (`verified`); a service team's become pending corrections of the new record.
    pub async fn enterprise_create(
        &self,
        actor: &Actor,
        inp: &EnterpriseInput,
    ) -> AppResult<EnterpriseView> {
        perm::create_enterprise(actor)?;
        let draft = inp
            .validate(Self::today(), true)
            .map_err(AppError::Invalid)?;
        let idx = self.registry().await?;
        let w = self
            .resolve_draft(&idx, &draft)
            .map_err(AppError::Invalid)?;
        let changes = verified_changes(&idx, None, &w);
        let verifies = perm::verify(actor);
        let stored = if verifies {
            w.clone()
        } else {
            keep_verified(&idx, &w, None)
        };
        let mut tx = self.db.begin().await?;
        let id = enterprise_insert(tx.conn(), &stored).await?;
        let generation = enterprise_generation_bump(tx.conn()).await?;
        let proposed = record_changes(&mut tx, actor, id, &changes, verifies).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "enterprise.create",
                "enterprise",
                Some(w.uscc.clone()),
                None,
                json(&stored),
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
        let mut v = self
            .with_provenance(actor, view(&idx, &row, perm::sees_full_phone(actor)))
            .await?;
        v.proposed_corrections = self.corrections_by_id(&proposed).await?;
        Ok(v)
    }

    async fn corrections_by_id(&self, ids: &[i64]) -> AppResult<Vec<CorrectionView>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(c) = self.db.correction_get(*id).await? {
                out.push(correction_view(c));
            }
        }
        Ok(out)
    }

    /// Edit an enterprise: fields absent from the input keep their value, empty strings clear.
    /// `expected_version` (if given) must match, or the edit is refused with 409. The whole
    /// input is validated first (a bad value is a 400 even for a field that would only be
    /// proposed); then an officer's edit is written as is, while an enterprise user's or a
    /// service team's changes to verified fields become pending corrections
    /// ([`EnterpriseView::proposed_corrections`]) and only the other fields are written.
    pub async fn enterprise_update(
        &self,
        actor: &Actor,
        uscc: &str,
        inp: &EnterpriseInput,
        expected_version: Option<i64>,
    ) -> AppResult<EnterpriseView> {
        let row = self.load_visible(actor, uscc).await?;
        perm::edit_enterprise(actor, row.id)?;
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
        let changes = verified_changes(&idx, Some(&row), &w);
        let verifies = perm::verify(actor);
        let (stored, write) = if verifies {
            (w.clone(), true)
        } else {
            let d = keep_verified(&idx, &w, Some(&row));
            let write = direct_changes(&d, &row);
            (d, write)
        };
        let mut tx = self.db.begin().await?;
        let mut generation = None;
        if write {
            enterprise_update(tx.conn(), row.id, row.version, &stored).await?;
            generation = Some(enterprise_generation_bump(tx.conn()).await?);
            audit_append(
                tx.conn(),
                &entry(
                    actor,
                    "enterprise.update",
                    "enterprise",
                    Some(w.uscc.clone()),
                    json(&before),
                    json(&stored),
                ),
            )
            .await?;
        }
        let proposed = record_changes(&mut tx, actor, row.id, &changes, verifies).await?;
        tx.commit().await?;
        if let Some(g) = generation {
            self.list_index.changed(&[row.id], g);
        }
        let row = self
            .db
            .enterprise_by_id(row.id)
            .await?
            .ok_or_else(|| AppError::NotFound(w.uscc.clone()))?;
        let mut v = self
            .with_provenance(actor, view(&idx, &row, perm::sees_full_phone(actor)))
            .await?;
        v.proposed_corrections = self.corrections_by_id(&proposed).await?;
        Ok(v)
    }

    // -----------------------------------------------------------------------------------------
    // Corrections

    /// Corrections, newest first: reviewers and teams see all, an enterprise user its own.
    pub async fn correction_list(
        &self,
        actor: &Actor,
        q: &CorrectionQuery,
    ) -> AppResult<CorrectionPage> {
        perm::list_corrections(actor)?;
        let status = q.status.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(s) = status
            && !CORRECTION_STATUSES.contains(&s)
        {
            return Err(AppError::bad(
                "correction_status_unknown",
                format!(
                    "未知状态“{s}”，可选：pending（待核实）、accepted（已采纳）、rejected（已驳回）"
                ),
                format!("unknown status '{s}': pending, accepted or rejected"),
            ));
        }
        let mut enterprise_id = match q
            .enterprise
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(code) => Some(self.load_visible(actor, code).await?.id),
            None => None,
        };
        if actor.role == lianshi_domain::Role::Enterprise {
            enterprise_id = Some(actor.enterprise_id.unwrap_or(-1));
        }
        let per_page = q.per_page.unwrap_or(50).clamp(1, 200);
        let page = q.page.unwrap_or(1).max(1);
        let (rows, total) = self
            .db
            .correction_list(&CorrectionFilter {
                status: status.map(str::to_string),
                enterprise_id,
                limit: per_page,
                offset: (page - 1).saturating_mul(per_page),
            })
            .await?;
        Ok(CorrectionPage {
            total,
            page,
            per_page,
            items: rows.into_iter().map(correction_view).collect(),
        })
    }

    async fn pending_correction(&self, id: i64) -> AppResult<CorrectionRow> {
        let c = self
            .db
            .correction_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("correction {id}")))?;
        if c.status != "pending" {
            return Err(correction_decided());
        }
        Ok(c)
    }

    /// Accept a correction (department officers, administrators): the proposed value is
    /// validated against the record as it is now and written with the source `verified`, the
    /// correction is marked accepted, and one audit entry says who decided what, all in one
    /// transaction. A value that no longer validates (e.g. tech staff above a headcount changed
    /// since) is a 400 and the correction stays pending.
    pub async fn correction_accept(
        &self,
        actor: &Actor,
        id: i64,
        reason: Option<&str>,
    ) -> AppResult<CorrectionView> {
        perm::review(actor)?;
        let c = self.pending_correction(id).await?;
        let row = self
            .db
            .enterprise_by_id(c.enterprise_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enterprise {}", c.enterprise_id)))?;
        let idx = self.registry().await?;
        let mut inp = EnterpriseInput::default();
        if !inp.set_field(&c.field, c.proposed_value.clone()) {
            return Err(AppError::Internal(format!(
                "correction of unknown field {}",
                c.field
            )));
        }
        let draft = merge(&idx, &row, &inp)
            .validate(Self::today(), true)
            .map_err(AppError::Invalid)?;
        let w = self
            .resolve_draft(&idx, &draft)
            .map_err(AppError::Invalid)?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        let changed = verified_changes(&idx, Some(&row), &w);
        let mut tx = self.db.begin().await?;
        if !correction_decide(tx.conn(), id, "accepted", &actor.username, reason).await? {
            return Err(correction_decided());
        }
        enterprise_update(tx.conn(), row.id, row.version, &w).await?;
        let generation = enterprise_generation_bump(tx.conn()).await?;
        // The field itself and anything it implies (a park implies its street).
        for (field, _, _) in &changed {
            field_source_set(
                tx.conn(),
                row.id,
                field,
                FieldSource::Verified.as_str(),
                &actor.username,
                Some(&c.proposed_by),
            )
            .await?;
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "enterprise.correction.accept",
                "enterprise_correction",
                Some(id.to_string()),
                Some(serde_json::json!({"enterprise": row.uscc, "field": c.field, "value": VerifiedValues::of_row(&row).text(&idx, &c.field), "status": "pending"})),
                Some(serde_json::json!({"enterprise": row.uscc, "field": c.field, "value": c.proposed_value, "status": "accepted", "proposed_by": c.proposed_by, "reason": reason})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.list_index.changed(&[row.id], generation);
        self.correction_get(id).await
    }

    /// Reject a correction (department officers, administrators) with a reason; the value in
    /// force stays. Audited.
    pub async fn correction_reject(
        &self,
        actor: &Actor,
        id: i64,
        reason: Option<&str>,
    ) -> AppResult<CorrectionView> {
        perm::review(actor)?;
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                AppError::Invalid(vec![FieldError {
                    field: "reason",
                    reason: Invalid::new(
                        "required",
                        "驳回须说明理由",
                        "a rejection needs a reason",
                    ),
                }])
            })?;
        if let Err(e) = lianshi_domain::text::check_line(reason) {
            return Err(AppError::Invalid(vec![FieldError {
                field: "reason",
                reason: e,
            }]));
        }
        let c = self.pending_correction(id).await?;
        let mut tx = self.db.begin().await?;
        if !correction_decide(tx.conn(), id, "rejected", &actor.username, Some(reason)).await? {
            return Err(correction_decided());
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "enterprise.correction.reject",
                "enterprise_correction",
                Some(id.to_string()),
                Some(serde_json::json!({"enterprise": c.uscc, "field": c.field, "status": "pending"})),
                Some(serde_json::json!({"enterprise": c.uscc, "field": c.field, "value": c.proposed_value, "status": "rejected", "proposed_by": c.proposed_by, "reason": reason})),
            ),
        )
        .await?;
        tx.commit().await?;
        self.correction_get(id).await
    }

    async fn correction_get(&self, id: i64) -> AppResult<CorrectionView> {
        self.db
            .correction_get(id)
            .await?
            .map(correction_view)
            .ok_or_else(|| AppError::NotFound(format!("correction {id}")))
    }
}

fn correction_decided() -> AppError {
    AppError::refused(
        "correction_decided",
        "该更正已处理",
        "this correction has already been decided",
    )
}

/// Record what a write does to the verified fields, in its transaction: an officer's changes get
/// the source `verified`; anyone else's become pending corrections (one audit entry each).
/// Returns the ids of the corrections proposed.
async fn record_changes(
    tx: &mut lianshi_store::Tx,
    actor: &Actor,
    enterprise_id: i64,
    changes: &[(&'static str, String, String)],
    verifies: bool,
) -> AppResult<Vec<i64>> {
    let mut ids = Vec::new();
    for (field, cur, prop) in changes {
        if verifies {
            field_source_set(
                tx.conn(),
                enterprise_id,
                field,
                FieldSource::Verified.as_str(),
                &actor.username,
                None,
            )
            .await?;
            continue;
        }
        let id = correction_propose(
            tx.conn(),
            &NewCorrection {
                enterprise_id,
                field: field.to_string(),
                current_value: cur.clone(),
                proposed_value: prop.clone(),
                proposed_by: actor.username.clone(),
                proposed_role: actor.role.as_str().to_string(),
            },
        )
        .await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "enterprise.correction.propose",
                "enterprise_correction",
                Some(id.to_string()),
                Some(serde_json::json!({"enterprise_id": enterprise_id, "field": field, "value": cur})),
                Some(serde_json::json!({"enterprise_id": enterprise_id, "field": field, "value": prop, "status": "pending"})),
            ),
        )
        .await?;
        ids.push(id);
    }
    Ok(ids)
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

/// One enterprise as stored, with its field sources and pending corrections, tagged with the
/// change counters (`enterprises`, `provenance`) read before it was.
#[derive(Debug)]
pub(crate) struct Record {
    tag: (i64, i64),
    row: EnterpriseRow,
    sources: Vec<FieldSourceRow>,
    pending: Vec<CorrectionRow>,
}

/// Records by upper-case credit code ([`App::enterprise_get`]); an entry is used only while the
/// counters are those it was read at, so any enterprise write makes every entry stale (writes
/// are rare beside reads; an import changes many at once anyway).
#[derive(Debug, Default)]
pub struct RecordCache {
    map: std::sync::RwLock<HashMap<String, Arc<Record>>>,
    /// List rows by id, with the `enterprises` counter each was read at.
    rows: std::sync::RwLock<HashMap<i64, (i64, Arc<EnterpriseRow>)>>,
}

/// Records kept at most; past it the cache is emptied and refilled by the reads that follow.
const RECORDS_MAX: usize = 20_000;

impl RecordCache {
    fn get(&self, code: &str, tag: (i64, i64)) -> Option<Arc<Record>> {
        let m = self.map.read().ok()?;
        m.get(code).filter(|r| r.tag == tag).cloned()
    }

    /// The cached rows of `ids` read at `tag`, in the order of `ids` (`None` where missing).
    fn rows(&self, ids: &[i64], tag: i64) -> Vec<Option<Arc<EnterpriseRow>>> {
        let Ok(m) = self.rows.read() else {
            return vec![None; ids.len()];
        };
        ids.iter()
            .map(|id| m.get(id).filter(|(t, _)| *t == tag).map(|(_, r)| r.clone()))
            .collect()
    }

    fn put_rows(&self, tag: i64, rows: impl Iterator<Item = Arc<EnterpriseRow>>) {
        if let Ok(mut m) = self.rows.write() {
            if m.len() >= RECORDS_MAX {
                m.retain(|_, (t, _)| *t == tag);
                if m.len() >= RECORDS_MAX {
                    m.clear();
                }
            }
            for r in rows {
                m.insert(r.id, (tag, r));
            }
        }
    }

    fn put(&self, code: &str, rec: Arc<Record>) {
        if let Ok(mut m) = self.map.write() {
            if m.len() >= RECORDS_MAX {
                m.retain(|_, r| r.tag == rec.tag);
                if m.len() >= RECORDS_MAX {
                    m.clear();
                }
            }
            m.insert(code.to_string(), rec);
        }
    }
}
