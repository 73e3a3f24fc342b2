//! Request ids, the request span and the `X-Request-Id` header through a real actix-web App.

use actix_web::{App, HttpResponse, test, web};
use serde_json::Value;
use wetech_observability::{RequestId, RequestTracing, UNMATCHED_ROUTE};

use crate::helpers::{Capture, Captured, lines, with_msg};

async fn invoice(path: web::Path<String>) -> HttpResponse {
    tracing::info!(invoice_id = %path.as_str(), "showing invoice");
    HttpResponse::Ok().body("invoice")
}

async fn echo_id(id: RequestId) -> HttpResponse {
    HttpResponse::Ok().body(id.to_string())
}

async fn broken() -> HttpResponse {
    HttpResponse::InternalServerError().finish()
}

async fn failing() -> Result<HttpResponse, actix_web::Error> {
    Err(actix_web::error::ErrorServiceUnavailable("database down"))
}

/// Sends `req` through an App wrapped in `RequestTracing::new(trust_proxy)`; returns the
/// response's `X-Request-Id`, its body and everything logged.
async fn send(
    trust_proxy: bool,
    req: test::TestRequest,
) -> (Option<String>, u16, String, Captured) {
    let (capture, subscriber) = Capture::new("info");
    let default = tracing::subscriber::set_default(subscriber);
    let app = test::init_service(
        App::new()
            .route("/invoices/{id}", web::get().to(invoice))
            .route("/id", web::get().to(echo_id))
            .route("/broken", web::get().to(broken))
            .route("/failing", web::get().to(failing))
            .route(
                "/payments/azampay/callback/{token}",
                web::post().to(HttpResponse::Ok),
            )
            .wrap(RequestTracing::new(trust_proxy)),
    )
    .await;
    let res = test::call_service(&app, req.to_request()).await;
    let header = res
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let status = res.status().as_u16();
    let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    drop(app);
    drop(default);
    (header, status, body, capture.finish())
}

fn end_line(text: &str) -> Value {
    let parsed = lines(text);
    let ends = with_msg(&parsed, "[HTTP REQUEST - END]");
    assert_eq!(ends.len(), 1, "one end line expected in {text}");
    ends[0].clone()
}

#[actix_web::test]
async fn a_request_gets_an_id_header_and_a_complete_log_line() {
    let (header, status, _, out) =
        send(false, test::TestRequest::get().uri("/invoices/abc123")).await;
    assert_eq!(status, 200);
    let id = header.expect("X-Request-Id header");
    let uuid = uuid::Uuid::parse_str(&id).expect("a UUID");
    assert_eq!(uuid.get_version_num(), 4);

    for text in [&out.sink, &out.app] {
        let end = end_line(text);
        assert_eq!(end["request_id"], id.as_str());
        assert_eq!(end["method"], "GET");
        assert_eq!(end["route"], "/invoices/{id}", "the pattern, not the path");
        assert_eq!(end["status"], 200);
        assert!(end["duration_ms"].is_u64(), "{end}");
        assert_eq!(end["level"], 30);
    }
    // Events logged by the handler carry the request's fields.
    let parsed = lines(&out.app);
    let event = with_msg(&parsed, "showing invoice");
    assert_eq!(event.len(), 1);
    assert_eq!(event[0]["request_id"], id.as_str());
    assert_eq!(event[0]["route"], "/invoices/{id}");
    assert_eq!(event[0]["invoice_id"], "abc123");
    assert!(out.errors.is_empty(), "no error for a 200: {}", out.errors);
}

#[actix_web::test]
async fn each_request_gets_its_own_id() {
    let (a, ..) = send(false, test::TestRequest::get().uri("/id")).await;
    let (b, ..) = send(false, test::TestRequest::get().uri("/id")).await;
    assert_ne!(a.unwrap(), b.unwrap());
}

#[actix_web::test]
async fn the_extractor_sees_the_same_id_as_the_header() {
    let (header, _, body, _) = send(false, test::TestRequest::get().uri("/id")).await;
    assert_eq!(header.unwrap(), body);
}

#[actix_web::test]
async fn an_incoming_id_is_honoured_only_behind_a_trusted_proxy() {
    let incoming = "edge-7f3a/42";
    let req = || {
        test::TestRequest::get()
            .uri("/id")
            .insert_header(("X-Request-Id", incoming))
    };

    let (header, _, body, out) = send(true, req()).await;
    assert_eq!(header.as_deref(), Some(incoming));
    assert_eq!(body, incoming);
    assert_eq!(end_line(&out.app)["request_id"], incoming);

    let (header, _, body, out) = send(false, req()).await;
    let header = header.unwrap();
    assert_ne!(
        header, incoming,
        "untrusted clients cannot choose their request id"
    );
    assert!(uuid::Uuid::parse_str(&header).is_ok());
    assert_eq!(body, header);
    assert!(
        !out.sink.contains(incoming),
        "the untrusted id is not logged either"
    );
}

#[actix_web::test]
async fn the_logged_client_ip_is_the_hop_the_proxy_appended() {
    // A client behind the proxy writes its own X-Forwarded-For entry first; the proxy appends the
    // address it saw. The log must name the latter, as the rate limiter counts it.
    let req = || {
        test::TestRequest::get()
            .uri("/id")
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "203.0.113.66, 198.51.100.7"))
    };
    let (.., out) = send(true, req()).await;
    assert_eq!(end_line(&out.app)["client_ip"], "198.51.100.7");
    let (.., out) = send(false, req()).await;
    assert_eq!(end_line(&out.app)["client_ip"], "10.0.0.1");
}

#[actix_web::test]
async fn a_malformed_incoming_id_is_replaced_even_behind_a_trusted_proxy() {
    let too_long = "x".repeat(65);
    for bad in ["", "two words", "tab\there", "caf\u{e9}", too_long.as_str()] {
        let req = test::TestRequest::get()
            .uri("/id")
            .insert_header(("X-Request-Id", bad));
        let (header, ..) = send(true, req).await;
        let header = header.unwrap();
        assert!(
            uuid::Uuid::parse_str(&header).is_ok(),
            "{bad:?} -> {header}"
        );
    }
    let exactly_64 = "y".repeat(64);
    let req = test::TestRequest::get()
        .uri("/id")
        .insert_header(("X-Request-Id", exactly_64.as_str()));
    assert_eq!(send(true, req).await.0.unwrap(), exactly_64);

    // Two ids from upstream: neither is picked.
    let req = test::TestRequest::get()
        .uri("/id")
        .append_header(("X-Request-Id", "first"))
        .append_header(("X-Request-Id", "second"));
    let header = send(true, req).await.0.unwrap();
    assert!(uuid::Uuid::parse_str(&header).is_ok(), "{header}");
}

#[actix_web::test]
async fn server_errors_reach_errors_log_with_the_request_id() {
    for uri in ["/broken", "/failing"] {
        let (header, status, _, out) = send(false, test::TestRequest::get().uri(uri)).await;
        let id = header.expect("the header is set on error responses too");
        assert!(status >= 500, "{uri}: {status}");
        let errors = lines(&out.errors);
        let failed = with_msg(&errors, "request failed");
        assert_eq!(failed.len(), 1, "{uri}: {}", out.errors);
        assert_eq!(failed[0]["request_id"], id.as_str());
        assert_eq!(failed[0]["status"], status);
        assert_eq!(failed[0]["route"], uri);
        assert_eq!(failed[0]["level"], 50);
    }
}

#[actix_web::test]
async fn the_raw_path_is_never_logged() {
    let secret_token = "cb-token-0b8f1d2e9a7c";
    let (_, status, _, out) = send(
        false,
        test::TestRequest::post().uri(&format!("/payments/azampay/callback/{secret_token}")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        end_line(&out.app)["route"],
        "/payments/azampay/callback/{token}"
    );
    for (name, text) in out.all() {
        assert!(
            !text.contains(secret_token),
            "{name} leaks the callback token: {text}"
        );
    }

    let probe = "/wp-admin/probe-path-9c1d";
    let (header, status, _, out) = send(false, test::TestRequest::get().uri(probe)).await;
    assert_eq!(status, 404);
    assert!(header.is_some(), "404s get an id too");
    assert_eq!(end_line(&out.app)["route"], UNMATCHED_ROUTE);
    assert!(!out.sink.contains("probe-path-9c1d"));
}
