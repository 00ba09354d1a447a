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

pub mod at_least_once;
pub mod changelog;
pub mod exactly_once;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use rdkafka::{ClientContext, Statistics, TopicPartitionList};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::{Guarantee, RuntimeConfig};
use crate::http::ReadyFlag;
use crate::metrics::RuntimeMetrics;
use crate::processor::{dead_letter, Input, Outcome, Processor, Record, Rejection, StateChange};
use crate::{Error, Result};

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
    let (events, rebalances) = mpsc::unbounded_channel();
    let transaction = Arc::new(Mutex::new(exactly_once::OpenTransaction::default()));
    let producer = create_producer(&config, metrics.clone())?;
    let context = RuntimeContext {
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

/// A partition assignment change, sent from the rebalance callback to the loop.
#[derive(Debug)]
pub(crate) enum PartitionEvent {
    Assigned(Vec<(String, i32)>),
    Revoked(Vec<(String, i32)>),
}

/// Applies assignment changes to the processor's state: restores assigned
/// partitions from the changelog, drops revoked ones. Readiness follows.
pub(crate) struct StateKeeper {
    store: Option<changelog::Store>,
    rebalances: mpsc::UnboundedReceiver<PartitionEvent>,
    ready: ReadyFlag,
    metrics: Arc<RuntimeMetrics>,
    service: &'static str,
    first_assignment_seen: bool,
}

impl StateKeeper {
    /// Handles every pending assignment change. Called before each input is
    /// processed, so that no message of a partition is processed before its
    /// state is restored.
    pub(crate) async fn catch_up<P: Processor>(&mut self, processor: &mut P) -> Result<()> {
        while let Ok(event) = self.rebalances.try_recv() {
            self.apply(event, processor).await?;
        }
        Ok(())
    }

    async fn apply<P: Processor>(
        &mut self,
        event: PartitionEvent,
        processor: &mut P,
    ) -> Result<()> {
        match event {
            PartitionEvent::Revoked(partitions) => {
                for (_, partition) in partitions {
                    processor.release(partition);
                }
            }
            PartitionEvent::Assigned(partitions) => {
                self.first_assignment_seen = true;
                if let Some(store) = &self.store {
                    self.ready.set(false);
                    let started = Instant::now();
                    let mut restored = store
                        .read(partitions.iter().map(|(_, p)| *p).collect())
                        .await?;
                    for (_, partition) in &partitions {
                        let entries = restored.remove(partition).unwrap_or_default();
                        let count = entries.len();
                        processor.restore(*partition, entries).map_err(|source| {
                            Error::Restore {
                                changelog: store.topic().to_owned(),
                                partition: *partition,
                                source,
                            }
                        })?;
                        tracing::info!(
                            service = self.service,
                            partition,
                            entries = count,
                            "State restored."
                        );
                    }
                    self.metrics
                        .restore_seconds
                        .with_label_values(&[self.service])
                        .observe(started.elapsed().as_secs_f64());
                }
            }
        }
        self.metrics
            .state_entries
            .with_label_values(&[self.service])
            .set(processor.state_entries() as i64);
        self.ready.set(self.first_assignment_seen);
        Ok(())
    }

    /// The changelog topic, when the processor has state.
    pub(crate) fn changelog_topic(&self) -> Option<&str> {
        self.store.as_ref().map(changelog::Store::topic)
    }

    pub(crate) fn ready(&self) -> &ReadyFlag {
        &self.ready
    }
}

/// What one input became, ready to send.
pub(crate) struct Processed {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub records: Vec<Record>,
}

/// Runs the processor on one message and turns a rejection into its dead letter.
pub(crate) fn process_message<P: Processor>(
    message: &BorrowedMessage<'_>,
    processor: &mut P,
    config: &RuntimeConfig,
    metrics: &RuntimeMetrics,
) -> Processed {
    let input = input_of(message);
    metrics.consumed.with_label_values(&[input.topic]).inc();
    let started = Instant::now();
    let outcome = processor.process(&input);
    metrics
        .processing_seconds
        .with_label_values(&[input.topic])
        .observe(started.elapsed().as_secs_f64());
    let records = match outcome {
        Outcome::Publish(records) => records,
        Outcome::Reject(rejection) => vec![reject(&input, &rejection, config, metrics)],
    };
    for record in &records {
        if let Some(event_time) = record.event_time {
            let age = (input.received_at - event_time).num_milliseconds().max(0) as f64 / 1000.0;
            metrics
                .event_age_seconds
                .with_label_values(&[&record.topic])
                .observe(age);
        }
    }
    metrics
        .state_entries
        .with_label_values(&[config.service])
        .set(processor.state_entries() as i64);
    Processed {
        topic: input.topic.to_owned(),
        partition: input.partition,
        offset: input.offset,
        records,
    }
}

pub(crate) fn reject(
    input: &Input<'_>,
    rejection: &Rejection,
    config: &RuntimeConfig,
    metrics: &RuntimeMetrics,
) -> Record {
    metrics
        .dead_letters
        .with_label_values(&[input.topic, rejection.reason])
        .inc();
    tracing::warn!(
        topic = input.topic,
        partition = input.partition,
        offset = input.offset,
        reason = rejection.reason,
        detail = %rejection.detail,
        "Input dead-lettered."
    );
    dead_letter(input, rejection, &config.dead_letter_topic)
}

/// What [`send_or_dead_letter`] wrote.
pub(crate) struct Sent {
    /// The topic written to.
    pub topic: String,
    /// Its acknowledgement.
    pub delivery: DeliveryFuture,
    /// True when the producer refused the record and the input's dead letter
    /// was written instead.
    pub refused: bool,
}

/// Enqueues `record`, one of the records `processed` caused; if the producer
/// refuses it outright, enqueues the input's dead letter instead.
///
/// Fails when the dead letter cannot be enqueued either.
pub(crate) async fn send_or_dead_letter(
    producer: &FutureProducer<RuntimeContext>,
    processed: &Processed,
    record: &Record,
    config: &RuntimeConfig,
    metrics: &RuntimeMetrics,
) -> Result<Sent> {
    match enqueue(producer, record).await {
        Ok(delivery) => Ok(Sent {
            topic: record.topic.clone(),
            delivery,
            refused: false,
        }),
        Err(error) => {
            let letter = refused(processed, record, &error, config, metrics);
            let delivery = enqueue(producer, &letter)
                .await
                .map_err(|source| Error::Delivery {
                    topic: letter.topic.clone(),
                    source,
                })?;
            Ok(Sent {
                topic: letter.topic,
                delivery,
                refused: true,
            })
        }
    }
}

/// The dead letter for an input whose record the producer refused outright
/// (too large, unknown topic): better than stopping the service.
fn refused(
    processed: &Processed,
    record: &Record,
    error: &KafkaError,
    config: &RuntimeConfig,
    metrics: &RuntimeMetrics,
) -> Record {
    metrics
        .dead_letters
        .with_label_values(&[&processed.topic, "output_rejected"])
        .inc();
    tracing::warn!(topic = %processed.topic, partition = processed.partition, offset = processed.offset, %error, "Output refused by the producer; input dead-lettered.");
    Record {
        topic: config.dead_letter_topic.clone(),
        partition: None,
        key: None,
        headers: vec![
            ("tickertape.reason".into(), "output_rejected".into()),
            (
                "tickertape.detail".into(),
                format!(
                    "record for {} not accepted by the producer: {error}",
                    record.topic
                ),
            ),
            ("tickertape.source.topic".into(), processed.topic.clone()),
            (
                "tickertape.source.partition".into(),
                processed.partition.to_string(),
            ),
            (
                "tickertape.source.offset".into(),
                processed.offset.to_string(),
            ),
        ],
        value: Vec::new(),
        event_time: None,
    }
}

fn input_of<'a>(message: &'a BorrowedMessage<'a>) -> Input<'a> {
    let headers = message
        .headers()
        .map(|headers| {
            headers
                .iter()
                .map(|header| (header.key, header.value.unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    Input {
        topic: message.topic(),
        partition: message.partition(),
        offset: message.offset(),
        key: message.key(),
        payload: message.payload().unwrap_or_default(),
        headers,
        timestamp: message
            .timestamp()
            .to_millis()
            .and_then(DateTime::from_timestamp_millis),
        received_at: Utc::now(),
    }
}

/// Hands one record to the producer. Waits while the local queue is full
/// (the producer's own thread drains it), so back-pressure reaches the
/// consumer instead of failing.
pub(crate) async fn enqueue(
    producer: &FutureProducer<RuntimeContext>,
    record: &Record,
) -> Result<DeliveryFuture, KafkaError> {
    let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
    for (key, value) in &record.headers {
        headers = headers.insert(Header {
            key,
            value: Some(value.as_bytes()),
        });
    }
    loop {
        let mut future_record = FutureRecord::to(&record.topic)
            .payload(&record.value)
            .headers(headers.clone());
        if let Some(key) = &record.key {
            future_record = future_record.key(key);
        }
        if let Some(partition) = record.partition {
            future_record = future_record.partition(partition);
        }
        match producer.send_result(future_record) {
            Ok(delivery) => return Ok(delivery),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err((error, _)) => return Err(error),
        }
    }
}

/// Counts and logs an error the consumer reported, then pauses briefly so
/// that a persistent one (the broker away) does not spin.
pub(crate) async fn consumer_error(
    service: &'static str,
    metrics: &RuntimeMetrics,
    error: KafkaError,
) {
    metrics.consume_errors.with_label_values(&[service]).inc();
    tracing::warn!(service, %error, "Consumer error; retrying.");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// The changelog records for a set of state changes.
pub(crate) fn changelog_records(
    topic: &str,
    changes: impl IntoIterator<Item = StateChange>,
) -> Vec<Record> {
    changes
        .into_iter()
        .map(|change| Record {
            topic: topic.to_owned(),
            partition: Some(change.partition),
            key: Some(change.key),
            headers: Vec::new(),
            value: change.value.unwrap_or_default(),
            event_time: None,
        })
        .collect()
}

/// Waits until the cluster answers and every input topic exists: a
/// subscription to a missing topic would otherwise wait for librdkafka's
/// next periodic metadata refresh (minutes). Returns false if shutdown came first.
async fn wait_for_topics(
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

fn create_consumer(
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

fn create_producer(
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
    service: &'static str,
    metrics: Arc<RuntimeMetrics>,
    events: mpsc::UnboundedSender<PartitionEvent>,
    /// Under exactly-once: the open transaction, committed on a normal revoke.
    transaction: Option<(
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

fn partitions_of(list: &TopicPartitionList) -> Vec<(String, i32)> {
    list.elements()
        .iter()
        .map(|element| (element.topic().to_owned(), element.partition()))
        .collect()
}
