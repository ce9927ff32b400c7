//! The pinhole camera clips are filmed with, and rotations in the person's own directions.

use super::motion::{radians, Pose};

/// A pinhole camera looking along +z (x right, y down, as in the image): focal length and
/// principal point in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    pub focal: f64,
    pub cx: f64,
    pub cy: f64,
}

impl Camera {
    /// Focal length `focal_widths` times the frame width, principal point at the centre.
    pub fn new(width: usize, height: usize, focal_widths: f64) -> Self {
        Camera { focal: focal_widths * width as f64, cx: width as f64 / 2.0, cy: height as f64 / 2.0 }
    }

    /// The frame position of a camera-space point.
    pub fn project(&self, p: [f64; 3]) -> [f64; 2] {
        [self.cx + self.focal * p[0] / p[2], self.cy + self.focal * p[1] / p[2]]
    }

    /// The camera-space point at `depth` that projects to frame position (x, y).
    pub fn unproject(&self, x: f64, y: f64, depth: f64) -> [f64; 3] {
        [(x - self.cx) * depth / self.focal, (y - self.cy) * depth / self.focal, depth]
    }
}

/// `p` turned by the pose's angles (roll after pitch after yaw): yaw > 0 brings a point in
/// front of the centre (z < 0) towards +x, pitch > 0 brings it towards -y.
pub fn rotate(pose: &Pose, p: [f64; 3]) -> [f64; 3] {
    let (sy, cy) = radians(pose.yaw).sin_cos();
    let (sp, cp) = radians(pose.pitch).sin_cos();
    let (sr, cr) = radians(pose.roll).sin_cos();
    let [x, y, z] = p;
    let (x, z) = (x * cy - z * sy, x * sy + z * cy);
    let (y, z) = (y * cp + z * sp, -y * sp + z * cp);
    let (x, y) = (x * cr - y * sr, x * sr + y * cr);
    [x, y, z]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turning_left_moves_the_nose_right_and_looking_up_moves_it_up() {
        let nose = [0.0, 0.0, -50.0];
        let left = rotate(&Pose { yaw: 30.0, ..Pose::NEUTRAL }, nose);
        assert!(left[0] > 20.0, "{left:?}");
        let left_cheek = rotate(&Pose { yaw: 30.0, ..Pose::NEUTRAL }, [60.0, 0.0, 0.0]);
        assert!(left_cheek[2] > 20.0, "the cheek on the image's right turns away: {left_cheek:?}");
        let up = rotate(&Pose { pitch: 20.0, ..Pose::NEUTRAL }, nose);
        assert!(up[1] < -10.0, "{up:?}");
        let camera = Camera::new(640, 480, 1.2);
        let p = camera.unproject(100.0, 50.0, 700.0);
        let q = camera.project(p);
        assert!((q[0] - 100.0).abs() < 1e-9 && (q[1] - 50.0).abs() < 1e-9);
    }
}
