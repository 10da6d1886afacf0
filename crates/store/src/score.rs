//! Innovation points for loans (积分贷): model versions, scoring runs, scores with their
//! explanations, consents and loans.
//!
//! Invariants: a model version is never changed (an edit inserts the next version); a run's
//! scores are written with the run in one transaction, so a run is complete or absent; "the
//! current score" of an enterprise is its row in the latest run; a consent row is keyed by
//! (enterprise, institution) and flips between granted and revoked (history in the audit log);
//! loans are only inserted, with money in fen and the rate in basis points of a percent.

use crate::sql::{Conn, Row};
use crate::{Db, Result, now_text};
use std::collections::HashMap;

/// One version of the indicator model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelRow {
    pub version: i64,
    pub name: String,
    pub model_json: String,
    pub note: String,
    pub created_at: String,
    pub created_by: String,
}

/// A scoring run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunRow {
    pub id: i64,
    pub model_version: i64,
    pub scored_on: String,
    pub enterprises: i64,
    pub created_at: String,
    pub created_by: String,
}

/// The facts of one enterprise the scoring reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FactsRow {
    pub enterprise_id: i64,
    pub registered_on: Option<String>,
    pub revenue_fen: Option<i64>,
    pub rd_fen: Option<i64>,
    pub tax_fen: Option<i64>,
    pub headcount: Option<i64>,
    pub tech_staff: Option<i64>,
    pub tags: Vec<String>,
    /// Yearly indicators (period, revenue fen, headcount), oldest first.
    pub periods: Vec<(String, Option<i64>, Option<i64>)>,
}

/// One enterprise's score to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreWrite {
    pub enterprise_id: i64,
    pub stage: String,
    pub score_x100: i64,
    pub rank_in_stage: i64,
    pub stage_size: i64,
    pub explain_json: String,
}

/// A stored score with the enterprise's name and code.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScoreRow {
    pub run_id: i64,
    pub enterprise_id: i64,
    pub uscc: String,
    pub name: String,
    pub stage: String,
    pub score_x100: i64,
    pub rank_in_stage: i64,
    pub stage_size: i64,
    pub explain_json: String,
}

/// Filters of the score list; all optional.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoreFilter {
    pub stage: Option<String>,
    /// Name substring or credit-code prefix.
    pub q: Option<String>,
    pub min_x100: Option<i64>,
    /// Only enterprises that granted this institution consent.
    pub consented_to: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// A consent row, or an institution an enterprise has not answered yet.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentRow {
    pub institution_id: i64,
    pub institution_code: Option<String>,
    pub institution_name: String,
    pub institution_kind: Option<String>,
    pub granted: bool,
    pub granted_at: Option<String>,
    pub updated_at: Option<String>,
}

/// A loan to record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoanWrite {
    pub enterprise_id: i64,
    pub institution_id: i64,
    pub amount_fen: i64,
    pub rate_bp: i64,
    pub term_months: i64,
    pub granted_on: String,
    pub score_x100: Option<i64>,
    pub note: String,
    pub created_by: String,
}

/// A recorded loan.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoanRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub uscc: String,
    pub enterprise_name: String,
    pub institution_id: i64,
    pub institution_name: String,
    pub amount_fen: i64,
    pub rate_bp: i64,
    pub term_months: i64,
    pub granted_on: String,
    pub score_x100: Option<i64>,
    pub note: String,
    pub created_at: String,
    pub created_by: String,
}

fn model(r: &Row) -> Result<ModelRow> {
    Ok(ModelRow {
        version: r.try_get("version")?,
        name: r.try_get("name")?,
        model_json: r.try_get("model_json")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

fn run(r: &Row) -> Result<RunRow> {
    Ok(RunRow {
        id: r.try_get("id")?,
        model_version: r.try_get("model_version")?,
        scored_on: r.try_get("scored_on")?,
        enterprises: r.try_get("enterprises")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

fn score(r: &Row) -> Result<ScoreRow> {
    Ok(ScoreRow {
        run_id: r.try_get("run_id")?,
        enterprise_id: r.try_get("enterprise_id")?,
        uscc: r.try_get("uscc")?,
        name: r.try_get("name")?,
        stage: r.try_get("stage")?,
        score_x100: r.try_get("score_x100")?,
        rank_in_stage: r.try_get("rank_in_stage")?,
        stage_size: r.try_get("stage_size")?,
        explain_json: r.try_get("explain_json")?,
    })
}

fn loan(r: &Row) -> Result<LoanRow> {
    Ok(LoanRow {
        id: r.try_get("id")?,
        enterprise_id: r.try_get("enterprise_id")?,
        uscc: r.try_get("uscc")?,
        enterprise_name: r.try_get("enterprise_name")?,
        institution_id: r.try_get("institution_id")?,
        institution_name: r.try_get("institution_name")?,
        amount_fen: r.try_get("amount_fen")?,
        rate_bp: r.try_get("rate_bp")?,
        term_months: r.try_get("term_months")?,
        granted_on: r.try_get("granted_on")?,
        score_x100: r.try_get("score_x100")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

const MODEL_COLS: &str = "version, name, model_json, note, created_at, created_by";
const RUN_COLS: &str = "id, model_version, scored_on, enterprises, created_at, created_by";
const SCORE_SELECT: &str = "SELECT s.run_id, s.enterprise_id, e.uscc, e.name, s.stage, s.score_x100, s.rank_in_stage, s.stage_size, s.explain_json \
     FROM enterprise_scores s JOIN enterprises e ON e.id = s.enterprise_id";
const LOAN_SELECT: &str = "SELECT l.id, l.enterprise_id, e.uscc, e.name AS enterprise_name, l.institution_id, i.name AS institution_name, l.amount_fen, l.rate_bp, l.term_months, l.granted_on, l.score_x100, l.note, l.created_at, l.created_by \
     FROM score_loans l JOIN enterprises e ON e.id = l.enterprise_id JOIN registry_items i ON i.id = l.institution_id";

impl Db {
    /// The newest model version.
    pub async fn score_model_latest(&self) -> Result<Option<ModelRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {MODEL_COLS} FROM score_models ORDER BY version DESC LIMIT 1"
        ))
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(model).transpose()
    }

    /// One model version.
    pub async fn score_model_get(&self, version: i64) -> Result<Option<ModelRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {MODEL_COLS} FROM score_models WHERE version = $1"
        ))
        .bind(version)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(model).transpose()
    }

    /// Every model version, newest first.
    pub async fn score_model_versions(&self) -> Result<Vec<ModelRow>> {
        let rows = crate::sql::query(&format!(
            "SELECT {MODEL_COLS} FROM score_models ORDER BY version DESC"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(model).collect()
    }

    /// The facts of every enterprise, by id.
    pub async fn score_facts(&self) -> Result<Vec<FactsRow>> {
        let rows = crate::sql::query(
            "SELECT id, registered_on, revenue_fen, rd_fen, tax_fen, headcount, tech_staff FROM enterprises ORDER BY id",
        )
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut pos = HashMap::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            pos.insert(id, out.len());
            out.push(FactsRow {
                enterprise_id: id,
                registered_on: r.try_get("registered_on")?,
                revenue_fen: r.try_get("revenue_fen")?,
                rd_fen: r.try_get("rd_fen")?,
                tax_fen: r.try_get("tax_fen")?,
                headcount: r.try_get("headcount")?,
                tech_staff: r.try_get("tech_staff")?,
                ..FactsRow::default()
            });
        }
        let tags = crate::sql::query("SELECT enterprise_id, tag FROM enterprise_tags")
            .fetch_all(self.reader())
            .await?;
        for r in &tags {
            let id: i64 = r.try_get("enterprise_id")?;
            if let Some(&i) = pos.get(&id) {
                out[i].tags.push(r.try_get("tag")?);
            }
        }
        let periods = crate::sql::query(
            "SELECT enterprise_id, period, revenue_fen, headcount FROM enterprise_indicators ORDER BY enterprise_id, period",
        )
        .fetch_all(self.reader())
        .await?;
        for r in &periods {
            let id: i64 = r.try_get("enterprise_id")?;
            if let Some(&i) = pos.get(&id) {
                out[i].periods.push((
                    r.try_get("period")?,
                    r.try_get("revenue_fen")?,
                    r.try_get("headcount")?,
                ));
            }
        }
        Ok(out)
    }

    /// The latest scoring run.
    pub async fn score_run_latest(&self) -> Result<Option<RunRow>> {
        let r = crate::sql::query(&format!(
            "SELECT {RUN_COLS} FROM score_runs ORDER BY id DESC LIMIT 1"
        ))
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(run).transpose()
    }

    /// One page of a run's scores (best first) and the total matching the filter.
    pub async fn score_list(&self, run_id: i64, f: &ScoreFilter) -> Result<(Vec<ScoreRow>, i64)> {
        let mut cond = vec!["s.run_id = $1".to_string()];
        let mut n = 1;
        if f.stage.is_some() {
            n += 1;
            cond.push(format!("s.stage = ${n}"));
        }
        let q =
            f.q.as_ref()
                .map(|q| q.trim().to_string())
                .filter(|q| !q.is_empty());
        if q.is_some() {
            cond.push(format!(
                "(e.name {} ${} OR e.uscc LIKE ${})",
                crate::dialect::ilike(self.backend()),
                n + 1,
                n + 2
            ));
            n += 2;
        }
        if f.min_x100.is_some() {
            n += 1;
            cond.push(format!("s.score_x100 >= ${n}"));
        }
        if f.consented_to.is_some() {
            n += 2;
            // The flag is bound, not written as TRUE: the statement then runs on the boolean
            // column and on the integer one of databases not yet migrated (0017).
            cond.push(format!(
                "EXISTS (SELECT 1 FROM score_consents c WHERE c.enterprise_id = s.enterprise_id AND c.institution_id = ${} AND c.granted = ${n})",
                n - 1
            ));
        }
        let where_ = cond.join(" AND ");
        let list_sql = format!(
            "{SCORE_SELECT} WHERE {where_} ORDER BY s.score_x100 DESC, s.enterprise_id LIMIT {} OFFSET {}",
            f.limit.clamp(1, 10_000),
            f.offset.max(0)
        );
        let count_sql = format!(
            "SELECT COUNT(*) AS n FROM enterprise_scores s JOIN enterprises e ON e.id = s.enterprise_id WHERE {where_}"
        );
        let like = q.as_ref().map(|q| format!("%{q}%"));
        let prefix = q.as_ref().map(|q| format!("{}%", q.to_ascii_uppercase()));
        macro_rules! binds {
            ($qy:expr) => {{
                let mut qy = $qy.bind(run_id);
                if let Some(s) = &f.stage {
                    qy = qy.bind(s.clone());
                }
                if let (Some(l), Some(p)) = (&like, &prefix) {
                    qy = qy.bind(l.clone()).bind(p.clone());
                }
                if let Some(m) = f.min_x100 {
                    qy = qy.bind(m);
                }
                if let Some(i) = f.consented_to {
                    qy = qy.bind(i).bind(true);
                }
                qy
            }};
        }
        let rows = binds!(crate::sql::query(&list_sql))
            .fetch_all(self.reader())
            .await?;
        let total: i64 = binds!(crate::sql::query(&count_sql))
            .fetch_one(self.reader())
            .await?
            .try_get("n")?;
        Ok((rows.iter().map(score).collect::<Result<_>>()?, total))
    }

    /// Per stage of a run: (stage, enterprises, average score ×100).
    pub async fn score_stage_counts(&self, run_id: i64) -> Result<Vec<(String, i64, i64)>> {
        let rows = crate::sql::query(
            "SELECT stage, COUNT(*) AS n, CAST(AVG(score_x100) AS BIGINT) AS avg FROM enterprise_scores WHERE run_id = $1 GROUP BY stage ORDER BY stage",
        )
        .bind(run_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("stage")?, r.try_get("n")?, r.try_get("avg")?)))
            .collect()
    }

    /// An enterprise's score in the latest run.
    pub async fn score_of(&self, enterprise_id: i64) -> Result<Option<ScoreRow>> {
        let r = crate::sql::query(&format!(
            "{SCORE_SELECT} WHERE s.enterprise_id = $1 AND s.run_id = (SELECT MAX(id) FROM score_runs)"
        ))
        .bind(enterprise_id)
        .fetch_optional(self.reader())
        .await?;
        r.as_ref().map(score).transpose()
    }

    /// A run by id.
    pub async fn score_run_get(&self, id: i64) -> Result<Option<RunRow>> {
        let r = crate::sql::query(&format!("SELECT {RUN_COLS} FROM score_runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        r.as_ref().map(run).transpose()
    }

    /// The financial institutions (registry kind institution, attr bank or fund) with this
    /// enterprise's answer to each.
    pub async fn score_consents_of(&self, enterprise_id: i64) -> Result<Vec<ConsentRow>> {
        let rows = crate::sql::query(
            "SELECT i.id, i.code, i.name, i.attr, c.granted, c.granted_at, c.updated_at FROM registry_items i \
             LEFT JOIN score_consents c ON c.institution_id = i.id AND c.enterprise_id = $1 \
             WHERE i.kind = 'institution' AND i.attr IN ('bank', 'fund') ORDER BY i.sort, i.id",
        )
        .bind(enterprise_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ConsentRow {
                    institution_id: r.try_get("id")?,
                    institution_code: r.try_get("code")?,
                    institution_name: r.try_get("name")?,
                    institution_kind: r.try_get("attr")?,
                    granted: r.try_get::<Option<i64>, _>("granted")?.unwrap_or(0) != 0,
                    granted_at: r.try_get("granted_at")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    /// Whether the enterprise currently consents to the institution.
    pub async fn score_consented(&self, enterprise_id: i64, institution_id: i64) -> Result<bool> {
        let r = crate::sql::query(
            "SELECT granted FROM score_consents WHERE enterprise_id = $1 AND institution_id = $2",
        )
        .bind(enterprise_id)
        .bind(institution_id)
        .fetch_optional(self.reader())
        .await?;
        Ok(match r {
            Some(r) => r.try_get::<i64, _>("granted")? != 0,
            None => false,
        })
    }

    /// The enterprises that currently consent to the institution, in id order (what a finance
    /// user of that institution may read of the register).
    pub async fn score_consenting(&self, institution_id: i64) -> Result<Vec<i64>> {
        let rows = crate::sql::query(
            "SELECT enterprise_id FROM score_consents WHERE institution_id = $1 AND granted = $2 \
             ORDER BY enterprise_id",
        )
        .bind(institution_id)
        .bind(true)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get("enterprise_id")?))
            .collect()
    }

    /// Loans of one institution (or all), newest first, with the count and sum of amounts.
    pub async fn score_loans(
        &self,
        institution_id: Option<i64>,
        enterprise_id: Option<i64>,
    ) -> Result<(Vec<LoanRow>, i64, i64)> {
        let mut cond = Vec::new();
        let mut n = 0;
        if institution_id.is_some() {
            n += 1;
            cond.push(format!("l.institution_id = ${n}"));
        }
        if enterprise_id.is_some() {
            n += 1;
            cond.push(format!("l.enterprise_id = ${n}"));
        }
        let where_ = if cond.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", cond.join(" AND "))
        };
        let sql = format!("{LOAN_SELECT}{where_} ORDER BY l.granted_on DESC, l.id DESC");
        let mut qy = crate::sql::query(&sql);
        if let Some(i) = institution_id {
            qy = qy.bind(i);
        }
        if let Some(e) = enterprise_id {
            qy = qy.bind(e);
        }
        let rows = qy.fetch_all(self.reader()).await?;
        let items: Vec<LoanRow> = rows.iter().map(loan).collect::<Result<_>>()?;
        let count = items.len() as i64;
        let sum = items
            .iter()
            .fold(0i64, |s, l| s.saturating_add(l.amount_fen));
        Ok((items, count, sum))
    }
}

/// Insert the next model version; returns it.
pub async fn score_model_insert(
    conn: &mut Conn,
    name: &str,
    model_json: &str,
    note: &str,
    by: &str,
) -> Result<i64> {
    let next: i64 =
        crate::sql::query("SELECT COALESCE(MAX(version), 0) + 1 AS v FROM score_models")
            .fetch_one(&mut *conn)
            .await?
            .try_get("v")?;
    crate::sql::query(
        "INSERT INTO score_models (version, name, model_json, note, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(next)
    .bind(name)
    .bind(model_json)
    .bind(note)
    .bind(now_text())
    .bind(by)
    .execute(&mut *conn)
    .await
    .map_err(|e| crate::StoreError::from_write(e, "score model version"))?;
    Ok(next)
}

/// Insert a run with all its scores; returns the run id.
pub async fn score_run_insert(
    conn: &mut Conn,
    model_version: i64,
    scored_on: &str,
    by: &str,
    scores: &[ScoreWrite],
) -> Result<i64> {
    let id: i64 = crate::sql::query(
        "INSERT INTO score_runs (model_version, scored_on, enterprises, created_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(model_version)
    .bind(scored_on)
    .bind(scores.len() as i64)
    .bind(now_text())
    .bind(by)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    // Multi-row inserts: 7 parameters a row, well under both backends' limits.
    for chunk in scores.chunks(500) {
        let sql = format!(
            "INSERT INTO enterprise_scores (run_id, enterprise_id, stage, score_x100, rank_in_stage, stage_size, explain_json) VALUES {}",
            crate::value_rows(conn, chunk.len(), 7)
        );
        let mut qy = crate::sql::query(&sql);
        for s in chunk {
            qy = qy
                .bind(id)
                .bind(s.enterprise_id)
                .bind(s.stage.clone())
                .bind(s.score_x100)
                .bind(s.rank_in_stage)
                .bind(s.stage_size)
                .bind(s.explain_json.clone());
        }
        qy.execute(&mut *conn).await?;
    }
    Ok(id)
}

/// Grant or revoke consent; returns the previous state (`None`: never answered).
pub async fn score_consent_set(
    conn: &mut Conn,
    enterprise_id: i64,
    institution_id: i64,
    granted: bool,
    by: &str,
) -> Result<Option<bool>> {
    let before: Option<bool> = crate::sql::query(
        "SELECT granted FROM score_consents WHERE enterprise_id = $1 AND institution_id = $2",
    )
    .bind(enterprise_id)
    .bind(institution_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.try_get::<i64, _>("granted").map(|g| g != 0))
    .transpose()?;
    let now = now_text();
    crate::sql::query(
        "INSERT INTO score_consents (enterprise_id, institution_id, granted, granted_at, updated_at, updated_by) VALUES ($1, $2, $3, $4, $4, $5) \
         ON CONFLICT (enterprise_id, institution_id) DO UPDATE SET granted = excluded.granted, \
         granted_at = CASE WHEN excluded.granted = $6 AND score_consents.granted = $7 THEN excluded.granted_at ELSE score_consents.granted_at END, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )
    .bind(enterprise_id)
    .bind(institution_id)
    .bind(granted)
    .bind(now)
    .bind(by)
    .bind(true)
    .bind(false)
    .execute(&mut *conn)
    .await?;
    Ok(before)
}

/// Record a loan; returns its id.
pub async fn score_loan_insert(conn: &mut Conn, l: &LoanWrite) -> Result<i64> {
    let r = crate::sql::query(
        "INSERT INTO score_loans (enterprise_id, institution_id, amount_fen, rate_bp, term_months, granted_on, score_x100, note, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(l.enterprise_id)
    .bind(l.institution_id)
    .bind(l.amount_fen)
    .bind(l.rate_bp)
    .bind(l.term_months)
    .bind(&l.granted_on)
    .bind(l.score_x100)
    .bind(&l.note)
    .bind(now_text())
    .bind(&l.created_by)
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}
