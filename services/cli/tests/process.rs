//! `tickertape process` over the fixtures: the seed's fields, dedupe
//! decisions, price rules, dead letters, schemas, and golden outputs.
//! No broker: this is the same processor code the services run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(path: &str) -> String {
    repo()
        .join("tests/fixtures")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

/// Runs `tickertape process ARGS…`, returns one JSON value per output line.
fn process(args: &[&str], stdin: Option<&[u8]>) -> Vec<Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tickertape"))
        .arg("process")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tickertape runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    input
        .write_all(stdin.unwrap_or_default())
        .expect("stdin accepts input");
    drop(input);
    let output = child.wait_with_output().expect("tickertape finishes");
    assert!(
        output.status.success(),
        "tickertape process {args:?} failed"
    );
    String::from_utf8(output.stdout)
        .expect("output is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

fn on<'a>(records: &'a [Value], topic: &str) -> Vec<&'a Value> {
    records
        .iter()
        .filter(|r| r["topic"] == topic)
        .map(|r| &r["value"])
        .collect()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

const CLOCK: &str = "2024-11-12T15:00:00Z";

/// Every article fixture, in the order a crawler might deliver them.
fn article_fixtures() -> Vec<String> {
    [
        "articles/seed-article.txt",
        "articles/athens-news-syndicated-copy.txt",
        "articles/btb-update-same-story.txt",
        "articles/btb-unrelated-same-topic.txt",
        "articles/athens-news-unrelated-same-day.txt",
        "articles/de-nordkorea-vertrag.txt",
        "articles/markets-no-strip-no-photo.txt",
        "articles/variants-crlf-nbsp-curly.txt",
        "articles/envelopes.jsonl",
        "articles/seed-article.html",
        "articles/athens-news-syndicated-copy.html",
        "articles/de-nordkorea-vertrag.html",
        "articles/iberia-diario-ibex.html",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect()
}

#[test]
fn the_seed_page_becomes_one_article_and_sixteen_ticks() {
    let mut paths = vec![fixture("articles/seed-article.txt")];
    // CI has the shared seed beside the checkout; it must read the same.
    let shared = repo().join("../shared/samples/seed-article.txt");
    if shared.exists() {
        paths.push(shared.to_string_lossy().into_owned());
    }
    for path in paths {
        let records = process(&["articles", &path], None);
        let articles = on(&records, "articles.enriched");
        let ticks = on(&records, "ticks.raw");
        assert_eq!(articles.len(), 1, "{path}");
        assert_eq!(ticks.len(), 16);
        let article = articles[0];
        assert_eq!(article["source"]["name"], "Berliner Tageblatt");
        assert_eq!(article["source"]["code"], "BTB");
        assert_eq!(
            article["title"],
            "North Korea ratifies defence treaty with Russia"
        );
        assert_eq!(strings(&article["authors"]), ["K.Thomson"]);
        assert_eq!(article["photo"]["credit"], "POOL/AFP");
        assert_eq!(strings(&article["subheadings"]), ["More to come?"]);
        assert_eq!(article["language"], "en");
        assert_eq!(article["dedupe"]["status"], "new");
        for paragraph in strings(&article["paragraphs"]) {
            assert!(!paragraph.contains("Text size:"), "{paragraph}");
            assert!(
                !paragraph.ends_with(" $"),
                "strip line in the body: {paragraph}"
            );
        }
        let countries = strings(&article["entities"]["countries"]);
        for code in ["KP", "RU", "UA", "US", "KR"] {
            assert!(
                countries.contains(&code),
                "{code} missing from {countries:?}"
            );
        }
        let people = strings(&article["entities"]["people"]);
        for person in ["Kim Jong Un", "Vladimir Putin", "Hong Min", "Choe Son Hui"] {
            assert!(people.contains(&person), "{person} missing from {people:?}");
        }
        let organizations = strings(&article["entities"]["organizations"]);
        assert!(organizations.contains(&"Korean Central News Agency"));
        assert!(
            !organizations.contains(&"KCNA"),
            "the acronym is resolved: {organizations:?}"
        );
        let quotes = article["quotes"].as_array().unwrap();
        assert!(quotes.iter().any(|q| q["speaker"] == "Hong Min"
            && q["text"]
                .as_str()
                .unwrap()
                .starts_with("With bilateral ratifications")));
        let first = &article["market_snapshot"][0];
        assert_eq!(
            (
                first["symbol"].as_str(),
                first["change_pct"].as_str(),
                first["price"].as_str(),
                first["currency"].as_str()
            ),
            (Some("RBGPF"), Some("-1.43"), Some("59.34"), Some("USD"))
        );
        assert_eq!(ticks[0]["symbol"], "RBGPF");
        assert_eq!(ticks[0]["source"]["kind"], "page");
        let topics: Vec<&str> = article["topics"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["code"].as_str())
            .collect();
        assert!(topics.contains(&"16000000"), "{topics:?}");
    }
}

#[test]
fn syndicated_copies_updates_and_unrelated_stories() {
    let records = process(
        &["--clock", CLOCK, "articles"]
            .iter()
            .copied()
            .chain(article_fixtures().iter().map(String::as_str))
            .collect::<Vec<_>>(),
        None,
    );
    let articles = on(&records, "articles.enriched");
    let duplicates = on(&records, "articles.duplicates");
    let seed = articles[0];
    assert_eq!(seed["dedupe"]["status"], "new");
    let story = seed["story_id"].as_str().unwrap();

    // The Athens News copy and the Gulf Courier envelope carry the same
    // body: duplicates. So do the HTML pages of the seed and of the Athens
    // News copy: a story is one story whether it came as text or HTML.
    let copies: Vec<(&str, &str)> = duplicates
        .iter()
        .filter(|d| d["story_id"] == story)
        .filter_map(|d| {
            Some((
                d["source"]["name"].as_str()?,
                d["source"]["content_type"].as_str()?,
            ))
        })
        .collect();
    assert_eq!(
        copies,
        [
            ("Athens News", "text/plain"),
            ("Gulf Courier", "text/plain"),
            ("Berliner Tageblatt", "text/html"),
            ("Athens News", "text/html")
        ]
    );

    // The edited and extended version is an update of the same story.
    let update = articles[1];
    assert_eq!(update["dedupe"]["status"], "update");
    assert_eq!(update["story_id"], story);
    assert_eq!(update["version"], 2);
    assert_eq!(update["dedupe"]["of"], seed["id"]);
    assert!(update["dedupe"]["similarity"].as_f64().unwrap() >= 0.8);

    // Same topic, same day, same site or network: separate stories.
    for (index, title) in [
        (
            2,
            "South Korea summons Russian envoy over North Korean troops",
        ),
        (
            3,
            "Ukraine says it has clashed with North Korean troops in Kursk",
        ),
    ] {
        assert_eq!(articles[index]["title"], title);
        assert_eq!(articles[index]["dedupe"]["status"], "new");
        assert_ne!(articles[index]["story_id"], story);
    }
    // The German edition is another story (another text), found as German.
    assert_eq!(articles[4]["language"], "de");
    assert_eq!(articles[4]["dedupe"]["status"], "new");
    let statuses: Vec<&str> = articles
        .iter()
        .map(|a| a["dedupe"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["new", "update", "new", "new", "new", "new", "new", "new"]
    );
    // The Iberia Diario page is a story of its own, first seen as HTML.
    let html = articles.last().unwrap();
    assert_eq!(html["source"]["content_type"], "text/html");
    assert_eq!(html["language"], "es");
    assert_eq!(html["published_at"], "2024-11-12T11:10:00Z");
    assert_eq!(html["market_snapshot"].as_array().unwrap().len(), 3);
    // The markets page arrives twice (file and envelope): one story. The
    // three HTML pages are copies of their text scrapes.
    assert_eq!(duplicates.len(), 6);
    let german_html = duplicates.last().unwrap();
    assert_eq!(german_html["source"]["content_type"], "text/html");
    assert_eq!(german_html["of"], articles[4]["id"]);
}

#[test]
fn pages_vary_without_breaking() {
    let records = process(
        &[
            "--clock",
            CLOCK,
            "articles",
            &fixture("articles/markets-no-strip-no-photo.txt"),
            &fixture("articles/variants-crlf-nbsp-curly.txt"),
        ],
        None,
    );
    let articles = on(&records, "articles.enriched");
    let markets = articles[0];
    assert_eq!(markets["photo"], Value::Null);
    assert_eq!(markets["market_snapshot"], serde_json::json!([]));
    assert_eq!(strings(&markets["authors"]), ["M.Evans", "R.Shah"]);
    let symbols: Vec<&str> = markets["instruments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["symbol"].as_str())
        .collect();
    assert_eq!(symbols, ["VOD", "AZN", "BP", "RYCEF", "GSK", "RIO"]);
    assert!(markets["quotes"][0]["text"]
        .as_str()
        .unwrap()
        .starts_with("Investors are rewarding"));
    assert_eq!(markets["quotes"][0]["speaker"], "Sarah Hewitt");

    let variants = articles[1];
    assert_eq!(variants["photo"]["credit"], "ANGELOS TZORTZINIS - AFP");
    assert!(
        strings(&variants["paragraphs"])[0].contains("this year, according"),
        "NBSP normalised"
    );
    let prices: Vec<&str> = variants["market_snapshot"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|q| q["price"].as_str())
        .collect();
    assert!(
        prices.contains(&"22.658") && prices.contains(&"142"),
        "{prices:?}"
    );
    assert_eq!(variants["quotes"][1]["speaker"], "Nikos Andreou");
}

#[test]
fn bad_pages_are_dead_lettered_with_their_bytes() {
    let files = [
        "bad/empty.txt",
        "bad/not-utf8.txt",
        "bad/no-body.txt",
        "bad/envelopes.jsonl",
    ];
    let paths: Vec<String> = files.iter().map(|f| fixture(f)).collect();
    let mut args = vec!["articles"];
    args.extend(paths.iter().map(String::as_str));
    let records = process(&args, None);
    let letters = on(&records, "articles.dlq");
    let reasons: Vec<&str> = letters
        .iter()
        .filter_map(|l| l["reason"].as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "empty",
            "not_utf8",
            "no_body",
            "invalid_envelope",
            "invalid_envelope",
            "no_body"
        ]
    );
    let original = base64::engine::general_purpose::STANDARD
        .decode(letters[1]["original_b64"].as_str().unwrap())
        .unwrap();
    assert_eq!(original, std::fs::read(&paths[1]).unwrap());
    assert_eq!(
        records.len(),
        6,
        "a rejected page publishes nothing else, not even its strip"
    );

    let oversized = process(
        &[
            "articles",
            "--max-message-bytes",
            "100",
            &fixture("articles/seed-article.txt"),
        ],
        None,
    );
    assert_eq!(on(&oversized, "articles.dlq")[0]["reason"], "too_large");
}

#[test]
fn strip_ticks_follow_the_price_rules() {
    let seed = fixture("ticks/seed-strip.txt");
    let changed = fixture("ticks/strip-3-changed.txt");
    let records = process(&["--clock", CLOCK, "ticks", &seed, &seed, &changed], None);
    let changes = on(&records, "prices.changes");
    assert_eq!(
        changes.len(),
        16 + 3,
        "16 from the first strip, none from the repeat, 3 from the changed one"
    );
    assert!(changes[..16].iter().all(|c| c["basis"] == "previous_close"));
    assert_eq!(
        (
            changes[0]["symbol"].as_str(),
            changes[0]["previous_price"].as_str()
        ),
        (Some("RBGPF"), Some("60.20"))
    );
    let later: Vec<(&str, &str, &str, &str)> = changes[16..]
        .iter()
        .map(|c| {
            (
                c["symbol"].as_str().unwrap(),
                c["previous_price"].as_str().unwrap(),
                c["price"].as_str().unwrap(),
                c["change"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        later,
        [
            ("GSK", "35.11", "35.31", "0.20"),
            ("BP", "28.57", "28.62", "0.05"),
            ("VOD", "8.75", "8.729", "-0.021")
        ]
    );
    assert!(changes[16..]
        .iter()
        .all(|c| c["basis"] == "previous_tick" && c["seq"] == 2));
}

#[test]
fn feed_ticks_repeats_late_ticks_alerts_and_bad_input() {
    let records = process(
        &["--clock", CLOCK, "ticks", &fixture("ticks/feed.jsonl")],
        None,
    );
    let changes = on(&records, "prices.changes");
    let summary: Vec<(&str, &str, &str)> = changes
        .iter()
        .map(|c| {
            (
                c["symbol"].as_str().unwrap(),
                c["price"].as_str().unwrap(),
                c["basis"].as_str().unwrap(),
            )
        })
        .collect();
    // BP: first seen (no day change, nothing), repeat (nothing), 28.61 (change),
    // the same price again by epoch millis (unchanged), 28.55 four seconds back (late).
    assert_eq!(
        summary,
        [
            ("BP", "28.61", "previous_tick"),
            ("VOD", "8.75", "previous_close"),
            ("VOD", "8.81", "previous_tick"),
            ("VOD", "9.02", "previous_tick"),
            ("VOD", "9.05", "previous_tick"),
            ("ACME", "12.5", "previous_close"),
        ]
    );
    assert_eq!(
        changes[5]["instrument"],
        Value::Null,
        "unknown symbols still flow"
    );
    let alerts = on(&records, "prices.alerts");
    assert_eq!(alerts.len(), 1, "one alert per crossing");
    assert_eq!(
        (
            alerts[0]["symbol"].as_str(),
            alerts[0]["change_pct"].as_str(),
            alerts[0]["direction"].as_str()
        ),
        (Some("VOD"), Some("3.0857"), Some("up"))
    );
    let reasons: Vec<&str> = on(&records, "ticks.dlq")
        .iter()
        .filter_map(|l| l["reason"].as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "invalid_price",
            "invalid_symbol",
            "invalid_time",
            "invalid_price",
            "invalid_field",
            "future_time",
            "invalid_strip_line",
            "invalid_json"
        ]
    );
}

#[test]
fn articles_and_ticks_chain_through_standard_input() {
    let articles = Command::new(env!("CARGO_BIN_EXE_tickertape"))
        .args([
            "process",
            "--clock",
            CLOCK,
            "articles",
            &fixture("articles/seed-article.txt"),
        ])
        .stderr(Stdio::null())
        .output()
        .expect("tickertape runs");
    let records = process(&["--clock", CLOCK, "ticks", "-"], Some(&articles.stdout));
    let changes = on(&records, "prices.changes");
    assert_eq!(changes.len(), 16);
    assert!(changes
        .iter()
        .all(|c| c["source"]["kind"] == "page" && c["source"]["name"] == "Berliner Tageblatt"));
}

/// The tick schema is the input contract: whatever it refuses, the prices
/// processor dead-letters too (it refuses more: prices past its bound, times
/// out of range, contradictions).
#[test]
fn every_tick_the_schema_refuses_is_a_dead_letter() {
    use tickertape_market::instruments::Catalog;
    use tickertape_prices::config::PricesSettings;
    use tickertape_prices::metrics::PriceMetrics;
    use tickertape_prices::processor::PriceProcessor;
    use tickertape_processor::{Input, Outcome, Processor};

    let schema = validator("tick.v1.json");
    let now = "2024-11-12T15:00:00Z".parse().unwrap();
    let cases = [
        r#"{"symbol":"BP","price":"28.57","ts":"2024-11-12T14:00:00Z"}"#,
        r#"{"symbol":"BP","price":28.57,"ts":1731420000000,"currency":"GBP","seq":3}"#,
        r#"{"symbol":"BRK.B","price":"1","ts":"2024-11-12T14:00:00Z","change_pct":null,"source":"feed-a"}"#,
        r#"{"symbol":"BP","price":"1","ts":"2024-11-12T14:00:00Z","source":{"kind":"page","name":null}}"#,
        r#"{"symbol":"bp","price":"1","ts":"2024-11-12T14:00:00Z"}"#,
        r#"{"symbol":" BP ","price":"1","ts":"2024-11-12T14:00:00Z"}"#,
        r#"{"symbol":"BP","price":" 28.57","ts":"2024-11-12T14:00:00Z"}"#,
        r#"{"symbol":"BP","price":"-1","ts":"2024-11-12T14:00:00Z"}"#,
        r#"{"symbol":"BP","price":0,"ts":"2024-11-12T14:00:00Z"}"#,
        r#"{"symbol":"BP","price":"1e3","ts":"2024-11-12T14:00:00Z"}"#,
        r#"{"symbol":"BP","price":"1","ts":"yesterday"}"#,
        r#"{"symbol":"BP","price":"1","ts":1.5}"#,
        r#"{"symbol":"BP","price":"1","ts":"2024-11-12T14:00:00Z","currency":"usd"}"#,
        r#"{"symbol":"BP","price":"1","ts":"2024-11-12T14:00:00Z","change_pct":"+1.5"}"#,
        r#"{"symbol":"BP","price":"1","ts":"2024-11-12T14:00:00Z","seq":-1}"#,
        r#"{"symbol":"BP","price":"1","ts":"2024-11-12T14:00:00Z","source":{"kind":"radio"}}"#,
        r#"{"symbol":"BP","price":"1"}"#,
        r#"{"price":"1","ts":"2024-11-12T14:00:00Z"}"#,
        r#"["BP","1"]"#,
    ];
    let mut refused_by_schema = 0;
    for case in cases {
        let mut processor = PriceProcessor::new(
            &PricesSettings::default(),
            Catalog::builtin(),
            PriceMetrics::unregistered(),
        );
        let json: Value = serde_json::from_str(case).unwrap();
        let outcome = processor.process(&Input::unkeyed("ticks.raw", case.as_bytes(), now));
        if !schema.is_valid(&json) {
            refused_by_schema += 1;
            assert!(
                matches!(outcome, Outcome::Reject(_)),
                "the schema refuses {case}, the processor published it"
            );
        } else {
            assert!(
                matches!(outcome, Outcome::Publish(_)),
                "the schema accepts {case}, the processor refused it: {outcome:?}"
            );
        }
    }
    assert_eq!(refused_by_schema, 15, "the cases test both sides");
}

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("schemas").join(name)).expect("schema exists");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name} is a valid schema: {e}"))
}

fn schema_for(record: &Value) -> Option<&'static str> {
    match record["value"]["schema"].as_str() {
        Some("tickertape.article.v1") => Some("article.v1.json"),
        Some("tickertape.article_duplicate.v1") => Some("article_duplicate.v1.json"),
        Some("tickertape.price_change.v1") => Some("price_change.v1.json"),
        Some("tickertape.price_alert.v1") => Some("price_alert.v1.json"),
        Some("tickertape.market_reaction.v1") => Some("market_reaction.v1.json"),
        _ if record["topic"] == "ticks.raw" => Some("tick.v1.json"),
        _ => None,
    }
}

#[test]
fn every_event_and_example_validates_against_its_schema() {
    let mut args = vec!["--clock", CLOCK, "articles"];
    let fixtures = article_fixtures();
    args.extend(fixtures.iter().map(String::as_str));
    let mut records = process(&args, None);
    records.extend(process(
        &[
            "--clock",
            CLOCK,
            "ticks",
            &fixture("ticks/feed.jsonl"),
            &fixture("ticks/seed-strip.txt"),
        ],
        None,
    ));
    records.extend(process_reactions());
    let mut checked = 0;
    for record in &records {
        let Some(name) = schema_for(record) else {
            continue;
        };
        let errors: Vec<String> = validator(name)
            .iter_errors(&record["value"])
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}\n{}", record["value"]);
        checked += 1;
    }
    assert!(checked > 40, "only {checked} events were checked");

    let examples = std::fs::read_dir(repo().join("schemas/examples")).expect("examples exist");
    let mut example_count = 0;
    for entry in examples {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let example: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let errors: Vec<String> = validator(&name)
            .iter_errors(&example)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "example {name}: {errors:?}");
        example_count += 1;
    }
    let schemas = std::fs::read_dir(repo().join("schemas"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "json")
        })
        .count();
    assert_eq!(example_count, schemas, "every schema has an example");
}

/// The reactions fixture: stories and prices in arrival order, as a
/// 3-partition price topic would spread them (the end-to-end test's count).
fn process_reactions() -> Vec<Value> {
    let tape = fixture("reactions/tape.jsonl");
    // The clock after the tape's last price (2024-11-13T16:00): none is from the future.
    process(
        &[
            "--clock",
            "2024-11-13T17:00:00Z",
            "reactions",
            "--partitions",
            "3",
            &tape,
        ],
        None,
    )
}

#[test]
fn stories_meet_the_tape_in_event_time_whichever_comes_first() {
    let records = process_reactions();
    let reactions = on(&records, "market.reactions");
    assert_eq!(reactions.len(), records.len(), "no dead letters");
    let of = |symbol: &str, version: u64| {
        reactions
            .iter()
            .find(|r| r["symbol"] == symbol && r["story_version"] == version)
            .unwrap_or_else(|| panic!("no reaction for {symbol} v{version}"))
    };
    // Before its prices, and its update at its own time: one each.
    let (first, update) = (of("BP", 1), of("BP", 2));
    assert_eq!(first["price_at_publication"], "28.60");
    assert_eq!(first["horizons"][0]["change_pct"], "-0.8741");
    assert_eq!(update["published_at"], "2024-11-12T15:30:00Z");
    assert_eq!(update["price_at_publication"], "27.90");
    // After its prices (late), and after its prices began: joined alike.
    assert_eq!(of("AZN", 1)["horizons"][0]["price"], "65.50");
    assert_eq!(of("VOD", 1)["price_at_publication"], "0.7050");
    // After New York's close: the market was shut, nothing moved.
    let closed = of("GSK", 1);
    assert_eq!(closed["market_open"], false);
    assert_eq!(closed["horizons"][3]["change"], "0.00");
    // A listing with no feed closes idle, with no prices.
    assert_eq!(of("RYCEF", 1)["closed_by"], "idle");
    assert_eq!(of("RYCEF", 1)["price_at_publication"], Value::Null);
    // The syndicated copy and the company nobody lists cause nothing.
    let stories: Vec<&str> = reactions
        .iter()
        .map(|r| r["story_id"].as_str().unwrap())
        .collect();
    assert!(!stories.contains(&"06a15dc8f6b24e49"), "{stories:?}");
    assert!(!stories.contains(&"5b1a00000000ac01"), "{stories:?}");
    assert_eq!(reactions.len(), 9);
}

/// Golden outputs, reviewed by eye once and pinned: any change in what the
/// pipeline publishes for the fixtures shows up here. `UPDATE_GOLDEN=1`
/// rewrites them.
#[test]
fn fixtures_match_their_golden_outputs() {
    let mut args = vec!["--clock", CLOCK, "articles"];
    let fixtures = article_fixtures();
    args.extend(fixtures.iter().map(String::as_str));
    let articles = process(&args, None);
    let article_lines: String = articles.iter().map(|r| format!("{r}\n")).collect();
    let stdin = article_lines.clone().into_bytes();
    let ticks = process(
        &["--clock", CLOCK, "ticks", "-", &fixture("ticks/feed.jsonl")],
        Some(&stdin),
    );
    let tick_lines: String = ticks.iter().map(|r| format!("{r}\n")).collect();
    let reactions = process_reactions();
    let reaction_lines: String = reactions.iter().map(|r| format!("{r}\n")).collect();
    for (name, actual) in [
        ("articles.jsonl", article_lines),
        ("ticks.jsonl", tick_lines),
        ("reactions.jsonl", reaction_lines),
    ] {
        let path = repo().join("tests/fixtures/golden").join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &actual).unwrap();
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} missing; run with UPDATE_GOLDEN=1", path.display()));
        assert!(
            expected == actual,
            "{name} differs from its golden output; review the change, then UPDATE_GOLDEN=1"
        );
    }
}
