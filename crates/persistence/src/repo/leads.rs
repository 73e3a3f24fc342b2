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
    Ok(diesel::insert_into(leads::table)
        .values((
            leads::client_id.eq(lead.client_id),
            leads::service_id.eq(lead.service_id),
            leads::message.eq(lead.message),
            leads::created_at.eq(now_utc()),
        ))
        .returning(leads::all_columns)
        .get_result(conn)?)
}

/// The lead with this id.
///
/// # Errors
/// A database error.
pub fn find_by_id(conn: &mut DbConnection, id: i64) -> Result<Option<LeadRow>, PersistenceError> {
    Ok(leads::table.find(id).first(conn).optional()?)
}
