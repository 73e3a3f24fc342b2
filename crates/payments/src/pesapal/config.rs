//! How to reach Pesapal: [`PesapalConfig`], from code or from the `payments` settings.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::http::HttpOptions;
use crate::settings::{GatewayUrls, PaymentsSettings, PaymentsSettingsError};

/// The HTTP method Pesapal uses to call an IPN URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpnNotificationType {
    /// Parameters in the query string.
    Get,
    /// Parameters in the body.
    Post,
}

impl IpnNotificationType {
    /// `"GET"` or `"POST"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            IpnNotificationType::Get => "GET",
            IpnNotificationType::Post => "POST",
        }
    }
}

/// How to reach Pesapal.
#[derive(Clone)]
pub struct PesapalConfig {
    /// Base URL before `/api/...`, e.g. `https://pay.pesapal.com/v3`.
    pub base_url: String,
    /// Consumer key.
    pub consumer_key: SecretString,
    /// Consumer secret.
    pub consumer_secret: SecretString,
    /// A registered IPN id, if known.
    pub ipn_id: Option<String>,
    /// The IPN URL to find or register on first checkout when `ipn_id` is unset.
    pub ipn_url: Option<String>,
    /// Method for a registration made from `ipn_url`.
    pub ipn_notification_type: IpnNotificationType,
    /// Timeouts and retries.
    pub http: HttpOptions,
}

impl PesapalConfig {
    /// A configuration with defaults (no IPN, 15 s timeout, 3 retries).
    #[must_use]
    pub fn new(base_url: &str, consumer_key: &str, consumer_secret: &str) -> PesapalConfig {
        PesapalConfig {
            base_url: base_url.to_owned(),
            consumer_key: SecretString::from(consumer_key),
            consumer_secret: SecretString::from(consumer_secret),
            ipn_id: None,
            ipn_url: None,
            ipn_notification_type: IpnNotificationType::Get,
            http: HttpOptions::default(),
        }
    }

    /// Builds the configuration from the `payments` section; the base URL is the configured
    /// override, else the one of `urls` (see [`PaymentsSettings::gateway_urls`]).
    pub fn from_settings<M>(
        settings: &PaymentsSettings<M>,
        urls: &GatewayUrls,
    ) -> Result<PesapalConfig, PaymentsSettingsError> {
        let p = &settings.pesapal;
        let pick = |v: &Option<SecretString>,
                    key: &'static str|
         -> Result<SecretString, PaymentsSettingsError> {
            match v {
                Some(s) if !s.expose_secret().trim().is_empty() => Ok(s.clone()),
                _ => Err(settings_missing(key)),
            }
        };
        Ok(PesapalConfig {
            base_url: settings.gateway_urls(urls.clone()).pesapal,
            consumer_key: pick(&p.consumer_key, "payments.pesapal.consumer_key")?,
            consumer_secret: pick(&p.consumer_secret, "payments.pesapal.consumer_secret")?,
            ipn_id: p.ipn_id.clone().filter(|s| !s.trim().is_empty()),
            ipn_url: None,
            ipn_notification_type: IpnNotificationType::Get,
            http: HttpOptions::with_timeout(settings.timeout()),
        })
    }
}

pub(crate) fn settings_missing(key: &'static str) -> PaymentsSettingsError {
    PaymentsSettingsError::required(key)
}

impl fmt::Debug for PesapalConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PesapalConfig")
            .field("base_url", &self.base_url)
            .field("consumer_key", &"[REDACTED]")
            .field("consumer_secret", &"[REDACTED]")
            .field("ipn_id", &self.ipn_id)
            .field("ipn_url", &self.ipn_url)
            .field("http", &self.http)
            .finish()
    }
}
