//! 惠企政策 pages: the catalogue (search, filters, rule-file upload, the 免申即享 push), one
//! policy with every 申兑指南 field and its rules, the rule editor (the entry's TOML; a bad rule
//! re-renders the form with line and column, nothing saved), explanations for one enterprise,
//! "政策找我" (every active policy for one enterprise, with its notices to confirm or decline), and
//! the sandbox (政策沙盘). Every handler calls one app function; the app decides who may do what.

use super::{Ctx, Layout, Opt, PageLink, pager, query_map, query_string, see_other, with_status};
use crate::AppState;
use crate::auth::{PageAuth, Posted, same_token};
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use lianshi_app::AppError;
use lianshi_app::policy::{
    ExplainView, NoticeRow, PolicyQuery, PolicyRow, PolicyView, RunRow, SimulateInput,
    SimulateReport, perm,
};
use lianshi_domain::Role;
use lianshi_domain::money::Money;
use lianshi_domain::zone::RegistryKind;
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

fn opt(m: &HashMap<String, String>, k: &str) -> Option<String> {
    m.get(k)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn msg(c: &Ctx, e: &AppError) -> String {
    super::messages(c, e)
}

fn is_form_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::BadRequest { .. }
            | AppError::Invalid(_)
            | AppError::Conflict(_)
            | AppError::Refused { .. }
    )
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
        "draft" => "policy-status-draft",
        _ => "policy-status-closed",
    }
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
        status: c.t.get(status_key(&p.status)).to_string(),
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

async fn list(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let m = query_map(&parts);
    let notice = opt(&m, "loaded").map(|v| format!("{} {v}", c.t.get("policy-loaded")));
    let notice =
        notice.or_else(|| opt(&m, "pushed").map(|v| format!("{} {v}", c.t.get("policy-pushed"))));
    render_list(&s, &c, &auth, &m, notice, Vec::new(), StatusCode::OK).await
}

async fn render_list(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    m: &HashMap<String, String>,
    notice: Option<String>,
    mut errors: Vec<String>,
    mut code: StatusCode,
) -> Response {
    let t = c.t;
    let a = &auth.actor;
    let q = PolicyQuery {
        q: opt(m, "q"),
        kind: opt(m, "kind"),
        department: opt(m, "department"),
        track: opt(m, "track"),
        status: opt(m, "status"),
        ecosystem: opt(m, "ecosystem"),
        page: opt(m, "page").and_then(|v| v.parse().ok()),
        per_page: Some(50),
    };
    let page = match s.app.policy_list(a, &q).await {
        Ok(p) => p,
        Err(e) if is_form_error(&e) => {
            errors.push(msg(c, &e));
            code = crate::error::status(&e);
            lianshi_app::policy::PolicyPage {
                total: 0,
                page: 1,
                per_page: 50,
                items: Vec::new(),
            }
        }
        Err(e) => return c.error(&e),
    };
    let idx = match s.app.registry().await {
        Ok(i) => i,
        Err(e) => return c.error(&e),
    };
    let cur = |k: &str| m.get(k).cloned().unwrap_or_default();
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
        errors,
    };
    with_status(c.page(&p), code)
}

fn csrf_error() -> AppError {
    AppError::bad(
        "csrf_missing",
        "表单已过期或缺少安全令牌，请刷新页面后重试",
        "the form is stale or lacks its CSRF token; reload and retry",
    )
}

/// Upload a rule file (multipart `file`, or pasted text in `source`).
async fn load(
    State(s): State<AppState>,
    auth: PageAuth,
    parts: Parts,
    mut mp: Multipart,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let mut csrf = String::new();
    let mut text = String::new();
    let mut file_name = String::new();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return c.error(&AppError::bad(
                    "upload_invalid",
                    format!("上传内容无法读取：{e}"),
                    format!("the upload could not be read: {e}"),
                ));
            }
        };
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                let fname = field.file_name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(b) if !b.is_empty() => {
                        file_name = fname;
                        text = String::from_utf8_lossy(&b).into_owned();
                    }
                    Ok(_) => {}
                    Err(e) => {
                        return c.error(&AppError::bad(
                            "upload_invalid",
                            format!("上传文件读取失败：{e}"),
                            format!("the uploaded file could not be read: {e}"),
                        ));
                    }
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
        return c.error(&csrf_error());
    }
    if file_name.is_empty() {
        file_name = "input".into();
    }
    match s
        .app
        .policy_load_named(&auth.actor, &file_name, &text)
        .await
    {
        Ok(r) => see_other(&format!(
            "/policies?loaded={}%2B{}~{}={}",
            r.created.len(),
            r.updated.len(),
            r.unchanged.len(),
            r.total()
        )),
        Err(e) if is_form_error(&e) => {
            let lines = msg(&c, &e).lines().map(str::to_string).collect();
            render_list(
                &s,
                &c,
                &auth,
                &HashMap::new(),
                None,
                lines,
                crate::error::status(&e),
            )
            .await
        }
        Err(e) => c.error(&e),
    }
}

async fn push(State(s): State<AppState>, parts: Parts, f: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let on = f
        .get("on")
        .and_then(|v| chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok());
    match s.app.policy_push(&f.auth.actor, on).await {
        Ok(r) => see_other(&format!("/policies?pushed={}", r.run.created)),
        Err(e) => c.error(&e),
    }
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
    auth: PageAuth,
    parts: Parts,
    Path(code): Path<String>,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let v = match s.app.policy_get(&auth.actor, &code).await {
        Ok(v) => v,
        Err(e) => return c.error(&e),
    };
    let a = &auth.actor;
    let p = DetailPage {
        l: c.layout(&auth, v.row.title.clone(), "policies"),
        kind: c.t.get(kind_key(&v.row.kind)).to_string(),
        track: track_label(&c, &v.row.track),
        status: c.t.get(status_key(&v.row.status)).to_string(),
        window: window_text(&v.row),
        updated: super::cst(&v.row.updated_at),
        can_manage: perm::manage(a, v.row.department_id).is_ok(),
        can_explain: a.role != Role::Enterprise,
        v,
    };
    c.page(&p)
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
    auth: PageAuth,
    parts: Parts,
    Path(code): Path<String>,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let v = match s.app.policy_get(&auth.actor, &code).await {
        Ok(v) => v,
        Err(e) => return c.error(&e),
    };
    if let Err(e) = perm::manage(&auth.actor, v.row.department_id) {
        return c.error(&e);
    }
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
    c.page(&p)
}

async fn edit(
    State(s): State<AppState>,
    parts: Parts,
    Path(code): Path<String>,
    f: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let src = f.get("source").unwrap_or_default();
    match s.app.policy_update(&f.auth.actor, &code, &src).await {
        Ok(v) => see_other(&format!("/policies/{}", super::url_escape(&v.row.code))),
        Err(e) if is_form_error(&e) => {
            let p = EditPage {
                l: c.layout(
                    &f.auth,
                    format!("{} · {code}", c.t.get("policy-edit")),
                    "policies",
                ),
                code: code.clone(),
                source: src,
                version: 0,
                errors: msg(&c, &e).lines().map(str::to_string).collect(),
            };
            with_status(c.page(&p), crate::error::status(&e))
        }
        Err(e) => c.error(&e),
    }
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

async fn explain(
    State(s): State<AppState>,
    auth: PageAuth,
    parts: Parts,
    Path(code): Path<String>,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let m = query_map(&parts);
    let a = &auth.actor;
    let enterprise = opt(&m, "enterprise")
        .or_else(|| opt(&m, "enterprise_id"))
        .or_else(|| a.enterprise_id.map(|e| e.to_string()))
        .unwrap_or_default();
    let on_text = opt(&m, "on").unwrap_or_default();
    let on = chrono::NaiveDate::parse_from_str(&on_text, "%Y-%m-%d").ok();
    let mut error = None;
    let mut code_status = StatusCode::OK;
    let mut x = None;
    if !enterprise.is_empty() {
        let r = match s.app.enterprise_ref_visible(a, &enterprise).await {
            Ok(id) => s.app.policy_explain(a, &code, id, on).await,
            Err(e) => Err(e),
        };
        match r {
            Ok(v) => x = Some(explain_line(&c, v)),
            Err(e @ (AppError::Forbidden | AppError::Internal(_))) => return c.error(&e),
            Err(e) => {
                code_status = crate::error::status(&e);
                error = Some(msg(&c, &e));
            }
        }
    }
    let p = ExplainPage {
        l: c.layout(
            &auth,
            format!("{} · {code}", c.t.get("policy-explain")),
            "policies",
        ),
        code,
        enterprise,
        on: on_text,
        x,
        error,
    };
    with_status(c.page(&p), code_status)
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

async fn mine(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let m = query_map(&parts);
    render_mine(&s, &c, &auth, &m, None, None).await
}

async fn render_mine(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    m: &HashMap<String, String>,
    notice: Option<String>,
    mut error: Option<String>,
) -> Response {
    let a = &auth.actor;
    let enterprise = opt(m, "enterprise")
        .or_else(|| a.enterprise_id.map(|e| e.to_string()))
        .unwrap_or_default();
    let mut notices = Vec::new();
    let mut eligible = Vec::new();
    let mut others = Vec::new();
    let mut enterprise_name = String::new();
    let mut status = StatusCode::OK;
    let mut shown_id = None;
    if !enterprise.is_empty() {
        let id = match s.app.enterprise_ref_visible(a, &enterprise).await {
            Ok(id) => Some(id),
            Err(e) => {
                status = crate::error::status(&e);
                error = Some(msg(c, &e));
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
                Err(e @ (AppError::Forbidden | AppError::Internal(_))) => return c.error(&e),
                Err(e) => {
                    status = crate::error::status(&e);
                    error = Some(msg(c, &e));
                }
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
    with_status(c.page(&p), status)
}

async fn confirm(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<i64>,
    f: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let mut m = HashMap::new();
    if let Some(e) = f.get("enterprise") {
        m.insert("enterprise".to_string(), e);
    }
    match s.app.policy_notice_confirm(&f.auth.actor, id).await {
        Ok(r) => {
            let text = match (r.notice.state.as_str(), &r.notice.reason) {
                ("blocked", Some(reason)) => reason.clone(),
                _ => c.t.get("notice-confirmed-msg").to_string(),
            };
            render_mine(&s, &c, &f.auth, &m, Some(text), None).await
        }
        Err(e) if is_form_error(&e) => {
            let text = msg(&c, &e);
            render_mine(&s, &c, &f.auth, &m, None, Some(text)).await
        }
        Err(e) => c.error(&e),
    }
}

async fn decline(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<i64>,
    f: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let mut m = HashMap::new();
    if let Some(e) = f.get("enterprise") {
        m.insert("enterprise".to_string(), e);
    }
    let reason = f.get("reason");
    match s
        .app
        .policy_notice_decline(&f.auth.actor, id, reason.as_deref())
        .await
    {
        Ok(_) => {
            let text = c.t.get("notice-declined-msg").to_string();
            render_mine(&s, &c, &f.auth, &m, Some(text), None).await
        }
        Err(e) if is_form_error(&e) => {
            let text = msg(&c, &e);
            render_mine(&s, &c, &f.auth, &m, None, Some(text)).await
        }
        Err(e) => c.error(&e),
    }
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
    auth: PageAuth,
    parts: Parts,
    Path(code): Path<String>,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    if let Err(e) = perm::manage_any(&auth.actor) {
        return c.error(&e);
    }
    let v = match s.app.policy_get(&auth.actor, &code).await {
        Ok(v) => v,
        Err(e) => return c.error(&e),
    };
    render_sim(
        &s,
        &c,
        &auth,
        v,
        &HashMap::new(),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

async fn simulate(
    State(s): State<AppState>,
    parts: Parts,
    Path(code): Path<String>,
    f: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let v = match s.app.policy_get(&f.auth.actor, &code).await {
        Ok(v) => v,
        Err(e) => return c.error(&e),
    };
    let mut input = SimulateInput::default();
    let mut error = None;
    for p in &v.params {
        if let Some(raw) = f
            .get(&format!("p_{}", p.name))
            .filter(|x| !x.trim().is_empty())
        {
            match raw.trim().parse::<f64>() {
                Ok(x) => {
                    input.set.insert(p.name.clone(), x);
                }
                Err(_) => {
                    error = Some(format!("{}: {} = {raw}", c.t.get("sim-bad-number"), p.name));
                }
            }
        }
    }
    if let (Some(clause), Some(expr)) = (
        f.get("clause").filter(|x| !x.is_empty()),
        f.get("expr").filter(|x| !x.trim().is_empty()),
    ) {
        input.rules.insert(clause, expr);
    }
    input.on = f
        .get("on")
        .and_then(|x| chrono::NaiveDate::parse_from_str(x.trim(), "%Y-%m-%d").ok());
    if let Some(e) = error {
        return render_sim(
            &s,
            &c,
            &f.auth,
            v,
            &f.map(),
            None,
            Some(e),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    match s.app.policy_simulate(&f.auth.actor, &code, &input).await {
        Ok(r) => render_sim(&s, &c, &f.auth, v, &f.map(), Some(r), None, StatusCode::OK).await,
        Err(e) if is_form_error(&e) => {
            let text = msg(&c, &e);
            let st = crate::error::status(&e);
            render_sim(&s, &c, &f.auth, v, &f.map(), None, Some(text), st).await
        }
        Err(e) => c.error(&e),
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

#[allow(clippy::too_many_arguments)]
async fn render_sim(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    v: PolicyView,
    form: &HashMap<String, String>,
    r: Option<SimulateReport>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
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
            value: form
                .get(&format!("p_{}", p.name))
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    let cur_clause = form.get("clause").cloned().unwrap_or_default();
    let mut clauses: Vec<Opt> = v
        .conditions
        .iter()
        .chain(v.exceptions.iter())
        .map(|x| Opt::new(&x.clause, format!("{} — {}", x.clause, x.when), &cur_clause))
        .collect();
    if let Some(b) = &v.row.benefit {
        clauses.push(Opt::new("benefit", format!("benefit — {b}"), &cur_clause));
    }
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
        rule_expr: form.get("expr").cloned().unwrap_or_default(),
        on: form.get("on").cloned().unwrap_or_default(),
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
    with_status(c.page(&p), status)
}
