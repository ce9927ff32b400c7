//! `facegate eval-identify`: how often a stranger is taken for someone in a gallery of N people
//! (one LFW photo each), with the 1:1 rule and with sign-in's FAR-bounded rule and margin, and
//! how often an enrolled person is still recognised. `--write-table` first measures the
//! impostor curves sign-in decides by (the bundled `model/far-table.json`; with `--model sface`,
//! `model/far-table-sface.json`, cosine only).

use crate::args::PipelineArgs;
use crate::lfw::{folder_name, load_faces, DataArgs};
use crate::parallel::{map_indexed, progress};
use anyhow::{bail, Context, Result};
use clap::Args;
use facegate::far::{FarCurve, FarTable, IdentifyOptions, DEFAULT_FAR, FORMAT, VERSION};
use facegate::{EmbedderModel, Embedding, Rule, Selection};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct EvalIdentifyArgs {
    /// LFW folder (one folder per person).
    #[arg(long, env = "FACEGATE_DATA", default_value = "../shared/datasets/lfw")]
    lfw: PathBuf,
    /// Gallery sizes N.
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
    sizes: Vec<usize>,
    /// Random galleries per size.
    #[arg(long, default_value_t = 10)]
    repeats: usize,
    /// Target system false-accept rate of sign-in.
    #[arg(long, default_value_t = DEFAULT_FAR)]
    far: f64,
    /// Margins δ to compare for cosine, besides the table's.
    #[arg(long, value_delimiter = ',', default_value = "0,0.05,0.2")]
    cosine_margins: Vec<f32>,
    /// Margins δ to compare for the bundled head's probability, besides the table's.
    #[arg(long, value_delimiter = ',', default_value = "0,0.05,0.2")]
    head_margins: Vec<f32>,
    /// Seed of the split into calibration and evaluation people and of the galleries.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Measure the impostor curves on the calibration half, write them as a FAR table here
    /// (the bundled one is model/far-table.json) and evaluate with it.
    #[arg(long)]
    write_table: Option<PathBuf>,
    /// The margin δ written into the table for cosine (chosen with this command's comparison:
    /// see the README).
    #[arg(long, default_value_t = 0.1)]
    table_cosine_margin: f32,
    /// The margin δ written into the table for the bundled head.
    #[arg(long, default_value_t = 0.02)]
    table_head_margin: f32,
    /// Print JSON instead of Markdown tables.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    source: DataArgs,
    /// The embedding model and pipeline (`--model sface`: SFace, decided by cosine only; its
    /// table is `model/far-table-sface.json`).
    #[command(flatten)]
    opts: PipelineArgs,
}

/// The embedded images of some people, with each image's person (an index).
struct Half<'a> {
    people: Vec<&'a str>,
    person: Vec<usize>,
    images: Vec<&'a Embedding>,
}

impl<'a> Half<'a> {
    fn new(people: &[&'a str], by_person: &BTreeMap<&'a str, Vec<&'a Embedding>>) -> Half<'a> {
        let mut half = Half { people: people.to_vec(), person: Vec::new(), images: Vec::new() };
        for (p, name) in people.iter().enumerate() {
            for &e in &by_person[name] {
                half.person.push(p);
                half.images.push(e);
            }
        }
        half
    }
}

/// Cosine and deciding value of `rule` for image `i` enrolled (a one-shot template, as the
/// gallery makes it) and every image from `from` on as the probe.
fn row(rule: &Rule, images: &[&Embedding], i: usize, from: usize) -> Result<(Vec<f32>, Vec<f32>)> {
    let template = Embedding::mean([images[i]])?;
    let mut out = (Vec::with_capacity(images.len() - from), Vec::with_capacity(images.len() - from));
    for probe in &images[from..] {
        let v = rule.decide(&template, probe)?;
        out.0.push(v.similarity);
        out.1.push(v.value());
    }
    Ok(out)
}

/// Cosine and deciding value of every (enrolled, probe) pair of `half`, row-major.
struct Matrix {
    n: usize,
    cosine: Vec<f32>,
    value: Vec<f32>,
}

fn matrix(rule: &Rule, half: &Half, threads: usize) -> Result<Matrix> {
    let n = half.images.len();
    let rows = map_indexed(n, threads, &progress(n, "evaluation rows"), |i| row(rule, &half.images, i, 0))?;
    let (cosine, value) = rows.into_iter().fold((Vec::new(), Vec::new()), |(mut c, mut v), r| {
        c.extend(r.0);
        v.extend(r.1);
        (c, v)
    });
    Ok(Matrix { n, cosine, value })
}

/// The impostor curves of cosine and, when `head` is a head (the bundled head's rule), of its
/// probability on every pair of different people of `half`.
fn measure_table(
    head: &Rule,
    half: &Half,
    args: &EvalIdentifyArgs,
    model: EmbedderModel,
    sha: &str,
) -> Result<FarTable> {
    let n = half.images.len();
    let rows = map_indexed(n, args.source.threads(), &progress(n, "calibration rows"), |i| {
        let (cosine, value) = row(head, &half.images, i, i + 1)?;
        let different = |j: &usize| half.person[i] != half.person[i + 1 + j];
        let keep = |values: Vec<f32>| values.into_iter().enumerate().filter(|(j, _)| different(j)).map(|(_, v)| v);
        Ok((keep(cosine).collect::<Vec<_>>(), keep(value).collect::<Vec<_>>()))
    })?;
    let cosine: Vec<f32> = rows.iter().flat_map(|r| r.0.iter().copied()).collect();
    let value: Vec<f32> = rows.into_iter().flat_map(|r| r.1).collect();
    let pairs = cosine.len();
    Ok(FarTable {
        format: FORMAT.into(),
        version: VERSION,
        backbone_sha256: sha.into(),
        data: format!(
            "{}: every pair of different people among {} images of {} people (the calibration half, seed {})",
            folder_name(&args.lfw),
            n,
            half.people.len(),
            args.seed
        ),
        command: match model {
            EmbedderModel::MobileFaceNet => format!(
                "facegate eval-identify --seed {} --table-cosine-margin {} --table-head-margin {} --write-table FILE",
                args.seed, args.table_cosine_margin, args.table_head_margin
            ),
            _ => format!(
                "facegate eval-identify --model {} --seed {} --table-cosine-margin {} --write-table FILE",
                model.name(),
                args.seed,
                args.table_cosine_margin
            ),
        },
        curves: {
            let mut curves = vec![FarCurve::measure(&Rule::cosine_for(model), cosine, args.table_cosine_margin)
                .with_context(|| format!("cosine curve from {pairs} pairs"))?];
            if matches!(head, Rule::Head { .. }) {
                curves.push(
                    FarCurve::measure(head, value, args.table_head_margin)
                        .with_context(|| format!("head curve from {pairs} pairs"))?,
                );
            }
            curves
        },
    })
}

/// One way of deciding, evaluated over every gallery.
struct Variant {
    rule: &'static str,
    name: String,
    options: IdentifyOptions,
}

/// Counts of one variant on galleries of one size.
#[derive(Default, Clone, Copy)]
struct Counts {
    strangers: u64,
    strangers_accepted: u64,
    enrolled: u64,
    enrolled_recognised: u64,
    enrolled_misidentified: u64,
    threshold: f32,
    margin: f32,
}

/// One gallery of `size` people of `half` (one random photo each), every other photo of the
/// half as a probe: the counts of each variant.
fn gallery(
    half: &Half,
    m: &Matrix,
    variants: &[(Variant, &Rule)],
    table: &FarTable,
    sha: &str,
    size: usize,
    seed: u64,
) -> Result<Vec<Counts>> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut people: Vec<usize> = (0..half.people.len()).collect();
    let (chosen, _) = people.partial_shuffle(&mut rng, size);
    let mut images_of: Vec<Vec<usize>> = vec![Vec::new(); half.people.len()];
    for (i, &p) in half.person.iter().enumerate() {
        images_of[p].push(i);
    }
    let enrolled: Vec<usize> = chosen.iter().map(|&p| images_of[p][rng.random_range(0..images_of[p].len())]).collect();
    let mut in_gallery = vec![false; half.people.len()];
    chosen.iter().for_each(|&p| in_gallery[p] = true);
    let mut is_enrolled = vec![false; half.images.len()];
    enrolled.iter().for_each(|&i| is_enrolled[i] = true);
    // Per probe: the best value, its row and the runner-up's value.
    let n = m.n;
    let mut out = Vec::new();
    for (variant, rule) in variants {
        let values = if variant.rule == "cosine" { &m.cosine } else { &m.value };
        let mut best = vec![(f32::NEG_INFINITY, 0usize); n];
        let mut second = vec![f32::NEG_INFINITY; n];
        for &i in &enrolled {
            for (j, &v) in values[i * n..(i + 1) * n].iter().enumerate() {
                if v > best[j].0 {
                    second[j] = best[j].0;
                    best[j] = (v, i);
                } else if v > second[j] {
                    second[j] = v;
                }
            }
        }
        let acceptance = variant.options.acceptance_by(table, rule, sha, size)?;
        let mut c = Counts { threshold: acceptance.threshold, margin: acceptance.margin, ..Counts::default() };
        for j in (0..n).filter(|&j| !is_enrolled[j]) {
            let (value, i) = best[j];
            let runner_up = (size > 1).then_some(second[j]);
            let accepted = acceptance.accepts_best(value, m.cosine[i * n + j], runner_up);
            if in_gallery[half.person[j]] {
                c.enrolled += 1;
                let right = half.person[i] == half.person[j];
                c.enrolled_recognised += u64::from(accepted && right);
                c.enrolled_misidentified += u64::from(accepted && !right);
            } else {
                c.strangers += 1;
                c.strangers_accepted += u64::from(accepted);
            }
        }
        out.push(c);
    }
    Ok(out)
}

/// The variants of cosine, and of the bundled head when `with_head` (the model has one).
fn variants(
    args: &EvalIdentifyArgs,
    table: &FarTable,
    with_head: bool,
) -> Vec<(&'static str, String, IdentifyOptions)> {
    let mut out = Vec::new();
    let rules = [
        ("cosine", &args.cosine_margins, table.curves.first().map(|c| c.margin)),
        ("bundled", &args.head_margins, table.curves.get(1).map(|c| c.margin)),
    ];
    for (rule, margins, table_margin) in rules.into_iter().take(if with_head { 2 } else { 1 }) {
        out.push((rule, "before".to_string(), IdentifyOptions::ranking(1)));
        out.push((rule, "after".to_string(), IdentifyOptions { k: 1, far: Some(args.far), margin: None }));
        for &m in margins.iter().filter(|&&m| Some(m) != table_margin) {
            out.push((
                rule,
                format!("after, margin {m}"),
                IdentifyOptions { k: 1, far: Some(args.far), margin: Some(m) },
            ));
        }
    }
    out
}

pub fn run(args: EvalIdentifyArgs) -> Result<()> {
    let started = Instant::now();
    let pipeline = args.opts.pipeline()?;
    let (model, sha) = (pipeline.model(), pipeline.model_sha256());
    let set = load_faces(&pipeline, args.opts.selection_or(Selection::Centre), &args.lfw, &args.source)?;
    let mut by_person: BTreeMap<&str, Vec<&Embedding>> = BTreeMap::new();
    for image in &set.images {
        if let Some(e) = &image.embedding {
            by_person.entry(&image.person).or_default().push(e);
        }
    }
    let mut people: Vec<&str> = by_person.keys().copied().collect();
    people.shuffle(&mut Pcg64Mcg::seed_from_u64(args.seed));
    let (calibration, evaluation) = people.split_at(people.len() / 2);
    let (calibration, evaluation) = (Half::new(calibration, &by_person), Half::new(evaluation, &by_person));
    if let Some(&too_big) = args.sizes.iter().find(|&&n| n == 0 || n >= evaluation.people.len()) {
        bail!("gallery size {too_big} is not within 1..{} (the evaluation half's people)", evaluation.people.len());
    }
    // The model's default rule: the bundled head for MobileFaceNet, cosine for SFace.
    let head = Rule::default_for(model).context("the default rule")?;
    let with_head = matches!(head, Rule::Head { .. });
    let table = match &args.write_table {
        Some(path) => {
            let table = measure_table(&head, &calibration, &args, model, sha)?;
            std::fs::write(path, table.to_json()).with_context(|| path.display().to_string())?;
            eprintln!("wrote {} ({} impostor pairs)", path.display(), table.curves[0].impostor_pairs);
            table
        }
        None => FarTable::for_model(sha)?.clone(),
    };
    let m = matrix(&head, &evaluation, args.source.threads())?;
    let cosine = Rule::cosine_for(model);
    let variants: Vec<(Variant, &Rule)> = variants(&args, &table, with_head)
        .into_iter()
        .map(|(rule, name, options)| (Variant { rule, name, options }, if rule == "cosine" { &cosine } else { &head }))
        .collect();
    let jobs: Vec<(usize, u64)> =
        args.sizes.iter().flat_map(|&n| (0..args.repeats as u64).map(move |r| (n, r))).collect();
    let counted = map_indexed(jobs.len(), args.source.threads(), &progress(jobs.len(), "galleries"), |g| {
        let (size, repeat) = jobs[g];
        let seed = args.seed.wrapping_mul(1_000_003).wrapping_add(((size as u64) << 16) | repeat);
        gallery(&evaluation, &m, &variants, &table, sha, size, seed)
    })?;
    let mut rows = Vec::new();
    for (k, (variant, _)) in variants.iter().enumerate() {
        for &size in &args.sizes {
            let mut sum = Counts::default();
            for (_, counts) in jobs.iter().zip(&counted).filter(|((n, _), _)| *n == size) {
                let c = counts[k];
                sum = Counts {
                    strangers: sum.strangers + c.strangers,
                    strangers_accepted: sum.strangers_accepted + c.strangers_accepted,
                    enrolled: sum.enrolled + c.enrolled,
                    enrolled_recognised: sum.enrolled_recognised + c.enrolled_recognised,
                    enrolled_misidentified: sum.enrolled_misidentified + c.enrolled_misidentified,
                    ..c
                };
            }
            rows.push(json!({
                "rule": variant.rule, "variant": variant.name, "n": size,
                "threshold": sum.threshold, "margin": sum.margin,
                "far": sum.strangers_accepted as f64 / sum.strangers.max(1) as f64,
                "strangers": sum.strangers, "strangers_accepted": sum.strangers_accepted,
                "tir": sum.enrolled_recognised as f64 / sum.enrolled.max(1) as f64,
                "enrolled_probes": sum.enrolled, "enrolled_recognised": sum.enrolled_recognised,
                "enrolled_misidentified": sum.enrolled_misidentified,
            }));
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let split = json!({
        "calibration": {"people": calibration.people.len(), "images": calibration.images.len()},
        "evaluation": {"people": evaluation.people.len(), "images": evaluation.images.len()},
    });
    if args.json {
        println!(
            "{}",
            json!({"data": folder_name(&args.lfw), "far_target": args.far, "repeats": args.repeats, "seed": args.seed,
                "split": split, "table": table.data, "rows": rows, "wall_seconds": wall})
        );
        return Ok(());
    }
    println!(
        "{}, split by person (seed {}): calibration {} people / {} images, evaluation {} people / {} images",
        folder_name(&args.lfw),
        args.seed,
        calibration.people.len(),
        calibration.images.len(),
        evaluation.people.len(),
        evaluation.images.len()
    );
    println!(
        "{} galleries per N of one photo per person; target FAR {}; table: {}\n",
        args.repeats, args.far, table.data
    );
    println!(
        "| rule | decision | N | threshold | margin | strangers accepted | FAR | true identification | misidentified |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {:.4} | {:.2} | {} / {} | {:.3} % | {:.1} % ({} / {}) | {} |",
            r["rule"].as_str().unwrap_or(""),
            r["variant"].as_str().unwrap_or(""),
            r["n"],
            r["threshold"].as_f64().unwrap_or(f64::NAN),
            r["margin"].as_f64().unwrap_or(f64::NAN),
            r["strangers_accepted"],
            r["strangers"],
            r["far"].as_f64().unwrap_or(0.0) * 100.0,
            r["tir"].as_f64().unwrap_or(0.0) * 100.0,
            r["enrolled_recognised"],
            r["enrolled_probes"],
            r["enrolled_misidentified"]
        );
    }
    println!("\nFAR: strangers (probes of evaluation people not in the gallery) for whom identify returns anyone;");
    println!("true identification: other photos of enrolled people returned as themselves (misidentified: as someone");
    println!("else); threshold: on the deciding value (cosine, or the head's p(same)); {wall:.0} s wall");
    Ok(())
}
