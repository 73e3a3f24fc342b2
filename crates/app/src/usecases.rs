//! The [`UseCases`] handle: a unit of work, the gateway clients and the few settings the flows
//! need. Cheap to clone; every method runs its database work on the blocking pool.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tracing::Instrument as _;
use wetech_domain::{
    AttemptStatus, Gateway, InvoiceNumber, InvoiceStatus, MerchantReference, Money, PublicId,
    ServiceCode,
};
use wetech_persistence::UnitOfWork;
use wetech_persistence::repo::{attempts, invoices, services};

use crate::error::{AppError, Internal};
use crate::gateways::Gateways;
use crate::leads::stored_money;

/// The `checkout` settings section (owned by this crate).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckoutSettings {
    /// A pending attempt younger than this blocks a new payment start (409); an older one is
    /// expired so the customer can try again.
    pub retry_after_secs: u64,
    /// AzamPay offers no status query for collections: `ops reconcile` expires a pending AzamPay
    /// attempt after this age (a late verified callback still settles it).
    pub azampay_expire_after_secs: u64,
    /// A Pesapal attempt whose order still answers "pending" this long after it started (the
    /// customer left the payment page) is expired by `ops reconcile`; a later verified IPN still
    /// settles it.
    pub pesapal_expire_after_secs: u64,
}

impl Default for CheckoutSettings {
    fn default() -> Self {
        Self {
            retry_after_secs: 120,
            azampay_expire_after_secs: 900,
            pesapal_expire_after_secs: 86_400,
        }
    }
}

/// The application's use cases.
#[derive(Clone)]
pub struct UseCases {
    pub(crate) uow: UnitOfWork,
    pub(crate) gateways: Gateways,
    pub(crate) public_url: String,
    pub(crate) checkout: CheckoutSettings,
    pub(crate) leads: crate::leads::LeadQueue,
}

/// An active service of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    /// `WEB-BASIC`, …
    pub code: ServiceCode,
    /// Display name.
    pub name: String,
    /// The current price.
    pub price: Money,
}

/// One payment attempt as shown to the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    /// The attempt's merchant reference (unguessable; never the row id).
    pub id: MerchantReference,
    /// The gateway it went through.
    pub gateway: Gateway,
    /// Where the attempt stands.
    pub status: AttemptStatus,
    /// The amount asked for.
    pub amount: Money,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When it last changed (a new attempt through the same gateway is refused while this is
    /// younger than `CheckoutSettings::retry_after_secs`).
    pub updated_at: DateTime<Utc>,
    /// The number an AzamPay push went to (E.164), for the customer's page to show masked.
    pub payer_phone: Option<String>,
}

/// An invoice as shown to the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceView {
    /// Public id.
    pub id: PublicId,
    /// `INV-YYYY-NNNNNN`.
    pub number: InvoiceNumber,
    /// Where the invoice stands.
    pub status: InvoiceStatus,
    /// The amount due.
    pub amount: Money,
    /// The service code.
    pub service: ServiceCode,
    /// The service name at the time of issue.
    pub service_name: String,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    pub payments: Vec<PaymentView>,
}

pub(crate) fn rfc3339(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl UseCases {
    /// Assembles the use cases. `public_url` is the site's base URL (callbacks, invoice links).
    #[must_use]
    pub fn new(
        uow: UnitOfWork,
        gateways: Gateways,
        public_url: &str,
        checkout: CheckoutSettings,
    ) -> Self {
        let leads = crate::leads::LeadQueue::start(uow.clone());
        Self {
            uow,
            gateways,
            public_url: public_url.trim_end_matches('/').to_owned(),
            checkout,
            leads,
        }
    }

    /// The unit of work (for health checks and tests).
    #[must_use]
    pub fn unit_of_work(&self) -> &UnitOfWork {
        &self.uow
    }

    /// The gateway clients.
    #[must_use]
    pub fn gateways(&self) -> &Gateways {
        &self.gateways
    }

    /// The public base URL without a trailing slash.
    #[must_use]
    pub fn public_base(&self) -> &str {
        &self.public_url
    }

    /// Runs blocking database work on the blocking pool, inside the current span.
    pub(crate) async fn blocking<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&UnitOfWork) -> Result<T, AppError> + Send + 'static,
    {
        let uow = self.uow.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| f(&uow)))
            .await
            .map_err(|e| AppError::Internal(Internal::BlockingTask(e)))?
    }

    /// The active services, by code.
    pub async fn list_services(&self) -> Result<Vec<ServiceView>, AppError> {
        self.blocking(|uow| {
            let rows = uow.read(|c| services::list_active(c).map_err(AppError::from))?;
            rows.into_iter()
                .map(|s| {
                    Ok(ServiceView {
                        code: s.code,
                        name: s.name,
                        price: stored_money(s.price_minor, s.currency)?,
                    })
                })
                .collect()
        })
        .await
    }

    /// The invoice with its payment attempts.
    pub async fn invoice(&self, public_id: &PublicId) -> Result<InvoiceView, AppError> {
        let public_id = public_id.clone();
        let span = tracing::debug_span!("invoice_view", invoice_id = %public_id);
        self.blocking(move |uow| {
            uow.read(|c| {
                let (inv, attempts) = invoices::find_with_attempts(c, public_id.as_str())?
                    .ok_or(AppError::NotFound("invoice"))?;
                let payments = attempts
                    .into_iter()
                    .map(|a| {
                        Ok(PaymentView {
                            id: a.merchant_reference,
                            gateway: a.gateway,
                            status: a.status,
                            amount: stored_money(a.amount_minor, a.currency)?,
                            created_at: a.created_at.and_utc(),
                            updated_at: a.updated_at.and_utc(),
                            payer_phone: a.payer_phone,
                        })
                    })
                    .collect::<Result<Vec<_>, AppError>>()?;
                Ok(InvoiceView {
                    id: inv.public_id,
                    number: inv.number,
                    status: inv.status,
                    amount: stored_money(inv.amount_minor, inv.currency)?,
                    service: inv.service_code,
                    service_name: inv.service_name,
                    issued_at: inv.issued_at.and_utc(),
                    paid_at: inv.paid_at.map(|t| t.and_utc()),
                    payments,
                })
            })
        })
        .instrument(span)
        .await
    }

    /// The public id of the invoice a merchant reference belongs to.
    pub async fn invoice_for_reference(
        &self,
        merchant_reference: &MerchantReference,
    ) -> Result<PublicId, AppError> {
        let reference = merchant_reference.clone();
        self.blocking(move |uow| {
            uow.read(|c| {
                let attempt = attempts::find_by_merchant_reference(c, reference.as_str())?
                    .ok_or(AppError::NotFound("payment"))?;
                let inv = invoices::find_by_id(c, attempt.invoice_id)?
                    .ok_or(AppError::NotFound("invoice"))?;
                Ok(inv.public_id)
            })
        })
        .await
    }

    /// The checkout settings in force (the invoice page says when another attempt is possible).
    #[must_use]
    pub fn checkout_settings(&self) -> &CheckoutSettings {
        &self.checkout
    }

    pub(crate) fn retry_after(&self) -> Duration {
        Duration::from_secs(self.checkout.retry_after_secs)
    }
}
