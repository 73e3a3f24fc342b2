//! The `ops` command line over `wetech-ops` and `wetech-app` (docs/operations.md).
//!
//! Every command reads the same configuration as `web`, prints a human summary on stdout (or one
//! JSON document with `--json`), writes errors to stderr, and exits 0 on success, 1 on failure,
//! 2 on bad usage. Logs go to the configured `app.log` / `errors.log` only, so stdout stays clean
//! for scripts.

#[macro_use]
mod macros;

mod backup;
mod cli;
mod config;
mod context;
mod database;
mod dispatch;
mod error_text;
mod failure;
mod health;
mod mail;
mod output;
mod payments;
mod remote;
mod staff;

pub use dispatch::run;
pub use failure::EXIT_USAGE;

pub(crate) use failure::{Failure, Outcome};
