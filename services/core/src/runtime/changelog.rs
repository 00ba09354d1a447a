//! Changelog topics: where a processor's state changes are written, and
//! what a newly assigned partition's state is rebuilt from.
//!
//! One compacted topic per store, named `<group>-<store>-changelog` (Kafka
//! Streams' convention), with as many partitions as the input topic: the
//! state of input partition N lives in changelog partition N.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use tokio_util::sync::CancellationToken;

use super::clients::{log_line, LogLimiter, FETCH_BOUNDS};
use crate::admin::{create_topics, partition_count, TopicSpec, TopicStatus};
use crate::config::{KafkaArgs, RuntimeConfig};
use crate::{Error, Result};

/// Restored entries per partition: the latest value of every key, oldest write first.
pub type Restored = HashMap<i32, Vec<(String, Vec<u8>)>>;

/// How long a restore may take before the service gives up.
const RESTORE_TIMEOUT: Duration = Duration::from_secs(600);

/// A processor's changelog.
#[derive(Debug, Clone)]
pub struct Store {
    kafka: KafkaArgs,
    topic: String,
}

impl Store {
    /// The changelog of `store` for this service, created (compacted, one
    /// partition per input partition) if it does not exist.
    ///
    /// Fails when the input topic is missing, the changelog cannot be
    /// created, or it exists with another partition count.
    pub async fn ensure(config: &RuntimeConfig, store: &str, input_topic: &str) -> Result<Self> {
        let topic = changelog_topic(&config.group_id, store);
        let (kafka, input) = (config.kafka.clone(), input_topic.to_owned());
        let partitions = tokio::task::spawn_blocking(move || partition_count(&kafka, &input))
            .await
            .map_err(|source| Error::Task {
                task: "the input topic's metadata probe",
                source,
            })??
            .ok_or_else(|| Error::Topic {
                topic: input_topic.to_owned(),
                problem: "does not exist".into(),
            })?;
        let (kafka, name) = (config.kafka.clone(), topic.clone());
        let existing = tokio::task::spawn_blocking(move || partition_count(&kafka, &name))
            .await
            .map_err(|source| Error::Task {
                task: "the changelog's metadata probe",
                source,
            })??;
        let statuses = match existing {
            Some(existing) => vec![(
                topic.clone(),
                TopicStatus::Existed {
                    partitions: existing,
                },
            )],
            None => {
                create_topics(
                    &config.kafka,
                    &[changelog_spec(&topic, partitions as i32)],
                    -1,
                )
                .await?
            }
        };
        for (name, status) in statuses {
            match status {
                TopicStatus::Created => tracing::info!(topic = %name, partitions, "Changelog created."),
                TopicStatus::Existed { partitions: existing } if existing != partitions => {
                    return Err(Error::Topic {
                        topic: name,
                        problem: format!("the changelog has {existing} partitions but {input_topic} has {partitions}; they must match"),
                    })
                }
                TopicStatus::Existed { .. } => {}
            }
        }
        Ok(Store {
            kafka: config.kafka.clone(),
            topic,
        })
    }

    /// The changelog topic's name.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// For each of `partitions`, the latest value of every key, oldest write
    /// first; deleted keys left out. Reads committed data only, up to the
    /// end, all partitions at once. Blocking; `None` if `shutdown` came first.
    ///
    /// Fails when the partitions cannot be read to their end in time.
    pub fn read(
        &self,
        partitions: &[i32],
        shutdown: &CancellationToken,
    ) -> Result<Option<Restored>> {
        let mut latest: HashMap<i32, HashMap<String, (u64, Vec<u8>)>> =
            partitions.iter().map(|p| (*p, HashMap::new())).collect();
        let mut sequence = 0u64;
        let read = self.read_records(partitions, shutdown, |partition, key, value| {
            let entries = latest.entry(partition).or_default();
            match value {
                Some(value) => {
                    sequence += 1;
                    entries.insert(key, (sequence, value.to_vec()));
                }
                None => {
                    entries.remove(&key);
                }
            }
            Ok(())
        })?;
        if !read {
            return Ok(None);
        }
        Ok(Some(
            latest
                .into_iter()
                .map(|(partition, entries)| {
                    let mut entries: Vec<(u64, String, Vec<u8>)> = entries
                        .into_iter()
                        .map(|(key, (seq, value))| (seq, key, value))
                        .collect();
                    entries.sort_unstable_by_key(|(seq, _, _)| *seq);
                    (
                        partition,
                        entries
                            .into_iter()
                            .map(|(_, key, value)| (key, value))
                            .collect(),
                    )
                })
                .collect(),
        ))
    }

    /// Every record of `partitions`, each partition in offset order, given
    /// to `apply` as it is read: its partition, key and value (None: a
    /// deletion). Reads committed data only, up to the end, all partitions
    /// at once. Blocking; false if `shutdown` came first.
    ///
    /// Fails when the partitions cannot be read to their end in time, or
    /// when `apply` fails (the read stops there).
    pub fn read_records(
        &self,
        partitions: &[i32],
        shutdown: &CancellationToken,
        apply: impl FnMut(i32, String, Option<&[u8]>) -> Result<()>,
    ) -> Result<bool> {
        read_partitions(&self.kafka, &self.topic, partitions, shutdown, apply)
    }
}

/// `<group>-<store>-changelog`.
pub fn changelog_topic(group_id: &str, store: &str) -> String {
    format!("{group_id}-{store}-changelog")
}

/// How a changelog topic is created: compacted, so it keeps the latest
/// value per key and restores stay proportional to the state, not history.
pub fn changelog_spec(topic: &str, partitions: i32) -> TopicSpec {
    TopicSpec::new(topic, partitions)
        .with("cleanup.policy", "compact")
        .with("min.compaction.lag.ms", "0")
        .with("segment.ms", "3600000")
}

/// The restore consumer's context. The end of a partition is how a restore
/// ends, not an error: librdkafka also reports it (for an empty partition)
/// as a client-wide error, which the default context logs at ERROR. Its
/// other errors and logs go out as the services' own clients' do: WARN,
/// rate-limited (a restore rides out a broker outage).
struct RestoreContext {
    log_limiter: LogLimiter,
}

impl rdkafka::ClientContext for RestoreContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, facility: &str, message: &str) {
        log_line(&self.log_limiter, RESTORE, level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(rdkafka::types::RDKafkaErrorCode::PartitionEOF) {
            tracing::debug!(%error, "Changelog read to its end: {reason}");
        } else if let Some(suppressed) = self.log_limiter.admit(Instant::now()) {
            tracing::warn!(service = RESTORE, %error, suppressed, "Kafka client: {reason}");
        }
    }
}

impl rdkafka::consumer::ConsumerContext for RestoreContext {}

/// The restore consumer's name in logs.
const RESTORE: &str = "changelog-restore";

fn read_partitions(
    kafka: &KafkaArgs,
    topic: &str,
    partitions: &[i32],
    shutdown: &CancellationToken,
    mut apply: impl FnMut(i32, String, Option<&[u8]>) -> Result<()>,
) -> Result<bool> {
    let settings = [
        ("group.id", "tickertape-restore"),
        ("enable.auto.commit", "false"),
        ("enable.partition.eof", "true"),
        ("isolation.level", "read_committed"),
    ];
    // The service consumer's bounds on what librdkafka queues: with
    // librdkafka's defaults a restore of 500,000 stories peaked 33 MiB
    // higher (420 against 387 MiB), no faster.
    let settings = [&settings[..], &FETCH_BOUNDS[..]].concat();
    let consumer: BaseConsumer<RestoreContext> = kafka
        .client_config(&settings)
        .create_with_context(RestoreContext {
            log_limiter: LogLimiter::new(),
        })
        .map_err(|e| Error::kafka("creating the restore consumer", e))?;
    let mut assignment = TopicPartitionList::new();
    for partition in partitions {
        assignment
            .add_partition_offset(topic, *partition, Offset::Beginning)
            .map_err(|e| Error::kafka("assigning the changelog", e))?;
    }
    consumer
        .assign(&assignment)
        .map_err(|e| Error::kafka("assigning the changelog", e))?;

    let mut open: std::collections::HashSet<i32> = partitions.iter().copied().collect();
    let started = Instant::now();
    while !open.is_empty() {
        if shutdown.is_cancelled() {
            return Ok(false);
        }
        if started.elapsed() > RESTORE_TIMEOUT {
            return Err(Error::RestoreTimeout {
                changelog: topic.to_owned(),
                seconds: RESTORE_TIMEOUT.as_secs(),
            });
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => continue,
            // With read_committed, the end is the last stable offset.
            Some(Err(KafkaError::PartitionEOF(partition))) => {
                open.remove(&partition);
            }
            Some(Err(error @ KafkaError::MessageConsumptionFatal(_))) => {
                return Err(Error::kafka(format!("reading changelog {topic}"), error))
            }
            // The broker away, a leader moving: the client reconnects and
            // the read goes on, within the restore's deadline.
            Some(Err(error)) => {
                if let Some(suppressed) = consumer.context().log_limiter.admit(Instant::now()) {
                    tracing::warn!(service = RESTORE, changelog = topic, %error, suppressed, "Changelog read failed; retrying.");
                }
            }
            Some(Ok(message)) => {
                let Some(key) = message
                    .key()
                    .map(|k| String::from_utf8_lossy(k).into_owned())
                else {
                    continue;
                };
                let value = message.payload().filter(|value| !value.is_empty());
                apply(message.partition(), key, value)?;
            }
        }
    }
    Ok(true)
}
