//! Idempotency keys.

use chrono::Duration;
use wetech_persistence::idempotency::{self, NewIdempotencyRecord};
use wetech_persistence::{PersistenceError, app_settings, now_utc};
use wetech_test_db::TestDb;

fn record<'a>(key: &'a str, body: &'a str, ttl: Duration) -> NewIdempotencyRecord<'a> {
    let now = now_utc();
    NewIdempotencyRecord {
        scope: "POST /api/v1/leads",
        key,
        request_fingerprint: "sha256:abc",
        response_status: 201,
        response_body: body,
        created_at: now,
        expires_at: now + ttl,
    }
}

wetech_test_db::backend_tests! {
    fn first_response_is_kept_and_a_second_insert_conflicts(db: &TestDb) {
        let uow = db.unit_of_work();
        let mut conn = db.conn();
        assert_eq!(idempotency::get(&mut conn, "POST /api/v1/leads", "k-1", now_utc()).unwrap(), None);
        let stored = idempotency::insert(&mut conn, &record("k-1", "{\"lead_id\":1}", Duration::hours(24))).unwrap();
        assert_eq!(idempotency::get(&mut conn, "POST /api/v1/leads", "k-1", now_utc()).unwrap(), Some(stored.clone()));
        assert_eq!(idempotency::get(&mut conn, "POST /other", "k-1", now_utc()).unwrap(), None, "scoped");

        // Inside a transaction the conflict is typed and the transaction stays usable.
        let (err, after) = uow
            .write(|tx| {
                let err = idempotency::insert(tx, &record("k-1", "{\"lead_id\":2}", Duration::hours(24))).unwrap_err();
                app_settings::set(tx, "after-conflict", "yes")?;
                Ok::<_, PersistenceError>((err, app_settings::get(tx, "after-conflict")?))
            })
            .unwrap();
        assert!(err.is_conflict(), "{err:?}");
        assert_eq!(after.as_deref(), Some("yes"));
        assert_eq!(
            idempotency::get(&mut conn, "POST /api/v1/leads", "k-1", now_utc()).unwrap().unwrap().response_body,
            "{\"lead_id\":1}"
        );
    }

    fn expired_records_are_invisible_replaceable_and_purged(db: &TestDb) {
        let mut conn = db.conn();
        idempotency::insert(&mut conn, &record("old", "1", Duration::seconds(-1))).unwrap();
        idempotency::insert(&mut conn, &record("fresh", "2", Duration::hours(1))).unwrap();
        assert_eq!(idempotency::get(&mut conn, "POST /api/v1/leads", "old", now_utc()).unwrap(), None);
        // A new request may reuse an expired key.
        let again = idempotency::insert(&mut conn, &record("old", "3", Duration::seconds(-1))).unwrap();
        assert_eq!(again.response_body, "3");
        assert_eq!(idempotency::purge_expired(&mut conn, now_utc()).unwrap(), 1);
        assert_eq!(idempotency::purge_expired(&mut conn, now_utc()).unwrap(), 0);
        assert!(idempotency::get(&mut conn, "POST /api/v1/leads", "fresh", now_utc()).unwrap().is_some());
        assert_eq!(idempotency::purge_expired(&mut conn, now_utc() + Duration::hours(2)).unwrap(), 1);
    }
}
