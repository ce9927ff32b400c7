//! Landmarks for alignment: FaceMesh (468 points) refined from a detected face, reduced to the
//! five points of the ArcFace template.

use crate::detect::Face;
use crate::error::Result;
use crate::frame::Frame;
use crate::geometry::{Point, Similarity};
use crate::model::{bundled, Layout, OnnxModel};

const SIDE: usize = 192;
const POINTS: usize = 468;

/// Five facial points, image-left to image-right: eye centres, nose tip, mouth corners.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FivePoints(pub [Point; 5]);

/// A FaceMesh point: x, y in frame pixels; z is depth relative to the face's centre, in the same
/// pixel scale (smaller is nearer the camera).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point3 {
    /// Horizontal position, frame pixels.
    pub x: f32,
    /// Vertical position, frame pixels.
    pub y: f32,
    /// Depth, frame-pixel scale; negative towards the camera.
    pub z: f32,
}

impl Point3 {
    /// The point in the image plane.
    pub fn xy(self) -> Point {
        Point::new(self.x, self.y)
    }
}

/// FaceMesh's output for one face: 468 points with depth (MediaPipe's canonical numbering) and
/// the probability that the crop shows a face.
#[derive(Debug, Clone, PartialEq)]
pub struct Mesh {
    /// The 468 points.
    pub points: Vec<Point3>,
    /// Face-presence probability.
    pub presence: f32,
}

/// How the alignment points are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LandmarkSource {
    /// FaceMesh on a rotated crop around the detection: five points (most accurate).
    #[default]
    FaceMesh,
    /// BlazeFace's own keypoints: eyes, nose, and the mouth centre for both corners (faster).
    BlazeFace,
}

/// FaceMesh landmark model (192x192 input), loaded once.
#[derive(Clone)]
pub struct Landmarker {
    model: OnnxModel,
    /// Crop side relative to the larger side of the detector's box.
    crop_scale: f32,
}

impl Landmarker {
    /// The bundled FaceMesh model.
    pub fn new() -> Result<Self> {
        Self::from_bytes(bundled::FACEMESH)
    }

    /// A FaceMesh ONNX model from bytes (same inputs and outputs as the bundled one).
    pub fn from_bytes(onnx: &[u8]) -> Result<Self> {
        Ok(Landmarker { model: OnnxModel::load("facemesh", onnx, SIDE, Layout::AsWritten)?, crop_scale: 1.5 })
    }

    /// The 468 FaceMesh points (x, y in frame pixels) and the face-presence probability, from a
    /// square crop around `face`, rotated so its eyes are level.
    pub fn mesh(&self, frame: &Frame, face: &Face) -> Result<(Vec<Point>, f32)> {
        let mesh = self.mesh3d(frame, face)?;
        Ok((mesh.points.iter().map(|p| p.xy()).collect(), mesh.presence))
    }

    /// The 468 FaceMesh points with depth (see [`Mesh`]).
    pub fn mesh3d(&self, frame: &Frame, face: &Face) -> Result<Mesh> {
        let [left_eye, right_eye, ..] = face.keypoints;
        let angle = (right_eye.y - left_eye.y).atan2(right_eye.x - left_eye.x);
        let side = face.bbox.width.max(face.bbox.height) * self.crop_scale;
        let centre = face.bbox.center();
        let rotate = Similarity::new(side / SIDE as f32, angle, Point::default());
        let half = rotate.apply(Point::new(SIDE as f32 / 2.0, SIDE as f32 / 2.0));
        let to_frame = Similarity { tx: centre.x - half.x, ty: centre.y - half.y, ..rotate };
        let input = frame.warp(&to_frame, SIDE).into_iter().map(|v| v / 255.0).collect();
        let outputs = self.model.run(input)?;
        let mesh = self.model.expect_len(&outputs, 0, POINTS * 3)?;
        let presence = self.model.expect_len(&outputs, 1, 1)?[0];
        let scale = side / SIDE as f32;
        let points = mesh
            .chunks_exact(3)
            .map(|p| {
                let xy = to_frame.apply(Point::new(p[0], p[1]));
                Point3 { x: xy.x, y: xy.y, z: p[2] * scale }
            })
            .collect();
        Ok(Mesh { points, presence })
    }

    /// The five ArcFace points of `face`, from FaceMesh.
    pub fn five_points(&self, frame: &Frame, face: &Face) -> Result<FivePoints> {
        Ok(FivePoints::from_mesh(&self.mesh3d(frame, face)?))
    }
}

impl FivePoints {
    /// From a FaceMesh mesh: eye centres (mean of the corners 33/133 and 362/263), nose tip 1,
    /// mouth corners 61/291.
    pub fn from_mesh(mesh: &Mesh) -> Self {
        let p = |i: usize| mesh.points.get(i).copied().unwrap_or_default().xy();
        FivePoints([p(33).midpoint(p(133)), p(362).midpoint(p(263)), p(1), p(61), p(291)])
    }

    /// From BlazeFace keypoints; both mouth corners are the mouth centre, which the ArcFace
    /// template maps to the midpoint of its corners.
    pub fn from_blazeface(face: &Face) -> Self {
        let [le, re, nose, mouth, ..] = face.keypoints;
        FivePoints([le, re, nose, mouth, mouth])
    }
}
