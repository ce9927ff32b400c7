//! Alignment: the least-squares similarity from five facial points to the ArcFace 112x112
//! template, and the bilinear warp that produces the crop the embedding network expects.

use crate::error::{Error, Result};
use crate::frame::Frame;
use crate::geometry::{Point, Similarity};
use crate::landmarks::FivePoints;

/// Side of an aligned face crop.
pub const SIDE: usize = 112;

/// Where the ArcFace template puts the five points in a 112x112 crop.
pub const ARCFACE_TEMPLATE: [Point; 5] = [
    Point::new(38.2946, 51.6963),
    Point::new(73.5318, 51.5014),
    Point::new(56.0252, 71.7366),
    Point::new(41.5493, 92.3655),
    Point::new(70.7299, 92.2041),
];

/// A 112x112 RGB face crop (HWC, values 0..=255), aligned to the ArcFace template.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignedFace {
    pixels: Vec<f32>,
}

impl AlignedFace {
    /// The crop's pixels, HWC RGB, 0..=255.
    pub fn pixels(&self) -> &[f32] {
        &self.pixels
    }

    /// The mirror image (for flip test-time augmentation).
    pub fn flipped(&self) -> AlignedFace {
        let mut pixels = Vec::with_capacity(self.pixels.len());
        for row in self.pixels.chunks_exact(SIDE * 3) {
            for px in row.chunks_exact(3).rev() {
                pixels.extend_from_slice(px);
            }
        }
        AlignedFace { pixels }
    }
}

/// Warps `frame` so that `points` land on the ArcFace template.
pub fn align(frame: &Frame, points: &FivePoints) -> Result<AlignedFace> {
    let bad = || Error::invalid_frame("face landmarks are degenerate");
    if points.0.iter().any(|p| !p.x.is_finite() || !p.y.is_finite()) {
        return Err(bad());
    }
    let to_template = Similarity::fit(&points.0, &ARCFACE_TEMPLATE).ok_or_else(bad)?;
    let to_frame = to_template.inverse().ok_or_else(bad)?;
    Ok(AlignedFace { pixels: frame.warp(&to_frame, SIDE) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::PixelFormat;

    #[test]
    fn aligning_points_already_on_the_template_copies_the_crop() {
        let data: Vec<u8> = (0..SIDE * SIDE * 3).map(|i| (i % 251) as u8).collect();
        let frame = Frame::from_pixels(&data, SIDE as u32, SIDE as u32, SIDE * 3, PixelFormat::Rgb).unwrap();
        let face = align(&frame, &FivePoints(ARCFACE_TEMPLATE)).unwrap();
        let max_diff = face.pixels().iter().zip(&data).map(|(a, &b)| (a - b as f32).abs()).fold(0.0, f32::max);
        assert!(max_diff < 0.05, "{max_diff}");
    }

    #[test]
    fn flip_mirrors_rows_and_is_its_own_inverse() {
        let face = AlignedFace { pixels: (0..SIDE * SIDE * 3).map(|i| i as f32).collect() };
        let flipped = face.flipped();
        assert_eq!(&flipped.pixels()[..3], &face.pixels()[(SIDE - 1) * 3..SIDE * 3]);
        assert_eq!(flipped.flipped(), face);
    }

    #[test]
    fn degenerate_points_are_an_error() {
        let frame = Frame::from_pixels(&[0; 12], 2, 2, 6, PixelFormat::Rgb).unwrap();
        let p = Point::new(1.0, 1.0);
        assert!(align(&frame, &FivePoints([p; 5])).is_err());
        assert!(align(&frame, &FivePoints([Point::new(f32::NAN, 0.0), p, p, p, p])).is_err());
    }
}
