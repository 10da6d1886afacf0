//! 惠企兑付 pages: the application list (申报, filters by policy, state and year, and the apply
//! form), one application with its review actions (受理, 批准 with an amount, 驳回 with a reason,
//! 兑付, 撤回) and its ledger entries, and the payout ledger (兑付台账) with totals per policy and
//! department, budget lines, batch payout and — for administrators — reversing corrections.
//!
//! Each form carries a request key rendered with the page, so a double submit files or pays once.

use super::query::Done;
use super::{
    Ctx, Echo, Layout, Opt, OrShow, PageLink, PageResult, Query, Shown, Yuan, pager, query_string,
    see_other, with_status,
};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use lianshi_app::subsidy::{
    ApplyInput, BudgetInput, LedgerQuery, SubsidyDetail, SubsidyQuery, perm,
};
use lianshi_app::{App, AppError};
use lianshi_domain::Money;
use lianshi_domain::Role;
use lianshi_domain::subsidy::{SubsidyAction, SubsidyState, parse_amount, payout_key};
use serde::Deserialize;

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
    /// The refused apply form's fields as typed.
    pub echo: Echo,
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
    /// The refused action's fields as typed.
    pub echo: Echo,
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
    /// The sums did not fit and were clamped: the totals cannot be trusted.
    pub overflow: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// The refused form's fields as typed (`budget`, `payout` or `reverse`).
    pub echo: Echo,
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
async fn open_policy_opts(s: &AppState, auth: &PageAuth, current: &str) -> Vec<Opt> {
    policy_opts_where(s, auth, current, |status| status == "active").await
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

/// The application list's filters and page, and what was just done (`paid`).
#[derive(Deserialize, Default)]
#[serde(default)]
struct AppFilters {
    policy: String,
    state: String,
    year: Option<i64>,
    enterprise: String,
    page: Option<i64>,
    done: Option<String>,
}

/// A year filter as typed in its field (empty for all years).
fn year_text(year: Option<i64>) -> String {
    year.map(|y| y.to_string()).unwrap_or_default()
}

async fn render_list(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    f: &AppFilters,
    shown: Shown,
) -> PageResult {
    let q = SubsidyQuery {
        policy: Some(f.policy.clone()),
        state: Some(f.state.clone()),
        year: f.year,
        enterprise: Some(f.enterprise.clone()),
        page: f.page,
        per_page: Some(30),
    };
    let p = s.app.subsidy_list(&auth.actor, &q).await?;
    let year = year_text(f.year);
    let base = query_string(&[
        ("policy", &f.policy),
        ("state", &f.state),
        ("year", &year),
        ("enterprise", &f.enterprise),
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
    let status = shown.status();
    let r = c.page(&SubsidiesPage {
        l: c.layout(auth, c.t.get("nav-subsidies"), "subsidies"),
        rows,
        total: p.total,
        pages,
        prev,
        next,
        policies: policy_opts(s, auth, &f.policy).await,
        states: state_opts(c, &f.state),
        year,
        can_apply: perm::browse(&auth.actor).is_ok(),
        is_enterprise: role == Role::Enterprise,
        can_ledger: perm::ledger(&auth.actor).is_ok(),
        apply_policies: open_policy_opts(s, auth, &shown.echo.val("policy")).await,
        form_key: App::subsidy_form_key(),
        notice: shown.notice,
        error: shown.error.map(|e| e.message),
        echo: shown.echo,
    });
    Ok(with_status(r, status))
}

async fn list(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(f): Query<AppFilters>,
) -> PageResult {
    let notice =
        (f.done.as_deref() == Some("paid")).then(|| c.t.get("subsidy-done-paid").to_string());
    render_list(&s, &c, &auth, &f, Shown::notice(notice)).await
}

/// An application for a subsidy. The amount is in 元; an empty year is the current one.
#[derive(Deserialize)]
struct ApplyForm {
    policy: Option<String>,
    enterprise: Option<String>,
    amount: Option<Yuan>,
    year: Option<i64>,
    note: Option<String>,
    request_key: Option<String>,
}

async fn apply(
    State(s): State<AppState>,
    c: Ctx,
    Query(filters): Query<AppFilters>,
    Posted { auth, form, echo }: Posted<ApplyForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let inp = ApplyInput {
            policy: f.policy,
            enterprise: f.enterprise,
            amount: f.amount.map(|a| serde_json::Value::String(a.0)),
            year: f.year,
            note: f.note,
            request_key: f.request_key,
            ..Default::default()
        };
        let a = s.app.subsidy_apply_input(&auth.actor, &inp).await?;
        Ok(see_other(&format!("/subsidies/{}?done=applied", a.row.id)))
    }
    .await;
    done.or_refuse(&c, echo, |shown| {
        render_list(&s, &c, &auth, &filters, shown)
    })
    .await
}

async fn render_detail(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    id: i64,
    shown: Shown,
) -> PageResult {
    let d = s.app.subsidy_get(&auth.actor, id).await?;
    let admin = d.allowed.reverse;
    let entries = d.entries.iter().map(|e| entry_line(e, admin)).collect();
    let title = format!(
        "{} · {}",
        d.application.row.policy_title, d.application.row.enterprise_name
    );
    let status = shown.status();
    let r = c.page(&SubsidyPage {
        l: c.layout(auth, title, "subsidies"),
        amount: yuan(d.application.row.amount_fen),
        approved: d.application.row.approved_fen.map(yuan).unwrap_or_default(),
        created_at: super::cst(&d.application.row.created_at),
        entries,
        budget: d.budget.as_ref().map(budget_line),
        pay_key: payout_key(id),
        notice: shown.notice,
        error: shown.error.map(|e| e.message),
        echo: shown.echo,
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
        Some("applied") => Some(c.t.get("subsidy-done-applied").to_string()),
        Some("acted") => Some(c.t.get("subsidy-done-acted").to_string()),
        Some("paid") => Some(c.t.get("subsidy-done-paid").to_string()),
        _ => None,
    };
    render_detail(&s, &c, &auth, id, Shown::notice(notice)).await
}

/// A step on an application: `review`, `withdraw`, `reject` (with a reason), `approve` (with
/// an amount in 元) or `disburse` (with the payout key).
#[derive(Deserialize)]
struct ActForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    amount: Option<Yuan>,
    request_key: Option<String>,
}

async fn act(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Posted { auth, form, echo }: Posted<ActForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let actor = &auth.actor;
        let step = match f.action.as_str() {
            "review" => SubsidyAction::Review,
            "withdraw" => SubsidyAction::Withdraw,
            "reject" => SubsidyAction::Reject { reason: f.reason },
            "approve" => {
                let text = f.amount.map(|a| a.0).unwrap_or_default();
                let fen = parse_amount(&text).map_err(AppError::from_invalid)?;
                SubsidyAction::Approve { amount_fen: fen }
            }
            "disburse" => {
                let key = f.request_key.unwrap_or_else(|| payout_key(id));
                s.app.subsidy_disburse(actor, id, &key).await?;
                return Ok(see_other(&format!("/subsidies/{id}?done=paid")));
            }
            other => {
                return Err(AppError::bad(
                    "subsidy_action_invalid",
                    format!("无法识别的操作“{other}”"),
                    format!("unknown action '{other}'"),
                )
                .into());
            }
        };
        s.app.subsidy_act(actor, id, &step).await?;
        Ok(see_other(&format!("/subsidies/{id}?done=acted")))
    }
    .await;
    done.or_refuse(&c, echo, |shown| render_detail(&s, &c, &auth, id, shown))
        .await
}

/// The ledger's filters and page, and what was just done (`reversed`, `budget`, `payout` of
/// `paid` applications).
#[derive(Deserialize, Default)]
#[serde(default)]
struct LedgerFilters {
    year: Option<i64>,
    policy: String,
    department: String,
    page: Option<i64>,
    done: Option<String>,
    paid: Option<u64>,
}

async fn render_ledger(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    f: &LedgerFilters,
    shown: Shown,
) -> PageResult {
    let q = LedgerQuery {
        year: f.year,
        policy: Some(f.policy.clone()),
        department: Some(f.department.clone()),
        page: f.page,
        per_page: Some(50),
    };
    let p = s.app.subsidy_ledger(&auth.actor, &q).await?;
    let budgets = s
        .app
        .subsidy_budgets(&auth.actor, f.year)
        .await
        .unwrap_or_default();
    let year = year_text(f.year);
    let base = query_string(&[
        ("year", &year),
        ("policy", &f.policy),
        ("department", &f.department),
    ]);
    let (pages, prev, next) = pager(&base, p.page, p.per_page, p.total);
    let admin = perm::reverse(&auth.actor).is_ok();
    let status = shown.status();
    let r = c.page(&LedgerPage {
        l: c.layout(auth, c.t.get("subsidy-ledger"), "subsidies"),
        rows: p.items.iter().map(|e| entry_line(e, admin)).collect(),
        total: p.total,
        pages,
        prev,
        next,
        year,
        policies: policy_opts(s, auth, &f.policy).await,
        departments: super::orders::department_opts(s, &f.department).await,
        total_amount: yuan(p.total_fen),
        total_fen: p.total_fen,
        by_policy: p.by_policy.iter().map(total_line).collect(),
        by_department: p.by_department.iter().map(total_line).collect(),
        budgets: budgets.iter().map(budget_line).collect(),
        is_admin: admin,
        can_budget: perm::budget_any(&auth.actor).is_ok(),
        budget_policies: policy_opts(s, auth, &shown.echo.of("budget", "policy")).await,
        overflow: ledger_overflow(&p),
        notice: shown.notice,
        error: shown.error.map(|e| e.message),
        echo: shown.echo,
    });
    Ok(with_status(r, status))
}

/// Whether the ledger's sums did not fit: the store saturates a sum that overflows (and flags
/// it in `Totals::overflow`, which the app's ledger page does not carry yet), so a sum at the
/// limit is one that was clamped — no ledger within the input bounds reaches it.
fn ledger_overflow(p: &lianshi_app::subsidy::LedgerPage) -> bool {
    let clamped = |fen: i64| fen == i64::MAX || fen == i64::MIN;
    clamped(p.total_fen)
        || p.by_policy.iter().any(|r| clamped(r.fen))
        || p.by_department.iter().any(|r| clamped(r.fen))
}

async fn ledger(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(f): Query<LedgerFilters>,
) -> PageResult {
    let notice = match f.done.as_deref() {
        Some("reversed") => Some(c.t.get("subsidy-done-reversed").to_string()),
        Some("budget") => Some(c.t.get("subsidy-done-budget").to_string()),
        Some("payout") => Some(format!(
            "{} {}",
            c.t.get("subsidy-done-payout"),
            f.paid.map(|n| n.to_string()).unwrap_or_default()
        )),
        _ => None,
    };
    render_ledger(&s, &c, &auth, &f, Shown::notice(notice)).await
}

/// After a form on the ledger: where `done` leads, or the ledger again (with the filters of
/// `f`) showing the refusal and the text of the form `echo` names.
async fn ledger_or_refuse(
    (s, c, auth): (&AppState, &Ctx, &PageAuth),
    f: &LedgerFilters,
    done: PageResult,
    echo: Echo,
) -> PageResult {
    done.or_refuse(c, echo, |shown| render_ledger(s, c, auth, f, shown))
        .await
}

/// Reverse a ledger entry (administrators), with a reason.
#[derive(Deserialize)]
struct ReverseForm {
    #[serde(default)]
    reason: String,
    request_key: Option<String>,
}

async fn reverse(
    State(s): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    Query(filters): Query<LedgerFilters>,
    Posted { auth, form, echo }: Posted<ReverseForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        s.app
            .subsidy_reverse(&auth.actor, id, &f.reason, f.request_key.as_deref())
            .await?;
        Ok(see_other("/subsidies/ledger?done=reversed"))
    }
    .await;
    ledger_or_refuse((&s, &c, &auth), &filters, done, echo.named("reverse")).await
}

/// A policy's budget for a year, with an optional per-enterprise cap, both in 元.
#[derive(Deserialize)]
struct BudgetForm {
    policy: Option<String>,
    year: Option<i64>,
    budget: Option<Yuan>,
    enterprise_cap: Option<Yuan>,
}

async fn budget(
    State(s): State<AppState>,
    c: Ctx,
    Query(filters): Query<LedgerFilters>,
    Posted { auth, form, echo }: Posted<BudgetForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let inp = BudgetInput {
            policy: f.policy,
            year: f.year,
            budget: f.budget.map(|y| serde_json::Value::String(y.0)),
            enterprise_cap: f.enterprise_cap.map(|y| serde_json::Value::String(y.0)),
            ..Default::default()
        };
        let b = s.app.subsidy_budget_set(&auth.actor, &inp).await?;
        Ok(see_other(&format!(
            "/subsidies/ledger?year={}&done=budget",
            b.year
        )))
    }
    .await;
    ledger_or_refuse((&s, &c, &auth), &filters, done, echo.named("budget")).await
}

/// Pay out the approved applications of a year (all years when empty).
#[derive(Deserialize)]
struct PayoutForm {
    year: Option<i64>,
}

async fn payout(
    State(s): State<AppState>,
    c: Ctx,
    Query(filters): Query<LedgerFilters>,
    Posted { auth, form, echo }: Posted<PayoutForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let r = s.app.subsidy_payout(&auth.actor, f.year).await?;
        Ok(see_other(&format!(
            "/subsidies/ledger?done=payout&paid={}",
            r.paid.len()
        )))
    }
    .await;
    ledger_or_refuse((&s, &c, &auth), &filters, done, echo.named("payout")).await
}
