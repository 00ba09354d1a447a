//! The second stage: price changes and story mentions in, market reactions
//! out. State is kept per input partition (partition n of both topics is
//! one set of symbols) and written to the changelog one price or one
//! waiting story per entry, so a change costs one small record.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tickertape_market::sessions::TradingCalendar;
use tickertape_processor::settings::TimeBounds;
use tickertape_processor::{
    json_record, Input, Outcome, Processor, Record, Rejection, RestoreError, StateChange,
};

use crate::config::ReactionsSettings;
use crate::event::MarketReactionEvent;
use crate::mention::{MentionRecord, MENTION_SCHEMA};
use crate::metrics::ReactionMetrics;
use crate::tape::{ClosedBy, Mention, MentionApplied, PartitionTape, Reaction, Rules};

/// The schema of the price changes read.
pub const PRICE_CHANGE_SCHEMA: &str = "tickertape.price_change.v1";

/// What the join reads of a price change.
#[derive(Debug, Deserialize)]
struct PriceChangeIn {
    schema: String,
    symbol: String,
    price: Decimal,
    event_time: DateTime<Utc>,
}

/// A retained price as the changelog holds it.
#[derive(Debug, Serialize, Deserialize)]
struct PricePoint {
    symbol: String,
    at: DateTime<Utc>,
    price: Decimal,
}

/// The reasons the join dead-letters an input for.
pub const JOIN_REJECTION_REASONS: &[&str] = &[
    "too_large",
    "invalid_price_change",
    "invalid_mention",
    "unknown_schema",
    "key_mismatch",
    "unknown_topic",
    "future_time",
    "too_early",
    "serialization",
];

/// Joins stories to the tape. One [`PartitionTape`] per input partition.
pub struct ReactionJoin {
    changes_topic: String,
    mentions_topic: String,
    reactions_topic: String,
    rules: Rules,
    max_input_bytes: usize,
    time_bounds: TimeBounds,
    calendar: TradingCalendar,
    tapes: HashMap<i32, PartitionTape>,
    /// Changelog entries written since the changelog last took them, by
    /// partition and key (the last write of a key wins).
    changed: HashMap<i32, BTreeMap<String, Option<Vec<u8>>>>,
    metrics: ReactionMetrics,
}

impl ReactionJoin {
    /// A join with the given settings and trading calendar.
    pub fn new(
        settings: &ReactionsSettings,
        calendar: TradingCalendar,
        metrics: ReactionMetrics,
    ) -> Self {
        ReactionJoin {
            changes_topic: settings.topics.changes.clone(),
            mentions_topic: settings.topics.mentions.clone(),
            reactions_topic: settings.topics.reactions.clone(),
            rules: settings.rules.clone(),
            max_input_bytes: settings.max_input_bytes,
            time_bounds: settings.time_bounds,
            calendar,
            tapes: HashMap::new(),
            changed: HashMap::new(),
            metrics,
        }
    }

    /// The state of every partition seen so far.
    pub fn tapes(&self) -> &HashMap<i32, PartitionTape> {
        &self.tapes
    }

    fn join(&mut self, input: &Input<'_>) -> Result<Vec<Record>, Rejection> {
        if input.payload.len() > self.max_input_bytes {
            return Err(Rejection::new(
                "too_large",
                format!(
                    "input is {} bytes; the limit is {}",
                    input.payload.len(),
                    self.max_input_bytes
                ),
            ));
        }
        let closed = if input.topic == self.changes_topic {
            self.price(input)?
        } else if input.topic == self.mentions_topic {
            self.mention(input)?
        } else {
            return Err(Rejection::new(
                "unknown_topic",
                format!(
                    "the join reads {} and {}",
                    self.changes_topic, self.mentions_topic
                ),
            ));
        };
        self.update_gauges();
        if input.topic == self.changes_topic {
            if let Some(newest) = self.tapes.values().filter_map(|t| t.stream_time).max() {
                self.metrics.watermark.set(unix_seconds(newest));
                self.metrics
                    .watermark_delay
                    .set(unix_seconds(input.received_at) - unix_seconds(newest));
            }
        }
        closed
            .iter()
            .map(|reaction| {
                match reaction.closed_by {
                    ClosedBy::Watermark => &self.metrics.closed_by_watermark,
                    ClosedBy::Idle => &self.metrics.closed_by_idle,
                    ClosedBy::Capacity => &self.metrics.closed_by_capacity,
                }
                .inc();
                let mention = &reaction.mention;
                let market_open = mention
                    .mic
                    .as_deref()
                    .and_then(|mic| self.calendar.is_open(mic, mention.published_at));
                let event = MarketReactionEvent::of(reaction, market_open, input.received_at);
                Ok(
                    json_record(&self.reactions_topic, &*mention.symbol, &event)?
                        .at(mention.published_at),
                )
            })
            .collect()
    }

    fn price(&mut self, input: &Input<'_>) -> Result<Vec<Reaction>, Rejection> {
        let change: PriceChangeIn = serde_json::from_slice(input.payload).map_err(|error| {
            Rejection::new(
                "invalid_price_change",
                format!("not a {PRICE_CHANGE_SCHEMA} event: {error}"),
            )
        })?;
        check_schema(&change.schema, PRICE_CHANGE_SCHEMA)?;
        check_key(input, &change.symbol)?;
        self.time_bounds
            .check("price time", change.event_time, input.received_at)?;
        let tape = self.tapes.entry(input.partition).or_default();
        let applied =
            tape.apply_price(&change.symbol, change.event_time, change.price, &self.rules);
        if applied.late {
            &self.metrics.prices_late
        } else {
            &self.metrics.prices_on_time
        }
        .inc();
        let changed = self.changed.entry(input.partition).or_default();
        let point = PricePoint {
            symbol: change.symbol,
            at: change.event_time,
            price: change.price,
        };
        changed.insert(
            price_key(&point.symbol, point.at),
            serde_json::to_vec(&point).ok(),
        );
        for at in applied.trimmed {
            changed.insert(price_key(&point.symbol, at), None);
        }
        for (symbol, times) in applied.forgotten {
            for at in times {
                changed.insert(price_key(&symbol, at), None);
            }
        }
        for reaction in &applied.closed {
            changed.insert(story_key(&reaction.mention), None);
        }
        Ok(applied.closed)
    }

    fn mention(&mut self, input: &Input<'_>) -> Result<Vec<Reaction>, Rejection> {
        let record: MentionRecord = serde_json::from_slice(input.payload).map_err(|error| {
            Rejection::new(
                "invalid_mention",
                format!("not a {MENTION_SCHEMA} record: {error}"),
            )
        })?;
        check_schema(&record.schema, MENTION_SCHEMA)?;
        check_key(input, &record.mention.symbol)?;
        self.time_bounds
            .check("story time", record.mention.published_at, input.received_at)?;
        let mention = record.mention;
        let key = story_key(&mention);
        let value = serde_json::to_vec(&mention).ok();
        let tape = self.tapes.entry(input.partition).or_default();
        let changed = self.changed.entry(input.partition).or_default();
        Ok(match tape.apply_mention(mention, &self.rules) {
            MentionApplied::Closed(reaction) => vec![reaction],
            MentionApplied::Pending { evicted } => {
                changed.insert(key, value);
                match evicted {
                    Some(reaction) => {
                        changed.insert(story_key(&reaction.mention), None);
                        vec![reaction]
                    }
                    None => Vec::new(),
                }
            }
        })
    }

    fn update_gauges(&self) {
        let (pending, points) = self.tapes.values().fold((0, 0), |(pending, points), tape| {
            (
                pending + tape.pending_stories(),
                points + tape.history_points(),
            )
        });
        self.metrics.pending_stories.set(pending as i64);
        self.metrics.history_points.set(points as i64);
    }
}

/// The changelog key of a retained price: one entry per price, so that a
/// new price writes one small record, not the symbol's whole history.
fn price_key(symbol: &str, at: DateTime<Utc>) -> String {
    format!(
        "price/{symbol}/{}",
        at.to_rfc3339_opts(SecondsFormat::Nanos, true)
    )
}

/// The changelog key of a waiting story version: every version of a story
/// waits, and is kept, on its own.
fn story_key(mention: &Mention) -> String {
    format!(
        "story/{}/{}/{}",
        mention.symbol, mention.story_id, mention.story_version
    )
}

fn unix_seconds(time: DateTime<Utc>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}

fn check_schema(found: &str, expected: &str) -> Result<(), Rejection> {
    if found == expected {
        return Ok(());
    }
    Err(Rejection::new(
        "unknown_schema",
        format!("schema {found:?}; this build reads {expected}"),
    ))
}

/// A symbol's state lives in its key's partition: an input keyed by
/// another symbol would join in the wrong partition.
fn check_key(input: &Input<'_>, symbol: &str) -> Result<(), Rejection> {
    match input.key {
        Some(key) if key != symbol.as_bytes() => Err(Rejection::new(
            "key_mismatch",
            format!(
                "input for {symbol} is keyed {:?}; the join's inputs are keyed by symbol",
                String::from_utf8_lossy(key)
            ),
        )),
        _ => Ok(()),
    }
}

impl Processor for ReactionJoin {
    fn process(&mut self, input: &Input<'_>) -> Outcome {
        match self.join(input) {
            Ok(records) => Outcome::Publish(records),
            Err(rejection) => Outcome::Reject(rejection),
        }
    }

    fn state_store(&self) -> Option<&'static str> {
        Some("tape")
    }

    fn reads_headers(&self) -> bool {
        false
    }

    fn rejection_reasons(&self) -> Vec<&'static str> {
        JOIN_REJECTION_REASONS.to_vec()
    }

    fn batch_closed(&mut self, committed: bool) {
        self.metrics.batch_closed(committed);
    }

    fn take_state_changes(&mut self) -> Vec<StateChange> {
        let mut changes: Vec<StateChange> = std::mem::take(&mut self.changed)
            .into_iter()
            .flat_map(|(partition, entries)| {
                entries.into_iter().map(move |(key, value)| StateChange {
                    partition,
                    key,
                    value,
                })
            })
            .collect();
        changes.sort_by_key(|change| change.partition);
        changes
    }

    fn restore(
        &mut self,
        partition: i32,
        entries: Vec<(String, Vec<u8>)>,
    ) -> Result<(), RestoreError> {
        let mut tape = PartitionTape::default();
        // Prices first: a waiting story restored after them is not closed
        // by them (it was not, or it would not be in the changelog).
        let (prices, stories): (Vec<_>, Vec<_>) = entries
            .into_iter()
            .partition(|(key, _)| key.starts_with("price/"));
        for (key, value) in prices {
            let point: PricePoint = serde_json::from_slice(&value)
                .map_err(|source| RestoreError::Unreadable { key, source })?;
            tape.restore_price(&point.symbol, point.at, point.price);
        }
        for (key, value) in stories {
            if !key.starts_with("story/") {
                return Err(RestoreError::Invalid {
                    key,
                    detail: "neither a price nor a story entry".into(),
                });
            }
            let mention = serde_json::from_slice(&value)
                .map_err(|source| RestoreError::Unreadable { key, source })?;
            tape.restore_mention(mention, &self.rules);
        }
        self.changed.remove(&partition);
        self.tapes.insert(partition, tape);
        self.update_gauges();
        Ok(())
    }

    fn release(&mut self, partition: i32) {
        self.tapes.remove(&partition);
        self.changed.remove(&partition);
        self.update_gauges();
    }

    fn state_entries(&self) -> usize {
        self.tapes
            .values()
            .map(|tape| tape.pending_stories() + tape.history_points())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mention::MentionRouter;

    const ARTICLE: &str = r#"{"schema":"tickertape.article.v1","id":"a1","story_id":"s1","version":1,
        "title":"BP slips","fetched_at":"2024-11-12T15:00:00Z","instruments":[{"symbol":"BP","isin":null,"mic":"XNYS"}]}"#;

    fn change(time: &str, price: &str) -> String {
        format!(
            r#"{{"schema":"tickertape.price_change.v1","symbol":"BP","price":"{price}","event_time":"{time}"}}"#
        )
    }

    fn join() -> ReactionJoin {
        ReactionJoin::new(
            &ReactionsSettings::default(),
            TradingCalendar::builtin(),
            ReactionMetrics::unregistered(),
        )
    }

    fn feed(join: &mut ReactionJoin, topic: &str, payload: &[u8]) -> Vec<Record> {
        let now = "2024-11-12T18:00:00Z".parse().unwrap();
        match join.process(&Input {
            partition: 3,
            key: Some(b"BP"),
            ..Input::unkeyed(topic, payload, now)
        }) {
            Outcome::Publish(records) => records,
            Outcome::Reject(rejection) => panic!("{rejection:?}"),
        }
    }

    fn mention_bytes() -> Vec<u8> {
        let now = "2024-11-12T15:00:00Z".parse().unwrap();
        let Outcome::Publish(records) = MentionRouter::new(
            &ReactionsSettings::default(),
            ReactionMetrics::unregistered(),
        )
        .process(&Input::unkeyed(
            "articles.enriched",
            ARTICLE.as_bytes(),
            now,
        )) else {
            panic!("rejected")
        };
        records[0].value.clone()
    }

    #[test]
    fn a_reaction_is_published_once_its_last_horizon_closes_with_the_venue_hours() {
        let mut join = join();
        feed(
            &mut join,
            "prices.changes",
            change("2024-11-12T14:59:00Z", "28.57").as_bytes(),
        );
        assert!(feed(&mut join, "reactions.mentions", &mention_bytes()).is_empty());
        assert!(feed(
            &mut join,
            "prices.changes",
            change("2024-11-12T15:30:00Z", "28.00").as_bytes()
        )
        .is_empty());
        let records = feed(
            &mut join,
            "prices.changes",
            change("2024-11-12T17:00:06Z", "29.00").as_bytes(),
        );
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].topic, "market.reactions");
        assert_eq!(records[0].key.as_deref(), Some(&b"BP"[..]));
        let event: serde_json::Value = serde_json::from_slice(&records[0].value).unwrap();
        assert_eq!(event["schema"], "tickertape.market_reaction.v1");
        assert_eq!(event["market_open"], true);
        assert_eq!(event["price_at_publication"], "28.57");
        assert_eq!(event["horizons"][2]["after_s"], 1800);
        assert_eq!(event["horizons"][2]["price"], "28.00");
        assert_eq!(event["horizons"][2]["change"], "-0.57");
        assert_eq!(event["horizons"][2]["change_pct"], "-1.9951");
        assert_eq!(
            event["horizons"][3]["price"], "28.00",
            "17:00:06 is after 17:00:00"
        );
        assert_eq!(event["closed_by"], "watermark");
        assert_eq!(event["ingest_time"], "2024-11-12T18:00:00Z");
    }

    #[test]
    fn the_tape_survives_a_round_trip_through_the_changelog() {
        let mut before = join();
        feed(
            &mut before,
            "prices.changes",
            change("2024-11-12T14:59:00Z", "28.57").as_bytes(),
        );
        feed(&mut before, "reactions.mentions", &mention_bytes());
        let changes = before.take_state_changes();
        assert_eq!(changes.len(), 2);
        assert!(before.take_state_changes().is_empty(), "taken once");
        let mut after = join();
        after
            .restore(
                3,
                changes
                    .into_iter()
                    .map(|c| (c.key, c.value.unwrap()))
                    .collect(),
            )
            .unwrap();
        assert_eq!(after.tapes()[&3].symbols, before.tapes()[&3].symbols);
        assert_eq!(
            after.tapes()[&3].stream_time,
            before.tapes()[&3].stream_time
        );
        assert_eq!(after.state_entries(), 2);
        let closing = change("2024-11-12T17:00:06Z", "29.00");
        assert_eq!(
            feed(&mut after, "prices.changes", closing.as_bytes()),
            feed(&mut before, "prices.changes", closing.as_bytes())
        );
        // The reaction's story entry is deleted with it.
        let deleted: Vec<StateChange> = after.take_state_changes();
        assert!(deleted
            .iter()
            .any(|c| c.key == "story/BP/s1/1" && c.value.is_none()));
        assert!(after
            .restore(1, vec![("price/BP/x".into(), b"{}".to_vec())])
            .is_err());
        assert!(after
            .restore(1, vec![("other".into(), b"{}".to_vec())])
            .is_err());
    }

    #[test]
    fn inputs_that_cannot_be_joined_are_dead_letters_with_a_reason() {
        let mut join = join();
        let now = "2024-11-12T18:00:00Z".parse().unwrap();
        let mut reason =
            |topic: &str, key: Option<&[u8]>, payload: &[u8]| match join.process(&Input {
                key,
                ..Input::unkeyed(topic, payload, now)
            }) {
                Outcome::Reject(rejection) => rejection.reason,
                Outcome::Publish(_) => "published",
            };
        let good = change("2024-11-12T14:59:00Z", "28.57");
        assert_eq!(
            reason("prices.changes", Some(b"VOD"), good.as_bytes()),
            "key_mismatch"
        );
        assert_eq!(reason("prices.changes", None, b"{"), "invalid_price_change");
        assert_eq!(
            reason(
                "prices.changes",
                None,
                good.replace("28.57", "twenty").as_bytes()
            ),
            "invalid_price_change"
        );
        assert_eq!(reason("reactions.mentions", None, b"[]"), "invalid_mention");
        assert_eq!(
            reason(
                "prices.changes",
                None,
                good.replace("change.v1", "change.v2").as_bytes()
            ),
            "unknown_schema"
        );
        assert_eq!(reason("ticks.raw", None, good.as_bytes()), "unknown_topic");
        // One price stamped far ahead would close every waiting story.
        assert_eq!(
            reason(
                "prices.changes",
                None,
                good.replace("2024-11-12T14:59:00Z", "9999-01-01T00:00:00Z")
                    .as_bytes()
            ),
            "future_time"
        );
        assert_eq!(
            reason("prices.changes", Some(b"BP"), good.as_bytes()),
            "published"
        );
    }
}
