//! Printing: JSON documents and human-readable sizes and durations.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use wetech_ops::backup::Progress;

use crate::Failure;

/// Prints `value` as one pretty JSON document on stdout.
pub(crate) fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)?;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}") {
        // The reader went away (`ops … | head`): nothing more to say.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Writes one line to `out` and flushes it, ignoring a reader that went away (`BrokenPipe`) and
/// any other write error: what a command prints never changes its exit status, and Rust
/// ignores SIGPIPE, so `println!` would panic instead.
pub(crate) fn write_line(out: &mut dyn std::io::Write, args: std::fmt::Arguments<'_>) {
    let _ignored = writeln!(out, "{args}").and_then(|()| out.flush());
}

/// `1536` → `1.5 KiB`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `1234 ms` → `1.2 s`; below a second in milliseconds.
pub(crate) fn duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A progress display for long operations: on a terminal (stderr), once the operation has run
/// for a second, one line per second such as `… writing backup: 412.0 MiB written (3 s)`.
pub(crate) struct ProgressLine {
    enabled: bool,
    last: Mutex<Option<Duration>>,
}

impl ProgressLine {
    pub(crate) fn for_stderr() -> ProgressLine {
        ProgressLine {
            enabled: std::io::stderr().is_terminal(),
            last: Mutex::new(None),
        }
    }

    pub(crate) fn report(&self, p: Progress) {
        if !self.enabled || p.elapsed < Duration::from_secs(1) {
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.is_some_and(|l| p.elapsed < l + Duration::from_secs(1)) {
            return;
        }
        *last = Some(p.elapsed);
        let amount = match p.bytes {
            Some(b) => format!(": {} so far", bytes(b)),
            None => String::new(),
        };
        errln!("… {}{amount} ({} s)", p.stage.label(), p.elapsed.as_secs());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(1 << 30), "1.0 GiB");
        assert_eq!(duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(duration(Duration::from_millis(1250)), "1.2 s");
    }
}
