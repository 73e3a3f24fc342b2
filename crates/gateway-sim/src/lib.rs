//! # wetech-gateway-sim
//!
//! A development and test simulator of both payment gateways wetech talks to, Pesapal API 3.0
//! and AzamPay checkout, as an actix-web service. It is a tool, not part of the payments
//! library: a release build of the web binary leaves it out, so no fake gateway and no
//! development private key ship to production (docs/payments.md, "Simulator").
//!
//! It speaks the gateways' wire formats from its own serde types (`pesapal::wire`,
//! `azampay::wire`), written from the gateways' documentation, and shares no parsing code with
//! the `wetech-payments` clients: a parsing bug in a client is not mirrored by the fake.
//!
//! | module | what |
//! |---|---|
//! | `server` | [`Simulator`]: mount in an app ([`Simulator::configure`]) or [`Simulator::spawn`] alone |
//! | `config` | [`SimulatorConfig`] and its choices |
//! | `handle` | [`SimulatorHandle`]: faults, counters, outcomes, deliveries from Rust |
//! | `faults` | [`Endpoint`], [`Fault`]; AzamPay key faults [`wrong_azampay_public_key`], [`not_an_azampay_public_key`] |
//! | `pesapal`, `azampay` | the two fake APIs, hosted payment page and "phone" page; AzamPay's callback shapes ([`CallbackShape`]) and its key rotation |
//! | `control` | the HTTP control API under `/_simulator/control` |
//! | `keys` | the published development signing key |

mod amount;
mod azampay;
mod config;
mod control;
mod faults;
mod handle;
mod html;
mod keys;
mod pesapal;
mod server;
mod state;
mod text;

pub use amount::Amount;
pub use azampay::{not_an_azampay_public_key, wrong_azampay_public_key};
pub use config::{
    AmountForm, CallbackSchema, CallbackShape, MsisdnForm, PostEncoding, PushOutcome,
    SimulatorConfig, StatusDataForm,
};
pub use faults::{Endpoint, Fault, UnknownEndpoint};
pub use handle::{
    Delivery, DeliveryKind, OrderView, SimulatorError, SimulatorHandle, TransactionView,
};
pub use keys::{DEV_PUBLIC_KEY_PEM, DEV_SIGNING_KEY_PEM};
pub use server::{
    AZAMPAY_AUTH_PATH, AZAMPAY_CHECKOUT_PATH, AZAMPAY_PHONE_PATH, PESAPAL_PATH, RunningSimulator,
    Simulator,
};
