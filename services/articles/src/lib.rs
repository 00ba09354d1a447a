//! The articles service: raw scraped pages in, structured, enriched,
//! deduplicated article events out.
//!
//! Where a message goes, in order:
//! - [`input`]: decode the message (raw page or JSON envelope).
//! - [`page`]: split the page into title, photo, paragraphs, subheadings,
//!   signature and ticker strip; everything else is chrome. [`html`] does
//!   the same for an HTML page: the article's text by extraction, the rest
//!   from its markup.
//! - [`text`]: the page's words, read once for counting, fingerprinting and
//!   topics.
//! - [`enrich`]: language, length, entities, quotes, instruments, topics.
//! - [`fingerprint`]: body hash and MinHash for near-duplicate detection.
//! - [`dedupe`]: the story index that decides new / update / duplicate.
//! - [`processor`]: the two [`tickertape_processor::Processor`] stages and the
//!   offline pipeline; [`event`] holds what they publish.
//! - [`config`], [`metrics`]: settings and counters. The Kafka wiring is
//!   in `tickertape-wiring`: this crate does not link librdkafka.

pub mod config;
pub mod dedupe;
pub mod enrich;
pub mod event;
pub mod fingerprint;
pub mod html;
pub mod input;
pub mod metrics;
pub mod page;
pub mod processor;
mod tables;
pub mod text;
