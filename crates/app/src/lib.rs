//! wetech-app: the use cases of the lead-to-payment service and its settings.
//!
//! Each use case owns its unit of work; no network call happens inside a transaction.
//!
//! | module | what |
//! |---|---|
//! | [`settings`] | every setting of both binaries, layered and validated |
//! | [`usecases`] | the [`UseCases`] handle and the read models |
//! | [`leads`] | submit a lead (client, lead, invoice; idempotent by key) |
//! | [`payment`] | start a payment (attempt, gateway call, bookkeeping) |
//! | [`settle`] | apply a gateway result; Pesapal IPN / return and AzamPay callback handling |
//! | [`reconcile`] | re-check open attempts |
//! | [`gateways`] | the enabled gateway clients |
//! | [`paths`] | the URL paths that the web routes serve and the use cases and `ops` build |

pub mod error;
pub mod gateways;
pub mod leads;
pub mod paths;
pub mod payment;
pub mod reconcile;
pub mod settings;
pub mod settle;
pub mod usecases;

use std::path::PathBuf;

pub use error::AppError;
pub use gateways::{GatewaySetupError, Gateways};
pub use leads::{InvoiceSummary, LeadOutcome, LeadReceipt, NewLead};
pub use payment::{PaymentChoice, PaymentStarted};
pub use reconcile::ReconcileChange;
pub use settings::{DEVELOPMENT_SECRET_KEY, Environment, ServerSettings, Settings, SettingsError};
pub use settle::{Applied, GatewayResult, PesapalNotificationError};
pub use usecases::{CheckoutSettings, InvoiceView, PaymentView, ServiceView, UseCases};

use wetech_ops::HealthContext;
use wetech_persistence::Pool;

/// The health checks for these settings: the database, free disk on the database and log volumes,
/// the media directory, the static assets. Shared by `web` and `ops healthcheck`.
#[must_use]
pub fn health_context(settings: &Settings, pool: Pool) -> HealthContext {
    let mut disk_paths: Vec<PathBuf> = vec![settings.log.dir.clone()];
    if let Some(db_file) = settings.database.sqlite_path() {
        disk_paths.push(db_file);
    }
    HealthContext {
        pool,
        disk_paths,
        media_dir: settings.storage.media_dir.clone(),
        static_dir: settings.storage.static_dir.clone(),
        settings: settings.health.clone(),
    }
}
