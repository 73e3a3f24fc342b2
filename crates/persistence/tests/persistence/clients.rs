//! Clients by e-mail, case-insensitively.

use wetech_persistence::clients::{self, NewClient};
use wetech_test_db::TestDb;

use crate::support::count;

wetech_test_db::backend_tests! {
    fn resubmission_in_another_case_keeps_one_client_and_updates_it(db: &TestDb) {
        let mut conn = db.conn();
        let first = clients::upsert_by_email(
            &mut conn,
            &NewClient { email: "Amina.Juma@Example.co.tz", name: "Amina Juma", phone: "+255712345678", company: Some("Juma Traders") },
        )
        .unwrap();
        assert_eq!(first.email_normalized, "amina.juma@example.co.tz");
        let second = clients::upsert_by_email(
            &mut conn,
            &NewClient { email: "AMINA.JUMA@example.co.tz", name: "Amina J. Mwinyi", phone: "+255754000111", company: Some("Mwinyi Ltd") },
        )
        .unwrap();
        assert_eq!(second.id, first.id);
        assert_eq!(second.name, "Amina J. Mwinyi");
        assert_eq!(second.phone, "+255754000111");
        assert_eq!(second.company.as_deref(), Some("Mwinyi Ltd"));
        assert_eq!(second.email, "AMINA.JUMA@example.co.tz", "the latest spelling is kept for display");
        assert_eq!(second.created_at, first.created_at);
        assert_eq!(count(&mut conn, "clients"), 1);

        // Omitting the company keeps the recorded one.
        let third = clients::upsert_by_email(
            &mut conn,
            &NewClient { email: "amina.juma@example.co.tz", name: "Amina", phone: "+255754000111", company: None },
        )
        .unwrap();
        assert_eq!(third.company.as_deref(), Some("Mwinyi Ltd"));
        assert_eq!(third.name, "Amina");
        assert_eq!(clients::find_by_email(&mut conn, "aMiNa.JuMa@example.CO.tz").unwrap(), Some(third.clone()));
        assert_eq!(clients::find_by_id(&mut conn, third.id).unwrap(), Some(third));
        assert_eq!(clients::find_by_email(&mut conn, "other@example.co.tz").unwrap(), None);
    }

    fn unicode_names_and_addresses_round_trip(db: &TestDb) {
        let mut conn = db.conn();
        for (email, name) in [
            ("ZAWADI@Mfano.co.ke", "Zawadi Wanjirũ"),
            ("Ümit@Example.com", "Ümit Öztürk"),
            ("fatma@example.tz", "فاطمة الزهراء"),
        ] {
            let row = clients::upsert_by_email(
                &mut conn,
                &NewClient { email, name, phone: "+254712000000", company: Some("Ushirika wa \"Umoja\"; DROP TABLE clients;--") },
            )
            .unwrap();
            assert_eq!(row.name, name);
            assert_eq!(row.email_normalized, email.to_lowercase());
            assert_eq!(clients::find_by_email(&mut conn, &email.to_uppercase()).unwrap().unwrap().id, row.id);
        }
        assert_eq!(count(&mut conn, "clients"), 3);
    }

    fn concurrent_first_submissions_create_one_client(db: &TestDb) {
        let uow = db.unit_of_work();
        let ids: Vec<i64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let uow = uow.clone();
                    s.spawn(move || {
                        let email = if i % 2 == 0 { "Race@Example.com" } else { "race@example.COM" };
                        let name = format!("Racer {i}");
                        uow.write(|tx| {
                            clients::upsert_by_email(
                                tx,
                                &NewClient { email, name: &name, phone: "+255712345678", company: None },
                            )
                        })
                        .unwrap()
                        .id
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
        assert_eq!(count(&mut db.conn(), "clients"), 1);
    }
}
