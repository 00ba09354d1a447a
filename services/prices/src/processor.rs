//! The prices processor: one raw tick in, price changes and alerts out.

use std::collections::{HashMap, HashSet};

use ahash::RandomState;

use rust_decimal::Decimal;
use tickertape_processor::settings::TimeBounds;
use tickertape_processor::{
    json_record, Input, Outcome, Processor, Record, Rejection, RestoreError, StateChange,
};

use crate::book::{Basis, Decision, PriceBook, Rules, SymbolState};
use crate::config::PricesSettings;
use crate::events::{
    PriceAlertEvent, PriceChangeEvent, SourceOut, PRICE_ALERT_SCHEMA, PRICE_CHANGE_SCHEMA,
};
use crate::metrics::PriceMetrics;
use tickertape_market::instruments::Catalog;
use tickertape_market::tick::{parse_tick, Tick};

/// Decides what each raw tick becomes. State is kept per input partition.
pub struct PriceProcessor {
    changes_topic: String,
    alerts_topic: String,
    late_ticks_topic: Option<String>,
    rules: Rules,
    time_bounds: TimeBounds,
    max_day_change_pct: Decimal,
    max_tick_bytes: usize,
    catalog: Catalog,
    /// One book per input partition: ticks are keyed by symbol, so a symbol's
    /// state lives with its partition and moves with it on rebalance.
    books: HashMap<i32, PriceBook>,
    /// Symbols whose state changed since the changelog last took it, by partition.
    changed: HashMap<i32, HashSet<String, RandomState>>,
    /// Entries held across books, kept up to date for the state-size metric.
    entries: usize,
    metrics: PriceMetrics,
}

impl PriceProcessor {
    /// A processor with the given settings and reference data.
    pub fn new(settings: &PricesSettings, catalog: Catalog, metrics: PriceMetrics) -> Self {
        PriceProcessor {
            changes_topic: settings.topics.changes.clone(),
            alerts_topic: settings.topics.alerts.clone(),
            late_ticks_topic: settings.topics.late_ticks.clone(),
            rules: settings.rules.clone(),
            max_tick_bytes: settings.max_tick_bytes,
            time_bounds: settings.time_bounds,
            max_day_change_pct: settings.max_day_change_pct,
            catalog,
            books: HashMap::new(),
            changed: HashMap::new(),
            entries: 0,
            metrics,
        }
    }

    fn records_for(
        &self,
        tick: &Tick<'_>,
        decision: Decision,
        input: &Input<'_>,
    ) -> Result<Vec<Record>, Rejection> {
        let counted = &self.metrics.ticks;
        match &decision {
            Decision::Duplicate => &counted.duplicate,
            Decision::Late { .. } => &counted.late,
            Decision::FirstSeen => &counted.first_seen,
            Decision::Unchanged => &counted.unchanged,
            Decision::Changed { .. } => &counted.changed,
        }
        .inc();
        let (change, alert) = match decision {
            Decision::Changed { change, alert } => (change, alert),
            Decision::Late { .. } => {
                return Ok(self
                    .late_ticks_topic
                    .as_ref()
                    .map(|topic| Record {
                        topic: topic.clone(),
                        partition: None,
                        key: Some(tick.symbol.as_bytes().to_vec()),
                        headers: Vec::new(),
                        value: input.payload.to_vec(),
                        event_time: Some(tick.event_time),
                    })
                    .into_iter()
                    .collect())
            }
            _ => return Ok(Vec::new()),
        };

        let listing = self
            .catalog
            .lookup(&tick.symbol, tick.event_time.date_naive());
        if listing.is_none() {
            self.metrics.unknown_instruments.inc();
        }
        let instrument = listing.map(|l| l.reference());
        let currency = tick
            .currency
            .as_deref()
            .or_else(|| listing.map(|l| l.currency.as_str()));
        let basis = change.basis;
        let event = PriceChangeEvent {
            schema: PRICE_CHANGE_SCHEMA,
            symbol: &tick.symbol,
            instrument,
            price: change.price,
            previous_price: change.previous_price,
            change: change.change,
            change_pct: change.change_pct,
            basis,
            currency,
            event_time: tick.event_time,
            ingest_time: input.received_at,
            source: SourceOut {
                kind: tick.source.kind,
                name: tick.source.name.as_deref(),
                url: tick.source.url.as_deref(),
            },
            seq: change.seq,
            source_seq: tick.seq,
        };
        let mut records =
            vec![json_record(&self.changes_topic, &*tick.symbol, &event)?.at(tick.event_time)];
        match basis {
            Basis::PreviousTick => &self.metrics.changes_previous_tick,
            Basis::PreviousClose => &self.metrics.changes_previous_close,
        }
        .inc();

        if let Some(alert) = alert {
            let (direction, counter) = if alert.change_pct > Decimal::ZERO {
                ("up", &self.metrics.alerts_up)
            } else {
                ("down", &self.metrics.alerts_down)
            };
            let event = PriceAlertEvent {
                schema: PRICE_ALERT_SCHEMA,
                symbol: &tick.symbol,
                instrument,
                direction,
                price: alert.price,
                reference_price: alert.reference_price,
                reference_time: alert.reference_time,
                change_pct: alert.change_pct,
                threshold_pct: self.rules.alert_threshold_pct,
                window_s: self.rules.alert_window.num_seconds(),
                event_time: tick.event_time,
                ingest_time: input.received_at,
            };
            records
                .push(json_record(&self.alerts_topic, &*tick.symbol, &event)?.at(tick.event_time));
            counter.inc();
        }
        Ok(records)
    }

    /// The state of every partition seen so far.
    pub fn books(&self) -> &HashMap<i32, PriceBook> {
        &self.books
    }
}

/// The reasons a tick is dead-lettered for besides the tick parser's
/// ([`TickError::REASONS`](tickertape_market::tick::TickError::REASONS)):
/// the time bounds and the processor's own checks.
pub const OWN_REJECTION_REASONS: &[&str] = &[
    "too_large",
    "future_time",
    "too_early",
    "key_mismatch",
    "implausible_change",
    "serialization",
];

impl Processor for PriceProcessor {
    fn state_store(&self) -> Option<&'static str> {
        Some("state")
    }

    /// A tick is its value and key; its headers only go with its dead letter.
    fn reads_headers(&self) -> bool {
        false
    }

    fn batch_closed(&mut self, committed: bool) {
        self.metrics.batch_closed(committed);
    }

    fn rejection_reasons(&self) -> Vec<&'static str> {
        let parser = tickertape_market::tick::TickError::REASONS.iter();
        parser.chain(OWN_REJECTION_REASONS).copied().collect()
    }

    fn take_state_changes(&mut self) -> Vec<StateChange> {
        let mut changed: Vec<(i32, String)> = std::mem::take(&mut self.changed)
            .into_iter()
            .flat_map(|(partition, symbols)| symbols.into_iter().map(move |s| (partition, s)))
            .collect();
        changed.sort_unstable();
        changed
            .into_iter()
            .map(|(partition, symbol)| {
                let value = self
                    .books
                    .get(&partition)
                    .and_then(|book| book.symbols.get(&symbol))
                    .and_then(|state| serde_json::to_vec(state).ok());
                StateChange {
                    partition,
                    key: symbol,
                    value,
                }
            })
            .collect()
    }

    fn restore(
        &mut self,
        partition: i32,
        entries: Vec<(String, Vec<u8>)>,
    ) -> Result<(), RestoreError> {
        let mut book = PriceBook::default();
        for (symbol, value) in entries {
            let state: SymbolState = match serde_json::from_slice(&value) {
                Ok(state) => state,
                Err(source) => {
                    return Err(RestoreError::Unreadable {
                        key: symbol,
                        source,
                    })
                }
            };
            book.symbols.insert(symbol, state);
        }
        self.release(partition);
        self.entries += book
            .symbols
            .keys()
            .map(|s| book.entries_of(s))
            .sum::<usize>();
        self.books.insert(partition, book);
        Ok(())
    }

    fn release(&mut self, partition: i32) {
        if let Some(book) = self.books.remove(&partition) {
            self.entries -= book
                .symbols
                .keys()
                .map(|s| book.entries_of(s))
                .sum::<usize>();
        }
        self.changed.remove(&partition);
    }

    fn state_entries(&self) -> usize {
        self.entries
    }

    fn process(&mut self, input: &Input<'_>) -> Outcome {
        // A bare strip line carries no time of its own: the message's is used.
        let fallback_time = input.timestamp.unwrap_or(input.received_at);
        if input.payload.len() > self.max_tick_bytes {
            return Outcome::Reject(Rejection::new(
                "too_large",
                format!(
                    "tick is {} bytes; the limit is {}",
                    input.payload.len(),
                    self.max_tick_bytes
                ),
            ));
        }
        let tick = match parse_tick(input.payload, fallback_time) {
            Ok(tick) => tick,
            Err(error) => {
                return Outcome::Reject(Rejection::new(error.reason(), error.to_string()))
            }
        };
        // The symbol's state lives in its key's partition: a tick keyed by
        // another symbol would update the wrong partition's book.
        if let Some(key) = input.key.filter(|key| *key != tick.symbol.as_bytes()) {
            return Outcome::Reject(Rejection::new(
                "key_mismatch",
                format!(
                    "tick of {} is keyed {:?}; ticks are keyed by their symbol",
                    tick.symbol,
                    String::from_utf8_lossy(key)
                ),
            ));
        }
        if let Some(change) = tick
            .change_pct
            .filter(|change| *change >= self.max_day_change_pct)
        {
            return Outcome::Reject(Rejection::new(
                "implausible_change",
                format!(
                    "day change {change}% is at or above the bound of {}%",
                    self.max_day_change_pct
                ),
            ));
        }
        if let Err(rejection) =
            self.time_bounds
                .check("tick time", tick.event_time, input.received_at)
        {
            return Outcome::Reject(rejection);
        }
        let book = self.books.entry(input.partition).or_default();
        let entries_before = book.entries_of(&tick.symbol);
        let decision = book.apply(&tick, &self.rules);
        let entries_after = book.entries_of(&tick.symbol);
        self.entries = self.entries + entries_after - entries_before;
        if decision == Decision::Duplicate {
            self.metrics.repeated_ticks.inc();
        }
        // Repeats and late ticks leave the state as it was.
        if !matches!(decision, Decision::Late { .. } | Decision::Duplicate) {
            let changed = self.changed.entry(input.partition).or_default();
            if !changed.contains(&*tick.symbol) {
                changed.insert(tick.symbol.clone().into_owned());
            }
        }
        match self.records_for(&tick, decision, input) {
            Ok(records) => Outcome::Publish(records),
            Err(rejection) => Outcome::Reject(rejection),
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use chrono::{DateTime, Utc};

    fn processor() -> PriceProcessor {
        PriceProcessor::new(
            &PricesSettings::default(),
            Catalog::builtin(),
            PriceMetrics::unregistered(),
        )
    }

    fn tick(processor: &mut PriceProcessor, partition: i32, payload: &str) -> Outcome {
        let now: DateTime<Utc> = "2024-11-12T15:00:00Z".parse().unwrap();
        processor.process(&Input {
            partition,
            ..Input::unkeyed("ticks.raw", payload.as_bytes(), now)
        })
    }

    #[test]
    fn ticks_that_contradict_themselves_or_their_key_are_dead_letters() {
        let mut processor = processor();
        let now: DateTime<Utc> = "2024-11-12T15:00:00Z".parse().unwrap();
        let good =
            br#"{"symbol":"BP","price":"28.57","ts":"2024-11-12T14:00:00Z","change_pct":"1.44"}"#;
        let reason = |outcome: Outcome| match outcome {
            Outcome::Reject(rejection) => rejection.reason,
            Outcome::Publish(_) => "published",
        };
        let keyed = |key: &'static [u8], payload: &'static [u8]| Input {
            key: Some(key),
            ..Input::unkeyed("ticks.raw", payload, now)
        };
        assert_eq!(
            reason(processor.process(&keyed(b"VOD", good))),
            "key_mismatch"
        );
        assert_eq!(
            reason(tick(
                &mut processor,
                0,
                r#"{"symbol":"BP","price":"0.01","ts":"2024-11-12T14:00:00Z","change_pct":"1000000000"}"#
            )),
            "implausible_change"
        );
        assert_eq!(
            reason(tick(
                &mut processor,
                0,
                r#"{"symbol":"BP","price":"1","ts":"2024-11-12T14:00:00Z","currency":"<script>"}"#
            )),
            "invalid_currency"
        );
        assert_eq!(
            reason(tick(
                &mut processor,
                0,
                r#"{"symbol":"BP","price":"1","ts":"2024-11-12T14:00:00Z","change_pct":"-100"}"#
            )),
            "invalid_change"
        );
        // Seconds read as milliseconds: January 1970, before the earliest time.
        assert_eq!(
            reason(tick(
                &mut processor,
                0,
                r#"{"symbol":"BP","price":"1","ts":1731403800}"#
            )),
            "too_early"
        );
        // Keyed by its own symbol, or not keyed (files): accepted.
        assert_eq!(reason(processor.process(&keyed(b"BP", good))), "published");
    }

    #[test]
    fn state_survives_a_round_trip_through_the_changelog() {
        let mut before = processor();
        tick(
            &mut before,
            2,
            r#"{"symbol":"BP","price":"28.57","ts":"2024-11-12T14:00:00Z","change_pct":"1.44"}"#,
        );
        tick(
            &mut before,
            2,
            r#"{"symbol":"VOD","price":"8.75","ts":"2024-11-12T14:00:00Z"}"#,
        );
        let changes = before.take_state_changes();
        assert_eq!(changes.len(), 2);
        assert!(
            before.take_state_changes().is_empty(),
            "changes are taken once"
        );

        let mut after = processor();
        let entries = changes
            .into_iter()
            .map(|c| (c.key, c.value.unwrap()))
            .collect();
        after.restore(2, entries).unwrap();
        assert_eq!(after.books()[&2], before.books()[&2]);
        assert_eq!(after.state_entries(), before.state_entries());
        // The restored state decides as the original would: a repeat is nothing.
        let repeat = tick(
            &mut after,
            2,
            r#"{"symbol":"BP","price":"28.57","ts":"2024-11-12T14:00:00Z","change_pct":"1.44"}"#,
        );
        assert_eq!(repeat, Outcome::Publish(Vec::new()));
        after.release(2);
        assert_eq!(after.state_entries(), 0);
        assert!(after
            .restore(1, vec![("BP".into(), b"not json".to_vec())])
            .is_err());
    }
}
