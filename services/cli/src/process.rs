//! `tickertape process`: the services' processors over files, without Kafka.
//!
//! The same processors the services run, in file order with one shared state,
//! so duplicates across files are caught. Every record the service would
//! publish is printed as one JSON line `{topic, key, headers, value}`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use tickertape_articles::config::ArticlesArgs;
use tickertape_articles::enrich::Enricher;
use tickertape_articles::input::CONTENT_TYPE_HEADER;
use tickertape_articles::metrics::ArticleMetrics;
use tickertape_articles::processor::ArticlePipeline;
use tickertape_market::instruments::Catalog;
use tickertape_prices::config::PricesArgs;
use tickertape_prices::metrics::PriceMetrics;
use tickertape_prices::processor::PriceProcessor;
use tickertape_processor::settings::TimeBoundsArgs;
use tickertape_processor::{dead_letter, Input, Outcome, Processor, Record};
use tickertape_reactions::config::ReactionsArgs;
use tickertape_reactions::mention::MentionRouter;
use tickertape_reactions::metrics::ReactionMetrics;
use tickertape_reactions::processor::ReactionJoin;

use crate::output::{value_of, RecordLine};

#[derive(clap::Args)]
pub struct ProcessArgs {
    /// Use this time (RFC 3339) as the processing clock instead of now, for
    /// reproducible output: it becomes `processed_at`/`ingest_time`, and the
    /// fetch time of pages that carry none.
    #[arg(long, global = true)]
    clock: Option<DateTime<Utc>>,
    #[command(subcommand)]
    kind: Kind,
}

#[derive(clap::Subcommand)]
enum Kind {
    /// Raw pages: a `.jsonl` file holds one JSON envelope per line, any other file is one page; `-` is standard input.
    Articles {
        /// Files, in order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        args: ArticlesArgs,
        #[command(flatten)]
        time_bounds: TimeBoundsArgs,
    },
    /// Ticks: a `.jsonl` file holds one tick (or one `{"topic": "ticks.raw", …}` record) per line, any other file strip lines; `-` is standard input.
    Ticks {
        /// Files, in order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        args: PricesArgs,
        #[command(flatten)]
        time_bounds: TimeBoundsArgs,
    },
    /// Article events and price changes: `tickertape process` records (or
    /// bare events) of both topics, in arrival order across the files; other
    /// topics' lines (copies on articles.duplicates, strip ticks) are skipped;
    /// `-` is standard input.
    Reactions {
        /// Files, in order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The partition count of the price changes topic. The join keeps
        /// its state and stream time per partition, as librdkafka's default
        /// partitioner spreads symbols (CRC-32 of the key): with the
        /// service's count, idle closes match the service's too.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        partitions: u32,
        #[command(flatten)]
        args: ReactionsArgs,
        #[command(flatten)]
        time_bounds: TimeBoundsArgs,
    },
}

pub fn run(args: ProcessArgs) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.kind {
        Kind::Articles {
            files,
            args: articles,
            time_bounds,
        } => {
            let settings = articles.settings(&time_bounds)?;
            let mut pipeline = ArticlePipeline::new(
                &settings,
                std::sync::Arc::new(Enricher::builtin()),
                ArticleMetrics::unregistered(),
            );
            let topics = &settings.topics;
            let mut feed = Feed::new(&topics.raw, &topics.dead_letters, args.clock);
            for file in &files {
                // A file named .html is HTML whatever its first bytes, as a
                // crawler's `content-type` header would say.
                let headers: &[(&str, &[u8])] = if is_html_file(file) {
                    &[(CONTENT_TYPE_HEADER, b"text/html")]
                } else {
                    &[]
                };
                for payload in article_messages(file)? {
                    feed.emit(&mut pipeline, &payload, headers, &mut out)?;
                }
            }
        }
        Kind::Ticks {
            files,
            args: prices,
            time_bounds,
        } => {
            let settings = prices.settings(&time_bounds)?;
            let mut processor =
                PriceProcessor::new(&settings, Catalog::builtin(), PriceMetrics::unregistered());
            let topics = &settings.topics;
            let mut feed = Feed::new(&topics.ticks, &topics.dead_letters, args.clock);
            for file in &files {
                for payload in tick_messages(file, &topics.ticks)? {
                    feed.emit(&mut processor, &payload, &[], &mut out)?;
                }
            }
        }
        Kind::Reactions {
            files,
            partitions,
            args: reactions,
            time_bounds,
        } => {
            let settings = reactions.settings(&time_bounds)?;
            let metrics = ReactionMetrics::unregistered();
            let mut router = MentionRouter::new(&settings, metrics.clone());
            let mut join = ReactionJoin::new(
                &settings,
                tickertape_market::sessions::TradingCalendar::builtin(),
                metrics,
            );
            let topics = &settings.topics;
            let mut stories = Feed::new(&topics.enriched, &topics.dead_letters, args.clock);
            let mut changes = Feed::new(&topics.changes, &topics.dead_letters, args.clock);
            let mut mentions = Feed::new(&topics.mentions, &topics.dead_letters, args.clock);
            let partition_of = |key: &[u8]| (crc32fast::hash(key) % partitions) as i32;
            for file in &files {
                for ReactionInput {
                    topic,
                    key,
                    payload,
                } in reaction_inputs(file, topics)?
                {
                    if topic == topics.changes {
                        let partition = key.as_deref().map_or(0, partition_of);
                        for record in
                            changes.records(&mut join, &payload, key.as_deref(), partition)
                        {
                            write_record(&record, &mut out)?;
                        }
                        continue;
                    }
                    // The service's two stages, with the internal topic in
                    // between: mentions go on to the join, dead letters out.
                    for record in stories.records(&mut router, &payload, None, 0) {
                        let Some(symbol) = record
                            .key
                            .as_deref()
                            .filter(|_| record.topic == topics.mentions)
                        else {
                            write_record(&record, &mut out)?;
                            continue;
                        };
                        let partition = partition_of(symbol);
                        for joined in
                            mentions.records(&mut join, &record.value, Some(symbol), partition)
                        {
                            write_record(&joined, &mut out)?;
                        }
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// Hands file messages to a processor as if they came from one partition of
/// `topic`, offsets counting up, and prints what it publishes.
struct Feed<'a> {
    topic: &'a str,
    dead_letter_topic: &'a str,
    clock: Option<DateTime<Utc>>,
    offset: i64,
}

impl<'a> Feed<'a> {
    fn new(topic: &'a str, dead_letter_topic: &'a str, clock: Option<DateTime<Utc>>) -> Self {
        Feed {
            topic,
            dead_letter_topic,
            clock,
            offset: 0,
        }
    }

    fn emit(
        &mut self,
        processor: &mut impl Processor,
        payload: &[u8],
        headers: &[(&str, &[u8])],
        out: &mut impl Write,
    ) -> anyhow::Result<()> {
        let input = Input {
            headers: headers.to_vec(),
            ..Input::unkeyed(self.topic, payload, self.clock.unwrap_or_else(Utc::now))
        };
        for record in &self.process(processor, input) {
            write_record(record, out)?;
        }
        Ok(())
    }

    /// What the processor makes of a keyed message of `partition`.
    fn records(
        &mut self,
        processor: &mut impl Processor,
        payload: &[u8],
        key: Option<&[u8]>,
        partition: i32,
    ) -> Vec<Record> {
        let input = Input {
            key,
            partition,
            ..Input::unkeyed(self.topic, payload, self.clock.unwrap_or_else(Utc::now))
        };
        self.process(processor, input)
    }

    /// The input's records, or its dead letter; offsets count up.
    fn process(&mut self, processor: &mut impl Processor, input: Input<'_>) -> Vec<Record> {
        let input = Input {
            offset: self.offset,
            ..input
        };
        self.offset += 1;
        match processor.process(&input) {
            Outcome::Publish(records) => records,
            Outcome::Reject(rejection) => {
                tracing::warn!(topic = self.topic, offset = input.offset, reason = rejection.reason, detail = %rejection.detail, "Input dead-lettered.");
                vec![dead_letter(&input, &rejection, self.dead_letter_topic)]
            }
        }
    }
}

/// One JSON line for a record. Keys and header values are shown as text
/// (bytes that are not UTF-8 with replacement characters; the record
/// itself keeps them exact).
fn write_record(record: &Record, out: &mut impl Write) -> anyhow::Result<()> {
    let header_texts: Vec<(&str, std::borrow::Cow<'_, str>)> = record
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), String::from_utf8_lossy(v)))
        .collect();
    let headers: Vec<(&str, &str)> = header_texts.iter().map(|(k, v)| (*k, v.as_ref())).collect();
    let key = record.key.as_deref().map(String::from_utf8_lossy);
    let line = RecordLine {
        topic: &record.topic,
        key: key.as_deref(),
        headers: headers.iter().copied().collect(),
        value: value_of(&headers, &record.value),
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")?;
    Ok(())
}

fn read_all(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn is_html_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["html", "htm", "xhtml"].contains(&e.to_ascii_lowercase().as_str()))
}

fn is_jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl")
}

/// One message per line of a `.jsonl` file, else the whole file.
fn article_messages(path: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let bytes = read_all(path)?;
    if is_jsonl(path) {
        Ok(bytes
            .split(|&b| b == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .map(<[u8]>::to_vec)
            .collect())
    } else {
        Ok(vec![bytes])
    }
}

/// One message per non-blank line. A line that is a `tickertape process`
/// record is unwrapped if it is for the ticks topic and skipped otherwise,
/// so `process articles … | process ticks -` chains the two services.
fn tick_messages(path: &Path, ticks_topic: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    let bytes = read_all(path)?;
    let mut messages = Vec::new();
    for raw_line in bytes.split(|&b| b == b'\n') {
        let raw_line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
        let Ok(line) = std::str::from_utf8(raw_line) else {
            // Not UTF-8: passed on as it is, for the processor to dead-letter.
            messages.push(raw_line.to_vec());
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        match record_value(line) {
            Some((topic, value)) if topic == ticks_topic => messages.push(value.into_bytes()),
            Some(_) => {}
            None => messages.push(raw_line.to_vec()),
        }
    }
    Ok(messages)
}

/// One input of the reactions service, read from a file.
struct ReactionInput {
    topic: String,
    key: Option<Vec<u8>>,
    payload: Vec<u8>,
}

/// The article events and price changes of a file, in order, with their
/// topic: a `tickertape process` record line by its topic (lines of other
/// topics skipped), a bare event by its schema.
fn reaction_inputs(
    path: &Path,
    topics: &tickertape_reactions::config::ReactionTopics,
) -> anyhow::Result<Vec<ReactionInput>> {
    let bytes = read_all(path)?;
    let mut inputs = Vec::new();
    for (number, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let Ok(line) = std::str::from_utf8(line) else {
            anyhow::bail!("{} line {}: not UTF-8", path.display(), number + 1);
        };
        if line.trim().is_empty() {
            continue;
        }
        // One parse per line: a record, a bare event, or neither.
        let parsed = serde_json::from_str::<serde_json::Value>(line).ok();
        let field = |name: &str| parsed.as_ref().and_then(|v| v.get(name)?.as_str());
        if let (Some(topic), Some(value)) =
            (field("topic"), parsed.as_ref().and_then(|v| v.get("value")))
        {
            if topic == topics.enriched || topic == topics.changes {
                inputs.push(ReactionInput {
                    topic: topic.to_owned(),
                    key: field("key").map(|k| k.as_bytes().to_vec()),
                    payload: value.to_string().into_bytes(),
                });
            }
            continue;
        }
        let (topic, key) = match field("schema") {
            // A price change is keyed by its symbol, as the prices service keys it.
            Some(tickertape_reactions::processor::PRICE_CHANGE_SCHEMA) => (
                &topics.changes,
                field("symbol").map(|s| s.as_bytes().to_vec()),
            ),
            // Anything else is the router's to accept or dead-letter.
            _ => (&topics.enriched, None),
        };
        inputs.push(ReactionInput {
            topic: topic.clone(),
            key,
            payload: line.as_bytes().to_vec(),
        });
    }
    Ok(inputs)
}

fn record_value(line: &str) -> Option<(String, String)> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let topic = value.get("topic")?.as_str()?.to_owned();
    let inner = value.get("value")?;
    Some((topic, inner.to_string()))
}
