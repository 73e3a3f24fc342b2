//! The parts every form page shares: the CSRF token and its check, the values as typed, the
//! messages the page has no place for, the query string.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use crate::csrf::{self, Csrf};
use crate::error::ApiError;

/// The CSRF token for this browser's forms; sets the cookie on `resp` when the browser has none.
pub struct Token {
    /// The token to put in the form's hidden field.
    pub value: String,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
}

impl Token {
    /// The browser's token, or a new one (with its cookie).
    pub fn for_request(csrf: &Csrf, req: &HttpRequest) -> Self {
        let (value, cookie) = csrf.token_for(req);
        Token { value, cookie }
    }

    /// Sets the cookie on `resp` when the browser had no token.
    pub fn attach(self, mut resp: HttpResponse) -> HttpResponse {
        if let Some(cookie) = self.cookie
            && let Err(e) = resp.add_cookie(&cookie)
        {
            tracing::warn!(error = %e, "could not set the CSRF cookie");
        }
        resp
    }
}

/// Reads the query string leniently (a malformed one counts as empty).
pub fn query_param(req: &HttpRequest, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A form field as typed (for re-rendering).
pub fn typed(map: &Map<String, Value>, name: &str) -> String {
    match map.get(name) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// Takes the CSRF field out of the form and checks it against the browser's cookie.
pub fn check_csrf(
    csrf: &Csrf,
    req: &HttpRequest,
    map: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let submitted = match map.remove(csrf::FIELD_NAME) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    if csrf.verify(req, submitted.as_deref()) {
        Ok(())
    } else {
        tracing::warn!(path = %req.path(), "form refused: CSRF token missing or wrong");
        Err(ApiError::CsrfFailed)
    }
}

/// Errors for fields the page has no place for (e.g. an unknown field), shown in the summary.
pub fn other_errors(errors: &BTreeMap<String, String>, known: &[&str]) -> Vec<(String, String)> {
    errors
        .iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
