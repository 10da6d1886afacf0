//! Batch import page: upload a CSV/XLSX (multipart, CSRF checked here), see the summary and the
//! refused cells with row number, column and reason.
//!
//! The session, the permission and the CSRF token are checked before a byte of the upload is
//! read, so a stranger's or an unauthorised user's 60 MB upload costs nothing. The token comes
//! from the `X-CSRF-Token` header or the `_csrf` query parameter, which the form's action URL
//! carries (no script needed). A token inside the multipart body is not enough: finding it
//! means reading the body, and a multipart parser buffers whatever the client has already sent.
use super::{Ctx, Layout, with_status};
use crate::AppState;
use crate::auth::{PageAuth, same_token};
use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use lianshi_app::AppError;
use lianshi_app::enterprise::perm as enterprise_perm;
use lianshi_app::import::{ImportOptions, ImportReport};

pub fn routes() -> Router<AppState> {
    Router::new().route("/enterprises/import", get(form).post(upload))
}

#[derive(Template)]
#[template(path = "import.html")]
pub struct ImportPage {
    pub l: Layout,
    pub report: Option<ImportReport>,
    pub file_name: String,
    pub error: Option<String>,
    pub dry_run: bool,
    pub skip_invalid: bool,
}

impl ImportPage {
    /// The report's outcome in one sentence.
    pub fn outcome(&self) -> &'static str {
        let t = self.l.t;
        match &self.report {
            Some(r) if r.written => t.get("import-written"),
            Some(r) if r.dry_run => t.get("import-dry-run-done"),
            Some(r) if r.invalid > 0 => t.get("import-not-written-invalid"),
            Some(_) => t.get("import-nothing-written"),
            None => "",
        }
    }
}

async fn form(State(s): State<AppState>, auth: PageAuth, parts: Parts) -> Response {
    let c = Ctx::of(&s, &parts).await;
    if let Err(e) = enterprise_perm::import_enterprises(&auth.actor) {
        return c.error(&e);
    }
    let l = c.layout(&auth, c.t.get("nav-import"), "import");
    c.page(&ImportPage {
        l,
        report: None,
        file_name: String::new(),
        error: None,
        dry_run: true,
        skip_invalid: false,
    })
}

fn csrf_error() -> AppError {
    AppError::bad(
        "csrf_missing",
        "表单已过期或缺少安全令牌，请刷新页面后重试",
        "the form is stale or lacks its CSRF token; reload and retry",
    )
}

async fn upload(State(s): State<AppState>, auth: PageAuth, parts: Parts, body: Body) -> Response {
    let c = Ctx::of(&s, &parts).await;
    // Nothing of the body has been read yet: refuse strangers before it is.
    if let Err(e) = enterprise_perm::import_enterprises(&auth.actor) {
        return c.error(&e);
    }
    let sent = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| super::query_map(&parts).get("_csrf").cloned())
        .unwrap_or_default();
    if !same_token(&sent, &auth.csrf) {
        return c.error(&csrf_error());
    }
    let req = Request::from_parts(parts.clone(), body);
    let mut mp = match Multipart::from_request(req, &s).await {
        Ok(m) => m,
        Err(e) => {
            return c.error(&AppError::bad(
                "upload_invalid",
                format!("上传内容无法读取：{}", e.body_text()),
                format!("the upload could not be read: {}", e.body_text()),
            ));
        }
    };
    let mut bytes: Vec<u8> = Vec::new();
    let mut file_name = String::new();
    let mut dry_run = false;
    let mut skip_invalid = false;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return c.error(&AppError::bad(
                    "upload_invalid",
                    format!("上传内容无法读取：{e}"),
                    format!("the upload could not be read: {e}"),
                ));
            }
        };
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                file_name = field.file_name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(b) => bytes = b.to_vec(),
                    Err(e) => {
                        return c.error(&AppError::bad(
                            "upload_invalid",
                            format!("上传文件读取失败：{e}"),
                            format!("the uploaded file could not be read: {e}"),
                        ));
                    }
                }
            }
            "dry_run" | "skip_invalid" => {
                let v = field.text().await.unwrap_or_default();
                if name == "dry_run" {
                    dry_run = !v.is_empty();
                } else {
                    skip_invalid = !v.is_empty();
                }
            }
            _ => {}
        }
    }
    let l = c.layout(&auth, c.t.get("nav-import"), "import");
    if bytes.is_empty() {
        let p = ImportPage {
            l,
            report: None,
            file_name,
            error: Some(c.t.get("import-no-file").to_string()),
            dry_run,
            skip_invalid,
        };
        return with_status(c.page(&p), StatusCode::BAD_REQUEST);
    }
    let opts = ImportOptions {
        dry_run,
        skip_invalid,
    };
    match s.app.enterprise_import(&auth.actor, &bytes, opts).await {
        Ok(report) => {
            let status = if report.invalid > 0 && !report.written && !report.dry_run {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let p = ImportPage {
                l,
                report: Some(report),
                file_name,
                error: None,
                dry_run,
                skip_invalid,
            };
            with_status(c.page(&p), status)
        }
        Err(e @ (AppError::BadRequest { .. } | AppError::Invalid(_))) => {
            let p = ImportPage {
                l,
                report: None,
                file_name,
                error: Some(super::messages(&c, &e)),
                dry_run,
                skip_invalid,
            };
            with_status(c.page(&p), StatusCode::BAD_REQUEST)
        }
        Err(e) => c.error(&e),
    }
}
