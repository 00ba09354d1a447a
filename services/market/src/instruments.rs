//! Instrument reference data: symbol → name, venue, currency, type, with the
//! dates a listing was valid. Shipped in the repo (`data/instruments.json`)
//! and shared with the articles service, which matches company names in text.

use std::collections::HashMap;

use ahash::RandomState;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

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
    /// ISO 6166 ISIN of the security, where the reference data gives it.
    #[serde(default)]
    pub isin: Option<String>,
    /// Names the company goes by in news text.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// First day the listing was valid (inclusive); open when absent.
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// Last day the listing was valid (inclusive); open when absent.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
    /// The fields events carry, serialized once.
    #[serde(skip)]
    reference: InstrumentJson,
}

/// The reference fields an event carries for its instrument, as it
/// carries them.
#[derive(Serialize)]
struct ReferenceFields<'l> {
    name: &'l str,
    mic: &'l str,
    currency: &'l str,
    #[serde(rename = "type")]
    kind: &'l str,
    isin: Option<&'l str>,
}

/// A listing's reference fields, serialized once, when the catalog is
/// read: an event embeds the JSON as it is. Writing its five fields anew
/// for every event was 1,000 of the 16,000 instructions a tick costs the
/// prices processor (callgrind, `services/prices/examples/process_cost.rs`).
#[derive(Debug, Clone, Default)]
pub struct InstrumentJson(Box<RawValue>);

impl InstrumentJson {
    fn of(listing: &Listing) -> Self {
        let fields = ReferenceFields {
            name: &listing.name,
            mic: &listing.mic,
            currency: &listing.currency,
            kind: &listing.kind,
            isin: listing.isin.as_deref(),
        };
        InstrumentJson(serde_json::value::to_raw_value(&fields).expect("strings serialize to JSON"))
    }
}

impl Serialize for InstrumentJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl PartialEq for InstrumentJson {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl Eq for InstrumentJson {}

impl Listing {
    fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= day) && self.valid_to.is_none_or(|to| day <= to)
    }

    /// The fields an event carries.
    pub fn reference(&self) -> &InstrumentJson {
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
            listing.reference = InstrumentJson::of(listing);
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

    /// ISO 6166: two letters, nine letters or digits, one check digit (the
    /// Luhn sum of the code with each letter as two digits, A = 10).
    fn isin_is_valid(isin: &str) -> bool {
        let shaped = isin.len() == 12
            && isin[..2].bytes().all(|b| b.is_ascii_uppercase())
            && isin[2..11]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && isin.as_bytes()[11].is_ascii_digit();
        if !shaped {
            return false;
        }
        let digits: Vec<u32> = isin
            .chars()
            .flat_map(|c| {
                let value = c.to_digit(36).expect("checked above");
                if value >= 10 {
                    vec![value / 10, value % 10]
                } else {
                    vec![value]
                }
            })
            .collect();
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &d)| {
                if i % 2 == 1 {
                    let doubled = d * 2;
                    doubled / 10 + doubled % 10
                } else {
                    d
                }
            })
            .sum();
        sum.is_multiple_of(10)
    }

    /// The generated catalog (scripts/reference-data/instruments.py) holds
    /// the major indices' constituents, their ISINs well formed, each symbol
    /// listed once per venue.
    #[test]
    fn the_index_constituents_are_listed_with_valid_isins() {
        assert!(isin_is_valid("US0378331005") && !isin_is_valid("US0378331006"));
        let catalog = Catalog::builtin();
        let with_isin: Vec<&Listing> = catalog
            .listings()
            .iter()
            .filter(|l| l.isin.is_some())
            .collect();
        assert!(
            catalog.listings().len() > 1_000,
            "{}",
            catalog.listings().len()
        );
        assert!(with_isin.len() > 800, "{} with an ISIN", with_isin.len());
        for listing in &with_isin {
            let isin = listing.isin.as_deref().unwrap();
            assert!(isin_is_valid(isin), "{}: {isin}", listing.symbol);
        }
        let mut venues = std::collections::HashSet::new();
        for listing in catalog.listings() {
            if listing.valid_from.is_none() && listing.valid_to.is_none() {
                assert!(
                    venues.insert((&listing.symbol, &listing.mic)),
                    "{} on {} twice",
                    listing.symbol,
                    listing.mic
                );
            }
        }
        let day = day("2026-12-01");
        for (symbol, isin, mic) in [
            ("AAPL", "US0378331005", "XNAS"),
            ("SAP.DE", "DE0007164600", "XETR"),
            ("MC.PA", "FR0000121014", "XPAR"),
            ("7203.T", "JP3633400001", "XTKS"),
            ("NESN.SW", "CH0038863350", "XSWX"),
            // The members the team lists, named by investpy.
            ("G.MI", "IT0000062072", "XMIL"),
            ("BHP.AX", "AU000000BHP4", "XASX"),
            ("PETR4.SA", "BRPETRACNPR6", "BVMF"),
        ] {
            let listing = catalog.lookup(symbol, day).expect(symbol);
            assert_eq!(
                (listing.isin.as_deref(), listing.mic.as_str()),
                (Some(isin), mic)
            );
        }
        // Woodside has traded as WDS since 2022-06-01 (WPL before).
        let woodside = catalog.lookup("WDS.AX", day).expect("WDS.AX");
        assert!(!woodside.valid_on(self::day("2022-05-31")));
        assert!(woodside.valid_on(self::day("2022-06-01")));
    }
}
