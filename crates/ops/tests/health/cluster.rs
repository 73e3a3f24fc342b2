//! A throwaway PostgreSQL server owned by one test, so that the test may stop, start, freeze and
//! thaw it (the shared server of `wetech_test_db` must keep running for the other
//! tests of the process). Same recipe as the test support: `initdb` / `pg_ctl` as the `postgres`
//! user when running as root, a free port, a temporary directory, and a watchdog shell that stops
//! the server and deletes the directory when the test process ends, however it ends.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Stops the server and removes its directory once the test process has gone (stdin EOF).
const WATCHDOG: &str = r#"
cat >/dev/null 2>&1
kill -CONT $(cat "$1/pids" 2>/dev/null) >/dev/null 2>&1
if [ "$3" = root ]; then runuser -u postgres -- "$2" -D "$1/data" -m immediate -w stop
else "$2" -D "$1/data" -m immediate -w stop; fi >/dev/null 2>&1
rm -rf "$1"
"#;

/// One PostgreSQL server in a temporary directory.
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    root: bool,
    port: u16,
    _watchdog: Child,
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb` and `pg_ctl`, or the directory
/// of `initdb` on `PATH`.
fn pg_bin() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(dir) = std::env::split_paths(&path).find(|d| d.join("initdb").is_file()) {
        let real = std::fs::canonicalize(dir.join("pg_ctl")).ok()?;
        return real.parent().map(Path::to_path_buf);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_ctl").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

impl Cluster {
    /// Initialises and starts a server, or returns `None` (after a loud notice) when PostgreSQL is
    /// not installed; under `CI=true` a missing PostgreSQL is a failure.
    pub fn start() -> Option<Cluster> {
        let Some(bin) = pg_bin() else {
            let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
            assert!(!ci, "PostgreSQL (initdb, pg_ctl) is required under CI=true");
            eprintln!(
                "\n!!!!!!!! SKIPPING: PostgreSQL (initdb, pg_ctl) is not installed !!!!!!!!\n"
            );
            return None;
        };
        let root = is_root();
        let dir = tempfile::Builder::new()
            .prefix("wetech-health-pg-")
            .tempdir()
            .unwrap()
            .keep();
        if root {
            run(Command::new("chown").arg("postgres:").arg(&dir));
        }
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("wetech-health-pg-watchdog")
            .arg(&dir)
            .arg(bin.join("pg_ctl"))
            .arg(if root { "root" } else { "me" })
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster {
            dir,
            bin,
            root,
            port,
            _watchdog: watchdog,
        };
        run(cluster
            .pg("initdb")
            .arg("-D")
            .arg(cluster.dir.join("data"))
            .args([
                "-U",
                "app",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "-N",
            ]));
        cluster.start_again();
        Some(cluster)
    }

    fn pg(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut cmd = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        cmd.current_dir(&self.dir);
        cmd
    }

    /// `postgres://app@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://app@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the (stopped) server on the same port and waits until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.display()
        );
        run(self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("postgres.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"]));
    }

    /// Stops the server (`-m fast`: clients are disconnected).
    pub fn stop(&self) {
        run(self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "fast", "-w", "stop"]));
    }

    /// Every process of the server: the postmaster and its children.
    fn pids(&self) -> Vec<nix::unistd::Pid> {
        let pid_file = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).unwrap();
        let postmaster: i32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
        let mut pids = vec![postmaster];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid …`; comm may hold spaces, so split after the last ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<i32>().ok());
            if ppid == Some(postmaster) {
                pids.push(pid);
            }
        }
        pids.into_iter().map(nix::unistd::Pid::from_raw).collect()
    }

    /// Freezes every server process (SIGSTOP): connections stay open, nothing answers.
    pub fn freeze(&self) {
        let pids = self.pids();
        // Remembered so that the watchdog can thaw them if the test dies frozen.
        let list: Vec<String> = pids.iter().map(ToString::to_string).collect();
        std::fs::write(self.dir.join("pids"), list.join(" ")).unwrap();
        for pid in pids {
            nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).unwrap();
        }
    }

    /// Resumes the frozen processes (SIGCONT).
    pub fn thaw(&self) {
        let list = std::fs::read_to_string(self.dir.join("pids")).unwrap_or_default();
        for pid in list.split_whitespace() {
            let pid = nix::unistd::Pid::from_raw(pid.parse().unwrap());
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGCONT);
        }
        let _ = std::fs::remove_file(self.dir.join("pids"));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.thaw();
        let _ = self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
