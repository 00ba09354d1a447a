//! How records are shown: JSON lines for machines, one readable line for people.

use base64::Engine;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use tickertape_processor::processor::dead_letter_headers;

/// One record as `tickertape process` prints it.
#[derive(Serialize)]
pub struct RecordLine<'a> {
    pub topic: &'a str,
    pub key: Option<&'a str>,
    pub headers: BTreeMap<&'a str, &'a str>,
    pub value: Value,
}

/// The JSON value shown for a record: the event itself, or for a dead
/// letter `{reason, detail, original_b64}`.
pub fn value_of(headers: &[(&str, &str)], value: &[u8]) -> Value {
    // The last header of a name wins: a redriven dead letter refused again
    // carries both reasons, the newest last.
    let header = |name: &str| {
        headers
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    };
    if let Some(reason) = header(dead_letter_headers::REASON) {
        return serde_json::json!({
            "reason": reason,
            "detail": header(dead_letter_headers::DETAIL).unwrap_or_default(),
            "original_b64": base64::engine::general_purpose::STANDARD.encode(value),
        });
    }
    serde_json::from_slice(value)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(value).into_owned()))
}

/// The JSON value shown for a consumed Kafka message (see [`value_of`]).
pub fn message_value(message: &rdkafka::message::BorrowedMessage<'_>) -> Value {
    use rdkafka::message::{Headers, Message};
    let headers: Vec<(&str, &str)> = message
        .headers()
        .map(|h| {
            h.iter()
                .filter_map(|h| Some((h.key, std::str::from_utf8(h.value?).ok()?)))
                .collect()
        })
        .unwrap_or_default();
    value_of(&headers, message.payload().unwrap_or_default())
}

/// One line for a person: what the event says, in the fewest words.
pub fn readable(topic: &str, value: &Value) -> String {
    let text = |field: &str| {
        value
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    match value.get("schema").and_then(Value::as_str) {
        Some("tickertape.article.v1") => {
            let source = value
                .pointer("/source/name")
                .and_then(Value::as_str)
                .unwrap_or("?");
            let countries: Vec<&str> = value
                .pointer("/entities/countries")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            format!(
                "[{topic}] {status} v{version} {title:?} ({source}, {lang}, {words} words, countries {countries}) story {story}",
                status = value.pointer("/dedupe/status").and_then(Value::as_str).unwrap_or("?").to_uppercase(),
                version = value.get("version").and_then(Value::as_u64).unwrap_or(0),
                title = text("title"),
                lang = text("language"),
                words = value.get("word_count").and_then(Value::as_u64).unwrap_or(0),
                countries = countries.join(","),
                story = text("story_id"),
            )
        }
        Some("tickertape.article_duplicate.v1") => format!(
            "[{topic}] DUPLICATE {title:?} on {source} is a copy of story {story}",
            title = text("title"),
            source = value
                .pointer("/source/name")
                .and_then(Value::as_str)
                .unwrap_or("?"),
            story = text("story_id"),
        ),
        Some("tickertape.price_change.v1") => {
            format!(
            "[{topic}] {symbol:<6} {previous} -> {price} ({change:+} / {pct}%) {basis} via {kind}",
            symbol = text("symbol"),
            previous = text("previous_price"),
            price = text("price"),
            change = text("change"),
            pct = text("change_pct"),
            basis = text("basis"),
            kind = value.pointer("/source/kind").and_then(Value::as_str).unwrap_or("?"),
        )
        }
        Some("tickertape.price_alert.v1") => format!(
            "[{topic}] ALERT {symbol} moved {pct}% ({reference} -> {price}) within {window}s",
            symbol = text("symbol"),
            pct = text("change_pct"),
            reference = text("reference_price"),
            price = text("price"),
            window = value.get("window_s").and_then(Value::as_i64).unwrap_or(0),
        ),
        Some("tickertape.market_reaction.v1") => {
            // "+0.25 (+0.87%) after 60s", one per horizon; "?" where unknown.
            let moves: Vec<String> = value
                .get("horizons")
                .and_then(Value::as_array)
                .map(|horizons| {
                    horizons
                        .iter()
                        .map(|h| {
                            let field =
                                |name: &str| h.get(name).and_then(Value::as_str).unwrap_or("?");
                            format!(
                                "{}s {} ({}%)",
                                h.get("after_s").and_then(Value::as_i64).unwrap_or(0),
                                field("change"),
                                field("change_pct")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let market = match value.get("market_open").and_then(Value::as_bool) {
                Some(true) => "market open",
                Some(false) => "market closed",
                None => "market hours unknown",
            };
            format!(
                "[{topic}] REACTION {symbol:<6} to {title:?} v{version} at {at} ({market}) from {price}: {moves}",
                symbol = text("symbol"),
                title = text("title"),
                version = value.get("story_version").and_then(Value::as_u64).unwrap_or(0),
                at = text("published_at"),
                price = value.get("price_at_publication").and_then(Value::as_str).unwrap_or("no price"),
                moves = moves.join(", "),
            )
        }
        _ if value.get("reason").is_some() => format!(
            "[{topic}] REJECTED {reason}: {detail}",
            reason = text("reason"),
            detail = text("detail"),
        ),
        _ => format!("[{topic}] {value}"),
    }
}
