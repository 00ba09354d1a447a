//! `docs/metrics.md` lists exactly the metrics the code defines.

use std::collections::BTreeSet;
use std::path::Path;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Metric names in string literals of the crates' metrics definitions.
fn defined() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in [
        "services/core/src/metrics.rs",
        "services/processor/src/shared_metrics.rs",
        "services/articles/src/metrics.rs",
        "services/prices/src/metrics.rs",
        "services/reactions/src/metrics.rs",
    ] {
        let text = std::fs::read_to_string(repo().join(file)).expect("metrics file exists");
        for piece in text.split('"').skip(1).step_by(2) {
            if piece.starts_with("tickertape_")
                && piece.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            {
                names.insert(piece.to_owned());
            }
        }
    }
    names
}

/// Metric names in the first column of the catalogue's table.
fn documented() -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(repo().join("docs/metrics.md")).expect("docs/metrics.md exists");
    text.lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split('`').next())
        .filter(|name| name.starts_with("tickertape_"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_metric_is_documented_and_every_documented_metric_exists() {
    let defined = defined();
    let documented = documented();
    assert!(defined.len() >= 20, "found only {defined:?}");
    let undocumented: Vec<_> = defined.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&defined).collect();
    assert!(
        undocumented.is_empty(),
        "defined but not in docs/metrics.md: {undocumented:?}"
    );
    assert!(
        stale.is_empty(),
        "in docs/metrics.md but not defined: {stale:?}"
    );
}

#[test]
fn names_follow_the_convention() {
    for name in defined() {
        let counter_like = name.ends_with("_total");
        let unit = ["_seconds", "_messages", "_entries", "_partitions", "_info"]
            .iter()
            .any(|u| name.ends_with(u));
        assert!(
            counter_like || unit,
            "{name}: counters end in _total, others in their unit"
        );
    }
}
