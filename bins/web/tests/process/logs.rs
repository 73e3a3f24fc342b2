//! What the real binary writes to stdout, `logs/app.log` and `logs/errors.log` while a customer
//! submits leads and pays through both simulated gateways (docs/operations.md, "Logs"): bunyan JSON lines,
//! request lines with id, method, route, status and duration, use-case lines with `client_id`,
//! `invoice_id`, `payment_id` and `gateway`, slow requests at warn, personal data masked, and no
//! secret anywhere.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Web, log_records, records};

/// The AzamPay callback token: part of the callback URL path, so a raw path in a log would leak it.
const CALLBACK_TOKEN: &str = "S3CR3T-azampay-callback-token";

/// Distinctive secrets: accepted in simulator mode, and never to be printed.
const SECRETS: [(&str, &str); 7] = [
    (
        "WETECH__SERVER__SECRET_KEY",
        "S3CR3T-server-secret-key-0123456789abcdef",
    ),
    (
        "WETECH__PAYMENTS__PESAPAL__CONSUMER_KEY",
        "S3CR3T-pesapal-consumer-key",
    ),
    (
        "WETECH__PAYMENTS__PESAPAL__CONSUMER_SECRET",
        "S3CR3T-pesapal-consumer-secret",
    ),
    (
        "WETECH__PAYMENTS__AZAMPAY__CLIENT_ID",
        "S3CR3T-azampay-client-id",
    ),
    (
        "WETECH__PAYMENTS__AZAMPAY__CLIENT_SECRET",
        "S3CR3T-azampay-client-secret",
    ),
    (
        "WETECH__PAYMENTS__AZAMPAY__API_KEY",
        "S3CR3T-azampay-api-key",
    ),
    ("WETECH__PAYMENTS__AZAMPAY__CALLBACK_TOKEN", CALLBACK_TOKEN),
];

/// The customer's address; its local part must never appear in a log.
const EMAIL: &str = "kijana.siri.7781@example.co.tz";
const EMAIL_LOCAL: &str = "kijana.siri.7781";
const EMAIL_MASKED: &str = "k***@example.co.tz";
/// The customer's number as typed; its subscriber digits must never appear in a log.
const PHONE: &str = "0754987321";
const PHONE_DIGITS: &str = "754987321";

/// One request's id from its response.
fn request_id(resp: &reqwest::Response) -> String {
    resp.headers()["x-request-id"].to_str().unwrap().to_owned()
}

/// The value of the hidden `csrf_token` field of a page.
fn csrf_token(html: &str) -> String {
    let at = html
        .find(r#"name="csrf_token" value=""#)
        .expect("a csrf_token field");
    let rest = &html[at + r#"name="csrf_token" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// What the customer did, as the API reported it.
struct Journey {
    services_request: String,
    lead_request: String,
    client_id: i64,
    pesapal_invoice: String,
    pesapal_payment: String,
    azampay_invoice: String,
    azampay_payment: String,
}

async fn customer_journey(web: &Web) -> Journey {
    let resp = web.get("/api/v1/services").await;
    assert_eq!(resp.status(), 200);
    let services_request = request_id(&resp);

    // A lead through the JSON API, paid with Pesapal.
    let lead = json!({"name": "Kijana Siri", "email": EMAIL, "phone": PHONE,
                      "company": "Siri Traders", "service": "WEB-BASIC", "message": "Habari"});
    let resp = web.post_json("/api/v1/leads", &lead).await;
    assert_eq!(resp.status(), 201);
    let lead_request = request_id(&resp);
    let receipt: Value = resp.json().await.unwrap();
    let client_id = receipt["client_id"].as_i64().unwrap();
    let pesapal_invoice = receipt["invoice"]["id"].as_str().unwrap().to_owned();
    let resp = web
        .post_json(
            &format!("/api/v1/invoices/{pesapal_invoice}/payments"),
            &json!({"gateway": "pesapal"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let started: Value = resp.json().await.unwrap();
    let pesapal_payment = started["payment_id"].as_str().unwrap().to_owned();
    let redirect = url_query(started["redirect_url"].as_str().unwrap());
    let tracking = redirect
        .iter()
        .find(|(k, _)| k == "OrderTrackingId")
        .map(|(_, v)| v.clone())
        .unwrap();
    // The customer pays on the hosted page; the simulator sends the IPN.
    let resp = web
        .client
        .post(format!(
            "{}/_simulator/control/pesapal/orders/{tracking}/complete",
            web.address
        ))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{resp:?}");
    web.wait_for_status(&pesapal_invoice, "paid").await;

    // A second lead through the HTML form, paid with AzamPay (the push is approved at once and
    // the simulator sends the callback to the path holding the callback token).
    let page = web.get("/").await;
    assert_eq!(page.status(), 200);
    let token = csrf_token(&page.text().await.unwrap());
    let resp = web
        .client
        .post(format!("{}/leads", web.address))
        .form(&[
            ("name", "Kijana Siri"),
            ("email", EMAIL),
            ("phone", PHONE),
            ("company", ""),
            ("service", "HOSTING"),
            ("message", ""),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "the form lead was accepted");
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let azampay_invoice = location.rsplit('/').next().unwrap().to_owned();
    let resp = web
        .client
        .put(format!("{}/_simulator/control/config", web.address))
        .json(&json!({"azampay_push": {"mode": "approve", "after_ms": 0}}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{resp:?}");
    let resp = web
        .post_json(
            &format!("/api/v1/invoices/{azampay_invoice}/payments"),
            &json!({"gateway": "azampay", "phone": "255754987321", "provider": "Mpesa"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let started: Value = resp.json().await.unwrap();
    let azampay_payment = started["payment_id"].as_str().unwrap().to_owned();
    web.wait_for_status(&azampay_invoice, "paid").await;

    // The configured callback token is the one in force (so its absence from the logs means
    // something): the right token gets past the check, a wrong one does not.
    let callback = |token: &str| {
        web.client
            .post(format!("{}/payments/azampay/callback/{token}", web.address))
            .json(&json!({}))
            .send()
    };
    assert_eq!(
        callback("not-the-callback-token").await.unwrap().status(),
        401
    );
    let status = callback(CALLBACK_TOKEN).await.unwrap().status();
    assert!(status.is_client_error() && status != 401, "{status}");

    Journey {
        services_request,
        lead_request,
        client_id,
        pesapal_invoice,
        pesapal_payment,
        azampay_invoice,
        azampay_payment,
    }
}

fn url_query(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str(query).unwrap()
}

/// Whether some record has every `(field, value)` pair.
fn has(records: &[Value], fields: &[(&str, Value)]) -> bool {
    records
        .iter()
        .any(|r| fields.iter().all(|(k, v)| &r[*k] == v))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_of_a_payment_journey_are_complete_masked_and_free_of_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let mut env: Vec<(&str, &str)> = SECRETS.to_vec();
    env.extend([
        ("WETECH__PAYMENTS__AZAMPAY__APP_NAME", "wetech-logtest"),
        ("WETECH__OBSERVABILITY__SLOW_REQUEST_MS", "1"),
        ("WETECH__OBSERVABILITY__VERY_SLOW_REQUEST_MS", "100000"),
        // The application's own debug lines go to stdout too; the files keep info and above.
        (
            "WETECH__LOG__LEVEL",
            "info,wetech_app=debug,wetech_web=debug,wetech_payments=debug,wetech_persistence=debug",
        ),
    ]);
    let web = Web::start(dir.path(), &env).await;
    let journey = customer_journey(&web).await;
    // Let the simulator's deliveries settle, then stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopped = web.terminate().await;
    assert!(
        stopped.status.success(),
        "{:?}: {}",
        stopped.status,
        stopped.stderr
    );

    let logs = dir.path().join("logs");
    let stdout_text = stopped.stdout.join("\n");
    let app_text = std::fs::read_to_string(logs.join("app.log")).unwrap();
    let errors_text = std::fs::read_to_string(logs.join("errors.log")).unwrap();

    // No secret and no personal data in clear, in any sink.
    for (sink, text) in [
        ("stdout", stdout_text.as_str()),
        ("app.log", app_text.as_str()),
        ("errors.log", errors_text.as_str()),
        ("stderr", stopped.stderr.as_str()),
    ] {
        for (key, secret) in SECRETS {
            assert!(!text.contains(secret), "{key} appears in {sink}");
        }
        assert!(
            !text.contains(EMAIL_LOCAL),
            "the e-mail address appears in {sink}"
        );
        assert!(
            !text.contains(PHONE_DIGITS),
            "the phone number appears in {sink}"
        );
    }

    // Every line of every sink is a bunyan record; errors.log holds errors only.
    let stdout = records(stopped.stdout.iter().map(String::as_str), "stdout");
    let app = log_records(&logs.join("app.log"));
    let errors = log_records(&logs.join("errors.log"));
    assert!(app.iter().all(|r| r["level"].as_u64().unwrap() >= 30));
    assert!(
        errors.iter().all(|r| r["level"].as_u64().unwrap() >= 50),
        "{errors:?}"
    );
    assert!(
        app.len() <= stdout.len(),
        "stdout has everything app.log has"
    );

    // The e-mail address is logged, masked.
    assert!(
        app_text.contains(EMAIL_MASKED),
        "the masked address is logged"
    );

    // Request lines: id, method, route (the pattern), status, duration.
    let ends: Vec<&Value> = app
        .iter()
        .filter(|r| r["msg"] == "[HTTP REQUEST - END]")
        .collect();
    assert!(ends.len() >= 8, "one end line per request: {}", ends.len());
    for r in &ends {
        for field in ["request_id", "method", "route", "status", "duration_ms"] {
            assert!(!r[field].is_null(), "{field} missing in {r}");
        }
        assert!(r["duration_ms"].is_u64() && r["status"].is_u64(), "{r}");
    }
    assert!(has(
        &app,
        &[
            ("request_id", json!(journey.services_request)),
            ("method", json!("GET")),
            ("route", json!("/api/v1/services")),
            ("status", json!(200)),
        ]
    ));
    assert!(has(
        &app,
        &[
            ("request_id", json!(journey.lead_request)),
            ("method", json!("POST")),
            ("route", json!("/api/v1/leads")),
            ("status", json!(201)),
        ]
    ));
    assert!(
        has(
            &app,
            &[
                ("route", json!("/payments/azampay/callback/{token}")),
                ("status", json!(200))
            ]
        ),
        "the callback is logged by its route pattern"
    );
    // One request can be followed by its id, from the access line to the use case's lines.
    assert!(
        has(
            &app,
            &[
                ("request_id", json!(journey.lead_request)),
                ("client_id", json!(journey.client_id)),
                ("invoice_id", json!(journey.pesapal_invoice)),
            ]
        ),
        "the lead's lines carry its request id, client_id and invoice_id"
    );
    assert!(stdout_text.contains(&journey.lead_request));

    // Payment lines carry invoice_id, payment_id and gateway.
    for (invoice, payment, gateway) in [
        (
            &journey.pesapal_invoice,
            &journey.pesapal_payment,
            "pesapal",
        ),
        (
            &journey.azampay_invoice,
            &journey.azampay_payment,
            "azampay",
        ),
    ] {
        assert!(
            has(
                &app,
                &[
                    ("invoice_id", json!(invoice)),
                    ("payment_id", json!(payment)),
                    ("gateway", json!(gateway)),
                ]
            ),
            "a {gateway} checkout line with invoice_id, payment_id and gateway"
        );
        assert!(
            has(
                &app,
                &[
                    ("invoice_id", json!(invoice)),
                    ("payment_id", json!(payment)),
                    ("gateway", json!(gateway)),
                    ("outcome", json!("settled")),
                ]
            ),
            "the {gateway} settlement line carries invoice_id, payment_id and gateway"
        );
    }

    // Slow requests (threshold 1 ms): warn with slow_request, route and duration; none very slow.
    let slow: Vec<&Value> = app
        .iter()
        .filter(|r| r["slow_request"] == json!(true))
        .collect();
    assert!(!slow.is_empty(), "some request took more than 1 ms");
    for r in &slow {
        assert_eq!(r["level"], 40, "{r}");
        assert!(r["route"].is_string() && r["duration_ms"].is_u64(), "{r}");
    }
}
