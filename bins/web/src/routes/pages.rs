//! The customer pages (HTML). Filled in by the pages work.

use actix_web::web;

/// Mounts the pages.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
