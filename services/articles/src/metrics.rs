//! The articles service's own metrics (the runtime's are in tickertape-core; the duplicates counter is shared, see
//! `tickertape_processor::shared_metrics`).

use prometheus::{IntCounterVec, Opts, Registry};

/// Counters both stages update.
#[derive(Debug, Clone)]
pub struct ArticleMetrics {
    /// Articles by dedupe status: new, update, duplicate.
    pub articles: IntCounterVec,
    /// Strip lines found on pages: published (as ticks) or malformed.
    pub strip_lines: IntCounterVec,
    /// The runtime's duplicates counter (kinds syndicated_copy and update).
    pub duplicates: IntCounterVec,
}

impl ArticleMetrics {
    /// Creates and registers the metrics; `duplicates` is the runtime's
    /// counter, shared by every service of the process.
    ///
    /// Fails if they are already registered in `registry`.
    pub fn register(registry: &Registry, duplicates: IntCounterVec) -> prometheus::Result<Self> {
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
            duplicates,
        };
        // Every series of a fixed label set exists from start-up, at 0: a
        // dashboard shows 0, not "no data".
        for status in ["new", "update", "duplicate"] {
            metrics.articles.with_label_values(&[status]);
        }
        for outcome in ["published", "malformed"] {
            metrics.strip_lines.with_label_values(&[outcome]);
        }
        for kind in ["syndicated_copy", "update"] {
            metrics.duplicates.with_label_values(&[kind]);
        }
        registry.register(Box::new(metrics.articles.clone()))?;
        registry.register(Box::new(metrics.strip_lines.clone()))?;
        Ok(metrics)
    }

    /// Metrics registered nowhere, for offline runs and tests.
    pub fn unregistered() -> Self {
        Self::register(
            &Registry::new(),
            tickertape_processor::shared_metrics::unregistered_duplicates(),
        )
        .expect("a fresh registry has no conflicts")
    }
}
