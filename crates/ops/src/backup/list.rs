//! Listing the backups in a directory (`ops backup list`); the remote listing gives the same
//! rows.

use std::path::Path;

use chrono::NaiveDateTime;
use serde::Serialize;

use super::names::{BackupName, CHECKSUM_SUFFIX};
use super::{BackupError, BackupKind};

/// One backup in a listing.
#[derive(Debug, Clone, Serialize)]
pub struct ListedBackup {
    /// The file (or object) name, `wetech-YYYYMMDDTHHMMSSZ[-N].sqlite3|pgdump`.
    pub name: String,
    /// Its kind, from the name.
    pub kind: BackupKind,
    /// When the snapshot was taken (UTC, from the name).
    #[serde(serialize_with = "utc_text")]
    pub taken_at: NaiveDateTime,
    /// Its size.
    pub size_bytes: u64,
    /// Whether its `.sha256` is next to it.
    pub checksum: bool,
    #[serde(skip)]
    pub(crate) parsed: BackupName,
}

fn utc_text<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&t.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// The backups in `dir` whose names `ops backup` writes (regular files only), newest first. A
/// missing directory has none.
///
/// # Errors
/// The directory cannot be listed.
pub fn list(dir: &Path) -> Result<Vec<ListedBackup>, BackupError> {
    match list_existing(dir) {
        Err(BackupError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(Vec::new())
        }
        other => other,
    }
}

/// [`list`] of a directory that must exist (retention's view).
pub(crate) fn list_existing(dir: &Path) -> Result<Vec<ListedBackup>, BackupError> {
    let entries = std::fs::read_dir(dir)
        .map_err(BackupError::io(format!("cannot list {}", dir.display())))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(BackupError::io(format!("cannot list {}", dir.display())))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let Some(parsed) = BackupName::parse(&name) else {
            continue;
        };
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        out.push(ListedBackup {
            checksum: dir.join(format!("{name}{CHECKSUM_SUFFIX}")).is_file(),
            name,
            kind: parsed.kind,
            taken_at: parsed.taken_at,
            size_bytes: meta.len(),
            parsed,
        });
    }
    out.sort_by_key(|b| std::cmp::Reverse(b.parsed));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::test_dir::touch;

    #[test]
    fn lists_only_its_own_backups_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in [
            "wetech-20260101T000000Z.sqlite3",
            "wetech-20260101T000000Z.sqlite3.sha256",
            "wetech-20260102T000000Z.pgdump",
            "wetech-20260102T000000Z-1.pgdump",
            "pre-restore-20260103T000000Z.sqlite3",
            "notes.txt",
        ] {
            touch(d, name);
        }
        let listed = list(d).unwrap();
        let names: Vec<(&str, bool)> = listed
            .iter()
            .map(|b| (b.name.as_str(), b.checksum))
            .collect();
        assert_eq!(
            names,
            vec![
                ("wetech-20260102T000000Z-1.pgdump", false),
                ("wetech-20260102T000000Z.pgdump", false),
                ("wetech-20260101T000000Z.sqlite3", true),
            ]
        );
        assert!(list(&d.join("absent")).unwrap().is_empty());
    }
}
