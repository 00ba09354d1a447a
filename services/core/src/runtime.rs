//! The consume → process → produce loop, at-least-once.
//!
//! Where a message enters: [`run`] reads it from the input topics. Where it is
//! decided: the service's [`Processor`]. Where it leaves: every record the
//! processor returned (or the dead letter) is handed to an idempotent
//! producer, and only when the broker has acknowledged all of them is the
//! input's offset stored for the next commit. A crash therefore re-reads
//! what it had not finished: nothing is lost; duplicates are possible.
//!
//! Acknowledgements are awaited in input order while new inputs keep flowing,
//! bounded by `max_in_flight`, so a slow broker costs latency, not correctness.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::stream::{FuturesOrdered, StreamExt};
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use rdkafka::{ClientContext, TopicPartitionList};
use tokio_util::sync::CancellationToken;

use crate::config::RuntimeConfig;
use crate::http::ReadyFlag;
use crate::metrics::RuntimeMetrics;
use crate::processor::{dead_letter, Input, Outcome, Processor, Record, Rejection};
use crate::{Error, Result};

/// Runs `processor` over the configured input topics until `shutdown` is
/// cancelled, then drains in-flight records within the configured bound and
/// commits what was acknowledged.
///
/// Fails when a Kafka client cannot be created, the subscription fails, or a
/// record is not acknowledged by the broker (its input is then re-read by
/// whoever consumes the partition next).
pub async fn run<P: Processor>(
    config: RuntimeConfig,
    mut processor: P,
    metrics: Arc<RuntimeMetrics>,
    ready: ReadyFlag,
    shutdown: CancellationToken,
) -> Result<()> {
    let service = config.service;
    let consumer = create_consumer(&config, metrics.clone())?;
    let producer = create_producer(&config)?;

    let topics: Vec<&str> = config.input_topics.iter().map(String::as_str).collect();
    if !wait_for_topics(&consumer, &topics, &shutdown).await {
        return Ok(());
    }
    consumer
        .subscribe(&topics)
        .map_err(|e| Error::kafka(format!("subscribing to {topics:?}"), e))?;
    ready.set(true);
    tracing::info!(service, group = %config.group_id, ?topics, "Consuming.");

    let in_flight_gauge = metrics.in_flight.with_label_values(&[service]);
    let mut in_flight = FuturesOrdered::new();
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            Some(acknowledged) = in_flight.next() => {
                store_offset(&consumer, acknowledged?);
                in_flight_gauge.set(in_flight.len() as i64);
            }
            message = consumer.recv(), if in_flight.len() < config.max_in_flight => {
                let message = match message {
                    Ok(message) => message,
                    Err(error) => {
                        metrics.consume_errors.with_label_values(&[service]).inc();
                        tracing::warn!(service, %error, "Consumer error; retrying.");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let pending = handle(&message, &mut processor, &producer, &config, &metrics).await?;
                in_flight.push_back(pending.acknowledged(metrics.clone()));
                in_flight_gauge.set(in_flight.len() as i64);
            }
        }
    }

    ready.set(false);
    tracing::info!(service, in_flight = in_flight.len(), "Draining.");
    let drained = tokio::time::timeout(config.drain_timeout, async {
        while let Some(acknowledged) = in_flight.next().await {
            store_offset(&consumer, acknowledged?);
        }
        Ok::<_, Error>(())
    })
    .await;
    match drained {
        Ok(result) => result?,
        Err(_) => tracing::warn!(
            service,
            left = in_flight.len(),
            "Drain bound reached; unacknowledged inputs will be re-read after restart."
        ),
    }
    if let Err(error) = consumer.commit_consumer_state(CommitMode::Sync) {
        // Nothing stored since the last auto-commit is the usual cause.
        tracing::debug!(service, %error, "Final commit skipped.");
    }
    consumer.unsubscribe();
    tracing::info!(service, "Stopped.");
    Ok(())
}

/// An input whose records have been handed to the producer.
struct Pending {
    topic: String,
    partition: i32,
    offset: i64,
    deliveries: Vec<(String, DeliveryFuture)>,
}

/// Where an acknowledged input sits, so its offset can be stored.
struct Acknowledged {
    topic: String,
    partition: i32,
    offset: i64,
}

impl Pending {
    async fn acknowledged(self, metrics: Arc<RuntimeMetrics>) -> Result<Acknowledged> {
        for (topic, delivery) in self.deliveries {
            let outcome = delivery.await.map_err(|_| Error::Delivery {
                topic: topic.clone(),
                source: KafkaError::Canceled,
            })?;
            if let Err((source, _)) = outcome {
                return Err(Error::Delivery { topic, source });
            }
            metrics.produced.with_label_values(&[&topic]).inc();
        }
        Ok(Acknowledged {
            topic: self.topic,
            partition: self.partition,
            offset: self.offset,
        })
    }
}

async fn handle<P: Processor>(
    message: &BorrowedMessage<'_>,
    processor: &mut P,
    producer: &FutureProducer,
    config: &RuntimeConfig,
    metrics: &RuntimeMetrics,
) -> Result<Pending> {
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
    let mut deliveries = Vec::with_capacity(records.len());
    for record in &records {
        match enqueue(producer, record).await {
            Ok(delivery) => deliveries.push((record.topic.clone(), delivery)),
            Err(error) => {
                // The broker would never take this record (too large, unknown
                // topic): dead-letter the input rather than stop the service.
                let rejection = Rejection::new(
                    "output_rejected",
                    format!(
                        "record for {} not accepted by the producer: {error}",
                        record.topic
                    ),
                );
                let letter = reject(&input, &rejection, config, metrics);
                let delivery =
                    enqueue(producer, &letter)
                        .await
                        .map_err(|source| Error::Delivery {
                            topic: letter.topic.clone(),
                            source,
                        })?;
                deliveries.push((letter.topic, delivery));
                break;
            }
        }
    }
    Ok(Pending {
        topic: input.topic.to_owned(),
        partition: input.partition,
        offset: input.offset,
        deliveries,
    })
}

fn reject(
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
async fn enqueue(producer: &FutureProducer, record: &Record) -> Result<DeliveryFuture, KafkaError> {
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
        match producer.send_result(future_record) {
            Ok(delivery) => return Ok(delivery),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err((error, _)) => return Err(error),
        }
    }
}

fn store_offset(consumer: &StreamConsumer<RuntimeContext>, acknowledged: Acknowledged) {
    // librdkafka stores offset + 1, the next one to read.
    if let Err(error) = consumer.store_offset(
        &acknowledged.topic,
        acknowledged.partition,
        acknowledged.offset,
    ) {
        // The partition was revoked while its records were in flight: the new
        // owner re-reads from the last commit (at-least-once).
        tracing::debug!(
            topic = %acknowledged.topic,
            partition = acknowledged.partition,
            offset = acknowledged.offset,
            %error,
            "Offset not stored; partition no longer assigned."
        );
    }
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
    metrics: Arc<RuntimeMetrics>,
) -> Result<StreamConsumer<RuntimeContext>> {
    let client_id = format!("tickertape-{}", config.service);
    config
        .kafka
        .client_config(&[
            ("group.id", &config.group_id),
            ("client.id", &client_id),
            ("enable.auto.commit", "true"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", "earliest"),
            ("enable.partition.eof", "false"),
        ])
        .create_with_context(RuntimeContext {
            service: config.service,
            metrics,
            assigned: Default::default(),
        })
        .map_err(|e| Error::kafka("creating the consumer", e))
}

fn create_producer(config: &RuntimeConfig) -> Result<FutureProducer> {
    let client_id = format!("tickertape-{}", config.service);
    config
        .kafka
        .client_config(&[
            ("client.id", &client_id),
            // Retries never reorder or duplicate within a partition.
            ("enable.idempotence", "true"),
            ("linger.ms", "5"),
            ("compression.type", "lz4"),
        ])
        .create()
        .map_err(|e| Error::kafka("creating the producer", e))
}

/// Counts rebalances and tracks the assignment for metrics and logs.
struct RuntimeContext {
    service: &'static str,
    metrics: Arc<RuntimeMetrics>,
    assigned: std::sync::Mutex<VecDeque<(String, i32)>>,
}

impl ClientContext for RuntimeContext {}

impl ConsumerContext for RuntimeContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let (kind, partitions) = match rebalance {
            Rebalance::Assign(list) => ("assign", partitions_of(list)),
            Rebalance::Revoke(list) => ("revoke", partitions_of(list)),
            Rebalance::Error(error) => {
                tracing::warn!(service = self.service, %error, "Rebalance error.");
                ("error", Vec::new())
            }
        };
        self.metrics
            .rebalances
            .with_label_values(&[self.service, kind])
            .inc();
        let mut assigned = self.assigned.lock().unwrap_or_else(|p| p.into_inner());
        match kind {
            "assign" => assigned.extend(partitions.iter().cloned()),
            "revoke" => assigned.retain(|p| !partitions.contains(p)),
            _ => {}
        }
        self.metrics
            .assigned_partitions
            .with_label_values(&[self.service])
            .set(assigned.len() as i64);
        tracing::info!(service = self.service, kind, ?partitions, "Rebalance.");
    }
}

fn partitions_of(list: &TopicPartitionList) -> Vec<(String, i32)> {
    list.elements()
        .iter()
        .map(|element| (element.topic().to_owned(), element.partition()))
        .collect()
}
