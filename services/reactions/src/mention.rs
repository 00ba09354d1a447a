//! The first stage: an article event in, one mention per instrument it
//! names out, keyed by symbol, to the internal topic partitioned like the
//! price changes. Stateless.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tickertape_processor::{json_record, Input, Outcome, Processor, Record, Rejection};

use crate::config::ReactionsSettings;
use crate::metrics::ReactionMetrics;
use crate::tape::Mention;

/// The schema of the internal mention records.
pub const MENTION_SCHEMA: &str = "tickertape.story_mention.v1";
/// The schema of the article events read.
pub const ARTICLE_SCHEMA: &str = "tickertape.article.v1";

/// What the first stage reads of an article event.
#[derive(Debug, Deserialize)]
struct ArticleIn {
    schema: String,
    id: String,
    story_id: String,
    version: u32,
    title: String,
    fetched_at: DateTime<Utc>,
    #[serde(default)]
    published_at: Option<DateTime<Utc>>,
    #[serde(default)]
    modified_at: Option<DateTime<Utc>>,
    instruments: Vec<InstrumentIn>,
}

#[derive(Debug, Deserialize)]
struct InstrumentIn {
    symbol: String,
    #[serde(default)]
    isin: Option<String>,
    #[serde(default)]
    mic: Option<String>,
}

/// A mention as it is written to the internal topic.
#[derive(Debug, Serialize, Deserialize)]
pub struct MentionRecord {
    /// [`MENTION_SCHEMA`].
    pub schema: String,
    /// The mention.
    #[serde(flatten)]
    pub mention: Mention,
}

impl ArticleIn {
    /// t0: when this version of the story ran. The page's own time when it
    /// gives one (published for a first version, modified for an update),
    /// else when it was fetched; never after it was fetched.
    fn published_at(&self) -> DateTime<Utc> {
        let page_time = if self.version <= 1 {
            self.published_at
        } else {
            self.modified_at
        };
        page_time.map_or(self.fetched_at, |time| time.min(self.fetched_at))
    }
}

/// The reasons the first stage dead-letters an input for.
pub const ROUTER_REJECTION_REASONS: &[&str] = &[
    "too_large",
    "invalid_article",
    "unknown_schema",
    "future_time",
    "too_early",
    "serialization",
];

/// Turns article events into symbol-keyed mentions.
pub struct MentionRouter {
    mentions_topic: String,
    max_input_bytes: usize,
    time_bounds: tickertape_processor::settings::TimeBounds,
    metrics: ReactionMetrics,
}

impl MentionRouter {
    /// A router with the given settings.
    pub fn new(settings: &ReactionsSettings, metrics: ReactionMetrics) -> Self {
        MentionRouter {
            mentions_topic: settings.topics.mentions.clone(),
            max_input_bytes: settings.max_input_bytes,
            time_bounds: settings.time_bounds,
            metrics,
        }
    }

    fn route(&self, input: &Input<'_>) -> Result<Vec<Record>, Rejection> {
        if input.payload.len() > self.max_input_bytes {
            return Err(Rejection::new(
                "too_large",
                format!(
                    "article event is {} bytes; the limit is {}",
                    input.payload.len(),
                    self.max_input_bytes
                ),
            ));
        }
        let article: ArticleIn = serde_json::from_slice(input.payload).map_err(|error| {
            Rejection::new(
                "invalid_article",
                format!("not a {ARTICLE_SCHEMA} event: {error}"),
            )
        })?;
        if article.schema != ARTICLE_SCHEMA {
            return Err(Rejection::new(
                "unknown_schema",
                format!(
                    "schema {:?}; this build reads {ARTICLE_SCHEMA}",
                    article.schema
                ),
            ));
        }
        let published_at = article.published_at();
        self.time_bounds
            .check("story time", published_at, input.received_at)?;
        let mut records: Vec<Record> = Vec::with_capacity(article.instruments.len());
        let mut seen: Vec<&str> = Vec::new();
        for instrument in &article.instruments {
            // A story naming a company twice (two aliases) reacts once.
            if instrument.symbol.is_empty() || seen.contains(&instrument.symbol.as_str()) {
                continue;
            }
            seen.push(&instrument.symbol);
            let record = MentionRecord {
                schema: MENTION_SCHEMA.to_owned(),
                mention: Mention {
                    story_id: article.story_id.clone(),
                    story_version: article.version,
                    article_id: article.id.clone(),
                    title: article.title.clone(),
                    symbol: instrument.symbol.clone(),
                    isin: instrument.isin.clone(),
                    mic: instrument.mic.clone(),
                    published_at,
                },
            };
            records.push(
                json_record(&self.mentions_topic, &*instrument.symbol, &record)?.at(published_at),
            );
        }
        self.metrics.mentions.inc_by(records.len() as u64);
        Ok(records)
    }
}

impl Processor for MentionRouter {
    fn process(&mut self, input: &Input<'_>) -> Outcome {
        match self.route(input) {
            Ok(records) => Outcome::Publish(records),
            Err(rejection) => Outcome::Reject(rejection),
        }
    }

    fn reads_headers(&self) -> bool {
        false
    }

    fn rejection_reasons(&self) -> Vec<&'static str> {
        ROUTER_REJECTION_REASONS.to_vec()
    }

    fn batch_closed(&mut self, committed: bool) {
        self.metrics.mentions.close(committed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(payload: &str) -> Outcome {
        let now = "2024-11-12T18:00:00Z".parse().unwrap();
        MentionRouter::new(
            &ReactionsSettings::default(),
            ReactionMetrics::unregistered(),
        )
        .process(&Input::unkeyed(
            "articles.enriched",
            payload.as_bytes(),
            now,
        ))
    }

    const ARTICLE: &str = r#"{"schema":"tickertape.article.v1","id":"a1","story_id":"s1","version":1,
        "title":"BP slips","fetched_at":"2024-11-12T15:00:00Z","published_at":"2024-11-12T14:50:00Z",
        "instruments":[{"symbol":"BP","isin":null,"mic":"XNYS","name":"BP p.l.c.","matched":"BP"},
                       {"symbol":"VOD","isin":"GB00BH4HKS39","mic":"XNAS","name":"Vodafone","matched":"Vodafone"},
                       {"symbol":"BP","isin":null,"mic":"XNYS","name":"BP p.l.c.","matched":"British Petroleum"}]}"#;

    #[test]
    fn a_story_fans_out_to_one_mention_per_symbol_keyed_by_it() {
        let Outcome::Publish(records) = route(ARTICLE) else {
            panic!("rejected")
        };
        let keys: Vec<&[u8]> = records.iter().map(|r| r.key.as_deref().unwrap()).collect();
        assert_eq!(keys, [b"BP".as_slice(), b"VOD".as_slice()]);
        let mention: MentionRecord = serde_json::from_slice(&records[1].value).unwrap();
        assert_eq!(mention.schema, MENTION_SCHEMA);
        assert_eq!(mention.mention.isin.as_deref(), Some("GB00BH4HKS39"));
        assert_eq!(
            mention.mention.published_at,
            "2024-11-12T14:50:00Z".parse::<DateTime<Utc>>().unwrap(),
            "the page's own time"
        );
    }

    #[test]
    fn an_update_runs_at_its_own_time_and_a_page_time_after_the_fetch_is_not_believed() {
        let update = ARTICLE.replace(r#""version":1"#, r#""version":2"#).replace(
            r#""fetched_at":"2024-11-12T15:00:00Z""#,
            r#""fetched_at":"2024-11-12T16:00:00Z""#,
        );
        let Outcome::Publish(records) = route(&update) else {
            panic!("rejected")
        };
        let mention: MentionRecord = serde_json::from_slice(&records[0].value).unwrap();
        assert_eq!(mention.mention.story_version, 2);
        assert_eq!(
            mention.mention.published_at,
            "2024-11-12T16:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let future = ARTICLE.replace("14:50:00Z", "18:00:00Z");
        let Outcome::Publish(records) = route(&future) else {
            panic!("rejected")
        };
        let mention: MentionRecord = serde_json::from_slice(&records[0].value).unwrap();
        assert_eq!(
            mention.mention.published_at,
            "2024-11-12T15:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn what_is_not_an_article_event_is_a_dead_letter_with_a_reason() {
        let reason = |outcome| match outcome {
            Outcome::Reject(rejection) => rejection.reason,
            Outcome::Publish(_) => "published",
        };
        assert_eq!(reason(route("not json")), "invalid_article");
        assert_eq!(
            reason(route(r#"{"schema":"tickertape.article.v1"}"#)),
            "invalid_article"
        );
        assert_eq!(
            reason(route(&ARTICLE.replace("article.v1", "article.v9"))),
            "unknown_schema"
        );
        // A page time is never believed past its fetch time; a fetch time
        // far ahead of the clock is refused.
        assert_eq!(
            reason(route(&ARTICLE.replace("2024-11-12", "2099-01-01"))),
            "future_time"
        );
    }
}
