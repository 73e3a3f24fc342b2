//! The `payments` section of the configuration, its checks, and the base URLs each set of
//! gateway hosts selects.
//!
//! This crate knows two sets of hosts, the gateways' `sandbox` and `live`. A composition crate
//! may widen the `mode` key with modes of its own (the web binary adds `simulator`, whose URLs
//! point at a mounted simulator) by choosing the type parameter of [`PaymentsSettings`] and
//! passing the base URLs it wants as [`GatewayUrls`].
//!
//! ```
//! use wetech_payments::{GatewayHosts, GatewayUrls, PaymentsSettings};
//! let settings: PaymentsSettings = serde_json::from_str(r#"{"mode": "sandbox"}"#)?;
//! assert_eq!(settings.timeout_ms, 15_000);
//! assert_eq!(settings.mode, Some(GatewayHosts::Sandbox));
//! let urls = settings.gateway_urls(GatewayUrls::hosted(GatewayHosts::Sandbox));
//! assert_eq!(urls.pesapal, "https://cybqa.pesapal.com/pesapalv3");
//! // Sandbox hosts need credentials: the error names the key.
//! let err = settings.validate_credentials(GatewayHosts::Sandbox).unwrap_err();
//! assert_eq!(err.key(), "payments.pesapal.consumer_key");
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Pesapal sandbox base URL (docs/payments.md).
pub const PESAPAL_SANDBOX_BASE_URL: &str = "https://cybqa.pesapal.com/pesapalv3";
/// Pesapal live base URL.
pub const PESAPAL_LIVE_BASE_URL: &str = "https://pay.pesapal.com/v3";
/// AzamPay sandbox authenticator host.
pub const AZAMPAY_SANDBOX_AUTH_BASE_URL: &str = "https://authenticator-sandbox.azampay.co.tz";
/// AzamPay sandbox checkout host.
pub const AZAMPAY_SANDBOX_CHECKOUT_BASE_URL: &str = "https://sandbox.azampay.co.tz";
/// AzamPay live authenticator host.
pub const AZAMPAY_LIVE_AUTH_BASE_URL: &str = "https://authenticator.azampay.co.tz";
/// AzamPay live checkout host.
pub const AZAMPAY_LIVE_CHECKOUT_BASE_URL: &str = "https://checkout.azampay.co.tz";

/// Which of the gateways' own hosts the clients talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GatewayHosts {
    /// The gateways' public sandboxes.
    Sandbox,
    /// Real money.
    Live,
}

impl GatewayHosts {
    /// `"sandbox"` or `"live"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            GatewayHosts::Sandbox => "sandbox",
            GatewayHosts::Live => "live",
        }
    }
}

/// The three base URLs the clients need: Pesapal's (before `/api/...`) and AzamPay's two hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayUrls {
    /// Pesapal base URL.
    pub pesapal: String,
    /// AzamPay authenticator host.
    pub azampay_auth: String,
    /// AzamPay checkout host.
    pub azampay_checkout: String,
}

impl GatewayUrls {
    /// The gateways' own URLs for these hosts.
    #[must_use]
    pub fn hosted(hosts: GatewayHosts) -> GatewayUrls {
        let (pesapal, auth, checkout) = match hosts {
            GatewayHosts::Sandbox => (
                PESAPAL_SANDBOX_BASE_URL,
                AZAMPAY_SANDBOX_AUTH_BASE_URL,
                AZAMPAY_SANDBOX_CHECKOUT_BASE_URL,
            ),
            GatewayHosts::Live => (
                PESAPAL_LIVE_BASE_URL,
                AZAMPAY_LIVE_AUTH_BASE_URL,
                AZAMPAY_LIVE_CHECKOUT_BASE_URL,
            ),
        };
        GatewayUrls {
            pesapal: pesapal.to_owned(),
            azampay_auth: auth.to_owned(),
            azampay_checkout: checkout.to_owned(),
        }
    }
}

/// The `payments` section.
///
/// `mode` has no default of its own: the application decides when it is unset. Its type `M` is
/// [`GatewayHosts`] unless a composition crate widens it (see the module documentation).
#[derive(Clone, Deserialize)]
#[serde(
    default,
    deny_unknown_fields,
    bound(deserialize = "M: Deserialize<'de>")
)]
pub struct PaymentsSettings<M = GatewayHosts> {
    /// `sandbox` or `live` (or the composition's own modes); `None` lets the application decide.
    pub mode: Option<M>,
    /// Time limit of one gateway HTTP call, in milliseconds (default 15000).
    pub timeout_ms: u64,
    /// Pesapal credentials and URL.
    pub pesapal: PesapalSettings,
    /// AzamPay credentials and URLs.
    pub azampay: AzamPaySettings,
}

impl<M> Default for PaymentsSettings<M> {
    fn default() -> Self {
        PaymentsSettings {
            mode: None,
            timeout_ms: 15_000,
            pesapal: PesapalSettings::default(),
            azampay: AzamPaySettings::default(),
        }
    }
}

/// The `payments.pesapal` section.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PesapalSettings {
    /// Overrides the mode's base URL (the part before `/api/...`).
    pub base_url: Option<String>,
    /// Consumer key (secret).
    pub consumer_key: Option<SecretString>,
    /// Consumer secret.
    pub consumer_secret: Option<SecretString>,
    /// A registered IPN id; when unset the application finds or registers its IPN URL.
    pub ipn_id: Option<String>,
}

/// The `payments.azampay` section.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AzamPaySettings {
    /// Overrides the mode's authenticator host.
    pub auth_base_url: Option<String>,
    /// Overrides the mode's checkout host.
    pub checkout_base_url: Option<String>,
    /// The registered app name (not secret).
    pub app_name: Option<String>,
    /// Client id (secret).
    pub client_id: Option<SecretString>,
    /// Client secret.
    pub client_secret: Option<SecretString>,
    /// Sent as `X-API-Key` on every call when set.
    pub api_key: Option<SecretString>,
    /// Shared secret that must appear in the callback URL path.
    pub callback_token: Option<SecretString>,
    /// Refuse callbacks that carry no RSA signature.
    pub require_signature: bool,
    /// Where AzamPay's callback-signing public key is fetched. UNCONFIRMED by AzamPay: defaults to
    /// `{checkout_base_url}/azampay/v1/public-key?format=Pem` (their OpenAPI text); a third party
    /// reports `{auth_base_url}/api/Token/PublicKey`. A path starting with `/` is taken relative
    /// to the checkout host.
    pub public_key_url: Option<String>,
    /// A PEM public key given out of band; when set it is used instead of fetching one.
    pub public_key_pem: Option<String>,
    /// How long a fetched public key is used before it is fetched again, in seconds (60 to
    /// 86400; default [`crate::azampay::DEFAULT_PUBLIC_KEY_TTL`], one hour).
    pub public_key_ttl_secs: Option<u64>,
}

/// A setting that is missing or malformed; [`PaymentsSettingsError::key`] names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct PaymentsSettingsError {
    key: String,
    message: String,
}

impl PaymentsSettingsError {
    fn new(key: &str, message: impl Into<String>) -> Self {
        PaymentsSettingsError {
            key: key.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn required(key: &str) -> Self {
        PaymentsSettingsError::new(key, "is required")
    }

    /// Dotted key, e.g. `payments.pesapal.consumer_key`.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// What is wrong with it.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Which gateways have credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnabledGateways {
    /// Pesapal can be used.
    pub pesapal: bool,
    /// AzamPay can be used.
    pub azampay: bool,
}

fn is_set(value: Option<&SecretString>) -> bool {
    value.is_some_and(|s| !s.expose_secret().trim().is_empty())
}

fn is_set_plain(value: Option<&String>) -> bool {
    value.is_some_and(|s| !s.trim().is_empty())
}

fn check_url(key: &str, value: Option<&String>) -> Result<(), PaymentsSettingsError> {
    let Some(raw) = value else { return Ok(()) };
    match url::Url::parse(raw.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(PaymentsSettingsError::new(
            key,
            "must be an absolute http:// or https:// URL",
        )),
    }
}

impl<M> PaymentsSettings<M> {
    /// The per-call timeout.
    #[must_use]
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.timeout_ms)
    }

    /// Checks the values that are wrong in any mode: timeout range and URL syntax.
    pub fn validate_shape(&self) -> Result<(), PaymentsSettingsError> {
        if !(100..=300_000).contains(&self.timeout_ms) {
            return Err(PaymentsSettingsError::new(
                "payments.timeout_ms",
                "must be between 100 and 300000 milliseconds",
            ));
        }
        check_url("payments.pesapal.base_url", self.pesapal.base_url.as_ref())?;
        check_url(
            "payments.azampay.auth_base_url",
            self.azampay.auth_base_url.as_ref(),
        )?;
        check_url(
            "payments.azampay.checkout_base_url",
            self.azampay.checkout_base_url.as_ref(),
        )?;
        if let Some(u) = &self.azampay.public_key_url
            && !u.starts_with('/')
        {
            check_url("payments.azampay.public_key_url", Some(u))?;
        }
        if let Some(ttl) = self.azampay.public_key_ttl_secs
            && !(60..=86_400).contains(&ttl)
        {
            return Err(PaymentsSettingsError::new(
                "payments.azampay.public_key_ttl_secs",
                "must be between 60 and 86400 seconds",
            ));
        }
        if let Some(pem) = &self.azampay.public_key_pem
            && crate::azampay::signature::parse_public_key(pem).is_err()
        {
            return Err(PaymentsSettingsError::new(
                "payments.azampay.public_key_pem",
                "is not an RSA public key in PEM form",
            ));
        }
        if let Some(id) = &self.pesapal.ipn_id
            && (id.trim().is_empty() || id.len() > 100)
        {
            return Err(PaymentsSettingsError::new(
                "payments.pesapal.ipn_id",
                "must be a non-empty IPN id of at most 100 characters",
            ));
        }
        Ok(())
    }

    /// Checks that the gateways to be used on these hosts have every credential: a gateway
    /// with any credential set is "enabled" and must have all of its credentials; at least one
    /// gateway must be enabled. Live hosts require `https://` base URL overrides.
    pub fn validate_credentials(
        &self,
        hosts: GatewayHosts,
    ) -> Result<EnabledGateways, PaymentsSettingsError> {
        let p = &self.pesapal;
        let pesapal = is_set(p.consumer_key.as_ref()) || is_set(p.consumer_secret.as_ref());
        if pesapal {
            if !is_set(p.consumer_key.as_ref()) {
                return Err(missing("payments.pesapal.consumer_key"));
            }
            if !is_set(p.consumer_secret.as_ref()) {
                return Err(missing("payments.pesapal.consumer_secret"));
            }
        }
        let a = &self.azampay;
        let azampay = is_set_plain(a.app_name.as_ref())
            || is_set(a.client_id.as_ref())
            || is_set(a.client_secret.as_ref());
        if azampay {
            if !is_set_plain(a.app_name.as_ref()) {
                return Err(missing("payments.azampay.app_name"));
            }
            if !is_set(a.client_id.as_ref()) {
                return Err(missing("payments.azampay.client_id"));
            }
            if !is_set(a.client_secret.as_ref()) {
                return Err(missing("payments.azampay.client_secret"));
            }
            if !is_set(a.callback_token.as_ref()) {
                return Err(missing("payments.azampay.callback_token"));
            }
            if a.callback_token
                .as_ref()
                .is_some_and(|t| t.expose_secret().len() < 16)
            {
                return Err(PaymentsSettingsError::new(
                    "payments.azampay.callback_token",
                    "must be at least 16 characters",
                ));
            }
        }
        if !pesapal && !azampay {
            return Err(missing("payments.pesapal.consumer_key"));
        }
        if hosts == GatewayHosts::Live {
            for (key, url) in [
                ("payments.pesapal.base_url", &p.base_url),
                ("payments.azampay.auth_base_url", &a.auth_base_url),
                ("payments.azampay.checkout_base_url", &a.checkout_base_url),
            ] {
                if url
                    .as_ref()
                    .is_some_and(|u| !u.trim().starts_with("https://"))
                {
                    return Err(PaymentsSettingsError::new(
                        key,
                        "must use https:// in live mode",
                    ));
                }
            }
        }
        Ok(EnabledGateways { pesapal, azampay })
    }

    /// [`PaymentsSettings::validate_shape`] then [`PaymentsSettings::validate_credentials`].
    pub fn validate(&self, hosts: GatewayHosts) -> Result<EnabledGateways, PaymentsSettingsError> {
        self.validate_shape()?;
        self.validate_credentials(hosts)
    }

    /// The base URLs to use: each configured override (`payments.pesapal.base_url`,
    /// `payments.azampay.auth_base_url`, `payments.azampay.checkout_base_url`), else the one of
    /// `defaults`. Trailing slashes are dropped.
    #[must_use]
    pub fn gateway_urls(&self, defaults: GatewayUrls) -> GatewayUrls {
        GatewayUrls {
            pesapal: pick(self.pesapal.base_url.as_ref(), defaults.pesapal),
            azampay_auth: pick(self.azampay.auth_base_url.as_ref(), defaults.azampay_auth),
            azampay_checkout: pick(
                self.azampay.checkout_base_url.as_ref(),
                defaults.azampay_checkout,
            ),
        }
    }
}

fn missing(key: &str) -> PaymentsSettingsError {
    PaymentsSettingsError::required(key)
}

fn pick(configured: Option<&String>, default: String) -> String {
    match configured.filter(|u| !u.trim().is_empty()) {
        Some(url) => url.trim().trim_end_matches('/').to_owned(),
        None => default.trim_end_matches('/').to_owned(),
    }
}

fn redact(value: Option<&SecretString>) -> &'static str {
    match value {
        Some(_) => "Some([REDACTED])",
        None => "None",
    }
}

impl<M: fmt::Debug> fmt::Debug for PaymentsSettings<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentsSettings")
            .field("mode", &self.mode)
            .field("timeout_ms", &self.timeout_ms)
            .field("pesapal", &self.pesapal)
            .field("azampay", &self.azampay)
            .finish()
    }
}

impl fmt::Debug for PesapalSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PesapalSettings")
            .field("base_url", &self.base_url)
            .field(
                "consumer_key",
                &format_args!("{}", redact(self.consumer_key.as_ref())),
            )
            .field(
                "consumer_secret",
                &format_args!("{}", redact(self.consumer_secret.as_ref())),
            )
            .field("ipn_id", &self.ipn_id)
            .finish()
    }
}

impl fmt::Debug for AzamPaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzamPaySettings")
            .field("auth_base_url", &self.auth_base_url)
            .field("checkout_base_url", &self.checkout_base_url)
            .field("app_name", &self.app_name)
            .field(
                "client_id",
                &format_args!("{}", redact(self.client_id.as_ref())),
            )
            .field(
                "client_secret",
                &format_args!("{}", redact(self.client_secret.as_ref())),
            )
            .field(
                "api_key",
                &format_args!("{}", redact(self.api_key.as_ref())),
            )
            .field(
                "callback_token",
                &format_args!("{}", redact(self.callback_token.as_ref())),
            )
            .field("require_signature", &self.require_signature)
            .field("public_key_url", &self.public_key_url)
            .field(
                "public_key_pem",
                &self.public_key_pem.as_ref().map(|_| "[PEM]"),
            )
            .field("public_key_ttl_secs", &self.public_key_ttl_secs)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> PaymentsSettings {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn defaults_and_unknown_fields() {
        let s = parse("{}");
        assert_eq!(s.mode, None);
        assert_eq!(s.timeout_ms, 15_000);
        assert!(!s.azampay.require_signature);
        assert!(serde_json::from_str::<PaymentsSettings>(r#"{"modus":"live"}"#).is_err());
        assert!(serde_json::from_str::<PaymentsSettings>(r#"{"pesapal":{"key":"x"}}"#).is_err());
        assert!(serde_json::from_str::<PaymentsSettings>(r#"{"mode":"prod"}"#).is_err());
    }

    #[test]
    fn base_urls_follow_the_hosts_unless_configured() {
        let s = parse("{}");
        let live = s.gateway_urls(GatewayUrls::hosted(GatewayHosts::Live));
        assert_eq!(live.pesapal, "https://pay.pesapal.com/v3");
        assert_eq!(live.azampay_auth, "https://authenticator.azampay.co.tz");
        assert_eq!(live.azampay_checkout, "https://checkout.azampay.co.tz");
        let sandbox = s.gateway_urls(GatewayUrls::hosted(GatewayHosts::Sandbox));
        assert_eq!(sandbox.azampay_checkout, "https://sandbox.azampay.co.tz");
        assert_eq!(
            sandbox.azampay_auth,
            "https://authenticator-sandbox.azampay.co.tz"
        );
        // A composition crate's own URLs (for example a mounted simulator) are used as given.
        let own = s.gateway_urls(GatewayUrls {
            pesapal: "http://127.0.0.1:8000/own/pesapal/".into(),
            azampay_auth: "http://127.0.0.1:8000/a".into(),
            azampay_checkout: "http://127.0.0.1:8000/c".into(),
        });
        assert_eq!(own.pesapal, "http://127.0.0.1:8000/own/pesapal");
        let custom = parse(r#"{"pesapal":{"base_url":"https://example.test/v3/"}}"#);
        assert_eq!(
            custom
                .gateway_urls(GatewayUrls::hosted(GatewayHosts::Live))
                .pesapal,
            "https://example.test/v3"
        );
    }

    #[test]
    fn the_mode_type_can_be_widened_by_the_composition() {
        #[derive(Debug, PartialEq, Deserialize)]
        #[serde(rename_all = "lowercase")]
        enum Wider {
            Simulator,
            Live,
        }
        let s: PaymentsSettings<Wider> = serde_json::from_str(r#"{"mode":"simulator"}"#).unwrap();
        assert_eq!(s.mode, Some(Wider::Simulator));
        assert!(serde_json::from_str::<PaymentsSettings>(r#"{"mode":"simulator"}"#).is_err());
        assert!(serde_json::from_str::<PaymentsSettings<Wider>>(r#"{"modus":"live"}"#).is_err());
    }

    #[test]
    fn validation_names_the_missing_key() {
        let live = GatewayHosts::Live;
        let err = parse(r#"{"mode":"live"}"#).validate(live).unwrap_err();
        assert_eq!(err.key(), "payments.pesapal.consumer_key");
        let err = parse(r#"{"mode":"live","pesapal":{"consumer_key":"k"}}"#)
            .validate(live)
            .unwrap_err();
        assert_eq!(err.key(), "payments.pesapal.consumer_secret");
        let ok = parse(r#"{"mode":"live","pesapal":{"consumer_key":"k","consumer_secret":"s"}}"#);
        assert_eq!(
            ok.validate(live).unwrap(),
            EnabledGateways {
                pesapal: true,
                azampay: false
            }
        );
        let sandbox = GatewayHosts::Sandbox;
        let err = parse(r#"{"mode":"sandbox","azampay":{"app_name":"a","client_id":"c"}}"#)
            .validate(sandbox)
            .unwrap_err();
        assert_eq!(err.key(), "payments.azampay.client_secret");
        let err = parse(
            r#"{"mode":"sandbox","azampay":{"app_name":"a","client_id":"c","client_secret":"s"}}"#,
        )
        .validate(sandbox)
        .unwrap_err();
        assert_eq!(err.key(), "payments.azampay.callback_token");
        let err = parse(r#"{"timeout_ms":0}"#).validate_shape().unwrap_err();
        assert_eq!(err.key(), "payments.timeout_ms");
        let err = parse(r#"{"pesapal":{"base_url":"ftp://x"}}"#)
            .validate_shape()
            .unwrap_err();
        assert_eq!(err.key(), "payments.pesapal.base_url");
        let err = parse(
            r#"{"mode":"live","pesapal":{"consumer_key":"k","consumer_secret":"s","base_url":"http://x.test"}}"#,
        )
        .validate(live)
        .unwrap_err();
        assert_eq!(err.key(), "payments.pesapal.base_url");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let s = parse(
            r#"{"pesapal":{"consumer_key":"KEY-123","consumer_secret":"SECRET-456"},
                "azampay":{"client_id":"CID-789","client_secret":"CS-000","api_key":"AK-111","callback_token":"CT-222"}}"#,
        );
        let text = format!("{s:?}");
        for secret in [
            "KEY-123",
            "SECRET-456",
            "CID-789",
            "CS-000",
            "AK-111",
            "CT-222",
        ] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
        assert!(text.contains("REDACTED"));
    }
}
