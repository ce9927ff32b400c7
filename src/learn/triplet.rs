//! A linear projection of the frozen embedding, `f(x) = Wx / ‖Wx‖`, trained with the triplet
//! loss `max(‖f(A)−f(P)‖² − ‖f(A)−f(N)‖² + α, 0)` and online mining inside P×K batches.
//!
//! The gradient is written out (no autodiff crate: the model is one matrix and one
//! normalisation, and the tests check the hand-derived gradient against finite differences):
//! with `z = Wx`, `u = z/‖z‖`, `∂L/∂z = (∂L/∂u − u·(uᵀ∂L/∂u)) / ‖z‖` and `∂L/∂W = Σ ∂L/∂z·xᵀ`.

use crate::error::{Error, Result};
use crate::head::{Mining, Projection, TripletOptions};
use crate::learn::adam::Adam;
use crate::learn::dataset::Labelled;
use crate::learn::linalg::symmetric_eigen;
use rand::seq::SliceRandom;
use rand::Rng;

/// The `out_dim` principal directions of `data` (eigenvectors of the uncentred second moment
/// `E[xxᵀ]`, largest first): the starting point of training. With `out_dim` equal to the input
/// length it is a rotation, so projected cosines start equal to the raw ones.
pub fn principal(data: &Labelled, out_dim: usize) -> Result<Projection> {
    let d = data.dim;
    let mut moment = vec![0.0; d * d];
    for i in 0..data.len() {
        let x = data.vector(i);
        for (row, &xi) in moment.chunks_exact_mut(d).zip(x) {
            row.iter_mut().zip(x).for_each(|(m, &xj)| *m += xi * xj);
        }
    }
    moment.iter_mut().for_each(|m| *m /= data.len().max(1) as f64);
    let directions = symmetric_eigen(&moment, d)?;
    Projection::new(out_dim, d, directions.into_iter().take(out_dim).flat_map(|(_, v)| v).collect())
}

/// Batch positions of one anchor, positive and negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Triplet {
    /// Anchor.
    pub anchor: usize,
    /// Same identity as the anchor.
    pub positive: usize,
    /// Another identity.
    pub negative: usize,
}

/// Chooses triplets given the squared distances `dist` (`n × n`, row-major) between the batch
/// members and their labels. Ties go to the lower index.
pub fn mine(dist: &[f64], labels: &[usize], mining: Mining) -> Vec<Triplet> {
    let n = labels.len();
    let d = |i: usize, j: usize| dist[i * n + j];
    let mut out = Vec::new();
    for a in 0..n {
        let positives = (0..n).filter(|&p| p != a && labels[p] == labels[a]);
        let negatives = || (0..n).filter(|&k| labels[k] != labels[a]);
        let closest = |it: &mut dyn Iterator<Item = usize>| it.min_by(|&i, &j| d(a, i).total_cmp(&d(a, j)));
        let farthest = |it: &mut dyn Iterator<Item = usize>| it.reduce(|i, j| if d(a, j) > d(a, i) { j } else { i });
        match mining {
            Mining::BatchHard => {
                if let (Some(positive), Some(negative)) = (farthest(&mut positives.clone()), closest(&mut negatives()))
                {
                    out.push(Triplet { anchor: a, positive, negative });
                }
            }
            Mining::SemiHard => {
                for positive in positives {
                    let semi_hard = closest(&mut negatives().filter(|&k| d(a, k) > d(a, positive)));
                    if let Some(negative) = semi_hard.or_else(|| farthest(&mut negatives())) {
                        out.push(Triplet { anchor: a, positive, negative });
                    }
                }
            }
        }
    }
    out
}

/// The loss of one batch and its gradient with respect to the weights.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchLoss {
    /// Mean hinge loss over the mined triplets (0 when none).
    pub loss: f64,
    /// `∂loss/∂W`, row-major like the weights.
    pub gradient: Vec<f64>,
    /// The mined triplets.
    pub triplets: Vec<Triplet>,
    /// How many of them have a positive loss.
    pub active: usize,
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// `out += scale·(a − b)`.
fn add_scaled_difference(out: &mut [f64], scale: f64, a: &[f64], b: &[f64]) {
    out.iter_mut().zip(a.iter().zip(b)).for_each(|(o, (x, y))| *o += scale * (x - y));
}

/// Mines `batch` (vectors of length `in_dim` with their labels) and returns the mean triplet
/// loss with margin `margin` and its gradient.
pub fn batch_loss(
    projection: &Projection,
    batch: &[&[f64]],
    labels: &[usize],
    margin: f64,
    mining: Mining,
) -> Result<BatchLoss> {
    if batch.len() != labels.len() || batch.iter().any(|x| x.len() != projection.in_dim()) {
        return Err(Error::InvalidArgument(format!(
            "a batch needs one label per vector of {} values",
            projection.in_dim()
        )));
    }
    let n = batch.len();
    let (u, norms): (Vec<Vec<f64>>, Vec<f64>) = batch.iter().map(|x| projection.forward(x)).unzip();
    let dist: Vec<f64> = (0..n * n).map(|k| squared_distance(&u[k / n], &u[k % n])).collect();
    let triplets = mine(&dist, labels, mining);
    let mut grad_u = vec![vec![0.0; projection.out_dim()]; n];
    let (mut loss, mut active) = (0.0, 0);
    let scale = 2.0 / triplets.len().max(1) as f64;
    for t in &triplets {
        let hinge = dist[t.anchor * n + t.positive] - dist[t.anchor * n + t.negative] + margin;
        if hinge <= 0.0 {
            continue;
        }
        loss += hinge;
        active += 1;
        let (a, p, q) = (&u[t.anchor], &u[t.positive], &u[t.negative]);
        add_scaled_difference(&mut grad_u[t.anchor], scale, q, p);
        add_scaled_difference(&mut grad_u[t.positive], scale, p, a);
        add_scaled_difference(&mut grad_u[t.negative], scale, a, q);
    }
    let mut gradient = vec![0.0; projection.weights().len()];
    for ((x, (u, gu)), norm) in batch.iter().zip(u.iter().zip(&grad_u)).zip(&norms) {
        let radial: f64 = u.iter().zip(gu).map(|(a, b)| a * b).sum();
        for (row, (g, v)) in gradient.chunks_exact_mut(projection.in_dim()).zip(gu.iter().zip(u)) {
            let gz = (g - v * radial) / norm;
            if gz != 0.0 {
                row.iter_mut().zip(x.iter()).for_each(|(r, xj)| *r += gz * xj);
            }
        }
    }
    Ok(BatchLoss { loss: loss / triplets.len().max(1) as f64, gradient, triplets, active })
}

/// Trains a projection on `data` (people with at least two vectors), starting from
/// [`principal`]; returns it and the mean batch loss of each epoch.
pub fn train(data: &Labelled, options: &TripletOptions, rng: &mut impl Rng) -> Result<(Projection, Vec<f64>)> {
    let mut projection = principal(data, options.out_dim)?;
    let mut people: Vec<Vec<usize>> = data.by_label().into_iter().filter(|v| v.len() >= 2).collect();
    if people.len() < 2 || options.people < 2 || options.images < 2 {
        return Err(Error::InvalidArgument("triplet training needs batches of ≥ 2 people with ≥ 2 images each".into()));
    }
    let mut adam = Adam::new(projection.weights().len(), options.learning_rate);
    let mut losses = Vec::with_capacity(options.epochs);
    for _ in 0..options.epochs {
        people.shuffle(rng);
        let (mut sum, mut batches) = (0.0, 0);
        for group in people.chunks_mut(options.people).filter(|g| g.len() >= 2) {
            let (mut batch, mut labels) = (Vec::new(), Vec::new());
            for (label, images) in group.iter_mut().enumerate() {
                images.shuffle(rng);
                for &i in images.iter().take(options.images) {
                    batch.push(data.vector(i));
                    labels.push(label);
                }
            }
            let step = batch_loss(&projection, &batch, &labels, options.margin, options.mining)?;
            adam.update(projection.weights_mut(), &step.gradient);
            sum += step.loss;
            batches += 1;
        }
        losses.push(sum / batches.max(1) as f64);
    }
    if !projection.weights().iter().all(|w| w.is_finite()) {
        return Err(Error::InvalidArgument("triplet training diverged (lower the learning rate)".into()));
    }
    Ok((projection, losses))
}
