//! Decoding an `articles.raw` message: a raw page, or a JSON envelope
//! `{"url", "fetched_at", "site"?, "body" | "html"}` whose body is one.
//!
//! A page is HTML when the `content-type` header says `text/html` or
//! `application/xhtml+xml`, when its bytes begin with a doctype or `<html`
//! (after whitespace and a byte-order mark), or when the envelope's field is
//! `html`. Everything else is the text of a scraped page.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tickertape_processor::{Input, Rejection};

/// Header naming the page's URL when the value is a raw page.
pub const URL_HEADER: &str = "url";
/// Header holding the fetch time (RFC 3339) when the value is a raw page.
pub const FETCHED_AT_HEADER: &str = "fetched_at";
/// Header naming the media type (and charset) of a raw page.
pub const CONTENT_TYPE_HEADER: &str = "content-type";

/// What a page is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFormat {
    /// The text a crawler scraped (`text/plain`).
    Text,
    /// The page's HTML (`text/html`).
    Html,
}

impl PageFormat {
    /// The media type events report in `source.content_type`.
    pub fn content_type(self) -> &'static str {
        match self {
            PageFormat::Text => "text/plain",
            PageFormat::Html => "text/html",
        }
    }
}

/// A page and what the crawler knew about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPage<'a> {
    /// The page: its text, or its HTML decoded from its charset.
    pub body: Cow<'a, str>,
    /// Which of the two.
    pub format: PageFormat,
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
    #[serde(default, borrow)]
    body: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    html: Option<Cow<'a, str>>,
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
    let declared = input.header_str(CONTENT_TYPE_HEADER).map(media_type);
    let declared_html = declared.is_some_and(|(media, _)| is_html_media_type(media));
    if declared_html || starts_like_html(input.payload) {
        let charset = declared.and_then(|(_, charset)| charset);
        let body = crate::html::charset::decode_html(input.payload, charset)?;
        return raw_page(input, body, PageFormat::Html);
    }
    let text = std::str::from_utf8(input.payload)
        .map_err(|error| Rejection::new("not_utf8", format!("message is not UTF-8: {error}")))?;
    // A byte-order mark says nothing about the page.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        let envelope: Envelope<'a> = serde_json::from_str(text).map_err(|error| {
            Rejection::new("invalid_envelope", format!("JSON envelope: {error}"))
        })?;
        let (body, format) = match (envelope.body, envelope.html) {
            (Some(body), None) if starts_like_html(body.as_bytes()) => (body, PageFormat::Html),
            (Some(body), None) => {
                check_page_text(&body)?;
                (body, PageFormat::Text)
            }
            (None, Some(html)) => (html, PageFormat::Html),
            (Some(_), Some(_)) => {
                return Err(Rejection::new(
                    "invalid_envelope",
                    "JSON envelope has both `body` and `html`; a page is one or the other",
                ))
            }
            (None, None) => {
                return Err(Rejection::new(
                    "invalid_envelope",
                    "JSON envelope: missing field `body` (or `html`)",
                ))
            }
        };
        return Ok(RawPage {
            body,
            format,
            url: Some(envelope.url.into_owned()).filter(|u| !u.is_empty()),
            fetched_at: envelope.fetched_at,
            site: envelope.site.map(Cow::into_owned),
        });
    }
    check_page_text(text)?;
    raw_page(input, Cow::Borrowed(text), PageFormat::Text)
}

/// A page that came without an envelope: URL and fetch time from headers.
fn raw_page<'a>(
    input: &Input<'a>,
    body: Cow<'a, str>,
    format: PageFormat,
) -> Result<RawPage<'a>, Rejection> {
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
        body,
        format,
        url: input.header_str(URL_HEADER).map(str::to_owned),
        fetched_at,
        site: None,
    })
}

/// `text/html; charset=ISO-8859-1` → (`text/html`, `ISO-8859-1`).
fn media_type(value: &str) -> (&str, Option<&str>) {
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or_default().trim();
    let charset = parts.find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    });
    (media, charset)
}

fn is_html_media_type(media: &str) -> bool {
    media.eq_ignore_ascii_case("text/html") || media.eq_ignore_ascii_case("application/xhtml+xml")
}

/// Whether the bytes begin, after whitespace and a UTF-8 byte-order mark,
/// with `<!doctype` or `<html`.
fn starts_like_html(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let head = &bytes[start..];
    let begins = |prefix: &[u8]| {
        head.get(..prefix.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
    };
    begins(b"<!doctype") || begins(b"<html")
}

/// Refuses what is not the text of a scraped page: JSON (an envelope
/// inside an envelope), and control characters other than tabs and line
/// breaks (binary, or NUL bytes that would pass into events). HTML never
/// gets here: it is read as HTML.
fn check_page_text(text: &str) -> Result<(), Rejection> {
    let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if start.starts_with(['{', '[']) {
        return Err(Rejection::new(
            "not_a_page",
            "the page's text is JSON, not the text of a scraped page",
        ));
    }
    if let Some(at) = first_control_character(text) {
        let c = text[at..].chars().next().unwrap_or_default();
        return Err(Rejection::new(
            "not_a_page",
            format!("control character U+{:04X} at byte {at}", u32::from(c)),
        ));
    }
    Ok(())
}

/// The byte offset of the first control character (Unicode's `Cc`) other
/// than a tab or line break. `Cc` is U+0000–U+001F and U+007F–U+009F: in
/// UTF-8 a byte below 0x20, 0x7F, or 0xC2 before 0x80–0x9F. Read as bytes,
/// 64 at a time in a loop the compiler vectorises, and byte by byte only in
/// a block that may hold one: decoding every character was nearly a tenth of a
/// page's cost (callgrind).
fn first_control_character(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let may_start_one = |byte: u8| {
        (byte < 0x20 && byte != b'\t' && byte != b'\n' && byte != b'\r')
            | (byte == 0x7f)
            | (byte == 0xc2)
    };
    let is_one_at = |at: usize| match bytes[at] {
        0xc2 => bytes
            .get(at + 1)
            .is_some_and(|next| (0x80..=0x9f).contains(next)),
        byte => may_start_one(byte),
    };
    (0..bytes.len()).step_by(64).find_map(|block| {
        let end = bytes.len().min(block + 64);
        let suspect = bytes[block..end]
            .iter()
            .fold(false, |suspect, &byte| suspect | may_start_one(byte));
        if suspect {
            (block..end).find(|&at| is_one_at(at))
        } else {
            None
        }
    })
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
    fn control_characters_are_unicodes_cc_but_tabs_and_line_breaks() {
        let mut text = String::new();
        for c in (0..=0x3000)
            .chain(0xfff0..=0x1_0010)
            .filter_map(char::from_u32)
        {
            text.clear();
            text.extend(['a', 'é', c, 'b']);
            let expected = (c.is_control() && !matches!(c, '\t' | '\n' | '\r')).then_some(3);
            assert_eq!(
                first_control_character(&text),
                expected,
                "U+{:04X}",
                u32::from(c)
            );
        }
        // Past the first block of 64 bytes, and across two blocks.
        for at in [63, 64, 127, 200] {
            let text = format!("{}\u{85}\u{a0}\n", "x".repeat(at));
            assert_eq!(first_control_character(&text), Some(at));
            let text = format!("{}\u{a0}\u{e9}\t\r\n", "x".repeat(at));
            assert_eq!(first_control_character(&text), None);
        }
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
            (&b"Site - Title\n\nText with a \x00 NUL"[..], "not_a_page"),
            (
                br#"{"url":"u","fetched_at":"2024-11-12T09:30:00Z","body":"{\"nested\": 1}"}"#,
                "not_a_page",
            ),
            (
                br#"{"url":"u","fetched_at":"2024-11-12T09:30:00Z","body":"x","html":"<p>x"}"#,
                "invalid_envelope",
            ),
            (
                br#"{"url":"u","fetched_at":"2024-11-12T09:30:00Z"}"#,
                "invalid_envelope",
            ),
            (
                b"<!doctype html><meta charset=utf-8><p>Caf\xe9",
                "bad_encoding",
            ),
            (b"\xef\xbb\xbf{not json", "invalid_envelope"),
        ] {
            assert_eq!(
                reason(payload),
                Err(expected),
                "{}",
                String::from_utf8_lossy(payload)
            );
        }
    }

    #[test]
    fn html_is_known_by_its_header_its_first_bytes_or_its_envelope_field() {
        let now = "2024-11-12T15:00:00Z".parse().unwrap();
        let format = |payload: &[u8], headers: &[(&str, &[u8])]| {
            let input = Input {
                headers: headers.to_vec(),
                ..Input::unkeyed("articles.raw", payload, now)
            };
            decode(&input, 1 << 20).map(|page| (page.format, page.body.into_owned()))
        };
        for payload in [
            &b"<!DOCTYPE html><html><body>x</body></html>"[..],
            b"  <HTML lang=en><p>x</p></HTML>",
            "\u{feff}\n\n<html><p>x</p>".as_bytes(),
            br#"{"url":"u","fetched_at":"2024-11-12T09:30:00Z","html":"<p>x</p>"}"#,
            br#"{"url":"u","fetched_at":"2024-11-12T09:30:00Z","body":"<!doctype html><p>x</p>"}"#,
        ] {
            assert_eq!(
                format(payload, &[]).map(|(format, _)| format),
                Ok(PageFormat::Html),
                "{}",
                String::from_utf8_lossy(payload)
            );
        }
        let latin1 = format(
            b"<p>Caf\xe9</p>",
            &[("content-type", b"text/html; charset=\"ISO-8859-1\"")],
        );
        assert_eq!(latin1, Ok((PageFormat::Html, "<p>Café</p>".to_owned())));
        let text = format(b"Site - Title\n\nBody.", &[("content-type", b"text/plain")]);
        assert_eq!(text.map(|(format, _)| format), Ok(PageFormat::Text));
    }
}
