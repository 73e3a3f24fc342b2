//! Request ids and the per-request span.

use std::fmt;
use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, ResponseError};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use tracing::Instrument;
use tracing::field::Empty;

/// The request-id header, read from a trusted proxy and always set on the response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The name of the span [`RequestTracing`] opens for every request (its log line, written when
/// the request ends, is `[HTTP REQUEST - END]`).
pub const REQUEST_SPAN_NAME: &str = "HTTP request";

/// The `route` recorded when no route matched (the raw path is never logged).
pub const UNMATCHED_ROUTE: &str = "<unmatched>";

/// Longest incoming request id accepted from a trusted proxy.
pub const MAX_REQUEST_ID_LEN: usize = 64;

/// The id of the current request: a UUID v4, or the `X-Request-Id` a trusted proxy sent.
///
/// [`RequestTracing`] stores it in the request extensions; handlers extract it as an argument.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// A fresh random id (UUID v4, hyphenated).
    #[must_use]
    pub fn generate() -> Self {
        Self(Arc::from(uuid::Uuid::new_v4().to_string()))
    }

    /// Accepts 1–64 visible ASCII characters (`!` to `~`); anything else is `None`.
    ///
    /// ```
    /// use wetech_observability::RequestId;
    /// assert!(RequestId::parse("edge-42/abc").is_some());
    /// assert!(RequestId::parse("").is_none());
    /// assert!(RequestId::parse("has space").is_none());
    /// assert!(RequestId::parse(&"x".repeat(65)).is_none());
    /// ```
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        let ok = (1..=MAX_REQUEST_ID_LEN).contains(&value.len())
            && value.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(Arc::from(value)))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of `req`: the incoming `X-Request-Id` when `trust_proxy` is set and the value is
    /// acceptable ([`RequestId::parse`]), else a new one.
    #[must_use]
    pub fn for_request(req: &ServiceRequest, trust_proxy: bool) -> Self {
        if trust_proxy {
            let mut incoming = req.headers().get_all(REQUEST_ID_HEADER);
            // Exactly one header; two different ids from upstream is not something to pick from.
            if let (Some(value), None) = (incoming.next(), incoming.next())
                && let Some(id) = value.to_str().ok().and_then(RequestId::parse)
            {
                return id;
            }
        }
        Self::generate()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.0)
    }
}

/// [`RequestId`] was extracted in an app that is not wrapped in [`RequestTracing`] (a wiring bug).
#[derive(Debug, thiserror::Error)]
#[error("no request id: the app is not wrapped in RequestTracing")]
pub struct MissingRequestId;

impl ResponseError for MissingRequestId {}

impl FromRequest for RequestId {
    type Error = MissingRequestId;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<RequestId>()
                .cloned()
                .ok_or(MissingRequestId),
        )
    }
}

/// The `route` of a request: the matched pattern (`/api/v1/invoices/{id}`), never the raw path,
/// which may hold secrets such as the AzamPay callback token.
///
/// Found once per request and kept in its extensions: actix's `match_pattern` tries the path
/// against every pattern of the site each time (callgrind: about 29 000 instructions a call, and
/// the tracing, slow-request, metrics and report middleware each asked, 14 % of an invoice
/// read). The path does not change while the request is handled, so neither does the answer.
pub(crate) fn route_of(req: &HttpRequest) -> String {
    if let Some(MatchedRoute(route)) = req.extensions().get::<MatchedRoute>() {
        return route.clone();
    }
    let route = req
        .match_pattern()
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
    req.extensions_mut().insert(MatchedRoute(route.clone()));
    route
}

/// A request's route once [`route_of`] has found it.
struct MatchedRoute(String);

/// Middleware: a request id and a span for every request, and the `X-Request-Id` response header.
///
/// The span `HTTP request` (INFO) carries `request_id`, `method`, `route` (the matched pattern),
/// `client_ip`, and, once the response is ready, `status` and `duration_ms`; every event logged
/// while handling the request carries these fields too. The span's end line
/// (`[HTTP REQUEST - END]`) is the access-log line. A response with status 500 or above also
/// logs an ERROR event `request failed` (with the error's `Debug` as `error` when there is one),
/// so server errors reach `errors.log`.
///
/// Handlers' errors are responses by the time they get here and receive the header like any
/// other response. An `Err` returned by an inner *middleware* is passed on unchanged (actix
/// renders it later, without access to this middleware), so that response lacks `X-Request-Id`;
/// its status is still logged. Middleware should answer with `req.into_response(…)` instead.
///
/// The incoming `X-Request-Id` is used only when `trust_proxy` is true (the service sits behind
/// a proxy that sets or cleans that header) and it is exactly one value of 1–64 visible ASCII
/// characters; otherwise a UUID v4 is generated. `client_ip` is the peer address, or with
/// `trust_proxy` the address the proxy appended ([`crate::client_ip`], the rule the rate limiter
/// uses too).
///
/// Wrap it outermost, so the span covers every other middleware:
///
/// ```
/// use actix_web::{App, web};
/// use wetech_observability::{ObservabilitySettings, RequestTracing, SlowRequestLogger};
///
/// let app = App::new()
///     .route("/", web::get().to(|| async { "hi" }))
///     .wrap(SlowRequestLogger::new(&ObservabilitySettings::default()))
///     .wrap(RequestTracing::new(false)); // the last `wrap` runs first
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequestTracing {
    trust_proxy: bool,
}

impl RequestTracing {
    /// `trust_proxy`: take `X-Request-Id` and the client address from the proxy's headers.
    #[must_use]
    pub fn new(trust_proxy: bool) -> Self {
        Self { trust_proxy }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequestTracing
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = RequestTracingMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestTracingMiddleware {
            service: Rc::new(service),
            trust_proxy: self.trust_proxy,
        }))
    }
}

/// The service built by [`RequestTracing`].
pub struct RequestTracingMiddleware<S> {
    service: Rc<S>,
    trust_proxy: bool,
}

impl<S, B> Service<ServiceRequest> for RequestTracingMiddleware<S>
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
        let id = RequestId::for_request(&req, self.trust_proxy);
        req.extensions_mut().insert(id.clone());
        let client_ip = crate::client_ip(req.request(), self.trust_proxy)
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let route = route_of(req.request());
        let span = tracing::info_span!(
            "HTTP request",
            request_id = %id,
            method = %req.method(),
            route = %route,
            client_ip = %client_ip,
            status = Empty,
            duration_ms = Empty,
        );
        // The request must not be cloned here: actix needs it unshared while routing.
        let fut = span.in_scope(|| self.service.call(req));

        async move {
            let outcome = fut.await;
            let current = tracing::Span::current();
            let status = match &outcome {
                Ok(res) => {
                    current.record("route", tracing::field::display(route_of(res.request())));
                    res.status()
                }
                Err(err) => err.as_response_error().status_code(),
            };
            current.record("status", status.as_u16());
            current.record("duration_ms", crate::elapsed_ms(started));
            if status.is_server_error() {
                let error = match &outcome {
                    Ok(res) => res.response().error(),
                    Err(err) => Some(err),
                };
                match error {
                    Some(err) => tracing::error!(error = ?err, "request failed"),
                    None => tracing::error!("request failed"),
                }
            }
            let mut res = outcome?;
            if let Ok(value) = HeaderValue::from_str(id.as_str()) {
                res.headers_mut()
                    .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
            }
            Ok(res)
        }
        .instrument(span)
        .boxed_local()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_route_once_found_is_not_searched_again() {
        let req = actix_web::test::TestRequest::with_uri("/api/v1/invoices/x").to_http_request();
        // No resource map entry matches in a bare test request: the fallback, then kept.
        assert_eq!(route_of(&req), UNMATCHED_ROUTE);
        req.extensions_mut()
            .insert(MatchedRoute("/api/v1/invoices/{id}".to_owned()));
        assert_eq!(route_of(&req), "/api/v1/invoices/{id}");
    }

    #[test]
    fn generated_ids_are_uuid_v4_and_unique() {
        let a = RequestId::generate();
        let b = RequestId::generate();
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(a.as_str()).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
    }

    #[test]
    fn parse_table() {
        for ok in ["a", "abc-123", "!~", &"x".repeat(64)] {
            assert_eq!(
                RequestId::parse(ok).map(|id| id.to_string()),
                Some(ok.to_owned())
            );
        }
        for bad in [
            "",
            " ",
            "a b",
            "tab\t",
            "new\nline",
            "é",
            "\u{0}",
            &"x".repeat(65),
        ] {
            assert!(RequestId::parse(bad).is_none(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_accepts_only_short_visible_ascii(s in ".{0,80}") {
            match RequestId::parse(&s) {
                Some(id) => {
                    prop_assert_eq!(id.as_str(), s.as_str());
                    prop_assert!(!s.is_empty() && s.len() <= 64);
                    prop_assert!(s.bytes().all(|b| (0x21..=0x7e).contains(&b)));
                }
                None => prop_assert!(
                    s.is_empty() || s.len() > 64 || s.bytes().any(|b| !(0x21..=0x7e).contains(&b))
                ),
            }
        }
    }
}
