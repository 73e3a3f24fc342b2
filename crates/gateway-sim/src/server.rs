//! Serving the simulator: mounted in an app or alone on its own port.
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
//! use wetech_gateway_sim::{Simulator, SimulatorConfig};
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
//! use wetech_gateway_sim::{Endpoint, Simulator};
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

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpServer, web};

use crate::config::SimulatorConfig;
use crate::handle::SimulatorHandle;
use crate::state::State;
use crate::{azampay, control, faults, html, pesapal};

/// Path prefix under which the simulator serves Pesapal (append to the site's origin).
pub const PESAPAL_PATH: &str = "/_simulator/pesapal";
/// Path prefix under which the simulator serves AzamPay's authenticator host.
pub const AZAMPAY_AUTH_PATH: &str = "/_simulator/azampay/auth";
/// Path prefix under which the simulator serves AzamPay's checkout host.
pub const AZAMPAY_CHECKOUT_PATH: &str = "/_simulator/azampay/checkout";
/// The simulated customer's phone, where AzamPay pushes are approved or declined.
pub const AZAMPAY_PHONE_PATH: &str = "/_simulator/azampay/phone";

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
                .route("/style.css", web::get().to(html::stylesheet))
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
        SimulatorHandle::from_state(self.state.clone())
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

    /// Pesapal base URL for a Pesapal client.
    #[must_use]
    pub fn pesapal_base_url(&self) -> String {
        format!("{}{PESAPAL_PATH}", self.origin)
    }

    /// AzamPay authenticator base URL.
    #[must_use]
    pub fn azampay_auth_base_url(&self) -> String {
        format!("{}{AZAMPAY_AUTH_PATH}", self.origin)
    }

    /// AzamPay checkout base URL.
    #[must_use]
    pub fn azampay_checkout_base_url(&self) -> String {
        format!("{}{AZAMPAY_CHECKOUT_PATH}", self.origin)
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
