//! `facegate liveness-clip`: one test clip from one photo, as a Y4M video for Chromium's fake
//! camera or as PNG frames with the ground truth (`clip.json`).

use super::{bend_of, render, script, Kind, Options, Stage};
use crate::images::decode;
use crate::video::{yuv420, Y4m};
use anyhow::{ensure, Context, Result};
use clap::Args;
use facegate::liveness::Step;
use facegate::{Frame, Pipeline};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args)]
pub struct ClipArgs {
    /// What the clip shows.
    #[arg(long, value_enum)]
    kind: Kind,
    /// The steps asked, comma-separated: turnLeft, turnRight, lookUp, lookDown, blink.
    #[arg(long, value_delimiter = ',', value_parser = parse_step, required = true)]
    steps: Vec<Step>,
    /// Seed of the room, amplitudes, jitter, card path and wrong order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Frames per second.
    #[arg(long, default_value_t = Options::default().fps)]
    fps: f64,
    /// Duration of a turn or nod in ms.
    #[arg(long, default_value_t = Options::default().step_ms)]
    step_ms: f64,
    /// A step's whole slot in ms for --kind too-slow.
    #[arg(long, default_value_t = Options::default().slow_step_ms)]
    slow_step_ms: f64,
    /// Neutral before the first step, ms (longer gives a browser time to start the challenge).
    #[arg(long, default_value_t = Options::default().lead_ms)]
    lead_ms: f64,
    /// Standing still before each step, ms: a person taking in the prompt.
    #[arg(long, default_value_t = Options::default().react_ms)]
    react_ms: f64,
    /// Neutral after the last step, ms (longer than a challenge's step limit: the clip then ends
    /// the challenge before Chromium's fake camera loops it).
    #[arg(long, default_value_t = Options::default().tail_ms)]
    tail_ms: f64,
    /// Bent prints' radius in face widths (default: one of 0.4, 0.7, 1, 1.4, 2 by --seed).
    #[arg(long)]
    radius: Option<f64>,
    /// Camera noise: standard deviation in 0-255 levels (0: none).
    #[arg(long, default_value_t = 0.0)]
    noise: f64,
    /// Defocus blur: standard deviation in pixels (0: none).
    #[arg(long, default_value_t = 0.0)]
    blur: f64,
    /// Re-encode every frame as JPEG at this quality (default: not).
    #[arg(long)]
    jpeg: Option<u8>,
    /// FILE.y4m (YUV4MPEG2 4:2:0, Chromium's --use-file-for-fake-video-capture), or a folder for
    /// PNG frames and clip.json (each frame's time, pose and, for a card, homography).
    #[arg(long)]
    out: PathBuf,
    /// The photo (its largest face is lifted for the live kinds).
    image: PathBuf,
}

/// A step by its camelCase name.
pub fn parse_step(text: &str) -> Result<Step, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("{text:?}: expected turnLeft, turnRight, lookUp, lookDown or blink"))
}

/// Writes `frames` as a Y4M video at `fps` frames per second (to a thousandth).
pub fn write_y4m(path: &Path, frames: &[(Frame, f64)], fps: f64) -> Result<()> {
    let (width, height) = frames.first().map(|(f, _)| (f.width(), f.height())).context("no frames")?;
    ensure!(width % 2 == 0 && height % 2 == 0, "Y4M 4:2:0 needs an even frame size, not {width}x{height}");
    let (mut rate, mut scale) = ((fps * 1000.0).round() as u64, 1000);
    while rate % 10 == 0 && scale > 1 {
        (rate, scale) = (rate / 10, scale / 10);
    }
    let (width, height) = (width as usize, height as usize);
    let mut y4m = Y4m::create(path, width, height, (rate, scale))?;
    for (frame, _) in frames {
        y4m.frame(&yuv420(frame, width, height))?;
    }
    y4m.finish()
}

/// Writes `frames` as DIR/frame-NNN.png.
fn write_pngs(dir: &Path, frames: &[(Frame, f64)]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    for (i, (frame, _)) in frames.iter().enumerate() {
        let path = dir.join(format!("frame-{i:03}.png"));
        image::RgbImage::from_raw(frame.width(), frame.height(), frame.rgb().to_vec())
            .context("frame buffer")?
            .save(&path)
            .with_context(|| path.display().to_string())?;
    }
    Ok(())
}

pub fn run(args: ClipArgs) -> Result<()> {
    let options = Options {
        fps: args.fps,
        step_ms: args.step_ms,
        slow_step_ms: args.slow_step_ms,
        lead_ms: args.lead_ms,
        tail_ms: args.tail_ms,
        react_ms: args.react_ms,
        bend_radius: args.radius,
        noise: args.noise,
        blur: args.blur,
        jpeg: args.jpeg,
        ..Options::default()
    };
    ensure!(options.fps > 0.0 && options.step_ms > 0.0, "--fps and --step-ms must be positive");
    let photo = decode(&args.image)?;
    let pipeline = Pipeline::new().context("loading the models")?;
    let started = Instant::now();
    let frames = render(&pipeline, args.kind, &photo, &args.steps, args.seed, &options)
        .with_context(|| args.image.display().to_string())?;
    let per_frame_ms = started.elapsed().as_secs_f64() * 1e3 / frames.len() as f64;
    let script = script(args.kind, &args.steps, args.seed, &options)?;
    if args.out.extension().is_some_and(|e| e.eq_ignore_ascii_case("y4m")) {
        write_y4m(&args.out, &frames, options.fps)?;
    } else {
        write_pngs(&args.out, &frames)?;
        let stage = (args.kind == Kind::Card).then(|| Stage::new(&pipeline, args.kind, &photo, args.seed, &options));
        let stage = stage.transpose()?;
        let truth: Vec<serde_json::Value> = script
            .frames
            .iter()
            .enumerate()
            .map(|(i, (ms, pose))| {
                serde_json::json!({
                    "file": format!("frame-{i:03}.png"),
                    "ms": ms,
                    "pose": pose,
                    "homography": stage.as_ref().map(|s| s.card(pose).0),
                })
            })
            .collect();
        let bend = args.kind.is_bent().then(|| bend_of(args.kind, args.seed, &options));
        let manifest = serde_json::json!({
            "kind": script.kind, "asked": script.asked, "moves": script.moves, "fps": options.fps, "bend": bend,
            "homographyMaps": "photo pixel coordinates (pixel i covers [i, i+1)) to frame coordinates, row-major 3x3",
            "frames": truth,
        });
        let path = args.out.join("clip.json");
        std::fs::write(&path, serde_json::to_string_pretty(&manifest)?).with_context(|| path.display().to_string())?;
    }
    let summary = serde_json::json!({
        "kind": args.kind, "asked": script.asked,
        "performed": script.moves.iter().map(|m| m.step).collect::<Vec<_>>(),
        "frames": frames.len(), "seconds": frames.len() as f64 / options.fps,
        "renderMsPerFrame": per_frame_ms, "out": args.out,
    });
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
