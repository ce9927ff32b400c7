//! `facegate eval-lfw`: the LFW View 2 protocol over the full pipeline, on every core; with
//! `--all-pairs`, every pair of the folder and open-set identification.

mod all_pairs;
mod quick;

use crate::args::{HeadChoice, PipelineArgs};
use crate::lfw::{fold_count, load_faces, map_faces, read_pairs, DataArgs, Outcome};
use anyhow::{bail, Context, Result};
use clap::Args;
use facegate::eval::{self, LfwImage, Scored};
use facegate::{Embedding, Rule, Selection};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args)]
pub struct EvalArgs {
    /// LFW folder (one folder per person).
    #[arg(long, env = "FACEGATE_DATA", default_value = "../shared/datasets/lfw")]
    lfw: PathBuf,
    /// pairs.txt (default: LFW/pairs.txt).
    #[arg(long)]
    pairs: Option<PathBuf>,
    /// Folds to test, 1-based: `1..10`, `1`, `1,4`. Thresholds always come from the other folds.
    #[arg(long, default_value = "1..10")]
    folds: String,
    /// Instead of pairs.txt: every image of the folder embedded once (cached), every same-person
    /// and every cross-person pair scored (TAR at FAR 1e-4..1e-6, FAR at the rule's threshold),
    /// and open-set identification.
    #[arg(long)]
    all_pairs: bool,
    #[command(flatten)]
    source: DataArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Write the ROC curve as SVG.
    #[arg(long)]
    roc: Option<PathBuf>,
    /// Decision rule the pairs are scored by, exactly as a gallery decides: `cosine` (default:
    /// the embedding's own accuracy), `bundled` (the browser's default head) or a head file.
    #[arg(long, value_name = "cosine|bundled|FILE", default_value = "cosine")]
    head: HeadChoice,
    /// Also decide each pair as the browser's verify does, the second photo the probe: on the
    /// crop alone first, with the mirror image only when that is not clear (`Rule::is_clear`).
    /// Reports, for this rule and the model's default rule, how often the mirror pass ran and
    /// how many decisions changed, and the accuracy of the two-step scores.
    #[arg(long)]
    quick_probe: bool,
    #[command(flatten)]
    opts: PipelineArgs,
}

/// The 0-based folds of a `--folds` spec (`1..10`, `1`, `1,4`) among `count` folds.
fn parse_folds(spec: &str, count: usize) -> Result<Vec<usize>> {
    let mut out = BTreeSet::new();
    for part in spec.split(',') {
        let range = match part.split_once("..") {
            Some((lo, hi)) => lo.trim().parse().ok().zip(hi.trim().parse().ok()),
            None => part.trim().parse().ok().map(|n: usize| (n, n)),
        };
        match range {
            Some((lo, hi)) if lo >= 1 && hi <= count && lo <= hi => out.extend(lo - 1..hi),
            _ => bail!("--folds {spec:?}: expected e.g. 1..10, 1 or 1,4 within 1..={count}"),
        }
    }
    Ok(out.into_iter().collect())
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

pub fn run(args: EvalArgs) -> Result<()> {
    if args.all_pairs {
        return run_all_pairs(&args);
    }
    let pairs = read_pairs(&args.pairs.clone().unwrap_or_else(|| args.lfw.join("pairs.txt")))?;
    let test_folds = parse_folds(&args.folds, fold_count(&pairs))?;
    let images: Vec<LfwImage> =
        pairs.iter().flat_map(|p| [p.a.clone(), p.b.clone()]).collect::<BTreeSet<_>>().into_iter().collect();
    let threads = args.source.threads();
    let pipeline = args.opts.pipeline()?;
    let rule = args.head.rule(&pipeline)?;
    let started = Instant::now();
    let paths: Vec<PathBuf> = images.iter().map(|i| i.path(&args.lfw)).collect();
    let selection = args.opts.selection_or(Selection::Centre);
    // Every image embedded in two steps: the quick embedding comes free with the full one.
    let both: Vec<Outcome<(Embedding, Embedding)>> = map_faces(&paths, threads, |frame| {
        let (_, probe) = pipeline.probe(frame, selection)?;
        Ok((probe.quick().clone(), pipeline.complete(&probe)?))
    })?;
    let wall = started.elapsed().as_secs_f64();
    let outcomes: Vec<Outcome> = both.iter().map(|(e, ms)| (e.as_ref().map(|e| e.1.clone()), *ms)).collect();
    let by_image: BTreeMap<&LfwImage, &Outcome> = images.iter().zip(&outcomes).collect();
    let no_face: Vec<&LfwImage> = by_image.iter().filter(|(_, o)| o.0.is_none()).map(|(i, _)| *i).collect();
    let quick = match args.quick_probe {
        true => Some(quick::report(&pairs, &images.iter().zip(&both).collect(), &rule, &pipeline, &test_folds)?),
        false => None,
    };
    let scored: Vec<Scored> = pairs
        .iter()
        .map(|p| {
            let score = match (&by_image[&p.a].0, &by_image[&p.b].0) {
                // The gallery's rule: `a` enrolled, `b` the probe.
                (Some(a), Some(b)) => rule.decide(a, b)?.value(),
                _ => -1.0, // no face: counted as "different"
            };
            Ok(Scored { score, same: p.same, fold: p.fold })
        })
        .collect::<Result<_>>()?;
    let scoring = scoring(&rule);
    let folds = eval::k_fold(&scored, &test_folds);
    let accuracies: Vec<f64> = folds.iter().map(|f| f.accuracy).collect();
    let (accuracy, accuracy_std) = eval::mean_std(&accuracies);
    let threshold = folds.iter().map(|f| f.threshold as f64).sum::<f64>() / folds.len().max(1) as f64;
    let (tar3, t3) = eval::tar_at_far(&scored, 1e-3);
    let (tar2, t2) = eval::tar_at_far(&scored, 1e-2);
    let mut times: Vec<f64> = outcomes.iter().map(|o| o.1).collect();
    times.sort_by(f64::total_cmp);
    let (median, p10, p90) = (percentile(&times, 0.5), percentile(&times, 0.1), percentile(&times, 0.9));
    if let Some(path) = &args.roc {
        plot_roc(path, &scored, accuracy).with_context(|| path.display().to_string())?;
    }
    let tested = scored.iter().filter(|s| test_folds.contains(&s.fold)).count();
    if args.json {
        let out = json!({
            "accuracy": accuracy, "accuracy_std": accuracy_std,
            "tar_at_far_1e-3": tar3, "tar_at_far_1e-2": tar2,
            "threshold": threshold, "far_1e-3_threshold": t3, "far_1e-2_threshold": t2,
            "pairs": tested, "folds": folds.iter().map(|f| json!({"fold": f.fold + 1, "accuracy": f.accuracy, "threshold": f.threshold})).collect::<Vec<_>>(),
            "images": images.len(), "no_face": no_face.len(), "scoring": scoring,
            "no_face_images": no_face.iter().map(|i| format!("{}_{:04}", i.name, i.number)).collect::<Vec<_>>(),
            "ms_per_image": median, "ms_per_image_p10": p10, "ms_per_image_p90": p90,
            "quick_probe": quick,
            "threads": threads, "wall_seconds": wall,
        });
        println!("{out}");
    } else {
        println!(
            "LFW View 2, {} pairs tested in {} fold(s), {} images ({} without a face)",
            tested,
            folds.len(),
            images.len(),
            no_face.len()
        );
        println!("scores: {scoring}");
        for f in &folds {
            println!("  fold {:>2}: accuracy {:.2} %  threshold {:.4}", f.fold + 1, f.accuracy * 100.0, f.threshold);
        }
        println!("accuracy        {:.2} % ± {:.2}", accuracy * 100.0, accuracy_std * 100.0);
        println!("TAR @ FAR 1e-3  {:.2} %  (threshold {:.4}, all pairs)", tar3 * 100.0, t3);
        println!("TAR @ FAR 1e-2  {:.2} %  (threshold {:.4}, all pairs)", tar2 * 100.0, t2);
        println!(
            "time per image  median {median:.1} ms (p10 {p10:.1}, p90 {p90:.1}), {threads} thread(s), {wall:.0} s wall"
        );
        if let Some(quick) = &quick {
            quick::print(quick);
        }
    }
    Ok(())
}

/// What the scores are.
fn scoring(rule: &Rule) -> String {
    match rule {
        Rule::Cosine(_) => "cosine".to_string(),
        Rule::Head { head, .. } => format!("p(same) of the {} head", head.kind()),
    }
}

/// `--all-pairs`: every pair of the folder and open-set identification, one JSON line or a table.
fn run_all_pairs(args: &EvalArgs) -> Result<()> {
    let pipeline = args.opts.pipeline()?;
    let rule = args.head.rule(&pipeline)?;
    let selection = args.opts.selection_or(Selection::Centre);
    let set = load_faces(&pipeline, selection, &args.lfw, &args.source)?;
    let no_face = set.images.iter().filter(|i| i.embedding.is_none()).count();
    let started = Instant::now();
    let pairs = all_pairs::all_pairs(&set.images, &rule, args.source.threads())?;
    let open = all_pairs::open_set(&set.images, &rule, args.source.threads())?;
    let seconds = started.elapsed().as_secs_f64();
    let scoring = scoring(&rule);
    if args.json {
        let out = json!({
            "images": set.images.len(), "no_face": no_face, "scoring": scoring, "selection": format!("{selection:?}"),
            "model_sha256": pipeline.model_sha256(), "all_pairs": pairs, "open_set": open, "scoring_seconds": seconds,
        });
        println!("{out}");
        return Ok(());
    }
    println!("{} images ({no_face} without a face), {selection:?} face, scores: {scoring}", set.images.len());
    println!(
        "{} same-person and {} cross-person pairs, scored in {seconds:.0} s",
        pairs.genuine_pairs, pairs.impostor_pairs
    );
    for a in &pairs.at_far {
        println!("  TAR @ FAR {:.0e}  {:.2} %  (threshold {:.4})", a.far, a.tar * 100.0, a.threshold);
    }
    println!(
        "  at the rule's threshold {:.4}: FAR {:.2e}, TAR {:.2} %",
        pairs.default_threshold,
        pairs.far_at_default,
        pairs.tar_at_default * 100.0
    );
    let verdict = if pairs.meets_fido { "meets" } else { "does not meet" };
    println!("  {verdict} FIDO's FAR <= 1e-4 at FRR <= 3 %");
    println!(
        "open set: {} enrolled, {} probes of them, {} of people not enrolled; rank-1 {:.2} %",
        open.gallery,
        open.known_probes,
        open.unknown_probes,
        open.rank1 * 100.0
    );
    for a in &open.at_far {
        println!("  DIR @ FAR {:.0e}  {:.2} %  (threshold {:.4})", a.far, a.dir * 100.0, a.threshold);
    }
    Ok(())
}

fn plot_roc(path: &Path, scored: &[Scored], accuracy: f64) -> Result<()> {
    use plotters::prelude::*;
    let curve: Vec<(f64, f64)> = eval::roc(scored).into_iter().filter(|&(far, _)| far > 0.0).collect();
    let root = SVGBackend::new(path, (640, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("facegate on LFW View 2 (accuracy {:.2} %)", accuracy * 100.0), ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((1e-4f64..1.0).log_scale(), 0.8f64..1.0)?;
    chart.configure_mesh().x_desc("false accept rate").y_desc("true accept rate").draw()?;
    chart.draw_series(LineSeries::new(curve, &BLUE))?;
    root.present()?;
    Ok(())
}
