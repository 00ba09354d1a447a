//! Wiring: the price processor under the Kafka runtime.

use tickertape_core::admin::TopicSpec;
use tickertape_core::config::{RuntimeConfig, ServiceArgs};
use tickertape_core::{runtime, ProcessHost};
use tokio_util::sync::CancellationToken;

use crate::config::PricesArgs;
use crate::instruments::Catalog;
use crate::metrics::PriceMetrics;
use crate::processor::PriceProcessor;

/// Runs the prices service in `host` until `shutdown`.
///
/// Fails on an invalid setting, a Kafka client error, or an unacknowledged record.
pub async fn run(
    service: &ServiceArgs,
    prices: &PricesArgs,
    host: &ProcessHost,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let config = RuntimeConfig::new(
        "prices",
        service,
        vec![prices.ticks_topic.clone()],
        prices.ticks_dlq_topic.clone(),
    )?;
    let metrics = PriceMetrics::register(&host.registry, host.runtime_metrics.duplicates.clone())?;
    let processor = PriceProcessor::new(prices, Catalog::builtin(), metrics)
        .map_err(|message| anyhow::anyhow!("configuration: {message}"))?;
    runtime::run(
        config,
        processor,
        host.runtime_metrics.clone(),
        host.health.part("prices"),
        shutdown,
    )
    .await?;
    Ok(())
}

/// The topics this service reads and writes, for `tickertape topics create`.
pub fn topics(prices: &PricesArgs, partitions: i32) -> Vec<TopicSpec> {
    let mut topics = vec![
        TopicSpec::new(&prices.ticks_topic, partitions),
        TopicSpec::new(&prices.changes_topic, partitions),
        TopicSpec::new(&prices.alerts_topic, partitions),
        TopicSpec::new(&prices.ticks_dlq_topic, partitions),
    ];
    if let Some(late) = &prices.late_ticks_topic {
        topics.push(TopicSpec::new(late, partitions));
    }
    topics
}
