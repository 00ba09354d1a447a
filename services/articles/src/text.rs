//! Words, split once per text, and the body's words as hashes for the word
//! count, the fingerprint and the topic keywords.
//!
//! Enrichment and fingerprinting walk every character of every page;
//! decoding each one to a `char`, and splitting the text again for each of
//! them, was most of their cost. Two passes remain, ASCII by table and the
//! rest decoded: one splits words for the rules, one hashes the body.

/// True for the characters of a word: letters, digits, `-`, `'` and `’`
/// (possessive `'s` stays attached, which keeps "Russia's" out of name runs).
pub fn is_word_part(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '\'' || c == '’'
}

/// [`is_word_part`] for each ASCII character.
const ASCII_WORD_PARTS: [bool; 128] = {
    let mut table = [false; 128];
    let mut byte: u8 = 0;
    while byte < 128 {
        table[byte as usize] = byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'\'';
        byte += 1;
    }
    table
};

/// For each ASCII byte, its lower case if it is a letter or digit, else 0.
const ASCII_LOWER_ALPHANUMERIC: [u8; 128] = {
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

/// Calls `run(start, end)` with the byte range of each word of `text`
/// ([`is_word_part`] characters), in order.
pub fn for_each_word(text: &str, mut run: impl FnMut(usize, usize)) {
    let bytes = text.as_bytes();
    // Whether the character at `at` is a word character, and its width.
    let part_at = |at: usize| match ASCII_WORD_PARTS.get(usize::from(bytes[at])) {
        Some(&part) => (part, 1),
        None => {
            let (c, width) = char_at(text, at);
            (is_word_part(c), width)
        }
    };
    let mut at = 0;
    while at < bytes.len() {
        let (part, width) = part_at(at);
        if !part {
            at += width;
            continue;
        }
        let start = at;
        at += width;
        while at < bytes.len() {
            match part_at(at) {
                (true, width) => at += width,
                (false, _) => break,
            }
        }
        run(start, at);
    }
}

/// The page's runs of letters and digits (`Jong-un` is two) as
/// [`word_hash`]es, and the body's word count. One pass of its own over the
/// text: deriving them from the split words cost more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WordHashes {
    /// The paragraphs', then the subheadings', in order.
    pub body: Vec<u64>,
    /// The title's.
    pub title: Vec<u64>,
    /// Whitespace-separated words of the paragraphs and subheadings that
    /// hold a letter or digit: what a reader counts as words (`U.S.` is one
    /// word here, two in `body`).
    pub count: usize,
}

impl WordHashes {
    /// Hashes body texts alone (no title).
    pub fn of_body<'a>(parts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut hashes = WordHashes::default();
        for part in parts {
            hashes.add_body(part);
        }
        hashes
    }

    /// Adds a paragraph or subheading.
    pub fn add_body(&mut self, text: &str) {
        self.count += scan(text, &mut self.body);
    }

    /// Adds the title.
    pub fn add_title(&mut self, text: &str) {
        scan(text, &mut self.title);
    }
}

/// The hash of a word as the page's words are hashed: FNV-1a (64 bits) of
/// its lower-cased UTF-8. Computed byte by byte as the words are read, so no
/// lower-cased copy is made; a word-level collision is a 2^-64 event.
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

/// Appends the hashes of `text`'s runs of letters and digits to `hashes`;
/// returns how many whitespace-separated words hold one: the first run
/// after whitespace (or the start) begins such a word.
fn scan(text: &str, hashes: &mut Vec<u64>) -> usize {
    let bytes = text.as_bytes();
    let (mut at, mut count) = (0, 0);
    // Whether whitespace (or the start) came since the last run.
    let mut after_space = true;
    while at < bytes.len() {
        // Between runs: ASCII by table, the rest decoded.
        if let Some(&lower) = ASCII_LOWER_ALPHANUMERIC.get(usize::from(bytes[at])) {
            if lower == 0 {
                // Unicode's whitespace within ASCII: ASCII's and vertical tab.
                after_space |= bytes[at].is_ascii_whitespace() || bytes[at] == 0x0b;
                at += 1;
                continue;
            }
        } else {
            let (c, width) = char_at(text, at);
            if !c.is_alphanumeric() {
                after_space |= c.is_whitespace();
                at += width;
                continue;
            }
        }
        count += usize::from(after_space);
        after_space = false;
        // A run: ASCII by table, the rest decoded.
        let mut hash = FNV_OFFSET;
        while let Some(&byte) = bytes.get(at) {
            match ASCII_LOWER_ALPHANUMERIC.get(usize::from(byte)) {
                Some(0) => break,
                Some(&lower) => {
                    hash = (hash ^ u64::from(lower)).wrapping_mul(FNV_PRIME);
                    at += 1;
                }
                None => {
                    let (c, width) = char_at(text, at);
                    if !c.is_alphanumeric() {
                        break;
                    }
                    hash = hash_lower_case(hash, c);
                    at += width;
                }
            }
        }
        hashes.push(hash);
    }
    count
}

/// The character at byte `at` (a boundary) and its width; ASCII undecoded.
#[inline]
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

#[cfg(test)]
mod tests {
    use super::*;

    const TEXTS: [&str; 7] = [
        "Hello,  world -- 42 times\tover\x0bthere\x0c!",
        " leading and trailing ",
        "",
        "- - -",
        "U.S. and Kim Jong-un’s “deal”, it's",
        "Größe und MASS, ΣΟΦΊΑ\u{a0}Nord\u{2009}Korea",
        "-leading and trailing- 北朝鮮 end",
    ];

    #[test]
    fn words_are_runs_of_word_parts() {
        for text in TEXTS {
            let mut words = Vec::new();
            for_each_word(text, |start, end| words.push(&text[start..end]));
            let split: Vec<&str> = text
                .split(|c| !is_word_part(c))
                .filter(|w| !w.is_empty())
                .collect();
            assert_eq!(words, split, "{text:?}");
        }
        for byte in 0..128u8 {
            assert_eq!(
                ASCII_WORD_PARTS[usize::from(byte)],
                is_word_part(char::from(byte))
            );
        }
    }

    #[test]
    fn hashes_are_of_lower_case_runs_and_the_count_is_split_whitespace() {
        for text in TEXTS {
            let hashes = WordHashes::of_body([text]);
            let expected = text
                .split_whitespace()
                .filter(|t| t.chars().any(char::is_alphanumeric))
                .count();
            assert_eq!(hashes.count, expected, "{text:?}");
            let runs: Vec<u64> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(word_hash)
                .collect();
            assert_eq!(hashes.body, runs, "{text:?}");
        }
        assert_eq!(word_hash("MASS"), word_hash("mass"));
        assert_eq!(word_hash("Größe"), word_hash("größe"));
        assert_eq!(word_hash("ΣΟΦΊΑ"), word_hash("σοφία"));
        assert_ne!(word_hash("größe"), word_hash("grösse"));
    }
}
