//! A development and test simulator of both gateways (feature `simulator`).
//!
//! It serves Pesapal under `/_simulator/pesapal/…` (so the client's base URL is
//! `{origin}/_simulator/pesapal`) and AzamPay's two hosts under `/_simulator/azampay/auth/…` and
//! `/_simulator/azampay/checkout/…`, with their real wire formats and quirks: string `status`
//! values, the pending-is-`"500"` answer, the bare-array IPN list, the misspelled
//! `ipn_status_decription`, case-insensitive paths, tokens with a configurable lifetime (default
//! five minutes), a hosted payment page with Pay and Fail buttons, a "phone" page to approve
//! AzamPay pushes, IPN and callback delivery (callbacks signed with a development key whose
//! public half it serves like AzamPay), and fault injection.
//!
//! Mount it in an actix-web app (development only):
//!
//! ```
//! use actix_web::App;
//! use wetech_payments::simulator::{Simulator, SimulatorConfig};
//!
//! let simulator = Simulator::new(SimulatorConfig {
//!     azampay_callback_url: Some("http://127.0.0.1:8000/payments/azampay/callback/token".into()),
//!     ..SimulatorConfig::default()
//! });
//! let app = App::new().configure(|cfg| simulator.configure(cfg));
//! # let _ = app;
//! ```
//!
//! Or run it on its own port for tests:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use wetech_payments::simulator::{Endpoint, Simulator};
//! let sim = Simulator::default().spawn()?;
//! sim.handle().fail_next(Endpoint::PesapalToken, 2, 503);
//! assert!(sim.pesapal_base_url().starts_with("http://127.0.0.1:"));
//! sim.stop().await;
//! # Ok(()) }
//! ```
//!
//! Control API (also mounted): `POST /_simulator/control/faults` with
//! `{"endpoint":"pesapal.token","kind":"status","status":503,"times":2}` (`kind` also `delay` with
//! `delay_ms`, or `drop`); `DELETE /_simulator/control/faults`; `GET /_simulator/control/calls`;
//! `POST /_simulator/control/reset`; `GET /_simulator/control/deliveries`;
//! `PUT /_simulator/control/config` with any of `token_lifetime_secs`, `azampay_callback_url`,
//! `azampay_push` (`{"mode":"manual"|"approve"|"fail","after_ms":N}`);
//! `POST /_simulator/control/pesapal/orders/{tracking_id}/{complete|fail|reverse}`;
//! `POST /_simulator/control/azampay/transactions/{transaction_id}/{approve|fail}`.

mod azampay;
mod control;
mod faults;
mod html;
mod pesapal;

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpServer, web};
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;

pub use faults::{Endpoint, Fault, UnknownEndpoint};

use crate::azampay::CallbackSchema;
use crate::money::Money;
use crate::settings::{
    SIMULATOR_AZAMPAY_AUTH_PATH, SIMULATOR_AZAMPAY_CHECKOUT_PATH, SIMULATOR_PESAPAL_PATH,
};

/// DEVELOPMENT-ONLY key pair with which the simulator signs AzamPay callbacks. It is published
/// in this source tree and protects nothing; it exists so a debug build need not generate a
/// 2048-bit RSA key. Never configure it as a real gateway key.
pub const DEV_SIGNING_KEY_PEM: &str = include_str!("dev_signing_key.pem");
/// The public half of [`DEV_SIGNING_KEY_PEM`], as the simulator serves it.
pub const DEV_PUBLIC_KEY_PEM: &str = include_str!("dev_signing_key.pub.pem");

/// How a simulated AzamPay push ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Wait for the phone page (`/_simulator/azampay/phone`) or the control API.
    Manual,
    /// The customer approves after this delay.
    Approve {
        /// Delay before approval.
        after: Duration,
    },
    /// The customer declines after this delay.
    Fail {
        /// Delay before the failure.
        after: Duration,
    },
}

/// Body encoding of a POST IPN (UNCONFIRMED at Pesapal: JSON is what integrators parse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostEncoding {
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

/// Behaviour of a simulator.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Lifetime of issued access tokens (both gateways). Default five minutes.
    pub token_lifetime: Duration,
    /// Pesapal `(consumer_key, consumer_secret)` to insist on; `None` accepts any non-empty pair.
    pub pesapal_credentials: Option<(String, String)>,
    /// AzamPay `(appName, clientId, clientSecret)` to insist on; `None` accepts any.
    pub azampay_credentials: Option<(String, String, String)>,
    /// When set, AzamPay calls must carry this `X-API-Key`.
    pub azampay_api_key: Option<String>,
    /// Where AzamPay callbacks go (configured out of band, like the real one); `None`: not sent.
    pub azampay_callback_url: Option<String>,
    /// How pushes end.
    pub azampay_push: PushOutcome,
    /// Callback generation to send.
    pub azampay_callback_schema: CallbackSchema,
    /// Sign current-schema callbacks with [`DEV_SIGNING_KEY_PEM`].
    pub azampay_sign_callbacks: bool,
    /// The failure word in callbacks (`failure` per the spec, `failed` per the plugin).
    pub azampay_failure_word: String,
    /// Encoding of POST IPNs.
    pub pesapal_ipn_post_encoding: PostEncoding,
    /// `payment_method` of paid Pesapal orders.
    pub pesapal_payment_method: String,
    /// Attempts per IPN / callback delivery (until acknowledged); `0` delivers nothing (a lost
    /// notification, for reconciliation tests).
    pub delivery_attempts: u32,
    /// Pause between delivery attempts.
    pub delivery_retry_delay: Duration,
    /// Origin used in URLs the simulator hands out (e.g. `http://127.0.0.1:8000`); when `None`
    /// it is taken from each request's `Host`.
    pub public_origin: Option<String>,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            token_lifetime: Duration::from_secs(300),
            pesapal_credentials: None,
            azampay_credentials: None,
            azampay_api_key: None,
            azampay_callback_url: None,
            azampay_push: PushOutcome::Manual,
            azampay_callback_schema: CallbackSchema::Current,
            azampay_sign_callbacks: true,
            azampay_failure_word: "failure".to_owned(),
            pesapal_ipn_post_encoding: PostEncoding::Json,
            pesapal_payment_method: "Visa".to_owned(),
            delivery_attempts: 3,
            delivery_retry_delay: Duration::from_secs(1),
            public_origin: None,
        }
    }
}

/// Why a simulator handle operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulatorError {
    /// No such Pesapal order or AzamPay transaction.
    #[error("unknown reference `{0}`")]
    Unknown(String),
    /// The order or transaction is no longer pending (or not completed, for a reversal).
    #[error("`{0}` is not in a state that allows this")]
    WrongState(String),
    /// The development key could not be used.
    #[error("signing failed")]
    Signing,
}

/// Where a notification was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryKind {
    /// A Pesapal IPN.
    PesapalIpn,
    /// An AzamPay callback.
    AzamPayCallback,
}

/// One delivery attempt of an IPN or callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// IPN or callback.
    pub kind: DeliveryKind,
    /// Target URL (for GET IPNs including the query).
    pub url: String,
    /// `GET` or `POST`.
    pub method: &'static str,
    /// Body sent (empty for GET).
    pub body: String,
    /// HTTP status answered, `None` when unreachable.
    pub http_status: Option<u16>,
    /// Whether the answer counted as an acknowledgement.
    pub acknowledged: bool,
    /// 1 for the first attempt.
    pub attempt: u32,
}

pub(crate) struct State {
    config: Mutex<SimulatorConfig>,
    faults: Mutex<faults::Faults>,
    pesapal: Mutex<pesapal::PesapalState>,
    azampay: Mutex<azampay::AzamPayState>,
    deliveries: Mutex<Vec<Delivery>>,
    http: reqwest::Client,
}

/// The path below a host's catch-all route (`{tail:.*}`), without a trailing slash and lower-cased:
/// the real gateways' servers match paths case-insensitively.
pub(crate) fn route_tail(req: &HttpRequest) -> String {
    req.match_info()
        .get("tail")
        .unwrap_or("")
        .trim_end_matches('/')
        .to_ascii_lowercase()
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    pub(crate) fn config(&self) -> SimulatorConfig {
        lock(&self.config).clone()
    }

    /// Origin for URLs handed out.
    pub(crate) fn origin(&self, req: &HttpRequest) -> String {
        if let Some(o) = lock(&self.config).public_origin.clone() {
            return o.trim_end_matches('/').to_owned();
        }
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    }

    pub(crate) fn record(&self, d: Delivery) {
        let mut all = lock(&self.deliveries);
        if all.len() >= 1000 {
            all.remove(0);
        }
        all.push(d);
    }

    /// Counts the call and applies the next fault. `Some` = answer with this instead.
    pub(crate) async fn arrive(&self, endpoint: Endpoint) -> Option<actix_web::HttpResponse> {
        let fault = lock(&self.faults).arrive(endpoint);
        match fault {
            None => None,
            Some(Fault::Delay(d)) => {
                tokio::time::sleep(d).await;
                None
            }
            Some(Fault::Status { status, body }) => Some(faults::status_response(status, body)),
            Some(Fault::Drop) => Some(faults::dropped_connection()),
        }
    }
}

pub(crate) fn signing_key() -> Option<&'static RsaPrivateKey> {
    static KEY: OnceLock<Option<RsaPrivateKey>> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::from_pkcs8_pem(DEV_SIGNING_KEY_PEM).ok())
        .as_ref()
}

/// Spawns `fut` on the current tokio runtime, if there is one.
pub(crate) fn spawn<F: std::future::Future<Output = ()> + Send + 'static>(fut: F) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(fut);
    }
}

/// Both simulated gateways and their shared state. Cheap to clone.
#[derive(Clone)]
pub struct Simulator {
    state: Arc<State>,
}

impl Default for Simulator {
    fn default() -> Self {
        Simulator::new(SimulatorConfig::default())
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator").finish_non_exhaustive()
    }
}

impl Simulator {
    /// A simulator with this behaviour.
    #[must_use]
    pub fn new(config: SimulatorConfig) -> Simulator {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Simulator {
            state: Arc::new(State {
                config: Mutex::new(config),
                faults: Mutex::new(faults::Faults::default()),
                pesapal: Mutex::new(pesapal::PesapalState::default()),
                azampay: Mutex::new(azampay::AzamPayState::default()),
                deliveries: Mutex::new(Vec::new()),
                http,
            }),
        }
    }

    /// Mounts every simulator route under `/_simulator` in an actix-web app.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.service(
            web::scope("/_simulator")
                .app_data(web::Data::from(self.state.clone()))
                .app_data(web::PayloadConfig::new(256 * 1024))
                .route("", web::get().to(html::index))
                .route("/", web::get().to(html::index))
                .configure(control::configure)
                .route("/azampay/phone", web::get().to(azampay::phone_page))
                .route("/azampay/phone/{id}", web::post().to(azampay::phone_action))
                .route(
                    "/azampay/auth/{tail:.*}",
                    web::route().to(azampay::auth_dispatch),
                )
                .route(
                    "/azampay/checkout/{tail:.*}",
                    web::route().to(azampay::checkout_dispatch),
                )
                .route("/pesapal/{tail:.*}", web::route().to(pesapal::dispatch)),
        );
    }

    /// A handle for tests and tools: faults, counters, outcomes.
    #[must_use]
    pub fn handle(&self) -> SimulatorHandle {
        SimulatorHandle {
            state: self.state.clone(),
        }
    }

    /// Serves the simulator alone on `127.0.0.1:0` (a free port). Needs a tokio runtime.
    pub fn spawn(self) -> std::io::Result<RunningSimulator> {
        self.spawn_on(TcpListener::bind("127.0.0.1:0")?)
    }

    /// Serves the simulator alone on `listener`. Needs a tokio runtime. Calling this again with
    /// the same `Simulator` serves the same state on another port.
    pub fn spawn_on(self, listener: TcpListener) -> std::io::Result<RunningSimulator> {
        let rt = tokio::runtime::Handle::try_current().map_err(std::io::Error::other)?;
        let addr = listener.local_addr()?;
        let sim = self.clone();
        let server = HttpServer::new(move || {
            let sim = sim.clone();
            App::new().configure(move |cfg| sim.configure(cfg))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)?
        .run();
        let server_handle = server.handle();
        rt.spawn(async move {
            let _ = server.await;
        });
        Ok(RunningSimulator {
            origin: format!("http://{addr}"),
            handle: self.handle(),
            server: server_handle,
        })
    }
}

/// A simulator serving on its own port.
pub struct RunningSimulator {
    origin: String,
    handle: SimulatorHandle,
    server: actix_web::dev::ServerHandle,
}

impl std::fmt::Debug for RunningSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSimulator")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl RunningSimulator {
    /// `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Pesapal base URL for [`crate::PesapalConfig`].
    #[must_use]
    pub fn pesapal_base_url(&self) -> String {
        format!("{}{SIMULATOR_PESAPAL_PATH}", self.origin)
    }

    /// AzamPay authenticator base URL.
    #[must_use]
    pub fn azampay_auth_base_url(&self) -> String {
        format!("{}{SIMULATOR_AZAMPAY_AUTH_PATH}", self.origin)
    }

    /// AzamPay checkout base URL.
    #[must_use]
    pub fn azampay_checkout_base_url(&self) -> String {
        format!("{}{SIMULATOR_AZAMPAY_CHECKOUT_PATH}", self.origin)
    }

    /// The control handle.
    #[must_use]
    pub fn handle(&self) -> &SimulatorHandle {
        &self.handle
    }

    /// Stops serving (in-flight requests get a second to finish).
    pub async fn stop(self) {
        self.server.stop(true).await;
    }
}

/// A snapshot of a simulated Pesapal order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderView {
    /// `order_tracking_id`.
    pub order_tracking_id: String,
    /// `merchant_reference`.
    pub merchant_reference: String,
    /// Amount ordered.
    pub amount: Money,
    /// `PENDING`, `COMPLETED`, `FAILED` or `REVERSED`.
    pub status: &'static str,
}

/// A snapshot of a simulated AzamPay transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionView {
    /// `transactionId`.
    pub transaction_id: String,
    /// `externalId` / `referenceId` (comes back as `utilityref`).
    pub external_id: String,
    /// Amount.
    pub amount: Money,
    /// `accountNumber` as received.
    pub msisdn: String,
    /// Provider as received.
    pub provider: String,
    /// `pending`, `success` or `failure`.
    pub status: &'static str,
}

/// Controls a simulator from Rust: faults, counters, outcomes, deliveries.
#[derive(Clone)]
pub struct SimulatorHandle {
    state: Arc<State>,
}

impl std::fmt::Debug for SimulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorHandle").finish_non_exhaustive()
    }
}

impl SimulatorHandle {
    /// Adds a fault for the next `times` calls of `endpoint` (after those already queued).
    pub fn inject(&self, endpoint: Endpoint, fault: Fault, times: u32) {
        lock(&self.state.faults).push(endpoint, fault, times);
    }

    /// The next `times` calls of `endpoint` answer `status` (empty body).
    pub fn fail_next(&self, endpoint: Endpoint, times: u32, status: u16) {
        self.inject(endpoint, Fault::Status { status, body: None }, times);
    }

    /// The next `times` calls of `endpoint` wait `delay` first.
    pub fn delay_next(&self, endpoint: Endpoint, times: u32, delay: Duration) {
        self.inject(endpoint, Fault::Delay(delay), times);
    }

    /// The next `times` calls of `endpoint` get their connection closed without an answer.
    pub fn drop_next(&self, endpoint: Endpoint, times: u32) {
        self.inject(endpoint, Fault::Drop, times);
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.state.faults).clear();
    }

    /// How many calls reached `endpoint` (faulted ones included).
    #[must_use]
    pub fn calls(&self, endpoint: Endpoint) -> u64 {
        lock(&self.state.faults).calls(endpoint)
    }

    /// Sets every call counter to zero.
    pub fn reset_calls(&self) {
        lock(&self.state.faults).reset_calls();
    }

    /// Changes the lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.state.config).token_lifetime = lifetime;
    }

    /// Changes where AzamPay callbacks go.
    pub fn set_azampay_callback_url(&self, url: Option<String>) {
        lock(&self.state.config).azampay_callback_url = url;
    }

    /// Changes how pushes end (for checkouts made from now on).
    pub fn set_azampay_push(&self, outcome: PushOutcome) {
        lock(&self.state.config).azampay_push = outcome;
    }

    /// Changes the whole configuration.
    pub fn update_config(&self, f: impl FnOnce(&mut SimulatorConfig)) {
        f(&mut lock(&self.state.config));
    }

    /// Every delivery attempt so far.
    #[must_use]
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.state.deliveries).clone()
    }

    /// Waits until at least `n` delivery attempts were recorded, or `timeout` passed.
    pub async fn wait_for_deliveries(&self, n: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let d = self.deliveries();
            if d.len() >= n || tokio::time::Instant::now() >= deadline {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The Pesapal order, if it exists.
    #[must_use]
    pub fn pesapal_order(&self, order_tracking_id: &str) -> Option<OrderView> {
        lock(&self.state.pesapal).view(order_tracking_id)
    }

    /// Every Pesapal order.
    #[must_use]
    pub fn pesapal_orders(&self) -> Vec<OrderView> {
        lock(&self.state.pesapal).views()
    }

    /// Marks a pending order paid and sends its IPN, as if the customer paid.
    pub fn complete_pesapal_order(&self, order_tracking_id: &str) -> Result<(), SimulatorError> {
        pesapal::settle(&self.state, order_tracking_id, pesapal::Outcome::Pay)
    }

    /// Marks a pending order failed and sends its IPN.
    pub fn fail_pesapal_order(&self, order_tracking_id: &str) -> Result<(), SimulatorError> {
        pesapal::settle(&self.state, order_tracking_id, pesapal::Outcome::Fail)
    }

    /// Reverses a completed order and sends its IPN.
    pub fn reverse_pesapal_order(&self, order_tracking_id: &str) -> Result<(), SimulatorError> {
        pesapal::settle(&self.state, order_tracking_id, pesapal::Outcome::Reverse)
    }

    /// The AzamPay transaction, if it exists.
    #[must_use]
    pub fn azampay_transaction(&self, transaction_id: &str) -> Option<TransactionView> {
        lock(&self.state.azampay).view(transaction_id)
    }

    /// Every AzamPay transaction.
    #[must_use]
    pub fn azampay_transactions(&self) -> Vec<TransactionView> {
        lock(&self.state.azampay).views()
    }

    /// The customer approves the push: the transaction succeeds and the callback is sent.
    pub fn approve_azampay(&self, transaction_id: &str) -> Result<(), SimulatorError> {
        azampay::settle(&self.state, transaction_id, true)
    }

    /// The customer declines: the transaction fails and the callback is sent.
    pub fn fail_azampay(&self, transaction_id: &str) -> Result<(), SimulatorError> {
        azampay::settle(&self.state, transaction_id, false)
    }

    /// The callback body the simulator would send for this transaction with this outcome
    /// (signed per the configuration), without sending it or changing anything.
    pub fn azampay_callback_body(
        &self,
        transaction_id: &str,
        success: bool,
    ) -> Result<Vec<u8>, SimulatorError> {
        azampay::callback_body(&self.state, transaction_id, success)
    }

    /// The PEM public key the simulator serves and signs with.
    #[must_use]
    pub fn public_key_pem(&self) -> &'static str {
        DEV_PUBLIC_KEY_PEM
    }

    /// Calls per endpoint.
    #[must_use]
    pub fn all_calls(&self) -> HashMap<&'static str, u64> {
        lock(&self.state.faults)
            .all_calls()
            .into_iter()
            .map(|(e, n)| (e.as_str(), n))
            .collect()
    }
}

impl SimulatorHandle {
    pub(crate) fn from_state(state: Arc<State>) -> SimulatorHandle {
        SimulatorHandle { state }
    }
}
