//! Integration tests of wetech-observability: what reaches the sink and the files.
#![expect(clippy::unwrap_used, reason = "tests")]

mod helpers;
mod logging;
mod requests;
mod secrets;
mod slow;
