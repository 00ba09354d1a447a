//! The prices service: raw ticks in, exact, deduplicated price changes and
//! threshold alerts out.
//!
//! Ticks are parsed, and instruments looked up, by `tickertape-market`.
//!
//! - [`book`]: per-symbol state and the rules (dedupe, lateness, change, alert). Pure.
//! - [`changelog`]: how a partition's state is written to its changelog and read back. Pure.
//! - [`processor`]: the [`tickertape_processor::Processor`] that ties them together.
//! - [`events`]: the published event types.
//! - [`config`], [`metrics`]: settings and counters. The Kafka wiring is
//!   in `tickertape-wiring`: this crate does not link librdkafka.

pub mod book;
pub mod changelog;
pub mod config;
pub mod events;
pub mod metrics;
pub mod processor;
