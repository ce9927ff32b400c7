//! The flat-picture test: a photo or screen moved in front of a camera moves its landmarks by a
//! plane projective transform (a homography); a real head does not (the nose tip, the eyes and the
//! face outline lie at different depths, so turning shifts them against each other: parallax).
//!
//! The homography is fitted by least squares ([`Homography::fit`]).

use crate::error::Result;
use crate::geometry::{Homography, Point};
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
        match Homography::fit(&self.points, &other.points) {
            Some(h) => {
                let sum: f32 = self
                    .points
                    .iter()
                    .zip(&other.points)
                    .map(|(&p, q)| {
                        let m = h.apply(p);
                        (m.x - q.x).powi(2) + (m.y - q.y).powi(2)
                    })
                    .sum();
                (sum / self.points.len() as f32).sqrt() / self.eye_distance.max(f32::EPSILON)
            }
            None => f32::INFINITY,
        }
    }
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
        let h = Homography([0.9, 0.2, 15.0, -0.1, 1.1, -20.0, 3e-4, -2e-4, 1.0]);
        let moved = Landmarks { points: frontal.points.iter().map(|&p| h.apply(p)).collect(), ..frontal.clone() };
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
