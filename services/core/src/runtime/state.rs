//! Partition assignment and the processor's state: a newly assigned
//! partition's state is restored from its changelog before any of its
//! messages is processed; a revoked one's is dropped. Readiness follows.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use crate::http::ReadyFlag;
use crate::metrics::RuntimeMetrics;
use crate::processor::Processor;
use crate::{Error, Result};

use super::changelog;

/// A partition assignment change, sent from the rebalance callback to the loop.
#[derive(Debug)]
pub(crate) enum PartitionEvent {
    Assigned(Vec<(String, i32)>),
    Revoked(Vec<(String, i32)>),
}

/// Applies assignment changes to the processor's state: restores assigned
/// partitions from the changelog, drops revoked ones. Readiness follows.
pub(crate) struct StateKeeper {
    pub(super) store: Option<changelog::Store>,
    pub(super) rebalances: mpsc::UnboundedReceiver<PartitionEvent>,
    pub(super) ready: ReadyFlag,
    pub(super) metrics: Arc<RuntimeMetrics>,
    pub(super) service: &'static str,
    pub(super) first_assignment_seen: bool,
}

impl StateKeeper {
    /// Handles every pending assignment change. Called before each input is
    /// processed, so that no message of a partition is processed before its
    /// state is restored.
    pub(crate) async fn catch_up<P: Processor>(&mut self, processor: &mut P) -> Result<()> {
        while let Ok(event) = self.rebalances.try_recv() {
            self.apply(event, processor).await?;
        }
        Ok(())
    }

    async fn apply<P: Processor>(
        &mut self,
        event: PartitionEvent,
        processor: &mut P,
    ) -> Result<()> {
        match event {
            PartitionEvent::Revoked(partitions) => {
                for (_, partition) in partitions {
                    processor.release(partition);
                }
            }
            PartitionEvent::Assigned(partitions) => {
                self.first_assignment_seen = true;
                if let Some(store) = &self.store {
                    self.ready.set(false);
                    let started = Instant::now();
                    let mut restored = store
                        .read(partitions.iter().map(|(_, p)| *p).collect())
                        .await?;
                    for (_, partition) in &partitions {
                        let entries = restored.remove(partition).unwrap_or_default();
                        let count = entries.len();
                        processor.restore(*partition, entries).map_err(|source| {
                            Error::Restore {
                                changelog: store.topic().to_owned(),
                                partition: *partition,
                                source,
                            }
                        })?;
                        tracing::info!(
                            service = self.service,
                            partition,
                            entries = count,
                            "State restored."
                        );
                    }
                    self.metrics
                        .restore_seconds
                        .with_label_values(&[self.service])
                        .observe(started.elapsed().as_secs_f64());
                }
            }
        }
        self.metrics
            .state_entries
            .with_label_values(&[self.service])
            .set(processor.state_entries() as i64);
        self.ready.set(self.first_assignment_seen);
        Ok(())
    }

    /// The changelog topic, when the processor has state.
    pub(crate) fn changelog_topic(&self) -> Option<&str> {
        self.store.as_ref().map(changelog::Store::topic)
    }

    pub(crate) fn ready(&self) -> &ReadyFlag {
        &self.ready
    }
}
