//! Test databases on both backends (feature `test-support`).
//!
//! - [`TestDb::sqlite`]: a migrated SQLite file in a fresh temporary directory.
//! - [`TestDb::postgres`]: a fresh, migrated database. With `WETECH_TEST_POSTGRES_URL` set, it is
//!   created on that server (the URL's database is used to issue `CREATE DATABASE`). Otherwise one
//!   throwaway PostgreSQL server is started per test process (`initdb` + `pg_ctl` on a temporary
//!   directory and a free port, as the `postgres` user when running as root; binaries from `PATH`
//!   or `/usr/lib/postgresql/*/bin`). Each `TestDb` drops its database when dropped.
//! - When PostgreSQL is unavailable, [`TestDb::postgres`] prints a loud notice to stderr and
//!   returns `None` (the test is skipped), except under `CI=true`, where it panics.
//! - [`backend_tests!`](crate::backend_tests) writes a test once and runs it on both backends.
//!
//! # How the throwaway server is stopped
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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};

use crate::{
    Backend, DatabaseSettings, PersistenceError, Pool, PooledConnection, UnitOfWork, connect,
    run_migrations,
};

/// Environment variable naming an existing PostgreSQL server to create test databases on.
pub const POSTGRES_URL_ENV: &str = "WETECH_TEST_POSTGRES_URL";

/// Pool size of a test database (enough for the concurrency tests).
const TEST_POOL_SIZE: u32 = 8;

/// A database for one test, deleted when dropped.
pub struct TestDb {
    backend: Backend,
    url: String,
    pool: Option<Pool>,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        admin_url: String,
        database: String,
    },
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl TestDb {
    /// A migrated SQLite database in a new temporary directory. Panics if it cannot be made.
    #[must_use]
    pub fn sqlite() -> TestDb {
        TestDb::try_sqlite(true)
            .unwrap_or_else(|e| panic!("cannot create a test SQLite database: {e}"))
    }

    /// A fresh migrated PostgreSQL database, or `None` (after a loud notice on stderr) when
    /// PostgreSQL is not available. Panics under `CI=true` when unavailable, and whenever the
    /// server exists but the database cannot be made.
    #[must_use]
    pub fn postgres() -> Option<TestDb> {
        TestDb::try_postgres(true)
    }

    /// A migrated database on `backend` (`None` only for a skipped PostgreSQL).
    #[must_use]
    pub fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(TestDb::sqlite()),
            Backend::Postgres => TestDb::postgres(),
        }
    }

    /// An empty database (no migrations applied) on `backend`, for migration tests.
    #[must_use]
    pub fn unmigrated(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => Some(
                TestDb::try_sqlite(false)
                    .unwrap_or_else(|e| panic!("cannot create a test SQLite database: {e}")),
            ),
            Backend::Postgres => TestDb::try_postgres(false),
        }
    }

    fn try_sqlite(migrate: bool) -> Result<TestDb, PersistenceError> {
        let dir = tempfile::Builder::new()
            .prefix("wetech-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"));
        let path = dir.path().join("wetech.sqlite3");
        let url = format!("sqlite://{}", path.display());
        TestDb::open(
            Backend::Sqlite,
            url,
            Cleanup::Sqlite { _dir: dir, path },
            migrate,
        )
    }

    fn try_postgres(migrate: bool) -> Option<TestDb> {
        let source = match pg_source() {
            Ok(source) => source,
            Err(Unavailable::NotInstalled(reason)) => {
                skip_or_fail(reason);
                return None;
            }
            Err(Unavailable::Failed(reason)) => {
                panic!("PostgreSQL is installed but the test server could not start: {reason}")
            }
        };
        let database = unique_database_name();
        let admin_url = source.admin_url();
        let mut admin = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL server: {e}"));
        diesel::sql_query(format!("CREATE DATABASE \"{database}\""))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("cannot create test database {database}: {e}"));
        drop(admin);
        let url = source
            .database_url(&database)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_ENV} is not a usable URL: {e}"));
        let cleanup = Cleanup::Postgres {
            admin_url,
            database,
        };
        Some(
            TestDb::open(Backend::Postgres, url, cleanup, migrate)
                .unwrap_or_else(|e| panic!("cannot open the test PostgreSQL database: {e:?}")),
        )
    }

    fn open(
        backend: Backend,
        url: String,
        cleanup: Cleanup,
        migrate: bool,
    ) -> Result<TestDb, PersistenceError> {
        // Build the value first so that its Drop cleans up if anything below fails.
        let mut db = TestDb {
            backend,
            url,
            pool: None,
            cleanup,
        };
        let pool = connect(&db.settings())?;
        if migrate {
            run_migrations(&mut *pool.get()?)?;
        }
        db.pool = Some(pool);
        Ok(db)
    }

    /// Which backend this database is on.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Its URL (`sqlite:///tmp/…/wetech.sqlite3` or `postgres://…/wetech_test_…`); test
    /// credentials only.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Settings naming this database (pool size 8).
    #[must_use]
    pub fn settings(&self) -> DatabaseSettings {
        DatabaseSettings::new(self.url.clone()).with_pool_size(TEST_POOL_SIZE)
    }

    /// The pool connected to it.
    ///
    /// # Panics
    /// Never for a constructed `TestDb` (the pool is only absent while dropping).
    #[must_use]
    pub fn pool(&self) -> &Pool {
        match &self.pool {
            Some(pool) => pool,
            None => panic!("TestDb used while being dropped"),
        }
    }

    /// A pooled connection. Panics when none is available.
    #[must_use]
    pub fn conn(&self) -> PooledConnection {
        self.pool()
            .get()
            .unwrap_or_else(|e| panic!("no test database connection: {e}"))
    }

    /// A [`UnitOfWork`] over its pool.
    #[must_use]
    pub fn unit_of_work(&self) -> UnitOfWork {
        UnitOfWork::new(self.pool().clone())
    }

    /// The SQLite file, for SQLite databases.
    #[must_use]
    pub fn sqlite_path(&self) -> Option<&Path> {
        match &self.cleanup {
            Cleanup::Sqlite { path, .. } => Some(path),
            Cleanup::Postgres { .. } => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        drop(self.pool.take());
        match &self.cleanup {
            // The TempDir field removes the directory.
            Cleanup::Sqlite { .. } => {}
            Cleanup::Postgres {
                admin_url,
                database,
            } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
                    ))
                    .execute(&mut admin);
                }
            }
        }
    }
}

/// Runs `test` on a SQLite database and then, when available, on a PostgreSQL database.
pub fn each_backend(mut test: impl FnMut(&TestDb)) {
    test(&TestDb::sqlite());
    if let Some(db) = TestDb::postgres() {
        test(&db);
    }
}

/// Writes each test once and runs it on both backends: every
/// `fn name(db: &TestDb) { … }` becomes a module `name` with the tests `name::sqlite` and
/// `name::postgres` (skipped with a loud notice when PostgreSQL is unavailable, failing under
/// `CI=true`). Attributes (e.g. `#[ignore]`) apply to both.
///
/// ```
/// use wetech_persistence::test_support::TestDb;
///
/// wetech_persistence::backend_tests! {
///     fn settings_round_trip(db: &TestDb) {
///         let mut conn = db.conn();
///         wetech_persistence::app_settings::set(&mut conn, "k", "v").unwrap();
///         assert_eq!(wetech_persistence::app_settings::get(&mut conn, "k").unwrap().as_deref(), Some("v"));
///     }
/// }
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! backend_tests {
    ($($(#[$meta:meta])* fn $name:ident($db:ident : $ty:ty) $body:block)*) => {
        $(
            #[allow(unused_imports, reason = "the test body decides what it uses")]
            mod $name {
                use super::*;

                fn run($db: $ty) $body

                $(#[$meta])*
                #[test]
                pub fn sqlite() {
                    run(&$crate::test_support::TestDb::sqlite());
                }

                $(#[$meta])*
                #[test]
                pub fn postgres() {
                    if let Some(db) = $crate::test_support::TestDb::postgres() {
                        run(&db);
                    }
                }
            }
        )*
    };
}

fn unique_database_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "wetech_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

fn skip_or_fail(reason: &str) {
    if ci() {
        panic!(
            "PostgreSQL tests cannot run under CI=true: {reason}. Install PostgreSQL \
             (initdb, pg_ctl) or set {POSTGRES_URL_ENV}."
        );
    }
    let line = "!".repeat(78);
    eprintln!(
        "\n{line}\n!! SKIPPING a PostgreSQL test: {reason}.\n!! Install PostgreSQL (initdb, \
         pg_ctl) or set {POSTGRES_URL_ENV}; under CI=true this is a failure.\n{line}\n"
    );
}

enum Unavailable {
    /// No server to use: skip (or fail under CI).
    NotInstalled(&'static str),
    /// Binaries exist but starting failed: always a failure.
    Failed(String),
}

enum PgSource {
    External(String),
    Throwaway(PgServer),
}

impl PgSource {
    fn admin_url(&self) -> String {
        match self {
            PgSource::External(url) => url.clone(),
            PgSource::Throwaway(server) => server.url("postgres"),
        }
    }

    fn database_url(&self, database: &str) -> Result<String, url::ParseError> {
        match self {
            PgSource::External(url) => {
                let mut url = url::Url::parse(url)?;
                url.set_path(database);
                Ok(url.to_string())
            }
            PgSource::Throwaway(server) => Ok(server.url(database)),
        }
    }
}

fn pg_source() -> Result<&'static PgSource, &'static Unavailable> {
    static SOURCE: OnceLock<Result<PgSource, Unavailable>> = OnceLock::new();
    SOURCE
        .get_or_init(|| {
            if let Ok(url) = std::env::var(POSTGRES_URL_ENV)
                && !url.trim().is_empty()
            {
                return Ok(PgSource::External(url));
            }
            let Some(bin) = find_pg_bin() else {
                return Err(Unavailable::NotInstalled(
                    "no PostgreSQL binaries (initdb, pg_ctl) on PATH or in \
                     /usr/lib/postgresql/*/bin, and WETECH_TEST_POSTGRES_URL is not set",
                ));
            };
            PgServer::start(&bin)
                .map(PgSource::Throwaway)
                .map_err(Unavailable::Failed)
        })
        .as_ref()
}

/// A throwaway PostgreSQL server for this test process.
struct PgServer {
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
    fn url(&self, database: &str) -> String {
        format!("postgres://app@127.0.0.1:{}/{database}", self.port)
    }

    fn start(bin: &Path) -> Result<PgServer, String> {
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
fn find_pg_bin() -> Option<PathBuf> {
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
