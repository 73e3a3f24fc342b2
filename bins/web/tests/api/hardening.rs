//! Production hardening (docs/interface.md, "Security defaults"): the HTTPS redirect, the security headers, health routes
//! that are never redirected, and cookies that are `Secure; HttpOnly; SameSite=Lax`.
//!
//! Production refuses simulator mode, and `spawn_app` expects a simulator, so these tests build the
//! `Application` themselves in sandbox mode with dummy credentials whose base URLs point at a port
//! nothing listens on (127.0.0.1:9): none of these tests reaches a gateway. The middleware does not
//! depend on the database, so they run on SQLite only.
//!
//! Production behind no trusted proxy is refused at start (`server.trust_proxy`,
//! docs/configuration.md): the real production server sits behind one, and a request that reached
//! it over plain HTTP comes with `X-Forwarded-Proto: http` or none. The middleware still ignores a
//! forged `X-Forwarded-Proto` when told to trust no proxy; the tests of that build the
//! `Application` from those refused settings directly (as a library user could), after checking
//! that the binary's rules refuse them.

use std::time::Duration;

use reqwest::header::HeaderMap;
use secrecy::SecretString;
use wetech_persistence::Backend;
use wetech_runtime::Environment;
use wetech_runtime::PaymentsMode;
use wetech_test_db::TestDb;
use wetech_web::Application;

use crate::helpers::{spawn_app, test_settings};

/// The configured public URL of the production test server; redirects must go to its host.
const PUBLIC_URL: &str = "https://shop.wetech.test";

/// A production server (sandbox payments, dummy credentials) on a free port.
struct ProdApp {
    address: String,
    client: reqwest::Client,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

/// Production settings (sandbox payments, dummy credentials) with `trust_proxy` as given.
fn production_settings(
    db: &TestDb,
    dir: &std::path::Path,
    trust_proxy: bool,
) -> wetech_runtime::Settings {
    let mut settings = test_settings(db, dir);
    settings.environment = Environment::Production;
    settings.server.public_url = PUBLIC_URL.to_owned();
    settings.server.trust_proxy = trust_proxy;
    settings.server.secret_key =
        SecretString::from("prod-test-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0");
    settings.payments.mode = Some(PaymentsMode::Sandbox);
    settings.payments.pesapal.consumer_key = Some(SecretString::from("dummy-consumer-key"));
    settings.payments.pesapal.consumer_secret = Some(SecretString::from("dummy-consumer-secret"));
    settings.payments.pesapal.base_url = Some("http://127.0.0.1:9/pesapalv3".to_owned());
    settings.payments.azampay.auth_base_url = Some("http://127.0.0.1:9".to_owned());
    settings.payments.azampay.checkout_base_url = Some("http://127.0.0.1:9".to_owned());
    settings
}

/// A production server on a free port. With `trust_proxy` false the settings are the ones the
/// binary refuses (checked here), built anyway to test the middleware on its own.
async fn spawn_production(trust_proxy: bool) -> ProdApp {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let settings = production_settings(&db, dir.path(), trust_proxy);
    if trust_proxy {
        // The same rules the binary applies at start: these are acceptable production settings.
        settings.validate().expect("valid production settings");
    } else {
        let refused = settings
            .validate()
            .expect_err("production without a trusted proxy is refused")
            .to_string();
        assert!(
            refused.contains("server.trust_proxy") && refused.contains("environment"),
            "{refused}"
        );
    }
    let app = Application::build(settings).await.expect("build app");
    assert!(
        app.simulator().is_none(),
        "no simulator may be mounted in production"
    );
    let address = format!("http://{}", app.address());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    ProdApp {
        address,
        client,
        _db: db,
        _dir: dir,
    }
}

impl ProdApp {
    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.client.get(format!("{}{path}", self.address));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.send().await.unwrap()
    }
}

/// A request that arrived over HTTPS at the trusted proxy.
const VIA_HTTPS: &[(&str, &str)] = &[("x-forwarded-proto", "https")];

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

/// The production security headers (docs/interface.md, "Security defaults").
fn assert_security_headers(headers: &HeaderMap, what: &str) {
    assert_eq!(
        header(headers, "strict-transport-security"),
        Some("max-age=31536000; includeSubDomains"),
        "{what}"
    );
    assert_eq!(
        header(headers, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header(headers, "x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        header(headers, "referrer-policy"),
        Some("same-origin"),
        "{what}"
    );
    let csp = header(headers, "content-security-policy").unwrap_or_default();
    assert!(
        csp.split(';').any(|d| d.trim() == "default-src 'self'"),
        "{what}: CSP must allow only the site's own resources: {csp:?}"
    );
    assert!(
        !csp.contains('*') && !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: CSP too lax: {csp:?}"
    );
    assert_xss_filter_off(headers, what);
}

/// `X-XSS-Protection`, if sent at all, is `0` (the old filter is itself a hazard).
fn assert_xss_filter_off(headers: &HeaderMap, what: &str) {
    let values: Vec<&str> = headers
        .get_all("x-xss-protection")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        values.is_empty() || values == ["0"],
        "{what}: X-XSS-Protection {values:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_redirected_to_the_configured_https_origin() {
    // Behind the trusted proxy (the only production setup that starts), a request that reached
    // the proxy over plain HTTP carries `X-Forwarded-Proto: http`, or no such header at all.
    for trust_proxy in [true, false] {
        plain_http_is_redirected(&spawn_production(trust_proxy).await).await;
    }
}

/// A request forwarded over plain HTTP, as the proxy says it (or says nothing).
const VIA_HTTP: &[&[(&str, &str)]] = &[&[], &[("x-forwarded-proto", "http")]];

async fn plain_http_is_redirected(app: &ProdApp) {
    for (path, target) in [
        ("/", "https://shop.wetech.test/"),
        (
            "/api/v1/services",
            "https://shop.wetech.test/api/v1/services",
        ),
        (
            "/api/v1/services?page=2&q=a%20b",
            "https://shop.wetech.test/api/v1/services?page=2&q=a%20b",
        ),
        ("/no/such/page", "https://shop.wetech.test/no/such/page"),
        ("/healthy", "https://shop.wetech.test/healthy"),
    ] {
        for headers in VIA_HTTP {
            let resp = app.get(path, headers).await;
            assert_eq!(resp.status(), 301, "{path} {headers:?}");
            assert_eq!(header(resp.headers(), "location"), Some(target), "{path}");
            // Even the redirect tells the browser to use HTTPS from now on.
            assert_security_headers(resp.headers(), path);
        }
    }
    // The target host comes from the configuration, never from the Host header a client controls.
    let resp = app
        .get("/api/v1/services", &[("host", "evil.example")])
        .await;
    assert_eq!(resp.status(), 301);
    assert_eq!(
        header(resp.headers(), "location"),
        Some("https://shop.wetech.test/api/v1/services")
    );
    // A POST over plain HTTP does not reach the handler either: nothing is recorded.
    let resp = app
        .client
        .post(format!("{}/api/v1/leads", app.address))
        .json(&crate::helpers::TestApp::lead_body("plain@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 301);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_proto_is_not_trusted_without_trust_proxy() {
    let app = spawn_production(false).await;
    for forged in ["https", "HTTPS", "https, http"] {
        let resp = app
            .get("/api/v1/services", &[("x-forwarded-proto", forged)])
            .await;
        assert_eq!(resp.status(), 301, "forged X-Forwarded-Proto: {forged}");
        assert_eq!(
            header(resp.headers(), "location"),
            Some("https://shop.wetech.test/api/v1/services")
        );
    }
    // No other header is trusted either, behind the trusted proxy or not: only its
    // X-Forwarded-Proto counts.
    for app in [app, spawn_production(true).await] {
        let resp = app
            .get(
                "/",
                &[("forwarded", "proto=https"), ("x-forwarded-ssl", "on")],
            )
            .await;
        assert_eq!(resp.status(), 301, "only X-Forwarded-Proto is trusted");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_behind_a_trusted_proxy_is_served_with_security_headers() {
    let app = spawn_production(true).await;
    let resp = app.get("/api/v1/services", VIA_HTTPS).await;
    assert_eq!(resp.status(), 200);
    assert_security_headers(resp.headers(), "/api/v1/services");
    // Browsers apply form-action to the redirect after the pay form: the Pesapal page's origin
    // (here the configured base URL's) is allowed, nothing else is.
    let csp = header(resp.headers(), "content-security-policy")
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("form-action 'self' http://127.0.0.1:9;"),
        "{csp}"
    );
    let services: Vec<serde_json::Value> = resp.json().await.unwrap();
    assert!(services.iter().any(|s| s["code"] == "WEB-BASIC"));

    // Errors carry the headers too.
    let resp = app.get("/no/such/page", VIA_HTTPS).await;
    assert_eq!(resp.status(), 404);
    assert_security_headers(resp.headers(), "404");
    let resp = app
        .client
        .post(format!("{}/api/v1/leads", app.address))
        .header("x-forwarded-proto", "https")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert_security_headers(resp.headers(), "422");

    // The proxy says the request came over plain HTTP: redirected.
    for proto in [None, Some("http"), Some("ftp")] {
        let headers: Vec<(&str, &str)> = proto
            .map(|p| ("x-forwarded-proto", p))
            .into_iter()
            .collect();
        let resp = app.get("/api/v1/services", &headers).await;
        assert_eq!(resp.status(), 301, "X-Forwarded-Proto {proto:?}");
        assert_eq!(
            header(resp.headers(), "location"),
            Some("https://shop.wetech.test/api/v1/services")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_routes_are_never_redirected() {
    for trust_proxy in [false, true] {
        let app = spawn_production(trust_proxy).await;
        for path in [
            "/health",
            "/health/",
            "/health/ready",
            "/health/ready/",
            "/health/live",
            "/health/live/",
        ] {
            for headers in [&[][..], &[("x-forwarded-proto", "http")][..]] {
                let resp = app.get(path, headers).await;
                assert_eq!(
                    resp.status(),
                    200,
                    "{path} over plain HTTP (trust_proxy={trust_proxy}, {headers:?})"
                );
                assert_eq!(
                    header(resp.headers(), "content-type"),
                    Some("application/health+json")
                );
                assert!(resp.headers().get("location").is_none());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_has_no_redirect_and_no_hsts() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    for path in ["/api/v1/services", "/health/"] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        let headers = resp.headers();
        assert!(
            headers.get("strict-transport-security").is_none(),
            "HSTS would pin a developer's browser to HTTPS on 127.0.0.1"
        );
        assert_eq!(header(headers, "x-content-type-options"), Some("nosniff"));
        assert_eq!(header(headers, "x-frame-options"), Some("DENY"));
        assert_xss_filter_off(headers, path);
    }
}

/// The CSRF cookie of the HTML pages: `Secure; HttpOnly; SameSite=Lax` in production.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_cookies_are_secure_httponly_and_lax() {
    let app = spawn_production(true).await;
    let resp = app.get("/", VIA_HTTPS).await;
    assert_eq!(resp.status(), 200, "the home page exists");
    assert_security_headers(resp.headers(), "/");
    let cookies: Vec<&str> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(!cookies.is_empty(), "the form page sets the CSRF cookie");
    for cookie in cookies {
        let attributes: Vec<String> = cookie
            .split(';')
            .skip(1)
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        for wanted in ["secure", "httponly", "samesite=lax"] {
            assert!(
                attributes.iter().any(|a| a == wanted),
                "{wanted} missing in {cookie}"
            );
        }
    }
}

/// In development the cookie cannot be `Secure` (plain HTTP on 127.0.0.1) but keeps the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_cookies_are_httponly_and_lax() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let resp = app.get("/").await;
    assert_eq!(resp.status(), 200, "the home page exists");
    let cookie = header(resp.headers(), "set-cookie")
        .expect("the form page sets the CSRF cookie")
        .to_ascii_lowercase();
    assert!(cookie.contains("httponly"), "{cookie}");
    assert!(cookie.contains("samesite=lax"), "{cookie}");
    assert!(!cookie.contains("secure"), "{cookie}");
}

#[tokio::test]
async fn the_api_docs_page_is_not_served_in_production() {
    let app = spawn_production(true).await;
    let resp = app.get("/api/docs", VIA_HTTPS).await;
    assert_eq!(resp.status(), 404);
    // The document itself is.
    let resp = app.get("/api/openapi.json", VIA_HTTPS).await;
    assert_eq!(resp.status(), 200);
}
