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
//! are held. A held story costs about 300 bytes (148 MiB for the default
//! 500,000; see [`StoryIndex`] and docs/BENCHMARKS.md).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use tickertape_processor::RestoreError;

use crate::fingerprint::{held_bins, held_similarity, HeldBins, BINS};

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
/// written before formats were recorded carry no `format` and are 1); the
/// full 32-bit MinHash bins.
/// 2: the same hashes; `minhash` holds the low 8 bits of each bin, as the
/// index does ([`HeldBins`]). Format 1 is read by keeping those bits.
pub const STORY_FORMAT: u32 = 2;

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
    /// MinHash of the latest version: its bins' low 8 bits (format 1: the
    /// whole bins).
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

/// An article id: the xxh3-64 hash of the input message's bytes, which
/// events print as 16 lower-case hex digits. The index keeps the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArticleId(pub u64);

impl ArticleId {
    /// The id printed as events carry it, or None for anything else.
    pub fn parse(id: &str) -> Option<ArticleId> {
        let printed = id.len() == 16
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        printed
            .then(|| u64::from_str_radix(id, 16).ok())
            .flatten()
            .map(ArticleId)
    }
}

impl fmt::Display for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A story's place in the index: its arrival number. Numbers are dense
/// (the story at position `i` of [`StoryIndex::stories`] is `first + i`)
/// and 32 bits wide so that the band tables stay small.
type Seq = u32;
/// The end of a band chain.
const NO_STORY: Seq = Seq::MAX;
/// The fewest buckets per band (as a power of two).
const MIN_BUCKET_BITS: u32 = 4;
/// Most stories the ring grows by at once (about 370 MiB of address space).
const RESERVE_STEP: usize = 1 << 20;

/// One version of a story.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Version {
    body_hash: u64,
    number: u32,
    article_id: ArticleId,
}

/// A story as the index holds it (a [`Story`] is what the changelog holds).
/// 176 bytes and its versions: the held MinHash and the band links are
/// most of it.
#[derive(Debug, Clone)]
struct HeldStory {
    story_id: ArticleId,
    first_seen: DateTime<Utc>,
    /// MinHash of the latest version, as held.
    minhash: HeldBins,
    /// Every version, oldest first.
    versions: Vec<Version>,
    /// Per band, the next story filed under the same band key
    /// ([`NO_STORY`] at the end of the chain).
    next_in_band: [Seq; BANDS],
}

impl HeldStory {
    fn latest(&self) -> Version {
        *self.versions.last().expect("a story has a version")
    }

    fn to_story(&self) -> Story {
        let latest = self.latest();
        Story {
            format: STORY_FORMAT,
            story_id: self.story_id.to_string(),
            version: latest.number,
            latest_article_id: latest.article_id.to_string(),
            minhash: self.minhash.iter().map(|&bin| u32::from(bin)).collect(),
            versions: self
                .versions
                .iter()
                .map(|v| (v.body_hash, v.number, v.article_id.to_string()))
                .collect(),
            first_seen: self.first_seen,
        }
    }

    fn from_story(story: &Story) -> Result<HeldStory, String> {
        let id = |id: &str| {
            ArticleId::parse(id).ok_or_else(|| format!("article id {id:?} is not 16 hex digits"))
        };
        let bins = <[u32; BINS]>::try_from(story.minhash.as_slice())
            .map_err(|_| format!("minhash has {} bins, not {BINS}", story.minhash.len()))?;
        if story.format >= 2 && bins.iter().any(|&bin| bin > u32::from(u8::MAX)) {
            return Err("a held minhash bin is more than 8 bits".to_owned());
        }
        // Format 1 held whole bins; the low bits are what this build keeps.
        let minhash = held_bins(&bins);
        let versions = story
            .versions
            .iter()
            .map(|(body_hash, number, article_id)| {
                Ok(Version {
                    body_hash: *body_hash,
                    number: *number,
                    article_id: id(article_id)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if versions.is_empty() {
            return Err("the story has no versions".to_owned());
        }
        Ok(HeldStory {
            story_id: id(&story.story_id)?,
            first_seen: story.first_seen,
            minhash,
            versions,
            next_in_band: [NO_STORY; BANDS],
        })
    }
}

/// The stories seen within the window, indexed for lookup.
///
/// Laid out for 500,000 stories in about 150 MiB: stories in one ring in
/// order of arrival (eviction is always of the oldest), ids as numbers,
/// MinHashes as their low 8 bits, and LSH bands as chains: each band has a
/// bucket table (as many buckets as stories, rounded up to a power of two)
/// holding the newest story whose band falls in the bucket, and each story
/// links to the next one in the same bucket. A band entry costs four bytes
/// and its share of a bucket; a chain may pass stories of another band key
/// in the same bucket (one on average), which the walk skips by comparing
/// the band's bins.
#[derive(Debug, Clone)]
pub struct StoryIndex {
    /// Stories by arrival, oldest first.
    stories: VecDeque<HeldStory>,
    /// The arrival number of `stories[0]`.
    first: Seq,
    /// Body hash of every version → its story.
    by_body: HashMap<u64, Seq>,
    /// Per band, its buckets' chain heads: band `b`'s bucket `k` is at
    /// `(b << bucket_bits) + k`.
    band_heads: Vec<Seq>,
    /// log2 of the buckets per band.
    bucket_bits: u32,
    /// The latest processing time seen: the window is measured back from it
    /// (a clock that steps back does not make stories younger).
    newest: Option<DateTime<Utc>>,
    /// Stories added or updated (Some) or forgotten (None) since the
    /// changelog last took them.
    changed: BTreeMap<ArticleId, Option<Seq>>,
}

impl Default for StoryIndex {
    fn default() -> Self {
        StoryIndex {
            stories: VecDeque::new(),
            first: 0,
            by_body: HashMap::new(),
            band_heads: vec![NO_STORY; BANDS << MIN_BUCKET_BITS],
            bucket_bits: MIN_BUCKET_BITS,
            newest: None,
            changed: BTreeMap::new(),
        }
    }
}

impl StoryIndex {
    /// Decides what the article `article_id` with `body_hash` and `minhash`,
    /// seen at `seen_at` on the processing clock, is, and remembers it.
    pub fn decide(
        &mut self,
        article_id: ArticleId,
        body_hash: u64,
        minhash: &[u32; BINS],
        seen_at: DateTime<Utc>,
        rules: &DedupeRules,
    ) -> Verdict {
        self.newest = Some(self.newest.map_or(seen_at, |n| n.max(seen_at)));
        self.evict(rules);

        if let Some(&seq) = self.by_body.get(&body_hash) {
            let story = self.held(seq);
            let copied = story
                .versions
                .iter()
                .find(|v| v.body_hash == body_hash)
                .copied()
                .unwrap_or_else(|| story.latest());
            return Verdict::Duplicate {
                story_id: story.story_id.to_string(),
                version: copied.number,
                of: copied.article_id.to_string(),
            };
        }

        let minhash = held_bins(minhash);
        let best = self
            .candidates(&minhash)
            .into_iter()
            .map(|seq| (held_similarity(&self.held(seq).minhash, &minhash), seq))
            .filter(|(score, _)| *score >= rules.update_similarity)
            .max_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then_with(|| self.held(b.1).story_id.cmp(&self.held(a.1).story_id))
            });

        match best {
            Some((score, seq)) => {
                self.unfile(seq);
                let story = self.held_mut(seq);
                let of = story.latest();
                story.minhash = minhash;
                story.versions.push(Version {
                    body_hash,
                    number: of.number + 1,
                    article_id,
                });
                let story_id = story.story_id;
                self.by_body.insert(body_hash, seq);
                self.file(seq);
                self.changed.insert(story_id, Some(seq));
                Verdict::Update {
                    story_id: story_id.to_string(),
                    version: of.number + 1,
                    of: of.article_id.to_string(),
                    similarity: (score * 1000.0).round() / 1000.0,
                }
            }
            None => {
                let seq = self.push(
                    HeldStory {
                        story_id: article_id,
                        first_seen: seen_at,
                        minhash,
                        versions: vec![Version {
                            body_hash,
                            number: 1,
                            article_id,
                        }],
                        next_in_band: [NO_STORY; BANDS],
                    },
                    rules.max_stories,
                );
                self.by_body.insert(body_hash, seq);
                self.file(seq);
                self.changed.insert(article_id, Some(seq));
                Verdict::New {
                    story_id: article_id.to_string(),
                }
            }
        }
    }

    /// The stories added, updated (Some) or forgotten (None) since the last call.
    pub fn take_changes(&mut self) -> Vec<(String, Option<Story>)> {
        std::mem::take(&mut self.changed)
            .into_iter()
            .map(|(id, seq)| (id.to_string(), seq.map(|seq| self.held(seq).to_story())))
            .collect()
    }

    /// Stories remembered (the state-size metric).
    pub fn len(&self) -> usize {
        self.stories.len()
    }

    /// True when no story is remembered.
    pub fn is_empty(&self) -> bool {
        self.stories.is_empty()
    }

    fn held(&self, seq: Seq) -> &HeldStory {
        &self.stories[(seq - self.first) as usize]
    }

    fn held_mut(&mut self, seq: Seq) -> &mut HeldStory {
        &mut self.stories[(seq - self.first) as usize]
    }

    /// Appends a story, not yet filed in its bands, and returns its arrival
    /// number. A full ring grows at once to `room` stories (at most
    /// [`RESERVE_STEP`] more), not by doubling: doubling copies the ring and
    /// holds both copies, and a reservation's pages only become resident as
    /// stories fill them.
    fn push(&mut self, story: HeldStory, room: usize) -> Seq {
        if self.first as usize + self.stories.len() >= NO_STORY as usize {
            self.renumber();
        }
        let len = self.stories.len();
        if len >= 1 << self.bucket_bits {
            self.rebucket(self.bucket_bits + 1);
        }
        if len == self.stories.capacity() {
            self.stories
                .reserve_exact(room.saturating_sub(len).clamp(1, RESERVE_STEP));
        }
        self.stories.push_back(story);
        self.first + (self.stories.len() - 1) as Seq
    }

    /// Numbers the stories from 0 again: once per four billion stories.
    fn renumber(&mut self) {
        let first = self.first;
        let shift = |seq: &mut Seq| {
            if *seq != NO_STORY {
                *seq -= first;
            }
        };
        for story in &mut self.stories {
            story.next_in_band.iter_mut().for_each(shift);
        }
        self.by_body.values_mut().for_each(shift);
        self.band_heads.iter_mut().for_each(shift);
        self.changed.values_mut().flatten().for_each(shift);
        self.first = 0;
    }

    /// Stories sharing a band with `minhash`, each once, in the order found.
    fn candidates(&self, minhash: &HeldBins) -> Vec<Seq> {
        let mut found = Vec::new();
        for band in 0..BANDS {
            let rows = band_rows(minhash, band);
            let mut seq = self.band_heads[self.slot(band, rows)];
            while seq != NO_STORY {
                let story = self.held(seq);
                if band_rows(&story.minhash, band) == rows && !found.contains(&seq) {
                    found.push(seq);
                }
                seq = story.next_in_band[band];
            }
        }
        found
    }

    /// Where band `band`'s chain for `rows` starts in `band_heads`: the
    /// rows' bits mixed (Fibonacci hashing) and the top `bucket_bits` taken.
    fn slot(&self, band: usize, rows: u32) -> usize {
        let bucket = rows.wrapping_mul(0x9e37_79b1) >> (32 - self.bucket_bits);
        (band << self.bucket_bits) + bucket as usize
    }

    /// Files the story `seq` at the head of its bands' chains.
    fn file(&mut self, seq: Seq) {
        for band in 0..BANDS {
            let slot = self.slot(band, band_rows(&self.held(seq).minhash, band));
            let next = std::mem::replace(&mut self.band_heads[slot], seq);
            self.held_mut(seq).next_in_band[band] = next;
        }
    }

    /// Takes the story `seq` out of its bands' chains (before its MinHash
    /// changes or it is forgotten), so that every link leads to a held story.
    fn unfile(&mut self, seq: Seq) {
        for band in 0..BANDS {
            let slot = self.slot(band, band_rows(&self.held(seq).minhash, band));
            let after = self.held(seq).next_in_band[band];
            if self.band_heads[slot] == seq {
                self.band_heads[slot] = after;
                continue;
            }
            let mut before = self.band_heads[slot];
            while before != NO_STORY {
                let next = self.held(before).next_in_band[band];
                if next == seq {
                    self.held_mut(before).next_in_band[band] = after;
                    break;
                }
                before = next;
            }
        }
        self.held_mut(seq).next_in_band = [NO_STORY; BANDS];
    }

    /// Files every story again in `2^bits` buckets per band, oldest first so
    /// that chains run newest first. The old table goes before the new one
    /// is made: the two are never held at once.
    fn rebucket(&mut self, bits: u32) {
        self.band_heads = Vec::new();
        self.band_heads = vec![NO_STORY; BANDS << bits];
        self.bucket_bits = bits;
        for offset in 0..self.stories.len() {
            self.file(self.first + offset as Seq);
        }
    }

    fn evict(&mut self, rules: &DedupeRules) {
        let Some(newest) = self.newest else { return };
        while let Some(oldest) = self.stories.front() {
            let expired = newest - oldest.first_seen > rules.window;
            if !expired && self.stories.len() < rules.max_stories.max(1) {
                break;
            }
            let seq = self.first;
            self.unfile(seq);
            let Some(story) = self.stories.pop_front() else {
                break;
            };
            self.first += 1;
            for version in &story.versions {
                if self.by_body.get(&version.body_hash) == Some(&seq) {
                    self.by_body.remove(&version.body_hash);
                }
            }
            self.changed.insert(story.story_id, None);
        }
    }
}

/// A [`StoryIndex`] being rebuilt from its changelog record by record, so
/// that a restore never holds the changelog's entries and the index at once:
/// each story is taken into its held form as it is read (a later record of
/// the same story replaces it, a deletion removes it), and the list of them
/// becomes the index's ring.
#[derive(Debug, Default)]
pub struct IndexRestore {
    stories: Vec<HeldStory>,
    /// Where each story is in `stories`.
    position: HashMap<ArticleId, usize>,
}

impl IndexRestore {
    /// One changelog record: the story under `key` (None: forgotten).
    ///
    /// Fails when the value is not a story this build can read. (The
    /// stage files each story under its id, so the id is what a later
    /// record of the key replaces or deletes.)
    pub fn record(&mut self, key: &str, value: Option<&[u8]>) -> Result<(), RestoreError> {
        match value {
            Some(value) => self.hold(Story::from_changelog(key.to_owned(), value)?),
            None => {
                // A key that is no story id never held one.
                if let Some(id) = ArticleId::parse(key) {
                    self.forget(id);
                }
                Ok(())
            }
        }
    }

    fn hold(&mut self, story: Story) -> Result<(), RestoreError> {
        let held = HeldStory::from_story(&story).map_err(|detail| RestoreError::Invalid {
            key: story.story_id.clone(),
            detail,
        })?;
        match self.position.get(&held.story_id) {
            Some(&at) => self.stories[at] = held,
            None => {
                self.position.insert(held.story_id, self.stories.len());
                self.stories.push(held);
            }
        }
        Ok(())
    }

    fn forget(&mut self, id: ArticleId) {
        let Some(at) = self.position.remove(&id) else {
            return;
        };
        self.stories.swap_remove(at);
        if let Some(moved) = self.stories.get(at) {
            self.position.insert(moved.story_id, at);
        }
    }

    /// The index of the stories held: in order of first sight, as they
    /// arrived.
    pub fn finish(self) -> StoryIndex {
        drop(self.position);
        let mut held = self.stories;
        // By first seen, then id (numbers sort as their fixed-width hex does).
        held.sort_by_key(|story| (story.first_seen, story.story_id));
        let mut index = StoryIndex {
            newest: held.last().map(|story| story.first_seen),
            stories: VecDeque::from(held),
            ..StoryIndex::default()
        };
        for (offset, story) in index.stories.iter().enumerate() {
            for version in &story.versions {
                index.by_body.insert(version.body_hash, offset as Seq);
            }
        }
        let bits = index.stories.len().next_power_of_two().trailing_zeros();
        index.rebucket(bits.max(MIN_BUCKET_BITS));
        index
    }
}

/// Band `band`'s bins of a held MinHash, as one number.
fn band_rows(minhash: &HeldBins, band: usize) -> u32 {
    const { assert!(ROWS == 4, "a band's held bins are one u32") };
    let rows = &minhash[band * ROWS..(band + 1) * ROWS];
    u32::from_le_bytes([rows[0], rows[1], rows[2], rows[3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::{fingerprint, similarity, Fingerprint};
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

    /// Decides a page under the article id `name` (one letter, as a test's id).
    fn decide(
        index: &mut StoryIndex,
        name: &str,
        page: &str,
        seen_at: DateTime<Utc>,
        rules: &DedupeRules,
    ) -> Verdict {
        let print = print_of(page);
        index.decide(
            id(name),
            print.body_hash,
            print.bins().unwrap(),
            seen_at,
            rules,
        )
    }

    fn id(name: &str) -> ArticleId {
        ArticleId(u64::from(name.as_bytes()[0]))
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
            decide(&mut index, "a", SEED, day(0), &rules),
            Verdict::New {
                story_id: id("a").to_string()
            }
        );
        assert!(
            matches!(decide(&mut index, "b", COPY, day(0), &rules), Verdict::Duplicate { ref story_id, .. } if *story_id == id("a").to_string())
        );
        assert!(matches!(
            decide(&mut index, "c", UPDATE, day(0), &rules),
            Verdict::Update { version: 2, .. }
        ));
        // The copy of version 1 is still recognised after the update.
        assert!(matches!(
            decide(&mut index, "d", COPY, day(1), &rules),
            Verdict::Duplicate { version: 1, .. }
        ));
        decide(&mut index, "e", SAME_TOPIC[0], day(1), &rules);
        decide(&mut index, "f", SAME_TOPIC[1], day(1), &rules);
        assert!(index.len() <= 2, "bounded by max_stories");
        // Past the window the story is forgotten: the seed is new again.
        assert!(matches!(
            decide(&mut index, "g", SEED, day(9), &rules),
            Verdict::New { .. }
        ));
    }

    /// What the index should decide, by brute force over every held story:
    /// a copy when a version's body hash is equal, else the most similar
    /// story sharing a band key (ties to the smaller id), else new.
    #[derive(Default)]
    struct Reference {
        /// Oldest first.
        stories: Vec<ReferenceStory>,
    }

    /// (story id, versions as (body hash, article id), latest MinHash as
    /// held, first seen).
    type ReferenceStory = (u64, Vec<(u64, u64)>, HeldBins, DateTime<Utc>);

    impl Reference {
        fn decide(
            &mut self,
            article: u64,
            body_hash: u64,
            minhash: &[u32; BINS],
            seen_at: DateTime<Utc>,
            newest: DateTime<Utc>,
            rules: &DedupeRules,
        ) -> Verdict {
            while let Some(oldest) = self.stories.first() {
                if newest - oldest.3 <= rules.window && self.stories.len() < rules.max_stories {
                    break;
                }
                self.stories.remove(0);
            }
            let print = |id: u64| ArticleId(id).to_string();
            for (story, versions, _, _) in &self.stories {
                if let Some(at) = versions.iter().position(|v| v.0 == body_hash) {
                    return Verdict::Duplicate {
                        story_id: print(*story),
                        version: at as u32 + 1,
                        of: print(versions[at].1),
                    };
                }
            }
            let minhash = held_bins(minhash);
            let shares_a_band = |other: &HeldBins| {
                (minhash.chunks(ROWS).zip(other.chunks(ROWS))).any(|(a, b)| a == b)
            };
            let best = self
                .stories
                .iter_mut()
                .filter(|s| shares_a_band(&s.2))
                .map(|s| (held_similarity(&s.2, &minhash), s))
                .filter(|(score, _)| *score >= rules.update_similarity)
                .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1 .0.cmp(&a.1 .0)));
            match best {
                Some((score, story)) => {
                    let of = story.1.last().unwrap().1;
                    story.1.push((body_hash, article));
                    story.2 = minhash;
                    Verdict::Update {
                        story_id: print(story.0),
                        version: story.1.len() as u32,
                        of: print(of),
                        similarity: (score * 1000.0).round() / 1000.0,
                    }
                }
                None => {
                    self.stories
                        .push((article, vec![(body_hash, article)], minhash, seen_at));
                    Verdict::New {
                        story_id: print(article),
                    }
                }
            }
        }
    }

    /// Many stories sharing band keys (bins drawn from a tiny alphabet, so
    /// chains grow long and stories leave them from the middle), repeated
    /// bodies, updates, eviction by count and by window, a restore from the
    /// changelog halfway, and arrival numbers wrapping: the index decides
    /// exactly as the brute-force reference does.
    #[test]
    fn the_index_decides_as_brute_force_would() {
        let rules = DedupeRules {
            window: TimeDelta::seconds(300),
            max_stories: 40,
            update_similarity: 0.5,
        };
        let start = DateTime::from_timestamp(1_731_400_000, 0).unwrap();
        let mut random = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            random
        };
        let mut index = StoryIndex {
            first: NO_STORY - 100, // arrival numbers wrap before the restart
            ..StoryIndex::default()
        };
        let mut reference = Reference::default();
        let mut minhashes: Vec<[u32; BINS]> = Vec::new();
        let mut newest = start;
        let (mut updates, mut copies) = (0, 0);
        let mut changelog: Vec<(String, Option<Vec<u8>>)> = Vec::new();
        for n in 0..3_000u64 {
            // The clock steps back by up to 2 s, except after the restart: a
            // restored index knows when its stories were first seen, not the
            // latest time it saw (a restarted service's clock is later anyway).
            let step_back = if n < 1_500 { next() % 3 } else { 0 };
            let seen_at = start + TimeDelta::seconds((n / 4) as i64 - step_back as i64);
            newest = newest.max(seen_at);
            let minhash = match (next() % 4, minhashes.last()) {
                // An edit of a recent body: a few bins change.
                (0, Some(recent)) => {
                    let mut edited = *recent;
                    for _ in 0..(next() % 24) {
                        edited[next() as usize % BINS] = (next() % 3) as u32;
                    }
                    edited
                }
                _ => std::array::from_fn(|_| (next() % 3) as u32),
            };
            minhashes.push(minhash);
            // One body in four repeats an earlier one.
            let body_hash = if next() % 4 == 0 {
                next() % 30
            } else {
                1_000 + n
            };
            let expected = reference.decide(n, body_hash, &minhash, seen_at, newest, &rules);
            let verdict = index.decide(ArticleId(n), body_hash, &minhash, seen_at, &rules);
            assert_eq!(verdict, expected, "decision {n}");
            match verdict {
                Verdict::Update { .. } => updates += 1,
                Verdict::Duplicate { .. } => copies += 1,
                Verdict::New { .. } => {}
            }
            // The changelog takes the changes every few decisions, so a
            // story is written several times and deleted in it.
            if n % 7 == 0 || n == 1_500 {
                changelog.extend(index.take_changes().into_iter().map(|(id, story)| {
                    (id, story.map(|story| serde_json::to_vec(&story).unwrap()))
                }));
            }
            if n == 1_500 {
                assert!(index.first < 1_000, "arrival numbers wrapped");
                // A restart: the index comes back from the changelog's
                // records, read in order, every one of them.
                let mut restore = IndexRestore::default();
                for (key, value) in &changelog {
                    restore.record(key, value.as_deref()).unwrap();
                }
                index = restore.finish();
                assert_eq!(index.len(), reference.stories.len());
                assert!(
                    changelog.len() > 2 * index.len(),
                    "{} records for {} stories: the restore saw replacements and deletions",
                    changelog.len(),
                    index.len()
                );
            }
        }
        assert!(
            updates > 100 && copies > 100 && updates + copies < 2_500,
            "{updates} updates, {copies} copies"
        );
    }

    /// Format 2 holds 8 bits a bin: a larger one was not written by this
    /// build, and the restore says so rather than guess.
    #[test]
    fn a_held_bin_wider_than_8_bits_fails_the_restore() {
        let story = |format, bin| Story {
            format,
            story_id: "416f56339b17781a".to_owned(),
            version: 1,
            latest_article_id: "416f56339b17781a".to_owned(),
            minhash: vec![bin; BINS],
            versions: vec![(7, 1, "416f56339b17781a".to_owned())],
            first_seen: DateTime::from_timestamp(1_731_400_000, 0).unwrap(),
        };
        let restore = |story: Story| IndexRestore::default().hold(story);
        assert!(restore(story(2, 255)).is_ok());
        assert!(restore(story(1, 256)).is_ok());
        let error = restore(story(2, 256)).unwrap_err();
        assert!(
            matches!(error, RestoreError::Invalid { ref detail, .. } if detail.contains("8 bits")),
            "{error}"
        );
    }

    #[test]
    fn ids_print_and_parse_as_events_carry_them() {
        let id = ArticleId(0x416f_5633_9b17_781a);
        assert_eq!(id.to_string(), "416f56339b17781a");
        assert_eq!(ArticleId::parse("416f56339b17781a"), Some(id));
        for not_ours in [
            "416F56339B17781A",
            "416f5633",
            "+16f56339b17781a",
            "",
            "416f56339b17781az",
        ] {
            assert_eq!(ArticleId::parse(not_ours), None, "{not_ours}");
        }
    }
}
