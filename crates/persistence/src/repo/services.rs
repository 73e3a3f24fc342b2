//! The service catalogue.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::{TextColumn, dispatch};
use crate::schema::services;
use crate::{DbConnection, PersistenceError, now_utc};
use wetech_domain::{Currency, ServiceCode};

/// One catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct ServiceRow {
    /// Row id (referenced by leads).
    pub id: i64,
    /// Service code, e.g. `WEB-BASIC`.
    #[diesel(deserialize_as = TextColumn)]
    pub code: ServiceCode,
    /// Display name.
    pub name: String,
    /// Current price in minor units of `currency`.
    pub price_minor: i64,
    /// ISO-4217 code.
    #[diesel(deserialize_as = TextColumn)]
    pub currency: Currency,
    /// Offered to customers.
    pub active: bool,
    /// When the entry was created (UTC).
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    pub updated_at: NaiveDateTime,
}

/// A catalogue entry to create or replace by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewService<'a> {
    /// Service code (the key).
    pub code: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Price in minor units.
    pub price_minor: i64,
    /// ISO-4217 code.
    pub currency: &'a str,
    /// Offered to customers.
    pub active: bool,
}

/// Active services, in catalogue order.
///
/// # Errors
/// A database error.
pub fn list_active(conn: &mut DbConnection) -> Result<Vec<ServiceRow>, PersistenceError> {
    Ok(services::table
        .filter(services::active.eq(true))
        .order(services::id)
        .load(conn)?)
}

/// Every service, active or not, in catalogue order.
///
/// # Errors
/// A database error.
pub fn list_all(conn: &mut DbConnection) -> Result<Vec<ServiceRow>, PersistenceError> {
    Ok(services::table.order(services::id).load(conn)?)
}

/// The active service with this code, if any.
///
/// # Errors
/// A database error.
pub fn get_active_by_code(
    conn: &mut DbConnection,
    code: &str,
) -> Result<Option<ServiceRow>, PersistenceError> {
    Ok(services::table
        .filter(services::code.eq(code))
        .filter(services::active.eq(true))
        .first(conn)
        .optional()?)
}

/// The service with this code, active or not.
///
/// # Errors
/// A database error.
pub fn get_by_code(
    conn: &mut DbConnection,
    code: &str,
) -> Result<Option<ServiceRow>, PersistenceError> {
    Ok(services::table
        .filter(services::code.eq(code))
        .first(conn)
        .optional()?)
}

/// Creates the service, or replaces name, price, currency and active flag of the one with the
/// same code. Issued invoices keep their copied price.
///
/// # Errors
/// A database error (e.g. a negative price violates a CHECK constraint).
pub fn upsert(
    conn: &mut DbConnection,
    service: &NewService<'_>,
) -> Result<ServiceRow, PersistenceError> {
    let now = now_utc();
    let insert = diesel::insert_into(services::table).values((
        services::code.eq(service.code),
        services::name.eq(service.name),
        services::price_minor.eq(service.price_minor),
        services::currency.eq(service.currency),
        services::active.eq(service.active),
        services::created_at.eq(now),
        services::updated_at.eq(now),
    ));
    let row = dispatch!(conn, |c| insert
        .on_conflict(services::code)
        .do_update()
        .set((
            services::name.eq(excluded(services::name)),
            services::price_minor.eq(excluded(services::price_minor)),
            services::currency.eq(excluded(services::currency)),
            services::active.eq(excluded(services::active)),
            services::updated_at.eq(excluded(services::updated_at)),
        ))
        .returning(services::all_columns)
        .get_result(c))?;
    Ok(row)
}

/// Stops offering the service. Returns whether a service with this code exists.
///
/// # Errors
/// A database error.
pub fn disable(conn: &mut DbConnection, code: &str) -> Result<bool, PersistenceError> {
    let n = diesel::update(services::table.filter(services::code.eq(code)))
        .set((
            services::active.eq(false),
            services::updated_at.eq(now_utc()),
        ))
        .execute(conn)?;
    Ok(n > 0)
}
