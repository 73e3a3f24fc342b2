//! Pesapal API 3.0 JSON as the simulated server reads and writes it (docs/payments.md and the
//! gateway notes it cites). Requests are read the way an ASP.NET model binder would: unknown
//! fields are ignored (Pesapal's own plugins send undocumented ones such as `language`,
//! `terms_and_conditions_id` or `source`), and a scalar may be a string or a number.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::text::loose_text;

/// `POST /api/Auth/RequestToken`.
#[derive(Deserialize)]
pub(crate) struct TokenRequest {
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) consumer_key: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) consumer_secret: String,
}

/// `POST /api/URLSetup/RegisterIPN`.
#[derive(Deserialize)]
pub(crate) struct RegisterIpnRequest {
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) url: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) ipn_notification_type: String,
}

/// `POST /api/Transactions/SubmitOrderRequest`. Not `deny_unknown_fields`: the real service
/// accepts fields it does not document.
#[derive(Deserialize)]
pub(crate) struct SubmitOrderRequest {
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) id: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) currency: String,
    /// Kept raw: the digits are read from the JSON text, and a string is refused.
    #[serde(default)]
    pub(crate) amount: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) description: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) callback_url: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) cancellation_url: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) notification_id: String,
    /// Kept as a value so a malformed address is reported as such, not as a malformed body.
    #[serde(default)]
    pub(crate) billing_address: Option<Value>,
    #[serde(default)]
    pub(crate) redirect_mode: Option<Value>,
}

/// The part of `billing_address` the simulator checks (one contact is required).
#[derive(Deserialize, Default)]
pub(crate) struct BillingAddress {
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) email_address: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) phone_number: String,
}

/// `POST /api/Transactions/RefundRequest` (`amount` is a string in Pesapal's sample).
#[derive(Deserialize)]
pub(crate) struct RefundRequest {
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) confirmation_code: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) amount: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) username: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) remarks: String,
}

/// `POST /api/Transactions/CancelOrder`.
#[derive(Deserialize)]
pub(crate) struct CancelOrderRequest {
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) order_tracking_id: String,
}

/// The merchant's IPN acknowledgement: lower-camel-case echo with an integer `status` (a
/// string is tolerated).
#[derive(Deserialize)]
pub(crate) struct IpnAcknowledgement {
    #[serde(default, rename = "orderTrackingId")]
    pub(crate) order_tracking_id: Option<String>,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) status: String,
}

/// A POST IPN in JSON form.
#[derive(Serialize)]
pub(crate) struct IpnPost<'a> {
    #[serde(rename = "OrderTrackingId")]
    pub(crate) order_tracking_id: &'a str,
    #[serde(rename = "OrderMerchantReference")]
    pub(crate) order_merchant_reference: &'a str,
    #[serde(rename = "OrderNotificationType")]
    pub(crate) order_notification_type: &'a str,
}

/// GetTransactionStatus answer; its `error` object is always present.
#[derive(Serialize)]
pub(crate) struct TransactionStatus {
    pub(crate) payment_method: String,
    pub(crate) amount: Box<RawValue>,
    pub(crate) created_date: String,
    pub(crate) confirmation_code: String,
    pub(crate) order_tracking_id: String,
    pub(crate) payment_status_description: &'static str,
    pub(crate) description: Option<String>,
    pub(crate) message: &'static str,
    pub(crate) payment_account: String,
    pub(crate) call_back_url: String,
    pub(crate) status_code: i64,
    pub(crate) merchant_reference: String,
    pub(crate) payment_status_code: String,
    pub(crate) currency: &'static str,
    pub(crate) error: Value,
    pub(crate) status: &'static str,
}
