//! 惠企兑付 pages: the application list (申报, filters by policy, state and year, and the apply
//! form), one application with its review actions (受理, 批准 with an amount, 驳回 with a reason,
//! 兑付, 撤回) and its ledger entries, and the payout ledger (兑付台账) with totals per policy and
//! department, budget lines, batch payout and — for administrators — reversing corrections.
//!
//! Each form carries a request key rendered with the page, so a double submit files or pays once.

use super::{Ctx, Layout, Opt, PageLink, pager, query_map, query_string, see_other, with_status};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use lianshi_app::subsidy::{
    ApplyInput, BudgetInput, LedgerQuery, SubsidyDetail, SubsidyQuery, perm,
};
use lianshi_app::{App, AppError};
use lianshi_domain::Money;
use lianshi_domain::Role;
use lianshi_domain::subsidy::{SubsidyAction, SubsidyState, parse_amount, payout_key};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/subsidies", get(list).post(apply))
        .route("/subsidies/ledger", get(ledger))
        .route("/subsidies/ledger/{id}/reverse", post(reverse))
        .route("/subsidies/budgets", post(budget))
        .route("/subsidies/payout", post(payout))
        .route("/subsidies/{id}", get(detail))
        .route("/subsidies/{id}/act", post(act))
}

fn yuan(fen: i64) -> String {
    Money(fen).format_yuan()
}

/// One row of the application list, formatted.
pub struct AppLine {
    pub id: i64,
    pub policy_code: String,
    pub policy_title: String,
    pub enterprise_name: String,
    pub uscc: String,
    pub year: i64,
    pub amount: String,
    pub approved: String,
    pub state: String,
    pub state_label: String,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "subsidies.html")]
pub struct SubsidiesPage {
    pub l: Layout,
    pub rows: Vec<AppLine>,
    pub total: i64,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub policies: Vec<Opt>,
    pub states: Vec<Opt>,
    pub year: String,
    pub can_apply: bool,
    pub is_enterprise: bool,
    pub can_ledger: bool,
    pub apply_policies: Vec<Opt>,
    pub form_key: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// One ledger entry, formatted.
pub struct EntryLine {
    pub id: i64,
    pub at: String,
    pub policy_code: String,
    pub policy_title: String,
    pub enterprise_name: String,
    pub application_id: i64,
    pub year: i64,
    pub department: String,
    pub amount: String,
    pub negative: bool,
    pub reverses_id: Option<i64>,
    pub reversed_by: Option<i64>,
    pub actor: String,
    pub note: String,
    pub can_reverse: bool,
}

#[derive(Template)]
#[template(path = "subsidies_detail.html")]
pub struct SubsidyPage {
    pub l: Layout,
    pub d: SubsidyDetail,
    pub amount: String,
    pub approved: String,
    pub created_at: String,
    pub entries: Vec<EntryLine>,
    pub budget: Option<BudgetLine>,
    pub pay_key: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// A total line, formatted.
pub struct TotalLine {
    pub code: String,
    pub name: String,
    pub amount: String,
    pub fen: i64,
    pub entries: i64,
}

/// A budget line, formatted.
pub struct BudgetLine {
    pub policy_code: String,
    pub policy_title: String,
    pub year: i64,
    pub budget: String,
    pub spent: String,
    pub committed: String,
    pub available: String,
    pub cap: String,
}

#[derive(Template)]
#[template(path = "subsidies_ledger.html")]
pub struct LedgerPage {
    pub l: Layout,
    pub rows: Vec<EntryLine>,
    pub total: i64,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub year: String,
    pub policies: Vec<Opt>,
    pub departments: Vec<Opt>,
    pub total_amount: String,
    pub total_fen: i64,
    pub by_policy: Vec<TotalLine>,
    pub by_department: Vec<TotalLine>,
    pub budgets: Vec<BudgetLine>,
    pub is_admin: bool,
    pub can_budget: bool,
    pub budget_policies: Vec<Opt>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

fn budget_line(b: &lianshi_app::subsidy::Budget) -> BudgetLine {
    BudgetLine {
        policy_code: b.policy_code.clone(),
        policy_title: b.policy_title.clone(),
        year: b.year,
        budget: yuan(b.budget_fen),
        spent: yuan(b.spent_fen),
        committed: yuan(b.committed_fen),
        available: yuan(b.available_fen()),
        cap: b.enterprise_cap_fen.map(yuan).unwrap_or_default(),
    }
}

fn entry_line(e: &lianshi_app::subsidy::Entry, admin: bool) -> EntryLine {
    EntryLine {
        id: e.id,
        at: super::cst(&e.at),
        policy_code: e.policy_code.clone(),
        policy_title: e.policy_title.clone(),
        enterprise_name: e.enterprise_name.clone(),
        application_id: e.application_id,
        year: e.year,
        department: e
            .department_name
            .clone()
            .or_else(|| e.department_code.clone())
            .unwrap_or_default(),
        amount: yuan(e.amount_fen),
        negative: e.amount_fen < 0,
        reverses_id: e.reverses_id,
        reversed_by: e.reversed_by,
        actor: e.actor_name.clone(),
        note: e.note.clone(),
        can_reverse: admin && e.reverses_id.is_none() && e.reversed_by.is_none(),
    }
}

fn total_line(r: &lianshi_app::subsidy::Total) -> TotalLine {
    TotalLine {
        code: r.code.clone(),
        name: r.name.clone(),
        amount: yuan(r.fen),
        fen: r.fen,
        entries: r.entries,
    }
}

async fn policy_opts(s: &AppState, auth: &PageAuth, current: &str) -> Vec<Opt> {
    policy_opts_where(s, auth, current, |_| true).await
}

/// Policies open for applications (active), for the apply form.
async fn open_policy_opts(s: &AppState, auth: &PageAuth) -> Vec<Opt> {
    policy_opts_where(s, auth, "", |status| status == "active").await
}

async fn policy_opts_where(
    s: &AppState,
    auth: &PageAuth,
    current: &str,
    keep: impl Fn(&str) -> bool,
) -> Vec<Opt> {
    s.app
        .subsidy_policies(&auth.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|p| keep(&p.status))
        .map(|p| Opt::new(p.code.clone(), format!("{} {}", p.code, p.title), current))
        .collect()
}

fn state_opts(c: &Ctx, current: &str) -> Vec<Opt> {
    SubsidyState::ALL
        .into_iter()
        .map(|s| {
            Opt::new(
                s.as_str(),
                c.t.get(&format!("subsidy-state-{}", s.as_str())),
                current,
            )
        })
        .collect()
}

fn may_apply(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Department | Role::Enterprise)
}

fn form_error(c: &Ctx, e: &AppError) -> Option<(String, StatusCode)> {
    match e {
        AppError::BadRequest { .. } | AppError::Invalid(_) => {
            Some((super::enterprises::messages(c, e), StatusCode::BAD_REQUEST))
        }
        AppError::Refused { zh, en, code } => {
            Some((format!("{} ({code})", c.pick(zh, en)), StatusCode::CONFLICT))
        }
        AppError::Conflict(_) => Some((e.message(), StatusCode::CONFLICT)),
        _ => None,
    }
}

async fn render_list(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    parts: &Parts,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let m = query_map(parts);
    let g = |k: &str| m.get(k).cloned().unwrap_or_default();
    let q = SubsidyQuery {
        policy: Some(g("policy")),
        state: Some(g("state")),
        year: g("year").trim().parse().ok(),
        enterprise: Some(g("enterprise")),
        page: g("page").parse().ok(),
        per_page: Some(30),
    };
    let p = match s.app.subsidy_list(&auth.actor, &q).await {
        Ok(p) => p,
        Err(e) => return c.error(&e),
    };
    let base = query_string(&[
        ("policy", &g("policy")),
        ("state", &g("state")),
        ("year", &g("year")),
        ("enterprise", &g("enterprise")),
    ]);
    let (pages, prev, next) = pager(&base, p.page, p.per_page, p.total);
    let rows = p
        .items
        .iter()
        .map(|a| AppLine {
            id: a.row.id,
            policy_code: a.row.policy_code.clone(),
            policy_title: a.row.policy_title.clone(),
            enterprise_name: a.row.enterprise_name.clone(),
            uscc: a.row.uscc.clone(),
            year: a.row.year,
            amount: yuan(a.row.amount_fen),
            approved: a.row.approved_fen.map(yuan).unwrap_or_default(),
            state: a.row.state.clone(),
            state_label: c
                .t
                .get(&format!("subsidy-state-{}", a.row.state))
                .to_string(),
            created_at: super::cst(&a.row.created_at),
        })
        .collect();
    let role = auth.actor.role;
    let r = c.page(&SubsidiesPage {
        l: c.layout(auth, c.t.get("nav-subsidies"), "subsidies"),
        rows,
        total: p.total,
        pages,
        prev,
        next,
        policies: policy_opts(s, auth, &g("policy")).await,
        states: state_opts(c, &g("state")),
        year: g("year"),
        can_apply: may_apply(role),
        is_enterprise: role == Role::Enterprise,
        can_ledger: perm::ledger(&auth.actor).is_ok(),
        apply_policies: open_policy_opts(s, auth).await,
        form_key: App::subsidy_form_key(),
        notice,
        error: error.clone(),
    });
    if error.is_some() {
        with_status(r, StatusCode::BAD_REQUEST)
    } else {
        r
    }
}

async fn list(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let notice = query_map(&parts)
        .get("done")
        .filter(|d| d.as_str() == "paid")
        .map(|_| c.t.get("subsidy-done-paid").to_string());
    render_list(&s, &c, &auth, &parts, notice, None).await
}

async fn apply(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).filter(|v| !v.trim().is_empty());
    let inp = ApplyInput {
        policy: g("policy"),
        enterprise: g("enterprise"),
        amount: g("amount").map(serde_json::Value::String),
        year: g("year").and_then(|y| y.trim().parse().ok()),
        note: g("note"),
        request_key: g("request_key"),
        ..Default::default()
    };
    match s.app.subsidy_apply_input(&posted.auth.actor, &inp).await {
        Ok(a) => see_other(&format!("/subsidies/{}?done=applied", a.row.id)),
        Err(e) => match form_error(&c, &e) {
            Some((msg, status)) => {
                let r = render_list(&s, &c, &posted.auth, &parts, None, Some(msg)).await;
                with_status(r, status)
            }
            None => c.error(&e),
        },
    }
}

async fn render_detail(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let d = match s.app.subsidy_get(&auth.actor, id).await {
        Ok(d) => d,
        Err(e) => return c.error(&e),
    };
    let admin = d.allowed.reverse;
    let entries = d.entries.iter().map(|e| entry_line(e, admin)).collect();
    let title = format!(
        "{} · {}",
        d.application.row.policy_title, d.application.row.enterprise_name
    );
    c.page(&SubsidyPage {
        l: c.layout(auth, title, "subsidies"),
        amount: yuan(d.application.row.amount_fen),
        approved: d.application.row.approved_fen.map(yuan).unwrap_or_default(),
        created_at: super::cst(&d.application.row.created_at),
        entries,
        budget: d.budget.as_ref().map(budget_line),
        pay_key: payout_key(id),
        notice,
        error,
        d,
    })
}

async fn detail(
    State(s): State<AppState>,
    auth: PageAuth,
    parts: Parts,
    Path(id): Path<i64>,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let notice = match query_map(&parts).get("done").map(String::as_str) {
        Some("applied") => Some(c.t.get("subsidy-done-applied").to_string()),
        Some("acted") => Some(c.t.get("subsidy-done-acted").to_string()),
        Some("paid") => Some(c.t.get("subsidy-done-paid").to_string()),
        _ => None,
    };
    render_detail(&s, &c, &auth, id, notice, None).await
}

async fn act(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<i64>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).unwrap_or_default();
    let actor = &posted.auth.actor;
    let result = match g("action").as_str() {
        "review" => s
            .app
            .subsidy_act(actor, id, &SubsidyAction::Review)
            .await
            .map(|_| "acted"),
        "withdraw" => s
            .app
            .subsidy_act(actor, id, &SubsidyAction::Withdraw)
            .await
            .map(|_| "acted"),
        "reject" => s
            .app
            .subsidy_act(
                actor,
                id,
                &SubsidyAction::Reject {
                    reason: g("reason"),
                },
            )
            .await
            .map(|_| "acted"),
        "approve" => match parse_amount(&g("amount")) {
            Ok(fen) => s
                .app
                .subsidy_act(actor, id, &SubsidyAction::Approve { amount_fen: fen })
                .await
                .map(|_| "acted"),
            Err(e) => Err(AppError::from_invalid(e)),
        },
        "disburse" => {
            let key = posted
                .get("request_key")
                .filter(|k| !k.trim().is_empty())
                .unwrap_or_else(|| payout_key(id));
            s.app
                .subsidy_disburse(actor, id, &key)
                .await
                .map(|_| "paid")
        }
        other => Err(AppError::bad(
            "subsidy_action_invalid",
            format!("无法识别的操作“{other}”"),
            format!("unknown action '{other}'"),
        )),
    };
    match result {
        Ok(done) => see_other(&format!("/subsidies/{id}?done={done}")),
        Err(e) => match form_error(&c, &e) {
            Some((msg, status)) => {
                let r = render_detail(&s, &c, &posted.auth, id, None, Some(msg)).await;
                with_status(r, status)
            }
            None => c.error(&e),
        },
    }
}

async fn render_ledger(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    parts: &Parts,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let m = query_map(parts);
    let g = |k: &str| m.get(k).cloned().unwrap_or_default();
    let year = g("year").trim().parse::<i64>().ok();
    let q = LedgerQuery {
        year,
        policy: Some(g("policy")),
        department: Some(g("department")),
        page: g("page").parse().ok(),
        per_page: Some(50),
    };
    let p = match s.app.subsidy_ledger(&auth.actor, &q).await {
        Ok(p) => p,
        Err(e) => return c.error(&e),
    };
    let budgets = s
        .app
        .subsidy_budgets(&auth.actor, year)
        .await
        .unwrap_or_default();
    let base = query_string(&[
        ("year", &g("year")),
        ("policy", &g("policy")),
        ("department", &g("department")),
    ]);
    let (pages, prev, next) = pager(&base, p.page, p.per_page, p.total);
    let admin = perm::reverse(&auth.actor).is_ok();
    let r = c.page(&LedgerPage {
        l: c.layout(auth, c.t.get("subsidy-ledger"), "subsidies"),
        rows: p.items.iter().map(|e| entry_line(e, admin)).collect(),
        total: p.total,
        pages,
        prev,
        next,
        year: g("year"),
        policies: policy_opts(s, auth, &g("policy")).await,
        departments: super::orders::department_opts(s, &g("department")).await,
        total_amount: yuan(p.total_fen),
        total_fen: p.total_fen,
        by_policy: p.by_policy.iter().map(total_line).collect(),
        by_department: p.by_department.iter().map(total_line).collect(),
        budgets: budgets.iter().map(budget_line).collect(),
        is_admin: admin,
        can_budget: matches!(auth.actor.role, Role::Admin | Role::Department),
        budget_policies: policy_opts(s, auth, "").await,
        notice,
        error: error.clone(),
    });
    if error.is_some() {
        with_status(r, StatusCode::BAD_REQUEST)
    } else {
        r
    }
}

async fn ledger(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let m = query_map(&parts);
    let notice = match m.get("done").map(String::as_str) {
        Some("reversed") => Some(c.t.get("subsidy-done-reversed").to_string()),
        Some("budget") => Some(c.t.get("subsidy-done-budget").to_string()),
        Some("payout") => Some(format!(
            "{} {}",
            c.t.get("subsidy-done-payout"),
            m.get("paid").cloned().unwrap_or_default()
        )),
        _ => None,
    };
    render_ledger(&s, &c, &auth, &parts, notice, None).await
}

async fn ledger_error(
    s: &AppState,
    c: &Ctx,
    posted: &Posted,
    parts: &Parts,
    e: AppError,
) -> Response {
    match form_error(c, &e) {
        Some((msg, status)) => {
            let r = render_ledger(s, c, &posted.auth, parts, None, Some(msg)).await;
            with_status(r, status)
        }
        None => c.error(&e),
    }
}

async fn reverse(
    State(s): State<AppState>,
    parts: Parts,
    Path(id): Path<i64>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let reason = posted.get("reason").unwrap_or_default();
    let key = posted.get("request_key");
    match s
        .app
        .subsidy_reverse(&posted.auth.actor, id, &reason, key.as_deref())
        .await
    {
        Ok(_) => see_other("/subsidies/ledger?done=reversed"),
        Err(e) => ledger_error(&s, &c, &posted, &parts, e).await,
    }
}

async fn budget(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).filter(|v| !v.trim().is_empty());
    let inp = BudgetInput {
        policy: g("policy"),
        year: g("year").and_then(|y| y.trim().parse().ok()),
        budget: g("budget").map(serde_json::Value::String),
        enterprise_cap: g("enterprise_cap").map(serde_json::Value::String),
        ..Default::default()
    };
    match s.app.subsidy_budget_set(&posted.auth.actor, &inp).await {
        Ok(b) => see_other(&format!("/subsidies/ledger?year={}&done=budget", b.year)),
        Err(e) => ledger_error(&s, &c, &posted, &parts, e).await,
    }
}

async fn payout(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let year = posted.get("year").and_then(|y| y.trim().parse().ok());
    match s.app.subsidy_payout(&posted.auth.actor, year).await {
        Ok(r) => see_other(&format!(
            "/subsidies/ledger?done=payout&paid={}",
            r.paid.len()
        )),
        Err(e) => ledger_error(&s, &c, &posted, &parts, e).await,
    }
}
