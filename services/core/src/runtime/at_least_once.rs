//! At-least-once: an input's offset is stored for the next auto-commit only
//! after every record it caused is acknowledged and then its state changes
//! are in the changelog, in input order. A crash re-reads what was not
//! finished, so nothing is lost and some outputs may repeat.
//!
//! State is written after the outputs on purpose: state that ran ahead of
//! its outputs would make a re-read input look like a repeat, and its
//! outputs would be lost.

use std::time::Duration;

use futures::stream::{FuturesOrdered, StreamExt};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::{DeliveryFuture, FutureProducer};
use tokio_util::sync::CancellationToken;

use super::{changelog_records, enqueue, process_message, refused, RuntimeContext, StateKeeper};
use crate::config::RuntimeConfig;
use crate::metrics::RuntimeMetrics;
use crate::processor::{Processor, StateChange};
use crate::{Error, Result};

/// An input's position, once it is safe to commit past it.
struct Position {
    topic: String,
    partition: i32,
    offset: i64,
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
    let mut outputs = FuturesOrdered::new();
    let mut state_writes = FuturesOrdered::new();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            Some(acknowledged) = outputs.next() => {
                let (position, changes) = acknowledged?;
                state_writes.push_back(write_state(producer, state.changelog_topic(), position, changes).await?);
            }
            Some(written) = state_writes.next() => store_offset(consumer, written?),
            _ = tick.tick() => state.catch_up(processor).await?,
            message = consumer.recv(), if outputs.len() + state_writes.len() < config.max_in_flight => {
                let message = match message {
                    Ok(message) => message,
                    Err(error) => {
                        metrics.consume_errors.with_label_values(&[service]).inc();
                        tracing::warn!(service, %error, "Consumer error; retrying.");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                state.catch_up(processor).await?;
                let processed = process_message(&message, processor, config, metrics);
                let mut deliveries = Vec::with_capacity(processed.records.len());
                for record in &processed.records {
                    match enqueue(producer, record).await {
                        Ok(delivery) => deliveries.push((record.topic.clone(), delivery)),
                        Err(error) => {
                            let letter = refused(&processed, record, &error, config, metrics);
                            let delivery = enqueue(producer, &letter).await.map_err(|source| Error::Delivery { topic: letter.topic.clone(), source })?;
                            deliveries.push((letter.topic, delivery));
                            break;
                        }
                    }
                }
                let position = Position { topic: processed.topic, partition: processed.partition, offset: processed.offset };
                outputs.push_back(acknowledged(deliveries, position, processed.state_changes, metrics.clone()));
            }
        }
        in_flight_gauge.set((outputs.len() + state_writes.len()) as i64);
    }

    state.ready().set(false);
    tracing::info!(
        service,
        in_flight = outputs.len() + state_writes.len(),
        "Draining."
    );
    let drained = tokio::time::timeout(config.drain_timeout, async {
        while let Some(acknowledged) = outputs.next().await {
            let (position, changes) = acknowledged?;
            state_writes.push_back(
                write_state(producer, state.changelog_topic(), position, changes).await?,
            );
        }
        while let Some(written) = state_writes.next().await {
            store_offset(consumer, written?);
        }
        Ok::<_, Error>(())
    })
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

async fn acknowledged(
    deliveries: Vec<(String, DeliveryFuture)>,
    position: Position,
    changes: Vec<StateChange>,
    metrics: RuntimeMetrics,
) -> Result<(Position, Vec<StateChange>)> {
    await_all(deliveries, &metrics).await?;
    Ok((position, changes))
}

/// Sends an acknowledged input's state changes, returning what resolves
/// once they are acknowledged too.
async fn write_state(
    producer: &FutureProducer<RuntimeContext>,
    changelog: Option<&str>,
    position: Position,
    changes: Vec<StateChange>,
) -> Result<impl std::future::Future<Output = Result<Position>>> {
    let mut deliveries = Vec::new();
    if let Some(topic) = changelog {
        for record in changelog_records(topic, changes) {
            let delivery = enqueue(producer, &record)
                .await
                .map_err(|source| Error::Delivery {
                    topic: topic.to_owned(),
                    source,
                })?;
            deliveries.push((record.topic, delivery));
        }
    }
    Ok(async move {
        for (topic, delivery) in deliveries {
            check(topic, delivery.await)?;
        }
        Ok(position)
    })
}

async fn await_all(
    deliveries: Vec<(String, DeliveryFuture)>,
    metrics: &RuntimeMetrics,
) -> Result<()> {
    for (topic, delivery) in deliveries {
        let topic = check(topic, delivery.await)?;
        metrics.produced.with_label_values(&[&topic]).inc();
    }
    Ok(())
}

type DeliveryOutcome = std::result::Result<
    rdkafka::producer::future_producer::OwnedDeliveryResult,
    futures::channel::oneshot::Canceled,
>;

fn check(topic: String, outcome: DeliveryOutcome) -> Result<String> {
    match outcome {
        Ok(Ok(_)) => Ok(topic),
        Ok(Err((source, _))) => Err(Error::Delivery { topic, source }),
        Err(_) => Err(Error::Delivery {
            topic,
            source: KafkaError::Canceled,
        }),
    }
}

fn store_offset(consumer: &StreamConsumer<RuntimeContext>, position: Position) {
    // librdkafka stores offset + 1, the next one to read.
    if let Err(error) = consumer.store_offset(&position.topic, position.partition, position.offset)
    {
        // The partition was revoked while its records were in flight: the new
        // owner re-reads from the last commit (at-least-once).
        tracing::debug!(topic = %position.topic, partition = position.partition, offset = position.offset, %error, "Offset not stored; partition no longer assigned.");
    }
}
