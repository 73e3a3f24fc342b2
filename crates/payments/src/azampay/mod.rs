//! AzamPay client: token on the authenticator host, MNO and bank checkout, payment partners,
//! callback parsing and RSA signature verification. `config.rs` holds the client configuration,
//! `requests.rs` the values callers build and get back, `client.rs` builds calls and interprets
//! answers, `wire.rs` holds only AzamPay's JSON and its conversion into this crate's types,
//! `callback.rs` and `signature.rs` the callbacks and their verification.
//!
//! ```no_run
//! use wetech_payments::azampay::{AzamPayClient, AzamPayConfig};
//! use wetech_payments::{CheckoutRequest, Currency, MobileProvider, Money, Payer, PaymentGateway};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = AzamPayConfig::new(
//!     "https://authenticator-sandbox.azampay.co.tz",
//!     "https://sandbox.azampay.co.tz",
//!     "my-app",
//!     "client-id",
//!     "client-secret",
//! );
//! config.callback_token = Some("a-long-random-callback-token".into());
//! let client = AzamPayClient::new(config)?;
//! let answer = client
//!     .start_checkout(&CheckoutRequest {
//!         merchant_reference: "INV-2025-000001-2".into(),
//!         amount: Money::parse_decimal("120000", Currency::TZS)?,
//!         description: "Hosting, one year".into(),
//!         payer: Payer { phone: Some("0712 345 678".into()), ..Payer::default() },
//!         callback_url: None,
//!         cancellation_url: None,
//!         provider: Some(MobileProvider::Airtel),
//!     })
//!     .await?;
//! println!("{:?}", answer.next_step); // "approve on your phone"
//! # Ok(()) }
//! ```

mod callback;
mod client;
mod config;
mod requests;
pub(crate) mod signature;
pub(crate) mod wire;

pub use callback::{
    Authenticity, AzamPayCallback, CallbackRejection, CallbackSchema, CallbackStatus,
    MAX_CALLBACK_BODY, parse_callback,
};
pub use client::{AzamPayClient, MAX_ADDITIONAL_PROPERTIES, MAX_CHECKOUT_TZS, MAX_EXTERNAL_ID};
pub use config::{AzamPayConfig, DEFAULT_PUBLIC_KEY_PATH, DEFAULT_PUBLIC_KEY_TTL};
pub use requests::{
    BankCheckout, BankProvider, CheckoutAccepted, MnoCheckout, PaymentPartner, normalize_msisdn,
};
pub use signature::{parse_public_key, tokens_match, verify_signature};
