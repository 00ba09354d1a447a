//! Enrichment of a parsed page: language, length, entities, quotes,
//! instruments and topics. Gazetteers and rules ship in `data/`; no model is
//! downloaded. Names (countries, people, organisations, instruments) are
//! matched by one aho-corasick automaton, walked from where words begin
//! (longest match, whole words); topic keywords, single words, by the
//! hashes of the page's words ([`PageWords`]).

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};
use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use tickertape_market::instruments::Catalog;

use crate::page::Page;
use crate::text::{for_each_word, TextHashes, WordHashFilter, WordHashes, WordKind};

/// Words read per minute, for `reading_time_s` (adult silent reading of
/// non-fiction is about 230 wpm).
const WORDS_PER_MINUTE: usize = 230;

/// How much of the body language detection reads, at most.
const LANGUAGE_SAMPLE_BYTES: usize = 240;

/// Entities named in the text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entities {
    /// ISO 3166-1 alpha-2 codes, in order of first mention.
    pub countries: Vec<String>,
    /// People, canonical names, in order of first mention.
    pub people: Vec<String>,
    /// Organisations, canonical names (acronyms resolved), in order of first mention.
    pub organizations: Vec<String>,
}

/// A quotation and who said it, where the text says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The words inside the quotation marks.
    pub text: String,
    /// The speaker's canonical name, or null when the text does not attribute it.
    pub speaker: Option<String>,
}

/// A company or instrument mentioned in the text (not the page's strip).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentMention {
    /// Ticker symbol from the reference data.
    pub symbol: String,
    /// The instrument's name.
    pub name: String,
    /// Venue MIC.
    pub mic: String,
    /// The words that matched.
    pub matched: String,
}

/// An IPTC Media Topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    /// IPTC Media Topics code, e.g. `16000000`.
    pub code: String,
    /// Its English label.
    pub label: String,
}

/// Everything enrichment adds to a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrichment {
    /// ISO 639-1 code, or `und` when undetermined.
    pub language: String,
    /// Words in the paragraphs and subheadings.
    pub word_count: usize,
    /// Reading time at 230 words a minute, rounded up.
    pub reading_time_s: usize,
    /// Named entities.
    pub entities: Entities,
    /// Quotations.
    pub quotes: Vec<Quote>,
    /// Instruments mentioned.
    pub instruments: Vec<InstrumentMention>,
    /// Topics.
    pub topics: Vec<Topic>,
}

/// What a name in the gazetteers stands for (a name may stand for several).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Known {
    Country(String),
    Person(String),
    Organization(String),
    /// An instrument's symbol, for a company name or alias of the catalog.
    Instrument(String),
}

/// The gazetteers, compiled once and shared.
pub struct Enricher {
    /// Every name: countries (names, demonyms, capitals), people,
    /// organisations and instruments, in one automaton. Names are whole
    /// words, so it is only run from where a word can begin (see
    /// [`Enricher::name_at`]), anchored. Where names overlap, the longest
    /// wins: "British American Tobacco" is the company, not Britain and
    /// America.
    names: DFA,
    names_start: StateID,
    /// A bit for each two bytes some name begins with: most words begin
    /// with none, and are ruled out without walking the automaton.
    name_beginnings: Vec<u64>,
    meaning_of_pattern: Vec<Vec<Known>>,
    /// Topic keywords by [`crate::text::word_hash`], each to its pattern index.
    topic_keywords: FxHashMap<u64, usize>,
    /// The keywords' hashes: most words of a page are ruled out by one bit
    /// test, not a table look-up.
    topic_filter: WordHashFilter,
    topic_of_pattern: Vec<usize>,
    topic_labels: Vec<Topic>,
    catalog: Catalog,
    cyrillic: whatlang::Detector,
}

/// Titles that introduce a person's name.
const TITLES: &[&str] = &[
    "President",
    "Prime Minister",
    "Foreign Minister",
    "Defence Minister",
    "Defense Minister",
    "Finance Minister",
    "Minister",
    "Chancellor",
    "leader",
    "Leader",
    "Secretary-General",
    "Secretary",
    "Senator",
    "Governor",
    "General",
    "King",
    "Queen",
    "Pope",
    "Premier",
    "Ambassador",
    "spokesman",
    "spokeswoman",
    "Präsident",
    "Kanzler",
    "Außenministerin",
    "Außenminister",
    "Machthaber",
    "Président",
    "Presidente",
];

/// What a word can be to the rules. The rules ask about every word of a
/// page, so each word is looked up once, in one table, when it is split off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Roles {
    /// The last word of some title (`Minister` of `Prime Minister`).
    ends_title: bool,
    /// A verb that attributes speech.
    speech_verb: bool,
    /// The last word of such a verb of several words (`déclaré` of `a déclaré`).
    ends_long_speech_verb: bool,
    /// Marks a capitalised run as an organisation.
    org_keyword: bool,
    /// A small word allowed inside an organisation's name.
    org_connector: bool,
    /// Capitalised, but never a name.
    not_name: bool,
}

/// The tables are fixed and small and their keys short: FxHash, the
/// fastest hash for them, and no input can grow them (which is what a
/// seeded hash guards against).
struct RuleWords {
    titles_by_last_word: FxHashMap<&'static str, Vec<&'static str>>,
    /// By [`short_key`] for words of up to 16 bytes (all but two), by
    /// text for longer ones.
    roles: FxHashMap<u128, Roles>,
    long_roles: FxHashMap<&'static str, Roles>,
    /// By a word's first byte, a bit for each length (31 for longer) that
    /// some rule word of that first byte has; likewise by its last byte.
    /// Most words of a page have no role, and these rule out four in five
    /// of them without a hash look-up.
    lengths_by_first_byte: [u32; 256],
    lengths_by_last_byte: [u32; 256],
    /// The rule words' hashes: for the plain words whose hash is at hand,
    /// a sharper filter still.
    hashes: WordHashFilter,
}

/// The bit of [`RuleWords::lengths_by_first_byte`] for a word's length.
fn length_bit(word: &str) -> u32 {
    1 << word.len().min(31)
}

static RULE_WORDS: LazyLock<RuleWords> = LazyLock::new(|| {
    let mut titles_by_last_word: FxHashMap<&'static str, Vec<&'static str>> = FxHashMap::default();
    let mut roles: FxHashMap<&'static str, Roles> = FxHashMap::default();
    for title in TITLES {
        let last = title.rsplit(' ').next().unwrap_or(title);
        titles_by_last_word.entry(last).or_default().push(title);
        roles.entry(last).or_default().ends_title = true;
    }
    for verb in SPEECH_VERBS {
        match verb.rsplit_once(' ') {
            Some((_, last)) => roles.entry(last).or_default().ends_long_speech_verb = true,
            None => roles.entry(verb).or_default().speech_verb = true,
        }
    }
    for keyword in ORG_KEYWORDS {
        roles.entry(keyword).or_default().org_keyword = true;
    }
    for connector in ORG_CONNECTORS {
        roles.entry(connector).or_default().org_connector = true;
    }
    for word in NOT_NAMES {
        roles.entry(word).or_default().not_name = true;
    }
    let (mut lengths_by_first_byte, mut lengths_by_last_byte) = ([0; 256], [0; 256]);
    let mut hashes = WordHashFilter::default();
    for word in roles.keys() {
        hashes.insert(crate::text::word_hash(word));
        let bytes = word.as_bytes();
        lengths_by_first_byte[usize::from(bytes[0])] |= length_bit(word);
        lengths_by_last_byte[usize::from(bytes[bytes.len() - 1])] |= length_bit(word);
    }
    let (mut long_roles, mut short_roles) = (FxHashMap::default(), FxHashMap::default());
    for (word, word_roles) in roles {
        match short_key(word) {
            Some(key) => short_roles.insert(key, word_roles),
            None => long_roles.insert(word, word_roles),
        };
    }
    RuleWords {
        titles_by_last_word,
        roles: short_roles,
        long_roles,
        lengths_by_first_byte,
        lengths_by_last_byte,
        hashes,
    }
});

/// What `word` can be to the rules. The filter is inline (it is all most
/// words need); the table look-up is a call of its own.
#[inline]
fn roles_of(word: &str) -> Roles {
    let rule_words = &*RULE_WORDS;
    let (Some(&first), Some(&last)) = (word.as_bytes().first(), word.as_bytes().last()) else {
        return Roles::default();
    };
    let length = length_bit(word);
    if rule_words.lengths_by_first_byte[usize::from(first)] & length == 0
        || rule_words.lengths_by_last_byte[usize::from(last)] & length == 0
    {
        return Roles::default();
    }
    looked_up_roles(rule_words, word)
}

/// [`roles_of`] a word of ASCII letters and digits whose
/// [`crate::text::word_hash`] is `hash`.
#[inline]
fn roles_of_plain(rule_words: &RuleWords, word: &str, hash: u64) -> Roles {
    if !rule_words.hashes.may_contain(hash) {
        return Roles::default();
    }
    looked_up_roles(rule_words, word)
}

#[inline(never)]
fn looked_up_roles(rule_words: &RuleWords, word: &str) -> Roles {
    match short_key(word) {
        Some(key) => rule_words.roles.get(&key),
        None => rule_words.long_roles.get(word),
    }
    .copied()
    .unwrap_or_default()
}

/// A word of at most 16 bytes as one integer, zero-padded (words hold no
/// NUL): hashing and comparing it is a few instructions, a string's is a
/// loop and a call.
fn short_key(word: &str) -> Option<u128> {
    let bytes = word.as_bytes();
    (bytes.len() <= 16).then(|| {
        bytes
            .iter()
            .rev()
            .fold(0, |key, &byte| key << 8 | u128::from(byte))
    })
}

/// Verbs that attribute speech.
const SPEECH_VERBS: &[&str] = &[
    "said",
    "says",
    "added",
    "told",
    "stated",
    "explained",
    "warned",
    "noted",
    "wrote",
    "declared",
    "sagte",
    "erklärte",
    "betonte",
    "fügte",
    "a déclaré",
    "dijo",
];

/// Words that mark a run of capitalised words as an organisation.
const ORG_KEYWORDS: &[&str] = &[
    "Agency",
    "Institute",
    "Ministry",
    "Bank",
    "Council",
    "University",
    "Organization",
    "Organisation",
    "Fund",
    "Group",
    "Company",
    "Association",
    "Committee",
    "Commission",
    "Office",
    "Party",
    "Corporation",
    "Authority",
    "Court",
    "Foundation",
    "Center",
    "Centre",
    "Agentur",
    "Institut",
    "Ministerium",
    "Nachrichtenagentur",
];

/// Small words allowed inside an organisation's name.
const ORG_CONNECTORS: &[&str] = &[
    "for", "of", "the", "and", "on", "für", "de", "des", "du", "la",
];

/// Capitalised words that begin sentences but are not names.
const NOT_NAMES: &[&str] = &[
    "The",
    "A",
    "An",
    "In",
    "On",
    "At",
    "It",
    "He",
    "She",
    "They",
    "We",
    "This",
    "That",
    "But",
    "And",
    "Der",
    "Die",
    "Das",
    "Le",
    "La",
    "Les",
    "El",
    "When",
    "While",
    "With",
    "Citing",
    "Tuesday",
    "Monday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl Enricher {
    /// The enricher built from the gazetteers shipped in `data/`.
    pub fn builtin() -> Self {
        Self::new(
            include_str!("../data/countries.tsv"),
            include_str!("../data/people.tsv"),
            include_str!("../data/organizations.tsv"),
            include_str!("../data/topics.tsv"),
            Catalog::builtin(),
        )
    }

    /// Builds an enricher from gazetteers in the TSV format of `data/`.
    pub fn new(
        countries: &str,
        people: &str,
        organizations: &str,
        topics: &str,
        catalog: Catalog,
    ) -> Self {
        let mut by_pattern: HashMap<String, Vec<Known>> = HashMap::new();
        for (code, variants) in tsv_rows(countries) {
            for variant in variants {
                by_pattern
                    .entry(variant)
                    .or_default()
                    .push(Known::Country(code.clone()));
            }
        }
        for (name, aliases) in tsv_rows(people) {
            by_pattern
                .entry(name.clone())
                .or_default()
                .push(Known::Person(name.clone()));
            for alias in aliases {
                by_pattern
                    .entry(alias)
                    .or_default()
                    .push(Known::Person(name.clone()));
            }
        }
        for (name, aliases) in tsv_rows(organizations) {
            by_pattern
                .entry(name.clone())
                .or_default()
                .push(Known::Organization(name.clone()));
            for alias in aliases {
                by_pattern
                    .entry(alias)
                    .or_default()
                    .push(Known::Organization(name.clone()));
            }
        }
        for listing in catalog.listings() {
            for alias in &listing.aliases {
                let meanings = by_pattern.entry(alias.clone()).or_default();
                let instrument = Known::Instrument(listing.symbol.clone());
                if !meanings.contains(&instrument) {
                    meanings.push(instrument);
                }
            }
        }
        let mut patterns: Vec<String> = by_pattern.keys().cloned().collect();
        patterns.sort();
        let meaning_of_pattern = patterns.iter().map(|p| by_pattern[p].clone()).collect();
        let names = DFA::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(&patterns)
            .expect("gazetteer patterns compile");
        let names_start = names
            .start_state(Anchored::Yes)
            .expect("the automaton is built for anchored searches");
        let mut name_beginnings = vec![0; (1 << 16) / 64];
        for pattern in &patterns {
            let (first, second) = match pattern.as_bytes() {
                [first, second, ..] => (*first, Some(*second)),
                [first] => (*first, None),
                [] => continue,
            };
            // A one-byte name begins with its byte and anything after it.
            for second in second.map_or(0..=255, |second| second..=second) {
                let key = usize::from(first) << 8 | usize::from(second);
                name_beginnings[key / 64] |= 1 << (key % 64);
            }
        }

        let mut topic_patterns = Vec::new();
        let mut topic_of_pattern = Vec::new();
        let mut topic_labels = Vec::new();
        for line in topics
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let mut fields = line.split('\t');
            let (Some(code), Some(label), Some(keywords)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            for keyword in keywords.split('|').filter(|k| !k.is_empty()) {
                topic_patterns.push(keyword.to_owned());
                topic_of_pattern.push(topic_labels.len());
            }
            topic_labels.push(Topic {
                code: code.to_owned(),
                label: label.to_owned(),
            });
        }
        // Keywords are single words, matched as the page's lower-cased
        // words are: by hash.
        let topic_keywords = topic_patterns
            .iter()
            .enumerate()
            .map(|(pattern, keyword)| {
                // Hashed by the very scan that hashes pages.
                let [hash] = WordHashes::of_body([keyword.as_str()]).body[..] else {
                    panic!("topic keyword {keyword:?} is not one word");
                };
                (hash, pattern)
            })
            .collect::<FxHashMap<u64, usize>>();
        let mut topic_filter = WordHashFilter::default();
        for &hash in topic_keywords.keys() {
            topic_filter.insert(hash);
        }

        // Cyrillic text is the one case whichlang cannot split (it knows
        // Russian, not Ukrainian): whatlang decides between the two.
        let cyrillic =
            whatlang::Detector::with_allowlist(vec![whatlang::Lang::Rus, whatlang::Lang::Ukr]);
        Enricher {
            names,
            names_start,
            name_beginnings,
            meaning_of_pattern,
            topic_keywords,
            topic_filter,
            topic_of_pattern,
            topic_labels,
            catalog,
            cyrillic,
        }
    }

    /// Enriches a parsed page, given its words ([`PageWords::of`] the page).
    /// `day` picks the instrument listings valid then.
    pub fn enrich(&self, page: &Page, words: &PageWords<'_>, day: NaiveDate) -> Enrichment {
        let word_count = words.hashes.count;

        let mut entities = Entities::default();
        let mut acronyms: HashMap<String, String> = HashMap::new();
        let mut instruments = Vec::new();
        for (text, text_words) in words.texts() {
            self.find_entities(
                text,
                text_words,
                &mut entities,
                &mut acronyms,
                &mut instruments,
            );
        }
        let instruments = self.listed(instruments, day);
        // The texts are the title, then the paragraphs.
        let paragraphs = page
            .paragraphs
            .iter()
            .zip(words.texts().skip(1).map(|(_, w)| w));
        let quotes = self.find_quotes(paragraphs, &entities, &acronyms);

        Enrichment {
            language: self.language_of(&page.paragraphs),
            word_count,
            reading_time_s: (word_count * 60).div_ceil(WORDS_PER_MINUTE),
            entities,
            quotes,
            instruments,
            topics: self.find_topics(&words.hashes),
        }
    }

    fn language_of(&self, paragraphs: &[String]) -> String {
        // The first words decide the language: a few hundred bytes of prose
        // are plenty, and detection costs per byte.
        let mut sample = String::with_capacity(2 * LANGUAGE_SAMPLE_BYTES);
        for paragraph in paragraphs {
            if sample.len() >= LANGUAGE_SAMPLE_BYTES {
                break;
            }
            sample.push_str(paragraph);
            sample.push(' ');
        }
        // Cut after the last whole word within the bound.
        let bound = (0..=LANGUAGE_SAMPLE_BYTES.min(sample.len()))
            .rev()
            .find(|&at| sample.is_char_boundary(at))
            .unwrap_or(0);
        let sample = match sample[..bound].rsplit_once(' ') {
            Some((words, _)) if bound < sample.len() => words,
            _ => &sample[..bound],
        };
        // whichlang (a linear model, ~4 µs) where it knows the script's
        // languages; whatlang's trigram profiles cost ~35 µs a page and are
        // kept for Cyrillic only. Greek has one language here.
        // ASCII letters are Latin script; whatlang would read every
        // character to say so.
        let script = if sample.is_ascii() {
            sample
                .bytes()
                .any(|b| b.is_ascii_alphabetic())
                .then_some(whatlang::Script::Latin)
        } else {
            whatlang::detect_script(sample)
        };
        let language = match script {
            None => "und",
            Some(whatlang::Script::Greek) => "el",
            Some(whatlang::Script::Cyrillic) => {
                self.cyrillic
                    .detect_lang(sample)
                    .map_or("und", |lang| match lang {
                        whatlang::Lang::Ukr => "uk",
                        _ => "ru",
                    })
            }
            Some(_) => iso_639_1(whichlang::detect_language(sample)),
        };
        language.to_owned()
    }

    fn find_entities<'a, 't>(
        &'a self,
        text: &'t str,
        words: &[Word<'t>],
        entities: &mut Entities,
        acronyms: &mut HashMap<String, String>,
        instruments: &mut Vec<(&'a str, &'t str)>,
    ) {
        let mut known_spans = Vec::new();
        for (start, end, pattern) in self.names_in(text, words) {
            for known in &self.meaning_of_pattern[pattern] {
                match known {
                    Known::Country(code) => push_new(&mut entities.countries, code),
                    Known::Person(name) => push_new(&mut entities.people, name),
                    Known::Organization(name) => push_new(&mut entities.organizations, name),
                    Known::Instrument(symbol) => {
                        instruments.push((symbol, &text[start..end]));
                        continue;
                    }
                }
                // Names the rules below must not find again.
                if known_spans.last() != Some(&(start, end)) {
                    known_spans.push((start, end));
                }
            }
        }
        let overlaps_known =
            |start: usize, end: usize| known_spans.iter().any(|&(s, e)| start < e && s < end);

        // People by rule: a title or "said", then two to four capitalised words.
        let rule_words = &*RULE_WORDS;
        for (index, word) in words.iter().enumerate() {
            let after_title = word.roles.ends_title
                && rule_words
                    .titles_by_last_word
                    .get(word.text)
                    .is_some_and(|titles| {
                        titles
                            .iter()
                            .any(|title| ends_with_words(text, words, index, title))
                    });
            let after_said = word.roles.speech_verb;
            if !(after_title || after_said) {
                continue;
            }
            let run = name_run(text, words, index + 1, 4);
            if run.len() < 2 {
                continue;
            }
            let (start, end) = (words[run.start].start, words[run.end - 1].end);
            if overlaps_known(start, end) {
                continue;
            }
            push_new(&mut entities.people, &text[start..end]);
        }

        // Organisations by rule: capitalised runs holding a keyword, with an
        // acronym in brackets after them when the text gives one.
        let mut index = 0;
        while index < words.len() {
            let Some(end) = org_run(text, words, index) else {
                index += 1;
                continue;
            };
            let (start_byte, end_byte) = (words[index].start, words[end - 1].end);
            let name = &text[start_byte..end_byte];
            let canonical = self
                .canonical_organization(name)
                .unwrap_or_else(|| name.to_owned());
            if !overlaps_known(start_byte, end_byte) {
                push_new(&mut entities.organizations, &canonical);
            }
            if let Some(acronym) = bracketed_acronym(&text[end_byte..]) {
                acronyms.insert(acronym.to_owned(), canonical.clone());
                if let Some(position) = entities.organizations.iter().position(|o| o == acronym) {
                    entities.organizations.remove(position);
                }
            }
            index = end;
        }
    }

    /// The gazetteers' names in a text whose words are `words`, in order,
    /// as (start, end, pattern). Names do not overlap.
    fn names_in(&self, text: &str, words: &[Word<'_>]) -> Vec<(usize, usize, usize)> {
        let mut names = Vec::new();
        for word in words {
            self.push_name_at(text, word.start, &mut names);
            // A name may also start inside a word, after `-`, `'` or `’`
            // (`pro-Russian`).
            if word.kind.has_joiner() {
                // The joiners are the word's parts that are no letter or digit.
                for (at, joiner) in word
                    .text
                    .char_indices()
                    .filter(|(_, c)| !c.is_alphanumeric())
                {
                    if at + joiner.len_utf8() < word.text.len() {
                        self.push_name_at(text, word.start + at + joiner.len_utf8(), &mut names);
                    }
                }
            }
        }
        names
    }

    /// Adds to `names` the name at `start`, if one is there and the last
    /// one found ends before it.
    #[inline(always)]
    fn push_name_at(&self, text: &str, start: usize, names: &mut Vec<(usize, usize, usize)>) {
        if names.last().is_some_and(|&(_, end, _)| start < end)
            || !self.may_begin_name(&text.as_bytes()[start..])
        {
            return;
        }
        if let Some((pattern, end)) = self.name_at(text, start) {
            names.push((start, end, pattern));
        }
    }

    /// Whether some name begins with the first two bytes of `text`.
    #[inline(always)]
    fn may_begin_name(&self, text: &[u8]) -> bool {
        let key = match text {
            [first, second, ..] => usize::from(*first) << 8 | usize::from(*second),
            [first] => usize::from(*first) << 8,
            [] => return false,
        };
        self.name_beginnings[key / 64] & 1 << (key % 64) != 0
    }

    /// The longest name of the gazetteers that starts at byte `start` of
    /// `text` and ends a word there: its pattern and where it ends.
    fn name_at(&self, text: &str, start: usize) -> Option<(usize, usize)> {
        let (names, bytes) = (&self.names, text.as_bytes());
        let mut state = self.names_start;
        let mut found = None;
        let mut at = start;
        while let Some(&byte) = bytes.get(at) {
            state = names.next_state(Anchored::Yes, state, byte);
            at += 1;
            if names.is_special(state) {
                if names.is_dead(state) {
                    break;
                }
                // Patterns are whole characters, so `at` is a boundary.
                if names.is_match(state) && ends_word(text, at) {
                    found = Some((names.match_pattern(state, 0).as_usize(), at));
                }
            }
        }
        found
    }

    fn canonical_organization(&self, name: &str) -> Option<String> {
        let (pattern, end) = self.name_at(name, 0)?;
        if end != name.len() {
            return None;
        }
        self.meaning_of_pattern[pattern]
            .iter()
            .find_map(|known| match known {
                Known::Organization(canonical) => Some(canonical.clone()),
                _ => None,
            })
    }

    /// Quotations in `paragraphs`, each given with its words.
    fn find_quotes<'p>(
        &self,
        paragraphs: impl Iterator<Item = (&'p String, &'p [Word<'p>])>,
        entities: &Entities,
        acronyms: &HashMap<String, String>,
    ) -> Vec<Quote> {
        let mut quotes = Vec::new();
        let mut previous_speaker: Option<String> = None;
        for (paragraph, words) in paragraphs {
            let spans = quote_spans(paragraph);
            let starts_with_quote = paragraph.trim_start().starts_with(['"', '“', '„', '«']);
            let mut last_speaker = None;
            for (index, &(open, inner_end, close)) in spans.iter().enumerate() {
                let inner = paragraph[open..inner_end]
                    .trim()
                    .trim_end_matches(',')
                    .trim();
                if inner.split_whitespace().nth(1).is_none() {
                    continue;
                }
                let mut speaker = self
                    .speaker_after(paragraph, words, close, entities, acronyms)
                    .or_else(|| speaker_before(paragraph, words, open, entities));
                if speaker.is_none() && last_speaker.is_some() {
                    // A second quotation in the paragraph of an attributed one
                    // is the same speaker's.
                    speaker = last_speaker.clone();
                }
                if speaker.is_none() && index == 0 && starts_with_quote && spans.len() == 1 {
                    // A paragraph that is only a quotation continues the
                    // previous speaker's words (a wire-copy convention).
                    let rest = paragraph[close..].trim();
                    if rest.is_empty() || rest == "." {
                        speaker = previous_speaker.clone();
                    }
                }
                last_speaker = speaker.clone().or(last_speaker);
                quotes.push(Quote {
                    text: inner.to_owned(),
                    speaker,
                });
            }
            previous_speaker = last_speaker;
        }
        quotes
    }

    /// `," said Hong Min, …`, `," Hong added.`, `," KCNA said.`
    /// The speaker named right after a quotation that closes at `close`
    /// in `paragraph` (whose words are `words`).
    fn speaker_after(
        &self,
        paragraph: &str,
        words: &[Word<'_>],
        close: usize,
        entities: &Entities,
        acronyms: &HashMap<String, String>,
    ) -> Option<String> {
        let after = paragraph[close..].trim_start_matches([',', ' ']);
        let start = paragraph.len() - after.len();
        // The attribution must begin there: a verb and a name of at most
        // four words, or a name and a verb.
        let first = words.partition_point(|word| word.start < start);
        if words.get(first).is_none_or(|word| word.start != start) {
            return None;
        }
        let words = &words[first..words.len().min(first + 6)];
        let run = if words[0].roles.speech_verb {
            let run = name_run(paragraph, words, 1, 4);
            (!run.is_empty()).then_some(run)?
        } else {
            let run = name_run(paragraph, words, 0, 4);
            let verb = words.get(run.end)?;
            (!run.is_empty() && verb.roles.speech_verb).then_some(run)?
        };
        let name = &paragraph[words[run.start].start..words[run.end - 1].end];
        Some(resolve_speaker(name, entities, acronyms, self))
    }

    /// Instruments mentioned, as (symbol, words matched) in text order:
    /// each symbol once, if the catalog lists it on `day`.
    fn listed(&self, mentioned: Vec<(&str, &str)>, day: NaiveDate) -> Vec<InstrumentMention> {
        let mut mentions: Vec<InstrumentMention> = Vec::new();
        for (symbol, matched) in mentioned {
            if mentions.iter().any(|m| m.symbol == symbol) {
                continue;
            }
            if let Some(listing) = self.catalog.lookup(symbol, day) {
                mentions.push(InstrumentMention {
                    symbol: symbol.to_owned(),
                    name: listing.name.clone(),
                    mic: listing.mic.clone(),
                    matched: matched.to_owned(),
                });
            }
        }
        mentions
    }

    fn find_topics(&self, words: &WordHashes) -> Vec<Topic> {
        // Distinct keywords found, per topic.
        let mut seen = vec![false; self.topic_of_pattern.len()];
        let mut hits = vec![0; self.topic_labels.len()];
        for word in words.title.iter().chain(&words.body) {
            if !self.topic_filter.may_contain(*word) {
                continue;
            }
            if let Some(&pattern) = self.topic_keywords.get(word) {
                if !std::mem::replace(&mut seen[pattern], true) {
                    hits[self.topic_of_pattern[pattern]] += 1;
                }
            }
        }
        let mut ranked: Vec<(usize, usize)> = hits
            .into_iter()
            .enumerate()
            .filter(|&(_, count)| count >= 2)
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .map(|(topic, _)| self.topic_labels[topic].clone())
            .collect()
    }
}

fn tsv_rows(text: &str) -> impl Iterator<Item = (String, Vec<String>)> + '_ {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let (key, rest) = line.split_once('\t').unwrap_or((line, ""));
            let variants = rest
                .split('|')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect();
            (!key.trim().is_empty()).then(|| (key.trim().to_owned(), variants))
        })
}

fn push_new(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|existing| existing == value) {
        list.push(value.to_owned());
    }
}

/// True when the match is not part of a longer word.
fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    !before.is_some_and(char::is_alphanumeric) && ends_word(text, end)
}

/// True when no letter or digit follows byte `end` (a boundary) of `text`.
fn ends_word(text: &str, end: usize) -> bool {
    match text.as_bytes().get(end) {
        None => true,
        Some(byte) if byte.is_ascii() => !byte.is_ascii_alphanumeric(),
        Some(_) => !text[end..]
            .chars()
            .next()
            .is_some_and(char::is_alphanumeric),
    }
}

/// A word of a text (see [`crate::text::is_word_part`]), with its byte
/// offsets and what it can be to the rules.
#[derive(Debug, Clone, Copy)]
struct Word<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    kind: WordKind,
    /// Begins with an upper-case letter.
    capitalised: bool,
    roles: Roles,
}

/// A page's words, split once: each text's for the rules and quotations,
/// and the body's as hashes for the word count, fingerprint and topics.
pub struct PageWords<'p> {
    /// The title, the paragraphs, then the subheadings, each with the
    /// range of its words in `words`.
    texts: Vec<(&'p str, std::ops::Range<usize>)>,
    words: Vec<Word<'p>>,
    /// The hashes of the words of the title and of the body.
    pub hashes: WordHashes,
}

impl<'p> PageWords<'p> {
    /// Splits the page's title, paragraphs and subheadings, and hashes
    /// their words in the same pass.
    pub fn of(page: &'p Page) -> Self {
        let texts = std::iter::once(page.title.as_str())
            .chain(page.paragraphs.iter().map(String::as_str))
            .chain(page.subheadings.iter().map(String::as_str));
        // About one word in six bytes of news text.
        let capacity = texts.clone().map(str::len).sum::<usize>() / 5;
        let mut page_words = PageWords {
            texts: Vec::with_capacity(page.paragraphs.len() + page.subheadings.len() + 1),
            words: Vec::with_capacity(capacity),
            hashes: WordHashes {
                body: Vec::with_capacity(capacity),
                title: Vec::with_capacity(page.title.len() / 2),
                count: 0,
            },
        };
        let rule_words = &*RULE_WORDS;
        for (index, text) in texts.enumerate() {
            let words = &mut page_words.words;
            let first = words.len();
            let hashes = &mut page_words.hashes;
            let is_title = index == 0;
            let mut text_hashes = TextHashes::new(
                text,
                if is_title {
                    &mut hashes.title
                } else {
                    &mut hashes.body
                },
            );
            for_each_word(text, |start, end, kind| {
                let word = &text[start..end];
                let roles = match text_hashes.add(start, end, kind) {
                    Some(hash) => roles_of_plain(rule_words, word, hash),
                    None => roles_of(word),
                };
                words.push(Word {
                    text: word,
                    start,
                    end,
                    kind,
                    capitalised: starts_upper_case(word),
                    roles,
                });
            });
            if !is_title {
                hashes.count += text_hashes.count;
            }
            page_words.texts.push((text, first..words.len()));
        }
        page_words
    }

    /// Each text (the title, the paragraphs, then the subheadings) with its words.
    fn texts(&self) -> impl Iterator<Item = (&'p str, &[Word<'p>])> + '_ {
        self.texts
            .iter()
            .map(|(text, range)| (*text, &self.words[range.clone()]))
    }
}

fn starts_upper_case(word: &str) -> bool {
    match word.as_bytes().first() {
        Some(byte) if byte.is_ascii() => byte.is_ascii_uppercase(),
        _ => word.chars().next().is_some_and(char::is_uppercase),
    }
}

fn is_name_word(word: &Word<'_>) -> bool {
    word.capitalised
        && !word.roles.not_name
        && word.text.chars().all(|c| c.is_alphabetic() || c == '-')
}

/// The run of name words from `from`, at most `max`, each separated by a single space.
fn name_run(text: &str, words: &[Word<'_>], from: usize, max: usize) -> std::ops::Range<usize> {
    let mut end = from;
    while end < words.len() && end - from < max && is_name_word(&words[end]) {
        if end > from && &text[words[end - 1].end..words[end].start] != " " {
            break;
        }
        end += 1;
    }
    from..end
}

/// True when the words ending just before `index` spell `title`.
fn ends_with_words(text: &str, words: &[Word<'_>], index: usize, title: &str) -> bool {
    let count = title.split(' ').count();
    if index + 1 < count {
        return false;
    }
    let first = index + 1 - count;
    text[words[first].start..words[index].end] == *title
}

/// An organisation run starting at `from`: capitalised words and connectors,
/// ending on a capitalised word, holding a keyword. Returns its end index.
fn org_run(text: &str, words: &[Word<'_>], from: usize) -> Option<usize> {
    let capitalised = |w: &Word<'_>| w.capitalised && !w.roles.not_name;
    if !capitalised(&words[from]) {
        return None;
    }
    let mut end = from + 1;
    let mut last_capitalised = end;
    while end < words.len() && &text[words[end - 1].end..words[end].start] == " " {
        let word = &words[end];
        if capitalised(word) {
            last_capitalised = end + 1;
        } else if !word.roles.org_connector {
            break;
        }
        end += 1;
    }
    let run = &words[from..last_capitalised];
    (run.len() >= 2 && run.iter().any(|w| w.roles.org_keyword)).then_some(last_capitalised)
}

/// ` (KCNA)` right after a name.
fn bracketed_acronym(after: &str) -> Option<&str> {
    let inner = after.strip_prefix(" (")?;
    let (acronym, _) = inner.split_once(')')?;
    ((2..=8).contains(&acronym.len()) && acronym.chars().all(|c| c.is_ascii_uppercase()))
        .then_some(acronym)
}

/// Quotation spans in a paragraph: (inner start, inner end, after closing mark).
fn quote_spans(paragraph: &str) -> Vec<(usize, usize, usize)> {
    let mut spans = Vec::new();
    let mut rest = 0;
    while let Some((offset, open)) = find_mark(&paragraph[rest..], &['"', '“', '„', '«']) {
        let inner_start = rest + offset + open.len_utf8();
        let closers: &[char] = match open {
            '"' => &['"'],
            '„' => &['“', '”'],
            '«' => &['»'],
            _ => &['”', '"'],
        };
        let Some((close_offset, close)) = find_mark(&paragraph[inner_start..], closers) else {
            break;
        };
        let inner_end = inner_start + close_offset;
        spans.push((inner_start, inner_end, inner_end + close.len_utf8()));
        rest = inner_end + close.len_utf8();
    }
    spans
}

/// The first of `marks` in `text` and where it is. Marks are found by the
/// first byte of their UTF-8 form (`memchr`), not by decoding every
/// character: quotation marks are looked for in every paragraph. A lead
/// byte never occurs inside another character, so each hit is a boundary.
fn find_mark(text: &str, marks: &[char]) -> Option<(usize, char)> {
    let mut leads = [0u8; 3];
    let mut count = 0;
    for mark in marks {
        let lead = mark.encode_utf8(&mut [0; 4]).as_bytes()[0];
        if !leads[..count].contains(&lead) {
            if count == leads.len() {
                // More than memchr3 takes: decode instead.
                return text.char_indices().find(|(_, c)| marks.contains(c));
            }
            leads[count] = lead;
            count += 1;
        }
    }
    let (a, b, c) = match count {
        1 => (leads[0], leads[0], leads[0]),
        2 => (leads[0], leads[1], leads[1]),
        _ => (leads[0], leads[1], leads[2]),
    };
    memchr::memchr3_iter(a, b, c, text.as_bytes()).find_map(|at| {
        let found = text[at..].chars().next()?;
        marks.contains(&found).then_some((at, found))
    })
}

/// The person named last before a speech verb in the sentence leading to the
/// quote: `Choe Son Hui recently visited Moscow and said her country would "…"`.
fn speaker_before(
    paragraph: &str,
    words: &[Word<'_>],
    open: usize,
    entities: &Entities,
) -> Option<String> {
    let before = &paragraph[..open];
    let sentence_start = memchr::memmem::rfind(before.as_bytes(), b". ").map_or(0, |at| at + 2);
    let sentence = &before[sentence_start..];
    // The last speech verb among the sentence's words: a verb of one word,
    // or one of several ("a déclaré") that ends with the word.
    let in_sentence = words.partition_point(|word| word.start < sentence_start)
        ..words.partition_point(|word| word.end <= open);
    let verb_start = words[in_sentence].iter().rev().find_map(|word| {
        if word.roles.speech_verb {
            return Some(word.start);
        }
        if !word.roles.ends_long_speech_verb {
            return None;
        }
        SPEECH_VERBS.iter().find_map(|verb| {
            let start = word.end.checked_sub(verb.len())?;
            (start >= sentence_start
                && paragraph.get(start..word.end) == Some(*verb)
                && whole_word(paragraph, start, word.end))
            .then_some(start)
        })
    })?;
    let verb_at = verb_start - sentence_start;
    entities
        .people
        .iter()
        .filter_map(|person| find_word(&sentence[..verb_at], person).map(|at| (at, person)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, person)| person.clone())
}

fn find_word(text: &str, word: &str) -> Option<usize> {
    text.match_indices(word)
        .filter(|(at, _)| whole_word(text, *at, at + word.len()))
        .map(|(at, _)| at)
        .last()
}

/// A speaker's canonical name: a known person whose name holds every word
/// of `name` ("Hong" → "Hong Min"), an acronym's organisation, a gazetteer
/// entry, or the name as written.
fn resolve_speaker(
    name: &str,
    entities: &Entities,
    acronyms: &HashMap<String, String>,
    enricher: &Enricher,
) -> String {
    if let Some(person) = entities.people.iter().find(|person| {
        name.split(' ')
            .all(|part| person.split(' ').any(|p| p == part))
    }) {
        return person.clone();
    }
    if let Some(organization) = acronyms.get(name) {
        return organization.clone();
    }
    if let Some(organization) = enricher.canonical_organization(name) {
        return organization;
    }
    name.to_owned()
}

fn iso_639_1(lang: whichlang::Lang) -> &'static str {
    use whichlang::Lang::*;
    match lang {
        Ara => "ar",
        Cmn => "zh",
        Deu => "de",
        Eng => "en",
        Fra => "fr",
        Hin => "hi",
        Ita => "it",
        Jpn => "ja",
        Kor => "ko",
        Nld => "nl",
        Por => "pt",
        Rus => "ru",
        Spa => "es",
        Swe => "sv",
        Tur => "tr",
        Vie => "vi",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_names_the_longest_wins() {
        let page = crate::page::parse_page(
            "Wire - Dividends\n\nBritish American Tobacco raised its dividend, BAT said. \
             Vodafone fell in London.\n",
        )
        .unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let enrichment = Enricher::builtin().enrich(&page, &PageWords::of(&page), day);
        let symbols: Vec<&str> = enrichment
            .instruments
            .iter()
            .map(|m| m.symbol.as_str())
            .collect();
        assert_eq!(symbols, ["BTI", "VOD"]);
        assert_eq!(
            enrichment.instruments[0].matched,
            "British American Tobacco"
        );
        // The company's name is not a mention of Britain or America; London is.
        assert_eq!(enrichment.entities.countries, ["GB"]);
    }

    #[test]
    fn a_speech_verb_of_several_words_attributes_the_quote_before_it() {
        let page = crate::page::parse_page(
            "Le Monde - Ukraine\n\n\
             Emmanuel Macron a déclaré mardi que la France « restera aux côtés de Kiev ».\n\n\
             Olaf Scholz l'a déclaré aussi : « nous ne céderons pas ».\n\n\
             Olaf Scholz et « une phrase sans verbe » ici.\n",
        )
        .unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let quotes = Enricher::builtin()
            .enrich(&page, &PageWords::of(&page), day)
            .quotes;
        let speakers: Vec<Option<&str>> = quotes.iter().map(|q| q.speaker.as_deref()).collect();
        assert_eq!(
            speakers,
            [Some("Emmanuel Macron"), Some("Olaf Scholz"), None],
            "{quotes:?}"
        );
    }

    #[test]
    fn language_by_script_then_model() {
        let enricher = Enricher::builtin();
        let cases = [
            ("North Korea has ratified a defence treaty with Russia, state media reported on Tuesday, deepening military ties.", "en"),
            ("Nordkorea hat den Verteidigungsvertrag mit Russland ratifiziert, wie die staatlichen Medien am Dienstag berichteten.", "de"),
            ("La Corée du Nord a ratifié un traité de défense avec la Russie, ont rapporté mardi les médias d'État.", "fr"),
            ("Corea del Norte ha ratificado un tratado de defensa con Rusia, informaron el martes los medios estatales.", "es"),
            ("Η Βόρεια Κορέα επικύρωσε τη συνθήκη άμυνας με τη Ρωσία, ανέφεραν την Τρίτη τα κρατικά μέσα ενημέρωσης.", "el"),
            ("Северная Корея ратифицировала договор об обороне с Россией, сообщили во вторник государственные СМИ.", "ru"),
            ("Північна Корея ратифікувала оборонний договір з Росією, повідомили у вівторок державні ЗМІ, що їх цитує агентство.", "uk"),
            ("北朝鮮はロシアとの防衛条約を批准したと、国営メディアが火曜日に報じた。", "ja"),
            ("", "und"),
        ];
        for (text, expected) in cases {
            assert_eq!(enricher.language_of(&[text.to_owned()]), expected, "{text}");
        }
    }
}
