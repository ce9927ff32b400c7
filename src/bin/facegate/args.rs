//! Arguments several commands share, and what they resolve to: the pipeline, the gallery file,
//! the decision head, the training settings.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use facegate::head::{Head, HeadKind, Mining, TripletOptions};
use facegate::learn::TrainOptions;
use facegate::{
    Detector, Embedder, EmbedderModel, FileStore, Gallery, LandmarkSource, Landmarker, Pipeline, PipelineOptions, Rule,
    Selection,
};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, ValueEnum)]
pub enum Landmarks {
    /// FaceMesh five points (default, most accurate).
    Facemesh,
    /// BlazeFace keypoints (faster).
    Blazeface,
}

/// Which face of a photo to use (`--select`).
#[derive(Clone, Copy, ValueEnum)]
pub enum Select {
    /// Exactly one face (a photo with several is refused).
    Single,
    /// The largest face.
    Largest,
    /// The face nearest the image centre (LFW's subject is centred by construction).
    Centre,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Model {
    /// MobileFaceNet, 192-d (default, compiled in).
    Mobilefacenet,
    /// SFace, 128-d, read from `--sface-file`.
    Sface,
}

/// Where `--model sface` reads its file by default: the checkout's `model/sface.onnx`.
const SFACE_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/model/sface.onnx");

#[derive(Args, Clone)]
pub struct PipelineArgs {
    /// Embedding model.
    #[arg(long, value_enum, default_value = "mobilefacenet")]
    model: Model,
    /// The SFace ONNX file `--model sface` loads.
    #[arg(long, env = "FACEGATE_SFACE", default_value = SFACE_FILE)]
    sface_file: PathBuf,
    /// Which face to use when a photo shows several (default: `single` for compare, enroll and
    /// identify; `centre` for the LFW evaluations).
    #[arg(long, value_enum)]
    select: Option<Select>,
    /// Alignment landmarks.
    #[arg(long, value_enum, default_value = "facemesh")]
    landmarks: Landmarks,
    /// Do not add the mirror image's embedding (faster; the default for SFace, which it does not help).
    #[arg(long, conflicts_with = "flip")]
    no_flip: bool,
    /// Add the mirror image's embedding (the default for MobileFaceNet).
    #[arg(long)]
    flip: bool,
    /// Smallest face width in pixels.
    #[arg(long, default_value_t = PipelineOptions::default().min_face)]
    min_face: u32,
}

impl PipelineArgs {
    /// The pipeline with these options (models loaded and optimised).
    pub fn pipeline(&self) -> Result<Pipeline> {
        let landmarks = match self.landmarks {
            Landmarks::Facemesh => LandmarkSource::FaceMesh,
            Landmarks::Blazeface => LandmarkSource::BlazeFace,
        };
        let model = match self.model {
            Model::Mobilefacenet => EmbedderModel::MobileFaceNet,
            Model::Sface => EmbedderModel::SFace,
        };
        let flip = (self.flip || PipelineOptions::for_model(model).flip) && !self.no_flip;
        let options = PipelineOptions { min_face: self.min_face, landmarks, flip };
        match model {
            EmbedderModel::MobileFaceNet => Pipeline::with_options(options).context("loading the models"),
            EmbedderModel::SFace => {
                let path = &self.sface_file;
                let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                let embedder = Embedder::with_model(model, &bytes).context("loading SFace")?;
                let (detector, landmarker) = (Detector::new()?, Landmarker::new()?);
                Ok(Pipeline::from_parts(detector, landmarker, embedder, options))
            }
        }
    }

    /// The `--select` choice, or `default` when not given.
    pub fn selection_or(&self, default: Selection) -> Selection {
        match self.select {
            None => default,
            Some(Select::Single) => Selection::Single,
            Some(Select::Largest) => Selection::Largest,
            Some(Select::Centre) => Selection::Centre,
        }
    }
}

/// A gallery file (`--gallery`).
#[derive(Args, Clone)]
pub struct GalleryArg {
    /// Gallery file (JSON, created by the first enroll).
    #[arg(long)]
    gallery: PathBuf,
}

impl GalleryArg {
    /// The gallery kept in the file, deciding by `rule`.
    pub fn open(&self, pipeline: &Pipeline, rule: Rule) -> Result<Gallery<FileStore>> {
        Ok(Gallery::new(FileStore::new(&self.gallery), pipeline.model_sha256(), rule)?)
    }

    /// The file's path, for messages.
    pub fn path(&self) -> &Path {
        &self.gallery
    }
}

/// How same/different is decided (`--head`).
#[derive(Clone, Debug, PartialEq)]
pub enum HeadChoice {
    /// The model's default: the bundled head for MobileFaceNet, cosine for SFace.
    Default,
    /// The head shipped with facegate (MobileFaceNet only).
    Bundled,
    /// No head: cosine similarity against the model's default threshold.
    Cosine,
    /// A head file written by `train-head`.
    File(PathBuf),
}

impl std::str::FromStr for HeadChoice {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "default" => HeadChoice::Default,
            "bundled" => HeadChoice::Bundled,
            "cosine" => HeadChoice::Cosine,
            path => HeadChoice::File(path.into()),
        })
    }
}

#[derive(Args, Clone)]
pub struct HeadArg {
    /// Decision rule: `default` (the model's: `bundled` for MobileFaceNet, `cosine` for SFace),
    /// `bundled` (the head shipped with facegate for MobileFaceNet: p(same) against its
    /// threshold), `cosine` (cosine similarity against the model's default threshold), or a head
    /// file from train-head (write `./cosine` for a file named like that).
    #[arg(long = "head", value_name = "default|bundled|cosine|FILE", default_value = "default")]
    choice: HeadChoice,
}

impl HeadArg {
    /// The decision rule, checked against the pipeline's model.
    pub fn rule(&self, pipeline: &Pipeline) -> Result<Rule> {
        self.choice.rule(pipeline)
    }
}

impl HeadChoice {
    /// The decision rule, checked against the pipeline's model.
    pub fn rule(&self, pipeline: &Pipeline) -> Result<Rule> {
        Ok(match self {
            HeadChoice::Default => Rule::default_for(pipeline.model()).context("the default rule")?,
            HeadChoice::Bundled => {
                let head = Head::bundled().context("the bundled head")?;
                if head.backbone_sha256() != pipeline.model_sha256() {
                    let (expected, found) = (pipeline.model_sha256().into(), head.backbone_sha256().into());
                    return Err(facegate::Error::ModelMismatch { expected, found })
                        .context("the bundled head belongs to MobileFaceNet");
                }
                Rule::head(head)
            }
            HeadChoice::Cosine => Rule::cosine_for(pipeline.model()),
            HeadChoice::File(path) => Rule::head(read_head(path, pipeline.model_sha256())?),
        })
    }
}

/// A head file, which must belong to the backbone with SHA-256 `sha`.
pub fn read_head(path: &Path, sha: &str) -> Result<Head> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    Head::from_json(&text, sha).with_context(|| path.display().to_string())
}

/// Training settings shared by train-head and report-heads.
#[derive(Args, Clone)]
pub struct HyperArgs {
    /// Seed of every random choice (batches, pairs).
    #[arg(long, default_value_t = TrainOptions::default().seed)]
    seed: u64,
    /// Triplet: output length d' (at most the embedding length).
    #[arg(long, default_value_t = TripletOptions::default().out_dim)]
    dim: usize,
    /// Triplet: margin α.
    #[arg(long, default_value_t = TripletOptions::default().margin)]
    margin: f64,
    /// Triplet: batch-hard or semi-hard mining.
    #[arg(long, default_value = "batch-hard")]
    mining: Mining,
    /// Triplet: people per batch (P).
    #[arg(long, default_value_t = TripletOptions::default().people)]
    people_per_batch: usize,
    /// Triplet: images per person per batch (K).
    #[arg(long, default_value_t = TripletOptions::default().images)]
    images_per_person: usize,
    /// Triplet: passes over the people.
    #[arg(long, default_value_t = TripletOptions::default().epochs)]
    epochs: usize,
    /// Triplet: Adam learning rate.
    #[arg(long, default_value_t = TripletOptions::default().learning_rate)]
    learning_rate: f64,
    /// Logistic: L2 penalty λ.
    #[arg(long, default_value_t = TrainOptions::default().l2)]
    l2: f64,
    /// Logistic: same-person pairs per identity at most (as many impostor pairs are drawn).
    #[arg(long, default_value_t = TrainOptions::default().pairs_per_person)]
    pairs_per_person: usize,
    /// False accept rate the head's probability threshold is chosen for.
    #[arg(long, default_value_t = TrainOptions::default().far)]
    far: f64,
}

impl HyperArgs {
    pub fn options(&self, kind: HeadKind) -> TrainOptions {
        let triplet = TripletOptions {
            out_dim: self.dim,
            margin: self.margin,
            mining: self.mining,
            people: self.people_per_batch,
            images: self.images_per_person,
            epochs: self.epochs,
            learning_rate: self.learning_rate,
        };
        let (l2, pairs_per_person, far, seed) = (self.l2, self.pairs_per_person, self.far, self.seed);
        TrainOptions { kind, seed, triplet, l2, pairs_per_person, far, ..TrainOptions::default() }
    }
}
