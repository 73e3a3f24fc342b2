//! The configuration sections this crate owns: `storage`, `backup` and `health`.

use std::path::PathBuf;

use serde::Deserialize;

/// A setting that is out of range; names its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidSetting {
    key: &'static str,
    message: String,
}

impl InvalidSetting {
    /// The dotted key, e.g. `backup.keep`.
    #[must_use]
    pub fn key(&self) -> &'static str {
        self.key
    }
}

/// The `storage` section: where uploaded media live and where static assets come from.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// Must be writable; the health probe writes and deletes a file there.
    pub media_dir: PathBuf,
    /// A directory of static assets to serve instead of the built-in ones. `None` (the default)
    /// serves the assets compiled into the binary.
    pub static_dir: Option<PathBuf>,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            media_dir: PathBuf::from("media"),
            static_dir: None,
        }
    }
}

/// The `backup` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupSettings {
    /// Where `ops backup` writes.
    pub dir: PathBuf,
    /// How many of its own backups it keeps.
    pub keep: usize,
}

impl Default for BackupSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("backups"),
            keep: 30,
        }
    }
}

impl BackupSettings {
    /// `keep` must be at least 1.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if self.keep == 0 {
            return Err(InvalidSetting {
                key: "backup.keep",
                message: "must be at least 1".into(),
            });
        }
        if self.dir.as_os_str().is_empty() {
            return Err(InvalidSetting {
                key: "backup.dir",
                message: "must not be empty".into(),
            });
        }
        Ok(())
    }
}

/// The `health` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthSettings {
    /// Below this free-disk percentage the disk check warns; below half of it, it fails.
    pub min_free_disk_percent: f64,
    /// How long one check may take before it counts as failed.
    pub check_timeout_ms: u64,
}

impl Default for HealthSettings {
    fn default() -> Self {
        Self {
            min_free_disk_percent: 10.0,
            check_timeout_ms: 800,
        }
    }
}

impl HealthSettings {
    /// The percentage must lie in 0–100 and the timeout in 1–10 000 ms.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if !(0.0..=100.0).contains(&self.min_free_disk_percent) {
            return Err(InvalidSetting {
                key: "health.min_free_disk_percent",
                message: "must be between 0 and 100".into(),
            });
        }
        if !(1..=10_000).contains(&self.check_timeout_ms) {
            return Err(InvalidSetting {
                key: "health.check_timeout_ms",
                message: "must be between 1 and 10000".into(),
            });
        }
        Ok(())
    }
}
