//! Customer pages (docs/interface.md, "Customer pages"): the lead form, the invoice page, the pay forms, CSRF, escaping of
//! hostile text, HTML errors, and the security headers on every page.

use serde_json::Value;
use wetech_gateway_sim::Endpoint;

use crate::app_tests;
use crate::helpers::TestApp;

/// A page as the browser got it.
struct Page {
    status: u16,
    location: Option<String>,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    async fn from(resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let location = headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = resp.text().await.unwrap();
        Page {
            status,
            location,
            headers,
            body,
        }
    }

    /// The hidden CSRF token of the page's (first) form.
    fn csrf_token(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no csrf_token field in:\n{}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        let token = self.body[start..end].to_owned();
        assert!(token.len() >= 32, "token looks too short: {token}");
        token
    }

    /// An HTML page with the app's headers and nothing the CSP would refuse or an attacker injected.
    fn assert_safe_html(&self) {
        let ct = self.headers["content-type"].to_str().unwrap();
        assert!(ct.starts_with("text/html"), "content-type {ct}");
        let csp = self
            .headers
            .get("content-security-policy")
            .expect("CSP header")
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert_eq!(self.headers["x-content-type-options"], "nosniff");
        assert_eq!(self.headers["x-frame-options"], "DENY");
        let lower = self.body.to_lowercase();
        assert!(!lower.contains("<script"), "script tag in:\n{}", self.body);
        assert!(!lower.contains("style="), "inline style in:\n{}", self.body);
        assert!(
            !lower.contains("<style"),
            "style element in:\n{}",
            self.body
        );
        assert!(!lower.contains("<img"), "injected img in:\n{}", self.body);
        assert!(
            !lower.contains("javascript:"),
            "javascript URL in:\n{}",
            self.body
        );
        assert!(self.body.contains("name=\"viewport\""), "viewport meta");
        assert!(
            self.body.contains("href=\"/static/site.css\""),
            "stylesheet"
        );
        for attr in ["href=\"http", "src=\"http", "href=\"//", "src=\"//"] {
            assert!(
                !lower.contains(attr),
                "external resource ({attr}) in:\n{}",
                self.body
            );
        }
    }
}

async fn get_page(app: &TestApp, path: &str) -> Page {
    Page::from(app.get(path).await).await
}

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Page {
    Page::from(
        app.client
            .post(format!("{}{path}", app.address))
            .form(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// The lead form's fields, valid, for `email`.
fn lead_form<'a>(email: &'a str, token: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", token),
        ("name", "Asha Mwakyusa"),
        ("email", email),
        ("phone", "0754123456"),
        ("company", "Mwakyusa Traders"),
        ("service", "WEB-BASIC"),
        ("message", "Karibu"),
    ]
}

/// Submits the lead form as a browser would (GET / first for the cookie and token); returns the
/// invoice's public id.
async fn lead_via_form(app: &TestApp, email: &str) -> String {
    let home = get_page(app, "/").await;
    let token = home.csrf_token();
    let resp = post_form(app, "/leads", &lead_form(email, &token)).await;
    assert_eq!(resp.status, 303, "{}", resp.body);
    let location = resp.location.unwrap();
    location.strip_prefix("/invoices/").unwrap().to_owned()
}

fn client_exists(app: &TestApp, email: &str) -> bool {
    let mut conn = app.db.conn();
    wetech_persistence::repo::clients::find_by_email(&mut conn, email)
        .unwrap()
        .is_some()
}

fn has_pay_form(page: &Page, id: &str) -> bool {
    page.body
        .contains(&format!("action=\"/invoices/{id}/pay\""))
}

fn has_refresh(page: &Page) -> bool {
    page.body.contains("http-equiv=\"refresh\" content=\"5")
}

app_tests! {
    async fn home_shows_the_services_and_the_lead_form(app: TestApp) {
        let resp = app.get("/").await;
        let cookie = resp.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_owned()).unwrap();
        assert!(cookie.starts_with("wetech_csrf=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        let page = Page::from(resp).await;
        assert_eq!(page.status, 200);
        page.assert_safe_html();
        assert_eq!(page.headers["cache-control"], "no-store");
        for (name, price) in [("Business website", "TZS 500,000.00"), ("E-commerce website", "TZS 1,500,000.00"), ("Hosting, one year", "TZS 120,000.00")] {
            assert!(page.body.contains(name), "{name} missing");
            assert!(page.body.contains(price), "{price} missing");
        }
        for field in ["name=\"name\"", "name=\"email\"", "name=\"phone\"", "name=\"company\"", "name=\"service\"", "name=\"message\"", "action=\"/leads\""] {
            assert!(page.body.contains(field), "{field} missing");
        }
        let _ = page.csrf_token();
        assert!(page.body.contains("Karibu"));
        // A second visit keeps the browser's cookie (no new one) and the same token.
        let again = app.get("/").await;
        assert!(again.headers().get("set-cookie").is_none());
        assert_eq!(Page::from(again).await.csrf_token(), page.csrf_token());

        // `?service=` preselects a known service and ignores anything else.
        let pre = get_page(&app, "/?service=WEB-PRO").await;
        assert!(pre.body.contains("value=\"WEB-PRO\" selected"), "{}", pre.body);
        let hostile = get_page(&app, "/?service=%3Cscript%3Ealert(1)%3C/script%3E").await;
        hostile.assert_safe_html();
        assert!(!hostile.body.contains(" selected"));

        // The stylesheet is served from the binary.
        let css = app.get("/static/site.css").await;
        assert_eq!(css.status(), 200);
        assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
        let css = css.text().await.unwrap();
        assert!(css.contains("@media") && css.contains(".card"), "responsive CSS");
    }

    async fn lead_form_without_a_valid_token_is_refused_and_records_nothing(app: TestApp) {
        // No cookie, no token.
        let page = post_form(&app, "/leads", &lead_form("nocsrf@example.com", "")[1..]).await;
        assert_eq!(page.status, 403);
        page.assert_safe_html();
        assert!(page.body.contains("This form has expired"));
        // A cookie but a forged token.
        let _ = get_page(&app, "/").await;
        let page = post_form(&app, "/leads", &lead_form("nocsrf@example.com", "forged-token-forged-token-forged-token")).await;
        assert_eq!(page.status, 403);
        // Another browser's token does not fit this browser's cookie.
        let other = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let their_home = Page::from(other.get(format!("{}/", app.address)).send().await.unwrap()).await;
        let page = post_form(&app, "/leads", &lead_form("nocsrf@example.com", &their_home.csrf_token())).await;
        assert_eq!(page.status, 403);
        assert!(!client_exists(&app, "nocsrf@example.com"), "nothing may be recorded");
    }

    async fn lead_form_redirects_to_the_invoice_page(app: TestApp) {
        let id = lead_via_form(&app, "form@example.co.tz").await;
        let api = app.invoice(&id).await;
        assert_eq!(api["status"], "unpaid");
        assert_eq!(api["amount"], "500000.00");
        let number = api["number"].as_str().unwrap();
        assert!(client_exists(&app, "form@example.co.tz"));

        let page = get_page(&app, &format!("/invoices/{id}")).await;
        assert_eq!(page.status, 200);
        page.assert_safe_html();
        assert!(page.body.contains(number), "invoice number shown");
        assert!(page.body.contains("TZS 500,000.00"), "amount shown");
        assert!(page.body.contains("Business website"));
        assert!(page.body.contains("Unpaid"));
        assert!(has_pay_form(&page, &id));
        assert!(page.body.contains("value=\"pesapal\"") && page.body.contains("value=\"azampay\""));
        for provider in ["Airtel", "Tigo", "Halopesa", "Azampesa", "Mpesa"] {
            assert!(page.body.contains(&format!("<option value=\"{provider}\"")), "{provider} missing");
        }
        assert!(!has_refresh(&page), "no refresh while unpaid");
        // A reload of the form's address goes back to the form.
        let reload = get_page(&app, "/leads").await;
        assert_eq!((reload.status, reload.location.as_deref()), (303, Some("/")));
    }

    async fn validation_errors_come_back_with_the_typed_values(app: TestApp) {
        let token = get_page(&app, "/").await.csrf_token();
        let form = [
            ("csrf_token", token.as_str()),
            ("name", ""),
            ("email", "not-an-email"),
            ("phone", "12345"),
            ("company", "<b>Acme</b> & \"Sons\""),
            ("service", "WEB-PRO"),
            ("message", "Habari"),
        ];
        let page = post_form(&app, "/leads", &form).await;
        assert_eq!(page.status, 422);
        page.assert_safe_html();
        assert!(page.body.contains("Please correct the fields marked below"));
        assert_eq!(page.body.matches("class=\"error\"").count(), 3, "name, email and phone: {}", page.body);
        assert!(page.body.contains("name is empty"), "name's message");
        assert!(page.body.contains("value=\"not-an-email\""), "typed e-mail kept");
        assert!(page.body.contains("value=\"12345\""), "typed phone kept");
        assert!(page.body.contains("value=\"WEB-PRO\" selected"), "chosen service kept");
        assert!(page.body.contains(">Habari</textarea>"), "message kept");
        assert!(!page.body.contains("<b>Acme"), "company escaped");
        assert!(page.body.contains("&#60;b&#62;Acme&#60;/b&#62; &#38; &#34;Sons&#34;"), "{}", page.body);
        // The re-rendered form can be sent again: it carries a working token.
        let retry = page.csrf_token();
        assert_eq!(retry, token);

        // An unknown service is named by the use case; the page says so by the field.
        let mut form = lead_form("unknownsvc@example.com", &token);
        form[5] = ("service", "NO-SUCH");
        let page = post_form(&app, "/leads", &form).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("unknown or inactive service"), "{}", page.body);
        assert!(page.body.contains("value=\"unknownsvc@example.com\""));
        assert!(!client_exists(&app, "unknownsvc@example.com"));
        // An unexpected field is refused and named.
        let mut form = lead_form("extra@example.com", &token);
        form.push(("<i>admin</i>", "1"));
        let page = post_form(&app, "/leads", &form).await;
        assert_eq!(page.status, 422);
        page.assert_safe_html();
        assert!(page.body.contains("&#60;i&#62;admin&#60;/i&#62;: unknown field"), "{}", page.body);
        assert!(!client_exists(&app, "extra@example.com"));
    }

    async fn hostile_text_is_never_shown_unescaped(app: TestApp) {
        let token = get_page(&app, "/").await.csrf_token();
        let name = "<script>alert(1)</script>";
        let company = "أحمد بن علي & Ḥāmid Wanawake — Ng'ombe \"Bora\"";
        let message = "Habari za asubuhi! Tunahitaji tovuti ya duka. \"><img src=x onerror=alert(1)>";
        let form = [
            ("csrf_token", token.as_str()), ("name", name), ("email", "hostile@example.com"),
            ("phone", "+255754123456"), ("company", company), ("service", "HOSTING"), ("message", message),
        ];
        let page = post_form(&app, "/leads", &form).await;
        assert_eq!(page.status, 303, "hostile but valid text is accepted: {}", page.body);
        let id = page.location.unwrap().strip_prefix("/invoices/").unwrap().to_owned();
        // Stored verbatim.
        let mut conn = app.db.conn();
        let client = wetech_persistence::repo::clients::find_by_email(&mut conn, "hostile@example.com").unwrap().unwrap();
        assert_eq!(client.name, name);
        assert_eq!(client.company.as_deref(), Some(company));
        drop(conn);
        let invoice = get_page(&app, &format!("/invoices/{id}")).await;
        assert_eq!(invoice.status, 200);
        invoice.assert_safe_html();
        assert!(invoice.body.contains("TZS 120,000.00"));

        // A 10 000-character message is refused (over 2000) and comes back escaped, with the
        // Arabic and Swahili text intact.
        let long = format!("{message} {}", "x".repeat(10_000 - message.chars().count() - 1));
        assert_eq!(long.chars().count(), 10_000);
        let form = [
            ("csrf_token", token.as_str()), ("name", name), ("email", "hostile2@example.com"),
            ("phone", "0754123456"), ("company", company), ("service", "HOSTING"), ("message", long.as_str()),
        ];
        let page = post_form(&app, "/leads", &form).await;
        assert_eq!(page.status, 422);
        page.assert_safe_html();
        assert!(page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "name escaped");
        assert!(page.body.contains("أحمد بن علي &#38; Ḥāmid Wanawake"), "Arabic and diacritics intact");
        assert!(page.body.contains(&"x".repeat(9_000)), "the long message is given back to edit");
        assert!(!client_exists(&app, "hostile2@example.com"));

        // Hostile ids and pay-form values.
        let page = get_page(&app, "/invoices/%3Cscript%3Ealert(1)").await;
        assert_eq!(page.status, 404);
        page.assert_safe_html();
        let page = post_form(&app, &format!("/invoices/{id}/pay"), &[
            ("csrf_token", token.as_str()), ("gateway", "azampay"), ("phone", "<script>alert(1)</script>"), ("provider", "<img src=x>"),
        ]).await;
        assert_eq!(page.status, 422);
        page.assert_safe_html();
        assert!(page.body.contains("value=\"&#60;script&#62;alert(1)&#60;/script&#62;\""), "typed phone escaped");
    }

    async fn pesapal_pay_form_goes_to_the_hosted_page_and_the_invoice_gets_paid(app: TestApp) {
        let id = lead_via_form(&app, "paypesapal@example.com").await;
        let page = get_page(&app, &format!("/invoices/{id}")).await;
        let token = page.csrf_token();
        // Without the token: 403, nothing started.
        let refused = post_form(&app, &format!("/invoices/{id}/pay"), &[("gateway", "pesapal")]).await;
        assert_eq!(refused.status, 403);
        refused.assert_safe_html();
        assert_eq!(app.invoice(&id).await["payments"].as_array().unwrap().len(), 0);

        let resp = post_form(&app, &format!("/invoices/{id}/pay"), &[("csrf_token", token.as_str()), ("gateway", "pesapal")]).await;
        assert_eq!(resp.status, 303, "{}", resp.body);
        let location = resp.location.unwrap();
        assert!(location.contains("/_simulator/") && location.contains("OrderTrackingId="), "{location}");

        let pending = get_page(&app, &format!("/invoices/{id}")).await;
        assert_eq!(pending.status, 200);
        pending.assert_safe_html();
        assert!(pending.body.contains("Payment under way"));
        assert!(has_refresh(&pending), "refreshes while pending");
        assert!(pending.body.contains(&format!("url=/invoices/{id}\"")), "refreshes the invoice itself");

        // The customer pays on the hosted page; the IPN settles the invoice.
        let tracking = app.sim.pesapal_orders().into_iter().next().unwrap().order_tracking_id;
        app.sim.complete_pesapal_order(&tracking).unwrap();
        let paid = app.wait_for_status(&id, "paid").await;
        assert!(paid["paid_at"].is_string());
        let page = get_page(&app, &format!("/invoices/{id}")).await;
        page.assert_safe_html();
        assert!(page.body.contains("Paid — asante sana!"), "{}", page.body);
        assert!(page.body.contains(" EAT"), "paid date shown");
        assert!(!has_refresh(&page), "no refresh once paid");
        assert!(!has_pay_form(&page, &id), "no pay buttons once paid");
        assert!(page.body.contains("Pesapal") && page.body.contains("<td data-label=\"Status\">Paid</td>"), "payments list: {}", page.body);

        // Paying again: 409 on the invoice page.
        let again = post_form(&app, &format!("/invoices/{id}/pay"), &[("csrf_token", token.as_str()), ("gateway", "pesapal")]).await;
        assert_eq!(again.status, 409);
        again.assert_safe_html();
        assert!(again.body.contains("already paid"), "{}", again.body);
    }

    async fn azampay_pay_form_comes_back_pending_and_refreshing(app: TestApp) {
        let id = lead_via_form(&app, "payazam@example.com").await;
        let token = get_page(&app, &format!("/invoices/{id}")).await.csrf_token();
        let path = format!("/invoices/{id}/pay");

        // Mistakes come back by the fields, with what was typed; nothing is started.
        let page = post_form(&app, &path, &[("csrf_token", token.as_str()), ("gateway", "azampay"), ("phone", "123"), ("provider", "Nokia")]).await;
        assert_eq!(page.status, 422);
        page.assert_safe_html();
        assert!(page.body.contains("value=\"123\""));
        assert_eq!(page.body.matches("class=\"error\"").count(), 2, "{}", page.body);
        let page = post_form(&app, &path, &[("csrf_token", token.as_str()), ("gateway", "paypal")]).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("must be"), "{}", page.body);
        assert_eq!(app.invoice(&id).await["payments"].as_array().unwrap().len(), 0);

        let resp = post_form(&app, &path, &[("csrf_token", token.as_str()), ("gateway", "azampay"), ("phone", "0754123456"), ("provider", "Airtel")]).await;
        assert_eq!(resp.status, 303, "{}", resp.body);
        assert_eq!(resp.location.as_deref(), Some(format!("/invoices/{id}?sent=1").as_str()));
        let page = get_page(&app, &format!("/invoices/{id}?sent=1")).await;
        assert_eq!(page.status, 200);
        page.assert_safe_html();
        assert!(page.body.contains("Payment under way"));
        assert!(page.body.contains("We sent a payment request to your phone"));
        assert!(has_refresh(&page));
        assert!(page.body.contains("href=\"/_simulator/azampay/phone\""), "simulator phone link");

        // A second start while the push is under way: 409 on the invoice page, still refreshing.
        let busy = post_form(&app, &path, &[("csrf_token", token.as_str()), ("gateway", "azampay"), ("phone", "0754123456"), ("provider", "Airtel")]).await;
        assert_eq!(busy.status, 409);
        busy.assert_safe_html();
        assert!(busy.body.contains("already under way"), "{}", busy.body);
        assert!(has_refresh(&busy));

        // The customer approves on the phone; the page shows it paid.
        let tx = app.sim.azampay_transactions().into_iter().next().unwrap();
        app.sim.approve_azampay(&tx.transaction_id).unwrap();
        app.wait_for_status(&id, "paid").await;
        let page = get_page(&app, &format!("/invoices/{id}?sent=1")).await;
        assert!(page.body.contains("Paid — asante sana!"));
        assert!(!page.body.contains("We sent a payment request"), "the note goes once paid");
        assert!(!has_refresh(&page));
        assert!(page.body.contains("AzamPay"));
    }

    async fn gateway_trouble_is_shown_on_the_invoice_page(app: TestApp) {
        let id = lead_via_form(&app, "gwpage@example.com").await;
        let token = get_page(&app, &format!("/invoices/{id}")).await.csrf_token();
        app.sim.fail_next(Endpoint::PesapalSubmitOrder, 1, 503);
        let page = post_form(&app, &format!("/invoices/{id}/pay"), &[("csrf_token", token.as_str()), ("gateway", "pesapal")]).await;
        assert!(matches!(page.status, 502 | 503), "status {}", page.status);
        page.assert_safe_html();
        assert!(page.body.contains("Nothing was charged"), "{}", page.body);
        assert!(has_pay_form(&page, &id), "the customer can try again from here");
        assert!(!has_refresh(&page));
        let api: Value = app.invoice(&id).await;
        assert_eq!(api["status"], "unpaid");
        // And trying again works.
        let resp = post_form(&app, &format!("/invoices/{id}/pay"), &[("csrf_token", token.as_str()), ("gateway", "pesapal")]).await;
        assert_eq!(resp.status, 303);
    }

    async fn unknown_invoice_is_an_html_404(app: TestApp) {
        let page = get_page(&app, "/invoices/AAAAAAAAAAAAAAAAAAAAAA").await;
        assert_eq!(page.status, 404);
        page.assert_safe_html();
        assert!(page.body.contains("Page not found"));
        let page = get_page(&app, "/invoices/1").await;
        assert_eq!(page.status, 404);
        let token = get_page(&app, "/").await.csrf_token();
        let page = post_form(&app, "/invoices/AAAAAAAAAAAAAAAAAAAAAA/pay", &[("csrf_token", token.as_str()), ("gateway", "pesapal")]).await;
        assert_eq!(page.status, 404);
        page.assert_safe_html();
        let page = get_page(&app, "/invoices/AAAAAAAAAAAAAAAAAAAAAA/pay").await;
        assert_eq!((page.status, page.location.as_deref()), (303, Some("/invoices/AAAAAAAAAAAAAAAAAAAAAA")));
        let page = get_page(&app, "/invoices/%0D%0ASet-Cookie:x=1/pay").await;
        assert_eq!(page.status, 404);
    }

    async fn oversized_and_non_form_posts_get_html_errors(app: TestApp) {
        let token = get_page(&app, "/").await.csrf_token();
        let big = "x".repeat(70 * 1024);
        let page = post_form(&app, "/leads", &[("csrf_token", token.as_str()), ("message", big.as_str())]).await;
        assert_eq!(page.status, 413);
        page.assert_safe_html();
        let resp = app.client.post(format!("{}/leads", app.address)).json(&serde_json::json!({"name": "x"})).send().await.unwrap();
        let page = Page::from(resp).await;
        assert_eq!(page.status, 415);
        page.assert_safe_html();
    }

    async fn lead_form_is_rate_limited_with_a_429_page(app: TestApp) {
        let _ = app; // this test needs its own limit
        let app = crate::helpers::spawn_app_with(app.db.backend(), |s| s.server.lead_rate_limit_per_minute = 2).await.unwrap();
        let token = get_page(&app, "/").await.csrf_token();
        for i in 0..2 {
            let email = format!("rlpage{i}@example.com");
            assert_eq!(post_form(&app, "/leads", &lead_form(&email, &token)).await.status, 303);
        }
        let page = post_form(&app, "/leads", &lead_form("rlpage9@example.com", &token)).await;
        assert_eq!(page.status, 429);
        page.assert_safe_html();
        let retry: u64 = page.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry >= 1);
        assert!(page.body.contains("Too many requests"));
        assert!(!client_exists(&app, "rlpage9@example.com"));
    }
}

/// The mounted simulator's pages take their style from a stylesheet the site's CSP allows (an
/// inline `<style>` would be blocked by `style-src 'self'`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_pages_are_styled_within_the_sites_policy() {
    let app = crate::helpers::spawn_app(wetech_persistence::Backend::Sqlite)
        .await
        .unwrap();
    let page = app.get("/_simulator/azampay/phone").await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let style_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("style-src") || d.starts_with("default-src"))
        .unwrap_or_default()
        .to_owned();
    assert!(!style_src.contains("unsafe-inline"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<style"), "no inline style: {html}");
    assert!(html.contains("href=\"/_simulator/style.css\""), "{html}");
    let css = app.get("/_simulator/style.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.text().await.unwrap().contains("font-family"));
}
