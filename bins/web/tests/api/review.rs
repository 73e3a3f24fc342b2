//! The `review` attempt state (docs/flow.md) and AzamPay callbacks as they really come
//! (docs/payments.md, "Callbacks, signatures and keys"): a failed signature puts the attempt under
//! review, a key that cannot be fetched is 503 (never 401), the key is fetched again once after
//! a failure against the cached one, and nothing automatic ever moves an attempt out of review.

use std::time::Duration;

use serde_json::{Value, json};
use wetech_domain::AttemptStatus;
use wetech_gateway_sim::{Endpoint, Fault, not_an_azampay_public_key, wrong_azampay_public_key};
use wetech_persistence::repo::{attempt_history, attempts, events};

use crate::app_tests;
use crate::helpers::TestApp;

async fn new_invoice(app: &TestApp, email: &str) -> String {
    app.submit_lead(email).await["invoice"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn attempt(app: &TestApp, reference: &str) -> attempts::AttemptRow {
    attempts::find_by_merchant_reference(&mut app.db.conn(), reference)
        .unwrap()
        .unwrap()
}

fn stored_events(app: &TestApp, reference: &str) -> Vec<events::EventRow> {
    let a = attempt(app, reference);
    events::list_for_attempt(&mut app.db.conn(), a.id).unwrap()
}

/// Starts an AzamPay push (no callback sent by the simulator) and returns (invoice, payment id,
/// the signed success callback the simulator would send).
async fn azampay_push(app: &TestApp, email: &str) -> (String, String, Vec<u8>) {
    app.sim.update_config(|c| c.delivery_attempts = 0);
    let (id, reference, tx) = app.start_azampay_payment(email).await;
    let body = app.sim.azampay_callback_body(&tx, true).unwrap();
    (id, reference, body)
}

async fn callback(app: &TestApp, body: &[u8]) -> reqwest::Response {
    app.post_azampay_callback(body).await
}

fn with(body: &[u8], edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(body).unwrap();
    edit(v.as_object_mut().unwrap());
    serde_json::to_vec(&v).unwrap()
}

fn ipn_query(tracking: &str, reference: &str) -> String {
    format!(
        "OrderTrackingId={tracking}&OrderMerchantReference={reference}&OrderNotificationType=IPNCHANGE"
    )
}

/// A Pesapal attempt put under review by a notification naming another invoice's (paid)
/// order; returns (invoice, payment id, its own tracking id).
async fn pesapal_attempt_under_review(app: &TestApp, tag: &str) -> (String, String, String) {
    app.sim.update_config(|c| c.delivery_attempts = 0);
    let start = |id: String| async move {
        let resp = app
            .post_json(
                &format!("/api/v1/invoices/{id}/payments"),
                &json!({"gateway": "pesapal"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let reference = resp.json::<Value>().await.unwrap()["payment_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let tracking = app
            .sim
            .pesapal_orders()
            .into_iter()
            .find(|o| o.merchant_reference == reference)
            .unwrap()
            .order_tracking_id;
        (reference, tracking)
    };
    let a = new_invoice(app, &format!("{tag}-a@example.com")).await;
    let b = new_invoice(app, &format!("{tag}-b@example.com")).await;
    let (ref_a, tracking_a) = start(a.clone()).await;
    let (_, tracking_b) = start(b).await;
    app.sim.complete_pesapal_order(&tracking_b).unwrap();
    let resp = app
        .get(&format!(
            "/payments/pesapal/ipn?{}",
            ipn_query(&tracking_b, &ref_a)
        ))
        .await;
    assert_eq!(resp.status(), 200);
    let row = attempt(app, &ref_a);
    assert_eq!(row.status, AttemptStatus::Review);
    (a, ref_a, tracking_a)
}

app_tests! {
    async fn a_badly_signed_callback_is_refused_stored_and_its_attempt_under_review(app: TestApp) {
        let (id, reference, good) = azampay_push(&app, "badsig@example.com").await;
        assert!(serde_json::from_slice::<Value>(&good).unwrap()["signature"].is_string());
        // `operator` is one of the signed fields: changed, the signature no longer verifies.
        let forged = with(&good, |m| { m.insert("operator".into(), json!("Tigo")); });
        let resp = callback(&app, &forged).await;
        assert_eq!(resp.status(), 401);
        assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "unauthorized");
        let row = attempt(&app, &reference);
        assert_eq!(row.status, AttemptStatus::Review);
        assert!(row.review_reason.as_deref().unwrap().contains("signature"), "{row:?}");
        assert_eq!(app.invoice(&id).await["status"], "unpaid", "the customer may pay again");
        // Stored raw, with the attempt and what was done.
        let stored = stored_events(&app, &reference);
        let refused = stored.iter().find(|e| e.outcome.contains("signature")).unwrap();
        assert_eq!(refused.payload.as_bytes(), forged.as_slice());
        // The history says why.
        let history = attempt_history::list_for_attempt(&mut app.db.conn(), row.id).unwrap();
        let last = history.last().unwrap();
        assert_eq!((last.from, last.to), (Some(AttemptStatus::Pending), AttemptStatus::Review));
        assert!(last.cause.contains("signature"), "{history:?}");
        // Even the genuine callback afterwards changes nothing: a person decides.
        let resp = callback(&app, &good).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(attempt(&app, &reference).status, AttemptStatus::Review);
        assert_ne!(app.invoice(&id).await["status"], "paid");
        // The API and the page show it.
        let invoice = app.invoice(&id).await;
        assert_eq!(invoice["payments"][0]["status"], "review");
        let page = app.get(&format!("/invoices/{id}")).await.text().await.unwrap();
        assert!(page.contains("Under review"), "{page}");
    }

    async fn review_is_left_by_no_late_success_failure_repeat_reconcile_or_retry(app: TestApp) {
        // A late success: the customer paid A's own order after all.
        let (a, ref_a, tracking_a) = pesapal_attempt_under_review(&app, "latesuccess").await;
        app.sim.complete_pesapal_order(&tracking_a).unwrap();
        for _ in 0..2 {
            let resp = app.get(&format!("/payments/pesapal/ipn?{}", ipn_query(&tracking_a, &ref_a))).await;
            assert_eq!(resp.status(), 200, "handled: stored for the person who decides");
        }
        assert_eq!(attempt(&app, &ref_a).status, AttemptStatus::Review);
        assert_ne!(app.invoice(&a).await["status"], "paid");
        // The browser return is no different.
        let resp = app.get(&format!("/payments/pesapal/return?OrderTrackingId={tracking_a}&OrderMerchantReference={ref_a}")).await;
        assert_eq!(resp.status(), 303);
        assert_eq!(attempt(&app, &ref_a).status, AttemptStatus::Review);

        // A late failure.
        let (f, ref_f, tracking_f) = pesapal_attempt_under_review(&app, "latefailure").await;
        app.sim.fail_pesapal_order(&tracking_f).unwrap();
        let resp = app.get(&format!("/payments/pesapal/ipn?{}", ipn_query(&tracking_f, &ref_f))).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(attempt(&app, &ref_f).status, AttemptStatus::Review);

        // Reconciliation neither claims nor changes it.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let changes = app.use_cases.reconcile(Duration::ZERO).await.unwrap();
        assert!(changes.iter().all(|c| c.payment_id != ref_a && c.payment_id != ref_f), "{changes:?}");
        assert_eq!(attempt(&app, &ref_a).status, AttemptStatus::Review);
        assert_eq!(attempt(&app, &ref_f).status, AttemptStatus::Review);

        // A new payment of the invoice starts its own attempt and leaves this one alone.
        let resp = app.post_json(&format!("/api/v1/invoices/{f}/payments"), &json!({"gateway": "pesapal"})).await;
        assert_eq!(resp.status(), 201);
        assert_eq!(attempt(&app, &ref_f).status, AttemptStatus::Review);
        let history = attempt_history::list_for_attempt(&mut app.db.conn(), attempt(&app, &ref_f).id).unwrap();
        assert_eq!(history.last().unwrap().to, AttemptStatus::Review, "{history:?}");
        assert_eq!(history.iter().filter(|h| h.to == AttemptStatus::Review).count(), 1, "{history:?}");
    }

    async fn a_callback_without_msisdn_is_applied_on_reference_and_amount(app: TestApp) {
        let (id, reference, good) = azampay_push(&app, "nomsisdn@example.com").await;
        // What the official WooCommerce plugin requires, and nothing more (unsigned, like the
        // older schema).
        let good: Value = serde_json::from_slice(&good).unwrap();
        let minimal = json!({
            "utilityref": reference,
            "reference": good["reference"],
            "transactionstatus": "success",
            "amount": good["amount"],
        });
        let resp = callback(&app, minimal.to_string().as_bytes()).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(app.invoice(&id).await["status"], "paid");
    }

    async fn a_long_multi_line_operator_message_still_settles_and_is_stored_raw(app: TestApp) {
        let (id, reference, good) = azampay_push(&app, "longmsg@example.com").await;
        let message = "Umefanikiwa kulipa TZS 500,000.00.\r\nSalio lako jipya ni TZS 12,345.00.\n\tAsante kwa kutumia huduma zetu. ".repeat(60);
        let body = with(&good, |m| {
            m.remove("signature");
            m.insert("message".into(), json!(message));
            m.insert("submerchantAcc".into(), json!(format!("acc\u{1}{}", "9".repeat(400))));
            m.insert("mnoreference".into(), json!(format!("MP231203.1234\n{}", "A".repeat(300))));
            m.insert("amount".into(), json!(500000));
            m.insert("source".into(), json!("woocommerce"));
            m.insert("extra".into(), json!({"nested": [1, 2, 3]}));
        });
        assert!(body.len() < 64 * 1024);
        let resp = callback(&app, &body).await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        assert_eq!(app.invoice(&id).await["status"], "paid");
        let stored = stored_events(&app, &reference);
        assert!(stored.iter().any(|e| e.payload.as_bytes() == body.as_slice() && e.outcome == "settled"), "{stored:?}");
    }
}

/// 404, 500 and an answer that is not a key each answer 503 (`gateway_unavailable`) so AzamPay
/// sends the callback again; the attempt is neither failed nor under review, and the callback
/// settles once the key can be fetched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_public_key_is_503_never_401() {
    let app = crate::helpers::spawn_app(wetech_persistence::Backend::Sqlite)
        .await
        .unwrap();
    let (id, reference, good) = azampay_push(&app, "nokey@example.com").await;
    let faults = [
        Fault::Status {
            status: 404,
            body: None,
        },
        Fault::Status {
            status: 500,
            body: None,
        },
        not_an_azampay_public_key(),
    ];
    for fault in faults {
        app.sim.clear_faults();
        app.sim
            .inject(Endpoint::AzamPayPublicKey, fault.clone(), 10);
        let resp = callback(&app, &good).await;
        assert_eq!(resp.status(), 503, "{fault:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "gateway_unavailable", "{fault:?}");
        assert_eq!(
            attempt(&app, &reference).status,
            AttemptStatus::Pending,
            "{fault:?}"
        );
    }
    app.sim.clear_faults();
    let resp = callback(&app, &good).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(app.invoice(&id).await["status"], "paid");
    // Each refused delivery was stored too.
    let mut conn = app.db.conn();
    let unapplied = events::list_without_attempt(&mut conn, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.outcome.contains("public key"))
        .count();
    assert_eq!(unapplied, 3);
}

/// A key endpoint slower than the payments timeout: 503 as well.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_public_key_is_503() {
    let app = crate::helpers::spawn_app_with(wetech_persistence::Backend::Sqlite, |s| {
        s.payments.timeout_ms = 500;
    })
    .await
    .unwrap();
    let (_, reference, good) = azampay_push(&app, "slowkey@example.com").await;
    app.sim.inject(
        Endpoint::AzamPayPublicKey,
        Fault::Delay(Duration::from_secs(2)),
        10,
    );
    let resp = callback(&app, &good).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(attempt(&app, &reference).status, AttemptStatus::Pending);
}

/// A cached key that no longer verifies (AzamPay rotated it) is fetched again, once: the
/// genuine callback then settles; a forged one right after does not fetch it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_is_fetched_again_once() {
    let app = crate::helpers::spawn_app(wetech_persistence::Backend::Sqlite)
        .await
        .unwrap();
    // The first fetch gets a key that is not the signing one: freshly fetched, it is trusted,
    // and the callback is refused (401, under review).
    let (_, first, first_body) = azampay_push(&app, "rotated1@example.com").await;
    app.sim
        .inject(Endpoint::AzamPayPublicKey, wrong_azampay_public_key(), 1);
    app.sim.reset_calls();
    assert_eq!(callback(&app, &first_body).await.status(), 401);
    assert_eq!(attempt(&app, &first).status, AttemptStatus::Review);
    assert_eq!(app.sim.calls(Endpoint::AzamPayPublicKey), 1);
    // The next genuine callback fails against the cached key, which is fetched once more.
    let (id, second, second_body) = azampay_push(&app, "rotated2@example.com").await;
    assert_eq!(callback(&app, &second_body).await.status(), 200);
    assert_eq!(app.invoice(&id).await["status"], "paid");
    assert_eq!(attempt(&app, &second).status, AttemptStatus::Completed);
    assert_eq!(app.sim.calls(Endpoint::AzamPayPublicKey), 2);
    // A forged callback right after: refused against the fresh key, no third fetch.
    let (_, third, third_body) = azampay_push(&app, "rotated3@example.com").await;
    let forged = with(&third_body, |m| {
        m.insert("transactionstatus".into(), json!("failure"));
    });
    assert_eq!(callback(&app, &forged).await.status(), 401);
    assert_eq!(attempt(&app, &third).status, AttemptStatus::Review);
    assert_eq!(app.sim.calls(Endpoint::AzamPayPublicKey), 2);
}
