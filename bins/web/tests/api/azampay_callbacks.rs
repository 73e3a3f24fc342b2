//! AzamPay callbacks as they really come, sent by the simulator to the real server on both
//! backends (docs/payments.md, "AzamPay callbacks and signatures"): amounts as strings or
//! numbers, `msisdn` as a number, missing, null or empty, undocumented fields, long multi-line
//! free text; and a key AzamPay rotated, fetched again once so the callback still settles.
//! That a callback without `msisdn` and a key outage are logged is shown against the real
//! binary, in `tests/process/callbacks.rs`.

use serde_json::Value;
use wetech_gateway_sim::{AmountForm, CallbackShape, DeliveryKind, Endpoint, MsisdnForm};
use wetech_persistence::repo::{attempts, events};

use crate::app_tests;
use crate::helpers::TestApp;

/// The customer approves; the simulator delivers the callback, which must settle the invoice.
/// Returns the body the simulator sent.
async fn approve_and_wait_paid(app: &TestApp, id: &str, reference: &str, tx: &str) -> String {
    app.sim.approve_azampay(tx).unwrap();
    app.wait_for_status(id, "paid").await;
    let delivery = app
        .sim
        .deliveries()
        .into_iter()
        .rev()
        .find(|d| d.kind == DeliveryKind::AzamPayCallback && d.body.contains(reference))
        .unwrap();
    assert_eq!(delivery.http_status, Some(200), "{delivery:?}");
    delivery.body
}

fn stored(app: &TestApp, reference: &str) -> Vec<events::EventRow> {
    let a = attempts::find_by_merchant_reference(&mut app.db.conn(), reference)
        .unwrap()
        .unwrap();
    events::list_for_attempt(&mut app.db.conn(), a.id).unwrap()
}

app_tests! {
    async fn a_callback_that_is_json_but_for_raw_line_breaks_settles_and_is_stored_as_sent(app: TestApp) {
        app.sim.update_config(|c| c.delivery_attempts = 0);
        let (id, reference, tx) = app.start_azampay_payment("rawbreaks@example.com").await;
        let sent: Value = serde_json::from_slice(&app.sim.azampay_callback_body(&tx, true).unwrap()).unwrap();
        // An unsigned older-schema callback written by hand, as a careless sender would: raw line
        // breaks and a tab inside the strings, a status with a trailing line break.
        let body = format!(
            "{{\"utilityref\":\"{reference}\",\"reference\":\"{}\",\"amount\":{},\
             \"transactionstatus\":\"success\\r\\n\",\"msisdn\":\"{}\",\
             \"operator\":\"Airtel\r\nMoney\",\"message\":\"Umefanikiwa.\n\tAsante\"}}",
            sent["reference"].as_str().unwrap(),
            sent["amount"].as_str().unwrap(),
            sent["msisdn"].as_str().unwrap(),
        );
        assert!(serde_json::from_str::<Value>(&body).is_err(), "strictly not JSON");
        let resp = app.post_azampay_callback(body.as_bytes()).await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        assert_eq!(app.invoice(&id).await["status"], "paid");
        let events = stored(&app, &reference);
        assert!(events.iter().any(|e| e.payload == body && e.outcome == "settled"), "{events:?}");
    }

    async fn callbacks_in_every_shape_the_simulator_sends_settle_their_invoice(app: TestApp) {
        let long = "Umefanikiwa kulipa TZS 500,000.00 kwa WETECH.\r\nSalio lako ni TZS 1,234.00.\n\tAsante. ".repeat(80);
        let shapes = [
            (AmountForm::Text, MsisdnForm::Text, false),
            (AmountForm::DecimalText, MsisdnForm::Number, false),
            (AmountForm::Number, MsisdnForm::Missing, false),
            (AmountForm::DecimalNumber, MsisdnForm::Null, false),
            (AmountForm::Number, MsisdnForm::Empty, true),
        ];
        for (i, (amount, msisdn, odd_text)) in shapes.into_iter().enumerate() {
            let shape = CallbackShape {
                amount,
                msisdn,
                extra_fields: odd_text,
                operator: odd_text.then(|| format!("Airtel Money\r\n{long}")),
                message: odd_text.then(|| long.clone()),
            };
            app.sim.update_config(|c| c.azampay_callback_shape = shape.clone());
            let (id, reference, tx) = app.start_azampay_payment(&format!("shape{i}@example.com")).await;
            let body = approve_and_wait_paid(&app, &id, &reference, &tx).await;
            let sent: Value = serde_json::from_str(&body).unwrap();
            match msisdn {
                MsisdnForm::Number => assert!(sent["msisdn"].is_number(), "{shape:?}"),
                MsisdnForm::Missing => assert!(sent.get("msisdn").is_none(), "{shape:?}"),
                _ => {}
            }
            if odd_text {
                assert!(sent["source"].is_string() && body.len() > 8 * 1024, "{shape:?}");
            }
            // Stored exactly as it came, with what was done.
            let events = stored(&app, &reference);
            assert!(
                events.iter().any(|e| e.payload == body && e.outcome == "settled"),
                "{shape:?}: {events:?}"
            );
            let invoice = app.invoice(&id).await;
            assert_eq!(invoice["payments"][0]["status"], "completed", "{shape:?}");
        }
    }

    async fn a_key_rotated_by_azampay_is_fetched_again_once_and_the_callback_settles(app: TestApp) {
        let (first, first_ref, first_tx) = app.start_azampay_payment("rotate1@example.com").await;
        approve_and_wait_paid(&app, &first, &first_ref, &first_tx).await;
        let keys = app.sim.calls(Endpoint::AzamPayPublicKey);
        assert_eq!(keys, 1, "fetched once, then cached");

        app.sim.rotate_azampay_key();
        let (second, second_ref, second_tx) = app.start_azampay_payment("rotate2@example.com").await;
        let body = approve_and_wait_paid(&app, &second, &second_ref, &second_tx).await;
        assert!(serde_json::from_str::<Value>(&body).unwrap()["signature"].is_string());
        assert_eq!(app.sim.calls(Endpoint::AzamPayPublicKey), 2, "fetched again once");

        // The new key is cached in turn.
        let (third, third_ref, third_tx) = app.start_azampay_payment("rotate3@example.com").await;
        approve_and_wait_paid(&app, &third, &third_ref, &third_tx).await;
        assert_eq!(app.sim.calls(Endpoint::AzamPayPublicKey), 2);
    }
}
