//! 积分贷 pages: the score list by stage (admin, department), the indicator model (everyone but
//! providers; administrators edit it), one enterprise's score explanation, the enterprise's
//! consent page, and the bank page (consented enterprises with scores, record a loan, loans with
//! totals). Who sees what is decided by `lianshi_app::score`.

use super::form::trimmed;
use super::query::Done;
use super::{
    Ctx, Echo, FormError, Layout, Opt, OrShow, PageLink, PageResult, Query, pager, query_string,
    see_other, shown, url_escape, with_status,
};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use lianshi_app::App;
use lianshi_app::score::{
    ConsentInput, ContributionView, DimensionTotal, LoanInput, ModelInput, ModelPage, ScoreItem,
    ScoreQuery, StageCount, perm,
};
use lianshi_app::score::{ConsentRow, LoanRow};
use lianshi_domain::Role;
use lianshi_domain::money::Money;
use serde::Deserialize;

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

/// The score list's filters and what was just done (`done=run&n=` enterprises scored).
#[derive(Deserialize, Default)]
#[serde(default)]
struct ScoreFilters {
    stage: String,
    q: String,
    min: Option<f64>,
    page: Option<i64>,
    done: String,
    n: Option<i64>,
}

async fn list(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(m): Query<ScoreFilters>,
) -> PageResult {
    match auth.actor.role {
        Role::Finance => return Ok(see_other("/scores/bank")),
        Role::Enterprise => return Ok(see_other("/scores/consent")),
        _ => {}
    }
    perm::list_all(&auth.actor)?;
    let t = c.t;
    let stage = m.stage.trim().to_string();
    let q = ScoreQuery {
        stage: Some(stage.clone()).filter(|s| !s.is_empty()),
        q: trimmed(Some(m.q.clone())),
        min: m.min,
        page: Some(m.page.unwrap_or(1)),
        per_page: Some(50),
    };
    let (p, error) = match s.app.score_list(&auth.actor, &q).await {
        Ok(p) => (p, None),
        Err(e) => match c.form_error(&e) {
            // An unknown stage: the whole list, with the refusal.
            Some(f) => {
                let q2 = ScoreQuery {
                    stage: None,
                    ..q.clone()
                };
                (s.app.score_list(&auth.actor, &q2).await?, Some(f))
            }
            None => return Err(e.into()),
        },
    };
    let mut stage_opts = vec![Opt::new("", t.get("score-all-stages"), &stage)];
    stage_opts.extend(
        p.stages
            .iter()
            .map(|b| Opt::new(b.code.clone(), b.name.clone(), &stage)),
    );
    let min = m.min.map(|x| x.to_string()).unwrap_or_default();
    let base = query_string(&[("stage", &stage), ("q", &m.q), ("min", &min)]);
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
    let notice = (m.done == "run").then(|| {
        format!(
            "{} {}",
            t.get("score-run-done"),
            m.n.map(|n| n.to_string()).unwrap_or_default()
        )
    });
    let (code, error) = shown(error);
    let r = c.page(&ListPage {
        l: c.layout(&auth, t.get("nav-scores"), "scores"),
        run_info,
        stages: p.stages,
        stage_opts,
        items: p.items,
        total: p.total,
        q: m.q,
        min,
        pages,
        prev,
        next,
        can_run: perm::run(&auth.actor).is_ok(),
        notice,
        error,
    });
    Ok(with_status(r, code))
}

async fn run(State(s): State<AppState>, Posted { auth, form, .. }: Posted) -> PageResult {
    form?;
    let r = s.app.score_run(&auth.actor, App::today()).await?;
    Ok(see_other(&format!("/scores?done=run&n={}", r.enterprises)))
}

async fn render_model(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    draft: Option<(String, String)>,
    notice: Option<String>,
    error: Option<FormError>,
) -> PageResult {
    let m = s.app.score_model(&auth.actor).await?;
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
    let (status, error) = shown(error);
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
    Ok(with_status(r, status))
}

async fn model(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<Done>,
) -> PageResult {
    render_model(&s, &c, &auth, None, q.notice(c.t, "saved"), None).await
}

/// The model as TOML text, with a note on the change.
#[derive(Deserialize)]
struct ModelForm {
    model: Option<String>,
    #[serde(default)]
    note: String,
}

async fn model_save(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, echo }: Posted<ModelForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let inp = ModelInput {
            text: f.model,
            model: None,
            note: f.note,
        };
        s.app.score_model_save(&auth.actor, &inp).await?;
        Ok(see_other("/scores/model?done=saved"))
    }
    .await;
    done.or_show(&c, |err| {
        let draft = Some((echo.val("model"), echo.val("note")));
        render_model(&s, &c, &auth, draft, None, Some(err))
    })
    .await
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
    c: Ctx,
    auth: PageAuth,
    Path(uscc): Path<String>,
) -> PageResult {
    let d = s.app.score_detail(&auth.actor, &uscc).await?;
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
    Ok(c.page(&DetailPage {
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
    }))
}

async fn render_consent(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    notice: Option<String>,
    error: Option<FormError>,
) -> PageResult {
    let consents = s.app.score_consents(&auth.actor, None).await?;
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
    let (status, error) = shown(error);
    let r = c.page(&ConsentPage {
        l: c.layout(auth, c.t.get("score-consent-title"), "scores"),
        consents,
        uscc,
        score,
        loans,
        notice,
        error,
    });
    Ok(with_status(r, status))
}

async fn consent(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<Done>,
) -> PageResult {
    render_consent(&s, &c, &auth, q.notice(c.t, "saved"), None).await
}

/// The form is the app's input: an enterprise grants (or withdraws) a bank's access to its
/// score.
async fn consent_save(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, .. }: Posted<ConsentInput>,
) -> PageResult {
    let done: PageResult = async {
        s.app.score_consent_set(&auth.actor, &form?).await?;
        Ok(see_other("/scores/consent?done=saved"))
    }
    .await;
    done.or_show(&c, |err| render_consent(&s, &c, &auth, None, Some(err)))
        .await
}

/// The bank page's query: the list's search and page, and after a loan the enterprise.
#[derive(Deserialize, Default)]
#[serde(default)]
struct BankQuery {
    q: String,
    page: Option<i64>,
    enterprise: String,
    done: Option<String>,
}

async fn render_bank(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    m: BankQuery,
    echo: Echo,
    notice: Option<String>,
    error: Option<FormError>,
) -> PageResult {
    let q = ScoreQuery {
        q: trimmed(Some(m.q.clone())),
        page: m.page,
        per_page: Some(50),
        ..Default::default()
    };
    let p = s.app.score_list(&auth.actor, &q).await?;
    let base = query_string(&[("q", &m.q)]);
    let (pages, prev, next) = pager(&base, p.page, p.per_page, p.total);
    let loans = s.app.score_loans(&auth.actor).await?;
    let (status, error) = shown(error);
    // The loan form as typed, or empty with the enterprise just served, 12 months and today.
    let f = |k: &str, empty: String| {
        if echo.is_empty() { empty } else { echo.val(k) }
    };
    let r = c.page(&BankPage {
        l: c.layout(auth, c.t.get("score-bank-title"), "scores"),
        items: p.items,
        total: p.total,
        q: m.q,
        pages,
        prev,
        next,
        loans_count: loans.count,
        loans_total: money(&loans.total_fen),
        loans: loans.items,
        f_enterprise: f("enterprise", m.enterprise),
        f_amount: f("amount", String::new()),
        f_rate: f("rate", String::new()),
        f_term: f("term_months", "12".into()),
        f_date: f("granted_on", App::today().to_string()),
        f_note: f("note", String::new()),
        notice,
        error,
    });
    Ok(with_status(r, status))
}

async fn bank(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(m): Query<BankQuery>,
) -> PageResult {
    let notice = m
        .done
        .as_ref()
        .map(|_| c.t.get("score-loan-recorded").to_string());
    render_bank(&s, &c, &auth, m, Echo::default(), notice, None).await
}

/// A loan granted on a score: amount and rate as typed (the app reads them), term in months.
#[derive(Deserialize)]
struct LoanForm {
    #[serde(default)]
    enterprise: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    rate: String,
    term_months: i64,
    granted_on: Option<String>,
    #[serde(default)]
    note: String,
}

async fn loan_save(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, echo }: Posted<LoanForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        let inp = LoanInput {
            enterprise: f.enterprise,
            amount: serde_json::Value::String(f.amount),
            rate: serde_json::Value::String(f.rate),
            term_months: f.term_months,
            granted_on: f.granted_on,
            note: f.note,
        };
        let l = s.app.score_loan_record(&auth.actor, &inp).await?;
        Ok(see_other(&format!(
            "/scores/bank?done=loan&enterprise={}",
            url_escape(&l.uscc)
        )))
    }
    .await;
    done.or_show(&c, |err| {
        render_bank(&s, &c, &auth, BankQuery::default(), echo, None, Some(err))
    })
    .await
}
