//! The request middleware of error reports: a panicking handler answered 500, and every 5xx and
//! panic reported with the request id.

use std::future::{Ready, ready};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::Error;
use actix_web::HttpMessage as _;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use futures_util::FutureExt as _;
use futures_util::future::LocalBoxFuture;
use sentry::SentryFutureExt as _;
use sentry::protocol::{Event, Level};

use crate::error_reports::ErrorReports;
use crate::request::{RequestId, route_of};

/// Builds the error a panicking request is answered with, from the request's path (so the site
/// can answer an API path with its JSON error shape and a page with its HTML one).
pub type PanicAnswer = fn(path: &str) -> Error;

/// Middleware: catches a panic in anything it wraps and answers with the error that
/// `panic_answer` builds (a 500 in the site's error shape) instead of dropping the connection;
/// with reports on, every panic (through the panic hook of the report client, with its
/// backtrace) and every other 5xx answer is reported with the tags `request_id`, `route`
/// (the matched pattern), `method` and `status`.
///
/// Wrap it inside [`crate::RequestTracing`] (which sets the request id it reads). The panic
/// answer is an `Err`, rendered by actix after the outer middleware, so it carries no
/// `X-Request-Id` header (as for any middleware error; see [`crate::RequestTracing`]).
#[derive(Clone)]
pub struct ErrorReporting {
    reports: ErrorReports,
    panic_answer: PanicAnswer,
}

impl ErrorReporting {
    /// Reports to `reports` (possibly off); panics answered with `panic_answer`.
    #[must_use]
    pub fn new(reports: ErrorReports, panic_answer: PanicAnswer) -> Self {
        Self {
            reports,
            panic_answer,
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for ErrorReporting
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = ErrorReportingMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ErrorReportingMiddleware {
            service: Rc::new(service),
            config: self.clone(),
        }))
    }
}

/// The service built by [`ErrorReporting`].
pub struct ErrorReportingMiddleware<S> {
    service: Rc<S>,
    config: ErrorReporting,
}

impl<S, B> Service<ServiceRequest> for ErrorReportingMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let path = req.path().to_owned();
        let method = req.method().as_str().to_owned();
        let hub = {
            let extensions = req.extensions();
            let id = extensions.get::<RequestId>().map(RequestId::as_str);
            self.config.reports.request_hub(id)
        };
        let panic_answer = self.config.panic_answer;
        // A panic while the inner service builds its future is caught as well.
        let service = Rc::clone(&self.service);
        let guarded = AssertUnwindSafe(async move { service.call(req).await }).catch_unwind();
        async move {
            let caught = match &hub {
                Some(hub) => guarded.bind_hub(Arc::clone(hub)).await,
                None => guarded.await,
            };
            let Ok(outcome) = caught else {
                // The panic hook printed (and, with reports on, reported) the panic.
                tracing::error!(panic = true, "request handler panicked");
                return Err(panic_answer(&path));
            };
            if let Some(hub) = &hub {
                let (status, route, error) = match &outcome {
                    Ok(res) => (
                        res.status(),
                        route_of(res.request()),
                        res.response().error().map(|e| format!("{e:?}")),
                    ),
                    Err(e) => (
                        e.as_response_error().status_code(),
                        crate::UNMATCHED_ROUTE.to_owned(),
                        Some(format!("{e:?}")),
                    ),
                };
                if status.is_server_error() {
                    let message = match error {
                        Some(error) => format!("HTTP {status} on {method} {route}: {error}"),
                        None => format!("HTTP {status} on {method} {route}"),
                    };
                    let mut event = Event {
                        message: Some(message),
                        level: Level::Error,
                        logger: Some("wetech-web".to_owned()),
                        ..Event::default()
                    };
                    event.tags.insert("route".to_owned(), route);
                    event.tags.insert("method".to_owned(), method);
                    event
                        .tags
                        .insert("status".to_owned(), status.as_str().to_owned());
                    hub.capture_event(event);
                }
            }
            outcome
        }
        .boxed_local()
    }
}
