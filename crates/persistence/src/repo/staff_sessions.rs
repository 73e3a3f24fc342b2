//! Back-office sessions. Only the SHA-256 of a session's token is stored: a copy of this table
//! signs nobody in.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::staff::StaffRow;
use crate::schema::{staff_accounts, staff_sessions};
use crate::{DbConnection, PersistenceError, truncate_to_micros};

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = staff_sessions)]
pub struct SessionRow {
    /// Hex SHA-256 of the cookie's token.
    pub token_hash: String,
    /// Whose session it is.
    pub staff_id: i64,
    /// When it began (UTC).
    pub created_at: NaiveDateTime,
    /// When it was last used, to about a minute (UTC).
    pub last_seen_at: NaiveDateTime,
    /// The address it was opened from.
    pub client_address: Option<String>,
}

/// A session to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewSession<'a> {
    /// Hex SHA-256 of the cookie's token.
    pub token_hash: &'a str,
    /// Whose session it is.
    pub staff_id: i64,
    /// The address it is opened from.
    pub client_address: Option<&'a str>,
    /// When (UTC); also its first `last_seen_at`.
    pub at: NaiveDateTime,
}

/// Opens a session.
///
/// # Errors
/// A database error ([`PersistenceError::Conflict`] would mean two tokens hashed alike).
pub fn insert(conn: &mut DbConnection, new: &NewSession<'_>) -> Result<(), PersistenceError> {
    let at = truncate_to_micros(new.at);
    diesel::insert_into(staff_sessions::table)
        .values((
            staff_sessions::token_hash.eq(new.token_hash),
            staff_sessions::staff_id.eq(new.staff_id),
            staff_sessions::created_at.eq(at),
            staff_sessions::last_seen_at.eq(at),
            staff_sessions::client_address.eq(new.client_address),
        ))
        .execute(conn)?;
    Ok(())
}

/// The session with this token hash and its account, in one query.
///
/// # Errors
/// A database error.
pub fn find_with_account(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<(SessionRow, StaffRow)>, PersistenceError> {
    Ok(staff_sessions::table
        .inner_join(staff_accounts::table)
        .filter(staff_sessions::token_hash.eq(token_hash))
        .select((SessionRow::as_select(), StaffRow::as_select()))
        .first(conn)
        .optional()?)
}

/// Moves `last_seen_at` to `at`.
///
/// # Errors
/// A database error.
pub fn touch(
    conn: &mut DbConnection,
    token_hash: &str,
    at: NaiveDateTime,
) -> Result<(), PersistenceError> {
    diesel::update(staff_sessions::table.filter(staff_sessions::token_hash.eq(token_hash)))
        .set(staff_sessions::last_seen_at.eq(truncate_to_micros(at)))
        .execute(conn)?;
    Ok(())
}

/// Ends one session; returns whether it existed.
///
/// # Errors
/// A database error.
pub fn delete(conn: &mut DbConnection, token_hash: &str) -> Result<bool, PersistenceError> {
    let n = diesel::delete(staff_sessions::table.filter(staff_sessions::token_hash.eq(token_hash)))
        .execute(conn)?;
    Ok(n == 1)
}

/// Ends every session of one account; returns how many there were.
///
/// # Errors
/// A database error.
pub fn delete_for_staff(conn: &mut DbConnection, staff_id: i64) -> Result<usize, PersistenceError> {
    Ok(
        diesel::delete(staff_sessions::table.filter(staff_sessions::staff_id.eq(staff_id)))
            .execute(conn)?,
    )
}

/// Ends the sessions idle since before `idle_before` or begun before `begun_before` (a tidy-up;
/// such sessions are refused anyway); returns how many.
///
/// # Errors
/// A database error.
pub fn delete_expired(
    conn: &mut DbConnection,
    idle_before: NaiveDateTime,
    begun_before: NaiveDateTime,
) -> Result<usize, PersistenceError> {
    Ok(diesel::delete(
        staff_sessions::table.filter(
            staff_sessions::last_seen_at
                .lt(idle_before)
                .or(staff_sessions::created_at.lt(begun_before)),
        ),
    )
    .execute(conn)?)
}
