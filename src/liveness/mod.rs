//! Liveness: a random challenge of head movements and a blink, read from FaceMesh's 3-D points
//! and the iris model's eyelids, that a picture cannot pass: every challenge has a blink (no
//! printed photo, flat or bent, closes its eyes; tilting one to squash the eyes squashes the
//! whole face too, which the blink is corrected for), a flat picture moves its landmarks by a
//! homography ([`planar`]), and a bent one is curved one way only ([`relief`]).

use serde::{Deserialize, Serialize};

/// One thing the person in front of the camera is asked to do. Directions are the person's own:
/// turning to their left moves the nose towards the image's right (+x) in an unmirrored camera
/// frame; looking up moves it towards the top (-y).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    /// Turn the head to the person's left.
    TurnLeft,
    /// Turn the head to the person's right.
    TurnRight,
    /// Tilt the head up.
    LookUp,
    /// Tilt the head down.
    LookDown,
    /// Close both eyes briefly.
    Blink,
}

impl Step {
    /// Every step.
    pub const ALL: [Step; 5] = [Step::TurnLeft, Step::TurnRight, Step::LookUp, Step::LookDown, Step::Blink];

    /// What to tell the person, in English.
    pub fn instruction(self) -> &'static str {
        match self {
            Step::TurnLeft => "Turn your head to your left",
            Step::TurnRight => "Turn your head to your right",
            Step::LookUp => "Tilt your head up",
            Step::LookDown => "Tilt your head down",
            Step::Blink => "Blink",
        }
    }
}

mod check;
mod planar;
mod pose;
mod relief;
mod session;

pub use check::{
    Check, Done, Failure, Observation, Outcome, Progress, Prompt, Report, Seen, BLINK_RATIO, MIN_PARALLAX,
};
pub use planar::Landmarks;
pub use pose::Pose;
pub use session::Session;

use crate::error::{Error, Result};

/// Time limits of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timing {
    /// Longest wait for each prompt (a step, or looking straight again), in ms.
    pub step_ms: f64,
    /// Longest whole challenge, in ms.
    pub total_ms: f64,
}

impl Default for Timing {
    /// 4 s per prompt, 15 s in all.
    fn default() -> Self {
        Timing { step_ms: 4_000.0, total_ms: 15_000.0 }
    }
}

/// What the person is asked to do, in order, and how long they have.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    steps: Vec<Step>,
    timing: Timing,
}

impl Challenge {
    /// Fewest steps of a challenge.
    pub const MIN_STEPS: usize = 2;

    /// A challenge of these steps: 2 to 5 different steps, one of them [`Step::Blink`] (so at
    /// least one is a head movement, which the picture tests need, and one is what no printed
    /// photo can do). An app choosing the steps (`LiveOptions.steps` in the browser) must
    /// include `"blink"`.
    pub fn new(steps: Vec<Step>, timing: Timing) -> Result<Challenge> {
        let distinct = steps.iter().enumerate().all(|(i, s)| !steps[..i].contains(s));
        if steps.len() < Self::MIN_STEPS || !distinct || !steps.contains(&Step::Blink) {
            return Err(Error::InvalidArgument(format!(
                "a challenge needs {} to 5 different steps, one of them a blink, not {steps:?}",
                Self::MIN_STEPS
            )));
        }
        let valid = |ms: f64| ms.is_finite() && ms > 0.0;
        if !valid(timing.step_ms) || !valid(timing.total_ms) {
            return Err(Error::InvalidArgument(format!("time limits must be positive: {timing:?}")));
        }
        Ok(Challenge { steps, timing })
    }

    /// `count` different steps drawn from the operating system's random source: a blink at a
    /// random place among `count - 1` different head movements in a random order.
    pub fn random(count: usize, timing: Timing) -> Result<Challenge> {
        if !(Self::MIN_STEPS..=Step::ALL.len()).contains(&count) {
            return Err(Error::InvalidArgument(format!("a challenge has 2 to 5 steps, not {count}")));
        }
        let mut bytes = [0u8; 8 * Step::ALL.len()];
        getrandom::fill(&mut bytes).map_err(|e| Error::InvalidArgument(format!("no random source: {e}")))?;
        let draws: Vec<u64> =
            bytes.chunks_exact(8).map(|c| c.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b))).collect();
        Challenge::new(Self::draw(count, &draws), timing)
    }

    /// `count` steps (2-5) from random numbers (at least `count`): a blink at a random place among
    /// `count - 1` different head movements in a random order. The same as [`Challenge::random`]
    /// for a seeded source (e.g. test clips).
    pub fn draw(count: usize, random: &[u64]) -> Vec<Step> {
        let mut pool: Vec<Step> = Step::ALL.into_iter().filter(|&s| s != Step::Blink).collect();
        let count = count.clamp(Self::MIN_STEPS, Step::ALL.len());
        let mut steps = Vec::with_capacity(count);
        for r in random.iter().take(count - 1) {
            steps.push(pool.swap_remove((r % pool.len() as u64) as usize));
        }
        let at = random.get(count - 1).map_or(0, |r| (r % count as u64) as usize);
        steps.insert(at.min(steps.len()), Step::Blink);
        steps
    }

    /// The steps, in the order asked.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The time limits.
    pub fn timing(&self) -> Timing {
        self.timing
    }
}

#[cfg(test)]
mod synthetic;
