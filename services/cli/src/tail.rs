//! `tickertape tail TOPIC`: follow a topic and print its events readably.

use futures::StreamExt;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use tickertape_core::config::KafkaArgs;

use crate::output::{message_value, readable};

#[derive(clap::Args)]
pub struct TailArgs {
    /// The topic to follow.
    topic: String,
    #[command(flatten)]
    kafka: KafkaArgs,
    /// Start from the oldest message instead of new ones only.
    #[arg(long)]
    from_beginning: bool,
    /// Print JSON values, one per line.
    #[arg(long)]
    json: bool,
    /// Only events for this symbol.
    #[arg(long)]
    symbol: Option<String>,
    /// Only events of this story.
    #[arg(long)]
    story: Option<String>,
}

pub async fn run(args: TailArgs) -> anyhow::Result<()> {
    crate::check_access(&args.kafka).await?;
    let group = format!("tickertape-tail-{}", std::process::id());
    let consumer: StreamConsumer = args
        .kafka
        .client_config(&[
            ("group.id", &group),
            ("enable.auto.commit", "false"),
            (
                "auto.offset.reset",
                if args.from_beginning {
                    "earliest"
                } else {
                    "latest"
                },
            ),
            ("isolation.level", "read_committed"),
        ])
        .create()?;
    consumer.subscribe(&[&args.topic])?;
    let mut stream = consumer.stream();
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            message = stream.next() => {
                let Some(message) = message else { return Ok(()) };
                let message = match message {
                    Ok(message) => message,
                    // The broker away or restarting: the client reconnects.
                    Err(error) => {
                        eprintln!("tail: {error}; retrying");
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                        continue;
                    }
                };
                let value = message_value(&message);
                let field = |name: &str| value.get(name).and_then(|v| v.as_str());
                if args.symbol.as_deref().is_some_and(|s| field("symbol") != Some(s))
                    || args.story.as_deref().is_some_and(|s| field("story_id") != Some(s))
                {
                    continue;
                }
                if args.json {
                    println!("{value}");
                } else {
                    println!("{}", readable(message.topic(), &value));
                }
            }
        }
    }
}
