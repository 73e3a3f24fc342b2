//! The metrics listener: `GET /metrics` in the Prometheus text format on
//! `observability.metrics_addr`, a listener of its own, never the public port
//! (docs/operations.md, "Metrics").
//!
//! The gauges that need the database (`wetech_attempts_in_review`, `wetech_outbox_messages`)
//! are read at most once every [`DATABASE_GAUGES_EVERY`] and served from that cache in between,
//! so a scrape never costs more than two counting queries, and most cost none; the pool gauges
//! are read from the pool itself at every scrape.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context as _;
use wetech_domain::AttemptStatus;
use wetech_observability::{METRICS_CONTENT_TYPE, Metrics};
use wetech_persistence::{PersistenceError, Pool, UnitOfWork, invoice_list, outbox};

/// How long the database gauges are served from their cache.
pub const DATABASE_GAUGES_EVERY: Duration = Duration::from_secs(5);

/// How long one refresh of the database gauges may take before the scrape goes on without it.
const DATABASE_GAUGES_TIMEOUT: Duration = Duration::from_secs(2);

/// The running metrics listener.
pub struct MetricsServer {
    /// The server; run it beside the public one.
    pub server: Server,
    /// The bound address (the real port when 0 was asked for).
    pub address: SocketAddr,
}

/// Installs the recorder and binds `addr` for `GET /metrics`; `None` when `addr` is `None`
/// (metrics off).
///
/// # Errors
/// The recorder cannot be installed, or `addr` cannot be bound.
pub fn start(addr: Option<SocketAddr>, pool: &Pool) -> anyhow::Result<Option<MetricsServer>> {
    let Some(addr) = addr else {
        return Ok(None);
    };
    let metrics = Metrics::install()?;
    let listener =
        TcpListener::bind(addr).with_context(|| format!("binding the metrics listener {addr}"))?;
    let address = listener
        .local_addr()
        .context("reading the metrics address")?;
    let state = web::Data::new(Scrape {
        metrics,
        pool: pool.clone(),
        refreshed: Arc::new(Mutex::new(None)),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .context("starting the metrics listener")?
    .run();
    tracing::info!(address = %address, "metrics listening on /metrics");
    Ok(Some(MetricsServer { server, address }))
}

struct Scrape {
    metrics: Metrics,
    pool: Pool,
    refreshed: Arc<Mutex<Option<Instant>>>,
}

async fn scrape(state: web::Data<Scrape>) -> HttpResponse {
    let pool_state = state.pool.state();
    let idle = f64::from(pool_state.idle_connections);
    let total = f64::from(pool_state.connections);
    ::metrics::gauge!("wetech_db_pool_connections", "state" => "idle").set(idle);
    ::metrics::gauge!("wetech_db_pool_connections", "state" => "in_use").set(total - idle);
    let due = {
        let mut refreshed = state
            .refreshed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let due = refreshed.is_none_or(|at| at.elapsed() >= DATABASE_GAUGES_EVERY);
        if due {
            *refreshed = Some(Instant::now());
        }
        due
    };
    if due {
        let uow = UnitOfWork::new(state.pool.clone());
        let read = web::block(move || uow.read(read_database_gauges));
        match tokio::time::timeout(DATABASE_GAUGES_TIMEOUT, read).await {
            Ok(Ok(Ok(gauges))) => gauges.set(),
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %e, "metrics: reading the database gauges failed")
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "metrics: the database gauges' task failed"),
            Err(_) => tracing::warn!("metrics: reading the database gauges timed out"),
        }
    }
    HttpResponse::Ok()
        .content_type(METRICS_CONTENT_TYPE)
        .body(state.metrics.render())
}

struct DatabaseGauges {
    in_review: i64,
    outbox_waiting: i64,
    outbox_failed: i64,
}

impl DatabaseGauges {
    #[expect(clippy::cast_precision_loss, reason = "row counts stay far below 2^53")]
    fn set(&self) {
        ::metrics::gauge!("wetech_attempts_in_review").set(self.in_review as f64);
        ::metrics::gauge!("wetech_outbox_messages", "state" => "waiting")
            .set(self.outbox_waiting as f64);
        ::metrics::gauge!("wetech_outbox_messages", "state" => "failed")
            .set(self.outbox_failed as f64);
    }
}

fn read_database_gauges(
    conn: &mut wetech_persistence::DbConnection,
) -> Result<DatabaseGauges, PersistenceError> {
    let in_review = invoice_list::count_attempts(conn, AttemptStatus::Review)?;
    let status = outbox::status(conn)?;
    Ok(DatabaseGauges {
        in_review,
        outbox_waiting: status.waiting,
        outbox_failed: status.failed,
    })
}
