//! `ops healthcheck [--url URL]`: exit 0 for pass or warn, 1 for fail.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use wetech_app::Settings;
use wetech_ops::{HealthReport, Status};
use wetech_persistence::{DatabaseSettings, DbConnectionManager};

use crate::output;
use crate::{Failure, Outcome};

/// How long `--url` waits for the server.
const REMOTE_TIMEOUT: Duration = Duration::from_secs(3);

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// The same checks as `/health/`, against the configured database and directories. An SQLite
/// file that does not exist is reported as failing, never created.
pub(crate) fn local(settings: &Settings, json: bool) -> Outcome {
    let probe_settings = match settings.database.sqlite_path() {
        Some(path) => DatabaseSettings::new(no_create_uri(&path)?).with_pool_size(2),
        None => settings.database.clone().with_pool_size(2),
    };
    let manager = DbConnectionManager::new(&probe_settings)?;
    let timeout = Duration::from_millis(settings.health.check_timeout_ms);
    let pool = r2d2::Pool::builder()
        .max_size(2)
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .build_unchecked(manager);
    let context = wetech_app::health_context(settings, pool);
    let report = runtime()?.block_on(context.check());
    if json {
        output::print_json(&report)?;
    } else {
        print_report(&report);
    }
    match report.status {
        Status::Pass | Status::Warn => Ok(()),
        Status::Fail => Err(Failure::Reported),
    }
}

fn print_report(r: &HealthReport) {
    println!("{} (version {})", r.status.as_str(), r.version);
    let c = &r.checks;
    let db = match (&c.database.latency_ms, &c.database.error) {
        (_, Some(e)) => e.clone(),
        (Some(ms), None) => format!("answered in {ms} ms"),
        (None, None) => String::new(),
    };
    println!("  database  {:4}  {db}", c.database.status.as_str());
    let disk = match (&c.disk.error, c.disk.free_bytes, c.disk.free_percent) {
        (Some(e), _, _) => e.clone(),
        (None, Some(free), Some(pct)) => format!("{} free ({pct:.1}%)", output::bytes(free)),
        _ => String::new(),
    };
    println!("  disk      {:4}  {disk}", c.disk.status.as_str());
    println!(
        "  media     {:4}  {}",
        c.media.status.as_str(),
        c.media.detail.as_deref().unwrap_or("")
    );
    println!(
        "  static    {:4}  {}",
        c.static_assets.status.as_str(),
        c.static_assets.detail.as_deref().unwrap_or("")
    );
}

/// An SQLite URI that opens the file read-write but never creates it.
fn no_create_uri(path: &Path) -> Result<String, Failure> {
    let text = path
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("{} is not valid UTF-8", path.display()))?;
    if text.starts_with("file:") {
        return Ok(text.to_owned());
    }
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut uri = String::from("file:");
    for b in absolute.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b'~') {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?mode=rw");
    Ok(uri)
}

/// What `--url --json` prints.
#[derive(Serialize)]
struct Remote {
    url: String,
    status: &'static str,
    http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Asks a running server's `/health/ready/`: 200 passes, anything else (or no answer within 3 s)
/// fails.
pub(crate) fn remote(base: &str, json: bool) -> Outcome {
    let parsed = url::Url::parse(base)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            Failure::Usage(format!(
                "--url {base:?}: expected a base URL such as http://127.0.0.1:8000"
            ))
        })?;
    let url = format!("{}/health/ready/", parsed.as_str().trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(REMOTE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = runtime()?.block_on(async {
        let response = client.get(&url).send().await?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        Ok::<_, reqwest::Error>((status, body))
    });
    let remote = match answer {
        Ok((code, body)) => Remote {
            status: if code == 200 { "pass" } else { "fail" },
            http_status: Some(code),
            response: serde_json::from_str(&body).ok(),
            error: None,
            url,
        },
        Err(e) => Remote {
            status: "fail",
            http_status: None,
            response: None,
            error: Some(if e.is_timeout() {
                format!("no answer within {} s", REMOTE_TIMEOUT.as_secs())
            } else {
                format!("cannot reach the server: {}", error_chain(&e))
            }),
            url,
        },
    };
    if json {
        output::print_json(&remote)?;
    } else {
        match (&remote.http_status, &remote.error) {
            (Some(code), _) => println!("{}: HTTP {code} from {}", remote.status, remote.url),
            (None, Some(e)) => println!("{}: {e} ({})", remote.status, remote.url),
            (None, None) => println!("{}", remote.status),
        }
        if let Some(reason) = remote
            .response
            .as_ref()
            .and_then(|r| r.get("error"))
            .and_then(|e| e.as_str())
        {
            println!("  {reason}");
        }
    }
    if remote.status == "pass" {
        Ok(())
    } else {
        Err(Failure::Reported)
    }
}

/// The innermost cause (e.g. "Connection refused (os error 111)"): reqwest's outer messages
/// repeat the URL.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut innermost = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        innermost = s.to_string();
        source = s.source();
    }
    innermost
}
