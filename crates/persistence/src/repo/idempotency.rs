//! Stored responses for requests carrying an `Idempotency-Key`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::dispatch;
use crate::schema::idempotency_keys;
use crate::{DbConnection, PersistenceError, truncate_to_micros};

/// A stored response.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct IdempotencyRecord {
    /// What the key is scoped to (e.g. `POST /api/v1/leads`).
    pub scope: String,
    /// The client's key.
    pub key: String,
    /// A hash of the first request, to refuse the same key with a different body.
    pub request_fingerprint: String,
    /// The first response's HTTP status.
    pub response_status: i32,
    /// The first response's body.
    pub response_body: String,
    /// When it was stored (UTC).
    pub created_at: NaiveDateTime,
    /// When it may be forgotten (UTC).
    pub expires_at: NaiveDateTime,
}

/// A response to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewIdempotencyRecord<'a> {
    /// Scope.
    pub scope: &'a str,
    /// The client's key.
    pub key: &'a str,
    /// Request fingerprint.
    pub request_fingerprint: &'a str,
    /// HTTP status.
    pub response_status: i32,
    /// Body.
    pub response_body: &'a str,
    /// Now (UTC).
    pub created_at: NaiveDateTime,
    /// Expiry (UTC).
    pub expires_at: NaiveDateTime,
}

/// The unexpired record for (scope, key) at time `now`.
///
/// # Errors
/// A database error.
pub fn get(
    conn: &mut DbConnection,
    scope: &str,
    key: &str,
    now: NaiveDateTime,
) -> Result<Option<IdempotencyRecord>, PersistenceError> {
    Ok(idempotency_keys::table
        .find((scope, key))
        .filter(idempotency_keys::expires_at.gt(truncate_to_micros(now)))
        .first(conn)
        .optional()?)
}

/// Stores the record. An expired record under the same key is replaced.
///
/// # Errors
/// [`PersistenceError::Conflict`] when an unexpired record for (scope, key) exists (a
/// concurrent request with the same key won); written with `ON CONFLICT DO NOTHING`, so the
/// surrounding transaction stays usable. Other database errors.
pub fn insert(
    conn: &mut DbConnection,
    record: &NewIdempotencyRecord<'_>,
) -> Result<IdempotencyRecord, PersistenceError> {
    diesel::delete(
        idempotency_keys::table
            .find((record.scope, record.key))
            .filter(idempotency_keys::expires_at.le(truncate_to_micros(record.created_at))),
    )
    .execute(conn)?;
    let insert = diesel::insert_into(idempotency_keys::table).values((
        idempotency_keys::scope.eq(record.scope),
        idempotency_keys::key.eq(record.key),
        idempotency_keys::request_fingerprint.eq(record.request_fingerprint),
        idempotency_keys::response_status.eq(record.response_status),
        idempotency_keys::response_body.eq(record.response_body),
        idempotency_keys::created_at.eq(truncate_to_micros(record.created_at)),
        idempotency_keys::expires_at.eq(truncate_to_micros(record.expires_at)),
    ));
    let row: Option<IdempotencyRecord> = dispatch!(conn, |c| insert
        .on_conflict((idempotency_keys::scope, idempotency_keys::key))
        .do_nothing()
        .returning(idempotency_keys::all_columns)
        .get_result(c)
        .optional())?;
    row.ok_or_else(|| PersistenceError::Conflict {
        constraint: "idempotency_keys(scope, key)".to_owned(),
    })
}

/// Deletes records expired at `now`; returns how many.
///
/// # Errors
/// A database error.
pub fn purge_expired(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> Result<usize, PersistenceError> {
    Ok(diesel::delete(
        idempotency_keys::table.filter(idempotency_keys::expires_at.le(truncate_to_micros(now))),
    )
    .execute(conn)?)
}
