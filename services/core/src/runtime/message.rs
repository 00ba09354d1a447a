//! One input message through the processor: its [`Input`], the records it
//! caused or its dead letter. A processor that panics on an input
//! dead-letters that input; the service goes on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use chrono::{DateTime, Utc};
use prometheus::{Gauge, Histogram, IntCounter};
use rdkafka::message::{BorrowedMessage, Headers, Message};

use crate::config::RuntimeConfig;
use crate::metrics::RuntimeMetrics;
use crate::processor::{
    dead_letter, dead_letter_parts, Input, Outcome, Processor, Record, Rejection,
};

use super::batch::Verdict;

/// What one input became, ready to send.
pub(crate) struct Processed {
    pub records: Vec<Record>,
    /// The reason, when the records are the input's dead letter.
    pub dead_letter: Option<&'static str>,
}

/// The labelled series an input touches, looked up once per topic rather
/// than once per input: a lookup hashes its labels under a lock, and four
/// of them per tick were 8% of the prices loop's time.
pub(crate) struct TopicMetrics<'a> {
    metrics: &'a RuntimeMetrics,
    /// By the input topic's index in the runtime's input topics.
    inputs: Vec<InputTopicMetrics>,
    /// Event age by output topic, added as topics are first written to.
    event_age: Vec<(String, Histogram)>,
}

struct InputTopicMetrics {
    consumed: IntCounter,
    processing_seconds: Histogram,
    processing_max_seconds: Gauge,
}

impl<'a> TopicMetrics<'a> {
    pub fn new(metrics: &'a RuntimeMetrics, input_topics: &[String]) -> Self {
        let inputs = input_topics
            .iter()
            .map(|topic| InputTopicMetrics {
                consumed: metrics.consumed.with_label_values(&[topic]),
                processing_seconds: metrics.processing_seconds.with_label_values(&[topic]),
                processing_max_seconds: metrics.processing_max_seconds.with_label_values(&[topic]),
            })
            .collect();
        TopicMetrics {
            metrics,
            inputs,
            event_age: Vec::new(),
        }
    }

    fn event_age(&mut self, topic: &str) -> &Histogram {
        let index = match self.event_age.iter().position(|(t, _)| t == topic) {
            Some(index) => index,
            None => {
                let series = self.metrics.event_age_seconds.with_label_values(&[topic]);
                self.event_age.push((topic.to_owned(), series));
                self.event_age.len() - 1
            }
        };
        &self.event_age[index].1
    }
}

/// Runs the processor on one message of input topic `topic` (an index
/// into the runtime's input topics), received at `received_at` (unless
/// `verdict` says its outputs failed for good), and turns a rejection into
/// its dead letter.
pub(crate) fn process_message<P: Processor>(
    message: &BorrowedMessage<'_>,
    topic: usize,
    received_at: DateTime<Utc>,
    processor: &mut P,
    verdict: Verdict,
    config: &RuntimeConfig,
    metrics: &mut TopicMetrics<'_>,
) -> Processed {
    let input = input_of(message, processor.reads_headers(), received_at);
    let series = &metrics.inputs[topic];
    series.consumed.inc();
    if let Verdict::DeadLetter {
        reason,
        detail,
        attempts,
    } = verdict
    {
        let rejection = Rejection::new(reason, detail).after_attempts(attempts);
        return rejected(message, &rejection, config);
    }
    let started = Instant::now();
    let outcome =
        catch_unwind(AssertUnwindSafe(|| processor.process(&input))).unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Outcome::Reject(Rejection::new(
                "processor_panic",
                format!("the processor failed on this input: {what}"),
            ))
        });
    let seconds = started.elapsed().as_secs_f64();
    series.processing_seconds.observe(seconds);
    if seconds > series.processing_max_seconds.get() {
        series.processing_max_seconds.set(seconds);
    }
    let processed = match outcome {
        Outcome::Publish(records) => match oversized(&records, config.max_output_bytes) {
            None => Processed {
                records,
                dead_letter: None,
            },
            Some(rejection) => rejected(message, &rejection, config),
        },
        Outcome::Reject(rejection) => rejected(message, &rejection, config),
    };
    for record in &processed.records {
        if let Some(event_time) = record.event_time {
            let age = (input.received_at - event_time).num_milliseconds().max(0) as f64 / 1000.0;
            metrics.event_age(&record.topic).observe(age);
        }
    }
    processed
}

/// What a rejected `message` becomes: its dead letter.
fn rejected(
    message: &BorrowedMessage<'_>,
    rejection: &Rejection,
    config: &RuntimeConfig,
) -> Processed {
    Processed {
        records: letter_for(message, rejection, config),
        dead_letter: Some(rejection.reason),
    }
}

/// The dead letter of `message`, headers included, logged: one record, or
/// parts when it is larger than an output may be. Counted (once) when its
/// batch commits, so that the count equals what is on the dead-letter
/// topic.
pub(crate) fn letter_for(
    message: &BorrowedMessage<'_>,
    rejection: &Rejection,
    config: &RuntimeConfig,
) -> Vec<Record> {
    let input = input_of(message, true, Utc::now());
    tracing::warn!(
        topic = input.topic,
        partition = input.partition,
        offset = input.offset,
        reason = rejection.reason,
        attempts = rejection.attempts,
        detail = %rejection.detail,
        "Input dead-lettered."
    );
    dead_letter_parts(
        dead_letter(&input, rejection, &config.dead_letter_topic),
        config.max_output_bytes,
    )
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

/// The processor's view of `message`; its headers parsed only if asked for.
fn input_of<'a>(
    message: &'a BorrowedMessage<'a>,
    with_headers: bool,
    received_at: DateTime<Utc>,
) -> Input<'a> {
    let headers = with_headers
        .then(|| message.headers())
        .flatten()
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
        received_at,
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
