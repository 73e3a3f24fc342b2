//! AzamPay callbacks as they really come (docs/payments.md, "AzamPay callbacks and
//! signatures"): what `parse_callback` accepts and refuses, the simulator sending each variant
//! through `check_callback`, the public key's bounded lifetime and its rotation, and the key
//! outages that must never look like a bad signature.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use wetech_gateway_sim::{
    AmountForm, CallbackShape, Endpoint, Fault, MsisdnForm, RunningSimulator,
    not_an_azampay_public_key,
};
use wetech_payments::azampay::{
    Authenticity, AzamPayCallback, AzamPayClient, CallbackRejection, CallbackSchema,
    CallbackStatus, parse_callback,
};
use wetech_payments::{GatewayError, PaymentGateway};

use crate::helpers::{azampay_checkout, azampay_config, spawn_sim};

const TOKEN: &str = "callback-token-0123456789";

/// A legacy (older documentation) callback body.
fn legacy() -> Value {
    json!({
        "msisdn": "255712345678", "amount": "2000", "message": "Transaction successful",
        "utilityref": "INV-2026-000001-1", "operator": "Airtel", "reference": "AZ-1",
        "transactionstatus": "success", "submerchantAcc": null, "fspReferenceId": "MP1",
        "additionalProperties": null
    })
}

/// A callback body with every field AzamPay's OpenAPI copy requires (13) and its nullable ones.
fn openapi() -> Value {
    json!({
        "message": "Transaction successful", "user": "merchant", "password": "pw",
        "clientId": "client", "transactionstatus": "success", "operator": "Tigo",
        "reference": "AZ-2", "externalreference": "PG-2", "utilityref": "INV-2026-000002-1",
        "amount": "2000", "transid": "T-2", "msisdn": "255712345678", "mnoreference": "MNO-2",
        "submerchantAcc": null, "additionalProperties": null, "signature": null
    })
}

fn parse(v: &Value) -> Result<AzamPayCallback, GatewayError> {
    parse_callback(v.to_string().as_bytes())
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

#[test]
fn unknown_fields_are_ignored_in_both_schemas() {
    for (base, schema) in [
        (legacy(), CallbackSchema::Legacy),
        (openapi(), CallbackSchema::Current),
    ] {
        let mut body = base.clone();
        for (k, v) in [
            ("source", json!("Woo commerce Plugin")),
            ("channel", json!(7)),
            ("extra", json!({"nested": [1, "two", null, {"deep": true}]})),
            ("settledAt", json!(null)),
            ("fees", json!([{"amount": "10"}])),
        ] {
            body[k] = v;
        }
        let cb = parse(&body).unwrap();
        assert_eq!(cb.schema, schema);
        assert_eq!(cb.amount.minor(), 200_000);
        assert_eq!(cb.utility_ref, base["utilityref"].as_str().unwrap());
    }
}

/// Escaped or not: a sender that writes a line break, a tab or another control character
/// straight into a JSON string (strictly not JSON) is still read, and the value kept as sent.
#[test]
fn free_text_of_any_length_with_raw_line_breaks_and_control_characters_is_kept() {
    let long = "Umefanikiwa kulipa TZS 2,000.00.\r\nSalio:\tTZS 1,000.\u{7}\n".repeat(150);
    assert!(long.len() > 4096);
    let mut escaped = openapi();
    for key in ["message", "operator", "submerchantAcc", "mnoreference"] {
        escaped[key] = json!(long);
    }
    escaped["additionalProperties"] = json!({"note": long});
    let body = escaped.to_string();
    assert!(body.len() < wetech_payments::azampay::MAX_CALLBACK_BODY);
    let cb = parse_callback(body.as_bytes()).unwrap();
    assert_eq!(cb.message.as_deref(), Some(long.as_str()));
    assert_eq!(cb.operator, long);
    assert_eq!(cb.submerchant_acc.as_deref(), Some(long.as_str()));
    assert_eq!(cb.mno_reference.as_deref(), Some(long.as_str()));
    assert_eq!(cb.additional_properties.unwrap()["note"], json!(long));

    // The same characters raw inside the strings.
    let raw = "Mixx by Yas\r\nTigo\tPesa \u{1}";
    let body = format!(
        "{{\"utilityref\":\"INV-1\",\"amount\":\"2000\",\"transactionstatus\":\"success\",\
         \"operator\":\"{raw}\",\"message\":\"line one\nline two\",\"msisdn\":\"255712345678\"}}"
    );
    assert!(
        serde_json::from_str::<Value>(&body).is_err(),
        "strictly not JSON"
    );
    let cb = parse_callback(body.as_bytes()).unwrap();
    assert_eq!(cb.operator, raw);
    assert_eq!(cb.message.as_deref(), Some("line one\nline two"));
    assert_eq!(cb.signed_text(), format!("INV-1success{raw}"));

    // A byte-order mark in front, and a message that is not UTF-8 (Latin-1 "é").
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(legacy().to_string().as_bytes());
    assert_eq!(parse_callback(&bom).unwrap().amount.minor(), 200_000);
    let latin1 = [
        &br#"{"utilityref":"INV-1","amount":"2000","transactionstatus":"success","message":"pay"#[..],
        b"\xe9",
        br#""}"#,
    ]
    .concat();
    assert_eq!(
        parse_callback(&latin1).unwrap().message.as_deref(),
        Some("pay\u{fffd}")
    );

    // What is not JSON at all stays refused.
    for body in [
        &b"utilityref=INV-1&amount=2000"[..],
        b"{\"utilityref\":",
        b"\x01{}",
    ] {
        assert!(parse_callback(body).is_err(), "{body:?}");
    }
}

/// `amount` as AzamPay's clients write it: a string or a JSON number, with or without the
/// currency's decimals, surrounded by white space, even in exponent form.
#[test]
fn amounts_as_strings_or_numbers() {
    for amount in [
        json!(1000),
        json!("1000"),
        json!("1000.00"),
        json!(1000.0),
        json!(" 1000 "),
        json!("1000\r\n"),
        json!("1000.0"),
        json!("01000"),
    ] {
        for base in [legacy(), openapi()] {
            let cb = parse(&with(base, "amount", amount.clone())).unwrap();
            assert_eq!(cb.amount.minor(), 100_000, "{amount}");
        }
    }
    let exact = |body: &str| parse_callback(body.as_bytes()).map(|c| c.amount.minor());
    let body = |amount: &str| {
        format!(r#"{{"utilityref":"INV-1","transactionstatus":"success","amount":{amount}}}"#)
    };
    assert_eq!(exact(&body("1e3")).unwrap(), 100_000);
    assert_eq!(exact(&body("2.5E+1")).unwrap(), 2_500);
    assert_eq!(exact(&body("123456e-2")).unwrap(), 123_456);
    assert_eq!(exact(&body("2000.50")).unwrap(), 200_050);
    assert_eq!(exact(&body("4999999.99")).unwrap(), 499_999_999);
}

/// Refused is only what cannot be an amount: negative, not a number, more decimals than TZS
/// has (also as a JSON number, whose digits are read as sent, never rounded through `f64`),
/// absurdly long.
#[test]
fn what_cannot_be_an_amount_is_refused() {
    let body = |amount: &str| {
        format!(r#"{{"utilityref":"INV-1","transactionstatus":"success","amount":{amount}}}"#)
    };
    for amount in [
        "-1".to_owned(),
        "\"-1000\"".to_owned(),
        "\"NaN\"".to_owned(),
        "\"nan\"".to_owned(),
        "\"Infinity\"".to_owned(),
        "\"1000.001\"".to_owned(),
        "1000.001".to_owned(),
        "1000.0000000000001".to_owned(),
        "1e-3".to_owned(),
        "\"1,000\"".to_owned(),
        "\"TZS 1000\"".to_owned(),
        "\"\"".to_owned(),
        "null".to_owned(),
        "true".to_owned(),
        "{}".to_owned(),
        "[1000]".to_owned(),
        format!("\"{}\"", "9".repeat(300)),
        "9".repeat(30),
        "1e30".to_owned(),
    ] {
        let err = parse_callback(body(&amount).as_bytes()).unwrap_err();
        assert!(
            matches!(err, GatewayError::InvalidNotification(_)),
            "{amount}: {err:?}"
        );
    }
}

#[test]
fn msisdn_missing_null_or_empty_reads_as_absent_and_a_number_as_its_digits() {
    for base in [legacy(), openapi()] {
        for body in [
            without(base.clone(), "msisdn"),
            with(base.clone(), "msisdn", Value::Null),
            with(base.clone(), "msisdn", json!("")),
            with(base.clone(), "msisdn", json!("  ")),
        ] {
            let cb = parse(&body).unwrap();
            assert_eq!(cb.msisdn, None, "{body}");
            assert_eq!(cb.transaction_status, CallbackStatus::Success);
        }
        let cb = parse(&with(base.clone(), "msisdn", json!(255_712_345_678_u64))).unwrap();
        assert_eq!(cb.msisdn.as_deref(), Some("255712345678"));
        let cb = parse(&with(base, "MSISDN", json!("0712345678"))).unwrap();
        assert!(cb.msisdn.is_some());
    }
}

/// The official WooCommerce plugin requires `utilityref`, `reference`, `transactionstatus`
/// and `amount`; AzamPay's OpenAPI copy requires 13 fields. What either sends is accepted:
/// required are only the three both have (`utilityref`, `transactionstatus`, `amount`).
#[test]
fn required_fields_are_what_the_plugin_and_the_openapi_copy_both_send() {
    let plugin = json!({"utilityref": "INV-1", "reference": "AZ-1", "transactionstatus": "success", "amount": "2000"});
    assert_eq!(parse(&plugin).unwrap().gateway_reference(), Some("AZ-1"));
    assert!(parse(&without(plugin.clone(), "reference")).is_ok());
    assert!(parse(&openapi()).is_ok());
    for key in ["utilityref", "transactionstatus", "amount"] {
        for body in [
            without(plugin.clone(), key),
            with(plugin.clone(), key, Value::Null),
        ] {
            let err = parse(&body).unwrap_err();
            assert!(err.to_string().contains(key), "{key}: {err}");
        }
    }
    // Status words in any case, surrounded by white space; anything else is refused.
    for (word, status) in [
        ("success", CallbackStatus::Success),
        ("SUCCESS", CallbackStatus::Success),
        ("success\r\n", CallbackStatus::Success),
        (" Failure ", CallbackStatus::Failure),
        ("failed", CallbackStatus::Failure),
    ] {
        let cb = parse(&with(plugin.clone(), "transactionstatus", json!(word))).unwrap();
        assert_eq!(cb.transaction_status, status, "{word:?}");
        assert_eq!(
            cb.raw_transaction_status, word,
            "kept as sent for the signature"
        );
    }
    for word in ["pending", "succ\u{0}ess", "ok"] {
        assert!(parse(&with(plugin.clone(), "transactionstatus", json!(word))).is_err());
    }
}

fn client(
    sim: &RunningSimulator,
    tweak: impl FnOnce(&mut wetech_payments::AzamPayConfig),
) -> AzamPayClient {
    let mut c = azampay_config(sim);
    c.callback_token = Some(SecretString::from(TOKEN));
    tweak(&mut c);
    AzamPayClient::new(c).unwrap()
}

/// A new push and the callback the simulator would send for it (`success`).
async fn push(sim: &RunningSimulator, client: &AzamPayClient, reference: &str) -> Vec<u8> {
    let answer = client
        .start_checkout(&azampay_checkout(reference, "2000", "0712345678"))
        .await
        .unwrap();
    sim.handle()
        .azampay_callback_body(&answer.gateway_reference, true)
        .unwrap()
}

/// Every shape the simulator can give a callback, signed as it is sent, passes
/// `check_callback` with the amount and payer read right.
#[tokio::test]
async fn every_callback_shape_the_simulator_sends_verifies() {
    let sim = spawn_sim();
    let client = client(&sim, |_| {});
    let operator = "Mixx by Yas\r\nTigo Pesa — ".repeat(200);
    let mut shapes = Vec::new();
    for amount in [
        AmountForm::Text,
        AmountForm::DecimalText,
        AmountForm::Number,
        AmountForm::DecimalNumber,
    ] {
        for msisdn in [
            MsisdnForm::Text,
            MsisdnForm::Number,
            MsisdnForm::Missing,
            MsisdnForm::Null,
            MsisdnForm::Empty,
        ] {
            shapes.push(CallbackShape {
                amount,
                msisdn,
                ..CallbackShape::default()
            });
        }
    }
    shapes.push(CallbackShape {
        extra_fields: true,
        operator: Some(operator.clone()),
        message: Some(operator.clone()),
        ..CallbackShape::default()
    });
    for (i, shape) in shapes.into_iter().enumerate() {
        sim.handle()
            .update_config(|c| c.azampay_callback_shape = shape.clone());
        let body = push(&sim, &client, &format!("INV-SHAPE-{i}")).await;
        let cb = client.check_callback(Some(TOKEN), &body).await.unwrap();
        assert_eq!(cb.authenticity, Authenticity::Signed, "{shape:?}");
        assert_eq!(cb.amount.minor(), 200_000, "{shape:?}");
        let expect_msisdn = matches!(shape.msisdn, MsisdnForm::Text | MsisdnForm::Number);
        assert_eq!(cb.msisdn.as_deref().is_some(), expect_msisdn, "{shape:?}");
        if expect_msisdn {
            assert_eq!(cb.msisdn.as_deref(), Some("255712345678"));
        }
        if let Some(op) = &shape.operator {
            assert_eq!(&cb.operator, op);
        }
    }
    sim.stop().await;
}

/// The key is cached for the configured lifetime only, then fetched again.
#[tokio::test]
async fn the_public_key_is_fetched_again_when_its_lifetime_ends() {
    let sim = spawn_sim();
    let client = client(&sim, |c| c.public_key_ttl = Duration::from_millis(400));
    let body = push(&sim, &client, "INV-TTL-1").await;
    let keys = || sim.handle().calls(Endpoint::AzamPayPublicKey);
    client.check_callback(Some(TOKEN), &body).await.unwrap();
    client.check_callback(Some(TOKEN), &body).await.unwrap();
    assert_eq!(keys(), 1, "cached within its lifetime");
    tokio::time::sleep(Duration::from_millis(500)).await;
    client.check_callback(Some(TOKEN), &body).await.unwrap();
    assert_eq!(keys(), 2, "fetched again after it");
    client.check_callback(Some(TOKEN), &body).await.unwrap();
    assert_eq!(keys(), 2);
    sim.stop().await;
}

/// AzamPay replaces its key: the first callback signed with the new key fails against the
/// cached one, the key is fetched again once, and the callback verifies. Only a callback that
/// fails against the fresh key too is refused.
#[tokio::test]
async fn a_rotated_key_is_fetched_again_once_and_the_callback_verifies() {
    let sim = spawn_sim();
    let client = client(&sim, |_| {});
    let keys = || sim.handle().calls(Endpoint::AzamPayPublicKey);
    let before = push(&sim, &client, "INV-ROT-1").await;
    client.check_callback(Some(TOKEN), &before).await.unwrap();
    assert_eq!(keys(), 1);
    let old_key = sim.handle().public_key_pem();

    sim.handle().rotate_azampay_key();
    assert_ne!(sim.handle().public_key_pem(), old_key);
    let after = push(&sim, &client, "INV-ROT-2").await;
    let cb = client.check_callback(Some(TOKEN), &after).await.unwrap();
    assert_eq!(cb.authenticity, Authenticity::Signed);
    assert_eq!(keys(), 2, "fetched again once");
    client.check_callback(Some(TOKEN), &after).await.unwrap();
    assert_eq!(keys(), 2, "and cached again");

    // A callback signed with the replaced key is refused against the fresh one, without
    // fetching it a third time right away.
    let refused = client.check_callback(Some(TOKEN), &before).await;
    assert!(
        matches!(refused, Err(CallbackRejection::BadSignature(_))),
        "{refused:?}"
    );
    assert_eq!(keys(), 2);
    sim.stop().await;
}

/// A key that cannot be obtained (404, 5xx, too slow, not a key) is `KeyUnavailable` (the
/// caller answers 503 so AzamPay sends again), never a bad signature.
#[tokio::test]
async fn a_key_that_cannot_be_obtained_is_unavailable_never_a_bad_signature() {
    let sim = spawn_sim();
    let body = push(&sim, &client(&sim, |_| {}), "INV-NOKEY-1").await;
    let faults = [
        Fault::Status {
            status: 404,
            body: None,
        },
        Fault::Status {
            status: 500,
            body: None,
        },
        Fault::Status {
            status: 503,
            body: Some("<html>maintenance</html>".into()),
        },
        Fault::Delay(Duration::from_secs(2)),
        not_an_azampay_public_key(),
        Fault::Status {
            status: 200,
            body: Some(r#"{"success":true,"format":"Pem"}"#.into()),
        },
    ];
    for fault in faults {
        sim.handle().clear_faults();
        sim.handle()
            .inject(Endpoint::AzamPayPublicKey, fault.clone(), 10);
        let fresh = client(&sim, |c| c.http.timeout = Duration::from_millis(300));
        let err = fresh.check_callback(Some(TOKEN), &body).await.unwrap_err();
        assert!(
            matches!(err, CallbackRejection::KeyUnavailable(_)),
            "{fault:?}: {err:?}"
        );
    }
    sim.handle().clear_faults();
    let fresh = client(&sim, |_| {});
    assert!(fresh.check_callback(Some(TOKEN), &body).await.is_ok());
    sim.stop().await;
}
