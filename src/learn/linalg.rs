//! The two dense linear-algebra routines training needs, on row-major `n × n` matrices:
//! a Cholesky solve (Newton steps) and a symmetric eigendecomposition (the projection's
//! starting point).

use crate::error::{Error, Result};

/// Solves `A·x = b` for symmetric positive definite `A` given by its upper triangle
/// (row-major `n × n`), by Cholesky factorisation.
pub fn solve_spd(a: &[f64], b: &[f64]) -> Result<Vec<f64>> {
    let n = b.len();
    if a.len() != n * n {
        return Err(Error::InvalidArgument(format!("a {n}-vector needs a {n}x{n} matrix")));
    }
    // A = Uᵀ·U with U upper triangular, stored row-major.
    let mut u = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            let dot: f64 = (0..i).map(|k| u[k * n + i] * u[k * n + j]).sum();
            let v = a[i * n + j] - dot;
            if i == j {
                if v.is_nan() || v <= 0.0 {
                    return Err(Error::InvalidArgument("the matrix is not positive definite".into()));
                }
                u[i * n + i] = v.sqrt();
            } else {
                u[i * n + j] = v / u[i * n + i];
            }
        }
    }
    let mut y = vec![0.0; n]; // Uᵀ·y = b
    for i in 0..n {
        y[i] = (b[i] - (0..i).map(|k| u[k * n + i] * y[k]).sum::<f64>()) / u[i * n + i];
    }
    let mut x = vec![0.0; n]; // U·x = y
    for i in (0..n).rev() {
        x[i] = (y[i] - (i + 1..n).map(|k| u[i * n + k] * x[k]).sum::<f64>()) / u[i * n + i];
    }
    Ok(x)
}

/// Eigenvalues and eigenvectors of the symmetric matrix `a` (row-major `n × n`, both
/// triangles filled) by cyclic Jacobi rotations: pairs `(value, unit vector)`, largest
/// value first.
pub fn symmetric_eigen(a: &[f64], n: usize) -> Result<Vec<(f64, Vec<f64>)>> {
    if a.len() != n * n || !a.iter().all(|v| v.is_finite()) {
        return Err(Error::InvalidArgument(format!("expected {n}x{n} finite values, got {}", a.len())));
    }
    let mut a = a.to_vec();
    let mut v: Vec<f64> = (0..n * n).map(|k| if k / n == k % n { 1.0 } else { 0.0 }).collect();
    let scale: f64 = a.iter().map(|x| x * x).sum();
    for _sweep in 0..64 {
        let off: f64 = (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).map(|(i, j)| a[i * n + j].powi(2)).sum();
        if off <= 1e-30 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                // The rotation that zeroes a[p][q] (Numerical Recipes' stable form).
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                let rotate = |x: &mut [f64], i: usize, j: usize| {
                    let (xi, xj) = (x[i], x[j]);
                    x[i] = c * xi - s * xj;
                    x[j] = s * xi + c * xj;
                };
                for k in 0..n {
                    rotate(&mut a, k * n + p, k * n + q); // columns p, q
                }
                for k in 0..n {
                    rotate(&mut a, p * n + k, q * n + k); // rows p, q
                    rotate(&mut v, k * n + p, k * n + q);
                }
            }
        }
    }
    let mut pairs: Vec<(f64, Vec<f64>)> =
        (0..n).map(|i| (a[i * n + i], (0..n).map(|k| v[k * n + i]).collect())).collect();
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0));
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_hand_computed_system() {
        // [[4, 2], [2, 3]]·x = [2, 1] → x = [0.5, 0].
        let x = solve_spd(&[4.0, 2.0, 0.0, 3.0], &[2.0, 1.0]).unwrap();
        assert!((x[0] - 0.5).abs() < 1e-12 && x[1].abs() < 1e-12, "{x:?}");
        assert!(solve_spd(&[1.0, 2.0, 0.0, 1.0], &[1.0, 1.0]).is_err());
        assert!(solve_spd(&[1.0], &[1.0, 1.0]).is_err());
    }

    #[test]
    fn eigenvectors_satisfy_the_definition() {
        // [[2, 1, 0], [1, 2, 0], [0, 0, 5]]: eigenvalues 5, 3, 1.
        let a = [2.0, 1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 5.0];
        let pairs = symmetric_eigen(&a, 3).unwrap();
        let values: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        assert!(values.iter().zip([5.0, 3.0, 1.0]).all(|(v, e)| (v - e).abs() < 1e-12), "{values:?}");
        for (value, vector) in &pairs {
            let norm: f64 = vector.iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-12);
            for i in 0..3 {
                let av: f64 = (0..3).map(|j| a[i * 3 + j] * vector[j]).sum();
                assert!((av - value * vector[i]).abs() < 1e-12);
            }
        }
        assert!(symmetric_eigen(&a, 2).is_err());
    }
}
