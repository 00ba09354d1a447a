//! How much memory the join's state takes: builds the tape the benchmark's
//! reactions row ends with (10,000 symbols, 50 retained prices each, 100,000
//! waiting stories, over 6 partitions) and prints the process's resident
//! memory before and after, from /proc/self/status.
//!
//!     cargo run --release -p tickertape-reactions --example state_size [SYMBOLS PRICES STORIES]

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::Decimal;
use tickertape_reactions::tape::{Mention, PartitionTape, Rules};

fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (symbols, prices, stories) = match args[..] {
        [s, p, n] => (s, p, n),
        _ => (10_000, 500_000, 100_000),
    };
    let partitions = 6;
    let rules = Rules::default();
    let start: DateTime<Utc> = "2024-11-12T15:00:00Z".parse().expect("a time");
    let before = resident_mib();
    let mut tapes: Vec<PartitionTape> = (0..partitions).map(|_| PartitionTape::default()).collect();
    for i in 0..prices {
        let symbol = format!("S{:05}", i % symbols);
        let at = start + TimeDelta::milliseconds((600_000 * i / prices) as i64);
        let price = Decimal::new(1000 + (i % 977) as i64, 2);
        tapes[i % symbols % partitions].apply_price(&symbol, at, price, &rules);
    }
    for i in 0..stories {
        let symbol = i * 7919 % symbols;
        let mention = Mention {
            story_id: format!("s{i:09}"),
            story_version: 1,
            article_id: format!("a{i:09}"),
            title: format!("Story {i} on S{symbol:05}"),
            symbol: format!("S{symbol:05}"),
            isin: None,
            mic: Some("XNYS".into()),
            published_at: start + TimeDelta::seconds((i % 600) as i64),
        };
        tapes[symbol % partitions].apply_mention(mention, &rules);
    }
    let after = resident_mib();
    let waiting: usize = tapes.iter().map(PartitionTape::pending_stories).sum();
    let retained: usize = tapes.iter().map(PartitionTape::history_points).sum();
    println!(
        "{symbols} symbols, {retained} prices retained, {waiting} stories waiting: {:.1} MiB resident ({:.1} before)",
        after - before,
        before
    );
}
