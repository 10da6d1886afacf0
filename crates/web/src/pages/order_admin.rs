//! Order configuration pages (administrators edit, everyone who works with orders reads):
//! categories and their lead-department routing, SLA limits per (category, urgency), and the
//! working-day calendar years the SLA clock runs on.

use super::form::trimmed;
use super::query::Done;
use super::{
    Ctx, Echo, FormError, Layout, Opt, OrShow, PageResult, Query, see_other, shown, with_status,
};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use lianshi_app::App;
use lianshi_app::calendar::CalendarYearView;
use lianshi_app::order::perm;
use lianshi_app::order::sla::{CategoryInput, CategoryView, SlaLimitInput, SlaLimitView};
use lianshi_domain::calendar::fallback_note;
use serde::Deserialize;

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
    /// The refused form's fields as typed: `new` (a new category) or `edit` (the row whose code
    /// was sent).
    pub echo: Echo,
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

/// The notice after a save (`?done=saved`).
fn notice(c: &Ctx, q: &Done) -> Option<String> {
    (q.done.as_deref() == Some("saved")).then(|| c.t.get("order-admin-saved").to_string())
}

// --- categories ------------------------------------------------------------------------------

async fn render_categories(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    notice: Option<String>,
    error: Option<FormError>,
    echo: Echo,
) -> PageResult {
    let cats = s.app.order_categories(&auth.actor).await?;
    // A refused form is the edit form of its category's row, else the new-category form.
    let code = echo.val("code");
    let echo = if echo.is_empty() {
        echo
    } else if cats.iter().any(|x| x.code == code) {
        echo.named("edit")
    } else {
        echo.named("new")
    };
    let mut rows = Vec::with_capacity(cats.len());
    for cat in cats {
        let cur = if echo.form == "edit" && cat.code == code {
            echo.val("department")
        } else {
            cat.department_code.clone().unwrap_or_default()
        };
        let opts = super::orders::department_opts(s, &cur).await;
        rows.push((cat, opts));
    }
    let (status, error) = shown(error);
    let r = c.page(&CategoriesPage {
        l: c.layout(auth, c.t.get("order-admin-categories"), "orders"),
        rows,
        new_departments: super::orders::department_opts(s, &echo.of("new", "department")).await,
        can_edit: perm::edit_config(&auth.actor).is_ok(),
        notice,
        error,
        echo,
    });
    Ok(with_status(r, status))
}

async fn categories(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<Done>,
) -> PageResult {
    render_categories(&s, &c, &auth, notice(&c, &q), None, Echo::default()).await
}

/// A category: code, names, lead department, sort order and whether it is offered.
#[derive(Deserialize)]
struct CategoryForm {
    #[serde(default)]
    code: String,
    name_zh: Option<String>,
    name_en: Option<String>,
    #[serde(default)]
    department: String,
    sort: Option<i64>,
    #[serde(default)]
    active: bool,
}

async fn category_put(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, echo }: Posted<CategoryForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let inp = CategoryInput {
            code: Some(f.code),
            name_zh: trimmed(f.name_zh),
            name_en: trimmed(f.name_en),
            department: Some(f.department),
            sort: f.sort,
            active: Some(f.active),
        };
        s.app.order_category_put(&auth.actor, &inp).await?;
        Ok(see_other("/orders/categories?done=saved"))
    }
    .await;
    done.or_show(&c, |err| {
        render_categories(&s, &c, &auth, None, Some(err), echo)
    })
    .await
}

// --- SLA limits ------------------------------------------------------------------------------

async fn render_sla(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    notice: Option<String>,
    error: Option<FormError>,
) -> PageResult {
    let limits = s.app.sla_limits(&auth.actor).await?;
    let cats = s.app.order_categories(&auth.actor).await?;
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
    let (status, error) = shown(error);
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
    Ok(with_status(r, status))
}

async fn sla(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<Done>,
) -> PageResult {
    render_sla(&s, &c, &auth, notice(&c, &q), None).await
}

/// The form is the app's input: an SLA limit of a (category, urgency), `5d`, `8h`, `5个工作日`….
async fn sla_set(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, .. }: Posted<SlaLimitInput>,
) -> PageResult {
    let done: PageResult = async {
        s.app.sla_limit_set(&auth.actor, &form?).await?;
        Ok(see_other("/orders/sla?done=saved"))
    }
    .await;
    done.or_show(&c, |err| render_sla(&s, &c, &auth, None, Some(err)))
        .await
}

// --- calendar years --------------------------------------------------------------------------

async fn render_calendar(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    text: String,
    notice: Option<String>,
    error: Option<FormError>,
) -> PageResult {
    // Reading the calendar is for those who read the order configuration.
    perm::view_config(&auth.actor)?;
    let years = s.app.calendar_years().await?;
    let this = chrono::Datelike::year(&App::today());
    let fallback = [this, this + 1]
        .into_iter()
        .filter(|y| !years.iter().any(|v| v.year == *y))
        .filter_map(|y| fallback_note(&[y]))
        .collect();
    let (status, error) = shown(error);
    let r = c.page(&CalendarPage {
        l: c.layout(auth, c.t.get("order-admin-calendar"), "orders"),
        years,
        fallback,
        text,
        can_edit: lianshi_app::zone::perm::edit(&auth.actor).is_ok(),
        notice,
        error,
    });
    Ok(with_status(r, status))
}

async fn calendar(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<Done>,
) -> PageResult {
    render_calendar(&s, &c, &auth, String::new(), notice(&c, &q), None).await
}

/// A calendar year's schedule as text (see the page's format note).
#[derive(Deserialize, Default)]
#[serde(default)]
struct CalendarForm {
    text: String,
}

async fn calendar_load(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, echo }: Posted<CalendarForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        s.app.calendar_load(&auth.actor, &f.text).await?;
        Ok(see_other("/orders/calendar?done=saved"))
    }
    .await;
    done.or_show(&c, |err| {
        render_calendar(&s, &c, &auth, echo.val("text"), None, Some(err))
    })
    .await
}
