//! Helpers for the end-to-end tests in `tests/`: a real Kafka broker's
//! address, the service binaries as separate processes, unique topics per
//! test, and kcat as the independent client that produces and reads.
//!
//! The broker comes from `TICKERTAPE_TEST_BROKERS` (`scripts/kafka.sh start`
//! prints it). Without it a test says so loudly and returns; under `CI=true`
//! it fails instead, so a CI run can never pass without the real broker.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The real broker's bootstrap address, or None (after a loud notice) when
/// none is configured outside CI.
///
/// Panics under `CI=true` when `TICKERTAPE_TEST_BROKERS` is unset.
pub fn real_broker(test: &str) -> Option<String> {
    match std::env::var("TICKERTAPE_TEST_BROKERS") {
        Ok(brokers) if !brokers.trim().is_empty() => Some(brokers),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{test}: TICKERTAPE_TEST_BROKERS is not set, and under CI a real-broker test must run")
        }
        _ => {
            eprintln!(
                "\n*** {test}: NOT RUN: no real broker. Start one with `scripts/kafka.sh start /tmp/kafka` \
                 and export TICKERTAPE_TEST_BROKERS=<the address it prints>. ***\n"
            );
            None
        }
    }
}

/// A binary of the workspace, built by `cargo build --workspace --bins`.
///
/// Panics when it has not been built.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a target folder")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first",
        path.display()
    );
    path
}

/// Topic names unique to one test, as `TICKERTAPE_…` variables.
#[derive(Debug, Clone)]
pub struct Topics {
    /// Prefix of every name.
    pub prefix: String,
}

impl Topics {
    /// Fresh names for one test.
    pub fn fresh(test: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        Topics {
            prefix: format!("e2e-{test}-{stamp}-{n}"),
        }
    }

    /// The full name of a topic whose default name is `name`.
    pub fn name(&self, name: &str) -> String {
        format!("{}.{name}", self.prefix)
    }

    /// Environment variables naming every topic.
    pub fn env(&self) -> BTreeMap<String, String> {
        [
            ("TICKERTAPE_ARTICLES_RAW_TOPIC", "articles.raw"),
            ("TICKERTAPE_ARTICLES_PARSED_TOPIC", "articles.parsed"),
            ("TICKERTAPE_ARTICLES_ENRICHED_TOPIC", "articles.enriched"),
            (
                "TICKERTAPE_ARTICLES_DUPLICATES_TOPIC",
                "articles.duplicates",
            ),
            ("TICKERTAPE_ARTICLES_DLQ_TOPIC", "articles.dlq"),
            ("TICKERTAPE_TICKS_TOPIC", "ticks.raw"),
            ("TICKERTAPE_CHANGES_TOPIC", "prices.changes"),
            ("TICKERTAPE_ALERTS_TOPIC", "prices.alerts"),
            ("TICKERTAPE_TICKS_DLQ_TOPIC", "ticks.dlq"),
            ("TICKERTAPE_REACTIONS_MENTIONS_TOPIC", "reactions.mentions"),
            ("TICKERTAPE_REACTIONS_TOPIC", "market.reactions"),
            ("TICKERTAPE_REACTIONS_DLQ_TOPIC", "reactions.dlq"),
        ]
        .into_iter()
        .map(|(var, name)| (var.to_owned(), self.name(name)))
        .chain([(
            "TICKERTAPE_GROUP_ID".to_owned(),
            format!("{}-group", self.prefix),
        )])
        .collect()
    }

    /// Creates every topic with `tickertape topics create`.
    ///
    /// Panics when the command fails.
    pub fn create(&self, brokers: &str, partitions: u32) {
        let status = Command::new(binary("tickertape"))
            .args([
                "topics",
                "create",
                "--brokers",
                brokers,
                "--partitions",
                &partitions.to_string(),
            ])
            .envs(self.env())
            .stdout(Stdio::null())
            .status()
            .expect("tickertape runs");
        assert!(status.success(), "tickertape topics create failed");
    }
}

/// A service process, stopped with SIGTERM (then SIGKILL) when dropped.
///
/// Its log goes to a file in the temporary folder, removed when the
/// service stops cleanly and kept (and named) when a test fails first.
pub struct Service {
    child: Child,
    log: std::path::PathBuf,
    /// Its metrics address.
    pub metrics_addr: String,
}

impl Service {
    /// Starts `binary_name` against `brokers` with the topics' variables.
    ///
    /// Panics when it cannot start.
    pub fn start(binary_name: &str, brokers: &str, topics: &Topics, extra_args: &[&str]) -> Self {
        let metrics_addr = format!("127.0.0.1:{}", free_port());
        let log = std::env::temp_dir().join(format!(
            "{}-{binary_name}-{}.log",
            topics.prefix,
            metrics_addr.replace([':', '.'], "_")
        ));
        let child = Command::new(binary(binary_name))
            .args(["--brokers", brokers, "--metrics-addr", &metrics_addr])
            // Each service its own group, as in production.
            .args(["--group-id", &format!("{}-{binary_name}", topics.prefix)])
            .args(extra_args)
            .envs(topics.env())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("service starts");
        Service {
            child,
            log,
            metrics_addr,
        }
    }

    /// Sends SIGTERM and waits up to 30 s for a clean exit.
    ///
    /// Panics when the process does not exit cleanly in time.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait works") {
                assert!(
                    status.success(),
                    "service exited with {status}; its log: {}",
                    self.log.display()
                );
                let _ = std::fs::remove_file(&self.log);
                return;
            }
            assert!(
                Instant::now() < deadline,
                "service did not stop within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// GETs a path of the metrics endpoint with curl.
    pub fn http_get(&self, path: &str) -> (u16, String) {
        let output = Command::new("curl")
            .args([
                "-s",
                "-w",
                "\n%{http_code}",
                &format!("http://{}{path}", self.metrics_addr),
            ])
            .output()
            .expect("curl runs");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_owned())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if self.log.exists() {
            eprintln!("service log kept: {}", self.log.display());
        }
    }
}

/// Milliseconds since the Unix epoch: a tick time of now.
pub fn now_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Produces one message with kcat.
///
/// Panics when kcat fails.
pub fn produce(
    brokers: &str,
    topic: &str,
    key: Option<&str>,
    headers: &[(&str, &str)],
    payload: &[u8],
    partition: Option<i32>,
) {
    let path = std::env::temp_dir().join(format!(
        "tickertape-e2e-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::write(&path, payload).expect("temp file");
    let mut command = Command::new("kcat");
    command.args(["-b", brokers, "-P", "-t", topic]);
    if let Some(key) = key {
        command.args(["-k", key]);
    }
    if let Some(partition) = partition {
        command.args(["-p", &partition.to_string()]);
    }
    for (name, value) in headers {
        command.args(["-H", &format!("{name}={value}")]);
    }
    let status = command.arg(&path).status().expect("kcat runs");
    let _ = std::fs::remove_file(&path);
    assert!(status.success(), "kcat could not produce to {topic}");
}

/// Produces `key<TAB>value` lines with kcat, one message each.
///
/// Panics when kcat fails.
pub fn produce_lines(brokers: &str, topic: &str, lines: &[(String, String)]) {
    let mut child = Command::new("kcat")
        .args(["-b", brokers, "-P", "-t", topic, "-K", "\t"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("kcat runs");
    let mut stdin = child.stdin.take().expect("piped");
    for (key, value) in lines {
        writeln!(stdin, "{key}\t{value}").expect("kcat reads");
    }
    drop(stdin);
    assert!(
        child.wait().expect("kcat exits").success(),
        "kcat could not produce to {topic}"
    );
}

/// One message as kcat's `-J` prints it.
#[derive(Debug, Clone)]
pub struct Consumed {
    /// Its key.
    pub key: Option<String>,
    /// Its headers, in order.
    pub headers: Vec<(String, String)>,
    /// Its value.
    pub payload: String,
    /// Its partition.
    pub partition: i64,
}

impl Consumed {
    /// The value parsed as JSON.
    ///
    /// Panics when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.payload)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.payload))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a topic from the beginning with kcat (`read_committed`), again and
/// again until it holds at least `expected` messages or `timeout` passes.
/// Returns what it read last.
pub fn consume(brokers: &str, topic: &str, expected: usize, timeout: Duration) -> Vec<Consumed> {
    let deadline = Instant::now() + timeout;
    loop {
        let output = Command::new("kcat")
            .args([
                "-b",
                brokers,
                "-C",
                "-t",
                topic,
                "-o",
                "beginning",
                "-e",
                "-q",
                "-J",
                "-X",
                "isolation.level=read_committed",
            ])
            .output()
            .expect("kcat runs");
        let messages: Vec<Consumed> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .map(|v| Consumed {
                key: v["key"].as_str().map(str::to_owned),
                headers: v["headers"]
                    .as_array()
                    .map(|h| {
                        h.chunks(2)
                            .map(|kv| {
                                (
                                    kv[0].as_str().unwrap_or("").to_owned(),
                                    kv.get(1).and_then(Value::as_str).unwrap_or("").to_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                payload: v["payload"].as_str().unwrap_or_default().to_owned(),
                partition: v["partition"].as_i64().unwrap_or(-1),
            })
            .collect();
        if messages.len() >= expected || Instant::now() >= deadline {
            return messages;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A fixture's bytes.
pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(path),
    )
    .expect("fixture exists")
}

/// A JSON Schema validator for a file in `schemas/`.
pub fn schema(name: &str) -> jsonschema::Validator {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../schemas")
        .join(name);
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema exists"))
            .expect("schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}
