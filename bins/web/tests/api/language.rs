//! English and Swahili on the customer pages (docs/interface.md, "Language"): the choice rules
//! (`?lang=`, the `lang` cookie, `Accept-Language` with q-values, English), `<html lang>`, the
//! language switch, and every customer page and error page in Swahili with no English left over.

use std::collections::BTreeMap;
use std::path::Path;

use crate::app_tests;
use crate::helpers::TestApp;

/// A client of its own (no cookies yet, no redirects followed).
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// `GET path` with `headers`; the status, the `Set-Cookie` headers and the body.
async fn fetch(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<String>, String) {
    let mut req = client.get(format!("{}{path}", app.address));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let cookies = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    (status, cookies, resp.text().await.unwrap())
}

fn html_lang(body: &str) -> &str {
    let start = body.find("<html lang=\"").expect("an <html lang>") + "<html lang=\"".len();
    let end = body[start..].find('"').unwrap();
    &body[start..start + end]
}

/// The messages of one language's `.ftl` files: `key` (and `key.attribute`) → text.
fn messages(language: &str) -> BTreeMap<String, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/i18n/locales")
        .join(language);
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut current = String::new();
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if let Some(attr) = line.strip_prefix("    .") {
                if let Some((name, value)) = attr.split_once(" = ") {
                    out.insert(format!("{current}.{name}"), value.to_owned());
                }
            } else if let Some((key, value)) = line.split_once(" = ") {
                current = key.to_owned();
                out.insert(key.to_owned(), value.to_owned());
            }
        }
    }
    out
}

/// The English words of every message that Swahili says differently: its literal pieces between
/// `{ … }` arguments, long enough to be English prose rather than a name (`Pesapal`, `TIN`).
fn english_only_phrases() -> Vec<String> {
    let en = messages("en");
    let sw = messages("sw");
    let mut phrases = Vec::new();
    for (key, english) in &en {
        if sw.get(key) == Some(english) {
            continue;
        }
        for piece in english.split(['{', '}']).step_by(2) {
            let piece = piece.trim().trim_end_matches(':');
            if piece.chars().count() >= 12 {
                phrases.push(piece.to_owned());
            }
        }
    }
    assert!(phrases.len() > 80, "too few phrases: {phrases:?}");
    phrases
}

/// The page's text as a person reads it (the entities askama writes undone).
fn unescaped(body: &str) -> String {
    body.replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// A page in Swahili: `<html lang="sw">`, each of `expected`, and no English phrase of ours.
fn assert_swahili(what: &str, body: &str, expected: &[&str]) {
    assert_eq!(html_lang(body), "sw", "{what}: {body}");
    let text = unescaped(body);
    for e in expected {
        assert!(text.contains(e), "{what}: {e:?} missing in\n{body}");
    }
    for phrase in english_only_phrases() {
        assert!(
            !text.contains(&phrase),
            "{what}: English left over: {phrase:?} in\n{body}"
        );
    }
    // The switch back to English is there, as a plain link.
    assert!(
        body.contains("hreflang=\"en\""),
        "{what}: no language switch"
    );
}

/// Submits the lead form in the client's language; the invoice's public id.
async fn lead_in(client: &reqwest::Client, app: &TestApp, email: &str) -> String {
    let (_, _, home) = fetch(client, app, "/", &[]).await;
    let token = csrf_token(&home);
    let resp = client
        .post(format!("{}/leads", app.address))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Asha Mwakyusa"),
            ("email", email),
            ("phone", "0754123456"),
            ("service", "WEB-BASIC"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    location.strip_prefix("/invoices/").unwrap().to_owned()
}

fn csrf_token(body: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker).unwrap() + marker.len();
    body[start..].split('"').next().unwrap().to_owned()
}

async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let resp = client
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The language stored with the lead that issued invoice `id`.
fn lead_language(app: &TestApp, id: &str) -> String {
    use wetech_persistence::repo::{invoices, leads};
    let mut conn = app.db.conn();
    let invoice = invoices::find_by_public_id(&mut conn, id).unwrap().unwrap();
    leads::find_by_id(&mut conn, invoice.lead_id.unwrap())
        .unwrap()
        .unwrap()
        .language
}

app_tests! {
    async fn a_lead_records_the_language_it_was_submitted_in(app: TestApp) {
        // The form: the page's language.
        let swahili = fresh_client();
        fetch(&swahili, &app, "/?lang=sw", &[]).await;
        let id = lead_in(&swahili, &app, "kiswahili@example.co.tz").await;
        assert_eq!(lead_language(&app, &id), "sw");
        let by_header = fresh_client();
        let (_, _, home) = fetch(&by_header, &app, "/", &[("accept-language", "sw-TZ")]).await;
        let token = csrf_token(&home);
        let resp = by_header.post(format!("{}/leads", app.address)).header("accept-language", "sw-TZ")
            .form(&[("csrf_token", token.as_str()), ("name", "Juma"), ("email", "juma@example.co.tz"), ("phone", "0754123456"), ("service", "WEB-BASIC")])
            .send().await.unwrap();
        assert_eq!(resp.status(), 303);
        let id = resp.headers()["location"].to_str().unwrap().strip_prefix("/invoices/").unwrap().to_owned();
        assert_eq!(lead_language(&app, &id), "sw");
        let english = fresh_client();
        let id = lead_in(&english, &app, "english@example.com").await;
        assert_eq!(lead_language(&app, &id), "en");

        // The API: Accept-Language, else English (a cookie is no choice of a program's).
        let api = |header: Option<&'static str>, email: &'static str| {
            let mut req = swahili.post(format!("{}/api/v1/leads", app.address)).json(&TestApp::lead_body(email));
            if let Some(h) = header {
                req = req.header("accept-language", h);
            }
            req.send()
        };
        let resp = api(Some("sw;q=0.9, en;q=0.8"), "api-sw@example.com").await.unwrap();
        assert_eq!(resp.status(), 201);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(lead_language(&app, body["invoice"]["id"].as_str().unwrap()), "sw");
        let resp = api(None, "api-none@example.com").await.unwrap();
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(lead_language(&app, body["invoice"]["id"].as_str().unwrap()), "en", "the lang cookie does not count for the API");

        // The database holds the column to the two languages.
        use diesel::RunQueryDsl as _;
        let refused = diesel::sql_query("UPDATE leads SET language = 'fr'").execute(&mut **app.db.conn());
        assert!(refused.is_err(), "CHECK (language IN ('en', 'sw'))");
    }

    async fn the_language_comes_from_the_query_then_the_cookie_then_accept_language(app: TestApp) {
        // Nothing said: English.
        let client = fresh_client();
        let (status, cookies, body) = fetch(&client, &app, "/", &[]).await;
        assert_eq!(status, 200);
        assert_eq!(html_lang(&body), "en");
        assert!(!cookies.iter().any(|c| c.starts_with("lang=")), "no choice, no cookie: {cookies:?}");
        assert!(body.contains("href=\"/?lang=sw\""), "a switch to Swahili: {body}");

        // ?lang=sw: Swahili, remembered in the cookie.
        let (_, cookies, body) = fetch(&client, &app, "/?lang=sw", &[]).await;
        assert_eq!(html_lang(&body), "sw");
        let cookie = cookies.iter().find(|c| c.starts_with("lang=")).expect("the lang cookie");
        assert!(cookie.starts_with("lang=sw;") && cookie.contains("Path=/") && cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "not Secure in development: {cookie}");
        // The cookie holds the choice on the next page, even against the browser's header.
        let (_, cookies, body) = fetch(&client, &app, "/", &[("accept-language", "en")]).await;
        assert_eq!(html_lang(&body), "sw");
        assert!(cookies.iter().all(|c| !c.starts_with("lang=")), "already remembered: {cookies:?}");
        // An unknown value is ignored: the cookie still decides.
        let (_, _, body) = fetch(&client, &app, "/?lang=fr", &[]).await;
        assert_eq!(html_lang(&body), "sw");
        // Back to English.
        let (_, cookies, body) = fetch(&client, &app, "/?lang=en", &[]).await;
        assert_eq!(html_lang(&body), "en");
        assert!(cookies.iter().any(|c| c.starts_with("lang=en;")), "{cookies:?}");

        // Accept-Language, q-values honoured.
        for (header, expected) in [
            ("sw-TZ", "sw"),
            ("sw;q=0.9,en;q=0.8", "sw"),
            ("en;q=0.8, sw;q=0.9", "sw"),
            ("fr-FR, sw;q=0.5", "sw"),
            ("sw;q=0, en;q=0.1", "en"),
            ("fr, de", "en"),
            ("en-GB,en;q=0.9", "en"),
        ] {
            let (_, _, body) = fetch(&fresh_client(), &app, "/", &[("accept-language", header)]).await;
            assert_eq!(html_lang(&body), expected, "Accept-Language: {header}");
        }
        // The JSON API stays English whatever the language.
        let resp = fresh_client().get(format!("{}/api/v1/invoices/nope", app.address)).header("accept-language", "sw").send().await.unwrap();
        assert_eq!(resp.status(), 404);
        assert!(resp.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("lang=")));
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("not found"), "{body}");
    }

    async fn every_customer_page_speaks_swahili(app: TestApp) {
        let client = fresh_client();
        let (_, _, home) = fetch(&client, &app, "/?lang=sw", &[]).await;
        assert_swahili("index", &home, &["Karibu wetech!", "Huduma zetu", "Jina lako", "Barua pepe", "Namba ya simu", "Tuma ombi", "TSh 500,000.00"]);

        // The lead form with mistakes.
        let token = csrf_token(&home);
        let (status, body) = post(&client, &app, "/leads", &[("csrf_token", token.as_str()), ("name", ""), ("email", "not-an-email"), ("phone", "12345"), ("service", "WEB-PRO"), ("sneaky", "x")]).await;
        assert_eq!(status, 422);
        assert_swahili("lead form, 422", &body, &["Tafadhali sahihisha", "Andika barua pepe sahihi", "Andika jina lako", "sneaky: Sehemu isiyojulikana."]);

        // The invoice page, unpaid.
        let id = lead_in(&client, &app, "swahili@example.co.tz").await;
        let invoice_path = format!("/invoices/{id}");
        let (_, _, body) = fetch(&client, &app, &invoice_path, &[]).await;
        assert_swahili("invoice, unpaid", &body, &["Ankara INV-", "Haijalipwa", "Lipa ankara hii", "Lipa TSh 500,000.00 kwa Pesapal", "Tuma ombi la malipo kwenye simu yangu"]);
        assert!(body.contains(&format!("href=\"{invoice_path}?lang=en\"")), "switch keeps the page");

        // The AzamPay form with mistakes, then the push, then the second push refused.
        let token = csrf_token(&body);
        let pay = format!("{invoice_path}/pay");
        let (status, body) = post(&client, &app, &pay, &[("csrf_token", token.as_str()), ("gateway", "azampay"), ("phone", "123"), ("provider", "Nokia")]).await;
        assert_eq!(status, 422);
        assert_swahili("pay form, 422", &body, &["Andika namba ya simu ya mkononi ya Tanzania", "Chagua mtandao wa simu"]);
        let form = [("csrf_token", token.as_str()), ("gateway", "azampay"), ("phone", "0754123456"), ("provider", "Airtel")];
        let (status, _) = post(&client, &app, &pay, &form).await;
        assert_eq!(status, 303);
        let (_, _, body) = fetch(&client, &app, &format!("{invoice_path}?sent=1"), &[]).await;
        assert_swahili("invoice, pending", &body, &["Malipo yanaendelea", "Tumetuma ombi la malipo kwenye simu yako", "Inasubiri idhini", "Malipo hayajafika?"]);
        let (status, body) = post(&client, &app, &pay, &form).await;
        assert_eq!(status, 409);
        assert_swahili("pay, 409", &body, &["tayari yanaendelea"]);

        // The simulator's phone page follows the remembered language.
        let (_, _, body) = fetch(&client, &app, "/_simulator/azampay/phone", &[]).await;
        assert_swahili("simulated phone", &body, &["Idhinisha", "Kataa", "anaomba"]);

        // Paid.
        let tx = app.sim.azampay_transactions().into_iter().next().unwrap();
        app.sim.approve_azampay(&tx.transaction_id).unwrap();
        app.wait_for_status(&id, "paid").await;
        let (_, _, body) = fetch(&client, &app, &invoice_path, &[]).await;
        assert_swahili("invoice, paid", &body, &["Imelipwa — asante sana!", "Tumepokea malipo yako tarehe", "saa"]);
        let (status, body) = post(&client, &app, &pay, &form).await;
        assert_eq!(status, 409);
        assert_swahili("pay, 409 paid", &body, &["Ankara hii tayari imelipwa."]);

        // Error pages: 404, 403 (CSRF), 405.
        let (status, _, body) = fetch(&client, &app, "/no/such/page", &[]).await;
        assert_eq!(status, 404);
        assert_swahili("404", &body, &["Ukurasa haupatikani", "Rudi ukurasa wa mwanzo", "Hitilafu 404"]);
        let (status, _, body) = fetch(&client, &app, "/invoices/AAAAAAAAAAAAAAAAAAAAAA", &[]).await;
        assert_eq!(status, 404);
        assert_swahili("unknown invoice", &body, &["Hatukupata ukurasa huu"]);
        let (status, body) = post(&client, &app, "/leads", &[("name", "x")]).await;
        assert_eq!(status, 403);
        assert_swahili("CSRF 403", &body, &["Fomu hii imepitwa na wakati", "Hakuna kilichorekodiwa"]);
    }

    async fn the_rate_limit_page_speaks_swahili(app: TestApp) {
        let _ = app; // this test needs its own limit
        let app = crate::helpers::spawn_app_with(app.db.backend(), |s| s.server.lead_rate_limit_per_minute = 1).await.unwrap();
        let client = fresh_client();
        let _ = lead_in(&client, &app, "first@example.com").await;
        let (_, _, home) = fetch(&client, &app, "/", &[("accept-language", "sw-TZ,sw;q=0.9")]).await;
        let token = csrf_token(&home);
        let (status, body) = post(&client, &app, "/leads", &[("csrf_token", token.as_str())]).await;
        assert_eq!(status, 429);
        // No cookie (the first lead was in English, chosen by nothing), so the header decides:
        // this request sent none, so the page is English …
        assert_eq!(html_lang(&body), "en");
        // … and with the header, Swahili.
        let resp = client.post(format!("{}/leads", app.address)).header("accept-language", "sw").form(&[("csrf_token", token.as_str())]).send().await.unwrap();
        assert_eq!(resp.status(), 429);
        assert!(resp.headers().contains_key("retry-after"));
        let body = resp.text().await.unwrap();
        assert_swahili("429", &body, &["Maombi mengi mno", "Tafadhali subiri sekunde"]);
    }
}
