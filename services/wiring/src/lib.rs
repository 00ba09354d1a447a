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

/// One stage of a service: its runtime settings, its processor, and the
/// readiness flag it sets.
pub(crate) struct Stage<P> {
    pub config: tickertape_core::config::RuntimeConfig,
    pub processor: P,
    pub ready: tickertape_core::http::ReadyFlag,
}

/// Runs a service's two stages, each a task of its own, so the scheduler
/// runs them side by side: joined on one task, the articles dedupe stage
/// got no time while the parse stage had input (nothing came out for the
/// first 10-12 s of a backlog under exactly-once). If either fails, the
/// other is stopped too, so the process exits and is restarted whole.
///
/// Fails with the first stage's error, or when a stage's task panicked.
pub(crate) async fn run_two_stages<A, B>(
    first: Stage<A>,
    second: Stage<B>,
    host: &tickertape_core::ProcessHost,
    shutdown: CancellationToken,
    what: &'static str,
) -> Result<(), Error>
where
    A: tickertape_processor::Processor,
    B: tickertape_processor::Processor,
{
    let stop = shutdown.child_token();
    let metrics = host.runtime_metrics.clone();
    let first_task = spawn_stage(
        tickertape_core::runtime::run(
            first.config,
            first.processor,
            metrics.clone(),
            first.ready,
            stop.clone(),
        ),
        stop.clone(),
    );
    let second_task = spawn_stage(
        tickertape_core::runtime::run(
            second.config,
            second.processor,
            metrics,
            second.ready,
            stop.clone(),
        ),
        stop.clone(),
    );
    let (first, second) = tokio::join!(first_task, second_task);
    for finished in [first, second] {
        finished.map_err(|source| tickertape_core::Error::Task { task: what, source })??;
    }
    Ok(())
}

/// Runs one stage as a task of its own; when it ends, for any reason, the
/// other stage is told to stop.
fn spawn_stage(
    run: impl std::future::Future<Output = tickertape_core::Result<()>> + Send + 'static,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<tickertape_core::Result<()>> {
    tokio::spawn(async move {
        let result = run.await;
        stop.cancel();
        result
    })
}
