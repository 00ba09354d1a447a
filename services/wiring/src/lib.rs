//! Where the domain meets Kafka: each service's processors, built from
//! their checked settings, handed to the runtime of `tickertape-core`.
//! The domain crates (`tickertape-articles`, `tickertape-prices`) do not
//! link librdkafka; this crate, the service binaries and the CLI do.
//!
//! - [`articles`]: the parse and dedupe stages of the articles service.
//! - [`prices`]: the price processor.
//! - [`reactions`]: the mention router and the reaction join.
//! - [`config`]: each binary's command line (shared flags and the
//!   service's own), and [`Error`], what can stop a service.
//!
//! The binaries (`src/bin/`) only parse flags, set up logging and the
//! metrics endpoint, and call [`articles::run`], [`prices::run`] or
//! [`reactions::run`].

pub mod articles;
pub mod config;
pub mod prices;
pub mod reactions;

pub use config::Error;
use tokio_util::sync::CancellationToken;

/// Runs one stage as a task of its own; when it ends, for any reason, the
/// other stage is told to stop.
pub(crate) fn spawn_stage(
    run: impl std::future::Future<Output = tickertape_core::Result<()>> + Send + 'static,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<tickertape_core::Result<()>> {
    tokio::spawn(async move {
        let result = run.await;
        stop.cancel();
        result
    })
}
