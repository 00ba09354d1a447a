//! Market data that belongs to no one service: the instruments tickertape
//! knows, and the shapes of the ticks every service reads or writes.
//!
//! - [`instruments`]: reference data (symbol, name, venue, currency, the
//!   dates a listing was valid, the names newsrooms use), from
//!   `data/instruments.json`.
//! - [`tick`]: a JSON tick from a market feed, parsed and validated into a
//!   [`tick::Tick`]; prices are decimals read from their text.
//! - [`strip`]: the ticker strip of a news page: one line
//!   (`RBGPF -1.43% 59.34 $`) parsed into a [`strip::StripQuote`], and the
//!   [`strip::StripTick`] the articles service publishes for it, which the
//!   prices service reads as a JSON tick.
//! - [`sessions`]: each venue's trading sessions (holidays, early closes,
//!   breaks), from `data/sessions.tsv`.

pub mod instruments;
pub mod sessions;
pub mod strip;
pub mod tick;
