//! Pair features φ(f1, f2) that a logistic unit turns into p(same person).

use serde::{Deserialize, Serialize};

/// Guards `0/0` in the χ² feature; see [`Features::ChiSquare`].
pub const CHI2_EPSILON: f64 = 1e-12;

/// Which pair feature a head scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Features {
    /// One value: the cosine similarity `f1·f2 / (‖f1‖‖f2‖)` (Platt scaling of the score).
    Cosine,
    /// `|f1 − f2|` per component.
    L1,
    /// `(f1 − f2)² / (|f1| + |f2| + ε)` per component: the χ² distance term made safe for
    /// signed embeddings. The textbook `(f1 − f2)² / (f1 + f2)` assumes non-negative
    /// histograms; with signed values its denominator can be zero or negative. Because
    /// `(a − b)² ≤ (|a| + |b|)²`, the safe term lies in `[0, |a| + |b|]`, equals the textbook
    /// term when `a` and `b` are both non-negative, and `ε` only guards `0/0`.
    #[serde(rename = "chi2")]
    ChiSquare,
}

impl Features {
    /// Length of φ for embeddings of length `dim`.
    pub fn len(self, dim: usize) -> usize {
        match self {
            Features::Cosine => 1,
            Features::L1 | Features::ChiSquare => dim,
        }
    }

    /// φ(a, b), replacing the contents of `out` (`a` and `b` have equal length).
    pub fn compute(self, a: &[f64], b: &[f64], out: &mut Vec<f64>) {
        out.clear();
        let pairs = a.iter().zip(b);
        match self {
            Features::Cosine => {
                let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
                pairs.for_each(|(x, y)| {
                    ab += x * y;
                    aa += x * x;
                    bb += y * y;
                });
                out.push(if aa > 0.0 && bb > 0.0 { ab / (aa * bb).sqrt() } else { 0.0 });
            }
            Features::L1 => out.extend(pairs.map(|(x, y)| (x - y).abs())),
            Features::ChiSquare => out.extend(pairs.map(|(x, y)| (x - y).powi(2) / (x.abs() + y.abs() + CHI2_EPSILON))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phi(f: Features, a: &[f64], b: &[f64]) -> Vec<f64> {
        let mut out = vec![9.0];
        f.compute(a, b, &mut out);
        out
    }

    #[test]
    fn hand_computed_features() {
        let (a, b) = ([0.6, -0.8, 0.0], [0.0, 0.6, 0.0]);
        assert_eq!(phi(Features::L1, &a, &b), [0.6, 1.4, 0.0]);
        let chi = phi(Features::ChiSquare, &a, &b);
        let expected = [0.36 / 0.6, 1.96 / 1.4, 0.0];
        assert!(chi.iter().zip(expected).all(|(c, e)| (c - e).abs() < 1e-9), "{chi:?}");
        assert!((phi(Features::Cosine, &a, &b)[0] + 0.8).abs() < 1e-12);
        assert_eq!(phi(Features::Cosine, &[0.0, 0.0], &[1.0, 0.0]), [0.0]);
        // Non-negative inputs give the textbook χ² term; signed ones stay within [0, |a|+|b|].
        assert!((phi(Features::ChiSquare, &[0.2], &[0.6])[0] - 0.16 / 0.8).abs() < 1e-9);
        assert!(phi(Features::ChiSquare, &[-0.3], &[0.3])[0] <= 0.6 + 1e-12);
        assert_eq!(Features::L1.len(192), 192);
        assert_eq!(Features::Cosine.len(192), 1);
    }
}
