//! Liveness: a random challenge of head movements and a blink, read from FaceMesh's 3-D points,
//! that a flat picture cannot pass.

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
}
