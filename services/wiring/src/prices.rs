//! The prices service: the price processor under the Kafka runtime.

use tickertape_core::admin::TopicSpec;
use tickertape_core::config::{RuntimeConfig, ServiceArgs};
use tickertape_core::{runtime, ProcessHost};
use tickertape_market::instruments::Catalog;
use tickertape_prices::config::{PriceTopics, PricesSettings};
use tickertape_prices::metrics::PriceMetrics;
use tickertape_prices::processor::PriceProcessor;
use tokio_util::sync::CancellationToken;

use crate::Error;

/// Runs the prices service in `host` until `shutdown`.
///
/// Fails on an invalid setting, a Kafka client error, or an unacknowledged record.
pub async fn run(
    service: &ServiceArgs,
    settings: &PricesSettings,
    host: &ProcessHost,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let config = RuntimeConfig::new(
        "prices",
        service,
        vec![settings.topics.ticks.clone()],
        settings.topics.dead_letters.clone(),
    )?;
    let metrics = PriceMetrics::register(&host.registry, host.runtime_metrics.duplicates.clone())?;
    let processor = PriceProcessor::new(settings, Catalog::builtin(), metrics);
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

/// The topics this service reads and writes, for `tickertape topics create`:
/// the late-ticks topic only when one is configured.
pub fn topics(topics: &PriceTopics, partitions: i32) -> Vec<TopicSpec> {
    let mut specs = vec![
        TopicSpec::new(&topics.ticks, partitions),
        TopicSpec::new(&topics.changes, partitions),
        TopicSpec::new(&topics.alerts, partitions),
        TopicSpec::new(&topics.dead_letters, partitions),
    ];
    if let Some(late) = &topics.late_ticks {
        specs.push(TopicSpec::new(late, partitions));
    }
    specs
}
