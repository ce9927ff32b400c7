//! Same/different training pairs drawn from labelled vectors, balanced between the classes.

use crate::learn::dataset::Labelled;
use rand::seq::SliceRandom;
use rand::Rng;

/// Two vector indices and whether they show the same identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// First vector.
    pub a: usize,
    /// Second vector.
    pub b: usize,
    /// Same identity?
    pub same: bool,
}

/// Every same-identity pair, at most `cap_per_person` per identity (a random subset when it
/// has more), then as many random different-identity pairs.
pub fn balanced(data: &Labelled, cap_per_person: usize, rng: &mut impl Rng) -> Vec<Pair> {
    let mut out = Vec::new();
    for images in data.by_label() {
        let mut all: Vec<Pair> = images
            .iter()
            .enumerate()
            .flat_map(|(k, &a)| images[k + 1..].iter().map(move |&b| Pair { a, b, same: true }))
            .collect();
        if all.len() > cap_per_person {
            all.shuffle(rng);
            all.truncate(cap_per_person);
        }
        out.extend(all);
    }
    let genuine = out.len();
    out.extend(impostors(data, genuine, rng));
    out
}

/// `count` random pairs of vectors of different identities (none when there is only one).
pub fn impostors(data: &Labelled, count: usize, rng: &mut impl Rng) -> Vec<Pair> {
    let n = data.len();
    if data.labels.iter().all(|&l| Some(&l) == data.labels.first()) {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let (a, b) = (rng.random_range(0..n), rng.random_range(0..n));
        if data.labels[a] != data.labels[b] {
            out.push(Pair { a, b, same: false });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn genuine_pairs_are_capped_and_matched_by_impostors() {
        let mut data =
            Labelled { dim: 0, people: vec!["a".into(), "b".into(), "c".into()], labels: vec![], vectors: vec![] };
        for (label, count) in [(0, 5), (1, 2), (2, 1)] {
            (0..count).for_each(|_| data.push(label, vec![1.0]).unwrap());
        }
        let pairs = balanced(&data, 4, &mut rand_pcg::Pcg64Mcg::seed_from_u64(3));
        let genuine: Vec<&Pair> = pairs.iter().filter(|p| p.same).collect();
        assert_eq!(genuine.len(), 4 + 1); // 10 pairs of "a" capped at 4, one of "b"
        assert_eq!(pairs.len(), 10);
        assert!(pairs.iter().all(|p| (data.labels[p.a] == data.labels[p.b]) == p.same && p.a != p.b));
        let lone = Labelled { dim: 1, people: vec!["a".into()], labels: vec![0, 0], vectors: vec![1.0, 1.0] };
        assert_eq!(balanced(&lone, 10, &mut rand_pcg::Pcg64Mcg::seed_from_u64(1)).len(), 1);
    }
}
