//! The unit of work: all or nothing.

use wetech_persistence::{PersistenceError, app_settings, in_write_transaction, invoices};
use wetech_test_db::TestDb;

use crate::support::{count, submit_lead};

/// A use-case error type, as the application defines one.
#[derive(Debug)]
enum UseCaseError {
    GatewaySaidNo,
    Store(PersistenceError),
}

impl From<PersistenceError> for UseCaseError {
    fn from(e: PersistenceError) -> Self {
        UseCaseError::Store(e)
    }
}

wetech_test_db::backend_tests! {
    fn a_committed_unit_of_work_is_visible(db: &TestDb) {
        let uow = db.unit_of_work();
        let (client, lead, invoice) = uow.write(|tx| submit_lead(tx, "ok@example.com", "WEB-PRO")).unwrap();
        let found = uow.read(|c| invoices::find_by_public_id(c, invoice.public_id.as_str())).unwrap().unwrap();
        assert_eq!(found, invoice);
        assert_eq!((found.client_id, found.lead_id), (client.id, Some(lead.id)));
        assert_eq!(found.number, "INV-2026-000001");
    }

    fn a_unit_of_work_failing_half_way_leaves_nothing(db: &TestDb) {
        let uow = db.unit_of_work();
        let err = uow
            .write(|tx| {
                submit_lead(tx, "half@example.com", "WEB-PRO")?;
                app_settings::set(tx, "half", "way")?;
                Err::<(), _>(UseCaseError::GatewaySaidNo)
            })
            .unwrap_err();
        assert!(matches!(err, UseCaseError::GatewaySaidNo));
        let mut conn = db.conn();
        for table in ["clients", "leads", "invoices", "app_settings"] {
            assert_eq!(count(&mut conn, table), 0, "{table} kept a row");
        }
        // The invoice counter was rolled back too: the next number is still 1.
        let (_, _, invoice) = uow.write(|tx| submit_lead(tx, "next@example.com", "WEB-PRO")).unwrap();
        assert_eq!(invoice.number, "INV-2026-000001");
    }

    fn a_database_error_half_way_rolls_back_and_is_typed(db: &TestDb) {
        let uow = db.unit_of_work();
        let (_, _, first) = uow.write(|tx| submit_lead(tx, "a@example.com", "HOSTING")).unwrap();
        let err = uow
            .write(|tx| {
                app_settings::set(tx, "written-before-the-error", "1")?;
                // Re-using the number: a unique violation.
                let (client, _, _) = submit_lead(tx, "b@example.com", "HOSTING")?;
                invoices::insert(
                    tx,
                    &invoices::NewInvoice {
                        public_id: wetech_domain::PublicId::generate().as_str(),
                        number: first.number.as_str(),
                        client_id: client.id,
                        lead_id: None,
                        service_code: "HOSTING",
                        service_name: "Hosting",
                        amount_minor: 1,
                        currency: "TZS",
                        status: wetech_domain::InvoiceStatus::Unpaid,
                        issued_at: wetech_persistence::now_utc(),
                    },
                )?;
                Ok::<_, UseCaseError>(())
            })
            .unwrap_err();
        let UseCaseError::Store(PersistenceError::Conflict { constraint }) = err else {
            panic!("expected a typed conflict, got {err:?}")
        };
        assert_eq!(constraint, "invoices(number)");
        let mut conn = db.conn();
        assert_eq!(app_settings::get(&mut conn, "written-before-the-error").unwrap(), None);
        assert_eq!(count(&mut conn, "clients"), 1);
        assert_eq!(count(&mut conn, "invoices"), 1);
    }

    fn a_panic_inside_a_unit_of_work_commits_nothing_and_the_pool_recovers(db: &TestDb) {
        let uow = db.unit_of_work();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = uow.write(|tx| {
                app_settings::set(tx, "panicked", "1")?;
                if tx.backend() == db.backend() {
                    panic!("bug in a use case");
                }
                Ok::<_, PersistenceError>(())
            });
        }));
        assert!(result.is_err());
        // Every pooled connection still works and nothing was committed.
        for _ in 0..10 {
            assert_eq!(uow.read(|c| app_settings::get(c, "panicked")).unwrap(), None);
        }
        uow.write(|tx| app_settings::set(tx, "after", "ok")).unwrap();
    }

    fn nested_transactions_are_savepoints(db: &TestDb) {
        use diesel::Connection;
        let uow = db.unit_of_work();
        uow.write(|tx| {
            app_settings::set(tx, "outer", "1")?;
            let inner: Result<(), PersistenceError> = tx.transaction(|tx| {
                app_settings::set(tx, "inner", "1")?;
                Err(PersistenceError::NotFound)
            });
            assert!(inner.is_err());
            Ok::<_, PersistenceError>(())
        })
        .unwrap();
        let mut conn = db.conn();
        assert_eq!(app_settings::get(&mut conn, "outer").unwrap().as_deref(), Some("1"));
        assert_eq!(app_settings::get(&mut conn, "inner").unwrap(), None);
        // A write transaction cannot be opened inside another one.
        let err = in_write_transaction(&mut conn, |tx| in_write_transaction(tx, |_| Ok::<_, PersistenceError>(()))).unwrap_err();
        assert!(matches!(err, PersistenceError::Database(_)), "{err:?}");
    }
}
