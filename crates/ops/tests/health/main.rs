//! Health checks against real databases: a healthy database passes, a pending migration fails
//! readiness, and a stopped, frozen, unresponsive or corrupt database makes the probe *fail*
//! promptly (well under two seconds) instead of hanging it — then pass again once it is back.
#![expect(clippy::unwrap_used, reason = "tests")]

mod cluster;

use std::time::{Duration, Instant};

use wetech_ops::{HealthContext, HealthReport, HealthSettings, ReadinessReport, Status};
use wetech_persistence::{DatabaseSettings, Pool};
use wetech_test_db::TestDb;

use cluster::Cluster;

/// A probe slower than this is hanging (the check timeout is 800 ms).
const PROMPT: Duration = Duration::from_secs(2);

/// The checks of a site whose media directory and disk are fine, over `pool`.
struct Probe {
    ctx: HealthContext,
    _dir: tempfile::TempDir,
}

impl Probe {
    fn new(pool: Pool) -> Probe {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        std::fs::create_dir(&media).unwrap();
        let ctx = HealthContext {
            pool,
            disk_paths: vec![dir.path().to_path_buf()],
            media_dir: media,
            static_dir: None,
            // The disk check must not depend on how full this machine's disk is.
            settings: HealthSettings {
                min_free_disk_percent: 0.0,
                ..HealthSettings::default()
            },
        };
        Probe { ctx, _dir: dir }
    }

    /// `check()`, asserting it answered promptly.
    async fn check(&self) -> HealthReport {
        let started = Instant::now();
        let report = self.ctx.check().await;
        let took = started.elapsed();
        assert!(took < PROMPT, "the health probe took {took:?}: {report:?}");
        report
    }

    /// `ready()`, asserting it answered promptly.
    async fn ready(&self) -> ReadinessReport {
        let started = Instant::now();
        let report = self.ctx.ready().await;
        let took = started.elapsed();
        assert!(
            took < PROMPT,
            "the readiness probe took {took:?}: {report:?}"
        );
        report
    }

    async fn assert_pass(&self) {
        let report = self.check().await;
        assert_eq!(report.status, Status::Pass, "{report:?}");
        assert_eq!(report.checks.database.status, Status::Pass);
        assert!(report.checks.database.latency_ms.is_some());
        let ready = self.ready().await;
        assert_eq!(ready.status, Status::Pass, "{ready:?}");
        assert!(ready.pending_migrations.is_empty());
    }

    async fn assert_fail(&self, what: &str) {
        let report = self.check().await;
        assert_eq!(report.status, Status::Fail, "{what}: {report:?}");
        assert_eq!(report.checks.database.status, Status::Fail, "{what}");
        assert!(report.checks.database.latency_ms.is_none());
        assert!(report.checks.database.error.is_some());
        // The other checks do not depend on the database.
        assert_eq!(report.checks.media.status, Status::Pass);
        let ready = self.ready().await;
        assert_eq!(ready.status, Status::Fail, "{what}: {ready:?}");
        assert!(ready.error.is_some());
    }

    /// Polls until the probe passes again (the pool must replace its dead connections).
    async fn wait_for_pass(&self, what: &str) {
        for _ in 0..100 {
            if self.ctx.check().await.status == Status::Pass
                && self.ctx.ready().await.status == Status::Pass
            {
                self.assert_pass().await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the probe never passed again after {what}");
    }
}

async fn healthy_database_passes(db: &TestDb) {
    let probe = Probe::new(db.pool().clone());
    probe.assert_pass().await;
    // The document of docs/operations.md, "Health probes and monitoring".
    let json = serde_json::to_value(probe.check().await).unwrap();
    assert_eq!(json["status"], "pass");
    assert!(json["version"].is_string());
    assert_eq!(json["checks"]["database"]["status"], "pass");
    assert!(json["checks"]["database"]["latency_ms"].is_u64());
    assert!(json["checks"]["disk"]["free_bytes"].as_u64().unwrap() > 0);
    assert!(json["checks"]["disk"]["free_percent"].is_f64());
    assert_eq!(json["checks"]["media"]["status"], "pass");
    assert_eq!(json["checks"]["static"]["status"], "pass");
}

async fn pending_migration_fails_readiness(db: &TestDb) {
    let probe = Probe::new(db.pool().clone());
    probe.assert_pass().await;
    let reverted = wetech_persistence::revert_last_migration(&mut db.conn())
        .unwrap()
        .unwrap();
    let ready = probe.ready().await;
    assert_eq!(ready.status, Status::Fail);
    assert_eq!(ready.pending_migrations, vec![reverted.clone()]);
    assert!(ready.error.unwrap().contains("pending"));
    let json = serde_json::to_value(probe.ready().await).unwrap();
    assert_eq!(json["status"], "fail");
    assert_eq!(json["pending_migrations"][0], reverted.as_str());
    // Liveness of the database itself is unaffected.
    assert_eq!(probe.check().await.checks.database.status, Status::Pass);
    wetech_persistence::run_migrations(&mut db.conn()).unwrap();
    probe.assert_pass().await;
}

mod healthy {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        healthy_database_passes(&TestDb::sqlite()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(db) = TestDb::postgres() {
            healthy_database_passes(&db).await;
        }
    }
}

mod pending_migration {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        pending_migration_fails_readiness(&TestDb::sqlite()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(db) = TestDb::postgres() {
            pending_migration_fails_readiness(&db).await;
        }
    }
}

/// The PostgreSQL server is stopped in the middle of the test, then started again; later it
/// freezes (every server process stopped with SIGSTOP: connections stay open, nothing answers),
/// then thaws.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_or_frozen_fails_promptly_and_recovers() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let settings = DatabaseSettings::new(cluster.url()).with_pool_size(4);
    let pool = wetech_persistence::connect(&settings).unwrap();
    wetech_persistence::run_migrations(&mut pool.get().unwrap()).unwrap();
    let probe = Probe::new(pool);
    probe.assert_pass().await;

    cluster.stop();
    probe.assert_fail("server stopped").await;
    // Probes do not pile up: each one keeps answering promptly.
    probe.assert_fail("server still stopped").await;
    cluster.start_again();
    probe.wait_for_pass("a restart").await;

    cluster.freeze();
    probe.assert_fail("server frozen").await;
    probe.assert_fail("server still frozen").await;
    cluster.thaw();
    probe.wait_for_pass("thawing").await;
}

/// A "database" that accepts connections and never says a word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unresponsive_server_fails_within_the_timeout() {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream); // accepted, never answered, never closed
        }
    });
    let settings = DatabaseSettings::new(format!("postgres://app@127.0.0.1:{port}/wetech"));
    // `connect` would wait for its first connection; the server's pool is built the same way
    // but without that probe, as if the database had hung after start-up.
    let manager = wetech_persistence::DbConnectionManager::new(&settings).unwrap();
    let pool = r2d2::Pool::builder()
        .max_size(4)
        .min_idle(Some(0))
        .connection_timeout(settings.connect_timeout())
        .build_unchecked(manager);
    let probe = Probe::new(pool);
    probe.assert_fail("an unresponsive server").await;
    probe.assert_fail("a still unresponsive server").await;
}

/// The SQLite file is overwritten with garbage under the running pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_sqlite_file_fails() {
    let db = TestDb::sqlite();
    let probe = Probe::new(db.pool().clone());
    probe.assert_pass().await;
    let path = db.sqlite_path().unwrap().to_path_buf();
    let garbage: Vec<u8> = (0..64 * 1024u32).map(|i| (i * 7 + 13) as u8).collect();
    for suffix in ["", "-wal", "-shm"] {
        let file = path.with_file_name(format!(
            "{}{suffix}",
            path.file_name().unwrap().to_string_lossy()
        ));
        if suffix.is_empty() || file.exists() {
            std::fs::write(&file, &garbage).unwrap();
        }
    }
    probe.assert_fail("a corrupt SQLite file").await;
}

/// The directory holding the SQLite file disappears under the running pool (the open
/// connections keep the deleted file alive, so every write would vanish at the next restart).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_sqlite_directory_fails() {
    let db = TestDb::sqlite();
    let probe = Probe::new(db.pool().clone());
    probe.assert_pass().await;
    let dir = db.sqlite_path().unwrap().parent().unwrap().to_path_buf();
    std::fs::remove_dir_all(&dir).unwrap();
    probe.assert_fail("a removed SQLite directory").await;
}
