//! 惠企政策 pages: the catalogue (search, filters, rule-file upload, the 免申即享 push), one
//! policy with every 申兑指南 field and its rules, the rule editor (the entry's TOML; a bad rule
//! re-renders the form with line and column, nothing saved), explanations for one enterprise,
//! "政策找我" (every active policy for one enterprise, with its notices to confirm or decline), and
//! the sandbox (政策沙盘). Every handler calls one app function; the app decides who may do what.

use super::form::trimmed;
use super::{
    Ctx, Date, Echo, FormError, Layout, Opt, OrShow, PageLink, PageResult, Query, pager,
    query_string, see_other, shown, with_status,
};
use crate::AppState;
use crate::auth::{PageAuth, Posted, same_token};
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use lianshi_app::AppError;
use lianshi_app::policy::{
    ExplainView, NoticeRow, PolicyQuery, PolicyRow, PolicyView, RunRow, SimulateInput,
    SimulateReport, perm,
};
use lianshi_domain::Role;
use lianshi_domain::money::Money;
use lianshi_domain::zone::RegistryKind;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/policies", get(list))
        .route("/policies/load", post(load))
        .route("/policies/push", post(push))
        .route("/policies/mine", get(mine))
        .route("/policies/notices/{id}/confirm", post(confirm))
        .route("/policies/notices/{id}/decline", post(decline))
        .route("/policies/{code}", get(detail))
        .route("/policies/{code}/edit", get(edit_form).post(edit))
        .route("/policies/{code}/explain", get(explain))
        .route(
            "/policies/{code}/simulate",
            get(simulate_form).post(simulate),
        )
}

/// Money as people read it (元 / 万元 / 亿元).
pub fn money(fen: i64) -> String {
    Money(fen).format_auto()
}

fn track_label(c: &Ctx, track: &str) -> String {
    match track {
        "免申即享" => c.pick("免申即享", "免申即享 (no application)"),
        "快申快享" => c.pick("快申快享", "快申快享 (fast application)"),
        other => other.to_string(),
    }
}

fn status_key(status: &str) -> &'static str {
    match status {
        "active" => "policy-status-active",
        "upcoming" => "policy-status-upcoming",
        "ended" => "policy-status-ended",
        "draft" => "policy-status-draft",
        _ => "policy-status-closed",
    }
}

/// The label of a policy's status as of today (an active policy whose window has ended is 已结束).
fn shown_status_label(c: &Ctx, p: &PolicyRow) -> String {
    let status = lianshi_app::policy::shown_status(p, lianshi_app::App::today());
    c.t.get(status_key(status)).to_string()
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "service" => "policy-kind-service",
        _ => "policy-kind-policy",
    }
}

/// A catalogue row as shown.
pub struct PolicyLine {
    pub p: PolicyRow,
    pub kind: String,
    pub track: String,
    pub status: String,
    pub window: String,
}

fn line(c: &Ctx, p: PolicyRow) -> PolicyLine {
    PolicyLine {
        kind: c.t.get(kind_key(&p.kind)).to_string(),
        track: track_label(c, &p.track),
        status: shown_status_label(c, &p),
        window: window_text(&p),
        p,
    }
}

fn window_text(p: &PolicyRow) -> String {
    match (&p.window_from, &p.window_to) {
        (None, None) => "—".into(),
        (f, t) => format!(
            "{} ~ {}",
            f.as_deref().unwrap_or(""),
            t.as_deref().unwrap_or("")
        ),
    }
}

#[derive(Template)]
#[template(path = "policies.html")]
pub struct PoliciesPage {
    pub l: Layout,
    pub items: Vec<PolicyLine>,
    pub total: i64,
    pub q: String,
    pub kinds: Vec<Opt>,
    pub departments: Vec<Opt>,
    pub tracks: Vec<Opt>,
    pub statuses: Vec<Opt>,
    pub ecosystems: Vec<Opt>,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub can_manage: bool,
    pub is_enterprise: bool,
    pub runs: Vec<RunRow>,
    pub notice: Option<String>,
    /// Error lines (a refused load lists each `FILE:line:col: message`).
    pub errors: Vec<String>,
}

/// What the catalogue says was just done: a load (`loaded` with its counts) or a push.
#[derive(Deserialize, Default)]
#[serde(default)]
struct LoadedQuery {
    loaded: Option<String>,
    pushed: Option<String>,
}

async fn list(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(m): Query<PolicyQuery>,
    Query(d): Query<LoadedQuery>,
) -> PageResult {
    let notice = d
        .loaded
        .map(|v| format!("{} {v}", c.t.get("policy-loaded")));
    let notice = notice.or_else(|| {
        d.pushed
            .map(|v| format!("{} {v}", c.t.get("policy-pushed")))
    });
    render_list(&s, &c, &auth, &m, notice, None).await
}

/// The catalogue with the filters and page of `m`.
async fn render_list(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    m: &PolicyQuery,
    notice: Option<String>,
    mut error: Option<FormError>,
) -> PageResult {
    let t = c.t;
    let a = &auth.actor;
    let q = PolicyQuery {
        per_page: Some(50),
        ..m.clone()
    };
    let page = match s.app.policy_list(a, &q).await {
        Ok(p) => p,
        Err(e) => {
            error = Some(c.form_error(&e).ok_or(e)?);
            lianshi_app::policy::PolicyPage {
                total: 0,
                page: 1,
                per_page: 50,
                items: Vec::new(),
            }
        }
    };
    let idx = s.app.registry().await?;
    let cur = |k: &str| {
        match k {
            "q" => &m.q,
            "kind" => &m.kind,
            "department" => &m.department,
            "track" => &m.track,
            "status" => &m.status,
            _ => &m.ecosystem,
        }
        .clone()
        .unwrap_or_default()
    };
    let departments = idx
        .of_kind(RegistryKind::Department)
        .map(|d| {
            Opt::new(
                d.code.clone().unwrap_or_default(),
                &d.name,
                &cur("department"),
            )
        })
        .collect();
    let ecosystems = idx
        .of_kind(RegistryKind::Ecosystem)
        .map(|d| {
            Opt::new(
                d.code.clone().unwrap_or_default(),
                &d.name,
                &cur("ecosystem"),
            )
        })
        .collect();
    let kinds = [
        ("policy", "policy-kind-policy"),
        ("service", "policy-kind-service"),
    ]
    .iter()
    .map(|(v, k)| Opt::new(*v, t.get(k), &cur("kind")))
    .collect();
    let tracks = ["免申即享", "快申快享"]
        .iter()
        .map(|v| Opt::new(*v, track_label(c, v), &cur("track")))
        .collect();
    let statuses = ["active", "draft", "closed"]
        .iter()
        .map(|v| Opt::new(*v, t.get(status_key(v)), &cur("status")))
        .collect();
    let base = query_string(&[
        ("q", &cur("q")),
        ("kind", &cur("kind")),
        ("department", &cur("department")),
        ("track", &cur("track")),
        ("status", &cur("status")),
        ("ecosystem", &cur("ecosystem")),
    ]);
    let (pages, prev, next) = pager(&base, page.page, page.per_page, page.total);
    let can_manage = perm::manage_any(a).is_ok();
    let runs = if can_manage {
        s.app.policy_runs(a, 5).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let code = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let p = PoliciesPage {
        l: c.layout(auth, t.get("policies-title"), "policies"),
        items: page.items.into_iter().map(|p| line(c, p)).collect(),
        total: page.total,
        q: cur("q"),
        kinds,
        departments,
        tracks,
        statuses,
        ecosystems,
        pages,
        prev,
        next,
        can_manage,
        is_enterprise: a.role == Role::Enterprise,
        runs,
        notice,
        // A refused load lists each `FILE:line:col: message` on its own line.
        errors: error
            .map(|e| e.message.lines().map(str::to_string).collect())
            .unwrap_or_default(),
    };
    Ok(with_status(c.page(&p), code))
}

fn csrf_error() -> AppError {
    AppError::bad(
        "csrf_missing",
        "表单已过期或缺少安全令牌，请刷新页面后重试",
        "the form is stale or lacks its CSRF token; reload and retry",
    )
}

/// Upload a rule file (multipart `file`, or pasted text in `source`).
async fn load(State(s): State<AppState>, c: Ctx, auth: PageAuth, mut mp: Multipart) -> PageResult {
    let mut csrf = String::new();
    let mut text = String::new();
    let mut file_name = String::new();
    let unreadable = |e: &dyn std::fmt::Display| {
        AppError::bad(
            "upload_invalid",
            format!("上传内容无法读取：{e}"),
            format!("the upload could not be read: {e}"),
        )
    };
    while let Some(field) = mp.next_field().await.map_err(|e| unreadable(&e))? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                let fname = field.file_name().unwrap_or("").to_string();
                let b = field.bytes().await.map_err(|e| {
                    AppError::bad(
                        "upload_invalid",
                        format!("上传文件读取失败：{e}"),
                        format!("the uploaded file could not be read: {e}"),
                    )
                })?;
                if !b.is_empty() {
                    file_name = fname;
                    text = String::from_utf8_lossy(&b).into_owned();
                }
            }
            "source" => {
                let v = field.text().await.unwrap_or_default();
                if text.is_empty() && !v.trim().is_empty() {
                    text = v;
                    file_name = "input".into();
                }
            }
            "_csrf" => csrf = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    if !same_token(&csrf, &auth.csrf) {
        return Err(csrf_error().into());
    }
    if file_name.is_empty() {
        file_name = "input".into();
    }
    let done: PageResult = async {
        let r = s
            .app
            .policy_load_named(&auth.actor, &file_name, &text)
            .await?;
        Ok(see_other(&format!(
            "/policies?loaded={}%2B{}~{}={}",
            r.created.len(),
            r.updated.len(),
            r.unchanged.len(),
            r.total()
        )))
    }
    .await;
    let none = PolicyQuery::default();
    done.or_show(&c, |err| render_list(&s, &c, &auth, &none, None, Some(err)))
        .await
}

/// The 免申即享 push, as of a day (today when empty).
#[derive(Deserialize)]
struct PushForm {
    on: Option<Date>,
}

async fn push(
    State(s): State<AppState>,
    Posted { auth, form, .. }: Posted<PushForm>,
) -> PageResult {
    let f = form?;
    let r = s.app.policy_push(&auth.actor, f.on.map(|d| d.0)).await?;
    Ok(see_other(&format!("/policies?pushed={}", r.run.created)))
}

#[derive(Template)]
#[template(path = "policies_detail.html")]
pub struct DetailPage {
    pub l: Layout,
    pub v: PolicyView,
    pub kind: String,
    pub track: String,
    pub status: String,
    pub window: String,
    /// Last update in China time.
    pub updated: String,
    pub can_manage: bool,
    pub can_explain: bool,
}

async fn detail(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Path(code): Path<String>,
) -> PageResult {
    let v = s.app.policy_get(&auth.actor, &code).await?;
    let a = &auth.actor;
    let p = DetailPage {
        l: c.layout(&auth, v.row.title.clone(), "policies"),
        kind: c.t.get(kind_key(&v.row.kind)).to_string(),
        track: track_label(&c, &v.row.track),
        status: shown_status_label(&c, &v.row),
        window: window_text(&v.row),
        updated: super::cst(&v.row.updated_at),
        can_manage: perm::manage(a, v.row.department_id).is_ok(),
        can_explain: a.role != Role::Enterprise,
        v,
    };
    Ok(c.page(&p))
}

#[derive(Template)]
#[template(path = "policies_edit.html")]
pub struct EditPage {
    pub l: Layout,
    pub code: String,
    pub source: String,
    pub version: i64,
    pub errors: Vec<String>,
}

async fn edit_form(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Path(code): Path<String>,
) -> PageResult {
    let v = s.app.policy_get(&auth.actor, &code).await?;
    perm::manage(&auth.actor, v.row.department_id)?;
    let p = EditPage {
        l: c.layout(
            &auth,
            format!("{} · {}", c.t.get("policy-edit"), v.row.code),
            "policies",
        ),
        code: v.row.code.clone(),
        source: v.row.source.clone(),
        version: v.row.version,
        errors: Vec::new(),
    };
    Ok(c.page(&p))
}

/// A policy's entry as TOML.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EditForm {
    source: String,
}

async fn edit(
    State(s): State<AppState>,
    c: Ctx,
    Path(code): Path<String>,
    Posted { auth, form, echo }: Posted<EditForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let v = s.app.policy_update(&auth.actor, &code, &f.source).await?;
        Ok(see_other(&format!(
            "/policies/{}",
            super::url_escape(&v.row.code)
        )))
    }
    .await;
    done.or_show(&c, |err| {
        let p = EditPage {
            l: c.layout(
                &auth,
                format!("{} · {code}", c.t.get("policy-edit")),
                "policies",
            ),
            code: code.clone(),
            source: echo.val("source"),
            version: 0,
            errors: err.message.lines().map(str::to_string).collect(),
        };
        let shown = Ok(with_status(c.page(&p), err.status));
        async move { shown }
    })
    .await
}

/// An explanation as shown.
pub struct ExplainLine {
    pub x: ExplainView,
    pub amount: String,
    pub track: String,
}

fn explain_line(c: &Ctx, x: ExplainView) -> ExplainLine {
    ExplainLine {
        amount: money(x.amount_fen),
        track: track_label(c, &x.track),
        x,
    }
}

#[derive(Template)]
#[template(path = "policies_explain.html")]
pub struct ExplainPage {
    pub l: Layout,
    pub code: String,
    pub enterprise: String,
    pub on: String,
    pub x: Option<ExplainLine>,
    pub error: Option<String>,
}

/// Which enterprise to explain the policy for (credit code or id), and as of which day.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ExplainQuery {
    enterprise: Option<String>,
    enterprise_id: Option<String>,
    on: Option<Date>,
}

async fn explain(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Path(code): Path<String>,
    Query(m): Query<ExplainQuery>,
) -> PageResult {
    let a = &auth.actor;
    let enterprise = m
        .enterprise
        .or(m.enterprise_id)
        .or_else(|| a.enterprise_id.map(|e| e.to_string()))
        .unwrap_or_default();
    let on = m.on.map(|d| d.0);
    let mut error = None;
    let mut x = None;
    if !enterprise.is_empty() {
        let r: PageResult<ExplainView> = async {
            let id = s.app.enterprise_ref_visible(a, &enterprise).await?;
            Ok(s.app.policy_explain(a, &code, id, on).await?)
        }
        .await;
        match r {
            Ok(v) => x = Some(explain_line(&c, v)),
            Err(super::PageError::App(e)) => error = Some(c.form_error(&e).ok_or(e)?),
            Err(e) => return Err(e),
        }
    }
    let (status, error) = shown(error);
    let p = ExplainPage {
        l: c.layout(
            &auth,
            format!("{} · {code}", c.t.get("policy-explain")),
            "policies",
        ),
        code,
        enterprise,
        on: on.map(|d| d.to_string()).unwrap_or_default(),
        x,
        error,
    };
    Ok(with_status(c.page(&p), status))
}

#[derive(Template)]
#[template(path = "policies_mine.html")]
pub struct MinePage {
    pub l: Layout,
    pub enterprise: String,
    pub enterprise_name: String,
    pub is_enterprise: bool,
    pub can_decide: bool,
    pub notices: Vec<(NoticeRow, String, String)>,
    pub eligible: Vec<ExplainLine>,
    pub others: Vec<ExplainLine>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

fn notice_state_key(state: &str) -> &'static str {
    match state {
        "new" => "notice-state-new",
        "confirmed" => "notice-state-confirmed",
        "declined" => "notice-state-declined",
        _ => "notice-state-blocked",
    }
}

/// Whose policies to show (an enterprise's own user needs none).
#[derive(Deserialize, Default)]
#[serde(default)]
struct MineQuery {
    enterprise: String,
}

async fn mine(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(m): Query<MineQuery>,
) -> PageResult {
    render_mine(&s, &c, &auth, &m.enterprise, None, None).await
}

async fn render_mine(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    enterprise: &str,
    notice: Option<String>,
    mut error: Option<FormError>,
) -> PageResult {
    let a = &auth.actor;
    let enterprise = trimmed(Some(enterprise.to_string()))
        .or_else(|| a.enterprise_id.map(|e| e.to_string()))
        .unwrap_or_default();
    let mut notices = Vec::new();
    let mut eligible = Vec::new();
    let mut others = Vec::new();
    let mut enterprise_name = String::new();
    let mut shown_id = None;
    if !enterprise.is_empty() {
        let id = match s.app.enterprise_ref_visible(a, &enterprise).await {
            Ok(id) => Some(id),
            Err(e) => {
                error = Some(c.form_error(&e).ok_or(e)?);
                None
            }
        };
        if let Some(id) = id {
            shown_id = Some(id);
            match s.app.policy_for_enterprise(a, id, None).await {
                Ok(list) => {
                    for x in list {
                        enterprise_name = x.enterprise_name.clone();
                        if x.eligible {
                            eligible.push(explain_line(c, x));
                        } else {
                            others.push(explain_line(c, x));
                        }
                    }
                }
                Err(e) => error = Some(c.form_error(&e).ok_or(e)?),
            }
            if let Ok((rows, _)) = s.app.policy_notices(a, Some(id), None, 100, 0).await {
                notices = rows
                    .into_iter()
                    .map(|n| {
                        let st = c.t.get(notice_state_key(&n.state)).to_string();
                        let amount = money(n.amount_fen);
                        (n, st, amount)
                    })
                    .collect();
            }
        }
    }
    let (status, error) = shown(error);
    let p = MinePage {
        l: c.layout(auth, c.t.get("policies-mine"), "policies-mine"),
        enterprise,
        enterprise_name,
        is_enterprise: a.role == Role::Enterprise,
        can_decide: shown_id.is_some_and(|id| lianshi_app::policy::perm::decide(a, id).is_ok()),
        notices,
        eligible,
        others,
        notice,
        error,
    };
    Ok(with_status(c.page(&p), status))
}

/// A decision on a 免申即享 notice, from the page of `enterprise`; declining may give a reason.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeForm {
    enterprise: String,
    reason: Option<String>,
}

async fn confirm(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, .. }: Posted<NoticeForm>,
) -> PageResult {
    let f = form?;
    let done: PageResult = async {
        let r = s.app.policy_notice_confirm(&auth.actor, id).await?;
        let text = match (r.notice.state.as_str(), &r.notice.reason) {
            ("blocked", Some(reason)) => reason.clone(),
            _ => c.t.get("notice-confirmed-msg").to_string(),
        };
        render_mine(&s, &c, &auth, &f.enterprise, Some(text), None).await
    }
    .await;
    done.or_show(&c, |err| {
        render_mine(&s, &c, &auth, &f.enterprise, None, Some(err))
    })
    .await
}

async fn decline(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, .. }: Posted<NoticeForm>,
) -> PageResult {
    let f = form?;
    let done: PageResult = async {
        s.app
            .policy_notice_decline(&auth.actor, id, f.reason.as_deref())
            .await?;
        let text = c.t.get("notice-declined-msg").to_string();
        render_mine(&s, &c, &auth, &f.enterprise, Some(text), None).await
    }
    .await;
    done.or_show(&c, |err| {
        render_mine(&s, &c, &auth, &f.enterprise, None, Some(err))
    })
    .await
}

/// One parameter input of the sandbox form.
pub struct ParamInput {
    pub name: String,
    /// The live value at the evaluation date (as dated values, for reference).
    pub live: String,
    pub value: String,
}

/// One breakdown row.
pub struct GroupLine {
    pub key: String,
    pub label: String,
    pub newly_eligible: i64,
    pub dropped: i64,
    pub budget: String,
}

#[derive(Template)]
#[template(path = "policies_simulate.html")]
pub struct SimulatePage {
    pub l: Layout,
    pub v: PolicyView,
    pub params: Vec<ParamInput>,
    pub clauses: Vec<Opt>,
    pub rule_expr: String,
    pub on: String,
    pub r: Option<SimulateReport>,
    pub budget_before: String,
    pub budget_after: String,
    pub budget_change: String,
    /// (heading, rows): by ecosystem, chain and size band.
    pub breakdowns: Vec<(String, Vec<GroupLine>)>,
    pub error: Option<String>,
}

async fn simulate_form(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Path(code): Path<String>,
) -> PageResult {
    perm::manage_any(&auth.actor)?;
    let v = s.app.policy_get(&auth.actor, &code).await?;
    render_sim(&s, &c, &auth, v, &Echo::default(), None, None).await
}

/// A what-if: parameter values (`p_<name>`, numbers), one clause's new expression, and the day.
#[derive(Deserialize)]
struct SimulateForm {
    #[serde(default)]
    clause: String,
    #[serde(default)]
    expr: String,
    on: Option<Date>,
    /// The parameter fields, `p_<name>` → text.
    #[serde(flatten)]
    params: HashMap<String, String>,
}

impl SimulateForm {
    /// The input for the app; a parameter that is not a number is refused, naming it.
    fn input(self, c: &Ctx, v: &PolicyView) -> Result<SimulateInput, FormError> {
        let mut input = SimulateInput::default();
        for p in &v.params {
            let Some(raw) = self
                .params
                .get(&format!("p_{}", p.name))
                .filter(|x| !x.trim().is_empty())
            else {
                continue;
            };
            let x = raw.trim().parse::<f64>().map_err(|_| {
                FormError::bad_request(format!("{}: {} = {raw}", c.t.get("sim-bad-number"), p.name))
            })?;
            input.set.insert(p.name.clone(), x);
        }
        if !self.clause.is_empty() && !self.expr.trim().is_empty() {
            input.rules.insert(self.clause, self.expr);
        }
        input.on = self.on.map(|d| d.0);
        Ok(input)
    }
}

async fn simulate(
    State(s): State<AppState>,
    c: Ctx,
    Path(code): Path<String>,
    Posted { auth, form, echo }: Posted<SimulateForm>,
) -> PageResult {
    let v = s.app.policy_get(&auth.actor, &code).await?;
    let done: PageResult<SimulateReport> = async {
        let input = form?.input(&c, &v)?;
        Ok(s.app.policy_simulate(&auth.actor, &code, &input).await?)
    }
    .await;
    match done {
        Ok(r) => render_sim(&s, &c, &auth, v, &echo, Some(r), None).await,
        Err(e) => {
            Err(e)
                .or_show(&c, |err| {
                    render_sim(&s, &c, &auth, v, &echo, None, Some(err))
                })
                .await
        }
    }
}

fn group_lines(
    m: &BTreeMap<String, lianshi_app::policy::GroupChange>,
    label: impl Fn(&str) -> String,
) -> Vec<GroupLine> {
    m.iter()
        .map(|(k, g)| GroupLine {
            key: k.clone(),
            label: if k == "-" { String::new() } else { label(k) },
            newly_eligible: g.newly_eligible,
            dropped: g.dropped,
            budget: money(g.budget_change_fen),
        })
        .collect()
}

async fn render_sim(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    v: PolicyView,
    form: &Echo,
    r: Option<SimulateReport>,
    error: Option<FormError>,
) -> PageResult {
    let idx = s.app.registry().await.ok();
    let name_of = |kind: RegistryKind, code: &str| -> String {
        idx.as_ref()
            .and_then(|i| i.find(kind, code))
            .map(|r| r.name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let params = v
        .params
        .iter()
        .map(|p| ParamInput {
            name: p.name.clone(),
            live: p
                .values
                .iter()
                .map(|(d, x)| format!("{d}: {x}"))
                .collect::<Vec<_>>()
                .join("；"),
            value: form.val(&format!("p_{}", p.name)),
        })
        .collect();
    let cur_clause = form.val("clause");
    let mut clauses: Vec<Opt> = v
        .conditions
        .iter()
        .chain(v.exceptions.iter())
        .map(|x| Opt::new(&x.clause, format!("{} — {}", x.clause, x.when), &cur_clause))
        .collect();
    if let Some(b) = &v.row.benefit {
        clauses.push(Opt::new("benefit", format!("benefit — {b}"), &cur_clause));
    }
    let (status, error) = shown(error);
    let (bb, ba, bc, eco, ch, sz) = match &r {
        Some(r) => (
            money(r.budget_before_fen),
            money(r.budget_after_fen),
            money(r.budget_change_fen),
            group_lines(&r.by_ecosystem, |k| name_of(RegistryKind::Ecosystem, k)),
            group_lines(&r.by_chain, |k| name_of(RegistryKind::Chain, k)),
            group_lines(&r.by_size, |k| k.to_string()),
        ),
        None => Default::default(),
    };
    let p = SimulatePage {
        l: c.layout(
            auth,
            format!("{} · {}", c.t.get("policy-simulate"), v.row.code),
            "policies",
        ),
        params,
        clauses,
        rule_expr: form.val("expr"),
        on: form.val("on"),
        r,
        budget_before: bb,
        budget_after: ba,
        budget_change: bc,
        breakdowns: vec![
            (c.t.get("sim-by-ecosystem").to_string(), eco),
            (c.t.get("sim-by-chain").to_string(), ch),
            (c.t.get("sim-by-size").to_string(), sz),
        ],
        error,
        v,
    };
    Ok(with_status(c.page(&p), status))
}
