//! The configuration sections this crate owns: `log` and `observability`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use tracing_subscriber::EnvFilter;

/// A setting that is out of range or malformed. Its message starts with the dotted key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// `log.level` is empty, not a filter directive, or a bare word that is not a level.
    #[error("log.level: `{value}` is not a valid log level or filter directive: {reason}")]
    InvalidLogLevel {
        /// The configured value (a level is never secret).
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// `log.dir` is empty.
    #[error("log.dir: must not be empty")]
    EmptyLogDir,
    /// `observability.slow_request_ms` is zero (every request would count as slow).
    #[error("observability.slow_request_ms: must be greater than 0")]
    ZeroSlowThreshold,
    /// `observability.very_slow_request_ms` is below `observability.slow_request_ms`.
    #[error(
        "observability.very_slow_request_ms: {very_slow} must be at least \
         observability.slow_request_ms ({slow})"
    )]
    VerySlowBelowSlow {
        /// The configured `slow_request_ms`.
        slow: u64,
        /// The configured `very_slow_request_ms`.
        very_slow: u64,
    },
    /// `observability.metrics_addr` is neither empty nor a socket address (`127.0.0.1:9464`).
    #[error(
        "observability.metrics_addr: `{value}` is not an address such as 127.0.0.1:9464 (empty turns metrics off)"
    )]
    InvalidMetricsAddr {
        /// The configured value (an address is not secret), cut to 200 characters.
        value: String,
    },
    /// `observability.sentry_dsn` is not a Sentry DSN. The value is a secret and is not shown.
    #[error("observability.sentry_dsn: not a valid DSN (https://KEY@HOST/PROJECT)")]
    InvalidSentryDsn,
}

impl SettingsError {
    /// The dotted key the error is about, e.g. `log.level`.
    #[must_use]
    pub fn key(&self) -> &'static str {
        match self {
            SettingsError::InvalidLogLevel { .. } => "log.level",
            SettingsError::EmptyLogDir => "log.dir",
            SettingsError::ZeroSlowThreshold => "observability.slow_request_ms",
            SettingsError::VerySlowBelowSlow { .. } => "observability.very_slow_request_ms",
            SettingsError::InvalidMetricsAddr { .. } => "observability.metrics_addr",
            SettingsError::InvalidSentryDsn => "observability.sentry_dsn",
        }
    }
}

/// The `log` section: where the log files go and the default level.
///
/// ```
/// let log = wetech_observability::LogSettings::default();
/// assert_eq!(log.dir, std::path::PathBuf::from("logs"));
/// assert_eq!(log.level, "info");
/// assert_eq!(log.keep_days, 30);
/// assert!(log.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// Directory of `app.log` (info and above) and `errors.log` (error and above). Created if missing.
    pub dir: PathBuf,
    /// The filter used when `RUST_LOG` is unset: a level (`info`) or `EnvFilter` directives
    /// (`info,wetech_app=debug`).
    pub level: String,
    /// Rotated files (`app.log.YYYY-MM-DD`, `errors.log.YYYY-MM-DD`) whose day lies more than
    /// this many days back are deleted by the writer itself; `0` keeps them all (for an
    /// operator who prunes with logrotate instead).
    pub keep_days: u32,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("logs"),
            level: "info".to_owned(),
            keep_days: 30,
        }
    }
}

impl LogSettings {
    /// Checks `log.dir` and `log.level`.
    ///
    /// `log.level` must parse as `EnvFilter` directives, and each directive must name a level:
    /// a bare word such as `infoo` is valid `EnvFilter` syntax (it means "everything from the
    /// target `infoo`") but in a configuration file it is nearly always a typo that would silence
    /// the whole service, so it is refused.
    ///
    /// # Errors
    /// A [`SettingsError`] naming the key.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.dir.as_os_str().is_empty() {
            return Err(SettingsError::EmptyLogDir);
        }
        self.filter().map(|_| ())
    }

    /// The `EnvFilter` described by `log.level` (ignoring `RUST_LOG`).
    ///
    /// # Errors
    /// [`SettingsError::InvalidLogLevel`] as described in [`LogSettings::validate`].
    pub fn filter(&self) -> Result<EnvFilter, SettingsError> {
        let invalid = |reason: String| SettingsError::InvalidLogLevel {
            value: self.level.chars().take(200).collect(),
            reason,
        };
        let level = self.level.trim();
        if level.is_empty() {
            return Err(invalid("it is empty".to_owned()));
        }
        for directive in level.split(',').map(str::trim) {
            if directive.is_empty() {
                return Err(invalid("it has an empty directive".to_owned()));
            }
            let names_a_level = directive.contains('=') || is_level(directive);
            if !names_a_level {
                return Err(invalid(format!(
                    "`{}` is not a level (trace, debug, info, warn, error, off); \
                     write `target=level` to filter one target",
                    directive.chars().take(64).collect::<String>()
                )));
            }
        }
        // EnvFilter would accept inner spaces around commas only by accident; parse the trimmed
        // directives joined again.
        let normalized = level
            .split(',')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(",");
        EnvFilter::builder()
            .parse(normalized)
            .map_err(|e| invalid(e.to_string()))
    }
}

fn is_level(word: &str) -> bool {
    ["trace", "debug", "info", "warn", "error", "off"]
        .iter()
        .any(|level| word.eq_ignore_ascii_case(level))
}

/// The `observability` section: slow-request thresholds, the metrics listener and error reports.
///
/// ```
/// let o = wetech_observability::ObservabilitySettings::default();
/// assert_eq!((o.slow_request_ms, o.very_slow_request_ms), (1000, 5000));
/// assert_eq!(o.metrics_addr, "127.0.0.1:9464");
/// assert!(o.sentry_dsn.is_none());
/// assert!(o.validate().is_ok());
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ObservabilitySettings {
    /// Requests that take longer are logged at WARN with `slow_request: true`.
    pub slow_request_ms: u64,
    /// Requests that take longer are logged at ERROR with `slow_request: true`.
    pub very_slow_request_ms: u64,
    /// Where `GET /metrics` is served (its own listener, never the public port); empty turns
    /// metrics off. Any address is allowed, but it must not be reachable from the public
    /// internet (docs/operations.md, "Metrics").
    pub metrics_addr: String,
    /// The Sentry-protocol endpoint that receives error reports; unset turns them off. A secret
    /// (its key authorises sending).
    pub sentry_dsn: Option<SecretString>,
}

impl Default for ObservabilitySettings {
    fn default() -> Self {
        Self {
            slow_request_ms: 1000,
            very_slow_request_ms: 5000,
            metrics_addr: "127.0.0.1:9464".to_owned(),
            sentry_dsn: None,
        }
    }
}

impl PartialEq for ObservabilitySettings {
    fn eq(&self, other: &Self) -> bool {
        self.slow_request_ms == other.slow_request_ms
            && self.very_slow_request_ms == other.very_slow_request_ms
            && self.metrics_addr == other.metrics_addr
            && self.sentry_dsn.as_ref().map(|d| d.expose_secret())
                == other.sentry_dsn.as_ref().map(|d| d.expose_secret())
    }
}

impl ObservabilitySettings {
    /// Checks that `slow_request_ms > 0` and `very_slow_request_ms >= slow_request_ms`.
    ///
    /// # Errors
    /// A [`SettingsError`] naming the key.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.slow_request_ms == 0 {
            return Err(SettingsError::ZeroSlowThreshold);
        }
        if self.very_slow_request_ms < self.slow_request_ms {
            return Err(SettingsError::VerySlowBelowSlow {
                slow: self.slow_request_ms,
                very_slow: self.very_slow_request_ms,
            });
        }
        self.metrics_socket()?;
        if let Some(dsn) = &self.sentry_dsn {
            crate::error_reports::parse_dsn(dsn).map_err(|_| SettingsError::InvalidSentryDsn)?;
        }
        Ok(())
    }

    /// The metrics listener's address, `None` when `metrics_addr` is empty (metrics off).
    ///
    /// # Errors
    /// [`SettingsError::InvalidMetricsAddr`] when it is not a socket address.
    pub fn metrics_socket(&self) -> Result<Option<SocketAddr>, SettingsError> {
        let value = self.metrics_addr.trim();
        if value.is_empty() {
            return Ok(None);
        }
        value
            .parse()
            .map(Some)
            .map_err(|_| SettingsError::InvalidMetricsAddr {
                value: value.chars().take(200).collect(),
            })
    }

    /// `slow_request_ms` as a [`Duration`].
    #[must_use]
    pub fn slow_threshold(&self) -> Duration {
        Duration::from_millis(self.slow_request_ms)
    }

    /// `very_slow_request_ms` as a [`Duration`].
    #[must_use]
    pub fn very_slow_threshold(&self) -> Duration {
        Duration::from_millis(self.very_slow_request_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(level: &str) -> LogSettings {
        LogSettings {
            level: level.to_owned(),
            ..LogSettings::default()
        }
    }

    #[test]
    fn accepts_levels_and_directives() {
        for ok in [
            "info",
            "INFO",
            " warn ",
            "off",
            "info,wetech_app=debug",
            "wetech_app=trace",
        ] {
            assert!(log(ok).validate().is_ok(), "{ok} should be accepted");
        }
    }

    #[test]
    fn refuses_typos_and_garbage_naming_the_key() {
        for bad in [
            "",
            "   ",
            "infoo",
            "info,,debug",
            "info,foo=loud",
            "verbose",
            "=",
            "a=b=c",
        ] {
            let err = log(bad).validate().expect_err(bad);
            assert_eq!(err.key(), "log.level", "{bad}");
            assert!(err.to_string().starts_with("log.level:"), "{err}");
        }
    }

    #[test]
    fn oversized_level_is_refused_and_truncated_in_the_message() {
        let huge = "x".repeat(100_000);
        let err = log(&huge).validate().expect_err("huge");
        assert!(err.to_string().len() < 1_000);
    }

    #[test]
    fn empty_dir_is_refused() {
        let s = LogSettings {
            dir: PathBuf::new(),
            ..LogSettings::default()
        };
        assert_eq!(s.validate().map_err(|e| e.key()), Err("log.dir"));
    }

    #[test]
    fn thresholds_are_checked() {
        let o = |slow, very_slow| ObservabilitySettings {
            slow_request_ms: slow,
            very_slow_request_ms: very_slow,
            ..ObservabilitySettings::default()
        };
        assert!(o(20, 50).validate().is_ok());
        assert!(o(20, 20).validate().is_ok());
        let err = o(50, 20).validate().expect_err("below");
        assert_eq!(err.key(), "observability.very_slow_request_ms");
        assert!(err.to_string().contains("20") && err.to_string().contains("50"));
        assert_eq!(
            o(0, 10).validate().map_err(|e| e.key()),
            Err("observability.slow_request_ms")
        );
    }

    #[test]
    fn deserialize_defaults_and_unknown_fields() {
        #[derive(Deserialize)]
        struct Root {
            #[serde(default)]
            log: LogSettings,
            #[serde(default)]
            observability: ObservabilitySettings,
        }
        let root: Root = serde_json::from_str(r#"{"log":{"level":"debug"}}"#).unwrap();
        assert_eq!(root.log.dir, PathBuf::from("logs"));
        assert_eq!(root.log.level, "debug");
        assert_eq!(root.observability, ObservabilitySettings::default());
        assert!(serde_json::from_str::<Root>(r#"{"log":{"levle":"debug"}}"#).is_err());
        assert!(serde_json::from_str::<Root>(r#"{"observability":{"slow_ms":1}}"#).is_err());
    }

    #[test]
    fn metrics_addr_empty_is_off_and_garbage_is_refused() {
        let with = |addr: &str| ObservabilitySettings {
            metrics_addr: addr.to_owned(),
            ..ObservabilitySettings::default()
        };
        assert_eq!(
            with("127.0.0.1:9464").metrics_socket().unwrap(),
            Some("127.0.0.1:9464".parse().unwrap())
        );
        assert_eq!(
            with("[::1]:0").metrics_socket().unwrap().map(|a| a.port()),
            Some(0)
        );
        assert_eq!(with("").metrics_socket().unwrap(), None);
        assert_eq!(with("  ").metrics_socket().unwrap(), None);
        for bad in ["localhost", "9464", "127.0.0.1:", "http://127.0.0.1:9464"] {
            let err = with(bad).validate().expect_err(bad);
            assert_eq!(err.key(), "observability.metrics_addr", "{bad}");
        }
    }

    #[test]
    fn sentry_dsn_is_checked_and_never_shown() {
        let with = |dsn: &str| ObservabilitySettings {
            sentry_dsn: Some(SecretString::from(dsn.to_owned())),
            ..ObservabilitySettings::default()
        };
        assert!(
            with("http://publickey@127.0.0.1:9000/42")
                .validate()
                .is_ok()
        );
        let err = with("not a dsn secret-ish")
            .validate()
            .expect_err("garbage");
        assert_eq!(err.key(), "observability.sentry_dsn");
        assert!(!err.to_string().contains("secret-ish"), "{err}");
        let shown = format!("{:?}", with("http://publickey@127.0.0.1:9000/42"));
        assert!(!shown.contains("publickey"), "{shown}");
    }
}
