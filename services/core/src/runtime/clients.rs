//! The runtime's Kafka clients: the consumer and producer settings each
//! guarantee needs, the context that sees rebalances and statistics, and
//! the wait for the input topics.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::producer::FutureProducer;
use rdkafka::{ClientContext, Statistics, TopicPartitionList};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::{Guarantee, RuntimeConfig};
use crate::metrics::RuntimeMetrics;
use crate::{Error, Result};

use super::{exactly_once, PartitionEvent};

/// Waits until the cluster answers and every input topic exists: a
/// subscription to a missing topic would otherwise wait for librdkafka's
/// next periodic metadata refresh (minutes). Returns false if shutdown came first.
pub(super) async fn wait_for_topics(
    consumer: &StreamConsumer<RuntimeContext>,
    topics: &[&str],
    shutdown: &CancellationToken,
) -> bool {
    let mut backoff = Duration::from_millis(100);
    loop {
        match consumer.fetch_metadata(None, Duration::from_secs(5)) {
            Ok(metadata) => {
                let missing: Vec<&str> = topics
                    .iter()
                    .copied()
                    .filter(|name| {
                        !metadata
                            .topics()
                            .iter()
                            .any(|t| t.name() == *name && !t.partitions().is_empty())
                    })
                    .collect();
                if missing.is_empty() {
                    return true;
                }
                tracing::warn!(?missing, "Input topics not found yet; create them with `tickertape topics create`. Waiting.");
            }
            Err(error) => tracing::warn!(%error, "Kafka not reachable yet; retrying."),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return false,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

pub(super) fn create_consumer(
    config: &RuntimeConfig,
    context: RuntimeContext,
) -> Result<StreamConsumer<RuntimeContext>> {
    let client_id = format!("tickertape-{}-{}", config.service, config.instance_id);
    let exactly_once = config.guarantee == Guarantee::ExactlyOnce;
    let mut settings = vec![
        ("group.id", config.group_id.as_str()),
        ("client.id", client_id.as_str()),
        // Offsets are committed by the transaction (exactly-once) or
        // auto-committed once stored after delivery (at-least-once).
        (
            "enable.auto.commit",
            if exactly_once { "false" } else { "true" },
        ),
        ("auto.commit.interval.ms", "1000"),
        ("enable.auto.offset.store", "false"),
        ("auto.offset.reset", "earliest"),
        ("enable.partition.eof", "false"),
        // Inputs may be written transactionally (strip ticks from the
        // articles service): never process an aborted one.
        ("isolation.level", "read_committed"),
        ("statistics.interval.ms", "5000"),
        // A crashed member is noticed in 10 s rather than librdkafka's 45.
        ("session.timeout.ms", "10000"),
    ];
    if config.instance_id_is_stable {
        // Static membership: a restarted instance takes its partitions back
        // without a rebalance of the whole group.
        settings.push(("group.instance.id", config.instance_id.as_str()));
    }
    config
        .kafka
        .client_config(&settings)
        .create_with_context(context)
        .map_err(|e| Error::kafka("creating the consumer", e))
}

pub(super) fn create_producer(
    config: &RuntimeConfig,
    metrics: Arc<RuntimeMetrics>,
) -> Result<FutureProducer<RuntimeContext>> {
    let client_id = format!("tickertape-{}-{}", config.service, config.instance_id);
    let transactional_id = format!("{}-{}", config.group_id, config.instance_id);
    let mut settings = vec![
        ("client.id", client_id.as_str()),
        // Retries never reorder or duplicate within a partition.
        ("enable.idempotence", "true"),
        ("linger.ms", "5"),
        ("compression.type", "lz4"),
        ("statistics.interval.ms", "5000"),
    ];
    if config.guarantee == Guarantee::ExactlyOnce {
        settings.push(("transactional.id", transactional_id.as_str()));
        // A crashed instance's open transaction holds back read_committed
        // readers until it times out: keep that short.
        settings.push(("transaction.timeout.ms", "10000"));
    }
    let (events, _) = mpsc::unbounded_channel();
    config
        .kafka
        .client_config(&settings)
        .create_with_context(RuntimeContext {
            service: config.service,
            metrics,
            events,
            transaction: None,
        })
        .map_err(|e| Error::kafka("creating the producer", e))
}

/// Rebalance handling, statistics and logs for the runtime's clients.
pub(crate) struct RuntimeContext {
    pub(super) service: &'static str,
    pub(super) metrics: Arc<RuntimeMetrics>,
    pub(super) events: mpsc::UnboundedSender<PartitionEvent>,
    /// Under exactly-once: the open transaction, committed on a normal revoke.
    pub(super) transaction: Option<(
        Arc<Mutex<exactly_once::OpenTransaction>>,
        FutureProducer<RuntimeContext>,
    )>,
}

impl ClientContext for RuntimeContext {
    fn stats(&self, statistics: Statistics) {
        self.metrics.record_statistics(self.service, &statistics);
    }
}

impl ConsumerContext for RuntimeContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                self.metrics
                    .rebalances
                    .with_label_values(&[self.service, "assign"])
                    .inc();
                tracing::info!(service = self.service, partitions = ?partitions_of(list), "Partitions assigned.");
            }
            Rebalance::Revoke(list) => {
                self.metrics
                    .rebalances
                    .with_label_values(&[self.service, "revoke"])
                    .inc();
                if let Some((transaction, producer)) = &self.transaction {
                    // A normal revoke commits what was processed; a lost
                    // assignment (fenced generation) can only abort.
                    exactly_once::finish_on_revoke(
                        transaction,
                        producer,
                        consumer,
                        self.service,
                        &self.metrics,
                    );
                }
                tracing::info!(service = self.service, partitions = ?partitions_of(list), "Partitions revoked.");
                let _ = self
                    .events
                    .send(PartitionEvent::Revoked(partitions_of(list)));
            }
            Rebalance::Error(error) => {
                self.metrics
                    .rebalances
                    .with_label_values(&[self.service, "error"])
                    .inc();
                tracing::warn!(service = self.service, %error, "Rebalance error.");
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(list) = rebalance {
            let _ = self
                .events
                .send(PartitionEvent::Assigned(partitions_of(list)));
        }
        let assigned = consumer.assignment().map(|a| a.count()).unwrap_or(0);
        self.metrics
            .assigned_partitions
            .with_label_values(&[self.service])
            .set(assigned as i64);
    }
}

pub(super) fn partitions_of(list: &TopicPartitionList) -> Vec<(String, i32)> {
    list.elements()
        .iter()
        .map(|element| (element.topic().to_owned(), element.partition()))
        .collect()
}
