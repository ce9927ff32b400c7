//! Training a [`Head`] of any kind on labelled embeddings, reproducibly from a seed.

use crate::error::{Error, Result};
use crate::head::{Head, HeadKind, HeadModel, OperatingPoint, TrainingSummary, TripletOptions};
use crate::learn::dataset::Labelled;
use crate::learn::logistic::{self, LogisticOptions};
use crate::learn::pairs::{self, Pair};
use crate::learn::triplet;
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// Settings of [`train_head`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainOptions {
    /// Which head.
    pub kind: HeadKind,
    /// Seed of every random choice.
    pub seed: u64,
    /// The projection's settings (triplet heads).
    pub triplet: TripletOptions,
    /// `λ` of the logistic fit.
    pub l2: f64,
    /// Same-identity training pairs per identity at most (matched by as many impostor pairs).
    pub pairs_per_person: usize,
    /// False accept rate the head's threshold is chosen for.
    pub far: f64,
    /// Impostor pairs the threshold is chosen on.
    pub threshold_pairs: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            kind: HeadKind::LogisticChi2,
            seed: 1,
            triplet: TripletOptions::default(),
            l2: 1e-4,
            pairs_per_person: 50,
            far: 1e-3,
            threshold_pairs: 100_000,
        }
    }
}

/// The lowest probability that accepts at most `far` of the `impostors`' probabilities
/// (midway between the last rejected and the first accepted one).
pub fn threshold_at_far(impostors: &[f64], far: f64) -> f64 {
    let mut sorted = impostors.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let allowed = (far * sorted.len() as f64).floor() as usize;
    match (sorted.get(allowed), allowed.checked_sub(1).and_then(|i| sorted.get(i))) {
        (Some(&rejected), Some(&accepted)) => (rejected + accepted) / 2.0,
        (Some(&rejected), None) => (rejected + 1.0) / 2.0,
        (None, _) => 0.0,
    }
}

/// Trains a head of `options.kind` on `data` (identities with at least two vectors are used)
/// for the backbone with SHA-256 `backbone_sha256`; `description` names the data in the
/// head's training summary.
pub fn train_head(data: &Labelled, backbone_sha256: &str, description: &str, options: &TrainOptions) -> Result<Head> {
    let groups = data.by_label();
    let people = groups.iter().filter(|g| g.len() >= 2).count();
    if people < 2 {
        return Err(Error::InvalidArgument(format!(
            "training needs two identities with two images each, found {people}"
        )));
    }
    let mut rng = Pcg64Mcg::seed_from_u64(options.seed);
    let (projection, losses) = match options.kind {
        HeadKind::Triplet => {
            let (projection, losses) = triplet::train(data, &options.triplet, &mut rng)?;
            (Some(projection), losses.iter().map(|&l| l as f32).collect())
        }
        _ => (None, Vec::new()),
    };
    let vectors: Vec<Vec<f64>> = (0..data.len())
        .map(|i| projection.as_ref().map_or_else(|| Ok(data.vector(i).to_vec()), |p| p.apply(data.vector(i))))
        .collect::<Result<_>>()?;
    let features = options.kind.features();
    let dim = features.len(vectors.first().map_or(0, Vec::len));
    let phi = |pairs: &[Pair]| {
        let mut x = Vec::with_capacity(pairs.len() * dim);
        let mut one = Vec::with_capacity(dim);
        for p in pairs {
            features.compute(&vectors[p.a], &vectors[p.b], &mut one);
            x.extend_from_slice(&one);
        }
        x
    };
    let training = pairs::balanced(data, options.pairs_per_person, &mut rng);
    let labels: Vec<bool> = training.iter().map(|p| p.same).collect();
    let fit = logistic::fit(&phi(&training), dim, &labels, LogisticOptions { l2: options.l2, ..Default::default() })?;
    let model = HeadModel { kind: options.kind, projection, weights: fit.weights, bias: fit.bias };
    let summary = TrainingSummary {
        data: description.into(),
        identities: people,
        images: groups.iter().filter(|g| g.len() >= 2).map(Vec::len).sum(),
        pairs: training.len(),
        epochs: if options.kind == HeadKind::Triplet { options.triplet.epochs } else { 0 },
        seed: options.seed,
        l2: options.l2,
        pairs_per_person: options.pairs_per_person,
        triplet: (options.kind == HeadKind::Triplet).then_some(options.triplet),
        triplet_losses: losses,
        fit_objective: fit.objective as f32,
    };
    // Fix the parameters (f32) first, then choose the threshold with exactly them.
    let unset = OperatingPoint { probability: 0.5, far: options.far as f32, impostor_pairs: 0 };
    let head = Head::new(backbone_sha256, data.dim, model, unset, summary)?;
    let prepared: Vec<Vec<f64>> = (0..data.len()).map(|i| head.prepare(data.vector(i))).collect::<Result<_>>()?;
    let impostors = pairs::impostors(data, options.threshold_pairs, &mut rng);
    let scores: Vec<f64> =
        impostors.iter().map(|p| head.probability_prepared(&prepared[p.a], &prepared[p.b])).collect();
    let point = OperatingPoint {
        probability: threshold_at_far(&scores, options.far) as f32,
        far: options.far as f32,
        impostor_pairs: scores.len(),
    };
    head.with_operating_point(point)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_accepts_at_most_the_allowed_impostors() {
        let impostors: Vec<f64> = (0..10).map(|i| f64::from(i) / 10.0).collect();
        assert!((threshold_at_far(&impostors, 0.1) - 0.85).abs() < 1e-12);
        assert!((threshold_at_far(&impostors, 0.05) - 0.95).abs() < 1e-12);
        assert_eq!(threshold_at_far(&impostors, 1.0), 0.0);
        assert_eq!(threshold_at_far(&[], 0.1), 0.0);
    }
}
