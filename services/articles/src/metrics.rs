//! The articles service's own metrics (the runtime's are in tickertape-core; the duplicates counter is shared, see
//! `tickertape_processor::shared_metrics`).

use prometheus::{IntCounterVec, Opts, Registry};
use tickertape_processor::shared_metrics::Tally;

use crate::html::Extractor;

/// Counters the stages update, each a [`Tally`]: a batch read again (an
/// aborted transaction, an outage) counts once. Each stage holds its own
/// copy and closes it with its batches.
#[derive(Debug, Clone)]
pub struct ArticleMetrics {
    /// `tickertape_articles_total{status}`: new, update, duplicate.
    pub new_articles: Tally,
    /// See `new_articles`.
    pub updates: Tally,
    /// See `new_articles`.
    pub duplicates: Tally,
    /// `tickertape_strip_lines_total{outcome="published"}`: strip lines
    /// published as ticks.
    pub strip_lines_published: Tally,
    /// `tickertape_strip_lines_total{outcome="malformed"}`: strip lines that
    /// did not parse (dropped as chrome).
    pub strip_lines_malformed: Tally,
    /// The runtime's `tickertape_duplicates_total{kind="syndicated_copy"}`.
    pub syndicated_copies: Tally,
    /// The runtime's `tickertape_duplicates_total{kind="update"}`.
    pub updated_stories: Tally,
    /// `tickertape_html_pages_total{extractor}`: HTML pages read, by the
    /// extractor whose text became the body.
    pub html_pages_trafilatura: Tally,
    /// See `html_pages_trafilatura`.
    pub html_pages_readability: Tally,
}

impl ArticleMetrics {
    /// Creates and registers the metrics; `duplicates` is the runtime's
    /// counter, shared by every service of the process.
    ///
    /// Fails if they are already registered in `registry`.
    pub fn register(registry: &Registry, duplicates: IntCounterVec) -> prometheus::Result<Self> {
        let articles = IntCounterVec::new(
            Opts::new(
                "tickertape_articles_total",
                "Articles by dedupe status: new, update, duplicate.",
            ),
            &["status"],
        )?;
        let strip_lines = IntCounterVec::new(
            Opts::new(
                "tickertape_strip_lines_total",
                "Ticker-strip lines found on pages, by outcome: published, malformed.",
            ),
            &["outcome"],
        )?;
        let html_pages = IntCounterVec::new(
            Opts::new(
                "tickertape_html_pages_total",
                "HTML pages read, by the extractor whose text became the body: trafilatura, readability.",
            ),
            &["extractor"],
        )?;
        registry.register(Box::new(html_pages.clone()))?;
        registry.register(Box::new(articles.clone()))?;
        registry.register(Box::new(strip_lines.clone()))?;
        // Every series of a fixed label set exists from start-up, at 0: a
        // dashboard shows 0, not "no data".
        Ok(ArticleMetrics {
            new_articles: Tally::new(articles.with_label_values(&["new"])),
            updates: Tally::new(articles.with_label_values(&["update"])),
            duplicates: Tally::new(articles.with_label_values(&["duplicate"])),
            strip_lines_published: Tally::new(strip_lines.with_label_values(&["published"])),
            strip_lines_malformed: Tally::new(strip_lines.with_label_values(&["malformed"])),
            syndicated_copies: Tally::new(duplicates.with_label_values(&["syndicated_copy"])),
            updated_stories: Tally::new(duplicates.with_label_values(&["update"])),
            html_pages_trafilatura: Tally::new(html_pages.with_label_values(&["trafilatura"])),
            html_pages_readability: Tally::new(html_pages.with_label_values(&["readability"])),
        })
    }

    /// Publishes (committed) or drops what the closed batch counted.
    pub fn batch_closed(&self, committed: bool) {
        for tally in [
            &self.new_articles,
            &self.updates,
            &self.duplicates,
            &self.strip_lines_published,
            &self.strip_lines_malformed,
            &self.syndicated_copies,
            &self.updated_stories,
            &self.html_pages_trafilatura,
            &self.html_pages_readability,
        ] {
            tally.close(committed);
        }
    }

    /// The tally of HTML pages read by `extractor`.
    pub fn html_pages(&self, extractor: Extractor) -> &Tally {
        match extractor {
            Extractor::Trafilatura => &self.html_pages_trafilatura,
            Extractor::Readability => &self.html_pages_readability,
        }
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
