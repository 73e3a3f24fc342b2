//! The service catalogue as operators edit it (`ops catalog list | set | disable`).
//!
//! Prices are exact ([`Money`]); changing one never changes an issued invoice (invoices copy
//! the price when they are issued).

use serde::Serialize;
use wetech_domain::{Money, ServiceCode};
use wetech_persistence::services::{self, NewService, ServiceRow};
use wetech_persistence::{DbConnection, PersistenceError};

/// The longest service name accepted, in characters.
pub const MAX_SERVICE_NAME_CHARS: usize = 120;

/// Why a service name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceNameError {
    /// Empty after trimming.
    #[error("service name must not be empty")]
    Empty,
    /// Longer than [`MAX_SERVICE_NAME_CHARS`].
    #[error("service name must be at most {MAX_SERVICE_NAME_CHARS} characters")]
    TooLong,
    /// A control character (newline, tab, …).
    #[error("service name must not contain control characters")]
    ControlCharacter,
}

/// A display name for a catalogue service: 1–120 characters, no control characters, trimmed.
///
/// ```
/// use wetech_ops::catalog::ServiceName;
/// assert_eq!(ServiceName::parse("  Business website ").unwrap().as_str(), "Business website");
/// assert!(ServiceName::parse("two\nlines").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceName(String);

impl ServiceName {
    /// Trims and checks a name.
    ///
    /// # Errors
    /// [`ServiceNameError`] saying what is wrong.
    pub fn parse(input: &str) -> Result<ServiceName, ServiceNameError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ServiceNameError::Empty);
        }
        if s.chars().any(char::is_control) {
            return Err(ServiceNameError::ControlCharacter);
        }
        if s.chars().count() > MAX_SERVICE_NAME_CHARS {
            return Err(ServiceNameError::TooLong);
        }
        Ok(ServiceName(s.to_owned()))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One catalogue entry as shown to operators (`--json` form: `{"code","name","price","currency","active"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogEntry {
    /// Service code, e.g. `WEB-BASIC`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Price as an exact decimal string, e.g. `"500000.00"`.
    pub price: String,
    /// ISO-4217 code.
    pub currency: String,
    /// Offered to customers.
    pub active: bool,
}

/// Why a catalogue command failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// No service has this code.
    #[error("no service has the code {0}")]
    NotFound(String),
    /// A price of zero.
    #[error("price must be greater than zero")]
    ZeroPrice,
    /// A stored row cannot be shown (unknown currency or negative price).
    #[error("service {code} has an invalid stored price")]
    InvalidStoredPrice {
        /// The service.
        code: String,
        /// What is wrong with the currency or the amount.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The catalogue could not be read or changed in the database.
    #[error("the catalogue could not be read or changed")]
    Database(#[from] PersistenceError),
}

impl TryFrom<ServiceRow> for CatalogEntry {
    type Error = CatalogError;

    fn try_from(row: ServiceRow) -> Result<Self, Self::Error> {
        let invalid =
            |source: Box<dyn std::error::Error + Send + Sync>| CatalogError::InvalidStoredPrice {
                code: row.code.to_string(),
                source,
            };
        let currency = row.currency;
        let price =
            Money::from_minor(row.price_minor, currency).map_err(|e| invalid(Box::new(e)))?;
        Ok(CatalogEntry {
            price: price.to_decimal_string(),
            currency: currency.as_str().to_owned(),
            code: row.code.into(),
            name: row.name,
            active: row.active,
        })
    }
}

/// Every service, active or not, in catalogue order.
///
/// # Errors
/// A database error or an unreadable stored price.
pub fn list(conn: &mut DbConnection) -> Result<Vec<CatalogEntry>, CatalogError> {
    services::list_all(conn)?
        .into_iter()
        .map(CatalogEntry::try_from)
        .collect()
}

/// Creates the service or replaces its name and price, and offers it (again).
///
/// # Errors
/// [`CatalogError::ZeroPrice`] or a database error.
pub fn set(
    conn: &mut DbConnection,
    code: &ServiceCode,
    name: &ServiceName,
    price: Money,
) -> Result<CatalogEntry, CatalogError> {
    if price.is_zero() {
        return Err(CatalogError::ZeroPrice);
    }
    let row = services::upsert(
        conn,
        &NewService {
            code: code.as_str(),
            name: name.as_str(),
            price_minor: price.minor(),
            currency: price.currency().as_str(),
            active: true,
        },
    )?;
    tracing::info!(code = code.as_str(), price = %price, "catalogue entry set");
    CatalogEntry::try_from(row)
}

/// Stops offering the service (issued invoices are unaffected).
///
/// # Errors
/// [`CatalogError::NotFound`] or a database error.
pub fn disable(conn: &mut DbConnection, code: &ServiceCode) -> Result<CatalogEntry, CatalogError> {
    if !services::disable(conn, code.as_str())? {
        return Err(CatalogError::NotFound(code.as_str().to_owned()));
    }
    tracing::info!(code = code.as_str(), "catalogue entry disabled");
    let row = services::get_by_code(conn, code.as_str())?
        .ok_or_else(|| CatalogError::NotFound(code.as_str().to_owned()))?;
    CatalogEntry::try_from(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert_eq!(ServiceName::parse(""), Err(ServiceNameError::Empty));
        assert_eq!(ServiceName::parse("   "), Err(ServiceNameError::Empty));
        assert_eq!(
            ServiceName::parse("a\tb"),
            Err(ServiceNameError::ControlCharacter)
        );
        assert_eq!(
            ServiceName::parse(&"é".repeat(121)),
            Err(ServiceNameError::TooLong)
        );
        assert!(ServiceName::parse(&"é".repeat(120)).is_ok());
        assert_eq!(
            ServiceName::parse(" Hosting, one year ").unwrap().as_str(),
            "Hosting, one year"
        );
    }
}
