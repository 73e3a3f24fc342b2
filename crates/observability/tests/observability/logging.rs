//! The subscriber: bunyan format, level split between the files, settings and init errors.

use crate::helpers::{Capture, NAME, lines, with_msg};
use wetech_observability::{InitError, LogSettings, MemorySink, try_init};

#[test]
fn every_line_is_a_bunyan_record() {
    let (capture, subscriber) = Capture::new("info");
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("use case", invoice_id = 42);
        let _entered = span.enter();
        tracing::info!(answer = 42, "hello");
        tracing::warn!("careful");
        tracing::error!("broken");
    });
    let out = capture.finish();
    for (name, text) in out.all() {
        let parsed = lines(text);
        assert!(!parsed.is_empty(), "{name} is empty");
        for line in &parsed {
            assert_eq!(line["v"], 0, "{name}: {line}");
            assert_eq!(line["name"], NAME, "{name}: {line}");
            assert!(line["msg"].is_string(), "{name}: {line}");
            assert!([10, 20, 30, 40, 50, 60].contains(&line["level"].as_i64().unwrap()));
            assert!(!line["hostname"].as_str().unwrap().is_empty());
            assert_eq!(line["pid"].as_u64(), Some(u64::from(std::process::id())));
            let time = line["time"].as_str().unwrap();
            assert!(
                chrono::DateTime::parse_from_rfc3339(time).is_ok(),
                "time {time}"
            );
        }
    }
    let stdout = lines(&out.sink);
    let hello = with_msg(&stdout, "hello");
    assert_eq!(hello.len(), 1);
    assert_eq!(hello[0]["level"], 30);
    assert_eq!(hello[0]["answer"], 42);
    assert_eq!(
        hello[0]["invoice_id"], 42,
        "span fields are on the event: {}",
        hello[0]
    );
}

#[test]
fn app_log_gets_info_and_above_errors_log_gets_only_errors() {
    let (capture, subscriber) = Capture::new("debug");
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("HTTP request", request_id = "req-1");
        let _entered = span.enter();
        tracing::debug!("debug line");
        tracing::info!("info line");
        tracing::warn!("warn line");
        tracing::error!("error line");
    });
    let out = capture.finish();
    let levels = |text: &str| {
        let mut found: Vec<(String, i64)> = lines(text)
            .iter()
            .filter(|l| l["msg"].as_str().unwrap().contains(" line"))
            .map(|l| {
                (
                    l["msg"].as_str().unwrap().to_owned(),
                    l["level"].as_i64().unwrap(),
                )
            })
            .collect();
        found.sort_by_key(|(_, level)| *level);
        found
            .into_iter()
            .map(|(_, level)| level)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        levels(&out.sink),
        [20, 30, 40, 50],
        "the sink follows the filter"
    );
    assert_eq!(levels(&out.app), [30, 40, 50], "app.log: info and above");
    assert_eq!(levels(&out.errors), [50], "errors.log: errors only");

    // The span's end line is INFO: in app.log, not in errors.log; its start line nowhere (the
    // end line is the one access line of a request)...
    let app = lines(&out.app);
    assert_eq!(with_msg(&app, "[HTTP REQUEST - END]").len(), 1);
    for (name, text) in out.all() {
        assert!(!text.contains("- START]"), "{name}: {text}");
    }
    let errors = lines(&out.errors);
    assert_eq!(errors.len(), 1, "{}", out.errors);
    // ...but the error event there still carries the span's request id.
    assert_eq!(errors[0]["request_id"], "req-1");
}

#[test]
fn the_filter_decides_what_is_recorded_at_all() {
    let (capture, subscriber) = Capture::new("error");
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!("quiet");
        tracing::error!("loud");
    });
    let out = capture.finish();
    for (name, text) in out.all() {
        assert!(!text.contains("quiet"), "{name}: {text}");
        assert!(text.contains("loud"), "{name}: {text}");
    }
}

#[test]
fn a_log_dir_that_cannot_be_created_is_an_error_naming_log_dir() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let settings = LogSettings {
        dir: blocker.join("logs"),
        level: "info".to_owned(),
        ..LogSettings::default()
    };
    let Err(err) = wetech_observability::subscriber("t", &settings, MemorySink::new()) else {
        panic!("a log dir under a regular file was accepted");
    };
    assert!(matches!(err, InitError::LogFile { .. }), "{err:?}");
    assert!(err.to_string().starts_with("log.dir:"), "{err}");
}

#[test]
fn an_invalid_level_is_an_error_naming_log_level() {
    if std::env::var("RUST_LOG").is_ok_and(|v| !v.trim().is_empty()) {
        eprintln!("SKIPPED: RUST_LOG is set, so log.level is not consulted");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let settings = LogSettings {
        dir: dir.path().to_path_buf(),
        level: "loud".to_owned(),
        ..LogSettings::default()
    };
    let Err(err) = wetech_observability::subscriber("t", &settings, MemorySink::new()) else {
        panic!("an invalid level was accepted");
    };
    assert!(matches!(err, InitError::Settings(_)), "{err:?}");
    assert!(err.to_string().starts_with("log.level:"), "{err}");
}

#[test]
fn the_log_dir_is_created_with_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("var/log/wetech");
    let settings = LogSettings {
        dir: nested.clone(),
        level: "info".to_owned(),
        ..LogSettings::default()
    };
    let (_subscriber, guard) = wetech_observability::subscriber_with_filter(
        "t",
        &settings,
        "info".parse().unwrap(),
        std::io::sink(),
    )
    .unwrap();
    drop(guard);
    assert!(nested.join("app.log").is_file());
    assert!(nested.join("errors.log").is_file());
}

#[test]
fn try_init_installs_once_and_later_calls_are_no_ops() {
    let dir = tempfile::tempdir().unwrap();
    let settings = LogSettings {
        dir: dir.path().to_path_buf(),
        level: "info".to_owned(),
        ..LogSettings::default()
    };
    // No other test in this binary installs a global subscriber (they use scoped ones).
    let first = try_init("t", &settings, wetech_observability::test_sink());
    let second = try_init("t", &settings, wetech_observability::test_sink());
    assert!(first.unwrap(), "the first call installs");
    assert!(!second.unwrap(), "the second call does nothing");
    let Err(err) = wetech_observability::init("t", &settings, std::io::sink()) else {
        panic!("init after try_init succeeded twice");
    };
    assert!(matches!(err, InitError::AlreadyInstalled(_)), "{err:?}");
}

/// `log.keep_days` reaches the file writers: rotated files older than it go when the logs are
/// opened, younger ones and other files stay; `0` keeps everything.
#[test]
fn rotated_files_older_than_keep_days_are_deleted_when_logging_starts() {
    let today = chrono::Utc::now().date_naive();
    let dated = |days: u64| {
        let day = today.checked_sub_days(chrono::Days::new(days)).unwrap();
        day.format("%Y-%m-%d").to_string()
    };
    for (keep_days, expect_old_kept) in [(30, false), (0, true)] {
        let dir = tempfile::tempdir().unwrap();
        let old = [
            format!("app.log.{}", dated(31)),
            format!("errors.log.{}.1", dated(45)),
        ];
        let young = [
            format!("app.log.{}", dated(30)),
            format!("errors.log.{}", dated(1)),
        ];
        for name in old.iter().chain(&young).chain([&"notes.txt".to_owned()]) {
            std::fs::write(dir.path().join(name), "x\n").unwrap();
        }
        let settings = LogSettings {
            dir: dir.path().to_path_buf(),
            keep_days,
            ..LogSettings::default()
        };
        let (_subscriber, guard) =
            wetech_observability::subscriber(NAME, &settings, std::io::sink()).unwrap();
        drop(guard);
        for name in &old {
            assert_eq!(
                dir.path().join(name).exists(),
                expect_old_kept,
                "{name} with keep_days {keep_days}"
            );
        }
        for name in young.iter().chain([&"notes.txt".to_owned()]) {
            assert!(
                dir.path().join(name).exists(),
                "{name} with keep_days {keep_days}"
            );
        }
    }
}
