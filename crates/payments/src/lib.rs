//! # wetech-payments
//!
//! The only code of wetech that talks to money: Pesapal API 3.0 and AzamPay checkout clients
//! behind one object-safe [`PaymentGateway`] trait, with exact [`Money`], typed
//! [`GatewayError`]s that say whether a call may be repeated, token caching that follows each
//! gateway's stated expiry, retries with exponential backoff only where they are safe, and
//! notification parsing and verification. It depends on no other crate of the workspace, so any
//! Rust service can use it alone. It holds no simulator and no web framework: the development
//! simulator of both gateways is the separate `wetech-gateway-sim` crate (its own wire code),
//! which the examples below and the integration tests use.
//!
//! | module | what |
//! |---|---|
//! | [`gateway`] | the trait, checkout/status/notification types |
//! | [`pesapal`] | Pesapal 3.0 client, IPN parsing and acknowledgement |
//! | [`azampay`] | AzamPay client, callbacks, RSA signatures, `tokens_match` |
//! | [`money`] | exact amounts and currencies |
//! | [`settings`] | the `payments` configuration section |
//! | [`error`] | [`GatewayError`] |
//!
//! Pesapal, end to end against the simulator:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use wetech_gateway_sim::Simulator;
//! use wetech_payments::pesapal::{IpnNotificationType, PesapalClient, PesapalConfig};
//! use wetech_payments::{CheckoutRequest, Currency, GatewayStatus, Money, Payer, PaymentGateway, StatusQuery};
//!
//! let sim = Simulator::default().spawn()?;
//! let client = PesapalClient::new(PesapalConfig::new(&sim.pesapal_base_url(), "key", "secret"))?;
//! client.find_or_register_ipn("http://127.0.0.1:9/ipn", IpnNotificationType::Get).await?;
//! let checkout = client
//!     .start_checkout(&CheckoutRequest {
//!         merchant_reference: "INV-2025-000001-1".into(),
//!         amount: Money::parse_decimal("500000.00", Currency::TZS)?,
//!         description: "Business website".into(),
//!         payer: Payer { email: Some("asha@example.com".into()), ..Payer::default() },
//!         callback_url: Some("http://127.0.0.1:9/return".into()),
//!         cancellation_url: None,
//!         provider: None,
//!     })
//!     .await?;
//! assert!(checkout.redirect_url().is_some());
//! let query = StatusQuery {
//!     merchant_reference: "INV-2025-000001-1".into(),
//!     gateway_reference: Some(checkout.gateway_reference.clone()),
//!     provider: None,
//! };
//! assert_eq!(client.query_status(&query).await?.status, GatewayStatus::Pending);
//! sim.handle().complete_pesapal_order(&checkout.gateway_reference)?;
//! assert!(matches!(client.query_status(&query).await?.status, GatewayStatus::Completed(_)));
//! sim.stop().await;
//! # Ok(()) }
//! ```
//!
//! AzamPay, end to end against the simulator (push, approve on the "phone", signed callback):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use wetech_gateway_sim::Simulator;
//! use wetech_payments::azampay::{AzamPayClient, AzamPayConfig};
//! use wetech_payments::{CheckoutRequest, Currency, MobileProvider, Money, Payer, PaymentGateway};
//!
//! let sim = Simulator::default().spawn()?;
//! let client = AzamPayClient::new(AzamPayConfig::new(
//!     &sim.azampay_auth_base_url(),
//!     &sim.azampay_checkout_base_url(),
//!     "app",
//!     "client-id",
//!     "client-secret",
//! ))?;
//! let answer = client
//!     .start_checkout(&CheckoutRequest {
//!         merchant_reference: "INV-2025-000001-2".into(),
//!         amount: Money::parse_decimal("120000", Currency::TZS)?,
//!         description: "Hosting".into(),
//!         payer: Payer { phone: Some("0712345678".into()), ..Payer::default() },
//!         callback_url: None,
//!         cancellation_url: None,
//!         provider: Some(MobileProvider::Airtel),
//!     })
//!     .await?;
//! assert!(answer.redirect_url().is_none());
//! // The simulator signs callbacks; a signed body verifies against its served public key.
//! let body = sim.handle().azampay_callback_body(&answer.gateway_reference, true)?;
//! let callback = client.verify_callback(None, &body).await?;
//! assert_eq!(callback.utility_ref, "INV-2025-000001-2");
//! sim.stop().await;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod azampay;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod gateway;
mod http;
mod lenient;
pub mod money;
pub mod pesapal;
pub mod settings;
mod token;

pub use azampay::{AzamPayClient, AzamPayConfig, tokens_match};
pub use error::{ErrorCause, GatewayError};
pub use gateway::{
    CheckoutRequest, CheckoutResponse, Gateway, GatewayFuture, GatewayStatus, IncomingNotification,
    MobileProvider, NextStep, Notification, NotificationMethod, Payer, PaymentDetails,
    PaymentGateway, StatusQuery, StatusReport,
};
pub use http::HttpOptions;
pub use money::{Currency, Money, MoneyError};
pub use pesapal::{PesapalClient, PesapalConfig};
pub use settings::{
    AzamPaySettings, EnabledGateways, GatewayHosts, GatewayUrls, PaymentsSettings,
    PaymentsSettingsError, PesapalSettings,
};
