//! `facegate identify`: which enrolled person is in a photo, if anyone?

use crate::args::{rule, GalleryArg, HeadArg, PipelineArgs};
use crate::images::describe;
use anyhow::Result;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

#[derive(Args)]
pub struct IdentifyArgs {
    #[command(flatten)]
    gallery: GalleryArg,
    /// The photo of the person to identify.
    image: PathBuf,
    /// How many candidates to list.
    #[arg(long, default_value_t = 3)]
    top: usize,
    #[command(flatten)]
    head: HeadArg,
    #[command(flatten)]
    opts: PipelineArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: IdentifyArgs) -> Result<()> {
    let pipeline = args.opts.pipeline()?;
    let mut gallery = args.gallery.load(&pipeline)?;
    gallery.set_head(args.head.head(&pipeline)?)?;
    let probe = describe(&pipeline, &args.image, args.opts.selection())?;
    let ranked = gallery.identify(&probe.embedding, args.top)?;
    let rule = rule(gallery.head());
    let threshold = gallery.head().map_or(gallery.threshold().cosine, |h| h.operating_point().probability);
    if args.json {
        println!("{}", json!({"candidates": ranked, "threshold": threshold, "rule": rule, "box": probe.face.bbox}));
    } else if ranked.is_empty() {
        match gallery.head() {
            Some(_) => println!("unknown: nobody passes p(same) >= {threshold:.4} ({rule} head)"),
            None => println!("unknown: nobody passes the cosine threshold {threshold:.4}"),
        }
    } else {
        for c in ranked {
            println!("{}\t{:.4}", c.id, c.score);
        }
    }
    Ok(())
}
