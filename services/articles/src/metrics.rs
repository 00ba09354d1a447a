//! The articles service's own metrics (the runtime's are in tickertape-core).

use prometheus::{IntCounterVec, IntGauge, Opts, Registry};

/// Counters both stages update.
#[derive(Debug, Clone)]
pub struct ArticleMetrics {
    /// Articles by dedupe status: new, update, duplicate.
    pub articles: IntCounterVec,
    /// Strip lines found on pages: published (as ticks) or malformed.
    pub strip_lines: IntCounterVec,
    /// Stories held in the dedupe index.
    pub stories: IntGauge,
}

impl ArticleMetrics {
    /// Creates and registers the metrics.
    ///
    /// Fails if they are already registered in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let metrics = ArticleMetrics {
            articles: IntCounterVec::new(
                Opts::new(
                    "tickertape_articles_total",
                    "Articles by dedupe status: new, update, duplicate.",
                ),
                &["status"],
            )?,
            strip_lines: IntCounterVec::new(
                Opts::new(
                    "tickertape_strip_lines_total",
                    "Ticker-strip lines found on pages, by outcome: published, malformed.",
                ),
                &["outcome"],
            )?,
            stories: IntGauge::new(
                "tickertape_story_index_entries",
                "Stories held in the dedupe index.",
            )?,
        };
        registry.register(Box::new(metrics.articles.clone()))?;
        registry.register(Box::new(metrics.strip_lines.clone()))?;
        registry.register(Box::new(metrics.stories.clone()))?;
        Ok(metrics)
    }

    /// Metrics registered nowhere, for offline runs and tests.
    pub fn unregistered() -> Self {
        Self::register(&Registry::new()).expect("a fresh registry has no conflicts")
    }
}
