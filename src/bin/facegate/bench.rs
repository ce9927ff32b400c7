//! `facegate bench`: per-step timing of the pipeline on one photo, one thread.

use crate::args::PipelineArgs;
use crate::images::{decode_bytes, read};
use anyhow::{Context, Result};
use clap::Args;
use facegate::Selection;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct BenchArgs {
    /// The photo to time the pipeline on.
    image: PathBuf,
    /// Timed runs (after one warm-up run).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    #[command(flatten)]
    opts: PipelineArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Median, 10th and 90th percentile of `samples` (milliseconds).
fn summary(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.1), at(0.9))
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}

pub fn run(args: BenchArgs) -> Result<()> {
    let BenchArgs { image, runs, opts, json: as_json } = args;
    let image = image.as_path();
    let bytes = read(image)?;
    let start = Instant::now();
    let pipeline = opts.pipeline()?;
    let load_ms = ms(start);
    let steps = ["decode", "detect", "landmarks+align", "embed", "total"];
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); steps.len()];
    for run in 0..=runs.max(1) {
        let t0 = Instant::now();
        let frame = decode_bytes(&bytes, image)?;
        let at = || image.display().to_string();
        let t1 = Instant::now();
        let face = pipeline.select(&frame, opts.selection_or(Selection::Single)).with_context(at)?;
        let t2 = Instant::now();
        let aligned = pipeline.align(&frame, &face).with_context(at)?;
        let t3 = Instant::now();
        pipeline.embed_aligned(&aligned).with_context(at)?;
        let t4 = Instant::now();
        if run == 0 {
            continue; // warm-up
        }
        let spans = [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t1, t4)];
        for (samples, (a, b)) in times.iter_mut().zip(spans) {
            samples.push((b - a).as_secs_f64() * 1e3);
        }
    }
    let rows: Vec<(&str, (f64, f64, f64))> = steps.iter().copied().zip(times.into_iter().map(summary)).collect();
    if as_json {
        let steps = rows
            .iter()
            .map(|(name, (m, lo, hi))| (name.to_string(), json!({"median_ms": m, "p10_ms": lo, "p90_ms": hi})));
        let out = json!({"image": image.display().to_string(), "runs": runs.max(1), "load_ms": load_ms,
            "flip": pipeline.options().flip, "steps": serde_json::Map::from_iter(steps)});
        println!("{out}");
    } else {
        println!(
            "{} runs on {} (models loaded and optimised in {load_ms:.0} ms), one thread:",
            runs.max(1),
            image.display()
        );
        for (name, (m, lo, hi)) in rows {
            println!("  {name:<16} median {m:>7.2} ms   p10 {lo:>7.2}   p90 {hi:>7.2}");
        }
        println!("  (total = detect + landmarks + align + embed, without decoding)");
    }
    Ok(())
}
