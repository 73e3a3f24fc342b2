//! Settings: built-in defaults → optional TOML file (`--config FILE` or `WETECH_CONFIG`) →
//! environment variables `WETECH__SECTION__KEY`. Later layers win.
//!
//! Each crate owns the type of its own section; this module composes them, loads the layers and
//! validates the whole, so an invalid value stops the program at start with a message naming the key.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use wetech_app::{AdminSettings, CheckoutSettings};
use wetech_mail::MailSettings;
use wetech_observability::{LogSettings, ObservabilitySettings};

use wetech_ops::{BackupSettings, HealthSettings, StorageSettings};
use wetech_payments::{GatewayHosts, PaymentsSettings};
use wetech_persistence::{Backend, DatabaseSettings};
use wetech_receipt::CompanySettings;

use crate::provenance::{Provenance, Source};

/// The value of `server.secret_key` when none is configured. Good for development only: production
/// refuses to start with it.
pub const DEVELOPMENT_SECRET_KEY: &str = "wetech-development-secret-key-do-not-use-in-production";

/// Name of the environment variable that may name the configuration file.
pub const CONFIG_FILE_ENV: &str = "WETECH_CONFIG";

/// `payments.mode`: the development simulator or one of the gateways' own sets of hosts.
///
/// The payments crate knows only the gateways' hosts; `simulator` is this composition's mode,
/// whose base URLs the web binary gives when it mounts the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentsMode {
    /// The simulator mounted by the web binary (development only); no credentials needed.
    Simulator,
    /// The gateways' public sandboxes.
    Sandbox,
    /// Real money.
    Live,
}

impl PaymentsMode {
    /// `"simulator"`, `"sandbox"` or `"live"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            PaymentsMode::Simulator => "simulator",
            PaymentsMode::Sandbox => "sandbox",
            PaymentsMode::Live => "live",
        }
    }

    /// The gateways' hosts this mode talks to; `None` for the simulator.
    #[must_use]
    pub const fn hosts(self) -> Option<GatewayHosts> {
        match self {
            PaymentsMode::Simulator => None,
            PaymentsMode::Sandbox => Some(GatewayHosts::Sandbox),
            PaymentsMode::Live => Some(GatewayHosts::Live),
        }
    }
}

/// `development` or `production`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Local work: simulator payments, no HTTPS redirect.
    #[default]
    Development,
    /// Real customers: security headers, HTTPS, real gateways, strong secrets.
    Production,
}

impl Environment {
    /// `"development"` or `"production"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Production => "production",
        }
    }
}

/// `server.rate_limit_store`: where the lead rate limit counts (docs/configuration.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateLimitStore {
    /// In this process only (the default on SQLite: one instance).
    Memory,
    /// In the database, shared by every instance (the default on PostgreSQL).
    Database,
}

impl RateLimitStore {
    /// `"memory"` or `"database"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            RateLimitStore::Memory => "memory",
            RateLimitStore::Database => "database",
        }
    }
}

/// The `server` section.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Listen host.
    pub host: String,
    /// Listen port; `0` picks a free one.
    pub port: u16,
    /// Base URL used to build gateway callback and IPN URLs.
    pub public_url: String,
    /// Signs cookies and CSRF tokens.
    pub secret_key: SecretString,
    /// Honour `X-Forwarded-For` / `X-Forwarded-Proto` / `X-Request-Id`.
    pub trust_proxy: bool,
    /// Lead submissions allowed per client address per minute.
    pub lead_rate_limit_per_minute: u32,
    /// Where the lead rate limit counts; `None` until loaded, then `memory` on SQLite and
    /// `database` on PostgreSQL unless set.
    pub rate_limit_store: Option<RateLimitStore>,
    /// How long in-flight requests may finish after SIGTERM.
    pub shutdown_timeout_secs: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 8000,
            public_url: "http://127.0.0.1:8000".to_owned(),
            secret_key: SecretString::from(DEVELOPMENT_SECRET_KEY),
            trust_proxy: false,
            lead_rate_limit_per_minute: 10,
            rate_limit_store: None,
            shutdown_timeout_secs: 30,
        }
    }
}

impl fmt::Debug for ServerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("public_url", &self.public_url)
            .field("secret_key", &"[REDACTED]")
            .field("trust_proxy", &self.trust_proxy)
            .field(
                "lead_rate_limit_per_minute",
                &self.lead_rate_limit_per_minute,
            )
            .field("rate_limit_store", &self.rate_limit_store)
            .field("shutdown_timeout_secs", &self.shutdown_timeout_secs)
            .finish()
    }
}

impl ServerSettings {
    /// The public base URL without a trailing slash.
    #[must_use]
    pub fn public_base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }
}

/// Every setting of both binaries.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `development` or `production`.
    pub environment: Environment,
    /// Listener, public URL, secret key.
    pub server: ServerSettings,
    /// Database URL and pool.
    pub database: DatabaseSettings,
    /// Gateways.
    pub payments: PaymentsSettings<PaymentsMode>,
    /// Log files and level.
    pub log: LogSettings,
    /// Slow-request thresholds.
    pub observability: ObservabilitySettings,
    /// Media and static directories.
    pub storage: StorageSettings,
    /// Where backups go and how many are kept.
    pub backup: BackupSettings,
    /// Health thresholds.
    pub health: HealthSettings,
    /// Payment-attempt timing.
    pub checkout: CheckoutSettings,
    /// The back office's sessions.
    pub admin: AdminSettings,
    /// E-mail: transport, sender, staff addresses, retries.
    pub mail: MailSettings,
    /// The company named on receipts and in e-mails (one section for both).
    pub company: CompanySettings,
    /// Which layer set each key (filled by [`Settings::load_from`]; all defaults otherwise).
    #[serde(skip)]
    provenance: Provenance,
}

/// Why the settings could not be loaded; the message names the key.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The configuration file could not be parsed, or a value has the wrong type.
    ///
    /// The cause is not exposed as `source()`: its text is already part of this message, and
    /// `{:#}` would otherwise print it twice.
    #[error("configuration error: {0}")]
    Load(config::ConfigError),
    /// The configuration file named by `--config` or `WETECH_CONFIG` cannot be used.
    #[error("configuration file {path}: {message}")]
    File {
        /// The path as given.
        path: String,
        /// Why it cannot be read (no such file, a directory, permission denied, …).
        message: String,
    },
    /// A value parsed but is not acceptable.
    #[error("invalid setting `{key}`: {message}")]
    Invalid {
        /// Dotted key, e.g. `server.secret_key`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

impl From<config::ConfigError> for SettingsError {
    fn from(e: config::ConfigError) -> Self {
        SettingsError::Load(e)
    }
}

impl SettingsError {
    fn invalid(key: &str, message: impl Into<String>) -> Self {
        SettingsError::Invalid {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

impl Settings {
    /// Loads the layers: defaults, then `file` (or the file named by `WETECH_CONFIG`), then the
    /// process environment. Validates the result.
    pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
        // An empty WETECH_CONFIG means unset.
        let env_file = std::env::var_os(CONFIG_FILE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let file = file.map(Path::to_path_buf).or(env_file);
        Self::load_from(file.as_deref(), std::env::vars())
    }

    /// Like [`Settings::load`] but with an explicit environment, for tests.
    pub fn load_from(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, SettingsError> {
        let env: config::Map<String, String> = vars
            .into_iter()
            .filter(|(k, _)| k.starts_with("WETECH__"))
            .collect();
        let mut builder = config::Config::builder();
        let mut file_keys = None;
        if let Some(path) = file {
            check_config_file(path)?;
            let layer = config::File::from(path)
                .format(config::FileFormat::Toml)
                .required(true);
            file_keys = Some(config::Source::collect(&layer)?);
            builder = builder.add_source(layer);
        }
        let provenance = Provenance::new(file_keys, env.keys());
        builder = builder.add_source(
            config::Environment::with_prefix("WETECH")
                .prefix_separator("__")
                .separator("__")
                // Every value stays the string it was given (a token such as `000123` or a
                // 40-digit secret must not become a number); numeric and boolean keys are
                // converted by deserialization, which names the key when that fails.
                .try_parsing(false)
                .source(Some(env)),
        );
        let mut settings: Settings = builder.build()?.try_deserialize()?;
        settings.provenance = provenance;
        settings.resolve_defaults();
        settings.validate()?;
        Ok(settings)
    }

    /// Fills defaults that depend on other values (the payments mode follows the environment).
    fn resolve_defaults(&mut self) {
        if self.payments.mode.is_none() {
            self.payments.mode = Some(match self.environment {
                Environment::Development => PaymentsMode::Simulator,
                Environment::Production => PaymentsMode::Live,
            });
        }
        self.server.rate_limit_store = Some(self.rate_limit_store());
    }

    /// Where the value of the dotted `key` came from (default, file or environment).
    #[must_use]
    pub fn source(&self, key: &str) -> Source {
        self.provenance.source(key)
    }

    /// The lead rate limit's store after defaults (`memory` on SQLite, `database` on PostgreSQL).
    #[must_use]
    pub fn rate_limit_store(&self) -> RateLimitStore {
        self.server
            .rate_limit_store
            .unwrap_or(match self.database.backend() {
                Ok(Backend::Postgres) => RateLimitStore::Database,
                // An invalid URL is refused by `validate`.
                Ok(Backend::Sqlite) | Err(_) => RateLimitStore::Memory,
            })
    }

    /// When `server.public_url` was left at its default, makes it follow the address the server
    /// is bound to (any port; an unspecified host such as `0.0.0.0` becomes loopback), so the
    /// gateways' callbacks and the simulator's links reach this server. A URL set in the file or
    /// the environment is kept as it is. Returns the public base URL in use.
    pub fn follow_bound_address(&mut self, bound: SocketAddr) -> &str {
        let default = ServerSettings::default().public_url;
        if self.source("server.public_url") == Source::Default && self.server.public_url == default
        {
            let mut reachable = bound;
            if bound.ip().is_unspecified() {
                reachable.set_ip(match bound {
                    SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            self.server.public_url = format!("http://{reachable}");
        }
        self.server.public_base()
    }

    /// The payments mode after defaults.
    #[must_use]
    pub fn payments_mode(&self) -> PaymentsMode {
        self.payments.mode.unwrap_or(PaymentsMode::Simulator)
    }

    /// What is allowed but probably a mistake, one sentence each, naming keys and never values;
    /// `web` logs each at warn when it starts.
    #[must_use]
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let azampay = &self.payments.azampay;
        if let (Some(api_key), Some(token)) = (&azampay.api_key, &azampay.callback_token)
            && !token.expose_secret().is_empty()
            && api_key.expose_secret() == token.expose_secret()
        {
            out.push(
                "payments.azampay.api_key equals payments.azampay.callback_token: AzamPay's portal \
                 calls its X-API-Key value a \"Callback Token\", but ours is the secret in the \
                 callback path and should be a different random value (docs/configuration.md)"
                    .to_owned(),
            );
        }
        out
    }

    /// Checks every section, then the production rules (docs/interface.md, "Security defaults").
    pub fn validate(&self) -> Result<(), SettingsError> {
        let s = &self.server;
        if s.host.trim().is_empty() {
            return Err(SettingsError::invalid("server.host", "must not be empty"));
        }
        if let Err(why) = check_public_url(&s.public_url) {
            return Err(SettingsError::invalid(
                "server.public_url",
                format!("must be an absolute http:// or https:// URL: {why}"),
            ));
        }
        if s.secret_key.expose_secret().is_empty() {
            return Err(SettingsError::invalid(
                "server.secret_key",
                "must not be empty",
            ));
        }
        if s.lead_rate_limit_per_minute == 0 {
            return Err(SettingsError::invalid(
                "server.lead_rate_limit_per_minute",
                "must be at least 1",
            ));
        }
        if self.storage.media_dir.as_os_str().is_empty() {
            return Err(SettingsError::invalid(
                "storage.media_dir",
                "must not be empty",
            ));
        }
        if self
            .storage
            .static_dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            return Err(SettingsError::invalid(
                "storage.static_dir",
                "must not be empty (leave it unset to serve the built-in assets)",
            ));
        }
        self.database
            .validate()
            .map_err(|e| SettingsError::invalid(e.key, e.message))?;
        self.payments
            .validate_shape()
            .map_err(|e| SettingsError::invalid(e.key(), e.message()))?;
        self.log
            .validate()
            .map_err(|e| SettingsError::invalid(e.key(), e.to_string()))?;
        self.observability
            .validate()
            .map_err(|e| SettingsError::invalid(e.key(), e.to_string()))?;
        self.health
            .validate()
            .map_err(|e| SettingsError::invalid(e.key(), e.to_string()))?;
        self.backup
            .validate()
            .map_err(|e| SettingsError::invalid(e.key(), e.to_string()))?;
        self.admin
            .validate()
            .map_err(|e| SettingsError::invalid(e.key(), e.to_string()))?;
        self.company
            .validate()
            .map_err(|e| SettingsError::invalid(e.key(), e.to_string()))?;
        // Production refuses the `file` transport and SMTP without TLS to another machine.
        self.mail
            .validate(self.environment == Environment::Production)
            .map_err(|e| SettingsError::invalid(e.key(), e.to_string()))?;
        if self.environment == Environment::Production {
            self.validate_production()?;
        }
        // Outside simulator mode the gateways in use need every credential, in any environment.
        if let Some(hosts) = self.payments_mode().hosts() {
            self.payments
                .validate_credentials(hosts)
                .map_err(|e| SettingsError::invalid(e.key(), e.message()))?;
        }
        if self.environment == Environment::Production {
            self.validate_production_proxy()?;
        }
        Ok(())
    }

    /// Production redirects every page not received over HTTPS, and this server speaks plain
    /// HTTP: it learns that a request came over HTTPS only from the `X-Forwarded-Proto` of a
    /// proxy it trusts. Without `server.trust_proxy` every page would redirect to HTTPS forever,
    /// so such a setup is refused rather than served (docs/configuration.md). Checked last, so
    /// that any other mistake of a production setup is named first.
    fn validate_production_proxy(&self) -> Result<(), SettingsError> {
        if self.server.trust_proxy {
            return Ok(());
        }
        Err(SettingsError::invalid(
            "server.trust_proxy",
            "must be true when `environment` is `production`: this server speaks plain HTTP \
             behind a TLS-terminating reverse proxy and knows a request came over HTTPS only \
             from that proxy's X-Forwarded-Proto; without it every page would redirect to HTTPS \
             forever. Put the service behind such a proxy and set WETECH__SERVER__TRUST_PROXY=true",
        ))
    }

    fn validate_production(&self) -> Result<(), SettingsError> {
        let key = self.server.secret_key.expose_secret();
        if key == DEVELOPMENT_SECRET_KEY {
            return Err(SettingsError::invalid(
                "server.secret_key",
                "the development secret key must not be used in production; set WETECH__SERVER__SECRET_KEY",
            ));
        }
        if key.len() < 32 {
            return Err(SettingsError::invalid(
                "server.secret_key",
                "must be at least 32 bytes in production",
            ));
        }
        let distinct = key.chars().collect::<std::collections::BTreeSet<_>>().len();
        if distinct < MIN_DISTINCT_SECRET_CHARS {
            return Err(SettingsError::invalid(
                "server.secret_key",
                format!(
                    "is too weak for production: it uses only {distinct} distinct characters \
                     (at least {MIN_DISTINCT_SECRET_CHARS} required); use a random value"
                ),
            ));
        }
        if self.payments_mode() == PaymentsMode::Simulator {
            return Err(SettingsError::invalid(
                "payments.mode",
                "the payment simulator is refused in production; use `live` or `sandbox`",
            ));
        }
        Ok(())
    }
}

/// The fewest distinct characters a production `server.secret_key` may use.
pub const MIN_DISTINCT_SECRET_CHARS: usize = 8;

/// Refuses a configuration file that does not exist, is a directory or cannot be read, with a
/// message that says which.
fn check_config_file(path: &Path) -> Result<(), SettingsError> {
    let fail = |message: String| SettingsError::File {
        path: path.display().to_string(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| {
        fail(match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => format!("cannot be read: {e}"),
        })
    })?;
    if meta.is_dir() {
        return Err(fail("is a directory, not a file".to_owned()));
    }
    std::fs::File::open(path).map_err(|e| {
        fail(match e.kind() {
            std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => format!("cannot be read: {e}"),
        })
    })?;
    Ok(())
}

/// Checks that `url` is an absolute `http://` or `https://` URL with a valid host and port and
/// no whitespace or control characters; the error says what is wrong (the URL is not secret).
fn check_public_url(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains whitespace or control characters".to_owned());
    }
    let lower = url.to_ascii_lowercase();
    let rest = if lower.starts_with("http://") {
        &url["http://".len()..]
    } else if lower.starts_with("https://") {
        &url["https://".len()..]
    } else {
        return Err("the scheme must be http or https".to_owned());
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') {
        return Err("must not contain a user name or password".to_owned());
    }
    if rest[end..].contains(['?', '#']) {
        return Err("must not have a query or fragment".to_owned());
    }
    let (host, port) = if let Some(after) = authority.strip_prefix('[') {
        let (inner, tail) = after
            .split_once(']')
            .ok_or_else(|| "unclosed IPv6 address".to_owned())?;
        if inner.is_empty()
            || !inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err("invalid IPv6 address".to_owned());
        }
        match tail {
            "" => (inner, None),
            t => match t.strip_prefix(':') {
                Some(p) => (inner, Some(p)),
                None => return Err("invalid text after the IPv6 address".to_owned()),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("has no host".to_owned());
    }
    if !authority.starts_with('[') {
        let valid_label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let h = host.strip_suffix('.').unwrap_or(host);
        if h.len() > 253 || !h.split('.').all(valid_label) {
            return Err("invalid host name".to_owned());
        }
    }
    if let Some(p) = port
        && (p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) || p.parse::<u16>().is_err())
    {
        return Err("invalid port".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_key_equal_to_the_callback_token_is_warned_about_by_name_only() {
        let same = [
            ("WETECH__PAYMENTS__AZAMPAY__API_KEY", "Same-Secret-7f3a"),
            (
                "WETECH__PAYMENTS__AZAMPAY__CALLBACK_TOKEN",
                "Same-Secret-7f3a",
            ),
        ];
        let s = Settings::load_from(
            None,
            same.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
        .unwrap();
        let warnings = s.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("payments.azampay.api_key"),
            "{warnings:?}"
        );
        assert!(!warnings[0].contains("Same-Secret-7f3a"), "{warnings:?}");
        let different = Settings::load_from(
            None,
            [
                ("WETECH__PAYMENTS__AZAMPAY__API_KEY", "key-1"),
                ("WETECH__PAYMENTS__AZAMPAY__CALLBACK_TOKEN", "token-2"),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
        .unwrap();
        assert!(different.warnings().is_empty());
        assert!(Settings::default().warnings().is_empty());
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn err(pairs: &[(&str, &str)]) -> String {
        Settings::load_from(None, vars(pairs))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_are_the_contracts() {
        let s = Settings::load_from(None, vars(&[])).unwrap();
        assert_eq!(s.environment, Environment::Development);
        assert_eq!((s.server.host.as_str(), s.server.port), ("127.0.0.1", 8000));
        assert_eq!(s.server.public_url, "http://127.0.0.1:8000");
        assert!(!s.server.trust_proxy);
        assert_eq!(
            s.database.sqlite_path().unwrap(),
            std::path::PathBuf::from("data/wetech.sqlite3")
        );
        assert_eq!(s.payments_mode(), PaymentsMode::Simulator);
        assert_eq!(s.payments.timeout_ms, 15_000);
        assert_eq!(s.backup.keep, 30);
        assert_eq!(s.observability.slow_request_ms, 1000);
        assert_eq!(s.observability.very_slow_request_ms, 5000);
        assert!((s.health.min_free_disk_percent - 10.0).abs() < f64::EPSILON);
        assert_eq!(s.server.lead_rate_limit_per_minute, 10);
    }

    #[test]
    fn file_then_environment_later_wins() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("wetech.toml");
        std::fs::write(
            &file,
            "[server]\nport = 9000\nhost = \"0.0.0.0\"\n[backup]\nkeep = 5\n[payments.pesapal]\nipn_id = \"abc\"\n",
        )
        .unwrap();
        let s =
            Settings::load_from(Some(&file), vars(&[("WETECH__SERVER__PORT", "9100")])).unwrap();
        assert_eq!(s.server.port, 9100, "environment beats the file");
        assert_eq!(s.server.host, "0.0.0.0", "the file beats the defaults");
        assert_eq!(s.backup.keep, 5);
        assert_eq!(s.payments.pesapal.ipn_id.as_deref(), Some("abc"));
    }

    #[test]
    fn the_rate_limit_store_follows_the_backend_unless_set() {
        let sqlite = Settings::load_from(None, vars(&[])).unwrap();
        assert_eq!(sqlite.rate_limit_store(), RateLimitStore::Memory);
        let pg = Settings::load_from(
            None,
            vars(&[("WETECH__DATABASE__URL", "postgres://u@localhost/wetech")]),
        )
        .unwrap();
        assert_eq!(pg.rate_limit_store(), RateLimitStore::Database);
        assert_eq!(pg.server.rate_limit_store, Some(RateLimitStore::Database));
        let chosen = Settings::load_from(
            None,
            vars(&[("WETECH__SERVER__RATE_LIMIT_STORE", "database")]),
        )
        .unwrap();
        assert_eq!(chosen.rate_limit_store(), RateLimitStore::Database);
        let memory_on_pg = Settings::load_from(
            None,
            vars(&[
                ("WETECH__DATABASE__URL", "postgres://u@localhost/wetech"),
                ("WETECH__SERVER__RATE_LIMIT_STORE", "memory"),
            ]),
        )
        .unwrap();
        assert_eq!(memory_on_pg.rate_limit_store(), RateLimitStore::Memory);
        assert!(
            err(&[("WETECH__SERVER__RATE_LIMIT_STORE", "redis")])
                .contains("server.rate_limit_store")
        );
    }

    #[test]
    fn a_default_public_url_follows_the_bound_port_and_a_set_one_is_kept() {
        let bound: SocketAddr = "127.0.0.1:8123".parse().unwrap();
        let mut s = Settings::load_from(None, vars(&[("WETECH__SERVER__PORT", "8123")])).unwrap();
        assert_eq!(s.follow_bound_address(bound), "http://127.0.0.1:8123");
        let mut any = Settings::load_from(None, vars(&[])).unwrap();
        assert_eq!(
            any.follow_bound_address("0.0.0.0:8124".parse().unwrap()),
            "http://127.0.0.1:8124"
        );
        // Set on purpose, even to the default's value: kept.
        for url in ["https://pay.example.com/", "http://127.0.0.1:8000"] {
            let mut set =
                Settings::load_from(None, vars(&[("WETECH__SERVER__PUBLIC_URL", url)])).unwrap();
            assert_eq!(set.follow_bound_address(bound), url.trim_end_matches('/'));
        }
        // Changed in code (tests do) without a layer: kept too.
        let mut changed = Settings::default();
        changed.server.public_url = "https://pay.example.com".to_owned();
        assert_eq!(
            changed.follow_bound_address(bound),
            "https://pay.example.com"
        );
    }

    #[test]
    fn invalid_values_name_their_key() {
        assert!(err(&[("WETECH__SERVER__PORT", "notaport")]).contains("server.port"));
        assert!(err(&[("WETECH__SERVER__PORT", "70000")]).contains("server.port"));
        assert!(err(&[("WETECH__BACKUP__KEEP", "0")]).contains("backup.keep"));
        assert!(
            err(&[("WETECH__HEALTH__MIN_FREE_DISK_PERCENT", "abc")])
                .contains("min_free_disk_percent")
        );
        assert!(err(&[("WETECH__ENVIRONMENT", "staging")]).contains("environment"));
        assert!(err(&[("WETECH__SERVER__PUBLIC_URL", "ftp://x")]).contains("server.public_url"));
        assert!(err(&[("WETECH__LOG__LEVEL", "infoo")]).contains("log.level"));
        assert!(err(&[("WETECH__SERVER__NO_SUCH_KEY", "1")]).contains("no_such_key"));
    }

    #[test]
    fn the_admin_idle_timeout_defaults_to_30_minutes_and_is_bounded() {
        assert_eq!(
            Settings::load_from(None, vars(&[]))
                .unwrap()
                .admin
                .idle_minutes,
            30
        );
        let s = Settings::load_from(None, vars(&[("WETECH__ADMIN__IDLE_MINUTES", "5")])).unwrap();
        assert_eq!(s.admin.idle_minutes, 5);
        for bad in ["0", "721", "-1", "soon"] {
            let e = err(&[("WETECH__ADMIN__IDLE_MINUTES", bad)]);
            assert!(e.contains("admin.idle_minutes"), "{bad}: {e}");
        }
        assert!(err(&[("WETECH__ADMIN__IDLE", "5")]).contains("idle"));
    }

    #[test]
    fn the_company_section_is_one_checked_value_for_receipts_and_mail() {
        let s = Settings::load_from(
            None,
            vars(&[
                ("WETECH__COMPANY__NAME", "Wetech Ltd"),
                ("WETECH__COMPANY__ADDRESS", "P.O. Box 1234, Dar es Salaam"),
                ("WETECH__COMPANY__TIN", "123-456-789"),
                ("WETECH__COMPANY__EMAIL", "info@wetech.co.tz"),
            ]),
        )
        .unwrap();
        let company: &wetech_receipt::CompanySettings = &s.company;
        assert_eq!(company.name, "Wetech Ltd");
        assert_eq!(company.tin.as_deref(), Some("123-456-789"));
        assert_eq!(
            Settings::load_from(None, vars(&[])).unwrap().company.name,
            "wetech"
        );
        // A value that would break a receipt's or a subject's line stops the start, by key.
        assert!(err(&[("WETECH__COMPANY__TIN", "123\n456")]).contains("company.tin"));
        assert!(err(&[("WETECH__COMPANY__NAME", " ")]).contains("company.name"));
        assert!(err(&[("WETECH__COMPANY__FAX", "1")]).contains("fax"));
    }

    #[test]
    fn missing_file_is_an_error() {
        let e = Settings::load_from(Some(Path::new("/nonexistent/wetech.toml")), vars(&[]))
            .unwrap_err();
        assert!(e.to_string().contains("wetech.toml"), "{e}");
    }

    #[test]
    fn production_refuses_weak_setups() {
        let prod = ("WETECH__ENVIRONMENT", "production");
        let live = ("WETECH__PAYMENTS__MODE", "live");
        assert!(
            err(&[prod, live]).contains("server.secret_key"),
            "development key refused"
        );
        let short = ("WETECH__SERVER__SECRET_KEY", "too-short");
        assert!(err(&[prod, live, short]).contains("at least 32 bytes"));
        let key = (
            "WETECH__SERVER__SECRET_KEY",
            "0123456789abcdef0123456789abcdef-prod",
        );
        assert!(
            err(&[prod, key, ("WETECH__PAYMENTS__MODE", "simulator")]).contains("payments.mode")
        );
        // Live mode with no gateway credentials at all.
        let e = err(&[prod, key]);
        assert!(e.contains("payments."), "{e}");
        // A half-configured gateway names the missing key.
        let e = err(&[prod, key, ("WETECH__PAYMENTS__PESAPAL__CONSUMER_KEY", "k")]);
        assert!(e.contains("payments.pesapal.consumer_secret"), "{e}");
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let s = Settings::load_from(
            None,
            vars(&[
                (
                    "WETECH__SERVER__SECRET_KEY",
                    "super-secret-signing-key-value-123456",
                ),
                (
                    "WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET",
                    "pesapal-secret-xyz",
                ),
                ("WETECH__PAYMENTS__PESAPAL__CONSUMER_KEY", "pesapal-key-xyz"),
                (
                    "WETECH__PAYMENTS__AZAMPAY__CALLBACK_TOKEN",
                    "callback-token-xyz",
                ),
                (
                    "WETECH__DATABASE__URL",
                    "postgres://app:db-password-xyz@localhost/wetech",
                ),
            ]),
        )
        .unwrap();
        let shown = format!("{s:?}");
        for secret in [
            "super-secret-signing",
            "pesapal-secret-xyz",
            "pesapal-key-xyz",
            "callback-token-xyz",
            "db-password-xyz",
        ] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
    }

    /// Every `source()` message after the error's own: what `{:#}` prints.
    fn chain(e: &SettingsError) -> String {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    }

    #[test]
    fn string_values_from_the_environment_are_kept_exactly() {
        let forty_digits = "1234567890123456789012345678901234567890";
        let s = Settings::load_from(
            None,
            vars(&[
                ("WETECH__PAYMENTS__AZAMPAY__CALLBACK_TOKEN", "000123456789"),
                ("WETECH__PAYMENTS__AZAMPAY__APP_NAME", "12.50"),
                ("WETECH__PAYMENTS__PESAPAL__IPN_ID", "1e5"),
                ("WETECH__SERVER__HOST", "0012"),
                ("WETECH__SERVER__SECRET_KEY", forty_digits),
                ("WETECH__LOG__DIR", "007"),
            ]),
        )
        .unwrap();
        assert_eq!(
            s.payments
                .azampay
                .callback_token
                .as_ref()
                .unwrap()
                .expose_secret(),
            "000123456789"
        );
        assert_eq!(s.payments.azampay.app_name.as_deref(), Some("12.50"));
        assert_eq!(s.payments.pesapal.ipn_id.as_deref(), Some("1e5"));
        assert_eq!(s.server.host, "0012");
        assert_eq!(s.server.secret_key.expose_secret(), forty_digits);
        assert_eq!(s.log.dir, PathBuf::from("007"));
        // A 40-digit key is long enough for production.
        let e = err(&[
            ("WETECH__ENVIRONMENT", "production"),
            ("WETECH__PAYMENTS__MODE", "live"),
            ("WETECH__SERVER__SECRET_KEY", forty_digits),
        ]);
        assert!(!e.contains("server.secret_key"), "{e}");
    }

    #[test]
    fn numeric_and_boolean_keys_still_parse_from_the_environment() {
        let s = Settings::load_from(
            None,
            vars(&[
                ("WETECH__SERVER__PORT", "9123"),
                ("WETECH__SERVER__TRUST_PROXY", "true"),
                ("WETECH__SERVER__LEAD_RATE_LIMIT_PER_MINUTE", "3"),
                ("WETECH__SERVER__SHUTDOWN_TIMEOUT_SECS", "7"),
                ("WETECH__DATABASE__POOL_SIZE", "4"),
                ("WETECH__DATABASE__CONNECT_TIMEOUT_SECS", "9"),
                ("WETECH__PAYMENTS__TIMEOUT_MS", "2500"),
                ("WETECH__PAYMENTS__AZAMPAY__REQUIRE_SIGNATURE", "true"),
                ("WETECH__BACKUP__KEEP", "4"),
                ("WETECH__HEALTH__MIN_FREE_DISK_PERCENT", "7.5"),
                ("WETECH__HEALTH__CHECK_TIMEOUT_MS", "800"),
                ("WETECH__OBSERVABILITY__SLOW_REQUEST_MS", "200"),
                ("WETECH__OBSERVABILITY__VERY_SLOW_REQUEST_MS", "900"),
                ("WETECH__CHECKOUT__RETRY_AFTER_SECS", "11"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.port, 9123);
        assert!(s.server.trust_proxy);
        assert_eq!(s.server.lead_rate_limit_per_minute, 3);
        assert_eq!(s.server.shutdown_timeout_secs, 7);
        assert_eq!(s.database.pool_size, Some(4));
        assert_eq!(s.database.connect_timeout_secs, Some(9));
        assert_eq!(s.payments.timeout_ms, 2500);
        assert!(s.payments.azampay.require_signature);
        assert_eq!(s.backup.keep, 4);
        assert!((s.health.min_free_disk_percent - 7.5).abs() < f64::EPSILON);
        assert_eq!(s.health.check_timeout_ms, 800);
        assert_eq!(s.observability.slow_request_ms, 200);
        assert_eq!(s.observability.very_slow_request_ms, 900);
        assert_eq!(s.checkout.retry_after_secs, 11);
        for (var, key) in [
            ("WETECH__SERVER__PORT", "server.port"),
            ("WETECH__SERVER__TRUST_PROXY", "server.trust_proxy"),
            ("WETECH__DATABASE__POOL_SIZE", "database.pool_size"),
            ("WETECH__PAYMENTS__TIMEOUT_MS", "payments.timeout_ms"),
            (
                "WETECH__PAYMENTS__AZAMPAY__REQUIRE_SIGNATURE",
                "payments.azampay.require_signature",
            ),
            ("WETECH__BACKUP__KEEP", "backup.keep"),
            (
                "WETECH__HEALTH__MIN_FREE_DISK_PERCENT",
                "health.min_free_disk_percent",
            ),
            (
                "WETECH__OBSERVABILITY__SLOW_REQUEST_MS",
                "observability.slow_request_ms",
            ),
        ] {
            let e = err(&[(var, "maybe")]);
            assert!(e.contains(key), "{var}=maybe: {e}");
        }
    }

    #[test]
    fn a_loader_error_is_printed_once() {
        let e = Settings::load_from(None, vars(&[("WETECH__SERVER__PORT", "x")])).unwrap_err();
        let text = chain(&e);
        assert_eq!(text.matches("server.port").count(), 1, "{text}");
    }

    #[test]
    fn unusable_config_files_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let e = Settings::load_from(Some(dir.path()), vars(&[])).unwrap_err();
        assert!(chain(&e).contains("is a directory"), "{e}");
        let missing = dir.path().join("missing.toml");
        let e = Settings::load_from(Some(&missing), vars(&[])).unwrap_err();
        assert!(chain(&e).contains("no such file"), "{e}");
    }

    #[test]
    fn empty_paths_and_bad_public_urls_are_refused() {
        assert!(err(&[("WETECH__STORAGE__MEDIA_DIR", "")]).contains("storage.media_dir"));
        assert!(err(&[("WETECH__STORAGE__STATIC_DIR", "")]).contains("storage.static_dir"));
        for bad in [
            "http://exa mple",
            "http://",
            "https://:80",
            "http://host:port",
            "http://host:70000",
            "http://[::1",
            "http://ex_ample.com",
            "http://exa\tmple.com",
            "mailto:x@example.com",
            "http//example.com",
        ] {
            let e = err(&[("WETECH__SERVER__PUBLIC_URL", bad)]);
            assert!(e.contains("server.public_url"), "{bad:?} accepted: {e}");
        }
        for good in [
            "http://127.0.0.1:8000",
            "https://example.com/",
            "https://shop.example.co.tz/base",
            "http://[::1]:8080",
            "http://localhost",
        ] {
            let s = Settings::load_from(None, vars(&[("WETECH__SERVER__PUBLIC_URL", good)]));
            assert!(s.is_ok(), "{good} refused: {:?}", s.err());
        }
    }

    #[test]
    fn production_refuses_to_run_without_a_trusted_proxy() {
        let acceptable = [
            ("WETECH__ENVIRONMENT", "production"),
            (
                "WETECH__SERVER__SECRET_KEY",
                "0123456789abcdef0123456789abcdef-prod",
            ),
            ("WETECH__PAYMENTS__MODE", "sandbox"),
            ("WETECH__PAYMENTS__PESAPAL__CONSUMER_KEY", "k"),
            ("WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET", "s"),
        ];
        for trust in [None, Some("false")] {
            let mut pairs = acceptable.to_vec();
            pairs.extend(trust.map(|t| ("WETECH__SERVER__TRUST_PROXY", t)));
            let e = err(&pairs);
            assert!(
                e.contains("`server.trust_proxy`") && e.contains("`environment`"),
                "{e}"
            );
        }
        let mut pairs = acceptable.to_vec();
        pairs.push(("WETECH__SERVER__TRUST_PROXY", "true"));
        assert!(Settings::load_from(None, vars(&pairs)).is_ok());
        // Development serves plain HTTP itself and needs no proxy.
        assert!(Settings::load_from(None, vars(&[])).is_ok());
        // Any other production mistake is named first.
        let mut pairs = acceptable.to_vec();
        pairs.retain(|(k, _)| *k != "WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET");
        assert!(err(&pairs).contains("payments.pesapal.consumer_secret"));
    }

    #[test]
    fn production_refuses_file_mail_and_plain_smtp_to_another_host() {
        let acceptable = [
            ("WETECH__ENVIRONMENT", "production"),
            (
                "WETECH__SERVER__SECRET_KEY",
                "0123456789abcdef0123456789abcdef-prod",
            ),
            ("WETECH__PAYMENTS__MODE", "sandbox"),
            ("WETECH__PAYMENTS__PESAPAL__CONSUMER_KEY", "k"),
            ("WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET", "s"),
            ("WETECH__SERVER__TRUST_PROXY", "true"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut pairs = acceptable.to_vec();
            pairs.extend_from_slice(extra);
            pairs
        };
        let e = err(&with(&[("WETECH__MAIL__TRANSPORT", "file")]));
        assert!(e.contains("`mail.transport`"), "{e}");
        let e = err(&with(&[
            ("WETECH__MAIL__SMTP__HOST", "mail.example.com"),
            ("WETECH__MAIL__SMTP__TLS", "none"),
        ]));
        assert!(e.contains("`mail.smtp.tls`"), "{e}");
        for ok in [
            &[("WETECH__MAIL__SMTP__HOST", "mail.example.com")][..],
            &[
                ("WETECH__MAIL__SMTP__HOST", "127.0.0.1"),
                ("WETECH__MAIL__SMTP__TLS", "none"),
            ][..],
            &[("WETECH__MAIL__TRANSPORT", "off")][..],
        ] {
            assert!(Settings::load_from(None, vars(&with(ok))).is_ok(), "{ok:?}");
        }
        // Development writes files by default.
        let dev = Settings::load_from(None, vars(&[])).unwrap();
        assert_eq!(dev.mail.transport(false), wetech_mail::TransportKind::File);
        let e = err(&[("WETECH__MAIL__STAFF_TO", "not-an-address")]);
        assert!(e.contains("`mail.staff_to`"), "{e}");
    }

    #[test]
    fn production_refuses_a_long_but_weak_secret_key() {
        let prod = ("WETECH__ENVIRONMENT", "production");
        let live = ("WETECH__PAYMENTS__MODE", "live");
        let weak = "a".repeat(36);
        let e = err(&[prod, live, ("WETECH__SERVER__SECRET_KEY", &weak)]);
        assert!(
            e.contains("server.secret_key") && e.contains("distinct"),
            "{e}"
        );
        assert!(!e.contains(&weak), "the value leaked: {e}");
        let e = err(&[
            prod,
            live,
            ("WETECH__SERVER__SECRET_KEY", &"abcd".repeat(10)),
        ]);
        assert!(e.contains("server.secret_key"), "{e}");
    }
}
