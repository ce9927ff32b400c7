//! `facegate enroll`: add a person's photos to a gallery file.

use crate::args::{GalleryArg, HeadArg, PipelineArgs};
use crate::images::describe;
use anyhow::{Context, Result};
use clap::Args;
use facegate::Selection;
use pollster::block_on;
use std::path::PathBuf;

#[derive(Args)]
pub struct EnrollArgs {
    #[command(flatten)]
    gallery: GalleryArg,
    /// The person's id in the gallery.
    #[arg(long)]
    id: String,
    /// Photos of the person (several are averaged).
    #[arg(required = true)]
    images: Vec<PathBuf>,
    #[command(flatten)]
    head: HeadArg,
    #[command(flatten)]
    opts: PipelineArgs,
}

pub fn run(args: EnrollArgs) -> Result<()> {
    let pipeline = args.opts.pipeline()?;
    // Every shot after the first must show the same person by the gallery's rule (MISMATCH).
    let gallery = args.gallery.open(&pipeline, args.head.rule(&pipeline)?)?;
    let shots = args
        .images
        .iter()
        .map(|p| describe(&pipeline, p, args.opts.selection_or(Selection::Single)).map(|d| d.embedding));
    let shots = shots.collect::<Result<Vec<_>>>()?;
    let path = args.gallery.path().display().to_string();
    let enrollment = block_on(gallery.enroll(&args.id, shots)).context(path.clone())?;
    let people = block_on(gallery.list()).context(path)?.enrollments.len();
    println!("enrolled {:?}: {} shot(s); gallery has {people} identities", args.id, enrollment.shots().len());
    Ok(())
}
