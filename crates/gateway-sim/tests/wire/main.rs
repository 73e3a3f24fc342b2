//! The simulator over raw HTTP: it is as tolerant as the real gateways where they are known to
//! be tolerant, and as strict where they are strict.
#![expect(clippy::unwrap_used, reason = "tests")]

use serde_json::{Value, json};
use wetech_gateway_sim::{RunningSimulator, Simulator};

async fn post(url: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(url).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn pesapal_token(sim: &RunningSimulator) -> String {
    let url = format!("{}/api/Auth/RequestToken", sim.pesapal_base_url());
    let (_, body) = post(
        &url,
        None,
        &json!({"consumer_key":"k","consumer_secret":"s"}),
    )
    .await;
    body["token"].as_str().unwrap().to_owned()
}

async fn pesapal_ipn(sim: &RunningSimulator, token: &str) -> String {
    let url = format!("{}/api/URLSetup/RegisterIPN", sim.pesapal_base_url());
    let body = json!({"url":"http://127.0.0.1:9/ipn","ipn_notification_type":"GET"});
    let (_, answer) = post(&url, Some(token), &body).await;
    answer["ipn_id"].as_str().unwrap().to_owned()
}

fn order(ipn_id: &str, reference: &str) -> Value {
    json!({
        "id": reference, "currency": "TZS", "amount": 500000.00, "description": "Website",
        "callback_url": "http://127.0.0.1:9/return", "notification_id": ipn_id,
        "billing_address": {"email_address": "asha@example.com"}
    })
}

#[tokio::test]
async fn pesapal_orders_with_undocumented_fields_are_accepted() {
    let sim = Simulator::default().spawn().unwrap();
    let token = pesapal_token(&sim).await;
    let ipn_id = pesapal_ipn(&sim, &token).await;
    let url = format!(
        "{}/api/Transactions/SubmitOrderRequest",
        sim.pesapal_base_url()
    );
    // The official plugins send fields the documentation does not list.
    let mut body = order(&ipn_id, "INV-1");
    body["language"] = json!("EN");
    body["terms_and_conditions_id"] = json!("");
    body["source"] = json!("WHMCS");
    let (status, answer) = post(&url, Some(&token), &body).await;
    assert_eq!(status, 200);
    assert_eq!(answer["status"], "200", "{answer}");
    assert!(answer["order_tracking_id"].is_string(), "{answer}");
    // Strict where Pesapal is: the amount must be a JSON number.
    let mut text_amount = order(&ipn_id, "INV-2");
    text_amount["amount"] = json!("500000.00");
    let (_, answer) = post(&url, Some(&token), &text_amount).await;
    assert_eq!(answer["error"]["code"], "invalid_amount", "{answer}");
    sim.stop().await;
}

async fn azampay_token(sim: &RunningSimulator) -> String {
    let url = format!(
        "{}/AppRegistration/GenerateToken",
        sim.azampay_auth_base_url()
    );
    let body = json!({"appName":"a","clientId":"c","clientSecret":"s"});
    let (_, answer) = post(&url, None, &body).await;
    answer["data"]["accessToken"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn azampay_checkouts_with_unknown_fields_are_accepted() {
    let sim = Simulator::default().spawn().unwrap();
    let token = azampay_token(&sim).await;
    let url = format!("{}/azampay/mno/checkout", sim.azampay_checkout_base_url());
    // AzamPay's own WooCommerce plugin sends `source`, which the schema does not list.
    let body = json!({
        "accountNumber": "255712345678", "amount": "2000", "currency": "TZS",
        "externalId": "INV-1", "provider": "Airtel", "source": "Woo commerce Plugin"
    });
    let (status, answer) = post(&url, Some(&token), &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["success"], true, "{answer}");
    let bank = format!("{}/azampay/bank/checkout", sim.azampay_checkout_base_url());
    let body = json!({
        "amount": 3000, "currencyCode": "TZS", "merchantAccountNumber": "0150000000",
        "merchantMobileNumber": "255712345678", "otp": "123456", "provider": "CRDB",
        "referenceId": "INV-2", "source": "Woo commerce Plugin"
    });
    let (status, answer) = post(&bank, Some(&token), &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["success"], true, "{answer}");
    // Still strict on the fields it knows.
    let body = json!({
        "accountNumber": "0712", "amount": "2000", "currency": "TZS",
        "externalId": "INV-3", "provider": "Airtel"
    });
    let (status, answer) = post(&url, Some(&token), &body).await;
    assert_eq!(status, 400);
    assert!(answer["errors"]["accountNumber"].is_array(), "{answer}");
    sim.stop().await;
}
