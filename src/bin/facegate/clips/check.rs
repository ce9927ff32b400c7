//! `facegate liveness-clips`: renders the clips of many LFW people and checks they are what they
//! claim — every live frame shows exactly one face, FaceMesh's measured yaw and pitch follow the
//! rendered pose, the eyes close during the blink, the rendered face is still the person (it
//! matches their other photo), and card frames show one face too — or writes them as Y4M.

use super::command::write_y4m;
use super::motion::Pose;
use super::{render, script, Kind, Options, Stage};
use crate::images::{decode, describe};
use crate::lfw::list;
use crate::parallel::{map_indexed, progress, threads};
use anyhow::{ensure, Context, Result};
use clap::Args;
use facegate::liveness::{Step, BLINK_RATIO};
use facegate::model::bundled;
use facegate::{Detector, DetectorOptions, Frame, Mesh, Pipeline, Rule, Selection};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct ClipsArgs {
    /// LFW (or any DIR/PERSON/*.jpg folder).
    #[arg(long, env = "FACEGATE_DATA", default_value = "../shared/datasets/lfw")]
    lfw: PathBuf,
    /// How many people (with two photos or more, one of them alone), chosen at random by --seed.
    #[arg(long, default_value_t = 50)]
    people: usize,
    /// Seed of the choice of people and of their clips.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Check the live and card clips (all five steps, in a random order per person) and print a
    /// JSON summary.
    #[arg(long)]
    check: bool,
    /// Write every kind's clip of each person as DIR/PERSON-KIND-STEP+STEP.y4m (two or three
    /// random steps, the ones asked).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
}

/// Head pose measured on FaceMesh's points, eye opening by the iris model.
#[derive(Debug, Clone, Copy)]
struct Measured {
    /// atan2 of the depth difference against the x difference of the cheeks 234 → 454, degrees
    /// (> 0 when the head turns to the person's left).
    yaw: f64,
    /// atan2 of the depth difference against the y difference of forehead 10 → chin 152,
    /// degrees (> 0 when the head looks up).
    pitch: f64,
    /// Eye opening, both eyes' mean: the iris model's lid gap over eye width
    /// ([`facegate::Eyes::opening`]).
    eyes: f64,
}

fn measure(mesh: &Mesh, eyes: [f32; 2]) -> Result<Measured, String> {
    let p = |n: usize| mesh.point(n).ok_or_else(|| format!("FaceMesh point {n} missing"));
    let (cheeks, top, chin) = ((p(234)?, p(454)?), p(10)?, p(152)?);
    let yaw = f64::from(cheeks.1.z - cheeks.0.z).atan2(f64::from(cheeks.1.x - cheeks.0.x)).to_degrees();
    let pitch = f64::from(top.z - chin.z).atan2(f64::from(chin.y - top.y)).to_degrees();
    Ok(Measured { yaw, pitch, eyes: f64::from(eyes[0] + eyes[1]) / 2.0 })
}

/// What the pipeline saw in a clip: per frame, the measurement when exactly one face was found,
/// else the error's code.
fn observe(pipeline: &Pipeline, frames: &[(Frame, f64)]) -> Vec<Result<Measured, String>> {
    frames
        .iter()
        .map(|(frame, _)| {
            let face = pipeline.select(frame, Selection::Single).map_err(|e| e.code().to_string())?;
            let code = |e: facegate::Error| e.code().to_string();
            let mesh = pipeline.mesh(frame, &face).map_err(code)?;
            measure(&mesh, pipeline.eyes(frame, &mesh).map_err(code)?)
        })
        .collect()
}

/// One step's peak (its hold, or the blink's closed eyes) in one person's live clip.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
struct Peak {
    step: Step,
    rendered_yaw: f64,
    rendered_pitch: f64,
    /// Measured minus the measurement on the neutral lead-in.
    measured_yaw: f64,
    measured_pitch: f64,
    /// Eye opening at the peak over the neutral one.
    eyes_ratio: f64,
}

/// One person's results.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Person {
    person: String,
    live_frames: usize,
    live_one_face: usize,
    card_frames: usize,
    card_one_face: usize,
    errors: BTreeMap<String, usize>,
    peaks: Vec<Peak>,
    /// Mean eye opening over the neutral lead-in.
    neutral_eyes: f64,
    /// Least and greatest eye opening over the neutral one, on the frames rendered with open eyes
    /// facing the camera (within the check's centre: 8° yaw, 6° pitch).
    open_eyes_ratio: (f64, f64),
    /// The first live frame's face against the person's other photo, by the bundled rule.
    matches_other_photo: bool,
    probability: Option<f32>,
    render_ms: f64,
    rendered_frames: usize,
}

/// The mean of the finite values (NaN when there is none).
fn mean(values: impl IntoIterator<Item = f64>) -> f64 {
    let (sum, n) = values.into_iter().filter(|v| v.is_finite()).fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        f64::NAN
    } else {
        sum / n as f64
    }
}

fn check_person(
    pipeline: &Pipeline,
    rule: &Rule,
    person: &str,
    photos: &[PathBuf],
    seed: u64,
    options: &Options,
) -> Result<Person> {
    let mut steps = Step::ALL.to_vec();
    steps.shuffle(&mut Pcg64Mcg::seed_from_u64(seed));
    let photo = decode(&photos[0])?;
    let mut out = Person { person: person.to_owned(), ..Person::default() };
    let at = || photos[0].display().to_string();
    let mut timed = |kind| -> Result<Vec<(Frame, f64)>> {
        let started = Instant::now();
        let frames = render(pipeline, kind, &photo, &steps, seed, options).with_context(at)?;
        out.render_ms += started.elapsed().as_secs_f64() * 1e3;
        out.rendered_frames += frames.len();
        Ok(frames)
    };
    let live = timed(Kind::Live)?;
    let card = timed(Kind::Card)?;
    let seen = observe(pipeline, &live);
    let card_seen = observe(pipeline, &card);
    for result in seen.iter().chain(&card_seen) {
        if let Err(code) = result {
            *out.errors.entry(code.clone()).or_default() += 1;
        }
    }
    (out.live_frames, out.live_one_face) = (live.len(), seen.iter().filter(|r| r.is_ok()).count());
    (out.card_frames, out.card_one_face) = (card.len(), card_seen.iter().filter(|r| r.is_ok()).count());
    let truth = script(Kind::Live, &steps, seed, options)?;
    let ok = |i: usize| seen[i].as_ref().ok().copied();
    let neutral: Vec<Measured> =
        truth.frames.iter().enumerate().filter(|(_, (t, _))| *t < options.lead_ms).filter_map(|(i, _)| ok(i)).collect();
    ensure!(!neutral.is_empty(), "{}: no face in the neutral lead-in", at());
    let base = Measured {
        yaw: mean(neutral.iter().map(|m| m.yaw)),
        pitch: mean(neutral.iter().map(|m| m.pitch)),
        eyes: mean(neutral.iter().map(|m| m.eyes)),
    };
    out.neutral_eyes = base.eyes;
    let facing = |i: usize| {
        let pose = truth.frames[i].1;
        pose.closed == 0.0 && pose.yaw.abs() < 8.0 && pose.pitch.abs() < 6.0
    };
    let open: Vec<f64> = (0..live.len()).filter(|&i| facing(i)).filter_map(ok).map(|m| m.eyes / base.eyes).collect();
    out.open_eyes_ratio =
        (open.iter().copied().fold(f64::NAN, f64::min), open.iter().copied().fold(f64::NAN, f64::max));
    for m in &truth.moves {
        let peak: Vec<usize> = (0..live.len()).filter(|&i| m.weight(truth.frames[i].0) >= 0.99).collect();
        let measured: Vec<Measured> = peak.iter().filter_map(|&i| ok(i)).collect();
        out.peaks.push(Peak {
            step: m.step,
            rendered_yaw: mean(peak.iter().map(|&i| truth.frames[i].1.yaw)),
            rendered_pitch: mean(peak.iter().map(|&i| truth.frames[i].1.pitch)),
            measured_yaw: mean(measured.iter().map(|s| s.yaw - base.yaw)),
            measured_pitch: mean(measured.iter().map(|s| s.pitch - base.pitch)),
            eyes_ratio: mean(measured.iter().map(|s| s.eyes / base.eyes)),
        });
    }
    let first = pipeline.describe(&live[0].0, Selection::Single).with_context(|| format!("{}: first frame", at()))?;
    let other = describe(pipeline, &photos[1], Selection::Centre)?;
    let verdict = rule.decide(&other.embedding, &first.embedding)?;
    (out.matches_other_photo, out.probability) = (verdict.is_match, verdict.probability);
    Ok(out)
}

/// Did the measured peak go the asked way: yaw sign for turns, pitch sign for nods, the eyes
/// at most [`BLINK_RATIO`] as open for a blink (what the liveness check asks of one frame).
fn followed(peak: &Peak) -> bool {
    match peak.step {
        Step::TurnLeft => peak.measured_yaw > 0.0,
        Step::TurnRight => peak.measured_yaw < 0.0,
        Step::LookUp => peak.measured_pitch > 0.0,
        Step::LookDown => peak.measured_pitch < 0.0,
        Step::Blink => peak.eyes_ratio <= f64::from(BLINK_RATIO),
    }
}

fn summary(people: &[Person]) -> serde_json::Value {
    let sum = |f: &dyn Fn(&Person) -> usize| people.iter().map(f).sum::<usize>();
    let mut errors: BTreeMap<&str, usize> = BTreeMap::new();
    for (code, n) in people.iter().flat_map(|p| &p.errors) {
        *errors.entry(code).or_default() += n;
    }
    let steps: serde_json::Map<String, serde_json::Value> = Step::ALL
        .iter()
        .map(|&step| {
            let peaks: Vec<&Peak> = people.iter().flat_map(|p| &p.peaks).filter(|p| p.step == step).collect();
            let name = serde_json::to_value(step).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            let value = serde_json::json!({
                "people": peaks.len(),
                "renderedYaw": mean(peaks.iter().map(|p| p.rendered_yaw)),
                "measuredYaw": mean(peaks.iter().map(|p| p.measured_yaw)),
                "renderedPitch": mean(peaks.iter().map(|p| p.rendered_pitch)),
                "measuredPitch": mean(peaks.iter().map(|p| p.measured_pitch)),
                "eyesRatio": mean(peaks.iter().map(|p| p.eyes_ratio)),
                "eyesRatioRange": [
                    peaks.iter().map(|p| p.eyes_ratio).fold(f64::NAN, f64::min),
                    peaks.iter().map(|p| p.eyes_ratio).fold(f64::NAN, f64::max),
                ],
                "followed": peaks.iter().filter(|p| followed(p)).count(),
            });
            (name, value)
        })
        .collect();
    let render_ms: f64 = people.iter().map(|p| p.render_ms).sum();
    serde_json::json!({
        "people": people.len(),
        "liveFrames": sum(&|p| p.live_frames),
        "liveFramesWithOneFace": sum(&|p| p.live_one_face),
        "cardFrames": sum(&|p| p.card_frames),
        "cardFramesWithOneFace": sum(&|p| p.card_one_face),
        "errors": errors,
        "steps": steps,
        "neutralEyes": [
            people.iter().map(|p| p.neutral_eyes).fold(f64::NAN, f64::min),
            people.iter().map(|p| p.neutral_eyes).fold(f64::NAN, f64::max),
        ],
        "openEyesRatio": [
            people.iter().map(|p| p.open_eyes_ratio.0).fold(f64::NAN, f64::min),
            people.iter().map(|p| p.open_eyes_ratio.1).fold(f64::NAN, f64::max),
        ],
        "matchesOtherPhoto": people.iter().filter(|p| p.matches_other_photo).count(),
        "renderMsPerFrame": render_ms / sum(&|p| p.rendered_frames).max(1) as f64,
        "perPerson": people,
    })
}

/// The first `count` candidates with a photo of them alone, that photo moved first; and the
/// people passed over. LFW photos may show bystanders, often cut by the photo's edge, which the
/// detector finds in some frames of a moving clip and not in others: a photo qualifies when the
/// pipeline finds exactly one face once it is set in the room, and the detector at a low score
/// (0.3) finds one face in the photo, in the room, and on the card tilted four ways.
#[allow(clippy::type_complexity)]
pub(crate) fn choose(
    pipeline: &Pipeline,
    candidates: Vec<(String, Vec<PathBuf>)>,
    count: usize,
    seed: &dyn Fn(usize) -> u64,
    options: &Options,
) -> Result<(Vec<(String, Vec<PathBuf>)>, Vec<String>)> {
    let sensitive =
        Detector::from_bytes(bundled::BLAZEFACE_FRONT, DetectorOptions { min_score: 0.3, ..Default::default() })?;
    let (mut chosen, mut skipped) = (Vec::new(), Vec::new());
    for (person, mut photos) in candidates {
        if chosen.len() == count {
            break;
        }
        let mut alone = None;
        for (j, path) in photos.iter().enumerate() {
            let photo = decode(path)?;
            let stage = Stage::new(pipeline, Kind::Still, &photo, seed(chosen.len()), options)?;
            let still = stage.frame(Kind::Still, &Pose::NEUTRAL)?;
            let mut views = vec![photo, still.clone()];
            for (yaw, pitch) in [(20.0, 0.0), (-20.0, 0.0), (0.0, 15.0), (0.0, -15.0)] {
                views.push(stage.frame(Kind::Card, &Pose { yaw, pitch, ..Pose::NEUTRAL })?);
            }
            let mut one = pipeline.select(&still, Selection::Single).is_ok();
            for view in &views {
                one = one && sensitive.detect(view)?.len() == 1;
            }
            if one {
                alone = Some(j);
                break;
            }
        }
        match alone {
            Some(j) => {
                photos.swap(0, j);
                chosen.push((person, photos));
            }
            None => skipped.push(person),
        }
    }
    ensure!(chosen.len() == count, "only {} people with two photos or more and one face", chosen.len());
    Ok((chosen, skipped))
}

pub fn run(args: ClipsArgs) -> Result<()> {
    ensure!(args.check || args.out.is_some(), "nothing to do: give --check, --out DIR or both");
    let mut by_person: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for (person, file) in list(&args.lfw)? {
        by_person.entry(person.clone()).or_default().push(args.lfw.join(&person).join(file));
    }
    let mut candidates: Vec<(String, Vec<PathBuf>)> = by_person.into_iter().filter(|(_, p)| p.len() >= 2).collect();
    candidates.shuffle(&mut Pcg64Mcg::seed_from_u64(args.seed));
    let pipeline = Pipeline::new().context("loading the models")?;
    let options = Options::default();
    let seed = |i: usize| args.seed.wrapping_mul(1_000_003).wrapping_add(i as u64);
    let (chosen, skipped) = choose(&pipeline, candidates, args.people, &seed, &options)?;
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
        let bar = progress(chosen.len(), "people's clips written");
        map_indexed(chosen.len(), threads(args.threads), &bar, |i| {
            let (person, photos) = &chosen[i];
            let mut rng = Pcg64Mcg::seed_from_u64(seed(i));
            let mut steps = Step::ALL.to_vec();
            steps.shuffle(&mut rng);
            steps.truncate(2 + i % 2);
            let photo = decode(&photos[0])?;
            for kind in Kind::ALL {
                let frames = render(&pipeline, kind, &photo, &steps, seed(i), &options)
                    .with_context(|| photos[0].display().to_string())?;
                let name = |v: serde_json::Value| v.as_str().unwrap_or_default().to_owned();
                let asked: Vec<String> =
                    steps.iter().map(|s| serde_json::to_value(s).map(name)).collect::<Result<_, _>>()?;
                let file = format!("{person}-{}-{}.y4m", name(serde_json::to_value(kind)?), asked.join("+"));
                write_y4m(&dir.join(file), &frames, options.fps)?;
            }
            Ok(())
        })?;
        bar.finish_and_clear();
    }
    if args.check {
        let rule = Rule::bundled()?;
        let bar = progress(chosen.len(), "people checked ({eta})");
        let people = map_indexed(chosen.len(), threads(args.threads), &bar, |i| {
            check_person(&pipeline, &rule, &chosen[i].0, &chosen[i].1, seed(i), &options)
        })?;
        bar.finish_and_clear();
        let mut summary = summary(&people);
        summary["skipped"] = serde_json::to_value(&skipped)?;
        println!("{}", serde_json::to_string_pretty(&summary)?);
    }
    Ok(())
}
