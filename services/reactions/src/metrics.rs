//! The reactions service's own metrics (the runtime's are in tickertape-core).
//! Counters are [`Tally`]s (a batch read again counts once); the state
//! gauges are set after every input.

use prometheus::{Gauge, IntCounter, IntCounterVec, IntGauge, Opts, Registry};
use tickertape_processor::shared_metrics::Tally;

/// What the two stages count.
#[derive(Debug, Clone)]
pub struct ReactionMetrics {
    /// `tickertape_reaction_mentions_total`: mentions routed.
    pub mentions: Tally,
    /// `tickertape_reactions_total{closed_by="watermark"}`.
    pub closed_by_watermark: Tally,
    /// `tickertape_reactions_total{closed_by="idle"}`.
    pub closed_by_idle: Tally,
    /// `tickertape_reactions_total{closed_by="capacity"}`.
    pub closed_by_capacity: Tally,
    /// `tickertape_reaction_prices_total{outcome="on_time"}`.
    pub prices_on_time: Tally,
    /// `tickertape_reaction_prices_total{outcome="late"}`: beyond the
    /// allowed lateness; reactions already published did not see them.
    pub prices_late: Tally,
    /// `tickertape_reaction_pending_entries`.
    pub pending_stories: IntGauge,
    /// `tickertape_reaction_history_entries`.
    pub history_points: IntGauge,
    /// `tickertape_reaction_watermark_seconds`: the newest price time seen.
    pub watermark: Gauge,
    /// `tickertape_reaction_watermark_delay_seconds`: how far the newest
    /// price time is behind the clock, at the last price.
    pub watermark_delay: Gauge,
}

impl ReactionMetrics {
    /// Creates and registers the metrics.
    ///
    /// Fails if they are already registered in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let counter = |name: &str, help: &str, label: &str| -> prometheus::Result<IntCounterVec> {
            let counter = IntCounterVec::new(Opts::new(name, help), &[label])?;
            registry.register(Box::new(counter.clone()))?;
            Ok(counter)
        };
        let mentions = IntCounter::new(
            "tickertape_reaction_mentions_total",
            "Story mentions routed to the join, one per instrument a story names.",
        )?;
        registry.register(Box::new(mentions.clone()))?;
        let reactions = counter(
            "tickertape_reactions_total",
            "Market reactions published, by what closed them: watermark, idle, capacity.",
            "closed_by",
        )?;
        let prices = counter(
            "tickertape_reaction_prices_total",
            "Price changes joined, by whether they came within the allowed lateness.",
            "outcome",
        )?;
        let pending_stories = IntGauge::new(
            "tickertape_reaction_pending_entries",
            "Story mentions waiting for their last horizon to close.",
        )?;
        let history_points = IntGauge::new(
            "tickertape_reaction_history_entries",
            "Prices retained for joining, across symbols.",
        )?;
        let watermark = Gauge::new(
            "tickertape_reaction_watermark_seconds",
            "The newest price event time seen, as a Unix time.",
        )?;
        let watermark_delay = Gauge::new(
            "tickertape_reaction_watermark_delay_seconds",
            "How far the newest price event time was behind the clock at the last price.",
        )?;
        for gauge in [pending_stories.clone(), history_points.clone()] {
            registry.register(Box::new(gauge))?;
        }
        for gauge in [watermark.clone(), watermark_delay.clone()] {
            registry.register(Box::new(gauge))?;
        }
        Ok(ReactionMetrics {
            mentions: Tally::new(mentions),
            closed_by_watermark: Tally::new(reactions.with_label_values(&["watermark"])),
            closed_by_idle: Tally::new(reactions.with_label_values(&["idle"])),
            closed_by_capacity: Tally::new(reactions.with_label_values(&["capacity"])),
            prices_on_time: Tally::new(prices.with_label_values(&["on_time"])),
            prices_late: Tally::new(prices.with_label_values(&["late"])),
            pending_stories,
            history_points,
            watermark,
            watermark_delay,
        })
    }

    /// Publishes (committed) or drops what the closed batch counted.
    pub fn batch_closed(&self, committed: bool) {
        for tally in [
            &self.closed_by_watermark,
            &self.closed_by_idle,
            &self.closed_by_capacity,
            &self.prices_on_time,
            &self.prices_late,
        ] {
            tally.close(committed);
        }
    }

    /// Metrics registered nowhere, for offline runs and tests.
    pub fn unregistered() -> Self {
        Self::register(&Registry::new()).expect("a fresh registry has no conflicts")
    }
}
