//! Topic provisioning and consumer-group progress, for the CLI and tests.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use crate::config::KafkaArgs;
use crate::{Error, Result};

const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// A topic the pipeline needs, with the settings it should be created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    /// Topic name.
    pub name: String,
    /// Partition count.
    pub partitions: i32,
    /// Topic-level settings (`cleanup.policy`, `retention.ms`, …).
    pub settings: Vec<(String, String)>,
}

impl TopicSpec {
    /// A topic with `partitions` partitions and the broker's default settings.
    pub fn new(name: &str, partitions: i32) -> Self {
        TopicSpec {
            name: name.to_owned(),
            partitions,
            settings: Vec::new(),
        }
    }

    /// Adds a topic-level setting.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.settings.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// What `create_topics` found or did for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicStatus {
    /// The topic was created as specified.
    Created,
    /// The topic existed already, with this many partitions.
    Existed {
        /// Its partition count.
        partitions: usize,
    },
}

/// Creates every topic in `specs` that does not exist yet, with
/// `replication_factor` replicas. Idempotent.
///
/// Fails when the cluster cannot be reached or refuses a creation for another
/// reason than the topic existing.
pub async fn create_topics(
    kafka: &KafkaArgs,
    specs: &[TopicSpec],
    replication_factor: i32,
) -> Result<Vec<(String, TopicStatus)>> {
    let admin: AdminClient<DefaultClientContext> = kafka
        .client_config(&[])
        .create()
        .map_err(|e| Error::kafka("creating the admin client", e))?;
    let new_topics: Vec<NewTopic<'_>> = specs
        .iter()
        .map(|spec| {
            spec.settings.iter().fold(
                NewTopic::new(
                    &spec.name,
                    spec.partitions,
                    TopicReplication::Fixed(replication_factor),
                ),
                |topic, (key, value)| topic.set(key, value),
            )
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(ADMIN_TIMEOUT));
    let results = admin
        .create_topics(&new_topics, &options)
        .await
        .map_err(|e| Error::kafka("creating topics", e))?;

    let metadata = admin
        .inner()
        .fetch_metadata(None, ADMIN_TIMEOUT)
        .map_err(|e| Error::kafka("reading topic metadata", e))?;
    let mut report = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(name) => report.push((name, TopicStatus::Created)),
            Err((name, RDKafkaErrorCode::TopicAlreadyExists)) => {
                let partitions = metadata
                    .topics()
                    .iter()
                    .find(|topic| topic.name() == name)
                    .map_or(0, |topic| topic.partitions().len());
                report.push((name, TopicStatus::Existed { partitions }));
            }
            Err((name, code)) => {
                return Err(Error::kafka(
                    format!("creating topic {name}"),
                    rdkafka::error::KafkaError::AdminOp(code),
                ))
            }
        }
    }
    Ok(report)
}

/// How many messages of `topics` the consumer group `group` has not committed
/// yet (sum over partitions of high watermark minus committed offset).
/// A partition with no commit counts in full.
///
/// Fails when the cluster cannot be reached. Blocking: call it from
/// `spawn_blocking` in async code.
pub fn group_lag(kafka: &KafkaArgs, group: &str, topics: &[&str]) -> Result<i64> {
    let consumer: BaseConsumer = kafka
        .client_config(&[("group.id", group), ("enable.auto.commit", "false")])
        .create()
        .map_err(|e| Error::kafka("creating a lag probe", e))?;
    let mut partitions = TopicPartitionList::new();
    for topic in topics {
        let metadata = consumer
            .fetch_metadata(Some(topic), ADMIN_TIMEOUT)
            .map_err(|e| Error::kafka(format!("reading metadata of {topic}"), e))?;
        for partition in metadata.topics().iter().flat_map(|t| t.partitions()) {
            partitions.add_partition(topic, partition.id());
        }
    }
    let committed = consumer
        .committed_offsets(partitions, ADMIN_TIMEOUT)
        .map_err(|e| Error::kafka(format!("reading offsets of group {group}"), e))?;
    let mut lag = 0;
    for element in committed.elements() {
        let (low, high) = consumer
            .fetch_watermarks(element.topic(), element.partition(), ADMIN_TIMEOUT)
            .map_err(|e| Error::kafka("reading watermarks", e))?;
        let position = match element.offset() {
            Offset::Offset(offset) => offset,
            _ => low,
        };
        lag += (high - position).max(0);
    }
    Ok(lag)
}

/// The partition count of `topic`, or None when it does not exist.
///
/// Fails when the cluster cannot be reached. Blocking.
pub fn partition_count(kafka: &KafkaArgs, topic: &str) -> Result<Option<usize>> {
    let consumer: BaseConsumer = kafka
        .client_config(&[])
        .create()
        .map_err(|e| Error::kafka("creating a metadata probe", e))?;
    let metadata = consumer
        .fetch_metadata(Some(topic), ADMIN_TIMEOUT)
        .map_err(|e| Error::kafka(format!("reading metadata of {topic}"), e))?;
    Ok(metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic && t.error().is_none())
        .map(|t| t.partitions().len())
        .filter(|&count| count > 0))
}
