//! PostgreSQL: `pg_dump --format=custom`, a full read with `pg_restore`, and restore with
//! `pg_restore --clean --if-exists --single-transaction`.
//!
//! The password never appears on a command line (where `ps` would show it): it is taken out of
//! the URL and handed to the client programs in `PGPASSWORD`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use chrono::Utc;
use diesel::pg::PgConnection;
use diesel::sql_types::Text;
use diesel::{Connection as _, QueryableByName, RunQueryDsl as _};
use secrecy::ExposeSecret as _;
use wetech_persistence::DatabaseSettings;

use super::file_ops;
use super::names::PRE_RESTORE_PREFIX;
use super::progress;
use super::publish::TempFile;
use super::{BackupError, BackupKind, Content, Progress, Stage, Written};

const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    server_version_num: String,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

/// The connection URL without its password, and the password.
struct Target {
    /// Full URL, for this process's own connection.
    full: String,
    /// The URL given to the client programs (no password).
    url: String,
    password: Option<String>,
}

impl Target {
    fn from_settings(db: &DatabaseSettings) -> Target {
        let full = db.url.expose_secret().to_owned();
        let (url, password) = split_password(&full);
        Target {
            full,
            url,
            password,
        }
    }

    fn command(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.stdin(Stdio::null());
        c.env_remove("PGPASSWORD");
        if let Some(p) = &self.password {
            c.env("PGPASSWORD", p);
        }
        if !self.url.contains("connect_timeout=") {
            c.env("PGCONNECT_TIMEOUT", "10");
        }
        c
    }

    fn connect(&self) -> Result<PgConnection, BackupError> {
        PgConnection::establish(&self.full).map_err(|source| BackupError::Connect {
            context: "cannot connect to PostgreSQL".to_owned(),
            source,
        })
    }
}

/// Takes the password out of a libpq URL (user-info part or `password=` parameter). URLs the
/// `url` crate cannot parse (several hosts) are passed through unchanged.
fn split_password(full: &str) -> (String, Option<String>) {
    let Ok(mut parsed) = url::Url::parse(full) else {
        return (full.to_owned(), None);
    };
    let mut password = parsed.password().map(percent_decode);
    if password.is_some() && parsed.set_password(None).is_err() {
        return (full.to_owned(), None);
    }
    if parsed.query_pairs().any(|(k, _)| k == "password") {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut kept = Vec::new();
        for (k, v) in pairs {
            if k == "password" {
                password = Some(v);
            } else {
                kept.push((k, v));
            }
        }
        if kept.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    (parsed.to_string(), password)
}

/// Decodes the `%XX` sequences of a URL's password (invalid ones are kept as written).
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Finds a PostgreSQL client program on `PATH`, else in the newest `/usr/lib/postgresql/*/bin`.
fn locate(tool: &str) -> Result<PathBuf, BackupError> {
    locate_in(
        tool,
        std::env::var_os("PATH"),
        Path::new("/usr/lib/postgresql"),
    )
}

fn locate_in(
    tool: &str,
    path: Option<OsString>,
    versioned_root: &Path,
) -> Result<PathBuf, BackupError> {
    if let Some(path) = path {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(tool);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(versioned_root)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let e = e.ok()?;
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let p = e.path().join("bin").join(tool);
            p.is_file().then_some((v, p))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p).ok_or_else(|| {
        BackupError::Tool(format!(
            "`{tool}` was not found on PATH or in /usr/lib/postgresql/*/bin: install the PostgreSQL \
             client programs of the server's major version or newer (Debian: apt-get install postgresql-client)"
        ))
    })
}

/// The major version in `pg_dump --version` output (`pg_dump (PostgreSQL) 15.18 (Debian …)` → 15).
fn parse_tool_major(output: &str) -> Option<u32> {
    let after = output.split_once(')').map_or(output, |(_, rest)| rest);
    let token = after
        .split_whitespace()
        .find(|t| t.starts_with(|c: char| c.is_ascii_digit()))?;
    token
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The major version in `server_version_num` (`150018` → 15, `90624` → 9).
fn parse_server_major(num: &str) -> Option<u32> {
    num.trim().parse::<u32>().ok().map(|n| n / 10_000)
}

fn tool_major(program: &Path) -> Result<u32, BackupError> {
    let out = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(BackupError::run(program.display().to_string()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_tool_major(&text).ok_or_else(|| {
        BackupError::Tool(format!(
            "cannot read the version of {} from {:?}",
            program.display(),
            text.trim()
        ))
    })
}

/// Refuses a client program older than the server (it cannot dump a newer server).
fn check_versions(tool: &str, tool_major: u32, server_major: u32) -> Result<(), BackupError> {
    if tool_major < server_major {
        return Err(BackupError::Tool(format!(
            "{tool} is version {tool_major}, older than the PostgreSQL {server_major} server: install the \
             client programs of version {server_major} or newer (Debian: apt-get install postgresql-client-{server_major})"
        )));
    }
    Ok(())
}

fn server_major(conn: &mut PgConnection) -> Result<u32, BackupError> {
    let row: Setting = diesel::sql_query("SHOW server_version_num")
        .get_result(conn)
        .map_err(BackupError::db("cannot read the PostgreSQL server version"))?;
    parse_server_major(&row.server_version_num).ok_or_else(|| {
        BackupError::Tool(format!(
            "unexpected server_version_num {:?}",
            row.server_version_num
        ))
    })
}

/// Runs a command to completion, returning its stderr on failure.
fn run(mut command: Command, what: &str) -> Result<(), BackupError> {
    let out = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(BackupError::run(what))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(BackupError::Tool(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Backs up the configured PostgreSQL database into `dir`.
pub(super) fn backup(
    db: &DatabaseSettings,
    dir: &Path,
    prefix: &str,
    started: Instant,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Written, BackupError> {
    backup_to(db, dir, prefix, Stage::Dumping, started, progress)
}

fn backup_to(
    db: &DatabaseSettings,
    dir: &Path,
    prefix: &str,
    stage: Stage,
    started: Instant,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Written, BackupError> {
    let target = Target::from_settings(db);
    let pg_dump = locate("pg_dump")?;
    let mut conn = target.connect()?;
    check_versions("pg_dump", tool_major(&pg_dump)?, server_major(&mut conn)?)?;
    let taken_at = Utc::now();
    let step = Instant::now();
    let tmp = TempFile::new_name(dir, "wetech-backup");
    let mut command = target.command(&pg_dump);
    command
        .arg("--format=custom")
        .arg("--no-password")
        .arg("--lock-wait-timeout=60000")
        .arg("--file")
        .arg(tmp.path())
        .arg("--dbname")
        .arg(&target.url);
    progress::watch(
        progress,
        stage,
        started,
        || file_ops::size_of(tmp.path()),
        || run(command, "pg_dump"),
    )?;
    let took = step.elapsed();
    let source_versions = read_versions(&mut conn)?;
    drop(conn);
    super::finish_backup(
        super::Snapshot {
            tmp,
            taken_at,
            took,
            source_versions,
            kind: BackupKind::Postgres,
            writeback: None,
        },
        dir,
        prefix,
        started,
        progress,
    )
}

fn read_versions(conn: &mut PgConnection) -> Result<Vec<String>, BackupError> {
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        present: bool,
    }
    let exists: Exists = diesel::sql_query(format!(
        "SELECT to_regclass('{MIGRATIONS_TABLE}') IS NOT NULL AS present"
    ))
    .get_result(conn)
    .map_err(BackupError::db("cannot look for the migration table"))?;
    if !exists.present {
        return Ok(Vec::new());
    }
    let rows: Vec<Version> = diesel::sql_query(format!("SELECT version FROM {MIGRATIONS_TABLE}"))
        .load(conn)
        .map_err(BackupError::db("cannot read the applied migrations"))?;
    Ok(rows.into_iter().map(|r| r.version).collect())
}

/// Checks a custom-format archive: `pg_restore --list` reads its table of contents, then
/// `pg_restore --data-only` decompresses every data block; the rows of each table and the
/// migration versions are read from that stream.
pub(super) fn verify(file: &Path) -> Result<Content, BackupError> {
    let pg_restore = locate("pg_restore")?;
    let listing = Command::new(&pg_restore)
        .arg("--list")
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .map_err(BackupError::run("pg_restore"))?;
    if !listing.status.success() {
        return Err(BackupError::unsound(
            file,
            format!(
                "pg_restore cannot read its table of contents: {}",
                String::from_utf8_lossy(&listing.stderr).trim()
            ),
        ));
    }
    let tables = tables_in_listing(&String::from_utf8_lossy(&listing.stdout));
    // The listing names no columns: only the tables are compared with the expected schema.
    let schema = tables.iter().map(|t| (t.clone(), None)).collect();
    let mut row_counts: BTreeMap<String, u64> = tables.into_iter().map(|t| (t, 0)).collect();

    let mut child = Command::new(&pg_restore)
        .arg("--data-only")
        .arg("--file=-")
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(BackupError::run("pg_restore"))?;
    let stderr = child.stderr.take();
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut e) = stderr {
            let _ = e.read_to_string(&mut text);
        }
        text
    });
    let parsed = child
        .stdout
        .take()
        .map(|out| parse_data_stream(BufReader::with_capacity(1 << 20, out)))
        .transpose();
    let status = child
        .wait()
        .map_err(BackupError::run("pg_restore to the end"))?;
    let errors = stderr_reader.join().unwrap_or_default();
    let parsed = parsed.map_err(BackupError::io(format!(
        "cannot read pg_restore's output for {}",
        file.display()
    )))?;
    if !status.success() {
        return Err(BackupError::unsound(
            file,
            format!("pg_restore cannot read all of its data: {}", errors.trim()),
        ));
    }
    let Some(data) = parsed else {
        return Err(BackupError::Tool(
            "pg_restore produced no output".to_owned(),
        ));
    };
    if data.unterminated {
        return Err(BackupError::unsound(file, "a table's data ends early"));
    }
    row_counts.extend(data.counts);
    Ok(Content {
        versions: data.versions,
        row_counts,
        schema,
    })
}

/// Table names (schema `public`, else `schema.table`) of the `TABLE` entries of a
/// `pg_restore --list` listing (`216; 1259 16385 TABLE public services app`).
fn tables_in_listing(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter(|l| !l.trim_start().starts_with(';'))
        .filter_map(|l| {
            let tokens: Vec<&str> = l.split_whitespace().collect();
            match tokens.as_slice() {
                [_, _, _, "TABLE", schema, name, ..] if *schema != "DATA" => {
                    Some(qualified(schema, name))
                }
                _ => None,
            }
        })
        .collect()
}

fn qualified(schema: &str, name: &str) -> String {
    if schema == "public" {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
}

#[derive(Debug, Default)]
struct DataStream {
    counts: BTreeMap<String, u64>,
    versions: Vec<String>,
    unterminated: bool,
}

/// Counts the rows of every `COPY … FROM stdin;` block (one line per row in COPY text format)
/// and collects the first column of the migration table's rows.
fn parse_data_stream(mut reader: impl std::io::BufRead) -> std::io::Result<DataStream> {
    let mut out = DataStream::default();
    let mut current: Option<(String, u64)> = None;
    let mut line = Vec::with_capacity(4096);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        match &mut current {
            Some((table, rows)) => {
                if text == b"\\." {
                    out.counts.insert(std::mem::take(table), *rows);
                    current = None;
                } else {
                    *rows += 1;
                    if table == MIGRATIONS_TABLE {
                        let first = text.split(|b| *b == b'\t').next().unwrap_or_default();
                        out.versions
                            .push(String::from_utf8_lossy(first).into_owned());
                    }
                }
            }
            None => {
                if let Some(table) = copy_target(text) {
                    current = Some((table, 0));
                }
            }
        }
    }
    out.unterminated = current.is_some();
    Ok(out)
}

/// `COPY public.services (id, code) FROM stdin;` → `services`.
fn copy_target(line: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(line).ok()?;
    let rest = text.strip_prefix("COPY ")?;
    if !text.ends_with("FROM stdin;") {
        return None;
    }
    let end = rest.find(" (").or_else(|| rest.find(" FROM"))?;
    let name = &rest[..end];
    let unquote = |s: &str| s.trim_matches('"').replace("\"\"", "\"");
    Some(
        match name.split_once("\".\"").or_else(|| name.split_once('.')) {
            Some((schema, table)) => qualified(&unquote(schema), &unquote(table)),
            None => unquote(name),
        },
    )
}

/// Keeps the current database as a `pre-restore-…` dump, then restores `file` into it in one
/// transaction. Returns the pre-restore dump.
pub(super) fn restore(
    file: &Path,
    db: &DatabaseSettings,
    backup_dir: &Path,
    started: Instant,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<PathBuf, BackupError> {
    let pg_restore = locate("pg_restore")?;
    file_ops::create_dir(backup_dir)?;
    let kept = backup_to(
        db,
        backup_dir,
        PRE_RESTORE_PREFIX,
        Stage::PreRestoreBackup,
        started,
        progress,
    )?;
    let target = Target::from_settings(db);
    let mut command = target.command(&pg_restore);
    command
        .arg("--clean")
        .arg("--if-exists")
        .arg("--single-transaction")
        .arg("--exit-on-error")
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg("--no-password")
        .arg("--dbname")
        .arg(&target.url)
        .arg(file);
    progress::watch(
        progress,
        Stage::Restoring,
        started,
        || None,
        || run(command, "pg_restore"),
    )
    .map_err(|e| BackupError::RestoreRolledBack(Box::new(e)))?;
    tracing::info!(from = %file.display(), "PostgreSQL database restored");
    Ok(kept.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_url() {
        let (url, pw) =
            split_password("postgres://app:s%40cr%3At@db.example:5432/wetech?sslmode=require");
        assert_eq!(pw.as_deref(), Some("s@cr:t"));
        assert!(!url.contains("cr"), "{url}");
        assert!(
            url.contains("app@db.example:5432/wetech?sslmode=require"),
            "{url}"
        );
        let (url, pw) = split_password("postgresql://app@h/db?password=x%20y&sslmode=disable");
        assert_eq!(pw.as_deref(), Some("x y"));
        assert!(!url.contains("password"), "{url}");
        assert!(url.contains("sslmode=disable"), "{url}");
        let (url, pw) = split_password("postgres://app@127.0.0.1:5432/db");
        assert_eq!(
            (url.as_str(), pw),
            ("postgres://app@127.0.0.1:5432/db", None)
        );
    }

    #[test]
    fn versions_are_compared_by_major() {
        assert_eq!(
            parse_tool_major("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"),
            Some(15)
        );
        assert_eq!(parse_tool_major("pg_dump (PostgreSQL) 9.6.24"), Some(9));
        assert_eq!(parse_tool_major("pg_dump (PostgreSQL) 17devel"), Some(17));
        assert_eq!(parse_tool_major("nonsense"), None);
        assert_eq!(parse_server_major("150018"), Some(15));
        assert_eq!(parse_server_major("90624"), Some(9));
        assert_eq!(parse_server_major("x"), None);
        assert!(check_versions("pg_dump", 15, 15).is_ok());
        assert!(check_versions("pg_dump", 16, 15).is_ok());
        let e = check_versions("pg_dump", 14, 16).unwrap_err().to_string();
        assert!(e.contains("older") && e.contains("16"), "{e}");
    }

    #[test]
    fn a_missing_tool_is_named() {
        let empty = tempfile::tempdir().unwrap();
        let e = locate_in("pg_dump", Some(OsString::from(empty.path())), empty.path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("pg_dump") && e.contains("install"), "{e}");
    }

    #[test]
    fn listings_and_data_streams_are_parsed() {
        let listing = ";\n; Archive created at 2026\n216; 1259 16385 TABLE public services app\n\
                       217; 1259 16390 TABLE public __diesel_schema_migrations app\n\
                       3400; 0 16385 TABLE DATA public services app\n";
        assert_eq!(
            tables_in_listing(listing),
            vec!["services", "__diesel_schema_migrations"]
        );
        let stream = b"SET x = 1;\nCOPY public.services (id, code) FROM stdin;\n1\tWEB\n2\tPRO\n\\.\n\n\
                       COPY public.__diesel_schema_migrations (version, run_on) FROM stdin;\n20261129000001\t2026-01-01\n\\.\n\
                       COPY \"odd\".\"we\"\"ird\" (a) FROM stdin;\n\\.\nSELECT pg_catalog.setval('x', 3, true);\n";
        let d = parse_data_stream(&stream[..]).unwrap();
        assert_eq!(d.counts["services"], 2);
        assert_eq!(d.counts["__diesel_schema_migrations"], 1);
        assert_eq!(d.counts["odd.we\"ird"], 0);
        assert_eq!(d.versions, vec!["20261129000001"]);
        assert!(!d.unterminated);
        assert!(
            parse_data_stream(&b"COPY public.t (a) FROM stdin;\n1\n"[..])
                .unwrap()
                .unterminated
        );
    }
}
