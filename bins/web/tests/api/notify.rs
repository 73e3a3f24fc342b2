//! Payments end to end through the simulator: checkouts, IPNs, returns, callbacks, exactly-once
//! settlement, refusals and a gateway that is down or slow.

use std::time::Duration;

use serde_json::{Value, json};
use wetech_domain::AttemptStatus;
use wetech_gateway_sim::Endpoint;

use crate::app_tests;
use crate::helpers::TestApp;

async fn new_invoice(app: &TestApp, email: &str) -> String {
    app.submit_lead(email).await["invoice"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn start(app: &TestApp, id: &str, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/invoices/{id}/payments"), &body)
        .await
}

/// Starts a Pesapal payment and returns (payment_id, tracking id).
async fn start_pesapal(app: &TestApp, id: &str) -> (String, String) {
    let resp = start(app, id, json!({"gateway": "pesapal"})).await;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "pending");
    assert_eq!(body["gateway"], "pesapal");
    let payment_id = body["payment_id"].as_str().unwrap().to_owned();
    let redirect = body["redirect_url"].as_str().unwrap();
    assert!(redirect.contains("OrderTrackingId="), "{redirect}");
    let order = app
        .sim
        .pesapal_orders()
        .into_iter()
        .find(|o| o.merchant_reference == payment_id)
        .unwrap();
    (payment_id, order.order_tracking_id)
}

fn ipn_query(tracking: &str, reference: &str) -> String {
    format!(
        "OrderTrackingId={tracking}&OrderMerchantReference={reference}&OrderNotificationType=IPNCHANGE"
    )
}

fn attempt(app: &TestApp, reference: &str) -> wetech_persistence::repo::attempts::AttemptRow {
    let mut conn = app.db.conn();
    wetech_persistence::repo::attempts::find_by_merchant_reference(&mut conn, reference)
        .unwrap()
        .unwrap()
}

app_tests! {
    async fn pesapal_payment_settles_through_the_ipn(app: TestApp) {
        let id = new_invoice(&app, "pesapal@example.com").await;
        let (payment_id, tracking) = start_pesapal(&app, &id).await;
        assert_eq!(app.invoice(&id).await["status"], "pending");
        // The customer pays on the hosted page; the simulator sends the IPN to our registered URL.
        app.sim.complete_pesapal_order(&tracking).unwrap();
        let paid = app.wait_for_status(&id, "paid").await;
        assert!(paid["paid_at"].is_string());
        assert_eq!(paid["payments"][0]["id"], payment_id.as_str());
        assert_eq!(paid["payments"][0]["status"], "completed");
        // Already paid: no new payment.
        let resp = start(&app, &id, json!({"gateway": "pesapal"})).await;
        assert_eq!(resp.status(), 409);
        assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "conflict");
    }

    async fn pesapal_ipn_get_post_json_and_form(app: TestApp) {
        let id = new_invoice(&app, "ipnforms@example.com").await;
        let (reference, tracking) = start_pesapal(&app, &id).await;
        // Still pending at the gateway: handled, status 200, nothing changes.
        let resp = app.get(&format!("/payments/pesapal/ipn?{}", ipn_query(&tracking, &reference))).await;
        assert_eq!(resp.status(), 200);
        let ack: Value = resp.json().await.unwrap();
        assert_eq!(ack, json!({"orderNotificationType":"IPNCHANGE","orderTrackingId":tracking,"orderMerchantReference":reference,"status":200}));
        assert_eq!(app.invoice(&id).await["status"], "pending");
        // Mark it paid at the gateway without delivering, then POST the IPN as JSON and as a form.
        app.sim.update_config(|c| c.delivery_attempts = 0);
        app.sim.complete_pesapal_order(&tracking).unwrap();
        let url = format!("{}/payments/pesapal/ipn", app.address);
        let resp = app.client.post(&url).json(&json!({"OrderTrackingId": tracking, "OrderMerchantReference": reference, "OrderNotificationType": "IPNCHANGE"})).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.json::<Value>().await.unwrap()["status"], 200);
        assert_eq!(app.invoice(&id).await["status"], "paid");
        let resp = app.client.post(&url).form(&[("OrderTrackingId", tracking.as_str()), ("OrderMerchantReference", reference.as_str()), ("OrderNotificationType", "IPNCHANGE")]).send().await.unwrap();
        assert_eq!(resp.status(), 200, "already handled is still handled");
        assert_eq!(resp.json::<Value>().await.unwrap()["status"], 200);
    }

    async fn pesapal_ipn_refusals(app: TestApp) {
        let resp = app.get("/payments/pesapal/ipn?OrderTrackingId=abc").await;
        assert_eq!(resp.status(), 400);
        let resp = app.get("/payments/pesapal/ipn").await;
        assert_eq!(resp.status(), 400);
        // Unknown reference: Pesapal must resend (500, status 500).
        let id = new_invoice(&app, "unknownref@example.com").await;
        let (_, tracking) = start_pesapal(&app, &id).await;
        let resp = app.get(&format!("/payments/pesapal/ipn?{}", ipn_query(&tracking, "WTNOSUCHREFERENCE"))).await;
        assert_eq!(resp.status(), 500);
        assert_eq!(resp.json::<Value>().await.unwrap()["status"], 500);
        // Gateway unreachable while verifying: 500 so that Pesapal resends.
        let (reference, tracking) = {
            let id = new_invoice(&app, "down@example.com").await;
            start_pesapal(&app, &id).await
        };
        app.sim.fail_next(Endpoint::PesapalStatus, 10, 503);
        let resp = app.get(&format!("/payments/pesapal/ipn?{}", ipn_query(&tracking, &reference))).await;
        assert_eq!(resp.status(), 500);
        assert_eq!(resp.json::<Value>().await.unwrap()["status"], 500);
        app.sim.clear_faults();
    }

    async fn pesapal_browser_return_redirects_to_the_invoice(app: TestApp) {
        let id = new_invoice(&app, "return@example.com").await;
        let (reference, tracking) = start_pesapal(&app, &id).await;
        app.sim.update_config(|c| c.delivery_attempts = 0);
        app.sim.complete_pesapal_order(&tracking).unwrap();
        let resp = app.get(&format!("/payments/pesapal/return?OrderTrackingId={tracking}&OrderMerchantReference={reference}")).await;
        assert_eq!(resp.status(), 303);
        assert_eq!(resp.headers()["location"], format!("/invoices/{id}").as_str());
        assert_eq!(app.invoice(&id).await["status"], "paid");
    }

    async fn fifty_identical_ipns_settle_once(app: TestApp) {
        let id = new_invoice(&app, "fifty@example.com").await;
        let (reference, tracking) = start_pesapal(&app, &id).await;
        app.sim.update_config(|c| c.delivery_attempts = 0);
        app.sim.complete_pesapal_order(&tracking).unwrap();
        let url = format!("{}/payments/pesapal/ipn?{}", app.address, ipn_query(&tracking, &reference));
        let sends = (0..50).map(|_| app.client.get(&url).send());
        for resp in futures_util::future::join_all(sends).await {
            let resp = resp.unwrap();
            assert_eq!(resp.status(), 200);
        }
        let invoice = app.invoice(&id).await;
        assert_eq!(invoice["status"], "paid");
        let a = attempt(&app, &reference);
        assert_eq!(a.status.as_str(), "completed");
        let mut conn = app.db.conn();
        let events = wetech_persistence::repo::events::list_for_attempt(&mut conn, a.id).unwrap();
        let settled = events.iter().filter(|e| e.outcome == "settled").count();
        assert_eq!(settled, 1, "exactly one event settled: {events:?}");
    }

    async fn gateway_down_fails_the_attempt_and_frees_the_invoice(app: TestApp) {
        let id = new_invoice(&app, "gwdown@example.com").await;
        app.sim.fail_next(Endpoint::PesapalSubmitOrder, 1, 503);
        let resp = start(&app, &id, json!({"gateway": "pesapal"})).await;
        assert_eq!(resp.status(), 503);
        assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "gateway_unavailable");
        let inv = app.invoice(&id).await;
        assert_eq!(inv["status"], "unpaid");
        assert_eq!(inv["payments"][0]["status"], "failed");
        // The customer can try again at once.
        let (_, _) = start_pesapal(&app, &id).await;
        assert_eq!(app.invoice(&id).await["payments"].as_array().unwrap().len(), 2);
    }

    async fn slow_gateway_expires_the_attempt_and_a_late_success_settles(app: TestApp) {
        let id = new_invoice(&app, "slow@example.com").await;
        // Prime the token and IPN so only the checkout is slow.
        let (_, _) = start_pesapal(&app, &new_invoice(&app, "prime@example.com").await).await;
        app.sim.delay_next(Endpoint::PesapalSubmitOrder, 1, Duration::from_millis(3500));
        let resp = start(&app, &id, json!({"gateway": "pesapal"})).await;
        assert_eq!(resp.status(), 504);
        assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "gateway_timeout");
        let inv = app.invoice(&id).await;
        assert_eq!(inv["status"], "unpaid");
        assert_eq!(inv["payments"][0]["status"], "expired");
        let reference = inv["payments"][0]["id"].as_str().unwrap().to_owned();
        // The order did reach the gateway; the customer pays it after all; the IPN settles it.
        tokio::time::sleep(Duration::from_millis(700)).await;
        let order = app.sim.pesapal_orders().into_iter().find(|o| o.merchant_reference == reference).unwrap();
        app.sim.complete_pesapal_order(&order.order_tracking_id).unwrap();
        let paid = app.wait_for_status(&id, "paid").await;
        assert_eq!(paid["payments"][0]["status"], "completed");
    }

    async fn racing_payment_starts_leave_one_pending_attempt(app: TestApp) {
        let id = new_invoice(&app, "racepay@example.com").await;
        let path = format!("{}/api/v1/invoices/{id}/payments", app.address);
        let sends = (0..4).map(|_| app.client.post(&path).json(&json!({"gateway": "pesapal"})).send());
        let statuses: Vec<u16> = futures_util::future::join_all(sends).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
        let inv = app.invoice(&id).await;
        let pending = inv["payments"].as_array().unwrap().iter().filter(|p| p["status"] == "pending").count();
        assert_eq!(pending, 1);
    }

    async fn azampay_push_settles_through_the_signed_callback(app: TestApp) {
        let id = new_invoice(&app, "azam@example.com").await;
        let resp = start(&app, &id, json!({"gateway": "azampay", "phone": "0754123456", "provider": "Airtel"})).await;
        assert_eq!(resp.status(), 201);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["gateway"], "azampay");
        assert_eq!(body["status"], "pending");
        assert!(body["message"].is_string());
        let reference = body["payment_id"].as_str().unwrap();
        let tx = app.sim.azampay_transactions().into_iter().find(|t| t.external_id == reference).unwrap();
        assert_eq!(tx.msisdn, "255754123456");
        app.sim.approve_azampay(&tx.transaction_id).unwrap();
        let paid = app.wait_for_status(&id, "paid").await;
        assert_eq!(paid["payments"][0]["status"], "completed");
        // A stale failure for the same attempt never un-pays.
        let failure = app.sim.azampay_callback_body(&tx.transaction_id, false).unwrap();
        let url = format!("{}/payments/azampay/callback/{}", app.address, app.callback_token);
        for _ in 0..2 {
            // Every repeat of the stale failure gets the same answer.
            let resp = app.client.post(&url).header("content-type", "application/json").body(failure.clone()).send().await.unwrap();
            assert_eq!(resp.status(), 404);
        }
        assert_eq!(app.invoice(&id).await["status"], "paid");
        // The success delivered again: already handled.
        let success = app.sim.azampay_callback_body(&tx.transaction_id, true).unwrap();
        let resp = app.client.post(&url).header("content-type", "application/json").body(success).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.json::<Value>().await.unwrap(), json!({"success": true}));
    }

    async fn azampay_failure_frees_the_invoice(app: TestApp) {
        let id = new_invoice(&app, "azamfail@example.com").await;
        let resp = start(&app, &id, json!({"gateway": "azampay", "phone": "+255713000111", "provider": "Tigo"})).await;
        assert_eq!(resp.status(), 201);
        let reference = resp.json::<Value>().await.unwrap()["payment_id"].as_str().unwrap().to_owned();
        let tx = app.sim.azampay_transactions().into_iter().find(|t| t.external_id == reference).unwrap();
        app.sim.fail_azampay(&tx.transaction_id).unwrap();
        let inv = app.wait_for_status(&id, "unpaid").await;
        assert_eq!(inv["payments"][0]["status"], "failed");
    }

    async fn azampay_callback_refusals(app: TestApp) {
        let id = new_invoice(&app, "azamrefuse@example.com").await;
        app.sim.update_config(|c| c.delivery_attempts = 0);
        let resp = start(&app, &id, json!({"gateway": "azampay", "phone": "0754123456", "provider": "Mpesa"})).await;
        let reference = resp.json::<Value>().await.unwrap()["payment_id"].as_str().unwrap().to_owned();
        let tx = app.sim.azampay_transactions().into_iter().find(|t| t.external_id == reference).unwrap();
        let good = app.sim.azampay_callback_body(&tx.transaction_id, true).unwrap();
        let post = |path: String, body: Vec<u8>| {
            let client = app.client.clone();
            let url = format!("{}{path}", app.address);
            async move { client.post(url).header("content-type", "application/json").body(body).send().await.unwrap() }
        };
        // Wrong and missing token.
        assert_eq!(post("/payments/azampay/callback/wrong-token".into(), good.clone()).await.status(), 401);
        assert_eq!(post("/payments/azampay/callback".into(), good.clone()).await.status(), 401);
        let ok_path = format!("/payments/azampay/callback/{}", app.callback_token);
        // Tampered signed body (amount changed): the signature no longer verifies.
        let mut v: Value = serde_json::from_slice(&good).unwrap();
        if v.get("signature").is_some() {
            v["utilityref"] = json!(format!("{}X", reference));
            assert_eq!(post(ok_path.clone(), serde_json::to_vec(&v).unwrap()).await.status(), 401);
        }
        // An unknown utilityref.
        let mut unknown: Value = serde_json::from_slice(&good).unwrap();
        unknown.as_object_mut().unwrap().remove("signature");
        unknown["utilityref"] = json!("WTUNKNOWNREFERENCE0000000");
        assert_eq!(post(ok_path.clone(), serde_json::to_vec(&unknown).unwrap()).await.status(), 404);
        // Malformed body.
        assert_eq!(post(ok_path.clone(), b"{\"utilityref\":".to_vec()).await.status(), 400);
        // The genuine signed callback still settles.
        let resp = post(ok_path.clone(), good).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(app.invoice(&id).await["status"], "paid");

        // Unsigned, with the amount changed: not paid, under review, 422 — and the genuine
        // callback that follows is stored but settles nothing: a person decides.
        let id = new_invoice(&app, "azamreview@example.com").await;
        let resp = start(&app, &id, json!({"gateway": "azampay", "phone": "0754123456", "provider": "Mpesa"})).await;
        let reference = resp.json::<Value>().await.unwrap()["payment_id"].as_str().unwrap().to_owned();
        let tx = app.sim.azampay_transactions().into_iter().find(|t| t.external_id == reference).unwrap();
        let good = app.sim.azampay_callback_body(&tx.transaction_id, true).unwrap();
        let mut unsigned: Value = serde_json::from_slice(&good).unwrap();
        unsigned.as_object_mut().unwrap().remove("signature");
        unsigned["amount"] = json!("1");
        let resp = post(ok_path.clone(), serde_json::to_vec(&unsigned).unwrap()).await;
        assert_eq!(resp.status(), 422);
        assert_eq!(app.invoice(&id).await["status"], "unpaid", "not paid; the customer may pay again");
        let row = attempt(&app, &reference);
        assert_eq!(row.status, AttemptStatus::Review);
        assert!(row.review_reason.as_deref().unwrap_or_default().contains("amount"), "{row:?}");
        let resp = post(ok_path, good).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(app.invoice(&id).await["status"], "unpaid");
        assert_eq!(attempt(&app, &reference).status, AttemptStatus::Review);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_callbacks_refused_when_signatures_are_required() {
    let app = crate::helpers::spawn_app_with(wetech_persistence::Backend::Sqlite, |s| {
        s.payments.azampay.require_signature = true;
    })
    .await
    .unwrap();
    app.sim.update_config(|c| c.delivery_attempts = 0);
    let id = new_invoice(&app, "reqsig@example.com").await;
    let resp = start(
        &app,
        &id,
        json!({"gateway": "azampay", "phone": "0754123456", "provider": "Airtel"}),
    )
    .await;
    let reference = resp.json::<Value>().await.unwrap()["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tx = app
        .sim
        .azampay_transactions()
        .into_iter()
        .find(|t| t.external_id == reference)
        .unwrap();
    let mut body: Value = serde_json::from_slice(
        &app.sim
            .azampay_callback_body(&tx.transaction_id, true)
            .unwrap(),
    )
    .unwrap();
    body.as_object_mut().unwrap().remove("signature");
    let url = format!(
        "{}/payments/azampay/callback/{}",
        app.address, app.callback_token
    );
    let resp = app.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(app.invoice(&id).await["status"], "pending");
}

app_tests! {
    async fn reconcile_settles_a_payment_whose_ipn_was_lost(app: TestApp) {
        let id = new_invoice(&app, "lostipn@example.com").await;
        app.sim.update_config(|c| c.delivery_attempts = 0);
        let (reference, tracking) = start_pesapal(&app, &id).await;
        app.sim.complete_pesapal_order(&tracking).unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(app.invoice(&id).await["status"], "pending", "no IPN arrived");
        // Younger than the threshold: left alone.
        let changes = app.use_cases.reconcile(Duration::from_secs(3600)).await.unwrap();
        assert!(changes.is_empty(), "{changes:?}");
        let changes = app.use_cases.reconcile(Duration::ZERO).await.unwrap();
        let change = changes.iter().find(|c| c.payment_id == reference).unwrap();
        assert_eq!(change.outcome, "settled");
        assert_eq!(app.invoice(&id).await["status"], "paid");
        // Running it again changes nothing.
        let again = app.use_cases.reconcile(Duration::ZERO).await.unwrap();
        assert!(again.iter().all(|c| c.payment_id != reference), "{again:?}");
        // The lost IPN turns up late: the same fact, recognised by its dedupe key, handled once.
        let resp = app.get(&format!("/payments/pesapal/ipn?{}", ipn_query(&tracking, &reference))).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.json::<Value>().await.unwrap()["status"], 200);
        let a = attempt(&app, &reference);
        let mut conn = app.db.conn();
        let events = wetech_persistence::repo::events::list_for_attempt(&mut conn, a.id).unwrap();
        assert_eq!(events.iter().filter(|e| e.outcome == "settled").count(), 1, "{events:?}");
        // The late IPN found the reconciliation's event, and is stored beside it as a repeat.
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(events.iter().any(|e| e.kind == "ipn" && e.outcome == "already_handled"), "{events:?}");
    }

    async fn reconcile_expires_unqueryable_azampay_attempts_and_a_late_callback_still_settles(app: TestApp) {
        let _ = app;
        let app = crate::helpers::spawn_app_with(app.db.backend(), |s| s.checkout.azampay_expire_after_secs = 0).await.unwrap();
        app.sim.update_config(|c| c.delivery_attempts = 0);
        let id = new_invoice(&app, "azamexpire@example.com").await;
        let resp = start(&app, &id, json!({"gateway": "azampay", "phone": "0754123456", "provider": "Halopesa"})).await;
        let reference = resp.json::<Value>().await.unwrap()["payment_id"].as_str().unwrap().to_owned();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let changes = app.use_cases.reconcile(Duration::ZERO).await.unwrap();
        assert_eq!(changes.iter().find(|c| c.payment_id == reference).unwrap().outcome, "expired");
        let inv = app.invoice(&id).await;
        assert_eq!(inv["status"], "unpaid");
        assert_eq!(inv["payments"][0]["status"], "expired");
        // The customer approved after all: the verified callback settles the expired attempt.
        let tx = app.sim.azampay_transactions().into_iter().find(|t| t.external_id == reference).unwrap();
        let body = app.sim.azampay_callback_body(&tx.transaction_id, true).unwrap();
        let url = format!("{}/payments/azampay/callback/{}", app.address, app.callback_token);
        let resp = app.client.post(&url).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let paid = app.invoice(&id).await;
        assert_eq!(paid["status"], "paid");
        assert_eq!(paid["payments"][0]["status"], "completed");
    }

    async fn a_notification_for_another_invoices_attempt_changes_nothing(app: TestApp) {
        app.sim.update_config(|c| c.delivery_attempts = 0);
        let a = new_invoice(&app, "crossa@example.com").await;
        let b = new_invoice(&app, "crossb@example.com").await;
        let (ref_a, _) = start_pesapal(&app, &a).await;
        let (_, tracking_b) = start_pesapal(&app, &b).await;
        app.sim.complete_pesapal_order(&tracking_b).unwrap();
        // A's reference with B's (paid) tracking id.
        let resp = app.get(&format!("/payments/pesapal/ipn?{}", ipn_query(&tracking_b, &ref_a))).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(app.invoice(&a).await["status"], "unpaid", "A is not paid by B's money");
        assert_eq!(attempt(&app, &ref_a).status, AttemptStatus::Review);
    }

    async fn a_stored_ipn_id_the_gateway_does_not_know_is_registered_again(app: TestApp) {
        // As after a restart of the development simulator (or a switch from sandbox to live):
        // the database keeps an IPN id this Pesapal has never issued.
        {
            let mut conn = app.db.conn();
            wetech_persistence::repo::app_settings::set(&mut conn, wetech_app::payment::PESAPAL_IPN_ID_KEY, "11111111-2222-3333-4444-555555555555").unwrap();
        }
        let id = new_invoice(&app, "staleipn@example.com").await;
        let (_, tracking) = start_pesapal(&app, &id).await;
        let mut conn = app.db.conn();
        let stored = wetech_persistence::repo::app_settings::get(&mut conn, wetech_app::payment::PESAPAL_IPN_ID_KEY).unwrap().unwrap();
        assert_ne!(stored, "11111111-2222-3333-4444-555555555555");
        drop(conn);
        // And the IPN of the new registration settles the invoice.
        app.sim.complete_pesapal_order(&tracking).unwrap();
        app.wait_for_status(&id, "paid").await;
    }

    async fn a_checkout_whose_answer_is_lost_expires_and_a_late_callback_settles_it(app: TestApp) {
        let id = new_invoice(&app, "lostanswer@example.com").await;
        // The push is sent and handled, then the connection drops before the answer.
        app.sim.drop_next(Endpoint::AzamPayMnoCheckout, 1);
        let resp = start(&app, &id, json!({"gateway": "azampay", "phone": "0754123456", "provider": "Airtel"})).await;
        assert_eq!(resp.status(), 504);
        assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "gateway_timeout");
        let inv = app.invoice(&id).await;
        assert_eq!(inv["status"], "unpaid");
        assert_eq!(inv["payments"][0]["status"], "expired");
        let reference = inv["payments"][0]["id"].as_str().unwrap().to_owned();
        // The push reached the phone after all: AzamPay's (older, unsigned) callback settles it.
        let body = json!({
            "msisdn": "255754123456", "amount": inv["amount"], "message": "Success",
            "utilityref": reference, "operator": "Airtel", "reference": "AZ0000000001",
            "transactionstatus": "success", "submerchantAcc": null
        });
        let url = format!("{}/payments/azampay/callback/{}", app.address, app.callback_token);
        let resp = app.client.post(&url).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        assert_eq!(app.invoice(&id).await["status"], "paid");
    }

    async fn a_gateway_refusal_without_a_readable_body_fails_the_attempt(app: TestApp) {
        let id = new_invoice(&app, "refused400@example.com").await;
        app.sim.fail_next(Endpoint::AzamPayMnoCheckout, 1, 400);
        let resp = start(&app, &id, json!({"gateway": "azampay", "phone": "0754123456", "provider": "Airtel"})).await;
        assert_eq!(resp.status(), 502);
        assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "gateway_error");
        let inv = app.invoice(&id).await;
        assert_eq!(inv["status"], "unpaid");
        assert_eq!(inv["payments"][0]["status"], "failed");
    }

    async fn an_ipn_without_its_notification_type_is_malformed(app: TestApp) {
        let id = new_invoice(&app, "notype@example.com").await;
        let (reference, tracking) = start_pesapal(&app, &id).await;
        let resp = app.get(&format!("/payments/pesapal/ipn?OrderTrackingId={tracking}&OrderMerchantReference={reference}")).await;
        assert_eq!(resp.status(), 400);
        assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "malformed_request");
        // The browser return carries only the two and still works.
        let resp = app.get(&format!("/payments/pesapal/return?OrderTrackingId={tracking}&OrderMerchantReference={reference}")).await;
        assert_eq!(resp.status(), 303);
    }

    async fn azampay_wants_a_tanzanian_number_and_a_listed_provider(app: TestApp) {
        let id = new_invoice(&app, "kenyan@example.com").await;
        let resp = start(&app, &id, json!({"gateway": "azampay", "phone": "+254712345678", "provider": "Airtel"})).await;
        assert_eq!(resp.status(), 422);
        let body: Value = resp.json().await.unwrap();
        assert!(body["error"]["fields"]["phone"].is_string(), "{body}");
        for provider in ["Vodacom", "M-Pesa", "yas", "", "Airtel "] {
            let resp = start(&app, &id, json!({"gateway": "azampay", "phone": "0754123456", "provider": provider})).await;
            let status = resp.status();
            let body: Value = resp.json().await.unwrap();
            if provider == "Airtel " {
                // Surrounding blanks are forgiven.
                assert_eq!(status, 201, "{body}");
            } else {
                assert_eq!(status, 422, "{provider}: {body}");
                assert!(body["error"]["fields"]["provider"].is_string(), "{body}");
            }
        }
        // Nothing was recorded for the refused requests.
        assert_eq!(app.invoice(&id).await["payments"].as_array().unwrap().len(), 1);
        // Any case of a listed name.
        let other = new_invoice(&app, "lowercase@example.com").await;
        let resp = start(&app, &other, json!({"gateway": "azampay", "phone": "0754123456", "provider": "mpesa"})).await;
        assert_eq!(resp.status(), 201);
    }

    async fn a_callback_naming_the_payer_in_local_form_matches(app: TestApp) {
        app.sim.update_config(|c| c.delivery_attempts = 0);
        let id = new_invoice(&app, "localform@example.com").await;
        let resp = start(&app, &id, json!({"gateway": "azampay", "phone": "+255754000111", "provider": "Tigo"})).await;
        let reference = resp.json::<Value>().await.unwrap()["payment_id"].as_str().unwrap().to_owned();
        let tx = app.sim.azampay_transactions().into_iter().find(|t| t.external_id == reference).unwrap();
        let mut body: Value = serde_json::from_slice(&app.sim.azampay_callback_body(&tx.transaction_id, true).unwrap()).unwrap();
        body.as_object_mut().unwrap().remove("signature");
        body["msisdn"] = json!("0754000111");
        let url = format!("{}/payments/azampay/callback/{}", app.address, app.callback_token);
        let resp = app.client.post(&url).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(app.invoice(&id).await["status"], "paid");
    }

    async fn a_customer_may_switch_gateway_and_a_second_payment_is_flagged(app: TestApp) {
        app.sim.update_config(|c| c.delivery_attempts = 0);
        let id = new_invoice(&app, "switch@example.com").await;
        let (pesapal_ref, tracking) = start_pesapal(&app, &id).await;
        // Same gateway again at once: a double click, refused.
        assert_eq!(start(&app, &id, json!({"gateway": "pesapal"})).await.status(), 409);
        // The other gateway: allowed; the Pesapal attempt is superseded.
        let resp = start(&app, &id, json!({"gateway": "azampay", "phone": "0754123456", "provider": "Airtel"})).await;
        assert_eq!(resp.status(), 201);
        let azam_ref = resp.json::<Value>().await.unwrap()["payment_id"].as_str().unwrap().to_owned();
        let tx = app.sim.azampay_transactions().into_iter().find(|t| t.external_id == azam_ref).unwrap();
        let url = format!("{}/payments/azampay/callback/{}", app.address, app.callback_token);
        let body = app.sim.azampay_callback_body(&tx.transaction_id, true).unwrap();
        let resp = app.client.post(&url).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(app.invoice(&id).await["status"], "paid");
        // The customer had paid on the Pesapal page too: the IPN is valid and handled (200),
        // the invoice stays paid once, the Pesapal attempt is flagged for a refund.
        app.sim.complete_pesapal_order(&tracking).unwrap();
        let resp = app.get(&format!("/payments/pesapal/ipn?{}", ipn_query(&tracking, &pesapal_ref))).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.json::<Value>().await.unwrap()["status"], 200);
        assert_eq!(attempt(&app, &pesapal_ref).status, AttemptStatus::Review);
        assert_eq!(app.invoice(&id).await["status"], "paid");
    }

    async fn every_notification_is_stored_with_what_it_did(app: TestApp) {
        app.sim.update_config(|c| c.delivery_attempts = 0);
        let id = new_invoice(&app, "stored@example.com").await;
        let (reference, tracking) = start_pesapal(&app, &id).await;
        app.sim.complete_pesapal_order(&tracking).unwrap();
        for _ in 0..3 {
            assert_eq!(app.get(&format!("/payments/pesapal/ipn?{}", ipn_query(&tracking, &reference))).await.status(), 200);
        }
        let a = attempt(&app, &reference);
        let events = {
            let mut conn = app.db.conn();
            wetech_persistence::repo::events::list_for_attempt(&mut conn, a.id).unwrap()
        };
        let outcomes: Vec<&str> = events.iter().map(|e| e.outcome.as_str()).collect();
        assert_eq!(outcomes.len(), 3, "{outcomes:?}");
        assert_eq!(outcomes.iter().filter(|o| **o == "settled").count(), 1, "{outcomes:?}");
        assert_eq!(outcomes.iter().filter(|o| **o == "already_handled").count(), 2, "{outcomes:?}");
        // Refused ones are stored too: a wrong callback token, a malformed IPN.
        let url = format!("{}/payments/azampay/callback/not-the-token", app.address);
        let resp = app.client.post(&url).json(&json!({"utilityref": "X"})).send().await.unwrap();
        assert_eq!(resp.status(), 401);
        assert_eq!(app.get("/payments/pesapal/ipn?OrderTrackingId=only-this").await.status(), 400);
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = app.db.conn();
        let refused: Count = diesel::RunQueryDsl::get_result(
            diesel::sql_query("SELECT COUNT(*) AS n FROM payment_events WHERE attempt_id IS NULL AND outcome LIKE 'refused:%'"),
            &mut **conn,
        )
        .unwrap();
        assert_eq!(refused.n, 2);
        // The path token is a secret: never stored.
        let leaked: Count = diesel::RunQueryDsl::get_result(
            diesel::sql_query("SELECT COUNT(*) AS n FROM payment_events WHERE payload LIKE '%not-the-token%'"),
            &mut **conn,
        )
        .unwrap();
        assert_eq!(leaked.n, 0);
    }
}
