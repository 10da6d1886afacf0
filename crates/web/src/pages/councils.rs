//! 链上议事会 pages: the meetings of every chain (the administrator schedules a year), one
//! meeting with attendees, agenda (drafted items marked, linked orders), minutes, decisions and
//! their action items with progress, and the forms over the council use cases. Every handler
//! calls one app function; the app decides who may do what (403 through the error page).

use super::{Ctx, Layout, Opt, query_map, see_other, with_status};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{Datelike, Utc};
use lianshi_app::council::{
    ActionView, AgendaItemInput, AgendaItemView, AgendaRules, CouncilInput, CouncilSummary,
    CouncilView, DecisionInput, FollowOnInput, ProgressInput,
};
use lianshi_app::{App, AppError};
use lianshi_domain::Role;
use lianshi_domain::zone::RegistryKind;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/councils", get(list))
        .route("/councils/schedule", post(schedule))
        .route("/councils/{id}", get(detail))
        .route("/councils/{id}/minutes", post(minutes))
        .route("/councils/{id}/agenda", post(agenda_add))
        .route("/councils/{id}/agenda/draft", post(agenda_draft))
        .route("/councils/{id}/agenda/{item}/remove", post(agenda_remove))
        .route("/councils/{id}/agenda/{item}/move", post(agenda_move))
        .route("/councils/{id}/decisions", post(decide))
        .route("/council-actions/{id}", get(action))
        .route("/council-actions/{id}/progress", post(progress))
        .merge(super::service_figures::routes())
}

/// The meetings of one chain.
pub struct ChainGroup {
    pub chain: String,
    pub code: String,
    pub meetings: Vec<CouncilSummary>,
}

#[derive(Template)]
#[template(path = "councils.html")]
pub struct CouncilsPage {
    pub l: Layout,
    pub groups: Vec<ChainGroup>,
    pub total: usize,
    pub years: Vec<Opt>,
    pub chains: Vec<Opt>,
    pub can_manage: bool,
    pub schedule_year: i32,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// An action item as shown, with whether this person may report progress on it.
pub struct ActionLine {
    pub a: ActionView,
    pub can_report: bool,
    /// Width of the progress bar in pixels (of 120).
    pub bar: i64,
    pub item_title: String,
}

/// An agenda item as shown, with its position.
pub struct AgendaLine {
    pub item: AgendaItemView,
    pub first: bool,
    pub last: bool,
}

#[derive(Template)]
#[template(path = "council.html")]
pub struct CouncilPage {
    pub l: Layout,
    pub v: CouncilView,
    pub agenda: Vec<AgendaLine>,
    pub actions: Vec<ActionLine>,
    pub can_manage: bool,
    pub departments: Vec<Opt>,
    pub statuses: Vec<Opt>,
    pub attendees_text: String,
    pub today: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

fn is_form_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::BadRequest { .. } | AppError::Conflict(_) | AppError::Invalid(_)
    )
}

fn form_status(e: &AppError) -> StatusCode {
    match e {
        AppError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn render_list(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    year: Option<i64>,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let a = &auth.actor;
    let items = match s.app.council_list(a, None, year, c.t.is_en()).await {
        Ok(v) => v,
        Err(e) => return c.error(&e),
    };
    let idx = match s.app.registry().await {
        Ok(i) => i,
        Err(e) => return c.error(&e),
    };
    let total = items.len();
    let mut groups: Vec<ChainGroup> = idx
        .of_kind(RegistryKind::Chain)
        .map(|ch| ChainGroup {
            chain: ch.name.clone(),
            code: ch.code.clone().unwrap_or_default(),
            meetings: items
                .iter()
                .filter(|m| m.chain_id == ch.id)
                .cloned()
                .collect(),
        })
        .collect();
    groups.retain(|g| !g.meetings.is_empty());
    let this_year = App::today().year();
    let cur = year.map(|y| y.to_string()).unwrap_or_default();
    let mut years = vec![Opt::new("", c.t.get("council-all-years"), "")];
    years.extend(
        (this_year - 2..=this_year + 1)
            .rev()
            .map(|y| Opt::new(y.to_string(), y.to_string(), &cur)),
    );
    let chains = idx
        .of_kind(RegistryKind::Chain)
        .map(|ch| Opt::new(ch.code.clone().unwrap_or_default(), &ch.name, ""))
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let r = c.page(&CouncilsPage {
        l: c.layout(auth, c.t.get("nav-councils"), "councils"),
        groups,
        total,
        years,
        chains,
        can_manage: a.role == Role::Admin,
        schedule_year: year.map(|y| y as i32).unwrap_or(this_year + 1),
        notice,
        error,
    });
    with_status(r, status)
}

async fn list(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let q = query_map(&parts);
    let year = q.get("year").and_then(|y| y.trim().parse::<i64>().ok());
    let notice = q.get("done").map(|n| match n.as_str() {
        "scheduled" => c.t.get("council-done-scheduled").to_string(),
        _ => c.t.get("council-done").to_string(),
    });
    render_list(&s, &c, &auth, year, notice, None).await
}

async fn schedule(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let chain = posted.get("chain").unwrap_or_default();
    let year: i32 = posted
        .get("year")
        .and_then(|y| y.trim().parse().ok())
        .unwrap_or(0);
    match s
        .app
        .council_schedule(&posted.auth.actor, &chain, year)
        .await
    {
        Ok(_) => see_other(&format!("/councils?year={year}&done=scheduled")),
        Err(e) if is_form_error(&e) => {
            let msg = super::enterprises::messages(&c, &e);
            render_list(&s, &c, &posted.auth, None, None, Some(msg)).await
        }
        Err(e) => c.error(&e),
    }
}

async fn render_detail(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    id: i64,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let a = &auth.actor;
    let t = c.t;
    let mut v = match s.app.council_get(a, id, t.is_en()).await {
        Ok(v) => v,
        Err(e) => return c.error(&e),
    };
    let idx = match s.app.registry().await {
        Ok(i) => i,
        Err(e) => return c.error(&e),
    };
    let can_manage = a.role == Role::Admin;
    let mut departments = vec![Opt::new("", t.get("council-choose-department"), "")];
    departments.extend(
        idx.of_kind(RegistryKind::Department)
            .map(|d| Opt::new(d.code.clone().unwrap_or_default(), &d.name, "")),
    );
    let statuses = [
        ("scheduled", t.get("council-status-scheduled")),
        ("held", t.get("council-status-held")),
        ("cancelled", t.get("council-status-cancelled")),
    ]
    .into_iter()
    .map(|(k, label)| Opt::new(k, label, &v.council.status))
    .collect();
    let attendees_text = v
        .attendees
        .iter()
        .map(|x| format!("{}:{}", x.kind, x.code))
        .collect::<Vec<_>>()
        .join("\n");
    let n = v.agenda.len();
    let agenda = std::mem::take(&mut v.agenda)
        .into_iter()
        .enumerate()
        .map(|(i, item)| AgendaLine {
            item,
            first: i == 0,
            last: i + 1 == n,
        })
        .collect::<Vec<_>>();
    let actions = std::mem::take(&mut v.actions)
        .into_iter()
        .map(|mut x| {
            for u in &mut x.updates {
                u.at = super::cst(&u.at);
            }
            let can_report = a.role == Role::Admin
                || (a.role == Role::Department
                    && a.department_id.is_some()
                    && a.department_id == x.department_id);
            let item_title = x
                .item_id
                .and_then(|iid| agenda.iter().find(|l| l.item.id == iid))
                .map(|l| l.item.title.clone())
                .unwrap_or_default();
            ActionLine {
                bar: x.progress.clamp(0, 100) * 120 / 100,
                a: x,
                can_report,
                item_title,
            }
        })
        .collect();
    let (status, error) = match error {
        Some((st, m)) => (st, Some(m)),
        None => (StatusCode::OK, None),
    };
    let r = c.page(&CouncilPage {
        l: c.layout(auth, v.council.title.clone(), "councils"),
        agenda,
        actions,
        can_manage,
        departments,
        statuses,
        attendees_text,
        today: App::today().to_string(),
        notice,
        error,
        v,
    });
    with_status(r, status)
}

async fn detail(
    State(s): State<AppState>,
    auth: PageAuth,
    Path(id): Path<i64>,
    parts: Parts,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let q = query_map(&parts);
    let notice = q.get("done").map(|d| {
        c.t.get(match d.as_str() {
            "minutes" => "council-done-minutes",
            "agenda" => "council-done-agenda",
            "decided" => "council-done-decided",
            "progress" => "council-done-progress",
            _ => "council-done",
        })
        .to_string()
    });
    render_detail(&s, &c, &auth, id, notice, None).await
}

/// After a write: back to the meeting, or the meeting again with the error.
async fn after<T>(
    s: &AppState,
    c: &Ctx,
    posted: &Posted,
    id: i64,
    r: Result<T, AppError>,
    done: &str,
    anchor: &str,
) -> Response {
    match r {
        Ok(_) => see_other(&format!("/councils/{id}?done={done}{anchor}")),
        Err(e) if is_form_error(&e) => {
            let msg = super::enterprises::messages(c, &e);
            render_detail(s, c, &posted.auth, id, None, Some((form_status(&e), msg))).await
        }
        Err(e) => c.error(&e),
    }
}

fn opt_text(p: &Posted, k: &str) -> Option<String> {
    p.get(k)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Order numbers separated by commas, spaces or new lines.
fn refs(text: &str) -> Vec<String> {
    text.split([',', '，', ';', '；', ' ', '\n', '\r', '\t'])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

async fn minutes(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let attendees = posted.get("attendees").map(|t| {
        t.split(['\n', ',', '，', ';', '；'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    });
    let inp = CouncilInput {
        scheduled_on: opt_text(&posted, "scheduled_on"),
        location: posted.get("location"),
        status: opt_text(&posted, "status"),
        minutes: posted.get("minutes"),
        held_on: opt_text(&posted, "held_on"),
        attendees,
        version: posted.get("version").and_then(|v| v.parse().ok()),
        ..Default::default()
    };
    let r = s.app.council_update(&posted.auth.actor, id, &inp).await;
    after(&s, &c, &posted, id, r, "minutes", "#minutes").await
}

async fn agenda_draft(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let d = AgendaRules::default();
    let rules = AgendaRules {
        min_orders: posted
            .get("min_orders")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(d.min_orders),
        window_days: posted
            .get("window_days")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(d.window_days),
    };
    let r = s
        .app
        .council_agenda_draft(&posted.auth.actor, id, rules, Utc::now())
        .await;
    after(&s, &c, &posted, id, r, "agenda", "#agenda").await
}

async fn agenda_add(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let inp = AgendaItemInput {
        title: posted.get("title").unwrap_or_default(),
        orders: refs(&posted.get("orders").unwrap_or_default()),
    };
    let r = s.app.council_agenda_add(&posted.auth.actor, id, &inp).await;
    after(&s, &c, &posted, id, r, "agenda", "#agenda").await
}

async fn agenda_remove(
    State(s): State<AppState>,
    Path((id, item)): Path<(i64, i64)>,
    parts: Parts,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let r = s
        .app
        .council_agenda_remove(&posted.auth.actor, id, item)
        .await;
    after(&s, &c, &posted, id, r, "agenda", "#agenda").await
}

async fn agenda_move(
    State(s): State<AppState>,
    Path((id, item)): Path<(i64, i64)>,
    parts: Parts,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let a = &posted.auth.actor;
    let v = match s.app.council_get(a, id, c.t.is_en()).await {
        Ok(v) => v,
        Err(e) => return c.error(&e),
    };
    let mut ids: Vec<i64> = v.agenda.iter().map(|i| i.id).collect();
    if let Some(pos) = ids.iter().position(|x| *x == item) {
        let up = posted.get("dir").as_deref() == Some("up");
        if up && pos > 0 {
            ids.swap(pos, pos - 1);
        } else if !up && pos + 1 < ids.len() {
            ids.swap(pos, pos + 1);
        }
    }
    let r = s.app.council_agenda_reorder(a, id, &ids).await;
    after(&s, &c, &posted, id, r, "agenda", "#agenda").await
}

async fn decide(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let follow_on = opt_text(&posted, "follow_title").map(|title| FollowOnInput {
        title,
        description: posted.get("follow_description").unwrap_or_default(),
        enterprise: opt_text(&posted, "follow_enterprise"),
        department: opt_text(&posted, "follow_department"),
        ..Default::default()
    });
    let inp = DecisionInput {
        decision: posted.get("decision").unwrap_or_default(),
        department: posted.get("department").unwrap_or_default(),
        due_on: posted.get("due_on").unwrap_or_default(),
        item_id: posted.get("item_id").and_then(|v| v.trim().parse().ok()),
        orders: refs(&posted.get("orders").unwrap_or_default()),
        progress: None,
        follow_on,
    };
    let r = s
        .app
        .council_decide(&posted.auth.actor, id, &inp, Utc::now())
        .await;
    after(&s, &c, &posted, id, r, "decided", "#actions").await
}

/// An action's page is its meeting's, scrolled to the action.
async fn action(
    State(s): State<AppState>,
    auth: PageAuth,
    Path(id): Path<i64>,
    parts: Parts,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    match s.app.council_action(&auth.actor, id, c.t.is_en()).await {
        Ok(a) => see_other(&format!("/councils/{}#action-{id}", a.council_id)),
        Err(e) => c.error(&e),
    }
}

async fn progress(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    parts: Parts,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let a = &posted.auth.actor;
    let council_id = match s.app.council_action(a, id, c.t.is_en()).await {
        Ok(x) => x.council_id,
        Err(e) => return c.error(&e),
    };
    let inp = ProgressInput {
        progress: posted
            .get("progress")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(-1),
        note: posted.get("note").unwrap_or_default(),
        version: posted.get("version").and_then(|v| v.parse().ok()),
    };
    let r = s
        .app
        .council_action_progress(a, id, &inp, App::today())
        .await;
    after(
        &s,
        &c,
        &posted,
        council_id,
        r,
        "progress",
        &format!("#action-{id}"),
    )
    .await
}
