//! Entities by gazetteer and by rule. Names the gazetteers know are
//! found by [`Names`]; people the gazetteers do not know, by a title or a
//! speech verb before two to four capitalised words; organisations, by a
//! capitalised run holding a keyword ("… Agency", "Ministry of …"), with
//! the acronym bracketed after it when the text gives one.

use std::collections::{HashMap, HashSet};

use super::names::{Known, NameSpan, Names};
use super::rule_words::titles_ending_with;
use super::words::Word;
use super::Entities;

/// Names in order of first mention, each once. The set answers "seen?" in
/// constant time: a page naming thousands of people must not cost their
/// square.
#[derive(Debug, Default)]
pub(super) struct FirstMentions {
    list: Vec<String>,
    seen: HashSet<String>,
}

impl FirstMentions {
    fn add(&mut self, name: &str) {
        if !self.seen.contains(name) {
            self.seen.insert(name.to_owned());
            self.list.push(name.to_owned());
        }
    }

    fn remove(&mut self, name: &str) {
        if self.seen.remove(name) {
            self.list.retain(|listed| listed != name);
        }
    }
}

/// What the texts of one page name, gathered text by text.
#[derive(Debug, Default)]
pub(super) struct Found<'a, 't> {
    countries: FirstMentions,
    people: FirstMentions,
    organizations: FirstMentions,
    /// Acronyms the page defines, to their organisation (`KCNA` → `Korean
    /// Central News Agency`).
    pub acronyms: HashMap<String, String>,
    /// Instruments named, as (symbol, the words that matched), in text order.
    pub instruments: Vec<(&'a str, &'t str)>,
}

impl Found<'_, '_> {
    /// The entities found, in order of first mention.
    pub fn entities(&mut self) -> Entities {
        Entities {
            countries: std::mem::take(&mut self.countries.list),
            people: std::mem::take(&mut self.people.list),
            organizations: std::mem::take(&mut self.organizations.list),
        }
    }
}

/// Adds what `text` (whose words are `words`) names to `found`.
pub(super) fn find_entities<'a, 't>(
    names: &'a Names,
    text: &'t str,
    words: &[Word<'t>],
    found: &mut Found<'a, 't>,
) {
    let mut known_spans: Vec<(usize, usize)> = Vec::new();
    for NameSpan {
        start,
        end,
        pattern,
    } in names.in_text(text, words)
    {
        for known in names.meanings(pattern) {
            match known {
                Known::Country(code) => found.countries.add(code),
                Known::Person(name) => found.people.add(name),
                Known::Organization(name) => found.organizations.add(name),
                Known::Instrument(symbol) => {
                    found.instruments.push((symbol, &text[start..end]));
                    continue;
                }
            }
            // Names the rules below must not find again.
            if known_spans.last() != Some(&(start, end)) {
                known_spans.push((start, end));
            }
        }
    }
    // The spans are in text order and do not overlap: the first that ends
    // after `start` is the only one that can overlap.
    let overlaps_known = |start: usize, end: usize| {
        let first_after = known_spans.partition_point(|&(_, e)| e <= start);
        known_spans.get(first_after).is_some_and(|&(s, _)| s < end)
    };

    // People by rule: a title or "said", then two to four capitalised words.
    for (index, word) in words.iter().enumerate() {
        let after_title = word.roles.ends_title
            && titles_ending_with(word.text)
                .iter()
                .any(|title| ends_with_words(text, words, index, title));
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
        found.people.add(&text[start..end]);
    }

    // Organisations by rule: capitalised runs holding a keyword, with an
    // acronym in brackets after them when the text gives one.
    let mut index = 0;
    while index < words.len() {
        let end = match org_run(text, words, index) {
            Ok(end) => end,
            Err(resume_at) => {
                index = resume_at;
                continue;
            }
        };
        let (start_byte, end_byte) = (words[index].start, words[end - 1].end);
        let name = &text[start_byte..end_byte];
        let canonical = names
            .canonical_organization(name)
            .unwrap_or_else(|| name.to_owned());
        if !overlaps_known(start_byte, end_byte) {
            found.organizations.add(&canonical);
        }
        if let Some(acronym) = bracketed_acronym(&text[end_byte..]) {
            found.acronyms.insert(acronym.to_owned(), canonical.clone());
            found.organizations.remove(acronym);
        }
        index = end;
    }
}

fn is_name_word(word: &Word<'_>) -> bool {
    word.capitalised
        && !word.roles.not_name
        && word.text.chars().all(|c| c.is_alphabetic() || c == '-')
}

/// The run of name words from `from`, at most `max`, each separated by a single space.
pub(super) fn name_run(
    text: &str,
    words: &[Word<'_>],
    from: usize,
    max: usize,
) -> std::ops::Range<usize> {
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
/// ending on a capitalised word, holding a keyword. Returns its end index,
/// or where the next run may start: every later start inside a run that
/// holds no keyword ends where it ends and holds none either, so the search
/// goes on after it (trying each start would be quadratic in a long run of
/// capitalised words).
fn org_run(text: &str, words: &[Word<'_>], from: usize) -> Result<usize, usize> {
    let capitalised = |w: &Word<'_>| w.capitalised && !w.roles.not_name;
    if !capitalised(&words[from]) {
        return Err(from + 1);
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
    if run.len() >= 2 && run.iter().any(|w| w.roles.org_keyword) {
        Ok(last_capitalised)
    } else {
        Err(last_capitalised)
    }
}

fn bracketed_acronym(after: &str) -> Option<&str> {
    let inner = after.strip_prefix(" (")?;
    let (acronym, _) = inner.split_once(')')?;
    ((2..=8).contains(&acronym.len()) && acronym.chars().all(|c| c.is_ascii_uppercase()))
        .then_some(acronym)
}
