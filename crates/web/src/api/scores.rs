//! JSON API of innovation points for loans (积分贷) under `/api/v1/scores…`: the indicator model,
//! scoring runs, scores with explanations, consents and loans. The same data the pages show;
//! the app decides who sees what (a finance user only enterprises that consented to its
//! institution).

use super::common::{Items, JsonBody, Params, PathParam};
use crate::AppState;
use crate::auth::ApiAuth;
use crate::error::{ApiResult, ErrorBody};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lianshi_app::App;
use lianshi_app::score::{
    ConsentInput, ConsentRow, LoanInput, LoanPage, LoanRow, ModelInput, ModelPage, ModelView,
    RunReport, ScoreDetail, ScorePage, ScoreQuery,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(run))
        .routes(routes!(model, model_put))
        .routes(routes!(one))
        .routes(routes!(consents, consent_put))
        .routes(routes!(loans, loan_post))
}

/// Scores of the latest run in the caller's scope (filtered, paged).
#[utoipa::path(get, path = "/api/v1/scores", tag = "scores",
    params(ScoreQuery),
    responses(
        (status = 200, description = "one page", body = ScorePage),
        (status = 400, description = "an unknown stage", body = ErrorBody),
    ))]
async fn list(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<ScoreQuery>,
) -> ApiResult<Json<ScorePage>> {
    Ok(Json(s.app.score_list(&a, &q).await?))
}

/// Score every enterprise with the current model (administrators).
#[utoipa::path(post, path = "/api/v1/scores/run", tag = "scores",
    responses((status = 200, description = "the run", body = RunReport)))]
async fn run(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<RunReport>> {
    Ok(Json(s.app.score_run(&a, App::today()).await?))
}

/// The indicator model: the current version and the earlier ones.
#[utoipa::path(get, path = "/api/v1/scores/model", tag = "scores",
    responses((status = 200, description = "the model", body = ModelPage)))]
async fn model(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<ModelPage>> {
    Ok(Json(s.app.score_model(&a).await?))
}

/// A new model version and the model now in force.
#[derive(Serialize, ToSchema)]
struct ModelSaved {
    version: i64,
    model: ModelView,
}

/// Save a new model version (administrators); weights must add up to 100.
#[utoipa::path(put, path = "/api/v1/scores/model", tag = "scores",
    request_body = ModelInput,
    responses(
        (status = 201, description = "the new version", body = ModelSaved),
        (status = 400, description = "unknown indicators or weights not adding up to 100", body = ErrorBody),
    ))]
async fn model_put(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(inp): JsonBody<ModelInput>,
) -> ApiResult<(StatusCode, Json<ModelSaved>)> {
    let version = s.app.score_model_save(&a, &inp).await?;
    let page = s.app.score_model(&a).await?;
    Ok((
        StatusCode::CREATED,
        Json(ModelSaved {
            version,
            model: page.current,
        }),
    ))
}

/// One enterprise's score with its explanation per indicator.
#[utoipa::path(get, path = "/api/v1/scores/enterprises/{uscc}", tag = "scores",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    responses(
        (status = 200, description = "the score", body = ScoreDetail),
        (status = 404, description = "unknown, not scored, or out of scope", body = ErrorBody),
    ))]
async fn one(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    PathParam(uscc): PathParam<String>,
) -> ApiResult<Json<ScoreDetail>> {
    Ok(Json(s.app.score_detail(&a, &uscc).await?))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
struct EnterpriseQ {
    /// Credit code; an enterprise user's own when absent.
    enterprise: Option<String>,
}

/// An enterprise's consents to institutions reading its score.
#[utoipa::path(get, path = "/api/v1/scores/consents", tag = "scores",
    params(EnterpriseQ),
    responses(
        (status = 200, description = "the consents", body = Items<ConsentRow>),
        (status = 404, description = "unknown enterprise, or out of scope", body = ErrorBody),
    ))]
async fn consents(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Params(q): Params<EnterpriseQ>,
) -> ApiResult<Json<Items<ConsentRow>>> {
    Ok(Json(Items::of(
        s.app.score_consents(&a, q.enterprise.as_deref()).await?,
    )))
}

/// Give or withdraw consent for one institution.
#[utoipa::path(put, path = "/api/v1/scores/consents", tag = "scores",
    request_body = ConsentInput,
    responses(
        (status = 200, description = "the consents now", body = Items<ConsentRow>),
        (status = 400, description = "an unknown institution", body = ErrorBody),
        (status = 404, description = "unknown enterprise, or out of scope", body = ErrorBody),
    ))]
async fn consent_put(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(inp): JsonBody<ConsentInput>,
) -> ApiResult<Json<Items<ConsentRow>>> {
    Ok(Json(Items::of(s.app.score_consent_set(&a, &inp).await?)))
}

/// Loans granted on the points, with totals.
#[utoipa::path(get, path = "/api/v1/scores/loans", tag = "scores",
    responses((status = 200, description = "the loans", body = LoanPage)))]
async fn loans(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> ApiResult<Json<LoanPage>> {
    Ok(Json(s.app.score_loans(&a).await?))
}

/// Record a loan (finance users, for enterprises that consented to their institution).
#[utoipa::path(post, path = "/api/v1/scores/loans", tag = "scores",
    request_body = LoanInput,
    responses(
        (status = 201, description = "the loan", body = LoanRow),
        (status = 400, description = "invalid amount or dates", body = ErrorBody),
        (status = 404, description = "unknown enterprise, or out of scope", body = ErrorBody),
    ))]
async fn loan_post(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    JsonBody(inp): JsonBody<LoanInput>,
) -> ApiResult<(StatusCode, Json<LoanRow>)> {
    let l = s.app.score_loan_record(&a, &inp).await?;
    Ok((StatusCode::CREATED, Json(l)))
}
