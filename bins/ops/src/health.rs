//! `ops healthcheck [--url URL]`: exit 0 for pass or warn, 1 for fail.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use wetech_ops::{HealthReport, Status};
use wetech_persistence::{DatabaseSettings, DbConnectionManager};
use wetech_runtime::Settings;

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
    let context = wetech_runtime::health_context(settings, pool);
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
    outln!("{} (version {})", r.status.as_str(), r.version);
    let c = &r.checks;
    let db = match (&c.database.latency_ms, &c.database.error) {
        (_, Some(e)) => e.clone(),
        (Some(ms), None) => format!("answered in {ms} ms"),
        (None, None) => String::new(),
    };
    outln!("  database  {:4}  {db}", c.database.status.as_str());
    let disk = match (&c.disk.error, c.disk.free_bytes, c.disk.free_percent) {
        (Some(e), _, _) => e.clone(),
        (None, Some(free), Some(pct)) => format!("{} free ({pct:.1}%)", output::bytes(free)),
        _ => String::new(),
    };
    outln!("  disk      {:4}  {disk}", c.disk.status.as_str());
    outln!(
        "  media     {:4}  {}",
        c.media.status.as_str(),
        c.media.detail.as_deref().unwrap_or("")
    );
    outln!(
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
    Ok(wetech_ops::sqlite_file_uri(path, "mode=rw")?)
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
    let (target, shown) = probe_url(base).map_err(Failure::Usage)?;
    let url = shown.to_string();
    let client = reqwest::Client::builder()
        .timeout(REMOTE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = runtime()?.block_on(async {
        let response = client.get(target).send().await?;
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
            (Some(code), _) => outln!("{}: HTTP {code} from {}", remote.status, remote.url),
            (None, Some(e)) => outln!("{}: {e} ({})", remote.status, remote.url),
            (None, None) => outln!("{}", remote.status),
        }
        if let Some(reason) = remote
            .response
            .as_ref()
            .and_then(|r| r.get("error"))
            .and_then(|e| e.as_str())
        {
            outln!("  {reason}");
        }
    }
    if remote.status == "pass" {
        Ok(())
    } else {
        Err(Failure::Reported)
    }
}

/// The path every probe asks.
const READY_PATH: &str = "/health/ready/";

/// The readiness URL for `--url base`, and the same URL with any user name and password
/// removed, for printing. A base whose path already ends in `/health/ready/` (or without the
/// slash) is used as it is; otherwise `/health/ready/` is appended to its path. Only http and
/// https with a host are accepted; a query or fragment is refused. The error (a usage message)
/// never repeats a password.
fn probe_url(base: &str) -> Result<(url::Url, url::Url), String> {
    let usage = |why: &str| {
        format!(
            "--url {:?}: {why}; expected a base URL such as http://127.0.0.1:8000",
            redact_userinfo(base)
        )
    };
    let mut url = url::Url::parse(base).map_err(|e| usage(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(usage("only http:// and https:// URLs with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(usage("a query (?…) or fragment (#…) is not allowed"));
    }
    let path = url.path();
    if !(path.ends_with(READY_PATH) || path.ends_with("/health/ready")) {
        let joined = format!("{}{READY_PATH}", path.trim_end_matches('/'));
        url.set_path(&joined);
    }
    let mut shown = url.clone();
    // Cannot fail for http(s) URLs with a host.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    Ok((url, shown))
}

/// `text` with anything between `://` and the last `@` of the authority replaced by `***`, for
/// echoing a URL that did not parse.
fn redact_userinfo(text: &str) -> String {
    let (scheme, rest) = match text.find("://") {
        Some(i) => (&text[..i + 3], &text[i + 3..]),
        None => ("", text),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}***{}", &rest[at..]),
        None => text.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(base: &str) -> String {
        probe_url(base).unwrap().0.to_string()
    }

    #[test]
    fn the_probe_path_is_appended_once() {
        assert_eq!(probe("http://h:8000"), "http://h:8000/health/ready/");
        assert_eq!(probe("http://h:8000/"), "http://h:8000/health/ready/");
        assert_eq!(probe("http://h/app"), "http://h/app/health/ready/");
        assert_eq!(probe("http://h/app/"), "http://h/app/health/ready/");
        assert_eq!(probe("http://h/health/ready/"), "http://h/health/ready/");
        assert_eq!(probe("http://h/health/ready"), "http://h/health/ready");
        assert_eq!(
            probe("https://h/app/health/ready/"),
            "https://h/app/health/ready/"
        );
    }

    #[test]
    fn queries_fragments_and_other_schemes_are_refused() {
        for bad in [
            "http://h/?x=1",
            "http://h/#top",
            "http://h?x",
            "ftp://h/",
            "file:///etc/passwd",
            "not a url",
            "http://",
            "unix:/run/x.sock",
        ] {
            assert!(probe_url(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn credentials_are_never_shown() {
        let (target, shown) = probe_url("http://admin:hunter2@h:1/").unwrap();
        assert_eq!(target.password(), Some("hunter2"), "still sent");
        assert!(!shown.to_string().contains("hunter2"));
        assert!(!shown.to_string().contains("admin"));
        let e = probe_url("http://admin:hunter2@h:1/?q").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        let e = probe_url("http://admin:hunter2@h:port/").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        let e = probe_url("ftp://admin:hunter2@h/").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
