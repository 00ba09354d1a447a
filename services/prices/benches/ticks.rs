//! Parse + dedupe + change of JSON ticks, single-threaded, by stage.
//! Run: `cargo bench -p tickertape-prices --bench ticks`.
//!
//! The stream: 16 symbols, a price walk in cents, every fifth tick a repeat
//! of the one before (the dedupe path), so most ticks change a price and
//! publish an event (serialisation included).

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use std::hint::black_box;

use chrono::{TimeDelta, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tickertape_market::instruments::Catalog;
use tickertape_market::tick::parse_tick;
use tickertape_prices::book::{PriceBook, Rules};
use tickertape_prices::config::PricesSettings;
use tickertape_prices::metrics::PriceMetrics;
use tickertape_prices::processor::PriceProcessor;
use tickertape_processor::{Input, Processor};

// The allocator the service binaries use.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SYMBOLS: [&str; 16] = [
    "RBGPF", "CMSC", "RYCEF", "NGG", "GSK", "RIO", "AZN", "BTI", "BP", "RELX", "SCS", "CMSD",
    "JRI", "VOD", "BCC", "BCE",
];
const TICKS: usize = 10_000;

fn ticks() -> Vec<Vec<u8>> {
    let start = Utc::now() - TimeDelta::hours(1);
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(TICKS);
    let mut cents = [5_000i64; 16];
    for i in 0..TICKS {
        if i % 5 == 4 {
            out.push(out[i - 1].clone());
            continue;
        }
        let s = i % 16;
        cents[s] += if (i / 16) % 3 == 0 { -7 } else { 5 };
        let ts = (start + TimeDelta::milliseconds(i as i64 * 10)).to_rfc3339();
        out.push(
            format!(
                r#"{{"symbol":"{}","price":"{}.{:02}","ts":"{}","currency":"USD","seq":{}}}"#,
                SYMBOLS[s],
                cents[s] / 100,
                cents[s] % 100,
                ts,
                i
            )
            .into_bytes(),
        );
    }
    out
}

fn processor() -> PriceProcessor {
    PriceProcessor::new(
        &PricesSettings::default(),
        Catalog::builtin(),
        PriceMetrics::unregistered(),
    )
}

/// Three measurements of the same stream, each stage adding to the one
/// before, so the table shows where a tick's time goes:
/// - `parse`: bytes to a validated tick;
/// - `dedupe_change`: the price book's decision alone, on parsed ticks;
/// - `parse_dedupe_change`: plus the price book's decision (repeat, late,
///   unchanged, or the exact change and any alert);
/// - `process_to_records`: the whole processor, plus reference data, metrics,
///   the changelog bookkeeping and each event serialized to a Kafka record.
fn stages(c: &mut Criterion) {
    let payloads = ticks();
    let received_at = Utc::now();
    let rules = Rules::default();
    let mut group = c.benchmark_group("prices");
    group.throughput(Throughput::Elements(TICKS as u64));
    group.bench_function("parse", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(parse_tick(payload, received_at).expect("valid tick"));
            }
        })
    });
    let parsed: Vec<_> = payloads
        .iter()
        .map(|payload| parse_tick(payload, received_at).expect("valid tick"))
        .collect();
    group.bench_function("dedupe_change", |b| {
        b.iter_batched(
            PriceBook::default,
            |mut book| {
                for tick in &parsed {
                    black_box(book.apply(tick, &rules));
                }
                book
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("parse_dedupe_change", |b| {
        b.iter_batched(
            PriceBook::default,
            |mut book| {
                for payload in &payloads {
                    let tick = parse_tick(payload, received_at).expect("valid tick");
                    black_box(book.apply(&tick, &rules));
                }
                book
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("process_to_records", |b| {
        b.iter_batched(
            processor,
            |mut processor| {
                for (offset, payload) in payloads.iter().enumerate() {
                    let input = Input {
                        topic: "ticks.raw",
                        partition: 0,
                        offset: offset as i64,
                        key: None,
                        payload,
                        headers: Vec::new(),
                        timestamp: None,
                        received_at,
                    };
                    black_box(processor.process(&input));
                }
                processor
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
