//! The counter the runtime registers and the services increment: repeats
//! are recognised by the domain (a syndicated copy, a repeated tick) but
//! counted under one name across services.

use prometheus::{IntCounterVec, Opts};

/// `tickertape_duplicates_total{kind}`: inputs recognised as repeats.
///
/// Fails only if the metric's definition is invalid (it is not).
pub fn duplicates_counter() -> prometheus::Result<IntCounterVec> {
    IntCounterVec::new(
        Opts::new(
            "tickertape_duplicates_total",
            "Inputs recognised as repeats, by kind: syndicated_copy, update, repeated_tick.",
        ),
        &["kind"],
    )
}

/// A duplicates counter registered nowhere, for processors run offline
/// (`tickertape process`, tests, benchmarks).
pub fn unregistered_duplicates() -> IntCounterVec {
    duplicates_counter().expect("the counter's definition is valid")
}
