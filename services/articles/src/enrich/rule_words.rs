//! The words the entity and quotation rules ask about: titles that
//! introduce a name, verbs that attribute speech, the words that make a
//! capitalised run an organisation, and capitalised words that are never
//! names. Each word of a page is looked up once, when it is split off
//! ([`roles_of`]), so the rules read flags instead of comparing strings.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

/// Titles that introduce a person's name.
pub(super) const TITLES: &[&str] = &[
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

/// Verbs that attribute speech.
pub(super) const SPEECH_VERBS: &[&str] = &[
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
        assert_eq!(titles_ending_with("Minister").len(), 6);
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
