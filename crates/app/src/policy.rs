//! Benefit policies and services (惠企政策/服务): the catalogue, loading and editing rule files,
//! explanations for one enterprise, the 免申即享 push with its notices, and the what-if sandbox
//! (政策沙盘).
//!
//! The rule text is the source of truth: each policy row keeps its entry's TOML (`source`), and
//! every evaluation parses and compiles those entries with `lianshi-rules`. A load is all or
//! nothing: any bad entry refuses the whole file with `FILE:line:col: message` lines.
//!
//! The population (every enterprise's attributes, column-wise) is derived from the store and kept
//! in memory, keyed by the store's enterprise generation and the evaluation date, so a what-if run
//! is two evaluations over a ready population. Single-enterprise explanations read that
//! enterprise's row from the store, so they are never stale.
//!
//! Permissions (module [`perm`]): administrators and department officers manage policies (an
//! officer only its own department's); everyone signed in but voucher providers reads the
//! catalogue; enterprise users see explanations and notices only for their own enterprise.

use crate::zone::{RegistryIndex, entry, json};
use crate::{Actor, App, AppError, AppResult};
use chrono::{Datelike, NaiveDate};
use lianshi_domain::zone::RegistryKind;
use lianshi_rules as rules;
use lianshi_store::audit::audit_append;
use lianshi_store::enterprise::EnterpriseRow;
use lianshi_store::policy::{
    FactRow, NewNotice, NoticeFilter, PolicyFilter, PolicyRunRow, PolicyWrite, Upserted,
    policy_notice_decide, policy_notice_insert_many, policy_run_finish, policy_run_start,
    policy_upsert,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

pub use lianshi_store::policy::{NoticeRow, PolicyRow, PolicyRunRow as RunRow};

/// Tags that put an enterprise on the credit blacklist (the credit check before a payout).
pub const BLACKLIST_TAGS: [&str; 2] = ["失信", "信用黑名单"];

/// Who may do what with policies.
pub mod perm;

// ---------------------------------------------------------------------------------------------
// Views

/// A dated parameter: values from each date on.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParamView {
    pub name: String,
    /// (from date `YYYY-MM-DD`, value), in date order.
    #[cfg_attr(feature = "openapi", schema(schema_with = lianshi_domain::schema::text_number_pairs))]
    pub values: Vec<(String, f64)>,
}

/// A condition (or exception) and the clause it implements.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClauseView {
    pub clause: String,
    pub when: String,
    /// For exceptions: `deny` or `grant`; empty for base conditions.
    pub effect: String,
}

/// A policy with its rules as the catalogue shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyView {
    #[serde(flatten)]
    pub row: PolicyRow,
    pub params: Vec<ParamView>,
    pub conditions: Vec<ClauseView>,
    pub exceptions: Vec<ClauseView>,
    /// Ecosystem codes the conditions mention (for the ecosystem filter).
    pub ecosystems: Vec<String>,
}

/// Catalogue query, as the UI and API send it.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
#[serde(default)]
pub struct PolicyQuery {
    pub q: Option<String>,
    pub kind: Option<String>,
    /// Department code, id or name.
    pub department: Option<String>,
    pub track: Option<String>,
    pub status: Option<String>,
    /// Ecosystem code: policies whose conditions mention it.
    pub ecosystem: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// One page of the catalogue.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyPage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<PolicyRow>,
}

/// What a load did.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoadReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
}

impl LoadReport {
    pub fn total(&self) -> usize {
        self.created.len() + self.updated.len() + self.unchanged.len()
    }
}

/// One condition's outcome for one enterprise.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckView {
    pub clause: String,
    pub expr: String,
    pub passed: bool,
    /// The values used, e.g. `rd_ratio 0.021 < params.rd_min 0.03`.
    pub text: String,
}

/// Whether one enterprise qualifies for one policy, how much, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExplainView {
    pub policy_code: String,
    pub policy_title: String,
    pub track: String,
    pub status: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    /// Evaluation date.
    pub on: String,
    pub eligible: bool,
    pub amount_fen: i64,
    pub conditions: Vec<CheckView>,
    /// Exceptions: `passed` means the exception's condition held.
    pub exceptions: Vec<CheckView>,
    /// The benefit formula with the values used.
    pub benefit: Option<String>,
    /// Eligible on its own, but another policy of its exclusive group pays more (从高从优).
    pub superseded_by: Option<String>,
    pub warnings: Vec<String>,
    /// Where each enterprise figure the rules read came from: enterprise field key (as in the
    /// enterprise API: `revenue_yuan`, `tags`, …) → `verified` or `imported`. Only values in
    /// force are evaluated; pending corrections never are.
    pub sources: BTreeMap<String, String>,
}

/// What-if input: parameter values and rule replacements for one policy.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SimulateInput {
    /// Parameter name → value (e.g. `rd_min` → 0.04).
    pub set: BTreeMap<String, f64>,
    /// Clause (or `benefit`) → expression replacing it.
    pub rules: BTreeMap<String, String>,
    /// Evaluation date; today when absent.
    pub on: Option<NaiveDate>,
}

/// Changes in one group of a breakdown.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupChange {
    pub newly_eligible: i64,
    pub dropped: i64,
    pub budget_change_fen: i64,
}

/// An enterprise in a what-if sample.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SampleEnterprise {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    pub amount_before_fen: i64,
    pub amount_after_fen: i64,
}

/// What a change would do, compared with the live policy.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SimulateReport {
    pub policy: String,
    pub on: String,
    pub population: i64,
    pub eligible_before: i64,
    pub eligible_after: i64,
    pub newly_eligible: i64,
    pub dropped: i64,
    pub budget_before_fen: i64,
    pub budget_after_fen: i64,
    pub budget_change_fen: i64,
    pub by_ecosystem: BTreeMap<String, GroupChange>,
    pub by_chain: BTreeMap<String, GroupChange>,
    pub by_size: BTreeMap<String, GroupChange>,
    pub samples_added: Vec<SampleEnterprise>,
    pub samples_dropped: Vec<SampleEnterprise>,
    pub elapsed_ms: f64,
}

/// Result of a 免申即享 push.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushReport {
    pub run: PolicyRunRow,
    /// Policy code → notices created.
    pub by_policy: BTreeMap<String, i64>,
}

/// Outcome of a notice decision.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecideReport {
    pub notice: NoticeRow,
    /// The subsidy application queued for a confirmation, when the ledger is available.
    pub subsidy: Option<serde_json::Value>,
}

// ---------------------------------------------------------------------------------------------
// The population snapshot

/// Per-enterprise labels kept beside the population for breakdowns and samples.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntMeta {
    pub name: String,
    pub uscc: String,
    pub ecosystems: Vec<String>,
    pub chains: Vec<String>,
    pub size: String,
}

/// Every enterprise's attributes at one date, column-wise for the batch evaluator.
pub struct Snapshot {
    pub generation: i64,
    /// The registry generation of the codes in the population (chain, ecosystem, street, park):
    /// a registry edit by any process also makes the snapshot stale.
    pub registry_generation: i64,
    pub on: NaiveDate,
    pub ids: Vec<i64>,
    pub meta: Vec<EntMeta>,
    pub population: rules::Population,
}

/// The app's cached snapshot.
#[derive(Default)]
pub struct PolicyCache {
    snap: Mutex<Option<Arc<Snapshot>>>,
    /// One build at a time.
    build: tokio::sync::Mutex<()>,
}

impl PolicyCache {
    fn get(&self, generation: (i64, i64), on: NaiveDate) -> Option<Arc<Snapshot>> {
        let s = self.snap.lock().unwrap_or_else(|e| e.into_inner());
        s.clone()
            .filter(|s| (s.generation, s.registry_generation) == generation && s.on == on)
    }

    fn put(&self, s: Arc<Snapshot>) {
        *self.snap.lock().unwrap_or_else(|e| e.into_inner()) = Some(s);
    }
}

fn yuan(fen: Option<i64>) -> Option<f64> {
    fen.map(|f| f as f64 / 100.0)
}

fn ratio(num: Option<f64>, den: Option<f64>) -> Option<f64> {
    match (num, den) {
        (Some(n), Some(d)) if d != 0.0 => Some(n / d),
        _ => None,
    }
}

/// Completed years between the registration date and `on` (none if unknown or in the future).
pub fn age_years(registered_on: Option<&str>, on: NaiveDate) -> Option<f64> {
    let d = NaiveDate::parse_from_str(registered_on?.get(..10)?, "%Y-%m-%d").ok()?;
    if d > on {
        return None;
    }
    let mut years = on.year() - d.year();
    if (on.month(), on.day()) < (d.month(), d.day()) {
        years -= 1;
    }
    Some(f64::from(years.max(0)))
}

/// An enterprise's attributes for the rules, with registry ids turned into codes.
pub fn facts_of(r: &FactRow, idx: &RegistryIndex, on: NaiveDate) -> (rules::Facts, EntMeta) {
    let code = |id: i64| {
        idx.get(id)
            .map(|x| x.code.clone().unwrap_or_else(|| x.id.to_string()))
            .unwrap_or_else(|| id.to_string())
    };
    let mut ecos: Vec<String> = Vec::new();
    let mut chains: Vec<String> = Vec::new();
    let mut nodes: Vec<String> = Vec::new();
    for (n, c, e) in &r.nodes {
        nodes.push(code(*n));
        let c = code(*c);
        if !chains.contains(&c) {
            chains.push(c);
        }
        let e = code(*e);
        if !ecos.contains(&e) {
            ecos.push(e);
        }
    }
    let headcount = r.headcount.map(|v| v as f64);
    let tech = r.tech_staff.map(|v| v as f64);
    let revenue = yuan(r.revenue_fen);
    let rd = yuan(r.rd_fen);
    let industry = r.industry_code.clone();
    let division = industry
        .as_deref()
        .map(|c| c.trim_start_matches(|ch: char| ch.is_ascii_alphabetic()))
        .and_then(|c| c.get(..2))
        .map(str::to_string);
    let size = r.size_band.clone().unwrap_or_default();
    let facts = rules::Facts::new()
        .with_id(r.id)
        .str("industry", industry.as_deref())
        .str("industry_division", division.as_deref())
        .list("ecosystems", ecos.clone())
        .list("chains", chains.clone())
        .list("nodes", nodes)
        .list("tags", r.tags.clone())
        .str("street", r.street_id.map(code).as_deref())
        .str("park", r.park_id.map(code).as_deref())
        .num("headcount", headcount)
        .num("tech_staff", tech)
        .num("tech_ratio", ratio(tech, headcount))
        .num("revenue_yuan", revenue)
        .num("rd_spend_yuan", rd)
        .num("rd_ratio", ratio(rd, revenue))
        .num("tax_yuan", yuan(r.tax_fen))
        .num("age_years", age_years(r.registered_on.as_deref(), on))
        .str("size", r.size_band.as_deref())
        .str("ownership", r.ownership.as_deref());
    let meta = EntMeta {
        name: r.name.clone(),
        uscc: r.uscc.clone(),
        ecosystems: ecos,
        chains,
        size: if size.is_empty() { "-".into() } else { size },
    };
    (facts, meta)
}

fn fact_row_of(e: &EnterpriseRow, idx: &RegistryIndex) -> FactRow {
    FactRow {
        id: e.id,
        name: e.name.clone(),
        uscc: e.uscc.clone(),
        industry_code: e.industry_code.clone(),
        registered_on: e.registered_on.clone(),
        ownership: e.ownership.clone(),
        street_id: e.street_id,
        park_id: e.park_id,
        headcount: e.headcount,
        tech_staff: e.tech_staff,
        revenue_fen: e.revenue_fen,
        rd_fen: e.rd_fen,
        tax_fen: e.tax_fen,
        size_band: e.size_band.clone(),
        nodes: e
            .node_ids
            .iter()
            .filter_map(|n| idx.link(*n))
            .map(|l| (l.node_id, l.chain_id, l.ecosystem_id))
            .collect(),
        tags: e.tags.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers over rule definitions

fn rule_refused(file: &str, diags: &[rules::Diag]) -> AppError {
    let lines: Vec<String> = diags.iter().map(|d| format!("{file}:{d}")).collect();
    let text = lines.join("\n");
    AppError::bad(
        "rule_invalid",
        format!("规则有误，未保存任何内容：\n{text}"),
        format!("rules refused, nothing saved:\n{text}"),
    )
}

/// Parse a stored policy's source (it was valid when saved).
fn def_of(row: &PolicyRow) -> AppResult<rules::PolicyDef> {
    let mut defs = rules::parse_file(&row.source).map_err(|d| {
        AppError::Internal(format!(
            "stored rules of {} no longer parse: {}",
            row.code,
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    match defs.len() {
        1 => Ok(defs.remove(0)),
        n => Err(AppError::Internal(format!(
            "stored rules of {} hold {n} entries",
            row.code
        ))),
    }
}

fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

fn ecosystems_mentioned(def: &rules::PolicyDef) -> Vec<String> {
    // `'ai' in ecosystems`: the quoted codes before `in ecosystems`.
    let mut out = Vec::new();
    let texts = def
        .conditions
        .iter()
        .map(|c| c.when.as_str())
        .chain(def.exceptions.iter().map(|e| e.when.as_str()));
    for t in texts {
        let mut rest = t;
        while let Some(i) = rest.find("in ecosystems") {
            let before = rest[..i].trim_end();
            if let Some(stripped) = before.strip_suffix(['\'', '"'])
                && let Some(j) = stripped.rfind(['\'', '"'])
            {
                let code = stripped[j + 1..].to_string();
                if !out.contains(&code) {
                    out.push(code);
                }
            }
            rest = &rest[i + "in ecosystems".len()..];
        }
    }
    out
}

fn view_of(row: PolicyRow) -> AppResult<PolicyView> {
    let def = def_of(&row)?;
    Ok(PolicyView {
        params: def
            .params
            .iter()
            .map(|p| ParamView {
                name: p.name.clone(),
                values: p
                    .values
                    .iter()
                    .map(|(d, v)| (d.format("%Y-%m-%d").to_string(), *v))
                    .collect(),
            })
            .collect(),
        conditions: def
            .conditions
            .iter()
            .map(|c| ClauseView {
                clause: c.clause.clone(),
                when: c.when.clone(),
                effect: String::new(),
            })
            .collect(),
        exceptions: def
            .exceptions
            .iter()
            .map(|e| ClauseView {
                clause: e.clause.clone(),
                when: e.when.clone(),
                effect: e.effect.as_str().to_string(),
            })
            .collect(),
        ecosystems: ecosystems_mentioned(&def),
        row,
    })
}

fn check_of(c: &rules::ConditionTrace) -> CheckView {
    CheckView {
        clause: c.clause.clone(),
        expr: c.expr.clone(),
        passed: c.passed,
        text: c.text.clone(),
    }
}

fn exception_of(c: &rules::ExceptionTrace) -> CheckView {
    CheckView {
        clause: c.clause.clone(),
        expr: format!("{} → {}", c.expr, c.effect),
        passed: c.hit,
        text: c.text.clone(),
    }
}

/// The period a 免申即享 notice is for: the window's opening date, else the year.
fn period_of(row: &PolicyRow, on: NaiveDate) -> String {
    row.window_from
        .clone()
        .unwrap_or_else(|| on.year().to_string())
}

/// The status a policy is shown with on `on`: `draft` and `closed` as stored; an `active` one is
/// `upcoming` before its window opens, `ended` after its window's last day, else `active`.
pub fn shown_status(row: &PolicyRow, on: NaiveDate) -> &'static str {
    status_on(
        &row.status,
        row.window_from.as_deref(),
        row.window_to.as_deref(),
        on,
    )
}

/// [`shown_status`] from the stored status and the window's dates (`YYYY-MM-DD`).
pub fn status_on(
    status: &str,
    from: Option<&str>,
    to: Option<&str>,
    on: NaiveDate,
) -> &'static str {
    match status {
        "active" => {
            let d = on.format("%Y-%m-%d").to_string();
            if to.is_some_and(|t| t < d.as_str()) {
                "ended"
            } else if from.is_some_and(|f| f > d.as_str()) {
                "upcoming"
            } else {
                "active"
            }
        }
        "draft" => "draft",
        _ => "closed",
    }
}

fn in_window(row: &PolicyRow, on: NaiveDate) -> bool {
    let d = on.format("%Y-%m-%d").to_string();
    row.window_from.as_deref().is_none_or(|f| f <= d.as_str())
        && row.window_to.as_deref().is_none_or(|t| t >= d.as_str())
}

fn undecided(n: &NoticeRow) -> AppResult<()> {
    if n.state == "new" {
        Ok(())
    } else {
        Err(AppError::refused(
            "notice_decided",
            "该通知已处理",
            "this notice has already been decided",
        ))
    }
}

impl App {
    // -----------------------------------------------------------------------------------------
    // Catalogue

    /// One page of the catalogue.
    pub async fn policy_list(&self, actor: &Actor, q: &PolicyQuery) -> AppResult<PolicyPage> {
        perm::read(actor)?;
        let idx = self.registry().await?;
        let per_page = q.per_page.unwrap_or(50).clamp(1, 500);
        let page = q.page.unwrap_or(1).max(1);
        let department_id = match q.department.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => Some(
                idx.find(RegistryKind::Department, d)
                    .map(|r| r.id)
                    .ok_or_else(|| {
                        AppError::bad(
                            "department_unknown",
                            format!("未知部门：{d}"),
                            format!("unknown department: {d}"),
                        )
                    })?,
            ),
            _ => None,
        };
        let ids = match q.ecosystem.as_deref().map(str::trim) {
            Some(e) if !e.is_empty() => {
                let code = idx
                    .find(RegistryKind::Ecosystem, e)
                    .and_then(|r| r.code.clone())
                    .unwrap_or_else(|| e.to_string());
                let mut ids = Vec::new();
                for row in self.db.policy_all().await? {
                    if let Ok(def) = def_of(&row)
                        && ecosystems_mentioned(&def).contains(&code)
                    {
                        ids.push(row.id);
                    }
                }
                Some(ids)
            }
            _ => None,
        };
        let (items, total) = self
            .db
            .policy_list(&PolicyFilter {
                q: q.q.clone(),
                kind: q.kind.clone(),
                department_id,
                track: q.track.clone(),
                status: q.status.clone(),
                ids,
                limit: per_page,
                offset: crate::bounds::page_offset(page, per_page),
            })
            .await?;
        Ok(PolicyPage {
            total,
            page,
            per_page,
            items,
        })
    }

    /// One policy with its parameters, conditions and exceptions.
    pub async fn policy_get(&self, actor: &Actor, code: &str) -> AppResult<PolicyView> {
        perm::read(actor)?;
        let row = self.policy_row(code).await?;
        view_of(row)
    }

    async fn policy_row(&self, code: &str) -> AppResult<PolicyRow> {
        self.db
            .policy_by_code(code.trim())
            .await?
            .ok_or_else(|| AppError::NotFound(format!("policy {}", code.trim())))
    }

    /// Load a rule file (one or more `[[policy]]` entries). See [`App::policy_load_named`].
    pub async fn policy_load(&self, actor: &Actor, src: &str) -> AppResult<LoadReport> {
        self.policy_load_named(actor, "input", src).await
    }

    /// Load a rule file named `file` (used in error positions): every entry is checked first;
    /// any bad entry (syntax, unknown attribute or parameter, type error, unknown department)
    /// refuses the whole file with `FILE:line:col: message`, and nothing is written. Otherwise
    /// each entry is upserted by code (a changed entry gets a new version) with one audit entry.
    pub async fn policy_load_named(
        &self,
        actor: &Actor,
        file: &str,
        src: &str,
    ) -> AppResult<LoadReport> {
        perm::manage_any(actor)?;
        let defs = rules::parse_file(src).map_err(|d| rule_refused(file, &d))?;
        if defs.is_empty() {
            return Err(AppError::bad(
                "rule_empty",
                format!("{file}: 文件中没有 [[policy]] 条目"),
                format!("{file}: no [[policy]] entry in the file"),
            ));
        }
        // Every entry must compile (parameters dated, expressions typed) on its own.
        let on = Self::today();
        rules::compile(&defs, on, &rules::Overrides::default())
            .map_err(|d| rule_refused(file, &d))?;
        let idx = self.registry().await?;
        let mut writes = Vec::with_capacity(defs.len());
        let mut seen = HashSet::new();
        for d in &defs {
            if !seen.insert(d.code.clone()) {
                return Err(AppError::bad(
                    "rule_duplicate",
                    format!("{file}: 编码 {} 在文件中重复", d.code),
                    format!("{file}: code {} appears twice in the file", d.code),
                ));
            }
            let dept = idx.find(RegistryKind::Department, &d.department);
            let Some(dept) = dept else {
                return Err(AppError::bad(
                    "department_unknown",
                    format!(
                        "{file}: 政策 {} 的部门 {} 不在区域名录中",
                        d.code, d.department
                    ),
                    format!(
                        "{file}: policy {}: department {} is not in the zone registry",
                        d.code, d.department
                    ),
                ));
            };
            perm::manage(actor, Some(dept.id))?;
            let title = crate::text::name("title", &d.title).map_err(|e| match e {
                AppError::Invalid(errs) => AppError::bad(
                    errs.first().map_or("text_invalid", |f| f.reason.code),
                    format!(
                        "{file}: 政策 {} 的标题 title 无效：{}",
                        d.code,
                        errs.first()
                            .map(|f| f.reason.zh.as_str())
                            .unwrap_or_default()
                    ),
                    format!(
                        "{file}: policy {}: invalid title: {}",
                        d.code,
                        errs.first()
                            .map(|f| f.reason.en.as_str())
                            .unwrap_or_default()
                    ),
                ),
                e => e,
            })?;
            writes.push(PolicyWrite {
                code: d.code.clone(),
                kind: d.kind.as_str().to_string(),
                title,
                department_id: Some(dept.id),
                department_code: dept.code.clone().unwrap_or_else(|| d.department.clone()),
                legal_ref: d.legal_ref.clone(),
                who: d.who.clone(),
                track: d.track.as_str().to_string(),
                status: d.status.as_str().to_string(),
                window_from: date_text(d.window_from),
                window_to: date_text(d.window_to),
                materials: d.materials.clone(),
                contact: d.contact.clone(),
                group_code: d.group.clone(),
                benefit: d.benefit.clone(),
                source: d.source.clone(),
            });
        }
        // An existing policy of another department may not be overwritten by an officer.
        for w in &writes {
            if let Some(old) = self.db.policy_by_code(&w.code).await? {
                perm::manage(actor, old.department_id)?;
            }
        }
        let mut report = LoadReport::default();
        let mut tx = self.db.begin().await?;
        for w in &writes {
            let (_, version, what) = policy_upsert(tx.conn(), w).await?;
            match what {
                Upserted::Created => report.created.push(w.code.clone()),
                Upserted::Updated => report.updated.push(format!("{}@v{version}", w.code)),
                Upserted::Unchanged => report.unchanged.push(w.code.clone()),
            }
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "policy.load",
                "policy",
                if writes.len() == 1 {
                    Some(writes[0].code.clone())
                } else {
                    None
                },
                None,
                Some(serde_json::json!({"file": file, "report": report})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Replace one policy with the entry `src` (its TOML). The entry's code must be `code`.
    pub async fn policy_update(
        &self,
        actor: &Actor,
        code: &str,
        src: &str,
    ) -> AppResult<PolicyView> {
        let old = self.policy_row(code).await?;
        perm::manage(actor, old.department_id)?;
        let defs = rules::parse_file(src).map_err(|d| rule_refused(code, &d))?;
        if defs.len() != 1 || defs[0].code != old.code {
            return Err(AppError::bad(
                "rule_code_mismatch",
                format!("须恰好包含一个编码为 {} 的 [[policy]] 条目", old.code),
                format!(
                    "expected exactly one [[policy]] entry with code {}",
                    old.code
                ),
            ));
        }
        self.policy_load_named(actor, code, src).await?;
        self.policy_get(actor, code).await
    }

    // -----------------------------------------------------------------------------------------
    // Population and explanations

    /// The population at `on`, from memory when the enterprises have not changed since.
    pub async fn policy_snapshot(&self, on: NaiveDate) -> AppResult<Arc<Snapshot>> {
        let generation = (
            self.db.enterprise_generation().await?,
            self.db.registry_generation().await?,
        );
        if let Some(s) = self.policy_cache.get(generation, on) {
            return Ok(s);
        }
        let _one = self.policy_cache.build.lock().await;
        let generation = (
            self.db.enterprise_generation().await?,
            self.db.registry_generation().await?,
        );
        if let Some(s) = self.policy_cache.get(generation, on) {
            return Ok(s);
        }
        let idx = self.registry().await?;
        let rows = self.db.policy_fact_rows().await?;
        let snap = tokio::task::spawn_blocking(move || {
            let mut ids = Vec::with_capacity(rows.len());
            let mut meta = Vec::with_capacity(rows.len());
            let mut facts = Vec::with_capacity(rows.len());
            for r in &rows {
                let (f, m) = facts_of(r, &idx, on);
                ids.push(r.id);
                meta.push(m);
                facts.push(f);
            }
            let population = rules::Population::from_facts(&facts);
            Snapshot {
                generation: generation.0,
                registry_generation: generation.1,
                on,
                ids,
                meta,
                population,
            }
        })
        .await
        .map_err(|e| AppError::Internal(format!("snapshot build: {e}")))?;
        let snap = Arc::new(snap);
        self.policy_cache.put(snap.clone());
        Ok(snap)
    }

    async fn facts_of_enterprise(
        &self,
        enterprise_id: i64,
        on: NaiveDate,
    ) -> AppResult<(EnterpriseRow, rules::Facts)> {
        let e = self
            .db
            .enterprise_by_id(enterprise_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enterprise {enterprise_id}")))?;
        let idx = self.registry().await?;
        let (facts, _) = facts_of(&fact_row_of(&e, &idx), &idx, on);
        Ok((e, facts))
    }

    fn compile(
        defs: &[rules::PolicyDef],
        on: NaiveDate,
        ov: &rules::Overrides,
    ) -> AppResult<rules::RuleSet> {
        rules::compile(defs, on, ov).map_err(|d| rule_refused("rules", &d))
    }

    /// Explanations of `rows` for one enterprise.
    async fn explain_rows(
        &self,
        rows: &[PolicyRow],
        enterprise_id: i64,
        on: NaiveDate,
    ) -> AppResult<Vec<ExplainView>> {
        let (e, facts) = self.facts_of_enterprise(enterprise_id, on).await?;
        let sources = self.enterprise_sources(e.id).await?;
        let defs = rows.iter().map(def_of).collect::<AppResult<Vec<_>>>()?;
        let set = Self::compile(&defs, on, &rules::Overrides::default())?;
        let by_code: HashMap<&str, &PolicyRow> =
            rows.iter().map(|r| (r.code.as_str(), r)).collect();
        let mut out = Vec::new();
        for x in set.explain(&facts) {
            let Some(row) = by_code.get(x.code.as_str()) else {
                continue;
            };
            out.push(ExplainView {
                policy_code: row.code.clone(),
                policy_title: row.title.clone(),
                track: row.track.clone(),
                status: row.status.clone(),
                enterprise_id: e.id,
                enterprise_name: e.name.clone(),
                on: on.format("%Y-%m-%d").to_string(),
                eligible: x.eligible,
                amount_fen: x.amount_fen,
                conditions: x.conditions.iter().map(check_of).collect(),
                exceptions: x.exceptions.iter().map(exception_of).collect(),
                benefit: x.benefit.as_ref().map(|b| b.text.clone()),
                superseded_by: x.superseded_by.clone(),
                warnings: x.warnings.clone(),
                sources: sources.clone(),
            });
        }
        Ok(out)
    }

    /// Explanations for one enterprise: the role may ask ([`perm::explain`]), the enterprise is
    /// in the actor's scope (else the 404 of an unknown one) and the scope covers its figures.
    async fn explain_allowed(&self, actor: &Actor, enterprise_id: i64) -> AppResult<()> {
        // Another enterprise's user gets the 404 of an unknown id too: the answer must not tell
        // which enterprises exist.
        perm::read(actor)?;
        perm::explain(actor, enterprise_id)
            .map_err(|e| crate::enterprise::hide_forbidden(e, &enterprise_id.to_string()))?;
        if !self.enterprise_scope(actor).await?.contains(enterprise_id) {
            return Err(AppError::NotFound(format!("enterprise {enterprise_id}")));
        }
        crate::enterprise::perm::explain_in_scope(actor)
    }

    /// Whether `enterprise_id` qualifies for `code` at `on` (today when absent), and why.
    pub async fn policy_explain(
        &self,
        actor: &Actor,
        code: &str,
        enterprise_id: i64,
        on: Option<NaiveDate>,
    ) -> AppResult<ExplainView> {
        self.explain_allowed(actor, enterprise_id).await?;
        let row = self.policy_row(code).await?;
        let on = on.unwrap_or_else(Self::today);
        // Groups (从高从优) need the group's other members in the rule set.
        let rows: Vec<PolicyRow> = match &row.group_code {
            Some(g) => self
                .db
                .policy_all()
                .await?
                .into_iter()
                .filter(|r| r.group_code.as_deref() == Some(g.as_str()))
                .collect(),
            None => vec![row.clone()],
        };
        self.explain_rows(&rows, enterprise_id, on)
            .await?
            .into_iter()
            .find(|x| x.policy_code == row.code)
            .ok_or_else(|| AppError::Internal(format!("no explanation for {}", row.code)))
    }

    /// Every active policy for one enterprise, eligible ones first ("政策找我").
    pub async fn policy_for_enterprise(
        &self,
        actor: &Actor,
        enterprise_id: i64,
        on: Option<NaiveDate>,
    ) -> AppResult<Vec<ExplainView>> {
        self.explain_allowed(actor, enterprise_id).await?;
        let on = on.unwrap_or_else(Self::today);
        let rows: Vec<PolicyRow> = self
            .db
            .policy_all()
            .await?
            .into_iter()
            .filter(|r| r.status == "active")
            .collect();
        let mut out = self.explain_rows(&rows, enterprise_id, on).await?;
        out.sort_by(|a, b| {
            b.eligible
                .cmp(&a.eligible)
                .then(b.amount_fen.cmp(&a.amount_fen))
                .then(a.policy_code.cmp(&b.policy_code))
        });
        Ok(out)
    }

    // -----------------------------------------------------------------------------------------
    // What-if

    /// What a parameter or rule change to `code` would do, compared with the live policy, over
    /// every enterprise. Nothing is written.
    pub async fn policy_simulate(
        &self,
        actor: &Actor,
        code: &str,
        input: &SimulateInput,
    ) -> AppResult<SimulateReport> {
        let started = std::time::Instant::now();
        perm::manage_any(actor)?;
        let row = self.policy_row(code).await?;
        let def = def_of(&row)?;
        let mut ov = rules::Overrides::default();
        for (name, v) in &input.set {
            if !def.params.iter().any(|p| &p.name == name) {
                let known = def
                    .params
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(AppError::bad(
                    "param_unknown",
                    format!("政策 {} 没有参数 {name}（已有：{known}）", row.code),
                    format!(
                        "policy {} has no parameter {name} (known: {known})",
                        row.code
                    ),
                ));
            }
            if !v.is_finite() {
                return Err(AppError::bad(
                    "param_invalid",
                    format!("参数 {name} 的值无效"),
                    format!("invalid value for parameter {name}"),
                ));
            }
            ov.params.push((row.code.clone(), name.clone(), *v));
        }
        for (clause, expr) in &input.rules {
            let known = clause == "benefit"
                || def.conditions.iter().any(|c| &c.clause == clause)
                || def.exceptions.iter().any(|c| &c.clause == clause);
            if !known {
                return Err(AppError::bad(
                    "clause_unknown",
                    format!("政策 {} 没有条款 {clause}", row.code),
                    format!("policy {} has no clause {clause}", row.code),
                ));
            }
            ov.rules
                .push((row.code.clone(), clause.clone(), expr.clone()));
        }
        let on = input.on.unwrap_or_else(Self::today);
        // The policy's exclusive group takes part: 从高从优 decides against the group's others.
        let rows: Vec<PolicyRow> = match &row.group_code {
            Some(g) => self
                .db
                .policy_all()
                .await?
                .into_iter()
                .filter(|r| r.group_code.as_deref() == Some(g.as_str()))
                .collect(),
            None => vec![row.clone()],
        };
        let defs = rows.iter().map(def_of).collect::<AppResult<Vec<_>>>()?;
        let base = Self::compile(&defs, on, &rules::Overrides::default())?;
        let changed = rules::compile(&defs, on, &ov).map_err(|d| {
            let text = d
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n");
            AppError::bad(
                "rule_invalid",
                format!("修改后的规则有误：\n{text}"),
                format!("the changed rules are refused:\n{text}"),
            )
        })?;
        let snap = self.policy_snapshot(on).await?;
        let code_owned = row.code.clone();
        let snap2 = snap.clone();
        let (before, after) = tokio::task::spawn_blocking(move || {
            let b = base.evaluate_policy(&code_owned, &snap2.population);
            let a = changed.evaluate_policy(&code_owned, &snap2.population);
            let pick = |o: Option<rules::Outcome>| o.and_then(|o| o.get(&code_owned).cloned());
            (pick(b), pick(a))
        })
        .await
        .map_err(|e| AppError::Internal(format!("simulate: {e}")))?;
        let (Some(pb), Some(pa)) = (before, after) else {
            return Err(AppError::Internal(format!("no outcome for {}", row.code)));
        };
        let n = snap.ids.len();
        let mut rep = SimulateReport {
            policy: row.code.clone(),
            on: on.format("%Y-%m-%d").to_string(),
            population: n as i64,
            eligible_before: 0,
            eligible_after: 0,
            newly_eligible: 0,
            dropped: 0,
            budget_before_fen: 0,
            budget_after_fen: 0,
            budget_change_fen: 0,
            by_ecosystem: BTreeMap::new(),
            by_chain: BTreeMap::new(),
            by_size: BTreeMap::new(),
            samples_added: Vec::new(),
            samples_dropped: Vec::new(),
            elapsed_ms: 0.0,
        };
        for i in 0..n {
            let (b, a) = (pb.eligible.get(i), pa.eligible.get(i));
            let fb = if b { pb.amount(i) } else { 0 };
            let fa = if a { pa.amount(i) } else { 0 };
            rep.eligible_before += i64::from(b);
            rep.eligible_after += i64::from(a);
            rep.budget_before_fen += fb;
            rep.budget_after_fen += fa;
            if a == b && fa == fb {
                continue;
            }
            let m = &snap.meta[i];
            let added = a && !b;
            let dropped = b && !a;
            let bump = |g: &mut GroupChange| {
                g.newly_eligible += i64::from(added);
                g.dropped += i64::from(dropped);
                g.budget_change_fen += fa - fb;
            };
            for e in &m.ecosystems {
                bump(rep.by_ecosystem.entry(e.clone()).or_default());
            }
            if m.ecosystems.is_empty() {
                bump(rep.by_ecosystem.entry("-".into()).or_default());
            }
            for c in &m.chains {
                bump(rep.by_chain.entry(c.clone()).or_default());
            }
            if m.chains.is_empty() {
                bump(rep.by_chain.entry("-".into()).or_default());
            }
            bump(rep.by_size.entry(m.size.clone()).or_default());
            let sample = || SampleEnterprise {
                id: snap.ids[i],
                name: m.name.clone(),
                uscc: m.uscc.clone(),
                amount_before_fen: fb,
                amount_after_fen: fa,
            };
            if added {
                rep.newly_eligible += 1;
                if rep.samples_added.len() < 20 {
                    rep.samples_added.push(sample());
                }
            } else if dropped {
                rep.dropped += 1;
                if rep.samples_dropped.len() < 20 {
                    rep.samples_dropped.push(sample());
                }
            }
        }
        rep.budget_change_fen = rep.budget_after_fen - rep.budget_before_fen;
        rep.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        Ok(rep)
    }

    // -----------------------------------------------------------------------------------------
    // 免申即享 push and notices

    /// Evaluate every active 免申即享 policy whose window is open at `on` (today when absent)
    /// over every enterprise, and create a notice for each newly eligible enterprise (one per
    /// policy, enterprise and window; a rerun creates nothing). Enterprises with a service team
    /// also get a visit task through the policy-window visit rule.
    pub async fn policy_push(&self, actor: &Actor, on: Option<NaiveDate>) -> AppResult<PushReport> {
        perm::manage_any(actor)?;
        let on = on.unwrap_or_else(Self::today);
        let rows: Vec<PolicyRow> = self
            .db
            .policy_all()
            .await?
            .into_iter()
            .filter(|r| r.status == "active" && r.track == "免申即享" && in_window(r, on))
            .filter(|r| perm::manage(actor, r.department_id).is_ok())
            .collect();
        // Groups are decided over all active policies, so 从高从优 holds across tracks.
        let all_active: Vec<PolicyRow> = self
            .db
            .policy_all()
            .await?
            .into_iter()
            .filter(|r| r.status == "active" && in_window(r, on))
            .collect();
        let defs = all_active
            .iter()
            .map(def_of)
            .collect::<AppResult<Vec<_>>>()?;
        let set = Self::compile(&defs, on, &rules::Overrides::default())?;
        let snap = self.policy_snapshot(on).await?;
        let snap2 = snap.clone();
        let outcome = tokio::task::spawn_blocking(move || set.evaluate(&snap2.population))
            .await
            .map_err(|e| AppError::Internal(format!("push: {e}")))?;
        // Each notice records where the figures it was computed from came from.
        let mut source_rows: HashMap<i64, Vec<lianshi_store::enterprise::FieldSourceRow>> =
            HashMap::new();
        for r in self.db.field_sources_all().await? {
            source_rows.entry(r.enterprise_id).or_default().push(r);
        }
        let imported_only = serde_json::to_string(&crate::enterprise::sources_map(&[]))
            .map_err(|e| AppError::Internal(format!("sources: {e}")))?;
        let sources_of = |id: i64| -> String {
            source_rows
                .get(&id)
                .and_then(|rows| serde_json::to_string(&crate::enterprise::sources_map(rows)).ok())
                .unwrap_or_else(|| imported_only.clone())
        };
        let mut tx = self.db.begin().await?;
        let on_text = on.format("%Y-%m-%d").to_string();
        let run_id = policy_run_start(tx.conn(), &on_text, &actor.username).await?;
        let mut run = PolicyRunRow {
            id: run_id,
            on_date: on_text,
            actor_name: actor.username.clone(),
            policies: rows.len() as i64,
            enterprises: snap.ids.len() as i64,
            ..Default::default()
        };
        let mut by_policy = BTreeMap::new();
        let mut hooks: Vec<(i64, String, NaiveDate)> = Vec::new();
        for r in &rows {
            let Some(p) = outcome.get(&r.code) else {
                continue;
            };
            let period = period_of(r, on);
            let have: HashSet<i64> = self
                .db
                .policy_notice_enterprises(r.id, &period)
                .await?
                .into_iter()
                .collect();
            let window_end = r
                .window_to
                .as_deref()
                .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok());
            let mut fresh = Vec::new();
            for (i, id) in snap.ids.iter().enumerate() {
                if !p.eligible.get(i) {
                    continue;
                }
                run.eligible += 1;
                if have.contains(id) {
                    continue;
                }
                fresh.push(NewNotice {
                    policy_id: r.id,
                    enterprise_id: *id,
                    run_id: Some(run_id),
                    period: period.clone(),
                    amount_fen: p.amount(i),
                    sources: Some(sources_of(*id)),
                });
            }
            let inserted = policy_notice_insert_many(tx.conn(), &fresh).await?;
            let created = inserted.len() as i64;
            if let Some(end) = window_end {
                hooks.extend(inserted.iter().map(|(_, e)| (*e, r.code.clone(), end)));
            }
            if created > 0 {
                by_policy.insert(r.code.clone(), created);
            }
            run.created += created;
        }
        policy_run_finish(tx.conn(), &run).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "policy.push",
                "policy_run",
                Some(run_id.to_string()),
                None,
                json(&serde_json::json!({"on": run.on_date, "created": run.created, "by_policy": by_policy})),
            ),
        )
        .await?;
        tx.commit().await?;
        // Visit tasks for enterprises with a service team (the hook's own transactions).
        if !hooks.is_empty() {
            let assigned = self.assigned_enterprises().await?;
            // One visit per enterprise and run covers all its new policies: the task names the
            // policy whose window closes first (the most urgent), so a team gets one task, not
            // one per policy, for the same call.
            let mut first: BTreeMap<i64, (String, NaiveDate)> = BTreeMap::new();
            for (e, code, end) in hooks.iter().filter(|(e, _, _)| assigned.contains(e)) {
                let slot = first.entry(*e).or_insert_with(|| (code.clone(), *end));
                if (*end, code) < (slot.1, &slot.0) {
                    *slot = (code.clone(), *end);
                }
            }
            let mut tasks = 0i64;
            for (e, (code, end)) in &first {
                match self.visit_trigger_policy(*e, code, *end).await {
                    Ok(ids) => tasks += ids.len() as i64,
                    Err(err) => tracing::warn!("policy visit hook for {e}: {err}"),
                }
            }
            if tasks > 0 {
                run.visit_tasks = tasks;
                let mut tx = self.db.begin().await?;
                policy_run_finish(tx.conn(), &run).await?;
                tx.commit().await?;
            }
        }
        let run = self
            .db
            .policy_runs(1)
            .await?
            .into_iter()
            .find(|r| r.id == run_id)
            .unwrap_or(run);
        Ok(PushReport { run, by_policy })
    }

    /// Batch runs, newest first (staff).
    pub async fn policy_runs(&self, actor: &Actor, limit: i64) -> AppResult<Vec<PolicyRunRow>> {
        perm::staff(actor)?;
        Ok(self.db.policy_runs(limit).await?)
    }

    /// Notices: an enterprise user sees its own; staff any (optionally one enterprise's).
    pub async fn policy_notices(
        &self,
        actor: &Actor,
        enterprise_id: Option<i64>,
        state: Option<String>,
        limit: i64,
        offset: i64,
    ) -> AppResult<(Vec<NoticeRow>, i64)> {
        let enterprise_id = match actor.role {
            lianshi_domain::Role::Enterprise => {
                let own = actor.enterprise_id.ok_or(AppError::Forbidden)?;
                // Another enterprise answers like an unknown one (its existence is not told).
                if let Some(e) = enterprise_id.filter(|e| *e != own) {
                    return Err(AppError::NotFound(format!("enterprise {e}")));
                }
                Some(own)
            }
            _ => {
                perm::staff(actor)?;
                enterprise_id
            }
        };
        Ok(self
            .db
            .policy_notice_list(&NoticeFilter {
                enterprise_id,
                state: state.filter(|s| !s.is_empty()),
                limit,
                offset,
                ..Default::default()
            })
            .await?)
    }

    /// 意愿确认: the enterprise accepts a notice. The credit check runs first: an enterprise
    /// tagged 失信 or 信用黑名单 gets the notice `blocked` with the reason. Otherwise the notice is
    /// `confirmed` and the payout is queued in the subsidy ledger.
    pub async fn policy_notice_confirm(&self, actor: &Actor, id: i64) -> AppResult<DecideReport> {
        let n = self.notice(id).await?;
        perm::decide(actor, n.enterprise_id)?;
        undecided(&n)?;
        let e = self
            .db
            .enterprise_by_id(n.enterprise_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enterprise {}", n.enterprise_id)))?;
        let flagged: Vec<&str> = BLACKLIST_TAGS
            .iter()
            .copied()
            .filter(|t| e.tags.iter().any(|x| x == t))
            .collect();
        let (state, reason) = if flagged.is_empty() {
            ("confirmed", None)
        } else {
            (
                "blocked",
                Some(format!(
                    "信用核查未通过：企业标记为「{}」 / credit check failed: tagged {}",
                    flagged.join("、"),
                    flagged.join(", ")
                )),
            )
        };
        // The payout is queued before the notice is marked, so a refused application (budget,
        // caps) leaves the notice open to retry; the request key makes a retry idempotent.
        let mut subsidy = None;
        if state == "confirmed" && n.amount_fen > 0 {
            subsidy = self.policy_queue_payout(actor, &n).await?;
        }
        self.notice_decide(actor, &n, state, reason.as_deref())
            .await?;
        Ok(DecideReport {
            notice: self.notice(id).await?,
            subsidy,
        })
    }

    /// The enterprise declines a notice.
    pub async fn policy_notice_decline(
        &self,
        actor: &Actor,
        id: i64,
        reason: Option<&str>,
    ) -> AppResult<DecideReport> {
        let n = self.notice(id).await?;
        perm::decide(actor, n.enterprise_id)?;
        undecided(&n)?;
        let reason = match reason {
            Some(r) => Some(crate::text::line("reason", r)?),
            None => None,
        }
        .filter(|s| !s.is_empty());
        self.notice_decide(actor, &n, "declined", reason).await?;
        Ok(DecideReport {
            notice: self.notice(id).await?,
            subsidy: None,
        })
    }

    /// An enterprise by id or unified social credit code (as typed in forms).
    pub async fn policy_enterprise_ref(&self, key: &str) -> AppResult<i64> {
        let key = key.trim();
        if !key.is_empty() && key.len() < 18 && key.bytes().all(|b| b.is_ascii_digit()) {
            return key
                .parse::<i64>()
                .map_err(|_| AppError::NotFound(format!("enterprise {key}")));
        }
        let code = key.to_ascii_uppercase();
        Ok(self
            .db
            .enterprise_by_uscc(&code)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enterprise {key}")))?
            .id)
    }

    async fn notice(&self, id: i64) -> AppResult<NoticeRow> {
        self.db
            .policy_notice_get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("policy notice {id}")))
    }

    async fn notice_decide(
        &self,
        actor: &Actor,
        n: &NoticeRow,
        state: &str,
        reason: Option<&str>,
    ) -> AppResult<()> {
        let mut tx = self.db.begin().await?;
        if !policy_notice_decide(tx.conn(), n.id, state, reason, &actor.username).await? {
            return Err(AppError::refused(
                "notice_decided",
                "该通知已处理",
                "this notice has already been decided",
            ));
        }
        audit_append(
            tx.conn(),
            &entry(
                actor,
                &format!("policy_notice.{state}"),
                "policy_notice",
                Some(n.id.to_string()),
                Some(serde_json::json!({"state": n.state})),
                Some(serde_json::json!({"state": state, "reason": reason, "policy": n.policy_code, "enterprise_id": n.enterprise_id})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queue the payout of a confirmed notice in the subsidy ledger.
    async fn policy_queue_payout(
        &self,
        actor: &Actor,
        n: &NoticeRow,
    ) -> AppResult<Option<serde_json::Value>> {
        let view = self
            .subsidy_apply(
                actor,
                n.policy_id,
                n.enterprise_id,
                n.amount_fen,
                &format!("policy-notice:{}", n.id),
                "notice",
            )
            .await?;
        Ok(json(&view))
    }
}

#[cfg(test)]
mod shown_status_tests {
    use super::status_on;
    use chrono::NaiveDate;

    #[test]
    fn an_active_policy_is_shown_by_its_window_relative_to_the_day() {
        let on = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let w = (Some("2025-01-01"), Some("2025-12-31"));
        assert_eq!(status_on("active", w.0, w.1, on), "ended");
        let last_day = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        assert_eq!(status_on("active", w.0, w.1, last_day), "active");
        let before = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        assert_eq!(status_on("active", w.0, w.1, before), "upcoming");
        assert_eq!(status_on("active", None, None, on), "active");
        assert_eq!(status_on("active", None, Some("2026-03-01"), on), "active");
        assert_eq!(status_on("draft", w.0, w.1, on), "draft");
        assert_eq!(status_on("closed", None, None, on), "closed");
    }
}
