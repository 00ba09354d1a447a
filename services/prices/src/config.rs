//! The prices service's settings: flags and `TICKERTAPE_…` variables.

use chrono::TimeDelta;
use rust_decimal::Decimal;
use tickertape_core::config::ServiceArgs;

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
    /// Optional topic for late ticks (older than allowed); unset drops them (counted).
    #[arg(long, env = "TICKERTAPE_LATE_TICKS_TOPIC")]
    pub late_ticks_topic: Option<String>,
    /// How far behind a symbol's newest tick an older tick is still applied.
    #[arg(long, env = "TICKERTAPE_ALLOWED_LATENESS_MS", default_value_t = 0)]
    pub allowed_lateness_ms: u64,
    /// A tick whose time is further than this ahead of the clock is refused.
    #[arg(long, env = "TICKERTAPE_MAX_FUTURE_MS", default_value_t = 300_000)]
    pub max_future_ms: u64,
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
    /// The alert window, in event time.
    #[arg(long, env = "TICKERTAPE_ALERT_WINDOW_S", default_value_t = 300)]
    pub alert_window_s: u64,
}

/// Every flag of `tickertape-prices`.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "tickertape-prices",
    version,
    about = "Raw ticks to price-change events and alerts."
)]
pub struct PricesConfig {
    /// Settings shared by every service.
    #[command(flatten)]
    pub service: ServiceArgs,
    /// This service's topics and rules.
    #[command(flatten)]
    pub prices: PricesArgs,
}

impl PricesArgs {
    /// The defaults, as if no flag were given (environment variables aside).
    pub fn defaults() -> Self {
        <PricesCommandForDefaults as clap::Parser>::parse_from(["prices"]).prices
    }

    /// The rules, checked.
    ///
    /// Fails when the threshold is not positive or the dedupe capacity is zero.
    pub fn rules(&self) -> Result<Rules, String> {
        if self.alert_threshold_pct <= Decimal::ZERO {
            return Err("--alert-threshold-pct must be positive".into());
        }
        if self.tick_dedupe_capacity == 0 {
            return Err("--tick-dedupe-capacity must be at least 1".into());
        }
        Ok(Rules {
            allowed_lateness: millis(self.allowed_lateness_ms),
            dedupe_window: millis(self.tick_dedupe_window_s.saturating_mul(1000)),
            dedupe_capacity: self.tick_dedupe_capacity,
            alert_threshold_pct: self.alert_threshold_pct,
            alert_window: millis(self.alert_window_s.saturating_mul(1000)),
        })
    }
}

#[derive(clap::Parser)]
struct PricesCommandForDefaults {
    #[command(flatten)]
    prices: PricesArgs,
}

pub(crate) fn millis(ms: u64) -> TimeDelta {
    TimeDelta::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX / 1_000_000))
}
