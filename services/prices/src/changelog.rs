//! How a partition's price state is written to its changelog and read back.
//!
//! Most of a symbol's state is its dedupe memory: up to `dedupe_capacity`
//! observations (256 by default), ~4 KB of JSON after a hundred ticks, and
//! its alert window, ~1 KB more. Writing all of it for every changed symbol
//! at every commit made the changelog, not the ticks, the cost of
//! exactly-once with many symbols: 10,000 symbols drained at 0.29× the
//! broker's passthrough. So the observations are numbered by arrival and
//! written once, in blocks of [`BLOCK`]: a full block goes to one of its
//! symbol's block keys (`BP/seen/3`: its index modulo the blocks the
//! capacity needs, so the memory overwrites its own past as it wraps
//! around and nothing needs deleting). The symbol's own key (`BP`) holds
//! the rest: the newest, not yet full block, the numbers the memory spans,
//! and the alert window's prices by number. A commit writes, per changed
//! symbol, the blocks filled since the last one, then the header: one
//! partition keeps that order, so a header is never on the topic before
//! the blocks it names.
//!
//! Format 1 (until 2026-12) wrote the whole state under the symbol's key.
//! It is still read; such a symbol is written in format 2 at the next
//! commit.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize};

use tickertape_processor::RestoreError;

use crate::book::{Observation, PriceBook, SeenObservations, SymbolState, WindowPrice};

/// The state format this build writes.
///
/// 1: the whole state under the symbol's key (entries carry no `format`).
/// 2: a header under the symbol's key, full blocks of observations under
///    block keys.
pub const STATE_FORMAT: u32 = 2;

/// Observations per block: a block record costs about as much to produce
/// as a price change, so a symbol writes one per this many ticks, and its
/// header carries at most this many less one.
pub const BLOCK: u64 = 8;

/// What separates a symbol from the rest of a block key: no symbol holds
/// it ([`tickertape_market::tick::is_symbol`]).
const BLOCK_SEPARATOR: &str = "/seen/";

/// The key of the block holding observation `number`. A memory of
/// `capacity` spans at most `capacity / BLOCK + 1` blocks, rounded up: with
/// that many keys, no two blocks it needs share one.
fn block_key(symbol: &str, number: u64, capacity: usize) -> String {
    let keys = (capacity as u64).div_ceil(BLOCK) + 1;
    format!("{symbol}{BLOCK_SEPARATOR}{}", (number / BLOCK) % keys)
}

/// A symbol's state without its observations, as the changelog holds it.
#[derive(Serialize)]
struct HeaderOut<'a> {
    format: u32,
    last_price: Decimal,
    last_event_time: DateTime<Utc>,
    changes_published: u64,
    /// How many observations were ever remembered: the next one's number.
    remembered: u64,
    /// How many of the newest the memory holds.
    seen_len: usize,
    /// The newest observations, not yet in a block: numbers
    /// `remembered - recent.len()` onwards.
    recent: Recent<'a>,
    window_lows: WindowOut<'a>,
    window_highs: WindowOut<'a>,
    alert_active: bool,
}

/// Observations written as a JSON array, without collecting them first.
struct Recent<'a>(&'a SeenObservations, u64, u64);

impl Serialize for Recent<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Recent(seen, from, to) = *self;
        serializer.collect_seq(seen.numbered(from, to))
    }
}

/// An alert window queue as the header writes it: by number what the
/// memory holds (its slot has the time and price), in full what it does not.
struct WindowOut<'a> {
    entries: &'a VecDeque<WindowPrice>,
    /// The oldest number the memory holds.
    first: u64,
}

impl Serialize for WindowOut<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.entries.len()))?;
        for entry in self.entries {
            if entry.number >= self.first {
                seq.serialize_element(&entry.number)?;
            } else {
                seq.serialize_element(&(entry.number, entry.time, entry.price))?;
            }
        }
        seq.end()
    }
}

/// A header as read, in either format.
#[derive(Deserialize)]
struct HeaderIn {
    #[serde(default = "first_format")]
    format: u32,
    last_price: Decimal,
    last_event_time: DateTime<Utc>,
    changes_published: u64,
    #[serde(default)]
    remembered: u64,
    #[serde(default)]
    seen_len: usize,
    #[serde(default)]
    recent: Vec<Observation>,
    /// Format 1: the observations themselves.
    #[serde(default)]
    seen: Option<VecDeque<Observation>>,
    window_lows: Vec<WindowIn>,
    window_highs: Vec<WindowIn>,
    alert_active: bool,
}

fn first_format() -> u32 {
    1
}

/// An alert window entry as read.
#[derive(Deserialize)]
#[serde(untagged)]
enum WindowIn {
    /// Its observation's number: the time and price are in its slot.
    Remembered(u64),
    /// Number, time and price: the memory no longer held it.
    Full(u64, DateTime<Utc>, Decimal),
    /// Format 1: time and price.
    Unnumbered(DateTime<Utc>, Decimal),
}

/// A block as its record holds it: the first observation's number, and the
/// observations from it to the block's end.
#[derive(Deserialize)]
struct BlockIn(u64, Vec<Observation>);

/// Appends to `out` the entries that bring the changelog up to date with
/// `symbol`'s state: the blocks filled since it was last written, then its
/// header.
pub fn write_symbol(
    symbol: &str,
    state: &mut SymbolState,
    capacity: usize,
    out: &mut Vec<(String, Vec<u8>)>,
) {
    let seen = &state.seen;
    let (first, remembered) = (seen.first(), seen.remembered());
    let recent_from = (remembered - remembered % BLOCK).max(first);
    // Only what the memory still holds: a symbol ticking faster than its
    // capacity per commit writes each observation at most once.
    let mut from = seen.written().max(first);
    // Neither can fail: no maps with non-string keys, written to memory.
    while from < recent_from {
        let to = (from / BLOCK + 1) * BLOCK;
        let block = (from, Recent(seen, from, to));
        if let Ok(value) = serde_json::to_vec(&block) {
            out.push((block_key(symbol, from, capacity), value));
        }
        from = to;
    }
    let header = HeaderOut {
        format: STATE_FORMAT,
        last_price: state.last_price,
        last_event_time: state.last_event_time,
        changes_published: state.changes_published,
        remembered,
        seen_len: seen.len(),
        recent: Recent(seen, recent_from, remembered),
        window_lows: WindowOut {
            entries: &state.window_lows,
            first,
        },
        window_highs: WindowOut {
            entries: &state.window_highs,
            first,
        },
        alert_active: state.alert_active,
    };
    if let Ok(value) = serde_json::to_vec(&header) {
        out.push((symbol.to_owned(), value));
    }
    state.seen.set_written(recent_from);
}

/// A partition's book as its changelog entries rebuild it.
#[derive(Debug, Default)]
pub struct RestoredBook {
    /// The state.
    pub book: PriceBook,
    /// Symbols to write again at the next commit: the header on the topic
    /// does not describe the state restored (format 1, a shorter memory
    /// than it names, blocks under keys the current capacity moves).
    pub unwritten: Vec<String>,
    /// Block keys that nothing would overwrite: under a key the capacity
    /// does not give their block, or of a symbol with no header. To delete,
    /// so that the compacted topic does not keep them.
    pub stale: Vec<String>,
}

/// A symbol's observations read from its blocks: by number, the
/// observation and whether its key is the one the capacity puts it under.
type ReadBlocks = HashMap<u64, (Observation, bool)>;

/// Rebuilds a partition's book from the latest value of each of its keys.
///
/// A header's memory is the newest run of the observations it numbers that
/// its blocks still hold; under at-least-once, a crash between a commit's
/// block writes and its header can leave a block overwritten by a newer one
/// than the header names, and the memory then starts after it (a repeat of
/// one of those observations counts as late instead of duplicate).
pub fn read_book(
    entries: Vec<(String, Vec<u8>)>,
    capacity: usize,
) -> Result<RestoredBook, RestoreError> {
    let capacity = capacity.max(1);
    let mut restored = RestoredBook::default();
    let mut headers = Vec::new();
    // Per symbol: its observations, and its block keys.
    let mut blocks: HashMap<String, (ReadBlocks, Vec<String>)> = HashMap::new();
    for (key, value) in entries {
        let Some((symbol, _)) = key.split_once(BLOCK_SEPARATOR) else {
            headers.push((key, value));
            continue;
        };
        let BlockIn(start, observations) =
            serde_json::from_slice(&value).map_err(|source| RestoreError::Unreadable {
                key: key.clone(),
                source,
            })?;
        // Numbers count observations: a block ending past u64 was not
        // written by this service (and would overflow the numbering below).
        if start.checked_add(observations.len() as u64).is_none() {
            return Err(RestoreError::Invalid {
                key,
                detail: format!("a block starting at {start} runs past the last number"),
            });
        }
        let (read, keys) = blocks.entry(symbol.to_owned()).or_default();
        // A block under a key the capacity does not give it (the capacity
        // changed) is deleted, and what the memory needs of it is written
        // where it belongs. One observation in two blocks: the one in place
        // is kept.
        let in_place = key == block_key(symbol, start, capacity);
        for (number, observation) in (start..).zip(observations) {
            match read.entry(number) {
                Entry::Vacant(held) => {
                    held.insert((observation, in_place));
                }
                Entry::Occupied(mut held) if in_place => {
                    held.insert((observation, in_place));
                }
                Entry::Occupied(_) => {}
            }
        }
        if in_place {
            keys.push(key);
        } else {
            restored.stale.push(key);
        }
    }

    for (symbol, value) in headers {
        let header: HeaderIn =
            serde_json::from_slice(&value).map_err(|source| RestoreError::Unreadable {
                key: symbol.clone(),
                source,
            })?;
        if header.format > STATE_FORMAT {
            return Err(RestoreError::UnknownFormat {
                key: symbol,
                found: header.format,
                supported: STATE_FORMAT,
            });
        }
        // The newest observations are the last `recent.len()` of those ever
        // remembered: more would number some below zero.
        if header.seen.is_none() && header.recent.len() as u64 > header.remembered {
            return Err(RestoreError::Invalid {
                key: symbol,
                detail: format!(
                    "{} recent observations of {} ever remembered",
                    header.recent.len(),
                    header.remembered
                ),
            });
        }
        let (read, _) = blocks.remove(&symbol).unwrap_or_default();
        let (state, rewrite) = symbol_state(header, &read, capacity);
        if rewrite {
            restored.unwritten.push(symbol.clone());
        }
        restored.book.symbols.insert(symbol, state);
    }
    // Blocks of a symbol with no header: a crash came before its first.
    restored
        .stale
        .extend(blocks.into_values().flat_map(|(_, keys)| keys));
    Ok(restored)
}

/// One symbol's state from its header and the blocks read for it, and
/// whether the header must be written again.
fn symbol_state(header: HeaderIn, read: &ReadBlocks, capacity: usize) -> (SymbolState, bool) {
    let mut rewrite = false;
    let seen = match header.seen {
        Some(order) => {
            // Format 1. Numbered from 1: 0 is for window prices it lacks.
            rewrite = true;
            let remembered = order.len() as u64 + 1;
            SeenObservations::restored(order, remembered, 0)
        }
        None => {
            let remembered = header.remembered;
            let named = header.seen_len.min(capacity) as u64;
            let first = remembered.saturating_sub(named);
            let recent_from = remembered - header.recent.len() as u64;
            let mut order: VecDeque<Observation> = header.recent.into();
            // The newest run of numbers still in their blocks.
            let mut written = recent_from;
            for number in (first..recent_from).rev() {
                let Some(&(observation, in_place)) = read.get(&number) else {
                    break;
                };
                if !in_place {
                    written = number;
                    rewrite = true;
                }
                order.push_front(observation);
            }
            rewrite |= (order.len() as u64) < named;
            let written = written.max(remembered - order.len() as u64);
            SeenObservations::restored(order, remembered, written)
        }
    };
    let mut window = |entries: Vec<WindowIn>| -> VecDeque<WindowPrice> {
        let mut queue = VecDeque::with_capacity(entries.len());
        for entry in entries {
            let (number, (time, price)) = match entry {
                WindowIn::Remembered(number) => match seen.get(number) {
                    Some(observation) => (number, *observation),
                    // The memory came back shorter than the header says: a
                    // block may still hold it, and the header is written
                    // again with it in full.
                    None => {
                        rewrite = true;
                        match read.get(&number) {
                            Some((observation, _)) => (number, *observation),
                            // At-least-once, after a crash: lost with its block.
                            None => continue,
                        }
                    }
                },
                WindowIn::Full(number, time, price) => (number, (time, price)),
                WindowIn::Unnumbered(time, price) => {
                    (seen.number_of(&(time, price)).unwrap_or(0), (time, price))
                }
            };
            queue.push_back(WindowPrice {
                time,
                price,
                number,
            });
        }
        queue
    };
    let window_lows = window(header.window_lows);
    let window_highs = window(header.window_highs);
    let state = SymbolState {
        last_price: header.last_price,
        last_event_time: header.last_event_time,
        changes_published: header.changes_published,
        seen,
        window_lows,
        window_highs,
        alert_active: header.alert_active,
    };
    (state, rewrite)
}
