//! Adam (Kingma and Ba, 2015), written out: a few lines do not justify an optimiser crate.

/// First and second moment estimates of one parameter vector.
pub(crate) struct Adam {
    rate: f64,
    step: i32,
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Adam {
    const BETA1: f64 = 0.9;
    const BETA2: f64 = 0.999;
    const EPSILON: f64 = 1e-8;

    /// An optimiser for `len` parameters with learning rate `rate`.
    pub(crate) fn new(len: usize, rate: f64) -> Self {
        Adam { rate, step: 0, m: vec![0.0; len], v: vec![0.0; len] }
    }

    /// One update of `params` against `gradient` (equal lengths).
    pub(crate) fn update(&mut self, params: &mut [f64], gradient: &[f64]) {
        self.step = self.step.saturating_add(1);
        let c1 = 1.0 - Self::BETA1.powi(self.step);
        let c2 = 1.0 - Self::BETA2.powi(self.step);
        for (((p, g), m), v) in params.iter_mut().zip(gradient).zip(&mut self.m).zip(&mut self.v) {
            *m = Self::BETA1 * *m + (1.0 - Self::BETA1) * g;
            *v = Self::BETA2 * *v + (1.0 - Self::BETA2) * g * g;
            *p -= self.rate * (*m / c1) / ((*v / c2).sqrt() + Self::EPSILON);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_each_parameter_by_the_rate_and_then_converges() {
        let mut adam = Adam::new(2, 0.1);
        let mut p = [1.0, -2.0];
        adam.update(&mut p, &[4.0, -0.5]);
        assert!((p[0] - 0.9).abs() < 1e-6 && (p[1] + 1.9).abs() < 1e-6, "{p:?}");
        for _ in 0..500 {
            let g = [2.0 * p[0], 2.0 * p[1]]; // minimise ‖p‖²
            adam.update(&mut p, &g);
        }
        assert!(p.iter().all(|v| v.abs() < 1e-2), "{p:?}");
    }
}
