//! A log file with a fixed live name, rotated daily (UTC) by renaming.
//!
//! `tracing_appender::rolling::daily` writes to `app.log.YYYY-MM-DD` and never to `app.log`, but
//! the contract names the live files exactly `logs/app.log` and `logs/errors.log`. So the live file
//! always has the plain name, and on the first write of a new UTC day the previous day's file is
//! renamed to `app.log.YYYY-MM-DD` (the day its lines were written; `.1`, `.2`, … are appended if
//! that name is taken) and a fresh `app.log` is opened. At start-up a leftover `app.log` last
//! modified on an earlier day is rotated the same way.
//!
//! Several processes (the `web` server and an `ops` command) may append to the same file. Before
//! renaming, the writer checks that the live path is still the file it holds open; if another
//! process has already rotated it, the writer only reopens the live path.
//!
//! Rotated files whose day lies more than `log.keep_days` back are deleted by the writer: when
//! it opens the file at start and after each rotation, so once a day. The age is the day in the
//! name (the day the lines were written), not the file's modification time, which a copy or a
//! restore of the directory changes. Only names this module writes (`NAME.YYYY-MM-DD` and
//! `NAME.YYYY-MM-DD.N`) are considered; `keep_days = 0` deletes nothing.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

/// Today's date; injectable so tests can move across midnight.
pub(crate) type Clock = Box<dyn Fn() -> NaiveDate + Send>;

/// The system clock in UTC.
pub(crate) fn utc_today() -> NaiveDate {
    Utc::now().date_naive()
}

/// How many `.N` suffixes to try before giving up on a rotation name.
const MAX_SUFFIX: u32 = 1000;

/// A `Write` that appends to `dir/name` and renames it daily. Meant to sit behind a
/// `tracing_appender::non_blocking` worker (one writer thread), which flushes after each batch.
pub(crate) struct DailyFile {
    path: PathBuf,
    file: BufWriter<File>,
    day: NaiveDate,
    today: Clock,
    keep_days: u32,
}

impl DailyFile {
    /// Opens (creating) `dir/name`, first rotating a leftover file from an earlier day, and
    /// deletes rotated files more than `keep_days` old (none when it is 0).
    pub(crate) fn open(
        dir: &Path,
        name: &str,
        today: Clock,
        keep_days: u32,
    ) -> io::Result<DailyFile> {
        let path = dir.join(name);
        let now = today();
        if let Ok(meta) = fs::metadata(&path)
            && meta.len() > 0
            && let Ok(modified) = meta.modified()
        {
            let written_on = DateTime::<Utc>::from(modified).date_naive();
            if written_on < now {
                rename_aside(&path, written_on)?;
            }
        }
        let file = open_append(&path)?;
        prune_rotated(dir, name, now, keep_days);
        Ok(DailyFile {
            path,
            file: BufWriter::new(file),
            day: now,
            today,
            keep_days,
        })
    }

    fn roll_if_new_day(&mut self) -> io::Result<()> {
        let now = (self.today)();
        if now == self.day {
            return Ok(());
        }
        self.file.flush()?;
        let day = std::mem::replace(&mut self.day, now);
        if still_ours(&self.path, self.file.get_ref()) {
            // Keep writing to the old file if the rename fails (full disk, permissions): losing
            // the rotation is better than losing lines. The next day tries again.
            if rename_aside(&self.path, day).is_err() {
                return Ok(());
            }
        }
        self.file = BufWriter::new(open_append(&self.path)?);
        if let (Some(dir), Some(name)) = (
            self.path.parent(),
            self.path.file_name().and_then(|n| n.to_str()),
        ) {
            prune_rotated(dir, name, now, self.keep_days);
        }
        Ok(())
    }
}

/// Deletes `dir/NAME.YYYY-MM-DD[.N]` files whose day is more than `keep_days` before `today`
/// (none when `keep_days` is 0); returns the names deleted. Files that vanish meanwhile
/// (another process pruning) and files that cannot be deleted are skipped: pruning never stops
/// the logging.
pub(crate) fn prune_rotated(
    dir: &Path,
    name: &str,
    today: NaiveDate,
    keep_days: u32,
) -> Vec<String> {
    let mut removed = Vec::new();
    if keep_days == 0 {
        return removed;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return removed;
    };
    let prefix = format!("{name}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rotated) = file_name.to_str() else {
            continue;
        };
        let Some(day) = rotated.strip_prefix(&prefix).and_then(rotated_day) else {
            continue;
        };
        let old = today.signed_duration_since(day).num_days() > i64::from(keep_days);
        if old
            && entry.file_type().is_ok_and(|t| t.is_file())
            && fs::remove_file(entry.path()).is_ok()
        {
            removed.push(rotated.to_owned());
        }
    }
    removed
}

/// The day of a rotation suffix `YYYY-MM-DD` or `YYYY-MM-DD.N`; `None` for anything else.
fn rotated_day(suffix: &str) -> Option<NaiveDate> {
    let date = suffix.get(..10)?;
    let rest = suffix.get(10..)?;
    let counter_ok = rest.is_empty()
        || rest
            .strip_prefix('.')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if !counter_ok || date.as_bytes().get(4) != Some(&b'-') || date.as_bytes().get(7) != Some(&b'-')
    {
        return None;
    }
    NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.roll_if_new_day()?;
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        // Logs hold request metadata: readable by the owner and its group, not by everyone.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o640);
    }
    options.open(path)
}

/// Renames `path` to `path.DAY` (or `path.DAY.N` if taken).
fn rename_aside(path: &Path, day: NaiveDate) -> io::Result<PathBuf> {
    let base = format!("{}.{}", path.display(), day.format("%Y-%m-%d"));
    let mut target = PathBuf::from(&base);
    let mut n = 0;
    while target.exists() {
        n += 1;
        if n > MAX_SUFFIX {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "no free rotation name",
            ));
        }
        target = PathBuf::from(format!("{base}.{n}"));
    }
    fs::rename(path, &target)?;
    Ok(target)
}

/// Whether the file at `path` is the one we hold open (no other process rotated it).
#[cfg(unix)]
fn still_ours(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(path), file.metadata()) {
        (Ok(on_disk), Ok(open)) => on_disk.dev() == open.dev() && on_disk.ino() == open.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_ours(path: &Path, _file: &File) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn fake_clock(start: &str) -> (Clock, Arc<Mutex<NaiveDate>>) {
        let current = Arc::new(Mutex::new(day(start)));
        let shared = Arc::clone(&current);
        (Box::new(move || *shared.lock().unwrap()), current)
    }

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap()
    }

    #[test]
    fn rotates_on_the_first_write_of_a_new_day_and_keeps_the_live_name() {
        let dir = tempfile::tempdir().unwrap();
        let (clock, current) = fake_clock("2030-01-01");
        let mut w = DailyFile::open(dir.path(), "app.log", clock, 0).unwrap();
        w.write_all(b"day one\n").unwrap();
        w.flush().unwrap();
        *current.lock().unwrap() = day("2030-01-02");
        w.write_all(b"day two\n").unwrap();
        w.flush().unwrap();

        assert_eq!(read(&dir.path().join("app.log.2030-01-01")), "day one\n");
        assert_eq!(read(&dir.path().join("app.log")), "day two\n");
    }

    #[test]
    fn an_existing_rotation_name_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("app.log.2030-01-01"), "older\n").unwrap();
        let (clock, current) = fake_clock("2030-01-01");
        let mut w = DailyFile::open(dir.path(), "app.log", clock, 0).unwrap();
        w.write_all(b"newer\n").unwrap();
        *current.lock().unwrap() = day("2030-01-02");
        w.write_all(b"today\n").unwrap();
        w.flush().unwrap();

        assert_eq!(read(&dir.path().join("app.log.2030-01-01")), "older\n");
        assert_eq!(read(&dir.path().join("app.log.2030-01-01.1")), "newer\n");
        assert_eq!(read(&dir.path().join("app.log")), "today\n");
    }

    #[test]
    fn a_leftover_file_from_an_earlier_day_is_rotated_at_start() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("errors.log"), "from the past\n").unwrap();
        // The file's mtime is today in real time; a clock far in the future makes it "old".
        let (clock, _) = fake_clock("2999-12-31");
        let mut w = DailyFile::open(dir.path(), "errors.log", clock, 0).unwrap();
        w.write_all(b"fresh\n").unwrap();
        w.flush().unwrap();

        let rotated = format!("errors.log.{}", utc_today().format("%Y-%m-%d"));
        assert_eq!(read(&dir.path().join(rotated)), "from the past\n");
        assert_eq!(read(&dir.path().join("errors.log")), "fresh\n");
    }

    #[test]
    fn appends_to_todays_file_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        for line in ["one\n", "two\n"] {
            let mut w = DailyFile::open(dir.path(), "app.log", Box::new(utc_today), 0).unwrap();
            w.write_all(line.as_bytes()).unwrap();
            w.flush().unwrap();
        }
        assert_eq!(read(&dir.path().join("app.log")), "one\ntwo\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn another_process_rotating_first_is_not_rotated_twice() {
        let dir = tempfile::tempdir().unwrap();
        let (clock_a, current_a) = fake_clock("2030-01-01");
        let (clock_b, current_b) = fake_clock("2030-01-01");
        let mut a = DailyFile::open(dir.path(), "app.log", clock_a, 0).unwrap();
        let mut b = DailyFile::open(dir.path(), "app.log", clock_b, 0).unwrap();
        a.write_all(b"a1\n").unwrap();
        a.flush().unwrap();
        b.write_all(b"b1\n").unwrap();
        b.flush().unwrap();

        *current_a.lock().unwrap() = day("2030-01-02");
        *current_b.lock().unwrap() = day("2030-01-02");
        a.write_all(b"a2\n").unwrap();
        a.flush().unwrap();
        b.write_all(b"b2\n").unwrap();
        b.flush().unwrap();

        assert_eq!(read(&dir.path().join("app.log.2030-01-01")), "a1\nb1\n");
        assert_eq!(read(&dir.path().join("app.log")), "a2\nb2\n");
        assert!(!dir.path().join("app.log.2030-01-01.1").exists());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_not_world_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let _w = DailyFile::open(dir.path(), "app.log", Box::new(utc_today), 0).unwrap();
        let mode = fs::metadata(dir.path().join("app.log"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o007, 0, "mode {mode:o}");
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn rotated_files_older_than_keep_days_are_deleted_at_start() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "app.log.2030-01-31",    // 31 days before 2030-03-03: kept at 31
            "app.log.2030-01-30",    // 32 days: deleted
            "app.log.2030-01-30.1",  // the same day, a second file: deleted
            "app.log.2029-12-01",    // deleted
            "app.log.2030-03-02",    // yesterday: kept
            "errors.log.2029-01-01", // another writer's file: its own writer prunes it
            "app.log.2029-01-01.gz", // not a name this module writes
            "app.log.old",
            "notes.txt",
        ] {
            fs::write(dir.path().join(name), "x\n").unwrap();
        }
        let (clock, _) = fake_clock("2030-03-03");
        let _w = DailyFile::open(dir.path(), "app.log", clock, 31).unwrap();
        assert_eq!(
            names(dir.path()),
            vec![
                "app.log",
                "app.log.2029-01-01.gz",
                "app.log.2030-01-31",
                "app.log.2030-03-02",
                "app.log.old",
                "errors.log.2029-01-01",
                "notes.txt",
            ]
        );
    }

    #[test]
    fn each_rotation_deletes_what_has_become_too_old() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("app.log.2030-01-01"), "old\n").unwrap();
        let (clock, current) = fake_clock("2030-01-03");
        let mut w = DailyFile::open(dir.path(), "app.log", clock, 2).unwrap();
        assert!(
            dir.path().join("app.log.2030-01-01").exists(),
            "two days old is kept"
        );
        w.write_all(b"day three\n").unwrap();
        *current.lock().unwrap() = day("2030-01-04");
        w.write_all(b"day four\n").unwrap();
        w.flush().unwrap();
        assert_eq!(
            names(dir.path()),
            vec!["app.log", "app.log.2030-01-03"],
            "three days old is deleted on the next rotation"
        );
    }

    #[test]
    fn keep_days_zero_deletes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("app.log.2000-01-01"), "x\n").unwrap();
        assert!(prune_rotated(dir.path(), "app.log", day("2030-01-01"), 0).is_empty());
        assert!(dir.path().join("app.log.2000-01-01").exists());
        assert_eq!(
            prune_rotated(dir.path(), "app.log", day("2030-01-01"), 1),
            vec!["app.log.2000-01-01"]
        );
    }
}
