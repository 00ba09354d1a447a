//! The events this service publishes, as downstream sees them
//! (`schemas/price_change.v1.json`, `schemas/price_alert.v1.json`).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::book::Basis;
use tickertape_market::instruments::InstrumentJson;
use tickertape_market::tick::SourceKind;

/// `schema` of price-change events.
pub const PRICE_CHANGE_SCHEMA: &str = "tickertape.price_change.v1";
/// `schema` of price alerts.
pub const PRICE_ALERT_SCHEMA: &str = "tickertape.price_alert.v1";

/// Where the observation came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceOut<'a> {
    /// `feed` or `page`.
    pub kind: SourceKind,
    /// The feed's or site's name.
    pub name: Option<&'a str>,
    /// The page's URL, for page ticks.
    pub url: Option<&'a str>,
}

/// One published price change. Decimals serialize as strings. It borrows
/// from the tick and the reference data: it lives only to be serialized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceChangeEvent<'a> {
    /// Always [`PRICE_CHANGE_SCHEMA`].
    pub schema: &'static str,
    /// Ticker symbol.
    pub symbol: &'a str,
    /// Reference data, or null for an unknown symbol.
    pub instrument: Option<&'a InstrumentJson>,
    /// The new price.
    pub price: Decimal,
    /// What it is compared with.
    pub previous_price: Decimal,
    /// `price - previous_price`.
    pub change: Decimal,
    /// The change in percent.
    pub change_pct: Decimal,
    /// How the change was measured.
    pub basis: Basis,
    /// Quote currency, from the tick or the reference data.
    pub currency: Option<&'a str>,
    /// Source time of the observation.
    #[serde(serialize_with = "tickertape_processor::rfc3339::serialize")]
    pub event_time: DateTime<Utc>,
    /// When tickertape received it.
    #[serde(serialize_with = "tickertape_processor::rfc3339::serialize")]
    pub ingest_time: DateTime<Utc>,
    /// Where it came from.
    pub source: SourceOut<'a>,
    /// Per-symbol sequence of published changes, from 1.
    pub seq: u64,
    /// The source's own sequence number, when it sent one.
    pub source_seq: Option<u64>,
}

/// One threshold crossing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriceAlertEvent<'a> {
    /// Always [`PRICE_ALERT_SCHEMA`].
    pub schema: &'static str,
    /// Ticker symbol.
    pub symbol: &'a str,
    /// Reference data, or null.
    pub instrument: Option<&'a InstrumentJson>,
    /// `up` or `down`.
    pub direction: &'static str,
    /// The price that crossed.
    pub price: Decimal,
    /// The price in the window it moved from.
    pub reference_price: Decimal,
    /// When the reference price was observed.
    #[serde(serialize_with = "tickertape_processor::rfc3339::serialize")]
    pub reference_time: DateTime<Utc>,
    /// The move in percent.
    pub change_pct: Decimal,
    /// The configured threshold in percent.
    pub threshold_pct: Decimal,
    /// The configured window in seconds.
    pub window_s: i64,
    /// Source time of the crossing tick.
    #[serde(serialize_with = "tickertape_processor::rfc3339::serialize")]
    pub event_time: DateTime<Utc>,
    /// When tickertape received it.
    #[serde(serialize_with = "tickertape_processor::rfc3339::serialize")]
    pub ingest_time: DateTime<Utc>,
}
