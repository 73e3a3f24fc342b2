//! Drawing receipts: 1 000 different receipts in a row (each its own invoice number, client
//! and confirmation code), English and Swahili alternating, through `render_pdf` as the page
//! and the e-mail call it. The target is under 20 ms a receipt.
//!
//! `cargo bench -p wetech-receipt` (also run by `just bench`). Results: docs/benchmarks.md,
//! "Receipts".
#![expect(clippy::unwrap_used, reason = "benchmark")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wetech_i18n::Language;
use wetech_receipt::{CompanySettings, Receipt, render_pdf};

const RECEIPTS: u64 = 1_000;

fn receipt(n: u64) -> Receipt {
    Receipt {
        invoice_number: format!("INV-2026-{n:06}"),
        client_name: format!("Zawadi Mushi {n}"),
        service: "Business website".to_owned(),
        currency: "TZS".to_owned(),
        amount: format!("{}.00", 500_000 + n),
        paid_at: chrono::DateTime::parse_from_rfc3339("2026-03-03T14:05:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
        gateway: "Pesapal".to_owned(),
        confirmation_code: format!("PSP-{n:08X}"),
        refunded: false,
    }
}

fn thousand_in_a_row(c: &mut Criterion) {
    let company = CompanySettings {
        address: Some("P.O. Box 1234, Dar es Salaam".to_owned()),
        tin: Some("123-456-789".to_owned()),
        email: Some("info@wetech.co.tz".to_owned()),
        ..CompanySettings::default()
    };
    let receipts: Vec<Receipt> = (0..RECEIPTS).map(receipt).collect();
    let mut group = c.benchmark_group("receipt");
    group.throughput(Throughput::Elements(RECEIPTS));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.bench_function("1000 receipts in a row", |b| {
        b.iter(|| {
            for (i, r) in receipts.iter().enumerate() {
                let language = if i % 2 == 0 {
                    Language::En
                } else {
                    Language::Sw
                };
                black_box(render_pdf(&company, r, language).unwrap());
            }
        });
    });
    group.finish();

    // The slowest single receipt of one more run, against the 20 ms target.
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    for r in &receipts {
        let one = Instant::now();
        black_box(render_pdf(&company, r, Language::Sw).unwrap());
        slowest = slowest.max(one.elapsed());
    }
    let each = started.elapsed() / u32::try_from(RECEIPTS).unwrap();
    println!("receipt: {RECEIPTS} in a row: {each:?} each on average, slowest {slowest:?}");
}

criterion_group!(benches, thousand_in_a_row);
criterion_main!(benches);
