//! The LFW View 2 protocol: `pairs.txt`, ten-fold accuracy with the threshold chosen on the
//! other nine folds, TAR at a fixed FAR, and the ROC curve.

use crate::error::{Error, Result};
use crate::rule::{Rule, Verification};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One image of LFW: person name and 1-based image number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LfwImage {
    /// Folder name, e.g. `Aaron_Eckhart`.
    pub name: String,
    /// Image number, from 1.
    pub number: u32,
}

impl LfwImage {
    /// `ROOT/NAME/NAME_000N.jpg`.
    pub fn path(&self, root: &Path) -> PathBuf {
        root.join(&self.name).join(format!("{}_{:04}.jpg", self.name, self.number))
    }
}

/// One pair of `pairs.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LfwPair {
    /// First image.
    pub a: LfwImage,
    /// Second image.
    pub b: LfwImage,
    /// Same person?
    pub same: bool,
    /// Fold, 0-based.
    pub fold: usize,
}

/// Parses LFW's `pairs.txt` (header `folds n`, then per fold n matched and n mismatched lines).
pub fn parse_pairs(text: &str) -> Result<Vec<LfwPair>> {
    let bad = |line: usize, what: &str| Error::InvalidArgument(format!("pairs.txt line {}: {what}", line + 1));
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| bad(0, "empty file"))?;
    let nums: Vec<usize> = header.split_whitespace().filter_map(|t| t.parse().ok()).collect();
    let [folds, per_half] = nums[..] else { return Err(bad(0, "expected `folds pairs_per_half`")) };
    let num = |i: usize, t: &str| t.parse::<u32>().map_err(|_| bad(i, "bad image number"));
    let mut pairs = Vec::with_capacity(folds * per_half * 2);
    for k in 0..folds * per_half * 2 {
        let (i, line) = lines.next().ok_or_else(|| bad(usize::MAX - 1, "file ends early"))?;
        let t: Vec<&str> = line.split_whitespace().collect();
        let (a, b, same) = match t[..] {
            [name, n1, n2] => (
                LfwImage { name: name.into(), number: num(i, n1)? },
                LfwImage { name: name.into(), number: num(i, n2)? },
                true,
            ),
            [name1, n1, name2, n2] => (
                LfwImage { name: name1.into(), number: num(i, n1)? },
                LfwImage { name: name2.into(), number: num(i, n2)? },
                false,
            ),
            _ => return Err(bad(i, "expected 3 or 4 fields")),
        };
        let fold = k / (2 * per_half);
        let expect_same = k % (2 * per_half) < per_half;
        if same != expect_same {
            return Err(bad(i, "matched and mismatched pairs out of order"));
        }
        pairs.push(LfwPair { a, b, same, fold });
    }
    Ok(pairs)
}

/// A scored pair: similarity, ground truth, fold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// Similarity (higher = more alike).
    pub score: f32,
    /// Same person?
    pub same: bool,
    /// Fold, 0-based.
    pub fold: usize,
}

/// Fraction of pairs decided right by `score >= threshold`.
pub fn accuracy(pairs: &[Scored], threshold: f32) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    let right = pairs.iter().filter(|p| (p.score >= threshold) == p.same).count();
    right as f64 / pairs.len() as f64
}

/// The threshold with the best accuracy on `pairs` (midpoint between neighbouring scores).
pub fn best_threshold(pairs: &[Scored]) -> f32 {
    let mut sorted: Vec<&Scored> = pairs.iter().collect();
    sorted.sort_by(|a, b| a.score.total_cmp(&b.score));
    // Threshold below everything: all accepted, right = number of same pairs.
    let mut right = pairs.iter().filter(|p| p.same).count() as i64;
    let (mut best_right, mut best) = (right, sorted.first().map_or(0.0, |p| p.score - 1e-3));
    for (i, p) in sorted.iter().enumerate() {
        right += if p.same { -1 } else { 1 };
        let next = sorted.get(i + 1).map(|n| n.score);
        if next == Some(p.score) {
            continue;
        }
        if right > best_right {
            best_right = right;
            best = next.map_or(p.score + 1e-3, |n| (p.score + n) / 2.0);
        }
    }
    best
}

/// A probe decided on twice: with its full embedding and with its quick one (the crop alone,
/// see [`Probe`](crate::embed::Probe)).
#[derive(Debug, Clone, Copy)]
pub struct QuickPair {
    /// The decision on the full probe.
    pub full: Verification,
    /// The decision on the quick probe.
    pub quick: Verification,
    /// Same person?
    pub same: bool,
    /// Fold, 0-based.
    pub fold: usize,
}

/// What deciding on the quick probe when it is clear ([`Rule::is_clear`]), and on the full one
/// otherwise, does over a set of pairs, compared with always deciding on the full one.
#[derive(Debug, Clone, Serialize)]
pub struct QuickSummary {
    /// The rule's name.
    pub rule: &'static str,
    /// The margin the quick decision needed ([`Rule::quick_margin`]).
    pub margin: f32,
    /// Pairs decided.
    pub pairs: usize,
    /// Pairs whose quick decision was not clear, so the mirror pass ran.
    pub completed: usize,
    /// Pairs decided differently from the full probe's decision.
    pub changed: usize,
    /// The largest change of [`Rule::clearance`] from the full to the quick probe.
    pub max_shift: f32,
    /// Its 99th percentile.
    pub shift_p99: f32,
    /// The scores the two-step verify decides on (the quick one where it was clear).
    #[serde(skip)]
    pub scores: Vec<Scored>,
}

/// Summarises the two-step verify of `pairs` under `rule`.
pub fn quick_summary(rule: &Rule, pairs: &[QuickPair]) -> QuickSummary {
    let mut shifts: Vec<f32> =
        pairs.iter().map(|p| (rule.clearance(&p.full) - rule.clearance(&p.quick)).abs()).collect();
    shifts.sort_by(f32::total_cmp);
    let clear: Vec<bool> = pairs.iter().map(|p| rule.is_clear(&p.quick)).collect();
    let decided: Vec<(&QuickPair, Verification)> =
        pairs.iter().zip(&clear).map(|(p, &clear)| (p, if clear { p.quick } else { p.full })).collect();
    QuickSummary {
        rule: rule.name(),
        margin: rule.quick_margin(),
        pairs: pairs.len(),
        completed: clear.iter().filter(|&&c| !c).count(),
        changed: decided.iter().filter(|(p, v)| v.is_match != p.full.is_match).count(),
        max_shift: shifts.last().copied().unwrap_or(0.0),
        shift_p99: shifts.get((shifts.len().saturating_sub(1) as f64 * 0.99).round() as usize).copied().unwrap_or(0.0),
        scores: decided.iter().map(|(p, v)| Scored { score: v.value(), same: p.same, fold: p.fold }).collect(),
    }
}

/// Result of one test fold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FoldResult {
    /// Which fold was tested.
    pub fold: usize,
    /// Threshold chosen on the other folds.
    pub threshold: f32,
    /// Accuracy on this fold.
    pub accuracy: f64,
}

/// For each fold in `test_folds`: threshold chosen on every other fold, accuracy on it.
pub fn k_fold(pairs: &[Scored], test_folds: &[usize]) -> Vec<FoldResult> {
    test_folds
        .iter()
        .map(|&fold| {
            let train: Vec<Scored> = pairs.iter().filter(|p| p.fold != fold).copied().collect();
            let test: Vec<Scored> = pairs.iter().filter(|p| p.fold == fold).copied().collect();
            let threshold = best_threshold(&train);
            FoldResult { fold, threshold, accuracy: accuracy(&test, threshold) }
        })
        .collect()
}

/// Mean and (population) standard deviation.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (mean, (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt())
}

/// True accept rate at a false accept rate of at most `far`, and the threshold that gives it
/// (accept when `score > threshold`).
pub fn tar_at_far(pairs: &[Scored], far: f64) -> (f64, f32) {
    let mut impostors: Vec<f32> = pairs.iter().filter(|p| !p.same).map(|p| p.score).collect();
    let genuine: Vec<f32> = pairs.iter().filter(|p| p.same).map(|p| p.score).collect();
    if genuine.is_empty() {
        return (0.0, f32::NAN);
    }
    impostors.sort_by(|a, b| b.total_cmp(a));
    tar_at_far_of(&genuine, &impostors, impostors.len() as u64, far)
}

/// [`tar_at_far`] from the genuine scores and the highest impostor scores in descending order:
/// at least the `far * impostors + 1` highest of `impostors` in all (the rest need not be kept).
/// `(0, NaN)` without impostor scores.
pub fn tar_at_far_of(genuine: &[f32], highest_impostors: &[f32], impostors: u64, far: f64) -> (f64, f32) {
    let allowed = (far * impostors as f64).floor() as usize;
    let Some(&threshold) = highest_impostors.get(allowed.min(highest_impostors.len().saturating_sub(1))) else {
        return (0.0, f32::NAN);
    };
    let tar = genuine.iter().filter(|&&s| s > threshold).count() as f64 / genuine.len().max(1) as f64;
    (tar, threshold)
}

/// The ROC curve as (FAR, TAR) points, one per distinct score, from (0, 0) to (1, 1).
pub fn roc(pairs: &[Scored]) -> Vec<(f64, f64)> {
    let mut sorted: Vec<&Scored> = pairs.iter().collect();
    sorted.sort_by(|a, b| b.score.total_cmp(&a.score));
    let pos = pairs.iter().filter(|p| p.same).count().max(1) as f64;
    let neg = pairs.iter().filter(|p| !p.same).count().max(1) as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut out = vec![(0.0, 0.0)];
    for (i, p) in sorted.iter().enumerate() {
        if p.same {
            tp += 1.0
        } else {
            fp += 1.0
        }
        if sorted.get(i + 1).map(|n| n.score) != Some(p.score) {
            out.push((fp / neg, tp / pos));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(score: f32, same: bool, fold: usize) -> Scored {
        Scored { score, same, fold }
    }

    #[test]
    fn parses_the_lfw_layout() {
        let text = "2 1\nA 1 2\nB 1 C 3\nD 4 5\nE 2 F 1\n";
        let pairs = parse_pairs(text).unwrap();
        assert_eq!(pairs.len(), 4);
        assert!(pairs[0].same && !pairs[1].same && pairs[2].same);
        assert_eq!(pairs[3].fold, 1);
        assert_eq!(pairs[1].b, LfwImage { name: "C".into(), number: 3 });
        assert_eq!(pairs[1].b.path(Path::new("/x")), PathBuf::from("/x/C/C_0003.jpg"));
        for bad in ["", "2 1\nA 1 2\n", "1 1\nA 1 B 2\nC 1 2\n", "1 1\nA x 2\nB 1 C 2\n", "1 1\nA 1\nB 1 C 2\n"] {
            assert!(parse_pairs(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn best_threshold_separates_separable_scores() {
        let pairs = [s(0.9, true, 0), s(0.7, true, 0), s(0.4, false, 0), s(0.1, false, 0)];
        let t = best_threshold(&pairs);
        assert!((t - 0.55).abs() < 1e-6);
        assert_eq!(accuracy(&pairs, t), 1.0);
        let mixed = [s(0.9, true, 0), s(0.6, false, 0), s(0.5, true, 0), s(0.1, false, 0)];
        assert_eq!(accuracy(&mixed, best_threshold(&mixed)), 0.75);
    }

    #[test]
    fn k_fold_chooses_thresholds_on_other_folds_only() {
        // Fold 0 alone would want a threshold near 0.2; folds 1 and 2 want about 0.75.
        let pairs =
            [s(0.3, true, 0), s(0.1, false, 0), s(0.9, true, 1), s(0.6, false, 1), s(0.8, true, 2), s(0.7, false, 2)];
        let r = k_fold(&pairs, &[0]);
        assert!((r[0].threshold - 0.75).abs() < 1e-6);
        assert_eq!(r[0].accuracy, 0.5);
    }

    #[test]
    fn tar_at_far_counts_only_allowed_false_accepts() {
        let mut pairs: Vec<Scored> = (0..1000).map(|i| s(i as f32 / 1000.0, false, 0)).collect();
        pairs.extend([s(0.9995, true, 0), s(0.9985, true, 0), s(0.5, true, 0), s(1.5, true, 0)]);
        let (tar, t) = tar_at_far(&pairs, 1e-3);
        assert_eq!(t, 0.998);
        assert_eq!(tar, 0.75);
        let curve = roc(&pairs);
        assert_eq!(curve.first(), Some(&(0.0, 0.0)));
        assert_eq!(curve.last(), Some(&(1.0, 1.0)));
        assert!(curve.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    }

    #[test]
    fn mean_and_std() {
        assert_eq!(mean_std(&[1.0, 3.0]), (2.0, 1.0));
    }
}
