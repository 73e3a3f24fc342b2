//! Invoices (payment intents) and their per-year numbering.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use wetech_domain::{Currency, InvoiceNumber, InvoiceStatus, PublicId, ServiceCode};

use super::attempts::AttemptRow;
use super::{TextColumn, dispatch};
use crate::schema::{invoice_counters, invoices, payment_attempts};
use crate::{DbConnection, PersistenceError, now_utc, truncate_to_micros};

/// An invoice as stored. The service and amount were copied when it was issued.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct InvoiceRow {
    /// Row id (internal; never in a public URL).
    pub id: i64,
    /// Unguessable public id used in customer-facing URLs.
    #[diesel(deserialize_as = TextColumn)]
    pub public_id: PublicId,
    /// `INV-YYYY-NNNNNN`.
    #[diesel(deserialize_as = TextColumn)]
    pub number: InvoiceNumber,
    /// The client billed.
    pub client_id: i64,
    /// The lead it answers, if any.
    pub lead_id: Option<i64>,
    /// Service code at issue.
    #[diesel(deserialize_as = TextColumn)]
    pub service_code: ServiceCode,
    /// Service name at issue.
    pub service_name: String,
    /// Amount in minor units of `currency`.
    pub amount_minor: i64,
    /// ISO-4217 code.
    #[diesel(deserialize_as = TextColumn)]
    pub currency: Currency,
    /// Current state.
    #[diesel(deserialize_as = TextColumn)]
    pub status: InvoiceStatus,
    /// Issue time (UTC).
    pub issued_at: NaiveDateTime,
    /// When it was paid (UTC).
    pub paid_at: Option<NaiveDateTime>,
    /// Last change (UTC).
    pub updated_at: NaiveDateTime,
}

/// An invoice to issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewInvoice<'a> {
    /// Unguessable public id.
    pub public_id: &'a str,
    /// `INV-YYYY-NNNNNN`, from [`next_invoice_sequence`].
    pub number: &'a str,
    /// The client billed.
    pub client_id: i64,
    /// The lead it answers.
    pub lead_id: Option<i64>,
    /// Service code (copied).
    pub service_code: &'a str,
    /// Service name (copied).
    pub service_name: &'a str,
    /// Amount in minor units (copied from the price).
    pub amount_minor: i64,
    /// ISO-4217 code.
    pub currency: &'a str,
    /// Initial state, normally [`InvoiceStatus::Unpaid`].
    pub status: InvoiceStatus,
    /// Issue time (UTC; stored with microsecond precision).
    pub issued_at: NaiveDateTime,
}

/// Takes the next invoice sequence number of `year` (1, 2, 3, …): one
/// `INSERT … ON CONFLICT (year) DO UPDATE SET last_value = last_value + 1 RETURNING last_value`.
///
/// Call it inside the write transaction that inserts the invoice: the counter row stays locked
/// until commit, so concurrent issuers get distinct numbers, and a rolled-back transaction gives
/// its number back (numbers may still have gaps if an insert fails later for other reasons).
///
/// # Errors
/// A database error.
pub fn next_invoice_sequence(conn: &mut DbConnection, year: i32) -> Result<i64, PersistenceError> {
    Ok(*reserve_invoice_sequences(conn, year, std::num::NonZeroU32::MIN)?.start())
}

/// Takes the next `count` invoice sequence numbers of `year` at once (one statement, as
/// [`next_invoice_sequence`] does for one): a group of leads committed together touches the
/// counter row once. Numbers the caller does not use become gaps, which invoice numbering
/// tolerates.
///
/// # Errors
/// A database error.
pub fn reserve_invoice_sequences(
    conn: &mut DbConnection,
    year: i32,
    count: std::num::NonZeroU32,
) -> Result<std::ops::RangeInclusive<i64>, PersistenceError> {
    let count = i64::from(count.get());
    let insert = diesel::insert_into(invoice_counters::table).values((
        invoice_counters::year.eq(year),
        invoice_counters::last_value.eq(count),
    ));
    let last = dispatch!(conn, |c| insert
        .on_conflict(invoice_counters::year)
        .do_update()
        .set(invoice_counters::last_value.eq(invoice_counters::last_value + count))
        .returning(invoice_counters::last_value)
        .get_result::<i64>(c))?;
    Ok(last - count + 1..=last)
}

/// Issues an invoice.
///
/// # Errors
/// [`PersistenceError::Conflict`] when the number or public id is taken; other database errors.
pub fn insert(
    conn: &mut DbConnection,
    invoice: &NewInvoice<'_>,
) -> Result<InvoiceRow, PersistenceError> {
    let issued_at = truncate_to_micros(invoice.issued_at);
    Ok(diesel::insert_into(invoices::table)
        .values((
            invoices::public_id.eq(invoice.public_id),
            invoices::number.eq(invoice.number),
            invoices::client_id.eq(invoice.client_id),
            invoices::lead_id.eq(invoice.lead_id),
            invoices::service_code.eq(invoice.service_code),
            invoices::service_name.eq(invoice.service_name),
            invoices::amount_minor.eq(invoice.amount_minor),
            invoices::currency.eq(invoice.currency),
            invoices::status.eq(invoice.status.as_str()),
            invoices::issued_at.eq(issued_at),
            invoices::updated_at.eq(issued_at),
        ))
        .returning(invoices::all_columns)
        .get_result(conn)?)
}

/// The invoice with this row id.
///
/// # Errors
/// A database error (also for an unknown stored status).
pub fn find_by_id(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Option<InvoiceRow>, PersistenceError> {
    Ok(invoices::table.find(id).get_result(conn).optional()?)
}

/// The invoice with this public id.
///
/// # Errors
/// A database error.
pub fn find_by_public_id(
    conn: &mut DbConnection,
    public_id: &str,
) -> Result<Option<InvoiceRow>, PersistenceError> {
    Ok(invoices::table
        .filter(invoices::public_id.eq(public_id))
        .get_result(conn)
        .optional()?)
}

/// The invoice with this public id and its payment attempts (oldest first), in one statement:
/// a read of one invoice is one round trip to the database, not one per table.
///
/// # Errors
/// A database error.
pub fn find_with_attempts(
    conn: &mut DbConnection,
    public_id: &str,
) -> Result<Option<(InvoiceRow, Vec<AttemptRow>)>, PersistenceError> {
    // On the backend's own connection type: through `DbConnection` diesel writes the statement's
    // SQL out twice on every execution to find it in the statement cache (see `dispatch!`).
    let rows: Vec<(InvoiceRow, Option<AttemptRow>)> = dispatch!(conn, |c| {
        invoices::table
            .left_join(payment_attempts::table)
            .filter(invoices::public_id.eq(public_id))
            .order(payment_attempts::id)
            .load(c)?
    });
    let mut rows = rows.into_iter();
    let Some((invoice, first)) = rows.next() else {
        return Ok(None);
    };
    let attempts = first
        .into_iter()
        .chain(rows.filter_map(|(_, attempt)| attempt))
        .collect();
    Ok(Some((invoice, attempts)))
}

/// The invoice with this number.
///
/// # Errors
/// A database error.
pub fn find_by_number(
    conn: &mut DbConnection,
    number: &str,
) -> Result<Option<InvoiceRow>, PersistenceError> {
    Ok(invoices::table
        .filter(invoices::number.eq(number))
        .get_result(conn)
        .optional()?)
}

/// Moves invoice `id` from `from` to `to` only if it is still in `from`
/// (`UPDATE … WHERE id = ? AND status = from`). Sets `paid_at` when given. Returns whether this
/// call made the change: of two concurrent callers, exactly one gets `true`.
///
/// The caller checks that the transition is legal (`InvoiceStatus::apply`).
///
/// # Errors
/// A database error.
pub fn transition_invoice(
    conn: &mut DbConnection,
    id: i64,
    from: InvoiceStatus,
    to: InvoiceStatus,
    paid_at: Option<NaiveDateTime>,
) -> Result<bool, PersistenceError> {
    let target = invoices::table
        .filter(invoices::id.eq(id))
        .filter(invoices::status.eq(from.as_str()));
    let now = now_utc();
    let n = match paid_at {
        Some(paid_at) => diesel::update(target)
            .set((
                invoices::status.eq(to.as_str()),
                invoices::paid_at.eq(truncate_to_micros(paid_at)),
                invoices::updated_at.eq(now),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                invoices::status.eq(to.as_str()),
                invoices::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    Ok(n == 1)
}
