//! The pictures a clip is made of: an RGB image with bilinear sampling, a plausible room-like
//! background, and the neutral scene (the LFW photo enlarged on that background).

use anyhow::Result;
use facegate::{Frame, PixelFormat};
use rand::Rng;

/// An RGB image, 8 bits a channel, rows top to bottom.
#[derive(Clone)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

impl Image {
    pub fn from_frame(frame: &Frame) -> Self {
        Image { width: frame.width() as usize, height: frame.height() as usize, rgb: frame.rgb().to_vec() }
    }

    pub fn to_frame(&self) -> Result<Frame> {
        Ok(Frame::from_pixels(&self.rgb, self.width as u32, self.height as u32, self.width * 3, PixelFormat::Rgb)?)
    }

    /// Bilinear sample at continuous coordinates where pixel (i, j) covers [i, i+1) x [j, j+1)
    /// (its centre is (i + 0.5, j + 0.5)); edges are clamped.
    pub fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        let (fx, fy) = (x - 0.5, y - 0.5);
        let (x0, y0) = (fx.floor(), fy.floor());
        let (ax, ay) = (fx - x0, fy - y0);
        let clamp = |v: f32, n: usize| (v.max(0.0) as usize).min(n - 1);
        let (xa, xb) = (clamp(x0, self.width), clamp(x0 + 1.0, self.width));
        let (ya, yb) = (clamp(y0, self.height), clamp(y0 + 1.0, self.height));
        let px = |x: usize, y: usize, c: usize| f32::from(self.rgb[(y * self.width + x) * 3 + c]);
        std::array::from_fn(|c| {
            let top = px(xa, ya, c) * (1.0 - ax) + px(xb, ya, c) * ax;
            let bottom = px(xa, yb, c) * (1.0 - ax) + px(xb, yb, c) * ax;
            top * (1.0 - ay) + bottom * ay
        })
    }

    /// Writes `colour` (rounded) over pixel (x, y).
    pub fn put(&mut self, x: usize, y: usize, colour: [f32; 3]) {
        let i = (y * self.width + x) * 3;
        for (c, v) in colour.into_iter().enumerate() {
            self.rgb[i + c] = v.round().clamp(0.0, 255.0) as u8;
        }
    }

    /// Blends `colour` over pixel (x, y) with opacity `alpha`.
    pub fn blend(&mut self, x: usize, y: usize, colour: [f32; 3], alpha: f32) {
        let i = (y * self.width + x) * 3;
        let old: [f32; 3] = std::array::from_fn(|c| f32::from(self.rgb[i + c]));
        self.put(x, y, std::array::from_fn(|c| old[c] + (colour[c] - old[c]) * alpha));
    }
}

/// Where the photo sits in the frame: frame = offset + scale * photo (continuous coordinates).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub scale: f64,
    pub x: f64,
    pub y: f64,
}

impl Placement {
    /// `photo` enlarged by `scale`, centred in a `width x height` frame.
    pub fn centred(photo: &Image, scale: f64, width: usize, height: usize) -> Self {
        let x = (width as f64 - photo.width as f64 * scale) / 2.0;
        let y = (height as f64 - photo.height as f64 * scale) / 2.0;
        Placement { scale, x, y }
    }
}

/// A room-like background: a vertical two-colour gradient (wall), a darker band at the bottom
/// (furniture) and a soft-edged rectangle (a door or a shelf), muted random colours.
pub fn background(width: usize, height: usize, rng: &mut impl Rng) -> Image {
    let mut colour = || -> [f32; 3] {
        let base = rng.random_range(70.0..190.0);
        std::array::from_fn(|_| base + rng.random_range(-25.0..25.0))
    };
    let (top, bottom, band, block) = (colour(), colour(), colour(), colour());
    let band_y = height as f32 * rng.random_range(0.8..0.92);
    let (bx0, bx1) = (rng.random_range(0.0..0.2) * width as f32, rng.random_range(0.8..1.0) * width as f32);
    let (bx0, bx1) =
        if rng.random_bool(0.5) { (bx0, bx0 + 0.18 * width as f32) } else { (bx1 - 0.18 * width as f32, bx1) };
    let (by0, by1) = (rng.random_range(0.05..0.3) * height as f32, rng.random_range(0.6..0.8) * height as f32);
    let soft = |d: f32| (d / 6.0).clamp(0.0, 1.0);
    let mut image = Image { width, height, rgb: vec![0; width * height * 3] };
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let g = fy / height as f32;
            let mut c: [f32; 3] = std::array::from_fn(|k| top[k] * (1.0 - g) + bottom[k] * g);
            let inside = soft(fx - bx0).min(soft(bx1 - fx)).min(soft(fy - by0)).min(soft(by1 - fy));
            let below = soft(fy - band_y);
            for k in 0..3 {
                c[k] += (block[k] - c[k]) * inside;
                c[k] += (band[k] * 0.7 - c[k]) * below;
            }
            image.put(x, y, c);
        }
    }
    image
}

/// The photo enlarged onto `background` at `placement`, its border feathered over `feather`
/// frame pixels so it reads as a person in the room rather than a picture on the wall.
pub fn compose(background: &Image, photo: &Image, placement: Placement, feather: f64) -> Image {
    let mut out = background.clone();
    let (pw, ph) = (photo.width as f64 * placement.scale, photo.height as f64 * placement.scale);
    for y in 0..out.height {
        for x in 0..out.width {
            let (fx, fy) = (x as f64 + 0.5 - placement.x, y as f64 + 0.5 - placement.y);
            let edge = fx.min(pw - fx).min(fy).min(ph - fy);
            if edge > 0.0 {
                let colour = photo.sample((fx / placement.scale) as f32, (fy / placement.scale) as f32);
                out.blend(x, y, colour, (edge / feather).min(1.0) as f32);
            }
        }
    }
    out
}
