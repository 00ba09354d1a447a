//! `tickertape`, the operator's tool.
//!
//! - `demo`: the whole pipeline on an embedded broker, with sample inputs.
//! - `process articles|ticks|reactions FILE...`: the services' processors over files, no Kafka.
//! - `topics create`: every topic the pipeline needs, idempotently.
//! - `tail TOPIC`: follow an output topic, readably.

mod demo;
mod load;
mod output;
mod process;
mod redrive;
mod samples;
mod tail;
mod topics;

use clap::{Parser, Subcommand};
use tickertape_core::telemetry::{self, LogFormat};

// mimalloc: the services allocate many small, short-lived objects per message.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tickertape",
    version,
    about = "Operate the tickertape pipeline."
)]
struct Cli {
    /// Log line format (the level comes from `RUST_LOG`).
    #[arg(
        long,
        global = true,
        env = "TICKERTAPE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run both services on an embedded Kafka broker with sample inputs.
    Demo(demo::DemoArgs),
    /// Run a service's processor over files, without Kafka; JSON lines out.
    Process(process::ProcessArgs),
    /// Manage the pipeline's topics.
    Topics(Box<topics::TopicsArgs>),
    /// Follow a topic and print its events readably.
    Tail(tail::TailArgs),
    /// Replay dead letters to their source topic (or another), as the
    /// original messages; filtered, rate-limited, resumable.
    Redrive(redrive::RedriveArgs),
    /// Write realistic ticks or pages to a topic at a steady rate: a random
    /// walk with repeats and late ticks, stories with copies and updates.
    Load(load::LoadArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    match cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Process(args) => process::run(args),
        Command::Topics(args) => topics::run(*args).await,
        Command::Tail(args) => tail::run(args).await,
        Command::Redrive(args) => redrive::run(args).await,
        Command::Load(args) => load::run(args).await,
    }
}

/// Fails fast, naming the broker, when it refuses the configured
/// credentials or certificate (a blocking metadata request, off the async
/// workers).
async fn check_access(kafka: &tickertape_core::config::KafkaArgs) -> anyhow::Result<()> {
    let kafka = kafka.clone();
    tokio::task::spawn_blocking(move || {
        tickertape_core::admin::check_access(&kafka, std::time::Duration::from_secs(10))
    })
    .await??;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
