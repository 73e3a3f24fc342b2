//! The gateway clients this configuration enables, built once at start-up.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use wetech_payments::azampay::AzamPayConfig;
use wetech_payments::pesapal::PesapalConfig;
use wetech_payments::settings::PaymentsMode;
use wetech_payments::{AzamPayClient, GatewayError, PesapalClient};

use wetech_app::Gateways;

use crate::settings::Settings;

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

/// Builds the clients the settings enable. `simulator_origin` is `http://host:port` of the
/// in-process simulator (used only in simulator mode).
///
/// # Errors
/// A gateway setting is missing or malformed, or a client cannot be built.
pub fn build_gateways(
    settings: &Settings,
    simulator_origin: &str,
) -> Result<Gateways, GatewaySetupError> {
    let mode = settings.payments_mode();
    let payments = &settings.payments;
    let enabled = payments
        .validate_credentials()
        .map_err(|e| GatewaySetupError::Settings {
            key: e.key().to_owned(),
            message: e.message().to_owned(),
        })?;
    let map = |e: wetech_payments::settings::PaymentsSettingsError| GatewaySetupError::Settings {
        key: e.key().to_owned(),
        message: e.message().to_owned(),
    };
    let pesapal = if enabled.pesapal {
        let config = PesapalConfig::from_settings(payments, mode, simulator_origin).map_err(map)?;
        Some(Arc::new(PesapalClient::new(config)?))
    } else {
        None
    };
    let mut callback_token = payments
        .azampay
        .callback_token
        .clone()
        .filter(|t| !t.expose_secret().trim().is_empty());
    if callback_token.is_none() && mode == PaymentsMode::Simulator {
        let random: [u8; 16] = rand::random();
        callback_token = Some(SecretString::from(hex::encode(random)));
    }
    let azampay = if enabled.azampay {
        let mut config =
            AzamPayConfig::from_settings(payments, mode, simulator_origin).map_err(map)?;
        config.callback_token.clone_from(&callback_token);
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
