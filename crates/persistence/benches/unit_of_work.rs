//! The lead-submission unit of work (upsert client, insert lead, next invoice number, insert
//! invoice — plus the service lookup the use case does first) against a baseline of one
//! single-row insert per transaction, both through `UnitOfWork::write` with the production
//! settings (SQLite: a file on disk, WAL, `synchronous=FULL`, `BEGIN IMMEDIATE`).
//!
//! `cargo bench -p wetech-persistence` (PostgreSQL cases run when the test support can start or
//! reach a server). Results: docs/benchmarks.md.
#![expect(clippy::unwrap_used, reason = "benchmark")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use diesel::RunQueryDsl;
use wetech_domain::InvoiceStatus;
use wetech_persistence::clients::NewClient;
use wetech_persistence::invoices::NewInvoice;
use wetech_persistence::leads::NewLead;
use wetech_persistence::{
    DbConnection, PersistenceError, clients, invoices, leads, now_utc, services,
};
use wetech_test_db::TestDb;

/// What `POST /api/v1/leads` writes, in one transaction.
fn submit_lead(conn: &mut DbConnection, n: u64) -> Result<i64, PersistenceError> {
    let service =
        services::get_active_by_code(conn, "WEB-BASIC")?.ok_or(PersistenceError::NotFound)?;
    let email = format!("bench-{n}@example.com");
    let client = clients::upsert_by_email(
        conn,
        &NewClient {
            email: &email,
            name: "Neema Mushi",
            phone: "+255712345678",
            company: Some("Mushi & Sons"),
        },
    )?;
    let lead = leads::insert(
        conn,
        &NewLead {
            client_id: client.id,
            service_id: service.id,
            message: Some("Tunahitaji tovuti ya biashara."),
        },
    )?;
    let seq = invoices::next_invoice_sequence(conn, 2026)?;
    let number = format!("INV-2026-{seq:06}");
    let public_id = wetech_domain::PublicId::generate();
    let invoice = invoices::insert(
        conn,
        &NewInvoice {
            public_id: public_id.as_str(),
            number: &number,
            client_id: client.id,
            lead_id: Some(lead.id),
            service_code: service.code.as_str(),
            service_name: &service.name,
            amount_minor: service.price_minor,
            currency: service.currency.as_str(),
            status: InvoiceStatus::Unpaid,
            issued_at: now_utc(),
        },
    )?;
    Ok(invoice.id)
}

fn bench_backend(c: &mut Criterion, db: &TestDb) {
    let uow = db.unit_of_work();
    let (client_id, service_id) = uow
        .write(|tx| {
            let id = submit_lead(tx, 0)?;
            let invoice = invoices::find_by_id(tx, id)?.ok_or(PersistenceError::NotFound)?;
            let service =
                services::get_active_by_code(tx, "WEB-BASIC")?.ok_or(PersistenceError::NotFound)?;
            Ok::<_, PersistenceError>((invoice.client_id, service.id))
        })
        .unwrap();

    let mut group = c.benchmark_group(db.backend().as_str());
    group
        .throughput(Throughput::Elements(1))
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    group.bench_function("baseline_one_insert_per_tx", |b| {
        b.iter(|| {
            uow.write(|tx| {
                leads::insert(
                    tx,
                    &NewLead {
                        client_id,
                        service_id,
                        message: None,
                    },
                )
            })
            .unwrap()
        });
    });

    let mut n = 1_u64;
    group.bench_function("lead_unit_of_work", |b| {
        b.iter(|| {
            n += 1;
            black_box(uow.write(|tx| submit_lead(tx, n)).unwrap())
        });
    });
    group.finish();

    // The machine is shared and noisy: criterion measures the two cases minutes apart. Also
    // measure them interleaved (baseline, unit of work, baseline, …) so both see the same load.
    let (mut base, mut lead) = (Vec::new(), Vec::new());
    for _ in 0..300 {
        let t = Instant::now();
        uow.write(|tx| {
            leads::insert(
                tx,
                &NewLead {
                    client_id,
                    service_id,
                    message: None,
                },
            )
        })
        .unwrap();
        base.push(t.elapsed());
        n += 1;
        let t = Instant::now();
        uow.write(|tx| submit_lead(tx, n)).unwrap();
        lead.push(t.elapsed());
    }
    let (base, lead) = (median(&mut base), median(&mut lead));
    eprintln!(
        "{}: interleaved medians over 300 pairs: baseline {:.3} ms ({:.0} tx/s), unit of work \
         {:.3} ms ({:.0} tx/s); unit of work reaches {:.0} % of the baseline's tx/s",
        db.backend(),
        base.as_secs_f64() * 1e3,
        1.0 / base.as_secs_f64(),
        lead.as_secs_f64() * 1e3,
        1.0 / lead.as_secs_f64(),
        100.0 * base.as_secs_f64() / lead.as_secs_f64(),
    );
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The throwaway test server runs with fsync off for fast tests; measure with PostgreSQL's
/// durable defaults instead (an external `WETECH_TEST_POSTGRES_URL` server is left as it is).
fn make_postgres_durable(db: &TestDb) {
    let mut conn = db.conn();
    if std::env::var(wetech_test_db::POSTGRES_URL_ENV).is_err() {
        for sql in [
            "ALTER SYSTEM SET fsync = on",
            "ALTER SYSTEM SET synchronous_commit = on",
            "ALTER SYSTEM SET full_page_writes = on",
            "SELECT pg_reload_conf()",
        ] {
            diesel::sql_query(sql).execute(&mut **conn).unwrap();
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        setting: String,
    }
    let settings: Vec<String> = diesel::sql_query(
        "SELECT name || '=' || setting AS setting FROM pg_settings \
         WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes') ORDER BY name",
    )
    .load::<Setting>(&mut **conn)
    .unwrap()
    .into_iter()
    .map(|s| s.setting)
    .collect();
    eprintln!(
        "postgres settings for the benchmark: {}",
        settings.join(", ")
    );
}

fn unit_of_work(c: &mut Criterion) {
    bench_backend(c, &TestDb::sqlite());
    match TestDb::postgres() {
        Some(db) => {
            make_postgres_durable(&db);
            bench_backend(c, &db);
        }
        None => eprintln!("PostgreSQL unavailable: only SQLite was measured"),
    }
}

criterion_group!(benches, unit_of_work);
criterion_main!(benches);
