//! Tests of the real `web` binary as an operator runs it: a child process in a temporary working
//! directory, configured through environment variables only, on a free port (`PORT=0`, the address
//! read from the "listening" log line). They cover refusals to start, the first start, graceful
//! shutdown on SIGTERM, and what reaches stdout, `logs/app.log` and `logs/errors.log`.
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod helpers;

mod callbacks;
mod config;
// Uses the simulator crate itself (one simulator for all instances).
#[cfg(feature = "simulator")]
mod instances;
mod lifecycle;
mod logs;
mod newcomer;
mod walkthrough;
