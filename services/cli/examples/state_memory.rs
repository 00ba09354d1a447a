//! Memory of each stateful stage's state: the process's peak resident set
//! (VmHWM, Linux) before and after filling it, for the RSS figures in
//! docs/BENCHMARKS.md. One state per run, so each peak is its own.
//!
//! - `state_memory stories [N]`: the articles dedupe index with N distinct
//!   stories (default 500,000);
//! - `state_memory symbols [N] [TICKS]`: the price book with N symbols and
//!   TICKS ticks each (default 10,000 and 50), its alert-window history
//!   and repeat filter filled;
//! - `state_memory tape [SYMBOLS] [PRICES] [STORIES]`: the reactions join
//!   with PRICES price changes over SYMBOLS symbols, all retained, and
//!   STORIES stories waiting (default 10,000, 500,000 and 100,000: the
//!   benchmark's reactions row).

use chrono::{TimeDelta, Utc};
use tickertape_articles::dedupe::{ArticleId, DedupeRules, StoryIndex};
use tickertape_articles::fingerprint::Fingerprint;
use tickertape_market::instruments::Catalog;
use tickertape_prices::config::PricesSettings;
use tickertape_prices::metrics::PriceMetrics;
use tickertape_prices::processor::PriceProcessor;
use tickertape_processor::{Input, Outcome, Processor};
use tickertape_reactions::config::ReactionsSettings;
use tickertape_reactions::metrics::ReactionMetrics;
use tickertape_reactions::processor::ReactionJoin;

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |at: usize, default: usize| {
        args.get(at)
            .map_or(default, |n| n.parse().expect("a count"))
    };
    let before = peak_rss_mib();
    let what = match args.first().map(String::as_str) {
        Some("stories") => stories(number(1, 500_000)),
        Some("symbols") => symbols(number(1, 10_000), number(2, 50)),
        Some("tape") => tape(number(1, 10_000), number(2, 500_000), number(3, 100_000)),
        _ => {
            eprintln!("usage: state_memory stories [N] | symbols [N] [TICKS] | tape [SYMBOLS] [PRICES] [STORIES]");
            std::process::exit(2);
        }
    };
    let after = peak_rss_mib();
    println!("{what} | peak RSS before {before:.1} MiB, after {after:.1} MiB");
}

/// The dedupe index with `count` distinct stories of ~400 words.
fn stories(count: usize) -> String {
    let rules = DedupeRules {
        max_stories: count,
        ..DedupeRules::default()
    };
    let mut index = StoryIndex::default();
    let start = Utc::now();
    // Distinct word hashes per story (xorshift).
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut words = vec![0u64; 400];
    for n in 0..count {
        for word in words.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *word = state;
        }
        let print = Fingerprint::of(&words);
        let seen = start + TimeDelta::milliseconds(n as i64);
        index.decide(
            ArticleId(n as u64),
            print.body_hash,
            print.bins().expect("64 bins"),
            seen,
            &rules,
        );
        // The service hands the changes to its changelog at each commit.
        if n % 1_000 == 999 {
            index.take_changes();
        }
    }
    format!("dedupe index: {} stories", index.len())
}

/// The price book with `count` symbols, `per_symbol` ticks each.
fn symbols(count: usize, per_symbol: usize) -> String {
    let mut processor = PriceProcessor::new(
        &PricesSettings::default(),
        Catalog::builtin(),
        PriceMetrics::unregistered(),
    );
    let start = Utc::now() - TimeDelta::hours(1);
    let mut published = 0usize;
    for round in 0..per_symbol {
        for symbol in 0..count {
            let tick = format!(
                r#"{{"symbol":"S{symbol:05}","price":"{}.{:02}","ts":"{}"}}"#,
                100 + (symbol + round) % 50,
                round % 100,
                (start + TimeDelta::seconds(round as i64)).to_rfc3339()
            );
            let input = Input {
                partition: (symbol % 6) as i32,
                ..Input::unkeyed("ticks.raw", tick.as_bytes(), Utc::now())
            };
            if let Outcome::Publish(records) = processor.process(&input) {
                published += records.len();
            }
        }
        // The service writes its changelog once per commit.
        let _ = processor.take_state_changes();
        processor.batch_closed(true);
    }
    format!(
        "price book: {count} symbols x {per_symbol} ticks ({published} records), {} state entries",
        processor.state_entries()
    )
}

/// The reactions join with `prices` price changes over `symbols` symbols
/// (ten minutes of them) and `stories` stories after them, still waiting.
fn tape(symbols: usize, prices: usize, stories: usize) -> String {
    let mut join = ReactionJoin::new(
        &ReactionsSettings::default(),
        tickertape_market::sessions::TradingCalendar::builtin(),
        ReactionMetrics::unregistered(),
    );
    let start = Utc::now() - TimeDelta::hours(1);
    let stamp = |at: chrono::DateTime<Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut processed = 0usize;
    let mut feed = |topic: &str, symbol: usize, value: String| {
        let key = format!("S{symbol:05}");
        let input = Input {
            key: Some(key.as_bytes()),
            partition: (symbol % 6) as i32,
            ..Input::unkeyed(topic, value.as_bytes(), Utc::now())
        };
        assert!(matches!(join.process(&input), Outcome::Publish(_)));
        // The service writes its changelog once per commit.
        processed += 1;
        if processed.is_multiple_of(5_000) {
            let _ = join.take_state_changes();
        }
    };
    for n in 0..prices {
        let symbol = n % symbols;
        let at = start + TimeDelta::milliseconds((600_000 * n / prices.max(1)) as i64);
        feed(
            "prices.changes",
            symbol,
            format!(
                r#"{{"schema":"tickertape.price_change.v1","symbol":"S{symbol:05}","price":"{}.{:02}","event_time":"{}"}}"#,
                100 + n % 50,
                n % 100,
                stamp(at)
            ),
        );
    }
    for n in 0..stories {
        let symbol = n * 7919 % symbols;
        let t0 = start + TimeDelta::seconds((n % 600) as i64);
        feed(
            "reactions.mentions",
            symbol,
            format!(
                r#"{{"schema":"tickertape.story_mention.v1","story_id":"s{n:09}","story_version":1,"article_id":"a{n:09}","title":"Story {n} on S{symbol:05}","symbol":"S{symbol:05}","isin":null,"mic":"XNYS","published_at":"{}"}}"#,
                stamp(t0)
            ),
        );
    }
    let _ = join.take_state_changes();
    let (waiting, retained) = join.tapes().values().fold((0, 0), |(w, r), tape| {
        (w + tape.pending_stories(), r + tape.history_points())
    });
    format!(
        "reactions join: {symbols} symbols, {retained} prices retained, {waiting} stories waiting"
    )
}
