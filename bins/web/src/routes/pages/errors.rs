//! Errors a person sees: every [`ApiError`] as an HTML page with the status (and `Retry-After` /
//! `Allow`) the JSON API gives it, in words for a customer, in the request's language
//! ([`crate::language::current`]: `error_response` does not see the request).

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use wetech_app::AppError;

use wetech_i18n::{FluentValue, Language};

use super::frame::Frame;
use super::html::html;
use crate::error::ApiError;

/// An error shown as an HTML page, with the status the JSON API would give the same error.
pub struct PageError(ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(ApiError::from(e))
    }
}

impl fmt::Debug for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        error_page(&self.0, crate::language::current())
    }
}

/// What a page handler answers.
pub type PageResult = Result<HttpResponse, PageError>;

#[derive(Template)]
#[template(path = "problem.html")]
struct ErrorPage<'a> {
    frame: Frame,
    status: u16,
    title: String,
    lines: Vec<String>,
    back_href: &'a str,
    back_label: String,
    code_label: String,
}

/// What the customer is told about a gateway failure (never the gateway's own words, which are for
/// the logs and the API).
pub(super) fn gateway_trouble(t: Language, e: &ApiError) -> Option<Vec<String>> {
    let keys = match e {
        ApiError::GatewayError(_) => ["gateway-error-1", "gateway-error-2"],
        ApiError::GatewayUnavailable(_) => ["gateway-unavailable-1", "gateway-unavailable-2"],
        ApiError::GatewayTimeout(_) => ["gateway-timeout-1", "gateway-timeout-2"],
        // Not a gateway failure: the page says what the error itself says. Listed one by one so
        // that a new kind of error is a decision here, not a silent default.
        ApiError::Malformed(_)
        | ApiError::Unauthorized(_)
        | ApiError::CsrfFailed
        | ApiError::NotFound(_)
        | ApiError::MethodNotAllowed { .. }
        | ApiError::Conflict(_)
        | ApiError::PayloadTooLarge
        | ApiError::UnsupportedMediaType(_)
        | ApiError::Validation { .. }
        | ApiError::RateLimited { .. }
        | ApiError::Internal(_) => return None,
    };
    Some(keys.iter().map(|k| t.text(k)).collect())
}

/// A page of the error template: `title_key` and `lines` in `t`, a link back to `back_href`
/// labelled `back_key`.
pub(super) fn message_page(
    t: Language,
    status: StatusCode,
    title_key: &str,
    lines: Vec<String>,
    back: (&str, &str),
) -> HttpResponse {
    let (back_href, back_key) = back;
    let page = ErrorPage {
        frame: Frame::new(t, &crate::language::current_path()),
        status: status.as_u16(),
        title: t.text(title_key),
        lines,
        back_href,
        back_label: t.text(back_key),
        code_label: t.text_with(
            "error-code",
            &[("status", FluentValue::from(status.as_u16()))],
        ),
    };
    match page.render() {
        Ok(body) => html(status, body),
        Err(render) => {
            tracing::error!(error = %render, "rendering the error page failed");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(page.title)
        }
    }
}

/// Renders `e` as an HTML page in `t` (internal errors are logged with their chain, shown
/// generically).
fn error_page(e: &ApiError, t: Language) -> HttpResponse {
    let status = e.status_code();
    let (title, lines): (&str, Vec<String>) = match e {
        ApiError::CsrfFailed => (
            "error-csrf-title",
            vec![t.text("error-csrf-1"), t.text("error-csrf-2")],
        ),
        ApiError::NotFound(_) | ApiError::MethodNotAllowed { .. } => {
            ("error-not-found-title", vec![t.text("error-not-found")])
        }
        ApiError::RateLimited { retry_after_secs } => (
            "error-rate-limited-title",
            vec![t.text_with(
                "error-rate-limited",
                &[("seconds", FluentValue::from(*retry_after_secs))],
            )],
        ),
        ApiError::PayloadTooLarge => ("error-too-large-title", vec![t.text("error-too-large")]),
        ApiError::Malformed(_) | ApiError::UnsupportedMediaType(_) => {
            ("error-malformed-title", vec![t.text("error-malformed")])
        }
        ApiError::Conflict(m) => (
            "error-conflict-title",
            vec![t.text_with("error-conflict", &[("detail", m.clone().into())])],
        ),
        ApiError::Validation { fields, .. } => (
            "error-validation-title",
            super::form::translate_errors(t, fields, super::form::FormKind::Lead)
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect(),
        ),
        ApiError::GatewayError(_)
        | ApiError::GatewayUnavailable(_)
        | ApiError::GatewayTimeout(_) => (
            "error-gateway-title",
            gateway_trouble(t, e).unwrap_or_default(),
        ),
        ApiError::Unauthorized(_) => (
            "error-unauthorized-title",
            vec![t.text("error-unauthorized")],
        ),
        ApiError::Internal(chain) => {
            tracing::error!(error.chain = ?chain, "internal error on a page");
            ("error-internal-title", vec![t.text("error-internal")])
        }
    };
    let mut resp = message_page(t, status, title, lines, ("/", "error-back"));
    e.add_headers(resp.headers_mut());
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    async fn body_of(e: ApiError, t: Language) -> (StatusCode, String) {
        let resp = error_page(&e, t);
        let status = resp.status();
        let bytes = to_bytes(resp.into_body()).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// The errors the HTTP tests cannot easily cause, in Swahili.
    #[actix_web::test]
    async fn every_error_page_has_swahili_words() {
        let cases = [
            (
                ApiError::internal(anyhow::anyhow!("SELECT secret")),
                500,
                "Hitilafu imetokea",
            ),
            (ApiError::PayloadTooLarge, 413, "Maandishi ni mengi mno"),
            (
                ApiError::Conflict("the invoice is not paid".to_owned()),
                409,
                "Hili haliwezi kufanyika sasa",
            ),
            (
                ApiError::GatewayTimeout("x".to_owned()),
                504,
                "Huduma ya malipo haikujibu kwa wakati.",
            ),
            (
                ApiError::Malformed("x".to_owned()),
                400,
                "Fomu haikuweza kusomwa",
            ),
            (
                ApiError::Unauthorized("x".to_owned()),
                401,
                "Ombi hili haliruhusiwi.",
            ),
            (
                ApiError::field("email", "e-mail address is empty"),
                422,
                "email: Andika barua pepe sahihi",
            ),
        ];
        for (error, status, words) in cases {
            let (got, body) = body_of(error, Language::Sw).await;
            assert_eq!(got.as_u16(), status);
            assert!(body.contains("<html lang=\"sw\">"), "{body}");
            assert!(body.contains(words), "{words:?} missing: {body}");
            assert!(body.contains(&format!("Hitilafu {status}")), "{body}");
            assert!(
                !body.contains("SELECT") && !body.contains("Back to the start page"),
                "{body}"
            );
        }
        let (_, body) = body_of(ApiError::PayloadTooLarge, Language::En).await;
        assert!(
            body.contains("<html lang=\"en\">") && body.contains("Too much text"),
            "{body}"
        );
    }
}
