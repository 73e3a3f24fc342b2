//! Health checks shared by `web` (`/health/`, `/health/ready/`) and `ops healthcheck`.
//!
//! Every check is bounded by a timeout: a hung or stopped database makes the probe *fail* within the
//! configured time instead of hanging it. The blocking work runs on tokio's blocking pool; if it
//! hangs, the probe still answers and the stuck thread finishes (or not) on its own.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::settings::HealthSettings;
use wetech_persistence::Pool;

/// `pass`, `warn` or `fail`, ordered by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Healthy.
    Pass,
    /// Serving, but needs attention (e.g. low disk).
    Warn,
    /// Not able to serve.
    Fail,
}

impl Status {
    /// The text used in JSON and in the CLI.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// The database round trip.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseCheck {
    /// Outcome.
    pub status: Status,
    /// Round-trip time of `SELECT 1`, when it answered.
    pub latency_ms: Option<u64>,
    /// Why it failed, without secrets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Free space on the database and log volumes (the smallest is reported).
#[derive(Debug, Clone, Serialize)]
pub struct DiskCheck {
    /// Outcome.
    pub status: Status,
    /// Bytes available to the service on the fullest volume.
    pub free_bytes: Option<u64>,
    /// Percentage available on the fullest volume.
    pub free_percent: Option<f64>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A directory check (media writable, static assets present).
#[derive(Debug, Clone, Serialize)]
pub struct DirCheck {
    /// Outcome.
    pub status: Status,
    /// Why it failed, or where the assets come from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The e-mail outbox: `warn` when a message has waited longer than [`MAIL_WAIT_WARN`] or one
/// has `failed`, never `fail` (mail trouble does not take the site out of service).
#[derive(Debug, Clone, Serialize)]
pub struct MailCheck {
    /// Outcome (`pass` or `warn`).
    pub status: Status,
    /// Messages not yet delivered.
    pub waiting: Option<i64>,
    /// Messages given up.
    pub failed: Option<i64>,
    /// Seconds the oldest undelivered message has waited.
    pub oldest_waiting_secs: Option<i64>,
    /// Why it warns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// How long a message may wait before the `mail` check warns.
pub const MAIL_WAIT_WARN: Duration = Duration::from_secs(15 * 60);

/// The `mail` check's verdict on an outbox status read at `now`.
#[must_use]
pub fn mail_status(
    status: &wetech_persistence::outbox::OutboxStatus,
    now: chrono::NaiveDateTime,
) -> MailCheck {
    let oldest = status
        .oldest_waiting_since
        .map(|t| (now - t).num_seconds().max(0));
    let too_old = oldest.is_some_and(|secs| secs.unsigned_abs() > MAIL_WAIT_WARN.as_secs());
    let detail = match (status.failed > 0, too_old) {
        (true, true) => Some(format!(
            "{} message(s) failed; one has waited over {} minutes",
            status.failed,
            MAIL_WAIT_WARN.as_secs() / 60
        )),
        (true, false) => Some(format!(
            "{} message(s) failed (ops mail status)",
            status.failed
        )),
        (false, true) => Some(format!(
            "a message has waited over {} minutes: is the mail server reachable?",
            MAIL_WAIT_WARN.as_secs() / 60
        )),
        (false, false) => None,
    };
    MailCheck {
        status: if detail.is_some() {
            Status::Warn
        } else {
            Status::Pass
        },
        waiting: Some(status.waiting),
        failed: Some(status.failed),
        oldest_waiting_secs: oldest,
        detail,
    }
}

/// All checks.
#[derive(Debug, Clone, Serialize)]
pub struct Checks {
    /// Database round trip.
    pub database: DatabaseCheck,
    /// Free disk.
    pub disk: DiskCheck,
    /// Media directory writable.
    pub media: DirCheck,
    /// Static assets present.
    #[serde(rename = "static")]
    pub static_assets: DirCheck,
    /// The e-mail outbox.
    pub mail: MailCheck,
}

/// The `/health/` document (`application/health+json`).
#[derive(Debug, Clone, Serialize)]
pub struct HealthReport {
    /// The worst of the checks.
    pub status: Status,
    /// The service version.
    pub version: &'static str,
    /// The individual checks.
    pub checks: Checks,
}

/// The `/health/ready/` document.
#[derive(Debug, Clone, Serialize)]
pub struct ReadinessReport {
    /// `pass` when the database answers and no migration is pending, else `fail`.
    pub status: Status,
    /// The service version.
    pub version: &'static str,
    /// Pending migration names (empty when ready).
    pub pending_migrations: Vec<String>,
    /// Why it is not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the checks look at.
#[derive(Clone)]
pub struct HealthContext {
    /// The database pool.
    pub pool: Pool,
    /// Paths whose volumes must have free space (database file directory, log directory).
    pub disk_paths: Vec<PathBuf>,
    /// Must be writable.
    pub media_dir: PathBuf,
    /// `None`: assets are built into the binary.
    pub static_dir: Option<PathBuf>,
    /// Thresholds and timeout.
    pub settings: HealthSettings,
}

/// The version reported by the probes.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

impl HealthContext {
    fn timeout(&self) -> Duration {
        Duration::from_millis(self.settings.check_timeout_ms)
    }

    /// Runs every check concurrently, each within the timeout.
    pub async fn check(&self) -> HealthReport {
        let (database, disk, media, static_assets, mail) = tokio::join!(
            self.check_database(),
            self.check_disk(),
            self.check_media(),
            self.check_static(),
            self.check_mail()
        );
        let status = [
            database.status,
            disk.status,
            media.status,
            static_assets.status,
            mail.status,
        ]
        .into_iter()
        .max()
        .unwrap_or(Status::Fail);
        HealthReport {
            status,
            version: VERSION,
            checks: Checks {
                database,
                disk,
                media,
                static_assets,
                mail,
            },
        }
    }

    /// Readiness: the database answers and every migration is applied.
    pub async fn ready(&self) -> ReadinessReport {
        let pool = self.pool.clone();
        let budget = self.timeout();
        let result = bounded(budget, move || {
            let mut conn = pool
                .get_timeout(budget)
                .map_err(|e| format!("database unavailable: {e}"))?;
            ping(&mut conn).map_err(|e| format!("database error: {e}"))?;
            wetech_persistence::pending_migrations(&mut conn)
                .map_err(|e| format!("migrations: {e}"))
        })
        .await;
        match result {
            Ok(pending) if pending.is_empty() => ReadinessReport {
                status: Status::Pass,
                version: VERSION,
                pending_migrations: pending,
                error: None,
            },
            Ok(pending) => ReadinessReport {
                status: Status::Fail,
                version: VERSION,
                error: Some(format!("{} migration(s) pending", pending.len())),
                pending_migrations: pending,
            },
            Err(e) => ReadinessReport {
                status: Status::Fail,
                version: VERSION,
                pending_migrations: Vec::new(),
                error: Some(e),
            },
        }
    }

    async fn check_database(&self) -> DatabaseCheck {
        let pool = self.pool.clone();
        let budget = self.timeout();
        let result = bounded(budget, move || {
            let started = Instant::now();
            let mut conn = pool
                .get_timeout(budget)
                .map_err(|e| format!("database unavailable: {e}"))?;
            ping(&mut conn).map_err(|e| format!("database error: {e}"))?;
            Ok(started.elapsed())
        })
        .await;
        match result {
            Ok(latency) => DatabaseCheck {
                status: Status::Pass,
                latency_ms: Some(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX)),
                error: None,
            },
            Err(e) => DatabaseCheck {
                status: Status::Fail,
                latency_ms: None,
                error: Some(e),
            },
        }
    }

    /// The outbox; a database that cannot be asked is the `database` check's failure, here
    /// only a warning.
    async fn check_mail(&self) -> MailCheck {
        let pool = self.pool.clone();
        let budget = self.timeout();
        let result = bounded(budget, move || {
            let mut conn = pool
                .get_timeout(budget)
                .map_err(|e| format!("database unavailable: {e}"))?;
            wetech_persistence::outbox::status(&mut conn).map_err(|e| format!("outbox: {e}"))
        })
        .await;
        match result {
            Ok(status) => mail_status(&status, wetech_persistence::now_utc()),
            Err(e) => MailCheck {
                status: Status::Warn,
                waiting: None,
                failed: None,
                oldest_waiting_secs: None,
                detail: Some(e),
            },
        }
    }

    async fn check_disk(&self) -> DiskCheck {
        let paths = self.disk_paths.clone();
        let min = self.settings.min_free_disk_percent;
        let result = bounded(self.timeout(), move || {
            let mut worst: Option<(u64, f64)> = None;
            for p in &paths {
                let (free, percent) = free_space(p)?;
                if worst.is_none_or(|(_, w)| percent < w) {
                    worst = Some((free, percent));
                }
            }
            Ok(worst)
        })
        .await;
        match result {
            Ok(Some((free, percent))) => {
                let status = disk_status(percent, min);
                DiskCheck {
                    status,
                    free_bytes: Some(free),
                    free_percent: Some((percent * 100.0).round() / 100.0),
                    error: None,
                }
            }
            Ok(None) => DiskCheck {
                status: Status::Pass,
                free_bytes: None,
                free_percent: None,
                error: None,
            },
            Err(e) => DiskCheck {
                status: Status::Fail,
                free_bytes: None,
                free_percent: None,
                error: Some(e),
            },
        }
    }

    async fn check_media(&self) -> DirCheck {
        let dir = self.media_dir.clone();
        match bounded(self.timeout(), move || probe_writable(&dir)).await {
            Ok(()) => DirCheck {
                status: Status::Pass,
                detail: None,
            },
            Err(e) => DirCheck {
                status: Status::Fail,
                detail: Some(e),
            },
        }
    }

    async fn check_static(&self) -> DirCheck {
        let Some(dir) = self.static_dir.clone() else {
            return DirCheck {
                status: Status::Pass,
                detail: Some("built in".to_owned()),
            };
        };
        match bounded(self.timeout(), move || static_present(&dir)).await {
            Ok(()) => DirCheck {
                status: Status::Pass,
                detail: None,
            },
            Err(e) => DirCheck {
                status: Status::Fail,
                detail: Some(e),
            },
        }
    }
}

#[derive(diesel::QueryableByName)]
struct MainFile {
    #[diesel(sql_type = diesel::sql_types::Text)]
    file: String,
}

/// One round trip that reads the database itself (on SQLite `SELECT 1` touches no file, so a
/// corrupted or deleted database file would still "pass").
fn ping(conn: &mut wetech_persistence::DbConnection) -> Result<(), String> {
    use diesel::RunQueryDsl as _;
    if let wetech_persistence::DbConnection::Pg(_) = conn {
        return diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    diesel::sql_query("SELECT count(*) FROM sqlite_master")
        .execute(conn)
        .map_err(|e| e.to_string())?;
    let main: Vec<MainFile> =
        diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .load(conn)
            .map_err(|e| e.to_string())?;
    match main.first() {
        Some(m) if !m.file.is_empty() && !Path::new(&m.file).exists() => {
            Err(format!("the database file {} no longer exists", m.file))
        }
        _ => Ok(()),
    }
}

/// `pass` at or above `min` percent free, `warn` below it, `fail` below half of it.
#[must_use]
pub fn disk_status(free_percent: f64, min: f64) -> Status {
    if free_percent < min / 2.0 {
        Status::Fail
    } else if free_percent < min {
        Status::Warn
    } else {
        Status::Pass
    }
}

/// Runs blocking `work` on the blocking pool; a result later than `budget` is a failure.
async fn bounded<T, F>(budget: Duration, work: F) -> Result<T, String>
where
    F: FnOnce() -> Result<T, String> + Send + 'static,
    T: Send + 'static,
{
    match tokio::time::timeout(budget, tokio::task::spawn_blocking(work)).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(format!("check crashed: {join}")),
        Err(_) => Err(format!("timed out after {} ms", budget.as_millis())),
    }
}

/// Available bytes and percentage on the volume holding `path` (its nearest existing ancestor).
fn free_space(path: &Path) -> Result<(u64, f64), String> {
    let mut existing = path;
    while !existing.exists() {
        existing = match existing.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if existing == Path::new(".") {
            break;
        }
    }
    let stat = nix::sys::statvfs::statvfs(existing)
        .map_err(|e| format!("cannot stat {}: {e}", existing.display()))?;
    // Linux x86_64: fsblkcnt_t and c_ulong are u64.
    let frsize: u64 = stat.fragment_size().max(1);
    let blocks: u64 = stat.blocks();
    let avail: u64 = stat.blocks_available();
    let free_bytes = avail.saturating_mul(frsize);
    let percent = if blocks == 0 {
        0.0
    } else {
        avail as f64 * 100.0 / blocks as f64
    };
    Ok((free_bytes, percent))
}

fn probe_writable(dir: &Path) -> Result<(), String> {
    use std::io::Write;
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    let probe = dir.join(format!(".health-probe-{}", std::process::id()));
    let mut file = std::fs::File::create(&probe)
        .map_err(|e| format!("{} is not writable: {e}", dir.display()))?;
    let written = file.write_all(b"ok").and_then(|()| file.sync_all());
    drop(file);
    let removed = std::fs::remove_file(&probe);
    written.map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    removed.map_err(|e| format!("cannot delete probe file in {}: {e}", dir.display()))
}

fn static_present(dir: &Path) -> Result<(), String> {
    let mut entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    match entries.next() {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(format!("cannot read {}: {e}", dir.display())),
        None => Err(format!("{} is empty", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_warns_on_an_old_waiting_or_a_failed_message_and_never_fails() {
        use wetech_persistence::outbox::OutboxStatus;
        let now = wetech_persistence::now_utc();
        let at = |mins: i64| Some(now - chrono::Duration::minutes(mins));
        let status = |waiting, failed, oldest| OutboxStatus {
            waiting,
            failed,
            sent: 3,
            oldest_waiting_since: oldest,
        };
        assert_eq!(mail_status(&status(0, 0, None), now).status, Status::Pass);
        assert_eq!(mail_status(&status(2, 0, at(14)), now).status, Status::Pass);
        let old = mail_status(&status(2, 0, at(16)), now);
        assert_eq!(old.status, Status::Warn);
        assert!(old.detail.unwrap().contains("15 minutes"));
        assert_eq!(mail_status(&status(0, 1, None), now).status, Status::Warn);
        assert_eq!(
            mail_status(&status(9, 9, at(600)), now).status,
            Status::Warn
        );
    }

    #[test]
    fn disk_thresholds() {
        assert_eq!(disk_status(50.0, 10.0), Status::Pass);
        assert_eq!(disk_status(10.0, 10.0), Status::Pass);
        assert_eq!(disk_status(9.9, 10.0), Status::Warn);
        assert_eq!(disk_status(5.0, 10.0), Status::Warn);
        assert_eq!(disk_status(4.9, 10.0), Status::Fail);
    }

    #[test]
    fn media_probe_leaves_nothing_and_detects_missing_dir() {
        let dir = tempfile::tempdir().unwrap();
        probe_writable(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(probe_writable(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn free_space_of_a_real_volume() {
        let dir = tempfile::tempdir().unwrap();
        let (free, pct) = free_space(&dir.path().join("not/yet/created.sqlite3")).unwrap();
        assert!(free > 0);
        assert!(pct > 0.0 && pct <= 100.0);
    }
}
