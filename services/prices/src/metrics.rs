//! The prices service's own metrics (the runtime's are in tickertape-core).

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

/// Counters the price processor updates.
#[derive(Debug, Clone)]
pub struct PriceMetrics {
    /// Valid ticks by what they meant: changed, unchanged, first_seen, duplicate, late.
    pub ticks: IntCounterVec,
    /// Price changes published, by basis.
    pub changes: IntCounterVec,
    /// Alerts published, by direction.
    pub alerts: IntCounterVec,
    /// Ticks of symbols missing from the reference data.
    pub unknown_instruments: IntCounter,
    /// The runtime's duplicates counter (kind repeated_tick).
    pub duplicates: IntCounterVec,
}

impl PriceMetrics {
    /// Creates and registers the metrics; `duplicates` is the runtime's
    /// counter, shared by every service of the process.
    ///
    /// Fails if they are already registered in `registry`.
    pub fn register(registry: &Registry, duplicates: IntCounterVec) -> prometheus::Result<Self> {
        let metrics = PriceMetrics {
            ticks: IntCounterVec::new(
                Opts::new(
                    "tickertape_ticks_total",
                    "Valid ticks by outcome: changed, unchanged, first_seen, duplicate, late.",
                ),
                &["outcome"],
            )?,
            changes: IntCounterVec::new(
                Opts::new(
                    "tickertape_price_changes_total",
                    "Price changes published, by basis.",
                ),
                &["basis"],
            )?,
            alerts: IntCounterVec::new(
                Opts::new(
                    "tickertape_price_alerts_total",
                    "Price alerts published, by direction.",
                ),
                &["direction"],
            )?,
            unknown_instruments: IntCounter::new(
                "tickertape_unknown_instruments_total",
                "Ticks whose symbol is not in the reference data (they still flow).",
            )?,
            duplicates,
        };
        registry.register(Box::new(metrics.ticks.clone()))?;
        registry.register(Box::new(metrics.changes.clone()))?;
        registry.register(Box::new(metrics.alerts.clone()))?;
        registry.register(Box::new(metrics.unknown_instruments.clone()))?;
        Ok(metrics)
    }

    /// Metrics registered nowhere, for offline runs and tests.
    pub fn unregistered() -> Self {
        Self::register(
            &Registry::new(),
            tickertape_core::metrics::unregistered_duplicates(),
        )
        .expect("a fresh registry has no conflicts")
    }
}
