//! Backup, verify and restore against real databases: a temporary SQLite file and a throwaway
//! PostgreSQL (skipped loudly when PostgreSQL is not installed, a failure under `CI=true`).

#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use diesel::RunQueryDsl;
use wetech_ops::backup::{self, BackupError, BackupKind, Progress, Stage, no_progress};
use wetech_persistence::{
    Backend, DatabaseSettings, DbConnection, app_settings, connect, run_migrations,
};
use wetech_test_db::TestDb;

/// Adds `rows` rows of about 1 KiB to `app_settings`, so that a backup takes a little while.
fn seed(conn: &mut DbConnection, rows: u32) {
    let sql = match conn.backend() {
        Backend::Sqlite => format!(
            "INSERT INTO app_settings (key, value, updated_at) \
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) \
             SELECT 'seed' || x, hex(randomblob(500)), '2026-01-01 00:00:00' FROM c"
        ),
        Backend::Postgres => format!(
            "INSERT INTO app_settings (key, value, updated_at) \
             SELECT 'seed' || x, repeat(md5(random()::text), 32), now() FROM generate_series(1, {rows}) x"
        ),
    };
    diesel::sql_query(sql).execute(conn).unwrap();
}

fn keys_with_prefix(conn: &mut DbConnection, prefix: &str) -> BTreeSet<String> {
    #[derive(diesel::QueryableByName)]
    struct Key {
        #[diesel(sql_type = diesel::sql_types::Text)]
        key: String,
    }
    let rows: Vec<Key> = diesel::sql_query(format!(
        "SELECT key FROM app_settings WHERE key LIKE '{prefix}%'"
    ))
    .load(conn)
    .unwrap();
    rows.into_iter().map(|k| k.key).collect()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// Opens a backup file as a database: SQLite directly; PostgreSQL by restoring it into a fresh
/// database. Returns the settings and whatever keeps that database alive.
fn open_backup(kind: BackupKind, file: &Path) -> (DbConnection, Box<dyn std::any::Any>) {
    match kind {
        BackupKind::Sqlite => {
            // Opening a database may change it (WAL mode): open a copy.
            let spare = tempfile::tempdir().unwrap();
            let copy = spare.path().join("copy.sqlite3");
            std::fs::copy(file, &copy).unwrap();
            let settings = DatabaseSettings::new(format!("sqlite://{}", copy.display()));
            let conn = wetech_persistence::DbConnectionManager::new(&settings)
                .unwrap()
                .establish()
                .unwrap();
            (conn, Box::new(spare))
        }
        BackupKind::Postgres => {
            let target = TestDb::unmigrated(Backend::Postgres).expect("PostgreSQL available");
            let spare = tempfile::tempdir().unwrap();
            backup::restore(file, &target.settings(), spare.path(), &no_progress).unwrap();
            let conn = wetech_persistence::DbConnectionManager::new(&target.settings())
                .unwrap()
                .establish()
                .unwrap();
            (conn, Box::new((target, spare)))
        }
    }
}

/// Flips 64 bytes in the middle of `file`.
fn flip_middle(file: &Path) {
    let mut bytes = std::fs::read(file).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0x5A;
    }
    std::fs::write(file, bytes).unwrap();
}

wetech_test_db::backend_tests! {
    fn a_backup_during_continuous_writes_holds_every_earlier_commit(db: &TestDb) {
        seed(&mut db.conn(), 20_000);
        let committed = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let errors = Arc::new(Mutex::new(Vec::<String>::new()));
        let writer = {
            let (pool, committed, stop, errors) = (db.pool().clone(), committed.clone(), stop.clone(), errors.clone());
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                let mut i = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    match app_settings::set(&mut conn, &format!("w{i:08}"), "written") {
                        Ok(()) => {
                            i += 1;
                            committed.store(i, Ordering::SeqCst);
                        }
                        Err(e) => errors.lock().unwrap().push(e.to_string()),
                    }
                }
                i
            })
        };
        while committed.load(Ordering::SeqCst) < 20 {
            std::thread::sleep(Duration::from_millis(2));
        }
        let dir = tempfile::tempdir().unwrap();
        let before = committed.load(Ordering::SeqCst);
        let report = backup::backup(&db.settings(), dir.path(), 5, &no_progress).unwrap();
        let during = committed.load(Ordering::SeqCst) - before;
        // Keep writing a little after the backup, then stop.
        std::thread::sleep(Duration::from_millis(50));
        stop.store(true, Ordering::Relaxed);
        let total = writer.join().unwrap();
        assert!(errors.lock().unwrap().is_empty(), "the writer saw errors: {:?}", errors.lock().unwrap());
        assert!(total > before, "the writer kept committing");
        eprintln!("{} backup: {before} rows before, {during} committed during it", db.backend());

        let verified = backup::verify(&report.path).unwrap();
        assert!(verified.checksum_verified);
        assert_eq!(verified.row_counts, report.row_counts);
        assert!(report.row_counts["app_settings"] >= 20_000 + before);
        assert_eq!(report.row_counts["services"], 3);
        assert_eq!(report.kind, BackupKind::of(db.backend()));
        assert_eq!(report.size_bytes, std::fs::metadata(&report.path).unwrap().len());

        let (mut conn, _keep) = open_backup(report.kind, &report.path);
        let keys = keys_with_prefix(&mut conn, "w");
        for i in 0..before {
            assert!(keys.contains(&format!("w{i:08}")), "row w{i:08}, committed before the backup began, is missing");
        }
        // A snapshot of a single writer's commits is a prefix of them.
        assert_eq!(keys.len() as u64, report.row_counts["app_settings"] - 20_000);
        assert!(keys.iter().all(|k| k.as_str() < format!("w{:08}", keys.len()).as_str()));
    }

    fn retention_keeps_the_newest_n_and_ignores_foreign_files(db: &TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let other_kind = match db.backend() {
            Backend::Sqlite => "wetech-20000101T000000Z.pgdump",
            Backend::Postgres => "wetech-20000101T000000Z.sqlite3",
        };
        let foreign = [
            "notes.txt",
            "wetech-manual.sqlite3",
            "wetech-20000101T000000Z.sqlite3.old",
            "pre-restore-20000101T000000Z.sqlite3",
            other_kind,
        ];
        for f in foreign {
            std::fs::write(d.join(f), b"keep me").unwrap();
        }
        let mut made = Vec::new();
        for _ in 0..4 {
            made.push(backup::backup(&db.settings(), d, 2, &no_progress).unwrap());
        }
        // Taken within the same second or not, every name is distinct and the newest two remain.
        let paths: BTreeSet<&PathBuf> = made.iter().map(|r| &r.path).collect();
        assert_eq!(paths.len(), 4, "{:?}", made.iter().map(|r| &r.path).collect::<Vec<_>>());
        assert_eq!(made[2].removed.len() + made[3].removed.len() + made[1].removed.len(), 2);
        let names = file_names(d);
        for f in foreign {
            assert!(names.contains(&f.to_owned()), "{f} was touched: {names:?}");
            assert_eq!(std::fs::read(d.join(f)).unwrap(), b"keep me");
        }
        let own: Vec<&String> = names.iter().filter(|n| backup::is_own_backup_name(n)).filter(|n| n.as_str() != other_kind).collect();
        assert_eq!(own.len(), 2, "{names:?}");
        for r in &made[2..] {
            assert!(r.path.exists());
            assert!(PathBuf::from(format!("{}.sha256", r.path.display())).exists());
        }
        for r in &made[..2] {
            assert!(!r.path.exists());
            assert!(!PathBuf::from(format!("{}.sha256", r.path.display())).exists());
        }
        // Nothing else: no temporary files left behind.
        assert_eq!(names.len(), foreign.len() + 4, "{names:?}");
    }

    fn a_failed_backup_leaves_no_final_file_and_deletes_nothing(db: &TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let old = ["wetech-20000101T000000Z", "wetech-20000102T000000Z"]
            .map(|n| format!("{n}.{}", BackupKind::of(db.backend()).extension()));
        for f in &old {
            std::fs::write(d.join(f), b"old").unwrap();
        }
        // A schema newer than this build: the snapshot is written, then refused by verification.
        diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ('20991231000000')")
            .execute(&mut **db.conn())
            .unwrap();
        let err = backup::backup(&db.settings(), d, 1, &no_progress).unwrap_err();
        assert!(matches!(err, BackupError::Unsound { .. }), "{err}");
        assert!(err.to_string().contains("20991231000000"), "{err}");
        assert_eq!(file_names(d), old.to_vec());

        // An unusable directory (a file is in the way): nothing is created.
        let blocked = d.join(&old[0]).join("backups");
        let err = backup::backup(&db.settings(), &blocked, 1, &no_progress).unwrap_err();
        assert!(err.to_string().contains("backup directory"), "{err}");
        assert_eq!(file_names(d), old.to_vec());
    }

    fn a_corrupted_backup_is_detected(db: &TestDb) {
        seed(&mut db.conn(), 3_000);
        let dir = tempfile::tempdir().unwrap();
        let report = backup::backup(&db.settings(), dir.path(), 5, &no_progress).unwrap();
        let sum = PathBuf::from(format!("{}.sha256", report.path.display()));

        let copy = dir.path().join(format!("copy.{}", report.kind.extension()));
        std::fs::copy(&report.path, &copy).unwrap();
        flip_middle(&report.path);
        let err = backup::verify(&report.path).unwrap_err();
        assert!(err.to_string().contains("SHA-256"), "{err}");

        // Without its checksum file, the content checks still catch damage in the middle.
        std::fs::remove_file(&sum).unwrap();
        let mut bytes = std::fs::read(&copy).unwrap();
        let mid = bytes.len() / 2 / 4096 * 4096;
        for (i, b) in bytes[mid..mid + 3 * 4096].iter_mut().enumerate() {
            *b = u8::try_from(i % 251).unwrap() ^ 0xA7;
        }
        std::fs::write(&copy, &bytes).unwrap();
        let err = backup::verify(&copy).unwrap_err();
        assert!(matches!(err, BackupError::Unsound { .. }), "{err}");

        // And a truncated file.
        std::fs::copy(&report.path, &copy).unwrap();
        let _ = std::fs::remove_file(format!("{}.sha256", copy.display()));
        let len = std::fs::metadata(&copy).unwrap().len();
        std::fs::File::options().write(true).open(&copy).unwrap().set_len(len / 2).unwrap();
        assert!(backup::verify(&copy).is_err());
    }

    fn a_database_missing_a_table_gives_no_backup(db: &TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let drop = match db.backend() {
            Backend::Sqlite => "DROP TABLE app_settings",
            Backend::Postgres => "DROP TABLE app_settings CASCADE",
        };
        diesel::sql_query(drop).execute(&mut **db.conn()).unwrap();
        let err = backup::backup(&db.settings(), d, 1, &no_progress).unwrap_err();
        assert!(matches!(err, BackupError::Unsound { .. }), "{err}");
        assert!(err.to_string().contains("missing table(s) app_settings"), "{err}");
        assert!(file_names(d).is_empty(), "{:?}", file_names(d));
    }

    fn a_backup_of_an_older_schema_is_sound(db: &TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let reverted = wetech_persistence::revert_last_migration(&mut db.conn()).unwrap().unwrap();
        let report = backup::backup(&db.settings(), dir.path(), 1, &no_progress).unwrap();
        let verified = backup::verify(&report.path).unwrap();
        assert_eq!(verified.pending_migrations, vec![reverted]);
    }

    fn progress_is_reported_while_dumping(db: &TestDb) {
        let dir = tempfile::tempdir().unwrap();
        let seen = Mutex::new(Vec::<Progress>::new());
        backup::backup(&db.settings(), dir.path(), 5, &|p| seen.lock().unwrap().push(p)).unwrap();
        let seen = seen.into_inner().unwrap();
        assert!(seen.iter().any(|p| p.stage == Stage::Dumping), "{seen:?}");
        assert!(seen.iter().any(|p| p.stage == Stage::Verifying), "{seen:?}");
    }
}

/// Something that is not a backup at all.
#[test]
fn foreign_files_are_not_backups() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("wetech-20260101T000000Z.sqlite3");
    std::fs::write(&f, b"just text, not a database").unwrap();
    assert!(matches!(
        backup::verify(&f),
        Err(BackupError::UnknownFormat(_))
    ));
    std::fs::write(&f, b"").unwrap();
    assert!(matches!(
        backup::verify(&f),
        Err(BackupError::UnknownFormat(_))
    ));
    assert!(backup::verify(&dir.path().join("missing")).is_err());
    let err = backup::verify(dir.path()).unwrap_err();
    assert!(matches!(err, BackupError::NotAFile { .. }), "{err}");
    assert!(err.to_string().contains("directory"), "{err}");
}

/// Runs `f` on a thread and fails the test (instead of hanging it) when it takes over 20 s.
fn within_20s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the call hung (blocked on a FIFO?)")
}

/// A FIFO given as a backup (or as its checksum file) is refused at once, not waited on forever.
#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("f.sqlite3");
    if let Err(e) = nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)) {
        eprintln!("SKIPPED: mkfifo is unavailable here: {e}");
        return;
    }
    let f = fifo.clone();
    let err = within_20s(move || backup::verify(&f)).unwrap_err();
    assert!(matches!(err, BackupError::NotAFile { .. }), "{err}");
    assert!(err.to_string().contains("FIFO"), "{err}");

    // Through a symlink as well.
    let link = dir.path().join("link.sqlite3");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    let err = within_20s(move || backup::verify(&link)).unwrap_err();
    assert!(matches!(err, BackupError::NotAFile { .. }), "{err}");

    // restore refuses it before touching the database.
    let db_path = dir.path().join("data").join("wetech.sqlite3");
    let settings = sqlite_settings(&db_path);
    let (f, s, b) = (fifo.clone(), settings.clone(), dir.path().join("backups"));
    let err = within_20s(move || backup::restore(&f, &s, &b, &no_progress)).unwrap_err();
    assert!(matches!(err, BackupError::NotAFile { .. }), "{err}");
    assert!(!db_path.exists());

    // A real backup whose `.sha256` is a FIFO.
    let src = TestDb::sqlite();
    let taken = backup::backup(&src.settings(), &dir.path().join("b"), 5, &no_progress).unwrap();
    let sum = PathBuf::from(format!("{}.sha256", taken.path.display()));
    std::fs::remove_file(&sum).unwrap();
    nix::unistd::mkfifo(&sum, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let p = taken.path.clone();
    let err = within_20s(move || backup::verify(&p)).unwrap_err();
    assert!(matches!(err, BackupError::NotAFile { .. }), "{err}");
}

/// An SQLite file that is a database, but not a wetech one.
#[test]
fn an_sqlite_file_without_migrations_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("other.sqlite3");
    let mut conn = wetech_persistence::DbConnectionManager::new(&DatabaseSettings::new(format!(
        "sqlite://{}",
        f.display()
    )))
    .unwrap()
    .establish()
    .unwrap();
    diesel::sql_query("CREATE TABLE t (x INTEGER)")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let err = backup::verify(&f).unwrap_err();
    assert!(err.to_string().contains("no applied migration"), "{err}");
}

/// The copy is written without a journal and from a WAL-mode database: the published file must
/// still be a self-contained rollback-journal database (header bytes 18 and 19 are 1, not 2 for
/// WAL), with no side file next to it, and its recorded checksum must match its bytes.
#[test]
fn an_sqlite_backup_is_self_contained_and_matches_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let settings = sqlite_settings(&dir.path().join("wetech.sqlite3"));
    let pool = connect(&settings).unwrap();
    let mut conn = pool.get().unwrap();
    run_migrations(&mut conn).unwrap();
    seed(&mut conn, 5_000);
    let backups = dir.path().join("backups");
    let report = backup::backup(&settings, &backups, 3, &no_progress).unwrap();
    let bytes = std::fs::read(&report.path).unwrap();
    assert_eq!(
        (bytes[18], bytes[19]),
        (1, 1),
        "not in rollback-journal mode"
    );
    assert_eq!(bytes.len() as u64, report.size_bytes);
    let name = report
        .path
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        file_names(&backups),
        vec![name.clone(), format!("{name}.sha256")]
    );
    use sha2::Digest as _;
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), report.sha256);
    assert!(report.row_counts["app_settings"] >= 5_000);
    assert!(backup::verify(&report.path).unwrap().checksum_verified);
}

fn sqlite_settings(path: &Path) -> DatabaseSettings {
    DatabaseSettings::new(format!("sqlite://{}", path.display()))
}

fn service_price(conn: &mut DbConnection, code: &str) -> Option<(i64, bool)> {
    wetech_persistence::services::get_by_code(conn, code)
        .unwrap()
        .map(|s| (s.price_minor, s.active))
}

#[test]
fn sqlite_restore_round_trip_keeps_a_pre_restore_copy() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("data").join("wetech.sqlite3");
    let settings = sqlite_settings(&db_path);
    let backups = dir.path().join("backups");
    {
        let pool = connect(&settings).unwrap();
        let mut conn = pool.get().unwrap();
        run_migrations(&mut conn).unwrap();
        app_settings::set(&mut conn, "marker", "at-backup").unwrap();
    }
    let taken = backup::backup(&settings, &backups, 5, &no_progress).unwrap();
    {
        let pool = connect(&settings).unwrap();
        let mut conn = pool.get().unwrap();
        app_settings::set(&mut conn, "marker", "after-backup").unwrap();
        wetech_persistence::services::disable(&mut conn, "WEB-PRO").unwrap();

        // While the database is open elsewhere, restore refuses and changes nothing.
        let err = backup::restore(&taken.path, &settings, &backups, &no_progress).unwrap_err();
        assert!(matches!(err, BackupError::InUse(_)), "{err}");
    }
    // The refusal left no pre-restore copy and no temporary file.
    assert_eq!(file_names(&backups).len(), 2);
    assert_eq!(
        file_names(db_path.parent().unwrap()),
        vec!["wetech.sqlite3"]
    );

    let report = backup::restore(&taken.path, &settings, &backups, &no_progress).unwrap();
    let pool = connect(&settings).unwrap();
    let mut conn = pool.get().unwrap();
    assert_eq!(
        app_settings::get(&mut conn, "marker").unwrap().as_deref(),
        Some("at-backup")
    );
    assert_eq!(
        service_price(&mut conn, "WEB-PRO"),
        Some((150_000_000, true))
    );
    assert!(
        wetech_persistence::pending_migrations(&mut conn)
            .unwrap()
            .is_empty()
    );
    drop(conn);
    drop(pool);

    // The pre-restore copy holds the state just before the restore.
    let pre = report.pre_restore_backup.expect("a pre-restore copy");
    assert!(
        pre.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("pre-restore-"),
        "{}",
        pre.display()
    );
    assert!(!backup::is_own_backup_name(
        pre.file_name().unwrap().to_str().unwrap()
    ));
    assert!(backup::verify(&pre).unwrap().checksum_verified);
    let (mut old, _keep) = open_backup(BackupKind::Sqlite, &pre);
    assert_eq!(
        app_settings::get(&mut old, "marker").unwrap().as_deref(),
        Some("after-backup")
    );
    drop(old);
    // Retention never deletes pre-restore copies.
    for _ in 0..2 {
        backup::backup(&settings, &backups, 1, &no_progress).unwrap();
    }
    assert!(pre.exists());
}

#[test]
fn sqlite_restore_onto_a_new_machine_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let src = TestDb::sqlite();
    app_settings::set(&mut src.conn(), "marker", "moved").unwrap();
    let taken = backup::backup(&src.settings(), &dir.path().join("b"), 5, &no_progress).unwrap();
    let target = dir.path().join("fresh").join("wetech.sqlite3");
    let report = backup::restore(
        &taken.path,
        &sqlite_settings(&target),
        &dir.path().join("b"),
        &no_progress,
    )
    .unwrap();
    assert!(report.pre_restore_backup.is_none());
    let pool = connect(&sqlite_settings(&target)).unwrap();
    assert_eq!(
        app_settings::get(&mut pool.get().unwrap(), "marker")
            .unwrap()
            .as_deref(),
        Some("moved")
    );
}

#[test]
fn a_backup_of_the_wrong_kind_is_refused_before_anything_changes() {
    let dir = tempfile::tempdir().unwrap();
    let src = TestDb::sqlite();
    let taken = backup::backup(&src.settings(), dir.path(), 5, &no_progress).unwrap();
    let pg = DatabaseSettings::new("postgres://nobody@127.0.0.1:1/none");
    let err = backup::restore(&taken.path, &pg, dir.path(), &no_progress).unwrap_err();
    assert!(matches!(err, BackupError::WrongKind { .. }), "{err}");
}

#[test]
fn a_missing_sqlite_database_is_an_error_not_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nope.sqlite3");
    let err = backup::backup(
        &sqlite_settings(&db),
        &dir.path().join("b"),
        5,
        &no_progress,
    )
    .unwrap_err();
    assert!(matches!(err, BackupError::MissingDatabase(_)), "{err}");
    assert!(!db.exists());
}

#[test]
fn postgres_restore_round_trip_keeps_a_pre_restore_copy() {
    let Some(db) = TestDb::postgres() else { return };
    let dir = tempfile::tempdir().unwrap();
    app_settings::set(&mut db.conn(), "marker", "at-backup").unwrap();
    let taken = backup::backup(&db.settings(), dir.path(), 5, &no_progress).unwrap();
    app_settings::set(&mut db.conn(), "marker", "after-backup").unwrap();
    app_settings::set(&mut db.conn(), "extra", "x").unwrap();
    wetech_persistence::services::disable(&mut db.conn(), "WEB-PRO").unwrap();

    let report = backup::restore(&taken.path, &db.settings(), dir.path(), &no_progress).unwrap();
    let mut conn = db.conn();
    assert_eq!(
        app_settings::get(&mut conn, "marker").unwrap().as_deref(),
        Some("at-backup")
    );
    assert_eq!(app_settings::get(&mut conn, "extra").unwrap(), None);
    assert_eq!(
        service_price(&mut conn, "WEB-PRO"),
        Some((150_000_000, true))
    );
    assert!(
        wetech_persistence::pending_migrations(&mut conn)
            .unwrap()
            .is_empty()
    );
    // Sequences were restored too: new rows do not collide.
    wetech_persistence::services::upsert(
        &mut conn,
        &wetech_persistence::services::NewService {
            code: "NEW-ONE",
            name: "n",
            price_minor: 1,
            currency: "TZS",
            active: true,
        },
    )
    .unwrap();
    drop(conn);

    let pre = report.pre_restore_backup.unwrap();
    assert!(
        pre.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("pre-restore-")
    );
    let (mut old, _keep) = open_backup(BackupKind::Postgres, &pre);
    assert_eq!(
        app_settings::get(&mut old, "marker").unwrap().as_deref(),
        Some("after-backup")
    );
}

#[test]
fn a_failed_postgres_restore_changes_nothing() {
    let Some(db) = TestDb::postgres() else { return };
    let dir = tempfile::tempdir().unwrap();
    let taken = backup::backup(&db.settings(), dir.path(), 5, &no_progress).unwrap();
    app_settings::set(&mut db.conn(), "marker", "current").unwrap();
    // A truncated archive fails verification before the database is touched.
    let broken = dir.path().join("broken.pgdump");
    let bytes = std::fs::read(&taken.path).unwrap();
    std::fs::write(&broken, &bytes[..bytes.len() * 2 / 3]).unwrap();
    assert!(backup::restore(&broken, &db.settings(), dir.path(), &no_progress).is_err());
    assert_eq!(
        app_settings::get(&mut db.conn(), "marker")
            .unwrap()
            .as_deref(),
        Some("current")
    );
}

/// Changes a copy of a sound SQLite backup with `sql` (its checksum file left out).
fn altered_sqlite_backup(dir: &Path, sql: &str) -> PathBuf {
    let src = TestDb::sqlite();
    let taken = backup::backup(&src.settings(), &dir.join("b"), 5, &no_progress).unwrap();
    let copy = dir.join(format!("altered-{}.sqlite3", sql.len()));
    std::fs::copy(&taken.path, &copy).unwrap();
    let conn = rusqlite::Connection::open(&copy).unwrap();
    conn.execute_batch(&format!("PRAGMA foreign_keys = OFF; {sql}"))
        .unwrap();
    drop(conn);
    assert!(backup::verify(&taken.path).is_ok());
    copy
}

/// A backup is sound only with exactly the tables and columns its migrations create.
#[test]
fn an_sqlite_backup_lacking_a_table_or_column_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (sql, expected) in [
        ("DROP TABLE services", "missing table(s) services"),
        (
            "ALTER TABLE app_settings DROP COLUMN updated_at",
            "app_settings lacks column(s) updated_at",
        ),
    ] {
        let file = altered_sqlite_backup(dir.path(), sql);
        let err = backup::verify(&file).unwrap_err();
        assert!(matches!(err, BackupError::Unsound { .. }), "{sql}: {err}");
        assert!(err.to_string().contains(expected), "{sql}: {err}");
    }
    // An operator's own table or column is part of the database: not a reason to refuse.
    for sql in [
        "CREATE TABLE intruder (x INTEGER)",
        "ALTER TABLE leads ADD COLUMN extra TEXT",
    ] {
        let file = altered_sqlite_backup(dir.path(), sql);
        backup::verify(&file).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    // restore refuses it before the database is touched.
    let file = altered_sqlite_backup(dir.path(), "DROP TABLE services");
    let db_path = dir.path().join("data").join("wetech.sqlite3");
    let settings = sqlite_settings(&db_path);
    {
        let pool = connect(&settings).unwrap();
        let mut conn = pool.get().unwrap();
        run_migrations(&mut conn).unwrap();
        app_settings::set(&mut conn, "marker", "current").unwrap();
    }
    let backups = dir.path().join("restore-backups");
    let err = backup::restore(&file, &settings, &backups, &no_progress).unwrap_err();
    assert!(
        err.to_string().contains("missing table(s) services"),
        "{err}"
    );
    assert!(!backups.exists());
    let pool = connect(&settings).unwrap();
    let mut conn = pool.get().unwrap();
    assert_eq!(
        app_settings::get(&mut conn, "marker").unwrap().as_deref(),
        Some("current")
    );
    assert_eq!(
        service_price(&mut conn, "WEB-PRO"),
        Some((150_000_000, true))
    );
}
