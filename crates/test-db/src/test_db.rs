//! [`TestDb`]: one migrated database for one test, deleted when dropped.

use std::path::{Path, PathBuf};

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use wetech_persistence::{
    Backend, DatabaseSettings, PersistenceError, Pool, PooledConnection, UnitOfWork, connect,
    run_migrations,
};

use crate::source::{POSTGRES_URL_ENV, Unavailable, pg_source, skip_or_fail, unique_database_name};

/// Pool size of a test database (enough for the concurrency tests).
const TEST_POOL_SIZE: u32 = 8;

/// A database for one test, deleted when dropped.
pub struct TestDb {
    backend: Backend,
    url: String,
    pool: Option<Pool>,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        admin_url: String,
        database: String,
    },
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl TestDb {
    /// A migrated SQLite database in a new temporary directory. Panics if it cannot be made.
    #[must_use]
    pub fn sqlite() -> TestDb {
        TestDb::try_sqlite(true)
            .unwrap_or_else(|e| panic!("cannot create a test SQLite database: {e}"))
    }

    /// A fresh migrated PostgreSQL database, or `None` (after a loud notice on stderr) when
    /// PostgreSQL is not available. Panics under `CI=true` when unavailable, and whenever the
    /// server exists but the database cannot be made.
    #[must_use]
    pub fn postgres() -> Option<TestDb> {
        TestDb::try_postgres(true)
    }

    /// A migrated database on `backend` (`None` only for a skipped PostgreSQL).
    #[must_use]
    pub fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite()),
            Backend::Postgres => TestDb::postgres(),
        }
    }

    /// An empty database (no migrations applied) on `backend`, for migration tests.
    #[must_use]
    pub fn unmigrated(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(
                TestDb::try_sqlite(false)
                    .unwrap_or_else(|e| panic!("cannot create a test SQLite database: {e}")),
            ),
            Backend::Postgres => TestDb::try_postgres(false),
        }
    }

    fn try_sqlite(migrate: bool) -> Result<TestDb, PersistenceError> {
        let dir = tempfile::Builder::new()
            .prefix("wetech-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let path = dir.path().join("wetech.sqlite3");
        let url = format!("sqlite://{}", path.display());
        TestDb::open(
            Backend::Sqlite,
            url,
            Cleanup::Sqlite { _dir: dir, path },
            migrate,
        )
    }

    fn try_postgres(migrate: bool) -> Option<TestDb> {
        let source = match pg_source() {
            Ok(source) => source,
            Err(Unavailable::NotInstalled(reason)) => {
                skip_or_fail(reason);
                return None;
            }
            Err(Unavailable::Failed(reason)) => {
                panic!("PostgreSQL is installed but the test server could not start: {reason}")
            }
        };
        let database = unique_database_name();
        let admin_url = source.admin_url();
        let mut admin = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL server: {e}"));
        diesel::sql_query(format!("CREATE DATABASE \"{database}\""))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("cannot create test database {database}: {e}"));
        drop(admin);
        let url = source
            .database_url(&database)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_ENV} is not a usable URL: {e}"));
        let cleanup = Cleanup::Postgres {
            admin_url,
            database,
        };
        Some(
            TestDb::open(Backend::Postgres, url, cleanup, migrate)
                .unwrap_or_else(|e| panic!("cannot open the test PostgreSQL database: {e:?}")),
        )
    }

    fn open(
        backend: Backend,
        url: String,
        cleanup: Cleanup,
        migrate: bool,
    ) -> Result<TestDb, PersistenceError> {
        // Build the value first so that its Drop cleans up if anything below fails.
        let mut db = TestDb {
            backend,
            url,
            pool: None,
            cleanup,
        };
        let pool = connect(&db.settings())?;
        if migrate {
            run_migrations(&mut *pool.get()?)?;
        }
        db.pool = Some(pool);
        Ok(db)
    }

    /// Which backend this database is on.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Its URL (`sqlite:///tmp/…/wetech.sqlite3` or `postgres://…/wetech_test_…`); test
    /// credentials only.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Settings naming this database (pool size 8).
    #[must_use]
    pub fn settings(&self) -> DatabaseSettings {
        DatabaseSettings::new(self.url.clone()).with_pool_size(TEST_POOL_SIZE)
    }

    /// The pool connected to it.
    ///
    /// # Panics
    /// Never for a constructed `TestDb` (the pool is only absent while dropping).
    #[must_use]
    pub fn pool(&self) -> &Pool {
        match &self.pool {
            Some(pool) => pool,
            None => panic!("TestDb used while being dropped"),
        }
    }

    /// A pooled connection. Panics when none is available.
    #[must_use]
    pub fn conn(&self) -> PooledConnection {
        self.pool()
            .get()
            .unwrap_or_else(|e| panic!("no test database connection: {e}"))
    }

    /// A [`UnitOfWork`] over its pool.
    #[must_use]
    pub fn unit_of_work(&self) -> UnitOfWork {
        UnitOfWork::new(self.pool().clone())
    }

    /// The SQLite file, for SQLite databases.
    #[must_use]
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.cleanup {
            Cleanup::Sqlite { path, .. } => Some(path),
            Cleanup::Postgres { .. } => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        drop(self.pool.take());
        match &self.cleanup {
            // The TempDir field removes the directory.
            Cleanup::Sqlite { .. } => {}
            Cleanup::Postgres {
                admin_url,
                database,
            } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                    ))
                    .execute(&mut admin);
                }
            }
        }
    }
}

/// Runs `test` on a SQLite database and then, when available, on a PostgreSQL database.
pub fn each_backend(mut test: impl FnMut(&TestDb)) {
    test(&TestDb::sqlite());
    if let Some(db) = TestDb::postgres() {
        test(&db);
    }
}
