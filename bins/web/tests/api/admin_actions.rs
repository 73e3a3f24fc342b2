//! The back office's money actions through the real server (docs/back-office.md, "Actions"):
//! void, resolve a review, recheck, refund — each a confirmation page and a CSRF-checked POST,
//! admin-only but the recheck, every one in the audit log; and their refusals.

use std::time::Duration;

use serde_json::{Value, json};
use wetech_domain::{AttemptStatus, StaffRole};
use wetech_persistence::refunds::{self, RefundState};
use wetech_persistence::repo::attempts;

use crate::admin::{Answer, PASSWORD, add, get, post, sign_in};
use crate::app_tests;
use crate::helpers::TestApp;

const ADMIN: &str = "admin@example.com";
const STAFF: &str = "staff@example.com";

/// Signs in a new account of `role` and answers a CSRF token for its forms.
async fn signed_in(app: &TestApp, email: &str, role: StaffRole) -> String {
    add(app, email, role);
    let signed = sign_in(app, email, PASSWORD, "").await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    get(app, "/admin/").await.csrf_token()
}

async fn new_invoice(app: &TestApp, email: &str) -> String {
    app.submit_lead(email).await["invoice"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn start(app: &TestApp, invoice: &str, body: Value) -> String {
    let resp = app
        .post_json(&format!("/api/v1/invoices/{invoice}/payments"), &body)
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

/// Pays `invoice` through Pesapal in the simulator (the IPN settles it); answers the payment id.
async fn pay_with_pesapal(app: &TestApp, invoice: &str) -> String {
    let reference = start(app, invoice, json!({"gateway": "pesapal"})).await;
    let tracking = attempt(app, &reference).gateway_reference.unwrap();
    app.sim.complete_pesapal_order(&tracking).unwrap();
    app.wait_for_status(invoice, "paid").await;
    reference
}

/// A paid-twice payment: the customer starts Pesapal, turns to AzamPay (the Pesapal attempt is
/// superseded), pays both. Pesapal settles the invoice, the AzamPay payment goes under review.
/// Answers (invoice, pesapal payment id, azampay payment id).
async fn paid_twice(app: &TestApp, email: &str) -> (String, String, String) {
    let invoice = new_invoice(app, email).await;
    let pesapal = start(app, &invoice, json!({"gateway": "pesapal"})).await;
    let azampay = start(
        app,
        &invoice,
        json!({"gateway": "azampay", "phone": "0754123456", "provider": "Airtel"}),
    )
    .await;
    let tracking = attempt(app, &pesapal).gateway_reference.unwrap();
    app.sim.complete_pesapal_order(&tracking).unwrap();
    app.wait_for_status(&invoice, "paid").await;
    let tx = app
        .sim
        .azampay_transactions()
        .into_iter()
        .find(|t| t.external_id == azampay)
        .unwrap();
    app.sim.approve_azampay(&tx.transaction_id).unwrap();
    for _ in 0..100 {
        if attempt(app, &azampay).status == AttemptStatus::Review {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(attempt(app, &azampay).status, AttemptStatus::Review);
    (invoice, pesapal, azampay)
}

async fn audit_page(app: &TestApp) -> String {
    let page = get(app, "/admin/audit").await;
    assert_eq!(page.status, 200);
    page.body
}

fn refund_rows(app: &TestApp, reference: &str) -> Vec<refunds::RefundRow> {
    refunds::list_for_attempt(&mut app.db.conn(), attempt(app, reference).id).unwrap()
}

fn see_invoice(answer: &Answer, invoice: &str) {
    assert_eq!(
        (answer.status, answer.location.as_deref()),
        (303, Some(format!("/admin/invoices/{invoice}").as_str())),
        "{}",
        answer.body
    );
}

app_tests! {
    async fn voiding_an_unpaid_invoice_makes_paying_it_409(app: TestApp) {
        let token = signed_in(&app, ADMIN, StaffRole::Admin).await;
        let invoice = new_invoice(&app, "void@example.com").await;
        let path = format!("/admin/invoices/{invoice}/void");
        let page = get(&app, &path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_private("void page");
        assert!(page.body.contains("can never be paid"), "{}", page.body);
        // No token, a forged one: refused, nothing changed.
        assert_eq!(post(&app, &path, &[]).await.status, 403);
        assert_eq!(post(&app, &path, &[("csrf_token", "forged")]).await.status, 403);
        assert_eq!(app.invoice(&invoice).await["status"], "unpaid");

        let done = post(&app, &path, &[("csrf_token", &token)]).await;
        see_invoice(&done, &invoice);
        assert_eq!(app.invoice(&invoice).await["status"], "void");
        let pay = app
            .post_json(&format!("/api/v1/invoices/{invoice}/payments"), &json!({"gateway": "pesapal"}))
            .await;
        assert_eq!(pay.status(), 409);
        // The customer's page says so in the customer's language.
        for (lang, said) in [("en", "This invoice was cancelled"), ("sw", "Ankara hii ilifutwa")] {
            let page = app.get(&format!("/invoices/{invoice}?lang={lang}")).await.text().await.unwrap();
            assert!(page.contains(said), "{lang}: {page}");
        }
        // Again: it is no longer unpaid.
        assert_eq!(post(&app, &path, &[("csrf_token", &token)]).await.status, 409);
        let audit = audit_page(&app).await;
        assert!(audit.contains("invoice.void"), "{audit}");
        assert!(audit.contains("&quot;void&quot;") || audit.contains("&#34;void&#34;"), "{audit}");
        // Unknown ids.
        assert_eq!(get(&app, "/admin/invoices/nope/void").await.status, 404);
        assert_eq!(post(&app, "/admin/invoices/nope/void", &[("csrf_token", &token)]).await.status, 404);
    }

    async fn a_paid_invoice_cannot_be_voided(app: TestApp) {
        let token = signed_in(&app, ADMIN, StaffRole::Admin).await;
        let invoice = new_invoice(&app, "paid@example.com").await;
        pay_with_pesapal(&app, &invoice).await;
        let refused = post(&app, &format!("/admin/invoices/{invoice}/void"), &[("csrf_token", &token)]).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert_eq!(app.invoice(&invoice).await["status"], "paid");
    }

    async fn staff_may_recheck_but_not_refund_resolve_or_void(app: TestApp) {
        let invoice = new_invoice(&app, "roles@example.com").await;
        let reference = pay_with_pesapal(&app, &invoice).await;
        let token = signed_in(&app, STAFF, StaffRole::Staff).await;
        for action in ["refund", "resolve"] {
            let path = format!("/admin/payments/{reference}/{action}");
            assert_eq!(get(&app, &path).await.status, 403, "{path}");
            let posted = post(&app, &path, &[("csrf_token", &token), ("amount", "1"), ("reason", "x"), ("note", "x"), ("decision", "failed")]).await;
            assert_eq!(posted.status, 403, "{path}");
        }
        let void = format!("/admin/invoices/{invoice}/void");
        assert_eq!(get(&app, &void).await.status, 403);
        assert_eq!(post(&app, &void, &[("csrf_token", &token)]).await.status, 403);
        assert!(refund_rows(&app, &reference).is_empty());
        assert_eq!(app.invoice(&invoice).await["status"], "paid");
        // The recheck page is for staff too (a completed payment: nothing to ask, 409 on POST).
        let recheck = format!("/admin/payments/{reference}/recheck");
        assert_eq!(get(&app, &recheck).await.status, 200);
        assert_eq!(post(&app, &recheck, &[("csrf_token", &token)]).await.status, 409);
        // No session at all: to the sign-in form.
        app.client.post(format!("{}/admin/logout", app.address)).form(&[("csrf_token", &token)]).send().await.unwrap();
        let anonymous = get(&app, &recheck).await;
        assert_eq!(anonymous.status, 303);
    }

    async fn recheck_asks_the_gateway_and_settles_as_reconcile_would(app: TestApp) {
        app.sim.update_config(|c| c.delivery_attempts = 0);
        let token = signed_in(&app, STAFF, StaffRole::Staff).await;
        let invoice = new_invoice(&app, "recheck@example.com").await;
        let reference = start(&app, &invoice, json!({"gateway": "pesapal"})).await;
        let tracking = attempt(&app, &reference).gateway_reference.unwrap();
        // Paid at Pesapal, but no IPN arrives.
        app.sim.complete_pesapal_order(&tracking).unwrap();
        assert_eq!(app.invoice(&invoice).await["status"], "pending");
        let path = format!("/admin/payments/{reference}/recheck");
        assert_eq!(post(&app, &path, &[("csrf_token", "forged")]).await.status, 403);
        let done = post(&app, &path, &[("csrf_token", &token)]).await;
        see_invoice(&done, &invoice);
        assert_eq!(app.invoice(&invoice).await["status"], "paid");
        assert_eq!(attempt(&app, &reference).status, AttemptStatus::Completed);
        assert_eq!(get(&app, "/admin/payments/nope/recheck").await.status, 404);
        // The audit log (read by an admin) has it.
        let admin = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let other = TestApp { client: admin, ..app };
        signed_in(&other, ADMIN, StaffRole::Admin).await;
        let audit = audit_page(&other).await;
        assert!(audit.contains("payment.recheck") && audit.contains("settled"), "{audit}");
    }

    async fn refunding_a_pesapal_payment_in_full_refunds_the_invoice(app: TestApp) {
        let token = signed_in(&app, ADMIN, StaffRole::Admin).await;
        let invoice = new_invoice(&app, "refund@example.com").await;
        let reference = pay_with_pesapal(&app, &invoice).await;
        let path = format!("/admin/payments/{reference}/refund");
        let page = get(&app, &path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("value=\"500000.00\""), "{}", page.body);
        // Above what was paid: the form again, 422, nothing sent.
        let above = post(&app, &path, &[("csrf_token", &token), ("amount", "500000.01"), ("reason", "asked")]).await;
        assert_eq!(above.status, 422, "{}", above.body);
        assert!(above.body.contains("at most 500000.00 TZS"), "{}", above.body);
        // Hostile text typed into the form comes back escaped.
        let hostile = post(&app, &path, &[("csrf_token", &token), ("amount", "<b>x</b>"), ("reason", "<script>alert(1)</script>")]).await;
        assert_eq!(hostile.status, 422);
        assert!(!hostile.body.contains("<script>alert(1)") && !hostile.body.contains("<b>x</b>"), "{}", hostile.body);
        assert!(hostile.body.contains("&#60;script&#62;"), "{}", hostile.body);
        let missing = post(&app, &path, &[("csrf_token", &token), ("amount", "100.00"), ("reason", " ")]).await;
        assert_eq!(missing.status, 422);
        assert_eq!(app.sim.calls(wetech_gateway_sim::Endpoint::PesapalRefund), 0);
        assert_eq!(post(&app, &path, &[("amount", "100.00"), ("reason", "x")]).await.status, 403);

        let done = post(&app, &path, &[("csrf_token", &token), ("amount", "500000.00"), ("reason", "customer cancelled")]).await;
        see_invoice(&done, &invoice);
        assert_eq!(app.invoice(&invoice).await["status"], "refunded");
        let rows = refund_rows(&app, &reference);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].state, rows[0].amount_minor), (RefundState::Requested, 50_000_000));
        assert_eq!(rows[0].gateway_answer.as_deref(), Some("Refund request successfully"));
        let order = app.sim.pesapal_orders().into_iter().find(|o| o.merchant_reference == reference).unwrap();
        assert_eq!(order.refund_requested.map(|a| a.minor()), Some(50_000_000));
        // Nothing left to refund.
        let again = post(&app, &path, &[("csrf_token", &token), ("amount", "1.00"), ("reason", "again")]).await;
        assert_eq!(again.status, 422);
        assert_eq!(app.sim.calls(wetech_gateway_sim::Endpoint::PesapalRefund), 1);
        let audit = audit_page(&app).await;
        assert!(audit.contains("payment.refund") && audit.contains("customer cancelled"), "{audit}");
    }

    async fn a_partial_refund_leaves_the_invoice_paid_and_a_refusal_is_recorded(app: TestApp) {
        let token = signed_in(&app, ADMIN, StaffRole::Admin).await;
        let invoice = new_invoice(&app, "partial@example.com").await;
        let reference = pay_with_pesapal(&app, &invoice).await;
        let path = format!("/admin/payments/{reference}/refund");
        // A card payment may be refunded in part: the invoice stays paid, the refund listed.
        let part = post(&app, &path, &[("csrf_token", &token), ("amount", "1000.00"), ("reason", "part")]).await;
        see_invoice(&part, &invoice);
        assert_eq!(app.invoice(&invoice).await["status"], "paid");
        let page = get(&app, &path).await;
        assert!(page.body.contains("TZS 1,000.00") && page.body.contains("value=\"499000.00\""), "{}", page.body);
        // One refund per payment: a second one is not even sent.
        let second = post(&app, &path, &[("csrf_token", &token), ("amount", "1000.00"), ("reason", "more")]).await;
        assert_eq!(second.status, 409, "{}", second.body);
        assert_eq!(app.sim.calls(wetech_gateway_sim::Endpoint::PesapalRefund), 1);

        // A mobile-money payment can only be refunded in full: Pesapal says no, and that is kept.
        app.sim.update_config(|c| c.pesapal_payment_method = "Mpesa".to_owned());
        let invoice = new_invoice(&app, "partial-mm@example.com").await;
        let reference = pay_with_pesapal(&app, &invoice).await;
        let path = format!("/admin/payments/{reference}/refund");
        let refused = post(&app, &path, &[("csrf_token", &token), ("amount", "1000.00"), ("reason", "part")]).await;
        assert_eq!(refused.status, 502, "{}", refused.body);
        assert!(refused.body.contains("Pesapal refused the refund"), "{}", refused.body);
        assert_eq!(app.invoice(&invoice).await["status"], "paid");
        let rows = refund_rows(&app, &reference);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].state, RefundState::Refused);
        assert!(rows[0].gateway_answer.as_deref().unwrap().contains("in full"), "{rows:?}");
    }

    async fn a_paid_twice_payment_is_refunded_and_its_review_ends(app: TestApp) {
        let token = signed_in(&app, ADMIN, StaffRole::Admin).await;
        let (invoice, pesapal, azampay) = paid_twice(&app, "twice@example.com").await;
        // Resolving it as completed would pay the invoice twice: refused, refund instead.
        let resolve = format!("/admin/payments/{azampay}/resolve");
        let refused = post(&app, &resolve, &[("csrf_token", &token), ("decision", "completed"), ("note", "paid twice")]).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
        assert!(refused.body.contains("refund it instead"), "{}", refused.body);
        // A payment not under review cannot be resolved.
        let not_review = post(&app, &format!("/admin/payments/{pesapal}/resolve"), &[("csrf_token", &token), ("decision", "failed"), ("note", "x")]).await;
        assert_eq!(not_review.status, 409);
        let refund = format!("/admin/payments/{azampay}/refund");
        let page = get(&app, &refund).await;
        assert!(page.body.contains("AzamPay has no refund call"), "{}", page.body);
        // AzamPay: the reference of the refund made outside is required.
        let no_reference = post(&app, &refund, &[("csrf_token", &token), ("amount", "500000.00"), ("reason", "paid twice")]).await;
        assert_eq!(no_reference.status, 422, "{}", no_reference.body);
        let done = post(&app, &refund, &[("csrf_token", &token), ("amount", "500000.00"), ("reason", "paid twice"), ("external_reference", "AZ-REF-77")]).await;
        see_invoice(&done, &invoice);
        assert_eq!(attempt(&app, &azampay).status, AttemptStatus::Failed, "the review ended");
        assert_eq!(app.invoice(&invoice).await["status"], "paid", "paid by the other payment");
        let rows = refund_rows(&app, &azampay);
        assert_eq!((rows[0].state, rows[0].external_reference.as_deref()), (RefundState::Recorded, Some("AZ-REF-77")));
        assert!(app.sim.pesapal_orders().iter().all(|o| o.refund_requested.is_none()));
        let audit = audit_page(&app).await;
        assert!(audit.contains("payment.refund") && audit.contains("AZ-REF-77"), "{audit}");
    }

    async fn resolving_a_review_as_failed_keeps_the_note_escaped(app: TestApp) {
        let token = signed_in(&app, ADMIN, StaffRole::Admin).await;
        let (invoice, _, azampay) = paid_twice(&app, "note@example.com").await;
        let resolve = format!("/admin/payments/{azampay}/resolve");
        let page = get(&app, &resolve).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("name=\"decision\""), "{}", page.body);
        let empty = post(&app, &resolve, &[("csrf_token", &token), ("decision", "failed"), ("note", "")]).await;
        assert_eq!(empty.status, 422, "a note is required");
        let bad = post(&app, &resolve, &[("csrf_token", &token), ("decision", "maybe"), ("note", "x")]).await;
        assert_eq!(bad.status, 422);
        assert_eq!(post(&app, &resolve, &[("decision", "failed"), ("note", "x")]).await.status, 403);
        let done = post(&app, &resolve, &[("csrf_token", &token), ("decision", "failed"), ("note", "<script>alert('x')</script> money returned by phone")]).await;
        see_invoice(&done, &invoice);
        assert_eq!(attempt(&app, &azampay).status, AttemptStatus::Failed);
        assert_eq!(post(&app, &resolve, &[("csrf_token", &token), ("decision", "failed"), ("note", "again")]).await.status, 409);
        let audit = audit_page(&app).await;
        assert!(audit.contains("payment.resolve"), "{audit}");
        assert!(!audit.contains("<script>alert"), "{audit}");
        assert!(audit.contains("&#60;script&#62;"), "{audit}");
        assert_eq!(get(&app, "/admin/payments/nope/resolve").await.status, 404);
        assert_eq!(get(&app, "/admin/payments/nope/refund").await.status, 404);
    }
    async fn the_catalogue_editor_follows_the_ops_rules_and_is_audited(app: TestApp) {
        let staff = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let token = signed_in(&app, ADMIN, StaffRole::Admin).await;
        let page = get(&app, "/admin/catalog").await;
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_private("catalogue");
        assert!(page.body.contains("WEB-BASIC") && page.body.contains("value=\"500000.00\""), "{}", page.body);
        let set = |fields: &'static [(&'static str, &'static str)]| {
            let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
            form.extend_from_slice(fields);
            form
        };
        // Edit a price.
        let done = post(&app, "/admin/catalog", &set(&[("code", "WEB-BASIC"), ("name", "Business website"), ("price", "550000.00"), ("currency", "TZS")])).await;
        assert_eq!((done.status, done.location.as_deref()), (303, Some("/admin/catalog")), "{}", done.body);
        let services: Value = app.get("/api/v1/services").await.json().await.unwrap();
        assert!(services.as_array().unwrap().iter().any(|s| s["code"] == "WEB-BASIC" && s["price"] == "550000.00"), "{services}");
        // The ops rules: a zero price, a bad code, a currency no enabled gateway takes.
        for bad in [
            &[("code", "WEB-BASIC"), ("name", "W"), ("price", "0"), ("currency", "TZS")][..],
            &[("code", "bad code!"), ("name", "W"), ("price", "1.00"), ("currency", "TZS")][..],
            &[("code", "NEW-ONE"), ("name", "W"), ("price", "1.00"), ("currency", "EUR")][..],
            &[("code", "NEW-ONE"), ("name", ""), ("price", "1.00"), ("currency", "TZS")][..],
        ] {
            let refused = post(&app, "/admin/catalog", &set(bad)).await;
            assert_eq!(refused.status, 422, "{bad:?}: {}", refused.body);
        }
        // Add, with hostile text escaped; then stop offering it.
        let added = post(&app, "/admin/catalog", &set(&[("code", "SEO"), ("name", "<img src=x onerror=alert(1)> SEO"), ("price", "90000"), ("currency", "TZS")])).await;
        assert_eq!(added.status, 303, "{}", added.body);
        let page = get(&app, "/admin/catalog").await;
        assert!(!page.body.contains("<img src=x") && page.body.contains("&#60;img src=x"), "{}", page.body);
        let off = post(&app, "/admin/catalog", &set(&[("code", "SEO"), ("disable", "1")])).await;
        assert_eq!(off.status, 303);
        let services: Value = app.get("/api/v1/services").await.json().await.unwrap();
        assert!(services.as_array().unwrap().iter().all(|s| s["code"] != "SEO"));
        assert_eq!(post(&app, "/admin/catalog", &[("code", "SEO"), ("disable", "1")]).await.status, 403);
        let audit = audit_page(&app).await;
        assert!(audit.contains("catalog.set") && audit.contains("catalog.disable") && audit.contains("service:WEB-BASIC"), "{audit}");
        assert!(audit.contains("500000.00") && audit.contains("550000.00"), "before and after: {audit}");
        // Staff may not edit it.
        let other = TestApp { client: staff, ..app };
        let staff_token = signed_in(&other, STAFF, StaffRole::Staff).await;
        assert_eq!(get(&other, "/admin/catalog").await.status, 403);
        assert_eq!(post(&other, "/admin/catalog", &[("csrf_token", &staff_token), ("code", "SEO"), ("disable", "1")]).await.status, 403);
    }
}
