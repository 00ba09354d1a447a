//! The counter the runtime registers and the services increment: repeats
//! are recognised by the domain (a syndicated copy, a repeated tick) but
//! counted under one name across services.

use std::cell::Cell;

use prometheus::{IntCounter, IntCounterVec, Opts};

/// `tickertape_duplicates_total{kind}`: inputs recognised as repeats.
///
/// Fails only if the metric's definition is invalid (it is not).
pub fn duplicates_counter() -> prometheus::Result<IntCounterVec> {
    IntCounterVec::new(
        Opts::new(
            "tickertape_duplicates_total",
            "Inputs recognised as repeats, by kind: syndicated_copy, update, repeated_tick.",
        ),
        &["kind"],
    )
}

/// A duplicates counter registered nowhere, for processors run offline
/// (`tickertape process`, tests, benchmarks).
pub fn unregistered_duplicates() -> IntCounterVec {
    duplicates_counter().expect("the counter's definition is valid")
}

/// A counter whose increments wait for their batch to commit.
///
/// The runtime reads a failed batch again (an aborted transaction, a
/// refused record, a broker outage): counting as the processor goes would
/// count those inputs twice, and `/metrics` would disagree with the topics.
/// A processor counts here and, in [`Processor::batch_closed`], publishes
/// ([`Tally::commit`]) or drops ([`Tally::discard`]) what its batch counted.
///
/// [`Processor::batch_closed`]: crate::Processor::batch_closed
#[derive(Debug, Clone)]
pub struct Tally {
    counter: IntCounter,
    pending: Cell<u64>,
}

impl Tally {
    /// A tally publishing to `counter`.
    pub fn new(counter: IntCounter) -> Self {
        Tally {
            counter,
            pending: Cell::new(0),
        }
    }

    /// Counts one, pending.
    pub fn inc(&self) {
        self.inc_by(1);
    }

    /// Counts `n`, pending.
    pub fn inc_by(&self, n: u64) {
        self.pending.set(self.pending.get() + n);
    }

    /// Adds what is pending to the counter.
    pub fn commit(&self) {
        let pending = self.pending.replace(0);
        if pending > 0 {
            self.counter.inc_by(pending);
        }
    }

    /// Forgets what is pending.
    pub fn discard(&self) {
        self.pending.set(0);
    }

    /// Commits or discards, as the batch went.
    pub fn close(&self, committed: bool) {
        if committed {
            self.commit()
        } else {
            self.discard()
        }
    }

    /// The counter's published value.
    pub fn get(&self) -> u64 {
        self.counter.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_publishes_a_committed_batch_and_drops_a_rewound_one() {
        let counter = IntCounter::new("t", "t").unwrap();
        let tally = Tally::new(counter.clone());
        tally.inc();
        tally.inc_by(2);
        assert_eq!(counter.get(), 0, "nothing before the batch closes");
        tally.close(false);
        assert_eq!(counter.get(), 0, "a rewound batch counts nothing");
        tally.inc_by(3);
        tally.close(true);
        assert_eq!(counter.get(), 3, "the batch read again counts once");
        tally.close(true);
        assert_eq!(tally.get(), 3);
    }
}
