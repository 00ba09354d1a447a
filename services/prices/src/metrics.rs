//! The prices service's own metrics (the runtime's are in tickertape-core).
//!
//! Each labelled series is resolved once, at start: looking a label up costs
//! a hash and a lock, which is more than the rest of a tick's counting.
//! Every counter is a [`Tally`]: a batch read again counts once.

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};
use tickertape_processor::shared_metrics::Tally;

/// Counters the price processor updates.
#[derive(Debug, Clone)]
pub struct PriceMetrics {
    /// `tickertape_ticks_total`: valid ticks by what they meant.
    pub ticks: TickOutcomes,
    /// `tickertape_price_changes_total{basis="previous_tick"}`.
    pub changes_previous_tick: Tally,
    /// `tickertape_price_changes_total{basis="previous_close"}`.
    pub changes_previous_close: Tally,
    /// `tickertape_price_alerts_total{direction="up"}`.
    pub alerts_up: Tally,
    /// `tickertape_price_alerts_total{direction="down"}`.
    pub alerts_down: Tally,
    /// Ticks of symbols missing from the reference data.
    pub unknown_instruments: Tally,
    /// The runtime's duplicates counter, kind `repeated_tick`.
    pub repeated_ticks: Tally,
}

/// `tickertape_ticks_total` by outcome.
#[derive(Debug, Clone)]
pub struct TickOutcomes {
    /// A new price.
    pub changed: Tally,
    /// The same price as the last accepted one.
    pub unchanged: Tally,
    /// The first observation of a symbol, with nothing to compare it with.
    pub first_seen: Tally,
    /// An observation seen before.
    pub duplicate: Tally,
    /// Older than the last accepted tick beyond the allowed lateness.
    pub late: Tally,
}

impl PriceMetrics {
    /// Creates and registers the metrics; `duplicates` is the runtime's
    /// counter, shared by every service of the process.
    ///
    /// Fails if they are already registered in `registry`.
    pub fn register(registry: &Registry, duplicates: IntCounterVec) -> prometheus::Result<Self> {
        let ticks = IntCounterVec::new(
            Opts::new(
                "tickertape_ticks_total",
                "Valid ticks by outcome: changed, unchanged, first_seen, duplicate, late.",
            ),
            &["outcome"],
        )?;
        let changes = IntCounterVec::new(
            Opts::new(
                "tickertape_price_changes_total",
                "Price changes published, by basis.",
            ),
            &["basis"],
        )?;
        let alerts = IntCounterVec::new(
            Opts::new(
                "tickertape_price_alerts_total",
                "Price alerts published, by direction.",
            ),
            &["direction"],
        )?;
        let unknown_instruments = IntCounter::new(
            "tickertape_unknown_instruments_total",
            "Ticks whose symbol is not in the reference data (they still flow).",
        )?;
        registry.register(Box::new(ticks.clone()))?;
        registry.register(Box::new(changes.clone()))?;
        registry.register(Box::new(alerts.clone()))?;
        registry.register(Box::new(unknown_instruments.clone()))?;
        Ok(PriceMetrics {
            ticks: TickOutcomes {
                changed: Tally::new(ticks.with_label_values(&["changed"])),
                unchanged: Tally::new(ticks.with_label_values(&["unchanged"])),
                first_seen: Tally::new(ticks.with_label_values(&["first_seen"])),
                duplicate: Tally::new(ticks.with_label_values(&["duplicate"])),
                late: Tally::new(ticks.with_label_values(&["late"])),
            },
            changes_previous_tick: Tally::new(changes.with_label_values(&["previous_tick"])),
            changes_previous_close: Tally::new(changes.with_label_values(&["previous_close"])),
            alerts_up: Tally::new(alerts.with_label_values(&["up"])),
            alerts_down: Tally::new(alerts.with_label_values(&["down"])),
            unknown_instruments: Tally::new(unknown_instruments),
            repeated_ticks: Tally::new(duplicates.with_label_values(&["repeated_tick"])),
        })
    }

    /// Publishes (committed) or drops what the closed batch counted.
    pub fn batch_closed(&self, committed: bool) {
        let ticks = &self.ticks;
        for tally in [
            &ticks.changed,
            &ticks.unchanged,
            &ticks.first_seen,
            &ticks.duplicate,
            &ticks.late,
            &self.changes_previous_tick,
            &self.changes_previous_close,
            &self.alerts_up,
            &self.alerts_down,
            &self.unknown_instruments,
            &self.repeated_ticks,
        ] {
            tally.close(committed);
        }
    }

    /// Metrics registered nowhere, for offline runs and tests.
    pub fn unregistered() -> Self {
        Self::register(
            &Registry::new(),
            tickertape_processor::shared_metrics::unregistered_duplicates(),
        )
        .expect("a fresh registry has no conflicts")
    }
}
