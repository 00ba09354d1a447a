//! Memory of the price book with N symbols: the process's peak resident set
//! (VmHWM, Linux) before and after ticks for N symbols (with the alert
//! window's history and the repeat filter filled), for the RSS figure in
//! docs/BENCHMARKS.md.
//!
//! `book_memory [N] [TICKS_PER_SYMBOL]` (default 10,000 and 50)

use chrono::{TimeDelta, Utc};
use tickertape_market::instruments::Catalog;
use tickertape_prices::config::PricesSettings;
use tickertape_prices::metrics::PriceMetrics;
use tickertape_prices::processor::PriceProcessor;
use tickertape_processor::{Input, Outcome, Processor};

/// The process's peak resident set, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let symbols: usize = args
        .next()
        .map_or(10_000, |n| n.parse().expect("N is a count"));
    let per_symbol: usize = args.next().map_or(50, |n| n.parse().expect("a count"));
    let before = peak_rss_mib();
    let mut processor = PriceProcessor::new(
        &PricesSettings::default(),
        Catalog::builtin(),
        PriceMetrics::unregistered(),
    );
    let now = Utc::now() - TimeDelta::hours(1);
    let mut published = 0usize;
    for round in 0..per_symbol {
        for symbol in 0..symbols {
            let tick = format!(
                r#"{{"symbol":"S{symbol:05}","price":"{}.{:02}","ts":"{}"}}"#,
                100 + (symbol + round) % 50,
                round % 100,
                (now + TimeDelta::milliseconds((round * 1000) as i64)).to_rfc3339()
            );
            let input = Input {
                partition: (symbol % 6) as i32,
                ..Input::unkeyed("ticks.raw", tick.as_bytes(), Utc::now())
            };
            if let Outcome::Publish(records) = processor.process(&input) {
                published += records.len();
            }
        }
        // Changelog writes happen once per commit in the service.
        let _ = processor.take_state_changes();
        processor.batch_closed(true);
    }
    let after = peak_rss_mib();
    println!(
        "symbols {symbols} x {per_symbol} ticks ({published} records) | state entries {} | peak RSS before {before:.1} MiB, after {after:.1} MiB",
        processor.state_entries()
    );
}
