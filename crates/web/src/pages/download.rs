//! File downloads of the pages: CSV and XLSX responses with their content type and file name.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A CSV (`xlsx` false) or XLSX file named `<stem>.csv` / `<stem>.xlsx`, as an attachment.
pub fn download(bytes: Vec<u8>, xlsx: bool, stem: &str) -> Response {
    let (ct, ext) = if xlsx {
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    } else {
        ("text/csv; charset=utf-8", "csv")
    };
    file(bytes, ct, &format!("{stem}.{ext}"))
}

/// Any file as an attachment.
pub fn file(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
