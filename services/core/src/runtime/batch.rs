//! The open batch: what the inputs consumed since the last commit caused,
//! and the book of inputs whose outputs failed. Plain data, no Kafka.
//!
//! Under exactly-once the batch is the open transaction; under
//! at-least-once it is the set of inputs whose offsets are stored once
//! everything they caused is acknowledged. Either way a failed batch is
//! rewound: every partition it read from is sought back to the first
//! offset it consumed, and the inputs are read again.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// An input partition: the index of its topic in the runtime's input
/// topics, and the partition number. Small and `Copy`, so that noting an
/// input allocates nothing.
pub(crate) type PartitionRef = (usize, i32);

/// One input: its partition and offset.
pub(crate) type InputRef = (usize, i32, i64);

#[derive(Debug, Default)]
pub(crate) struct OpenBatch {
    /// Bumped each time a batch is closed or rewound; delivery reports
    /// carry it, so that a late report of an older batch is not taken for
    /// one of this batch.
    pub generation: u32,
    /// Under exactly-once: a transaction has begun.
    pub transaction_open: bool,
    /// Under exactly-once: its commit was sent and has not answered. It
    /// may already be committing at the coordinator, so it is never
    /// aborted; the next close asks for the same commit again.
    pub commit_sent: bool,
    /// Set by the rebalance callback when it had to abort the transaction:
    /// the loop rewinds the batch (the reason says why).
    pub aborted: Option<String>,
    /// Set by the rebalance callback when the producer can no longer be
    /// used: what it was doing, and the producer's error. The loop stops.
    pub fatal: Option<(String, rdkafka::error::KafkaError)>,
    opened_at: Option<Instant>,
    /// When the previous batch began to close: inputs may have been
    /// waiting in the consumer since then, so this batch falls due one
    /// interval after it (see [`OpenBatch::due_at`]).
    previous_close: Option<Instant>,
    /// First offset consumed per partition: where a rewind seeks back to.
    first: BTreeMap<PartitionRef, i64>,
    /// The batch's inputs in order, as runs of consecutive offsets of one
    /// partition; a delivery report names an input by its index. A batch
    /// holds hundreds of thousands of inputs and a few hundred runs: one
    /// entry per input grew a vector of megabytes every batch, and the
    /// kernel clearing its fresh pages was 2.5% of the prices process's
    /// samples.
    runs: Vec<Run>,
    /// Inputs in the runs.
    input_count: usize,
    /// Records sent per output topic, counted as produced on commit.
    records: Vec<(String, u64)>,
    /// Dead letters written per (input topic index, reason), counted on commit.
    dead_letters: Vec<((usize, &'static str), u64)>,
}

/// Inputs `first_index..first_index + count` of a batch: offsets
/// `offset..offset + count` of one partition.
#[derive(Debug, Clone, Copy)]
struct Run {
    partition: PartitionRef,
    offset: i64,
    first_index: usize,
    count: usize,
}

impl OpenBatch {
    /// Notes an input about to be processed; returns its index in the batch.
    pub fn note_input(&mut self, (topic, partition, offset): InputRef, now: Instant) -> usize {
        self.opened_at.get_or_insert(now);
        let index = self.input_count;
        self.input_count += 1;
        match self.runs.last_mut() {
            Some(run)
                if run.partition == (topic, partition)
                    && run.offset + run.count as i64 == offset =>
            {
                run.count += 1;
            }
            _ => {
                self.first.entry((topic, partition)).or_insert(offset);
                self.runs.push(Run {
                    partition: (topic, partition),
                    offset,
                    first_index: index,
                    count: 1,
                });
            }
        }
        index
    }

    /// Notes a record sent to `topic`.
    pub fn note_record(&mut self, topic: &str) {
        match self.records.iter_mut().find(|(t, _)| t == topic) {
            Some((_, count)) => *count += 1,
            None => self.records.push((topic.to_owned(), 1)),
        }
    }

    /// Notes a dead letter written for an input of topic `topic`.
    pub fn note_dead_letter(&mut self, topic: usize, reason: &'static str) {
        match self
            .dead_letters
            .iter_mut()
            .find(|(k, _)| *k == (topic, reason))
        {
            Some((_, count)) => *count += 1,
            None => self.dead_letters.push(((topic, reason), 1)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.input_count == 0
    }

    pub fn inputs(&self) -> usize {
        self.input_count
    }

    /// The input a delivery report of this batch names.
    pub fn input_at(&self, index: usize) -> Option<InputRef> {
        let run = self.runs.partition_point(|run| run.first_index <= index);
        let run = self.runs.get(run.checked_sub(1)?)?;
        let within = index - run.first_index;
        (within < run.count).then(|| (run.partition.0, run.partition.1, run.offset + within as i64))
    }

    /// Whether the batch is due by time (see [`OpenBatch::due_at`]) or
    /// holds `max_inputs`.
    pub fn due(&self, now: Instant, interval: Duration, max_inputs: usize) -> bool {
        self.input_count >= max_inputs || self.due_at(interval).is_some_and(|due| now >= due)
    }

    /// When the batch falls due by time, if it is open: one interval after
    /// the previous close began, so that batches keep the interval's
    /// cadence rather than the interval plus the commit (an input that
    /// came in during that commit has been waiting since). A batch stays
    /// open for at least half an interval all the same: were commits
    /// slower than the interval, every batch would otherwise close on its
    /// first input. The first batch, and the first after a rewind, count
    /// from their first input.
    pub fn due_at(&self, interval: Duration) -> Option<Instant> {
        let opened = self.opened_at?;
        Some(match self.previous_close {
            Some(begun) => (begun + interval).max(opened + interval / 2),
            None => opened + interval,
        })
    }

    /// The offsets a commit stores: the next one to read per partition
    /// (after the last input read from it).
    pub fn next_offsets(&self) -> impl Iterator<Item = (PartitionRef, i64)> {
        let next: BTreeMap<PartitionRef, i64> = self
            .runs
            .iter()
            .map(|run| (run.partition, run.offset + run.count as i64))
            .collect();
        next.into_iter()
    }

    /// Where a rewind seeks back to: the first offset consumed per partition.
    pub fn rewind_points(&self) -> impl Iterator<Item = (PartitionRef, i64)> + '_ {
        self.first.iter().map(|(p, o)| (*p, *o))
    }

    pub fn records(&self) -> &[(String, u64)] {
        &self.records
    }

    pub fn dead_letters(&self) -> &[((usize, &'static str), u64)] {
        &self.dead_letters
    }

    /// Closes this batch, whose close began at `begun`, and opens the next
    /// one, due by `begun` (see [`OpenBatch::due_at`]); returns the closed one.
    pub fn close_begun_at(&mut self, begun: Instant) -> OpenBatch {
        let closed = self.close();
        self.previous_close = Some(begun);
        closed
    }

    /// Closes this batch and opens the next, empty one; returns the closed one.
    pub fn close(&mut self) -> OpenBatch {
        let generation = self.generation.wrapping_add(1);
        let fatal = self.fatal.take();
        let closed = std::mem::take(self);
        self.generation = generation;
        self.fatal = fatal;
        closed
    }
}

/// How an input's outputs failed, as a delivery report told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OutputFailure {
    /// The broker refused a record for good (too large for the topic, an
    /// invalid record): the input is dead-lettered when read again.
    Refused(String),
    /// A failure that may pass (the broker busy, a replica away): the input
    /// is tried again, at most a configured number of times.
    Transient(String),
}

/// Inputs whose outputs failed, by input: how many times, and whether for
/// good. Kept across rewinds, dropped once the input's offset is committed.
#[derive(Debug, Default)]
pub(crate) struct RetryBook {
    failures: HashMap<InputRef, (u32, OutputFailure)>,
}

/// What to do with an input read again after a failure.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Process it as usual (it never failed, or may be tried again).
    Process,
    /// Process it alone: its records are sent and acknowledged with none
    /// of another input's. The broker refuses a produce request whole, so
    /// a refusal names every input with a record in it; alone, a refusal
    /// is this input's own.
    Isolate,
    /// Dead-letter it with this reason and detail, after this many attempts.
    DeadLetter {
        reason: &'static str,
        detail: String,
        attempts: u32,
    },
}

impl RetryBook {
    pub fn record(&mut self, input: InputRef, failure: OutputFailure) {
        let entry = self.failures.entry(input).or_insert((0, failure.clone()));
        entry.0 += 1;
        // A refusal outranks a transient failure of the same input.
        if matches!(failure, OutputFailure::Refused(_)) || entry.1 == failure {
            entry.1 = failure;
        }
    }

    /// The verdict for `input`, read again; `max_attempts` counts the
    /// attempts that failed.
    pub fn verdict(&self, input: InputRef, max_attempts: u32) -> Verdict {
        match self.failures.get(&input) {
            Some((1, OutputFailure::Refused(_))) => Verdict::Isolate,
            Some((attempts, OutputFailure::Refused(detail))) => Verdict::DeadLetter {
                reason: "output_rejected",
                detail: format!("the broker refused one of its records, sent alone: {detail}"),
                attempts: *attempts,
            },
            Some((attempts, OutputFailure::Transient(detail))) if *attempts >= max_attempts => {
                Verdict::DeadLetter {
                    reason: "output_failed",
                    detail: format!("its records failed {attempts} times, last: {detail}"),
                    attempts: *attempts,
                }
            }
            _ => Verdict::Process,
        }
    }

    /// How many times `input` failed so far.
    #[cfg(test)]
    pub fn attempts(&self, input: InputRef) -> u32 {
        self.failures.get(&input).map_or(0, |(n, _)| *n)
    }

    /// Forgets every input before the committed `next` offsets.
    pub fn committed(&mut self, next: impl Iterator<Item = (PartitionRef, i64)>) {
        if self.failures.is_empty() {
            return;
        }
        for ((topic, partition), next) in next {
            self.failures
                .retain(|(t, p, offset), _| (*t, *p) != (topic, partition) || *offset >= next);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Exponential backoff between rewinds: 100 ms doubling to 5 s, back to
/// the start after a successful commit.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(5);

    pub fn new() -> Self {
        Backoff { next: Self::FIRST }
    }

    /// The pause before the next try; each call doubles the one after.
    pub fn pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        pause
    }

    pub fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_commits_the_next_offsets_and_rewinds_to_the_first() {
        let now = Instant::now();
        let mut batch = OpenBatch::default();
        assert!(batch.is_empty());
        assert!(!batch.due(now, Duration::from_millis(100), 10));
        assert_eq!(batch.note_input((0, 1, 40), now), 0);
        assert_eq!(batch.note_input((0, 1, 41), now), 1);
        assert_eq!(batch.note_input((0, 3, 7), now), 2);
        assert_eq!(batch.note_input((1, 1, 9), now), 3);
        assert_eq!(
            batch.next_offsets().collect::<Vec<_>>(),
            vec![((0, 1), 42), ((0, 3), 8), ((1, 1), 10)]
        );
        assert_eq!(
            batch.rewind_points().collect::<Vec<_>>(),
            vec![((0, 1), 40), ((0, 3), 7), ((1, 1), 9)]
        );
        assert_eq!(batch.input_at(0), Some((0, 1, 40)));
        assert_eq!(batch.input_at(1), Some((0, 1, 41)));
        assert_eq!(batch.input_at(2), Some((0, 3, 7)));
        assert_eq!(batch.input_at(3), Some((1, 1, 9)));
        assert_eq!(batch.input_at(4), None);
    }

    #[test]
    fn inputs_are_found_by_index_across_runs_gaps_and_interleaved_partitions() {
        let now = Instant::now();
        let mut batch = OpenBatch::default();
        // Partition 0 from 100, a gap (a transaction marker) after 102,
        // partition 1 between, partition 0 again where it left off.
        let inputs = [
            (0, 0, 100),
            (0, 0, 101),
            (0, 0, 102),
            (0, 0, 104),
            (0, 1, 5),
            (0, 1, 6),
            (0, 0, 105),
        ];
        for (index, input) in inputs.into_iter().enumerate() {
            assert_eq!(batch.note_input(input, now), index);
        }
        assert_eq!(batch.inputs(), inputs.len());
        assert_eq!(batch.runs.len(), 4, "100-102, 104, 5-6, 105");
        for (index, input) in inputs.into_iter().enumerate() {
            assert_eq!(batch.input_at(index), Some(input), "input {index}");
        }
        assert_eq!(batch.input_at(inputs.len()), None);
        assert_eq!(
            batch.next_offsets().collect::<Vec<_>>(),
            vec![((0, 0), 106), ((0, 1), 7)]
        );
        assert_eq!(
            batch.rewind_points().collect::<Vec<_>>(),
            vec![((0, 0), 100), ((0, 1), 5)]
        );
        let closed = batch.close();
        assert!(batch.is_empty() && batch.input_at(0).is_none());
        assert_eq!(closed.input_at(3), Some((0, 0, 104)));
    }

    #[test]
    fn a_batch_falls_due_by_time_or_by_size() {
        let now = Instant::now();
        let interval = Duration::from_millis(100);
        let mut batch = OpenBatch::default();
        batch.note_input((0, 0, 0), now);
        assert!(!batch.due(now + Duration::from_millis(99), interval, 10));
        assert!(batch.due(now + interval, interval, 10));
        assert_eq!(batch.due_at(interval), Some(now + interval));
        batch.note_input((0, 0, 1), now);
        assert!(batch.due(now, interval, 2), "two inputs, at most two");
    }

    #[test]
    fn the_next_batch_falls_due_one_interval_after_the_previous_close_began() {
        let begun = Instant::now();
        let interval = Duration::from_millis(100);
        let mut batch = OpenBatch::default();
        batch.note_input((0, 0, 0), begun);
        let _ = batch.close_begun_at(begun);
        // The commit took 30 ms; the next input comes right after it.
        batch.note_input((0, 0, 1), begun + Duration::from_millis(30));
        assert_eq!(batch.due_at(interval), Some(begun + interval));
        // A commit slower than the interval: the batch still stays open
        // for half an interval.
        let begun = begun + Duration::from_secs(1);
        let _ = batch.close_begun_at(begun);
        let slow = begun + Duration::from_millis(150);
        batch.note_input((0, 0, 2), slow);
        assert_eq!(batch.due_at(interval), Some(slow + interval / 2));
        assert!(!batch.due(slow + Duration::from_millis(49), interval, 10));
        assert!(batch.due(slow + interval / 2, interval, 10));
        // After a rewind, a batch counts from its first input again.
        let _ = batch.close();
        let later = begun + Duration::from_secs(1);
        batch.note_input((0, 0, 3), later);
        assert_eq!(batch.due_at(interval), Some(later + interval));
    }

    #[test]
    fn closing_a_batch_counts_its_records_and_starts_a_new_generation() {
        let now = Instant::now();
        let mut batch = OpenBatch::default();
        batch.note_input((0, 0, 5), now);
        batch.note_record("prices.changes");
        batch.note_record("prices.changes");
        batch.note_record("ticks.dlq");
        batch.note_dead_letter(0, "invalid_json");
        batch.note_dead_letter(0, "invalid_json");
        batch.transaction_open = true;
        let closed = batch.close();
        assert_eq!(
            closed.records(),
            &[
                ("prices.changes".to_owned(), 2),
                ("ticks.dlq".to_owned(), 1)
            ]
        );
        assert_eq!(closed.dead_letters(), &[((0, "invalid_json"), 2)]);
        assert_eq!(closed.generation, 0);
        assert_eq!(batch.generation, 1);
        assert!(batch.is_empty() && !batch.transaction_open);
        assert_eq!(batch.due_at(Duration::from_secs(1)), None);
    }

    #[test]
    fn a_refused_input_is_sent_alone_then_dead_lettered_if_refused_again() {
        let mut book = RetryBook::default();
        let refused = || OutputFailure::Refused("MSG_SIZE_TOO_LARGE".into());
        // A produce request refused whole: both inputs in it are suspects.
        book.record((0, 2, 10), refused());
        book.record((0, 2, 11), refused());
        assert_eq!(book.verdict((0, 2, 10), 5), Verdict::Isolate);
        assert_eq!(book.verdict((0, 2, 11), 5), Verdict::Isolate);
        // Alone, only the guilty one is refused again.
        book.record((0, 2, 10), refused());
        match book.verdict((0, 2, 10), 5) {
            Verdict::DeadLetter {
                reason, attempts, ..
            } => assert_eq!((reason, attempts), ("output_rejected", 2)),
            other => panic!("{other:?}"),
        }
        assert_eq!(book.verdict((0, 2, 11), 5), Verdict::Isolate);
        assert_eq!(book.verdict((0, 2, 12), 5), Verdict::Process);
    }

    #[test]
    fn a_transient_failure_is_retried_up_to_the_limit_then_dead_lettered() {
        let mut book = RetryBook::default();
        let input = (0, 0, 3);
        for attempt in 1..3 {
            book.record(
                input,
                OutputFailure::Transient("NOT_ENOUGH_REPLICAS".into()),
            );
            assert_eq!(
                book.verdict(input, 3),
                Verdict::Process,
                "attempt {attempt}"
            );
        }
        book.record(
            input,
            OutputFailure::Transient("NOT_ENOUGH_REPLICAS".into()),
        );
        assert_eq!(book.attempts(input), 3);
        match book.verdict(input, 3) {
            Verdict::DeadLetter {
                reason, attempts, ..
            } => assert_eq!((reason, attempts), ("output_failed", 3)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_commit_forgets_the_inputs_before_it() {
        let mut book = RetryBook::default();
        book.record((0, 0, 3), OutputFailure::Transient("x".into()));
        book.record((0, 0, 9), OutputFailure::Transient("x".into()));
        book.record((0, 1, 3), OutputFailure::Transient("x".into()));
        book.committed([((0, 0), 4)].into_iter());
        assert_eq!(book.attempts((0, 0, 3)), 0);
        assert_eq!(book.attempts((0, 0, 9)), 1);
        assert_eq!(book.attempts((0, 1, 3)), 1, "another partition");
    }

    #[test]
    fn the_backoff_doubles_to_its_bound_and_resets() {
        let mut backoff = Backoff::new();
        let pauses: Vec<u128> = (0..8).map(|_| backoff.pause().as_millis()).collect();
        assert_eq!(pauses, vec![100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        backoff.reset();
        assert_eq!(backoff.pause(), Duration::from_millis(100));
    }
}
