//! Why a backup, verification or restore failed.

use std::path::{Path, PathBuf};

use wetech_persistence::Backend;

use super::BackupKind;

/// Why a backup, verification or restore failed. Messages never contain a database password.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database settings are unusable.
    #[error(transparent)]
    Settings(#[from] wetech_persistence::InvalidDatabaseSetting),
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A database statement failed.
    #[error("{context}: {source}")]
    Database {
        /// What was being done.
        context: String,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
    },
    /// A database could not be opened.
    #[error("{context}: {source}")]
    Connect {
        /// Which database.
        context: String,
        /// The driver's error (SQLite's or libpq's message).
        #[source]
        source: diesel::ConnectionError,
    },
    /// SQLite's online backup of the live database failed.
    #[error("{context}: {message}")]
    Snapshot {
        /// What was being done, with the path.
        context: String,
        /// SQLite's message.
        message: String,
    },
    /// The SQLite database to back up does not exist.
    #[error("the SQLite database {0} does not exist")]
    MissingDatabase(PathBuf),
    /// A PostgreSQL client program is missing, too old, or failed.
    #[error("{0}")]
    Tool(String),
    /// The file is damaged or is not a complete wetech backup.
    #[error("{path} is not a sound backup: {reason}")]
    Unsound {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The path names something other than a regular file (a FIFO, a device, a directory).
    #[error("{} is {what}, not a regular file: a backup must be a regular file", path.display())]
    NotAFile {
        /// The path given.
        path: PathBuf,
        /// What it is instead (`"a FIFO (named pipe)"`, `"a directory"`, …).
        what: &'static str,
    },
    /// The file is neither an SQLite database nor a `pg_dump` custom-format archive.
    #[error(
        "{0} is not a wetech backup (neither an SQLite database nor a pg_dump custom-format archive)"
    )]
    UnknownFormat(PathBuf),
    /// The backup is of another kind than the configured database.
    #[error("{path} is a {kind} backup, but database.url names a {backend} database")]
    WrongKind {
        /// The backup.
        path: PathBuf,
        /// Its kind.
        kind: BackupKind,
        /// The configured backend.
        backend: Backend,
    },
    /// Another process has the SQLite database open.
    #[error(
        "the database {0} is in use by another process; stop `web` (and anything else using it) before restoring"
    )]
    InUse(PathBuf),
    /// The database URL is an SQLite `file:` URI, which restore cannot replace safely.
    #[error(
        "restore needs database.url to name a plain SQLite file path (sqlite://PATH), not a file: URI"
    )]
    UnsupportedUrl,
}

impl BackupError {
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
        let context = context.into();
        move |source| BackupError::Io { context, source }
    }

    pub(crate) fn db(
        context: impl Into<String>,
    ) -> impl FnOnce(diesel::result::Error) -> BackupError {
        let context = context.into();
        move |source| BackupError::Database { context, source }
    }

    pub(crate) fn unsound(path: &Path, reason: impl Into<String>) -> BackupError {
        BackupError::Unsound {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
