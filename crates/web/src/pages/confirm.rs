//! The second step of an action that moves money or shuts an account (核销, a redemption's
//! confirm/decline/return, deactivating an account): without `confirm=1` the handler answers
//! with this page, stating exactly what will happen to what, and a form posting the same fields
//! with `confirm=1` (and the CSRF token) to the same address, or a link back. Works without
//! JavaScript.

use super::{Ctx, Layout};
use crate::auth::PageAuth;
use askama::Template;
use axum::response::Response;

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub l: Layout,
    /// What will happen, naming the record ("将核销：某某公司 创新券 12.5万元").
    pub statement: String,
    /// Where the confirmed form posts (the same handler).
    pub action: String,
    /// The fields posted again, besides `_csrf` and `confirm`.
    pub fields: Vec<(String, String)>,
    /// The label of the button that acts.
    pub button: String,
    /// Where "cancel" leads.
    pub cancel: String,
}

/// What a confirmation page asks.
pub struct Ask<'a> {
    pub title: &'a str,
    pub nav: &'static str,
    pub statement: String,
    pub action: String,
    pub fields: Vec<(String, String)>,
    pub button: &'a str,
    pub cancel: &'a str,
}

/// The confirmation page (200): nothing has been done yet.
pub fn ask(c: &Ctx, auth: &PageAuth, a: Ask<'_>) -> Response {
    c.page(&ConfirmPage {
        l: c.layout(auth, a.title, a.nav),
        statement: a.statement,
        action: a.action,
        fields: a.fields,
        button: a.button.to_string(),
        cancel: a.cancel.to_string(),
    })
}
