//! Pesapal API 3.0 JSON, as it is on the wire (docs/payments.md), and its conversion into the
//! crate's own types. Readers are tolerant: `status` may be a string or a number, `error` may be
//! `null`, an object with `error_type` or `type`, or even a string.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::GatewayError;
use crate::gateway::{GatewayStatus, PaymentDetails, StatusReport};
use crate::lenient::{opt_i64, opt_string, raw_money};
use crate::money::Currency;
use crate::pesapal::{IpnNotificationType, IpnRegistration};

// ---------------------------------------------------------------- requests

#[derive(Serialize)]
pub(crate) struct TokenRequest<'a> {
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
}

#[derive(Serialize)]
pub(crate) struct RegisterIpnRequest<'a> {
    pub url: &'a str,
    pub ipn_notification_type: &'a str,
}

#[derive(Serialize)]
pub(crate) struct SubmitOrderWire<'a> {
    pub id: &'a str,
    pub currency: &'a str,
    /// Exact digits, written as a JSON number (`500000.00`).
    pub amount: Box<RawValue>,
    pub description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_mode: Option<&'a str>,
    pub callback_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellation_url: Option<&'a str>,
    pub notification_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<&'a str>,
    pub billing_address: BillingAddressWire<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_details: Option<SubscriptionWire<'a>>,
}

#[derive(Serialize)]
pub(crate) struct BillingAddressWire<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_1: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_2: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<&'a str>,
}

#[derive(Serialize)]
pub(crate) struct SubscriptionWire<'a> {
    pub start_date: &'a str,
    pub end_date: &'a str,
    pub frequency: &'a str,
}

#[derive(Serialize)]
pub(crate) struct RefundWire<'a> {
    pub confirmation_code: &'a str,
    /// The documentation's sample sends the amount as a string (`"100.00"`); so do we.
    pub amount: String,
    pub username: &'a str,
    pub remarks: &'a str,
}

#[derive(Serialize)]
pub(crate) struct CancelWire<'a> {
    pub order_tracking_id: &'a str,
}

// ---------------------------------------------------------------- responses

/// `{"error_type"|"type", "code", "message", "call_back_url"}`, all possibly null.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorObject {
    #[serde(default, alias = "type", deserialize_with = "opt_string")]
    pub error_type: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub message: Option<String>,
}

impl ErrorObject {
    /// Reads the `error` member in any of its shapes; `None` when it says nothing.
    pub fn from_value(v: Option<&Value>) -> Option<ErrorObject> {
        let e = match v? {
            Value::Object(_) => serde_json::from_value::<ErrorObject>(v?.clone()).ok()?,
            Value::String(s) if !s.trim().is_empty() => ErrorObject {
                error_type: None,
                code: None,
                message: Some(s.clone()),
            },
            _ => return None,
        };
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
        if blank(&e.code) && blank(&e.message) && blank(&e.error_type) {
            None
        } else {
            Some(e)
        }
    }

    pub fn code(&self) -> String {
        self.code
            .clone()
            .filter(|c| !c.trim().is_empty())
            .or_else(|| self.error_type.clone())
            .unwrap_or_else(|| "error".to_owned())
    }

    /// Message, falling back to the code (Pesapal often sends an empty message).
    pub fn message(&self) -> String {
        self.message
            .clone()
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| self.code())
    }

    /// Codes that mean our credentials or token were refused.
    pub fn is_auth(&self) -> bool {
        let c = self.code().to_ascii_lowercase();
        c.contains("consumer_key")
            || c.contains("consumer_secret")
            || c.contains("token")
            || c.contains("unauthori")
    }

    pub fn into_error(self) -> GatewayError {
        if self.is_auth() {
            GatewayError::Unauthorized {
                code: self.code(),
                message: self.message(),
            }
        } else {
            GatewayError::Rejected {
                code: self.code(),
                message: self.message(),
            }
        }
    }
}

/// Whether an envelope `status` says success (`"200"` or `200`; absent counts as success).
pub(crate) fn status_ok(status: Option<&str>) -> bool {
    status.is_none_or(|s| s.trim() == "200")
}

#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    #[serde(default, deserialize_with = "opt_string")]
    pub token: Option<String>,
    #[serde(default, rename = "expiryDate", deserialize_with = "opt_string")]
    pub expiry_date: Option<String>,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default, deserialize_with = "opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct IpnWire {
    #[serde(default, deserialize_with = "opt_string")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub created_date: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub ipn_id: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub notification_type: Option<i64>,
    #[serde(default, deserialize_with = "opt_string")]
    pub ipn_notification_type_description: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub ipn_status: Option<i64>,
    /// Misspelled on the wire; the correct spelling is accepted too.
    #[serde(
        default,
        alias = "ipn_status_description",
        deserialize_with = "opt_string"
    )]
    pub ipn_status_decription: Option<String>,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default, deserialize_with = "opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub message: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct SubmitOrderResponse {
    #[serde(default, deserialize_with = "opt_string")]
    pub order_tracking_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub merchant_reference: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub redirect_url: Option<String>,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default, deserialize_with = "opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub message: Option<String>,
}

/// `{"status": "200", "message": "..."}` of RefundRequest and CancelOrder.
#[derive(Deserialize)]
pub(crate) struct SimpleResponse {
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default, deserialize_with = "opt_string")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub message: Option<String>,
}

/// GetTransactionStatus (docs/payments.md).
#[derive(Deserialize)]
pub(crate) struct TransactionStatusWire {
    #[serde(default, deserialize_with = "opt_string")]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub amount: Option<Box<RawValue>>,
    #[serde(default, deserialize_with = "opt_string")]
    pub confirmation_code: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub order_tracking_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub payment_status_description: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub payment_account: Option<String>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub status_code: Option<i64>,
    #[serde(default, deserialize_with = "opt_string")]
    pub merchant_reference: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub payment_status_code: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    pub currency: Option<String>,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default, deserialize_with = "opt_string")]
    pub status: Option<String>,
}

/// Pesapal's `status_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatusCode {
    Invalid,
    Completed,
    Failed,
    Reversed,
}

impl StatusCode {
    fn from_code(code: i64) -> Option<StatusCode> {
        match code {
            0 => Some(StatusCode::Invalid),
            1 => Some(StatusCode::Completed),
            2 => Some(StatusCode::Failed),
            3 => Some(StatusCode::Reversed),
            _ => None,
        }
    }

    fn from_description(text: &str) -> Option<StatusCode> {
        match text.trim().to_ascii_uppercase().as_str() {
            "INVALID" | "PENDING" => Some(StatusCode::Invalid),
            "COMPLETED" => Some(StatusCode::Completed),
            "FAILED" => Some(StatusCode::Failed),
            "REVERSED" => Some(StatusCode::Reversed),
            _ => None,
        }
    }
}

/// The one error code that means "not paid yet" (docs/payments.md, the pending trap).
pub(crate) const PENDING_CODE: &str = "payment_details_not_found";

impl TransactionStatusWire {
    /// Interprets a status answer. `queried` is the tracking id that was asked about.
    pub fn into_report(self, queried: &str) -> Result<StatusReport, GatewayError> {
        let gateway_reference = self
            .order_tracking_id
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| queried.to_owned());
        let merchant_reference = self
            .merchant_reference
            .clone()
            .filter(|s| !s.trim().is_empty());
        let status = self.status()?;
        Ok(StatusReport {
            gateway_reference,
            merchant_reference,
            status,
        })
    }

    fn status(self) -> Result<GatewayStatus, GatewayError> {
        let error = ErrorObject::from_value(self.error.as_ref());
        if let Some(e) = &error
            && e.code
                .as_deref()
                .is_some_and(|c| c.trim().eq_ignore_ascii_case(PENDING_CODE))
        {
            return Ok(GatewayStatus::Pending);
        }
        if !status_ok(self.status.as_deref())
            && let Some(e) = error
        {
            return Err(e.into_error());
        }
        let code = match (self.status_code, self.payment_status_description.as_deref()) {
            (Some(n), _) => StatusCode::from_code(n).ok_or_else(|| {
                GatewayError::InvalidResponse(format!("unknown Pesapal status_code {n}"))
            })?,
            (None, Some(d)) => StatusCode::from_description(d).ok_or_else(|| {
                GatewayError::InvalidResponse(
                    "unknown Pesapal payment_status_description".to_owned(),
                )
            })?,
            (None, None) => {
                return Err(GatewayError::InvalidResponse(
                    "status answer without status_code or payment_status_description".to_owned(),
                ));
            }
        };
        let reason = || {
            [
                self.description.as_deref(),
                self.payment_status_code.as_deref(),
                self.payment_status_description.as_deref(),
            ]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(": ")
        };
        match code {
            StatusCode::Invalid => Ok(GatewayStatus::Pending),
            StatusCode::Failed => Ok(GatewayStatus::Failed {
                reason: non_empty(reason(), "FAILED"),
            }),
            StatusCode::Reversed => Ok(GatewayStatus::Reversed {
                reason: non_empty(reason(), "REVERSED"),
            }),
            StatusCode::Completed => {
                let currency = self
                    .currency
                    .as_deref()
                    .ok_or_else(|| {
                        GatewayError::InvalidResponse(
                            "completed payment without currency".to_owned(),
                        )
                    })
                    .and_then(|c| {
                        Currency::parse(c).map_err(|e| GatewayError::InvalidResponse(e.to_string()))
                    })?;
                let amount = self
                    .amount
                    .as_deref()
                    .ok_or_else(|| {
                        GatewayError::InvalidResponse("completed payment without amount".to_owned())
                    })
                    .and_then(|raw| {
                        raw_money(raw, currency)
                            .map_err(|e| GatewayError::InvalidResponse(e.to_string()))
                    })?;
                Ok(GatewayStatus::Completed(PaymentDetails {
                    amount,
                    method: self.payment_method.unwrap_or_default(),
                    confirmation_code: self.confirmation_code.unwrap_or_default(),
                    payer_account: self.payment_account.unwrap_or_default(),
                }))
            }
        }
    }
}

fn non_empty(s: String, fallback: &str) -> String {
    if s.is_empty() { fallback.to_owned() } else { s }
}

impl IpnWire {
    /// The registration this entry describes; an entry without `ipn_id` is malformed.
    pub(crate) fn into_registration(self) -> Result<IpnRegistration, GatewayError> {
        let w = self;
        let ipn_id = w
            .ipn_id
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| GatewayError::InvalidResponse("IPN entry without ipn_id".to_owned()))?;
        let notification_type = match (
            w.notification_type,
            w.ipn_notification_type_description.as_deref(),
        ) {
            (Some(0), _) => Some(IpnNotificationType::Get),
            (Some(1), _) => Some(IpnNotificationType::Post),
            (_, Some(d)) if d.eq_ignore_ascii_case("GET") => Some(IpnNotificationType::Get),
            (_, Some(d)) if d.eq_ignore_ascii_case("POST") => Some(IpnNotificationType::Post),
            _ => None,
        };
        let active = match (w.ipn_status, w.ipn_status_decription.as_deref()) {
            (Some(n), _) => Some(n == 1),
            (None, Some(d)) => Some(d.eq_ignore_ascii_case("active")),
            (None, None) => None,
        };
        Ok(IpnRegistration {
            ipn_id,
            url: w.url.unwrap_or_default(),
            created_date: w.created_date,
            notification_type,
            active,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(json: &str) -> Result<StatusReport, GatewayError> {
        serde_json::from_str::<TransactionStatusWire>(json)
            .unwrap()
            .into_report("q")
    }

    #[test]
    fn every_status_code_maps() {
        let completed = report(
            r#"{"payment_method":"Visa","amount":10.00,"confirmation_code":"C1","payment_status_description":"Completed",
                "payment_account":"476173**0010","status_code":1,"merchant_reference":"M1","currency":"KES",
                "error":{"error_type":null,"code":null,"message":null,"call_back_url":null},"status":"200"}"#,
        )
        .unwrap();
        match completed.status {
            GatewayStatus::Completed(d) => {
                assert_eq!(d.amount.minor(), 1000);
                assert_eq!(d.amount.currency(), Currency::KES);
                assert_eq!(d.confirmation_code, "C1");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(completed.merchant_reference.as_deref(), Some("M1"));
        assert!(
            matches!(report(r#"{"status_code":2,"description":"Declined","status":"200"}"#).unwrap().status,
            GatewayStatus::Failed { reason } if reason.contains("Declined"))
        );
        assert!(matches!(
            report(r#"{"status_code":"3","status":200}"#)
                .unwrap()
                .status,
            GatewayStatus::Reversed { .. }
        ));
        assert_eq!(
            report(r#"{"status_code":0,"status":"200"}"#)
                .unwrap()
                .status,
            GatewayStatus::Pending
        );
        assert!(matches!(
            report(r#"{"status_code":9,"status":"200"}"#),
            Err(GatewayError::InvalidResponse(_))
        ));
        assert!(matches!(
            report(r#"{"payment_status_description":"failed"}"#)
                .unwrap()
                .status,
            GatewayStatus::Failed { .. }
        ));
    }

    #[test]
    fn pending_trap_is_pending_and_other_errors_are_rejections() {
        let pending = r#"{"status_code":0,"payment_status_description":"INVALID","status":"500",
            "error":{"error_type":"api_error","code":"payment_details_not_found","message":"Pending Payment"}}"#;
        assert_eq!(report(pending).unwrap().status, GatewayStatus::Pending);
        let bad = r#"{"status":"500","error":{"type":"api_error","code":"invalid_order_tracking_id","message":""}}"#;
        assert!(
            matches!(report(bad), Err(GatewayError::Rejected { code, message }) if code == "invalid_order_tracking_id" && message == "invalid_order_tracking_id")
        );
        let completed_no_amount = r#"{"status_code":1,"currency":"KES","status":"200"}"#;
        assert!(matches!(
            report(completed_no_amount),
            Err(GatewayError::InvalidResponse(_))
        ));
        let float_noise = r#"{"status_code":1,"currency":"KES","amount":"abc","status":"200"}"#;
        assert!(matches!(
            report(float_noise),
            Err(GatewayError::InvalidResponse(_))
        ));
    }
}
