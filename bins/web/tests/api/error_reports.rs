//! Error reports (CONTRACT §14) end to end: the server with `observability.sentry_dsn` pointing
//! at a local Sentry-protocol endpoint, which receives the envelopes the real client sends.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use secrecy::SecretString;
use wetech_persistence::Backend;
use wetech_test_sentry::Event;
use wetech_test_sentry::SentrySink;

use crate::helpers::spawn_app_with_routes;

/// Personal data and secrets the requests below carry, none of which may reach a report.
const EMAIL: &str = "juma.private@example.com";
const PHONE: &str = "+255754123456";
const PHONE_DIGITS: &str = "754123456";
const COOKIE_VALUE: &str = "cookie-secret-4711";
const BODY_MARKER: &str = "body-secret-0815";
const PATH_TOKEN: &str = "path-token-secret-2342";
const QUERY_SECRET: &str = "query-secret-1717";

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/payments/test/panic/{token}",
        web::get().to(|| async {
            // A handler bug whose message holds personal data.
            if std::hint::black_box(true) {
                panic!("handler bug for {EMAIL} at {PHONE}");
            }
            HttpResponse::Ok().finish()
        }),
    )
    .route(
        "/payments/test/fail/{token}",
        web::post().to(|_body: web::Bytes| async {
            Err::<HttpResponse, _>(wetech_web::error::ApiError::internal(anyhow::anyhow!(
                "database refused the lead of {EMAIL} ({PHONE})"
            )))
        }),
    )
    .route(
        "/test/unavailable",
        web::get().to(|| async { HttpResponse::ServiceUnavailable().finish() }),
    );
}

fn tag<'a>(event: &'a Event<'static>, name: &str) -> Option<&'a str> {
    event.tags.get(name).map(String::as_str)
}

/// The one event tagged with `request_id`.
fn event_of<'a>(events: &'a [Event<'static>], request_id: &str) -> &'a Event<'static> {
    let found: Vec<_> = events
        .iter()
        .filter(|e| tag(e, "request_id") == Some(request_id))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one event for request {request_id}: {events:#?}"
    );
    found[0]
}

async fn five_xx_and_panics_are_reported_without_personal_data(backend: Backend) {
    let sink = SentrySink::start();
    let dsn = sink.dsn();
    let Some(app) = spawn_app_with_routes(
        backend,
        |s| {
            s.observability.sentry_dsn = Some(SecretString::from(dsn));
            // The requests name their own ids (as a proxy would), so the test knows the id of
            // the panicking request too, whose answer carries no X-Request-Id header.
            s.server.trust_proxy = true;
        },
        routes,
    )
    .await
    else {
        return;
    };
    let cookie = format!("wetech_session={COOKIE_VALUE}");

    // A panicking handler: answered 500 with the API's error shape, not a dropped connection.
    let panicked = app
        .client
        .get(format!(
            "{}/payments/test/panic/{PATH_TOKEN}?secret={QUERY_SECRET}",
            app.address
        ))
        .header("Cookie", &cookie)
        .header("X-Request-Id", "req-panic")
        .send()
        .await
        .unwrap();
    assert_eq!(panicked.status(), 500);
    let panic_id = "req-panic".to_owned();
    let body: serde_json::Value = panicked.json().await.unwrap();
    assert_eq!(body["error"]["code"], "internal", "{body}");
    assert!(!body.to_string().contains(EMAIL), "{body}");

    // An internal error with personal data in its chain and in the request body.
    let failed = app
        .client
        .post(format!("{}/payments/test/fail/{PATH_TOKEN}", app.address))
        .header("Cookie", &cookie)
        .header("Authorization", format!("Bearer {QUERY_SECRET}"))
        .header("X-Request-Id", "req-fail")
        .json(&serde_json::json!({"email": EMAIL, "phone": PHONE, "note": BODY_MARKER}))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 500);
    let fail_id = failed.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(fail_id, "req-fail");

    // A 5xx built as a plain response, with no error attached.
    let unavailable = app
        .client
        .get(format!("{}/test/unavailable", app.address))
        .header("X-Request-Id", "req-unavailable")
        .send()
        .await
        .unwrap();
    assert_eq!(unavailable.status(), 503);
    let unavailable_id = unavailable.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(unavailable_id, "req-unavailable");

    // A 4xx is the client's mistake, not a report.
    let missing = app
        .client
        .get(format!("{}/api/v1/invoices/nope", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let ids = [panic_id.clone(), fail_id.clone(), unavailable_id.clone()];
    let events = tokio::task::spawn_blocking(move || {
        let _arrived = sink.wait_for(Duration::from_secs(15), |events| {
            ids.iter().all(|id| {
                events
                    .iter()
                    .any(|e| tag(e, "request_id") == Some(id.as_str()))
            })
        });
        // Anything the 404 might wrongly have sent has had time to arrive too.
        std::thread::sleep(Duration::from_millis(300));
        sink
    })
    .await
    .unwrap();
    let received = events.received();
    let events = events.events();

    let panic = event_of(&events, &panic_id);
    assert_eq!(tag(panic, "route"), Some("/payments/test/panic/{token}"));
    assert_eq!(tag(panic, "method"), Some("GET"));
    assert!(
        panic.exception.values.iter().any(|e| e.ty == "panic"),
        "the panic is reported as one: {panic:#?}"
    );
    let failure = event_of(&events, &fail_id);
    assert_eq!(tag(failure, "route"), Some("/payments/test/fail/{token}"));
    assert_eq!(tag(failure, "status"), Some("500"));
    let plain = event_of(&events, &unavailable_id);
    assert_eq!(tag(plain, "status"), Some("503"));
    assert_eq!(
        events.len(),
        3,
        "one event per failed request, none for the 404: {events:#?}"
    );
    for event in [panic, failure, plain] {
        assert_eq!(event.environment.as_deref(), Some("development"));
        assert!(
            event
                .release
                .as_deref()
                .is_some_and(|r| r.starts_with("wetech-web@")),
            "{:?}",
            event.release
        );
        assert!(
            event.request.is_none() && event.user.is_none(),
            "{event:#?}"
        );
    }

    // Whatever the client sent, in any envelope: no body, cookie, e-mail, phone or secret.
    assert!(!received.is_empty());
    for envelope in &received {
        assert_eq!(envelope.path, "/api/1/envelope/");
        let text = envelope.text();
        for leak in [
            EMAIL,
            "juma.private",
            PHONE_DIGITS,
            COOKIE_VALUE,
            BODY_MARKER,
            PATH_TOKEN,
            QUERY_SECRET,
            "test-callback-token",
        ] {
            assert!(!text.contains(leak), "{leak} reached a report:\n{text}");
        }
    }
}

#[actix_web::test]
async fn five_xx_and_panics_are_reported_without_personal_data_sqlite() {
    five_xx_and_panics_are_reported_without_personal_data(Backend::Sqlite).await;
}
