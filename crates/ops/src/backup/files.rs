//! File names, retention, fsync, temporary files and progress watching.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Timelike as _, Utc};

use super::{BackupError, BackupKind, Progress, Stage};

/// Prefix of the backups `ops backup` writes and prunes.
pub(crate) const BACKUP_PREFIX: &str = "wetech-";
/// Prefix of the copies `restore` keeps of the database it replaces (never pruned).
pub(crate) const PRE_RESTORE_PREFIX: &str = "pre-restore-";
/// Extension of the checksum file written next to every backup.
pub(crate) const CHECKSUM_SUFFIX: &str = ".sha256";
/// Largest `-N` suffix tried when backups are taken within the same second.
const MAX_COUNTER: u32 = 999;

/// A parsed backup file name: `wetech-YYYYMMDDTHHMMSSZ[-N].sqlite3|pgdump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BackupName {
    /// The UTC time in the name.
    pub taken_at: NaiveDateTime,
    /// The `-N` suffix (0 when absent).
    pub counter: u32,
    /// The kind, from the extension.
    pub kind: BackupKind,
}

impl BackupName {
    /// Parses a file name written by [`super::backup`]; `None` for every other name (including
    /// checksum files, temporary files and `pre-restore-…` copies).
    ///
    /// ```
    /// use wetech_ops::backup::BackupName;
    /// let n = BackupName::parse("wetech-20260102T030405Z-2.sqlite3").unwrap();
    /// assert_eq!(n.counter, 2);
    /// assert!(BackupName::parse("wetech-20260102T030405Z.sqlite3.sha256").is_none());
    /// assert!(BackupName::parse("wetech-20261302T030405Z.pgdump").is_none()); // month 13
    /// ```
    #[must_use]
    pub fn parse(name: &str) -> Option<BackupName> {
        parse_with_prefix(name, BACKUP_PREFIX)
    }

    /// The file name for this value with `prefix` (`wetech-` or `pre-restore-`).
    #[must_use]
    pub fn file_name(&self, prefix: &str) -> String {
        let stamp = self.taken_at.format("%Y%m%dT%H%M%SZ");
        let ext = self.kind.extension();
        if self.counter == 0 {
            format!("{prefix}{stamp}.{ext}")
        } else {
            format!("{prefix}{stamp}-{}.{ext}", self.counter)
        }
    }
}

fn parse_with_prefix(name: &str, prefix: &str) -> Option<BackupName> {
    let rest = name.strip_prefix(prefix)?;
    let (rest, kind) = if let Some(r) = rest.strip_suffix(".sqlite3") {
        (r, BackupKind::Sqlite)
    } else if let Some(r) = rest.strip_suffix(".pgdump") {
        (r, BackupKind::Postgres)
    } else {
        return None;
    };
    let stamp = rest.get(..16)?;
    let suffix = rest.get(16..)?;
    let bytes = stamp.as_bytes();
    let digits_ok = bytes
        .iter()
        .enumerate()
        .all(|(i, b)| matches!(i, 8 | 15) || b.is_ascii_digit());
    if !digits_ok || bytes.get(8) != Some(&b'T') || bytes.get(15) != Some(&b'Z') {
        return None;
    }
    let taken_at = NaiveDateTime::parse_from_str(stamp.get(..15)?, "%Y%m%dT%H%M%S").ok()?;
    let counter = if suffix.is_empty() {
        0
    } else {
        let n = suffix.strip_prefix('-')?;
        if n.is_empty()
            || n.len() > 3
            || n.starts_with('0')
            || !n.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        n.parse().ok()?
    };
    Some(BackupName {
        taken_at,
        counter,
        kind,
    })
}

/// Whether `name` is exactly the name of a backup `ops backup` writes (and may prune).
#[must_use]
pub fn is_own_backup_name(name: &str) -> bool {
    BackupName::parse(name).is_some()
}

/// Deletes the oldest of the backups of `kind` in `dir` so that `keep` remain, never `protect`
/// (the backup just written counts as one of the `keep`, whatever time its name shows). Only
/// names [`BackupName::parse`] accepts are considered; a deleted backup's `.sha256` file goes
/// with it. Returns the deleted backups.
///
/// # Errors
/// The directory cannot be listed or a file cannot be deleted (the others are still tried).
pub fn prune(
    dir: &Path,
    kind: BackupKind,
    keep: usize,
    protect: &Path,
) -> Result<Vec<PathBuf>, BackupError> {
    let entries = std::fs::read_dir(dir)
        .map_err(BackupError::io(format!("cannot list {}", dir.display())))?;
    let protect_name = protect.file_name();
    let mut own: Vec<(BackupName, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(BackupError::io(format!("cannot list {}", dir.display())))?;
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            continue;
        };
        let Some(parsed) = BackupName::parse(name) else {
            continue;
        };
        if parsed.kind != kind || Some(file_name.as_os_str()) == protect_name {
            continue;
        }
        // Only regular files: a directory or symlink that happens to match is left alone.
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        own.push((parsed, entry.path()));
    }
    own.sort_by_key(|(name, _)| std::cmp::Reverse(*name));
    let mut removed = Vec::new();
    let mut failures = Vec::new();
    for (_, path) in own.into_iter().skip(keep.saturating_sub(1)) {
        match remove_gently(&path) {
            Ok(()) => {
                let _ = remove_if_exists(&checksum_path(&path));
                tracing::info!(path = %path.display(), "old backup deleted");
                removed.push(path);
            }
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    if failures.is_empty() {
        Ok(removed)
    } else {
        Err(BackupError::Io {
            context: format!("cannot delete old backup(s) {}", failures.join("; ")),
            source: std::io::Error::other("retention incomplete"),
        })
    }
}

/// Deletes a file; a large one is first shrunk 16 MiB at a time, each step made durable and
/// followed by a 10 ms pause (about 1 s per GiB). Freeing a gigabyte of extents at once — one
/// `unlink`, or shrinking without syncs, which leaves every freed extent to the next journal
/// commit — makes one commit carry it all (and, on a file system mounted with `discard`, the
/// discard of all of it), and the site's commits, whose fsyncs wait for that journal commit,
/// stall: lead submissions took 230 ms right after a backup deleted its 1 GiB predecessor, against
/// at most 12 ms with the paced deletion (docs/benchmarks.md, "Backup"). A file with other hard
/// links is only unlinked.
fn remove_gently(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    const STEP: u64 = 16 << 20;
    const PAUSE: std::time::Duration = std::time::Duration::from_millis(10);
    if let Ok(file) = File::options().write(true).open(path)
        && let Ok(meta) = file.metadata()
        && meta.is_file()
        && meta.nlink() == 1
    {
        let mut len = meta.len();
        while len > STEP {
            len -= STEP;
            file.set_len(len)?;
            file.sync_data()?;
            std::thread::sleep(PAUSE);
        }
    }
    std::fs::remove_file(path)
}

/// Puts the calling thread (and the threads and processes it starts afterwards) in the idle
/// I/O scheduling class and the idle CPU scheduling policy (`SCHED_IDLE`), best effort, through
/// util-linux `ionice` and `chrt` (the standard library and `nix` have neither `ioprio_set`
/// nor `sched_setscheduler`, and unsafe code is not allowed here). The site comes first:
/// - I/O: a backup's queued writes wait while the site's are queued (each commit of `web`
///   waits for an fsync of its log). The I/O schedulers that honour classes (mq-deadline, BFQ)
///   still serve idle requests when the disk has nothing else to do, and mq-deadline after at
///   most 10 s of waiting. How much the backup writes while the site commits is paced
///   separately (`writeback.rs`).
/// - CPU: copying and checking keep a core busy each; at the normal policy a request of `web`
///   that wakes up while both cores are busy waits for its turn (lead-submission p99 about
///   10 ms during a backup against 5 ms without, on 2 cores). A `SCHED_IDLE` thread gives way
///   to any other thread that wants the CPU (p99 4.4–6.8 ms during a backup, docs/benchmarks.md).
///   It still gets a small share on a CPU that is busy all the time, so a backup on a saturated
///   machine is slow but ends.
///
/// Nothing happens where the commands or `/proc/thread-self` are missing (a debug line says so).
pub(crate) fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let Ok(link) = std::fs::read_link("/proc/thread-self") else {
            return;
        };
        // `PID/task/TID`: the thread's id; a thread id given to `-p` affects that thread only.
        let Some(tid) = link
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        else {
            return;
        };
        for (program, args) in [
            ("ionice", ["-c", "3", "-p"].as_slice()),
            ("chrt", ["--idle", "-p", "0"].as_slice()),
        ] {
            let status = std::process::Command::new(program)
                .args(args)
                .arg(tid)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
            if !status.is_ok_and(|s| s.success()) {
                tracing::debug!(program, "cannot lower the backup's priority with {program}");
            }
        }
    }
}

/// `FILE.sha256`.
pub(crate) fn checksum_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(CHECKSUM_SUFFIX);
    PathBuf::from(s)
}

pub(crate) fn create_dir(dir: &Path) -> Result<(), BackupError> {
    std::fs::create_dir_all(dir).map_err(BackupError::io(format!(
        "cannot create the backup directory {}",
        dir.display()
    )))
}

/// What kind of file system object `t` is, for error messages ("a FIFO", "a directory", …).
fn describe(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading only if it is a regular file (symlinks followed): anything else — a
/// FIFO, whose opening or reading would wait for a writer forever, a device, a directory — is
/// refused with [`BackupError::NotAFile`]. The file is opened with `O_NONBLOCK`, so that even
/// a FIFO swapped in after the check cannot make this wait; its type is then checked again on
/// the open descriptor.
pub(crate) fn open_regular(path: &Path) -> Result<File, BackupError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let not_a_file = |t: std::fs::FileType| BackupError::NotAFile {
        path: path.to_path_buf(),
        what: describe(t),
    };
    let meta = std::fs::metadata(path)
        .map_err(BackupError::io(format!("cannot open {}", path.display())))?;
    if !meta.is_file() {
        return Err(not_a_file(meta.file_type()));
    }
    let f = File::options()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(BackupError::io(format!("cannot open {}", path.display())))?;
    let meta = f
        .metadata()
        .map_err(BackupError::io(format!("cannot open {}", path.display())))?;
    if !meta.is_file() {
        return Err(not_a_file(meta.file_type()));
    }
    Ok(f)
}

/// Recognises the kind of a backup file by its first bytes.
pub(crate) fn sniff(file: &Path) -> Result<BackupKind, BackupError> {
    let mut f = open_regular(file)?;
    let mut header = [0_u8; 16];
    let mut filled = 0;
    while filled < header.len() {
        match f.read(&mut header[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(BackupError::io(format!("cannot read {}", file.display()))(
                    e,
                ));
            }
        }
    }
    BackupKind::sniff(&header[..filled])
        .ok_or_else(|| BackupError::UnknownFormat(file.to_path_buf()))
}

/// Reserves `len` bytes of disk blocks for `path` without changing its size
/// (`fallocate(FALLOC_FL_KEEP_SIZE)`), best effort: nothing happens where the file system or the
/// platform cannot (the writes then allocate as they go).
pub(crate) fn preallocate(path: &Path, len: u64) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use nix::fcntl::{FallocateFlags, fallocate};
        let (Ok(len), Ok(file)) = (
            i64::try_from(len),
            std::fs::OpenOptions::new().write(true).open(path),
        ) else {
            return;
        };
        if len > 0
            && let Err(e) = fallocate(&file, FallocateFlags::FALLOC_FL_KEEP_SIZE, 0, len)
        {
            tracing::debug!(error = %e, "cannot reserve the backup's blocks");
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = (path, len);
}

/// fsyncs a file's content.
pub(crate) fn sync_file(path: &Path) -> Result<(), BackupError> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(BackupError::io(format!("cannot fsync {}", path.display())))
}

/// fsyncs a directory, so that a rename or a new entry in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(BackupError::io(format!(
            "cannot fsync the directory {}",
            dir.display()
        )))
}

pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

pub(crate) fn remove_if_exists(path: &Path) -> Result<(), BackupError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(BackupError::io(format!("cannot remove {}", path.display()))(e)),
    }
}

/// A temporary file that is removed when dropped, unless [`TempFile::keep`] was called.
pub(crate) struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    /// A fresh, unused name in `dir`: `.{stem}-{pid}-{nanos}.tmp` (hidden, never a backup name).
    pub(crate) fn new_name(dir: &Path, stem: &str) -> TempFile {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        let path = dir.join(format!(".{stem}-{}-{nanos}.tmp", std::process::id()));
        TempFile { path, armed: true }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The file stays (it has been renamed or published).
    pub(crate) fn keep(mut self) {
        self.armed = false;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
            // SQLite may have left its side files next to a temporary database.
            for side in ["-journal", "-wal", "-shm"] {
                let mut p = self.path.as_os_str().to_owned();
                p.push(side);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
        }
    }
}

/// Gives `tmp` its final name in `dir`, `{prefix}{stamp}[-N].{ext}`, never replacing an existing
/// file (a hard link claims the name atomically; where links are unsupported, an existence check
/// precedes the rename), writes `NAME.sha256` with `sha256`, and fsyncs the directory. On failure
/// nothing is left under a final name.
pub(crate) fn publish(
    dir: &Path,
    prefix: &str,
    taken_at: DateTime<Utc>,
    kind: BackupKind,
    tmp: TempFile,
    sha256: &str,
) -> Result<PathBuf, BackupError> {
    // Names have whole seconds.
    let taken_at = taken_at
        .naive_utc()
        .with_nanosecond(0)
        .unwrap_or(taken_at.naive_utc());
    // After every backup of the same second (even deleted ones' successors), so that names keep
    // sorting in the order the backups were taken.
    let first = next_counter(dir, prefix, taken_at, kind)?;
    for counter in first..=MAX_COUNTER {
        let name = BackupName {
            taken_at,
            counter,
            kind,
        }
        .file_name(prefix);
        let target = dir.join(&name);
        let target_sum = checksum_path(&target);
        if target_sum.exists() {
            continue;
        }
        match claim(tmp.path(), &target) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                return Err(BackupError::io(format!(
                    "cannot create {}",
                    target.display()
                ))(e));
            }
        }
        let sum = super::checksum::write_sum_file(dir, sha256, &name).and_then(|sum| {
            std::fs::rename(sum.path(), &target_sum).map_err(BackupError::io(format!(
                "cannot create {}",
                target_sum.display()
            )))?;
            sum.keep();
            sync_dir(dir)
        });
        // `claim` either linked (the temporary name still exists: drop removes it) or renamed.
        drop(tmp);
        if let Err(e) = sum {
            let _ = std::fs::remove_file(&target);
            let _ = std::fs::remove_file(&target_sum);
            return Err(e);
        }
        return Ok(target);
    }
    Err(BackupError::Io {
        context: format!("no free backup name in {}", dir.display()),
        source: std::io::Error::from(std::io::ErrorKind::AlreadyExists),
    })
}

/// One more than the largest `-N` among `dir`'s backups named for `taken_at` (0 when none).
fn next_counter(
    dir: &Path,
    prefix: &str,
    taken_at: NaiveDateTime,
    kind: BackupKind,
) -> Result<u32, BackupError> {
    let entries = std::fs::read_dir(dir)
        .map_err(BackupError::io(format!("cannot list {}", dir.display())))?;
    let mut next = 0;
    for entry in entries.flatten() {
        if let Some(name) = entry
            .file_name()
            .to_str()
            .and_then(|n| parse_with_prefix(n, prefix))
            && name.taken_at == taken_at
            && name.kind == kind
        {
            next = next.max(name.counter + 1);
        }
    }
    Ok(next)
}

/// Makes `from` visible as `to` unless `to` exists; `Ok(false)` when it does.
fn claim(from: &Path, to: &Path) -> std::io::Result<bool> {
    match std::fs::hard_link(from, to) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(_) => {
            // File systems without hard links: check, then rename.
            if to.exists() {
                return Ok(false);
            }
            std::fs::rename(from, to).map(|()| true)
        }
    }
}

/// Runs `work` while a watcher thread reports `stage` (with `bytes()` when known) to `progress`
/// every half second.
pub(crate) fn watch<T>(
    progress: &(dyn Fn(Progress) + Sync),
    stage: Stage,
    started: Instant,
    bytes: impl Fn() -> Option<u64> + Sync,
    work: impl FnOnce() -> T,
) -> T {
    let (stop, stopped) = mpsc::channel::<()>();
    let bytes = &bytes;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            progress(Progress {
                stage,
                bytes: bytes(),
                elapsed: started.elapsed(),
            });
            while let Err(mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(Duration::from_millis(500))
            {
                progress(Progress {
                    stage,
                    bytes: bytes(),
                    elapsed: started.elapsed(),
                });
            }
        });
        let result = work();
        drop(stop);
        result
    })
}

/// The size of `path`, if it exists.
pub(crate) fn size_of(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

/// Maps the versions recorded in a backup to this build's migration names. Returns (applied
/// names, pending names). Refuses a backup without migrations or with a version this build does
/// not know (it was made by a newer release) — unless not `strict`, where unknown versions are
/// listed as they are.
pub(crate) fn match_migrations(
    file: &Path,
    versions: &[String],
    known: &[String],
    strict: bool,
) -> Result<(Vec<String>, Vec<String>), BackupError> {
    if versions.is_empty() && strict {
        return Err(BackupError::unsound(
            file,
            "it records no applied migration (not a wetech database)",
        ));
    }
    let mut applied = Vec::new();
    let mut unknown = Vec::new();
    let mut sorted = versions.to_vec();
    sorted.sort();
    sorted.dedup();
    for v in &sorted {
        match known
            .iter()
            .find(|name| wetech_persistence::migration_version(name) == *v)
        {
            Some(name) => applied.push(name.clone()),
            None if strict => unknown.push(v.clone()),
            None => applied.push(v.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(BackupError::unsound(
            file,
            format!(
                "it records migration(s) {} that this build does not have (made by a newer release?)",
                unknown.join(", ")
            ),
        ));
    }
    let pending = known
        .iter()
        .filter(|n| !applied.contains(n))
        .cloned()
        .collect();
    Ok((applied, pending))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, name: &str) {
        std::fs::write(dir.join(name), b"x").unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn names_round_trip_and_strangers_are_refused() {
        let n = BackupName::parse("wetech-20260102T030405Z.sqlite3").unwrap();
        assert_eq!(n.counter, 0);
        assert_eq!(n.kind, BackupKind::Sqlite);
        assert_eq!(
            n.file_name(BACKUP_PREFIX),
            "wetech-20260102T030405Z.sqlite3"
        );
        let n = BackupName::parse("wetech-20260102T030405Z-17.pgdump").unwrap();
        assert_eq!((n.counter, n.kind), (17, BackupKind::Postgres));
        assert_eq!(
            n.file_name(PRE_RESTORE_PREFIX),
            "pre-restore-20260102T030405Z-17.pgdump"
        );
        for bad in [
            "wetech-20260102T030405Z.sqlite3.sha256",
            "wetech-20260102T030405Z.sqlite",
            "wetech-20260102T030405.sqlite3",
            "wetech-20260102t030405Z.sqlite3",
            "wetech-2026010xT030405Z.sqlite3",
            "wetech-20260230T030405Z.sqlite3",
            "wetech-20260102T250405Z.sqlite3",
            "wetech-20260102T030405Z-0.sqlite3",
            "wetech-20260102T030405Z-01.sqlite3",
            "wetech-20260102T030405Z-1000.sqlite3",
            "wetech-20260102T030405Z-.sqlite3",
            "wetech-20260102T030405Z-+1.sqlite3",
            "wetech-20260102T030405Zx.sqlite3",
            "Wetech-20260102T030405Z.sqlite3",
            "pre-restore-20260102T030405Z.sqlite3",
            ".wetech-backup-1-2.tmp",
            "wetech-.sqlite3",
            "wetech-é0260102T030405Z.sqlite3",
            "",
        ] {
            assert!(BackupName::parse(bad).is_none(), "{bad} was accepted");
        }
    }

    #[test]
    fn prune_keeps_the_newest_of_its_own_kind_and_ignores_everything_else() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in [
            "wetech-20260101T000000Z.sqlite3",
            "wetech-20260101T000000Z.sqlite3.sha256",
            "wetech-20260102T000000Z.sqlite3",
            "wetech-20260102T000000Z-1.sqlite3",
            "wetech-20260103T000000Z.sqlite3",
            "wetech-20250101T000000Z.pgdump",
            "wetech-20260101T000000Z.sqlite3.bak",
            "pre-restore-20240101T000000Z.sqlite3",
            "notes.txt",
            "wetech-latest.sqlite3",
        ] {
            touch(d, name);
        }
        std::fs::create_dir(d.join("wetech-20200101T000000Z.sqlite3")).unwrap();
        let removed = prune(
            d,
            BackupKind::Sqlite,
            2,
            &d.join("wetech-20260103T000000Z.sqlite3"),
        )
        .unwrap();
        assert_eq!(removed.len(), 2);
        assert_eq!(
            names(d),
            vec![
                "notes.txt",
                "pre-restore-20240101T000000Z.sqlite3",
                "wetech-20200101T000000Z.sqlite3",
                "wetech-20250101T000000Z.pgdump",
                "wetech-20260101T000000Z.sqlite3.bak",
                "wetech-20260102T000000Z-1.sqlite3",
                "wetech-20260103T000000Z.sqlite3",
                "wetech-latest.sqlite3",
            ]
        );
    }

    #[test]
    fn gentle_removal_spares_other_hard_links() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("wetech-20260101T000000Z.sqlite3");
        let content = vec![7_u8; 70 << 20];
        std::fs::write(&big, &content).unwrap();
        let kept = dir.path().join("offsite-copy.sqlite3");
        std::fs::hard_link(&big, &kept).unwrap();
        remove_gently(&big).unwrap();
        assert!(!big.exists());
        assert_eq!(
            std::fs::metadata(&kept).unwrap().len(),
            content.len() as u64
        );
        remove_gently(&kept).unwrap();
        assert!(!kept.exists());
    }

    #[test]
    fn prune_never_deletes_the_new_backup_even_if_the_clock_went_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in [
            "wetech-20300101T000000Z.sqlite3",
            "wetech-20300102T000000Z.sqlite3",
            "wetech-20200101T000000Z.sqlite3",
        ] {
            touch(d, name);
        }
        let new = d.join("wetech-20200101T000000Z.sqlite3");
        prune(d, BackupKind::Sqlite, 1, &new).unwrap();
        assert_eq!(names(d), vec!["wetech-20200101T000000Z.sqlite3"]);
    }

    #[test]
    fn publish_never_overwrites_and_adds_a_counter() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let at = DateTime::parse_from_rfc3339("2026-05-06T07:08:09.5Z")
            .unwrap()
            .with_timezone(&Utc);
        touch(d, "wetech-20260506T070809Z.sqlite3");
        let tmp = TempFile::new_name(d, "t1");
        std::fs::write(tmp.path(), b"new").unwrap();
        let path = publish(
            d,
            BACKUP_PREFIX,
            at,
            BackupKind::Sqlite,
            tmp,
            &"ab".repeat(32),
        )
        .unwrap();
        assert_eq!(path, d.join("wetech-20260506T070809Z-1.sqlite3"));
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(
            std::fs::read(d.join("wetech-20260506T070809Z.sqlite3")).unwrap(),
            b"x"
        );
        assert_eq!(
            std::fs::read_to_string(d.join("wetech-20260506T070809Z-1.sqlite3.sha256")).unwrap(),
            format!("{}  wetech-20260506T070809Z-1.sqlite3\n", "ab".repeat(32))
        );
        assert_eq!(
            names(d),
            vec![
                "wetech-20260506T070809Z-1.sqlite3",
                "wetech-20260506T070809Z-1.sqlite3.sha256",
                "wetech-20260506T070809Z.sqlite3",
            ]
        );
    }

    #[test]
    fn migrations_are_matched_by_version() {
        let known = vec![
            "2026-11-29-000001_initial".to_owned(),
            "2026-12-01-000002_more".to_owned(),
        ];
        let f = Path::new("f");
        let (applied, pending) =
            match_migrations(f, &["20261129000001".to_owned()], &known, true).unwrap();
        assert_eq!(applied, vec!["2026-11-29-000001_initial"]);
        assert_eq!(pending, vec!["2026-12-01-000002_more"]);
        assert!(match_migrations(f, &[], &known, true).is_err());
        let e = match_migrations(f, &["20991231000009".to_owned()], &known, true).unwrap_err();
        assert!(e.to_string().contains("20991231000009"), "{e}");
        // The copy kept before a restore accepts whatever the database held.
        let (applied, pending) =
            match_migrations(f, &["20991231000009".to_owned()], &known, false).unwrap();
        assert_eq!(applied, vec!["20991231000009"]);
        assert_eq!(pending.len(), 2);
        assert!(match_migrations(f, &[], &known, false).is_ok());
    }
}
