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
    employer_roles: Vec<&'static str>,
    employer_links: Vec<&'static str>,
    org_classes: Vec<&'static str>,
    shares: Vec<&'static str>,
    conjunctions: Vec<&'static str>,
    pronouns: Vec<&'static str>,
    company_articles: Vec<&'static str>,
    place_ends: Vec<&'static str>,
}

fn word_lists(table: &'static str) -> WordLists {
    let mut lists = WordLists {
        titles: Vec::new(),
        speech_verbs: Vec::new(),
        org_keywords: Vec::new(),
        connectors: Vec::new(),
        not_names: Vec::new(),
        particles: Vec::new(),
        employer_roles: Vec::new(),
        employer_links: Vec::new(),
        org_classes: Vec::new(),
        shares: Vec::new(),
        conjunctions: Vec::new(),
        pronouns: Vec::new(),
        company_articles: Vec::new(),
        place_ends: Vec::new(),
    };
    for (kind, _language, word) in crate::tables::three_fields(table) {
        let list = match kind {
            "title" => &mut lists.titles,
            "speech" => &mut lists.speech_verbs,
            "org" => &mut lists.org_keywords,
            "connector" => &mut lists.connectors,
            "not_name" => &mut lists.not_names,
            "particle" => &mut lists.particles,
            "employer" => &mut lists.employer_roles,
            "employer_link" => &mut lists.employer_links,
            "org_class" => &mut lists.org_classes,
            "shares" => &mut lists.shares,
            "conjunction" => &mut lists.conjunctions,
            "pronoun" => &mut lists.pronouns,
            "company_article" => &mut lists.company_articles,
            "place_end" => &mut lists.place_ends,
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

/// The speech verbs of several words whose last word is `word` (`a
/// déclaré` and `a-t-il déclaré` for `déclaré`): their last words are
/// often common ones (`sprak van`).
pub(super) fn long_speech_verbs_ending_with(word: &str) -> &'static [&'static str] {
    phrases_ending_with(&RULE_WORDS.long_speech_verbs_by_last_word, word)
}

/// Given names (`data/given-names.txt`, generated from a names data
/// package): a person's name may start with one anywhere in a text.
static GIVEN_NAMES: LazyLock<rustc_hash::FxHashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/given-names.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .collect()
});

/// True when `word` is a given name.
pub(super) fn is_given_name(word: &str) -> bool {
    GIVEN_NAMES.contains(word)
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
    /// The last word of a role whose `at`/`of` names an employer
    /// (`executive` of `chief executive`).
    pub ends_employer_role: bool,
    /// The small word between such a role and the employer (`at`, `de`).
    pub employer_link: bool,
    /// The last word of a common noun a company's name follows (`société`).
    pub ends_org_class: bool,
    /// A noun for a company's shares (`shares` of `shares of BHP`).
    pub shares: bool,
    /// Joins two names (`and`, `und`).
    pub conjunction: bool,
    /// A title compounded with a hyphen (`Bayer-Chef`, `Siemens-Chefin`).
    pub compound_title: bool,
    /// A personal pronoun that attributes a quotation (`he`, `er`, `hij`).
    pub pronoun: bool,
    /// An article whose demonym stands for a company (`la` of `la japonesa Uniqlo`).
    pub company_article: bool,
    /// Ends a place's or a thing's name, never a person's (`Beach`, `Cup`).
    pub place_end: bool,
}

/// The lists above, by word. The keys are fixed and short: FxHash is the
/// fastest hash for them, and no input can grow the tables (which is what
/// a seeded hash guards against).
struct RuleWords {
    titles_by_last_word: FxHashMap<&'static str, Vec<&'static str>>,
    employer_roles_by_last_word: FxHashMap<&'static str, Vec<&'static str>>,
    org_classes_by_last_word: FxHashMap<&'static str, Vec<&'static str>>,
    /// Speech verbs of several words, by their last word.
    long_speech_verbs_by_last_word: FxHashMap<&'static str, Vec<&'static str>>,
    roles: FxHashMap<&'static str, Roles>,
}

/// Sets one of a word's roles.
type MarkRole = fn(&mut Roles);

/// `phrases` by their last word, each last word's role set by `mark`.
fn by_last_word(
    phrases: &[&'static str],
    roles: &mut FxHashMap<&'static str, Roles>,
    mark: MarkRole,
) -> FxHashMap<&'static str, Vec<&'static str>> {
    let mut by_last: FxHashMap<&'static str, Vec<&'static str>> = FxHashMap::default();
    for phrase in phrases {
        let last = phrase.rsplit(' ').next().unwrap_or(phrase);
        by_last.entry(last).or_default().push(phrase);
        mark(roles.entry(last).or_default());
    }
    by_last
}

static RULE_WORDS: LazyLock<RuleWords> = LazyLock::new(|| {
    let mut roles: FxHashMap<&'static str, Roles> = FxHashMap::default();
    let titles_by_last_word = by_last_word(&LISTS.titles, &mut roles, |r| r.ends_title = true);
    let employer_roles_by_last_word = by_last_word(&LISTS.employer_roles, &mut roles, |r| {
        r.ends_employer_role = true
    });
    let org_classes_by_last_word =
        by_last_word(&LISTS.org_classes, &mut roles, |r| r.ends_org_class = true);
    let (long_speech_verbs, one_word_speech_verbs): (Vec<&'static str>, Vec<&'static str>) = LISTS
        .speech_verbs
        .iter()
        .partition(|verb| verb.contains(' '));
    let long_speech_verbs_by_last_word = by_last_word(&long_speech_verbs, &mut roles, |r| {
        r.ends_long_speech_verb = true
    });
    let one_word_roles: [(&[&'static str], MarkRole); 11] = [
        (&one_word_speech_verbs, |r| r.speech_verb = true),
        (&LISTS.org_keywords, |r| r.org_keyword = true),
        (&LISTS.connectors, |r| r.org_connector = true),
        (&LISTS.not_names, |r| r.not_name = true),
        (&LISTS.particles, |r| r.name_particle = true),
        (&LISTS.employer_links, |r| r.employer_link = true),
        (&LISTS.pronouns, |r| r.pronoun = true),
        (&LISTS.company_articles, |r| r.company_article = true),
        (&LISTS.place_ends, |r| r.place_end = true),
        (&LISTS.shares, |r| r.shares = true),
        (&LISTS.conjunctions, |r| r.conjunction = true),
    ];
    for (list, mark) in one_word_roles {
        for word in list {
            mark(roles.entry(word).or_default());
        }
    }
    RuleWords {
        titles_by_last_word,
        employer_roles_by_last_word,
        org_classes_by_last_word,
        long_speech_verbs_by_last_word,
        roles,
    }
});

/// What `word` can be to the rules.
pub(super) fn roles_of(word: &str) -> Roles {
    if let Some(roles) = RULE_WORDS.roles.get(word) {
        return *roles;
    }
    // `Bayer-Chef`: a one-word title after a hyphen makes the word a title.
    match word.rsplit_once('-') {
        Some((head, title)) if !head.is_empty() && titles_ending_with(title).contains(&title) => {
            Roles {
                ends_title: true,
                compound_title: true,
                ..Roles::default()
            }
        }
        _ => Roles::default(),
    }
}

/// The titles whose last word is `word` (`Prime Minister` and `Minister`
/// for `Minister`).
pub(super) fn titles_ending_with(word: &str) -> &'static [&'static str] {
    phrases_ending_with(&RULE_WORDS.titles_by_last_word, word)
}

/// The employer roles whose last word is `word` (`chief executive` for `executive`).
pub(super) fn employer_roles_ending_with(word: &str) -> &'static [&'static str] {
    phrases_ending_with(&RULE_WORDS.employer_roles_by_last_word, word)
}

/// The organisation class nouns whose last word is `word`.
pub(super) fn org_classes_ending_with(word: &str) -> &'static [&'static str] {
    phrases_ending_with(&RULE_WORDS.org_classes_by_last_word, word)
}

fn phrases_ending_with(
    by_last_word: &'static FxHashMap<&'static str, Vec<&'static str>>,
    word: &str,
) -> &'static [&'static str] {
    by_last_word.get(word).map_or(&[], Vec::as_slice)
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
        assert!(roles_of("executive").ends_employer_role);
        assert!(employer_roles_ending_with("executive").contains(&"chief executive"));
        assert!(roles_of("at").employer_link && roles_of("bij").employer_link);
        assert!(roles_of("société").ends_org_class && roles_of("Netbeheerder").ends_org_class);
        assert!(org_classes_ending_with("automobilistica").contains(&"casa automobilistica"));
        assert!(roles_of("Bayer-Chef").compound_title && roles_of("Bayer-Chef").ends_title);
        assert!(!roles_of("Baden-Württemberg").ends_title);
        assert!(roles_of("er").pronoun && roles_of("she").pronoun);
        assert!(roles_of("Shares").shares && roles_of("ações").shares);
        assert!(roles_of("und").conjunction && roles_of("en").conjunction);
        assert!(is_given_name("Marta") && is_given_name("Jakob") && !is_given_name("Paris"));
    }
}
