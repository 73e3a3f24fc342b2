//! Leads: one row per submission.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::leads;
use crate::{DbConnection, PersistenceError, now_utc};

/// A lead as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct LeadRow {
    /// Row id.
    pub id: i64,
    /// The client who submitted it.
    pub client_id: i64,
    /// The service asked for.
    pub service_id: i64,
    /// Free-text message.
    pub message: Option<String>,
    /// Submission time (UTC).
    pub created_at: NaiveDateTime,
    /// The sales team's status ([`crate::lead_status`] changes it).
    #[diesel(deserialize_as = super::TextColumn)]
    pub sales_status: wetech_domain::LeadSalesStatus,
    /// The language it was submitted in, `en` or `sw` (the table's CHECK holds it to those);
    /// the client's e-mails use it.
    pub language: String,
}

/// A lead to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLead<'a> {
    /// The client (from [`crate::clients::upsert_by_email`]).
    pub client_id: i64,
    /// The service row id.
    pub service_id: i64,
    /// Free-text message.
    pub message: Option<&'a str>,
}

/// Records a lead.
///
/// # Errors
/// A database error (an unknown client or service violates a foreign key).
pub fn insert(conn: &mut DbConnection, lead: &NewLead<'_>) -> Result<LeadRow, PersistenceError> {
    insert_at(conn, lead, now_utc())
}

/// [`insert`] with the submission time given (stored with microsecond precision).
///
/// # Errors
/// As [`insert`].
pub fn insert_at(
    conn: &mut DbConnection,
    lead: &NewLead<'_>,
    at: NaiveDateTime,
) -> Result<LeadRow, PersistenceError> {
    insert_in(conn, lead, DEFAULT_LANGUAGE, at)
}

/// The language of a lead recorded without one (the column's default).
pub const DEFAULT_LANGUAGE: &str = "en";

/// [`insert_at`] in `language` (`en` or `sw`).
fn insert_in(
    conn: &mut DbConnection,
    lead: &NewLead<'_>,
    language: &str,
    at: NaiveDateTime,
) -> Result<LeadRow, PersistenceError> {
    Ok(diesel::insert_into(leads::table)
        .values((
            leads::client_id.eq(lead.client_id),
            leads::service_id.eq(lead.service_id),
            leads::message.eq(lead.message),
            leads::created_at.eq(crate::truncate_to_micros(at)),
            leads::language.eq(language),
        ))
        .returning(leads::all_columns)
        .get_result(conn)?)
}

/// The lead with this id.
///
/// # Errors
/// A database error.
pub fn find_by_id(conn: &mut DbConnection, id: i64) -> Result<Option<LeadRow>, PersistenceError> {
    Ok(leads::table.find(id).get_result(conn).optional()?)
}

/// A lead with everything needed to record its client and issue its invoice in one step
/// ([`record_with_invoice`]). The invoice is issued `unpaid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadWithInvoice<'a> {
    /// The client, upserted by e-mail as [`crate::clients::upsert_by_email`] does.
    pub client: crate::clients::NewClient<'a>,
    /// The service row id.
    pub service_id: i64,
    /// Free-text message.
    pub message: Option<&'a str>,
    /// The language the lead was submitted in: `en` or `sw`.
    pub language: &'a str,
    /// The invoice's unguessable public id.
    pub public_id: &'a str,
    /// `INV-YYYY-NNNNNN`, from [`crate::invoices::reserve_invoice_sequences`].
    pub number: &'a str,
    /// Service code (copied onto the invoice).
    pub service_code: &'a str,
    /// Service name (copied onto the invoice).
    pub service_name: &'a str,
    /// Amount in minor units (copied from the price).
    pub amount_minor: i64,
    /// ISO-4217 code.
    pub currency: &'a str,
    /// Submission time (UTC): the client's update, the lead's and the invoice's time.
    pub at: NaiveDateTime,
}

/// The rows [`record_with_invoice`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::QueryableByName)]
pub struct RecordedLead {
    /// The client (new or updated).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub client_id: i64,
    /// The new lead.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub lead_id: i64,
    /// The new invoice.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub invoice_id: i64,
}

/// Upserts the client, records the lead and issues its invoice: on PostgreSQL in **one
/// statement** (the statement of [`record_many_with_invoice`] with one row: one round trip to the
/// server instead of three); on SQLite, where the database is in-process, as the three
/// repository calls. The effect is the same on both: exactly what
/// [`crate::clients::upsert_by_email`], [`insert`] and [`crate::invoices::insert`] would do in
/// turn.
///
/// # Errors
/// [`PersistenceError::Conflict`] when the invoice number or public id is taken; other database
/// errors. On PostgreSQL an error aborts the surrounding transaction.
pub fn record_with_invoice(
    conn: &mut DbConnection,
    lead: &LeadWithInvoice<'_>,
) -> Result<RecordedLead, PersistenceError> {
    if let DbConnection::Pg(pg) = conn {
        return record_many_pg(pg, std::slice::from_ref(lead))?
            .pop()
            .ok_or(PersistenceError::NotFound);
    }
    let at = crate::truncate_to_micros(lead.at);
    let client = crate::clients::upsert_by_email_at(conn, &lead.client, at)?;
    let lead_row = insert_in(
        conn,
        &NewLead {
            client_id: client.id,
            service_id: lead.service_id,
            message: lead.message,
        },
        lead.language,
        at,
    )?;
    let invoice = crate::invoices::insert(
        conn,
        &crate::invoices::NewInvoice {
            public_id: lead.public_id,
            number: lead.number,
            client_id: client.id,
            lead_id: Some(lead_row.id),
            service_code: lead.service_code,
            service_name: lead.service_name,
            amount_minor: lead.amount_minor,
            currency: lead.currency,
            status: wetech_domain::InvoiceStatus::Unpaid,
            issued_at: at,
        },
    )?;
    Ok(RecordedLead {
        client_id: client.id,
        lead_id: lead_row.id,
        invoice_id: invoice.id,
    })
}

/// [`record_with_invoice`] for several leads at once, in order; the results are in the same
/// order. On PostgreSQL, when no two leads share an e-mail address (in any letter case), all of
/// them are **one statement** (the rows passed as arrays and `unnest`ed), so a group commit of
/// 32 leads is one round trip; otherwise, and on SQLite, one [`record_with_invoice`] each. Either
/// way the effect is that of calling [`record_with_invoice`] for each lead in turn.
///
/// # Errors
/// As [`record_with_invoice`]; an error means none of the leads may be kept (roll the
/// transaction back).
pub fn record_many_with_invoice(
    conn: &mut DbConnection,
    batch: &[LeadWithInvoice<'_>],
) -> Result<Vec<RecordedLead>, PersistenceError> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let distinct = {
        let mut seen = std::collections::HashSet::with_capacity(batch.len());
        batch
            .iter()
            .all(|l| seen.insert(crate::clients::normalize_email(l.client.email)))
    };
    match conn {
        DbConnection::Pg(pg) if distinct => record_many_pg(pg, batch),
        _ => batch
            .iter()
            .map(|lead| record_with_invoice(conn, lead))
            .collect(),
    }
}

/// The PostgreSQL statement of [`record_many_with_invoice`]. Every lead has its own client (the
/// caller checked the addresses are distinct), so the client id identifies a row's lead, and the
/// invoice's public id identifies the row in the answer.
const RECORD_MANY_PG: &str = "\
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[],
                         $11::text[], $12::bigint[], $13::text[], $14::timestamp[], $15::text[])
        AS t(email, email_normalized, name, phone, company, service_id, message, public_id,
             number, service_code, service_name, amount_minor, currency, at, language)
), c AS (
    INSERT INTO clients (email, email_normalized, name, phone, company, created_at, updated_at)
    SELECT email, email_normalized, name, phone, company, at, at FROM input
    ON CONFLICT (email_normalized) DO UPDATE SET
        email = EXCLUDED.email,
        name = EXCLUDED.name,
        phone = EXCLUDED.phone,
        company = COALESCE(EXCLUDED.company, clients.company),
        updated_at = EXCLUDED.updated_at
    RETURNING id, email_normalized
), l AS (
    INSERT INTO leads (client_id, service_id, message, created_at, language)
    SELECT c.id, input.service_id, input.message, input.at, input.language
    FROM input JOIN c USING (email_normalized)
    RETURNING id, client_id
), i AS (
    INSERT INTO invoices (public_id, number, client_id, lead_id, service_code, service_name,
                          amount_minor, currency, status, issued_at, updated_at)
    SELECT input.public_id, input.number, c.id, l.id, input.service_code, input.service_name,
           input.amount_minor, input.currency, 'unpaid', input.at, input.at
    FROM input JOIN c USING (email_normalized) JOIN l ON l.client_id = c.id
    RETURNING id, public_id, client_id, lead_id
)
SELECT public_id, client_id, lead_id, id AS invoice_id FROM i";

#[derive(diesel::QueryableByName)]
struct RecordedRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    public_id: String,
    #[diesel(embed)]
    recorded: RecordedLead,
}

fn record_many_pg(
    pg: &mut diesel::PgConnection,
    batch: &[LeadWithInvoice<'_>],
) -> Result<Vec<RecordedLead>, PersistenceError> {
    use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};
    fn column<'b, T>(
        batch: &'b [LeadWithInvoice<'_>],
        f: impl Fn(&'b LeadWithInvoice<'_>) -> T,
    ) -> Vec<T> {
        batch.iter().map(f).collect()
    }
    let rows = diesel::sql_query(RECORD_MANY_PG)
        .bind::<Array<Text>, _>(column(batch, |l| l.client.email))
        .bind::<Array<Text>, _>(column(batch, |l| {
            crate::clients::normalize_email(l.client.email)
        }))
        .bind::<Array<Text>, _>(column(batch, |l| l.client.name))
        .bind::<Array<Text>, _>(column(batch, |l| l.client.phone))
        .bind::<Array<Nullable<Text>>, _>(column(batch, |l| l.client.company))
        .bind::<Array<BigInt>, _>(column(batch, |l| l.service_id))
        .bind::<Array<Nullable<Text>>, _>(column(batch, |l| l.message))
        .bind::<Array<Text>, _>(column(batch, |l| l.public_id))
        .bind::<Array<Text>, _>(column(batch, |l| l.number))
        .bind::<Array<Text>, _>(column(batch, |l| l.service_code))
        .bind::<Array<Text>, _>(column(batch, |l| l.service_name))
        .bind::<Array<BigInt>, _>(column(batch, |l| l.amount_minor))
        .bind::<Array<Text>, _>(column(batch, |l| l.currency))
        .bind::<Array<Timestamp>, _>(column(batch, |l| crate::truncate_to_micros(l.at)))
        .bind::<Array<Text>, _>(column(batch, |l| l.language))
        .load::<RecordedRow>(pg)?;
    let mut by_public_id: std::collections::HashMap<String, RecordedLead> = rows
        .into_iter()
        .map(|r| (r.public_id, r.recorded))
        .collect();
    batch
        .iter()
        .map(|l| {
            by_public_id
                .remove(l.public_id)
                .ok_or(PersistenceError::NotFound)
        })
        .collect()
}
