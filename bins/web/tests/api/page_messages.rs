//! What the customer pages say and how they say it (issue 17, points 2 and 3): a failed payment
//! named at the top, a pending AzamPay push with the masked number and its validity, the other
//! way held back until `checkout.retry_after_secs`, the payments table's labels on a phone,
//! fields tied to their messages, a page description, a reload the person can stop, and the
//! simulator's pages in the site's frame and style.

use serde_json::Value;

use crate::app_tests;
use crate::helpers::TestApp;

const FAILED_EN: &str =
    "The payment did not go through. Nothing was charged. Try again or choose another way.";
const FAILED_SW: &str =
    "Malipo hayakufanikiwa. Hakuna pesa iliyotozwa. Jaribu tena au chagua njia nyingine.";

async fn body(app: &TestApp, path: &str) -> String {
    let resp = app.get(path).await;
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.text().await.unwrap()
}

fn has_pay_form(html: &str, id: &str) -> bool {
    html.contains(&format!("action=\"/invoices/{id}/pay\""))
}

/// The hidden CSRF token of the page's first form.
fn csrf_token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let resp = app
        .client
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Starts a Pesapal payment of a new invoice; the simulator's page path and the invoice id.
async fn pesapal_page(app: &TestApp, email: &str) -> (String, String) {
    let id = app.submit_lead(email).await["invoice"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = app
        .post_json(
            &format!("/api/v1/invoices/{id}/payments"),
            &serde_json::json!({"gateway": "pesapal"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let url = resp.json::<Value>().await.unwrap()["redirect_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = url.strip_prefix(&app.address).unwrap_or(&url).to_owned();
    (path, id)
}

/// A pending push's page: the masked number, how long it is valid, no pay forms before
/// `retry_after_secs` but when they come back.
async fn pending_push_page_holds_back_the_other_way(app: &TestApp) {
    let (id, _, _) = app.start_azampay_payment("maskedpush@example.com").await;
    let en = body(app, &format!("/invoices/{id}?lang=en")).await;
    assert!(
        en.contains("We sent the request to 0754 ••• 456. It stays valid for 15 minutes."),
        "{en}"
    );
    for full in [
        "0754123456",
        "754123456",
        "+255754123456",
        "255754123456",
        "0754 123 456",
    ] {
        assert!(!en.contains(full), "the full number {full} is on the page");
    }
    assert!(en.contains("Payment not arriving?"), "{en}");
    assert!(
        en.contains("you can choose another way here in 2 minutes."),
        "{en}"
    );
    assert!(
        !has_pay_form(&en, &id),
        "no pay forms while the server would refuse: {en}"
    );
    let sw = body(app, &format!("/invoices/{id}?lang=sw")).await;
    assert!(
        sw.contains("Tumetuma ombi kwa 0754 ••• 456. Litadumu kwa dakika 15."),
        "{sw}"
    );
    assert!(
        sw.contains("utaweza kuchagua njia nyingine hapa baada ya dakika 2."),
        "{sw}"
    );
}

app_tests! {
    async fn a_payment_cancelled_at_pesapal_is_said_at_the_top(app: TestApp) {
        const CANCELLED_EN: &str =
            "The payment was cancelled at Pesapal. Nothing was charged. Try again or choose another way below.";
        const CANCELLED_SW: &str =
            "Malipo yalisitishwa kwenye Pesapal. Hakuna pesa iliyotozwa. Jaribu tena au chagua njia nyingine hapa chini.";
        let (path, id) = pesapal_page(&app, "cancelled@example.com").await;
        // The simulator's page offers Pesapal's cancel link: the cancellation URL we gave.
        let sim = body(&app, &path).await;
        let marker = "<p><a href=\"";
        let start = sim.rfind(marker).unwrap_or_else(|| panic!("no cancel link: {sim}")) + marker.len();
        let link = sim[start..start + sim[start..].find('"').unwrap()].replace("&amp;", "&");
        let back = link.strip_prefix(&app.address).unwrap_or(&link).to_owned();
        assert_eq!(back, format!("/invoices/{id}?cancelled=1"));
        let en = body(&app, &format!("{back}&lang=en")).await;
        let at = en.find(CANCELLED_EN).unwrap_or_else(|| panic!("no cancel notice: {en}"));
        assert!(at < en.find("class=\"facts\"").unwrap(), "the notice is above the invoice");
        assert!(en[..at].contains("role=\"alert\""), "announced");
        assert!(!en.contains("http-equiv=\"refresh\""), "nothing to wait for: no reload");
        assert!(!en.contains(FAILED_EN));
        let sw = body(&app, &format!("{back}&lang=sw")).await;
        assert!(sw.contains(CANCELLED_SW), "{sw}");
        // Without the parameter the pending page is as before; a paid invoice never says it.
        let plain = body(&app, &format!("/invoices/{id}?lang=en")).await;
        assert!(!plain.contains(CANCELLED_EN) && plain.contains("http-equiv=\"refresh\""));
        let tracking = path.split("OrderTrackingId=").nth(1).unwrap().split('&').next().unwrap();
        app.sim.complete_pesapal_order(tracking).unwrap();
        app.wait_for_status(&id, "paid").await;
        let paid = body(&app, &format!("{back}&lang=en")).await;
        assert!(!paid.contains(CANCELLED_EN), "{paid}");
        // Any other value of the parameter is ignored.
        let other = app.submit_lead("cancelled2@example.com").await["invoice"]["id"].as_str().unwrap().to_owned();
        let page = body(&app, &format!("/invoices/{other}?cancelled=yes%0d%0a&lang=en")).await;
        assert!(!page.contains(CANCELLED_EN), "{page}");
    }

    async fn a_failed_payment_is_said_at_the_top_in_both_languages(app: TestApp) {
        let (id, _, tx) = app.start_azampay_payment("failedtop@example.com").await;
        let pending = body(&app, &format!("/invoices/{id}")).await;
        assert!(!pending.contains(FAILED_EN), "not while pending");
        app.sim.fail_azampay(&tx).unwrap();
        app.wait_for_status(&id, "unpaid").await;
        let en = body(&app, &format!("/invoices/{id}?lang=en")).await;
        let at = en.find(FAILED_EN).unwrap_or_else(|| panic!("no failure notice: {en}"));
        assert!(at < en.find("class=\"facts\"").unwrap(), "the notice is above the invoice");
        assert!(en[..at].contains("role=\"alert\""), "announced");
        assert!(has_pay_form(&en, &id), "and the customer can try again");
        let sw = body(&app, &format!("/invoices/{id}?lang=sw")).await;
        assert!(sw.contains(FAILED_SW), "{sw}");
        // A failed Pesapal payment says the same.
        let (path, other) = pesapal_page(&app, "failedpesapal@example.com").await;
        let tracking = path.split("OrderTrackingId=").nth(1).unwrap().split('&').next().unwrap();
        app.sim.fail_pesapal_order(tracking).unwrap();
        app.wait_for_status(&other, "unpaid").await;
        let page = body(&app, &format!("/invoices/{other}?lang=en")).await;
        assert!(page.contains(FAILED_EN), "{}\n{page}", app.invoice(&other).await);
        // An unpaid invoice that was never tried says nothing of the sort.
        let fresh = app.submit_lead("fresh@example.com").await["invoice"]["id"].as_str().unwrap().to_owned();
        let page = body(&app, &format!("/invoices/{fresh}?lang=en")).await;
        assert!(page.contains("Pay this invoice") && !page.contains(FAILED_EN), "{page}");
    }

    async fn a_pending_push_shows_the_masked_number_and_holds_back_the_other_way(app: TestApp) {
        pending_push_page_holds_back_the_other_way(&app).await;
    }

    async fn the_payments_table_keeps_its_labels_on_a_phone(app: TestApp) {
        let (id, _, _) = app.start_azampay_payment("labels@example.com").await;
        let en = body(&app, &format!("/invoices/{id}")).await;
        for label in ["Started", "Method", "Status", "Amount"] {
            assert!(en.contains(&format!("data-label=\"{label}\"")), "{label}: {en}");
        }
        let sw = body(&app, &format!("/invoices/{id}?lang=sw")).await;
        assert!(sw.contains("data-label=\"Hali\""), "{sw}");
        let css = body(&app, "/static/site.css").await;
        let phone = css.find("@media (max-width: 34rem)").unwrap();
        assert!(css[phone..].contains("table.payments td[data-label]::before { content: attr(data-label)"), "{css}");
    }

    async fn fields_with_mistakes_are_tied_to_their_messages(app: TestApp) {
        let home = body(&app, "/").await;
        assert!(home.contains("aria-describedby=\"phone-hint\""), "the hint is tied to the field");
        assert!(!home.contains("aria-invalid"), "nothing is invalid yet");
        let token = csrf_token(&home);
        let (status, page) = post_form(&app, "/leads", &[("csrf_token", &token), ("name", ""), ("email", "nope"), ("phone", "12"), ("service", "")]).await;
        assert_eq!(status, 422);
        for field in ["name", "email", "service"] {
            assert!(page.contains(&format!("aria-invalid=\"true\" aria-describedby=\"{field}-error\"")), "{field}: {page}");
            assert!(page.contains(&format!("<p class=\"error\" id=\"{field}-error\">")), "{field}: {page}");
        }
        assert!(page.contains("aria-describedby=\"phone-hint phone-error\" aria-invalid=\"true\""), "{page}");
        assert!(page.contains("role=\"alert\""), "the mistakes are announced");

        let id = app.submit_lead("tiedpay@example.com").await["invoice"]["id"].as_str().unwrap().to_owned();
        let invoice = body(&app, &format!("/invoices/{id}")).await;
        let token = csrf_token(&invoice);
        let (status, page) = post_form(&app, &format!("/invoices/{id}/pay"), &[("csrf_token", &token), ("gateway", "azampay"), ("phone", "123"), ("provider", "Nokia")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"pay-phone-error\""), "{page}");
        assert!(page.contains("id=\"pay-phone-error\""), "{page}");
        assert!(page.contains("aria-invalid=\"true\" aria-describedby=\"pay-provider-error\""), "{page}");
        assert!(page.contains("<div role=\"alert\">"), "{page}");
    }

    async fn customer_pages_describe_themselves(app: TestApp) {
        let en = body(&app, "/?lang=en").await;
        assert!(en.contains("<meta name=\"description\" content=\"wetech builds and hosts websites"), "{en}");
        let sw = body(&app, "/?lang=sw").await;
        assert!(sw.contains("<meta name=\"description\" content=\"wetech hutengeneza"), "{sw}");
        let id = app.submit_lead("described@example.com").await["invoice"]["id"].as_str().unwrap().to_owned();
        assert!(body(&app, &format!("/invoices/{id}")).await.contains("<meta name=\"description\""));
    }

    async fn the_pending_page_lets_the_customer_stop_its_reload(app: TestApp) {
        let (id, _, _) = app.start_azampay_payment("stopreload@example.com").await;
        let page = body(&app, &format!("/invoices/{id}")).await;
        assert!(page.contains("http-equiv=\"refresh\""));
        let off = format!("/invoices/{id}?refresh=off");
        assert!(page.contains(&format!("href=\"{off}\">Stop checking by itself</a>")), "{page}");
        let page = body(&app, &off).await;
        assert!(!page.contains("http-equiv=\"refresh\""), "{page}");
        assert!(page.contains("This page no longer checks by itself"), "{page}");
        assert!(page.contains(&format!("<a href=\"{off}\">Refresh this page</a>")), "refreshing keeps it off: {page}");
    }

    async fn simulator_pages_use_the_sites_frame_style_and_amounts(app: TestApp) {
        let home = body(&app, "/").await;
        let icon = "<link rel=\"icon\" href=\"data:,\">";
        assert!(home.contains(icon), "the site's pages declare their icon");
        let (path, _) = pesapal_page(&app, "simframe@example.com").await;
        assert!(path.starts_with("/_simulator/pesapal/"), "{path}");
        let sep = if path.contains('?') { '&' } else { '?' };
        let en = body(&app, &format!("{path}{sep}lang=en")).await;
        assert!(en.contains("<link rel=\"stylesheet\" href=\"/static/site.css\">"), "{en}");
        assert!(en.contains(icon), "no /favicon.ico request, like the site: {en}");
        assert!(en.contains("<header class=\"site\">") && en.contains("<main>"), "landmarks: {en}");
        assert!(en.contains("<strong>TZS 500,000.00</strong>"), "{en}");
        let sw = body(&app, &format!("{path}{sep}lang=sw")).await;
        assert!(sw.contains("<strong>TSh 500,000.00</strong>"), "{sw}");
        let phone = body(&app, "/_simulator/azampay/phone").await;
        assert!(phone.contains("href=\"/static/site.css\"") && phone.contains(icon), "{phone}");
        // The site answers /favicon.ico the same for every page: the site's 404 page.
        let resp = app.get("/favicon.ico").await;
        assert_eq!(resp.status(), 404);
    }
}

/// With `retry_after_secs = 0` the other way is offered at once.
async fn pay_forms_come_back_after_retry_after(backend: wetech_persistence::Backend) {
    let Some(app) =
        crate::helpers::spawn_app_with(backend, |s| s.checkout.retry_after_secs = 0).await
    else {
        return;
    };
    let (id, _, _) = app.start_azampay_payment("retrylater@example.com").await;
    let page = body(&app, &format!("/invoices/{id}")).await;
    assert!(page.contains("0754 ••• 456"), "{page}");
    assert!(
        !page.contains("you can choose another way here in"),
        "{page}"
    );
    assert!(has_pay_form(&page, &id), "the other way is offered: {page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_forms_come_back_after_retry_after_sqlite() {
    pay_forms_come_back_after_retry_after(wetech_persistence::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_forms_come_back_after_retry_after_postgres() {
    pay_forms_come_back_after_retry_after(wetech_persistence::Backend::Postgres).await;
}
