//! A newcomer on another port (docs/configuration.md, `server.public_url`): with only
//! `WETECH__SERVER__PORT` set, the public URL follows the bound port, so the invoice link,
//! Pesapal's redirect and IPN and AzamPay's callback all reach this server, and an invoice is
//! paid through each simulated gateway; the "listening" line says which URL callbacks use.

use serde_json::{Value, json};

use crate::helpers::{Web, records};

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().port()
}

async fn lead(web: &Web, email: &str) -> Value {
    let lead = json!({"name": "Neema Mgeni", "email": email, "phone": "0754123456",
                      "company": "", "service": "WEB-BASIC", "message": ""});
    let resp = web.post_json("/api/v1/leads", &lead).await;
    assert_eq!(resp.status(), 201);
    resp.json::<Value>().await.unwrap()["invoice"].clone()
}

async fn post_ok(web: &Web, path: &str, body: &Value) {
    let resp = web
        .client
        .request(
            if path.ends_with("config") {
                reqwest::Method::PUT
            } else {
                reqwest::Method::POST
            },
            format!("{}{path}", web.address),
        )
        .json(body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{path}: {resp:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_port_set_and_both_gateways_pay_through_the_simulator() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let web = Web::start(dir.path(), &[("WETECH__SERVER__PORT", port.as_str())]).await;
    let origin = format!("http://127.0.0.1:{port}");
    assert_eq!(web.address, origin);

    // Pesapal: the hosted page and the IPN are on this server.
    let invoice = lead(&web, "newcomer.pesapal@example.com").await;
    let id = invoice["id"].as_str().unwrap();
    assert_eq!(invoice["url"], format!("{origin}/invoices/{id}"));
    let resp = web
        .post_json(
            &format!("/api/v1/invoices/{id}/payments"),
            &json!({"gateway": "pesapal"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let started: Value = resp.json().await.unwrap();
    let redirect = started["redirect_url"].as_str().unwrap();
    assert!(
        redirect.starts_with(&format!("{origin}/_simulator/")),
        "{redirect}"
    );
    let tracking = redirect
        .split_once("OrderTrackingId=")
        .map(|(_, rest)| rest.split('&').next().unwrap())
        .unwrap();
    post_ok(
        &web,
        &format!("/_simulator/control/pesapal/orders/{tracking}/complete"),
        &json!({}),
    )
    .await;
    web.wait_for_status(id, "paid").await;

    // AzamPay: the push is approved at once and the callback comes to this port.
    post_ok(
        &web,
        "/_simulator/control/config",
        &json!({"azampay_push": {"mode": "approve", "after_ms": 0}}),
    )
    .await;
    let invoice = lead(&web, "newcomer.azampay@example.com").await;
    let id = invoice["id"].as_str().unwrap();
    let resp = web
        .post_json(
            &format!("/api/v1/invoices/{id}/payments"),
            &json!({"gateway": "azampay", "phone": "0754123456", "provider": "Airtel"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    web.wait_for_status(id, "paid").await;

    let deliveries: Value = web
        .get("/_simulator/control/deliveries")
        .await
        .json()
        .await
        .unwrap();
    let targets: Vec<&str> = deliveries
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["url"].as_str())
        .collect();
    assert!(!targets.is_empty(), "{deliveries}");
    assert!(
        targets.iter().all(|u| u.starts_with(&origin)),
        "every notification went to {origin}: {targets:?}"
    );

    let stopped = web.terminate().await;
    assert!(stopped.status.success(), "{}", stopped.stderr);
    let stdout = records(stopped.stdout.iter().map(String::as_str), "stdout");
    let listening = stdout.iter().find(|r| r["msg"] == "listening").unwrap();
    assert_eq!(listening["public_url"], origin.as_str(), "{listening}");
}
