//! Runs the real `ops` binary with a temporary configuration, as an operator or a script would.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use wetech_test_db::TestDb;

mod config_show;
mod mail;
mod remote;
mod staff;

/// A temporary installation: a config file naming a database, logs, media and backups in one
/// directory.
struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Setup {
    fn sqlite() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}",
            dir.path().join("data/wetech.sqlite3").display()
        );
        Setup::with_url(dir, &url)
    }

    fn with_url(dir: tempfile::TempDir, url: &str) -> Setup {
        let d = dir.path();
        std::fs::create_dir_all(d.join("media")).unwrap();
        let config = d.join("wetech.toml");
        std::fs::write(
            &config,
            format!(
                "[database]\nurl = \"{url}\"\n\n[log]\ndir = \"{logs}\"\n\n[storage]\nmedia_dir = \"{media}\"\n\n\
                 [backup]\ndir = \"{backups}\"\nkeep = 3\n\n\
                 # The build machine's disk is often nearly full; the disk check's thresholds are\n\
                 # tested on their own (wetech-ops), here \"pass\" must not depend on them.\n\
                 [health]\nmin_free_disk_percent = 0.5\n",
                logs = d.join("logs").display(),
                media = d.join("media").display(),
                backups = d.join("backups").display(),
            ),
        )
        .unwrap();
        Setup { dir, config }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn ops(&self, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ops"));
        c.arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(self.dir.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("WETECH") || k == "RUST_LOG" {
                c.env_remove(k);
            }
        }
        c.output().unwrap()
    }

    /// Runs `ops` and expects success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.ops(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "ops {args:?} failed: {}",
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let stdout = self.ok(&all);
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("ops {args:?} --json printed no JSON ({e}): {stdout}"))
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn last_line(s: &str) -> &str {
    s.lines().last().unwrap_or_default()
}

#[test]
fn every_command_s_bad_usage_exits_2_with_a_helpful_message() {
    let s = Setup::sqlite();
    let cases: &[(&[&str], &str)] = &[
        (&[], "Usage"),
        (&["frobnicate"], "unrecognized subcommand"),
        (&["backup", "--keep", "0"], "--keep"),
        (&["backup", "--keep", "many"], "--keep"),
        (&["backup", "--dir"], "--dir"),
        (&["backup", "verify"], "<FILE>"),
        (
            &["backup", "--keep", "2", "verify", "x"],
            "cannot be used with",
        ),
        (&["backup", "verify", "a", "b"], "unexpected argument"),
        (&["restore"], "<FILE>"),
        (&["restore", "backup.sqlite3"], "--yes"),
        (
            &["restore", "backup.sqlite3", "--yes", "--force"],
            "unexpected argument",
        ),
        (&["healthcheck", "--url"], "--url"),
        (
            &["healthcheck", "--url", "not a url"],
            "expected a base URL",
        ),
        (
            &["healthcheck", "--url", "ftp://example.com"],
            "expected a base URL",
        ),
        (&["healthcheck", "now"], "unexpected argument"),
        (&["migrate", "--all"], "unexpected argument"),
        (&["catalog"], "Usage"),
        (&["catalog", "remove", "X"], "unrecognized subcommand"),
        (&["catalog", "set", "WEB-X"], "--name"),
        (
            &[
                "catalog",
                "set",
                "WEB-X",
                "--name",
                "Site",
                "--price",
                "1,000.00",
                "--currency",
                "TZS",
            ],
            "--price",
        ),
        (
            &[
                "catalog",
                "set",
                "WEB-X",
                "--name",
                "Site",
                "--price",
                "1e6",
                "--currency",
                "TZS",
            ],
            "--price",
        ),
        (
            &[
                "catalog",
                "set",
                "WEB-X",
                "--name",
                "Site",
                "--price",
                "-5",
                "--currency",
                "TZS",
            ],
            "negative",
        ),
        (
            &[
                "catalog",
                "set",
                "WEB-X",
                "--name",
                "Site",
                "--price",
                "10.001",
                "--currency",
                "TZS",
            ],
            "at most 2 decimals",
        ),
        (
            &[
                "catalog",
                "set",
                "WEB-X",
                "--name",
                "Site",
                "--price",
                "0",
                "--currency",
                "TZS",
            ],
            "greater than zero",
        ),
        (
            &[
                "catalog",
                "set",
                "WEB-X",
                "--name",
                "Site",
                "--price",
                "10",
                "--currency",
                "XYZ",
            ],
            "--currency",
        ),
        (
            &[
                "catalog",
                "set",
                "web x",
                "--name",
                "Site",
                "--price",
                "10",
                "--currency",
                "TZS",
            ],
            "service code",
        ),
        (
            &[
                "catalog",
                "set",
                "WEB-X",
                "--name",
                " ",
                "--price",
                "10",
                "--currency",
                "TZS",
            ],
            "--name",
        ),
        (&["catalog", "disable"], "<CODE>"),
        (&["catalog", "disable", "W"], "service code"),
    ];
    for (args, expected) in cases {
        let out = s.ops(args);
        let stderr = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "ops {args:?} should be a usage error; stderr: {stderr}"
        );
        assert!(
            stderr.contains(expected),
            "ops {args:?}: {expected:?} not in {stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "ops {args:?} printed on stdout: {}",
            text(&out.stdout)
        );
    }
    // None of them created a database.
    assert!(!s.path("data/wetech.sqlite3").exists());
}

/// `ops` with a clean environment plus `env`.
fn ops_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ops"));
    for (k, _) in std::env::vars() {
        if k.starts_with("WETECH") || k == "RUST_LOG" {
            c.env_remove(k);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    c.args(args)
        .envs(env.iter().copied())
        .current_dir(dir.path());
    c.output().unwrap()
}

#[test]
fn an_unusable_config_file_fails_with_1_whichever_way_it_is_named() {
    for (args, env) in [
        (&["--config", "/nonexistent/w.toml", "migrate"][..], &[][..]),
        (&["migrate"], &[("WETECH_CONFIG", "/nonexistent/w.toml")]),
    ] {
        let out = ops_env(args, env);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?} {env:?}: {stderr}");
        assert!(stderr.contains("/nonexistent/w.toml"), "{stderr}");
        assert!(stderr.contains("no such file"), "{stderr}");
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for (args, env) in [
        (&["--config", d, "migrate"][..], &[][..]),
        (&["migrate"], &[("WETECH_CONFIG", d)]),
    ] {
        let out = ops_env(args, env);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("is a directory"), "{stderr}");
        assert!(!stderr.contains("no such file"), "{stderr}");
    }
    // An empty WETECH_CONFIG means unset: the defaults load.
    let out = ops_env(
        &["--json", "healthcheck"],
        &[
            ("WETECH_CONFIG", ""),
            ("WETECH__STORAGE__MEDIA_DIR", "/nonexistent-media"),
        ],
    );
    assert!(
        !text(&out.stderr).contains("configuration file"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        serde_json::from_slice::<Value>(&out.stdout).is_ok(),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_settings_error_is_printed_once() {
    let out = ops_env(&["migrate"], &[("WETECH__SERVER__PORT", "notaport")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.matches("server.port").count(), 1, "{stderr}");
}

#[test]
fn help_and_version_succeed() {
    let s = Setup::sqlite();
    for args in [
        &["--help"][..],
        &["--version"],
        &["backup", "--help"],
        &["catalog", "set", "--help"],
        &["help", "restore"],
    ] {
        let out = s.ops(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(!out.stdout.is_empty());
    }
}

#[test]
fn an_invalid_setting_fails_naming_the_key() {
    let s = Setup::sqlite();
    std::fs::write(&s.config, "[backup]\nkeep = 0\n").unwrap();
    let out = s.ops(&["migrate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("backup.keep"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn backup_prints_the_path_last_and_verify_and_json_agree() {
    let s = Setup::sqlite();
    let migrated = s.ok(&["migrate"]);
    assert!(migrated.contains("2026-11-29-000001_initial"), "{migrated}");
    assert!(s.ok(&["migrate"]).contains("up to date"));

    let stdout = s.ok(&["backup"]);
    let path = PathBuf::from(last_line(&stdout));
    assert!(path.is_file(), "last line is not the backup: {stdout}");
    assert!(path.starts_with(s.path("backups")));
    assert!(wetech_ops::backup::is_own_backup_name(
        path.file_name().unwrap().to_str().unwrap()
    ));

    let verified = s.ok(&["backup", "verify", path.to_str().unwrap()]);
    assert!(verified.contains("sound"), "{verified}");

    let j = s.json(&["backup"]);
    assert!(Path::new(j["path"].as_str().unwrap()).is_file());
    assert!(j["size_bytes"].as_u64().unwrap() > 0);
    assert!(j["duration_ms"].is_u64());
    assert_eq!(j["row_counts"]["services"], 3);

    let v = s.json(&["backup", "verify", j["path"].as_str().unwrap()]);
    assert_eq!(v["checksum_verified"], true);
    assert_eq!(v["row_counts"]["services"], 3);
    assert_eq!(v["kind"], "sqlite");

    // --dir and --keep override the configuration; only own files are pruned.
    let other = s.path("elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    for _ in 0..3 {
        s.ok(&["backup", "--dir", other.to_str().unwrap(), "--keep", "1"]);
    }
    let mut names: Vec<String> = std::fs::read_dir(&other)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[0], "notes.txt");

    // Logs went to the log files, not to stdout.
    let log = std::fs::read_to_string(s.path("logs/app.log")).unwrap();
    assert!(
        log.contains("\"msg\":\"backup written\"") && log.contains("\"kind\":\"SQLite\""),
        "{log}"
    );
}

#[test]
fn a_failed_backup_prints_no_path_and_exits_1() {
    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    std::fs::write(s.path("blocker"), "a file").unwrap();
    let out = s.ops(&[
        "backup",
        "--dir",
        s.path("blocker/backups").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("nothing was deleted"),
        "{}",
        text(&out.stderr)
    );
    // The failure is in the logs too (errors.log is what alerting watches).
    let errors = std::fs::read_to_string(s.path("logs/errors.log")).unwrap();
    let line = errors
        .lines()
        .find(|l| l.contains("ops command failed"))
        .unwrap_or_else(|| panic!("no failure line in errors.log: {errors}"));
    let line: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(line["command"], "backup");
    assert_eq!(line["level"], 50);
    assert!(
        line["error"]
            .as_str()
            .unwrap()
            .contains("nothing was deleted"),
        "{line}"
    );
    // No database configured at that path: a clear error, and no empty database is created.
    let empty = Setup::sqlite();
    let out = empty.ops(&["backup"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("does not exist"),
        "{}",
        text(&out.stderr)
    );
    assert!(!empty.path("data/wetech.sqlite3").exists());
}

#[test]
fn a_failed_command_is_reported_to_the_error_endpoint() {
    let sink = wetech_test_sentry::SentrySink::start();
    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    let reported = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ops"));
        for (k, _) in std::env::vars() {
            if k.starts_with("WETECH") || k == "RUST_LOG" {
                c.env_remove(k);
            }
        }
        c.arg("--config")
            .arg(&s.config)
            .args(args)
            .env("WETECH__OBSERVABILITY__SENTRY_DSN", sink.dsn())
            .current_dir(s.dir.path())
            .output()
            .unwrap()
    };
    // A command that succeeds reports nothing.
    let out = reported(&["backup"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::write(s.path("blocker"), "a file").unwrap();
    let blocked = s.path("blocker/backups");
    let out = reported(&["backup", "--dir", blocked.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // `ops` waits for the report to be sent before it exits: it is there already.
    let events = sink.events();
    assert_eq!(events.len(), 1, "one report, of the failure: {events:#?}");
    let event = &events[0];
    assert_eq!(
        event.tags.get("command").map(String::as_str),
        Some("backup")
    );
    assert!(
        event
            .release
            .as_deref()
            .is_some_and(|r| r.starts_with("wetech-ops@")),
        "{event:#?}"
    );
    assert_eq!(event.environment.as_deref(), Some("development"));
    let message = event.message.as_deref().unwrap_or_default();
    assert!(message.contains("nothing was deleted"), "{message}");
}

#[test]
fn verify_rejects_a_damaged_backup() {
    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    let path = PathBuf::from(last_line(&s.ok(&["backup"])).to_owned());
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xFF;
    std::fs::write(&path, bytes).unwrap();
    let out = s.ops(&["backup", "verify", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a sound backup"),
        "{}",
        text(&out.stderr)
    );
    let out = s.ops(&["backup", "verify", s.config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a wetech backup"));
}

#[test]
fn restore_round_trip_through_the_cli() {
    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    let backup = last_line(&s.ok(&["backup"])).to_owned();
    let set = s.json(&[
        "catalog",
        "set",
        "web-basic",
        "--name",
        "Business website",
        "--price",
        "750000.5",
        "--currency",
        "tzs",
    ]);
    assert_eq!(set["price"], "750000.50");
    assert_eq!(set["code"], "WEB-BASIC");
    s.ok(&[
        "catalog",
        "set",
        "SEO",
        "--name",
        "Search engine optimisation",
        "--price",
        "300000",
        "--currency",
        "TZS",
    ]);

    let refused = s.ops(&["restore", &backup]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        s.json(&["catalog", "list"]).as_array().unwrap().len(),
        4,
        "nothing restored without --yes"
    );

    let r = s.json(&["restore", &backup, "--yes"]);
    let pre = PathBuf::from(r["pre_restore_backup"].as_str().unwrap());
    assert!(pre.is_file());
    let list = s.json(&["catalog", "list"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["price"], "500000.00");
    // The pre-restore copy holds the changed catalogue.
    let kept = s.json(&["backup", "verify", pre.to_str().unwrap()]);
    assert_eq!(kept["row_counts"]["services"], 4);
    // The restored database serves again.
    assert_eq!(
        s.json(&["healthcheck"])["checks"]["database"]["status"],
        "pass"
    );
}

#[test]
fn catalog_commands_edit_the_catalogue_exactly() {
    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    let listed = s.ok(&["catalog", "list"]);
    assert!(
        listed.contains("WEB-BASIC") && listed.contains("500000.00"),
        "{listed}"
    );
    let out = s.ok(&[
        "catalog",
        "set",
        "UGX-SITE",
        "--name",
        "Site (Uganda)",
        "--price",
        "1500000",
        "--currency",
        "UGX",
    ]);
    assert!(out.contains("1500000 UGX"), "{out}");
    let out = s.ops(&[
        "catalog",
        "set",
        "UGX-SITE",
        "--name",
        "Site",
        "--price",
        "1.5",
        "--currency",
        "UGX",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("at most 0 decimals"),
        "{}",
        text(&out.stderr)
    );
    let d = s.json(&["catalog", "disable", "hosting"]);
    assert_eq!(d["active"], false);
    let list = s.json(&["catalog", "list"]);
    let hosting = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "HOSTING")
        .unwrap();
    assert_eq!(hosting["active"], false);
    let out = s.ops(&["catalog", "disable", "NOPE"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("NOPE"), "{}", text(&out.stderr));
}

#[test]
fn healthcheck_passes_on_a_healthy_setup_and_fails_on_missing_media_or_a_bad_database() {
    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    let human = s.ok(&["healthcheck"]);
    assert!(human.starts_with("pass"), "{human}");
    let j = s.json(&["healthcheck"]);
    assert_eq!(j["status"], "pass");
    assert_eq!(j["checks"]["media"]["status"], "pass");

    std::fs::remove_dir(s.path("media")).unwrap();
    let out = s.ops(&["--json", "healthcheck"]);
    assert_eq!(out.status.code(), Some(1));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["status"], "fail");
    assert_eq!(j["checks"]["media"]["status"], "fail");
    std::fs::create_dir(s.path("media")).unwrap();

    std::fs::write(s.path("data/wetech.sqlite3"), vec![0x42_u8; 8192]).unwrap();
    let _ = std::fs::remove_file(s.path("data/wetech.sqlite3-wal"));
    let _ = std::fs::remove_file(s.path("data/wetech.sqlite3-shm"));
    let out = s.ops(&["healthcheck"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("database  fail"),
        "{}",
        text(&out.stdout)
    );

    // A database that does not exist fails the probe and is not created by it.
    let fresh = Setup::sqlite();
    let out = fresh.ops(&["--json", "healthcheck"]);
    assert_eq!(out.status.code(), Some(1));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["checks"]["database"]["status"], "fail");
    assert!(!fresh.path("data/wetech.sqlite3").exists());
}

/// A one-shot HTTP server answering every request with `status` and a JSON body.
fn serve(status: u16) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut buf = [0_u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            let body = if request.starts_with("GET /health/ready/ ") {
                format!(
                    "{{\"status\":\"{}\",\"version\":\"0.1.0\"}}",
                    if status == 200 { "pass" } else { "fail" }
                )
            } else {
                "{\"wrong\":\"path\"}".to_owned()
            };
            let code = if request.starts_with("GET /health/ready/ ") {
                status
            } else {
                404
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn healthcheck_url_asks_a_running_server() {
    // No configuration is needed for --url (a container HEALTHCHECK).
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ops"))
            .args(args)
            .env_remove("WETECH_CONFIG")
            .output()
            .unwrap()
    };
    let ready = serve(200);
    let out = run(&["healthcheck", "--url", &ready]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("HTTP 200"));
    let out = run(&["healthcheck", "--url", &format!("{ready}/"), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["status"], "pass");
    assert_eq!(j["response"]["status"], "pass");

    let unready = serve(503);
    let out = run(&["--json", "healthcheck", "--url", &unready]);
    assert_eq!(out.status.code(), Some(1));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["http_status"], 503);

    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = run(&["healthcheck", "--url", &format!("http://{closed}")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("cannot reach"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn postgres_backup_verify_and_health_through_the_cli() {
    let Some(db) = TestDb::postgres() else { return };
    let s = Setup::with_url(tempfile::tempdir().unwrap(), db.url());
    assert!(s.ok(&["migrate"]).contains("up to date"));
    let path = last_line(&s.ok(&["backup"])).to_owned();
    assert!(path.ends_with(".pgdump"), "{path}");
    let v = s.json(&["backup", "verify", &path]);
    assert_eq!(v["kind"], "postgres");
    assert_eq!(v["row_counts"]["services"], 3);
    s.ok(&["catalog", "disable", "WEB-PRO"]);
    let r = s.json(&["restore", &path, "--yes"]);
    assert!(
        r["pre_restore_backup"]
            .as_str()
            .unwrap()
            .ends_with(".pgdump")
    );
    let list = s.json(&["catalog", "list"]);
    assert!(list.as_array().unwrap().iter().all(|e| e["active"] == true));
    assert_eq!(
        s.json(&["healthcheck"])["checks"]["database"]["status"],
        "pass"
    );
}

/// The example configuration loads, with its defaults and with every commented key switched on.
#[test]
fn the_example_configuration_loads_with_every_key() {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/wetech.example.toml"
    ))
    .unwrap();
    // Every commented-out `# key = value` line, except the second database URL and the multi-line PEM.
    let mut all_on = String::new();
    let mut switched = 0;
    for line in example.lines() {
        let candidate = line.strip_prefix("# ").filter(|rest| {
            let key = rest.split(" = ").next().unwrap_or_default();
            rest.contains(" = ")
                && !key.is_empty()
                && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                && !matches!(key, "url" | "public_key_pem")
        });
        match candidate {
            Some(setting) => {
                all_on.push_str(setting);
                switched += 1;
            }
            None => all_on.push_str(line),
        }
        all_on.push('\n');
    }
    assert!(switched >= 15, "only {switched} commented keys found");
    for (name, content) in [("defaults", example.clone()), ("every key", all_on)] {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("wetech.toml");
        std::fs::write(&config, content).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_ops"))
            .args(["--json", "--config"])
            .arg(&config)
            .arg("healthcheck")
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert!(
            !stderr.contains("configuration error") && !stderr.contains("invalid setting"),
            "{name}: {stderr}"
        );
        // The relative paths of the example resolve in the working directory (nothing exists yet).
        let j: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{name}: {e}: {stderr}"));
        assert_eq!(j["checks"]["media"]["status"], "fail", "{name}");
    }
}

#[test]
fn reconcile_on_an_idle_database_and_its_bad_usage() {
    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    let v = s.json(&["reconcile", "--older-than", "0"]);
    assert_eq!(v["checked"], 0);
    assert_eq!(v["older_than_seconds"], 0);
    assert!(s.ok(&["reconcile"]).contains("no payment attempt open"));
    for bad in [
        &["reconcile", "--older-than", "abc"][..],
        &["reconcile", "--older-than", "-5"],
        &["reconcile", "extra"],
    ] {
        let out = s.ops(bad);
        assert_eq!(out.status.code(), Some(2), "ops {bad:?}");
        assert!(!text(&out.stderr).is_empty());
    }
}

#[test]
fn pesapal_register_ipn_finds_or_registers_and_prints_the_id() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt
        .block_on(async { wetech_gateway_sim::Simulator::default().spawn() })
        .unwrap();
    let s = Setup::sqlite();
    let mut config = std::fs::OpenOptions::new()
        .append(true)
        .open(&s.config)
        .unwrap();
    write!(
        config,
        "\n[payments]\nmode = \"sandbox\"\n\n[payments.pesapal]\nbase_url = \"{}\"\nconsumer_key = \"key\"\nconsumer_secret = \"secret\"\n",
        sim.pesapal_base_url()
    )
    .unwrap();
    drop(config);
    let out = s.ops(&["pesapal", "register-ipn"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("ops migrate"),
        "{}",
        text(&out.stderr)
    );
    s.ok(&["migrate"]);
    let first = s.ok(&[
        "pesapal",
        "register-ipn",
        "https://shop.example.co.tz/payments/pesapal/ipn",
    ]);
    let id = last_line(&first).to_owned();
    assert!(!id.is_empty() && first.contains("registered"), "{first}");
    // Registering again finds the same id instead of creating a second registration.
    let again = s.json(&[
        "pesapal",
        "register-ipn",
        "https://shop.example.co.tz/payments/pesapal/ipn",
    ]);
    assert_eq!(again["ipn_id"], id.as_str());
    assert_eq!(
        again["url"],
        "https://shop.example.co.tz/payments/pesapal/ipn"
    );
    // Bad usage and an unreachable gateway.
    assert_eq!(
        s.ops(&["pesapal", "register-ipn", "not-a-url"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(s.ops(&["pesapal"]).status.code(), Some(2));
    rt.block_on(sim.stop());
    let out = s.ops(&[
        "pesapal",
        "register-ipn",
        "https://shop.example.co.tz/payments/pesapal/ipn",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("ops: error"),
        "{}",
        text(&out.stderr)
    );
}

/// The restore drill of docs/operations.md, run as written (only the site's directory and
/// configuration path are swapped for temporary ones), against a site with a nightly backup.
#[test]
fn the_restore_drill_in_the_runbook_works() {
    let runbook = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/operations.md"
    ))
    .unwrap();
    let after = runbook
        .split("### Restore drill")
        .nth(1)
        .expect("a Restore drill section");
    let block = after
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("a sh block");
    assert!(block.contains("cd /var/lib/wetech") && block.contains("/etc/wetech/wetech.toml"));

    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    s.ok(&[
        "catalog",
        "set",
        "SEO",
        "--name",
        "Search engine optimisation",
        "--price",
        "300000",
        "--currency",
        "TZS",
    ]);
    s.ok(&["backup"]);
    let script = block
        .replace(
            "cd /var/lib/wetech",
            &format!("cd {}", s.dir.path().display()),
        )
        .replace("/etc/wetech/wetech.toml", s.config.to_str().unwrap());
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_ops")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = Command::new("bash");
    c.arg("-e").arg("-c").arg(&script).env("PATH", path);
    for (k, _) in std::env::vars() {
        if k.starts_with("WETECH") {
            c.env_remove(k);
        }
    }
    let out = c.output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "drill failed:\n{stdout}\n{}",
        text(&out.stderr)
    );
    assert_eq!(last_line(&stdout), "restore drill passed");
    assert!(
        stdout.contains("SEO"),
        "the restored catalogue is listed: {stdout}"
    );
    // The live site kept its database and gained no pre-restore copy.
    let names: Vec<String> = std::fs::read_dir(s.path("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

/// Runs `ops` with its stdout closed before it writes anything (`ops … | head -0`).
fn ops_with_closed_stdout(s: &Setup, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ops"));
    c.arg("--config")
        .arg(&s.config)
        .args(args)
        .current_dir(s.dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("WETECH") || k == "RUST_LOG" {
            c.env_remove(k);
        }
    }
    let mut child = c.spawn().unwrap();
    drop(child.stdout.take());
    let mut stderr = Vec::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    Output {
        status,
        stdout: Vec::new(),
        stderr,
    }
}

#[test]
fn a_closed_stdout_does_not_change_the_exit_status() {
    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    for (args, code) in [
        (&["healthcheck"][..], 0),
        (&["--json", "healthcheck"], 0),
        (&["backup"], 0),
        (&["catalog", "list"], 0),
        (&["migrate"], 0),
        (&["--help"], 0),
        (&["backup", "verify", "/nonexistent.sqlite3"], 1),
    ] {
        let out = ops_with_closed_stdout(&s, args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "ops {args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "ops {args:?}: {stderr}");
    }
    // The backup was still taken.
    assert!(std::fs::read_dir(s.path("backups")).unwrap().count() >= 1);
    // A failing health check still exits 1.
    std::fs::remove_dir_all(s.path("media")).unwrap();
    let out = ops_with_closed_stdout(&s, &["healthcheck"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"));
}

#[test]
fn healthcheck_url_parses_the_url_and_hides_credentials() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ops"))
            .args(args)
            .env_remove("WETECH_CONFIG")
            .output()
            .unwrap()
    };
    let ready = serve(200);
    for url in [
        format!("{ready}/health/ready/"),
        format!("{ready}/health/ready"),
    ] {
        let out = run(&["healthcheck", "--url", &url]);
        // The one-shot server answers only /health/ready/ (the test server does not know the
        // slash-less form): what matters is that the path is not doubled.
        let stdout = text(&out.stdout);
        assert!(!stdout.contains("/health/ready/health"), "{stdout}");
        if url.ends_with('/') {
            assert_eq!(out.status.code(), Some(0), "{stdout} {}", text(&out.stderr));
        }
    }
    for url in [
        format!("{ready}/?x=1"),
        format!("{ready}/#frag"),
        "ftp://h/".to_owned(),
    ] {
        let out = run(&["healthcheck", "--url", &url]);
        assert_eq!(out.status.code(), Some(2), "{url}: {}", text(&out.stdout));
    }
    let with_password = ready.replacen("http://", "http://admin:hunter2@", 1);
    for args in [
        &["healthcheck", "--url", &with_password][..],
        &["--json", "healthcheck", "--url", &with_password],
        &["healthcheck", "--url", &format!("{with_password}/?q=1")],
    ] {
        let out = run(args);
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains("hunter2"), "{args:?}: {all}");
        assert!(!all.contains("admin"), "{args:?}: {all}");
    }
    let out = run(&["healthcheck", "--url", &with_password]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn commands_on_a_missing_database_say_to_migrate_and_create_nothing() {
    let s = Setup::sqlite();
    let db = s.path("data/wetech.sqlite3");
    for args in [
        &["catalog", "list"][..],
        &["catalog", "disable", "WEB-X"],
        &["pesapal", "register-ipn"],
        &["reconcile"],
    ] {
        let out = s.ops(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "ops {args:?}: {stderr}");
        assert!(stderr.contains("ops migrate"), "ops {args:?}: {stderr}");
        assert!(stderr.contains("does not exist"), "ops {args:?}: {stderr}");
        assert!(
            !stderr.contains("database error: database error"),
            "{stderr}"
        );
        assert!(!db.exists(), "ops {args:?} created {}", db.display());
    }
    // An existing but unmigrated database: pending migrations, not "no such table".
    std::fs::create_dir_all(s.path("data")).unwrap();
    std::fs::write(&db, b"").unwrap();
    let out = s.ops(&["catalog", "list"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("pending migration"), "{stderr}");
    assert!(!stderr.contains("no such table"), "{stderr}");
}

#[test]
fn a_malformed_database_url_never_shows_its_password() {
    for url in [
        "postgres://u:sekret1@[bad/db",
        "postgres://u:sekret1@h:port/db",
        "postgresql://u:sekret1@h/db?a=b=c",
    ] {
        for args in [&["healthcheck"][..], &["backup"], &["catalog", "list"]] {
            let out = ops_env(args, &[("WETECH__DATABASE__URL", url)]);
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert_eq!(out.status.code(), Some(1), "{url} {args:?}: {all}");
            assert!(all.contains("database.url"), "{url} {args:?}: {all}");
            assert!(!all.contains("sekret1"), "{url} {args:?}: {all}");
        }
    }
    // Unreachable: the connection error is shown without the password.
    for url in [
        "postgres://u:sekret1@127.0.0.1:1/db",
        "postgres://u@127.0.0.1:1/db?password=sekret1",
    ] {
        for args in [&["healthcheck"][..], &["catalog", "list"]] {
            let out = ops_env(args, &[("WETECH__DATABASE__URL", url)]);
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert_eq!(out.status.code(), Some(1), "{url} {args:?}: {all}");
            assert!(!all.contains("sekret1"), "{url} {args:?}: {all}");
        }
    }
}

/// `ops catalog set` refuses a price in a currency no enabled gateway takes (exit 1, naming
/// each enabled gateway and what it takes): such a price would be offered and the payment
/// would then fail.
#[test]
fn catalog_set_refuses_a_currency_no_enabled_gateway_takes() {
    let set = |s: &Setup, currency: &str| {
        s.ops(&[
            "catalog",
            "set",
            "WEB-INTL",
            "--name",
            "Website abroad",
            "--price",
            "1000",
            "--currency",
            currency,
        ])
    };
    // Development: the simulator enables both gateways.
    let dev = Setup::sqlite();
    dev.ok(&["migrate"]);
    for currency in ["EGP", "SAR"] {
        let out = set(&dev, currency);
        assert_eq!(out.status.code(), Some(1), "{currency}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(&format!("no enabled payment gateway takes {currency}"))
                && stderr.contains("pesapal takes TZS")
                && stderr.contains("azampay takes TZS"),
            "{stderr}"
        );
    }
    let listed = dev.json(&["catalog", "list"]);
    assert!(
        !listed
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["code"] == "WEB-INTL"),
        "{listed}"
    );

    // Only AzamPay configured: TZS only.
    let azampay_only = Setup::sqlite();
    let mut config = std::fs::read_to_string(&azampay_only.config).unwrap();
    config.push_str(
        "\n[payments]\nmode = \"sandbox\"\n\n[payments.azampay]\napp_name = \"wetech\"\n\
         client_id = \"id\"\nclient_secret = \"secret\"\ncallback_token = \"callback-token-0123456789\"\n",
    );
    std::fs::write(&azampay_only.config, config).unwrap();
    azampay_only.ok(&["migrate"]);
    let out = set(&azampay_only, "KES");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no enabled payment gateway takes KES: azampay takes TZS"),
        "{stderr}"
    );
    let out = set(&azampay_only, "TZS");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// Every currency the default catalogue prices in can be paid by at least one gateway, whichever
/// one alone is enabled.
#[test]
fn every_catalogue_currency_is_payable_by_an_enabled_gateway() {
    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    let listed = s.json(&["catalog", "list"]);
    let currencies: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["currency"].as_str().unwrap().to_owned())
        .collect();
    assert!(!currencies.is_empty());
    let settings = |vars: &[(&str, &str)]| {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        wetech_runtime::Settings::load_from(None, vars).unwrap()
    };
    let pesapal_only = settings(&[
        ("WETECH__PAYMENTS__MODE", "sandbox"),
        ("WETECH__PAYMENTS__PESAPAL__CONSUMER_KEY", "key"),
        ("WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET", "secret"),
    ]);
    let azampay_only = settings(&[
        ("WETECH__PAYMENTS__MODE", "sandbox"),
        ("WETECH__PAYMENTS__AZAMPAY__APP_NAME", "wetech"),
        ("WETECH__PAYMENTS__AZAMPAY__CLIENT_ID", "id"),
        ("WETECH__PAYMENTS__AZAMPAY__CLIENT_SECRET", "secret"),
        (
            "WETECH__PAYMENTS__AZAMPAY__CALLBACK_TOKEN",
            "callback-token-0123456789",
        ),
    ]);
    for settings in [settings(&[]), pesapal_only, azampay_only] {
        for currency in &currencies {
            assert!(
                wetech_runtime::gateways_taking(&settings, currency).is_ok(),
                "{currency} with {:?}",
                wetech_runtime::enabled_gateway_list(&settings)
            );
        }
    }
}
