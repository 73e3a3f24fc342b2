//! The routes of the site. Each path is mounted once, through [`methods::resource`], with all the
//! methods it takes.

pub mod admin;
pub mod api;
pub mod health;
pub mod input;
pub mod methods;
pub mod notify;
pub mod pages;

use actix_web::{HttpResponse, web};

use crate::error::ApiError;

/// Mounts every route; the development-only ones (the API docs page) when `development`.
pub fn configure(cfg: &mut web::ServiceConfig, development: bool) {
    health::configure(cfg);
    api::configure(cfg, development);
    notify::configure(cfg);
    pages::configure(cfg);
}

/// Anything unmatched: a JSON 404 under the machine paths ([`methods::is_machine_path`]), an
/// HTML page elsewhere.
pub async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    // A path that names a resource mounted outside this crate's table (the development
    // simulator), asked with a method it does not take; its methods are not known here.
    if req.resource_map().has_resource(req.path()) {
        return methods::method_not_allowed(&req, None);
    }
    let error = ApiError::NotFound("no such page".to_owned());
    if methods::is_machine_path(req.path()) {
        Err(error.into())
    } else {
        Err(pages::PageError::from(error).into())
    }
}
