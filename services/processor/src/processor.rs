//! The seam between the Kafka runtime and the domain.
//!
//! A [`Processor`] sees one [`Input`] at a time and answers with an
//! [`Outcome`]: records to publish, or a [`Rejection`]. It does no I/O and
//! holds all the state it needs, so the same processor runs under the Kafka
//! runtime, the embedded demo and `tickertape process` over files.

use chrono::{DateTime, Utc};

/// One input message, borrowed from wherever it came from.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// The topic it was read from.
    pub topic: &'a str,
    /// Its partition (0 when read from a file).
    pub partition: i32,
    /// Its offset (the line or file number when read from a file).
    pub offset: i64,
    /// The message key, if any.
    pub key: Option<&'a [u8]>,
    /// The message value: the bytes the producer sent, untouched.
    pub payload: &'a [u8],
    /// Message headers, in order; a header without a value has an empty one.
    pub headers: Vec<(&'a str, &'a [u8])>,
    /// The broker or producer timestamp, if the message has one.
    pub timestamp: Option<DateTime<Utc>>,
    /// When this process received it: the processor's only clock.
    pub received_at: DateTime<Utc>,
}

impl<'a> Input<'a> {
    /// A message as a file or a test gives it: partition 0, offset 0, no
    /// key, headers or timestamp (set them with struct update syntax).
    pub fn unkeyed(topic: &'a str, payload: &'a [u8], received_at: DateTime<Utc>) -> Self {
        Input {
            topic,
            partition: 0,
            offset: 0,
            key: None,
            payload,
            headers: Vec::new(),
            timestamp: None,
            received_at,
        }
    }

    /// The value of the last header named `name` that is valid UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(key, _)| *key == name)
            .and_then(|(_, value)| std::str::from_utf8(value).ok())
    }
}

/// One record to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The destination topic.
    pub topic: String,
    /// The destination partition; None lets the key decide.
    pub partition: Option<i32>,
    /// The partitioning key, as bytes: a dead letter keeps its input's key
    /// exactly, whatever it holds.
    pub key: Option<Vec<u8>>,
    /// Headers, in order; values as bytes, for the same reason.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The serialized value (JSON for every tickertape event).
    pub value: Vec<u8>,
    /// The event's own time, for the event-age metric; None for records
    /// that are not events (dead letters, changelog entries).
    pub event_time: Option<DateTime<Utc>>,
}

impl Record {
    /// A JSON record with the `content-type` header every event carries.
    pub fn json(topic: &str, key: impl Into<String>, value: Vec<u8>) -> Self {
        Record {
            topic: topic.to_owned(),
            partition: None,
            key: Some(key.into().into_bytes()),
            headers: vec![("content-type".into(), b"application/json".to_vec())],
            value,
            event_time: None,
        }
    }

    /// The same record, with its event time.
    pub fn at(mut self, event_time: DateTime<Utc>) -> Self {
        self.event_time = Some(event_time);
        self
    }

    /// Bytes the record takes before compression: value, key and headers.
    pub fn encoded_len(&self) -> usize {
        self.value.len()
            + self.key.as_ref().map_or(0, Vec::len)
            + self
                .headers
                .iter()
                .map(|(name, value)| name.len() + value.len())
                .sum::<usize>()
    }

    /// The value of the last header named `name`, if it is UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| std::str::from_utf8(value).ok())
    }
}

/// Why an input was not processed. Goes to the dead-letter topic with the
/// input's original bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// A machine-readable code from a small fixed set (it labels a metric).
    pub reason: &'static str,
    /// A sentence for the person who reads the dead letter.
    pub detail: String,
    /// How many times the input was tried: 1 unless its outputs failed and
    /// it was read again.
    pub attempts: u32,
}

impl Rejection {
    /// A rejection with a reason code and a human explanation, on the
    /// input's first attempt.
    pub fn new(reason: &'static str, detail: impl Into<String>) -> Self {
        Rejection {
            reason,
            detail: detail.into(),
            attempts: 1,
        }
    }

    /// The same rejection after `attempts` tries.
    pub fn after_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }
}

/// What one input became.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Zero or more records to publish, in order. Zero is a valid answer (a
    /// repeated tick, an unchanged price).
    Publish(Vec<Record>),
    /// The input cannot be processed; it is dead-lettered.
    Reject(Rejection),
}

/// One change to the state that must survive restarts: the new value of
/// `key` in the state of input partition `partition` (None: deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// The input partition whose state changed (also the changelog partition).
    pub partition: i32,
    /// The key within that state (a symbol, a story id).
    pub key: String,
    /// The serialized new value, or None when the key was removed.
    pub value: Option<Vec<u8>>,
}

/// Decides what one input message becomes. No I/O; all state is in `self`.
///
/// A processor with state that matters after a restart names a store; the
/// runtime then writes its [`StateChange`]s to a compacted changelog topic
/// (inside the transaction under exactly-once) and, when it is assigned an
/// input partition, rebuilds that partition's state with [`Processor::restore`]
/// before processing any of its messages.
pub trait Processor: Send + 'static {
    /// Processes one input. Must not panic on any input bytes.
    fn process(&mut self, input: &Input<'_>) -> Outcome;

    /// The name of the state store, if the processor has state to keep.
    fn state_store(&self) -> Option<&'static str> {
        None
    }

    /// The state changes made since the last call.
    fn take_state_changes(&mut self) -> Vec<StateChange> {
        Vec::new()
    }

    /// Rebuilds the state of `partition` from its changelog: the latest value
    /// of every key, oldest write first.
    ///
    /// Fails when an entry cannot be read; the runtime then stops rather
    /// than run on a state it cannot trust.
    fn restore(
        &mut self,
        partition: i32,
        entries: Vec<(String, Vec<u8>)>,
    ) -> Result<(), RestoreError> {
        let _ = (partition, entries);
        Ok(())
    }

    /// Whether this processor restores record by record
    /// ([`Processor::restore_record`], then [`Processor::restore_finished`])
    /// instead of from the whole of [`Processor::restore`]'s latest values:
    /// for a state large enough that holding its changelog and itself at
    /// once would double the service's peak memory.
    fn restores_by_record(&self) -> bool {
        false
    }

    /// One record of `partition`'s changelog, in offset order: `key`'s value
    /// from then on (None: deleted). A later record of the same key replaces
    /// it. Called only when [`Processor::restores_by_record`], after
    /// [`Processor::release`] of the partition.
    fn restore_record(
        &mut self,
        partition: i32,
        key: &str,
        value: Option<&[u8]>,
    ) -> Result<(), RestoreError> {
        let _ = (partition, key, value);
        Ok(())
    }

    /// Every record of `partition`'s changelog has been given to
    /// [`Processor::restore_record`]: its state is whole.
    fn restore_finished(&mut self, partition: i32) -> Result<(), RestoreError> {
        let _ = partition;
        Ok(())
    }

    /// Drops the state of a partition this instance no longer owns.
    fn release(&mut self, partition: i32) {
        let _ = partition;
    }

    /// Entries held in state, for the state-size metric.
    fn state_entries(&self) -> usize {
        0
    }

    /// Whether [`Processor::process`] reads the input's headers. When it
    /// does not, the runtime leaves them unparsed (parsing them was a tenth
    /// of the prices service's loop) and reads them only for a dead letter.
    fn reads_headers(&self) -> bool {
        true
    }

    /// Every reason code this processor's rejections use, so that the
    /// dead-letter counter has a series for each from start-up, at 0.
    fn rejection_reasons(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// The batch of inputs processed since the last call is done: committed
    /// (its outputs are out, its offsets stored) or given up, to be read
    /// and processed again. A processor counting in [`Tally`]s publishes or
    /// drops what the batch counted, so that a re-read input counts once.
    ///
    /// [`Tally`]: crate::shared_metrics::Tally
    fn batch_closed(&mut self, _committed: bool) {}
}

/// Why a changelog entry could not be restored. The runtime stops rather
/// than run on a state it cannot trust.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The entry is not what the processor writes.
    #[error("entry {key:?} does not parse: {source}")]
    Unreadable {
        /// The entry's key.
        key: String,
        /// What the parser said.
        #[source]
        source: serde_json::Error,
    },
    /// The entry parses but holds what this build could not have written.
    #[error("entry {key:?} is not valid state: {detail}")]
    Invalid {
        /// The entry's key.
        key: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The entry was written by a newer build, in a format this one does not know.
    #[error("entry {key:?} is in state format {found}; this build reads formats up to {supported} (roll forward, not back)")]
    UnknownFormat {
        /// The entry's key.
        key: String,
        /// The format it was written in.
        found: u32,
        /// The newest format this build reads.
        supported: u32,
    },
}

/// Header names the runtime puts on every dead letter.
pub mod dead_letter_headers {
    /// The rejection's reason code.
    pub const REASON: &str = "tickertape.reason";
    /// The rejection's explanation.
    pub const DETAIL: &str = "tickertape.detail";
    /// Where the input came from.
    pub const SOURCE_TOPIC: &str = "tickertape.source.topic";
    /// Its partition.
    pub const SOURCE_PARTITION: &str = "tickertape.source.partition";
    /// Its offset.
    pub const SOURCE_OFFSET: &str = "tickertape.source.offset";
    /// How many times it was tried (decimal; 1 unless its outputs failed).
    pub const ATTEMPTS: &str = "tickertape.attempts";
    /// On a dead letter too large for one record, which part this is:
    /// `i/n`, from `1/n` (see [`super::dead_letter_parts`]).
    pub const PART: &str = "tickertape.part";
}

/// The dead letter for a rejected input: its original key, bytes and
/// headers (as they were), then the reason and the input's position in
/// `tickertape.*` headers. A reader takes the last header of a name, so a
/// dead letter redriven and refused again says why the second time.
pub fn dead_letter(input: &Input<'_>, rejection: &Rejection, dead_letter_topic: &str) -> Record {
    let mut headers: Vec<(String, Vec<u8>)> = input
        .headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.to_vec()))
        .collect();
    headers.extend(dead_letter_headers_of(
        rejection,
        input.topic,
        input.partition,
        input.offset,
    ));
    Record {
        topic: dead_letter_topic.to_owned(),
        partition: None,
        key: input.key.map(<[u8]>::to_vec),
        headers,
        value: input.payload.to_vec(),
        event_time: None,
    }
}

/// The longest `tickertape.detail` header: a sentence for a person, not a
/// copy of the input (a 600 KB symbol quoted in full made a header the
/// broker refused).
pub const MAX_DETAIL_BYTES: usize = 2048;

/// The headers of every dead letter: the rejection (its detail cut to
/// [`MAX_DETAIL_BYTES`]), and where the input was read from.
fn dead_letter_headers_of(
    rejection: &Rejection,
    topic: &str,
    partition: i32,
    offset: i64,
) -> Vec<(String, Vec<u8>)> {
    use dead_letter_headers::*;
    let mut detail = rejection.detail.as_str();
    if detail.len() > MAX_DETAIL_BYTES {
        let cut = (0..=MAX_DETAIL_BYTES)
            .rev()
            .find(|&at| detail.is_char_boundary(at))
            .unwrap_or(0);
        detail = &detail[..cut];
    }
    let mut detail = detail.to_owned();
    if detail.len() < rejection.detail.len() {
        detail.push('…');
    }
    vec![
        (REASON.into(), rejection.reason.as_bytes().to_vec()),
        (DETAIL.into(), detail.into_bytes()),
        (SOURCE_TOPIC.into(), topic.as_bytes().to_vec()),
        (SOURCE_PARTITION.into(), partition.to_string().into_bytes()),
        (SOURCE_OFFSET.into(), offset.to_string().into_bytes()),
        (ATTEMPTS.into(), rejection.attempts.to_string().into_bytes()),
    ]
}

/// A dead letter as it is sent: whole when it fits in `max_bytes`, else
/// its value cut into parts that do (a 2 MB page the input topic took
/// compressed would be refused whole by the producer, and the stream would
/// stop behind it). Every part carries the key and all headers, plus
/// `tickertape.part: i/n`; the values in order are the original bytes.
/// Parts of an unkeyed letter all go to partition 0 (a key keeps them
/// together already), so that a reader meets them in order.
pub fn dead_letter_parts(letter: Record, max_bytes: usize) -> Vec<Record> {
    if letter.encoded_len() <= max_bytes {
        return vec![letter];
    }
    // Room per part: what the key and headers leave, less a margin for the
    // part header and the record's own framing; never below 1 KB.
    let overhead = letter.encoded_len() - letter.value.len() + 512;
    let room = max_bytes.saturating_sub(overhead).max(1024);
    let count = letter.value.len().div_ceil(room);
    letter
        .value
        .chunks(room)
        .enumerate()
        .map(|(index, chunk)| {
            let mut headers = letter.headers.clone();
            headers.push((
                dead_letter_headers::PART.into(),
                format!("{}/{count}", index + 1).into_bytes(),
            ));
            Record {
                topic: letter.topic.clone(),
                partition: letter.partition.or(letter.key.is_none().then_some(0)),
                key: letter.key.clone(),
                headers,
                value: chunk.to_vec(),
                event_time: None,
            }
        })
        .collect()
}

/// A JSON record for `value`, or the rejection that explains why it could not
/// be serialized (which the types tickertape publishes never cause).
pub fn json_record<T: serde::Serialize>(
    topic: &str,
    key: impl Into<String>,
    value: &T,
) -> Result<Record, Rejection> {
    // Events are a few hundred bytes: one allocation instead of three growths.
    let mut bytes = Vec::with_capacity(512);
    serde_json::to_writer(&mut bytes, value)
        .map(|()| Record::json(topic, key, bytes))
        .map_err(|error| Rejection::new("serialization", error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_letter_too_large_for_one_record_goes_in_parts_that_add_up() {
        let now = "2024-11-12T15:00:00Z".parse().unwrap();
        let payload: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let input = Input {
            headers: vec![("url", b"https://x/a")],
            ..Input::unkeyed("articles.raw", &payload, now)
        };
        let letter = dead_letter(&input, &Rejection::new("too_large", "big"), "articles.dlq");
        assert_eq!(
            dead_letter_parts(letter.clone(), 20_000),
            vec![letter.clone()]
        );
        let parts = dead_letter_parts(letter.clone(), 4_000);
        assert!(parts.len() >= 3, "{}", parts.len());
        let mut joined = Vec::new();
        for (index, part) in parts.iter().enumerate() {
            assert!(part.encoded_len() <= 4_000, "{}", part.encoded_len());
            assert_eq!(part.partition, Some(0), "unkeyed parts stay together");
            assert_eq!(part.headers[..letter.headers.len()], letter.headers[..]);
            let label = format!("{}/{}", index + 1, parts.len());
            assert_eq!(
                part.header_str(dead_letter_headers::PART),
                Some(label.as_str())
            );
            joined.extend_from_slice(&part.value);
        }
        assert_eq!(joined, payload);
        let keyed = Record {
            key: Some(b"k".to_vec()),
            ..letter
        };
        assert!(dead_letter_parts(keyed, 4_000)
            .iter()
            .all(|p| p.partition.is_none()));
    }

    #[test]
    fn a_dead_letter_keeps_the_input_whole_and_bounds_its_detail() {
        let now = "2024-11-12T15:00:00Z".parse().unwrap();
        let input = Input {
            key: Some(b"\xff\x00binary"),
            headers: vec![
                ("url", b"https://x/a"),
                ("fetched_at", b"2024-11-12T09:30:00Z"),
                ("raw", b"\xfe"),
            ],
            offset: 7,
            ..Input::unkeyed("articles.raw", b"\x00page", now)
        };
        let long = "é".repeat(5_000);
        let letter = dead_letter(&input, &Rejection::new("too_large", long), "articles.dlq");
        assert_eq!(letter.key.as_deref(), Some(&b"\xff\x00binary"[..]));
        assert_eq!(letter.value, b"\x00page");
        assert_eq!(
            &letter.headers[..3],
            &[
                ("url".to_owned(), b"https://x/a".to_vec()),
                ("fetched_at".to_owned(), b"2024-11-12T09:30:00Z".to_vec()),
                ("raw".to_owned(), b"\xfe".to_vec()),
            ]
        );
        assert_eq!(
            letter.header_str(dead_letter_headers::REASON),
            Some("too_large")
        );
        assert_eq!(
            letter.header_str(dead_letter_headers::SOURCE_OFFSET),
            Some("7")
        );
        let detail = letter.header_str(dead_letter_headers::DETAIL).unwrap();
        assert!(
            detail.len() <= MAX_DETAIL_BYTES + '…'.len_utf8(),
            "{}",
            detail.len()
        );
        assert!(detail.ends_with('…'));
    }
}
