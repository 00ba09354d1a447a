//! Decoding an `articles.raw` message: a raw page, or a JSON envelope
//! `{"url", "fetched_at", "site"?, "body"}` whose body is one.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tickertape_processor::{Input, Rejection};

/// Header naming the page's URL when the value is a raw page.
pub const URL_HEADER: &str = "url";
/// Header holding the fetch time (RFC 3339) when the value is a raw page.
pub const FETCHED_AT_HEADER: &str = "fetched_at";

/// A page and what the crawler knew about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPage<'a> {
    /// The page text.
    pub body: Cow<'a, str>,
    /// Its URL, when known.
    pub url: Option<String>,
    /// When it was fetched.
    pub fetched_at: DateTime<Utc>,
    /// The site's name according to the crawler.
    pub site: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    url: Cow<'a, str>,
    fetched_at: DateTime<Utc>,
    #[serde(default, borrow)]
    site: Option<Cow<'a, str>>,
    #[serde(borrow)]
    body: Cow<'a, str>,
}

/// Decodes one message.
///
/// Fails with reason `empty`, `too_large`, `not_utf8`, `invalid_envelope`,
/// `invalid_header`, or `not_a_page` (markup, JSON or control characters
/// where a page's text should be).
pub fn decode<'a>(input: &Input<'a>, max_bytes: usize) -> Result<RawPage<'a>, Rejection> {
    if input.payload.iter().all(u8::is_ascii_whitespace) {
        return Err(Rejection::new("empty", "message has no content"));
    }
    if input.payload.len() > max_bytes {
        return Err(Rejection::new(
            "too_large",
            format!(
                "message is {} bytes; the limit is {max_bytes}",
                input.payload.len()
            ),
        ));
    }
    let text = std::str::from_utf8(input.payload)
        .map_err(|error| Rejection::new("not_utf8", format!("message is not UTF-8: {error}")))?;
    // A byte-order mark says nothing about the page.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        let envelope: Envelope<'a> = serde_json::from_str(text).map_err(|error| {
            Rejection::new("invalid_envelope", format!("JSON envelope: {error}"))
        })?;
        check_page_text(&envelope.body)?;
        return Ok(RawPage {
            body: envelope.body,
            url: Some(envelope.url.into_owned()).filter(|u| !u.is_empty()),
            fetched_at: envelope.fetched_at,
            site: envelope.site.map(Cow::into_owned),
        });
    }
    check_page_text(text)?;
    let fetched_at = match input.header_str(FETCHED_AT_HEADER) {
        Some(value) => DateTime::parse_from_rfc3339(value.trim())
            .map(|time| time.with_timezone(&Utc))
            .map_err(|_| {
                Rejection::new(
                    "invalid_header",
                    format!("{FETCHED_AT_HEADER} header is not RFC 3339: {value:?}"),
                )
            })?,
        None => input.timestamp.unwrap_or(input.received_at),
    };
    Ok(RawPage {
        body: Cow::Borrowed(text),
        url: input.header_str(URL_HEADER).map(str::to_owned),
        fetched_at,
        site: None,
    })
}

/// Refuses what is not the text of a scraped page: HTML markup (a page the
/// crawler did not scrape; it would be published with `<!DOCTYPE html>` as
/// its title), JSON (an envelope inside an envelope), and control
/// characters other than tabs and line breaks (binary, or NUL bytes that
/// would pass into events).
fn check_page_text(text: &str) -> Result<(), Rejection> {
    let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let head = start.get(..9).unwrap_or(start).to_ascii_lowercase();
    if head.starts_with("<!doctype") || head.starts_with("<html") {
        return Err(Rejection::new(
            "not_a_page",
            "the message is HTML, not the text of a scraped page",
        ));
    }
    if start.starts_with(['{', '[']) {
        return Err(Rejection::new(
            "not_a_page",
            "the page's text is JSON, not the text of a scraped page",
        ));
    }
    if let Some(at) = text.find(|c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        let c = text[at..].chars().next().unwrap_or_default();
        return Err(Rejection::new(
            "not_a_page",
            format!("control character U+{:04X} at byte {at}", u32::from(c)),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(payload: &[u8]) -> Result<(), &'static str> {
        let now = "2024-11-12T15:00:00Z".parse().unwrap();
        decode(&Input::unkeyed("articles.raw", payload, now), 1 << 20)
            .map(|_| ())
            .map_err(|rejection| rejection.reason)
    }

    #[test]
    fn what_is_not_a_page_is_refused_with_a_reason() {
        let seed = include_str!("../../../tests/fixtures/articles/seed-article.txt");
        assert_eq!(reason(seed.as_bytes()), Ok(()));
        assert_eq!(
            reason(format!("\u{feff}{seed}").as_bytes()),
            Ok(()),
            "a BOM is fine"
        );
        for (payload, expected) in [
            (&b"<!DOCTYPE html><html><body>x</body></html>"[..], "not_a_page"),
            (b"  <HTML lang=en><p>x</p></HTML>", "not_a_page"),
            (b"Site - Title\n\nText with a \x00 NUL", "not_a_page"),
            (
                br#"{"url":"u","fetched_at":"2024-11-12T09:30:00Z","body":"{\"nested\": 1}"}"#,
                "not_a_page",
            ),
            (
                "\u{feff}{\"url\":\"u\",\"fetched_at\":\"2024-11-12T09:30:00Z\",\"body\":\"<!doctype html>\"}".as_bytes(),
                "not_a_page",
            ),
            (b"\xef\xbb\xbf{not json", "invalid_envelope"),
        ] {
            assert_eq!(reason(payload), Err(expected), "{}", String::from_utf8_lossy(payload));
        }
    }
}
