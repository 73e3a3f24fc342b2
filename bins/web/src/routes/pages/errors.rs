//! Errors a person sees: every [`ApiError`] as an HTML page with the status (and `Retry-After` /
//! `Allow`) the JSON API gives it, in words for a customer.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use wetech_app::AppError;

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
        error_page(&self.0)
    }
}

/// What a page handler answers.
pub type PageResult = Result<HttpResponse, PageError>;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    lines: Vec<String>,
    back_href: &'a str,
    back_label: &'a str,
}

/// What the customer is told about a gateway failure (never the gateway's own words, which are for
/// the logs and the API).
pub(super) fn gateway_trouble(e: &ApiError) -> Option<Vec<String>> {
    let lines = match e {
        ApiError::GatewayError(_) => vec![
            "The payment service could not start this payment. Nothing was charged.".to_owned(),
            "Please try again, or choose the other way to pay.".to_owned(),
        ],
        ApiError::GatewayUnavailable(_) => vec![
            "The payment service cannot be reached right now. Nothing was charged.".to_owned(),
            "Please try again in a few minutes.".to_owned(),
        ],
        ApiError::GatewayTimeout(_) => vec![
            "The payment service did not answer in time.".to_owned(),
            "If a payment request reaches your phone and you approve it, the payment will still be \
             recorded here. Otherwise please try again in a few minutes."
                .to_owned(),
        ],
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
    Some(lines)
}

/// Renders `e` as an HTML page (internal errors are logged with their chain, shown generically).
fn error_page(e: &ApiError) -> HttpResponse {
    let status = e.status_code();
    let (title, lines, back_href, back_label): (&str, Vec<String>, &str, &str) = match e {
        ApiError::CsrfFailed => (
            "This form has expired",
            vec![
                "For your safety we could not accept this form: it was not sent from this site's \
                 own page, or your browser did not keep our cookie."
                    .to_owned(),
                "Please go back, reload the page and send the form again. Nothing was recorded."
                    .to_owned(),
            ],
            "/",
            "Back to the start page",
        ),
        ApiError::NotFound(_) | ApiError::MethodNotAllowed { .. } => (
            "Page not found",
            vec![
                "We could not find this page or invoice. Please check the link you were given."
                    .to_owned(),
            ],
            "/",
            "Back to the start page",
        ),
        ApiError::RateLimited { retry_after_secs } => (
            "Too many requests",
            vec![format!(
                "You have sent several forms in a short time. Please wait {retry_after_secs} \
                 seconds and try again. Nothing was recorded."
            )],
            "/",
            "Back to the start page",
        ),
        ApiError::PayloadTooLarge => (
            "Too much text",
            vec![
                "The form was larger than 64 KiB. Please shorten your message and try again."
                    .to_owned(),
            ],
            "/",
            "Back to the start page",
        ),
        ApiError::Malformed(_) | ApiError::UnsupportedMediaType(_) => (
            "The form could not be read",
            vec!["Please go back, reload the page and send the form again.".to_owned()],
            "/",
            "Back to the start page",
        ),
        ApiError::Conflict(m) => (
            "This cannot be done now",
            vec![m.clone()],
            "/",
            "Back to the start page",
        ),
        ApiError::Validation { fields, .. } => (
            "Please check your input",
            fields.iter().map(|(k, v)| format!("{k}: {v}")).collect(),
            "/",
            "Back to the start page",
        ),
        ApiError::GatewayError(_)
        | ApiError::GatewayUnavailable(_)
        | ApiError::GatewayTimeout(_) => (
            "Payment service trouble",
            gateway_trouble(e).unwrap_or_default(),
            "/",
            "Back to the start page",
        ),
        ApiError::Unauthorized(_) => (
            "Not allowed",
            vec!["This request is not allowed.".to_owned()],
            "/",
            "Back to the start page",
        ),
        ApiError::Internal(chain) => {
            tracing::error!(error.chain = ?chain, "internal error on a page");
            (
                "Something went wrong",
                vec![
                    "Sorry, something went wrong on our side. Please try again in a moment."
                        .to_owned(),
                ],
                "/",
                "Back to the start page",
            )
        }
    };
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        lines,
        back_href,
        back_label,
    };
    let mut resp = match page.render() {
        Ok(body) => html(status, body),
        Err(render) => {
            tracing::error!(error = %render, "rendering the error page failed");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(title.to_owned())
        }
    };
    e.add_headers(resp.headers_mut());
    resp
}
