//! The health context for these settings.

use std::path::PathBuf;

use wetech_ops::HealthContext;
use wetech_persistence::Pool;

use crate::settings::Settings;

/// The health checks for these settings: the database, free disk on the database and log volumes,
/// the media directory, the static assets. Shared by `web` and `ops healthcheck`.
#[must_use]
pub fn health_context(settings: &Settings, pool: Pool) -> HealthContext {
    let mut disk_paths: Vec<PathBuf> = vec![settings.log.dir.clone()];
    if let Some(db_file) = settings.database.sqlite_path() {
        disk_paths.push(db_file);
    }
    HealthContext {
        pool,
        disk_paths,
        media_dir: settings.storage.media_dir.clone(),
        static_dir: settings.storage.static_dir.clone(),
        settings: settings.health.clone(),
    }
}
