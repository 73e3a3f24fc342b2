//! The back office's leads: the list (newest first, a page at a time, searched and filtered),
//! and the status history of one lead with who made each change.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use wetech_domain::LeadSalesStatus;

use super::TextColumn;
use super::list_page::page_ids;
use super::search::matching_leads;
use crate::schema::{clients, invoices, lead_status_history, leads, services, staff_accounts};
use crate::{DbConnection, PersistenceError};

/// Which leads a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeadFilter<'a> {
    /// Text found anywhere in the client's name, e-mail, phone (also as digits) or company, or
    /// the lead's invoice number, ignoring letter case; 1 or 2 characters are the start of the
    /// client's name, e-mail or company ([`super::search`]).
    pub q: Option<&'a str>,
    /// Only leads in this sales status.
    pub status: Option<LeadSalesStatus>,
    /// Only this client's leads.
    pub client_id: Option<i64>,
    /// Only leads older than this one (an export reads the list in chunks by it).
    pub before_id: Option<i64>,
}

/// One line of the list: the lead, its client, its service and its invoice.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct LeadListRow {
    /// The lead's id.
    pub id: i64,
    /// When it came in (UTC).
    pub created_at: NaiveDateTime,
    /// Its sales status.
    #[diesel(deserialize_as = TextColumn)]
    pub sales_status: LeadSalesStatus,
    /// Its message.
    pub message: Option<String>,
    /// The client's id.
    pub client_id: i64,
    /// The client's name.
    pub client_name: String,
    /// The client's e-mail address.
    pub client_email: String,
    /// The client's phone.
    pub client_phone: String,
    /// The client's company.
    pub client_company: Option<String>,
    /// The service asked for.
    pub service_name: String,
    /// The invoice issued for it.
    pub invoice_number: Option<String>,
    /// The invoice's public id.
    pub invoice_public_id: Option<String>,
}

/// Up to `limit` leads matching `filter`, newest first, after skipping `offset`.
///
/// The page's ids come first from an index alone (the primary key, `leads_sales_status_id_idx`
/// with a status, the search's own indexes with a search: see [`super::search`]), then the
/// joined rows of those ids.
///
/// # Errors
/// A database error.
pub fn page(
    conn: &mut DbConnection,
    filter: &LeadFilter<'_>,
    offset: i64,
    limit: i64,
) -> Result<Vec<LeadListRow>, PersistenceError> {
    let ids = page_ids!(
        conn,
        leads,
        sales_status,
        filter,
        matching_leads,
        offset,
        limit
    )?;
    rows(conn, &ids)
}

/// Lead `id` as a line of the list (its client, service and invoice with it).
///
/// # Errors
/// A database error.
pub fn one(conn: &mut DbConnection, id: i64) -> Result<Option<LeadListRow>, PersistenceError> {
    Ok(rows(conn, &[id])?.pop())
}

/// The list lines of leads `ids`, newest first.
fn rows(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<LeadListRow>, PersistenceError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(leads::table
        .inner_join(clients::table)
        .inner_join(services::table)
        .left_join(invoices::table)
        .select((
            leads::id,
            leads::created_at,
            leads::sales_status,
            leads::message,
            clients::id,
            clients::name,
            clients::email,
            clients::phone,
            clients::company,
            services::name,
            invoices::number.nullable(),
            invoices::public_id.nullable(),
        ))
        .filter(leads::id.eq_any(ids))
        .order(leads::id.desc())
        .load(conn)?)
}

/// One change of a lead's status with the name of who made it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct HistoryLine {
    /// The status before.
    #[diesel(deserialize_as = TextColumn)]
    pub from_status: LeadSalesStatus,
    /// The status after.
    #[diesel(deserialize_as = TextColumn)]
    pub to_status: LeadSalesStatus,
    /// The note given.
    pub note: Option<String>,
    /// When (UTC).
    pub at: NaiveDateTime,
    /// Who: their name.
    pub staff_name: String,
    /// Who: their address.
    pub staff_email: String,
}

/// Lead `lead_id`'s status changes, oldest first, with who made them.
///
/// # Errors
/// A database error.
pub fn history(
    conn: &mut DbConnection,
    lead_id: i64,
) -> Result<Vec<HistoryLine>, PersistenceError> {
    Ok(lead_status_history::table
        .inner_join(staff_accounts::table)
        .filter(lead_status_history::lead_id.eq(lead_id))
        .order((lead_status_history::at, lead_status_history::id))
        .select((
            lead_status_history::from_status,
            lead_status_history::to_status,
            lead_status_history::note,
            lead_status_history::at,
            staff_accounts::name,
            staff_accounts::email,
        ))
        .load(conn)?)
}
