//! Payment attempts.

use std::sync::Barrier;

use chrono::Duration;
use wetech_domain::{AttemptStatus, Gateway};
use wetech_persistence::attempts::{self, AttemptUpdate, NewAttempt};
use wetech_persistence::invoices::{self, InvoiceRow};
use wetech_persistence::{DbConnection, PersistenceError, attempt_history, now_utc};
use wetech_test_db::TestDb;

use crate::support::{submit_lead, unique};

fn invoice(conn: &mut DbConnection) -> InvoiceRow {
    submit_lead(
        conn,
        &format!("{}@example.com", unique("payer")),
        "WEB-BASIC",
    )
    .unwrap()
    .2
}

fn new_attempt<'a>(invoice: &InvoiceRow, reference: &'a str, gateway: Gateway) -> NewAttempt<'a> {
    NewAttempt {
        invoice_id: invoice.id,
        merchant_reference: reference,
        gateway,
        amount_minor: invoice.amount_minor,
        currency: "TZS",
        status: AttemptStatus::Initiated,
        payer_phone: Some("+255712345678"),
        provider: Some("Airtel"),
    }
}

wetech_test_db::backend_tests! {
    fn insert_find_and_list(db: &TestDb) {
        let mut conn = db.conn();
        let inv = invoice(&mut conn);
        let a = attempts::insert(&mut conn, &new_attempt(&inv, "WT-A-1", Gateway::AzamPay)).unwrap();
        let b = attempts::insert(&mut conn, &new_attempt(&inv, "WT-A-2", Gateway::Pesapal)).unwrap();
        assert_eq!(a.status, AttemptStatus::Initiated);
        assert_eq!(a.review_reason, None);
        assert_eq!(a.payer_phone.as_deref(), Some("+255712345678"));
        assert_eq!(attempts::find_by_id(&mut conn, a.id).unwrap().as_ref(), Some(&a));
        assert_eq!(attempts::find_by_merchant_reference(&mut conn, "WT-A-2").unwrap().as_ref(), Some(&b));
        assert_eq!(attempts::find_by_merchant_reference(&mut conn, "wt-a-2").unwrap(), None);
        let listed: Vec<i64> = attempts::list_for_invoice(&mut conn, inv.id).unwrap().iter().map(|r| r.id).collect();
        assert_eq!(listed, [a.id, b.id]);
        assert!(attempts::list_for_invoice(&mut conn, -5).unwrap().is_empty());
    }

    fn an_invoice_is_read_with_its_attempts_in_one_statement(db: &TestDb) {
        let mut conn = db.conn();
        let inv = invoice(&mut conn);
        let other = invoice(&mut conn);
        // Without attempts: the invoice alone, not a row of nulls.
        let (found, none) = invoices::find_with_attempts(&mut conn, inv.public_id.as_str()).unwrap().unwrap();
        assert_eq!((found, none), (inv.clone(), vec![]));
        let a = attempts::insert(&mut conn, &new_attempt(&inv, "WT-J-1", Gateway::AzamPay)).unwrap();
        attempts::insert(&mut conn, &new_attempt(&other, "WT-J-X", Gateway::AzamPay)).unwrap();
        let b = attempts::insert(&mut conn, &new_attempt(&inv, "WT-J-2", Gateway::Pesapal)).unwrap();
        let c = attempts::insert(&mut conn, &new_attempt(&inv, "WT-J-3", Gateway::Pesapal)).unwrap();
        let (found, listed) = invoices::find_with_attempts(&mut conn, inv.public_id.as_str()).unwrap().unwrap();
        assert_eq!(found, inv);
        // The same rows, in the same order, as the two lookups it replaces.
        assert_eq!(listed, [a, b, c]);
        assert_eq!(listed, attempts::list_for_invoice(&mut conn, inv.id).unwrap());
        assert_eq!(invoices::find_with_attempts(&mut conn, "AAAAAAAAAAAAAAAAAAAAAA").unwrap(), None);
        assert_eq!(invoices::find_with_attempts(&mut conn, "").unwrap(), None);
    }

    fn duplicate_merchant_reference_is_a_conflict(db: &TestDb) {
        let mut conn = db.conn();
        let inv = invoice(&mut conn);
        attempts::insert(&mut conn, &new_attempt(&inv, "WT-DUP", Gateway::Pesapal)).unwrap();
        let err = attempts::insert(&mut conn, &new_attempt(&inv, "WT-DUP", Gateway::AzamPay)).unwrap_err();
        assert!(
            matches!(&err, PersistenceError::Conflict { constraint } if constraint == "payment_attempts(merchant_reference)"),
            "{err:?}"
        );
    }

    fn transitions_set_fields_and_keep_the_others(db: &TestDb) {
        let mut conn = db.conn();
        let inv = invoice(&mut conn);
        let a = attempts::insert(&mut conn, &new_attempt(&inv, "WT-T-1", Gateway::Pesapal)).unwrap();
        let accepted = AttemptUpdate { gateway_reference: Some("b2c7-tracking"), ..AttemptUpdate::default() };
        assert!(attempts::transition_attempt(&mut conn, a.id, AttemptStatus::Initiated, AttemptStatus::Pending, &accepted, "test").unwrap());
        assert!(!attempts::transition_attempt(&mut conn, a.id, AttemptStatus::Initiated, AttemptStatus::Pending, &accepted, "test").unwrap());
        let found = attempts::find_by_gateway_reference(&mut conn, Gateway::Pesapal, "b2c7-tracking").unwrap().unwrap();
        assert_eq!(found.id, a.id);
        assert_eq!(attempts::find_by_gateway_reference(&mut conn, Gateway::AzamPay, "b2c7-tracking").unwrap(), None);

        let done = AttemptUpdate {
            payer_account: Some("2547xxxxx123"),
            method: Some("Visa"),
            confirmation_code: Some("MPX123"),
            ..AttemptUpdate::default()
        };
        assert!(attempts::transition_attempt(&mut conn, a.id, AttemptStatus::Pending, AttemptStatus::Completed, &done, "test").unwrap());
        let row = attempts::find_by_id(&mut conn, a.id).unwrap().unwrap();
        assert_eq!(row.status, AttemptStatus::Completed);
        assert_eq!(row.gateway_reference.as_deref(), Some("b2c7-tracking"), "kept");
        assert_eq!(row.payer_phone.as_deref(), Some("+255712345678"), "kept");
        assert_eq!(row.confirmation_code.as_deref(), Some("MPX123"));
        assert_eq!(row.method.as_deref(), Some("Visa"));
        assert_eq!(row.failure_reason, None);
        // A stale failure can no longer apply.
        let failed = AttemptUpdate { failure_reason: Some("late"), ..AttemptUpdate::default() };
        assert!(!attempts::transition_attempt(&mut conn, a.id, AttemptStatus::Pending, AttemptStatus::Failed, &failed, "test").unwrap());
        assert_eq!(attempts::find_by_id(&mut conn, a.id).unwrap().unwrap().failure_reason, None);

        assert!(attempts::update_details(&mut conn, a.id, &AttemptUpdate { provider: Some("Tigo"), ..AttemptUpdate::default() }).unwrap());
        assert_eq!(attempts::find_by_id(&mut conn, a.id).unwrap().unwrap().provider.as_deref(), Some("Tigo"));
        assert!(!attempts::update_details(&mut conn, 424_242, &AttemptUpdate::default()).unwrap());
    }

    fn put_under_review(db: &TestDb) {
        let mut conn = db.conn();
        let inv = invoice(&mut conn);
        let a = attempts::insert(&mut conn, &new_attempt(&inv, "WT-R-1", Gateway::AzamPay)).unwrap();
        assert!(attempts::list_needing_review(&mut conn).unwrap().is_empty());
        let code = AttemptUpdate { confirmation_code: Some("MNO-7"), ..AttemptUpdate::default() };
        assert_eq!(
            attempts::put_under_review(&mut conn, a.id, "amount 100 != 50000000", &code).unwrap(),
            Some(AttemptStatus::Initiated)
        );
        assert_eq!(attempts::put_under_review(&mut conn, 999_999, "x", &AttemptUpdate::default()).unwrap(), None);
        // Already under review: it stays, with its first reason.
        assert_eq!(attempts::put_under_review(&mut conn, a.id, "again", &AttemptUpdate::default()).unwrap(), None);
        let row = attempts::find_by_id(&mut conn, a.id).unwrap().unwrap();
        assert_eq!(row.status, AttemptStatus::Review);
        assert_eq!(row.review_reason.as_deref(), Some("amount 100 != 50000000"));
        assert_eq!(row.confirmation_code.as_deref(), Some("MNO-7"));
        assert_eq!(attempts::list_needing_review(&mut conn).unwrap(), vec![row]);
        // A reversal keeps its own state.
        let b = attempts::insert(&mut conn, &new_attempt(&inv, "WT-R-2", Gateway::Pesapal)).unwrap();
        for (from, to) in [
            (AttemptStatus::Initiated, AttemptStatus::Pending),
            (AttemptStatus::Pending, AttemptStatus::Completed),
            (AttemptStatus::Completed, AttemptStatus::Reversed),
        ] {
            assert!(attempts::transition_attempt(&mut conn, b.id, from, to, &AttemptUpdate::default(), "test").unwrap());
        }
        assert_eq!(attempts::put_under_review(&mut conn, b.id, "x", &AttemptUpdate::default()).unwrap(), None);
        assert_eq!(attempts::find_by_id(&mut conn, b.id).unwrap().unwrap().status, AttemptStatus::Reversed);
    }

    fn every_state_change_is_in_the_history_with_its_cause(db: &TestDb) {
        let mut conn = db.conn();
        let inv = invoice(&mut conn);
        let a = attempts::insert(&mut conn, &new_attempt(&inv, "WT-H-1", Gateway::AzamPay)).unwrap();
        assert!(attempts::transition_attempt(&mut conn, a.id, AttemptStatus::Initiated, AttemptStatus::Pending, &AttemptUpdate::default(), "checkout accepted").unwrap());
        // A lost race is not a change and is not recorded.
        assert!(!attempts::transition_attempt(&mut conn, a.id, AttemptStatus::Initiated, AttemptStatus::Failed, &AttemptUpdate::default(), "lost").unwrap());
        attempts::put_under_review(&mut conn, a.id, "the payer's number differs", &AttemptUpdate::default()).unwrap();
        let history = attempt_history::list_for_attempt(&mut conn, a.id).unwrap();
        let got: Vec<(Option<AttemptStatus>, AttemptStatus, &str)> =
            history.iter().map(|h| (h.from, h.to, h.cause.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (None, AttemptStatus::Initiated, "payment attempt recorded"),
                (Some(AttemptStatus::Initiated), AttemptStatus::Pending, "checkout accepted"),
                (Some(AttemptStatus::Pending), AttemptStatus::Review, "the payer's number differs"),
            ]
        );
        assert!(history.iter().all(|h| h.attempt_id == a.id));
        assert!(history.windows(2).all(|w| w[0].at <= w[1].at));
        // The change and its record are one: a rolled-back transaction leaves neither.
        let uow = db.unit_of_work();
        let b = attempts::insert(&mut conn, &new_attempt(&inv, "WT-H-2", Gateway::AzamPay)).unwrap();
        let rolled_back: Result<(), PersistenceError> = uow.write(|tx| {
            attempts::transition_attempt(tx, b.id, AttemptStatus::Initiated, AttemptStatus::Pending, &AttemptUpdate::default(), "x")?;
            Err(PersistenceError::Conflict { constraint: "test".into() })
        });
        assert!(rolled_back.is_err());
        assert_eq!(attempts::find_by_id(&mut conn, b.id).unwrap().unwrap().status, AttemptStatus::Initiated);
        assert_eq!(attempt_history::list_for_attempt(&mut conn, b.id).unwrap().len(), 1);
    }

    fn pending_older_than_lists_the_reconcile_work(db: &TestDb) {
        let mut conn = db.conn();
        let inv = invoice(&mut conn);
        let mut pending = Vec::new();
        for i in 0..3 {
            let r = format!("WT-P-{i}");
            let a = attempts::insert(&mut conn, &new_attempt(&inv, &r, Gateway::Pesapal)).unwrap();
            attempts::transition_attempt(&mut conn, a.id, AttemptStatus::Initiated, AttemptStatus::Pending, &AttemptUpdate::default(), "test").unwrap();
            pending.push(a.id);
        }
        let initiated = attempts::insert(&mut conn, &new_attempt(&inv, "WT-P-init", Gateway::Pesapal)).unwrap();
        let later = now_utc() + Duration::seconds(5);
        let ids = |rows: Vec<attempts::AttemptRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(attempts::list_pending_older_than(&mut conn, later, 100).unwrap()), pending);
        assert_eq!(ids(attempts::list_pending_older_than(&mut conn, later, 2).unwrap()), pending[..2]);
        assert!(attempts::list_pending_older_than(&mut conn, now_utc() - Duration::hours(1), 100).unwrap().is_empty());
        assert!(attempts::list_pending_older_than(&mut conn, later, -1).unwrap().is_empty());
        let open = attempts::list_in_status_older_than(
            &mut conn,
            &[AttemptStatus::Initiated, AttemptStatus::Expired],
            later,
            100,
        )
        .unwrap();
        assert_eq!(ids(open), [initiated.id]);
    }

    fn reconcilers_claim_disjoint_sets(db: &TestDb) {
        let uow = db.unit_of_work();
        let ids: Vec<i64> = uow
            .write(|tx| {
                let inv = invoice(tx);
                let mut ids = Vec::new();
                for i in 0..12 {
                    let a = attempts::insert(tx, &new_attempt(&inv, &format!("WT-CL-{i}"), Gateway::Pesapal))?;
                    attempts::transition_attempt(tx, a.id, AttemptStatus::Initiated, AttemptStatus::Pending, &AttemptUpdate::default(), "test")?;
                    ids.push(a.id);
                }
                Ok::<_, PersistenceError>(ids)
            })
            .unwrap();
        let later = now_utc() + Duration::seconds(5);
        let lease = now_utc() + Duration::minutes(5);
        // Four reconcilers at once, three rows each at most.
        let claimed: Vec<Vec<i64>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    let uow = uow.clone();
                    s.spawn(move || {
                        uow.write(|tx| attempts::claim_for_reconcile(tx, &[AttemptStatus::Pending], later, now_utc(), lease, 3))
                            .unwrap()
                            .into_iter()
                            .map(|a| a.id)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut all: Vec<i64> = claimed.iter().flatten().copied().collect();
        all.sort_unstable();
        let before = all.len();
        all.dedup();
        assert_eq!(before, all.len(), "no attempt claimed twice: {claimed:?}");
        assert_eq!(all, ids, "together they claimed every open attempt: {claimed:?}");
        // While the leases last nothing more is handed out; once they expire, everything is.
        let mut conn = db.conn();
        assert!(attempts::claim_for_reconcile(&mut conn, &[AttemptStatus::Pending], later, now_utc(), lease, 100).unwrap().is_empty());
        let after_lease = lease + Duration::seconds(1);
        let again = attempts::claim_for_reconcile(&mut conn, &[AttemptStatus::Pending], later, after_lease, after_lease + Duration::minutes(5), 100).unwrap();
        assert_eq!(again.len(), 12);
        assert!(attempts::claim_for_reconcile(&mut conn, &[], later, now_utc(), lease, 100).unwrap().is_empty());
    }

    fn a_reconciler_releases_only_its_own_claim(db: &TestDb) {
        let mut conn = db.conn();
        let inv = invoice(&mut conn);
        let a = attempts::insert(&mut conn, &new_attempt(&inv, "WT-REL-1", Gateway::Pesapal)).unwrap();
        attempts::transition_attempt(&mut conn, a.id, AttemptStatus::Initiated, AttemptStatus::Pending, &AttemptUpdate::default(), "test").unwrap();
        let later = now_utc() + Duration::seconds(5);
        // Sub-microsecond digits are dropped when the lease is stored; releasing still matches.
        let lease = now_utc() + Duration::minutes(5) + Duration::nanoseconds(321);
        let claim = |conn: &mut DbConnection| {
            attempts::claim_for_reconcile(conn, &[AttemptStatus::Pending], later, now_utc(), lease, 100).unwrap()
        };
        assert_eq!(claim(&mut conn).len(), 1);
        assert!(claim(&mut conn).is_empty());
        // Another lease (another reconciler's) is not released.
        assert!(!attempts::release_reconcile_claim(&mut conn, a.id, lease + Duration::seconds(1)).unwrap());
        assert!(claim(&mut conn).is_empty());
        assert!(attempts::release_reconcile_claim(&mut conn, a.id, lease).unwrap());
        assert_eq!(attempts::find_by_id(&mut conn, a.id).unwrap().unwrap().reconcile_claimed_until, None);
        // Released: the next run claims it at once.
        assert_eq!(claim(&mut conn).len(), 1);
        assert!(!attempts::release_reconcile_claim(&mut conn, a.id + 1000, lease).unwrap());
    }

    fn of_two_concurrent_attempt_transitions_exactly_one_wins(db: &TestDb) {
        let uow = db.unit_of_work();
        for round in 0..5 {
            let reference = format!("WT-C-{round}");
            let a = uow
                .write(|tx| {
                    let inv = invoice(tx);
                    let a = attempts::insert(tx, &new_attempt(&inv, &reference, Gateway::AzamPay))?;
                    attempts::transition_attempt(tx, a.id, AttemptStatus::Initiated, AttemptStatus::Pending, &AttemptUpdate::default(), "test")?;
                    Ok::<_, PersistenceError>(a)
                })
                .unwrap();
            let barrier = Barrier::new(2);
            let won: Vec<(AttemptStatus, bool)> = std::thread::scope(|s| {
                let handles: Vec<_> = [AttemptStatus::Completed, AttemptStatus::Failed]
                    .into_iter()
                    .map(|to| {
                        let uow = uow.clone();
                        let barrier = &barrier;
                        s.spawn(move || {
                            barrier.wait();
                            let w = uow
                                .write(|tx| attempts::transition_attempt(tx, a.id, AttemptStatus::Pending, to, &AttemptUpdate::default(), "test"))
                                .unwrap();
                            (to, w)
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let winners: Vec<AttemptStatus> = won.iter().filter(|(_, w)| *w).map(|(s, _)| *s).collect();
            assert_eq!(winners.len(), 1, "{won:?}");
            let row = uow.read(|c| attempts::find_by_id(c, a.id)).unwrap().unwrap();
            assert_eq!(row.status, winners[0]);
        }
    }
}
