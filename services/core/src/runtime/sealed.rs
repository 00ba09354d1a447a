//! At-least-once: batches closed whose records are not all acknowledged
//! yet, oldest first. Plain data, no Kafka.
//!
//! Closing an at-least-once batch does not wait for anything: the batch is
//! sealed and the loop goes on consuming. Each sealed batch then moves on
//! as its delivery reports come in, in order of age:
//!
//! 1. its outputs (and dead letters) are acknowledged;
//! 2. its state changes, as they stood when it was sealed, are written to
//!    the changelog and acknowledged. State comes after outputs on
//!    purpose: state that ran ahead of its outputs would make a re-read
//!    input look like a repeat, and its outputs would be lost;
//! 3. its offsets are stored for the next auto-commit.
//!
//! A batch never gets past an older one, so stored offsets only ever cover
//! inputs whose outputs are in. A failed record stops the line: every
//! sealed batch and the open one are rewound together.

use std::collections::VecDeque;
use std::time::Instant;

use crate::processor::StateChange;

use super::batch::OpenBatch;

/// A batch closed and awaiting its acknowledgements.
#[derive(Debug)]
pub(crate) struct Sealed {
    pub batch: OpenBatch,
    /// The processor's state changes as they stood when the batch closed;
    /// taken (to be written) once its outputs are in.
    state: Option<Vec<StateChange>>,
    pub sealed_at: Instant,
}

impl Sealed {
    /// Records sent under the batch's generation, changelog writes included.
    fn sent(&self) -> u64 {
        self.batch.records().iter().map(|(_, n)| n).sum()
    }
}

/// What the oldest sealed batch needs next.
#[derive(Debug)]
pub(crate) enum Step {
    /// Nothing is sealed, or the oldest batch's records are not all in.
    Wait,
    /// One of the oldest batch's records failed: rewind.
    Failed,
    /// The oldest batch's outputs are in: write these, its state changes,
    /// into it ([`SealedBatches::oldest_mut`]).
    WriteState(Vec<StateChange>),
    /// All of the oldest batch is in: store its offsets. It has left the
    /// queue.
    Done(Box<Sealed>),
}

#[derive(Debug, Default)]
pub(crate) struct SealedBatches {
    queue: VecDeque<Sealed>,
}

impl SealedBatches {
    /// Queues `batch`, just closed, with the state changes it made.
    pub fn seal(&mut self, batch: OpenBatch, state: Vec<StateChange>, now: Instant) {
        self.queue.push_back(Sealed {
            batch,
            state: Some(state),
            sealed_at: now,
        });
    }

    /// The next step for the oldest batch, given how many records of a
    /// generation are settled (acknowledged or failed) and whether one of
    /// them failed.
    pub fn next_step(
        &mut self,
        settled: impl Fn(u32) -> u64,
        failed: impl Fn(u32) -> bool,
    ) -> Step {
        let Some(oldest) = self.queue.front_mut() else {
            return Step::Wait;
        };
        let generation = oldest.batch.generation;
        if failed(generation) {
            return Step::Failed;
        }
        if settled(generation) < oldest.sent() {
            return Step::Wait;
        }
        match oldest.state.take() {
            Some(state) if !state.is_empty() => Step::WriteState(state),
            _ => Step::Done(Box::new(self.queue.pop_front().expect("the oldest batch"))),
        }
    }

    /// The oldest batch, to note the changelog records written into it.
    pub fn oldest_mut(&mut self) -> Option<&mut OpenBatch> {
        self.queue.front_mut().map(|sealed| &mut sealed.batch)
    }

    /// The oldest sealed batch's generation: delivery reports of older
    /// ones are no longer news.
    pub fn oldest_generation(&self) -> Option<u32> {
        self.queue.front().map(|sealed| sealed.batch.generation)
    }

    /// When the oldest sealed batch was closed.
    pub fn oldest_sealed_at(&self) -> Option<Instant> {
        self.queue.front().map(|sealed| sealed.sealed_at)
    }

    /// Inputs sealed and not yet stored.
    pub fn inputs(&self) -> usize {
        self.queue.iter().map(|sealed| sealed.batch.inputs()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Partitions revoked: their state now belongs to the next owner, who
    /// restores it from the changelog and re-reads what was not stored.
    /// Writing this instance's unwritten changes after that would put
    /// stale state in front of the new owner's.
    pub fn drop_state_of(&mut self, partitions: &[i32]) {
        for sealed in &mut self.queue {
            if let Some(state) = &mut sealed.state {
                state.retain(|change| !partitions.contains(&change.partition));
            }
        }
    }

    /// Every sealed batch, oldest first, for a rewind.
    pub fn take_all(&mut self) -> Vec<OpenBatch> {
        self.queue.drain(..).map(|sealed| sealed.batch).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn batch_with(generation: u32, inputs: &[(i32, i64)], records: usize) -> OpenBatch {
        let mut batch = OpenBatch::default();
        batch.generation = generation;
        for &(partition, offset) in inputs {
            batch.note_input((0, partition, offset), Instant::now());
        }
        for _ in 0..records {
            batch.note_record("prices.changes");
        }
        batch
    }

    fn waits(step: Step) -> bool {
        matches!(step, Step::Wait)
    }

    fn written(step: Step) -> Vec<StateChange> {
        match step {
            Step::WriteState(changes) => changes,
            other => panic!("expected WriteState, got {other:?}"),
        }
    }

    fn change(partition: i32, key: &str) -> StateChange {
        StateChange {
            partition,
            key: key.into(),
            value: Some(b"v".to_vec()),
        }
    }

    #[test]
    fn a_sealed_batch_writes_its_state_after_its_outputs_and_is_done_after_its_state() {
        let mut sealed = SealedBatches::default();
        sealed.seal(
            batch_with(3, &[(0, 10)], 2),
            vec![change(0, "ABC")],
            Instant::now(),
        );
        let mut settled = HashMap::from([(3, 1)]);
        let never_failed = |_| false;
        assert!(
            waits(sealed.next_step(|g| settled.get(&g).copied().unwrap_or(0), never_failed)),
            "one output of two is in"
        );
        settled.insert(3, 2);
        let step = sealed.next_step(|g| settled[&g], never_failed);
        assert_eq!(written(step), vec![change(0, "ABC")]);
        sealed
            .oldest_mut()
            .unwrap()
            .note_record("prices.state-changelog");
        assert!(
            waits(sealed.next_step(|g| settled[&g], never_failed)),
            "its changelog record is not in yet"
        );
        settled.insert(3, 3);
        match sealed.next_step(|g| settled[&g], never_failed) {
            Step::Done(done) => {
                assert_eq!(
                    done.batch.next_offsets().collect::<Vec<_>>(),
                    vec![((0, 0), 11)]
                )
            }
            other => panic!("expected Done, got {other:?}"),
        }
        assert!(sealed.is_empty());
        assert!(waits(sealed.next_step(|_| 0, never_failed)));
    }

    #[test]
    fn a_newer_batch_never_gets_past_an_older_one() {
        let mut sealed = SealedBatches::default();
        sealed.seal(batch_with(1, &[(0, 1)], 1), Vec::new(), Instant::now());
        sealed.seal(
            batch_with(2, &[(0, 2), (1, 5)], 1),
            Vec::new(),
            Instant::now(),
        );
        assert_eq!(sealed.inputs(), 3);
        assert_eq!(sealed.oldest_generation(), Some(1));
        // The newer batch is all in, the older one is not.
        let settled = HashMap::from([(2, 1)]);
        let step = sealed.next_step(|g| settled.get(&g).copied().unwrap_or(0), |_| false);
        assert!(waits(step));
        let settled = HashMap::from([(1, 1), (2, 1)]);
        let get = |g| settled.get(&g).copied().unwrap_or(0);
        assert!(
            matches!(sealed.next_step(get, |_| false), Step::Done(d) if d.batch.generation == 1)
        );
        assert!(
            matches!(sealed.next_step(get, |_| false), Step::Done(d) if d.batch.generation == 2)
        );
    }

    #[test]
    fn a_failed_record_stops_the_line_and_a_batch_without_records_is_done_at_once() {
        let mut sealed = SealedBatches::default();
        sealed.seal(batch_with(7, &[(0, 1)], 0), Vec::new(), Instant::now());
        sealed.seal(batch_with(8, &[(0, 2)], 4), Vec::new(), Instant::now());
        assert!(matches!(sealed.next_step(|_| 0, |_| false), Step::Done(_)));
        assert!(matches!(sealed.next_step(|_| 4, |g| g == 8), Step::Failed));
        let all = sealed.take_all();
        assert_eq!(all.len(), 1);
        assert!(sealed.is_empty());
    }

    #[test]
    fn a_revoked_partitions_state_is_not_written() {
        let mut sealed = SealedBatches::default();
        sealed.seal(
            batch_with(1, &[(0, 1), (2, 1)], 0),
            vec![change(0, "A"), change(2, "B")],
            Instant::now(),
        );
        sealed.drop_state_of(&[0]);
        assert_eq!(
            written(sealed.next_step(|_| 0, |_| false)),
            vec![change(2, "B")]
        );
    }
}
