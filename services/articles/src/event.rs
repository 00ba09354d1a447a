//! The events this service publishes (`schemas/article.v1.json`,
//! `schemas/article_duplicate.v1.json`) and the internal record between its
//! two stages.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::enrich::{Entities, InstrumentMention, Quote, Topic};
use crate::html::LeadImage;
use crate::page::Photo;

/// `schema` of article events.
pub const ARTICLE_SCHEMA: &str = "tickertape.article.v1";
/// `schema` of duplicate records.
pub const DUPLICATE_SCHEMA: &str = "tickertape.article_duplicate.v1";

/// Where the page ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The site's name.
    pub name: Option<String>,
    /// The site's code, from the signature.
    pub code: Option<String>,
    /// The page's URL.
    pub url: Option<String>,
    /// The URL the page names as its own (`<link rel="canonical">`), HTML
    /// pages only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_url: Option<String>,
    /// What the page was: `text/plain` (a scrape) or `text/html`.
    pub content_type: String,
}

/// One quote of the page's ticker strip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotQuote {
    /// Ticker symbol.
    pub symbol: String,
    /// The day's change in percent.
    pub change_pct: Decimal,
    /// Last price.
    pub price: Decimal,
    /// ISO 4217 currency.
    pub currency: String,
}

/// Everything known about one page, before deduplication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// This copy's id: xxh3-64 of the input message bytes, 16 hex digits.
    pub id: String,
    /// Where it ran.
    pub source: Source,
    /// Headline.
    pub title: String,
    /// Authors from the signature (or, on HTML pages without one, the
    /// page's markup).
    pub authors: Vec<String>,
    /// Photo caption and credit.
    pub photo: Option<Photo>,
    /// Body paragraphs.
    pub paragraphs: Vec<String>,
    /// Subheadings.
    pub subheadings: Vec<String>,
    /// Where each subheading stands in the body: the index of the paragraph
    /// it comes before.
    #[serde(default)]
    pub subheading_positions: Vec<usize>,
    /// ISO 639-1 language.
    pub language: String,
    /// Words in the body.
    pub word_count: usize,
    /// Reading time in seconds.
    pub reading_time_s: usize,
    /// Named entities.
    pub entities: Entities,
    /// Quotations.
    pub quotes: Vec<Quote>,
    /// Instruments named in the text.
    pub instruments: Vec<InstrumentMention>,
    /// The page's ticker strip.
    pub market_snapshot: Vec<SnapshotQuote>,
    /// IPTC Media Topics.
    pub topics: Vec<Topic>,
    /// Hash of the normalised body, 16 hex digits; equal for identical bodies.
    pub fingerprint: String,
    /// The lead image with its caption and credit, HTML pages only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<LeadImage>,
    /// When the page says it was first published (HTML pages only).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "tickertape_processor::rfc3339::serialize_option"
    )]
    pub published_at: Option<DateTime<Utc>>,
    /// When the page says it was last changed (HTML pages only).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "tickertape_processor::rfc3339::serialize_option"
    )]
    pub modified_at: Option<DateTime<Utc>>,
    /// When the crawler fetched the page.
    #[serde(serialize_with = "tickertape_processor::rfc3339::serialize")]
    pub fetched_at: DateTime<Utc>,
    /// When tickertape parsed it.
    #[serde(serialize_with = "tickertape_processor::rfc3339::serialize")]
    pub processed_at: DateTime<Utc>,
}

/// The record the parse stage hands to the dedupe stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedArticle {
    /// The article.
    pub article: Article,
    /// Its body hash.
    pub body_hash: u64,
    /// Its MinHash.
    pub minhash: Vec<u32>,
}

/// How the article relates to known stories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dedupe {
    /// `new`, `update` or `duplicate`.
    pub status: String,
    /// The article id of the version this one updates or copies.
    pub of: Option<String>,
    /// Estimated Jaccard similarity to that version, for updates.
    pub similarity: Option<f64>,
}

/// A published article event (`articles.enriched`, key `story_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleEvent {
    /// Always [`ARTICLE_SCHEMA`].
    pub schema: String,
    /// The story this article is a version of.
    pub story_id: String,
    /// The version number within the story, from 1.
    pub version: u32,
    /// The dedupe decision.
    pub dedupe: Dedupe,
    /// The article.
    #[serde(flatten)]
    pub article: Article,
}

/// A syndicated copy, recorded on `articles.duplicates` (key `story_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateRecord {
    /// Always [`DUPLICATE_SCHEMA`].
    pub schema: String,
    /// The story it copies.
    pub story_id: String,
    /// The version it copies.
    pub version: u32,
    /// This copy's id.
    pub id: String,
    /// The article id of the copied version.
    pub of: String,
    /// Where this copy ran.
    pub source: Source,
    /// Its headline.
    pub title: String,
    /// When it was fetched.
    #[serde(serialize_with = "tickertape_processor::rfc3339::serialize")]
    pub fetched_at: DateTime<Utc>,
    /// When tickertape parsed it.
    #[serde(serialize_with = "tickertape_processor::rfc3339::serialize")]
    pub processed_at: DateTime<Utc>,
}
