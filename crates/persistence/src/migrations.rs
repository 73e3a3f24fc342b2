//! Embedded migrations, one folder per backend with the same migration names
//! (`migrations/sqlite`, `migrations/postgres` at the workspace root).

use diesel::backend::Backend as DieselBackend;
use diesel::migration::{Migration, MigrationSource};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::{Backend, DbConnection};
use crate::error::PersistenceError;
use crate::unit_of_work::in_write_transaction;

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// A fixed key for `pg_advisory_xact_lock`, so two processes never migrate at once.
const PG_MIGRATION_LOCK: i64 = 0x7765_7465_6368_6d67; // "wetechmg"

fn migration_error(e: Box<dyn std::error::Error + Send + Sync>) -> PersistenceError {
    // Diesel's harness reports query failures boxed; keep unique violations typed.
    match e.downcast::<diesel::result::Error>() {
        Ok(diesel) => match *diesel {
            diesel::result::Error::DatabaseError(..) => PersistenceError::Migration(diesel),
            other => PersistenceError::from(other),
        },
        Err(other) => PersistenceError::Migration(other),
    }
}

/// Names (`2026-11-29-000001_initial`, …) of the migrations embedded for `backend`, oldest first.
///
/// # Errors
/// [`PersistenceError::Migration`] if the embedded set cannot be listed (it is checked at build
/// time, so this does not happen in practice).
pub fn migration_names(backend: Backend) -> Result<Vec<String>, PersistenceError> {
    fn names<DB: DieselBackend>(
        src: &dyn MigrationSource<DB>,
    ) -> Result<Vec<String>, PersistenceError> {
        let mut list: Vec<(String, String)> = src
            .migrations()
            .map_err(PersistenceError::Migration)?
            .iter()
            .map(|m| (m.name().version().to_string(), m.name().to_string()))
            .collect();
        list.sort();
        Ok(list.into_iter().map(|(_, name)| name).collect())
    }
    match backend {
        Backend::Sqlite => names::<diesel::sqlite::Sqlite>(&SQLITE),
        Backend::Postgres => names::<diesel::pg::Pg>(&POSTGRES),
    }
}

/// Applies every pending migration in one write transaction (SQLite `BEGIN IMMEDIATE`;
/// PostgreSQL under an advisory lock), so concurrent starters do not race. Returns the names
/// applied, oldest first; an up-to-date database gives an empty list.
///
/// # Errors
/// [`PersistenceError::Migration`] (the transaction is rolled back) or a connection error.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, PersistenceError> {
    in_write_transaction(conn, |conn| {
        lock_for_migrations(conn)?;
        let pending = pending_migrations(conn)?;
        let result = match conn {
            DbConnection::Sqlite(_) => conn.run_pending_migrations(SQLITE).map(|_| ()),
            DbConnection::Pg(_) => conn.run_pending_migrations(POSTGRES).map(|_| ()),
        };
        result.map_err(migration_error)?;
        if !pending.is_empty() {
            tracing::info!(applied = ?pending, "database migrations applied");
        }
        Ok(pending)
    })
}

/// Names of the embedded migrations not yet applied, oldest first.
///
/// # Errors
/// A database error.
pub fn pending_migrations(conn: &mut DbConnection) -> Result<Vec<String>, PersistenceError> {
    let pending: Vec<String> = match conn {
        DbConnection::Sqlite(_) => conn
            .pending_migrations(SQLITE)
            .map(|v| v.iter().map(|m| m.name().to_string()).collect()),
        DbConnection::Pg(_) => conn
            .pending_migrations(POSTGRES)
            .map(|v| v.iter().map(|m| m.name().to_string()).collect()),
    }
    .map_err(migration_error)?;
    Ok(pending)
}

/// Names of the applied migrations, oldest first (a version not embedded in this build is
/// reported by its version number).
///
/// # Errors
/// A database error.
pub fn applied_migrations(conn: &mut DbConnection) -> Result<Vec<String>, PersistenceError> {
    let known = migration_names(conn.backend())?;
    let mut versions: Vec<String> = conn
        .applied_migrations()
        .map_err(migration_error)?
        .into_iter()
        .map(|v| v.to_string())
        .collect();
    versions.sort();
    Ok(versions
        .into_iter()
        .map(|version| {
            known
                .iter()
                .find(|name| migration_version(name) == version)
                .cloned()
                .unwrap_or(version)
        })
        .collect())
}

/// Applies only the oldest pending migration; `None` when none is pending.
///
/// # Errors
/// [`PersistenceError::Migration`] (rolled back) or a connection error.
pub fn run_next_migration(conn: &mut DbConnection) -> Result<Option<String>, PersistenceError> {
    in_write_transaction(conn, |conn| {
        lock_for_migrations(conn)?;
        let Some(next) = pending_migrations(conn)?.into_iter().next() else {
            return Ok(None);
        };
        let result = match conn {
            DbConnection::Sqlite(_) => conn.run_next_migration(SQLITE).map(|_| ()),
            DbConnection::Pg(_) => conn.run_next_migration(POSTGRES).map(|_| ()),
        };
        result.map_err(migration_error)?;
        Ok(Some(next))
    })
}

/// Reverts the newest applied migration with its `down.sql`; `None` when none is applied.
///
/// # Errors
/// [`PersistenceError::Migration`] (rolled back) or a connection error.
pub fn revert_last_migration(conn: &mut DbConnection) -> Result<Option<String>, PersistenceError> {
    in_write_transaction(conn, |conn| {
        lock_for_migrations(conn)?;
        let Some(last) = applied_migrations(conn)?.pop() else {
            return Ok(None);
        };
        let result = match conn {
            DbConnection::Sqlite(_) => conn.revert_last_migration(SQLITE).map(|_| ()),
            DbConnection::Pg(_) => conn.revert_last_migration(POSTGRES).map(|_| ()),
        };
        result.map_err(migration_error)?;
        Ok(Some(last))
    })
}

fn lock_for_migrations(conn: &mut DbConnection) -> Result<(), PersistenceError> {
    if let DbConnection::Pg(pg) = conn {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})"))
            .execute(pg)?;
    }
    Ok(())
}

/// `2026-11-29-000001_initial` → `20261129000001`: the version Diesel records in
/// `__diesel_schema_migrations` for a migration folder name.
///
/// ```
/// assert_eq!(wetech_persistence::migration_version("2026-11-29-000001_initial"), "20261129000001");
/// ```
#[must_use]
pub fn migration_version(name: &str) -> String {
    name.split('_')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_embed_the_same_names() {
        let sqlite = migration_names(Backend::Sqlite).unwrap();
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, migration_names(Backend::Postgres).unwrap());
        assert_eq!(sqlite[0], "2026-11-29-000001_initial");
        assert_eq!(migration_version(&sqlite[0]), "20261129000001");
    }
}
