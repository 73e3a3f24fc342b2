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
const MAX_FIELD_LEN: usize = 256;

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
    /// `msisdn`: the payer's number as sent.
    pub msisdn: String,
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
            .field("msisdn", &mask(&self.msisdn))
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
                payer_account: mask(&self.msisdn),
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

fn bad(reason: impl Into<String>) -> GatewayError {
    GatewayError::InvalidNotification(reason.into())
}

/// Parses a callback body (JSON object, keys matched case-insensitively). Does not check any
/// token or signature: see [`crate::AzamPayClient::verify_callback`]. Never panics.
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
    let raw_transaction_status = required("transactionstatus", w.transactionstatus)?;
    let transaction_status = match raw_transaction_status.trim().to_ascii_lowercase().as_str() {
        "success" | "successful" => CallbackStatus::Success,
        "failure" | "failed" | "fail" => CallbackStatus::Failure,
        _ => return Err(bad("unknown transactionstatus")),
    };
    let amount_text = required("amount", w.amount)?;
    let amount = Money::parse_decimal(&amount_text, Currency::TZS)
        .map_err(|e| bad(format!("amount: {e}")))?;
    if amount.minor() < 0 {
        return Err(bad("negative amount"));
    }
    let msisdn = required("msisdn", w.msisdn)?;
    let additional_properties = w.additionalproperties.filter(|v| !v.is_null());
    let signature = match w.signature {
        None => None,
        Some(SignatureWire::Other(Value::Null)) => None,
        Some(SignatureWire::Text(s)) if s.trim().is_empty() => None,
        Some(SignatureWire::Text(s)) if s.len() <= 4096 => Some(s),
        Some(SignatureWire::Text(_) | SignatureWire::Other(_)) => {
            return Err(bad("signature is malformed"));
        }
    };
    Ok(AzamPayCallback {
        schema,
        utility_ref,
        reference: identifier("reference", w.reference)?,
        external_reference: identifier("externalreference", w.externalreference)?,
        transid: identifier("transid", w.transid)?,
        transaction_status,
        raw_transaction_status,
        operator: free_text(w.operator).unwrap_or_default(),
        msisdn,
        amount,
        message: free_text(w.message),
        mno_reference: identifier("mnoreference", w.mnoreference)?,
        fsp_reference_id: identifier("fspreferenceid", w.fspreferenceid)?,
        submerchant_acc: identifier("submerchantacc", w.submerchantacc)?,
        additional_properties,
        signature,
        user: identifier("user", w.user)?,
        client_id: identifier("clientid", w.clientid)?,
        password: identifier("password", w.password)?.map(SecretString::from),
        authenticity: Authenticity::NotChecked,
    })
}

/// An identifier or credential: at most [`MAX_FIELD_LEN`] characters, no control characters;
/// blank reads as absent.
fn identifier(key: &str, value: Option<String>) -> Result<Option<String>, GatewayError> {
    match value {
        Some(s) if s.chars().count() > MAX_FIELD_LEN || s.chars().any(char::is_control) => {
            Err(bad(format!("{key} is malformed")))
        }
        Some(s) if s.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// A required identifier.
fn required(key: &str, value: Option<String>) -> Result<String, GatewayError> {
    identifier(key, value)?.ok_or_else(|| bad(format!("missing {key}")))
}

/// Free text (`message`, `operator`): AzamPay documents no length or character limit, so none
/// is imposed (the body as a whole is bounded by [`MAX_CALLBACK_BODY`]); blank reads as absent.
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
            br#"{"utilityref":"x","amount":"1","transactionstatus":"success"}"#,
            br#"{"utilityref":"x","amount":"1","msisdn":"2","transactionstatus":"success","signature":5}"#,
            b"[]",
            b"",
            b"{",
        ] {
            assert!(parse_callback(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
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
        assert_eq!(cb.msisdn, "255712345678");
        assert_eq!(cb.transaction_status, CallbackStatus::Failure);
        // Identifiers stay bounded.
        let body = serde_json::json!({
            "utilityref": "x".repeat(300), "amount": "1", "msisdn": "255712345678",
            "transactionstatus": "success"
        });
        assert!(parse_callback(body.to_string().as_bytes()).is_err());
    }
}
