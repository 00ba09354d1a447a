//! Enrichment of a parsed page: language, length, entities, quotes,
//! instruments and topics. Gazetteers and rules ship in `data/`; no model
//! is downloaded. One module per concern:
//!
//! - [`words`]: the page's words, split once, each with its roles;
//! - [`rule_words`]: the word lists the rules ask about;
//! - [`names`]: the gazetteers' names in one automaton;
//! - [`entities`]: countries, people and organisations, by gazetteer and by rule;
//! - [`quotes`]: quotations and their speakers;
//! - [`language`]: the language of the first paragraphs;
//! - [`topics`]: IPTC Media Topics by keyword.
//!
//! [`Enricher`] holds what is compiled once and runs them in order.

mod entities;
mod language;
mod names;
mod quotes;
mod rule_words;
mod topics;
mod words;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tickertape_market::instruments::{Catalog, Listing};

use crate::page::Page;
pub use words::PageWords;

/// Words read per minute, for `reading_time_s` (adult silent reading of
/// non-fiction is about 230 wpm).
const WORDS_PER_MINUTE: usize = 230;

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
    /// ISIN, where the reference data gives it.
    pub isin: Option<String>,
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

/// Why the gazetteers cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GazetteerError {
    /// The name automaton does not build (too many names for its state ids).
    #[error("the name automaton does not build: {0}")]
    Automaton(String),
    /// A topic keyword must be one word.
    #[error("topic keyword {0:?} is not one word")]
    TopicKeyword(String),
}

/// The gazetteers, compiled once and shared.
pub struct Enricher {
    names: names::Names,
    topics: topics::Topics,
    language: language::LanguageDetector,
    /// Listings of the instruments names resolve to, by the page's day.
    catalog: Catalog,
}

impl Enricher {
    /// The enricher built from the gazetteers shipped in `data/` and the
    /// shipped instrument catalog (both checked by unit tests).
    pub fn builtin() -> Self {
        Self::new(
            include_str!("../../data/countries.tsv"),
            include_str!("../../data/people.tsv"),
            include_str!("../../data/organizations.tsv"),
            include_str!("../../data/topics.tsv"),
            Catalog::builtin(),
        )
        .expect("the shipped gazetteers compile (checked by a unit test)")
    }

    /// Builds an enricher from gazetteers in the TSV format of `data/`.
    ///
    /// Fails when the names do not compile or a topic keyword is not one word.
    pub fn new(
        countries: &str,
        people: &str,
        organizations: &str,
        topics: &str,
        catalog: Catalog,
    ) -> Result<Self, GazetteerError> {
        Ok(Enricher {
            names: names::Names::new(countries, people, organizations, &catalog)?,
            topics: topics::Topics::new(topics)?,
            language: language::LanguageDetector::new(),
            catalog,
        })
    }

    /// Enriches a parsed page, given its words ([`PageWords::of`] the page).
    /// `declared_language` is the page's own (an HTML page's `lang`), used
    /// instead of detection; `day` picks the instrument listings valid then.
    pub fn enrich(
        &self,
        page: &Page,
        words: &PageWords<'_>,
        declared_language: Option<&str>,
        day: NaiveDate,
    ) -> Enrichment {
        let word_count = words.hashes.count;
        let mut found = entities::Found::default();
        for (text, text_words) in words.texts() {
            entities::find_entities(&self.names, text, text_words, &mut found);
        }
        let language =
            declared_language.map_or_else(|| self.language.of(&page.paragraphs), str::to_owned);
        let instruments = self.listed(&found.instruments, day, &language);
        // The texts are the title, then the paragraphs.
        let paragraphs = page
            .paragraphs
            .iter()
            .zip(words.texts().skip(1).map(|(_, w)| w));
        let entities = found.entities();
        let quotes = quotes::find_quotes(&self.names, paragraphs, &entities, &found.acronyms);
        Enrichment {
            language,
            word_count,
            reading_time_s: (word_count * 60).div_ceil(WORDS_PER_MINUTE),
            entities,
            quotes,
            instruments,
            topics: self.topics.of(&words.hashes),
        }
    }

    /// Instruments mentioned, as (symbol, words matched) in text order:
    /// each symbol once, if the catalog lists it on `day`. A name several
    /// listings share (`Merck`: Merck & Co. in New York, Merck KGaA in
    /// Frankfurt) is the listings on the venues of the page's `language`,
    /// where it names one there.
    fn listed(
        &self,
        mentioned: &[(&str, &str)],
        day: NaiveDate,
        language: &str,
    ) -> Vec<InstrumentMention> {
        let home = home_venues(language);
        let mut mentions: Vec<InstrumentMention> = Vec::new();
        // The meanings of one name are next to each other, with the same words.
        for same_name in mentioned.chunk_by(|a, b| std::ptr::eq(a.1, b.1)) {
            let listed: Vec<(&str, &Listing)> = same_name
                .iter()
                .filter_map(|&(symbol, matched)| Some((matched, self.catalog.lookup(symbol, day)?)))
                .collect();
            let at_home = listed.iter().any(|(_, l)| home.contains(&l.mic.as_str()));
            for (matched, listing) in listed {
                if at_home && !home.contains(&listing.mic.as_str())
                    || mentions.iter().any(|m| m.symbol == listing.symbol)
                {
                    continue;
                }
                mentions.push(InstrumentMention {
                    symbol: listing.symbol.clone(),
                    name: listing.name.clone(),
                    mic: listing.mic.clone(),
                    isin: listing.isin.clone(),
                    matched: matched.to_owned(),
                });
            }
        }
        mentions
    }
}

/// The venues (ISO 10383 MICs) of the markets a newsroom writing in
/// `language` reports first: where a name is ambiguous, the listing it
/// means there.
fn home_venues(language: &str) -> &'static [&'static str] {
    match language {
        "de" => &["XETR", "XFRA", "XWBO", "XSWX"],
        "fr" => &["XPAR", "XBRU", "XSWX"],
        "it" => &["XMIL"],
        "es" => &["XMAD"],
        "nl" => &["XAMS", "XBRU"],
        "pt" => &["XLIS", "BVMF"],
        "en" => &["XNYS", "XNAS", "XLON"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_gazetteers_compile_and_bad_ones_are_errors() {
        let _ = Enricher::builtin();
        let error = Enricher::new("", "", "", "01000000\tarts\tfine art", Catalog::builtin())
            .err()
            .expect("a keyword of two words is refused");
        assert_eq!(error, GazetteerError::TopicKeyword("fine art".into()));
    }

    #[test]
    fn overlapping_names_the_longest_wins() {
        let page = crate::page::parse_page(
            "Wire - Dividends\n\nBritish American Tobacco raised its dividend, BAT said. \
             Vodafone fell in London.\n",
        )
        .unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let enrichment = Enricher::builtin().enrich(&page, &PageWords::of(&page), None, day);
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

    fn countries_of(text: &str) -> Vec<String> {
        let page = crate::page::parse_page(&format!("Wire - World\n\n{text}\n")).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        ENRICHER
            .enrich(&page, &PageWords::of(&page), None, day)
            .entities
            .countries
    }

    static ENRICHER: std::sync::LazyLock<Enricher> = std::sync::LazyLock::new(Enricher::builtin);

    /// The generated gazetteer (scripts/reference-data/countries.py) knows
    /// every country, in the languages served, in the forms they inflect to;
    /// sentences written for this test, not taken from the fixtures.
    #[test]
    fn countries_from_the_reference_data_in_every_language() {
        let cases: &[(&str, &[&str])] = &[
            (
                "A drought in Ivory Coast and Ghana lifted cocoa prices.",
                &["CI", "GH"],
            ),
            (
                "Traders in Nigeria, Kenya, Japan, Tanzania and Ghana cut orders.",
                &["NG", "KE", "JP", "TZ", "GH"],
            ),
            (
                "Die Raketen Nordkoreas trafen die russischen Stellungen.",
                &["KP", "RU"],
            ),
            (
                "Le président a rencontré les dirigeants de l'Ukraine à Moscou.",
                &["UA", "RU"],
            ),
            (
                "La delegación mexicana viajó a Buenos Aires.",
                &["MX", "AR"],
            ),
            (
                "Il governo italiano ha convocato l'ambasciatore a Mosca.",
                &["IT", "RU"],
            ),
            (
                "O Brasil e Moçambique assinaram um acordo em Lisboa.",
                &["BR", "MZ", "PT"],
            ),
            (
                "De Nederlandse regering sprak met Duitsland en België.",
                &["NL", "DE", "BE"],
            ),
            ("Les Ivoiriens ont voté ; la Côte d’Ivoire attend.", &["CI"]),
            (
                "Uzbekistan and Kyrgyzstan met in Bishkek and Tashkent.",
                &["UZ", "KG"],
            ),
            // Names that do not say which country, or are something else.
            ("Georgia Power raised rates in New Jersey.", &[]),
            ("The Korean won fell; Congolese miners struck.", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(&countries_of(text), expected, "{text}");
        }
    }

    /// Company names from the generated catalog resolve to their home
    /// listing, with its ISIN, whatever name the newsroom uses.
    #[test]
    fn listed_companies_from_the_reference_data_carry_their_isin() {
        let page = crate::page::parse_page(
            "Wire - Markets\n\nGoogle and Microsoft rose; Louis Vuitton slipped in Paris. \
             Standard Chartered and Siemens gained, Toyota fell.\n",
        )
        .unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let found: Vec<(String, Option<String>)> = ENRICHER
            .enrich(&page, &PageWords::of(&page), None, day)
            .instruments
            .into_iter()
            .map(|m| (m.symbol, m.isin))
            .collect();
        let expected = [
            ("GOOGL", "US02079K1079"),
            ("MSFT", "US5949181045"),
            ("MC.PA", "FR0000121014"),
            ("STAN.L", "GB0004082847"),
            ("SIE.DE", "DE0007236101"),
            ("7203.T", "JP3633400001"),
        ];
        assert_eq!(
            found,
            expected.map(|(s, i)| (s.to_owned(), Some(i.to_owned())))
        );
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
            .enrich(&page, &PageWords::of(&page), None, day)
            .quotes;
        let speakers: Vec<Option<&str>> = quotes.iter().map(|q| q.speaker.as_deref()).collect();
        assert_eq!(
            speakers,
            [Some("Emmanuel Macron"), Some("Olaf Scholz"), None],
            "{quotes:?}"
        );
    }

    /// The entities of a page whose paragraphs are `paragraphs`.
    fn entities_of(paragraphs: &[&str]) -> (Entities, Vec<Quote>) {
        let text = format!("Wire - A story\n\n{}\n", paragraphs.join("\n\n"));
        let page = crate::page::parse_page(&text).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let enrichment = Enricher::builtin().enrich(&page, &PageWords::of(&page), None, day);
        (enrichment.entities, enrichment.quotes)
    }

    #[test]
    fn a_title_finds_the_name_after_a_demonym_or_a_complement_closed_by_a_comma() {
        let (entities, _) = entities_of(&[
            "Il ministro greco Kostis Hatzidakis ha parlato a Roma.",
            "El ministro de Hacienda, Mario Marcel, dijo que no.",
            "O ministro das Finanças, Joaquim Miranda Sarmento, falou em Lisboa.",
            // Without the comma the complement's end is unknown: no guess.
            "The Minister of Foreign Affairs Ivan Petrenko arrived.",
        ]);
        assert_eq!(
            entities.people,
            [
                "Kostis Hatzidakis",
                "Mario Marcel",
                "Joaquim Miranda Sarmento"
            ]
        );
    }

    #[test]
    fn roles_and_class_nouns_name_organisations() {
        let (entities, _) = entities_of(&[
            "\"Stocks are low,\" said Marta Kowalski, an analyst at Rabobank in London.",
            "Peter Ndegwa, chief executive of Safaricom, spoke first.",
            "Le pétrole vient de la société australienne Woodside.",
            "Netbeheerder Elia leidt het project.",
            "Hege is the CEO of Chapter & Verse, and the chairman of Disney’s streaming unit.",
            "He is the President of France and a producer John Shanks.",
        ]);
        assert_eq!(
            entities.organizations,
            ["Rabobank", "Safaricom", "Woodside", "Elia", "Disney"],
            "{entities:?}"
        );
        assert_eq!(
            entities.people,
            ["Marta Kowalski", "Peter Ndegwa", "John Shanks"]
        );
    }

    #[test]
    fn share_nouns_name_companies_and_a_lone_speaker_of_an_acronym_is_one() {
        let (entities, _) = entities_of(&[
            "Shares of Tyvak and Korvane fell, while the shares of Maria Silva were sold.",
            "Les actions de Quadrient ont reculé; as ações da Sonae subiram.",
            "\"We are on track,\" said NASA, and \"so are we,\" said SpaceX.",
            "\"It flew,\" said Shotwell. \"Look,\" said Look.",
        ]);
        assert_eq!(
            entities.organizations,
            ["Tyvak", "Korvane", "Quadrient", "Sonae", "NASA", "SpaceX"],
            "{entities:?}"
        );
    }

    #[test]
    fn a_person_is_no_organisation_and_an_organisation_no_person() {
        let (entities, _) = entities_of(&[
            "La presidente del Consiglio Giorgia Meloni ha incontrato Edi Rama.",
            "Symptoms appear within days, says the World Health Organization.",
        ]);
        assert_eq!(entities.people, ["Giorgia Meloni"]);
        assert_eq!(entities.organizations, ["World Health Organization"]);
    }

    #[test]
    fn a_listed_company_is_one_organisation_by_the_longest_name_the_page_gives() {
        let (entities, _) = entities_of(&[
            "Santander ganó más. Banco Santander subió en Madrid.",
            "Begleitet wird er von Managern der Volkswagen AG.",
        ]);
        assert_eq!(entities.organizations, ["Banco Santander", "Volkswagen AG"]);
    }

    #[test]
    fn a_speaker_named_before_spoke_of_and_its_translations() {
        let (_, quotes) = entities_of(&[
            "Il ministro greco Kostis Hatzidakis ha parlato di «un segnale di fiducia».",
            "Minister Tinne Van der Straeten sprak van „een belangrijke stap”.",
            // `van` alone is no speech verb.
            "De kabel van „twee landen en één net” ligt klaar.",
        ]);
        let speakers: Vec<Option<&str>> = quotes.iter().map(|q| q.speaker.as_deref()).collect();
        assert_eq!(
            speakers,
            [
                Some("Kostis Hatzidakis"),
                Some("Tinne Van der Straeten"),
                None
            ],
            "{quotes:?}"
        );
    }

    #[test]
    fn german_compound_titles_and_declined_names() {
        let (entities, quotes) = entities_of(&[
            "„Das ist ein wichtiger Schritt“, sagte Bayer-Chef Bill Anderson am Dienstag.",
            "Analysten der Deutschen Bank rechnen mit weiteren Vergleichen.",
        ]);
        assert_eq!(entities.people, ["Bill Anderson"]);
        // `Bayer-Chef` names Bayer too.
        assert_eq!(entities.organizations, ["Bayer", "Deutsche Bank"]);
        assert_eq!(quotes[0].speaker.as_deref(), Some("Bill Anderson"));
    }

    #[test]
    fn a_pronoun_attributes_a_quote_to_the_person_named_before() {
        let (_, quotes) = entities_of(&[
            "TotalEnergies a relancé son projet, a annoncé son PDG Patrick Pouyanné.",
            "« Les conditions sont réunies », a-t-il déclaré devant la presse.",
            "\"The market has softened,\" chief executive Jakob Stausholm told analysts.",
            "\"We will wait,\" he said.",
        ]);
        let speakers: Vec<Option<&str>> = quotes.iter().map(|q| q.speaker.as_deref()).collect();
        assert_eq!(
            speakers,
            [
                Some("Patrick Pouyanné"),
                Some("Jakob Stausholm"),
                Some("Jakob Stausholm")
            ],
            "{quotes:?}"
        );
    }

    #[test]
    fn a_name_listed_in_two_markets_is_the_listing_of_the_pages_language() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let symbols = |text: &str| -> Vec<String> {
            let page = crate::page::parse_page(text).unwrap();
            Enricher::builtin()
                .enrich(&page, &PageWords::of(&page), None, day)
                .instruments
                .into_iter()
                .map(|m| m.symbol)
                .collect()
        };
        assert_eq!(
            symbols("Börse - Merck\n\nDie Aktie von Merck legte in Frankfurt um vier Prozent zu, sagten Händler am Dienstag.\n"),
            ["MRK.DE"]
        );
        assert_eq!(
            symbols("Wire - Merck\n\nShares of Merck rose four percent in New York on Tuesday, traders said.\n"),
            ["MRK"]
        );
    }

    #[test]
    fn class_nouns_with_two_modifiers_and_exchanges() {
        let (entities, _) = entities_of(&[
            "La banque publique américaine Exim finance une partie du projet.",
            "Las acciones subieron un 2 % en la Bolsa de Madrid.",
            // No demonym among the modifiers: no organisation.
            "Le groupe a racheté Lumen cette année.",
        ]);
        assert_eq!(
            entities.organizations,
            ["Exim", "Bolsa de Madrid"],
            "{entities:?}"
        );
        let (entities, _) = entities_of(&[
            "La empresa compite con la japonesa Uniqlo en la región.",
            "Ganó la española Carolina Marín.",
        ]);
        assert_eq!(entities.organizations, ["Uniqlo"], "{entities:?}");
    }

    #[test]
    fn people_by_the_shape_of_their_names() {
        let (entities, _) = entities_of(&[
            "The talks with Marta Kowalski and Jakob Stausholm went on late.",
            // Places, cups, initials and names inside longer runs are no people.
            "Fans in Virginia Beach watched the Stanley Cup with Christopher D. Smith.",
            "Police at Hong Kong Polytechnic University agreed with a strategist at Miller Tabak.",
        ]);
        assert_eq!(
            entities.people,
            ["Marta Kowalski", "Jakob Stausholm"],
            "{entities:?}"
        );
        assert!(
            entities.organizations.contains(&"Miller Tabak".to_owned()),
            "{entities:?}"
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
            assert_eq!(enricher.language.of(&[text.to_owned()]), expected, "{text}");
        }
    }
}
