//! Is a probability of 0.8 right 80 % of the time? Reliability bins and the expected
//! calibration error (ECE).

use serde::Serialize;

/// Bins used for the reported ECE.
pub const ECE_BINS: usize = 15;

/// One equal-width bin of predicted probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bin {
    /// Lower edge (inclusive).
    pub lower: f64,
    /// Upper edge (exclusive, except for the last bin, which includes 1).
    pub upper: f64,
    /// Predictions in the bin.
    pub count: usize,
    /// Their mean predicted probability of "same person" (0 when empty).
    pub confidence: f64,
    /// The fraction of them that are the same person (0 when empty).
    pub frequency: f64,
}

/// Sorts `(p(same), same)` predictions into `bins` equal-width bins over `[0, 1]`
/// (probabilities outside are clamped; at least one bin).
pub fn reliability(predictions: &[(f64, bool)], bins: usize) -> Vec<Bin> {
    let bins = bins.max(1);
    let mut sums = vec![(0usize, 0.0, 0usize); bins];
    for &(p, same) in predictions {
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        let s = &mut sums[((p * bins as f64) as usize).min(bins - 1)];
        *s = (s.0 + 1, s.1 + p, s.2 + usize::from(same));
    }
    let edge = |i: usize| i as f64 / bins as f64;
    let mean = |sum: f64, n: usize| if n == 0 { 0.0 } else { sum / n as f64 };
    sums.iter()
        .enumerate()
        .map(|(i, &(count, sum, hits))| Bin {
            lower: edge(i),
            upper: edge(i + 1),
            count,
            confidence: mean(sum, count),
            frequency: mean(hits as f64, count),
        })
        .collect()
}

/// Expected calibration error of the positive class: `Σ (nᵢ/N)·|frequencyᵢ − confidenceᵢ|`
/// over the bins (0 without predictions).
pub fn ece(bins: &[Bin]) -> f64 {
    let total: usize = bins.iter().map(|b| b.count).sum();
    if total == 0 {
        return 0.0;
    }
    bins.iter().map(|b| b.count as f64 * (b.frequency - b.confidence).abs()).sum::<f64>() / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_ece() {
        // Two bins. [0, 0.5): 0.1, 0.3 with one "same": confidence 0.2, frequency 0.5.
        // [0.5, 1]: 0.9, 1.0 both "same": confidence 0.95, frequency 1.
        let predictions = [(0.1, false), (0.3, true), (0.9, true), (1.0, true)];
        let bins = reliability(&predictions, 2);
        assert_eq!(bins[0].count, 2);
        assert!((bins[0].confidence - 0.2).abs() < 1e-12 && bins[0].frequency == 0.5);
        assert!((bins[1].confidence - 0.95).abs() < 1e-12 && bins[1].frequency == 1.0);
        assert!((ece(&bins) - (0.5 * 0.3 + 0.5 * 0.05)).abs() < 1e-12);
        assert_eq!(ece(&reliability(&[], ECE_BINS)), 0.0);
        assert_eq!(reliability(&[(0.5, true)], 0).len(), 1);
    }
}
