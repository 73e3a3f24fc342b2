//! The load itself: a fixed number of connections (one HTTP/1.1 keep-alive client each), each
//! sending one request after another until the case's deadline or request budget is spent.
//! Only loopback addresses are accepted as targets.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use url::Url;

use crate::stats::{Recorder, Summary};

/// Why a target URL was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// Not a URL.
    #[error("not a URL: {0}")]
    Invalid(String),
    /// Not plain `http`.
    #[error("only http:// targets are supported, not {0}://")]
    Scheme(String),
    /// The host is not a loopback IP address literal.
    #[error("refusing to load {0}: only loopback addresses (127.0.0.0/8, ::1) are allowed")]
    NotLoopback(String),
    /// The URL carries a path, query, fragment or credentials.
    #[error("give only the origin (http://127.0.0.1:PORT), without path, query or credentials")]
    NotAnOrigin,
}

/// Parses the server's base URL, accepting only `http://<loopback IP>[:port]` with no path,
/// query or credentials (a load generator must not be pointed at someone else's server).
///
/// ```
/// use wetech_loadgen::load::loopback_origin;
/// assert!(loopback_origin("http://127.0.0.1:8000").is_ok());
/// assert!(loopback_origin("http://example.com").is_err());
/// ```
pub fn loopback_origin(raw: &str) -> Result<Url, TargetError> {
    let url = Url::parse(raw.trim()).map_err(|e| TargetError::Invalid(e.to_string()))?;
    if url.scheme() != "http" {
        return Err(TargetError::Scheme(url.scheme().to_owned()));
    }
    let host = url.host_str().unwrap_or_default();
    let ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .map_err(|_| TargetError::NotLoopback(host.to_owned()))?;
    if !ip.is_loopback() {
        return Err(TargetError::NotLoopback(host.to_owned()));
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(TargetError::NotAnOrigin);
    }
    Ok(url)
}

/// One of the measured endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Case {
    /// `POST /api/v1/leads` with a distinct e-mail address each time (201 expected).
    Leads,
    /// `GET /api/v1/invoices/{id}` over the invoices made by the warm-up (200 expected).
    Invoices,
    /// `GET /health/live/` (200 expected).
    Live,
}

impl Case {
    /// The label used in reports.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Case::Leads => "POST /api/v1/leads",
            Case::Invoices => "GET /api/v1/invoices/{id}",
            Case::Live => "GET /health/live/",
        }
    }

    /// The name on the command line (`--cases`) and in `--json-row`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Case::Leads => "leads",
            Case::Invoices => "invoices",
            Case::Live => "live",
        }
    }

    fn expected(self) -> u16 {
        match self {
            Case::Leads => 201,
            Case::Invoices | Case::Live => 200,
        }
    }
}

/// The JSON body of lead number `n` (e-mail `user{n}@example.com`).
///
/// ```
/// let body = wetech_loadgen::load::lead_body(7);
/// assert!(body.contains(r#""email":"user7@example.com""#));
/// ```
#[must_use]
pub fn lead_body(n: u64) -> String {
    format!(
        r#"{{"name":"Neema Mushi","email":"user{n}@example.com","phone":"0754123456","service":"WEB-BASIC"}}"#
    )
}

/// When a case stops.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Stop sending new requests after this long.
    pub duration: Duration,
    /// Or after this many requests in total (whichever comes first).
    pub requests: Option<u64>,
}

/// What every worker shares.
struct Shared {
    case: Case,
    next_lead: Arc<AtomicU64>,
    invoice_ids: Arc<Vec<String>>,
    next_invoice: AtomicU64,
    budget: Option<AtomicU64>,
    keep_ids: bool,
}

/// Drives cases against one server, or several instances of it, with `connections` keep-alive
/// connections (spread over the instances in turn: connection `i` talks to instance
/// `i % instances`, as a round-robin balancer would).
pub struct LoadGen {
    origins: Vec<Url>,
    clients: Vec<reqwest::Client>,
    next_lead: Arc<AtomicU64>,
    invoice_ids: Arc<Vec<String>>,
}

impl LoadGen {
    /// One client (one connection) per concurrent worker, for the instances at `origins`; no
    /// proxy, per-request `timeout`.
    ///
    /// # Errors
    /// No origin given, or a client cannot be built.
    pub fn new(
        origins: Vec<Url>,
        connections: usize,
        timeout: Duration,
        first_lead: u64,
    ) -> anyhow::Result<Self> {
        Self::build(origins, connections, timeout, first_lead, false)
    }

    /// [`LoadGen::new`], with connection `i` sent from its own loopback address
    /// (`127.0.0.2 + i`), so that the server sees as many clients as connections (its lead rate
    /// limit counts per address, as it would for many customers).
    ///
    /// # Errors
    /// As [`LoadGen::new`].
    pub fn from_distinct_sources(
        origins: Vec<Url>,
        connections: usize,
        timeout: Duration,
        first_lead: u64,
    ) -> anyhow::Result<Self> {
        Self::build(origins, connections, timeout, first_lead, true)
    }

    fn build(
        origins: Vec<Url>,
        connections: usize,
        timeout: Duration,
        first_lead: u64,
        distinct_sources: bool,
    ) -> anyhow::Result<Self> {
        let clients = (0..connections.max(1))
            .map(|i| {
                let mut builder = reqwest::Client::builder()
                    .no_proxy()
                    .pool_max_idle_per_host(1)
                    .timeout(timeout);
                if distinct_sources {
                    let offset = u32::try_from(i).unwrap_or(u32::MAX);
                    let source = std::net::Ipv4Addr::from(
                        u32::from(std::net::Ipv4Addr::new(127, 0, 0, 2)).saturating_add(offset),
                    );
                    builder = builder.local_address(std::net::IpAddr::V4(source));
                }
                builder.build()
            })
            .collect::<Result<Vec<_>, _>>()
            .context("building the HTTP clients")?;
        anyhow::ensure!(!origins.is_empty(), "no server origin given");
        Ok(Self {
            origins,
            clients,
            next_lead: Arc::new(AtomicU64::new(first_lead)),
            invoice_ids: Arc::new(Vec::new()),
        })
    }

    /// Waits until `GET /health/ready/` answers 200 on every instance, for at most `timeout`
    /// in all; fails early when `alive` says the (first) server process has gone.
    ///
    /// # Errors
    /// An instance not ready in time, or the server process gone.
    pub async fn wait_ready(
        &self,
        timeout: Duration,
        alive: impl Fn() -> bool,
    ) -> anyhow::Result<()> {
        let client = self.clients.first().context("no client")?;
        let deadline = Instant::now() + timeout;
        for origin in self.origins.iter() {
            let url = origin.join("/health/ready/")?;
            wait_one_ready(client, &url, deadline, timeout, &alive).await?;
        }
        Ok(())
    }

    /// Submits `count` leads over every connection and keeps the invoice ids they return, for
    /// the invoice case. Fails when any submission fails (the server is not fit to measure).
    pub async fn warm_up_invoices(&mut self, count: u64) -> anyhow::Result<usize> {
        let limit = Limit {
            duration: Duration::from_secs(600),
            requests: Some(count),
        };
        let (recorder, ids, _) = self.drive(Case::Leads, limit, true).await;
        if recorder.error_count() > 0 {
            let s = recorder.summarize(Duration::ZERO);
            anyhow::bail!("warm-up lead submissions failed: {:?}", s.error_kinds);
        }
        self.invoice_ids = Arc::new(ids);
        Ok(self.invoice_ids.len())
    }

    /// Runs `case` for a short unmeasured `warm_up`, then measures it until `limit`.
    pub async fn measure(&self, case: Case, warm_up: Duration, limit: Limit) -> Summary {
        if !warm_up.is_zero() {
            let _ = self
                .drive(
                    case,
                    Limit {
                        duration: warm_up,
                        requests: None,
                    },
                    false,
                )
                .await;
        }
        let (recorder, _, elapsed) = self.drive(case, limit, false).await;
        recorder.summarize(elapsed)
    }

    async fn drive(
        &self,
        case: Case,
        limit: Limit,
        keep_ids: bool,
    ) -> (Recorder, Vec<String>, Duration) {
        let shared = Arc::new(Shared {
            case,
            next_lead: Arc::clone(&self.next_lead),
            invoice_ids: Arc::clone(&self.invoice_ids),
            next_invoice: AtomicU64::new(0),
            budget: limit.requests.map(AtomicU64::new),
            keep_ids,
        });
        let start = Instant::now();
        let deadline = start + limit.duration;
        let mut tasks = tokio::task::JoinSet::new();
        for (i, client) in self.clients.iter().enumerate() {
            let origin = self.origins[i % self.origins.len()].clone();
            tasks.spawn(worker(
                client.clone(),
                origin,
                Arc::clone(&shared),
                deadline,
            ));
        }
        let mut total = Recorder::new();
        let mut ids = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((recorder, mut worker_ids)) => {
                    total.merge(recorder);
                    ids.append(&mut worker_ids);
                }
                Err(e) => total.error(format!("worker task failed: {e}")),
            }
        }
        (total, ids, start.elapsed())
    }
}

async fn wait_one_ready(
    client: &reqwest::Client,
    url: &Url,
    deadline: Instant,
    timeout: Duration,
    alive: &impl Fn() -> bool,
) -> anyhow::Result<()> {
    loop {
        let last = match client.get(url.clone()).send().await {
            Ok(r) if r.status().as_u16() == 200 => return Ok(()),
            Ok(r) => format!("status {}", r.status()),
            Err(e) => e.to_string(),
        };
        if !alive() {
            anyhow::bail!("the server process exited before it was ready ({last})");
        }
        if Instant::now() >= deadline {
            anyhow::bail!("{url} not ready after {timeout:?}: {last}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Takes one request from the budget; `false` when it is spent.
fn take(budget: Option<&AtomicU64>) -> bool {
    budget.is_none_or(|b| {
        b.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    })
}

async fn worker(
    client: reqwest::Client,
    origin: Url,
    shared: Arc<Shared>,
    deadline: Instant,
) -> (Recorder, Vec<String>) {
    let mut recorder = Recorder::new();
    let mut ids = Vec::new();
    let leads_url = origin.join("/api/v1/leads");
    let live_url = origin.join("/health/live/");
    while Instant::now() < deadline && take(shared.budget.as_ref()) {
        let request = match shared.case {
            Case::Leads => {
                let n = shared.next_lead.fetch_add(1, Ordering::Relaxed);
                match &leads_url {
                    Ok(url) => client
                        .post(url.clone())
                        .header("content-type", "application/json")
                        .body(lead_body(n)),
                    Err(e) => {
                        recorder.error(format!("url: {e}"));
                        break;
                    }
                }
            }
            Case::Invoices => {
                let len = shared.invoice_ids.len() as u64;
                let i = shared.next_invoice.fetch_add(1, Ordering::Relaxed);
                let Some(id) = i
                    .checked_rem(len)
                    .and_then(|i| shared.invoice_ids.get(usize::try_from(i).ok()?))
                else {
                    recorder.error("no invoice ids from the warm-up");
                    break;
                };
                match origin.join(&format!("/api/v1/invoices/{id}")) {
                    Ok(url) => client.get(url),
                    Err(e) => {
                        recorder.error(format!("url: {e}"));
                        break;
                    }
                }
            }
            Case::Live => match &live_url {
                Ok(url) => client.get(url.clone()),
                Err(e) => {
                    recorder.error(format!("url: {e}"));
                    break;
                }
            },
        };
        let sent = Instant::now();
        let outcome = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(body) => Ok((status, body)),
                    Err(e) => Err(format!("reading the body: {}", error_kind(&e))),
                }
            }
            Err(e) => Err(format!("transport: {}", error_kind(&e))),
        };
        let latency = sent.elapsed();
        match outcome {
            Ok((status, body)) if status == shared.case.expected() => {
                recorder.success(latency);
                if shared.keep_ids {
                    match invoice_id(&body) {
                        Some(id) => ids.push(id),
                        None => recorder.error("lead answer without invoice.id"),
                    }
                }
            }
            Ok((status, _)) => recorder.error(format!("status {status}")),
            Err(kind) => recorder.error(kind),
        }
    }
    (recorder, ids)
}

/// A short name of a request's failure (timeout, connect, or the innermost cause), without the
/// URL: the key errors are counted under.
pub(crate) fn error_kind(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".to_owned()
    } else if e.is_connect() {
        "connect".to_owned()
    } else {
        // The innermost cause names the problem (reset, broken pipe, …) without the URL.
        let mut source: &dyn std::error::Error = e;
        while let Some(next) = source.source() {
            source = next;
        }
        source.to_string()
    }
}

/// `invoice.id` of a `POST /api/v1/leads` answer.
pub(crate) fn invoice_id(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let id = value.get("invoice")?.get("id")?.as_str()?;
    // Used in a URL path: accept only URL-safe ids, as the contract promises.
    (!id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_origins_are_accepted() {
        for ok in [
            "http://127.0.0.1:8000",
            "http://127.0.0.1:8000/",
            "http://127.1.2.3",
            "http://[::1]:9000",
            " http://127.0.0.1:1 ",
        ] {
            assert!(loopback_origin(ok).is_ok(), "refused {ok}");
        }
        assert!(matches!(
            loopback_origin("http://10.0.0.1:8000"),
            Err(TargetError::NotLoopback(_))
        ));
        assert!(matches!(
            loopback_origin("http://localhost:8000"),
            Err(TargetError::NotLoopback(_))
        ));
        assert!(matches!(
            loopback_origin("http://example.com"),
            Err(TargetError::NotLoopback(_))
        ));
        // A name that merely starts like a loopback address.
        assert!(matches!(
            loopback_origin("http://127.0.0.1.evil.example"),
            Err(TargetError::NotLoopback(_))
        ));
        assert!(matches!(
            loopback_origin("https://127.0.0.1"),
            Err(TargetError::Scheme(_))
        ));
        assert!(matches!(
            loopback_origin("127.0.0.1:8000"),
            Err(TargetError::Scheme(_) | TargetError::Invalid(_))
        ));
        for not_origin in [
            "http://user:pw@127.0.0.1:8000",
            "http://127.0.0.1:8000/api",
            "http://127.0.0.1:8000/?x=1",
            "http://127.0.0.1:8000/#f",
        ] {
            assert_eq!(
                loopback_origin(not_origin),
                Err(TargetError::NotAnOrigin),
                "{not_origin}"
            );
        }
        assert!(matches!(loopback_origin(""), Err(TargetError::Invalid(_))));
    }

    #[test]
    fn lead_bodies_are_valid_json_with_distinct_emails() {
        let a: serde_json::Value = serde_json::from_str(&lead_body(1)).unwrap();
        let b: serde_json::Value = serde_json::from_str(&lead_body(2)).unwrap();
        assert_eq!(a["email"], "user1@example.com");
        assert_ne!(a["email"], b["email"]);
        assert_eq!(a["service"], "WEB-BASIC");
        assert_eq!(a["phone"], "0754123456");
    }

    #[test]
    fn invoice_id_is_taken_only_when_url_safe() {
        let ok = br#"{"lead_id":1,"invoice":{"id":"aB3_-x","number":"INV-2026-000001"}}"#;
        assert_eq!(invoice_id(ok).as_deref(), Some("aB3_-x"));
        for bad in [
            &br#"{"invoice":{"id":"../../admin"}}"#[..],
            br#"{"invoice":{"id":""}}"#,
            br#"{"invoice":{"id":42}}"#,
            br#"{"id":"abc"}"#,
            b"not json",
            b"",
        ] {
            assert_eq!(invoice_id(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn the_request_budget_is_shared_and_stops_at_zero() {
        let budget = AtomicU64::new(2);
        assert!(take(Some(&budget)));
        assert!(take(Some(&budget)));
        assert!(!take(Some(&budget)));
        assert!(!take(Some(&budget)));
        assert!(take(None));
    }

    /// A tiny HTTP server on 127.0.0.1 that answers `status` to everything, to check the
    /// client side end to end: counting, percentiles and the stop condition.
    async fn fake_server(status: u16) -> Url {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut buf = vec![0_u8; 8192];
                    let mut pending = Vec::new();
                    loop {
                        let Ok(n) = sock.read(&mut buf).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        pending.extend_from_slice(&buf[..n]);
                        // Answer each complete request head (bodies here are tiny and sent with
                        // the head, so skip Content-Length bytes after it).
                        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&pending[..end]).to_lowercase();
                            let body_len: usize = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse().ok())
                                .unwrap_or(0);
                            if pending.len() < end + 4 + body_len {
                                break;
                            }
                            pending.drain(..end + 4 + body_len);
                            let body = r#"{"invoice":{"id":"abc"}}"#;
                            let reply = format!(
                                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            if sock.write_all(reply.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        Url::parse(&format!("http://{addr}")).unwrap()
    }

    #[tokio::test]
    async fn request_budget_and_status_checks_end_to_end() {
        let origin = fake_server(200).await;
        let lg = LoadGen::new(vec![origin], 4, Duration::from_secs(5), 1).unwrap();
        let limit = Limit {
            duration: Duration::from_secs(30),
            requests: Some(50),
        };
        let s = lg.measure(Case::Live, Duration::ZERO, limit).await;
        assert_eq!((s.successes, s.errors), (50, 0));
        assert!(s.p50.is_some() && s.p99 >= s.p50 && s.max >= s.p99);
        // 200 is not what a lead submission answers: every one counts as an error.
        let s = lg.measure(Case::Leads, Duration::ZERO, limit).await;
        assert_eq!((s.successes, s.errors), (0, 50));
        assert_eq!(s.error_kinds.get("status 200"), Some(&50));
    }

    #[tokio::test]
    async fn warm_up_collects_ids_and_duration_limit_stops() {
        let origin = fake_server(201).await;
        let mut lg = LoadGen::new(vec![origin], 3, Duration::from_secs(5), 1).unwrap();
        assert_eq!(lg.warm_up_invoices(7).await.unwrap(), 7);
        let started = Instant::now();
        let s = lg
            .measure(
                Case::Leads,
                Duration::ZERO,
                Limit {
                    duration: Duration::from_millis(200),
                    requests: None,
                },
            )
            .await;
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(s.successes > 0 && s.errors == 0);
        assert!(s.requests_per_sec > 0.0);
    }

    #[tokio::test]
    async fn a_dead_server_counts_errors_and_is_not_ready() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let origin = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        let lg = LoadGen::new(vec![origin], 2, Duration::from_secs(1), 1).unwrap();
        let limit = Limit {
            duration: Duration::from_secs(5),
            requests: Some(6),
        };
        let s = lg.measure(Case::Live, Duration::ZERO, limit).await;
        assert_eq!((s.successes, s.errors), (0, 6));
        assert!(s.error_kinds.contains_key("transport: connect"));
        let err = lg
            .wait_ready(Duration::from_secs(5), || false)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("exited"), "{err}");
    }

    #[tokio::test]
    async fn several_instances_share_the_connections_and_must_all_be_ready() {
        let live = fake_server(200).await;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dead = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        let lg = LoadGen::new(vec![live.clone(), dead], 4, Duration::from_secs(1), 1).unwrap();
        // Half the connections talk to the dead instance: its requests fail, the others pass.
        let limit = Limit {
            duration: Duration::from_secs(2),
            requests: None,
        };
        let s = lg.measure(Case::Live, Duration::ZERO, limit).await;
        assert!(s.successes > 0 && s.errors > 0, "{s:?}");
        let err = lg
            .wait_ready(Duration::from_millis(300), || true)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(&port.to_string()), "{err}");
        assert!(LoadGen::new(Vec::new(), 1, Duration::from_secs(1), 1).is_err());
        let spread =
            LoadGen::from_distinct_sources(vec![live.clone()], 3, Duration::from_secs(1), 1)
                .unwrap();
        let s = spread
            .measure(
                Case::Live,
                Duration::ZERO,
                Limit {
                    duration: Duration::from_secs(5),
                    requests: Some(6),
                },
            )
            .await;
        assert_eq!((s.successes, s.errors), (6, 0), "{s:?}");
        let one = LoadGen::new(vec![live], 2, Duration::from_secs(1), 1).unwrap();
        one.wait_ready(Duration::from_secs(5), || true)
            .await
            .unwrap();
    }
}
