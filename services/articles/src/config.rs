//! The articles service's settings: flags and `TICKERTAPE_…` variables.

use chrono::TimeDelta;
use tickertape_core::config::ServiceArgs;

use crate::dedupe::DedupeRules;

/// Topic names and limits of the articles service.
#[derive(Debug, Clone, clap::Args)]
pub struct ArticlesArgs {
    /// Input topic of raw pages (raw text or JSON envelopes).
    #[arg(
        long,
        env = "TICKERTAPE_ARTICLES_RAW_TOPIC",
        default_value = "articles.raw"
    )]
    pub raw_topic: String,
    /// Internal topic between the parse stage and the dedupe stage. It must
    /// have one partition: that is what makes dedupe see every article.
    #[arg(
        long,
        env = "TICKERTAPE_ARTICLES_PARSED_TOPIC",
        default_value = "articles.parsed"
    )]
    pub parsed_topic: String,
    /// Output topic of article events (key: story_id).
    #[arg(
        long,
        env = "TICKERTAPE_ARTICLES_ENRICHED_TOPIC",
        default_value = "articles.enriched"
    )]
    pub enriched_topic: String,
    /// Output topic of syndicated copies (key: story_id).
    #[arg(
        long,
        env = "TICKERTAPE_ARTICLES_DUPLICATES_TOPIC",
        default_value = "articles.duplicates"
    )]
    pub duplicates_topic: String,
    /// Dead-letter topic for pages that cannot be processed.
    #[arg(
        long,
        env = "TICKERTAPE_ARTICLES_DLQ_TOPIC",
        default_value = "articles.dlq"
    )]
    pub articles_dlq_topic: String,
    /// Where strip lines are published as ticks (key: symbol); the prices
    /// service's input, so it shares its environment variable.
    #[arg(long, env = "TICKERTAPE_TICKS_TOPIC", default_value = "ticks.raw")]
    pub strip_ticks_topic: String,
    /// Largest accepted message, in bytes; larger ones are dead-lettered.
    #[arg(
        long,
        env = "TICKERTAPE_MAX_MESSAGE_BYTES",
        default_value_t = 1_048_576
    )]
    pub max_message_bytes: usize,
    /// How long a story is remembered for deduplication.
    #[arg(long, env = "TICKERTAPE_DEDUPE_WINDOW_S", default_value_t = 7 * 86_400)]
    pub dedupe_window_s: u64,
    /// Most stories remembered.
    #[arg(long, env = "TICKERTAPE_DEDUPE_MAX_STORIES", default_value_t = 500_000)]
    pub dedupe_max_stories: usize,
    /// Least estimated Jaccard similarity (0 to 1) for an article to be an update of a story.
    #[arg(long, env = "TICKERTAPE_UPDATE_SIMILARITY", default_value_t = 0.5)]
    pub update_similarity: f64,
}

/// Every flag of `tickertape-articles`.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "tickertape-articles",
    version,
    about = "Raw pages to enriched, deduplicated article events."
)]
pub struct ArticlesConfig {
    /// Settings shared by every service.
    #[command(flatten)]
    pub service: ServiceArgs,
    /// This service's topics and limits.
    #[command(flatten)]
    pub articles: ArticlesArgs,
}

#[derive(clap::Parser)]
struct ArticlesCommandForDefaults {
    #[command(flatten)]
    articles: ArticlesArgs,
}

impl ArticlesArgs {
    /// The defaults, as if no flag were given (environment variables aside).
    pub fn defaults() -> Self {
        <ArticlesCommandForDefaults as clap::Parser>::parse_from(["articles"]).articles
    }

    /// The dedupe rules, checked.
    ///
    /// Fails when the similarity is outside (0, 1] or a bound is zero.
    pub fn dedupe_rules(&self) -> Result<DedupeRules, String> {
        if !(self.update_similarity > 0.0 && self.update_similarity <= 1.0) {
            return Err("--update-similarity must be in (0, 1]".into());
        }
        if self.dedupe_max_stories == 0 || self.max_message_bytes == 0 {
            return Err("--dedupe-max-stories and --max-message-bytes must be at least 1".into());
        }
        Ok(DedupeRules {
            window: TimeDelta::seconds(
                i64::try_from(self.dedupe_window_s).unwrap_or(i64::MAX / 1000),
            ),
            max_stories: self.dedupe_max_stories,
            update_similarity: self.update_similarity,
        })
    }
}
