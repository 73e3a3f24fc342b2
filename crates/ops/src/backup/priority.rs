//! The backup's scheduling priority: it gives way to the site for the disk and the CPU.

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
///   that wakes up while both cores are busy waits for its turn. A `SCHED_IDLE` thread gives
///   way to any other thread that wants the CPU (the effect on lead submissions during a backup
///   is measured in docs/benchmarks.md, "Backup").
///   It still gets a small share on a CPU that is busy all the time, so a backup on a saturated
///   machine is slow but ends.
///
/// Nothing happens where the commands or `/proc/thread-self` are missing (a debug line says so).
pub(crate) fn lower() {
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
