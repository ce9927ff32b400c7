//! Points, boxes, the 2-D similarity transform (rotation, uniform scale, translation) and the
//! plane projective transform (homography).

use serde::{Deserialize, Serialize};

/// A point in pixel coordinates (x right, y down).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Point {
    /// Horizontal position.
    pub x: f32,
    /// Vertical position.
    pub y: f32,
}

impl Point {
    /// A point at (x, y).
    pub const fn new(x: f32, y: f32) -> Self {
        Point { x, y }
    }

    /// The midpoint of `self` and `other`.
    pub fn midpoint(self, other: Point) -> Point {
        Point::new((self.x + other.x) / 2.0, (self.y + other.y) / 2.0)
    }
}

/// An axis-aligned box: top-left corner and size, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

impl Rect {
    /// The centre of the box.
    pub fn center(&self) -> Point {
        Point::new(self.x + self.width / 2.0, self.y + self.height / 2.0)
    }

    /// Area in square pixels (0 for degenerate boxes).
    pub fn area(&self) -> f32 {
        self.width.max(0.0) * self.height.max(0.0)
    }

    /// Intersection over union with `other`, in 0..=1.
    pub fn iou(&self, other: &Rect) -> f32 {
        let x0 = self.x.max(other.x);
        let y0 = self.y.max(other.y);
        let x1 = (self.x + self.width).min(other.x + other.width);
        let y1 = (self.y + self.height).min(other.y + other.height);
        let inter = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }
}

/// `p ↦ [a −b; b a]·p + t`: rotation and uniform scale by (a, b), then translation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// scale · cos(angle)
    pub a: f32,
    /// scale · sin(angle)
    pub b: f32,
    /// Horizontal translation.
    pub tx: f32,
    /// Vertical translation.
    pub ty: f32,
}

impl Similarity {
    /// Scale `s` and rotation `angle` (radians) about the origin, then translation `t`.
    pub fn new(scale: f32, angle: f32, t: Point) -> Self {
        Similarity { a: scale * angle.cos(), b: scale * angle.sin(), tx: t.x, ty: t.y }
    }

    /// Maps a point.
    pub fn apply(&self, p: Point) -> Point {
        Point::new(self.a * p.x - self.b * p.y + self.tx, self.b * p.x + self.a * p.y + self.ty)
    }

    /// The uniform scale factor.
    pub fn scale(&self) -> f32 {
        self.a.hypot(self.b)
    }

    /// The inverse map; `None` when the transform is degenerate (scale 0).
    pub fn inverse(&self) -> Option<Self> {
        let s2 = self.a * self.a + self.b * self.b;
        if !s2.is_finite() || s2 <= f32::EPSILON {
            return None;
        }
        let (a, b) = (self.a / s2, -self.b / s2);
        Some(Similarity { a, b, tx: -(a * self.tx - b * self.ty), ty: -(b * self.tx + a * self.ty) })
    }

    /// Least-squares similarity taking `src[i]` to `dst[i]` (Umeyama's method, which in 2-D has
    /// this closed form). `None` with fewer than two distinct points or mismatched lengths.
    pub fn fit(src: &[Point], dst: &[Point]) -> Option<Self> {
        if src.len() != dst.len() || src.len() < 2 {
            return None;
        }
        let n = src.len() as f64;
        let mean = |pts: &[Point]| {
            let (sx, sy) = pts.iter().fold((0.0, 0.0), |(sx, sy), p| (sx + p.x as f64, sy + p.y as f64));
            (sx / n, sy / n)
        };
        let (mpx, mpy) = mean(src);
        let (mqx, mqy) = mean(dst);
        let (mut den, mut num_a, mut num_b) = (0.0f64, 0.0f64, 0.0f64);
        for (p, q) in src.iter().zip(dst) {
            let (px, py) = (p.x as f64 - mpx, p.y as f64 - mpy);
            let (qx, qy) = (q.x as f64 - mqx, q.y as f64 - mqy);
            den += px * px + py * py;
            num_a += px * qx + py * qy;
            num_b += px * qy - py * qx;
        }
        if den.is_nan() || den <= 1e-9 {
            return None;
        }
        let (a, b) = (num_a / den, num_b / den);
        let tx = mqx - (a * mpx - b * mpy);
        let ty = mqy - (b * mpx + a * mpy);
        Some(Similarity { a: a as f32, b: b as f32, tx: tx as f32, ty: ty as f32 })
    }
}

/// A plane projective transform (homography): a 3x3 matrix, row-major, acting on (x, y, 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Homography(pub [f64; 9]);

impl Homography {
    /// Maps (x, y).
    pub fn apply_f64(&self, x: f64, y: f64) -> [f64; 2] {
        let h = &self.0;
        let w = h[6] * x + h[7] * y + h[8];
        [(h[0] * x + h[1] * y + h[2]) / w, (h[3] * x + h[4] * y + h[5]) / w]
    }

    /// Maps a point (computed in `f64`, rounded to `f32`).
    pub fn apply(&self, p: Point) -> Point {
        let [x, y] = self.apply_f64(f64::from(p.x), f64::from(p.y));
        Point::new(x as f32, y as f32)
    }

    /// The inverse (adjugate over determinant), if the matrix is not singular.
    pub fn inverse(&self) -> Option<Homography> {
        let [a, b, c, d, e, f, g, h, i] = self.0;
        let adj = [
            e * i - f * h,
            c * h - b * i,
            b * f - c * e,
            f * g - d * i,
            a * i - c * g,
            c * d - a * f,
            d * h - e * g,
            b * g - a * h,
            a * e - b * d,
        ];
        let det = a * adj[0] + b * adj[3] + c * adj[6];
        (det.abs() > 1e-12).then(|| Homography(adj.map(|v| v / det)))
    }

    /// The least-squares homography taking `src` to `dst` (at least 4 pairs; up to scale), or
    /// `None` when the points are degenerate: the direct linear transform on Hartley-normalised
    /// points with h33 = 1 there, an 8x8 system solved by Gaussian elimination (no linear-algebra
    /// crate in the wasm for it).
    pub fn fit(src: &[Point], dst: &[Point]) -> Option<Homography> {
        if src.len() != dst.len() || src.len() < 4 {
            return None;
        }
        let (ns, nd) = (normaliser(src), normaliser(dst));
        // Normal equations A^T A h = A^T b of the DLT rows with h33 = 1.
        let mut ata = [[0.0f64; 8]; 8];
        let mut atb = [0.0f64; 8];
        for (s, d) in src.iter().zip(dst) {
            let p = Homography(ns).apply(*s);
            let q = Homography(nd).apply(*d);
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
        Some(Homography(mul(&denormaliser(&nd), &mul(&hn, &ns))))
    }
}

/// Hartley normalisation: the similarity taking `points` to centroid 0, mean distance sqrt(2).
fn normaliser(points: &[Point]) -> [f64; 9] {
    let n = points.len() as f64;
    let cx = points.iter().map(|p| f64::from(p.x)).sum::<f64>() / n;
    let cy = points.iter().map(|p| f64::from(p.y)).sum::<f64>() / n;
    let mean = points.iter().map(|p| (f64::from(p.x) - cx).hypot(f64::from(p.y) - cy)).sum::<f64>() / n;
    let s = if mean > 0.0 { std::f64::consts::SQRT_2 / mean } else { 1.0 };
    [s, 0.0, -s * cx, 0.0, s, -s * cy, 0.0, 0.0, 1.0]
}

fn mul(a: &[f64; 9], b: &[f64; 9]) -> [f64; 9] {
    let mut out = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            out[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
        }
    }
    out
}

/// Inverse of a normaliser (scale s, translation t): scale 1/s, translation -t/s.
fn denormaliser(n: &[f64; 9]) -> [f64; 9] {
    let s = n[0];
    [1.0 / s, 0.0, -n[2] / s, 0.0, 1.0 / s, -n[5] / s, 0.0, 0.0, 1.0]
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` when singular.
pub(crate) fn solve<const N: usize>(mut a: [[f64; N]; N], mut b: [f64; N]) -> Option<[f64; N]> {
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

    #[test]
    fn fit_recovers_a_known_transform_and_inverse_undoes_it() {
        let truth = Similarity::new(1.7, 0.3, Point::new(-12.0, 40.0));
        let src = [Point::new(10.0, 20.0), Point::new(80.0, 25.0), Point::new(45.0, 60.0), Point::new(30.0, 90.0)];
        let dst: Vec<Point> = src.iter().map(|&p| truth.apply(p)).collect();
        let fit = Similarity::fit(&src, &dst).unwrap();
        for (x, y) in [(fit.a, truth.a), (fit.b, truth.b), (fit.tx, truth.tx), (fit.ty, truth.ty)] {
            assert!((x - y).abs() < 1e-3, "{fit:?} vs {truth:?}");
        }
        let back = fit.inverse().unwrap().apply(dst[2]);
        assert!((back.x - src[2].x).abs() < 1e-3 && (back.y - src[2].y).abs() < 1e-3);
    }

    #[test]
    fn fit_is_least_squares_under_noise() {
        let truth = Similarity::new(0.5, -0.8, Point::new(3.0, 4.0));
        let src: Vec<Point> = (0..20).map(|i| Point::new((i * 7 % 13) as f32, (i * 5 % 11) as f32)).collect();
        let noisy: Vec<Point> = src
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let q = truth.apply(p);
                let e = if i % 2 == 0 { 0.05 } else { -0.05 };
                Point::new(q.x + e, q.y - e)
            })
            .collect();
        let fit = Similarity::fit(&src, &noisy).unwrap();
        assert!((fit.scale() - 0.5).abs() < 0.01);
        assert!((fit.b.atan2(fit.a) + 0.8).abs() < 0.01);
    }

    #[test]
    fn degenerate_inputs_give_none() {
        let p = Point::new(1.0, 1.0);
        assert!(Similarity::fit(&[p, p], &[p, Point::new(2.0, 2.0)]).is_none());
        assert!(Similarity::fit(&[p], &[p]).is_none());
        assert!(Similarity::new(0.0, 0.0, p).inverse().is_none());
    }

    #[test]
    fn a_homography_is_fitted_from_its_image_and_inverted() {
        let truth = Homography([0.9, 0.2, 15.0, -0.1, 1.1, -20.0, 3e-4, -2e-4, 1.0]);
        let src: Vec<Point> = (0..12).map(|i| Point::new((i * 37 % 100) as f32, (i * 53 % 90) as f32)).collect();
        let dst: Vec<Point> = src.iter().map(|&p| truth.apply(p)).collect();
        let fit = Homography::fit(&src, &dst).unwrap();
        assert!(fit.0.iter().zip(truth.0).all(|(a, b)| (a / fit.0[8] - b).abs() < 1e-4), "{fit:?}");
        let [x, y] = truth.inverse().unwrap().apply_f64(120.0, 40.0);
        let [u, v] = truth.apply_f64(x, y);
        assert!((u - 120.0).abs() < 1e-9 && (v - 40.0).abs() < 1e-9);
        assert!(Homography::fit(&src[..3], &dst[..3]).is_none());
        assert!(Homography([1.0, 2.0, 0.0, 2.0, 4.0, 0.0, 0.0, 0.0, 1.0]).inverse().is_none());
    }

    #[test]
    fn iou_of_boxes() {
        let a = Rect { x: 0.0, y: 0.0, width: 10.0, height: 10.0 };
        let b = Rect { x: 5.0, y: 0.0, width: 10.0, height: 10.0 };
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
        assert_eq!(a.iou(&Rect { x: 20.0, ..a }), 0.0);
    }
}
