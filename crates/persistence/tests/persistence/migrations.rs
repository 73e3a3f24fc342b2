//! Migrations: same names in both folders, down reverses up, reruns are no-ops, the seed.

use std::collections::BTreeSet;
use std::path::Path;

use diesel::RunQueryDsl;
use wetech_persistence::{
    Backend, DbConnection, applied_migrations, migration_names, pending_migrations,
    revert_last_migration, run_migrations, run_next_migration, services,
};
use wetech_test_db::TestDb;

#[derive(diesel::QueryableByName)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
}

fn lines(conn: &mut DbConnection, sql: &str) -> Vec<String> {
    let mut v: Vec<String> = diesel::sql_query(sql)
        .load::<Line>(conn)
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect();
    v.sort();
    v
}

/// Tables, columns, types, nullability, defaults, indexes and constraints, without Diesel's own
/// bookkeeping table.
fn schema_dump(conn: &mut DbConnection) -> Vec<String> {
    match conn.backend() {
        Backend::Sqlite => lines(
            conn,
            "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || COALESCE(sql, '') AS line \
             FROM sqlite_master WHERE name NOT LIKE 'sqlite%' AND tbl_name <> '__diesel_schema_migrations'",
        ),
        Backend::Postgres => lines(
            conn,
            "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable \
                    || ' ' || COALESCE(column_default, '') || ' ' || is_identity AS line \
               FROM information_schema.columns \
              WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
             UNION ALL \
             SELECT 'index ' || indexdef FROM pg_indexes \
              WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations' \
             UNION ALL \
             SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
               FROM pg_constraint \
              WHERE connamespace = 'public'::regnamespace \
                AND conrelid::regclass::text <> '__diesel_schema_migrations'",
        ),
    }
}

/// `table.column NULL|NOT NULL` for every column, comparable across backends. SQLite's FTS5
/// search tables (virtual, with their shadow tables) are its own index of the search
/// (`2026-12-04-000008_search_index`), like PostgreSQL's trigram indexes, so they are left out.
fn columns(conn: &mut DbConnection) -> Vec<String> {
    match conn.backend() {
        Backend::Sqlite => lines(
            conn,
            "SELECT m.name || '.' || p.name || CASE WHEN p.\"notnull\" = 1 OR p.pk > 0 THEN ' NOT NULL' ELSE ' NULL' END AS line \
               FROM sqlite_master m JOIN pragma_table_info(m.name) p \
              WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name <> '__diesel_schema_migrations' \
                AND m.name IN (SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table')",
        ),
        Backend::Postgres => lines(
            conn,
            "SELECT table_name || '.' || column_name || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE ' NULL' END AS line \
               FROM information_schema.columns \
              WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
        ),
    }
}

fn folder_names(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| {
            for file in ["up.sql", "down.sql"] {
                assert!(
                    e.path().join(file).is_file(),
                    "{} lacks {file}",
                    e.path().display()
                );
            }
            e.file_name().into_string().unwrap()
        })
        .collect()
}

#[test]
fn both_migration_folders_hold_the_same_names() {
    let sqlite = folder_names("sqlite");
    let postgres = folder_names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres differ"
    );
    // What is embedded in the binary is what is on disk.
    let embedded: BTreeSet<String> = migration_names(Backend::Sqlite)
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(embedded, sqlite);
}

#[test]
fn both_backends_have_the_same_tables_and_columns() {
    let Some(pg) = TestDb::postgres() else { return };
    let sqlite = TestDb::sqlite();
    let sqlite_columns = columns(&mut sqlite.conn());
    assert!(sqlite_columns.len() > 50, "{sqlite_columns:?}");
    assert_eq!(sqlite_columns, columns(&mut pg.conn()));
}

fn down_reverses_up(db: &TestDb) {
    let mut conn = db.conn();
    let names = migration_names(db.backend()).unwrap();
    assert_eq!(pending_migrations(&mut conn).unwrap(), names);

    // dumps[i] = schema after the first i migrations.
    let mut dumps = vec![schema_dump(&mut conn)];
    for name in &names {
        assert_eq!(run_next_migration(&mut conn).unwrap().as_ref(), Some(name));
        dumps.push(schema_dump(&mut conn));
    }
    assert!(
        dumps.last().unwrap().len() > 9,
        "the schema dump sees the tables"
    );
    assert_ne!(dumps[0], dumps[names.len()]);
    assert_eq!(run_next_migration(&mut conn).unwrap(), None);

    for i in (0..names.len()).rev() {
        assert_eq!(
            revert_last_migration(&mut conn).unwrap().as_ref(),
            Some(&names[i])
        );
        assert_eq!(
            schema_dump(&mut conn),
            dumps[i],
            "down of {} did not restore the schema",
            names[i]
        );
        assert_eq!(
            run_next_migration(&mut conn).unwrap().as_ref(),
            Some(&names[i])
        );
        assert_eq!(
            schema_dump(&mut conn),
            dumps[i + 1],
            "up after down of {} differs",
            names[i]
        );
        revert_last_migration(&mut conn).unwrap();
    }
    assert_eq!(revert_last_migration(&mut conn).unwrap(), None);
    assert_eq!(applied_migrations(&mut conn).unwrap(), Vec::<String>::new());

    // Everything again in one go, then a rerun is a no-op.
    assert_eq!(run_migrations(&mut conn).unwrap(), names);
    assert_eq!(schema_dump(&mut conn), dumps[names.len()]);
    assert_eq!(run_migrations(&mut conn).unwrap(), Vec::<String>::new());
    assert_eq!(applied_migrations(&mut conn).unwrap(), names);
    assert!(pending_migrations(&mut conn).unwrap().is_empty());
    // The seed came back with the re-run (3 services, not 6).
    assert_eq!(services::list_all(&mut conn).unwrap().len(), 3);
}

fn concurrent_migrators_apply_once(db: &TestDb) {
    let applied: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| run_migrations(&mut db.conn()).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total: usize = applied.iter().map(Vec::len).sum();
    assert_eq!(
        total,
        migration_names(db.backend()).unwrap().len(),
        "{applied:?}"
    );
    assert_eq!(services::list_all(&mut db.conn()).unwrap().len(), 3);
}

/// `mod $name { sqlite, postgres }` over an unmigrated database.
macro_rules! on_empty_databases {
    ($($name:ident),*) => {$(
        mod $name {
            use super::*;
            #[test]
            fn sqlite() {
                super::$name(&TestDb::unmigrated(Backend::Sqlite).unwrap());
            }
            #[test]
            fn postgres() {
                if let Some(db) = TestDb::unmigrated(Backend::Postgres) {
                    super::$name(&db);
                }
            }
        }
    )*};
}

/// `2026-12-03-000005_refunds` keeps every invoice (rebuilt on SQLite for its new CHECK): ids,
/// the sequence, the attempts' foreign keys still name `invoices`; `void` and `refunded` are
/// accepted after it, a refund row can be written; `down.sql` maps them back.
fn the_refunds_migration_keeps_every_invoice(db: &TestDb) {
    let mut conn = db.conn();
    let names = migration_names(db.backend()).unwrap();
    let refunds_at = names
        .iter()
        .position(|n| n == "2026-12-03-000005_refunds")
        .unwrap();
    for _ in 0..refunds_at {
        run_next_migration(&mut conn).unwrap();
    }
    for sql in [
        "INSERT INTO clients (id, email, email_normalized, name, phone, created_at, updated_at) \
         VALUES (7, 'a@b.tz', 'a@b.tz', 'A', '+255700000000', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        "INSERT INTO invoices (id, public_id, number, client_id, service_code, service_name, amount_minor, \
         currency, status, issued_at, paid_at, updated_at) VALUES \
         (7, 'pub7', 'INV-2026-000007', 7, 'WEB-BASIC', 'W', 100, 'TZS', 'paid', '2026-01-01 00:00:00', '2026-01-02 00:00:00', '2026-01-02 00:00:00'), \
         (8, 'pub8', 'INV-2026-000008', 7, 'HOSTING', 'H', 300, 'TZS', 'unpaid', '2026-01-01 00:00:00', NULL, '2026-01-01 00:00:00')",
        "INSERT INTO payment_attempts (id, invoice_id, merchant_reference, gateway, amount_minor, currency, \
         status, created_at, updated_at) VALUES (40, 7, 'WT-M-1', 'pesapal', 100, 'TZS', 'completed', \
         '2026-01-01 00:00:00', '2026-01-02 00:00:00')",
    ] {
        diesel::sql_query(sql).execute(&mut **conn).unwrap();
    }
    let state = |conn: &mut DbConnection| {
        lines(
            conn,
            "SELECT CAST(id AS TEXT) || ' ' || number || ' ' || status || ' ' || COALESCE(CAST(paid_at AS TEXT), '-') AS line FROM invoices",
        )
    };
    let before = state(&mut conn);
    run_next_migration(&mut conn).unwrap();
    assert_eq!(state(&mut conn), before);
    if db.backend() == Backend::Sqlite {
        assert_eq!(
            lines(
                &mut conn,
                "SELECT \"table\" AS line FROM pragma_foreign_key_list('payment_attempts')"
            ),
            ["invoices"]
        );
        assert!(
            lines(
                &mut conn,
                "SELECT \"table\" AS line FROM pragma_foreign_key_check"
            )
            .is_empty()
        );
        diesel::sql_query("INSERT INTO invoices (public_id, number, client_id, service_code, service_name, amount_minor, \
         currency, status, issued_at, updated_at) VALUES ('pub9', 'INV-2026-000009', 7, 'W', 'W', 1, 'TZS', 'unpaid', \
         '2026-01-03 00:00:00', '2026-01-03 00:00:00')")
            .execute(&mut **conn)
            .unwrap();
        assert_eq!(
            lines(
                &mut conn,
                "SELECT CAST(id AS TEXT) AS line FROM invoices WHERE public_id = 'pub9'"
            ),
            ["9"],
            "the sequence carries on"
        );
        diesel::sql_query("DELETE FROM invoices WHERE public_id = 'pub9'")
            .execute(&mut **conn)
            .unwrap();
    }
    for sql in [
        "UPDATE invoices SET status = 'refunded' WHERE id = 7",
        "UPDATE invoices SET status = 'void' WHERE id = 8",
        "INSERT INTO refunds (attempt_id, amount_minor, currency, reason, state, gateway_answer, created_at) \
         VALUES (40, 100, 'TZS', 'asked', 'requested', 'Refund request successfully', '2026-01-03 00:00:00')",
    ] {
        diesel::sql_query(sql).execute(&mut **conn).unwrap();
    }
    assert!(
        diesel::sql_query("UPDATE invoices SET status = 'gone' WHERE id = 8")
            .execute(&mut **conn)
            .is_err(),
        "the CHECK still refuses unknown states"
    );
    assert!(
        diesel::sql_query(
            "INSERT INTO refunds (attempt_id, amount_minor, currency, reason, state, created_at) \
         VALUES (40, 1, 'TZS', 'x', 'maybe', '2026-01-03 00:00:00')"
        )
        .execute(&mut **conn)
        .is_err()
    );
    revert_last_migration(&mut conn).unwrap();
    assert_eq!(state(&mut conn), before, "void → unpaid, refunded → paid");
}

/// `2026-12-03-000001_attempt_review` keeps every row: an attempt flagged for review goes to
/// `review` with its reason in the new history (a reversed one keeps its state), the sequences
/// carry on, events still point at their attempts; `down.sql` gives the flag back.
fn the_review_migration_keeps_every_row(db: &TestDb) {
    let mut conn = db.conn();
    let names = migration_names(db.backend()).unwrap();
    let review = names
        .iter()
        .position(|n| n == "2026-12-03-000001_attempt_review")
        .unwrap();
    for _ in 0..review {
        run_next_migration(&mut conn).unwrap();
    }
    let (t, f) = match db.backend() {
        Backend::Sqlite => ("1", "0"),
        Backend::Postgres => ("TRUE", "FALSE"),
    };
    for sql in [
        "INSERT INTO clients (id, email, email_normalized, name, phone, created_at, updated_at) \
         VALUES (7, 'a@b.tz', 'a@b.tz', 'A', '+255700000000', '2026-01-01 00:00:00', '2026-01-01 00:00:00')".to_owned(),
        "INSERT INTO invoices (id, public_id, number, client_id, service_code, service_name, amount_minor, \
         currency, status, issued_at, updated_at) VALUES (7, 'pub7', 'INV-2026-000007', 7, 'WEB-BASIC', 'W', \
         100, 'TZS', 'pending', '2026-01-01 00:00:00', '2026-01-01 00:00:00')".to_owned(),
        format!("INSERT INTO payment_attempts (id, invoice_id, merchant_reference, gateway, gateway_reference, \
         amount_minor, currency, status, needs_review, review_reason, created_at, updated_at) VALUES \
         (40, 7, 'WT-M-1', 'azampay', '00123', 100, 'TZS', 'pending', {t}, 'amount differs', '2026-01-01 00:00:00', '2026-01-02 00:00:00'), \
         (41, 7, 'WT-M-2', 'pesapal', NULL, 100, 'TZS', 'reversed', {t}, NULL, '2026-01-01 00:00:00', '2026-01-02 00:00:00'), \
         (42, 7, 'WT-M-3', 'pesapal', NULL, 100, 'TZS', 'failed', {f}, NULL, '2026-01-01 00:00:00', '2026-01-02 00:00:00')"),
        "INSERT INTO payment_events (id, attempt_id, gateway, kind, dedupe_key, payload, received_at, outcome) \
         VALUES (9, 40, 'azampay', 'callback', 'k', '{}', '2026-01-02 00:00:00', 'x')".to_owned(),
    ] {
        diesel::sql_query(sql).execute(&mut **conn).unwrap();
    }
    let state = |conn: &mut DbConnection| {
        lines(
            conn,
            "SELECT merchant_reference || ' ' || status || ' ' || COALESCE(gateway_reference, '-') \
        || ' ' || COALESCE(review_reason, '-') AS line FROM payment_attempts",
        )
    };
    let before = state(&mut conn);
    run_next_migration(&mut conn).unwrap();
    assert_eq!(
        state(&mut conn),
        [
            "WT-M-1 review 00123 amount differs",
            "WT-M-2 reversed - -",
            "WT-M-3 failed - -"
        ]
    );
    assert_eq!(
        lines(
            &mut conn,
            "SELECT attempt_id || ' ' || COALESCE(from_status, '-') || ' ' || to_status || ' ' || cause AS line \
            FROM attempt_status_history WHERE attempt_id = 40"
        ),
        [
            "40 - pending recorded before the state history was kept",
            "40 pending review amount differs"
        ]
    );
    assert_eq!(
        lines(
            &mut conn,
            "SELECT CAST(attempt_id AS TEXT) AS line FROM payment_events"
        ),
        ["40"]
    );
    // On SQLite (rebuilt tables) a new attempt takes the next id of the kept sequence.
    if db.backend() == Backend::Sqlite {
        diesel::sql_query("INSERT INTO payment_attempts (invoice_id, merchant_reference, gateway, amount_minor, currency, status, created_at, updated_at) \
        VALUES (7, 'WT-M-4', 'azampay', 100, 'TZS', 'review', '2026-01-03 00:00:00', '2026-01-03 00:00:00')")
        .execute(&mut **conn)
        .unwrap();
        assert_eq!(
            lines(
                &mut conn,
                "SELECT CAST(id AS TEXT) AS line FROM payment_attempts WHERE merchant_reference = 'WT-M-4'"
            ),
            ["43"]
        );
        diesel::sql_query("DELETE FROM payment_attempts WHERE merchant_reference = 'WT-M-4'")
            .execute(&mut **conn)
            .unwrap();
    }
    revert_last_migration(&mut conn).unwrap();
    assert_eq!(state(&mut conn), before);
    assert_eq!(
        lines(
            &mut conn,
            "SELECT merchant_reference || ' ' || CAST(needs_review AS TEXT) AS line FROM payment_attempts"
        ),
        match db.backend() {
            Backend::Sqlite => ["WT-M-1 1", "WT-M-2 1", "WT-M-3 0"],
            Backend::Postgres => ["WT-M-1 true", "WT-M-2 true", "WT-M-3 false"],
        }
    );
}

on_empty_databases!(
    down_reverses_up,
    concurrent_migrators_apply_once,
    the_review_migration_keeps_every_row,
    the_refunds_migration_keeps_every_invoice
);

wetech_test_db::backend_tests! {
    fn the_default_catalogue_is_seeded(db: &TestDb) {
        let list = services::list_active(&mut db.conn()).unwrap();
        let got: Vec<(&str, &str, i64, &str)> = list
            .iter()
            .map(|s| (s.code.as_str(), s.name.as_str(), s.price_minor, s.currency.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("WEB-BASIC", "Business website", 50_000_000, "TZS"),
                ("WEB-PRO", "E-commerce website", 150_000_000, "TZS"),
                ("HOSTING", "Hosting, one year", 12_000_000, "TZS"),
            ]
        );
        assert!(list.iter().all(|s| s.active));
    }
}
