//! `facegate video`: a Y4M clip from photos, for Chromium's fake camera
//! (`--use-file-for-fake-video-capture=FILE.y4m`) in browser tests and demos.

use crate::cli::{read, CliError};
use facegate::Frame;
use std::io::Write;
use std::path::{Path, PathBuf};

/// BT.601 full-range RGB → Y'CbCr.
fn ycbcr(p: &[u8]) -> (f32, f32, f32) {
    let (r, g, b) = (p[0] as f32, p[1] as f32, p[2] as f32);
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    (y, 128.0 + 0.564 * (b - y), 128.0 + 0.713 * (r - y))
}

/// One 4:2:0 frame: the photo centred and scaled to fit `width x height` on black.
fn yuv420(frame: &Frame, width: usize, height: usize) -> Vec<u8> {
    let scale = (width as f32 / frame.width() as f32).min(height as f32 / frame.height() as f32);
    let (fw, fh) = (frame.width() as usize, frame.height() as usize);
    let (ox, oy) = ((width as f32 - fw as f32 * scale) / 2.0, (height as f32 - fh as f32 * scale) / 2.0);
    let mut rgb = vec![0u8; width * height * 3];
    for y in 0..height {
        for x in 0..width {
            let sx = ((x as f32 + 0.5 - ox) / scale).floor();
            let sy = ((y as f32 + 0.5 - oy) / scale).floor();
            if sx >= 0.0 && sy >= 0.0 && (sx as usize) < fw && (sy as usize) < fh {
                let i = (sy as usize * fw + sx as usize) * 3;
                rgb[(y * width + x) * 3..][..3].copy_from_slice(&frame.rgb()[i..i + 3]);
            }
        }
    }
    let mut out = Vec::with_capacity(width * height * 3 / 2);
    out.extend(rgb.chunks_exact(3).map(|p| ycbcr(p).0.round().clamp(0.0, 255.0) as u8));
    for plane in [1, 2] {
        for y in (0..height).step_by(2) {
            for x in (0..width).step_by(2) {
                let c = |dx: usize, dy: usize| {
                    let i = ((y + dy).min(height - 1) * width + (x + dx).min(width - 1)) * 3;
                    let (_, cb, cr) = ycbcr(&rgb[i..i + 3]);
                    if plane == 1 { cb } else { cr }
                };
                let mean = (c(0, 0) + c(1, 0) + c(0, 1) + c(1, 1)) / 4.0;
                out.push(mean.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    out
}

/// Writes `seconds` of each photo in turn at 10 frames per second.
pub fn run(out: &Path, images: &[PathBuf], width: usize, height: usize, seconds: f32) -> Result<(), CliError> {
    if width < 2 || height < 2 || width % 2 == 1 || height % 2 == 1 || !(seconds > 0.0) {
        return Err(CliError::Io("--size must be even and at least 2x2, --seconds positive".into()));
    }
    let io = |e: std::io::Error| CliError::Io(format!("{}: {e}", out.display()));
    let mut file = std::io::BufWriter::new(std::fs::File::create(out).map_err(io)?);
    write!(file, "YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n").map_err(io)?;
    for path in images {
        let frame = Frame::decode(&read(path)?).map_err(|e| CliError::Face(e, Some(path.clone())))?;
        let yuv = yuv420(&frame, width, height);
        for _ in 0..((seconds * 10.0).round() as usize).max(1) {
            file.write_all(b"FRAME\n").map_err(io)?;
            file.write_all(&yuv).map_err(io)?;
        }
    }
    file.flush().map_err(io)
}
