//! wetech-ops: what operators run — health checks (served by `web` and `ops healthcheck`),
//! backup, verify and restore, locally and in an S3-compatible bucket — and the configuration sections they own.

pub mod backup;
pub mod catalog;
pub mod health;
pub mod settings;
mod sqlite_uri;

pub use backup::{BackupError, BackupKind, BackupReport, RestoreReport, VerifyReport};
pub use health::{HealthContext, HealthReport, ReadinessReport, Status};
pub use settings::{
    BackupSettings, HealthSettings, InvalidSetting, RemoteLocation, RemoteSettings, StorageSettings,
};
pub use sqlite_uri::sqlite_file_uri;
