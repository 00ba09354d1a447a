//! Body fingerprints for near-duplicate detection.
//!
//! The body (paragraphs and subheadings, not the title or any chrome) is
//! normalised to lower-case words; every run of [`SHINGLE_WORDS`] words is a
//! shingle. Two fingerprints come out of it:
//! - `body_hash`: the sequence of word hashes ([`crate::text::word_hash`])
//!   folded into one. Equal hashes mean the same words in the same order: a
//!   syndicated copy.
//! - `minhash`: a [`BINS`]-bin one-permutation MinHash of the shingle set
//!   (Li, Owen and Zhang 2012, with rotation densification for empty bins,
//!   Shrivastava and Li 2014). The fraction of equal bins estimates the
//!   Jaccard similarity of two bodies, with a standard error of about
//!   `sqrt(J(1-J)/64)`, ±0.06 at J = 0.5. One hash per shingle keeps it cheap.

use serde::{Deserialize, Serialize};

/// Words per shingle. Four-word shingles are the usual choice for news text:
/// one edited sentence changes a few dozen of several hundred.
pub const SHINGLE_WORDS: usize = 4;
/// MinHash bins.
pub const BINS: usize = 64;

/// The fingerprints of one body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Hash of the normalised text; equal for identical bodies.
    pub body_hash: u64,
    /// One-permutation MinHash of the shingles.
    pub minhash: Vec<u32>,
}

impl Fingerprint {
    /// Fingerprints a body from its words' hashes ([`crate::text::WordHashes::body`]).
    pub fn of(words: &[u64]) -> Fingerprint {
        let mut bins = [u32::MAX; BINS];
        let mut filled = [false; BINS];
        let mut add = |hash: u64| {
            let bin = (hash >> 58) as usize; // top 6 bits choose one of 64 bins
            let value = hash as u32;
            if value <= bins[bin] {
                bins[bin] = value;
                filled[bin] = true;
            }
        };
        if words.len() < SHINGLE_WORDS {
            // A body shorter than a shingle is one shingle.
            add(shingle_hash(words));
        } else {
            for shingle in words.windows(SHINGLE_WORDS) {
                add(shingle_hash(shingle));
            }
        }
        densify(&mut bins, &filled);
        Fingerprint {
            body_hash: sequence_hash(words),
            minhash: bins.to_vec(),
        }
    }

    /// The MinHash as its fixed number of bins, or None when it has another
    /// length (a record this build did not write).
    pub fn bins(&self) -> Option<&[u32; BINS]> {
        self.minhash.as_slice().try_into().ok()
    }

    /// `body_hash` as 16 hex digits, as events carry it.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.body_hash)
    }
}

/// Fingerprints a body given as its paragraphs (subheadings included, in
/// order); the service fingerprints [`crate::enrich::PageWords`] instead.
#[cfg(test)]
pub(crate) fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a str>) -> Fingerprint {
    Fingerprint::of(&crate::text::WordHashes::of_body(parts).body)
}

/// The estimated Jaccard similarity of two bodies: the share of equal bins.
pub fn similarity(a: &[u32], b: &[u32]) -> f64 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    equal as f64 / a.len() as f64
}

/// A MinHash as the dedupe index holds it: the low 8 bits of each bin
/// (b-bit MinHash, Li and König 2010), a quarter of the memory. Two bins
/// that differ still agree on their low bits one time in 256, which
/// [`held_similarity`] takes out; the estimate's error stays within a few
/// percent of the full bins' (`sqrt(J(1-J)/64)`, ±0.06 at J = 0.5).
pub type HeldBins = [u8; BINS];

/// The bins kept of `minhash`.
pub fn held_bins(minhash: &[u32; BINS]) -> HeldBins {
    std::array::from_fn(|bin| minhash[bin] as u8) // the low 8 bits, by design
}

/// The estimated Jaccard similarity of two held MinHashes: the share of
/// equal bins less the share that agree by chance, rescaled so that equal
/// MinHashes score 1 and unrelated ones about 0.
pub fn held_similarity(a: &HeldBins, b: &HeldBins) -> f64 {
    const CHANCE: f64 = 1.0 / 256.0;
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / BINS as f64;
    ((equal - CHANCE) / (1.0 - CHANCE)).max(0.0)
}

/// The words' hashes, each rotated by its position (so order counts), then
/// one finaliser: word hashes are already uniform, the mix spreads the sum.
fn shingle_hash(words: &[u64]) -> u64 {
    let mut hash = 0x9e37_79b9_7f4a_7c15_u64;
    for (position, word) in words.iter().enumerate() {
        hash ^= word.rotate_left(17 * position as u32);
    }
    mix(hash)
}

/// The word sequence identifies the normalised text: the words' hashes
/// folded in order (a bijection of each word for a given state), then one
/// finaliser.
fn sequence_hash(words: &[u64]) -> u64 {
    let folded = words.iter().fold(words.len() as u64, |hash, &word| {
        (hash.rotate_left(29) ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    });
    mix(folded)
}

/// splitmix64's finaliser: every input bit moves every output bit.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// An empty bin takes the value of the next filled bin to its right
/// (circularly), offset by the distance so that borrowed values differ from
/// the originals.
fn densify(bins: &mut [u32; BINS], filled: &[bool; BINS]) {
    if !filled.iter().any(|&f| f) {
        return;
    }
    for bin in 0..BINS {
        if filled[bin] {
            continue;
        }
        let mut distance = 1;
        while !filled[(bin + distance) % BINS] {
            distance += 1;
        }
        let source = bins[(bin + distance) % BINS];
        bins[bin] = source.wrapping_add(0x9e37_79b9_u32.wrapping_mul(distance as u32));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_bodies_match_whatever_the_case_and_punctuation() {
        let a = fingerprint(["The deal \"was ratified\", KCNA said.", "More to come"]);
        let b = fingerprint(["the deal “was ratified,” KCNA said", "more to come"]);
        assert_eq!(a, b);
        assert_eq!(similarity(&a.minhash, &b.minhash), 1.0);
    }

    #[test]
    fn the_fingerprint_is_pinned() {
        // Published (`fingerprint`) and persisted (the story changelog):
        // these values change only with a new story format.
        let print = fingerprint([
            "North Korea has ratified a defence treaty with Russia, state media said.",
            "Größe und ΣΟΦΊΑ",
        ]);
        assert_eq!(print.hex(), "84aeaa41344b6adb");
        assert_eq!(
            print.minhash[..8],
            [
                1127791436, 2768322963, 113887194, 1754418721, 3394950248, 740514479, 1350954208,
                2991485735
            ]
        );
    }

    /// The held 8 bits a bin estimate what the full bins do: identical
    /// bodies 1, unrelated ones 0, and edited ones within two bins.
    #[test]
    fn held_bins_estimate_the_similarity_the_full_bins_do() {
        let words: Vec<String> = (0..300).map(|n| format!("word{n}")).collect();
        let body = |changed: usize| {
            let mut edited = words.clone();
            for (n, word) in edited.iter_mut().enumerate().take(changed) {
                *word = format!("edit{n}");
            }
            fingerprint([edited.join(" ").as_str()])
        };
        let original = body(0);
        let held = held_bins(original.bins().unwrap());
        assert_eq!(held_similarity(&held, &held), 1.0);
        let unrelated = fingerprint(["entirely different words make another body of text"]);
        assert!(held_similarity(&held, &held_bins(unrelated.bins().unwrap())) < 0.05);
        for changed in [10, 40, 80, 150] {
            let edited = body(changed);
            let full = similarity(&original.minhash, &edited.minhash);
            let estimate = held_similarity(&held, &held_bins(edited.bins().unwrap()));
            assert!(
                (full - estimate).abs() <= 2.0 / BINS as f64,
                "{changed} words changed: full bins {full}, held bins {estimate}"
            );
        }
    }

    #[test]
    fn short_and_empty_bodies_still_fingerprint() {
        assert_eq!(fingerprint(["Two words"]).minhash.len(), BINS);
        assert_ne!(
            fingerprint(["Two words"]).body_hash,
            fingerprint(["Other words"]).body_hash
        );
        assert_eq!(fingerprint([""]).minhash.len(), BINS);
    }
}
