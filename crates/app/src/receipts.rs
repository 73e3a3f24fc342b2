//! "Receipt for invoice": the PDF receipt of a paid (or since refunded) invoice, read from the
//! invoice, its completed attempt and its client, and drawn by `wetech_receipt::render_pdf`.
//! The page `GET /invoices/{id}/receipt.pdf` and the receipt e-mail's attachment both come from
//! [`Receipts`], so that for one language they are the same bytes (docs/operations.md,
//! "Receipts").

use wetech_domain::{AttemptStatus, Gateway, InvoiceStatus, PublicId};
use wetech_i18n::Language;
use wetech_persistence::repo::{attempts, clients, invoices};
use wetech_persistence::{DbConnection, PersistenceError, UnitOfWork};
use wetech_receipt::{CompanySettings, Receipt, ReceiptError, render_pdf};

/// Why there is no receipt.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptFailure {
    /// No invoice has this public id.
    #[error("invoice not found")]
    NotFound,
    /// The invoice has not been paid (it is unpaid, pending, void or its payment was reversed).
    #[error("the invoice is not paid")]
    NotPaid(InvoiceStatus),
    /// The database failed.
    #[error("the database failed")]
    Persistence(#[from] PersistenceError),
    /// The stored rows are not what this code wrote (a paid invoice without a completed
    /// attempt, an amount that does not parse).
    #[error("inconsistent stored data: {0}")]
    Corrupt(String),
    /// The PDF could not be drawn.
    #[error("the receipt could not be drawn")]
    Render(#[source] ReceiptError),
    /// The blocking task that reads and draws died.
    #[error("a blocking task failed")]
    Task(#[source] tokio::task::JoinError),
}

/// A drawn receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptPdf {
    /// The invoice's number (`INV-2026-000001`).
    pub invoice_number: String,
    /// `receipt-INV-2026-000001.pdf`: the name the page and the attachment give it.
    pub filename: String,
    /// The PDF.
    pub bytes: Vec<u8>,
}

/// The receipts' use case: a unit of work and the letterhead. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Receipts {
    uow: UnitOfWork,
    company: CompanySettings,
}

/// How a gateway is named to people (brands: the same in every language).
#[must_use]
pub const fn gateway_name(gateway: Gateway) -> &'static str {
    match gateway {
        Gateway::Pesapal => "Pesapal",
        Gateway::AzamPay => "AzamPay",
    }
}

impl Receipts {
    /// Receipts over `uow`'s database with `company`'s letterhead.
    #[must_use]
    pub fn new(uow: UnitOfWork, company: CompanySettings) -> Self {
        Self { uow, company }
    }

    /// The receipt of invoice `public_id` in `language`, read and drawn on the blocking pool.
    ///
    /// # Errors
    /// [`ReceiptFailure::NotFound`] for an unknown invoice, [`ReceiptFailure::NotPaid`] for one
    /// that is not paid or refunded, else a failure of the database or the drawing.
    pub async fn pdf(
        &self,
        public_id: &PublicId,
        language: Language,
    ) -> Result<ReceiptPdf, ReceiptFailure> {
        let this = self.clone();
        let public_id = public_id.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            span.in_scope(|| this.pdf_blocking(public_id.as_str(), language))
        })
        .await
        .map_err(ReceiptFailure::Task)?
    }

    /// [`Receipts::pdf`] on the calling thread (for a caller already on a blocking thread, such
    /// as the e-mail sender filling a `receipt:PUBLIC_ID` attachment).
    ///
    /// # Errors
    /// As [`Receipts::pdf`]; a `public_id` that is not an invoice's is not found.
    pub fn pdf_blocking(
        &self,
        public_id: &str,
        language: Language,
    ) -> Result<ReceiptPdf, ReceiptFailure> {
        let receipt = self.uow.read(|c| load(c, public_id))?;
        let bytes =
            render_pdf(&self.company, &receipt, language).map_err(ReceiptFailure::Render)?;
        Ok(ReceiptPdf {
            filename: format!("receipt-{}.pdf", receipt.invoice_number),
            invoice_number: receipt.invoice_number,
            bytes,
        })
    }
}

/// What the receipt of `public_id` says.
fn load(c: &mut DbConnection, public_id: &str) -> Result<Receipt, ReceiptFailure> {
    let invoice = invoices::find_by_public_id(c, public_id)?.ok_or(ReceiptFailure::NotFound)?;
    let refunded = match invoice.status {
        InvoiceStatus::Paid => false,
        InvoiceStatus::Refunded => true,
        other @ (InvoiceStatus::Unpaid
        | InvoiceStatus::Pending
        | InvoiceStatus::Void
        | InvoiceStatus::Reversed) => return Err(ReceiptFailure::NotPaid(other)),
    };
    let attempt = attempts::list_for_invoice(c, invoice.id)?
        .into_iter()
        .find(|a| a.status == AttemptStatus::Completed)
        .ok_or_else(|| {
            ReceiptFailure::Corrupt("a paid invoice without a completed payment".into())
        })?;
    let client = clients::find_by_id(c, invoice.client_id)?
        .ok_or_else(|| ReceiptFailure::Corrupt("an invoice without its client".into()))?;
    let amount = wetech_domain::Money::from_minor(invoice.amount_minor, invoice.currency)
        .map_err(|e| ReceiptFailure::Corrupt(e.to_string()))?;
    Ok(Receipt {
        invoice_number: invoice.number.as_str().to_owned(),
        client_name: client.name,
        service: invoice.service_name,
        currency: amount.currency().as_str().to_owned(),
        amount: amount.to_decimal_string(),
        paid_at: invoice.paid_at.unwrap_or(attempt.updated_at).and_utc(),
        gateway: gateway_name(attempt.gateway).to_owned(),
        confirmation_code: attempt.confirmation_code.unwrap_or_else(|| "-".to_owned()),
        refunded,
    })
}
