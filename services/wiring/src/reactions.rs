//! The reactions service: the mention router and the reaction join under
//! the Kafka runtime, in one process, each stage a task of its own.

use tickertape_core::admin::{check_access, partition_count, TopicSpec};
use tickertape_core::config::{RuntimeConfig, ServiceArgs};
use tickertape_core::ProcessHost;
use tickertape_market::sessions::TradingCalendar;
use tickertape_reactions::config::{ReactionTopics, ReactionsSettings};
use tickertape_reactions::mention::MentionRouter;
use tickertape_reactions::metrics::ReactionMetrics;
use tickertape_reactions::processor::ReactionJoin;
use tokio_util::sync::CancellationToken;

use crate::{run_two_stages, Error, Stage};

/// Runs the router (article events to symbol-keyed mentions) and the join
/// (mentions and price changes to reactions) in `host` until `shutdown`.
///
/// Fails on an invalid setting, a Kafka client error, an unacknowledged
/// record, or a mentions topic partitioned unlike the price changes.
pub async fn run(
    service: &ServiceArgs,
    settings: &ReactionsSettings,
    host: &ProcessHost,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let topics = &settings.topics;
    let route_config = RuntimeConfig::new(
        "reactions",
        service,
        vec![topics.enriched.clone()],
        topics.dead_letters.clone(),
    )?;
    // The price changes first: the changelog is partitioned like them.
    let mut join_config = RuntimeConfig::new(
        "reactions-join",
        service,
        vec![topics.changes.clone(), topics.mentions.clone()],
        topics.dead_letters.clone(),
    )?;
    join_config.group_id = format!("{}-join", route_config.group_id);
    join_config.co_partitioned = true;
    let (route_ready, join_ready) = (
        host.health.part("reactions"),
        host.health.part("reactions-join"),
    );
    tokio::select! {
        _ = shutdown.cancelled() => return Ok(()),
        checked = check_co_partitioned(service, topics) => checked?,
    }

    let metrics = ReactionMetrics::register(&host.registry)?;
    let router = MentionRouter::new(settings, metrics.clone());
    let join = ReactionJoin::new(settings, TradingCalendar::builtin(), metrics);
    run_two_stages(
        Stage {
            config: route_config,
            processor: router,
            ready: route_ready,
        },
        Stage {
            config: join_config,
            processor: join,
            ready: join_ready,
        },
        host,
        shutdown,
        "a reactions stage",
    )
    .await
}

/// The join keeps partition n of both its inputs in one state: the
/// mentions topic must have as many partitions as the price changes.
///
/// Fails when both exist with different counts.
async fn check_co_partitioned(service: &ServiceArgs, topics: &ReactionTopics) -> Result<(), Error> {
    let kafka = service.kafka.clone();
    let (changes, mentions) = (topics.changes.clone(), topics.mentions.clone());
    let counts = tokio::task::spawn_blocking(move || {
        check_access(&kafka, std::time::Duration::from_secs(10))?;
        Ok::<_, tickertape_core::Error>((
            partition_count(&kafka, &changes)?,
            partition_count(&kafka, &mentions)?,
        ))
    })
    .await
    .map_err(|source| tickertape_core::Error::Task {
        task: "the co-partitioning probe",
        source,
    })?;
    match counts {
        Ok((Some(changes), Some(mentions))) if changes != mentions => {
            Err(tickertape_core::Error::Topic {
                topic: topics.mentions.clone(),
                problem: format!(
                    "has {mentions} partitions and {} has {changes}; the join needs them equal (recreate it, or name another with --mentions-topic)",
                    topics.changes
                ),
            }
            .into())
        }
        Ok(_) => Ok(()),
        Err(error @ tickertape_core::Error::BrokerRefused(_)) => Err(error.into()),
        Err(error) => {
            tracing::warn!(%error, "Could not compare the partitions of the join's inputs.");
            Ok(())
        }
    }
}

/// The topics this service reads and writes, for `tickertape topics create`:
/// the mentions topic partitioned like the price changes.
pub fn topics(topics: &ReactionTopics, partitions: i32) -> Vec<TopicSpec> {
    vec![
        TopicSpec::new(&topics.enriched, partitions),
        TopicSpec::new(&topics.changes, partitions),
        TopicSpec::new(&topics.mentions, partitions),
        TopicSpec::new(&topics.reactions, partitions),
        TopicSpec::new(&topics.dead_letters, partitions),
    ]
}
