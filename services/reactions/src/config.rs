//! The reactions service's settings: the flags and `TICKERTAPE_…` variables
//! an operator sets ([`ReactionsArgs`]), and the checked settings the
//! stages are built from ([`ReactionsSettings`]).

use chrono::TimeDelta;
use tickertape_processor::settings::{at_least_one, span_s, TimeBounds, TimeBoundsArgs};
use tickertape_processor::SettingsError;

use crate::tape::Rules;

/// Topic names and join settings of the reactions service.
#[derive(Debug, Clone, clap::Args)]
pub struct ReactionsArgs {
    /// Input topic of article events (the articles service's output).
    #[arg(
        long,
        env = "TICKERTAPE_ARTICLES_ENRICHED_TOPIC",
        default_value = "articles.enriched"
    )]
    pub enriched_topic: String,
    /// Input topic of price changes (the prices service's output, key: symbol).
    #[arg(
        long,
        env = "TICKERTAPE_CHANGES_TOPIC",
        default_value = "prices.changes"
    )]
    pub changes_topic: String,
    /// The topics this service owns.
    #[command(flatten)]
    pub own_topics: ReactionOwnTopicsArgs,
    /// The horizons after publication, in seconds, comma-separated.
    #[arg(
        long,
        env = "TICKERTAPE_REACTION_HORIZONS_S",
        value_delimiter = ',',
        default_value = "60,300,1800,7200"
    )]
    pub reaction_horizons_s: Vec<u64>,
    /// How far behind a symbol's newest price a price may arrive and still
    /// count; a horizon closes when the watermark is this far past it.
    #[arg(
        long,
        env = "TICKERTAPE_REACTION_ALLOWED_LATENESS_S",
        default_value_t = 5
    )]
    pub reaction_allowed_lateness_s: u64,
    /// A story waiting on a symbol with no more prices closes once the
    /// partition's stream time is this far past its last horizon.
    #[arg(
        long,
        env = "TICKERTAPE_REACTION_IDLE_CLOSE_S",
        default_value_t = 3_600
    )]
    pub reaction_idle_close_s: u64,
    /// How long prices are kept behind a symbol's newest, for stories that
    /// arrive late (26 h: a story up to a day late is still joined).
    #[arg(
        long,
        env = "TICKERTAPE_REACTION_HISTORY_RETENTION_S",
        default_value_t = 93_600
    )]
    pub reaction_history_retention_s: u64,
    /// Most prices kept per symbol.
    #[arg(
        long,
        env = "TICKERTAPE_REACTION_MAX_HISTORY_POINTS",
        default_value_t = 20_000
    )]
    pub reaction_max_history_points: usize,
    /// Most stories waiting per symbol; over it, the earliest closes early.
    #[arg(
        long,
        env = "TICKERTAPE_REACTION_MAX_PENDING_PER_SYMBOL",
        default_value_t = 1_000
    )]
    pub reaction_max_pending_per_symbol: usize,
    /// Largest accepted input, in bytes; larger ones are dead-lettered
    /// (`too_large`). Article events are a few kilobytes; price changes less.
    #[arg(
        long,
        env = "TICKERTAPE_REACTION_MAX_INPUT_BYTES",
        default_value_t = 4_194_304
    )]
    pub reaction_max_input_bytes: usize,
}

/// The topics the reactions service writes: its inputs are the other
/// services' outputs, named by their flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ReactionOwnTopicsArgs {
    /// Internal topic of story mentions, keyed by symbol; it must have as
    /// many partitions as the price changes, so that partition n of both is
    /// one symbol set.
    #[arg(
        long,
        env = "TICKERTAPE_REACTIONS_MENTIONS_TOPIC",
        default_value = "reactions.mentions"
    )]
    pub mentions_topic: String,
    /// Output topic of market reactions (key: symbol).
    #[arg(
        long,
        env = "TICKERTAPE_REACTIONS_TOPIC",
        default_value = "market.reactions"
    )]
    pub reactions_topic: String,
    /// Dead-letter topic for inputs that cannot be joined.
    #[arg(
        long,
        env = "TICKERTAPE_REACTIONS_DLQ_TOPIC",
        default_value = "reactions.dlq"
    )]
    pub reactions_dlq_topic: String,
}

impl ReactionOwnTopicsArgs {
    /// The service's topics, with the inputs named `enriched` and `changes`.
    pub fn topics(&self, enriched: &str, changes: &str) -> ReactionTopics {
        ReactionTopics {
            enriched: enriched.to_owned(),
            changes: changes.to_owned(),
            mentions: self.mentions_topic.clone(),
            reactions: self.reactions_topic.clone(),
            dead_letters: self.reactions_dlq_topic.clone(),
        }
    }
}

/// The topics the reactions service reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactionTopics {
    /// Article events in.
    pub enriched: String,
    /// Price changes in (key: symbol).
    pub changes: String,
    /// Mentions, internal (key: symbol; partitioned like `changes`).
    pub mentions: String,
    /// Reactions out (key: symbol).
    pub reactions: String,
    /// Rejected inputs, with their original bytes.
    pub dead_letters: String,
}

/// What the stages are built from: every value checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ReactionsSettings {
    /// Topic names.
    pub topics: ReactionTopics,
    /// The join's rules.
    pub rules: Rules,
    /// Larger inputs are dead-lettered (`too_large`).
    pub max_input_bytes: usize,
    /// A price or a story further ahead of the clock (`future_time`) or
    /// before the earliest time (`too_early`) is dead-lettered: one price
    /// stamped in the year 9999 would close every waiting story of its
    /// partition.
    pub time_bounds: TimeBounds,
}

/// The longest horizon: a week is past any market reaction a desk reads
/// off one story, and it bounds the history a join must keep.
pub const MAX_HORIZON_S: u64 = 7 * 86_400;

impl ReactionsArgs {
    /// The defaults, as if no flag were given (environment variables aside).
    pub fn defaults() -> Self {
        <ReactionsCommandForDefaults as clap::Parser>::parse_from(["reactions"]).reactions
    }

    /// The settings the stages are built from, checked.
    ///
    /// Fails when no horizon is given, one is zero or over a week, a span
    /// is longer than a century, or a bound is zero.
    pub fn settings(
        &self,
        time_bounds: &TimeBoundsArgs,
    ) -> Result<ReactionsSettings, SettingsError> {
        let mut horizons = self.reaction_horizons_s.clone();
        horizons.sort_unstable();
        horizons.dedup();
        const HORIZONS: &str = "--reaction-horizons-s (TICKERTAPE_REACTION_HORIZONS_S)";
        if horizons.is_empty() || horizons[0] == 0 || horizons[horizons.len() - 1] > MAX_HORIZON_S {
            return Err(SettingsError::new(
                HORIZONS,
                format!("{:?}", self.reaction_horizons_s),
                format!("one or more horizons, each from 1 to {MAX_HORIZON_S} s"),
            ));
        }
        let horizons: Vec<TimeDelta> = horizons
            .into_iter()
            .map(|s| span_s(HORIZONS, s))
            .collect::<Result<_, _>>()?;
        Ok(ReactionsSettings {
            topics: self
                .own_topics
                .topics(&self.enriched_topic, &self.changes_topic),
            rules: Rules {
                horizons,
                allowed_lateness: span_s(
                    "--reaction-allowed-lateness-s (TICKERTAPE_REACTION_ALLOWED_LATENESS_S)",
                    self.reaction_allowed_lateness_s,
                )?,
                idle_close: span_s(
                    "--reaction-idle-close-s (TICKERTAPE_REACTION_IDLE_CLOSE_S)",
                    self.reaction_idle_close_s,
                )?,
                history_retention: span_s(
                    "--reaction-history-retention-s (TICKERTAPE_REACTION_HISTORY_RETENTION_S)",
                    self.reaction_history_retention_s,
                )?,
                max_history_points: at_least_one(
                    "--reaction-max-history-points (TICKERTAPE_REACTION_MAX_HISTORY_POINTS)",
                    self.reaction_max_history_points,
                )?,
                max_pending_per_symbol: at_least_one(
                    "--reaction-max-pending-per-symbol (TICKERTAPE_REACTION_MAX_PENDING_PER_SYMBOL)",
                    self.reaction_max_pending_per_symbol,
                )?,
            },
            max_input_bytes: at_least_one(
                "--reaction-max-input-bytes (TICKERTAPE_REACTION_MAX_INPUT_BYTES)",
                self.reaction_max_input_bytes,
            )?,
            time_bounds: time_bounds.bounds()?,
        })
    }
}

impl Default for ReactionsSettings {
    /// The documented defaults, with any `TICKERTAPE_…` variable of this
    /// service applied; for tests and the demo.
    fn default() -> Self {
        ReactionsArgs::defaults()
            .settings(&TimeBoundsArgs::default())
            .expect("the defaults are valid (checked by a unit test)")
    }
}

#[derive(clap::Parser)]
struct ReactionsCommandForDefaults {
    #[command(flatten)]
    reactions: ReactionsArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_bad_horizons_are_named() {
        let settings = ReactionsArgs::defaults()
            .settings(&TimeBoundsArgs::default())
            .unwrap();
        assert_eq!(settings.rules, Rules::default());
        for horizons in [vec![], vec![0, 60], vec![60, MAX_HORIZON_S + 1]] {
            let mut args = ReactionsArgs::defaults();
            args.reaction_horizons_s = horizons;
            let error = args.settings(&TimeBoundsArgs::default()).unwrap_err();
            assert!(
                error.setting.starts_with("--reaction-horizons-s"),
                "{error}"
            );
        }
        let mut args = ReactionsArgs::defaults();
        args.reaction_horizons_s = vec![300, 60, 300];
        assert_eq!(
            args.settings(&TimeBoundsArgs::default())
                .unwrap()
                .rules
                .horizons,
            vec![TimeDelta::seconds(60), TimeDelta::seconds(300)]
        );
        args.reaction_max_pending_per_symbol = 0;
        assert!(args.settings(&TimeBoundsArgs::default()).is_err());
    }
}
