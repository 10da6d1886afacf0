//! Voucher pages (创新券 / 算力券 / 模型券): the schemes with pool figures, one scheme with its
//! tiers, rounds and grants (and the forms to open a round and grant quota), the provider's
//! redemption form and list, the enterprise's vouchers with redemptions to confirm, and the
//! platform's write-off queue with the ledger check. Every handler calls the app; the app decides
//! who may do what (403 through the error page).

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
use lianshi_app::voucher::{
    CheckRow, GrantInput, ProviderInput, RedemptionInput, RedemptionView, RoundInput, SchemeInput,
    SchemeView, VoucherView,
};
use lianshi_app::{App, AppError};
use lianshi_domain::Role;
use lianshi_domain::money::Money;
use lianshi_domain::voucher::{RedemptionAction, SchemeKind, SchemeRules};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/vouchers", get(index))
        .route("/vouchers/schemes", post(scheme_create))
        .route("/vouchers/schemes/{code}", get(scheme))
        .route("/vouchers/schemes/{code}/rules", post(scheme_rules))
        .route("/vouchers/schemes/{code}/rounds", post(round_create))
        .route("/vouchers/schemes/{code}/rounds/fix", post(round_fix))
        .route("/vouchers/grant", post(grant))
        .route("/vouchers/provider", get(provider).post(redeem))
        .route("/vouchers/mine", get(mine))
        .route("/vouchers/queue", get(queue))
        .route("/vouchers/redemptions/{id}/{action}", post(act))
        .route("/vouchers/providers", post(provider_register))
        .route("/vouchers/related", post(related_add))
        .route("/vouchers/related/remove", post(related_remove))
        .route("/vouchers/providers/{uscc}/active", post(provider_active))
}

fn y(fen: i64) -> String {
    Money(fen).format_auto()
}

fn pct(bp: i64) -> String {
    if bp % 100 == 0 {
        format!("{}%", bp / 100)
    } else {
        format!("{:.2}%", bp as f64 / 100.0)
    }
}

/// The ledger check of a scheme as shown.
pub struct CheckLine {
    pub c: CheckRow,
    pub issued: String,
    pub redeemed: String,
    pub outstanding: String,
    pub expired: String,
}

/// The figures of a scheme as shown.
pub struct SchemeLine {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind_label: String,
    pub issuer: String,
    pub status: String,
    pub pool: String,
    pub issued: String,
    pub redeemed: String,
    pub outstanding: String,
    pub expired: String,
    pub available: String,
    pub issued_fen: i64,
    pub redeemed_fen: i64,
    pub outstanding_fen: i64,
    pub expired_fen: i64,
}

fn line(s: &SchemeView, en: bool) -> SchemeLine {
    let f = s.figures;
    SchemeLine {
        id: s.id,
        code: s.code.clone(),
        name: s.name.clone(),
        kind_label: lianshi_domain::voucher::SchemeKind::parse(&s.kind)
            .map(|k| if en { k.label_en() } else { k.label_zh() })
            .unwrap_or("")
            .to_string(),
        issuer: s.issuer.clone(),
        status: s.status.clone(),
        pool: y(f.pool_fen),
        issued: y(f.issued_fen),
        redeemed: y(f.redeemed_fen),
        outstanding: y(f.outstanding_fen),
        expired: y(f.expired_fen),
        available: y(s.available_fen),
        issued_fen: f.issued_fen,
        redeemed_fen: f.redeemed_fen,
        outstanding_fen: f.outstanding_fen,
        expired_fen: f.expired_fen,
    }
}

/// A redemption as shown.
pub struct RedLine {
    pub id: i64,
    pub scheme: String,
    pub enterprise: String,
    pub provider: String,
    pub contract_no: String,
    pub invoice: String,
    pub amount: String,
    pub amount_fen: i64,
    pub tier: String,
    pub rate: String,
    pub explain: String,
    pub status: String,
    pub status_label: String,
    pub submitted: String,
    pub reason: String,
}

fn red(r: &RedemptionView) -> RedLine {
    RedLine {
        id: r.r.id,
        scheme: r.r.scheme_name.clone(),
        enterprise: r.r.enterprise_name.clone(),
        provider: r.r.provider_name.clone(),
        contract_no: r.r.contract_no.clone(),
        invoice: y(r.r.invoice_fen),
        amount: y(r.r.amount_fen),
        amount_fen: r.r.amount_fen,
        tier: r.r.tier.clone(),
        rate: pct(r.r.rate_bp),
        explain: r.r.explain.clone(),
        status: r.r.status.clone(),
        status_label: r.status_label.clone(),
        submitted: super::cst(&r.r.submitted_at),
        reason: r.r.reason.clone().unwrap_or_default(),
    }
}

/// A voucher as shown.
pub struct VLine {
    pub id: i64,
    pub enterprise: String,
    pub uscc: String,
    pub scheme: String,
    pub round: String,
    pub amount: String,
    pub held: String,
    pub redeemed: String,
    pub expired: String,
    pub free: String,
    pub valid_until: String,
    pub status: String,
}

fn vline(v: &VoucherView) -> VLine {
    VLine {
        id: v.voucher.id,
        enterprise: v.voucher.enterprise_name.clone(),
        uscc: v.voucher.enterprise_uscc.clone(),
        scheme: v.voucher.scheme_name.clone(),
        round: v.voucher.round_name.clone(),
        amount: y(v.voucher.amount_fen),
        held: y(v.voucher.held_fen),
        redeemed: y(v.voucher.redeemed_fen),
        expired: y(v.voucher.expired_fen),
        free: y(v.free_fen),
        valid_until: v.voucher.valid_until.clone(),
        status: v.voucher.status.clone(),
    }
}

fn form_error(c: &Ctx, e: &AppError) -> Option<(StatusCode, String)> {
    match e {
        AppError::BadRequest { .. } | AppError::Invalid(_) => Some((
            StatusCode::BAD_REQUEST,
            format!("{}（{}）", super::enterprises::messages(c, e), e.code()),
        )),
        AppError::Refused { zh, en, .. } => Some((
            StatusCode::CONFLICT,
            format!("{}（{}）", c.pick(zh, en), e.code()),
        )),
        AppError::Conflict(_) | AppError::NotFound(_) => Some((
            StatusCode::CONFLICT,
            format!("{}（{}）", e.message(), e.code()),
        )),
        _ => None,
    }
}

/// The new-scheme form's values (kept when the form comes back with an error).
#[derive(Default)]
pub struct SchemeForm {
    pub code: String,
    pub kind: String,
    pub name: String,
    pub issuer: String,
    pub legal_ref: String,
    pub rules_json: String,
}

#[derive(Template)]
#[template(path = "vouchers.html")]
pub struct IndexPage {
    pub l: Layout,
    pub schemes: Vec<SchemeLine>,
    pub is_staff: bool,
    pub is_manager: bool,
    pub is_provider: bool,
    pub is_enterprise: bool,
    pub form: SchemeForm,
    pub kind_opts: Vec<Opt>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// A starting point for a new scheme's rules: one tier of 30 %, a year's validity.
fn rules_template() -> String {
    let rules = SchemeRules {
        tiers: vec![lianshi_domain::voucher::RateTier {
            code: "base".into(),
            label_zh: "基本档".into(),
            label_en: "Base".into(),
            rate_bp: 3000,
            ..Default::default()
        }],
        validity_days: 365,
        ..Default::default()
    };
    serde_json::to_string_pretty(&rules).unwrap_or_default()
}

/// Read the rules text of a form; a JSON error names its line and column.
fn parse_rules(c: &Ctx, text: &str) -> Result<SchemeRules, (StatusCode, String)> {
    serde_json::from_str(text).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!(
                "{}（voucher_rules_json）",
                c.pick(
                    &format!("规则 JSON 第 {} 行第 {} 列有误：{e}", e.line(), e.column()),
                    &format!("rules JSON, line {} column {}: {e}", e.line(), e.column()),
                )
            ),
        )
    })
}

async fn index(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let q = query_map(&parts);
    let notice = q
        .get("done")
        .map(|_| c.t.get("voucher-done-scheme").to_string());
    let form = SchemeForm {
        kind: "innovation".into(),
        rules_json: rules_template(),
        ..Default::default()
    };
    render_index(&s, &c, &auth, form, notice, None).await
}

async fn render_index(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    form: SchemeForm,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let a = &auth.actor;
    let schemes = match s.app.voucher_schemes(a).await {
        Ok(v) => v,
        Err(e) => return c.error(&e),
    };
    let en = c.t.is_en();
    let kind_opts = [
        SchemeKind::Innovation,
        SchemeKind::Compute,
        SchemeKind::Model,
    ]
    .into_iter()
    .map(|k| {
        Opt::new(
            k.as_str(),
            if en { k.label_en() } else { k.label_zh() },
            &form.kind,
        )
    })
    .collect();
    let status = error.as_ref().map(|e| e.0).unwrap_or(StatusCode::OK);
    let r = c.page(&IndexPage {
        l: c.layout(auth, c.t.get("nav-vouchers"), "vouchers"),
        schemes: schemes.iter().map(|x| line(x, en)).collect(),
        is_staff: lianshi_app::voucher::perm::view_all(a).is_ok(),
        is_manager: lianshi_app::voucher::perm::manage(a).is_ok(),
        is_provider: a.role == Role::Provider,
        is_enterprise: a.role == Role::Enterprise,
        form,
        kind_opts,
        notice,
        error: error.map(|e| e.1),
    });
    with_status(r, status)
}

async fn scheme_create(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let form = SchemeForm {
        code: posted.get("code").unwrap_or_default(),
        kind: posted.get("kind").unwrap_or_default(),
        name: posted.get("name").unwrap_or_default(),
        issuer: posted.get("issuer").unwrap_or_default(),
        legal_ref: posted.get("legal_ref").unwrap_or_default(),
        rules_json: posted.get("rules_json").unwrap_or_default(),
    };
    let rules = match parse_rules(&c, &form.rules_json) {
        Ok(r) => r,
        Err(err) => return render_index(&s, &c, &posted.auth, form, None, Some(err)).await,
    };
    let inp = SchemeInput {
        code: form.code.clone(),
        kind: form.kind.clone(),
        name: form.name.clone(),
        issuer: form.issuer.clone(),
        legal_ref: form.legal_ref.clone(),
        status: None,
        rules,
    };
    match s.app.voucher_scheme_create(&posted.auth.actor, &inp).await {
        Ok(v) => see_other(&format!(
            "/vouchers/schemes/{}?done=scheme",
            super::url_escape(&v.code)
        )),
        Err(e) => match form_error(&c, &e) {
            Some(err) => render_index(&s, &c, &posted.auth, form, None, Some(err)).await,
            None => c.error(&e),
        },
    }
}

/// A tier as shown.
pub struct TierLine {
    pub code: String,
    pub label: String,
    pub rate: String,
    pub conditions: String,
}

/// A round as shown.
pub struct RoundLine {
    pub id: i64,
    pub name: String,
    pub year: i64,
    pub pool: String,
    pub issued: String,
    pub expired: String,
    pub available: String,
    pub opens_on: String,
    pub closes_on: String,
    pub valid_until: String,
}

#[derive(Template)]
#[template(path = "vouchers_scheme.html")]
pub struct SchemePage {
    pub l: Layout,
    pub s: SchemeLine,
    pub legal_ref: String,
    pub tiers: Vec<TierLine>,
    pub annual_cap: String,
    pub per_application_cap: String,
    pub full_offset_below: String,
    pub validity_days: i64,
    pub rules_json: String,
    pub status_opts: Vec<Opt>,
    pub rounds: Vec<RoundLine>,
    pub round_opts: Vec<Opt>,
    /// Rounds for the correct-or-close form, valued `year:id`.
    pub round_fix_opts: Vec<Opt>,
    /// The scheme's sums do not fit: its figures are clamped (see `voucher-figures-overflow`).
    pub figures_overflow: bool,
    pub vouchers: Vec<VLine>,
    pub is_staff: bool,
    pub is_manager: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// The scheme page; `rules_text` keeps a refused rules edit in its form.
async fn render_scheme(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    code: &str,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
    rules_text: Option<String>,
) -> Response {
    let a = &auth.actor;
    let en = c.t.is_en();
    let v = match s.app.voucher_scheme(a, code).await {
        Ok(v) => v,
        Err(e) => return c.error(&e),
    };
    let is_staff = lianshi_app::voucher::perm::view_all(a).is_ok();
    let vouchers = if is_staff {
        match s.app.voucher_list(a, Some(&v.code)).await {
            Ok(x) => x.iter().map(vline).collect(),
            Err(e) => return c.error(&e),
        }
    } else {
        Vec::new()
    };
    let none = c.t.get("voucher-none-cap").to_string();
    let cap = |x: Option<i64>| x.map(y).unwrap_or_else(|| none.clone());
    let tiers = v
        .rules
        .tiers
        .iter()
        .map(|t| {
            let mut cond = Vec::new();
            if let Some(k) = t.compute {
                cond.push(format!("{}={}", c.t.get("voucher-compute"), k.as_str()));
            }
            if let Some(m) = t.max_annual_contracts_fen {
                cond.push(format!(
                    "{} ≤ {}",
                    c.t.get("voucher-annual-contracts"),
                    y(m)
                ));
            }
            if !t.sizes.is_empty() {
                cond.push(t.sizes.join("/"));
            }
            if !t.service_types.is_empty() {
                cond.push(t.service_types.join("/"));
            }
            TierLine {
                code: t.code.clone(),
                label: if en && !t.label_en.is_empty() {
                    t.label_en.clone()
                } else {
                    t.label_zh.clone()
                },
                rate: pct(t.rate_bp),
                conditions: if cond.is_empty() {
                    c.t.get("voucher-tier-any").to_string()
                } else {
                    cond.join("；")
                },
            }
        })
        .collect();
    let rounds: Vec<RoundLine> = v
        .rounds
        .iter()
        .map(|r| RoundLine {
            id: r.round.id,
            name: r.round.name.clone(),
            year: r.round.year,
            pool: y(r.round.pool_fen),
            issued: y(r.round.issued_fen),
            expired: y(r.round.expired_fen),
            available: y(r.available_fen),
            opens_on: r.round.opens_on.clone(),
            closes_on: r.round.closes_on.clone(),
            valid_until: r.round.valid_until.clone(),
        })
        .collect();
    let round_opts = rounds
        .iter()
        .map(|r| Opt::new(r.id.to_string(), format!("{}（{}）", r.name, r.year), ""))
        .collect();
    let round_fix_opts = rounds
        .iter()
        .map(|r| {
            Opt::new(
                format!("{}:{}", r.year, r.id),
                format!(
                    "{}（{}）{} {}",
                    r.name,
                    r.year,
                    c.t.get("voucher-pool"),
                    r.pool
                ),
                "",
            )
        })
        .collect();
    let status = error.as_ref().map(|e| e.0).unwrap_or(StatusCode::OK);
    let r = c.page(&SchemePage {
        l: c.layout(auth, v.name.clone(), "vouchers"),
        s: line(&v, en),
        legal_ref: v.legal_ref.clone(),
        tiers,
        annual_cap: cap(v.rules.annual_cap_fen),
        per_application_cap: cap(v.rules.per_application_cap_fen),
        full_offset_below: cap(v.rules.full_offset_below_fen),
        validity_days: v.rules.validity_days,
        rules_json: rules_text
            .unwrap_or_else(|| serde_json::to_string_pretty(&v.rules).unwrap_or_default()),
        status_opts: ["active", "draft", "closed"]
            .into_iter()
            .map(|x| Opt::new(x, c.t.get(&format!("voucher-scheme-status-{x}")), &v.status))
            .collect(),
        rounds,
        round_opts,
        round_fix_opts,
        figures_overflow: v.figures_overflow,
        vouchers,
        is_staff,
        is_manager: lianshi_app::voucher::perm::manage(a).is_ok(),
        notice,
        error: error.map(|e| e.1),
    });
    with_status(r, status)
}

async fn scheme(
    State(s): State<AppState>,
    auth: PageAuth,
    parts: Parts,
    Path(code): Path<String>,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let q = query_map(&parts);
    let notice = q.get("done").map(|d| match d.as_str() {
        "round" => c.t.get("voucher-done-round").to_string(),
        "scheme" => c.t.get("voucher-done-scheme").to_string(),
        "rules" => c.t.get("voucher-done-rules").to_string(),
        "pool" => c.t.get("voucher-done-pool").to_string(),
        "close" => c.t.get("voucher-done-close").to_string(),
        _ => c.t.get("voucher-done-grant").to_string(),
    });
    render_scheme(&s, &c, &auth, &code, notice, None, None).await
}

async fn scheme_rules(
    State(s): State<AppState>,
    parts: Parts,
    Path(code): Path<String>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let text = posted.get("rules_json").unwrap_or_default();
    let status = posted.get("status").filter(|x| !x.trim().is_empty());
    let result = match parse_rules(&c, &text) {
        Ok(rules) => s
            .app
            .voucher_scheme_rules(&posted.auth.actor, &code, &rules, status.as_deref())
            .await
            .map_err(|e| match form_error(&c, &e) {
                Some(err) => Ok(err),
                None => Err(e),
            }),
        Err(err) => Err(Ok(err)),
    };
    match result {
        Ok(_) => see_other(&format!(
            "/vouchers/schemes/{}?done=rules",
            super::url_escape(&code)
        )),
        Err(Ok(err)) => {
            render_scheme(&s, &c, &posted.auth, &code, None, Some(err), Some(text)).await
        }
        Err(Err(e)) => c.error(&e),
    }
}

async fn round_create(
    State(s): State<AppState>,
    parts: Parts,
    Path(code): Path<String>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let inp = RoundInput {
        name: posted.get("name").unwrap_or_default(),
        year: posted
            .get("year")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
        pool_yuan: posted.get("pool_yuan").unwrap_or_default(),
        opens_on: posted.get("opens_on").unwrap_or_default(),
        closes_on: posted.get("closes_on").unwrap_or_default(),
        valid_until: posted.get("valid_until"),
    };
    match s
        .app
        .voucher_round_create(&posted.auth.actor, &code, &inp)
        .await
    {
        Ok(_) => see_other(&format!(
            "/vouchers/schemes/{}?done=round",
            super::url_escape(&code)
        )),
        Err(e) => match form_error(&c, &e) {
            Some(err) => render_scheme(&s, &c, &posted.auth, &code, None, Some(err), None).await,
            None => c.error(&e),
        },
    }
}

/// Correct a round's pool (`do=pool`) or close it (`do=close`); the round comes as `year:id`.
async fn round_fix(
    State(s): State<AppState>,
    parts: Parts,
    Path(code): Path<String>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let picked = posted.get("round").unwrap_or_default();
    let (year, id) = match picked.split_once(':') {
        Some((y, i)) => (y.trim().parse().ok(), i.trim().parse().ok()),
        None => (None, None),
    };
    let (Some(year), Some(id)) = (year, id) else {
        let e = AppError::bad("voucher_round_required", "请选择轮次", "choose a round");
        let err = form_error(&c, &e);
        return render_scheme(&s, &c, &posted.auth, &code, None, err, None).await;
    };
    let actor = &posted.auth.actor;
    let close = posted.get("do").as_deref() == Some("close");
    let result = if close {
        s.app
            .voucher_round_close(actor, &code, year, Some(id), App::today())
            .await
    } else {
        s.app
            .voucher_round_set_pool(
                actor,
                &code,
                year,
                Some(id),
                &posted.get("pool_yuan").unwrap_or_default(),
                &posted.get("reason").unwrap_or_default(),
            )
            .await
    };
    match result {
        Ok(_) => see_other(&format!(
            "/vouchers/schemes/{}?done={}",
            super::url_escape(&code),
            if close { "close" } else { "pool" }
        )),
        Err(e) => match form_error(&c, &e) {
            Some(err) => render_scheme(&s, &c, &posted.auth, &code, None, Some(err), None).await,
            None => c.error(&e),
        },
    }
}

async fn grant(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let code = posted.get("scheme").unwrap_or_default();
    let inp = GrantInput {
        round_id: posted
            .get("round_id")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
        enterprise: posted.get("enterprise").unwrap_or_default(),
        amount_yuan: posted.get("amount_yuan").unwrap_or_default(),
    };
    match s
        .app
        .voucher_grant(&posted.auth.actor, &inp, App::today())
        .await
    {
        Ok(_) => see_other(&format!(
            "/vouchers/schemes/{}?done=grant",
            super::url_escape(&code)
        )),
        Err(e) => match form_error(&c, &e) {
            Some(err) => render_scheme(&s, &c, &posted.auth, &code, None, Some(err), None).await,
            None => c.error(&e),
        },
    }
}

#[derive(Template)]
#[template(path = "vouchers_provider.html")]
pub struct ProviderPage {
    pub l: Layout,
    pub provider_name: String,
    pub schemes: Vec<Opt>,
    pub redemptions: Vec<RedLine>,
    pub form: Vec<(String, String)>,
    pub key: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl ProviderPage {
    /// The value last typed in a form field.
    pub fn val(&self, k: &str) -> String {
        self.form
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

async fn render_provider(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    form: Vec<(String, String)>,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let a = &auth.actor;
    let p = match s.app.voucher_provider_me(a).await {
        Ok(p) => p,
        Err(e) => return c.error(&e),
    };
    let reds = match s.app.voucher_redemptions(a, None, None, c.t.is_en()).await {
        Ok(r) => r,
        Err(e) => return c.error(&e),
    };
    let schemes = match s.app.voucher_schemes(a).await {
        Ok(v) => v,
        Err(e) => return c.error(&e),
    };
    let chosen = form
        .iter()
        .find(|(k, _)| k == "scheme")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let schemes = schemes
        .iter()
        .filter(|x| x.status == "active" && p.kinds.split(',').any(|k| k == x.kind))
        .map(|x| Opt::new(x.code.clone(), x.name.clone(), &chosen))
        .collect();
    let status = error.as_ref().map(|e| e.0).unwrap_or(StatusCode::OK);
    let r = c.page(&ProviderPage {
        l: c.layout(auth, c.t.get("voucher-provider-title"), "vouchers"),
        provider_name: p.name,
        schemes,
        redemptions: reds.iter().map(red).collect(),
        form,
        key: lianshi_app::auth::random_token(),
        notice,
        error: error.map(|e| e.1),
    });
    with_status(r, status)
}

async fn provider(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let q = query_map(&parts);
    let notice = q.get("done").map(|d| {
        if d == "replayed" {
            c.t.get("voucher-done-replayed").to_string()
        } else {
            c.t.get("voucher-done-submitted").to_string()
        }
    });
    render_provider(&s, &c, &auth, Vec::new(), notice, None).await
}

async fn redeem(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).unwrap_or_default();
    let inp = RedemptionInput {
        enterprise: g("enterprise"),
        scheme: g("scheme"),
        contract_no: g("contract_no"),
        invoice_yuan: g("invoice_yuan"),
        compute: g("compute"),
        service_type: g("service_type"),
        request_key: g("request_key"),
        provider: None,
    };
    match s
        .app
        .voucher_redeem(&posted.auth.actor, &inp, App::today())
        .await
    {
        Ok(r) if r.replayed => see_other("/vouchers/provider?done=replayed"),
        Ok(_) => see_other("/vouchers/provider?done=submitted"),
        Err(e) => match form_error(&c, &e) {
            Some(err) => {
                let form = posted.form.clone().into_iter().collect();
                render_provider(&s, &c, &posted.auth, form, None, Some(err)).await
            }
            None => c.error(&e),
        },
    }
}

#[derive(Template)]
#[template(path = "vouchers_mine.html")]
pub struct MinePage {
    pub l: Layout,
    pub enterprise: String,
    pub vouchers: Vec<VLine>,
    pub redemptions: Vec<RedLine>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

async fn mine(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let q = query_map(&parts);
    let notice = q
        .get("done")
        .map(|_| c.t.get("voucher-done-step").to_string());
    render_mine(&s, &c, &auth, q.get("enterprise").cloned(), notice, None).await
}

async fn render_mine(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    uscc: Option<String>,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let v = match s
        .app
        .voucher_enterprise(&auth.actor, uscc.as_deref(), c.t.is_en())
        .await
    {
        Ok(v) => v,
        Err(e) => return c.error(&e),
    };
    let status = error.as_ref().map(|e| e.0).unwrap_or(StatusCode::OK);
    let r = c.page(&MinePage {
        l: c.layout(auth, c.t.get("voucher-mine-title"), "vouchers"),
        enterprise: v.enterprise_name.clone(),
        vouchers: v.vouchers.iter().map(vline).collect(),
        redemptions: v.redemptions.iter().map(red).collect(),
        notice,
        error: error.map(|e| e.1),
    });
    with_status(r, status)
}

#[derive(Template)]
#[template(path = "vouchers_queue.html")]
pub struct QueuePage {
    pub l: Layout,
    pub confirmed: Vec<RedLine>,
    pub submitted: Vec<RedLine>,
    pub checks: Vec<CheckLine>,
    pub all_ok: bool,
    pub providers: Vec<lianshi_app::voucher::Provider>,
    pub related: Vec<lianshi_app::voucher::Related>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

async fn queue(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let q = query_map(&parts);
    let notice = q
        .get("done")
        .map(|_| c.t.get("voucher-done-step").to_string());
    render_queue(&s, &c, &auth, notice, None).await
}

async fn render_queue(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
) -> Response {
    let a = &auth.actor;
    let en = c.t.is_en();
    let confirmed = match s
        .app
        .voucher_redemptions(a, Some("confirmed"), None, en)
        .await
    {
        Ok(r) => r,
        Err(e) => return c.error(&e),
    };
    let submitted = match s
        .app
        .voucher_redemptions(a, Some("submitted"), None, en)
        .await
    {
        Ok(r) => r,
        Err(e) => return c.error(&e),
    };
    let checks = match s.app.voucher_check(a).await {
        Ok(r) => r,
        Err(e) => return c.error(&e),
    };
    let providers = match s.app.voucher_providers(a).await {
        Ok(r) => r,
        Err(e) => return c.error(&e),
    };
    let related = match s.app.voucher_related_list(a).await {
        Ok(r) => r,
        Err(e) => return c.error(&e),
    };
    let status = error.as_ref().map(|e| e.0).unwrap_or(StatusCode::OK);
    let r = c.page(&QueuePage {
        l: c.layout(auth, c.t.get("voucher-queue-title"), "vouchers"),
        confirmed: confirmed.iter().map(red).collect(),
        submitted: submitted.iter().map(red).collect(),
        all_ok: checks.iter().all(|r| r.ok),
        checks: checks
            .into_iter()
            .map(|c| CheckLine {
                issued: y(c.figures.issued_fen),
                redeemed: y(c.figures.redeemed_fen),
                outstanding: y(c.figures.outstanding_fen),
                expired: y(c.figures.expired_fen),
                c,
            })
            .collect(),
        providers,
        related,
        notice,
        error: error.map(|e| e.1),
    });
    with_status(r, status)
}

async fn act(
    State(s): State<AppState>,
    parts: Parts,
    Path((id, action)): Path<(i64, String)>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let Some(act) = RedemptionAction::parse(&action) else {
        return c.error(&AppError::NotFound(format!("action {action}")));
    };
    let back = match posted.get("back").as_deref() {
        Some("/vouchers/mine") => "/vouchers/mine",
        _ => "/vouchers/queue",
    };
    let reason = posted.get("reason");
    match s
        .app
        .voucher_redemption_act(&posted.auth.actor, id, act, reason.as_deref(), App::today())
        .await
    {
        Ok(_) => see_other(&format!("{back}?done={action}")),
        Err(e) => match form_error(&c, &e) {
            Some(err) if back == "/vouchers/mine" => {
                render_mine(&s, &c, &posted.auth, None, None, Some(err)).await
            }
            Some(err) => render_queue(&s, &c, &posted.auth, None, Some(err)).await,
            None => c.error(&e),
        },
    }
}

async fn provider_register(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let inp = ProviderInput {
        username: posted.get("username"),
        name: posted.get("name").unwrap_or_default(),
        uscc: posted.get("uscc").unwrap_or_default(),
        kinds: posted.all("kinds"),
    };
    match s
        .app
        .voucher_provider_register(&posted.auth.actor, &inp)
        .await
    {
        Ok(_) => see_other("/vouchers/queue?done=provider"),
        Err(e) => match form_error(&c, &e) {
            Some(err) => render_queue(&s, &c, &posted.auth, None, Some(err)).await,
            None => c.error(&e),
        },
    }
}

async fn related_add(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).unwrap_or_default();
    match s
        .app
        .voucher_related_add(
            &posted.auth.actor,
            &g("provider"),
            &g("enterprise"),
            &g("note"),
        )
        .await
    {
        Ok(_) => see_other("/vouchers/queue?done=related"),
        Err(e) => match form_error(&c, &e) {
            Some(err) => render_queue(&s, &c, &posted.auth, None, Some(err)).await,
            None => c.error(&e),
        },
    }
}

async fn related_remove(State(s): State<AppState>, parts: Parts, posted: Posted) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let g = |k: &str| posted.get(k).unwrap_or_default();
    match s
        .app
        .voucher_related_remove(&posted.auth.actor, &g("provider"), &g("enterprise"))
        .await
    {
        Ok(()) => see_other("/vouchers/queue?done=related"),
        Err(e) => match form_error(&c, &e) {
            Some(err) => render_queue(&s, &c, &posted.auth, None, Some(err)).await,
            None => c.error(&e),
        },
    }
}

async fn provider_active(
    State(s): State<AppState>,
    parts: Parts,
    Path(uscc): Path<String>,
    posted: Posted,
) -> Response {
    let c = Ctx::of(&s, &parts).await;
    let active = posted.get("active").as_deref() == Some("1");
    match s
        .app
        .voucher_provider_set_active(&posted.auth.actor, &uscc, active)
        .await
    {
        Ok(_) => see_other("/vouchers/queue?done=provider"),
        Err(e) => match form_error(&c, &e) {
            Some(err) => render_queue(&s, &c, &posted.auth, None, Some(err)).await,
            None => c.error(&e),
        },
    }
}
