//! Attachments made when a message is sent, never stored in the outbox: a row names a slot
//! (`receipt:PUBLIC_ID`, written by `wetech_app::outbox` when an invoice is paid) and the
//! sender fills it from a [`ReceiptSource`] given by the composition (`web` passes the same
//! receipt use case that serves `GET /invoices/{id}/receipt.pdf`, so the attachment and the page
//! are one drawing of one set of facts).

use wetech_i18n::Language;

/// A file to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file's name as the recipient sees it (`receipt-INV-2026-000001.pdf`).
    pub filename: String,
    /// Its MIME type (`application/pdf`).
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Why an attachment could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    /// It cannot be made now (the database is down): the message is tried again later.
    #[error("the attachment cannot be made now")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// It can never be made (no such invoice, or it is no longer paid): the message fails.
    #[error("the attachment cannot be made")]
    Impossible(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The row names a slot this version does not know, or a receipt with no source to make it.
    #[error("unknown attachment slot {0:?}")]
    UnknownSlot(String),
}

impl AttachmentError {
    /// Whether a later try may succeed.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, AttachmentError::Unavailable(_))
    }
}

/// Draws an invoice's receipt (blocking: the sender calls it on the blocking pool).
pub trait ReceiptSource: Send + Sync {
    /// The receipt of invoice `public_id` in `language`.
    ///
    /// # Errors
    /// [`AttachmentError::Unavailable`] when a later try may succeed, else
    /// [`AttachmentError::Impossible`].
    fn receipt(&self, public_id: &str, language: Language) -> Result<Attachment, AttachmentError>;
}

/// The prefix of a receipt's slot.
pub const RECEIPT_SLOT: &str = "receipt:";

/// The attachment `slot` names, in `language`.
pub(crate) fn fill(
    slot: &str,
    language: Language,
    receipts: Option<&dyn ReceiptSource>,
) -> Result<Attachment, AttachmentError> {
    match (slot.strip_prefix(RECEIPT_SLOT), receipts) {
        (Some(public_id), Some(source)) => source.receipt(public_id, language),
        _ => Err(AttachmentError::UnknownSlot(slot.to_owned())),
    }
}
