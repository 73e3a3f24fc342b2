//! The catalogue.

use wetech_persistence::services::NewService;
use wetech_persistence::{PersistenceError, invoices, services};
use wetech_test_db::TestDb;

use crate::support::{submit_lead, unique};

wetech_test_db::backend_tests! {
    fn upsert_creates_then_replaces_by_code(db: &TestDb) {
        let mut conn = db.conn();
        let created = services::upsert(
            &mut conn,
            &NewService { code: "SEO", name: "Search optimisation", price_minor: 30_000_000, currency: "TZS", active: true },
        )
        .unwrap();
        let replaced = services::upsert(
            &mut conn,
            &NewService { code: "SEO", name: "SEO, three months", price_minor: 45_000_050, currency: "KES", active: true },
        )
        .unwrap();
        assert_eq!(replaced.id, created.id, "same row");
        assert_eq!(replaced.name, "SEO, three months");
        assert_eq!(replaced.price_minor, 45_000_050);
        assert_eq!(replaced.currency, "KES");
        assert_eq!(replaced.created_at, created.created_at);
        assert!(replaced.updated_at >= created.updated_at);
        assert_eq!(services::get_active_by_code(&mut conn, "SEO").unwrap(), Some(replaced));
        assert_eq!(services::list_all(&mut conn).unwrap().len(), 4);
    }

    fn a_price_change_never_changes_an_issued_invoice(db: &TestDb) {
        let mut conn = db.conn();
        let (_, _, invoice) = submit_lead(&mut conn, &format!("{}@example.com", unique("c")), "WEB-BASIC").unwrap();
        assert_eq!(invoice.amount_minor, 50_000_000);
        services::upsert(
            &mut conn,
            &NewService { code: "WEB-BASIC", name: "Business website v2", price_minor: 99_000_000, currency: "TZS", active: true },
        )
        .unwrap();
        let again = invoices::find_by_id(&mut conn, invoice.id).unwrap().unwrap();
        assert_eq!(again.amount_minor, 50_000_000);
        assert_eq!(again.service_name, "Business website");
    }

    fn disabled_services_are_not_offered(db: &TestDb) {
        let mut conn = db.conn();
        assert!(services::disable(&mut conn, "HOSTING").unwrap());
        assert!(!services::disable(&mut conn, "NO-SUCH").unwrap());
        assert_eq!(services::get_active_by_code(&mut conn, "HOSTING").unwrap(), None);
        let codes: Vec<String> = services::list_active(&mut conn).unwrap().into_iter().map(|s| s.code.to_string()).collect();
        assert_eq!(codes, ["WEB-BASIC", "WEB-PRO"]);
        let hosting = services::get_by_code(&mut conn, "HOSTING").unwrap().unwrap();
        assert!(!hosting.active);
        assert_eq!(services::list_all(&mut conn).unwrap().len(), 3);
        // Lookups are exact: no case folding, no injection.
        assert_eq!(services::get_active_by_code(&mut conn, "web-basic").unwrap(), None);
        assert_eq!(services::get_active_by_code(&mut conn, "' OR '1'='1").unwrap(), None);
    }

    fn negative_prices_are_refused_by_the_schema(db: &TestDb) {
        let err = services::upsert(
            &mut db.conn(),
            &NewService { code: "BAD", name: "Bad", price_minor: -1, currency: "TZS", active: true },
        )
        .unwrap_err();
        assert!(matches!(err, PersistenceError::Database(_)), "{err:?}");
    }
}
