//! HTML pages: extraction alone, and the service's whole parse stage
//! (decode, extract, read the markup, enrich, fingerprint), single-threaded,
//! on the median-sized page of the article-extraction benchmark and on the
//! network's own seed page as HTML.
//!
//! Run: `cargo bench -p tickertape-articles --bench html`. The benchmark's
//! pages are read from `../shared/benchmarks/article-extraction` beside the
//! checkout, or `TICKERTAPE_EXTRACTION_BENCHMARK`.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tickertape_articles::config::ArticlesSettings;
use tickertape_articles::enrich::Enricher;
use tickertape_articles::html::{read_html, HtmlLimits};
use tickertape_articles::metrics::ArticleMetrics;
use tickertape_articles::processor::ParseStage;
use tickertape_processor::Input;

// The allocator the service binaries use.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SEED_HTML: &str = include_str!("../../../tests/fixtures/articles/seed-article.html");

/// The benchmark's page of median size, decompressed, and its name.
fn median_benchmark_page() -> (String, Vec<u8>) {
    let folder = std::env::var_os("TICKERTAPE_EXTRACTION_BENCHMARK")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/benchmarks/article-extraction")
        })
        .join("html");
    let mut pages: Vec<(String, Vec<u8>)> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (set TICKERTAPE_EXTRACTION_BENCHMARK)",
                folder.display()
            )
        })
        .map(|entry| {
            let path = entry.expect("a readable folder").path();
            let mut page = Vec::new();
            flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("a readable page"))
                .read_to_end(&mut page)
                .expect("a gzip page");
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                page,
            )
        })
        .collect();
    pages.sort_by_key(|(_, page)| page.len());
    pages.swap_remove(pages.len() / 2)
}

fn html_pages(c: &mut Criterion) {
    let stage = ParseStage::new(
        &ArticlesSettings::default(),
        Arc::new(Enricher::builtin()),
        ArticleMetrics::unregistered(),
    );
    let (name, median) = median_benchmark_page();
    eprintln!("median benchmark page: {name}, {} bytes", median.len());
    let median_text = String::from_utf8_lossy(&median).into_owned();
    let mut group = c.benchmark_group("html");
    group.throughput(Throughput::Elements(1));
    for (label, page) in [
        ("median_benchmark_page", &median[..]),
        ("seed_page", SEED_HTML.as_bytes()),
    ] {
        let input = Input {
            headers: vec![("content-type", b"text/html")],
            ..Input::unkeyed("articles.raw", page, Utc::now())
        };
        assert!(stage.article_of(&input).is_ok(), "{label} reads");
        group.bench_function(format!("parse_stage_{label}"), |b| {
            b.iter(|| black_box(stage.article_of(black_box(&input)).is_ok()))
        });
    }
    group.bench_function("extraction_only_median_benchmark_page", |b| {
        b.iter(|| black_box(read_html(black_box(&median_text), &HtmlLimits::default()).is_ok()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // A page takes milliseconds: fewer samples keep the run short.
    config = Criterion::default().sample_size(20);
    targets = html_pages
}
criterion_main!(benches);
