//! Where the domain meets Kafka: each service's processors, built from
//! their checked settings, handed to the runtime of `tickertape-core`.
//! The domain crates (`tickertape-articles`, `tickertape-prices`) do not
//! link librdkafka; this crate, the service binaries and the CLI do.
//!
//! - [`articles`]: the parse and dedupe stages of the articles service.
//! - [`prices`]: the price processor.
//! - [`config`]: each binary's command line (shared flags and the
//!   service's own), and [`Error`], what can stop a service.
//!
//! The binaries (`src/bin/`) only parse flags, set up logging and the
//! metrics endpoint, and call [`articles::run`] or [`prices::run`].

pub mod articles;
pub mod config;
pub mod prices;

pub use config::Error;
