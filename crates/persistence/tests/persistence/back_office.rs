//! The back office's tables: accounts, sessions, failed sign-ins, the audit log, the lead's
//! sales status, and the dashboard's figures.

use chrono::Duration;
use wetech_domain::{InvoiceStatus, LeadSalesStatus, StaffRole};
use wetech_persistence::lead_status::StatusChange;
use wetech_persistence::staff::NewStaff;
use wetech_persistence::staff_sessions::NewSession;
use wetech_persistence::{
    DbConnection, PersistenceError, audit, dashboard, invoices, lead_status, leads, login_failures,
    now_utc, staff, staff_sessions,
};
use wetech_test_db::TestDb;

use crate::support::{count, submit_lead, unique};

fn add(conn: &mut DbConnection, email: &str, role: StaffRole) -> staff::StaffRow {
    staff::insert(
        conn,
        &NewStaff {
            email,
            name: "Neema Staff",
            role,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
            at: now_utc(),
        },
    )
    .unwrap()
}

wetech_test_db::backend_tests! {
    fn one_account_per_address_in_any_letter_case(db: &TestDb) {
        let mut conn = db.conn();
        let a = add(&mut conn, "Neema@Example.com", StaffRole::Admin);
        assert_eq!((a.email.as_str(), a.role), ("Neema@Example.com", StaffRole::Admin));
        assert_eq!(a.created_at, a.password_changed_at);
        let e = staff::insert(
            &mut conn,
            &NewStaff { email: "neema@example.COM", name: "x", role: StaffRole::Staff, password_hash: "h", at: now_utc() },
        )
        .unwrap_err();
        assert!(
            matches!(&e, PersistenceError::Conflict { constraint } if constraint == "staff_accounts(email_normalized)"),
            "{e:?}"
        );
        let found = staff::find_by_email(&mut conn, " NEEMA@example.com ").unwrap().unwrap();
        assert_eq!(found, a);
        let creds = staff::find_credentials(&mut conn, "neema@example.com").unwrap().unwrap();
        assert_eq!(creds.account, a);
        assert!(creds.password_hash.starts_with("$argon2id$"));
        assert!(!format!("{creds:?}").contains("argon2"), "Debug hides the hash");
        assert_eq!(staff::list(&mut conn).unwrap(), vec![a]);
    }

    fn disable_once_and_password_changes(db: &TestDb) {
        let mut conn = db.conn();
        let a = add(&mut conn, &format!("{}@example.com", unique("d")), StaffRole::Staff);
        let later = now_utc() + Duration::seconds(5);
        assert!(staff::disable(&mut conn, a.id, later).unwrap());
        assert!(!staff::disable(&mut conn, a.id, later).unwrap(), "only the first call disables");
        staff::set_password_hash(&mut conn, a.id, "$argon2id$new", later).unwrap();
        let creds = staff::find_credentials(&mut conn, &a.email).unwrap().unwrap();
        assert_eq!(creds.password_hash, "$argon2id$new");
        assert_eq!(creds.account.password_changed_at, wetech_persistence::truncate_to_micros(later));
        assert!(creds.account.disabled_at.is_some());
        assert!(matches!(
            staff::set_password_hash(&mut conn, a.id + 1000, "h", later),
            Err(PersistenceError::NotFound)
        ));
    }

    fn sessions_are_found_by_hash_touched_and_ended(db: &TestDb) {
        let mut conn = db.conn();
        let a = add(&mut conn, "s1@example.com", StaffRole::Staff);
        let b = add(&mut conn, "s2@example.com", StaffRole::Admin);
        let t0 = now_utc();
        for (hash, who) in [("h-a1", a.id), ("h-a2", a.id), ("h-b1", b.id)] {
            staff_sessions::insert(
                &mut conn,
                &NewSession { token_hash: hash, staff_id: who, client_address: Some("192.0.2.1"), at: t0 },
            )
            .unwrap();
        }
        let (session, account) = staff_sessions::find_with_account(&mut conn, "h-a1").unwrap().unwrap();
        assert_eq!((session.staff_id, session.created_at, session.last_seen_at), (a.id, t0, t0));
        assert_eq!(session.client_address.as_deref(), Some("192.0.2.1"));
        assert_eq!(account, a);
        assert!(staff_sessions::find_with_account(&mut conn, "nope").unwrap().is_none());

        let t1 = t0 + Duration::seconds(90);
        staff_sessions::touch(&mut conn, "h-a1", t1).unwrap();
        let (session, _) = staff_sessions::find_with_account(&mut conn, "h-a1").unwrap().unwrap();
        assert_eq!((session.created_at, session.last_seen_at), (t0, t1));

        // Ending one person's sessions leaves everyone else's.
        assert_eq!(staff_sessions::delete_for_staff(&mut conn, a.id).unwrap(), 2);
        assert!(staff_sessions::find_with_account(&mut conn, "h-a2").unwrap().is_none());
        assert!(staff_sessions::find_with_account(&mut conn, "h-b1").unwrap().is_some());
        assert!(staff_sessions::delete(&mut conn, "h-b1").unwrap());
        assert!(!staff_sessions::delete(&mut conn, "h-b1").unwrap());

        // The tidy-up removes idle and old sessions only.
        for (hash, created, seen) in [("old", t0 - Duration::hours(13), t0), ("idle", t0, t0 - Duration::hours(1)), ("fresh", t0, t0)] {
            staff_sessions::insert(&mut conn, &NewSession { token_hash: hash, staff_id: b.id, client_address: None, at: created }).unwrap();
            staff_sessions::touch(&mut conn, hash, seen).unwrap();
        }
        assert_eq!(
            staff_sessions::delete_expired(&mut conn, t0 - Duration::minutes(30), t0 - Duration::hours(12)).unwrap(),
            2
        );
        assert!(staff_sessions::find_with_account(&mut conn, "fresh").unwrap().is_some());
    }

    fn failures_are_counted_per_address_and_per_client_in_the_window(db: &TestDb) {
        let mut conn = db.conn();
        let now = now_utc();
        let window = now - Duration::minutes(15);
        login_failures::record(&mut conn, "a@example.com", "192.0.2.1", now - Duration::minutes(20)).unwrap();
        for _ in 0..3 {
            login_failures::record(&mut conn, "a@example.com", "192.0.2.1", now).unwrap();
        }
        login_failures::record(&mut conn, "b@example.com", "192.0.2.1", now).unwrap();
        login_failures::record(&mut conn, "a@example.com", "198.51.100.2", now).unwrap();
        assert_eq!(login_failures::count_for_email_since(&mut conn, "a@example.com", window).unwrap(), 4);
        assert_eq!(login_failures::count_for_address_since(&mut conn, "192.0.2.1", window).unwrap(), 4);
        assert_eq!(login_failures::count_for_address_since(&mut conn, "198.51.100.2", window).unwrap(), 1);
        assert_eq!(login_failures::prune_before(&mut conn, window).unwrap(), 1);
        assert_eq!(login_failures::clear_for_email(&mut conn, "a@example.com").unwrap(), 4);
        assert_eq!(login_failures::count_for_address_since(&mut conn, "192.0.2.1", window).unwrap(), 1);
    }

    fn the_audit_log_keeps_every_field_newest_first(db: &TestDb) {
        let mut conn = db.conn();
        let a = add(&mut conn, "auditor@example.com", StaffRole::Admin);
        let t = now_utc();
        let first = audit::record(&mut conn, &audit::NewAudit {
            at: t, staff_id: None, actor_email: "ops", client_address: None,
            action: "staff.add", subject: Some("auditor@example.com"), before: None,
            after: Some(r#"{"role":"admin"}"#),
        }).unwrap();
        let second = audit::record(&mut conn, &audit::NewAudit {
            at: t, staff_id: Some(a.id), actor_email: "auditor@example.com",
            client_address: Some("192.0.2.7"), action: "login", subject: None, before: None, after: None,
        }).unwrap();
        assert!(second > first);
        let rows = audit::list_recent(&mut conn, 10, None).unwrap();
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![second, first]);
        assert_eq!(rows[0].staff_id, Some(a.id));
        assert_eq!(rows[0].client_address.as_deref(), Some("192.0.2.7"));
        assert_eq!(rows[1].after.as_deref(), Some(r#"{"role":"admin"}"#));
        assert_eq!(rows[1].at, t);
        let older = audit::list_recent(&mut conn, 10, Some(second)).unwrap();
        assert_eq!(older.len(), 1);
        assert_eq!(older[0].id, first);
    }

    fn a_status_change_and_its_history_are_written_together(db: &TestDb) {
        let mut conn = db.conn();
        let a = add(&mut conn, "sales@example.com", StaffRole::Staff);
        let (_, lead, _) = submit_lead(&mut conn, &format!("{}@example.com", unique("lead")), "WEB-BASIC").unwrap();
        assert_eq!(lead.sales_status, LeadSalesStatus::New, "a new lead is new");
        let at = now_utc();
        let change = lead_status::change(&mut conn, &StatusChange {
            lead_id: lead.id, to: LeadSalesStatus::Contacted, staff_id: a.id, note: Some("called, <b>keen</b>"), at,
        }).unwrap();
        assert_eq!((change.from_status, change.to_status), (LeadSalesStatus::New, LeadSalesStatus::Contacted));
        lead_status::change(&mut conn, &StatusChange {
            lead_id: lead.id, to: LeadSalesStatus::Lost, staff_id: a.id, note: None, at,
        }).unwrap();
        assert_eq!(leads::find_by_id(&mut conn, lead.id).unwrap().unwrap().sales_status, LeadSalesStatus::Lost);
        let history = lead_status::history(&mut conn, lead.id).unwrap();
        assert_eq!(
            history.iter().map(|h| (h.from_status, h.to_status)).collect::<Vec<_>>(),
            vec![(LeadSalesStatus::New, LeadSalesStatus::Contacted), (LeadSalesStatus::Contacted, LeadSalesStatus::Lost)]
        );
        assert_eq!(history[0].note.as_deref(), Some("called, <b>keen</b>"));
        assert_eq!(history[0].staff_id, a.id);
        // No such lead: nothing written.
        let before = count(&mut conn, "lead_status_history");
        assert!(matches!(
            lead_status::change(&mut conn, &StatusChange { lead_id: lead.id + 999, to: LeadSalesStatus::Won, staff_id: a.id, note: None, at }),
            Err(PersistenceError::NotFound)
        ));
        assert_eq!(count(&mut conn, "lead_status_history"), before);
    }

    fn the_dashboard_counts_leads_and_sums_invoices_per_currency(db: &TestDb) {
        let mut conn = db.conn();
        let start = now_utc() - Duration::seconds(1);
        assert_eq!(dashboard::leads_since(&mut conn, start).unwrap(), 0);
        let (_, _, i1) = submit_lead(&mut conn, &format!("{}@example.com", unique("d1")), "WEB-BASIC").unwrap();
        let (_, _, i2) = submit_lead(&mut conn, &format!("{}@example.com", unique("d2")), "WEB-PRO").unwrap();
        let (_, _, i3) = submit_lead(&mut conn, &format!("{}@example.com", unique("d3")), "HOSTING").unwrap();
        assert_eq!(dashboard::leads_since(&mut conn, start).unwrap(), 3);
        assert_eq!(dashboard::leads_since(&mut conn, now_utc() + Duration::seconds(1)).unwrap(), 0);
        assert_eq!(
            dashboard::invoice_totals(&mut conn, &[InvoiceStatus::Unpaid, InvoiceStatus::Pending]).unwrap(),
            vec![("TZS".to_owned(), i1.amount_minor + i2.amount_minor + i3.amount_minor)]
        );
        assert!(dashboard::paid_since(&mut conn, start).unwrap().is_empty());
        diesel::RunQueryDsl::execute(
            diesel::sql_query(format!(
                "UPDATE invoices SET status = 'paid', paid_at = updated_at WHERE id = {}",
                i2.id
            )),
            &mut **conn,
        )
        .unwrap();
        assert_eq!(invoices::find_by_id(&mut conn, i2.id).unwrap().unwrap().status, InvoiceStatus::Paid);
        assert_eq!(dashboard::paid_since(&mut conn, start).unwrap(), vec![("TZS".to_owned(), i2.amount_minor)]);
        assert_eq!(
            dashboard::invoice_totals(&mut conn, &[InvoiceStatus::Unpaid, InvoiceStatus::Pending]).unwrap(),
            vec![("TZS".to_owned(), i1.amount_minor + i3.amount_minor)]
        );
    }
}
