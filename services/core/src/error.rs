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
