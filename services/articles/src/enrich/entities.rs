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
    // Known names as (start, end, is a country's): an organisation may hold
    // a country's name.
    let mut known_spans: Vec<(usize, usize, bool)> = Vec::new();
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
                    // A listed company is an organisation too, by the name
                    // the page gives it.
                    found.instruments.push((symbol, &text[start..end]));
                    found.organizations.add(&text[start..end]);
                }
            }
            // Names the rules below must not find again.
            let country = matches!(known, Known::Country(_));
            match known_spans.last_mut() {
                Some(last) if (last.0, last.1) == (start, end) => last.2 |= country,
                _ => known_spans.push((start, end, country)),
            }
        }
    }
    // The spans are in text order and do not overlap: the first that ends
    // after `start` is the only one that can overlap.
    let overlaps_known = |start: usize, end: usize| {
        let first_after = known_spans.partition_point(|&(_, e, _)| e <= start);
        known_spans
            .get(first_after)
            .is_some_and(|&(s, _, _)| s < end)
    };

    // True when every known name the span overlaps is a country's and lies
    // inside it, and none is all of it.
    let holds_known = |start: usize, end: usize| {
        let first = known_spans.partition_point(|&(_, e, _)| e <= start);
        known_spans[first..]
            .iter()
            .take_while(|&&(s, _, _)| s < end)
            .all(|&(s, e, country)| country && start <= s && e <= end && (s, e) != (start, end))
    };

    // People by rule: a title or "said", then two to four capitalised words.
    for (index, word) in words.iter().enumerate() {
        let after_title = word.roles.ends_title
            && titles_ending_with(word.text)
                .iter()
                .any(|title| ends_with_words(text, words, index, title));
        let after_said = word.roles.speech_verb || word.roles.ends_long_speech_verb;
        if !(after_title || after_said) {
            continue;
        }
        let run = if after_title {
            name_run(text, words, index + 1, 4)
        } else {
            match name_after_lead(text, words, index + 1) {
                Some(run) => run,
                None => continue,
            }
        };
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
        // A country's name inside it is part of it (`Banco de Portugal`,
        // `Asociación Mexicana del Acero`); a run that is only a known name,
        // runs into one or holds another kind is no organisation of its own.
        if !overlaps_known(start_byte, end_byte) || holds_known(start_byte, end_byte) {
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

/// The run of name words from `from`, at most `max` of them, each
/// separated by a single space; particles between them belong to the name
/// (`Lula da Silva`, `Van der Straeten`). A title word at its start is
/// not part of it (German capitalises `Vorstandschef Roland Busch`).
pub(super) fn name_run(
    text: &str,
    words: &[Word<'_>],
    from: usize,
    max: usize,
) -> std::ops::Range<usize> {
    let spaced = |at: usize| &text[words[at - 1].end..words[at].start] == " ";
    let mut from = from;
    while from + 1 < words.len()
        && words[from].roles.ends_title
        && is_name_word(&words[from + 1])
        && spaced(from + 1)
    {
        from += 1;
    }
    let (mut end, mut names) = (from, 0);
    while end < words.len() && names < max {
        if end > from && !spaced(end) {
            break;
        }
        if is_name_word(&words[end]) {
            names += 1;
            end += 1;
            continue;
        }
        // Particles, then a name word: `da Silva`, `van der Straeten`.
        let mut next = end;
        while next < words.len() && words[next].roles.name_particle && next > from && spaced(next) {
            next += 1;
        }
        if next > end && next < words.len() && spaced(next) && is_name_word(&words[next]) {
            end = next;
            continue;
        }
        break;
    }
    from..end
}

/// The name a speech verb ending at word `verb_end` (exclusive) introduces:
/// after at most [`LEAD_WORDS`] words that lead up to it (articles, titles,
/// lower-case words: `dijo el secretario de Economía, Marcelo Ebrard`), in
/// the same sentence. Two words or more, or one a caller knows.
pub(super) fn name_after_lead(
    text: &str,
    words: &[Word<'_>],
    verb_end: usize,
) -> Option<std::ops::Range<usize>> {
    let mut at = verb_end;
    while at < words.len() && at < verb_end + LEAD_WORDS {
        let gap = &text[words[at - 1].end..words[at].start];
        if gap.contains(['.', '!', '?', ';', '"', '“', '”', '«', '»', '„']) {
            return None;
        }
        if is_name_word(&words[at]) && !words[at].roles.ends_title {
            let run = name_run(text, words, at, 4);
            if run.len() >= 2 || at == verb_end {
                return (!run.is_empty()).then_some(run);
            }
            // A lone capitalised word (`Economía`) leads on.
        }
        at += 1;
    }
    None
}

/// Words a speech verb may be separated from its speaker's name by.
const LEAD_WORDS: usize = 6;

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
