//! wetech-observability: bunyan JSON logs, request ids, slow-request logging, masking, metrics
//! and error reports.
//!
//! This crate depends on nothing else in the workspace. It gives the binaries:
//!
//! - **Logging** — [`init`] installs one global `tracing` subscriber that writes bunyan JSON lines
//!   (`v`, `name`, `msg`, `level`, `hostname`, `pid`, `time`, plus the fields of the event and of
//!   the spans around it) to a sink chosen by the caller (stdout for `web`) and to two files in
//!   `log.dir`: `app.log` (INFO and above) and `errors.log` (ERROR only). All three go through
//!   non-blocking writers; the returned [`LogGuard`] flushes them when dropped. The filter comes
//!   from `RUST_LOG` when set, else from `log.level`. [`try_init`] and [`subscriber`] serve tests.
//! - **Request ids** — [`RequestTracing`] gives each request a [`RequestId`] (generated, or the
//!   incoming `X-Request-Id` behind a trusted proxy), a span with `request_id`, `method`, `route`,
//!   `status` and `duration_ms`, and the `X-Request-Id` response header.
//! - **Slow requests** — [`SlowRequestLogger`] logs requests slower than the configured
//!   thresholds at WARN / ERROR with `slow_request: true`.
//! - **Masking** — [`mask_email`], [`mask_phone`] and the [`Masked`] display wrapper for the
//!   personal data that must never appear in logs in clear.
//! - **Metrics** — [`Metrics::install`] installs the process-wide Prometheus recorder behind the
//!   `metrics` facade and [`Metrics::render`] gives the text format; [`http_metrics`] counts and
//!   times requests by method, matched route pattern and status (docs/operations.md, "Metrics").
//! - **Error reports** — [`ErrorReports`] sends 5xx answers, panics and failed `ops` commands to
//!   the Sentry-protocol endpoint of `observability.sentry_dsn`, every event scrubbed by
//!   [`scrub_event`] / [`scrub_text`]; [`ErrorReports::middleware`] (`sentry-actix`) gives each
//!   request a hub and [`report_requests`] tags it with the request id, catches a panicking
//!   handler and answers it with the site's 500 (docs/operations.md, "Error reports").
//!
//! # Log files and their rotation
//!
//! The live files are always named exactly `app.log` and `errors.log` (created with mode `0640`).
//! On the first line written on a new UTC day, the previous day's file is renamed to
//! `app.log.YYYY-MM-DD` (the day its lines were written; `.1`, `.2`, … are appended if the name
//! is taken, nothing is ever overwritten) and a fresh `app.log` is opened; at start-up a leftover
//! file last modified on an earlier day is rotated the same way. Several processes (`web` and an
//! `ops` command) may append to the same files: a writer that finds the live file already rotated
//! by another process only reopens it. Rotated files whose day lies more than `log.keep_days`
//! (default 30) back are deleted by the writer at start and after each rotation; `0` keeps them
//! all.
//!
//! A span's end line (`[HTTP REQUEST - END]`) is written at the span's level, with every field
//! recorded on the span and `elapsed_milliseconds`; its start line is left out (it would repeat
//! the fields without the outcome), so a request has exactly one access line. `errors.log` holds
//! only ERROR events, each still carrying the fields of the spans around it (such as
//! `request_id`).
//!
//! # Wiring in the web binary
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use wetech_observability::{
//!     LogSettings, ObservabilitySettings, RequestTracing, SlowRequestLogger, init,
//! };
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let log = LogSettings::default();
//! let thresholds = ObservabilitySettings::default();
//! let trust_proxy = false;
//! let log_guard = init("wetech-web", &log, std::io::stdout())?;
//! HttpServer::new(move || {
//!     App::new()
//!         .route("/", web::get().to(|| async { "hello" }))
//!         .wrap(SlowRequestLogger::new(&thresholds))
//!         .wrap(RequestTracing::new(trust_proxy)) // outermost: wraps last
//! })
//! .bind(("127.0.0.1", 0))?
//! .run()
//! .await?;
//! drop(log_guard); // after the server stopped: flushes stdout, app.log and errors.log
//! # Ok(()) }
//! ```
//!
//! Secrets never need help from this crate: they stay in `secrecy::SecretString`, whose `Debug`
//! prints `[REDACTED]`. The request span records the matched route pattern, never the raw path,
//! because a path may carry a secret (the AzamPay callback token).

mod client_ip;
mod error_reports;
mod http_metrics;
mod logging;
mod mask;
mod metrics;
mod reporting;
mod request;
mod rolling;
mod scrub;
mod settings;
mod slow;

pub use client_ip::client_ip;
pub use error_reports::{ErrorReports, ErrorReportsError, FLUSH_TIMEOUT, scrub_event};
pub use http_metrics::http_metrics;
pub use logging::{
    APP_LOG, ERRORS_LOG, InitError, LogGuard, MemorySink, RUST_LOG, TEST_LOG, env_filter, init,
    subscriber, subscriber_with_filter, test_sink, try_init,
};
pub use mask::{MASK, Masked, mask_email, mask_phone};
pub use metrics::{
    HTTP_REQUEST_DURATION_SECONDS, HTTP_REQUESTS_TOTAL, METRICS_CONTENT_TYPE, Metrics,
    MetricsError, PROCESS_RESIDENT_MEMORY_BYTES,
};
pub use reporting::{PanicAnswer, report_requests};
pub use request::{
    MAX_REQUEST_ID_LEN, MissingRequestId, REQUEST_ID_HEADER, REQUEST_SPAN_NAME, RequestId,
    RequestTracing, RequestTracingMiddleware, UNMATCHED_ROUTE,
};
pub use scrub::{REDACTED, scrub_text};
pub use settings::{LogSettings, ObservabilitySettings, SettingsError};
pub use slow::{SlowRequestLogger, SlowRequestMiddleware};

/// Milliseconds since `started`, saturating.
pub(crate) fn elapsed_ms(started: std::time::Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
