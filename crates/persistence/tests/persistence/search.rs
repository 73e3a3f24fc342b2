//! The back office's search on both backends (migration `2026-12-04-000008_search_index`,
//! docs/operations.md "Back office: search"): what it finds, that the SQLite FTS5 tables follow
//! every insert, update and delete, that FTS5 query syntax typed in is plain text, and the short
//! (1–2 character) prefix search.

use diesel::RunQueryDsl as _;
use wetech_persistence::clients::NewClient;
use wetech_persistence::invoice_list::{self, InvoiceFilter};
use wetech_persistence::lead_list::{self, LeadFilter};
use wetech_persistence::{DbConnection, attempts};
use wetech_test_db::TestDb;

use crate::support::submit_lead_of;

/// The lead ids the leads list finds for `q`, newest first.
fn leads_found(conn: &mut DbConnection, q: &str) -> Vec<i64> {
    let filter = LeadFilter {
        q: Some(q),
        ..LeadFilter::default()
    };
    lead_list::page(conn, &filter, 0, 100)
        .unwrap()
        .into_iter()
        .map(|row| row.id)
        .collect()
}

/// The invoice numbers the invoices list finds for `q`, newest first.
fn invoices_found(conn: &mut DbConnection, q: &str) -> Vec<String> {
    let filter = InvoiceFilter {
        q: Some(q),
        ..InvoiceFilter::default()
    };
    invoice_list::page(conn, &filter, 0, 100)
        .unwrap()
        .into_iter()
        .map(|row| row.number)
        .collect()
}

fn client<'a>(email: &'a str, name: &'a str, phone: &'a str, company: &'a str) -> NewClient<'a> {
    NewClient {
        email,
        name,
        phone,
        company: Some(company),
    }
}

fn exec(conn: &mut DbConnection, sql: &str) {
    diesel::sql_query(sql).execute(conn).unwrap();
}

wetech_test_db::backend_tests! {
    fn the_search_finds_a_lead_by_part_of_each_column(db: &TestDb) {
        let mut conn = db.conn();
        let (_, asha, asha_invoice) = submit_lead_of(
            &mut conn,
            &client("asha.mwakyusa@example.com", "Asha Mwakyusa", "+255712345678", "Kilimanjaro Coffee"),
            "HOSTING",
        )
        .unwrap();
        let (_, baraka, _) = submit_lead_of(
            &mut conn,
            &client("baraka@shamba.co.tz", "Baraka Otieno", "+254722000111", "Shamba Ltd"),
            "HOSTING",
        )
        .unwrap();
        let asha_only = vec![asha.id];
        for q in ["akyus", "ASHA.MWA", "example.com", "Kilimanj", "coffee", "2345678"] {
            assert_eq!(leads_found(&mut conn, q), asha_only, "q = {q:?}");
        }
        // Part of a phone number, typed as dialled at home or from abroad.
        for q in ["0712", "0712 345", "+255 712", "255712", "(0712) 34-56", "00255712"] {
            assert_eq!(leads_found(&mut conn, q), asha_only, "q = {q:?}");
        }
        assert_eq!(leads_found(&mut conn, "0722"), vec![baraka.id]);
        let number = asha_invoice.number.to_string();
        assert_eq!(leads_found(&mut conn, &number), asha_only);
        assert_eq!(leads_found(&mut conn, &number.to_lowercase()), asha_only);
        assert_eq!(leads_found(&mut conn, "INV-2026"), vec![baraka.id, asha.id]);
        assert!(leads_found(&mut conn, "nobody").is_empty());
        // The invoices list: the client's columns, the number and an attempt's reference.
        assert_eq!(invoices_found(&mut conn, "mwakyusa"), vec![number.clone()]);
        assert_eq!(invoices_found(&mut conn, "0712 34"), vec![number.clone()]);
        attempts::insert(&mut conn, &attempts::NewAttempt {
            invoice_id: asha_invoice.id,
            merchant_reference: "WT-REF-QX81",
            gateway: wetech_domain::Gateway::Pesapal,
            amount_minor: asha_invoice.amount_minor,
            currency: asha_invoice.currency.as_str(),
            status: wetech_domain::AttemptStatus::Initiated,
            payer_phone: None,
            provider: None,
        })
        .unwrap();
        assert_eq!(invoices_found(&mut conn, "ref-qx8"), vec![number]);
    }

    fn the_search_follows_inserts_updates_and_deletes(db: &TestDb) {
        let mut conn = db.conn();
        let (asha_client, asha, _) = submit_lead_of(
            &mut conn,
            &client("asha@example.com", "Asha Mwakyusa", "+255712345678", "Kahawa"),
            "HOSTING",
        )
        .unwrap();
        assert_eq!(leads_found(&mut conn, "mwakyusa"), vec![asha.id]);
        // The same address again updates the client (an upsert): new name, phone and company.
        submit_lead_of(
            &mut conn,
            &client("ASHA@example.com", "Asha Kimaro", "+255688000999", "Chai"),
            "HOSTING",
        )
        .unwrap();
        assert!(leads_found(&mut conn, "mwakyusa").is_empty(), "the old name is gone");
        assert!(leads_found(&mut conn, "0712").is_empty(), "the old phone is gone");
        assert!(leads_found(&mut conn, "kahawa").is_empty(), "the old company is gone");
        assert_eq!(leads_found(&mut conn, "kimaro").len(), 2);
        assert_eq!(leads_found(&mut conn, "0688 000").len(), 2);
        assert_eq!(leads_found(&mut conn, "chai").len(), 2);
        // An invoice number changed by hand, then the rows deleted.
        exec(&mut conn, &format!("UPDATE invoices SET number = 'INV-2026-777777' WHERE lead_id = {}", asha.id));
        assert_eq!(leads_found(&mut conn, "777777"), vec![asha.id]);
        exec(&mut conn, "DELETE FROM invoices");
        assert!(leads_found(&mut conn, "777777").is_empty());
        exec(&mut conn, "DELETE FROM leads");
        exec(&mut conn, &format!("DELETE FROM clients WHERE id = {}", asha_client.id));
        assert!(invoices_found(&mut conn, "kimaro").is_empty());
        if db.backend() == wetech_persistence::Backend::Sqlite {
            #[derive(diesel::QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let left = diesel::sql_query("SELECT COUNT(*) AS n FROM clients_search WHERE clients_search MATCH '\"kimaro\"'")
                .get_result::<N>(&mut **conn)
                .unwrap();
            assert_eq!(left.n, 0, "the FTS row went with the client");
            // FTS5's own check that the index matches its content table.
            for table in ["clients_search", "invoices_search", "payment_attempts_search"] {
                exec(&mut conn, &format!("INSERT INTO {table} ({table}) VALUES ('integrity-check')"));
            }
        }
    }

    fn hostile_search_text_is_plain_text(db: &TestDb) {
        let mut conn = db.conn();
        let (_, lead, _) = submit_lead_of(
            &mut conn,
            &client("q@example.com", "Say \"hi\" NEAR(me) * AND", "+255712345678", "O'Brien (Ltd)"),
            "HOSTING",
        )
        .unwrap();
        for q in [
            "\"", "\"\"\"", "*", "***", "NEAR(", "NEAR(a b", "a OR b", "AND", "NOT x", "\"hi",
            "hi\"", "name: x", "{name email}: a", "^abc", "'", "');--", "%", "%%%", "_", "\\",
            "a\"b\"c\"", "a\u{0}b", "(((", ")))", "-x", "+", "\u{10FFFF}",
        ] {
            lead_list::page(&mut conn, &LeadFilter { q: Some(q), ..LeadFilter::default() }, 0, 51)
                .unwrap_or_else(|e| panic!("q = {q:?}: {e}"));
            invoice_list::page(&mut conn, &InvoiceFilter { q: Some(q), ..InvoiceFilter::default() }, 0, 51)
                .unwrap_or_else(|e| panic!("q = {q:?}: {e}"));
        }
        // The syntax is found as the text it is.
        for q in ["\"hi\"", "NEAR(me)", "* AND", "o'brien", "(ltd)"] {
            assert_eq!(leads_found(&mut conn, q), vec![lead.id], "q = {q:?}");
        }
        assert!(leads_found(&mut conn, "hi NEAR").is_empty());
    }

    fn one_or_two_characters_match_the_start_of_name_email_or_company(db: &TestDb) {
        let mut conn = db.conn();
        let (_, asha, _) = submit_lead_of(
            &mut conn,
            &client("zuhura@example.com", "Asha Mwakyusa", "+255712345678", "Kahawa"),
            "HOSTING",
        )
        .unwrap();
        let (_, baraka, _) = submit_lead_of(
            &mut conn,
            &client("baraka@example.com", "Baraka Otieno", "+254722000111", "Shamba"),
            "HOSTING",
        )
        .unwrap();
        assert_eq!(leads_found(&mut conn, "as"), vec![asha.id], "the name");
        assert_eq!(leads_found(&mut conn, "Zu"), vec![asha.id], "the e-mail");
        assert_eq!(leads_found(&mut conn, " k "), vec![asha.id], "the company");
        assert_eq!(leads_found(&mut conn, "b"), vec![baraka.id]);
        assert!(leads_found(&mut conn, "mw").is_empty(), "not inside the name");
        assert!(leads_found(&mut conn, "71").is_empty(), "not the phone");
        assert!(leads_found(&mut conn, "%").is_empty(), "`%` is literal");
        assert_eq!(invoices_found(&mut conn, "sh").len(), 1, "the company's start");
        assert_eq!(leads_found(&mut conn, "   ").len(), 2, "only spaces: no search");
    }
}
