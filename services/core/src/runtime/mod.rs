//! The consume → process → produce loop.
//!
//! Where a message enters: the consumer created here reads the input topics.
//! Where it is decided: the service's [`Processor`]. Where it leaves: the
//! records it returned (or its dead letter) go to the producer, and the
//! input's offset is committed only together with them:
//!
//! - [`exactly_once`] (the default): inputs are processed in batches inside a
//!   Kafka transaction that also holds the outputs, the dead letters, the
//!   state changes (to the changelog) and the input offsets
//!   (`send_offsets_to_transaction` with the consumer's group metadata,
//!   KIP-447). A `read_committed` consumer sees each output exactly once.
//! - [`at_least_once`]: an input's offset is stored after everything it
//!   caused is acknowledged; a crash re-reads what was not finished.
//!
//! Either way, a processor with state has it restored from its [`changelog`]
//! when a partition is assigned, before any message of that partition is
//! processed, and dropped when the partition is revoked.

//!
//! Modules: [`clients`] (the consumer, the producer and their context),
//! [`state`] (assignments and restores), [`message`] (one input through
//! the processor, and its dead letter), [`produce`] (enqueueing records).

pub mod at_least_once;
pub mod changelog;
mod clients;
pub mod exactly_once;
mod message;
mod produce;
mod state;

use std::sync::{Arc, Mutex};

use rdkafka::consumer::Consumer;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::{Guarantee, RuntimeConfig};
use crate::http::ReadyFlag;
use crate::metrics::RuntimeMetrics;
use crate::processor::Processor;
use crate::{Error, Result};

pub(crate) use clients::RuntimeContext;
use clients::{create_consumer, create_producer, wait_for_topics};
pub(crate) use message::{process_message, send_or_dead_letter};
pub(crate) use produce::{changelog_records, consumer_error, enqueue};
pub(crate) use state::{PartitionEvent, StateKeeper};

/// Runs `processor` over the configured input topics until `shutdown` is
/// cancelled, under the configured guarantee.
///
/// Fails when a Kafka client cannot be created, the subscription fails, a
/// record is not acknowledged, or a transaction cannot commit. Whatever was
/// not committed is processed again by whoever owns the partition next.
pub async fn run<P: Processor>(
    config: RuntimeConfig,
    mut processor: P,
    metrics: Arc<RuntimeMetrics>,
    ready: ReadyFlag,
    shutdown: CancellationToken,
) -> Result<()> {
    // Series of fixed label sets exist from start-up, at 0.
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
    let (events, rebalances) = mpsc::unbounded_channel();
    let transaction = Arc::new(Mutex::new(exactly_once::OpenTransaction::default()));
    let producer = create_producer(&config, metrics.clone())?;
    let context = RuntimeContext {
        log_limiter: clients::LogLimiter::new(),
        service: config.service,
        metrics: metrics.clone(),
        events,
        transaction: (config.guarantee == Guarantee::ExactlyOnce)
            .then(|| (transaction.clone(), producer.clone())),
    };
    let consumer = create_consumer(&config, context)?;

    let topics: Vec<&str> = config.input_topics.iter().map(String::as_str).collect();
    if !wait_for_topics(&consumer, &topics, &shutdown).await {
        return Ok(());
    }
    let store = match processor.state_store() {
        Some(store) => Some(changelog::Store::ensure(&config, store, topics[0]).await?),
        None => None,
    };
    consumer
        .subscribe(&topics)
        .map_err(|e| Error::kafka(format!("subscribing to {topics:?}"), e))?;
    tracing::info!(service = config.service, group = %config.group_id, ?topics, guarantee = ?config.guarantee, "Consuming.");

    let mut state = StateKeeper {
        store,
        rebalances,
        ready,
        metrics: metrics.clone(),
        service: config.service,
        first_assignment_seen: false,
    };
    match config.guarantee {
        Guarantee::AtLeastOnce => {
            at_least_once::run(
                &config,
                &consumer,
                &producer,
                &mut processor,
                &mut state,
                &metrics,
                &shutdown,
            )
            .await
        }
        Guarantee::ExactlyOnce => {
            exactly_once::run(
                &config,
                &consumer,
                &producer,
                &transaction,
                &mut processor,
                &mut state,
                &metrics,
                &shutdown,
            )
            .await
        }
    }
}
