//! SQLite: the online backup API on its own connection, `integrity_check`, and restore by
//! rename.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::Utc;
use diesel::connection::SimpleConnection as _;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection as _, QueryableByName, RunQueryDsl as _};
use wetech_persistence::DatabaseSettings;

use super::file_ops;
use super::names::PRE_RESTORE_PREFIX;
use super::progress;
use super::publish::TempFile;
use super::writeback::Writeback;
use super::{BackupError, BackupKind, Content, Progress, Stage, VerifyReport, Written};

/// How long the backup connection waits for a lock.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(QueryableByName)]
struct IntegrityLine {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

#[derive(QueryableByName)]
struct Checkpoint {
    #[diesel(sql_type = BigInt)]
    busy: i64,
}

/// The database file named by the settings.
fn database_path(db: &DatabaseSettings) -> Result<PathBuf, BackupError> {
    db.sqlite_path().ok_or(BackupError::UnsupportedUrl)
}

/// Backs up the configured SQLite database into `dir`.
pub(super) fn backup(
    db: &DatabaseSettings,
    dir: &Path,
    prefix: &str,
    started: Instant,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Written, BackupError> {
    backup_file(
        &database_path(db)?,
        dir,
        prefix,
        Stage::Dumping,
        started,
        progress,
    )
}

fn backup_file(
    source: &Path,
    dir: &Path,
    prefix: &str,
    stage: Stage,
    started: Instant,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Written, BackupError> {
    let taken_at = Utc::now();
    let tmp = TempFile::new_name(dir, "wetech-backup");
    let step = Instant::now();
    let (source_versions, writeback) = progress::watch(
        progress,
        stage,
        started,
        || file_ops::size_of(tmp.path()),
        || snapshot(source, tmp.path()),
    )?;
    super::finish_backup(
        super::Snapshot {
            tmp,
            taken_at,
            took: step.elapsed(),
            source_versions,
            kind: BackupKind::Sqlite,
            writeback,
        },
        dir,
        prefix,
        started,
        progress,
    )
}

/// Pages copied per step of the online backup; after each step the writer thread learns how far
/// the copy has got (and may hold the copy back, `writeback.rs`).
const STEP_BYTES: u64 = 8 << 20;

/// How much of a database SQLite may read through a memory map instead of `read` calls (SQLite
/// caps it at its compile-time limit, 2 GiB by default; the rest is read normally).
const MMAP_BYTES: i64 = 4 << 30;

/// Copies the live database into `target` with SQLite's online backup API. One read transaction
/// is held on the source for the whole copy, so the copy is a consistent snapshot (every commit
/// made before it began, none made after) while writers go on (WAL mode), and the backup never
/// restarts however often they commit. The source is read through a memory map. The target is a
/// fresh private file, written without a rollback journal or SQLite's own syncs (it is checked
/// and fsynced by the caller before it gets a final name, and deleted if anything fails).
/// A writer thread ([`Writeback`]) writes the copy out to disk while it grows — at full speed
/// while nothing else syncs to that disk, gently while the site commits — so that the final
/// fsync has little left, instead of a gigabyte-sized burst that would stall the site's own
/// commits (each waits for its fsync) for hundreds of milliseconds. The copy is then made
/// self-contained (rollback journal mode: no `-wal`/`-shm` needed to read it). Returns the
/// migration versions recorded in the snapshot and the writer, which the caller finishes
/// before its fsync.
fn snapshot(source: &Path, target: &Path) -> Result<(Vec<String>, Option<Writeback>), BackupError> {
    use rusqlite::OpenFlags;
    use rusqlite::backup::{Backup, StepResult};

    let failed =
        |context: String| move |source: rusqlite::Error| BackupError::Sqlite { context, source };
    let reading = format!("cannot read the SQLite database {}", source.display());
    let writing = format!("cannot write the backup {}", target.display());
    let from = source_target(source)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let src = rusqlite::Connection::open_with_flags(&from, flags).map_err(failed(format!(
        "cannot open the SQLite database {}",
        source.display()
    )))?;
    src.busy_timeout(BUSY_TIMEOUT)
        .map_err(failed(reading.clone()))?;
    src.pragma_update(None, "mmap_size", MMAP_BYTES)
        .map_err(failed(reading.clone()))?;
    let mut dst = rusqlite::Connection::open_with_flags(
        target,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed(format!(
        "cannot create the backup {}",
        target.display()
    )))?;
    for (pragma, value) in [
        ("locking_mode", "EXCLUSIVE"),
        ("journal_mode", "OFF"),
        ("synchronous", "OFF"),
    ] {
        dst.pragma_update(None, pragma, value)
            .map_err(failed(writing.clone()))?;
    }
    // Writes the copy out to disk while it grows, at a pace that spares the site's commits.
    let writeback = Writeback::start(target);

    // The snapshot: a read transaction, started by the first read, held until the copy is done.
    src.execute_batch("BEGIN DEFERRED")
        .map_err(failed(reading.clone()))?;
    let versions = read_snapshot_versions(&src).map_err(failed(reading.clone()))?;
    let page_size: i64 = src
        .query_row("PRAGMA page_size", [], |row| row.get(0))
        .map_err(failed(reading.clone()))?;
    // The copy's blocks are reserved up front (the file's size unchanged): writing into them
    // then allocates nothing, which shortens the copy on ext4 (figures in docs/benchmarks.md).
    let pages: i64 = src
        .query_row("PRAGMA page_count", [], |row| row.get(0))
        .map_err(failed(reading.clone()))?;
    file_ops::preallocate(
        target,
        u64::try_from(pages.saturating_mul(page_size)).unwrap_or(0),
    );
    let pages_per_step =
        i32::try_from(STEP_BYTES / u64::try_from(page_size.max(512)).unwrap_or(4096))
            .unwrap_or(2048);
    {
        let backup = Backup::new(&src, &mut dst).map_err(failed(writing.clone()))?;
        let mut deadline = Instant::now() + BUSY_TIMEOUT;
        loop {
            match backup
                .step(pages_per_step)
                .map_err(failed(writing.clone()))?
            {
                StepResult::Done => break,
                StepResult::More => {
                    if let Some(writeback) = &writeback {
                        writeback.grew(file_ops::size_of(target).unwrap_or(0));
                    }
                    deadline = Instant::now() + BUSY_TIMEOUT;
                }
                // Busy, Locked (the enum is non-exhaustive): wait a little, within the deadline.
                _ if Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                _ => {
                    return Err(BackupError::Snapshot {
                        context: writing,
                        reason: format!(
                            "the database stayed locked for {} s",
                            BUSY_TIMEOUT.as_secs()
                        ),
                    });
                }
            }
        }
    }
    src.execute_batch("COMMIT").map_err(failed(reading))?;
    drop(src);
    let finishing = format!("cannot finish the backup {}", target.display());
    let mode: String = dst
        .query_row("PRAGMA journal_mode = DELETE", [], |row| row.get(0))
        .map_err(failed(finishing.clone()))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(BackupError::Snapshot {
            context: finishing,
            reason: format!("journal mode stayed {mode}"),
        });
    }
    drop(dst);
    Ok((versions, writeback))
}

/// The migration versions the snapshot holds (none when it has no migration table).
fn read_snapshot_versions(src: &rusqlite::Connection) -> Result<Vec<String>, rusqlite::Error> {
    let present: i64 = src.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '__diesel_schema_migrations'",
        [],
        |row| row.get(0),
    )?;
    if present == 0 {
        return Ok(Vec::new());
    }
    let mut statement = src.prepare("SELECT version FROM __diesel_schema_migrations")?;
    statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect()
}

/// Checks an SQLite backup file (opened read-only and immutable: nothing is written next to it).
pub(super) fn verify(file: &Path) -> Result<Content, BackupError> {
    let uri = uri(file, "mode=ro&immutable=1")?;
    let open = || {
        let mut conn = SqliteConnection::establish(&uri).map_err(BackupError::unreadable(
            file,
            "cannot open it as an SQLite database",
        ))?;
        // Pages are read through a memory map: about a third faster than `read` calls.
        conn.batch_execute(&format!("PRAGMA mmap_size = {MMAP_BYTES};"))
            .map_err(unsound(file, "cannot open it as an SQLite database"))?;
        Ok(conn)
    };
    // The integrity check and the row counts run side by side, on two connections.
    let (integrity, content) = std::thread::scope(|scope| {
        let integrity = scope.spawn(|| integrity_check(file, &mut open()?));
        let content = open().and_then(|mut conn| read_content(file, &mut conn));
        let integrity = integrity
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (integrity, content)
    });
    // Damage explains any other error: report it first.
    integrity?;
    content
}

fn unsound(file: &Path, what: &str) -> impl FnOnce(diesel::result::Error) -> BackupError {
    BackupError::unreadable(file, what)
}

/// `PRAGMA integrity_check`: every page, every b-tree, every index entry.
fn integrity_check(file: &Path, conn: &mut SqliteConnection) -> Result<(), BackupError> {
    let lines: Vec<IntegrityLine> = diesel::sql_query("PRAGMA integrity_check(20)")
        .load(conn)
        .map_err(unsound(file, "integrity check failed"))?;
    if lines.len() != 1 || lines.first().is_none_or(|l| l.integrity_check != "ok") {
        let problems: Vec<String> = lines
            .into_iter()
            .take(5)
            .map(|l| l.integrity_check)
            .collect();
        return Err(BackupError::unsound(
            file,
            format!("integrity check failed: {}", problems.join("; ")),
        ));
    }
    Ok(())
}

/// The migration versions and the rows of every table.
fn read_content(file: &Path, conn: &mut SqliteConnection) -> Result<Content, BackupError> {
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .load(conn)
    .map_err(unsound(file, "cannot list its tables"))?;
    // No migration table: no versions (refused by the caller unless it keeps any database).
    let versions = if tables
        .iter()
        .any(|t| t.name == "__diesel_schema_migrations")
    {
        read_versions(conn).map_err(unsound(file, "cannot read its migrations"))?
    } else {
        Vec::new()
    };
    let schema = read_schema(conn, tables.iter().map(|t| t.name.as_str()))
        .map_err(unsound(file, "cannot read its schema"))?
        .into_iter()
        .map(|(table, columns)| (table, Some(columns)))
        .collect();
    let mut row_counts = BTreeMap::new();
    for table in tables {
        let count: Count =
            diesel::sql_query(format!("SELECT count(*) AS n FROM {}", quote(&table.name)))
                .get_result(conn)
                .map_err(unsound(
                    file,
                    &format!("cannot count the rows of {}", table.name),
                ))?;
        row_counts.insert(table.name, u64::try_from(count.n).unwrap_or(0));
    }
    Ok(Content {
        versions,
        row_counts,
        schema,
    })
}

/// The column names of each of `tables` (`PRAGMA table_info`).
fn read_schema<'a>(
    conn: &mut SqliteConnection,
    tables: impl Iterator<Item = &'a str>,
) -> Result<BTreeMap<String, BTreeSet<String>>, diesel::result::Error> {
    let mut schema = BTreeMap::new();
    for table in tables {
        let columns: Vec<Name> = diesel::sql_query(format!(
            "SELECT name FROM pragma_table_info({})",
            quote_literal(table)
        ))
        .load(conn)?;
        schema.insert(
            table.to_owned(),
            columns.into_iter().map(|c| c.name).collect(),
        );
    }
    Ok(schema)
}

/// The tables (other than SQLite's own `sqlite_…` tables) and their column names that this
/// build's SQLite migrations produce when exactly the migrations `versions` are applied, in
/// order, to an empty in-memory database. The PostgreSQL migrations create the same tables.
///
/// # Errors
/// A message when `versions` are not the oldest migrations of this build (a gap: a later
/// migration is recorded but an earlier one is not) or a migration fails.
pub(super) fn expected_schema(
    versions: &[String],
) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    use wetech_persistence::{DbConnection, migration_version};
    let wanted: BTreeSet<&str> = versions.iter().map(String::as_str).collect();
    let mut conn =
        DbConnection::Sqlite(SqliteConnection::establish(":memory:").map_err(|e| e.to_string())?);
    let mut applied = BTreeSet::new();
    loop {
        let pending =
            wetech_persistence::pending_migrations(&mut conn).map_err(|e| e.to_string())?;
        let Some(next) = pending.first() else { break };
        let version = migration_version(next);
        if !wanted.contains(version.as_str()) {
            break;
        }
        wetech_persistence::run_next_migration(&mut conn).map_err(|e| e.to_string())?;
        applied.insert(version);
    }
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|v| !applied.contains(**v))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "it records migration(s) {} without an earlier one of this build",
            missing.join(", ")
        ));
    }
    let DbConnection::Sqlite(conn) = &mut conn else {
        return Err("not an SQLite connection".to_owned());
    };
    // The search's FTS5 tables (migration 000008) and their shadow tables exist on SQLite only
    // (PostgreSQL searches through pg_trgm indexes) and are derived from the other tables: they
    // are not what a backup must have.
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' \
         AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND m.sql NOT LIKE 'CREATE VIRTUAL TABLE%' \
         AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.type = 'table' \
             AND v.sql LIKE 'CREATE VIRTUAL TABLE%' AND m.name LIKE v.name || '\\_%' ESCAPE '\\')",
    )
    .load(conn)
    .map_err(|e| e.to_string())?;
    read_schema(conn, tables.iter().map(|t| t.name.as_str())).map_err(|e| e.to_string())
}

/// Replaces the configured SQLite database with `file` (already verified). Returns the
/// pre-restore copy, if there was a database to keep.
pub(super) fn restore(
    file: &Path,
    verified: &VerifyReport,
    db: &DatabaseSettings,
    backup_dir: &Path,
    started: Instant,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Option<PathBuf>, BackupError> {
    let db_path = database_path(db)?;
    if db_path.to_str().is_some_and(|s| s.starts_with("file:")) {
        return Err(BackupError::UnsupportedUrl);
    }
    let db_dir = file_ops::parent_dir(&db_path).to_path_buf();
    std::fs::create_dir_all(&db_dir).map_err(BackupError::io(format!(
        "cannot create the database directory {}",
        db_dir.display()
    )))?;
    let exists = db_path.exists();
    let pre_restore = if exists {
        ensure_not_in_use(&db_path)?;
        file_ops::create_dir(backup_dir)?;
        let kept = backup_file(
            &db_path,
            backup_dir,
            PRE_RESTORE_PREFIX,
            Stage::PreRestoreBackup,
            started,
            progress,
        )?;
        Some(kept.path)
    } else {
        None
    };
    let stem = db_path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("database");
    let tmp = TempFile::new_name(&db_dir, &format!("{stem}.restore"));
    progress::watch(
        progress,
        Stage::Restoring,
        started,
        || file_ops::size_of(tmp.path()),
        || {
            std::fs::copy(file, tmp.path()).map_err(BackupError::io(format!(
                "cannot copy {} to {}",
                file.display(),
                tmp.path().display()
            )))
        },
    )?;
    if exists {
        copy_ownership(&db_path, tmp.path());
    }
    let copied = super::checksum::sha256_file(tmp.path(), progress, started)?;
    if copied != verified.sha256 {
        return Err(BackupError::unsound(
            file,
            "it changed while it was being restored",
        ));
    }
    file_ops::sync_file(tmp.path())?;
    if exists {
        checkpoint(&db_path)?;
        ensure_not_in_use(&db_path)?;
        // Stale logs of the old database would be replayed into the restored one: remove them
        // before the rename (the old database was checkpointed, so it stays complete).
        for side in ["-wal", "-shm", "-journal"] {
            file_ops::remove_if_exists(&side_file(&db_path, side))?;
        }
    }
    std::fs::rename(tmp.path(), &db_path).map_err(BackupError::io(format!(
        "cannot move the restored database to {}",
        db_path.display()
    )))?;
    tmp.keep();
    file_ops::sync_dir(&db_dir)?;
    tracing::info!(from = %file.display(), database = %db_path.display(), "SQLite database restored");
    Ok(pre_restore)
}

/// The name to open the live database by without creating it: a `file:` URI with `mode=rw`.
fn source_target(path: &Path) -> Result<String, BackupError> {
    match path.to_str() {
        Some(s) if s.starts_with("file:") => Ok(s.to_owned()),
        _ => {
            if !path.is_file() {
                return Err(BackupError::MissingDatabase(path.to_path_buf()));
            }
            uri(path, "mode=rw")
        }
    }
}

/// Opens the live database without creating it.
fn open_source(path: &Path) -> Result<SqliteConnection, BackupError> {
    let target = source_target(path)?;
    let mut conn = SqliteConnection::establish(&target).map_err(|source| BackupError::Connect {
        context: format!("cannot open the SQLite database {}", path.display()),
        source,
    })?;
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {};",
        BUSY_TIMEOUT.as_millis()
    ))
    .map_err(BackupError::db(format!(
        "cannot use the SQLite database {}",
        path.display()
    )))?;
    Ok(conn)
}

fn read_versions(conn: &mut SqliteConnection) -> Result<Vec<String>, diesel::result::Error> {
    let rows: Vec<Version> =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load(conn)?;
    Ok(rows.into_iter().map(|r| r.version).collect())
}

/// Moves the old database's write-ahead log into it, so that removing the log loses nothing.
fn checkpoint(db_path: &Path) -> Result<(), BackupError> {
    let mut conn = open_source(db_path)?;
    let result: Checkpoint = diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
        .get_result(&mut conn)
        .map_err(BackupError::db(format!(
            "cannot checkpoint {}",
            db_path.display()
        )))?;
    if result.busy != 0 {
        return Err(BackupError::InUse(db_path.to_path_buf()));
    }
    Ok(())
}

/// Refuses to go on when another process has the database open in WAL mode: every SQLite
/// connection holds a shared lock on byte 128 of the `-shm` file (the "DMS" lock) while open.
/// An open-file-description lock tests that without disturbing this process's POSIX locks.
#[cfg(target_os = "linux")]
fn ensure_not_in_use(db_path: &Path) -> Result<(), BackupError> {
    use nix::errno::Errno;
    use nix::fcntl::{FcntlArg, fcntl};
    use nix::libc;

    let shm = side_file(db_path, "-shm");
    let file = match std::fs::File::options().read(true).write(true).open(&shm) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(BackupError::io(format!("cannot open {}", shm.display()))(e)),
    };
    let lock = libc::flock {
        l_type: libc::F_WRLCK as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 128,
        l_len: 1,
        l_pid: 0,
    };
    match fcntl(&file, FcntlArg::F_OFD_SETLK(&lock)) {
        // Closing the file releases the lock.
        Ok(_) => Ok(()),
        Err(Errno::EAGAIN | Errno::EACCES) => Err(BackupError::InUse(db_path.to_path_buf())),
        // Locks unsupported here: the checkpoint below still refuses a busy database.
        Err(_) => Ok(()),
    }
}

#[cfg(not(target_os = "linux"))]
fn ensure_not_in_use(_db_path: &Path) -> Result<(), BackupError> {
    Ok(())
}

/// Gives the restored file the old database's mode and (when permitted) owner, so that `web`
/// can still write it when `ops` runs as another user.
fn copy_ownership(from: &Path, to: &Path) {
    use std::os::unix::fs::MetadataExt as _;
    if let Ok(meta) = std::fs::metadata(from) {
        let _ = std::fs::set_permissions(to, meta.permissions());
        let _ = std::os::unix::fs::chown(to, Some(meta.uid()), Some(meta.gid()));
    }
}

/// `DB-wal`, `DB-shm`, `DB-journal`.
fn side_file(db_path: &Path, suffix: &str) -> PathBuf {
    let mut s = db_path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// A `file:` URI for `path` with `params`.
fn uri(path: &Path, params: &str) -> Result<String, BackupError> {
    crate::sqlite_uri::sqlite_file_uri(path, params).map_err(BackupError::io(format!(
        "cannot name {} in an SQLite URI",
        path.display()
    )))
}

/// `'text'` with embedded quotes doubled.
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `"name"` with embedded quotes doubled.
fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote("we\"ird"), "\"we\"\"ird\"");
    }

    #[test]
    fn a_missing_database_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.sqlite3");
        assert!(matches!(
            open_source(&path),
            Err(BackupError::MissingDatabase(_))
        ));
        assert!(!path.exists());
    }

    #[test]
    fn garbage_with_an_sqlite_header_is_unsound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sqlite3");
        let mut bytes = b"SQLite format 3\0".to_vec();
        bytes.extend(std::iter::repeat_n(0xA5_u8, 8192));
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(verify(&path), Err(BackupError::Unsound { .. })));
    }
}
