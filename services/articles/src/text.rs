//! A page's words, read once: runs of word characters found without
//! decoding ASCII, and the body's lower-cased words as hashes for the word
//! count, the fingerprint and the topic keywords.
//!
//! Enrichment and fingerprinting walk every character of every page;
//! decoding each one to a `char`, and walking the body once for each of
//! them, was most of their cost. Most of any page is ASCII.

use crate::page::Page;

/// A page's lower-cased words as [`word_hash`]es, and its word count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyWords {
    /// The words (runs of letters and digits) of the paragraphs, then the
    /// subheadings, in order.
    pub body: Vec<u64>,
    /// The words of the title.
    pub title: Vec<u64>,
    /// Whitespace-separated words of the paragraphs and subheadings that
    /// hold a letter or digit: what a reader counts as words (`U.S.` is one
    /// word here, two in `body`).
    pub count: usize,
}

impl BodyWords {
    /// Reads the page's title, paragraphs and subheadings.
    pub fn of(page: &Page) -> Self {
        let mut words = Self::of_body(
            page.paragraphs
                .iter()
                .chain(&page.subheadings)
                .map(String::as_str),
        );
        scan(&page.title, &mut words.title);
        words
    }

    /// Reads body texts alone (no title).
    pub fn of_body<'a>(parts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut words = BodyWords {
            body: Vec::with_capacity(1024),
            ..BodyWords::default()
        };
        for part in parts {
            words.count += scan(part, &mut words.body);
        }
        words
    }
}

/// The hash of a word as the page's words are hashed: FNV-1a (64 bits) of
/// its lower-cased UTF-8. Computed byte by byte as the text is scanned, so
/// no lower-cased copy is made; a word-level collision is a 2^-64 event.
pub fn word_hash(word: &str) -> u64 {
    word.chars().fold(FNV_OFFSET, hash_lower_case)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn hash_lower_case(mut hash: u64, c: char) -> u64 {
    if c.is_ascii() {
        hash ^= u64::from(c.to_ascii_lowercase() as u8);
        return hash.wrapping_mul(FNV_PRIME);
    }
    let mut buffer = [0; 4];
    for lower in c.to_lowercase() {
        for &byte in lower.encode_utf8(&mut buffer).as_bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
        }
    }
    hash
}

/// Appends the hashes of `text`'s words (runs of letters and digits) to
/// `hashes`; returns how many whitespace-separated words hold one: the
/// first run after whitespace (or the start) begins such a word.
fn scan(text: &str, hashes: &mut Vec<u64>) -> usize {
    let bytes = text.as_bytes();
    let (mut at, mut count) = (0, 0);
    // Whether whitespace (or the start) came since the last run.
    let mut after_space = true;
    // The hash of the run in progress.
    let mut run: Option<u64> = None;
    while at < bytes.len() {
        let byte = bytes[at];
        let (c, width) = if byte.is_ascii() {
            (char::from(byte), 1)
        } else {
            char_at(text, at)
        };
        at += width;
        let ascii_lower = ASCII_WORD_BYTES
            .get(usize::from(byte))
            .copied()
            .unwrap_or(0);
        if ascii_lower == 0 && !(width > 1 && c.is_alphanumeric()) {
            if let Some(done) = run.take() {
                hashes.push(done);
            }
            after_space |= c.is_whitespace();
            continue;
        }
        let hash = run.unwrap_or_else(|| {
            count += usize::from(after_space);
            after_space = false;
            FNV_OFFSET
        });
        run = Some(if ascii_lower != 0 {
            (hash ^ u64::from(ascii_lower)).wrapping_mul(FNV_PRIME)
        } else {
            hash_lower_case(hash, c)
        });
    }
    hashes.extend(run);
    count
}

/// For each ASCII byte, its lower case if it is a letter or digit, else 0.
const ASCII_WORD_BYTES: [u8; 128] = {
    let mut table = [0; 128];
    let mut byte: u8 = 0;
    while byte < 128 {
        if byte.is_ascii_alphanumeric() {
            table[byte as usize] = byte.to_ascii_lowercase();
        }
        byte += 1;
    }
    table
};

/// The character at byte `at` (a boundary) and its width; ASCII undecoded.
fn char_at(text: &str, at: usize) -> (char, usize) {
    match text.as_bytes()[at] {
        byte if byte.is_ascii() => (char::from(byte), 1),
        _ => {
            let c = text[at..]
                .chars()
                .next()
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            (c, c.len_utf8())
        }
    }
}

/// Calls `run(start, end)` with the byte range of each maximal run of
/// word characters, in order: ASCII ones as `ascii` says, others as
/// `is_part` does.
pub(crate) fn for_each_run(
    text: &str,
    ascii: &[bool; 128],
    is_part: impl Fn(char) -> bool,
    mut run: impl FnMut(usize, usize),
) {
    let bytes = text.as_bytes();
    // Whether the character at `at` is a word character, and its width.
    let part_at = |at: usize| match ascii.get(usize::from(bytes[at])) {
        Some(&part) => (part, 1),
        None => {
            let (c, width) = char_at(text, at);
            (is_part(c), width)
        }
    };
    let mut at = 0;
    while at < bytes.len() {
        let (part, width) = part_at(at);
        at += width;
        if !part {
            continue;
        }
        let start = at - width;
        while at < bytes.len() {
            let (part, width) = part_at(at);
            if !part {
                break;
            }
            at += width;
        }
        run(start, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_words_count_as_split_whitespace_and_hash_as_lower_case_runs() {
        for text in [
            "Hello,  world -- 42 times\tover\x0bthere\x0c!",
            " leading and trailing ",
            "",
            "- - -",
            "U.S. and Kim Jong-un’s “deal”",
            "Größe und MASS, ΣΟΦΊΑ\u{a0}Nord\u{2009}Korea",
        ] {
            let words = BodyWords::of_body([text]);
            let expected = text
                .split_whitespace()
                .filter(|t| t.chars().any(char::is_alphanumeric))
                .count();
            assert_eq!(words.count, expected, "{text:?}");
            let runs: Vec<u64> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(word_hash)
                .collect();
            assert_eq!(words.body, runs, "{text:?}");
        }
        assert_eq!(word_hash("MASS"), word_hash("mass"));
        assert_eq!(word_hash("Größe"), word_hash("größe"));
        assert_eq!(word_hash("ΣΟΦΊΑ"), word_hash("σοφία"));
        assert_ne!(word_hash("größe"), word_hash("grösse"));
    }

    #[test]
    fn runs_match_splitting_on_the_other_characters() {
        for text in [
            "",
            "plain words, and-dashes; it's",
            "  ünïcödé Wörter — “quoted” Πιονγκγιάνγκ 北朝鮮 end",
            "é",
            "trailing run",
            "-leading and trailing-",
        ] {
            for is_part in [char::is_alphanumeric, |c: char| {
                c.is_alphanumeric() || c == '-'
            }] {
                let ascii = std::array::from_fn(|byte| is_part(char::from(byte as u8)));
                let mut runs = Vec::new();
                for_each_run(text, &ascii, is_part, |start, end| {
                    runs.push(&text[start..end]);
                });
                let split: Vec<&str> = text
                    .split(|c| !is_part(c))
                    .filter(|w| !w.is_empty())
                    .collect();
                assert_eq!(runs, split, "{text:?}");
            }
        }
    }
}
