//! Memory of the dedupe index with N stories: the process's peak resident
//! set (VmHWM, Linux) before and after remembering N distinct stories, for
//! the RSS figure in docs/BENCHMARKS.md.
//!
//! `dedupe_memory [N]` (default 500,000)

use chrono::{TimeDelta, Utc};
use tickertape_articles::dedupe::{DedupeRules, StoryIndex};
use tickertape_articles::fingerprint::Fingerprint;

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
    let count: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse().expect("N is a count"))
        .unwrap_or(500_000);
    let before = peak_rss_mib();
    let rules = DedupeRules {
        max_stories: count,
        ..DedupeRules::default()
    };
    let mut index = StoryIndex::default();
    let start = Utc::now();
    // A story of ~400 words; distinct word hashes per story (xorshift).
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
        index.decide(&format!("{n:016x}"), &print, seen, &rules);
    }
    let after = peak_rss_mib();
    println!(
        "stories {} | peak RSS before {before:.1} MiB, after {after:.1} MiB | {:.0} bytes per story",
        index.len(),
        (after - before) * 1024.0 * 1024.0 / count.max(1) as f64
    );
}
