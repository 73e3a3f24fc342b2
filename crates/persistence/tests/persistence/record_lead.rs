//! `leads::record_with_invoice` (one statement on PostgreSQL) against the step-by-step calls,
//! and reserving several invoice numbers at once.

use std::num::NonZeroU32;

use chrono::NaiveDate;
use wetech_domain::InvoiceStatus;
use wetech_persistence::clients::NewClient;
use wetech_persistence::leads::{LeadWithInvoice, record_many_with_invoice, record_with_invoice};
use wetech_persistence::{DbConnection, PersistenceError, clients, invoices, leads, services};
use wetech_test_db::TestDb;

use crate::support::count;

fn at() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 29)
        .unwrap()
        .and_hms_nano_opt(5, 30, 1, 123_456_789)
        .unwrap()
}

fn lead<'a>(
    service: &'a services::ServiceRow,
    client: NewClient<'a>,
    message: Option<&'a str>,
    number: &'a str,
    public_id: &'a str,
) -> LeadWithInvoice<'a> {
    LeadWithInvoice {
        client,
        service_id: service.id,
        message,
        language: "sw",
        public_id,
        number,
        service_code: service.code.as_str(),
        service_name: &service.name,
        amount_minor: service.price_minor,
        currency: service.currency.as_str(),
        at: at(),
    }
}

fn client<'a>(email: &'a str, name: &'a str, company: Option<&'a str>) -> NewClient<'a> {
    NewClient {
        email,
        name,
        phone: "+255712345678",
        company,
    }
}

fn record(
    conn: &mut DbConnection,
    client: NewClient<'_>,
    message: Option<&str>,
    number: &str,
    public_id: &str,
) -> Result<leads::RecordedLead, PersistenceError> {
    let service = services::get_active_by_code(conn, "WEB-PRO")
        .unwrap()
        .unwrap();
    record_with_invoice(
        conn,
        &LeadWithInvoice {
            client,
            service_id: service.id,
            message,
            language: "sw",
            public_id,
            number,
            service_code: service.code.as_str(),
            service_name: &service.name,
            amount_minor: service.price_minor,
            currency: service.currency.as_str(),
            at: at(),
        },
    )
}

wetech_test_db::backend_tests! {
    fn records_client_lead_and_unpaid_invoice(db: &TestDb) {
        let mut conn = db.conn();
        let public_id = wetech_domain::PublicId::generate().to_string();
        let hostile = "'; DROP TABLE invoices; -- <script>alert(1)</script> Habari, Shilingi ‘elfu’ مرحبا";
        let rec = record(
            &mut conn,
            NewClient { email: "Neema.Mushi@example.co.tz", name: "Neema Mushi", phone: "+255754123456", company: Some("Mushi & Co") },
            Some(hostile),
            "INV-2026-000007",
            &public_id,
        )
        .unwrap();
        let client = clients::find_by_id(&mut conn, rec.client_id).unwrap().unwrap();
        assert_eq!(client.email, "Neema.Mushi@example.co.tz");
        assert_eq!(client.email_normalized, "neema.mushi@example.co.tz");
        assert_eq!(client.company.as_deref(), Some("Mushi & Co"));
        let lead = leads::find_by_id(&mut conn, rec.lead_id).unwrap().unwrap();
        assert_eq!((lead.client_id, lead.message.as_deref()), (rec.client_id, Some(hostile)));
        assert_eq!(lead.language, "sw", "the lead's language is kept");
        let invoice = invoices::find_by_id(&mut conn, rec.invoice_id).unwrap().unwrap();
        assert_eq!(invoice.public_id.as_str(), public_id);
        assert_eq!(invoice.number, "INV-2026-000007");
        assert_eq!((invoice.client_id, invoice.lead_id), (rec.client_id, Some(rec.lead_id)));
        assert_eq!(invoice.status, InvoiceStatus::Unpaid);
        assert_eq!((invoice.amount_minor, invoice.currency.as_str()), (150_000_000, "TZS"));
        assert_eq!(invoice.service_code, "WEB-PRO");
        // Stored with microsecond precision on both backends.
        let micros = wetech_persistence::truncate_to_micros(at());
        assert_eq!((invoice.issued_at, lead.created_at, client.updated_at), (micros, micros, micros));
    }

    fn existing_client_is_updated_and_a_missing_company_kept(db: &TestDb) {
        let mut conn = db.conn();
        let first = record(
            &mut conn,
            NewClient { email: "amina@example.com", name: "Amina", phone: "+255712345678", company: Some("Juma Ltd") },
            None,
            "INV-2026-000001",
            wetech_domain::PublicId::generate().as_str(),
        )
        .unwrap();
        let second = record(
            &mut conn,
            NewClient { email: "AMINA@example.com", name: "Amina Juma", phone: "+255787654321", company: None },
            Some("again"),
            "INV-2026-000002",
            wetech_domain::PublicId::generate().as_str(),
        )
        .unwrap();
        assert_eq!(first.client_id, second.client_id);
        assert_ne!(first.lead_id, second.lead_id);
        let client = clients::find_by_id(&mut conn, first.client_id).unwrap().unwrap();
        assert_eq!(
            (client.email.as_str(), client.name.as_str(), client.phone.as_str(), client.company.as_deref()),
            ("AMINA@example.com", "Amina Juma", "+255787654321", Some("Juma Ltd"))
        );
        let third = record(
            &mut conn,
            NewClient { email: "amina@example.com", name: "Amina Juma", phone: "+255787654321", company: Some("New Co") },
            None,
            "INV-2026-000003",
            wetech_domain::PublicId::generate().as_str(),
        )
        .unwrap();
        let client = clients::find_by_id(&mut conn, third.client_id).unwrap().unwrap();
        assert_eq!(client.company.as_deref(), Some("New Co"));
        assert_eq!(count(&mut conn, "clients"), 1);
        assert_eq!(count(&mut conn, "invoices"), 3);
    }

    fn taken_invoice_number_is_a_conflict_and_writes_nothing(db: &TestDb) {
        let uow = db.unit_of_work();
        uow.write(|tx| {
            record(
                tx,
                NewClient { email: "a@example.com", name: "A", phone: "+255712345678", company: None },
                None,
                "INV-2026-000001",
                wetech_domain::PublicId::generate().as_str(),
            )
        })
        .unwrap();
        let err = uow
            .write(|tx| {
                record(
                    tx,
                    NewClient { email: "b@example.com", name: "B", phone: "+255712345679", company: None },
                    None,
                    "INV-2026-000001",
                    wetech_domain::PublicId::generate().as_str(),
                )
            })
            .unwrap_err();
        assert!(err.is_conflict(), "{err:?}");
        let mut conn = db.conn();
        // The failed transaction left neither its client nor its lead behind.
        assert_eq!(count(&mut conn, "clients"), 1);
        assert_eq!(count(&mut conn, "leads"), 1);
        assert_eq!(count(&mut conn, "invoices"), 1);
    }

    fn reserving_numbers_takes_a_range_per_year(db: &TestDb) {
        let mut conn = db.conn();
        let n = |k: u32| NonZeroU32::new(k).unwrap();
        assert_eq!(invoices::reserve_invoice_sequences(&mut conn, 2026, n(5)).unwrap(), 1..=5);
        assert_eq!(invoices::next_invoice_sequence(&mut conn, 2026).unwrap(), 6);
        assert_eq!(invoices::reserve_invoice_sequences(&mut conn, 2026, n(32)).unwrap(), 7..=38);
        assert_eq!(invoices::reserve_invoice_sequences(&mut conn, 2027, n(2)).unwrap(), 1..=2);
        assert_eq!(invoices::next_invoice_sequence(&mut conn, 2026).unwrap(), 39);
    }

    fn many_leads_in_one_call_match_one_call_each(db: &TestDb) {
        let mut conn = db.conn();
        let web = services::get_active_by_code(&mut conn, "WEB-BASIC").unwrap().unwrap();
        let hosting = services::get_active_by_code(&mut conn, "HOSTING").unwrap().unwrap();
        // An existing client whose company a later lead without one must keep.
        let old = record(&mut conn, client("old@example.com", "Old", Some("Old Co")), None, "INV-2026-000001", wetech_domain::PublicId::generate().as_str()).unwrap();
        let ids: Vec<String> = (0..4).map(|_| wetech_domain::PublicId::generate().to_string()).collect();
        let batch = [
            lead(&web, client("Zawadi@example.com", "Zawadi", None), Some("<script>alert(1)</script>"), "INV-2026-000002", &ids[0]),
            lead(&hosting, client("OLD@example.com", "Old Renamed", None), None, "INV-2026-000003", &ids[1]),
            lead(&web, client("baraka@example.com", "Baraka Ñandú", Some("Ñandú Ltd")), Some("مرحبا"), "INV-2026-000004", &ids[2]),
            lead(&hosting, client("asha@example.com", "Asha", None), Some(""), "INV-2026-000005", &ids[3]),
        ];
        let recorded = record_many_with_invoice(&mut conn, &batch).unwrap();
        assert_eq!(recorded.len(), 4);
        assert_eq!(recorded[1].client_id, old.client_id);
        for (rec, l) in recorded.iter().zip(&batch) {
            let invoice = invoices::find_by_id(&mut conn, rec.invoice_id).unwrap().unwrap();
            assert_eq!((invoice.public_id.as_str(), invoice.number.as_str()), (l.public_id, l.number));
            assert_eq!((invoice.client_id, invoice.lead_id), (rec.client_id, Some(rec.lead_id)));
            assert_eq!((invoice.service_code.as_str(), invoice.amount_minor), (l.service_code, l.amount_minor));
            let stored_lead = leads::find_by_id(&mut conn, rec.lead_id).unwrap().unwrap();
            assert_eq!((stored_lead.client_id, stored_lead.service_id, stored_lead.message.as_deref()), (rec.client_id, l.service_id, l.message));
            assert_eq!(stored_lead.language, l.language, "the one-statement path keeps the language");
            let c = clients::find_by_id(&mut conn, rec.client_id).unwrap().unwrap();
            assert_eq!((c.email.as_str(), c.name.as_str()), (l.client.email, l.client.name));
        }
        let renamed = clients::find_by_id(&mut conn, old.client_id).unwrap().unwrap();
        assert_eq!(renamed.company.as_deref(), Some("Old Co"));
        assert_eq!(count(&mut conn, "clients"), 4);
        assert_eq!(count(&mut conn, "leads"), 5);
    }

    fn many_leads_sharing_an_address_update_in_order(db: &TestDb) {
        let mut conn = db.conn();
        let web = services::get_active_by_code(&mut conn, "WEB-BASIC").unwrap().unwrap();
        let ids: Vec<String> = (0..3).map(|_| wetech_domain::PublicId::generate().to_string()).collect();
        let batch = [
            lead(&web, client("neema@example.com", "Neema", Some("First Co")), None, "INV-2026-000001", &ids[0]),
            lead(&web, client("other@example.com", "Other", None), None, "INV-2026-000002", &ids[1]),
            lead(&web, client("NEEMA@example.com", "Neema Mushi", None), None, "INV-2026-000003", &ids[2]),
        ];
        let recorded = record_many_with_invoice(&mut conn, &batch).unwrap();
        assert_eq!(recorded[0].client_id, recorded[2].client_id);
        assert_ne!(recorded[0].lead_id, recorded[2].lead_id);
        let c = clients::find_by_id(&mut conn, recorded[0].client_id).unwrap().unwrap();
        // As if submitted one after the other: the last spelling and name, the earlier company.
        assert_eq!(
            (c.email.as_str(), c.name.as_str(), c.company.as_deref()),
            ("NEEMA@example.com", "Neema Mushi", Some("First Co"))
        );
        assert_eq!(count(&mut conn, "invoices"), 3);
    }

    fn many_leads_with_a_taken_number_keep_none(db: &TestDb) {
        let uow = db.unit_of_work();
        uow.write(|tx| record(tx, client("a@example.com", "A", None), None, "INV-2026-000002", wetech_domain::PublicId::generate().as_str())).unwrap();
        let err = uow
            .write(|tx| {
                let web = services::get_active_by_code(tx, "WEB-BASIC").unwrap().unwrap();
                let ids: Vec<String> = (0..3).map(|_| wetech_domain::PublicId::generate().to_string()).collect();
                let batch = [
                    lead(&web, client("b@example.com", "B", None), None, "INV-2026-000001", &ids[0]),
                    lead(&web, client("c@example.com", "C", None), None, "INV-2026-000002", &ids[1]),
                    lead(&web, client("d@example.com", "D", None), None, "INV-2026-000003", &ids[2]),
                ];
                record_many_with_invoice(tx, &batch)
            })
            .unwrap_err();
        assert!(err.is_conflict(), "{err:?}");
        let mut conn = db.conn();
        assert_eq!(count(&mut conn, "clients"), 1);
        assert_eq!(count(&mut conn, "invoices"), 1);
    }

    fn an_empty_batch_writes_nothing(db: &TestDb) {
        let mut conn = db.conn();
        assert!(record_many_with_invoice(&mut conn, &[]).unwrap().is_empty());
        assert_eq!(count(&mut conn, "leads"), 0);
    }
}
