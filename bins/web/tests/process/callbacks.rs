//! AzamPay callbacks against the real binary, where the logs are real (docs/payments.md,
//! "AzamPay callbacks and signatures"): a callback without `msisdn` settles its invoice and is
//! logged at warn; a public key that cannot be fetched answers 503, is logged at error (also in
//! `logs/errors.log`), and the callback AzamPay sends again settles once the key is back.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Web, log_records, records};

const CALLBACK_TOKEN: &str = "process-callback-token-0123456789";

async fn control(web: &Web, method: reqwest::Method, path: &str, body: &Value) {
    let resp = web
        .client
        .request(method, format!("{}/_simulator/control/{path}", web.address))
        .json(body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{path}: {resp:?}");
}

/// A lead and its AzamPay push, approved at once by the simulator; returns (invoice, payment).
async fn pay_with_azampay(web: &Web, email: &str) -> (String, String) {
    let lead = json!({"name": "Asha Mwakyusa", "email": email, "phone": "0754123456",
                      "company": "", "service": "WEB-BASIC", "message": ""});
    let resp = web.post_json("/api/v1/leads", &lead).await;
    assert_eq!(resp.status(), 201);
    let invoice = resp.json::<Value>().await.unwrap()["invoice"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = web
        .post_json(
            &format!("/api/v1/invoices/{invoice}/payments"),
            &json!({"gateway": "azampay", "phone": "0754123456", "provider": "Airtel"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let payment = resp.json::<Value>().await.unwrap()["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    (invoice, payment)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_without_msisdn_is_paid_and_warned_and_a_key_outage_is_503_and_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let web = Web::start(
        dir.path(),
        &[("WETECH__PAYMENTS__AZAMPAY__CALLBACK_TOKEN", CALLBACK_TOKEN)],
    )
    .await;
    control(
        &web,
        reqwest::Method::PUT,
        "config",
        &json!({"azampay_push": {"mode": "approve", "after_ms": 0}, "azampay_callback_msisdn": "missing"}),
    )
    .await;

    // No msisdn: applied on reference and amount.
    let (first, first_payment) = pay_with_azampay(&web, "nomsisdn.process@example.com").await;
    web.wait_for_status(&first, "paid").await;

    // AzamPay rotates its key while the key endpoint fails: the callback signed with the new
    // key fails against the cached one, the key cannot be fetched again (every try of the
    // client answers 500), so the callback is answered 503 and sent again a second later,
    // when the key is back.
    control(
        &web,
        reqwest::Method::POST,
        "azampay/rotate-key",
        &json!({}),
    )
    .await;
    control(
        &web,
        reqwest::Method::POST,
        "faults",
        &json!({"endpoint": "azampay.public_key", "kind": "status", "status": 500, "times": 4}),
    )
    .await;
    let (second, second_payment) = pay_with_azampay(&web, "keyoutage.process@example.com").await;
    web.wait_for_status(&second, "paid").await;
    let deliveries: Value = web
        .get("/_simulator/control/deliveries")
        .await
        .json()
        .await
        .unwrap();
    let statuses: Vec<&Value> = deliveries
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["body"].as_str().unwrap_or("").contains(&second_payment))
        .map(|d| &d["http_status"])
        .collect();
    assert_eq!(statuses, [&json!(503), &json!(200)], "{deliveries}");

    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped = web.terminate().await;
    assert!(stopped.status.success(), "{}", stopped.stderr);
    let stdout = records(stopped.stdout.iter().map(String::as_str), "stdout");
    let warned = stdout.iter().find(|r| {
        r["level"] == 40
            && r["payment_id"] == first_payment.as_str()
            && r["msg"].as_str().unwrap_or("").contains("without msisdn")
    });
    assert!(
        warned.is_some(),
        "no warning for the callback without msisdn: {stdout:#?}"
    );
    let is_key_error = |r: &&Value| {
        r["level"] == 50
            && r["msg"]
                .as_str()
                .unwrap_or("")
                .contains("public key is unavailable")
    };
    assert!(stdout.iter().any(|r| is_key_error(&r)), "{stdout:#?}");
    let errors = log_records(&dir.path().join("logs").join("errors.log"));
    assert!(errors.iter().any(|r| is_key_error(&r)), "{errors:#?}");
}
