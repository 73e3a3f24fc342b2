//! Back-office accounts. The password is kept only as the PHC string of its hash, and no list or
//! lookup here returns it except [`find_credentials`], which sign-in needs.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use wetech_domain::StaffRole;

use super::TextColumn;
use crate::schema::staff_accounts;
use crate::{DbConnection, PersistenceError, truncate_to_micros};

/// An account as shown: everything but the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = staff_accounts)]
pub struct StaffRow {
    /// Row id.
    pub id: i64,
    /// The address as given when the account was made.
    pub email: String,
    /// `staff` or `admin`.
    #[diesel(deserialize_as = TextColumn)]
    pub role: StaffRole,
    /// Display name.
    pub name: String,
    /// When it was disabled; a disabled account cannot sign in.
    pub disabled_at: Option<NaiveDateTime>,
    /// When it was made (UTC).
    pub created_at: NaiveDateTime,
    /// When its password was last set (UTC).
    pub password_changed_at: NaiveDateTime,
}

/// [`StaffRow`]'s columns in its field order (a `RETURNING` list both backends take).
const ROW_COLUMNS: (
    staff_accounts::id,
    staff_accounts::email,
    staff_accounts::role,
    staff_accounts::name,
    staff_accounts::disabled_at,
    staff_accounts::created_at,
    staff_accounts::password_changed_at,
) = (
    staff_accounts::id,
    staff_accounts::email,
    staff_accounts::role,
    staff_accounts::name,
    staff_accounts::disabled_at,
    staff_accounts::created_at,
    staff_accounts::password_changed_at,
);

/// An account with its password hash, for checking a sign-in.
#[derive(Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = staff_accounts)]
pub struct Credentials {
    /// The account.
    #[diesel(embed)]
    pub account: StaffRow,
    /// The PHC string of the password's hash.
    pub password_hash: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// An account to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewStaff<'a> {
    /// The address as given (it is also stored lower-cased, the unique key).
    pub email: &'a str,
    /// Display name.
    pub name: &'a str,
    /// `staff` or `admin`.
    pub role: StaffRole,
    /// The PHC string of the password's hash.
    pub password_hash: &'a str,
    /// Creation time (UTC).
    pub at: NaiveDateTime,
}

/// The key an address is stored and looked up under: trimmed and lower-cased.
#[must_use]
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Makes an account.
///
/// # Errors
/// [`PersistenceError::Conflict`] on `staff_accounts(email_normalized)` when the address (in any
/// letter case) already has one; other database errors.
pub fn insert(conn: &mut DbConnection, new: &NewStaff<'_>) -> Result<StaffRow, PersistenceError> {
    let at = truncate_to_micros(new.at);
    Ok(diesel::insert_into(staff_accounts::table)
        .values((
            staff_accounts::email.eq(new.email),
            staff_accounts::email_normalized.eq(normalize_email(new.email)),
            staff_accounts::name.eq(new.name),
            staff_accounts::role.eq(new.role.as_str()),
            staff_accounts::password_hash.eq(new.password_hash),
            staff_accounts::created_at.eq(at),
            staff_accounts::password_changed_at.eq(at),
        ))
        .returning(ROW_COLUMNS)
        .get_result(conn)?)
}

/// Every account, oldest first.
///
/// # Errors
/// A database error.
pub fn list(conn: &mut DbConnection) -> Result<Vec<StaffRow>, PersistenceError> {
    Ok(staff_accounts::table
        .order(staff_accounts::id)
        .select(StaffRow::as_select())
        .load(conn)?)
}

/// The account of this address (any letter case).
///
/// # Errors
/// A database error.
pub fn find_by_email(
    conn: &mut DbConnection,
    email: &str,
) -> Result<Option<StaffRow>, PersistenceError> {
    Ok(staff_accounts::table
        .filter(staff_accounts::email_normalized.eq(normalize_email(email)))
        .select(StaffRow::as_select())
        .first(conn)
        .optional()?)
}

/// The account of this address with its password hash, for a sign-in.
///
/// # Errors
/// A database error.
pub fn find_credentials(
    conn: &mut DbConnection,
    email: &str,
) -> Result<Option<Credentials>, PersistenceError> {
    Ok(staff_accounts::table
        .filter(staff_accounts::email_normalized.eq(normalize_email(email)))
        .select(Credentials::as_select())
        .first(conn)
        .optional()?)
}

/// Disables the account unless it already is; returns whether this call disabled it.
///
/// # Errors
/// A database error.
pub fn disable(
    conn: &mut DbConnection,
    id: i64,
    at: NaiveDateTime,
) -> Result<bool, PersistenceError> {
    let n = diesel::update(
        staff_accounts::table
            .filter(staff_accounts::id.eq(id))
            .filter(staff_accounts::disabled_at.is_null()),
    )
    .set(staff_accounts::disabled_at.eq(truncate_to_micros(at)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Replaces the password hash.
///
/// # Errors
/// [`PersistenceError::NotFound`] when there is no such account; a database error.
pub fn set_password_hash(
    conn: &mut DbConnection,
    id: i64,
    password_hash: &str,
    at: NaiveDateTime,
) -> Result<(), PersistenceError> {
    let n = diesel::update(staff_accounts::table.filter(staff_accounts::id.eq(id)))
        .set((
            staff_accounts::password_hash.eq(password_hash),
            staff_accounts::password_changed_at.eq(truncate_to_micros(at)),
        ))
        .execute(conn)?;
    if n == 1 {
        Ok(())
    } else {
        Err(PersistenceError::NotFound)
    }
}
