//! Both articles stages, as `tickertape process` runs them, on any message:
//! records or a dead letter, never a panic. The story index carries over
//! from input to input, as in the service.
#![no_main]

use std::sync::{Arc, Mutex, OnceLock};

use tickertape_articles::config::ArticlesSettings;
use tickertape_articles::enrich::Enricher;
use tickertape_articles::metrics::ArticleMetrics;
use tickertape_articles::processor::ArticlePipeline;
use tickertape_processor::{Input, Processor};

fn pipeline() -> &'static Mutex<ArticlePipeline> {
    static PIPELINE: OnceLock<Mutex<ArticlePipeline>> = OnceLock::new();
    PIPELINE.get_or_init(|| {
        Mutex::new(ArticlePipeline::new(
            &ArticlesSettings::default(),
            Arc::new(Enricher::builtin()),
            ArticleMetrics::unregistered(),
        ))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_731_423_600, 0).expect("a valid time");
    let input = Input::unkeyed("articles.raw", data, now);
    let mut pipeline = pipeline().lock().unwrap_or_else(|p| p.into_inner());
    let _ = pipeline.process(&input);
});
