//! 积分贷 pages: the score list by stage (admin, department), the indicator model (everyone but
//! providers; administrators edit it), one enterprise's score explanation, the enterprise's
//! consent page, and the bank page (consented enterprises with scores, record a loan, loans with
//! totals). Who sees what is decided by `lianshi_app::score`.

use super::{
    Ctx, Layout, Opt, PageLink, pager, query_map, query_string, see_other, url_escape, with_status,
};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post};
use lianshi_app::score::{
    ConsentInput, ContributionView, DimensionTotal, LoanInput, ModelInput, ModelPage, ScoreItem,
    ScoreQuery, StageCount, perm,
};
use lianshi_app::score::{ConsentRow, LoanRow};
use lianshi_app::{App, AppError};
use lianshi_domain::Role;
use lianshi_domain::money::Money;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/scores", get(list))
        .route("/scores/run", post(run))
        .route("/scores/model", get(model).post(model_save))
        .route("/scores/enterprises/{uscc}", get(detail))
        .route("/scores/consent", get(consent).post(consent_save))
        .route("/scores/bank", get(bank))
        .route("/scores/loans", post(loan_save))
}

/// A score shown with two decimals.
pub fn pts(x: &f64) -> String {
    format!("{x:.2}")
}

/// A share 0–1 as a whole percentage.
pub fn pct(x: &f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// A score stored ×100 shown with two decimals.
pub fn pts_x100(x: &i64) -> String {
    format!("{}.{:02}", x / 100, x % 100)
}

/// An amount of fen in 万元 (or 元 below 1万).
pub fn money(fen: &i64) -> String {
    Money(*fen).format_auto()
}

/// A revenue band limit in 元, the Chinese way (50万, 1亿).
pub fn band(yuan: &i64) -> String {
    Money(yuan.saturating_mul(100)).format_auto()
}

/// Basis points of a percent as `3.45` (the column header says %).
pub fn rate(bp: &i64) -> String {
    format!("{}.{:02}", bp / 100, bp % 100)
}

#[derive(Template)]
#[template(path = "scores.html")]
pub struct ListPage {
    pub l: Layout,
    pub run_info: Option<String>,
    pub stages: Vec<StageCount>,
    pub stage_opts: Vec<Opt>,
    pub items: Vec<ScoreItem>,
    pub total: i64,
    pub q: String,
    pub min: String,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub can_run: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// An indicator of a dimension on the model page: (code, name, weight).
pub type DimIndicator = (String, String, f64);

#[derive(Template)]
#[template(path = "scores_model.html")]
pub struct ModelView {
    pub l: Layout,
    pub m: ModelPage,
    /// (dimension name, total weight, its indicators).
    pub dims: Vec<(String, f64, Vec<DimIndicator>)>,
    pub catalog: Vec<(String, String, String, String)>,
    pub unavailable: Vec<String>,
    pub text: String,
    pub note: String,
    pub can_edit: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "scores_detail.html")]
pub struct DetailPage {
    pub l: Layout,
    pub item: ScoreItem,
    pub model: String,
    pub model_version: i64,
    pub scored_on: String,
    pub dimensions: Vec<DimensionTotal>,
    /// (contribution, indicator name, value text).
    pub rows: Vec<(ContributionView, String, String)>,
    pub back: String,
}

#[derive(Template)]
#[template(path = "scores_consent.html")]
pub struct ConsentPage {
    pub l: Layout,
    pub consents: Vec<ConsentRow>,
    pub uscc: String,
    pub score: Option<ScoreItem>,
    pub loans: Vec<LoanRow>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "scores_bank.html")]
pub struct BankPage {
    pub l: Layout,
    pub items: Vec<ScoreItem>,
    pub total: i64,
    pub q: String,
    pub pages: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub loans: Vec<LoanRow>,
    pub loans_count: i64,
    pub loans_total: String,
    pub f_enterprise: String,
    pub f_amount: String,
    pub f_rate: String,
    pub f_term: String,
    pub f_date: String,
    pub f_note: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

fn opt(m: &HashMap<String, String>, k: &str) -> Option<String> {
    m.get(k)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn error_text(c: &Ctx, e: &AppError) -> String {
    super::messages(c, e)
}

fn soft(e: &AppError) -> bool {
    matches!(e, AppError::BadRequest { .. } | AppError::Invalid(_))
}

async fn list(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    match auth.actor.role {
        Role::Finance => return see_other("/scores/bank"),
        Role::Enterprise => return see_other("/scores/consent"),
        _ => {}
    }
    let c = Ctx::of(&s, &parts).await;
    if let Err(e) = perm::list_all(&auth.actor) {
        return c.error(&e);
    }
    let m = query_map(&parts);
    let t = c.t;
    let stage = opt(&m, "stage").unwrap_or_default();
    let page: i64 = opt(&m, "page").and_then(|v| v.parse().ok()).unwrap_or(1);
    let q = ScoreQuery {
        stage: Some(stage.clone()).filter(|s| !s.is_empty()),
        q: opt(&m, "q"),
        min: opt(&m, "min").and_then(|v| v.parse().ok()),
        page: Some(page),
        per_page: Some(50),
    };
    let (p, error, code) = match s.app.score_list(&auth.actor, &q).await {
        Ok(p) => (p, None, StatusCode::OK),
        Err(e) if soft(&e) => {
            let q2 = ScoreQuery {
                stage: None,
                ..q.clone()
            };
            match s.app.score_list(&auth.actor, &q2).await {
                Ok(p) => (p, Some(error_text(&c, &e)), StatusCode::BAD_REQUEST),
                Err(e) => return c.error(&e),
            }
        }
        Err(e) => return c.error(&e),
    };
    let mut stage_opts = vec![Opt::new("", t.get("score-all-stages"), &stage)];
    stage_opts.extend(
        p.stages
            .iter()
            .map(|b| Opt::new(b.code.clone(), b.name.clone(), &stage)),
    );
    let base = query_string(&[
        ("stage", &stage),
        ("q", m.get("q").map(String::as_str).unwrap_or("")),
        ("min", m.get("min").map(String::as_str).unwrap_or("")),
    ]);
    let (pages, prev, next) = pager(&base, p.page, p.per_page, p.total);
    let run_info = p.run.as_ref().map(|r| {
        format!(
            "{} {} · {} v{} · {} {}",
            t.get("score-run-on"),
            r.scored_on,
            t.get("score-model"),
            r.model_version,
            r.enterprises,
            t.get("score-enterprises-unit")
        )
    });
    let notice = match m.get("done").map(String::as_str) {
        Some("run") => Some(format!(
            "{} {}",
            t.get("score-run-done"),
            m.get("n").cloned().unwrap_or_default()
        )),
        _ => None,
    };
    let r = c.page(&ListPage {
        l: c.layout(&auth, t.get("nav-scores"), "scores"),
        run_info,
        stages: p.stages,
        stage_opts,
        items: p.items,
        total: p.total,
        q: m.get("q").cloned().unwrap_or_default(),
        min: m.get("min").cloned().unwrap_or_default(),
        pages,
        prev,
        next,
        can_run: perm::run(&auth.actor).is_ok(),
        notice,
        error,
    });
    with_status(r, code)
}

async fn run(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    match s.app.score_run(&posted.auth.actor, App::today()).await {
        Ok(r) => see_other(&format!("/scores?done=run&n={}", r.enterprises)),
        Err(e) => c.error(&e),
    }
}

async fn render_model(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    draft: Option<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let m = match s.app.score_model(&auth.actor).await {
        Ok(m) => m,
        Err(e) => return c.error(&e),
    };
    let name = |code: &str| {
        lianshi_domain::score::indicator(code)
            .map(|d| c.pick(d.name_zh, d.name_en))
            .unwrap_or_else(|| code.to_string())
    };
    let dims = m
        .current
        .model
        .dimensions
        .iter()
        .map(|d| {
            (
                d.name.clone(),
                d.indicators.iter().map(|w| w.weight).sum(),
                d.indicators
                    .iter()
                    .map(|w| (w.code.clone(), name(&w.code), w.weight))
                    .collect(),
            )
        })
        .collect();
    let catalog = m
        .catalog
        .iter()
        .map(|i| {
            (
                i.code.to_string(),
                c.pick(i.name_zh, i.name_en),
                c.pick(i.source_zh, i.source_en),
                i.weight.map(|w| format!("{w}")).unwrap_or_default(),
            )
        })
        .collect();
    let unavailable = if c.t.is_en() {
        m.unavailable_en.iter().map(|s| s.to_string()).collect()
    } else {
        m.unavailable_zh.iter().map(|s| s.to_string()).collect()
    };
    let (text, note) = draft.unwrap_or_else(|| (m.current.text.clone(), String::new()));
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let r = c.page(&ModelView {
        l: c.layout(auth, c.t.get("score-model-title"), "scores"),
        dims,
        catalog,
        unavailable,
        text,
        note,
        can_edit: perm::edit_model(&auth.actor).is_ok(),
        m,
        notice,
        error,
    });
    with_status(r, status)
}

async fn model(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let notice = query_map(&parts)
        .get("done")
        .map(|_| c.t.get("saved").to_string());
    render_model(&s, &c, &auth, None, notice, None).await
}

async fn model_save(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let inp = ModelInput {
        text: posted.get("model"),
        model: None,
        note: posted.get("note").unwrap_or_default(),
    };
    match s.app.score_model_save(&posted.auth.actor, &inp).await {
        Ok(_) => see_other("/scores/model?done=saved"),
        Err(e) if soft(&e) => {
            let msg = format!("{}（{}）", error_text(&c, &e), e.code());
            let draft = Some((inp.text.unwrap_or_default(), inp.note));
            render_model(&s, &c, &posted.auth, draft, None, Some(msg)).await
        }
        Err(e) => c.error(&e),
    }
}

fn value_text(c: &Ctx, v: &ContributionView) -> String {
    let Some(x) = v.c.value else {
        return c.t.get("score-missing").to_string();
    };
    match v.c.indicator.as_str() {
        "rd_spend" | "tax" | "revenue" => Money((x * 100.0).round() as i64).format_auto(),
        "rd_ratio" | "tech_ratio" | "revenue_growth" | "headcount_growth" => {
            format!("{:.1}%", x * 100.0)
        }
        "age_years" => format!("{x:.1}"),
        "tech_staff" | "headcount" => format!("{x:.0}"),
        "srdi" if x >= 1.0 => "专精特新小巨人".into(),
        "srdi" if x > 0.0 => "专精特新".into(),
        _ => {
            if x >= 1.0 {
                c.t.get("yes").to_string()
            } else {
                c.t.get("no").to_string()
            }
        }
    }
}

async fn detail(
    State(s): State<AppState>,
    auth: PageAuth,
    parts: Parts,
    Path(uscc): Path<String>,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let d = match s.app.score_detail(&auth.actor, &uscc).await {
        Ok(d) => d,
        Err(e) => return c.error(&e),
    };
    let rows = d
        .contributions
        .into_iter()
        .map(|v| {
            let name = c.pick(&v.name_zh, &v.name_en);
            let val = value_text(&c, &v);
            (v, name, val)
        })
        .collect();
    let back = match auth.actor.role {
        Role::Finance => "/scores/bank",
        Role::Enterprise => "/scores/consent",
        _ => "/scores",
    };
    c.page(&DetailPage {
        l: c.layout(
            &auth,
            format!("{} · {}", d.item.name, c.t.get("score-detail")),
            "scores",
        ),
        item: d.item,
        model: d.model_name,
        model_version: d.model_version,
        scored_on: d.scored_on,
        dimensions: d.dimensions,
        rows,
        back: back.into(),
    })
}

async fn render_consent(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let consents = match s.app.score_consents(&auth.actor, None).await {
        Ok(x) => x,
        Err(e) => return c.error(&e),
    };
    let ent = match auth.actor.enterprise_id {
        Some(id) => s.app.db.enterprise_by_id(id).await.ok().flatten(),
        None => None,
    };
    let uscc = ent.map(|e| e.uscc).unwrap_or_default();
    let score = s
        .app
        .score_detail(&auth.actor, &uscc)
        .await
        .ok()
        .map(|d| d.item);
    let loans = s
        .app
        .score_loans(&auth.actor)
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let r = c.page(&ConsentPage {
        l: c.layout(auth, c.t.get("score-consent-title"), "scores"),
        consents,
        uscc,
        score,
        loans,
        notice,
        error,
    });
    with_status(r, status)
}

async fn consent(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let notice = query_map(&parts)
        .get("done")
        .map(|_| c.t.get("saved").to_string());
    render_consent(&s, &c, &auth, notice, None).await
}

async fn consent_save(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let inp = ConsentInput {
        enterprise: posted.get("enterprise").filter(|v| !v.trim().is_empty()),
        institution: posted.get("institution").unwrap_or_default(),
        granted: posted.get("granted").as_deref() == Some("1"),
    };
    match s.app.score_consent_set(&posted.auth.actor, &inp).await {
        Ok(_) => see_other("/scores/consent?done=saved"),
        Err(e) if soft(&e) => {
            let msg = error_text(&c, &e);
            render_consent(&s, &c, &posted.auth, None, Some(msg)).await
        }
        Err(e) => c.error(&e),
    }
}

async fn render_bank(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    form: HashMap<String, String>,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let m = form;
    let f = |k: &str| m.get(k).cloned().unwrap_or_default();
    let q = ScoreQuery {
        q: opt(&m, "q"),
        page: opt(&m, "page").and_then(|v| v.parse().ok()),
        per_page: Some(50),
        ..Default::default()
    };
    let p = match s.app.score_list(&auth.actor, &q).await {
        Ok(p) => p,
        Err(e) => return c.error(&e),
    };
    let base = query_string(&[("q", &f("q"))]);
    let (pages, prev, next) = pager(&base, p.page, p.per_page, p.total);
    let loans = match s.app.score_loans(&auth.actor).await {
        Ok(l) => l,
        Err(e) => return c.error(&e),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let r = c.page(&BankPage {
        l: c.layout(auth, c.t.get("score-bank-title"), "scores"),
        items: p.items,
        total: p.total,
        q: f("q"),
        pages,
        prev,
        next,
        loans_count: loans.count,
        loans_total: money(&loans.total_fen),
        loans: loans.items,
        f_enterprise: f("enterprise"),
        f_amount: f("amount"),
        f_rate: f("rate"),
        f_term: Some(f("term_months"))
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "12".into()),
        f_date: Some(f("granted_on"))
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| App::today().to_string()),
        f_note: f("note"),
        notice,
        error,
    });
    with_status(r, status)
}

async fn bank(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let m = query_map(&parts);
    let notice = m
        .get("done")
        .map(|_| c.t.get("score-loan-recorded").to_string());
    render_bank(&s, &c, &auth, m, notice, None).await
}

async fn loan_save(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).unwrap_or_default();
    let inp = LoanInput {
        enterprise: g("enterprise"),
        amount: serde_json::Value::String(g("amount")),
        rate: serde_json::Value::String(g("rate")),
        term_months: g("term_months").trim().parse().unwrap_or(0),
        granted_on: posted.get("granted_on"),
        note: g("note"),
    };
    match s.app.score_loan_record(&posted.auth.actor, &inp).await {
        Ok(l) => see_other(&format!(
            "/scores/bank?done=loan&enterprise={}",
            url_escape(&l.uscc)
        )),
        Err(e) if soft(&e) => {
            let msg = format!("{}（{}）", error_text(&c, &e), e.code());
            let mut form = posted.map();
            form.remove("_csrf");
            render_bank(&s, &c, &posted.auth, form, None, Some(msg)).await
        }
        Err(e) => c.error(&e),
    }
}
