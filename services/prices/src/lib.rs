//! The prices service: raw ticks in, exact, deduplicated price changes and
//! threshold alerts out.
//!
//! - [`tick`]: parsing JSON ticks and strip lines into a validated [`tick::Tick`].
//! - [`instruments`]: reference data (shared with the articles service).
//! - [`book`]: per-symbol state and the rules (dedupe, lateness, change, alert). Pure.
//! - [`processor`]: the [`tickertape_core::Processor`] that ties them together.
//! - [`events`]: the published event types.
//! - [`config`], [`metrics`], [`service`]: settings, counters, and the Kafka wiring.

pub mod book;
pub mod config;
pub mod events;
pub mod instruments;
pub mod metrics;
pub mod processor;
pub mod service;
pub mod tick;
