//! The one HTTP error policy of the site.
//!
//! - Library crates return `thiserror` enums; handlers turn them into [`ApiError`] with `From`.
//! - Every error leaves the process as `{"error": {"code", "message", "fields"?}}` with the status that
//!   fits (docs/interface.md, "JSON API"). The mapping below is one exhaustive `match`: adding a variant forces a
//!   decision about its status and code.
//! - The body never shows a source chain, SQL, a stack trace or a secret. The `Debug` of an internal
//!   error prints the whole chain, and that goes to the logs only.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// Everything a handler can answer with besides success.
pub enum ApiError {
    /// The request could not be parsed (bad JSON syntax, bad query string).
    Malformed(String),
    /// A notification's token or signature is wrong or missing.
    Unauthorized(String),
    /// A form came without the right CSRF token.
    CsrfFailed,
    /// No such resource.
    NotFound(String),
    /// The resource exists but does not take this method. `allow` lists the methods it takes
    /// (the `Allow` header, RFC 9110 §15.5.6), when the route table knows them.
    MethodNotAllowed {
        message: String,
        allow: Option<String>,
    },
    /// The request conflicts with the resource's state (e.g. already paid).
    Conflict(String),
    /// The body is over the limit.
    PayloadTooLarge,
    /// The body is not JSON (or not a form where a form is expected).
    UnsupportedMediaType(String),
    /// Field-level validation failures, keyed by field name.
    Validation {
        message: String,
        fields: BTreeMap<String, String>,
    },
    /// Too many requests from this address.
    RateLimited { retry_after_secs: u64 },
    /// The gateway refused the request or answered nonsense.
    GatewayError(String),
    /// The gateway could not be reached.
    GatewayUnavailable(String),
    /// The gateway did not answer in time; the outcome is unknown.
    GatewayTimeout(String),
    /// A bug or an infrastructure failure. Logged with its chain; the client sees a generic message.
    Internal(anyhow::Error),
}

/// Every machine-readable error code (docs/interface.md, "JSON API").
pub const ERROR_CODES: [&str; 14] = [
    "malformed_request",
    "unauthorized",
    "csrf_failed",
    "not_found",
    "method_not_allowed",
    "conflict",
    "payload_too_large",
    "unsupported_media_type",
    "validation_failed",
    "rate_limited",
    "internal",
    "gateway_error",
    "gateway_unavailable",
    "gateway_timeout",
];

/// The body of every error response.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail<'a> {
    /// Machine-readable; one of the codes in docs/interface.md, "JSON API".
    #[schema(schema_with = crate::openapi::error_code_schema, example = "validation_failed")]
    code: &'static str,
    /// For a person; never a stack trace, SQL or a secret.
    message: &'a str,
    /// Per-field messages of a validation failure, by field name.
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a BTreeMap<String, String>>,
}

impl ApiError {
    /// A single-field validation failure.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = BTreeMap::new();
        fields.insert(field.to_owned(), message.into());
        ApiError::Validation {
            message: "the request is not valid".to_owned(),
            fields,
        }
    }

    /// Wraps any error as internal.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(e.into())
    }

    /// The status and machine-readable code. Exhaustive on purpose.
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::CsrfFailed => (StatusCode::FORBIDDEN, "csrf_failed"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed { .. } => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
            }
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Validation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::GatewayError(_) => (StatusCode::BAD_GATEWAY, "gateway_error"),
            ApiError::GatewayUnavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "gateway_unavailable")
            }
            ApiError::GatewayTimeout(_) => (StatusCode::GATEWAY_TIMEOUT, "gateway_timeout"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The message shown to the client.
    fn public_message(&self) -> &str {
        match self {
            ApiError::Malformed(m)
            | ApiError::Unauthorized(m)
            | ApiError::NotFound(m)
            | ApiError::MethodNotAllowed { message: m, .. }
            | ApiError::Conflict(m)
            | ApiError::UnsupportedMediaType(m)
            | ApiError::GatewayError(m)
            | ApiError::GatewayUnavailable(m)
            | ApiError::GatewayTimeout(m)
            | ApiError::Validation { message: m, .. } => m,
            ApiError::CsrfFailed => {
                "the form's CSRF token is missing or wrong; reload the page and try again"
            }
            ApiError::PayloadTooLarge => "the request body is larger than 64 KiB",
            ApiError::RateLimited { .. } => "too many requests; try again later",
            ApiError::Internal(_) => "an internal error occurred",
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The whole source chain, for the logs.
            ApiError::Internal(e) => write!(f, "internal: {e:?}"),
            other => write!(f, "{}: {}", other.parts().1, other.public_message()),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.public_message())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code) = self.parts();
        if let ApiError::Internal(e) = self {
            tracing::error!(error.chain = ?e, "internal error");
        }
        let fields = match self {
            ApiError::Validation { fields, .. } => Some(fields),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.public_message(),
                fields,
            },
        };
        let mut resp = HttpResponse::build(status).json(body);
        self.add_headers(resp.headers_mut());
        resp
    }
}

impl ApiError {
    /// The headers that belong to the error whatever its body: `Retry-After` on 429, `Allow` on
    /// 405. Shared with the HTML error pages.
    pub fn add_headers(&self, headers: &mut header::HeaderMap) {
        match self {
            ApiError::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::MethodNotAllowed {
                allow: Some(allow), ..
            } => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    headers.insert(header::ALLOW, value);
                }
            }
            _ => {}
        }
    }
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

impl From<wetech_app::AppError> for ApiError {
    fn from(e: wetech_app::AppError) -> Self {
        use wetech_app::AppError as A;
        use wetech_payments::GatewayError as G;
        match e {
            A::Validation(fields) => ApiError::Validation {
                message: "the request is not valid".to_owned(),
                fields,
            },
            A::Malformed(message) => ApiError::Malformed(message),
            A::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            A::Conflict(message) => ApiError::Conflict(message),
            A::Unauthenticated(message) => ApiError::Unauthorized(message),
            A::Mismatch(message) => {
                let mut fields = BTreeMap::new();
                fields.insert("payment".to_owned(), message.clone());
                ApiError::Validation { message, fields }
            }
            A::GatewayDisabled(name) => {
                let mut fields = BTreeMap::new();
                fields.insert(
                    "gateway".to_owned(),
                    format!("{name} is not enabled on this site"),
                );
                ApiError::Validation {
                    message: "the request is not valid".to_owned(),
                    fields,
                }
            }
            // The notification may be genuine: 503 makes the gateway send it again.
            A::NotificationKeyUnavailable(_) => ApiError::GatewayUnavailable(
                "the gateway's public key is unavailable; send the notification again".to_owned(),
            ),
            A::Gateway(g) => {
                let message = g.to_string();
                match g {
                    // The checkout may exist at the gateway: the attempt is `expired`, and a
                    // later verified success settles it.
                    g if g.is_outcome_unknown() => ApiError::GatewayTimeout(
                        "the payment gateway's answer did not arrive; the payment may still complete".to_owned(),
                    ),
                    G::Timeout { .. } | G::Unavailable { .. } | G::Config(_) => {
                        ApiError::GatewayUnavailable(message)
                    }
                    G::InvalidRequest(m) => ApiError::field("payment", m),
                    // Refusals, bad answers and anything a newer payments crate adds.
                    _ => ApiError::GatewayError(message),
                }
            }
            A::Persistence(p) if p.is_conflict() => {
                ApiError::Conflict("the request conflicts with stored data".to_owned())
            }
            e @ (A::Persistence(_) | A::Corrupt(_) | A::Internal(_)) => {
                ApiError::Internal(e.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    async fn body_of(e: ApiError) -> (StatusCode, serde_json::Value) {
        let resp = e.error_response();
        let status = resp.status();
        let bytes = to_bytes(resp.into_body()).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[actix_web::test]
    async fn internal_errors_hide_their_chain() {
        let err = anyhow::anyhow!("SELECT * FROM secrets failed").context("loading invoice");
        let (status, body) = body_of(ApiError::Internal(err)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body.to_string().contains("SELECT"));
    }

    #[actix_web::test]
    async fn validation_names_fields() {
        let (status, body) = body_of(ApiError::field("email", "not a valid e-mail address")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "validation_failed");
        assert_eq!(
            body["error"]["fields"]["email"],
            "not a valid e-mail address"
        );
    }

    #[actix_web::test]
    async fn method_not_allowed_has_allow() {
        let resp = ApiError::MethodNotAllowed {
            message: "DELETE is not allowed here".to_owned(),
            allow: Some("GET, HEAD".to_owned()),
        }
        .error_response();
        assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(resp.headers().get("allow").unwrap(), "GET, HEAD");
    }

    #[test]
    fn every_code_is_documented() {
        let errors = [
            ApiError::Malformed(String::new()),
            ApiError::Unauthorized(String::new()),
            ApiError::CsrfFailed,
            ApiError::NotFound(String::new()),
            ApiError::MethodNotAllowed {
                message: String::new(),
                allow: None,
            },
            ApiError::Conflict(String::new()),
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType(String::new()),
            ApiError::field("x", "y"),
            ApiError::RateLimited {
                retry_after_secs: 1,
            },
            ApiError::GatewayError(String::new()),
            ApiError::GatewayUnavailable(String::new()),
            ApiError::GatewayTimeout(String::new()),
            ApiError::internal(anyhow::anyhow!("x")),
        ];
        let codes: Vec<&str> = errors.iter().map(|e| e.parts().1).collect();
        for code in &codes {
            assert!(
                ERROR_CODES.contains(code),
                "{code} missing from ERROR_CODES"
            );
        }
        for code in ERROR_CODES {
            assert!(codes.contains(&code), "{code} is listed but never answered");
        }
    }

    #[actix_web::test]
    async fn rate_limited_has_retry_after() {
        let resp = ApiError::RateLimited {
            retry_after_secs: 42,
        }
        .error_response();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(resp.headers().get("retry-after").unwrap(), "42");
    }
}
