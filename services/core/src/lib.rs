//! The Kafka runtime shared by every tickertape service.
//!
//! A service is a [`Processor`]: a pure, synchronous function from one input
//! message to the records it causes (or a [`Rejection`] with a reason). This
//! crate owns everything that touches Kafka around it, so that the services
//! hold domain logic only:
//!
//! - [`config`]: the flags and `TICKERTAPE_…` environment variables every
//!   service shares (brokers, group, librdkafka pass-through, metrics address).
//! - [`processor`]: the seam between the runtime and the domain: [`Input`],
//!   [`Record`], [`Outcome`], and how a rejection becomes a dead letter.
//! - [`runtime`]: the consume → process → produce loop (at-least-once: an
//!   input offset is stored only after every record it caused is acknowledged).
//! - [`admin`]: topic creation and consumer-group progress.
//! - [`process_host`], [`metrics`] and [`http`]: the Prometheus registry, `/metrics`, `/healthz`, `/readyz`.
//! - [`rfc3339`]: how events write their times.
//! - [`telemetry`] and [`shutdown`]: logging set-up and the SIGTERM/SIGINT token.

pub mod admin;
pub mod config;
pub mod error;
pub mod http;
pub mod metrics;
pub mod process_host;
pub mod processor;
pub mod rfc3339;
pub mod runtime;
pub mod shutdown;
pub mod telemetry;

pub use error::{Error, Result};
pub use process_host::ProcessHost;
pub use processor::{json_record, Input, Outcome, Processor, Record, Rejection};
