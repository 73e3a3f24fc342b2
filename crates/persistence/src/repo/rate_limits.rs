//! The lead rate limit counted in the database (`server.rate_limit_store = "database"`), so every
//! instance on one database counts the same requests: fixed one-minute windows, one row per
//! client key and window.

use diesel::prelude::*;

use super::dispatch;
use crate::schema::rate_limit_counters;
use crate::{DbConnection, PersistenceError};

/// Counts one request of `key` in the window starting at `window_start` (seconds since 1970) and
/// returns the window's count including it: one statement (`INSERT … ON CONFLICT DO UPDATE SET
/// count = count + 1 RETURNING count`), so concurrent checks on any instance never lose a count.
///
/// # Errors
/// A database error.
pub fn hit(conn: &mut DbConnection, key: &str, window_start: i64) -> Result<i32, PersistenceError> {
    use rate_limit_counters::dsl;
    let insert = diesel::insert_into(rate_limit_counters::table).values((
        dsl::key.eq(key),
        dsl::window_start.eq(window_start),
        dsl::count.eq(1),
    ));
    Ok(dispatch!(conn, |c| insert
        .on_conflict((dsl::key, dsl::window_start))
        .do_update()
        .set(dsl::count.eq(dsl::count + 1))
        .returning(dsl::count)
        .get_result::<i32>(c))?)
}

/// Deletes the windows that started before `window_start` (through the index on
/// `window_start`); returns how many rows went.
///
/// # Errors
/// A database error.
pub fn prune_before(conn: &mut DbConnection, window_start: i64) -> Result<usize, PersistenceError> {
    use rate_limit_counters::dsl;
    Ok(
        diesel::delete(rate_limit_counters::table.filter(dsl::window_start.lt(window_start)))
            .execute(conn)?,
    )
}
