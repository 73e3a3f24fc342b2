//! SHA-256 of backup files and the `FILE.sha256` files (`sha256sum` format, so
//! `sha256sum -c FILE.sha256` works in the backup directory).

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use sha2::{Digest as _, Sha256};

use super::file_ops;
use super::progress;
use super::publish::TempFile;
use super::{BackupError, Progress, Stage};

/// Hex SHA-256 of a file, reporting the bytes read.
pub(crate) fn sha256_file(
    path: &Path,
    progress: &(dyn Fn(Progress) + Sync),
    started: Instant,
) -> Result<String, BackupError> {
    let read = AtomicU64::new(0);
    progress::watch(
        progress,
        Stage::Checksumming,
        started,
        || Some(read.load(Ordering::Relaxed)),
        || {
            let mut f = file_ops::open_regular(path)?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0_u8; 1 << 20];
            loop {
                let n = match f.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        return Err(BackupError::io(format!("cannot read {}", path.display()))(
                            e,
                        ));
                    }
                };
                hasher.update(&buf[..n]);
                read.fetch_add(n as u64, Ordering::Relaxed);
            }
            Ok(hex::encode(hasher.finalize()))
        },
    )
}

/// The most of a `FILE.sha256` file that is read.
const MAX_SUM_FILE_BYTES: u64 = 4096;

/// Hashes `file` and compares with `FILE.sha256` when that exists. Returns (hash, whether a
/// checksum file was present and matched).
pub(crate) fn check(
    file: &Path,
    progress: &(dyn Fn(Progress) + Sync),
    started: Instant,
) -> Result<(String, bool), BackupError> {
    let actual = sha256_file(file, progress, started)?;
    let sum_path = file_ops::checksum_path(file);
    let sum_file = match file_ops::open_regular(&sum_path) {
        Ok(f) => f,
        Err(BackupError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok((actual, false));
        }
        Err(e) => return Err(e),
    };
    // A checksum file is one line: read no more than a few of them.
    let mut text = String::new();
    sum_file
        .take(MAX_SUM_FILE_BYTES)
        .read_to_string(&mut text)
        .map_err(BackupError::unreadable(
            file,
            &format!("cannot read {} as a checksum file", sum_path.display()),
        ))?;
    let expected = parse_sum(&text).ok_or_else(|| {
        BackupError::unsound(
            file,
            format!("{} is not a SHA-256 checksum file", sum_path.display()),
        )
    })?;
    if !expected.eq_ignore_ascii_case(&actual) {
        return Err(BackupError::unsound(
            file,
            format!(
                "its SHA-256 {actual} differs from the one recorded in {} ({expected}): the file was changed or damaged",
                sum_path.display()
            ),
        ));
    }
    Ok((actual, true))
}

/// The hash in a `sha256sum` line: 64 hex digits, then whitespace and a name (or nothing).
pub(crate) fn parse_sum(text: &str) -> Option<&str> {
    let first = text.lines().next()?.trim();
    let hash = first.split_whitespace().next()?;
    (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hash)
}

/// Writes `{hash}  {name}\n` to a fresh temporary file in `dir` and fsyncs it.
pub(crate) fn write_sum_file(dir: &Path, hash: &str, name: &str) -> Result<TempFile, BackupError> {
    let tmp = TempFile::new_name(dir, "wetech-sum");
    let mut f = File::options()
        .write(true)
        .create_new(true)
        .open(tmp.path())
        .map_err(BackupError::io(format!(
            "cannot create {}",
            tmp.path().display()
        )))?;
    f.write_all(format!("{hash}  {name}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(BackupError::io(format!(
            "cannot write {}",
            tmp.path().display()
        )))?;
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_lines_are_parsed_strictly() {
        let h = "a".repeat(64);
        assert_eq!(
            parse_sum(&format!("{h}  wetech-x.sqlite3\n")),
            Some(h.as_str())
        );
        assert_eq!(parse_sum(&h), Some(h.as_str()));
        assert_eq!(parse_sum(&"a".repeat(63)), None);
        assert_eq!(parse_sum(&"g".repeat(64)), None);
        assert_eq!(parse_sum(""), None);
        assert_eq!(parse_sum("\n"), None);
    }

    #[test]
    fn a_changed_file_fails_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("b.sqlite3");
        std::fs::write(&f, b"hello").unwrap();
        let (h, verified) = check(&f, &super::super::no_progress, Instant::now()).unwrap();
        assert!(!verified);
        assert_eq!(
            h,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        std::fs::write(file_ops::checksum_path(&f), format!("{h}  b.sqlite3\n")).unwrap();
        assert!(
            check(&f, &super::super::no_progress, Instant::now())
                .unwrap()
                .1
        );
        std::fs::write(&f, b"hellO").unwrap();
        let e = check(&f, &super::super::no_progress, Instant::now()).unwrap_err();
        assert!(e.to_string().contains("differs"), "{e}");
    }
}
