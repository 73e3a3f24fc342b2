//! The request side of error reports: `sentry-actix` gives every request a hub of its own and
//! reports the 5xx answers that carry an error; [`report_requests`], inside it, tags the request,
//! answers a panicking handler with a 500 and reports the 5xx answers that carry none.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use actix_web::Error;
use actix_web::HttpMessage as _;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Condition, Next};
use futures_util::FutureExt as _;
use sentry::Hub;
use sentry::protocol::{Event, Level};

use crate::error_reports::ErrorReports;
use crate::request::{RequestId, route_of};

/// Builds the error a panicking request is answered with, from the request's path (so the site
/// can answer an API path with its JSON error shape and a page with its HTML one).
pub type PanicAnswer = fn(path: &str) -> Error;

impl ErrorReports {
    /// The outer of the two report middlewares: `sentry_actix::Sentry` bound to this client
    /// (switched off with the reports), so every event captured while a request is handled,
    /// the panic hook's among them, goes out with that request's scope, and every 5xx answer
    /// that carries an error is reported. Its transaction name is the method and the matched
    /// pattern; the request data it adds is removed again by [`crate::scrub_event`].
    ///
    /// Wrap it outside `from_fn(move |req, next| report_requests(answer, req, next))` and inside
    /// [`crate::RequestTracing`] (whose request id the inner one reads).
    #[must_use]
    pub fn middleware(&self) -> Condition<sentry_actix::Sentry> {
        let hub = self
            .hub()
            .unwrap_or_else(|| Arc::new(Hub::new(None, Arc::default())));
        Condition::new(
            self.is_on(),
            sentry_actix::Sentry::builder()
                .with_hub(hub)
                .capture_server_errors(true)
                .emit_header(false)
                .finish(),
        )
    }
}

/// Middleware function (for `actix_web::middleware::from_fn`), the inner of the two report
/// middlewares ([`ErrorReports::middleware`] is the outer):
///
/// - tags the request's hub with `request_id`, `route` (the matched pattern, never the raw
///   path), `method` and, once answered, `status`, so every report of the request carries them;
/// - catches a panic in anything it wraps and answers with the error that `panic_answer` builds
///   (a 500 in the site's error shape) instead of dropping the connection. The panic itself is
///   reported by the panic hook of the report client, with its backtrace, and only once. The
///   answer is an `Err`, rendered by actix after the outer middleware, so it carries no
///   `X-Request-Id` header (see [`crate::RequestTracing`]); the report and the access-log line
///   carry the id;
/// - reports a 5xx answer that carries no error (one built as a plain response), which
///   `sentry-actix` leaves out.
///
/// Without reports on, only the panic answer remains (the hub has no client).
///
/// # Errors
/// Passes on the inner service's error unchanged.
pub async fn report_requests(
    panic_answer: PanicAnswer,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let path = req.path().to_owned();
    let method = req.method().as_str().to_owned();
    // Inside `sentry_actix::Sentry` this is the request's own hub.
    let hub = Hub::current();
    let reporting = hub.client().is_some();
    if reporting {
        let id = req.extensions().get::<RequestId>().cloned();
        let route = route_of(req.request());
        hub.configure_scope(|scope| {
            if let Some(id) = &id {
                scope.set_tag("request_id", id.as_str());
            }
            scope.set_tag("route", route);
            scope.set_tag("method", &method);
        });
    }
    let caught = AssertUnwindSafe(async move { next.call(req).await })
        .catch_unwind()
        .await;
    let Ok(outcome) = caught else {
        // The panic hook printed (and, with reports on, reported) the panic. The answer is an
        // `Err` (the request went down with the handler, and a copy of it taken before would
        // stop actix from routing it), which `sentry-actix` would report as a 500 of its own:
        // this request's later events are dropped instead, so the panic is reported once.
        tracing::error!(panic = true, "request handler panicked");
        if reporting {
            hub.configure_scope(|scope| scope.add_event_processor(|_| None));
        }
        return Err(panic_answer(&path));
    };
    let res = outcome?;
    if reporting {
        let status = res.status();
        hub.configure_scope(|scope| scope.set_tag("status", status.as_str()));
        if status.is_server_error() && res.response().error().is_none() {
            let route = route_of(res.request());
            hub.capture_event(Event {
                message: Some(format!("HTTP {status} on {method} {route}")),
                level: Level::Error,
                logger: Some("wetech-web".to_owned()),
                ..Event::default()
            });
        }
    }
    Ok(res.map_into_boxed_body())
}
