//! Gateway notifications and status answers, stored raw, deduplicated by (gateway, key).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{TextColumn, dispatch};
use crate::schema::payment_events;
use crate::{DbConnection, PersistenceError, truncate_to_micros};
use wetech_domain::Gateway;

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct EventRow {
    /// Row id.
    pub id: i64,
    /// The attempt it concerns, once known.
    pub attempt_id: Option<i64>,
    /// The gateway it came from.
    #[diesel(deserialize_as = TextColumn)]
    pub gateway: Gateway,
    /// `ipn`, `callback`, `return`, `status_query`, …
    pub kind: String,
    /// What makes two deliveries "the same event" for this gateway.
    pub dedupe_key: String,
    /// The raw body or query string, as received.
    pub payload: String,
    /// Arrival time (UTC).
    pub received_at: NaiveDateTime,
    /// What handling it did (e.g. `settled`, `ignored_duplicate`, `pending`).
    pub outcome: String,
}

/// An event to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewEvent<'a> {
    /// The attempt it concerns, if known.
    pub attempt_id: Option<i64>,
    /// The gateway it came from.
    pub gateway: Gateway,
    /// `ipn`, `callback`, `return`, `status_query`, …
    pub kind: &'a str,
    /// Dedupe key, unique per gateway.
    pub dedupe_key: &'a str,
    /// The raw payload.
    pub payload: &'a str,
    /// Arrival time (UTC).
    pub received_at: NaiveDateTime,
    /// Initial outcome (e.g. `received`); update it with [`set_outcome`].
    pub outcome: &'a str,
}

/// Result of [`record_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventInsert {
    /// First delivery: stored.
    Recorded(EventRow),
    /// An event with the same (gateway, dedupe key) is already stored; nothing was written.
    AlreadyRecorded,
}

/// Stores the event unless one with the same (gateway, dedupe key) exists
/// (`INSERT … ON CONFLICT DO NOTHING RETURNING …`). A duplicate is a normal outcome, not an
/// error, and it does not abort the surrounding PostgreSQL transaction.
///
/// # Errors
/// A database error.
pub fn record_event(
    conn: &mut DbConnection,
    event: &NewEvent<'_>,
) -> Result<EventInsert, PersistenceError> {
    let insert = diesel::insert_into(payment_events::table).values((
        payment_events::attempt_id.eq(event.attempt_id),
        payment_events::gateway.eq(event.gateway.as_str()),
        payment_events::kind.eq(event.kind),
        payment_events::dedupe_key.eq(event.dedupe_key),
        payment_events::payload.eq(event.payload),
        payment_events::received_at.eq(truncate_to_micros(event.received_at)),
        payment_events::outcome.eq(event.outcome),
    ));
    let row: Option<EventRow> = dispatch!(conn, |c| insert
        .on_conflict((payment_events::gateway, payment_events::dedupe_key))
        .do_nothing()
        .returning(payment_events::all_columns)
        .get_result(c)
        .optional())?;
    Ok(row.map_or(EventInsert::AlreadyRecorded, EventInsert::Recorded))
}

/// Records what handling the event did, and the attempt it concerned once known. Returns
/// whether the event exists.
///
/// # Errors
/// A database error.
pub fn set_outcome(
    conn: &mut DbConnection,
    id: i64,
    attempt_id: Option<i64>,
    outcome: &str,
) -> Result<bool, PersistenceError> {
    let target = payment_events::table.find(id);
    let n = match attempt_id {
        Some(attempt_id) => diesel::update(target)
            .set((
                payment_events::outcome.eq(outcome),
                payment_events::attempt_id.eq(attempt_id),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set(payment_events::outcome.eq(outcome))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// The event stored under (gateway, dedupe key).
///
/// # Errors
/// A database error.
pub fn find(
    conn: &mut DbConnection,
    gateway: Gateway,
    dedupe_key: &str,
) -> Result<Option<EventRow>, PersistenceError> {
    Ok(payment_events::table
        .filter(payment_events::gateway.eq(gateway.as_str()))
        .filter(payment_events::dedupe_key.eq(dedupe_key))
        .first(conn)
        .optional()?)
}

/// The events of an attempt, in arrival order.
///
/// # Errors
/// A database error.
pub fn list_for_attempt(
    conn: &mut DbConnection,
    attempt_id: i64,
) -> Result<Vec<EventRow>, PersistenceError> {
    Ok(payment_events::table
        .filter(payment_events::attempt_id.eq(attempt_id))
        .order(payment_events::id)
        .load(conn)?)
}

/// The events stored without an attempt (refused before one was found, or naming none), newest
/// first, at most `limit`.
///
/// # Errors
/// A database error.
pub fn list_without_attempt(
    conn: &mut DbConnection,
    limit: i64,
) -> Result<Vec<EventRow>, PersistenceError> {
    Ok(payment_events::table
        .filter(payment_events::attempt_id.is_null())
        .order(payment_events::id.desc())
        .limit(limit.max(0))
        .load(conn)?)
}
