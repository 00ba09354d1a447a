//! The runtime's Kafka clients: the consumer and producer settings each
//! guarantee needs, the contexts that see rebalances, delivery reports,
//! statistics and logs, and the wait for the input topics.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{DeliveryResult, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Statistics, TopicPartitionList};
use tokio_util::sync::CancellationToken;

use crate::config::{Guarantee, RuntimeConfig};
use crate::metrics::RuntimeMetrics;
use crate::{Error, Result};

use super::batch::OpenBatch;
use super::state::Readiness;
use super::{transaction, PartitionEvent};

/// The runtime's producer: its own thread serves delivery reports, which
/// are counted in its [`DeliveryContext`], not awaited one by one.
pub(crate) type Producer = ThreadedProducer<DeliveryContext>;

/// The runtime's consumer, polled by the service's loop thread.
pub(crate) type InputConsumer = BaseConsumer<RuntimeContext>;

/// Waits until the cluster answers and every input topic exists: a
/// subscription to a missing topic would otherwise wait for librdkafka's
/// next periodic metadata refresh (minutes). Blocking; returns false if
/// shutdown came first.
pub(super) fn wait_for_topics(
    consumer: &InputConsumer,
    topics: &[&str],
    readiness: &Readiness,
    shutdown: &CancellationToken,
) -> Result<bool> {
    let mut backoff = Duration::from_millis(100);
    loop {
        // A wrong password or an untrusted certificate fails the start:
        // waiting would only hide it behind a readiness probe.
        if let Some(why) = readiness.refused() {
            return Err(Error::BrokerRefused(why));
        }
        match consumer.fetch_metadata(None, Duration::from_secs(2)) {
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
                    return Ok(true);
                }
                tracing::warn!(?missing, "Input topics not found yet; create them with `tickertape topics create`. Waiting.");
            }
            Err(error) => tracing::warn!(%error, "Kafka not reachable yet; retrying."),
        }
        if sleep_unless_cancelled(backoff, shutdown) {
            return Ok(false);
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Sleeps for `pause` on the calling thread, waking early when `shutdown`
/// is cancelled; returns whether it was.
pub(super) fn sleep_unless_cancelled(pause: Duration, shutdown: &CancellationToken) -> bool {
    let until = Instant::now() + pause;
    while !shutdown.is_cancelled() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(Duration::from_millis(20)));
    }
    true
}

/// What a consumer's fetches may queue in librdkafka: the service's input
/// consumer and the changelog restore consumer both take these.
pub(super) const FETCH_BOUNDS: [(&str, &str); 4] = [
    // Prefetch at most 16 MiB (librdkafka: 64): the loop drains a round
    // in milliseconds, so the rest only held memory.
    ("queued.max.messages.kbytes", "16384"),
    // That limit counts payload bytes, but a queued message costs
    // ~400 B more in librdkafka: 16 MiB of 120-byte ticks was ~140,000
    // messages and ~90 MiB of heap. A count per partition bounds small
    // messages too (librdkafka: 100,000); 20,000 took the prices
    // service's peak RSS from ~140 to ~105 MiB at the same drain rate.
    ("queued.min.messages", "20000"),
    // A fetch response is queued whole, whatever the limits above: at
    // librdkafka's 50 MiB, one response of lz4-compressed ticks became
    // ~240,000 queued messages, ~150 MiB of heap (heaptrack), most of
    // the service's peak RSS. With 2 MiB a response and the count
    // above, the prices service peaked at 104–111 MiB, not 175–215.
    ("fetch.max.bytes", "2097152"),
    // With smaller responses the queue limits are met more often, and a
    // partition over one waited librdkafka's 1 s before its next fetch:
    // the loop then ran dry. It drains the queue in milliseconds.
    ("fetch.queue.backoff.ms", "20"),
];

pub(super) fn create_consumer(
    config: &RuntimeConfig,
    context: RuntimeContext,
) -> Result<InputConsumer> {
    let client_id = format!("tickertape-{}-{}", config.service, config.instance_id);
    let exactly_once = config.guarantee == Guarantee::ExactlyOnce;
    let settings = [
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
        // Incremental rebalancing: partitions an instance keeps are never
        // paused while others move. A join takes range assignment instead:
        // the only assignor that puts partition n of every topic together.
        (
            "partition.assignment.strategy",
            if config.co_partitioned {
                "range"
            } else {
                "cooperative-sticky"
            },
        ),
    ];
    let settings = [&settings[..], &FETCH_BOUNDS[..]].concat();
    // No static membership (group.instance.id): after a broker outage
    // longer than the session timeout, librdkafka fenced the rejoining
    // static member as its own stale copy (FENCED_INSTANCE_ID, fatal for
    // the consumer), which then consumed nothing. Cooperative-sticky
    // assignment keeps a restart cheap without it.
    config
        .kafka
        .client_config(&settings)
        .create_with_context(context)
        .map_err(|e| Error::kafka("creating the consumer", e))
}

pub(super) fn create_producer(
    config: &RuntimeConfig,
    metrics: Arc<RuntimeMetrics>,
    readiness: Arc<Readiness>,
) -> Result<Producer> {
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
    let exactly_once = config.guarantee == Guarantee::ExactlyOnce;
    // Exactly-once: only failures are reported one by one (and rewind
    // their batch); a batch's success is its commit. That halves the
    // producer's CPU per record. At-least-once counts every record's
    // report against its batch, so that a batch's offsets are stored once
    // its records are in without the loop ever waiting for them.
    settings.push((
        "delivery.report.only.error",
        if exactly_once { "true" } else { "false" },
    ));
    if exactly_once {
        settings.push(("transactional.id", transactional_id.as_str()));
        // A crashed instance's open transaction holds back read_committed
        // readers until it times out: keep that short.
        settings.push(("transaction.timeout.ms", "10000"));
    }
    config
        .kafka
        .client_config(&settings)
        .create_with_context(DeliveryContext {
            log_limiter: LogLimiter::new(),
            service: config.service,
            metrics,
            readiness,
            reports: Mutex::new(Reports::default()),
        })
        .map_err(|e| Error::kafka("creating the producer", e))
}

/// A delivery report that failed: which batch and input its record came
/// from ([`delivery_opaque`]) and the producer's error.
#[derive(Debug)]
pub(crate) struct DeliveryFailure {
    pub generation: u32,
    /// The input's index in its batch; `None` for a changelog record.
    pub input: Option<usize>,
    pub topic: String,
    pub error: KafkaError,
}

/// The number a record carries to its delivery report: its batch's
/// generation and its input's index in the batch.
pub(crate) fn delivery_opaque(generation: u32, input: Option<usize>) -> usize {
    let index = input.map_or(u32::MAX, |i| i.min(u32::MAX as usize - 1) as u32);
    ((generation as usize) << 32) | index as usize
}

fn from_opaque(opaque: usize) -> (u32, Option<usize>) {
    let index = (opaque & 0xffff_ffff) as u32;
    (
        (opaque >> 32) as u32,
        (index != u32::MAX).then_some(index as usize),
    )
}

/// The producer's context: delivery reports are collected for the loop,
/// which rewinds a batch with a failed one; statistics and logs as the
/// consumer's.
pub(crate) struct DeliveryContext {
    service: &'static str,
    metrics: Arc<RuntimeMetrics>,
    /// Not ready while no broker answers (seen here even while the loop
    /// waits on a commit and does not poll the consumer).
    readiness: Arc<Readiness>,
    log_limiter: LogLimiter,
    reports: Mutex<Reports>,
}

/// What the delivery reports said, by batch generation.
#[derive(Debug, Default)]
struct Reports {
    failures: Vec<DeliveryFailure>,
    /// Records settled (acknowledged or failed) per generation. Success is
    /// reported only under at-least-once, so only there is it complete.
    settled: HashMap<u32, u64>,
}

impl DeliveryContext {
    /// The failed deliveries of batch `generation` reported since the last
    /// call. Those of generations from `oldest_live` on are kept for their
    /// own batches (still awaiting acknowledgement); those of older ones
    /// are dropped, no longer news.
    pub(crate) fn take_failures_of(
        &self,
        generation: u32,
        oldest_live: u32,
    ) -> Vec<DeliveryFailure> {
        let mut reports = lock(&self.reports);
        let (taken, kept) = std::mem::take(&mut reports.failures)
            .into_iter()
            .filter(|f| is_at_or_after(f.generation, oldest_live))
            .partition(|f| f.generation == generation);
        reports.failures = kept;
        taken
    }

    /// Whether a record of batch `generation` failed (and is not yet taken).
    pub(crate) fn has_failed(&self, generation: u32) -> bool {
        lock(&self.reports)
            .failures
            .iter()
            .any(|f| f.generation == generation)
    }

    /// How many records of batch `generation` are settled, acknowledged or
    /// failed (complete under at-least-once only).
    pub(crate) fn settled(&self, generation: u32) -> u64 {
        lock(&self.reports)
            .settled
            .get(&generation)
            .copied()
            .unwrap_or(0)
    }

    /// Forgets the counts of every generation before `oldest_live`.
    pub(crate) fn forget_before(&self, oldest_live: u32) {
        lock(&self.reports)
            .settled
            .retain(|generation, _| is_at_or_after(*generation, oldest_live));
    }
}

/// Whether generation `g` is `from` or later, generations wrapping around.
fn is_at_or_after(g: u32, from: u32) -> bool {
    g.wrapping_sub(from) < 1 << 31
}

impl ClientContext for DeliveryContext {
    fn stats(&self, statistics: Statistics) {
        self.metrics.record_statistics(self.service, &statistics);
    }

    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        log_line(&self.log_limiter, self.service, level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        client_error(
            &self.log_limiter,
            &self.readiness,
            self.service,
            error,
            reason,
        );
    }
}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, opaque: usize) {
        let (generation, input) = from_opaque(opaque);
        let mut reports = lock(&self.reports);
        *reports.settled.entry(generation).or_default() += 1;
        if let Err((error, message)) = result {
            reports.failures.push(DeliveryFailure {
                generation,
                input,
                topic: message.topic().to_owned(),
                error: error.clone(),
            });
        }
    }
}

/// Partition assignment changes, from the rebalance callback (which runs
/// inside the loop's own `poll`) to the loop. `pending` lets the loop see
/// at a glance that one came in while it was collecting a round.
#[derive(Debug, Default)]
pub(crate) struct PartitionEvents {
    queue: Mutex<Vec<PartitionEvent>>,
    pending: AtomicUsize,
}

impl PartitionEvents {
    fn push(&self, event: PartitionEvent) {
        lock(&self.queue).push(event);
        self.pending.fetch_add(1, Ordering::Release);
    }

    /// How many events were pushed so far (a generation number).
    pub(crate) fn pushed(&self) -> usize {
        self.pending.load(Ordering::Acquire)
    }

    pub(crate) fn take(&self) -> Vec<PartitionEvent> {
        std::mem::take(&mut *lock(&self.queue))
    }
}

/// What the consumer's rebalance callback needs to commit the open
/// transaction on a revoke (exactly-once).
pub(crate) struct RevokeCommit {
    pub batch: Arc<Mutex<OpenBatch>>,
    pub producer: Arc<Producer>,
    pub input_topics: Vec<String>,
    /// The changelog topic and the processor's pending state changes, for
    /// a stage with state.
    pub state_changes: Option<(String, StateChanges)>,
    /// Tells the processor its batch closed (committed on revoke).
    pub batch_closed: BatchClosed,
}

/// Takes the processor's pending state changes (it locks the processor).
pub(crate) type StateChanges = Box<dyn Fn() -> Vec<crate::processor::StateChange> + Send + Sync>;

/// Calls the processor's `batch_closed` (it locks the processor).
pub(crate) type BatchClosed = Box<dyn Fn(bool) + Send + Sync>;

/// Rebalance handling, statistics and logs for the runtime's consumer.
pub(crate) struct RuntimeContext {
    pub(super) service: &'static str,
    pub(super) metrics: Arc<RuntimeMetrics>,
    pub(super) events: Arc<PartitionEvents>,
    pub(super) readiness: Arc<Readiness>,
    /// Shared by the client's log and error callbacks.
    pub(super) log_limiter: LogLimiter,
    /// Under exactly-once: the open transaction, committed on a normal revoke.
    pub(super) revoke_commit: Option<RevokeCommit>,
}

impl ClientContext for RuntimeContext {
    fn stats(&self, statistics: Statistics) {
        self.metrics.record_statistics(self.service, &statistics);
        // Back to ready once a broker is up again (every 5 s at most).
        if statistics
            .brokers
            .values()
            .any(|b| b.nodeid >= 0 && b.state == "UP")
        {
            self.readiness.set_broker_lost(false);
        }
    }

    /// librdkafka's own lines: warnings and errors at WARN (the client
    /// retries; the runtime reports what stops it), rate-limited.
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        log_line(&self.log_limiter, self.service, level, facility, message);
    }

    /// librdkafka's client-wide errors (a broker away, a name that does not
    /// resolve: librdkafka names the broker in `reason`). The client keeps
    /// retrying, so WARN, at most a few a minute.
    fn error(&self, error: KafkaError, reason: &str) {
        client_error(
            &self.log_limiter,
            &self.readiness,
            self.service,
            error,
            reason,
        );
    }
}

/// Whether `error` says that no broker can be reached.
pub(super) fn is_all_brokers_down(error: &KafkaError) -> bool {
    error.rdkafka_error_code() == Some(rdkafka::types::RDKafkaErrorCode::AllBrokersDown)
}

/// A client-wide error of either client: not ready while no broker
/// answers; logged at WARN, rate-limited.
fn client_error(
    limiter: &LogLimiter,
    readiness: &Readiness,
    service: &'static str,
    error: KafkaError,
    reason: &str,
) {
    if is_all_brokers_down(&error) {
        readiness.set_broker_lost(true);
    }
    if crate::admin::is_security_refusal(&error) {
        readiness.set_refused(reason.to_owned());
    }
    if let Some(suppressed) = limiter.admit(Instant::now()) {
        tracing::warn!(service, %error, suppressed, "Kafka client: {reason}");
    }
}

pub(super) fn log_line(
    limiter: &LogLimiter,
    service: &'static str,
    level: RDKafkaLogLevel,
    facility: &str,
    message: &str,
) {
    let Some(suppressed) = limiter.admit(Instant::now()) else {
        return;
    };
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

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
                if let Some(revoke) = &self.revoke_commit {
                    // A normal revoke commits what was processed (every
                    // processed input's state changes are already in the
                    // transaction); a lost assignment can only abort.
                    transaction::finish_on_revoke(revoke, consumer, self.service, &self.metrics);
                }
                tracing::info!(service = self.service, partitions = ?partitions_of(list), "Partitions revoked.");
                self.events
                    .push(PartitionEvent::Revoked(partitions_of(list)));
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
            self.events
                .push(PartitionEvent::Assigned(partitions_of(list)));
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
    fn a_delivery_report_names_its_batch_and_input() {
        assert_eq!(from_opaque(delivery_opaque(7, Some(12))), (7, Some(12)));
        assert_eq!(
            from_opaque(delivery_opaque(u32::MAX, None)),
            (u32::MAX, None)
        );
        assert_eq!(from_opaque(delivery_opaque(0, Some(0))), (0, Some(0)));
    }

    #[test]
    fn generations_compare_across_the_wrap() {
        assert!(is_at_or_after(5, 5));
        assert!(is_at_or_after(6, 5));
        assert!(!is_at_or_after(4, 5));
        assert!(is_at_or_after(1, u32::MAX), "1 comes after the wrap");
        assert!(!is_at_or_after(u32::MAX, 1));
    }

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
