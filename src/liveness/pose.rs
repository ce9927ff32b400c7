//! Head pose read from FaceMesh's 3-D points (MediaPipe's canonical numbering), with the eye
//! opening the iris model measured.

use crate::error::Result;
use crate::landmarks::{Mesh, Point3};

/// Image-left and image-right cheek (on the face outline, level with the nose).
const CHEEKS: (usize, usize) = (234, 454);
/// Top of the forehead and bottom of the chin.
const FOREHEAD_CHIN: (usize, usize) = (10, 152);

/// Where a face points and how open its eyes are, from one mesh.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pose {
    /// Degrees towards the person's own left (the nose moves to the image's right).
    pub yaw: f32,
    /// Degrees upwards (chin up).
    pub pitch: f32,
    /// Eye opening: lid gap over eye width from [`crate::Eyes`], mean of both eyes.
    pub eyes: f32,
}

fn dist(a: Point3, b: Point3) -> f32 {
    (a.x - b.x).hypot(a.y - b.y)
}

impl Pose {
    /// The pose of a mesh: yaw from the depth difference across the cheeks, pitch from
    /// the depth difference between forehead and chin (FaceMesh's z grows away from the camera);
    /// `eyes` is each eye's opening ([`crate::Eyes::opening`]).
    pub fn of(mesh: &Mesh, eyes: [f32; 2]) -> Result<Pose> {
        let (l, r) = (mesh.read(CHEEKS.0)?, mesh.read(CHEEKS.1)?);
        let yaw = (r.z - l.z).atan2(dist(l, r)).to_degrees();
        let (top, chin) = (mesh.read(FOREHEAD_CHIN.0)?, mesh.read(FOREHEAD_CHIN.1)?);
        let pitch = (top.z - chin.z).atan2(dist(top, chin)).to_degrees();
        Ok(Pose { yaw, pitch, eyes: (eyes[0] + eyes[1]) / 2.0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liveness::synthetic::head;

    #[test]
    fn pose_follows_the_head() {
        let open = [0.3, 0.34];
        let front = Pose::of(&head(0.0, 0.0, (0.0, 0.0)), open).unwrap();
        assert!(front.yaw.abs() < 1.0 && (front.eyes - 0.32).abs() < 1e-6, "{front:?}");
        let left = Pose::of(&head(25.0, 0.0, (0.0, 0.0)), open).unwrap();
        assert!((left.yaw - front.yaw - 25.0).abs() < 3.0, "{left:?}");
        let right = Pose::of(&head(-25.0, 0.0, (0.0, 0.0)), open).unwrap();
        assert!((right.yaw - front.yaw + 25.0).abs() < 3.0, "{right:?}");
        let up = Pose::of(&head(0.0, 15.0, (0.0, 0.0)), open).unwrap();
        assert!((up.pitch - front.pitch - 15.0).abs() < 3.0 && (up.yaw - front.yaw).abs() < 1.0, "{up:?}");
    }
}
