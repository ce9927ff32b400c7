//! L2-regularised logistic regression fitted by Newton's method (exact Hessian, Cholesky
//! solve, backtracking line search): the pair heads and Platt scaling.

use crate::error::{Error, Result};
use crate::head::sigmoid;
use crate::learn::linalg::solve_spd;

/// `ln(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// Settings of [`fit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogisticOptions {
    /// Weight `λ` of the penalty `λ/2·‖w‖²` (the bias is not penalised).
    pub l2: f64,
    /// Newton steps at most.
    pub max_iterations: usize,
    /// Stop after a step whose half squared Newton decrement is below this.
    pub tolerance: f64,
}

impl Default for LogisticOptions {
    fn default() -> Self {
        LogisticOptions { l2: 1e-4, max_iterations: 50, tolerance: 1e-10 }
    }
}

/// A fitted model `p = σ(wᵀx + b)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// `w`.
    pub weights: Vec<f64>,
    /// `b`.
    pub bias: f64,
    /// Mean log loss plus penalty at the optimum.
    pub objective: f64,
    /// Newton steps taken.
    pub iterations: usize,
}

/// Samples as a row-major `n × dim` matrix with one label each.
struct Problem<'a> {
    x: &'a [f64],
    dim: usize,
    labels: &'a [bool],
    l2: f64,
}

impl Problem<'_> {
    fn rows(&self) -> impl Iterator<Item = (&[f64], bool)> {
        self.x.chunks_exact(self.dim).zip(self.labels.iter().copied())
    }

    fn logit(theta: &[f64], row: &[f64]) -> f64 {
        row.iter().zip(theta).map(|(x, w)| x * w).sum::<f64>() + theta[row.len()]
    }

    fn objective(&self, theta: &[f64]) -> f64 {
        let n = self.labels.len() as f64;
        let data: f64 =
            self.rows().map(|(row, y)| softplus(if y { -1.0 } else { 1.0 } * Self::logit(theta, row))).sum();
        data / n + 0.5 * self.l2 * theta[..self.dim].iter().map(|w| w * w).sum::<f64>()
    }

    /// Gradient and the upper triangle (row-major, full storage) of the Hessian.
    fn derivatives(&self, theta: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let m = self.dim + 1;
        let (mut g, mut h) = (vec![0.0; m], vec![0.0; m * m]);
        let mut xt = vec![1.0; m];
        for (row, y) in self.rows() {
            xt[..self.dim].copy_from_slice(row);
            let p = sigmoid(Self::logit(theta, row));
            let (r, s) = (p - f64::from(u8::from(y)), p * (1.0 - p));
            for i in 0..m {
                g[i] += r * xt[i];
                let si = s * xt[i];
                h[i * m + i..(i + 1) * m].iter_mut().zip(&xt[i..]).for_each(|(h, x)| *h += si * x);
            }
        }
        let n = self.labels.len() as f64;
        g.iter_mut().for_each(|v| *v /= n);
        h.iter_mut().for_each(|v| *v /= n);
        for i in 0..self.dim {
            g[i] += self.l2 * theta[i];
            h[i * m + i] += self.l2;
        }
        h[m * m - 1] += 1e-12; // the bias is unpenalised: keep the system definite
        (g, h)
    }
}

/// Fits `p(label) = σ(wᵀx + b)` to the rows of `x` (`labels.len() × dim`, row-major),
/// minimising the mean log loss plus `λ/2·‖w‖²`.
pub fn fit(x: &[f64], dim: usize, labels: &[bool], options: LogisticOptions) -> Result<LogisticFit> {
    if dim == 0 || labels.is_empty() || x.len() != labels.len() * dim {
        return Err(Error::InvalidArgument(format!(
            "logistic fit: {} values are not {} rows of {dim}",
            x.len(),
            labels.len()
        )));
    }
    if !x.iter().all(|v| v.is_finite()) || options.l2.is_nan() || options.l2 < 0.0 {
        return Err(Error::InvalidArgument("logistic fit: features and λ must be finite, λ ≥ 0".into()));
    }
    let problem = Problem { x, dim, labels, l2: options.l2 };
    let mut theta = vec![0.0; dim + 1];
    let mut objective = problem.objective(&theta);
    let mut iterations = 0;
    while iterations < options.max_iterations {
        iterations += 1;
        let (g, h) = problem.derivatives(&theta);
        let step = solve_spd(&h, &g)?;
        let decrement: f64 = g.iter().zip(&step).map(|(g, s)| g * s).sum();
        let mut t = 1.0;
        loop {
            let trial: Vec<f64> = theta.iter().zip(&step).map(|(w, s)| w - t * s).collect();
            let value = problem.objective(&trial);
            if value <= objective - 1e-4 * t * decrement || t < 1e-10 {
                (theta, objective) = (trial, value);
                break;
            }
            t /= 2.0;
        }
        if decrement / 2.0 < options.tolerance {
            break; // the step just taken was already below the tolerance
        }
    }
    let bias = theta.pop().unwrap_or(0.0);
    Ok(LogisticFit { weights: theta, bias, objective, iterations })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_and_softplus_are_stable() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(2.0) - 0.880_797_077_977_882_3).abs() < 1e-15);
        assert_eq!(sigmoid(-800.0), 0.0);
        assert_eq!(sigmoid(800.0), 1.0);
        assert!((softplus(0.0) - 2f64.ln()).abs() < 1e-15);
        assert_eq!(softplus(800.0), 800.0);
    }

    #[test]
    fn recovers_the_maximum_likelihood_fit() {
        // One feature, labels 1 at x = 1 with rate 3/4 and at x = 0 with rate 1/4:
        // the unpenalised optimum is b = ln(1/3), w = 2·ln 3.
        let x = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let labels = [true, false, false, false, true, true, true, false];
        let fit = fit(&x, 1, &labels, LogisticOptions { l2: 0.0, ..Default::default() }).unwrap();
        assert!((fit.bias - (1.0f64 / 3.0).ln()).abs() < 1e-8, "{fit:?}");
        assert!((fit.weights[0] - 2.0 * 3f64.ln()).abs() < 1e-8, "{fit:?}");
        assert!(fit.iterations < 20);
        assert!(super::fit(&x, 2, &labels, LogisticOptions::default()).is_err());
        assert!(super::fit(&[f64::NAN], 1, &[true], LogisticOptions::default()).is_err());
    }
}
