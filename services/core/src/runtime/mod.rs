//! The consume → process → produce loop.
//!
//! Where a message enters: the consumer created here reads the input
//! topics, on a thread of its own ([`pipeline`]). Where it is decided: the
//! service's [`Processor`]. Where it leaves: the records it returned (or its
//! dead letter) go to the producer, and the input's offset is committed
//! only together with them, a batch at a time:
//!
//! - exactly-once (the default): a batch is a Kafka [`transaction`] that
//!   also holds the outputs, the dead letters, the state changes (to the
//!   changelog) and the input offsets (`send_offsets_to_transaction` with
//!   the consumer's group metadata, KIP-447). A `read_committed` consumer
//!   sees each output exactly once.
//! - at-least-once: a batch's offsets are stored after everything it
//!   caused is acknowledged; a crash re-reads what was not finished. The
//!   loop does not wait for that: closed batches are [`sealed`] and move on
//!   as their delivery reports come in.
//!
//! Either way, a processor with state has it restored from its
//! [`changelog`] when a partition is assigned, before any message of that
//! partition is processed, and dropped when the partition is revoked.
//!
//! Modules: [`clients`] (the consumer, the producer and their contexts),
//! [`batch`] (the open batch and the retry book, plain data), [`sealed`]
//! (at-least-once batches awaiting acknowledgement, plain data), [`state`]
//! (assignments, restores, readiness), [`message`] (one input through the
//! processor), [`produce`] (enqueueing records).

mod batch;
pub mod changelog;
mod clients;
mod message;
mod pipeline;
mod produce;
mod sealed;
mod state;
mod transaction;

use std::sync::{Arc, Mutex};

use rdkafka::consumer::Consumer;
use tokio_util::sync::CancellationToken;

use crate::config::{Guarantee, RuntimeConfig};
use crate::http::ReadyFlag;
use crate::metrics::RuntimeMetrics;
use crate::processor::Processor;
use crate::{Error, Result};

use batch::{Backoff, OpenBatch, RetryBook};
pub(crate) use clients::RuntimeContext;
use clients::{create_consumer, create_producer, wait_for_topics, PartitionEvents, RevokeCommit};
pub(crate) use state::PartitionEvent;
use state::{Readiness, StateKeeper};

/// The runtime's own dead-letter reasons, on top of each processor's.
pub const RUNTIME_REJECTION_REASONS: &[&str] = &[
    "output_too_large",
    "output_rejected",
    "output_failed",
    "processor_panic",
];

/// Runs `processor` over the configured input topics until `shutdown` is
/// cancelled, under the configured guarantee. The loop runs on a blocking
/// thread of its own: nothing that waits on the network runs on an async
/// worker.
///
/// Fails when a Kafka client cannot be created, the subscription fails, a
/// partition's state cannot be restored, or the producer is fenced. A batch
/// that fails otherwise (the broker away) is rewound and read again
/// in-process.
pub async fn run<P: Processor>(
    config: RuntimeConfig,
    processor: P,
    metrics: Arc<RuntimeMetrics>,
    ready: ReadyFlag,
    shutdown: CancellationToken,
) -> Result<()> {
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        run_blocking(config, processor, metrics, ready, shutdown, runtime)
    })
    .await
    .map_err(|source| Error::Task {
        task: "the consume-process-produce loop",
        source,
    })?
}

fn run_blocking<P: Processor>(
    config: RuntimeConfig,
    processor: P,
    metrics: Arc<RuntimeMetrics>,
    ready: ReadyFlag,
    shutdown: CancellationToken,
    runtime: tokio::runtime::Handle,
) -> Result<()> {
    zero_series(&config, &processor, &metrics);
    let processor = Arc::new(Mutex::new(processor));
    let mut backoff = Backoff::new();
    loop {
        // Not ready again until the new clients have their assignment.
        let readiness = Arc::new(Readiness::new(ready.clone()));
        match run_stage(
            &config, &processor, &metrics, readiness, &shutdown, &runtime,
        ) {
            Err(error @ Error::ProducerFailed { .. }) if !error.is_fenced() => {
                // New clients: the new producer's registration settles the
                // old transaction, and the partitions restart from their
                // committed offsets and state, as after a restart.
                metrics
                    .stage_restarts
                    .with_label_values(&[config.service])
                    .inc();
                let pause = backoff.pause();
                tracing::warn!(service = config.service, %error, pause_ms = pause.as_millis() as u64, "Starting the stage again with new clients.");
                if clients::sleep_unless_cancelled(pause, &shutdown) {
                    return Ok(());
                }
            }
            outcome => return outcome,
        }
    }
}

/// One run of a stage's clients and loop, until shutdown or a failure.
fn run_stage<P: Processor>(
    config: &RuntimeConfig,
    processor: &Arc<Mutex<P>>,
    metrics: &Arc<RuntimeMetrics>,
    readiness: Arc<Readiness>,
    shutdown: &CancellationToken,
    runtime: &tokio::runtime::Handle,
) -> Result<()> {
    let changelog = clients::lock(processor)
        .state_store()
        .map(|store| changelog::changelog_topic(&config.group_id, store));
    let batch = Arc::new(Mutex::new(OpenBatch::default()));
    let producer = Arc::new(create_producer(config, metrics.clone(), readiness.clone())?);
    let events = Arc::new(PartitionEvents::default());
    let context = RuntimeContext {
        log_limiter: clients::LogLimiter::new(),
        service: config.service,
        metrics: metrics.clone(),
        events: events.clone(),
        readiness: readiness.clone(),
        revoke_commit: (config.guarantee == Guarantee::ExactlyOnce).then(|| RevokeCommit {
            batch: batch.clone(),
            producer: producer.clone(),
            input_topics: config.input_topics.clone(),
            state_changes: changelog.map(|topic| {
                let processor = processor.clone();
                let take: clients::StateChanges =
                    Box::new(move || clients::lock(&processor).take_state_changes());
                (topic, take)
            }),
            batch_closed: {
                let processor = processor.clone();
                Box::new(move |committed| clients::lock(&processor).batch_closed(committed))
            },
        }),
    };
    let consumer = create_consumer(config, context)?;

    let topics: Vec<&str> = config.input_topics.iter().map(String::as_str).collect();
    if !wait_for_topics(&consumer, &topics, &readiness, shutdown)? {
        return Ok(());
    }
    let state_store = clients::lock(processor).state_store();
    let store = match state_store {
        Some(store) => Some(runtime.block_on(changelog::Store::ensure(config, store, topics[0]))?),
        None => None,
    };
    consumer
        .subscribe(&topics)
        .map_err(|e| Error::kafka(format!("subscribing to {topics:?}"), e))?;
    tracing::info!(service = config.service, group = %config.group_id, ?topics, guarantee = ?config.guarantee, "Consuming.");

    let state = StateKeeper {
        store,
        events,
        readiness: readiness.clone(),
        metrics: metrics.clone(),
        service: config.service,
        held: Default::default(),
    };
    pipeline::Pipeline {
        config,
        consumer: &consumer,
        producer: &producer,
        batch: &batch,
        processor,
        state,
        readiness: &readiness,
        metrics,
        topic_metrics: message::TopicMetrics::new(metrics, &config.input_topics),
        shutdown,
        retries: RetryBook::default(),
        sealed: sealed::SealedBatches::default(),
        backoff: Backoff::new(),
    }
    .run()
}

/// Series of fixed label sets exist from start-up, at 0, so a dashboard
/// shows 0 rather than "no data".
fn zero_series<P: Processor>(config: &RuntimeConfig, processor: &P, metrics: &RuntimeMetrics) {
    if config.guarantee == Guarantee::ExactlyOnce {
        for outcome in ["committed", "aborted"] {
            metrics
                .transactions
                .with_label_values(&[config.service, outcome]);
        }
    }
    for kind in ["assign", "revoke", "error"] {
        metrics
            .rebalances
            .with_label_values(&[config.service, kind]);
    }
    for topic in &config.input_topics {
        for reason in processor
            .rejection_reasons()
            .iter()
            .chain(RUNTIME_REJECTION_REASONS)
        {
            metrics
                .dead_letters
                .with_label_values(&[topic.as_str(), reason]);
        }
    }
    metrics.consume_errors.with_label_values(&[config.service]);
    metrics.stage_restarts.with_label_values(&[config.service]);
    if processor.state_store().is_some() {
        metrics.restored_bytes.with_label_values(&[config.service]);
        metrics
            .restored_entries
            .with_label_values(&[config.service]);
    }
}
