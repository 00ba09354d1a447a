//! `tickertape demo --once` on the embedded broker: the samples go in, and
//! article events and price changes come out.

use std::process::Command;

use serde_json::Value;

#[test]
fn the_demo_prints_articles_and_price_changes() {
    let output = Command::new(env!("CARGO_BIN_EXE_tickertape"))
        .args([
            "demo",
            "--once",
            "--json",
            "--metrics-addr",
            "127.0.0.1:0",
            "--timeout-s",
            "120",
        ])
        .output()
        .expect("the demo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "demo failed:\n{stderr}");
    assert!(
        stderr.contains("metrics at http://127.0.0.1:"),
        "the demo says where /metrics is"
    );
    let events: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON lines"))
        .collect();
    let count = |topic: &str| events.iter().filter(|e| e["topic"] == topic).count();
    assert_eq!(
        count("articles.enriched"),
        7,
        "7 stories or versions among the samples"
    );
    assert_eq!(
        count("articles.duplicates"),
        3,
        "3 copies among the samples"
    );
    assert_eq!(count("ticks.dlq"), 8, "8 bad feed ticks");
    assert_eq!(count("prices.alerts"), 1, "VOD crosses 2% once");
    assert!(
        count("prices.changes") >= 16,
        "at least the first strip's 16 changes"
    );
    let story = events
        .iter()
        .find(|e| {
            e["value"]["title"] == "North Korea ratifies defence treaty with Russia"
                && e["value"]["dedupe"]["status"] == "new"
        })
        .expect("the seed story is published");
    assert_eq!(story["value"]["source"]["name"], "Berliner Tageblatt");
    // The feed's ticks are older than the strips of the pages fetched
    // later that day: late, and counted rather than silently dropped.
    let late = count("ticks.late");
    assert!(late >= 1, "late ticks are shown");

    // Every copy is printed after the story it is a copy of.
    for (at, event) in events.iter().enumerate() {
        if event["topic"] != "articles.duplicates" {
            continue;
        }
        let story_id = &event["value"]["story_id"];
        let story_at = events
            .iter()
            .position(|e| e["topic"] == "articles.enriched" && &e["value"]["story_id"] == story_id)
            .expect("the copy's story is printed");
        assert!(story_at < at, "story {story_id} printed after its copy");
    }
    assert!(
        stderr.contains(&format!("{late} late ticks on ticks.late")),
        "the summary counts late ticks:\n{stderr}"
    );
}
