//! Integration tests of wetech-observability: what reaches the sink and the files.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod helpers;
mod logging;
mod requests;
mod secrets;
mod slow;
