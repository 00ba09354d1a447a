//! Runs the articles pipeline (parse, enrich, fingerprint, dedupe) over one
//! file, K times: a driver for counting the instructions one input costs,
//! for `tests/linearity/check_linear.py`.
//!
//! `input_cost FILE K`

use std::sync::Arc;

use tickertape_articles::config::{ArticlesSettings, OutputLimits};
use tickertape_articles::enrich::Enricher;
use tickertape_articles::metrics::ArticleMetrics;
use tickertape_articles::page::PageLimits;
use tickertape_articles::processor::ArticlePipeline;
use tickertape_processor::{Input, Outcome, Processor};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(times)) = (args.next(), args.next()) else {
        eprintln!("usage: input_cost FILE K");
        std::process::exit(2);
    };
    let times: usize = times.parse().expect("K is a count");
    let page = std::fs::read(&path).expect("the file is readable");
    // Limits lifted: what is measured is what the stages cost on inputs of
    // any size, not what the limits refuse before enrichment.
    let settings = ArticlesSettings {
        max_message_bytes: usize::MAX,
        page_limits: PageLimits {
            title_chars: usize::MAX,
            paragraphs: usize::MAX,
            paragraph_chars: usize::MAX,
            strip_lines: usize::MAX,
        },
        output_limits: OutputLimits {
            entities: usize::MAX,
            quotes: usize::MAX,
        },
        ..ArticlesSettings::default()
    };
    let mut pipeline = ArticlePipeline::new(
        &settings,
        Arc::new(Enricher::builtin()),
        ArticleMetrics::unregistered(),
    );
    let now = "2024-11-12T15:00:00Z".parse().expect("a valid time");
    let mut records = 0;
    for offset in 0..times {
        let input = Input {
            offset: offset as i64,
            ..Input::unkeyed("articles.raw", &page, now)
        };
        match pipeline.process(&input) {
            Outcome::Publish(published) => records += published.len(),
            Outcome::Reject(rejection) => {
                eprintln!("rejected: {} {}", rejection.reason, rejection.detail);
                std::process::exit(1);
            }
        }
    }
    println!("{records}");
}
