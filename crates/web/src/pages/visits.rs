//! 走访 pages: visit tasks (open first, overdue flagged, each saying which rule created it, when
//! and why), the visit log by team, enterprise and period, the form to record a visit, and the
//! rules page where administrators change deadlines and run the scan.

use super::{Ctx, Layout, Opt, PageLink, pager, query_map, query_string, see_other, with_status};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use lianshi_app::team::perm as team_perm;
use lianshi_app::visit::{
    PainPointInput, TaskQuery, VisitInput, VisitQuery, VisitRow, VisitRuleInput, VisitRuleView,
    VisitTaskView,
};
use lianshi_app::{App, AppError};
use lianshi_domain::Role;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/visits", get(list).post(record))
        .route("/visits/new", get(new_form))
        .route("/visits/rules", get(rules).post(rule_update))
        .route("/visits/scan", post(scan))
}

/// A task row with its text in the page language.
pub struct TaskRow {
    pub t: VisitTaskView,
    pub rule: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "visits.html")]
pub struct VisitsPage {
    pub l: Layout,
    pub tasks: Vec<TaskRow>,
    pub tasks_total: i64,
    pub visits: Vec<VisitRow>,
    pub visits_total: i64,
    pub teams: Vec<Opt>,
    pub statuses: Vec<Opt>,
    pub enterprise: String,
    pub from: String,
    pub to: String,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub is_admin: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "visits_form.html")]
pub struct VisitFormPage {
    pub l: Layout,
    pub enterprise: String,
    pub visited_on: String,
    pub participants: String,
    pub summary: String,
    pub attachments: String,
    pub task_id: String,
    pub tasks: Vec<TaskRow>,
    /// Pain-point rows: those sent back after an error, then blank ones.
    pub pains: Vec<PainRow>,
    pub error: Option<String>,
}

/// One pain-point row of the visit form.
pub struct PainRow {
    pub n: usize,
    pub title: String,
    pub description: String,
    pub categories: Vec<Opt>,
    pub urgencies: Vec<Opt>,
}

/// Blank pain-point rows the form always offers.
const PAIN_ROWS: usize = 3;

#[derive(Template)]
#[template(path = "visits_rules.html")]
pub struct RulesPage {
    pub l: Layout,
    pub rules: Vec<(VisitRuleView, String, String)>,
    pub can_edit: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

fn task_rows(c: &Ctx, items: Vec<VisitTaskView>) -> Vec<TaskRow> {
    items
        .into_iter()
        .map(|t| TaskRow {
            rule: c.pick(&t.task.rule_name_zh, &t.task.rule_name_en),
            reason: c.pick(&t.task.reason_zh, &t.task.reason_en),
            t,
        })
        .collect()
}

fn opt(m: &std::collections::HashMap<String, String>, k: &str) -> Option<String> {
    m.get(k)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

async fn list(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    if auth.actor.role == Role::Enterprise {
        // Enterprise users see their team and contact, not the internal visit records.
        return see_other("/teams");
    }
    let m = query_map(&parts);
    render_list(&s, &c, &auth, &m, None).await
}

async fn render_list(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    m: &std::collections::HashMap<String, String>,
    error: Option<String>,
) -> Response {
    let t = c.t;
    let team: Option<i64> = opt(m, "team").and_then(|v| v.parse().ok());
    let status = opt(m, "status").unwrap_or_else(|| "open".into());
    let page: i64 = opt(m, "page").and_then(|v| v.parse().ok()).unwrap_or(1);
    let tq = TaskQuery {
        team,
        enterprise: opt(m, "enterprise"),
        status: Some(status.clone()),
        rule: opt(m, "rule"),
        page: Some(page),
        per_page: Some(50),
    };
    let (tasks, error, code) = match s.app.visit_tasks(&auth.actor, &tq).await {
        Ok(p) => (p, error, StatusCode::OK),
        Err(e @ (AppError::BadRequest { .. } | AppError::NotFound(_))) => {
            let msg = super::messages(c, &e);
            let empty = lianshi_app::visit::TaskPage {
                total: 0,
                page: 1,
                per_page: 50,
                items: Vec::new(),
            };
            (empty, Some(msg), crate::error::status(&e))
        }
        Err(e) => return c.error(&e),
    };
    let vq = VisitQuery {
        team,
        enterprise: opt(m, "enterprise"),
        from: opt(m, "from"),
        to: opt(m, "to"),
        page: Some(1),
        per_page: Some(50),
    };
    let (visits, visits_total, error, code) = match s.app.visit_list(&auth.actor, &vq).await {
        Ok(p) => (p.items, p.total, error, code),
        Err(e @ (AppError::BadRequest { .. } | AppError::NotFound(_))) => (
            Vec::new(),
            0,
            Some(super::messages(c, &e)),
            crate::error::status(&e),
        ),
        Err(e) => return c.error(&e),
    };
    let teams = match s.app.team_list(&auth.actor).await {
        Ok(ts) => ts
            .iter()
            .map(|x| {
                Opt::new(
                    x.id.to_string(),
                    &x.name,
                    &team.map(|v| v.to_string()).unwrap_or_default(),
                )
            })
            .collect(),
        Err(e) => return c.error(&e),
    };
    let statuses = [
        ("open", "task-status-open"),
        ("overdue", "task-status-overdue"),
        ("done", "task-status-done"),
        ("all", "task-status-all"),
    ]
    .iter()
    .map(|(v, k)| Opt::new(*v, t.get(k), &status))
    .collect();
    let base = query_string(&[
        ("team", &team.map(|v| v.to_string()).unwrap_or_default()),
        (
            "enterprise",
            m.get("enterprise").map(String::as_str).unwrap_or(""),
        ),
        ("status", &status),
        ("from", m.get("from").map(String::as_str).unwrap_or("")),
        ("to", m.get("to").map(String::as_str).unwrap_or("")),
    ]);
    let (pages, prev, next) = pager(&base, tasks.page, tasks.per_page, tasks.total);
    let notice = match m.get("done").map(String::as_str) {
        Some("recorded") => Some(t.get("visit-recorded").to_string()),
        Some("recorded_orders") => Some(format!(
            "{} {}",
            t.get("visit-recorded-orders"),
            m.get("n").and_then(|n| n.parse::<u32>().ok()).unwrap_or(0)
        )),
        Some("scanned") => Some(format!(
            "{} {}",
            t.get("visit-scan-done"),
            m.get("created").cloned().unwrap_or_default()
        )),
        _ => None,
    };
    let r = c.page(&VisitsPage {
        l: c.layout(auth, t.get("nav-visits"), "visits"),
        tasks_total: tasks.total,
        tasks: task_rows(c, tasks.items),
        visits,
        visits_total,
        teams,
        statuses,
        enterprise: m.get("enterprise").cloned().unwrap_or_default(),
        from: m.get("from").cloned().unwrap_or_default(),
        to: m.get("to").cloned().unwrap_or_default(),
        pages,
        prev,
        next,
        is_admin: team_perm::run_visit_scan(&auth.actor).is_ok(),
        notice,
        error,
    });
    with_status(r, code)
}

struct Draft {
    enterprise: String,
    visited_on: String,
    participants: String,
    summary: String,
    attachments: String,
    task_id: String,
    pains: Vec<PainPointInput>,
}

/// The pain-point rows of a posted form (`pp_title`, `pp_description`, `pp_category`,
/// `pp_urgency`, repeated in row order); rows without title and description are left out.
fn posted_pains(posted: &Posted) -> Vec<PainPointInput> {
    let titles = posted.all("pp_title");
    let descs = posted.all("pp_description");
    let cats = posted.all("pp_category");
    let urgs = posted.all("pp_urgency");
    let at = |v: &[String], i: usize| v.get(i).map(|x| x.trim().to_string()).unwrap_or_default();
    (0..titles.len().max(descs.len()))
        .map(|i| PainPointInput {
            title: at(&titles, i),
            description: at(&descs, i),
            category: Some(at(&cats, i)).filter(|x| !x.is_empty()),
            urgency: Some(at(&urgs, i)).filter(|x| !x.is_empty()),
        })
        .filter(|p| !p.title.is_empty() || !p.description.is_empty())
        .collect()
}

async fn render_form(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    d: Draft,
    error: Option<String>,
) -> Response {
    let tasks = if d.enterprise.trim().is_empty() {
        Vec::new()
    } else {
        match s
            .app
            .visit_tasks(
                &auth.actor,
                &TaskQuery {
                    enterprise: Some(d.enterprise.clone()),
                    status: Some("open".into()),
                    per_page: Some(100),
                    ..Default::default()
                },
            )
            .await
        {
            Ok(p) => task_rows(c, p.items),
            Err(AppError::NotFound(_) | AppError::BadRequest { .. }) => Vec::new(),
            Err(e) => return c.error(&e),
        }
    };
    // Categories for the pain-point rows; a reader who may not see them gets "other" only.
    let cats = s
        .app
        .order_categories(&auth.actor)
        .await
        .unwrap_or_default();
    let blank = PainPointInput::default();
    let pains = d
        .pains
        .iter()
        .chain(std::iter::repeat_n(&blank, PAIN_ROWS))
        .take(d.pains.len() + PAIN_ROWS)
        .enumerate()
        .map(|(i, p)| {
            let cat = p.category.clone().unwrap_or_default();
            let urg = p.urgency.clone().unwrap_or_else(|| "normal".into());
            PainRow {
                n: i + 1,
                title: p.title.clone(),
                description: p.description.clone(),
                categories: super::orders::category_opts(c, &cats, &cat),
                urgencies: vec![
                    Opt::new("normal", c.t.get("order-urgency-normal"), &urg),
                    Opt::new("urgent", c.t.get("order-urgency-urgent"), &urg),
                ],
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let r = c.page(&VisitFormPage {
        l: c.layout(auth, c.t.get("visit-new"), "visits"),
        enterprise: d.enterprise,
        visited_on: d.visited_on,
        participants: d.participants,
        summary: d.summary,
        attachments: d.attachments,
        task_id: d.task_id,
        tasks,
        pains,
        error,
    });
    with_status(r, status)
}

async fn new_form(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    if auth.actor.role == Role::Enterprise {
        return see_other("/teams");
    }
    let m = query_map(&parts);
    let d = Draft {
        enterprise: m.get("enterprise").cloned().unwrap_or_default(),
        visited_on: App::today().to_string(),
        participants: auth.actor.username.clone(),
        summary: String::new(),
        attachments: String::new(),
        task_id: m.get("task").cloned().unwrap_or_default(),
        pains: Vec::new(),
    };
    render_form(&s, &c, &auth, d, None).await
}

fn split_list(s: &str) -> Vec<String> {
    s.split([',', '，', '\n', ';', '；', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

async fn record(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).unwrap_or_default();
    let d = Draft {
        enterprise: g("enterprise"),
        visited_on: g("visited_on"),
        participants: g("participants"),
        summary: g("summary"),
        attachments: g("attachments"),
        task_id: g("task_id"),
        pains: posted_pains(&posted),
    };
    let inp = VisitInput {
        enterprise: d.enterprise.clone(),
        visited_on: d.visited_on.clone(),
        participants: split_list(&d.participants),
        summary: d.summary.clone(),
        attachments: split_list(&d.attachments),
        task_id: d.task_id.trim().parse().ok(),
        pain_points: d.pains.clone(),
    };
    match s.app.visit_record_orders(&posted.auth.actor, &inp).await {
        Ok(v) if v.order_ids.is_empty() => see_other(&format!(
            "/visits?done=recorded&enterprise={}",
            v.visit.uscc
        )),
        Ok(v) => see_other(&format!(
            "/visits?done=recorded_orders&n={}&enterprise={}",
            v.order_ids.len(),
            v.visit.uscc
        )),
        Err(e @ (AppError::BadRequest { .. } | AppError::Conflict(_) | AppError::NotFound(_))) => {
            let msg = super::messages(&c, &e);
            let status = crate::error::status(&e);
            with_status(
                render_form(&s, &c, &posted.auth, d, Some(msg)).await,
                status,
            )
        }
        Err(e) => c.error(&e),
    }
}

async fn render_rules(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let rules = match s.app.visit_rules(&auth.actor).await {
        Ok(r) => r,
        Err(e) => return c.error(&e),
    };
    let rules = rules
        .into_iter()
        .map(|r| {
            let name = c.pick(&r.name_zh, &r.name_en);
            let trig = c.pick(&r.trigger_zh, &r.trigger_en);
            (r, name, trig)
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let r = c.page(&RulesPage {
        l: c.layout(auth, c.t.get("visit-rules"), "visits"),
        rules,
        can_edit: team_perm::edit_visit_rules(&auth.actor).is_ok(),
        notice,
        error,
    });
    with_status(r, status)
}

async fn rules(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let notice = query_map(&parts)
        .get("done")
        .map(|_| c.t.get("saved").to_string());
    render_rules(&s, &c, &auth, notice, None).await
}

async fn rule_update(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let num = |k: &str| posted.get(k).and_then(|v| v.trim().parse::<u32>().ok());
    let inp = VisitRuleInput {
        deadline_workdays: num("deadline_workdays"),
        active: Some(posted.get("active").as_deref() == Some("1")),
        drop_pct: num("drop_pct"),
        months: num("months"),
        policy_code: None,
        version: posted.get("version").and_then(|v| v.parse().ok()),
    };
    let code = posted.get("code").unwrap_or_default();
    match s
        .app
        .visit_rule_update(&posted.auth.actor, &code, &inp)
        .await
    {
        Ok(_) => see_other("/visits/rules?done=saved"),
        Err(e @ (AppError::BadRequest { .. } | AppError::Conflict(_) | AppError::NotFound(_))) => {
            let msg = super::messages(&c, &e);
            let status = crate::error::status(&e);
            with_status(
                render_rules(&s, &c, &posted.auth, None, Some(msg)).await,
                status,
            )
        }
        Err(e) => c.error(&e),
    }
}

async fn scan(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    match s.app.visit_scan(&posted.auth.actor, App::today()).await {
        Ok(r) => see_other(&format!("/visits?done=scanned&created={}", r.created)),
        Err(e) => c.error(&e),
    }
}
