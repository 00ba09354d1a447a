//! The runtime's Kafka clients: the consumer and producer settings each
//! guarantee needs, the context that sees rebalances and statistics, and
//! the wait for the input topics.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::error::KafkaError;
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
            log_limiter: LogLimiter::new(),
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
    /// Shared by the client's log and error callbacks.
    pub(super) log_limiter: LogLimiter,
    pub(super) transaction: Option<(
        Arc<Mutex<exactly_once::OpenTransaction>>,
        FutureProducer<RuntimeContext>,
    )>,
}

impl ClientContext for RuntimeContext {
    fn stats(&self, statistics: Statistics) {
        self.metrics.record_statistics(self.service, &statistics);
    }

    /// librdkafka's own lines: warnings and errors at WARN (the client
    /// retries; the runtime reports what stops it), rate-limited.
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        let Some(suppressed) = self.log_limiter.admit(Instant::now()) else {
            return;
        };
        let service = self.service;
        match level {
            RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical => {
                tracing::error!(service, facility, suppressed, "librdkafka: {message}")
            }
            RDKafkaLogLevel::Error | RDKafkaLogLevel::Warning => {
                tracing::warn!(service, facility, suppressed, "librdkafka: {message}")
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(service, facility, suppressed, "librdkafka: {message}")
            }
            RDKafkaLogLevel::Debug => {
                tracing::debug!(service, facility, suppressed, "librdkafka: {message}")
            }
        }
    }

    /// librdkafka's client-wide errors (a broker away, a name that does not
    /// resolve: librdkafka names the broker in `reason`). The client keeps
    /// retrying, so WARN, at most a few a minute.
    fn error(&self, error: KafkaError, reason: &str) {
        if let Some(suppressed) = self.log_limiter.admit(Instant::now()) {
            tracing::warn!(service = self.service, %error, suppressed, "Kafka client: {reason}");
        }
    }
}

/// Lets through at most [`LogLimiter::PER_WINDOW`] lines each
/// [`LogLimiter::WINDOW`]: against a broker that is away, librdkafka
/// reports the same failure many times a second (780 lines in 30 s seen).
#[derive(Debug)]
pub(crate) struct LogLimiter {
    /// When the current window began, lines let through in it, lines held back.
    state: Mutex<(Option<Instant>, u32, u64)>,
}

impl LogLimiter {
    const WINDOW: Duration = Duration::from_secs(10);
    const PER_WINDOW: u32 = 5;

    pub(crate) fn new() -> Self {
        LogLimiter {
            state: Mutex::new((None, 0, 0)),
        }
    }

    /// Whether a line at `now` may be logged: `Some(n)` with the number of
    /// lines held back before it, or None to drop it.
    pub(crate) fn admit(&self, now: Instant) -> Option<u64> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (started, let_through, held_back) = &mut *state;
        if started.is_none_or(|started| now.duration_since(started) >= Self::WINDOW) {
            *started = Some(now);
            *let_through = 0;
        }
        if *let_through >= Self::PER_WINDOW {
            *held_back += 1;
            return None;
        }
        *let_through += 1;
        Some(std::mem::take(held_back))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_limiter_lets_a_few_lines_through_each_window_and_counts_the_rest() {
        let limiter = LogLimiter::new();
        let start = Instant::now();
        for _ in 0..LogLimiter::PER_WINDOW {
            assert_eq!(limiter.admit(start), Some(0));
        }
        for _ in 0..100 {
            assert_eq!(limiter.admit(start + Duration::from_secs(1)), None);
        }
        assert_eq!(
            limiter.admit(start + LogLimiter::WINDOW),
            Some(100),
            "the next window's first line says how many were held back"
        );
        assert_eq!(limiter.admit(start + LogLimiter::WINDOW), Some(0));
    }
}
