//! The embedding networks ([`EmbedderModel`]: MobileFaceNet, bundled; SFace, loaded from bytes)
//! through tract, and the unit-length [`Embedding`].

use crate::align::{AlignedFace, SIDE};
use crate::error::{Error, Result};
use crate::model::{bundled, sha256_hex, Layout, OnnxModel};
use serde::{Deserialize, Serialize};

/// Length of the bundled model's embedding.
pub const DIM: usize = 192;

/// SHA-256 of SFace as facegate converts it (`model/sface.onnx`, see `model/SHA256SUMS`).
pub const SFACE_SHA256: &str = "4602e4fb62c95fa8934164b62fb8afb8286d12530200ea621a6881b28ffef7a0";

/// Which embedding network a model file is: it fixes the input scaling, the output length and the
/// default decision rule ([`Rule::default_for`](crate::Rule::default_for)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmbedderModel {
    /// MobileFaceNet (sirius-ai weights, `model/mobilefacenet.onnx`, compiled in): 192-d,
    /// input `(x - 127.5) / 128`.
    MobileFaceNet,
    /// SFace (OpenCV Zoo `face_recognition_sface_2021dec`, `model/sface.onnx`, not compiled in):
    /// 128-d, input RGB 0..255 (the graph normalises).
    SFace,
}

impl EmbedderModel {
    /// Length of the model's embedding.
    pub fn dim(self) -> usize {
        match self {
            EmbedderModel::MobileFaceNet => DIM,
            EmbedderModel::SFace => 128,
        }
    }

    /// The model whose file has this SHA-256, when it is one facegate ships or converts: the
    /// bundled MobileFaceNet or `model/sface.onnx` ([`SFACE_SHA256`]).
    pub fn of_sha256(sha256: &str) -> Option<EmbedderModel> {
        match sha256 {
            _ if sha256 == bundled::mobilefacenet_sha256() => Some(EmbedderModel::MobileFaceNet),
            SFACE_SHA256 => Some(EmbedderModel::SFace),
            _ => None,
        }
    }

    /// `"mobilefacenet"` or `"sface"`.
    pub fn name(self) -> &'static str {
        match self {
            EmbedderModel::MobileFaceNet => "mobilefacenet",
            EmbedderModel::SFace => "sface",
        }
    }

    /// The network's input value for an RGB value of 0..255.
    fn scale(self, value: f32) -> f32 {
        match self {
            EmbedderModel::MobileFaceNet => (value - 127.5) / 128.0,
            EmbedderModel::SFace => value,
        }
    }
}

/// An L2-normalised face embedding: two faces are the same person when their cosine similarity
/// is above the threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<f32>", into = "Vec<f32>")]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// Normalises `values` to unit length; refuses empty, all-zero or non-finite vectors.
    pub fn new(mut values: Vec<f32>) -> Result<Self> {
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        if values.is_empty() || !norm.is_finite() || norm <= f32::EPSILON {
            return Err(Error::InvalidArgument("an embedding must be finite and non-zero".into()));
        }
        values.iter_mut().for_each(|v| *v /= norm);
        Ok(Embedding(values))
    }

    /// The unit-length mean direction of several embeddings (of equal length).
    pub fn mean<'a>(all: impl IntoIterator<Item = &'a Embedding>) -> Result<Self> {
        let mut sum: Vec<f32> = Vec::new();
        for e in all {
            if sum.is_empty() {
                sum = vec![0.0; e.0.len()];
            } else if sum.len() != e.0.len() {
                return Err(Error::InvalidArgument("embeddings of different lengths".into()));
            }
            sum.iter_mut().zip(&e.0).for_each(|(s, v)| *s += v);
        }
        Embedding::new(sum)
    }

    /// The components.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// Cosine similarity in -1..=1 (the dot product of unit vectors); 0 for mismatched lengths.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        if self.0.len() != other.0.len() {
            return 0.0;
        }
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }

    /// Squared Euclidean distance, `2 - 2·cosine` for unit vectors.
    pub fn squared_l2(&self, other: &Embedding) -> f32 {
        2.0 - 2.0 * self.cosine(other)
    }
}

/// Stored embeddings must already be unit length; they are kept bit-exact.
impl TryFrom<Vec<f32>> for Embedding {
    type Error = Error;
    fn try_from(v: Vec<f32>) -> Result<Self> {
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if v.is_empty() || !norm.is_finite() || (norm - 1.0).abs() >= 1e-3 {
            return Err(Error::InvalidArgument(format!("a stored embedding must have unit length, not {norm}")));
        }
        Ok(Embedding(v))
    }
}

impl From<Embedding> for Vec<f32> {
    fn from(e: Embedding) -> Self {
        e.0
    }
}

/// A face embedded for a decision in two steps: [`Probe::quick`], the crop alone (one pass),
/// decides when it is clearly on one side of the threshold; otherwise [`Embedder::complete`]
/// adds the mirror image, for the same embedding as [`Embedder::embed`] with flip.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The crop and its raw output, while the mirror pass has not run.
    mirror_pending: Option<(AlignedFace, Vec<f32>)>,
    quick: Embedding,
}

impl Probe {
    /// The embedding of the crop alone.
    pub fn quick(&self) -> &Embedding {
        &self.quick
    }
}

/// An embedding network on aligned 112x112 crops, optimised once and reused.
#[derive(Clone)]
pub struct Embedder {
    model: OnnxModel,
    kind: EmbedderModel,
    sha256: String,
}

impl Embedder {
    /// The bundled MobileFaceNet.
    pub fn new() -> Result<Self> {
        Self::load(EmbedderModel::MobileFaceNet, bundled::MOBILEFACENET, bundled::mobilefacenet_sha256().to_owned())
    }

    /// A MobileFaceNet-style ONNX model from bytes: `[1,112,112,3]` RGB in, one vector out.
    pub fn from_bytes(onnx: &[u8]) -> Result<Self> {
        Self::with_model(EmbedderModel::MobileFaceNet, onnx)
    }

    /// A model of kind `kind` from bytes (for SFace, `model/sface.onnx`): `[1,112,112,3]` RGB in,
    /// `kind.dim()` values out.
    pub fn with_model(kind: EmbedderModel, onnx: &[u8]) -> Result<Self> {
        Self::load(kind, onnx, sha256_hex(onnx))
    }

    fn load(kind: EmbedderModel, onnx: &[u8], sha256: String) -> Result<Self> {
        // SFace's batch normalisations would stay channels-first in facegate's rewrite
        let layout = match kind {
            EmbedderModel::MobileFaceNet => Layout::ChannelsLast,
            EmbedderModel::SFace => Layout::Optimised,
        };
        Ok(Embedder { model: OnnxModel::load(kind.name(), onnx, SIDE, layout)?, kind, sha256 })
    }

    /// Which network this is.
    pub fn kind(&self) -> EmbedderModel {
        self.kind
    }

    /// SHA-256 of the model file: templates record it so that embeddings of different models are
    /// never compared.
    pub fn model_sha256(&self) -> &str {
        &self.sha256
    }

    /// The embedding of one crop; with `flip`, of the crop and its mirror image summed.
    pub fn embed(&self, face: &AlignedFace, flip: bool) -> Result<Embedding> {
        let raw = self.raw(face)?;
        match flip {
            true => self.with_mirror(face, raw),
            false => Embedding::new(raw),
        }
    }

    /// The first pass of a probe: the crop alone. With `flip`, [`Embedder::complete`] adds the
    /// mirror image later, when a decision needs it.
    pub fn probe(&self, face: AlignedFace, flip: bool) -> Result<Probe> {
        let raw = self.raw(&face)?;
        let quick = Embedding::new(raw.clone())?;
        Ok(Probe { mirror_pending: flip.then_some((face, raw)), quick })
    }

    /// The probe's full embedding, as [`Embedder::embed`] gives it: one more pass (the mirror
    /// image) when the probe was made with `flip`, none otherwise.
    pub fn complete(&self, probe: &Probe) -> Result<Embedding> {
        match &probe.mirror_pending {
            Some((face, raw)) => self.with_mirror(face, raw.clone()),
            None => Ok(probe.quick.clone()),
        }
    }

    /// `raw` (the crop's output) plus the output of its mirror image, normalised.
    fn with_mirror(&self, face: &AlignedFace, mut raw: Vec<f32>) -> Result<Embedding> {
        let mirrored = self.raw(&face.flipped())?;
        raw.iter_mut().zip(mirrored).for_each(|(s, m)| *s += m);
        Embedding::new(raw)
    }

    fn raw(&self, face: &AlignedFace) -> Result<Vec<f32>> {
        debug_assert_eq!(self.model.side(), SIDE);
        let input = face.pixels().iter().map(|&v| self.kind.scale(v)).collect();
        let mut outputs = self.model.run(input)?;
        self.model.expect_len(&outputs, 0, self.kind.dim())?;
        Ok(outputs.swap_remove(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_are_unit_length_and_reject_bad_vectors() {
        let e = Embedding::new(vec![3.0, 4.0]).unwrap();
        assert_eq!(e.as_slice(), &[0.6, 0.8]);
        assert!((e.cosine(&e) - 1.0).abs() < 1e-6);
        assert!(e.squared_l2(&e).abs() < 1e-6);
        for bad in [vec![], vec![0.0, 0.0], vec![f32::NAN, 1.0], vec![f32::INFINITY]] {
            assert!(Embedding::new(bad).is_err());
        }
        for bad in ["[0.0, 0.0]", "[3.0, 4.0]", "[]"] {
            assert!(serde_json::from_str::<Embedding>(bad).is_err(), "{bad}");
        }
        let back: Embedding = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn models_are_named_as_the_options_spell_them() {
        for (model, name, dim) in
            [(EmbedderModel::MobileFaceNet, "mobilefacenet", 192), (EmbedderModel::SFace, "sface", 128)]
        {
            assert_eq!((model.name(), model.dim()), (name, dim));
            assert_eq!(serde_json::to_string(&model).unwrap(), format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<EmbedderModel>(&format!("\"{name}\"")).unwrap(), model);
        }
        assert!(serde_json::from_str::<EmbedderModel>("\"SFace\"").is_err());
        assert_eq!(EmbedderModel::of_sha256(bundled::mobilefacenet_sha256()), Some(EmbedderModel::MobileFaceNet));
        assert_eq!(EmbedderModel::of_sha256(SFACE_SHA256), Some(EmbedderModel::SFace));
        assert_eq!(EmbedderModel::of_sha256("other"), None);
    }

    #[test]
    fn mean_is_the_normalised_sum() {
        let a = Embedding::new(vec![1.0, 0.0]).unwrap();
        let b = Embedding::new(vec![0.0, 1.0]).unwrap();
        let m = Embedding::mean([&a, &b]).unwrap();
        assert!((m.as_slice()[0] - m.as_slice()[1]).abs() < 1e-6);
        assert!(Embedding::mean([&a, &Embedding::new(vec![1.0]).unwrap()]).is_err());
        assert!(Embedding::mean([]).is_err());
    }
}
