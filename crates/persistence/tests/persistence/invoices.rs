//! Invoices, numbering and conditional transitions.

use std::collections::BTreeSet;
use std::sync::Barrier;

use chrono::NaiveDate;
use wetech_domain::InvoiceStatus;
use wetech_persistence::invoices::{self, NewInvoice};
use wetech_persistence::{PersistenceError, connect, now_utc};
use wetech_test_db::TestDb;

use crate::support::submit_lead;

wetech_test_db::backend_tests! {
    fn sixteen_threads_get_distinct_invoice_numbers(db: &TestDb) {
        // A pool as large as the thread count, so every thread really writes at the same time.
        let pool = connect(&db.settings().with_pool_size(16)).unwrap();
        let uow = wetech_persistence::UnitOfWork::new(pool);
        let barrier = Barrier::new(16);
        let per_thread = 5;
        let numbers: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|t| {
                    let uow = uow.clone();
                    let barrier = &barrier;
                    s.spawn(move || {
                        barrier.wait();
                        (0..per_thread)
                            .map(|i| {
                                let email = format!("t{t}-{i}@example.com");
                                uow.write(|tx| submit_lead(tx, &email, "WEB-PRO")).unwrap().2.number.to_string()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let distinct: BTreeSet<&String> = numbers.iter().collect();
        assert_eq!(distinct.len(), 16 * per_thread, "duplicates in {numbers:?}");
        // No failures, so no gaps either: exactly 1..=80.
        let expected: BTreeSet<String> = (1..=16 * per_thread).map(|n| format!("INV-2026-{n:06}")).collect();
        assert_eq!(distinct, expected.iter().collect());
    }

    fn sequences_are_per_year(db: &TestDb) {
        let mut conn = db.conn();
        assert_eq!(invoices::next_invoice_sequence(&mut conn, 2026).unwrap(), 1);
        assert_eq!(invoices::next_invoice_sequence(&mut conn, 2026).unwrap(), 2);
        assert_eq!(invoices::next_invoice_sequence(&mut conn, 2027).unwrap(), 1);
        assert_eq!(invoices::next_invoice_sequence(&mut conn, 2026).unwrap(), 3);
    }

    fn insert_and_find_round_trip(db: &TestDb) {
        let mut conn = db.conn();
        let (client, lead, invoice) = submit_lead(&mut conn, "roundtrip@example.com", "HOSTING").unwrap();
        assert_eq!(invoice.client_id, client.id);
        assert_eq!(invoice.lead_id, Some(lead.id));
        assert_eq!(invoice.status, InvoiceStatus::Unpaid);
        assert_eq!((invoice.amount_minor, invoice.currency.as_str()), (12_000_000, "TZS"));
        assert_eq!(invoice.paid_at, None);
        assert_eq!(invoices::find_by_id(&mut conn, invoice.id).unwrap().as_ref(), Some(&invoice));
        assert_eq!(invoices::find_by_public_id(&mut conn, invoice.public_id.as_str()).unwrap().as_ref(), Some(&invoice));
        assert_eq!(invoices::find_by_number(&mut conn, invoice.number.as_str()).unwrap().as_ref(), Some(&invoice));
        assert_eq!(invoices::find_by_public_id(&mut conn, "nope").unwrap(), None);
        assert_eq!(invoices::find_by_id(&mut conn, -1).unwrap(), None);
    }

    fn timestamps_keep_microseconds_on_both_backends(db: &TestDb) {
        let mut conn = db.conn();
        let (client, _, _) = submit_lead(&mut conn, "micro@example.com", "HOSTING").unwrap();
        let issued = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap().and_hms_nano_opt(23, 59, 59, 123_456_789).unwrap();
        let public_id = wetech_domain::PublicId::generate().to_string();
        let row = invoices::insert(
            &mut conn,
            &NewInvoice {
                public_id: &public_id,
                number: "INV-2026-999999",
                client_id: client.id,
                lead_id: None,
                service_code: "XX",
                service_name: "X",
                amount_minor: 1,
                currency: "TZS",
                status: InvoiceStatus::Unpaid,
                issued_at: issued,
            },
        )
        .unwrap();
        let expected = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap().and_hms_micro_opt(23, 59, 59, 123_456).unwrap();
        assert_eq!(row.issued_at, expected);
        assert_eq!(invoices::find_by_id(&mut conn, row.id).unwrap().unwrap().issued_at, expected);
    }

    fn duplicate_number_or_public_id_is_a_typed_conflict(db: &TestDb) {
        let mut conn = db.conn();
        let (client, _, invoice) = submit_lead(&mut conn, "dup@example.com", "HOSTING").unwrap();
        let other_public_id = wetech_domain::PublicId::generate().to_string();
        let attempt = |conn: &mut wetech_persistence::DbConnection, public_id: &str, number: &str| {
            invoices::insert(
                conn,
                &NewInvoice {
                    public_id,
                    number,
                    client_id: client.id,
                    lead_id: None,
                    service_code: "HOSTING",
                    service_name: "Hosting",
                    amount_minor: 5,
                    currency: "TZS",
                    status: InvoiceStatus::Unpaid,
                    issued_at: now_utc(),
                },
            )
        };
        match attempt(&mut conn, &other_public_id, invoice.number.as_str()).unwrap_err() {
            PersistenceError::Conflict { constraint } => assert_eq!(constraint, "invoices(number)"),
            other => panic!("expected a conflict, got {other:?}"),
        }
        match attempt(&mut conn, invoice.public_id.as_str(), "INV-2026-777777").unwrap_err() {
            PersistenceError::Conflict { constraint } => assert_eq!(constraint, "invoices(public_id)"),
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    fn transitions_are_conditional(db: &TestDb) {
        let mut conn = db.conn();
        let (_, _, invoice) = submit_lead(&mut conn, "cond@example.com", "WEB-BASIC").unwrap();
        let id = invoice.id;
        // Wrong source state: nothing happens.
        assert!(!invoices::transition_invoice(&mut conn, id, InvoiceStatus::Pending, InvoiceStatus::Paid, Some(now_utc())).unwrap());
        assert_eq!(invoices::find_by_id(&mut conn, id).unwrap().unwrap().status, InvoiceStatus::Unpaid);
        assert!(invoices::transition_invoice(&mut conn, id, InvoiceStatus::Unpaid, InvoiceStatus::Pending, None).unwrap());
        let paid_at = now_utc();
        assert!(invoices::transition_invoice(&mut conn, id, InvoiceStatus::Pending, InvoiceStatus::Paid, Some(paid_at)).unwrap());
        // A stale "failed" (pending → unpaid) can no longer apply.
        assert!(!invoices::transition_invoice(&mut conn, id, InvoiceStatus::Pending, InvoiceStatus::Unpaid, None).unwrap());
        let row = invoices::find_by_id(&mut conn, id).unwrap().unwrap();
        assert_eq!(row.status, InvoiceStatus::Paid);
        assert_eq!(row.paid_at, Some(paid_at));
        assert!(!invoices::transition_invoice(&mut conn, 987_654, InvoiceStatus::Unpaid, InvoiceStatus::Pending, None).unwrap());
    }

    fn of_two_concurrent_transitions_exactly_one_wins(db: &TestDb) {
        let uow = db.unit_of_work();
        for round in 0..5 {
            let invoice = uow.write(|tx| submit_lead(tx, &format!("race{round}@example.com"), "WEB-BASIC")).unwrap().2;
            uow.write(|tx| invoices::transition_invoice(tx, invoice.id, InvoiceStatus::Unpaid, InvoiceStatus::Pending, None)).unwrap();
            let barrier = Barrier::new(2);
            // One delivery says paid, the other says failed; both start from pending.
            let outcomes: Vec<(InvoiceStatus, bool)> = std::thread::scope(|s| {
                let handles: Vec<_> = [InvoiceStatus::Paid, InvoiceStatus::Unpaid]
                    .into_iter()
                    .map(|to| {
                        let uow = uow.clone();
                        let barrier = &barrier;
                        s.spawn(move || {
                            barrier.wait();
                            let paid_at = (to == InvoiceStatus::Paid).then(now_utc);
                            let won = uow
                                .write(|tx| invoices::transition_invoice(tx, invoice.id, InvoiceStatus::Pending, to, paid_at))
                                .unwrap();
                            (to, won)
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let winners: Vec<InvoiceStatus> = outcomes.iter().filter(|(_, won)| *won).map(|(to, _)| *to).collect();
            assert_eq!(winners.len(), 1, "round {round}: {outcomes:?}");
            let row = uow.read(|c| invoices::find_by_id(c, invoice.id)).unwrap().unwrap();
            assert_eq!(row.status, winners[0]);
            assert_eq!(row.paid_at.is_some(), winners[0] == InvoiceStatus::Paid);
        }
    }
}

#[test]
fn an_unknown_stored_status_is_an_error_not_a_panic() {
    use diesel::RunQueryDsl;
    let db = TestDb::sqlite();
    let mut conn = db.conn();
    let (_, _, invoice) = submit_lead(&mut conn, "bogus@example.com", "HOSTING").unwrap();
    // Only possible by going around the CHECK constraint, e.g. a hand-edited database.
    diesel::sql_query("PRAGMA ignore_check_constraints = ON")
        .execute(&mut **conn)
        .unwrap();
    diesel::sql_query("UPDATE invoices SET status = 'PAID!'")
        .execute(&mut **conn)
        .unwrap();
    let err = invoices::find_by_id(&mut conn, invoice.id).unwrap_err();
    assert!(matches!(err, PersistenceError::Database(_)), "{err:?}");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("PAID!"), "{source}");
}
