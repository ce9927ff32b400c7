//! The linear projection of a triplet head, `f(x) = Wx / ‖Wx‖` (scoring only; training is in
//! `learn::triplet`).

use crate::error::{Error, Result};

/// Norms below this make a projected vector unusable.
const MIN_NORM: f64 = 1e-12;

/// A `out_dim × in_dim` linear map followed by L2 normalisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    out_dim: usize,
    in_dim: usize,
    weights: Vec<f64>,
}

impl Projection {
    /// A projection from row-major weights; refuses wrong lengths and non-finite values.
    pub fn new(out_dim: usize, in_dim: usize, weights: Vec<f64>) -> Result<Self> {
        if out_dim == 0
            || out_dim > in_dim
            || out_dim.checked_mul(in_dim) != Some(weights.len())
            || !weights.iter().all(|w| w.is_finite())
        {
            return Err(Error::InvalidArgument(format!(
                "a projection needs 1 ≤ out_dim ≤ in_dim and {out_dim}×{in_dim} finite weights, got {}",
                weights.len()
            )));
        }
        Ok(Projection { out_dim, in_dim, weights })
    }

    /// Output length.
    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// Input length.
    pub fn in_dim(&self) -> usize {
        self.in_dim
    }

    /// The row-major weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The weights, for the trainer's updates.
    #[cfg(all(feature = "learn", not(target_arch = "wasm32")))]
    pub(crate) fn weights_mut(&mut self) -> &mut [f64] {
        &mut self.weights
    }

    /// `(Wx/‖Wx‖, ‖Wx‖)` for `x` of length `in_dim`; the norm is floored at a tiny value.
    pub(crate) fn forward(&self, x: &[f64]) -> (Vec<f64>, f64) {
        let mut z: Vec<f64> =
            self.weights.chunks_exact(self.in_dim).map(|row| row.iter().zip(x).map(|(w, v)| w * v).sum()).collect();
        let norm = z.iter().map(|v| v * v).sum::<f64>().sqrt().max(MIN_NORM);
        z.iter_mut().for_each(|v| *v /= norm);
        (z, norm)
    }

    /// `f(x) = Wx/‖Wx‖`.
    pub fn apply(&self, x: &[f64]) -> Result<Vec<f64>> {
        if x.len() != self.in_dim {
            return Err(Error::InvalidArgument(format!(
                "the projection takes {} values, not {}",
                self.in_dim,
                x.len()
            )));
        }
        let (u, norm) = self.forward(x);
        if norm <= MIN_NORM || !norm.is_finite() {
            return Err(Error::InvalidArgument("the projection maps this vector to zero".into()));
        }
        Ok(u)
    }
}
