//! The challenge as a state machine over observed frames: ask for each step, wait for the head to
//! come back to the centre, fail on a wrong move, a timeout, a second face or a different person,
//! and finally require parallax (see [`super::planar`]).

use super::planar::Landmarks;
use super::pose::Pose;
use super::relief::curvature_ratio;
use super::{Challenge, Step, Timing};
use crate::error::Result;
use crate::landmarks::Mesh;
use serde::Serialize;

/// Turning by at least this many degrees from the starting pose counts as a turn.
pub const TURN_DEGREES: f32 = 18.0;
/// Tilting by at least this many degrees from the starting pose counts as looking up or down.
pub const NOD_DEGREES: f32 = 12.0;
/// Eyes at most this fraction as open as usual (the median over the frames facing the camera)
/// count as a blink; the opening is the iris model's lid gap ([`crate::Eyes`]). On rendered LFW
/// blinks (`facegate liveness-clips --check`, 50 people) the closed eyes measured 0.11-0.80 of
/// the open ones (median 0.33; all but one at most 0.75), while open eyes facing the camera
/// stayed within 0.79-1.13 (0.85 and up but for one person): the threshold sits in the gap. At 0.85 that one person's open-eye dip passed a wrong-order clip's blink.
/// (FaceMesh's own lid points gave 0.55-0.89 closed.) The opening is first divided by how much
/// the face's height across the eye line ([`Landmarks::aspect`]) has shrunk from its usual value:
/// a printed photo flicked or flexed back about the eye line squashes its eyes' opening (by the
/// cosine of the tilt: 0.5 at 60°) but the whole face with it, so it is read as open.
pub const BLINK_RATIO: f32 = 0.75;
/// Eyes at most this fraction as open as usual on [`SLIGHT_BLINK_FRAMES`] frames in a row (facing
/// the camera, face not squashed) are a blink too: a slight one, behind glasses or on narrow
/// eyes. Eyes are open again above it. Measured with `eval-liveness` (noise, blur and JPEG on),
/// as the larger of two frames in a row: rendered live blinks of 100 people (seed 2) closed to
/// 0.65 or less but for four, at 0.78, 0.79 and 0.83 (glasses, squinting) and one behind
/// sunglasses that the iris model never saw close; open eyes facing the camera stayed at 0.90 or
/// more; 300 attack clips of 50 other people (seed 3: cards, wrong orders, prints bent every way
/// and flicked for the blink) at 0.84 or more.
pub const SLIGHT_BLINK_RATIO: f32 = 0.82;
/// Frames in a row under [`SLIGHT_BLINK_RATIO`] that make a slight blink (two at 15 fps: 67 ms
/// apart, while the eyes are shut for 100-300 ms).
pub const SLIGHT_BLINK_FRAMES: usize = 2;
/// A face whose height above or below the eye line ([`Landmarks::halves`]) is below this
/// fraction of its usual value is squashed (a picture tilted or flexed by 25° or more there): its
/// eyes are never read as closed, however the opening is corrected, since a real blink leaves
/// the face's shape alone.
pub const SQUASHED: f32 = 0.9;
/// Back at the centre: within these degrees of the starting yaw and pitch, eyes open again.
pub const CENTRE_DEGREES: (f32, f32) = (8.0, 6.0);
/// Least parallax of a real head: the median, over the frames where the head had turned or
/// nodded past a step's threshold, of the landmarks' distance from the best homography of the
/// first face's (in eye distances). Chosen on LFW clips (`facegate eval-liveness`): live heads
/// 0.077-0.44; flat cards 0.014-0.075 on *any* frame (the second-largest over each clip).
pub const MIN_PARALLAX: f32 = 0.07;

/// What the person is asked to do now; serialised as `"centre"` or the step's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", untagged)]
pub enum Prompt {
    /// Look straight at the camera (at the start and between steps).
    #[serde(serialize_with = "centre")]
    Centre,
    /// Do this step.
    Step(Step),
}

fn centre<S: serde::Serializer>(s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("centre")
}

impl Prompt {
    /// What to tell the person, in English.
    pub fn instruction(self) -> &'static str {
        match self {
            Prompt::Centre => "Look straight at the camera",
            Prompt::Step(step) => step.instruction(),
        }
    }
}

/// What one frame showed.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// No face (the frame is not used).
    NoFace,
    /// More than one face: the challenge fails.
    MultipleFaces,
    /// One face: its pose, its landmarks, and whether its embedding matches the person being
    /// checked.
    Face {
        /// Pose and eye opening.
        pose: Pose,
        /// The points of the flat-picture test.
        landmarks: Landmarks,
        /// The embedding matched the claimed (or first seen) person.
        same_person: bool,
    },
}

impl Seen {
    /// One face, from its FaceMesh mesh and its eyes' opening ([`crate::Eyes::opening`]).
    pub fn face(mesh: &Mesh, eyes: [f32; 2], same_person: bool) -> Result<Seen> {
        let pose = Pose::of(mesh, eyes)?;
        let landmarks = Landmarks::of(mesh)?;
        Ok(Seen::Face { pose, landmarks, same_person })
    }
}

/// One frame's observation and its time (ms, any monotonic clock).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// When the frame was taken.
    pub t_ms: f64,
    /// What it showed.
    pub seen: Seen,
}

/// Why a challenge failed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "reason")]
pub enum Failure {
    /// A prompt was not followed in time (or the whole challenge took too long).
    Timeout {
        /// The prompt waited for.
        prompt: Prompt,
    },
    /// Another movement than the one asked.
    WrongMove {
        /// The step asked.
        expected: Step,
        /// The movement seen.
        seen: Step,
    },
    /// The landmarks moved like a flat picture.
    Flat {
        /// Parallax measured (eye distances).
        parallax: f32,
        /// Parallax a real head shows.
        needed: f32,
    },
    /// More than one face in a frame.
    MultipleFaces,
    /// A frame showed somebody else.
    DifferentPerson,
}

/// How a challenge ended.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "result")]
pub enum Outcome {
    /// Every step was done in order by one real, moving head.
    Passed,
    /// It failed.
    Failed(Failure),
}

/// Where a challenge is after a frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum Progress {
    /// Waiting for the person to follow `prompt`; `done` steps are complete.
    Asking {
        /// What to show the person.
        prompt: Prompt,
        /// Steps done so far.
        done: usize,
    },
    /// Finished.
    Finished(Outcome),
}

impl Progress {
    /// The challenge has ended.
    pub fn is_finished(&self) -> bool {
        matches!(self, Progress::Finished(_))
    }
}

/// A step seen and when.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    /// The step.
    pub step: Step,
    /// Ms after the first face.
    pub at_ms: f64,
}

fn median(values: &[f32]) -> Option<f32> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f32::total_cmp);
    sorted.get(sorted.len() / 2).copied()
}

/// A running challenge. Feed it every frame with [`Check::push`] until it is finished.
#[derive(Debug, Clone)]
pub struct Check {
    challenge: Challenge,
    /// When the clock started: [`Check::start`], or the first frame.
    clock: Option<f64>,
    /// Time of the latest frame used.
    latest: Option<f64>,
    /// Time, pose and landmarks of the first face.
    start: Option<(f64, Pose, Landmarks)>,
    prompt_since: f64,
    prompt: Prompt,
    done: Vec<Done>,
    /// Parallax of each frame where the head had moved past a step's threshold.
    moved: Vec<f32>,
    /// The landmarks of those frames (for the bent-picture test, [`super::relief`]).
    moved_landmarks: Vec<Landmarks>,
    /// Eye opening of the frames facing the camera (the start's pose), corrected for tilt.
    open_eyes: Vec<f32>,
    /// The face's height over width ([`Landmarks::aspect`]) on those frames.
    aspects: Vec<f32>,
    /// The face's heights above and below the eye line ([`Landmarks::halves`]) on those frames.
    halves: Vec<[f32; 2]>,
    /// The asked blink's eyes have been seen closed: it is done when they open again.
    closed: bool,
    /// Face frames in a row, up to now, with the eyes under [`SLIGHT_BLINK_RATIO`] (facing the
    /// camera, face not squashed).
    dipped: usize,
    frames: usize,
    face_frames: usize,
    outcome: Option<Outcome>,
}

/// What a challenge asked and saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The steps asked, in order.
    pub asked: Vec<Step>,
    /// The steps seen, in order, with their times.
    pub done: Vec<Done>,
    /// Frames pushed, and frames with one face.
    pub frames: usize,
    /// Frames with exactly one face.
    pub face_frames: usize,
    /// Parallax of the head's landmarks (median over the frames where it had turned or nodded,
    /// eye distances; at least 0.07 to pass).
    pub parallax: f32,
    /// How the relief of the head's landmarks is curved over those frames: the ratio of its
    /// principal curvatures (see `liveness::relief`; 0 for paper bent one way, 1 for a sphere,
    /// negative for a saddle); `None` before the head moved. Measured, not decided on: on
    /// rendered LFW clips FaceMesh's landmarks gave live heads and bent prints overlapping ratios
    /// (50 people: live 0.05-0.32 or a saddle near -0.9; bent prints -0.52-0.50, median 0.14), so
    /// a bent print is refused by the blink it cannot do instead.
    pub relief: Option<f32>,
    /// The ending; `None` while running.
    pub outcome: Option<Outcome>,
}

impl Check {
    /// Starts `challenge`; the clock starts with the first frame.
    pub fn new(challenge: Challenge) -> Check {
        Check {
            challenge,
            clock: None,
            latest: None,
            start: None,
            prompt_since: 0.0,
            prompt: Prompt::Centre,
            done: Vec::new(),
            moved: Vec::new(),
            moved_landmarks: Vec::new(),
            open_eyes: Vec::new(),
            aspects: Vec::new(),
            halves: Vec::new(),
            closed: false,
            dipped: 0,
            frames: 0,
            face_frames: 0,
            outcome: None,
        }
    }

    /// The challenge being run.
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    /// Starts the clock at `t` (ms) unless a frame already has: the time limits then count
    /// from here whether frames come or not (see [`Check::expire`]).
    pub fn start(&mut self, t: f64) {
        self.clock.get_or_insert_with(|| {
            self.prompt_since = t;
            t
        });
    }

    /// When the current prompt, or the whole challenge, runs out (ms, the frames' clock);
    /// `None` before the clock starts and after the end.
    pub fn deadline(&self) -> Option<f64> {
        let Timing { step_ms, total_ms } = self.challenge.timing;
        let started = self.clock.filter(|_| self.outcome.is_none())?;
        Some((self.prompt_since + step_ms).min(started + total_ms))
    }

    /// Ends the challenge with a timeout when `t` has reached its deadline without the frame
    /// that would have moved it on (a camera that stopped delivering); else nothing changes.
    pub fn expire(&mut self, t: f64) -> Progress {
        if self.deadline().is_some_and(|deadline| t >= deadline) {
            self.outcome = Some(Outcome::Failed(Failure::Timeout { prompt: self.prompt }));
        }
        self.progress()
    }

    /// Where the challenge is.
    pub fn progress(&self) -> Progress {
        match self.outcome {
            Some(outcome) => Progress::Finished(outcome),
            None => Progress::Asking { prompt: self.prompt, done: self.steps_done() },
        }
    }

    /// A frame taken at `t` would be older than the latest one used: it is refused.
    pub fn is_stale(&self, t: f64) -> bool {
        self.latest.is_some_and(|latest| t < latest) || !t.is_finite()
    }

    /// Takes one frame's observation and says what to ask next, or how it ended. A frame
    /// older than the latest one ([`Check::is_stale`]) is refused: nothing changes.
    pub fn push(&mut self, observation: Observation) -> Progress {
        if self.outcome.is_some() || self.is_stale(observation.t_ms) {
            return self.progress();
        }
        self.frames += 1;
        let t = observation.t_ms;
        self.latest = Some(t);
        self.start(t);
        let started = self.clock.unwrap_or(t);
        let outcome = match observation.seen {
            Seen::MultipleFaces => Some(Outcome::Failed(Failure::MultipleFaces)),
            Seen::Face { same_person: false, .. } => Some(Outcome::Failed(Failure::DifferentPerson)),
            Seen::Face { pose, landmarks, .. } => {
                self.face_frames += 1;
                self.face(t, pose, landmarks)
            }
            Seen::NoFace => None,
        };
        let Timing { step_ms, total_ms } = self.challenge.timing;
        let late = t - self.prompt_since > step_ms || t - started > total_ms;
        self.outcome = outcome.or(late.then_some(Outcome::Failed(Failure::Timeout { prompt: self.prompt })));
        self.progress()
    }

    /// A frame with one face of the right person.
    fn face(&mut self, t: f64, pose: Pose, landmarks: Landmarks) -> Option<Outcome> {
        let Some((t0, base, first)) = &self.start else {
            self.start = Some((t, pose, landmarks));
            self.ask_next(t);
            return None;
        };
        let (dyaw, dpitch) = (pose.yaw - base.yaw, pose.pitch - base.pitch);
        let centred = dyaw.abs() < CENTRE_DEGREES.0 && dpitch.abs() < CENTRE_DEGREES.1;
        let open = median(&self.open_eyes).unwrap_or(base.eyes);
        // A picture tilted back (or flexed) about the eye line shrinks the eyes' opening with
        // the whole face's height: the opening is read as if the face had its usual height, so
        // only lids that close on their own are a blink.
        let aspect = landmarks.aspect();
        let usual = median(&self.aspects).unwrap_or_else(|| first.aspect());
        let pose = Pose { eyes: pose.eyes * (usual / aspect.max(f32::EPSILON)).max(1.0), ..pose };
        let halves = landmarks.halves();
        let usual_halves = [0, 1].map(|k| {
            median(&self.halves.iter().map(|h| h[k]).collect::<Vec<_>>()).unwrap_or_else(|| first.halves()[k])
        });
        let squashed = (0..2).any(|k| halves[k] < SQUASHED * usual_halves[k]);
        if centred {
            self.open_eyes.push(pose.eyes);
            self.aspects.push(aspect);
            self.halves.push(halves);
        }
        // Eyes that can be read (facing the camera, a face of its usual shape) that are shut, or
        // nearly shut for a moment.
        let readable = centred && !squashed;
        self.dipped = if readable && pose.eyes <= SLIGHT_BLINK_RATIO * open { self.dipped + 1 } else { 0 };
        let shut = readable && (pose.eyes <= BLINK_RATIO * open || self.dipped >= SLIGHT_BLINK_FRAMES);
        let eyes_open = pose.eyes > SLIGHT_BLINK_RATIO * open;
        let moves = [
            (Step::TurnLeft, dyaw >= TURN_DEGREES),
            (Step::TurnRight, dyaw <= -TURN_DEGREES),
            (Step::LookUp, dpitch >= NOD_DEGREES),
            (Step::LookDown, dpitch <= -NOD_DEGREES),
            // Only facing the camera: a turned head foreshortens the far eye.
            (Step::Blink, shut),
        ];
        if moves.iter().any(|&(step, seen)| seen && step != Step::Blink) {
            self.moved.push(first.parallax(&landmarks));
            self.moved_landmarks.push(landmarks);
        }
        let at_ms = t - t0;
        match self.prompt {
            Prompt::Centre => {
                if centred && eyes_open {
                    self.ask_next(t);
                }
                None
            }
            Prompt::Step(expected) => {
                let seen = moves.iter().any(|&(step, seen)| step == expected && seen);
                // A blink closes the eyes and opens them again (a frozen frame with a closed eye
                // is not one).
                let done = match expected {
                    Step::Blink if seen => {
                        self.closed = true;
                        false
                    }
                    Step::Blink => self.closed && eyes_open,
                    _ => seen,
                };
                if done {
                    self.done.push(Done { step: expected, at_ms });
                    if self.done.len() == self.challenge.steps.len() {
                        return Some(self.verdict());
                    }
                    self.prompt = Prompt::Centre;
                    self.prompt_since = t;
                    return None;
                }
                // A blink is not a wrong move: people blink without being asked.
                let wrong = moves.iter().find(|&&(step, seen)| seen && step != Step::Blink);
                wrong.map(|&(seen, _)| Outcome::Failed(Failure::WrongMove { expected, seen }))
            }
        }
    }

    /// Asks for the next step after the centre.
    fn ask_next(&mut self, t: f64) {
        self.closed = false;
        self.prompt = Prompt::Step(self.challenge.steps[self.done.len()]);
        self.prompt_since = t;
    }

    /// Median parallax of the frames where the head had moved (0 when it never did).
    fn parallax(&self) -> f32 {
        median(&self.moved).unwrap_or(0.0)
    }

    /// The ratio of the landmarks' relief's principal curvatures over the frames where the head
    /// had moved ([`super::relief`]; `None` before it moved). Reported, not decided on: see
    /// [`Report::relief`].
    fn relief(&self) -> Option<f32> {
        let (_, _, first) = self.start.as_ref()?;
        curvature_ratio(first, &self.moved_landmarks)
    }

    fn verdict(&self) -> Outcome {
        let parallax = self.parallax();
        if parallax >= MIN_PARALLAX {
            Outcome::Passed
        } else {
            Outcome::Failed(Failure::Flat { parallax, needed: MIN_PARALLAX })
        }
    }

    /// How it ended; `None` while running.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// How many steps are done.
    pub fn steps_done(&self) -> usize {
        self.done.len()
    }

    /// What was asked and seen so far.
    pub fn report(&self) -> Report {
        Report {
            asked: self.challenge.steps.clone(),
            done: self.done.clone(),
            frames: self.frames,
            face_frames: self.face_frames,
            parallax: self.parallax(),
            relief: self.relief(),
            outcome: self.outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landmarks::Point3;
    use crate::liveness::synthetic::{head, surface};

    /// Frames 100 ms apart: (yaw, pitch, eyes open) per frame.
    fn run(steps: &[Step], poses: &[(f32, f32, f32)]) -> (Progress, Report) {
        let mut check = Check::new(Challenge::new(steps.to_vec(), Timing::default()).unwrap());
        let mut last = Progress::Asking { prompt: Prompt::Centre, done: 0 };
        for (i, &(yaw, pitch, open)) in poses.iter().enumerate() {
            let seen = Seen::face(&head(yaw, pitch, (i as f32, 0.0)), [0.3 * open; 2], true).unwrap();
            last = check.push(Observation { t_ms: i as f64 * 100.0, seen });
        }
        (last, check.report())
    }

    /// A head doing `steps` one after another, 0.5 s each, back to the centre in between.
    fn perform(steps: &[Step]) -> Vec<(f32, f32, f32)> {
        let mut poses = vec![(0.0, 0.0, 1.0); 3];
        for step in steps {
            let pose = match step {
                Step::TurnLeft => (25.0, 0.0, 1.0),
                Step::TurnRight => (-25.0, 0.0, 1.0),
                Step::LookUp => (0.0, 18.0, 1.0),
                Step::LookDown => (0.0, -18.0, 1.0),
                Step::Blink => (0.0, 0.0, 0.1),
            };
            poses.extend([pose; 3]);
            poses.extend([(0.0, 0.0, 1.0); 2]);
        }
        poses
    }

    #[test]
    fn a_head_doing_the_steps_in_order_passes() {
        for steps in
            [vec![Step::TurnLeft, Step::Blink], vec![Step::LookDown, Step::TurnRight, Step::Blink, Step::LookUp]]
        {
            let (progress, report) = run(&steps, &perform(&steps));
            assert_eq!(progress, Progress::Finished(Outcome::Passed), "{report:?}");
            assert_eq!(report.done.iter().map(|d| d.step).collect::<Vec<_>>(), steps);
            assert!(report.parallax >= MIN_PARALLAX, "{report:?}");
            assert!(report.relief.is_some_and(|r| r > 0.3), "curved both ways: {report:?}");
        }
    }

    #[test]
    fn prompts_follow_the_challenge() {
        let steps = [Step::Blink, Step::TurnLeft];
        let poses = perform(&steps);
        let (progress, _) = run(&steps, &poses[..1]);
        assert_eq!(progress, Progress::Asking { prompt: Prompt::Step(Step::Blink), done: 0 });
        // Eyes closed and not yet open again (or a frozen frame): not a blink yet.
        let (progress, _) = run(&steps, &poses[..6]);
        assert_eq!(progress, Progress::Asking { prompt: Prompt::Step(Step::Blink), done: 0 });
        let (progress, _) = run(&steps, &poses[..7]);
        assert_eq!(progress, Progress::Asking { prompt: Prompt::Centre, done: 1 });
        let (progress, _) = run(&steps, &poses[..8]);
        assert_eq!(progress, Progress::Asking { prompt: Prompt::Step(Step::TurnLeft), done: 1 });
    }

    #[test]
    fn a_slight_blink_needs_two_frames_in_a_row() {
        let steps = [Step::Blink, Step::TurnLeft];
        let with = |dip: &[f32]| {
            let mut poses = vec![(0.0, 0.0, 1.0); 3];
            poses.extend(dip.iter().map(|&eyes| (0.0, 0.0, eyes)));
            poses.extend([(0.0, 0.0, 1.0), (25.0, 0.0, 1.0), (25.0, 0.0, 1.0)]);
            run(&steps, &poses)
        };
        let blinked = |(progress, report): (Progress, Report)| match progress {
            Progress::Finished(Outcome::Failed(Failure::WrongMove { .. })) => false,
            _ => report.done.first().is_some_and(|d| d.step == Step::Blink),
        };
        assert!(blinked(with(&[0.7])), "shut on one frame");
        assert!(blinked(with(&[0.8, 0.8])), "nearly shut on two frames in a row");
        assert!(!blinked(with(&[0.8])), "nearly shut on one frame only");
        assert!(!blinked(with(&[0.8, 0.9, 0.8])), "not in a row");
        assert!(!blinked(with(&[0.86, 0.86, 0.86])), "barely narrowed");
    }

    #[test]
    fn the_wrong_move_fails_and_an_unasked_blink_does_not() {
        let (progress, _) = run(&[Step::TurnLeft, Step::Blink], &perform(&[Step::TurnRight, Step::Blink]));
        let wrong = Failure::WrongMove { expected: Step::TurnLeft, seen: Step::TurnRight };
        assert_eq!(progress, Progress::Finished(Outcome::Failed(wrong)));
        let steps = [Step::TurnLeft, Step::Blink];
        let (progress, report) = run(&steps, &perform(&[Step::Blink, Step::TurnLeft]));
        assert_eq!(progress, Progress::Asking { prompt: Prompt::Step(Step::Blink), done: 1 }, "{report:?}");
    }

    #[test]
    fn too_slow_or_still_times_out() {
        let steps = [Step::TurnLeft, Step::Blink];
        let still = vec![(0.0, 0.0, 1.0); 45];
        let (progress, _) = run(&steps, &still);
        assert_eq!(
            progress,
            Progress::Finished(Outcome::Failed(Failure::Timeout { prompt: Prompt::Step(Step::TurnLeft) }))
        );
        // The turn comes 4.5 s after it was asked: later than the 4 s per step.
        let mut slow = vec![(0.0, 0.0, 1.0); 46];
        slow.extend(perform(&steps));
        let (progress, _) = run(&steps, &slow);
        assert!(matches!(progress, Progress::Finished(Outcome::Failed(Failure::Timeout { .. }))), "{progress:?}");
    }

    #[test]
    fn a_flat_picture_moved_like_a_head_fails() {
        // A card: the frontal landmarks moved by the card's own turn (a plane), while the mesh's
        // depth says the head turned (FaceMesh reading a tilted photo may well say so).
        let steps = [Step::TurnLeft, Step::Blink, Step::LookUp];
        let mut check = Check::new(Challenge::new(steps.to_vec(), Timing::default()).unwrap());
        let flat = |yaw: f32, pitch: f32| {
            let front = head(0.0, 0.0, (0.0, 0.0));
            let turned = head(yaw, pitch, (0.0, 0.0));
            let (sy, cy) = yaw.to_radians().sin_cos();
            let (sp, cp) = pitch.to_radians().sin_cos();
            let points = front
                .all()
                .unwrap()
                .iter()
                .zip(turned.all().unwrap())
                .map(|(p, t)| {
                    let (x, y) = (p.x - 320.0, p.y - 240.0);
                    let (x, z) = (cy * x, sy * x + 100.0);
                    let (y, z) = (cp * y, -sp * y + z);
                    let k = 600.0 / (600.0 + z);
                    crate::landmarks::Point3 { x: 320.0 + x * k, y: 240.0 + y * k, z: t.z }
                })
                .collect();
            Mesh::new(points, 1.0).unwrap()
        };
        let mut last = None;
        let poses = perform(&steps);
        for (i, &(yaw, pitch, open)) in poses.iter().enumerate() {
            // (A picture cannot blink; this one's eyes close anyway, to get to the verdict.)
            let seen = Seen::face(&flat(yaw, pitch), [0.3 * open; 2], true).unwrap();
            last = Some(check.push(Observation { t_ms: i as f64 * 100.0, seen }));
        }
        let report = check.report();
        assert!(matches!(last, Some(Progress::Finished(Outcome::Failed(Failure::Flat { .. })))), "{last:?} {report:?}");
        assert_eq!(report.done.len(), 3, "the moves were seen, the parallax was not");
    }

    #[test]
    fn a_bent_picture_moved_like_a_head_cannot_blink() {
        // The face on paper bent round a vertical, horizontal or oblique cylinder, turned and
        // nodded like a head, its mesh's depth saying so, with parallax: it cannot blink. (Its
        // relief is curved one way only; with exact landmarks that shows.)
        for axis in [0.0, 90.0, 45.0] {
            let steps = [Step::TurnLeft, Step::LookDown, Step::Blink];
            let mut check = Check::new(Challenge::new(steps.to_vec(), Timing::default()).unwrap());
            let mut last = None;
            let frames = perform(&steps).into_iter().map(|(yaw, pitch, _)| (yaw, pitch)).chain([(0.0, 0.0); 40]);
            for (i, (yaw, pitch)) in frames.enumerate() {
                let (bent, turned) = (surface(axis, 45.0, yaw, pitch), head(yaw, pitch, (0.0, 0.0)));
                let points =
                    bent.all().unwrap().iter().zip(turned.all().unwrap()).map(|(p, t)| Point3 { z: t.z, ..*p });
                let mesh = Mesh::new(points.collect(), 1.0).unwrap();
                let seen = Seen::face(&mesh, [0.3; 2], true).unwrap();
                last = Some(check.push(Observation { t_ms: i as f64 * 100.0, seen }));
            }
            let report = check.report();
            let timeout = Progress::Finished(Outcome::Failed(Failure::Timeout { prompt: Prompt::Step(Step::Blink) }));
            assert_eq!(last, Some(timeout), "{report:?}");
            assert!(report.parallax >= MIN_PARALLAX, "bending gives parallax: {report:?}");
            assert!(report.relief.is_some_and(|r| r.abs() < 0.1), "curved one way: {report:?}");
        }
    }

    #[test]
    fn a_picture_tilted_back_does_not_blink() {
        // A photo tilted back by 55 degrees about the eye line, read by FaceMesh as facing the
        // camera: its eyes open 0.57 as wide, and so is the whole face.
        let steps = [Step::Blink, Step::TurnLeft];
        let mut check = Check::new(Challenge::new(steps.to_vec(), Timing::default()).unwrap());
        let front = head(0.0, 0.0, (0.0, 0.0));
        let tilted = |tilt: f32| {
            let k = tilt.to_radians().cos();
            let eyes = 240.0 - 30.0 * 600.0 / 555.0;
            let points = front.all().unwrap().iter().map(|p| Point3 { y: eyes + (p.y - eyes) * k, ..*p });
            (Mesh::new(points.collect(), 1.0).unwrap(), 0.3 * k)
        };
        let mut last = None;
        for (i, tilt) in [0.0, 0.0, 0.0, 30.0, 55.0, 55.0, 55.0, 30.0, 0.0, 0.0].into_iter().enumerate() {
            let (mesh, eyes) = tilted(tilt);
            let seen = Seen::face(&mesh, [eyes; 2], true).unwrap();
            last = Some(check.push(Observation { t_ms: i as f64 * 100.0, seen }));
        }
        assert_eq!(last, Some(Progress::Asking { prompt: Prompt::Step(Step::Blink), done: 0 }), "{:?}", check.report());
        // Squashed to 0.8 with the eyes squashed to a tenth (more than the face: a print flexed
        // at the eyes): corrected they would read as closed, but a squashed face cannot blink.
        let mut check = Check::new(Challenge::new(steps.to_vec(), Timing::default()).unwrap());
        for (i, tilt) in [0.0, 0.0, 0.0, 36.9, 36.9, 36.9, 0.0, 0.0].into_iter().enumerate() {
            let (mesh, eyes) = tilted(tilt);
            let seen = Seen::face(&mesh, [if tilt > 0.0 { 0.03 } else { eyes }; 2], true).unwrap();
            last = Some(check.push(Observation { t_ms: i as f64 * 100.0, seen }));
        }
        assert_eq!(last, Some(Progress::Asking { prompt: Prompt::Step(Step::Blink), done: 0 }), "{:?}", check.report());
    }

    #[test]
    fn another_face_or_person_fails_at_once() {
        let mut check = Check::new(Challenge::new(vec![Step::TurnLeft, Step::Blink], Timing::default()).unwrap());
        let me = Seen::face(&head(0.0, 0.0, (0.0, 0.0)), [0.3; 2], true).unwrap();
        assert!(matches!(check.push(Observation { t_ms: 0.0, seen: me.clone() }), Progress::Asking { .. }));
        let other = Seen::face(&head(0.0, 0.0, (0.0, 0.0)), [0.3; 2], false).unwrap();
        let failed = Progress::Finished(Outcome::Failed(Failure::DifferentPerson));
        assert_eq!(check.push(Observation { t_ms: 100.0, seen: other }), failed);
        assert_eq!(check.push(Observation { t_ms: 200.0, seen: me }), failed, "finished stays finished");
        let mut check = Check::new(Challenge::new(vec![Step::TurnLeft, Step::Blink], Timing::default()).unwrap());
        let two = check.push(Observation { t_ms: 0.0, seen: Seen::MultipleFaces });
        assert_eq!(two, Progress::Finished(Outcome::Failed(Failure::MultipleFaces)));
    }

    #[test]
    fn the_limits_hold_without_frames_and_old_frames_are_refused() {
        let timing = Timing { step_ms: 4_000.0, total_ms: 5_500.0 };
        let mut check = Check::new(Challenge::new(vec![Step::TurnLeft, Step::Blink], timing).unwrap());
        assert_eq!(check.deadline(), None, "no clock yet");
        check.start(1_000.0);
        assert_eq!(check.deadline(), Some(5_000.0));
        let asking = Progress::Asking { prompt: Prompt::Centre, done: 0 };
        assert_eq!(check.expire(4_999.0), asking);
        let face =
            |t_ms: f64| Observation { t_ms, seen: Seen::face(&head(0.0, 0.0, (0.0, 0.0)), [0.3; 2], true).unwrap() };
        let turn = Progress::Asking { prompt: Prompt::Step(Step::TurnLeft), done: 0 };
        assert_eq!(check.push(face(3_000.0)), turn);
        assert_eq!(check.deadline(), Some(6_500.0), "the challenge's 5.5 s end before the prompt's 4 s");
        assert_eq!(check.push(face(2_999.0)), turn, "an older frame is refused");
        assert_eq!(check.report().frames, 1);
        let timeout = Progress::Finished(Outcome::Failed(Failure::Timeout { prompt: Prompt::Step(Step::TurnLeft) }));
        assert_eq!(check.expire(6_500.0), timeout, "no frame came: the limit holds");
        assert_eq!((check.deadline(), check.push(face(6_600.0))), (None, timeout));
    }

    #[test]
    fn prompts_serialise_as_names() {
        assert_eq!(serde_json::to_string(&Prompt::Centre).unwrap(), r#""centre""#);
        assert_eq!(serde_json::to_string(&Prompt::Step(Step::TurnLeft)).unwrap(), r#""turnLeft""#);
        let timeout = Failure::Timeout { prompt: Prompt::Step(Step::Blink) };
        assert_eq!(serde_json::to_string(&timeout).unwrap(), r#"{"reason":"timeout","prompt":"blink"}"#);
    }

    #[test]
    fn challenges_are_checked_and_drawn_at_random() {
        let t = Timing::default();
        assert!(Challenge::new(vec![Step::Blink], t).is_err());
        assert!(Challenge::new(vec![Step::TurnLeft, Step::TurnLeft], t).is_err());
        assert!(Challenge::new(vec![Step::TurnLeft, Step::LookUp], t).is_err(), "no blink");
        assert!(Challenge::new(vec![Step::TurnLeft, Step::Blink], Timing { step_ms: 0.0, ..t }).is_err());
        assert!(Challenge::random(1, t).is_err() && Challenge::random(6, t).is_err());
        let drawn: std::collections::HashSet<Vec<Step>> =
            (0..50).map(|_| Challenge::random(2, t).unwrap().steps().to_vec()).collect();
        assert!(drawn.len() > 5, "50 draws gave {} different challenges", drawn.len());
        assert!(drawn.iter().all(|s| s.len() == 2 && s[0] != s[1] && s.contains(&Step::Blink)));
        for count in 2..=5 {
            let steps = Challenge::random(count, t).unwrap().steps().to_vec();
            assert_eq!((steps.len(), steps.iter().filter(|&&s| s == Step::Blink).count()), (count, 1), "{steps:?}");
        }
    }
}
