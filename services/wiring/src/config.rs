//! The service binaries' command lines, and what can stop a service.

use clap::{CommandFactory, FromArgMatches};
use tickertape_articles::config::ArticlesArgs;
use tickertape_core::config::{parse_naming_env, ServiceArgs};
use tickertape_prices::config::PricesArgs;
use tickertape_processor::settings::TimeBoundsArgs;
use tickertape_processor::SettingsError;
use tickertape_reactions::config::ReactionsArgs;

/// Why a service stopped (input problems never stop one: they are dead letters).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting is outside what the service accepts.
    #[error("configuration: {0}")]
    Settings(#[from] SettingsError),
    /// The runtime failed (Kafka, a changelog, the HTTP endpoint).
    #[error(transparent)]
    Runtime(#[from] tickertape_core::Error),
    /// The service's metrics could not be registered.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// Every flag of `tickertape-articles`.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "tickertape-articles",
    version,
    about = "Raw pages to enriched, deduplicated article events."
)]
pub struct ArticlesCommand {
    /// Settings shared by every service.
    #[command(flatten)]
    pub service: ServiceArgs,
    /// This service's topics and limits.
    #[command(flatten)]
    pub articles: ArticlesArgs,
    /// The times a page may claim.
    #[command(flatten)]
    pub time_bounds: TimeBoundsArgs,
}

/// Every flag of `tickertape-prices`.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "tickertape-prices",
    version,
    about = "Raw ticks to price-change events and alerts."
)]
pub struct PricesCommand {
    /// Settings shared by every service.
    #[command(flatten)]
    pub service: ServiceArgs,
    /// This service's topics and rules.
    #[command(flatten)]
    pub prices: PricesArgs,
    /// The times a tick may claim.
    #[command(flatten)]
    pub time_bounds: TimeBoundsArgs,
}

/// Every flag of `tickertape-reactions`.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "tickertape-reactions",
    version,
    about = "Article events and price changes to market reactions."
)]
pub struct ReactionsCommand {
    /// Settings shared by every service.
    #[command(flatten)]
    pub service: ServiceArgs,
    /// This service's topics and join settings.
    #[command(flatten)]
    pub reactions: ReactionsArgs,
    /// The times a price or a story may claim.
    #[command(flatten)]
    pub time_bounds: TimeBoundsArgs,
}

/// Where each service serves `/metrics` unless told otherwise: one port
/// each, so all run side by side on one host without a flag.
pub const ARTICLES_METRICS_ADDR: &str = "0.0.0.0:9464";
/// See [`ARTICLES_METRICS_ADDR`].
pub const PRICES_METRICS_ADDR: &str = "0.0.0.0:9465";
/// See [`ARTICLES_METRICS_ADDR`].
pub const REACTIONS_METRICS_ADDR: &str = "0.0.0.0:9466";

impl ArticlesCommand {
    /// The command line of this process; exits with a message naming the
    /// flag or environment variable on a bad value.
    pub fn from_process() -> Self {
        parse_with_metrics_default(ARTICLES_METRICS_ADDR)
    }
}

impl PricesCommand {
    /// The command line of this process; exits with a message naming the
    /// flag or environment variable on a bad value.
    pub fn from_process() -> Self {
        parse_with_metrics_default(PRICES_METRICS_ADDR)
    }
}

impl ReactionsCommand {
    /// The command line of this process; exits with a message naming the
    /// flag or environment variable on a bad value.
    pub fn from_process() -> Self {
        parse_with_metrics_default(REACTIONS_METRICS_ADDR)
    }
}

fn parse_with_metrics_default<T: CommandFactory + FromArgMatches>(metrics_addr: &'static str) -> T {
    let command = T::command().mut_arg("metrics_addr", |arg| arg.default_value(metrics_addr));
    parse_naming_env(command, std::env::args_os())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_lines_are_well_formed_and_the_ports_differ() {
        ArticlesCommand::command().debug_assert();
        PricesCommand::command().debug_assert();
        ReactionsCommand::command().debug_assert();
        let parse = |metrics_addr| {
            let command = ArticlesCommand::command()
                .mut_arg("metrics_addr", |arg| arg.default_value(metrics_addr));
            let matches = command.try_get_matches_from(["x"]).unwrap();
            ArticlesCommand::from_arg_matches(&matches)
                .unwrap()
                .service
                .metrics_addr
        };
        if std::env::var_os("TICKERTAPE_METRICS_ADDR").is_none() {
            assert_eq!(parse(ARTICLES_METRICS_ADDR).port(), 9464);
            assert_eq!(parse(PRICES_METRICS_ADDR).port(), 9465);
            assert_eq!(parse(REACTIONS_METRICS_ADDR).port(), 9466);
        }
    }
}
