//! Integration tests of the web binary: the real server on a free port, a temporary database
//! (SQLite, and PostgreSQL when available), the payment simulator mounted in-process.
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod helpers;

mod admin;
mod admin_actions;
mod admin_exports;
mod admin_leads;
mod admin_records;
mod api;
mod azampay_callbacks;
mod error_reports;
mod hardening;
mod health;
mod language;
mod logs;
mod mail;
mod metrics;
mod notify;
mod openapi;
mod page_messages;
mod pages;
mod receipt;
mod receipt_mail;
mod review;
