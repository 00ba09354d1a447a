//! Runs N JSON ticks through the whole prices processor (parse, book,
//! reference data, metrics, changelog bookkeeping, events serialized to
//! records): a driver for counting instructions a tick (see
//! `services/articles/examples/page_cost.rs`). Every fifth tick repeats
//! the one before, as in the `ticks` benchmark.
//!
//! ```sh
//! cargo build --profile bench -p tickertape-prices --example process_cost
//! for n in 10000 110000; do valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$n target/release/examples/process_cost $n; done
//! # instructions a tick = (total at 110000 - total at 10000) / 100000
//! ```

use chrono::{TimeDelta, Utc};
use tickertape_market::instruments::Catalog;
use tickertape_prices::config::PricesSettings;
use tickertape_prices::metrics::PriceMetrics;
use tickertape_prices::processor::PriceProcessor;
use tickertape_processor::{Input, Outcome, Processor};
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
const SYMBOLS: [&str; 8] = ["BP", "VOD", "AZN", "RIO", "GSK", "NGG", "BTI", "RELX"];
fn main() {
    let n: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let start = Utc::now() - TimeDelta::hours(1);
    let mut processor = PriceProcessor::new(
        &PricesSettings::default(),
        Catalog::builtin(),
        PriceMetrics::unregistered(),
    );
    let mut cents = [5_000i64; SYMBOLS.len()];
    let mut payload = Vec::new();
    let mut records = 0;
    for i in 0..n {
        if i % 5 != 4 {
            let s = i % SYMBOLS.len();
            cents[s] += if (i / 16) % 3 == 0 { -7 } else { 5 };
            let ts = (start + TimeDelta::milliseconds(i as i64 * 10)).to_rfc3339();
            payload = format!(
                r#"{{"symbol":"{}","price":"{}.{:02}","ts":"{}","currency":"GBP","seq":{}}}"#,
                SYMBOLS[s],
                cents[s] / 100,
                cents[s] % 100,
                ts,
                i
            )
            .into_bytes();
        }
        let input = Input {
            topic: "ticks.raw",
            partition: 0,
            offset: i as i64,
            key: None,
            payload: &payload,
            headers: Vec::new(),
            timestamp: None,
            received_at: Utc::now(),
        };
        if let Outcome::Publish(out) = std::hint::black_box(processor.process(&input)) {
            records += out.len();
        }
    }
    println!("{records}");
}
