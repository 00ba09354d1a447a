//! Handing records to the producer: back-pressure when its queue is full,
//! changelog records for state changes, and consumer errors.

use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};

use crate::metrics::RuntimeMetrics;
use crate::processor::{Record, StateChange};
use crate::Result;

use super::RuntimeContext;

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
            value: Some(value.as_slice()),
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
            key: Some(change.key.into_bytes()),
            headers: Vec::new(),
            value: change.value.unwrap_or_default(),
            event_time: None,
        })
        .collect()
}
