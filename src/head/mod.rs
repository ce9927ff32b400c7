//! Scoring with a trained head: `p(same person) = σ(wᵀφ(f1, f2) + b)`, optionally after a
//! learned projection, and the head's file: one small, versioned JSON document bound to the
//! SHA-256 of the backbone whose embeddings it was trained on. Training lives in `learn`
//! (feature `learn`, never in the wasm build).

mod features;
mod projection;
mod training;

pub use features::Features;
pub use projection::Projection;
pub use training::{Mining, TrainingSummary, TripletOptions};

use crate::embed::Embedding;
use crate::error::{Error, Result};
use crate::model::bundled;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Value of the file's `format` field.
pub const FORMAT: &str = "facegate-head";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// The default head, `model/head-default.json`: logistic on χ² features, trained on every LFW
/// identity with at least two images (see `model/README.md`).
const BUNDLED: &str = include_str!("../../model/head-default.json");

/// The logistic function, without overflow for large `|z|`.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// The log-odds `ln(p / (1 − p))`, the inverse of [`sigmoid`].
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// A unit enum from its serialised (kebab-case) name, for command-line parsing.
fn parse_name<T: serde::de::DeserializeOwned>(name: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(name.into())).map_err(|e| Error::InvalidArgument(e.to_string()))
}

/// The kinds of head, each ending in `p(same) = σ(wᵀφ + b)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeadKind {
    /// Triplet-trained projection, then Platt scaling of the projected cosine.
    Triplet,
    /// Logistic regression on `|f1 − f2|`.
    LogisticL1,
    /// Logistic regression on the safe χ² feature.
    LogisticChi2,
    /// Platt scaling of the cosine similarity: `σ(a·cos + b)`.
    Platt,
}

impl HeadKind {
    /// Every kind.
    pub const ALL: [HeadKind; 4] = [HeadKind::Triplet, HeadKind::LogisticL1, HeadKind::LogisticChi2, HeadKind::Platt];

    /// The pair feature the logistic unit sees.
    pub fn features(self) -> Features {
        match self {
            HeadKind::Triplet | HeadKind::Platt => Features::Cosine,
            HeadKind::LogisticL1 => Features::L1,
            HeadKind::LogisticChi2 => Features::ChiSquare,
        }
    }

    /// The name used in files and on the command line (as serialised).
    pub fn name(self) -> &'static str {
        match self {
            HeadKind::Triplet => "triplet",
            HeadKind::LogisticL1 => "logistic-l1",
            HeadKind::LogisticChi2 => "logistic-chi2",
            HeadKind::Platt => "platt",
        }
    }
}

impl fmt::Display for HeadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HeadKind {
    type Err = Error;
    /// `triplet`, `logistic-l1`, `logistic-chi2` or `platt`.
    fn from_str(s: &str) -> Result<Self> {
        parse_name(s)
    }
}

/// The threshold of a head as a probability, chosen for a false accept rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OperatingPoint {
    /// Pairs with `p(same)` at or above this are accepted.
    pub probability: f32,
    /// The false accept rate it was chosen for.
    pub far: f32,
    /// How many impostor pairs of the training identities it was chosen on.
    pub impostor_pairs: usize,
}

/// A head: an optional projection, then `p(same) = σ(wᵀφ + b)`. Parameters are held at `f32`
/// precision, so a head and its file behave identically.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    kind: HeadKind,
    backbone_sha256: String,
    input_dim: usize,
    projection: Option<Projection>,
    weights: Vec<f64>,
    bias: f64,
    operating_point: OperatingPoint,
    training: TrainingSummary,
}

#[derive(Serialize, Deserialize)]
struct ProjectionFile {
    out_dim: usize,
    in_dim: usize,
    weights: Vec<f32>,
}

#[derive(Serialize, Deserialize)]
struct HeadFile {
    format: String,
    version: u32,
    kind: HeadKind,
    backbone_sha256: String,
    input_dim: usize,
    features: Features,
    projection: Option<ProjectionFile>,
    weights: Vec<f32>,
    bias: f32,
    operating_point: OperatingPoint,
    training: TrainingSummary,
}

fn to_f32(values: &[f64]) -> Vec<f32> {
    values.iter().map(|&v| v as f32).collect()
}

fn to_f64(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}

/// The scoring part of a head: optional projection and the logistic unit's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadModel {
    /// Which kind it is.
    pub kind: HeadKind,
    /// The projection (triplet heads only).
    pub projection: Option<Projection>,
    /// `w`, one per component of φ.
    pub weights: Vec<f64>,
    /// `b`.
    pub bias: f64,
}

impl Head {
    /// Assembles and checks a head for embeddings of length `input_dim` from the backbone with
    /// SHA-256 `backbone_sha256`; parameters are rounded to `f32`.
    pub fn new(
        backbone_sha256: &str,
        input_dim: usize,
        model: HeadModel,
        operating_point: OperatingPoint,
        training: TrainingSummary,
    ) -> Result<Head> {
        let bad = |what: String| Err(Error::InvalidArgument(format!("{} head: {what}", model.kind)));
        let projection = match model.projection {
            Some(p) => Some(Projection::new(p.out_dim(), p.in_dim(), to_f64(&to_f32(p.weights())))?),
            None => None,
        };
        if backbone_sha256.is_empty() || input_dim == 0 {
            return bad("needs a backbone SHA-256 and an input length".into());
        }
        if projection.is_some() != (model.kind == HeadKind::Triplet)
            || projection.as_ref().is_some_and(|p| p.in_dim() != input_dim)
        {
            return bad(format!("only a triplet head has a projection, taking {input_dim} values"));
        }
        let dim = projection.as_ref().map_or(input_dim, Projection::out_dim);
        let expected = model.kind.features().len(dim);
        let (weights, bias) = (to_f64(&to_f32(&model.weights)), f64::from(model.bias as f32));
        if weights.len() != expected || !weights.iter().chain([&bias]).all(|w| w.is_finite()) {
            return bad(format!("needs {expected} weights and a bias, finite in f32, got {}", weights.len()));
        }
        Head {
            kind: model.kind,
            backbone_sha256: backbone_sha256.into(),
            input_dim,
            projection,
            weights,
            bias,
            operating_point,
            training,
        }
        .with_operating_point(operating_point)
    }

    /// The same head with another threshold; refuses probabilities or rates outside `[0, 1]`.
    pub fn with_operating_point(mut self, point: OperatingPoint) -> Result<Head> {
        if !((0.0..=1.0).contains(&point.probability) && point.far > 0.0 && point.far <= 1.0) {
            return Err(Error::InvalidArgument(format!("operating point {point:?} is outside [0, 1]")));
        }
        self.operating_point = point;
        Ok(self)
    }

    /// Which kind of head this is.
    pub fn kind(&self) -> HeadKind {
        self.kind
    }

    /// SHA-256 of the backbone the head was trained on.
    pub fn backbone_sha256(&self) -> &str {
        &self.backbone_sha256
    }

    /// Embedding length it takes.
    pub fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// The decision threshold as a probability at a stated false accept rate.
    pub fn operating_point(&self) -> OperatingPoint {
        self.operating_point
    }

    /// How it was trained.
    pub fn training(&self) -> &TrainingSummary {
        &self.training
    }

    /// The representation φ is computed on: the projected vector for a triplet head, else the
    /// vector itself. Computing it once per image makes scoring many pairs cheap.
    pub fn prepare(&self, x: &[f64]) -> Result<Vec<f64>> {
        if x.len() != self.input_dim {
            return Err(Error::InvalidArgument(format!("the head takes {} values, not {}", self.input_dim, x.len())));
        }
        match &self.projection {
            Some(p) => p.apply(x),
            None => Ok(x.to_vec()),
        }
    }

    /// `p(same)` of two [`Head::prepare`]d vectors.
    pub fn probability_prepared(&self, a: &[f64], b: &[f64]) -> f64 {
        let mut phi = Vec::new();
        self.kind.features().compute(a, b, &mut phi);
        sigmoid(phi.iter().zip(&self.weights).map(|(x, w)| x * w).sum::<f64>() + self.bias)
    }

    /// The probability that two embeddings show the same person.
    pub fn probability(&self, a: &Embedding, b: &Embedding) -> Result<f64> {
        let vector = |e: &Embedding| self.prepare(&to_f64(e.as_slice()));
        Ok(self.probability_prepared(&vector(a)?, &vector(b)?))
    }

    /// The head file as JSON.
    pub fn to_json(&self) -> String {
        let file = HeadFile {
            format: FORMAT.into(),
            version: VERSION,
            kind: self.kind,
            backbone_sha256: self.backbone_sha256.clone(),
            input_dim: self.input_dim,
            features: self.kind.features(),
            projection: self.projection.as_ref().map(|p| ProjectionFile {
                out_dim: p.out_dim(),
                in_dim: p.in_dim(),
                weights: to_f32(p.weights()),
            }),
            weights: to_f32(&self.weights),
            bias: self.bias as f32,
            operating_point: self.operating_point,
            training: self.training.clone(),
        };
        // Strings, integers and finite floats always serialise.
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }

    /// The default head shipped with the crate, for the bundled backbone.
    pub fn bundled() -> Result<Head> {
        Head::from_json(BUNDLED, bundled::mobilefacenet_sha256())
    }

    /// Reads a head file, refusing other formats and versions and damaged files
    /// (`InvalidTemplate`), and heads trained on another backbone than `backbone_sha256`
    /// (`ModelMismatch`).
    pub fn from_json(json: &str, backbone_sha256: &str) -> Result<Head> {
        let bad = |what: String| Error::InvalidTemplate(format!("head file: {what}"));
        let file: HeadFile = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
        if file.format != FORMAT || file.version != VERSION {
            return Err(bad(format!("{} version {} is not {FORMAT} version {VERSION}", file.format, file.version)));
        }
        if file.backbone_sha256 != backbone_sha256 {
            return Err(Error::ModelMismatch { expected: backbone_sha256.into(), found: file.backbone_sha256 });
        }
        if file.features != file.kind.features() {
            return Err(bad(format!(
                "a {} head scores {:?}, not {:?}",
                file.kind,
                file.kind.features(),
                file.features
            )));
        }
        let projection = match file.projection {
            Some(p) => Some(Projection::new(p.out_dim, p.in_dim, to_f64(&p.weights)).map_err(|e| bad(e.to_string()))?),
            None => None,
        };
        let model =
            HeadModel { kind: file.kind, projection, weights: to_f64(&file.weights), bias: f64::from(file.bias) };
        Head::new(&file.backbone_sha256, file.input_dim, model, file.operating_point, file.training)
            .map_err(|e| bad(e.to_string()))
    }
}
