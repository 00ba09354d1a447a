//! Reading a scraped page: what is article text, what is page chrome.
//!
//! The template (see the seed page): `<Site> - <Title>`, a market header such
//! as `NYSE - LSE` followed by strip lines, the title repeated, a photo line
//! `<caption> / Photo: © <credit>`, the title again, the lede, a widget label
//! (`Text size:`), paragraphs with `- Subheading -` lines, and a signature
//! `Initial.Surname--CODE`. Every part but the title and the body may be
//! missing; labels are localised.

use std::sync::LazyLock;

use tickertape_market::strip::{parse_strip_line, StripQuote};

/// Why a page could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// No line holds `<Site> - <Title>` or a title.
    #[error("page has no title line")]
    NoTitle,
    /// Nothing is left once the chrome is removed.
    #[error("page has no body paragraphs")]
    NoBody,
    /// An HTML extractor failed on the page (it panicked: a bug in a
    /// third-party crate, caught so that one page cannot stop the service).
    #[error("the HTML extractor {0} failed on this page")]
    ExtractorFailed(&'static str),
    /// A part of the page is larger than its limit (see [`PageLimits`]).
    #[error("{what} is {size}; the limit is {limit}")]
    OverLimit {
        /// Which part, and in what unit.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
}

impl PageError {
    /// The dead-letter reason code.
    pub fn reason(&self) -> &'static str {
        match self {
            PageError::NoTitle => "no_title",
            PageError::NoBody => "no_body",
            PageError::OverLimit { .. } => "over_limit",
            PageError::ExtractorFailed(_) => "extraction_failed",
        }
    }
}

/// The largest page parts accepted. No real page comes near them; a page
/// that does is a crawler's or an attacker's accident, and is dead-lettered
/// (`over_limit`) before enrichment rather than published as events the
/// broker would refuse or subscribers would choke on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimits {
    /// Characters in the title.
    pub title_chars: usize,
    /// Body paragraphs (subheadings included).
    pub paragraphs: usize,
    /// Characters in one paragraph.
    pub paragraph_chars: usize,
    /// Lines in the ticker strip (each becomes a tick on `ticks.raw`).
    pub strip_lines: usize,
}

impl Default for PageLimits {
    fn default() -> Self {
        PageLimits {
            title_chars: 1_000,
            paragraphs: 5_000,
            paragraph_chars: 100_000,
            strip_lines: 500,
        }
    }
}

impl PageLimits {
    /// Fails with the first part of `page` over its limit.
    pub fn check(&self, page: &Page) -> Result<(), PageError> {
        let over = |what, size, limit| {
            (size > limit).then_some(PageError::OverLimit { what, size, limit })
        };
        let longest_paragraph = page
            .paragraphs
            .iter()
            .chain(&page.subheadings)
            .map(|p| p.chars().count())
            .max()
            .unwrap_or(0);
        let failure = over(
            "the title, in characters",
            page.title.chars().count(),
            self.title_chars,
        )
        .or_else(|| {
            over(
                "the number of paragraphs",
                page.paragraphs.len() + page.subheadings.len(),
                self.paragraphs,
            )
        })
        .or_else(|| {
            over(
                "the longest paragraph, in characters",
                longest_paragraph,
                self.paragraph_chars,
            )
        })
        .or_else(|| {
            over(
                "the number of strip lines",
                page.strip.len() + page.malformed_strip_lines.len(),
                self.strip_lines,
            )
        });
        failure.map_or(Ok(()), Err)
    }
}

/// A photo's caption and credit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Photo {
    /// What the photo shows.
    pub caption: String,
    /// Who took or distributes it, without the `©`.
    pub credit: String,
}

/// The closing signature: `K.Thomson/J.Doe--BTB`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The authors, in order.
    pub authors: Vec<String>,
    /// The site's code.
    pub code: String,
}

/// A page split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The site's name (the first line up to ` - `), if the line has one.
    pub site_name: Option<String>,
    /// The headline.
    pub title: String,
    /// The photo line, if any.
    pub photo: Option<Photo>,
    /// Body paragraphs in order, subheadings excluded.
    pub paragraphs: Vec<String>,
    /// `- Subheading -` lines, without the dashes.
    pub subheadings: Vec<String>,
    /// Where each subheading stands: the index of the paragraph it comes
    /// before (the number of paragraphs when it comes last).
    pub subheading_positions: Vec<usize>,
    /// The signature, if the page ends with one.
    pub signature: Option<Signature>,
    /// The ticker strip's quotes.
    pub strip: Vec<StripQuote>,
    /// Lines inside the strip block that did not parse (dropped as chrome).
    pub malformed_strip_lines: Vec<String>,
}

/// The page chrome of every edition's language (`data/page-chrome.tsv`):
/// widget labels, photo-credit markers, subheading marks.
struct Chrome {
    /// Widget labels, lower case, without a trailing colon.
    widgets: Vec<String>,
    /// Photo markers: the word before the credit's colon.
    photo_words: Vec<String>,
    /// Subheading marks: (opening, closing).
    subheading_marks: Vec<(String, String)>,
}

impl Chrome {
    fn of(table: &str) -> Chrome {
        let mut chrome = Chrome {
            widgets: Vec::new(),
            photo_words: Vec::new(),
            subheading_marks: Vec::new(),
        };
        for (kind, _language, text) in crate::tables::three_fields(table) {
            match kind {
                "widget" => chrome.widgets.push(widget_key(text)),
                "photo" => chrome.photo_words.push(text.trim().to_owned()),
                "subheading" => {
                    if let Some((open, close)) = text.split_once(' ') {
                        chrome
                            .subheading_marks
                            .push((format!("{open} "), format!(" {close}")));
                    }
                }
                _ => {}
            }
        }
        chrome
    }

    fn is_widget_label(&self, line: &str) -> bool {
        // Labels are short: most lines are ruled out before any allocation.
        line.len() <= 40 && self.widgets.contains(&widget_key(line))
    }
}

/// A widget label as compared: lower case, without a trailing colon and
/// the spaces around it.
fn widget_key(text: &str) -> String {
    text.trim().trim_end_matches(':').trim_end().to_lowercase()
}

static CHROME: LazyLock<Chrome> =
    LazyLock::new(|| Chrome::of(include_str!("../data/page-chrome.tsv")));

/// Splits a page into its parts.
///
/// Fails when no title can be found or no body text remains.
pub fn parse_page(text: &str) -> Result<Page, PageError> {
    let text = normalise(text);
    // Lines by the memchr crate's vectorised search (normalised text has
    // no CR); `str::lines` finds each newline with a slower scalar loop.
    let mut rest = text.as_str();
    let mut lines = std::iter::from_fn(|| {
        if rest.is_empty() {
            return None;
        }
        let (line, after) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, ""),
        };
        rest = after;
        Some(line)
    })
    .map(str::trim)
    .filter(|line| !line.is_empty())
    .peekable();

    let first = lines.next().ok_or(PageError::NoTitle)?;
    let (site_name, title) = match first.split_once(" - ") {
        Some((site, title)) if !title.trim().is_empty() => {
            (Some(site.trim().to_owned()), title.trim().to_owned())
        }
        _ => (None, first.to_owned()),
    };
    if title.is_empty() {
        return Err(PageError::NoTitle);
    }

    let mut strip = Vec::with_capacity(16);
    let mut malformed_strip_lines = Vec::new();
    if lines.peek().is_some_and(|line| is_market_header(line)) {
        lines.next();
        while let Some(line) = lines.peek() {
            match parse_strip_line(line) {
                Ok(quote) => strip.push(quote),
                Err(_) if looks_like_strip_line(line) => {
                    malformed_strip_lines.push((*line).to_owned())
                }
                // The first line that is no strip line ends the strip.
                Err(_) => break,
            }
            lines.next();
        }
    }

    let body: Vec<&str> = lines.collect();
    split_body(&body, &title).into_page(site_name, title, strip, malformed_strip_lines)
}

/// The parts of a page after its title and strip.
pub(crate) struct Body {
    pub photo: Option<Photo>,
    pub paragraphs: Vec<String>,
    pub subheadings: Vec<String>,
    pub subheading_positions: Vec<usize>,
    pub signature: Option<Signature>,
}

impl Body {
    /// The page of this body; fails when it has no paragraph.
    pub(crate) fn into_page(
        self,
        site_name: Option<String>,
        title: String,
        strip: Vec<StripQuote>,
        malformed_strip_lines: Vec<String>,
    ) -> Result<Page, PageError> {
        if self.paragraphs.is_empty() {
            return Err(PageError::NoBody);
        }
        Ok(Page {
            site_name,
            title,
            photo: self.photo,
            paragraphs: self.paragraphs,
            subheadings: self.subheadings,
            subheading_positions: self.subheading_positions,
            signature: self.signature,
            strip,
            malformed_strip_lines,
        })
    }
}

/// Sorts the body's lines (trimmed, not empty) into paragraphs,
/// subheadings, the photo line and the signature, dropping repeats of the
/// title and widget labels. Text and HTML pages share it, so both read a
/// story's body the same way.
pub(crate) fn split_body(lines: &[&str], title: &str) -> Body {
    let mut body = Body {
        photo: None,
        paragraphs: Vec::with_capacity(32),
        subheadings: Vec::new(),
        subheading_positions: Vec::new(),
        signature: None,
    };
    for (index, line) in lines.iter().enumerate() {
        if *line == title || CHROME.is_widget_label(line) {
            continue;
        }
        if body.photo.is_none() && body.paragraphs.is_empty() {
            if let Some(found) = photo_of(line) {
                body.photo = Some(found);
                continue;
            }
        }
        if index + 1 == lines.len() {
            if let Some(found) = signature_of(line) {
                body.signature = Some(found);
                continue;
            }
        }
        if let Some(subheading) = subheading_of(line) {
            body.subheadings.push(subheading.to_owned());
            body.subheading_positions.push(body.paragraphs.len());
            continue;
        }
        body.paragraphs.push((*line).to_owned());
    }
    body
}

/// CRLF and CR to LF, non-breaking and other odd spaces to plain spaces, BOM removed.
pub(crate) fn normalise(text: &str) -> String {
    let text = text.trim_start_matches('\u{feff}');
    // Plain ASCII without CR or tab (most pages) is already normal.
    if text.is_ascii() && memchr::memchr2(b'\r', b'\t', text.as_bytes()).is_none() {
        return text.to_owned();
    }
    // Copy the text between replacements whole. The characters replaced
    // are found by their UTF-8 lead bytes with memchr: decoding every
    // character to compare it with six was most of the cost of parsing a
    // page. Tabs, rare, are replaced afterwards.
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for at in memchr::memchr3_iter(b'\r', 0xC2, 0xE2, bytes) {
        let (width, replacement) = match bytes[at] {
            b'\r' if bytes.get(at + 1) == Some(&b'\n') => (2, '\n'),
            b'\r' => (1, '\n'),
            // U+00A0 no-break space
            0xC2 if bytes.get(at + 1) == Some(&0xA0) => (2, ' '),
            // U+2007 figure, U+2009 thin and U+202F narrow no-break spaces
            0xE2 if matches!(bytes.get(at + 1..at + 3), Some([0x80, 0x87 | 0x89 | 0xAF])) => {
                (3, ' ')
            }
            _ => continue,
        };
        out.push_str(&text[copied..at]);
        out.push(replacement);
        copied = at + width;
    }
    out.push_str(&text[copied..]);
    if memchr::memchr(b'\t', out.as_bytes()).is_some() {
        out = out.replace('\t', " ");
    }
    out
}

/// `NYSE - LSE`, `NASDAQ - DAX - CAC`: upper-case market codes joined by ` - `.
pub(crate) fn is_market_header(line: &str) -> bool {
    let mut parts = line.split(" - ");
    let first = parts.next().unwrap_or_default();
    let mut count = 1;
    let is_code = |part: &str| {
        (2..=8).contains(&part.len())
            && part
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    if !is_code(first) {
        return false;
    }
    for part in parts {
        if !is_code(part) {
            return false;
        }
        count += 1;
    }
    count >= 2
}

/// A line in the strip block: four words ending in a currency sign.
pub(crate) fn looks_like_strip_line(line: &str) -> bool {
    (line.ends_with(" $") || line.ends_with(" €") || line.ends_with(" £"))
        && line.split_whitespace().count() == 4
}

/// `<caption> / Photo: © <credit>`, with the edition's word for photo.
pub(crate) fn photo_of(line: &str) -> Option<Photo> {
    line.match_indices(" / ").find_map(|(at, separator)| {
        let (word, credit) = line[at + separator.len()..].split_once(':')?;
        if !CHROME.photo_words.iter().any(|w| w == word.trim_end()) {
            return None;
        }
        let credit = credit.trim().trim_start_matches('©').trim();
        Some(Photo {
            caption: line[..at].trim().to_owned(),
            credit: credit.to_owned(),
        })
    })
}

/// `- More to come? -` → `More to come?` (or between dashes).
fn subheading_of(line: &str) -> Option<&str> {
    CHROME.subheading_marks.iter().find_map(|(open, close)| {
        let inner = line
            .strip_prefix(open.as_str())?
            .strip_suffix(close.as_str())?
            .trim();
        (!inner.is_empty()).then_some(inner)
    })
}

/// `K.Thomson--BTB`, `K.Thomson/J.Doe--BTB`.
fn signature_of(line: &str) -> Option<Signature> {
    let (names, code) = line.rsplit_once("--")?;
    let code_ok = (2..=6).contains(&code.len()) && code.chars().all(|c| c.is_ascii_uppercase());
    let authors: Vec<String> = names
        .split('/')
        .map(|name| name.trim().to_owned())
        .collect();
    let names_ok = authors.iter().all(|name| {
        !name.is_empty()
            && !name.contains(' ')
            && name.chars().next().is_some_and(char::is_uppercase)
            && name
                .chars()
                .all(|c| c.is_alphabetic() || c == '.' || c == '-' || c == '\'')
    });
    (code_ok && names_ok).then(|| Signature {
        authors,
        code: code.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../../tests/fixtures/articles/seed-article.txt");

    #[test]
    fn a_part_over_its_limit_is_named_and_the_seed_is_within_all() {
        let seed = parse_page(SEED).unwrap();
        assert_eq!(PageLimits::default().check(&seed), Ok(()));
        let tight = |change: fn(&mut PageLimits)| {
            let mut limits = PageLimits::default();
            change(&mut limits);
            limits.check(&seed).unwrap_err()
        };
        let title_chars = seed.title.chars().count();
        assert_eq!(
            tight(|l| l.title_chars = 10),
            PageError::OverLimit {
                what: "the title, in characters",
                size: title_chars,
                limit: 10
            }
        );
        for (error, what) in [
            (tight(|l| l.paragraphs = 1), "the number of paragraphs"),
            (
                tight(|l| l.paragraph_chars = 5),
                "the longest paragraph, in characters",
            ),
            (tight(|l| l.strip_lines = 2), "the number of strip lines"),
        ] {
            assert!(
                matches!(error, PageError::OverLimit { what: w, .. } if w == what),
                "{error}"
            );
            assert_eq!(error.reason(), "over_limit");
        }
        // At the limit is within it.
        let exact = PageLimits {
            title_chars,
            strip_lines: seed.strip.len(),
            ..PageLimits::default()
        };
        assert_eq!(exact.check(&seed), Ok(()));
    }

    #[test]
    fn the_seed_splits_into_its_parts() {
        let page = parse_page(SEED).unwrap();
        assert_eq!(page.site_name.as_deref(), Some("Berliner Tageblatt"));
        assert_eq!(
            page.title,
            "North Korea ratifies defence treaty with Russia"
        );
        assert_eq!(
            page.photo,
            Some(Photo {
                caption: "North Korea ratifies defence treaty with Russia".into(),
                credit: "POOL/AFP".into()
            })
        );
        assert_eq!(page.subheadings, vec!["More to come?"]);
        assert_eq!(page.paragraphs[page.subheading_positions[0]], "\"With bilateral ratifications, Pyongyang and Moscow will claim legitimacy for North Korea's military deployment to Russia, arguing that this action is justified by the ratified treaty between the two,\" said Hong Min, a senior analyst at the Korea Institute for National Unification.");
        assert_eq!(
            page.signature,
            Some(Signature {
                authors: vec!["K.Thomson".into()],
                code: "BTB".into()
            })
        );
        assert_eq!(page.strip.len(), 16);
        assert_eq!(page.strip[0].symbol, "RBGPF");
        assert!(page.paragraphs[0].starts_with("North Korea has ratified a landmark defence pact"));
        assert!(page
            .paragraphs
            .last()
            .unwrap()
            .starts_with("The reclusive state"));
        for paragraph in &page.paragraphs {
            assert!(!paragraph.contains("Text size:"));
            assert!(!paragraph.ends_with(" $"));
            assert_ne!(paragraph, &page.title);
        }
    }

    #[test]
    fn normalise_equals_the_plain_replacements() {
        let by_replacing = |text: &str| {
            text.trim_start_matches('\u{feff}')
                .replace("\r\n", "\n")
                .replace(['\r'], "\n")
                .replace(['\u{a0}', '\u{2007}', '\u{202f}', '\u{2009}', '\t'], " ")
        };
        for text in [
            "plain ascii\nlines",
            "\u{feff}BOM\r\nCRLF\rCR\r\n\r\nend\r",
            "nbsp\u{a0}thin\u{2009}narrow\u{202f}figure\u{2007}tab\t“curly” © é",
            "near misses: \u{2008}\u{2028}— … ’ ‘ \u{a9}\u{c2a0} \u{a0}\u{a0}\r",
            "",
        ] {
            assert_eq!(normalise(text), by_replacing(text), "{text:?}");
        }
    }

    #[test]
    fn variations_are_normal() {
        let page = parse_page(
            "\u{feff}Athens News - A quiet day\r\n\r\nA quiet day\r\n\r\nNothing\u{a0}happened.\r\n\r\n\r\nStill nothing.\r\n",
        )
        .unwrap();
        assert_eq!(page.site_name.as_deref(), Some("Athens News"));
        assert_eq!(page.paragraphs, vec!["Nothing happened.", "Still nothing."]);
        assert!(page.strip.is_empty() && page.photo.is_none() && page.signature.is_none());

        let page = parse_page("X - T\n\nNYSE - LSE\nAB 1% 2 $\nXYZ abc% 1.2 $\nT\nA caption / Photo: AL BELLO - GETTY IMAGES NORTH AMERICA/AFP\nBody.\nA.B/C.D--XX").unwrap();
        assert_eq!(page.strip.len(), 1);
        assert_eq!(page.malformed_strip_lines, vec!["XYZ abc% 1.2 $"]);
        assert_eq!(
            page.photo.unwrap().credit,
            "AL BELLO - GETTY IMAGES NORTH AMERICA/AFP"
        );
        assert_eq!(page.signature.unwrap().authors, vec!["A.B", "C.D"]);
    }

    #[test]
    fn pages_without_body_or_title_are_refused() {
        assert_eq!(parse_page("").unwrap_err(), PageError::NoTitle);
        assert_eq!(
            parse_page("Site - Title\n\nTitle\n\nText size:\n\nK.Thomson--BTB").unwrap_err(),
            PageError::NoBody
        );
    }

    /// The chrome table covers every edition's language: a page written
    /// with that language's widget label, photo marker and subheading is
    /// read as the English one is.
    #[test]
    fn chrome_in_every_language_served() {
        let editions = [
            ("en", "Text size:", "Photo", "- Talks resume -"),
            ("de", "Textgröße:", "Foto", "- Gespräche gehen weiter -"),
            ("de", "Schriftgröße :", "Bild", "– Gespräche gehen weiter –"),
            (
                "fr",
                "Taille du texte :",
                "Photo",
                "- Les discussions reprennent -",
            ),
            (
                "es",
                "Tamaño del texto:",
                "Foto",
                "— Se reanudan las conversaciones —",
            ),
            (
                "it",
                "Dimensione testo:",
                "Foto",
                "- Riprendono i colloqui -",
            ),
            (
                "pt",
                "Tamanho do texto:",
                "Foto",
                "- As conversações recomeçam -",
            ),
            (
                "nl",
                "Tekstgrootte:",
                "Foto",
                "- De gesprekken worden hervat -",
            ),
            (
                "el",
                "Μέγεθος κειμένου:",
                "Φωτογραφία",
                "- Οι συνομιλίες συνεχίζονται -",
            ),
        ];
        for (language, widget, photo, subheading) in editions {
            let text = format!(
                "Site - Title\n\nNYSE - LSE\nAB 1% 2 $\nTitle\n\
                 A caption / Feature / {photo}: © AFP\nTitle\nThe lede.\n{widget}\n\
                 A paragraph.\n{subheading}\nMore.\nA.B--XX"
            );
            let page = parse_page(&text).unwrap();
            assert_eq!(
                page.paragraphs,
                ["The lede.", "A paragraph.", "More."],
                "{language}: {widget}"
            );
            let found = page.photo.expect(language);
            assert_eq!(
                (found.caption.as_str(), found.credit.as_str()),
                ("A caption / Feature", "AFP"),
                "{language}"
            );
            assert_eq!(page.subheadings.len(), 1, "{language}: {subheading}");
        }
    }
}
