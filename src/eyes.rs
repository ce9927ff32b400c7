//! Eye opening from MediaPipe Iris: each eye cropped from FaceMesh's eye corners and its lid
//! contour found by the iris model, whose lids follow a closing eye much more closely than
//! FaceMesh's own lid points (the liveness blink reads it).

use crate::error::Result;
use crate::frame::Frame;
use crate::geometry::{Point, Similarity};
use crate::landmarks::Mesh;
use crate::model::{bundled, Layout, OnnxModel};

const SIDE: usize = 64;
/// The eye contour's 16 lid points, x, y, z each (the rest of the contour and the model's iris
/// head are not shipped: `model/convert.py`).
const OUTPUTS: usize = 16 * 3;
/// The crop's side over the eye's width (MediaPipe's and Human's value).
const ENLARGE: f32 = 2.3;
/// FaceMesh's eye corners, image-left one first: the person's right eye (33 outer, 133 inner),
/// which the iris model was trained on, then the left eye (362 inner, 263 outer), mirrored.
const CORNERS: [(usize, usize); 2] = [(33, 133), (362, 263)];
/// The contour's lower lid runs corner to corner over points 0-8, its upper lid over 9-15
/// (between the corners); upper point 9 + j lies above lower point 1 + j. The five middle pairs
/// measure the lid gap.
const LID_PAIRS: [(usize, usize); 5] = [(10, 2), (11, 3), (12, 4), (13, 5), (14, 6)];
/// The contour's corners.
const CONTOUR_CORNERS: (usize, usize) = (0, 8);

/// MediaPipe Iris's eye-contour head, cut to the lids (64x64 eye crop → 16 lid points), loaded once.
#[derive(Clone)]
pub struct Eyes {
    model: OnnxModel,
}

/// The square crop of the eye whose corners are `a` (crop-left) and `b`: centred between them,
/// rotated so they are level, [`ENLARGE`] times their distance wide. Maps crop pixels to frame
/// pixels.
fn crop(a: Point, b: Point) -> Similarity {
    let width = (b.x - a.x).hypot(b.y - a.y);
    let angle = (b.y - a.y).atan2(b.x - a.x);
    let rotate = Similarity::new(width * ENLARGE / SIDE as f32, angle, Point::default());
    let half = rotate.apply(Point::new(SIDE as f32 / 2.0, SIDE as f32 / 2.0));
    let centre = a.midpoint(b);
    Similarity { tx: centre.x - half.x, ty: centre.y - half.y, ..rotate }
}

/// Mirrors an HWC `side x side` RGB image left to right.
fn mirror(hwc: &mut [f32], side: usize) {
    for row in hwc.chunks_exact_mut(side * 3) {
        let pixels = row.len() / 3;
        for i in 0..pixels / 2 {
            for c in 0..3 {
                row.swap(i * 3 + c, (pixels - 1 - i) * 3 + c);
            }
        }
    }
}

/// Lid gap over eye width of the iris model's contour (x, y, z per point, any scale).
fn opening(contour: &[f32]) -> f32 {
    let p = |i: usize| Point::new(contour[i * 3], contour[i * 3 + 1]);
    let dist = |a: Point, b: Point| (a.x - b.x).hypot(a.y - b.y);
    let width = dist(p(CONTOUR_CORNERS.0), p(CONTOUR_CORNERS.1)).max(f32::EPSILON);
    let gap: f32 = LID_PAIRS.iter().map(|&(upper, lower)| dist(p(upper), p(lower))).sum();
    gap / LID_PAIRS.len() as f32 / width
}

impl Eyes {
    /// The bundled iris model.
    pub fn new() -> Result<Self> {
        Self::from_bytes(bundled::IRIS)
    }

    /// An iris ONNX model from bytes (same input and output as the bundled one).
    pub fn from_bytes(onnx: &[u8]) -> Result<Self> {
        Ok(Eyes { model: OnnxModel::load("iris", onnx, SIDE, Layout::Optimised)? })
    }

    /// How open each eye of `mesh`'s face is in `frame`, image-left eye first: the lid gap over
    /// the eye's width (open eyes of rendered LFW faces: 0.10-0.37, median 0.26; closed ones
    /// about a third of their open value).
    pub fn opening(&self, frame: &Frame, mesh: &Mesh) -> Result<[f32; 2]> {
        let mut out = [0.0; 2];
        for (eye, (&(a, b), value)) in CORNERS.iter().zip(&mut out).enumerate() {
            *value = opening(&self.contour(frame, mesh.read(a)?.xy(), mesh.read(b)?.xy(), eye == 1)?);
        }
        Ok(out)
    }

    /// The iris model's raw output (crop pixels) on the eye with corners `a` and `b`, the crop
    /// mirrored first when `mirrored`.
    fn contour(&self, frame: &Frame, a: Point, b: Point, mirrored: bool) -> Result<Vec<f32>> {
        let mut input: Vec<f32> = frame.warp(&crop(a, b), SIDE).into_iter().map(|v| v / 255.0).collect();
        if mirrored {
            mirror(&mut input, SIDE);
        }
        let mut outputs = self.model.run(input)?;
        self.model.expect_len(&outputs, 0, OUTPUTS)?;
        Ok(outputs.swap_remove(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crop_centres_levels_and_enlarges_the_eye() {
        let (a, b) = (Point::new(100.0, 50.0), Point::new(130.0, 80.0));
        let to_frame = crop(a, b);
        let centre = to_frame.apply(Point::new(32.0, 32.0));
        assert!((centre.x - 115.0).abs() < 1e-3 && (centre.y - 65.0).abs() < 1e-3, "{centre:?}");
        assert!((to_frame.scale() * 64.0 - 2.3 * 30.0 * 2f32.sqrt()).abs() < 1e-3);
        // the corners sit level in the crop, 64 / 2.3 pixels apart, `a` on the left
        let back = to_frame.inverse().unwrap();
        let (ca, cb) = (back.apply(a), back.apply(b));
        assert!((ca.y - 32.0).abs() < 1e-3 && (cb.y - 32.0).abs() < 1e-3, "{ca:?} {cb:?}");
        assert!((cb.x - ca.x - 64.0 / 2.3).abs() < 1e-3 && ca.x < cb.x, "{ca:?} {cb:?}");
    }

    #[test]
    fn mirroring_reverses_each_row() {
        let mut hwc: Vec<f32> = (0..2 * 2 * 3).map(|v| v as f32).collect();
        mirror(&mut hwc, 2);
        assert_eq!(hwc, [3.0, 4.0, 5.0, 0.0, 1.0, 2.0, 9.0, 10.0, 11.0, 6.0, 7.0, 8.0]);
    }

    #[test]
    fn opening_is_the_mean_lid_gap_over_the_width() {
        // corners 40 apart; upper lid 6 above, lower lid 4 below the corner line: gap 10
        let mut contour = vec![0.0f32; OUTPUTS];
        let mut put = |i: usize, x: f32, y: f32| contour[i * 3..i * 3 + 2].copy_from_slice(&[x, y]);
        put(0, 10.0, 30.0);
        put(8, 50.0, 30.0);
        for (upper, lower) in LID_PAIRS {
            let x = 10.0 + lower as f32 * 5.0;
            put(upper, x, 24.0);
            put(lower, x, 34.0);
        }
        assert!((opening(&contour) - 0.25).abs() < 1e-6, "{}", opening(&contour));
        assert!(Eyes::from_bytes(b"not a model").is_err());
    }

    #[test]
    fn the_contour_corners_land_on_facemesh_corners() {
        // FaceMesh's corners sit 64 / 2.3 = 27.8 crop pixels apart around the crop's centre; the
        // iris model finds them within 3 pixels, the outer corner first (left, after mirroring
        // the image-right eye), and sees both eyes open.
        let frame = Frame::decode(include_bytes!("../tests/fixtures/obama.jpg")).unwrap();
        let pipeline = crate::Pipeline::new().unwrap();
        let mesh = pipeline.mesh(&frame, &pipeline.select(&frame, crate::Selection::Largest).unwrap()).unwrap();
        let eyes = Eyes::new().unwrap();
        let half = SIDE as f32 / ENLARGE / 2.0;
        for (eye, &(a, b)) in CORNERS.iter().enumerate() {
            let c = eyes.contour(&frame, mesh.read(a).unwrap().xy(), mesh.read(b).unwrap().xy(), eye == 1).unwrap();
            let near = |i: usize, x: f32| (c[i * 3] - x).hypot(c[i * 3 + 1] - 32.0) < 3.0;
            assert!(near(CONTOUR_CORNERS.0, 32.0 - half) && near(CONTOUR_CORNERS.1, 32.0 + half), "eye {eye}: {c:?}");
        }
        let open = eyes.opening(&frame, &mesh).unwrap();
        assert!(open.iter().all(|&v| (0.15..0.4).contains(&v)), "{open:?}");
    }
}
