//! Story deduplication: is this article a new story, an update of one we
//! know, or a copy of one we published?
//!
//! Decisions, in order:
//! 1. **Duplicate** (a syndicated copy or a re-crawl): the normalised body is
//!    identical to a version of a known story (`body_hash` equal).
//! 2. **Update**: a known story's latest version has an estimated Jaccard
//!    similarity of at least `update_similarity` (default 0.5) over 4-word
//!    shingles. Candidates come from LSH banding: 16 bands of 4 MinHash bins,
//!    so a pair at J = 0.8 shares a band with probability 1 − (1 − 0.8⁴)¹⁶ ≈
//!    0.9995, at J = 0.5 about 0.64, at J = 0.2 about 0.025. Measured on the
//!    fixtures: an edited sentence or an added paragraph scores above 0.85;
//!    unrelated stories on the same topic and day score below 0.1.
//! 3. **New** otherwise.
//!
//! Memory is bounded: a story is forgotten `window` after it was first seen,
//! on the processing clock (a page's own fetch time is the sender's, and a
//! wrong one must not evict the index), or when more than `max_stories`
//! are held.

use std::collections::{BTreeSet, HashMap, VecDeque};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use tickertape_processor::RestoreError;

use crate::fingerprint::{similarity, Fingerprint, BINS};

/// LSH bands; `BINS / BANDS` bins each.
const BANDS: usize = 16;
const ROWS: usize = BINS / BANDS;

/// Deduplication settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DedupeRules {
    /// How long a story is remembered after it was first seen.
    pub window: TimeDelta,
    /// Most stories remembered.
    pub max_stories: usize,
    /// Least estimated Jaccard similarity for an update.
    pub update_similarity: f64,
}

impl Default for DedupeRules {
    fn default() -> Self {
        DedupeRules {
            window: TimeDelta::days(7),
            max_stories: 500_000,
            update_similarity: 0.5,
        }
    }
}

/// What an article is to the stories already seen.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A story not seen before; its id is the article's.
    New {
        /// The new story's id.
        story_id: String,
    },
    /// An edited or extended version of a known story.
    Update {
        /// The story.
        story_id: String,
        /// This version's number (the first version is 1).
        version: u32,
        /// The article id of the version it updates.
        of: String,
        /// Estimated Jaccard similarity to that version.
        similarity: f64,
    },
    /// The same text as a version already published.
    Duplicate {
        /// The story.
        story_id: String,
        /// The version it copies.
        version: u32,
        /// The article id of that version.
        of: String,
    },
}

/// The format of a stored [`Story`]: which word hash
/// ([`crate::text::word_hash`]), shingling and MinHash
/// ([`crate::fingerprint`]) made its hashes. A story is only comparable with
/// fingerprints made the same way, so any change to those is a new format,
/// and a build must keep reading every older one: with the old hashes kept
/// for its stories, or by fingerprinting them again. Forgetting them would
/// publish every syndicated copy of the window as a new story.
///
/// 1: the hashes since the first release with a changelog (entries
/// written before formats were recorded carry no `format` and are 1).
pub const STORY_FORMAT: u32 = 1;

/// One remembered story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    /// The [`STORY_FORMAT`] it was written in.
    #[serde(default = "first_story_format")]
    pub format: u32,
    /// The story's id (its first article's id).
    pub story_id: String,
    /// Latest version number.
    pub version: u32,
    /// Article id of the latest version.
    pub latest_article_id: String,
    /// MinHash of the latest version.
    pub minhash: Vec<u32>,
    /// Body hashes of every version, with the article id that published it.
    pub versions: Vec<(u64, u32, String)>,
    /// When the story was first seen, on the processing clock (its first
    /// page's fetch time in entries written before the window ran on it).
    pub first_seen: DateTime<Utc>,
}

fn first_story_format() -> u32 {
    1
}

impl Story {
    /// A story as the changelog holds it (its JSON), in any format this
    /// build reads.
    ///
    /// Fails when the entry is not a story, or is in a newer format than
    /// this build knows (a rollback after an upgrade changed the hashes):
    /// the dedupe stage then stops rather than forget the window's stories.
    pub fn from_changelog(key: String, value: &[u8]) -> Result<Story, RestoreError> {
        let story: Story =
            serde_json::from_slice(value).map_err(|source| RestoreError::Unreadable {
                key: key.clone(),
                source,
            })?;
        if story.format > STORY_FORMAT {
            return Err(RestoreError::UnknownFormat {
                key,
                found: story.format,
                supported: STORY_FORMAT,
            });
        }
        Ok(story)
    }
}

/// The stories seen within the window, indexed for lookup.
#[derive(Debug, Clone, Default)]
pub struct StoryIndex {
    stories: HashMap<String, Story>,
    by_body: HashMap<u64, String>,
    bands: HashMap<(u8, u64), Vec<String>>,
    /// Stories by when they were first seen, oldest first.
    arrival: VecDeque<(DateTime<Utc>, String)>,
    /// The latest processing time seen: the window is measured back from it
    /// (a clock that steps back does not make stories younger).
    newest: Option<DateTime<Utc>>,
    /// Stories added, updated or forgotten since the changelog last took them.
    changed: BTreeSet<String>,
}

impl StoryIndex {
    /// Decides what the article `article_id` with fingerprint `print`, seen at
    /// `seen_at` on the processing clock, is, and remembers it.
    pub fn decide(
        &mut self,
        article_id: &str,
        print: &Fingerprint,
        seen_at: DateTime<Utc>,
        rules: &DedupeRules,
    ) -> Verdict {
        self.newest = Some(self.newest.map_or(seen_at, |n| n.max(seen_at)));
        self.evict(rules);

        if let Some(story) = self
            .by_body
            .get(&print.body_hash)
            .and_then(|id| self.stories.get(id))
        {
            let (_, version, of) = story
                .versions
                .iter()
                .find(|(hash, _, _)| *hash == print.body_hash)
                .cloned()
                .unwrap_or((
                    print.body_hash,
                    story.version,
                    story.latest_article_id.clone(),
                ));
            return Verdict::Duplicate {
                story_id: story.story_id.clone(),
                version,
                of,
            };
        }

        let best = self
            .candidates(&print.minhash)
            .into_iter()
            .filter_map(|id| self.stories.get(&id))
            .map(|story| (similarity(&story.minhash, &print.minhash), story))
            .filter(|(score, _)| *score >= rules.update_similarity)
            .max_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then_with(|| b.1.story_id.cmp(&a.1.story_id))
            })
            .map(|(score, story)| (score, story.story_id.clone()));

        match best {
            Some((score, story_id)) => {
                self.unindex_bands(&story_id);
                let story = self
                    .stories
                    .get_mut(&story_id)
                    .expect("candidate stories are held");
                let of = std::mem::replace(&mut story.latest_article_id, article_id.to_owned());
                story.version += 1;
                story.minhash = print.minhash.clone();
                story
                    .versions
                    .push((print.body_hash, story.version, article_id.to_owned()));
                let version = story.version;
                self.by_body.insert(print.body_hash, story_id.clone());
                self.index_bands(&story_id, &print.minhash);
                self.changed.insert(story_id.clone());
                Verdict::Update {
                    story_id,
                    version,
                    of,
                    similarity: (score * 1000.0).round() / 1000.0,
                }
            }
            None => {
                let story_id = article_id.to_owned();
                self.stories.insert(
                    story_id.clone(),
                    Story {
                        format: STORY_FORMAT,
                        story_id: story_id.clone(),
                        version: 1,
                        latest_article_id: article_id.to_owned(),
                        minhash: print.minhash.clone(),
                        versions: vec![(print.body_hash, 1, article_id.to_owned())],
                        first_seen: seen_at,
                    },
                );
                self.by_body.insert(print.body_hash, story_id.clone());
                self.index_bands(&story_id, &print.minhash);
                self.arrival.push_back((seen_at, story_id.clone()));
                self.changed.insert(story_id.clone());
                Verdict::New { story_id }
            }
        }
    }

    /// The stories added, updated (Some) or forgotten (None) since the last call.
    pub fn take_changes(&mut self) -> Vec<(String, Option<Story>)> {
        std::mem::take(&mut self.changed)
            .into_iter()
            .map(|id| {
                let story = self.stories.get(&id).cloned();
                (id, story)
            })
            .collect()
    }

    /// An index holding `stories`, as read back from the changelog.
    pub fn restored(stories: Vec<Story>) -> Self {
        let mut index = StoryIndex::default();
        let mut stories = stories;
        stories.sort_by(|a, b| {
            a.first_seen
                .cmp(&b.first_seen)
                .then_with(|| a.story_id.cmp(&b.story_id))
        });
        for story in stories {
            for (hash, _, _) in &story.versions {
                index.by_body.insert(*hash, story.story_id.clone());
            }
            index.index_bands(&story.story_id, &story.minhash);
            index
                .arrival
                .push_back((story.first_seen, story.story_id.clone()));
            index.newest = Some(
                index
                    .newest
                    .map_or(story.first_seen, |n| n.max(story.first_seen)),
            );
            index.stories.insert(story.story_id.clone(), story);
        }
        index
    }

    /// Stories remembered (the state-size metric).
    pub fn len(&self) -> usize {
        self.stories.len()
    }

    /// True when no story is remembered.
    pub fn is_empty(&self) -> bool {
        self.stories.is_empty()
    }

    fn candidates(&self, minhash: &[u32]) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        for key in band_keys(minhash) {
            for id in self.bands.get(&key).into_iter().flatten() {
                if !found.contains(id) {
                    found.push(id.clone());
                }
            }
        }
        found
    }

    fn index_bands(&mut self, story_id: &str, minhash: &[u32]) {
        for key in band_keys(minhash) {
            self.bands.entry(key).or_default().push(story_id.to_owned());
        }
    }

    fn unindex_bands(&mut self, story_id: &str) {
        let Some(minhash) = self.stories.get(story_id).map(|s| s.minhash.clone()) else {
            return;
        };
        for key in band_keys(&minhash) {
            if let Some(ids) = self.bands.get_mut(&key) {
                ids.retain(|id| id != story_id);
                if ids.is_empty() {
                    self.bands.remove(&key);
                }
            }
        }
    }

    fn evict(&mut self, rules: &DedupeRules) {
        let Some(newest) = self.newest else { return };
        while let Some((first_seen, story_id)) = self.arrival.front().cloned() {
            let expired = newest - first_seen > rules.window;
            if !expired && self.stories.len() < rules.max_stories.max(1) {
                break;
            }
            self.arrival.pop_front();
            self.unindex_bands(&story_id);
            self.changed.insert(story_id.clone());
            if let Some(story) = self.stories.remove(&story_id) {
                for (hash, _, _) in story.versions {
                    if self.by_body.get(&hash) == Some(&story_id) {
                        self.by_body.remove(&hash);
                    }
                }
            }
        }
    }
}

fn band_keys(minhash: &[u32]) -> impl Iterator<Item = (u8, u64)> + '_ {
    minhash
        .chunks(ROWS)
        .take(BANDS)
        .enumerate()
        .map(|(band, rows)| {
            let mut bytes = [0u8; ROWS * 4];
            for (slot, value) in bytes.chunks_mut(4).zip(rows) {
                slot.copy_from_slice(&value.to_le_bytes());
            }
            (band as u8, xxh3_64(&bytes))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::{fingerprint, similarity};
    use crate::page::parse_page;

    fn print_of(page: &str) -> Fingerprint {
        let page = parse_page(page).unwrap();
        fingerprint(
            page.paragraphs
                .iter()
                .chain(&page.subheadings)
                .map(String::as_str),
        )
    }

    const SEED: &str = include_str!("../../../tests/fixtures/articles/seed-article.txt");
    const COPY: &str =
        include_str!("../../../tests/fixtures/articles/athens-news-syndicated-copy.txt");
    const UPDATE: &str = include_str!("../../../tests/fixtures/articles/btb-update-same-story.txt");
    const SAME_TOPIC: &[&str] = &[
        include_str!("../../../tests/fixtures/articles/btb-unrelated-same-topic.txt"),
        include_str!("../../../tests/fixtures/articles/athens-news-unrelated-same-day.txt"),
        include_str!("../../../tests/fixtures/articles/de-nordkorea-vertrag.txt"),
    ];

    /// The thresholds in the module doc, measured on the fixture pairs.
    #[test]
    fn similarity_separates_copies_updates_and_unrelated_stories() {
        let seed = print_of(SEED);
        let copy = print_of(COPY);
        let update = print_of(UPDATE);
        assert_eq!(
            seed.body_hash, copy.body_hash,
            "a syndicated copy has the same body"
        );
        let updated = similarity(&seed.minhash, &update.minhash);
        assert!(updated >= 0.8, "update similarity {updated}");
        for other in SAME_TOPIC {
            let unrelated = similarity(&seed.minhash, &print_of(other).minhash);
            assert!(
                unrelated < 0.1,
                "unrelated same-topic similarity {unrelated}"
            );
        }
    }

    #[test]
    fn the_index_decides_and_forgets() {
        let rules = DedupeRules {
            window: TimeDelta::days(7),
            max_stories: 2,
            update_similarity: 0.5,
        };
        let day = |d: i64| DateTime::from_timestamp(1_731_400_000 + d * 86_400, 0).unwrap();
        let mut index = StoryIndex::default();
        assert_eq!(
            index.decide("a", &print_of(SEED), day(0), &rules),
            Verdict::New {
                story_id: "a".into()
            }
        );
        assert!(
            matches!(index.decide("b", &print_of(COPY), day(0), &rules), Verdict::Duplicate { ref story_id, .. } if story_id == "a")
        );
        assert!(matches!(
            index.decide("c", &print_of(UPDATE), day(0), &rules),
            Verdict::Update { version: 2, .. }
        ));
        // The copy of version 1 is still recognised after the update.
        assert!(matches!(
            index.decide("d", &print_of(COPY), day(1), &rules),
            Verdict::Duplicate { version: 1, .. }
        ));
        index.decide("e", &print_of(SAME_TOPIC[0]), day(1), &rules);
        index.decide("f", &print_of(SAME_TOPIC[1]), day(1), &rules);
        assert!(index.len() <= 2, "bounded by max_stories");
        // Past the window the story is forgotten: the seed is new again.
        assert!(matches!(
            index.decide("g", &print_of(SEED), day(9), &rules),
            Verdict::New { .. }
        ));
    }
}
