//! E-mail through the real server (docs/operations.md, "E-mail"): each change writes its
//! messages with it, the sender started with the server delivers them (`.eml` files by default
//! in development, or a real SMTP server), and a stalled mail server never slows a request.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wetech_domain::AttemptStatus;
use wetech_persistence::outbox::{self, OutboxRow};
use wetech_persistence::repo::attempts;
use wetech_test_smtp::{Security, SmtpSink};

use crate::app_tests;
use crate::helpers::{TestApp, spawn_app_with};

async fn new_invoice(app: &TestApp, email: &str) -> Value {
    app.submit_lead(email).await
}

fn rows(app: &TestApp) -> Vec<OutboxRow> {
    outbox::list_all(&mut app.db.conn()).unwrap()
}

/// Waits until every message is `sent` (or 30 s) and returns them.
async fn all_sent(app: &TestApp, n: usize) -> Vec<OutboxRow> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = rows(app);
        if (rows.len() >= n && rows.iter().all(|r| r.state == "sent")) || Instant::now() > deadline
        {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn eml_files(app: &TestApp) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(app.dir.path().join("mail"))
        .map(|d| {
            d.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Starts a Pesapal payment of invoice `id` in the simulator; its order tracking id.
pub async fn pay_with_pesapal(app: &TestApp, id: &str) -> String {
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
    app.sim
        .pesapal_orders()
        .into_iter()
        .find(|o| o.merchant_reference == reference)
        .unwrap()
        .order_tracking_id
}

app_tests! {
    async fn a_new_lead_writes_the_staff_and_customer_emails_as_files_by_default(app: TestApp) {
        let lead = new_invoice(&app, "amina@example.com").await;
        let lead_id = lead["lead_id"].as_i64().unwrap();
        let invoice_id = lead["invoice"]["id"].as_str().unwrap();
        let rows = all_sent(&app, 2).await;
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(rows.iter().all(|r| r.state == "sent"), "{rows:?}");
        assert_eq!(rows[0].event_key, format!("lead-{lead_id}.new-lead"));
        let files = eml_files(&app);
        assert_eq!(files.len(), 2);
        let staff = files.iter().find(|f| f.contains("Auto-Submitted: auto-generated")).unwrap();
        assert!(staff.contains(&format!("/admin/leads/{lead_id}")), "{staff}");
        assert!(staff.contains("To: staff@wetech.localhost"), "{staff}");
        let customer = files.iter().find(|f| !f.contains("Auto-Submitted")).unwrap();
        assert!(customer.contains("To: amina@example.com"), "{customer}");
        assert!(customer.contains(&format!("{}/invoices/{invoice_id}", app.address)), "{customer}");
        assert!(customer.contains("Content-Type: text/plain") && customer.contains("Content-Type: text/html"));
    }

    async fn a_paid_invoice_sends_the_receipt_and_a_staff_note(app: TestApp) {
        let lead = new_invoice(&app, "paid@example.com").await;
        let id = lead["invoice"]["id"].as_str().unwrap().to_owned();
        let tracking = pay_with_pesapal(&app, &id).await;
        app.sim.complete_pesapal_order(&tracking).unwrap();
        app.wait_for_status(&id, "paid").await;
        let rows = all_sent(&app, 4).await;
        let kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds, ["new-lead-staff", "new-lead-customer", "receipt-customer", "paid-staff"]);
        let receipt = &rows[2];
        assert_eq!(receipt.to_address.as_deref(), Some("paid@example.com"));
        assert_eq!(receipt.attachment.as_deref(), Some(format!("receipt:{id}").as_str()));
        assert!(rows.iter().all(|r| r.state == "sent"));
        // A repeated IPN settles nothing new and enqueues nothing new.
        let again = app
            .get(&format!(
                "/payments/pesapal/ipn?OrderTrackingId={tracking}&OrderMerchantReference={}&OrderNotificationType=IPNCHANGE",
                app.invoice(&id).await["payments"][0]["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(again.status(), 200);
        assert_eq!(rows_len(&app), 4);
    }

    async fn an_attempt_put_under_review_alerts_the_staff_with_what_to_do(app: TestApp) {
        app.sim.update_config(|c| c.delivery_attempts = 0);
        let a = new_invoice(&app, "review-a@example.com").await["invoice"]["id"].as_str().unwrap().to_owned();
        let b = new_invoice(&app, "review-b@example.com").await["invoice"]["id"].as_str().unwrap().to_owned();
        let tracking_a = pay_with_pesapal(&app, &a).await;
        let tracking_b = pay_with_pesapal(&app, &b).await;
        let ref_a = app
            .sim
            .pesapal_orders()
            .into_iter()
            .find(|o| o.order_tracking_id == tracking_a)
            .unwrap()
            .merchant_reference;
        app.sim.complete_pesapal_order(&tracking_b).unwrap();
        // B's order named with A's reference: a mismatch, A under review.
        let resp = app
            .get(&format!(
                "/payments/pesapal/ipn?OrderTrackingId={tracking_b}&OrderMerchantReference={ref_a}&OrderNotificationType=IPNCHANGE"
            ))
            .await;
        assert_eq!(resp.status(), 200);
        let attempt = attempts::find_by_merchant_reference(&mut app.db.conn(), &ref_a).unwrap().unwrap();
        assert_eq!(attempt.status, AttemptStatus::Review);
        let rows = all_sent(&app, 5).await;
        let alert = rows.iter().find(|r| r.kind == "review-staff").unwrap();
        assert!(alert.event_key.starts_with(&format!("attempt-{}.review-", attempt.id)), "{alert:?}");
        assert!(alert.is_staff());
        let file = eml_files(&app)
            .into_iter()
            .find(|f| f.contains("Payment under review"))
            .unwrap();
        assert!(file.contains("What to do"), "{file}");
        assert!(file.contains(&format!("/admin/invoices/{a}")), "{file}");
    }
}

fn rows_len(app: &TestApp) -> usize {
    rows(app).len()
}

/// With the SMTP server hung, submitting leads takes no longer than usual (the request only
/// writes the outbox rows); once the server answers, each message arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_mail_server_never_slows_a_lead_and_gets_every_message_once_later() {
    let sink = SmtpSink::start(Security::Plain).await;
    sink.stall(true);
    let (host, port) = (sink.host(), sink.port());
    let app = spawn_app_with(wetech_persistence::Backend::Sqlite, |s| {
        s.mail.transport = Some(wetech_mail::TransportKind::Smtp);
        s.mail.smtp.host = host;
        s.mail.smtp.port = Some(port);
        s.mail.smtp.tls = wetech_mail::TlsMode::None;
        s.mail.smtp.timeout_secs = 1;
        s.mail.retry_base_secs = 1;
        s.mail.retry_max_secs = 1;
        s.mail.lease_secs = 60;
    })
    .await
    .unwrap();
    // A first lead, and the sender is stuck in a conversation with the hung server.
    app.submit_lead("stalled-first@example.com").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while sink.connections() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(sink.connections() > 0, "the sender is trying");
    let mut slowest = Duration::ZERO;
    for n in 0..5 {
        let started = Instant::now();
        app.submit_lead(&format!("stalled-{n}@example.com")).await;
        slowest = slowest.max(started.elapsed());
    }
    assert!(
        slowest < Duration::from_millis(900),
        "a lead took {slowest:?} with the mail server hung"
    );
    sink.stall(false);
    let rows = all_sent(&app, 12).await;
    assert!(rows.iter().all(|r| r.state == "sent"), "{rows:?}");
    let received = sink.wait_for(12, Duration::from_secs(5)).await;
    assert_eq!(received.len(), 12);
    let mut ids: Vec<_> = received
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "each once");
}

/// `/health/`'s `mail` check warns (never fails) on a message waiting over 15 minutes and on a
/// failed one; with the transport `off` messages wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_mail_check_warns_on_old_or_failed_messages_and_never_fails() {
    let app = spawn_app_with(wetech_persistence::Backend::Sqlite, |s| {
        s.mail.transport = Some(wetech_mail::TransportKind::Off);
    })
    .await
    .unwrap();
    let health = || async {
        let resp = app.get("/health/").await;
        assert_eq!(resp.status(), 200, "mail trouble never takes the site out");
        resp.json::<Value>().await.unwrap()
    };
    let body = health().await;
    assert_eq!(body["checks"]["mail"]["status"], "pass", "{body}");
    let facts = outbox::Facts::UndeliveredStaff {
        message_id: 1,
        failed_kind: "receipt-customer".into(),
        to: "a@example.com".into(),
        error: "550".into(),
    };
    let now = wetech_persistence::now_utc();
    outbox::enqueue(
        &mut app.db.conn(),
        &outbox::NewMessage {
            event_key: "old",
            role: outbox::RecipientRole::Staff,
            to_address: None,
            language: "en",
            facts: &facts,
            attachment: None,
            now: now - chrono::Duration::minutes(20),
        },
    )
    .unwrap();
    let body = health().await;
    assert_eq!(body["status"], "warn", "{body}");
    assert_eq!(body["checks"]["mail"]["status"], "warn");
    assert_eq!(body["checks"]["mail"]["waiting"], 1);
    assert!(
        body["checks"]["mail"]["detail"]
            .as_str()
            .unwrap()
            .contains("15 minutes")
    );
    let lease = now + chrono::Duration::minutes(5);
    let mut conn = app.db.conn();
    let row = &outbox::claim(&mut conn, now, lease, 1).unwrap()[0];
    assert!(outbox::mark_failed(&mut conn, row.id, lease, "550", Some("550")).unwrap());
    let body = health().await;
    assert_eq!(body["checks"]["mail"]["status"], "warn");
    assert_eq!(body["checks"]["mail"]["failed"], 1);
    assert!(
        body["checks"]["mail"]["detail"]
            .as_str()
            .unwrap()
            .contains("failed")
    );
}
