//! Answering with HTML: a rendered template that no cache keeps, a redirect, the stylesheet.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use askama::Template;

use super::errors::PageResult;
use crate::error::ApiError;

/// Where the stylesheet is served.
pub const STYLESHEET_PATH: &str = "/static/site.css";

/// The stylesheet, compiled into the binary.
const STYLESHEET: &str = include_str!("../../../static/site.css");

/// An HTML response that no cache keeps (pages carry a CSRF token or a customer's invoice).
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

pub fn render(template: &impl Template, status: StatusCode) -> PageResult {
    let body = template.render().map_err(ApiError::internal)?;
    Ok(html(status, body))
}

/// `303 See Other` to a path of this site.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// `GET /static/site.css`
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}
