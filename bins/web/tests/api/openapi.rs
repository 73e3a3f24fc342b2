//! The OpenAPI document against the server's real answers. Every answer provoked here must be
//! listed in the document for its route and status, and its body must validate against the
//! documented schema; the bodies sent must validate against the request schemas (and one with an
//! unknown field must not); each route documents exactly the statuses it is meant to answer; a
//! method a path does not take is a 405 whose `Allow` lists the documented methods.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};
use wetech_gateway_sim::Endpoint;
use wetech_persistence::Backend;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// What each operation is meant to answer (docs/interface.md, "JSON API"). 500 is documented everywhere and
/// not provoked here.
const EXPECTED: &[(&str, &str, &[u16])] = &[
    ("/api/v1/services", "get", &[200, 500]),
    (
        "/api/v1/leads",
        "post",
        &[201, 400, 409, 413, 415, 422, 429, 500],
    ),
    ("/api/v1/invoices/{id}", "get", &[200, 404, 500]),
    (
        "/api/v1/invoices/{id}/payments",
        "post",
        &[201, 400, 404, 409, 413, 415, 422, 500, 502, 503, 504],
    ),
];

const LEADS: &str = "/api/v1/leads";
const INVOICE: &str = "/api/v1/invoices/{id}";
const PAYMENTS: &str = "/api/v1/invoices/{id}/payments";

struct Doc {
    doc: Value,
    seen: BTreeSet<(String, String, u16)>,
}

impl Doc {
    async fn fetch(app: &TestApp) -> Doc {
        let resp = app.get("/api/openapi.json").await;
        assert_eq!(resp.status(), 200);
        Doc {
            doc: resp.json().await.unwrap(),
            seen: BTreeSet::new(),
        }
    }

    /// A validator of `schema` whose `$ref`s resolve inside the document.
    fn validator(&self, schema: &Value) -> jsonschema::Validator {
        let mut root = self.doc.clone();
        root["allOf"] = json!([schema]);
        jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap()
    }

    fn request_valid(&self, path: &str, method: &str, body: &Value) -> bool {
        let schema = &self.doc["paths"][path][method]["requestBody"]["content"]["application/json"]
            ["schema"];
        assert!(schema.is_object(), "{method} {path} documents its body");
        self.validator(schema).is_valid(body)
    }

    /// Checks one answer of `method path` against the document; returns its body.
    async fn check(&mut self, path: &str, method: &str, resp: reqwest::Response) -> Value {
        let status = resp.status().as_u16();
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
        let body: Value = resp.json().await.unwrap();
        let response = &self.doc["paths"][path][method]["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {path} answered {status}, which the document does not list: {body}"
        );
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        let schema = &response["content"]["application/json"]["schema"];
        let validator = self.validator(schema);
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status}: {body} does not match the document: {errors:?}"
        );
        self.seen
            .insert((path.to_owned(), method.to_owned(), status));
        body
    }

    /// Every documented (path, method) and its statuses.
    fn statuses(&self) -> BTreeMap<(String, String), BTreeSet<u16>> {
        let mut out = BTreeMap::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let statuses = op["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(|s| s.parse::<u16>().unwrap())
                    .collect();
                out.insert((path.clone(), method.clone()), statuses);
            }
        }
        out
    }
}

async fn new_invoice(app: &TestApp, email: &str) -> String {
    app.submit_lead(email).await["invoice"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn payments_path(id: &str) -> String {
    format!("/api/v1/invoices/{id}/payments")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_describes_every_answer() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let mut doc = Doc::fetch(&app).await;

    let resp = app.get("/api/v1/services").await;
    doc.check("/api/v1/services", "get", resp).await;

    // Leads: the body the tests send is what the document describes, and no more.
    let body = TestApp::lead_body("doc@example.com");
    assert!(doc.request_valid(LEADS, "post", &body));
    let mut unknown = body.clone();
    unknown["extra"] = json!(1);
    assert!(!doc.request_valid(LEADS, "post", &unknown));
    let url = format!("{}{LEADS}", app.address);
    let keyed = || app.client.post(&url).header("Idempotency-Key", "doc-key");
    let receipt = doc
        .check(LEADS, "post", keyed().json(&body).send().await.unwrap())
        .await;
    let replay = keyed().json(&body).send().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(doc.check(LEADS, "post", replay).await, receipt);
    let mut other = body.clone();
    other["service"] = json!("HOSTING");
    doc.check(LEADS, "post", keyed().json(&other).send().await.unwrap())
        .await;
    doc.check(LEADS, "post", app.post_json(LEADS, &unknown).await)
        .await;
    let raw = |content_type: &str, body: String| {
        app.client
            .post(&url)
            .header("content-type", content_type.to_owned())
            .body(body)
            .send()
    };
    doc.check(
        LEADS,
        "post",
        raw("application/json", "{not json".into()).await.unwrap(),
    )
    .await;
    doc.check(
        LEADS,
        "post",
        raw("text/plain", "hello".into()).await.unwrap(),
    )
    .await;
    let big = json!({"message": "x".repeat(70 * 1024)}).to_string();
    doc.check(
        LEADS,
        "post",
        raw("application/json", big.clone()).await.unwrap(),
    )
    .await;

    // The invoice, before and after a payment attempt.
    let id = receipt["invoice"]["id"].as_str().unwrap().to_owned();
    let resp = app.get(&format!("/api/v1/invoices/{id}")).await;
    doc.check(INVOICE, "get", resp).await;
    let resp = app.get("/api/v1/invoices/AAAAAAAAAAAAAAAAAAAAAA").await;
    doc.check(INVOICE, "get", resp).await;

    let pesapal = json!({"gateway": "pesapal"});
    let azampay = json!({"gateway": "azampay", "phone": "0754123456", "provider": "Airtel"});
    assert!(doc.request_valid(PAYMENTS, "post", &pesapal));
    assert!(doc.request_valid(PAYMENTS, "post", &azampay));
    let mut pesapal_with_phone = pesapal.clone();
    pesapal_with_phone["phone"] = json!("0754123456");
    assert!(!doc.request_valid(PAYMENTS, "post", &pesapal_with_phone));
    assert!(!doc.request_valid(PAYMENTS, "post", &json!({"gateway": "paypal"})));
    let started = doc
        .check(
            PAYMENTS,
            "post",
            app.post_json(&payments_path(&id), &pesapal).await,
        )
        .await;
    assert_eq!(started["gateway"], "pesapal");
    doc.check(
        PAYMENTS,
        "post",
        app.post_json(&payments_path(&id), &pesapal).await,
    )
    .await;
    let shown = doc
        .check(
            INVOICE,
            "get",
            app.get(&format!("/api/v1/invoices/{id}")).await,
        )
        .await;
    assert_eq!(shown["payments"].as_array().unwrap().len(), 1);

    let id = new_invoice(&app, "doc-azampay@example.com").await;
    let started = doc
        .check(
            PAYMENTS,
            "post",
            app.post_json(&payments_path(&id), &azampay).await,
        )
        .await;
    assert_eq!(started["gateway"], "azampay");
    for bad in [&pesapal_with_phone, &json!({"gateway": "paypal"})] {
        let resp = app.post_json(&payments_path(&id), bad).await;
        doc.check(PAYMENTS, "post", resp).await;
    }
    let missing = payments_path("AAAAAAAAAAAAAAAAAAAAAA");
    doc.check(PAYMENTS, "post", app.post_json(&missing, &pesapal).await)
        .await;
    let pay_url = format!("{}{}", app.address, payments_path(&id));
    let raw = |content_type: &str, body: String| {
        app.client
            .post(&pay_url)
            .header("content-type", content_type.to_owned())
            .body(body)
            .send()
    };
    doc.check(
        PAYMENTS,
        "post",
        raw("application/json", "[1]".into()).await.unwrap(),
    )
    .await;
    doc.check(
        PAYMENTS,
        "post",
        raw("text/plain", "x".into()).await.unwrap(),
    )
    .await;
    doc.check(
        PAYMENTS,
        "post",
        raw("application/json", big).await.unwrap(),
    )
    .await;

    // Gateway trouble: refused (502), down (503), no answer in time (504).
    let id = new_invoice(&app, "doc-502@example.com").await;
    app.sim.fail_next(Endpoint::AzamPayMnoCheckout, 1, 400);
    doc.check(
        PAYMENTS,
        "post",
        app.post_json(&payments_path(&id), &azampay).await,
    )
    .await;
    let id = new_invoice(&app, "doc-503@example.com").await;
    app.sim.fail_next(Endpoint::PesapalSubmitOrder, 1, 503);
    doc.check(
        PAYMENTS,
        "post",
        app.post_json(&payments_path(&id), &pesapal).await,
    )
    .await;
    let id = new_invoice(&app, "doc-504@example.com").await;
    app.sim
        .delay_next(Endpoint::PesapalSubmitOrder, 1, Duration::from_millis(3500));
    doc.check(
        PAYMENTS,
        "post",
        app.post_json(&payments_path(&id), &pesapal).await,
    )
    .await;

    // The rate limit (its own server, with a limit of one).
    let limited = spawn_app_with(Backend::Sqlite, |s| {
        s.server.lead_rate_limit_per_minute = 1;
    })
    .await
    .unwrap();
    let first = limited
        .post_json(LEADS, &TestApp::lead_body("rl-a@example.com"))
        .await;
    assert_eq!(first.status(), 201);
    let resp = limited
        .post_json(LEADS, &TestApp::lead_body("rl-b@example.com"))
        .await;
    assert!(resp.headers().contains_key("retry-after"));
    doc.check(LEADS, "post", resp).await;

    // The links from a new lead name operations that exist, in OpenAPI's own spelling.
    let operation_ids: BTreeSet<String> = doc.doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
        .collect();
    let links = doc.doc["paths"][LEADS]["post"]["responses"]["201"]["links"]
        .as_object()
        .unwrap();
    assert!(!links.is_empty());
    for (name, link) in links {
        let target = link["operationId"].as_str().unwrap_or_default();
        assert!(operation_ids.contains(target), "link {name}: {link}");
    }

    // Each operation documents exactly what it is meant to answer, and everything but the
    // internal error was seen above.
    let documented = doc.statuses();
    let expected: BTreeMap<(String, String), BTreeSet<u16>> = EXPECTED
        .iter()
        .map(|(p, m, s)| ((p.to_string(), m.to_string()), s.iter().copied().collect()))
        .collect();
    let api_only: BTreeMap<_, _> = documented
        .into_iter()
        .filter(|((p, _), _)| p.starts_with("/api/v1/"))
        .collect();
    assert_eq!(api_only, expected);
    for (path, method, statuses) in EXPECTED {
        for status in statuses.iter().filter(|s| **s != 500) {
            assert!(
                doc.seen
                    .contains(&(path.to_string(), method.to_string(), *status)),
                "{method} {path} {status} was never provoked"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_a_path_does_not_take_is_405_with_allow() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let doc = Doc::fetch(&app).await;
    let methods = ["get", "post", "put", "patch", "delete"];
    for (path, item) in doc.doc["paths"].as_object().unwrap() {
        let documented: BTreeSet<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_ascii_uppercase())
            .collect();
        let concrete = path.replace("{id}", "AAAAAAAAAAAAAAAAAAAAAA");
        for method in methods
            .iter()
            .filter(|m| !item.as_object().unwrap().contains_key(**m))
        {
            let method =
                reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let resp = app
                .client
                .request(method.clone(), format!("{}{concrete}", app.address))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 405, "{method} {path}");
            let allow: BTreeSet<String> = resp.headers()["allow"]
                .to_str()
                .unwrap()
                .split(',')
                .map(|m| m.trim().to_owned())
                .collect();
            assert_eq!(allow, documented, "{method} {path}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["error"]["code"], "method_not_allowed");
        }
    }
    // Outside the API too: a notification route and a page.
    let resp = app
        .client
        .put(format!("{}/payments/pesapal/ipn", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "GET, POST");
    let resp = app
        .client
        .delete(format!("{}/invoices/AAAAAAAAAAAAAAAAAAAAAA", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "GET");
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let resp = app
        .client
        .delete(format!("{}/health/live/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["allow"], "GET, HEAD");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_shows_the_document_within_its_own_policy() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let resp = app.get("/api/docs").await;
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = resp.text().await.unwrap();
    assert!(html.contains("wetech API"), "the page carries the document");
    // Every script the page loads comes from an origin its policy allows.
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap();
    let mut scripts = 0;
    for part in html.split("<script src=\"").skip(1) {
        let src = part.split('"').next().unwrap();
        let origin: String = src.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
        assert!(
            script_src.contains(&origin),
            "{src} not allowed by {script_src}"
        );
        scripts += 1;
    }
    assert!(scripts >= 1, "{html}");
    // The rest of the site keeps the strict policy.
    let resp = app.get("/").await;
    assert!(
        !resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("cdn.jsdelivr.net")
    );
}
