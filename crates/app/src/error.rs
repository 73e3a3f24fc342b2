//! The use cases' error type. The web crate maps it to HTTP statuses in one exhaustive match.
//!
//! Each variant's `Display` says what went wrong at this layer only; the cause, when there is
//! one, is its `source()`, so a printer that walks the chain shows every layer once.

use std::collections::BTreeMap;

use wetech_domain::{IllegalTransition, InvoiceNumberError};
use wetech_payments::GatewayError;
use wetech_persistence::PersistenceError;

/// Why a use case did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that parsed but is not acceptable (e.g. an inactive service), by field.
    #[error("validation failed")]
    Validation(BTreeMap<String, String>),
    /// A notification or request that cannot be parsed at all.
    #[error("malformed: {0}")]
    Malformed(String),
    /// No such invoice, attempt or service.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state (already paid, payment under way, key reuse).
    #[error("{0}")]
    Conflict(String),
    /// A notification failed authentication (token or signature).
    #[error("notification not authenticated: {0}")]
    Unauthenticated(String),
    /// A notification's amount, currency, payer or reference does not match our record; the
    /// attempt was flagged for review and nothing was settled.
    #[error("notification does not match the payment attempt: {0}")]
    Mismatch(String),
    /// The gateway refused, failed or did not answer.
    #[error("the payment gateway call failed")]
    Gateway(#[source] GatewayError),
    /// A notification could not be checked because the gateway's public key could not be
    /// fetched or read: it may be genuine, so the gateway must send it again (503).
    #[error("the gateway's public key is unavailable; the notification could not be checked")]
    NotificationKeyUnavailable(#[source] GatewayError),
    /// The gateway is not enabled in this configuration.
    #[error("the {0} gateway is not enabled")]
    GatewayDisabled(&'static str),
    /// The database failed.
    #[error("the database failed")]
    Persistence(#[from] PersistenceError),
    /// Data in the database is not what this code wrote (a value that does not parse, a row that
    /// should exist and does not).
    #[error("inconsistent stored data: {0}")]
    Corrupt(String),
    /// Something inside this process failed; see [`Internal`].
    #[error("internal error")]
    Internal(#[source] Internal),
}

/// What failed inside the process. Never shown to a customer; logged with its chain.
#[derive(Debug, thiserror::Error)]
pub enum Internal {
    /// A task on the blocking pool panicked or was cancelled.
    #[error("a blocking task failed")]
    BlockingTask(#[source] tokio::task::JoinError),
    /// The lead writer thread is gone, so a submitted lead got no answer.
    #[error("the lead writer stopped")]
    LeadWriterStopped,
    /// A value could not be encoded for storage.
    #[error("encoding a stored answer")]
    Encoding(#[source] serde_json::Error),
    /// A state machine refused a transition this code only makes when it is allowed.
    #[error("a state transition the code relies on was refused")]
    Transition(#[source] IllegalTransition),
    /// A reserved invoice sequence number does not make an invoice number.
    #[error("invoice numbering")]
    InvoiceNumbering(#[source] InvoiceNumberError),
    /// A rule of this code's own bookkeeping broke (a bug).
    #[error("broken invariant: {0}")]
    Invariant(&'static str),
}

impl AppError {
    /// A single-field validation failure.
    #[must_use]
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        let mut map = BTreeMap::new();
        map.insert(name.to_owned(), message.into());
        AppError::Validation(map)
    }

    /// Stored data that is not what this code wrote. `what` is a leaf error (a parse error of a
    /// stored value, which has no cause of its own) or a description.
    #[must_use]
    pub fn corrupt(what: impl std::fmt::Display) -> Self {
        AppError::Corrupt(what.to_string())
    }
}

impl From<Internal> for AppError {
    fn from(e: Internal) -> Self {
        AppError::Internal(e)
    }
}

impl From<IllegalTransition> for AppError {
    fn from(e: IllegalTransition) -> Self {
        AppError::Internal(Internal::Transition(e))
    }
}

/// Shows an error and every cause below it, `outer: cause: root cause`, for log fields and the
/// notes stored with a notification. (Each layer's `Display` names only its own part, so nothing
/// repeats.)
///
/// ```
/// use wetech_app::error::chain;
/// let io = std::io::Error::other("disk full");
/// let e = wetech_persistence::PersistenceError::Migration(Box::new(io));
/// assert_eq!(chain(&e).to_string(), "database migration failed: disk full");
/// ```
#[must_use]
pub fn chain<'a>(error: &'a (dyn std::error::Error + 'static)) -> Chain<'a> {
    Chain(error)
}

/// See [`chain`].
#[derive(Clone, Copy)]
pub struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            write!(f, ": {cause}")?;
            next = cause.source();
        }
        Ok(())
    }
}

impl std::fmt::Debug for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_layer_shows_once() {
        let e = AppError::Persistence(PersistenceError::Migration(Box::new(
            std::io::Error::other("disk full"),
        )));
        assert_eq!(
            chain(&e).to_string(),
            "the database failed: database migration failed: disk full"
        );
        let e = AppError::Internal(Internal::Invariant("invoice numbers miscounted"));
        assert_eq!(
            chain(&e).to_string(),
            "internal error: broken invariant: invoice numbers miscounted"
        );
    }
}
