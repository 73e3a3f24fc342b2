//! The use cases' error type. The web crate maps it to HTTP statuses in one exhaustive match.

use std::collections::BTreeMap;

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
    #[error("payment gateway: {0}")]
    Gateway(#[source] GatewayError),
    /// The gateway is not enabled in this configuration.
    #[error("the {0} gateway is not enabled")]
    GatewayDisabled(&'static str),
    /// The database failed.
    #[error("database: {0}")]
    Persistence(#[from] PersistenceError),
    /// A blocking task failed or data in the database is inconsistent.
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    /// A single-field validation failure.
    #[must_use]
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        let mut map = BTreeMap::new();
        map.insert(name.to_owned(), message.into());
        AppError::Validation(map)
    }

    /// Wraps inconsistent stored data.
    #[must_use]
    pub fn corrupt(what: impl std::fmt::Display) -> Self {
        AppError::Internal(format!("inconsistent stored data: {what}"))
    }
}
