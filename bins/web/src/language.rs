//! The customer's language for this request (docs/interface.md, "Language"): `?lang=en|sw`
//! (then remembered in the `lang` cookie), else the cookie, else `Accept-Language`, else
//! English — the rule of [`Language::choose`].
//!
//! [`choose`] runs around every request. It stores the language in the request's extensions
//! (read by the page handlers with [`of`]) and runs the rest of the request inside a task-local
//! scope, because an error page is rendered by `ResponseError::error_response`, which sees the
//! error but not the request; [`current`] reads it there. The JSON API ignores both: it stays
//! English.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage as _, HttpRequest};
use wetech_i18n::Language;

use crate::routes::methods::is_machine_path;

/// The cookie that remembers a language chosen with `?lang=`.
pub const COOKIE_NAME: &str = "lang";
/// The query parameter that chooses a language.
pub const QUERY_PARAM: &str = "lang";
/// How long the choice is remembered.
const COOKIE_DAYS: i64 = 365;

/// What an error page needs to know of the request it answers.
struct Current {
    language: Language,
    path: String,
}

tokio::task_local! {
    static CURRENT: Current;
}

/// The language of the request being served (English outside a request).
#[must_use]
pub fn current() -> Language {
    CURRENT.try_with(|c| c.language).unwrap_or_default()
}

/// The path of the request being served (`/` outside a request).
#[must_use]
pub fn current_path() -> String {
    CURRENT
        .try_with(|c| c.path.clone())
        .unwrap_or_else(|_| "/".to_owned())
}

/// The language [`choose`] picked for `req` (English when it did not run).
#[must_use]
pub fn of(req: &HttpRequest) -> Language {
    req.extensions()
        .get::<Language>()
        .copied()
        .unwrap_or_default()
}

/// The language `req`'s `Accept-Language` asks for, else English (the JSON API's rule for the
/// language a lead records: a program has no cookie and no switch).
#[must_use]
pub fn from_accept_language(req: &HttpRequest) -> Language {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Language::from_accept_language)
        .unwrap_or_default()
}

/// The value of `?lang=` (a malformed query string counts as none).
fn query_choice(query: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == QUERY_PARAM)
        .map(|(_, v)| v)
}

/// Middleware: picks the language, serves the request in it, and sets the cookie when `?lang=`
/// named a language the cookie does not already hold (`Secure` with `secure_cookies`).
pub async fn choose(
    secure_cookies: bool,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let asked = query_choice(req.query_string())
        .as_deref()
        .and_then(Language::from_code);
    let remembered = req.cookie(COOKIE_NAME).map(|c| c.value().to_owned());
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let language = Language::choose(
        asked.map(Language::code),
        remembered.as_deref(),
        accept.as_deref(),
    );
    let person_facing = !is_machine_path(req.path());
    req.extensions_mut().insert(language);
    let current = Current {
        language,
        path: req.path().to_owned(),
    };
    let mut res = CURRENT.scope(current, next.call(req)).await?;
    if person_facing {
        let headers = res.headers_mut();
        headers.append(
            header::VARY,
            HeaderValue::from_static("Accept-Language, Cookie"),
        );
        if let Some(asked) = asked
            && remembered.as_deref() != Some(asked.code())
        {
            let cookie = Cookie::build(COOKIE_NAME, asked.code())
                .path("/")
                .same_site(SameSite::Lax)
                .http_only(true)
                .secure(secure_cookies)
                .max_age(actix_web::cookie::time::Duration::days(COOKIE_DAYS))
                .finish();
            if let Err(e) = res.response_mut().add_cookie(&cookie) {
                tracing::warn!(error = %e, "could not set the language cookie");
            }
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_parameter_is_read_leniently() {
        assert_eq!(query_choice("lang=sw").as_deref(), Some("sw"));
        assert_eq!(query_choice("sent=1&lang=en").as_deref(), Some("en"));
        assert_eq!(query_choice("language=sw"), None);
        assert_eq!(query_choice("%%%"), None);
    }

    #[test]
    fn outside_a_request_the_language_is_english() {
        assert_eq!(current(), Language::En);
        assert_eq!(current_path(), "/");
    }
}
