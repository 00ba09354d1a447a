//! The loop, one thread per stage, for both guarantees: poll a round of
//! messages, process them, hand their records to the producer (delivery
//! reports are counted by the producer's context, not awaited one by one),
//! and close the batch by time.
//!
//! - exactly-once: the batch is a transaction; state changes are written
//!   into it after every round, so that the rebalance callback (which runs
//!   inside `poll`) can commit it on a revoke. Closing commits it.
//! - at-least-once: records go out as they are made; closing waits for
//!   their acknowledgements, then writes the state changes and waits for
//!   those, then stores the offsets for the next auto-commit. State comes
//!   after outputs on purpose: state that ran ahead of its outputs would
//!   make a re-read input look like a repeat, and its outputs would be lost.
//!
//! A batch that fails (the broker away, a transaction aborted, a record
//! refused) is rewound in-process: the transaction is aborted, every
//! partition the batch read from is sought back to its first offset, its
//! state is restored from the changelog, and the inputs are read again
//! after a backoff. An input whose records the broker refused is
//! dead-lettered when read again; one whose records keep failing is
//! dead-lettered after `max_attempts`. A producer that failed for good
//! stops the loop: fenced by a newer instance with the same transactional
//! id, the service stops; otherwise the stage starts again with new
//! clients (see `run_blocking`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::Producer as _;
use rdkafka::Offset;
use tokio_util::sync::CancellationToken;

use crate::config::{Guarantee, RuntimeConfig};
use crate::metrics::RuntimeMetrics;
use crate::processor::Processor;
use crate::{Error, Result};

use super::batch::{Backoff, OpenBatch, OutputFailure, RetryBook, Verdict};
use super::clients::{
    delivery_opaque, is_all_brokers_down, lock, sleep_unless_cancelled, DeliveryFailure,
    InputConsumer, Producer,
};
use super::message::{letter_for, process_message};
use super::produce::{await_delivered, enqueue, write_changes};
use super::state::{Readiness, StateKeeper};
use super::transaction::{self, Failure};
use crate::processor::Rejection;

/// At most this many messages are polled before they are processed.
const ROUND: usize = 500;
/// The longest a poll waits for a message when none is there.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// How long closing a batch may take before it is given up and rewound.
const CLOSE_DEADLINE: Duration = Duration::from_secs(30);

pub(crate) struct Pipeline<'a, P: Processor> {
    pub config: &'a RuntimeConfig,
    pub consumer: &'a InputConsumer,
    pub producer: &'a Producer,
    /// The open batch, shared with the rebalance callback.
    pub batch: &'a Mutex<OpenBatch>,
    /// The processor, shared with the rebalance callback, which writes its
    /// state changes into the transaction before committing on a revoke.
    pub processor: &'a Mutex<P>,
    pub state: StateKeeper,
    pub readiness: &'a Readiness,
    pub metrics: &'a RuntimeMetrics,
    pub shutdown: &'a CancellationToken,
    pub retries: RetryBook,
    pub backoff: Backoff,
}

/// Why a batch could not be finished.
enum BatchFailure {
    /// Rewind it and read its inputs again.
    Rewind(String),
    /// The commit has not answered, and shutdown has come: stop without
    /// aborting (see [`Failure::Undecided`]).
    Undecided(String),
    /// Stop the stage.
    Stop(Error),
}

impl From<Failure> for BatchFailure {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Abort(error) => BatchFailure::Rewind(error.to_string()),
            Failure::Undecided(error) => BatchFailure::Undecided(error.to_string()),
            Failure::Fatal(source) => BatchFailure::Stop(Error::ProducerFailed {
                context: "a transactional call".into(),
                source,
            }),
        }
    }
}

impl<P: Processor> Pipeline<'_, P> {
    fn exactly_once(&self) -> bool {
        self.config.guarantee == Guarantee::ExactlyOnce
    }

    /// Runs until shutdown (then drains) or a failure it cannot recover from.
    pub fn run(mut self) -> Result<()> {
        if self.exactly_once() && !self.init_transactions()? {
            return Ok(());
        }
        let outcome = self.rounds();
        self.readiness.set_stopping();
        let finished = match outcome {
            Ok(()) => self.drain(),
            Err(error) => Err(error),
        };
        if let Err(error) = &finished {
            tracing::error!(service = self.config.service, %error, "Stopping; the open batch will be re-read.");
            // What a stage started again is given, it restores.
            self.state.release_all(&mut *lock(self.processor));
            let batch = lock(self.batch).close();
            if !batch.commit_sent {
                let _ = transaction::abort(
                    self.producer,
                    &batch,
                    Instant::now() + transaction::CALL_TIMEOUT,
                );
            }
        }
        if !self.exactly_once() {
            if let Err(error) = self.consumer.commit_consumer_state(CommitMode::Sync) {
                // Nothing stored since the last auto-commit is the usual cause.
                tracing::debug!(%error, "Final commit skipped.");
            }
        }
        self.consumer.unsubscribe();
        tracing::info!(service = self.config.service, "Stopped.");
        finished
    }

    /// Registers the transactional id (fencing older instances), again and
    /// again while the broker is away. False if shutdown came first.
    fn init_transactions(&mut self) -> Result<bool> {
        loop {
            match self.producer.init_transactions(transaction::CALL_TIMEOUT) {
                Ok(()) => return Ok(true),
                Err(KafkaError::Transaction(e)) if e.is_fatal() => {
                    return Err(Error::ProducerFailed {
                        context: "initialising transactions".into(),
                        source: KafkaError::Transaction(e),
                    })
                }
                Err(error) => {
                    tracing::warn!(%error, "Could not initialise transactions yet; retrying.")
                }
            }
            if sleep_unless_cancelled(self.backoff.pause(), self.shutdown) {
                return Ok(false);
            }
        }
    }

    fn rounds(&mut self) -> Result<()> {
        let consumer = self.consumer;
        let mut round: Vec<BorrowedMessage<'_>> = Vec::with_capacity(ROUND);
        while !self.shutdown.is_cancelled() {
            let wait = lock(self.batch)
                .due_at(self.config.commit_interval)
                .map_or(IDLE_POLL, |due| {
                    due.saturating_duration_since(Instant::now()).min(IDLE_POLL)
                });
            self.poll_round(consumer, &mut round, wait);
            if let Some((code, reason)) = consumer.client().fatal_error() {
                // librdkafka will not consume again: stop, and be restarted.
                return Err(Error::kafka(
                    format!("the consumer failed for good ({reason})"),
                    KafkaError::MessageConsumptionFatal(code),
                ));
            }

            let caught_up = self
                .state
                .catch_up(&mut *lock(self.processor), self.shutdown)?;
            if caught_up.interrupted {
                return Ok(());
            }
            if !caught_up.revoked.is_empty() {
                round.retain(|m| {
                    !caught_up
                        .revoked
                        .iter()
                        .any(|(t, p)| t == m.topic() && *p == m.partition())
                });
            }
            let result = self.callback_outcome().and_then(|()| {
                if round.is_empty() {
                    Ok(())
                } else {
                    self.process_round(&round)
                }
            });
            let result = result.and_then(|()| self.close_if_due());
            // Polled but maybe not in the batch: read again too on a rewind.
            let polled: Vec<(usize, i32, i64)> = match result {
                Err(BatchFailure::Rewind(_)) => round
                    .iter()
                    .map(|m| (self.topic_index(m.topic()), m.partition(), m.offset()))
                    .collect(),
                _ => Vec::new(),
            };
            round.clear();
            match result {
                Ok(()) => {}
                Err(BatchFailure::Rewind(why)) => self.rewind(&why, &polled)?,
                // Only at shutdown; the drain asks once more.
                Err(BatchFailure::Undecided(_)) => return Ok(()),
                Err(BatchFailure::Stop(error)) => return Err(error),
            }
        }
        Ok(())
    }

    /// Polls up to [`ROUND`] messages: waits up to `wait` for the first,
    /// then takes what is there. Stops early at a rebalance, so that its
    /// events are applied before anything polled after it is processed.
    fn poll_round<'c>(
        &self,
        consumer: &'c InputConsumer,
        round: &mut Vec<BorrowedMessage<'c>>,
        wait: Duration,
    ) {
        let events = &consumer.context().events;
        let seen = events.pushed();
        let mut wait = wait;
        while round.len() < ROUND {
            match consumer.poll(wait) {
                None => break,
                Some(Ok(message)) => {
                    round.push(message);
                    wait = Duration::ZERO;
                }
                Some(Err(error)) => {
                    self.consumer_error(error);
                    break;
                }
            }
            if events.pushed() != seen {
                break;
            }
        }
        if !round.is_empty() {
            self.readiness.set_broker_lost(false);
        }
    }

    fn consumer_error(&self, error: KafkaError) {
        let service = self.config.service;
        self.metrics
            .consume_errors
            .with_label_values(&[service])
            .inc();
        if is_all_brokers_down(&error) {
            self.readiness.set_broker_lost(true);
        }
        if let Some(suppressed) = self.consumer.context().log_limiter.admit(Instant::now()) {
            tracing::warn!(service, %error, suppressed, "Consumer error; retrying.");
        }
    }

    /// What the rebalance callback left: an aborted transaction to rewind,
    /// or a producer that can no longer be used.
    fn callback_outcome(&mut self) -> Result<(), BatchFailure> {
        let mut batch = lock(self.batch);
        if let Some((context, source)) = batch.fatal.take() {
            return Err(BatchFailure::Stop(Error::ProducerFailed {
                context,
                source,
            }));
        }
        match batch.aborted.take() {
            Some(why) => Err(BatchFailure::Rewind(why)),
            None => Ok(()),
        }
    }

    /// Processes a round into the open batch and hands its records to the
    /// producer.
    fn process_round(&mut self, round: &[BorrowedMessage<'_>]) -> Result<(), BatchFailure> {
        let mut batch = lock(self.batch);
        let mut processor = lock(self.processor);
        if self.exactly_once() {
            transaction::begin(self.producer, &mut batch)?;
        }
        let now = Instant::now();
        for message in round {
            let topic = self.topic_index(message.topic());
            let input = (topic, message.partition(), message.offset());
            let index = batch.note_input(input, now);
            let verdict = if self.retries.is_empty() {
                Verdict::Process
            } else {
                self.retries.verdict(input, self.config.max_attempts)
            };
            let isolated = verdict == Verdict::Isolate;
            if isolated {
                // Everything before it acknowledged first (and rewound if refused).
                self.await_deliveries(&batch, Instant::now() + CLOSE_DEADLINE)?;
            }
            let processed =
                process_message(message, &mut *processor, verdict, self.config, self.metrics);
            let opaque = delivery_opaque(batch.generation, Some(index));
            let mut dead_letter = processed.dead_letter;
            for record in &processed.records {
                match enqueue(self.producer, record, opaque) {
                    Ok(()) => batch.note_record(&record.topic),
                    Err(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)) => {
                        // The broker has taken nothing for a long while.
                        return Err(BatchFailure::Rewind(
                            "the producer queue stayed full".into(),
                        ));
                    }
                    Err(error) if !matches!(classify(&error), Some(OutputFailure::Refused(_))) => {
                        // Not this record's fault: a transaction already
                        // failing (a refusal reported for an earlier record),
                        // a fenced producer. Its delivery reports say whose.
                        return Err(BatchFailure::Rewind(format!(
                            "the producer took no more records: {error}"
                        )));
                    }
                    Err(error) => {
                        // Refused outright (too large, an unknown topic):
                        // the input's dead letter instead of the rest.
                        let rejection = Rejection::new(
                            "output_rejected",
                            format!(
                                "record for {} not accepted by the producer: {error}",
                                record.topic
                            ),
                        );
                        for letter in letter_for(message, &rejection, self.config) {
                            if let Err(error) = enqueue(self.producer, &letter, opaque) {
                                return Err(BatchFailure::Rewind(format!(
                                    "a dead letter was refused: {error}"
                                )));
                            }
                            batch.note_record(&letter.topic);
                        }
                        dead_letter = Some("output_rejected");
                        break;
                    }
                }
            }
            if let Some(reason) = dead_letter {
                batch.note_dead_letter(topic, reason);
            }
            if isolated {
                self.await_deliveries(&batch, Instant::now() + CLOSE_DEADLINE)?;
            }
        }
        self.metrics
            .in_flight
            .with_label_values(&[self.config.service])
            .set(batch.inputs() as i64);
        self.metrics
            .state_entries
            .with_label_values(&[self.config.service])
            .set(processor.state_entries() as i64);
        Ok(())
    }

    fn topic_index(&self, topic: &str) -> usize {
        self.config
            .input_topics
            .iter()
            .position(|t| t == topic)
            .unwrap_or(0)
    }

    /// Hands the processor's state changes to the producer, one record per
    /// changed key, into the open batch.
    fn write_state(&self, batch: &mut OpenBatch) -> Result<(), BatchFailure> {
        let Some(topic) = self.state.changelog_topic() else {
            return Ok(());
        };
        let changes = lock(self.processor).take_state_changes();
        write_changes(self.producer, topic, changes, batch).map_err(|error| {
            BatchFailure::Rewind(format!("a changelog record was refused: {error}"))
        })
    }

    fn close_if_due(&mut self) -> Result<(), BatchFailure> {
        let due = lock(self.batch).due(
            Instant::now(),
            self.config.commit_interval,
            self.config.max_in_flight,
        );
        if due {
            self.close(Instant::now() + CLOSE_DEADLINE)
        } else {
            Ok(())
        }
    }

    /// Closes the open batch: commits its transaction, or awaits its
    /// records, writes its state and stores its offsets.
    fn close(&mut self, deadline: Instant) -> Result<(), BatchFailure> {
        let started = Instant::now();
        let mut batch = lock(self.batch);
        if batch.is_empty() && !batch.transaction_open {
            return Ok(());
        }
        if self.exactly_once() {
            if !batch.commit_sent {
                self.write_state(&mut batch)?;
            }
            let mut committed = transaction::commit(
                self.producer,
                &mut batch,
                &self.config.input_topics,
                self.consumer.group_metadata(),
                deadline,
            );
            // A commit not answered is asked for again until it is: the
            // loop cannot go on beside a transaction that may be
            // committing. At shutdown, until the deadline.
            while let Err(Failure::Undecided(error)) = &committed {
                if self.shutdown.is_cancelled() && Instant::now() >= deadline {
                    break;
                }
                tracing::warn!(service = self.config.service, %error, "The commit has not answered; asking again.");
                let again = if sleep_unless_cancelled(self.backoff.pause(), self.shutdown) {
                    deadline
                } else {
                    Instant::now() + CLOSE_DEADLINE
                };
                committed = transaction::commit(
                    self.producer,
                    &mut batch,
                    &self.config.input_topics,
                    self.consumer.group_metadata(),
                    again,
                );
            }
            if let Err(failure) = committed {
                drop(batch);
                self.note_failures();
                return Err(failure.into());
            }
        } else {
            self.await_deliveries(&batch, deadline)?;
            if self.state.changelog_topic().is_some() {
                self.write_state(&mut batch)?;
                self.await_deliveries(&batch, deadline)?;
            }
            for ((topic, partition), next) in batch.next_offsets() {
                // librdkafka stores offset + 1, the next one to read.
                let topic = &self.config.input_topics[topic];
                if let Err(error) = self.consumer.store_offset(topic, partition, next - 1) {
                    // Revoked meanwhile: the new owner re-reads it (at-least-once).
                    tracing::debug!(%topic, partition, %error, "Offset not stored; partition no longer assigned.");
                }
            }
        }
        let closed = batch.close();
        drop(batch);
        transaction::count_closed(
            &closed,
            &self.config.input_topics,
            self.metrics,
            self.config.service,
        );
        lock(self.processor).batch_closed(true);
        self.retries.committed(closed.next_offsets());
        self.backoff.reset();
        self.readiness.set_broker_lost(false);
        self.metrics
            .commit_seconds
            .with_label_values(&[self.config.service])
            .observe(started.elapsed().as_secs_f64());
        self.metrics
            .in_flight
            .with_label_values(&[self.config.service])
            .set(0);
        Ok(())
    }

    /// Waits until every record sent so far is acknowledged; a failed one
    /// fails the batch. Closes an at-least-once batch, and fences off an
    /// isolated input under either guarantee.
    fn await_deliveries(
        &mut self,
        batch: &OpenBatch,
        deadline: Instant,
    ) -> Result<(), BatchFailure> {
        if !await_delivered(self.producer, deadline) {
            return Err(BatchFailure::Rewind(
                "records not acknowledged in time".into(),
            ));
        }
        let failures = self.producer.context().take_failures_of(batch.generation);
        match failures.first() {
            None => Ok(()),
            Some(first) => {
                let why = format!("delivery to {} failed: {}", first.topic, first.error);
                self.attribute(batch, failures);
                Err(BatchFailure::Rewind(why))
            }
        }
    }

    /// Exactly-once: notes the open batch's failed deliveries against their
    /// inputs, before the batch is rewound.
    fn note_failures(&mut self) {
        let batch = lock(self.batch);
        let current = self.producer.context().take_failures_of(batch.generation);
        self.attribute(&batch, current);
    }

    /// Books each failed delivery against the input its record came from.
    /// Failures that say the broker is away are no input's fault and count
    /// against none.
    fn attribute(&mut self, batch: &OpenBatch, failures: Vec<DeliveryFailure>) {
        for failure in failures {
            let Some(input) = failure.input.and_then(|i| batch.input_at(i)) else {
                continue;
            };
            let detail = format!("{} ({})", failure.error, failure.topic);
            match classify(&failure.error) {
                Some(OutputFailure::Refused(_)) => {
                    self.retries.record(input, OutputFailure::Refused(detail))
                }
                Some(OutputFailure::Transient(_)) => {
                    self.retries.record(input, OutputFailure::Transient(detail))
                }
                None => {}
            }
        }
    }

    /// Gives up the open batch and reads its inputs again: aborts its
    /// transaction, seeks its partitions back, restores their state, and
    /// pauses (growing with repeated failures). `polled` are inputs polled
    /// but perhaps not yet in the batch.
    fn rewind(&mut self, why: &str, polled: &[(usize, i32, i64)]) -> Result<()> {
        let service = self.config.service;
        let failed = lock(self.batch).close();
        // What the processor counted for these inputs is counted again when
        // they are read again.
        lock(self.processor).batch_closed(false);
        if self.exactly_once() && failed.transaction_open {
            self.metrics
                .transactions
                .with_label_values(&[service, "aborted"])
                .inc();
            let mut deadline = Instant::now() + CLOSE_DEADLINE;
            loop {
                match transaction::abort(self.producer, &failed, deadline) {
                    Ok(()) => break,
                    Err(Failure::Fatal(source)) => {
                        return Err(Error::ProducerFailed {
                            context: "aborting a transaction".into(),
                            source,
                        })
                    }
                    Err(Failure::Abort(error) | Failure::Undecided(error)) => {
                        tracing::warn!(service, %error, "Could not abort the transaction yet; retrying.");
                        if sleep_unless_cancelled(self.backoff.pause(), self.shutdown) {
                            return Ok(());
                        }
                        deadline = Instant::now() + CLOSE_DEADLINE;
                    }
                }
            }
        }
        // The failed batch's delivery reports, served by now (an abort
        // waits for them), say which inputs caused the failure; reports of
        // earlier batches are no longer news.
        let failures = self.producer.context().take_failures_of(failed.generation);
        self.attribute(&failed, failures);
        // The earliest offset of each partition the batch or the round read.
        let mut points: std::collections::BTreeMap<(usize, i32), i64> =
            failed.rewind_points().collect();
        for (topic, partition, offset) in polled {
            let first = points.entry((*topic, *partition)).or_insert(*offset);
            *first = (*first).min(*offset);
        }
        let assigned = self.consumer.assignment().unwrap_or_default();
        let mut partitions: Vec<(String, i32)> = Vec::new();
        for ((topic, partition), first) in points {
            let name = &self.config.input_topics[topic];
            if assigned.find_partition(name, partition).is_none() {
                // Revoked meanwhile: its next owner reads it from the last commit.
                continue;
            }
            if let Err(error) = self.consumer.seek(
                name,
                partition,
                Offset::Offset(first),
                Duration::from_secs(5),
            ) {
                tracing::warn!(topic = %name, partition, %error, "Could not seek back.");
            }
            partitions.push((name.clone(), partition));
        }
        let pause = self.backoff.pause();
        tracing::warn!(
            service,
            inputs = failed.inputs(),
            ?partitions,
            pause_ms = pause.as_millis() as u64,
            "Batch failed ({why}); reading its inputs again."
        );
        if sleep_unless_cancelled(pause, self.shutdown) {
            return Ok(());
        }
        self.state
            .restore(&partitions, &mut *lock(self.processor), self.shutdown)?;
        Ok(())
    }

    /// At shutdown: closes the open batch within the drain bound; what
    /// cannot close in time is aborted and read again after a restart.
    fn drain(&mut self) -> Result<()> {
        let service = self.config.service;
        tracing::info!(service, in_flight = lock(self.batch).inputs(), "Draining.");
        match self.close(Instant::now() + self.config.drain_timeout) {
            Ok(()) => Ok(()),
            Err(BatchFailure::Stop(error)) => Err(error),
            Err(BatchFailure::Undecided(why)) => {
                tracing::warn!(service, why, "The commit did not answer within the drain bound; the coordinator decides it when this instance registers again, and its inputs are re-read only if it did not commit.");
                Ok(())
            }
            Err(BatchFailure::Rewind(why)) => {
                tracing::warn!(service, why, "Drain bound reached or batch failed; its inputs will be re-read after restart.");
                let batch = lock(self.batch).close();
                let _ = transaction::abort(
                    self.producer,
                    &batch,
                    Instant::now() + transaction::CALL_TIMEOUT,
                );
                Ok(())
            }
        }
    }
}

/// Whether a failed delivery is the record's fault for good (the broker
/// refused it), may pass (counted against its input), or says the broker
/// is away (`None`: no input's fault).
fn classify(error: &KafkaError) -> Option<OutputFailure> {
    use RDKafkaErrorCode::*;
    let code = error.rdkafka_error_code()?;
    match code {
        MessageSizeTooLarge
        | MessageBatchTooLarge
        | InvalidRecord
        | BadMessage
        | InvalidMessage
        | InvalidMessageSize
        | InvalidTimestamp
        | InvalidTopic
        | TopicAuthorizationFailed
        | UnknownTopicOrPartition
        | UnknownTopic
        | UnknownPartition
        | PolicyViolation => Some(OutputFailure::Refused(code.to_string())),
        MessageTimedOut
        | AllBrokersDown
        | BrokerTransportFailure
        | BrokerDestroy
        | PurgeQueue
        | PurgeInflight
        | State
        | Fenced
        | Fatal
        | ProducerFenced
        | InvalidProducerEpoch
        | RequestTimedOut
        | OperationTimedOut
        | NetworkException
        | NotCoordinator
        | CoordinatorNotAvailable
        | NotLeaderForPartition
        | LeaderNotAvailable
        | BrokerNotAvailable
        | ConcurrentTransactions
        | TransactionCoordinatorFenced
        | OutOfOrderSequenceNumber
        | DuplicateSequenceNumber
        | UnknownProducerId
        | InvalidTransactionalState => None,
        _ => Some(OutputFailure::Transient(code.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_records_are_the_inputs_fault_and_an_absent_broker_is_nobodys() {
        let refused = KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge);
        assert!(matches!(
            classify(&refused),
            Some(OutputFailure::Refused(_))
        ));
        let away = KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut);
        assert_eq!(classify(&away), None);
        let busy = KafkaError::MessageProduction(RDKafkaErrorCode::NotEnoughReplicas);
        assert!(matches!(classify(&busy), Some(OutputFailure::Transient(_))));
    }
}
