//! What a page's markup says about its article: Open Graph and other meta
//! tags, JSON-LD, and the elements newsrooms mark (`<h1>`, `<figure>`,
//! `<time>`, the ticker strip).

use chrono::{DateTime, Utc};
use dom_query::{Document, Selection};
use serde_json::Value;
use tickertape_market::strip::{parse_strip_line, StripQuote};

use super::{collapse_spaces, LeadImage};
use crate::page::{looks_like_strip_line, photo_of, Photo};

/// JSON-LD types that are an article.
const ARTICLE_TYPES: &[&str] = &[
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "BlogPosting",
    "WebPage",
];

/// Separators between a title and the site's name in `<title>`.
const TITLE_SEPARATORS: &[&str] = &[" - ", " | ", " – ", " — ", " :: "];

/// The markup's facts about the page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HtmlMetadata {
    /// The headline, without the site's name.
    pub title: Option<String>,
    /// The site's name.
    pub site_name: Option<String>,
    /// Authors, in the page's order.
    pub authors: Vec<String>,
    /// The canonical URL.
    pub canonical_url: Option<String>,
    /// When the article was first published.
    pub published_at: Option<DateTime<Utc>>,
    /// When it was last changed.
    pub modified_at: Option<DateTime<Utc>>,
    /// The page's declared language (primary subtag, lower case).
    pub language: Option<String>,
    /// The lead image.
    pub image: Option<LeadImage>,
    /// The lead image's whole caption text, as it may appear in the body.
    caption_text: Option<String>,
}

impl HtmlMetadata {
    /// Reads the metadata of `document`.
    pub fn of(document: &Document) -> HtmlMetadata {
        let json_ld = article_json_ld(document);
        let ld = |field: &str| json_ld.as_ref().and_then(|article| article.get(field));
        let site_name = meta(document, "property", "og:site_name")
            .or_else(|| ld("publisher").and_then(name_of))
            .or_else(|| meta(document, "name", "application-name"));
        let title_tag = text_of(&document.select("title"));
        let title = meta(document, "property", "og:title")
            .or_else(|| ld("headline").and_then(Value::as_str).map(collapse_spaces))
            .or_else(|| text_of(&document.select("h1")))
            .or_else(|| title_tag.clone());
        let site_name = site_name.or_else(|| {
            let (title, tag) = (title.as_deref()?, title_tag.as_deref()?);
            site_beside(tag, title)
        });
        let title = title
            .map(|title| without_site(&title, site_name.as_deref()))
            .filter(|title| !title.is_empty());

        let mut authors: Vec<String> = Vec::new();
        let mut add_author = |name: String| {
            if !name.is_empty() && !authors.contains(&name) {
                authors.push(name);
            }
        };
        if let Some(author) = meta(document, "name", "author") {
            add_author(author);
        }
        match ld("author") {
            Some(Value::Array(list)) => list.iter().filter_map(name_of).for_each(&mut add_author),
            Some(one) => name_of(one).into_iter().for_each(&mut add_author),
            None => {}
        }
        for link in document.select("[rel=author]").iter() {
            if let Some(name) = text_of(&link) {
                add_author(name);
            }
        }

        let time_of = |value: Option<&str>| value.and_then(parse_time);
        let published_at = time_of(meta(document, "property", "article:published_time").as_deref())
            .or_else(|| time_of(ld("datePublished").and_then(Value::as_str)))
            .or_else(|| time_of(meta(document, "itemprop", "datePublished").as_deref()))
            .or_else(|| {
                time_of(
                    document
                        .select("time[datetime]")
                        .attr("datetime")
                        .as_deref(),
                )
            });
        let modified_at = time_of(meta(document, "property", "article:modified_time").as_deref())
            .or_else(|| time_of(ld("dateModified").and_then(Value::as_str)))
            .or_else(|| time_of(meta(document, "property", "og:updated_time").as_deref()));
        let canonical_url = document
            .select("link[rel=canonical]")
            .attr("href")
            .map(|href| href.trim().to_owned())
            .filter(|href| !href.is_empty())
            .or_else(|| meta(document, "property", "og:url"));
        let language = document
            .select("html[lang]")
            .attr("lang")
            .and_then(|lang| language_of(&lang));
        let (image, caption_text) = lead_image(document, &json_ld);
        HtmlMetadata {
            title,
            site_name,
            authors,
            canonical_url,
            published_at,
            modified_at,
            language,
            image,
            caption_text,
        }
    }

    /// Whether `line` is the lead image's caption (kept out of the body).
    pub fn is_image_caption(&self, line: &str) -> bool {
        self.caption_text.as_deref() == Some(line)
            || self
                .image
                .as_ref()
                .and_then(|image| image.caption.as_deref())
                == Some(line)
    }

    /// The lead image as a text page's photo line: when both its caption and
    /// credit are marked.
    pub fn photo(&self) -> Option<Photo> {
        let image = self.image.as_ref()?;
        Some(Photo {
            caption: image.caption.clone()?,
            credit: image.credit.clone()?,
        })
    }
}

/// The network's ticker strip when the page carries it as markup: list
/// items inside an element whose class or id names a ticker, strip or
/// market, each a strip line (`RBGPF -1.43% 59.34 $`). Returns the quotes,
/// the lines that look like strip lines but do not parse, and all the
/// strip's lines (kept out of the body).
pub fn strip_of(document: &Document) -> (Vec<StripQuote>, Vec<String>, Vec<String>) {
    let items = document.select(
        "[class*=ticker] li, [id*=ticker] li, [class*=strip] li, [class*=market] li, [id*=market] li",
    );
    let mut quotes = Vec::new();
    let mut malformed = Vec::new();
    let mut lines = Vec::new();
    for item in items.iter() {
        let Some(line) = text_of(&item) else { continue };
        match parse_strip_line(&line) {
            Ok(quote) => quotes.push(quote),
            Err(_) if looks_like_strip_line(&line) => malformed.push(line.clone()),
            Err(_) => continue,
        }
        lines.push(line);
    }
    (quotes, malformed, lines)
}

/// The texts of the page's headings below the title.
pub fn heading_texts(document: &Document) -> Vec<String> {
    document
        .select("h2, h3, h4, h5, h6")
        .iter()
        .filter_map(|heading| text_of(&heading))
        .collect()
}

fn meta(document: &Document, attribute: &str, value: &str) -> Option<String> {
    document
        .select(&format!("meta[{attribute}=\"{value}\"]"))
        .attr("content")
        .map(|content| collapse_spaces(&content))
        .filter(|content| !content.is_empty())
}

fn text_of(selection: &Selection<'_>) -> Option<String> {
    let first = selection.first();
    Some(collapse_spaces(&first.text())).filter(|text| !text.is_empty())
}

/// Parses the times pages give: RFC 3339, ISO 8601 without the colon in
/// the offset, or a date alone (midnight UTC).
fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    DateTime::parse_from_rfc3339(value)
        .or_else(|_| DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|time| time.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            let day = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
            Some(day.and_hms_opt(0, 0, 0)?.and_utc())
        })
}

/// `{"name": "…"}` or `"…"`.
fn name_of(value: &Value) -> Option<String> {
    let name = match value {
        Value::String(name) => name.as_str(),
        Value::Object(object) => object.get("name")?.as_str()?,
        _ => return None,
    };
    Some(collapse_spaces(name)).filter(|name| !name.is_empty())
}

/// The first JSON-LD object of an article type, looked for at the top,
/// in arrays and in `@graph`. Scripts that are not valid JSON are ignored.
fn article_json_ld(document: &Document) -> Option<Value> {
    let mut candidates = Vec::new();
    for script in document
        .select("script[type=\"application/ld+json\"]")
        .iter()
    {
        let Ok(value) = serde_json::from_str::<Value>(&script.text()) else {
            continue;
        };
        let mut stack = vec![value];
        while let Some(value) = stack.pop() {
            match value {
                Value::Array(items) => stack.extend(items.into_iter().rev()),
                Value::Object(mut object) => {
                    if let Some(graph) = object.remove("@graph") {
                        stack.push(graph);
                    }
                    candidates.push(Value::Object(object));
                }
                _ => {}
            }
        }
    }
    let is_type = |value: &Value, wanted: &str| match value.get("@type") {
        Some(Value::String(kind)) => kind == wanted,
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == wanted),
        _ => false,
    };
    // The most specific type wins: a page's `WebPage` object beside its
    // `NewsArticle` describes the page.
    ARTICLE_TYPES.iter().find_map(|wanted| {
        candidates
            .iter()
            .find(|candidate| is_type(candidate, wanted))
            .cloned()
    })
}

/// The site's name in `<title>` beside the headline: `Site - Headline` or
/// `Headline | Site`.
fn site_beside(title_tag: &str, title: &str) -> Option<String> {
    TITLE_SEPARATORS.iter().find_map(|separator| {
        let (first, second) = title_tag.split_once(separator)?;
        let (first, second) = (first.trim(), second.trim());
        if second == title && !first.is_empty() {
            Some(first.to_owned())
        } else if first == title && !second.is_empty() {
            Some(second.to_owned())
        } else {
            None
        }
    })
}

/// `Site - Headline` or `Headline | Site` to `Headline`.
fn without_site(title: &str, site: Option<&str>) -> String {
    let Some(site) = site else {
        return title.to_owned();
    };
    for separator in TITLE_SEPARATORS {
        if let Some(rest) = title.strip_prefix(&format!("{site}{separator}")) {
            return rest.trim().to_owned();
        }
        if let Some(rest) = title.strip_suffix(&format!("{separator}{site}")) {
            return rest.trim().to_owned();
        }
    }
    title.to_owned()
}

/// `en-GB` → `en`. Events report ISO 639-1 codes; a three-letter code
/// is left to detection.
fn language_of(lang: &str) -> Option<String> {
    let primary = lang.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    (primary.len() == 2 && primary.chars().all(|c| c.is_ascii_alphabetic())).then_some(primary)
}

/// The lead image: `og:image` or JSON-LD's image or the first figure's, with
/// the first figure's caption and credit.
fn lead_image(document: &Document, json_ld: &Option<Value>) -> (Option<LeadImage>, Option<String>) {
    let figure = document.select("figure").first();
    let figure_source = figure
        .select("img")
        .attr("src")
        .map(|src| src.trim().to_owned());
    let ld_image = json_ld
        .as_ref()
        .and_then(|article| match article.get("image")? {
            Value::String(url) => Some(url.clone()),
            Value::Object(object) => object.get("url")?.as_str().map(str::to_owned),
            Value::Array(items) => items.first().and_then(|item| match item {
                Value::String(url) => Some(url.clone()),
                other => other.get("url")?.as_str().map(str::to_owned),
            }),
            _ => None,
        });
    let Some(url) = meta(document, "property", "og:image")
        .or(ld_image)
        .or(figure_source)
        .filter(|url| !url.is_empty())
    else {
        return (None, None);
    };
    let figcaption = figure.select("figcaption");
    let caption_text = text_of(&figcaption);
    let marked_credit = text_of(&figcaption.select("[class*=credit], [class*=copyright]"));
    let (caption, credit) = match (&caption_text, marked_credit) {
        (Some(text), Some(credit)) => {
            let caption = text.replace(&credit, "");
            (
                Some(collapse_spaces(caption.trim_end_matches(['/', ' ']))),
                Some(clean_credit(&credit)),
            )
        }
        (Some(text), None) => match photo_of(text) {
            Some(photo) => (Some(photo.caption), Some(photo.credit)),
            None => match text.split_once('©') {
                Some((caption, credit)) => (
                    Some(collapse_spaces(caption.trim_end_matches(['/', ' ']))),
                    Some(clean_credit(credit)),
                ),
                None => (Some(text.clone()), None),
            },
        },
        (None, _) => (None, None),
    };
    let image = LeadImage {
        url,
        caption: caption.filter(|caption| !caption.is_empty()),
        credit: credit.filter(|credit| !credit.is_empty()),
    };
    (Some(image), caption_text)
}

/// `Photo: © AFP` → `AFP`.
fn clean_credit(credit: &str) -> String {
    let credit = credit.trim();
    let credit = credit
        .split_once(':')
        .filter(|(word, _)| word.split_whitespace().count() == 1)
        .map_or(credit, |(_, rest)| rest);
    collapse_spaces(credit.trim().trim_start_matches('©'))
}
