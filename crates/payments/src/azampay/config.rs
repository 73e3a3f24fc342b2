//! How to reach AzamPay: [`AzamPayConfig`], from code or from the `payments` settings.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::http::HttpOptions;
use crate::settings::{GatewayUrls, PaymentsSettings, PaymentsSettingsError};

/// Default public-key location relative to the checkout host (AzamPay's OpenAPI text).
pub const DEFAULT_PUBLIC_KEY_PATH: &str = "/azampay/v1/public-key?format=Pem";

/// How long a fetched public key is used before it is fetched again, unless
/// `payments.azampay.public_key_ttl_secs` says otherwise. Bounded, so a key AzamPay replaced
/// is not trusted for long; and a callback that fails against the cached key fetches it again
/// at once anyway (docs/payments.md, "AzamPay callbacks and signatures").
pub const DEFAULT_PUBLIC_KEY_TTL: Duration = Duration::from_secs(3600);

/// How to reach AzamPay.
#[derive(Clone)]
pub struct AzamPayConfig {
    /// Authenticator host.
    pub auth_base_url: String,
    /// Checkout host.
    pub checkout_base_url: String,
    /// `appName`.
    pub app_name: String,
    /// `clientId`.
    pub client_id: SecretString,
    /// `clientSecret`.
    pub client_secret: SecretString,
    /// Sent as `X-API-Key` on every call when set.
    pub api_key: Option<SecretString>,
    /// Token that must appear in the callback URL path; when `None` no path token is checked.
    pub callback_token: Option<SecretString>,
    /// Refuse unsigned callbacks.
    pub require_signature: bool,
    /// Public-key URL (absolute, or a path on the checkout host). Default
    /// [`DEFAULT_PUBLIC_KEY_PATH`].
    pub public_key_url: Option<String>,
    /// A pinned public key (PEM/XML/base64 DER); when set nothing is fetched.
    pub public_key_pem: Option<String>,
    /// How long a fetched public key is used before it is fetched again. Default
    /// [`DEFAULT_PUBLIC_KEY_TTL`].
    pub public_key_ttl: Duration,
    /// Timeouts and retries.
    pub http: HttpOptions,
}

impl AzamPayConfig {
    /// A configuration with defaults (no API key, no callback token, signatures optional).
    #[must_use]
    pub fn new(
        auth_base_url: &str,
        checkout_base_url: &str,
        app_name: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Self {
        AzamPayConfig {
            auth_base_url: auth_base_url.to_owned(),
            checkout_base_url: checkout_base_url.to_owned(),
            app_name: app_name.to_owned(),
            client_id: SecretString::from(client_id),
            client_secret: SecretString::from(client_secret),
            api_key: None,
            callback_token: None,
            require_signature: false,
            public_key_url: None,
            public_key_pem: None,
            public_key_ttl: DEFAULT_PUBLIC_KEY_TTL,
            http: HttpOptions::default(),
        }
    }

    /// Builds the configuration from the `payments` section; the hosts are the configured
    /// overrides, else those of `urls` (see [`PaymentsSettings::gateway_urls`]).
    pub fn from_settings<M>(
        settings: &PaymentsSettings<M>,
        urls: &GatewayUrls,
    ) -> Result<AzamPayConfig, PaymentsSettingsError> {
        let a = &settings.azampay;
        let secret = |v: &Option<SecretString>,
                      key: &'static str|
         -> Result<SecretString, PaymentsSettingsError> {
            match v {
                Some(s) if !s.expose_secret().trim().is_empty() => Ok(s.clone()),
                _ => Err(PaymentsSettingsError::required(key)),
            }
        };
        let app_name = match a.app_name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => n.to_owned(),
            _ => return Err(PaymentsSettingsError::required("payments.azampay.app_name")),
        };
        let callback_token = match &a.callback_token {
            Some(t) if !t.expose_secret().trim().is_empty() => Some(t.clone()),
            _ => {
                return Err(PaymentsSettingsError::required(
                    "payments.azampay.callback_token",
                ));
            }
        };
        let urls = settings.gateway_urls(urls.clone());
        Ok(AzamPayConfig {
            auth_base_url: urls.azampay_auth,
            checkout_base_url: urls.azampay_checkout,
            app_name,
            client_id: secret(&a.client_id, "payments.azampay.client_id")?,
            client_secret: secret(&a.client_secret, "payments.azampay.client_secret")?,
            api_key: a
                .api_key
                .clone()
                .filter(|k| !k.expose_secret().trim().is_empty()),
            callback_token,
            require_signature: a.require_signature,
            public_key_url: a.public_key_url.clone(),
            public_key_pem: a.public_key_pem.clone(),
            public_key_ttl: a
                .public_key_ttl_secs
                .map_or(DEFAULT_PUBLIC_KEY_TTL, Duration::from_secs),
            http: HttpOptions::with_timeout(settings.timeout()),
        })
    }
}

impl fmt::Debug for AzamPayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzamPayConfig")
            .field("auth_base_url", &self.auth_base_url)
            .field("checkout_base_url", &self.checkout_base_url)
            .field("app_name", &self.app_name)
            .field("client_id", &"[REDACTED]")
            .field("client_secret", &"[REDACTED]")
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .field(
                "callback_token",
                &self.callback_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("require_signature", &self.require_signature)
            .field("public_key_url", &self.public_key_url)
            .field("public_key_ttl", &self.public_key_ttl)
            .field("http", &self.http)
            .finish()
    }
}
