//! Pesapal API 3.0 client: token, IPN registration, orders, status, refunds, cancellation, and
//! IPN parsing. `config.rs` holds the client configuration, `requests.rs` the values callers
//! build and get back, `client.rs` builds calls and interprets answers, `wire.rs` holds only the
//! gateway's JSON and its conversion, `ipn.rs` the notifications.
//!
//! ```no_run
//! use wetech_payments::pesapal::{IpnNotificationType, PesapalClient, PesapalConfig};
//! use wetech_payments::{CheckoutRequest, Currency, Money, Payer, PaymentGateway, StatusQuery};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = PesapalClient::new(PesapalConfig::new(
//!     "https://cybqa.pesapal.com/pesapalv3",
//!     "consumer-key",
//!     "consumer-secret",
//! ))?;
//! client
//!     .find_or_register_ipn("https://shop.example/payments/pesapal/ipn", IpnNotificationType::Get)
//!     .await?;
//! let checkout = client
//!     .start_checkout(&CheckoutRequest {
//!         merchant_reference: "INV-2025-000001-1".into(),
//!         amount: Money::parse_decimal("500000.00", Currency::TZS)?,
//!         description: "Business website".into(),
//!         payer: Payer { email: Some("asha@example.com".into()), ..Payer::default() },
//!         callback_url: Some("https://shop.example/payments/pesapal/return".into()),
//!         cancellation_url: None,
//!         provider: None,
//!     })
//!     .await?;
//! println!("send the customer to {:?}", checkout.redirect_url());
//! let report = client
//!     .query_status(&StatusQuery {
//!         merchant_reference: "INV-2025-000001-1".into(),
//!         gateway_reference: Some(checkout.gateway_reference.clone()),
//!         provider: None,
//!     })
//!     .await?;
//! println!("{:?}", report.status);
//! # Ok(()) }
//! ```

mod client;
mod config;
mod ipn;
mod requests;
pub(crate) mod wire;

pub use client::{MAX_DESCRIPTION, MAX_MERCHANT_REFERENCE, PesapalClient};
pub use config::{IpnNotificationType, PesapalConfig};
pub use ipn::{
    MAX_IPN_BODY, PesapalIpn, PesapalNotificationType, ipn_acknowledgement, parse_ipn,
    parse_ipn_strict,
};
pub use requests::{
    BillingAddress, Frequency, IpnRegistration, RedirectMode, RefundRequest, SubmitOrder,
    SubmittedOrder, SubscriptionDetails,
};
