//! Wiring: both stages under the Kafka runtime, in one process.

use std::sync::Arc;

use tickertape_core::admin::{partition_count, TopicSpec};
use tickertape_core::config::{RuntimeConfig, ServiceArgs};
use tickertape_core::{runtime, ProcessHost};
use tokio_util::sync::CancellationToken;

use crate::config::ArticlesArgs;
use crate::enrich::Enricher;
use crate::metrics::ArticleMetrics;
use crate::processor::{DedupeStage, ParseStage};

/// Runs the parse stage and the dedupe stage in `host` until `shutdown`.
/// Every instance runs both; the dedupe stage's single input partition is
/// assigned to one instance at a time, the others stand by.
///
/// Fails on an invalid setting, a Kafka client error, or an unacknowledged record.
pub async fn run(
    service: &ServiceArgs,
    articles: &ArticlesArgs,
    host: &ProcessHost,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let parse_config = RuntimeConfig::new(
        "articles",
        service,
        vec![articles.raw_topic.clone()],
        articles.articles_dlq_topic.clone(),
    )?;
    let mut dedupe_config = RuntimeConfig::new(
        "articles-dedupe",
        service,
        vec![articles.parsed_topic.clone()],
        articles.articles_dlq_topic.clone(),
    )?;
    dedupe_config.group_id = format!("{}-dedupe", parse_config.group_id);

    // One partition is what lets one dedupe consumer see every article.
    let (kafka, parsed_topic) = (service.kafka.clone(), articles.parsed_topic.clone());
    match tokio::task::spawn_blocking(move || partition_count(&kafka, &parsed_topic)).await? {
        Ok(Some(count)) if count != 1 => anyhow::bail!(
            "topic {} has {count} partitions; the dedupe stage needs exactly 1 (recreate it, or name another with --parsed-topic)",
            articles.parsed_topic
        ),
        Ok(_) => {}
        // The runtime waits for the broker; the check is repeated at the next start.
        Err(error) => tracing::warn!(%error, "Could not check the partitions of the internal topic."),
    }

    let metrics =
        ArticleMetrics::register(&host.registry, host.runtime_metrics.duplicates.clone())?;
    let parse = ParseStage::new(articles, Arc::new(Enricher::builtin()), metrics.clone());
    let dedupe =
        DedupeStage::new(articles, metrics).map_err(|m| anyhow::anyhow!("configuration: {m}"))?;

    // If either stage fails, stop the other too, so the process exits and is restarted whole.
    let stop = shutdown.child_token();
    let parse_run = runtime::run(
        parse_config,
        parse,
        host.runtime_metrics.clone(),
        host.health.part("articles"),
        stop.clone(),
    );
    let dedupe_run = runtime::run(
        dedupe_config,
        dedupe,
        host.runtime_metrics.clone(),
        host.health.part("articles-dedupe"),
        stop.clone(),
    );
    let (parsed, deduped) = tokio::join!(
        async {
            let result = parse_run.await;
            stop.cancel();
            result
        },
        async {
            let result = dedupe_run.await;
            stop.cancel();
            result
        }
    );
    parsed?;
    deduped?;
    Ok(())
}

/// The topics this service reads and writes, for `tickertape topics create`.
/// The internal hand-over topic always has one partition.
pub fn topics(articles: &ArticlesArgs, partitions: i32) -> Vec<TopicSpec> {
    vec![
        TopicSpec::new(&articles.raw_topic, partitions),
        TopicSpec::new(&articles.parsed_topic, 1),
        TopicSpec::new(&articles.enriched_topic, partitions),
        TopicSpec::new(&articles.duplicates_topic, partitions),
        TopicSpec::new(&articles.articles_dlq_topic, partitions),
    ]
}
