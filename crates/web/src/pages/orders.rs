//! 诉求工单 pages: the list (filters, overdue badge), one order (fields, due time and why, history
//! timeline, the actions the user may take now, callback form) and the create form, which an
//! enterprise user reaches from the navigation as its own portal form.
//!
//! Every action form carries the version the page showed; if someone acted in between, the page
//! is shown again with 409, the new state and a notice.

use super::form::decode;
use super::query::Done;
use super::{
    Ctx, FormError, Layout, Opt, OrShow, PageError, PageLink, PageResult, Query, pager,
    query_string, see_other, with_status,
};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use lianshi_app::AppError;
use lianshi_app::order::sla::CategoryView;
use lianshi_app::order::{CHANNELS, EventView, OrderDetail, OrderInput, OrderQuery, OrderView};
use lianshi_domain::Role;
use lianshi_domain::order::{ActionKind, OrderAction, OrderState, Satisfaction};
use lianshi_domain::zone::RegistryKind;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list).post(create))
        .route("/orders/new", get(new_form))
        .route("/orders/{id}", get(detail))
        .route("/orders/{id}/act", post(act))
}

#[derive(Template)]
#[template(path = "orders.html")]
pub struct OrdersPage {
    pub l: Layout,
    pub rows: Vec<OrderView>,
    pub total: i64,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub states: Vec<Opt>,
    pub categories: Vec<Opt>,
    pub departments: Vec<Opt>,
    pub q: String,
    pub overdue: bool,
    pub can_create: bool,
    /// Links to the order settings pages (categories, SLA limits, calendar).
    pub can_configure: bool,
}

/// One entry of the history timeline.
pub struct HistoryItem {
    pub at: String,
    pub event: String,
    pub label: String,
    pub to: String,
    pub actor: String,
    /// Texts, reasons, departments and comments of the step.
    pub notes: Vec<String>,
}

/// `en`: labels (the callback's rating) in English.
fn history_item(h: &EventView, en: bool) -> HistoryItem {
    // A callback's rating (满意/基本满意/不满意) comes first, then its comment.
    let rating = h
        .payload
        .get("rating")
        .and_then(|v| v.as_str())
        .and_then(|r| Satisfaction::parse(r).ok())
        .map(|r| if en { r.label_en() } else { r.label_zh() }.to_string());
    let notes = rating
        .into_iter()
        .chain(
            ["text", "reason", "department", "comment", "channel"]
                .iter()
                .filter_map(|k| h.payload.get(*k).and_then(|v| v.as_str()))
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        )
        .collect();
    HistoryItem {
        at: super::cst(&h.at),
        event: h.event.clone(),
        label: h.event_label.clone(),
        to: h.to_state_label.clone(),
        actor: h.actor.clone(),
        notes,
    }
}

/// One action form: which fields it needs.
pub struct ActionForm {
    pub action: String,
    pub label: String,
    /// `none`, `department`, `text`, `reason`, `extension`, `level`, `rating`.
    pub field: &'static str,
    pub next_level: i64,
    pub primary: bool,
}

#[derive(Template)]
#[template(path = "orders_detail.html")]
pub struct OrderPage {
    pub l: Layout,
    pub d: OrderDetail,
    pub history: Vec<HistoryItem>,
    pub forms: Vec<ActionForm>,
    pub departments: Vec<Opt>,
    pub ratings: Vec<Opt>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub created: String,
}

#[derive(Template)]
#[template(path = "orders_form.html")]
pub struct OrderFormPage {
    pub l: Layout,
    pub is_enterprise: bool,
    pub is_staff_lead: bool,
    pub enterprise: String,
    pub title: String,
    pub description: String,
    pub tags: String,
    pub node: String,
    pub parent_id: String,
    pub visit_id: String,
    pub categories: Vec<Opt>,
    pub urgencies: Vec<Opt>,
    pub channels: Vec<Opt>,
    pub departments: Vec<Opt>,
    pub error: Option<String>,
}

fn field_of(k: ActionKind) -> &'static str {
    match k {
        ActionKind::Dispatch => "department",
        ActionKind::Reply | ActionKind::Resolve => "text",
        ActionKind::Return
        | ActionKind::Suspend
        | ActionKind::RefuseExtension
        | ActionKind::Withdraw
        | ActionKind::Reopen => "reason",
        ActionKind::RequestExtension => "extension",
        ActionKind::Supervise => "level",
        ActionKind::Callback => "rating",
        _ => "none",
    }
}

fn state_opts(c: &Ctx, current: &str) -> Vec<Opt> {
    let mut v = vec![Opt::new("open", c.t.get("order-state-open"), current)];
    v.extend(OrderState::ALL.into_iter().map(|s| {
        Opt::new(
            s.as_str(),
            if c.t.is_en() {
                s.label_en()
            } else {
                s.label_zh()
            },
            current,
        )
    }));
    v
}

pub(super) fn category_opts(c: &Ctx, cats: &[CategoryView], current: &str) -> Vec<Opt> {
    cats.iter()
        .filter(|x| x.active)
        .map(|x| {
            Opt::new(
                x.code.clone(),
                if c.t.is_en() {
                    x.name_en.clone()
                } else {
                    x.name_zh.clone()
                },
                current,
            )
        })
        .collect()
}

pub(super) async fn department_opts(s: &AppState, current: &str) -> Vec<Opt> {
    match s.app.registry().await {
        Ok(idx) => idx
            .of_kind(RegistryKind::Department)
            .map(|d| Opt::new(d.code.clone().unwrap_or_default(), d.name.clone(), current))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The order list's filters and page, as in its query string (and the pager's links).
#[derive(Deserialize, Default)]
#[serde(default)]
struct OrderFilters {
    state: String,
    category: String,
    department: String,
    enterprise: String,
    chain: String,
    overdue: bool,
    q: String,
    page: Option<i64>,
}

async fn list(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(f): Query<OrderFilters>,
) -> PageResult {
    let q = OrderQuery {
        state: Some(f.state.clone()),
        category: Some(f.category.clone()),
        department: Some(f.department.clone()),
        enterprise: Some(f.enterprise.clone()),
        chain: Some(f.chain.clone()),
        overdue: Some(f.overdue),
        q: Some(f.q.clone()),
        page: f.page,
        per_page: Some(30),
        ..Default::default()
    };
    let p = s.app.order_list_lang(&auth.actor, &q, c.t.is_en()).await?;
    let cats = s
        .app
        .order_categories(&auth.actor)
        .await
        .unwrap_or_default();
    let base = query_string(&[
        ("state", &f.state),
        ("category", &f.category),
        ("department", &f.department),
        ("enterprise", &f.enterprise),
        ("chain", &f.chain),
        ("overdue", if f.overdue { "1" } else { "" }),
        ("q", &f.q),
    ]);
    let (pages, prev, next) = pager(&base, p.page, p.per_page, p.total);
    let mut rows = p.items;
    for r in &mut rows {
        r.created_at = super::cst(&r.created_at);
    }
    Ok(c.page(&OrdersPage {
        l: c.layout(&auth, c.t.get("nav-orders"), "orders"),
        rows,
        total: p.total,
        pages,
        prev,
        next,
        states: state_opts(&c, &f.state),
        categories: category_opts(&c, &cats, &f.category),
        departments: department_opts(&s, &f.department).await,
        q: f.q,
        overdue: f.overdue,
        can_create: lianshi_app::order::perm::create_any(&auth.actor).is_ok(),
        can_configure: lianshi_app::order::perm::edit_config(&auth.actor).is_ok(),
    }))
}

async fn render_form(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    inp: &OrderInput,
    error: Option<FormError>,
) -> PageResult {
    let cats = s.app.order_categories(&auth.actor).await?;
    let role = auth.actor.role;
    lianshi_app::order::perm::create_any(&auth.actor)?;
    let urg = inp.urgency.clone().unwrap_or_else(|| "normal".into());
    let chan = inp.channel.clone().unwrap_or_else(|| "hotline".into());
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let error = error.map(|e| e.message);
    let r = c.page(&OrderFormPage {
        l: c.layout(auth, c.t.get("order-new"), "orders"),
        is_enterprise: role == Role::Enterprise,
        is_staff_lead: matches!(role, Role::Admin | Role::Department),
        enterprise: inp.enterprise.clone().unwrap_or_default(),
        title: inp.title.clone().unwrap_or_default(),
        description: inp.description.clone().unwrap_or_default(),
        tags: inp.tags.join("，"),
        node: inp.node.clone().unwrap_or_default(),
        parent_id: inp.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        visit_id: inp.visit_id.map(|p| p.to_string()).unwrap_or_default(),
        categories: category_opts(c, &cats, inp.category.as_deref().unwrap_or("")),
        urgencies: vec![
            Opt::new("normal", c.t.get("order-urgency-normal"), &urg),
            Opt::new("urgent", c.t.get("order-urgency-urgent"), &urg),
        ],
        channels: CHANNELS
            .iter()
            .filter(|(k, _, _)| *k != "portal" && *k != "open311")
            .map(|(k, zh, en)| Opt::new(*k, c.pick(zh, en), &chan))
            .collect(),
        departments: department_opts(s, inp.department.as_deref().unwrap_or("")).await,
        error,
    });
    Ok(with_status(r, status))
}

/// What a new order starts from: the enterprise, the order it follows up (`parent`), the visit
/// it came from and its category.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NewOrderQuery {
    enterprise: Option<String>,
    parent: Option<i64>,
    visit: Option<i64>,
    category: Option<String>,
}

async fn new_form(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(m): Query<NewOrderQuery>,
) -> PageResult {
    let inp = OrderInput {
        enterprise: m.enterprise,
        parent_id: m.parent,
        visit_id: m.visit,
        category: m.category,
        ..Default::default()
    };
    render_form(&s, &c, &auth, &inp, None).await
}

/// The text of the create form (shown again after a refusal).
#[derive(Deserialize, Default)]
#[serde(default)]
struct OrderText {
    enterprise: Option<String>,
    title: Option<String>,
    description: Option<String>,
    category: Option<String>,
    tags: String,
    urgency: Option<String>,
    channel: Option<String>,
    node: Option<String>,
    department: Option<String>,
    cohandlers: Vec<String>,
}

/// The create form: its text and the order or visit it follows.
#[derive(Deserialize)]
struct OrderForm {
    enterprise: Option<String>,
    title: Option<String>,
    description: Option<String>,
    category: Option<String>,
    #[serde(default)]
    tags: String,
    urgency: Option<String>,
    channel: Option<String>,
    node: Option<String>,
    department: Option<String>,
    #[serde(default)]
    cohandlers: Vec<String>,
    parent_id: Option<i64>,
    visit_id: Option<i64>,
}

fn order_input(t: OrderText, parent_id: Option<i64>, visit_id: Option<i64>) -> OrderInput {
    OrderInput {
        enterprise: t.enterprise,
        title: t.title,
        description: t.description,
        category: t.category,
        tags: t
            .tags
            .split([',', '，', ' ', '、'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
        urgency: t.urgency,
        channel: t.channel,
        node: t.node,
        department: t.department,
        cohandlers: t.cohandlers,
        parent_id,
        visit_id,
    }
}

async fn create(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, echo }: Posted<OrderForm>,
) -> PageResult {
    let inp = match form {
        Ok(f) => order_input(
            OrderText {
                enterprise: f.enterprise,
                title: f.title,
                description: f.description,
                category: f.category,
                tags: f.tags,
                urgency: f.urgency,
                channel: f.channel,
                node: f.node,
                department: f.department,
                cohandlers: f.cohandlers,
            },
            f.parent_id,
            f.visit_id,
        ),
        Err(err) => {
            // The text as typed; the field that did not parse is named above the form.
            let text = decode::<OrderText>(&echo.pairs).unwrap_or_default();
            let inp = order_input(text, None, None);
            return render_form(&s, &c, &auth, &inp, Some(err)).await;
        }
    };
    if inp.category.as_deref().is_none_or(|x| x.trim().is_empty()) {
        // The category starts at 请选择: none is taken for granted.
        let t = c.t;
        let err = FormError::bad_request(
            t.get("form-bad-required")
                .replace("{label}", t.get("order-category")),
        );
        return render_form(&s, &c, &auth, &inp, Some(err)).await;
    }
    let done: PageResult = s
        .app
        .order_create(&auth.actor, &inp)
        .await
        .map(|d| see_other(&format!("/orders/{}?done=created", d.order.id)))
        .map_err(Into::into);
    done.or_show(&c, |err| render_form(&s, &c, &auth, &inp, Some(err)))
        .await
}

async fn render_detail(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    id: i64,
    notice: Option<String>,
    error: Option<FormError>,
) -> PageResult {
    let mut d = s.app.order_get_lang(&auth.actor, id, c.t.is_en()).await?;
    let forms = d
        .actions
        .iter()
        .map(|a| ActionForm {
            action: a.action.clone(),
            label: a.label.clone(),
            field: field_of(a.kind),
            next_level: d.order.supervision_level + 1,
            primary: matches!(
                a.kind,
                ActionKind::Accept
                    | ActionKind::Dispatch
                    | ActionKind::Start
                    | ActionKind::Resolve
                    | ActionKind::Callback
            ),
        })
        .collect();
    let history = std::mem::take(&mut d.history)
        .iter()
        .map(|h| history_item(h, c.t.is_en()))
        .collect();
    for cb in &mut d.callbacks {
        cb.at = super::cst(&cb.at);
        if let Ok(r) = Satisfaction::parse(&cb.rating) {
            cb.rating = c.pick(r.label_zh(), r.label_en());
        }
    }
    let created = super::cst(&d.order.created_at);
    let dept = d.order.department_code.clone().unwrap_or_default();
    let title = format!("{} {}", d.order.ref_no, d.order.title);
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let error = error.map(|e| e.message);
    let r = c.page(&OrderPage {
        l: c.layout(auth, title, "orders"),
        history,
        forms,
        departments: department_opts(s, &dept).await,
        ratings: Satisfaction::ALL
            .into_iter()
            .map(|r| Opt::new(r.as_str(), c.pick(r.label_zh(), r.label_en()), ""))
            .collect(),
        notice,
        error,
        created,
        d,
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
    let notice = match q.done.as_deref() {
        Some("created") => Some(c.t.get("order-done-created").to_string()),
        Some("acted") => Some(c.t.get("order-done-acted").to_string()),
        _ => None,
    };
    render_detail(&s, &c, &auth, id, notice, None).await
}

/// One action on an order, with the fields its kind takes and the version the page showed.
#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
struct ActForm {
    action: String,
    department: String,
    text: String,
    reason: String,
    days: Option<u32>,
    level: Option<u8>,
    rating: String,
    comment: String,
    version: Option<i64>,
}

fn action_of(f: &ActForm) -> Result<OrderAction, AppError> {
    let mut v = serde_json::json!({"action": f.action});
    match f.action.as_str() {
        "dispatch" => v["department"] = f.department.clone().into(),
        "reply" | "resolve" => v["text"] = f.text.clone().into(),
        "return" | "suspend" | "refuse_extension" | "withdraw" | "reopen" => {
            v["reason"] = f.reason.clone().into()
        }
        "request_extension" => {
            v["days"] = f.days.into();
            v["reason"] = f.reason.clone().into();
        }
        "supervise" => v["level"] = f.level.into(),
        "callback" => {
            v["rating"] = f.rating.clone().into();
            v["comment"] = f.comment.clone().into();
        }
        _ => {}
    }
    serde_json::from_value(v).map_err(|e| {
        AppError::bad(
            "order_action_invalid",
            format!("无法识别的办理动作：{e}"),
            format!("not an order action: {e}"),
        )
    })
}

async fn act(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, .. }: Posted<ActForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let a = action_of(&f)?;
        match s.app.order_act(&auth.actor, id, &a, f.version).await {
            Ok(_) => Ok(see_other(&format!("/orders/{id}?done=acted"))),
            // Someone acted in between: the page again with the new state.
            Err(AppError::Conflict(_)) => Err(PageError::Form(FormError {
                status: StatusCode::CONFLICT,
                message: c.t.get("order-conflict").to_string(),
            })),
            Err(e) => Err(e.into()),
        }
    }
    .await;
    done.or_show(&c, |err| render_detail(&s, &c, &auth, id, None, Some(err)))
        .await
}
