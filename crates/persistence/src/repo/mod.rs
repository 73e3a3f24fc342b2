//! Repository functions: plain functions over `&mut DbConnection`, grouped by table. The caller
//! (a use case) owns the transaction; see [`crate::UnitOfWork`].

pub mod app_settings;
pub mod attempts;
pub mod clients;
pub mod events;
pub mod idempotency;
pub mod invoices;
pub mod leads;
pub mod services;

use diesel::backend::Backend as DieselBackend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::sql_types::Text;
use wetech_domain::{AttemptStatus, InvoiceStatus, UnknownStatus};

/// Runs the same Diesel expression on the inner connection of either variant. Needed where
/// Diesel's `MultiBackend` lacks a feature (ON CONFLICT): the body is type-checked once per
/// backend.
macro_rules! dispatch {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::DbConnection::Sqlite($c) => $body,
            $crate::DbConnection::Pg($c) => $body,
        }
    };
}
pub(crate) use dispatch;

/// A status column read as text, then parsed into the domain's status enum
/// (`#[diesel(deserialize_as = StatusText)]`), so an unknown value is a load error, not a panic.
#[doc(hidden)]
pub struct StatusText(String);

impl<DB> Queryable<Text, DB> for StatusText
where
    DB: DieselBackend,
    String: FromSql<Text, DB>,
{
    type Row = String;

    fn build(row: String) -> deserialize::Result<Self> {
        Ok(StatusText(row))
    }
}

impl TryFrom<StatusText> for InvoiceStatus {
    type Error = UnknownStatus;

    fn try_from(text: StatusText) -> Result<Self, Self::Error> {
        text.0.parse()
    }
}

impl TryFrom<StatusText> for AttemptStatus {
    type Error = UnknownStatus;

    fn try_from(text: StatusText) -> Result<Self, Self::Error> {
        text.0.parse()
    }
}
