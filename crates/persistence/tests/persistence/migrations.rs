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

/// `table.column NULL|NOT NULL` for every column, comparable across backends.
fn columns(conn: &mut DbConnection) -> Vec<String> {
    match conn.backend() {
        Backend::Sqlite => lines(
            conn,
            "SELECT m.name || '.' || p.name || CASE WHEN p.\"notnull\" = 1 OR p.pk > 0 THEN ' NOT NULL' ELSE ' NULL' END AS line \
               FROM sqlite_master m JOIN pragma_table_info(m.name) p \
              WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name <> '__diesel_schema_migrations'",
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

on_empty_databases!(down_reverses_up, concurrent_migrators_apply_once);

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
