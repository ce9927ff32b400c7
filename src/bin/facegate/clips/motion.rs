//! Where the head (or the card) is at each instant of a clip: the steps laid out in time, each an
//! eased move to a pose and back, plus smooth random jitter.

use facegate::liveness::Step;
use rand::Rng;
use serde::Serialize;
use std::f64::consts::{PI, TAU};

/// A pose at one instant, in the person's own directions: `yaw` > 0 turns to the person's left
/// (the nose moves towards +x in the unmirrored image), `pitch` > 0 looks up (nose towards -y),
/// `roll` turns in the image plane (clockwise on screen). Angles in degrees; `dx`, `dy` a shift in
/// frame pixels; `scale` the size relative to the neutral photo; `closed` 0 = eyes open,
/// 1 = upper eyelids on the lower ones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pose {
    pub yaw: f64,
    pub pitch: f64,
    pub roll: f64,
    pub dx: f64,
    pub dy: f64,
    pub scale: f64,
    pub closed: f64,
}

impl Pose {
    /// Facing the camera, eyes open, where the photo is.
    pub const NEUTRAL: Pose = Pose { yaw: 0.0, pitch: 0.0, roll: 0.0, dx: 0.0, dy: 0.0, scale: 1.0, closed: 0.0 };
}

/// Blink phases in ms: closing, closed, opening, then open until the blink's slot ends.
const BLINK: [f64; 3] = [80.0, 240.0, 80.0];
/// A blink's slot in ms.
pub const BLINK_MS: f64 = 500.0;

/// One step performed: when, for how long, and how far.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Move {
    pub step: Step,
    /// Start, ms from the clip's start.
    pub start_ms: f64,
    /// From leaving neutral to being back (a turn or nod), or the blink's slot.
    pub duration_ms: f64,
    /// Peak angle in degrees (turns and nods).
    pub amplitude: f64,
    /// Peak shift in frame pixels along the nose's motion (cards mimicking a head).
    pub shift: f64,
}

impl Move {
    /// How far into the move the pose is at `t` (0 outside, 1 at the peak): ease out over 3/8 of
    /// the move, hold 1/4, ease back. For a blink: how closed the eyes are.
    pub fn weight(&self, t: f64) -> f64 {
        let s = t - self.start_ms;
        if s <= 0.0 || s >= self.duration_ms {
            return 0.0;
        }
        if self.step == Step::Blink {
            let [close, shut, open] = BLINK;
            return if s < close {
                ease(s / close)
            } else if s < close + shut {
                1.0
            } else {
                1.0 - ease((s - close - shut) / open)
            };
        }
        let ramp = self.duration_ms * 0.375;
        ease((s / ramp).min((self.duration_ms - s) / ramp).min(1.0))
    }

    /// The move's contribution to a pose at `t` (nothing from a blink but the eyelids).
    fn apply(&self, t: f64, pose: &mut Pose) {
        let w = self.weight(t);
        let (a, d) = (self.amplitude * w, self.shift * w);
        match self.step {
            Step::TurnLeft => (pose.yaw, pose.dx) = (pose.yaw + a, pose.dx + d),
            Step::TurnRight => (pose.yaw, pose.dx) = (pose.yaw - a, pose.dx - d),
            Step::LookUp => (pose.pitch, pose.dy) = (pose.pitch + a, pose.dy - d),
            Step::LookDown => (pose.pitch, pose.dy) = (pose.pitch - a, pose.dy + d),
            Step::Blink => pose.closed = pose.closed.max(w),
        }
    }
}

/// Smoothstep on 0..=1.
fn ease(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

/// How the steps are laid out in time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    /// Neutral before the first step, ms.
    pub lead_ms: f64,
    /// A turn or nod, ms (a blink always takes [`BLINK_MS`]).
    pub move_ms: f64,
    /// Standing still before each step, ms (0 for a prompt person).
    pub idle_ms: f64,
    /// Neutral after the last step, ms.
    pub tail_ms: f64,
}

/// Peak angles (degrees) and shifts (pixels) for turns and nods.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    pub yaw: (f64, f64),
    pub pitch: (f64, f64),
    pub shift: (f64, f64),
}

/// The steps in time, with random amplitudes within `reach`; returns the moves and the clip's length in ms.
pub fn lay_out(steps: &[Step], pacing: &Pacing, reach: &Reach, rng: &mut impl Rng) -> (Vec<Move>, f64) {
    let mut t = pacing.lead_ms;
    let mut moves = Vec::with_capacity(steps.len());
    for &step in steps {
        t += pacing.idle_ms;
        let (duration_ms, range) = match step {
            Step::Blink => (BLINK_MS, (0.0, 0.0)),
            Step::TurnLeft | Step::TurnRight => (pacing.move_ms, reach.yaw),
            Step::LookUp | Step::LookDown => (pacing.move_ms, reach.pitch),
        };
        let amplitude = rng.random_range(range.0..=range.1);
        let shift = rng.random_range(reach.shift.0..=reach.shift.1);
        moves.push(Move { step, start_ms: t, duration_ms, amplitude, shift });
        t += duration_ms;
    }
    (moves, t + pacing.tail_ms)
}

/// The pose at `t` from `moves` alone.
pub fn pose_at(moves: &[Move], t: f64) -> Pose {
    let mut pose = Pose::NEUTRAL;
    for m in moves {
        m.apply(t, &mut pose);
    }
    pose
}

/// Smooth random wander: per channel (yaw, pitch, roll, dx, dy, scale), a sum of three sines of
/// random frequency (0.15-1.2 Hz) and phase, at most `amplitude` in all.
pub struct Wander {
    waves: [[(f64, f64, f64); 3]; 6],
}

impl Wander {
    /// Channels' largest excursions: degrees for the angles, pixels for the shifts, a fraction for scale.
    pub fn new(amplitude: [f64; 6], rng: &mut impl Rng) -> Self {
        let waves = amplitude.map(|a| {
            let weights: [f64; 3] = std::array::from_fn(|_| rng.random_range(0.3..1.0));
            let sum: f64 = weights.iter().sum();
            weights.map(|w| (a * w / sum, rng.random_range(0.15..1.2) * TAU / 1e3, rng.random_range(0.0..TAU)))
        });
        Wander { waves }
    }

    /// Adds the wander at `t` ms to `pose`.
    pub fn apply(&self, t: f64, pose: &mut Pose) {
        let v = self.waves.map(|w| w.iter().map(|(a, f, p)| a * (f * t + p).sin()).sum::<f64>());
        pose.yaw += v[0];
        pose.pitch += v[1];
        pose.roll += v[2];
        pose.dx += v[3];
        pose.dy += v[4];
        pose.scale *= 1.0 + v[5];
    }
}

/// Degrees to radians.
pub fn radians(degrees: f64) -> f64 {
    degrees * PI / 180.0
}
