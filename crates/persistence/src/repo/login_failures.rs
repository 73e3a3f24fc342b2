//! Failed sign-ins, kept for the lockout window. They are counted in the database, so a lockout
//! holds across every instance serving one database.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::login_failures;
use crate::{DbConnection, PersistenceError, truncate_to_micros};

/// Records one failure.
///
/// # Errors
/// A database error.
pub fn record(
    conn: &mut DbConnection,
    email: &str,
    client_address: &str,
    at: NaiveDateTime,
) -> Result<(), PersistenceError> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::email.eq(email),
            login_failures::client_address.eq(client_address),
            login_failures::at.eq(truncate_to_micros(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Failures for this typed address since `since` (an index range scan).
///
/// # Errors
/// A database error.
pub fn count_for_email_since(
    conn: &mut DbConnection,
    email: &str,
    since: NaiveDateTime,
) -> Result<i64, PersistenceError> {
    Ok(login_failures::table
        .filter(login_failures::email.eq(email))
        .filter(login_failures::at.ge(since))
        .count()
        .get_result(conn)?)
}

/// Failures from this client address since `since` (an index range scan).
///
/// # Errors
/// A database error.
pub fn count_for_address_since(
    conn: &mut DbConnection,
    client_address: &str,
    since: NaiveDateTime,
) -> Result<i64, PersistenceError> {
    Ok(login_failures::table
        .filter(login_failures::client_address.eq(client_address))
        .filter(login_failures::at.ge(since))
        .count()
        .get_result(conn)?)
}

/// Forgets the failures of this typed address (after its owner signed in).
///
/// # Errors
/// A database error.
pub fn clear_for_email(conn: &mut DbConnection, email: &str) -> Result<usize, PersistenceError> {
    Ok(
        diesel::delete(login_failures::table.filter(login_failures::email.eq(email)))
            .execute(conn)?,
    )
}

/// Deletes the failures older than `before` (outside every window); returns how many.
///
/// # Errors
/// A database error.
pub fn prune_before(
    conn: &mut DbConnection,
    before: NaiveDateTime,
) -> Result<usize, PersistenceError> {
    Ok(
        diesel::delete(login_failures::table.filter(login_failures::at.lt(before)))
            .execute(conn)?,
    )
}
