//! 走访 pages: visit tasks (open first, overdue flagged, each saying which rule created it, when
//! and why), the visit log by team, enterprise and period, the form to record a visit, and the
//! rules page where administrators change deadlines and run the scan.

use super::form::trimmed;
use super::query::Done;
use super::{
    Ctx, Echo, FormError, Layout, Opt, OrShow, PageLink, PageResult, Query, pager, query_string,
    see_other, shown, with_status,
};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use lianshi_app::App;
use lianshi_app::team::perm as team_perm;
use lianshi_app::visit::{
    PainPointInput, TaskQuery, VisitInput, VisitQuery, VisitRow, VisitRuleInput, VisitRuleView,
    VisitTaskView,
};
use lianshi_domain::Role;
use serde::Deserialize;

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
    /// The refused rule's form as typed (its `code` names the rule).
    pub echo: Echo,
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

/// The visit list's filters, page and what was just done (`recorded`, `recorded_orders` with
/// `n` orders, `scanned` with `created` tasks).
#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    team: Option<i64>,
    enterprise: String,
    status: String,
    rule: String,
    from: String,
    to: String,
    page: Option<i64>,
    done: String,
    n: Option<u32>,
    created: Option<i64>,
}

async fn list(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(m): Query<ListQuery>,
) -> PageResult {
    if auth.actor.role == Role::Enterprise {
        // Enterprise users see their team and contact, not the internal visit records.
        return Ok(see_other("/teams"));
    }
    let t = c.t;
    let team = m.team;
    let status = trimmed(Some(m.status.clone())).unwrap_or_else(|| "open".into());
    let enterprise = trimmed(Some(m.enterprise.clone()));
    let tq = TaskQuery {
        team,
        enterprise: enterprise.clone(),
        status: Some(status.clone()),
        rule: trimmed(Some(m.rule.clone())),
        page: Some(m.page.unwrap_or(1)),
        per_page: Some(50),
    };
    // A filter the app refuses (an unknown enterprise, a bad date) is shown above empty lists.
    let mut error: Option<FormError> = None;
    let tasks = match s.app.visit_tasks(&auth.actor, &tq).await {
        Ok(p) => p,
        Err(e) => {
            error = Some(c.form_error(&e).ok_or(e)?);
            lianshi_app::visit::TaskPage {
                total: 0,
                page: 1,
                per_page: 50,
                items: Vec::new(),
            }
        }
    };
    let vq = VisitQuery {
        team,
        enterprise,
        from: trimmed(Some(m.from.clone())),
        to: trimmed(Some(m.to.clone())),
        page: Some(1),
        per_page: Some(50),
    };
    let (visits, visits_total) = match s.app.visit_list(&auth.actor, &vq).await {
        Ok(p) => (p.items, p.total),
        Err(e) => {
            error = Some(c.form_error(&e).ok_or(e)?);
            (Vec::new(), 0)
        }
    };
    let team_text = team.map(|v| v.to_string()).unwrap_or_default();
    let teams = s
        .app
        .team_list(&auth.actor)
        .await?
        .iter()
        .map(|x| Opt::new(x.id.to_string(), &x.name, &team_text))
        .collect();
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
        ("team", &team_text),
        ("enterprise", &m.enterprise),
        ("status", &status),
        ("from", &m.from),
        ("to", &m.to),
    ]);
    let (pages, prev, next) = pager(&base, tasks.page, tasks.per_page, tasks.total);
    let notice = match m.done.as_str() {
        "recorded" => Some(t.get("visit-recorded").to_string()),
        "recorded_orders" => Some(format!(
            "{} {}",
            t.get("visit-recorded-orders"),
            m.n.unwrap_or_default()
        )),
        "scanned" => Some(format!(
            "{} {}",
            t.get("visit-scan-done"),
            m.created.map(|n| n.to_string()).unwrap_or_default()
        )),
        _ => None,
    };
    let (code, error) = shown(error);
    let r = c.page(&VisitsPage {
        l: c.layout(&auth, t.get("nav-visits"), "visits"),
        tasks_total: tasks.total,
        tasks: task_rows(&c, tasks.items),
        visits,
        visits_total,
        teams,
        statuses,
        enterprise: m.enterprise,
        from: m.from,
        to: m.to,
        pages,
        prev,
        next,
        is_admin: team_perm::run_visit_scan(&auth.actor).is_ok(),
        notice,
        error,
    });
    Ok(with_status(r, code))
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

impl Draft {
    /// The form as it was sent.
    fn sent(echo: &Echo) -> Draft {
        Draft {
            enterprise: echo.val("enterprise"),
            visited_on: echo.val("visited_on"),
            participants: echo.val("participants"),
            summary: echo.val("summary"),
            attachments: echo.val("attachments"),
            task_id: echo.val("task_id"),
            pains: pains(
                &echo.all("pp_title"),
                &echo.all("pp_description"),
                &echo.all("pp_category"),
                &echo.all("pp_urgency"),
            ),
        }
    }
}

/// The pain-point rows of the form (`pp_title`, `pp_description`, `pp_category`, `pp_urgency`,
/// repeated in row order); rows without title and description are left out.
fn pains(
    titles: &[String],
    descs: &[String],
    cats: &[String],
    urgs: &[String],
) -> Vec<PainPointInput> {
    let at = |v: &[String], i: usize| v.get(i).map(|x| x.trim().to_string()).unwrap_or_default();
    (0..titles.len().max(descs.len()))
        .map(|i| PainPointInput {
            title: at(titles, i),
            description: at(descs, i),
            category: Some(at(cats, i)).filter(|x| !x.is_empty()),
            urgency: Some(at(urgs, i)).filter(|x| !x.is_empty()),
        })
        .filter(|p| !p.title.is_empty() || !p.description.is_empty())
        .collect()
}

async fn render_form(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    d: Draft,
    error: Option<FormError>,
) -> PageResult {
    let tasks = if d.enterprise.trim().is_empty() {
        Vec::new()
    } else {
        let q = TaskQuery {
            enterprise: Some(d.enterprise.clone()),
            status: Some("open".into()),
            per_page: Some(100),
            ..Default::default()
        };
        match s.app.visit_tasks(&auth.actor, &q).await {
            Ok(p) => task_rows(c, p.items),
            // An enterprise that is not known (yet): no tasks to offer.
            Err(lianshi_app::AppError::NotFound(_) | lianshi_app::AppError::BadRequest { .. }) => {
                Vec::new()
            }
            Err(e) => return Err(e.into()),
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
    let (status, error) = shown(error);
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
    Ok(with_status(r, status))
}

/// The new visit form's query: the enterprise and the task it answers.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NewQuery {
    enterprise: String,
    task: Option<i64>,
}

async fn new_form(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(m): Query<NewQuery>,
) -> PageResult {
    if auth.actor.role == Role::Enterprise {
        return Ok(see_other("/teams"));
    }
    let d = Draft {
        enterprise: m.enterprise,
        visited_on: App::today().to_string(),
        participants: auth.actor.username.clone(),
        summary: String::new(),
        attachments: String::new(),
        task_id: m.task.map(|t| t.to_string()).unwrap_or_default(),
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

/// A visit: who, when, what was said, and the pain points that become orders.
#[derive(Deserialize, Default)]
#[serde(default)]
struct VisitForm {
    enterprise: String,
    visited_on: String,
    participants: String,
    summary: String,
    attachments: String,
    task_id: Option<i64>,
    pp_title: Vec<String>,
    pp_description: Vec<String>,
    pp_category: Vec<String>,
    pp_urgency: Vec<String>,
}

async fn record(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, echo }: Posted<VisitForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let inp = VisitInput {
            pain_points: pains(
                &f.pp_title,
                &f.pp_description,
                &f.pp_category,
                &f.pp_urgency,
            ),
            enterprise: f.enterprise,
            visited_on: f.visited_on,
            participants: split_list(&f.participants),
            summary: f.summary,
            attachments: split_list(&f.attachments),
            task_id: f.task_id,
        };
        // A filled pain point's category starts at 请选择: none is taken for granted.
        if let Some(i) = inp.pain_points.iter().position(|p| p.category.is_none()) {
            let t = c.t;
            let label = format!(
                "{}{} {}",
                t.get("visit-pain-point-title"),
                i + 1,
                t.get("order-category")
            );
            return Err(FormError::bad_request(
                t.get("form-bad-required").replace("{label}", &label),
            )
            .into());
        }
        let v = s.app.visit_record_orders(&auth.actor, &inp).await?;
        Ok(if v.order_ids.is_empty() {
            see_other(&format!(
                "/visits?done=recorded&enterprise={}",
                v.visit.uscc
            ))
        } else {
            see_other(&format!(
                "/visits?done=recorded_orders&n={}&enterprise={}",
                v.order_ids.len(),
                v.visit.uscc
            ))
        })
    }
    .await;
    done.or_show(&c, |err| {
        render_form(&s, &c, &auth, Draft::sent(&echo), Some(err))
    })
    .await
}

async fn render_rules(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    notice: Option<String>,
    error: Option<FormError>,
    echo: Echo,
) -> PageResult {
    let rules = s.app.visit_rules(&auth.actor).await?;
    let rules = rules
        .into_iter()
        .map(|r| {
            let name = c.pick(&r.name_zh, &r.name_en);
            let trig = c.pick(&r.trigger_zh, &r.trigger_en);
            (r, name, trig)
        })
        .collect();
    let (status, error) = shown(error);
    let r = c.page(&RulesPage {
        l: c.layout(auth, c.t.get("visit-rules"), "visits"),
        rules,
        can_edit: team_perm::edit_visit_rules(&auth.actor).is_ok(),
        notice,
        error,
        echo,
    });
    Ok(with_status(r, status))
}

async fn rules(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<Done>,
) -> PageResult {
    render_rules(&s, &c, &auth, q.notice(c.t, "saved"), None, Echo::default()).await
}

/// A rule's deadline and switch (and, where the rule has them, its threshold and period).
#[derive(Deserialize)]
struct RuleForm {
    #[serde(default)]
    code: String,
    deadline_workdays: Option<u32>,
    #[serde(default)]
    active: bool,
    drop_pct: Option<u32>,
    months: Option<u32>,
    version: Option<i64>,
}

async fn rule_update(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, echo }: Posted<RuleForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let inp = VisitRuleInput {
            deadline_workdays: f.deadline_workdays,
            active: Some(f.active),
            drop_pct: f.drop_pct,
            months: f.months,
            policy_code: None,
            version: f.version,
        };
        s.app.visit_rule_update(&auth.actor, &f.code, &inp).await?;
        Ok(see_other("/visits/rules?done=saved"))
    }
    .await;
    done.or_show(&c, |err| render_rules(&s, &c, &auth, None, Some(err), echo))
        .await
}

async fn scan(State(s): State<AppState>, Posted { auth, form, .. }: Posted) -> PageResult {
    form?;
    let r = s.app.visit_scan(&auth.actor, App::today()).await?;
    Ok(see_other(&format!(
        "/visits?done=scanned&created={}",
        r.created
    )))
}
