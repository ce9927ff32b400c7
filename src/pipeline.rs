//! [`Pipeline`]: the one place that orders the steps for a frame — detect, find landmarks,
//! align, embed.

use crate::align::{align, AlignedFace};
use crate::detect::{Detector, Face};
use crate::embed::{Embedder, EmbedderModel, Embedding, Probe};
use crate::error::{Error, Result};
use crate::eyes::Eyes;
use crate::frame::Frame;
use crate::geometry::Point;
use crate::landmarks::{FivePoints, LandmarkSource, Landmarker, Mesh};
use std::sync::{Arc, OnceLock};

/// Detections scoring at least this are faces; between the detector's `min_score` (0.6) and
/// this, FaceMesh must confirm them. Measured: Chromium's synthetic fake-camera pattern scored
/// 0.61; the four LFW faces under MediaPipe's 0.75 scored 0.66-0.745, and FaceMesh confirms the
/// three below 0.7 (presence > 0.99) but not the one at 0.745 (presence 0.015).
pub const CONFIRM_BELOW: f32 = 0.7;
/// A face picked from the detections, with FaceMesh's mesh of it when confirming it (a score
/// under [`CONFIRM_BELOW`]) already ran FaceMesh: the mesh is then used again, not recomputed.
struct Chosen {
    face: Face,
    mesh: Option<Mesh>,
}

/// FaceMesh face-presence probability that confirms an uncertain detection.
pub const MIN_PRESENCE: f32 = 0.5;

/// Which face of a frame to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Exactly one face must be present (enrollment and login): more is `MultipleFaces`.
    Single,
    /// The largest face (photos with bystanders where the subject is nearest the camera).
    Largest,
    /// The face whose box centre is nearest the frame centre (cropped portraits such as LFW,
    /// whose subject is centred by construction while a bystander may be larger).
    Centre,
}

/// Pipeline settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PipelineOptions {
    /// Faces narrower than this (frame pixels) are ignored; when only such faces are found the
    /// error is `FaceTooSmall`.
    pub min_face: u32,
    /// Where the alignment points come from.
    pub landmarks: LandmarkSource,
    /// Also embed the mirror image and sum (better accuracy, twice the embedding time).
    pub flip: bool,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions { min_face: 40, landmarks: LandmarkSource::FaceMesh, flip: true }
    }
}

impl PipelineOptions {
    /// The defaults for `model`: flip where it helps (MobileFaceNet; on LFW it adds nothing to SFace).
    pub fn for_model(model: EmbedderModel) -> Self {
        PipelineOptions { flip: model == EmbedderModel::MobileFaceNet, ..Self::default() }
    }
}

/// A face found in a frame and its embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// The detection.
    pub face: Face,
    /// Its embedding.
    pub embedding: Embedding,
}

/// The models, loaded and optimised once; cheap to clone (the plans are shared).
#[derive(Clone)]
pub struct Pipeline {
    detector: Detector,
    landmarker: Landmarker,
    embedder: Embedder,
    options: PipelineOptions,
    /// The iris model, loaded on the first liveness frame (verification never needs it).
    eyes: Arc<OnceLock<Eyes>>,
}

impl Pipeline {
    /// The bundled models with default options.
    pub fn new() -> Result<Self> {
        Self::with_options(PipelineOptions::default())
    }

    /// The bundled models with `options`.
    pub fn with_options(options: PipelineOptions) -> Result<Self> {
        Ok(Self::from_parts(Detector::new()?, Landmarker::new()?, Embedder::new()?, options))
    }

    /// Builds a pipeline from separately loaded models.
    pub fn from_parts(
        detector: Detector,
        landmarker: Landmarker,
        embedder: Embedder,
        options: PipelineOptions,
    ) -> Self {
        Pipeline { detector, landmarker, embedder, options, eyes: Arc::default() }
    }

    /// The settings in use.
    pub fn options(&self) -> PipelineOptions {
        self.options
    }

    /// Which embedding network the pipeline runs.
    pub fn model(&self) -> EmbedderModel {
        self.embedder.kind()
    }

    /// SHA-256 of the embedding model (what templates are bound to).
    pub fn model_sha256(&self) -> &str {
        self.embedder.model_sha256()
    }

    /// Every face of at least `min_face` pixels, best score first.
    /// Detections below [`CONFIRM_BELOW`] must be confirmed by FaceMesh.
    pub fn faces(&self, frame: &Frame) -> Result<Vec<Face>> {
        let all = self.detector.detect(frame)?;
        Ok(self.confirmed(frame, &all)?.into_iter().map(|c| c.face).collect())
    }

    /// The faces of `detections` at least `min_face` wide that are sure enough: detector score
    /// at least [`CONFIRM_BELOW`], or FaceMesh sees a face in the crop (its mesh then kept).
    fn confirmed(&self, frame: &Frame, detections: &[Face]) -> Result<Vec<Chosen>> {
        let mut out = Vec::new();
        for face in detections.iter().filter(|f| f.bbox.width >= self.options.min_face as f32) {
            let face = face.clone();
            if face.detection_score >= CONFIRM_BELOW {
                out.push(Chosen { face, mesh: None });
                continue;
            }
            let mesh = self.landmarker.mesh(frame, &face)?;
            if mesh.presence >= MIN_PRESENCE {
                out.push(Chosen { face, mesh: Some(mesh) });
            }
        }
        Ok(out)
    }

    /// Picks the face to use, or says why there is none.
    pub fn select(&self, frame: &Frame, selection: Selection) -> Result<Face> {
        Ok(self.choose(frame, selection)?.face)
    }

    /// [`Pipeline::select`], keeping the mesh FaceMesh made if it confirmed the face.
    fn choose(&self, frame: &Frame, selection: Selection) -> Result<Chosen> {
        let all = self.detector.detect(frame)?;
        let area = |c: &Chosen| c.face.bbox.area();
        let mid = Point::new(frame.width() as f32 / 2.0, frame.height() as f32 / 2.0);
        let off_centre = |c: &Chosen| {
            let centre = c.face.bbox.center();
            (centre.x - mid.x).hypot(centre.y - mid.y)
        };
        let big = self.confirmed(frame, &all)?;
        let small = all.iter().filter(|f| f.bbox.width < self.options.min_face as f32);
        match (big.len(), selection) {
            (0, _) => match small.max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area())) {
                Some(small) => Err(Error::FaceTooSmall { size: small.bbox.width as u32, min: self.options.min_face }),
                None => Err(Error::NoFace),
            },
            (1, _) | (_, Selection::Largest) => {
                big.into_iter().max_by(|a, b| area(a).total_cmp(&area(b))).ok_or(Error::NoFace)
            }
            (_, Selection::Centre) => {
                big.into_iter().min_by(|a, b| off_centre(a).total_cmp(&off_centre(b))).ok_or(Error::NoFace)
            }
            (count, Selection::Single) => Err(Error::MultipleFaces { count }),
        }
    }

    /// FaceMesh's points with depth for `face` (what the liveness check reads).
    pub fn mesh(&self, frame: &Frame, face: &Face) -> Result<Mesh> {
        self.landmarker.mesh(frame, face)
    }

    /// How open each eye of the face of `mesh` is (see [`Eyes::opening`]); the bundled iris model
    /// is loaded on the first call.
    pub fn eyes(&self, frame: &Frame, mesh: &Mesh) -> Result<[f32; 2]> {
        let eyes = match self.eyes.get() {
            Some(eyes) => eyes,
            None => {
                let loaded = Eyes::new()?;
                self.eyes.get_or_init(|| loaded)
            }
        };
        eyes.opening(frame, mesh)
    }

    /// The 112x112 aligned crop of `face`.
    pub fn align(&self, frame: &Frame, face: &Face) -> Result<AlignedFace> {
        align(frame, &self.five_points(face, || self.landmarker.five_points(frame, face))?)
    }

    /// The five alignment points of `face`: FaceMesh's (`mesh`, called only when FaceMesh is the
    /// landmark source) or BlazeFace's keypoints.
    fn five_points(&self, face: &Face, mesh: impl FnOnce() -> Result<FivePoints>) -> Result<FivePoints> {
        match self.options.landmarks {
            LandmarkSource::FaceMesh => mesh(),
            LandmarkSource::BlazeFace => Ok(FivePoints::from_blazeface(face)),
        }
    }

    /// Selects a face, then FaceMesh's points of it and the first step of its embedding (see
    /// [`Pipeline::probe`]), running FaceMesh once per face (its points also align the face when
    /// the landmark source is FaceMesh, and a mesh made to confirm the face is reused).
    pub fn mesh_and_probe(&self, frame: &Frame, selection: Selection) -> Result<(Mesh, Probe)> {
        let Chosen { face, mesh } = self.choose(frame, selection)?;
        let mesh = match mesh {
            Some(mesh) => mesh,
            None => self.mesh(frame, &face)?,
        };
        let points = self.five_points(&face, || FivePoints::from_mesh(&mesh))?;
        let probe = self.embedder.probe(align(frame, &points)?, self.options.flip)?;
        Ok((mesh, probe))
    }

    /// The aligned crop of a chosen face, from the mesh it was confirmed with if any.
    fn align_chosen(&self, frame: &Frame, chosen: &Chosen) -> Result<AlignedFace> {
        let points = self.five_points(&chosen.face, || match &chosen.mesh {
            Some(mesh) => FivePoints::from_mesh(mesh),
            None => self.landmarker.five_points(frame, &chosen.face),
        })?;
        align(frame, &points)
    }

    /// The embedding of an aligned crop (with the mirror image too when `flip` is set).
    pub fn embed_aligned(&self, face: &AlignedFace) -> Result<Embedding> {
        self.embedder.embed(face, self.options.flip)
    }

    /// The embedding of `face` in `frame`.
    pub fn embed(&self, frame: &Frame, face: &Face) -> Result<Embedding> {
        self.embed_aligned(&self.align(frame, face)?)
    }

    /// Selects a face and embeds it.
    pub fn describe(&self, frame: &Frame, selection: Selection) -> Result<Described> {
        let chosen = self.choose(frame, selection)?;
        let embedding = self.embed_aligned(&self.align_chosen(frame, &chosen)?)?;
        Ok(Described { face: chosen.face, embedding })
    }

    /// Selects a face and runs the first embedding pass only (the crop alone): a verify that is
    /// clear on it skips the mirror pass (see [`Rule::is_clear`](crate::Rule::is_clear)).
    pub fn probe(&self, frame: &Frame, selection: Selection) -> Result<(Face, Probe)> {
        let chosen = self.choose(frame, selection)?;
        let probe = self.embedder.probe(self.align_chosen(frame, &chosen)?, self.options.flip)?;
        Ok((chosen.face, probe))
    }

    /// The full embedding of `probe`, the same as [`Pipeline::describe`] gives (the mirror pass
    /// runs now when the options flip).
    pub fn complete(&self, probe: &Probe) -> Result<Embedding> {
        self.embedder.complete(probe)
    }
}
