//! AzamPay callback parsing, for both schema generations (docs/payments.md).

use std::fmt;

use secrecy::SecretString;
use serde_json::Value;

use super::wire::{CallbackBodyError, CallbackWire, SignatureWire};
use crate::error::GatewayError;
use crate::gateway::{GatewayStatus, PaymentDetails, mask};
use crate::money::{Currency, Money};

/// Largest callback body accepted.
pub const MAX_CALLBACK_BODY: usize = 64 * 1024;
/// Longest `utilityref` (our own merchant reference, at most 128 characters when we send it).
const MAX_REFERENCE_LEN: usize = 256;

/// Which callback generation the body looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackSchema {
    /// `msisdn, amount, message, utilityref, operator, reference, transactionstatus,
    /// submerchantAcc, fspReferenceId, additionalProperties`.
    Legacy,
    /// Adds `externalreference`, `transid`, `mnoreference`, `user`, `password`, `clientId`,
    /// `signature`.
    Current,
}

/// `transactionstatus`: `success`; or `failure` / `failed` (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackStatus {
    /// The customer paid.
    Success,
    /// The payment failed or was declined.
    Failure,
}

impl CallbackStatus {
    /// `"success"` or `"failure"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CallbackStatus::Success => "success",
            CallbackStatus::Failure => "failure",
        }
    }
}

/// How a callback was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authenticity {
    /// Only parsed ([`parse_callback`]); nothing was checked.
    NotChecked,
    /// The path token matched (or none is configured) and there was no signature.
    Unsigned,
    /// The path token matched (or none is configured) and the RSA signature verified.
    Signed,
}

/// An AzamPay callback. Field values are kept exactly as received (the signature covers them).
#[derive(Clone)]
pub struct AzamPayCallback {
    /// Which generation.
    pub schema: CallbackSchema,
    /// `utilityref`: our `externalId` (merchant reference).
    pub utility_ref: String,
    /// `reference`: AzamPay's transaction id.
    pub reference: Option<String>,
    /// `externalreference` (current schema).
    pub external_reference: Option<String>,
    /// `transid` (current schema).
    pub transid: Option<String>,
    /// The outcome.
    pub transaction_status: CallbackStatus,
    /// `transactionstatus` as sent.
    pub raw_transaction_status: String,
    /// `operator` as sent (`Airtel`, `Tigo`, …; empty when absent).
    pub operator: String,
    /// `msisdn`: the payer's number as sent. Absent in some callbacks (the official
    /// WooCommerce plugin does not require it): then only reference and amount are compared.
    pub msisdn: Option<String>,
    /// `amount` (a string on the wire), in TZS.
    pub amount: Money,
    /// `message`.
    pub message: Option<String>,
    /// `mnoreference`.
    pub mno_reference: Option<String>,
    /// `fspReferenceId` (legacy).
    pub fsp_reference_id: Option<String>,
    /// `submerchantAcc`.
    pub submerchant_acc: Option<String>,
    /// `additionalProperties`, echoed from the checkout.
    pub additional_properties: Option<Value>,
    /// `signature`: base64 RSA-SHA256, when present.
    pub signature: Option<String>,
    /// `user` (current schema; meaning UNCONFIRMED).
    pub user: Option<String>,
    /// `clientId` (current schema).
    pub client_id: Option<String>,
    /// `password` (current schema; meaning UNCONFIRMED). Never printed.
    pub password: Option<SecretString>,
    /// How it was authenticated.
    pub authenticity: Authenticity,
}

impl fmt::Debug for AzamPayCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzamPayCallback")
            .field("schema", &self.schema)
            .field("utility_ref", &self.utility_ref)
            .field("reference", &self.reference)
            .field("external_reference", &self.external_reference)
            .field("transid", &self.transid)
            .field("transaction_status", &self.transaction_status)
            .field("operator", &self.operator)
            .field("msisdn", &self.msisdn.as_deref().map(mask))
            .field("amount", &self.amount)
            .field("mno_reference", &self.mno_reference)
            .field("signature", &self.signature.as_ref().map(|_| "[present]"))
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .field("authenticity", &self.authenticity)
            .finish_non_exhaustive()
    }
}

impl AzamPayCallback {
    /// AzamPay's reference: `reference`, else `transid`, else `externalreference`.
    #[must_use]
    pub fn gateway_reference(&self) -> Option<&str> {
        [&self.reference, &self.transid, &self.external_reference]
            .into_iter()
            .find_map(|v| v.as_deref().filter(|s| !s.trim().is_empty()))
    }

    /// The text the signature covers: `utilityref + externalreference + transactionstatus +
    /// operator`, no separators (docs/payments.md; an absent field counts as empty).
    #[must_use]
    pub fn signed_text(&self) -> String {
        format!(
            "{}{}{}{}",
            self.utility_ref,
            self.external_reference.as_deref().unwrap_or(""),
            self.raw_transaction_status,
            self.operator
        )
    }

    /// The outcome as a [`GatewayStatus`]; the payer account is masked.
    #[must_use]
    pub fn status(&self) -> GatewayStatus {
        match self.transaction_status {
            CallbackStatus::Success => GatewayStatus::Completed(PaymentDetails {
                amount: self.amount,
                method: self.operator.clone(),
                confirmation_code: [
                    &self.mno_reference,
                    &self.fsp_reference_id,
                    &self.transid,
                    &self.reference,
                ]
                .into_iter()
                .find_map(|v| v.clone().filter(|s| !s.trim().is_empty()))
                .unwrap_or_default(),
                payer_account: self.msisdn.as_deref().map(mask).unwrap_or_default(),
            }),
            CallbackStatus::Failure => GatewayStatus::Failed {
                reason: self
                    .message
                    .clone()
                    .filter(|m| !m.trim().is_empty())
                    .unwrap_or_else(|| "failure".to_owned()),
            },
        }
    }
}

/// Why [`crate::AzamPayClient::check_callback`] did not accept a callback. The variants that
/// parsed the body carry it, so the caller can find the attempt it names.
#[derive(Debug, thiserror::Error)]
pub enum CallbackRejection {
    /// The path token is missing or wrong (401).
    #[error("callback token missing or wrong")]
    Token,
    /// The body is not a callback (400).
    #[error("malformed callback")]
    Malformed(#[source] GatewayError),
    /// No signature although `require_signature` is set (401).
    #[error("unsigned callback refused")]
    Unsigned(Box<AzamPayCallback>),
    /// A signature is present and does not verify, also against a freshly fetched key (401;
    /// the attempt goes under review).
    #[error("the callback's signature does not verify")]
    BadSignature(Box<AzamPayCallback>),
    /// AzamPay's public key could not be fetched or read (404, 5xx, timeout, not a key): the
    /// callback may be genuine, so AzamPay must send it again (503), never 401.
    #[error("AzamPay's public key could not be obtained")]
    KeyUnavailable(#[source] GatewayError),
}

impl From<CallbackRejection> for GatewayError {
    /// The rejection as the [`crate::PaymentGateway`] trait reports it.
    fn from(r: CallbackRejection) -> Self {
        match r {
            CallbackRejection::Malformed(e) | CallbackRejection::KeyUnavailable(e) => e,
            other @ (CallbackRejection::Token
            | CallbackRejection::Unsigned(_)
            | CallbackRejection::BadSignature(_)) => {
                GatewayError::InvalidSignature(other.to_string())
            }
        }
    }
}

fn bad(reason: impl Into<String>) -> GatewayError {
    GatewayError::InvalidNotification(reason.into())
}

/// Parses a callback body (JSON object, keys matched case-insensitively). Does not check any
/// token or signature: see [`crate::AzamPayClient::verify_callback`]. Never panics.
///
/// Required are only `utilityref`, `transactionstatus` and `amount` (what the official plugin
/// and AzamPay's OpenAPI copy both send; the plugin does not require `msisdn`). Every other field
/// is optional, unknown fields are ignored, every value may be a JSON string or number, and no
/// field but `utilityref` is refused for its length or characters (a genuine callback refused
/// is a payment lost; the raw body is stored as received).
///
/// ```
/// use wetech_payments::azampay::{parse_callback, CallbackSchema, CallbackStatus};
/// let cb = parse_callback(br#"{"msisdn":"255712345678","amount":"2000","message":"ok",
///     "utilityref":"INV-1-1","operator":"Airtel","reference":"abc","transactionstatus":"Failed"}"#)?;
/// assert_eq!(cb.schema, CallbackSchema::Legacy);
/// assert_eq!(cb.transaction_status, CallbackStatus::Failure);
/// assert_eq!(cb.amount.minor(), 200_000);
/// # Ok::<(), wetech_payments::GatewayError>(())
/// ```
pub fn parse_callback(body: &[u8]) -> Result<AzamPayCallback, GatewayError> {
    if body.len() > MAX_CALLBACK_BODY {
        return Err(bad("callback too large"));
    }
    let (schema, w) = CallbackWire::read(body).map_err(|e| match e {
        CallbackBodyError::NotJson => bad("body is not valid JSON"),
        CallbackBodyError::NotAnObject => bad("body is not a JSON object"),
    })?;
    let utility_ref = required("utilityref", w.utilityref)?;
    // Our own reference, looked up as sent: nothing around it either.
    if utility_ref.chars().any(char::is_control) {
        return Err(bad("utilityref is malformed"));
    }
    let raw_transaction_status = required("transactionstatus", w.transactionstatus)?;
    let transaction_status = match raw_transaction_status.trim().to_ascii_lowercase().as_str() {
        "success" | "successful" => CallbackStatus::Success,
        "failure" | "failed" | "fail" => CallbackStatus::Failure,
        _ => return Err(bad("unknown transactionstatus")),
    };
    let amount_text = required("amount", w.amount)?;
    let amount = Money::parse_decimal(amount_text.trim(), Currency::TZS)
        .map_err(|e| bad(format!("amount: {e}")))?;
    if amount.minor() < 0 {
        return Err(bad("negative amount"));
    }
    let additional_properties = w.additionalproperties.filter(|v| !v.is_null());
    // A signature that is not text is still a signature that was sent: kept as its JSON text,
    // it fails verification (401, the attempt under review) instead of being ignored.
    let signature = match w.signature {
        None | Some(SignatureWire::Other(Value::Null)) => None,
        Some(SignatureWire::Text(s)) => free_text(Some(s)),
        Some(SignatureWire::Other(other)) => Some(other.to_string()),
    };
    Ok(AzamPayCallback {
        schema,
        utility_ref,
        reference: free_text(w.reference),
        external_reference: free_text(w.externalreference),
        transid: free_text(w.transid),
        transaction_status,
        raw_transaction_status,
        operator: free_text(w.operator).unwrap_or_default(),
        msisdn: free_text(w.msisdn),
        amount,
        message: free_text(w.message),
        mno_reference: free_text(w.mnoreference),
        fsp_reference_id: free_text(w.fspreferenceid),
        submerchant_acc: free_text(w.submerchantacc),
        additional_properties,
        signature,
        user: free_text(w.user),
        client_id: free_text(w.clientid),
        password: free_text(w.password).map(SecretString::from),
        authenticity: Authenticity::NotChecked,
    })
}

/// A required field that must name something of ours (`utilityref`) or be read as a word or
/// a number (`transactionstatus`, `amount`): at most [`MAX_REFERENCE_LEN`] characters, no
/// control characters but surrounding white space (a trailing line break does not make
/// `success` another word); blank reads as absent.
fn required(key: &str, value: Option<String>) -> Result<String, GatewayError> {
    match value {
        Some(s)
            if s.chars().count() > MAX_REFERENCE_LEN || s.trim().chars().any(char::is_control) =>
        {
            Err(bad(format!("{key} is malformed")))
        }
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(bad(format!("missing {key}"))),
    }
}

/// Every other field (`message`, `operator`, `submerchantAcc`, the references, …): AzamPay
/// documents no length or character limit, so none is imposed (the body as a whole is bounded
/// by [`MAX_CALLBACK_BODY`]); kept exactly as sent, line breaks and control characters
/// included; blank reads as absent.
fn free_text(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_schema_and_signed_text() {
        let cb = parse_callback(
            br#"{"message":"Paid","user":"u","password":"pw","clientId":"c","transactionstatus":"success",
                "operator":"Airtel","reference":"r1","externalreference":"pg-ref-001","utilityref":"vendor-ref-001",
                "amount":"2000.00","transid":"t1","msisdn":"255712345678","mnoreference":"MNO1",
                "submerchantAcc":null,"additionalProperties":{"a":1},"signature":null}"#,
        )
        .unwrap();
        assert_eq!(cb.schema, CallbackSchema::Current);
        assert_eq!(cb.signed_text(), "vendor-ref-001pg-ref-001successAirtel");
        assert!(cb.signature.is_none());
        assert!(!format!("{cb:?}").contains("pw"));
        assert!(!format!("{cb:?}").contains("255712345678"));
        match cb.status() {
            GatewayStatus::Completed(d) => {
                assert_eq!(d.confirmation_code, "MNO1");
                assert_eq!(d.amount.minor(), 200_000);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_missing_or_strange_fields() {
        for body in [
            &br#"{"amount":"1","msisdn":"255712345678","transactionstatus":"success"}"#[..],
            br#"{"utilityref":"x","msisdn":"255712345678","transactionstatus":"success"}"#,
            br#"{"utilityref":"x","amount":"1","msisdn":"255712345678","transactionstatus":"maybe"}"#,
            br#"{"utilityref":"x","amount":"1.001","msisdn":"255712345678","transactionstatus":"success"}"#,
            br#"{"utilityref":"x","amount":"-1","msisdn":"255712345678","transactionstatus":"success"}"#,
            b"[]",
            b"",
            b"{",
        ] {
            assert!(parse_callback(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
    }

    /// What the official WooCommerce plugin requires (`utilityref`, `reference`,
    /// `transactionstatus`, `amount`: no `msisdn`) is enough.
    #[test]
    fn the_plugins_minimal_callback_is_accepted_without_msisdn() {
        let cb = parse_callback(
            br#"{"utilityref":"WT1","reference":"AZ-88","transactionstatus":"success","amount":"2000"}"#,
        )
        .unwrap();
        assert_eq!(cb.msisdn, None);
        assert_eq!(cb.gateway_reference(), Some("AZ-88"));
        match cb.status() {
            GatewayStatus::Completed(d) => assert_eq!(d.payer_account, ""),
            other => panic!("{other:?}"),
        }
    }

    /// AzamPay's OpenAPI copy: 13 required fields, numbers where strings are documented, the
    /// nullable ones null.
    #[test]
    fn the_openapi_callback_with_numbers_and_nulls_is_accepted() {
        let cb = parse_callback(
            br#"{"message":"Transaction successful","user":"merchant-user","password":"p@ss",
                "clientId":"3f7c","transactionstatus":"SUCCESS","operator":"Tigo","reference":123456789,
                "externalreference":"pg-ref-001","utilityref":"WT2","amount":2000.00,"transid":987654321,
                "msisdn":255712345678,"mnoreference":"MP231203.1234.A56789","submerchantAcc":null,
                "additionalProperties":null,"signature":null,"fspReferenceId":null}"#,
        )
        .unwrap();
        assert_eq!(cb.schema, CallbackSchema::Current);
        assert_eq!(cb.transaction_status, CallbackStatus::Success);
        assert_eq!(cb.amount.minor(), 200_000);
        assert_eq!(cb.reference.as_deref(), Some("123456789"));
        assert_eq!(cb.transid.as_deref(), Some("987654321"));
        assert_eq!(cb.msisdn.as_deref(), Some("255712345678"));
        assert!(cb.submerchant_acc.is_none() && cb.signature.is_none());
    }

    /// A signature that is not text is a signature that was sent: kept, so it fails to verify.
    #[test]
    fn a_signature_that_is_not_text_is_kept_to_fail_verification() {
        let cb = parse_callback(
            br#"{"utilityref":"x","amount":"1","transactionstatus":"success","signature":5}"#,
        )
        .unwrap();
        assert_eq!(cb.signature.as_deref(), Some("5"));
    }

    /// Every field but `utilityref` may be long and hold line breaks and control characters.
    #[test]
    fn long_multi_line_fields_of_every_kind_are_kept_raw() {
        let long = r"Mixx by Yas\r\nref:\u0007 ".repeat(200);
        let body = format!(
            r#"{{"utilityref":"WT3","amount":" 2000 ","transactionstatus":"success","msisdn":"255712345678",
                "operator":"{long}","message":"{long}","submerchantAcc":"{long}","mnoreference":"{long}",
                "reference":"{long}","transid":"{long}","externalreference":"{long}","user":"{long}",
                "clientId":"{long}","password":"{long}","fspReferenceId":"{long}"}}"#
        );
        assert!(body.len() < MAX_CALLBACK_BODY);
        let cb = parse_callback(body.as_bytes()).unwrap();
        let expected = "Mixx by Yas\r\nref:\u{7} ".repeat(200);
        for (name, value) in [
            ("operator", Some(&cb.operator)),
            ("message", cb.message.as_ref()),
            ("submerchantAcc", cb.submerchant_acc.as_ref()),
            ("mnoreference", cb.mno_reference.as_ref()),
            ("reference", cb.reference.as_ref()),
            ("transid", cb.transid.as_ref()),
            ("externalreference", cb.external_reference.as_ref()),
            ("user", cb.user.as_ref()),
            ("clientId", cb.client_id.as_ref()),
            ("fspReferenceId", cb.fsp_reference_id.as_ref()),
        ] {
            assert_eq!(value.map(String::as_str), Some(expected.as_str()), "{name}");
        }
        assert_eq!(cb.amount.minor(), 200_000);
    }

    #[test]
    fn free_text_of_any_length_and_characters_is_kept() {
        let long = "insufficient balance; ".repeat(40);
        let body = serde_json::json!({
            "utilityref": "INV-1-1", "amount": 2000, "msisdn": 255_712_345_678_i64,
            "transactionstatus": "FAILED", "operator": "Mixx by Yas\tTigo",
            "message": long, "reference": "abc", "source": "unknown fields are ignored"
        });
        let cb = parse_callback(body.to_string().as_bytes()).unwrap();
        assert_eq!(cb.message.as_deref(), Some(long.as_str()));
        assert_eq!(cb.operator, "Mixx by Yas\tTigo");
        assert_eq!(cb.amount.minor(), 200_000);
        assert_eq!(cb.msisdn.as_deref(), Some("255712345678"));
        assert_eq!(cb.transaction_status, CallbackStatus::Failure);
        // Identifiers stay bounded.
        let body = serde_json::json!({
            "utilityref": "x".repeat(300), "amount": "1", "msisdn": "255712345678",
            "transactionstatus": "success"
        });
        assert!(parse_callback(body.to_string().as_bytes()).is_err());
    }
}
