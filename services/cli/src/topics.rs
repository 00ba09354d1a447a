//! `tickertape topics create`: every topic the pipeline needs, idempotently,
//! and a report of how the existing ones are set.

use tickertape_articles::config::{ArticleTopics, ArticlesArgs};
use tickertape_core::admin::{create_topics, describe_topics, TopicSpec, TopicStatus};
use tickertape_core::config::KafkaArgs;
use tickertape_core::runtime::changelog::{changelog_spec, changelog_topic};
use tickertape_prices::config::{PriceTopics, PricesArgs};
use tickertape_processor::settings::TimeBoundsArgs;
use tickertape_reactions::config::{ReactionOwnTopicsArgs, ReactionTopics};

/// The settings `topics create` sets, and reports for existing topics.
const REPORTED_SETTINGS: [&str; 3] = ["cleanup.policy", "retention.ms", "min.insync.replicas"];

#[derive(clap::Args)]
pub struct TopicsArgs {
    #[command(subcommand)]
    command: TopicsCommand,
}

#[derive(clap::Subcommand)]
enum TopicsCommand {
    /// Create every input, output, dead-letter and changelog topic that does
    /// not exist yet; report the settings of those that do (never altered).
    Create {
        #[command(flatten)]
        kafka: KafkaArgs,
        /// Partitions of each topic (the internal articles.parsed topic always has one).
        #[arg(long, env = "TICKERTAPE_TOPIC_PARTITIONS", default_value_t = 3)]
        partitions: i32,
        /// Replicas of each topic.
        #[arg(long, env = "TICKERTAPE_REPLICATION_FACTOR", default_value_t = 1)]
        replication_factor: i32,
        /// Another partition count for one topic, as `NAME=N` (repeatable).
        #[arg(long = "partitions-for", value_parser = parse_override)]
        partitions_for: Vec<(String, i32)>,
        /// `retention.ms` of input, output and internal topics (7 days).
        #[arg(long, env = "TICKERTAPE_RETENTION_MS", default_value_t = 7 * 86_400_000)]
        retention_ms: u64,
        /// `retention.ms` of dead-letter topics (30 days: time to look and replay).
        #[arg(
            long,
            env = "TICKERTAPE_DEAD_LETTER_RETENTION_MS",
            default_value_t = 30 * 86_400_000
        )]
        dead_letter_retention_ms: u64,
        /// The articles service's consumer group (its changelog is named after it).
        #[arg(
            long,
            env = "TICKERTAPE_ARTICLES_GROUP_ID",
            default_value = "tickertape-articles"
        )]
        articles_group_id: String,
        /// The prices service's consumer group (its changelog is named after it).
        #[arg(
            long,
            env = "TICKERTAPE_PRICES_GROUP_ID",
            default_value = "tickertape-prices"
        )]
        prices_group_id: String,
        /// The reactions service's consumer group (its join's changelog is named after it).
        #[arg(
            long,
            env = "TICKERTAPE_REACTIONS_GROUP_ID",
            default_value = "tickertape-reactions"
        )]
        reactions_group_id: String,
        #[command(flatten)]
        articles: ArticlesArgs,
        #[command(flatten)]
        prices: PricesArgs,
        #[command(flatten)]
        reactions: ReactionOwnTopicsArgs,
    },
}

/// Every topic of the three services, each once.
pub fn all_topics(
    articles: &ArticleTopics,
    prices: &PriceTopics,
    reactions: &ReactionTopics,
    partitions: i32,
) -> Vec<TopicSpec> {
    let mut topics = tickertape_wiring::articles::topics(articles, partitions);
    for spec in tickertape_wiring::prices::topics(prices, partitions)
        .into_iter()
        .chain(tickertape_wiring::reactions::topics(reactions, partitions))
    {
        if !topics.iter().any(|t| t.name == spec.name) {
            topics.push(spec);
        }
    }
    topics
}

pub async fn run(args: TopicsArgs) -> anyhow::Result<()> {
    let TopicsCommand::Create {
        kafka,
        partitions,
        replication_factor,
        partitions_for,
        retention_ms,
        dead_letter_retention_ms,
        articles_group_id,
        prices_group_id,
        reactions_group_id,
        articles,
        prices,
        reactions,
    } = args.command;
    crate::check_access(&kafka).await?;
    // Only the topic names are needed here; the input clocks are the services'.
    let articles = articles.settings(&TimeBoundsArgs::default())?.topics;
    let prices = prices.settings(&TimeBoundsArgs::default())?.topics;
    let reactions = reactions.topics(&articles.enriched, &prices.changes);
    let mut specs = all_topics(&articles, &prices, &reactions, partitions);
    for (name, count) in partitions_for {
        let spec = specs
            .iter_mut()
            .find(|spec| spec.name == name)
            .ok_or_else(|| anyhow::anyhow!("--partitions-for: no topic named {name}"))?;
        spec.partitions = count;
    }
    // The join reads partition n of the price changes and the mentions
    // together: the mentions follow the price changes' count.
    let changes_partitions = specs
        .iter()
        .find(|spec| spec.name == prices.changes)
        .map_or(partitions, |spec| spec.partitions);
    if let Some(mentions) = specs
        .iter_mut()
        .find(|spec| spec.name == reactions.mentions)
    {
        mentions.partitions = changes_partitions;
    }
    let dead_letters = [
        &articles.dead_letters,
        &prices.dead_letters,
        &reactions.dead_letters,
    ];
    for spec in &mut specs {
        let retention = if dead_letters.contains(&&spec.name) {
            dead_letter_retention_ms
        } else {
            retention_ms
        };
        spec.settings
            .push(("retention.ms".into(), retention.to_string()));
    }
    // Changelogs are partitioned like their stage's input: the dedupe stage
    // reads the one-partition parsed topic, the prices service ticks.raw.
    let partitions_of = |topic: &str| {
        specs
            .iter()
            .find(|spec| spec.name == topic)
            .map_or(partitions, |spec| spec.partitions)
    };
    let changelogs = [
        changelog_spec(
            &changelog_topic(&format!("{articles_group_id}-dedupe"), "stories"),
            partitions_of(&articles.parsed),
        ),
        changelog_spec(
            &changelog_topic(&prices_group_id, "state"),
            partitions_of(&prices.ticks),
        ),
        changelog_spec(
            &changelog_topic(&format!("{reactions_group_id}-join"), "tape"),
            partitions_of(&prices.changes),
        ),
    ];
    specs.extend(changelogs);

    let statuses = create_topics(&kafka, &specs, replication_factor).await?;
    let existing: Vec<&str> = statuses
        .iter()
        .filter(|(_, status)| matches!(status, TopicStatus::Existed { .. }))
        .map(|(name, _)| name.as_str())
        .collect();
    let states = describe_topics(&kafka, &existing, &REPORTED_SETTINGS).await?;
    for (name, status) in &statuses {
        let spec = specs.iter().find(|spec| &spec.name == name);
        match status {
            TopicStatus::Created => println!("created  {name}"),
            TopicStatus::Existed { .. } => {
                let Some(state) = states.iter().find(|state| &state.name == name) else {
                    println!("existed  {name}");
                    continue;
                };
                let settings: Vec<String> = state
                    .settings
                    .iter()
                    .map(|(key, value)| format!("{key}={value}"))
                    .collect();
                println!(
                    "existed  {name} partitions={} replication={} {}",
                    state.partitions,
                    state.replication_factor,
                    settings.join(" ")
                );
                for difference in spec
                    .map(|spec| differences(spec, state))
                    .unwrap_or_default()
                {
                    println!("         differs: {difference} (left as it is)");
                }
            }
        }
    }
    Ok(())
}

/// How an existing topic differs from what `topics create` would have made.
fn differences(spec: &TopicSpec, state: &tickertape_core::admin::TopicState) -> Vec<String> {
    let mut found = Vec::new();
    if usize::try_from(spec.partitions).ok() != Some(state.partitions) {
        found.push(format!(
            "{} partitions, wanted {}",
            state.partitions, spec.partitions
        ));
    }
    for (key, wanted) in &spec.settings {
        match state.settings.get(key) {
            Some(actual) if actual == wanted => {}
            Some(actual) => found.push(format!("{key}={actual}, wanted {wanted}")),
            None => {}
        }
    }
    found
}

fn parse_override(text: &str) -> Result<(String, i32), String> {
    let (name, count) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=N, got {text:?}"))?;
    let count: i32 = count
        .parse()
        .map_err(|_| format!("not a partition count: {count:?}"))?;
    if count < 1 {
        return Err("a topic needs at least one partition".into());
    }
    Ok((name.to_owned(), count))
}
