//! The e-mail outbox: a message is written with its cause or not at all, an event enqueues once,
//! claims are leased (disjoint between senders, taken over when a sender vanished), and only
//! the claim's holder records the outcome.

use chrono::Duration;
use wetech_persistence::outbox::{self, Facts, NewMessage, RecipientRole};
use wetech_persistence::{PersistenceError, now_utc};
use wetech_test_db::TestDb;

fn facts(n: i64) -> Facts {
    Facts::NewLeadCustomer {
        name: format!("Client {n}"),
        service: "Business website".into(),
        invoice_number: format!("INV-2026-{n:06}"),
        amount: "TZS 500,000.00".into(),
        invoice_url: "/invoices/x".into(),
    }
}

fn enqueue(conn: &mut wetech_persistence::DbConnection, event: &str, role: RecipientRole) -> bool {
    let facts = facts(1);
    outbox::enqueue(
        conn,
        &NewMessage {
            event_key: event,
            role,
            to_address: Some("amina@example.com"),
            language: "en",
            facts: &facts,
            attachment: None,
            now: now_utc(),
        },
    )
    .unwrap()
}

wetech_test_db::backend_tests! {
    fn a_rolled_back_change_has_no_message_and_a_committed_one_has_it(db: &TestDb) {
        let uow = db.unit_of_work();
        let failed: Result<(), PersistenceError> = uow.write(|tx| {
            enqueue(tx, "lead-1.new-lead", RecipientRole::Customer);
            Err(PersistenceError::NotFound)
        });
        assert!(failed.is_err());
        assert!(outbox::list_all(&mut db.conn()).unwrap().is_empty(), "rolled back with its cause");

        uow.write(|tx| {
            enqueue(tx, "lead-2.new-lead", RecipientRole::Customer);
            enqueue(tx, "lead-2.new-lead", RecipientRole::Staff);
            Ok::<_, PersistenceError>(())
        })
        .unwrap();
        let rows = outbox::list_all(&mut db.conn()).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.state == "waiting" && r.attempts == 0));
        assert_eq!(rows[0].facts().unwrap(), facts(1));
        assert_eq!(rows[0].kind, "new-lead-customer");
        assert_eq!(rows[0].language, "en");
    }

    fn an_event_cannot_enqueue_twice(db: &TestDb) {
        let uow = db.unit_of_work();
        let (first, second, after) = uow
            .write(|tx| {
                let first = enqueue(tx, "lead-3.new-lead", RecipientRole::Staff);
                let second = enqueue(tx, "lead-3.new-lead", RecipientRole::Staff);
                // The repeat left the transaction usable (PostgreSQL aborts on a plain conflict).
                let after = enqueue(tx, "lead-3.new-lead", RecipientRole::Customer);
                Ok::<_, PersistenceError>((first, second, after))
            })
            .unwrap();
        assert!(first && !second && after);
        assert_eq!(outbox::list_all(&mut db.conn()).unwrap().len(), 2);
    }

    fn claims_are_leased_and_only_the_holder_records_the_outcome(db: &TestDb) {
        let mut conn = db.conn();
        for n in 0..3 {
            enqueue(&mut conn, &format!("lead-{n}.new-lead"), RecipientRole::Customer);
        }
        let now = now_utc();
        let lease = now + Duration::minutes(5);
        let claimed = outbox::claim(&mut conn, now, lease, 2).unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(claimed.iter().all(|r| r.state == "sending" && r.attempts == 1));
        // A second sender gets only the one left.
        let other = outbox::claim(&mut conn, now, now + Duration::minutes(5), 10).unwrap();
        assert_eq!(other.len(), 1);
        assert!(outbox::claim(&mut conn, now, lease, 10).unwrap().is_empty());

        assert!(outbox::mark_sent(&mut conn, claimed[0].id, lease, "Subject", "250 OK", now).unwrap());
        assert!(!outbox::mark_sent(&mut conn, claimed[0].id, lease, "Subject", "250 OK", now).unwrap(), "once");
        let later = now + Duration::minutes(1);
        assert!(outbox::mark_retry(&mut conn, claimed[1].id, lease, later, "421 busy", Some("421 busy")).unwrap());
        // Not due yet, then due.
        assert!(outbox::claim(&mut conn, now, lease, 10).unwrap().is_empty());
        let again = outbox::claim(&mut conn, later, later + Duration::minutes(5), 10).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);

        // A sender that vanished: its lease lapses and another sender takes the message over;
        // the first one's late record no longer counts.
        let after_lapse = now + Duration::minutes(6);
        let taken = outbox::claim(&mut conn, after_lapse, after_lapse + Duration::minutes(5), 10).unwrap();
        assert_eq!(taken.iter().map(|r| r.id).collect::<Vec<_>>(), vec![other[0].id]);
        assert!(!outbox::mark_sent(&mut conn, other[0].id, now + Duration::minutes(5), "S", "250", now).unwrap());

        let status = outbox::status(&mut conn).unwrap();
        assert_eq!((status.waiting, status.sent, status.failed), (2, 1, 0));
        assert!(status.oldest_waiting_since.is_some());
    }

    fn failed_messages_can_be_retried(db: &TestDb) {
        let mut conn = db.conn();
        enqueue(&mut conn, "lead-1.new-lead", RecipientRole::Customer);
        let now = now_utc();
        let lease = now + Duration::minutes(5);
        let claimed = outbox::claim(&mut conn, now, lease, 10).unwrap();
        assert!(outbox::mark_failed(&mut conn, claimed[0].id, lease, "550 no such user", Some("550 no such user")).unwrap());
        let status = outbox::status(&mut conn).unwrap();
        assert_eq!((status.waiting, status.failed), (0, 1));
        assert_eq!(status.oldest_waiting_since, None);
        // Only recent ones without --all: this one was queued before `since`.
        assert_eq!(outbox::retry_failed(&mut conn, now, Some(now + Duration::hours(1))).unwrap(), 0);
        assert_eq!(outbox::retry_failed(&mut conn, now, None).unwrap(), 1);
        let row = &outbox::list_all(&mut conn).unwrap()[0];
        assert_eq!((row.state.as_str(), row.attempts), ("waiting", 0));
    }

    fn two_senders_claiming_at_once_never_share_a_message(db: &TestDb) {
        let mut conn = db.conn();
        for n in 0..60 {
            enqueue(&mut conn, &format!("lead-{n}.new-lead"), RecipientRole::Customer);
        }
        let now = now_utc();
        let claimers: Vec<_> = (0..4)
            .map(|_| {
                let uow = db.unit_of_work();
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let batch = uow
                            .write(|tx| outbox::claim(tx, now, now + Duration::minutes(5), 5))
                            .unwrap();
                        if batch.is_empty() {
                            return mine;
                        }
                        mine.extend(batch.into_iter().map(|r| r.id));
                    }
                })
            })
            .collect();
        let mut all: Vec<i64> = claimers.into_iter().flat_map(|c| c.join().unwrap()).collect();
        assert_eq!(all.len(), 60, "every message claimed");
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 60, "no message claimed twice");
    }
}
