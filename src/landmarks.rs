//! Landmarks for alignment: FaceMesh's points (the bundled model makes the 26 facegate reads of
//! its 468) refined from a detected face, reduced to the five points of the ArcFace template.

use crate::detect::Face;
use crate::error::{Error, Result};
use crate::frame::Frame;
use crate::geometry::{Point, Similarity};
use crate::model::{bundled, Layout, OnnxModel};

const SIDE: usize = 192;

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

/// The FaceMesh points facegate reads, in MediaPipe's numbering, ascending: the flat-picture
/// test's 26 (`liveness::planar::POINTS`), which hold the eye corners, nose tip and mouth corners
/// (alignment, eye crops), the cheeks, forehead and chin (pose). The bundled FaceMesh makes only
/// these (`model/convert.py`, `MESH_POINTS`).
pub const READ_POINTS: [usize; 26] = [
    1, 2, 6, 10, 13, 14, 33, 61, 93, 98, 127, 132, 133, 152, 168, 172, 234, 263, 291, 323, 327, 356, 361, 362, 397, 454,
];
/// How many points a full FaceMesh makes.
pub const ALL_POINTS: usize = 468;

/// FaceMesh's output for one face: its points with depth, in MediaPipe's numbering, and the
/// probability that the crop shows a face. The bundled model makes the [`READ_POINTS`]; a full
/// FaceMesh ([`Landmarker::from_bytes`]) all 468.
#[derive(Debug, Clone, PartialEq)]
pub struct Mesh {
    /// All 468 points, or the [`READ_POINTS`] in their order.
    points: Vec<Point3>,
    /// Face-presence probability.
    pub presence: f32,
}

impl Mesh {
    /// A mesh from a FaceMesh's points in MediaPipe's order: all 468, or the [`READ_POINTS`].
    pub fn new(points: Vec<Point3>, presence: f32) -> Result<Mesh> {
        if points.len() != ALL_POINTS && points.len() != READ_POINTS.len() {
            return Err(Error::InvalidArgument(format!(
                "a FaceMesh mesh has {ALL_POINTS} or {} points, not {}",
                READ_POINTS.len(),
                points.len()
            )));
        }
        Ok(Mesh { points, presence })
    }

    /// Point `n` (MediaPipe's numbering); `None` when the mesh does not have it.
    pub fn point(&self, n: usize) -> Option<Point3> {
        match self.all() {
            Some(all) => all.get(n).copied(),
            None => READ_POINTS.binary_search(&n).ok().map(|k| self.points[k]),
        }
    }

    /// Point `n` of the [`READ_POINTS`], which every mesh has.
    pub(crate) fn read(&self, n: usize) -> Result<Point3> {
        self.point(n).ok_or_else(|| Error::InvalidArgument(format!("FaceMesh point {n} is not one facegate reads")))
    }

    /// All 468 points, when the model made them all.
    pub fn all(&self) -> Option<&[Point3]> {
        (self.points.len() == ALL_POINTS).then_some(&self.points[..])
    }
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

    /// A FaceMesh ONNX model from bytes: the bundled one's input and outputs, its `mesh` with all
    /// 468 points (a full FaceMesh such as `model/facemesh-full.onnx`) or the [`READ_POINTS`].
    pub fn from_bytes(onnx: &[u8]) -> Result<Self> {
        Ok(Landmarker { model: OnnxModel::load("facemesh", onnx, SIDE, Layout::AsWritten)?, crop_scale: 1.5 })
    }

    /// FaceMesh's points of `face` with depth (see [`Mesh`]), from a square crop around it,
    /// rotated so its eyes are level.
    pub fn mesh(&self, frame: &Frame, face: &Face) -> Result<Mesh> {
        let [left_eye, right_eye, ..] = face.keypoints;
        let angle = (right_eye.y - left_eye.y).atan2(right_eye.x - left_eye.x);
        let side = face.bbox.width.max(face.bbox.height) * self.crop_scale;
        let centre = face.bbox.center();
        let rotate = Similarity::new(side / SIDE as f32, angle, Point::default());
        let half = rotate.apply(Point::new(SIDE as f32 / 2.0, SIDE as f32 / 2.0));
        let to_frame = Similarity { tx: centre.x - half.x, ty: centre.y - half.y, ..rotate };
        let input = frame.warp(&to_frame, SIDE).into_iter().map(|v| v / 255.0).collect();
        let outputs = self.model.run(input)?;
        let mesh = match outputs.first().map(Vec::len) {
            Some(n) if n == ALL_POINTS * 3 => &outputs[0],
            _ => self.model.expect_len(&outputs, 0, READ_POINTS.len() * 3)?,
        };
        let presence = self.model.expect_len(&outputs, 1, 1)?[0];
        let scale = side / SIDE as f32;
        let points = mesh
            .chunks_exact(3)
            .map(|p| {
                let xy = to_frame.apply(Point::new(p[0], p[1]));
                Point3 { x: xy.x, y: xy.y, z: p[2] * scale }
            })
            .collect();
        Mesh::new(points, presence)
    }

    /// The five ArcFace points of `face`, from FaceMesh.
    pub fn five_points(&self, frame: &Frame, face: &Face) -> Result<FivePoints> {
        FivePoints::from_mesh(&self.mesh(frame, face)?)
    }
}

impl FivePoints {
    /// From a FaceMesh mesh: eye centres (mean of the corners 33/133 and 362/263), nose tip 1,
    /// mouth corners 61/291.
    pub fn from_mesh(mesh: &Mesh) -> Result<Self> {
        let p = |n: usize| Ok(mesh.read(n)?.xy());
        Ok(FivePoints([p(33)?.midpoint(p(133)?), p(362)?.midpoint(p(263)?), p(1)?, p(61)?, p(291)?]))
    }

    /// From BlazeFace keypoints; both mouth corners are the mouth centre, which the ArcFace
    /// template maps to the midpoint of its corners.
    pub fn from_blazeface(face: &Face) -> Self {
        let [le, re, nose, mouth, ..] = face.keypoints;
        FivePoints([le, re, nose, mouth, mouth])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Pipeline, Selection};

    #[test]
    fn a_mesh_has_all_points_or_the_read_ones() {
        let points = |n: usize| vec![Point3::default(); n];
        assert!(Mesh::new(points(ALL_POINTS), 1.0).unwrap().all().is_some());
        let read = Mesh::new(points(READ_POINTS.len()), 1.0).unwrap();
        assert!(read.all().is_none() && read.point(454).is_some() && read.point(455).is_none());
        for n in [0, 25, 27, 467, 469] {
            assert!(Mesh::new(points(n), 1.0).is_err(), "{n} points");
        }
        assert!(READ_POINTS.windows(2).all(|w| w[0] < w[1]), "ascending, for the binary search");
    }

    #[test]
    fn the_bundled_facemesh_makes_the_full_ones_read_points() {
        // model/facemesh-full.onnx is the same network with the whole mesh head (the CLI's clip
        // renderer lifts photos onto all 468 points); the bundled one keeps the read points' channels.
        let full = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/model/facemesh-full.onnx")).unwrap();
        let full = Landmarker::from_bytes(&full).unwrap();
        let bundled = Landmarker::new().unwrap();
        for image in [&include_bytes!("../tests/fixtures/obama.jpg")[..], include_bytes!("../tests/fixtures/biden.jpg")]
        {
            let frame = Frame::decode(image).unwrap();
            let face = Pipeline::new().unwrap().select(&frame, Selection::Largest).unwrap();
            let (all, read) = (full.mesh(&frame, &face).unwrap(), bundled.mesh(&frame, &face).unwrap());
            assert_eq!(all.all().map(<[_]>::len), Some(ALL_POINTS));
            assert!(read.all().is_none() && read.point(0).is_none());
            assert!(read.presence > 0.9 && (read.presence - all.presence).abs() < 1e-6);
            for n in READ_POINTS {
                let (a, r) = (all.point(n).unwrap(), read.point(n).unwrap());
                let far = (a.x - r.x).abs().max((a.y - r.y).abs()).max((a.z - r.z).abs());
                assert!(far < 1e-3, "point {n}: {a:?} vs {r:?}");
            }
            assert_eq!(FivePoints::from_mesh(&all).unwrap(), FivePoints::from_mesh(&read).unwrap());
        }
    }
}
