//! Against a real Apache Kafka broker: both services as separate processes,
//! kcat as the independent producer and reader.

use std::time::Duration;

use tickertape_e2e::{
    consume, fixture, now_millis, produce, produce_lines, real_broker, schema, Service, Topics,
};

const WAIT: Duration = Duration::from_secs(90);

#[test]
fn pages_and_ticks_flow_through_both_services() {
    let Some(brokers) = real_broker("pages_and_ticks_flow_through_both_services") else {
        return;
    };
    let topics = Topics::fresh("flow");
    topics.create(&brokers, 3);
    let articles = Service::start("tickertape-articles", &brokers, &topics, &[]);
    let prices = Service::start("tickertape-prices", &brokers, &topics, &[]);

    let raw = topics.name("articles.raw");
    let page_headers = [
        (
            "url",
            "https://berliner-tageblatt.example/en/World/4301.html",
        ),
        ("fetched_at", "2024-11-12T09:30:00Z"),
    ];
    produce(
        &brokers,
        &raw,
        Some("p1"),
        &page_headers,
        &fixture("articles/seed-article.txt"),
        None,
    );
    // The story first, then its copy and update: they may land on other
    // partitions, whose order relative to this one Kafka does not promise.
    assert_eq!(
        consume(&brokers, &topics.name("articles.enriched"), 1, WAIT).len(),
        1
    );
    produce(
        &brokers,
        &raw,
        Some("p2"),
        &[("fetched_at", "2024-11-12T09:31:10Z")],
        &fixture("articles/athens-news-syndicated-copy.txt"),
        None,
    );
    assert_eq!(
        consume(&brokers, &topics.name("articles.duplicates"), 1, WAIT).len(),
        1
    );
    produce(
        &brokers,
        &raw,
        Some("p3"),
        &[("fetched_at", "2024-11-12T12:05:00Z")],
        &fixture("articles/btb-update-same-story.txt"),
        None,
    );
    let bad_page = b"Berliner Tageblatt - Nothing here\n\nText size:\n\nK.Thomson--BTB\n";
    produce(&brokers, &raw, Some("bad"), &[], bad_page, None);
    let now = now_millis();
    produce_lines(
        &brokers,
        &topics.name("ticks.raw"),
        &[
            (
                "ACME".into(),
                format!(r#"{{"symbol":"ACME","price":"10.00","ts":{now},"change_pct":"-0.5"}}"#),
            ),
            (
                "ACME".into(),
                format!(r#"{{"symbol":"ACME","price":"10.00","ts":{now},"change_pct":"-0.5"}}"#),
            ),
            (
                "ACME".into(),
                format!(r#"{{"symbol":"ACME","price":"10.25","ts":{}}}"#, now + 1000),
            ),
            (
                "ACME".into(),
                r#"{"symbol":"ACME","price":"NaN","ts":1}"#.into(),
            ),
        ],
    );

    // Articles: a new story, its update; the copy goes to duplicates.
    let enriched = consume(&brokers, &topics.name("articles.enriched"), 2, WAIT);
    assert_eq!(enriched.len(), 2, "expected the story and its update");
    let article_schema = schema("article.v1.json");
    let events: Vec<_> = enriched.iter().map(|m| m.json()).collect();
    for event in &events {
        assert!(
            article_schema.is_valid(event),
            "invalid article event: {event}"
        );
    }
    let new = events
        .iter()
        .find(|e| e["dedupe"]["status"] == "new")
        .expect("a new story");
    assert_eq!(
        new["title"],
        "North Korea ratifies defence treaty with Russia"
    );
    assert_eq!(new["source"]["name"], "Berliner Tageblatt");
    assert_eq!(
        new["source"]["url"],
        "https://berliner-tageblatt.example/en/World/4301.html"
    );
    assert_eq!(new["fetched_at"], "2024-11-12T09:30:00Z");
    let update = events
        .iter()
        .find(|e| e["dedupe"]["status"] == "update")
        .expect("an update");
    assert_eq!(update["story_id"], new["story_id"]);
    assert_eq!(update["version"], 2);
    assert!(
        enriched
            .iter()
            .all(|m| m.key.as_deref() == new["story_id"].as_str()),
        "keyed by story_id"
    );

    let duplicates = consume(&brokers, &topics.name("articles.duplicates"), 1, WAIT);
    assert_eq!(duplicates.len(), 1);
    let duplicate = duplicates[0].json();
    assert!(schema("article_duplicate.v1.json").is_valid(&duplicate));
    assert_eq!(duplicate["source"]["name"], "Athens News");
    assert_eq!(duplicate["source"]["code"], "ATN");
    assert_eq!(duplicate["story_id"], new["story_id"]);

    // The page with no body: dead-lettered with its bytes and reason.
    let letters = consume(&brokers, &topics.name("articles.dlq"), 1, WAIT);
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].payload.as_bytes(), bad_page);
    assert_eq!(letters[0].header("tickertape.reason"), Some("no_body"));
    assert_eq!(letters[0].key.as_deref(), Some("bad"));

    // Prices: 16 strip ticks of the first page become previous-close
    // changes; the copy's strip (09:31) moves GSK and BP, the update's
    // (12:05) moves them again (GSK back to 35.11, BP to 28.62); plus the
    // feed's two ACME changes.
    let expected = 16 + 2 + 2 + 2;
    let changes = consume(&brokers, &topics.name("prices.changes"), expected, WAIT);
    let change_schema = schema("price_change.v1.json");
    let events: Vec<_> = changes.iter().map(|m| m.json()).collect();
    for event in &events {
        assert!(
            change_schema.is_valid(event),
            "invalid price change: {event}"
        );
    }
    let from_pages: Vec<_> = events
        .iter()
        .filter(|e| e["source"]["kind"] == "page")
        .collect();
    let closes = from_pages
        .iter()
        .filter(|e| e["basis"] == "previous_close")
        .count();
    assert_eq!(closes, 16, "one previous-close change per strip symbol");
    let rbgpf = from_pages
        .iter()
        .find(|e| e["symbol"] == "RBGPF")
        .expect("RBGPF changed");
    assert_eq!(
        (rbgpf["previous_price"].as_str(), rbgpf["price"].as_str()),
        (Some("60.20"), Some("59.34"))
    );
    let acme: Vec<_> = events
        .iter()
        .filter(|e| e["symbol"] == "ACME")
        .map(|e| {
            (
                e["price"].as_str().unwrap().to_owned(),
                e["basis"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        acme,
        [
            ("10.00".to_owned(), "previous_close".to_owned()),
            ("10.25".to_owned(), "previous_tick".to_owned())
        ]
    );
    assert!(
        changes
            .iter()
            .all(|m| m.key.as_deref() == m.json()["symbol"].as_str()),
        "keyed by symbol"
    );
    assert_eq!(
        changes.len(),
        expected,
        "no more, no fewer: {:?}",
        events
            .iter()
            .map(|e| (e["symbol"].clone(), e["price"].clone()))
            .collect::<Vec<_>>()
    );

    let tick_letters = consume(&brokers, &topics.name("ticks.dlq"), 1, WAIT);
    assert_eq!(tick_letters.len(), 1);
    assert_eq!(
        tick_letters[0].header("tickertape.reason"),
        Some("invalid_price")
    );
    assert_eq!(
        tick_letters[0].payload,
        r#"{"symbol":"ACME","price":"NaN","ts":1}"#
    );

    // Both services answer on their endpoints while running.
    for service in [&articles, &prices] {
        let (status, body) = service.http_get("/metrics");
        assert_eq!(status, 200);
        assert!(
            body.contains("tickertape_messages_consumed_total"),
            "{body}"
        );
        assert_eq!(service.http_get("/healthz").0, 200);
        assert_eq!(service.http_get("/readyz").0, 200);
    }
    let (_, metrics) = prices.http_get("/metrics");
    assert!(
        metrics.contains(r#"tickertape_dead_letters_total{reason="invalid_price""#),
        "{metrics}"
    );

    articles.stop();
    prices.stop();
}

#[test]
fn two_instances_catch_copies_arriving_on_different_partitions() {
    let Some(brokers) = real_broker("two_instances_catch_copies_arriving_on_different_partitions")
    else {
        return;
    };
    let topics = Topics::fresh("two");
    topics.create(&brokers, 4);
    let first = Service::start("tickertape-articles", &brokers, &topics, &[]);
    let second = Service::start("tickertape-articles", &brokers, &topics, &[]);
    // Let both join before the pages arrive, so both parse stages get partitions.
    std::thread::sleep(Duration::from_secs(4));

    let raw = topics.name("articles.raw");
    let copies = [
        ("articles/seed-article.txt", 0),
        ("articles/athens-news-syndicated-copy.txt", 1),
        ("articles/btb-unrelated-same-topic.txt", 2),
        ("articles/athens-news-unrelated-same-day.txt", 3),
    ];
    for (path, partition) in copies {
        produce(
            &brokers,
            &raw,
            None,
            &[("fetched_at", "2024-11-12T10:00:00Z")],
            &fixture(path),
            Some(partition),
        );
    }
    let enriched = consume(&brokers, &topics.name("articles.enriched"), 3, WAIT);
    let duplicates = consume(&brokers, &topics.name("articles.duplicates"), 1, WAIT);
    assert_eq!(enriched.len(), 3, "three distinct stories");
    assert_eq!(
        duplicates.len(),
        1,
        "the copy on another partition is caught"
    );
    let titles: Vec<String> = enriched
        .iter()
        .map(|m| m.json()["title"].as_str().unwrap().to_owned())
        .collect();
    assert!(titles.contains(&"North Korea ratifies defence treaty with Russia".to_owned()));
    // Nothing more arrives later.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        consume(
            &brokers,
            &topics.name("articles.enriched"),
            4,
            Duration::ZERO
        )
        .len(),
        3
    );

    first.stop();
    second.stop();
}

#[test]
fn topics_create_is_idempotent_and_reports_existing_settings() {
    let Some(brokers) = real_broker("topics_create_is_idempotent_and_reports_existing_settings")
    else {
        return;
    };
    let topics = Topics::fresh("topics");
    let groups = [
        format!("--articles-group-id={}-articles", topics.prefix),
        format!("--prices-group-id={}-prices", topics.prefix),
        format!("--reactions-group-id={}-reactions", topics.prefix),
    ];
    let create = |extra: &[&str]| {
        let output = std::process::Command::new(tickertape_e2e::binary("tickertape"))
            .args(["topics", "create", "--brokers", &brokers])
            .args(&groups)
            .args(extra)
            .envs(topics.env())
            .output()
            .expect("tickertape runs");
        assert!(output.status.success(), "topics create failed: {output:?}");
        String::from_utf8(output.stdout).expect("UTF-8 report")
    };

    let first = create(&["--partitions", "2"]);
    let created: Vec<&str> = first.lines().filter(|l| l.starts_with("created")).collect();
    // 12 topics of the three services, and the three changelogs.
    assert_eq!(created.len(), 15, "{first}");
    let articles_changelog = format!("{}-articles-dedupe-stories-changelog", topics.prefix);
    let prices_changelog = format!("{}-prices-state-changelog", topics.prefix);
    let reactions_changelog = format!("{}-reactions-join-tape-changelog", topics.prefix);
    for name in [&articles_changelog, &prices_changelog, &reactions_changelog] {
        assert!(first.contains(&format!("created  {name}\n")), "{first}");
    }

    // Again, asking for more partitions and another retention: nothing is
    // created or altered, and the report says how each topic differs.
    let second = create(&["--partitions", "3", "--retention-ms", "3600000"]);
    assert!(!second.contains("created"), "{second}");
    let line_of = |topic: &str| {
        second
            .lines()
            .find(|l| l.starts_with(&format!("existed  {topic} ")))
            .unwrap_or_else(|| panic!("no line for {topic} in:\n{second}"))
            .to_owned()
    };
    let raw = line_of(&topics.name("ticks.raw"));
    assert!(raw.contains("partitions=2 replication=1"), "{raw}");
    assert!(raw.contains("cleanup.policy=delete"), "{raw}");
    assert!(raw.contains("retention.ms=604800000"), "{raw}");
    assert!(line_of(&topics.name("ticks.dlq")).contains("retention.ms=2592000000"));
    assert!(line_of(&topics.name("articles.parsed")).contains("partitions=1 "));
    assert!(
        line_of(&prices_changelog).contains("partitions=2 replication=1 cleanup.policy=compact")
    );
    assert!(line_of(&articles_changelog).contains("partitions=1 "));
    // The join's internal topic and changelog follow the price changes.
    assert!(line_of(&topics.name("reactions.mentions")).contains("partitions=2 "));
    assert!(
        line_of(&reactions_changelog).contains("partitions=2 replication=1 cleanup.policy=compact")
    );
    assert!(
        second.contains("differs: 2 partitions, wanted 3 (left as it is)"),
        "{second}"
    );
    assert!(
        second.contains("differs: retention.ms=604800000, wanted 3600000 (left as it is)"),
        "{second}"
    );
}

/// The Python that runs `examples/python/consumer.py` (confluent-kafka).
///
/// Panics when it is missing.
fn python_with_confluent_kafka() -> String {
    let python = std::env::var("TICKERTAPE_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/.cache/tickertape/venv/bin/python",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    assert!(
        std::path::Path::new(&python).exists(),
        "{python} is missing: scripts/install-deps.sh installs confluent-kafka in that venv"
    );
    python
}

/// The Python subscriber of `examples/python/` (confluent-kafka,
/// read_committed) receives the story and every price change, exactly once.
#[test]
fn python_subscriber_receives_stories_and_price_changes() {
    let Some(brokers) = real_broker("python_subscriber_receives_stories_and_price_changes") else {
        return;
    };
    let python = python_with_confluent_kafka();
    let topics = Topics::fresh("subscriber");
    topics.create(&brokers, 3);
    let articles = Service::start("tickertape-articles", &brokers, &topics, &[]);
    let prices = Service::start("tickertape-prices", &brokers, &topics, &[]);

    produce(
        &brokers,
        &topics.name("articles.raw"),
        Some("p1"),
        &[("fetched_at", "2024-11-12T09:30:00Z")],
        &fixture("articles/seed-article.txt"),
        None,
    );
    let now = now_millis();
    produce_lines(
        &brokers,
        &topics.name("ticks.raw"),
        &[
            (
                "ACME".into(),
                format!(r#"{{"symbol":"ACME","price":"10.00","ts":{now},"change_pct":"-0.5"}}"#),
            ),
            (
                "ACME".into(),
                format!(r#"{{"symbol":"ACME","price":"10.25","ts":{}}}"#, now + 1000),
            ),
        ],
    );

    // 1 story, 16 strip changes against the previous close, 2 ACME changes.
    let expected = 19;
    // The subscriber of one consumer group, for at most `limit` seconds.
    let subscribe = |limit: &str, extra: &[&str]| {
        std::process::Command::new("timeout")
            .args([limit, &python])
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../examples/python/consumer.py"
            ))
            .args(["--brokers", &brokers])
            .args(["--group", &format!("{}-python", topics.prefix)])
            .args(["--changes-topic", &topics.name("prices.changes")])
            .args(["--articles-topic", &topics.name("articles.enriched")])
            .args(["--reactions-topic", &topics.name("market.reactions")])
            .args(extra)
            .output()
            .expect("the subscriber runs")
    };
    let output = subscribe(
        "180",
        &[
            "--max-events",
            &expected.to_string(),
            "--idle-timeout",
            "120",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "subscriber failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), expected, "{stdout}");
    let stories: Vec<&&str> = lines.iter().filter(|l| l.starts_with("story ")).collect();
    assert_eq!(stories.len(), 1, "{stdout}");
    assert!(
        stories[0].contains(
            "'North Korea ratifies defence treaty with Russia' — Berliner Tageblatt (BTB), en"
        ),
        "{}",
        stories[0]
    );
    let closes = lines
        .iter()
        .filter(|l| l.contains(" vs previous_close "))
        .count();
    assert_eq!(
        closes, 17,
        "16 strip lines and ACME's first tick:\n{stdout}"
    );
    let rbgpf = lines
        .iter()
        .find(|l| l.starts_with("price  RBGPF "))
        .unwrap_or_else(|| panic!("no RBGPF change in:\n{stdout}"));
    assert!(
        rbgpf.contains("59.34 USD -0.86 (-1.43%) vs previous_close 60.20"),
        "{rbgpf}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("price  ACME ")
            && l.contains("10.25")
            && l.contains("+0.25 (+2.5%) vs previous_tick 10.00")),
        "{stdout}"
    );

    // Nothing more arrives: each event was delivered once.
    let again = subscribe("60", &["--idle-timeout", "5"]);
    assert!(again.status.success());
    assert_eq!(String::from_utf8_lossy(&again.stdout), "", "no repeats");
    prices.stop();
    articles.stop();
}

/// Every article fixture through the service gives what `tickertape process`
/// gives (the golden outputs of `services/cli/tests/process.rs`), but for
/// `processed_at`. One partition, so the dedupe stage sees the pages in the
/// order the golden run read them.
#[test]
fn article_fixtures_through_kafka_match_their_golden_outputs() {
    let Some(brokers) = real_broker("article_fixtures_through_kafka_match_their_golden_outputs")
    else {
        return;
    };
    // The clock of the golden run: pages without headers were fetched then.
    const CLOCK: &str = "2024-11-12T15:00:00Z";
    let topics = Topics::fresh("golden");
    topics.create(&brokers, 1);
    let articles = Service::start("tickertape-articles", &brokers, &topics, &[]);

    let raw = topics.name("articles.raw");
    for page in [
        "seed-article.txt",
        "athens-news-syndicated-copy.txt",
        "btb-update-same-story.txt",
        "btb-unrelated-same-topic.txt",
        "athens-news-unrelated-same-day.txt",
        "de-nordkorea-vertrag.txt",
        "markets-no-strip-no-photo.txt",
        "variants-crlf-nbsp-curly.txt",
    ] {
        let bytes = fixture(&format!("articles/{page}"));
        produce(&brokers, &raw, None, &[("fetched_at", CLOCK)], &bytes, None);
    }
    let envelopes = String::from_utf8(fixture("articles/envelopes.jsonl")).expect("UTF-8");
    for line in envelopes.lines().filter(|l| !l.trim().is_empty()) {
        produce(&brokers, &raw, None, &[], line.as_bytes(), None);
    }
    // HTML pages as a crawler sends them: with their media type.
    for page in [
        "seed-article.html",
        "athens-news-syndicated-copy.html",
        "de-nordkorea-vertrag.html",
        "iberia-diario-ibex.html",
    ] {
        let bytes = fixture(&format!("articles/{page}"));
        let headers = [("fetched_at", CLOCK), ("content-type", "text/html")];
        produce(&brokers, &raw, None, &headers, &bytes, None);
    }

    let golden: Vec<serde_json::Value> = String::from_utf8(fixture("golden/articles.jsonl"))
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("golden JSON"))
        .collect();
    let without_clock = |mut value: serde_json::Value| {
        if let Some(object) = value.as_object_mut() {
            object.remove("processed_at");
        }
        value
    };
    for topic in ["articles.enriched", "articles.duplicates", "ticks.raw"] {
        let expected: Vec<(Option<String>, serde_json::Value)> = golden
            .iter()
            .filter(|r| r["topic"] == topic)
            .map(|r| {
                (
                    r["key"].as_str().map(str::to_owned),
                    without_clock(r["value"].clone()),
                )
            })
            .collect();
        let consumed = consume(&brokers, &topics.name(topic), expected.len(), WAIT);
        let actual: Vec<(Option<String>, serde_json::Value)> = consumed
            .iter()
            .map(|m| (m.key.clone(), without_clock(m.json())))
            .collect();
        assert_eq!(actual.len(), expected.len(), "{topic}: record count");
        for (index, (actual, expected)) in actual.iter().zip(&expected).enumerate() {
            assert_eq!(
                actual, expected,
                "{topic} record {index} differs from the golden"
            );
        }
    }
    articles.stop();
}

/// `tickertape redrive` sends dead letters of one reason back to the topic
/// each names, as the original messages (key, bytes, the input's own
/// headers; none of the `tickertape.*` ones), and a second run with the
/// same group resumes after them.
#[test]
fn redrive_replays_dead_letters_to_their_source_and_resumes() {
    let Some(brokers) = real_broker("redrive_replays_dead_letters_to_their_source_and_resumes")
    else {
        return;
    };
    let topics = Topics::fresh("redrive");
    topics.create(&brokers, 1);
    let (dlq, source) = (topics.name("ticks.dlq"), topics.name("ticks.raw"));
    let letters: [(&str, &str, &[u8]); 3] = [
        ("k1", "invalid_price", br#"{"symbol":"BP","price":"0"}"#),
        ("k2", "invalid_json", b"{not json"),
        ("k3", "invalid_price", br#"{"symbol":"VOD","price":"-1"}"#),
    ];
    for (key, reason, payload) in letters {
        produce(
            &brokers,
            &dlq,
            Some(key),
            &[
                ("feed", "test"),
                ("tickertape.reason", reason),
                ("tickertape.detail", "refused"),
                ("tickertape.source.topic", &source),
                ("tickertape.attempts", "1"),
            ],
            payload,
            None,
        );
    }
    let group = format!("{}-redrive", topics.prefix);
    let redrive = || {
        let output = std::process::Command::new(tickertape_e2e::binary("tickertape"))
            .args(["redrive", &dlq, "--brokers", &brokers, "--group", &group])
            .args(["--reason", "invalid_price", "--rate", "1000"])
            .output()
            .expect("tickertape runs");
        assert!(output.status.success(), "redrive failed: {output:?}");
        String::from_utf8(output.stdout).expect("UTF-8 report")
    };
    let first = redrive();
    assert!(first.contains("redriven: 2 "), "{first}");

    let replayed = consume(&brokers, &source, 2, WAIT);
    assert_eq!(replayed.len(), 2, "{replayed:?}");
    let keys: Vec<_> = replayed.iter().map(|m| m.key.as_deref()).collect();
    assert_eq!(keys, [Some("k1"), Some("k3")]);
    assert_eq!(replayed[0].payload, r#"{"symbol":"BP","price":"0"}"#);
    for message in &replayed {
        assert_eq!(message.header("feed"), Some("test"), "{message:?}");
        assert!(
            message
                .headers
                .iter()
                .all(|(k, _)| !k.starts_with("tickertape.")),
            "{message:?}"
        );
    }

    let second = redrive();
    assert!(
        second.contains("redriven: 0 "),
        "resumed after the first run: {second}"
    );
}

/// The reactions fixture through the service: stories and prices produced
/// in the tape's order, on three partitions as the golden output assumes;
/// the reactions are the golden ones (all but the clock), each once,
/// exactly-once.
#[test]
fn stories_and_prices_join_into_the_golden_reactions() {
    let Some(brokers) = real_broker("stories_and_prices_join_into_the_golden_reactions") else {
        return;
    };
    let topics = Topics::fresh("reactions");
    topics.create(&brokers, 3);
    let service = Service::start("tickertape-reactions", &brokers, &topics, &[]);

    let tape = String::from_utf8(fixture("reactions/tape.jsonl")).unwrap();
    // Runs of one topic, in the tape's order, keyed as their producers key them.
    let mut runs: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in tape.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        let topic = record["topic"].as_str().unwrap().to_owned();
        let keyed = (
            record["key"].as_str().unwrap().to_owned(),
            record["value"].to_string(),
        );
        match runs.last_mut() {
            Some((last, lines)) if *last == topic => lines.push(keyed),
            _ => runs.push((topic, vec![keyed])),
        }
    }
    for (topic, lines) in &runs {
        produce_lines(&brokers, &topics.name(topic), lines);
    }

    let golden = String::from_utf8(fixture("golden/reactions.jsonl")).unwrap();
    let without_clock = |mut value: serde_json::Value| {
        value.as_object_mut().unwrap().remove("ingest_time");
        value
    };
    let mut expected: Vec<(String, serde_json::Value)> = golden
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .map(|record| {
            (
                record["key"].as_str().unwrap().to_owned(),
                without_clock(record["value"].clone()),
            )
        })
        .collect();
    let output = topics.name("market.reactions");
    let published = consume(&brokers, &output, expected.len(), WAIT);
    let validator = schema("market_reaction.v1.json");
    let mut actual: Vec<(String, serde_json::Value)> = published
        .iter()
        .map(|message| {
            let value = message.json();
            assert!(validator.is_valid(&value), "{value}");
            (
                message.key.clone().unwrap_or_default(),
                without_clock(value),
            )
        })
        .collect();
    let order = |(key, value): &(String, serde_json::Value)| {
        (
            key.clone(),
            value["story_id"].to_string(),
            value["story_version"].to_string(),
        )
    };
    expected.sort_by_key(order);
    actual.sort_by_key(order);
    assert_eq!(
        actual, expected,
        "the service's reactions are the offline ones"
    );
    // Each once: nothing more arrives.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        consume(
            &brokers,
            &output,
            expected.len() + 1,
            Duration::from_secs(2)
        )
        .len(),
        expected.len()
    );
    assert!(consume(
        &brokers,
        &topics.name("reactions.dlq"),
        1,
        Duration::from_secs(1)
    )
    .is_empty());

    // The Python subscriber example prints them, one line each.
    let stories_and_prices: usize = runs
        .iter()
        .filter(|(topic, _)| topic != "articles.duplicates")
        .map(|(_, lines)| lines.len())
        .sum();
    let total = stories_and_prices + expected.len();
    let subscriber = std::process::Command::new("timeout")
        .args(["180", &python_with_confluent_kafka()])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/python/consumer.py"
        ))
        .args(["--brokers", &brokers])
        .args(["--group", &format!("{}-python", topics.prefix)])
        .args(["--changes-topic", &topics.name("prices.changes")])
        .args(["--articles-topic", &topics.name("articles.enriched")])
        .args(["--reactions-topic", &output])
        .args(["--max-events", &total.to_string(), "--idle-timeout", "60"])
        .output()
        .expect("the subscriber runs");
    let stdout = String::from_utf8_lossy(&subscriber.stdout);
    assert!(
        subscriber.status.success(),
        "{}",
        String::from_utf8_lossy(&subscriber.stderr)
    );
    let reactions: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("reaction "))
        .collect();
    assert_eq!(reactions.len(), expected.len(), "{stdout}");
    assert!(
        reactions.iter().any(|l| l.starts_with(
            "reaction GSK    'GSK settles Zantac claims' v1 at 2024-11-12T22:30:00Z (market closed) from 35.11: +60s 0.00 (0.0000%)"
        )),
        "{stdout}"
    );
    service.stop();
}

/// Hostile inputs to the reactions service through Kafka: each one a dead
/// letter on reactions.dlq with its bytes, key and headers and a reason
/// (including the internal topic's); the join goes on, and a story after
/// them still gets its reaction.
#[test]
fn hostile_reaction_inputs_are_dead_letters_and_the_join_goes_on() {
    let Some(brokers) =
        real_broker("hostile_reaction_inputs_are_dead_letters_and_the_join_goes_on")
    else {
        return;
    };
    let topics = Topics::fresh("reactions-hostile");
    topics.create(&brokers, 3);
    let service = Service::start(
        "tickertape-reactions",
        &brokers,
        &topics,
        &["--reaction-max-input-bytes", "4096"],
    );
    let article = |schema: &str, symbol: &str, fetched: &str| {
        format!(
            r#"{{"schema":"{schema}","id":"a-{symbol}","story_id":"s-{symbol}","version":1,"title":"A story on {symbol}","fetched_at":"{fetched}","instruments":[{{"symbol":"{symbol}","isin":null,"mic":"XNYS"}}]}}"#
        )
    };
    let change = |symbol: &str, price: &str, at: &str| {
        format!(
            r#"{{"schema":"tickertape.price_change.v1","symbol":"{symbol}","price":"{price}","event_time":"{at}"}}"#
        )
    };
    let huge = article("tickertape.article.v1", "BP", "2024-11-12T15:00:00Z")
        .replace("A story", &"A long story ".repeat(400));
    let cases: Vec<(&str, &str, String, &str)> = vec![
        (
            "articles.enriched",
            "k1",
            "not json at all".into(),
            "invalid_article",
        ),
        (
            "articles.enriched",
            "k2",
            article("tickertape.article.v9", "BP", "2024-11-12T15:00:00Z"),
            "unknown_schema",
        ),
        ("articles.enriched", "k3", huge, "too_large"),
        (
            "prices.changes",
            "VOD",
            change("BP", "28.00", "2024-11-12T15:00:00Z"),
            "key_mismatch",
        ),
        (
            "prices.changes",
            "BP",
            change("BP", "NaN", "2024-11-12T15:00:00Z"),
            "invalid_price_change",
        ),
        (
            "prices.changes",
            "BP",
            change("BP", "28.00", "2024-11-12T15:00:00Z").replace("change.v1", "change.v2"),
            "unknown_schema",
        ),
        (
            "reactions.mentions",
            "BP",
            r#"{"schema":"tickertape.story_mention.v1"}"#.into(),
            "invalid_mention",
        ),
    ];
    for (index, (topic, key, value, _)) in cases.iter().enumerate() {
        let trace = format!("trace-{index}");
        produce(
            &brokers,
            &topics.name(topic),
            Some(key),
            &[("x-trace", trace.as_str())],
            value.as_bytes(),
            None,
        );
    }
    // Then an ordinary story and the prices that close its horizons.
    produce_lines(
        &brokers,
        &topics.name("articles.enriched"),
        &[(
            "s-GSK".into(),
            article("tickertape.article.v1", "GSK", "2024-11-12T15:00:00Z"),
        )],
    );
    produce_lines(
        &brokers,
        &topics.name("prices.changes"),
        &[
            ("GSK".into(), change("GSK", "35.00", "2024-11-12T14:59:00Z")),
            ("GSK".into(), change("GSK", "35.70", "2024-11-12T15:30:00Z")),
            ("GSK".into(), change("GSK", "36.00", "2024-11-12T17:10:00Z")),
        ],
    );

    let letters = consume(&brokers, &topics.name("reactions.dlq"), cases.len(), WAIT);
    assert_eq!(
        letters.len(),
        cases.len(),
        "one dead letter per hostile input"
    );
    for (index, (topic, key, value, reason)) in cases.iter().enumerate() {
        let trace = format!("trace-{index}");
        let letter = letters
            .iter()
            .find(|l| l.header("x-trace") == Some(trace.as_str()))
            .unwrap_or_else(|| panic!("no dead letter for case {index} ({reason})"));
        assert_eq!(
            letter.header("tickertape.reason"),
            Some(*reason),
            "case {index}"
        );
        assert_eq!(
            letter.header("tickertape.source.topic"),
            Some(topics.name(topic).as_str())
        );
        assert_eq!(letter.key.as_deref(), Some(*key), "case {index}: its key");
        assert_eq!(&letter.payload, value, "case {index}: its bytes");
    }
    let reactions = consume(&brokers, &topics.name("market.reactions"), 1, WAIT);
    assert_eq!(reactions.len(), 1, "the join went on");
    let reaction = reactions[0].json();
    assert_eq!(reaction["symbol"], "GSK");
    assert_eq!(reaction["horizons"][2]["change"], "0.70");
    service.stop();
}
