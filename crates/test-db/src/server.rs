//! The throwaway PostgreSQL server: `initdb` (or a cached copy), `pg_ctl start` on a free
//! port, and a watchdog that stops it when the test process ends.
//!
//! # How it is stopped
//!
//! Rust runs no destructors for statics at exit, and a test process may also be killed. So the
//! server has a *watchdog*: a small `sh` child started before `initdb`, in its own process group,
//! whose stdin is a pipe that only the test process holds. When the test process ends — normally,
//! by panic or by SIGKILL — the kernel closes the pipe, the watchdog's `cat` sees end-of-file,
//! and it runs `pg_ctl stop -m immediate` and deletes the directory. If even the watchdog dies,
//! PostgreSQL itself shuts down within a minute of its data directory disappearing.
//!
//! The server runs with `fsync`, `synchronous_commit` and `full_page_writes` off (tests need no
//! crash safety from PostgreSQL). A pristine `initdb` result is cached in
//! `$TMPDIR/wetech-pg-template-v1-…` and copied for each process (nextest runs every test in its
//! own process); it is only a data directory, never a running server, and may be deleted at any
//! time.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use crate::source::unique_database_name;

/// A throwaway PostgreSQL server for this test process.
pub(crate) struct PgServer {
    port: u16,
    /// Holding the watchdog's stdin keeps the server alive; see the module docs.
    _watchdog: Mutex<Child>,
}

/// Stops the server and removes its directory once the test process has gone (stdin EOF).
const WATCHDOG: &str = r#"
cat >/dev/null 2>&1
dir="$1"; pg_ctl="$2"; how="$3"; runuser="$4"
case "$how" in
  runuser) "$runuser" -u postgres -- "$pg_ctl" -D "$dir/data" -m immediate -w stop ;;
  su) su postgres -s /bin/sh -c 'exec "$0" "$@"' "$pg_ctl" -D "$dir/data" -m immediate -w stop ;;
  *) "$pg_ctl" -D "$dir/data" -m immediate -w stop ;;
esac >/dev/null 2>&1
rm -rf "$dir"
"#;

/// How to run PostgreSQL's programs (PostgreSQL refuses to run as root).
#[derive(Clone)]
enum RunAs {
    Me,
    Runuser(PathBuf),
    Su,
}

impl RunAs {
    fn detect() -> RunAs {
        use std::os::unix::fs::MetadataExt;
        let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
            || Command::new("id")
                .arg("-u")
                .output()
                .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        if !root {
            return RunAs::Me;
        }
        find_program("runuser", &["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .map_or(RunAs::Su, RunAs::Runuser)
    }

    fn command(&self, program: &Path) -> Command {
        match self {
            RunAs::Me => Command::new(program),
            RunAs::Runuser(runuser) => {
                let mut c = Command::new(runuser);
                c.args(["-u", "postgres", "--"]).arg(program);
                c
            }
            RunAs::Su => {
                let mut c = Command::new("su");
                c.args(["postgres", "-s", "/bin/sh", "-c", "exec \"$0\" \"$@\""])
                    .arg(program);
                c
            }
        }
    }

    fn watchdog_args(&self) -> [String; 2] {
        match self {
            RunAs::Me => ["me".to_owned(), String::new()],
            RunAs::Runuser(path) => ["runuser".to_owned(), path.display().to_string()],
            RunAs::Su => ["su".to_owned(), String::new()],
        }
    }
}

impl PgServer {
    pub(crate) fn url(&self, database: &str) -> String {
        format!("postgres://app@127.0.0.1:{}/{database}", self.port)
    }

    pub(crate) fn start(bin: &Path) -> Result<PgServer, String> {
        let run_as = RunAs::detect();
        let dir = tempfile::Builder::new()
            .prefix("wetech-pg-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?
            .keep();
        if !matches!(run_as, RunAs::Me) {
            run(Command::new("chown").arg("postgres:").arg(&dir), "chown")?;
        }
        let pg_ctl = bin.join("pg_ctl");
        let [how, runuser] = run_as.watchdog_args();
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("wetech-pg-watchdog")
            .arg(&dir)
            .arg(&pg_ctl)
            .arg(how)
            .arg(runuser)
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start the watchdog shell: {e}"))?;
        let server = PgServer {
            port: 0,
            _watchdog: Mutex::new(watchdog),
        };

        let data = dir.join("data");
        let mut from_template = prepare_data_directory(&run_as, bin, &dir, &data)?;
        let log = dir.join("postgres.log");
        let mut last_error = String::new();
        for _ in 0..6 {
            let port = free_port()?;
            let options = format!(
                "-p {port} -c listen_addresses=127.0.0.1 -k {}",
                dir.display()
            );
            let started = run(
                run_as
                    .command(&pg_ctl)
                    .current_dir(&dir)
                    .arg("-D")
                    .arg(&data)
                    .arg("-l")
                    .arg(&log)
                    .args(["-w", "-t", "60", "-o", &options, "start"]),
                "pg_ctl start",
            );
            match started {
                Ok(()) => {
                    eprintln!(
                        "wetech test support: started a throwaway PostgreSQL on port {port} in {}",
                        dir.display()
                    );
                    return Ok(PgServer { port, ..server });
                }
                Err(e) => {
                    let mut tail = String::new();
                    if let Ok(mut f) = std::fs::File::open(&log) {
                        let _ = f.read_to_string(&mut tail);
                    }
                    last_error = format!("{e}; server log: {tail}");
                    if tail.contains("could not bind") || tail.contains("already in use") {
                        continue;
                    }
                    if !from_template {
                        break;
                    }
                    // A damaged cached cluster: forget it and run initdb.
                    let _ = std::fs::remove_dir_all(template_path(bin, &run_as));
                    let _ = std::fs::remove_dir_all(&data);
                    init_cluster(&run_as, bin, &dir, &data)?;
                    from_template = false;
                }
            }
        }
        Err(last_error)
    }
}

/// Where a pristine cluster (initdb output plus the test settings) is cached between test
/// processes: one per PostgreSQL binary directory and owning user.
fn template_path(bin: &Path, run_as: &RunAs) -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    let owner = match run_as {
        RunAs::Me => format!(
            "uid{}",
            std::fs::metadata("/proc/self").map_or(0, |m| m.uid())
        ),
        RunAs::Runuser(_) | RunAs::Su => "postgres".to_owned(),
    };
    let bin: String = bin
        .display()
        .to_string()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    std::env::temp_dir().join(format!("wetech-pg-template-v1-{owner}{bin}"))
}

/// Fills `data` with a cluster: a copy of the cached one when there is one (about 0.2 s), else
/// a fresh `initdb` (about 0.8 s), which is then cached for the next process (published with an
/// atomic rename). Returns whether the cache was used.
fn prepare_data_directory(
    run_as: &RunAs,
    bin: &Path,
    dir: &Path,
    data: &Path,
) -> Result<bool, String> {
    let template = template_path(bin, run_as);
    if template.join("global/pg_control").is_file()
        && run(Command::new("cp").arg("-a").arg(&template).arg(data), "cp").is_ok()
    {
        return Ok(true);
    }
    let _ = std::fs::remove_dir_all(data);
    init_cluster(run_as, bin, dir, data)?;
    let staging = template.with_file_name(format!(
        "{}.tmp-{}",
        template
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("template"),
        unique_database_name()
    ));
    if run(Command::new("cp").arg("-a").arg(data).arg(&staging), "cp").is_err()
        || std::fs::rename(&staging, &template).is_err()
    {
        let _ = std::fs::remove_dir_all(&staging);
    }
    Ok(false)
}

/// `initdb` into `data`, then the test settings.
fn init_cluster(run_as: &RunAs, bin: &Path, dir: &Path, data: &Path) -> Result<(), String> {
    run(
        run_as
            .command(&bin.join("initdb"))
            .current_dir(dir)
            .arg("-D")
            .arg(data)
            .args([
                "-U",
                "app",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "-N",
            ]),
        "initdb",
    )?;
    // Fast, non-durable settings for tests, in postgresql.conf (not on the command line) so that
    // a benchmark can still switch durability back on with ALTER SYSTEM.
    std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .and_then(|mut conf| {
            std::io::Write::write_all(
                &mut conf,
                b"\n# wetech test support\nfsync = off\nsynchronous_commit = off\n\
                  full_page_writes = off\nmax_connections = 200\n",
            )
        })
        .map_err(|e| format!("cannot write postgresql.conf: {e}"))
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn find_program(name: &str, extra_dirs: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra_dirs.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The directory holding `initdb` and `pg_ctl`: from `PATH` (symlinks resolved), else the
/// newest `/usr/lib/postgresql/<version>/bin`.
pub(crate) fn find_pg_bin() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        if dir.join("initdb").is_file()
            && let Ok(pg_ctl) = std::fs::canonicalize(dir.join("pg_ctl"))
            && let Some(real) = pg_ctl.parent()
            && real.join("initdb").is_file()
        {
            return Some(real.to_path_buf());
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}
