//! `ops mail status | retry [--all]` over a real outbox.

use wetech_persistence::outbox::{self, Facts, NewMessage, RecipientRole};
use wetech_persistence::{DatabaseSettings, now_utc};

use super::Setup;

fn conn(s: &Setup) -> wetech_persistence::PooledConnection {
    let url = format!("sqlite://{}", s.path("data/wetech.sqlite3").display());
    let settings = DatabaseSettings {
        url: url.into(),
        ..DatabaseSettings::default()
    };
    wetech_persistence::connect(&settings)
        .unwrap()
        .get()
        .unwrap()
}

/// Three messages: one failed 10 days after queueing (old), one failed recently, one waiting.
fn outbox_with_failures(s: &Setup) {
    let mut c = conn(s);
    let facts = Facts::UndeliveredStaff {
        message_id: 1,
        failed_kind: "receipt-customer".into(),
        to: "a@example.com".into(),
        error: "550".into(),
    };
    let now = now_utc();
    for (event, at) in [
        ("old", now - chrono::Duration::days(10)),
        ("recent", now - chrono::Duration::hours(1)),
        ("waiting", now - chrono::Duration::minutes(20)),
    ] {
        outbox::enqueue(
            &mut c,
            &NewMessage {
                event_key: event,
                role: RecipientRole::Staff,
                to_address: None,
                language: "en",
                facts: &facts,
                attachment: None,
                now: at,
            },
        )
        .unwrap();
    }
    let lease = now + chrono::Duration::minutes(5);
    for row in outbox::claim(&mut c, now, lease, 2).unwrap() {
        assert!(
            outbox::mark_failed(&mut c, row.id, lease, "550 refused", Some("550 refused")).unwrap()
        );
    }
}

#[test]
fn status_counts_and_retry_takes_the_recent_failures_or_all() {
    let s = Setup::sqlite();
    s.ok(&["migrate"]);
    let empty = s.json(&["mail", "status"]);
    assert_eq!(empty["waiting"], 0);
    assert!(empty["oldest_waiting_secs"].is_null());
    outbox_with_failures(&s);
    let status = s.json(&["mail", "status"]);
    assert_eq!(
        (status["waiting"].as_i64(), status["failed"].as_i64()),
        (Some(1), Some(2))
    );
    assert!(status["oldest_waiting_secs"].as_i64().unwrap() >= 20 * 60);
    let human = s.ok(&["mail", "status"]);
    assert!(
        human.contains("failed:  2") && human.contains("oldest waiting: "),
        "{human}"
    );

    let retried = s.json(&["mail", "retry"]);
    assert_eq!(retried["retried"], 1, "only the recent one");
    let status = s.json(&["mail", "status"]);
    assert_eq!(
        (status["waiting"].as_i64(), status["failed"].as_i64()),
        (Some(2), Some(1))
    );
    assert!(
        s.ok(&["mail", "retry", "--all"])
            .contains("1 failed message(s)")
    );
    assert_eq!(s.json(&["mail", "status"])["failed"], 0);
    // Bad usage exits 2.
    assert_eq!(s.ops(&["mail", "retry", "--some"]).status.code(), Some(2));
}
