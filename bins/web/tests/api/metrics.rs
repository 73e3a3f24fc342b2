//! `GET /metrics` on its own listener (CONTRACT §14): the series after a lead, a payment through
//! the simulator and a 404, their labels, and `promtool check metrics` on the text.

use std::process::Stdio;

use crate::app_tests;
use crate::helpers::TestApp;

async fn scrape(app: &TestApp) -> String {
    let address = app
        .metrics_address
        .expect("metrics are on in the test settings");
    let resp = reqwest::get(format!("http://{address}/metrics"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    resp.text().await.unwrap()
}

/// `promtool check metrics` on `text`: fails under CI=true when promtool is missing (the Debian
/// package `prometheus`, installed by .ci/run), skips loudly otherwise.
fn promtool_check(text: &str) {
    let spawned = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "promtool is required under CI=true (Debian package prometheus): {e}"
            );
            eprintln!(
                "SKIPPED: promtool check metrics (promtool not found: {e}; apt-get install prometheus)"
            );
            return;
        }
    };
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n--- text ---\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn has_line(text: &str, start: &str) -> bool {
    text.lines().any(|l| l.starts_with(start))
}

app_tests! {
    async fn scrape_shows_every_series_with_bounded_labels(app: TestApp) {
    let (id, _payment, tx) = app.start_azampay_payment("metrics.person@example.com").await;
    app.sim.approve_azampay(&tx).unwrap();
    app.wait_for_status(&id, "paid").await;
    assert_eq!(app.get("/no/such/page/0754123456").await.status(), 404);

    let text = scrape(&app).await;
    for series in [
        "wetech_leads_total ",
        "wetech_payments_started_total{gateway=\"azampay\"}",
        "wetech_payment_outcomes_total{gateway=\"azampay\",outcome=\"settled\"}",
        "wetech_gateway_request_duration_seconds_bucket{gateway=\"azampay\",operation=",
        "wetech_attempts_in_review ",
        "wetech_outbox_messages{state=\"waiting\"}",
        "wetech_outbox_messages{state=\"failed\"}",
        "wetech_db_pool_connections{state=\"idle\"}",
        "wetech_db_pool_connections{state=\"in_use\"}",
        "process_resident_memory_bytes ",
        "http_requests_total{method=\"POST\",route=\"/api/v1/leads\",status=\"201\"}",
        "http_requests_total{method=\"POST\",route=\"/payments/azampay/callback/{token}\",status=\"200\"}",
        "http_requests_total{method=\"GET\",route=\"<unmatched>\",status=\"404\"}",
        "http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/invoices/{id}\",le=",
    ] {
        assert!(has_line(&text, series), "no line starting {series:?} in:\n{text}");
    }
    // No label holds the raw path, a secret, an e-mail address, a phone number or an id.
    for leak in [
        app.callback_token.as_str(),
        "metrics.person",
        "example.com",
        "0754123456",
        "/no/such/page",
        id.as_str(),
    ] {
        assert!(!text.contains(leak), "{leak:?} in the metrics:\n{text}");
    }
    promtool_check(&text);
    }

    async fn metrics_are_not_on_the_public_port(app: TestApp) {
    assert_eq!(app.get("/metrics").await.status(), 404);
    assert_ne!(
        app.metrics_address.map(|a| a.port()),
        Some(app.address.rsplit(':').next().unwrap().parse().unwrap())
    );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_metrics_addr_turns_the_listener_off() {
    let app = crate::helpers::spawn_app_with(wetech_persistence::Backend::Sqlite, |s| {
        s.observability.metrics_addr = String::new();
    })
    .await
    .unwrap();
    assert!(app.metrics_address.is_none());
    assert_eq!(app.get("/metrics").await.status(), 404);
}
