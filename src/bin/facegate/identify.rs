//! `facegate identify`: which enrolled person is in a photo, if anyone?

use crate::args::{GalleryArg, HeadArg, PipelineArgs};
use crate::images::describe;
use anyhow::Result;
use clap::Args;
use facegate::Rule;
use pollster::block_on;
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
    let gallery = args.gallery.open(&pipeline, args.head.rule(&pipeline)?)?;
    let probe = describe(&pipeline, &args.image, args.opts.selection())?;
    let ranked = block_on(gallery.identify(&probe.embedding, args.top))?;
    for skipped in block_on(gallery.list())?.damaged {
        eprintln!("skipped {:?} [{}]: {}", skipped.id, skipped.code, skipped.reason);
    }
    let (rule, threshold) = (gallery.rule().name(), gallery.rule().threshold());
    if args.json {
        println!("{}", json!({"candidates": ranked, "threshold": threshold, "rule": rule, "box": probe.face.bbox}));
    } else if ranked.is_empty() {
        match gallery.rule() {
            Rule::Head { .. } => println!("unknown: nobody passes p(same) >= {threshold:.4} ({rule} head)"),
            Rule::Cosine(_) => println!("unknown: nobody passes the cosine threshold {threshold:.4}"),
        }
    } else {
        for c in ranked {
            match c.probability {
                Some(p) => println!("{}\tp(same) {p:.4}\tcosine {:.4}", c.id, c.score),
                None => println!("{}\tcosine {:.4}", c.id, c.score),
            }
        }
    }
    Ok(())
}
