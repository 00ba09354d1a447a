//! IPTC Media Topics by keyword: a topic is on a page when two or more of
//! its keywords are, ranked by how many. Keywords are single words,
//! matched as the page's words are hashed (lower-cased, [`word_hash`]).
//!
//! [`word_hash`]: crate::text::word_hash

use rustc_hash::FxHashMap;

use super::{GazetteerError, Topic};
use crate::text::WordHashes;

/// The keywords of every topic.
pub(super) struct Topics {
    /// Keyword hash → keyword index.
    keywords: FxHashMap<u64, usize>,
    /// Keyword index → topic index.
    topic_of_keyword: Vec<usize>,
    topics: Vec<Topic>,
}

impl Topics {
    /// Reads `code<TAB>label<TAB>keyword|keyword…` lines (`#` starts a comment).
    ///
    /// Fails when a keyword is not one word.
    pub fn new(table: &str) -> Result<Self, GazetteerError> {
        let mut keywords = FxHashMap::default();
        let mut topic_of_keyword = Vec::new();
        let mut topics = Vec::new();
        for (code, label, words) in crate::tables::three_fields(table) {
            for keyword in words.split('|').filter(|k| !k.is_empty()) {
                // Hashed by the very scan that hashes pages.
                let [hash] = WordHashes::of_body([keyword]).body[..] else {
                    return Err(GazetteerError::TopicKeyword(keyword.to_owned()));
                };
                keywords.insert(hash, topic_of_keyword.len());
                topic_of_keyword.push(topics.len());
            }
            topics.push(Topic {
                code: code.to_owned(),
                label: label.to_owned(),
            });
        }
        Ok(Topics {
            keywords,
            topic_of_keyword,
            topics,
        })
    }

    /// The topics of a page whose words hash to `words`: those with two or
    /// more distinct keywords on it, most first (ties in table order).
    pub fn of(&self, words: &WordHashes) -> Vec<Topic> {
        let mut seen = vec![false; self.topic_of_keyword.len()];
        let mut hits = vec![0; self.topics.len()];
        for word in words.title.iter().chain(&words.body) {
            if let Some(&keyword) = self.keywords.get(word) {
                if !std::mem::replace(&mut seen[keyword], true) {
                    hits[self.topic_of_keyword[keyword]] += 1;
                }
            }
        }
        let mut ranked: Vec<(usize, usize)> = hits
            .into_iter()
            .enumerate()
            .filter(|&(_, count)| count >= 2)
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .map(|(topic, _)| self.topics[topic].clone())
            .collect()
    }
}
