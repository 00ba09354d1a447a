//! At-least-once, in batches: inputs are processed and their records sent
//! as they arrive; every commit interval (or `max_in_flight` inputs) the
//! batch is closed: all its records are awaited, then the state changes it
//! made are written to the changelog and awaited, then the inputs' offsets
//! are stored for the next commit. A crash re-reads the unfinished batch, so
//! nothing is lost and some outputs may repeat.
//!
//! State is written after the outputs on purpose: state that ran ahead of
//! its outputs would make a re-read input look like a repeat, and its outputs
//! would be lost.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::{DeliveryFuture, FutureProducer};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{
    changelog_records, consumer_error, enqueue, process_message, send_or_dead_letter,
    RuntimeContext, StateKeeper,
};
use crate::config::RuntimeConfig;
use crate::metrics::RuntimeMetrics;
use crate::processor::Processor;
use crate::{Error, Result};

/// The open batch: records in flight and the inputs they came from.
#[derive(Default)]
struct Batch {
    deliveries: Vec<(String, DeliveryFuture)>,
    /// Last offset read per input partition.
    offsets: BTreeMap<(String, i32), i64>,
    inputs: usize,
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn run<P: Processor>(
    config: &RuntimeConfig,
    consumer: &StreamConsumer<RuntimeContext>,
    producer: &FutureProducer<RuntimeContext>,
    processor: &mut P,
    state: &mut StateKeeper,
    metrics: &RuntimeMetrics,
    shutdown: &CancellationToken,
) -> Result<()> {
    let service = config.service;
    let in_flight_gauge = metrics.in_flight.with_label_values(&[service]);
    let mut batch = Batch::default();
    let mut close_at = Instant::now() + config.commit_interval;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep_until(close_at), if batch.inputs > 0 => {
                close(&mut batch, consumer, producer, processor, state, metrics).await?;
            }
            _ = tick.tick() => state.catch_up(processor).await?,
            message = consumer.recv() => {
                let message = match message {
                    Ok(message) => message,
                    Err(error) => {
                        consumer_error(service, metrics, error).await;
                        continue;
                    }
                };
                state.catch_up(processor).await?;
                if batch.inputs == 0 {
                    close_at = Instant::now() + config.commit_interval;
                }
                let processed = process_message(&message, processor, config, metrics);
                for record in &processed.records {
                    let sent = send_or_dead_letter(producer, &message, record, config, metrics).await?;
                    batch.deliveries.push((sent.topic, sent.delivery));
                    if sent.refused {
                        break;
                    }
                }
                batch.offsets.insert((processed.topic, processed.partition), processed.offset);
                batch.inputs += 1;
                if batch.inputs >= config.max_in_flight {
                    close(&mut batch, consumer, producer, processor, state, metrics).await?;
                }
            }
        }
        in_flight_gauge.set(batch.inputs as i64);
    }

    state.ready().set(false);
    tracing::info!(service, in_flight = batch.inputs, "Draining.");
    let drained = tokio::time::timeout(
        config.drain_timeout,
        close(&mut batch, consumer, producer, processor, state, metrics),
    )
    .await;
    match drained {
        Ok(result) => result?,
        Err(_) => tracing::warn!(
            service,
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

/// Awaits the batch's records, writes its state changes and awaits them,
/// then stores its offsets.
async fn close<P: Processor>(
    batch: &mut Batch,
    consumer: &StreamConsumer<RuntimeContext>,
    producer: &FutureProducer<RuntimeContext>,
    processor: &mut P,
    state: &StateKeeper,
    metrics: &RuntimeMetrics,
) -> Result<()> {
    let closing = std::mem::take(batch);
    await_all(closing.deliveries, Some(metrics)).await?;
    if let Some(topic) = state.changelog_topic() {
        let mut deliveries = Vec::new();
        for record in changelog_records(topic, processor.take_state_changes()) {
            let delivery = enqueue(producer, &record)
                .await
                .map_err(|source| Error::Delivery {
                    topic: topic.to_owned(),
                    source,
                })?;
            deliveries.push((record.topic, delivery));
        }
        await_all(deliveries, None).await?;
    }
    for ((topic, partition), offset) in closing.offsets {
        // librdkafka stores offset + 1, the next one to read.
        if let Err(error) = consumer.store_offset(&topic, partition, offset) {
            // Revoked while in flight: the new owner re-reads it (at-least-once).
            tracing::debug!(%topic, partition, offset, %error, "Offset not stored; partition no longer assigned.");
        }
    }
    Ok(())
}

async fn await_all(
    deliveries: Vec<(String, DeliveryFuture)>,
    metrics: Option<&RuntimeMetrics>,
) -> Result<()> {
    for (topic, delivery) in deliveries {
        match delivery.await {
            Ok(Ok(_)) => {
                if let Some(metrics) = metrics {
                    metrics.produced.with_label_values(&[&topic]).inc();
                }
            }
            Ok(Err((source, _))) => return Err(Error::Delivery { topic, source }),
            Err(_) => {
                return Err(Error::Delivery {
                    topic,
                    source: KafkaError::Canceled,
                })
            }
        }
    }
    Ok(())
}
