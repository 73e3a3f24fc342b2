//! Repository functions: plain functions over `&mut DbConnection`, grouped by table. The caller
//! (a use case) owns the transaction; see [`crate::UnitOfWork`].
//!
//! Lookups by a primary or unique key use `get_result`, not `first`: `first` adds `LIMIT ?`
//! with the limit as a bound parameter, and SQLite (built with STAT4, as libsqlite3-sys bundles
//! it) marks a statement expired whenever a parameter its planner looked at is bound again, so
//! each call re-prepared its cached statement — about 140 000 instructions, a quarter of an
//! invoice read (docs/benchmarks.md, "Instructions per request"). A unique key returns at most
//! one row without the limit.

pub mod app_settings;
pub mod attempt_history;
pub mod attempts;
pub mod audit;
pub mod clients;
pub mod dashboard;
pub mod events;
pub mod idempotency;
pub mod instance_leases;
pub mod invoice_list;
pub mod invoices;
pub mod lead_list;
pub mod lead_status;
pub mod leads;
mod list_page;
pub mod login_failures;
pub mod outbox;
pub mod rate_limits;
pub mod refunds;
pub mod search;
pub mod services;
pub mod staff;
pub mod staff_sessions;

use diesel::backend::Backend as DieselBackend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::sql_types::Text;
use wetech_domain::{
    AttemptStatus, Currency, CurrencyError, EmailAddress, EmailAddressError, Gateway,
    InvoiceNumber, InvoiceNumberError, InvoiceStatus, MerchantReference, MerchantReferenceError,
    PhoneNumber, PhoneNumberError, PublicId, PublicIdError, ServiceCode, ServiceCodeError,
    UnknownGateway, UnknownStatus,
};

/// Runs the same Diesel expression on the inner connection of either variant: the body is
/// type-checked once per backend. Needed where Diesel's `MultiBackend` lacks a feature
/// (ON CONFLICT), and used on hot paths: a query run through `DbConnection` is wrapped in the
/// derive's `SerializedQuery`, whose every AST pass (the statement cache's "safe to cache?" check,
/// then the bind collection) writes the whole SQL text out again, so each execution builds its
/// SQL twice even when the prepared statement is cached (callgrind: most of the 124 000
/// instructions of the invoice read's one query). On the inner connection the cache finds the
/// statement by the query's type and builds nothing.
macro_rules! dispatch {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::DbConnection::Sqlite($c) => $body,
            $crate::DbConnection::Pg($c) => $body,
        }
    };
}
pub(crate) use dispatch;

/// A text column read as text, then parsed into its domain type
/// (`#[diesel(deserialize_as = TextColumn)]`), so a stored value that does not parse is a load
/// error, not a panic and not a string passed on.
#[doc(hidden)]
pub struct TextColumn(String);

impl<DB> Queryable<Text, DB> for TextColumn
where
    DB: DieselBackend,
    String: FromSql<Text, DB>,
{
    type Row = String;

    fn build(row: String) -> deserialize::Result<Self> {
        Ok(TextColumn(row))
    }
}

/// `TryFrom<TextColumn>` through each type's own parser.
macro_rules! parsed_from_text {
    ($($ty:ty => $err:ty,)+) => {$(
        impl TryFrom<TextColumn> for $ty {
            type Error = $err;

            fn try_from(text: TextColumn) -> Result<Self, Self::Error> {
                text.0.parse()
            }
        }
    )+};
}

parsed_from_text! {
    InvoiceStatus => UnknownStatus,
    AttemptStatus => UnknownStatus,
    Gateway => UnknownGateway,
    Currency => CurrencyError,
    PublicId => PublicIdError,
    InvoiceNumber => InvoiceNumberError,
    ServiceCode => ServiceCodeError,
    MerchantReference => MerchantReferenceError,
    EmailAddress => EmailAddressError,
    PhoneNumber => PhoneNumberError,
}

// The back office's stored values.
parsed_from_text! {
    wetech_domain::StaffRole => wetech_domain::UnknownStaffRole,
    wetech_domain::LeadSalesStatus => UnknownStatus,
}
