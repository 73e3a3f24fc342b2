//! wetech-app: the use cases of the lead-to-payment service.
//!
//! Each use case owns its unit of work; no network call happens inside a transaction.
//!
//! | module | what |
//! |---|---|
//! | [`usecases`] | the [`UseCases`] handle and the read models |
//! | [`leads`] | submit a lead (client, lead, invoice; idempotent by key) |
//! | [`payment`] | start a payment (attempt, gateway call, bookkeeping) |
//! | `ipn_registration` | only one instance registers the Pesapal IPN URL |
//! | [`settle`] | apply a gateway result; Pesapal IPN / return and AzamPay callback handling |
//! | [`reconcile`] | re-check open attempts |
//! | [`gateways`] | the enabled gateway clients (built by `wetech-runtime`) |
//! | [`backoffice`] | the back office: staff accounts, sign-in, sessions, audit log ([`BackOffice`]) |
//! | [`outbox`] | the e-mail messages a change causes, added in its transaction |
//! | [`receipts`] | receipt for invoice: the PDF of a paid (or refunded) invoice ([`Receipts`]) |
//! | [`paths`] | the URL paths that the web routes serve and the use cases and `ops` build |

pub mod backoffice;
pub mod error;
pub mod gateways;
mod ipn_registration;
pub mod leads;
pub mod outbox;
pub mod paths;
pub mod payment;
pub mod receipts;
pub mod reconcile;
pub mod settle;
pub mod usecases;

pub use backoffice::{AdminSettings, BackOffice};
pub use error::AppError;
pub use gateways::Gateways;
pub use leads::{InvoiceSummary, LeadOutcome, LeadReceipt, NewLead};
pub use payment::{PaymentChoice, PaymentStarted};
pub use receipts::{ReceiptFailure, ReceiptPdf, Receipts};
pub use reconcile::ReconcileChange;
pub use settle::{Applied, GatewayResult, PesapalNotificationError};
pub use usecases::{CheckoutSettings, InvoiceView, PaymentView, ServiceView, UseCases};
pub use wetech_i18n::Language;
