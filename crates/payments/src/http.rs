//! HTTP plumbing shared by both clients: two middleware clients (one that retries idempotent
//! calls with exponential backoff and jitter, one for checkouts that re-sends only when the
//! connection could not be opened), a per-call timeout, one tracing span per call, and the
//! mapping of transport failures to [`GatewayError`]. A gateway behind a CDN that blocks
//! clients ([`EdgeBlocks::Transient`]) also has its safe calls retried on the CDN's 403 or HTML
//! error page.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, RequestBuilder};
use reqwest_retry::policies::ExponentialBackoff;
use reqwest_retry::{
    DefaultRetryableStrategy, Jitter, RetryError, RetryTransientMiddleware, Retryable,
    RetryableStrategy,
};
use tracing::Instrument;

use crate::error::{ErrorCause, GatewayError};
use crate::gateway::Gateway;

/// Largest response body read from a gateway; larger answers are refused as invalid.
pub(crate) const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Timeouts and retry bounds of a client.
///
/// ```
/// use std::time::Duration;
/// use wetech_payments::HttpOptions;
/// let quick = HttpOptions {
///     timeout: Duration::from_secs(2),
///     max_retries: 2,
///     min_backoff: Duration::from_millis(10),
///     max_backoff: Duration::from_millis(50),
/// };
/// assert_eq!(HttpOptions::default().timeout, Duration::from_secs(15));
/// # let _ = quick;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpOptions {
    /// Time limit of one HTTP attempt (connect + request + response).
    pub timeout: Duration,
    /// How often a retryable call is repeated at most (token requests, status queries, and
    /// checkouts whose connection could not be opened).
    pub max_retries: u32,
    /// Shortest wait before a retry.
    pub min_backoff: Duration,
    /// Longest wait before a retry.
    pub max_backoff: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_millis(15_000),
            max_retries: 3,
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(3),
        }
    }
}

impl HttpOptions {
    /// Defaults with the given per-call timeout.
    #[must_use]
    pub fn with_timeout(timeout: Duration) -> Self {
        HttpOptions {
            timeout,
            ..HttpOptions::default()
        }
    }
}

/// Retry only when the connection could not be established: the request provably never left.
struct ConnectErrorsOnly;

impl RetryableStrategy for ConnectErrorsOnly {
    fn handle(
        &self,
        res: &Result<reqwest::Response, reqwest_middleware::Error>,
    ) -> Option<Retryable> {
        match res {
            Ok(_) => None,
            Err(reqwest_middleware::Error::Reqwest(e)) if e.is_connect() => {
                Some(Retryable::Transient)
            }
            Err(_) => Some(Retryable::Fatal),
        }
    }
}

/// The idempotent calls' policy: reqwest-retry's default (5xx, 408, 429, timeouts, resets),
/// plus, for a gateway behind a blocking CDN, a 403 or a non-success HTML page.
struct SafeCalls {
    edge_blocks: EdgeBlocks,
}

impl RetryableStrategy for SafeCalls {
    fn handle(
        &self,
        res: &Result<reqwest::Response, reqwest_middleware::Error>,
    ) -> Option<Retryable> {
        if self.edge_blocks == EdgeBlocks::Transient
            && let Ok(r) = res
            && is_edge_block(r.status(), content_type(r.headers()).as_deref(), None)
        {
            return Some(Retryable::Transient);
        }
        DefaultRetryableStrategy.handle(res)
    }
}

/// What a 403 or an HTML error page in front of a gateway means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EdgeBlocks {
    /// The gateway sits behind a CDN that sometimes blocks clients with an HTML 403 (Pesapal,
    /// docs/payments.md): such an answer is the gateway being unavailable, and safe calls
    /// retry on it.
    Transient,
    /// The gateway's own answer: a 403 is a refusal.
    Final,
}

/// Whether an answer is a CDN's block or error page rather than the gateway's: a 403, or a
/// non-success answer that is an HTML page (by its content type or, when the body is known,
/// by its first character), or an HTML page where JSON was due.
pub(crate) fn is_edge_block(
    status: StatusCode,
    content_type: Option<&str>,
    body: Option<&[u8]>,
) -> bool {
    let html_type = content_type.is_some_and(|t| t.to_ascii_lowercase().contains("text/html"));
    let html_body = body.is_some_and(|b| b.trim_ascii_start().first() == Some(&b'<'));
    status == StatusCode::FORBIDDEN || (!status.is_success() && html_type) || html_body
}

fn content_type(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Whether a call may be repeated by the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// Token requests, status queries, lookups: retried on 5xx, 408, 429, timeouts, resets.
    Idempotent,
    /// Creates something at the gateway: re-sent only after a connect error.
    Once,
}

/// The two middleware clients and the timeout.
#[derive(Clone)]
pub(crate) struct Http {
    retrying: ClientWithMiddleware,
    once: ClientWithMiddleware,
}

/// A gateway's answer: status, content type and (size-limited) body.
pub(crate) struct RawResponse {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// Whether this is a CDN's block or error page rather than the gateway's answer
    /// ([`is_edge_block`]).
    pub fn is_edge_block(&self) -> bool {
        is_edge_block(self.status, self.content_type.as_deref(), Some(&self.body))
    }

    /// A short, printable excerpt of the body for error messages (never logged with secrets:
    /// gateway answers carry none of ours).
    pub fn excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut s: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
        if text.chars().count() > 200 {
            s.push('…');
        }
        s
    }
}

impl Http {
    /// The transport of a gateway whose 403 and HTML answers are its own.
    pub(crate) fn new(options: &HttpOptions) -> Result<Http, GatewayError> {
        Http::build(options, EdgeBlocks::Final)
    }

    /// The transport of a gateway behind a CDN that blocks clients: safe calls also retry on
    /// a 403 or an HTML error page.
    pub(crate) fn behind_blocking_edge(options: &HttpOptions) -> Result<Http, GatewayError> {
        Http::build(options, EdgeBlocks::Transient)
    }

    fn build(options: &HttpOptions, edge_blocks: EdgeBlocks) -> Result<Http, GatewayError> {
        let build = || {
            reqwest::Client::builder()
                .timeout(options.timeout)
                .connect_timeout(options.timeout.min(Duration::from_secs(10)))
                .user_agent(concat!("wetech-payments/", env!("CARGO_PKG_VERSION")))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| GatewayError::HttpSetup {
                    what: "client",
                    source: ErrorCause::new(e),
                })
        };
        let policy = || {
            ExponentialBackoff::builder()
                .retry_bounds(
                    options.min_backoff,
                    options.max_backoff.max(options.min_backoff),
                )
                .jitter(Jitter::Bounded)
                .build_with_max_retries(options.max_retries)
        };
        let retrying = ClientBuilder::new(build()?)
            .with(RetryTransientMiddleware::new_with_policy_and_strategy(
                policy(),
                SafeCalls { edge_blocks },
            ))
            .build();
        let once = ClientBuilder::new(build()?)
            .with(RetryTransientMiddleware::new_with_policy_and_strategy(
                policy(),
                ConnectErrorsOnly,
            ))
            .build();
        Ok(Http { retrying, once })
    }

    pub(crate) fn client(&self, kind: Idempotency) -> &ClientWithMiddleware {
        match kind {
            Idempotency::Idempotent => &self.retrying,
            Idempotency::Once => &self.once,
        }
    }

    /// Sends a call carrying a bearer token from `tokens` (fetched with `fetch` when none is
    /// cached); on HTTP 401 the token is renewed once and the call sent again (a 401 means the
    /// gateway did nothing).
    pub(crate) async fn send_authed<F, Fut, B>(
        &self,
        gateway: Gateway,
        endpoint: &'static str,
        kind: Idempotency,
        tokens: &crate::token::TokenCache,
        fetch: F,
        build: B,
    ) -> Result<RawResponse, GatewayError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<
                Output = Result<
                    (secrecy::SecretString, Option<chrono::DateTime<chrono::Utc>>),
                    GatewayError,
                >,
            >,
        B: Fn(&ClientWithMiddleware) -> RequestBuilder,
    {
        use secrecy::ExposeSecret as _;
        let mut refreshed = false;
        loop {
            let token = tokens.get(&fetch).await?;
            let req = build(self.client(kind))
                .header("Accept", "application/json")
                .bearer_auth(token.expose_secret());
            let resp = self.send(gateway, endpoint, kind, req).await?;
            if resp.status == StatusCode::UNAUTHORIZED && !refreshed {
                tokens.invalidate(&token).await;
                refreshed = true;
                continue;
            }
            return Ok(resp);
        }
    }

    /// Sends one logical call inside a `gateway_call` span and reads the body.
    pub(crate) async fn send(
        &self,
        gateway: Gateway,
        endpoint: &'static str,
        kind: Idempotency,
        request: RequestBuilder,
    ) -> Result<RawResponse, GatewayError> {
        let span = tracing::info_span!(
            "gateway_call",
            gateway = gateway.as_str(),
            endpoint,
            http.status_code = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        async move {
            let started = Instant::now();
            let result = execute(kind, request).await;
            let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let span = tracing::Span::current();
            if let Ok(r) = &result {
                span.record("http.status_code", r.status.as_u16());
            }
            span.record("latency_ms", elapsed);
            metrics::histogram!(
                "wetech_gateway_request_duration_seconds",
                "gateway" => gateway.as_str(),
                "operation" => endpoint,
                "outcome" => call_outcome(&result),
            )
            .record(started.elapsed().as_secs_f64());
            match &result {
                Ok(r) => {
                    tracing::info!(
                        status = r.status.as_u16(),
                        latency_ms = elapsed,
                        "gateway answered"
                    );
                }
                Err(e) => {
                    span.record("error", tracing::field::display(e));
                    tracing::warn!(error = %e, latency_ms = elapsed, "gateway call failed");
                }
            }
            result
        }
        .instrument(span)
        .await
    }
}

/// A bounded label for a call's outcome: the answer's status class, or the kind of failure.
fn call_outcome(result: &Result<RawResponse, GatewayError>) -> &'static str {
    match result {
        Ok(r) if r.status.is_success() => "ok",
        Ok(r) if r.status.is_client_error() => "http_4xx",
        Ok(r) if r.status.is_server_error() => "http_5xx",
        Ok(_) => "http_other",
        Err(GatewayError::Timeout { .. }) => "timeout",
        Err(GatewayError::Unavailable { .. }) => "unavailable",
        Err(_) => "error",
    }
}

async fn execute(kind: Idempotency, request: RequestBuilder) -> Result<RawResponse, GatewayError> {
    let mut response = request.send().await.map_err(|e| classify(e, kind))?;
    let status = response.status();
    let content_type = content_type(response.headers());
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(GatewayError::InvalidResponse(format!(
                        "response body larger than {MAX_RESPONSE_BYTES} bytes"
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => {
                return Err(GatewayError::Timeout {
                    may_have_reached: true,
                });
            }
            Err(_) => {
                return Err(GatewayError::Unavailable {
                    http_status: Some(status.as_u16()),
                    may_have_reached: true,
                });
            }
        }
    }
    Ok(RawResponse {
        status,
        content_type,
        body,
    })
}

/// The reqwest error at the bottom of a middleware error, through reqwest-retry's wrapper.
fn innermost(err: &reqwest_middleware::Error) -> Option<&reqwest::Error> {
    match err {
        reqwest_middleware::Error::Reqwest(e) => Some(e),
        reqwest_middleware::Error::Middleware(any) => match any.downcast_ref::<RetryError>()? {
            RetryError::WithRetries { err, .. } | RetryError::Error(err) => innermost(err),
        },
    }
}

/// Maps a transport failure. Only a connect failure proves the request never left.
fn classify(err: reqwest_middleware::Error, _kind: Idempotency) -> GatewayError {
    let Some(e) = innermost(&err) else {
        return GatewayError::Unavailable {
            http_status: None,
            may_have_reached: true,
        };
    };
    if e.is_builder() {
        return GatewayError::HttpSetup {
            what: "request",
            source: ErrorCause::new(err),
        };
    }
    if e.is_connect() {
        if e.is_timeout() {
            return GatewayError::Timeout {
                may_have_reached: false,
            };
        }
        return GatewayError::Unavailable {
            http_status: None,
            may_have_reached: false,
        };
    }
    if e.is_timeout() {
        return GatewayError::Timeout {
            may_have_reached: true,
        };
    }
    GatewayError::Unavailable {
        http_status: None,
        may_have_reached: true,
    }
}

/// The error for a 5xx/429/408 answer whose body says nothing more specific.
pub(crate) fn unavailable(status: StatusCode) -> GatewayError {
    GatewayError::Unavailable {
        http_status: Some(status.as_u16()),
        may_have_reached: true,
    }
}

/// The error for a 4xx answer whose body says nothing more specific: the gateway refused the
/// request (HTTP says it was not processed), so nothing is under way.
pub(crate) fn refused(resp: &RawResponse) -> GatewayError {
    GatewayError::Rejected {
        code: format!("http_{}", resp.status.as_u16()),
        message: resp.excerpt(),
    }
}

/// Joins a base URL and a path that starts with `/`.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// Checks a base URL at client construction.
pub(crate) fn check_base(name: &str, base: &str) -> Result<String, GatewayError> {
    let trimmed = base.trim().trim_end_matches('/');
    match url::Url::parse(trimmed) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(trimmed.to_owned())
        }
        _ => Err(GatewayError::Config(format!(
            "{name} is not an absolute http(s) URL"
        ))),
    }
}

/// Reads a JSON answer as `T`. An unreadable body is classified by its HTTP status: a 5xx, 408
/// or 429 means the gateway is unavailable, a 4xx that it refused the request, anything else an
/// answer this crate cannot interpret.
pub(crate) fn parse_answer<T: serde::de::DeserializeOwned>(
    resp: &RawResponse,
    what: &str,
) -> Result<T, GatewayError> {
    serde_json::from_slice(&resp.body).map_err(|_| {
        if resp.status.is_server_error()
            || resp.status == StatusCode::TOO_MANY_REQUESTS
            || resp.status == StatusCode::REQUEST_TIMEOUT
        {
            unavailable(resp.status)
        } else if resp.status.is_client_error() {
            // A 4xx answer: the gateway refused the request, whatever its body says.
            refused(resp)
        } else {
            GatewayError::InvalidResponse(format!(
                "{what}: HTTP {} with body `{}`",
                resp.status.as_u16(),
                resp.excerpt()
            ))
        }
    })
}
