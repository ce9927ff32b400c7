//! `facegate enroll`: add a person's photos to a gallery file.

use crate::args::{GalleryArg, PipelineArgs};
use crate::images::describe;
use anyhow::Result;
use clap::Args;
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
    opts: PipelineArgs,
}

pub fn run(args: EnrollArgs) -> Result<()> {
    let pipeline = args.opts.pipeline()?;
    let mut gallery = args.gallery.load(&pipeline)?;
    let shots = args.images.iter().map(|p| describe(&pipeline, p, args.opts.selection()).map(|d| d.embedding));
    let shots = shots.collect::<Result<Vec<_>>>()?;
    let total = gallery.enroll(&args.id, shots)?;
    args.gallery.save(&gallery)?;
    println!("enrolled {:?}: {total} shot(s); gallery has {} identities", args.id, gallery.len());
    Ok(())
}
