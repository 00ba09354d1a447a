//! The errors of the runtime: each says what failed and what to check.

/// Errors raised by the runtime. Input problems are never errors here: they
/// are [`crate::Rejection`]s and go to a dead-letter topic.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Kafka client could not be created or a Kafka call failed.
    #[error("kafka: {context}: {source}")]
    Kafka {
        /// What the runtime was doing.
        context: String,
        /// The client's error.
        #[source]
        source: rdkafka::error::KafkaError,
    },
    /// A record was not acknowledged by the broker; its input offset was not
    /// stored, so the input will be processed again after a restart.
    #[error("delivery to topic {topic} failed: {source}")]
    Delivery {
        /// The output topic.
        topic: String,
        /// The producer's error.
        #[source]
        source: rdkafka::error::KafkaError,
    },
    /// A setting is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The broker refused the client's credentials, or the client did not
    /// trust the broker's certificate (librdkafka's words, naming the broker).
    #[error("the Kafka broker refused the connection: {0}; check security.protocol, sasl.* and ssl.* (TICKERTAPE_KAFKA_PROPERTIES)")]
    BrokerRefused(String),
    /// A topic the service needs is missing or has the wrong shape (a
    /// changelog whose partitions do not match its input's).
    #[error("topic {topic}: {problem}")]
    Topic {
        /// The topic.
        topic: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A partition's state could not be rebuilt from its changelog: the
    /// service stops rather than run on a state it cannot trust.
    #[error("restoring partition {partition} from {changelog}: {source}")]
    Restore {
        /// The changelog topic.
        changelog: String,
        /// The input (and changelog) partition.
        partition: i32,
        /// What the processor refused.
        #[source]
        source: tickertape_processor::RestoreError,
    },
    /// Reading a changelog to its end took longer than the bound.
    #[error("restoring {changelog} took longer than {seconds} s")]
    RestoreTimeout {
        /// The changelog topic.
        changelog: String,
        /// The bound.
        seconds: u64,
    },
    /// The transactional producer can no longer be used (a fatal error in
    /// librdkafka's words). Fenced by a newer instance with the same
    /// transactional id, the service stops: the newer one owns the work.
    /// Otherwise (a transaction the coordinator timed out while the broker
    /// was away makes its abort fail for good, librdkafka#3297) the stage
    /// starts over in-process with new clients.
    #[error("the transactional producer failed for good ({context}): {source}")]
    ProducerFailed {
        /// What the runtime was doing.
        context: String,
        /// The producer's error.
        #[source]
        source: rdkafka::error::KafkaError,
    },
    /// A blocking task of the runtime (a metadata probe, a restore) panicked
    /// or was cancelled.
    #[error("{task} did not finish: {source}")]
    Task {
        /// What the task was doing.
        task: &'static str,
        /// Why it did not finish.
        #[source]
        source: tokio::task::JoinError,
    },
    /// The metrics or health endpoint could not be served.
    #[error("http endpoint {addr}: {source}")]
    Http {
        /// The address that was asked for.
        addr: String,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A newer instance with the same transactional id took over.
    pub fn is_fenced(&self) -> bool {
        matches!(self, Error::ProducerFailed { source, .. }
            if source.rdkafka_error_code() == Some(rdkafka::types::RDKafkaErrorCode::ProducerFenced))
    }

    /// Wraps a Kafka error with what the runtime was doing.
    pub fn kafka(context: impl Into<String>, source: rdkafka::error::KafkaError) -> Self {
        Error::Kafka {
            context: context.into(),
            source,
        }
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
