//! Tick parsing: JSON ticks from a market feed, or a single strip line
//! (`RBGPF -1.43% 59.34 $`, see [`crate::strip`]) sent as a tick.
//!
//! Prices are parsed from their text straight into decimals: a JSON number is
//! read from its raw text, never through a binary float.

use std::borrow::Cow;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::strip::parse_strip_line;

/// Why a tick was refused. Each variant is one dead-letter reason code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TickError {
    /// The message was empty.
    #[error("empty message")]
    Empty,
    /// The bytes are not UTF-8.
    #[error("message is not UTF-8")]
    NotUtf8,
    /// Not JSON, or JSON of the wrong shape.
    #[error("not a JSON tick: {0}")]
    InvalidJson(String),
    /// A field is missing or has the wrong type.
    #[error("invalid field: {0}")]
    InvalidField(String),
    /// The symbol is empty or has characters no venue uses.
    #[error("invalid symbol {0:?}")]
    InvalidSymbol(String),
    /// The price is not a positive finite decimal.
    #[error("invalid price {0}")]
    InvalidPrice(String),
    /// The time is neither RFC 3339 nor epoch milliseconds.
    #[error("invalid time {0}")]
    InvalidTime(String),
    /// A strip line that does not read `SYMBOL CHANGE% PRICE $`.
    #[error("strip line does not parse: {0:?}")]
    InvalidStripLine(String),
    /// The currency is not an ISO 4217 code (three upper-case letters).
    #[error("currency {0:?} is not an ISO 4217 code")]
    InvalidCurrency(String),
    /// A day change of -100% or less: the price would be zero or negative.
    #[error("day change {0}% contradicts a positive price")]
    InvalidChange(Decimal),
}

impl TickError {
    /// Every reason code [`TickError::reason`] gives.
    pub const REASONS: &'static [&'static str] = &[
        "empty",
        "not_utf8",
        "invalid_json",
        "invalid_field",
        "invalid_symbol",
        "invalid_price",
        "invalid_time",
        "invalid_strip_line",
        "invalid_currency",
        "invalid_change",
    ];

    /// The reason code for dead letters and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            TickError::Empty => "empty",
            TickError::NotUtf8 => "not_utf8",
            TickError::InvalidJson(_) => "invalid_json",
            TickError::InvalidField(_) => "invalid_field",
            TickError::InvalidSymbol(_) => "invalid_symbol",
            TickError::InvalidPrice(_) => "invalid_price",
            TickError::InvalidTime(_) => "invalid_time",
            TickError::InvalidStripLine(_) => "invalid_strip_line",
            TickError::InvalidCurrency(_) => "invalid_currency",
            TickError::InvalidChange(_) => "invalid_change",
        }
    }
}

/// Where a tick came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickSource<'a> {
    /// `feed` for a market feed, `page` for a news page's strip.
    pub kind: SourceKind,
    /// The feed's or the site's name.
    pub name: Option<Cow<'a, str>>,
    /// The page's URL, for page ticks.
    pub url: Option<Cow<'a, str>>,
}

/// The two kinds of tick source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A market-data feed.
    Feed,
    /// A ticker strip on a scraped page.
    Page,
}

/// One price observation, validated. Its text borrows from the message
/// (escaped JSON strings aside): a tick costs no allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick<'a> {
    /// Ticker symbol.
    pub symbol: Cow<'a, str>,
    /// Last price, exact.
    pub price: Decimal,
    /// When the price was observed at the source (a page's fetch time for strips).
    pub event_time: DateTime<Utc>,
    /// Quote currency, when the source says.
    pub currency: Option<Cow<'a, str>>,
    /// Venue MIC, when the source says.
    pub venue: Option<Cow<'a, str>>,
    /// The day's change in percent, as the source reports it.
    pub change_pct: Option<Decimal>,
    /// The source's sequence number.
    pub seq: Option<u64>,
    /// Where it came from.
    pub source: TickSource<'a>,
}

/// Prices above this are refused: no instrument trades there, and the
/// bound keeps every product and quotient of the rules inside `Decimal`'s
/// 96 bits, where an overflow would panic.
pub const MAX_PRICE: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0);

/// Most decimal places a price may have, for the same reason.
pub const MAX_PRICE_SCALE: u32 = 8;

/// Positive, at most [`MAX_PRICE`], at most [`MAX_PRICE_SCALE`] places.
pub(crate) fn is_valid_price(price: Decimal) -> bool {
    // On the mantissa: two `Decimal` comparisons cost more than the rest of
    // a tick's checks together.
    let scale = price.scale();
    scale <= MAX_PRICE_SCALE
        && price.is_sign_positive()
        && !price.is_zero()
        && price.mantissa() <= MAX_PRICE.mantissa() * 10i128.pow(scale)
}

/// True for 1 to 12 characters of upper-case letters, digits, `.` and `-`,
/// starting with a letter or a digit (Tokyo's `7203.T`, Hong Kong's `0005.HK`).
pub fn is_symbol(text: &str) -> bool {
    (1..=12).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

/// Three upper-case ASCII letters: the shape of an ISO 4217 code.
pub fn is_currency_code(text: &str) -> bool {
    text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase())
}

/// A plain decimal number: digits with at most one point, an optional minus.
/// Rejects exponents, `NaN` and `inf`, which `Decimal::from_str` would not
/// all catch the same way.
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (mut points, mut any_digit) = (0, false);
    for byte in digits.bytes() {
        match byte {
            b'0'..=b'9' => any_digit = true,
            b'.' => points += 1,
            _ => return None,
        }
    }
    if any_digit && points <= 1 {
        Decimal::from_str(text).ok()
    } else {
        None
    }
}

/// A JSON tick as it comes. Strings borrow from the message unless they
/// have escapes; numbers are kept as their raw text, since serde_json would
/// read a number with a fraction as a binary float.
#[derive(Deserialize)]
struct WireTick<'a> {
    #[serde(borrow)]
    symbol: Text<'a>,
    #[serde(borrow)]
    price: &'a RawValue,
    #[serde(borrow)]
    ts: &'a RawValue,
    #[serde(default, borrow)]
    currency: Option<Text<'a>>,
    #[serde(default, borrow)]
    venue: Option<Text<'a>>,
    #[serde(default, borrow)]
    change_pct: Option<&'a RawValue>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default, borrow)]
    source: Option<WireSource<'a>>,
}

/// A JSON string, borrowed from the message unless it has escapes.
#[derive(Deserialize)]
#[serde(transparent)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// A price, day change or time as a JSON tick gives it: a string's text,
/// or any other JSON value's raw text (`59.34`, `1731403800000`, `1e400`,
/// `true`), which the rules then accept or refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scalar<'a> {
    Text(Cow<'a, str>),
    Raw(&'a str),
}

impl<'a> Scalar<'a> {
    fn of(raw: &'a RawValue) -> Scalar<'a> {
        let text = raw.get();
        if !text.starts_with('"') {
            return Scalar::Raw(text);
        }
        // A string without escapes is its text between the quotes (serde_json
        // has checked it is a valid JSON string).
        let inner = &text[1..text.len() - 1];
        if !inner.contains('\\') {
            return Scalar::Text(Cow::Borrowed(inner));
        }
        serde_json::from_str::<Text<'a>>(text)
            .map_or(Scalar::Raw(text), |Text(string)| Scalar::Text(string))
    }

    /// The value as a plain decimal, if it is one.
    fn decimal(&self) -> Option<Decimal> {
        match self {
            Scalar::Text(text) => parse_decimal(text),
            Scalar::Raw(text) => parse_decimal(text),
        }
    }

    /// The value as an RFC 3339 time or epoch milliseconds.
    fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Scalar::Text(text) => DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|time| time.with_timezone(&Utc)),
            Scalar::Raw(text) => text.parse().ok().and_then(DateTime::from_timestamp_millis),
        }
    }
}

impl std::fmt::Display for Scalar<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Text(text) => write!(f, "{text:?}"),
            Scalar::Raw(text) => f.write_str(text),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireSource<'a> {
    Name(#[serde(borrow)] Text<'a>),
    Full {
        kind: SourceKind,
        #[serde(default, borrow)]
        name: Option<Text<'a>>,
        #[serde(default, borrow)]
        url: Option<Text<'a>>,
    },
}

/// Parses one tick message: a JSON tick, or a single strip line (whose event
/// time is then `fallback_time`, the message's time).
///
/// Fails with the [`TickError`] that names what is wrong.
pub fn parse_tick(payload: &[u8], fallback_time: DateTime<Utc>) -> Result<Tick<'_>, TickError> {
    // JSON is an object (a tick) or, by mistake, an array: either way not a strip line.
    let first = payload.iter().find(|b| !b.is_ascii_whitespace());
    if !matches!(first, Some(b'{' | b'[')) {
        let text = std::str::from_utf8(payload).map_err(|_| TickError::NotUtf8)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(TickError::Empty);
        }
        let quote = parse_strip_line(text)?;
        return Ok(Tick {
            symbol: Cow::Owned(quote.symbol),
            price: quote.price,
            event_time: fallback_time,
            currency: Some(Cow::Borrowed(quote.currency)),
            venue: None,
            change_pct: Some(quote.change_pct),
            seq: None,
            source: TickSource {
                kind: SourceKind::Page,
                name: None,
                url: None,
            },
        });
    }
    let text = std::str::from_utf8(payload).map_err(|_| TickError::NotUtf8)?;
    let wire: WireTick<'_> =
        serde_json::from_str(text).map_err(|error| match error.classify() {
            serde_json::error::Category::Data => TickError::InvalidField(error.to_string()),
            _ => TickError::InvalidJson(error.to_string()),
        })?;
    // As `schemas/tick.v1.json` says: no padding around a symbol or a price.
    let symbol = wire.symbol.0;
    if !is_symbol(&symbol) {
        return Err(TickError::InvalidSymbol(symbol.into_owned()));
    }
    let price = Scalar::of(wire.price);
    let price = price
        .decimal()
        .filter(|&p| is_valid_price(p))
        .ok_or_else(|| TickError::InvalidPrice(price.to_string()))?;
    let change_pct = match wire.change_pct.map(Scalar::of) {
        Some(Scalar::Raw("null")) | None => None,
        Some(reported) => Some(reported.decimal().ok_or_else(|| {
            TickError::InvalidField(format!("change_pct is not a decimal: {reported}"))
        })?),
    };
    let ts = Scalar::of(wire.ts);
    if let Some(change) = change_pct.filter(|change| *change <= -Decimal::ONE_HUNDRED) {
        return Err(TickError::InvalidChange(change));
    }
    let currency = wire.currency.map(|currency| currency.0);
    if let Some(code) = currency.as_deref().filter(|code| !is_currency_code(code)) {
        return Err(TickError::InvalidCurrency(code.to_owned()));
    }
    let event_time = ts
        .time()
        .ok_or_else(|| TickError::InvalidTime(ts.to_string()))?;
    let source = match wire.source {
        None => TickSource {
            kind: SourceKind::Feed,
            name: None,
            url: None,
        },
        Some(WireSource::Name(name)) => TickSource {
            kind: SourceKind::Feed,
            name: Some(name.0),
            url: None,
        },
        Some(WireSource::Full { kind, name, url }) => TickSource {
            kind,
            name: name.map(|name| name.0),
            url: url.map(|url| url.0),
        },
    };
    Ok(Tick {
        symbol,
        price,
        event_time,
        currency,
        venue: wire.venue.map(|venue| venue.0),
        change_pct,
        seq: wire.seq,
        source,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_tick_error_reason_is_listed() {
        let s = || String::new();
        let all = [
            TickError::Empty,
            TickError::NotUtf8,
            TickError::InvalidJson(s()),
            TickError::InvalidField(s()),
            TickError::InvalidSymbol(s()),
            TickError::InvalidPrice(s()),
            TickError::InvalidTime(s()),
            TickError::InvalidStripLine(s()),
            TickError::InvalidCurrency(s()),
            TickError::InvalidChange(Decimal::ZERO),
        ];
        let reasons: Vec<&str> = all.iter().map(TickError::reason).collect();
        assert_eq!(reasons, TickError::REASONS);
    }

    use super::*;
    use rust_decimal_macros::dec;

    fn now() -> DateTime<Utc> {
        "2024-11-12T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn max_price_is_ten_to_the_fifteenth() {
        assert_eq!(MAX_PRICE.to_string(), "1000000000000000");
        for (price, valid) in [
            ("1000000000000000", true),
            ("1000000000000000.00000000", true),
            ("999999999999999.99999999", true),
            ("1000000000000000.00000001", false),
            ("0.00000001", true),
            ("0.00000000", false),
            ("-0", false),
        ] {
            let price: Decimal = price.parse().unwrap();
            assert_eq!(is_valid_price(price), valid, "{price}");
        }
    }

    #[test]
    fn json_ticks_keep_the_exact_price_text() {
        let tick = parse_tick(
            br#"{"symbol":"BP","price":28.570,"ts":"2024-11-12T09:30:00+01:00","seq":7,"source":"lse-feed"}"#,
            now(),
        )
        .unwrap();
        assert_eq!(tick.price.to_string(), "28.570");
        assert_eq!(tick.event_time.to_rfc3339(), "2024-11-12T08:30:00+00:00");
        assert_eq!(tick.seq, Some(7));
        assert_eq!(tick.source.kind, SourceKind::Feed);
        assert_eq!(tick.source.name.as_deref(), Some("lse-feed"));

        let tick = parse_tick(
            br#"{"symbol":"BP","price":"0.1","ts":1731403800000}"#,
            now(),
        )
        .unwrap();
        assert_eq!(tick.price, dec!(0.1));
        assert_eq!(tick.event_time.timestamp_millis(), 1_731_403_800_000);
    }

    #[test]
    fn strings_escapes_and_numbers_read_the_same() {
        // Each pair: the same tick with plain strings, and with a fraction
        // as a JSON number or an escaped string.
        let pairs: &[(&[u8], &[u8])] = &[
            (
                br#"{"symbol":"BP","price":"28.570","ts":1731403800000,"change_pct":"-0.5"}"#,
                br#"{"symbol":"BP","price":28.570,"ts":1731403800000,"change_pct":-0.5}"#,
            ),
            (
                br#"{"symbol":"BP","price":"7","ts":"2024-11-12T09:30:00Z","currency":"GBP"}"#,
                br#"{"symbol":"B\u0050","price":7,"ts":"2024-11-12T09:30:00Z","currency":"GB\u0050"}"#,
            ),
            (
                br#"{"symbol":"BP","price":"7.0","ts":1,"source":{"kind":"page","name":"BTB","url":"https://x/a"}}"#,
                br#"{"symbol":"BP","price":7.0,"ts":1,"source":{"kind":"page","name":"BTB","url":"https://x\/a"}}"#,
            ),
        ];
        for (fast, exact) in pairs {
            let fast = parse_tick(fast, now()).unwrap();
            let exact = parse_tick(exact, now()).unwrap();
            assert_eq!(fast.price.to_string(), exact.price.to_string());
            assert_eq!(fast, exact);
        }
        let tick = parse_tick(
            br#"{"symbol":"BP","price":"1","ts":1,"change_pct":null,"venue":"XLON"}"#,
            now(),
        )
        .unwrap();
        assert_eq!(
            (tick.change_pct, tick.venue.as_deref()),
            (None, Some("XLON"))
        );
    }

    #[test]
    fn bad_ticks_name_their_reason() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "empty"),
            (b"  \n", "empty"),
            (b"\xff\xfe", "not_utf8"),
            (
                b"{\"symbol\":\"B\xffP\",\"price\":\"1\",\"ts\":1}",
                "not_utf8",
            ),
            ("\u{a0}\n".as_bytes(), "empty"),
            (b"{not json", "invalid_json"),
            (br#"{"price":"1","ts":1}"#, "invalid_field"),
            (br#"["BP","28.57"]"#, "invalid_field"),
            (br#"{"symbol":5,"price":"1","ts":1}"#, "invalid_field"),
            (br#"{"symbol":"","price":"1","ts":1}"#, "invalid_symbol"),
            (br#"{"symbol":"BP","price":"0","ts":1}"#, "invalid_price"),
            (br#"{"symbol":"BP","price":-2,"ts":1}"#, "invalid_price"),
            (br#"{"symbol":"BP","price":"NaN","ts":1}"#, "invalid_price"),
            (br#"{"symbol":"BP","price":"inf","ts":1}"#, "invalid_price"),
            (br#"{"symbol":"BP","price":1e400,"ts":1}"#, "invalid_price"),
            (br#"{"symbol":"BP","price":true,"ts":1}"#, "invalid_price"),
            (
                br#"{"symbol":"BP","price":"79228162514264337593543950335","ts":1}"#,
                "invalid_price",
            ),
            (
                br#"{"symbol":"BP","price":"0.000000001","ts":1}"#,
                "invalid_price",
            ),
            (
                br#"{"symbol":"BP","price":"1","ts":"yesterday"}"#,
                "invalid_time",
            ),
            (br#"{"symbol":"BP","price":"1","ts":1.5}"#, "invalid_time"),
            (
                br#"{"symbol":"BP","price":"1","ts":1,"change_pct":"x"}"#,
                "invalid_field",
            ),
            (
                br#"{"symbol":"BP","price":"1","ts":1,"currency":"<script>"}"#,
                "invalid_currency",
            ),
            (
                br#"{"symbol":"BP","price":"1","ts":1,"currency":"usd"}"#,
                "invalid_currency",
            ),
            (
                br#"{"symbol":"BP","price":"1","ts":1,"change_pct":"-100"}"#,
                "invalid_change",
            ),
            (
                br#"{"symbol":"BP","price":"1","ts":1,"change_pct":-250.5}"#,
                "invalid_change",
            ),
            (b"XYZ abc% 1.2 $", "invalid_strip_line"),
            (b"XYZ 1% 1000000000000001 $", "invalid_strip_line"),
        ];
        for (payload, reason) in cases {
            let error = parse_tick(payload, now()).unwrap_err();
            assert_eq!(
                error.reason(),
                *reason,
                "{}",
                String::from_utf8_lossy(payload)
            );
        }
    }
}
