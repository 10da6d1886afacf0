//! Order configuration pages (administrators edit, everyone who works with orders reads):
//! categories and their lead-department routing, SLA limits per (category, urgency), and the
//! working-day calendar years the SLA clock runs on.

use super::{Ctx, Layout, Opt, query_map, see_other, with_status};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use lianshi_app::calendar::CalendarYearView;
use lianshi_app::order::perm;
use lianshi_app::order::sla::{CategoryInput, CategoryView, SlaLimitInput, SlaLimitView};
use lianshi_app::{App, AppError};
use lianshi_domain::calendar::fallback_note;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders/categories", get(categories).post(category_put))
        .route("/orders/sla", get(sla).post(sla_set))
        .route("/orders/calendar", get(calendar).post(calendar_load))
}

#[derive(Template)]
#[template(path = "order_admin_categories.html")]
pub struct CategoriesPage {
    pub l: Layout,
    pub rows: Vec<(CategoryView, Vec<Opt>)>,
    pub new_departments: Vec<Opt>,
    pub can_edit: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "order_admin_sla.html")]
pub struct SlaPage {
    pub l: Layout,
    pub rows: Vec<SlaRow>,
    pub categories: Vec<Opt>,
    pub urgencies: Vec<Opt>,
    pub can_edit: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// One SLA limit with its names in the page language.
pub struct SlaRow {
    pub v: SlaLimitView,
    pub category: String,
    pub urgency: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "order_admin_calendar.html")]
pub struct CalendarPage {
    pub l: Layout,
    pub years: Vec<CalendarYearView>,
    /// Fallback notes for this year and the next when they have no schedule.
    pub fallback: Vec<String>,
    pub text: String,
    pub can_edit: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

fn notice(c: &Ctx, parts: &Parts) -> Option<String> {
    query_map(parts)
        .get("done")
        .filter(|d| d.as_str() == "saved")
        .map(|_| c.t.get("order-admin-saved").to_string())
}

fn status_of(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

fn refusal(c: &Ctx, e: &AppError) -> Option<String> {
    match e {
        AppError::BadRequest { .. } | AppError::Invalid(_) | AppError::Conflict(_) => {
            Some(super::messages(c, e))
        }
        _ => None,
    }
}

// --- categories ------------------------------------------------------------------------------

async fn render_categories(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let cats = match s.app.order_categories(&auth.actor).await {
        Ok(x) => x,
        Err(e) => return c.error(&e),
    };
    let mut rows = Vec::with_capacity(cats.len());
    for cat in cats {
        let cur = cat.department_code.clone().unwrap_or_default();
        let opts = super::orders::department_opts(s, &cur).await;
        rows.push((cat, opts));
    }
    let status = status_of(&error);
    let r = c.page(&CategoriesPage {
        l: c.layout(auth, c.t.get("order-admin-categories"), "orders"),
        rows,
        new_departments: super::orders::department_opts(s, "").await,
        can_edit: perm::edit_config(&auth.actor).is_ok(),
        notice,
        error,
    });
    with_status(r, status)
}

async fn categories(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let n = notice(&c, &parts);
    render_categories(&s, &c, &auth, n, None).await
}

async fn category_put(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).unwrap_or_default();
    let inp = CategoryInput {
        code: Some(g("code")),
        name_zh: Some(g("name_zh")).filter(|x| !x.trim().is_empty()),
        name_en: Some(g("name_en")).filter(|x| !x.trim().is_empty()),
        department: Some(g("department")),
        sort: g("sort").trim().parse().ok(),
        active: Some(g("active") == "1"),
    };
    match s.app.order_category_put(&posted.auth.actor, &inp).await {
        Ok(_) => see_other("/orders/categories?done=saved"),
        Err(e) => match refusal(&c, &e) {
            Some(msg) => render_categories(&s, &c, &posted.auth, None, Some(msg)).await,
            None => c.error(&e),
        },
    }
}

// --- SLA limits ------------------------------------------------------------------------------

async fn render_sla(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let (limits, cats) = match (
        s.app.sla_limits(&auth.actor).await,
        s.app.order_categories(&auth.actor).await,
    ) {
        (Ok(l), Ok(c)) => (l, c),
        (Err(e), _) | (_, Err(e)) => return c.error(&e),
    };
    let cat_name = |code: &str| match code {
        "*" => c.t.get("order-admin-sla-default").to_string(),
        "@accept" => c.t.get("order-admin-sla-accept").to_string(),
        _ => cats
            .iter()
            .find(|x| x.code == code)
            .map(|x| c.pick(&x.name_zh, &x.name_en))
            .unwrap_or_else(|| code.to_string()),
    };
    let urgency_name = |u: &str| {
        if u == "urgent" {
            c.t.get("order-urgency-urgent")
        } else {
            c.t.get("order-urgency-normal")
        }
    };
    let rows = limits
        .into_iter()
        .map(|v| SlaRow {
            category: cat_name(&v.category),
            urgency: urgency_name(v.urgency.as_str()).to_string(),
            label: c.pick(&v.label_zh, &v.label_en),
            v,
        })
        .collect();
    let mut categories = vec![
        Opt::new("*", c.t.get("order-admin-sla-default"), ""),
        Opt::new("@accept", c.t.get("order-admin-sla-accept"), ""),
    ];
    categories.extend(super::orders::category_opts(c, &cats, ""));
    let status = status_of(&error);
    let r = c.page(&SlaPage {
        l: c.layout(auth, c.t.get("order-admin-sla"), "orders"),
        rows,
        categories,
        urgencies: vec![
            Opt::new("normal", c.t.get("order-urgency-normal"), ""),
            Opt::new("urgent", c.t.get("order-urgency-urgent"), ""),
        ],
        can_edit: perm::edit_config(&auth.actor).is_ok(),
        notice,
        error,
    });
    with_status(r, status)
}

async fn sla(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let n = notice(&c, &parts);
    render_sla(&s, &c, &auth, n, None).await
}

async fn sla_set(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).unwrap_or_default();
    let inp = SlaLimitInput {
        category: g("category"),
        urgency: g("urgency"),
        limit: g("limit"),
    };
    match s.app.sla_limit_set(&posted.auth.actor, &inp).await {
        Ok(_) => see_other("/orders/sla?done=saved"),
        Err(e) => match refusal(&c, &e) {
            Some(msg) => render_sla(&s, &c, &posted.auth, None, Some(msg)).await,
            None => c.error(&e),
        },
    }
}

// --- calendar years --------------------------------------------------------------------------

async fn render_calendar(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    text: String,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    // Reading the calendar is for those who read the order configuration.
    if let Err(e) = perm::view_config(&auth.actor) {
        return c.error(&e);
    }
    let years = match s.app.calendar_years().await {
        Ok(y) => y,
        Err(e) => return c.error(&e),
    };
    let this = chrono::Datelike::year(&App::today());
    let fallback = [this, this + 1]
        .into_iter()
        .filter(|y| !years.iter().any(|v| v.year == *y))
        .filter_map(|y| fallback_note(&[y]))
        .collect();
    let status = status_of(&error);
    let r = c.page(&CalendarPage {
        l: c.layout(auth, c.t.get("order-admin-calendar"), "orders"),
        years,
        fallback,
        text,
        can_edit: lianshi_app::registry::perm::edit(&auth.actor).is_ok(),
        notice,
        error,
    });
    with_status(r, status)
}

async fn calendar(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let n = notice(&c, &parts);
    render_calendar(&s, &c, &auth, String::new(), n, None).await
}

async fn calendar_load(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let text = posted.get("text").unwrap_or_default();
    match s.app.calendar_load(&posted.auth.actor, &text).await {
        Ok(_) => see_other("/orders/calendar?done=saved"),
        Err(e) => match refusal(&c, &e) {
            Some(msg) => render_calendar(&s, &c, &posted.auth, text, None, Some(msg)).await,
            None => c.error(&e),
        },
    }
}
