//! The gateway clients this configuration enables, built once at start-up.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use wetech_payments::azampay::AzamPayConfig;
use wetech_payments::pesapal::PesapalConfig;
use wetech_payments::settings::PaymentsSettingsError;
use wetech_payments::{
    AzamPayClient, EnabledGateways, GatewayError, GatewayUrls, PaymentsSettings, PesapalClient,
};

use wetech_app::Gateways;

use crate::settings::{PaymentsMode, Settings};

/// Why the gateways could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GatewaySetupError {
    /// A setting is missing or malformed.
    #[error("invalid setting `{key}`: {message}")]
    Settings {
        /// Dotted key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A client could not be built.
    #[error("a payment client could not be built")]
    Client(#[from] GatewayError),
}

impl From<PaymentsSettingsError> for GatewaySetupError {
    fn from(e: PaymentsSettingsError) -> Self {
        GatewaySetupError::Settings {
            key: e.key().to_owned(),
            message: e.message().to_owned(),
        }
    }
}

/// The base URLs of the simulator the web binary mounts at `origin` (`http://host:port`). The
/// paths are `wetech-gateway-sim`'s, repeated here so this crate does not depend on the
/// simulator; a test of the web binary checks that they agree.
#[must_use]
pub fn simulator_urls(origin: &str) -> GatewayUrls {
    let origin = origin.trim_end_matches('/');
    GatewayUrls {
        pesapal: format!("{origin}/_simulator/pesapal"),
        azampay_auth: format!("{origin}/_simulator/azampay/auth"),
        azampay_checkout: format!("{origin}/_simulator/azampay/checkout"),
    }
}

/// The gateways these settings enable: in simulator mode both, otherwise each gateway with
/// credentials (`PaymentsSettings::validate_credentials`).
///
/// # Errors
/// A gateway setting is missing or malformed.
pub fn enabled_gateways(settings: &Settings) -> Result<EnabledGateways, GatewaySetupError> {
    Ok(match settings.payments_mode().hosts() {
        Some(hosts) => settings.payments.validate_credentials(hosts)?,
        None => EnabledGateways {
            pesapal: true,
            azampay: true,
        },
    })
}

/// Builds the clients the settings enable. `simulator` holds the base URLs of the simulator
/// the web binary mounted (see [`simulator_urls`]), `None` when the build has none; simulator
/// mode without them is refused with a message naming the `simulator` feature.
///
/// # Errors
/// A gateway setting is missing or malformed, or a client cannot be built.
pub fn build_gateways(
    settings: &Settings,
    simulator: Option<&GatewayUrls>,
) -> Result<Gateways, GatewaySetupError> {
    let enabled = enabled_gateways(settings)?;
    let (payments, urls) = match settings.payments_mode().hosts() {
        Some(hosts) => (settings.payments.clone(), GatewayUrls::hosted(hosts)),
        None => {
            let urls = simulator.ok_or_else(|| GatewaySetupError::Settings {
                key: "payments.mode".to_owned(),
                message: "`simulator` needs the payment simulator, and this build has none \
                          (built without the `simulator` feature); use `sandbox` or `live`"
                    .to_owned(),
            })?;
            (with_placeholders(&settings.payments), urls.clone())
        }
    };
    let pesapal = if enabled.pesapal {
        let config = PesapalConfig::from_settings(&payments, &urls)?;
        Some(Arc::new(PesapalClient::new(config)?))
    } else {
        None
    };
    let callback_token = payments
        .azampay
        .callback_token
        .clone()
        .filter(|t| !t.expose_secret().trim().is_empty());
    let azampay = if enabled.azampay {
        let config = AzamPayConfig::from_settings(&payments, &urls)?;
        Some(Arc::new(AzamPayClient::new(config)?))
    } else {
        None
    };
    Ok(Gateways {
        pesapal,
        azampay,
        azampay_callback_token: callback_token,
    })
}

/// Simulator mode: every missing credential becomes a placeholder the simulator accepts, and a
/// missing callback token a random one per process.
fn with_placeholders(settings: &PaymentsSettings<PaymentsMode>) -> PaymentsSettings<PaymentsMode> {
    fn fill(value: &mut Option<SecretString>, placeholder: impl FnOnce() -> String) {
        if value
            .as_ref()
            .is_none_or(|v| v.expose_secret().trim().is_empty())
        {
            *value = Some(SecretString::from(placeholder()));
        }
    }
    let mut s = settings.clone();
    fill(&mut s.pesapal.consumer_key, || "simulator".to_owned());
    fill(&mut s.pesapal.consumer_secret, || "simulator".to_owned());
    fill(&mut s.azampay.client_id, || "simulator".to_owned());
    fill(&mut s.azampay.client_secret, || "simulator".to_owned());
    fill(&mut s.azampay.callback_token, || {
        let random: [u8; 16] = rand::random();
        hex::encode(random)
    });
    if s.azampay
        .app_name
        .as_deref()
        .is_none_or(|n| n.trim().is_empty())
    {
        s.azampay.app_name = Some("wetech-simulator".to_owned());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(mode: &str) -> Settings {
        let vars = vec![("WETECH__PAYMENTS__MODE".to_owned(), mode.to_owned())];
        Settings::load_from(None, vars).unwrap()
    }

    #[test]
    fn simulator_mode_needs_no_credentials_and_uses_the_given_urls() {
        let urls = simulator_urls("http://127.0.0.1:8000/");
        assert_eq!(urls.pesapal, "http://127.0.0.1:8000/_simulator/pesapal");
        let g = build_gateways(&settings("simulator"), Some(&urls)).unwrap();
        assert!(g.pesapal.is_some() && g.azampay.is_some());
        let token = g.azampay_callback_token.unwrap();
        assert_eq!(token.expose_secret().len(), 32);
        let debug = format!("{:?}", g.azampay.unwrap());
        assert!(debug.contains("/_simulator/azampay/checkout"), "{debug}");
    }

    #[test]
    fn simulator_mode_without_a_simulator_is_refused_by_name() {
        let Err(err) = build_gateways(&settings("simulator"), None) else {
            panic!("simulator mode without a simulator was accepted");
        };
        let text = err.to_string();
        assert!(text.contains("payments.mode"), "{text}");
        assert!(text.contains("`simulator` feature"), "{text}");
    }
}
