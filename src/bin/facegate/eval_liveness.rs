//! `facegate eval-liveness`: the liveness check on clips made from LFW photos — a still photo,
//! a flat card moved in 3-D, a live head doing the steps, and that head doing them in the wrong
//! order or too slowly — with each person's other photo enrolled. Prints how many of each kind
//! were accepted.

use crate::clips::check::choose;
use crate::clips::{render, Kind, Options};
use crate::images::decode;
use crate::lfw;
use crate::parallel::{map_indexed, progress, threads};
use anyhow::{Context, Result};
use clap::Args;
use facegate::liveness::{Challenge, Failure, Outcome, Session, Step, Timing};
use facegate::{Frame, Gallery, MemoryStore, Pipeline, Rule, Selection};
use pollster::block_on;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct EvalLivenessArgs {
    /// LFW folder (DIR/PERSON/*.jpg).
    #[arg(long, env = "FACEGATE_DATA")]
    data: PathBuf,
    /// How many people (with two or more photos, one of them alone; chosen at random by --seed,
    /// as `liveness-clips` does).
    #[arg(long, default_value_t = 50)]
    people: usize,
    /// Steps per challenge.
    #[arg(long, default_value_t = 2)]
    steps: usize,
    /// Clip kinds to run (default: all).
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<Kind>,
    /// Seed of the challenges and the clips.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// One clip's result.
#[derive(Debug, Clone, Serialize)]
struct Trial {
    person: String,
    kind: Kind,
    asked: Vec<Step>,
    accepted: bool,
    /// "passed", or the failure's reason.
    outcome: String,
    /// The failure in full.
    failure: Option<Failure>,
    /// Clip time when the check finished, ms.
    finished_ms: f64,
    parallax: f32,
    /// Check time per frame (pipeline and decision), ms.
    ms_per_frame: f64,
}

/// Results of one kind.
#[derive(Debug, Serialize)]
struct Summary {
    clips: usize,
    accepted: usize,
    outcomes: BTreeMap<String, usize>,
    median_parallax: f32,
    median_finished_ms: f64,
}

fn reason(outcome: Option<Outcome>) -> String {
    let name = |f: Failure| match f {
        Failure::Timeout { .. } => "timeout",
        Failure::WrongMove { .. } => "wrong-move",
        Failure::Flat { .. } => "flat",
        Failure::MultipleFaces => "multiple-faces",
        Failure::DifferentPerson => "different-person",
    };
    match outcome {
        Some(Outcome::Passed) => "passed".into(),
        Some(Outcome::Failed(f)) => name(f).into(),
        None => "unfinished".into(),
    }
}

/// Runs the check on `clip` (then its last frame held) until it finishes.
fn trial(
    pipeline: &Pipeline,
    gallery: &Gallery<MemoryStore>,
    person: &str,
    kind: Kind,
    challenge: Challenge,
    clip: &[(Frame, f64)],
) -> Result<Trial> {
    let asked = challenge.steps().to_vec();
    let limit = challenge.timing().total_ms;
    let mut session = Session::new(challenge);
    let step = 1000.0 / Options::default().fps;
    let (mut frames, started) = (0usize, Instant::now());
    // The clip plays once; then the camera keeps showing its last frame (the person, now still)
    // until the check ends. A looped clip would be a replay, which liveness does not claim to stop.
    let last = clip.last().context("an empty clip")?;
    let held = (1..).map(|n| (&last.0, last.1 + n as f64 * step));
    let mut t = 0.0;
    for (frame, at) in clip.iter().map(|(f, t)| (f, *t)).chain(held) {
        t = at;
        frames += 1;
        if session.push(pipeline, frame, t, gallery.rule())?.is_finished() || t > limit + 1000.0 {
            break;
        }
    }
    let ms_per_frame = started.elapsed().as_secs_f64() * 1e3 / frames.max(1) as f64;
    let report = session.report();
    let live = match report.outcome {
        Some(_) => Some(block_on(gallery.verify_live(person, &session))?),
        None => None,
    };
    Ok(Trial {
        person: person.to_owned(),
        kind,
        asked,
        accepted: live.is_some_and(|l| l.is_match()),
        outcome: reason(report.outcome),
        failure: match report.outcome {
            Some(Outcome::Failed(f)) => Some(f),
            _ => None,
        },
        finished_ms: t,
        parallax: report.parallax,
        ms_per_frame,
    })
}

fn median<T: Copy + PartialOrd>(mut values: Vec<T>) -> Option<T> {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values.get(values.len() / 2).copied()
}

pub fn run(args: EvalLivenessArgs) -> Result<()> {
    let pipeline = Pipeline::new()?;
    let kinds = if args.kinds.is_empty() { Kind::ALL.to_vec() } else { args.kinds.clone() };
    let mut by_person: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for (person, file) in lfw::list(&args.data)? {
        by_person.entry(person.clone()).or_default().push(args.data.join(&person).join(file));
    }
    let mut candidates: Vec<(String, Vec<PathBuf>)> = by_person.into_iter().filter(|(_, p)| p.len() >= 2).collect();
    candidates.shuffle(&mut Pcg64Mcg::seed_from_u64(args.seed));
    let options = Options::default();
    let seed = |i: usize| args.seed.wrapping_mul(1_000_003).wrapping_add(i as u64);
    let (chosen, skipped) = choose(&pipeline, candidates, args.people, &seed, &options)?;
    let started = Instant::now();
    let bar = progress(chosen.len(), "people ({eta})");
    let trials = map_indexed(chosen.len(), threads(args.threads), &bar, |i| {
        let (person, photos) = &chosen[i];
        // Render from the photo of the person alone; enroll another.
        let (photo, enrolled) = (decode(&photos[0])?, decode(&photos[1])?);
        let gallery = Gallery::new(MemoryStore::new(), pipeline.model_sha256(), Rule::bundled()?)?;
        let shot = pipeline.describe(&enrolled, Selection::Centre).with_context(|| photos[1].display().to_string())?;
        block_on(gallery.enroll(person, vec![shot.embedding]))?;
        let mut rng = Pcg64Mcg::seed_from_u64(seed(i));
        let mut steps = Step::ALL.to_vec();
        steps.shuffle(&mut rng);
        steps.truncate(args.steps);
        let mut out = Vec::new();
        for &kind in &kinds {
            let clip = render(&pipeline, kind, &photo, &steps, seed(i), &options)
                .with_context(|| format!("rendering {kind:?} of {person}"))?;
            let challenge = Challenge::new(steps.clone(), Timing::default())?;
            out.push(trial(&pipeline, &gallery, person, kind, challenge, &clip)?);
        }
        Ok(out)
    })?;
    let trials: Vec<Trial> = trials.into_iter().flatten().collect();
    let mut summary = BTreeMap::new();
    for &kind in &kinds {
        let of: Vec<&Trial> = trials.iter().filter(|t| t.kind == kind).collect();
        let mut outcomes = BTreeMap::new();
        for t in &of {
            *outcomes.entry(t.outcome.clone()).or_insert(0) += 1;
        }
        summary.insert(
            format!("{kind:?}"),
            Summary {
                clips: of.len(),
                accepted: of.iter().filter(|t| t.accepted).count(),
                outcomes,
                median_parallax: median(of.iter().map(|t| t.parallax).collect()).unwrap_or(0.0),
                median_finished_ms: median(of.iter().map(|t| t.finished_ms).collect()).unwrap_or(0.0),
            },
        );
    }
    let ms_per_frame = median(trials.iter().map(|t| t.ms_per_frame).collect()).unwrap_or(0.0);
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let json = serde_json::json!({"people": chosen.len(), "skipped": skipped, "steps": args.steps, "seed": args.seed,
            "summary": summary, "ms_per_frame": ms_per_frame, "seconds": seconds, "trials": trials});
        println!("{json}");
    } else {
        println!("{} people, {} steps per challenge, seed {}", chosen.len(), args.steps, args.seed);
        println!("{:<12} {:>9} {:>14} {:>12}  outcomes", "kind", "accepted", "parallax(med)", "ends at(med)");
        for (kind, s) in &summary {
            let outcomes: Vec<String> = s.outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
            println!(
                "{kind:<12} {:>4} / {:<3} {:>14.3} {:>10.0}ms  {}",
                s.accepted,
                s.clips,
                s.median_parallax,
                s.median_finished_ms,
                outcomes.join(", ")
            );
        }
        println!("check {ms_per_frame:.1} ms per frame (median), {seconds:.0} s in all");
    }
    Ok(())
}
