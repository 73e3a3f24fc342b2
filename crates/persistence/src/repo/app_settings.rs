//! Small key-value settings the application keeps in the database (e.g. `pesapal.ipn_id`).

use diesel::prelude::*;
use diesel::upsert::excluded;

use super::dispatch;
use crate::schema::app_settings;
use crate::{DbConnection, PersistenceError, now_utc};

/// The value stored under `key`.
///
/// # Errors
/// A database error.
pub fn get(conn: &mut DbConnection, key: &str) -> Result<Option<String>, PersistenceError> {
    Ok(app_settings::table
        .find(key)
        .select(app_settings::value)
        .first(conn)
        .optional()?)
}

/// Stores `value` under `key`, replacing any earlier value.
///
/// # Errors
/// A database error.
pub fn set(conn: &mut DbConnection, key: &str, value: &str) -> Result<(), PersistenceError> {
    let insert = diesel::insert_into(app_settings::table).values((
        app_settings::key.eq(key),
        app_settings::value.eq(value),
        app_settings::updated_at.eq(now_utc()),
    ));
    dispatch!(conn, |c| insert
        .on_conflict(app_settings::key)
        .do_update()
        .set((
            app_settings::value.eq(excluded(app_settings::value)),
            app_settings::updated_at.eq(excluded(app_settings::updated_at)),
        ))
        .execute(c))?;
    Ok(())
}

/// Removes `key`; returns whether it existed.
///
/// # Errors
/// A database error.
pub fn delete(conn: &mut DbConnection, key: &str) -> Result<bool, PersistenceError> {
    Ok(diesel::delete(app_settings::table.find(key)).execute(conn)? > 0)
}
