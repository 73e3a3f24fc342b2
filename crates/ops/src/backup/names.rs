//! The names of backup files: `wetech-YYYYMMDDTHHMMSSZ[-N].sqlite3|pgdump`, and the prefixes and
//! suffix of the files around them.

use chrono::NaiveDateTime;

use super::BackupKind;

/// Prefix of the backups `ops backup` writes and prunes.
pub(crate) const BACKUP_PREFIX: &str = "wetech-";
/// Prefix of the copies `restore` keeps of the database it replaces (never pruned).
pub(crate) const PRE_RESTORE_PREFIX: &str = "pre-restore-";
/// Extension of the checksum file written next to every backup.
pub(crate) const CHECKSUM_SUFFIX: &str = ".sha256";
/// Largest `-N` suffix tried when backups are taken within the same second.
pub(super) const MAX_COUNTER: u32 = 999;

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

pub(super) fn parse_with_prefix(name: &str, prefix: &str) -> Option<BackupName> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
