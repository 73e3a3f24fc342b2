//! `Application::build` binds the listener and assembles the server; `run_until_stopped` serves.
//! Tests build with port 0 and read the real port back.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;

use wetech_app::{Environment, Settings};
use wetech_observability::{RequestTracing, SlowRequestLogger};
use wetech_persistence::{Pool, UnitOfWork};

use crate::routes;
use crate::security::{self, Hardening};

/// A built, bound, not yet running server.
pub struct Application {
    server: Server,
    address: SocketAddr,
    pool: Pool,
}

/// Opens the pool and applies pending migrations (creating the SQLite file on first start).
pub async fn prepare_database(settings: &Settings) -> anyhow::Result<Pool> {
    let db = settings.database.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Pool> {
        let pool = wetech_persistence::connect(&db).context("opening the database")?;
        let mut conn = pool.get().context("connecting to the database")?;
        let applied =
            wetech_persistence::run_migrations(&mut conn).context("applying migrations")?;
        for name in &applied {
            tracing::info!(migration = %name, "migration applied");
        }
        Ok(pool)
    })
    .await
    .context("database start-up task")?
}

impl Application {
    /// Opens the database, migrates it, binds `server.host:server.port` and assembles the routes.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        std::fs::create_dir_all(&settings.storage.media_dir).with_context(|| {
            format!(
                "creating the media directory {}",
                settings.storage.media_dir.display()
            )
        })?;
        let pool = prepare_database(&settings).await?;
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!("binding {}:{}", settings.server.host, settings.server.port)
            })?;
        let address = listener.local_addr().context("reading the bound address")?;
        tracing::info!(
            address = %address,
            url = %format!("http://{address}"),
            environment = settings.environment.as_str(),
            payments_mode = ?settings.payments_mode(),
            "listening"
        );

        let health = web::Data::new(wetech_app::health_context(&settings, pool.clone()));
        let uow = web::Data::new(UnitOfWork::new(pool.clone()));
        let trust_proxy = settings.server.trust_proxy;
        let thresholds = settings.observability.clone();
        let production = settings.environment == Environment::Production;
        let hardening = Hardening::new(&settings.server.public_url, trust_proxy);
        let shutdown = settings.server.shutdown_timeout_secs;

        let server = HttpServer::new(move || {
            let hardening = hardening.clone();
            App::new()
                .app_data(health.clone())
                .app_data(uow.clone())
                .configure(routes::configure)
                .wrap(actix_web::middleware::Condition::new(
                    production,
                    from_fn(move |req, next| security::production(hardening.clone(), req, next)),
                ))
                .wrap(actix_web::middleware::Condition::new(
                    !production,
                    from_fn(security::development),
                ))
                .wrap(SlowRequestLogger::new(thresholds.clone()))
                .wrap(RequestTracing::new(trust_proxy))
        })
        .listen(listener)
        .context("starting the HTTP server")?
        .shutdown_timeout(shutdown)
        .client_request_timeout(Duration::from_secs(10))
        .run();
        Ok(Application {
            server,
            address,
            pool,
        })
    }

    /// The bound address (the real port when 0 was asked for).
    #[must_use]
    pub fn address(&self) -> SocketAddr {
        self.address
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
