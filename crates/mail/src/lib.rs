//! wetech-mail: the e-mail the service sends — what each message says, how it leaves, and the
//! background sender that delivers the transactional outbox (`wetech_persistence::outbox`)
//! after the commits that wrote it (docs/operations.md, "E-mail").
//!
//! - [`MailSettings`]: the `mail` section, with the production refusals (the letterhead is
//!   `wetech_receipt::CompanySettings`, the one `company` section).
//! - [`messages`]: subjects and the askama templates of each message (text and HTML).
//! - [`headers`]: `Message-ID` from the event, `Auto-Submitted`, one-line subjects, MIME.
//! - [`Transport`]: SMTP (STARTTLS, implicit TLS, or plain to loopback), `.eml` files, or off.
//! - [`attachments`]: the files made at send time (the receipt of `receipt:PUBLIC_ID`, drawn
//!   by a [`ReceiptSource`] the composition gives).
//! - [`Sender`]: claims due messages with a lease, sends outside any transaction, records the
//!   answer, retries with backoff ([`retry`]) and gives up after a day.

pub mod attachments;
pub mod headers;
pub mod messages;
pub mod retry;
mod sender;
mod settings;
mod transport;

pub use attachments::{Attachment, AttachmentError, ReceiptSource};
pub use sender::{ComposeError, Composed, Round, Sender, SenderError};
pub use settings::{
    InvalidMailSetting, MailSettings, SEND_TIMEOUT_FACTOR, SmtpSettings, TlsMode, TransportKind,
};
pub use transport::{SendError, Transport, TransportSetupError};

/// An error and its causes on one line, for logs and the stored last error.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
