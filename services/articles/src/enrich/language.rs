//! The language of a page, from its first paragraphs: whichlang (a linear
//! model, ~4 µs) where it knows the script's languages; whatlang's trigram
//! profiles for Cyrillic only (to tell Ukrainian from Russian, which
//! whichlang cannot); Greek by its script.

/// How much of the body language detection reads, at most.
const LANGUAGE_SAMPLE_BYTES: usize = 240;

/// Detects the language of a page.
pub(super) struct LanguageDetector {
    cyrillic: whatlang::Detector,
}

impl LanguageDetector {
    /// A detector for the languages tickertape reports.
    pub fn new() -> Self {
        LanguageDetector {
            cyrillic: whatlang::Detector::with_allowlist(vec![
                whatlang::Lang::Rus,
                whatlang::Lang::Ukr,
            ]),
        }
    }

    /// The language of the first words of `paragraphs`: an ISO 639-1
    /// code, or `und` when they hold no letter.
    pub fn of(&self, paragraphs: &[String]) -> String {
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
