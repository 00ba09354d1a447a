//! The Kafka runtime shared by every tickertape service.
//!
//! A service is a [`Processor`]: a pure, synchronous function from one input
//! message to the records it causes (or a [`Rejection`] with a reason). This
//! crate owns everything that touches Kafka around it, so that the services
//! hold domain logic only:
//!
//! - [`config`]: the flags and `TICKERTAPE_…` environment variables every
//!   service shares (brokers, group, librdkafka pass-through, metrics address).
//! - [`processor`]: the seam between the runtime and the domain, re-exported
//!   from `tickertape-processor` (which the domain crates use without this one).
//! - [`runtime`]: the consume → process → produce loop (at-least-once: an
//!   input offset is stored only after every record it caused is acknowledged).
//! - [`admin`]: topic creation and consumer-group progress.
//! - [`process_host`], [`metrics`] and [`http`]: the Prometheus registry, `/metrics`, `/healthz`, `/readyz`.
//! - [`telemetry`] and [`shutdown`]: logging set-up and the SIGTERM/SIGINT token.

pub mod admin;
pub mod config;
pub mod error;
pub mod http;
pub mod metrics;
pub mod process_host;
pub mod runtime;
pub mod shutdown;
pub mod telemetry;

pub use error::{Error, Result};
pub use process_host::ProcessHost;
pub use tickertape_processor::{
    json_record, processor, Input, Outcome, Processor, Record, Rejection,
};
