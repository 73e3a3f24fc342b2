//! The soak (`loadgen soak`, run by `scripts/soak.sh` and `just soak`; docs/benchmarks.md,
//! "Soak"): does the server stay the same over half an hour of steady mixed load?
//!
//! 1. Waits for `GET /health/ready/`, submits some leads (their invoices are read and paid) and
//!    checks every request of the mix once.
//! 2. Measures the maximum of the mix closed-loop: `connections` workers, each sending the next
//!    operation of the mix as soon as its previous one is answered.
//! 3. Takes the *idle* sample: connections closed, the outbox drained (when the metrics are
//!    given), a pause, then the server's open file descriptors, threads, resident memory and
//!    database connections.
//! 4. Runs the mix open-loop at a fixed rate (a fraction of that maximum, half by default) for
//!    the duration: operations start on schedule whether or not earlier ones have been answered,
//!    and each request's latency is counted from when it was due to start, so a stalled server
//!    shows as latency, not as a slower schedule. Each window (a minute by default) records its
//!    requests, errors and p50/p99 per kind and overall, and at its end the server's `VmRSS`,
//!    open file descriptors, threads and database connections.
//! 5. Takes the idle sample again and gives the verdicts ([`verdicts`]).
//!
//! The mix ([`MIX`]), in requests: 15 % `POST /api/v1/leads`, 30 % `GET /api/v1/invoices/{id}`,
//! 10 % `GET /`, 15 % `GET /invoices/{id}`, 20 % notifications (10 % `POST
//! /api/v1/invoices/{id}/payments` starting an AzamPay push on a fresh invoice, each followed by
//! its callback `POST /payments/azampay/callback/{token}`, 10 %), 5 % `GET /admin/leads` and 5 %
//! `GET /admin/invoices` with an admin's session. Every answer other than the expected status,
//! and every transport error or timeout, is an error.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use url::Url;

use crate::load::{LoadGen, error_kind, invoice_id, lead_body};
use crate::procfs::{self, mib};
use crate::stats::{Recorder, Summary, fmt_ms};

/// Resident memory at the end may exceed the first sample after the settling time by at most
/// this many percent.
pub const MAX_RSS_GROWTH_PERCENT: u64 = 10;
/// The median p99 of the last windows may exceed that of the first windows after the settling
/// time by at most this many percent.
pub const MAX_P99_DRIFT_PERCENT: u64 = 50;

/// One kind of request, as the report counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `POST /api/v1/leads` (201).
    Lead,
    /// `GET /api/v1/invoices/{id}` (200).
    Invoice,
    /// `GET /` (200).
    HomePage,
    /// `GET /invoices/{id}` (200).
    InvoicePage,
    /// `POST /api/v1/invoices/{id}/payments` with AzamPay (201).
    PaymentStart,
    /// `POST /payments/azampay/callback/{token}`, the payment's success (200).
    Callback,
    /// `GET /admin/leads` (200).
    AdminLeads,
    /// `GET /admin/invoices` (200).
    AdminInvoices,
}

impl Kind {
    /// Every kind, in the report's order.
    pub const ALL: [Kind; 8] = [
        Kind::Lead,
        Kind::Invoice,
        Kind::HomePage,
        Kind::InvoicePage,
        Kind::PaymentStart,
        Kind::Callback,
        Kind::AdminLeads,
        Kind::AdminInvoices,
    ];

    /// The label used in reports.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Kind::Lead => "POST /api/v1/leads",
            Kind::Invoice => "GET /api/v1/invoices/{id}",
            Kind::HomePage => "GET /",
            Kind::InvoicePage => "GET /invoices/{id}",
            Kind::PaymentStart => "POST /api/v1/invoices/{id}/payments",
            Kind::Callback => "POST /payments/azampay/callback/{token}",
            Kind::AdminLeads => "GET /admin/leads",
            Kind::AdminInvoices => "GET /admin/invoices",
        }
    }

    /// A short name for narrow table columns.
    #[must_use]
    pub fn short(self) -> &'static str {
        match self {
            Kind::Lead => "lead",
            Kind::Invoice => "invoice",
            Kind::HomePage => "home",
            Kind::InvoicePage => "inv. page",
            Kind::PaymentStart => "payment",
            Kind::Callback => "callback",
            Kind::AdminLeads => "adm. leads",
            Kind::AdminInvoices => "adm. invoices",
        }
    }
}

/// One operation of the mix: one request, or for [`Op::Payment`] two (the push, then its
/// callback, as the gateway would send it once the customer approves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A lead with a distinct e-mail address; its invoice joins those read and paid.
    Lead,
    /// The JSON invoice of one of the recent invoices.
    Invoice,
    /// The home page.
    HomePage,
    /// The invoice page of one of the recent invoices.
    InvoicePage,
    /// An AzamPay push on an unpaid invoice, then its success callback.
    Payment,
    /// The back office's leads list (page 1).
    AdminLeads,
    /// The back office's invoices list (page 1).
    AdminInvoices,
}

impl Op {
    /// How many requests the operation sends.
    #[must_use]
    pub fn requests(self) -> u32 {
        match self {
            Op::Payment => 2,
            _ => 1,
        }
    }
}

/// The mix: each operation and how many times it comes in one cycle of 18 operations (20
/// requests).
pub const MIX: [(Op, u32); 7] = [
    (Op::Lead, 3),
    (Op::Invoice, 6),
    (Op::HomePage, 2),
    (Op::InvoicePage, 3),
    (Op::Payment, 2),
    (Op::AdminLeads, 1),
    (Op::AdminInvoices, 1),
];

/// One cycle of `mix`, spread out by smooth weighted round-robin (each operation as evenly
/// spaced as its weight allows, so a short stretch of the schedule has the mix's proportions).
///
/// ```
/// use wetech_loadgen::soak::{Op, cycle};
/// let c = cycle(&[(Op::Lead, 2), (Op::Invoice, 1)]);
/// assert_eq!(c, [Op::Lead, Op::Invoice, Op::Lead]);
/// ```
#[must_use]
pub fn cycle(mix: &[(Op, u32)]) -> Vec<Op> {
    let total: i64 = mix.iter().map(|(_, w)| i64::from(*w)).sum();
    let mut current = vec![0_i64; mix.len()];
    let mut out = Vec::new();
    for _ in 0..total {
        for (c, (_, w)) in current.iter_mut().zip(mix) {
            *c += i64::from(*w);
        }
        let mut best = 0;
        for (i, c) in current.iter().enumerate() {
            if *c > current[best] {
                best = i;
            }
        }
        current[best] -= total;
        out.push(mix[best].0);
    }
    out
}

/// Requests per operation of `ops` on average (the paced phase schedules operations, its rate
/// is given in requests).
#[must_use]
pub fn requests_per_op(ops: &[Op]) -> f64 {
    if ops.is_empty() {
        return 1.0;
    }
    let requests: u32 = ops.iter().map(|o| o.requests()).sum();
    f64::from(requests) / ops.len() as f64
}

/// What the soak needs, checked by [`Settings::validate`].
#[derive(Clone)]
pub struct Settings {
    /// The server's origin (loopback only).
    pub origin: Url,
    /// The server's process id (memory, threads, descriptors).
    pub server_pid: u32,
    /// The `Cookie` header of a signed-in admin session.
    pub cookie: String,
    /// The AzamPay callback token the server was started with.
    pub callback_token: String,
    /// The paced phase's length.
    pub duration: Duration,
    /// The start of the paced phase that the RSS and p99 comparisons leave out.
    pub settle: Duration,
    /// One window of the report.
    pub window: Duration,
    /// How much of the paced phase after `settle`, at its start and at its end, the p99
    /// comparison takes (at most half of it each).
    pub drift_span: Duration,
    /// The closed-loop maximum's measured time.
    pub max_duration: Duration,
    /// Unmeasured closed-loop time before it.
    pub max_warm_up: Duration,
    /// Closed-loop workers.
    pub connections: usize,
    /// The paced rate as a fraction of the measured maximum.
    pub load_fraction: f64,
    /// A fixed paced rate in requests per second instead (the maximum is then not measured).
    pub rate: Option<f64>,
    /// Leads submitted before measuring.
    pub prep_leads: u64,
    /// The first n of the lead e-mail addresses `user{n}@example.com`.
    pub first_user: u64,
    /// Per-request timeout.
    pub timeout: Duration,
    /// How long to wait for `/health/ready/`.
    pub ready_timeout: Duration,
    /// The pause before an idle sample (after the outbox drained).
    pub idle_wait: Duration,
    /// How long an idle sample waits for the outbox to drain.
    pub drain_timeout: Duration,
    /// Paced operations in flight at most; one due beyond it is an error.
    pub max_in_flight: usize,
    /// The server's metrics origin (outbox and pool gauges), when metrics are on.
    pub metrics_origin: Option<Url>,
    /// A shell command printing the number of the server's database connections.
    pub db_connections_command: Option<String>,
    /// The server's configured pool size (the bound for its database connections at idle).
    pub db_pool_size: Option<u64>,
    /// Written with `paced` when the paced phase starts and `done` when it ends.
    pub paced_marker: Option<PathBuf>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The cookie and the callback token are secrets.
        f.debug_struct("Settings")
            .field("origin", &self.origin.as_str())
            .field("server_pid", &self.server_pid)
            .field("duration", &self.duration)
            .field("settle", &self.settle)
            .field("window", &self.window)
            .field("rate", &self.rate)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Checks what clap cannot check alone.
    ///
    /// # Errors
    /// A setting out of bounds, named.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.window.is_zero(),
            "--window must be at least one second"
        );
        anyhow::ensure!(
            self.duration >= self.settle + self.window * 2,
            "--duration ({} s) must leave at least two windows ({} s each) after --settle ({} s)",
            self.duration.as_secs_f64(),
            self.window.as_secs_f64(),
            self.settle.as_secs_f64()
        );
        anyhow::ensure!(
            self.drift_span >= self.window,
            "--drift-span must be at least one window"
        );
        anyhow::ensure!(
            self.load_fraction > 0.0 && self.load_fraction <= 1.0,
            "--load-fraction must be in (0, 1], not {}",
            self.load_fraction
        );
        if let Some(rate) = self.rate {
            anyhow::ensure!(
                rate.is_finite() && rate > 0.0 && rate <= 1_000_000.0,
                "--rate must be between 0 and 1000000 requests per second, not {rate}"
            );
        }
        anyhow::ensure!(!self.cookie.trim().is_empty(), "the cookie file is empty");
        anyhow::ensure!(
            !self.callback_token.trim().is_empty()
                && self
                    .callback_token
                    .trim()
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'/'),
            "the callback token must be visible characters without `/`"
        );
        anyhow::ensure!(self.connections > 0, "--connections must be at least 1");
        anyhow::ensure!(self.max_in_flight > 0, "--max-in-flight must be at least 1");
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An invoice the soak made: its public id and amount (for the callback).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Invoice {
    id: String,
    amount: String,
}

/// Invoices read: the most recent ones.
const RECENT: usize = 1024;
/// Unpaid invoices kept for payments (the oldest are forgotten beyond this).
const PAYABLE: usize = 4096;

/// The invoices of the run: the recent ones, read in turn, and the unpaid ones not yet used for
/// a payment.
#[derive(Debug, Default)]
struct Invoices {
    recent: VecDeque<String>,
    payable: VecDeque<Invoice>,
    cursor: usize,
}

impl Invoices {
    fn add(&mut self, invoice: Invoice) {
        if self.recent.len() >= RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(invoice.id.clone());
        if self.payable.len() >= PAYABLE {
            self.payable.pop_front();
        }
        self.payable.push_back(invoice);
    }

    fn next_to_read(&mut self) -> Option<String> {
        let n = self.recent.len();
        if n == 0 {
            return None;
        }
        self.cursor = (self.cursor + 1) % n;
        self.recent.get(self.cursor).cloned()
    }

    fn next_to_pay(&mut self) -> Option<Invoice> {
        self.payable.pop_front()
    }
}

/// What all phases share: the lead and reference counters and the invoices.
#[derive(Debug)]
struct Book {
    next_lead: AtomicU64,
    next_reference: AtomicU64,
    invoices: Mutex<Invoices>,
}

/// One phase's client and the site's addresses.
struct Site {
    client: reqwest::Client,
    origin: Url,
    leads: Url,
    home: Url,
    admin_leads: Url,
    admin_invoices: Url,
    callback: Url,
    cookie: String,
    book: Arc<Book>,
}

impl Site {
    fn new(settings: &Settings, book: Arc<Book>, connections: usize) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(connections)
            // Shorter than the server's keep-alive (actix's 5 s), so that no request goes out on
            // a connection the server is closing (an error of the client's pool, not the
            // server's).
            .pool_idle_timeout(Duration::from_secs(2))
            .timeout(settings.timeout)
            .build()
            .context("building the HTTP client")?;
        let at = |path: &str| {
            settings
                .origin
                .join(path)
                .with_context(|| format!("the address of {path}"))
        };
        Ok(Site {
            client,
            origin: settings.origin.clone(),
            leads: at("/api/v1/leads")?,
            home: at("/")?,
            admin_leads: at("/admin/leads")?,
            admin_invoices: at("/admin/invoices")?,
            callback: at(&format!(
                "/payments/azampay/callback/{}",
                settings.callback_token.trim()
            ))?,
            cookie: settings.cookie.trim().to_owned(),
            book,
        })
    }

    fn invoice_url(&self, path: String) -> Result<Url, String> {
        self.origin.join(&path).map_err(|e| format!("url: {e}"))
    }
}

/// One request's outcome: its kind, and its latency or why it failed.
type Outcome = (Kind, Result<Duration, String>);

/// Sends `request`, reads the answer to its end, and passes the body to `read` when the status
/// is `expected`.
async fn exchange<T>(
    request: reqwest::RequestBuilder,
    expected: u16,
    read: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Result<T, String> {
    let response = request
        .send()
        .await
        .map_err(|e| format!("transport: {}", error_kind(&e)))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("reading the body: {}", error_kind(&e)))?;
    if status != expected {
        return Err(format!("status {status}"));
    }
    read(&body)
}

/// The invoice of a `POST /api/v1/leads` answer.
fn lead_invoice(body: &[u8]) -> Result<Invoice, String> {
    let id = invoice_id(body).ok_or("lead answer without a usable invoice.id")?;
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "lead answer is not JSON")?;
    let amount = value
        .get("invoice")
        .and_then(|i| i.get("amount"))
        .and_then(|a| a.as_str())
        .filter(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        .ok_or("lead answer without invoice.amount")?;
    Ok(Invoice {
        id,
        amount: amount.to_owned(),
    })
}

/// `payment_id` of a `POST /api/v1/invoices/{id}/payments` answer.
fn payment_id(body: &[u8]) -> Result<String, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "payment answer is not JSON")?;
    value
        .get("payment_id")
        .and_then(|p| p.as_str())
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| "payment answer without payment_id".to_owned())
}

/// The phone the pushes go to (as the leads' phone), and the same in E.164 without `+`, as
/// AzamPay's callback carries it.
const PUSH_PHONE: &str = "0754123456";
const PUSH_MSISDN: &str = "255754123456";

/// AzamPay's older, unsigned callback schema for a successful push.
fn callback_body(payment_id: &str, amount: &str, reference: u64) -> String {
    serde_json::json!({
        "msisdn": PUSH_MSISDN,
        "amount": amount,
        "message": "Success",
        "utilityref": payment_id,
        "operator": "Airtel",
        "reference": format!("SOAK{reference:010}"),
        "transactionstatus": "success",
        "submerchantAcc": null
    })
    .to_string()
}

/// Runs `op` once; latencies of its first request count from `started` (when it was due), of a
/// callback from when it is sent.
async fn perform(site: &Site, op: Op, started: Instant, out: &mut Vec<Outcome>) {
    let get = |url: Url| site.client.get(url);
    let admin = |url: &Url| {
        site.client
            .get(url.clone())
            .header(reqwest::header::COOKIE, site.cookie.as_str())
    };
    let read_id = || lock(&site.book.invoices).next_to_read();
    match op {
        Op::Lead => {
            let n = site.book.next_lead.fetch_add(1, Ordering::Relaxed);
            let request = site
                .client
                .post(site.leads.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(lead_body(n));
            let result = exchange(request, 201, lead_invoice).await;
            let latency = started.elapsed();
            out.push((
                Kind::Lead,
                result.map(|invoice| {
                    lock(&site.book.invoices).add(invoice);
                    latency
                }),
            ));
        }
        Op::Invoice | Op::InvoicePage => {
            let (kind, prefix) = if op == Op::Invoice {
                (Kind::Invoice, "/api/v1/invoices/")
            } else {
                (Kind::InvoicePage, "/invoices/")
            };
            let result = match read_id() {
                None => Err("no invoice to read".to_owned()),
                Some(id) => match site.invoice_url(format!("{prefix}{id}")) {
                    Ok(url) => exchange(get(url), 200, |_| Ok(())).await,
                    Err(e) => Err(e),
                },
            };
            out.push((kind, result.map(|()| started.elapsed())));
        }
        Op::HomePage => {
            let result = exchange(get(site.home.clone()), 200, |_| Ok(())).await;
            out.push((Kind::HomePage, result.map(|()| started.elapsed())));
        }
        Op::AdminLeads | Op::AdminInvoices => {
            let (kind, url) = if op == Op::AdminLeads {
                (Kind::AdminLeads, &site.admin_leads)
            } else {
                (Kind::AdminInvoices, &site.admin_invoices)
            };
            let result = exchange(admin(url), 200, |_| Ok(())).await;
            out.push((kind, result.map(|()| started.elapsed())));
        }
        Op::Payment => {
            let Some(invoice) = lock(&site.book.invoices).next_to_pay() else {
                out.push((
                    Kind::PaymentStart,
                    Err("no unpaid invoice to pay".to_owned()),
                ));
                return;
            };
            let started_payment =
                match site.invoice_url(format!("/api/v1/invoices/{}/payments", invoice.id)) {
                    Ok(url) => {
                        let request = site
                        .client
                        .post(url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(format!(
                            r#"{{"gateway":"azampay","phone":"{PUSH_PHONE}","provider":"Airtel"}}"#
                        ));
                        exchange(request, 201, payment_id).await
                    }
                    Err(e) => Err(e),
                };
            let payment = match started_payment {
                Ok(payment) => {
                    out.push((Kind::PaymentStart, Ok(started.elapsed())));
                    payment
                }
                Err(e) => {
                    out.push((Kind::PaymentStart, Err(e)));
                    return;
                }
            };
            let reference = site.book.next_reference.fetch_add(1, Ordering::Relaxed);
            let sent = Instant::now();
            let request = site
                .client
                .post(site.callback.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(callback_body(&payment, &invoice.amount, reference));
            let result = exchange(request, 200, |_| Ok(())).await;
            out.push((Kind::Callback, result.map(|()| sent.elapsed())));
        }
    }
}

/// Per-kind recorders.
type Kinds = BTreeMap<Kind, Recorder>;

fn record(kinds: &mut Kinds, outcomes: Vec<Outcome>) {
    for (kind, result) in outcomes {
        let recorder = kinds.entry(kind).or_default();
        match result {
            Ok(latency) => recorder.success(latency),
            Err(e) => recorder.error(e),
        }
    }
}

/// Summaries per kind and of all kinds together over `elapsed`.
fn summarize(kinds: &Kinds, elapsed: Duration) -> (BTreeMap<Kind, Summary>, Summary) {
    let mut all = Recorder::new();
    let mut per_kind = BTreeMap::new();
    for (kind, recorder) in kinds {
        all.merge(recorder.clone());
        per_kind.insert(*kind, recorder.clone().summarize(elapsed));
    }
    (per_kind, all.summarize(elapsed))
}

/// Prepares the run: `count` leads over `connections` workers, then each request of the mix
/// once. Fails when any of them fails (the server, the cookie or the token is not fit).
async fn prepare(site: &Arc<Site>, count: u64, connections: usize) -> anyhow::Result<()> {
    let left = Arc::new(AtomicU64::new(count));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections.min(usize::try_from(count).unwrap_or(usize::MAX)) {
        let site = Arc::clone(site);
        let left = Arc::clone(&left);
        tasks.spawn(async move {
            let mut kinds = Kinds::new();
            while left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
            {
                let mut out = Vec::new();
                perform(&site, Op::Lead, Instant::now(), &mut out).await;
                record(&mut kinds, out);
            }
            kinds
        });
    }
    let mut kinds = Kinds::new();
    while let Some(joined) = tasks.join_next().await {
        for (kind, recorder) in joined.context("a preparation task failed")? {
            kinds.entry(kind).or_default().merge(recorder);
        }
    }
    let (per_kind, _) = summarize(&kinds, Duration::ZERO);
    if let Some(s) = per_kind.get(&Kind::Lead).filter(|s| s.errors > 0) {
        anyhow::bail!("preparing: lead submissions failed: {:?}", s.error_kinds);
    }
    for (op, _) in MIX {
        let mut out = Vec::new();
        perform(site, op, Instant::now(), &mut out).await;
        for (kind, result) in out {
            if let Err(e) = result {
                let hint = match kind {
                    Kind::AdminLeads | Kind::AdminInvoices => {
                        " (is the cookie file a signed-in admin session?)"
                    }
                    Kind::Callback => " (is the callback token the server's?)",
                    _ => "",
                };
                anyhow::bail!("preparing: `{}` failed: {e}{hint}", kind.label());
            }
        }
    }
    Ok(())
}

/// The closed-loop maximum of the mix.
#[derive(Debug, Clone)]
pub struct MaxLoad {
    /// Workers.
    pub connections: usize,
    /// Answered requests per second, all kinds.
    pub requests_per_sec: f64,
    /// Per kind.
    pub kinds: BTreeMap<Kind, Summary>,
    /// All kinds.
    pub overall: Summary,
}

async fn closed_loop(
    site: &Arc<Site>,
    ops: &Arc<Vec<Op>>,
    connections: usize,
    duration: Duration,
) -> (Kinds, Duration) {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (site, ops, next) = (Arc::clone(site), Arc::clone(ops), Arc::clone(&next));
        tasks.spawn(async move {
            let mut kinds = Kinds::new();
            while Instant::now() < deadline {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let op = ops[usize::try_from(k).unwrap_or(0) % ops.len()];
                let mut out = Vec::new();
                perform(&site, op, Instant::now(), &mut out).await;
                record(&mut kinds, out);
            }
            kinds
        });
    }
    let mut kinds = Kinds::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(worker) => {
                for (kind, recorder) in worker {
                    kinds.entry(kind).or_default().merge(recorder);
                }
            }
            Err(e) => kinds
                .entry(Kind::Lead)
                .or_default()
                .error(format!("worker task failed: {e}")),
        }
    }
    (kinds, start.elapsed())
}

/// What the server looked like at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// When, from the start of the paced phase (zero for the idle samples).
    pub at: Duration,
    /// `VmRSS` in bytes.
    pub rss: Option<u64>,
    /// `RssAnon` in bytes (the heap and stacks; the rest of `rss` is mapped files and shared
    /// memory such as SQLite's WAL index).
    pub rss_anon: Option<u64>,
    /// Open file descriptors.
    pub fds: Option<u64>,
    /// Threads.
    pub threads: Option<u64>,
    /// Database connections (the command's count).
    pub db_connections: Option<u64>,
    /// The pool's open connections (`wetech_db_pool_connections`, idle and in use).
    pub pool_connections: Option<u64>,
    /// Outbox messages waiting (`wetech_outbox_messages{state="waiting"}`).
    pub outbox_waiting: Option<u64>,
    /// Outbox messages given up on (`wetech_outbox_messages{state="failed"}`).
    pub outbox_failed: Option<u64>,
}

/// An idle sample: a [`Sample`], the descriptors by kind, and whether the outbox had drained.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdleSample {
    /// The figures.
    pub sample: Sample,
    /// Open descriptors by [`procfs::fd_kind`].
    pub fd_kinds: BTreeMap<String, u64>,
    /// `Some(false)` when the outbox still had waiting messages after the drain timeout.
    pub outbox_drained: Option<bool>,
    /// How long the outbox took to drain (or the drain timeout), when the metrics are read.
    pub drain_time: Option<Duration>,
    /// Descriptors of the load generator's own metrics reads (connections accepted on the
    /// metrics port, which the server may hold for a while after they closed): counted in
    /// `sample.fds`, left out of the descriptor verdict.
    pub probe_fds: u64,
}

impl IdleSample {
    /// The descriptors the verdict compares: all but the load generator's own.
    #[must_use]
    pub fn server_fds(&self) -> Option<u64> {
        self.sample.fds.map(|n| n.saturating_sub(self.probe_fds))
    }
}

/// The value of the gauge `name{labels}` in a Prometheus text exposition.
///
/// ```
/// let text = "# TYPE g gauge\ng{state=\"waiting\"} 3\ng{state=\"failed\"} 0\n";
/// assert_eq!(wetech_loadgen::soak::gauge(text, "g", r#"state="waiting""#), Some(3.0));
/// assert_eq!(wetech_loadgen::soak::gauge(text, "g", r#"state="x""#), None);
/// ```
#[must_use]
pub fn gauge(text: &str, name: &str, labels: &str) -> Option<f64> {
    let key = format!("{name}{{{labels}}}");
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(&key)?;
        let value = rest.strip_prefix(' ')?.split_whitespace().next()?;
        value.parse::<f64>().ok().filter(|v| v.is_finite())
    })
}

fn count(v: f64) -> Option<u64> {
    (0.0..1e15).contains(&v).then_some(v.round() as u64)
}

/// Reads the server's figures.
struct Probe {
    pid: u32,
    metrics: Option<Url>,
    client: reqwest::Client,
    db_command: Option<String>,
}

impl Probe {
    fn new(settings: &Settings) -> anyhow::Result<Self> {
        let metrics = settings
            .metrics_origin
            .as_ref()
            .map(|o| o.join("/metrics").context("the metrics address"))
            .transpose()?;
        // No idle connection is kept: the server's descriptors are counted.
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(5))
            .build()
            .context("building the metrics client")?;
        Ok(Probe {
            pid: settings.server_pid,
            metrics,
            client,
            db_command: settings.db_connections_command.clone(),
        })
    }

    async fn metrics(&self) -> Option<String> {
        let url = self.metrics.as_ref()?;
        let response = self.client.get(url.clone()).send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.text().await.ok()
    }

    async fn db_connections(&self) -> Option<u64> {
        let command = self.db_command.as_ref()?;
        let output = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        match tokio::time::timeout(Duration::from_secs(10), output).await {
            Ok(Ok(out)) if out.status.success() => {
                let text = String::from_utf8_lossy(&out.stdout);
                match text.trim().parse::<u64>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        eprintln!(
                            "loadgen: soak: the database connections command printed {text:?}, not a number"
                        );
                        None
                    }
                }
            }
            Ok(Ok(out)) => {
                eprintln!(
                    "loadgen: soak: the database connections command failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Ok(Err(e)) => {
                eprintln!("loadgen: soak: cannot run the database connections command: {e}");
                None
            }
            Err(_) => {
                eprintln!("loadgen: soak: the database connections command took over 10 s");
                None
            }
        }
    }

    async fn sample(&self, at: Duration) -> Sample {
        // The process first: the metrics scrape opens a connection of its own.
        let memory = procfs::memory(self.pid).ok();
        let fds = procfs::open_fds(self.pid).ok();
        let threads = procfs::threads(self.pid).ok();
        let db_connections = self.db_connections().await;
        let metrics = self.metrics().await;
        let g = |name: &str, labels: &str| {
            metrics
                .as_deref()
                .and_then(|t| gauge(t, name, labels))
                .and_then(count)
        };
        let pool = match (
            g("wetech_db_pool_connections", r#"state="idle""#),
            g("wetech_db_pool_connections", r#"state="in_use""#),
        ) {
            (Some(idle), Some(used)) => Some(idle + used),
            _ => None,
        };
        Sample {
            at,
            rss: memory.map(|m| m.rss),
            rss_anon: memory.and_then(|m| m.rss_anon),
            fds,
            threads,
            db_connections,
            pool_connections: pool,
            outbox_waiting: g("wetech_outbox_messages", r#"state="waiting""#),
            outbox_failed: g("wetech_outbox_messages", r#"state="failed""#),
        }
    }

    /// Waits for the outbox to drain (up to `drain`), then `pause`, then samples.
    async fn idle(&self, drain: Duration, pause: Duration) -> IdleSample {
        let mut drained = None;
        let waited = Instant::now();
        if self.metrics.is_some() {
            let deadline = waited + drain;
            loop {
                let waiting = self.metrics().await.and_then(|t| {
                    gauge(&t, "wetech_outbox_messages", r#"state="waiting""#).and_then(count)
                });
                if waiting == Some(0) {
                    drained = Some(true);
                    break;
                }
                if Instant::now() >= deadline {
                    drained = Some(false);
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        let drain_time = drained.map(|_| waited.elapsed());
        tokio::time::sleep(pause).await;
        // The descriptors first, and their count from the same listing.
        let fd_kinds = procfs::open_fd_kinds(self.pid).ok();
        let mut sample = self.sample(Duration::ZERO).await;
        let probe_fds = match (&fd_kinds, self.metrics.as_ref().and_then(Url::port)) {
            (Some(kinds), Some(port)) => probe_descriptors(kinds, port),
            _ => 0,
        };
        if let Some(kinds) = &fd_kinds {
            sample.fds = Some(kinds.values().sum());
        }
        IdleSample {
            sample,
            fd_kinds: fd_kinds.unwrap_or_default(),
            outbox_drained: drained,
            drain_time,
            probe_fds,
        }
    }
}

/// The descriptors among `kinds` ([`procfs::open_fd_kinds`]) that are connections accepted on
/// the metrics port `port`: the load generator's own metrics reads.
#[must_use]
pub fn probe_descriptors(kinds: &BTreeMap<String, u64>, port: u16) -> u64 {
    let suffix = format!(" accepted on :{port}");
    kinds
        .iter()
        .filter(|(k, _)| k.starts_with("tcp ") && k.ends_with(&suffix))
        .map(|(_, n)| n)
        .sum()
}

/// How many windows of `window` the paced phase of `duration` has (the last may be shorter).
#[must_use]
pub fn window_count(duration: Duration, window: Duration) -> usize {
    if window.is_zero() {
        return 0;
    }
    usize::try_from(duration.as_nanos().div_ceil(window.as_nanos())).unwrap_or(usize::MAX)
}

/// The window of an operation due `offset` after the paced phase's start, or `None` past the
/// last of `count` windows.
#[must_use]
pub fn window_index(offset: Duration, window: Duration, count: usize) -> Option<usize> {
    if window.is_zero() {
        return None;
    }
    usize::try_from(offset.as_nanos() / window.as_nanos())
        .ok()
        .filter(|i| *i < count)
}

/// Start and length of window `i` of a paced phase of `duration`.
#[must_use]
pub fn window_bounds(i: usize, window: Duration, duration: Duration) -> (Duration, Duration) {
    let start = window.saturating_mul(u32::try_from(i).unwrap_or(u32::MAX));
    let end = (start + window).min(duration);
    (start, end.saturating_sub(start))
}

/// One window of the paced phase.
#[derive(Debug, Clone)]
pub struct WindowSummary {
    /// From the paced phase's start.
    pub start: Duration,
    /// Its length (the last window may be shorter).
    pub length: Duration,
    /// Per kind, rates over `length`.
    pub kinds: BTreeMap<Kind, Summary>,
    /// All kinds together.
    pub overall: Summary,
    /// The server at the window's end.
    pub sample: Sample,
}

/// Writes `text` to `path` through a temporary name.
fn write_marker(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// The paced phase: operations of `ops` at `rate` requests per second for `settings.duration`.
async fn paced(
    site: &Arc<Site>,
    ops: &Arc<Vec<Op>>,
    settings: &Settings,
    probe: &Arc<Probe>,
    rate: f64,
) -> Paced {
    let count = window_count(settings.duration, settings.window);
    let windows: Arc<Mutex<Vec<Kinds>>> = Arc::new(Mutex::new(vec![Kinds::new(); count]));
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::new(Mutex::new(vec![Sample::default(); count]));
    let ops_per_sec = rate / requests_per_op(ops);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(settings.max_in_flight));
    let start = Instant::now();
    let end = start + settings.duration;

    let sampler = {
        let (windows, samples, probe) = (
            Arc::clone(&windows),
            Arc::clone(&samples),
            Arc::clone(probe),
        );
        let (window, duration) = (settings.window, settings.duration);
        tokio::spawn(async move {
            for i in 0..count {
                let (from, length) = window_bounds(i, window, duration);
                tokio::time::sleep_until((start + from + length).into()).await;
                let sample = probe.sample(start.elapsed()).await;
                let (_, so_far) = summarize(&lock(&windows)[i], length);
                eprintln!(
                    "loadgen: soak window {}/{count} ({:.0}–{:.0} s): {} requests ({:.1}/s), {} errors, p99 {} ms; RSS {} MiB, {} fds, {} threads{}",
                    i + 1,
                    from.as_secs_f64(),
                    (from + length).as_secs_f64(),
                    so_far.successes + so_far.errors,
                    so_far.requests_per_sec,
                    so_far.errors,
                    fmt_ms(so_far.p99),
                    sample
                        .rss
                        .map_or_else(|| "-".to_owned(), |r| format!("{:.1}", mib(r))),
                    opt(sample.fds),
                    opt(sample.threads),
                    sample
                        .db_connections
                        .map_or_else(String::new, |n| format!(", {n} database connections")),
                );
                lock(&samples)[i] = sample;
            }
        })
    };

    let mut k: u64 = 0;
    loop {
        let due = start + Duration::from_secs_f64(k as f64 / ops_per_sec);
        if due >= end {
            break;
        }
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        let op = ops[usize::try_from(k).unwrap_or(0) % ops.len()];
        k += 1;
        let index = window_index(due - start, settings.window, count);
        let Ok(permit) = Arc::clone(&in_flight).try_acquire_owned() else {
            if let Some(i) = index {
                let kind = match op {
                    Op::Lead => Kind::Lead,
                    Op::Invoice => Kind::Invoice,
                    Op::HomePage => Kind::HomePage,
                    Op::InvoicePage => Kind::InvoicePage,
                    Op::Payment => Kind::PaymentStart,
                    Op::AdminLeads => Kind::AdminLeads,
                    Op::AdminInvoices => Kind::AdminInvoices,
                };
                lock(&windows)[i]
                    .entry(kind)
                    .or_default()
                    .error("not sent: too many requests in flight");
            }
            continue;
        };
        let (site, windows) = (Arc::clone(site), Arc::clone(&windows));
        tokio::spawn(async move {
            let mut out = Vec::new();
            perform(&site, op, due, &mut out).await;
            if let Some(i) = index {
                record(&mut lock(&windows)[i], out);
            }
            drop(permit);
        });
    }
    // Every operation answered (or timed out) and every window sampled.
    let all = u32::try_from(settings.max_in_flight).unwrap_or(u32::MAX);
    let _ = in_flight.acquire_many(all).await;
    let _ = sampler.await;

    let windows = std::mem::take(&mut *lock(&windows));
    let samples = std::mem::take(&mut *lock(&samples));
    let mut whole = Kinds::new();
    let summaries = windows
        .into_iter()
        .zip(samples)
        .enumerate()
        .map(|(i, (kinds, sample))| {
            let (start, length) = window_bounds(i, settings.window, settings.duration);
            let (per_kind, overall) = summarize(&kinds, length);
            for (kind, recorder) in kinds {
                whole.entry(kind).or_default().merge(recorder);
            }
            WindowSummary {
                start,
                length,
                kinds: per_kind,
                overall,
                sample,
            }
        })
        .collect();
    let (paced_kinds, paced_overall) = summarize(&whole, settings.duration);
    Paced {
        windows: summaries,
        kinds: paced_kinds,
        overall: paced_overall,
    }
}

/// What the paced phase measured.
struct Paced {
    windows: Vec<WindowSummary>,
    kinds: BTreeMap<Kind, Summary>,
    overall: Summary,
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// Everything the soak measured.
#[derive(Debug, Clone)]
pub struct SoakReport {
    /// The closed-loop maximum (`None` when the rate was given).
    pub max: Option<MaxLoad>,
    /// The paced rate, requests per second.
    pub rate: f64,
    /// The fraction of the maximum it is.
    pub load_fraction: Option<f64>,
    /// The paced phase's length.
    pub duration: Duration,
    /// Left out of the RSS and p99 comparisons.
    pub settle: Duration,
    /// The p99 comparison's span at the start and at the end.
    pub drift_span: Duration,
    /// The paced phase's windows.
    pub windows: Vec<WindowSummary>,
    /// Per kind over the whole paced phase.
    pub paced_kinds: BTreeMap<Kind, Summary>,
    /// All kinds over the whole paced phase.
    pub paced_overall: Summary,
    /// Before the paced phase, after the maximum.
    pub idle_before: IdleSample,
    /// After the paced phase.
    pub idle_after: IdleSample,
    /// The pool's configured size.
    pub db_pool_size: Option<u64>,
}

/// One verdict: its name, what was found, and whether it passed (`None`: not measured, which
/// fails nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Its short name.
    pub name: &'static str,
    /// The figures and the rule.
    pub what: String,
    /// `Some(true)` passed, `Some(false)` failed, `None` not measured.
    pub passed: Option<bool>,
}

/// Whether resident memory grew by at most [`MAX_RSS_GROWTH_PERCENT`] from `reference` to `end`.
#[must_use]
pub fn rss_within(reference: u64, end: u64) -> bool {
    u128::from(end) * 100 <= u128::from(reference) * u128::from(100 + MAX_RSS_GROWTH_PERCENT)
}

/// Whether `last` is at most [`MAX_P99_DRIFT_PERCENT`] above `first`.
#[must_use]
pub fn drift_within(first: Duration, last: Duration) -> bool {
    last.as_nanos() * 100 <= first.as_nanos() * u128::from(100 + MAX_P99_DRIFT_PERCENT)
}

/// Whether the server's descriptors at idle after the soak are no more than before it.
#[must_use]
pub fn fds_within(before: u64, after: u64) -> bool {
    after <= before
}

/// Whether the database connections at idle after the soak are no more than before it or, when
/// the pool's size is known, than that size (the pool may open connections up to its size when
/// it needs them and keep them).
#[must_use]
pub fn db_connections_within(before: u64, after: u64, pool_size: Option<u64>) -> bool {
    after <= before.max(pool_size.unwrap_or(0))
}

/// The median (the mean of the two middle values for an even count); `None` when empty.
#[must_use]
pub fn median(values: &[Duration]) -> Option<Duration> {
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2),
    }
}

/// The windows the p99 comparison takes: those starting at or after `settle`, the first and the
/// last `span` of them (as many windows as `span` holds, at least one, at most half of them
/// each). `None` when fewer than two windows start after `settle`.
#[must_use]
pub fn drift_windows(
    windows: &[WindowSummary],
    settle: Duration,
    span: Duration,
) -> Option<(&[WindowSummary], &[WindowSummary])> {
    let first = windows.iter().position(|w| w.start >= settle)?;
    let measured = &windows[first..];
    if measured.len() < 2 {
        return None;
    }
    let length = measured[0].length;
    let wanted = if length.is_zero() {
        1
    } else {
        usize::try_from(span.as_nanos() / length.as_nanos()).unwrap_or(usize::MAX)
    };
    let n = wanted.clamp(1, measured.len() / 2);
    Some((&measured[..n], &measured[measured.len() - n..]))
}

fn p99s(windows: &[WindowSummary]) -> Vec<Duration> {
    windows.iter().filter_map(|w| w.overall.p99).collect()
}

fn span_label(windows: &[WindowSummary]) -> String {
    match (windows.first(), windows.last()) {
        (Some(a), Some(b)) => format!(
            "{:.0}–{:.0} s",
            a.start.as_secs_f64(),
            (b.start + b.length).as_secs_f64()
        ),
        _ => "-".to_owned(),
    }
}

/// The soak's verdicts: RSS growth, p99 drift, errors, descriptor and database connection leaks.
#[must_use]
pub fn verdicts(r: &SoakReport) -> Vec<Verdict> {
    let mut out = Vec::new();

    // RSS: the first window's sample taken at or after the settling time against the last one.
    let reference = r
        .windows
        .iter()
        .find(|w| w.start + w.length >= r.settle && w.sample.rss.is_some())
        .map(|w| (w.sample.at, w.sample.rss));
    let end = r.windows.last().map(|w| (w.sample.at, w.sample.rss));
    out.push(match (reference, end) {
        (Some((at_ref, Some(reference))), Some((at_end, Some(end)))) => Verdict {
            name: "RSS",
            what: format!(
                "RSS {:.1} MiB at {:.0} s → {:.1} MiB at the end ({:.0} s): {:+.1} %, at most +{MAX_RSS_GROWTH_PERCENT} %",
                mib(reference),
                at_ref.as_secs_f64(),
                mib(end),
                at_end.as_secs_f64(),
                growth(reference as f64, end as f64)
            ),
            passed: Some(rss_within(reference, end)),
        },
        _ => Verdict {
            name: "RSS",
            what: "RSS: no sample after the settling time, or none at the end (has the server gone?)"
                .to_owned(),
            passed: Some(false),
        },
    });

    // p99: the median of the per-window p99 over the first and the last span after settling.
    out.push(match drift_windows(&r.windows, r.settle, r.drift_span) {
        Some((first, last)) => match (median(&p99s(first)), median(&p99s(last))) {
            (Some(a), Some(b)) => Verdict {
                name: "p99 drift",
                what: format!(
                    "p99 (median of the windows' p99) {} ms over {} → {} ms over {}: {:+.1} %, at most +{MAX_P99_DRIFT_PERCENT} %",
                    fmt_ms(Some(a)),
                    span_label(first),
                    fmt_ms(Some(b)),
                    span_label(last),
                    growth(a.as_secs_f64(), b.as_secs_f64())
                ),
                passed: Some(drift_within(a, b)),
            },
            _ => Verdict {
                name: "p99 drift",
                what: "p99 drift: no successful request in the compared windows".to_owned(),
                passed: Some(false),
            },
        },
        None => Verdict {
            name: "p99 drift",
            what: "p99 drift: fewer than two windows after the settling time".to_owned(),
            passed: Some(false),
        },
    });

    // Errors: every phase's.
    let max_errors = r.max.as_ref().map_or(0, |m| m.overall.errors);
    let paced_errors = r.paced_overall.errors;
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let phases = r
        .max
        .iter()
        .map(|m| &m.overall)
        .chain(std::iter::once(&r.paced_overall));
    for s in phases {
        for (k, n) in &s.error_kinds {
            *kinds.entry(k.clone()).or_insert(0) += n;
        }
    }
    out.push(Verdict {
        name: "errors",
        what: format!(
            "{} errors while measuring the maximum, {paced_errors} in {} paced requests{}; none allowed",
            max_errors,
            r.paced_overall.successes + paced_errors,
            if kinds.is_empty() {
                String::new()
            } else {
                format!(" ({kinds:?})")
            }
        ),
        passed: Some(max_errors + paced_errors == 0 && r.paced_overall.successes > 0),
    });

    // Descriptors at idle.
    let probe = r.idle_before.probe_fds + r.idle_after.probe_fds;
    out.push(match (r.idle_before.server_fds(), r.idle_after.server_fds()) {
        (Some(before), Some(after)) => Verdict {
            name: "descriptors",
            what: format!(
                "open descriptors at idle {before} before → {after} after{}{}; no more allowed",
                fd_changes(&r.idle_before.fd_kinds, &r.idle_after.fd_kinds),
                if probe > 0 {
                    format!(
                        ", leaving out the load generator's own metrics connections ({} before, {} after)",
                        r.idle_before.probe_fds, r.idle_after.probe_fds
                    )
                } else {
                    String::new()
                }
            ),
            passed: Some(fds_within(before, after)),
        },
        _ => Verdict {
            name: "descriptors",
            what: "open descriptors at idle: not read (has the server gone?)".to_owned(),
            passed: Some(false),
        },
    });

    // Database connections at idle.
    out.push(
        match (
            r.idle_before.sample.db_connections,
            r.idle_after.sample.db_connections,
        ) {
            (Some(before), Some(after)) => Verdict {
                name: "database connections",
                what: format!(
                    "database connections at idle {before} before → {after} after; at most {}{}",
                    before.max(r.db_pool_size.unwrap_or(0)),
                    r.db_pool_size
                        .map_or_else(String::new, |p| format!(
                            " (the larger of before and the pool's size {p})"
                        ))
                ),
                passed: Some(db_connections_within(before, after, r.db_pool_size)),
            },
            (None, None) => Verdict {
                name: "database connections",
                what: "database connections: no command given (on SQLite the descriptor count covers them)"
                    .to_owned(),
                passed: None,
            },
            _ => Verdict {
                name: "database connections",
                what: "database connections: the command failed at an idle point".to_owned(),
                passed: Some(false),
            },
        },
    );
    out
}

fn growth(from: f64, to: f64) -> f64 {
    if from > 0.0 {
        (to - from) / from * 100.0
    } else {
        0.0
    }
}

/// The descriptor kinds whose counts changed, e.g. ` (socket 3 → 5)`.
fn fd_changes(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> String {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let changed: Vec<String> = keys
        .into_iter()
        .filter_map(|k| {
            let (a, b) = (
                before.get(k).copied().unwrap_or(0),
                after.get(k).copied().unwrap_or(0),
            );
            (a != b).then(|| format!("{k} {a} → {b}"))
        })
        .collect();
    if changed.is_empty() {
        String::new()
    } else {
        format!(" ({})", changed.join(", "))
    }
}

/// `true` when no verdict failed.
#[must_use]
pub fn passed(verdicts: &[Verdict]) -> bool {
    verdicts.iter().all(|v| v.passed != Some(false))
}

fn mib_opt(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{:.1}", mib(v)))
}

impl SoakReport {
    /// The markdown report: the maximum, the idle samples, the windows, per kind, the verdicts.
    #[must_use]
    pub fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let mut o = String::new();
        let _ = writeln!(o);
        match &self.max {
            Some(m) => {
                let _ = writeln!(
                    o,
                    "**Maximum of the mix** (closed loop, {} connections): {:.0} req/s, p50 {} ms, p99 {} ms, {} errors. Paced rate: {:.0} req/s ({:.0} % of it).",
                    m.connections,
                    m.requests_per_sec,
                    fmt_ms(m.overall.p50),
                    fmt_ms(m.overall.p99),
                    m.overall.errors,
                    self.rate,
                    self.load_fraction.unwrap_or(1.0) * 100.0
                );
                let _ = writeln!(o);
                let _ = writeln!(
                    o,
                    "| kind | req/s | p50 ms | p99 ms | errors |\n|---|--:|--:|--:|--:|"
                );
                for (kind, s) in &m.kinds {
                    let _ = writeln!(
                        o,
                        "| `{}` | {:.0} | {} | {} | {} |",
                        kind.label(),
                        s.requests_per_sec,
                        fmt_ms(s.p50),
                        fmt_ms(s.p99),
                        s.errors
                    );
                }
            }
            None => {
                let _ = writeln!(
                    o,
                    "**Paced rate** (given): {:.0} req/s; the maximum was not measured.",
                    self.rate
                );
            }
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "**Paced phase**: {:.0} s at {:.0} req/s, windows of {:.0} s; the first {:.0} s settle (left out of the RSS and p99 comparisons).",
            self.duration.as_secs_f64(),
            self.rate,
            self.windows.first().map_or(0.0, |w| w.length.as_secs_f64()),
            self.settle.as_secs_f64()
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "| window | from–to s | requests | req/s | errors | p50 ms | p99 ms | RSS MiB | anon MiB | fds | threads | DB conns | pool conns | outbox waiting |\n|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
        );
        for (i, w) in self.windows.iter().enumerate() {
            let s = &w.sample;
            let _ = writeln!(
                o,
                "| {} | {:.0}–{:.0} | {} | {:.1} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                i + 1,
                w.start.as_secs_f64(),
                (w.start + w.length).as_secs_f64(),
                w.overall.successes + w.overall.errors,
                w.overall.requests_per_sec,
                w.overall.errors,
                fmt_ms(w.overall.p50),
                fmt_ms(w.overall.p99),
                mib_opt(s.rss),
                mib_opt(s.rss_anon),
                opt(s.fds),
                opt(s.threads),
                opt(s.db_connections),
                opt(s.pool_connections),
                opt(s.outbox_waiting),
            );
        }
        let _ = writeln!(o);
        let _ = write!(o, "p99 ms per kind and window:\n\n| window |");
        for kind in Kind::ALL {
            let _ = write!(o, " {} |", kind.short());
        }
        let _ = write!(o, "\n|--:|");
        for _ in Kind::ALL {
            let _ = write!(o, "--:|");
        }
        let _ = writeln!(o);
        for (i, w) in self.windows.iter().enumerate() {
            let _ = write!(o, "| {} |", i + 1);
            for kind in Kind::ALL {
                let _ = write!(o, " {} |", fmt_ms(w.kinds.get(&kind).and_then(|s| s.p99)));
            }
            let _ = writeln!(o);
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "The whole paced phase per kind:\n\n| kind | requests | req/s | p50 ms | p99 ms | max ms | errors |\n|---|--:|--:|--:|--:|--:|--:|"
        );
        for (kind, s) in self
            .paced_kinds
            .iter()
            .map(|(k, s)| (k.label(), s))
            .chain(std::iter::once(("all", &self.paced_overall)))
        {
            let _ = writeln!(
                o,
                "| `{kind}` | {} | {:.1} | {} | {} | {} | {} |",
                s.successes + s.errors,
                s.requests_per_sec,
                fmt_ms(s.p50),
                fmt_ms(s.p99),
                fmt_ms(s.max),
                s.errors
            );
        }
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "At idle (connections closed, outbox drained, a pause):\n\n| | RSS MiB | anon MiB | fds | threads | DB conns | pool conns | outbox waiting / failed | outbox drained in s |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|"
        );
        for (name, idle) in [("before", &self.idle_before), ("after", &self.idle_after)] {
            let s = &idle.sample;
            let _ = writeln!(
                o,
                "| {name} | {} | {} | {} | {} | {} | {} | {} / {} | {}{} |",
                mib_opt(s.rss),
                mib_opt(s.rss_anon),
                opt(s.fds),
                opt(s.threads),
                opt(s.db_connections),
                opt(s.pool_connections),
                opt(s.outbox_waiting),
                opt(s.outbox_failed),
                idle.drain_time
                    .map_or_else(|| "-".to_owned(), |d| format!("{:.0}", d.as_secs_f64())),
                if idle.outbox_drained == Some(false) {
                    " (not drained in time)"
                } else {
                    ""
                }
            );
        }
        let kinds = |m: &BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Descriptors at idle before: {}.",
            kinds(&self.idle_before.fd_kinds)
        );
        let _ = writeln!(
            o,
            "Descriptors at idle after: {}.",
            kinds(&self.idle_after.fd_kinds)
        );
        let _ = writeln!(o);
        if let Some(note) = self.outbox_note() {
            let _ = writeln!(o, "Note (no verdict): {note}\n");
        }
        let _ = writeln!(o, "Verdicts:\n");
        for v in verdicts(self) {
            let word = match v.passed {
                Some(true) => "passed",
                Some(false) => "**FAILED**",
                None => "not measured",
            };
            let _ = writeln!(o, "- {}: {word}. {}", v.name, v.what);
        }
        o
    }

    /// A sentence when the outbox's waiting messages grew from the first window's end to the
    /// last's: the sender does not keep up with this rate, and the mail is ever later.
    #[must_use]
    pub fn outbox_note(&self) -> Option<String> {
        let first = self.windows.first()?;
        let last = self.windows.last()?;
        let (a, b) = (first.sample.outbox_waiting?, last.sample.outbox_waiting?);
        let span = (last.sample.at.saturating_sub(first.sample.at)).as_secs_f64();
        (b > a && span > 0.0).then(|| {
            format!(
                "the outbox's waiting messages grew from {a} at {:.0} s to {b} at {:.0} s ({:.0} a second): the sender does not keep up at this rate.",
                first.sample.at.as_secs_f64(),
                last.sample.at.as_secs_f64(),
                (b - a) as f64 / span
            )
        })
    }
}

/// Runs the soak and prints the report; `Ok(false)` when a verdict failed.
///
/// # Errors
/// As [`measure`].
pub async fn run(settings: Settings) -> anyhow::Result<bool> {
    let report = measure(settings).await?;
    println!("{}", report.markdown());
    Ok(passed(&verdicts(&report)))
}

/// Runs the soak: preparation, the maximum, the idle sample, the paced phase, the idle sample.
///
/// # Errors
/// Bad settings, the server never ready, or a preparation request failing.
pub async fn measure(settings: Settings) -> anyhow::Result<SoakReport> {
    settings.validate()?;
    let pid = settings.server_pid;
    let alive = || std::path::Path::new(&format!("/proc/{pid}")).exists();
    LoadGen::new(
        vec![settings.origin.clone()],
        1,
        settings.timeout,
        settings.first_user,
    )?
    .wait_ready(settings.ready_timeout, alive)
    .await?;
    let probe = Arc::new(Probe::new(&settings)?);
    let book = Arc::new(Book {
        next_lead: AtomicU64::new(settings.first_user),
        next_reference: AtomicU64::new(1),
        invoices: Mutex::new(Invoices::default()),
    });
    let ops = Arc::new(cycle(&MIX));

    let site = Arc::new(Site::new(
        &settings,
        Arc::clone(&book),
        settings.connections,
    )?);
    prepare(&site, settings.prep_leads, settings.connections).await?;
    eprintln!(
        "loadgen: soak: prepared {} leads, every request of the mix answered",
        settings.prep_leads
    );

    let (max, rate) = match settings.rate {
        Some(rate) => (None, rate),
        None => {
            if !settings.max_warm_up.is_zero() {
                let _ = closed_loop(&site, &ops, settings.connections, settings.max_warm_up).await;
            }
            let (kinds, elapsed) =
                closed_loop(&site, &ops, settings.connections, settings.max_duration).await;
            let (per_kind, overall) = summarize(&kinds, elapsed);
            let max = MaxLoad {
                connections: settings.connections,
                requests_per_sec: overall.requests_per_sec,
                kinds: per_kind,
                overall,
            };
            eprintln!(
                "loadgen: soak: maximum {:.0} req/s ({} errors, p99 {} ms); paced at {:.0} req/s",
                max.requests_per_sec,
                max.overall.errors,
                fmt_ms(max.overall.p99),
                max.requests_per_sec * settings.load_fraction
            );
            let rate = max.requests_per_sec * settings.load_fraction;
            (Some(max), rate)
        }
    };
    // Close this phase's connections before the idle sample.
    drop(site);
    anyhow::ensure!(
        rate >= 1.0,
        "the paced rate would be {rate:.2} requests per second: too low to measure"
    );
    let idle_before = probe.idle(settings.drain_timeout, settings.idle_wait).await;
    eprintln!(
        "loadgen: soak: idle before: {} fds, {} threads, RSS {} MiB; pacing {rate:.0} req/s for {:.0} s",
        opt(idle_before.sample.fds),
        opt(idle_before.sample.threads),
        mib_opt(idle_before.sample.rss),
        settings.duration.as_secs_f64()
    );

    let paced_site = Arc::new(Site::new(
        &settings,
        Arc::clone(&book),
        settings.connections,
    )?);
    if let Some(marker) = &settings.paced_marker {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        write_marker(marker, &format!("paced {now}\n"))?;
    }
    let paced = paced(&paced_site, &ops, &settings, &probe, rate).await;
    if let Some(marker) = &settings.paced_marker {
        write_marker(marker, "done\n")?;
    }
    drop(paced_site);
    let idle_after = probe.idle(settings.drain_timeout, settings.idle_wait).await;

    Ok(SoakReport {
        max,
        rate,
        load_fraction: settings.rate.is_none().then_some(settings.load_fraction),
        duration: settings.duration,
        settle: settings.settle,
        drift_span: settings.drift_span,
        windows: paced.windows,
        paced_kinds: paced.kinds,
        paced_overall: paced.overall,
        idle_before,
        idle_after,
        db_pool_size: settings.db_pool_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    fn secs(v: u64) -> Duration {
        Duration::from_secs(v)
    }

    /// A summary of `n` successes all taking `p99`, and `errors` failures.
    fn summary(n: u64, p99: Duration, errors: u64, length: Duration) -> Summary {
        let mut r = Recorder::new();
        (0..n).for_each(|_| r.success(p99));
        (0..errors).for_each(|_| r.error("status 500"));
        r.summarize(length)
    }

    /// A 30-minute soak of one-minute windows, every one alike: p99 `p99`, RSS `rss` MiB.
    fn report(p99: Duration, rss: u64) -> SoakReport {
        let windows: Vec<WindowSummary> = (0..30)
            .map(|i| {
                let (start, length) = window_bounds(i, secs(60), secs(1800));
                WindowSummary {
                    start,
                    length,
                    kinds: BTreeMap::new(),
                    overall: summary(100, p99, 0, length),
                    sample: Sample {
                        at: start + length,
                        rss: Some(rss << 20),
                        fds: Some(50),
                        threads: Some(20),
                        ..Sample::default()
                    },
                }
            })
            .collect();
        let idle = IdleSample {
            sample: Sample {
                fds: Some(48),
                db_connections: Some(3),
                ..Sample::default()
            },
            ..IdleSample::default()
        };
        SoakReport {
            max: Some(MaxLoad {
                connections: 32,
                requests_per_sec: 1000.0,
                kinds: BTreeMap::new(),
                overall: summary(10, ms(5), 0, secs(20)),
            }),
            rate: 500.0,
            load_fraction: Some(0.5),
            duration: secs(1800),
            settle: secs(300),
            drift_span: secs(300),
            windows,
            paced_kinds: BTreeMap::new(),
            paced_overall: summary(3000, p99, 0, secs(1800)),
            idle_before: idle.clone(),
            idle_after: idle,
            db_pool_size: Some(10),
        }
    }

    /// The names of the verdicts that did not pass (failed), in order.
    fn failed(r: &SoakReport) -> Vec<&'static str> {
        verdicts(r)
            .into_iter()
            .filter(|v| v.passed == Some(false))
            .map(|v| v.name)
            .collect()
    }

    #[test]
    fn the_mix_has_its_weights_spread_out() {
        let c = cycle(&MIX);
        assert_eq!(c.len(), 18);
        for (op, weight) in MIX {
            assert_eq!(
                c.iter().filter(|o| **o == op).count(),
                weight as usize,
                "{op:?}"
            );
        }
        // 20 requests in 18 operations (the payments send two).
        assert!((requests_per_op(&c) - 20.0 / 18.0).abs() < 1e-12);
        // No operation twice in a row within the cycle.
        for i in 1..c.len() {
            assert_ne!(c[i - 1], c[i], "at {i}: {c:?}");
        }
        assert!(cycle(&[]).is_empty());
        assert_eq!(requests_per_op(&[]), 1.0);
    }

    #[test]
    fn windows_cover_the_paced_phase_and_the_last_may_be_shorter() {
        assert_eq!(window_count(secs(1800), secs(60)), 30);
        assert_eq!(window_count(secs(185), secs(60)), 4);
        assert_eq!(window_count(secs(60), secs(60)), 1);
        assert_eq!(window_count(secs(60), Duration::ZERO), 0);
        assert_eq!(window_bounds(0, secs(60), secs(185)), (secs(0), secs(60)));
        assert_eq!(window_bounds(3, secs(60), secs(185)), (secs(180), secs(5)));
        // An operation belongs to the window it was due in.
        assert_eq!(window_index(Duration::ZERO, secs(60), 30), Some(0));
        assert_eq!(window_index(ms(59_999), secs(60), 30), Some(0));
        assert_eq!(window_index(secs(60), secs(60), 30), Some(1));
        assert_eq!(window_index(ms(1_799_999), secs(60), 30), Some(29));
        assert_eq!(window_index(secs(1800), secs(60), 30), None);
        assert_eq!(window_index(secs(1), Duration::ZERO, 30), None);
    }

    #[test]
    fn the_drift_compares_the_first_and_last_spans_after_settling() {
        let r = report(ms(10), 40);
        let (first, last) = drift_windows(&r.windows, secs(300), secs(300)).unwrap();
        assert_eq!(first.len(), 5);
        assert_eq!(first[0].start, secs(300));
        assert_eq!(first[4].start, secs(540));
        assert_eq!(last.len(), 5);
        assert_eq!(last[0].start, secs(1500));
        // A span longer than half of what is left is cut to half.
        let (first, last) = drift_windows(&r.windows, secs(1500), secs(300)).unwrap();
        assert_eq!((first.len(), last.len()), (2, 2));
        assert_eq!((first[0].start, last[1].start), (secs(1500), secs(1740)));
        // A short try: 240 s, 60 s settling, 60 s span: windows 2 and 4.
        let short: Vec<WindowSummary> = r.windows[..4].to_vec();
        let (first, last) = drift_windows(&short, secs(60), secs(60)).unwrap();
        assert_eq!((first.len(), first[0].start), (1, secs(60)));
        assert_eq!((last.len(), last[0].start), (1, secs(180)));
        // Fewer than two windows after settling: nothing to compare.
        assert!(drift_windows(&short, secs(180), secs(60)).is_none());
        assert!(drift_windows(&short, secs(400), secs(60)).is_none());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[ms(3)]), Some(ms(3)));
        assert_eq!(median(&[ms(9), ms(1), ms(5)]), Some(ms(5)));
        assert_eq!(median(&[ms(4), ms(1), ms(2), ms(100)]), Some(ms(3)));
        // One slow window (a backup) among five does not move the median.
        assert_eq!(median(&[ms(5), ms(5), ms(80), ms(6), ms(5)]), Some(ms(5)));
    }

    #[test]
    fn the_limits_pass_at_their_boundary_and_fail_just_beyond() {
        assert!(rss_within(100, 110));
        assert!(!rss_within(100, 111));
        assert!(rss_within(100 << 20, (110 << 20) / 100 * 100 / 100));
        assert!(rss_within(1000, 900), "shrinking is fine");
        assert!(rss_within(u64::MAX / 2, u64::MAX / 2), "no overflow");
        assert!(drift_within(ms(10), ms(15)));
        assert!(!drift_within(ms(10), ms(15) + Duration::from_nanos(1)));
        assert!(drift_within(ms(10), ms(1)));
        assert!(fds_within(48, 48));
        assert!(fds_within(48, 40));
        assert!(!fds_within(48, 49));
        // The pool may open connections up to its size, not beyond.
        assert!(db_connections_within(3, 10, Some(10)));
        assert!(!db_connections_within(3, 11, Some(10)));
        assert!(db_connections_within(12, 12, Some(10)));
        assert!(!db_connections_within(12, 13, Some(10)));
        assert!(db_connections_within(3, 3, None));
        assert!(!db_connections_within(3, 4, None));
    }

    #[test]
    fn a_steady_soak_passes_every_verdict() {
        let r = report(ms(10), 40);
        let v = verdicts(&r);
        assert_eq!(
            v.iter().map(|v| v.name).collect::<Vec<_>>(),
            [
                "RSS",
                "p99 drift",
                "errors",
                "descriptors",
                "database connections"
            ]
        );
        assert!(v.iter().all(|v| v.passed == Some(true)), "{v:#?}");
        assert!(passed(&v));
        let md = r.markdown();
        assert!(md.contains("| 30 | 1740–1800 |"), "{md}");
        assert!(md.contains("- RSS: passed."), "{md}");
        assert!(!md.contains("FAILED"), "{md}");
        assert!(!md.contains("Note (no verdict)"), "{md}");
        // A growing outbox is noted, and fails nothing.
        let mut r = r;
        r.windows[0].sample.outbox_waiting = Some(100);
        r.windows[29].sample.outbox_waiting = Some(17_500);
        assert!(passed(&verdicts(&r)));
        let note = r.outbox_note().unwrap();
        assert!(
            note.contains("from 100 at 60 s to 17500 at 1800 s (10 a second)"),
            "{note}"
        );
        r.windows[29].sample.outbox_waiting = Some(100);
        assert_eq!(r.outbox_note(), None);
    }

    #[test]
    fn rss_growth_fails_on_its_own_beyond_ten_percent() {
        // The reference is the sample at the end of the settling time (the end of window 5, at
        // 300 s): growth before it is not counted.
        let mut r = report(ms(10), 100);
        for w in &mut r.windows[..4] {
            w.sample.rss = Some(50 << 20);
        }
        assert!(failed(&r).is_empty(), "{:?}", failed(&r));
        let at_limit = (100 << 20) * 110 / 100;
        r.windows[29].sample.rss = Some(at_limit);
        assert!(failed(&r).is_empty(), "+10 % exactly passes");
        r.windows[29].sample.rss = Some(at_limit + 1);
        assert_eq!(failed(&r), ["RSS"]);
        // The server gone: no sample at the end.
        r.windows[29].sample.rss = None;
        assert_eq!(failed(&r), ["RSS"]);
    }

    #[test]
    fn p99_drift_fails_on_its_own_beyond_fifty_percent() {
        let mut r = report(ms(10), 40);
        // The last five windows at +50 %: passes; one slow window in the first span does not
        // count (median).
        for w in &mut r.windows[25..] {
            w.overall = summary(100, ms(15), 0, w.length);
        }
        r.windows[6].overall = summary(100, ms(200), 0, secs(60));
        assert!(failed(&r).is_empty(), "{:?}", failed(&r));
        // Three of the last five above +50 %: the median is.
        for w in &mut r.windows[27..] {
            w.overall = summary(100, ms(16), 0, w.length);
        }
        assert_eq!(failed(&r), ["p99 drift"]);
        // Slow windows during settling are left out.
        let mut r = report(ms(10), 40);
        for w in &mut r.windows[..5] {
            w.overall = summary(100, ms(1), 0, w.length);
        }
        assert!(failed(&r).is_empty(), "{:?}", failed(&r));
    }

    #[test]
    fn any_error_fails_on_its_own() {
        let mut r = report(ms(10), 40);
        r.paced_overall = summary(3000, ms(10), 1, secs(1800));
        assert_eq!(failed(&r), ["errors"]);
        let mut r = report(ms(10), 40);
        if let Some(m) = &mut r.max {
            m.overall = summary(10, ms(5), 1, secs(20));
        }
        assert_eq!(failed(&r), ["errors"]);
        assert!(
            verdicts(&r)[2].what.contains("status 500"),
            "{:?}",
            verdicts(&r)[2]
        );
        // Nothing answered at all is no pass either.
        let mut r = report(ms(10), 40);
        r.paced_overall = summary(0, ms(10), 0, secs(1800));
        assert!(failed(&r).contains(&"errors"));
    }

    #[test]
    fn a_descriptor_leak_fails_on_its_own() {
        let mut r = report(ms(10), 40);
        r.idle_after.sample.fds = Some(48);
        assert!(failed(&r).is_empty());
        r.idle_before.fd_kinds = BTreeMap::from([("socket".to_owned(), 8)]);
        r.idle_after.fd_kinds = BTreeMap::from([("socket".to_owned(), 9)]);
        r.idle_after.sample.fds = Some(49);
        assert_eq!(failed(&r), ["descriptors"]);
        assert!(
            verdicts(&r)[3].what.contains("socket 8 → 9"),
            "{:?}",
            verdicts(&r)[3]
        );
        r.idle_after.sample.fds = None;
        assert_eq!(failed(&r), ["descriptors"], "not read is a failure");
        // The load generator's own metrics connection is left out.
        let mut r = report(ms(10), 40);
        r.idle_before.sample.fds = Some(49);
        r.idle_before.probe_fds = 1;
        assert!(failed(&r).is_empty());
        r.idle_after.sample.fds = Some(49);
        assert_eq!(failed(&r), ["descriptors"]);
        r.idle_after.probe_fds = 1;
        assert!(failed(&r).is_empty());
        assert!(
            verdicts(&r)[3]
                .what
                .contains("own metrics connections (1 before, 1 after)")
        );
        let kinds = BTreeMap::from([
            ("tcp CLOSE_WAIT accepted on :9464".to_owned(), 1),
            ("tcp ESTABLISHED accepted on :9464".to_owned(), 2),
            ("tcp ESTABLISHED accepted on :8000".to_owned(), 4),
            ("tcp listening on :9464".to_owned(), 1),
            ("/srv/x accepted on :9464".to_owned(), 1),
        ]);
        assert_eq!(probe_descriptors(&kinds, 9464), 3);
        assert_eq!(probe_descriptors(&kinds, 8000), 4);
    }

    #[test]
    fn a_database_connection_leak_fails_on_its_own() {
        let mut r = report(ms(10), 40);
        // Up to the pool's size (10) is allowed even from 3.
        r.idle_after.sample.db_connections = Some(10);
        assert!(failed(&r).is_empty());
        r.idle_after.sample.db_connections = Some(11);
        assert_eq!(failed(&r), ["database connections"]);
        r.idle_after.sample.db_connections = None;
        assert_eq!(
            failed(&r),
            ["database connections"],
            "the command failed after"
        );
        // No command at all (SQLite): not measured, which fails nothing.
        r.idle_before.sample.db_connections = None;
        assert!(failed(&r).is_empty());
        assert_eq!(verdicts(&r)[4].passed, None);
    }

    #[test]
    fn gauges_are_read_by_name_and_labels() {
        let text = "# HELP wetech_outbox_messages Messages.\n\
            # TYPE wetech_outbox_messages gauge\n\
            wetech_outbox_messages{state=\"waiting\"} 12\n\
            wetech_outbox_messages{state=\"failed\"} 0\n\
            wetech_db_pool_connections{state=\"idle\"} 7\n\
            wetech_db_pool_connections{state=\"in_use\"} 1 1700000000000\n\
            wetech_outbox_messages_total{state=\"waiting\"} 99\n";
        assert_eq!(
            gauge(text, "wetech_outbox_messages", r#"state="waiting""#),
            Some(12.0)
        );
        assert_eq!(
            gauge(text, "wetech_db_pool_connections", r#"state="in_use""#),
            Some(1.0)
        );
        assert_eq!(gauge(text, "wetech_outbox", r#"state="waiting""#), None);
        assert_eq!(gauge("g{a=\"b\"} NaN\n", "g", r#"a="b""#), None);
        assert_eq!(count(3.0), Some(3));
        assert_eq!(count(-1.0), None);
    }

    #[test]
    fn answers_are_read_strictly() {
        let lead =
            br#"{"lead_id":1,"invoice":{"id":"aB3_-x","amount":"500000.00","currency":"TZS"}}"#;
        assert_eq!(
            lead_invoice(lead).unwrap(),
            Invoice {
                id: "aB3_-x".into(),
                amount: "500000.00".into()
            }
        );
        for bad in [
            &br#"{"invoice":{"id":"aB3","amount":500000}}"#[..],
            br#"{"invoice":{"id":"../x","amount":"1.00"}}"#,
            br#"{"invoice":{"id":"aB3","amount":"1e5"}}"#,
            b"nope",
        ] {
            assert!(
                lead_invoice(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(payment_id(br#"{"payment_id":"PAY-1"}"#).unwrap(), "PAY-1");
        assert!(payment_id(br#"{"payment_id":""}"#).is_err());
        assert!(payment_id(b"{}").is_err());
        let body: serde_json::Value =
            serde_json::from_str(&callback_body("PAY-1", "500000.00", 7)).unwrap();
        assert_eq!(body["utilityref"], "PAY-1");
        assert_eq!(body["amount"], "500000.00");
        assert_eq!(body["msisdn"], PUSH_MSISDN);
        assert_eq!(body["transactionstatus"], "success");
        assert_eq!(body["reference"], "SOAK0000000007");
    }

    #[test]
    fn invoices_are_read_in_turn_and_each_paid_once() {
        let mut inv = Invoices::default();
        assert_eq!(inv.next_to_read(), None);
        assert_eq!(inv.next_to_pay(), None);
        for i in 0..3 {
            inv.add(Invoice {
                id: format!("i{i}"),
                amount: "1.00".into(),
            });
        }
        let reads: Vec<String> = (0..6).filter_map(|_| inv.next_to_read()).collect();
        assert_eq!(reads, ["i1", "i2", "i0", "i1", "i2", "i0"]);
        assert_eq!(inv.next_to_pay().unwrap().id, "i0");
        assert_eq!(inv.next_to_pay().unwrap().id, "i1");
        // Bounded: the oldest are forgotten.
        for i in 0..(PAYABLE + RECENT) {
            inv.add(Invoice {
                id: format!("n{i}"),
                amount: "1.00".into(),
            });
        }
        assert_eq!(inv.recent.len(), RECENT);
        assert_eq!(inv.payable.len(), PAYABLE);
        assert_eq!(inv.next_to_pay().unwrap().id, format!("n{RECENT}"));
    }

    fn settings(origin: Url) -> Settings {
        Settings {
            origin,
            server_pid: std::process::id(),
            cookie: "session=abc".into(),
            callback_token: "tok3n".into(),
            duration: ms(1200),
            settle: ms(300),
            window: ms(300),
            drift_span: ms(300),
            max_duration: ms(300),
            max_warm_up: Duration::ZERO,
            connections: 4,
            load_fraction: 0.5,
            rate: None,
            prep_leads: 8,
            first_user: 1,
            timeout: secs(5),
            ready_timeout: secs(5),
            idle_wait: Duration::ZERO,
            drain_timeout: Duration::ZERO,
            max_in_flight: 256,
            metrics_origin: None,
            db_connections_command: None,
            db_pool_size: None,
            paced_marker: None,
        }
    }

    #[test]
    fn settings_are_bounded() {
        let origin = Url::parse("http://127.0.0.1:1").unwrap();
        assert!(settings(origin.clone()).validate().is_ok());
        let bad: [fn(&mut Settings); 10] = [
            |s| s.duration = ms(899), // settle 300 + two windows of 300
            |s| s.window = Duration::ZERO,
            |s| s.drift_span = ms(299),
            |s| s.load_fraction = 0.0,
            |s| s.load_fraction = 1.5,
            |s| s.load_fraction = f64::NAN,
            |s| s.rate = Some(0.0),
            |s| s.rate = Some(f64::INFINITY),
            |s| s.callback_token = "a/b".into(),
            |s| s.cookie = " \n".into(),
        ];
        for (i, change) in bad.iter().enumerate() {
            let mut s = settings(origin.clone());
            change(&mut s);
            assert!(s.validate().is_err(), "change {i} accepted");
        }
        let mut s = settings(origin);
        s.duration = ms(900);
        s.rate = Some(200.0);
        assert!(s.validate().is_ok());
        // Secrets stay out of Debug.
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("abc") && !shown.contains("tok3n"),
            "{shown}"
        );
    }

    #[test]
    fn soak_arguments_are_bounded() {
        use crate::cli::Cli;
        use clap::Parser as _;
        let base = [
            "loadgen",
            "soak",
            "--url",
            "http://127.0.0.1:1",
            "--server-pid",
            "1",
            "--cookie-file",
            "c",
            "--callback-token-file",
            "t",
        ];
        let with = |extra: &[&str]| {
            let mut v: Vec<&str> = base.to_vec();
            v.extend_from_slice(extra);
            Cli::try_parse_from(v)
        };
        assert!(with(&[]).is_ok());
        assert!(with(&["--duration", "180", "--settle", "60", "--rate", "300"]).is_ok());
        assert!(with(&["--db-pool-size", "10", "--db-connections-command", "echo 3"]).is_ok());
        for missing in [
            "--url",
            "--server-pid",
            "--cookie-file",
            "--callback-token-file",
        ] {
            let i = base.iter().position(|a| *a == missing).unwrap();
            let mut v = base.to_vec();
            v.drain(i..i + 2);
            assert!(
                Cli::try_parse_from(v).is_err(),
                "accepted without {missing}"
            );
        }
        for bad in [
            &["--duration", "0"][..],
            &["--duration", "86401"],
            &["--window", "0"],
            &["--window", "3601"],
            &["--drift-span", "0"],
            &["--max-duration", "0"],
            &["--max-duration", "601"],
            &["--connections", "0"],
            &["--connections", "2000"],
            &["--prep-leads", "0"],
            &["--threads", "0"],
            &["--max-in-flight", "0"],
            &["--db-pool-size", "0"],
            &["--settle", "-1"],
            &["--rate", "lots"],
        ] {
            assert!(with(bad).is_err(), "accepted {bad:?}");
        }
    }

    /// A fake site on 127.0.0.1 answering the mix's requests as `web` would (201 for leads and
    /// payments with their ids, 200 for the callback with the right token, 303 for the back
    /// office without a cookie, 200 for the rest).
    async fn fake_site() -> Url {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let next = Arc::new(AtomicU64::new(0));
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let next = Arc::clone(&next);
                tokio::spawn(async move {
                    let mut buf = vec![0_u8; 16_384];
                    let mut pending = Vec::new();
                    loop {
                        let Ok(n) = sock.read(&mut buf).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        pending.extend_from_slice(&buf[..n]);
                        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
                            let lower = head.to_lowercase();
                            let body_len: usize = lower
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse().ok())
                                .unwrap_or(0);
                            if pending.len() < end + 4 + body_len {
                                break;
                            }
                            pending.drain(..end + 4 + body_len);
                            let line = head.lines().next().unwrap_or_default().to_owned();
                            let mut parts = line.split(' ');
                            let (method, path) =
                                (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                            let n = next.fetch_add(1, Ordering::Relaxed);
                            let (status, body) = match (method, path) {
                                ("POST", "/api/v1/leads") => (
                                    201,
                                    format!(
                                        r#"{{"invoice":{{"id":"inv{n}","amount":"500000.00"}}}}"#
                                    ),
                                ),
                                ("POST", p) if p.ends_with("/payments") => {
                                    (201, format!(r#"{{"payment_id":"pay{n}"}}"#))
                                }
                                ("POST", "/payments/azampay/callback/tok3n") => {
                                    (200, r#"{"success":true}"#.to_owned())
                                }
                                ("POST", _) => (401, String::new()),
                                ("GET", p) if p.starts_with("/admin/") => {
                                    if lower.contains("cookie: session=abc") {
                                        (200, "<html></html>".to_owned())
                                    } else {
                                        (303, String::new())
                                    }
                                }
                                _ => (200, "{}".to_owned()),
                            };
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
    async fn a_short_soak_against_a_fake_site_counts_every_window() {
        let origin = fake_site().await;
        let dir = std::env::temp_dir().join(format!("soak-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let marker = dir.join("paced");
        let mut s = settings(origin.clone());
        s.rate = Some(200.0);
        s.paced_marker = Some(marker.clone());
        s.db_connections_command = Some("echo 3".into());
        s.db_pool_size = Some(4);
        let r = measure(s).await.unwrap();
        assert_eq!(std::fs::read_to_string(&marker).unwrap(), "done\n");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(r.max.is_none(), "the rate was given");
        assert_eq!(r.windows.len(), 4);
        let total: u64 = r.windows.iter().map(|w| w.overall.successes).sum();
        // 200 requests/s for 1.2 s, in operations of 20 requests per 18.
        assert_eq!(
            r.paced_overall.errors, 0,
            "{:?}",
            r.paced_overall.error_kinds
        );
        assert_eq!(total, r.paced_overall.successes);
        assert!((200..=260).contains(&total), "{total}");
        for w in &r.windows {
            assert!(w.overall.successes > 30, "{w:?}");
            assert_eq!(w.length, ms(300));
            assert!(w.sample.rss.is_some() && w.sample.fds.is_some());
            assert_eq!(w.sample.db_connections, Some(3));
        }
        let kinds = &r.paced_kinds;
        assert_eq!(
            kinds[&Kind::PaymentStart].successes,
            kinds[&Kind::Callback].successes
        );
        assert!(kinds[&Kind::Invoice].successes >= 2 * kinds[&Kind::Lead].successes - 6);
        assert_eq!(r.idle_before.sample.db_connections, Some(3));
        let v = verdicts(&r);
        // Not the descriptors: the "server" here is this test process, whose other tests open
        // and close descriptors meanwhile.
        for name in ["errors", "database connections"] {
            let verdict = v.iter().find(|v| v.name == name).unwrap();
            assert_eq!(verdict.passed, Some(true), "{verdict:?}");
        }

        // A wrong callback token is found while preparing, before any load.
        let mut s = settings(origin.clone());
        s.callback_token = "wrong".into();
        let e = measure(s).await.unwrap_err().to_string();
        assert!(e.contains("callback") && e.contains("401"), "{e}");
        // And a missing session.
        let mut s = settings(origin);
        s.cookie = "other=1".into();
        let e = measure(s).await.unwrap_err().to_string();
        assert!(e.contains("/admin/") && e.contains("303"), "{e}");
    }

    #[tokio::test]
    async fn the_maximum_is_measured_and_paced_at_its_fraction() {
        let origin = fake_site().await;
        let mut s = settings(origin);
        s.load_fraction = 0.01;
        let r = measure(s).await.unwrap();
        let max = r.max.as_ref().unwrap();
        assert!(max.requests_per_sec > 0.0);
        assert_eq!(max.overall.errors, 0, "{:?}", max.overall.error_kinds);
        assert!((r.rate - max.requests_per_sec * 0.01).abs() < 1e-9);
        assert!(r.markdown().contains("**Maximum of the mix**"));
    }
}
