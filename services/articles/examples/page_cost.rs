//! Parses, enriches and fingerprints the seed page N times: a driver for
//! counting instructions a page, which are repeatable where seconds on a
//! shared machine are not.
//!
//! ```sh
//! cargo build --profile bench -p tickertape-articles --example page_cost
//! for n in 10 110; do valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$n target/bench/examples/page_cost $n; done
//! # instructions a page = (total at 110 - total at 10) / 100
//! ```

use std::sync::Arc;
use tickertape_articles::config::ArticlesSettings;
use tickertape_articles::enrich::Enricher;
use tickertape_articles::metrics::ArticleMetrics;
use tickertape_articles::processor::ParseStage;
use tickertape_processor::Input;
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() {
    let n: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let stage = ParseStage::new(
        &ArticlesSettings::default(),
        Arc::new(Enricher::builtin()),
        ArticleMetrics::unregistered(),
    );
    let page = include_str!("../../../tests/fixtures/articles/seed-article.txt");
    let input = Input::unkeyed("articles.raw", page.as_bytes(), chrono::Utc::now());
    let mut words = 0;
    for _ in 0..n {
        words += std::hint::black_box(stage.article_of(&input).unwrap())
            .article
            .word_count;
    }
    println!("{words}");
}
