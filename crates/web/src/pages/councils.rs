//! 链上议事会 pages: the meetings of every chain (the administrator schedules a year), one
//! meeting with attendees, agenda (drafted items marked, linked orders), minutes, decisions and
//! their action items with progress, and the forms over the council use cases. Every handler
//! calls one app function; the app decides who may do what (403 through the error page).

use super::query::Done;
use super::{
    Ctx, Date, Echo, FormError, Layout, Opt, OrShow, PageResult, Query, see_other, with_status,
};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{Datelike, Utc};
use lianshi_app::App;
use lianshi_app::council::{
    self, ActionView, AgendaItemInput, AgendaItemView, AgendaRules, CouncilInput, CouncilSummary,
    CouncilView, DecisionInput, FollowOnInput, ProgressInput,
};
use lianshi_domain::zone::RegistryKind;
use serde::Deserialize;

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
    /// The orders of the agenda and actions the reader may open (the others are shown unlinked).
    pub openable: Vec<i64>,
    pub can_manage: bool,
    pub departments: Vec<Opt>,
    pub statuses: Vec<Opt>,
    pub attendees_text: String,
    pub today: String,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// The refused form's fields as typed (`minutes`, `draft`, `agenda`, `decide`, `progress`).
    pub echo: Echo,
}

impl CouncilPage {
    fn opens(&self, id: &i64) -> bool {
        self.openable.contains(id)
    }
}

async fn render_list(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    year: Option<i64>,
    notice: Option<String>,
    error: Option<FormError>,
) -> PageResult {
    let a = &auth.actor;
    let items = s.app.council_list(a, None, year, c.t.is_en()).await?;
    let idx = s.app.registry().await?;
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
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let error = error.map(|e| e.message);
    let r = c.page(&CouncilsPage {
        l: c.layout(auth, c.t.get("nav-councils"), "councils"),
        groups,
        total,
        years,
        chains,
        can_manage: council::perm::manage(a).is_ok(),
        schedule_year: year.map(|y| y as i32).unwrap_or(this_year + 1),
        notice,
        error,
    });
    Ok(with_status(r, status))
}

/// The year shown (all years when empty) and what was just done (`scheduled`).
#[derive(Deserialize, Default)]
#[serde(default)]
struct YearQuery {
    year: Option<i64>,
    done: Option<String>,
}

async fn list(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let notice = q.done.map(|n| match n.as_str() {
        "scheduled" => c.t.get("council-done-scheduled").to_string(),
        _ => c.t.get("council-done").to_string(),
    });
    render_list(&s, &c, &auth, q.year, notice, None).await
}

/// Schedule a chain's meetings of a year.
#[derive(Deserialize)]
struct ScheduleForm {
    #[serde(default)]
    chain: String,
    year: i32,
}

async fn schedule(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, .. }: Posted<ScheduleForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        s.app
            .council_schedule(&auth.actor, &f.chain, f.year)
            .await?;
        Ok(see_other(&format!(
            "/councils?year={}&done=scheduled",
            f.year
        )))
    }
    .await;
    done.or_show(&c, |err| render_list(&s, &c, &auth, None, None, Some(err)))
        .await
}

async fn render_detail(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    id: i64,
    notice: Option<String>,
    error: Option<FormError>,
    echo: Echo,
) -> PageResult {
    let a = &auth.actor;
    let t = c.t;
    let mut v = s.app.council_get(a, id, t.is_en()).await?;
    let idx = s.app.registry().await?;
    let can_manage = council::perm::manage(a).is_ok();
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
    let order_ids: Vec<i64> = v
        .agenda
        .iter()
        .flat_map(|i| i.orders.iter().map(|o| o.id))
        .chain(v.actions.iter().flat_map(|x| x.orders.iter().map(|o| o.id)))
        .collect();
    let openable = s.app.orders_openable(a, &order_ids).await?;
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
            let can_report = council::perm::report_progress(a, x.department_id).is_ok();
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
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let error = error.map(|e| e.message);
    let r = c.page(&CouncilPage {
        l: c.layout(auth, v.council.title.clone(), "councils"),
        agenda,
        actions,
        openable,
        can_manage,
        departments,
        statuses,
        attendees_text,
        today: App::today().to_string(),
        notice,
        error,
        echo,
        v,
    });
    Ok(with_status(r, status))
}

async fn detail(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    let notice = q.done.map(|d| {
        c.t.get(match d.as_str() {
            "minutes" => "council-done-minutes",
            "agenda" => "council-done-agenda",
            "decided" => "council-done-decided",
            "progress" => "council-done-progress",
            _ => "council-done",
        })
        .to_string()
    });
    render_detail(&s, &c, &auth, id, notice, None, Echo::default()).await
}

/// After a write: back to the meeting (at `anchor`), or the meeting again with the refusal and
/// the form's text.
async fn after(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    id: i64,
    done: PageResult<()>,
    (what, anchor): (&str, &str),
    echo: Echo,
) -> PageResult {
    done.map(|()| see_other(&format!("/councils/{id}?done={what}{anchor}")))
        .or_show(c, |err| {
            render_detail(s, c, auth, id, None, Some(err), echo)
        })
        .await
}

/// [`after`] a step on an agenda item (remove, move), which has no fields of its own.
async fn after_agenda_step(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    id: i64,
    done: PageResult<()>,
) -> PageResult {
    after(s, c, auth, id, done, ("agenda", "#agenda"), Echo::default()).await
}

/// Order numbers separated by commas, spaces or new lines.
fn refs(text: &str) -> Vec<String> {
    text.split([',', '，', ';', '；', ' ', '\n', '\r', '\t'])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect()
}

/// A meeting's record: date, place, status, minutes and attendees (`kind:code`, one a line).
#[derive(Deserialize)]
struct MinutesForm {
    scheduled_on: Option<Date>,
    location: Option<String>,
    status: Option<String>,
    minutes: Option<String>,
    held_on: Option<Date>,
    attendees: Option<String>,
    version: Option<i64>,
}

async fn minutes(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, echo }: Posted<MinutesForm>,
) -> PageResult {
    let done: PageResult<()> = async {
        let f = form?;
        let attendees = f.attendees.map(|t| {
            t.split(['\n', ',', '，', ';', '；'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        });
        let inp = CouncilInput {
            scheduled_on: f.scheduled_on.map(|d| d.text()),
            location: f.location,
            status: f.status.map(|x| x.trim().to_string()),
            minutes: f.minutes,
            held_on: f.held_on.map(|d| d.text()),
            attendees,
            version: f.version,
            ..Default::default()
        };
        s.app.council_update(&auth.actor, id, &inp).await?;
        Ok(())
    }
    .await;
    let echo = echo.named("minutes");
    after(&s, &c, &auth, id, done, ("minutes", "#minutes"), echo).await
}

/// The rules of a drafted agenda: orders per theme and the window in days (defaults when empty).
#[derive(Deserialize)]
struct DraftForm {
    min_orders: Option<i64>,
    window_days: Option<i64>,
}

async fn agenda_draft(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, echo }: Posted<DraftForm>,
) -> PageResult {
    let done: PageResult<()> = async {
        let f = form?;
        let d = AgendaRules::default();
        let rules = AgendaRules {
            min_orders: f.min_orders.unwrap_or(d.min_orders),
            window_days: f.window_days.unwrap_or(d.window_days),
        };
        s.app
            .council_agenda_draft(&auth.actor, id, rules, Utc::now())
            .await?;
        Ok(())
    }
    .await;
    let echo = echo.named("draft");
    after(&s, &c, &auth, id, done, ("agenda", "#agenda"), echo).await
}

/// An agenda item with the orders it covers.
#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
struct AgendaForm {
    title: String,
    orders: String,
}

async fn agenda_add(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, echo }: Posted<AgendaForm>,
) -> PageResult {
    let done: PageResult<()> = async {
        let f = form?;
        let inp = AgendaItemInput {
            title: f.title,
            orders: refs(&f.orders),
        };
        s.app.council_agenda_add(&auth.actor, id, &inp).await?;
        Ok(())
    }
    .await;
    let echo = echo.named("agenda");
    after(&s, &c, &auth, id, done, ("agenda", "#agenda"), echo).await
}

async fn agenda_remove(
    State(s): State<AppState>,
    c: Ctx,
    Path((id, item)): Path<(i64, i64)>,
    Posted { auth, form, .. }: Posted,
) -> PageResult {
    let done: PageResult<()> = async {
        form?;
        s.app.council_agenda_remove(&auth.actor, id, item).await?;
        Ok(())
    }
    .await;
    after_agenda_step(&s, &c, &auth, id, done).await
}

/// Move an agenda item `up` or down.
#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    dir: String,
}

async fn agenda_move(
    State(s): State<AppState>,
    c: Ctx,
    Path((id, item)): Path<(i64, i64)>,
    Posted { auth, form, .. }: Posted<MoveForm>,
) -> PageResult {
    let a = &auth.actor;
    let v = s.app.council_get(a, id, c.t.is_en()).await?;
    let done: PageResult<()> = async {
        let f = form?;
        let mut ids: Vec<i64> = v.agenda.iter().map(|i| i.id).collect();
        if let Some(pos) = ids.iter().position(|x| *x == item) {
            let up = f.dir == "up";
            if up && pos > 0 {
                ids.swap(pos, pos - 1);
            } else if !up && pos + 1 < ids.len() {
                ids.swap(pos, pos + 1);
            }
        }
        s.app.council_agenda_reorder(a, id, &ids).await?;
        Ok(())
    }
    .await;
    after_agenda_step(&s, &c, &auth, id, done).await
}

/// A decision with its owner, due date, agenda item, orders and an optional follow-on order.
#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    department: String,
    due_on: Date,
    item_id: Option<i64>,
    #[serde(default)]
    orders: String,
    follow_title: Option<String>,
    #[serde(default)]
    follow_description: String,
    follow_enterprise: Option<String>,
    follow_department: Option<String>,
}

async fn decide(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, echo }: Posted<DecideForm>,
) -> PageResult {
    let done: PageResult<()> = async {
        let f = form?;
        let trimmed = |v: Option<String>| v.map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
        let follow_on = trimmed(f.follow_title).map(|title| FollowOnInput {
            title,
            description: f.follow_description,
            enterprise: trimmed(f.follow_enterprise),
            department: trimmed(f.follow_department),
            ..Default::default()
        });
        let inp = DecisionInput {
            decision: f.decision,
            department: f.department,
            due_on: f.due_on.text(),
            item_id: f.item_id,
            orders: refs(&f.orders),
            progress: None,
            follow_on,
        };
        s.app
            .council_decide(&auth.actor, id, &inp, Utc::now())
            .await?;
        Ok(())
    }
    .await;
    let echo = echo.named("decide");
    after(&s, &c, &auth, id, done, ("decided", "#actions"), echo).await
}

/// An action's page is its meeting's, scrolled to the action.
async fn action(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Path(id): Path<i64>,
) -> PageResult {
    let a = s.app.council_action(&auth.actor, id, c.t.is_en()).await?;
    Ok(see_other(&format!(
        "/councils/{}#action-{id}",
        a.council_id
    )))
}

/// Progress on an action (0–100) with a note.
#[derive(Deserialize)]
struct ProgressForm {
    progress: i64,
    #[serde(default)]
    note: String,
    version: Option<i64>,
}

async fn progress(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, echo }: Posted<ProgressForm>,
) -> PageResult {
    let a = &auth.actor;
    let council_id = s.app.council_action(a, id, c.t.is_en()).await?.council_id;
    let done: PageResult<()> = async {
        let f = form?;
        let inp = ProgressInput {
            progress: f.progress,
            note: f.note,
            version: f.version,
        };
        s.app
            .council_action_progress(a, id, &inp, App::today())
            .await?;
        Ok(())
    }
    .await;
    // The refused action's form is the one filled in again.
    let mut echo = echo.named("progress");
    echo.pairs.push(("action".into(), id.to_string()));
    let anchor = format!("#action-{id}");
    after(&s, &c, &auth, council_id, done, ("progress", &anchor), echo).await
}
