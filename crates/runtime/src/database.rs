//! The database at start: open the pool, apply pending migrations (creating the SQLite file on
//! first start), log what was applied.

use wetech_persistence::{PersistenceError, Pool};

use crate::settings::Settings;

/// Why the database could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The pool could not be built.
    #[error("opening the database")]
    Open(#[source] PersistenceError),
    /// No connection could be taken from the pool.
    #[error("connecting to the database")]
    Connect(#[source] r2d2::Error),
    /// A migration failed.
    #[error("applying migrations")]
    Migrate(#[source] PersistenceError),
    /// The blocking task that does the work did not finish.
    #[error("the database start-up task failed")]
    Task(#[source] tokio::task::JoinError),
}

/// Opens the pool and applies pending migrations, on the blocking pool.
///
/// # Errors
/// The database cannot be opened or reached, or a migration fails.
pub async fn open_database(settings: &Settings) -> Result<Pool, StartError> {
    let db = settings.database.clone();
    tokio::task::spawn_blocking(move || -> Result<Pool, StartError> {
        let pool = wetech_persistence::connect(&db).map_err(StartError::Open)?;
        let mut conn = pool.get().map_err(StartError::Connect)?;
        let applied = wetech_persistence::run_migrations(&mut conn).map_err(StartError::Migrate)?;
        for name in &applied {
            tracing::info!(migration = %name, "migration applied");
        }
        Ok(pool)
    })
    .await
    .map_err(StartError::Task)?
}
