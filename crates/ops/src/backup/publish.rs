//! Temporary files and publishing one under its final backup name, never replacing a file.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Timelike as _, Utc};

use super::file_ops::{checksum_path, sync_dir};
use super::names::{BackupName, MAX_COUNTER, parse_with_prefix};
use super::{BackupError, BackupKind};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::names::BACKUP_PREFIX;
    use crate::backup::test_dir::{names, touch};

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
}
