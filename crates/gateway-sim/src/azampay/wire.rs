//! AzamPay JSON as the simulated server reads and writes it (docs/payments.md and the gateway
//! notes it cites). Requests ignore unknown fields: AzamPay's schema says
//! `additionalProperties: false`, but its own WooCommerce plugin sends an extra `source` field
//! in production, so the live service evidently tolerates them. Scalars may be strings or
//! numbers (`amount` is a number in the current schema and a string in older clients).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::text::loose_text;

/// `POST {auth}/AppRegistration/GenerateToken`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenRequest {
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) app_name: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) client_id: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) client_secret: String,
}

/// `POST {checkout}/azampay/mno/checkout`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MnoCheckoutRequest {
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) account_number: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) amount: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) currency: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) external_id: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) provider: String,
    #[serde(default)]
    pub(crate) additional_properties: Option<Value>,
}

/// `POST {checkout}/azampay/bank/checkout` (`currencyCode`, not `currency`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BankCheckoutRequest {
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) amount: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) currency_code: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) merchant_account_number: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) merchant_mobile_number: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) otp: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) provider: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub(crate) reference_id: String,
    #[serde(default)]
    pub(crate) additional_properties: Option<Value>,
}

/// The older callback generation: no signature, `fspReferenceId` for the MNO receipt.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LegacyCallback<'a> {
    pub(crate) msisdn: &'a str,
    pub(crate) amount: String,
    pub(crate) message: &'a str,
    pub(crate) utilityref: &'a str,
    pub(crate) operator: &'a str,
    pub(crate) reference: &'a str,
    pub(crate) transactionstatus: &'a str,
    pub(crate) submerchant_acc: Option<&'a str>,
    pub(crate) fsp_reference_id: Option<&'a str>,
    pub(crate) additional_properties: Option<&'a Value>,
}

/// The current callback generation, with the RSA `signature` (or `null`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CurrentCallback<'a> {
    pub(crate) message: &'a str,
    pub(crate) user: &'a str,
    pub(crate) password: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) transactionstatus: &'a str,
    pub(crate) operator: &'a str,
    pub(crate) reference: &'a str,
    pub(crate) externalreference: &'a str,
    pub(crate) utilityref: &'a str,
    pub(crate) amount: String,
    pub(crate) transid: &'a str,
    pub(crate) msisdn: &'a str,
    pub(crate) mnoreference: &'a str,
    pub(crate) submerchant_acc: Option<&'a str>,
    pub(crate) additional_properties: Option<&'a Value>,
    pub(crate) signature: Option<String>,
}
