//! The market reaction to a story: when a story names a listed company,
//! how its price moved after the story ran.
//!
//! Two stages, each a [`tickertape_processor::Processor`]:
//!
//! - [`mention::MentionRouter`] reads article events and writes one
//!   [`tape::Mention`] per instrument a story names, keyed by its symbol, to
//!   an internal topic partitioned like the price changes.
//! - [`processor::ReactionJoin`] reads that topic and the price changes
//!   together (partition *n* of both on one instance), keeps each symbol's
//!   recent prices and waiting stories in a [`tape::PartitionTape`], and
//!   publishes a reaction when a story's last horizon has closed in event
//!   time.
//!
//! Pure and synchronous, like every domain crate: no Kafka here.

pub mod config;
pub mod event;
pub mod mention;
pub mod metrics;
pub mod processor;
pub mod tape;
