//! AzamPay JSON as it is on the wire (docs/payments.md).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::callback::CallbackSchema;
use crate::gateway::{GatewayStatus, MobileProvider, PaymentDetails, mask};
use crate::lenient::{opt_bool, opt_i64, opt_string};
use crate::money::{Currency, Money};

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

/// `data` of the status answer: an object describing the transaction (our simulator), a plain
/// sentence such as `"Transaction successful."` (the community samples), or anything else.
pub(crate) enum StatusData {
    Transaction(Box<TransactionWire>),
    Sentence(String),
    Other,
}

/// The transaction object of the status answer. Every field may be a string or a number.
#[derive(Deserialize)]
pub(crate) struct TransactionWire {
    #[serde(default, deserialize_with = "opt_string")]
    transactionstatus: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    utilityref: Option<String>,
    #[serde(default, rename = "externalId", deserialize_with = "opt_string")]
    external_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    currency: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    amount: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    operator: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    mnoreference: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    reference: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    msisdn: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    message: Option<String>,
}

/// The status words AzamPay and the community clients have been seen to use.
enum StatusWord {
    Success,
    Failure,
    Pending,
    Unknown,
}

impl StatusWord {
    fn of(word: &str) -> StatusWord {
        match word.trim().to_ascii_lowercase().as_str() {
            "success" | "successful" | "completed" => StatusWord::Success,
            "failure" | "failed" | "fail" | "cancelled" => StatusWord::Failure,
            "pending" | "processing" | "inprogress" | "initiated" => StatusWord::Pending,
            _ => StatusWord::Unknown,
        }
    }
}

/// A present, non-blank text.
fn given(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// A status answer that says nothing this crate can act on: reported as
/// [`GatewayStatus::Pending`] (the outcome is unknown, the attempt stays open for the callback,
/// reconciliation or a person), never as an error that would hide the attempt.
fn unknown(why: &str) -> (GatewayStatus, Option<String>) {
    tracing::warn!(
        why,
        "AzamPay status answer not understood; reported as pending"
    );
    (GatewayStatus::Pending, None)
}

impl StatusData {
    /// Reads `data` of a status answer: only an object is a transaction, only a string a
    /// sentence.
    pub(crate) fn of(data: Option<Value>) -> StatusData {
        match data {
            Some(v @ Value::Object(_)) => serde_json::from_value(v)
                .map(|t| StatusData::Transaction(Box::new(t)))
                .unwrap_or(StatusData::Other),
            Some(Value::String(s)) => StatusData::Sentence(s),
            _ => StatusData::Other,
        }
    }

    /// The status it reports and the merchant reference, when it states one. Only an answer
    /// that states a success with its amount settles; a failure must say so; everything else
    /// (a "successful" sentence without an amount, an unknown word, a success whose amount or
    /// currency cannot be read, no data at all) is pending: the outcome is unknown.
    pub(crate) fn into_status(self, provider: MobileProvider) -> (GatewayStatus, Option<String>) {
        let t = match self {
            StatusData::Transaction(t) => *t,
            StatusData::Sentence(s) => return sentence_status(s),
            StatusData::Other => return unknown("status answer without readable data"),
        };
        let word = given(t.transactionstatus)
            .or_else(|| given(t.status))
            .unwrap_or_default();
        let merchant_reference = given(t.utilityref).or_else(|| given(t.external_id));
        let status = match StatusWord::of(&word) {
            StatusWord::Success => {
                let amount = Currency::parse(&given(t.currency).unwrap_or_else(|| "TZS".into()))
                    .ok()
                    .and_then(|currency| Money::parse_decimal(&given(t.amount)?, currency).ok());
                let Some(amount) = amount else {
                    return unknown("success without a readable amount and currency");
                };
                GatewayStatus::Completed(PaymentDetails {
                    amount,
                    method: given(t.operator).unwrap_or_else(|| provider.as_str().to_owned()),
                    confirmation_code: given(t.mnoreference)
                        .or_else(|| given(t.reference))
                        .unwrap_or_default(),
                    payer_account: given(t.msisdn).map(|m| mask(&m)).unwrap_or_default(),
                })
            }
            StatusWord::Failure => GatewayStatus::Failed {
                reason: given(t.message).unwrap_or_else(|| word.to_ascii_lowercase()),
            },
            StatusWord::Pending => GatewayStatus::Pending,
            StatusWord::Unknown => return unknown("unknown transaction status word"),
        };
        (status, merchant_reference)
    }
}

/// A status stated as a sentence: only a failure can be taken from it. A "successful" sentence
/// states no amount, so it cannot settle (the callback does); it is pending like any other.
fn sentence_status(s: String) -> (GatewayStatus, Option<String>) {
    if s.to_ascii_lowercase().contains("fail") {
        (GatewayStatus::Failed { reason: s }, None)
    } else {
        unknown("a sentence that states no amount")
    }
}

/// Keys only the current callback generation carries (present, even as `null`).
const CURRENT_CALLBACK_KEYS: [&str; 7] = [
    "externalreference",
    "transid",
    "mnoreference",
    "signature",
    "user",
    "password",
    "clientid",
];

/// A callback body of either generation, keys lower-cased (AzamPay's clients disagree on case;
/// the first spelling of a key wins). Every text may arrive as a string or a number; unknown
/// fields are ignored.
#[derive(Deserialize)]
pub(crate) struct CallbackWire {
    #[serde(default, deserialize_with = "opt_string")]
    pub utilityref: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub transactionstatus: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub amount: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub msisdn: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub externalreference: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub transid: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub operator: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub mnoreference: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub fspreferenceid: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub submerchantacc: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub user: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub clientid: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub password: Option<String>,
    /// Free-form JSON echoed from the checkout; kept as JSON.
    #[serde(default)]
    pub additionalproperties: Option<Value>,
    #[serde(default)]
    pub signature: Option<SignatureWire>,
}

/// `signature`: base64 text, or something else (malformed).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum SignatureWire {
    Text(String),
    Other(Value),
}

/// Why a callback body could not be read as a callback.
pub(crate) enum CallbackBodyError {
    NotJson,
    NotAnObject,
}

impl CallbackWire {
    /// Reads a callback body and tells which generation it is. The body is read as leniently
    /// as it can be without guessing: see [`callback_json_text`]. `amount` keeps the digits it
    /// was sent with, also when it is a JSON number (see [`number_text`]).
    pub(crate) fn read(body: &[u8]) -> Result<(CallbackSchema, CallbackWire), CallbackBodyError> {
        let text = callback_json_text(body);
        let value: Value = serde_json::from_str(&text).map_err(|_| CallbackBodyError::NotJson)?;
        let Value::Object(map) = value else {
            return Err(CallbackBodyError::NotAnObject);
        };
        // The same object once more, each value as its JSON text (an object always reads).
        let raw: BTreeMap<String, Box<RawValue>> =
            serde_json::from_str(&text).map_err(|_| CallbackBodyError::NotAnObject)?;
        let mut lowered = serde_json::Map::new();
        for (k, v) in map {
            lowered.entry(k.to_ascii_lowercase()).or_insert(v);
        }
        let raw_amount = raw
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("amount"))
            .map(|(_, v)| v.get().trim());
        let schema = if CURRENT_CALLBACK_KEYS
            .iter()
            .any(|k| lowered.contains_key(*k))
        {
            CallbackSchema::Current
        } else {
            CallbackSchema::Legacy
        };
        // Every field reads from any JSON value, so an object always converts.
        let mut wire: CallbackWire = serde_json::from_value(Value::Object(lowered))
            .map_err(|_| CallbackBodyError::NotAnObject)?;
        if let Some(raw) = raw_amount
            && !raw.starts_with('"')
        {
            // A JSON number: its own digits, never the nearest `f64` (`2000.0000000000001`
            // must stay too precise for TZS, not become 2000).
            wire.amount = Some(number_text(raw).unwrap_or_else(|| raw.to_owned()));
        }
        Ok((schema, wire))
    }
}

/// The text of a callback body as JSON: strictly as sent when it is valid JSON; otherwise
/// with what a careless sender gets wrong repaired, because a genuine callback refused is a
/// payment lost: a leading byte-order mark dropped, bytes that are not UTF-8 replaced by
/// U+FFFD, and raw control characters (line breaks, tabs, …) inside strings escaped. Anything
/// else that is not JSON stays not JSON.
fn callback_json_text(body: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(body)
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    {
        return Cow::Borrowed(text);
    }
    let lossy = String::from_utf8_lossy(body);
    let text = lossy.strip_prefix('\u{feff}').unwrap_or(&lossy);
    let mut out = String::with_capacity(text.len() + 32);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            c if in_string && u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Largest exponent of a JSON number amount written out (`1e3` is an amount, `1e400` is not).
const MAX_AMOUNT_EXPONENT: i32 = 40;

/// The plain decimal digits of a JSON number literal, the exponent applied exactly:
/// `2000.00` → `2000.00`, `1e3` → `1000`, `2.5E+1` → `25`, `1234e-2` → `12.34`. `None` when
/// the exponent is absurd.
fn number_text(literal: &str) -> Option<String> {
    let (mantissa, exponent) = match literal.find(['e', 'E']) {
        None => return Some(literal.to_owned()),
        Some(i) => (&literal[..i], literal[i + 1..].parse::<i32>().ok()?),
    };
    if exponent.abs() > MAX_AMOUNT_EXPONENT {
        return None;
    }
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{frac}");
    // Position of the decimal point within `digits` after the shift.
    let point = i32::try_from(whole.len()).ok()? + exponent;
    let text = if point <= 0 {
        let zeros = usize::try_from(-point).ok()?;
        format!("0.{}{digits}", "0".repeat(zeros))
    } else {
        let point = usize::try_from(point).ok()?;
        if point >= digits.len() {
            format!("{digits}{}", "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    };
    Some(format!("{sign}{text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(data: &str) -> (GatewayStatus, Option<String>) {
        StatusData::of(Some(serde_json::from_str(data).unwrap()))
            .into_status(MobileProvider::Airtel)
    }

    #[test]
    fn status_data_of_every_shape() {
        let (s, reference) = status(
            r#"{"transactionstatus":"Success","amount":2000,"currency":"TZS","utilityref":"INV-1","msisdn":255712345678,"extra":{}}"#,
        );
        assert_eq!(reference.as_deref(), Some("INV-1"));
        assert!(
            matches!(s, GatewayStatus::Completed(d) if d.amount.minor() == 200_000 && d.method == "Airtel")
        );
        let (s, _) = status(r#"{"status":"processing"}"#);
        assert_eq!(s, GatewayStatus::Pending);
        let (s, _) = status(r#"{"transactionstatus":"failed"}"#);
        assert!(matches!(s, GatewayStatus::Failed { reason } if reason == "failed"));
        let (s, _) = status(r#""Transaction failed.""#);
        assert!(matches!(s, GatewayStatus::Failed { .. }));
    }

    /// What the status answer cannot prove is pending, never an error: the attempt stays open
    /// and visible until a callback, reconciliation or a person settles it.
    #[test]
    fn what_the_answer_does_not_prove_is_pending() {
        for data in [
            r#""Transaction successful.""#,
            r#""Something else entirely""#,
            r#"{"transactionstatus":"success"}"#,
            r#"{"transactionstatus":"success","amount":"12.345"}"#,
            r#"{"transactionstatus":"success","amount":100,"currency":"XYZ"}"#,
            r#"{"transactionstatus":"maybe","utilityref":"INV-2"}"#,
            r#"["success"]"#,
            "5",
            "null",
            "true",
        ] {
            let (s, reference) = status(data);
            assert_eq!(s, GatewayStatus::Pending, "{data}");
            assert_eq!(reference, None, "{data}");
        }
        assert_eq!(
            StatusData::of(None).into_status(MobileProvider::Tigo).0,
            GatewayStatus::Pending
        );
    }
}
