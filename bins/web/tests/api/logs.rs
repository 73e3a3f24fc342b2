//! Request ids as a client sees them: every response carries `X-Request-Id`, unique per request; an
//! incoming id is honoured only behind a trusted proxy.
//!
//! The in-process harness installs no global log subscriber, so what reaches the log files (the
//! same id on the request's lines, masking, no secrets, slow requests) is tested against the real
//! binary in the `process` test binary.

use std::collections::HashSet;

use serde_json::json;

use crate::app_tests;
use crate::helpers::{TestApp, spawn_app_with};

fn request_id(resp: &reqwest::Response) -> String {
    let values: Vec<_> = resp.headers().get_all("x-request-id").iter().collect();
    assert_eq!(values.len(), 1, "exactly one X-Request-Id: {values:?}");
    values[0].to_str().unwrap().to_owned()
}

fn is_uuid_v4(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
        && parts[2].starts_with('4')
}

async fn get_with_id(app: &TestApp, path: &str, id: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .header("x-request-id", id)
        .send()
        .await
        .unwrap()
}

app_tests! {
    async fn every_response_has_a_unique_request_id(app: TestApp) {
        let mut seen = HashSet::new();
        let mut check = |resp: &reqwest::Response, what: &str| {
            let id = request_id(resp);
            assert!(is_uuid_v4(&id), "{what}: generated id {id:?}");
            assert!(seen.insert(id.clone()), "{what}: id {id} reused");
        };
        for _ in 0..3 {
            let resp = app.get("/api/v1/services").await;
            assert_eq!(resp.status(), 200);
            check(&resp, "200");
        }
        let resp = app.get("/no/such/page").await;
        assert_eq!(resp.status(), 404);
        check(&resp, "404");
        let resp = app.post_json("/api/v1/leads", &json!({})).await;
        assert_eq!(resp.status(), 422);
        check(&resp, "422");
        let resp = app.client.post(format!("{}/api/v1/leads", app.address))
            .header("content-type", "application/json").body("{").send().await.unwrap();
        assert_eq!(resp.status(), 400);
        check(&resp, "400");
        let resp = app.post_json("/api/v1/leads", &TestApp::lead_body("ids@example.com")).await;
        assert_eq!(resp.status(), 201);
        check(&resp, "201");
        let resp = app.get("/health/live/").await;
        check(&resp, "health");
        let resp = app.client.post(format!("{}/payments/azampay/callback/wrong-token", app.address))
            .json(&json!({})).send().await.unwrap();
        assert_eq!(resp.status(), 401);
        check(&resp, "401");
        // Concurrent requests get distinct ids too.
        let sends = (0..20).map(|_| app.client.get(format!("{}/health/live", app.address)).send());
        for resp in futures_util::future::join_all(sends).await {
            check(&resp.unwrap(), "concurrent");
        }
    }

    async fn incoming_request_id_is_ignored_without_trust_proxy(app: TestApp) {
        let resp = get_with_id(&app, "/api/v1/services", "edge-abc-123").await;
        assert_eq!(resp.status(), 200);
        let id = request_id(&resp);
        assert_ne!(id, "edge-abc-123", "a client must not choose the id");
        assert!(is_uuid_v4(&id), "{id}");
    }
}

mod trusted_proxy {
    use super::*;

    async fn run(backend: wetech_persistence::Backend) {
        let Some(app) = spawn_app_with(backend, |s| s.server.trust_proxy = true).await else {
            return;
        };
        let resp = get_with_id(&app, "/api/v1/services", "edge-abc-123").await;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            request_id(&resp),
            "edge-abc-123",
            "the proxy's id is honoured"
        );
        let resp = get_with_id(&app, "/no/such/page", "lb/42:xyz").await;
        assert_eq!(request_id(&resp), "lb/42:xyz");

        // Unacceptable values are replaced by a generated id, never echoed.
        let long = "x".repeat(65);
        for bad in ["has space", long.as_str(), ""] {
            let resp = get_with_id(&app, "/api/v1/services", bad).await;
            assert_eq!(resp.status(), 200);
            let id = request_id(&resp);
            assert!(is_uuid_v4(&id), "{bad:?} gave {id:?}");
        }
        // Two ids from upstream: neither is picked.
        let resp = app
            .client
            .get(format!("{}/api/v1/services", app.address))
            .header("x-request-id", "one")
            .header("x-request-id", "two")
            .send()
            .await
            .unwrap();
        let id = request_id(&resp);
        assert!(is_uuid_v4(&id), "{id}");
        // No id from the proxy: one is generated.
        let resp = app.get("/api/v1/services").await;
        assert!(is_uuid_v4(&request_id(&resp)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(wetech_persistence::Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(wetech_persistence::Backend::Postgres).await;
    }
}

/// The id a client receives is the one on the request's lines in `logs/app.log`.
///
/// The harness installs no logging, so this test installs the process-wide subscriber itself,
/// writing into this app's log directory (other tests of the binary then log there too, which is
/// harmless). If something else installed one first, the files are elsewhere: the test says so and
/// stops (the `process` tests check the same against the real binary).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_request_id_is_on_the_requests_lines_in_app_log() {
    let app = crate::helpers::spawn_app(wetech_persistence::Backend::Sqlite)
        .await
        .unwrap();
    let settings = wetech_observability::LogSettings {
        dir: app.log_dir(),
        level: "info".to_owned(),
        ..wetech_observability::LogSettings::default()
    };
    let (subscriber, guard) = wetech_observability::subscriber_with_filter(
        "wetech-web-test",
        &settings,
        tracing_subscriber::EnvFilter::new("info"),
        wetech_observability::test_sink(),
    )
    .unwrap();
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        eprintln!("SKIPPED: a global log subscriber was already installed elsewhere");
        return;
    }
    // The writers must outlive this test: other tests of the binary now log through them.
    std::mem::forget(guard);

    let resp = app
        .post_json(
            "/api/v1/leads",
            &TestApp::lead_body("inproc.logs@example.com"),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let id = request_id(&resp);
    let path = app.log_dir().join(wetech_observability::APP_LOG);
    let mut lines = Vec::new();
    for _ in 0..100 {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        lines = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["request_id"] == id.as_str())
            .collect();
        if lines.iter().any(|v| v["status"] == 201) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let end = lines
        .iter()
        .find(|v| v["status"] == 201)
        .unwrap_or_else(|| panic!("no access line with request_id {id} in app.log: {lines:?}"));
    assert_eq!(end["method"], "POST");
    assert_eq!(end["route"], "/api/v1/leads");
    assert!(end["duration_ms"].is_u64());
    assert!(
        lines.iter().any(|v| v["invoice_id"].is_string()),
        "the use case's lines carry the same request id: {lines:?}"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("inproc.logs@"),
        "the e-mail address is masked"
    );
}
