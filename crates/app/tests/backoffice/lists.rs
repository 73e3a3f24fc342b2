//! The back office's lists, records and exports as use cases, on SQLite and PostgreSQL: pages of
//! 50 with their filters, the query-string checks, the export's chunks (every row once, newest
//! first, never more than a chunk at a time) and its audit entry, the invoice record with its
//! attempts' history and events, and the dashboard's count of attempts in review.
#![expect(clippy::unwrap_used, reason = "tests")]

use wetech_app::backoffice::lists::{page_number, search_text};
use wetech_app::backoffice::{
    Actor, EXPORT_CHUNK, Export, MAX_SEARCH_CHARS, PAGE_SIZE, StaffError,
};
use wetech_domain::{AttemptStatus, LeadSalesStatus};
use wetech_persistence::invoice_list::InvoiceFilter;
use wetech_persistence::lead_list::LeadFilter;
use wetech_test_db::TestDb;

use super::{office, sql};

const T: &str = "2026-12-01 00:00:00";

/// The public id [`seed`] gives lead `id`'s invoice.
fn pid(id: i64) -> String {
    format!("{id:A>21}A")
}

/// `n` leads of one client (`name`, `email`) with an invoice each.
fn seed(db: &TestDb, name: &str, email: &str, n: usize) {
    sql(
        db,
        &format!(
            "INSERT INTO clients (email, email_normalized, name, phone, company, created_at, updated_at) \
             VALUES ('{email}', '{email}', '{name}', '+255712345678', 'Co', '{T}', '{T}')"
        ),
    );
    sql(
        db,
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             INSERT INTO leads (client_id, service_id, created_at) \
             SELECT c.id, s.id, '{T}' FROM n, clients c, services s WHERE s.code = 'HOSTING' AND c.email = '{email}'"
        ),
    );
    sql(
        db,
        &format!(
            "INSERT INTO invoices (public_id, number, client_id, lead_id, service_code, service_name, amount_minor, currency, status, issued_at, updated_at) \
             SELECT substr('AAAAAAAAAAAAAAAAAAAAA', 1, 21 - length(CAST(l.id AS TEXT))) || CAST(l.id AS TEXT) || 'A', 'INV-2026-' || CAST(100000 + l.id AS TEXT), l.client_id, l.id, 'HOSTING', 'Hosting', 12000000, 'TZS', 'unpaid', '{T}', '{T}' \
             FROM leads l JOIN clients c ON c.id = l.client_id WHERE c.email = '{email}'"
        ),
    );
}

wetech_test_db::backend_tests! {
    fn lists_come_fifty_a_page_newest_first_with_their_filters(db: &TestDb) {
        seed(db, "Asha 50% Off", "asha@example.com", 51);
        seed(db, "Baraka", "baraka@example.org", 2);
        let office = office(db);
        let all = LeadFilter::default();
        let first = office.leads_page(&all, 1).unwrap();
        assert_eq!((first.rows.len() as i64, first.has_next), (PAGE_SIZE, true));
        assert!(first.rows.windows(2).all(|w| w[0].id > w[1].id), "newest first");
        assert_eq!(first.rows[0].client_email, "baraka@example.org");
        let second = office.leads_page(&all, 2).unwrap();
        assert_eq!((second.rows.len(), second.has_next), (3, false));
        let asha = LeadFilter { q: Some("50%"), ..LeadFilter::default() };
        assert_eq!(office.leads_page(&asha, 2).unwrap().rows.len(), 1);
        let literal = LeadFilter { q: Some("5_%"), ..LeadFilter::default() };
        assert!(office.leads_page(&literal, 1).unwrap().rows.is_empty(), "`_` is literal");
        let by_number = LeadFilter { q: Some("inv-2026-10000"), ..LeadFilter::default() };
        assert_eq!(office.leads_page(&by_number, 1).unwrap().rows.len(), 9, "ids 1 to 9");
        let won = LeadFilter { status: Some(LeadSalesStatus::Won), ..LeadFilter::default() };
        assert!(office.leads_page(&won, 1).unwrap().rows.is_empty());
        let unpaid = office.invoices_page(&InvoiceFilter { q: Some("EXAMPLE.ORG"), ..InvoiceFilter::default() }, 1).unwrap();
        assert_eq!(unpaid.rows.len(), 2);
    }

    fn an_export_reads_every_row_once_a_chunk_at_a_time(db: &TestDb) {
        let n = usize::try_from(EXPORT_CHUNK).unwrap() * 2 + 3;
        seed(db, "Asha", "asha@example.com", n);
        let office = office(db);
        let (mut before_id, mut seen, mut chunks) = (None, Vec::new(), 0);
        loop {
            let chunk = office.leads_chunk(&LeadFilter { before_id, ..LeadFilter::default() }).unwrap();
            assert!(chunk.len() as i64 <= EXPORT_CHUNK);
            let Some(last) = chunk.last() else { break };
            before_id = Some(last.id);
            seen.extend(chunk.iter().map(|r| r.id));
            chunks += 1;
        }
        assert_eq!((seen.len(), chunks), (n, 3));
        assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats");
        let invoices = office.invoices_chunk(&InvoiceFilter { before_id: Some(seen[n - 10]), ..InvoiceFilter::default() }).unwrap();
        assert_eq!(invoices.len(), 9);
    }

    fn an_export_is_an_audit_entry_with_its_filters(db: &TestDb) {
        let office = office(db);
        office.record_export(Export::Leads, Some("asha"), Some("won"), &Actor::ops()).unwrap();
        let entry = &office.audit_page(1, None).unwrap()[0];
        assert_eq!((entry.action.as_str(), entry.subject.as_deref()), ("export", Some("leads")));
        assert_eq!(entry.after.as_deref(), Some(r#"{"q":"asha","status":"won"}"#));
    }

    fn an_invoice_record_has_its_attempts_history_and_events(db: &TestDb) {
        seed(db, "Asha", "asha@example.com", 1);
        sql(db, &format!("INSERT INTO payment_attempts (invoice_id, merchant_reference, gateway, amount_minor, currency, status, review_reason, created_at, updated_at) \
                 SELECT id, 'WT1', 'pesapal', 12000000, 'TZS', 'review', 'paid twice', '{T}', '{T}' FROM invoices"));
        sql(db, &format!("INSERT INTO attempt_status_history (attempt_id, from_status, to_status, cause, at) \
                 SELECT id, 'pending', 'review', 'paid twice', '{T}' FROM payment_attempts"));
        sql(db, &format!("INSERT INTO payment_events (attempt_id, gateway, kind, dedupe_key, payload, received_at, outcome) \
                 SELECT id, 'pesapal', 'ipn', 'k', 'raw', '{T}', 'received' FROM payment_attempts"));
        let office = office(db);
        let record = office.invoice_record(&pid(1)).unwrap().unwrap();
        assert_eq!(record.attempts.len(), 1);
        let a = &record.attempts[0];
        assert_eq!((a.history.len(), a.events.len()), (1, 1));
        assert_eq!((a.history[0].from, a.history[0].to), (Some(AttemptStatus::Pending), AttemptStatus::Review));
        assert!(office.invoice_record(&pid(404)).unwrap().is_none());
        assert_eq!(office.dashboard().unwrap().attempts_in_review, 1);
        let client = office.client_record(record.client.id).unwrap().unwrap();
        assert_eq!((client.leads.len(), client.invoices.len()), (1, 1));
        assert!(office.client_record(record.client.id + 1).unwrap().is_none());
        assert_eq!(office.attempts_page(Some(AttemptStatus::Review), 1).unwrap().rows.len(), 1);
        assert!(office.attempts_page(Some(AttemptStatus::Pending), 1).unwrap().rows.is_empty());
    }
}

#[test]
fn query_strings_are_bounded() {
    assert_eq!(page_number(None).unwrap(), 1);
    assert_eq!(page_number(Some(" 7 ")).unwrap(), 7);
    for bad in ["0", "-1", "x", "1e3", "99999999999999999999", "1000001"] {
        assert!(
            matches!(page_number(Some(bad)), Err(StaffError::BadQuery("page"))),
            "{bad}"
        );
    }
    assert_eq!(search_text(Some("  ")).unwrap(), None);
    assert!(
        search_text(Some(&"é".repeat(MAX_SEARCH_CHARS)))
            .unwrap()
            .is_some(),
        "counted in characters"
    );
    assert!(search_text(Some(&"x".repeat(MAX_SEARCH_CHARS + 1))).is_err());
    assert!(search_text(Some("a\u{0}b")).is_err());
}
