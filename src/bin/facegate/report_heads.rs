//! `facegate report-heads`: cosine against every learned head on the LFW 10-fold protocol, each
//! fold's heads trained only on people outside that fold.

use crate::args::HyperArgs;
use crate::lfw::{fold_count, fold_people, folder_name, load_faces, read_pairs, DataArgs};
use crate::parallel::{map_indexed, progress};
use anyhow::{bail, Context, Result};
use clap::Args;
use facegate::eval::{self, LfwImage, LfwPair, Scored};
use facegate::learn::calibration::{ece, reliability, Bin, ECE_BINS};
use facegate::learn::dataset::{FaceSet, Labelled};
use facegate::learn::train_head;
use facegate::{Embedding, HeadKind, Pipeline, Rule, Selection};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args)]
pub struct ReportArgs {
    /// LFW folder (one folder per person).
    #[arg(long, env = "FACEGATE_DATA", default_value = "../shared/datasets/lfw")]
    lfw: PathBuf,
    /// pairs.txt (default: LFW/pairs.txt).
    #[arg(long)]
    pairs: Option<PathBuf>,
    /// Print JSON instead of a Markdown table.
    #[arg(long)]
    json: bool,
    /// Write the reliability diagram of the probability heads as SVG.
    #[arg(long)]
    reliability: Option<PathBuf>,
    /// Head kinds to train and compare with cosine.
    #[arg(long, value_delimiter = ',', default_value = "triplet,logistic-l1,logistic-chi2,platt")]
    kinds: Vec<HeadKind>,
    #[command(flatten)]
    source: DataArgs,
    #[command(flatten)]
    hyper: HyperArgs,
}

/// One row of the table: held-out scores of all pairs, and probabilities when it has them.
struct Method {
    name: String,
    scored: Vec<Scored>,
    probabilities: Option<Vec<(f64, bool)>>,
    train_seconds: f64,
}

/// Embeddings by `PERSON/FILE`.
type Lookup<'a> = HashMap<String, &'a Embedding>;

fn lookup(set: &FaceSet) -> Lookup<'_> {
    set.images.iter().filter_map(|i| Some((format!("{}/{}", i.person, i.file), i.embedding.as_ref()?))).collect()
}

fn embedding<'a>(lookup: &Lookup<'a>, image: &LfwImage) -> Option<&'a Embedding> {
    lookup.get(&format!("{0}/{0}_{1:04}.jpg", image.name, image.number)).copied()
}

/// One head's held-out result on one fold.
struct Trained {
    /// `(p(same), same)` per pair of the fold.
    predictions: Vec<(f64, bool)>,
    seconds: f64,
}

/// Trains the chosen head kinds for `fold` on the people outside it and scores that fold's
/// pairs, one [`Trained`] per kind.
fn held_out(set: &FaceSet, pairs: &[LfwPair], fold: usize, sha: &str, args: &ReportArgs) -> Result<Vec<Trained>> {
    let excluded = fold_people(pairs, fold);
    let data = Labelled::from_set(set, 2, &excluded).with_context(|| format!("fold {}", fold + 1))?;
    if let Some(seen) = data.people.iter().find(|p| excluded.contains(*p)) {
        bail!("fold {}: {seen} would be both trained on and tested", fold + 1);
    }
    let found = lookup(set);
    let description = format!("LFW without the {} people of fold {}", excluded.len(), fold + 1);
    let mut out = Vec::new();
    for &kind in &args.kinds {
        let started = Instant::now();
        let head = train_head(&data, sha, &description, &args.hyper.options(kind))
            .with_context(|| format!("fold {}: training the {kind} head", fold + 1))?;
        let seconds = started.elapsed().as_secs_f64();
        // Scored exactly as a gallery decides: `a` enrolled (one shot), `b` the probe.
        let rule = Rule::head(head);
        let mut predictions = Vec::new();
        for p in pairs.iter().filter(|p| p.fold == fold) {
            let probability = match (embedding(&found, &p.a), embedding(&found, &p.b)) {
                (Some(a), Some(b)) => f64::from(rule.decide(a, b)?.value()),
                _ => 0.0, // no face: "different"
            };
            predictions.push((probability, p.same));
        }
        out.push(Trained { predictions, seconds });
    }
    Ok(out)
}

pub fn run(args: ReportArgs) -> Result<()> {
    let started = Instant::now();
    let pairs = read_pairs(&args.pairs.clone().unwrap_or_else(|| args.lfw.join("pairs.txt")))?;
    let folds = fold_count(&pairs);
    let pipeline = Pipeline::new().context("loading the models")?;
    let set = load_faces(&pipeline, Selection::Centre, &args.lfw, &args.source)?;
    let found = lookup(&set);
    let cosine = pairs.iter().map(|p| match (embedding(&found, &p.a), embedding(&found, &p.b)) {
        (Some(a), Some(b)) => Ok(Scored {
            score: Rule::cosine_for(facegate::EmbedderModel::MobileFaceNet).decide(a, b)?.value(),
            same: p.same,
            fold: p.fold,
        }),
        _ => Ok(Scored { score: -1.0, same: p.same, fold: p.fold }),
    });
    let mut methods = vec![Method {
        name: "cosine + threshold".into(),
        scored: cosine.collect::<Result<_>>()?,
        probabilities: None,
        train_seconds: 0.0,
    }];
    let per_fold = map_indexed(folds, args.source.threads(), &progress(folds, "folds trained"), |fold| {
        held_out(&set, &pairs, fold, pipeline.model_sha256(), &args)
    })?;
    for (k, &kind) in args.kinds.iter().enumerate() {
        let mut method = Method {
            name: label(kind).into(),
            scored: Vec::new(),
            probabilities: Some(Vec::new()),
            train_seconds: 0.0,
        };
        for (fold, heads) in per_fold.iter().enumerate() {
            let Trained { predictions, seconds } = &heads[k];
            method.scored.extend(predictions.iter().map(|&(p, same)| Scored { score: p as f32, same, fold }));
            method.probabilities.get_or_insert_with(Vec::new).extend(predictions);
            method.train_seconds += seconds / folds.max(1) as f64;
        }
        methods.push(method);
    }
    let rows: Vec<serde_json::Value> = methods.iter().map(|m| metrics(m, folds)).collect();
    if let Some(path) = &args.reliability {
        plot_reliability(path, &methods).with_context(|| path.display().to_string())?;
    }
    let wall = started.elapsed().as_secs_f64();
    if args.json {
        println!(
            "{}",
            json!({"data": folder_name(&args.lfw), "pairs": pairs.len(), "folds": folds, "methods": rows, "wall_seconds": wall})
        );
        return Ok(());
    }
    println!("LFW View 2, {} pairs, {folds} folds; each fold's heads trained only on people outside it\n", pairs.len());
    println!("| method | accuracy | TAR@FAR 1e-3 | ECE (calibration) | training s/fold |");
    println!("|---|---|---|---|---|");
    for r in &rows {
        let pct = |key: &str| r[key].as_f64().map_or("–".into(), |v| format!("{:.2} %", v * 100.0));
        let ece = r["ece"].as_f64().map_or("–".into(), |v| format!("{v:.4}"));
        let train =
            r["train_seconds_per_fold"].as_f64().filter(|&s| s > 0.0).map_or("–".into(), |s| format!("{s:.1}"));
        println!(
            "| {} | {} ± {:.2} | {} | {ece} | {train} |",
            r["method"].as_str().unwrap_or(""),
            pct("accuracy"),
            r["accuracy_std"].as_f64().unwrap_or(0.0) * 100.0,
            pct("tar_at_far_1e-3")
        );
    }
    println!("\naccuracy: mean ± std over the folds, threshold chosen on the other nine folds' held-out scores;");
    println!(
        "TAR@FAR and ECE ({ECE_BINS} equal-width bins of p(same)) pooled over the ten held-out folds; {wall:.0} s wall"
    );
    Ok(())
}

fn label(kind: HeadKind) -> &'static str {
    match kind {
        HeadKind::Triplet => "triplet projection + threshold",
        HeadKind::LogisticL1 => "logistic on L1",
        HeadKind::LogisticChi2 => "logistic on χ²",
        HeadKind::Platt => "Platt on cosine",
    }
}

fn metrics(m: &Method, folds: usize) -> serde_json::Value {
    let accuracies: Vec<f64> =
        eval::k_fold(&m.scored, &(0..folds).collect::<Vec<_>>()).iter().map(|f| f.accuracy).collect();
    let (accuracy, accuracy_std) = eval::mean_std(&accuracies);
    let (tar, _) = eval::tar_at_far(&m.scored, 1e-3);
    let ece = m.probabilities.as_ref().map(|p| ece(&reliability(p, ECE_BINS)));
    json!({"method": m.name, "accuracy": accuracy, "accuracy_std": accuracy_std, "fold_accuracies": accuracies,
        "tar_at_far_1e-3": tar, "ece": ece, "train_seconds_per_fold": m.train_seconds})
}

fn plot_reliability(path: &Path, methods: &[Method]) -> Result<()> {
    use plotters::prelude::*;
    let root = SVGBackend::new(path, (640, 640)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Reliability on LFW held-out folds", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..1.0, 0f64..1.0)?;
    chart.configure_mesh().x_desc("predicted p(same)").y_desc("observed fraction same").draw()?;
    chart
        .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], &BLACK.mix(0.4)))?
        .label("perfect calibration")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.4)));
    let colors = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
        RGBColor(255, 127, 14),
    ];
    let with_probabilities = methods.iter().filter_map(|m| Some((m, m.probabilities.as_ref()?)));
    for ((m, predictions), &color) in with_probabilities.zip(colors.iter().cycle()) {
        let bins: Vec<Bin> = reliability(predictions, ECE_BINS).into_iter().filter(|b| b.count > 0).collect();
        let points = bins.iter().map(|b| (b.confidence, b.frequency));
        let label = format!("{} (ECE {:.3})", m.name, ece(&bins));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)).point_size(3))?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
