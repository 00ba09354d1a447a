//! `tickertape redrive DLQ`: replay dead letters to the topic they came
//! from (or another), as the original messages: key, bytes and headers as
//! they were, without the `tickertape.*` headers the dead letter added.
//!
//! Filters by reason, by the time the dead letter was written, and by
//! offset; rate-limited; resumable: the consumer group (`--group`) keeps how
//! far it got, committed after each redriven message is acknowledged, so a
//! second run with the same group goes on where the first stopped.
//!
//! A dead letter too large for one record was written in parts
//! (`tickertape.part: i/n`); the parts are joined and redriven as the one
//! message they were, and nothing is committed while a message is half read.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use tickertape_core::config::KafkaArgs;
use tickertape_processor::processor::dead_letter_headers::{
    PART, REASON, SOURCE_OFFSET, SOURCE_PARTITION, SOURCE_TOPIC,
};

#[derive(clap::Args)]
pub struct RedriveArgs {
    /// The dead-letter topic to read (`articles.dlq`, `ticks.dlq`).
    topic: String,
    #[command(flatten)]
    kafka: KafkaArgs,
    /// Only dead letters with this reason (repeat the flag for several).
    #[arg(long = "reason")]
    reasons: Vec<String>,
    /// Only dead letters written at or after this time (RFC 3339).
    #[arg(long)]
    since: Option<DateTime<Utc>>,
    /// Only dead letters written before this time (RFC 3339).
    #[arg(long)]
    until: Option<DateTime<Utc>>,
    /// Only dead letters at or after this offset (in every partition).
    #[arg(long)]
    from_offset: Option<i64>,
    /// Only dead letters before this offset (in every partition).
    #[arg(long)]
    to_offset: Option<i64>,
    /// Write every message to this topic instead of the one its dead
    /// letter names (`tickertape.source.topic`).
    #[arg(long)]
    to: Option<String>,
    /// At most this many messages per second.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// The consumer group that remembers how far redriving got; run again
    /// with the same group to resume, with another to start over.
    #[arg(long, default_value = "tickertape-redrive")]
    group: String,
    /// Print what would be redriven; write and commit nothing.
    #[arg(long)]
    dry_run: bool,
}

/// What one dead letter becomes.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    /// Sent to this topic.
    Redrive(String),
    /// Left where it is, with why.
    Skip(&'static str),
}

pub async fn run(args: RedriveArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.rate > 0, "--rate must be at least 1");
    crate::check_access(&args.kafka).await?;
    let consumer: StreamConsumer = args
        .kafka
        .client_config(&[
            ("group.id", &args.group),
            ("enable.auto.commit", "false"),
            ("auto.offset.reset", "earliest"),
            ("enable.partition.eof", "true"),
            ("isolation.level", "read_committed"),
        ])
        .create()?;
    // A message joined from parts may be larger than librdkafka's default
    // bound; compressed, as the source topic took it first.
    let producer: FutureProducer = args
        .kafka
        .client_config(&[
            ("enable.idempotence", "true"),
            ("compression.type", "lz4"),
            ("message.max.bytes", "100000000"),
        ])
        .create()?;
    let partitions = consumer
        .fetch_metadata(Some(&args.topic), Duration::from_secs(10))?
        .topics()
        .first()
        .map(|t| t.partitions().len())
        .unwrap_or(0);
    anyhow::ensure!(partitions > 0, "topic {} not found", args.topic);
    consumer.subscribe(&[&args.topic])?;

    let mut pace = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate)));
    let mut at_end: HashSet<i32> = HashSet::new();
    let mut redriven: BTreeMap<String, u64> = BTreeMap::new();
    let mut skipped: BTreeMap<&'static str, u64> = BTreeMap::new();
    // Parts read so far of dead letters written in parts, by where their
    // input was read from.
    let mut partial: HashMap<String, BTreeMap<usize, Vec<u8>>> = HashMap::new();
    while at_end.len() < partitions {
        let message = tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            message = consumer.recv() => message,
        };
        let message = match message {
            Ok(message) => message,
            Err(KafkaError::PartitionEOF(partition)) => {
                at_end.insert(partition);
                continue;
            }
            Err(error) => {
                eprintln!("redrive: {error}; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        at_end.remove(&message.partition());
        let joined = match part_of(&message) {
            None => None,
            Some((place, index, count)) => {
                let parts = partial.entry(place.clone()).or_default();
                parts.insert(index, message.payload().unwrap_or_default().to_vec());
                if parts.len() < count {
                    continue;
                }
                let parts = partial.remove(&place).unwrap_or_default();
                Some(parts.into_values().flatten().collect::<Vec<u8>>())
            }
        };
        match decide(&message, &args) {
            Decision::Skip(why) => *skipped.entry(why).or_default() += 1,
            Decision::Redrive(target) => {
                pace.tick().await;
                if args.dry_run {
                    println!(
                        "would redrive {}[{}]@{} ({}) to {target}",
                        message.topic(),
                        message.partition(),
                        message.offset(),
                        header(&message, REASON).unwrap_or("?"),
                    );
                } else {
                    let payload = joined
                        .as_deref()
                        .unwrap_or(message.payload().unwrap_or_default());
                    send(&producer, &message, payload, &target).await?;
                }
                *redriven.entry(target).or_default() += 1;
            }
        }
        if !args.dry_run && partial.is_empty() {
            // After the send is acknowledged: a crash re-sends at most this
            // one. Never past a part of a message not yet whole.
            consumer.commit_message(&message, CommitMode::Sync)?;
        }
    }
    let total: u64 = redriven.values().sum();
    let verb = if args.dry_run {
        "would redrive"
    } else {
        "redriven"
    };
    println!("{verb}: {total} ({redriven:?}); skipped: {skipped:?}");
    Ok(())
}

fn decide(message: &BorrowedMessage<'_>, args: &RedriveArgs) -> Decision {
    if args.from_offset.is_some_and(|from| message.offset() < from)
        || args.to_offset.is_some_and(|to| message.offset() >= to)
    {
        return Decision::Skip("offset out of range");
    }
    let written = message
        .timestamp()
        .to_millis()
        .and_then(DateTime::from_timestamp_millis);
    if args
        .since
        .is_some_and(|since| written.is_none_or(|w| w < since))
        || args
            .until
            .is_some_and(|until| written.is_none_or(|w| w >= until))
    {
        return Decision::Skip("time out of range");
    }
    let Some(reason) = header(message, REASON) else {
        return Decision::Skip("not a dead letter (no tickertape.reason)");
    };
    if !args.reasons.is_empty() && !args.reasons.iter().any(|r| r == reason) {
        return Decision::Skip("another reason");
    }
    match args
        .to
        .clone()
        .or_else(|| header(message, SOURCE_TOPIC).map(str::to_owned))
    {
        Some(target) => Decision::Redrive(target),
        None => Decision::Skip("no source topic"),
    }
}

/// The last header named `name`, as text: a dead letter redriven and
/// refused again carries the newest last.
fn header<'a>(message: &'a BorrowedMessage<'a>, name: &str) -> Option<&'a str> {
    let headers = message.headers()?;
    headers
        .iter()
        .filter(|h| h.key == name)
        .last()
        .and_then(|h| h.value)
        .and_then(|v| std::str::from_utf8(v).ok())
}

/// For a part of a dead letter written in parts: the input it belongs to
/// (its dead-letter partition and source position), its index (from 1) and
/// the number of parts.
fn part_of(message: &BorrowedMessage<'_>) -> Option<(String, usize, usize)> {
    let (index, count) = header(message, PART)?.split_once('/')?;
    let place = format!(
        "{}|{}|{}|{}",
        message.partition(),
        header(message, SOURCE_TOPIC).unwrap_or_default(),
        header(message, SOURCE_PARTITION).unwrap_or_default(),
        header(message, SOURCE_OFFSET).unwrap_or_default()
    );
    Some((place, index.parse().ok()?, count.parse().ok()?))
}

/// Sends the original message: the dead letter's key, `payload` (its value,
/// or its parts joined), and its headers except the `tickertape.*` ones it
/// added.
async fn send(
    producer: &FutureProducer,
    message: &BorrowedMessage<'_>,
    payload: &[u8],
    target: &str,
) -> anyhow::Result<()> {
    let mut headers = OwnedHeaders::new();
    if let Some(all) = message.headers() {
        for h in all.iter().filter(|h| !h.key.starts_with("tickertape.")) {
            headers = headers.insert(Header {
                key: h.key,
                value: h.value,
            });
        }
    }
    let mut record = FutureRecord::to(target).payload(payload).headers(headers);
    if let Some(key) = message.key() {
        record = record.key(key);
    }
    producer
        .send(record, Duration::from_secs(30))
        .await
        .map_err(|(error, _)| anyhow::anyhow!("redriving to {target}: {error}"))?;
    Ok(())
}
