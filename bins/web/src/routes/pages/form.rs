//! The parts every form page shares: the CSRF token and its check, the values as typed, the
//! messages the page has no place for, the query string.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use wetech_i18n::Language;

use crate::csrf::{self, Csrf};
use crate::error::ApiError;
use crate::extract::{REQUIRED_FIELD, UNKNOWN_FIELD};

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

/// Which form a field belongs to (the lead form's `phone` is any East African number, the AzamPay
/// form's a Tanzanian one).
#[derive(Clone, Copy)]
pub enum FormKind {
    /// The lead form of the start page.
    Lead,
    /// The pay forms of the invoice page.
    Pay,
}

/// The message key for a field's error (`field-invalid-<field>`, or the shared ones).
fn field_key(field: &str, message: &str, form: FormKind) -> &'static str {
    if message == REQUIRED_FIELD {
        return "field-required";
    }
    if message == UNKNOWN_FIELD {
        return "field-unknown";
    }
    match (field, form) {
        ("name", _) => "field-invalid-name",
        ("email", _) => "field-invalid-email",
        ("phone", FormKind::Lead) => "field-invalid-phone",
        ("phone", FormKind::Pay) => "field-invalid-pay-phone",
        ("company", _) => "field-invalid-company",
        ("service", _) => "field-invalid-service",
        ("message", _) => "field-invalid-message",
        ("gateway", _) => "field-invalid-gateway",
        ("provider", _) => "field-invalid-provider",
        ("payment", _) => "field-invalid-payment",
        _ => "field-invalid-other",
    }
}

/// The field errors in the page's language. The checks word their errors in English; the
/// English messages pass those words through (`$detail`), the others say it their own way.
pub fn translate_errors(
    t: Language,
    errors: &BTreeMap<String, String>,
    form: FormKind,
) -> BTreeMap<String, String> {
    errors
        .iter()
        .map(|(field, message)| {
            let text = t.text_with(
                field_key(field, message, form),
                &[("detail", message.clone().into())],
            );
            (field.clone(), text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_keeps_the_checks_words_and_swahili_has_its_own() {
        let mut errors = BTreeMap::new();
        errors.insert("name".to_owned(), "name is empty".to_owned());
        errors.insert("phone".to_owned(), REQUIRED_FIELD.to_owned());
        errors.insert("<i>x</i>".to_owned(), UNKNOWN_FIELD.to_owned());
        let en = translate_errors(Language::En, &errors, FormKind::Lead);
        assert_eq!(en, errors);
        let sw = translate_errors(Language::Sw, &errors, FormKind::Lead);
        assert!(sw["name"].starts_with("Andika jina lako"), "{sw:?}");
        assert_eq!(sw["phone"], "Sehemu hii inahitajika.");
        assert_eq!(sw["<i>x</i>"], "Sehemu isiyojulikana.");
        errors.insert("phone".to_owned(), "not a Tanzanian number".to_owned());
        let pay = translate_errors(Language::Sw, &errors, FormKind::Pay);
        assert!(pay["phone"].contains("Tanzania"), "{pay:?}");
    }
}
