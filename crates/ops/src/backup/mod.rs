//! Online backups, their verification, and restore — for SQLite and PostgreSQL.
//!
//! - [`backup`] takes a consistent snapshot while the service keeps committing (SQLite:
//!   the online backup API on its own connection, all pages in one read transaction — never a
//!   copy of the live file; PostgreSQL: `pg_dump
//!   --format=custom`), writes it under a temporary name in the backup directory, verifies it,
//!   fsyncs it, records its SHA-256 in a `FILE.sha256` file next to it (the `sha256sum` format),
//!   renames it to `wetech-YYYYMMDDTHHMMSSZ.sqlite3` / `.pgdump` (UTC; `-N` is appended when the
//!   name is taken) and then keeps only the newest `keep` of its own backups of that kind.
//!   A failed backup leaves no file under a final name and deletes nothing.
//! - [`verify`] checks a backup file: the checksum file when present, then SQLite's
//!   `integrity_check` or a full read of a PostgreSQL archive with `pg_restore`, the applied
//!   migrations (the schema version), that the schema is the one those migrations produce (SQLite:
//!   the same tables and columns; PostgreSQL: a `TABLE` entry for every table) and the row count of
//!   every table.
//! - [`restore`] verifies a backup, keeps the current database as `pre-restore-….sqlite3` /
//!   `.pgdump` in the backup directory, then replaces the database (SQLite: a fsynced file renamed
//!   over the database file; PostgreSQL: `pg_restore --clean --if-exists --single-transaction`).
//!
//! - [`remote`]: copies in an S3-compatible bucket — upload with a check of what is stored,
//!   listing, retention of its own names only, and download for a restore.
//! - [`list`] lists the backups in a directory.
//!
//! Every long step reports [`Progress`] to a callback, so a command line can show it.

mod checksum;
pub(crate) mod error;
mod file_ops;
mod list;
mod migrations;
mod names;
mod postgres;
mod priority;
mod progress;
mod publish;
pub mod remote;
mod retention;
mod sqlite;
#[cfg(test)]
mod test_dir;
mod writeback;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use wetech_persistence::{Backend, DatabaseSettings};

pub use error::BackupError;
pub use list::{ListedBackup, list};
pub use names::{BackupName, is_own_backup_name};
pub use progress::{Progress, Stage, no_progress};
pub use retention::prune;

/// What kind of backup a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupKind {
    /// An SQLite database file (`.sqlite3`).
    Sqlite,
    /// A `pg_dump` custom-format archive (`.pgdump`).
    Postgres,
}

impl BackupKind {
    /// The file extension of this kind, without the dot.
    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            BackupKind::Sqlite => "sqlite3",
            BackupKind::Postgres => "pgdump",
        }
    }

    /// The kind that backs up `backend`.
    #[must_use]
    pub const fn of(backend: Backend) -> BackupKind {
        match backend {
            Backend::Sqlite => BackupKind::Sqlite,
            Backend::Postgres => BackupKind::Postgres,
        }
    }

    /// Recognises a backup by its first bytes (`SQLite format 3\0` or `PGDMP`).
    #[must_use]
    pub fn sniff(header: &[u8]) -> Option<BackupKind> {
        if header.starts_with(b"SQLite format 3\0") {
            Some(BackupKind::Sqlite)
        } else if header.starts_with(b"PGDMP") {
            Some(BackupKind::Postgres)
        } else {
            None
        }
    }
}

impl fmt::Display for BackupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackupKind::Sqlite => "SQLite",
            BackupKind::Postgres => "PostgreSQL",
        })
    }
}

/// The outcome of [`backup`].
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    /// The final file.
    pub path: PathBuf,
    /// Its size.
    pub size_bytes: u64,
    /// Wall-clock time of the whole backup (snapshot, verification, fsync, retention).
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    pub duration: Duration,
    /// What kind of file it is.
    pub kind: BackupKind,
    /// Rows per table in the backup.
    pub row_counts: BTreeMap<String, u64>,
    /// Applied migrations recorded in the backup (its schema version), oldest first.
    pub migrations: Vec<String>,
    /// SHA-256 of the file (also in `FILE.sha256`).
    pub sha256: String,
    /// Older backups deleted by the retention rule.
    pub removed: Vec<PathBuf>,
    /// How long each step took.
    pub timings: Timings,
    /// Why deleting old backups failed, if it did (the new backup is in place regardless).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_error: Option<String>,
}

/// How long the steps of a backup took.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Timings {
    /// Writing the snapshot (the online backup / `pg_dump`).
    #[serde(rename = "snapshot_ms", serialize_with = "as_millis")]
    pub snapshot: Duration,
    /// Checking it (checksum, integrity, migrations, row counts), while its fsync runs.
    #[serde(rename = "verify_ms", serialize_with = "as_millis")]
    pub verify: Duration,
    /// Rename and checksum file.
    #[serde(rename = "finish_ms", serialize_with = "as_millis")]
    pub finish: Duration,
    /// Deleting old backups beyond `keep`.
    #[serde(rename = "retention_ms", serialize_with = "as_millis")]
    pub retention: Duration,
}

/// The outcome of [`verify`]: a sound backup.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The file checked.
    pub path: PathBuf,
    /// Its kind, recognised by its content.
    pub kind: BackupKind,
    /// Its size.
    pub size_bytes: u64,
    /// Its SHA-256 (checked against `FILE.sha256` when that file exists).
    pub sha256: String,
    /// Whether a `FILE.sha256` checksum file was present and matched.
    pub checksum_verified: bool,
    /// Applied migrations recorded in the backup, oldest first.
    pub migrations: Vec<String>,
    /// Migrations this build has that the backup lacks (applied by `ops migrate` or `web`
    /// after a restore).
    pub pending_migrations: Vec<String>,
    /// Rows per table in the backup.
    pub row_counts: BTreeMap<String, u64>,
}

/// The outcome of [`restore`].
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    /// The backup restored.
    pub restored_from: PathBuf,
    /// The copy of the database as it was before (absent when there was no SQLite file yet).
    pub pre_restore_backup: Option<PathBuf>,
    /// Wall-clock time of the whole restore.
    #[serde(rename = "duration_ms", serialize_with = "as_millis")]
    pub duration: Duration,
    /// What the backup held.
    pub verified: VerifyReport,
}

pub(crate) fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Takes a backup of the database `db` names into `dir` (created if missing), then deletes the
/// oldest of its own backups of the same kind beyond `keep` (at least the new one is kept).
///
/// `progress` is called about twice a second while the snapshot is written and verified.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use wetech_ops::backup::{backup, no_progress, verify};
/// let tmp = tempfile::tempdir()?;
/// let db = wetech_persistence::DatabaseSettings::new(format!("sqlite://{}/app.sqlite3", tmp.path().display()));
/// wetech_persistence::run_migrations(&mut *wetech_persistence::connect(&db)?.get()?)?;
/// let report = backup(&db, &tmp.path().join("backups"), 7, &no_progress)?;
/// assert!(report.path.file_name().unwrap().to_str().unwrap().starts_with("wetech-"));
/// assert_eq!(report.row_counts["services"], 3);
/// assert!(verify(&report.path)?.checksum_verified);
/// # Ok(()) }
/// ```
///
/// # Errors
/// Any failure of the snapshot, the verification, the file system or (PostgreSQL) `pg_dump`;
/// nothing is deleted then and no file is left under a final name. A failure to delete an old
/// backup is not an error here: the new backup is in place and
/// [`BackupReport::retention_error`] says what could not be deleted.
pub fn backup(
    db: &DatabaseSettings,
    dir: &Path,
    keep: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    let backend = db.backend()?;
    let kind = BackupKind::of(backend);
    file_ops::create_dir(dir)?;
    // On a thread of its own, so that its lowered priorities stay with the backup.
    let written = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                priority::lower();
                match backend {
                    Backend::Sqlite => {
                        sqlite::backup(db, dir, names::BACKUP_PREFIX, started, progress)
                    }
                    Backend::Postgres => {
                        postgres::backup(db, dir, names::BACKUP_PREFIX, started, progress)
                    }
                }
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;
    let step = Instant::now();
    let (removed, retention_error) = match retention::prune(dir, kind, keep.max(1), &written.path) {
        Ok(removed) => (removed, None),
        Err(e) => (Vec::new(), Some(error::chain_text(&e))),
    };
    let mut timings = written.timings;
    timings.retention = step.elapsed();
    Ok(BackupReport {
        size_bytes: written.verified.size_bytes,
        duration: started.elapsed(),
        kind,
        row_counts: written.verified.row_counts,
        migrations: written.verified.migrations,
        sha256: written.verified.sha256,
        path: written.path,
        timings,
        removed,
        retention_error,
    })
}

/// Checks that `file` is a sound wetech backup: its `FILE.sha256` (when present) matches, SQLite's
/// `integrity_check` passes (or `pg_restore` reads the whole archive), the migration table is
/// there and names only migrations this build knows, the schema is the one those migrations
/// produce (built by running them on an in-memory SQLite database; an SQLite backup must have
/// exactly those tables and columns, a PostgreSQL archive at least those tables), and every
/// table can be counted.
///
/// # Errors
/// [`BackupError::Unsound`] (with the reason), [`BackupError::UnknownFormat`], an I/O error, or
/// [`BackupError::Tool`] when `pg_restore` is missing.
pub fn verify(file: &Path) -> Result<VerifyReport, BackupError> {
    verify_inner(file, &no_progress, Instant::now(), true)
}

/// [`verify`] with progress. Not `strict`: a database without (or with unknown) migrations is
/// accepted, for the copy `restore` keeps of whatever database it replaces.
pub(crate) fn verify_inner(
    file: &Path,
    progress: &(dyn Fn(Progress) + Sync),
    started: Instant,
    strict: bool,
) -> Result<VerifyReport, BackupError> {
    let kind = file_ops::sniff(file)?;
    let size_bytes = std::fs::metadata(file)
        .map_err(BackupError::io(format!("cannot read {}", file.display())))?
        .len();
    // The checksum and the content checks read the file side by side.
    let (checksum, content) = std::thread::scope(|scope| {
        let checksum = scope.spawn(|| checksum::check(file, progress, started));
        let content = progress::watch(
            progress,
            Stage::Verifying,
            started,
            || None,
            || match kind {
                BackupKind::Sqlite => sqlite::verify(file),
                BackupKind::Postgres => postgres::verify(file),
            },
        );
        let checksum = checksum
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (checksum, content)
    });
    // A checksum mismatch explains any content error: report it first.
    let (sha256, checksum_verified) = checksum?;
    let content = content?;
    let known = wetech_persistence::migration_names(match kind {
        BackupKind::Sqlite => Backend::Sqlite,
        BackupKind::Postgres => Backend::Postgres,
    })
    .map_err(BackupError::unreadable(
        file,
        "cannot list this build's migrations",
    ))?;
    let (migrations, pending_migrations) =
        migrations::match_migrations(file, &content.versions, &known, strict)?;
    // A wetech backup holds exactly the tables and columns its migrations create (the copy kept
    // before a restore holds whatever the database had).
    if strict {
        let versions: Vec<String> = migrations
            .iter()
            .map(|n| wetech_persistence::migration_version(n))
            .collect();
        check_schema(file, &versions, &content.schema)?;
    }
    Ok(VerifyReport {
        path: file.to_path_buf(),
        kind,
        size_bytes,
        sha256,
        checksum_verified,
        migrations,
        pending_migrations,
        row_counts: content.row_counts,
    })
}

/// Replaces the database `db` names with the backup `file`: verifies it, keeps the current
/// database as `pre-restore-YYYYMMDDTHHMMSSZ.*` in `backup_dir`, then swaps it in.
///
/// SQLite: `web` must be stopped (an open database is refused with [`BackupError::InUse`]); the
/// backup is copied to a temporary file next to the database, checked, fsynced, the old
/// database's log is checkpointed and removed, and the copy renamed over the database file.
/// PostgreSQL: `pg_restore --clean --if-exists --single-transaction` into the configured
/// database, so a failure changes nothing.
///
/// # Errors
/// The backup is unsound or of the wrong kind, the pre-restore backup failed, or the swap failed
/// (the current database is then unchanged).
pub fn restore(
    file: &Path,
    db: &DatabaseSettings,
    backup_dir: &Path,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<RestoreReport, BackupError> {
    let started = Instant::now();
    let backend = db.backend()?;
    let verified = verify_inner(file, progress, started, true)?;
    if verified.kind != BackupKind::of(backend) {
        return Err(BackupError::WrongKind {
            path: file.to_path_buf(),
            kind: verified.kind,
            backend,
        });
    }
    let pre_restore_backup = match backend {
        Backend::Sqlite => sqlite::restore(file, &verified, db, backup_dir, started, progress)?,
        Backend::Postgres => Some(postgres::restore(file, db, backup_dir, started, progress)?),
    };
    Ok(RestoreReport {
        restored_from: file.to_path_buf(),
        pre_restore_backup,
        duration: started.elapsed(),
        verified,
    })
}

/// A snapshot written under a temporary name, not yet checked.
struct Snapshot {
    tmp: publish::TempFile,
    /// When the snapshot began (the time in the final name).
    taken_at: chrono::DateTime<chrono::Utc>,
    /// How long writing it took.
    took: Duration,
    /// Migration versions the source database had.
    source_versions: Vec<String>,
    kind: BackupKind,
    /// The thread writing the file out while it was made (SQLite), if any: it hands over the
    /// rest before the fsync.
    writeback: Option<writeback::Writeback>,
}

/// What a dump step produced: the final file, its verification and the time of each step.
struct Written {
    path: PathBuf,
    verified: VerifyReport,
    timings: Timings,
}

/// Verifies a snapshot, checks it records the source's migrations, fsyncs it and gives it its
/// final name (with its `.sha256`).
fn finish_backup(
    snapshot: Snapshot,
    dir: &Path,
    prefix: &str,
    started: Instant,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Written, BackupError> {
    let Snapshot {
        tmp,
        taken_at,
        took,
        source_versions,
        kind,
        writeback,
    } = snapshot;
    let step = Instant::now();
    // The checks read the file (from the page cache) while the last of it goes to disk.
    let (verified, synced) = std::thread::scope(|scope| {
        let synced = scope.spawn(|| {
            if let Some(writeback) = writeback {
                let report = writeback.finish(file_ops::size_of(tmp.path()).unwrap_or(0));
                tracing::info!(
                    fast_bytes = report.fast_bytes,
                    gentle_bytes = report.gentle_bytes,
                    "backup written out (gentle while others synced to the disk)"
                );
            }
            file_ops::sync_file(tmp.path())
        });
        let verified = verify_inner(
            tmp.path(),
            progress,
            started,
            prefix == names::BACKUP_PREFIX,
        );
        let synced = synced
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (verified, synced)
    });
    let mut verified = verified?;
    synced?;
    let verify_took = step.elapsed();
    let mut expected = source_versions;
    expected.sort();
    let mut got: Vec<String> = verified
        .migrations
        .iter()
        .map(|n| wetech_persistence::migration_version(n))
        .collect();
    got.sort();
    if expected != got {
        return Err(BackupError::unsound(
            tmp.path(),
            format!("it records migrations {got:?} but the database has {expected:?}"),
        ));
    }
    let step = Instant::now();
    let path = publish::publish(dir, prefix, taken_at, kind, tmp, &verified.sha256)?;
    verified.path.clone_from(&path);
    tracing::info!(path = %path.display(), size_bytes = verified.size_bytes, %kind, "backup written");
    Ok(Written {
        path,
        verified,
        timings: Timings {
            snapshot: took,
            verify: verify_took,
            finish: step.elapsed(),
            retention: Duration::ZERO,
        },
    })
}

/// What a kind-specific verification read from the file.
struct Content {
    /// Migration versions recorded in the backup (`20261129000001`), in any order.
    versions: Vec<String>,
    row_counts: BTreeMap<String, u64>,
    /// The tables found, with their column names where the format tells them (SQLite).
    schema: Schema,
}

/// Table name → column names (`None` where only the table's presence is known).
type Schema = BTreeMap<String, Option<BTreeSet<String>>>;

/// Refuses a backup that lacks a table (or, where known, a column) its recorded migrations
/// create: restored, the site would fail. Tables and columns the migrations do not create are
/// not refused — an operator's own table or column is part of the database, and a backup that
/// fails because of it would leave the site without backups.
fn check_schema(file: &Path, versions: &[String], found: &Schema) -> Result<(), BackupError> {
    let expected = sqlite::expected_schema(versions).map_err(|e| BackupError::unsound(file, e))?;
    let mut problems = Vec::new();
    let missing: Vec<&str> = expected
        .keys()
        .filter(|t| !found.contains_key(*t))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        problems.push(format!("missing table(s) {}", missing.join(", ")));
    }
    for (table, want) in &expected {
        let Some(Some(have)) = found.get(table) else {
            continue;
        };
        let missing: Vec<&str> = want.difference(have).map(String::as_str).collect();
        if !missing.is_empty() {
            problems.push(format!("{table} lacks column(s) {}", missing.join(", ")));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(BackupError::unsound(
            file,
            format!(
                "its schema lacks what its migrations create: {}",
                problems.join("; ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_recognised_by_content() {
        assert_eq!(
            BackupKind::sniff(b"SQLite format 3\0rest"),
            Some(BackupKind::Sqlite)
        );
        assert_eq!(
            BackupKind::sniff(b"PGDMP\x01\x0e"),
            Some(BackupKind::Postgres)
        );
        assert_eq!(BackupKind::sniff(b"SQLite format 3"), None);
        assert_eq!(BackupKind::sniff(b""), None);
        assert_eq!(BackupKind::sniff(b"PK\x03\x04"), None);
    }
}
