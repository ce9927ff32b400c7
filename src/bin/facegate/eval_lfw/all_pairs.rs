//! `facegate eval-lfw --all-pairs`: the error rates a login is judged by, from every image of a
//! labelled folder embedded once — every same-person pair and every cross-person pair (LFW:
//! about 240 k and 87 M) scored by the gallery's rule, and open-set identification on the same
//! embeddings.

use crate::parallel::{fold_indexed, map_indexed, progress};
use anyhow::Result;
use facegate::eval::tar_at_far_of;
use facegate::learn::dataset::FaceImage;
use facegate::{Embedding, Rule};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// The FARs the all-pairs report gives the TAR at.
pub const FARS: [f64; 3] = [1e-4, 1e-5, 1e-6];
/// The FARs the open-set identification report gives the rates at.
pub const OPEN_SET_FARS: [f64; 2] = [1e-2, 1e-3];

/// A score with a total order (for the heap of the highest impostor scores).
#[derive(Clone, Copy, PartialEq)]
struct Ordered(f32);
impl Eq for Ordered {}
impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// What one thread saw of the pairs: every genuine score, the `keep` highest impostor scores,
/// how many impostors there were and how many the rule accepted.
#[derive(Default)]
struct Tally {
    genuine: Vec<f32>,
    top: BinaryHeap<Reverse<Ordered>>,
    impostors: u64,
    impostors_accepted: u64,
    genuine_accepted: u64,
}

impl Tally {
    fn impostor(&mut self, score: f32, keep: usize) {
        if self.top.len() < keep {
            self.top.push(Reverse(Ordered(score)));
        } else if self.top.peek().is_some_and(|Reverse(min)| score > min.0) {
            self.top.pop();
            self.top.push(Reverse(Ordered(score)));
        }
    }

    fn merge(mut self, other: Tally, keep: usize) -> Tally {
        self.genuine.extend(other.genuine);
        for Reverse(Ordered(s)) in other.top {
            self.impostor(s, keep);
        }
        self.impostors += other.impostors;
        self.impostors_accepted += other.impostors_accepted;
        self.genuine_accepted += other.genuine_accepted;
        self
    }
}

/// The TAR at one FAR and the threshold that gives it (accept when the score is above it).
#[derive(Debug, Serialize, PartialEq)]
pub struct AtFar {
    /// The false accept rate asked for.
    pub far: f64,
    /// The true accept rate there.
    pub tar: f64,
    /// The score the impostors allowed by `far` reach (accept above it).
    pub threshold: f32,
}

/// Every pair of a labelled set, scored.
#[derive(Debug, Serialize)]
pub struct AllPairs {
    /// Same-person pairs.
    pub genuine_pairs: u64,
    /// Cross-person pairs.
    pub impostor_pairs: u64,
    /// TAR at each of [`FARS`].
    pub at_far: Vec<AtFar>,
    /// The rule's own threshold (its `is_match` decision).
    pub default_threshold: f32,
    /// Cross-person pairs the rule accepts, as a fraction.
    pub far_at_default: f64,
    /// Same-person pairs the rule accepts, as a fraction.
    pub tar_at_default: f64,
    /// FIDO's biometric bar: FAR at most 1e-4 with FRR at most 3 % (TAR at FAR 1e-4 ≥ 97 %).
    pub meets_fido: bool,
}

/// The rule's score of a pair (`f32::NEG_INFINITY` when either image has no face: rejected).
fn score(rule: &Rule, a: Option<&Embedding>, b: Option<&Embedding>) -> f32 {
    match (a, b) {
        (Some(a), Some(b)) => rule.decide(a, b).map_or(f32::NEG_INFINITY, |v| v.value()),
        _ => f32::NEG_INFINITY,
    }
}

/// Scores every pair of `images` on `threads` threads (row `i`: image `i` against the later ones).
pub fn all_pairs(images: &[FaceImage], rule: &Rule, threads: usize) -> Result<AllPairs> {
    let n = images.len() as u64;
    let same: u64 = count_people(images).values().map(|&k| k * (k - 1) / 2).sum();
    let impostor_pairs = n * n.saturating_sub(1) / 2 - same;
    let keep = (FARS[0] * impostor_pairs as f64).floor() as usize + 1;
    let threshold = rule.threshold();
    let row = |mut tally: Tally, i: usize| {
        let a = &images[i];
        for b in &images[i + 1..] {
            let s = score(rule, a.embedding.as_ref(), b.embedding.as_ref());
            if a.person == b.person {
                tally.genuine.push(s);
                tally.genuine_accepted += u64::from(s >= threshold);
            } else {
                tally.impostors += 1;
                tally.impostors_accepted += u64::from(s >= threshold);
                tally.impostor(s, keep);
            }
        }
        tally
    };
    let bar = progress(images.len(), "rows of pairs scored");
    let tally = fold_indexed(images.len(), threads, &bar, Tally::default, row, |a, b| a.merge(b, keep))?;
    let mut top: Vec<f32> = tally.top.into_iter().map(|Reverse(Ordered(s))| s).collect();
    top.sort_by(|a, b| b.total_cmp(a));
    let at_far: Vec<AtFar> = FARS
        .iter()
        .map(|&far| {
            let (tar, threshold) = tar_at_far_of(&tally.genuine, &top, tally.impostors, far);
            AtFar { far, tar, threshold }
        })
        .collect();
    let rate = |k: u64, of: u64| if of == 0 { 0.0 } else { k as f64 / of as f64 };
    Ok(AllPairs {
        genuine_pairs: tally.genuine.len() as u64,
        impostor_pairs: tally.impostors,
        meets_fido: at_far[0].tar >= 0.97,
        at_far,
        default_threshold: threshold,
        far_at_default: rate(tally.impostors_accepted, tally.impostors),
        tar_at_default: rate(tally.genuine_accepted, tally.genuine.len() as u64),
    })
}

fn count_people(images: &[FaceImage]) -> BTreeMap<&str, u64> {
    let mut people = BTreeMap::new();
    for i in images {
        *people.entry(i.person.as_str()).or_insert(0) += 1;
    }
    people
}

/// Detection and identification rate at one false-alarm rate.
#[derive(Debug, Serialize, PartialEq)]
pub struct OpenSetAt {
    /// Fraction of probes of people not enrolled whose best gallery score passes the threshold.
    pub far: f64,
    /// Fraction of probes of enrolled people whose best match is themselves and passes it.
    pub dir: f64,
    /// The threshold (accept above it).
    pub threshold: f32,
}

/// Open-set identification: a gallery of one photo (the first with a face) per person with at
/// least two photos; probes are their other photos (known) and every photo of the people with
/// one photo (unknown).
#[derive(Debug, Serialize)]
pub struct OpenSet {
    /// Enrolled people.
    pub gallery: usize,
    /// Probes of enrolled people.
    pub known_probes: usize,
    /// Probes of people not enrolled.
    pub unknown_probes: usize,
    /// Known probes whose best match is themselves, with no threshold.
    pub rank1: f64,
    /// The rates at each of [`OPEN_SET_FARS`].
    pub at_far: Vec<OpenSetAt>,
}

/// Runs the open-set protocol on `images` with `rule`'s scores.
pub fn open_set(images: &[FaceImage], rule: &Rule, threads: usize) -> Result<OpenSet> {
    let people = count_people(images);
    let mut enrolled: BTreeMap<&str, &Embedding> = BTreeMap::new();
    for i in images.iter().filter(|i| people[i.person.as_str()] >= 2) {
        if let Some(e) = &i.embedding {
            enrolled.entry(i.person.as_str()).or_insert(e);
        }
    }
    let gallery: Vec<(&str, &Embedding)> = enrolled.into_iter().collect();
    let probes: Vec<&FaceImage> = images
        .iter()
        .filter(|i| !gallery.iter().any(|(p, e)| *p == i.person && i.embedding.as_ref() == Some(*e)))
        .collect();
    // (is the person enrolled, best-scoring enrolled person is them, best score)
    let bar = progress(probes.len(), "probes identified");
    let best: Vec<(bool, bool, f32)> = map_indexed(probes.len(), threads, &bar, |i| {
        let probe = probes[i];
        let (who, s) = gallery
            .iter()
            .map(|(p, e)| (*p, score(rule, Some(e), probe.embedding.as_ref())))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or(("", f32::NEG_INFINITY));
        Ok((people[probe.person.as_str()] >= 2, who == probe.person, s))
    })?;
    let mut unknown: Vec<f32> = best.iter().filter(|b| !b.0).map(|b| b.2).collect();
    unknown.sort_by(|a, b| b.total_cmp(a));
    let known: Vec<&(bool, bool, f32)> = best.iter().filter(|b| b.0).collect();
    let share = |k: usize| k as f64 / known.len().max(1) as f64;
    let at_far = OPEN_SET_FARS
        .iter()
        .map(|&far| {
            let allowed = (far * unknown.len() as f64).floor() as usize;
            let threshold = unknown.get(allowed).copied().unwrap_or(f32::NEG_INFINITY);
            OpenSetAt { far, dir: share(known.iter().filter(|b| b.1 && b.2 > threshold).count()), threshold }
        })
        .collect();
    Ok(OpenSet {
        gallery: gallery.len(),
        known_probes: known.len(),
        unknown_probes: unknown.len(),
        rank1: share(known.iter().filter(|b| b.1).count()),
        at_far,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(person: &str, file: &str, v: &[f32]) -> FaceImage {
        FaceImage { person: person.into(), file: file.into(), embedding: Some(Embedding::new(v.to_vec()).unwrap()) }
    }

    #[test]
    fn counts_every_pair_and_takes_the_threshold_from_the_highest_impostors() {
        // a and b: two photos each, close; c: one photo far from both.
        let set = [
            image("a", "1", &[1.0, 0.0, 0.0]),
            image("a", "2", &[0.9, 0.1, 0.0]),
            image("b", "1", &[0.0, 1.0, 0.0]),
            image("b", "2", &[0.1, 0.9, 0.1]),
            image("c", "1", &[0.0, 0.0, 1.0]),
        ];
        for threads in [1, 3] {
            let r = all_pairs(&set, &Rule::cosine_for(facegate::EmbedderModel::MobileFaceNet), threads).unwrap();
            assert_eq!((r.genuine_pairs, r.impostor_pairs), (2, 8));
            // FAR 1e-4 of 8 allows no impostor: the threshold is the highest impostor score.
            let highest = set[1].embedding.as_ref().unwrap().cosine(set[3].embedding.as_ref().unwrap());
            assert_eq!(r.at_far[0].threshold, highest);
            assert_eq!(r.at_far[0].tar, 1.0);
            assert_eq!((r.far_at_default, r.tar_at_default), (0.0, 1.0));
            assert!(r.meets_fido);
        }
    }

    #[test]
    fn a_missing_face_is_a_rejected_pair() {
        let mut set = vec![image("a", "1", &[1.0, 0.0]), image("a", "2", &[1.0, 0.1]), image("b", "1", &[0.0, 1.0])];
        set[1].embedding = None;
        let r = all_pairs(&set, &Rule::cosine_for(facegate::EmbedderModel::MobileFaceNet), 2).unwrap();
        assert_eq!((r.genuine_pairs, r.impostor_pairs), (1, 2));
        assert_eq!(r.tar_at_default, 0.0);
        assert!(!r.meets_fido);
    }

    #[test]
    fn open_set_enrolls_one_photo_and_probes_with_the_rest() {
        let set = [
            image("a", "1", &[1.0, 0.0, 0.0]),
            image("a", "2", &[0.9, 0.2, 0.0]),
            image("b", "1", &[0.0, 1.0, 0.0]),
            image("b", "2", &[0.8, 0.3, 0.0]), // looks like a: a wrong identification
            image("c", "1", &[0.0, 0.1, 1.0]), // not enrolled
        ];
        let r = open_set(&set, &Rule::cosine_for(facegate::EmbedderModel::MobileFaceNet), 2).unwrap();
        assert_eq!((r.gallery, r.known_probes, r.unknown_probes), (2, 2, 1));
        assert_eq!(r.rank1, 0.5);
        // One unknown probe: FAR 1e-2 allows none, the threshold is its best score (0.1 against b).
        assert!(
            (r.at_far[0].threshold - set[4].embedding.as_ref().unwrap().cosine(set[2].embedding.as_ref().unwrap()))
                .abs()
                < 1e-6
        );
        assert_eq!(r.at_far[0].dir, 0.5);
    }
}
