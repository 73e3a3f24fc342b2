//! `wetech-loadgen`: a small, bounded HTTP load generator for the `web` binary, used by
//! `scripts/bench-http.sh` (results in docs/benchmarks.md, section "HTTP load").
//!
//! - [`load`]: N keep-alive connections on 127.0.0.1 only, each sending requests back to back
//!   until a deadline or a request budget; the cases docs/benchmarks.md measures ([`load::Case`]).
//! - [`stats`]: latency recording and nearest-rank percentiles.
//! - [`procfs`]: the server's `VmRSS` / `VmHWM` from `/proc/<pid>/status`.
//! - [`criterion`]: the persistence benchmark's result as a rate, for the lead/baseline ratio.
//! - [`report`]: the targets and the markdown report.
//! - [`pages`]: signed-in pages read one at a time against a p99 target (the back-office
//!   benchmark, `scripts/bench-backoffice.sh`).
//! - [`cli`]: the `loadgen` command line.

pub mod cli;
pub mod criterion;
pub mod load;
pub mod pages;
pub mod procfs;
pub mod report;
pub mod stats;
