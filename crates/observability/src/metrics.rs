//! The process-wide metrics recorder and its Prometheus text rendering.
//!
//! The library crates record through the `metrics` facade (`metrics::counter!` and friends): it
//! is a few macros over a trait object, so `wetech-payments` can record its gateway calls without
//! depending on this crate or on an exporter (CONTRACT §11). The binaries install the recorder
//! of `metrics-exporter-prometheus`, which keeps the values and renders the text format; `web`
//! serves that text on its own listener. Until a recorder is installed every record is a no-op,
//! which is what "metrics off" is.

use std::sync::{Mutex, PoisonError};

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// `http_requests_total{method,route,status}`: requests answered.
pub const HTTP_REQUESTS_TOTAL: &str = "http_requests_total";
/// `http_request_duration_seconds{method,route}`: time to answer, a histogram.
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "http_request_duration_seconds";
/// `process_resident_memory_bytes`: the process's resident set size, read at each scrape.
pub const PROCESS_RESIDENT_MEMORY_BYTES: &str = "process_resident_memory_bytes";

/// Histogram buckets in seconds, for both request and gateway-call durations: from 5 ms (a
/// cached page) to 30 s (beyond the gateways' 15 s timeout).
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0,
];

/// Every series the service records, with its kind, unit and help text (the `# HELP` lines, which
/// `promtool check metrics` requires). The names recorded by `wetech-app` and `wetech-payments`
/// are repeated here as text since those crates do not depend on this one; the scrape test of
/// `web` checks that each of them appears.
const SERIES: &[(&str, Kind, Option<Unit>, &str)] = &[
    (
        HTTP_REQUESTS_TOTAL,
        Kind::Counter,
        None,
        "HTTP requests answered, by method, matched route pattern and status.",
    ),
    (
        HTTP_REQUEST_DURATION_SECONDS,
        Kind::Histogram,
        Some(Unit::Seconds),
        "Time to answer an HTTP request, by method and matched route pattern.",
    ),
    (
        "wetech_leads_total",
        Kind::Counter,
        None,
        "Leads recorded (each with its invoice); idempotent replays are not counted.",
    ),
    (
        "wetech_payments_started_total",
        Kind::Counter,
        None,
        "Payment attempts started, by gateway.",
    ),
    (
        "wetech_payment_outcomes_total",
        Kind::Counter,
        None,
        "Verified gateway results applied to an attempt, by gateway and outcome.",
    ),
    (
        "wetech_gateway_request_duration_seconds",
        Kind::Histogram,
        Some(Unit::Seconds),
        "Time of one call to a payment gateway, by gateway, operation and outcome.",
    ),
    (
        "wetech_attempts_in_review",
        Kind::Gauge,
        None,
        "Payment attempts waiting for a person (under review).",
    ),
    (
        "wetech_outbox_messages",
        Kind::Gauge,
        None,
        "E-mail outbox messages, by state (waiting, failed).",
    ),
    (
        "wetech_db_pool_connections",
        Kind::Gauge,
        None,
        "Database pool connections, by state (idle, in_use).",
    ),
    (
        PROCESS_RESIDENT_MEMORY_BYTES,
        Kind::Gauge,
        Some(Unit::Bytes),
        "Resident memory size of the process in bytes.",
    ),
];

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// The Prometheus recorder could not be installed: another recorder (not ours) holds the
/// process-wide slot.
#[derive(Debug, thiserror::Error)]
#[error("cannot install the Prometheus metrics recorder")]
pub struct MetricsError(#[source] Box<dyn std::error::Error + Send + Sync>);

/// The installed recorder: renders every series in the Prometheus text format.
///
/// The recorder is process-wide (the `metrics` facade has one global slot), so [`Metrics::install`]
/// installs it once and hands out the same handle afterwards; several servers in one process
/// (the tests) share it.
#[derive(Clone)]
pub struct Metrics {
    handle: PrometheusHandle,
}

static INSTALLED: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

impl Metrics {
    /// Installs the Prometheus recorder (histogram buckets, help texts) unless this process
    /// already did, and returns its handle.
    ///
    /// # Errors
    /// [`MetricsError`] when a recorder of another kind was installed first.
    pub fn install() -> Result<Metrics, MetricsError> {
        let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(handle) = installed.as_ref() {
            return Ok(Metrics {
                handle: handle.clone(),
            });
        }
        let handle = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .map_err(|e| MetricsError(Box::new(e)))?
            .install_recorder()
            .map_err(|e| MetricsError(Box::new(e)))?;
        for &(name, kind, unit, help) in SERIES {
            match (kind, unit) {
                (Kind::Counter, None) => describe_counter!(name, help),
                (Kind::Counter, Some(unit)) => describe_counter!(name, unit, help),
                (Kind::Gauge, None) => describe_gauge!(name, help),
                (Kind::Gauge, Some(unit)) => describe_gauge!(name, unit, help),
                (Kind::Histogram, None) => describe_histogram!(name, help),
                (Kind::Histogram, Some(unit)) => describe_histogram!(name, unit, help),
            }
        }
        *installed = Some(handle.clone());
        Ok(Metrics { handle })
    }

    /// Every series in the Prometheus text format (version 0.0.4), after reading the process's
    /// resident memory.
    #[must_use]
    pub fn render(&self) -> String {
        if let Some(bytes) = resident_memory_bytes() {
            // A gauge holds an f64; memory sizes stay far below 2^53.
            #[expect(clippy::cast_precision_loss, reason = "resident sizes are below 2^53")]
            metrics::gauge!(PROCESS_RESIDENT_MEMORY_BYTES).set(bytes as f64);
        }
        self.handle.run_upkeep();
        self.handle.render()
    }
}

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The resident set size from `/proc/self/status` (`VmRSS`, in kB); `None` off Linux.
fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_rss(&status)
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kb.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_rss_is_read_in_bytes() {
        let status = "Name:\tweb\nVmPeak:\t  2000 kB\nVmRSS:\t    1234 kB\nThreads:\t4\n";
        assert_eq!(parse_vm_rss(status), Some(1234 * 1024));
        assert_eq!(parse_vm_rss("Name:\tweb\n"), None);
    }

    #[test]
    fn install_twice_gives_one_recorder_and_renders_help_and_memory() {
        let a = Metrics::install().unwrap();
        let b = Metrics::install().unwrap();
        metrics::counter!("wetech_leads_total").increment(1);
        let text = b.render();
        assert!(text.contains("# HELP wetech_leads_total"), "{text}");
        assert!(text.contains("# TYPE wetech_leads_total counter"), "{text}");
        if cfg!(target_os = "linux") {
            assert!(text.contains("process_resident_memory_bytes "), "{text}");
        }
        assert!(a.render().contains("wetech_leads_total"));
    }

    #[test]
    fn every_series_has_help() {
        for (name, _, _, help) in SERIES {
            assert!(!help.is_empty(), "{name}");
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
        }
    }
}
