//! The flat-picture test: a photo or screen moved in front of a camera moves its landmarks by a
//! plane projective transform (a homography); a real head does not (the nose tip, the eyes and the
//! face outline lie at different depths, so turning shifts them against each other: parallax).
//!
//! The homography is fitted by least squares (direct linear transform on Hartley-normalised
//! points, h33 = 1, an 8x8 system solved by Gaussian elimination): a dozen lines, so no
//! linear-algebra crate is added to the wasm for it.

use crate::error::Result;
use crate::geometry::Point;
use crate::landmarks::Mesh;

/// FaceMesh points spread over the face at different depths: nose tip and bridge, forehead,
/// chin, cheeks and jaw on the outline, eye and mouth corners, nose wings, lips.
pub const POINTS: [usize; 26] = [
    1, 2, 6, 168, 10, 152, 234, 454, 127, 356, 93, 323, 132, 361, 172, 397, 33, 133, 362, 263, 61, 291, 98, 327, 13, 14,
];
/// Eye centres for the scale: corners 33/133 and 362/263.
const EYE_CORNERS: [usize; 4] = [33, 133, 362, 263];

/// Where forehead top (10) and chin (152) are in [`POINTS`].
const FOREHEAD_CHIN: (usize, usize) = (4, 5);
/// Where the eye corners ([`EYE_CORNERS`]) are in [`POINTS`].
const EYES_AT: [usize; 4] = [16, 17, 18, 19];

/// The 2-D points of the 26 landmarks spread over the face (`POINTS`) in a mesh, and the
/// distance between the eye centres.
#[derive(Debug, Clone, PartialEq)]
pub struct Landmarks {
    points: Vec<Point>,
    eye_distance: f32,
}

impl Landmarks {
    /// The points the test uses (every mesh has them: they are [`crate::landmarks::READ_POINTS`]).
    pub fn of(mesh: &Mesh) -> Result<Landmarks> {
        let p = |n: usize| Ok(mesh.read(n)?.xy());
        let [a, b, c, d] = [p(EYE_CORNERS[0])?, p(EYE_CORNERS[1])?, p(EYE_CORNERS[2])?, p(EYE_CORNERS[3])?];
        let (left, right) = (a.midpoint(b), c.midpoint(d));
        let eye_distance = (left.x - right.x).hypot(left.y - right.y);
        Ok(Landmarks { points: POINTS.iter().map(|&n| p(n)).collect::<Result<_>>()?, eye_distance })
    }

    /// The points, in [`POINTS`]' order.
    pub(super) fn points(&self) -> &[Point] {
        &self.points
    }

    /// The distance between the eye centres, pixels.
    pub(super) fn eye_distance(&self) -> f32 {
        self.eye_distance
    }

    /// The forehead's and the chin's distances from the eye line (perpendicular to it, in eye
    /// distances): the face's height above and below the eyes. A picture flexed at the eyes can
    /// squash one half more than the whole; a blink leaves both as they are.
    pub fn halves(&self) -> [f32; 2] {
        let p = &self.points;
        let [a, b, c, d] = EYES_AT.map(|i| p[i]);
        let (left, right) = (a.midpoint(b), c.midpoint(d));
        let middle = left.midpoint(right);
        let (ex, ey) = (right.x - left.x, right.y - left.y);
        let scale = self.eye_distance.max(f32::EPSILON).powi(2); // |e| for the normal, |e| for the unit
        [p[FOREHEAD_CHIN.0], p[FOREHEAD_CHIN.1]].map(|q| ((q.x - middle.x) * -ey + (q.y - middle.y) * ex).abs() / scale)
    }

    /// The face's height across the eye line over its width: the distance from forehead top to
    /// chin perpendicular to the line through the eye centres, in eye distances (about 2 facing
    /// the camera). A picture tilted back by an angle shrinks it by the angle's cosine, as it
    /// shrinks the eyes' opening; a blink leaves it as it is.
    pub fn aspect(&self) -> f32 {
        let p = &self.points;
        let [a, b, c, d] = EYES_AT.map(|i| p[i]);
        let (left, right) = (a.midpoint(b), c.midpoint(d));
        let (ex, ey) = (right.x - left.x, right.y - left.y);
        let (top, chin) = (p[FOREHEAD_CHIN.0], p[FOREHEAD_CHIN.1]);
        let across = ((chin.x - top.x) * -ey + (chin.y - top.y) * ex).abs() / self.eye_distance.max(f32::EPSILON);
        across / self.eye_distance.max(f32::EPSILON)
    }

    /// How far `other` is from being a plane projective image of `self`: the root mean square
    /// distance between `other`'s points and the best homography's image of `self`'s, in units
    /// of `self`'s eye distance (0 for a flat picture up to landmark noise; a real head turned by
    /// 20-30 degrees gives several times more).
    pub fn parallax(&self, other: &Landmarks) -> f32 {
        match fit(&self.points, &other.points) {
            Some(h) => {
                let sum: f32 = self
                    .points
                    .iter()
                    .zip(&other.points)
                    .map(|(&p, q)| {
                        let m = apply(&h, p);
                        (m.x - q.x).powi(2) + (m.y - q.y).powi(2)
                    })
                    .sum();
                (sum / self.points.len() as f32).sqrt() / self.eye_distance.max(f32::EPSILON)
            }
            None => f32::INFINITY,
        }
    }
}

/// A 3x3 homography, row-major, h[8] = 1.
pub(super) type Homography = [f64; 9];

pub(super) fn apply(h: &Homography, p: Point) -> Point {
    let (x, y) = (f64::from(p.x), f64::from(p.y));
    let w = h[6] * x + h[7] * y + h[8];
    Point::new(((h[0] * x + h[1] * y + h[2]) / w) as f32, ((h[3] * x + h[4] * y + h[5]) / w) as f32)
}

/// Hartley normalisation: the similarity taking `points` to centroid 0, mean distance sqrt(2).
fn normaliser(points: &[Point]) -> Homography {
    let n = points.len() as f64;
    let cx = points.iter().map(|p| f64::from(p.x)).sum::<f64>() / n;
    let cy = points.iter().map(|p| f64::from(p.y)).sum::<f64>() / n;
    let mean = points.iter().map(|p| (f64::from(p.x) - cx).hypot(f64::from(p.y) - cy)).sum::<f64>() / n;
    let s = if mean > 0.0 { std::f64::consts::SQRT_2 / mean } else { 1.0 };
    [s, 0.0, -s * cx, 0.0, s, -s * cy, 0.0, 0.0, 1.0]
}

fn mul(a: &Homography, b: &Homography) -> Homography {
    let mut out = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            out[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
        }
    }
    out
}

/// Inverse of a normaliser (scale s, translation t): scale 1/s, translation -t/s.
fn denormaliser(n: &Homography) -> Homography {
    let s = n[0];
    [1.0 / s, 0.0, -n[2] / s, 0.0, 1.0 / s, -n[5] / s, 0.0, 0.0, 1.0]
}

/// The least-squares homography taking `src` to `dst` (at least 4 pairs), or `None` when the
/// points are degenerate.
pub(super) fn fit(src: &[Point], dst: &[Point]) -> Option<Homography> {
    if src.len() != dst.len() || src.len() < 4 {
        return None;
    }
    let (ns, nd) = (normaliser(src), normaliser(dst));
    // Normal equations A^T A h = A^T b of the DLT rows with h33 = 1.
    let mut ata = [[0.0f64; 8]; 8];
    let mut atb = [0.0f64; 8];
    for (s, d) in src.iter().zip(dst) {
        let p = apply(&ns, *s);
        let q = apply(&nd, *d);
        let (x, y, u, v) = (f64::from(p.x), f64::from(p.y), f64::from(q.x), f64::from(q.y));
        for (row, rhs) in
            [([x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y], u), ([0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y], v)]
        {
            for i in 0..8 {
                atb[i] += row[i] * rhs;
                for j in 0..8 {
                    ata[i][j] += row[i] * row[j];
                }
            }
        }
    }
    let h = solve(ata, atb)?;
    let hn = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0];
    Some(mul(&denormaliser(&nd), &mul(&hn, &ns)))
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` when singular.
pub(super) fn solve<const N: usize>(mut a: [[f64; N]; N], mut b: [f64; N]) -> Option<[f64; N]> {
    for col in 0..N {
        let pivot = (col..N).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let b_col = b[col];
        let (top, rest) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (row, rhs) in rest.iter_mut().zip(&mut b[col + 1..]) {
            let f = row[col] / pivot_row[col];
            row.iter_mut().zip(pivot_row).skip(col).for_each(|(x, p)| *x -= f * p);
            *rhs -= f * b_col;
        }
    }
    let mut x = [0.0; N];
    for row in (0..N).rev() {
        let tail: f64 = (row + 1..N).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liveness::synthetic::head;

    #[test]
    fn the_points_are_ones_the_bundled_facemesh_makes() {
        assert_eq!((POINTS[FOREHEAD_CHIN.0], POINTS[FOREHEAD_CHIN.1]), (10, 152));
        assert_eq!(EYES_AT.map(|i| POINTS[i]), EYE_CORNERS);
        let read = crate::landmarks::READ_POINTS;
        assert!(POINTS.iter().chain(&EYE_CORNERS).all(|n| read.contains(n)));
        assert_eq!(POINTS.len(), read.len(), "the bundled model makes no point the test leaves out");
    }

    fn landmarks(yaw: f32) -> Landmarks {
        Landmarks::of(&head(yaw, 0.0, (0.0, 0.0))).unwrap()
    }

    #[test]
    fn a_homography_of_the_points_has_no_parallax() {
        let frontal = landmarks(0.0);
        let h = [0.9, 0.2, 15.0, -0.1, 1.1, -20.0, 3e-4, -2e-4, 1.0];
        let moved = Landmarks { points: frontal.points.iter().map(|&p| apply(&h, p)).collect(), ..frontal.clone() };
        assert!(frontal.parallax(&moved) < 1e-3, "{}", frontal.parallax(&moved));
        assert!(frontal.parallax(&frontal) < 1e-4);
    }

    #[test]
    fn a_turning_head_has_parallax_growing_with_the_angle() {
        let frontal = landmarks(0.0);
        let (p10, p25) = (frontal.parallax(&landmarks(10.0)), frontal.parallax(&landmarks(25.0)));
        assert!(p10 > 0.01 && p25 > 2.0 * p10, "10 deg: {p10}, 25 deg: {p25}");
    }

    #[test]
    fn degenerate_points_are_not_a_plane() {
        let collapsed = Landmarks { points: vec![Point::new(1.0, 1.0); POINTS.len()], eye_distance: 1.0 };
        assert_eq!(collapsed.parallax(&landmarks(0.0)), f32::INFINITY);
    }
}
