//! `Application::build` binds the listener and assembles the server; `run_until_stopped` serves.
//! Tests build with port 0 and read the real port back.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;

use secrecy::ExposeSecret as _;
use wetech_app::UseCases;
use wetech_observability::{RequestTracing, SlowRequestLogger};
use wetech_payments::settings::PaymentsMode;
use wetech_payments::simulator::{Simulator, SimulatorConfig, SimulatorHandle};
use wetech_persistence::{Pool, UnitOfWork};
use wetech_runtime::{Environment, Settings, build_gateways};

use crate::routes;
use crate::security::{self, Hardening};

/// A built, bound, not yet running server.
pub struct Application {
    server: Server,
    address: SocketAddr,
    pool: Pool,
    use_cases: UseCases,
    simulator: Option<SimulatorHandle>,
    public_url: String,
}

/// Origins a form may lead to by redirect: the Pesapal payment page's host (outside simulator
/// mode; the simulator's page is on this site).
fn form_action_origins(settings: &Settings, loopback_origin: &str) -> Vec<String> {
    let mode = settings.payments_mode();
    if mode == PaymentsMode::Simulator {
        return Vec::new();
    }
    let base = settings.payments.pesapal_base_url(mode, loopback_origin);
    let mut parts = base.splitn(4, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(scheme), Some(""), Some(host)) if !host.is_empty() => {
            vec![format!("{scheme}//{host}")]
        }
        _ => Vec::new(),
    }
}

impl Application {
    /// Opens the database, migrates it, binds `server.host:server.port` and assembles the routes.
    ///
    /// With port `0` a free port is chosen and, when `server.public_url` was left at its default,
    /// the public URL follows the bound address (so the simulator's notifications reach this
    /// server).
    pub async fn build(mut settings: Settings) -> anyhow::Result<Application> {
        std::fs::create_dir_all(&settings.storage.media_dir).with_context(|| {
            format!(
                "creating the media directory {}",
                settings.storage.media_dir.display()
            )
        })?;
        let pool = wetech_runtime::open_database(&settings).await?;
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!("binding {}:{}", settings.server.host, settings.server.port)
            })?;
        let address = listener.local_addr().context("reading the bound address")?;
        if settings.server.port == 0
            && settings.server.public_url == wetech_runtime::ServerSettings::default().public_url
        {
            settings.server.public_url = format!("http://{address}");
        }
        let public_url = settings.server.public_base().to_owned();
        let loopback_origin = format!("http://{address}");
        let gateways = build_gateways(&settings, &loopback_origin).context("payment gateways")?;
        let simulator = (settings.payments_mode() == PaymentsMode::Simulator).then(|| {
            let callback_url = gateways.azampay_callback_token.as_ref().map(|t| {
                format!(
                    "{public_url}{}",
                    wetech_app::paths::azampay_callback(t.expose_secret())
                )
            });
            Simulator::new(SimulatorConfig {
                public_origin: Some(public_url.clone()),
                azampay_callback_url: callback_url,
                ..SimulatorConfig::default()
            })
        });
        let use_cases = UseCases::new(
            UnitOfWork::new(pool.clone()),
            gateways,
            &public_url,
            settings.checkout.clone(),
        );
        tracing::info!(
            address = %address,
            url = %format!("http://{address}"),
            environment = settings.environment.as_str(),
            payments_mode = ?settings.payments_mode(),
            "listening"
        );

        let production = settings.environment == Environment::Production;
        let health = web::Data::new(wetech_runtime::health_context(&settings, pool.clone()));
        let app_data = web::Data::new(use_cases.clone());
        let csrf = web::Data::new(crate::csrf::Csrf::new(
            settings.server.secret_key.clone(),
            production,
        ));
        let rate_limit = web::Data::new(crate::ratelimit::LeadRateLimit::new(
            settings.server.lead_rate_limit_per_minute,
            settings.server.trust_proxy,
        ));
        let sim = simulator.clone();
        let trust_proxy = settings.server.trust_proxy;
        let thresholds = settings.observability;
        let hardening = Hardening::new(&settings.server.public_url, trust_proxy)
            .with_form_action_origins(&form_action_origins(&settings, &loopback_origin));
        let shutdown = settings.server.shutdown_timeout_secs;

        let server = HttpServer::new(move || {
            let hardening = hardening.clone();
            let dev_hardening = hardening.clone();
            App::new()
                .app_data(health.clone())
                .app_data(app_data.clone())
                .app_data(csrf.clone())
                .app_data(rate_limit.clone())
                .configure(|cfg| {
                    if let Some(sim) = &sim {
                        sim.configure(cfg);
                    }
                })
                .configure(|cfg| routes::configure(cfg, !production))
                .default_service(web::to(routes::not_found))
                .wrap(actix_web::middleware::Condition::new(
                    production,
                    from_fn(move |req, next| security::production(hardening.clone(), req, next)),
                ))
                .wrap(actix_web::middleware::Condition::new(
                    !production,
                    from_fn(move |req, next| {
                        security::development(dev_hardening.clone(), req, next)
                    }),
                ))
                .wrap(SlowRequestLogger::new(thresholds))
                .wrap(RequestTracing::new(trust_proxy))
        })
        .listen(listener)
        .context("starting the HTTP server")?
        .shutdown_timeout(shutdown)
        .client_request_timeout(Duration::from_secs(10))
        .run();
        if simulator.is_some() {
            tracing::info!(url = %format!("{public_url}/_simulator/"), "payment simulator mounted (development only)");
        }
        Ok(Application {
            server,
            address,
            pool,
            use_cases,
            simulator: simulator.map(|s| s.handle()),
            public_url,
        })
    }

    /// The bound address (the real port when 0 was asked for).
    #[must_use]
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The use cases the server runs (for tests and tools).
    #[must_use]
    pub fn use_cases(&self) -> &UseCases {
        &self.use_cases
    }

    /// The mounted simulator's handle, in simulator mode.
    #[must_use]
    pub fn simulator(&self) -> Option<&SimulatorHandle> {
        self.simulator.as_ref()
    }

    /// The public base URL in use (after port-0 resolution).
    #[must_use]
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The database pool the server uses.
    #[must_use]
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Serves until SIGTERM / SIGINT (graceful: stops accepting, lets in-flight requests finish up to
    /// `server.shutdown_timeout_secs`).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
