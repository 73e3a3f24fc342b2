//! [`Receipt`]: what the receipt of one paid invoice says (already read from the database).

use chrono::{DateTime, Utc};

/// One paid (or since refunded) invoice's receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// `INV-2026-000001`.
    pub invoice_number: String,
    /// Who paid (the invoice's client).
    pub client_name: String,
    /// The service's name as invoiced.
    pub service: String,
    /// The ISO-4217 code of the amount (`TZS`).
    pub currency: String,
    /// The amount's exact decimal digits (`500000.00`).
    pub amount: String,
    /// When the payment was confirmed.
    pub paid_at: DateTime<Utc>,
    /// The gateway's name (`Pesapal`, `AzamPay`).
    pub gateway: String,
    /// The gateway's confirmation code of the payment.
    pub confirmation_code: String,
    /// Whether the payment was refunded after it was made (the receipt says so).
    pub refunded: bool,
}
