//! Writing a growing backup file out to disk from a thread of its own: at full speed while
//! nothing else syncs to that disk, gently while something does.
//!
//! A backup written as fast as the disk takes it would double or triple the latency of the
//! site's commits when both share a disk: every commit of `web` waits for an fsync of its log,
//! and each fsync ends with a cache flush of the whole device, which has to wait for whatever
//! the backup wrote since the previous one. A backup written slowly all the time would be
//! slow where nothing needs it to be (a nightly run on a quiet site, a second disk). So the
//! copy is written out by this thread, which watches the device's `stat` line
//! (`/sys/dev/block/MAJ:MIN/stat`): its count of completed cache flushes (the backup makes none
//! of its own until its final fsync) and its busy time. While other processes flush (commits),
//! it hands the kernel [`GENTLE_CHUNK`] at a time at no more than [`GENTLE_BYTES_PER_SEC`] and
//! keeps the copy at most [`GENTLE_AHEAD`] ahead of it. Once nobody has flushed for
//! [`QUIET_FOR`] and the device was busy for less than half of that time (a stalled device
//! completes no flush but is busy throughout), it hands over [`FAST_CHUNK`] at a time as fast
//! as the disk takes them, and the copy may run ahead by up to [`fast_allowance`] (a sixteenth
//! of the available memory, at most [`FAST_AHEAD_MAX`]), so the copying and the checks go on
//! while the disk writes; the first flush by anybody else makes it gentle again. A backup
//! starts gently. Where the device cannot be read (not Linux, kernels before 5.5, a file system
//! without a block device of its own), the backup stays gentle.
//!
//! The kernel is asked to start writeback with `POSIX_FADV_DONTNEED` on the new range (Linux
//! starts writing its dirty pages without waiting and drops only pages already clean; the
//! standard library and `nix` have no `sync_file_range`, and unsafe code is not allowed here).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the writer hands over at a time while the disk is quiet.
pub(crate) const FAST_CHUNK: u64 = 8 << 20;
/// What the writer hands over at a time while others sync to the disk.
pub(crate) const GENTLE_CHUNK: u64 = 1 << 20;
/// The writer's pace while others sync to the disk.
pub(crate) const GENTLE_BYTES_PER_SEC: u64 = 48 << 20;
/// How far the copy may run ahead of the writer while others sync to the disk.
pub(crate) const GENTLE_AHEAD: u64 = 16 << 20;
/// The most the copy may run ahead of the writer while the disk is quiet: written out at the
/// gentle pace if the site starts committing, within the kernel's 30 s dirty expiry.
pub(crate) const FAST_AHEAD_MAX: u64 = 1 << 30;
/// How long the device must have seen no flush from others before the writer goes fast.
pub(crate) const QUIET_FOR: Duration = Duration::from_millis(250);

/// How the writer is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pace {
    Gentle,
    Fast,
}

#[derive(Debug)]
struct State {
    /// How long the file is (as the copy last said).
    len: u64,
    /// How much of it the writer has handed to the kernel.
    submitted: u64,
    /// The copy is complete: the writer hands over the rest and stops.
    finished: bool,
    pace: Pace,
    /// Bytes handed over at each pace (for the log and the benchmark).
    fast_bytes: u64,
    gentle_bytes: u64,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the writer did, for the log.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Report {
    pub(crate) fast_bytes: u64,
    pub(crate) gentle_bytes: u64,
}

/// The writer of one growing file.
#[derive(Debug)]
pub(crate) struct Writeback {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    fast_ahead: u64,
}

impl Writeback {
    /// Starts writing out `path` (which the caller is about to fill) from a thread of its own.
    /// `None` when the file cannot be opened or the thread cannot start: the file is then
    /// written out by the caller's final fsync alone.
    pub(crate) fn start(path: &Path) -> Option<Self> {
        let file = File::open(path).ok()?;
        let activity = DeviceActivity::of(&file);
        Self::start_with(file, activity, fast_allowance())
    }

    fn start_with(file: File, activity: DeviceActivity, fast_ahead: u64) -> Option<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                len: 0,
                submitted: 0,
                finished: false,
                pace: Pace::Gentle,
                fast_bytes: 0,
                gentle_bytes: 0,
            }),
            changed: Condvar::new(),
        });
        let thread = std::thread::Builder::new()
            .name("backup-writeback".into())
            .spawn({
                let shared = Arc::clone(&shared);
                move || run(&shared, &file, activity)
            })
            .ok()?;
        Some(Self {
            shared,
            thread: Some(thread),
            fast_ahead,
        })
    }

    /// The copy has written `len` bytes so far: the writer may go on; waits while the copy is
    /// further ahead of the writer than the pace allows.
    pub(crate) fn grew(&self, len: u64) {
        let mut state = self.shared.lock();
        state.len = state.len.max(len);
        self.shared.changed.notify_all();
        loop {
            let ahead = match state.pace {
                Pace::Gentle => GENTLE_AHEAD,
                Pace::Fast => self.fast_ahead,
            };
            if state.len.saturating_sub(state.submitted) <= ahead {
                return;
            }
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The copy is complete at `len` bytes: waits until the writer has handed all of it to the
    /// kernel (at its pace), so that the final fsync has little left to write.
    pub(crate) fn finish(mut self, len: u64) -> Report {
        {
            let mut state = self.shared.lock();
            state.len = state.len.max(len);
            state.finished = true;
            self.shared.changed.notify_all();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let state = self.shared.lock();
        Report {
            fast_bytes: state.fast_bytes,
            gentle_bytes: state.gentle_bytes,
        }
    }
}

impl Drop for Writeback {
    /// A copy that failed: the writer stops at once.
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            {
                let mut state = self.shared.lock();
                state.finished = true;
                state.len = state.submitted;
                self.shared.changed.notify_all();
            }
            let _ = thread.join();
        }
    }
}

/// The writer thread.
fn run(shared: &Shared, file: &File, mut activity: DeviceActivity) {
    loop {
        let (from, len) = {
            let mut state = shared.lock();
            while state.submitted >= state.len && !state.finished {
                state = shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if state.submitted >= state.len {
                return;
            }
            (state.submitted, state.len)
        };
        let pace = activity.pace();
        let chunk = match pace {
            Pace::Gentle => GENTLE_CHUNK,
            Pace::Fast => FAST_CHUNK,
        };
        let to = len.min(from.saturating_add(chunk));
        let began = Instant::now();
        start_writeback(file, from, to - from);
        {
            let mut state = shared.lock();
            state.submitted = to;
            state.pace = pace;
            match pace {
                Pace::Gentle => state.gentle_bytes += to - from,
                Pace::Fast => state.fast_bytes += to - from,
            }
            shared.changed.notify_all();
        }
        if pace == Pace::Gentle {
            let budget = Duration::from_secs_f64((to - from) as f64 / GENTLE_BYTES_PER_SEC as f64);
            if let Some(rest) = budget.checked_sub(began.elapsed()) {
                std::thread::sleep(rest);
            }
        }
    }
}

/// How far the copy may run ahead of the writer while the disk is quiet: a sixteenth of the
/// memory available (below the kernel's default threshold for background writeback, a tenth),
/// at least [`GENTLE_AHEAD`] and at most [`FAST_AHEAD_MAX`].
fn fast_allowance() -> u64 {
    let available = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("MemAvailable:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
        })
        .map_or(0, |kib| kib.saturating_mul(1024));
    (available / 16).clamp(GENTLE_AHEAD, FAST_AHEAD_MAX)
}

/// What a block device's `stat` file says about others using it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reading {
    /// Cache flushes completed (16th field, Linux 5.5+).
    flushes: u64,
    /// Milliseconds during which the device had requests in flight (10th field).
    busy_ms: u64,
}

/// Watches the block device a file lives on, and decides the pace.
struct DeviceActivity {
    read: Box<dyn FnMut() -> Option<Reading> + Send>,
    /// The flush count at the last reading.
    last_flushes: Option<u64>,
    /// When the current quiet spell began (the writer started, somebody flushed, or the device
    /// was found busy), and the device's busy time then.
    quiet_since: Instant,
    busy_ms_then: u64,
    pace: Pace,
}

impl std::fmt::Debug for DeviceActivity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceActivity")
            .field("last_flushes", &self.last_flushes)
            .field("quiet_since", &self.quiet_since)
            .field("pace", &self.pace)
            .finish_non_exhaustive()
    }
}

impl DeviceActivity {
    fn of(file: &File) -> Self {
        let stat = stat_path(file);
        Self::reading(move || stat.as_deref().and_then(read_stat))
    }

    fn reading(mut read: impl FnMut() -> Option<Reading> + Send + 'static) -> Self {
        let first = read();
        Self {
            read: Box::new(read),
            last_flushes: first.map(|r| r.flushes),
            quiet_since: Instant::now(),
            busy_ms_then: first.map_or(0, |r| r.busy_ms),
            pace: Pace::Gentle,
        }
    }

    /// Reads the device now and decides.
    fn pace(&mut self) -> Pace {
        let reading = (self.read)();
        self.pace_at(reading, Instant::now())
    }

    /// - Unknown device: gentle.
    /// - Somebody flushed since the last reading: gentle, and a new quiet spell begins.
    /// - Fast: stays fast until somebody flushes (the backup's own writes keep the device busy).
    /// - Gentle: turns fast once the quiet spell has lasted [`QUIET_FOR`] with the device busy
    ///   less than half of it (the gentle writes alone keep it far less busy). A device that
    ///   stalls completes no flush but is busy all the time: the spell begins again.
    fn pace_at(&mut self, reading: Option<Reading>, now: Instant) -> Pace {
        let Some(Reading { flushes, busy_ms }) = reading else {
            self.last_flushes = None;
            self.pace = Pace::Gentle;
            return self.pace;
        };
        let flushed = self.last_flushes.is_some_and(|last| last != flushes);
        self.last_flushes = Some(flushes);
        if flushed {
            self.pace = Pace::Gentle;
            self.begin_quiet_spell(now, busy_ms);
        } else if self.pace == Pace::Gentle {
            let spell = now.saturating_duration_since(self.quiet_since);
            if spell >= QUIET_FOR {
                let busy = busy_ms.saturating_sub(self.busy_ms_then);
                if u128::from(busy) * 2 < spell.as_millis() {
                    self.pace = Pace::Fast;
                } else {
                    self.begin_quiet_spell(now, busy_ms);
                }
            }
        }
        self.pace
    }

    fn begin_quiet_spell(&mut self, now: Instant, busy_ms: u64) {
        self.quiet_since = now;
        self.busy_ms_then = busy_ms;
    }
}

/// `/sys/dev/block/MAJ:MIN/stat` of the device holding `file`.
#[cfg(target_os = "linux")]
fn stat_path(file: &File) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt as _;
    let dev = file.metadata().ok()?.dev();
    let (major, minor) = (nix::sys::stat::major(dev), nix::sys::stat::minor(dev));
    Some(PathBuf::from(format!(
        "/sys/dev/block/{major}:{minor}/stat"
    )))
}

#[cfg(not(target_os = "linux"))]
fn stat_path(_file: &File) -> Option<PathBuf> {
    None
}

fn read_stat(path: &Path) -> Option<Reading> {
    parse_stat(&std::fs::read_to_string(path).ok()?)
}

/// A block device's `stat` line: the 10th field (busy milliseconds) and the 16th (flushes
/// completed, Linux 5.5+); `None` when either is missing.
fn parse_stat(stat: &str) -> Option<Reading> {
    let fields: Vec<&str> = stat.split_ascii_whitespace().collect();
    Some(Reading {
        flushes: fields.get(15)?.parse().ok()?,
        busy_ms: fields.get(9)?.parse().ok()?,
    })
}

/// `POSIX_FADV_DONTNEED` on a range: Linux starts writeback of its dirty pages (without waiting
/// for it to end) and drops only the pages that are already clean, so the freshly written ones
/// stay cached for the checks that follow.
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn start_writeback(file: &File, offset: u64, count: u64) {
    use nix::fcntl::{PosixFadviseAdvice, posix_fadvise};
    if let (Ok(offset), Ok(count)) = (i64::try_from(offset), i64::try_from(count)) {
        let _ = posix_fadvise(file, offset, count, PosixFadviseAdvice::POSIX_FADV_DONTNEED);
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn start_writeback(_file: &File, _offset: u64, _count: u64) {}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    fn at(flushes: u64, busy_ms: u64) -> Option<Reading> {
        Some(Reading { flushes, busy_ms })
    }

    #[test]
    fn the_stat_line_gives_busy_time_and_flushes() {
        let line = " 2247374    38825 98015194 60143891  4766622   523503 1660815576 12136774        0  1757428 72849601   305543       86 1466818672   438755  1583636   130179\n";
        assert_eq!(parse_stat(line), at(1_583_636, 1_757_428));
        // Kernels before 5.5 print 11 or 15 fields: unknown, so the backup stays gentle.
        assert_eq!(parse_stat("1 2 3 4 5 6 7 8 9 10 11"), None);
        assert_eq!(parse_stat("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"), None);
        assert_eq!(parse_stat(""), None);
        assert_eq!(parse_stat("a b c d e f g h i j k l m n o p q"), None);
        assert_eq!(
            parse_stat("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -1 17"),
            None
        );
    }

    #[test]
    fn gentle_at_first_fast_after_a_quiet_spell_gentle_again_after_a_flush() {
        let mut device = DeviceActivity::reading(|| at(7, 100));
        let t0 = device.quiet_since;
        let ms = |n: u64| Duration::from_millis(n);
        assert_eq!(device.pace_at(at(7, 100), t0), Pace::Gentle);
        assert_eq!(device.pace_at(at(7, 110), t0 + QUIET_FOR / 2), Pace::Gentle);
        assert_eq!(device.pace_at(at(7, 120), t0 + QUIET_FOR), Pace::Fast);
        // Fast: its own writes keep the device busy; only a flush brings it back.
        assert_eq!(device.pace_at(at(7, 1_000), t0 + ms(1_000)), Pace::Fast);
        let t1 = t0 + ms(2_000);
        assert_eq!(device.pace_at(at(8, 2_000), t1), Pace::Gentle);
        assert_eq!(
            device.pace_at(at(8, 2_010), t1 + QUIET_FOR - ms(1)),
            Pace::Gentle
        );
        assert_eq!(device.pace_at(at(8, 2_020), t1 + QUIET_FOR), Pace::Fast);
        // Every flush begins the quiet spell again.
        let t2 = t1 + ms(2_000);
        assert_eq!(device.pace_at(at(9, 4_000), t2), Pace::Gentle);
        assert_eq!(
            device.pace_at(at(10, 4_000), t2 + QUIET_FOR / 2),
            Pace::Gentle
        );
        assert_eq!(device.pace_at(at(10, 4_000), t2 + QUIET_FOR), Pace::Gentle);
        assert_eq!(
            device.pace_at(at(10, 4_000), t2 + QUIET_FOR * 3 / 2),
            Pace::Fast
        );
    }

    #[test]
    fn a_stalled_device_completes_no_flush_but_keeps_the_writer_gentle() {
        let mut device = DeviceActivity::reading(|| at(5, 0));
        let t0 = device.quiet_since;
        let spell = u64::try_from(QUIET_FOR.as_millis()).unwrap_or(250);
        // Busy all the spell long (a commit's fsync stuck in the device): gentle, and again.
        assert_eq!(device.pace_at(at(5, spell), t0 + QUIET_FOR), Pace::Gentle);
        assert_eq!(
            device.pace_at(at(5, spell * 2), t0 + QUIET_FOR * 2),
            Pace::Gentle
        );
        // Busy a little more than half of it: still gentle.
        assert_eq!(
            device.pace_at(at(5, spell * 2 + spell / 2 + 5), t0 + QUIET_FOR * 3),
            Pace::Gentle
        );
        // The stall is over: busy a tenth of the next spell.
        let busy = spell * 2 + spell / 2 + 5 + spell / 10;
        assert_eq!(device.pace_at(at(5, busy), t0 + QUIET_FOR * 4), Pace::Fast);
    }

    #[test]
    fn an_unknown_device_keeps_the_writer_gentle() {
        let mut device = DeviceActivity::reading(|| None);
        let later = device.quiet_since + QUIET_FOR * 10;
        assert_eq!(device.pace_at(None, later), Pace::Gentle);
        assert_eq!(device.pace(), Pace::Gentle);
    }

    #[test]
    fn this_machines_devices_report_activity_or_none() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let file = File::create(dir.path().join("f")).unwrap_or_else(|e| panic!("create: {e}"));
        // A real file's device either has a readable stat line or none (tmpfs, overlay): never
        // a panic or an error.
        let mut device = DeviceActivity::of(&file);
        let _ = device.pace();
    }

    /// Writes `steps` MiB into a new file through a writer, checking after each step that the
    /// copy is not further ahead than the pace allows; returns the report and the file length.
    fn write_through(device: DeviceActivity, steps: u64) -> (Report, u64, Duration) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir.path().join("copy");
        let mut out = File::create(&path).unwrap_or_else(|e| panic!("create: {e}"));
        let reader = File::open(&path).unwrap_or_else(|e| panic!("open: {e}"));
        let began = Instant::now();
        let writeback = Writeback::start_with(reader, device, FAST_AHEAD_MAX)
            .unwrap_or_else(|| panic!("the writer thread did not start"));
        let chunk = vec![0x5a_u8; 1 << 20];
        let mut len = 0_u64;
        for _ in 0..steps {
            out.write_all(&chunk)
                .unwrap_or_else(|e| panic!("write: {e}"));
            len += 1 << 20;
            writeback.grew(len);
            let state = writeback.shared.lock();
            let ahead = match state.pace {
                Pace::Gentle => GENTLE_AHEAD,
                Pace::Fast => FAST_AHEAD_MAX,
            };
            assert!(state.len - state.submitted <= ahead, "{state:?}");
        }
        let report = writeback.finish(len);
        (report, len, began.elapsed())
    }

    #[test]
    fn while_others_flush_the_whole_file_goes_out_gently_at_the_gentle_pace() {
        let count = AtomicU64::new(0);
        // The count grows at every reading: somebody commits all the time.
        let device = DeviceActivity::reading(move || at(count.fetch_add(1, Ordering::Relaxed), 0));
        let (report, len, took) = write_through(device, 24);
        assert_eq!(report.gentle_bytes, len);
        assert_eq!(report.fast_bytes, 0);
        let least = Duration::from_secs_f64(len as f64 / GENTLE_BYTES_PER_SEC as f64);
        assert!(
            took >= least.mul_f64(0.95),
            "{len} bytes in {took:?}, at least {least:?}"
        );
    }

    #[test]
    fn on_a_quiet_disk_the_file_goes_out_fast_after_the_first_quiet_spell() {
        let mut device = DeviceActivity::reading(|| at(42, 0));
        device.quiet_since = Instant::now()
            .checked_sub(QUIET_FOR)
            .unwrap_or(device.quiet_since);
        let (report, len, _) = write_through(device, 24);
        assert_eq!(report.fast_bytes + report.gentle_bytes, len);
        assert!(report.fast_bytes >= len / 2, "{report:?}");
    }

    #[test]
    fn a_failed_copy_stops_the_writer() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let path = dir.path().join("copy");
        std::fs::write(&path, vec![1_u8; 4 << 20]).unwrap_or_else(|e| panic!("write: {e}"));
        let reader = File::open(&path).unwrap_or_else(|e| panic!("open: {e}"));
        let writeback = Writeback::start_with(reader, DeviceActivity::reading(|| None), 0)
            .unwrap_or_else(|| panic!("the writer thread did not start"));
        writeback.grew(1 << 20);
        let began = Instant::now();
        // Dropped without `finish`: the 3 MiB not yet handed over are left to nobody.
        drop(writeback);
        assert!(began.elapsed() < Duration::from_secs(5));
    }
}
