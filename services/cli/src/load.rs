//! `tickertape load ticks|articles`: realistic input for a running pipeline,
//! at a steady rate.
//!
//! - ticks: a random walk per reference symbol (the built-in catalog), with
//!   a share of exact repeats (a feed's retransmissions) and of late ticks
//!   (older than the symbol's newest), keyed by symbol;
//! - articles: pages in the network's template (site, strip, title, photo,
//!   paragraphs, signature) as JSON envelopes, with a share of syndicated
//!   copies (the same story on another site) and of updates (the same story
//!   with its last paragraph rewritten), keyed by URL.
//!
//! The generators are plain iterators, seeded (`--seed`) for repeatable
//! runs; the producer paces them. A progress bar shows on a terminal and
//! stays silent when the output is piped.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use tickertape_core::config::KafkaArgs;
use tickertape_market::instruments::Catalog;

#[derive(clap::Args)]
pub struct LoadArgs {
    #[command(subcommand)]
    kind: Kind,
}

/// What every kind of load takes.
#[derive(clap::Args)]
struct Common {
    #[command(flatten)]
    kafka: KafkaArgs,
    /// Messages per second.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// Messages in all.
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// Seed of the generator: the same seed, the same messages.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(clap::Subcommand)]
enum Kind {
    /// Ticks for the reference symbols on the ticks topic.
    Ticks {
        #[command(flatten)]
        common: Common,
        /// The topic to write to.
        #[arg(long, env = "TICKERTAPE_TICKS_TOPIC", default_value = "ticks.raw")]
        topic: String,
        /// Share of ticks that repeat the symbol's previous one exactly.
        #[arg(long, default_value_t = 0.10)]
        repeat_share: f64,
        /// Share of ticks older than the symbol's newest.
        #[arg(long, default_value_t = 0.03)]
        late_share: f64,
    },
    /// Raw pages (JSON envelopes) on the raw-pages topic.
    Articles {
        #[command(flatten)]
        common: Common,
        /// The topic to write to.
        #[arg(
            long,
            env = "TICKERTAPE_ARTICLES_RAW_TOPIC",
            default_value = "articles.raw"
        )]
        topic: String,
        /// Share of pages that are another site's copy of an earlier story.
        #[arg(long, default_value_t = 0.20)]
        copy_share: f64,
        /// Share of pages that update an earlier story.
        #[arg(long, default_value_t = 0.10)]
        update_share: f64,
    },
}

/// Keyed messages, generated.
type Messages = Box<dyn Iterator<Item = (String, Vec<u8>)> + Send>;

pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    let (common, topic, messages): (Common, String, Messages) = match args.kind {
        Kind::Ticks {
            common,
            topic,
            repeat_share,
            late_share,
        } => {
            check_share("--repeat-share", repeat_share)?;
            check_share("--late-share", late_share)?;
            let walk = TickWalk::new(common.seed, &Catalog::builtin(), repeat_share, late_share);
            (common, topic, Box::new(walk))
        }
        Kind::Articles {
            common,
            topic,
            copy_share,
            update_share,
        } => {
            check_share("--copy-share", copy_share)?;
            check_share("--update-share", update_share)?;
            let pages = PageStream::new(common.seed, copy_share, update_share);
            (common, topic, Box::new(pages))
        }
    };
    anyhow::ensure!(common.rate > 0, "--rate must be at least 1");
    crate::check_access(&common.kafka).await?;
    tokio::task::spawn_blocking(move || {
        send(&common.kafka, &topic, messages, common.rate, common.count)
    })
    .await?
}

fn check_share(flag: &str, share: f64) -> anyhow::Result<()> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&share),
        "{flag} must be between 0 and 1, got {share}"
    );
    Ok(())
}

/// Produces `count` messages at `rate` a second, with a progress bar on a
/// terminal; waits until every one is acknowledged.
fn send(
    kafka: &KafkaArgs,
    topic: &str,
    messages: impl Iterator<Item = (String, Vec<u8>)>,
    rate: u32,
    count: u64,
) -> anyhow::Result<()> {
    let producer: ThreadedProducer<Deliveries> = kafka
        .client_config(&[
            ("enable.idempotence", "true"),
            ("linger.ms", "5"),
            ("compression.type", "lz4"),
            ("delivery.report.only.error", "true"),
        ])
        .create_with_context(Deliveries::default())
        .context("creating the producer")?;
    let progress = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(count)
    } else {
        indicatif::ProgressBar::hidden()
    };
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos}/{len} messages to {msg} [{elapsed_precise}] {per_sec} eta {eta}",
        )
        .context("the progress template")?,
    );
    progress.set_message(topic.to_owned());
    let started = Instant::now();
    for (sent, (key, value)) in messages.take(count as usize).enumerate() {
        // Paced against the start, not the previous message: no drift.
        let due = started + Duration::from_secs_f64(sent as f64 / f64::from(rate));
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let mut record = BaseRecord::to(topic).key(&key).payload(&value);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    returned,
                )) => {
                    record = returned;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err((error, _)) => return Err(error).context(format!("producing to {topic}")),
            }
        }
        progress.inc(1);
    }
    producer
        .flush(Duration::from_secs(60))
        .context("waiting for the last messages to be acknowledged")?;
    progress.finish_and_clear();
    let failures = producer.context();
    let failed = failures.failed.load(std::sync::atomic::Ordering::Relaxed);
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {count} messages to {topic} were not delivered; the first: {}",
            failures.first.lock().map(|f| f.clone()).unwrap_or_default()
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "load: {count} messages to {topic} in {seconds:.1} s ({:.0}/s)",
        count as f64 / seconds.max(1e-9)
    );
    Ok(())
}

/// The producer's context: failed deliveries, counted.
#[derive(Default)]
struct Deliveries {
    failed: std::sync::atomic::AtomicU64,
    first: std::sync::Mutex<String>,
}

impl rdkafka::ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((error, _)) = result {
            if self
                .failed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                == 0
            {
                if let Ok(mut first) = self.first.lock() {
                    *first = error.to_string();
                }
            }
        }
    }
}

/// A symbol's walk: its price in cents, its clock and its last tick.
struct Walk {
    symbol: String,
    currency: String,
    cents: i64,
    clock: DateTime<Utc>,
    seq: u64,
    last: Option<Vec<u8>>,
}

/// Ticks for every listed symbol of a catalog, as a random walk.
pub struct TickWalk {
    rng: StdRng,
    walks: Vec<Walk>,
    repeat_share: f64,
    late_share: f64,
}

impl TickWalk {
    /// A walk over `catalog`'s listings, starting now.
    pub fn new(seed: u64, catalog: &Catalog, repeat_share: f64, late_share: f64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let now = Utc::now();
        let walks = catalog
            .listings()
            .iter()
            .map(|listing| Walk {
                symbol: listing.symbol.clone(),
                currency: listing.currency.clone(),
                cents: rng.random_range(500..50_000),
                clock: now,
                seq: 0,
                last: None,
            })
            .collect();
        TickWalk {
            rng,
            walks,
            repeat_share,
            late_share,
        }
    }
}

impl Iterator for TickWalk {
    type Item = (String, Vec<u8>);

    fn next(&mut self) -> Option<Self::Item> {
        let index = self.rng.random_range(0..self.walks.len().max(1));
        let roll: f64 = self.rng.random();
        let walk = self.walks.get_mut(index)?;
        if roll < self.repeat_share {
            if let Some(last) = &walk.last {
                return Some((walk.symbol.clone(), last.clone()));
            }
        }
        let ts = if roll < self.repeat_share + self.late_share {
            walk.clock - chrono::Duration::milliseconds(self.rng.random_range(1_000..30_000))
        } else {
            walk.clock += chrono::Duration::milliseconds(self.rng.random_range(50..2_000));
            let step: i64 = self.rng.random_range(-40..=40);
            walk.cents = (walk.cents + step).max(1);
            walk.clock
        };
        walk.seq += 1;
        let tick = serde_json::json!({
            "symbol": walk.symbol,
            "price": format!("{}.{:02}", walk.cents / 100, walk.cents % 100),
            "ts": ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "currency": walk.currency,
            "seq": walk.seq,
            "source": "tickertape-load",
        });
        let bytes = tick.to_string().into_bytes();
        walk.last = Some(bytes.clone());
        Some((walk.symbol.clone(), bytes))
    }
}

/// Sites of the network: name, code, edition.
const SITES: &[(&str, &str, &str)] = &[
    ("Berliner Tageblatt", "BTB", "en"),
    ("Athens News", "ATN", "en"),
    ("Gulf Courier", "GCR", "en"),
    ("Lisbon Ledger", "LSL", "en"),
    ("Baltic Times Online", "BTO", "en"),
    ("Adriatic Post", "ADP", "en"),
];

const WORDS: &[&str] = &[
    "government",
    "ministers",
    "agreed",
    "talks",
    "energy",
    "prices",
    "exports",
    "central",
    "bank",
    "rates",
    "inflation",
    "markets",
    "investors",
    "shares",
    "growth",
    "outlook",
    "officials",
    "said",
    "would",
    "report",
    "week",
    "border",
    "trade",
    "deal",
    "tariffs",
    "summit",
    "parliament",
    "vote",
    "coalition",
    "budget",
    "shipping",
    "supply",
    "demand",
    "record",
    "quarter",
    "profit",
    "company",
    "union",
    "strike",
    "workers",
    "ports",
];

const AUTHORS: &[&str] = &[
    "K.Thomson",
    "A.Park",
    "M.Kowalski",
    "D.Evans",
    "S.Shah",
    "B.Marsh",
];

const STRIP: &[&str] = &[
    "BP 1.44% 28.57 $",
    "VOD -0.31% 9.71 $",
    "GSK 0.52% 38.10 $",
    "RIO -1.02% 61.35 $",
];

/// A story as published: its title and paragraphs.
#[derive(Clone)]
struct Story {
    title: String,
    paragraphs: Vec<String>,
}

/// Pages of new stories, copies and updates, as JSON envelopes.
pub struct PageStream {
    rng: StdRng,
    stories: Vec<(Story, usize)>,
    copy_share: f64,
    update_share: f64,
    count: u64,
}

impl PageStream {
    /// A stream with these shares of copies and updates.
    pub fn new(seed: u64, copy_share: f64, update_share: f64) -> Self {
        PageStream {
            rng: StdRng::seed_from_u64(seed),
            stories: Vec::new(),
            copy_share,
            update_share,
            count: 0,
        }
    }

    fn sentence(&mut self) -> String {
        let length = self.rng.random_range(12..24);
        let words: Vec<&str> = (0..length)
            .map(|_| WORDS[self.rng.random_range(0..WORDS.len())])
            .collect();
        let mut sentence = words.join(" ");
        sentence[..1].make_ascii_uppercase();
        sentence + "."
    }

    fn paragraph(&mut self) -> String {
        let sentences = self.rng.random_range(2..4);
        (0..sentences)
            .map(|_| self.sentence())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Iterator for PageStream {
    type Item = (String, Vec<u8>);

    fn next(&mut self) -> Option<Self::Item> {
        self.count += 1;
        let roll: f64 = self.rng.random();
        let (story, site) = if !self.stories.is_empty() && roll < self.copy_share {
            // Another site of the network runs the same wire story.
            let (story, _) = self.stories[self.rng.random_range(0..self.stories.len())].clone();
            (story, self.rng.random_range(0..SITES.len()))
        } else if !self.stories.is_empty() && roll < self.copy_share + self.update_share {
            // The first site rewrites the story's last paragraph.
            let index = self.rng.random_range(0..self.stories.len());
            let rewritten = self.paragraph();
            let (story, site) = &mut self.stories[index];
            if let Some(last) = story.paragraphs.last_mut() {
                *last = rewritten;
            }
            (story.clone(), *site)
        } else {
            // A headline: a sentence's first words, numbered so no two collide.
            let sentence = self.sentence();
            let words: Vec<&str> = sentence.trim_end_matches('.').split(' ').take(8).collect();
            let title = format!("{} {}", words.join(" "), self.count);
            let paragraphs = (0..self.rng.random_range(6..12))
                .map(|_| self.paragraph())
                .collect();
            let story = Story { title, paragraphs };
            let site = self.rng.random_range(0..SITES.len());
            self.stories.push((story.clone(), site));
            (story, site)
        };
        let (name, code, edition) = SITES[site];
        let author = AUTHORS[self.rng.random_range(0..AUTHORS.len())];
        let mut lines = vec![
            format!("{name} - {}", story.title),
            String::new(),
            "NYSE - LSE".into(),
        ];
        lines.extend(STRIP.iter().map(|line| (*line).to_owned()));
        lines.extend([String::new(), story.title.clone(), String::new()]);
        let mut paragraphs = story.paragraphs.iter();
        if let Some(lede) = paragraphs.next() {
            lines.extend([
                lede.clone(),
                String::new(),
                "Text size:".into(),
                String::new(),
            ]);
        }
        for paragraph in paragraphs {
            lines.extend([paragraph.clone(), String::new()]);
        }
        lines.push(format!("{author}--{code}"));
        let url = format!(
            "https://{}.example/{edition}/World/{}.html",
            code.to_ascii_lowercase(),
            self.count
        );
        let envelope = serde_json::json!({
            "url": url,
            "fetched_at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "site": name,
            "body": lines.join("\n") + "\n",
        });
        Some((url, envelope.to_string().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickertape_articles::processor::ArticlePipeline;
    use tickertape_processor::{Input, Outcome, Processor};

    #[test]
    fn the_tick_walk_repeats_and_is_late_in_about_the_shares_asked() {
        let ticks: Vec<(String, Vec<u8>)> = TickWalk::new(7, &Catalog::builtin(), 0.10, 0.05)
            .take(5_000)
            .collect();
        let mut repeats = 0;
        let mut last: std::collections::HashMap<&str, &[u8]> = Default::default();
        for (symbol, bytes) in &ticks {
            if last.insert(symbol, bytes) == Some(bytes.as_slice()) {
                repeats += 1;
            }
            let tick = tickertape_market::tick::parse_tick(bytes, Utc::now()).unwrap();
            assert_eq!(&*tick.symbol, symbol, "keyed by its symbol");
        }
        assert!((350..650).contains(&repeats), "{repeats} repeats of 5,000");
        let again: Vec<_> = TickWalk::new(7, &Catalog::builtin(), 0.10, 0.05)
            .take(50)
            .collect();
        assert_eq!(
            again.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ticks[..50].iter().map(|(k, _)| k).collect::<Vec<_>>(),
            "the same seed, the same symbols"
        );
    }

    #[test]
    fn generated_pages_are_stories_copies_and_updates_to_the_pipeline() {
        let mut pipeline = ArticlePipeline::new(
            &Default::default(),
            std::sync::Arc::new(tickertape_articles::enrich::Enricher::builtin()),
            tickertape_articles::metrics::ArticleMetrics::unregistered(),
        );
        let mut statuses = std::collections::BTreeMap::<String, usize>::new();
        for (offset, (_, page)) in PageStream::new(3, 0.2, 0.1).take(300).enumerate() {
            let input = Input {
                offset: offset as i64,
                ..Input::unkeyed("articles.raw", &page, Utc::now())
            };
            let Outcome::Publish(records) = pipeline.process(&input) else {
                panic!(
                    "a generated page was refused: {}",
                    String::from_utf8_lossy(&page)
                );
            };
            for record in records.iter().filter(|r| r.topic != "ticks.raw") {
                let value: serde_json::Value = serde_json::from_slice(&record.value).unwrap();
                let status = value
                    .pointer("/dedupe/status")
                    .and_then(|s| s.as_str())
                    .unwrap_or("duplicate");
                *statuses.entry(status.to_owned()).or_default() += 1;
            }
        }
        for status in ["new", "update", "duplicate"] {
            assert!(
                statuses.get(status).copied().unwrap_or(0) > 10,
                "{statuses:?}"
            );
        }
    }
}
