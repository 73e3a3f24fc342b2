//! Connecting: the backend by scheme, real errors, fast failure, SQLite pragmas.

use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use wetech_persistence::{
    Backend, ConnectError, DatabaseSettings, DbConnection, PersistenceError, connect, leads,
};
use wetech_test_db::TestDb;

#[derive(diesel::QueryableByName)]
struct Pragmas {
    #[diesel(sql_type = diesel::sql_types::Text)]
    journal_mode: String,
}

#[derive(diesel::QueryableByName)]
struct Synchronous {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    synchronous: i64,
}

#[derive(diesel::QueryableByName)]
struct ForeignKeys {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    foreign_keys: i64,
}

#[derive(diesel::QueryableByName)]
struct BusyTimeout {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    timeout: i64,
}

#[test]
fn every_sqlite_connection_has_the_durable_pragmas() {
    let db = TestDb::sqlite();
    // Two connections at once: the pragmas are set per connection.
    let mut a = db.conn();
    let mut b = db.conn();
    for conn in [&mut *a, &mut *b] {
        let conn: &mut DbConnection = conn;
        assert_eq!(conn.backend(), Backend::Sqlite);
        let mode = diesel::sql_query("PRAGMA journal_mode")
            .get_result::<Pragmas>(conn)
            .unwrap();
        assert_eq!(mode.journal_mode, "wal");
        let sync = diesel::sql_query("PRAGMA synchronous")
            .get_result::<Synchronous>(conn)
            .unwrap();
        assert_eq!(sync.synchronous, 2, "synchronous=FULL");
        let fk = diesel::sql_query("PRAGMA foreign_keys")
            .get_result::<ForeignKeys>(conn)
            .unwrap();
        assert_eq!(fk.foreign_keys, 1);
        let t = diesel::sql_query("PRAGMA busy_timeout")
            .get_result::<BusyTimeout>(conn)
            .unwrap();
        assert_eq!(t.timeout, 5000);
    }
}

wetech_test_db::backend_tests! {
    fn foreign_keys_are_enforced(db: &TestDb) {
        let err = leads::insert(
            &mut db.conn(),
            &leads::NewLead { client_id: 999_999, service_id: 1, message: None },
        )
        .unwrap_err();
        assert!(matches!(err, PersistenceError::Database(_)), "{err:?}");
    }

    fn connection_reports_its_backend(db: &TestDb) {
        assert_eq!(db.conn().backend(), db.backend());
        assert_eq!(db.settings().backend().unwrap(), db.backend());
    }
}

#[test]
fn unreachable_postgres_fails_fast_with_the_real_cause() {
    // Port 1 on loopback: nothing listens there.
    let started = Instant::now();
    let err = connect(&DatabaseSettings::new(
        "postgres://nobody:pw@127.0.0.1:1/none",
    ))
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    let PersistenceError::Connection(ConnectError::Establish { backend, cause }) = &err else {
        panic!("unexpected error {err:?}");
    };
    assert_eq!(*backend, Backend::Postgres);
    let text = cause.to_string();
    assert!(
        text.contains("refused") || text.contains("connect"),
        "{text}"
    );
    // The chain says what happened and never the password.
    let chain = format!("{err} / {}", std::error::Error::source(&err).unwrap());
    assert!(chain.contains("PostgreSQL"), "{chain}");
    assert!(!chain.contains("pw"), "{chain}");
}

#[test]
fn sqlite_directories_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/c/wetech.sqlite3");
    for url in [
        format!("sqlite://{}", path.display()),
        format!("sqlite:{}", path.display()),
    ] {
        let pool = connect(&DatabaseSettings::new(url)).unwrap();
        assert_eq!(pool.get().unwrap().backend(), Backend::Sqlite);
        assert!(path.is_file());
    }
}

#[test]
fn unusable_sqlite_paths_report_the_cause() {
    let err = connect(&DatabaseSettings::new("sqlite:///proc/wetech-no/such/x.db")).unwrap_err();
    assert!(
        matches!(
            err,
            PersistenceError::Connection(ConnectError::CreateDirectory { .. })
        ),
        "{err:?}"
    );

    // A file that is not a database.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.sqlite3");
    std::fs::write(&path, vec![0xA5_u8; 8192]).unwrap();
    let err = connect(&DatabaseSettings::new(format!(
        "sqlite://{}",
        path.display()
    )))
    .unwrap_err();
    let PersistenceError::Connection(cause) = &err else {
        panic!("{err:?}")
    };
    assert!(cause.to_string().contains("not a database"), "{cause}");
}

#[test]
fn invalid_settings_are_refused_before_connecting() {
    let err = connect(&DatabaseSettings::new("mysql://root:secret@localhost/db")).unwrap_err();
    let PersistenceError::Settings(invalid) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(invalid.key, "database.url");
    assert!(!err.to_string().contains("secret"));
    let err = connect(&DatabaseSettings::default().with_pool_size(0)).unwrap_err();
    assert!(err.to_string().contains("database.pool_size"), "{err}");
}

#[test]
fn pool_and_manager_debug_hide_the_url() {
    let pool = connect(&TestDb::sqlite().settings()).unwrap();
    let shown = format!("{pool:?}");
    assert!(shown.contains("Sqlite"), "{shown}");
    let settings = DatabaseSettings::new("postgres://app:hunter2@example.org/db");
    let manager = wetech_persistence::DbConnectionManager::new(&settings).unwrap();
    assert!(!format!("{manager:?}").contains("hunter2"));
    assert_eq!(manager.backend(), Backend::Postgres);
}

#[derive(diesel::QueryableByName)]
struct BackendPid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// Ends the server process of the connection the pool hands out next (LIFO: the one given back
/// last), from another connection, and returns its pid.
fn kill_next_pooled_connection(db: &TestDb) -> i32 {
    let pid = {
        let mut conn = db.conn();
        diesel::sql_query("SELECT pg_backend_pid() AS pid")
            .get_result::<BackendPid>(&mut **conn)
            .unwrap()
            .pid
    };
    let mut other =
        wetech_persistence::DbConnectionManager::new(&DatabaseSettings::new(db.url().to_owned()))
            .unwrap()
            .establish()
            .unwrap();
    diesel::sql_query(format!("SELECT pg_terminate_backend({pid})"))
        .execute(&mut other)
        .unwrap();
    // The server ends the process asynchronously.
    std::thread::sleep(Duration::from_millis(200));
    pid
}

fn backend_pid(uow: &wetech_persistence::UnitOfWork) -> Result<i32, PersistenceError> {
    uow.read(|c| {
        Ok(diesel::sql_query("SELECT pg_backend_pid() AS pid")
            .get_result::<BackendPid>(c)?
            .pid)
    })
}

#[test]
fn a_postgres_connection_idle_past_the_trusted_time_is_tested_before_use() {
    let Some(db) = TestDb::postgres() else { return };
    let uow = db.unit_of_work();
    let killed = kill_next_pooled_connection(&db);
    std::thread::sleep(wetech_persistence::TRUSTED_IDLE + Duration::from_millis(200));
    // Idle for longer than trusted: tested at checkout, found dead, replaced; the work never
    // sees the dead connection.
    let pid = backend_pid(&uow).expect("a live connection");
    assert_ne!(pid, killed);
}

#[test]
fn a_postgres_connection_whose_work_failed_is_tested_before_its_next_use() {
    let Some(db) = TestDb::postgres() else { return };
    let uow = db.unit_of_work();
    // Used moments ago, so trusted without a test: the work on it fails, once.
    let killed = kill_next_pooled_connection(&db);
    let err = backend_pid(&uow).unwrap_err();
    assert!(matches!(err, PersistenceError::Database(_)), "{err:?}");
    // That failure marked it: the next checkout tests it, drops it and hands out a live one.
    let pid = backend_pid(&uow).expect("a live connection after the failure");
    assert_ne!(pid, killed);
    // And work that succeeds leaves the connection trusted.
    assert_eq!(backend_pid(&uow).unwrap(), pid);
}
