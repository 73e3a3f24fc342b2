//! The slow-request middleware: thresholds, levels and fields.

use std::time::Duration;

use actix_web::{App, HttpResponse, test, web};
use serde_json::Value;
use wetech_observability::{ObservabilitySettings, RequestTracing, SlowRequestLogger};

use crate::helpers::{Capture, Captured, lines};

async fn sleepy() -> HttpResponse {
    actix_web::rt::time::sleep(Duration::from_millis(60)).await;
    HttpResponse::Accepted().finish()
}

async fn fast() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[derive(Clone, Copy, PartialEq)]
enum Order {
    /// `RequestTracing` outermost (the recommended order).
    TracingOutside,
    /// `SlowRequestLogger` outermost.
    SlowOutside,
}

async fn run(
    slow_ms: u64,
    very_slow_ms: u64,
    uri: &str,
    order: Order,
) -> (Option<String>, Captured) {
    let (capture, subscriber) = Capture::new("info");
    let default = tracing::subscriber::set_default(subscriber);
    let settings = ObservabilitySettings {
        slow_request_ms: slow_ms,
        very_slow_request_ms: very_slow_ms,
        ..ObservabilitySettings::default()
    };
    let routes = |cfg: &mut web::ServiceConfig| {
        cfg.route("/reports/{year}", web::get().to(sleepy))
            .route("/health/live", web::get().to(fast));
    };
    let req = test::TestRequest::get().uri(uri).to_request();
    let res = if order == Order::TracingOutside {
        let app = test::init_service(
            App::new()
                .configure(routes)
                .wrap(SlowRequestLogger::new(&settings))
                .wrap(RequestTracing::new(false)),
        )
        .await;
        test::call_service(&app, req).await.map_into_boxed_body()
    } else {
        let app = test::init_service(
            App::new()
                .configure(routes)
                .wrap(RequestTracing::new(false))
                .wrap(SlowRequestLogger::new(&settings)),
        )
        .await;
        test::call_service(&app, req).await.map_into_boxed_body()
    };
    let id = res
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned());
    drop(res);
    drop(default);
    (id, capture.finish())
}

fn slow_lines(text: &str) -> Vec<Value> {
    lines(text)
        .into_iter()
        .filter(|l| l.get("slow_request").is_some())
        .collect()
}

fn assert_slow_line(line: &Value, level: u64, id: &str, threshold: u64) {
    assert_eq!(line["slow_request"], true, "{line}");
    assert_eq!(line["level"], level, "{line}");
    assert_eq!(line["route"], "/reports/{year}", "{line}");
    assert_eq!(line["method"], "GET", "{line}");
    assert_eq!(line["status"], 202, "{line}");
    assert_eq!(line["request_id"], id, "{line}");
    assert_eq!(line["threshold_ms"], threshold, "{line}");
    assert!(line["duration_ms"].as_u64().unwrap() >= 60, "{line}");
    assert!(
        line["msg"].as_str().unwrap().ends_with("slow request"),
        "{line}"
    );
}

#[actix_web::test]
async fn above_the_very_slow_threshold_logs_an_error() {
    for order in [Order::TracingOutside, Order::SlowOutside] {
        let (id, out) = run(20, 50, "/reports/2030", order).await;
        let id = id.unwrap();
        let stdout = slow_lines(&out.sink);
        assert_eq!(stdout.len(), 1, "{}", out.sink);
        assert_slow_line(&stdout[0], 50, &id, 50);
        // ERROR: also in both files.
        assert_eq!(slow_lines(&out.app).len(), 1);
        let errors = slow_lines(&out.errors);
        assert_eq!(errors.len(), 1, "{}", out.errors);
        assert_slow_line(&errors[0], 50, &id, 50);
    }
}

#[actix_web::test]
async fn above_the_slow_threshold_logs_a_warning() {
    for order in [Order::TracingOutside, Order::SlowOutside] {
        let (id, out) = run(20, 60_000, "/reports/2030", order).await;
        let stdout = slow_lines(&out.sink);
        assert_eq!(stdout.len(), 1, "{}", out.sink);
        assert_slow_line(&stdout[0], 40, &id.unwrap(), 20);
        assert_eq!(slow_lines(&out.app).len(), 1, "WARN is in app.log");
        assert!(
            slow_lines(&out.errors).is_empty(),
            "WARN is not in errors.log"
        );
    }
}

#[actix_web::test]
async fn a_fast_request_is_not_logged_as_slow() {
    let (id, out) = run(500, 1000, "/health/live", Order::TracingOutside).await;
    assert!(id.is_some());
    for (name, text) in out.all() {
        assert!(!text.contains("slow_request"), "{name}: {text}");
    }
    // Health routes are logged like any other route.
    assert!(out.app.contains(r#""route":"/health/live""#), "{}", out.app);
}

#[actix_web::test]
async fn no_key_appears_twice_in_a_slow_line() {
    for order in [Order::TracingOutside, Order::SlowOutside] {
        let (_, out) = run(20, 50, "/reports/2030", order).await;
        let line = out
            .sink
            .lines()
            .find(|l| l.contains("slow_request"))
            .unwrap();
        for key in [
            "request_id",
            "route",
            "method",
            "status",
            "duration_ms",
            "slow_request",
        ] {
            let count = line.matches(&format!("\"{key}\":")).count();
            assert_eq!(count, 1, "{key} appears {count} times in {line}");
        }
    }
}
