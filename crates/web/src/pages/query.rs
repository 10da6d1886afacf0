//! Query strings of page requests as typed structs, decoded like posted forms
//! ([`super::form::decode`]): numbers, `Option<_>` empty = none, checkboxes `bool`, dates
//! [`super::Date`]. Values are trimmed first, so a filter is `Option<String>` (`None` when
//! empty) and needs no trimming of its own. A value that does not parse is a 400 naming its
//! field by its label, never a silent default; keys the struct does not name (`lang`, `done`, …)
//! are ignored, so a handler may take two queries (its filters and what was just done).

use super::error::{FormError, PageError};
use super::form::decode;
use super::lang_of;
use crate::i18n::T;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The query string decoded into `Q`; a field that does not parse answers the error page (400)
/// naming it.
pub struct Query<Q>(pub Q);

impl<S: Send + Sync, Q: DeserializeOwned> FromRequestParts<S> for Query<Q> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, PageError> {
        query(parts).map(Query)
    }
}

/// Decode the query string of `parts` into `Q` (see [`Query`]).
pub fn query<Q: DeserializeOwned>(parts: &Parts) -> Result<Q, PageError> {
    let t = T::new(lang_of(parts));
    let pairs: Vec<(String, String)> =
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|e| FormError::bad_request(e.body_text()))?
            .0
            .into_iter()
            .map(|(k, v)| (k, v.trim().to_string()))
            .collect();
    decode::<Q>(&pairs)
        .map_err(|bad| FormError::bad_request(bad.message(t)))
        .map_err(PageError::from)
}

/// The query of a page that only says what was just done (`?done=saved` after a redirect).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Done {
    pub done: Option<String>,
}

impl Done {
    /// The message `key` in the UI language when something was done.
    pub fn notice(&self, t: T, key: &str) -> Option<String> {
        self.done.as_ref().map(|_| t.get(key).to_string())
    }
}
