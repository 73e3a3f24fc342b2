//! The enabled gateway clients the use cases call. Built at start by the composition crate
//! (`wetech-runtime`) from the settings.

use std::sync::Arc;

use secrecy::SecretString;
use wetech_payments::{AzamPayClient, PesapalClient};

/// The enabled gateway clients and the secrets the notification routes check.
#[derive(Clone)]
pub struct Gateways {
    /// Pesapal, when enabled.
    pub pesapal: Option<Arc<PesapalClient>>,
    /// AzamPay, when enabled.
    pub azampay: Option<Arc<AzamPayClient>>,
    /// The token that must appear in the AzamPay callback path.
    pub azampay_callback_token: Option<SecretString>,
}

/// The domain's name of a payments-crate gateway. The two crates name the gateways each for
/// itself (`wetech-payments` depends on nothing of the workspace); this is the one mapping.
#[must_use]
pub fn domain_gateway(gateway: wetech_payments::Gateway) -> wetech_domain::Gateway {
    match gateway {
        wetech_payments::Gateway::Pesapal => wetech_domain::Gateway::Pesapal,
        wetech_payments::Gateway::AzamPay => wetech_domain::Gateway::AzamPay,
    }
}
