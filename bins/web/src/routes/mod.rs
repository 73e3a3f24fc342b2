//! The routes of the site.

pub mod api;
pub mod health;
pub mod notify;
pub mod pages;

use actix_web::{HttpResponse, web};

use crate::error::ApiError;

/// Mounts every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    api::configure(cfg);
    notify::configure(cfg);
    pages::configure(cfg);
}

/// Anything unmatched: a JSON 404.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("no such page".to_owned()))
}
