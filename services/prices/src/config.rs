//! The prices service's settings: the flags and `TICKERTAPE_…` variables an
//! operator sets ([`PricesArgs`]), and the checked settings the processor is
//! built from ([`PricesSettings`]).

use rust_decimal::Decimal;
use tickertape_processor::settings::{at_least_one, span_ms, span_s, TimeBounds, TimeBoundsArgs};
use tickertape_processor::SettingsError;

use crate::book::Rules;

/// Topic names and rule settings of the prices service.
#[derive(Debug, Clone, clap::Args)]
pub struct PricesArgs {
    /// Input topic of raw ticks (JSON ticks or strip lines), keyed by symbol.
    #[arg(long, env = "TICKERTAPE_TICKS_TOPIC", default_value = "ticks.raw")]
    pub ticks_topic: String,
    /// Output topic of price changes (key: symbol).
    #[arg(
        long,
        env = "TICKERTAPE_CHANGES_TOPIC",
        default_value = "prices.changes"
    )]
    pub changes_topic: String,
    /// Output topic of threshold alerts (key: symbol).
    #[arg(long, env = "TICKERTAPE_ALERTS_TOPIC", default_value = "prices.alerts")]
    pub alerts_topic: String,
    /// Dead-letter topic for ticks that cannot be processed.
    #[arg(long, env = "TICKERTAPE_TICKS_DLQ_TOPIC", default_value = "ticks.dlq")]
    pub ticks_dlq_topic: String,
    /// Where late ticks (older than the symbol's newest by more than the
    /// allowed lateness) go, with their original bytes. Unset: they are
    /// counted (`tickertape_ticks_total{outcome="late"}`) and dropped.
    #[arg(long, env = "TICKERTAPE_LATE_TICKS_TOPIC")]
    pub late_ticks_topic: Option<String>,
    /// How far behind a symbol's newest tick an older tick is still applied.
    #[arg(long, env = "TICKERTAPE_ALLOWED_LATENESS_MS", default_value_t = 0)]
    pub allowed_lateness_ms: u64,
    /// How long a seen observation is remembered for deduplication.
    #[arg(
        long,
        env = "TICKERTAPE_TICK_DEDUPE_WINDOW_S",
        default_value_t = 86_400
    )]
    pub tick_dedupe_window_s: u64,
    /// Most remembered observations per symbol.
    #[arg(long, env = "TICKERTAPE_TICK_DEDUPE_CAPACITY", default_value_t = 256)]
    pub tick_dedupe_capacity: usize,
    /// Alert when a symbol moves by more than this percentage within the window.
    #[arg(long, env = "TICKERTAPE_ALERT_THRESHOLD_PCT", default_value = "2")]
    pub alert_threshold_pct: Decimal,
    /// A tick reporting a day change of this many percent or more is
    /// dead-lettered (`implausible_change`): a feed error, not a market.
    #[arg(long, env = "TICKERTAPE_MAX_DAY_CHANGE_PCT", default_value = "1000")]
    pub max_day_change_pct: Decimal,
    /// The alert window, in event time.
    #[arg(long, env = "TICKERTAPE_ALERT_WINDOW_S", default_value_t = 300)]
    pub alert_window_s: u64,
    /// Largest accepted tick, in bytes; larger ones are dead-lettered
    /// (`too_large`). A tick is about 120 bytes; megabytes are a feed's bug.
    #[arg(long, env = "TICKERTAPE_MAX_TICK_BYTES", default_value_t = 65_536)]
    pub max_tick_bytes: usize,
}

impl PricesArgs {
    /// The defaults, as if no flag were given (environment variables aside).
    pub fn defaults() -> Self {
        <PricesCommandForDefaults as clap::Parser>::parse_from(["prices"]).prices
    }

    /// The settings the processor is built from, checked.
    ///
    /// Fails when the threshold is not in (0, 1,000,000] percent, the dedupe
    /// capacity is zero, or a span is longer than a century.
    pub fn settings(&self, time_bounds: &TimeBoundsArgs) -> Result<PricesSettings, SettingsError> {
        let threshold = self.alert_threshold_pct;
        if threshold <= Decimal::ZERO || threshold > MAX_ALERT_THRESHOLD_PCT {
            return Err(SettingsError::new(
                "--alert-threshold-pct (TICKERTAPE_ALERT_THRESHOLD_PCT)",
                threshold,
                format!("must be above 0 and at most {MAX_ALERT_THRESHOLD_PCT}"),
            ));
        }
        if self.max_day_change_pct <= Decimal::ZERO {
            return Err(SettingsError::new(
                "--max-day-change-pct (TICKERTAPE_MAX_DAY_CHANGE_PCT)",
                self.max_day_change_pct,
                "must be above 0",
            ));
        }
        Ok(PricesSettings {
            topics: PriceTopics {
                ticks: self.ticks_topic.clone(),
                changes: self.changes_topic.clone(),
                alerts: self.alerts_topic.clone(),
                dead_letters: self.ticks_dlq_topic.clone(),
                late_ticks: self.late_ticks_topic.clone(),
            },
            rules: Rules {
                allowed_lateness: span_ms(
                    "--allowed-lateness-ms (TICKERTAPE_ALLOWED_LATENESS_MS)",
                    self.allowed_lateness_ms,
                )?,
                dedupe_window: span_s(
                    "--tick-dedupe-window-s (TICKERTAPE_TICK_DEDUPE_WINDOW_S)",
                    self.tick_dedupe_window_s,
                )?,
                dedupe_capacity: at_least_one(
                    "--tick-dedupe-capacity (TICKERTAPE_TICK_DEDUPE_CAPACITY)",
                    self.tick_dedupe_capacity,
                )?,
                alert_threshold_pct: threshold,
                alert_window: span_s(
                    "--alert-window-s (TICKERTAPE_ALERT_WINDOW_S)",
                    self.alert_window_s,
                )?,
            },
            max_day_change_pct: self.max_day_change_pct,
            max_tick_bytes: at_least_one(
                "--max-tick-bytes (TICKERTAPE_MAX_TICK_BYTES)",
                self.max_tick_bytes,
            )?,
            time_bounds: time_bounds.bounds()?,
        })
    }
}

/// The largest alert threshold: a move of 10,000× is no alert anyone
/// waits for, and the bound keeps the alert rule's exact products (price
/// times threshold) inside `Decimal`, where an overflow would panic.
pub const MAX_ALERT_THRESHOLD_PCT: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// The topics the prices service reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceTopics {
    /// Raw ticks in (key: symbol).
    pub ticks: String,
    /// Price changes out (key: symbol).
    pub changes: String,
    /// Alerts out (key: symbol).
    pub alerts: String,
    /// Rejected ticks, with their original bytes.
    pub dead_letters: String,
    /// Late ticks, with their original bytes; None drops them (counted).
    pub late_ticks: Option<String>,
}

/// What the price processor is built from: every value checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PricesSettings {
    /// Topic names.
    pub topics: PriceTopics,
    /// The book's rules.
    pub rules: Rules,
    /// Ticks further ahead of the clock (`future_time`) or before the
    /// earliest time (`too_early`) are dead-lettered.
    pub time_bounds: TimeBounds,
    /// Ticks reporting a larger day change are dead-lettered (`implausible_change`).
    pub max_day_change_pct: Decimal,
    /// Larger ticks are dead-lettered (`too_large`).
    pub max_tick_bytes: usize,
}

impl Default for PricesSettings {
    /// The documented defaults, with any `TICKERTAPE_…` variable of this
    /// service applied (they are read as the flags' defaults are); for
    /// tests, benchmarks and the demo.
    fn default() -> Self {
        PricesArgs::defaults()
            .settings(&TimeBoundsArgs::default())
            .expect("the defaults are valid (checked by a unit test)")
    }
}

#[derive(clap::Parser)]
struct PricesCommandForDefaults {
    #[command(flatten)]
    prices: PricesArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickertape_processor::settings::MAX_SPAN_S;

    #[test]
    fn the_defaults_are_valid() {
        let settings = PricesArgs::defaults()
            .settings(&TimeBoundsArgs::default())
            .unwrap();
        assert_eq!(settings.rules, Rules::default());
        assert_eq!(settings.topics.late_ticks, None);
    }

    /// A change to the defaults.
    type Change = fn(&mut PricesArgs);

    #[test]
    fn settings_at_their_extremes_are_accepted_or_named_never_a_panic() {
        let with = |change: fn(&mut PricesArgs)| {
            let mut args = PricesArgs::defaults();
            change(&mut args);
            args.settings(&TimeBoundsArgs::default())
        };
        assert!(with(|a| a.alert_threshold_pct = MAX_ALERT_THRESHOLD_PCT).is_ok());
        assert!(with(|a| a.alert_threshold_pct = Decimal::new(1, 28)).is_ok());
        assert!(with(|a| a.alert_window_s = MAX_SPAN_S).is_ok());
        assert!(with(|a| a.tick_dedupe_capacity = usize::MAX).is_ok());
        let refused: &[(Change, &str)] = &[
            (
                |a| a.alert_threshold_pct = Decimal::MAX,
                "--alert-threshold-pct",
            ),
            (
                |a| a.alert_threshold_pct = Decimal::ZERO,
                "--alert-threshold-pct",
            ),
            (
                |a| a.alert_threshold_pct = Decimal::NEGATIVE_ONE,
                "--alert-threshold-pct",
            ),
            (|a| a.alert_window_s = u64::MAX, "--alert-window-s"),
            (
                |a| a.tick_dedupe_window_s = u64::MAX,
                "--tick-dedupe-window-s",
            ),
            (
                |a| a.allowed_lateness_ms = u64::MAX,
                "--allowed-lateness-ms",
            ),
            (|a| a.tick_dedupe_capacity = 0, "--tick-dedupe-capacity"),
            (
                |a| a.max_day_change_pct = Decimal::ZERO,
                "--max-day-change-pct",
            ),
        ];
        for &(change, setting) in refused {
            let error = with(change).unwrap_err();
            assert!(error.setting.starts_with(setting), "{error}");
        }
    }
}
