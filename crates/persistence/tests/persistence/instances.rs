//! Several instances on one database: the rate-limit counter (one upsert per check, counts
//! that concurrent checks never lose, old windows pruned) and the instance leases (one winner,
//! a lapsed lease taken over).

use chrono::{Duration, Utc};
use wetech_persistence::{instance_leases, rate_limits};
use wetech_test_db::TestDb;

wetech_test_db::backend_tests! {
    fn the_rate_limit_counts_per_key_and_window_and_prunes_old_windows(db: &TestDb) {
        let mut conn = db.conn();
        assert_eq!(rate_limits::hit(&mut conn, "k1", 600).unwrap(), 1);
        assert_eq!(rate_limits::hit(&mut conn, "k1", 600).unwrap(), 2);
        assert_eq!(rate_limits::hit(&mut conn, "k2", 600).unwrap(), 1);
        assert_eq!(rate_limits::hit(&mut conn, "k1", 660).unwrap(), 1);
        assert_eq!(rate_limits::prune_before(&mut conn, 660).unwrap(), 2);
        assert_eq!(rate_limits::hit(&mut conn, "k1", 660).unwrap(), 2);
        assert_eq!(rate_limits::hit(&mut conn, "k1", 600).unwrap(), 1, "pruned");
    }

    fn the_counter_s_commit_without_a_flush_stays_with_its_own_statement(db: &TestDb) {
        use diesel::RunQueryDsl as _;
        use diesel::connection::Connection as _;
        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = diesel::sql_types::Text)]
            synchronous_commit: String,
        }
        let mut conn = db.conn();
        let setting = |conn: &mut wetech_persistence::DbConnection| match conn {
            wetech_persistence::DbConnection::Pg(pg) => Some(
                diesel::sql_query("SHOW synchronous_commit")
                    .get_result::<Setting>(pg)
                    .unwrap()
                    .synchronous_commit,
            ),
            wetech_persistence::DbConnection::Sqlite(_) => None,
        };
        // The tests' server may run with its own setting (it trades durability for speed): what
        // matters is that the session's setting is the same after the counter's statement.
        if let wetech_persistence::DbConnection::Pg(pg) = &mut **conn {
            diesel::sql_query("SET synchronous_commit = on").execute(pg).unwrap();
        }
        let before = setting(&mut conn);
        assert_eq!(rate_limits::hit(&mut conn, "k", 600).unwrap(), 1);
        assert_eq!(setting(&mut conn), before);
        // Inside a transaction (a unit of work) the counter refuses to run on PostgreSQL, where
        // its setting would apply to the whole transaction.
        let in_tx = conn
            .transaction::<_, diesel::result::Error, _>(|c| Ok(rate_limits::hit(c, "k", 600)))
            .unwrap();
        match db.backend() {
            wetech_persistence::Backend::Postgres => {
                let e = in_tx.unwrap_err();
                assert!(
                    matches!(
                        e,
                        wetech_persistence::PersistenceError::Database(
                            diesel::result::Error::AlreadyInTransaction
                        )
                    ),
                    "{e:?}"
                );
            }
            wetech_persistence::Backend::Sqlite => assert_eq!(in_tx.unwrap(), 2),
        }
    }

    fn concurrent_hits_on_several_connections_lose_no_count(db: &TestDb) {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let pool = db.pool().clone();
                std::thread::spawn(move || {
                    let mut conn = pool.get().unwrap();
                    (0..25)
                        .map(|_| rate_limits::hit(&mut conn, "shared", 1200).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut counts: Vec<i32> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
        counts.sort_unstable();
        assert_eq!(counts, (1..=100).collect::<Vec<_>>(), "each check saw its own count");
    }

    fn one_holder_wins_a_lease_until_it_lapses_or_is_released(db: &TestDb) {
        let mut conn = db.conn();
        let now = Utc::now().naive_utc();
        let later = now + Duration::seconds(30);
        let name = "pesapal.register_ipn";
        assert!(instance_leases::try_claim(&mut conn, name, "a", now, later).unwrap());
        assert!(!instance_leases::try_claim(&mut conn, name, "b", now, later).unwrap());
        assert!(instance_leases::try_claim(&mut conn, name, "a", now, later).unwrap(), "renewed");
        // After a's lease ran out, b takes over.
        let after = later + Duration::seconds(1);
        assert!(instance_leases::try_claim(&mut conn, name, "b", after, after + Duration::seconds(30)).unwrap());
        assert!(!instance_leases::release(&mut conn, name, "a").unwrap(), "not a's any more");
        assert!(instance_leases::release(&mut conn, name, "b").unwrap());
        assert!(instance_leases::try_claim(&mut conn, name, "c", now, later).unwrap());
    }
}
