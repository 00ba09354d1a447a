//! The articles service's settings: the flags and `TICKERTAPE_…` variables
//! an operator sets ([`ArticlesArgs`]), and the checked settings the stages
//! are built from ([`ArticlesSettings`]).

use tickertape_processor::settings::{at_least_one, span_s, TimeBounds, TimeBoundsArgs};
use tickertape_processor::SettingsError;

use crate::dedupe::DedupeRules;
use crate::enrich::Enrichment;
use crate::html::HtmlLimits;
use crate::page::PageLimits;

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
    /// Longest title, in characters; longer pages are dead-lettered (`over_limit`).
    #[arg(long, env = "TICKERTAPE_MAX_TITLE_CHARS", default_value_t = PageLimits::default().title_chars)]
    pub max_title_chars: usize,
    /// Most body paragraphs and subheadings; more are dead-lettered (`over_limit`).
    #[arg(long, env = "TICKERTAPE_MAX_PARAGRAPHS", default_value_t = PageLimits::default().paragraphs)]
    pub max_paragraphs: usize,
    /// Longest paragraph, in characters; longer are dead-lettered (`over_limit`).
    #[arg(long, env = "TICKERTAPE_MAX_PARAGRAPH_CHARS", default_value_t = PageLimits::default().paragraph_chars)]
    pub max_paragraph_chars: usize,
    /// Most ticker-strip lines on a page; more are dead-lettered (`over_limit`).
    #[arg(long, env = "TICKERTAPE_MAX_STRIP_LINES", default_value_t = PageLimits::default().strip_lines)]
    pub max_strip_lines: usize,
    /// Deepest nesting of elements in an HTML page; deeper pages are
    /// dead-lettered (`over_limit`) before any extractor reads them.
    #[arg(long, env = "TICKERTAPE_MAX_HTML_DEPTH", default_value_t = HtmlLimits::default().depth)]
    pub max_html_depth: usize,
    /// Most elements (start tags) in an HTML page; more are dead-lettered
    /// (`over_limit`).
    #[arg(long, env = "TICKERTAPE_MAX_HTML_ELEMENTS", default_value_t = HtmlLimits::default().elements)]
    pub max_html_elements: usize,
    /// Most countries, people, organisations and instruments of each kind on
    /// an article event; the first mentioned are kept, the rest dropped.
    #[arg(long, env = "TICKERTAPE_MAX_ENTITIES", default_value_t = 200)]
    pub max_entities: usize,
    /// Most quotes on an article event; the first are kept, the rest dropped.
    #[arg(long, env = "TICKERTAPE_MAX_QUOTES", default_value_t = 200)]
    pub max_quotes: usize,
    /// How long a story is remembered for deduplication, on the processing
    /// clock (not the pages' own times).
    #[arg(long, env = "TICKERTAPE_DEDUPE_WINDOW_S", default_value_t = 7 * 86_400)]
    pub dedupe_window_s: u64,
    /// Most stories remembered.
    #[arg(long, env = "TICKERTAPE_DEDUPE_MAX_STORIES", default_value_t = 500_000)]
    pub dedupe_max_stories: usize,
    /// Least estimated Jaccard similarity (0 to 1) for an article to be an update of a story.
    #[arg(long, env = "TICKERTAPE_UPDATE_SIMILARITY", default_value_t = 0.5)]
    pub update_similarity: f64,
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

    /// The settings the stages are built from, checked.
    ///
    /// Fails when the similarity is outside (0, 1], a bound is zero, or the
    /// window is longer than a century.
    pub fn settings(
        &self,
        time_bounds: &TimeBoundsArgs,
    ) -> Result<ArticlesSettings, SettingsError> {
        if !(self.update_similarity > 0.0 && self.update_similarity <= 1.0) {
            return Err(SettingsError::new(
                "--update-similarity (TICKERTAPE_UPDATE_SIMILARITY)",
                self.update_similarity,
                "must be in (0, 1]",
            ));
        }
        Ok(ArticlesSettings {
            topics: ArticleTopics {
                raw: self.raw_topic.clone(),
                parsed: self.parsed_topic.clone(),
                enriched: self.enriched_topic.clone(),
                duplicates: self.duplicates_topic.clone(),
                dead_letters: self.articles_dlq_topic.clone(),
                strip_ticks: self.strip_ticks_topic.clone(),
            },
            time_bounds: time_bounds.bounds()?,
            max_message_bytes: at_least_one(
                "--max-message-bytes (TICKERTAPE_MAX_MESSAGE_BYTES)",
                self.max_message_bytes,
            )?,
            page_limits: PageLimits {
                title_chars: at_least_one(
                    "--max-title-chars (TICKERTAPE_MAX_TITLE_CHARS)",
                    self.max_title_chars,
                )?,
                paragraphs: at_least_one(
                    "--max-paragraphs (TICKERTAPE_MAX_PARAGRAPHS)",
                    self.max_paragraphs,
                )?,
                paragraph_chars: at_least_one(
                    "--max-paragraph-chars (TICKERTAPE_MAX_PARAGRAPH_CHARS)",
                    self.max_paragraph_chars,
                )?,
                strip_lines: self.max_strip_lines,
            },
            html_limits: HtmlLimits {
                depth: at_least_one(
                    "--max-html-depth (TICKERTAPE_MAX_HTML_DEPTH)",
                    self.max_html_depth,
                )?,
                elements: at_least_one(
                    "--max-html-elements (TICKERTAPE_MAX_HTML_ELEMENTS)",
                    self.max_html_elements,
                )?,
            },
            output_limits: OutputLimits {
                entities: self.max_entities,
                quotes: self.max_quotes,
            },
            dedupe: DedupeRules {
                window: span_s(
                    "--dedupe-window-s (TICKERTAPE_DEDUPE_WINDOW_S)",
                    self.dedupe_window_s,
                )?,
                max_stories: at_least_one(
                    "--dedupe-max-stories (TICKERTAPE_DEDUPE_MAX_STORIES)",
                    self.dedupe_max_stories,
                )?,
                update_similarity: self.update_similarity,
            },
        })
    }
}

/// The topics the articles service reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleTopics {
    /// Raw pages in.
    pub raw: String,
    /// The internal one-partition hand-over from the parse to the dedupe stage.
    pub parsed: String,
    /// Article events out (key: story_id).
    pub enriched: String,
    /// Syndicated copies out (key: story_id).
    pub duplicates: String,
    /// Rejected pages, with their original bytes.
    pub dead_letters: String,
    /// Strip lines as ticks, for the prices service (key: symbol).
    pub strip_ticks: String,
}

/// The most entities (of each kind) and quotes on one article event; a
/// page naming more keeps those mentioned first. Zero keeps none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimits {
    /// Countries, people, organisations and instruments, each.
    pub entities: usize,
    /// Quotes.
    pub quotes: usize,
}

impl OutputLimits {
    /// Keeps the first entities of each kind and the first quotes (every
    /// list is in order of first mention).
    pub fn apply(&self, enrichment: &mut Enrichment) {
        let entities = &mut enrichment.entities;
        entities.countries.truncate(self.entities);
        entities.people.truncate(self.entities);
        entities.organizations.truncate(self.entities);
        enrichment.instruments.truncate(self.entities);
        enrichment.quotes.truncate(self.quotes);
    }
}

/// What the articles stages are built from: every value checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticlesSettings {
    /// Topic names.
    pub topics: ArticleTopics,
    /// Larger messages are dead-lettered (`too_large`).
    pub max_message_bytes: usize,
    /// Pages with a larger part are dead-lettered (`over_limit`).
    pub page_limits: PageLimits,
    /// HTML pages of a larger shape are dead-lettered (`over_limit`).
    pub html_limits: HtmlLimits,
    /// How many entities and quotes an event carries at most.
    pub output_limits: OutputLimits,
    /// Pages fetched further ahead of the clock (`future_time`) or before
    /// the earliest time (`too_early`) are dead-lettered.
    pub time_bounds: TimeBounds,
    /// The dedupe stage's rules.
    pub dedupe: DedupeRules,
}

impl Default for ArticlesSettings {
    /// The documented defaults, with any `TICKERTAPE_…` variable of this
    /// service applied (they are read as the flags' defaults are); for
    /// tests, benchmarks and the demo.
    fn default() -> Self {
        ArticlesArgs::defaults()
            .settings(&TimeBoundsArgs::default())
            .expect("the defaults are valid (checked by a unit test)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickertape_processor::settings::MAX_SPAN_S;

    #[test]
    fn the_defaults_are_valid() {
        let settings = ArticlesArgs::defaults()
            .settings(&TimeBoundsArgs::default())
            .unwrap();
        assert_eq!(settings.dedupe, DedupeRules::default());
        assert_eq!(settings.topics.raw, "articles.raw");
    }

    /// A change to the defaults.
    type Change = fn(&mut ArticlesArgs);

    #[test]
    fn settings_at_their_extremes_are_accepted_or_named_never_a_panic() {
        let with = |change: fn(&mut ArticlesArgs)| {
            let mut args = ArticlesArgs::defaults();
            change(&mut args);
            args.settings(&TimeBoundsArgs::default())
        };
        assert!(with(|a| a.dedupe_window_s = MAX_SPAN_S).is_ok());
        assert!(with(|a| a.dedupe_window_s = 0).is_ok());
        assert!(with(|a| a.dedupe_max_stories = usize::MAX).is_ok());
        assert!(with(|a| a.max_message_bytes = usize::MAX).is_ok());
        assert!(with(|a| a.max_strip_lines = 0).is_ok(), "no strip accepted");
        assert!(with(|a| a.max_quotes = 0).is_ok(), "no quotes published");
        assert!(with(|a| a.update_similarity = 1.0).is_ok());
        let refused: &[(Change, &str)] = &[
            (|a| a.dedupe_window_s = u64::MAX, "--dedupe-window-s"),
            (|a| a.dedupe_window_s = i64::MAX as u64, "--dedupe-window-s"),
            (|a| a.dedupe_max_stories = 0, "--dedupe-max-stories"),
            (|a| a.max_message_bytes = 0, "--max-message-bytes"),
            (|a| a.max_title_chars = 0, "--max-title-chars"),
            (|a| a.max_paragraphs = 0, "--max-paragraphs"),
            (|a| a.max_paragraph_chars = 0, "--max-paragraph-chars"),
            (|a| a.update_similarity = 0.0, "--update-similarity"),
            (|a| a.update_similarity = 1.5, "--update-similarity"),
            (|a| a.update_similarity = f64::NAN, "--update-similarity"),
            (
                |a| a.update_similarity = f64::INFINITY,
                "--update-similarity",
            ),
        ];
        for &(change, setting) in refused {
            let error = with(change).unwrap_err();
            assert!(error.setting.starts_with(setting), "{error}");
        }
    }
}
