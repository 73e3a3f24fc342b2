//! The lead rate limit counted in the database (`server.rate_limit_store = "database"`), so every
//! instance on one database counts the same requests: fixed one-minute windows, one row per
//! client key and window.

use diesel::prelude::*;

use crate::schema::rate_limit_counters;
use crate::{DbConnection, PersistenceError};

/// Counts one request of `key` in the window starting at `window_start` (seconds since 1970) and
/// returns the window's count including it: one statement (`INSERT … ON CONFLICT DO UPDATE SET
/// count = count + 1 RETURNING count`), so concurrent checks on any instance never lose a count.
///
/// On PostgreSQL the statement's own transaction commits without waiting for its WAL to reach the
/// disk (`set_config('synchronous_commit', 'off', true)` inside the statement, local to it):
/// a counter of the rate limit is not worth an fsync, and losing the last few increments in a
/// crash only lets a client send a few more leads. Waiting for it cost nearly half the lead
/// throughput, because every request from one address updates one row and each held its lock
/// through the flush (docs/benchmarks.md, "Variants side by side"). Never used for anything that
/// moves money: on a connection inside a transaction it refuses to run (the setting would apply
/// to that whole transaction).
///
/// # Errors
/// A database error; `AlreadyInTransaction` on PostgreSQL inside a transaction.
pub fn hit(conn: &mut DbConnection, key: &str, window_start: i64) -> Result<i32, PersistenceError> {
    use rate_limit_counters::dsl;
    match conn {
        DbConnection::Sqlite(c) => Ok(diesel::insert_into(rate_limit_counters::table)
            .values((
                dsl::key.eq(key),
                dsl::window_start.eq(window_start),
                dsl::count.eq(1),
            ))
            .on_conflict((dsl::key, dsl::window_start))
            .do_update()
            .set(dsl::count.eq(dsl::count + 1))
            .returning(dsl::count)
            .get_result::<i32>(c)?),
        DbConnection::Pg(c) => {
            use diesel::connection::{AnsiTransactionManager, TransactionManager as _};
            if AnsiTransactionManager::transaction_manager_status_mut(c)
                .transaction_depth()?
                .is_some()
            {
                return Err(diesel::result::Error::AlreadyInTransaction.into());
            }
            Ok(diesel::sql_query(
            "INSERT INTO rate_limit_counters (key, window_start, count) \
             SELECT $1, $2, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_wait \
             ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_counters.count + 1 \
             RETURNING count",
        )
        .bind::<diesel::sql_types::Text, _>(key)
        .bind::<diesel::sql_types::BigInt, _>(window_start)
            .get_result::<Count>(c)?
            .count)
        }
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    count: i32,
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
