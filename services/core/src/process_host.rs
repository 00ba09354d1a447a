//! What every service process sets up around its processor: one metrics
//! registry with the runtime's metrics, readiness, and the HTTP endpoint.

use std::net::SocketAddr;
use std::sync::Arc;

use prometheus::Registry;
use tokio_util::sync::CancellationToken;

use crate::http::{self, Health};
use crate::metrics::RuntimeMetrics;
use crate::Result;

/// Shared by every service in one process (one in production, two in the demo).
#[derive(Debug, Clone)]
pub struct ProcessHost {
    /// The registry `/metrics` serves; services register their own metrics here.
    pub registry: Registry,
    /// The runtime's metrics.
    pub runtime_metrics: Arc<RuntimeMetrics>,
    /// Readiness of every service in the process.
    pub health: Health,
}

impl ProcessHost {
    /// A fresh registry with the runtime's metrics.
    pub fn new() -> Self {
        let registry = Registry::new();
        let runtime_metrics =
            RuntimeMetrics::register(&registry).expect("a fresh registry has no conflicts");
        ProcessHost {
            registry,
            runtime_metrics,
            health: Health::default(),
        }
    }

    /// Serves `/metrics`, `/healthz` and `/readyz` on `addr` until `shutdown`.
    ///
    /// Fails when the address cannot be bound.
    pub async fn serve(&self, addr: SocketAddr, shutdown: CancellationToken) -> Result<SocketAddr> {
        let bound = http::serve(addr, self.registry.clone(), self.health.clone(), shutdown).await?;
        tracing::info!(%bound, "Serving /metrics, /healthz and /readyz.");
        Ok(bound)
    }
}

impl Default for ProcessHost {
    fn default() -> Self {
        Self::new()
    }
}
