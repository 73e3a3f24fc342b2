//! Signed-in page reads, one at a time: the back-office benchmark (`scripts/bench-backoffice.sh`,
//! docs/benchmarks.md "Back office on 1 000 000 leads"). Each page is asked for a number of times
//! in a row over one keep-alive connection with the session's cookie; every answer must be 200,
//! read to its end.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use url::Url;

use crate::stats::{Recorder, Summary, fmt_ms};

/// One page to measure: its name in the report and its path with the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Its name in the report, e.g. "leads, page 200".
    pub label: String,
    /// Path and query, e.g. `/admin/leads?page=200`.
    pub path: String,
}

impl std::str::FromStr for Page {
    type Err = String;

    /// `LABEL=PATH`, the path beginning with `/`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((label, path)) if !label.is_empty() && path.starts_with('/') => Ok(Page {
                label: label.to_owned(),
                path: path.to_owned(),
            }),
            _ => Err(format!("expected LABEL=/path, not {s:?}")),
        }
    }
}

/// Asks for `page` `warm_up` times unmeasured, then `requests` times measured.
///
/// # Errors
/// The page's address cannot be made from `origin`.
pub async fn measure(
    client: &reqwest::Client,
    origin: &Url,
    cookie: &str,
    page: &Page,
    warm_up: u32,
    requests: u32,
) -> anyhow::Result<Summary> {
    let url = origin
        .join(&page.path)
        .with_context(|| format!("the address of {}", page.path))?;
    let mut recorder = Recorder::new();
    for _ in 0..warm_up {
        let _ = get(client, &url, cookie).await;
    }
    let started = Instant::now();
    for _ in 0..requests {
        let sent = Instant::now();
        match get(client, &url, cookie).await {
            Ok(()) => recorder.success(sent.elapsed()),
            Err(kind) => recorder.error(kind),
        }
    }
    Ok(recorder.summarize(started.elapsed()))
}

async fn get(client: &reqwest::Client, url: &Url, cookie: &str) -> Result<(), String> {
    let response = client
        .get(url.clone())
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    let status = response.status();
    response.bytes().await.map_err(|e| format!("body: {e}"))?;
    if status == reqwest::StatusCode::OK {
        Ok(())
    } else {
        Err(format!("status {}", status.as_u16()))
    }
}

/// The header of [`row`]'s table.
pub const TABLE_HEADER: &str = "| page | requests | errors | p50 ms | p99 ms | target p99 | |\n|---|---:|---:|---:|---:|---:|---|";

/// Whether `summary` meets the target: no error and p99 under `target`.
#[must_use]
pub fn met(summary: &Summary, target: Duration) -> bool {
    summary.errors == 0 && summary.p99.is_some_and(|p99| p99 < target)
}

/// One line of the report's table.
#[must_use]
pub fn row(page: &Page, summary: &Summary, target: Duration) -> String {
    format!(
        "| {} | {} | {} | {} | {} | < {} ms | {} |",
        page.label,
        summary.successes + summary.errors,
        summary.errors,
        fmt_ms(summary.p50),
        fmt_ms(summary.p99),
        target.as_millis(),
        if met(summary, target) {
            "met"
        } else {
            "**missed**"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_a_label_and_a_path() {
        let page: Page = "leads, page 200=/admin/leads?page=200".parse().unwrap();
        assert_eq!(page.label, "leads, page 200");
        assert_eq!(page.path, "/admin/leads?page=200");
        for bad in ["/admin/", "=/admin/", "x=admin", "x"] {
            assert!(bad.parse::<Page>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_target_is_missed_by_a_slow_p99_or_any_error() {
        let target = Duration::from_millis(100);
        let mut fast = Recorder::new();
        (0..200).for_each(|_| fast.success(Duration::from_millis(5)));
        let summary = fast.clone().summarize(Duration::from_secs(1));
        assert!(met(&summary, target));
        assert!(
            row(
                &Page {
                    label: "l".into(),
                    path: "/".into()
                },
                &summary,
                target
            )
            .ends_with("| met |")
        );
        fast.error("status 500");
        assert!(!met(&fast.summarize(Duration::from_secs(1)), target));
        let mut slow = Recorder::new();
        (0..200).for_each(|_| slow.success(Duration::from_millis(150)));
        assert!(!met(&slow.summarize(Duration::from_secs(1)), target));
        assert!(
            !met(&Recorder::new().summarize(Duration::ZERO), target),
            "nothing measured"
        );
    }
}
