//! The figures of the back office's dashboard, each one indexed query.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use wetech_domain::InvoiceStatus;

use crate::schema::{invoices, leads};
use crate::{DbConnection, PersistenceError};

/// Leads submitted at or after `since`.
///
/// # Errors
/// A database error.
pub fn leads_since(conn: &mut DbConnection, since: NaiveDateTime) -> Result<i64, PersistenceError> {
    Ok(leads::table
        .filter(leads::created_at.ge(since))
        .count()
        .get_result(conn)?)
}

/// The total amount of the invoices in any of `statuses`, per currency (minor units), by
/// currency code.
///
/// # Errors
/// A database error.
pub fn invoice_totals(
    conn: &mut DbConnection,
    statuses: &[InvoiceStatus],
) -> Result<Vec<(String, i64)>, PersistenceError> {
    Ok(invoices::table
        .filter(invoices::status.eq_any(statuses.iter().map(|s| s.as_str())))
        .group_by(invoices::currency)
        .select((invoices::currency, total()))
        .order(invoices::currency)
        .load(conn)?)
}

/// The total amount of the invoices paid at or after `since` that are still `paid`, per
/// currency (minor units), by currency code.
///
/// # Errors
/// A database error.
pub fn paid_since(
    conn: &mut DbConnection,
    since: NaiveDateTime,
) -> Result<Vec<(String, i64)>, PersistenceError> {
    Ok(invoices::table
        .filter(invoices::status.eq(InvoiceStatus::Paid.as_str()))
        .filter(invoices::paid_at.ge(since))
        .group_by(invoices::currency)
        .select((invoices::currency, total()))
        .order(invoices::currency)
        .load(conn)?)
}

/// `SUM(amount_minor)` as a `BIGINT` on both backends (PostgreSQL's `SUM` of a `BIGINT` is a
/// `NUMERIC`); a group always has a row, so the sum is never NULL.
fn total() -> diesel::expression::SqlLiteral<BigInt> {
    sql::<BigInt>("CAST(SUM(invoices.amount_minor) AS BIGINT)")
}
