//! Exactly-once: consume → process → produce inside Kafka transactions
//! (exactly-once v2, KIP-447), batched by a commit interval.
//!
//! One transaction holds, for a batch of inputs, their outputs, dead
//! letters, changelog writes, and the inputs' next offsets
//! (`send_offsets_to_transaction` with the consumer's group metadata, so a
//! zombie of an older group generation is fenced). Either all of it becomes
//! visible to `read_committed` readers, or none of it.
//!
//! - A normal revoke commits the open transaction inside the rebalance
//!   callback, before the partitions move; a lost assignment aborts it.
//! - Any other failure aborts and stops the service with an error: its
//!   inputs since the last commit are re-read, and its state rebuilt from
//!   the changelog, by whoever owns the partitions next (the restarted
//!   process included). Correct first; in-process recovery is a later step.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerGroupMetadata, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, Producer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{
    changelog_records, consumer_error, enqueue, process_message, send_or_dead_letter,
    RuntimeContext, StateKeeper,
};
use crate::config::RuntimeConfig;
use crate::metrics::RuntimeMetrics;
use crate::processor::Processor;
use crate::{Error, Result};

const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Commit early when a batch holds this many inputs, so a transaction stays small.
const MAX_BATCH_INPUTS: usize = 5_000;

/// The open transaction's bookkeeping, shared with the rebalance callback.
#[derive(Debug, Default)]
pub(crate) struct OpenTransaction {
    open: bool,
    /// Next offset to read per input partition, sent with the commit.
    offsets: BTreeMap<(String, i32), i64>,
    /// Records sent per topic, counted as produced on commit.
    records: BTreeMap<String, u64>,
    inputs: usize,
    /// State changes made in this transaction are not yet in the changelog
    /// (they are written once, coalesced, just before the commit).
    state_pending: bool,
    /// Set when the rebalance callback could not abort: the loop stops.
    failed: Option<String>,
}

fn lock(transaction: &Mutex<OpenTransaction>) -> MutexGuard<'_, OpenTransaction> {
    transaction
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn run<P: Processor>(
    config: &RuntimeConfig,
    consumer: &StreamConsumer<RuntimeContext>,
    producer: &FutureProducer<RuntimeContext>,
    transaction: &Arc<Mutex<OpenTransaction>>,
    processor: &mut P,
    state: &mut StateKeeper,
    metrics: &RuntimeMetrics,
    shutdown: &CancellationToken,
) -> Result<()> {
    let service = config.service;
    producer
        .init_transactions(TRANSACTION_TIMEOUT)
        .map_err(|e| Error::kafka("initialising transactions (fences older instances)", e))?;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut commit_at = Instant::now() + config.commit_interval;
    let outcome: Result<()> = async {
        loop {
            if let Some(reason) = lock(transaction).failed.take() {
                return Err(Error::Rebalance(reason));
            }
            let open = lock(transaction).open;
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep_until(commit_at), if open => {
                    write_state(transaction, producer, processor, state).await?;
                    commit(transaction, producer, consumer.group_metadata(), metrics, service, TRANSACTION_TIMEOUT)
                        .map_err(|e| Error::kafka("committing a transaction", e))?;
                }
                _ = tick.tick() => state.catch_up(processor).await?,
                message = consumer.recv() => {
                    let message = match message {
                        Ok(message) => message,
                        Err(error) => {
                            consumer_error(service, metrics, error).await;
                            continue;
                        }
                    };
                    state.catch_up(processor).await?;
                    if !lock(transaction).open {
                        producer.begin_transaction().map_err(|e| Error::kafka("beginning a transaction", e))?;
                        lock(transaction).open = true;
                        commit_at = Instant::now() + config.commit_interval;
                    }
                    let processed = process_message(&message, processor, config, metrics);
                    for record in &processed.records {
                        // The commit waits for every delivery of the transaction.
                        let sent = send_or_dead_letter(producer, &message, record, config, metrics).await?;
                        *lock(transaction).records.entry(sent.topic).or_default() += 1;
                    }
                    let batch_full = {
                        let mut open = lock(transaction);
                        open.offsets.insert((processed.topic.clone(), processed.partition), processed.offset + 1);
                        open.inputs += 1;
                        open.state_pending |= state.changelog_topic().is_some();
                        open.inputs >= MAX_BATCH_INPUTS
                    };
                    if batch_full {
                        write_state(transaction, producer, processor, state).await?;
                        commit(transaction, producer, consumer.group_metadata(), metrics, service, TRANSACTION_TIMEOUT)
                            .map_err(|e| Error::kafka("committing a transaction", e))?;
                    }
                }
            }
        }
    }
    .await;

    state.ready().set(false);
    let finished = match outcome {
        Ok(()) => match write_state(transaction, producer, processor, state).await {
            // The shutdown bound: what cannot commit in time is aborted and re-read.
            Ok(()) => commit(
                transaction,
                producer,
                consumer.group_metadata(),
                metrics,
                service,
                config.drain_timeout,
            )
            .map_err(|e| Error::kafka("committing the last transaction", e)),
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    if let Err(error) = &finished {
        tracing::error!(service, %error, "Aborting the open transaction; its inputs will be re-read.");
        if let Err(error) = abort(
            transaction,
            producer,
            metrics,
            service,
            config.drain_timeout,
        ) {
            tracing::warn!(service, %error, "Abort failed; the broker times the transaction out.");
        }
    }
    consumer.unsubscribe();
    tracing::info!(service, "Stopped.");
    finished
}

/// Writes the transaction's state changes to the changelog, once per key.
async fn write_state<P: Processor>(
    transaction: &Mutex<OpenTransaction>,
    producer: &FutureProducer<RuntimeContext>,
    processor: &mut P,
    state: &StateKeeper,
) -> Result<()> {
    if !lock(transaction).open {
        return Ok(());
    }
    if let Some(topic) = state.changelog_topic() {
        let changes = processor.take_state_changes();
        tracing::debug!(topic, changes = changes.len(), "Writing state changes.");
        for record in changelog_records(topic, changes) {
            enqueue(producer, &record)
                .await
                .map_err(|source| Error::Delivery {
                    topic: topic.to_owned(),
                    source,
                })?;
            *lock(transaction).records.entry(record.topic).or_default() += 1;
        }
    }
    lock(transaction).state_pending = false;
    Ok(())
}

/// Commits the open transaction, with the inputs' offsets. Blocking (one
/// broker round trip or a few).
fn commit(
    transaction: &Mutex<OpenTransaction>,
    producer: &FutureProducer<RuntimeContext>,
    group: Option<ConsumerGroupMetadata>,
    metrics: &RuntimeMetrics,
    service: &'static str,
    timeout: Duration,
) -> std::result::Result<(), KafkaError> {
    let mut open = lock(transaction);
    if !open.open {
        return Ok(());
    }
    if !open.offsets.is_empty() {
        let mut offsets = TopicPartitionList::new();
        for ((topic, partition), next) in &open.offsets {
            offsets.add_partition_offset(topic, *partition, Offset::Offset(*next))?;
        }
        let group = group.ok_or(KafkaError::Canceled)?;
        producer.send_offsets_to_transaction(&offsets, &group, timeout)?;
    }
    producer.commit_transaction(timeout)?;
    metrics
        .transactions
        .with_label_values(&[service, "committed"])
        .inc();
    for (topic, count) in &open.records {
        metrics.produced.with_label_values(&[topic]).inc_by(*count);
    }
    *open = OpenTransaction::default();
    Ok(())
}

fn abort(
    transaction: &Mutex<OpenTransaction>,
    producer: &FutureProducer<RuntimeContext>,
    metrics: &RuntimeMetrics,
    service: &'static str,
    timeout: Duration,
) -> std::result::Result<(), KafkaError> {
    let mut open = lock(transaction);
    let result = if open.open {
        metrics
            .transactions
            .with_label_values(&[service, "aborted"])
            .inc();
        producer.abort_transaction(timeout)
    } else {
        Ok(())
    };
    let failed = open.failed.take();
    *open = OpenTransaction {
        failed,
        ..OpenTransaction::default()
    };
    result
}

/// Called from the rebalance callback when partitions are revoked. A
/// stateless stage commits what it processed. A stateful one aborts: its
/// state changes are written just before a commit, from the processor the
/// callback cannot reach; since every partition is revoked (eager
/// rebalancing), its state is dropped and restored from the changelog on
/// the next assignment, and the aborted inputs are read again. A lost
/// assignment (a fenced generation) always aborts.
pub(crate) fn finish_on_revoke(
    transaction: &Mutex<OpenTransaction>,
    producer: &FutureProducer<RuntimeContext>,
    consumer: &BaseConsumer<RuntimeContext>,
    service: &'static str,
    metrics: &RuntimeMetrics,
) {
    let (open, state_pending) = {
        let open = lock(transaction);
        (open.open, open.state_pending)
    };
    if !open {
        return;
    }
    if !consumer.assignment_lost() && !state_pending {
        match commit(
            transaction,
            producer,
            consumer.group_metadata(),
            metrics,
            service,
            TRANSACTION_TIMEOUT,
        ) {
            Ok(()) => return,
            Err(error) => tracing::warn!(service, %error, "Could not commit on revoke; aborting."),
        }
    }
    if let Err(error) = abort(transaction, producer, metrics, service, TRANSACTION_TIMEOUT) {
        // The producer is unusable (fenced): stop, the next owner takes over.
        lock(transaction).failed = Some(format!("abort on revoke failed: {error}"));
    }
}
