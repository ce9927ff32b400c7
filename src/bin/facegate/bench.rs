//! `facegate bench`: per-step timing of the pipeline on one photo, one thread.

use crate::args::PipelineArgs;
use crate::images::{decode_bytes, read};
use anyhow::{Context, Result};
use clap::Args;
use facegate::profile::profile;
use facegate::Selection;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct BenchArgs {
    /// The photo to time the pipeline on.
    image: PathBuf,
    /// Timed runs (after one warm-up run), 1 to 1000.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    #[command(flatten)]
    opts: PipelineArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: BenchArgs) -> Result<()> {
    let BenchArgs { image, runs, opts, json: as_json } = args;
    let image = image.as_path();
    let bytes = read(image)?;
    let start = Instant::now();
    let pipeline = opts.pipeline()?;
    let load_ms = start.elapsed().as_secs_f64() * 1e3;
    let clock = Instant::now();
    let times = profile(
        &pipeline,
        opts.selection_or(Selection::Single),
        runs,
        || decode_bytes(&bytes, image),
        || clock.elapsed().as_secs_f64() * 1e3,
    )
    .with_context(|| image.display().to_string())?;
    if as_json {
        println!("{}", json!({"image": image.display().to_string(), "loadMs": load_ms, "profile": times}));
    } else {
        println!("{runs} runs on {} (models loaded and optimised in {load_ms:.0} ms), one thread:", image.display());
        let rows = [
            ("decode", times.read),
            ("detect", times.detect),
            ("landmarks+align", times.landmarks_align),
            ("embed", times.embed),
            ("total", times.total),
        ];
        for (name, s) in rows {
            println!("  {name:<16} median {:>7.2} ms   p10 {:>7.2}   p90 {:>7.2}", s.median_ms, s.p10_ms, s.p90_ms);
        }
        println!("  (total = detect + landmarks + align + embed, without decoding; embed with flip: {})", times.flip);
    }
    Ok(())
}
