//! Gateway events: stored raw, deduplicated.

use std::sync::Barrier;

use wetech_domain::Gateway;
use wetech_persistence::events::{self, EventInsert, NewEvent};
use wetech_persistence::{PersistenceError, now_utc};
use wetech_test_db::TestDb;

use crate::support::count;

fn event<'a>(gateway: Gateway, key: &'a str, payload: &'a str) -> NewEvent<'a> {
    NewEvent {
        attempt_id: None,
        gateway,
        kind: "ipn",
        dedupe_key: key,
        payload,
        received_at: now_utc(),
        outcome: "received",
    }
}

wetech_test_db::backend_tests! {
    fn a_redelivered_event_is_already_recorded_and_the_transaction_goes_on(db: &TestDb) {
        let uow = db.unit_of_work();
        let (first, second, third) = uow
            .write(|tx| {
                let first = events::record_event(tx, &event(Gateway::Pesapal, "ipn:ot-1:COMPLETED", "{}"))?;
                let second = events::record_event(tx, &event(Gateway::Pesapal, "ipn:ot-1:COMPLETED", "{\"again\":1}"))?;
                // The duplicate did not poison the (PostgreSQL) transaction: more work commits.
                let third = events::record_event(tx, &event(Gateway::AzamPay, "ipn:ot-1:COMPLETED", "{}"))?;
                Ok::<_, PersistenceError>((first, second, third))
            })
            .unwrap();
        let EventInsert::Recorded(first) = first else { panic!("first delivery not recorded") };
        assert_eq!(second, EventInsert::AlreadyRecorded);
        assert!(matches!(third, EventInsert::Recorded(_)), "another gateway's key is distinct");
        let mut conn = db.conn();
        assert_eq!(count(&mut conn, "payment_events"), 2);
        let stored = events::find(&mut conn, Gateway::Pesapal, "ipn:ot-1:COMPLETED").unwrap().unwrap();
        assert_eq!(stored, first);
        assert_eq!(stored.payload, "{}", "the first payload is kept");
    }

    fn payloads_are_stored_byte_for_byte(db: &TestDb) {
        let mut conn = db.conn();
        let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(65_536));
        for (i, payload) in [
            "OrderTrackingId=b2c7&OrderMerchantReference=WT-1&OrderNotificationType=IPNCHANGE",
            "{\"utilityref\":\"WT-2\",\"msisdn\":\"255712345678\",\"note\":\"Asante sana — ✓ \\u0000 '; DROP TABLE payment_events;--\"}",
            "line1\r\nline2\n\ttabbed  trailing  ",
            "",
            big.as_str(),
        ]
        .into_iter()
        .enumerate()
        {
            let key = format!("k{i}");
            let EventInsert::Recorded(row) = events::record_event(&mut conn, &event(Gateway::AzamPay, &key, payload)).unwrap() else {
                panic!("not recorded")
            };
            assert_eq!(events::find(&mut conn, Gateway::AzamPay, &key).unwrap().unwrap().payload, payload);
            assert_eq!(row.payload.len(), payload.len());
        }
    }

    fn outcome_and_attempt_are_recorded_later(db: &TestDb) {
        let mut conn = db.conn();
        let (_, _, invoice) = crate::support::submit_lead(&mut conn, "ev@example.com", "HOSTING").unwrap();
        let attempt = wetech_persistence::attempts::insert(
            &mut conn,
            &wetech_persistence::attempts::NewAttempt {
                invoice_id: invoice.id,
                merchant_reference: "WT-EV-1",
                gateway: Gateway::Pesapal,
                amount_minor: invoice.amount_minor,
                currency: "TZS",
                status: wetech_domain::AttemptStatus::Pending,
                payer_phone: None,
                provider: None,
            },
        )
        .unwrap();
        let EventInsert::Recorded(e) = events::record_event(&mut conn, &event(Gateway::Pesapal, "k", "{}")).unwrap() else { panic!() };
        assert!(events::set_outcome(&mut conn, e.id, Some(attempt.id), "settled").unwrap());
        assert!(events::set_outcome(&mut conn, e.id, None, "settled; duplicate ignored").unwrap());
        assert!(!events::set_outcome(&mut conn, 123_456, None, "x").unwrap());
        let listed = events::list_for_attempt(&mut conn, attempt.id).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].outcome, "settled; duplicate ignored");
        assert_eq!(listed[0].attempt_id, Some(attempt.id), "None keeps the attempt");
    }

    fn concurrent_deliveries_record_once(db: &TestDb) {
        let uow = db.unit_of_work();
        let barrier = Barrier::new(6);
        let results: Vec<EventInsert> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6)
                .map(|_| {
                    let uow = uow.clone();
                    let barrier = &barrier;
                    s.spawn(move || {
                        barrier.wait();
                        uow.write(|tx| events::record_event(tx, &event(Gateway::AzamPay, "cb:tx-9", "{}"))).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let recorded = results.iter().filter(|r| matches!(r, EventInsert::Recorded(_))).count();
        assert_eq!(recorded, 1, "{results:?}");
        assert_eq!(count(&mut db.conn(), "payment_events"), 1);
    }
}
