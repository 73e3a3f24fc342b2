//! First start (database created and migrated relative to the working directory), readiness
//! told to systemd, and graceful shutdown on SIGTERM (in-flight request finished, exit 0, logs
//! flushed).

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Web, log_records, records};

/// Starts a Pesapal payment whose order submission the simulator holds for `delay_ms`, and waits
/// until the call has reached the simulator (so the request is in flight).
async fn payment_in_flight(
    web: &Web,
    delay_ms: u64,
) -> (String, tokio::task::JoinHandle<reqwest::Response>) {
    let receipt: Value = web
        .post_json(
            "/api/v1/leads",
            &json!({"name": "Baraka Shutdown", "email": "shutdown@example.com",
                    "phone": "0712345678", "service": "HOSTING"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let invoice = receipt["invoice"]["id"].as_str().unwrap().to_owned();
    let resp = web
        .post_json(
            "/_simulator/control/faults",
            &json!({"endpoint": "pesapal.submit_order", "kind": "delay", "delay_ms": delay_ms}),
        )
        .await;
    assert!(resp.status().is_success(), "fault injection: {resp:?}");
    let client = web.client.clone();
    let url = format!("{}/api/v1/invoices/{invoice}/payments", web.address);
    let request = tokio::spawn(async move {
        client
            .post(url)
            .json(&json!({"gateway": "pesapal"}))
            .send()
            .await
            .unwrap()
    });
    for _ in 0..200 {
        let calls: Value = web
            .get("/_simulator/control/calls")
            .await
            .json()
            .await
            .unwrap();
        if calls["pesapal.submit_order"].as_u64().unwrap_or(0) >= 1 {
            return (invoice, request);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the payment request never reached the simulator");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_migrates_and_sigterm_finishes_in_flight_requests() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("WETECH__SERVER__SHUTDOWN_TIMEOUT_SECS", "10")];
    let web = Web::start(dir.path(), &env).await;

    // First start: the SQLite file is created under data/ of the working directory and migrated.
    let db = dir.path().join("data/wetech.sqlite3");
    assert!(db.is_file(), "{} was not created", db.display());
    assert_eq!(web.get("/health/live/").await.status(), 200);
    let ready = web.get("/health/ready/").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.unwrap()["pending_migrations"],
        json!([])
    );
    let settings = wetech_persistence::DatabaseSettings::new(format!("sqlite://{}", db.display()));
    let pool = wetech_persistence::connect(&settings).unwrap();
    let pending = wetech_persistence::pending_migrations(&mut pool.get().unwrap()).unwrap();
    assert!(pending.is_empty(), "{pending:?}");
    drop(pool);

    // SIGTERM while a payment request is waiting for the gateway.
    let (invoice, in_flight) = payment_in_flight(&web, 1500).await;
    let signalled = std::time::Instant::now();
    web.sigterm();
    let resp = in_flight.await.unwrap();
    assert_eq!(resp.status(), 201, "the in-flight request was finished");
    let payment: Value = resp.json().await.unwrap();
    assert_eq!(payment["status"], "pending");
    let address = web.address.clone();
    let stopped = web.wait().await;
    assert!(
        stopped.status.success(),
        "exit status {:?}\n{}",
        stopped.status,
        stopped.stderr
    );
    assert!(
        signalled.elapsed() < Duration::from_secs(10),
        "stopped within the shutdown timeout"
    );
    // Nothing listens any more.
    assert!(
        reqwest::get(format!("{address}/health/live/"))
            .await
            .is_err()
    );

    // The logs were flushed: the last line of app.log (and of stdout) is the final message.
    let app_log = log_records(&dir.path().join("logs/app.log"));
    assert_eq!(
        app_log.last().unwrap()["msg"],
        "stopped",
        "{:?}",
        app_log.last()
    );
    let stdout = records(stopped.stdout.iter().map(String::as_str), "stdout");
    assert_eq!(stdout.last().unwrap()["msg"], "stopped");
    assert!(
        app_log.iter().any(|r| r["migration"].is_string()),
        "the first start logs the migrations it applied"
    );

    // A second start reuses the same file: nothing to migrate, the data survived.
    let web = Web::start(dir.path(), &env).await;
    let shown: Value = web
        .get(&format!("/api/v1/invoices/{invoice}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["status"], "pending");
    assert_eq!(shown["payments"][0]["id"], payment["payment_id"]);
    let stopped = web.terminate().await;
    assert!(stopped.status.success());
    let second = records(stopped.stdout.iter().map(String::as_str), "stdout");
    assert!(
        !second.iter().any(|r| r["migration"].is_string()),
        "nothing is migrated twice"
    );
}

/// Under systemd (`Type=notify`) the binary sends `READY=1` to `$NOTIFY_SOCKET` once it listens:
/// the datagram arrives, and by then the site answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_told_to_systemd_once_the_site_listens() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = tokio::net::UnixDatagram::bind(&socket_path).unwrap();
    let web = Web::start(
        dir.path(),
        &[("NOTIFY_SOCKET", socket_path.to_str().unwrap())],
    )
    .await;
    let mut buf = vec![0_u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(30), socket.recv(&mut buf))
        .await
        .expect("no readiness datagram")
        .unwrap();
    let message = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(message.lines().any(|l| l == "READY=1"), "{message:?}");
    assert!(
        message.contains(&format!(
            "STATUS=listening on {}",
            web.address.trim_start_matches("http://")
        )),
        "{message:?}"
    );
    assert_eq!(web.get("/health/live/").await.status(), 200);
    web.sigterm();
    assert!(web.wait().await.status.success());
}
