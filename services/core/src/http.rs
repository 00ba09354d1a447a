//! `/metrics`, `/healthz` and `/readyz` on one address.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use prometheus::{Encoder, Registry, TextEncoder};
use tokio_util::sync::CancellationToken;

use crate::{Error, Result};

/// Readiness of the parts of a process. The process is ready when every
/// part that registered is.
#[derive(Debug, Clone, Default)]
pub struct Health {
    parts: Arc<Mutex<Vec<NamedFlag>>>,
}

/// A part's name and its readiness.
type NamedFlag = (String, Arc<AtomicBool>);

/// One part's readiness flag.
#[derive(Debug, Clone)]
pub struct ReadyFlag(Arc<AtomicBool>);

impl ReadyFlag {
    /// Marks the part ready or not.
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Relaxed);
    }
}

impl Health {
    /// Registers a part, not ready until its flag is set.
    pub fn part(&self, name: &str) -> ReadyFlag {
        let flag = Arc::new(AtomicBool::new(false));
        self.parts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((name.to_owned(), flag.clone()));
        ReadyFlag(flag)
    }

    /// The names of the parts that are not ready; empty when all are. A
    /// process with no part registered yet is still starting, not ready.
    pub fn not_ready(&self) -> Vec<String> {
        let parts = self
            .parts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if parts.is_empty() {
            return vec!["starting".to_owned()];
        }
        parts
            .iter()
            .filter(|(_, flag)| !flag.load(Ordering::Relaxed))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_needs_a_part_and_every_part_ready() {
        let health = Health::default();
        assert_eq!(
            health.not_ready(),
            ["starting"],
            "nothing registered is not ready"
        );
        let articles = health.part("articles");
        let dedupe = health.part("articles-dedupe");
        assert_eq!(health.not_ready(), ["articles", "articles-dedupe"]);
        articles.set(true);
        dedupe.set(true);
        assert!(health.not_ready().is_empty());
        dedupe.set(false);
        assert_eq!(health.not_ready(), ["articles-dedupe"]);
    }
}

#[derive(Clone)]
struct Endpoints {
    registry: Registry,
    health: Health,
}

/// Binds `addr` and serves the endpoints until `shutdown` is cancelled.
/// Returns the bound address (useful with port 0).
///
/// Fails when the address cannot be bound.
pub async fn serve(
    addr: SocketAddr,
    registry: Registry,
    health: Health,
    shutdown: CancellationToken,
) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Http {
            addr: addr.to_string(),
            source,
        })?;
    let bound = listener.local_addr().map_err(|source| Error::Http {
        addr: addr.to_string(),
        source,
    })?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(Endpoints { registry, health });
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "Metrics endpoint stopped.");
        }
    });
    Ok(bound)
}

async fn metrics(State(endpoints): State<Endpoints>) -> impl IntoResponse {
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    match encoder.encode(&endpoints.registry.gather(), &mut body) {
        Ok(()) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, encoder.format_type().to_owned())],
            body,
        ),
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain".to_owned())],
            error.to_string().into_bytes(),
        ),
    }
}

async fn readyz(State(endpoints): State<Endpoints>) -> impl IntoResponse {
    let waiting = endpoints.health.not_ready();
    if waiting.is_empty() {
        (StatusCode::OK, "ready\n".to_owned())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", waiting.join(", ")),
        )
    }
}
