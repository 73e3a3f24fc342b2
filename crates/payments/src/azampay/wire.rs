//! AzamPay JSON as it is on the wire (GATEWAYS.md part B).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::lenient::{opt_bool, opt_i64, opt_string};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenRequest<'a> {
    pub app_name: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

#[derive(Deserialize)]
pub(crate) struct TokenData {
    #[serde(default, rename = "accessToken", deserialize_with = "opt_string")]
    pub access_token: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub expire: Option<String>,
}

/// `{data, message, success, statusCode}`.
#[derive(Deserialize)]
pub(crate) struct Envelope<T> {
    #[serde(default = "none")]
    pub data: Option<T>,
    #[serde(default, deserialize_with = "opt_string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub success: Option<bool>,
    #[serde(default, rename = "statusCode", deserialize_with = "opt_i64")]
    pub status_code: Option<i64>,
}

fn none<T>() -> Option<T> {
    None
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MnoCheckoutWire<'a> {
    pub account_number: &'a str,
    pub amount: Box<RawValue>,
    pub currency: &'a str,
    pub external_id: &'a str,
    pub provider: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_properties: Option<&'a Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BankCheckoutWire<'a> {
    pub amount: Box<RawValue>,
    pub currency_code: &'a str,
    pub merchant_account_number: &'a str,
    pub merchant_mobile_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_name: Option<&'a str>,
    pub otp: &'a str,
    pub provider: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_properties: Option<&'a Value>,
}

/// CheckoutResponse, plus the older bank shape (`msg`, `data.properties.ReferenceID`).
#[derive(Deserialize)]
pub(crate) struct CheckoutResponseWire {
    #[serde(default, rename = "transactionId", deserialize_with = "opt_string")]
    pub transaction_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "opt_bool")]
    pub success: Option<bool>,
    #[serde(default, deserialize_with = "opt_string")]
    pub msg: Option<String>,
    #[serde(default)]
    pub data: Option<Value>,
}

impl CheckoutResponseWire {
    pub fn reference(&self) -> Option<String> {
        self.transaction_id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| {
                let props = self.data.as_ref()?.get("properties")?;
                props
                    .get("ReferenceID")
                    .or_else(|| props.get("referenceId"))
                    .and_then(crate::lenient::value_to_string)
                    .filter(|s| !s.trim().is_empty())
            })
    }

    pub fn text(&self) -> String {
        self.message
            .clone()
            .or_else(|| self.msg.clone())
            .unwrap_or_default()
    }
}

/// ASP.NET ProblemDetails on validation failures.
#[derive(Deserialize)]
pub(crate) struct ProblemDetails {
    #[serde(default, deserialize_with = "opt_string")]
    pub title: Option<String>,
    #[serde(default)]
    pub errors: Option<BTreeMap<String, Value>>,
}

impl ProblemDetails {
    pub fn summary(&self) -> String {
        let mut parts = vec![
            self.title
                .clone()
                .unwrap_or_else(|| "validation failed".to_owned()),
        ];
        if let Some(errors) = &self.errors {
            for (field, msgs) in errors {
                let text = match msgs {
                    Value::Array(items) => items
                        .iter()
                        .filter_map(crate::lenient::value_to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => crate::lenient::value_to_string(other).unwrap_or_default(),
                };
                parts.push(format!("{field}: {text}"));
            }
        }
        parts.join(" | ")
    }
}

#[derive(Deserialize)]
pub(crate) struct PartnerWire {
    #[serde(default, rename = "logoUrl", deserialize_with = "opt_string")]
    pub logo_url: Option<String>,
    #[serde(default, rename = "partnerName", deserialize_with = "opt_string")]
    pub partner_name: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub provider: Option<i64>,
    #[serde(default, rename = "vendorName", deserialize_with = "opt_string")]
    pub vendor_name: Option<String>,
    #[serde(default, rename = "paymentVendorId", deserialize_with = "opt_string")]
    pub payment_vendor_id: Option<String>,
    #[serde(default, rename = "paymentPartnerId", deserialize_with = "opt_string")]
    pub payment_partner_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub currency: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct PublicKeyWire {
    #[serde(
        default,
        rename = "publicKey",
        alias = "PublicKey",
        alias = "key",
        deserialize_with = "opt_string"
    )]
    pub public_key: Option<String>,
    #[serde(default)]
    pub data: Option<Value>,
}
