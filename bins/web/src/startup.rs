//! `Application::build` binds the listener and assembles the server; `run_until_stopped` serves.
//! Tests build with port 0 and read the real port back.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;

#[cfg(feature = "simulator")]
use secrecy::ExposeSecret as _;
use wetech_app::UseCases;
#[cfg(feature = "simulator")]
use wetech_gateway_sim::{Simulator, SimulatorConfig, SimulatorHandle};
use wetech_observability::{RequestTracing, SlowRequestLogger};
use wetech_payments::GatewayUrls;
use wetech_persistence::{Pool, UnitOfWork};
use wetech_runtime::{Environment, RateLimitStore, Settings, build_gateways};

use crate::routes;
use crate::security::{self, Hardening};

/// A built, bound, not yet running server.
pub struct Application {
    server: Server,
    address: SocketAddr,
    pool: Pool,
    use_cases: UseCases,
    #[cfg(feature = "simulator")]
    simulator: Option<SimulatorHandle>,
    public_url: String,
    /// The outbox sender, started by `run_until_stopped` and stopped after the server.
    mail: wetech_mail::Sender,
    /// How long the sender may take to finish the message it is sending when stopping.
    mail_stop_timeout: std::time::Duration,
    /// `GET /metrics` on its own listener (crate::metrics), when metrics are on.
    metrics: Option<crate::metrics::MetricsServer>,
    /// Where 5xx answers and panics are reported (off without `observability.sentry_dsn`).
    reports: wetech_observability::ErrorReports,
}

/// Origins a form may lead to by redirect: the Pesapal payment page's host (outside simulator
/// mode; the simulator's page is on this site).
fn form_action_origins(settings: &Settings) -> Vec<String> {
    let Some(hosts) = settings.payments_mode().hosts() else {
        return Vec::new();
    };
    let base = settings
        .payments
        .gateway_urls(GatewayUrls::hosted(hosts))
        .pesapal;
    let mut parts = base.splitn(4, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(scheme), Some(""), Some(host)) if !host.is_empty() => {
            vec![format!("{scheme}//{host}")]
        }
        _ => Vec::new(),
    }
}

/// The lead rate limit in the store `server.rate_limit_store` names.
fn lead_rate_limit(settings: &Settings, uow: &UnitOfWork) -> crate::ratelimit::LeadRateLimit {
    let server = &settings.server;
    match settings.rate_limit_store() {
        RateLimitStore::Memory => crate::ratelimit::LeadRateLimit::new(
            server.lead_rate_limit_per_minute,
            server.trust_proxy,
        ),
        RateLimitStore::Database => crate::ratelimit::LeadRateLimit::in_database(
            uow.clone(),
            server.lead_rate_limit_per_minute,
            server.trust_proxy,
            server.secret_key.clone(),
        ),
    }
}

impl Application {
    /// Opens the database, migrates it, binds `server.host:server.port` and assembles the routes.
    ///
    /// With port `0` a free port is chosen. When `server.public_url` was left at its default,
    /// the public URL follows the bound address, whatever the port (so the gateways' callbacks
    /// and the simulator's notifications reach this server); the "listening" line names it as
    /// `public_url`.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Self::build_with_routes(settings, |_| {}).await
    }

    /// [`Application::build`] with `extra_routes` mounted inside every middleware (for tests
    /// that need a route the site does not have, such as one that panics).
    pub async fn build_with_routes(
        mut settings: Settings,
        extra_routes: fn(&mut web::ServiceConfig),
    ) -> anyhow::Result<Application> {
        std::fs::create_dir_all(&settings.storage.media_dir).with_context(|| {
            format!(
                "creating the media directory {}",
                settings.storage.media_dir.display()
            )
        })?;
        let pool = wetech_runtime::open_database(&settings).await?;
        let metrics = crate::metrics::start(settings.observability.metrics_socket()?, &pool)?;
        let metrics_on = metrics.is_some();
        let reports = crate::reports::client(&settings)?;
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!("binding {}:{}", settings.server.host, settings.server.port)
            })?;
        let address = listener.local_addr().context("reading the bound address")?;
        let public_url = settings.follow_bound_address(address).to_owned();
        let loopback_origin = format!("http://{address}");
        // Without the `simulator` feature there is nothing to point simulator mode at, and
        // `build_gateways` refuses it with a message naming the feature.
        let simulator_urls =
            cfg!(feature = "simulator").then(|| wetech_runtime::simulator_urls(&loopback_origin));
        let gateways =
            build_gateways(&settings, simulator_urls.as_ref()).context("payment gateways")?;
        #[cfg(feature = "simulator")]
        let simulator = (settings.payments_mode().hosts().is_none()).then(|| {
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
        for warning in settings.warnings() {
            tracing::warn!(setting_warning = %warning, "configuration looks wrong");
        }
        tracing::info!(
            address = %address,
            url = %format!("http://{address}"),
            // The base of every callback, IPN and invoice URL (docs/configuration.md).
            public_url = %public_url,
            environment = settings.environment.as_str(),
            payments_mode = ?settings.payments_mode(),
            rate_limit_store = settings.rate_limit_store().as_str(),
            "listening"
        );

        let production = settings.environment == Environment::Production;
        let transport = wetech_mail::Transport::from_settings(&settings.mail, production)
            .context("mail transport")?;
        // One receipt use case for the page and the e-mail's attachment: the same bytes.
        let receipts =
            wetech_app::Receipts::new(use_cases.unit_of_work().clone(), settings.company.clone());
        let mail = wetech_mail::Sender::new(
            use_cases.unit_of_work().clone(),
            transport,
            &settings.mail,
            &settings.company,
            &public_url,
        )
        .context("mail settings")?
        .with_receipts(std::sync::Arc::new(crate::mail_receipts::MailReceipts(
            receipts.clone(),
        )));
        let receipts = web::Data::new(receipts);
        let mail_stop_timeout =
            settings.mail.smtp.send_timeout() + std::time::Duration::from_secs(5);
        let health = web::Data::new(wetech_runtime::health_context(&settings, pool.clone()));
        let app_data = web::Data::new(use_cases.clone());
        let csrf = web::Data::new(crate::csrf::Csrf::new(
            settings.server.secret_key.clone(),
            production,
        ));
        let back_office = web::Data::new(wetech_app::BackOffice::new(
            use_cases.unit_of_work().clone(),
            &settings.admin,
        ));
        let admin_config = web::Data::new(routes::admin::AdminConfig {
            secure_cookies: production,
            trust_proxy: settings.server.trust_proxy,
        });
        let rate_limit = web::Data::new(lead_rate_limit(&settings, use_cases.unit_of_work()));
        #[cfg(feature = "simulator")]
        let sim = simulator.clone();
        let trust_proxy = settings.server.trust_proxy;
        let slow_requests = SlowRequestLogger::new(&settings.observability);
        let hardening = Hardening::new(&settings.server.public_url, trust_proxy)
            .with_form_action_origins(&form_action_origins(&settings));
        let shutdown = settings.server.shutdown_timeout_secs;
        let request_reports = reports.clone();

        let server = HttpServer::new(move || {
            let hardening = hardening.clone();
            let dev_hardening = hardening.clone();
            App::new()
                .app_data(health.clone())
                .app_data(app_data.clone())
                .app_data(receipts.clone())
                .app_data(csrf.clone())
                .app_data(rate_limit.clone())
                .app_data(back_office.clone())
                .app_data(admin_config.clone())
                .configure(|cfg| {
                    #[cfg(feature = "simulator")]
                    if let Some(sim) = &sim {
                        sim.configure(cfg);
                    }
                    #[cfg(not(feature = "simulator"))]
                    let _ = cfg;
                })
                .configure(|cfg| routes::configure(cfg, !production))
                .configure(routes::admin::configure)
                .configure(extra_routes)
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
                .wrap(from_fn(move |req, next| {
                    crate::language::choose(production, req, next)
                }))
                // Panics answered 500 in the site's error shape; 5xx and panics reported
                // (docs/operations.md, "Error reports").
                .wrap(from_fn(|req, next| {
                    wetech_observability::report_requests(crate::reports::panic_answer, req, next)
                }))
                .wrap(request_reports.middleware())
                .wrap(actix_web::middleware::Condition::new(
                    metrics_on,
                    from_fn(wetech_observability::http_metrics),
                ))
                .wrap(slow_requests)
                .wrap(RequestTracing::new(trust_proxy))
        })
        .listen(listener)
        .context("starting the HTTP server")?
        .shutdown_timeout(shutdown)
        .client_request_timeout(Duration::from_secs(10))
        .run();
        #[cfg(feature = "simulator")]
        if simulator.is_some() {
            tracing::info!(url = %format!("{public_url}/_simulator/"), "payment simulator mounted (development only)");
        }
        Ok(Application {
            server,
            address,
            pool,
            use_cases,
            #[cfg(feature = "simulator")]
            simulator: simulator.map(|s| s.handle()),
            public_url,
            mail,
            mail_stop_timeout,
            metrics,
            reports,
        })
    }

    /// The error reports of this server; the binary's `main` makes them process-wide
    /// ([`wetech_observability::ErrorReports::make_global`]) so a panic outside a request (a
    /// background task) is reported too.
    #[must_use]
    pub fn error_reports(&self) -> &wetech_observability::ErrorReports {
        &self.reports
    }

    /// The metrics listener's bound address, when metrics are on.
    #[must_use]
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|m| m.address)
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
    #[cfg(feature = "simulator")]
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
    ///
    /// The e-mail sender runs beside the server; once the server has stopped it finishes the
    /// message it is sending (within `mail.smtp.timeout_secs` × 3, plus a margin), hands the
    /// rest of its batch back to the outbox, and ends.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let sender = tokio::spawn(self.mail.run(stopped));
        let metrics = self.metrics.map(|m| {
            let handle = m.server.handle();
            (handle, tokio::spawn(m.server))
        });
        let served = self.server.await;
        if let Some((handle, task)) = metrics {
            handle.stop(false).await;
            let _ = task.await;
        }
        let _ = stop.send(true);
        if tokio::time::timeout(self.mail_stop_timeout, sender)
            .await
            .is_err()
        {
            tracing::warn!("the e-mail sender did not stop in time; its claims lapse on their own");
        }
        served
    }
}

#[cfg(all(test, feature = "simulator"))]
mod tests {
    /// The composition repeats the simulator's mount paths (so it need not depend on the
    /// simulator); they must be the simulator's own.
    #[test]
    fn simulator_urls_are_where_the_simulator_is_mounted() {
        let urls = wetech_runtime::simulator_urls("http://127.0.0.1:8000");
        let origin = "http://127.0.0.1:8000";
        assert_eq!(
            urls.pesapal,
            format!("{origin}{}", wetech_gateway_sim::PESAPAL_PATH)
        );
        assert_eq!(
            urls.azampay_auth,
            format!("{origin}{}", wetech_gateway_sim::AZAMPAY_AUTH_PATH)
        );
        assert_eq!(
            urls.azampay_checkout,
            format!("{origin}{}", wetech_gateway_sim::AZAMPAY_CHECKOUT_PATH)
        );
    }
}
