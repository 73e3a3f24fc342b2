//! Pesapal IPN parsing (GET query, POST JSON, POST form) and the acknowledgement body.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::GatewayError;
use crate::gateway::NotificationMethod;
use crate::lenient::value_to_string;

/// Largest IPN body accepted.
pub const MAX_IPN_BODY: usize = 16 * 1024;
const MAX_VALUE_LEN: usize = 200;

/// `OrderNotificationType`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PesapalNotificationType {
    /// `IPNCHANGE`: the transaction's status changed.
    IpnChange,
    /// `RECURRING`: a subscription charge.
    Recurring,
    /// `CALLBACKURL`: the browser redirect.
    CallbackUrl,
    /// Anything else, kept as sent.
    Other(String),
}

impl PesapalNotificationType {
    /// Reads the value case-insensitively.
    #[must_use]
    pub fn parse(text: &str) -> PesapalNotificationType {
        match text.trim().to_ascii_uppercase().as_str() {
            "IPNCHANGE" => PesapalNotificationType::IpnChange,
            "RECURRING" => PesapalNotificationType::Recurring,
            "CALLBACKURL" => PesapalNotificationType::CallbackUrl,
            _ => PesapalNotificationType::Other(text.trim().to_owned()),
        }
    }

    /// The wire value (`IPNCHANGE`, …).
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            PesapalNotificationType::IpnChange => "IPNCHANGE",
            PesapalNotificationType::Recurring => "RECURRING",
            PesapalNotificationType::CallbackUrl => "CALLBACKURL",
            PesapalNotificationType::Other(s) => s,
        }
    }
}

/// A Pesapal IPN: identifiers only, no status and no signature. Confirm with
/// GetTransactionStatus before acting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PesapalIpn {
    /// `OrderTrackingId`.
    pub order_tracking_id: String,
    /// `OrderMerchantReference`.
    pub merchant_reference: String,
    /// `OrderNotificationType` (`IPNCHANGE` when absent).
    pub notification_type: PesapalNotificationType,
}

impl PesapalIpn {
    /// The acknowledgement body Pesapal expects (docs/payments.md): lower-camel-case echo of the
    /// three values plus an integer `status`, 200 when handled, 500 when not (Pesapal resends).
    ///
    /// ```
    /// use wetech_payments::pesapal::{parse_ipn, PesapalIpn};
    /// use wetech_payments::NotificationMethod;
    /// let ipn = parse_ipn(
    ///     NotificationMethod::Get,
    ///     "OrderTrackingId=abc&OrderMerchantReference=INV-1&OrderNotificationType=IPNCHANGE",
    ///     None,
    ///     b"",
    /// )?;
    /// assert_eq!(
    ///     ipn.acknowledgement(true),
    ///     r#"{"orderNotificationType":"IPNCHANGE","orderTrackingId":"abc","orderMerchantReference":"INV-1","status":200}"#
    /// );
    /// # Ok::<(), wetech_payments::GatewayError>(())
    /// ```
    #[must_use]
    pub fn acknowledgement(&self, handled: bool) -> String {
        ipn_acknowledgement(
            self.notification_type.as_str(),
            &self.order_tracking_id,
            &self.merchant_reference,
            handled,
        )
    }
}

/// The acknowledgement body for raw values (use when parsing failed but some values are known).
#[must_use]
pub fn ipn_acknowledgement(
    notification_type: &str,
    order_tracking_id: &str,
    merchant_reference: &str,
    handled: bool,
) -> String {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Ack<'a> {
        order_notification_type: &'a str,
        order_tracking_id: &'a str,
        order_merchant_reference: &'a str,
        status: u16,
    }
    let ack = Ack {
        order_notification_type: notification_type,
        order_tracking_id,
        order_merchant_reference: merchant_reference,
        status: if handled { 200 } else { 500 },
    };
    serde_json::to_string(&ack).unwrap_or_default()
}

fn bad(reason: impl Into<String>) -> GatewayError {
    GatewayError::InvalidNotification(reason.into())
}

/// Parses an IPN from the query string and, for POST, a JSON or form body. Keys are matched
/// case-insensitively; body values win over query values. `OrderTrackingId` and
/// `OrderMerchantReference` are required; a missing `OrderNotificationType` means `IPNCHANGE`.
/// Never panics, whatever the input.
pub fn parse_ipn(
    method: NotificationMethod,
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<PesapalIpn, GatewayError> {
    parse(method, query, content_type, body, false)
}

/// Parses an IPN as [`parse_ipn`] does, but `OrderNotificationType` is required too: Pesapal
/// sends all three to the IPN URL, while its browser return carries only the first two.
///
/// ```
/// use wetech_payments::pesapal::parse_ipn_strict;
/// use wetech_payments::NotificationMethod;
/// let q = "OrderTrackingId=abc&OrderMerchantReference=INV-1";
/// assert!(parse_ipn_strict(NotificationMethod::Get, q, None, b"").is_err());
/// let q = "OrderTrackingId=abc&OrderMerchantReference=INV-1&OrderNotificationType=IPNCHANGE";
/// assert!(parse_ipn_strict(NotificationMethod::Get, q, None, b"").is_ok());
/// ```
pub fn parse_ipn_strict(
    method: NotificationMethod,
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<PesapalIpn, GatewayError> {
    parse(method, query, content_type, body, true)
}

fn parse(
    method: NotificationMethod,
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
    type_required: bool,
) -> Result<PesapalIpn, GatewayError> {
    if body.len() > MAX_IPN_BODY || query.len() > MAX_IPN_BODY {
        return Err(bad("notification too large"));
    }
    let mut values: HashMap<String, String> = HashMap::new();
    if method == NotificationMethod::Post && !body.iter().all(u8::is_ascii_whitespace) {
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        let looks_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if ct.contains("json") || (looks_json && !ct.contains("x-www-form-urlencoded")) {
            let parsed: Value =
                serde_json::from_slice(body).map_err(|_| bad("body is not valid JSON"))?;
            let Value::Object(map) = parsed else {
                return Err(bad("JSON body is not an object"));
            };
            for (k, v) in map {
                if let Some(s) = value_to_string(&v) {
                    values.entry(k.to_ascii_lowercase()).or_insert(s);
                }
            }
        } else {
            for (k, v) in url::form_urlencoded::parse(body) {
                values
                    .entry(k.to_ascii_lowercase())
                    .or_insert_with(|| v.into_owned());
            }
        }
    }
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        values
            .entry(k.to_ascii_lowercase())
            .or_insert_with(|| v.into_owned());
    }
    let get = |key: &str, required: bool| -> Result<Option<String>, GatewayError> {
        let raw = values.get(key);
        if raw.is_some_and(|v| v.chars().any(char::is_control)) {
            return Err(bad(format!("{key} is malformed")));
        }
        match raw.map(|v| v.trim()) {
            Some(v) if !v.is_empty() => {
                if v.chars().count() > MAX_VALUE_LEN {
                    Err(bad(format!("{key} is malformed")))
                } else {
                    Ok(Some(v.to_owned()))
                }
            }
            _ if required => Err(bad(format!("missing {key}"))),
            _ => Ok(None),
        }
    };
    let order_tracking_id = get("ordertrackingid", true)?.unwrap_or_default();
    let merchant_reference = get("ordermerchantreference", true)?.unwrap_or_default();
    let notification_type = get("ordernotificationtype", type_required)?
        .map_or(PesapalNotificationType::IpnChange, |t| {
            PesapalNotificationType::parse(&t)
        });
    Ok(PesapalIpn {
        order_tracking_id,
        merchant_reference,
        notification_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_get_json_and_form() {
        let get = parse_ipn(
            NotificationMethod::Get,
            "OrderTrackingId=t1&OrderMerchantReference=m1&OrderNotificationType=ipnchange",
            None,
            b"",
        )
        .unwrap();
        assert_eq!(get.order_tracking_id, "t1");
        assert_eq!(get.notification_type, PesapalNotificationType::IpnChange);
        let json = parse_ipn(
            NotificationMethod::Post,
            "",
            Some("application/json"),
            br#"{"OrderTrackingId":"t2","OrderMerchantReference":"m2","OrderNotificationType":"RECURRING"}"#,
        )
        .unwrap();
        assert_eq!(
            (
                json.order_tracking_id.as_str(),
                json.merchant_reference.as_str()
            ),
            ("t2", "m2")
        );
        assert_eq!(json.notification_type, PesapalNotificationType::Recurring);
        let form = parse_ipn(
            NotificationMethod::Post,
            "",
            Some("application/x-www-form-urlencoded"),
            b"orderTrackingId=t3&orderMerchantReference=m%203",
        )
        .unwrap();
        assert_eq!(form.merchant_reference, "m 3");
        // POST with the values in the query string only.
        let q = parse_ipn(
            NotificationMethod::Post,
            "OrderTrackingId=t4&OrderMerchantReference=m4",
            None,
            b"",
        )
        .unwrap();
        assert_eq!(q.order_tracking_id, "t4");
    }

    #[test]
    fn refuses_missing_and_hostile_values() {
        for (q, body) in [
            ("OrderMerchantReference=m", &b""[..]),
            ("OrderTrackingId=t", b""),
            ("OrderTrackingId=&OrderMerchantReference=m", b""),
            ("OrderTrackingId=t%0A&OrderMerchantReference=m", b""),
        ] {
            assert!(
                parse_ipn(NotificationMethod::Get, q, None, body).is_err(),
                "{q}"
            );
        }
        assert!(
            parse_ipn(
                NotificationMethod::Post,
                "",
                Some("application/json"),
                b"[1,2]"
            )
            .is_err()
        );
        assert!(parse_ipn(NotificationMethod::Post, "", Some("application/json"), b"{").is_err());
        let long = format!(
            "OrderTrackingId={}&OrderMerchantReference=m",
            "a".repeat(300)
        );
        assert!(parse_ipn(NotificationMethod::Get, &long, None, b"").is_err());
        let huge = vec![b'a'; MAX_IPN_BODY + 1];
        assert!(parse_ipn(NotificationMethod::Post, "", None, &huge).is_err());
    }
}
