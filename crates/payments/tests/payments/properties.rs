//! No input makes a notification parser (or the amount parser) panic.

use proptest::prelude::*;
use wetech_payments::azampay::{parse_callback, parse_public_key};
use wetech_payments::pesapal::parse_ipn;
use wetech_payments::{Currency, Money, NotificationMethod};

fn json_like() -> impl Strategy<Value = String> {
    let keys = prop::sample::select(vec![
        "utilityref",
        "UtilityRef",
        "amount",
        "msisdn",
        "transactionstatus",
        "operator",
        "reference",
        "externalreference",
        "signature",
        "additionalProperties",
        "OrderTrackingId",
        "OrderMerchantReference",
        "OrderNotificationType",
        "password",
        "x",
    ]);
    let values = prop_oneof![
        any::<String>().prop_map(|s| serde_json::Value::String(s).to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| if f.is_finite() {
            f.to_string()
        } else {
            "0".into()
        }),
        Just("null".to_owned()),
        Just("{}".to_owned()),
        Just("[1,{\"a\":[]}]".to_owned()),
        Just("\"success\"".to_owned()),
        Just("\"2000.00\"".to_owned()),
    ];
    prop::collection::vec((keys, values), 0..12).prop_map(|pairs| {
        let body: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("\"{k}\":{v}"))
            .collect();
        format!("{{{}}}", body.join(","))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn pesapal_ipn_parser_never_panics(
        query in any::<String>(),
        body in prop::collection::vec(any::<u8>(), 0..512),
        ct in prop::option::of(prop::sample::select(vec!["application/json", "application/x-www-form-urlencoded", "text/plain", ""])),
        post in any::<bool>(),
    ) {
        let method = if post { NotificationMethod::Post } else { NotificationMethod::Get };
        let _ = parse_ipn(method, &query, ct, &body);
    }

    #[test]
    fn pesapal_ipn_parser_never_panics_on_json_like_bodies(body in json_like(), query in "[A-Za-z=&%0-9]{0,64}") {
        let _ = parse_ipn(NotificationMethod::Post, &query, Some("application/json"), body.as_bytes());
    }

    #[test]
    fn azampay_callback_parser_never_panics(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_callback(&body);
    }

    #[test]
    fn azampay_callback_parser_never_panics_on_json_like_bodies(body in json_like()) {
        if let Ok(cb) = parse_callback(body.as_bytes()) {
            // Whatever parsed is usable without panicking.
            let _ = (cb.status(), cb.signed_text(), format!("{cb:?}"), cb.gateway_reference());
        }
    }

    #[test]
    fn public_key_parser_never_panics(text in any::<String>()) {
        let _ = parse_public_key(&text);
    }

    #[test]
    fn amounts_round_trip_exactly(minor in -10_000_000_000_000i64..10_000_000_000_000i64) {
        for currency in [Currency::TZS, Currency::UGX, Currency::parse("KWD").unwrap()] {
            let m = Money::new(minor, currency);
            prop_assert_eq!(Money::parse_decimal(&m.to_decimal_string(), currency).unwrap(), m);
        }
    }

    #[test]
    fn amount_parser_never_panics(text in any::<String>()) {
        let _ = Money::parse_decimal(&text, Currency::TZS);
    }
}
