//! The bent-picture test: the shape of the landmarks' relief, recovered from how they moved.
//!
//! A printed photo can be bent, but only into a developable surface (a cylinder or a cone: paper
//! does not stretch), whose Gaussian curvature is zero: along one direction (the ruling) it stays
//! straight, so its landmarks move like a flat picture's along that line. A face is curved both
//! ways (the nose tip stands out from the cheek line *and* from the forehead-chin line).
//!
//! Plane plus parallax: each frame that moved is the first frame's landmarks through a
//! homography (the motion of a plane through the face) plus, per landmark, its depth off that
//! plane `g_i` times a direction `d_k` the frame shares (the epipole's, far away for a head
//! turning in front of a camera): `q_ik = H_k(p_i) + g_i d_k`, with `g` the same in every frame.
//! `g` and the `H_k` are fitted by alternating least squares (a homography per frame given `g`;
//! then `g d^T` as the best rank-one fit of all frames' remainders); a quadratic
//! `g = a x^2 + b xy + c y^2 + ...` fitted over the first frame's positions then has the Hessian
//! [[2a, b], [b, 2c]], whose eigenvalues are the relief's curvatures in its two principal
//! directions: one of them is about 0 for bent paper, both have one sign for a face. Their ratio
//! (the smaller over the larger, by size, so -1..=1) is the test; depth is only known up to scale
//! and sign here, and the ratio needs neither. 26 points and at most [`FRAMES`] frames, once per
//! report.
//!
//! Measured, not decided on. With exact landmarks (the unit tests' synthetic head and bent
//! paper) it separates the two cleanly (a head above 0.3, paper below 0.1). On rendered LFW clips
//! read by FaceMesh it does not (`facegate eval-liveness --people 50`, noise, blur and JPEG):
//! FaceMesh places a printed face's landmarks with a face's prior, not exactly on the print. Live
//! heads gave 0.05-0.32 (34 of 50) or a saddle near -0.9 (16 of 50); the 74 bent prints that
//! moved enough to measure gave -0.52-0.50, median 0.14. No threshold separates them, so the check
//! refuses bent paper by the blink it cannot do, and reports this ratio
//! ([`super::Report::relief`]) for study.

use super::planar::Landmarks;
use crate::geometry::{solve, Homography, Point};

/// Most frames used (evenly spread over those given).
const FRAMES: usize = 24;
/// Rounds of alternating least squares.
const ROUNDS: usize = 25;

/// The ratio of the relief's two principal curvatures (see the module's text): the smaller over
/// the larger by size, near 0 for a developable surface (bent paper), 1 for a sphere, negative
/// for a saddle; `None` when the frames show no relief at all (or are degenerate).
pub fn curvature_ratio(first: &Landmarks, moved: &[Landmarks]) -> Option<f32> {
    let n = first.points().len();
    if moved.is_empty() || n < 6 {
        return None;
    }
    let centre = first.points().iter().fold((0.0f32, 0.0f32), |(x, y), p| (x + p.x, y + p.y));
    let (cx, cy) = (centre.0 / n as f32, centre.1 / n as f32);
    let scale = 1.0 / first.eye_distance().max(f32::EPSILON);
    let norm = |points: &[Point]| -> Vec<Point> {
        points.iter().map(|p| Point::new((p.x - cx) * scale, (p.y - cy) * scale)).collect()
    };
    let p0 = norm(first.points());
    let step = moved.len().div_ceil(FRAMES);
    let frames: Vec<Vec<Point>> = moved.iter().step_by(step.max(1)).map(|m| norm(m.points())).collect();
    let xy: Vec<(f64, f64)> = p0.iter().map(|p| (f64::from(p.x), f64::from(p.y))).collect();
    // The depth's gauge: a plane's worth of depth is any homography's, so it is kept out of g.
    let basis = orthonormal(&xy, &[&|_, _| 1.0, &|x, _| x, &|_, y| y]);
    let mut g = vec![0.0f64; n];
    let mut d = vec![[0.0f64; 2]; frames.len()];
    for round in 0..ROUNDS {
        // Each frame's remainder after the best homography of what the depth does not explain.
        let mut rest = Vec::with_capacity(frames.len());
        for (q, dk) in frames.iter().zip(&d) {
            let target: Vec<Point> = q
                .iter()
                .zip(&g)
                .map(|(p, gi)| Point::new(p.x - (gi * dk[0]) as f32, p.y - (gi * dk[1]) as f32))
                .collect();
            let h = Homography::fit(&p0, &target)?;
            let r: Vec<[f64; 2]> = q
                .iter()
                .zip(&p0)
                .map(|(q, p)| {
                    let m = h.apply(*p);
                    [f64::from(q.x - m.x), f64::from(q.y - m.y)]
                })
                .collect();
            rest.push(r);
        }
        // The best rank-one g d^T of the remainders: power iteration on R R^T.
        let mut rr = vec![vec![0.0f64; n]; n];
        for r in &rest {
            for i in 0..n {
                for j in i..n {
                    let v = r[i][0] * r[j][0] + r[i][1] * r[j][1];
                    rr[i][j] += v;
                    if i != j {
                        rr[j][i] += v;
                    }
                }
            }
        }
        let mut u: Vec<f64> = if round == 0 { (0..n).map(|i| rr[i][i].sqrt() + 1e-9).collect() } else { g.clone() };
        for _ in 0..30 {
            let mut next: Vec<f64> = rr.iter().map(|row| row.iter().zip(&u).map(|(a, b)| a * b).sum()).collect();
            remove(&mut next, &basis);
            let length = next.iter().map(|v| v * v).sum::<f64>().sqrt();
            if length < 1e-12 {
                return None;
            }
            u = next.into_iter().map(|v| v / length).collect();
        }
        // The remainders hold all of the depth's motion (the homographies were fitted without
        // it), so each d_k is their projection on the unit g.
        for (dk, r) in d.iter_mut().zip(&rest) {
            *dk = r.iter().zip(&u).fold([0.0; 2], |s, (ri, ui)| [s[0] + ui * ri[0], s[1] + ui * ri[1]]);
        }
        g = u;
    }
    let (a, b, c) = quadratic(&xy, &g)?;
    let root = ((a - c).powi(2) + b * b).sqrt();
    let (l1, l2) = (a + c + root, a + c - root);
    let (small, large) = if l1.abs() >= l2.abs() { (l2, l1) } else { (l1, l2) };
    (large.abs() > 1e-12).then(|| (small / large) as f32)
}

/// An orthonormal basis (over the points) of the given functions of (x, y).
fn orthonormal(xy: &[(f64, f64)], functions: &[&dyn Fn(f64, f64) -> f64]) -> Vec<Vec<f64>> {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for f in functions {
        let mut v: Vec<f64> = xy.iter().map(|&(x, y)| f(x, y)).collect();
        remove(&mut v, &basis);
        let length = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if length > 1e-12 {
            basis.push(v.into_iter().map(|a| a / length).collect());
        }
    }
    basis
}

/// Takes the components along the (orthonormal) `basis` out of `v`.
fn remove(v: &mut [f64], basis: &[Vec<f64>]) {
    for b in basis {
        let dot: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
        v.iter_mut().zip(b).for_each(|(x, y)| *x -= dot * y);
    }
}

/// The least-squares quadratic z = a x^2 + b xy + c y^2 + d x + e y + f: (a, b, c).
fn quadratic(xy: &[(f64, f64)], z: &[f64]) -> Option<(f64, f64, f64)> {
    let mut ata = [[0.0f64; 6]; 6];
    let mut atb = [0.0f64; 6];
    for (&(x, y), &v) in xy.iter().zip(z) {
        let row = [x * x, x * y, y * y, x, y, 1.0];
        for i in 0..6 {
            atb[i] += row[i] * v;
            for j in 0..6 {
                ata[i][j] += row[i] * row[j];
            }
        }
    }
    let q = solve(ata, atb)?;
    Some((q[0], q[1], q[2]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liveness::synthetic::{head, surface};

    fn landmarks(mesh: &crate::landmarks::Mesh) -> Landmarks {
        Landmarks::of(mesh).unwrap()
    }

    #[test]
    fn a_head_has_relief_both_ways() {
        let first = landmarks(&head(0.0, 0.0, (0.0, 0.0)));
        for moves in [vec![(25.0, 0.0)], vec![(0.0, 18.0)], vec![(25.0, 0.0), (-25.0, 0.0), (0.0, -18.0)]] {
            let moved: Vec<Landmarks> = moves.iter().map(|&(y, p)| landmarks(&head(y, p, (3.0, -2.0)))).collect();
            let ratio = curvature_ratio(&first, &moved).unwrap();
            assert!(ratio > 0.3, "{moves:?}: {ratio}");
        }
    }

    #[test]
    fn bent_paper_is_curved_one_way_only() {
        // The head's frontal landmarks on a cylinder (axis at 0, 90 and 45 degrees, radius 0.5
        // and 1.5 face widths), turned and nodded like a head.
        for axis in [0.0, 90.0, 45.0] {
            for radius in [70.0, 210.0] {
                let first = landmarks(&surface(axis, radius, 0.0, 0.0));
                let moved: Vec<Landmarks> = [(25.0, 0.0), (0.0, 18.0), (-25.0, 5.0)]
                    .iter()
                    .map(|&(y, p)| landmarks(&surface(axis, radius, y, p)))
                    .collect();
                let ratio = curvature_ratio(&first, &moved).unwrap();
                assert!(ratio.abs() < 0.1, "axis {axis}, radius {radius}: {ratio}");
            }
        }
    }
}
