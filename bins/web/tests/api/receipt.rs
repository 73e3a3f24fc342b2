//! `GET /invoices/{id}/receipt.pdf` through the real server on SQLite and PostgreSQL (CONTRACT
//! §6): a real PDF whose text `pdftotext` (poppler-utils) extracts — the company's name, the
//! invoice number, the amount, the gateway's confirmation code, the client's name as typed —
//! for a paid invoice; a translated 409 page before it is paid; the 404 page for an unknown or
//! malformed id; the invoice page links to it once paid.

use std::process::Command;

use serde_json::{Value, json};
use wetech_persistence::Backend;
use wetech_persistence::repo::attempts;

use crate::helpers::{TestApp, spawn_app_with};

/// The company of the test servers (`company.name`), to find on every receipt.
pub const COMPANY: &str = "Wetech Receipts Test Ltd";

/// A client's name that would break a PDF content stream or an HTML page if it were pasted in.
pub const HOSTILE_NAME: &str = "Eve <b>Bold</b> ) Tj (pwned) & \\ Mushi";

/// The text of a PDF, as `pdftotext -layout` extracts it.
pub fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("receipt.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils; .ci/run installs it)");
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A server on `backend` (`None`: PostgreSQL unavailable) with the test company, after `tweak`.
pub async fn server(
    backend: Backend,
    tweak: impl FnOnce(&mut wetech_runtime::Settings),
) -> Option<TestApp> {
    spawn_app_with(backend, |s| {
        s.company.name = COMPANY.to_owned();
        s.company.tin = Some("123-456-789".to_owned());
        tweak(s);
    })
    .await
}

/// A server on each backend available.
async fn servers() -> Vec<TestApp> {
    let mut apps = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        apps.extend(server(backend, |_| {}).await);
    }
    apps
}

/// Submits a lead by `name` in `language` (its `Accept-Language`); the invoice's public id.
pub async fn lead_in(app: &TestApp, email: &str, name: &str, language: &str) -> String {
    let mut body = TestApp::lead_body(email);
    body["name"] = json!(name);
    let resp = app
        .client
        .post(format!("{}/api/v1/leads", app.address))
        .header("accept-language", language)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "lead submission");
    resp.json::<Value>().await.unwrap()["invoice"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Pays invoice `id` through the simulated Pesapal and waits for it to be paid; its
/// confirmation code.
pub async fn pay(app: &TestApp, id: &str) -> String {
    let tracking = crate::mail::pay_with_pesapal(app, id).await;
    app.sim.complete_pesapal_order(&tracking).unwrap();
    let invoice = app.wait_for_status(id, "paid").await;
    let reference = invoice["payments"][0]["id"].as_str().unwrap();
    attempts::find_by_merchant_reference(&mut app.db.conn(), reference)
        .unwrap()
        .unwrap()
        .confirmation_code
        .expect("a completed payment has a confirmation code")
}

pub async fn get_in(app: &TestApp, path: &str, language: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}?lang={language}", app.address))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_invoice_has_a_pdf_receipt_with_its_facts_and_before_that_a_409_page() {
    for app in servers().await {
        let id = lead_in(&app, "receipt@example.com", HOSTILE_NAME, "en").await;
        let path = format!("/invoices/{id}/receipt.pdf");
        let number = app.invoice(&id).await["number"]
            .as_str()
            .unwrap()
            .to_owned();

        // Not paid yet: the 409 page, in the request's language, with a way back.
        for (language, words) in [("en", "No receipt yet"), ("sw", "Bado hakuna stakabadhi")] {
            let resp = get_in(&app, &path, language).await;
            assert_eq!(resp.status(), 409);
            assert!(
                resp.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            let body = resp.text().await.unwrap();
            assert!(body.contains(words), "{body}");
            assert!(
                body.contains(&format!("<html lang=\"{language}\">")),
                "{body}"
            );
            assert!(body.contains(&format!("href=\"/invoices/{id}\"")), "{body}");
        }
        let page = get_in(&app, &format!("/invoices/{id}"), "en").await;
        assert!(!page.text().await.unwrap().contains("receipt.pdf"));

        let code = pay(&app, &id).await;
        let resp = get_in(&app, &path, "en").await;
        assert_eq!(resp.status(), 200);
        let headers = resp.headers().clone();
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(
            headers["content-disposition"],
            format!("inline; filename=\"receipt-{number}.pdf\"").as_str()
        );
        assert_eq!(headers["cache-control"], "private, no-store");
        let text = pdf_text(&resp.bytes().await.unwrap());
        for fact in [
            COMPANY,
            "TIN: 123-456-789",
            number.as_str(),
            "TZS 500,000.00",
            code.as_str(),
            "Pesapal",
            "Business website",
            // The client's name is text on the page, exactly as typed.
            HOSTILE_NAME,
        ] {
            assert!(text.contains(fact), "{fact:?} missing from:\n{text}");
        }

        // In Swahili: the words and the amount as Swahili writes it.
        let sw = pdf_text(&get_in(&app, &path, "sw").await.bytes().await.unwrap());
        for fact in [
            "Stakabadhi ya malipo",
            "TSh 500,000.00",
            code.as_str(),
            COMPANY,
        ] {
            assert!(sw.contains(fact), "{fact:?} missing from:\n{sw}");
        }

        // The invoice page links to it now.
        let page = get_in(&app, &format!("/invoices/{id}"), "en").await;
        let body = page.text().await.unwrap();
        assert!(
            body.contains(&format!("href=\"/invoices/{id}/receipt.pdf\"")),
            "{body}"
        );
        assert!(body.contains("Download the receipt (PDF)"), "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_or_malformed_invoice_has_no_receipt_404() {
    for app in servers().await {
        for path in [
            "/invoices/AAAAAAAAAAAAAAAAAAAAAA/receipt.pdf",
            "/invoices/not-an-id/receipt.pdf",
            "/invoices/%3Cscript%3E/receipt.pdf",
        ] {
            let resp = get_in(&app, path, "sw").await;
            assert_eq!(resp.status(), 404, "{path}");
            let body = resp.text().await.unwrap();
            assert!(body.contains("<html lang=\"sw\">"), "{path}: {body}");
            assert!(!body.contains("<script>"), "{body}");
        }
    }
}
