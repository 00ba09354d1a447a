//! The words the entity and quotation rules ask about: titles that
//! introduce a name, verbs that attribute speech, the words that make a
//! capitalised run an organisation, and capitalised words that are never
//! names. Each word of a page is looked up once, when it is split off
//! ([`roles_of`]), so the rules read flags instead of comparing strings.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

/// The word lists, by kind, from `data/rule-words.tsv` (one table for
/// every language served; the file documents the kinds).
struct WordLists {
    titles: Vec<&'static str>,
    speech_verbs: Vec<&'static str>,
    org_keywords: Vec<&'static str>,
    connectors: Vec<&'static str>,
    not_names: Vec<&'static str>,
    particles: Vec<&'static str>,
}

fn word_lists(table: &'static str) -> WordLists {
    let mut lists = WordLists {
        titles: Vec::new(),
        speech_verbs: Vec::new(),
        org_keywords: Vec::new(),
        connectors: Vec::new(),
        not_names: Vec::new(),
        particles: Vec::new(),
    };
    for (kind, _language, word) in crate::tables::three_fields(table) {
        let list = match kind {
            "title" => &mut lists.titles,
            "speech" => &mut lists.speech_verbs,
            "org" => &mut lists.org_keywords,
            "connector" => &mut lists.connectors,
            "not_name" => &mut lists.not_names,
            "particle" => &mut lists.particles,
            _ => continue,
        };
        if !list.contains(&word) {
            list.push(word);
        }
    }
    lists
}

static LISTS: LazyLock<WordLists> =
    LazyLock::new(|| word_lists(include_str!("../../data/rule-words.tsv")));

/// Verbs (and phrases) that attribute speech, in every language served.
pub(super) fn speech_verbs() -> &'static [&'static str] {
    &LISTS.speech_verbs
}

/// What a word can be to the rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Roles {
    /// The last word of some title (`Minister` of `Prime Minister`).
    pub ends_title: bool,
    /// A verb that attributes speech.
    pub speech_verb: bool,
    /// The last word of such a verb of several words (`déclaré` of `a déclaré`).
    pub ends_long_speech_verb: bool,
    /// Marks a capitalised run as an organisation.
    pub org_keyword: bool,
    /// A small word allowed inside an organisation's name.
    pub org_connector: bool,
    /// Capitalised, but never a name.
    pub not_name: bool,
    /// A small word inside a person's name (`da` of `Lula da Silva`).
    pub name_particle: bool,
}

/// The lists above, by word. The keys are fixed and short: FxHash is the
/// fastest hash for them, and no input can grow the tables (which is what
/// a seeded hash guards against).
struct RuleWords {
    titles_by_last_word: FxHashMap<&'static str, Vec<&'static str>>,
    roles: FxHashMap<&'static str, Roles>,
}

static RULE_WORDS: LazyLock<RuleWords> = LazyLock::new(|| {
    let mut titles_by_last_word: FxHashMap<&'static str, Vec<&'static str>> = FxHashMap::default();
    let mut roles: FxHashMap<&'static str, Roles> = FxHashMap::default();
    for title in &LISTS.titles {
        let last = title.rsplit(' ').next().unwrap_or(title);
        titles_by_last_word.entry(last).or_default().push(title);
        roles.entry(last).or_default().ends_title = true;
    }
    for verb in &LISTS.speech_verbs {
        match verb.rsplit_once(' ') {
            Some((_, last)) => roles.entry(last).or_default().ends_long_speech_verb = true,
            None => roles.entry(verb).or_default().speech_verb = true,
        }
    }
    for keyword in &LISTS.org_keywords {
        roles.entry(keyword).or_default().org_keyword = true;
    }
    for connector in &LISTS.connectors {
        roles.entry(connector).or_default().org_connector = true;
    }
    for word in &LISTS.not_names {
        roles.entry(word).or_default().not_name = true;
    }
    for word in &LISTS.particles {
        roles.entry(word).or_default().name_particle = true;
    }
    RuleWords {
        titles_by_last_word,
        roles,
    }
});

/// What `word` can be to the rules.
pub(super) fn roles_of(word: &str) -> Roles {
    RULE_WORDS.roles.get(word).copied().unwrap_or_default()
}

/// The titles whose last word is `word` (`Prime Minister` and `Minister`
/// for `Minister`).
pub(super) fn titles_ending_with(word: &str) -> &'static [&'static str] {
    RULE_WORDS
        .titles_by_last_word
        .get(word)
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_word_has_its_role() {
        assert!(roles_of("Minister").ends_title);
        assert!(titles_ending_with("Minister").contains(&"Prime Minister"));
        // Every language served has its titles, verbs and keywords.
        for title in [
            "presidenta",
            "Bundeskanzler",
            "ministre",
            "topman",
            "primeiro-ministro",
        ] {
            assert!(
                roles_of(title.rsplit(' ').next().unwrap()).ends_title,
                "{title}"
            );
        }
        for verb in ["dijo", "sagte", "zei", "disse", "afirmó"] {
            assert!(roles_of(verb).speech_verb, "{verb}");
        }
        assert!(roles_of("detto").ends_long_speech_verb);
        assert!(roles_of("Banco").org_keyword && roles_of("Unione").org_keyword);
        assert!(roles_of("Mittwoch").not_name && roles_of("Jueves").not_name);
        assert!(roles_of("said").speech_verb);
        assert!(roles_of("déclaré").ends_long_speech_verb);
        assert!(!roles_of("déclaré").speech_verb);
        assert!(roles_of("Bank").org_keyword);
        assert!(roles_of("für").org_connector);
        assert!(roles_of("Tuesday").not_name);
        assert_eq!(roles_of("Pyongyang"), Roles::default());
        assert!(titles_ending_with("Pyongyang").is_empty());
    }
}
