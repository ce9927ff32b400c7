//! Face detection with BlazeFace (short range): anchors, box decoding and weighted
//! non-maximum suppression, in frame coordinates.

use crate::error::Result;
use crate::frame::Frame;
use crate::geometry::{Point, Rect, Similarity};
use crate::model::{bundled, Layout, OnnxModel};
use serde::{Deserialize, Serialize};

const SIDE: usize = 128;
const ANCHORS: usize = 896;
const REGRESSORS: usize = 16;

/// One detected face, in the coordinates of the frame it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Face {
    /// The face box.
    pub bbox: Rect,
    /// The detector's confidence in 0..=1.
    pub detection_score: f32,
    /// BlazeFace keypoints: image-left eye, image-right eye, nose tip, mouth centre,
    /// image-left ear tragion, image-right ear tragion.
    pub keypoints: [Point; 6],
}

/// Detector settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorOptions {
    /// Minimum detector confidence for a face. MediaPipe uses 0.75; 0.6 finds a face in every
    /// LFW image (0.75 missed 4 of 7,701, all scoring 0.66-0.75).
    pub min_score: f32,
    /// Boxes overlapping more than this (IoU) are merged into one face.
    pub merge_iou: f32,
}

impl Default for DetectorOptions {
    fn default() -> Self {
        DetectorOptions { min_score: 0.6, merge_iou: 0.3 }
    }
}

/// BlazeFace front-camera detector (128x128 input), loaded once and reused.
#[derive(Clone)]
pub struct Detector {
    model: OnnxModel,
    anchors: Vec<Point>,
    options: DetectorOptions,
}

/// Anchor centres in input pixels: a 16x16 grid with 2 anchors a cell (stride 8), then an 8x8
/// grid with 6 anchors a cell (stride 16), row-major, a cell's anchors consecutive.
fn anchors() -> Vec<Point> {
    let mut out = Vec::with_capacity(ANCHORS);
    for (stride, per_cell) in [(8usize, 2usize), (16, 6)] {
        let cells = SIDE / stride;
        for y in 0..cells {
            for x in 0..cells {
                let c = Point::new((x as f32 + 0.5) * stride as f32, (y as f32 + 0.5) * stride as f32);
                out.extend(std::iter::repeat_n(c, per_cell));
            }
        }
    }
    out
}

/// The logistic function in `f32`, as the scores have always been computed
/// ([`crate::head::sigmoid`], in `f64`, rounds a quarter of `f32` logits differently).
fn sigmoid(logit: f32) -> f32 {
    1.0 / (1.0 + (-logit.clamp(-100.0, 100.0)).exp())
}

impl Detector {
    /// The bundled BlazeFace model with default options.
    pub fn new() -> Result<Self> {
        Self::from_bytes(bundled::BLAZEFACE_FRONT, DetectorOptions::default())
    }

    /// A BlazeFace-front ONNX model from bytes (same inputs and outputs as the bundled one).
    pub fn from_bytes(onnx: &[u8], options: DetectorOptions) -> Result<Self> {
        Ok(Detector {
            model: OnnxModel::load("blazeface", onnx, SIDE, Layout::AsWritten)?,
            anchors: anchors(),
            options,
        })
    }

    /// Every face in the frame, best score first. The frame is letterboxed into the square
    /// input, so non-square frames keep their aspect ratio.
    pub fn detect(&self, frame: &Frame) -> Result<Vec<Face>> {
        let long = frame.width().max(frame.height()) as f32;
        let scale = long / SIDE as f32;
        let to_frame = Similarity::new(
            scale,
            0.0,
            Point::new((frame.width() as f32 - long) / 2.0, (frame.height() as f32 - long) / 2.0),
        );
        let input = frame.warp(&to_frame, SIDE).into_iter().map(|v| v / 127.5 - 1.0).collect();
        let outputs = self.model.run(input)?;
        let logits = self.model.expect_len(&outputs, 0, ANCHORS)?;
        let regressors = self.model.expect_len(&outputs, 1, ANCHORS * REGRESSORS)?;
        let candidates: Vec<Face> = logits
            .iter()
            .enumerate()
            .filter_map(|(i, &logit)| {
                let score = sigmoid(logit);
                (score >= self.options.min_score).then(|| {
                    decode(self.anchors[i], &regressors[i * REGRESSORS..(i + 1) * REGRESSORS], score, &to_frame)
                })
            })
            .collect();
        Ok(weighted_nms(candidates, self.options.merge_iou))
    }
}

/// One anchor's regressors (input pixels, relative to the anchor) to a face in frame pixels.
fn decode(anchor: Point, reg: &[f32], score: f32, to_frame: &Similarity) -> Face {
    let scale = to_frame.scale();
    let centre = to_frame.apply(Point::new(anchor.x + reg[0], anchor.y + reg[1]));
    let (width, height) = (reg[2] * scale, reg[3] * scale);
    let mut keypoints = [Point::default(); 6];
    for (k, kp) in keypoints.iter_mut().enumerate() {
        *kp = to_frame.apply(Point::new(anchor.x + reg[4 + 2 * k], anchor.y + reg[5 + 2 * k]));
    }
    Face {
        bbox: Rect { x: centre.x - width / 2.0, y: centre.y - height / 2.0, width, height },
        detection_score: score,
        keypoints,
    }
}

/// Weighted non-maximum suppression (as in MediaPipe): the best remaining face absorbs every
/// face overlapping it by more than `iou`; box and keypoints become the score-weighted mean.
pub fn weighted_nms(mut faces: Vec<Face>, iou: f32) -> Vec<Face> {
    faces.sort_by(|a, b| b.detection_score.total_cmp(&a.detection_score));
    let mut out = Vec::new();
    while !faces.is_empty() {
        let best = faces[0].bbox;
        let (cluster, rest): (Vec<Face>, Vec<Face>) = faces.into_iter().partition(|f| f.bbox.iou(&best) > iou);
        faces = rest;
        // The best face overlaps itself, so the cluster is never empty.
        let Some(top) = cluster.first() else { break };
        let total: f32 = cluster.iter().map(|f| f.detection_score).sum();
        let mean = |get: &dyn Fn(&Face) -> f32| cluster.iter().map(|f| get(f) * f.detection_score).sum::<f32>() / total;
        let mut merged = top.clone();
        merged.bbox = Rect {
            x: mean(&|f| f.bbox.x),
            y: mean(&|f| f.bbox.y),
            width: mean(&|f| f.bbox.width),
            height: mean(&|f| f.bbox.height),
        };
        for k in 0..merged.keypoints.len() {
            merged.keypoints[k] = Point::new(mean(&|f| f.keypoints[k].x), mean(&|f| f.keypoints[k].y));
        }
        out.push(merged);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(x: f32, score: f32) -> Face {
        Face {
            bbox: Rect { x, y: 0.0, width: 10.0, height: 10.0 },
            detection_score: score,
            keypoints: [Point::new(x, 0.0); 6],
        }
    }

    #[test]
    fn anchor_layout() {
        let a = anchors();
        assert_eq!(a.len(), ANCHORS);
        assert_eq!((a[0], a[1]), (Point::new(4.0, 4.0), Point::new(4.0, 4.0)));
        assert_eq!(a[2], Point::new(12.0, 4.0));
        assert_eq!(a[511], Point::new(124.0, 124.0));
        assert_eq!(a[512], Point::new(8.0, 8.0));
        assert_eq!(a[895], Point::new(120.0, 120.0));
    }

    #[test]
    fn nms_merges_overlaps_weighted_by_score_and_keeps_separate_faces() {
        let out = weighted_nms(vec![face(0.0, 0.9), face(50.0, 0.8), face(2.0, 0.3)], 0.3);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].detection_score, 0.9);
        let expected = (0.0 * 0.9 + 2.0 * 0.3) / 1.2;
        assert!((out[0].bbox.x - expected).abs() < 1e-5);
        assert!((out[0].keypoints[3].x - expected).abs() < 1e-5);
        assert_eq!(out[1].bbox.x, 50.0);
        assert!(weighted_nms(Vec::new(), 0.3).is_empty());
    }

    #[test]
    fn decode_maps_input_pixels_to_frame_pixels() {
        let to_frame = Similarity::new(2.0, 0.0, Point::new(0.0, -64.0));
        let mut reg = [0.0f32; REGRESSORS];
        reg[..4].copy_from_slice(&[1.0, -1.0, 20.0, 30.0]);
        reg[4] = 5.0;
        let f = decode(Point::new(64.0, 64.0), &reg, 0.9, &to_frame);
        assert_eq!(f.bbox, Rect { x: 130.0 - 20.0, y: 62.0 - 30.0, width: 40.0, height: 60.0 });
        assert_eq!(f.keypoints[0], Point::new(138.0, 64.0));
    }
}
