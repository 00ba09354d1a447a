//! The gazetteers' names (countries with their demonyms and capitals,
//! people, organisations, and the instrument catalog's company names) in
//! one aho-corasick automaton. Names are whole words, so the automaton is
//! walked anchored from where a word begins; where names overlap the
//! longest wins: "British American Tobacco" is the company, not Britain
//! and America.

use std::collections::HashMap;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, MatchKind};
use tickertape_market::instruments::Catalog;

use super::words::Word;
use super::GazetteerError;

/// What a name in the gazetteers stands for (a name may stand for several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Known {
    Country(String),
    Person(String),
    Organization(String),
    /// An instrument's symbol, for a company name or alias of the catalog.
    Instrument(String),
}

/// A name found in a text: its byte range and the gazetteer pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NameSpan {
    pub start: usize,
    pub end: usize,
    pub pattern: usize,
}

/// Every name, compiled once.
pub(super) struct Names {
    /// A contiguous NFA, not a DFA: with some 25,000 names a DFA took
    /// 150 MB and most of a second to build, the NFA a few MB. Its states
    /// to depth 2 are dense (a transition is looked up, not searched for
    /// in a list; the start state has one for nearly every first byte):
    /// 4% fewer instructions a page for 0.5 MB more (1.6 → 2.1 MB).
    automaton: NFA,
    start: StateID,
    meaning_of_pattern: Vec<Vec<Known>>,
    /// For a pattern that is an inflected form of a name, the name
    /// (`Deutschen Bank` → `Deutsche Bank`).
    nominative_of_pattern: Vec<Option<String>>,
}

impl Names {
    /// The names of gazetteers in the TSV format of `data/` and the
    /// catalog's company names and aliases.
    ///
    /// Fails when the automaton cannot be built (too many states).
    pub fn new(
        countries: &str,
        people: &str,
        organizations: &str,
        catalog: &Catalog,
    ) -> Result<Self, GazetteerError> {
        let mut by_pattern: HashMap<String, Vec<Known>> = HashMap::new();
        let mut nominatives: HashMap<String, String> = HashMap::new();
        let mut add = |pattern: String, known: Known| {
            // German declines an adjective in a name after an article (`der
            // Deutschen Bank`, `der Europäischen Union`).
            if let Some(inflected) = german_inflected(&pattern) {
                let meanings = by_pattern.entry(inflected.clone()).or_default();
                if !meanings.contains(&known) {
                    meanings.push(known.clone());
                }
                nominatives
                    .entry(inflected)
                    .or_insert_with(|| pattern.clone());
            }
            let meanings = by_pattern.entry(pattern).or_default();
            if !meanings.contains(&known) {
                meanings.push(known);
            }
        };
        for (code, variants) in tsv_rows(countries) {
            for variant in variants {
                add(variant, Known::Country(code.clone()));
            }
        }
        for (name, aliases) in tsv_rows(people) {
            add(name.clone(), Known::Person(name.clone()));
            for alias in aliases {
                add(alias, Known::Person(name.clone()));
            }
        }
        for (name, aliases) in tsv_rows(organizations) {
            add(name.clone(), Known::Organization(name.clone()));
            for alias in aliases {
                add(alias, Known::Organization(name.clone()));
            }
        }
        for listing in catalog.listings() {
            for alias in &listing.aliases {
                add(alias.clone(), Known::Instrument(listing.symbol.clone()));
            }
        }
        let mut patterns: Vec<String> = by_pattern.keys().cloned().collect();
        patterns.sort();
        let meaning_of_pattern = patterns.iter().map(|p| by_pattern[p].clone()).collect();
        let nominative_of_pattern = patterns
            .iter()
            .map(|p| nominatives.get(p).cloned())
            .collect();
        let automaton = NFA::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .dense_depth(2)
            .build(&patterns)
            .map_err(|error| GazetteerError::Automaton(error.to_string()))?;
        let start = automaton
            .start_state(Anchored::Yes)
            .map_err(|error| GazetteerError::Automaton(error.to_string()))?;
        Ok(Names {
            automaton,
            start,
            meaning_of_pattern,
            nominative_of_pattern,
        })
    }

    /// What the name of `pattern` stands for.
    pub fn meanings(&self, pattern: usize) -> &[Known] {
        &self.meaning_of_pattern[pattern]
    }

    /// The name `pattern` is an inflected form of, if it is one.
    pub fn nominative(&self, pattern: usize) -> Option<&str> {
        self.nominative_of_pattern[pattern].as_deref()
    }

    /// The names in a text whose words are `words`, in order. Names do not overlap.
    pub fn in_text(&self, text: &str, words: &[Word<'_>]) -> Vec<NameSpan> {
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
    fn push_name_at(&self, text: &str, start: usize, names: &mut Vec<NameSpan>) {
        if names.last().is_some_and(|name| start < name.end) {
            return;
        }
        if let Some((pattern, end)) = self.name_at(text, start) {
            names.push(NameSpan {
                start,
                end,
                pattern,
            });
        }
    }

    /// The longest name that starts at byte `start` of `text` and ends a
    /// word there: its pattern and where it ends.
    fn name_at(&self, text: &str, start: usize) -> Option<(usize, usize)> {
        let (automaton, bytes) = (&self.automaton, text.as_bytes());
        let mut state = self.start;
        let mut found = None;
        for (at, &byte) in bytes.iter().enumerate().skip(start) {
            state = automaton.next_state(Anchored::Yes, state, byte);
            if automaton.is_dead(state) {
                break;
            }
            // Patterns are whole characters, so `at + 1` is a boundary.
            if automaton.is_match(state) && ends_word(text, at + 1) {
                found = Some((automaton.match_pattern(state, 0).as_usize(), at + 1));
            }
        }
        found
    }

    /// The canonical organisation `name` is, when the whole of it is one.
    pub fn canonical_organization(&self, name: &str) -> Option<String> {
        let (pattern, end) = self.name_at(name, 0)?;
        if end != name.len() {
            return None;
        }
        self.meanings(pattern).iter().find_map(|known| match known {
            Known::Organization(canonical) => Some(canonical.clone()),
            _ => None,
        })
    }
}

/// The form a German name of several words takes after an article in the
/// genitive or dative, when it has one: each adjective in `-sche` before
/// the last word takes `-n` (`Deutsche Bank` → `Deutschen Bank`,
/// `Europäische Zentralbank` → `Europäischen Zentralbank`).
fn german_inflected(name: &str) -> Option<String> {
    let words: Vec<&str> = name.split(' ').collect();
    let last = words.len().checked_sub(1)?;
    if last == 0 || !words[..last].iter().any(|w| w.ends_with("sche")) {
        return None;
    }
    let inflected: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(at, w)| {
            if at < last && w.ends_with("sche") {
                format!("{w}n")
            } else {
                (*w).to_owned()
            }
        })
        .collect();
    Some(inflected.join(" "))
}

/// The rows of a gazetteer: a key, a tab, variants separated by `|`;
/// `#` starts a comment line.
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

/// True when the match is not part of a longer word.
pub(super) fn whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    !before.is_some_and(char::is_alphanumeric) && ends_word(text, end)
}

/// True when no letter or digit follows byte `end` (a boundary) of `text`.
fn ends_word(text: &str, end: usize) -> bool {
    !text[end..]
        .chars()
        .next()
        .is_some_and(char::is_alphanumeric)
}
