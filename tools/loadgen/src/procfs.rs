//! Memory of the server process from `/proc/<pid>/status` (Linux).

use std::path::PathBuf;

/// Resident memory of a process, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// `VmRSS`: resident set size now.
    pub rss: u64,
    /// `VmHWM`: the peak resident set size since the process started.
    pub peak_rss: u64,
}

/// Why the memory figures could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProcError {
    /// The status file could not be read (the process has exited, or this is not Linux).
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A field is missing or not `<number> kB`.
    #[error("/proc status has no usable {field} line")]
    Field {
        /// `VmRSS` or `VmHWM`.
        field: &'static str,
    },
}

/// Reads `VmRSS` and `VmHWM` of process `pid`.
pub fn memory(pid: u32) -> Result<Memory, ProcError> {
    let path = PathBuf::from(format!("/proc/{pid}/status"));
    let text = std::fs::read_to_string(&path).map_err(|source| ProcError::Read { path, source })?;
    parse_status(&text)
}

/// Parses the text of a `/proc/<pid>/status` file.
///
/// ```
/// let m = wetech_loadgen::procfs::parse_status("VmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\n").unwrap();
/// assert_eq!((m.rss, m.peak_rss), (1024 * 1024, 2048 * 1024));
/// ```
pub fn parse_status(text: &str) -> Result<Memory, ProcError> {
    Ok(Memory {
        rss: field_kib(text, "VmRSS")? * 1024,
        peak_rss: field_kib(text, "VmHWM")? * 1024,
    })
}

fn field_kib(text: &str, field: &'static str) -> Result<u64, ProcError> {
    text.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            if name != field {
                return None;
            }
            let mut parts = value.split_whitespace();
            let number = parts.next()?.parse::<u64>().ok()?;
            let unit_ok = parts.next() == Some("kB") && parts.next().is_none();
            (unit_ok && number < u64::MAX / 1024).then_some(number)
        })
        .ok_or(ProcError::Field { field })
}

/// Bytes as MiB with one decimal.
#[must_use]
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = "Name:\tweb\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t  812345 kB\n\
        VmSize:\t  800000 kB\nVmLck:\t       0 kB\nVmHWM:\t   23456 kB\nVmRSS:\t   21000 kB\n\
        RssAnon:\t   15000 kB\nThreads:\t8\n";

    #[test]
    fn reads_peak_and_current_rss_not_virtual_size() {
        let m = parse_status(REAL).unwrap();
        assert_eq!(m.peak_rss, 23_456 * 1024);
        assert_eq!(m.rss, 21_000 * 1024);
        assert!((mib(m.peak_rss) - 22.906).abs() < 0.001);
    }

    #[test]
    fn refuses_missing_or_malformed_fields() {
        assert!(matches!(
            parse_status("VmRSS:\t 10 kB\n"),
            Err(ProcError::Field { field: "VmHWM" })
        ));
        for bad in [
            "VmHWM:\t ten kB\nVmRSS:\t 1 kB\n",
            "VmHWM:\t 10 MB\nVmRSS:\t 1 kB\n",
            "VmHWM:\t 10\nVmRSS:\t 1 kB\n",
            "VmHWM:\t -10 kB\nVmRSS:\t 1 kB\n",
            "VmHWM:\t 99999999999999999999999 kB\nVmRSS:\t 1 kB\n",
            "VmHWM 10 kB\nVmRSS:\t 1 kB\n",
            "",
        ] {
            assert!(parse_status(bad).is_err(), "accepted {bad:?}");
        }
        // A field whose name only starts like the wanted one is not it.
        assert!(parse_status("VmHWMx:\t 10 kB\nVmRSS:\t 1 kB\n").is_err());
    }

    #[test]
    fn reads_this_process() {
        let m = memory(std::process::id()).unwrap();
        assert!(m.peak_rss >= m.rss && m.rss > 0);
        assert!(matches!(memory(u32::MAX), Err(ProcError::Read { .. })));
    }
}
