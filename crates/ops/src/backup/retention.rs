//! Retention: deleting the oldest of `ops backup`'s own backups, gently for the disk.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::file_ops::{checksum_path, remove_if_exists};
use super::{BackupError, BackupKind};

/// Deletes the oldest of the backups of `kind` in `dir` so that `keep` remain, never `protect`
/// (the backup just written counts as one of the `keep`, whatever time its name shows). Only
/// names [`BackupName::parse`](super::BackupName::parse) accepts are considered; a deleted backup's `.sha256` file goes
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
    let protect_name = protect.file_name().and_then(|n| n.to_str());
    // Newest first; only regular files with names `ops backup` writes.
    let own: Vec<PathBuf> = super::list::list_existing(dir)?
        .into_iter()
        .filter(|b| b.kind == kind && Some(b.name.as_str()) != protect_name)
        .map(|b| dir.join(&b.name))
        .collect();
    let mut removed = Vec::new();
    let mut failures = Vec::new();
    for path in own.into_iter().skip(keep.saturating_sub(1)) {
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
        Err(BackupError::Retention(failures))
    }
}

/// Deletes a file; a large one is first shrunk 16 MiB at a time, each step made durable and
/// followed by a 10 ms pause (about 1 s per GiB). Freeing a gigabyte of extents at once — one
/// `unlink`, or shrinking without syncs, which leaves every freed extent to the next journal
/// commit — makes one commit carry it all (and, on a file system mounted with `discard`, the
/// discard of all of it), and the site's commits, whose fsyncs wait for that journal commit,
/// stall (docs/benchmarks.md, "Backup", measures lead submissions with and without the paced
/// deletion). A file with other hard links is only unlinked.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::test_dir::{names, touch};

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
}
