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

/// Anything unmatched: a JSON 404 under `/api/`, `/payments/` and `/health`, an HTML page
/// elsewhere (where a person is likely to be looking).
pub async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    let path = req.path();
    let machine = ["/api/", "/payments/", "/health", "/_simulator/"]
        .iter()
        .any(|p| path.starts_with(p));
    // A path that names a resource, asked with a method it does not take.
    let error = if req.resource_map().has_resource(path) {
        ApiError::MethodNotAllowed(format!("{} is not allowed here", req.method()))
    } else {
        ApiError::NotFound("no such page".to_owned())
    };
    if machine {
        Err(error.into())
    } else {
        Err(pages::PageError::from(error).into())
    }
}
