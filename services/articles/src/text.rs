//! Words, split once per text, each with what it holds, and the hashes of
//! their runs of letters and digits for the word count, the fingerprint
//! and the topic keywords.
//!
//! Enrichment and fingerprinting read every character of every page, so
//! the text is walked once: ASCII by table, the rest decoded. Each word's
//! runs are hashed as the word is split off.
//!
//! The word hash is persisted: it feeds the published `fingerprint` and
//! the story index in the dedupe stage's changelog. Its values are pinned
//! by tests; a change to it is a new story format
//! ([`crate::dedupe::STORY_FORMAT`]).

/// True for the characters of a word: letters, digits, `-`, `'` and `’`
/// (possessive `'s` stays attached, which keeps "Russia's" out of name runs).
pub fn is_word_part(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '\'' || c == '’'
}

/// What a word holds besides ASCII letters and digits, and whether
/// whitespace comes before it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WordKind(u8);

impl WordKind {
    /// A word part that is no letter or digit: `-`, `'` or `’`.
    const JOINER: u8 = 1;
    /// A character beyond ASCII.
    const NON_ASCII: u8 = 2;
    /// Whitespace, or the start of the text, between this word and the last.
    const AFTER_SPACE: u8 = 4;

    /// ASCII letters and digits only: one run, lower-cased byte by byte.
    pub fn is_plain(self) -> bool {
        self.0 & !Self::AFTER_SPACE == 0
    }

    /// Whitespace, or the start of the text, comes between this word and the
    /// one before: it begins a word as a reader counts them.
    pub fn after_space(self) -> bool {
        self.0 & Self::AFTER_SPACE != 0
    }

    /// Holds `-`, `'` or `’`: names may start inside it (`pro-Russian`).
    pub fn has_joiner(self) -> bool {
        self.0 & Self::JOINER != 0
    }
}

/// [`BYTE_CLASS`] of a byte that is no word part (a bit of it).
const NOT_PART: u8 = 0x80;
/// [`BYTE_CLASS`] of whitespace, also no word part.
const SPACE: u8 = NOT_PART | 0x20;
/// [`BYTE_CLASS`] of a byte of a character beyond ASCII, decoded to classify.
const DECODE: u8 = 0x40;

/// For each byte: the [`WordKind`] bits of an ASCII word part (0 for
/// letters and digits), [`SPACE`], [`NOT_PART`], or [`DECODE`].
const BYTE_CLASS: [u8; 256] = {
    let mut table = [NOT_PART; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = if !b.is_ascii() {
            DECODE
        } else if b.is_ascii_alphanumeric() {
            0
        } else if b == b'-' || b == b'\'' {
            WordKind::JOINER
        } else if matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ') {
            SPACE
        } else {
            NOT_PART
        };
        byte += 1;
    }
    table
};

/// Calls `word(start, end, kind)` with the byte range of each word of
/// `text` ([`is_word_part`] characters) and what it holds, in order.
pub fn for_each_word(text: &str, mut word: impl FnMut(usize, usize, WordKind)) {
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut space = WordKind::AFTER_SPACE;
    while let Some(&byte) = bytes.get(at) {
        let (class, width) = match BYTE_CLASS[usize::from(byte)] {
            DECODE => decoded_class(text, at),
            class => (class, 1),
        };
        at += width;
        if class & NOT_PART != 0 {
            if class == SPACE {
                space = WordKind::AFTER_SPACE;
            }
            continue;
        }
        let start = at - width;
        let mut kind = class;
        loop {
            // ASCII letters and digits, the bulk of a word.
            while bytes
                .get(at)
                .is_some_and(|&b| BYTE_CLASS[usize::from(b)] == 0)
            {
                at += 1;
            }
            let Some(&byte) = bytes.get(at) else {
                break;
            };
            let (class, width) = match BYTE_CLASS[usize::from(byte)] {
                DECODE => decoded_class(text, at),
                class => (class, 1),
            };
            if class & NOT_PART != 0 {
                break;
            }
            kind |= class;
            at += width;
        }
        word(start, at, WordKind(kind | space));
        space = 0;
    }
}

/// The [`BYTE_CLASS`] of the character beyond ASCII at `at`, and its width.
fn decoded_class(text: &str, at: usize) -> (u8, usize) {
    let (c, width) = char_at(text, at);
    let class = if c.is_alphanumeric() {
        WordKind::NON_ASCII
    } else if is_word_part(c) {
        WordKind::NON_ASCII | WordKind::JOINER
    } else if c.is_whitespace() {
        SPACE
    } else {
        NOT_PART
    };
    (class, width)
}

/// The page's runs of letters and digits (`Jong-un` is two) as
/// [`word_hash`]es, and the body's word count.
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
            let mut text_hashes = TextHashes::new(part, &mut hashes.body);
            for_each_word(part, |start, end, kind| {
                text_hashes.add(start, end, kind);
            });
            hashes.count += text_hashes.count;
        }
        hashes
    }
}

/// Hashes one text's words as [`for_each_word`] splits them, and counts
/// them as a reader does.
pub struct TextHashes<'t, 'h> {
    text: &'t str,
    hashes: &'h mut Vec<u64>,
    /// Whitespace-separated words that hold a letter or digit, so far.
    pub count: usize,
    /// Whether whitespace (or the start of the text) came after the last
    /// word counted.
    after_space: bool,
}

impl<'t, 'h> TextHashes<'t, 'h> {
    /// Appends the hashes of `text`'s runs to `hashes`.
    pub fn new(text: &'t str, hashes: &'h mut Vec<u64>) -> Self {
        TextHashes {
            text,
            hashes,
            count: 0,
            after_space: false,
        }
    }

    /// Adds the word at `start..end` of the text (the next one in order):
    /// the hash of each of its runs of letters and digits.
    pub fn add(&mut self, start: usize, end: usize, kind: WordKind) {
        self.after_space |= kind.after_space();
        let before = self.hashes.len();
        let word = &self.text[start..end];
        if kind.is_plain() {
            // Most words of a page: no decoding, no runs to split.
            self.hashes.push(plain_word_hash(word.as_bytes()));
            self.count += usize::from(self.after_space);
            self.after_space = false;
            return;
        }
        let mut run: Option<RunHasher> = None;
        for c in word.chars() {
            if c.is_alphanumeric() {
                run.get_or_insert_with(RunHasher::new).push_lower_case(c);
            } else if let Some(done) = run.take() {
                self.hashes.push(done.finish());
            }
        }
        if let Some(done) = run {
            self.hashes.push(done.finish());
        }
        if self.after_space && self.hashes.len() > before {
            self.count += 1;
            self.after_space = false;
        }
    }
}

/// The hash of a word as the page's runs are hashed: of its lower-cased
/// UTF-8, eight bytes at a time, then a finaliser that spreads every bit
/// (the fingerprint's shingles rely on uniform word hashes). Persisted:
/// see the module doc.
pub fn word_hash(word: &str) -> u64 {
    let mut run = RunHasher::new();
    for c in word.chars() {
        run.push_lower_case(c);
    }
    run.finish()
}

const SEED: u64 = 0x243f_6a88_85a3_08d3;

/// One eight-byte lane into the hash: a bijection of the lane for a given
/// state, so words of up to eight bytes never collide.
#[inline]
fn step(hash: u64, lane: u64) -> u64 {
    (hash.rotate_left(23) ^ lane).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// splitmix64's finaliser, with the length so that zero padding counts.
#[inline]
fn finish(hash: u64, len: usize) -> u64 {
    let mut x = hash ^ len as u64;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// [`word_hash`] of a word of ASCII letters and digits only, eight bytes
/// at a time: setting bit 5 of such a byte lower-cases a letter and leaves
/// a digit as it is.
fn plain_word_hash(word: &[u8]) -> u64 {
    let mut hash = SEED;
    for chunk in word.chunks(8) {
        let mut lane = [0; 8];
        lane[..chunk.len()].copy_from_slice(chunk);
        let lower_case = 0x2020_2020_2020_2020 >> (8 * (8 - chunk.len()));
        hash = step(hash, u64::from_le_bytes(lane) | lower_case);
    }
    finish(hash, word.len())
}

/// [`word_hash`], a byte of the lower-cased run at a time.
struct RunHasher {
    hash: u64,
    lane: u64,
    in_lane: u32,
    len: usize,
}

impl RunHasher {
    fn new() -> Self {
        RunHasher {
            hash: SEED,
            lane: 0,
            in_lane: 0,
            len: 0,
        }
    }

    fn push_lower_case(&mut self, c: char) {
        if c.is_ascii() {
            self.push(c.to_ascii_lowercase() as u8);
            return;
        }
        let mut buffer = [0; 4];
        for lower in c.to_lowercase() {
            for &byte in lower.encode_utf8(&mut buffer).as_bytes() {
                self.push(byte);
            }
        }
    }

    fn push(&mut self, byte: u8) {
        self.lane |= u64::from(byte) << (8 * self.in_lane);
        self.in_lane += 1;
        self.len += 1;
        if self.in_lane == 8 {
            self.hash = step(self.hash, self.lane);
            (self.lane, self.in_lane) = (0, 0);
        }
    }

    fn finish(self) -> u64 {
        let mut hash = self.hash;
        if self.in_lane > 0 {
            hash = step(hash, self.lane);
        }
        finish(hash, self.len)
    }
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
            let mut last_end = 0;
            for_each_word(text, |start, end, kind| {
                let word = &text[start..end];
                assert_eq!(
                    kind.is_plain(),
                    word.bytes().all(|b| b.is_ascii_alphanumeric())
                );
                assert_eq!(kind.has_joiner(), word.contains(['-', '\'', '’']));
                assert_eq!(
                    kind.after_space(),
                    words.is_empty() || text[last_end..start].contains(char::is_whitespace),
                    "{text:?} {word:?}"
                );
                words.push(word);
                last_end = end;
            });
            let split: Vec<&str> = text
                .split(|c| !is_word_part(c))
                .filter(|w| !w.is_empty())
                .collect();
            assert_eq!(words, split, "{text:?}");
        }
        for byte in 0..128u8 {
            let class = BYTE_CLASS[usize::from(byte)];
            assert_eq!(class & NOT_PART == 0, is_word_part(char::from(byte)));
            assert_eq!(class == SPACE, char::from(byte).is_whitespace());
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

    #[test]
    fn the_word_hash_is_pinned() {
        // Persisted in fingerprints and the story changelog: these values
        // change only with a new story format (crate::dedupe::STORY_FORMAT).
        let pinned: [(&str, u64); 9] = [
            ("north", 0xf4cc0b8dcb211e0b),
            ("Korea", 0xccefe9c7a83bf4bc),
            ("ratifies", 0x96bea44e7190c949),
            ("a", 0x487ea8d2b5b0a1e8),
            ("Größe", 0x829dbed46c15d63c),
            ("ΣΟΦΊΑ", 0xe0a0fec1b967d31d),
            ("北朝鮮", 0x4cdf2d6ff6da0666),
            ("abcdefghijklmnopq", 0x71d979063ed761e3),
            ("12345678", 0xba844ecc8059ffcc),
        ];
        for (word, hash) in pinned {
            assert_eq!(word_hash(word), hash, "{word}");
            assert_eq!(WordHashes::of_body([word]).body, [hash], "{word}");
        }
        assert_eq!(
            WordHashes::of_body(["defence-treaty"]).body,
            [0x638ef2dfc4551a1d, 0xeeb5fc8e091263eb],
            "a joiner splits runs"
        );
        let letters = "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
        let hashes: std::collections::HashSet<u64> = (1..=letters.len())
            .map(|len| word_hash(&letters[..len]))
            .chain(["b", "ba", "aa", "a0", "zz", "0"].map(word_hash))
            .collect();
        assert_eq!(hashes.len(), letters.len() + 6, "no collisions among these");
        for len in 1..=letters.len() {
            let word = &letters[..len];
            assert_eq!(plain_word_hash(word.as_bytes()), word_hash(word), "{word}");
        }
    }
}
