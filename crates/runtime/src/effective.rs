//! The effective configuration as `ops config show` prints it: every key with its value after
//! all layers and defaults, where it came from, and every secret redacted (a secret's value is
//! never read here; only whether it is set).

use secrecy::{ExposeSecret as _, SecretString};

use crate::provenance::Source;
use crate::settings::Settings;

/// What a redacted secret shows.
pub const REDACTED: &str = "[redacted]";

/// One key of the effective configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The dotted key, e.g. `server.port`.
    pub key: &'static str,
    /// The value as text; `None` when unset. A set secret is [`REDACTED`].
    pub value: Option<String>,
    /// Whether the value is a secret (always redacted).
    pub secret: bool,
    /// Which layer set it.
    pub source: Source,
}

#[derive(Default)]
struct Entries(Vec<(&'static str, Option<String>, bool)>);

impl Entries {
    fn plain(&mut self, key: &'static str, value: impl ToString) {
        self.0.push((key, Some(value.to_string()), false));
    }
    fn maybe(&mut self, key: &'static str, value: Option<impl ToString>) {
        self.0.push((key, value.map(|v| v.to_string()), false));
    }
    fn path(&mut self, key: &'static str, value: &std::path::Path) {
        self.plain(key, value.display());
    }
    fn secret(&mut self, key: &'static str, value: Option<&SecretString>) {
        let set = value.is_some_and(|v| !v.expose_secret().is_empty());
        self.0.push((key, set.then(|| REDACTED.to_owned()), true));
    }
    /// A value written with its `Debug` form (unit enum variants), lower-cased.
    fn word(&mut self, key: &'static str, value: Option<impl std::fmt::Debug>) {
        self.maybe(key, value.map(|v| format!("{v:?}").to_lowercase()));
    }
}

impl Settings {
    /// Every key of the effective configuration, in the order of docs/configuration.md's
    /// sections, secrets redacted.
    #[must_use]
    pub fn effective(&self) -> Vec<Entry> {
        let mut e = Entries::default();
        e.plain("environment", self.environment.as_str());
        let s = &self.server;
        e.plain("server.host", &s.host);
        e.plain("server.port", s.port);
        e.plain("server.public_url", &s.public_url);
        e.secret("server.secret_key", Some(&s.secret_key));
        e.plain("server.trust_proxy", s.trust_proxy);
        e.plain(
            "server.lead_rate_limit_per_minute",
            s.lead_rate_limit_per_minute,
        );
        e.plain("server.rate_limit_store", self.rate_limit_store().as_str());
        e.plain("server.shutdown_timeout_secs", s.shutdown_timeout_secs);
        let d = &self.database;
        // The URL of a PostgreSQL database may hold a password; a SQLite path holds none.
        match d.sqlite_path() {
            Some(path) => e.plain("database.url", format!("sqlite://{}", path.display())),
            None => e.secret("database.url", Some(&d.url)),
        }
        e.plain("database.pool_size", d.effective_pool_size());
        e.plain(
            "database.connect_timeout_secs",
            d.connect_timeout().as_secs(),
        );
        let p = &self.payments;
        e.plain("payments.mode", self.payments_mode().as_str());
        e.plain("payments.timeout_ms", p.timeout_ms);
        e.maybe("payments.pesapal.base_url", p.pesapal.base_url.as_ref());
        e.secret(
            "payments.pesapal.consumer_key",
            p.pesapal.consumer_key.as_ref(),
        );
        e.secret(
            "payments.pesapal.consumer_secret",
            p.pesapal.consumer_secret.as_ref(),
        );
        e.maybe("payments.pesapal.ipn_id", p.pesapal.ipn_id.as_ref());
        let a = &p.azampay;
        e.maybe("payments.azampay.auth_base_url", a.auth_base_url.as_ref());
        e.maybe(
            "payments.azampay.checkout_base_url",
            a.checkout_base_url.as_ref(),
        );
        e.maybe("payments.azampay.app_name", a.app_name.as_ref());
        e.secret("payments.azampay.client_id", a.client_id.as_ref());
        e.secret("payments.azampay.client_secret", a.client_secret.as_ref());
        e.secret("payments.azampay.api_key", a.api_key.as_ref());
        e.secret("payments.azampay.callback_token", a.callback_token.as_ref());
        e.plain("payments.azampay.require_signature", a.require_signature);
        e.maybe("payments.azampay.public_key_url", a.public_key_url.as_ref());
        e.maybe(
            "payments.azampay.public_key_pem",
            a.public_key_pem.as_ref().map(|_| "(a PEM key)"),
        );
        e.maybe(
            "payments.azampay.public_key_ttl_secs",
            a.public_key_ttl_secs,
        );
        let c = &self.checkout;
        e.plain("checkout.retry_after_secs", c.retry_after_secs);
        e.plain(
            "checkout.azampay_expire_after_secs",
            c.azampay_expire_after_secs,
        );
        e.plain(
            "checkout.pesapal_expire_after_secs",
            c.pesapal_expire_after_secs,
        );
        e.path("log.dir", &self.log.dir);
        e.plain("log.level", &self.log.level);
        e.plain("log.keep_days", self.log.keep_days);
        e.plain(
            "observability.slow_request_ms",
            self.observability.slow_request_ms,
        );
        e.plain(
            "observability.very_slow_request_ms",
            self.observability.very_slow_request_ms,
        );
        e.plain(
            "observability.metrics_addr",
            &self.observability.metrics_addr,
        );
        e.secret(
            "observability.sentry_dsn",
            self.observability.sentry_dsn.as_ref(),
        );
        e.path("storage.media_dir", &self.storage.media_dir);
        e.maybe(
            "storage.static_dir",
            self.storage.static_dir.as_ref().map(|d| d.display()),
        );
        let b = &self.backup;
        e.path("backup.dir", &b.dir);
        e.plain("backup.keep", b.keep);
        e.maybe("backup.remote.url", b.remote.url.as_ref());
        e.maybe("backup.remote.endpoint", b.remote.endpoint.as_ref());
        e.maybe("backup.remote.region", b.remote.region.as_ref());
        e.maybe(
            "backup.remote.access_key_id",
            b.remote.access_key_id.as_ref(),
        );
        e.secret(
            "backup.remote.secret_access_key",
            b.remote.secret_access_key.as_ref(),
        );
        e.plain("backup.remote.keep", b.remote.keep);
        e.plain(
            "health.min_free_disk_percent",
            self.health.min_free_disk_percent,
        );
        e.plain("health.check_timeout_ms", self.health.check_timeout_ms);
        e.plain("admin.idle_minutes", self.admin.idle_minutes);
        let m = &self.mail;
        e.word("mail.transport", m.transport.as_ref());
        e.plain("mail.from", &m.from);
        e.plain("mail.staff_to", &m.staff_to);
        e.path("mail.dir", &m.dir);
        e.plain("mail.smtp.host", &m.smtp.host);
        e.maybe("mail.smtp.port", m.smtp.port);
        e.maybe("mail.smtp.username", m.smtp.username.as_ref());
        e.secret("mail.smtp.password", m.smtp.password.as_ref());
        e.word("mail.smtp.tls", Some(&m.smtp.tls));
        e.maybe(
            "mail.smtp.ca_file",
            m.smtp.ca_file.as_ref().map(|f| f.display()),
        );
        e.plain("mail.smtp.timeout_secs", m.smtp.timeout_secs);
        e.plain("mail.retry_base_secs", m.retry_base_secs);
        e.plain("mail.retry_max_secs", m.retry_max_secs);
        e.plain("mail.give_up_after_secs", m.give_up_after_secs);
        e.plain("mail.permanent_attempts", m.permanent_attempts);
        e.plain("mail.batch_size", m.batch_size);
        e.plain("mail.poll_ms", m.poll_ms);
        e.plain("mail.lease_secs", m.lease_secs);
        e.plain("company.name", &self.company.name);
        e.maybe("company.address", self.company.address.as_ref());
        e.maybe("company.tin", self.company.tin.as_ref());
        e.maybe("company.email", self.company.email.as_ref());
        e.0.into_iter()
            .map(|(key, value, secret)| Entry {
                key,
                value,
                secret,
                source: self.source(key),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_the_example_configuration_is_listed() {
        let example = include_str!("../../../deploy/wetech.example.toml");
        let keys: Vec<&str> = Settings::default()
            .effective()
            .iter()
            .map(|e| e.key)
            .collect();
        let mut section = String::new();
        for line in example.lines() {
            let line = line.trim_start_matches("# ").trim();
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.to_owned();
            } else if let Some((key, _)) = line.split_once(" = ")
                && !key.is_empty()
                && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            {
                let dotted = if section.is_empty() {
                    key.to_owned()
                } else {
                    format!("{section}.{key}")
                };
                assert!(keys.contains(&dotted.as_str()), "{dotted} is not listed");
            }
        }
    }
}
