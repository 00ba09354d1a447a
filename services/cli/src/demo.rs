//! `tickertape demo`: the whole pipeline on an embedded broker.
//!
//! librdkafka's mock cluster is a Kafka-protocol peer in this process. The
//! three services run here as they run in production, on their own consumer
//! groups; the sample pages and ticks go in, the output topics are printed.
//! The mock cluster implements no transactions and keeps about 100,000
//! messages per partition: it is for trying things, not for evidence.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord};
use tickertape_articles::config::{ArticleTopics, ArticlesArgs, ArticlesSettings};
use tickertape_articles::input::{FETCHED_AT_HEADER, URL_HEADER};
use tickertape_core::admin::group_lag;
use tickertape_core::config::{Guarantee, KafkaArgs, ServiceArgs};
use tickertape_core::runtime::changelog::changelog_topic;
use tickertape_core::telemetry::LogFormat;
use tickertape_core::{shutdown, ProcessHost};
use tickertape_prices::config::{PricesArgs, PricesSettings};
use tickertape_processor::settings::TimeBoundsArgs;
use tickertape_reactions::config::ReactionsArgs;
use tokio_util::sync::CancellationToken;

use crate::output::{message_value, readable};
use crate::samples::{ENVELOPES, PAGES, TICKS};
use crate::topics::all_topics;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Print events as JSON lines instead of readable lines.
    #[arg(long)]
    json: bool,
    /// Stop once every sample input has been processed and printed.
    #[arg(long)]
    once: bool,
    /// Where to serve /metrics, /healthz and /readyz.
    #[arg(
        long,
        env = "TICKERTAPE_METRICS_ADDR",
        default_value = "127.0.0.1:9464"
    )]
    metrics_addr: SocketAddr,
    /// Partitions of each topic.
    #[arg(long, default_value_t = 3)]
    partitions: i32,
    /// With --once: give up after this many seconds.
    #[arg(long, default_value_t = 120)]
    timeout_s: u64,
}

/// Where the demo's prices service sends late ticks.
const DEMO_LATE_TICKS_TOPIC: &str = "ticks.late";

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let cluster = MockCluster::new(1).context("starting the embedded broker")?;
    let brokers = cluster.bootstrap_servers();
    let articles = ArticlesArgs::defaults().settings(&TimeBoundsArgs::default())?;
    let mut prices = PricesArgs::defaults().settings(&TimeBoundsArgs::default())?;
    // Late ticks are dropped (and counted) unless a topic is named: the
    // demo names one, so that they are shown too.
    prices.topics.late_ticks = Some(DEMO_LATE_TICKS_TOPIC.to_owned());
    let reactions = ReactionsArgs::defaults().settings(&TimeBoundsArgs::default())?;
    let topics = all_topics(
        &articles.topics,
        &prices.topics,
        &reactions.topics,
        args.partitions,
    );
    for spec in &topics {
        cluster.create_topic(&spec.name, spec.partitions, 1)?;
    }
    // The embedded broker has no CreateTopics: make the services' changelogs here.
    cluster.create_topic(
        &changelog_topic("tickertape-articles-dedupe", "stories"),
        1,
        1,
    )?;
    cluster.create_topic(
        &changelog_topic("tickertape-prices", "state"),
        args.partitions,
        1,
    )?;
    cluster.create_topic(
        &changelog_topic("tickertape-reactions-join", "tape"),
        args.partitions,
        1,
    )?;

    let shutdown = shutdown::on_signal();
    let host = ProcessHost::new();
    let metrics_addr = host.serve(args.metrics_addr, shutdown.clone()).await?;
    eprintln!("tickertape demo: embedded Kafka at {brokers}");
    eprintln!("tickertape demo: metrics at http://{metrics_addr}/metrics (also /healthz, /readyz)");

    let kafka = KafkaArgs {
        brokers: brokers.clone(),
        kafka_properties: Vec::new(),
    };
    let service = ServiceArgs {
        kafka: kafka.clone(),
        group_id: None,
        metrics_addr,
        log_format: LogFormat::Text,
        drain_timeout_ms: 5_000,
        max_in_flight: 10_000,
        max_output_bytes: 1_000_000,
        max_attempts: 5,
        // The embedded broker accepts transaction calls but stores neither
        // their offsets nor their aborts: the demo runs at-least-once.
        processing_guarantee: Guarantee::AtLeastOnce,
        commit_interval_ms: Some(100),
        instance_id: Some("demo".into()),
    };
    let mut articles_task = tokio::spawn({
        let (service, articles, host, stop) = (
            service.clone(),
            articles.clone(),
            host.clone(),
            shutdown.clone(),
        );
        async move { tickertape_wiring::articles::run(&service, &articles, &host, stop).await }
    });
    let mut prices_task = tokio::spawn({
        let (service, prices, host, stop) = (
            service.clone(),
            prices.clone(),
            host.clone(),
            shutdown.clone(),
        );
        async move { tickertape_wiring::prices::run(&service, &prices, &host, stop).await }
    });
    let mut reactions_task = tokio::spawn({
        let (service, reactions, host, stop) = (
            service.clone(),
            reactions.clone(),
            host.clone(),
            shutdown.clone(),
        );
        async move { tickertape_wiring::reactions::run(&service, &reactions, &host, stop).await }
    });

    let outputs = [
        articles.topics.enriched.as_str(),
        articles.topics.duplicates.as_str(),
        articles.topics.dead_letters.as_str(),
        prices.topics.changes.as_str(),
        prices.topics.alerts.as_str(),
        prices.topics.dead_letters.as_str(),
        reactions.topics.reactions.as_str(),
        reactions.topics.dead_letters.as_str(),
        DEMO_LATE_TICKS_TOPIC,
    ];
    let printer = print_outputs(
        kafka.clone(),
        &outputs,
        &articles.topics,
        args.json,
        shutdown.clone(),
    );
    let feeder = async {
        feed(&kafka, &articles, &prices, &shutdown).await?;
        eprintln!("tickertape demo: all sample inputs sent");
        Ok::<_, anyhow::Error>(())
    };
    let finished = async {
        feeder.await?;
        if args.once {
            wait_until_processed(
                &kafka,
                &outputs,
                &shutdown,
                Duration::from_secs(args.timeout_s),
            )
            .await?;
            shutdown.cancel();
        }
        Ok::<_, anyhow::Error>(())
    };
    let work = async { tokio::join!(printer, finished) };
    // A service that stops on its own has failed: stop the demo with its error.
    let (printed, finished) = tokio::select! {
        done = work => done,
        stopped = &mut articles_task => {
            shutdown.cancel();
            stopped??;
            anyhow::bail!("the articles service stopped");
        }
        stopped = &mut prices_task => {
            shutdown.cancel();
            stopped??;
            anyhow::bail!("the prices service stopped");
        }
        stopped = &mut reactions_task => {
            shutdown.cancel();
            stopped??;
            anyhow::bail!("the reactions service stopped");
        }
    };
    shutdown.cancel();
    let printed = printed?;
    finished?;
    articles_task.await??;
    prices_task.await??;
    reactions_task.await??;
    eprintln!("tickertape demo: {printed} output events printed");
    drop(cluster);
    Ok(())
}

/// Sends the pages, waits until the articles service has read them (so the
/// strips' ticks precede the feed's later ones), then sends the ticks.
async fn feed(
    kafka: &KafkaArgs,
    articles: &ArticlesSettings,
    prices: &PricesSettings,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let producer: FutureProducer = kafka
        .client_config(&[("enable.idempotence", "true")])
        .create()?;
    for page in PAGES {
        let headers = OwnedHeaders::new()
            .insert(Header {
                key: URL_HEADER,
                value: Some(page.url),
            })
            .insert(Header {
                key: FETCHED_AT_HEADER,
                value: Some(page.fetched_at),
            });
        // One partition keeps the samples in order, so the demo tells the
        // same story every run (which copy is the original, which the update).
        let record = FutureRecord::to(&articles.topics.raw)
            .partition(0)
            .key(page.url)
            .payload(page.text)
            .headers(headers);
        producer
            .send(record, Duration::from_secs(10))
            .await
            .map_err(|(e, _)| e)?;
    }
    for line in ENVELOPES.lines().filter(|l| !l.trim().is_empty()) {
        let record: FutureRecord<'_, str, str> = FutureRecord::to(&articles.topics.raw)
            .partition(0)
            .payload(line);
        producer
            .send(record, Duration::from_secs(10))
            .await
            .map_err(|(e, _)| e)?;
    }
    wait_for_groups(
        kafka,
        &[
            ("tickertape-articles", &articles.topics.raw),
            ("tickertape-articles-dedupe", &articles.topics.parsed),
        ],
        shutdown,
    )
    .await?;
    for line in TICKS.lines().filter(|l| !l.trim().is_empty()) {
        let symbol = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get("symbol").and_then(|s| s.as_str()).map(str::to_owned))
            .unwrap_or_else(|| {
                line.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            });
        let record = FutureRecord::to(&prices.topics.ticks)
            .key(&symbol)
            .payload(line);
        producer
            .send(record, Duration::from_secs(10))
            .await
            .map_err(|(e, _)| e)?;
    }
    Ok(())
}

/// Waits until each group has committed everything on its topic.
async fn wait_for_groups(
    kafka: &KafkaArgs,
    groups: &[(&str, &str)],
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    loop {
        let mut behind = 0;
        for (group, topic) in groups {
            let (kafka, group, topic) = (kafka.clone(), group.to_string(), topic.to_string());
            behind +=
                tokio::task::spawn_blocking(move || group_lag(&kafka, &group, &[&topic])).await??;
        }
        if behind == 0 || shutdown.is_cancelled() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits until every stage's consumer group has caught up and the printer
/// has read every output message.
async fn wait_until_processed(
    kafka: &KafkaArgs,
    outputs: &[&str],
    shutdown: &CancellationToken,
    timeout: Duration,
) -> anyhow::Result<()> {
    let articles = ArticlesArgs::defaults();
    let prices = PricesArgs::defaults();
    let reactions = ReactionsArgs::defaults();
    let groups = [
        ("tickertape-articles", articles.raw_topic.as_str()),
        ("tickertape-articles-dedupe", articles.parsed_topic.as_str()),
        ("tickertape-prices", prices.ticks_topic.as_str()),
        ("tickertape-reactions", reactions.enriched_topic.as_str()),
        (
            "tickertape-reactions-join",
            reactions.changes_topic.as_str(),
        ),
        (
            "tickertape-reactions-join",
            reactions.own_topics.mentions_topic.as_str(),
        ),
    ];
    let work = async {
        wait_for_groups(kafka, &groups, shutdown).await?;
        // The printer commits as it prints; its lag over the outputs reaching
        // zero means everything was shown.
        let (kafka, outputs): (KafkaArgs, Vec<String>) = (
            kafka.clone(),
            outputs.iter().map(|s| s.to_string()).collect(),
        );
        loop {
            let (k, o) = (kafka.clone(), outputs.clone());
            let lag = tokio::task::spawn_blocking(move || {
                let topics: Vec<&str> = o.iter().map(String::as_str).collect();
                group_lag(&k, "tickertape-demo-printer", &topics)
            })
            .await??;
            if lag == 0 || shutdown.is_cancelled() {
                return Ok::<_, anyhow::Error>(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| anyhow::anyhow!("inputs not processed within {} s", timeout.as_secs()))?
}

/// Prints every output as it arrives, except that a duplicate is held
/// back until its story has been printed: the two come from different
/// topics, whose messages a consumer may see in either order.
async fn print_outputs(
    kafka: KafkaArgs,
    topics: &[&str],
    articles: &ArticleTopics,
    json: bool,
    shutdown: CancellationToken,
) -> anyhow::Result<usize> {
    let consumer: StreamConsumer = kafka
        .client_config(&[
            ("group.id", "tickertape-demo-printer"),
            ("auto.offset.reset", "earliest"),
            ("enable.auto.commit", "true"),
            ("auto.commit.interval.ms", "200"),
        ])
        .create()?;
    consumer.subscribe(topics)?;
    let mut per_topic: BTreeMap<String, usize> = BTreeMap::new();
    let mut stories_shown: HashSet<String> = HashSet::new();
    let mut held_back: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let show = |per_topic: &mut BTreeMap<String, usize>, topic: &str, line: &str| {
        println!("{line}");
        *per_topic.entry(topic.to_owned()).or_default() += 1;
    };
    let mut stream = consumer.stream();
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            message = stream.next() => {
                let Some(message) = message else { break };
                let message = message?;
                let (topic, value) = (message.topic(), message_value(&message));
                let line = if json {
                    serde_json::json!({"topic": topic, "key": message.key().map(String::from_utf8_lossy), "value": value}).to_string()
                } else if topic == DEMO_LATE_TICKS_TOPIC {
                    // Counted in the summary; one line each would drown the events.
                    *per_topic.entry(topic.to_owned()).or_default() += 1;
                    continue;
                } else {
                    readable(topic, &value)
                };
                let story_id = value.get("story_id").and_then(|id| id.as_str()).unwrap_or_default().to_owned();
                if topic == articles.duplicates && !stories_shown.contains(&story_id) {
                    held_back.entry(story_id).or_default().push((topic.to_owned(), line));
                    continue;
                }
                show(&mut per_topic, topic, &line);
                if topic == articles.enriched {
                    for (topic, line) in held_back.remove(&story_id).unwrap_or_default() {
                        show(&mut per_topic, &topic, &line);
                    }
                    stories_shown.insert(story_id);
                }
            }
        }
    }
    // Copies of a story the demo never saw (it ran before): shown last.
    for (topic, line) in held_back.into_values().flatten() {
        show(&mut per_topic, &topic, &line);
    }
    let printed = per_topic
        .iter()
        .filter(|(topic, _)| json || topic.as_str() != DEMO_LATE_TICKS_TOPIC)
        .map(|(_, count)| count)
        .sum();
    for (topic, count) in per_topic {
        if topic == DEMO_LATE_TICKS_TOPIC {
            eprintln!("tickertape demo: {count:>4} late ticks on {topic} (older than their symbol's newest tick: kept out of the state)");
        } else {
            eprintln!("tickertape demo: {count:>4} on {topic}");
        }
    }
    Ok(printed)
}
