//! Integration tests of wetech-persistence. Every repository and unit-of-work test runs on
//! SQLite and on PostgreSQL (`backend_tests!`); PostgreSQL tests are skipped loudly when it is
//! unavailable, and fail under `CI=true`.
#![expect(clippy::unwrap_used, reason = "tests")]

mod app_settings;
mod attempts;
mod back_office;
mod clients;
mod connection;
mod durability;
mod events;
mod idempotency;
mod instances;
mod invoices;
mod lists;
mod migrations;
mod outbox;
mod record_lead;
mod search;
mod services;
mod support;
mod unit_of_work;
