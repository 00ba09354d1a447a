//! A page's words, split once: each text's words with their byte offsets
//! and roles for the rules and quotations, and the body's word hashes for
//! the word count, the fingerprint and the topics.

use std::ops::Range;

use super::rule_words::{roles_of, Roles};
use crate::page::Page;
use crate::text::{for_each_word, TextHashes, WordHashes, WordKind};

/// A word of a text (see [`crate::text::is_word_part`]), with its byte
/// offsets and what it can be to the rules.
#[derive(Debug, Clone, Copy)]
pub(super) struct Word<'a> {
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
    pub kind: WordKind,
    /// Begins with an upper-case letter.
    pub capitalised: bool,
    pub roles: Roles,
}

/// A page's words, split once: each text's for the rules and quotations,
/// and the body's as hashes for the word count, fingerprint and topics.
pub struct PageWords<'p> {
    /// The title, the paragraphs, then the subheadings, each with the
    /// range of its words in `words`.
    texts: Vec<(&'p str, Range<usize>)>,
    words: Vec<Word<'p>>,
    /// The hashes of the words of the title and of the body.
    pub hashes: WordHashes,
}

impl<'p> PageWords<'p> {
    /// Splits the page's title, paragraphs and subheadings, and hashes
    /// their words in the same pass.
    pub fn of(page: &'p Page) -> Self {
        let texts = std::iter::once(page.title.as_str())
            .chain(page.paragraphs.iter().map(String::as_str))
            .chain(page.subheadings.iter().map(String::as_str));
        // About one word in six bytes of news text: sized once, not grown.
        let capacity = texts.clone().map(str::len).sum::<usize>() / 5;
        let mut page_words = PageWords {
            texts: Vec::with_capacity(page.paragraphs.len() + page.subheadings.len() + 1),
            words: Vec::with_capacity(capacity),
            hashes: WordHashes {
                body: Vec::with_capacity(capacity),
                title: Vec::with_capacity(page.title.len() / 2),
                count: 0,
            },
        };
        for (index, text) in texts.enumerate() {
            let words = &mut page_words.words;
            let first = words.len();
            let is_title = index == 0;
            let hashes = &mut page_words.hashes;
            let mut text_hashes = TextHashes::new(
                text,
                if is_title {
                    &mut hashes.title
                } else {
                    &mut hashes.body
                },
            );
            for_each_word(text, |start, end, kind| {
                text_hashes.add(start, end, kind);
                let word = &text[start..end];
                words.push(Word {
                    text: word,
                    start,
                    end,
                    kind,
                    capitalised: word.chars().next().is_some_and(char::is_uppercase),
                    roles: roles_of(word),
                });
            });
            if !is_title {
                hashes.count += text_hashes.count;
            }
            page_words.texts.push((text, first..words.len()));
        }
        page_words
    }

    /// Each text (the title, the paragraphs, then the subheadings) with its words.
    pub(super) fn texts(&self) -> impl Iterator<Item = (&'p str, &[Word<'p>])> + '_ {
        self.texts
            .iter()
            .map(|(text, range)| (*text, &self.words[range.clone()]))
    }
}
