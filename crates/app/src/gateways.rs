//! The gateway clients this configuration enables, built once at start-up.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use wetech_payments::azampay::AzamPayConfig;
use wetech_payments::pesapal::PesapalConfig;
use wetech_payments::settings::PaymentsMode;
use wetech_payments::{AzamPayClient, GatewayError, PesapalClient};

use crate::settings::Settings;

/// The enabled gateway clients and the secrets the notification routes check.
#[derive(Clone)]
pub struct Gateways {
    /// Pesapal, when enabled.
    pub pesapal: Option<Arc<PesapalClient>>,
    /// AzamPay, when enabled.
    pub azampay: Option<Arc<AzamPayClient>>,
    /// The token that must appear in the AzamPay callback path. In simulator mode without a
    /// configured token a random one is made per process.
    pub azampay_callback_token: Option<SecretString>,
}

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
    #[error("payment client: {0}")]
    Client(#[from] GatewayError),
}

impl Gateways {
    /// Builds the clients. `simulator_origin` is `http://host:port` of the in-process simulator
    /// (used only in simulator mode).
    pub fn from_settings(
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
        let map =
            |e: wetech_payments::settings::PaymentsSettingsError| GatewaySetupError::Settings {
                key: e.key().to_owned(),
                message: e.message().to_owned(),
            };
        let pesapal = if enabled.pesapal {
            let config =
                PesapalConfig::from_settings(payments, mode, simulator_origin).map_err(map)?;
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
}
