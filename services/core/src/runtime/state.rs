//! Partition assignment, the processor's state, and readiness: a newly
//! assigned partition's state is restored from its changelog before any of
//! its messages is processed; a revoked one's is dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::http::ReadyFlag;
use crate::metrics::RuntimeMetrics;
use crate::processor::Processor;
use crate::{Error, Result};

use super::changelog;
use super::clients::PartitionEvents;

/// A partition assignment change, sent from the rebalance callback to the loop.
#[derive(Debug)]
pub(crate) enum PartitionEvent {
    Assigned(Vec<(String, i32)>),
    Revoked(Vec<(String, i32)>),
}

/// Whether a stage is ready: it has had its first assignment, is not
/// restoring state, can reach a broker, and is not stopping.
#[derive(Debug)]
pub(crate) struct Readiness {
    flag: ReadyFlag,
    assigned: AtomicBool,
    restoring: AtomicBool,
    broker_lost: AtomicBool,
    stopping: AtomicBool,
    /// Why the broker refused this client (authentication, TLS), as
    /// librdkafka said it, naming the broker; None while it has not.
    refused: std::sync::Mutex<Option<String>>,
}

impl Readiness {
    pub(crate) fn new(flag: ReadyFlag) -> Self {
        Readiness {
            flag,
            assigned: AtomicBool::new(false),
            restoring: AtomicBool::new(false),
            broker_lost: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            refused: std::sync::Mutex::new(None),
        }
    }

    /// Notes that the broker refused the client's credentials or
    /// certificate: no retry fixes a configuration.
    pub(crate) fn set_refused(&self, why: String) {
        *super::clients::lock(&self.refused) = Some(why);
    }

    /// Why the broker refused the client, if it did.
    pub(crate) fn refused(&self) -> Option<String> {
        super::clients::lock(&self.refused).clone()
    }

    fn refresh(&self) {
        let load = |flag: &AtomicBool| flag.load(Ordering::Relaxed);
        self.flag.set(
            load(&self.assigned)
                && !load(&self.restoring)
                && !load(&self.broker_lost)
                && !load(&self.stopping),
        );
    }

    pub(crate) fn set_assigned(&self) {
        self.assigned.store(true, Ordering::Relaxed);
        self.refresh();
    }

    pub(crate) fn set_restoring(&self, restoring: bool) {
        self.restoring.store(restoring, Ordering::Relaxed);
        self.refresh();
    }

    pub(crate) fn set_broker_lost(&self, lost: bool) {
        if self.broker_lost.swap(lost, Ordering::Relaxed) != lost {
            if lost {
                tracing::warn!("No broker reachable: not ready until one is.");
            } else {
                tracing::info!("A broker is reachable again.");
            }
            self.refresh();
        }
    }

    pub(crate) fn set_stopping(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.refresh();
    }
}

/// Applies assignment changes to the processor's state: restores assigned
/// partitions from the changelog, drops revoked ones.
pub(crate) struct StateKeeper {
    pub(super) store: Option<changelog::Store>,
    pub(super) events: Arc<PartitionEvents>,
    pub(super) readiness: Arc<Readiness>,
    pub(super) metrics: Arc<RuntimeMetrics>,
    pub(super) service: &'static str,
    /// Partition numbers whose state the processor holds.
    pub(super) held: std::collections::BTreeSet<i32>,
}

/// What [`StateKeeper::catch_up`] did.
#[derive(Debug, Default)]
pub(crate) struct CaughtUp {
    /// Partitions revoked since the last call: messages of theirs already
    /// polled are not processed (the next owner reads them).
    pub revoked: Vec<(String, i32)>,
    /// Shutdown came during a restore.
    pub interrupted: bool,
}

impl StateKeeper {
    /// Handles every pending assignment change. Called after each poll
    /// round, before its messages are processed, so that no message of a
    /// partition is processed before its state is restored.
    pub(crate) fn catch_up<P: Processor>(
        &mut self,
        processor: &mut P,
        shutdown: &CancellationToken,
    ) -> Result<CaughtUp> {
        let mut caught_up = CaughtUp::default();
        for event in self.events.take() {
            match event {
                PartitionEvent::Revoked(partitions) => {
                    for (_, partition) in &partitions {
                        processor.release(*partition);
                        self.held.remove(partition);
                    }
                    caught_up.revoked.extend(partitions);
                }
                PartitionEvent::Assigned(partitions) => {
                    caught_up.revoked.retain(|p| !partitions.contains(p));
                    if !self.restore(&partitions, processor, shutdown)? {
                        caught_up.interrupted = true;
                        return Ok(caught_up);
                    }
                    self.readiness.set_assigned();
                }
            }
        }
        Ok(caught_up)
    }

    /// Rebuilds the state of `partitions` from the changelog (after an
    /// assignment, or a rewind). Returns false if shutdown came first.
    ///
    /// Fails when the changelog cannot be read or the processor refuses it.
    pub(crate) fn restore<P: Processor>(
        &mut self,
        partitions: &[(String, i32)],
        processor: &mut P,
        shutdown: &CancellationToken,
    ) -> Result<bool> {
        // A handle (its settings and topic name), not a connection.
        let Some(store) = self.store.clone() else {
            return Ok(true);
        };
        if partitions.is_empty() {
            return Ok(true);
        }
        self.readiness.set_restoring(true);
        let started = Instant::now();
        // One state per partition number: a join's two input topics both
        // have a partition n, and restoring n twice would wipe it the
        // second time.
        let mut numbers: Vec<i32> = partitions.iter().map(|(_, p)| *p).collect();
        numbers.sort_unstable();
        numbers.dedup();
        if processor.restores_by_record() {
            if !self.restore_by_record(&store, &numbers, processor, shutdown)? {
                return Ok(false);
            }
        } else if !self.restore_latest(&store, &numbers, processor, shutdown)? {
            return Ok(false);
        }
        self.metrics
            .restore_seconds
            .with_label_values(&[self.service])
            .observe(started.elapsed().as_secs_f64());
        self.metrics
            .state_entries
            .with_label_values(&[self.service])
            .set(processor.state_entries() as i64);
        self.readiness.set_restoring(false);
        Ok(true)
    }

    /// [`StateKeeper::restore`] for a processor that takes the latest value
    /// of every key at once.
    fn restore_latest<P: Processor>(
        &mut self,
        store: &changelog::Store,
        numbers: &[i32],
        processor: &mut P,
        shutdown: &CancellationToken,
    ) -> Result<bool> {
        let Some(mut restored) = store.read(numbers, shutdown)? else {
            return Ok(false);
        };
        for &partition in numbers {
            processor.release(partition);
            self.held.insert(partition);
            let entries = restored.remove(&partition).unwrap_or_default();
            let count = entries.len();
            let bytes: usize = entries.iter().map(|(k, v)| k.len() + v.len()).sum();
            self.count_restored(count as u64, bytes as u64);
            processor
                .restore(partition, entries)
                .map_err(|source| Error::Restore {
                    changelog: store.topic().to_owned(),
                    partition,
                    source,
                })?;
            tracing::info!(
                service = self.service,
                partition,
                entries = count,
                "State restored."
            );
        }
        Ok(true)
    }

    /// [`StateKeeper::restore`] for a processor that takes the changelog
    /// record by record: nothing of it is held here, so the state is never
    /// in memory twice. The metrics count every record read.
    fn restore_by_record<P: Processor>(
        &mut self,
        store: &changelog::Store,
        numbers: &[i32],
        processor: &mut P,
        shutdown: &CancellationToken,
    ) -> Result<bool> {
        for &partition in numbers {
            processor.release(partition);
            self.held.insert(partition);
        }
        let (mut records, mut bytes) = (0u64, 0u64);
        let refused = |partition, source| Error::Restore {
            changelog: store.topic().to_owned(),
            partition,
            source,
        };
        let read = store.read_records(numbers, shutdown, |partition, key, value| {
            records += 1;
            bytes += (key.len() + value.map_or(0, <[u8]>::len)) as u64;
            processor
                .restore_record(partition, &key, value)
                .map_err(|source| refused(partition, source))
        });
        let finished = read.and_then(|read| {
            if read {
                for &partition in numbers {
                    processor
                        .restore_finished(partition)
                        .map_err(|source| refused(partition, source))?;
                }
            }
            Ok(read)
        });
        if !matches!(finished, Ok(true)) {
            // Half a state is no state: the partitions are restored again
            // from the start if the service goes on.
            for &partition in numbers {
                processor.release(partition);
            }
            return finished;
        }
        self.count_restored(records, bytes);
        tracing::info!(
            service = self.service,
            partitions = ?numbers,
            records,
            "State restored."
        );
        Ok(true)
    }

    fn count_restored(&self, entries: u64, bytes: u64) {
        let service = [self.service];
        self.metrics
            .restored_entries
            .with_label_values(&service)
            .inc_by(entries);
        self.metrics
            .restored_bytes
            .with_label_values(&service)
            .inc_by(bytes);
    }

    /// Drops the state of every partition held.
    pub(crate) fn release_all<P: Processor>(&mut self, processor: &mut P) {
        for partition in std::mem::take(&mut self.held) {
            processor.release(partition);
        }
    }

    /// The changelog topic, when the processor has state.
    pub(crate) fn changelog_topic(&self) -> Option<&str> {
        self.store.as_ref().map(changelog::Store::topic)
    }
}
