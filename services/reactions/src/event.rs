//! The event the service publishes: `tickertape.market_reaction.v1` on
//! `market.reactions`, key: symbol (schemas/market_reaction.v1.json).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use tickertape_processor::rfc3339;

use crate::tape::{ClosedBy, Reaction};

/// The schema name every reaction carries.
pub const MARKET_REACTION_SCHEMA: &str = "tickertape.market_reaction.v1";

/// A reaction as JSON: prices are decimal strings, times RFC 3339 UTC.
#[derive(Debug, Serialize)]
pub struct MarketReactionEvent<'a> {
    schema: &'static str,
    story_id: &'a str,
    story_version: u32,
    article_id: &'a str,
    title: &'a str,
    symbol: &'a str,
    isin: Option<&'a str>,
    mic: Option<&'a str>,
    #[serde(serialize_with = "rfc3339::serialize")]
    published_at: DateTime<Utc>,
    /// Whether the venue was trading at publication; null when the
    /// reference data does not know the venue or the date.
    market_open: Option<bool>,
    price_at_publication: Option<Decimal>,
    horizons: Vec<HorizonOut>,
    closed_by: ClosedBy,
    #[serde(serialize_with = "rfc3339::serialize")]
    ingest_time: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
struct HorizonOut {
    after_s: i64,
    price: Option<Decimal>,
    change: Option<Decimal>,
    change_pct: Option<Decimal>,
    high: Option<Decimal>,
    low: Option<Decimal>,
}

impl<'a> MarketReactionEvent<'a> {
    /// The event of `reaction`, published at `ingest_time`.
    pub fn of(
        reaction: &'a Reaction,
        market_open: Option<bool>,
        ingest_time: DateTime<Utc>,
    ) -> Self {
        let mention = &reaction.mention;
        MarketReactionEvent {
            schema: MARKET_REACTION_SCHEMA,
            story_id: &mention.story_id,
            story_version: mention.story_version,
            article_id: &mention.article_id,
            title: &mention.title,
            symbol: &mention.symbol,
            isin: mention.isin.as_deref(),
            mic: mention.mic.as_deref(),
            published_at: mention.published_at,
            market_open,
            price_at_publication: reaction.price_at_publication,
            horizons: reaction
                .horizons
                .iter()
                .map(|h| HorizonOut {
                    after_s: h.after.num_seconds(),
                    price: h.price,
                    change: h.change,
                    change_pct: h.change_pct,
                    high: h.high,
                    low: h.low,
                })
                .collect(),
            closed_by: reaction.closed_by,
            ingest_time,
        }
    }
}
