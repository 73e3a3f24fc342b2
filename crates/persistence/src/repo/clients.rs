//! Clients, identified by e-mail address compared case-insensitively.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::{TextColumn, dispatch};
use crate::schema::clients;
use crate::{DbConnection, PersistenceError, now_utc};
use wetech_domain::{EmailAddress, PhoneNumber};

/// A client as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct ClientRow {
    /// Row id.
    pub id: i64,
    /// The address as last submitted.
    #[diesel(deserialize_as = TextColumn)]
    pub email: EmailAddress,
    /// The lower-cased address: the client's identity (unique).
    pub email_normalized: String,
    /// Name as last submitted.
    pub name: String,
    /// Phone (E.164) as last submitted.
    #[diesel(deserialize_as = TextColumn)]
    pub phone: PhoneNumber,
    /// Company, if ever given.
    pub company: Option<String>,
    /// First submission (UTC).
    pub created_at: NaiveDateTime,
    /// Last submission (UTC).
    pub updated_at: NaiveDateTime,
}

/// The client fields of a lead submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewClient<'a> {
    /// E-mail address (already validated by the caller).
    pub email: &'a str,
    /// Name.
    pub name: &'a str,
    /// Phone number (E.164).
    pub phone: &'a str,
    /// Company; `None` keeps a company recorded earlier.
    pub company: Option<&'a str>,
}

diesel::define_sql_function! {
    /// SQL `COALESCE` of two nullable texts.
    fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::Text>, y: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// The identity key of an e-mail address: trimmed and lower-cased (Unicode-aware).
///
/// ```
/// assert_eq!(wetech_persistence::clients::normalize_email(" Amina@Example.CO.TZ "), "amina@example.co.tz");
/// ```
#[must_use]
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Inserts the client, or — when a client with the same address in any letter case exists —
/// updates its address spelling, name, phone and (when given) company, keeping one row.
/// One statement (`INSERT … ON CONFLICT (email_normalized) DO UPDATE … RETURNING`), so two
/// concurrent submissions cannot create two clients.
///
/// # Errors
/// A database error.
pub fn upsert_by_email(
    conn: &mut DbConnection,
    client: &NewClient<'_>,
) -> Result<ClientRow, PersistenceError> {
    upsert_by_email_at(conn, client, now_utc())
}

/// [`upsert_by_email`] with the submission time given (stored with microsecond precision).
///
/// # Errors
/// A database error.
pub fn upsert_by_email_at(
    conn: &mut DbConnection,
    client: &NewClient<'_>,
    now: NaiveDateTime,
) -> Result<ClientRow, PersistenceError> {
    let now = crate::truncate_to_micros(now);
    let insert = diesel::insert_into(clients::table).values((
        clients::email.eq(client.email),
        clients::email_normalized.eq(normalize_email(client.email)),
        clients::name.eq(client.name),
        clients::phone.eq(client.phone),
        clients::company.eq(client.company),
        clients::created_at.eq(now),
        clients::updated_at.eq(now),
    ));
    let row = dispatch!(conn, |c| insert
        .on_conflict(clients::email_normalized)
        .do_update()
        .set((
            clients::email.eq(excluded(clients::email)),
            clients::name.eq(excluded(clients::name)),
            clients::phone.eq(excluded(clients::phone)),
            // A missing company keeps the stored one (as in `leads::record_with_invoice`).
            clients::company.eq(coalesce(excluded(clients::company), clients::company)),
            clients::updated_at.eq(excluded(clients::updated_at)),
        ))
        .returning(clients::all_columns)
        .get_result(c))?;
    Ok(row)
}

/// The client with this id.
///
/// # Errors
/// A database error.
pub fn find_by_id(conn: &mut DbConnection, id: i64) -> Result<Option<ClientRow>, PersistenceError> {
    Ok(clients::table.find(id).get_result(conn).optional()?)
}

/// The client with this address, in any letter case.
///
/// # Errors
/// A database error.
pub fn find_by_email(
    conn: &mut DbConnection,
    email: &str,
) -> Result<Option<ClientRow>, PersistenceError> {
    Ok(clients::table
        .filter(clients::email_normalized.eq(normalize_email(email)))
        .first(conn)
        .optional()?)
}
