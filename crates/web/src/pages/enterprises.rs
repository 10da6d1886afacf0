//! Enterprise pages: the filtered list with export links, the one-file page (一企一档), and the
//! create/edit form with inline field errors and optimistic locking.

use super::{
    Ctx, Echo, Layout, Opt, OptGroup, PageError, PageLink, PageResult, Query, messages, pager,
    query_string, see_other, with_status,
};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use crate::i18n::T;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use lianshi_app::enterprise::{EnterpriseQuery, EnterpriseView, perm as enterprise_perm};
use lianshi_app::{AppError, RegistryIndex};
use lianshi_domain::enterprise::{
    EnterpriseInput, FieldError, FieldSource, KNOWN_TAGS, OWNERSHIP_TYPES, field_label_en,
    field_label_zh,
};
use lianshi_domain::zone::{RegistryKind, Stage};
use lianshi_domain::{Money, SizeBand};
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/enterprises", get(list).post(create))
        .route("/enterprises/new", get(new_form))
        .route("/enterprises/export.csv", get(export_csv))
        .route("/enterprises/export.xlsx", get(export_xlsx))
        .route("/enterprises/template.csv", get(template_csv))
        .route("/enterprises/template.xlsx", get(template_xlsx))
        .route("/enterprises/{uscc}", get(detail).post(update))
        .route("/enterprises/{uscc}/edit", get(edit_form))
        .route(
            "/enterprises/{uscc}/corrections/{id}/{decision}",
            axum::routing::post(correction_decide),
        )
}

/// Label of a stage code (`upstream` …) in the UI language.
pub fn stage_label(t: T, stage: &str) -> &'static str {
    match Stage::parse(stage) {
        Ok(Stage::Upstream) => t.get("stage-upstream"),
        Ok(Stage::Midstream) => t.get("stage-midstream"),
        Ok(Stage::Downstream) => t.get("stage-downstream"),
        Err(_) => "",
    }
}

/// Label of a size band machine name in the UI language.
pub fn size_label(t: T, band: Option<&str>) -> String {
    match band.and_then(|b| SizeBand::parse(b).ok()) {
        Some(b) if t.is_en() => b.label_en().to_string(),
        Some(b) => b.label_zh().to_string(),
        None => String::new(),
    }
}

/// Chain nodes grouped by chain (ecosystem · chain), upstream first; `selected` holds node codes.
pub fn node_groups(t: T, idx: &RegistryIndex, selected: &[String]) -> Vec<OptGroup> {
    let mut out = Vec::new();
    for eco in idx.of_kind(RegistryKind::Ecosystem) {
        for chain in idx.children(eco.id, RegistryKind::Chain) {
            let mut nodes = idx.children(chain.id, RegistryKind::ChainNode);
            nodes.sort_by_key(|n| {
                (
                    n.attr.as_deref().and_then(|a| Stage::parse(a).ok()),
                    n.sort,
                    n.id,
                )
            });
            let opts = nodes
                .iter()
                .map(|n| {
                    let code = n.code.clone().unwrap_or_else(|| n.id.to_string());
                    Opt {
                        selected: selected.contains(&code),
                        label: format!(
                            "{} · {}",
                            stage_label(t, n.attr.as_deref().unwrap_or("")),
                            n.name
                        ),
                        value: code,
                    }
                })
                .collect();
            out.push(OptGroup {
                label: format!("{} · {}", eco.name, chain.name),
                opts,
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// List
// ---------------------------------------------------------------------------------------------

/// A row of the list table.
pub struct Row {
    pub href: String,
    pub name: String,
    pub uscc: String,
    pub nodes: Vec<String>,
    pub place: String,
    pub size: String,
    pub headcount: String,
    pub revenue: String,
    pub tags: Vec<String>,
}

#[derive(Template)]
#[template(path = "enterprises.html")]
pub struct ListPage {
    pub l: Layout,
    pub q: String,
    pub ecosystems: Vec<Opt>,
    pub chains: Vec<OptGroup>,
    pub nodes: Vec<OptGroup>,
    pub streets: Vec<Opt>,
    pub parks: Vec<OptGroup>,
    pub tags: Vec<Opt>,
    pub sizes: Vec<Opt>,
    pub per_pages: Vec<Opt>,
    pub rows: Vec<Row>,
    pub total: i64,
    pub total_text: String,
    pub page: i64,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub filter_qs: String,
    pub can_create: bool,
    pub can_export: bool,
    pub error: Option<String>,
    /// For reviewers: the newest pending corrections (enterprise, field, proposed value) and
    /// how many wait in all.
    pub review: Vec<ReviewRow>,
    pub review_total: i64,
}

/// A pending correction in the reviewers' queue on the list page.
pub struct ReviewRow {
    pub uscc: String,
    pub name: String,
    pub field: String,
    pub proposed: String,
}

/// The list's filters by name (`q`, `ecosystem`, …) as in its query string (also the export
/// links').
const FILTERS: [&str; 8] = [
    "q",
    "ecosystem",
    "chain",
    "node",
    "street",
    "park",
    "tag",
    "size",
];

/// A filter of the list's query (one of [`FILTERS`]) as typed, empty when none.
fn filter(m: &EnterpriseQuery, k: &str) -> String {
    match k {
        "q" => &m.q,
        "ecosystem" => &m.ecosystem,
        "chain" => &m.chain,
        "node" => &m.node,
        "street" => &m.street,
        "park" => &m.park,
        "tag" => &m.tag,
        "size" => &m.size,
        _ => &None,
    }
    .clone()
    .unwrap_or_default()
}

/// Filter parameters (without the page) as a query string, for pager and export links.
fn filters_qs(m: &EnterpriseQuery) -> String {
    let per_page = m.per_page.map(|n| n.to_string()).unwrap_or_default();
    let mut pairs: Vec<(&str, String)> = FILTERS.into_iter().map(|k| (k, filter(m, k))).collect();
    pairs.push(("per_page", per_page));
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    query_string(&pairs)
}

async fn list(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(m): Query<EnterpriseQuery>,
) -> PageResult {
    let t = c.t;
    let v = |k: &str| filter(&m, k);
    let idx = s.app.registry_view(&auth.actor).await?;
    // Pages by number here; the keyset cursor is the API's.
    let q = EnterpriseQuery {
        after: None,
        ..m.clone()
    };
    // A filter the app refuses is shown above an empty list.
    let (page, error) = match s.app.enterprise_list(&auth.actor, &q).await {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(c.form_error(&e).ok_or(e)?)),
    };
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let error = error.map(|e| e.message);
    let ecosystems = idx
        .of_kind(RegistryKind::Ecosystem)
        .map(|r| Opt::new(r.code.clone().unwrap_or_default(), &r.name, &v("ecosystem")))
        .collect();
    let chains = idx
        .of_kind(RegistryKind::Ecosystem)
        .map(|e| OptGroup {
            label: e.name.clone(),
            opts: idx
                .children(e.id, RegistryKind::Chain)
                .iter()
                .map(|r| Opt::new(r.code.clone().unwrap_or_default(), &r.name, &v("chain")))
                .collect(),
        })
        .collect();
    let mut nodes = node_groups(t, &idx, &[]);
    let cur_node = v("node");
    for g in &mut nodes {
        for o in &mut g.opts {
            o.selected = !cur_node.is_empty() && o.value == cur_node;
        }
    }
    let streets = idx
        .of_kind(RegistryKind::Street)
        .map(|r| Opt::new(r.code.clone().unwrap_or_default(), &r.name, &v("street")))
        .collect();
    let parks = idx
        .of_kind(RegistryKind::Street)
        .map(|st| OptGroup {
            label: st.name.clone(),
            opts: idx
                .children(st.id, RegistryKind::Park)
                .iter()
                .map(|p| Opt::new(p.id.to_string(), &p.name, &v("park")))
                .collect(),
        })
        .collect();
    let cur_tag = v("tag");
    let mut tags: Vec<Opt> = KNOWN_TAGS
        .iter()
        .map(|k| Opt::new(*k, *k, &cur_tag))
        .collect();
    if !cur_tag.is_empty() && !KNOWN_TAGS.contains(&cur_tag.as_str()) {
        tags.push(Opt::new(&cur_tag, &cur_tag, &cur_tag));
    }
    let sizes = SizeBand::all()
        .iter()
        .map(|b| Opt::new(b.as_str(), c.pick(b.label_zh(), b.label_en()), &v("size")))
        .collect();
    let per_page = page.as_ref().map(|p| p.per_page).unwrap_or(20);
    let per_pages = [20, 50, 100, 200]
        .iter()
        .map(|n| Opt::new(n.to_string(), n.to_string(), &per_page.to_string()))
        .collect();
    let filter_qs = filters_qs(&m);
    let (rows, total, cur) = match &page {
        Some(p) => (p.items.iter().map(|e| row(t, e)).collect(), p.total, p.page),
        None => (Vec::new(), 0, 1),
    };
    let (pages, prev, next) = pager(&filter_qs, cur, per_page, total);
    let (review, review_total) = if enterprise_perm::verify(&auth.actor) {
        let q = lianshi_app::enterprise::CorrectionQuery {
            status: Some("pending".into()),
            per_page: Some(10),
            ..Default::default()
        };
        let p = s.app.correction_list(&auth.actor, &q).await?;
        (
            p.items
                .iter()
                .map(|x| ReviewRow {
                    uscc: x.row.uscc.clone(),
                    name: x.row.enterprise_name.clone(),
                    field: label(&c, &x.row.field),
                    proposed: x.proposed_text.clone(),
                })
                .collect(),
            p.total,
        )
    } else {
        (Vec::new(), 0)
    };
    let l = c.layout(&auth, t.get("nav-enterprises"), "enterprises");
    let r = c.page(&ListPage {
        l,
        q: v("q"),
        ecosystems,
        chains,
        nodes,
        streets,
        parks,
        tags,
        sizes,
        per_pages,
        rows,
        total,
        total_text: super::charts::group(total),
        page: cur,
        pages,
        prev,
        next,
        filter_qs,
        can_create: enterprise_perm::create_enterprise(&auth.actor).is_ok(),
        can_export: enterprise_perm::export_enterprises(&auth.actor).is_ok(),
        error,
        review,
        review_total,
    });
    Ok(with_status(r, status))
}

fn row(t: T, e: &EnterpriseView) -> Row {
    let place = [e.street.as_deref(), e.park.as_deref()]
        .iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" / ");
    Row {
        href: format!("/enterprises/{}", e.uscc),
        name: e.name.clone(),
        uscc: e.uscc.clone(),
        nodes: e
            .chain_nodes
            .iter()
            .map(|n| format!("{}·{}", n.chain, n.name))
            .collect(),
        place,
        size: size_label(t, e.size_band.as_deref()),
        headcount: e.headcount.map(super::charts::group).unwrap_or_default(),
        revenue: e
            .revenue_fen
            .map(|f| Money(f).format_wan())
            .unwrap_or_default(),
        tags: e.tags.clone(),
    }
}

async fn export(s: AppState, auth: PageAuth, m: EnterpriseQuery, xlsx: bool) -> PageResult {
    let q = EnterpriseQuery {
        page: None,
        per_page: None,
        after: None,
        ..m
    };
    let bytes = s.app.enterprise_export(&auth.actor, &q, xlsx).await?;
    Ok(super::download(bytes, xlsx, "enterprises"))
}

async fn export_csv(
    State(s): State<AppState>,
    auth: PageAuth,
    Query(m): Query<EnterpriseQuery>,
) -> PageResult {
    export(s, auth, m, false).await
}

async fn export_xlsx(
    State(s): State<AppState>,
    auth: PageAuth,
    Query(m): Query<EnterpriseQuery>,
) -> PageResult {
    export(s, auth, m, true).await
}

fn template(xlsx: bool) -> PageResult {
    let b = lianshi_app::App::enterprise_template(xlsx)?;
    Ok(super::download(b, xlsx, "enterprise-template"))
}

async fn template_csv(_auth: PageAuth) -> PageResult {
    template(false)
}

async fn template_xlsx(_auth: PageAuth) -> PageResult {
    template(true)
}

// ---------------------------------------------------------------------------------------------
// Detail (一企一档)
// ---------------------------------------------------------------------------------------------

pub struct Group {
    pub title: &'static str,
    pub items: Vec<(String, String)>,
}

pub struct NodeRow {
    pub ecosystem: String,
    pub chain: String,
    pub chain_href: String,
    pub stage: &'static str,
    pub name: String,
    pub node_href: String,
}

#[derive(Template)]
#[template(path = "enterprise.html")]
pub struct DetailPage {
    pub l: Layout,
    pub e: EnterpriseView,
    pub groups: Vec<Group>,
    pub nodes: Vec<NodeRow>,
    pub can_edit: bool,
    pub saved: bool,
    /// The last edit's changes to verified figures wait for review.
    pub proposed: bool,
    /// `accepted` or `rejected`: a correction was just decided.
    pub decided: String,
    /// Pending corrections of this enterprise (its own user sees them as "waiting").
    pub corrections: Vec<CorrectionRow>,
    /// Department officers and administrators accept or reject here.
    pub can_review: bool,
    /// (field label, source label) of each verified field.
    pub sources: Vec<(String, String)>,
}

/// A pending correction as the page lists it.
pub struct CorrectionRow {
    pub id: i64,
    pub field: String,
    pub current: String,
    pub proposed: String,
    pub by: String,
    pub at: String,
}

fn label(c: &Ctx, key: &str) -> String {
    c.pick(field_label_zh(key), field_label_en(key))
}

/// What the enterprise page says was just done: saved, proposed for review, or a correction
/// decided (`accepted`, `rejected`).
#[derive(Deserialize, Default)]
#[serde(default)]
struct DetailQuery {
    saved: Option<String>,
    proposed: Option<String>,
    decided: String,
}

async fn detail(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Path(uscc): Path<String>,
    Query(qm): Query<DetailQuery>,
) -> PageResult {
    let t = c.t;
    let e = s.app.enterprise_get(&auth.actor, &uscc).await?;
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let n = |v: Option<i64>| v.map(super::charts::group).unwrap_or_default();
    let industry = match (&e.industry_code, &e.industry_name) {
        (Some(code), Some(name)) => format!("{code} {name}"),
        (Some(code), None) => code.clone(),
        _ => String::new(),
    };
    let wan = |f: Option<i64>| f.map(|f| Money(f).format_wan()).unwrap_or_default();
    let groups = vec![
        Group {
            title: t.get("group-basic"),
            items: vec![
                (label(&c, "uscc"), e.uscc.clone()),
                (label(&c, "name"), e.name.clone()),
                (label(&c, "industry_code"), industry),
                (label(&c, "registered_on"), o(&e.registered_on)),
                (label(&c, "ownership"), o(&e.ownership)),
                (
                    t.get("field-size-band").to_string(),
                    size_label(t, e.size_band.as_deref()),
                ),
            ],
        },
        Group {
            title: t.get("group-address"),
            items: vec![
                (label(&c, "street"), o(&e.street)),
                (label(&c, "park"), o(&e.park)),
                (label(&c, "building"), o(&e.building)),
                (label(&c, "address"), o(&e.address)),
            ],
        },
        Group {
            title: t.get("group-business"),
            items: vec![
                (label(&c, "headcount"), n(e.headcount)),
                (label(&c, "tech_staff"), n(e.tech_staff)),
                (t.get("field-revenue").to_string(), wan(e.revenue_fen)),
                (t.get("field-rd-spend").to_string(), wan(e.rd_spend_fen)),
                (t.get("field-tax-paid").to_string(), wan(e.tax_paid_fen)),
            ],
        },
        Group {
            title: t.get("group-contact"),
            items: vec![
                (label(&c, "contact_name"), o(&e.contact_name)),
                (label(&c, "contact_phone"), o(&e.contact_phone)),
            ],
        },
        Group {
            title: t.get("group-record"),
            items: vec![
                (
                    t.get("field-created-at").to_string(),
                    super::cst(&e.created_at),
                ),
                (
                    t.get("field-updated-at").to_string(),
                    super::cst(&e.updated_at),
                ),
                (t.get("field-version").to_string(), e.version.to_string()),
            ],
        },
    ];
    let nodes = e
        .chain_nodes
        .iter()
        .map(|nv| NodeRow {
            ecosystem: nv.ecosystem.clone(),
            chain: nv.chain.clone(),
            chain_href: nv
                .chain_code
                .as_deref()
                .map(|c| format!("/enterprises?chain={}", super::url_escape(c)))
                .unwrap_or_default(),
            stage: stage_label(t, &nv.stage),
            name: nv.name.clone(),
            node_href: nv
                .code
                .as_deref()
                .map(|c| format!("/enterprises?node={}", super::url_escape(c)))
                .unwrap_or_default(),
        })
        .collect();
    let can_edit = enterprise_perm::edit_enterprise(&auth.actor, e.id).is_ok();
    let saved = qm.saved.is_some();
    let proposed = qm.proposed.is_some();
    let decided = Some(qm.decided)
        .filter(|d| matches!(d.as_str(), "accepted" | "rejected"))
        .unwrap_or_default();
    let corrections = e
        .pending_corrections
        .iter()
        .map(|x| CorrectionRow {
            id: x.row.id,
            field: label(&c, &x.row.field),
            current: x.current_text.clone(),
            proposed: x.proposed_text.clone(),
            by: x.row.proposed_by.clone(),
            at: super::cst(&x.row.proposed_at),
        })
        .collect();
    let sources = e
        .sources
        .iter()
        .map(|(field, src)| {
            let shown = match FieldSource::parse(src) {
                Some(FieldSource::Verified) => t.get("source-verified"),
                Some(FieldSource::SelfReported) => t.get("source-self-reported"),
                _ => t.get("source-imported"),
            };
            (label(&c, field), shown.to_string())
        })
        .collect();
    let can_review = enterprise_perm::verify(&auth.actor);
    let l = c.layout(&auth, e.name.clone(), "enterprises");
    Ok(c.page(&DetailPage {
        l,
        e,
        groups,
        nodes,
        can_edit,
        saved,
        proposed,
        decided,
        corrections,
        can_review,
        sources,
    }))
}

/// A reviewer's decision on a correction: the reason is optional to accept, required to reject
/// (the app says so).
#[derive(serde::Deserialize)]
struct DecisionForm {
    reason: Option<String>,
}

/// Accept or reject (a reason is required) a correction from the enterprise page, then show the
/// page again.
async fn correction_decide(
    State(s): State<AppState>,
    Path((_uscc, id, decision)): Path<(String, i64, String)>,
    Posted { auth, form, .. }: Posted<DecisionForm>,
) -> PageResult {
    let f = form?;
    let (a, reason) = (&auth.actor, f.reason.as_deref());
    let x = match decision.as_str() {
        "accept" => s.app.correction_accept(a, id, reason).await?,
        "reject" => s.app.correction_reject(a, id, reason).await?,
        other => return Err(AppError::NotFound(format!("decision {other}")).into()),
    };
    let decided = if decision == "accept" {
        "accepted"
    } else {
        "rejected"
    };
    Ok(see_other(&format!(
        "/enterprises/{}?decided={decided}",
        x.row.uscc
    )))
}

// ---------------------------------------------------------------------------------------------
// Create / edit form
// ---------------------------------------------------------------------------------------------

/// The text fields of the form, in order, with their section.
const TEXT_FIELDS: [&str; 16] = [
    "uscc",
    "name",
    "industry_code",
    "registered_on",
    "ownership",
    "street",
    "park",
    "building",
    "address",
    "headcount",
    "tech_staff",
    "revenue_yuan",
    "rd_spend_yuan",
    "tax_paid_yuan",
    "contact_name",
    "contact_phone",
];

/// What the form shows: the values typed (or stored) and the version edited.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub fields: HashMap<&'static str, String>,
    pub nodes: Vec<String>,
    pub tags: Vec<String>,
    pub extra_tags: String,
    pub version: String,
}

impl Values {
    fn get(&self, k: &str) -> String {
        self.fields.get(k).cloned().unwrap_or_default()
    }

    fn from_view(e: &EnterpriseView) -> Values {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let n = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        let y = |v: Option<i64>| v.map(|f| Money(f).yuan_string()).unwrap_or_default();
        let mut f = HashMap::new();
        f.insert("uscc", e.uscc.clone());
        f.insert("name", e.name.clone());
        f.insert("industry_code", o(&e.industry_code));
        f.insert("registered_on", o(&e.registered_on));
        f.insert("ownership", o(&e.ownership));
        f.insert("street", o(&e.street));
        f.insert("park", o(&e.park));
        f.insert("building", o(&e.building));
        f.insert("address", o(&e.address));
        f.insert("headcount", n(e.headcount));
        f.insert("tech_staff", n(e.tech_staff));
        f.insert("revenue_yuan", y(e.revenue_fen));
        f.insert("rd_spend_yuan", y(e.rd_spend_fen));
        f.insert("tax_paid_yuan", y(e.tax_paid_fen));
        f.insert("contact_name", o(&e.contact_name));
        f.insert("contact_phone", o(&e.contact_phone));
        Values {
            fields: f,
            nodes: e
                .chain_nodes
                .iter()
                .filter_map(|n| n.code.clone())
                .collect(),
            tags: e
                .tags
                .iter()
                .filter(|t| KNOWN_TAGS.contains(&t.as_str()))
                .cloned()
                .collect(),
            extra_tags: e
                .tags
                .iter()
                .filter(|t| !KNOWN_TAGS.contains(&t.as_str()))
                .cloned()
                .collect::<Vec<_>>()
                .join("；"),
            version: e.version.to_string(),
        }
    }

    /// The form as it was sent.
    fn sent(echo: &Echo) -> Values {
        let mut f = HashMap::new();
        for k in TEXT_FIELDS {
            f.insert(k, echo.val(k));
        }
        Values {
            fields: f,
            nodes: echo.all("chain_nodes"),
            tags: echo.all("tags"),
            extra_tags: echo.val("extra_tags"),
            version: echo.val("version"),
        }
    }

    /// The input for the app: every field given (empty clears), a masked phone kept as stored.
    fn input(&self) -> EnterpriseInput {
        let g = |k: &str| Some(self.get(k).trim().to_string());
        let mut tags = self.tags.clone();
        if !self.extra_tags.trim().is_empty() {
            tags.push(self.extra_tags.clone());
        }
        let phone = self.get("contact_phone");
        EnterpriseInput {
            uscc: g("uscc"),
            name: g("name"),
            industry_code: g("industry_code"),
            registered_on: g("registered_on"),
            ownership: g("ownership"),
            street: g("street"),
            park: g("park"),
            building: g("building"),
            address: g("address"),
            chain_nodes: Some(self.nodes.clone()),
            headcount: g("headcount"),
            tech_staff: g("tech_staff"),
            revenue_yuan: g("revenue_yuan"),
            rd_spend_yuan: g("rd_spend_yuan"),
            tax_paid_yuan: g("tax_paid_yuan"),
            tags: Some(tags),
            contact_name: g("contact_name"),
            contact_phone: if phone.contains('*') {
                None
            } else {
                Some(phone.trim().to_string())
            },
        }
    }
}

pub struct FieldView {
    pub key: &'static str,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
    /// `text`, `date`, `number`, `tel`, `select`.
    pub kind: &'static str,
    pub groups: Vec<OptGroup>,
    pub required: bool,
    pub readonly: bool,
    pub hint: &'static str,
    pub wide: bool,
}

pub struct Section {
    pub title: &'static str,
    pub fields: Vec<FieldView>,
}

#[derive(Template)]
#[template(path = "enterprise_form.html")]
pub struct FormPage {
    pub l: Layout,
    pub action: String,
    pub cancel: String,
    pub is_new: bool,
    pub version: String,
    pub sections: Vec<Section>,
    pub node_groups: Vec<OptGroup>,
    pub node_error: Option<String>,
    pub tag_opts: Vec<Opt>,
    pub extra_tags: String,
    pub tags_error: Option<String>,
    pub banner: Option<String>,
    pub reload: Option<String>,
    pub error_count: usize,
}

fn flat(opts: Vec<Opt>) -> Vec<OptGroup> {
    vec![OptGroup {
        label: String::new(),
        opts,
    }]
}

/// Options of a select, keeping a current value that is not in the list.
fn with_current(mut groups: Vec<OptGroup>, cur: &str) -> Vec<OptGroup> {
    if !cur.is_empty() && !groups.iter().any(|g| g.opts.iter().any(|o| o.value == cur)) {
        groups.insert(0, flat(vec![Opt::new(cur, cur, cur)]).remove(0));
    }
    groups
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    c: &Ctx,
    auth: &PageAuth,
    idx: &RegistryIndex,
    v: &Values,
    errs: &[FieldError],
    existing: Option<&str>,
    banner: Option<String>,
    reload: Option<String>,
) -> FormPage {
    let t = c.t;
    let err = |k: &str| -> Option<String> {
        let m: Vec<String> = errs
            .iter()
            .filter(|e| e.field == k)
            .map(|e| c.pick(&e.reason.zh, &e.reason.en))
            .collect();
        (!m.is_empty()).then(|| m.join("；"))
    };
    let readonly_uscc = existing.is_some() && auth.actor.role == lianshi_domain::Role::Enterprise;
    let field = |key: &'static str, kind: &'static str, groups: Vec<OptGroup>| FieldView {
        key,
        label: label(c, key),
        value: v.get(key),
        error: err(key),
        kind,
        groups,
        required: key == "uscc" || key == "name",
        readonly: key == "uscc" && readonly_uscc,
        hint: match key {
            "revenue_yuan" | "rd_spend_yuan" | "tax_paid_yuan" => t.get("hint-money"),
            "industry_code" => t.get("hint-industry"),
            "contact_phone" if v.get(key).contains('*') => t.get("hint-phone-masked"),
            _ => "",
        },
        wide: matches!(key, "name" | "address"),
    };
    let ownership = with_current(
        flat(
            OWNERSHIP_TYPES
                .iter()
                .map(|o| Opt::new(*o, *o, &v.get("ownership")))
                .collect(),
        ),
        &v.get("ownership"),
    );
    let streets = with_current(
        flat(
            idx.of_kind(RegistryKind::Street)
                .map(|r| Opt::new(&r.name, &r.name, &v.get("street")))
                .collect(),
        ),
        &v.get("street"),
    );
    let parks = with_current(
        idx.of_kind(RegistryKind::Street)
            .map(|st| OptGroup {
                label: st.name.clone(),
                opts: idx
                    .children(st.id, RegistryKind::Park)
                    .iter()
                    .map(|p| Opt::new(&p.name, &p.name, &v.get("park")))
                    .collect(),
            })
            .collect(),
        &v.get("park"),
    );
    // Buildings are chosen by name within the chosen park; several parks may share names like
    // "1号楼", so only the first option of a name is marked.
    let mut marked = false;
    let buildings = with_current(
        idx.of_kind(RegistryKind::Park)
            .map(|p| OptGroup {
                label: p.name.clone(),
                opts: idx
                    .children(p.id, RegistryKind::Building)
                    .iter()
                    .map(|b| {
                        let mut o = Opt::new(&b.name, &b.name, &v.get("building"));
                        let here = v.get("park") == p.name;
                        o.selected = o.selected && here && !marked;
                        marked |= o.selected;
                        o
                    })
                    .collect(),
            })
            .collect(),
        &v.get("building"),
    );
    let sections = vec![
        Section {
            title: t.get("group-basic"),
            fields: vec![
                field("uscc", "text", vec![]),
                field("name", "text", vec![]),
                field("industry_code", "text", vec![]),
                field("registered_on", "date", vec![]),
                field("ownership", "select", ownership),
            ],
        },
        Section {
            title: t.get("group-address"),
            fields: vec![
                field("street", "select", streets),
                field("park", "select", parks),
                field("building", "select", buildings),
                field("address", "text", vec![]),
            ],
        },
        Section {
            title: t.get("group-business"),
            fields: vec![
                field("headcount", "number", vec![]),
                field("tech_staff", "number", vec![]),
                field("revenue_yuan", "text", vec![]),
                field("rd_spend_yuan", "text", vec![]),
                field("tax_paid_yuan", "text", vec![]),
            ],
        },
        Section {
            title: t.get("group-contact"),
            fields: vec![
                field("contact_name", "text", vec![]),
                field("contact_phone", "tel", vec![]),
            ],
        },
    ];
    let tag_opts = KNOWN_TAGS
        .iter()
        .map(|k| Opt {
            value: k.to_string(),
            label: k.to_string(),
            selected: v.tags.iter().any(|x| x == k),
        })
        .collect();
    let (title, action, cancel) = match existing {
        Some(u) => (
            format!("{} · {}", t.get("enterprise-edit"), v.get("name")),
            format!("/enterprises/{u}"),
            format!("/enterprises/{u}"),
        ),
        None => (
            t.get("enterprise-new").to_string(),
            "/enterprises".to_string(),
            "/enterprises".to_string(),
        ),
    };
    FormPage {
        l: c.layout(auth, title, "enterprises"),
        action,
        cancel,
        is_new: existing.is_none(),
        version: v.version.clone(),
        sections,
        node_groups: node_groups(t, idx, &v.nodes),
        node_error: err("chain_nodes"),
        tag_opts,
        extra_tags: v.extra_tags.clone(),
        tags_error: err("tags"),
        banner,
        reload,
        error_count: errs.len(),
    }
}

async fn new_form(State(s): State<AppState>, c: Ctx, auth: PageAuth) -> PageResult {
    enterprise_perm::create_enterprise(&auth.actor)?;
    let idx = s.app.registry().await?;
    Ok(c.page(&form_page(
        &c,
        &auth,
        &idx,
        &Values::default(),
        &[],
        None,
        None,
        None,
    )))
}

async fn edit_form(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Path(uscc): Path<String>,
) -> PageResult {
    let e = s.app.enterprise_get(&auth.actor, &uscc).await?;
    enterprise_perm::edit_enterprise(&auth.actor, e.id)?;
    let idx = s.app.registry().await?;
    Ok(c.page(&form_page(
        &c,
        &auth,
        &idx,
        &Values::from_view(&e),
        &[],
        Some(&e.uscc),
        None,
        None,
    )))
}

/// Show a failed save: field errors inline, conflicts and other refusals as a banner, a field
/// that did not parse as a banner naming it.
async fn refused(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    v: &Values,
    existing: Option<&str>,
    e: PageError,
) -> PageResult {
    let idx = s.app.registry().await?;
    let (status, errs, banner, reload) = match e {
        PageError::Form(f) => (f.status, Vec::new(), Some(f.message), None),
        PageError::App(e) => {
            let status = crate::error::status(&e);
            match e {
                AppError::Invalid(errs) => (
                    status,
                    errs,
                    Some(c.t.get("form-has-errors").to_string()),
                    None,
                ),
                AppError::Conflict(_) if existing.is_some() => (
                    status,
                    Vec::new(),
                    Some(c.t.get("form-conflict").to_string()),
                    existing.map(|u| format!("/enterprises/{u}/edit")),
                ),
                e @ (AppError::Conflict(_) | AppError::BadRequest { .. }) => {
                    (status, Vec::new(), Some(messages(c, &e)), None)
                }
                other => return Err(other.into()),
            }
        }
    };
    Ok(with_status(
        c.page(&form_page(
            c, auth, &idx, v, &errs, existing, banner, reload,
        )),
        status,
    ))
}

/// The enterprise form: its text fields (the app reads and checks them, naming each), chain
/// nodes, tags and the version edited.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EnterpriseForm {
    uscc: String,
    name: String,
    industry_code: String,
    registered_on: String,
    ownership: String,
    street: String,
    park: String,
    building: String,
    address: String,
    headcount: String,
    tech_staff: String,
    revenue_yuan: String,
    rd_spend_yuan: String,
    tax_paid_yuan: String,
    contact_name: String,
    contact_phone: String,
    chain_nodes: Vec<String>,
    tags: Vec<String>,
    extra_tags: String,
    version: Option<i64>,
}

impl EnterpriseForm {
    fn values(self) -> Values {
        let fields = TEXT_FIELDS
            .iter()
            .zip([
                self.uscc,
                self.name,
                self.industry_code,
                self.registered_on,
                self.ownership,
                self.street,
                self.park,
                self.building,
                self.address,
                self.headcount,
                self.tech_staff,
                self.revenue_yuan,
                self.rd_spend_yuan,
                self.tax_paid_yuan,
                self.contact_name,
                self.contact_phone,
            ])
            .map(|(k, v)| (*k, v))
            .collect();
        Values {
            fields,
            nodes: self.chain_nodes,
            tags: self.tags,
            extra_tags: self.extra_tags,
            version: self.version.map(|v| v.to_string()).unwrap_or_default(),
        }
    }
}

/// Create (`existing` none) or update an enterprise from the posted form; back to its page, or
/// the form again with what was typed.
async fn save(
    s: &AppState,
    c: &Ctx,
    existing: Option<&str>,
    Posted { auth, form, echo }: Posted<EnterpriseForm>,
) -> PageResult {
    let mut a = auth.actor.clone();
    a.source = lianshi_app::Source::Web;
    let done: PageResult<EnterpriseView> = async {
        let f = form?;
        let version = f.version;
        let inp = f.values().input();
        Ok(match existing {
            None => s.app.enterprise_create(&a, &inp).await?,
            Some(uscc) => s.app.enterprise_update(&a, uscc, &inp, version).await?,
        })
    }
    .await;
    match done {
        Ok(e) if !e.proposed_corrections.is_empty() => {
            Ok(see_other(&format!("/enterprises/{}?proposed=1", e.uscc)))
        }
        Ok(e) => Ok(see_other(&format!("/enterprises/{}?saved=1", e.uscc))),
        Err(e) => refused(s, c, &auth, &Values::sent(&echo), existing, e).await,
    }
}

async fn create(State(s): State<AppState>, c: Ctx, posted: Posted<EnterpriseForm>) -> PageResult {
    save(&s, &c, None, posted).await
}

async fn update(
    State(s): State<AppState>,
    c: Ctx,
    Path(uscc): Path<String>,
    posted: Posted<EnterpriseForm>,
) -> PageResult {
    save(&s, &c, Some(&uscc), posted).await
}
