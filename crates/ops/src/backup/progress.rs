//! Progress of long steps: what is being done, and a watcher that reports it while work runs.

use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A step of a long operation, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Taking the snapshot (SQLite online backup / `pg_dump`).
    Dumping,
    /// Checking the written file.
    Verifying,
    /// Computing the file's SHA-256.
    Checksumming,
    /// Keeping the current database before a restore.
    PreRestoreBackup,
    /// Writing the restored database.
    Restoring,
    /// Sending a backup to the remote.
    Uploading,
    /// Reading an uploaded backup back to check it.
    CheckingUpload,
    /// Fetching a backup from the remote.
    Downloading,
}

impl Stage {
    /// A short lower-case label, e.g. `"verifying"`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Stage::Dumping => "writing backup",
            Stage::Verifying => "verifying",
            Stage::Checksumming => "computing checksum",
            Stage::PreRestoreBackup => "backing up the current database",
            Stage::Restoring => "restoring",
            Stage::Uploading => "uploading",
            Stage::CheckingUpload => "checking the upload",
            Stage::Downloading => "downloading",
        }
    }
}

/// A progress report, sent about twice a second during a long step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// What is being done.
    pub stage: Stage,
    /// Bytes written (or read) so far in this step, when known.
    pub bytes: Option<u64>,
    /// Time since the whole operation started.
    pub elapsed: Duration,
}

/// A progress callback that ignores every report.
pub fn no_progress(_: Progress) {}

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
