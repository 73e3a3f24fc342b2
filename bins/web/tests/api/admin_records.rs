//! The back office's client, invoice and payments pages through the real server on both
//! backends: the invoices list (every state as a filter, search over number, client and merchant
//! reference), one invoice with every attempt, its state history and its raw gateway events
//! (escaped, bounded), one client with their leads and invoices, the payments in review and the
//! dashboard's count of them; escaping, the private headers and hostile paths.

use serde_json::{Value, json};
use wetech_domain::{Gateway, InvoiceStatus};
use wetech_persistence::repo::{attempts, events};

use crate::admin::get;
use crate::admin_leads::{HOSTILE, lead, staff, urlencode};
use crate::app_tests;
use crate::helpers::TestApp;

/// Starts a Pesapal payment of invoice `invoice`; returns the attempt's merchant reference.
async fn pay(app: &TestApp, invoice: &str) -> String {
    app.sim.update_config(|c| c.delivery_attempts = 0);
    let resp = app
        .post_json(
            &format!("/api/v1/invoices/{invoice}/payments"),
            &json!({"gateway": "pesapal"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    resp.json::<Value>().await.unwrap()["payment_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn attempt(app: &TestApp, reference: &str) -> attempts::AttemptRow {
    attempts::find_by_merchant_reference(&mut app.db.conn(), reference)
        .unwrap()
        .unwrap()
}

/// Puts the attempt under review with `reason`.
fn review(app: &TestApp, reference: &str, reason: &str) {
    let id = attempt(app, reference).id;
    let left = attempts::put_under_review(
        &mut app.db.conn(),
        id,
        reason,
        &attempts::AttemptUpdate::default(),
    )
    .unwrap();
    assert!(left.is_some());
}

/// Stores a raw gateway event for the attempt.
fn event(app: &TestApp, reference: &str, key: &str, payload: &str) {
    let id = attempt(app, reference).id;
    events::record_event(
        &mut app.db.conn(),
        &events::NewEvent {
            attempt_id: Some(id),
            gateway: Gateway::Pesapal,
            kind: "ipn",
            dedupe_key: key,
            payload,
            received_at: wetech_persistence::now_utc(),
            outcome: "received",
        },
    )
    .unwrap();
}

fn invoice_number(body: &Value) -> String {
    body["number"].as_str().unwrap().to_owned()
}

app_tests! {
    async fn the_invoices_list_filters_by_every_state_and_searches(app: TestApp) {
        let a = lead(&app, "Asha Mwakyusa", "asha@example.com", "0754123456", "Traders").await;
        let b = lead(&app, HOSTILE, "baraka@example.org", "0713999888", "").await;
        let reference = pay(&app, &b).await;
        staff(&app).await;
        let all = get(&app, "/admin/invoices").await;
        assert_eq!(all.status, 200);
        all.assert_private("invoices list");
        assert!(all.body.contains(&format!("href=\"/admin/invoices/{a}\"")) && all.body.contains(&format!("href=\"/admin/invoices/{b}\"")));
        assert!(!all.body.contains("<script>alert") && all.body.contains("&#60;script&#62;"), "{}", all.body);
        assert!(all.body.find(&b).unwrap() < all.body.find(&a).unwrap(), "newest first");
        for s in InvoiceStatus::ALL {
            let page = get(&app, &format!("/admin/invoices?status={}", s.as_str())).await;
            assert_eq!(page.status, 200, "{s}");
            assert!(page.body.contains(&format!("<option value=\"{}\"", s.as_str())), "every state is offered");
        }
        let unpaid = get(&app, "/admin/invoices?status=unpaid").await.body;
        let pending = get(&app, "/admin/invoices?status=pending").await.body;
        assert!(unpaid.contains(&a) && !unpaid.contains(&b), "{unpaid}");
        assert!(pending.contains(&b) && !pending.contains(&a), "{pending}");
        assert_eq!(get(&app, "/admin/invoices?status=review").await.status, 400);
        let number_a = invoice_number(&app.invoice(&a).await);
        for (q, want, not) in [
            (number_a.to_lowercase(), &a, &b),
            ("EXAMPLE.ORG".to_owned(), &b, &a),
            ("mwakyusa".to_owned(), &a, &b),
            (reference[4..].to_owned(), &b, &a),
        ] {
            let page = get(&app, &format!("/admin/invoices?q={}", urlencode(&q))).await;
            assert_eq!(page.status, 200, "{q}");
            assert!(page.body.contains(want.as_str()) && !page.body.contains(not.as_str()), "{q}: {}", page.body);
        }
        assert!(get(&app, "/admin/invoices?q=%25").await.body.contains("No invoices match."));
        assert_eq!(get(&app, &format!("/admin/invoices?q={}", "x".repeat(101))).await.status, 400);
        assert_eq!(get(&app, "/admin/invoices?page=0").await.status, 400);
    }

    async fn one_invoice_shows_every_attempt_its_history_and_its_events_escaped(app: TestApp) {
        let id = lead(&app, HOSTILE, "hostile@example.com", "0754000002", "").await;
        let first = pay(&app, &id).await;
        review(&app, &first, "paid <b>twice</b>?");
        event(&app, &first, "k1", "OrderTrackingId=<script>alert(2)</script>");
        let huge = format!("{}END-OF-PAYLOAD", "p".repeat(10_000));
        event(&app, &first, "k2", &huge);
        let second = pay(&app, &id).await;
        staff(&app).await;
        let page = get(&app, &format!("/admin/invoices/{id}")).await;
        assert_eq!(page.status, 200);
        page.assert_private("invoice page");
        let body = &page.body;
        assert!(body.contains(&first) && body.contains(&second), "both attempts");
        assert!(!body.contains("<script>alert") && !body.contains("<b>twice"), "{body}");
        assert!(body.contains("<pre>OrderTrackingId=&#60;script&#62;alert(2)&#60;/script&#62;</pre>"), "{body}");
        assert!(body.contains("paid &#60;b&#62;twice&#60;/b&#62;?"), "the review reason");
        assert!(body.contains("10014 bytes (first 4000 characters shown)") && !body.contains("END-OF-PAYLOAD"), "bounded");
        assert!(body.contains("<td data-label=\"From\">pending</td><td data-label=\"To\">review</td>"), "the state history: {body}");
        assert!(body.contains("href=\"/admin/clients/") && body.contains("href=\"/admin/leads/"), "{body}");
        assert!(!body.contains("style=") && body.contains("class=\"actions\""), "the actions' place");
    }

    async fn a_bad_or_unknown_invoice_or_client_is_the_404_page(app: TestApp) {
        staff(&app).await;
        for path in [
            "/admin/invoices/AAAAAAAAAAAAAAAAAAAAAA",
            "/admin/invoices/1",
            "/admin/invoices/%27%20OR%201%3D1--",
            "/admin/invoices/%3Cscript%3E",
            "/admin/clients/999999",
            "/admin/clients/abc",
            "/admin/clients/-1",
            "/admin/clients/99999999999999999999999",
        ] {
            let page = get(&app, path).await;
            assert_eq!(page.status, 404, "{path}");
            page.assert_private(path);
        }
    }

    async fn one_client_shows_their_leads_and_invoices(app: TestApp) {
        let first = lead(&app, HOSTILE, "same@example.com", "0754000002", "<i>Co</i>").await;
        let second = lead(&app, HOSTILE, "same@example.com", "0754000002", "<i>Co</i>").await;
        let other = lead(&app, "Someone Else", "else@example.com", "0754000003", "").await;
        staff(&app).await;
        let list = get(&app, "/admin/leads?q=same%40example").await.body;
        let marker = "href=\"/admin/clients/";
        let start = list.find(marker).unwrap() + marker.len();
        let client = &list[start..start + list[start..].find('"').unwrap()];
        let page = get(&app, &format!("/admin/clients/{client}")).await;
        assert_eq!(page.status, 200);
        page.assert_private("client page");
        assert!(page.body.contains(&first) && page.body.contains(&second) && !page.body.contains(&other), "{}", page.body);
        assert_eq!(page.body.matches("href=\"/admin/leads/").count(), 2, "two leads");
        assert!(!page.body.contains("<script>alert") && !page.body.contains("<i>Co"), "{}", page.body);
    }

    async fn the_payments_list_shows_attempts_by_state_and_review(app: TestApp) {
        let a = lead(&app, "Asha Mwakyusa", "asha@example.com", "0754123456", "").await;
        let b = lead(&app, HOSTILE, "hostile@example.com", "0754000002", "").await;
        let calm = pay(&app, &a).await;
        let flagged = pay(&app, &b).await;
        review(&app, &flagged, "<script>alert(3)</script> mismatch");
        staff(&app).await;
        let page = get(&app, "/admin/payments?state=review").await;
        assert_eq!(page.status, 200);
        page.assert_private("payments list");
        assert!(page.body.contains(&flagged) && !page.body.contains(&calm), "{}", page.body);
        assert!(!page.body.contains("<script>alert") && page.body.contains("&#60;script&#62;alert(3)"), "{}", page.body);
        assert!(page.body.contains("data-label=\"Actions\""), "the actions' place");
        let pending = get(&app, "/admin/payments?state=pending").await.body;
        assert!(pending.contains(&calm) && !pending.contains(&flagged));
        let all = get(&app, "/admin/payments").await.body;
        assert!(all.contains(&calm) && all.contains(&flagged));
        for bad in ["state=paid", "state=%3Cscript%3E", "page=-3"] {
            assert_eq!(get(&app, &format!("/admin/payments?{bad}")).await.status, 400, "{bad}");
        }
        assert_eq!(get(&app, "/admin/payments?state=review&sort=x&q=").await.status, 200);
        let dash = get(&app, "/admin/").await;
        assert!(dash.body.contains("<a href=\"/admin/payments?state=review\">1</a>"), "{}", dash.body);
    }

    async fn the_pages_need_a_session(app: TestApp) {
        for path in ["/admin/invoices", "/admin/invoices/AAAAAAAAAAAAAAAAAAAAAA", "/admin/clients/1", "/admin/payments?state=review", "/admin/leads.csv", "/admin/invoices.csv"] {
            let page = get(&app, path).await;
            assert_eq!(page.status, 303, "{path}");
            assert!(page.location.as_deref().unwrap().starts_with("/admin/login?next="), "{path}");
        }
    }
}
