//! Innovation points for loans (积分贷): the indicator model (versioned configuration edited by
//! administrators), scoring runs over every enterprise, enterprises' consent (授权) to financial
//! institutions, and the loans institutions record.
//!
//! A financial-institution user is bound to one institution of the registry (the user's
//! `department` is an institution of kind bank or fund, see [`crate::user`]); it sees scores and
//! explanations only of enterprises that consented to that institution, and records loans only
//! for them. Every write is one transaction with its audit entry.

use crate::zone::entry;
use crate::{Actor, App, AppError, AppResult};
use chrono::NaiveDate;
use lianshi_domain::Money;
use lianshi_domain::Role;
use lianshi_domain::score::{
    CATALOG, Contribution, ScoreFacts, ScoreModel, UNAVAILABLE_EN, UNAVAILABLE_ZH, score_all,
};
use lianshi_domain::zone::RegistryKind;
use lianshi_store::audit::audit_append;
/// Rows the web layer shows as they are.
pub use lianshi_store::score::{ConsentRow, LoanRow, ModelRow, RunRow};
use lianshi_store::score::{
    LoanWrite, ScoreFilter, ScoreRow, ScoreWrite, score_consent_set, score_loan_insert,
    score_model_insert, score_run_insert,
};

/// Who may do what with scores.
pub mod perm;

/// The model as shown: the stored version plus the parsed structure and the catalogue.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelView {
    pub version: i64,
    pub name: String,
    pub note: String,
    pub created_at: String,
    pub created_by: String,
    pub model: ScoreModel,
    /// The JSON text (what the edit form holds).
    pub text: String,
}

/// The model page's data.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelPage {
    pub current: ModelView,
    pub versions: Vec<ModelRow>,
    /// (code, zh, en, default dimension, kind, source zh, source en, used by the current model).
    pub catalog: Vec<CatalogItem>,
    pub unavailable_zh: Vec<&'static str>,
    pub unavailable_en: Vec<&'static str>,
}

/// An indicator of the catalogue.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogItem {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub dimension: &'static str,
    pub kind: lianshi_domain::score::Kind,
    pub source_zh: &'static str,
    pub source_en: &'static str,
    pub weight: Option<f64>,
}

/// A new model version.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelInput {
    /// The model as JSON text (forms) …
    #[serde(default)]
    pub text: Option<String>,
    /// … or as a JSON object (API).
    #[serde(default)]
    pub model: Option<serde_json::Value>,
    #[serde(default)]
    pub note: String,
}

/// What a scoring run did.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunReport {
    pub run_id: i64,
    pub model_version: i64,
    pub scored_on: String,
    pub enterprises: usize,
    /// (stage code, stage name, enterprises), in the model's stage order.
    pub by_stage: Vec<StageCount>,
}

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageCount {
    pub code: String,
    pub name: String,
    pub enterprises: i64,
    /// Average score of the stage.
    pub average: f64,
}

/// Score list query.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema, utoipa::IntoParams),
    into_params(parameter_in = Query)
)]
pub struct ScoreQuery {
    pub stage: Option<String>,
    pub q: Option<String>,
    /// Minimum score (0–100).
    pub min: Option<f64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// One row of the score list.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreItem {
    pub enterprise_id: i64,
    pub uscc: String,
    pub name: String,
    pub stage: String,
    pub stage_name: String,
    pub score: f64,
    pub rank_in_stage: i64,
    pub stage_size: i64,
}

/// A page of scores of the latest run.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScorePage {
    pub run: Option<RunRow>,
    pub stages: Vec<StageCount>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<ScoreItem>,
}

/// One indicator's contribution with its names.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContributionView {
    #[serde(flatten)]
    pub c: Contribution,
    pub name_zh: String,
    pub name_en: String,
    pub dimension_name: String,
}

/// A dimension's total.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DimensionTotal {
    pub code: String,
    pub name: String,
    pub weight: f64,
    pub points: f64,
}

/// One enterprise's score with its explanation.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreDetail {
    pub item: ScoreItem,
    pub run_id: i64,
    pub model_version: i64,
    pub model_name: String,
    pub scored_on: String,
    pub dimensions: Vec<DimensionTotal>,
    pub contributions: Vec<ContributionView>,
}

/// Consent change.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentInput {
    /// Credit code; an enterprise user's own by default.
    #[serde(default)]
    pub enterprise: Option<String>,
    /// Institution code or id.
    pub institution: String,
    pub granted: bool,
}

/// A loan as typed: amount in 元 (text, at most two decimals), annual rate in percent.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoanInput {
    pub enterprise: String,
    pub amount: serde_json::Value,
    pub rate: serde_json::Value,
    pub term_months: i64,
    /// YYYY-MM-DD; today by default.
    #[serde(default)]
    pub granted_on: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// Loans with totals.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoanPage {
    pub items: Vec<LoanRow>,
    pub count: i64,
    pub total_fen: i64,
}

/// The last two values of a series (older, newer).
fn last_two(v: &[i64]) -> Option<(i64, i64)> {
    match v {
        [.., a, b] => Some((*a, *b)),
        _ => None,
    }
}

fn x100(score: f64) -> i64 {
    (score * 100.0).round() as i64
}

fn from_x100(v: i64) -> f64 {
    v as f64 / 100.0
}

fn model_of(row: &ModelRow) -> AppResult<ScoreModel> {
    ScoreModel::parse(&row.model_json).map_err(AppError::from_invalid)
}

fn age_years(registered_on: Option<&str>, on: NaiveDate) -> Option<f64> {
    let d = NaiveDate::parse_from_str(registered_on?, "%Y-%m-%d").ok()?;
    Some(((on - d).num_days().max(0) as f64) / 365.25)
}

/// A JSON number or text as the text people typed.
fn text_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

impl App {
    /// The current model, seeding the shipped default as version 1 when there is none.
    pub async fn score_model_current(&self) -> AppResult<(ModelRow, ScoreModel)> {
        if let Some(r) = self.db.score_model_latest().await? {
            let m = model_of(&r)?;
            return Ok((r, m));
        }
        let m = ScoreModel::default_model();
        let mut tx = self.db.begin().await?;
        let text = m.to_json();
        let v = score_model_insert(
            tx.conn(),
            &m.name,
            &text,
            "默认模型 / default model",
            "system",
        )
        .await;
        match v {
            Ok(v) => {
                audit_append(
                    tx.conn(),
                    &entry(
                        &Actor::system(crate::Source::Cli),
                        "score.model.seed",
                        "score_model",
                        Some(v.to_string()),
                        None,
                        Some(serde_json::json!({"version": v, "name": m.name})),
                    ),
                )
                .await?;
                tx.commit().await?;
            }
            // Another request seeded it first.
            Err(lianshi_store::StoreError::Conflict(_)) => drop(tx),
            Err(e) => return Err(e.into()),
        }
        let r = self
            .db
            .score_model_latest()
            .await?
            .ok_or_else(|| AppError::Internal("score model missing after seeding".into()))?;
        let m = model_of(&r)?;
        Ok((r, m))
    }

    /// The model page: current version, history, catalogue and the indicators we lack.
    pub async fn score_model(&self, actor: &Actor) -> AppResult<ModelPage> {
        perm::view_model(actor)?;
        let (row, model) = self.score_model_current().await?;
        let weight_of = |code: &str| {
            model
                .dimensions
                .iter()
                .flat_map(|d| d.indicators.iter())
                .find(|w| w.code == code)
                .map(|w| w.weight)
        };
        let catalog = CATALOG
            .iter()
            .map(|d| CatalogItem {
                code: d.code,
                name_zh: d.name_zh,
                name_en: d.name_en,
                dimension: d.dimension,
                kind: d.kind,
                source_zh: d.source_zh,
                source_en: d.source_en,
                weight: weight_of(d.code),
            })
            .collect();
        Ok(ModelPage {
            current: ModelView {
                version: row.version,
                name: row.name.clone(),
                note: row.note.clone(),
                created_at: row.created_at.clone(),
                created_by: row.created_by.clone(),
                text: model.to_json(),
                model,
            },
            versions: self.db.score_model_versions().await?,
            catalog,
            unavailable_zh: UNAVAILABLE_ZH.to_vec(),
            unavailable_en: UNAVAILABLE_EN.to_vec(),
        })
    }

    /// Save a new model version after validation; returns the version.
    pub async fn score_model_save(&self, actor: &Actor, inp: &ModelInput) -> AppResult<i64> {
        perm::edit_model(actor)?;
        let text = match (&inp.text, &inp.model) {
            (Some(t), _) if !t.trim().is_empty() => t.clone(),
            (_, Some(v)) => v.to_string(),
            _ => {
                return Err(AppError::bad(
                    "score_model_missing",
                    "请提供模型（JSON）",
                    "the model (JSON) is required",
                ));
            }
        };
        let model = ScoreModel::parse(&text).map_err(AppError::from_invalid)?;
        let (before, _) = self.score_model_current().await?;
        let mut tx = self.db.begin().await?;
        let v = score_model_insert(
            tx.conn(),
            &model.name,
            &model.to_json(),
            inp.note.trim(),
            &actor.username,
        )
        .await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "score.model.save",
                "score_model",
                Some(v.to_string()),
                Some(serde_json::json!({"version": before.version})),
                Some(serde_json::json!({"version": v, "name": model.name, "note": inp.note.trim(), "model": model})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    /// Score every enterprise with the current model as of `on`; store the run.
    pub async fn score_run(&self, actor: &Actor, on: NaiveDate) -> AppResult<RunReport> {
        perm::run(actor)?;
        let (row, model) = self.score_model_current().await?;
        let facts: Vec<ScoreFacts> = self
            .db
            .score_facts()
            .await?
            .into_iter()
            .map(|f| {
                let revenue: Vec<i64> = f.periods.iter().filter_map(|p| p.1).collect();
                let heads: Vec<i64> = f.periods.iter().filter_map(|p| p.2).collect();
                ScoreFacts {
                    enterprise_id: f.enterprise_id,
                    revenue_fen: f.revenue_fen,
                    rd_fen: f.rd_fen,
                    tax_fen: f.tax_fen,
                    headcount: f.headcount,
                    tech_staff: f.tech_staff,
                    age_years: age_years(f.registered_on.as_deref(), on),
                    revenue_periods: last_two(&revenue),
                    headcount_periods: last_two(&heads),
                    tags: f.tags,
                }
            })
            .collect();
        let scored = score_all(&model, &facts);
        let mut writes = Vec::with_capacity(scored.len());
        for s in &scored {
            writes.push(ScoreWrite {
                enterprise_id: s.enterprise_id,
                stage: s.stage.clone(),
                score_x100: x100(s.score),
                rank_in_stage: s.rank_in_stage as i64,
                stage_size: s.stage_size as i64,
                explain_json: serde_json::to_string(&s.contributions)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
            });
        }
        let scored_on = on.to_string();
        let mut tx = self.db.begin().await?;
        let run_id =
            score_run_insert(tx.conn(), row.version, &scored_on, &actor.username, &writes).await?;
        let by_stage = stage_counts(&model, &scored);
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "score.run",
                "score_run",
                Some(run_id.to_string()),
                None,
                Some(serde_json::json!({"model_version": row.version, "scored_on": scored_on,
                    "enterprises": writes.len(),
                    "by_stage": by_stage.iter().map(|s| (s.code.clone(), s.enterprises)).collect::<Vec<_>>()})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(RunReport {
            run_id,
            model_version: row.version,
            scored_on,
            enterprises: writes.len(),
            by_stage,
        })
    }

    /// The model a run was scored with (for stage and dimension names).
    async fn run_model(&self, run: &RunRow) -> AppResult<ScoreModel> {
        match self.db.score_model_get(run.model_version).await? {
            Some(r) => model_of(&r),
            None => Ok(ScoreModel::default_model()),
        }
    }

    /// Scores of the latest run: every enterprise for admin and department officers, the
    /// consenting ones for a finance user.
    pub async fn score_list(&self, actor: &Actor, q: &ScoreQuery) -> AppResult<ScorePage> {
        let consented_to = match actor.role {
            Role::Finance => Some(perm::institution(actor)?),
            _ => {
                perm::list_all(actor)?;
                None
            }
        };
        let per_page = q.per_page.unwrap_or(50).clamp(1, 200);
        let page = q.page.unwrap_or(1).max(1);
        let Some(run) = self.db.score_run_latest().await? else {
            return Ok(ScorePage {
                run: None,
                stages: Vec::new(),
                total: 0,
                page,
                per_page,
                items: Vec::new(),
            });
        };
        let model = self.run_model(&run).await?;
        let stage = q.stage.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(s) = stage
            && !model.stages.iter().any(|b| b.code == s)
        {
            return Err(AppError::bad(
                "score_stage_unknown",
                format!(
                    "未知阶段“{s}”，可选：{}",
                    model
                        .stages
                        .iter()
                        .map(|b| b.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "unknown stage '{s}'; expected one of {}",
                    model
                        .stages
                        .iter()
                        .map(|b| b.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let f = ScoreFilter {
            stage: stage.map(str::to_string),
            q: q.q.clone(),
            min_x100: q.min.filter(|m| m.is_finite()).map(x100),
            consented_to,
            limit: per_page,
            offset: crate::bounds::page_offset(page, per_page),
        };
        let (rows, total) = self.db.score_list(run.id, &f).await?;
        let stages = if consented_to.is_none() {
            let counts = self.db.score_stage_counts(run.id).await?;
            model
                .stages
                .iter()
                .map(|b| {
                    let c = counts.iter().find(|c| c.0 == b.code);
                    StageCount {
                        code: b.code.clone(),
                        name: b.name.clone(),
                        enterprises: c.map(|c| c.1).unwrap_or(0),
                        average: c.map(|c| from_x100(c.2)).unwrap_or(0.0),
                    }
                })
                .collect()
        } else {
            model
                .stages
                .iter()
                .map(|b| StageCount {
                    code: b.code.clone(),
                    name: b.name.clone(),
                    enterprises: 0,
                    average: 0.0,
                })
                .collect()
        };
        Ok(ScorePage {
            items: rows.iter().map(|r| item(&model, r)).collect(),
            run: Some(run),
            stages,
            total,
            page,
            per_page,
        })
    }

    /// One enterprise's current score with its explanation.
    pub async fn score_detail(&self, actor: &Actor, uscc: &str) -> AppResult<ScoreDetail> {
        let code = uscc.trim().to_ascii_uppercase();
        // Roles that read no score at all are refused whatever the code; a finance user without
        // an institution is told so before anything is looked up.
        perm::view_any_score(actor)?;
        let inst = match actor.role {
            Role::Finance => Some(perm::institution(actor)?),
            _ => None,
        };
        // Out of scope (another enterprise, one that did not consent to this bank) answers
        // exactly like an unknown code, so the answer never tells whether a code is registered.
        let unknown = || AppError::NotFound(format!("enterprise {code}"));
        let ent = self
            .db
            .enterprise_by_uscc(&code)
            .await?
            .ok_or_else(unknown)?;
        let consented = match inst {
            Some(inst) => self.db.score_consented(ent.id, inst).await?,
            None => false,
        };
        perm::view_score(actor, ent.id, consented).map_err(|_| unknown())?;
        let row = self
            .db
            .score_of(ent.id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("score of {code}")))?;
        let run = self
            .db
            .score_run_get(row.run_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("run {}", row.run_id)))?;
        let model = self.run_model(&run).await?;
        let contributions: Vec<Contribution> = serde_json::from_str(&row.explain_json)
            .map_err(|e| AppError::Internal(format!("score explanation: {e}")))?;
        let dimensions = model
            .dimensions
            .iter()
            .map(|d| {
                let mine = contributions.iter().filter(|c| c.dimension == d.code);
                DimensionTotal {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    weight: d.indicators.iter().map(|w| w.weight).sum(),
                    points: (mine.map(|c| c.points).sum::<f64>() * 100.0).round() / 100.0,
                }
            })
            .collect();
        let contributions = contributions
            .into_iter()
            .map(|c| {
                let def = lianshi_domain::score::indicator(&c.indicator);
                ContributionView {
                    name_zh: def.map(|d| d.name_zh).unwrap_or(&c.indicator).to_string(),
                    name_en: def.map(|d| d.name_en).unwrap_or(&c.indicator).to_string(),
                    dimension_name: model
                        .dimensions
                        .iter()
                        .find(|d| d.code == c.dimension)
                        .map(|d| d.name.clone())
                        .unwrap_or_else(|| c.dimension.clone()),
                    c,
                }
            })
            .collect();
        Ok(ScoreDetail {
            item: item(&model, &row),
            run_id: run.id,
            model_version: run.model_version,
            model_name: model.name.clone(),
            scored_on: run.scored_on,
            dimensions,
            contributions,
        })
    }

    /// The enterprise whose consents are read or changed: an enterprise user's own by default.
    async fn consent_enterprise(&self, actor: &Actor, uscc: Option<&str>) -> AppResult<i64> {
        match uscc.map(str::trim).filter(|s| !s.is_empty()) {
            Some(u) => {
                let code = u.to_ascii_uppercase();
                match self.db.enterprise_by_uscc(&code).await? {
                    Some(e) => Ok(e.id),
                    None if actor.role == Role::Enterprise => Err(AppError::Forbidden),
                    None => Err(AppError::NotFound(format!("enterprise {code}"))),
                }
            }
            None => actor.enterprise_id.ok_or_else(|| {
                AppError::bad(
                    "enterprise_required",
                    "请指定企业（统一社会信用代码）",
                    "name the enterprise (credit code)",
                )
            }),
        }
    }

    /// The financial institutions and this enterprise's consent to each.
    pub async fn score_consents(
        &self,
        actor: &Actor,
        uscc: Option<&str>,
    ) -> AppResult<Vec<ConsentRow>> {
        let id = self.consent_enterprise(actor, uscc).await?;
        perm::view_consents(actor, id)?;
        Ok(self.db.score_consents_of(id).await?)
    }

    /// Grant or revoke consent to one institution (the enterprise user's own act).
    pub async fn score_consent_set(
        &self,
        actor: &Actor,
        inp: &ConsentInput,
    ) -> AppResult<Vec<ConsentRow>> {
        let id = self
            .consent_enterprise(actor, inp.enterprise.as_deref())
            .await?;
        perm::consent(actor, id)?;
        let idx = self.registry().await?;
        let inst = idx
            .find(RegistryKind::Institution, &inp.institution)
            .filter(|r| matches!(r.attr.as_deref(), Some("bank" | "fund")))
            .ok_or_else(|| {
                AppError::bad(
                    "score_institution_unknown",
                    format!(
                        "未找到金融机构“{}”（须为登记的银行或基金）",
                        inp.institution
                    ),
                    format!(
                        "no financial institution '{}' (a registered bank or fund)",
                        inp.institution
                    ),
                )
            })?;
        let inst_id = inst.id;
        let mut tx = self.db.begin().await?;
        let before =
            score_consent_set(tx.conn(), id, inst_id, inp.granted, &actor.username).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                if inp.granted {
                    "score.consent.grant"
                } else {
                    "score.consent.revoke"
                },
                "score_consent",
                Some(format!("{id}:{inst_id}")),
                before.map(|g| serde_json::json!({"granted": g})),
                Some(serde_json::json!({"enterprise_id": id, "institution_id": inst_id, "granted": inp.granted})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(self.db.score_consents_of(id).await?)
    }

    /// Loans the actor may see, with count and total.
    pub async fn score_loans(&self, actor: &Actor) -> AppResult<LoanPage> {
        let (inst, ent) = match actor.role {
            Role::Admin | Role::Department => (None, None),
            Role::Finance => (Some(perm::institution(actor)?), None),
            Role::Enterprise => match actor.enterprise_id {
                Some(e) => (None, Some(e)),
                None => return Err(AppError::Forbidden),
            },
            _ => return Err(AppError::Forbidden),
        };
        let (items, count, total_fen) = self.db.score_loans(inst, ent).await?;
        Ok(LoanPage {
            items,
            count,
            total_fen,
        })
    }

    /// Record a loan granted by the finance user's institution to a consenting enterprise.
    pub async fn score_loan_record(&self, actor: &Actor, inp: &LoanInput) -> AppResult<LoanRow> {
        let inst = perm::institution(actor)?;
        let code = inp.enterprise.trim().to_ascii_uppercase();
        let ent = self
            .db
            .enterprise_by_uscc(&code)
            .await?
            .ok_or(AppError::Forbidden)?;
        let consented = self.db.score_consented(ent.id, inst).await?;
        perm::view_score(actor, ent.id, consented)?;
        let amount = Money::from_yuan_str(&text_of(&inp.amount)).map_err(AppError::from_invalid)?;
        crate::bounds::check_fen("amount", amount.fen())?;
        if amount.fen() <= 0 {
            return Err(AppError::bad(
                "score_loan_amount_not_positive",
                "贷款金额须大于 0",
                "the loan amount must be above zero",
            ));
        }
        let rate_bp = lianshi_domain::score::parse_rate_bp(&text_of(&inp.rate))
            .map_err(AppError::from_invalid)?;
        if !(1..=360).contains(&inp.term_months) {
            return Err(AppError::bad(
                "score_loan_term_invalid",
                "贷款期限须为 1–360 个月",
                "the term must be 1–360 months",
            ));
        }
        let granted_on = match inp
            .granted_on
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| {
                    AppError::bad(
                        "score_loan_date_invalid",
                        format!("放款日期“{d}”无效（YYYY-MM-DD）"),
                        format!("grant date '{d}' is invalid (YYYY-MM-DD)"),
                    )
                })?
                .to_string(),
            None => Self::today().to_string(),
        };
        let score = self.db.score_of(ent.id).await?.map(|s| s.score_x100);
        let w = LoanWrite {
            enterprise_id: ent.id,
            institution_id: inst,
            amount_fen: amount.fen(),
            rate_bp,
            term_months: inp.term_months,
            granted_on,
            score_x100: score,
            note: inp.note.trim().to_string(),
            created_by: actor.username.clone(),
        };
        let mut tx = self.db.begin().await?;
        let id = score_loan_insert(tx.conn(), &w).await?;
        audit_append(
            tx.conn(),
            &entry(
                actor,
                "score.loan.record",
                "score_loan",
                Some(id.to_string()),
                None,
                serde_json::to_value(&w).ok(),
            ),
        )
        .await?;
        tx.commit().await?;
        let (items, _, _) = self.db.score_loans(Some(inst), Some(ent.id)).await?;
        items
            .into_iter()
            .find(|l| l.id == id)
            .ok_or_else(|| AppError::Internal(format!("loan {id} missing after insert")))
    }
}

fn item(model: &ScoreModel, r: &ScoreRow) -> ScoreItem {
    ScoreItem {
        enterprise_id: r.enterprise_id,
        uscc: r.uscc.clone(),
        name: r.name.clone(),
        stage_name: model
            .stages
            .iter()
            .find(|s| s.code == r.stage)
            .map(|s| s.name.clone())
            .unwrap_or_else(|| r.stage.clone()),
        stage: r.stage.clone(),
        score: from_x100(r.score_x100),
        rank_in_stage: r.rank_in_stage,
        stage_size: r.stage_size,
    }
}

fn stage_counts(model: &ScoreModel, scored: &[lianshi_domain::score::Scored]) -> Vec<StageCount> {
    model
        .stages
        .iter()
        .map(|b| {
            let mine: Vec<f64> = scored
                .iter()
                .filter(|s| s.stage == b.code)
                .map(|s| s.score)
                .collect();
            let avg = if mine.is_empty() {
                0.0
            } else {
                (mine.iter().sum::<f64>() / mine.len() as f64 * 100.0).round() / 100.0
            };
            StageCount {
                code: b.code.clone(),
                name: b.name.clone(),
                enterprises: mine.len() as i64,
                average: avg,
            }
        })
        .collect()
}
