//! `facegate identify`: which enrolled person is in a photo, if anyone?

use crate::args::{GalleryArg, HeadArg, PipelineArgs};
use crate::images::describe;
use anyhow::Result;
use clap::Args;
use facegate::far::DEFAULT_FAR;
use facegate::{IdentifyOptions, Selection};
use pollster::block_on;
use serde_json::json;
use std::path::PathBuf;

/// `--far`: a rate, or `none`.
#[derive(Clone, Copy)]
struct Far(Option<f64>);

impl std::fmt::Display for Far {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(rate) => write!(f, "{rate}"),
            None => f.write_str("none"),
        }
    }
}

impl std::str::FromStr for Far {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Far(None)),
            rate => rate.parse().map(|r| Far(Some(r))).map_err(|_| format!("{rate:?} is neither a rate nor `none`")),
        }
    }
}

#[derive(Args)]
pub struct IdentifyArgs {
    #[command(flatten)]
    gallery: GalleryArg,
    /// The photo of the person to identify.
    image: PathBuf,
    /// How many candidates to list.
    #[arg(long, default_value_t = 3)]
    top: usize,
    /// Chance that a stranger is taken for anyone, whatever the gallery's size (each comparison
    /// is decided at FAR / N); `none`: rank by the 1:1 rule alone.
    #[arg(long, value_name = "RATE|none", default_value_t = Far(Some(DEFAULT_FAR)))]
    far: Far,
    /// How much the best candidate must beat the runner-up by (p(same) with a head, else cosine);
    /// default: the FAR table's, or 0 with `--far none`.
    #[arg(long)]
    margin: Option<f32>,
    #[command(flatten)]
    head: HeadArg,
    #[command(flatten)]
    opts: PipelineArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: IdentifyArgs) -> Result<()> {
    let Far(far) = args.far;
    let options = IdentifyOptions { k: args.top, far, margin: args.margin };
    let pipeline = args.opts.pipeline()?;
    let gallery = args.gallery.open(&pipeline, args.head.rule(&pipeline)?)?;
    let probe = describe(&pipeline, &args.image, args.opts.selection_or(Selection::Single))?;
    let ranked = block_on(gallery.identify_with(&probe.embedding, &options))?;
    let listed = block_on(gallery.list())?;
    for skipped in &listed.damaged {
        eprintln!("skipped {:?} [{}]: {}", skipped.id, skipped.code, skipped.reason);
    }
    let size = listed.enrollments.len();
    let accept = options.acceptance(gallery.rule(), gallery.model_sha256(), size)?;
    let rule = gallery.rule().name();
    if args.json {
        println!(
            "{}",
            json!({"candidates": ranked, "threshold": accept.threshold, "cosine_threshold": accept.cosine.max(-1.0),
                "margin": accept.margin, "far": far, "enrolled": size, "rule": rule, "box": probe.face.bbox})
        );
    } else if ranked.is_empty() {
        let value = if rule == "cosine" { "cosine" } else { "p(same)" };
        let bound = far.map_or(String::new(), |f| format!(", FAR {f} over {size} enrolled"));
        println!(
            "unknown: nobody passes {value} >= {:.4} ahead of the runner-up by {} ({rule}{bound})",
            accept.threshold, accept.margin
        );
    } else {
        for c in ranked {
            match c.probability {
                Some(p) => println!("{}\tp(same) {p:.4}\tcosine {:.4}", c.id, c.similarity),
                None => println!("{}\tcosine {:.4}", c.id, c.similarity),
            }
        }
    }
    Ok(())
}
