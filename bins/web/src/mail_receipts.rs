//! The receipts the e-mail sender attaches: `wetech_app::Receipts`, the use case that serves
//! `GET /invoices/{id}/receipt.pdf`, so a receipt e-mail carries the page's PDF (for its
//! client's language) byte for byte.

use wetech_app::{ReceiptFailure, Receipts};
use wetech_i18n::Language;
use wetech_mail::{Attachment, AttachmentError, ReceiptSource};

/// [`Receipts`] as the sender's [`ReceiptSource`].
pub struct MailReceipts(pub Receipts);

impl ReceiptSource for MailReceipts {
    fn receipt(&self, public_id: &str, language: Language) -> Result<Attachment, AttachmentError> {
        match self.0.pdf_blocking(public_id, language) {
            Ok(pdf) => Ok(Attachment {
                filename: pdf.filename,
                content_type: "application/pdf".to_owned(),
                bytes: pdf.bytes,
            }),
            // The database may answer later.
            Err(e @ (ReceiptFailure::Persistence(_) | ReceiptFailure::Task(_))) => {
                Err(AttachmentError::Unavailable(Box::new(e)))
            }
            Err(
                e @ (ReceiptFailure::NotFound
                | ReceiptFailure::NotPaid(_)
                | ReceiptFailure::Corrupt(_)
                | ReceiptFailure::Render(_)),
            ) => Err(AttachmentError::Impossible(Box::new(e))),
        }
    }
}
