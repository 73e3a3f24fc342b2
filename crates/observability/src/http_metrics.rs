//! The HTTP request metrics middleware: `http_requests_total` and
//! `http_request_duration_seconds`.

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

use crate::metrics::{HTTP_REQUEST_DURATION_SECONDS, HTTP_REQUESTS_TOTAL};
use crate::request::{UNMATCHED_ROUTE, route_of};

/// Middleware function (for `actix_web::middleware::from_fn`): counts every request by
/// `method`, `route` and `status` and records its duration by `method` and `route`.
///
/// Every label is bounded: `route` is the matched pattern (`/payments/azampay/callback/{token}`),
/// never the raw path (which may hold a secret or an id), and [`UNMATCHED_ROUTE`] when nothing
/// matched or an inner middleware answered with an error (its request is gone by then);
/// `method` is one of the standard methods or `other`; `status` is the three-digit code.
///
/// Wrap it inside [`crate::RequestTracing`], and only when metrics are on (without an installed
/// recorder the records are no-ops, but the labels would still be built).
///
/// # Errors
/// Passes on the inner service's error unchanged (it is counted with its status first).
pub async fn http_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let outcome = next.call(req).await;
    let (route, status) = match &outcome {
        Ok(res) => (route_of(res.request()), res.status()),
        Err(err) => (
            UNMATCHED_ROUTE.to_owned(),
            err.as_response_error().status_code(),
        ),
    };
    let seconds = started.elapsed().as_secs_f64();
    metrics::histogram!(
        HTTP_REQUEST_DURATION_SECONDS,
        "method" => method,
        "route" => route.clone(),
    )
    .record(seconds);
    metrics::counter!(
        HTTP_REQUESTS_TOTAL,
        "method" => method,
        "route" => route,
        "status" => status.as_str().to_owned(),
    )
    .increment(1);
    outcome
}

/// The method as a label: the standard ones by name, anything else (a client may send any
/// token) as `other`, so the label stays bounded.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_are_other() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "other");
    }
}
