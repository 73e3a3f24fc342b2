//! The audit log: who did what in the back office, when, from which address, with the state
//! before and after. Rows are only ever added: this module has no update and no delete.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::audit_log;
use crate::{DbConnection, PersistenceError, truncate_to_micros};

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    /// Row id (grows with time).
    pub id: i64,
    /// When (UTC).
    pub at: NaiveDateTime,
    /// The account that acted, when one did (`None` for `ops` and for sign-ins to no account).
    pub staff_id: Option<i64>,
    /// Who acted: the account's address, the address typed at a failed sign-in, or `ops`.
    pub actor_email: String,
    /// The client address the request came from.
    pub client_address: Option<String>,
    /// What was done, e.g. `login`, `staff.disable` (docs/back-office.md lists them).
    pub action: String,
    /// What it was done to, e.g. an account's address or `lead:42`.
    pub subject: Option<String>,
    /// The state before (JSON), when there was one.
    pub before: Option<String>,
    /// The state after (JSON), when there is one.
    pub after: Option<String>,
}

/// An entry to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAudit<'a> {
    /// When (UTC).
    pub at: NaiveDateTime,
    /// The account that acted.
    pub staff_id: Option<i64>,
    /// Who acted.
    pub actor_email: &'a str,
    /// From where.
    pub client_address: Option<&'a str>,
    /// What was done.
    pub action: &'a str,
    /// To what.
    pub subject: Option<&'a str>,
    /// The state before (JSON).
    pub before: Option<&'a str>,
    /// The state after (JSON).
    pub after: Option<&'a str>,
}

/// Adds an entry. Call it in the transaction of the change it records.
///
/// # Errors
/// A database error.
pub fn record(conn: &mut DbConnection, entry: &NewAudit<'_>) -> Result<i64, PersistenceError> {
    Ok(diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(truncate_to_micros(entry.at)),
            audit_log::staff_id.eq(entry.staff_id),
            audit_log::actor_email.eq(entry.actor_email),
            audit_log::client_address.eq(entry.client_address),
            audit_log::action.eq(entry.action),
            audit_log::subject.eq(entry.subject),
            audit_log::before.eq(entry.before),
            audit_log::after.eq(entry.after),
        ))
        .returning(audit_log::id)
        .get_result(conn)?)
}

/// The newest `limit` entries with an id below `before_id` (all when `None`), newest first: a
/// page of the log, by the primary key's index.
///
/// # Errors
/// A database error.
pub fn list_recent(
    conn: &mut DbConnection,
    limit: i64,
    before_id: Option<i64>,
) -> Result<Vec<AuditRow>, PersistenceError> {
    let mut query = audit_log::table
        .select(AuditRow::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(id) = before_id {
        query = query.filter(audit_log::id.lt(id));
    }
    Ok(query.load(conn)?)
}
