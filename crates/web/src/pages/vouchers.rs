//! Voucher pages (创新券 / 算力券 / 模型券): the schemes with pool figures, one scheme with its
//! tiers, rounds and grants (and the forms to open a round and grant quota), the provider's
//! redemption form and list, the enterprise's vouchers with redemptions to confirm, and the
//! platform's write-off queue with the ledger check. Every handler calls the app; the app decides
//! who may do what (403 through the error page).

use super::confirm::{Ask, ask};
use super::query::Done;
use super::{
    Ctx, Date, Echo, FormError, Layout, Opt, OrShow, PageResult, Query, Shown, Yuan, see_other,
    with_status,
};
use crate::AppState;
use crate::auth::{PageAuth, Posted};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use lianshi_app::App;
use lianshi_app::voucher::{
    CheckRow, GrantInput, ProviderInput, RedemptionInput, RedemptionView, RoundInput, SchemeInput,
    SchemeView, VoucherView,
};
use lianshi_domain::Role;
use lianshi_domain::money::Money;
use lianshi_domain::voucher::{RedemptionAction, SchemeKind, SchemeRules};
use serde::Deserialize;

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

/// The new-scheme form's values (kept when the form comes back with an error).
#[derive(Default, Deserialize)]
#[serde(default)]
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
fn parse_rules(c: &Ctx, text: &str) -> Result<SchemeRules, FormError> {
    serde_json::from_str(text).map_err(|e| {
        FormError::bad_request(format!(
            "{}（voucher_rules_json）",
            c.pick(
                &format!("规则 JSON 第 {} 行第 {} 列有误：{e}", e.line(), e.column()),
                &format!("rules JSON, line {} column {}: {e}", e.line(), e.column()),
            )
        ))
    })
}

async fn index(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<Done>,
) -> PageResult {
    let notice = q.notice(c.t, "voucher-done-scheme");
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
    error: Option<FormError>,
) -> PageResult {
    let a = &auth.actor;
    let schemes = s.app.voucher_schemes(a).await?;
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
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
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
        error: error.map(|e| e.message),
    });
    Ok(with_status(r, status))
}

async fn scheme_create(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, .. }: Posted<SchemeForm>,
) -> PageResult {
    let f = form?;
    let rules = match parse_rules(&c, &f.rules_json) {
        Ok(r) => r,
        Err(err) => return render_index(&s, &c, &auth, f, None, Some(err)).await,
    };
    let inp = SchemeInput {
        code: f.code.clone(),
        kind: f.kind.clone(),
        name: f.name.clone(),
        issuer: f.issuer.clone(),
        legal_ref: f.legal_ref.clone(),
        status: None,
        rules,
    };
    let done = s.app.voucher_scheme_create(&auth.actor, &inp).await;
    done.map(|v| {
        see_other(&format!(
            "/vouchers/schemes/{}?done=scheme",
            super::url_escape(&v.code)
        ))
    })
    .map_err(Into::into)
    .or_show(&c, |err| render_index(&s, &c, &auth, f, None, Some(err)))
    .await
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
    /// The refused form's fields as typed (`round`, `fix`, `grant` or `rules`).
    pub echo: Echo,
}

/// The scheme page; a refused form keeps its text (the rules edit in the rules box).
async fn render_scheme(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    code: &str,
    shown: Shown,
) -> PageResult {
    let a = &auth.actor;
    let en = c.t.is_en();
    let v = s.app.voucher_scheme(a, code).await?;
    let is_staff = lianshi_app::voucher::perm::view_all(a).is_ok();
    let vouchers = if is_staff {
        let x = s.app.voucher_list(a, Some(&v.code)).await?;
        x.iter().map(vline).collect()
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
    let Shown {
        notice,
        error,
        echo,
    } = shown;
    let rules_text = (echo.form == "rules").then(|| echo.val("rules_json"));
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
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
        error: error.map(|e| e.message),
        echo,
    });
    Ok(with_status(r, status))
}

async fn scheme(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Path(code): Path<String>,
    Query(q): Query<Done>,
) -> PageResult {
    let notice = q.done.map(|d| match d.as_str() {
        "round" => c.t.get("voucher-done-round").to_string(),
        "scheme" => c.t.get("voucher-done-scheme").to_string(),
        "rules" => c.t.get("voucher-done-rules").to_string(),
        "pool" => c.t.get("voucher-done-pool").to_string(),
        "close" => c.t.get("voucher-done-close").to_string(),
        _ => c.t.get("voucher-done-grant").to_string(),
    });
    let shown = Shown {
        notice,
        ..Default::default()
    };
    render_scheme(&s, &c, &auth, &code, shown).await
}

/// After a form on scheme `code`: back to the scheme saying what was done (`rules`, `round`,
/// …), or the scheme again with the refusal and the text of the form `echo` names.
async fn scheme_or_refuse(
    (s, c, auth): (&AppState, &Ctx, &PageAuth),
    code: &str,
    done: PageResult<&str>,
    echo: Echo,
) -> PageResult {
    done.map(|what| {
        see_other(&format!(
            "/vouchers/schemes/{}?done={what}",
            super::url_escape(code)
        ))
    })
    .or_refuse(c, echo, |shown| render_scheme(s, c, auth, code, shown))
    .await
}

/// The scheme's rules (JSON) and status.
#[derive(Deserialize)]
struct RulesForm {
    #[serde(default)]
    rules_json: String,
    status: Option<String>,
}

async fn scheme_rules(
    State(s): State<AppState>,
    c: Ctx,
    Path(code): Path<String>,
    Posted { auth, form, echo }: Posted<RulesForm>,
) -> PageResult {
    let done: PageResult<&str> = async {
        let f = form?;
        let rules = parse_rules(&c, &f.rules_json)?;
        s.app
            .voucher_scheme_rules(&auth.actor, &code, &rules, f.status.as_deref())
            .await?;
        Ok("rules")
    }
    .await;
    scheme_or_refuse((&s, &c, &auth), &code, done, echo.named("rules")).await
}

/// A new round of a scheme. An empty year is the year of `opens_on`.
#[derive(Deserialize)]
struct RoundForm {
    #[serde(default)]
    name: String,
    year: Option<i64>,
    pool_yuan: Yuan,
    opens_on: Date,
    closes_on: Date,
    valid_until: Option<Date>,
}

async fn round_create(
    State(s): State<AppState>,
    c: Ctx,
    Path(code): Path<String>,
    Posted { auth, form, echo }: Posted<RoundForm>,
) -> PageResult {
    let done: PageResult<&str> = async {
        let f = form?;
        let inp = RoundInput {
            name: f.name,
            // The app reads 0 as "the year of opens_on".
            year: f.year.unwrap_or_default(),
            pool_yuan: f.pool_yuan.0,
            opens_on: f.opens_on.text(),
            closes_on: f.closes_on.text(),
            valid_until: f.valid_until.map(|d| d.text()),
        };
        s.app.voucher_round_create(&auth.actor, &code, &inp).await?;
        Ok("round")
    }
    .await;
    scheme_or_refuse((&s, &c, &auth), &code, done, echo.named("round")).await
}

/// Correct a round's pool (`do=pool`) or close it (`do=close`); the round comes as `year:id`.
#[derive(Deserialize)]
struct RoundFixForm {
    #[serde(default)]
    round: String,
    #[serde(default, rename = "do")]
    action: String,
    pool_yuan: Option<Yuan>,
    #[serde(default)]
    reason: String,
}

/// The round of the correct-or-close form, `year:id`.
fn picked_round(c: &Ctx, picked: &str) -> Result<(i64, i64), FormError> {
    picked
        .split_once(':')
        .and_then(|(y, i)| Some((y.trim().parse().ok()?, i.trim().parse().ok()?)))
        .ok_or_else(|| {
            FormError::bad_request(format!(
                "{}（voucher_round_required）",
                c.pick("请选择轮次", "choose a round")
            ))
        })
}

async fn round_fix(
    State(s): State<AppState>,
    c: Ctx,
    Path(code): Path<String>,
    Posted { auth, form, echo }: Posted<RoundFixForm>,
) -> PageResult {
    let done: PageResult<&str> = async {
        let f = form?;
        let (year, id) = picked_round(&c, &f.round)?;
        let actor = &auth.actor;
        let close = f.action == "close";
        if close {
            s.app
                .voucher_round_close(actor, &code, year, Some(id), App::today())
                .await?;
        } else {
            // An empty pool is the app's to refuse (it names the field).
            let pool = f.pool_yuan.map(|p| p.0).unwrap_or_default();
            s.app
                .voucher_round_set_pool(actor, &code, year, Some(id), &pool, &f.reason)
                .await?;
        }
        Ok(if close { "close" } else { "pool" })
    }
    .await;
    scheme_or_refuse((&s, &c, &auth), &code, done, echo.named("fix")).await
}

/// Grant quota of a round to an enterprise. The form's `scheme` (the page to come back to) is
/// read as sent, so a refusal of another field still knows it.
#[derive(Deserialize)]
struct GrantForm {
    round_id: i64,
    #[serde(default)]
    enterprise: String,
    amount_yuan: Yuan,
}

async fn grant(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, echo }: Posted<GrantForm>,
) -> PageResult {
    let code = echo.val("scheme");
    let done: PageResult<&str> = async {
        let f = form?;
        let inp = GrantInput {
            round_id: f.round_id,
            enterprise: f.enterprise,
            amount_yuan: f.amount_yuan.0,
        };
        s.app.voucher_grant(&auth.actor, &inp, App::today()).await?;
        Ok("grant")
    }
    .await;
    scheme_or_refuse((&s, &c, &auth), &code, done, echo.named("grant")).await
}

#[derive(Template)]
#[template(path = "vouchers_provider.html")]
pub struct ProviderPage {
    pub l: Layout,
    pub provider_name: String,
    pub schemes: Vec<Opt>,
    pub redemptions: Vec<RedLine>,
    pub form: Echo,
    pub key: String,
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl ProviderPage {
    /// The value last typed in a form field.
    pub fn val(&self, k: &str) -> String {
        self.form.val(k)
    }
}

async fn render_provider(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    form: Echo,
    notice: Option<String>,
    error: Option<FormError>,
) -> PageResult {
    let a = &auth.actor;
    let p = s.app.voucher_provider_me(a).await?;
    let reds = s
        .app
        .voucher_redemptions(a, None, None, c.t.is_en())
        .await?;
    let schemes = s.app.voucher_schemes(a).await?;
    let chosen = form.val("scheme");
    let schemes = schemes
        .iter()
        .filter(|x| x.status == "active" && p.kinds.split(',').any(|k| k == x.kind))
        .map(|x| Opt::new(x.code.clone(), x.name.clone(), &chosen))
        .collect();
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let r = c.page(&ProviderPage {
        l: c.layout(auth, c.t.get("voucher-provider-title"), "vouchers"),
        provider_name: p.name,
        schemes,
        redemptions: reds.iter().map(red).collect(),
        form,
        key: lianshi_app::auth::random_token(),
        notice,
        error: error.map(|e| e.message),
    });
    Ok(with_status(r, status))
}

async fn provider(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<Done>,
) -> PageResult {
    let notice = q.done.map(|d| {
        if d == "replayed" {
            c.t.get("voucher-done-replayed").to_string()
        } else {
            c.t.get("voucher-done-submitted").to_string()
        }
    });
    render_provider(&s, &c, &auth, Echo::default(), notice, None).await
}

/// A provider's redemption of an enterprise's voucher.
#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
struct RedeemForm {
    enterprise: String,
    scheme: String,
    contract_no: String,
    invoice_yuan: Option<Yuan>,
    compute: String,
    service_type: String,
    request_key: String,
}

async fn redeem(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, echo }: Posted<RedeemForm>,
) -> PageResult {
    let done: PageResult = async {
        let f = form?;
        if f.scheme.trim().is_empty() {
            // The scheme starts at 请选择: none is taken for granted.
            let t = c.t;
            return Err(FormError::bad_request(
                t.get("form-bad-required")
                    .replace("{label}", t.get("voucher-scheme")),
            )
            .into());
        }
        let inp = RedemptionInput {
            enterprise: f.enterprise,
            scheme: f.scheme,
            contract_no: f.contract_no,
            // An empty invoice is the app's to refuse (it names the field).
            invoice_yuan: f.invoice_yuan.map(|y| y.0).unwrap_or_default(),
            compute: f.compute,
            service_type: f.service_type,
            request_key: f.request_key,
            provider: None,
        };
        let r = s
            .app
            .voucher_redeem(&auth.actor, &inp, App::today())
            .await?;
        Ok(see_other(if r.replayed {
            "/vouchers/provider?done=replayed"
        } else {
            "/vouchers/provider?done=submitted"
        }))
    }
    .await;
    done.or_show(&c, |err| {
        render_provider(&s, &c, &auth, echo, None, Some(err))
    })
    .await
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

/// Whose vouchers to show (an enterprise's own user needs none) and what was just done.
#[derive(Deserialize, Default)]
#[serde(default)]
struct MineQuery {
    enterprise: Option<String>,
    done: Option<String>,
    /// The redemption the step was taken on.
    id: Option<i64>,
}

async fn mine(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<MineQuery>,
) -> PageResult {
    let notice = step_notice(&s, &c, &auth, q.done.as_deref(), q.id).await;
    render_mine(&s, &c, &auth, q.enterprise, notice, None).await
}

async fn render_mine(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    uscc: Option<String>,
    notice: Option<String>,
    error: Option<FormError>,
) -> PageResult {
    let v = s
        .app
        .voucher_enterprise(&auth.actor, uscc.as_deref(), c.t.is_en())
        .await?;
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let r = c.page(&MinePage {
        l: c.layout(auth, c.t.get("voucher-mine-title"), "vouchers"),
        enterprise: v.enterprise_name.clone(),
        vouchers: v.vouchers.iter().map(vline).collect(),
        redemptions: v.redemptions.iter().map(red).collect(),
        notice,
        error: error.map(|e| e.message),
    });
    Ok(with_status(r, status))
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

/// What was just done on the write-off queue, and to which redemption.
#[derive(Deserialize, Default)]
#[serde(default)]
struct QueueQuery {
    done: Option<String>,
    id: Option<i64>,
}

async fn queue(
    State(s): State<AppState>,
    c: Ctx,
    auth: PageAuth,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let notice = step_notice(&s, &c, &auth, q.done.as_deref(), q.id).await;
    render_queue(&s, &c, &auth, notice, None).await
}

/// A redemption as named in messages: "某某公司 创新券 12.50 万元（服务商 某某，合同 HT-1）".
fn red_what(c: &Ctx, r: &RedemptionView) -> String {
    c.t.get("voucher-what")
        .replace("{enterprise}", &r.r.enterprise_name)
        .replace("{scheme}", &r.r.scheme_name)
        .replace("{amount}", &y(r.r.amount_fen))
        .replace("{provider}", &r.r.provider_name)
        .replace("{contract}", &r.r.contract_no)
}

/// The notice after a step on a redemption (`?done=write_off&id=12`), naming it; a step of
/// another form (`provider`, `related`) or an unknown redemption says only that it was done.
async fn step_notice(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    done: Option<&str>,
    id: Option<i64>,
) -> Option<String> {
    let done = done?;
    let named = match (RedemptionAction::parse(done), id) {
        (Some(_), Some(id)) => s.app.voucher_redemption(&auth.actor, id).await.ok(),
        _ => None,
    };
    Some(match named {
        Some(r) => {
            c.t.get(&format!("voucher-done-{done}"))
                .replace("{what}", &red_what(c, &r))
        }
        None => c.t.get("voucher-done-step").to_string(),
    })
}

/// After a form on the write-off queue: back to it saying what was done (`provider`,
/// `related`), or the queue again with the refusal.
async fn queue_or_show(
    (s, c, auth): (&AppState, &Ctx, &PageAuth),
    done: PageResult<&str>,
) -> PageResult {
    done.map(|what| see_other(&format!("/vouchers/queue?done={what}")))
        .or_show(c, |err| render_queue(s, c, auth, None, Some(err)))
        .await
}

async fn render_queue(
    s: &AppState,
    c: &Ctx,
    auth: &PageAuth,
    notice: Option<String>,
    error: Option<FormError>,
) -> PageResult {
    let a = &auth.actor;
    let en = c.t.is_en();
    let confirmed = s
        .app
        .voucher_redemptions(a, Some("confirmed"), None, en)
        .await?;
    let submitted = s
        .app
        .voucher_redemptions(a, Some("submitted"), None, en)
        .await?;
    let checks = s.app.voucher_check(a).await?;
    let providers = s.app.voucher_providers(a).await?;
    let related = s.app.voucher_related_list(a).await?;
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
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
        error: error.map(|e| e.message),
    });
    Ok(with_status(r, status))
}

/// A step on a redemption with its reason (reject, withdraw); `back` names the page to come
/// back to, read from the fields as sent. Without `confirm=1` nothing is done: the answer is the
/// confirmation page naming the redemption.
#[derive(Deserialize)]
struct ActForm {
    reason: Option<String>,
    #[serde(default)]
    confirm: bool,
}

async fn act(
    State(s): State<AppState>,
    c: Ctx,
    Path((id, action)): Path<(i64, String)>,
    Posted { auth, form, echo }: Posted<ActForm>,
) -> PageResult {
    let Some(act) = RedemptionAction::parse(&action) else {
        return Err(lianshi_app::AppError::NotFound(format!("action {action}")).into());
    };
    let back = match echo.val("back").as_str() {
        "/vouchers/mine" => "/vouchers/mine",
        _ => "/vouchers/queue",
    };
    let done: PageResult = async {
        let f = form?;
        if !f.confirm {
            let t = c.t;
            let reason = f.reason.as_deref().map(str::trim).unwrap_or("");
            if act == RedemptionAction::Reject && reason.is_empty() {
                return Err(FormError::bad_request(
                    t.get("form-bad-required")
                        .replace("{label}", t.get("voucher-reason")),
                )
                .into());
            }
            let r = s.app.voucher_redemption(&auth.actor, id).await?;
            let (key, button) = match (act, back) {
                (RedemptionAction::Confirm, _) => ("voucher-ask-confirm", "voucher-confirm"),
                (RedemptionAction::WriteOff, _) => ("voucher-ask-write_off", "voucher-write-off"),
                (RedemptionAction::Reject, "/vouchers/mine") => {
                    ("voucher-ask-reject", "voucher-decline")
                }
                (RedemptionAction::Reject, _) => ("voucher-ask-reject", "voucher-reject"),
            };
            let mut fields = vec![("back".to_string(), back.to_string())];
            if !reason.is_empty() {
                fields.push(("reason".into(), reason.to_string()));
            }
            return Ok(ask(
                &c,
                &auth,
                Ask {
                    title: t.get(if back == "/vouchers/mine" {
                        "voucher-mine-title"
                    } else {
                        "voucher-queue-title"
                    }),
                    nav: "vouchers",
                    statement: t
                        .get(key)
                        .replace("{what}", &red_what(&c, &r))
                        .replace("{reason}", reason),
                    action: format!("/vouchers/redemptions/{id}/{action}"),
                    fields,
                    button: t.get(button),
                    cancel: back,
                },
            ));
        }
        s.app
            .voucher_redemption_act(&auth.actor, id, act, f.reason.as_deref(), App::today())
            .await?;
        Ok(see_other(&format!("{back}?done={action}&id={id}")))
    }
    .await;
    done.or_show(&c, |err| async {
        if back == "/vouchers/mine" {
            render_mine(&s, &c, &auth, None, None, Some(err)).await
        } else {
            render_queue(&s, &c, &auth, None, Some(err)).await
        }
    })
    .await
}

/// A provider to register (with an optional account) and the kinds of voucher it serves.
#[derive(Deserialize)]
struct ProviderForm {
    username: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    uscc: String,
    #[serde(default)]
    kinds: Vec<String>,
}

async fn provider_register(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, .. }: Posted<ProviderForm>,
) -> PageResult {
    let done: PageResult<&str> = async {
        let f = form?;
        let inp = ProviderInput {
            username: f.username,
            name: f.name,
            uscc: f.uscc,
            kinds: f.kinds,
        };
        s.app.voucher_provider_register(&auth.actor, &inp).await?;
        Ok("provider")
    }
    .await;
    queue_or_show((&s, &c, &auth), done).await
}

/// A related party of a provider (an enterprise it may not redeem for).
#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
struct RelatedForm {
    provider: String,
    enterprise: String,
    note: String,
}

async fn related_add(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, .. }: Posted<RelatedForm>,
) -> PageResult {
    let done: PageResult<&str> = async {
        let f = form?;
        s.app
            .voucher_related_add(&auth.actor, &f.provider, &f.enterprise, &f.note)
            .await?;
        Ok("related")
    }
    .await;
    queue_or_show((&s, &c, &auth), done).await
}

async fn related_remove(
    State(s): State<AppState>,
    c: Ctx,
    Posted { auth, form, .. }: Posted<RelatedForm>,
) -> PageResult {
    let done: PageResult<&str> = async {
        let f = form?;
        s.app
            .voucher_related_remove(&auth.actor, &f.provider, &f.enterprise)
            .await?;
        Ok("related")
    }
    .await;
    queue_or_show((&s, &c, &auth), done).await
}

/// Activate (`active=1`) or deactivate (`active=0`) a provider.
#[derive(Deserialize)]
struct ActiveForm {
    #[serde(default)]
    active: bool,
}

async fn provider_active(
    State(s): State<AppState>,
    c: Ctx,
    Path(uscc): Path<String>,
    Posted { auth, form, .. }: Posted<ActiveForm>,
) -> PageResult {
    let done: PageResult<&str> = async {
        let f = form?;
        s.app
            .voucher_provider_set_active(&auth.actor, &uscc, f.active)
            .await?;
        Ok("provider")
    }
    .await;
    queue_or_show((&s, &c, &auth), done).await
}
