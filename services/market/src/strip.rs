//! The ticker strip of a news page: each line `SYMBOL CHANGE% PRICE SIGN`
//! (`RBGPF -1.43% 59.34 $`), and the tick the articles service publishes
//! for it on `ticks.raw`, where the prices service reads it back as a JSON
//! tick ([`crate::tick::parse_tick`]). One type on both sides keeps the two
//! services agreeing on the shape.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::tick::{is_symbol, is_valid_price, parse_decimal, SourceKind, TickError};

/// A quote read from one strip line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripQuote {
    /// Ticker symbol.
    pub symbol: String,
    /// The day's change in percent.
    pub change_pct: Decimal,
    /// Last price.
    pub price: Decimal,
    /// ISO 4217 code of the currency sign at the line's end.
    pub currency: &'static str,
}

/// Reads `SYMBOL CHANGE% PRICE $` (the sign may also be `€` or `£`).
///
/// Fails with [`TickError::InvalidStripLine`] on anything else.
pub fn parse_strip_line(line: &str) -> Result<StripQuote, TickError> {
    let invalid = || TickError::InvalidStripLine(line.to_owned());
    let mut words = line.split_whitespace();
    let (Some(symbol), Some(change), Some(price), Some(sign), None) = (
        words.next(),
        words.next(),
        words.next(),
        words.next(),
        words.next(),
    ) else {
        return Err(invalid());
    };
    let currency = match sign {
        "$" => "USD",
        "€" => "EUR",
        "£" => "GBP",
        _ => return Err(invalid()),
    };
    if !is_symbol(symbol) {
        return Err(invalid());
    }
    let change_pct = change
        .strip_suffix('%')
        .and_then(|number| parse_decimal(number.strip_prefix('+').unwrap_or(number)))
        // -100% or less would leave no positive price.
        .filter(|change| *change > -Decimal::ONE_HUNDRED)
        .ok_or_else(invalid)?;
    let price = parse_decimal(price)
        .filter(|&p| is_valid_price(p))
        .ok_or_else(invalid)?;
    Ok(StripQuote {
        symbol: symbol.to_owned(),
        change_pct,
        price,
        currency,
    })
}

/// A strip quote as a tick on `ticks.raw`, with the page it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StripTick<'a> {
    /// Ticker symbol.
    pub symbol: &'a str,
    /// Last price, exact.
    pub price: Decimal,
    /// The day's change in percent, as the strip shows it.
    pub change_pct: Decimal,
    /// ISO 4217 code of the strip's currency sign.
    pub currency: &'a str,
    /// The page's fetch time: when the strip was seen.
    pub ts: DateTime<Utc>,
    /// The page.
    pub source: StripTickSource<'a>,
}

/// The page a strip tick was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StripTickSource<'a> {
    /// Always [`SourceKind::Page`].
    pub kind: SourceKind,
    /// The site's name, when known.
    pub name: Option<&'a str>,
    /// The page's URL, when known.
    pub url: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tick::parse_tick;
    use rust_decimal_macros::dec;

    #[test]
    fn strip_lines_parse_with_zero_to_three_decimals() {
        let quote = parse_strip_line("RBGPF -1.43% 59.34 $").unwrap();
        assert_eq!(quote.symbol, "RBGPF");
        assert_eq!(quote.change_pct, dec!(-1.43));
        assert_eq!(quote.price.to_string(), "59.34");
        assert_eq!(quote.currency, "USD");
        assert_eq!(
            parse_strip_line("BCC 1% 142.55 $").unwrap().change_pct,
            dec!(1)
        );
        assert_eq!(
            parse_strip_line("X 0.5% 69 $").unwrap().price.to_string(),
            "69"
        );
        assert_eq!(
            parse_strip_line("Y -19.57% 22.658 $")
                .unwrap()
                .price
                .to_string(),
            "22.658"
        );
        assert_eq!(
            parse_strip_line("SAP +0.2% 201.10 €").unwrap().currency,
            "EUR"
        );
    }

    #[test]
    fn malformed_strip_lines_are_refused() {
        for line in [
            "XYZ abc% 1.2 $",
            "XYZ 1.2 1.2 $",
            "xyz 1% 1.2 $",
            "XYZ 1% 0 $",
            "XYZ 1% -3 $",
            "XYZ 1% 1.2",
            "XYZ 1% 1.2 $ extra",
            "XYZ 1% 1e3 $",
            "XYZ 1% NaN $",
            "XYZ -100% 1.2 $",
        ] {
            assert_eq!(
                parse_strip_line(line).unwrap_err().reason(),
                "invalid_strip_line",
                "{line}"
            );
        }
    }

    #[test]
    fn a_strip_tick_reads_back_as_the_same_tick() {
        let quote = parse_strip_line("RBGPF -1.43% 59.340 $").unwrap();
        let ts: DateTime<Utc> = "2024-11-12T09:30:00Z".parse().unwrap();
        let published = StripTick {
            symbol: &quote.symbol,
            price: quote.price,
            change_pct: quote.change_pct,
            currency: quote.currency,
            ts,
            source: StripTickSource {
                kind: SourceKind::Page,
                name: Some("Berliner Tageblatt"),
                url: Some("https://btb.example/a"),
            },
        };
        let bytes = serde_json::to_vec(&published).unwrap();
        let tick = parse_tick(&bytes, Utc::now()).unwrap();
        assert_eq!(tick.symbol, "RBGPF");
        assert_eq!(
            tick.price.to_string(),
            "59.340",
            "the price's text survives"
        );
        assert_eq!(tick.change_pct, Some(dec!(-1.43)));
        assert_eq!(tick.currency.as_deref(), Some("USD"));
        assert_eq!(tick.event_time, ts);
        assert_eq!(tick.source.kind, SourceKind::Page);
        assert_eq!(tick.source.name.as_deref(), Some("Berliner Tageblatt"));
        assert_eq!(tick.source.url.as_deref(), Some("https://btb.example/a"));
    }
}
