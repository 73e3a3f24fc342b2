//! Target `pesapal_ipn`: `parse_ipn` and `parse_ipn_strict` on a method, a content type, a
//! query string and a body.
//!
//! Input: one byte (bit 0: GET or POST; the next three bits: the content type), then the query
//! up to a NUL, then the body.

use wetech_payments::NotificationMethod;
use wetech_payments::pesapal::{PesapalIpn, PesapalNotificationType, parse_ipn, parse_ipn_strict};

use crate::input::{Input, text};

const CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("application/json; charset=utf-8"),
    Some("text/plain"),
    Some("APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8"),
    Some("multipart/form-data"),
    Some(""),
];

/// Parses one IPN and checks what a parsed IPN promises.
pub fn pesapal_ipn(data: &[u8]) {
    let mut input = Input::new(data);
    let selector = input.byte();
    let method = if selector & 1 == 0 {
        NotificationMethod::Get
    } else {
        NotificationMethod::Post
    };
    let content_type = CONTENT_TYPES[usize::from(selector >> 1) % CONTENT_TYPES.len()];
    let query = text(input.part());
    let body = input.rest();

    let lenient = parse_ipn(method, &query, content_type, body);
    let strict = parse_ipn_strict(method, &query, content_type, body);
    if let Ok(ipn) = &strict {
        assert_eq!(
            lenient.as_ref().ok(),
            Some(ipn),
            "strict parse accepted what lenient refused"
        );
    }
    let Ok(ipn) = lenient else { return };
    for value in [&ipn.order_tracking_id, &ipn.merchant_reference] {
        assert!(!value.is_empty(), "empty identifier accepted");
        assert_eq!(value.trim(), value.as_str(), "identifier not trimmed");
        assert!(value.chars().count() <= 200, "identifier too long");
        assert!(
            !value.chars().any(char::is_control),
            "control character kept"
        );
    }
    if let PesapalNotificationType::Other(t) = &ipn.notification_type {
        assert!(
            !t.trim().is_empty(),
            "blank notification type kept as Other"
        );
    }
    check_acknowledgement(&ipn);
    check_round_trip(&ipn);
}

/// The acknowledgement is JSON that echoes the three values.
fn check_acknowledgement(ipn: &PesapalIpn) {
    for (handled, status) in [(true, 200), (false, 500)] {
        let ack: serde_json::Value = serde_json::from_str(&ipn.acknowledgement(handled))
            .unwrap_or_else(|e| panic!("acknowledgement is not JSON: {e}"));
        assert_eq!(ack["orderTrackingId"], ipn.order_tracking_id.as_str());
        assert_eq!(
            ack["orderMerchantReference"],
            ipn.merchant_reference.as_str()
        );
        assert_eq!(ack["orderNotificationType"], ipn.notification_type.as_str());
        assert_eq!(ack["status"], status);
    }
}

/// The values written back as a GET query parse to the same IPN.
fn check_round_trip(ipn: &PesapalIpn) {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("OrderTrackingId", &ipn.order_tracking_id)
        .append_pair("OrderMerchantReference", &ipn.merchant_reference)
        .append_pair("OrderNotificationType", ipn.notification_type.as_str())
        .finish();
    let again = parse_ipn_strict(NotificationMethod::Get, &query, None, b"");
    assert_eq!(
        again.as_ref().ok(),
        Some(ipn),
        "{query} parses differently: {again:?}"
    );
}
