//! Test clips for the liveness check, made from one photo at run time (no image is committed):
//! a still photo, the photo moved as a flat card, the photo printed and bent (round a cylinder
//! about a vertical, horizontal or oblique axis, or into a cone) acting out the asked steps, a
//! "live" head lifted from FaceMesh's 3-D points doing the asked steps, and that head doing them in
//! the wrong order or too slowly; every kind optionally through camera noise, blur and JPEG.
//!
//! [`render`] is the entry point; [`script`] says what a clip shows frame by frame (the ground
//! truth). Everything is deterministic by seed. Directions are the person's own (see
//! [`motion::Pose`]); frames are unmirrored, as a camera delivers them.

mod bent;
mod camera;
mod card;
pub mod check;
pub mod command;
mod head;
mod motion;
mod raster;
mod scene;

use anyhow::{bail, Context, Result};
use bent::{Bend, Sheet};
use camera::Camera;
use facegate::geometry::Homography;
use facegate::liveness::Step;
use facegate::{Face, Frame, Landmarker, Mesh, Pipeline, Selection};
use head::Head;
use motion::{lay_out, pose_at, Move, Pacing, Pose, Reach, Wander};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use scene::{Image, Placement};
use std::sync::OnceLock;

/// What a clip shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Kind {
    /// The photo held still for the whole challenge.
    Still,
    /// The photo as a flat card moving in 3-D: smooth random tilts (up to ±25° about x and y),
    /// in-plane rotation, shift and scale, on top of tilts that mimic each asked step (yawed like
    /// a head turn, pitched like a nod).
    Card,
    /// The face lifted onto FaceMesh's 3-D surface doing the asked steps in order, promptly.
    Live,
    /// The live head doing the asked steps in another order (needs two different steps).
    WrongOrder,
    /// The live head doing the asked steps in order, each only after standing still for
    /// `Options::slow_step_ms` minus the move itself.
    TooSlow,
    /// The photo printed and bent round a vertical axis (radius `Options::bend_radius` face
    /// widths), acting out the asked steps like the card but with a head's angles (turns of
    /// 25-40°, nods of 18-30°); for a blink, a quick flick of the sheet about its middle by
    /// 30-60° (tilting the eyes' opening shut as far as paper can).
    BentVertical,
    /// Bent round a horizontal axis, acting like [`Kind::BentVertical`].
    BentHorizontal,
    /// Bent round an axis 45° from the vertical (either way), acting like [`Kind::BentVertical`].
    BentOblique,
    /// Rolled into a cone (its apex 1.5-3 face widths above, below or beside the face, its
    /// curvature radius at the face `Options::bend_radius`), acting like [`Kind::BentVertical`].
    Cone,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Still,
        Kind::Card,
        Kind::Live,
        Kind::WrongOrder,
        Kind::TooSlow,
        Kind::BentVertical,
        Kind::BentHorizontal,
        Kind::BentOblique,
        Kind::Cone,
    ];
    /// The bent prints.
    pub const BENT: [Kind; 4] = [Kind::BentVertical, Kind::BentHorizontal, Kind::BentOblique, Kind::Cone];

    /// Rendered from the lifted 3-D head.
    fn is_head(self) -> bool {
        matches!(self, Kind::Live | Kind::WrongOrder | Kind::TooSlow)
    }

    /// A printed photo bent and moved by hand.
    pub fn is_bent(self) -> bool {
        Kind::BENT.contains(&self)
    }
}

/// Bend radii of the clips, in face widths: the classes `eval-liveness` cycles through.
pub const RADII: [f64; 5] = [0.4, 0.7, 1.0, 1.4, 2.0];

/// How clips are made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Options {
    /// Frame size in pixels.
    pub width: usize,
    pub height: usize,
    /// Frames per second.
    pub fps: f64,
    /// A turn or nod, from leaving neutral to being back: ease out over 3/8, hold 1/4, ease back
    /// (a blink always takes 500 ms: eyes closed for 240 ms).
    pub step_ms: f64,
    /// A step's whole slot in [`Kind::TooSlow`]: standing still, then the move at the end.
    pub slow_step_ms: f64,
    /// Neutral before the first step and after the last, ms.
    pub lead_ms: f64,
    pub tail_ms: f64,
    /// Standing still before each step, ms: a person taking in the prompt (0: the steps follow
    /// each other at once, as in `eval-liveness`).
    pub react_ms: f64,
    /// Enlargement of the photo in the frame (LFW's 250x250 at 1.6 makes faces of 160-200 px).
    pub photo_scale: f64,
    /// Focal length in frame widths.
    pub focal: f64,
    /// Bent prints' radius in face widths (`None`: one of [`RADII`] by the seed).
    pub bend_radius: Option<f64>,
    /// Camera noise: standard deviation of Gaussian noise added to each channel, in 0-255 levels.
    pub noise: f64,
    /// Defocus: standard deviation of a Gaussian blur, in pixels (0: none).
    pub blur: f64,
    /// JPEG re-encoding quality (1-100; `None`: none), after the blur and the noise.
    pub jpeg: Option<u8>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            width: 640,
            height: 480,
            fps: 15.0,
            step_ms: 1200.0,
            slow_step_ms: 6000.0,
            lead_ms: 600.0,
            tail_ms: 300.0,
            react_ms: 0.0,
            photo_scale: 1.6,
            focal: 1.2,
            bend_radius: None,
            noise: 0.0,
            blur: 0.0,
            jpeg: None,
        }
    }
}

/// What a clip shows, frame by frame.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Script {
    pub kind: Kind,
    /// The steps asked for.
    pub asked: Vec<Step>,
    /// The moves made (for a still photo: none), in the order made.
    pub moves: Vec<Move>,
    /// Each frame's time (ms from the start) and the pose shown (the head's, or the card's).
    pub frames: Vec<(f64, Pose)>,
}

/// The ground truth of a clip: its moves and every frame's pose, deterministic by `seed`.
pub(crate) fn script(kind: Kind, asked: &[Step], seed: u64, options: &Options) -> Result<Script> {
    if asked.is_empty() {
        bail!("no steps asked");
    }
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let mut performed = asked.to_vec();
    if kind == Kind::WrongOrder {
        if asked.iter().all(|s| *s == asked[0]) {
            bail!("a wrong order needs two different steps, got {asked:?}");
        }
        while performed == asked {
            performed.shuffle(&mut rng);
        }
    }
    let pacing = Pacing {
        lead_ms: options.lead_ms,
        move_ms: options.step_ms,
        idle_ms: if kind == Kind::TooSlow {
            (options.slow_step_ms - options.step_ms).max(0.0)
        } else {
            options.react_ms
        },
        tail_ms: options.tail_ms,
    };
    let (reach, wander) = if kind == Kind::Card {
        // Card tilts mimic a head's; the wander adds tilt, roll, shift and scale of a hand.
        (Reach { yaw: (18.0, 25.0), pitch: (15.0, 20.0), shift: (10.0, 40.0) }, [7.0, 7.0, 15.0, 40.0, 30.0, 0.12])
    } else if kind.is_bent() {
        // A bent print acted like a head: a head's angles or more, and a hand's wander.
        (Reach { yaw: (25.0, 40.0), pitch: (18.0, 30.0), shift: (10.0, 40.0) }, [5.0, 5.0, 8.0, 30.0, 20.0, 0.08])
    } else {
        (Reach { yaw: (25.0, 30.0), pitch: (15.0, 20.0), shift: (0.0, 0.0) }, [2.0, 1.5, 1.5, 3.0, 2.0, 0.0])
    };
    let (mut moves, length) = lay_out(&performed, &pacing, &reach, &mut rng);
    if kind.is_bent() {
        // Paper cannot blink: the attacker flicks the sheet about its middle, top away or
        // towards the camera, to squash the eyes' opening for a moment.
        for m in moves.iter_mut().filter(|m| m.step == Step::Blink) {
            let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            m.amplitude = sign * rng.random_range(30.0..=60.0);
        }
    }
    let wander = Wander::new(wander, &mut rng);
    let count = (length * options.fps / 1e3).ceil() as usize;
    let frames = (0..count)
        .map(|i| {
            let t = i as f64 * 1e3 / options.fps;
            let pose = match kind {
                Kind::Still => Pose::NEUTRAL,
                _ => {
                    let mut pose = pose_at(&moves, t);
                    wander.apply(t, &mut pose);
                    if kind == Kind::Card {
                        pose.yaw = pose.yaw.clamp(-25.0, 25.0);
                        pose.pitch = pose.pitch.clamp(-25.0, 25.0);
                    }
                    if kind.is_bent() {
                        for m in moves.iter().filter(|m| m.step == Step::Blink) {
                            pose.pitch += m.amplitude * m.weight(t);
                        }
                        pose.closed = 0.0;
                    }
                    pose
                }
            };
            (t, pose)
        })
        .collect();
    let moves = if kind == Kind::Still { Vec::new() } else { moves };
    Ok(Script { kind, asked: asked.to_vec(), moves, frames })
}

/// A clip's pictures: the photo placed in the room, and what the kind needs to move it.
pub(crate) struct Stage {
    photo: Image,
    background: Image,
    /// The photo on the background, facing the camera.
    neutral: Image,
    placement: Placement,
    camera: Camera,
    /// The lifted head (live kinds only).
    head: Option<Head>,
    /// The bent sheet (bent kinds only).
    sheet: Option<Sheet>,
}

impl Stage {
    /// Sets `photo` in a room chosen by `seed`; lifts the face (the largest) for the live kinds.
    pub fn new(pipeline: &Pipeline, kind: Kind, photo: &Frame, seed: u64, options: &Options) -> Result<Stage> {
        let photo = Image::from_frame(photo);
        let mut rng = Pcg64Mcg::seed_from_u64(seed ^ 0x5CE4E);
        let background = scene::background(options.width, options.height, &mut rng);
        let placement = Placement::centred(&photo, options.photo_scale, options.width, options.height);
        let neutral = scene::compose(&background, &photo, placement, 24.0);
        let camera = Camera::new(options.width, options.height, options.focal);
        let head = if kind.is_head() {
            let frame = neutral.to_frame()?;
            let face = pipeline.select(&frame, Selection::Largest).context("finding the face to lift")?;
            Some(Head::lift(&full_mesh(&frame, &face)?, camera)?)
        } else {
            None
        };
        let sheet = if kind.is_bent() {
            let frame = photo.to_frame()?;
            let face = pipeline.select(&frame, Selection::Largest).context("finding the face to bend about")?;
            let b = face.bbox;
            let (centre, width) =
                ([f64::from(b.x + b.width / 2.0), f64::from(b.y + b.height / 2.0)], f64::from(b.width));
            let bend = bend_of(kind, seed, options);
            Some(Sheet::new(&photo, placement, bend, centre, width))
        } else {
            None
        };
        Ok(Stage { photo, background, neutral, placement, camera, head, sheet })
    }

    /// Where the card puts the photo's pixels in `pose` (see [`card::homography`]).
    pub fn card(&self, pose: &Pose) -> Homography {
        card::homography(pose, &self.photo, self.placement, &self.camera)
    }

    /// One frame of `kind` in `pose`.
    pub fn frame(&self, kind: Kind, pose: &Pose) -> Result<Frame> {
        self.image(kind, pose)?.to_frame()
    }

    /// One frame of `kind` in `pose`, as an image.
    fn image(&self, kind: Kind, pose: &Pose) -> Result<Image> {
        if let (true, Some(sheet)) = (kind.is_bent(), &self.sheet) {
            let mut image = self.background.clone();
            sheet.draw(pose, &self.photo, &self.camera, &mut image);
            return Ok(image);
        }
        let image = match (kind, &self.head) {
            (Kind::Still, _) => self.neutral.clone(),
            (Kind::Card, _) => {
                let mut image = self.background.clone();
                card::draw(&self.photo, &self.card(pose), &mut image);
                image
            }
            (_, Some(head)) => {
                let mut image = self.neutral.clone();
                head.draw(pose, &self.neutral, &mut image);
                image
            }
            (_, None) => bail!("a {kind:?} clip needs the lifted head"),
        };
        Ok(image)
    }
}

/// All 468 FaceMesh points of `face`, from the full FaceMesh (`model/facemesh-full.onnx`,
/// loaded on the first call): the head is lifted onto all of them, while the library's bundled
/// FaceMesh makes only the points it reads.
fn full_mesh(frame: &Frame, face: &Face) -> Result<Mesh> {
    static FACEMESH_FULL: &[u8] = include_bytes!("../../../../model/facemesh-full.onnx");
    static LANDMARKER: OnceLock<Landmarker> = OnceLock::new();
    let landmarker = match LANDMARKER.get() {
        Some(landmarker) => landmarker,
        None => {
            let loaded = Landmarker::from_bytes(FACEMESH_FULL).context("loading the full FaceMesh")?;
            LANDMARKER.get_or_init(|| loaded)
        }
    };
    Ok(landmarker.mesh(frame, face)?)
}

/// Renders a clip of `kind` from `photo` (e.g. an LFW photo) for the `steps` asked: the frames
/// (`options.width x options.height`, RGB, unmirrored) with their times in ms from the start.
/// Deterministic by `seed` (the room, the amplitudes, the jitter, the card's path, the wrong
/// order). The live kinds lift the photo's largest face with `pipeline`.
pub(crate) fn render(
    pipeline: &Pipeline,
    kind: Kind,
    photo: &Frame,
    steps: &[Step],
    seed: u64,
    options: &Options,
) -> Result<Vec<(Frame, f64)>> {
    let script = script(kind, steps, seed, options)?;
    let stage = Stage::new(pipeline, kind, photo, seed, options)?;
    let mut rng = Pcg64Mcg::seed_from_u64(seed ^ 0xCA3E7A);
    script
        .frames
        .iter()
        .map(|(t, pose)| Ok((camera::film(stage.image(kind, pose)?, options, &mut rng)?.to_frame()?, *t)))
        .collect()
}

/// How a bent kind is bent, by the seed: the axis's side for an oblique bend and a cone, the
/// cone's apex, and the radius unless `options` fixes it.
pub(crate) fn bend_of(kind: Kind, seed: u64, options: &Options) -> Bend {
    let mut rng = Pcg64Mcg::seed_from_u64(seed ^ 0xBE4D);
    let radius = options.bend_radius.unwrap_or(RADII[rng.random_range(0..RADII.len())]);
    let side = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
    match kind {
        Kind::BentHorizontal => Bend::Cylinder { axis: 90.0, radius },
        Kind::BentOblique => Bend::Cylinder { axis: 45.0 * side, radius },
        Kind::Cone => {
            let axis = [0.0, 90.0, 45.0, -45.0][rng.random_range(0..4)];
            Bend::Cone { axis, radius, apex: side * rng.random_range(1.5..=3.0) }
        }
        _ => Bend::Cylinder { axis: 0.0, radius },
    }
}
