//! The join itself: a symbol's recent prices in event time, the stories
//! waiting for their horizons, and the reaction computed when the last
//! horizon has closed. Plain data, no I/O; the processor keeps one
//! [`PartitionTape`] per input partition.
//!
//! Order-free by design: a reaction is computed from the price history when
//! it closes, not accumulated as prices arrive, so prices and stories may
//! come in either order (and prices out of order within the allowed
//! lateness) and the reaction is the same.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ahash::RandomState;
use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// How reactions are measured and how much is remembered.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// The horizons after publication, ascending, at least one.
    pub horizons: Vec<TimeDelta>,
    /// How far behind a symbol's newest price a price may still arrive and
    /// count: a horizon closes only once the symbol's watermark is this
    /// far past it.
    pub allowed_lateness: TimeDelta,
    /// A story waiting on a symbol that stops trading (a halt, the close, a
    /// listing with no feed) closes anyway once the partition's stream time
    /// is this far past its last horizon, with what is known.
    pub idle_close: TimeDelta,
    /// Prices are kept this long behind the symbol's watermark (plus the
    /// last one before, the price at publication of an older story).
    pub history_retention: TimeDelta,
    /// Most prices kept per symbol; the oldest go first.
    pub max_history_points: usize,
    /// Most stories waiting per symbol; the earliest published closes first.
    pub max_pending_per_symbol: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            horizons: [60, 300, 1800, 7200]
                .into_iter()
                .map(TimeDelta::seconds)
                .collect(),
            allowed_lateness: TimeDelta::seconds(5),
            idle_close: TimeDelta::hours(1),
            history_retention: TimeDelta::hours(26),
            max_history_points: 20_000,
            max_pending_per_symbol: 1_000,
        }
    }
}

impl Rules {
    fn last_horizon(&self) -> TimeDelta {
        self.horizons.last().copied().unwrap_or_default()
    }

    /// When the symbol's watermark must have passed for `published_at`'s
    /// reaction to close.
    fn closes_at(&self, published_at: DateTime<Utc>) -> DateTime<Utc> {
        published_at + self.last_horizon() + self.allowed_lateness
    }
}

/// A story version naming one symbol: what the reaction is computed for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    /// The story (shared by its versions and syndicated copies).
    pub story_id: String,
    /// Its version, from 1.
    pub story_version: u32,
    /// The article event that named the symbol.
    pub article_id: String,
    /// The story's title, for whoever reads the reaction.
    pub title: String,
    /// The symbol, as the price feed keys it.
    pub symbol: String,
    /// The instrument's ISIN, when the reference data has it.
    pub isin: Option<String>,
    /// The venue (ISO 10383 MIC), when known.
    pub mic: Option<String>,
    /// t0: when the story version ran.
    pub published_at: DateTime<Utc>,
}

/// Why a reaction closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedBy {
    /// The symbol's watermark passed the last horizon plus the lateness.
    Watermark,
    /// The symbol stopped trading; the partition's stream time passed the
    /// last horizon plus the idle close.
    Idle,
    /// Too many stories waited on the symbol; the earliest closed early.
    Capacity,
}

/// One horizon of a reaction: the last price at or before t0 + `after`,
/// its change from the price at publication, and the range in between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HorizonMove {
    /// The horizon.
    pub after: TimeDelta,
    /// The last price at or before the horizon; None when none is known.
    pub price: Option<Decimal>,
    /// `price - price_at_publication`, exact.
    pub change: Option<Decimal>,
    /// The change as a percentage of the price at publication, to 4 places.
    pub change_pct: Option<Decimal>,
    /// The highest price from publication to the horizon (the price at
    /// publication included).
    pub high: Option<Decimal>,
    /// The lowest.
    pub low: Option<Decimal>,
}

/// A closed reaction: a mention and how its symbol moved after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    /// The story version and symbol.
    pub mention: Mention,
    /// The last price at or before t0; None when none is known.
    pub price_at_publication: Option<Decimal>,
    /// One per configured horizon, ascending.
    pub horizons: Vec<HorizonMove>,
    /// Why it closed now.
    pub closed_by: ClosedBy,
}

/// What a price did to the tape.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PriceApplied {
    /// Reactions it closed.
    pub closed: Vec<Reaction>,
    /// It is older than the symbol's watermark by more than the allowed
    /// lateness: kept for stories still to come, but reactions that already
    /// closed did not see it.
    pub late: bool,
    /// Prices dropped from the history to keep it within its bounds.
    pub trimmed: Vec<DateTime<Utc>>,
    /// Symbols forgotten whole, with the times of the prices they held:
    /// none for longer than the retention, and no story waiting.
    pub forgotten: Vec<(String, Vec<DateTime<Utc>>)>,
}

/// How many prices a partition takes between sweeps for symbols gone
/// stale: a sweep looks at every symbol, so it runs rarely; without it a
/// feed of ever-new symbols would grow the state without bound.
pub const SWEEP_EVERY_PRICES: usize = 10_000;

/// What a mention did to the tape.
#[derive(Debug, PartialEq, Eq)]
pub enum MentionApplied {
    /// Its horizons have all closed already: the reaction is computed now
    /// from the retained prices.
    Closed(Reaction),
    /// It waits for its horizons; the earliest story over the per-symbol
    /// bound may have closed early to make room.
    Pending {
        /// A reaction closed early to keep within the bound.
        evicted: Option<Reaction>,
    },
}

/// One symbol's prices and waiting stories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymbolTape {
    /// Prices by event time (a second price at the same time replaces the first).
    pub history: BTreeMap<DateTime<Utc>, Decimal>,
    /// The newest event time seen.
    pub watermark: Option<DateTime<Utc>>,
    /// Waiting story versions by when they close, in arrival order within
    /// one time: every lookup is "the earliest", so nothing else is indexed.
    pending: BTreeMap<DateTime<Utc>, Vec<Mention>>,
    /// How many are waiting.
    pending_count: usize,
}

impl SymbolTape {
    /// When its earliest waiting story closes.
    fn first_close(&self) -> Option<DateTime<Utc>> {
        self.pending.first_key_value().map(|(at, _)| *at)
    }

    /// Takes the earliest waiting story if it closes before `before`.
    fn take_first_before(&mut self, before: DateTime<Utc>) -> Option<Mention> {
        if self.first_close()? >= before {
            return None;
        }
        self.take_first()
    }

    /// Takes the earliest waiting story.
    fn take_first(&mut self) -> Option<Mention> {
        let mut entry = self.pending.first_entry()?;
        let mention = entry.get_mut().remove(0);
        if entry.get().is_empty() {
            entry.remove();
        }
        self.pending_count -= 1;
        Some(mention)
    }
}

/// The join state of one input partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionTape {
    /// Per symbol.
    pub symbols: HashMap<String, SymbolTape, RandomState>,
    /// The newest event time seen across the partition's symbols.
    pub stream_time: Option<DateTime<Utc>>,
    /// Every symbol with waiting stories, by when its earliest closes: what
    /// the partition's stream time closes when a symbol goes idle.
    due: BTreeSet<(DateTime<Utc>, String)>,
    /// Prices held, across symbols.
    history_points: usize,
    /// Stories waiting, across symbols.
    pending: usize,
    /// Prices since the last sweep for stale symbols.
    prices_since_sweep: usize,
}

impl PartitionTape {
    /// Prices held across the partition's symbols.
    pub fn history_points(&self) -> usize {
        self.history_points
    }

    /// Stories waiting across the partition's symbols.
    pub fn pending_stories(&self) -> usize {
        self.pending
    }

    /// A price: kept in the symbol's history, moving its watermark and the
    /// partition's stream time, closing what they pass.
    pub fn apply_price(
        &mut self,
        symbol: &str,
        at: DateTime<Utc>,
        price: Decimal,
        rules: &Rules,
    ) -> PriceApplied {
        let tape = self.symbols.entry(symbol.to_owned()).or_default();
        let mut applied = PriceApplied {
            late: tape
                .watermark
                .is_some_and(|mark| at < mark - rules.allowed_lateness),
            ..PriceApplied::default()
        };
        if tape.history.insert(at, price).is_none() {
            self.history_points += 1;
        }
        let watermark = tape.watermark.map_or(at, |mark| mark.max(at));
        tape.watermark = Some(watermark);
        let stream_time = self.stream_time.map_or(at, |time| time.max(at));
        self.stream_time = Some(stream_time);

        // The symbol's own stories first, then those of symbols gone idle.
        self.close(
            symbol,
            watermark,
            ClosedBy::Watermark,
            rules,
            &mut applied.closed,
        );
        while let Some((first, idle_symbol)) = self.due.first().cloned() {
            if first + rules.idle_close >= stream_time {
                break;
            }
            self.close(
                &idle_symbol,
                stream_time - rules.idle_close,
                ClosedBy::Idle,
                rules,
                &mut applied.closed,
            );
        }
        applied.trimmed = self.trim(symbol, rules);
        self.prices_since_sweep += 1;
        if self.prices_since_sweep >= SWEEP_EVERY_PRICES {
            self.prices_since_sweep = 0;
            applied.forgotten = self.forget_stale(stream_time - rules.history_retention);
        }
        applied
    }

    /// Forgets the symbols with no price since `cutoff` and no story
    /// waiting; returns them with the times of the prices they held.
    fn forget_stale(&mut self, cutoff: DateTime<Utc>) -> Vec<(String, Vec<DateTime<Utc>>)> {
        let stale: Vec<String> = self
            .symbols
            .iter()
            .filter(|(_, tape)| {
                tape.pending_count == 0 && tape.watermark.is_none_or(|mark| mark < cutoff)
            })
            .map(|(symbol, _)| symbol.clone())
            .collect();
        let mut forgotten = Vec::with_capacity(stale.len());
        for symbol in stale {
            if let Some(tape) = self.symbols.remove(&symbol) {
                self.history_points -= tape.history.len();
                forgotten.push((symbol, tape.history.into_keys().collect()));
            }
        }
        forgotten.sort_unstable();
        forgotten
    }

    /// Closes the symbol's waiting stories that close before `before`.
    fn close(
        &mut self,
        symbol: &str,
        before: DateTime<Utc>,
        closed_by: ClosedBy,
        rules: &Rules,
        closed: &mut Vec<Reaction>,
    ) {
        let Some(tape) = self.symbols.get_mut(symbol) else {
            return;
        };
        let first = tape.first_close();
        while let Some(mention) = tape.take_first_before(before) {
            self.pending -= 1;
            closed.push(tape.reaction(mention, rules, closed_by));
        }
        let now_first = tape.first_close();
        self.reindex(symbol, first, now_first);
    }

    /// Keeps the idle index's entry for `symbol` at its earliest close.
    fn reindex(&mut self, symbol: &str, was: Option<DateTime<Utc>>, now: Option<DateTime<Utc>>) {
        if was == now {
            return;
        }
        if let Some(was) = was {
            self.due.remove(&(was, symbol.to_owned()));
        }
        if let Some(now) = now {
            self.due.insert((now, symbol.to_owned()));
        }
    }

    /// A story version naming a symbol: closed now when the symbol's
    /// watermark is past its last horizon already, else kept waiting.
    pub fn apply_mention(&mut self, mention: Mention, rules: &Rules) -> MentionApplied {
        let closes_at = rules.closes_at(mention.published_at);
        let idle = self
            .stream_time
            .is_some_and(|time| closes_at + rules.idle_close < time);
        let tape = self.symbols.entry(mention.symbol.clone()).or_default();
        // As a price would have closed it, had it come first: the result
        // does not depend on which of the two arrived first.
        if tape.watermark.is_some_and(|mark| closes_at < mark) {
            return MentionApplied::Closed(tape.reaction(mention, rules, ClosedBy::Watermark));
        }
        if idle {
            return MentionApplied::Closed(tape.reaction(mention, rules, ClosedBy::Idle));
        }
        let symbol = mention.symbol.clone();
        self.wait(mention, closes_at);
        let mut evicted = None;
        let Some(tape) = self.symbols.get_mut(&symbol) else {
            return MentionApplied::Pending { evicted };
        };
        if tape.pending_count > rules.max_pending_per_symbol {
            let first = tape.first_close();
            if let Some(mention) = tape.take_first() {
                self.pending -= 1;
                evicted = Some(tape.reaction(mention, rules, ClosedBy::Capacity));
            }
            let now_first = tape.first_close();
            self.reindex(&symbol, first, now_first);
        }
        MentionApplied::Pending { evicted }
    }

    /// Puts back a waiting story read from the changelog.
    pub fn restore_mention(&mut self, mention: Mention, rules: &Rules) {
        let closes_at = rules.closes_at(mention.published_at);
        self.wait(mention, closes_at);
    }

    /// Keeps `mention` waiting until `closes_at`.
    fn wait(&mut self, mention: Mention, closes_at: DateTime<Utc>) {
        let symbol = mention.symbol.clone();
        let tape = self.symbols.entry(symbol.clone()).or_default();
        let first = tape.first_close();
        tape.pending.entry(closes_at).or_default().push(mention);
        tape.pending_count += 1;
        self.pending += 1;
        let now_first = tape.first_close();
        self.reindex(&symbol, first, now_first);
    }

    /// Puts back a price read from the changelog (watermark and stream time
    /// are the newest price's, as they were).
    pub fn restore_price(&mut self, symbol: &str, at: DateTime<Utc>, price: Decimal) {
        let tape = self.symbols.entry(symbol.to_owned()).or_default();
        if tape.history.insert(at, price).is_none() {
            self.history_points += 1;
        }
        tape.watermark = Some(tape.watermark.map_or(at, |mark| mark.max(at)));
        self.stream_time = Some(self.stream_time.map_or(at, |time| time.max(at)));
    }

    /// Drops the symbol's prices that are older than the retention behind
    /// its watermark (keeping the last one before, a later story's price at
    /// publication) or over the per-symbol bound. Returns their times.
    fn trim(&mut self, symbol: &str, rules: &Rules) -> Vec<DateTime<Utc>> {
        let Some(tape) = self.symbols.get_mut(symbol) else {
            return Vec::new();
        };
        let Some(watermark) = tape.watermark else {
            return Vec::new();
        };
        let cutoff = watermark - rules.history_retention;
        let mut trimmed = Vec::new();
        // Keep the newest point at or before the cutoff: it is the price
        // until the next one.
        while let Some((&first, _)) = tape.history.first_key_value() {
            let second_at_or_before_cutoff = tape
                .history
                .range(first..)
                .nth(1)
                .is_some_and(|(&second, _)| second <= cutoff);
            if !(second_at_or_before_cutoff || tape.history.len() > rules.max_history_points) {
                break;
            }
            tape.history.pop_first();
            trimmed.push(first);
        }
        self.history_points -= trimmed.len();
        trimmed
    }
}

impl SymbolTape {
    /// The last price at or before `at`.
    fn price_at(&self, at: DateTime<Utc>) -> Option<Decimal> {
        self.history.range(..=at).next_back().map(|(_, p)| *p)
    }

    /// The reaction of `mention`, from the prices held now.
    fn reaction(&self, mention: Mention, rules: &Rules, closed_by: ClosedBy) -> Reaction {
        let t0 = mention.published_at;
        let at_publication = self.price_at(t0);
        let horizons = rules
            .horizons
            .iter()
            .map(|&after| {
                let end = t0 + after;
                let price = self.price_at(end);
                let window = self
                    .history
                    .range((
                        std::ops::Bound::Excluded(t0),
                        std::ops::Bound::Included(end),
                    ))
                    .map(|(_, p)| *p)
                    .chain(at_publication);
                let (high, low) = window.fold((None, None), |(high, low), p| {
                    (
                        Some(high.map_or(p, |h: Decimal| h.max(p))),
                        Some(low.map_or(p, |l: Decimal| l.min(p))),
                    )
                });
                let change = price
                    .zip(at_publication)
                    .and_then(|(p, p0)| p.checked_sub(p0));
                let change_pct = change
                    .zip(at_publication)
                    .and_then(|(c, p0)| percent(c, p0));
                HorizonMove {
                    after,
                    price,
                    change,
                    change_pct,
                    high,
                    low,
                }
            })
            .collect();
        Reaction {
            mention,
            price_at_publication: at_publication,
            horizons,
            closed_by,
        }
    }
}

/// `change` as a percentage of `base`, to 4 places; None for a zero base.
fn percent(change: Decimal, base: Decimal) -> Option<Decimal> {
    if base.is_zero() {
        return None;
    }
    change
        .checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(base)
        .map(|pct| {
            // Always 4 places, as the prices service writes its percentages.
            let mut pct = pct.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
            pct.rescale(4);
            pct
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn rules() -> Rules {
        Rules {
            horizons: vec![TimeDelta::seconds(60), TimeDelta::seconds(300)],
            allowed_lateness: TimeDelta::seconds(5),
            ..Rules::default()
        }
    }

    fn mention(story: &str, version: u32, published_at: &str) -> Mention {
        Mention {
            story_id: story.into(),
            story_version: version,
            article_id: format!("{story}-{version}"),
            title: "A story".into(),
            symbol: "BP".into(),
            isin: Some("GB0007980591".into()),
            mic: Some("XLON".into()),
            published_at: at(published_at),
        }
    }

    fn prices(tape: &mut PartitionTape, points: &[(&str, Decimal)]) -> Vec<Reaction> {
        points
            .iter()
            .flat_map(|(time, price)| tape.apply_price("BP", at(time), *price, &rules()).closed)
            .collect()
    }

    const TAPE: &[(&str, Decimal)] = &[
        ("2024-11-12T14:59:00Z", dec!(4.00)),
        ("2024-11-12T15:00:30Z", dec!(4.10)),
        ("2024-11-12T15:01:00Z", dec!(4.05)),
        ("2024-11-12T15:03:00Z", dec!(3.90)),
        ("2024-11-12T15:05:10Z", dec!(3.95)),
    ];

    #[test]
    fn a_story_before_its_prices_and_after_them_gets_the_same_reaction() {
        let mut first = PartitionTape::default();
        assert!(matches!(
            first.apply_mention(mention("s1", 1, "2024-11-12T15:00:00Z"), &rules()),
            MentionApplied::Pending { .. }
        ));
        let closed = prices(&mut first, TAPE);
        assert_eq!(closed.len(), 1, "closes when the watermark passes 15:05:05");
        let reaction = &closed[0];
        assert_eq!(reaction.price_at_publication, Some(dec!(4.00)));
        let one_minute = &reaction.horizons[0];
        assert_eq!(one_minute.price, Some(dec!(4.05)), "at or before 15:01:00");
        assert_eq!(one_minute.change, Some(dec!(0.05)));
        assert_eq!(one_minute.change_pct, Some(dec!(1.2500)));
        assert_eq!(
            (one_minute.high, one_minute.low),
            (Some(dec!(4.10)), Some(dec!(4.00)))
        );
        let five_minutes = &reaction.horizons[1];
        assert_eq!(
            five_minutes.price,
            Some(dec!(3.90)),
            "15:05:10 is after the horizon"
        );
        assert_eq!(five_minutes.change, Some(dec!(-0.10)));
        assert_eq!(five_minutes.change_pct, Some(dec!(-2.5000)));
        assert_eq!(five_minutes.low, Some(dec!(3.90)));
        assert_eq!(first.pending_stories(), 0);

        let mut second = PartitionTape::default();
        assert!(prices(&mut second, TAPE).is_empty());
        match second.apply_mention(mention("s1", 1, "2024-11-12T15:00:00Z"), &rules()) {
            MentionApplied::Closed(late) => assert_eq!(late.horizons, reaction.horizons),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn prices_out_of_order_within_the_lateness_count() {
        let mut tape = PartitionTape::default();
        tape.apply_mention(mention("s1", 1, "2024-11-12T15:00:00Z"), &rules());
        let mut shuffled = TAPE.to_vec();
        shuffled.swap(1, 3);
        let closed = prices(&mut tape, &shuffled);
        assert_eq!(closed[0].horizons[0].high, Some(dec!(4.10)));
        assert_eq!(closed[0].horizons[1].price, Some(dec!(3.90)));
    }

    #[test]
    fn every_version_of_a_story_gets_its_own_reaction_at_its_own_time() {
        let mut tape = PartitionTape::default();
        tape.apply_mention(mention("s1", 1, "2024-11-12T15:00:00Z"), &rules());
        tape.apply_mention(mention("s1", 2, "2024-11-12T15:02:00Z"), &rules());
        assert_eq!(tape.pending_stories(), 2);
        let mut later = TAPE.to_vec();
        later.push(("2024-11-12T15:08:00Z", dec!(3.80)));
        let closed = prices(&mut tape, &later);
        let versions: Vec<(u32, Option<Decimal>)> = closed
            .iter()
            .map(|r| (r.mention.story_version, r.price_at_publication))
            .collect();
        assert_eq!(versions, [(1, Some(dec!(4.00))), (2, Some(dec!(4.05)))]);
    }

    #[test]
    fn a_story_with_no_price_before_it_has_no_change_and_an_idle_symbol_closes() {
        let mut tape = PartitionTape::default();
        tape.apply_mention(mention("s1", 1, "2024-11-12T15:00:00Z"), &rules());
        // Another symbol of the partition moves time on; BP never trades.
        assert!(tape
            .apply_price("VOD", at("2024-11-12T15:30:00Z"), dec!(0.7), &rules())
            .closed
            .is_empty());
        let closed = tape
            .apply_price("VOD", at("2024-11-12T16:06:00Z"), dec!(0.7), &rules())
            .closed;
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].closed_by, ClosedBy::Idle);
        assert_eq!(closed[0].price_at_publication, None);
        assert!(closed[0]
            .horizons
            .iter()
            .all(|h| h.price.is_none() && h.change.is_none()));
    }

    #[test]
    fn history_keeps_the_price_before_its_retention_and_its_bound() {
        let rules = Rules {
            history_retention: TimeDelta::seconds(60),
            max_history_points: 3,
            ..rules()
        };
        let mut tape = PartitionTape::default();
        for (time, price) in TAPE {
            tape.apply_price("BP", at(time), *price, &rules);
        }
        let history = &tape.symbols["BP"].history;
        // Cutoff 15:04:10: 15:03:00 is the price then and stays.
        assert_eq!(
            history.keys().copied().collect::<Vec<_>>(),
            vec![at("2024-11-12T15:03:00Z"), at("2024-11-12T15:05:10Z")]
        );
        assert_eq!(tape.history_points(), 2);
        assert!(
            tape.apply_price("BP", at("2024-11-12T15:00:00Z"), dec!(1), &rules)
                .late
        );
    }

    #[test]
    fn a_symbol_with_no_price_for_longer_than_the_retention_is_forgotten() {
        let rules = Rules {
            history_retention: TimeDelta::hours(1),
            idle_close: TimeDelta::days(1),
            ..rules()
        };
        let mut tape = PartitionTape::default();
        tape.apply_price("OLD", at("2024-11-12T09:00:00Z"), dec!(1), &rules);
        tape.apply_mention(
            Mention {
                symbol: "WAITS".into(),
                ..mention("w", 1, "2024-11-12T09:00:00Z")
            },
            &rules,
        );
        let start = at("2024-11-12T12:00:00Z");
        let mut forgotten = Vec::new();
        for n in 0..SWEEP_EVERY_PRICES {
            let applied = tape.apply_price(
                "BP",
                start + TimeDelta::milliseconds(n as i64),
                dec!(4),
                &rules,
            );
            forgotten.extend(applied.forgotten);
        }
        assert_eq!(
            forgotten,
            vec![("OLD".to_owned(), vec![at("2024-11-12T09:00:00Z")])]
        );
        assert!(!tape.symbols.contains_key("OLD"));
        assert!(
            tape.symbols.contains_key("WAITS"),
            "a symbol with a story waiting stays"
        );
        assert!(tape.symbols.contains_key("BP"));
    }

    #[test]
    fn the_earliest_story_over_the_bound_closes_early() {
        let rules = Rules {
            max_pending_per_symbol: 2,
            ..rules()
        };
        let mut tape = PartitionTape::default();
        tape.apply_mention(mention("a", 1, "2024-11-12T15:02:00Z"), &rules);
        tape.apply_mention(mention("b", 1, "2024-11-12T15:00:00Z"), &rules);
        match tape.apply_mention(mention("c", 1, "2024-11-12T15:01:00Z"), &rules) {
            MentionApplied::Pending {
                evicted: Some(reaction),
                ..
            } => {
                assert_eq!(reaction.mention.story_id, "b");
                assert_eq!(reaction.closed_by, ClosedBy::Capacity);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(tape.pending_stories(), 2);
    }

    #[test]
    fn percentages_keep_their_precision_and_sign_and_survive_a_zero_base() {
        assert_eq!(percent(dec!(0.05), dec!(5)), Some(dec!(1.0000)));
        assert_eq!(percent(dec!(0), dec!(5)).unwrap().to_string(), "0.0000");
        assert_eq!(percent(dec!(-1), dec!(3)), Some(dec!(-33.3333)));
        assert_eq!(percent(dec!(1), dec!(0)), None);
    }
}
