//! Entities by gazetteer and by rule. Names the gazetteers know are
//! found by [`Names`]; people the gazetteers do not know, by a title or a
//! speech verb before two to four capitalised words (`Minister X Y`, `il
//! ministro greco X Y`, `el ministro de Hacienda, X Y`); organisations, by
//! a capitalised run holding a keyword ("… Agency", "Ministry of …"), with
//! the acronym bracketed after it when the text gives one, by the employer
//! a role names (`analyst at X`), and by the name a class noun introduces
//! (`the company X`, `la société australienne X`, `la japonesa X`).

use std::collections::{HashMap, HashSet};

use super::names::{Known, NameSpan, Names};
use super::rule_words::Roles;
use super::rule_words::{
    employer_roles_ending_with, is_given_name, long_speech_verbs_ending_with,
    org_classes_ending_with, titles_ending_with,
};
use super::words::Word;
use super::Entities;

/// Names in order of first mention, each once. The set answers "seen?" in
/// constant time: a page naming thousands of people must not cost their
/// square.
#[derive(Debug, Default)]
pub(super) struct FirstMentions {
    list: Vec<String>,
    /// Keyed by what a page says: a hash seeded at random, as std's, but
    /// aHash, which costs a fraction of SipHash on names this short.
    seen: HashSet<String, ahash::RandomState>,
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
    /// The names each listed company is given, as (symbol, name with its
    /// legal form if the page gives one), in text order.
    company_names: Vec<(&'a str, &'t str)>,
}

impl Found<'_, '_> {
    /// The entities found, in order of first mention. A listed company the
    /// page names in several ways (`Santander`, `Banco Santander`) is one
    /// organisation, by the longest of them, where it was first named.
    pub fn entities(&mut self) -> Entities {
        // symbol → (the first name given, the longest).
        let mut by_symbol: HashMap<&str, (&str, &str)> = HashMap::new();
        for &(symbol, name) in &self.company_names {
            let (_, longest) = by_symbol.entry(symbol).or_insert((name, name));
            if name.len() > longest.len() {
                *longest = name;
            }
        }
        // A company's first name becomes its longest; its other names go.
        let mut becomes: HashMap<&str, Option<&str>> = HashMap::new();
        for &(symbol, name) in &self.company_names {
            let (first, longest) = by_symbol[symbol];
            if name == first {
                let entry = becomes.entry(name).or_insert(Some(longest));
                if entry.is_none_or(|kept| kept.len() < longest.len()) {
                    *entry = Some(longest);
                }
            } else if name != longest {
                becomes.entry(name).or_insert(None);
            }
        }
        if becomes.iter().any(|(name, to)| *to != Some(*name)) {
            // One pass, not a search per name: a page may name thousands.
            let mut seen = HashSet::new();
            let listed = std::mem::take(&mut self.organizations.list);
            for name in listed {
                let placed = match becomes.get(name.as_str()) {
                    Some(None) => continue,
                    Some(Some(longest)) => (*longest).to_owned(),
                    None => name,
                };
                if seen.insert(placed.clone()) {
                    self.organizations.list.push(placed);
                }
            }
        }
        Entities {
            countries: std::mem::take(&mut self.countries.list),
            people: std::mem::take(&mut self.people.list),
            organizations: std::mem::take(&mut self.organizations.list),
        }
    }
}

/// Adds what `text` (whose words are `words`) names to `found`.
pub(super) fn find_entities<'a: 't, 't>(
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
                    // the page gives it, with its legal form when the page
                    // gives one (`der Volkswagen AG`).
                    found.instruments.push((symbol, &text[start..end]));
                    let legal_form = legal_form_after(&text[end..]).map_or(0, str::len);
                    let name = match names.nominative(pattern) {
                        Some(nominative) => nominative,
                        None => &text[start..end + legal_form],
                    };
                    found.organizations.add(name);
                    found.company_names.push((symbol, name));
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

    // A word that is a country's name or demonym, lower-case (`greco`, `australienne`).
    let is_demonym = |word: &Word<'_>| {
        !word.capitalised && {
            let at = known_spans.partition_point(|&(s, _, _)| s < word.start);
            known_spans
                .get(at)
                .is_some_and(|&(s, e, country)| country && (s, e) == (word.start, word.end))
        }
    };

    // People by rule: a title or "said", then two to four capitalised words.
    // Their spans, in text order, so that no organisation run takes them in
    // (`presidente del Consiglio Giorgia Meloni`).
    let mut person_spans: Vec<(usize, usize)> = Vec::new();
    // One capitalised word right after a speech verb (`said NASA`),
    // by its index: an organisation, unless a person's (below).
    let mut lone_speakers: Vec<usize> = Vec::new();
    for (index, word) in words.iter().enumerate() {
        let after_title = word.roles.compound_title
            || word.roles.ends_title
                && titles_ending_with(word.text)
                    .iter()
                    .any(|title| ends_with_words(text, words, index, title));
        let after_said = word.roles.speech_verb
            || word.roles.ends_long_speech_verb && ends_speech_phrase(text, words, index);
        if !(after_title || after_said) {
            continue;
        }
        let run = if after_title {
            let run = name_run(text, words, index + 1, 4);
            if run.len() >= 2 {
                run
            } else {
                match name_after_title_complement(text, words, index + 1, &is_demonym) {
                    Some(run) => run,
                    None => continue,
                }
            }
        } else {
            match name_after_lead(text, words, index + 1) {
                Some(run) => run,
                None => continue,
            }
        };
        if after_said && run.len() == 1 && run.start == index + 1 {
            lone_speakers.push(run.start);
        }
        // A run holding an organisation's keyword is no person (`says the
        // World Health Organization`).
        if run.len() < 2 || words[run.clone()].iter().any(|w| w.roles.org_keyword) {
            continue;
        }
        let (start, end) = (words[run.start].start, words[run.end - 1].end);
        if overlaps_known(start, end) {
            continue;
        }
        found.people.add(&text[start..end]);
        person_spans.push((start, end));
    }

    // Their spans, in text order, so that no person's name takes them in
    // (`strategist at Miller Tabak`).
    let mut org_spans: Vec<(usize, usize)> = Vec::new();
    // Organisations by the roles, share nouns and class nouns that
    // introduce them: `analyst at Rabobank`, `chief executive of
    // Safaricom`, `shares of BHP and Fortescue`, `the company Safaricom`,
    // `la société australienne Woodside`, `Netbeheerder Elia`.
    for (index, word) in words.iter().enumerate() {
        let from = if word.roles.shares
            || word.roles.ends_employer_role
                && employer_roles_ending_with(word.text)
                    .iter()
                    .any(|role| ends_with_words(text, words, index, role))
        {
            match words.get(index + 1) {
                Some(link) if link.roles.employer_link && spaced(text, words, index + 1) => {
                    index + 2
                }
                _ => continue,
            }
        } else if word.roles.ends_org_class
            && org_classes_ending_with(word.text)
                .iter()
                .any(|class| ends_with_words(text, words, index, class))
        {
            // At most two lower-case words between, one a demonym: `la
            // société australienne Woodside`, `la banque publique américaine Exim`.
            let modifiers = (index + 1..words.len().min(index + 3))
                .take_while(|&at| !words[at].capitalised && spaced(text, words, at))
                .count();
            (1..=modifiers)
                .rev()
                .find(|&count| (index + 1..index + 1 + count).any(|at| is_demonym(&words[at])))
                .map_or(index + 1, |count| index + 1 + count)
        } else if word.roles.company_article
            && words
                .get(index + 1)
                .is_some_and(|next| is_demonym(next) && spaced(text, words, index + 1))
        {
            // A demonym standing for its company noun: `la japonesa Uniqlo`
            // (la empresa), `le suédois Ikea` (le groupe), `het Duitse
            // Aldi` (het bedrijf). One word only: `la española Carolina
            // Marín` is a person.
            index + 2
        } else {
            continue;
        };
        if from >= words.len() || !spaced(text, words, from) || words[from].roles.ends_title {
            continue;
        }
        let run = org_name_run(text, words, from);
        if run.is_empty() || word.roles.company_article && run.len() != 1 {
            continue;
        }
        // The shares of two companies: `shares of BHP and Fortescue` (the
        // run takes `and` in, as in `Procter and Gamble`).
        let and = word
            .roles
            .shares
            .then(|| (run.start..run.end).find(|&at| words[at].roles.conjunction))
            .flatten();
        let (run, second) = match and {
            Some(and) => (run.start..and, Some(and + 1..run.end)),
            None => (run, None),
        };
        for run in std::iter::once(run).chain(second) {
            let (start, mut end) = (words[run.start].start, words[run.end - 1].end);
            // `Chapter & Verse`: a name that goes on past what the run takes.
            // `the shares of Maria Silva`: a person's holding.
            if text[end..].starts_with(" & ")
                || overlaps_known(start, end)
                || overlaps(&person_spans, start, end)
                || word.roles.shares && is_given_name(words[run.start].text)
            {
                continue;
            }
            // The possessive is not part of the name (`chairman of Disney’s unit`).
            for possessive in ["’s", "'s", "’", "'"] {
                if let Some(name) = text[start..end].strip_suffix(possessive) {
                    end = start + name.len();
                    break;
                }
            }
            let name = &text[start..end];
            let canonical = names
                .canonical_organization(name)
                .unwrap_or_else(|| name.to_owned());
            found.organizations.add(&canonical);
            org_spans.push((start, end));
        }
    }

    // People by the shape of their names: a given name, then one to three
    // more name words (`Marta Kowalski`, `Jakob Stausholm`), anywhere but
    // inside a longer capitalised run (`Hong Kong Polytechnic University`).
    let mut shaped: Vec<(usize, usize)> = Vec::new();
    let mut index = 0;
    while index < words.len() {
        let word = &words[index];
        let inside_run = index > 0 && words[index - 1].capitalised && spaced(text, words, index);
        if inside_run
            || word.roles != Roles::default()
            || !is_name_word(word)
            || !is_given_name(word.text)
        {
            index += 1;
            continue;
        }
        let run = name_run(text, words, index, 4);
        let (start, end) = (words[run.start].start, words[run.end - 1].end);
        let takes_in_more = words
            .get(run.end)
            .is_some_and(|next| next.capitalised && spaced(text, words, run.end));
        let last = &words[run.end - 1];
        if run.len() >= 2
            && !takes_in_more
            // `Christopher D.`: an initial is no surname.
            && last.text.chars().count() > 1
            && !last.roles.place_end
            && !words[run.clone()].iter().any(|w| w.roles.org_keyword)
            && !overlaps_known(start, end)
            && !overlaps(&org_spans, start, end)
        {
            // A name the title and speech rules found is not found again.
            if !overlaps(&person_spans, start, end) {
                found.people.add(&text[start..end]);
                shaped.push((start, end));
            }
        }
        index = run.end.max(index + 1);
    }
    // Both lists are in text order and do not overlap: one merge, not an
    // insertion per name.
    person_spans.extend(shaped);
    person_spans.sort_unstable();

    // A lone speaker is an organisation when its shape says so: an acronym
    // (`said NASA`) or a capital inside the word (`said SpaceX`). Other lone
    // capitalised words after a speech verb were more often a surname the
    // page gave without a known given name (`said Shotwell`) or a common
    // word (`Look`): 12 right of 26 on the extraction benchmark's pages.
    // Even so shaped, a given name or the surname of someone the page named
    // is a person's. The surnames are gathered once, and only if needed: a
    // page of thousands of each must not cost their product.
    let mut surnames: Option<HashSet<String>> = None;
    for at in lone_speakers {
        let word = &words[at];
        let mut letters = word.text.chars().filter(|c| c.is_alphabetic());
        let shaped_as_organisation = word.text.chars().count() >= 2
            && word.text.chars().all(char::is_alphanumeric)
            && letters.next().is_some_and(char::is_uppercase)
            && letters.any(char::is_uppercase);
        if !shaped_as_organisation
            || is_given_name(word.text)
            || word.roles != Roles::default()
            || overlaps_known(word.start, word.end)
            || overlaps(&person_spans, word.start, word.end)
            || overlaps(&org_spans, word.start, word.end)
            || surnames
                .get_or_insert_with(|| {
                    let people = &found.people.list;
                    people
                        .iter()
                        .filter_map(|person| person.rsplit(' ').next())
                        .map(str::to_owned)
                        .collect()
                })
                .contains(word.text)
        {
            continue;
        }
        let canonical = names
            .canonical_organization(word.text)
            .unwrap_or_else(|| word.text.to_owned());
        found.organizations.add(&canonical);
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
        // runs into one or holds another kind is no organisation of its own,
        // and neither is one that takes in a person's name.
        if (!overlaps_known(start_byte, end_byte) || holds_known(start_byte, end_byte))
            && !overlaps(&person_spans, start_byte, end_byte)
        {
            found.organizations.add(&canonical);
        }
        if let Some(acronym) = bracketed_acronym(&text[end_byte..]) {
            found.acronyms.insert(acronym.to_owned(), canonical.clone());
            found.organizations.remove(acronym);
        }
        index = end;
    }
}

/// True when a span of `spans` (in text order, not overlapping) overlaps `start..end`.
fn overlaps(spans: &[(usize, usize)], start: usize, end: usize) -> bool {
    let first_after = spans.partition_point(|&(_, e)| e <= start);
    spans.get(first_after).is_some_and(|&(s, _)| s < end)
}

/// True when word `at` follows the word before it after a single space.
fn spaced(text: &str, words: &[Word<'_>], at: usize) -> bool {
    at > 0 && &text[words[at - 1].end..words[at].start] == " "
}

/// True when the word at `index` ends a speech verb of several words
/// (`a déclaré`, `sprak van`): their last words are often common ones.
fn ends_speech_phrase(text: &str, words: &[Word<'_>], index: usize) -> bool {
    long_speech_verbs_ending_with(words[index].text)
        .iter()
        .any(|verb| ends_with_words(text, words, index, verb))
}

/// The name after a title and what qualifies it, when the name does not
/// follow the title at once: a demonym (`il ministro greco Kostis
/// Hatzidakis`), or a complement closed by a comma (`el ministro de
/// Hacienda, Mario Marcel`). Without the comma the complement's end is a
/// guess (`Minister of Foreign Affairs Sergei Lavrov`), so none is made.
fn name_after_title_complement(
    text: &str,
    words: &[Word<'_>],
    from: usize,
    is_demonym: &dyn Fn(&Word<'_>) -> bool,
) -> Option<std::ops::Range<usize>> {
    let first = words.get(from)?;
    if !spaced(text, words, from) {
        return None;
    }
    if is_demonym(first) {
        let run = name_run(text, words, from + 1, 4);
        return (run.len() >= 2 && spaced(text, words, from + 1)).then_some(run);
    }
    if first.capitalised || !first.roles.org_connector {
        return None;
    }
    // The complement: capitalised words and connectors, at most six, the
    // last one followed by `, `.
    for at in from + 1..words.len().min(from + 7) {
        let word = &words[at];
        if !(is_name_word(word) || word.roles.org_connector) || !spaced(text, words, at) {
            return None;
        }
        let gap = words.get(at + 1).map(|next| &text[word.end..next.start]);
        if gap == Some(", ") && is_name_word(word) {
            let run = name_run(text, words, at + 1, 4);
            return (run.len() >= 2).then_some(run);
        }
    }
    None
}

/// The organisation name a role or class noun introduces, from word
/// `from`: one to four capitalised words, with connectors and numbers
/// between them (`Bank of America`, `Renta 4 Banco`).
fn org_name_run(text: &str, words: &[Word<'_>], from: usize) -> std::ops::Range<usize> {
    let mut end = from;
    let mut last_name = from;
    let mut names = 0;
    while end < words.len() && names < 4 {
        if end > from && !spaced(text, words, end) {
            break;
        }
        let word = &words[end];
        if is_name_word(word) || word.kind.has_joiner() && word.capitalised && !word.roles.not_name
        {
            names += 1;
            end += 1;
            last_name = end;
            // A possessive ends the name (`Tequila Works' Gylt`).
            if word.text.ends_with(['\'', '’'])
                || word.text.ends_with("’s")
                || word.text.ends_with("'s")
            {
                break;
            }
        } else if end > from
            && (word.roles.org_connector && !word.capitalised
                || word.text.bytes().all(|b| b.is_ascii_digit()))
        {
            // Connectors and numbers inside a name, not at its end (`Bank
            // of America`, `Renta 4 Banco`).
            end += 1;
        } else {
            break;
        }
    }
    from..last_name
}

/// The legal form at the start of `after` (the text right after a
/// company's name), with the space before it: ` AG`, ` S.p.A.`, ` Inc.`.
fn legal_form_after(after: &str) -> Option<&str> {
    const FORMS: [&str; 20] = [
        "AG", "SE", "SA", "S.A.", "plc", "PLC", "Inc.", "Inc", "Corp.", "N.V.", "NV", "S.p.A.",
        "SpA", "Ltd", "Ltd.", "GmbH", "KGaA", "ASA", "Oyj", "AB",
    ];
    let rest = after.strip_prefix(' ')?;
    let form = FORMS
        .iter()
        .filter(|form| rest.starts_with(**form))
        .max_by_key(|form| form.len())?;
    let end = 1 + form.len();
    // The form is a whole word (`AG`, not `AGM`); a trailing `.` may be the sentence's.
    let next = after[end..].chars().next();
    (!next.is_some_and(char::is_alphanumeric)).then(|| &after[..end])
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
    let mut from = from;
    while from + 1 < words.len()
        && words[from].roles.ends_title
        && is_name_word(&words[from + 1])
        && spaced(text, words, from + 1)
    {
        from += 1;
    }
    let (mut end, mut names) = (from, 0);
    while end < words.len() && names < max {
        if end > from && !spaced(text, words, end) {
            break;
        }
        if is_name_word(&words[end]) {
            names += 1;
            end += 1;
            continue;
        }
        // Particles, then a name word: `da Silva`, `van der Straeten`.
        let mut next = end;
        while next < words.len()
            && words[next].roles.name_particle
            && next > from
            && spaced(text, words, next)
        {
            next += 1;
        }
        if next > end
            && next < words.len()
            && spaced(text, words, next)
            && is_name_word(&words[next])
        {
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
    while end < words.len() && spaced(text, words, end) {
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
