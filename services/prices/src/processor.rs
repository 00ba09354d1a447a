//! The prices processor: one raw tick in, price changes and alerts out.

use std::collections::{HashMap, HashSet};

use ahash::RandomState;

use rust_decimal::Decimal;
use tickertape_processor::settings::TimeBounds;
use tickertape_processor::{
    json_record, Input, Outcome, Processor, Record, Rejection, RestoreError, StateChange,
};

use crate::book::{Basis, Decision, PriceBook, Rules};
use crate::changelog;
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
    /// Changelog keys to delete at the next take, by partition.
    stale: HashMap<i32, Vec<String>>,
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
            stale: HashMap::new(),
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
        // Deletions first: a key deleted and written again ends written.
        let mut changes: Vec<StateChange> = std::mem::take(&mut self.stale)
            .into_iter()
            .flat_map(|(partition, keys)| {
                keys.into_iter().map(move |key| StateChange {
                    partition,
                    key,
                    value: None,
                })
            })
            .collect();
        let mut changed: Vec<(i32, String)> = std::mem::take(&mut self.changed)
            .into_iter()
            .flat_map(|(partition, symbols)| symbols.into_iter().map(move |s| (partition, s)))
            .collect();
        changed.sort_unstable();
        let mut entries = Vec::new();
        for (partition, symbol) in changed {
            let state = self
                .books
                .get_mut(&partition)
                .and_then(|book| book.symbols.get_mut(&symbol));
            // A changed symbol is in its book: books drop no symbol, and a
            // released partition's changes are dropped with it.
            let Some(state) = state else { continue };
            changelog::write_symbol(&symbol, state, self.rules.dedupe_capacity, &mut entries);
            changes.extend(entries.drain(..).map(|(key, value)| StateChange {
                partition,
                key,
                value: Some(value),
            }));
        }
        changes
    }

    fn restore(
        &mut self,
        partition: i32,
        entries: Vec<(String, Vec<u8>)>,
    ) -> Result<(), RestoreError> {
        let restored = changelog::read_book(entries, self.rules.dedupe_capacity)?;
        self.release(partition);
        let book = restored.book;
        self.entries += book
            .symbols
            .keys()
            .map(|s| book.entries_of(s))
            .sum::<usize>();
        self.books.insert(partition, book);
        if !restored.unwritten.is_empty() {
            self.changed
                .entry(partition)
                .or_default()
                .extend(restored.unwritten);
        }
        if !restored.stale.is_empty() {
            self.stale.insert(partition, restored.stale);
        }
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
        self.stale.remove(&partition);
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
        // Each symbol: its header, which holds its one observation.
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

    /// A compacted changelog partition as the runtime reads it back: the
    /// latest value of every key, oldest write first.
    #[derive(Default)]
    struct Compacted {
        writes: u64,
        latest: HashMap<String, (u64, Vec<u8>)>,
    }

    impl Compacted {
        fn write(&mut self, changes: Vec<StateChange>) {
            for change in changes {
                self.writes += 1;
                match change.value {
                    Some(value) => self.latest.insert(change.key, (self.writes, value)),
                    None => self.latest.remove(&change.key),
                };
            }
        }

        fn entries(&self) -> Vec<(String, Vec<u8>)> {
            let mut entries: Vec<_> = self.latest.iter().collect();
            entries.sort_by_key(|(_, (write, _))| *write);
            entries
                .into_iter()
                .map(|(key, (_, value))| (key.clone(), value.clone()))
                .collect()
        }

        fn keys(&self) -> Vec<&str> {
            let mut keys: Vec<&str> = self.latest.keys().map(String::as_str).collect();
            keys.sort_unstable();
            keys
        }
    }

    fn remembering(capacity: usize) -> PriceProcessor {
        let mut settings = PricesSettings::default();
        settings.rules.dedupe_capacity = capacity;
        PriceProcessor::new(&settings, Catalog::builtin(), PriceMetrics::unregistered())
    }

    /// The `n`th of a series of BP ticks a second apart.
    fn nth_tick(processor: &mut PriceProcessor, n: u32) -> Outcome {
        let payload = format!(
            r#"{{"symbol":"BP","price":"28.{:02}","ts":"2024-11-12T14:{:02}:{:02}Z"}}"#,
            n % 7,
            n / 60,
            n % 60
        );
        tick(processor, 2, &payload)
    }

    /// A processor of `capacity` after BP ticks `0..ticks`, and the
    /// changelog it wrote in one commit.
    fn after_ticks(capacity: usize, ticks: u32) -> (PriceProcessor, Compacted) {
        let mut processor = remembering(capacity);
        for n in 0..ticks {
            nth_tick(&mut processor, n);
        }
        let mut topic = Compacted::default();
        topic.write(processor.take_state_changes());
        (processor, topic)
    }

    /// A processor of `capacity` restored from `topic`.
    fn restored_from(topic: &Compacted, capacity: usize) -> PriceProcessor {
        let mut processor = remembering(capacity);
        processor.restore(2, topic.entries()).unwrap();
        processor
    }

    fn seen_len(processor: &PriceProcessor) -> usize {
        processor.books()[&2].symbols["BP"].seen.len()
    }

    fn keys_of(changes: &[StateChange]) -> Vec<(&str, bool)> {
        changes
            .iter()
            .map(|c| (c.key.as_str(), c.value.is_some()))
            .collect()
    }

    #[test]
    fn each_observation_is_written_once_and_the_memory_restores_whole() {
        let mut before = remembering(8);
        let mut topic = Compacted::default();
        for n in 0..20 {
            nth_tick(&mut before, n);
            let changes = before.take_state_changes();
            // The header, after the block that tick filled; never the memory.
            if (n + 1) % 8 == 0 {
                let block = format!("BP/seen/{}", (n / 8) % 2);
                assert_eq!(keys_of(&changes), [(block.as_str(), true), ("BP", true)]);
            } else {
                assert_eq!(keys_of(&changes), [("BP", true)], "tick {n}");
            }
            topic.write(changes);
        }
        // A repeat changes nothing, so nothing is written.
        nth_tick(&mut before, 19);
        assert!(before.take_state_changes().is_empty());
        // Five ticks between commits fill a block.
        for n in 20..25 {
            nth_tick(&mut before, n);
        }
        let changes = before.take_state_changes();
        assert_eq!(keys_of(&changes), [("BP/seen/0", true), ("BP", true)]);
        topic.write(changes);
        // A memory of 8 needs two block keys, whatever the ticks.
        assert_eq!(topic.keys(), ["BP", "BP/seen/0", "BP/seen/1"]);

        let mut after = remembering(8);
        after.restore(2, topic.entries()).unwrap();
        assert_eq!(after.books()[&2], before.books()[&2]);
        assert_eq!(seen_len(&after), 8);
        let changes = after.take_state_changes();
        assert!(
            changes.is_empty(),
            "nothing to write: {:?}",
            keys_of(&changes)
        );
        // Both decide the next ticks alike, and write the same.
        for n in [24, 25, 17, 26] {
            assert_eq!(nth_tick(&mut after, n), nth_tick(&mut before, n), "{n}");
        }
        assert_eq!(after.take_state_changes(), before.take_state_changes());
    }

    #[test]
    fn state_written_whole_by_format_1_is_read_and_rewritten_as_format_2() {
        let format_1 = r#"{"last_price":"28.57","last_event_time":"2024-11-12T14:00:00Z","changes_published":1,"seen":[["2024-11-12T13:59:00Z","28.50"],["2024-11-12T14:00:00Z","28.57"]],"window_lows":[["2024-11-12T14:00:00Z","28.57"]],"window_highs":[["2024-11-12T14:00:00Z","28.57"]],"alert_active":false}"#;
        let mut topic = Compacted::default();
        topic
            .latest
            .insert("BP".into(), (0, format_1.as_bytes().to_vec()));
        let mut restored = processor();
        restored.restore(2, topic.entries()).unwrap();
        assert_eq!(seen_len(&restored), 2);
        assert_eq!(restored.state_entries(), 5);
        // Its observations are remembered: the older one is a repeat.
        let repeat = r#"{"symbol":"BP","price":"28.50","ts":"2024-11-12T13:59:00Z"}"#;
        assert_eq!(tick(&mut restored, 2, repeat), Outcome::Publish(Vec::new()));
        assert_eq!(restored.state_entries(), 5);
        // The next commit writes a format 2 header; two observations fill
        // no block (numbered from 1: 0 would be a window price it lacks).
        let changes = restored.take_state_changes();
        assert_eq!(keys_of(&changes), [("BP", true)]);
        let header: serde_json::Value =
            serde_json::from_slice(changes[0].value.as_ref().unwrap()).unwrap();
        assert_eq!(header["format"], 2);
        assert_eq!(header["remembered"], 3);
        assert_eq!(header["recent"].as_array().unwrap().len(), 2);
        assert_eq!(header["window_lows"], serde_json::json!([2]));
        assert!(header.get("seen").is_none());
        topic.write(changes);
        let mut again = processor();
        again.restore(2, topic.entries()).unwrap();
        assert_eq!(again.books()[&2], restored.books()[&2]);
    }

    #[test]
    fn a_smaller_capacity_keeps_the_newest_and_moves_the_blocks_it_needs() {
        // 30 observations: blocks 0-2 under keys 0-2, numbers 24-29 inline.
        let (_, mut topic) = after_ticks(32, 30);
        assert_eq!(topic.keys(), ["BP", "BP/seen/0", "BP/seen/1", "BP/seen/2"]);

        // Capacity 8 has two block keys: block 2 (numbers 16-23, of which
        // the memory needs 22 and 23) belongs under key 0, so key 2 is
        // deleted and the two written there. Key 1 is overwritten in time.
        let mut narrow = restored_from(&topic, 8);
        assert_eq!(seen_len(&narrow), 8);
        let changes = narrow.take_state_changes();
        assert_eq!(
            keys_of(&changes),
            [("BP/seen/2", false), ("BP/seen/0", true), ("BP", true)]
        );
        topic.write(changes);
        assert_eq!(topic.keys(), ["BP", "BP/seen/0", "BP/seen/1"]);
        let mut again = restored_from(&topic, 8);
        assert_eq!(again.books()[&2], narrow.books()[&2]);
        assert!(again.take_state_changes().is_empty());
    }

    #[test]
    fn blocks_overwritten_before_their_header_shorten_the_memory() {
        let (mut before, mut topic) = after_ticks(8, 16);
        // At-least-once: the next 16 observations' block landed, and their
        // header did not.
        for n in 16..32 {
            nth_tick(&mut before, n);
        }
        let mut changes = before.take_state_changes();
        assert_eq!(changes.pop().unwrap().key, "BP");
        // Only what the memory holds: numbers 24 to 31, under key 1.
        assert_eq!(keys_of(&changes), [("BP/seen/1", true)]);
        topic.write(changes);

        let mut after = restored_from(&topic, 8);
        // The header names numbers 8 to 15, whose block was overwritten.
        assert_eq!(seen_len(&after), 0);
        let state = &after.books()[&2].symbols["BP"];
        assert_eq!(
            state.last_event_time.to_rfc3339(),
            "2024-11-12T14:00:15+00:00"
        );
        // The header says what the memory holds. Those numbers are given
        // again, and their blocks written before any header names them.
        let changes = after.take_state_changes();
        assert_eq!(keys_of(&changes), [("BP", true)]);
        topic.write(changes);
        let again = restored_from(&topic, 8);
        assert_eq!(again.books()[&2], after.books()[&2]);
    }

    /// Random ticks (repeats, late ones, price moves beyond the alert
    /// threshold), commits and restores at random points, several
    /// capacities: a restored book is always the book it was written from.
    #[test]
    fn restores_at_random_points_rebuild_the_book_exactly() {
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut random = move |below: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % below
        };
        for capacity in [1, 3, 8, 9, 40] {
            let mut live = remembering(capacity);
            let mut topic = Compacted::default();
            let mut second: u32 = 0;
            let mut cents: [i64; 3] = [2_857, 875, 14_020];
            let mut restores = 0;
            for _ in 0..3_000 {
                let symbol = random(3) as usize;
                second += random(3) as u32;
                cents[symbol] = (cents[symbol] + random(41) as i64 - 20).max(1);
                let at = second.saturating_sub(random(4) as u32 * random(2) as u32);
                let payload = format!(
                    r#"{{"symbol":"{}","price":"{}.{:02}","ts":"2024-11-12T{:02}:{:02}:{:02}Z"}}"#,
                    ["BP", "VOD", "RIO"][symbol],
                    cents[symbol] / 100,
                    cents[symbol] % 100,
                    10 + at / 3600,
                    at / 60 % 60,
                    at % 60
                );
                tick(&mut live, 2, &payload);
                if random(10) == 0 {
                    topic.write(live.take_state_changes());
                    if random(5) == 0 {
                        let mut restored = remembering(capacity);
                        restored.restore(2, topic.entries()).unwrap();
                        assert_eq!(restored.books()[&2], live.books()[&2], "{capacity}");
                        assert!(restored.take_state_changes().is_empty());
                        live = restored;
                        restores += 1;
                    }
                }
            }
            assert!(restores > 20, "{restores}");
            // The topic holds a header and at most the blocks one memory needs.
            let most = 3 * (1 + (capacity as u64).div_ceil(8) as usize + 1);
            assert!(topic.latest.len() <= most, "{}", topic.latest.len());
        }
    }

    #[test]
    fn entries_this_build_cannot_read_fail_the_restore() {
        let mut processor = processor();
        let newer = r#"{"format":3,"last_price":"1","last_event_time":"2024-11-12T14:00:00Z","changes_published":0,"window_lows":[],"window_highs":[],"alert_active":false}"#;
        let error = processor
            .restore(2, vec![("BP".into(), newer.as_bytes().to_vec())])
            .unwrap_err();
        assert!(matches!(
            error,
            RestoreError::UnknownFormat {
                found: 3,
                supported: 2,
                ..
            }
        ));
        let error = processor
            .restore(2, vec![("BP/seen/0".into(), b"[1, 2]".to_vec())])
            .unwrap_err();
        assert!(matches!(error, RestoreError::Unreadable { key, .. } if key == "BP/seen/0"));
        // Entries that parse but no build wrote: refused, never a panic on
        // numbers that would overflow.
        let block_past_the_end = format!(
            r#"[{}, [["2024-11-12T14:00:00Z","28.57"],["2024-11-12T14:00:01Z","28.58"]]]"#,
            u64::MAX
        );
        let error = processor
            .restore(
                2,
                vec![("BP/seen/0".into(), block_past_the_end.into_bytes())],
            )
            .unwrap_err();
        assert!(matches!(error, RestoreError::Invalid { key, .. } if key == "BP/seen/0"));
        let more_recent_than_remembered = r#"{"format":2,"last_price":"1","last_event_time":"2024-11-12T14:00:00Z","changes_published":0,"remembered":1,"seen_len":2,"recent":[["2024-11-12T13:59:59Z","1"],["2024-11-12T14:00:00Z","1"]],"window_lows":[],"window_highs":[],"alert_active":false}"#;
        let error = processor
            .restore(
                2,
                vec![("BP".into(), more_recent_than_remembered.as_bytes().to_vec())],
            )
            .unwrap_err();
        assert!(matches!(error, RestoreError::Invalid { key, .. } if key == "BP"));
    }

    #[test]
    fn window_prices_older_than_the_memory_are_written_in_full() {
        let mut before = remembering(2);
        let mut topic = Compacted::default();
        // A rising price: every one is a candidate low of the alert window,
        // and the memory holds the newest two.
        for n in 0..6 {
            let payload =
                format!(r#"{{"symbol":"BP","price":"28.0{n}","ts":"2024-11-12T14:00:0{n}Z"}}"#);
            tick(&mut before, 2, &payload);
        }
        let changes = before.take_state_changes();
        let header: serde_json::Value =
            serde_json::from_slice(changes.last().unwrap().value.as_ref().unwrap()).unwrap();
        assert_eq!(
            header["window_lows"],
            serde_json::json!([
                [0, "2024-11-12T14:00:00Z", "28.00"],
                [1, "2024-11-12T14:00:01Z", "28.01"],
                [2, "2024-11-12T14:00:02Z", "28.02"],
                [3, "2024-11-12T14:00:03Z", "28.03"],
                4,
                5
            ])
        );
        assert_eq!(header["window_highs"], serde_json::json!([5]));
        topic.write(changes);
        let mut after = remembering(2);
        after.restore(2, topic.entries()).unwrap();
        assert_eq!(after.books()[&2], before.books()[&2]);
        assert_eq!(after.books()[&2].symbols["BP"].window_lows.len(), 6);
    }
}
