//! wetech-web: the web site, JSON API and gateway notification endpoints (actix-web).
//! `main.rs` only loads settings, installs logging and runs [`startup::Application`].

pub mod csrf;
pub mod error;
pub mod extract;
pub mod language;
pub mod mail_receipts;
pub mod metrics;
pub mod openapi;
pub mod ratelimit;
pub mod reports;
pub mod routes;
pub mod security;
pub mod startup;
pub mod systemd;

pub use startup::Application;
