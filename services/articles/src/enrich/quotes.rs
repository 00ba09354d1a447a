//! Quotations and who said them: the marks of several languages (`"…"`,
//! `“…”`, `„…“`, `« … »`), the speaker named after the quotation (`," said
//! Hong Min`, `," chief executive Jakob Stausholm told analysts`) or
//! before it in the sentence (`Choe Son Hui … said her country would
//! "…"`), a pronoun for the person named just before (`," he said`, `»,
//! a-t-il déclaré`), and the conventions of wire copy (a paragraph that is
//! only a quotation continues the previous speaker).

use std::collections::HashMap;

use super::entities::{name_after_lead, name_run};
use super::names::{whole_word, Names};
use super::rule_words::{long_speech_verbs_ending_with, titles_ending_with};
use super::words::Word;
use super::{Entities, Quote};

/// Quotations in `paragraphs`, each given with its words.
pub(super) fn find_quotes<'p>(
    names: &Names,
    paragraphs: impl Iterator<Item = (&'p String, &'p [Word<'p>])>,
    entities: &Entities,
    acronyms: &HashMap<String, String>,
) -> Vec<Quote> {
    let people = KnownPeople::new(&entities.people);
    let mut quotes = Vec::new();
    let mut previous_speaker: Option<String> = None;
    // The paragraph before, for a pronoun's person (looked for only then).
    let mut paragraph_before: Option<&str> = None;
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
            let mut speaker = match speaker_after(names, paragraph, words, close, &people, acronyms)
            {
                Some(Attribution::Named(name)) => Some(name),
                // The person named last before it in the paragraph, else
                // the previous paragraph's speaker, else the person that
                // paragraph named last: further back, a pronoun is a guess.
                Some(Attribution::Pronoun) => people
                    .named_last_in(look_back(paragraph, open))
                    .cloned()
                    .or_else(|| previous_speaker.clone())
                    .or_else(|| {
                        let before = paragraph_before?;
                        people
                            .named_last_in(look_back(before, before.len()))
                            .cloned()
                    }),
                None => speaker_before(paragraph, words, open, &people),
            };
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
        paragraph_before = Some(paragraph.as_str());
    }
    quotes
}

/// Who a quotation's attribution names.
enum Attribution {
    /// A name (`," said Hong Min`, `," KCNA said`).
    Named(String),
    /// A pronoun (`," he said`, `», a-t-il déclaré`, `, sagte er`): the
    /// person named last before.
    Pronoun,
}

/// `," said Hong Min, …`, `," Hong added.`, `," KCNA said.`, `," chief
/// executive Jakob Stausholm told analysts`, `," she said`.
/// The attribution right after a quotation that closes at `close`
/// in `paragraph` (whose words are `words`).
fn speaker_after(
    names: &Names,
    paragraph: &str,
    words: &[Word<'_>],
    close: usize,
    people: &KnownPeople<'_>,
    acronyms: &HashMap<String, String>,
) -> Option<Attribution> {
    let after = paragraph[close..].trim_start_matches([',', ' ']);
    let start = paragraph.len() - after.len();
    // The attribution must begin there: a verb and a name of at most
    // four words, or a name and a verb.
    let first = words.partition_point(|word| word.start < start);
    if words.get(first).is_none_or(|word| word.start != start) {
        return None;
    }
    let words = &words[first..words.len().min(first + 12)];
    // A verb of several words (`a déclaré`, `ha detto`) counts from its end.
    let verb_words = (0..3.min(words.len()))
        .find(|&i| {
            words[i].roles.speech_verb && i == 0
                || words[i].roles.ends_long_speech_verb
                    && long_speech_verbs_ending_with(words[i].text)
                        .iter()
                        .any(|verb| paragraph.get(words[0].start..words[i].end) == Some(*verb))
        })
        .map(|i| i + 1);
    let run = if let Some(verb_end) = verb_words {
        // `a-t-il déclaré`, `sagte er`, `zei hij`.
        let verb = &paragraph[words[0].start..words[verb_end - 1].end];
        if verb.contains("-il ") || verb.contains("-elle ") {
            return Some(Attribution::Pronoun);
        }
        if words.get(verb_end).is_some_and(|word| word.roles.pronoun) {
            return Some(Attribution::Pronoun);
        }
        name_after_lead(paragraph, words, verb_end)?
    } else {
        if words[0].roles.pronoun && words.get(1).is_some_and(|w| w.roles.speech_verb) {
            return Some(Attribution::Pronoun);
        }
        let run = name_run(paragraph, words, leading_title_words(paragraph, words), 4);
        let verb = words.get(run.end)?;
        (!run.is_empty() && verb.roles.speech_verb).then_some(run)?
    };
    let name = &paragraph[words[run.start].start..words[run.end - 1].end];
    Some(Attribution::Named(resolve_speaker(
        name, people, acronyms, names,
    )))
}

/// How many of `words` a title spells at their start (`chief executive`
/// of `chief executive Jakob Stausholm told …`), if one does.
fn leading_title_words(text: &str, words: &[Word<'_>]) -> usize {
    (0..3.min(words.len()))
        .rev()
        .find(|&last| {
            words[last].roles.ends_title
                && titles_ending_with(words[last].text)
                    .iter()
                    .any(|title| text.get(words[0].start..words[last].end) == Some(*title))
        })
        .map_or(0, |last| last + 1)
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

/// How far before a quotation its sentence is looked for: a sentence is
/// rarely longer, and an unbounded look-back would cost a paragraph of many
/// quotations the square of its length.
const LOOK_BACK_BYTES: usize = 600;

/// The text of `paragraph` up to byte `end`, at most [`LOOK_BACK_BYTES`] of it.
fn look_back(paragraph: &str, end: usize) -> &str {
    let start = (end.saturating_sub(LOOK_BACK_BYTES)..=end)
        .find(|&at| paragraph.is_char_boundary(at))
        .unwrap_or(end);
    &paragraph[start..end]
}

/// The person named last before a speech verb in the sentence leading to the
/// quote: `Choe Son Hui recently visited Moscow and said her country would "…"`.
fn speaker_before(
    paragraph: &str,
    words: &[Word<'_>],
    open: usize,
    people: &KnownPeople<'_>,
) -> Option<String> {
    let before = look_back(paragraph, open);
    let window_start = open - before.len();
    let sentence_start =
        window_start + memchr::memmem::rfind(before.as_bytes(), b". ").map_or(0, |at| at + 2);
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
        long_speech_verbs_ending_with(word.text)
            .iter()
            .find_map(|verb| {
                let start = word.end.checked_sub(verb.len())?;
                (start >= sentence_start
                    && paragraph.get(start..word.end) == Some(*verb)
                    && whole_word(paragraph, start, word.end))
                .then_some(start)
            })
    })?;
    people
        .named_last_in(&paragraph[sentence_start..verb_start])
        .cloned()
}

/// The people a page names, indexed for the two questions quotations ask.
struct KnownPeople<'e> {
    /// In order of first mention.
    people: &'e [String],
    /// Each word of each name → the people whose names hold it, in order.
    /// (aHash: seeded at random as std's hash, for less.)
    by_word: HashMap<&'e str, Vec<usize>, ahash::RandomState>,
    /// The first run of letters and digits of each name → those people.
    by_first_run: HashMap<&'e str, Vec<usize>, ahash::RandomState>,
}

/// The first run of letters and digits of `text`.
fn first_run(text: &str) -> &str {
    text.split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
}

impl<'e> KnownPeople<'e> {
    fn new(people: &'e [String]) -> Self {
        let mut by_word: HashMap<&str, Vec<usize>, _> = HashMap::default();
        let mut by_first_run: HashMap<&str, Vec<usize>, _> = HashMap::default();
        for (index, person) in people.iter().enumerate() {
            by_first_run
                .entry(first_run(person))
                .or_default()
                .push(index);
            for word in person.split(' ') {
                let holders = by_word.entry(word).or_default();
                if holders.last() != Some(&index) {
                    holders.push(index);
                }
            }
        }
        KnownPeople {
            people,
            by_word,
            by_first_run,
        }
    }

    /// The first person whose name holds every word of `name` ("Hong" →
    /// "Hong Min").
    fn holding_every_word_of(&self, name: &str) -> Option<&'e String> {
        let first_word = name.split(' ').next()?;
        self.by_word
            .get(first_word)?
            .iter()
            .map(|&index| &self.people[index])
            .find(|person| {
                name.split(' ')
                    .all(|part| person.split(' ').any(|p| p == part))
            })
    }

    /// The person whose name, as whole words, starts last in `text` (of
    /// two starting at the same place, the later mentioned).
    fn named_last_in(&self, text: &str) -> Option<&'e String> {
        let word_starts = text.char_indices().filter(|&(at, c)| {
            c.is_alphanumeric()
                && !text[..at]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
        });
        let starts: Vec<usize> = word_starts.map(|(at, _)| at).collect();
        starts.into_iter().rev().find_map(|at| {
            self.by_first_run
                .get(first_run(&text[at..]))?
                .iter()
                .rev()
                .map(|&index| &self.people[index])
                .find(|person| {
                    text[at..].starts_with(person.as_str())
                        && whole_word(text, at, at + person.len())
                })
        })
    }
}

/// A speaker's canonical name: a known person whose name holds every word
/// of `name` ("Hong" → "Hong Min"), an acronym's organisation, a gazetteer
/// entry, or the name as written.
fn resolve_speaker(
    name: &str,
    people: &KnownPeople<'_>,
    acronyms: &HashMap<String, String>,
    names: &Names,
) -> String {
    if let Some(person) = people.holding_every_word_of(name) {
        return person.clone();
    }
    if let Some(organization) = acronyms.get(name) {
        return organization.clone();
    }
    if let Some(organization) = names.canonical_organization(name) {
        return organization;
    }
    name.to_owned()
}
