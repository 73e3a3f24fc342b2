//! The values a caller builds for AzamPay calls and gets back from them.

use std::fmt;

use secrecy::SecretString;
use serde_json::Value;

use crate::error::GatewayError;
use crate::gateway::{MobileProvider, mask};
use crate::money::Money;

/// Normalises a Tanzanian mobile number to AzamPay's `accountNumber` form `2556XXXXXXXX` /
/// `2557XXXXXXXX`. Accepts `07…`, `7…`, `255…`, `+255…`, `00255…`, with spaces, dots, dashes
/// or brackets.
///
/// ```
/// use wetech_payments::azampay::normalize_msisdn;
/// assert_eq!(normalize_msisdn("0712 345 678").unwrap(), "255712345678");
/// assert_eq!(normalize_msisdn("+255-612-345-678").unwrap(), "255612345678");
/// assert!(normalize_msisdn("0812345678").is_err());
/// ```
pub fn normalize_msisdn(input: &str) -> Result<String, GatewayError> {
    let bad = || {
        GatewayError::InvalidRequest(
            "phone must be a Tanzanian mobile number (07…, 06…, 255…)".into(),
        )
    };
    if input.len() > 32 {
        return Err(bad());
    }
    let mut s = input.trim();
    s = s.strip_prefix('+').unwrap_or(s);
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let national = if let Some(rest) = digits.strip_prefix("00255") {
        rest.to_owned()
    } else if digits.len() == 12 && digits.starts_with("255") {
        digits[3..].to_owned()
    } else if digits.len() == 10 && digits.starts_with('0') {
        digits[1..].to_owned()
    } else {
        digits
    };
    if national.len() == 9 && (national.starts_with('6') || national.starts_with('7')) {
        Ok(format!("255{national}"))
    } else {
        Err(bad())
    }
}

/// MNO checkout (`POST /azampay/mno/checkout`).
#[derive(Debug, Clone, PartialEq)]
pub struct MnoCheckout {
    /// `accountNumber`: the payer's phone, normalised to `255…` before sending.
    pub account_number: String,
    /// `amount` + `currency` (TZS only, ≤ 5,000,000).
    pub amount: Money,
    /// `externalId`: our merchant reference (≤ 128 characters); comes back as `utilityref`.
    pub external_id: String,
    /// `provider`.
    pub provider: MobileProvider,
    /// `additionalProperties` (≤ 4096 bytes serialized), echoed in the callback.
    pub additional_properties: Option<Value>,
}

/// Bank for a bank checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankProvider {
    /// CRDB (OTP by `*150*03#`).
    Crdb,
    /// NMB (OTP by `*150*66#`).
    Nmb,
}

/// Bank checkout (`POST /azampay/bank/checkout`).
#[derive(Clone)]
pub struct BankCheckout {
    /// `amount` + `currencyCode`.
    pub amount: Money,
    /// `merchantAccountNumber`: the payer's bank account.
    pub merchant_account_number: String,
    /// `merchantMobileNumber`.
    pub merchant_mobile_number: String,
    /// `merchantName`.
    pub merchant_name: Option<String>,
    /// `otp` from the bank's USSD menu. Never printed.
    pub otp: SecretString,
    /// `provider`.
    pub provider: BankProvider,
    /// `referenceId`: our merchant reference (≤ 128).
    pub reference_id: Option<String>,
    /// `additionalProperties`.
    pub additional_properties: Option<Value>,
}

impl fmt::Debug for BankCheckout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BankCheckout")
            .field("amount", &self.amount)
            .field(
                "merchant_account_number",
                &mask(&self.merchant_account_number),
            )
            .field("provider", &self.provider)
            .field("reference_id", &self.reference_id)
            .field("otp", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

/// AzamPay accepted a checkout (the push was initiated; the outcome comes by callback).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutAccepted {
    /// `transactionId`.
    pub transaction_id: String,
    /// `message`.
    pub message: String,
}

/// One entry of GetPaymentPartners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentPartner {
    /// `partnerName` (`Airtel`, `Tigopesa`, `HaloPesa`, `vodacom`, `Azampesa`).
    pub partner_name: String,
    /// The checkout `provider` value it maps to.
    pub checkout_provider: Option<MobileProvider>,
    /// `provider` number (airtel=2, tigo=3, halopesa=4, azampesa=5, mpesa=10).
    pub provider_code: Option<i64>,
    /// `vendorName`.
    pub vendor_name: Option<String>,
    /// `logoUrl`.
    pub logo_url: Option<String>,
    /// `paymentVendorId`.
    pub payment_vendor_id: Option<String>,
    /// `paymentPartnerId`.
    pub payment_partner_id: Option<String>,
    /// `currency`.
    pub currency: Option<String>,
}
