//! The one error type of every gateway call, and what it says about repeating the call.
//!
//! Each message names this layer's own finding only; when another error caused it, that error
//! is the [`std::error::Error::source`], never repeated in the message.

use std::fmt;
use std::sync::Arc;

/// Another library's error that caused a [`GatewayError`], shared so the error stays `Clone`.
/// Two causes are equal when they are the same error value.
#[derive(Clone)]
pub struct ErrorCause(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl ErrorCause {
    pub(crate) fn new(e: impl std::error::Error + Send + Sync + 'static) -> ErrorCause {
        ErrorCause(Arc::new(e))
    }
}

impl fmt::Debug for ErrorCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ErrorCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for ErrorCause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for ErrorCause {
    fn eq(&self, other: &ErrorCause) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ErrorCause {}

/// Why a gateway call or a notification check failed.
///
/// Three questions matter to a caller, and each has a method:
/// - [`GatewayError::may_have_reached_gateway`]: could the gateway have acted on the request
///   (so a checkout might exist, and a USSD push might reach the customer's phone)?
/// - [`GatewayError::is_transient`]: might the same call succeed later?
/// - [`GatewayError::is_safe_to_retry`]: transient *and* certainly not acted upon, so even a
///   checkout may be sent again without risking a second charge.
///
/// Read-only calls (status queries, token requests) may be repeated whenever
/// [`GatewayError::is_transient`] is true.
///
/// ```
/// use wetech_payments::GatewayError;
/// let timeout = GatewayError::Timeout { may_have_reached: true };
/// assert!(timeout.is_transient());
/// assert!(timeout.may_have_reached_gateway());
/// assert!(!timeout.is_safe_to_retry());
///
/// let refused = GatewayError::Unavailable { http_status: None, may_have_reached: false };
/// assert!(refused.is_safe_to_retry());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The client is configured wrongly (missing credential, malformed base URL, no IPN id).
    #[error("payment gateway misconfigured: {0}")]
    Config(String),
    /// The request was refused by this crate before sending (amount too large, reference too
    /// long, malformed phone number). Nothing was sent.
    #[error("invalid payment request: {0}")]
    InvalidRequest(String),
    /// The gateway refused the credentials or the access token (after one refresh).
    #[error("the gateway refused our credentials ({code})")]
    Unauthorized {
        /// The gateway's error code, or `http_<status>`.
        code: String,
        /// The gateway's message, possibly empty.
        message: String,
    },
    /// The gateway answered and refused the request for a business reason.
    #[error("the gateway rejected the request: {code}: {message}")]
    Rejected {
        /// The gateway's error code (`invalid_order_tracking_id`, `validation_failed`, ...).
        code: String,
        /// The gateway's message.
        message: String,
    },
    /// The gateway could not be reached or answered with a server error or 429.
    #[error("the gateway is unavailable{}", http_status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Unavailable {
        /// The HTTP status when the gateway answered (5xx, 429), `None` when it never did.
        http_status: Option<u16>,
        /// `false` only when the request provably never left (connection refused, DNS failure).
        may_have_reached: bool,
    },
    /// No answer within the configured time.
    #[error("the gateway did not answer in time")]
    Timeout {
        /// `false` only when the connection itself could not be opened in time.
        may_have_reached: bool,
    },
    /// The gateway answered something this crate cannot interpret.
    #[error("unexpected answer from the gateway: {0}")]
    InvalidResponse(String),
    /// A notification's signature or shared token is missing or wrong.
    #[error("notification not authentic: {0}")]
    InvalidSignature(String),
    /// A notification could not be parsed (missing field, malformed body).
    #[error("malformed notification: {0}")]
    InvalidNotification(String),
    /// The gateway has no such operation (e.g. cancelling an AzamPay push).
    #[error("not supported by this gateway: {0}")]
    Unsupported(&'static str),
    /// The HTTP client or a request could not be built (a configuration problem; nothing was
    /// sent). The cause is the HTTP library's error.
    #[error("the HTTP {what} could not be built")]
    HttpSetup {
        /// `client` or `request`.
        what: &'static str,
        /// The HTTP library's error.
        #[source]
        source: ErrorCause,
    },
    /// The gateway answered, but a part of the answer could not be read (like
    /// [`GatewayError::InvalidResponse`]). The cause says why.
    #[error("unexpected answer from the gateway: {what} could not be read")]
    UnreadableAnswer {
        /// Which part (`GetIpnList item`, `amount`, ...).
        what: &'static str,
        /// The reader's error.
        #[source]
        source: ErrorCause,
    },
}

impl GatewayError {
    /// Whether the gateway might have received and acted on the request.
    #[must_use]
    pub fn may_have_reached_gateway(&self) -> bool {
        match self {
            GatewayError::Config(_)
            | GatewayError::InvalidRequest(_)
            | GatewayError::InvalidSignature(_)
            | GatewayError::InvalidNotification(_)
            | GatewayError::Unsupported(_)
            | GatewayError::HttpSetup { .. }
            | GatewayError::Unauthorized { .. }
            | GatewayError::Rejected { .. } => false,
            GatewayError::Unavailable {
                may_have_reached, ..
            }
            | GatewayError::Timeout { may_have_reached } => *may_have_reached,
            GatewayError::InvalidResponse(_) | GatewayError::UnreadableAnswer { .. } => true,
        }
    }

    /// Whether the same call might succeed if repeated later.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            GatewayError::Unavailable { .. } | GatewayError::Timeout { .. } => true,
            GatewayError::Config(_)
            | GatewayError::InvalidRequest(_)
            | GatewayError::Unauthorized { .. }
            | GatewayError::Rejected { .. }
            | GatewayError::InvalidResponse(_)
            | GatewayError::InvalidSignature(_)
            | GatewayError::InvalidNotification(_)
            | GatewayError::Unsupported(_)
            | GatewayError::HttpSetup { .. }
            | GatewayError::UnreadableAnswer { .. } => false,
        }
    }

    /// Whether the request may have been acted upon while nobody can tell what the gateway did:
    /// no answer in time after it was sent, the connection lost after it was sent or before a
    /// successful answer was read, or a success answer this crate cannot read. A checkout in this
    /// state may still complete (an AzamPay push can reach the phone), so it is not a failure.
    ///
    /// ```
    /// use wetech_payments::GatewayError;
    /// assert!(GatewayError::Timeout { may_have_reached: true }.is_outcome_unknown());
    /// let lost = GatewayError::Unavailable { http_status: None, may_have_reached: true };
    /// assert!(lost.is_outcome_unknown());
    /// let refused = GatewayError::Unavailable { http_status: None, may_have_reached: false };
    /// assert!(!refused.is_outcome_unknown());
    /// let server_error = GatewayError::Unavailable { http_status: Some(500), may_have_reached: true };
    /// assert!(!server_error.is_outcome_unknown());
    /// ```
    #[must_use]
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            GatewayError::Timeout { may_have_reached } => *may_have_reached,
            GatewayError::Unavailable {
                http_status,
                may_have_reached,
            } => *may_have_reached && http_status.is_none_or(|s| (200..300).contains(&s)),
            GatewayError::InvalidResponse(_) | GatewayError::UnreadableAnswer { .. } => true,
            GatewayError::Config(_)
            | GatewayError::InvalidRequest(_)
            | GatewayError::Unauthorized { .. }
            | GatewayError::Rejected { .. }
            | GatewayError::InvalidSignature(_)
            | GatewayError::InvalidNotification(_)
            | GatewayError::Unsupported(_)
            | GatewayError::HttpSetup { .. } => false,
        }
    }

    /// Whether repeating the call is safe even for a non-idempotent call such as a checkout:
    /// transient and certainly not acted upon by the gateway.
    #[must_use]
    pub fn is_safe_to_retry(&self) -> bool {
        self.is_transient() && !self.may_have_reached_gateway()
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn messages_name_this_layer_and_causes_are_sources() {
        let json = serde_json::from_str::<u8>("[]").unwrap_err();
        let shown = json.to_string();
        let err = GatewayError::UnreadableAnswer {
            what: "GetIpnList item",
            source: ErrorCause::new(json),
        };
        assert!(!err.to_string().contains(&shown), "{err}");
        assert_eq!(err.source().unwrap().to_string(), shown);
        assert!(err.is_outcome_unknown() && !err.is_transient());
        assert_eq!(err.clone(), err);
    }
}
