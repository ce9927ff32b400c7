//! `facegate train-head`: embed a labelled folder (cached on disk) and train a head on it.

use crate::args::HyperArgs;
use crate::lfw::{fold_count, fold_people, folder_name, load_faces, read_pairs, DataArgs};
use anyhow::{ensure, Context, Result};
use clap::Args;
use facegate::learn::dataset::Labelled;
use facegate::learn::train_head;
use facegate::HeadKind;
use facegate::{Pipeline, Selection};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct TrainArgs {
    /// Labelled face folder: DIR/PERSON/*.jpg (e.g. LFW).
    #[arg(long, env = "FACEGATE_DATA", default_value = "../shared/datasets/lfw")]
    data: PathBuf,
    /// triplet, logistic-l1, logistic-chi2 or platt.
    #[arg(long, default_value = "logistic-chi2")]
    kind: HeadKind,
    /// Where to write the head file.
    #[arg(long, default_value = "head.json")]
    out: PathBuf,
    /// Leave out every person of this LFW fold's pairs (1-based), to test on that fold.
    #[arg(long)]
    exclude_fold: Option<usize>,
    /// pairs.txt for --exclude-fold (default: DATA/pairs.txt).
    #[arg(long)]
    pairs: Option<PathBuf>,
    #[command(flatten)]
    source: DataArgs,
    #[command(flatten)]
    hyper: HyperArgs,
}

pub fn run(args: TrainArgs) -> Result<()> {
    let pipeline = Pipeline::new().context("loading the models")?;
    let set = load_faces(&pipeline, Selection::Centre, &args.data, &args.source)?;
    let mut description = format!("{}: identities with ≥ 2 images", folder_name(&args.data));
    let mut exclude = BTreeSet::new();
    if let Some(fold) = args.exclude_fold {
        let pairs = read_pairs(&args.pairs.clone().unwrap_or_else(|| args.data.join("pairs.txt")))?;
        let folds = fold_count(&pairs);
        ensure!((1..=folds).contains(&fold), "--exclude-fold {fold}: the pairs have folds 1..={folds}");
        exclude = fold_people(&pairs, fold - 1);
        description += &format!(", without the {} people of LFW fold {fold}", exclude.len());
    }
    let data = Labelled::from_set(&set, 2, &exclude).context("the training identities")?;
    let options = args.hyper.options(args.kind);
    let started = Instant::now();
    let head = train_head(&data, pipeline.model_sha256(), &description, &options)
        .with_context(|| format!("training the {} head", args.kind))?;
    let seconds = started.elapsed().as_secs_f64();
    std::fs::write(&args.out, head.to_json()).with_context(|| args.out.display().to_string())?;
    let t = head.training();
    let point = head.operating_point();
    println!(
        "{} head trained in {seconds:.1} s on {} identities, {} images, {} pairs ({} images without a face skipped)",
        head.kind(),
        t.identities,
        t.images,
        t.pairs,
        set.no_face()
    );
    println!(
        "threshold p(same) >= {:.4} for FAR {} (on {} impostor pairs of the training identities)",
        point.probability, point.far, point.impostor_pairs
    );
    println!("wrote {}", args.out.display());
    Ok(())
}
