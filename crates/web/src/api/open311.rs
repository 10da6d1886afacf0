//! Open311 GeoReport v2 endpoints under `/open311/v2` (JSON format), mapped onto work orders by
//! `lianshi_app::order::open311`. The `api_key` (query, form field or `Authorization: Bearer`) is an API
//! token from `/api/v1/auth/token`. The service list and definitions are public, as in
//! GeoReport; requests need a key. Errors follow GeoReport: `[{"code": 400, "description": …}]`.

use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use lianshi_app::order::open311::RequestQuery;
use lianshi_app::{Actor, AppError, Source};
use serde_json::json;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/services.json", get(services))
        .route("/open311/v2/services/{file}", get(service))
        .route("/open311/v2/requests.json", get(requests).post(create))
        .route("/open311/v2/requests/{file}", get(request))
}

fn error(e: &AppError) -> Response {
    let status = crate::error::status(e);
    (
        status,
        Json(json!([{"code": status.as_u16(), "description": e.message()}])),
    )
        .into_response()
}

fn pairs(text: &str) -> HashMap<String, String> {
    let uri: Result<axum::http::Uri, _> = format!("/?{text}").parse();
    uri.ok()
        .and_then(|u| Query::<Vec<(String, String)>>::try_from_uri(&u).ok())
        .map(|q| q.0.into_iter().collect())
        .unwrap_or_default()
}

/// The caller: a bearer header or an `api_key` parameter.
async fn caller(
    s: &AppState,
    parts: &Parts,
    form: &HashMap<String, String>,
) -> Result<Actor, Response> {
    let header_key = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_string);
    let key = header_key
        .or_else(|| form.get("api_key").cloned())
        .or_else(|| {
            pairs(parts.uri.query().unwrap_or(""))
                .get("api_key")
                .cloned()
        });
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return Err(error(&AppError::Unauthenticated));
    };
    match s.app.authenticate(&key).await {
        Ok((mut a, _)) => {
            a.source = Source::Api;
            Ok(a)
        }
        Err(e) => Err(error(&e)),
    }
}

/// Reading the taxonomy needs no account (GeoReport's service list is public).
fn public() -> Actor {
    Actor {
        username: "open311:public".into(),
        display_name: "Open311".into(),
        ..Actor::system(Source::Api)
    }
}

fn json_name(file: &str) -> Result<&str, AppError> {
    file.strip_suffix(".json").ok_or_else(|| {
        AppError::bad(
            "open311_format",
            "仅支持 JSON 格式（.json）",
            "only the JSON format (.json) is supported",
        )
    })
}

async fn services(State(s): State<AppState>) -> Response {
    match s.app.open311_services(&public()).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => error(&e),
    }
}

async fn service(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    let code = match json_name(&file) {
        Ok(c) => c,
        Err(e) => return error(&e),
    };
    match s.app.open311_service(&public(), code).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => error(&e),
    }
}

async fn create(State(s): State<AppState>, parts: Parts, body: Bytes) -> Response {
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let form: HashMap<String, String> = if is_json {
        match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&body) {
            Ok(m) => {
                let mut out = HashMap::new();
                for (k, v) in m {
                    match v {
                        serde_json::Value::Object(attrs) if k == "attribute" => {
                            for (ak, av) in attrs {
                                out.insert(
                                    format!("attribute[{ak}]"),
                                    av.as_str().map(str::to_string).unwrap_or(av.to_string()),
                                );
                            }
                        }
                        serde_json::Value::String(t) => {
                            out.insert(k, t);
                        }
                        other => {
                            out.insert(k, other.to_string());
                        }
                    }
                }
                out
            }
            Err(e) => {
                return error(&AppError::bad(
                    "body_invalid",
                    format!("请求体 JSON 无效：{e}"),
                    format!("invalid JSON body: {e}"),
                ));
            }
        }
    } else {
        pairs(&String::from_utf8_lossy(&body))
    };
    let actor = match caller(&s, &parts, &form).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let attributes: HashMap<String, String> = form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("attribute[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k.to_string(), v.clone()))
        })
        .collect();
    let code = form.get("service_code").cloned().unwrap_or_default();
    let description = form.get("description").cloned().unwrap_or_default();
    match s
        .app
        .open311_create(&actor, &code, &description, &attributes)
        .await
    {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(e) => error(&e),
    }
}

async fn requests(State(s): State<AppState>, parts: Parts) -> Response {
    let actor = match caller(&s, &parts, &HashMap::new()).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q: RequestQuery = Query::try_from_uri(&parts.uri)
        .map(|q| q.0)
        .unwrap_or_default();
    match s.app.open311_requests(&actor, &q).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => error(&e),
    }
}

async fn request(State(s): State<AppState>, parts: Parts, Path(file): Path<String>) -> Response {
    let actor = match caller(&s, &parts, &HashMap::new()).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let id = match json_name(&file) {
        Ok(c) => lianshi_app::order::parse_ref(c),
        Err(e) => return error(&e),
    };
    let Some(id) = id else {
        return error(&AppError::NotFound(file));
    };
    match s.app.open311_request(&actor, id).await {
        Ok(v) => Json(vec![v]).into_response(),
        Err(e) => error(&e),
    }
}
