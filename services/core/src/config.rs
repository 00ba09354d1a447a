//! Settings every service shares. Each is a flag and a `TICKERTAPE_…`
//! environment variable with a documented default.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use crate::telemetry::LogFormat;
use crate::{Error, Result};

/// How to reach Kafka. Embedded in every command that talks to a broker.
/// Its `Debug` leaves the property values out: they hold passwords.
#[derive(Clone, clap::Args)]
pub struct KafkaArgs {
    /// Kafka bootstrap servers, comma-separated.
    #[arg(long, env = "TICKERTAPE_BROKERS", default_value = "localhost:9092")]
    pub brokers: String,

    /// librdkafka properties passed through unchanged, as `key=value`,
    /// comma-separated (repeat the flag, or list them in the environment
    /// variable). A value may hold commas (`debug=broker,security`): only a
    /// comma followed by `name=` starts the next property. Use it for
    /// `security.protocol`, `sasl.*`, `ssl.*`, `client.id` and tuning.
    /// Values from the environment are never shown by `--help` (clap shows
    /// them by default): they hold `sasl.password`.
    #[arg(
        long = "kafka-property",
        env = "TICKERTAPE_KAFKA_PROPERTIES",
        hide_env_values = true,
        value_parser = parse_properties
    )]
    pub kafka_properties: Vec<Properties>,
}

/// The properties of one `--kafka-property` flag (or of the environment
/// variable), in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Properties(pub Vec<(String, String)>);

impl std::fmt::Debug for KafkaArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self
            .kafka_properties
            .iter()
            .flat_map(|list| &list.0)
            .map(|(k, _)| k.as_str())
            .collect();
        f.debug_struct("KafkaArgs")
            .field("brokers", &self.brokers)
            .field("kafka_properties (values hidden)", &keys)
            .finish()
    }
}

/// Settings of a long-running service process.
#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    /// Kafka connection.
    #[command(flatten)]
    pub kafka: KafkaArgs,

    /// Consumer group id [default: tickertape-<service>].
    #[arg(long, env = "TICKERTAPE_GROUP_ID")]
    pub group_id: Option<String>,

    /// Address of the `/metrics`, `/healthz` and `/readyz` endpoint, as
    /// `IP:PORT` or `HOST:PORT` (each service has its own default port).
    #[arg(
        long,
        env = "TICKERTAPE_METRICS_ADDR",
        default_value = "0.0.0.0:9464",
        value_parser = resolve_addr
    )]
    pub metrics_addr: SocketAddr,

    /// Log line format (the level comes from `RUST_LOG`).
    #[arg(
        long,
        env = "TICKERTAPE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// On shutdown, how long to wait for in-flight records to be acknowledged
    /// before closing without storing their offsets.
    #[arg(long, env = "TICKERTAPE_DRAIN_TIMEOUT_MS", default_value_t = 10_000)]
    pub drain_timeout_ms: u64,

    /// The largest output record, in bytes (value, key and headers, before
    /// compression). An input that causes a larger one is dead-lettered
    /// (`output_too_large`) before any of its records is sent, so no input
    /// is half published. Keep it at or below the producer's
    /// `message.max.bytes` (librdkafka's default: 1,000,000).
    #[arg(long, env = "TICKERTAPE_MAX_OUTPUT_BYTES", default_value_t = 1_000_000)]
    pub max_output_bytes: usize,

    /// Most input messages in one batch (one transaction under
    /// exactly-once): a batch closes after the commit interval or at this
    /// many inputs, whichever comes first. Bounds memory when the broker is slow.
    #[arg(long, env = "TICKERTAPE_MAX_IN_FLIGHT", default_value_t = 100_000)]
    pub max_in_flight: usize,

    /// How many times an input whose records fail to be delivered for a
    /// reason that may pass (the broker busy, a replica away) is read and
    /// tried again before it is dead-lettered (`output_failed`). An input
    /// whose record the broker refuses for good is dead-lettered at once
    /// (`output_rejected`); a broker outage counts against no input.
    #[arg(long, env = "TICKERTAPE_MAX_ATTEMPTS", default_value_t = 5)]
    pub max_attempts: u32,

    /// `exactly_once`: inputs' offsets, outputs, dead letters and state
    /// changes commit in one Kafka transaction. `at_least_once`: an input's
    /// offset is stored once everything it caused is acknowledged.
    #[arg(
        long,
        env = "TICKERTAPE_PROCESSING_GUARANTEE",
        value_enum,
        default_value = "exactly_once"
    )]
    pub processing_guarantee: Guarantee,

    /// How often the open batch closes: its transaction commits
    /// (exactly-once: a read_committed reader sees outputs this late at
    /// most), or its records are awaited and its offsets stored
    /// (at-least-once: outputs go out at once; this bounds what a crash
    /// repeats) [default: 100 under exactly-once, 1000 under at-least-once].
    #[arg(long, env = "TICKERTAPE_COMMIT_INTERVAL_MS")]
    pub commit_interval_ms: Option<u64>,

    /// This instance's name, unique among running instances of the service;
    /// its transactional id is `<group>-<instance>`. Set it to something
    /// stable (the pod name) so a restarted instance fences its predecessor
    /// at once [default: <hostname>-<pid>].
    #[arg(long, env = "TICKERTAPE_INSTANCE_ID")]
    pub instance_id: Option<String>,
}

/// The delivery guarantee of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[clap(rename_all = "snake_case")]
pub enum Guarantee {
    /// Consume → process → produce in Kafka transactions.
    ExactlyOnce,
    /// Offsets stored after delivery; duplicates possible after a crash.
    AtLeastOnce,
}

/// Everything [`crate::runtime::run`] needs, resolved from flags.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// The service's name, for logs and the client id.
    pub service: &'static str,
    /// Kafka connection.
    pub kafka: KafkaArgs,
    /// Consumer group id.
    pub group_id: String,
    /// Topics to consume.
    pub input_topics: Vec<String>,
    /// Where rejected inputs go, with their original bytes.
    pub dead_letter_topic: String,
    /// See [`ServiceArgs::max_in_flight`].
    pub max_in_flight: usize,
    /// See [`ServiceArgs::max_output_bytes`].
    pub max_output_bytes: usize,
    /// See [`ServiceArgs::max_attempts`].
    pub max_attempts: u32,
    /// See [`ServiceArgs::drain_timeout_ms`].
    pub drain_timeout: Duration,
    /// See [`ServiceArgs::processing_guarantee`].
    pub guarantee: Guarantee,
    /// See [`ServiceArgs::commit_interval_ms`].
    pub commit_interval: Duration,
    /// This instance's name (transactional ids, client ids).
    pub instance_id: String,
    /// The input topics are co-partitioned (keyed alike, as many
    /// partitions each) and partition n of every one must be on one
    /// instance, as a join's state needs: the range assignor guarantees it,
    /// at the price of eager rebalancing. False: cooperative-sticky.
    pub co_partitioned: bool,
}

/// The longest commit interval under exactly-once: half the transaction
/// timeout the runtime's producer sets (10 s).
pub const MAX_EXACTLY_ONCE_COMMIT_INTERVAL_MS: u64 = 5_000;
/// The longest commit interval under at-least-once: the inputs of a batch
/// are re-read after a crash, so a batch is kept to a minute.
pub const MAX_COMMIT_INTERVAL_MS: u64 = 60_000;
/// The longest drain on shutdown: Kubernetes' grace period is set above it.
pub const MAX_DRAIN_TIMEOUT_MS: u64 = 3_600_000;

impl RuntimeConfig {
    /// Resolves the shared flags for one service and checks them.
    ///
    /// Fails when a topic name is empty or a bound is zero.
    pub fn new(
        service: &'static str,
        args: &ServiceArgs,
        input_topics: Vec<String>,
        dead_letter_topic: String,
    ) -> Result<Self> {
        if input_topics.iter().any(|t| t.trim().is_empty()) || dead_letter_topic.trim().is_empty() {
            return Err(Error::Config("topic names must not be empty".into()));
        }
        if input_topics.contains(&dead_letter_topic) {
            return Err(Error::Config(format!(
                "dead-letter topic {dead_letter_topic} is also an input topic; that would loop"
            )));
        }
        if args.max_attempts == 0 {
            return Err(Error::Config(
                "--max-attempts (TICKERTAPE_MAX_ATTEMPTS) must be at least 1".into(),
            ));
        }
        if args.max_in_flight == 0 {
            return Err(Error::Config(
                "--max-in-flight (TICKERTAPE_MAX_IN_FLIGHT) must be at least 1".into(),
            ));
        }
        // An open transaction the broker times out (transaction.timeout.ms,
        // 10 s) is aborted under the service: commit well inside it.
        let longest_interval_ms = match args.processing_guarantee {
            Guarantee::ExactlyOnce => MAX_EXACTLY_ONCE_COMMIT_INTERVAL_MS,
            Guarantee::AtLeastOnce => MAX_COMMIT_INTERVAL_MS,
        };
        let commit_interval_ms =
            args.commit_interval_ms
                .unwrap_or(match args.processing_guarantee {
                    Guarantee::ExactlyOnce => 100,
                    Guarantee::AtLeastOnce => 1000,
                });
        if !(1..=longest_interval_ms).contains(&commit_interval_ms) {
            return Err(Error::Config(format!(
                "--commit-interval-ms (TICKERTAPE_COMMIT_INTERVAL_MS) = {commit_interval_ms}: must be from 1 to {longest_interval_ms} under {:?}",
                args.processing_guarantee
            )));
        }
        if args.max_output_bytes < 1024 {
            return Err(Error::Config(format!(
                "--max-output-bytes (TICKERTAPE_MAX_OUTPUT_BYTES) = {}: must be at least 1024",
                args.max_output_bytes
            )));
        }
        if args.drain_timeout_ms > MAX_DRAIN_TIMEOUT_MS {
            return Err(Error::Config(format!(
                "--drain-timeout-ms (TICKERTAPE_DRAIN_TIMEOUT_MS) = {}: must be at most {MAX_DRAIN_TIMEOUT_MS} (an hour)",
                args.drain_timeout_ms
            )));
        }
        let instance_id = args.instance_id.clone().unwrap_or_else(|| {
            let host = std::env::var("HOSTNAME")
                .ok()
                .filter(|h| !h.is_empty())
                .or_else(|| {
                    std::fs::read_to_string("/etc/hostname")
                        .ok()
                        .map(|h| h.trim().to_owned())
                })
                .unwrap_or_else(|| "tickertape".to_owned());
            format!("{host}-{}", std::process::id())
        });
        Ok(RuntimeConfig {
            service,
            kafka: args.kafka.clone(),
            group_id: args
                .group_id
                .clone()
                .unwrap_or_else(|| format!("tickertape-{service}")),
            input_topics,
            dead_letter_topic,
            max_in_flight: args.max_in_flight,
            max_output_bytes: args.max_output_bytes,
            max_attempts: args.max_attempts,
            drain_timeout: Duration::from_millis(args.drain_timeout_ms),
            guarantee: args.processing_guarantee,
            commit_interval: Duration::from_millis(commit_interval_ms),
            instance_id,
            co_partitioned: false,
        })
    }
}

impl KafkaArgs {
    /// Kafka settings for `brokers` with no pass-through properties.
    pub fn plain(brokers: impl Into<String>) -> Self {
        KafkaArgs {
            brokers: brokers.into(),
            kafka_properties: Vec::new(),
        }
    }

    /// A librdkafka client config with the bootstrap servers and every
    /// pass-through property applied last, so that operators can override
    /// anything the runtime sets.
    pub fn client_config(&self, defaults: &[(&str, &str)]) -> rdkafka::ClientConfig {
        let mut config = rdkafka::ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        for (key, value) in defaults {
            config.set(*key, *value);
        }
        for (key, value) in self.kafka_properties.iter().flat_map(|list| &list.0) {
            config.set(key, value);
        }
        config
    }
}

/// `IP:PORT`, or `HOST:PORT` resolved now (`localhost:9465`); an IPv4
/// address where the host has one, as most scrapers try it first.
///
/// Fails when the text is neither, or the host does not resolve.
pub fn resolve_addr(text: &str) -> std::result::Result<SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|error| format!("expected IP:PORT or HOST:PORT ({error})"))?
        .collect();
    addrs
        .iter()
        .find(|addr| addr.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("{text} resolves to no address"))
}

/// Parses `args` with `command`, as clap does, but when a bad value came
/// from an environment variable (not the command line), the message also
/// names the variable: an operator reading `invalid value for
/// '--max-in-flight'` in a pod's log would otherwise look for a flag that
/// nobody passed. Exits the process on any error (and on `--help`).
pub fn parse_naming_env<T: clap::FromArgMatches>(
    mut command: clap::Command,
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> T {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let parsed = command
        .try_get_matches_from_mut(&args)
        .and_then(|matches| T::from_arg_matches(&matches));
    match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            let error = error.format(&mut command);
            match env_variable_behind(&command, &error, &args) {
                Some(variable) => {
                    let message = error.to_string();
                    let (problem, advice) =
                        message.split_once("\n\n").unwrap_or((message.as_str(), ""));
                    eprintln!("{problem}\n  (the value comes from the environment variable {variable})\n\n{advice}");
                    std::process::exit(error.exit_code())
                }
                None => error.exit(),
            }
        }
    }
}

/// The environment variable a value error came from, if it did: the
/// failing argument reads one, it is set, and the flag is not on the line.
fn env_variable_behind(
    command: &clap::Command,
    error: &clap::Error,
    args: &[std::ffi::OsString],
) -> Option<String> {
    let clap::error::ContextValue::String(invalid) =
        error.get(clap::error::ContextKind::InvalidArg)?
    else {
        return None;
    };
    let argument = command.get_arguments().find(|argument| {
        argument
            .get_long()
            .is_some_and(|long| invalid.split(' ').next() == Some(&format!("--{long}")))
    })?;
    let long = format!("--{}", argument.get_long()?);
    let on_the_line = args
        .iter()
        .filter_map(|arg| arg.to_str())
        .any(|arg| arg == long || arg.starts_with(&format!("{long}=")));
    let variable = argument.get_env()?;
    (!on_the_line && std::env::var_os(variable).is_some())
        .then(|| variable.to_string_lossy().into_owned())
}

fn parse_property(text: &str) -> std::result::Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_owned(), value.trim().to_owned()))
        }
        _ => Err(format!("expected key=value, got {text:?}")),
    }
}

/// `a=1,b.c=x,y`: properties separated by commas; a comma not followed by
/// a property name and `=` belongs to the value before it (librdkafka's
/// lists, a password with a comma).
fn parse_properties(text: &str) -> std::result::Result<Properties, String> {
    let starts_property = |segment: &str| {
        segment.split_once('=').is_some_and(|(key, _)| {
            let key = key.trim();
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        })
    };
    let mut properties: Vec<String> = Vec::new();
    for segment in text.split(',') {
        match properties.last_mut() {
            Some(last) if !starts_property(segment) => {
                last.push(',');
                last.push_str(segment);
            }
            _ => properties.push(segment.to_owned()),
        }
    }
    properties
        .iter()
        .map(|property| parse_property(property))
        .collect::<std::result::Result<_, _>>()
        .map(Properties)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_parse_as_key_value() {
        assert_eq!(
            parse_property("security.protocol=SASL_SSL").unwrap(),
            ("security.protocol".into(), "SASL_SSL".into())
        );
        assert_eq!(
            parse_property("sasl.password=a=b").unwrap(),
            ("sasl.password".into(), "a=b".into())
        );
        assert!(parse_property("no-equals-sign").is_err());
        let pairs = |text| parse_properties(text).map(|list| list.0);
        assert_eq!(
            pairs("security.protocol=SASL_SSL,debug=broker,security,sasl.password=p,w=d").unwrap(),
            vec![
                ("security.protocol".to_owned(), "SASL_SSL".to_owned()),
                ("debug".to_owned(), "broker,security".to_owned()),
                ("sasl.password".to_owned(), "p".to_owned()),
                ("w".to_owned(), "d".to_owned()),
            ],
            "a comma before `name=` starts a property; any other belongs to the value"
        );
        assert_eq!(
            pairs("sasl.password=a,b c,d").unwrap(),
            vec![("sasl.password".to_owned(), "a,b c,d".to_owned())]
        );
        assert!(pairs("broker,security").is_err());
        assert!(parse_property("=value").is_err());
    }

    #[test]
    fn runtime_settings_at_their_extremes_are_accepted_or_named_never_a_panic() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Command {
            #[command(flatten)]
            service: ServiceArgs,
        }
        let with = |flags: &[&str]| {
            let mut argv = vec!["x", "--brokers", "b:9092"];
            argv.extend_from_slice(flags);
            let args = Command::try_parse_from(argv).unwrap().service;
            RuntimeConfig::new("test", &args, vec!["in".into()], "dlq".into())
        };
        assert!(with(&[]).is_ok());
        assert!(with(&["--commit-interval-ms", "5000"]).is_ok());
        assert!(with(&[
            "--processing-guarantee",
            "at_least_once",
            "--commit-interval-ms",
            "60000"
        ])
        .is_ok());
        assert!(with(&[
            "--drain-timeout-ms",
            "3600000",
            "--max-in-flight",
            &usize::MAX.to_string()
        ])
        .is_ok());
        for flags in [
            &["--commit-interval-ms", "0"][..],
            &["--commit-interval-ms", "10000"],
            &["--commit-interval-ms", &u64::MAX.to_string()],
            &[
                "--processing-guarantee",
                "at_least_once",
                "--commit-interval-ms",
                &u64::MAX.to_string(),
            ],
            &["--drain-timeout-ms", &u64::MAX.to_string()],
            &["--max-in-flight", "0"],
            &["--max-output-bytes", "10"],
        ] {
            let error = with(flags).unwrap_err();
            assert!(
                error.to_string().contains(flags[flags.len() - 2]),
                "{error}"
            );
        }
    }

    #[test]
    fn metrics_addresses_take_host_names() {
        assert_eq!(
            resolve_addr("0.0.0.0:9464").unwrap(),
            "0.0.0.0:9464".parse().unwrap()
        );
        let local = resolve_addr("localhost:9465").unwrap();
        assert!(local.ip().is_loopback());
        assert_eq!(local.port(), 9465);
        assert!(resolve_addr("localhost").is_err(), "a port is needed");
        assert!(resolve_addr("no such host.invalid:1").is_err());
    }

    #[derive(clap::Parser, Debug)]
    struct NamingTest {
        #[arg(long, env = "TICKERTAPE_TEST_NAMING_ENV_BOUND", default_value_t = 1)]
        bound: u32,
    }

    #[test]
    fn a_bad_value_from_the_environment_is_named_as_the_variable() {
        use clap::CommandFactory;
        // A variable only this test reads, so other tests cannot see it.
        std::env::set_var("TICKERTAPE_TEST_NAMING_ENV_BOUND", "lots");
        let mut command = NamingTest::command();
        let args: Vec<std::ffi::OsString> = vec!["x".into()];
        let error = command.try_get_matches_from_mut(&args).unwrap_err();
        assert_eq!(
            env_variable_behind(&command, &error, &args).as_deref(),
            Some("TICKERTAPE_TEST_NAMING_ENV_BOUND")
        );
        // The same bad value on the command line is the flag's, not the variable's.
        let args: Vec<std::ffi::OsString> = vec!["x".into(), "--bound".into(), "lots".into()];
        let error = command.try_get_matches_from_mut(&args).unwrap_err();
        assert_eq!(env_variable_behind(&command, &error, &args), None);
        std::env::remove_var("TICKERTAPE_TEST_NAMING_ENV_BOUND");
    }

    #[test]
    fn no_property_value_shows_in_help_or_debug() {
        use clap::CommandFactory;
        #[derive(clap::Parser)]
        struct Command {
            #[command(flatten)]
            kafka: KafkaArgs,
        }
        // A variable only this test reads would be better, but the flag's
        // variable is fixed: the secret is one no other test sets or reads.
        std::env::set_var(
            "TICKERTAPE_KAFKA_PROPERTIES",
            "sasl.username=u,sasl.password=hunter2-secret",
        );
        let help = Command::command().render_long_help().to_string();
        let parsed = <Command as clap::Parser>::try_parse_from(["x"]).map(|c| c.kafka);
        std::env::remove_var("TICKERTAPE_KAFKA_PROPERTIES");
        assert!(help.contains("TICKERTAPE_KAFKA_PROPERTIES"), "{help}");
        assert!(!help.contains("hunter2"), "{help}");
        let kafka = parsed.unwrap();
        assert_eq!(
            kafka
                .kafka_properties
                .iter()
                .map(|l| l.0.len())
                .sum::<usize>(),
            2
        );
        let debug = format!("{kafka:?}");
        assert!(
            debug.contains("sasl.password") && !debug.contains("hunter2"),
            "{debug}"
        );
    }

    #[test]
    fn pass_through_properties_override_defaults() {
        let kafka = KafkaArgs {
            brokers: "b:9092".into(),
            kafka_properties: vec![Properties(vec![("acks".into(), "1".into())])],
        };
        let config = kafka.client_config(&[("acks", "all"), ("linger.ms", "5")]);
        assert_eq!(config.get("acks"), Some("1"));
        assert_eq!(config.get("linger.ms"), Some("5"));
        assert_eq!(config.get("bootstrap.servers"), Some("b:9092"));
    }
}
