//! One cancellation token for the whole process, cancelled on SIGTERM or SIGINT.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Runs a service process: a multi-threaded runtime, the shutdown token
/// (cancelled on SIGTERM or SIGINT) handed to `service`, and once it has
/// returned, the runtime dropped without waiting more than a second for
/// blocking calls still out. The service has drained and committed by then;
/// a metadata probe to an unreachable broker would hold the exit up to 30 s.
///
/// Fails when the runtime cannot be started.
pub fn run_service<F: Future>(
    service: impl FnOnce(CancellationToken) -> F,
) -> std::io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let output = runtime.block_on(async { service(on_signal()).await });
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(output)
}

/// A token that is cancelled when the process receives SIGTERM or SIGINT.
/// Everything that must stop on shutdown takes a clone of it.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("Shutdown signal received; draining.");
        cancel.cancel();
    });
    token
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(error) => {
            tracing::warn!(%error, "SIGTERM handler unavailable; only Ctrl-C stops the process.");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
