//! `facegate video`: a Y4M clip from photos, for Chromium's fake camera
//! (`--use-file-for-fake-video-capture=FILE.y4m`) in browser tests and demos; its Y4M writer
//! ([`Y4m`]) also writes `liveness-clip`'s videos.

use crate::images::decode;
use anyhow::{ensure, Context, Result};
use clap::Args;
use facegate::Frame;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct VideoArgs {
    /// The Y4M file to write.
    #[arg(long)]
    out: PathBuf,
    /// Photos, shown in this order.
    #[arg(required = true)]
    images: Vec<PathBuf>,
    /// Frame size, WIDTHxHEIGHT (even numbers).
    #[arg(long, default_value = "640x480", value_parser = parse_size)]
    size: Size,
    /// How long each photo is shown.
    #[arg(long, default_value_t = 2.0)]
    seconds: f32,
}

/// A frame size: even, at least 2x2.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    width: usize,
    height: usize,
}

fn parse_size(text: &str) -> Result<Size, String> {
    let bad = || format!("expected WIDTHxHEIGHT with even numbers of at least 2, e.g. 640x480; got {text:?}");
    let (w, h) = text.split_once('x').ok_or_else(bad)?;
    let (width, height): (usize, usize) = (w.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?);
    if width < 2 || height < 2 || width % 2 == 1 || height % 2 == 1 {
        return Err(bad());
    }
    Ok(Size { width, height })
}

/// BT.601 full-range RGB → Y'CbCr.
fn ycbcr(p: &[u8]) -> (f32, f32, f32) {
    let (r, g, b) = (p[0] as f32, p[1] as f32, p[2] as f32);
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    (y, 128.0 + 0.564 * (b - y), 128.0 + 0.713 * (r - y))
}

/// One 4:2:0 frame: the photo centred and scaled to fit `width x height` on black.
pub(crate) fn yuv420(frame: &Frame, width: usize, height: usize) -> Vec<u8> {
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
                    if plane == 1 {
                        cb
                    } else {
                        cr
                    }
                };
                let mean = (c(0, 0) + c(1, 0) + c(0, 1) + c(1, 1)) / 4.0;
                out.push(mean.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    out
}

/// A Y4M file (YUV4MPEG2, 4:2:0 frames as [`yuv420`] makes them) being written.
pub(crate) struct Y4m {
    file: BufWriter<File>,
    /// The path, for errors.
    name: String,
}

impl Y4m {
    /// Creates `path` and writes the header: `width x height` at `rate / scale` frames per second.
    pub(crate) fn create(path: &Path, width: usize, height: usize, (rate, scale): (u64, u64)) -> Result<Y4m> {
        let at = path.display().to_string();
        let mut file = BufWriter::new(File::create(path).with_context(|| at.clone())?);
        writeln!(file, "YUV4MPEG2 W{width} H{height} F{rate}:{scale} Ip A1:1 C420jpeg").with_context(|| at.clone())?;
        Ok(Y4m { file, name: at })
    }

    /// Appends one frame's planes.
    pub(crate) fn frame(&mut self, yuv: &[u8]) -> Result<()> {
        self.file.write_all(b"FRAME\n").with_context(|| self.name.clone())?;
        self.file.write_all(yuv).with_context(|| self.name.clone())
    }

    /// Flushes what is buffered.
    pub(crate) fn finish(mut self) -> Result<()> {
        self.file.flush().with_context(|| self.name.clone())
    }
}

/// Writes `seconds` of each photo in turn at 10 frames per second.
pub fn run(args: VideoArgs) -> Result<()> {
    let VideoArgs { out, images, size: Size { width, height }, seconds } = args;
    ensure!(seconds > 0.0, "--seconds {seconds}: must be positive");
    let mut y4m = Y4m::create(&out, width, height, (10, 1))?;
    for path in &images {
        let yuv = yuv420(&decode(path)?, width, height);
        for _ in 0..((seconds * 10.0).round() as usize).max(1) {
            y4m.frame(&yuv)?;
        }
    }
    y4m.finish()
}
