//! The runtime's metrics. Each service adds its own to the same registry.
//!
//! Names follow `tickertape_<noun>_<unit>`, counters end in `_total`, and
//! labels take values from small fixed sets (topic, reason, service).

use std::sync::Arc;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

/// Counters and histograms the Kafka runtime updates.
#[derive(Debug, Clone)]
pub struct RuntimeMetrics {
    /// Input messages read, by topic.
    pub consumed: IntCounterVec,
    /// Records acknowledged by the broker, by topic.
    pub produced: IntCounterVec,
    /// Inputs dead-lettered, by input topic and reason.
    pub dead_letters: IntCounterVec,
    /// Time spent in the processor per input, by input topic.
    pub processing_seconds: HistogramVec,
    /// The longest time one input took in the processor since start, by
    /// input topic: where a poison pill shows before it stalls anything.
    pub processing_max_seconds: prometheus::GaugeVec,
    /// Inputs in the open batch (not yet committed), by service.
    pub in_flight: IntGaugeVec,
    /// Partition assignments and revocations, by service and kind.
    pub rebalances: IntCounterVec,
    /// Partitions currently assigned, by service.
    pub assigned_partitions: IntGaugeVec,
    /// Errors the consumer reported while fetching, by service.
    pub consume_errors: IntCounterVec,
    /// Times a stage started again with new clients after its producer
    /// failed for good (not fenced).
    pub stage_restarts: IntCounterVec,
    /// Transactions by service and outcome (committed, aborted).
    pub transactions: IntCounterVec,
    /// Time to restore assigned partitions' state from the changelog.
    pub restore_seconds: HistogramVec,
    /// Bytes (keys and values) and entries read back from changelogs:
    /// over the restore time, the restore throughput.
    pub restored_bytes: IntCounterVec,
    /// See `restored_bytes`.
    pub restored_entries: IntCounterVec,
    /// Time the loop spent closing a batch (committing its transaction, or
    /// awaiting its records and storing its offsets), by service: the
    /// commit's share of the time.
    pub commit_seconds: HistogramVec,
    /// Entries held in the processor's state, by service.
    pub state_entries: IntGaugeVec,
    /// Consumer lag per input partition (end of partition minus the next
    /// offset the application reads), from librdkafka statistics.
    pub consumer_lag: IntGaugeVec,
    /// Average broker round-trip time, from librdkafka statistics.
    pub broker_rtt_seconds: prometheus::GaugeVec,
    /// Messages waiting in the producer's local queue.
    pub producer_queue_messages: IntGaugeVec,
    /// Inputs recognised as repeats, by kind (syndicated_copy, update, repeated_tick).
    pub duplicates: IntCounterVec,
    /// Age of each published event since its event time, by output topic.
    pub event_age_seconds: HistogramVec,
}

impl RuntimeMetrics {
    /// Creates the runtime metrics and registers them, with `build_info`.
    ///
    /// Fails if they are already registered in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Arc<Self>> {
        let metrics = RuntimeMetrics {
            consumed: IntCounterVec::new(
                Opts::new(
                    "tickertape_messages_consumed_total",
                    "Input messages read, by topic.",
                ),
                &["topic"],
            )?,
            produced: IntCounterVec::new(
                Opts::new(
                    "tickertape_messages_produced_total",
                    "Records acknowledged by the broker, by topic.",
                ),
                &["topic"],
            )?,
            dead_letters: IntCounterVec::new(
                Opts::new(
                    "tickertape_dead_letters_total",
                    "Inputs sent to a dead-letter topic, by input topic and reason code.",
                ),
                &["topic", "reason"],
            )?,
            processing_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "tickertape_processing_duration_seconds",
                    "Time spent deciding what one input becomes (no I/O), by input topic.",
                )
                .buckets(vec![
                    1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2, 0.1,
                ]),
                &["topic"],
            )?,
            processing_max_seconds: prometheus::GaugeVec::new(
                Opts::new(
                    "tickertape_processing_max_seconds",
                    "The longest time one input took in the processor since start, by input topic.",
                ),
                &["topic"],
            )?,
            in_flight: IntGaugeVec::new(
                Opts::new(
                    "tickertape_in_flight_messages",
                    "Inputs read and not yet committed: the open batch, and (at-least-once) closed batches awaiting acknowledgements.",
                ),
                &["service"],
            )?,
            rebalances: IntCounterVec::new(
                Opts::new(
                    "tickertape_rebalances_total",
                    "Consumer-group rebalance events, by kind (assign, revoke, error).",
                ),
                &["service", "kind"],
            )?,
            assigned_partitions: IntGaugeVec::new(
                Opts::new(
                    "tickertape_assigned_partitions",
                    "Input partitions currently assigned to this instance.",
                ),
                &["service"],
            )?,
            consume_errors: IntCounterVec::new(
                Opts::new(
                    "tickertape_consume_errors_total",
                    "Errors the Kafka consumer reported while fetching.",
                ),
                &["service"],
            )?,
            stage_restarts: IntCounterVec::new(
                Opts::new(
                    "tickertape_stage_restarts_total",
                    "Times a stage started again in-process with new Kafka clients, after its transactional producer failed for good.",
                ),
                &["service"],
            )?,
            transactions: IntCounterVec::new(
                Opts::new("tickertape_transactions_total", "Kafka transactions by outcome: committed, aborted."),
                &["service", "outcome"],
            )?,
            restore_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "tickertape_state_restore_duration_seconds",
                    "Time to rebuild assigned partitions' state from the changelog.",
                )
                .buckets(vec![0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0]),
                &["service"],
            )?,
            restored_bytes: IntCounterVec::new(
                Opts::new(
                    "tickertape_state_restored_bytes_total",
                    "Bytes (keys and values) read back from changelogs: the latest value of each key, or every record for a stage that restores record by record (the dedupe stage).",
                ),
                &["service"],
            )?,
            restored_entries: IntCounterVec::new(
                Opts::new(
                    "tickertape_state_restored_entries_total",
                    "State entries read back from changelogs (records, for a stage that restores record by record).",
                ),
                &["service"],
            )?,
            commit_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "tickertape_batch_close_duration_seconds",
                    "Time the loop spent closing a batch: committing its transaction (exactly-once), or sealing it (at-least-once, where acknowledgements are not waited for).",
                )
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0]),
                &["service"],
            )?,
            state_entries: IntGaugeVec::new(
                Opts::new("tickertape_state_entries", "Entries held in the processor's state (stories, symbol observations)."),
                &["service"],
            )?,
            consumer_lag: IntGaugeVec::new(
                Opts::new(
                    "tickertape_consumer_lag_messages",
                    "Messages behind the end of each assigned input partition (librdkafka statistics).",
                ),
                &["topic", "partition"],
            )?,
            broker_rtt_seconds: prometheus::GaugeVec::new(
                Opts::new("tickertape_broker_rtt_seconds", "Average request round-trip time per broker (librdkafka statistics)."),
                &["service", "broker"],
            )?,
            producer_queue_messages: IntGaugeVec::new(
                Opts::new(
                    "tickertape_producer_queue_messages",
                    "Messages in the producer's local queue, not yet acknowledged (librdkafka statistics).",
                ),
                &["service"],
            )?,
            duplicates: tickertape_processor::shared_metrics::duplicates_counter()?,
            event_age_seconds: HistogramVec::new(
                HistogramOpts::new(
                    "tickertape_event_age_seconds",
                    "Time from an event's own time (page fetch, tick time) to its publication, by output topic.",
                )
                .buckets(vec![0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 3600.0, 86400.0]),
                &["topic"],
            )?,
        };
        registry.register(Box::new(metrics.consumed.clone()))?;
        registry.register(Box::new(metrics.produced.clone()))?;
        registry.register(Box::new(metrics.dead_letters.clone()))?;
        registry.register(Box::new(metrics.processing_seconds.clone()))?;
        registry.register(Box::new(metrics.processing_max_seconds.clone()))?;
        registry.register(Box::new(metrics.in_flight.clone()))?;
        registry.register(Box::new(metrics.rebalances.clone()))?;
        registry.register(Box::new(metrics.assigned_partitions.clone()))?;
        registry.register(Box::new(metrics.consume_errors.clone()))?;
        registry.register(Box::new(metrics.stage_restarts.clone()))?;
        registry.register(Box::new(metrics.transactions.clone()))?;
        registry.register(Box::new(metrics.restore_seconds.clone()))?;
        registry.register(Box::new(metrics.restored_bytes.clone()))?;
        registry.register(Box::new(metrics.restored_entries.clone()))?;
        registry.register(Box::new(metrics.commit_seconds.clone()))?;
        registry.register(Box::new(metrics.state_entries.clone()))?;
        registry.register(Box::new(metrics.consumer_lag.clone()))?;
        registry.register(Box::new(metrics.broker_rtt_seconds.clone()))?;
        registry.register(Box::new(metrics.producer_queue_messages.clone()))?;
        registry.register(Box::new(metrics.duplicates.clone()))?;
        registry.register(Box::new(metrics.event_age_seconds.clone()))?;
        register_build_info(registry)?;
        Ok(Arc::new(metrics))
    }
}

impl RuntimeMetrics {
    /// Updates the gauges that come from librdkafka's statistics: consumer
    /// lag per partition, broker round trips, the producer queue.
    pub fn record_statistics(&self, service: &str, statistics: &rdkafka::Statistics) {
        if statistics.client_type == "producer" {
            self.producer_queue_messages
                .with_label_values(&[service])
                .set(statistics.msg_cnt as i64);
        }
        for broker in statistics.brokers.values() {
            if let Some(rtt) = &broker.rtt {
                self.broker_rtt_seconds
                    .with_label_values(&[service, &broker.name])
                    .set(rtt.avg as f64 / 1e6);
            }
        }
        if statistics.client_type != "consumer" {
            return;
        }
        for topic in statistics.topics.values() {
            for partition in topic.partitions.values() {
                // Partition -1 is librdkafka's internal UA partition. The lag is
                // measured from what the application has read (app_offset):
                // under exactly-once, offsets are committed by the producer's
                // transactions, which librdkafka's own consumer_lag does not see.
                let end = if partition.ls_offset >= 0 {
                    partition.ls_offset
                } else {
                    partition.hi_offset
                };
                if partition.partition >= 0 && partition.app_offset >= 0 && end >= 0 {
                    self.consumer_lag
                        .with_label_values(&[&topic.topic, &partition.partition.to_string()])
                        .set((end - partition.app_offset).max(0));
                }
            }
        }
    }
}

fn register_build_info(registry: &Registry) -> prometheus::Result<()> {
    let build_info = IntGaugeVec::new(
        Opts::new(
            "tickertape_build_info",
            "Always 1; labels say which build runs.",
        ),
        &["version"],
    )?;
    build_info
        .with_label_values(&[env!("CARGO_PKG_VERSION")])
        .set(1);
    registry.register(Box::new(build_info))
}
