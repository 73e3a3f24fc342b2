//! The back office's use cases on SQLite and PostgreSQL: accounts, sign-in and lockout,
//! sessions and their expiry, the audit log, the lead's sales status, the dashboard.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::{Duration, Instant};

use diesel::RunQueryDsl as _;
use secrecy::SecretString;
use wetech_app::backoffice::{
    Actor, AdminSettings, BackOffice, LOCKOUT_WINDOW, LoginAttempt, LoginOutcome, NewPassword,
    NewStaffAccount, SESSION_MAX_AGE, SessionToken, SignedIn, StaffError,
};
use wetech_domain::{EmailAddress, InvoiceStatus, LeadSalesStatus, PersonName, StaffRole};
use wetech_persistence::{lead_status, leads, now_utc};
use wetech_test_db::TestDb;

mod lists;

const PASSWORD: &str = "correct horse battery staple";

fn office(db: &TestDb) -> BackOffice {
    BackOffice::new(db.unit_of_work(), &AdminSettings::default())
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn add(office: &BackOffice, email: &str, role: StaffRole) {
    office
        .add_account(
            &NewStaffAccount {
                email: EmailAddress::parse(email).unwrap(),
                name: PersonName::parse("Neema Mushi").unwrap(),
                role,
                password: NewPassword::parse(secret(PASSWORD)).unwrap(),
            },
            &Actor::ops(),
        )
        .unwrap();
}

fn login_from(office: &BackOffice, email: &str, password: &str, address: &str) -> LoginOutcome {
    office
        .login(&LoginAttempt {
            email,
            password: &secret(password),
            client_address: Some(address),
        })
        .unwrap()
}

fn login(office: &BackOffice, email: &str, password: &str) -> LoginOutcome {
    login_from(office, email, password, "192.0.2.10")
}

fn signed_in(outcome: LoginOutcome) -> SessionToken {
    match outcome {
        LoginOutcome::SignedIn { token, .. } => token,
        other => panic!("not signed in: {other:?}"),
    }
}

fn session(office: &BackOffice, token: &SessionToken) -> Option<SignedIn> {
    office.session(token.expose()).unwrap()
}

fn actions(office: &BackOffice) -> Vec<String> {
    let mut all: Vec<String> = office
        .audit_page(1000, None)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    all.reverse();
    all
}

fn sql(db: &TestDb, statement: &str) {
    diesel::sql_query(statement)
        .execute(&mut **db.conn())
        .unwrap();
}

wetech_test_db::backend_tests! {
    fn accounts_are_added_listed_once_per_address_and_audited(db: &TestDb) {
        let office = office(db);
        add(&office, "Neema@Example.com", StaffRole::Admin);
        let e = office
            .add_account(
                &NewStaffAccount {
                    email: EmailAddress::parse("neema@example.COM").unwrap(),
                    name: PersonName::parse("Other").unwrap(),
                    role: StaffRole::Staff,
                    password: NewPassword::parse(secret(PASSWORD)).unwrap(),
                },
                &Actor::ops(),
            )
            .unwrap_err();
        assert!(matches!(e, StaffError::DuplicateEmail), "{e:?}");
        let list = office.list_accounts().unwrap();
        assert_eq!(list.len(), 1);
        // As given (the domain in lower case, as `EmailAddress` keeps it).
        assert_eq!((list[0].email.as_str(), list[0].role), ("Neema@example.com", StaffRole::Admin));
        let json = serde_json::to_string(&list).unwrap();
        assert!(!json.contains("argon2") && !json.contains("hash"), "{json}");
        let log = office.audit_page(10, None).unwrap();
        assert_eq!(log.len(), 1, "the refused duplicate wrote nothing");
        assert_eq!((log[0].action.as_str(), log[0].actor.as_str()), ("staff.add", "ops"));
        assert!(log[0].after.as_deref().unwrap().contains("\"role\":\"admin\""));
        assert!(!log[0].after.as_deref().unwrap().contains(PASSWORD));
    }

    fn a_wrong_password_an_unknown_address_and_a_disabled_account_are_refused_alike(db: &TestDb) {
        let office = office(db);
        add(&office, "amina@example.com", StaffRole::Staff);
        add(&office, "gone@example.com", StaffRole::Staff);
        office.disable_account(&EmailAddress::parse("gone@example.com").unwrap(), &Actor::ops()).unwrap();
        assert!(matches!(login(&office, "amina@example.com", "wrong password here"), LoginOutcome::Refused));
        assert!(matches!(login(&office, "nobody@example.com", PASSWORD), LoginOutcome::Refused));
        assert!(matches!(login(&office, "gone@example.com", PASSWORD), LoginOutcome::Refused));
        assert!(matches!(login(&office, "not an address", PASSWORD), LoginOutcome::Refused));
        // The address is matched in any letter case and with spaces around it.
        let token = signed_in(login(&office, "  AMINA@example.com ", PASSWORD));
        let who = session(&office, &token).unwrap();
        assert_eq!(who.account.email.as_str(), "amina@example.com");
        assert!(!who.is_admin());
        let log = office.audit_page(100, None).unwrap();
        let failed: Vec<_> = log.iter().filter(|e| e.action == "login_failed").collect();
        assert_eq!(failed.len(), 4);
        assert!(failed.iter().all(|e| e.client_address.as_deref() == Some("192.0.2.10")));
        assert!(failed.iter().any(|e| e.actor == "nobody@example.com"));
        assert_eq!(log[0].action, "login");
    }

    fn an_unknown_address_costs_a_hash_verification_too(db: &TestDb) {
        let office = office(db);
        add(&office, "timing@example.com", StaffRole::Staff);
        let fastest = |email: &str, address: &str| {
            (0..3)
                .map(|_| {
                    let t = Instant::now();
                    assert!(matches!(login_from(&office, email, "wrong password here", address), LoginOutcome::Refused));
                    t.elapsed()
                })
                .min()
                .unwrap()
        };
        let wrong = fastest("timing@example.com", "192.0.2.21");
        let unknown = fastest("nobody-else@example.com", "192.0.2.22");
        // Without the dummy verification an unknown address answers in a small fraction of the
        // time (a read and a write, no hash). The other direction is not asserted: on a
        // machine shared by parallel tests, a slower unknown address is only noise.
        assert!(unknown * 3 > wrong, "wrong password {wrong:?}, unknown address {unknown:?}");
    }

    fn five_failures_for_one_account_lock_it_for_the_window(db: &TestDb) {
        let office = office(db);
        add(&office, "target@example.com", StaffRole::Admin);
        for i in 0..5 {
            // From different addresses: the account's own counter locks it.
            let outcome = login_from(&office, "target@example.com", "wrong password here", &format!("198.51.100.{i}"));
            assert!(matches!(outcome, LoginOutcome::Refused), "failure {i}: {outcome:?}");
        }
        match login_from(&office, "TARGET@example.com", PASSWORD, "203.0.113.5") {
            LoginOutcome::Locked { retry_after } => assert_eq!(retry_after, LOCKOUT_WINDOW),
            other => panic!("the right password after 5 failures: {other:?}"),
        }
        assert!(actions(&office).ends_with(&["login_locked".to_owned()]));
        // After a window with no attempt the right password works again.
        let later = now_utc() + chrono::Duration::minutes(16);
        let outcome = office
            .login_at(&LoginAttempt { email: "target@example.com", password: &secret(PASSWORD), client_address: Some("203.0.113.5") }, later)
            .unwrap();
        assert!(matches!(outcome, LoginOutcome::SignedIn { .. }), "{outcome:?}");
    }

    fn five_failures_from_one_address_lock_that_address_for_every_account(db: &TestDb) {
        let office = office(db);
        add(&office, "victim@example.com", StaffRole::Staff);
        for i in 0..5 {
            let outcome = login_from(&office, &format!("guess{i}@example.com"), "wrong password here", "203.0.113.66");
            assert!(matches!(outcome, LoginOutcome::Refused), "{outcome:?}");
        }
        assert!(matches!(login_from(&office, "victim@example.com", PASSWORD, "203.0.113.66"), LoginOutcome::Locked { .. }));
        // Another address is not locked.
        signed_in(login_from(&office, "victim@example.com", PASSWORD, "203.0.113.67"));
    }

    fn a_successful_sign_in_forgets_the_accounts_earlier_failures(db: &TestDb) {
        let office = office(db);
        add(&office, "typo@example.com", StaffRole::Staff);
        for i in 0..4 {
            login_from(&office, "typo@example.com", "wrong password here", &format!("192.0.2.{i}"));
        }
        signed_in(login_from(&office, "typo@example.com", PASSWORD, "192.0.2.50"));
        for i in 0..4 {
            login_from(&office, "typo@example.com", "wrong password here", &format!("192.0.2.{}", 100 + i));
        }
        signed_in(login_from(&office, "typo@example.com", PASSWORD, "192.0.2.51"));
    }

    fn sessions_end_when_idle_too_long_or_too_old(db: &TestDb) {
        let office = office(db);
        add(&office, "idle@example.com", StaffRole::Staff);
        let token = signed_in(login(&office, "idle@example.com", PASSWORD));
        let t0 = now_utc();
        assert!(office.session_at(token.expose(), t0 + chrono::Duration::minutes(29)).unwrap().is_some());
        // That use moved last_seen_at; 29 minutes after it the session still holds …
        assert!(office.session_at(token.expose(), t0 + chrono::Duration::minutes(58)).unwrap().is_some());
        // … 31 idle minutes end it, and for good.
        assert!(office.session_at(token.expose(), t0 + chrono::Duration::minutes(89)).unwrap().is_none());
        assert!(office.session_at(token.expose(), t0 + chrono::Duration::minutes(89)).unwrap().is_none());
        assert!(session(&office, &token).is_none(), "an expired session is deleted");

        // Used every 20 minutes, a session still ends 12 hours after it began.
        let token = signed_in(login(&office, "idle@example.com", PASSWORD));
        let t0 = now_utc();
        let max = chrono::Duration::from_std(SESSION_MAX_AGE).unwrap();
        let mut t = t0;
        while t + chrono::Duration::minutes(20) < t0 + max {
            t += chrono::Duration::minutes(20);
            assert!(office.session_at(token.expose(), t).unwrap().is_some(), "at {t}");
        }
        assert!(office.session_at(token.expose(), t0 + max + chrono::Duration::minutes(1)).unwrap().is_none());
    }

    fn a_session_is_touched_at_most_once_a_minute(db: &TestDb) {
        let office = office(db);
        add(&office, "touch@example.com", StaffRole::Staff);
        let token = signed_in(login(&office, "touch@example.com", PASSWORD));
        let t0 = now_utc();
        let last_seen = || {
            #[derive(diesel::QueryableByName)]
            struct Seen {
                #[diesel(sql_type = diesel::sql_types::Timestamp)]
                last_seen_at: chrono::NaiveDateTime,
            }
            diesel::sql_query("SELECT last_seen_at FROM staff_sessions")
                .get_result::<Seen>(&mut **db.conn())
                .unwrap()
                .last_seen_at
        };
        let first = last_seen();
        office.session_at(token.expose(), t0 + chrono::Duration::seconds(30)).unwrap().unwrap();
        assert_eq!(last_seen(), first, "no write within the minute");
        let t1 = t0 + chrono::Duration::seconds(61);
        office.session_at(token.expose(), t1).unwrap().unwrap();
        assert_eq!(last_seen(), wetech_persistence::truncate_to_micros(t1));
    }

    fn disable_set_password_and_logout_end_sessions_at_once(db: &TestDb) {
        let office = office(db);
        add(&office, "ends@example.com", StaffRole::Admin);
        add(&office, "stays@example.com", StaffRole::Staff);
        let email = EmailAddress::parse("ends@example.com").unwrap();
        let a = signed_in(login(&office, "ends@example.com", PASSWORD));
        let b = signed_in(login(&office, "ends@example.com", PASSWORD));
        let other = signed_in(login(&office, "stays@example.com", PASSWORD));
        let new = NewPassword::parse(secret("a brand new passphrase")).unwrap();
        assert_eq!(office.set_password(&email, &new, &Actor::ops()).unwrap(), 2);
        assert!(session(&office, &a).is_none() && session(&office, &b).is_none());
        assert!(session(&office, &other).is_some(), "someone else's session stays");
        assert!(matches!(login(&office, "ends@example.com", PASSWORD), LoginOutcome::Refused), "the old password is gone");
        let c = signed_in(login(&office, "ends@example.com", "a brand new passphrase"));
        assert!(session(&office, &c).is_some());

        let disabled = office.disable_account(&email, &Actor::ops()).unwrap();
        assert!(disabled.newly && disabled.sessions_ended == 1 && !disabled.account.is_active());
        assert!(session(&office, &c).is_none());
        assert!(!office.disable_account(&email, &Actor::ops()).unwrap().newly);

        assert!(office.logout(other.expose(), Some("192.0.2.10")).unwrap());
        assert!(session(&office, &other).is_none());
        assert!(!office.logout(other.expose(), None).unwrap(), "a second logout finds nothing");
        assert!(!office.logout("not a token", None).unwrap());

        let nobody = EmailAddress::parse("nobody@example.com").unwrap();
        assert!(matches!(office.disable_account(&nobody, &Actor::ops()), Err(StaffError::NoSuchAccount)));
        assert!(matches!(office.set_password(&nobody, &new, &Actor::ops()), Err(StaffError::NoSuchAccount)));
        let log = actions(&office);
        for action in ["staff.set_password", "staff.disable", "logout"] {
            assert_eq!(log.iter().filter(|a| *a == action).count(), 1, "{action} in {log:?}");
        }
    }

    fn a_lead_status_change_is_audited_with_who_and_the_note(db: &TestDb) {
        let office = office(db);
        add(&office, "sales@example.com", StaffRole::Staff);
        let token = signed_in(login(&office, "sales@example.com", PASSWORD));
        let who = session(&office, &token).unwrap();
        sql(db, "INSERT INTO clients (email, email_normalized, name, phone, created_at, updated_at) \
                 VALUES ('c@example.com', 'c@example.com', 'C', '+255712345678', '2026-12-01 00:00:00', '2026-12-01 00:00:00')");
        sql(db, "INSERT INTO leads (client_id, service_id, created_at) \
                 SELECT c.id, s.id, '2026-12-01 00:00:00' FROM clients c, services s WHERE s.code = 'WEB-BASIC'");
        let lead_id = {
            let mut conn = db.conn();
            #[derive(diesel::QueryableByName)]
            struct Id {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                id: i64,
            }
            diesel::sql_query("SELECT id FROM leads").get_result::<Id>(&mut **conn).unwrap().id
        };
        let actor = Actor::staff(&who, Some("192.0.2.10".to_owned()));
        let row = office.change_lead_status(lead_id, LeadSalesStatus::Contacted, Some("called"), &actor).unwrap();
        assert_eq!((row.from_status, row.to_status), (LeadSalesStatus::New, LeadSalesStatus::Contacted));
        assert_eq!(leads::find_by_id(&mut db.conn(), lead_id).unwrap().unwrap().sales_status, LeadSalesStatus::Contacted);
        assert_eq!(lead_status::history(&mut db.conn(), lead_id).unwrap().len(), 1);
        let entry = &office.audit_page(1, None).unwrap()[0];
        assert_eq!((entry.action.as_str(), entry.actor.as_str()), ("lead.status", "sales@example.com"));
        assert_eq!(entry.subject.as_deref(), Some(format!("lead:{lead_id}").as_str()));
        assert_eq!(entry.before.as_deref(), Some(r#"{"status":"new"}"#));
        assert!(entry.after.as_deref().unwrap().contains("\"note\":\"called\""));
        assert!(matches!(
            office.change_lead_status(lead_id + 100, LeadSalesStatus::Won, None, &actor),
            Err(StaffError::NoSuchLead)
        ));
    }

    fn the_dashboard_counts_todays_and_this_weeks_leads(db: &TestDb) {
        let office = office(db);
        let empty = office.dashboard().unwrap();
        assert_eq!((empty.leads_today, empty.leads_7_days), (0, 0));
        assert!(empty.unpaid.is_empty() && empty.paid_this_month.is_empty());
        let now = now_utc();
        let stamp = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
        sql(db, &format!("INSERT INTO clients (email, email_normalized, name, phone, created_at, updated_at) \
                 VALUES ('d@example.com', 'd@example.com', 'D', '+255712345678', '{0}', '{0}')", stamp(now)));
        for t in [now, now - chrono::Duration::days(3), now - chrono::Duration::days(9)] {
            sql(db, &format!("INSERT INTO leads (client_id, service_id, created_at) \
                     SELECT c.id, s.id, '{}' FROM clients c, services s WHERE s.code = 'HOSTING'", stamp(t)));
        }
        sql(db, &format!("INSERT INTO invoices (public_id, number, client_id, service_code, service_name, amount_minor, currency, status, issued_at, updated_at) \
                 SELECT 'pid-1', 'INV-2026-000001', id, 'HOSTING', 'Hosting', 12000000, 'TZS', '{}', '{1}', '{1}' FROM clients",
                 InvoiceStatus::Pending, stamp(now)));
        let d = office.dashboard_at(now).unwrap();
        assert_eq!((d.leads_today, d.leads_7_days), (1, 2));
        assert_eq!(d.unpaid.iter().map(ToString::to_string).collect::<Vec<_>>(), vec![
            wetech_domain::Money::from_minor(12_000_000, wetech_domain::Currency::parse("TZS").unwrap()).unwrap().to_string()
        ]);
    }
}

#[test]
fn password_hashing_is_fast_enough_in_test_builds() {
    // The profile in the workspace's Cargo.toml optimises the hash; unoptimised, every sign-in
    // in the test suites would take seconds.
    let p = NewPassword::parse(secret(PASSWORD)).unwrap();
    let t = Instant::now();
    let _ = format!("{p:?}");
    let db = TestDb::sqlite();
    add(&office(&db), "speed@example.com", StaffRole::Staff);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}
