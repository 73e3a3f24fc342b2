//! The `[database]` section of the configuration.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::connection::{Backend, Target};

/// The database URL used when none is configured: an SQLite file under `data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/wetech.sqlite3";
/// Pool size used for SQLite when `database.pool_size` is not set.
pub const DEFAULT_SQLITE_POOL_SIZE: u32 = 8;
/// Pool size used for PostgreSQL when `database.pool_size` is not set.
pub const DEFAULT_POSTGRES_POOL_SIZE: u32 = 10;
/// How long to wait for a connection (establishing one, or from the pool) when
/// `database.connect_timeout_secs` is not set.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 5;
/// The largest accepted `database.pool_size`.
pub const MAX_POOL_SIZE: u32 = 256;

/// Database settings (`WETECH__DATABASE__URL`, `WETECH__DATABASE__POOL_SIZE`,
/// `WETECH__DATABASE__CONNECT_TIMEOUT_SECS`).
///
/// The URL may carry a password, so it is a [`SecretString`] and the `Debug` output redacts it.
///
/// ```
/// use wetech_persistence::{Backend, DatabaseSettings};
/// let s = DatabaseSettings::default();
/// assert_eq!(s.backend().unwrap(), Backend::Sqlite);
/// assert_eq!(s.effective_pool_size(), 8);
/// let pg = DatabaseSettings::new("postgres://app:hunter2@db.internal/wetech");
/// assert!(!format!("{pg:?}").contains("hunter2"));
/// assert_eq!(pg.effective_pool_size(), 10);
/// ```
#[derive(Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// `sqlite://PATH`, `sqlite:PATH`, a bare file path, or `postgres://…` / `postgresql://…`.
    pub url: SecretString,
    /// Maximum number of pooled connections; `None` picks a default per backend.
    pub pool_size: Option<u32>,
    /// Seconds to wait for a connection; `None` means [`DEFAULT_CONNECT_TIMEOUT_SECS`].
    pub connect_timeout_secs: Option<u64>,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings::new(DEFAULT_DATABASE_URL)
    }
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = match Target::parse(self.url.expose_secret()) {
            // A file path holds no credentials; showing it helps operators.
            Ok(Target::Sqlite(path)) => format!("sqlite:{path}"),
            Ok(Target::Postgres(_)) => "postgres://[redacted]".to_owned(),
            Err(_) => "[redacted]".to_owned(),
        };
        f.debug_struct("DatabaseSettings")
            .field("url", &url)
            .field("pool_size", &self.pool_size)
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .finish()
    }
}

/// A database setting that cannot be used; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {key}: {message}")]
pub struct InvalidDatabaseSetting {
    /// The configuration key, e.g. `database.url`.
    pub key: &'static str,
    /// What is wrong with it (never the secret value itself).
    pub message: String,
}

impl DatabaseSettings {
    /// Settings for `url` with the default pool size and timeout.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseSettings {
            url: SecretString::from(url.into()),
            pool_size: None,
            connect_timeout_secs: None,
        }
    }

    /// The same settings with an explicit pool size.
    #[must_use]
    pub fn with_pool_size(mut self, pool_size: u32) -> Self {
        self.pool_size = Some(pool_size);
        self
    }

    /// Which database the URL names.
    ///
    /// # Errors
    /// [`InvalidDatabaseSetting`] for `database.url` when the URL names no supported database.
    pub fn backend(&self) -> Result<Backend, InvalidDatabaseSetting> {
        Ok(self.target()?.backend())
    }

    /// The SQLite file path, when the URL names an SQLite database (`None` for PostgreSQL or an
    /// unusable URL). `file:` URIs are returned as written.
    #[must_use]
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match Target::parse(self.url.expose_secret()) {
            Ok(Target::Sqlite(path)) => Some(PathBuf::from(path)),
            _ => None,
        }
    }

    /// The configured pool size, or 8 for SQLite and 10 for PostgreSQL.
    #[must_use]
    pub fn effective_pool_size(&self) -> u32 {
        self.pool_size.unwrap_or(match self.backend() {
            Ok(Backend::Postgres) => DEFAULT_POSTGRES_POOL_SIZE,
            Ok(Backend::Sqlite) | Err(_) => DEFAULT_SQLITE_POOL_SIZE,
        })
    }

    /// The configured connection timeout, or 5 seconds.
    #[must_use]
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(
            self.connect_timeout_secs
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT_SECS),
        )
    }

    /// Checks every value; the error names the key (`database.url`, `database.pool_size`,
    /// `database.connect_timeout_secs`) and never contains the URL itself.
    ///
    /// # Errors
    /// The first invalid setting found.
    pub fn validate(&self) -> Result<(), InvalidDatabaseSetting> {
        self.target()?;
        if let Some(size) = self.pool_size
            && !(1..=MAX_POOL_SIZE).contains(&size)
        {
            return Err(InvalidDatabaseSetting {
                key: "database.pool_size",
                message: format!("must be between 1 and {MAX_POOL_SIZE}, got {size}"),
            });
        }
        if let Some(secs) = self.connect_timeout_secs
            && !(1..=300).contains(&secs)
        {
            return Err(InvalidDatabaseSetting {
                key: "database.connect_timeout_secs",
                message: format!("must be between 1 and 300 seconds, got {secs}"),
            });
        }
        Ok(())
    }

    pub(crate) fn target(&self) -> Result<Target, InvalidDatabaseSetting> {
        Target::parse(self.url.expose_secret()).map_err(|message| InvalidDatabaseSetting {
            key: "database.url",
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(url: &str) -> InvalidDatabaseSetting {
        DatabaseSettings::new(url).validate().unwrap_err()
    }

    #[test]
    fn default_is_the_sqlite_file_under_data() {
        let s = DatabaseSettings::default();
        assert_eq!(s.url.expose_secret(), "sqlite://data/wetech.sqlite3");
        assert_eq!(s.sqlite_path(), Some(PathBuf::from("data/wetech.sqlite3")));
        assert_eq!(s.effective_pool_size(), 8);
        assert_eq!(s.connect_timeout(), Duration::from_secs(5));
        s.validate().unwrap();
    }

    #[test]
    fn pool_size_defaults_per_backend_and_explicit_wins() {
        assert_eq!(
            DatabaseSettings::new("postgresql://h/db").effective_pool_size(),
            10
        );
        assert_eq!(
            DatabaseSettings::new("postgres://h/db")
                .with_pool_size(3)
                .effective_pool_size(),
            3
        );
        assert_eq!(
            DatabaseSettings::new("/var/lib/w.db").effective_pool_size(),
            8
        );
    }

    #[test]
    fn deserializes_with_defaults_for_missing_keys() {
        let s: DatabaseSettings =
            serde_json::from_str(r#"{"url":"postgres://u:p@h/db","pool_size":4}"#).unwrap();
        assert_eq!(s.backend().unwrap(), Backend::Postgres);
        assert_eq!(s.effective_pool_size(), 4);
        let s: DatabaseSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(s.url.expose_secret(), DEFAULT_DATABASE_URL);
        assert!(serde_json::from_str::<DatabaseSettings>(r#"{"pool_size":-1}"#).is_err());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let s = DatabaseSettings::new("postgres://app:s3cr3t-pw@db.example:5432/wetech");
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cr3t-pw"), "{shown}");
        assert!(!shown.contains("db.example"), "{shown}");
        assert!(shown.contains("pool_size"));
        let odd = DatabaseSettings::new("mysql://root:pw@x/db");
        assert!(!format!("{odd:?}").contains("pw@"));
    }

    #[test]
    fn validation_names_the_key_and_hides_the_value() {
        let e = invalid("mysql://root:topsecret@localhost/db");
        assert_eq!(e.key, "database.url");
        assert!(e.to_string().contains("database.url"), "{e}");
        assert!(!e.to_string().contains("topsecret"), "{e}");
        assert_eq!(invalid("").key, "database.url");
        assert_eq!(invalid("sqlite://").key, "database.url");
        assert_eq!(invalid(":memory:").key, "database.url");
        assert_eq!(invalid("sqlite::memory:").key, "database.url");
        assert_eq!(invalid("postgres://").key, "database.url");

        let e = DatabaseSettings::default()
            .with_pool_size(0)
            .validate()
            .unwrap_err();
        assert_eq!(e.key, "database.pool_size");
        assert!(e.to_string().contains("database.pool_size"));
        let e = DatabaseSettings::default()
            .with_pool_size(100_000)
            .validate()
            .unwrap_err();
        assert_eq!(e.key, "database.pool_size");
        let s = DatabaseSettings {
            connect_timeout_secs: Some(0),
            ..DatabaseSettings::default()
        };
        assert_eq!(
            s.validate().unwrap_err().key,
            "database.connect_timeout_secs"
        );
    }

    #[test]
    fn hostile_urls_are_refused_or_treated_as_paths_without_panicking() {
        let long = "x".repeat(100_000);
        for url in [
            "\0",
            "sqlite:\0",
            "http://example.com/db",
            "POSTGRES://h/db",
            "😀://x",
            long.as_str(),
            "sqlite://../../etc/passwd",
        ] {
            let s = DatabaseSettings::new(url);
            let _ = s.validate();
            let _ = format!("{s:?}");
        }
        assert_eq!(invalid("http://example.com/db").key, "database.url");
        assert_eq!(invalid("sqlite:\0").key, "database.url");
        assert_eq!(
            DatabaseSettings::new("POSTGRES://h/db").backend().unwrap(),
            Backend::Postgres
        );
    }
}
