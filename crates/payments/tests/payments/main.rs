//! Integration tests of wetech-payments: every client call over real HTTP against the simulator,
//! recorded gateway answers served byte for byte, retry counts, signatures, and parser fuzzing.
#![expect(clippy::unwrap_used, reason = "tests")]

mod azampay;
mod callbacks;
mod fixtures;
mod helpers;
mod pesapal;
mod properties;
mod retries;
mod settings;
mod telemetry;
