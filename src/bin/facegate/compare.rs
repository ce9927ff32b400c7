//! `facegate compare`: are the faces in two photos the same person?

use crate::args::{HeadArg, PipelineArgs};
use crate::images::describe;
use anyhow::Result;
use clap::Args;
use facegate::{Gallery, MemoryStore, Selection};
use pollster::block_on;
use serde_json::json;
use std::path::PathBuf;

#[derive(Args)]
pub struct CompareArgs {
    /// First photo (enrolled as a one-shot identity).
    img1: PathBuf,
    /// Second photo (verified against the first).
    img2: PathBuf,
    #[command(flatten)]
    head: HeadArg,
    #[command(flatten)]
    opts: PipelineArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// Decides like an application would: the first photo enrolled as a one-shot identity, the
/// second verified against it.
pub fn run(args: CompareArgs) -> Result<()> {
    let pipeline = args.opts.pipeline()?;
    let gallery = Gallery::new(MemoryStore::new(), pipeline.model_sha256(), args.head.rule(&pipeline)?)?;
    let a = describe(&pipeline, &args.img1, args.opts.selection_or(Selection::Single))?;
    let b = describe(&pipeline, &args.img2, args.opts.selection_or(Selection::Single))?;
    block_on(gallery.enroll("img1", vec![a.embedding.clone()]))?;
    let v = block_on(gallery.verify("img1", &b.embedding))?;
    let rule = v.rule;
    if args.json {
        let out = json!({"same": v.is_match, "similarity": v.similarity, "probability": v.probability,
            "threshold": v.threshold, "rule": rule, "box1": a.face.bbox, "box2": b.face.bbox});
        println!("{out}");
        return Ok(());
    }
    let verdict = if v.is_match { "same person" } else { "different people" };
    match v.probability {
        Some(p) => println!(
            "{verdict}: p(same) {p:.4}, threshold {:.4} ({rule} head); cosine similarity {:.4}",
            v.threshold, v.similarity
        ),
        None => println!("{verdict}: cosine similarity {:.4}, threshold {:.4}", v.similarity, v.threshold),
    }
    for (path, d) in [(&args.img1, &a), (&args.img2, &b)] {
        let r = d.face.bbox;
        println!(
            "  {}: face at ({:.0}, {:.0}) {:.0}x{:.0}, detection score {:.2}",
            path.display(),
            r.x,
            r.y,
            r.width,
            r.height,
            d.face.detection_score
        );
    }
    Ok(())
}
