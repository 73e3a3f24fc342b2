//! Seeds a database with a large history for the back-office benchmark
//! (`scripts/bench-backoffice.sh`, docs/benchmarks.md "Back office on 1 000 000 leads"):
//!
//! ```text
//! cargo run --release -p wetech-persistence --example seed_backoffice -- DATABASE_URL [LEADS]
//! ```
//!
//! Applies the migrations, then writes LEADS (default 1 000 000) leads, each with its own client
//! and its invoice, one lead every two minutes up to now, in one transaction of three
//! `INSERT … SELECT` statements over a generated series (a recursive CTE on SQLite,
//! `generate_series` on PostgreSQL), so the search tables' triggers and every index are kept as
//! the application keeps them. Client `i` is `client{i}@example.com`, phone `+255` then
//! `710000000 + i`, named from 16 first names and 8 000 surnames of three syllables; 70 % of the
//! invoices are paid, 25 % unpaid, 5 % void. PostgreSQL is then vacuumed and analysed (what
//! autovacuum does to a database that has lived); SQLite is left as the application leaves it.

use std::error::Error;
use std::time::Instant;

use diesel::RunQueryDsl as _;
use diesel::connection::SimpleConnection as _;
use wetech_persistence::{Backend, DatabaseSettings, DbConnection, DbConnectionManager};

const FIRST_NAMES: [&str; 16] = [
    "Asha", "Baraka", "Chausiku", "Daudi", "Eliya", "Fatuma", "Gideon", "Halima", "Imani", "Juma",
    "Khadija", "Laini", "Mosi", "Neema", "Omari", "Pendo",
];
/// Surname syllables, each at most 3 letters (read back with `substr` from a padded string).
const SYLLABLES: [&str; 20] = [
    "ba", "ki", "mwa", "nde", "ra", "to", "ju", "ma", "ku", "se", "li", "wa", "ne", "ha", "zi",
    "go", "pe", "shi", "ya", "lu",
];

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: seed_backoffice DATABASE_URL [LEADS]")?;
    let leads: u64 = args.next().map_or(Ok(1_000_000), |n| n.parse())?;
    let mut conn = DbConnectionManager::new(&DatabaseSettings::new(&url))?.establish()?;
    wetech_persistence::run_migrations(&mut conn)?;
    let started = Instant::now();
    let backend = conn.backend();
    conn.batch_execute("BEGIN")?;
    for statement in statements(backend, leads) {
        diesel::sql_query(statement).execute(&mut conn)?;
        eprintln!("  {:>6.1} s", started.elapsed().as_secs_f64());
    }
    conn.batch_execute("COMMIT")?;
    if backend == Backend::Postgres {
        conn.batch_execute("VACUUM ANALYZE")?;
    }
    let seeded = started.elapsed();
    eprintln!(
        "seeded {leads} leads with their clients and invoices on {backend} in {:.1} s",
        seeded.as_secs_f64()
    );
    report(&mut conn)
}

/// The clients, leads and invoices inserts, in that order.
fn statements(backend: Backend, n: u64) -> [String; 3] {
    let (series, pad6, ago) = match backend {
        Backend::Sqlite => (
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})"
            ),
            "format('%06d', {})",
            format!("datetime('now', '-' || (({n} - n.i) * 120) || ' seconds')"),
        ),
        Backend::Postgres => (
            format!("WITH n(i) AS (SELECT generate_series(1, {n})::bigint)"),
            "lpad(({})::text, 6, '0')",
            format!("(now() AT TIME ZONE 'utc') - (({n} - n.i) * interval '120 seconds')"),
        ),
    };
    let pad6 = |expr: &str| pad6.replace("{}", expr);
    let first: String = FIRST_NAMES.iter().map(|f| format!("{f:<8}")).collect();
    let syllables: String = SYLLABLES.iter().map(|s| format!("{s:<3}")).collect();
    // The positions are cast: PostgreSQL has substr(text, integer, integer), not bigint.
    let syllable =
        |k: &str| format!("rtrim(substr('{syllables}', CAST(1 + 3 * ({k}) AS INTEGER), 3))");
    let surname = format!(
        "upper(substr({a}, 1, 1)) || substr({a}, 2) || {b} || {c}",
        a = syllable("(n.i / 16) % 20"),
        b = syllable("(n.i / 320) % 20"),
        c = syllable("(n.i / 6400) % 20"),
    );
    let name = format!(
        "rtrim(substr('{first}', CAST(1 + 8 * (n.i % 16) AS INTEGER), 8)) || ' ' || {surname}"
    );
    let email = "'client' || n.i || '@example.com'";
    let public_id = match backend {
        Backend::Sqlite => {
            "substr('AAAAAAAAAAAAAAAAAAAAA', 1, 21 - length(CAST(l.id AS TEXT))) || l.id || 'A'"
        }
        Backend::Postgres => "lpad(l.id::text, 21, 'A') || 'A'",
    };
    let number = format!(
        "'INV-' || (2022 + (l.id - 1) / 250000) || '-' || {}",
        pad6("(l.id - 1) % 250000 + 1")
    );
    [
        format!(
            "{series} INSERT INTO clients (email, email_normalized, name, phone, company, created_at, updated_at) \
             SELECT {email}, {email}, {name}, '+255' || (710000000 + n.i), \
                    CASE WHEN n.i % 5 = 0 THEN {surname} || ' Ltd' END, {ago}, {ago} FROM n"
        ),
        format!(
            "INSERT INTO leads (client_id, service_id, message, created_at, sales_status, language) \
             SELECT c.id, (SELECT min(id) FROM services WHERE active), 'Habari, tunahitaji tovuti.', c.created_at, \
                    CASE WHEN c.id > {recent} THEN 'new' ELSE \
                    (CASE c.id % 4 WHEN 0 THEN 'contacted' WHEN 1 THEN 'qualified' WHEN 2 THEN 'won' ELSE 'lost' END) END, \
                    CASE WHEN c.id % 3 = 0 THEN 'sw' ELSE 'en' END \
             FROM clients c ORDER BY c.id",
            recent = n - n / 10
        ),
        format!(
            "INSERT INTO invoices (public_id, number, client_id, lead_id, service_code, service_name, amount_minor, \
                                   currency, status, issued_at, paid_at, updated_at) \
             SELECT {public_id}, {number}, l.client_id, l.id, s.code, s.name, s.price_minor, s.currency, \
                    CASE WHEN l.id % 20 < 14 THEN 'paid' WHEN l.id % 20 < 19 THEN 'unpaid' ELSE 'void' END, \
                    l.created_at, CASE WHEN l.id % 20 < 14 THEN l.created_at END, l.created_at \
             FROM leads l JOIN services s ON s.id = l.service_id ORDER BY l.id"
        ),
    ]
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Prints the row counts, so the script can check the seed.
fn report(conn: &mut DbConnection) -> Result<(), Box<dyn Error>> {
    for table in ["clients", "leads", "invoices"] {
        let count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<Count>(conn)?;
        println!("{table} {}", count.n);
    }
    Ok(())
}
