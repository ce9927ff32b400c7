//! Per-stage timing of the pipeline on one frame with the caller's clock: `facegate bench`
//! natively and `FaceVerifier.profile` in the browser, so the two compare stage by stage.

use crate::error::Error;
use crate::frame::Frame;
use crate::pipeline::{Pipeline, Selection};
use serde::Serialize;

/// Most timed runs of one profile (each is a whole pipeline pass).
pub const MAX_RUNS: usize = 1000;

/// Median, 10th and 90th percentile of one stage over the timed runs, milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Spread {
    /// The median.
    pub median_ms: f64,
    /// The 10th percentile (nearest rank).
    pub p10_ms: f64,
    /// The 90th percentile (nearest rank).
    pub p90_ms: f64,
}

impl Spread {
    fn of(mut samples: Vec<f64>) -> Spread {
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Spread { median_ms: at(0.5), p10_ms: at(0.1), p90_ms: at(0.9) }
    }
}

/// How long each stage took.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageTimes {
    /// Runs timed, after one warm-up run.
    pub runs: usize,
    /// Whether the embedding included the mirror image (two passes of the embedder).
    pub flip: bool,
    /// Getting the frame: decoding the file natively, reading the source in the browser.
    pub read: Spread,
    /// Detection and the choice of the face.
    pub detect: Spread,
    /// Landmarks (FaceMesh, or BlazeFace's keypoints) and the 112x112 alignment.
    pub landmarks_align: Spread,
    /// The embedder (twice with `flip`).
    pub embed: Spread,
    /// Detect, landmarks, align and embed (without reading).
    pub total: Spread,
}

/// Times `runs` passes (after one untimed warm-up) of: `read` the frame, find its face by
/// `selection`, align it, embed it. `now` is a clock in milliseconds. `runs` must be 1 to
/// [`MAX_RUNS`]; the first error of a pass ends the profile.
pub fn profile<E: From<Error>>(
    pipeline: &Pipeline,
    selection: Selection,
    runs: usize,
    mut read: impl FnMut() -> Result<Frame, E>,
    now: impl Fn() -> f64,
) -> Result<StageTimes, E> {
    if !(1..=MAX_RUNS).contains(&runs) {
        return Err(Error::InvalidArgument(format!("runs must be 1 to {MAX_RUNS}, not {runs}")).into());
    }
    let mut times: [Vec<f64>; 5] = std::array::from_fn(|_| Vec::with_capacity(runs));
    for run in 0..=runs {
        let t0 = now();
        let frame = read()?;
        let t1 = now();
        let face = pipeline.select(&frame, selection)?;
        let t2 = now();
        let aligned = pipeline.align(&frame, &face)?;
        let t3 = now();
        pipeline.embed_aligned(&aligned)?;
        let t4 = now();
        if run > 0 {
            for (samples, (a, b)) in times.iter_mut().zip([(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t1, t4)]) {
                samples.push(b - a);
            }
        }
    }
    let [read, detect, landmarks_align, embed, total] = times.map(Spread::of);
    Ok(StageTimes { runs, flip: pipeline.options().flip, read, detect, landmarks_align, embed, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_takes_the_median_and_outer_deciles() {
        let s = Spread::of((1..=11).rev().map(f64::from).collect());
        assert_eq!((s.median_ms, s.p10_ms, s.p90_ms), (6.0, 2.0, 10.0));
    }
}
