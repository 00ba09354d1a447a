//! Parse + enrich + fingerprint of one seed-sized page, single-threaded.
//! Run: `cargo bench -p tickertape-articles --bench pages`.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tickertape_articles::config::ArticlesSettings;
use tickertape_articles::enrich::Enricher;
use tickertape_articles::metrics::ArticleMetrics;
use tickertape_articles::processor::ParseStage;
use tickertape_processor::Input;

// The allocator the service binaries use.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SEED: &str = include_str!("../../../tests/fixtures/articles/seed-article.txt");

fn parse_enrich_fingerprint(c: &mut Criterion) {
    let stage = ParseStage::new(
        &ArticlesSettings::default(),
        Arc::new(Enricher::builtin()),
        ArticleMetrics::unregistered(),
    );
    let input = Input::unkeyed("articles.raw", SEED.as_bytes(), Utc::now());
    let mut group = c.benchmark_group("articles");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_enrich_fingerprint_seed_page", |b| {
        b.iter(|| black_box(stage.article_of(black_box(&input)).is_ok()))
    });
    group.finish();
}

criterion_group!(benches, parse_enrich_fingerprint);
criterion_main!(benches);
