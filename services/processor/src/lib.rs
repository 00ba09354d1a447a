//! The seam between the Kafka runtime (`tickertape-core`) and the domain
//! processors (articles, prices).
//!
//! A service is a [`Processor`]: a pure, synchronous function from one
//! [`Input`] to an [`Outcome`] (records to publish, or a [`Rejection`] with
//! a reason). This crate holds what both sides must agree on and nothing
//! that does I/O, so the domain crates build and test without librdkafka:
//!
//! - [`processor`]: [`Input`], [`Record`], [`Outcome`], [`StateChange`], the
//!   [`Processor`] trait, and how a rejection becomes a dead letter.
//! - [`rfc3339`]: how events write their times.
//! - [`settings`]: the checks every processor's settings share.
//! - [`shared_metrics`]: the one counter the runtime and the services share.

pub mod processor;
pub mod rfc3339;
pub mod settings;
pub mod shared_metrics;

pub use processor::{
    dead_letter, dead_letter_parts, json_record, Input, Outcome, Processor, Record, Rejection,
    RestoreError, StateChange,
};
pub use settings::SettingsError;
