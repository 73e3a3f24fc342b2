//! The slow-request middleware.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{Error, HttpMessage};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;

use crate::request::{REQUEST_SPAN_NAME, RequestId, route_of};
use crate::settings::ObservabilitySettings;

/// Middleware: logs every request slower than `observability.slow_request_ms` at WARN, and
/// slower than `observability.very_slow_request_ms` at ERROR (so it reaches `errors.log`).
///
/// The event's message is `slow request` and its fields are `slow_request = true`, `route` (the
/// matched pattern), `method`, `status`, `duration_ms`, `threshold_ms` (the threshold crossed)
/// and `request_id` (from [`RequestTracing`](crate::RequestTracing), `-` without it). Inside the
/// request span, `request_id`, `method` and `route` come from the span instead, so no key appears
/// twice in a line. It works in either order with `RequestTracing`; see there for the
/// recommended order. It never rejects, delays or samples anything: health routes are measured
/// like every other route.
#[derive(Debug, Clone, Copy)]
pub struct SlowRequestLogger {
    slow: Duration,
    very_slow: Duration,
}

impl SlowRequestLogger {
    /// Uses the two thresholds of `settings` (validated by the caller with
    /// [`ObservabilitySettings::validate`]).
    #[must_use]
    pub fn new(settings: &ObservabilitySettings) -> Self {
        Self {
            slow: settings.slow_threshold(),
            very_slow: settings.very_slow_threshold(),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for SlowRequestLogger
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = SlowRequestMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SlowRequestMiddleware {
            service: Rc::new(service),
            limits: *self,
        }))
    }
}

/// The service built by [`SlowRequestLogger`].
pub struct SlowRequestMiddleware<S> {
    service: Rc<S>,
    limits: SlowRequestLogger,
}

impl<S, B> Service<ServiceRequest> for SlowRequestMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let limits = self.limits;
        // Taken before the call (the request cannot be cloned while actix routes it) for the
        // case of an error, which carries no request.
        let method = req.method().to_string();
        let route_before = route_of(req.request());
        let id_before = req.extensions().get::<RequestId>().cloned();
        let fut = self.service.call(req);
        async move {
            let outcome = fut.await;
            let elapsed = started.elapsed();
            if elapsed > limits.slow {
                let (status, route, request_id) = match &outcome {
                    Ok(res) => (
                        res.status(),
                        route_of(res.request()),
                        res.request()
                            .extensions()
                            .get::<RequestId>()
                            .cloned()
                            .or(id_before),
                    ),
                    Err(err) => (
                        err.as_response_error().status_code(),
                        route_before,
                        id_before,
                    ),
                };
                let very_slow = elapsed > limits.very_slow;
                let threshold = if very_slow {
                    limits.very_slow
                } else {
                    limits.slow
                };
                log_slow(SlowRequest {
                    very_slow,
                    in_request_span: in_request_span(),
                    route,
                    method,
                    status: status.as_u16(),
                    duration_ms: crate::elapsed_ms(started),
                    threshold_ms: u64::try_from(threshold.as_millis()).unwrap_or(u64::MAX),
                    request_id: request_id.map_or_else(|| "-".to_owned(), |id| id.to_string()),
                });
            }
            outcome
        }
        .boxed_local()
    }
}

fn in_request_span() -> bool {
    tracing::Span::current()
        .metadata()
        .is_some_and(|m| m.name() == REQUEST_SPAN_NAME)
}

struct SlowRequest {
    very_slow: bool,
    in_request_span: bool,
    route: String,
    method: String,
    status: u16,
    duration_ms: u64,
    threshold_ms: u64,
    request_id: String,
}

fn log_slow(r: SlowRequest) {
    macro_rules! emit {
        ($level:expr) => {
            if r.in_request_span {
                tracing::event!(
                    $level,
                    slow_request = true,
                    status = r.status,
                    duration_ms = r.duration_ms,
                    threshold_ms = r.threshold_ms,
                    "slow request"
                )
            } else {
                tracing::event!(
                    $level,
                    slow_request = true,
                    request_id = %r.request_id,
                    method = %r.method,
                    route = %r.route,
                    status = r.status,
                    duration_ms = r.duration_ms,
                    threshold_ms = r.threshold_ms,
                    "slow request"
                )
            }
        };
    }
    if r.very_slow {
        emit!(tracing::Level::ERROR);
    } else {
        emit!(tracing::Level::WARN);
    }
}
