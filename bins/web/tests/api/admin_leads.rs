//! The back office's leads pages through the real server on both backends: the list (search,
//! status filter, pages that keep the filters), one lead, a status change with its note and
//! history, escaping, the private headers, and hostile paths and query strings.

use serde_json::json;
use wetech_domain::StaffRole;

use crate::admin::{PASSWORD, add, get, post, sign_in};
use crate::app_tests;
use crate::helpers::TestApp;

/// A name no page may show as markup.
pub(crate) const HOSTILE: &str = "<script>alert(1)</script> O'Hara & Sons";

/// Submits a lead through the API; returns its invoice's public id.
pub(crate) async fn lead(
    app: &TestApp,
    name: &str,
    email: &str,
    phone: &str,
    company: &str,
) -> String {
    let resp = app
        .post_json(
            "/api/v1/leads",
            &json!({
                "name": name,
                "email": email,
                "phone": phone,
                "company": company,
                "service": "WEB-BASIC",
                "message": format!("Message from {name}"),
            }),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let receipt: serde_json::Value = resp.json().await.unwrap();
    receipt["invoice"]["id"].as_str().unwrap().to_owned()
}

/// Signs in a `staff` account.
pub(crate) async fn staff(app: &TestApp) {
    add(app, "sales@example.com", StaffRole::Staff);
    let signed = sign_in(app, "sales@example.com", PASSWORD, "").await;
    assert_eq!(signed.status, 303);
}

/// The id of the lead of the first list line (the newest).
fn first_lead_id(body: &str) -> i64 {
    let marker = "href=\"/admin/leads/";
    let start = body.find(marker).expect("a lead link") + marker.len();
    let end = body[start..].find('"').unwrap() + start;
    body[start..end].parse().unwrap()
}

app_tests! {
    async fn the_leads_list_needs_a_session_and_is_private(app: TestApp) {
        let page = get(&app, "/admin/leads?q=a").await;
        assert_eq!((page.status, page.location.as_deref()), (303, Some("/admin/login?next=%2Fadmin%2Fleads%3Fq%3Da")));
        staff(&app).await;
        let page = get(&app, "/admin/leads").await;
        assert_eq!(page.status, 200);
        page.assert_private("leads list");
        assert!(page.body.contains("/static/site.css") && !page.body.contains("<script") && !page.body.contains("style="), "{}", page.body);
    }

    async fn the_list_is_newest_first_and_shows_hostile_text_escaped(app: TestApp) {
        lead(&app, "Older Client", "older@example.com", "0754000001", "Older Ltd").await;
        lead(&app, HOSTILE, "hostile@example.com", "0754000002", "<b>Bold</b> Co").await;
        staff(&app).await;
        let page = get(&app, "/admin/leads").await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("<script>alert") && !page.body.contains("<b>Bold"), "{}", page.body);
        assert!(page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{}", page.body);
        let hostile = page.body.find("hostile@example.com").unwrap();
        let older = page.body.find("older@example.com").unwrap();
        assert!(hostile < older, "newest first");
        assert!(page.body.contains("data-label=\"Phone\""), "rows are labelled for phones");
    }

    async fn search_finds_part_of_a_name_email_phone_company_or_invoice_number(app: TestApp) {
        let asha = lead(&app, "Asha Mwakyusa", "asha@example.com", "0754123456", "Mwakyusa Traders").await;
        lead(&app, "Baraka Juma", "baraka@example.org", "0713999888", "Juma 100% Pure").await;
        staff(&app).await;
        let number = {
            let inv = app.invoice(&asha).await;
            inv["number"].as_str().unwrap().to_owned()
        };
        for (q, want, not) in [
            ("mwaKYUSA", "asha@example.com", "baraka@example.org"),
            ("EXAMPLE.ORG", "baraka@example.org", "asha@example.com"),
            ("3999888", "baraka@example.org", "asha@example.com"),
            ("traders", "asha@example.com", "baraka@example.org"),
            ("100%", "baraka@example.org", "asha@example.com"),
            (number.as_str(), "asha@example.com", "baraka@example.org"),
        ] {
            let page = get(&app, &format!("/admin/leads?q={}", urlencode(q))).await;
            assert_eq!(page.status, 200, "{q}");
            assert!(page.body.contains(want) && !page.body.contains(not), "{q}: {}", page.body);
        }
        // `%` and `_` are literal: they match only themselves, not everything.
        for q in ["%", "_", "\\"] {
            let page = get(&app, &format!("/admin/leads?q={}", urlencode(q))).await;
            assert!(!page.body.contains("asha@example.com"), "{q} matched a lead without it");
        }
        let none = get(&app, "/admin/leads?q=nobody-here").await;
        assert!(none.body.contains("No leads match."));
    }

    async fn pages_of_fifty_keep_the_filters_in_their_links(app: TestApp) {
        for i in 0..51 {
            lead(&app, &format!("Client {i}"), &format!("c{i}@example.com"), "0754123456", "Same Co").await;
        }
        staff(&app).await;
        let first = get(&app, "/admin/leads?q=same&status=new&utm=ignored").await;
        assert_eq!(first.status, 200);
        assert_eq!(first.body.matches("href=\"/admin/leads/").count(), 50);
        assert!(first.body.contains("href=\"/admin/leads?q=same&#38;status=new&#38;page=2\""), "{}", first.body);
        assert!(!first.body.contains("rel=\"prev\""));
        let second = get(&app, "/admin/leads?q=same&status=new&page=2").await;
        assert_eq!(second.body.matches("href=\"/admin/leads/").count(), 1);
        assert!(second.body.contains("c0@example.com"), "the oldest is last");
        assert!(second.body.contains("href=\"/admin/leads?q=same&#38;status=new\" rel=\"prev\""), "{}", second.body);
        assert!(!second.body.contains("rel=\"next\""));
    }

    async fn the_status_filter_takes_the_five_statuses_only(app: TestApp) {
        lead(&app, "Asha Mwakyusa", "asha@example.com", "0754123456", "").await;
        staff(&app).await;
        for status in ["new", "contacted", "qualified", "won", "lost"] {
            assert_eq!(get(&app, &format!("/admin/leads?status={status}")).await.status, 200, "{status}");
        }
        assert!(get(&app, "/admin/leads?status=new").await.body.contains("asha@example.com"));
        assert!(!get(&app, "/admin/leads?status=won").await.body.contains("asha@example.com"));
        let bad = get(&app, "/admin/leads?status=paid").await;
        assert_eq!(bad.status, 400);
        bad.assert_private("400 page");
    }

    async fn hostile_query_strings_are_refused_or_ignored_never_a_500(app: TestApp) {
        staff(&app).await;
        let long = "x".repeat(101);
        for (query, want) in [
            (format!("q={long}"), 400),
            ("q=%00abc".to_owned(), 400),
            ("page=0".to_owned(), 400),
            ("page=-1".to_owned(), 400),
            ("page=abc".to_owned(), 400),
            ("page=99999999999999999999".to_owned(), 400),
            ("page=1000001".to_owned(), 400),
            ("page=1000000".to_owned(), 200),
            ("q=%ZZ&&&=".to_owned(), 200),
            ("unknown=1".to_owned(), 200),
            (format!("q={}", "y".repeat(100)), 200),
        ] {
            let page = get(&app, &format!("/admin/leads?{query}")).await;
            assert_eq!(page.status, want, "{query}: {}", page.body);
        }
    }

    async fn one_lead_shows_its_client_message_invoice_and_escapes_them(app: TestApp) {
        let invoice = lead(&app, HOSTILE, "hostile@example.com", "0754000002", "<i>Co</i>").await;
        staff(&app).await;
        let id = first_lead_id(&get(&app, "/admin/leads").await.body);
        let page = get(&app, &format!("/admin/leads/{id}")).await;
        assert_eq!(page.status, 200);
        page.assert_private("lead page");
        assert!(!page.body.contains("<script>alert") && !page.body.contains("<i>Co"), "{}", page.body);
        assert!(page.body.contains("Message from &#60;script&#62;"), "{}", page.body);
        assert!(page.body.contains(&format!("href=\"/admin/invoices/{invoice}\"")), "{}", page.body);
        assert!(page.body.contains("href=\"/admin/clients/"), "{}", page.body);
        assert!(page.body.contains("action=\"/admin/leads/") && page.body.contains("name=\"csrf_token\""));
    }

    async fn a_bad_or_unknown_lead_id_is_the_404_page(app: TestApp) {
        staff(&app).await;
        for path in ["/admin/leads/999999", "/admin/leads/abc", "/admin/leads/-1", "/admin/leads/0", "/admin/leads/1e3", "/admin/leads/99999999999999999999999"] {
            let page = get(&app, path).await;
            assert_eq!(page.status, 404, "{path}");
            page.assert_private(path);
        }
    }

    async fn staff_change_a_status_with_a_note_and_see_the_history(app: TestApp) {
        lead(&app, "Asha Mwakyusa", "asha@example.com", "0754123456", "").await;
        staff(&app).await;
        let id = first_lead_id(&get(&app, "/admin/leads").await.body);
        let page = get(&app, &format!("/admin/leads/{id}")).await;
        let token = page.csrf_token();
        let path = format!("/admin/leads/{id}/status");
        let done = post(&app, &path, &[("csrf_token", &token), ("status", "contacted"), ("note", "called, <b>keen</b>")]).await;
        assert_eq!((done.status, done.location.as_deref()), (303, Some(format!("/admin/leads/{id}").as_str())));
        done.assert_private("the status change's redirect");
        let page = get(&app, &format!("/admin/leads/{id}")).await;
        assert!(page.body.contains("called, &#60;b&#62;keen&#60;/b&#62;"), "{}", page.body);
        assert!(page.body.contains("sales@example.com"), "who");
        assert!(page.body.contains("<td data-label=\"From\">new</td><td data-label=\"To\">contacted</td>"), "{}", page.body);
        assert!(get(&app, "/admin/leads?status=contacted").await.body.contains("asha@example.com"));
        let audit: i64 = {
            use diesel::RunQueryDsl as _;
            #[derive(diesel::QueryableByName)]
            struct N { #[diesel(sql_type = diesel::sql_types::BigInt)] n: i64 }
            diesel::sql_query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'lead.status'")
                .get_result::<N>(&mut **app.db.conn()).unwrap().n
        };
        assert_eq!(audit, 1);
    }

    async fn a_status_change_is_refused_without_the_token_or_with_bad_fields(app: TestApp) {
        lead(&app, "Asha Mwakyusa", "asha@example.com", "0754123456", "").await;
        staff(&app).await;
        let id = first_lead_id(&get(&app, "/admin/leads").await.body);
        let token = get(&app, &format!("/admin/leads/{id}")).await.csrf_token();
        let path = format!("/admin/leads/{id}/status");
        assert_eq!(post(&app, &path, &[("status", "won")]).await.status, 403);
        assert_eq!(post(&app, &path, &[("csrf_token", "forged"), ("status", "won")]).await.status, 403);
        let long = "n".repeat(2001);
        for form in [
            vec![("csrf_token", token.as_str()), ("status", "paid")],
            vec![("csrf_token", token.as_str())],
            vec![("csrf_token", token.as_str()), ("status", "won"), ("note", long.as_str())],
        ] {
            let refused = post(&app, &path, &form).await;
            assert!((400..500).contains(&refused.status), "{form:?}: {}", refused.status);
        }
        let fine = "n".repeat(2000);
        assert_eq!(post(&app, &path, &[("csrf_token", &token), ("status", "won"), ("note", &fine)]).await.status, 303);
        assert_eq!(post(&app, "/admin/leads/999999/status", &[("csrf_token", &token), ("status", "won")]).await.status, 404);
        assert_eq!(post(&app, "/admin/leads/abc/status", &[("csrf_token", &token), ("status", "won")]).await.status, 404);
    }
}

/// `s` as a query-string value.
pub(crate) fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap()[2..].to_owned()
}
