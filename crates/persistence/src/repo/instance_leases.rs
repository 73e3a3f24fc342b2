//! Work that one instance does for all instances on the database (e.g. registering the Pesapal
//! IPN URL): a named row that an instance claims with a lease. The claim is one statement, so of
//! several instances asking at once exactly one wins; a holder that crashed loses the claim when
//! its lease runs out.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use crate::{DbConnection, PersistenceError, truncate_to_micros};

/// Claims `name` for `holder` until `lease_until`: wins when nobody holds it, when the last
/// holder's lease ended before `now`, or when `holder` already holds it (renewal). Returns
/// whether `holder` holds it now.
///
/// # Errors
/// A database error.
pub fn try_claim(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> Result<bool, PersistenceError> {
    let p = match conn {
        DbConnection::Pg(_) => ["$1", "$2", "$3", "$4"],
        DbConnection::Sqlite(_) => ["?1", "?2", "?3", "?4"],
    };
    let sql = format!(
        "INSERT INTO instance_leases (name, holder, lease_until) VALUES ({n}, {h}, {u}) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
         lease_until = excluded.lease_until \
         WHERE instance_leases.lease_until < {now} OR instance_leases.holder = excluded.holder",
        n = p[0],
        h = p[1],
        u = p[2],
        now = p[3],
    );
    let changed = diesel::sql_query(sql)
        .bind::<Text, _>(name)
        .bind::<Text, _>(holder)
        .bind::<Timestamp, _>(truncate_to_micros(lease_until))
        .bind::<Timestamp, _>(truncate_to_micros(now))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Gives up `holder`'s claim on `name` (nothing happens when someone else holds it now).
/// Returns whether a claim was released.
///
/// # Errors
/// A database error.
pub fn release(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
) -> Result<bool, PersistenceError> {
    use crate::schema::instance_leases::dsl;
    Ok(diesel::delete(
        dsl::instance_leases
            .filter(dsl::name.eq(name))
            .filter(dsl::holder.eq(holder)),
    )
    .execute(conn)?
        == 1)
}
