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
    #[error("{context}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A database statement failed.
    #[error("{context}")]
    Database {
        /// What was being done.
        context: String,
        /// The database's error.
        #[source]
        source: diesel::result::Error,
    },
    /// A database could not be opened.
    #[error("{context}")]
    Connect {
        /// Which database.
        context: String,
        /// The driver's error (SQLite's or libpq's message).
        #[source]
        source: diesel::ConnectionError,
    },
    /// SQLite refused a step of the online backup of the live database.
    #[error("{context}")]
    Sqlite {
        /// What was being done, with the path.
        context: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The online backup of the live database could not complete (it stayed locked, or the copy
    /// kept a journal mode it cannot be read in alone).
    #[error("{context}: {reason}")]
    Snapshot {
        /// What was being done, with the path.
        context: String,
        /// What went wrong.
        reason: String,
    },
    /// The SQLite database to back up does not exist.
    #[error("the SQLite database {0} does not exist")]
    MissingDatabase(PathBuf),
    /// A PostgreSQL client program is missing, too old, or failed.
    #[error("{0}")]
    Tool(String),
    /// A PostgreSQL client program could not be started or waited for.
    #[error("cannot run {program}")]
    Run {
        /// The program (`pg_dump`, `pg_restore`, …).
        program: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// `pg_restore` into the configured database failed; its single transaction was rolled back.
    #[error("the restore failed; the database was left unchanged")]
    RestoreRolledBack(#[source] Box<BackupError>),
    /// Deleting old backups beyond `keep` failed for some of them (the others were deleted).
    #[error("cannot delete old backup(s) {}", .0.join("; "))]
    Retention(Vec<String>),
    /// The file is damaged or is not a complete wetech backup.
    #[error("{path} is not a sound backup: {reason}")]
    Unsound {
        /// The file.
        path: PathBuf,
        /// What is wrong, or what could not be done (`"cannot open it as an SQLite database"`).
        reason: String,
        /// The reader's error, when reading the file failed.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
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
            source: None,
        }
    }

    /// [`BackupError::Unsound`]: `file` is not a sound backup because `what` failed with the
    /// error given to the returned closure (its cause).
    pub(crate) fn unreadable<E: std::error::Error + Send + Sync + 'static>(
        file: &Path,
        what: &str,
    ) -> impl FnOnce(E) -> BackupError {
        let (path, reason) = (file.to_path_buf(), what.to_owned());
        move |e| BackupError::Unsound {
            path,
            reason,
            source: Some(Box::new(e)),
        }
    }

    pub(crate) fn run(program: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
        let program = program.into();
        move |source| BackupError::Run { program, source }
    }
}

/// The error and its causes (walking `source()`) joined by `: `, for a report that keeps a
/// failure as text.
pub(crate) fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant that has a cause names its own layer only: the cause's text appears once,
    /// after it, in the chain.
    #[test]
    fn messages_leave_their_cause_to_the_chain() {
        let io = || std::io::Error::other("disk on fire");
        let file = Path::new("/b/wetech-x.sqlite3");
        let errors = [
            BackupError::io("cannot create /b")(io()),
            BackupError::db("cannot read the versions")(diesel::result::Error::NotFound),
            BackupError::Connect {
                context: "cannot connect to PostgreSQL".to_owned(),
                source: diesel::ConnectionError::BadConnection("disk on fire".to_owned()),
            },
            BackupError::Sqlite {
                context: "cannot read /d".to_owned(),
                source: rusqlite::Error::InvalidQuery,
            },
            BackupError::run("pg_dump")(io()),
            BackupError::RestoreRolledBack(Box::new(BackupError::Tool(
                "pg_restore failed (exit status: 1): disk on fire".to_owned(),
            ))),
            BackupError::unreadable(file, "cannot open it as an SQLite database")(io()),
        ];
        for e in &errors {
            let source = std::error::Error::source(e).unwrap().to_string();
            assert!(!e.to_string().contains(&source), "{e} repeats {source}");
            let chain = chain_text(e);
            assert_eq!(chain.matches(&source).count(), 1, "{chain}");
            assert_eq!(chain, format!("{e}: {source}"));
        }
        assert_eq!(
            chain_text(&errors[6]),
            "/b/wetech-x.sqlite3 is not a sound backup: cannot open it as an SQLite database: \
             disk on fire"
        );
    }
}
