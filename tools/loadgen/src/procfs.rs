//! Memory, threads and open file descriptors of the server process from `/proc/<pid>` (Linux).

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Resident memory of a process, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// `VmRSS`: resident set size now.
    pub rss: u64,
    /// `VmHWM`: the peak resident set size since the process started.
    pub peak_rss: u64,
    /// `RssAnon`: the anonymous part of `rss` (the heap, stacks), when the kernel says.
    pub rss_anon: Option<u64>,
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
    /// A field is missing or not `<number> kB` (`<number>` for `Threads`).
    #[error("/proc status has no usable {field} line")]
    Field {
        /// `VmRSS`, `VmHWM` or `Threads`.
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
        rss_anon: field_kib(text, "RssAnon").ok().map(|k| k * 1024),
    })
}

/// The number of threads of process `pid` (`Threads:` of `/proc/<pid>/status`).
pub fn threads(pid: u32) -> Result<u64, ProcError> {
    let path = PathBuf::from(format!("/proc/{pid}/status"));
    let text = std::fs::read_to_string(&path).map_err(|source| ProcError::Read { path, source })?;
    parse_threads(&text)
}

/// The `Threads:` field of a `/proc/<pid>/status` text.
///
/// ```
/// assert_eq!(wetech_loadgen::procfs::parse_threads("Name:\tweb\nThreads:\t12\n").unwrap(), 12);
/// ```
pub fn parse_threads(text: &str) -> Result<u64, ProcError> {
    text.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            (name == "Threads").then(|| value.trim().parse::<u64>().ok())?
        })
        .ok_or(ProcError::Field { field: "Threads" })
}

/// The number of open file descriptors of process `pid` (the entries of `/proc/<pid>/fd`).
pub fn open_fds(pid: u32) -> Result<u64, ProcError> {
    let path = PathBuf::from(format!("/proc/{pid}/fd"));
    let entries = std::fs::read_dir(&path).map_err(|source| ProcError::Read {
        path: path.clone(),
        source,
    })?;
    let mut n = 0;
    for entry in entries {
        entry.map_err(|source| ProcError::Read {
            path: path.clone(),
            source,
        })?;
        n += 1;
    }
    Ok(n)
}

/// The open file descriptors of process `pid` by what they are ([`fd_kind`] of each link's
/// target, sockets told apart by [`socket_kind`]), e.g. `{"tcp listening on :8000": 1,
/// "pipe": 2, "/srv/wetech.sqlite3": 8}`. A descriptor closed while it is read is left out.
pub fn open_fd_kinds(pid: u32) -> Result<BTreeMap<String, u64>, ProcError> {
    let path = PathBuf::from(format!("/proc/{pid}/fd"));
    let entries = std::fs::read_dir(&path).map_err(|source| ProcError::Read {
        path: path.clone(),
        source,
    })?;
    let targets: Vec<String> = entries
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .map(|t| t.to_string_lossy().into_owned())
        .collect();
    let read = |name: &str| std::fs::read_to_string(format!("/proc/{pid}/net/{name}")).ok();
    let mut tcp = BTreeMap::new();
    for name in ["tcp", "tcp6"] {
        tcp.extend(read(name).map(|t| parse_net_tcp(&t)).unwrap_or_default());
    }
    let unix = read("unix").map(|t| parse_net_unix(&t)).unwrap_or_default();
    let inode = |t: &str| {
        t.strip_prefix("socket:[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|n| n.parse::<u64>().ok())
    };
    // The process's own listening ports: a connection on one of them was accepted.
    let listening: Vec<u16> = targets
        .iter()
        .filter_map(|t| tcp.get(&inode(t)?))
        .filter(|s| s.state == "LISTEN")
        .map(|s| s.local_port)
        .collect();
    let mut kinds = BTreeMap::new();
    for target in &targets {
        let kind = match inode(target) {
            Some(n) => socket_kind(tcp.get(&n), unix.contains(&n), &listening),
            None => fd_kind(target),
        };
        *kinds.entry(kind).or_insert(0) += 1;
    }
    Ok(kinds)
}

/// A TCP socket as `/proc/net/tcp` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSocket {
    /// The local port.
    pub local_port: u16,
    /// The remote port (0 for a listener).
    pub remote_port: u16,
    /// The state's name (`LISTEN`, `ESTABLISHED`, `CLOSE_WAIT`, …).
    pub state: &'static str,
}

/// The TCP sockets of a `/proc/<pid>/net/tcp` (or `tcp6`) text by inode.
///
/// ```
/// let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4711 1 0 100 0 0 10 0\n";
/// let t = wetech_loadgen::procfs::parse_net_tcp(text);
/// assert_eq!(t[&4711].local_port, 8000);
/// assert_eq!(t[&4711].state, "LISTEN");
/// ```
#[must_use]
pub fn parse_net_tcp(text: &str) -> BTreeMap<u64, TcpSocket> {
    let port = |addr: &str| {
        addr.rsplit_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let inode = f.get(9)?.parse::<u64>().ok()?;
            Some((
                inode,
                TcpSocket {
                    local_port: port(f.get(1)?)?,
                    remote_port: port(f.get(2)?)?,
                    state: tcp_state(f.get(3)?),
                },
            ))
        })
        .collect()
}

fn tcp_state(hex: &str) -> &'static str {
    match hex {
        "01" => "ESTABLISHED",
        "02" => "SYN_SENT",
        "03" => "SYN_RECV",
        "04" => "FIN_WAIT1",
        "05" => "FIN_WAIT2",
        "06" => "TIME_WAIT",
        "07" => "CLOSE",
        "08" => "CLOSE_WAIT",
        "09" => "LAST_ACK",
        "0A" => "LISTEN",
        "0B" => "CLOSING",
        _ => "UNKNOWN",
    }
}

/// The inodes of a `/proc/<pid>/net/unix` text.
#[must_use]
pub fn parse_net_unix(text: &str) -> Vec<u64> {
    text.lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(6)?.parse().ok())
        .collect()
}

/// What a socket descriptor is: `tcp listening on :PORT`, `tcp STATE accepted on :PORT` (a
/// connection to one of the process's `listening` ports), `tcp STATE to :PORT` (one it made),
/// `unix socket`, or `socket` when it is in neither table.
///
/// ```
/// use wetech_loadgen::procfs::{TcpSocket, socket_kind};
/// let s = TcpSocket { local_port: 8000, remote_port: 51000, state: "ESTABLISHED" };
/// assert_eq!(socket_kind(Some(&s), false, &[8000]), "tcp ESTABLISHED accepted on :8000");
/// assert_eq!(socket_kind(None, true, &[]), "unix socket");
/// ```
#[must_use]
pub fn socket_kind(tcp: Option<&TcpSocket>, unix: bool, listening: &[u16]) -> String {
    match tcp {
        Some(s) if s.state == "LISTEN" => format!("tcp listening on :{}", s.local_port),
        Some(s) if listening.contains(&s.local_port) => {
            format!("tcp {} accepted on :{}", s.state, s.local_port)
        }
        Some(s) => format!("tcp {} to :{}", s.state, s.remote_port),
        None if unix => "unix socket".to_owned(),
        None => "socket".to_owned(),
    }
}

/// What a `/proc/<pid>/fd/<n>` link's target names: `socket` and `pipe` without their inode
/// numbers (so that they group), anything else (a file's path, `anon_inode:[eventpoll]`,
/// `/dev/null`) as it is.
///
/// ```
/// use wetech_loadgen::procfs::fd_kind;
/// assert_eq!(fd_kind("socket:[4711]"), "socket");
/// assert_eq!(fd_kind("/srv/wetech.sqlite3-wal"), "/srv/wetech.sqlite3-wal");
/// ```
#[must_use]
pub fn fd_kind(target: &str) -> String {
    for kind in ["socket", "pipe"] {
        if target
            .strip_prefix(kind)
            .is_some_and(|rest| rest.starts_with(":["))
        {
            return kind.to_owned();
        }
    }
    target.to_owned()
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
        assert_eq!(m.rss_anon, Some(15_000 * 1024));
        assert_eq!(
            parse_status("VmHWM:\t 2 kB\nVmRSS:\t 1 kB\n")
                .unwrap()
                .rss_anon,
            None
        );
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

    #[test]
    fn reads_the_thread_count() {
        assert_eq!(parse_threads(REAL).unwrap(), 8);
        for bad in [
            "",
            "Threads:\t\n",
            "Threads:\t-1\n",
            "Threads:\tmany\n",
            "Threadsx:\t3\n",
        ] {
            assert!(
                matches!(
                    parse_threads(bad),
                    Err(ProcError::Field { field: "Threads" })
                ),
                "accepted {bad:?}"
            );
        }
        assert!(threads(std::process::id()).unwrap() >= 1);
        assert!(matches!(threads(u32::MAX), Err(ProcError::Read { .. })));
    }

    #[test]
    fn counts_and_groups_open_descriptors() {
        let me = std::process::id();
        let before = open_fds(me).unwrap();
        let file = std::fs::File::open("/proc/self/status").unwrap();
        let held = open_fds(me).unwrap();
        assert!(held > before, "{before} -> {held}");
        let kinds = open_fd_kinds(me).unwrap();
        // Other test threads open and close descriptors meanwhile: compare loosely.
        assert!(kinds.values().sum::<u64>() > 0);
        drop(file);
        assert!(matches!(open_fds(u32::MAX), Err(ProcError::Read { .. })));
        assert!(matches!(
            open_fd_kinds(u32::MAX),
            Err(ProcError::Read { .. })
        ));
    }

    #[test]
    fn sockets_are_named_by_state_and_port() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
            0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 100 1 0\n\
            1: 0100007F:1F40 0100007F:C350 01 00000000:00000000 00:00000000 00000000 0 0 101 1 0\n\
            2: 0100007F:C351 0100007F:1538 08 00000000:00000000 00:00000000 00000000 0 0 102 1 0\n\
            3: garbage\n";
        let t = parse_net_tcp(tcp);
        assert_eq!(t.len(), 3);
        assert_eq!(
            t[&101],
            TcpSocket {
                local_port: 8000,
                remote_port: 50000,
                state: "ESTABLISHED"
            }
        );
        assert_eq!(t[&102].state, "CLOSE_WAIT");
        let listening = [8000];
        assert_eq!(
            socket_kind(t.get(&100), false, &listening),
            "tcp listening on :8000"
        );
        assert_eq!(
            socket_kind(t.get(&101), false, &listening),
            "tcp ESTABLISHED accepted on :8000"
        );
        assert_eq!(
            socket_kind(t.get(&102), false, &listening),
            "tcp CLOSE_WAIT to :5432"
        );
        assert_eq!(socket_kind(None, false, &listening), "socket");
        let unix = "Num       RefCount Protocol Flags    Type St Inode Path\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 3456 /run/x.sock\n";
        assert_eq!(parse_net_unix(unix), [3456]);
        assert_eq!(socket_kind(None, true, &listening), "unix socket");
    }

    #[test]
    fn descriptor_kinds_group_sockets_and_pipes_only() {
        assert_eq!(fd_kind("socket:[123]"), "socket");
        assert_eq!(fd_kind("pipe:[9]"), "pipe");
        assert_eq!(fd_kind("anon_inode:[eventpoll]"), "anon_inode:[eventpoll]");
        assert_eq!(fd_kind("/dev/null"), "/dev/null");
        // A file that is merely named like a socket stays a file.
        assert_eq!(fd_kind("/tmp/socket.log"), "/tmp/socket.log");
        assert_eq!(fd_kind("socketx:[1]"), "socketx:[1]");
    }
}
