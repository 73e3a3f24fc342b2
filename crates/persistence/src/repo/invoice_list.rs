//! The back office's invoices and payment attempts: the lists (newest first, a page at a time,
//! searched and filtered).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use wetech_domain::{AttemptStatus, Currency, InvoiceStatus};

use super::TextColumn;
use super::list_page::page_ids;
use super::search::matching_invoices;
use crate::schema::{clients, invoices, payment_attempts};
use crate::{DbConnection, PersistenceError};

/// Which invoices a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvoiceFilter<'a> {
    /// Text found anywhere in the invoice number, the client's name, e-mail, phone (also as
    /// digits) or company, or the merchant reference of one of its attempts, ignoring letter
    /// case; 1 or 2 characters are the start of the client's name, e-mail or company
    /// ([`super::search`]).
    pub q: Option<&'a str>,
    /// Only invoices in this state.
    pub status: Option<InvoiceStatus>,
    /// Only this client's invoices.
    pub client_id: Option<i64>,
    /// Only invoices older than this one (an export reads the list in chunks by it).
    pub before_id: Option<i64>,
}

/// One line of the list: the invoice and its client.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct InvoiceListRow {
    /// Row id.
    pub id: i64,
    /// The public id (the invoice page's address).
    pub public_id: String,
    /// `INV-YYYY-NNNNNN`.
    pub number: String,
    /// Its state.
    #[diesel(deserialize_as = TextColumn)]
    pub status: InvoiceStatus,
    /// The service billed.
    pub service_name: String,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// Its currency.
    #[diesel(deserialize_as = TextColumn)]
    pub currency: Currency,
    /// Issue time (UTC).
    pub issued_at: NaiveDateTime,
    /// When it was paid (UTC).
    pub paid_at: Option<NaiveDateTime>,
    /// The lead it answers.
    pub lead_id: Option<i64>,
    /// The client's id.
    pub client_id: i64,
    /// The client's name.
    pub client_name: String,
    /// The client's e-mail address.
    pub client_email: String,
}

/// Up to `limit` invoices matching `filter`, newest first, after skipping `offset`: the page's
/// ids from an index alone (`invoices_status_id_idx` with a state, the search's own indexes with
/// a search: see [`super::search`]), then the joined rows of those ids.
///
/// # Errors
/// A database error.
pub fn page(
    conn: &mut DbConnection,
    filter: &InvoiceFilter<'_>,
    offset: i64,
    limit: i64,
) -> Result<Vec<InvoiceListRow>, PersistenceError> {
    let ids = page_ids!(
        conn,
        invoices,
        status,
        filter,
        matching_invoices,
        offset,
        limit
    )?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(invoices::table
        .inner_join(clients::table)
        .select((
            invoices::id,
            invoices::public_id,
            invoices::number,
            invoices::status,
            invoices::service_name,
            invoices::amount_minor,
            invoices::currency,
            invoices::issued_at,
            invoices::paid_at,
            invoices::lead_id,
            clients::id,
            clients::name,
            clients::email,
        ))
        .filter(invoices::id.eq_any(&ids))
        .order(invoices::id.desc())
        .load(conn)?)
}

/// One payment attempt with its invoice and client.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct AttemptListRow {
    /// Row id.
    pub id: i64,
    /// Our reference at the gateway.
    pub merchant_reference: String,
    /// `pesapal` or `azampay`.
    pub gateway: String,
    /// Its state.
    #[diesel(deserialize_as = TextColumn)]
    pub status: AttemptStatus,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// Its currency.
    #[diesel(deserialize_as = TextColumn)]
    pub currency: Currency,
    /// Why it is under review, when it is.
    pub review_reason: Option<String>,
    /// Started (UTC).
    pub created_at: NaiveDateTime,
    /// Last change (UTC).
    pub updated_at: NaiveDateTime,
    /// The invoice's public id.
    pub invoice_public_id: String,
    /// The invoice's number.
    pub invoice_number: String,
    /// The client's name.
    pub client_name: String,
}

/// Up to `limit` attempts in state `status` (any state when `None`), newest first, after
/// skipping `offset` (`payment_attempts_status_id_idx`).
///
/// # Errors
/// A database error.
pub fn attempts_page(
    conn: &mut DbConnection,
    status: Option<AttemptStatus>,
    offset: i64,
    limit: i64,
) -> Result<Vec<AttemptListRow>, PersistenceError> {
    let mut query = payment_attempts::table
        .inner_join(invoices::table.inner_join(clients::table))
        .select((
            payment_attempts::id,
            payment_attempts::merchant_reference,
            payment_attempts::gateway,
            payment_attempts::status,
            payment_attempts::amount_minor,
            payment_attempts::currency,
            payment_attempts::review_reason,
            payment_attempts::created_at,
            payment_attempts::updated_at,
            invoices::public_id,
            invoices::number,
            clients::name,
        ))
        .order(payment_attempts::id.desc())
        .offset(offset)
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(payment_attempts::status.eq(status.as_str()));
    }
    Ok(query.load(conn)?)
}

/// How many attempts are in state `status` (the dashboard's "in review").
///
/// # Errors
/// A database error.
pub fn count_attempts(
    conn: &mut DbConnection,
    status: AttemptStatus,
) -> Result<i64, PersistenceError> {
    Ok(payment_attempts::table
        .filter(payment_attempts::status.eq(status.as_str()))
        .count()
        .get_result(conn)?)
}
