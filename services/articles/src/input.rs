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
/// Fails with reason `empty`, `too_large`, `not_utf8`, `invalid_envelope` or
/// `invalid_header`.
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
    if text.trim_start().starts_with('{') {
        let envelope: Envelope<'a> = serde_json::from_str(text).map_err(|error| {
            Rejection::new("invalid_envelope", format!("JSON envelope: {error}"))
        })?;
        return Ok(RawPage {
            body: envelope.body,
            url: Some(envelope.url.into_owned()).filter(|u| !u.is_empty()),
            fetched_at: envelope.fetched_at,
            site: envelope.site.map(Cow::into_owned),
        });
    }
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
