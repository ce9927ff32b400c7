//! [`Frame`]: an RGB image in memory, from raw pixels or from encoded bytes (JPEG, PNG; natively
//! also BMP, PNM, TIFF, WebP).

use crate::error::{Error, Result};
use crate::geometry::{Point, Similarity};

/// Largest accepted width or height, in pixels.
pub const MAX_SIDE: u32 = 8192;
/// Largest accepted pixel count (a 6000x6000 photo; 108 MB as RGB).
pub const MAX_PIXELS: u64 = 36_000_000;
/// The encoded formats [`Frame::decode`] reads.
#[cfg(not(target_arch = "wasm32"))]
const DECODED: &[image::ImageFormat] = {
    use image::ImageFormat::*;
    &[Jpeg, Png, Bmp, Pnm, Tiff, WebP]
};
#[cfg(not(target_arch = "wasm32"))]
const NOT_DECODED: &str = "not a JPEG, PNG, BMP, PNM, TIFF or WebP image";
#[cfg(target_arch = "wasm32")]
const DECODED: &[image::ImageFormat] = &[image::ImageFormat::Jpeg, image::ImageFormat::Png];
#[cfg(target_arch = "wasm32")]
const NOT_DECODED: &str = "not a JPEG or PNG image (pass other formats as an ImageBitmap: createImageBitmap(blob))";

/// Largest accepted encoded image (JPEG, PNG, ...), in bytes: 64 MiB.
pub const MAX_ENCODED_BYTES: usize = 64 << 20;

/// Layout of raw pixel data handed to [`Frame::from_pixels`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// 3 bytes per pixel: R, G, B.
    Rgb,
    /// 4 bytes per pixel: R, G, B, A (alpha is ignored), as in `ImageData`.
    Rgba,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub fn channels(self) -> usize {
        match self {
            PixelFormat::Rgb => 3,
            PixelFormat::Rgba => 4,
        }
    }
}

/// An RGB image with a known, checked size. Cheap to read, owned, never empty.
#[derive(Clone)]
pub struct Frame {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frame({}x{})", self.width, self.height)
    }
}

/// Refuses empty images and images over [`MAX_SIDE`] a side or [`MAX_PIXELS`] in all: every
/// source is checked with it before its pixels are copied.
pub(crate) fn check_size(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::invalid_frame(format!("empty image ({width}x{height})")));
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Error::invalid_frame(format!(
            "{width}x{height} is larger than the maximum of {MAX_SIDE} px a side and {MAX_PIXELS} pixels"
        )));
    }
    Ok(())
}

/// Refuses encoded images longer than [`MAX_ENCODED_BYTES`] (checked before they are copied).
pub(crate) fn check_encoded_len(len: usize) -> Result<()> {
    if len > MAX_ENCODED_BYTES {
        return Err(Error::invalid_frame(format!(
            "{len} bytes of encoded image, more than the maximum of {MAX_ENCODED_BYTES}"
        )));
    }
    Ok(())
}

impl Frame {
    /// Copies raw pixels; `stride` is the number of bytes from one row to the next
    /// (at least `width * channels`; the last row may be short of padding).
    pub fn from_pixels(data: &[u8], width: u32, height: u32, stride: usize, format: PixelFormat) -> Result<Self> {
        check_size(width, height)?;
        let channels = format.channels();
        // Bounded by `check_size`: at most MAX_SIDE * 4 bytes a row and MAX_PIXELS * 3 in all,
        // far below `u32::MAX`, so these products fit a 32-bit `usize` (wasm32).
        let row = width as usize * channels;
        if stride < row {
            return Err(Error::invalid_frame(format!("stride {stride} is shorter than a row of {row} bytes")));
        }
        // A stride is caller-chosen: its product with the height can overflow.
        let needed = stride.checked_mul(height as usize - 1).and_then(|n| n.checked_add(row));
        if needed.is_none_or(|needed| data.len() < needed) {
            return Err(Error::invalid_frame(format!(
                "{} bytes given, a {width}x{height} image with stride {stride} needs {}",
                data.len(),
                needed.map_or_else(|| "more than fit in memory".into(), |n| n.to_string())
            )));
        }
        let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
        // Every row lies inside `data`: `y * stride + row <= needed <= data.len()`.
        for line in data.chunks(stride).take(height as usize) {
            for px in line[..row].chunks_exact(channels) {
                rgb.extend_from_slice(&px[..3]);
            }
        }
        Ok(Frame { width, height, rgb })
    }

    /// Tightly packed RGBA pixels, as in a browser `ImageData`.
    pub fn from_rgba(data: &[u8], width: u32, height: u32) -> Result<Self> {
        Self::from_pixels(data, width, height, (width as usize).saturating_mul(4), PixelFormat::Rgba)
    }

    /// Decodes JPEG, PNG and, natively, BMP, PNM (PGM/PPM), TIFF or WebP bytes (format sniffed
    /// from the content; EXIF orientation is not applied). The wasm build reads JPEG and PNG only:
    /// in a browser, `createImageBitmap` decodes the others.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        use image::{ImageDecoder, ImageReader, Limits};
        if bytes.is_empty() {
            return Err(Error::invalid_frame("no bytes"));
        }
        check_encoded_len(bytes.len())?;
        let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| Error::invalid_frame(e.to_string()))?;
        if !reader.format().is_some_and(|f| DECODED.contains(&f)) {
            return Err(Error::invalid_frame(NOT_DECODED));
        }
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        // The largest accepted image at 16 bits a channel with alpha: neither the decoder nor its
        // output may allocate more, whatever the header says.
        limits.max_alloc = Some(MAX_PIXELS * 8);
        reader.limits(limits.clone());
        let invalid = |e: image::ImageError| Error::invalid_frame(e.to_string());
        let decoder = reader.into_decoder().map_err(invalid)?;
        let (width, height) = decoder.dimensions();
        check_size(width, height)?;
        limits.reserve(decoder.total_bytes()).map_err(invalid)?;
        let image = image::DynamicImage::from_decoder(decoder).map_err(invalid)?.into_rgb8();
        let (width, height) = image.dimensions();
        check_size(width, height)?;
        Ok(Frame { width, height, rgb: image.into_raw() })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Packed RGB bytes, row by row.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    /// Bilinear sample at a continuous position (pixel centres at integer + 0.5);
    /// black outside the image.
    pub(crate) fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        if !(x >= 0.0 && y >= 0.0 && x <= self.width as f32 && y <= self.height as f32) {
            return [0.0; 3];
        }
        let max_x = self.width as f32 - 1.0;
        let max_y = self.height as f32 - 1.0;
        let fx = (x - 0.5).clamp(0.0, max_x);
        let fy = (y - 0.5).clamp(0.0, max_y);
        let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
        let x1 = (x0 + 1).min(self.width as usize - 1);
        let y1 = (y0 + 1).min(self.height as usize - 1);
        let (ax, ay) = (fx - x0 as f32, fy - y0 as f32);
        let w = self.width as usize;
        let px = |xx: usize, yy: usize| {
            let i = (yy * w + xx) * 3;
            [self.rgb[i] as f32, self.rgb[i + 1] as f32, self.rgb[i + 2] as f32]
        };
        let (p00, p10, p01, p11) = (px(x0, y0), px(x1, y0), px(x0, y1), px(x1, y1));
        let mut out = [0.0; 3];
        for c in 0..3 {
            let top = p00[c] + (p10[c] - p00[c]) * ax;
            let bottom = p01[c] + (p11[c] - p01[c]) * ax;
            out[c] = top + (bottom - top) * ay;
        }
        out
    }

    /// Resamples a `side x side` RGB patch (HWC, values 0..=255) whose pixel centre `p` comes from
    /// `to_frame.apply(p)` in this frame. When the patch shrinks the frame by more than 1.5x, each
    /// output pixel averages a grid of samples so small detector inputs do not alias.
    pub(crate) fn warp(&self, to_frame: &Similarity, side: usize) -> Vec<f32> {
        let taps = (to_frame.scale() / 1.5).ceil().clamp(1.0, 4.0) as usize;
        match to_frame.b == 0.0 {
            true => self.warp_unrotated(to_frame, side, taps),
            false => self.warp_any(to_frame, side, taps),
        }
    }

    /// [`Frame::warp`] for any similarity: `taps x taps` bilinear samples per output pixel.
    fn warp_any(&self, to_frame: &Similarity, side: usize, taps: usize) -> Vec<f32> {
        let weight = 1.0 / (taps * taps) as f32;
        let mut out = Vec::with_capacity(side * side * 3);
        for row in 0..side {
            for col in 0..side {
                let mut acc = [0.0f32; 3];
                for sy in 0..taps {
                    for sx in 0..taps {
                        let p = Point::new(
                            col as f32 + (sx as f32 + 0.5) / taps as f32,
                            row as f32 + (sy as f32 + 0.5) / taps as f32,
                        );
                        let q = to_frame.apply(p);
                        let v = self.sample(q.x, q.y);
                        for c in 0..3 {
                            acc[c] += v[c] * weight;
                        }
                    }
                }
                out.extend_from_slice(&acc);
            }
        }
        out
    }

    /// [`Frame::warp`] without rotation (the detector's letterbox), the same samples computed
    /// separably: each row and column has its source pixels and weights worked out once, instead
    /// of per sample (a 640x480 frame into 128x128 takes 16 samples per output pixel).
    fn warp_unrotated(&self, to_frame: &Similarity, side: usize, taps: usize) -> Vec<f32> {
        let columns = axis_weights(to_frame.a, to_frame.tx, side, taps, self.width);
        let rows = axis_weights(to_frame.a, to_frame.ty, side, taps, self.height);
        let per = 2 * taps;
        let stride = self.width as usize * 3;
        let mut out = vec![0.0f32; side * side * 3];
        for (out_row, row) in out.chunks_exact_mut(side * 3).zip(rows.chunks_exact(per)) {
            for &(y, wy) in row.iter().filter(|(_, w)| *w != 0.0) {
                let src = &self.rgb[y * stride..(y + 1) * stride];
                for (px, column) in out_row.chunks_exact_mut(3).zip(columns.chunks_exact(per)) {
                    for &(x, wx) in column {
                        let k = wy * wx;
                        px.iter_mut().zip(&src[x * 3..x * 3 + 3]).for_each(|(o, &v)| *o += k * v as f32);
                    }
                }
            }
        }
        out
    }
}

/// Along one axis of [`Frame::warp_unrotated`]: for each of `side` output coordinates, its
/// `taps` samples at `scale * (o + (s + 0.5) / taps) + offset` as two (source pixel, weight)
/// entries each — bilinear weights over `taps`, both 0 outside `0..=len` (black, like
/// [`Frame::sample`]).
fn axis_weights(scale: f32, offset: f32, side: usize, taps: usize, len: u32) -> Vec<(usize, f32)> {
    let mut out = Vec::with_capacity(side * taps * 2);
    let last = len as usize - 1;
    for o in 0..side {
        for s in 0..taps {
            let at = scale * (o as f32 + (s as f32 + 0.5) / taps as f32) + offset;
            if !(at >= 0.0 && at <= len as f32) {
                out.extend([(0, 0.0), (0, 0.0)]);
                continue;
            }
            let f = (at - 0.5).clamp(0.0, last as f32);
            let (i, a) = (f.floor() as usize, f - f.floor());
            out.extend([(i, (1.0 - a) / taps as f32), ((i + 1).min(last), a / taps as f32)]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_pixels_honour_stride_and_drop_alpha() {
        // 2x2 RGBA with 2 bytes of row padding.
        let data = [1, 2, 3, 255, 4, 5, 6, 255, 0, 0, 7, 8, 9, 255, 10, 11, 12, 255];
        let f = Frame::from_pixels(&data, 2, 2, 10, PixelFormat::Rgba).unwrap();
        assert_eq!(f.rgb(), &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    }

    #[test]
    fn bad_raw_input_is_a_typed_error() {
        let cases: [(&[u8], u32, u32, usize); 5] = [
            (&[], 0, 0, 0),
            (&[0; 4], 1, 0, 4),
            (&[0; 4], 10_000, 10_000, 40_000),
            (&[0; 15], 2, 2, 8),  // too short for 2 rows of stride 8
            (&[0; 64], 4, 2, 12), // stride shorter than a row
        ];
        for (data, w, h, stride) in cases {
            let err = Frame::from_pixels(data, w, h, stride, PixelFormat::Rgba).unwrap_err();
            assert!(matches!(err, Error::InvalidFrame { .. }), "{w}x{h}/{stride}: {err}");
        }
    }

    #[test]
    fn sampling_interpolates_between_pixel_centres() {
        let f = Frame::from_pixels(&[0, 0, 0, 100, 200, 50], 2, 1, 6, PixelFormat::Rgb).unwrap();
        assert_eq!(f.sample(0.5, 0.5), [0.0, 0.0, 0.0]);
        assert_eq!(f.sample(1.0, 0.5), [50.0, 100.0, 25.0]);
        assert_eq!(f.sample(2.0, 1.0), [100.0, 200.0, 50.0]);
        assert_eq!(f.sample(9.0, -3.0), [0.0, 0.0, 0.0]);
    }

    #[test]
    fn unrotated_warps_match_the_per_sample_warp() {
        let (w, h) = (37u32, 23u32);
        let data: Vec<u8> = (0..w * h * 3).map(|i| (i * 7919 % 251) as u8).collect();
        let f = Frame::from_pixels(&data, w, h, w as usize * 3, PixelFormat::Rgb).unwrap();
        // Shrinking 3.1x (3 taps) partly off the frame, 1.2x (1 tap), and enlarging.
        for (scale, shift, side) in [(3.1, (-5.0, 4.0), 16), (1.2, (2.5, -1.5), 24), (0.4, (3.0, 2.0), 32)] {
            let t = Similarity::new(scale, 0.0, Point::new(shift.0, shift.1));
            let taps = (t.scale() / 1.5).ceil().clamp(1.0, 4.0) as usize;
            let (fast, slow) = (f.warp(&t, side), f.warp_any(&t, side, taps));
            let worst = fast.iter().zip(&slow).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-3, "scale {scale}: differs by {worst}");
            assert!(fast.contains(&0.0) == slow.contains(&0.0) && fast.iter().any(|&v| v > 100.0));
        }
    }

    #[test]
    fn warp_with_identity_copies_and_with_shift_pads_black() {
        let data: Vec<u8> = (0..4 * 4 * 3).map(|i| i as u8).collect();
        let f = Frame::from_pixels(&data, 4, 4, 12, PixelFormat::Rgb).unwrap();
        let same = f.warp(&Similarity::new(1.0, 0.0, Point::new(0.0, 0.0)), 4);
        assert_eq!(same, data.iter().map(|&v| v as f32).collect::<Vec<_>>());
        let shifted = f.warp(&Similarity::new(1.0, 0.0, Point::new(-2.0, 0.0)), 4);
        assert_eq!(&shifted[..6], &[0.0; 6]);
        assert_eq!(&shifted[6..9], &[0.0, 1.0, 2.0]);
    }
}
