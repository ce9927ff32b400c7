//! `facegate eval-liveness`: the liveness check on clips made from LFW photos — a still photo,
//! a flat card moved in 3-D, prints bent round vertical, horizontal and oblique axes or into
//! cones acting out the steps, a live head doing the steps, and that head doing them in the wrong
//! order or too slowly — with each person's other photo enrolled, every frame through camera
//! noise, blur and JPEG. Prints how many of each kind were accepted.

use crate::clips::check::choose;
use crate::clips::{bend_of, render, Kind, Options, RADII};
use crate::images::decode;
use crate::lfw;
use crate::parallel::{map_indexed, progress, threads};
use anyhow::{Context, Result};
use clap::Args;
use facegate::liveness::{Challenge, Failure, Outcome, Session, Step, Timing, MIN_PARALLAX};
use facegate::{Frame, Gallery, MemoryStore, Pipeline, Rule, Selection};
use pollster::block_on;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
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
    /// Steps per challenge (a blink and the rest head movements, drawn by --seed as
    /// `Challenge::random` draws them).
    #[arg(long, default_value_t = 2)]
    steps: usize,
    /// Clip kinds to run (default: all).
    #[arg(long, value_delimiter = ',')]
    kinds: Vec<Kind>,
    /// Bend radii of the bent prints, face widths: every bent kind at each (default: one per
    /// clip, cycling through 0.4, 0.7, 1, 1.4 and 2 over the people).
    #[arg(long, value_delimiter = ',')]
    radii: Vec<f64>,
    /// Camera noise on every frame (standard deviation, 0-255 levels).
    #[arg(long, default_value_t = 2.0)]
    noise: f64,
    /// Defocus blur on every frame (standard deviation, pixels).
    #[arg(long, default_value_t = 0.6)]
    blur: f64,
    /// JPEG quality every frame is re-encoded at (0: none).
    #[arg(long, default_value_t = 80)]
    jpeg: u8,
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
    /// A bent print's bend.
    bend: Option<serde_json::Value>,
    asked: Vec<Step>,
    accepted: bool,
    /// "passed", or the failure's reason.
    outcome: String,
    /// The failure in full.
    failure: Option<Failure>,
    /// Clip time when the check finished, ms.
    finished_ms: f64,
    parallax: f32,
    /// Ratio of the relief's principal curvatures (see `liveness::relief`), if the head moved.
    relief: Option<f32>,
    /// The steps seen done, in order.
    done: Vec<Step>,
    /// The flat-picture test alone (whatever the steps) would refuse it.
    flat: bool,
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
    median_relief: Option<f32>,
    /// Clips the flat-picture test alone would refuse (too little parallax), whatever the steps did.
    flat_refused: usize,
    /// Clips where the asked blink was seen done.
    blinks_done: usize,
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
    bend: Option<serde_json::Value>,
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
        bend,
        asked,
        accepted: live.is_some_and(|l| l.is_match()),
        outcome: reason(report.outcome),
        failure: match report.outcome {
            Some(Outcome::Failed(f)) => Some(f),
            _ => None,
        },
        finished_ms: t,
        parallax: report.parallax,
        relief: report.relief,
        done: report.done.iter().map(|d| d.step).collect(),
        flat: report.parallax < MIN_PARALLAX,
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
    let options = Options {
        noise: args.noise,
        blur: args.blur,
        jpeg: (args.jpeg > 0).then_some(args.jpeg),
        ..Options::default()
    };
    let seed = |i: usize| args.seed.wrapping_mul(1_000_003).wrapping_add(i as u64);
    let (chosen, skipped) = choose(&pipeline, candidates, args.people, &seed, &options)?;
    let started = Instant::now();
    let bar = progress(chosen.len(), "people ({eta})");
    let trials = map_indexed(chosen.len(), threads(args.threads), &bar, |i| {
        let (person, photos) = &chosen[i];
        // Render from the photo of the person alone; enroll another.
        let (photo, enrolled) = (decode(&photos[0])?, decode(&photos[1])?);
        // A fresh gallery for every clip: the failed attempts of one clip must not lock the next.
        let enrolled_in = |embedding| -> Result<Gallery<MemoryStore>> {
            let gallery = Gallery::new(MemoryStore::new(), pipeline.model_sha256(), Rule::bundled()?)?;
            block_on(gallery.enroll(person, vec![embedding]))?;
            Ok(gallery)
        };
        let shot = pipeline.describe(&enrolled, Selection::Centre).with_context(|| photos[1].display().to_string())?;
        let mut rng = Pcg64Mcg::seed_from_u64(seed(i));
        let draws: Vec<u64> = (0..Step::ALL.len()).map(|_| rng.random()).collect();
        let steps = Challenge::draw(args.steps, &draws);
        let mut out = Vec::new();
        for (k, &kind) in kinds.iter().enumerate() {
            // Bent prints: every radius asked for, or one per clip cycling through the classes.
            let radii: Vec<Option<f64>> = match (kind.is_bent(), args.radii.is_empty()) {
                (false, _) => vec![None],
                (true, true) => vec![Some(RADII[(i + k) % RADII.len()])],
                (true, false) => args.radii.iter().map(|&r| Some(r)).collect(),
            };
            for radius in radii {
                let options = Options { bend_radius: radius, ..options };
                let clip = render(&pipeline, kind, &photo, &steps, seed(i), &options)
                    .with_context(|| format!("rendering {kind:?} of {person}"))?;
                let bend =
                    kind.is_bent().then(|| serde_json::to_value(bend_of(kind, seed(i), &options))).transpose()?;
                let challenge = Challenge::new(steps.clone(), Timing::default())?;
                let gallery = enrolled_in(shot.embedding.clone())?;
                out.push(trial(&pipeline, &gallery, person, kind, bend, challenge, &clip)?);
            }
        }
        Ok(out)
    })?;
    let trials: Vec<Trial> = trials.into_iter().flatten().collect();
    let summarise = |of: Vec<&Trial>| {
        let mut outcomes = BTreeMap::new();
        for t in &of {
            *outcomes.entry(t.outcome.clone()).or_insert(0) += 1;
        }
        Summary {
            clips: of.len(),
            accepted: of.iter().filter(|t| t.accepted).count(),
            outcomes,
            median_parallax: median(of.iter().map(|t| t.parallax).collect()).unwrap_or(0.0),
            median_relief: median(of.iter().filter_map(|t| t.relief).collect()),
            flat_refused: of.iter().filter(|t| t.flat).count(),
            blinks_done: of.iter().filter(|t| t.done.contains(&Step::Blink)).count(),
            median_finished_ms: median(of.iter().map(|t| t.finished_ms).collect()).unwrap_or(0.0),
        }
    };
    let mut summary = BTreeMap::new();
    for &kind in &kinds {
        summary.insert(format!("{kind:?}"), summarise(trials.iter().filter(|t| t.kind == kind).collect()));
    }
    // The bent prints by radius class too.
    let radius = |t: &Trial| t.bend.as_ref().and_then(|b| b["radius"].as_f64());
    let mut by_radius = BTreeMap::new();
    for &kind in kinds.iter().filter(|k| k.is_bent()) {
        let mut radii: Vec<f64> = trials.iter().filter(|t| t.kind == kind).filter_map(radius).collect();
        radii.sort_by(f64::total_cmp);
        radii.dedup();
        for r in radii {
            let of = trials.iter().filter(|t| t.kind == kind && radius(t) == Some(r)).collect();
            by_radius.insert(format!("{kind:?} r{r}"), summarise(of));
        }
    }
    let ms_per_frame = median(trials.iter().map(|t| t.ms_per_frame).collect()).unwrap_or(0.0);
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let json = serde_json::json!({"people": chosen.len(), "skipped": skipped, "steps": args.steps, "seed": args.seed,
            "summary": summary, "byRadius": by_radius, "ms_per_frame": ms_per_frame, "seconds": seconds, "trials": trials});
        println!("{json}");
    } else {
        println!("{} people, {} steps per challenge, seed {}", chosen.len(), args.steps, args.seed);
        println!(
            "{:<20} {:>9} {:>13} {:>11} {:>12} {:>6} {:>12}  outcomes",
            "kind", "accepted", "parallax(med)", "relief(med)", "flat-refused", "blinks", "ends at(med)"
        );
        for (kind, s) in summary.iter().chain(&by_radius) {
            let outcomes: Vec<String> = s.outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
            let relief = s.median_relief.map_or("-".into(), |r| format!("{r:.3}"));
            println!(
                "{kind:<20} {:>4} / {:<3} {:>13.3} {:>11} {:>6} / {:<3} {:>6} {:>10.0}ms  {}",
                s.accepted,
                s.clips,
                s.median_parallax,
                relief,
                s.flat_refused,
                s.clips,
                s.blinks_done,
                s.median_finished_ms,
                outcomes.join(", ")
            );
        }
        println!("check {ms_per_frame:.1} ms per frame (median), {seconds:.0} s in all");
    }
    Ok(())
}
