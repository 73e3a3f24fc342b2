//! Health probes through the real server.

use crate::app_tests;

app_tests! {
    async fn health_reports_every_check(app: TestApp) {
        for path in ["/health", "/health/"] {
            let resp = app.get(path).await;
            assert_eq!(resp.status(), 200, "{path}");
            assert_eq!(resp.headers()["content-type"], "application/health+json");
            let body: serde_json::Value = resp.json().await.unwrap();
            assert_eq!(body["status"], "pass");
            assert_eq!(body["checks"]["database"]["status"], "pass");
            assert!(body["checks"]["database"]["latency_ms"].is_u64());
            assert!(body["checks"]["disk"]["free_bytes"].as_u64().unwrap() > 0);
            assert_eq!(body["checks"]["media"]["status"], "pass");
            assert_eq!(body["checks"]["static"]["status"], "pass");
            assert_eq!(body["checks"]["mail"]["status"], "pass");
            assert!(body["version"].is_string());
        }
    }

    async fn ready_and_live_with_and_without_slash(app: TestApp) {
        for path in ["/health/ready", "/health/ready/", "/health/live", "/health/live/"] {
            let resp = app.get(path).await;
            assert_eq!(resp.status(), 200, "{path}");
            assert_eq!(resp.headers()["content-type"], "application/health+json");
            assert!(resp.headers().contains_key("x-request-id"));
        }
    }

    async fn media_dir_gone_fails_the_probe(app: TestApp) {
        std::fs::remove_dir_all(app.dir.path().join("media")).unwrap();
        let resp = app.get("/health/").await;
        assert_eq!(resp.status(), 503);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["status"], "fail");
        assert_eq!(body["checks"]["media"]["status"], "fail");
        // Liveness does not depend on it.
        assert_eq!(app.get("/health/live/").await.status(), 200);
    }
}
