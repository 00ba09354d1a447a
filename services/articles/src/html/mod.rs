//! HTML pages from crawlers: the article, not the page.
//!
//! Two well-kept extractors read each page: rs-trafilatura (a port of
//! trafilatura) and dom_smoothie (a port of Mozilla's Readability). Both keep
//! nearly all of an article (recall 0.99 on the article-extraction
//! benchmark) and differ in the boilerplate they let through, so the shorter
//! of their two texts is the one with less of it: F1 0.972 together against
//! 0.957 and 0.951 alone (`docs/EXTRACTION.md` has the measurement).
//!
//! The page's own markup gives the rest: title, site, authors, canonical
//! URL, times, language, lead image, and the network's ticker strip. The
//! body's lines are then sorted by the same rules as a text scrape's
//! ([`crate::page::split_body`]), so the HTML page and the text scrape of
//! one story read as one story.

pub mod charset;
mod metadata;
pub mod shape;

use std::collections::HashSet;

use dom_query::Document;
use serde::{Deserialize, Serialize};

use crate::page::{normalise, split_body, Page, PageError};
pub use metadata::HtmlMetadata;

/// An extractor's text shorter than this many words is taken for a miss
/// (a page it could not read), not for the cleaner of the two.
const MIN_EXTRACTED_WORDS: usize = 20;

/// The largest HTML page shapes accepted; see [`shape`] for why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HtmlLimits {
    /// Nesting depth of elements that must be closed.
    pub depth: usize,
    /// Start tags in the page.
    pub elements: usize,
}

impl Default for HtmlLimits {
    /// About ten times what real pages have: the article-extraction
    /// benchmark's 181 pages have at most 1,737 start tags, and nesting
    /// depths in the tens.
    fn default() -> Self {
        HtmlLimits {
            depth: 512,
            elements: 20_000,
        }
    }
}

/// The lead image, with its caption and credit where the page marks them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadImage {
    /// Its address, as the page gives it.
    pub url: String,
    /// What it shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Who took or distributes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
}

/// An HTML page read: its parts, as a text page's, and what only markup says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlPage {
    /// Title, site, photo, body, signature and strip.
    pub page: Page,
    /// Authors, canonical URL, times, language and lead image.
    pub metadata: HtmlMetadata,
}

/// Which extractor's text became the body (a metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extractor {
    /// rs-trafilatura.
    Trafilatura,
    /// dom_smoothie (Readability).
    Readability,
}

/// Reads an HTML page.
///
/// Fails when the page is over `limits`, has no title, or no body text.
pub fn read_html(html: &str, limits: &HtmlLimits) -> Result<(HtmlPage, Extractor), PageError> {
    let found = shape::shape_of(html);
    if found.depth > limits.depth {
        return Err(PageError::OverLimit {
            what: "the nesting depth of HTML elements",
            size: found.depth,
            limit: limits.depth,
        });
    }
    if found.elements > limits.elements {
        return Err(PageError::OverLimit {
            what: "the number of HTML elements",
            size: found.elements,
            limit: limits.elements,
        });
    }
    let document = Document::from(html);
    let metadata = HtmlMetadata::of(&document);
    let (strip, malformed_strip_lines, strip_lines) = metadata::strip_of(&document);
    // Sets, not lists: every body line is looked up in both, and a page may
    // have thousands of each.
    let strip_lines: HashSet<String> = strip_lines.into_iter().collect();
    let headings: HashSet<String> = metadata::heading_texts(&document).into_iter().collect();
    let title = metadata.title.clone().ok_or(PageError::NoTitle)?;
    // With nothing in <body>, extractors fall back to <head> and return the
    // title, several times over, as the article.
    if document.select("body").text().trim().is_empty() {
        return Err(PageError::NoBody);
    }

    let (text, extractor) = article_text(html, document)?;
    let text = normalise(&text);
    let lines: Vec<String> = text
        .lines()
        .map(collapse_spaces)
        .filter(|line| !line.is_empty())
        .filter(|line| !strip_lines.contains(line))
        .filter(|line| !metadata.is_image_caption(line))
        .collect();
    // Headings in the body are its subheadings, marked as a text page marks
    // them, so one rule sorts both.
    let marked: Vec<String> = lines
        .into_iter()
        .map(|line| {
            if headings.contains(&line) && line != title {
                format!("- {line} -")
            } else {
                line
            }
        })
        .collect();
    let marked: Vec<&str> = marked.iter().map(String::as_str).collect();
    let mut body = split_body(&marked, &title);
    body.photo = body.photo.or_else(|| metadata.photo());
    let site_name = metadata.site_name.clone();
    let page = body.into_page(site_name, title, strip, malformed_strip_lines)?;
    Ok((HtmlPage { page, metadata }, extractor))
}

/// The article's text: the shorter of the two extractors' texts, unless it
/// is empty or too short to be an article beside a long one.
///
/// A panic in either extractor is caught and fails the page, so that a bug
/// in one of them dead-letters one page instead of stopping the service
/// (and crash-looping it on the same page).
fn article_text(html: &str, document: Document) -> Result<(String, Extractor), PageError> {
    let caught = |extractor| move |_| PageError::ExtractorFailed(extractor);
    let trafilatura = std::panic::catch_unwind(|| {
        rs_trafilatura::extract_with_options(html, &trafilatura_options())
            .map(|result| result.content_text)
            .unwrap_or_default()
    })
    .map_err(caught("rs-trafilatura"))?;
    let config = dom_smoothie::Config {
        text_mode: dom_smoothie::TextMode::Formatted,
        ..Default::default()
    };
    let readability = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        dom_smoothie::Readability::with_document(document, None, Some(config))
            .and_then(|mut reader| reader.parse())
            .map(|article| article.text_content.to_string())
            .unwrap_or_default()
    }))
    .map_err(caught("dom_smoothie"))?;
    let words = |text: &str| text.split_whitespace().count();
    let (t, r) = (words(&trafilatura), words(&readability));
    let trafilatura_wins = match (t, r) {
        (_, 0) => true,
        (0, _) => false,
        // One long, one short: the short one missed the article.
        _ if t.min(r) < MIN_EXTRACTED_WORDS && t.max(r) >= MIN_EXTRACTED_WORDS => t > r,
        // Both long, or both short (a stub): the shorter has less
        // boilerplate. (On short pages trafilatura falls back to the
        // body's text, headline run into paragraph.)
        _ => t <= r,
    };
    Ok(if trafilatura_wins {
        (trafilatura, Extractor::Trafilatura)
    } else {
        (readability, Extractor::Readability)
    })
}

/// rs-trafilatura's defaults, but for the page type: pages on
/// `articles.raw` are articles, and its classifier (gradient-boosted trees
/// over 181 features) was 45% of its time on the benchmark's median page,
/// for no change in F1 (docs/EXTRACTION.md).
fn trafilatura_options() -> rs_trafilatura::Options {
    rs_trafilatura::Options {
        page_type: Some(rs_trafilatura::page_type::PageType::Article),
        ..Default::default()
    }
}

/// Runs of whitespace to one space, trimmed.
fn collapse_spaces(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for word in line.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests;
