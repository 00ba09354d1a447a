//! Exactly-once: the open batch is a Kafka transaction (exactly-once v2,
//! KIP-447) holding the batch's outputs, dead letters, changelog writes and
//! the inputs' next offsets, sent with the consumer's group metadata so a
//! zombie of an older group generation is fenced. All of it becomes visible
//! to `read_committed` readers, or none of it.
//!
//! The calls here block (a broker round trip or a few); they run on the
//! service's loop thread or inside its rebalance callback, never on an
//! async worker.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerGroupMetadata};
use rdkafka::error::KafkaError;
use rdkafka::producer::Producer as _;
use rdkafka::{Offset, TopicPartitionList};

use crate::metrics::RuntimeMetrics;

use super::batch::OpenBatch;
use super::clients::{lock, Producer, RevokeCommit, RuntimeContext};

/// How long one transactional call may take before it is tried again.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a transaction did not commit.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Abort it and read its inputs again.
    Abort(KafkaError),
    /// The call still failed for a reason that may pass at the deadline
    /// (the broker away). For a commit, its outcome is unknown (an abort
    /// that does not answer is only not done yet): the coordinator may be
    /// committing it, and would refuse an abort (`INVALID_TXN_STATE`, fatal
    /// to the producer), while a rewind after a commit that did land would
    /// publish the batch twice. Only asking for the commit again decides it.
    Undecided(KafkaError),
    /// The producer is unusable: stop the stage (see
    /// [`crate::Error::ProducerFailed`]).
    Fatal(KafkaError),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Abort(e) => write!(f, "{e}"),
            Failure::Undecided(e) => write!(f, "commit not yet answered: {e}"),
            Failure::Fatal(e) => write!(f, "fatal: {e}"),
        }
    }
}

/// Runs a transactional call, again while it fails for a reason that may
/// pass and `deadline` is ahead; still failing so at the deadline is
/// `Undecided`.
fn retrying(
    deadline: Instant,
    mut call: impl FnMut(Duration) -> Result<(), KafkaError>,
) -> Result<(), Failure> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let error = match call(left.clamp(Duration::from_millis(100), CALL_TIMEOUT)) {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        let (fatal, abort, retriable) = match &error {
            KafkaError::Transaction(e) => (e.is_fatal(), e.txn_requires_abort(), e.is_retriable()),
            _ => (false, true, false),
        };
        if fatal {
            return Err(Failure::Fatal(error));
        }
        if abort || !retriable {
            return Err(Failure::Abort(error));
        }
        if Instant::now() >= deadline {
            return Err(Failure::Undecided(error));
        }
        tracing::debug!(%error, "Transactional call failed; retrying.");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts a transaction for `batch` if none is open.
pub(crate) fn begin(producer: &Producer, batch: &mut OpenBatch) -> Result<(), Failure> {
    if batch.transaction_open {
        return Ok(());
    }
    producer.begin_transaction().map_err(|error| match &error {
        KafkaError::Transaction(e) if e.is_fatal() => Failure::Fatal(error),
        _ => Failure::Abort(error),
    })?;
    batch.transaction_open = true;
    Ok(())
}

/// A failure before the commit is sent leaves a transaction that can be
/// aborted.
fn abortable(failure: Failure) -> Failure {
    match failure {
        Failure::Undecided(error) => Failure::Abort(error),
        other => other,
    }
}

/// Commits `batch`'s transaction with its inputs' next offsets, retrying
/// until `deadline`. Does not close the batch. A commit already sent and
/// not answered is asked for again (librdkafka resumes it).
pub(crate) fn commit(
    producer: &Producer,
    batch: &mut OpenBatch,
    input_topics: &[String],
    group: Option<ConsumerGroupMetadata>,
    deadline: Instant,
) -> Result<(), Failure> {
    if !batch.transaction_open {
        return Ok(());
    }
    if batch.commit_sent {
        return end_commit(producer, batch, deadline);
    }
    let mut offsets = TopicPartitionList::new();
    for ((topic, partition), next) in batch.next_offsets() {
        offsets
            .add_partition_offset(&input_topics[topic], partition, Offset::Offset(next))
            .map_err(Failure::Abort)?;
    }
    let started = Instant::now();
    if offsets.count() > 0 {
        let group = group.ok_or(Failure::Abort(KafkaError::Canceled))?;
        retrying(deadline, |timeout| {
            producer.send_offsets_to_transaction(&offsets, &group, timeout)
        })
        .map_err(abortable)?;
    }
    let offsets_sent = started.elapsed();
    // Records first (see await_delivered); the commit then finds nothing
    // left to flush.
    if !super::produce::await_delivered(producer, deadline) {
        return Err(Failure::Abort(KafkaError::Flush(
            rdkafka::types::RDKafkaErrorCode::OperationTimedOut,
        )));
    }
    batch.commit_sent = true;
    end_commit(producer, batch, deadline)?;
    tracing::debug!(
        offsets_ms = offsets_sent.as_secs_f64() * 1e3,
        commit_ms = (started.elapsed() - offsets_sent).as_secs_f64() * 1e3,
        "Transaction committed."
    );
    Ok(())
}

/// Sends the commit, or asks for it again. Only an undecided commit stays
/// sent: one refused is to be aborted.
fn end_commit(
    producer: &Producer,
    batch: &mut OpenBatch,
    deadline: Instant,
) -> Result<(), Failure> {
    let ended = retrying(deadline, |timeout| producer.commit_transaction(timeout));
    batch.commit_sent = matches!(ended, Err(Failure::Undecided(_)));
    ended
}

/// Aborts the open transaction, retrying until `deadline` (`Undecided`:
/// not aborted yet); a transaction never begun needs nothing.
pub(crate) fn abort(
    producer: &Producer,
    batch: &OpenBatch,
    deadline: Instant,
) -> Result<(), Failure> {
    if !batch.transaction_open {
        return Ok(());
    }
    debug_assert!(!batch.commit_sent, "a sent commit is never aborted");
    retrying(deadline, |timeout| producer.abort_transaction(timeout))
}

/// Counts what a closed batch wrote: its records as produced, its dead
/// letters by reason, the transaction as committed (exactly-once).
pub(crate) fn count_closed(
    closed: &OpenBatch,
    input_topics: &[String],
    metrics: &RuntimeMetrics,
    service: &'static str,
) {
    if closed.transaction_open {
        metrics
            .transactions
            .with_label_values(&[service, "committed"])
            .inc();
    }
    for (topic, count) in closed.records() {
        metrics.produced.with_label_values(&[topic]).inc_by(*count);
    }
    for ((topic, reason), count) in closed.dead_letters() {
        metrics
            .dead_letters
            .with_label_values(&[input_topics[*topic].as_str(), reason])
            .inc_by(*count);
    }
}

/// Called inside the rebalance callback when partitions are revoked: the
/// processor's pending state changes are written into the open
/// transaction, which then commits with every processed input (the
/// callback runs inside the loop's own `poll`, between rounds, so nothing
/// is half processed). A lost assignment (a fenced generation), or a commit
/// that fails, aborts; the loop then rewinds the partitions it keeps.
pub(crate) fn finish_on_revoke(
    revoke: &RevokeCommit,
    consumer: &BaseConsumer<RuntimeContext>,
    service: &'static str,
    metrics: &RuntimeMetrics,
) {
    let mut batch = lock(&revoke.batch);
    if !batch.transaction_open || batch.aborted.is_some() {
        return;
    }
    let deadline = Instant::now() + CALL_TIMEOUT * 3;
    let written = match &revoke.state_changes {
        Some((changelog, take)) => {
            super::produce::write_changes(&revoke.producer, changelog, take(), &mut batch)
        }
        None => Ok(()),
    };
    let why = if consumer.assignment_lost() && !batch.commit_sent {
        "the assignment was lost".to_owned()
    } else if let Err(error) = written {
        format!("a changelog record was refused: {error}")
    } else {
        match commit(
            &revoke.producer,
            &mut batch,
            &revoke.input_topics,
            consumer.group_metadata(),
            deadline,
        ) {
            Ok(()) => {
                let closed = batch.close();
                count_closed(&closed, &revoke.input_topics, metrics, service);
                (revoke.batch_closed)(true);
                return;
            }
            Err(Failure::Fatal(error)) => {
                batch.fatal = Some(("committing on a revoke".into(), error));
                return;
            }
            Err(Failure::Abort(error)) => format!("the commit on revoke failed: {error}"),
            Err(Failure::Undecided(error)) => {
                // Not abortable, and the partitions must go: stop, and let
                // the coordinator decide it when this instance's
                // transactional id registers again.
                batch.fatal = Some(("a commit on a revoke that did not answer".into(), error));
                return;
            }
        }
    };
    tracing::warn!(service, why, "Aborting the open transaction on revoke.");
    match abort(&revoke.producer, &batch, deadline) {
        Ok(()) => {
            metrics
                .transactions
                .with_label_values(&[service, "aborted"])
                .inc();
            batch.transaction_open = false;
            batch.aborted = Some(why);
        }
        Err(Failure::Abort(error) | Failure::Undecided(error) | Failure::Fatal(error)) => {
            batch.fatal = Some(("aborting on a revoke".into(), error))
        }
    }
}
