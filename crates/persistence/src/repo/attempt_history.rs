//! The state history of payment attempts: one row per change, with its cause. Written only by
//! [`super::attempts`] (in the same statement group as the change itself), read by anyone.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use wetech_domain::AttemptStatus;

use super::TextColumn;
use crate::schema::attempt_status_history;
use crate::{DbConnection, PersistenceError};

/// One recorded change of an attempt's state.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct HistoryRow {
    /// Row id (the order of the changes).
    pub id: i64,
    /// The attempt.
    pub attempt_id: i64,
    /// The state before; `None` for the row written when the attempt was recorded.
    #[diesel(deserialize_as = OptionalStatus)]
    pub from: Option<AttemptStatus>,
    /// The state after.
    #[diesel(deserialize_as = TextColumn)]
    pub to: AttemptStatus,
    /// Why (a gateway's answer, a mismatch, a timeout, …).
    pub cause: String,
    /// When (UTC).
    pub at: NaiveDateTime,
}

/// A nullable status column, parsed like [`TextColumn`].
#[doc(hidden)]
pub struct OptionalStatus(Option<String>);

impl<DB> Queryable<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB> for OptionalStatus
where
    DB: diesel::backend::Backend,
    Option<String>:
        diesel::deserialize::FromSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
{
    type Row = Option<String>;

    fn build(row: Option<String>) -> diesel::deserialize::Result<Self> {
        Ok(OptionalStatus(row))
    }
}

impl TryFrom<OptionalStatus> for Option<AttemptStatus> {
    type Error = wetech_domain::UnknownStatus;

    fn try_from(value: OptionalStatus) -> Result<Self, Self::Error> {
        value.0.map(|s| s.parse()).transpose()
    }
}

/// Longest cause kept (a gateway's message may be long; the raw event keeps all of it).
const MAX_CAUSE_CHARS: usize = 1000;

/// Records one change. Called by the attempt repository's state-changing functions only.
pub(crate) fn record(
    conn: &mut DbConnection,
    attempt_id: i64,
    from: Option<AttemptStatus>,
    to: AttemptStatus,
    cause: &str,
    at: NaiveDateTime,
) -> Result<(), PersistenceError> {
    let cause: String = cause.chars().take(MAX_CAUSE_CHARS).collect();
    diesel::insert_into(attempt_status_history::table)
        .values((
            attempt_status_history::attempt_id.eq(attempt_id),
            attempt_status_history::from_status.eq(from.map(AttemptStatus::as_str)),
            attempt_status_history::to_status.eq(to.as_str()),
            attempt_status_history::cause.eq(cause),
            attempt_status_history::at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The changes of attempt `attempt_id`, oldest first.
///
/// # Errors
/// A database error, or a stored status that does not parse.
pub fn list_for_attempt(
    conn: &mut DbConnection,
    attempt_id: i64,
) -> Result<Vec<HistoryRow>, PersistenceError> {
    Ok(attempt_status_history::table
        .filter(attempt_status_history::attempt_id.eq(attempt_id))
        .order(attempt_status_history::id)
        .load(conn)?)
}
