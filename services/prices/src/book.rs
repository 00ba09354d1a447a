//! Per-symbol price state and the rules that decide what a tick means.
//!
//! Pure and synchronous: [`PriceBook::apply`] takes a validated tick and
//! answers with a [`Decision`]. One book exists per input partition, so the
//! state that must survive a restart is one plain struct per partition.
//!
//! A tick in time order costs O(1) amortised, whatever the window sizes:
//! only a tick not newer than the symbol's newest can be a repeat, and it is
//! looked for newest first (a repeat is usually of a recent observation);
//! the alert window keeps only the prices that can still be its low or its
//! high (two monotonic queues). The largest move of a new price from any
//! price in the window is always from the window's low or its high, because
//! `(price - p) / p` falls as `p` rises.

use std::collections::{HashMap, VecDeque};

use ahash::RandomState;

use chrono::{DateTime, TimeDelta, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use tickertape_market::tick::Tick;

/// The rules' settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// A tick older than the symbol's last accepted one by more than this is late.
    pub allowed_lateness: TimeDelta,
    /// How long a seen observation (price and source time) is remembered.
    pub dedupe_window: TimeDelta,
    /// Most remembered observations per symbol, whatever their age.
    pub dedupe_capacity: usize,
    /// A move larger than this percentage within `alert_window` alerts.
    pub alert_threshold_pct: Decimal,
    /// The event-time window for alerts.
    pub alert_window: TimeDelta,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            allowed_lateness: TimeDelta::zero(),
            dedupe_window: TimeDelta::hours(24),
            dedupe_capacity: 256,
            alert_threshold_pct: Decimal::TWO,
            alert_window: TimeDelta::minutes(5),
        }
    }
}

/// What one symbol's history amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolState {
    /// The last accepted price.
    pub last_price: Decimal,
    /// The source time of the newest accepted tick.
    pub last_event_time: DateTime<Utc>,
    /// Price changes published so far; the next event's `seq` is one more.
    pub changes_published: u64,
    /// Observations (source time, price) seen within the dedupe window.
    pub seen: SeenObservations,
    /// The alert window's candidate lows: accepted prices, oldest first,
    /// each lower than every later one. The front is the window's low.
    pub window_lows: VecDeque<WindowPrice>,
    /// The alert window's candidate highs, likewise; the front is its high.
    pub window_highs: VecDeque<WindowPrice>,
    /// Whether the symbol is beyond the alert threshold: an alert fires on
    /// the crossing only, and re-arms when the move falls back under it.
    pub alert_active: bool,
}

/// One observation of a symbol: its source time and price.
pub type Observation = (DateTime<Utc>, Decimal);

/// An accepted price in the alert window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowPrice {
    /// Its source time.
    pub time: DateTime<Utc>,
    /// The price.
    pub price: Decimal,
    /// Its number in the dedupe memory ([`SeenObservations`]): the
    /// changelog names the entry by it while the memory holds it.
    pub number: u64,
}

/// The observations remembered for dedupe, in arrival order.
///
/// Each is numbered by arrival, from 0 for the symbol's first: the
/// changelog writes an observation once, under its number, instead of the
/// whole memory at every change (see [`crate::changelog`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeenObservations {
    /// The newest `order.len()` observations: numbers `remembered - len` to
    /// `remembered - 1`.
    order: VecDeque<Observation>,
    /// How many observations were ever remembered: the next one's number.
    remembered: u64,
    /// How many of them the changelog has: numbers below this are written.
    written: u64,
}

impl SeenObservations {
    /// The memory as restored: `order` holds the observations numbered
    /// `remembered - order.len()` onwards, and the changelog's blocks hold
    /// those numbered below `written`.
    pub(crate) fn restored(order: VecDeque<Observation>, remembered: u64, written: u64) -> Self {
        SeenObservations {
            order,
            remembered,
            written,
        }
    }

    /// How many observations were ever remembered: the next one's number.
    pub fn remembered(&self) -> u64 {
        self.remembered
    }

    /// The oldest number held.
    pub(crate) fn first(&self) -> u64 {
        self.remembered - self.order.len() as u64
    }

    /// Numbers below this are in the changelog's blocks.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    pub(crate) fn set_written(&mut self, written: u64) {
        self.written = written;
    }

    /// The observations numbered `from` to `to - 1`, of those held.
    pub(crate) fn numbered(&self, from: u64, to: u64) -> impl Iterator<Item = &Observation> {
        let first = self.first();
        let skip = from.saturating_sub(first) as usize;
        let take = to.saturating_sub(from.max(first)) as usize;
        self.order.iter().skip(skip).take(take)
    }

    /// The observation numbered `number`, if held.
    pub(crate) fn get(&self, number: u64) -> Option<&Observation> {
        let index = number.checked_sub(self.first())?;
        self.order.get(usize::try_from(index).ok()?)
    }

    /// The number of the newest held observation equal to `observation`.
    pub(crate) fn number_of(&self, observation: &Observation) -> Option<u64> {
        let index = self.order.iter().rposition(|seen| seen == observation)?;
        Some(self.first() + index as u64)
    }

    /// Whether `observation` is remembered; searched newest first.
    pub fn contains(&self, observation: &Observation) -> bool {
        self.order.iter().rev().any(|seen| seen == observation)
    }

    /// How many observations are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Remembers `observation`, then forgets, oldest arrival first, what is
    /// older than `span` before it and what exceeds `capacity`. Expiry walks
    /// from the front only (amortised O(1)): an entry that arrived late stays
    /// until the ones before it expire, and `capacity` bounds it anyway.
    fn remember(&mut self, observation: Observation, span: TimeDelta, capacity: usize) {
        self.order.push_back(observation);
        self.remembered += 1;
        let oldest_kept = earlier(observation.0, span);
        while let Some(front) = self.order.front() {
            if front.0 >= oldest_kept && self.order.len() <= capacity.max(1) {
                break;
            }
            self.order.pop_front();
        }
    }
}

/// `a` against `b`, with the usual case inline: a symbol's prices mostly
/// share a scale, and then their mantissas compare as the numbers do
/// (`Decimal`'s own comparison is a call that aligns scales first).
fn compare(a: &Decimal, b: &Decimal) -> std::cmp::Ordering {
    if a.scale() == b.scale() {
        a.mantissa().cmp(&b.mantissa())
    } else {
        a.cmp(b)
    }
}

/// `time - span`, or the earliest time there is: a tick from the far past
/// must not overflow (which would panic) on its way to being judged.
fn earlier(time: DateTime<Utc>, span: TimeDelta) -> DateTime<Utc> {
    time.checked_sub_signed(span)
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// How a change was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Against the symbol's previous accepted tick.
    PreviousTick,
    /// Against the previous close, derived from the reported day change.
    PreviousClose,
}

/// A price change to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The new price.
    pub price: Decimal,
    /// What it is compared with.
    pub previous_price: Decimal,
    /// `price - previous_price`, exact.
    pub change: Decimal,
    /// The change in percent (reported for `previous_close`, computed to 4 places otherwise).
    pub change_pct: Decimal,
    /// How it was measured.
    pub basis: Basis,
    /// 1 for the symbol's first published change, then one more each time.
    pub seq: u64,
}

/// A threshold move within the alert window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The price that crossed.
    pub price: Decimal,
    /// The price in the window it moved from.
    pub reference_price: Decimal,
    /// When the reference price was observed.
    pub reference_time: DateTime<Utc>,
    /// The move in percent, 4 places.
    pub change_pct: Decimal,
}

/// What a tick means for its symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The same observation was seen before.
    Duplicate,
    /// Older than the last accepted tick beyond the allowed lateness.
    Late {
        /// How much older than the last accepted tick.
        behind: TimeDelta,
    },
    /// The first observation of a symbol with no reported day change.
    FirstSeen,
    /// Same price as the last accepted one.
    Unchanged,
    /// A new price.
    Changed {
        /// The change to publish.
        change: Change,
        /// An alert to publish too, on a threshold crossing.
        alert: Option<Alert>,
    },
}

/// The price state of one input partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceBook {
    /// State per symbol. aHash: symbols come from the input, so the hash
    /// must resist chosen collisions, and SipHash cost a fifth of a tick.
    pub symbols: HashMap<String, SymbolState, RandomState>,
}

impl PriceBook {
    /// Decides what `tick` means and updates the state accordingly.
    pub fn apply(&mut self, tick: &Tick<'_>, rules: &Rules) -> Decision {
        let Some(state) = self.symbols.get_mut(&*tick.symbol) else {
            return self.first(tick);
        };
        let observation = (tick.event_time, tick.price);
        // Only accepted ticks are remembered, none newer than the newest:
        // a newer tick (the usual case) needs no look-up.
        if tick.event_time <= state.last_event_time && state.seen.contains(&observation) {
            return Decision::Duplicate;
        }
        if tick.event_time < state.last_event_time
            && tick.event_time < earlier(state.last_event_time, rules.allowed_lateness)
        {
            return Decision::Late {
                behind: state.last_event_time - tick.event_time,
            };
        }
        state
            .seen
            .remember(observation, rules.dedupe_window, rules.dedupe_capacity);
        state.last_event_time = state.last_event_time.max(tick.event_time);
        if compare(&tick.price, &state.last_price).is_eq() {
            return Decision::Unchanged;
        }

        let previous_price = state.last_price;
        let change = tick.price - previous_price;
        state.last_price = tick.price;
        state.changes_published += 1;
        let alert = alert_on(state, tick, rules);
        Decision::Changed {
            change: Change {
                price: tick.price,
                previous_price,
                change,
                change_pct: percent(change, previous_price),
                basis: Basis::PreviousTick,
                seq: state.changes_published,
            },
            alert,
        }
    }

    fn first(&mut self, tick: &Tick<'_>) -> Decision {
        let first = WindowPrice {
            time: tick.event_time,
            price: tick.price,
            number: 0,
        };
        let mut state = SymbolState {
            last_price: tick.price,
            last_event_time: tick.event_time,
            changes_published: 0,
            seen: SeenObservations {
                order: VecDeque::from([(tick.event_time, tick.price)]),
                remembered: 1,
                written: 0,
            },
            window_lows: VecDeque::from([first]),
            window_highs: VecDeque::from([first]),
            alert_active: false,
        };
        let decision = match tick
            .change_pct
            .and_then(|pct| previous_close(tick.price, pct))
        {
            Some(previous_price) if previous_price != tick.price => {
                state.changes_published = 1;
                Decision::Changed {
                    change: Change {
                        price: tick.price,
                        previous_price,
                        change: tick.price - previous_price,
                        change_pct: tick.change_pct.unwrap_or_default(),
                        basis: Basis::PreviousClose,
                        seq: 1,
                    },
                    alert: None,
                }
            }
            Some(_) => Decision::Unchanged,
            None => Decision::FirstSeen,
        };
        self.symbols.insert(tick.symbol.clone().into_owned(), state);
        decision
    }

    /// Entries held for `symbol` (the state-size metric): its last price
    /// plus its remembered observations.
    pub fn entries_of(&self, symbol: &str) -> usize {
        self.symbols.get(symbol).map_or(0, |s| {
            1 + s.seen.len() + s.window_lows.len() + s.window_highs.len()
        })
    }
}

/// The previous close implied by a price and its day change in percent:
/// rounded half away from zero to the price's own number of decimals, or
/// to as many more (up to [`MAX_CLOSE_DECIMALS`]) as it takes for the
/// change it implies to be the reported move: its percent within
/// [`MOVE_TOLERANCE_PCT`] of the reported one, or equal to it at the
/// reported precision. `59.34` at `-1.43%` → `60.20`; `5` at `1%` → `4.95`
/// (not `5`, which would be no move at all); `69` at `2%` → `67.6` (not
/// `68`, a move of 1.47%). None for a change of -100% or less.
pub fn previous_close(price: Decimal, change_pct: Decimal) -> Option<Decimal> {
    let factor = Decimal::ONE_HUNDRED.checked_add(change_pct)?;
    if factor <= Decimal::ZERO {
        return None;
    }
    let close = price
        .checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(factor)?;
    let implies_the_move = |rounded: Decimal| {
        let implied = (price - rounded)
            .checked_mul(Decimal::ONE_HUNDRED)
            .and_then(|c| c.checked_div(rounded));
        implied.is_some_and(|pct| {
            let off = (pct - change_pct).abs();
            off * Decimal::ONE_HUNDRED <= change_pct.abs() * MOVE_TOLERANCE_PCT
                || pct.round_dp_with_strategy(
                    change_pct.scale(),
                    RoundingStrategy::MidpointAwayFromZero,
                ) == change_pct
        })
    };
    let mut scale = price.scale();
    let mut rounded = close.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    while scale < MAX_CLOSE_DECIMALS && (rounded.is_zero() || !implies_the_move(rounded)) {
        scale += 1;
        rounded = close.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    }
    // Keep the precision visible (`60.20`, not `60.2`).
    rounded.rescale(scale);
    Some(rounded)
}

/// The most decimals an implied previous close is given to: as many as a
/// tick's price may have.
const MAX_CLOSE_DECIMALS: u32 = 8;
/// How far, relative to the reported day change, the move a previous close
/// implies may be off, in percent: a close at the price's own precision is
/// kept when it is about right (`35.53` for `35.11` at `-1.17%` implies
/// `-1.18%`), not refined to sub-cent digits the market never quoted.
const MOVE_TOLERANCE_PCT: Decimal = Decimal::from_parts(5, 0, 0, false, 0);

/// `change` as a percentage of `base`, rounded half away from zero to 4
/// places.
fn percent(change: Decimal, base: Decimal) -> Decimal {
    percent_in_integers(change, base).unwrap_or_else(|| percent_in_decimals(change, base))
}

/// The same quotient on the mantissas, in `i128`, exactly: prices have at
/// most 8 places and are at most 1e15, so every operand fits, and one
/// integer division costs a fraction of `Decimal`'s division and rounding
/// (this runs for every price change). `None` if anything would overflow.
fn percent_in_integers(change: Decimal, base: Decimal) -> Option<Decimal> {
    // change / base * 100 * 10^4 = mc * 10^(sb + 6) / (mb * 10^sc)
    let numerator = change
        .mantissa()
        .checked_mul(10i128.checked_pow(base.scale() + 6)?)?;
    let denominator = base
        .mantissa()
        .checked_mul(10i128.checked_pow(change.scale())?)?;
    if denominator == 0 {
        return None;
    }
    let (quotient, remainder) = (numerator / denominator, numerator % denominator);
    // |remainder| < |denominator| <= 2^127, so doubling it cannot overflow.
    let rounded = if remainder.unsigned_abs() * 2 >= denominator.unsigned_abs() {
        quotient + numerator.signum() * denominator.signum()
    } else {
        quotient
    };
    Decimal::try_from_i128_with_scale(rounded, 4)
        .ok()
        .map(|pct| pct.normalize())
}

fn percent_in_decimals(change: Decimal, base: Decimal) -> Decimal {
    (change * Decimal::ONE_HUNDRED / base)
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// How the move of `price` relative to `a` compares with its move relative
/// to `b` (both positive). Exactly, cross-multiplied so that no division
/// rounds it, where the products fit a Decimal; prices near the 10^15 bound
/// (the fuzzer found them) overflow the products, and then by division, to
/// 28 significant digits.
fn relative_moves(price: Decimal, a: Decimal, b: Decimal) -> std::cmp::Ordering {
    let (from_a, from_b) = ((price - a).abs(), (price - b).abs());
    match (from_a.checked_mul(b), from_b.checked_mul(a)) {
        (Some(by_a), Some(by_b)) => compare(&by_a, &by_b),
        _ => compare(&(from_a / a), &(from_b / b)),
    }
}

/// Adds the accepted tick to the alert window and fires on a crossing: the
/// largest move from any price in the window beyond the threshold.
fn alert_on(state: &mut SymbolState, tick: &Tick<'_>, rules: &Rules) -> Option<Alert> {
    let now = tick.event_time;
    let window_start = earlier(now, rules.alert_window);
    for queue in [&mut state.window_lows, &mut state.window_highs] {
        while queue.front().is_some_and(|entry| entry.time < window_start) {
            queue.pop_front();
        }
    }
    // The larger relative move: |p - a| / a against |p - b| / b. On equal
    // moves the later reference wins, as the newer news.
    let price = tick.price;
    let largest = match (state.window_lows.front(), state.window_highs.front()) {
        (Some(&low), Some(&high)) => Some(
            if relative_moves(price, high.price, low.price)
                .then(high.time.cmp(&low.time))
                .is_gt()
            {
                high
            } else {
                low
            },
        ),
        (low, high) => low.or(high).copied(),
    };
    // Beyond the threshold, exactly: |p - r| * 100 > threshold * r.
    let beyond = largest.filter(|reference| {
        let moved = (price - reference.price).abs() * Decimal::ONE_HUNDRED;
        compare(&moved, &(rules.alert_threshold_pct * reference.price)).is_gt()
    });
    // A later price at or below a candidate low means that low can never be
    // the window's low again (it expires first); likewise for highs.
    let accepted = WindowPrice {
        time: now,
        price: tick.price,
        // Remembered just before: the newest observation.
        number: state.seen.remembered() - 1,
    };
    while state
        .window_lows
        .back()
        .is_some_and(|entry| compare(&entry.price, &tick.price).is_ge())
    {
        state.window_lows.pop_back();
    }
    state.window_lows.push_back(accepted);
    while state
        .window_highs
        .back()
        .is_some_and(|entry| compare(&entry.price, &tick.price).is_le())
    {
        state.window_highs.pop_back();
    }
    state.window_highs.push_back(accepted);

    match beyond {
        Some(reference) if !state.alert_active => {
            state.alert_active = true;
            Some(Alert {
                price,
                reference_price: reference.price,
                reference_time: reference.time,
                change_pct: percent(price - reference.price, reference.price),
            })
        }
        Some(_) => None,
        None => {
            state.alert_active = false;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use tickertape_market::tick::{SourceKind, TickSource, MAX_PRICE};

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_731_400_000 + seconds, 0).unwrap()
    }

    fn tick(
        symbol: &str,
        price: Decimal,
        time: DateTime<Utc>,
        change_pct: Option<Decimal>,
    ) -> Tick<'_> {
        Tick {
            symbol: symbol.into(),
            price,
            event_time: time,
            currency: Some("USD".into()),
            venue: None,
            change_pct,
            seq: None,
            source: TickSource {
                kind: SourceKind::Feed,
                name: None,
                url: None,
            },
        }
    }

    #[test]
    fn compare_is_decimal_ordering() {
        let values = [
            dec!(0),
            dec!(-0),
            dec!(0.00),
            dec!(59.34),
            dec!(59.340),
            dec!(-59.34),
            dec!(60.2),
            dec!(1000000000000000),
            dec!(0.00000001),
            dec!(-0.00000001),
        ];
        for a in values {
            for b in values {
                assert_eq!(compare(&a, &b), a.cmp(&b), "{a} against {b}");
            }
        }
    }

    #[test]
    fn percent_in_integers_matches_decimal_division() {
        // Midpoints in both signs, the largest price, and a pseudo-random
        // spread of scales 0..=8 and magnitudes.
        let mut pairs = vec![
            (dec!(0.00005), dec!(1)),
            (dec!(-0.00005), dec!(1)),
            (dec!(0.000049), dec!(1)),
            (dec!(-0.86), dec!(60.20)),
            (dec!(1), dec!(3)),
            (dec!(-2), dec!(3)),
        ];
        // Past what i128 holds at 4 places: the Decimal route answers.
        for (change, base) in [
            (MAX_PRICE - dec!(0.00000001), dec!(0.00000001)),
            (dec!(0.00000001), MAX_PRICE),
        ] {
            assert_eq!(percent(change, base), percent_in_decimals(change, base));
        }
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..100_000 {
            let scale = |r: u64| (r % 9) as u32;
            let base = Decimal::new((next() % 1_000_000_000_000) as i64 + 1, scale(next()));
            let change = Decimal::new(
                (next() % 2_000_000_000_000) as i64 - 1_000_000_000_000,
                scale(next()),
            );
            pairs.push((change, base));
        }
        for (change, base) in pairs {
            assert_eq!(
                percent_in_integers(change, base),
                Some(percent_in_decimals(change, base)),
                "{change} / {base}"
            );
        }
    }

    #[test]
    fn previous_close_keeps_the_price_precision() {
        assert_eq!(
            previous_close(dec!(59.34), dec!(-1.43))
                .unwrap()
                .to_string(),
            "60.20"
        );
        assert_eq!(
            previous_close(dec!(142.55), dec!(1)).unwrap().to_string(),
            "141.14"
        );
        // 68 would imply +1.47%, which is not the reported 2%.
        assert_eq!(
            previous_close(dec!(69), dec!(2)).unwrap().to_string(),
            "67.6"
        );
        assert_eq!(
            previous_close(dec!(22.658), dec!(-19.57))
                .unwrap()
                .to_string(),
            "28.171"
        );
        assert_eq!(previous_close(dec!(1), dec!(-100)), None);
    }

    /// A move on a price quoted with few or no decimals does not vanish in
    /// the rounding: the close keeps the decimals the move needs, at any
    /// precision and either sign, and the move it implies is within 5% of
    /// the reported one.
    #[test]
    fn previous_close_keeps_the_precision_the_move_needs() {
        for (price, pct, close) in [
            (dec!(5), dec!(1), "4.95"),
            (dec!(5), dec!(-1), "5.05"),
            (dec!(5), dec!(0.01), "4.9995"),
            (dec!(12.5), dec!(-0.4), "12.55"),
            (dec!(120), dec!(0.5), "119.4"),
            (dec!(120), dec!(-0.25), "120.3"),
            (dec!(3.1), dec!(0.1), "3.097"),
            (dec!(0.0004), dec!(2), "0.000392"),
            (dec!(2500), dec!(12), "2232"),
            // About right at the price's own precision: kept.
            (dec!(35.11), dec!(-1.17), "35.53"),
            (dec!(59.34), dec!(0), "59.34"),
        ] {
            let found = previous_close(price, pct).unwrap();
            assert_eq!(found.to_string(), close, "{price} at {pct}%");
            if !pct.is_zero() {
                assert_ne!(found, price, "{price} at {pct}%: the move vanished");
                let implied = (price - found) * dec!(100) / found;
                assert!(
                    (implied - pct).abs() <= pct.abs() * dec!(0.05),
                    "{price} at {pct}%: {found} implies {implied}%"
                );
            }
        }
    }

    /// Found by the prices_processor fuzz target: a window holding a tiny
    /// and a huge price made the exact comparison's products overflow.
    #[test]
    fn prices_at_the_bounds_in_one_window_do_not_overflow() {
        let mut book = PriceBook::default();
        let rules = Rules::default();
        for (i, price) in [
            dec!(0.00000001),
            MAX_PRICE,
            dec!(0.00000002),
            MAX_PRICE - dec!(1),
        ]
        .into_iter()
        .enumerate()
        {
            book.apply(&tick("BC", price, at(i as i64), None), &rules);
        }
        use std::cmp::Ordering;
        assert_eq!(
            relative_moves(dec!(500), MAX_PRICE, dec!(0.00000001)),
            Ordering::Less,
            "500 is nearer to 10^15 than to 10^-8, relatively"
        );
        assert_eq!(relative_moves(dec!(2), dec!(1), dec!(4)), Ordering::Greater);
        assert_eq!(relative_moves(dec!(2), dec!(1), dec!(3)), Ordering::Greater);
        assert_eq!(relative_moves(dec!(3), dec!(2), dec!(6)), Ordering::Equal);
    }

    #[test]
    fn first_tick_with_day_change_is_a_previous_close_change() {
        let mut book = PriceBook::default();
        let decision = book.apply(
            &tick("RBGPF", dec!(59.34), at(0), Some(dec!(-1.43))),
            &Rules::default(),
        );
        let Decision::Changed { change, alert } = decision else {
            panic!("expected a change, got {decision:?}");
        };
        assert_eq!(change.basis, Basis::PreviousClose);
        assert_eq!(change.previous_price.to_string(), "60.20");
        assert_eq!(change.change.to_string(), "-0.86");
        assert_eq!(change.change_pct, dec!(-1.43));
        assert_eq!(change.seq, 1);
        assert_eq!(alert, None);
    }

    #[test]
    fn repeats_unchanged_and_new_prices() {
        let rules = Rules::default();
        let mut book = PriceBook::default();
        assert_eq!(
            book.apply(&tick("BP", dec!(28.57), at(0), None), &rules),
            Decision::FirstSeen
        );
        assert_eq!(
            book.apply(&tick("BP", dec!(28.57), at(0), None), &rules),
            Decision::Duplicate
        );
        assert_eq!(
            book.apply(&tick("BP", dec!(28.57), at(5), None), &rules),
            Decision::Unchanged
        );
        let Decision::Changed { change, .. } =
            book.apply(&tick("BP", dec!(28.61), at(9), None), &rules)
        else {
            panic!("expected a change");
        };
        assert_eq!(
            (change.previous_price, change.change, change.basis),
            (dec!(28.57), dec!(0.04), Basis::PreviousTick)
        );
        assert_eq!(change.change_pct, dec!(0.14));
        assert_eq!(change.seq, 1);
    }

    #[test]
    fn late_ticks_do_not_touch_state_unless_within_lateness() {
        let mut rules = Rules::default();
        let mut book = PriceBook::default();
        book.apply(&tick("VOD", dec!(8.75), at(60), None), &rules);
        let before = book.clone();
        assert_eq!(
            book.apply(&tick("VOD", dec!(9.10), at(30), None), &rules),
            Decision::Late {
                behind: TimeDelta::seconds(30)
            }
        );
        assert_eq!(book, before);

        rules.allowed_lateness = TimeDelta::seconds(45);
        assert!(matches!(
            book.apply(&tick("VOD", dec!(8.80), at(30), None), &rules),
            Decision::Changed { .. }
        ));
        assert_eq!(
            book.symbols["VOD"].last_event_time,
            at(60),
            "the newest time stays"
        );
    }

    #[test]
    fn alerts_fire_once_per_crossing() {
        let rules = Rules::default();
        let mut book = PriceBook::default();
        book.apply(&tick("AZN", dec!(100), at(0), None), &rules);
        let alert_of = |d: Decision| match d {
            Decision::Changed { alert, .. } => alert,
            other => panic!("expected a change, got {other:?}"),
        };
        assert_eq!(
            alert_of(book.apply(&tick("AZN", dec!(101), at(60), None), &rules)),
            None
        );
        let alert = alert_of(book.apply(&tick("AZN", dec!(102.5), at(120), None), &rules)).unwrap();
        assert_eq!(
            (alert.reference_price, alert.change_pct),
            (dec!(100), dec!(2.5))
        );
        // Still beyond the threshold: no second alert.
        assert_eq!(
            alert_of(book.apply(&tick("AZN", dec!(103), at(130), None), &rules)),
            None
        );
        // Much later the window holds only recent prices: back under, re-armed.
        assert_eq!(
            alert_of(book.apply(&tick("AZN", dec!(103.1), at(900), None), &rules)),
            None
        );
        let alert = alert_of(book.apply(&tick("AZN", dec!(100.9), at(960), None), &rules)).unwrap();
        assert_eq!(alert.reference_price, dec!(103.1));
        assert_eq!(alert.change_pct, dec!(-2.1339));
    }

    /// The two queues decide exactly as a scan of every price in the window
    /// would, on a long pseudo-random walk.
    #[test]
    fn alert_window_queues_match_a_full_scan() {
        let rules = Rules::default();
        let mut book = PriceBook::default();
        let mut window: Vec<(DateTime<Utc>, Decimal)> = Vec::new();
        let mut active = false;
        let mut cents: i64 = 10_000;
        let mut seed: u64 = 42;
        let mut alerts = 0;
        for i in 0..5_000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            cents += (seed >> 33) as i64 % 61 - 30;
            let time = at(i * 7);
            let price = Decimal::new(cents, 2);
            let decision = book.apply(&tick("RIO", price, time, None), &rules);

            let expected = if i == 0 || window.last().is_some_and(|(_, p)| *p == price) {
                None
            } else {
                window.retain(|(t, _)| time - *t <= rules.alert_window);
                // Decimal division keeps 28 digits: exact enough to rank cents.
                let largest = window
                    .iter()
                    .map(|&(t, p)| (t, p, ((price - p) * Decimal::ONE_HUNDRED / p).abs()))
                    .max_by_key(|(_, _, pct)| *pct);
                match largest.filter(|(_, _, pct)| *pct > rules.alert_threshold_pct) {
                    Some((reference_time, reference_price, _)) if !active => {
                        active = true;
                        Some(Alert {
                            price,
                            reference_price,
                            reference_time,
                            change_pct: percent(price - reference_price, reference_price),
                        })
                    }
                    Some(_) => None,
                    None => {
                        active = false;
                        None
                    }
                }
            };
            if window.last().is_none_or(|(_, p)| *p != price) {
                window.push((time, price));
            }
            let alert = match decision {
                Decision::Changed { alert, .. } => alert,
                _ => None,
            };
            alerts += usize::from(alert.is_some());
            assert_eq!(alert, expected, "tick {i} at {price}");
        }
        assert!(
            alerts > 10,
            "the walk crosses the threshold often: {alerts}"
        );
    }

    #[test]
    fn ticks_from_the_edge_of_time_do_not_overflow() {
        let rules = Rules::default();
        let mut book = PriceBook::default();
        let first = DateTime::<Utc>::MIN_UTC;
        book.apply(&tick("OLD", dec!(1), first, None), &rules);
        book.apply(&tick("OLD", dec!(1), first, None), &rules);
        assert!(matches!(
            book.apply(
                &tick("OLD", dec!(2), first + TimeDelta::seconds(1), None),
                &rules
            ),
            Decision::Changed { .. }
        ));
    }

    #[test]
    fn dedupe_memory_is_bounded() {
        let rules = Rules {
            dedupe_capacity: 8,
            ..Rules::default()
        };
        let mut book = PriceBook::default();
        for i in 0..1000 {
            book.apply(&tick("JRI", Decimal::from(10 + i % 3), at(i), None), &rules);
        }
        assert!(book.symbols["JRI"].seen.len() <= 8);
        let jri = &book.symbols["JRI"];
        assert!(
            jri.window_lows.len() <= 3 && jri.window_highs.len() <= 3,
            "the alert window keeps only candidate lows and highs: {jri:?}"
        );
    }
}
