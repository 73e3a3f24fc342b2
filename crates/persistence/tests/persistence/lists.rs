//! The back office's lists read through the indexes of migration
//! `2026-12-03-000004_back_office_lists` (docs/back-office.md, "Pages"): the plans of the lists'
//! query shapes, checked with EXPLAIN on both backends. PostgreSQL is asked with sequential
//! scans and sorts discouraged, since on a nearly empty table it would rightly prefer them; what
//! is checked is that an index can serve the query, in order, without a sort.

use diesel::RunQueryDsl as _;
use wetech_persistence::Backend;
use wetech_test_db::TestDb;

#[derive(diesel::QueryableByName)]
struct SqlitePlan {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

#[derive(diesel::QueryableByName)]
struct PostgresPlan {
    #[diesel(sql_type = diesel::sql_types::Text)]
    #[diesel(column_name = "QUERY PLAN")]
    line: String,
}

/// The plan of `query`, one line per step.
fn plan(db: &TestDb, query: &str) -> String {
    let mut conn = db.conn();
    let lines: Vec<String> = match db.backend() {
        Backend::Sqlite => diesel::sql_query(format!("EXPLAIN QUERY PLAN {query}"))
            .load::<SqlitePlan>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|p| p.detail)
            .collect(),
        Backend::Postgres => {
            for off in ["SET enable_seqscan = off", "SET enable_sort = off"] {
                diesel::sql_query(off).execute(&mut conn).unwrap();
            }
            let plan = diesel::sql_query(format!("EXPLAIN {query}"))
                .load::<PostgresPlan>(&mut conn)
                .unwrap();
            diesel::sql_query("RESET ALL").execute(&mut conn).unwrap();
            plan.into_iter().map(|p| p.line).collect()
        }
    };
    lines.join("\n")
}

/// Asserts `query` is served by `index` with no sort step.
fn uses(db: &TestDb, query: &str, index: &str) {
    let p = plan(db, query);
    assert!(p.contains(index), "{query}: expected {index} in\n{p}");
    assert!(
        !p.contains("TEMP B-TREE") && !p.contains("Sort"),
        "{query}: sorts\n{p}"
    );
}

wetech_test_db::backend_tests! {
    fn each_list_reads_a_page_in_index_order(db: &TestDb) {
        uses(db, "SELECT id FROM leads WHERE sales_status = 'contacted' ORDER BY id DESC LIMIT 51 OFFSET 50", "leads_sales_status_id_idx");
        uses(db, "SELECT id FROM invoices WHERE status = 'unpaid' ORDER BY id DESC LIMIT 51", "invoices_status_id_idx");
        uses(db, "SELECT id FROM payment_attempts WHERE status = 'review' ORDER BY id DESC LIMIT 51", "payment_attempts_status_id_idx");
        uses(db, "SELECT id FROM invoices WHERE lead_id = 7", "invoices_lead_id_idx");
        uses(db, "SELECT id FROM leads WHERE client_id = 7 ORDER BY id DESC LIMIT 200", "leads_client_id_");
        uses(db, "SELECT id FROM invoices WHERE client_id = 7 ORDER BY id DESC LIMIT 200", "invoices_client_id_");
        // (`leads_client_id_idx` on SQLite, whose indexes end with the rowid; `…_client_id_id_idx`
        // on PostgreSQL.) An export's next chunk starts from the last id sent.
        let unfiltered = plan(db, "SELECT id FROM leads WHERE id < 1000 ORDER BY id DESC LIMIT 500");
        assert!(!unfiltered.contains("TEMP B-TREE") && !unfiltered.contains("Sort"), "{unfiltered}");
    }

    fn the_search_is_served_by_trigram_indexes_on_postgres(db: &TestDb) {
        if db.backend() != Backend::Postgres {
            return;
        }
        let p = "'%mwakyusa%'";
        let clients = plan(db, &format!(
            "SELECT id FROM clients WHERE lower(name) LIKE {p} OR lower(email) LIKE {p} OR lower(phone) LIKE {p} OR lower(company) LIKE {p}"
        ));
        for index in ["clients_name_trgm_idx", "clients_email_trgm_idx", "clients_phone_trgm_idx", "clients_company_trgm_idx"] {
            assert!(clients.contains(index), "{index}:\n{clients}");
        }
        assert!(plan(db, &format!("SELECT lead_id FROM invoices WHERE lower(number) LIKE {p}")).contains("invoices_number_trgm_idx"));
        assert!(plan(db, &format!("SELECT invoice_id FROM payment_attempts WHERE lower(merchant_reference) LIKE {p}"))
            .contains("payment_attempts_merchant_reference_trgm_idx"));
    }
}
