//! One input message through the processor: its [`Input`], the records it
//! caused or its dead letter, and what happens when the producer refuses
//! one of them.

use std::time::Instant;

use chrono::{DateTime, Utc};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::producer::{DeliveryFuture, FutureProducer};

use crate::config::RuntimeConfig;
use crate::metrics::RuntimeMetrics;
use crate::processor::{dead_letter, Input, Outcome, Processor, Record, Rejection};
use crate::{Error, Result};

use super::{enqueue, RuntimeContext};

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
    let seconds = started.elapsed().as_secs_f64();
    metrics
        .processing_seconds
        .with_label_values(&[input.topic])
        .observe(seconds);
    let longest = metrics
        .processing_max_seconds
        .with_label_values(&[input.topic]);
    if seconds > longest.get() {
        longest.set(seconds);
    }
    let records = match outcome {
        Outcome::Publish(records) => match oversized(&records, config.max_output_bytes) {
            None => records,
            Some(rejection) => vec![reject(&input, &rejection, config, metrics)],
        },
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

/// The rejection for an input one of whose records is larger than the
/// producer takes: checked before any is sent, so that no input is half
/// published (its strip ticks out, its article refused).
fn oversized(records: &[Record], max_output_bytes: usize) -> Option<Rejection> {
    let record = records
        .iter()
        .find(|record| record.encoded_len() > max_output_bytes)?;
    Some(Rejection::new(
        "output_too_large",
        format!(
            "its record for {} would be {} bytes; the limit is {max_output_bytes}",
            record.topic,
            record.encoded_len()
        ),
    ))
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

/// Enqueues `record`, one of the records `message` caused; if the producer
/// refuses it outright (too large, an unknown topic), enqueues the input's
/// dead letter instead: its original key, bytes and headers, reason
/// `output_rejected`. Better than stopping the service on one input.
///
/// Fails when the dead letter cannot be enqueued either.
pub(crate) async fn send_or_dead_letter(
    producer: &FutureProducer<RuntimeContext>,
    message: &BorrowedMessage<'_>,
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
            let rejection = Rejection::new(
                "output_rejected",
                format!(
                    "record for {} not accepted by the producer: {error}",
                    record.topic
                ),
            );
            let letter = reject(&input_of(message), &rejection, config, metrics);
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

pub(super) fn input_of<'a>(message: &'a BorrowedMessage<'a>) -> Input<'a> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_with_one_oversized_record_is_refused_whole() {
        let small = Record::json("ticks.raw", "BP", vec![b'x'; 100]);
        let large = Record::json("articles.parsed", "a1", vec![b'x'; 2_000]);
        assert!(oversized(&[small.clone(), small.clone()], 1_000).is_none());
        let rejection = oversized(&[small.clone(), large, small], 1_000).unwrap();
        assert_eq!(rejection.reason, "output_too_large");
        assert!(
            rejection.detail.contains("articles.parsed"),
            "{}",
            rejection.detail
        );
        // Key and headers count too.
        let keyed = Record::json("t", "k".repeat(990), vec![]);
        assert!(oversized(&[keyed], 1_000).is_some());
    }
}
