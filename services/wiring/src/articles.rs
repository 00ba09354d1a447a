//! The articles service: both stages under the Kafka runtime, in one process.

use std::sync::Arc;

use tickertape_articles::config::{ArticleTopics, ArticlesSettings};
use tickertape_articles::enrich::Enricher;
use tickertape_articles::metrics::ArticleMetrics;
use tickertape_articles::processor::{DedupeStage, ParseStage};
use tickertape_core::admin::{check_access, partition_count, TopicSpec};
use tickertape_core::config::{RuntimeConfig, ServiceArgs};
use tickertape_core::ProcessHost;
use tokio_util::sync::CancellationToken;

use crate::{run_two_stages, Error, Stage};

/// Runs the parse stage and the dedupe stage in `host` until `shutdown`.
/// Every instance runs both; the dedupe stage's single input partition is
/// assigned to one instance at a time, the others stand by.
///
/// Fails on an invalid setting, a Kafka client error, or an unacknowledged record.
pub async fn run(
    service: &ServiceArgs,
    settings: &ArticlesSettings,
    host: &ProcessHost,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let topics = &settings.topics;
    let parse_config = RuntimeConfig::new(
        "articles",
        service,
        vec![topics.raw.clone()],
        topics.dead_letters.clone(),
    )?;
    let mut dedupe_config = RuntimeConfig::new(
        "articles-dedupe",
        service,
        vec![topics.parsed.clone()],
        topics.dead_letters.clone(),
    )?;
    dedupe_config.group_id = format!("{}-dedupe", parse_config.group_id);
    // Registered first, so /readyz says what it waits for from the start.
    let (parse_ready, dedupe_ready) = (
        host.health.part("articles"),
        host.health.part("articles-dedupe"),
    );
    tokio::select! {
        // SIGTERM is honoured while the broker is still being asked.
        _ = shutdown.cancelled() => return Ok(()),
        checked = check_parsed_topic(service, &topics.parsed) => checked?,
    }

    let metrics =
        ArticleMetrics::register(&host.registry, host.runtime_metrics.duplicates.clone())?;
    let parse = ParseStage::new(settings, Arc::new(Enricher::builtin()), metrics.clone());
    let dedupe = DedupeStage::new(settings, metrics);

    run_two_stages(
        Stage {
            config: parse_config,
            processor: parse,
            ready: parse_ready,
        },
        Stage {
            config: dedupe_config,
            processor: dedupe,
            ready: dedupe_ready,
        },
        host,
        shutdown,
        "an articles stage",
    )
    .await
}

/// One partition is what lets one dedupe consumer see every article.
///
/// Fails when the internal topic exists with more partitions.
async fn check_parsed_topic(service: &ServiceArgs, parsed_topic: &str) -> Result<(), Error> {
    let (kafka, topic) = (service.kafka.clone(), parsed_topic.to_owned());
    // A refused password or certificate fails the start here, clearly,
    // rather than after the metadata probe's timeout.
    let count = tokio::task::spawn_blocking(move || {
        check_access(&kafka, std::time::Duration::from_secs(10))?;
        partition_count(&kafka, &topic)
    })
    .await
    .map_err(|source| tickertape_core::Error::Task {
        task: "the internal topic's metadata probe",
        source,
    })?;
    match count {
        Ok(Some(count)) if count != 1 => Err(tickertape_core::Error::Topic {
            topic: parsed_topic.to_owned(),
            problem: format!(
                "has {count} partitions; the dedupe stage needs exactly 1 (recreate it, or name another with --parsed-topic)"
            ),
        }
        .into()),
        Ok(_) => Ok(()),
        Err(error @ tickertape_core::Error::BrokerRefused(_)) => Err(error.into()),
        // The runtime waits for the broker; the check is repeated at the next start.
        Err(error) => {
            tracing::warn!(%error, "Could not check the partitions of the internal topic.");
            Ok(())
        }
    }
}

/// The topics this service reads and writes, for `tickertape topics create`.
/// The internal hand-over topic always has one partition.
pub fn topics(topics: &ArticleTopics, partitions: i32) -> Vec<TopicSpec> {
    vec![
        TopicSpec::new(&topics.raw, partitions),
        TopicSpec::new(&topics.parsed, 1),
        TopicSpec::new(&topics.enriched, partitions),
        TopicSpec::new(&topics.duplicates, partitions),
        TopicSpec::new(&topics.dead_letters, partitions),
    ]
}
