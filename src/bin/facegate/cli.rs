//! Argument parsing and the small commands (compare, enroll, identify).

use clap::{Args, Parser, Subcommand, ValueEnum};
use facegate::{Described, Error, Frame, Gallery, LandmarkSource, Pipeline, PipelineOptions, Selection, Threshold};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "facegate", version, about = "On-device face verification and identification")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Are the faces in two photos the same person?
    Compare {
        img1: PathBuf,
        img2: PathBuf,
        #[command(flatten)]
        opts: PipelineArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Enroll a person from one or more photos into a gallery file (created if missing).
    Enroll {
        #[arg(long)]
        gallery: PathBuf,
        #[arg(long)]
        id: String,
        #[arg(required = true)]
        images: Vec<PathBuf>,
        #[command(flatten)]
        opts: PipelineArgs,
    },
    /// Which enrolled person is this? Prints nothing-passed as "unknown".
    Identify {
        #[arg(long)]
        gallery: PathBuf,
        image: PathBuf,
        /// How many candidates to list.
        #[arg(long, default_value_t = 3)]
        top: usize,
        #[command(flatten)]
        opts: PipelineArgs,
        #[arg(long)]
        json: bool,
    },
    /// Time each step on one photo, single-threaded: median and spread of repeated runs.
    Bench {
        image: PathBuf,
        /// Timed runs (after one warm-up run).
        #[arg(long, default_value_t = 20)]
        runs: usize,
        #[command(flatten)]
        opts: PipelineArgs,
        #[arg(long)]
        json: bool,
    },
    /// Make a Y4M video from photos (each shown in turn) for Chromium's fake camera.
    Video {
        #[arg(long)]
        out: PathBuf,
        #[arg(required = true)]
        images: Vec<PathBuf>,
        /// Frame size, WIDTHxHEIGHT (even numbers).
        #[arg(long, default_value = "640x480")]
        size: String,
        /// How long each photo is shown.
        #[arg(long, default_value_t = 2.0)]
        seconds: f32,
    },
    /// The LFW View 2 benchmark: 10-fold accuracy, TAR at FAR, timing, ROC plot.
    EvalLfw(crate::eval_lfw::EvalArgs),
    /// Train a head (triplet projection, logistic pair head or Platt scaling) on a labelled folder.
    TrainHead(crate::train::TrainArgs),
    /// LFW 10-fold table of cosine and every head kind, each fold's heads trained without that
    /// fold's people: accuracy, TAR@FAR 1e-3, calibration (ECE).
    ReportHeads(crate::report::ReportArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Landmarks {
    /// FaceMesh five points (default, most accurate).
    Facemesh,
    /// BlazeFace keypoints (faster).
    Blazeface,
}

#[derive(Args, Clone)]
pub struct PipelineArgs {
    /// Use the largest face when a photo shows several (default: exactly one face required).
    #[arg(long)]
    largest: bool,
    /// Alignment landmarks.
    #[arg(long, value_enum, default_value = "facemesh")]
    landmarks: Landmarks,
    /// Do not add the mirror image's embedding (faster, less accurate).
    #[arg(long)]
    no_flip: bool,
    /// Smallest face width in pixels.
    #[arg(long, default_value_t = PipelineOptions::default().min_face)]
    min_face: u32,
}

impl PipelineArgs {
    pub fn pipeline(&self) -> facegate::Result<Pipeline> {
        let landmarks = match self.landmarks {
            Landmarks::Facemesh => LandmarkSource::FaceMesh,
            Landmarks::Blazeface => LandmarkSource::BlazeFace,
        };
        Pipeline::with_options(PipelineOptions { min_face: self.min_face, landmarks, flip: !self.no_flip })
    }

    pub fn selection(&self) -> Selection {
        if self.largest {
            Selection::Largest
        } else {
            Selection::Single
        }
    }
}

/// A failure worth a message: facegate's error (with its code) or a file problem.
pub enum CliError {
    Face(Error, Option<PathBuf>),
    Io(String),
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        CliError::Face(e, None)
    }
}

pub fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::Io(format!("{}: {e}", path.display())))
}

fn describe(pipeline: &Pipeline, path: &Path, selection: Selection) -> Result<Described, CliError> {
    let described = Frame::decode(&read(path)?).and_then(|f| pipeline.describe(&f, selection));
    described.map_err(|e| CliError::Face(e, Some(path.to_owned())))
}

fn load_gallery(path: &Path, pipeline: &Pipeline) -> Result<Gallery, CliError> {
    if !path.exists() {
        return Ok(Gallery::new(pipeline.model_sha256(), Threshold::DEFAULT));
    }
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Io(format!("{}: {e}", path.display())))?;
    Gallery::from_json(&text, pipeline.model_sha256()).map_err(|e| CliError::Face(e, Some(path.to_owned())))
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Compare { img1, img2, opts, json } => {
            let pipeline = opts.pipeline()?;
            let a = describe(&pipeline, &img1, opts.selection())?;
            let b = describe(&pipeline, &img2, opts.selection())?;
            let score = a.embedding.cosine(&b.embedding);
            let threshold = Threshold::DEFAULT.cosine;
            let same = score >= threshold;
            if json {
                let out = json!({"same": same, "score": score, "threshold": threshold,
                    "box1": a.face.bbox, "box2": b.face.bbox});
                println!("{out}");
            } else {
                let verdict = if same { "same person" } else { "different people" };
                println!("{verdict}: score {score:.4}, threshold {threshold:.4}");
                for (path, d) in [(&img1, &a), (&img2, &b)] {
                    let r = d.face.bbox;
                    println!("  {}: face at ({:.0}, {:.0}) {:.0}x{:.0}, detector score {:.2}", path.display(), r.x, r.y, r.width, r.height, d.face.score);
                }
            }
        }
        Command::Enroll { gallery, id, images, opts } => {
            let pipeline = opts.pipeline()?;
            let mut g = load_gallery(&gallery, &pipeline)?;
            let shots = images.iter().map(|p| describe(&pipeline, p, opts.selection()).map(|d| d.embedding));
            let shots = shots.collect::<Result<Vec<_>, _>>()?;
            let total = g.enroll(&id, shots)?;
            std::fs::write(&gallery, g.to_json()).map_err(|e| CliError::Io(format!("{}: {e}", gallery.display())))?;
            println!("enrolled {id:?}: {total} shot(s); gallery has {} identities", g.len());
        }
        Command::Identify { gallery, image, top, opts, json } => {
            let pipeline = opts.pipeline()?;
            let g = load_gallery(&gallery, &pipeline)?;
            let probe = describe(&pipeline, &image, opts.selection())?;
            let ranked = g.identify(&probe.embedding, top)?;
            if json {
                println!("{}", json!({"candidates": ranked, "threshold": g.threshold().cosine, "box": probe.face.bbox}));
            } else if ranked.is_empty() {
                println!("unknown: nobody passes the threshold {:.4}", g.threshold().cosine);
            } else {
                for c in ranked {
                    println!("{}\t{:.4}", c.id, c.score);
                }
            }
        }
        Command::Bench { image, runs, opts, json } => crate::bench::run(&image, runs, &opts, json)?,
        Command::Video { out, images, size, seconds } => {
            let (w, h) = size
                .split_once('x')
                .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                .ok_or_else(|| CliError::Io(format!("--size {size:?}: expected WIDTHxHEIGHT")))?;
            crate::video::run(&out, &images, w, h, seconds)?
        }
        Command::EvalLfw(args) => crate::eval_lfw::run(args)?,
        Command::TrainHead(args) => crate::train::run(args)?,
        Command::ReportHeads(args) => crate::report::run(args)?,
    }
    Ok(())
}

pub fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Face(e, path)) => {
            let at = path.map(|p| format!("{}: ", p.display())).unwrap_or_default();
            eprintln!("error [{}]: {at}{e}", e.code());
            ExitCode::from(2)
        }
        Err(CliError::Io(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
