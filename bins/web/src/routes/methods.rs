//! One resource per path, with every method it takes; any other method on that path is a 405
//! that says in `Allow` which methods the path does take (RFC 9110 §15.5.6). Machine paths answer
//! with the JSON error, the others with an HTML page.

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, Resource, Route, web};

use crate::error::ApiError;
use crate::routes::pages::PageError;

/// Paths whose clients are programs (JSON errors); a person is likely to be looking at the rest.
#[must_use]
pub fn is_machine_path(path: &str) -> bool {
    ["/api/", "/payments/", "/health", "/_simulator/"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// The resource at `path` serving each `(method, route)`.
pub fn resource<const N: usize>(path: &str, routes: [(Method, Route); N]) -> Resource {
    let allow = routes
        .iter()
        .map(|(m, _)| m.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut resource = web::resource(path);
    for (method, route) in routes {
        resource = resource.route(route.method(method));
    }
    resource.default_service(web::to(move |req: HttpRequest| {
        let allow = allow.clone();
        async move { method_not_allowed(&req, Some(allow)) }
    }))
}

/// The 405 of `req`, JSON or HTML by path.
pub fn method_not_allowed(
    req: &HttpRequest,
    allow: Option<String>,
) -> Result<HttpResponse, actix_web::Error> {
    let error = ApiError::MethodNotAllowed {
        message: format!("{} is not allowed here", req.method()),
        allow,
    };
    if is_machine_path(req.path()) {
        Err(error.into())
    } else {
        Err(PageError::from(error).into())
    }
}
