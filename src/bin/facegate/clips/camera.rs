//! The pinhole camera clips are filmed with, and rotations in the person's own directions.

use super::motion::{radians, Pose};
use super::scene::Image;
use super::Options;
use anyhow::{Context, Result};
use rand::Rng;

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

/// What the camera makes of a rendered `image`: defocus (`options.blur`), sensor noise
/// (`options.noise`) and JPEG compression (`options.jpeg`), in that order; unchanged when all are off.
pub fn film(mut image: Image, options: &Options, rng: &mut impl Rng) -> Result<Image> {
    if options.blur > 0.0 {
        image = blur(&image, options.blur);
    }
    if options.noise > 0.0 {
        for v in image.rgb.iter_mut() {
            // Box-Muller: one normal deviate from two uniform ones.
            let (a, b): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
            let normal = (-2.0 * a.ln()).sqrt() * (std::f64::consts::TAU * b).cos();
            *v = (f64::from(*v) + options.noise * normal).round().clamp(0.0, 255.0) as u8;
        }
    }
    if let Some(quality) = options.jpeg {
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality.clamp(1, 100))
            .encode(&image.rgb, image.width as u32, image.height as u32, image::ExtendedColorType::Rgb8)
            .context("JPEG-encoding a frame")?;
        let decoded = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
            .context("decoding a JPEG frame")?
            .to_rgb8();
        image.rgb = decoded.into_raw();
    }
    Ok(image)
}

/// A Gaussian blur of standard deviation `sigma` pixels (separable, edges clamped).
fn blur(image: &Image, sigma: f64) -> Image {
    let radius = (3.0 * sigma).ceil() as isize;
    let weights: Vec<f32> =
        (-radius..=radius).map(|d| (-(d * d) as f64 / (2.0 * sigma * sigma)).exp() as f32).collect();
    let total: f32 = weights.iter().sum();
    let (w, h) = (image.width as isize, image.height as isize);
    let pass = |source: &[f32], horizontal: bool| -> Vec<f32> {
        let mut out = vec![0.0f32; source.len()];
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    let mut sum = 0.0;
                    for (k, weight) in weights.iter().enumerate() {
                        let d = k as isize - radius;
                        let (sx, sy) =
                            if horizontal { ((x + d).clamp(0, w - 1), y) } else { (x, (y + d).clamp(0, h - 1)) };
                        sum += weight * source[((sy * w + sx) * 3 + c as isize) as usize];
                    }
                    out[((y * w + x) * 3 + c as isize) as usize] = sum / total;
                }
            }
        }
        out
    };
    let source: Vec<f32> = image.rgb.iter().map(|&v| f32::from(v)).collect();
    let blurred = pass(&pass(&source, true), false);
    Image {
        width: image.width,
        height: image.height,
        rgb: blurred.iter().map(|v| v.round().clamp(0.0, 255.0) as u8).collect(),
    }
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
