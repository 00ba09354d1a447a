//! `tickertape topics create`: every topic the pipeline needs, idempotently.

use tickertape_articles::config::ArticlesArgs;
use tickertape_core::admin::{create_topics, TopicSpec, TopicStatus};
use tickertape_core::config::KafkaArgs;
use tickertape_prices::config::PricesArgs;

#[derive(clap::Args)]
pub struct TopicsArgs {
    #[command(subcommand)]
    command: TopicsCommand,
}

#[derive(clap::Subcommand)]
enum TopicsCommand {
    /// Create every input, output and dead-letter topic that does not exist yet.
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
        #[command(flatten)]
        articles: ArticlesArgs,
        #[command(flatten)]
        prices: PricesArgs,
    },
}

/// Every topic of both services, each once.
pub fn all_topics(articles: &ArticlesArgs, prices: &PricesArgs, partitions: i32) -> Vec<TopicSpec> {
    let mut topics = tickertape_articles::service::topics(articles, partitions);
    for spec in tickertape_prices::service::topics(prices, partitions) {
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
        articles,
        prices,
    } = args.command;
    let mut specs = all_topics(&articles, &prices, partitions);
    for (name, count) in partitions_for {
        let spec = specs
            .iter_mut()
            .find(|spec| spec.name == name)
            .ok_or_else(|| anyhow::anyhow!("--partitions-for: no topic named {name}"))?;
        spec.partitions = count;
    }
    for (name, status) in create_topics(&kafka, &specs, replication_factor).await? {
        match status {
            TopicStatus::Created => println!("created  {name}"),
            TopicStatus::Existed { partitions } => {
                println!("existed  {name} ({partitions} partitions)")
            }
        }
    }
    Ok(())
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
