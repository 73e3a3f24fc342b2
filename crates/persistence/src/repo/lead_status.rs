//! A lead's sales status and the history of its changes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use wetech_domain::LeadSalesStatus;

use super::TextColumn;
use crate::schema::{lead_status_history, leads};
use crate::{DbConnection, PersistenceError, truncate_to_micros};

/// One change as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = lead_status_history)]
pub struct StatusChangeRow {
    /// Row id.
    pub id: i64,
    /// The lead.
    pub lead_id: i64,
    /// The status before.
    #[diesel(deserialize_as = TextColumn)]
    pub from_status: LeadSalesStatus,
    /// The status after.
    #[diesel(deserialize_as = TextColumn)]
    pub to_status: LeadSalesStatus,
    /// Who changed it.
    pub staff_id: i64,
    /// Why, in their words.
    pub note: Option<String>,
    /// When (UTC).
    pub at: NaiveDateTime,
}

/// A change to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange<'a> {
    /// The lead.
    pub lead_id: i64,
    /// The new status (it may equal the current one: then only the note is kept).
    pub to: LeadSalesStatus,
    /// Who changes it.
    pub staff_id: i64,
    /// An optional note.
    pub note: Option<&'a str>,
    /// When (UTC).
    pub at: NaiveDateTime,
}

/// Sets the lead's status and records the change, together: both or neither (a savepoint
/// inside the caller's transaction, or a transaction of its own). Run it inside
/// [`crate::UnitOfWork::write`] with the audit entry of the same change. The update is
/// conditional on the status just read, so two staff changing one lead at once are recorded
/// one after the other, each with the `from` it really replaced.
///
/// # Errors
/// [`PersistenceError::NotFound`] when there is no such lead; a database error.
pub fn change(
    conn: &mut DbConnection,
    change: &StatusChange<'_>,
) -> Result<StatusChangeRow, PersistenceError> {
    crate::in_savepoint(conn, |c| {
        let from: String = leads::table
            .find(change.lead_id)
            .select(leads::sales_status)
            .first(c)
            .optional()?
            .ok_or(PersistenceError::NotFound)?;
        let updated = diesel::update(
            leads::table
                .filter(leads::id.eq(change.lead_id))
                .filter(leads::sales_status.eq(&from)),
        )
        .set(leads::sales_status.eq(change.to.as_str()))
        .execute(c)?;
        if updated != 1 {
            // Another change won between the read and the update; its row is in the history.
            // The caller's unit of work may retry.
            return Err(PersistenceError::Conflict {
                constraint: "leads(sales_status)".to_owned(),
            });
        }
        Ok(diesel::insert_into(lead_status_history::table)
            .values((
                lead_status_history::lead_id.eq(change.lead_id),
                lead_status_history::from_status.eq(&from),
                lead_status_history::to_status.eq(change.to.as_str()),
                lead_status_history::staff_id.eq(change.staff_id),
                lead_status_history::note.eq(change.note),
                lead_status_history::at.eq(truncate_to_micros(change.at)),
            ))
            .returning(lead_status_history::all_columns)
            .get_result(c)?)
    })
}

/// The lead's status changes, oldest first.
///
/// # Errors
/// A database error.
pub fn history(
    conn: &mut DbConnection,
    lead_id: i64,
) -> Result<Vec<StatusChangeRow>, PersistenceError> {
    Ok(lead_status_history::table
        .filter(lead_status_history::lead_id.eq(lead_id))
        .order((lead_status_history::at, lead_status_history::id))
        .select(StatusChangeRow::as_select())
        .load(conn)?)
}
