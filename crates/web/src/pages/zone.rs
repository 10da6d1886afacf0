//! 园区登记: the zone and its registry (ecosystems → chains → nodes, departments, institutions,
//! streets → parks → buildings, communities), with add/edit forms for administrators and the
//! number of enterprises per entry linking to the filtered list.

use super::enterprises::stage_label;
use super::form::trimmed;
use super::{
    Ctx, Echo, FormError, Layout, Opt, OptGroup, OrShow, PageResult, Query, see_other, url_escape,
    with_status,
};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use crate::i18n::T;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use lianshi_app::enterprise::perm as enterprise_perm;
use lianshi_app::zone::RegistryInput;
use lianshi_app::{AppError, RegistryIndex};
use lianshi_domain::zone::{InstitutionKind, RegistryKind, Stage};
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/registry", get(page))
        .route("/registry/zone", post(zone_save))
        .route("/registry/{kind}", post(create))
        .route("/registry/items/{id}/edit", get(edit_form).post(update))
}

pub fn kind_label(t: T, k: RegistryKind) -> &'static str {
    if t.is_en() {
        k.label_en()
    } else {
        k.label_zh()
    }
}

pub fn institution_label(t: T, attr: &str) -> &'static str {
    match InstitutionKind::parse(attr) {
        Ok(InstitutionKind::University) => t.get("inst-university"),
        Ok(InstitutionKind::Platform) => t.get("inst-platform"),
        Ok(InstitutionKind::Bank) => t.get("inst-bank"),
        Ok(InstitutionKind::Fund) => t.get("inst-fund"),
        Err(_) => "",
    }
}

fn attr_label(t: T, kind: RegistryKind, attr: Option<&str>) -> &'static str {
    let a = attr.unwrap_or("");
    match kind {
        RegistryKind::ChainNode => stage_label(t, a),
        RegistryKind::Institution => institution_label(t, a),
        _ => "",
    }
}

/// The list filter an entry's enterprise count links to.
fn filter_param(kind: RegistryKind) -> Option<&'static str> {
    match kind {
        RegistryKind::Ecosystem => Some("ecosystem"),
        RegistryKind::Chain => Some("chain"),
        RegistryKind::ChainNode => Some("node"),
        RegistryKind::Street => Some("street"),
        RegistryKind::Park => Some("park"),
        _ => None,
    }
}

pub struct RegRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub attr: &'static str,
    pub sort: i64,
    pub count: Option<i64>,
    pub count_href: String,
}

pub struct RegGroup {
    pub heading: String,
    pub rows: Vec<RegRow>,
}

/// The add/edit fields of one kind.
pub struct KindForm {
    pub kind: &'static str,
    pub has_code: bool,
    pub parent_label: &'static str,
    pub parents: Vec<OptGroup>,
    pub attr_label: &'static str,
    pub attrs: Vec<Opt>,
}

pub struct RegSection {
    pub kind: &'static str,
    pub title: &'static str,
    pub total: usize,
    pub has_code: bool,
    pub has_attr: bool,
    pub has_count: bool,
    pub groups: Vec<RegGroup>,
    pub form: KindForm,
}

#[derive(Template)]
#[template(path = "zone.html")]
pub struct RegistryPage {
    pub l: Layout,
    pub zone_name: String,
    pub division_code: String,
    pub can_edit: bool,
    pub sections: Vec<RegSection>,
    pub saved: bool,
}

/// Rows of the entries of `kind` under `parent`; chain nodes upstream → downstream.
fn rows_under(
    t: T,
    idx: &RegistryIndex,
    parent: i64,
    kind: RegistryKind,
    counts: &HashMap<i64, i64>,
    show: bool,
) -> Vec<RegRow> {
    let mut v = idx.children(parent, kind);
    if kind == RegistryKind::ChainNode {
        v.sort_by_key(|n| {
            (
                n.attr.as_deref().and_then(|a| Stage::parse(a).ok()),
                n.sort,
                n.id,
            )
        });
    }
    v.into_iter()
        .map(|r| {
            let e = Entry {
                id: r.id,
                code: r.code.as_deref(),
                name: &r.name,
                attr: r.attr.as_deref(),
                sort: r.sort,
            };
            row(t, &e, kind, counts, show)
        })
        .collect()
}

/// The fields of a registry entry a row shows.
struct Entry<'a> {
    id: i64,
    code: Option<&'a str>,
    name: &'a str,
    attr: Option<&'a str>,
    sort: i64,
}

/// Parent choices of a kind, grouped one level up where that helps.
fn parents(idx: &RegistryIndex, kind: RegistryKind, current: Option<i64>) -> Vec<OptGroup> {
    let Some(pk) = kind.parent() else {
        return Vec::new();
    };
    let cur = current.map(|c| c.to_string()).unwrap_or_default();
    match pk.parent() {
        Some(gk) => idx
            .of_kind(gk)
            .map(|g| OptGroup {
                label: g.name.clone(),
                opts: idx
                    .children(g.id, pk)
                    .iter()
                    .map(|p| Opt::new(p.id.to_string(), &p.name, &cur))
                    .collect(),
            })
            .collect(),
        None => vec![OptGroup {
            label: String::new(),
            opts: idx
                .of_kind(pk)
                .map(|p| Opt::new(p.id.to_string(), &p.name, &cur))
                .collect(),
        }],
    }
}

fn attr_opts(t: T, kind: RegistryKind, current: &str) -> Vec<Opt> {
    match kind {
        RegistryKind::ChainNode => Stage::ALL
            .iter()
            .map(|s| Opt::new(s.as_str(), stage_label(t, s.as_str()), current))
            .collect(),
        RegistryKind::Institution => InstitutionKind::ALL
            .iter()
            .map(|k| Opt::new(k.as_str(), institution_label(t, k.as_str()), current))
            .collect(),
        _ => Vec::new(),
    }
}

fn kind_form(
    t: T,
    idx: &RegistryIndex,
    kind: RegistryKind,
    parent: Option<i64>,
    attr: &str,
) -> KindForm {
    KindForm {
        kind: kind.as_str(),
        has_code: kind.has_code(),
        parent_label: kind.parent().map(|p| kind_label(t, p)).unwrap_or(""),
        parents: parents(idx, kind, parent),
        attr_label: match kind {
            RegistryKind::ChainNode => t.get("reg-stage"),
            RegistryKind::Institution => t.get("reg-inst-kind"),
            _ => "",
        },
        attrs: attr_opts(t, kind, attr),
    }
}

fn row(t: T, r: &Entry, kind: RegistryKind, counts: &HashMap<i64, i64>, show: bool) -> RegRow {
    let count =
        (show && filter_param(kind).is_some()).then(|| counts.get(&r.id).copied().unwrap_or(0));
    let key = r
        .code
        .map(str::to_string)
        .unwrap_or_else(|| r.id.to_string());
    RegRow {
        id: r.id,
        code: r.code.unwrap_or_default().to_string(),
        name: r.name.to_string(),
        attr: attr_label(t, kind, r.attr),
        sort: r.sort,
        count,
        count_href: filter_param(kind)
            .map(|p| format!("/enterprises?{p}={}", url_escape(&key)))
            .unwrap_or_default(),
    }
}

/// The registry page's query: `saved` after a save.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SavedQuery {
    saved: Option<String>,
}

async fn page(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let t = c.t;
    let idx = s.app.registry_view(&auth.actor).await?;
    let counts = s.app.registry_enterprise_counts(&auth.actor).await?;
    let show = enterprise_perm::browse_enterprises(&auth.actor).is_ok();
    let mut sections = Vec::new();
    for kind in RegistryKind::ALL {
        let groups = match kind.parent() {
            Some(pk) => idx
                .of_kind(pk)
                .map(|p| {
                    let heading = match idx.get(p.parent_id.unwrap_or(-1)) {
                        Some(gp) => format!("{} › {}", gp.name, p.name),
                        None => p.name.clone(),
                    };
                    RegGroup {
                        heading,
                        rows: rows_under(t, &idx, p.id, kind, &counts, show),
                    }
                })
                .filter(|g| !g.rows.is_empty())
                .collect(),
            None => vec![RegGroup {
                heading: String::new(),
                rows: idx
                    .of_kind(kind)
                    .map(|r| {
                        let e = Entry {
                            id: r.id,
                            code: r.code.as_deref(),
                            name: &r.name,
                            attr: r.attr.as_deref(),
                            sort: r.sort,
                        };
                        row(t, &e, kind, &counts, show)
                    })
                    .collect(),
            }],
        };
        sections.push(RegSection {
            kind: kind.as_str(),
            title: kind_label(t, kind),
            total: idx.of_kind(kind).count(),
            has_code: kind.has_code(),
            has_attr: matches!(kind, RegistryKind::ChainNode | RegistryKind::Institution),
            has_count: show && filter_param(kind).is_some(),
            groups,
            form: kind_form(t, &idx, kind, None, ""),
        });
    }
    let (zone_name, division_code) = idx
        .zone
        .as_ref()
        .map(|z| (z.name.clone(), z.division_code.clone()))
        .unwrap_or_default();
    let l = c.layout(&auth, t.get("nav-registry"), "registry");
    Ok(c.page(&RegistryPage {
        l,
        zone_name,
        division_code,
        can_edit: lianshi_app::zone::perm::edit(&auth.actor).is_ok(),
        sections,
        saved: q.saved.is_some(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Add and edit
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "zone_item.html")]
pub struct ItemPage {
    pub l: Layout,
    pub action: String,
    pub kind_title: &'static str,
    pub form: KindForm,
    pub code: String,
    pub name: String,
    pub sort: String,
    pub error: Option<String>,
}

/// A registry entry's form: code, name, parent, attribute (stage, institution kind) and sort.
#[derive(Deserialize)]
struct ItemForm {
    code: Option<String>,
    #[serde(default)]
    name: String,
    parent_id: Option<i64>,
    attr: Option<String>,
    sort: Option<i64>,
}

impl ItemForm {
    fn input(self) -> RegistryInput {
        RegistryInput {
            code: trimmed(self.code.clone()).and(self.code),
            name: self.name,
            parent_id: self.parent_id,
            attr: trimmed(self.attr.clone()).and(self.attr),
            sort: self.sort,
        }
    }
}

/// What the item form shows: the entry, or the text sent.
struct Shown {
    code: String,
    name: String,
    parent_id: Option<i64>,
    attr: String,
    sort: String,
}

impl Shown {
    fn sent(echo: &Echo) -> Shown {
        Shown {
            code: echo.val("code"),
            name: echo.val("name"),
            parent_id: echo.val("parent_id").trim().parse().ok(),
            attr: echo.val("attr"),
            sort: echo.val("sort"),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn item_page(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    kind: RegistryKind,
    action: String,
    v: Shown,
    error: Option<FormError>,
    editing: bool,
) -> PageResult {
    let t = c.t;
    let idx = s.app.registry().await?;
    let title = format!(
        "{} · {}",
        if editing {
            t.get("reg-edit")
        } else {
            t.get("reg-add")
        },
        kind_label(t, kind)
    );
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let p = ItemPage {
        l: c.layout(auth, title, "registry"),
        action,
        kind_title: kind_label(t, kind),
        form: kind_form(t, &idx, kind, v.parent_id, &v.attr),
        code: v.code,
        name: v.name,
        sort: v.sort,
        error: error.map(|e| e.message),
    };
    Ok(with_status(c.page(&p), status))
}

async fn create(
    State(s): State<AppState>,
    c: Ctx,
    Path(kind): Path<String>,
    Posted { auth, form, echo }: Posted<ItemForm>,
) -> PageResult {
    let kind = RegistryKind::parse(&kind).map_err(|e| AppError::NotFound(e.en))?;
    let done: PageResult = async {
        let inp = form?.input();
        s.app.registry_create(&auth.actor, kind, &inp).await?;
        Ok(see_other(&format!("/registry?saved=1#{}", kind.as_str())))
    }
    .await;
    done.or_show(&c, |err| {
        let action = format!("/registry/{}", kind.as_str());
        item_page(
            &s,
            &c,
            &auth,
            kind,
            action,
            Shown::sent(&echo),
            Some(err),
            false,
        )
    })
    .await
}

async fn edit_form(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Path(id): Path<i64>,
) -> PageResult {
    lianshi_app::zone::perm::edit(&auth.actor)?;
    let idx = s.app.registry().await?;
    let r = idx
        .get(id)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("registry {id}")))?;
    let kind = RegistryKind::parse(&r.kind).map_err(|e| AppError::Internal(e.en))?;
    let v = Shown {
        code: r.code.clone().unwrap_or_default(),
        name: r.name.clone(),
        parent_id: r.parent_id,
        attr: r.attr.clone().unwrap_or_default(),
        sort: r.sort.to_string(),
    };
    let action = format!("/registry/items/{id}/edit");
    item_page(&s, &c, &auth, kind, action, v, None, true).await
}

async fn update(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, echo }: Posted<ItemForm>,
) -> PageResult {
    let kind = s
        .app
        .registry()
        .await?
        .get(id)
        .and_then(|r| RegistryKind::parse(&r.kind).ok())
        .ok_or_else(|| AppError::NotFound(format!("registry {id}")))?;
    let done: PageResult = async {
        let inp = form?.input();
        s.app.registry_update(&auth.actor, id, &inp).await?;
        Ok(see_other(&format!("/registry?saved=1#{}", kind.as_str())))
    }
    .await;
    done.or_show(&c, |err| {
        let action = format!("/registry/items/{id}/edit");
        item_page(
            &s,
            &c,
            &auth,
            kind,
            action,
            Shown::sent(&echo),
            Some(err),
            true,
        )
    })
    .await
}

/// The zone's name and administrative division code.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ZoneForm {
    name: String,
    division_code: String,
}

async fn zone_save(
    State(s): State<AppState>,
    Posted { auth, form, .. }: Posted<ZoneForm>,
) -> PageResult {
    let f = form?;
    s.app
        .zone_update(&auth.actor, &f.name, &f.division_code)
        .await?;
    Ok(see_other("/registry?saved=1"))
}
