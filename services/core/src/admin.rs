//! Topic provisioning and consumer-group progress, for the CLI and tests.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use crate::config::KafkaArgs;
use crate::{Error, Result};

const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Fails fast when the broker refuses this client: a wrong password, an
/// untrusted certificate. One metadata request, for up to `timeout`;
/// a broker that does not answer at all is not refused (the command goes
/// on and waits, or times out, as it would have).
///
/// Commands call it before their real work, so that a wrong setting is one
/// clear line naming the broker, not a timeout a minute later.
pub fn check_access(kafka: &KafkaArgs, timeout: Duration) -> Result<()> {
    let consumer: BaseConsumer<RefusalWatch> = kafka
        .client_config(&[("group.id", "tickertape-check-access")])
        .create_with_context(RefusalWatch::default())
        .map_err(|e| Error::kafka("creating a client", e))?;
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if consumer
            .fetch_metadata(None, Duration::from_millis(500))
            .is_ok()
        {
            return Ok(());
        }
        // Serves the client's error events, which is where a refusal shows.
        let _ = consumer.poll(Duration::from_millis(100));
        if let Some(why) = consumer.context().refused() {
            return Err(Error::BrokerRefused(why));
        }
    }
    Ok(())
}

/// A client context that remembers the first refusal of the client's
/// credentials or certificate, as librdkafka reported it.
#[derive(Default)]
struct RefusalWatch {
    refused: std::sync::Mutex<Option<String>>,
}

impl RefusalWatch {
    fn refused(&self) -> Option<String> {
        self.refused
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl rdkafka::ClientContext for RefusalWatch {
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        if is_security_refusal(&error) {
            let mut refused = self
                .refused
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            refused.get_or_insert_with(|| reason.to_owned());
        }
    }
}

impl rdkafka::consumer::ConsumerContext for RefusalWatch {}

/// Whether `error` says the broker refused the client's credentials or the
/// client did not trust its certificate: configuration, not weather.
pub(crate) fn is_security_refusal(error: &rdkafka::error::KafkaError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::Authentication
                | RDKafkaErrorCode::SSL
                | RDKafkaErrorCode::SaslAuthenticationFailed
        )
    )
}

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
    let admin = admin_client(kafka)?;
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

/// A topic as the cluster has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicState {
    /// Topic name.
    pub name: String,
    /// Partition count.
    pub partitions: usize,
    /// Replicas of its first partition.
    pub replication_factor: usize,
    /// The settings asked for, with the values the cluster has for them
    /// (its defaults included).
    pub settings: BTreeMap<String, String>,
}

/// How `names` exist on the cluster, with the values of `settings` for each;
/// topics that do not exist are left out.
///
/// Fails when the cluster cannot be reached or refuses to describe a topic.
pub async fn describe_topics(
    kafka: &KafkaArgs,
    names: &[&str],
    settings: &[&str],
) -> Result<Vec<TopicState>> {
    let admin = admin_client(kafka)?;
    let metadata = admin
        .inner()
        .fetch_metadata(None, ADMIN_TIMEOUT)
        .map_err(|e| Error::kafka("reading topic metadata", e))?;
    let mut states: Vec<TopicState> = names
        .iter()
        .filter_map(|&name| {
            let topic = metadata.topics().iter().find(|t| t.name() == name)?;
            let first = topic.partitions().first()?;
            Some(TopicState {
                name: name.to_owned(),
                partitions: topic.partitions().len(),
                replication_factor: first.replicas().len(),
                settings: BTreeMap::new(),
            })
        })
        .collect();
    if states.is_empty() {
        return Ok(states);
    }
    let resources: Vec<ResourceSpecifier<'_>> = states
        .iter()
        .map(|state| ResourceSpecifier::Topic(&state.name))
        .collect();
    let options = AdminOptions::new().request_timeout(Some(ADMIN_TIMEOUT));
    let described = admin
        .describe_configs(&resources, &options)
        .await
        .map_err(|e| Error::kafka("describing topic settings", e))?;
    for (state, result) in states.iter_mut().zip(described) {
        let resource = result.map_err(|code| {
            Error::kafka(
                format!("describing topic {}", state.name),
                rdkafka::error::KafkaError::AdminOp(code),
            )
        })?;
        for &setting in settings {
            if let Some(value) = resource.get(setting).and_then(|e| e.value.clone()) {
                state.settings.insert(setting.to_owned(), value);
            }
        }
    }
    Ok(states)
}

fn admin_client(kafka: &KafkaArgs) -> Result<AdminClient<DefaultClientContext>> {
    kafka
        .client_config(&[])
        .create()
        .map_err(|e| Error::kafka("creating the admin client", e))
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

#[cfg(test)]
mod refusal_tests {
    use super::*;
    use rdkafka::error::KafkaError;

    #[test]
    fn a_wrong_password_or_an_untrusted_certificate_is_a_refusal_an_outage_is_not() {
        assert!(is_security_refusal(&KafkaError::Global(
            RDKafkaErrorCode::Authentication
        )));
        assert!(is_security_refusal(&KafkaError::Global(
            RDKafkaErrorCode::SSL
        )));
        assert!(!is_security_refusal(&KafkaError::Global(
            RDKafkaErrorCode::AllBrokersDown
        )));
    }
}
