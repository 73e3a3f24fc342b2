//! wetech-receipt: the receipt of a paid invoice as a PDF, in the client's language — one
//! function, [`render_pdf`], so the page (`GET /invoices/{id}/receipt.pdf`) and the receipt
//! e-mail attach the same bytes.
//!
//! | module | what |
//! |---|---|
//! | [`company`] | [`CompanySettings`], the `company` configuration section (the receipt's header) |
//! | [`receipt`] | [`Receipt`], what a receipt says |
//! | [`pdf`] | [`render_pdf`]: krilla, with an embedded subset of DejaVu Sans (fonts/README.md) |

pub mod company;
pub mod pdf;
pub mod receipt;

pub use company::{CompanySettings, InvalidCompanySetting};
pub use pdf::{ReceiptError, render_pdf};
pub use receipt::Receipt;
