//! Handing records to the producer: back-pressure when its queue is full,
//! and changelog records for state changes.

use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::BaseRecord;

use crate::processor::{Record, StateChange};

use super::batch::OpenBatch;
use super::clients::{delivery_opaque, Producer};

/// How long a full producer queue may hold a record back before the batch
/// is given up (and rewound): the broker is not taking records.
const QUEUE_FULL_LIMIT: Duration = Duration::from_secs(30);

/// Hands one record to the producer, tagged with `opaque` for its delivery
/// report. Waits while the local queue is full (the producer's own thread
/// drains it), so back-pressure reaches the consumer instead of failing.
///
/// Fails when the producer refuses the record (too large, an unknown
/// topic) or its queue stays full for [`QUEUE_FULL_LIMIT`].
pub(crate) fn enqueue(
    producer: &Producer,
    record: &Record,
    opaque: usize,
) -> Result<(), KafkaError> {
    let mut headers = None;
    if !record.headers.is_empty() {
        let mut owned = OwnedHeaders::new_with_capacity(record.headers.len());
        for (key, value) in &record.headers {
            owned = owned.insert(Header {
                key,
                value: Some(value.as_slice()),
            });
        }
        headers = Some(owned);
    }
    let mut base = BaseRecord::with_opaque_to(&record.topic, opaque).payload(&record.value);
    if let Some(key) = &record.key {
        base = base.key(key);
    }
    if let Some(partition) = record.partition {
        base = base.partition(partition);
    }
    if let Some(headers) = headers {
        base = base.headers(headers);
    }
    let mut waiting_since = None;
    loop {
        match producer.send(base) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                let since = *waiting_since.get_or_insert_with(Instant::now);
                if since.elapsed() > QUEUE_FULL_LIMIT {
                    return Err(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull));
                }
                std::thread::sleep(Duration::from_millis(1));
                base = returned;
            }
            Err((error, _)) => return Err(error),
        }
    }
}

/// Waits until every record handed to the producer is acknowledged (or
/// failed), polling the producer's count each half millisecond; false if
/// `deadline` passed first.
///
/// Not `Producer::flush`: rust-rdkafka's flush waits in steps of up to
/// 100 ms for an event that, with delivery reports for failures only,
/// never comes, so every flush (and every `commit_transaction`, which
/// flushes first) took 100 ms more than the broker needed.
pub(crate) fn await_delivered(producer: &Producer, deadline: Instant) -> bool {
    use rdkafka::producer::Producer as _;
    while producer.in_flight_count() > 0 {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    true
}

/// The changelog records for a set of state changes.
fn changelog_records(topic: &str, changes: impl IntoIterator<Item = StateChange>) -> Vec<Record> {
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

/// Hands state changes to the producer as changelog records, into `batch`.
pub(crate) fn write_changes(
    producer: &Producer,
    changelog: &str,
    changes: Vec<StateChange>,
    batch: &mut OpenBatch,
) -> Result<(), KafkaError> {
    let opaque = delivery_opaque(batch.generation, None);
    for record in changelog_records(changelog, changes) {
        enqueue(producer, &record, opaque)?;
        batch.note_record(&record.topic);
    }
    Ok(())
}
