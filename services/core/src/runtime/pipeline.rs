//! The loop, one thread per stage, for both guarantees: poll a round of
//! messages, process them, hand their records to the producer (delivery
//! reports are counted by the producer's context, not awaited one by one),
//! and close the batch by time.
//!
//! - exactly-once: the batch is a transaction; state changes are written
//!   into it after every round, so that the rebalance callback (which runs
//!   inside `poll`) can commit it on a revoke. Closing commits it.
//! - at-least-once: records go out as they are made; closing seals the
//!   batch with its state changes and goes on at once. A sealed batch
//!   writes its state changes once its outputs are acknowledged, and its
//!   offsets are stored for the next auto-commit once those are too
//!   (`sealed`): the loop never stops to wait for the broker.
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

use chrono::Utc;
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
use super::message::{letter_for, process_message, TopicMetrics};
use super::produce::{await_delivered, enqueue, write_changes};
use super::sealed::{SealedBatches, Step};
use super::state::{Readiness, StateKeeper};
use super::transaction::{self, Failure};
use crate::processor::Rejection;

/// At most this many messages are polled before they are processed.
const ROUND: usize = 500;
/// The longest a poll waits for a message when none is there.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// How long closing a batch may take before it is given up and rewound.
const CLOSE_DEADLINE: Duration = Duration::from_secs(30);
/// The longest a poll waits while sealed batches await acknowledgements,
/// so that their offsets are stored soon after the last one comes in.
const SEALED_POLL: Duration = Duration::from_millis(10);

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
    pub topic_metrics: TopicMetrics<'a>,
    pub shutdown: &'a CancellationToken,
    pub retries: RetryBook,
    pub backoff: Backoff,
    /// At-least-once: closed batches awaiting acknowledgements.
    pub sealed: SealedBatches,
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
            let longest = if self.sealed.is_empty() {
                IDLE_POLL
            } else {
                SEALED_POLL
            };
            let wait = lock(self.batch)
                .due_at(self.config.commit_interval)
                .map_or(longest, |due| {
                    due.saturating_duration_since(Instant::now()).min(longest)
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
                let numbers: Vec<i32> = caught_up.revoked.iter().map(|(_, p)| *p).collect();
                self.sealed.drop_state_of(&numbers);
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
            let result = result
                .and_then(|()| self.close_if_due())
                .and_then(|()| self.advance_sealed());
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
        // One clock reading for the round: its messages were polled together.
        let received_at = Utc::now();
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
            let processed = process_message(
                message,
                topic,
                received_at,
                &mut *processor,
                verdict,
                self.config,
                &mut self.topic_metrics,
            );
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
            .set((batch.inputs() + self.sealed.inputs()) as i64);
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

    /// Closes the open batch: commits its transaction (exactly-once), or
    /// seals it with its state changes (at-least-once; see
    /// [`Self::advance_sealed`]).
    fn close(&mut self, deadline: Instant) -> Result<(), BatchFailure> {
        let started = Instant::now();
        let mut batch = lock(self.batch);
        if batch.is_empty() && !batch.transaction_open {
            return Ok(());
        }
        if !self.exactly_once() {
            drop(batch);
            self.seal(started);
            return Ok(());
        }
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
        let closed = batch.close_begun_at(started);
        drop(batch);
        lock(self.processor).batch_closed(true);
        self.finished(&closed);
        self.observe_close(started);
        Ok(())
    }

    /// At-least-once: closes the open batch without waiting for anything.
    /// It is sealed with the state changes it made, to be written once its
    /// outputs are in.
    fn seal(&mut self, started: Instant) {
        let mut processor = lock(self.processor);
        let state = if self.state.changelog_topic().is_some() {
            processor.take_state_changes()
        } else {
            Vec::new()
        };
        // Counted now: an input re-read after a failure of its sealed batch
        // counts again, as its outputs go out again.
        processor.batch_closed(true);
        drop(processor);
        let closed = lock(self.batch).close_begun_at(started);
        self.sealed.seal(closed, state, started);
        self.observe_close(started);
    }

    fn observe_close(&self, started: Instant) {
        self.metrics
            .commit_seconds
            .with_label_values(&[self.config.service])
            .observe(started.elapsed().as_secs_f64());
    }

    /// At-least-once: moves the sealed batches on as far as their delivery
    /// reports allow, oldest first: writes a batch's state once its outputs
    /// are in, stores its offsets once its state is in too. Never waits.
    fn advance_sealed(&mut self) -> Result<(), BatchFailure> {
        let context = self.producer.context();
        loop {
            let step = self
                .sealed
                .next_step(|g| context.settled(g), |g| context.has_failed(g));
            match step {
                Step::Wait => {
                    let stuck = self
                        .sealed
                        .oldest_sealed_at()
                        .is_some_and(|sealed| sealed.elapsed() >= CLOSE_DEADLINE);
                    if stuck {
                        return Err(BatchFailure::Rewind(
                            "records not acknowledged in time".into(),
                        ));
                    }
                    return Ok(());
                }
                Step::Failed => {
                    // The others' reports first (bounded), so that the
                    // rewind can tell which inputs failed.
                    await_delivered(self.producer, Instant::now() + CLOSE_DEADLINE);
                    return Err(BatchFailure::Rewind(
                        "a record of a closed batch was not delivered".into(),
                    ));
                }
                Step::WriteState(changes) => {
                    let (Some(topic), Some(batch)) =
                        (self.state.changelog_topic(), self.sealed.oldest_mut())
                    else {
                        continue;
                    };
                    write_changes(self.producer, topic, changes, batch).map_err(|error| {
                        BatchFailure::Rewind(format!("a changelog record was refused: {error}"))
                    })?;
                }
                Step::Done(done) => {
                    for ((topic, partition), next) in done.batch.next_offsets() {
                        // librdkafka stores offset + 1, the next one to read.
                        let topic = &self.config.input_topics[topic];
                        if let Err(error) = self.consumer.store_offset(topic, partition, next - 1) {
                            // Revoked meanwhile: the new owner re-reads it.
                            tracing::debug!(%topic, partition, %error, "Offset not stored; partition no longer assigned.");
                        }
                    }
                    let oldest_live = self
                        .sealed
                        .oldest_generation()
                        .unwrap_or(lock(self.batch).generation);
                    context.forget_before(oldest_live);
                    self.finished(&done.batch);
                }
            }
        }
    }

    /// Books a batch that made it: counts what it wrote, forgets its
    /// inputs' failures.
    fn finished(&mut self, closed: &OpenBatch) {
        transaction::count_closed(
            closed,
            &self.config.input_topics,
            self.metrics,
            self.config.service,
        );
        self.retries.committed(closed.next_offsets());
        self.backoff.reset();
        self.readiness.set_broker_lost(false);
        let in_flight = lock(self.batch).inputs() + self.sealed.inputs();
        self.metrics
            .in_flight
            .with_label_values(&[self.config.service])
            .set(in_flight as i64);
    }

    /// At-least-once, at shutdown: waits until every sealed batch is in,
    /// or `deadline`.
    fn settle_sealed(&mut self, deadline: Instant) -> Result<(), BatchFailure> {
        loop {
            self.advance_sealed()?;
            if self.sealed.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(BatchFailure::Rewind(
                    "records not acknowledged in time".into(),
                ));
            }
            std::thread::sleep(Duration::from_micros(500));
        }
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
        let oldest_live = self.sealed.oldest_generation().unwrap_or(batch.generation);
        let failures = self
            .producer
            .context()
            .take_failures_of(batch.generation, oldest_live);
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
        let current = self
            .producer
            .context()
            .take_failures_of(batch.generation, batch.generation);
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
        // At-least-once rewinds every sealed batch with the open one.
        let mut failed_batches = self.sealed.take_all();
        failed_batches.push(failed);
        // The failed batches' delivery reports, served by now (an abort
        // waits for them), say which inputs caused the failure; reports of
        // earlier batches are no longer news.
        let mut points: std::collections::BTreeMap<(usize, i32), i64> = Default::default();
        for batch in &failed_batches {
            let generation = batch.generation;
            let failures = self
                .producer
                .context()
                .take_failures_of(generation, generation);
            self.attribute(batch, failures);
            for (partition, first) in batch.rewind_points() {
                let earliest = points.entry(partition).or_insert(first);
                *earliest = (*earliest).min(first);
            }
        }
        let generation = lock(self.batch).generation;
        self.producer.context().forget_before(generation);
        let inputs: usize = failed_batches.iter().map(OpenBatch::inputs).sum();
        // The earliest offset of each partition the batches or the round read.
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
            inputs,
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
        let in_flight = lock(self.batch).inputs() + self.sealed.inputs();
        tracing::info!(service, in_flight, "Draining.");
        let deadline = Instant::now() + self.config.drain_timeout;
        let closed = self
            .close(deadline)
            .and_then(|()| self.settle_sealed(deadline));
        match closed {
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
