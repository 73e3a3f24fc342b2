//! `UnitOfWork`: the use case owns the transaction.

use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::result::Error as DieselError;

use crate::connection::{DbConnection, Pool, PooledConnection};
use crate::error::PersistenceError;

/// Runs closures in a database transaction on a pooled connection. Cheap to clone (it holds the
/// pool). Synchronous: from async code call it inside `spawn_blocking` / `web::block`, and never
/// make a network call inside the closure.
///
/// ```
/// use wetech_test_db::TestDb;
/// use wetech_persistence::{PersistenceError, app_settings};
///
/// let db = TestDb::sqlite();
/// let uow = db.unit_of_work();
/// uow.write(|tx| app_settings::set(tx, "pesapal.ipn_id", "abc"))?;
/// let value = uow.read(|conn| app_settings::get(conn, "pesapal.ipn_id"))?;
/// assert_eq!(value.as_deref(), Some("abc"));
/// # Ok::<(), PersistenceError>(())
/// ```
#[derive(Clone)]
pub struct UnitOfWork {
    pool: Pool,
    /// SQLite admits one writer at a time. Its busy handler makes waiting writers sleep and retry
    /// (1–100 ms steps), which is unfair: under load some writers wait seconds and time out with
    /// "database is locked". Writers of this process queue here instead, first come first
    /// served, and only then take SQLite's lock (other processes still meet `busy_timeout`).
    sqlite_writers: std::sync::Arc<parking_lot::FairMutex<()>>,
}

impl std::fmt::Debug for UnitOfWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitOfWork")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl UnitOfWork {
    /// A unit of work over `pool`. Clones share the pool and the SQLite writer queue.
    #[must_use]
    pub fn new(pool: Pool) -> Self {
        UnitOfWork {
            pool,
            sqlite_writers: std::sync::Arc::default(),
        }
    }

    /// The pool, for callers that need a plain connection (health checks, migrations).
    #[must_use]
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Checks a connection out of the pool.
    ///
    /// # Errors
    /// [`PersistenceError::Pool`] when none frees up within the connection timeout.
    pub fn connection(&self) -> Result<PooledConnection, PersistenceError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` in one write transaction and commits when it returns `Ok`; on `Err` (or a failed
    /// commit) nothing it wrote remains. SQLite opens the transaction with `BEGIN IMMEDIATE`, so
    /// the write lock is taken up front (waiting up to `busy_timeout`) and a read-then-write body
    /// never fails with "database is locked" halfway; PostgreSQL uses a plain `BEGIN`
    /// (READ COMMITTED) — use conditional updates and upserts for races.
    ///
    /// Nested `conn.transaction(…)` calls inside `f` become savepoints.
    ///
    /// # Errors
    /// `f`'s error, or a [`PersistenceError`] (converted into `E`) from the pool, `BEGIN` or
    /// `COMMIT`.
    pub fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<PersistenceError>,
    {
        let mut conn = self.connection()?;
        let _turn = match &**conn {
            DbConnection::Sqlite(_) => Some(self.sqlite_writers.lock()),
            DbConnection::Pg(_) => None,
        };
        let result = in_write_transaction(&mut conn, f);
        if result.is_err() {
            conn.mark_suspect();
        }
        result
    }

    /// Runs `f` on a pooled connection without an explicit transaction (each statement commits
    /// on its own). For reads; use [`UnitOfWork::write`] for anything that writes.
    ///
    /// # Errors
    /// `f`'s error, or [`PersistenceError::Pool`] converted into `E`.
    pub fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<PersistenceError>,
    {
        let mut conn = self.connection()?;
        let result = f(&mut conn);
        if result.is_err() {
            conn.mark_suspect();
        }
        result
    }
}

/// Runs `f` in a write transaction on `conn` (`BEGIN IMMEDIATE` on SQLite), committing on `Ok`
/// and rolling back on `Err`. Fails if `conn` is already inside a transaction.
///
/// # Errors
/// `f`'s error or a [`PersistenceError`] converted into `E`.
pub fn in_write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<PersistenceError>,
{
    type Manager = <DbConnection as Connection>::TransactionManager;
    match conn {
        // `immediate_transaction` exists only on SqliteConnection and would hand the closure the
        // inner connection; opening the transaction on the inner connection's manager keeps the
        // shared transaction state, so `f` gets the `DbConnection` and nested calls still nest.
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
        // Like SQLite's, refuses to start inside a transaction (a plain `begin_transaction`
        // would silently open a savepoint).
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN"),
    }
    .map_err(PersistenceError::from)?;
    match f(conn) {
        Ok(value) => match Manager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                // Diesel already rolled back when COMMIT itself failed in most cases; make sure.
                let _ = Manager::rollback_transaction(conn);
                Err(PersistenceError::from(commit_error).into())
            }
        },
        Err(user_error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(DieselError::BrokenTransactionManager) => Err(user_error),
            Err(rollback_error) => {
                tracing::error!(error = %rollback_error, "rollback failed");
                Err(user_error)
            }
        },
    }
}

/// Runs `f` inside a savepoint of the transaction `conn` is in: on `Err` only what `f` wrote is
/// undone and the surrounding transaction goes on (e.g. one lead of a group commit failing its
/// validation).
///
/// # Errors
/// `f`'s error, or a [`PersistenceError`] converted into `E` from `SAVEPOINT` / `RELEASE`.
pub fn in_savepoint<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<PersistenceError>,
{
    enum Inner<E> {
        User(E),
        Db(DieselError),
    }
    impl<E> From<DieselError> for Inner<E> {
        fn from(e: DieselError) -> Self {
            Inner::Db(e)
        }
    }
    conn.transaction::<T, Inner<E>, _>(|c| f(c).map_err(Inner::User))
        .map_err(|e| match e {
            Inner::User(e) => e,
            Inner::Db(e) => PersistenceError::from(e).into(),
        })
}
