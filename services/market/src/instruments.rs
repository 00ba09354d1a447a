//! Instrument reference data: symbol → name, venue, currency, type, with the
//! dates a listing was valid. Shipped in the repo (`data/instruments.json`)
//! and shared with the articles service, which matches company names in text.

use std::collections::HashMap;

use ahash::RandomState;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One listing of an instrument, valid between two dates.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Listing {
    /// Ticker symbol as quoted on the strip.
    pub symbol: String,
    /// Issuer or instrument name.
    pub name: String,
    /// Venue as an ISO 10383 MIC.
    pub mic: String,
    /// Quote currency, ISO 4217.
    pub currency: String,
    /// Instrument type (`adr`, `common_stock`, `foreign_ordinary`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Names the company goes by in news text.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// First day the listing was valid (inclusive); open when absent.
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// Last day the listing was valid (inclusive); open when absent.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
    /// The fields events carry, built once.
    #[serde(skip)]
    reference: InstrumentRef,
}

/// The reference fields an event carries for its instrument.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InstrumentRef {
    /// Issuer or instrument name.
    pub name: String,
    /// Venue MIC.
    pub mic: String,
    /// Quote currency.
    pub currency: String,
    /// Instrument type.
    #[serde(rename = "type")]
    pub kind: String,
}

impl Listing {
    fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= day) && self.valid_to.is_none_or(|to| day <= to)
    }

    /// The fields an event carries.
    pub fn reference(&self) -> &InstrumentRef {
        &self.reference
    }
}

/// Every known listing.
#[derive(Debug, Clone)]
pub struct Catalog {
    listings: Vec<Listing>,
    /// Indexes into `listings` by symbol, in file order.
    by_symbol: HashMap<String, Vec<usize>, RandomState>,
}

#[derive(Deserialize)]
struct CatalogFile {
    instruments: Vec<Listing>,
}

impl Catalog {
    /// The catalog shipped with tickertape.
    pub fn builtin() -> Self {
        Self::from_json(include_str!("../data/instruments.json"))
            .expect("the shipped instruments.json is valid (checked by a unit test)")
    }

    /// Reads a catalog in the format of `data/instruments.json`.
    ///
    /// Fails when the JSON does not have that shape.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let mut listings: Vec<Listing> = serde_json::from_str::<CatalogFile>(text)?.instruments;
        let mut by_symbol: HashMap<String, Vec<usize>, RandomState> = HashMap::default();
        for (index, listing) in listings.iter_mut().enumerate() {
            listing.reference = InstrumentRef {
                name: listing.name.clone(),
                mic: listing.mic.clone(),
                currency: listing.currency.clone(),
                kind: listing.kind.clone(),
            };
            by_symbol
                .entry(listing.symbol.clone())
                .or_default()
                .push(index);
        }
        Ok(Catalog {
            listings,
            by_symbol,
        })
    }

    /// The listing of `symbol` valid on `day`; the latest listing when no
    /// listing covers that day (a quote after a delisting still names it).
    pub fn lookup(&self, symbol: &str, day: NaiveDate) -> Option<&Listing> {
        let indexes = self.by_symbol.get(symbol)?;
        let mut candidates = indexes.iter().map(|&i| &self.listings[i]);
        let first = candidates.clone().find(|l| l.valid_on(day));
        first.or_else(|| candidates.next_back())
    }

    /// Every listing, in file order.
    pub fn listings(&self) -> &[Listing] {
        &self.listings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn builtin_catalog_covers_the_seed_strip() {
        let catalog = Catalog::builtin();
        for symbol in [
            "RBGPF", "CMSC", "RYCEF", "NGG", "GSK", "RIO", "AZN", "BTI", "BP", "RELX", "SCS",
            "CMSD", "JRI", "VOD", "BCC", "BCE",
        ] {
            assert!(
                catalog.lookup(symbol, day("2024-11-12")).is_some(),
                "{symbol} missing"
            );
        }
        assert!(catalog.lookup("NOPE", day("2024-11-12")).is_none());
    }

    #[test]
    fn listing_changes_follow_the_date() {
        let catalog = Catalog::builtin();
        assert_eq!(
            catalog.lookup("AZN", day("2024-11-12")).unwrap().mic,
            "XNAS"
        );
        assert_eq!(
            catalog.lookup("AZN", day("2026-02-02")).unwrap().mic,
            "XNYS"
        );
        // Between the two listings (a weekend) the latest one is named.
        assert_eq!(
            catalog.lookup("AZN", day("2026-01-31")).unwrap().mic,
            "XNYS"
        );
        assert_eq!(
            catalog.lookup("SCS", day("2026-06-01")).unwrap().name,
            "Steelcase Inc. class A"
        );
    }
}
