//! `wetech-loadgen`: a small, bounded HTTP load generator for the `web` binary, used by
//! `scripts/bench-http.sh` (results in docs/benchmarks.md, section "HTTP load").
//!
//! - [`load`]: N keep-alive connections on 127.0.0.1 only, each sending requests back to back
//!   until a deadline or a request budget; the cases docs/benchmarks.md measures ([`load::Case`]).
//! - [`stats`]: latency recording and nearest-rank percentiles.
//! - [`procfs`]: the server's `VmRSS` / `VmHWM`, threads and open descriptors from `/proc/<pid>`.
//! - [`criterion`]: the persistence benchmark's result as a rate, for the lead/baseline ratio.
//! - [`report`]: the targets and the markdown report.
//! - [`pages`]: signed-in pages read one at a time against a p99 target (the back-office
//!   benchmark, `scripts/bench-backoffice.sh`).
//! - [`soak`]: half an hour of paced mixed load against the verdicts of docs/benchmarks.md,
//!   "Soak" (`scripts/soak.sh`).
//! - [`cli`]: the `loadgen` command line.

pub mod cli;
pub mod criterion;
pub mod load;
pub mod pages;
pub mod procfs;
pub mod report;
pub mod soak;
pub mod stats;
