//! The back office's invoices and payment attempts: the lists (newest first, a page at a time,
//! searched and filtered).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use wetech_domain::{AttemptStatus, Currency, InvoiceStatus};

use super::TextColumn;
use super::search::{ESCAPE, contains_pattern, lower};
use crate::schema::{clients, invoices, payment_attempts};
use crate::{DbConnection, PersistenceError};

/// Which invoices a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvoiceFilter<'a> {
    /// Text found anywhere in the invoice number, the client's e-mail or name, or the merchant
    /// reference of one of its attempts, ignoring letter case.
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

/// Up to `limit` invoices matching `filter`, newest first, after skipping `offset`
/// (`invoices_status_id_idx` with a state; trigram indexes for a search on PostgreSQL).
///
/// # Errors
/// A database error.
pub fn page(
    conn: &mut DbConnection,
    filter: &InvoiceFilter<'_>,
    offset: i64,
    limit: i64,
) -> Result<Vec<InvoiceListRow>, PersistenceError> {
    let mut query = invoices::table
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
        .order(invoices::id.desc())
        .offset(offset)
        .limit(limit)
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(invoices::status.eq(status.as_str()));
    }
    if let Some(client_id) = filter.client_id {
        query = query.filter(invoices::client_id.eq(client_id));
    }
    if let Some(before) = filter.before_id {
        query = query.filter(invoices::id.lt(before));
    }
    if let Some(q) = filter.q {
        let p = contains_pattern(q);
        // The subquery reads its own copy of the table the list joins.
        let c = diesel::alias!(clients as matched_clients);
        let matching_clients = c
            .filter(
                lower(c.field(clients::name).nullable())
                    .like(p.clone())
                    .escape(ESCAPE)
                    .or(lower(c.field(clients::email).nullable())
                        .like(p.clone())
                        .escape(ESCAPE)),
            )
            .select(c.field(clients::id));
        let by_reference = payment_attempts::table
            .filter(
                lower(payment_attempts::merchant_reference.nullable())
                    .like(p.clone())
                    .escape(ESCAPE),
            )
            .select(payment_attempts::invoice_id);
        query = query.filter(
            lower(invoices::number.nullable())
                .like(p)
                .escape(ESCAPE)
                .or(invoices::client_id.eq_any(matching_clients).nullable())
                .or(invoices::id.eq_any(by_reference).nullable()),
        );
    }
    Ok(query.load(conn)?)
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
